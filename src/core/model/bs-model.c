/* bs-model.c: what a model tells about itself, and its settings.
 *
 * The accessors of its layers and parameters, parameter initialisation and
 * copying, the threads it runs on and the tap mask. The model's state is in
 * bs-model-private.h; the passes are in bs-model-forward.c and
 * bs-model-backward.c. */
#include "bs-model-private.h"

#include <glib/gi18n-lib.h>
#include <math.h>
#include <string.h>

#include "bs-batchnorm.h"
#include "bs-error.h"
#include "bs-rng.h"

/* The most threads a pool runs (bs-thread-pool.c). */
#define MAX_THREADS 256

const char *
bs_model_get_name (BsModel *model)
{
  return model->name;
}

guint
bs_model_get_n_classes (BsModel *model)
{
  return model->n_classes;
}

guint
bs_model_get_n_layers (BsModel *model)
{
  return model->layers->len;
}

const BsLayerInfo *
bs_model_get_layer (BsModel *model,
                    guint    index)
{
  return bs_model_value_info (model, index);
}

guint
bs_model_get_n_params (BsModel *model)
{
  return model->params->len;
}

BsParam *
bs_model_get_param (BsModel *model,
                    guint    index)
{
  g_return_val_if_fail (index < model->params->len, NULL);
  return &g_array_index (model->params, BsParam, index);
}

BsParam *
bs_model_find_param (BsModel    *model,
                     const char *name)
{
  for (guint i = 0; i < model->params->len; i++)
    {
      BsParam *p = &g_array_index (model->params, BsParam, i);

      if (strcmp (p->name, name) == 0)
        return p;
    }
  return NULL;
}

gsize
bs_model_count_trainable (BsModel *model)
{
  gsize total = 0;

  for (guint i = 0; i < model->params->len; i++)
    {
      BsParam *p = &g_array_index (model->params, BsParam, i);

      if (p->grad)
        total += p->n_elements;
    }
  return total;
}

guint
bs_model_get_in_channels (BsModel *model)
{
  g_return_val_if_fail (model != NULL, 0);
  return model->in_c;
}

void
bs_model_set_input_normalization (BsModel     *model,
                                  const float *mean,
                                  const float *std)
{
  g_return_if_fail (model != NULL);
  g_return_if_fail (mean == NULL || std != NULL);

  g_clear_pointer (&model->input_mean, g_free);
  g_clear_pointer (&model->input_std, g_free);
  if (mean == NULL)
    return;
  for (guint c = 0; c < model->in_c; c++)
    g_return_if_fail (isfinite (mean[c]) && std[c] > 0 && isfinite (std[c]));
  model->input_mean = g_memdup2 (mean, model->in_c * sizeof (float));
  model->input_std = g_memdup2 (std, model->in_c * sizeof (float));
}

gboolean
bs_model_get_input_normalization (BsModel *model,
                                  float   *mean,
                                  float   *std)
{
  g_return_val_if_fail (model != NULL, FALSE);

  if (model->input_mean == NULL)
    return FALSE;
  if (mean != NULL)
    memcpy (mean, model->input_mean, model->in_c * sizeof (float));
  if (std != NULL)
    memcpy (std, model->input_std, model->in_c * sizeof (float));
  return TRUE;
}

gint64
bs_model_get_batches_tracked (BsModel *model)
{
  return model->batches_tracked;
}

void
bs_model_set_batches_tracked (BsModel *model,
                              gint64   value)
{
  model->batches_tracked = value;
}

gboolean
bs_model_copy_params (BsModel  *dest,
                      BsModel  *src,
                      GError  **error)
{
  g_return_val_if_fail (dest != NULL && src != NULL, FALSE);

  if (dest->params->len != src->params->len || dest->n_data != src->n_data)
    goto mismatch;
  for (guint i = 0; i < src->params->len; i++)
    {
      const BsParam *a = &g_array_index (dest->params, BsParam, i);
      const BsParam *b = &g_array_index (src->params, BsParam, i);

      if (strcmp (a->name, b->name) != 0 || a->n_elements != b->n_elements || a->ndim != b->ndim ||
          memcmp (a->shape, b->shape, sizeof a->shape) != 0)
        goto mismatch;
    }

  memcpy (dest->param_data, src->param_data, src->n_data * sizeof (float));
  dest->batches_tracked = src->batches_tracked;
  bs_model_set_input_normalization (dest, src->input_mean, src->input_std);
  return TRUE;

mismatch:
  g_set_error (error, BS_ERROR, BS_ERROR_MISMATCH,
               /* Translators: two model names (resnet20). */
               _("Cannot copy the parameters of %s into %s: the architectures differ"),
               src->name, dest->name);
  return FALSE;
}

