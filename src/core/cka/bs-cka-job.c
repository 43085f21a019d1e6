/* bs-cka-job.c: the CKA protocol, from models and data (or .npy folders) to snapshots. */
#include "bs-cka-job.h"

#include <string.h>

#include "bs-batcher.h"
#include "bs-blas.h"
#include "bs-cka-accumulator.h"
#include "bs-cka-protocol.h"
#include "bs-dtype.h"
#include "bs-error.h"
#include "bs-gram.h"
#include "bs-model-spec.h"
#include "bs-npy.h"

void
bs_cka_job_options_init (BsCkaJobOptions *options)
{
  memset (options, 0, sizeof *options);
  options->batch_size = 256;
  options->passes = 10;
  options->layers = BS_CKA_LAYERS_ALL;
}

BsCkaLayerSelection
bs_cka_layer_selection_parse (const char *text)
{
  if (text == NULL || g_strcmp0 (text, "all") == 0)
    return BS_CKA_LAYERS_ALL;
  if (g_strcmp0 (text, "residual") == 0)
    return BS_CKA_LAYERS_RESIDUAL;
  return BS_CKA_LAYERS_PATTERN;
}

GArray *
bs_cka_job_select_layers (BsModel              *model,
                          BsCkaLayerSelection   layers,
                          const char           *layer_pattern,
                          GError              **error)
{
  g_autoptr(GArray) indices = g_array_new (FALSE, FALSE, sizeof (guint));
  g_autoptr(GRegex) regex = NULL;
  guint n = bs_model_get_n_layers (model);

  if (layers == BS_CKA_LAYERS_PATTERN)
    {
      g_autoptr(GError) local = NULL;

      if (layer_pattern == NULL || *layer_pattern == '\0')
        {
          g_set_error (error, BS_ERROR, BS_ERROR_INVALID_ARGUMENT,
                       "Empty layer pattern (use 'all', 'residual' or a regular expression)");
          return NULL;
        }
      regex = g_regex_new (layer_pattern, G_REGEX_OPTIMIZE, 0, &local);
      if (regex == NULL)
        {
          g_set_error (error, BS_ERROR, BS_ERROR_INVALID_ARGUMENT,
                       "Layer pattern '%s' is not a valid regular expression: %s",
                       layer_pattern, local->message);
          return NULL;
        }
    }

  for (guint i = 0; i < n; i++)
    {
      const BsLayerInfo *info = bs_model_get_layer (model, i);
      gboolean take;

      switch (layers)
        {
        case BS_CKA_LAYERS_RESIDUAL:
          take = info->block_output;
          break;
        case BS_CKA_LAYERS_PATTERN:
          take = g_regex_match (regex, info->name, 0, NULL);
          break;
        case BS_CKA_LAYERS_ALL:
        default:
          take = TRUE;
          break;
        }
      if (take)
        g_array_append_val (indices, i);
    }

  if (indices->len == 0)
    {
      g_set_error (error, BS_ERROR, BS_ERROR_INVALID_ARGUMENT,
                   layers == BS_CKA_LAYERS_PATTERN
                   ? "No layer of %s matches the pattern '%s'"
                   : "%s has no residual block outputs%s",
                   bs_model_get_name (model),
                   layers == BS_CKA_LAYERS_PATTERN ? layer_pattern : "");
      return NULL;
    }
  return g_steal_pointer (&indices);
}

static void
clear_layer_info (gpointer data)
{
  bs_layer_info_clear (data);
}

static GArray *
new_layer_array (void)
{
  GArray *array = g_array_new (FALSE, TRUE, sizeof (BsLayerInfo));

  g_array_set_clear_func (array, clear_layer_info);
  return array;
}

GArray *
bs_cka_job_describe_layers (BsModel              *model,
                            BsCkaLayerSelection   layers,
                            const char           *layer_pattern,
                            GError              **error)
{
  g_autoptr(GArray) indices = bs_cka_job_select_layers (model, layers, layer_pattern, error);
  GArray *infos;

  if (indices == NULL)
    return NULL;

  infos = new_layer_array ();
  g_array_set_size (infos, indices->len);
  for (guint i = 0; i < indices->len; i++)
    bs_layer_info_copy (&g_array_index (infos, BsLayerInfo, i),
                        bs_model_get_layer (model, g_array_index (indices, guint, i)));
  return infos;
}

/* ---- Shared by both sources: the threads, the Grams, the accumulator and the snapshots. */

