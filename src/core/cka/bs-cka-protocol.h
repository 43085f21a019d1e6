/* bs-cka-protocol.h: the counting of the minibatch-CKA protocol, in one place.
 *
 * Each pass over the test images (the first `limit` of them, or all) is a
 * new permutation cut into consecutive minibatches of batch_size; a short
 * last minibatch of a pass is dropped (the paper's code keeps it; dropping
 * keeps every minibatch an equal-weight sample of the same estimator). The
 * unbiased HSIC estimator needs at least 4 examples per minibatch, the
 * biased one 2. The CKA job, the window and the CLI all count with these. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct {
  guint images_per_pass;       /* the test images a pass draws from */
  guint minibatches_per_pass;  /* images_per_pass / batch_size, rounded down */
  guint minibatches_total;     /* minibatches_per_pass x passes */
} BsCkaProtocolCounts;

/* The images a pass draws from: the first limit of n_images (0: all). */
guint    bs_cka_protocol_images_per_pass  (guint                n_images,
                                           guint                limit);

/* BS_ERROR_INVALID_ARGUMENT when batch_size is too small for the estimator. */
gboolean bs_cka_protocol_check_batch_size (guint                batch_size,
                                           gboolean             biased,
                                           GError             **error);

/* The counts for a test split of n_images (called dataset_name, not NULL,
 * in messages). BS_ERROR_INVALID_ARGUMENT when passes or batch_size is 0, when
 * the images make less than one minibatch, or when the total overflows. */
gboolean bs_cka_protocol_count            (guint                n_images,
                                           guint                limit,
                                           guint                batch_size,
                                           guint                passes,
                                           const char          *dataset_name,
                                           BsCkaProtocolCounts *counts,
                                           GError             **error);

G_END_DECLS
