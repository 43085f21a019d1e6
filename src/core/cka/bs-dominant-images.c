/* bs-dominant-images.c: one layer's PC1 scores over the test images. */
#include "bs-dominant-images.h"

#include <cblas.h>
#include <glib/gi18n-lib.h>
#include <math.h>
#include <string.h>

#include "bs-batcher.h"
#include "bs-error.h"
#include "bs-pc1.h"

/* Features converted to double and centred per pass of the Gram. */
#define FEATURE_CHUNK 512

void
bs_dominant_images_options_init (BsDominantImagesOptions *options)
{
  memset (options, 0, sizeof *options);
  options->top = 10;
  options->batch_size = 128;
}

void
bs_dominant_images_result_clear (BsDominantImagesResult *result)
{
  g_clear_pointer (&result->images, g_array_unref);
  g_clear_pointer (&result->scores, g_free);
}

typedef struct {
  guint   layer;
  float  *x;        /* n x p, row per image */
  gsize   p;
  guint   done;     /* images written so far */
  gboolean finite;
} Collect;

/* The tapped layer's (c, n, s) activations as rows (c, s) per image. */
static void
collect_tap (const BsLayerInfo *info,
             guint              tap_index,
             const float       *activation,
             guint              batch,
             gpointer           user_data)
{
  Collect *c = user_data;
  gsize plane = (gsize) info->height * info->width;

  if (tap_index != c->layer)
    return;
  for (guint n = 0; n < batch; n++)
    for (guint ch = 0; ch < info->channels; ch++)
      {
        float *dst = c->x + (gsize) (c->done + n) * c->p + ch * plane;

        memcpy (dst, activation + ((gsize) ch * batch + n) * plane, plane * sizeof (float));
        for (gsize i = 0; i < plane && c->finite; i++)
          c->finite = isfinite (dst[i]);
      }
  c->done += batch;
}

static int
compare_magnitude (gconstpointer a,
                   gconstpointer b)
{
  const BsDominantImage *x = a, *y = b;
  double fx = fabs (x->score), fy = fabs (y->score);

  if (fx != fy)
    return fx > fy ? -1 : 1;
  return x->index < y->index ? -1 : x->index > y->index;
}

