/* bs-sgd.h: stochastic gradient descent with momentum and weight decay.
 *
 * PyTorch's torch.optim.SGD semantics (dampening 0, no Nesterov), in float:
 *   g   = grad + weight_decay * w        (only for parameters with decay)
 *   buf = momentum * buf + g             (buf starts at 0, so the first buf is g)
 *   w   = w - lr * buf
 * Buffers (running statistics, grad == NULL) are not touched. */
#pragma once

#include <glib.h>

#include "bs-model.h"

G_BEGIN_DECLS

typedef struct _BsSgd BsSgd;

BsSgd *bs_sgd_new    (BsModel *model,
                      double   momentum,
                      double   weight_decay);
/* The same, or NULL with an error when the momentum buffers (as large as
 * the weights) do not fit in memory; bs_sgd_new () aborts instead. */
BsSgd *bs_sgd_try_new (BsModel  *model,
                       double    momentum,
                       double    weight_decay,
                       GError  **error);
void   bs_sgd_free   (BsSgd   *sgd);
/* One update of every parameter of the model from its current gradient. */
void   bs_sgd_step   (BsSgd   *sgd,
                      double   lr);

/* The momentum buffer of parameter index (bs_model_get_param () order; its
 * n_elements floats), or NULL for a buffer without gradient. Owned by sgd:
 * a checkpoint saves them, a resume writes them back. */
float *bs_sgd_get_momentum   (BsSgd       *sgd,
                              guint        index);
/* Copies n floats into that buffer; FALSE when the parameter has no buffer
 * or n is not its size. */
gboolean bs_sgd_set_momentum (BsSgd       *sgd,
                              guint        index,
                              const float *values,
                              gsize        n);
guint  bs_sgd_get_n_params   (BsSgd       *sgd);

/* The update of one array, as bs_sgd_step applies it (exposed for tests). */
void   bs_sgd_update (float       *weights,
                      const float *grads,
                      float       *momentum_buffer,
                      gsize        n,
                      float        lr,
                      float        momentum,
                      float        weight_decay);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (BsSgd, bs_sgd_free)

G_END_DECLS
