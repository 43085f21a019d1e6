/* bs-evaluate.h: accuracy and loss of a model on an image set, in evaluation mode. */
#pragma once

#include <gio/gio.h>

#include "bs-dataset.h"
#include "bs-model.h"

G_BEGIN_DECLS

typedef struct {
  guint  images;
  guint  correct;
  double accuracy;   /* correct / images; NaN for no images */
  double loss;       /* mean softmax cross-entropy */
} BsEvalResult;

/* Evaluates on the first limit images of set (0: all), in order, without
 * augmentation, batch_size at a time. Labels must be below the model's
 * class count and the images must have the model's input shape. */
gboolean bs_evaluate (BsModel          *model,
                      const BsImageSet *set,
                      guint             batch_size,
                      guint             limit,
                      GCancellable     *cancellable,
                      BsEvalResult     *result,
                      GError          **error);

/* Checks that the images of set have the model's input shape and its labels
 * fit the model's classes (first limit images; 0: all); training says which
 * split set is, for the message. */
gboolean bs_evaluate_check_images (BsModel          *model,
                                   const BsImageSet *set,
                                   guint             limit,
                                   gboolean          training,
                                   GError          **error);

/* Rows of logits (n x n_classes) whose largest entry (the first of equal
 * ones, as torch.argmax) is at the label. */
guint    bs_evaluate_count_correct (const float  *logits,
                                    const guint8 *labels,
                                    guint         n,
                                    guint         n_classes);

G_END_DECLS