static gboolean
set_cancelled (GCancellable  *cancellable,
               GError       **error)
{
  return g_cancellable_set_error_if_cancelled (cancellable, error);
}

/* Grams of n examples need O(n^2) memory: say how much, and what to do. */
static void
set_memory_error (GError **error,
                  guint    n)
{
  guint64 bytes = (guint64) bs_gram_triangles_doubles (2, n) * sizeof (double) + bs_gram_workspace_bytes (n);
  g_autofree char *size = g_format_size (bytes);

  /* g_format_size() puts a no-break space before the unit: a plain one reads everywhere. */
  for (char *p = strstr (size, "\xc2\xa0"); p != NULL; p = strstr (p, "\xc2\xa0"))
    {
      *p = ' ';
      memmove (p + 1, p + 2, strlen (p + 2) + 1);
    }

  g_set_error (error, BS_ERROR, BS_ERROR_FAILED,
               "Not enough memory for Grams of %u examples (about %s): use a smaller minibatch",
               n, size);
}

/* Where the Grams of a job go. */
typedef struct {
  BsThreadPool        *pool;      /* the job's threads, which its models share */
  BsGramWorkspace     *ws;
  BsCkaAccumulator    *acc;
  double              *storage;
  BsGramTriangle       tris[2];   /* a layer's Gram (and, for models, its batch norm's) */
  BsCkaSnapshotHeader  header;    /* its layers and names are borrowed */
  BsCkaSnapshot       *last;
} Sink;

static gboolean
sink_init (Sink                 *sink,
           const BsEngineConfig *config,
           GArray               *rows,
           GArray               *cols,
           const char           *model_a,
           const char           *model_b,
           guint                 total,
           guint                 n,
           gboolean              biased,
           guint                 n_triangles,
           GError              **error)
{
  sink->pool = bs_thread_pool_new_for_config (config);
  sink->acc = bs_cka_accumulator_new (rows->len, cols->len, n, biased, rows == cols, error);
  if (sink->acc == NULL)
    return FALSE;
  sink->ws = bs_gram_workspace_new_for_pool (sink->pool);
  bs_cka_accumulator_set_workspace (sink->acc, sink->ws);
  sink->storage = g_try_malloc_n (bs_gram_triangles_doubles (n_triangles, n), sizeof (double));
  if (sink->storage == NULL || !bs_gram_workspace_reserve (sink->ws, n))
    {
      set_memory_error (error, n);
      return FALSE;
    }
  bs_gram_triangles_init (sink->tris, n_triangles, n, sink->storage);
  sink->header = (BsCkaSnapshotHeader) {
    .rows = (const BsLayerInfo *) rows->data, .n_rows = rows->len,
    .cols = (const BsLayerInfo *) cols->data, .n_cols = cols->len,
    .model_a = model_a, .model_b = model_b,
    .minibatches_total = total,
  };
  return TRUE;
}

/* Adds the minibatch whose Grams were handed over and publishes the new estimate. */
static gboolean
sink_end_minibatch (Sink               *sink,
                    BsCkaSnapshotFunc   callback,
                    gpointer            user_data,
                    GError            **error)
{
  if (!bs_cka_accumulator_end_minibatch (sink->acc, error))
    return FALSE;
  g_clear_pointer (&sink->last, bs_cka_snapshot_unref);
  sink->last = bs_cka_accumulator_make_snapshot (sink->acc, &sink->header);
  if (callback)
    callback (sink->last, user_data);
  return TRUE;
}

static void
sink_clear (Sink *sink)
{
  g_clear_pointer (&sink->last, bs_cka_snapshot_unref);
  g_clear_pointer (&sink->acc, bs_cka_accumulator_free);
  g_clear_pointer (&sink->ws, bs_gram_workspace_free);   /* after the accumulator, which borrows it */
  g_clear_pointer (&sink->pool, bs_thread_pool_unref);
  g_clear_pointer (&sink->storage, g_free);
}

/* ---- Models and a data set. */

/* How a tapped layer's Gram is formed. */
enum {
  PLAN_DIRECT,        /* bs_gram_from_cnhw */
  PLAN_WITH_NORM,     /* and the Gram of the batch norm that follows (bs_gram_from_cnhw_affine) */
  PLAN_FROM_CONV,     /* that batch norm: not tapped, so the engine fuses it with what follows */
};

