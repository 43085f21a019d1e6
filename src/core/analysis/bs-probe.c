/* bs-probe.c: linear probes of layers (the method is in bs-probe.h). */
#include "bs-config.h"

#include "bs-probe-private.h"

#include <glib/gi18n-lib.h>
#include <math.h>
#include <string.h>

#include "bs-batcher.h"
#include "bs-blas.h"
#include "bs-error.h"
#include "bs-memory.h"
#include "bs-model-spec.h"
#include "bs-rng.h"
#include "bs-sync.h"
#include "bs-thread-pool.h"

#define POOL_ABOVE 8          /* pool layers larger than 8 x 8 */
#define FORWARD_BATCH 128
#define DEFAULT_MEMORY_LIMIT ((gsize) 1 << 30)

void
bs_probe_options_init (BsProbeOptions *options)
{
  memset (options, 0, sizeof *options);
  options->layers = BS_PROBE_LAYERS_RESIDUAL;
  options->train_images = 5000;
  options->validation_fraction = 0.2;
  options->epochs = 30;
  options->batch_size = 128;
  options->lr = 1e-2;
  options->l2[0] = 1e-4;
  options->l2[1] = 1e-3;
  options->n_l2 = 2;
  options->memory_limit = DEFAULT_MEMORY_LIMIT;
}

/* The nearest batch norm before layer index in its stage and block. */
static gint
batch_norm_before (BsModel *model,
                   guint    index)
{
  const BsLayerInfo *out = bs_model_get_layer (model, index);

  for (guint j = index; j-- > 0;)
    {
      const BsLayerInfo *info = bs_model_get_layer (model, j);

      if (info->stage != out->stage || info->block != out->block)
        break;
      if (info->kind == BS_LAYER_BN)
        return (gint) j;
    }
  return -1;
}

GArray *
bs_probe_select_layers (BsModel        *model,
                        BsProbeLayers   layers,
                        const char     *pattern,
                        GError        **error)
{
  guint n = bs_model_get_n_layers (model);
  g_autofree gboolean *take = g_new0 (gboolean, MAX (n, 1));
  g_autoptr(GArray) indices = g_array_new (FALSE, FALSE, sizeof (guint));
  g_autoptr(GRegex) regex = NULL;
  gint stem_relu = -1;

  if (layers == BS_PROBE_LAYERS_PATTERN)
    {
      g_autoptr(GError) local = NULL;

      if (pattern == NULL || *pattern == '\0')
        {
          g_set_error (error, BS_ERROR, BS_ERROR_INVALID_ARGUMENT,
                       /* Translators: 'all' and 'residual' are values of an option: keep them. */
                       _("Empty layer pattern (use 'all', 'residual' or a regular expression)"));
          return NULL;
        }
      regex = g_regex_new (pattern, G_REGEX_OPTIMIZE, 0, &local);
      if (regex == NULL)
        {
          g_set_error (error, BS_ERROR, BS_ERROR_INVALID_ARGUMENT,
                       /* Translators: a regular expression, then why it is not valid. */
                       _("Layer pattern '%s' is not a valid regular expression: %s"), pattern, local->message);
          return NULL;
        }
    }

  for (guint i = 0; i < n; i++)
    {
      const BsLayerInfo *info = bs_model_get_layer (model, i);

      if (info->stage == BS_LAYER_STAGE_STEM && info->kind == BS_LAYER_RELU)
        stem_relu = (gint) i;
    }
  for (guint i = 0; i < n; i++)
    {
      const BsLayerInfo *info = bs_model_get_layer (model, i);

      switch (layers)
        {
        case BS_PROBE_LAYERS_RESIDUAL:
          if (info->block_output || (gint) i == stem_relu)
            {
              gint bn = batch_norm_before (model, i);

              take[i] = TRUE;
              if (bn >= 0)
                take[bn] = TRUE;
            }
          break;
        case BS_PROBE_LAYERS_PATTERN:
          take[i] = g_regex_match (regex, info->name, 0, NULL);
          break;
        case BS_PROBE_LAYERS_ALL:
        default:
          take[i] = info->kind != BS_LAYER_INPUT && info->kind != BS_LAYER_FC;
          break;
        }
    }
  for (guint i = 0; i < n; i++)
    if (take[i])
      g_array_append_val (indices, i);

  if (indices->len == 0)
    {
      if (layers == BS_PROBE_LAYERS_PATTERN)
        g_set_error (error, BS_ERROR, BS_ERROR_NOT_FOUND,
                     /* Translators: the first %s is a model name (resnet20), the second a regular
                      * expression. */
                     _("No layer of %s matches the pattern '%s'"), bs_model_get_name (model), pattern);
      else
        g_set_error (error, BS_ERROR, BS_ERROR_NOT_FOUND,
                     /* Translators: %s is a model name (resnet20). */
                     _("%s has no layers to probe"), bs_model_get_name (model));
      return NULL;
    }
  return g_steal_pointer (&indices);
}

