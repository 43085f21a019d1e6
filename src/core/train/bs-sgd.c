/* bs-sgd.c: the SGD update over every parameter of a model. */
#include "bs-sgd.h"

#include <string.h>

struct _BsSgd {
  BsModel *model;
  float    momentum;
  float    weight_decay;
  float  **buffers;     /* one per parameter, NULL for buffers without gradient */
  guint    n_params;
};

BsSgd *
bs_sgd_new (BsModel *model,
            double   momentum,
            double   weight_decay)
{
  BsSgd *sgd;

  g_return_val_if_fail (model != NULL, NULL);

  sgd = g_new0 (BsSgd, 1);
  sgd->model = model;
  /* PyTorch turns the Python floats into the tensor's type, float32. */
  sgd->momentum = (float) momentum;
  sgd->weight_decay = (float) weight_decay;
  sgd->n_params = bs_model_get_n_params (model);
  sgd->buffers = g_new0 (float *, sgd->n_params);
  for (guint i = 0; i < sgd->n_params; i++)
    {
      BsParam *param = bs_model_get_param (model, i);

      if (param->grad != NULL)
        sgd->buffers[i] = g_new0 (float, MAX (param->n_elements, 1));
    }
  return sgd;
}

void
bs_sgd_free (BsSgd *sgd)
{
  if (sgd == NULL)
    return;
  for (guint i = 0; i < sgd->n_params; i++)
    g_free (sgd->buffers[i]);
  g_free (sgd->buffers);
  g_free (sgd);
}

void
bs_sgd_update (float       *weights,
               const float *grads,
               float       *momentum_buffer,
               gsize        n,
               float        lr,
               float        momentum,
               float        weight_decay)
{
  /* Each operation rounds to float on its own, as PyTorch's separate
   * tensor operations do (no fused multiply-add across them). */
  for (gsize i = 0; i < n; i++)
    {
      float decayed = weight_decay * weights[i];
      float g = grads[i] + decayed;
      float scaled = momentum * momentum_buffer[i];
      float step;

      momentum_buffer[i] = scaled + g;
      step = lr * momentum_buffer[i];
      weights[i] = weights[i] - step;
    }
}

void
bs_sgd_step (BsSgd  *sgd,
             double  lr)
{
  g_return_if_fail (sgd != NULL);

  for (guint i = 0; i < sgd->n_params; i++)
    {
      BsParam *param = bs_model_get_param (sgd->model, i);

      if (sgd->buffers[i] == NULL)
        continue;
      bs_sgd_update (param->data, param->grad, sgd->buffers[i], param->n_elements,
                     (float) lr, sgd->momentum, param->decay ? sgd->weight_decay : 0.0f);
    }
}

guint
bs_sgd_get_n_params (BsSgd *sgd)
{
  return sgd->n_params;
}

float *
bs_sgd_get_momentum (BsSgd *sgd,
                     guint  index)
{
  g_return_val_if_fail (sgd != NULL && index < sgd->n_params, NULL);

  return sgd->buffers[index];
}

gboolean
bs_sgd_set_momentum (BsSgd       *sgd,
                     guint        index,
                     const float *values,
                     gsize        n)
{
  g_return_val_if_fail (sgd != NULL && index < sgd->n_params, FALSE);

  if (sgd->buffers[index] == NULL || n != bs_model_get_param (sgd->model, index)->n_elements)
    return FALSE;
  memcpy (sgd->buffers[index], values, n * sizeof (float));
  return TRUE;
}