typedef struct {
  BsCkaAccumulator *acc;
  BsCkaSide         side;
  BsGramWorkspace  *ws;
  BsGramTriangle    tri;        /* a tapped layer's Gram */
  BsGramTriangle    tri_norm;   /* and its batch norm's (PLAN_WITH_NORM) */
  gint             *row_of_tap; /* tap index -> selected layer or -1 */
  guint8           *plan;       /* tap index -> PLAN_* */
  float           **scale_of_tap;
  guint             n_taps;
  guint             n;
  GCancellable     *cancellable;
  gboolean          cancelled;
  gboolean          bad_batch;
} TapContext;

static void
tap_gram (const BsLayerInfo *info,
          guint              tap_index,
          const float       *activation,
          guint              batch,
          gpointer           user_data)
{
  TapContext *ctx = user_data;
  gboolean finite;
  gsize spatial;
  gint row;

  if (ctx->cancelled || tap_index >= ctx->n_taps || (row = ctx->row_of_tap[tap_index]) < 0)
    return;
  /* Between layers: the engine finishes the pass, but without the Grams that dominate it. */
  if (g_cancellable_is_cancelled (ctx->cancellable))
    {
      ctx->cancelled = TRUE;
      return;
    }
  if (batch != ctx->n)
    {
      ctx->bad_batch = TRUE;
      return;
    }

  spatial = (gsize) info->height * info->width;
  if (ctx->plan[tap_index] == PLAN_WITH_NORM)
    {
      finite = bs_gram_triangles_from_cnhw (ctx->ws, activation, info->channels, batch, spatial,
                                            ctx->scale_of_tap[tap_index], &ctx->tri,
                                            &ctx->tri_norm);
      bs_cka_accumulator_set_gram_triangle (ctx->acc, ctx->side,
                                            (guint) ctx->row_of_tap[tap_index + 1],
                                            &ctx->tri_norm, finite);
    }
  else
    finite = bs_gram_triangles_from_cnhw (ctx->ws, activation, info->channels, batch, spatial,
                                          NULL, &ctx->tri, NULL);
  bs_cka_accumulator_set_gram_triangle (ctx->acc, ctx->side, (guint) row, &ctx->tri, finite);
}

typedef struct {
  BsModel  *model;
  gboolean  owned;
  char     *spec;          /* what the snapshot records */
  GArray   *indices;       /* selected tap indices */
  GArray   *infos;         /* their BsLayerInfo */
  gint     *row_of_tap;
  guint8   *plan;
  float   **scale_of_tap;   /* PLAN_WITH_NORM taps: the batch norm's scales */
  gboolean  masked;         /* a tap mask was set (and is removed at the end) */
  BsThreadPool   *saved_pool;     /* a borrowed model's own threads, given back at the end */
} JobModel;

static void
set_tap_mask (JobModel *jm)
{
  guint n = bs_model_get_n_layers (jm->model);
  g_autofree gboolean *mask = g_new (gboolean, MAX (n, 1));

  for (guint i = 0; i < n; i++)
    mask[i] = jm->row_of_tap[i] >= 0 && jm->plan[i] != PLAN_FROM_CONV;
  bs_model_set_tap_mask (jm->model, mask);
  jm->masked = TRUE;
}

/* The job's models and Gram workspace run on one pool (see bs_model_set_pool()). */
static void
job_model_set_pool (JobModel     *jm,
                    BsThreadPool *pool)
{
  if (!jm->owned)
    jm->saved_pool = bs_thread_pool_ref (bs_model_get_pool (jm->model));
  bs_model_set_pool (jm->model, pool);
}

static void
job_model_clear (JobModel *jm)
{
  if (jm->scale_of_tap != NULL)
    for (guint i = 0; i < bs_model_get_n_layers (jm->model); i++)
      g_free (jm->scale_of_tap[i]);
  g_clear_pointer (&jm->scale_of_tap, g_free);
  if (jm->masked)
    bs_model_set_tap_mask (jm->model, NULL);
  if (jm->saved_pool != NULL)
    {
      bs_model_set_pool (jm->model, jm->saved_pool);
      g_clear_pointer (&jm->saved_pool, bs_thread_pool_unref);
    }
  if (jm->owned)
    g_clear_pointer (&jm->model, bs_model_free);
  g_clear_pointer (&jm->spec, g_free);
  g_clear_pointer (&jm->indices, g_array_unref);
  g_clear_pointer (&jm->infos, g_array_unref);
  g_clear_pointer (&jm->row_of_tap, g_free);
  g_clear_pointer (&jm->plan, g_free);
}