/* ---- Features ---- */

typedef struct {
  guint    tap;
  guint    f;
  gboolean pooled;
  float   *train;    /* n_train x f */
  float   *test;     /* n_test x f */
} LayerFeatures;

typedef struct {
  LayerFeatures *layers;
  gint          *slot_of_tap;
  float         *dest;       /* the set being filled: 0 train, 1 test */
  gboolean       filling_test;
  guint          row;        /* first row of the batch */
} Gatherer;

static void
layer_feature_shape (const BsLayerInfo *info,
                     guint             *f,
                     gboolean          *pooled)
{
  *pooled = info->height > POOL_ABOVE || info->width > POOL_ABOVE;
  if (*pooled)
    *f = info->channels * (info->height / 2) * (info->width / 2);
  else
    *f = (guint) bs_layer_info_n_features (info);
}

/* The engine's layout is (c, n, y, x); a feature row is one image's (c, y, x), pooled. */
static void
on_tap (const BsLayerInfo *info,
        guint              tap_index,
        const float       *activation,
        guint              batch,
        gpointer           user_data)
{
  Gatherer *g = user_data;
  gint slot = g->slot_of_tap[tap_index];
  LayerFeatures *lf;
  guint h = info->height, w = info->width;
  gsize plane = (gsize) h * w;

  if (slot < 0)
    return;
  lf = &g->layers[slot];
  for (guint n = 0; n < batch; n++)
    {
      float *row = (g->filling_test ? lf->test : lf->train) + (gsize) (g->row + n) * lf->f;

      for (guint c = 0; c < info->channels; c++)
        {
          const float *src = activation + ((gsize) c * batch + n) * plane;

          if (!lf->pooled)
            memcpy (row + c * plane, src, plane * sizeof (float));
          else
            {
              guint oh = h / 2, ow = w / 2;
              float *dst = row + (gsize) c * oh * ow;

              for (guint y = 0; y < oh; y++)
                for (guint x = 0; x < ow; x++)
                  {
                    const float *p = src + (gsize) (2 * y) * w + 2 * x;

                    dst[y * ow + x] = MAX (MAX (p[0], p[1]), MAX (p[w], p[w + 1]));
                  }
            }
        }
    }
}

/* Standardises every column with the mean and deviation of the first
 * n_fit rows of train, divided by sqrt (f); applies it to test as well. */
static void
standardise (LayerFeatures *lf,
             guint          n_fit,
             guint          n_train,
             guint          n_test)
{
  guint f = lf->f;
  g_autofree double *mean = g_new0 (double, f);
  g_autofree double *sq = g_new0 (double, f);
  g_autofree float *shift = g_new (float, f);
  g_autofree float *scale = g_new (float, f);
  double root = sqrt ((double) f);

  for (guint r = 0; r < n_fit; r++)
    {
      const float *x = lf->train + (gsize) r * f;

      for (guint j = 0; j < f; j++)
        mean[j] += x[j];
    }
  for (guint j = 0; j < f; j++)
    mean[j] /= n_fit;
  for (guint r = 0; r < n_fit; r++)
    {
      const float *x = lf->train + (gsize) r * f;

      for (guint j = 0; j < f; j++)
        sq[j] += (x[j] - mean[j]) * (x[j] - mean[j]);
    }
  for (guint j = 0; j < f; j++)
    {
      double sd = sqrt (sq[j] / n_fit);

      shift[j] = (float) mean[j];
      scale[j] = sd > 1e-6 * MAX (1.0, fabs (mean[j])) ? (float) (1.0 / (sd * root)) : 0.0f;
    }
  for (guint r = 0; r < n_train + n_test; r++)
    {
      float *x = r < n_train ? lf->train + (gsize) r * f : lf->test + (gsize) (r - n_train) * f;

      for (guint j = 0; j < f; j++)
        x[j] = (x[j] - shift[j]) * scale[j];
    }
}

