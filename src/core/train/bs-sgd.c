/* bs-sgd.c: the SGD update over every parameter of a model. */
#include "bs-sgd.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "bs-error.h"

struct _BsSgd {
  BsModel *model;
  float    momentum;
  float    weight_decay;
  float  **buffers;     /* one per parameter, NULL for buffers without gradient */
  guint    n_params;
};

BsSgd *
bs_sgd_try_new (BsModel  *model,
                double    momentum,
                double    weight_decay,
                GError  **error)
{
  BsSgd *sgd;
  guint64 bytes = 0;

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

      if (param->grad == NULL)
        continue;
      bytes += MAX (param->n_elements, 1) * sizeof (float);
      /* As large as the weights, which a user's choice of model sets. */
      sgd->buffers[i] = g_try_new0 (float, MAX (param->n_elements, 1));
      if (sgd->buffers[i] == NULL)
        {
          g_autofree char *size = NULL;

          for (guint j = i + 1; j < sgd->n_params; j++)
            if (bs_model_get_param (model, j)->grad != NULL)
              bytes += MAX (bs_model_get_param (model, j)->n_elements, 1) * sizeof (float);
          size = bs_format_size_plain (bytes);
          g_set_error (error, BS_ERROR, BS_ERROR_FAILED,
                       /* Translators: a model name, then an amount of memory ("465.6 MB"). */
                       _("Not enough memory for the momentum of %s's weights (%s)"),
                       bs_model_get_name (model), size);
          bs_sgd_free (sgd);
          return NULL;
        }
    }
  return sgd;
}

BsSgd *
bs_sgd_new (BsModel *model,
            double   momentum,
            double   weight_decay)
{
  g_autoptr(GError) error = NULL;
  BsSgd *sgd = bs_sgd_try_new (model, momentum, weight_decay, &error);

  if (sgd == NULL)
    g_error ("%s", error->message);
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