/* The model's input layer, if it lists one, must have the data's shape. */
static gboolean
check_input_shape (BsModel          *model,
                   const char       *label,
                   const BsImageSet *set,
                   const char       *dataset_name,
                   GError          **error)
{
  for (guint i = 0; i < bs_model_get_n_layers (model); i++)
    {
      const BsLayerInfo *info = bs_model_get_layer (model, i);

      if (info->kind != BS_LAYER_INPUT)
        continue;
      if (info->channels != set->channels || info->height != set->height ||
          info->width != set->width)
        {
          g_set_error (error, BS_ERROR, BS_ERROR_MISMATCH,
                       "Model %s (%s) takes %ux%ux%u inputs, but the images of '%s' are %ux%ux%u: "
                       "both models must see the same data",
                       label, bs_model_get_name (model), info->channels, info->height,
                       info->width, dataset_name, set->channels, set->height, set->width);
          return FALSE;
        }
    }
  return TRUE;
}

static gboolean
job_model_setup (JobModel              *jm,
                 const char            *label,
                 BsModel               *given,
                 const char            *spec,
                 guint64                init_seed,
                 BsDataset             *dataset,
                 const BsCkaJobOptions *options,
                 const BsEngineConfig  *config,
                 GError               **error)
{
  const BsImageSet *set = &dataset->test;
  guint n;

  if (given)
    {
      jm->model = given;
      jm->spec = g_strdup (spec ? spec : bs_model_get_name (given));
    }
  else
    {
      g_autoptr(GError) local = NULL;

      jm->model = bs_model_spec_build (spec, set->channels, set->height, set->width,
                                       dataset->n_classes, init_seed, &local);
      if (jm->model == NULL)
        {
          g_set_error (error, local->domain, local->code, "Model %s: %s", label, local->message);
          return FALSE;
        }
      jm->owned = TRUE;
      jm->spec = g_strdup (spec);
    }

  if (!check_input_shape (jm->model, label, set, dataset->name, error))
    return FALSE;

  jm->indices = bs_cka_job_select_layers (jm->model, options->layers, options->layer_pattern,
                                          error);
  if (jm->indices == NULL)
    {
      g_prefix_error (error, "Model %s: ", label);
      return FALSE;
    }
  jm->infos = new_layer_array ();
  g_array_set_size (jm->infos, jm->indices->len);
  n = bs_model_get_n_layers (jm->model);
  jm->row_of_tap = g_new (gint, MAX (n, 1));
  for (guint i = 0; i < n; i++)
    jm->row_of_tap[i] = -1;
  for (guint r = 0; r < jm->indices->len; r++)
    {
      guint tap = g_array_index (jm->indices, guint, r);

      bs_layer_info_copy (&g_array_index (jm->infos, BsLayerInfo, r),
                          bs_model_get_layer (jm->model, tap));
      jm->row_of_tap[tap] = (gint) r;
    }

  /* A convolution followed by a selected batch norm: one pass of the Gram
   * kernel gives both Grams (bs_gram_from_cnhw_affine), with the norm's
   * evaluation-mode scales, which are exactly what the engine applies. The
   * norm is then not tapped at all, so the engine fuses it with the ReLU or
   * the sum after it. Below 8 features per channel the kernel's
   * per-channel sums cost more than they save. The configuration may ask
   * for every Gram to be formed directly, for comparisons. */
  jm->plan = g_new0 (guint8, MAX (n, 1));
  jm->scale_of_tap = g_new0 (float *, MAX (n, 1));
  for (guint t = 0; t + 1 < n && !config->cka_direct_grams; t++)
    {
      const BsLayerInfo *x = bs_model_get_layer (jm->model, t);
      g_autofree float *scale = g_new (float, MAX (x->channels, 1));

      if (jm->row_of_tap[t] >= 0 && jm->row_of_tap[t + 1] >= 0 &&
          (x->kind == BS_LAYER_CONV || x->kind == BS_LAYER_SHORTCUT) &&
          (gsize) x->height * x->width >= 8 &&
          bs_model_get_eval_scale (jm->model, t + 1, t, scale))
        {
          jm->plan[t] = PLAN_WITH_NORM;
          jm->plan[t + 1] = PLAN_FROM_CONV;
          jm->scale_of_tap[t] = g_steal_pointer (&scale);
          t++;
        }
    }
  return TRUE;
}