/* ---- The run ---- */

typedef struct {
  const BsProbeOptions *options;
  BsModel              *model;
  LayerFeatures        *layers;     /* of the group being fitted */
  BsProbeResult        *results;    /* of the group */
  guint                 n_layers;
  const guint8         *train_labels;
  const guint8         *test_labels;
  guint                 n_fit;
  guint                 n_train;
  guint                 n_test;
  guint                 n_classes;
  gint                  next;       /* atomic: the next layer to fit */
  GMutex                lock;       /* around progress */
  guint                *fitted;     /* layers fitted so far, of all groups */
  guint                 n_total;
  BsProbeProgress       progress;
  gpointer              user_data;
  GCancellable         *cancellable;
} FitWork;

static void
fit_layer (FitWork       *work,
           LayerFeatures *lf,
           BsProbeResult *result)
{
  const BsProbeOptions *o = work->options;
  guint f = lf->f, c = work->n_classes;
  guint n_val = work->n_train - work->n_fit;
  float *w = bs_alloc_floats ((gsize) f * c);
  float *b = g_new (float, c);
  float *logits = bs_alloc_floats ((gsize) MAX (work->n_train, work->n_test) * c);
  double best = -1;

  standardise (lf, work->n_fit, work->n_train, work->n_test);
  for (guint k = 0; k < o->n_l2; k++)
    {
      BsProbeFitter fitter;

      bs_probe_fitter_init (&fitter, o, work->n_fit, f, c, o->l2[k], BS_PROBE_STREAM_STEPS, w, b);
      for (guint e = 1; e <= o->epochs; e++)
        {
          double val;

          if (g_cancellable_is_cancelled (work->cancellable))
            break;
          bs_probe_fitter_epoch (&fitter, lf->train, work->train_labels, work->n_fit);
          val = bs_probe_accuracy (lf->train + (gsize) work->n_fit * f, work->train_labels + work->n_fit, n_val,
                          f, c, w, b, logits);
          if (val > best)
            {
              best = val;
              result->validation_accuracy = val;
              result->train_accuracy = bs_probe_accuracy (lf->train, work->train_labels, work->n_fit, f, c, w, b, logits);
              result->test_accuracy = bs_probe_accuracy (lf->test, work->test_labels, work->n_test, f, c, w, b, logits);
              result->epoch = e;
              result->l2 = o->l2[k];
            }
        }
      bs_probe_fitter_clear (&fitter);
    }
  bs_free_floats (w);
  g_free (b);
  bs_free_floats (logits);
}

static void
fit_worker (gpointer data,
            guint    thread,
            guint    n_threads)
{
  FitWork *work = data;

  (void) thread;
  (void) n_threads;
  for (;;)
    {
      gint i = g_atomic_int_add (&work->next, 1);

      if (i >= (gint) work->n_layers || g_cancellable_is_cancelled (work->cancellable))
        return;
      fit_layer (work, &work->layers[i], &work->results[i]);
      bs_mutex_lock (&work->lock);
      (*work->fitted)++;
      if (work->progress != NULL && !g_cancellable_is_cancelled (work->cancellable))
        work->progress (BS_PROBE_STAGE_FITTING, *work->fitted, work->n_total, &work->results[i], work->user_data);
      bs_mutex_unlock (&work->lock);
    }
}

static void
result_clear (gpointer data)
{
  BsProbeResult *result = data;

  bs_layer_info_clear (&result->info);
}