gboolean
bs_dominant_images_run (BsModel                       *model,
                        BsDataset                     *dataset,
                        const BsDominantImagesOptions *options,
                        void                         (*progress) (guint done, guint total, gpointer user_data),
                        gpointer                       user_data,
                        BsDominantImagesResult        *result,
                        GCancellable                  *cancellable,
                        GError                       **error)
{
  const BsImageSet *set = &dataset->test;
  guint n = options->n_images > 0 ? MIN (options->n_images, set->n_images) : set->n_images;
  guint64 max_bytes = options->max_bytes > 0 ? options->max_bytes : G_GUINT64_CONSTANT (4) << 30;
  const BsLayerInfo *info;
  g_autoptr(BsPc1Solver) solver = NULL;
  g_autofree float *x = NULL;
  g_autofree double *gram = NULL;
  g_autofree double *chunk = NULL;
  g_autofree double *u = NULL;
  g_autofree float *images = NULL;
  g_autofree guint8 *labels = NULL;
  g_autofree gboolean *mask = NULL;
  BsBatcher *batcher;
  Collect collect = { 0 };
  double lambda, trace = 0.0;
  guint64 bytes;
  gsize p;

  g_return_val_if_fail (model != NULL && dataset != NULL && options != NULL && result != NULL, FALSE);
  memset (result, 0, sizeof *result);

  if (options->layer >= bs_model_get_n_layers (model))
    {
      g_set_error (error, BS_ERROR, BS_ERROR_INVALID_ARGUMENT, _("The model has no layer %u"), options->layer);
      return FALSE;
    }
  info = bs_model_get_layer (model, options->layer);
  if (n < 3)
    {
      g_set_error (error, BS_ERROR, BS_ERROR_INVALID_ARGUMENT,
                   /* Translators: a count of images. */
                   _("Principal components need at least 3 images, not %u"), n);
      return FALSE;
    }
  if (options->top < 1 || options->top > n)
    {
      g_set_error (error, BS_ERROR, BS_ERROR_INVALID_ARGUMENT,
                   /* Translators: two counts of images. */
                   _("Cannot list the top %u images of %u"), options->top, n);
      return FALSE;
    }
  p = bs_layer_info_n_features (info);
  bytes = (guint64) n * p * sizeof (float) + (guint64) n * n * sizeof (double) * 2;
  if (bytes > max_bytes)
    {
      g_autofree char *need = g_format_size (bytes);

      g_set_error (error, BS_ERROR, BS_ERROR_INVALID_ARGUMENT,
                   /* Translators: a layer name, a count of images, an amount of memory. */
                   _("Layer %s over %u images needs %s: use fewer images"), info->name, n, need);
      return FALSE;
    }
  x = g_try_malloc_n ((gsize) n * p, sizeof (float));
  gram = g_try_malloc0_n ((gsize) n * n, sizeof (double));
  chunk = g_try_malloc_n ((gsize) n * MIN (p, FEATURE_CHUNK), sizeof (double));
  if (x == NULL || gram == NULL || chunk == NULL)
    {
      g_set_error (error, BS_ERROR, BS_ERROR_FAILED, _("Not enough memory for layer %s over %u images"),
                   info->name, n);
      return FALSE;
    }

  collect = (Collect) { .layer = options->layer, .x = x, .p = p, .finite = TRUE };
  mask = g_new0 (gboolean, bs_model_get_n_layers (model));
  mask[options->layer] = TRUE;
  bs_model_set_tap_mask (model, mask);
  batcher = bs_batcher_new (set, MAX (options->batch_size, 1));
  bs_batcher_set_limit (batcher, n);
  images = bs_batcher_try_alloc_batch (batcher, error);
  labels = g_new (guint8, MAX (options->batch_size, 1));
  bs_batcher_start_epoch (batcher, 0);
  for (;;)
    {
      guint got;

      if (images == NULL || g_cancellable_set_error_if_cancelled (cancellable, error))
        {
          bs_batcher_free (batcher);
          bs_model_set_tap_mask (model, NULL);
          return FALSE;
        }
      got = bs_batcher_next (batcher, images, labels);
      if (got == 0)
        break;
      if (bs_model_try_forward (model, images, got, FALSE, collect_tap, &collect, error) == NULL)
        {
          bs_batcher_free (batcher);
          bs_model_set_tap_mask (model, NULL);
          return FALSE;
        }
      if (progress != NULL)
        progress (collect.done, n, user_data);
    }
  bs_batcher_free (batcher);
  bs_model_set_tap_mask (model, NULL);
  g_assert (collect.done == n);
  if (!collect.finite)
    {
      g_set_error (error, BS_ERROR, BS_ERROR_FAILED, _("Layer %s has values that are not finite"), info->name);
      return FALSE;
    }

  /* C = X_c X_c^T, accumulated over chunks of features centred in double. */
  for (gsize f0 = 0; f0 < p; f0 += FEATURE_CHUNK)
    {
      gsize w = MIN (FEATURE_CHUNK, p - f0);

      for (gsize f = 0; f < w; f++)
        {
          double mean = 0.0;

          for (guint i = 0; i < n; i++)
            mean += x[(gsize) i * p + f0 + f];
          mean /= n;
          for (guint i = 0; i < n; i++)
            chunk[(gsize) i * w + f] = x[(gsize) i * p + f0 + f] - mean;
        }
      cblas_dsyrk (CblasRowMajor, CblasUpper, CblasNoTrans, (int) n, (int) w, 1.0, chunk, (int) w, 1.0,
                   gram, (int) n);
    }
  for (guint i = 0; i < n; i++)
    {
      trace += gram[(gsize) i * n + i];
      for (guint j = i + 1; j < n; j++)
        gram[(gsize) j * n + i] = gram[(gsize) i * n + j];
    }
  if (!(trace > 0))
    {
      g_set_error (error, BS_ERROR, BS_ERROR_FAILED,
                   /* Translators: a layer name. */
                   _("Layer %s has no variance over these images, so no principal component"), info->name);
      return FALSE;
    }

  solver = bs_pc1_solver_new (n);
  u = g_new (double, n);
  lambda = bs_pc1_top_eigen (solver, gram, u);
  result->share = lambda / trace;
  result->n_images = n;
  result->scores = g_new (double, n);
  /* bs_pc1_top_eigen () makes the largest |u_i| positive: the largest score too. */
  for (guint i = 0; i < n; i++)
    result->scores[i] = sqrt (MAX (lambda, 0.0)) * u[i];

  result->images = g_array_sized_new (FALSE, FALSE, sizeof (BsDominantImage), n);
  for (guint i = 0; i < n; i++)
    {
      BsDominantImage image = { i, set->labels[i], result->scores[i] };

      g_array_append_val (result->images, image);
    }
  g_array_sort (result->images, compare_magnitude);
  g_array_set_size (result->images, options->top);
  return TRUE;
}