static BsCkaSnapshot *
run_models (const BsCkaJobOptions  *options,
            const BsEngineConfig   *config,
            BsCkaSnapshotFunc       callback,
            gpointer                user_data,
            GCancellable           *cancellable,
            GError                **error)
{
  g_autoptr(BsDataset) dataset = NULL;
  g_autoptr(BsBatcher) batcher = NULL;
  JobModel ma = { 0 }, mb = { 0 };
  TapContext ctx_a = { 0 }, ctx_b = { 0 };
  Sink sink = { 0 };
  g_autofree float *images = NULL;
  g_autofree guint8 *labels = NULL;
  BsCkaSnapshot *result = NULL;
  BsCkaProtocolCounts counts;
  gboolean same;
  guint n = options->batch_size;

  if (options->model_a == NULL && options->spec_a == NULL)
    {
      g_set_error (error, BS_ERROR, BS_ERROR_INVALID_ARGUMENT, "No model A given");
      return NULL;
    }

  if (options->dataset)
    dataset = bs_dataset_ref (options->dataset);
  else if (options->dataset_name)
    {
      dataset = bs_dataset_load_test (options->dataset_name, options->data_dir, error);
      if (dataset == NULL)
        return NULL;
    }
  else
    {
      g_set_error (error, BS_ERROR, BS_ERROR_INVALID_ARGUMENT, "No data set given");
      return NULL;
    }

  if (!bs_cka_protocol_count (dataset->test.n_images, options->limit, n, options->passes,
                              dataset->name, &counts, error))
    return NULL;

  if (set_cancelled (cancellable, error))
    return NULL;

  if (!job_model_setup (&ma, "A", options->model_a, options->spec_a, options->init_seed_a,
                        dataset, options, config, error))
    goto out;

  /* B is A: no B given, the same object, or the same spec built the same way. */
  same = (options->model_b == NULL && options->spec_b == NULL) ||
         (options->model_b != NULL && options->model_b == options->model_a) ||
         (options->model_b == NULL && options->model_a == NULL &&
          g_strcmp0 (options->spec_a, options->spec_b) == 0 &&
          options->init_seed_a == options->init_seed_b);
  if (!same && !job_model_setup (&mb, "B", options->model_b, options->spec_b,
                                 options->init_seed_b, dataset, options, config, error))
    goto out;

  /* Only the selected layers reach the taps; the engine may fuse the rest. */
  set_tap_mask (&ma);
  if (!same)
    set_tap_mask (&mb);

  /* Two Grams at a time: a convolution's and its batch norm's. */
  if (!sink_init (&sink, config, ma.infos, same ? ma.infos : mb.infos, ma.spec,
                  same ? ma.spec : mb.spec, counts.minibatches_total, n, options->biased, 2, error))
    goto out;
  /* The job's own threads; borrowed models get theirs back at the end. */
  job_model_set_pool (&ma, sink.pool);
  if (!same)
    job_model_set_pool (&mb, sink.pool);
  ctx_a = (TapContext) { sink.acc, BS_CKA_SIDE_A, sink.ws, sink.tris[0], sink.tris[1], ma.row_of_tap,
                         ma.plan, ma.scale_of_tap, bs_model_get_n_layers (ma.model), n,
                         cancellable, FALSE, FALSE };
  if (!same)
    ctx_b = (TapContext) { sink.acc, BS_CKA_SIDE_B, sink.ws, sink.tris[0], sink.tris[1], mb.row_of_tap,
                           mb.plan, mb.scale_of_tap, bs_model_get_n_layers (mb.model), n,
                           cancellable, FALSE, FALSE };

  batcher = bs_batcher_new (&dataset->test, n);
  bs_batcher_set_shuffle (batcher, TRUE, options->seed);
  bs_batcher_set_limit (batcher, counts.images_per_pass);
  bs_batcher_set_drop_last (batcher, TRUE);
  images = g_new (float, bs_batcher_get_batch_floats (batcher));
  labels = g_new (guint8, n);

  for (guint pass = 0; pass < options->passes; pass++)
    for (guint i = 0; i < counts.minibatches_per_pass; i++)
      {
        guint got;

        if (set_cancelled (cancellable, error))
          goto out;

        got = bs_batcher_get_batch (batcher, pass, i, images, labels);
        if (got != n)
          {
            g_set_error (error, BS_ERROR, BS_ERROR_FAILED,
                         "Internal error: minibatch %u of pass %u has %u images, not %u",
                         i, pass, got, n);
            goto out;
          }

        bs_model_forward (ma.model, images, n, FALSE, tap_gram, &ctx_a);
        if (!same && !ctx_a.cancelled)
          bs_model_forward (mb.model, images, n, FALSE, tap_gram, &ctx_b);
        if (ctx_a.cancelled || ctx_b.cancelled)
          {
            bs_cka_accumulator_discard_minibatch (sink.acc);
            set_cancelled (cancellable, error);
            goto out;
          }
        if (ctx_a.bad_batch || ctx_b.bad_batch)
          {
            g_set_error (error, BS_ERROR, BS_ERROR_FAILED,
                         "Internal error: a model tapped a batch of another size than %u", n);
            goto out;
          }
        if (!sink_end_minibatch (&sink, callback, user_data, error))
          goto out;
      }

  result = g_steal_pointer (&sink.last);

out:
  /* The models first: they give the borrowed ones their own pool back. */
  job_model_clear (&ma);
  job_model_clear (&mb);
  sink_clear (&sink);
  return result;
}