static gboolean
check_options (const BsProbeOptions  *o,
               GError               **error)
{
  if (!(o->validation_fraction > 0 && o->validation_fraction < 1))
    {
      g_set_error (error, BS_ERROR, BS_ERROR_INVALID_ARGUMENT,
                   /* Translators: %g is the number given. */
                   _("The validation fraction must be between 0 and 1, not %g"), o->validation_fraction);
      return FALSE;
    }
  if (o->epochs < 1 || o->batch_size < 1 || o->n_l2 < 1 || o->n_l2 > BS_PROBE_MAX_L2)
    {
      g_set_error_literal (error, BS_ERROR, BS_ERROR_INVALID_ARGUMENT,
                           _("A probe needs at least one epoch, one image per step and one regularisation"));
      return FALSE;
    }
  if (!(o->lr > 0) || !isfinite (o->lr))
    {
      g_set_error (error, BS_ERROR, BS_ERROR_INVALID_ARGUMENT,
                   /* Translators: %g is the number given. */
                   _("The learning rate of the probes must be positive, not %g"), o->lr);
      return FALSE;
    }
  for (guint k = 0; k < o->n_l2; k++)
    if (!(o->l2[k] >= 0) || !isfinite (o->l2[k]))
      {
        g_set_error (error, BS_ERROR, BS_ERROR_INVALID_ARGUMENT,
                     /* Translators: %g is the number given. */
                     _("The L2 regularisation of the probes must not be negative, not %g"), o->l2[k]);
        return FALSE;
      }
  if (o->model == NULL && o->spec == NULL)
    {
      g_set_error_literal (error, BS_ERROR, BS_ERROR_INVALID_ARGUMENT, _("No model to probe"));
      return FALSE;
    }
  if (o->dataset == NULL && o->dataset_name == NULL)
    {
      g_set_error_literal (error, BS_ERROR, BS_ERROR_INVALID_ARGUMENT, _("No data set to probe with"));
      return FALSE;
    }
  return TRUE;
}

/* Runs the network over the images (train then test), filling the group's features. */
static gboolean
gather (BsModel               *model,
        const BsImageSet      *train_set,
        const guint32         *train_indices,
        guint                  n_train,
        const BsImageSet      *test_set,
        guint                  n_test,
        Gatherer              *g,
        guint                 *images_done,
        guint                  images_total,
        BsProbeProgress        progress,
        gpointer               user_data,
        GCancellable          *cancellable,
        GError               **error)
{
  gsize floats = (gsize) FORWARD_BATCH * train_set->channels * train_set->height * train_set->width;
  float *images = bs_alloc_floats (floats);
  guint32 test_indices[FORWARD_BATCH];

  for (int pass = 0; pass < 2; pass++)
    {
      const BsImageSet *set = pass == 0 ? train_set : test_set;
      guint n = pass == 0 ? n_train : n_test;

      g->filling_test = pass == 1;
      for (guint start = 0; start < n; start += FORWARD_BATCH)
        {
          guint batch = MIN (FORWARD_BATCH, n - start);
          const guint32 *indices = train_indices + start;

          if (g_cancellable_set_error_if_cancelled (cancellable, error))
            {
              bs_free_floats (images);
              return FALSE;
            }
          if (pass == 1)
            {
              for (guint i = 0; i < batch; i++)
                test_indices[i] = start + i;
              indices = test_indices;
            }
          bs_batcher_fill (set, indices, batch, NULL, images, NULL);
          g->row = start;
          if (bs_model_try_forward (model, images, batch, FALSE, on_tap, g, error) == NULL)
            {
              bs_free_floats (images);
              return FALSE;
            }
          *images_done += batch;
          if (progress != NULL)
            progress (BS_PROBE_STAGE_FEATURES, *images_done, images_total, NULL, user_data);
        }
    }
  bs_free_floats (images);
  return TRUE;
}