void
bs_model_init_params (BsModel *model,
                      guint64  seed)
{
  BsRng rng;

  bs_rng_init (&rng, seed);
  for (guint i = 0; i < model->params->len; i++)
    {
      BsParam *p = &g_array_index (model->params, BsParam, i);
      const char *suffix = strrchr (p->name, '.') + 1;

      if (p->ndim == 4)
        {
          /* Kaiming normal, fan_out, ReLU gain (torchvision's ResNet init). */
          double fan_out = (double) p->shape[0] * p->shape[2] * p->shape[3];
          double std = sqrt (2.0 / fan_out);

          for (gsize j = 0; j < p->n_elements; j++)
            p->data[j] = (float) (std * bs_rng_normal (&rng));
        }
      else if (p->ndim == 2 || (strcmp (suffix, "bias") == 0 && i > 0 &&
                                g_array_index (model->params, BsParam, i - 1).ndim == 2))
        {
          /* nn.Linear's default: U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for weight and bias. */
          const BsParam *w = p->ndim == 2 ? p : &g_array_index (model->params, BsParam, i - 1);
          double bound = 1.0 / sqrt ((double) w->shape[1]);

          for (gsize j = 0; j < p->n_elements; j++)
            p->data[j] = (float) ((2.0 * bs_rng_uniform (&rng) - 1.0) * bound);
        }
      else
        {
          /* Batch norm: weight and running_var 1, bias and running_mean 0. */
          float value = strcmp (suffix, "weight") == 0 || strcmp (suffix, "running_var") == 0;

          for (gsize j = 0; j < p->n_elements; j++)
            p->data[j] = value;
        }
    }
  model->batches_tracked = 0;
}

void
bs_model_set_threads (BsModel *model,
                      guint    n_threads)
{
  BsEngineConfig config = *bs_thread_pool_get_config (model->pool);

  n_threads = CLAMP (n_threads, 1, MAX_THREADS);
  if (n_threads == bs_thread_pool_get_n_threads (model->pool))
    return;
  config.threads = n_threads;
  bs_thread_pool_unref (model->pool);
  model->pool = bs_thread_pool_new_for_config (&config);
}

guint
bs_model_get_threads (BsModel *model)
{
  return bs_thread_pool_get_n_threads (model->pool);
}

void
bs_model_set_pool (BsModel      *model,
                   BsThreadPool *pool)
{
  g_return_if_fail (model != NULL && pool != NULL);

  bs_thread_pool_ref (pool);
  bs_thread_pool_unref (model->pool);
  model->pool = pool;
}

BsThreadPool *
bs_model_get_pool (BsModel *model)
{
  return model->pool;
}

void
bs_model_set_params_frozen (BsModel  *model,
                            gboolean  frozen)
{
  g_return_if_fail (model != NULL);

  model->freeze_epoch = frozen ? ++model->n_freezes : 0;
}

void
bs_model_set_tap_mask (BsModel        *model,
                       const gboolean *mask)
{
  g_clear_pointer (&model->tap_mask, g_free);
  if (mask)
    model->tap_mask = g_memdup2 (mask, model->layers->len * sizeof (gboolean));
  /* The fusions depend on what is tapped. */
  bs_model_clear_plans (model);
}

/* Batch norm `bn` in evaluation mode is y_c = scale_c x_c + shift_c: its
 * coefficients from the running statistics (one float per channel each). */
void
bs_model_bn_eval_coeffs (BsModel    *model,
                         const BsOp *bn,
                         float      *scale,
                         float      *shift)
{
  guint c = g_array_index (model->layers, BsLayerInfo, bn->out).channels;
  /* weight, bias, running mean, running variance */
  const BsParam *p = &g_array_index (model->params, BsParam, bn->param);

  bs_bn_eval_coeffs (c, p[0].data, p[1].data, p[2].data, p[3].data, scale, shift);
}

gboolean
bs_model_get_eval_scale (BsModel *model,
                         guint    layer,
                         guint    input,
                         float   *scale)
{
  g_autofree float *shift = NULL;
  BsOp *op;
  guint c;

  g_return_val_if_fail (model != NULL && scale != NULL, FALSE);

  /* Value layer is the output of operation layer - 1 (bs-model-builder.h). */
  if (layer == 0 || layer > model->ops->len)
    return FALSE;
  op = bs_model_op (model, layer - 1);
  if (op->kind != BS_OP_BN || op->in0 != input)
    return FALSE;
  c = g_array_index (model->layers, BsLayerInfo, layer).channels;
  shift = g_new (float, c);
  bs_model_bn_eval_coeffs (model, op, scale, shift);
  return TRUE;
}