/* ---- Folders of .npy activations. */

typedef struct {
  char      *dir;
  GPtrArray *files;   /* BsNpyFile */
  GArray    *infos;   /* BsLayerInfo */
} ActsDir;

static void
acts_dir_clear (ActsDir *d)
{
  g_clear_pointer (&d->dir, g_free);
  g_clear_pointer (&d->files, g_ptr_array_unref);
  g_clear_pointer (&d->infos, g_array_unref);
}

static int
compare_names (gconstpointer a,
               gconstpointer b)
{
  return strcmp (*(char * const *) a, *(char * const *) b);
}

static gboolean
acts_dir_open (ActsDir     *d,
               const char  *dir,
               GError     **error)
{
  g_autoptr(GError) local = NULL;
  g_autoptr(GDir) gdir = g_dir_open (dir, 0, &local);
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  const char *name;

  if (gdir == NULL)
    {
      g_set_error (error, BS_ERROR, BS_ERROR_NOT_FOUND,
                   "Cannot read the activation folder '%s': %s", dir, local->message);
      return FALSE;
    }
  while ((name = g_dir_read_name (gdir)) != NULL)
    if (g_str_has_suffix (name, ".npy"))
      g_ptr_array_add (names, g_strdup (name));
  if (names->len == 0)
    {
      g_set_error (error, BS_ERROR, BS_ERROR_NOT_FOUND,
                   "The activation folder '%s' has no .npy files", dir);
      return FALSE;
    }
  g_ptr_array_sort (names, compare_names);

  d->dir = g_strdup (dir);
  d->files = g_ptr_array_new_with_free_func ((GDestroyNotify) bs_npy_file_free);
  d->infos = new_layer_array ();
  for (guint i = 0; i < names->len; i++)
    {
      const char *base = g_ptr_array_index (names, i);
      g_autofree char *path = g_build_filename (dir, base, NULL);
      BsNpyFile *file = bs_npy_file_open (path, error);
      BsLayerInfo info = { 0 };
      const gint64 *shape;
      guint ndim;

      if (file == NULL)
        return FALSE;
      g_ptr_array_add (d->files, file);
      ndim = bs_npy_file_get_ndim (file);
      shape = bs_npy_file_get_shape (file);
      if (ndim == 0)
        {
          g_set_error (error, BS_ERROR, BS_ERROR_FORMAT,
                       "'%s' is a scalar; activations need a first axis of examples", path);
          return FALSE;
        }
      if (bs_npy_file_get_row_length (file) > G_MAXUINT)
        {
          g_set_error (error, BS_ERROR, BS_ERROR_FORMAT,
                       "'%s' has too many features per example (%" G_GSIZE_FORMAT ")",
                       path, bs_npy_file_get_row_length (file));
          return FALSE;
        }

      info.name = g_strndup (base, strlen (base) - strlen (".npy"));
      info.kind = BS_LAYER_OTHER;
      info.stage = -1;
      info.block = -1;
      if (ndim == 4 && shape[1] <= G_MAXUINT && shape[2] <= G_MAXUINT && shape[3] <= G_MAXUINT)
        {
          /* (examples, channels, height, width), as PyTorch saves conv outputs. */
          info.channels = (guint) shape[1];
          info.height = (guint) shape[2];
          info.width = (guint) shape[3];
        }
      else
        {
          info.channels = (guint) bs_npy_file_get_row_length (file);
          info.height = 1;
          info.width = 1;
        }
      g_array_append_val (d->infos, info);
    }
  return TRUE;
}