static GArray *
run (const BsProbeOptions  *o,
     BsModel               *model,
     BsThreadPool          *pool,
     BsDataset             *dataset,
     BsProbeProgress        progress,
     gpointer               user_data,
     BsProbeCounts         *counts,
     GCancellable          *cancellable,
     GError               **error)
{
  const BsImageSet *train_set = &dataset->train, *test_set = &dataset->test;
  g_autoptr(GArray) indices = NULL;
  g_autoptr(GArray) results = NULL;
  g_autofree guint32 *draw = NULL;
  g_autofree guint8 *train_labels = NULL;
  g_autofree gint *slot_of_tap = NULL;
  g_autofree gboolean *mask = NULL;
  guint n_taps = bs_model_get_n_layers (model);
  guint n_train, n_val, n_fit, n_test, images_done = 0, fitted = 0, n_groups = 0;
  gsize row_floats;
  BsRng rng;
  FitWork work = { 0 };

  for (guint i = 0; i < n_taps; i++)
    {
      const BsLayerInfo *info = bs_model_get_layer (model, i);

      if (info->kind == BS_LAYER_INPUT
          && (info->channels != train_set->channels || info->height != train_set->height
              || info->width != train_set->width))
        {
          g_set_error (error, BS_ERROR, BS_ERROR_MISMATCH,
                       /* Translators: a model's name, its input shape, a data set, its images' shape. */
                       _("%s takes %ux%ux%u inputs, but the images of '%s' are %ux%ux%u"),
                       bs_model_get_name (model), info->channels, info->height, info->width,
                       dataset->name, train_set->channels, train_set->height, train_set->width);
          return NULL;
        }
    }

  n_train = o->train_images > 0 ? MIN (o->train_images, train_set->n_images) : train_set->n_images;
  n_test = o->test_images > 0 ? MIN (o->test_images, test_set->n_images) : test_set->n_images;
  n_val = (guint) round (n_train * o->validation_fraction);
  if (n_train < 2 || n_val < 1 || n_val >= n_train || n_test < 1)
    {
      g_set_error (error, BS_ERROR, BS_ERROR_INVALID_ARGUMENT,
                   /* Translators: counts of images: training (fitting and validation) and test. */
                   _("Too few images for probes: %u training images (some held out for validation) and %u test images"),
                   n_train, n_test);
      return NULL;
    }
  n_fit = n_train - n_val;
  *counts = (BsProbeCounts) { .fit = n_fit, .validation = n_val, .test = n_test };

  indices = bs_probe_select_layers (model, o->layers, o->layer_pattern, error);
  if (indices == NULL)
    return NULL;

  /* The images: a permutation of the training split from the seed, its first n_train. */
  draw = g_new (guint32, train_set->n_images);
  for (guint i = 0; i < train_set->n_images; i++)
    draw[i] = i;
  bs_rng_init_stream (&rng, o->seed, BS_PROBE_STREAM_DRAW);
  bs_rng_shuffle (&rng, draw, train_set->n_images);
  train_labels = g_new (guint8, n_train);
  for (guint i = 0; i < n_train; i++)
    train_labels[i] = train_set->labels[draw[i]];

  results = g_array_sized_new (FALSE, TRUE, sizeof (BsProbeResult), indices->len);
  g_array_set_clear_func (results, result_clear);
  g_array_set_size (results, indices->len);
  slot_of_tap = g_new (gint, MAX (n_taps, 1));
  mask = g_new0 (gboolean, MAX (n_taps, 1));
  row_floats = (gsize) n_train + n_test;

  /* Groups of consecutive layers whose features fit the memory limit. */
  for (guint first = 0; first < indices->len; n_groups++)
    {
      gsize bytes = 0;
      guint last = first;

      for (; last < indices->len; last++)
        {
          guint f;
          gboolean pooled;

          layer_feature_shape (bs_model_get_layer (model, g_array_index (indices, guint, last)), &f, &pooled);
          if (last > first && bytes + row_floats * f * sizeof (float) > o->memory_limit)
            break;
          bytes += row_floats * f * sizeof (float);
        }
      first = last;
    }

  work = (FitWork) {
    .options = o, .model = model, .train_labels = train_labels, .test_labels = test_set->labels,
    .n_fit = n_fit, .n_train = n_train, .n_test = n_test, .n_classes = dataset->n_classes,
    .fitted = &fitted, .n_total = indices->len, .progress = progress, .user_data = user_data,
    .cancellable = cancellable,
  };
  g_mutex_init (&work.lock);

  for (guint first = 0; first < indices->len;)
    {
      g_autofree LayerFeatures *layers = NULL;
      Gatherer g = { 0 };
      gsize bytes = 0;
      guint last = first;
      gboolean ok = TRUE;

      for (; last < indices->len; last++)
        {
          guint f;
          gboolean pooled;

          layer_feature_shape (bs_model_get_layer (model, g_array_index (indices, guint, last)), &f, &pooled);
          if (last > first && bytes + row_floats * f * sizeof (float) > o->memory_limit)
            break;
          bytes += row_floats * f * sizeof (float);
        }

      layers = g_new0 (LayerFeatures, last - first);
      for (guint i = 0; i < n_taps; i++)
        {
          slot_of_tap[i] = -1;
          mask[i] = FALSE;
        }
      for (guint s = 0; s < last - first && ok; s++)
        {
          guint tap = g_array_index (indices, guint, first + s);
          const BsLayerInfo *info = bs_model_get_layer (model, tap);
          BsProbeResult *result = &g_array_index (results, BsProbeResult, first + s);

          layers[s].tap = tap;
          layer_feature_shape (info, &layers[s].f, &layers[s].pooled);
          layers[s].train = bs_try_alloc_floats ((gsize) n_train * layers[s].f);
          layers[s].test = bs_try_alloc_floats ((gsize) n_test * layers[s].f);
          if (layers[s].train == NULL || layers[s].test == NULL)
            {
              g_set_error (error, BS_ERROR, BS_ERROR_FAILED,
                           /* Translators: a layer's name, then megabytes. */
                           _("Not enough memory for the features of %s (%.0f MB): use fewer images"),
                           info->name, row_floats * layers[s].f * 4 / 1e6);
              ok = FALSE;
            }
          slot_of_tap[tap] = (gint) s;
          mask[tap] = TRUE;
          bs_layer_info_copy (&result->info, info);
          result->tap_index = tap;
          result->features = layers[s].f;
          result->pooled = layers[s].pooled;
          result->train_accuracy = result->validation_accuracy = result->test_accuracy = NAN;
        }

      if (ok)
        {
          g = (Gatherer) { .layers = layers, .slot_of_tap = slot_of_tap };
          bs_model_set_tap_mask (model, mask);
          ok = gather (model, train_set, draw, n_train, test_set, n_test, &g, &images_done,
                       n_groups * (guint) row_floats, progress, user_data, cancellable, error);
        }
      if (ok)
        {
          work.layers = layers;
          work.results = &g_array_index (results, BsProbeResult, first);
          work.n_layers = last - first;
          work.next = 0;
          bs_thread_pool_run (pool, fit_worker, &work);
          ok = !g_cancellable_set_error_if_cancelled (cancellable, error);
        }

      for (guint s = 0; s < last - first; s++)
        {
          bs_free_floats (layers[s].train);
          bs_free_floats (layers[s].test);
        }
      if (!ok)
        {
          g_mutex_clear (&work.lock);
          return NULL;
        }
      first = last;
    }
  g_mutex_clear (&work.lock);
  return g_steal_pointer (&results);
}

