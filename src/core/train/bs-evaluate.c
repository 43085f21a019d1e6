/* bs-evaluate.c: test accuracy through the batcher, without augmentation. */
#include "bs-evaluate.h"

#include <glib/gi18n-lib.h>
#include <math.h>

#include "bs-batcher.h"
#include "bs-error.h"

/* The shape of the model's input layer; FALSE if it has none. */
static gboolean
get_input_shape (BsModel *model,
                 guint   *channels,
                 guint   *height,
                 guint   *width)
{
  const BsLayerInfo *input;

  if (bs_model_get_n_layers (model) == 0)
    return FALSE;
  input = bs_model_get_layer (model, 0);
  if (input->kind != BS_LAYER_INPUT)
    return FALSE;
  *channels = input->channels;
  *height = input->height;
  *width = input->width;
  return TRUE;
}

gboolean
bs_evaluate_check_images (BsModel          *model,
                          const BsImageSet *set,
                          guint             limit,
                          gboolean          training,
                          GError          **error)
{
  guint channels, height, width;
  guint n = limit > 0 ? MIN (limit, set->n_images) : set->n_images;
  guint n_classes = bs_model_get_n_classes (model);

  if (get_input_shape (model, &channels, &height, &width)
      && (channels != set->channels || height != set->height || width != set->width))
    {
      if (training)
        g_set_error (error, BS_ERROR, BS_ERROR_MISMATCH,
                     /* Translators: the shape of the images (channels x height x width),
                      * a model's name (resnet20) and the shape it takes. */
                     _("The training set has %ux%ux%u images, but the model %s takes %ux%ux%u"),
                     set->channels, set->height, set->width, bs_model_get_name (model),
                     channels, height, width);
      else
        g_set_error (error, BS_ERROR, BS_ERROR_MISMATCH,
                     /* Translators: the shape of the images (channels x height x width),
                      * a model's name (resnet20) and the shape it takes. */
                     _("The test set has %ux%ux%u images, but the model %s takes %ux%ux%u"),
                     set->channels, set->height, set->width, bs_model_get_name (model),
                     channels, height, width);
      return FALSE;
    }
  for (guint i = 0; i < n; i++)
    if (set->labels[i] >= n_classes)
      {
        if (training)
          g_set_error (error, BS_ERROR, BS_ERROR_MISMATCH,
                       /* Translators: a label, the index of its image, a model's name
                        * (resnet20) and its number of classes. */
                       _("The training set has label %u (image %u), but the model %s has only %u classes"),
                       set->labels[i], i, bs_model_get_name (model), n_classes);
        else
          g_set_error (error, BS_ERROR, BS_ERROR_MISMATCH,
                       /* Translators: a label, the index of its image, a model's name
                        * (resnet20) and its number of classes. */
                       _("The test set has label %u (image %u), but the model %s has only %u classes"),
                       set->labels[i], i, bs_model_get_name (model), n_classes);
        return FALSE;
      }
  return TRUE;
}

guint
bs_evaluate_count_correct (const float  *logits,
                           const guint8 *labels,
                           guint         n,
                           guint         n_classes)
{
  guint correct = 0;

  for (guint i = 0; i < n; i++)
    {
      const float *row = logits + (gsize) i * n_classes;
      guint best = 0;

      for (guint c = 1; c < n_classes; c++)
        if (row[c] > row[best])
          best = c;
      correct += best == labels[i];
    }
  return correct;
}

gboolean
bs_evaluate (BsModel          *model,
             const BsImageSet *set,
             guint             batch_size,
             guint             limit,
             GCancellable     *cancellable,
             BsEvalResult     *result,
             GError          **error)
{
  g_autoptr(BsBatcher) batcher = NULL;
  g_autofree float *images = NULL;
  g_autofree guint8 *labels = NULL;
  guint n_classes, n;
  double loss_sum = 0;

  g_return_val_if_fail (model != NULL && set != NULL && result != NULL, FALSE);
  g_return_val_if_fail (batch_size > 0, FALSE);

  result->images = 0;
  result->correct = 0;
  result->accuracy = NAN;
  result->loss = NAN;

  if (!bs_evaluate_check_images (model, set, limit, FALSE, error))
    return FALSE;

  n_classes = bs_model_get_n_classes (model);
  batcher = bs_batcher_new (set, batch_size);
  bs_batcher_set_limit (batcher, limit);
  images = bs_batcher_try_alloc_batch (batcher, error);
  if (images == NULL)
    return FALSE;
  labels = g_new (guint8, batch_size);

  bs_batcher_start_epoch (batcher, 0);
  while ((n = bs_batcher_next (batcher, images, labels)) > 0)
    {
      const float *logits;

      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        return FALSE;
      logits = bs_model_try_forward (model, images, n, FALSE, NULL, NULL, error);
      if (logits == NULL)
        return FALSE;
      loss_sum += (double) bs_model_loss (model, labels) * n;
      result->correct += bs_evaluate_count_correct (logits, labels, n, n_classes);
      result->images += n;
    }

  if (result->images > 0)
    {
      result->accuracy = (double) result->correct / result->images;
      result->loss = loss_sum / result->images;
    }
  return TRUE;
}