static gboolean
same_folder (const char *a,
             const char *b)
{
  g_autoptr(GFile) fa = g_file_new_for_path (a);
  g_autoptr(GFile) fb = g_file_new_for_path (b);
  g_autoptr(GFileInfo) ia = NULL;
  g_autoptr(GFileInfo) ib = NULL;

  if (g_file_equal (fa, fb))
    return TRUE;
  ia = g_file_query_info (fa, G_FILE_ATTRIBUTE_ID_FILE, G_FILE_QUERY_INFO_NONE, NULL, NULL);
  ib = g_file_query_info (fb, G_FILE_ATTRIBUTE_ID_FILE, G_FILE_QUERY_INFO_NONE, NULL, NULL);
  return ia && ib && g_strcmp0 (g_file_info_get_attribute_string (ia, G_FILE_ATTRIBUTE_ID_FILE),
                                g_file_info_get_attribute_string (ib, G_FILE_ATTRIBUTE_ID_FILE)) == 0;
}

/* The layers the options select among a folder's files (by name, as for models). */
static gboolean
acts_dir_select (ActsDir                *d,
                 const BsCkaJobOptions  *options,
                 GError                **error)
{
  g_autoptr(GRegex) regex = NULL;
  g_autoptr(GError) local = NULL;

  if (options->layers == BS_CKA_LAYERS_ALL)
    return TRUE;
  if (options->layers == BS_CKA_LAYERS_RESIDUAL)
    {
      g_set_error (error, BS_ERROR, BS_ERROR_INVALID_ARGUMENT,
                   "Activation folders do not say which layers are block outputs: "
                   "select them with a name pattern instead of 'residual'");
      return FALSE;
    }
  if (options->layer_pattern == NULL || *options->layer_pattern == '\0')
    {
      g_set_error (error, BS_ERROR, BS_ERROR_INVALID_ARGUMENT,
                   "Empty layer pattern (use 'all' or a regular expression)");
      return FALSE;
    }
  regex = g_regex_new (options->layer_pattern, 0, 0, &local);
  if (regex == NULL)
    {
      g_set_error (error, BS_ERROR, BS_ERROR_INVALID_ARGUMENT,
                   "Layer pattern '%s' is not a valid regular expression: %s",
                   options->layer_pattern, local->message);
      return FALSE;
    }
  for (guint i = d->infos->len; i-- > 0;)
    if (!g_regex_match (regex, g_array_index (d->infos, BsLayerInfo, i).name, 0, NULL))
      {
        g_array_remove_index (d->infos, i);
        g_ptr_array_remove_index (d->files, i);
      }
  if (d->infos->len == 0)
    {
      g_set_error (error, BS_ERROR, BS_ERROR_INVALID_ARGUMENT,
                   "No file in '%s' matches the layer pattern '%s'", d->dir, options->layer_pattern);
      return FALSE;
    }
  return TRUE;
}

/* Reads one minibatch of one layer and hands its Gram to the accumulator. */
static gboolean
acts_feed (BsCkaAccumulator *acc,
           BsCkaSide         side,
           guint             layer,
           BsNpyFile        *file,
           guint64           first,
           guint             n,
           BsGramWorkspace  *ws,
           void            **buffer,
           gsize            *buffer_size,
           BsGramTriangle   *tri,
           GError          **error)
{
  gsize p = bs_npy_file_get_row_length (file);
  gboolean f64 = bs_npy_file_get_dtype (file) == BS_DTYPE_F64;
  gsize need = (gsize) n * p * (f64 ? sizeof (double) : sizeof (float));
  gboolean finite;

  if (*buffer_size < need)
    {
      g_free (*buffer);
      *buffer = g_malloc (MAX (need, 1));
      *buffer_size = need;
    }
  if (!bs_npy_file_read_rows (file, first, n, f64 ? BS_DTYPE_F64 : BS_DTYPE_F32, *buffer, error))
    return FALSE;
  finite = f64 ? bs_gram_triangle_from_rows_f64 (ws, *buffer, n, p, tri)
               : bs_gram_triangle_from_rows_f32 (ws, *buffer, n, p, tri);
  bs_cka_accumulator_set_gram_triangle (acc, side, layer, tri, finite);
  return TRUE;
}