GArray *
bs_probe_run (const BsProbeOptions  *options,
              BsProbeProgress        progress,
              gpointer               user_data,
              BsProbeCounts         *counts,
              GCancellable          *cancellable,
              GError               **error)
{
  g_autoptr(BsDataset) dataset = NULL;
  g_autoptr(BsThreadPool) pool = NULL;
  g_autoptr(BsThreadPool) saved_pool = NULL;
  BsEngineConfig config;
  BsModel *model = options->model;
  BsProbeCounts unused;
  GArray *results;

  if (!check_options (options, error))
    return NULL;
  if (options->dataset != NULL)
    dataset = bs_dataset_ref (options->dataset);
  else
    {
      dataset = bs_dataset_load (options->dataset_name, options->data_dir, error);
      if (dataset == NULL)
        return NULL;
    }
  if (model == NULL)
    {
      /* A checkpoint keeps its own head: its class count need not be the data set's. */
      model = bs_model_spec_build (options->spec, dataset->train.channels, dataset->train.height,
                                   dataset->train.width,
                                   bs_model_spec_is_path (options->spec) ? 0 : dataset->n_classes,
                                   options->init_seed, error);
      if (model == NULL)
        return NULL;
    }
  else
    saved_pool = bs_thread_pool_ref (bs_model_get_pool (model));

  config = options->engine ? *options->engine : *bs_engine_config_get_default ();
  if (options->threads > 0)
    config.threads = options->threads;
  pool = bs_thread_pool_new_for_config (&config);
  bs_model_set_pool (model, pool);

  /* The engine's threads and the fitting threads call BLAS themselves. */
  bs_blas_guard_enter ();
  results = run (options, model, pool, dataset, progress, user_data, counts ? counts : &unused,
                 cancellable, error);
  bs_blas_guard_leave ();

  bs_model_set_tap_mask (model, NULL);
  if (model != options->model)
    bs_model_free (model);
  else
    bs_model_set_pool (model, saved_pool);
  return results;
}