static BsCkaSnapshot *
run_acts (const BsCkaJobOptions  *options,
          const BsEngineConfig   *config,
          BsCkaSnapshotFunc       callback,
          gpointer                user_data,
          GCancellable           *cancellable,
          GError                **error)
{
  ActsDir da = { 0 }, db = { 0 };
  Sink sink = { 0 };
  g_autofree void *buffer = NULL;
  gsize buffer_size = 0;
  BsCkaSnapshot *result = NULL;
  gboolean same = options->acts_dir_b == NULL || same_folder (options->acts_dir_a, options->acts_dir_b);
  guint n = options->batch_size;
  guint64 n_examples;
  guint total;

  if (!acts_dir_open (&da, options->acts_dir_a, error) || !acts_dir_select (&da, options, error))
    goto out;
  if (!same && (!acts_dir_open (&db, options->acts_dir_b, error) ||
                !acts_dir_select (&db, options, error)))
    goto out;

  /* Every file of both folders must hold the same examples. */
  n_examples = bs_npy_file_get_n_rows (g_ptr_array_index (da.files, 0));
  for (guint s = 0; s < (same ? 1u : 2u); s++)
    {
      ActsDir *d = s == 0 ? &da : &db;

      for (guint i = 0; i < d->files->len; i++)
        {
          BsNpyFile *file = g_ptr_array_index (d->files, i);

          if (bs_npy_file_get_n_rows (file) != n_examples)
            {
              g_set_error (error, BS_ERROR, BS_ERROR_MISMATCH,
                           "'%s' has %" G_GUINT64_FORMAT " examples, but '%s' has %" G_GUINT64_FORMAT
                           ": every activation file must hold the same examples in the same order",
                           bs_npy_file_get_path (file), bs_npy_file_get_n_rows (file),
                           bs_npy_file_get_path (g_ptr_array_index (da.files, 0)), n_examples);
              goto out;
            }
        }
    }
  if (n_examples / n == 0)
    {
      g_set_error (error, BS_ERROR, BS_ERROR_INVALID_ARGUMENT,
                   "The activations in '%s' have %" G_GUINT64_FORMAT " examples, fewer than one "
                   "minibatch of %u", options->acts_dir_a, n_examples, n);
      goto out;
    }
  if (n_examples / n > G_MAXUINT)
    {
      g_set_error (error, BS_ERROR, BS_ERROR_INVALID_ARGUMENT, "Too many minibatches");
      goto out;
    }
  total = (guint) (n_examples / n);

  if (!sink_init (&sink, config, da.infos, same ? da.infos : db.infos, options->acts_dir_a,
                  same ? options->acts_dir_a : options->acts_dir_b, total, n, options->biased, 1, error))
    goto out;
  for (guint mb = 0; mb < total; mb++)
    {
      for (guint s = 0; s < (same ? 1u : 2u); s++)
        {
          ActsDir *d = s == 0 ? &da : &db;

          for (guint i = 0; i < d->files->len; i++)
            {
              if (set_cancelled (cancellable, error) ||
                  !acts_feed (sink.acc, s == 0 ? BS_CKA_SIDE_A : BS_CKA_SIDE_B, i,
                              g_ptr_array_index (d->files, i), (guint64) mb * n, n, sink.ws,
                              &buffer, &buffer_size, &sink.tris[0], error))
                goto out;
            }
        }
      if (!sink_end_minibatch (&sink, callback, user_data, error))
        goto out;
    }
  result = g_steal_pointer (&sink.last);

out:
  sink_clear (&sink);
  acts_dir_clear (&da);
  acts_dir_clear (&db);
  return result;
}

/* ---- The job. */

BsCkaSnapshot *
bs_cka_job_run (const BsCkaJobOptions  *options,
                BsCkaSnapshotFunc       callback,
                gpointer                user_data,
                GCancellable           *cancellable,
                GError                **error)
{
  BsEngineConfig config;
  BsCkaSnapshot *result;

  g_return_val_if_fail (options != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!bs_cka_protocol_check_batch_size (options->batch_size, options->biased, error))
    return NULL;
  if (options->acts_dir_a == NULL && options->acts_dir_b != NULL)
    {
      g_set_error (error, BS_ERROR, BS_ERROR_INVALID_ARGUMENT,
                   "An activation folder for model B needs one for model A too");
      return NULL;
    }

  config = options->engine ? *options->engine : *bs_engine_config_get_default ();
  if (options->threads > 0)
    config.threads = options->threads;

  /* The job's threads call BLAS themselves (bs-gram.h, bs-conv.h). */
  bs_blas_guard_enter ();
  if (options->acts_dir_a != NULL)
    result = run_acts (options, &config, callback, user_data, cancellable, error);
  else
    result = run_models (options, &config, callback, user_data, cancellable, error);
  bs_blas_guard_leave ();

  return result;
}
