/* bs-cka-job.c: the CKA protocol, from models and data (or .npy folders) to snapshots. */
#include "bs-cka-job.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "bs-batcher.h"
#include "bs-blas.h"
#include "bs-cka-acts.h"
#include "bs-cka-protocol.h"
#include "bs-cka-shard.h"
#include "bs-cka-sink.h"
#include "bs-error.h"
#include "bs-model-spec.h"

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

const char *
bs_cka_layer_selection_to_string (const BsCkaJobOptions *options)
{
  switch (options->layers)
    {
    case BS_CKA_LAYERS_RESIDUAL: return "residual";
    case BS_CKA_LAYERS_PATTERN: return options->layer_pattern ? options->layer_pattern : "";
    case BS_CKA_LAYERS_ALL:
    default: return "all";
    }
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
                       /* Translators: 'all' and 'residual' are values of an option: keep them. */
                       _("Empty layer pattern (use 'all', 'residual' or a regular expression)"));
          return NULL;
        }
      regex = g_regex_new (layer_pattern, G_REGEX_OPTIMIZE, 0, &local);
      if (regex == NULL)
        {
          g_set_error (error, BS_ERROR, BS_ERROR_INVALID_ARGUMENT,
                       _("Layer pattern '%s' is not a valid regular expression: %s"),
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
      if (layers == BS_CKA_LAYERS_PATTERN)
        g_set_error (error, BS_ERROR, BS_ERROR_INVALID_ARGUMENT,
                     /* Translators: the first %s is a model name (resnet20), the second a regular
                      * expression. */
                     _("No layer of %s matches the pattern '%s'"), bs_model_get_name (model),
                     layer_pattern);
      else
        g_set_error (error, BS_ERROR, BS_ERROR_INVALID_ARGUMENT,
                     /* Translators: %s is a model name (resnet20). */
                     _("%s has no residual block outputs"), bs_model_get_name (model));
      return NULL;
    }
  return g_steal_pointer (&indices);
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

  infos = bs_cka_layer_array_new ();
  g_array_set_size (infos, indices->len);
  for (guint i = 0; i < indices->len; i++)
    bs_layer_info_copy (&g_array_index (infos, BsLayerInfo, i),
                        bs_model_get_layer (model, g_array_index (indices, guint, i)));
  return infos;
}

/* ---- Models and a data set. */

/* How a tapped layer's Gram is formed. */
enum {
  PLAN_DIRECT,        /* bs_gram_from_cnhw */
  PLAN_WITH_NORM,     /* and the Gram of the batch norm that follows (bs_gram_from_cnhw_affine) */
  PLAN_FROM_CONV,     /* that batch norm: not tapped, so the engine fuses it with what follows */
};

typedef struct {
  BsCkaSink        *sink;
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
      bs_cka_sink_set_gram (ctx->sink, ctx->side, (guint) ctx->row_of_tap[tap_index + 1],
                            &ctx->tri_norm, finite);
    }
  else
    finite = bs_gram_triangles_from_cnhw (ctx->ws, activation, info->channels, batch, spatial,
                                          NULL, &ctx->tri, NULL);
  bs_cka_sink_set_gram (ctx->sink, ctx->side, (guint) row, &ctx->tri, finite);
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
                       /* Translators: model A or B, its name (resnet20), channels x height x
                        * width of its inputs, the data set's name and its images' shape. */
                       _("Model %s (%s) takes %ux%ux%u inputs, but the images of '%s' are %ux%ux%u: "
                         "both models must see the same data"),
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
          /* Translators: model A or B, then what is wrong with it. */
          g_set_error (error, local->domain, local->code, _("Model %s: %s"), label, local->message);
          return FALSE;
        }
      jm->owned = TRUE;
      /* Nothing else sees the job's own models: their weights stay as built. */
      bs_model_set_params_frozen (jm->model, TRUE);
      jm->spec = g_strdup (spec);
    }

  if (!check_input_shape (jm->model, label, set, dataset->name, error))
    return FALSE;

  jm->indices = bs_cka_job_select_layers (jm->model, options->layers, options->layer_pattern,
                                          error);
  if (jm->indices == NULL)
    {
      /* Translators: model A or B; what is wrong with it follows. */
      g_prefix_error (error, _("Model %s: "), label);
      return FALSE;
    }
  jm->infos = bs_cka_layer_array_new ();
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
  BsCkaSink sink = { 0 };
  g_autofree float *images = NULL;
  g_autofree guint8 *labels = NULL;
  BsCkaSnapshot *result = NULL;
  g_autoptr(BsCkaShard) shard = NULL;
  BsCkaProtocolCounts counts;
  gboolean same;
  guint n = options->batch_size;

  if (options->model_a == NULL && options->spec_a == NULL)
    {
      g_set_error (error, BS_ERROR, BS_ERROR_INVALID_ARGUMENT, _("No model A given"));
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
      g_set_error (error, BS_ERROR, BS_ERROR_INVALID_ARGUMENT, _("No data set given"));
      return NULL;
    }

  if (!bs_cka_protocol_count (dataset->test.n_images, options->limit, n, options->passes,
                              dataset->name, &counts, error))
    return NULL;
  if (options->n_shards > 0
      && (options->shard >= options->n_shards || options->shard_out == NULL
          || options->n_shards > counts.minibatches_total))
    {
      g_set_error (error, BS_ERROR, BS_ERROR_INVALID_ARGUMENT,
                   /* Translators: a shard's number, the number of shards, then of minibatches. */
                   _("Shard %u of %u does not fit a protocol of %u minibatches (shards count from 0, at most one per minibatch)"),
                   options->shard, options->n_shards, counts.minibatches_total);
      return NULL;
    }

  if (bs_cka_set_cancelled (cancellable, error))
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
  if (!bs_cka_sink_init (&sink, config, ma.infos, same ? ma.infos : mb.infos, ma.spec,
                  same ? ma.spec : mb.spec, counts.minibatches_total, n, options->biased, 2,
                         options->pc1, error))
    goto out;
  /* The job's own threads; borrowed models get theirs back at the end. */
  job_model_set_pool (&ma, sink.pool);
  if (!same)
    job_model_set_pool (&mb, sink.pool);
  ctx_a = (TapContext) { &sink, BS_CKA_SIDE_A, sink.ws, sink.tris[0], sink.tris[1], ma.row_of_tap,
                         ma.plan, ma.scale_of_tap, bs_model_get_n_layers (ma.model), n,
                         cancellable, FALSE, FALSE };
  if (!same)
    ctx_b = (TapContext) { &sink, BS_CKA_SIDE_B, sink.ws, sink.tris[0], sink.tris[1], mb.row_of_tap,
                           mb.plan, mb.scale_of_tap, bs_model_get_n_layers (mb.model), n,
                           cancellable, FALSE, FALSE };

  batcher = bs_batcher_new (&dataset->test, n);
  bs_batcher_set_shuffle (batcher, TRUE, options->seed);
  bs_batcher_set_limit (batcher, counts.images_per_pass);
  bs_batcher_set_drop_last (batcher, TRUE);
  images = bs_batcher_try_alloc_batch (batcher, error);
  if (images == NULL)
    goto out;
  labels = g_new (guint8, n);

  if (options->n_shards > 0)
    {
      g_autofree char *hash = bs_cka_shard_hash_images (&dataset->test, counts.images_per_pass);

      shard = bs_cka_shard_new (&sink.header, options, same, dataset->name, counts.images_per_pass, hash,
                                options->shard, options->n_shards);
    }

  for (guint pass = 0; pass < options->passes; pass++)
    for (guint i = 0; i < counts.minibatches_per_pass; i++)
      {
        guint64 index = (guint64) pass * counts.minibatches_per_pass + i;
        guint got;

        if (bs_cka_set_cancelled (cancellable, error))
          goto out;
        if (!bs_cka_shard_owns (options->shard, options->n_shards, index))
          continue;

        got = bs_batcher_get_batch (batcher, pass, i, images, labels);
        if (got != n)
          {
            g_set_error (error, BS_ERROR, BS_ERROR_FAILED,
                         _("Internal error: minibatch %u of pass %u has %u images, not %u"),
                         i, pass, got, n);
            goto out;
          }

        if (bs_model_try_forward (ma.model, images, n, FALSE, tap_gram, &ctx_a, error) == NULL ||
            (!same && !ctx_a.cancelled &&
             bs_model_try_forward (mb.model, images, n, FALSE, tap_gram, &ctx_b, error) == NULL))
          {
            bs_cka_sink_discard_minibatch (&sink);
            goto out;
          }
        if (ctx_a.cancelled || ctx_b.cancelled)
          {
            bs_cka_sink_discard_minibatch (&sink);
            bs_cka_set_cancelled (cancellable, error);
            goto out;
          }
        if (ctx_a.bad_batch || ctx_b.bad_batch)
          {
            g_set_error (error, BS_ERROR, BS_ERROR_FAILED,
                         _("Internal error: a model tapped a batch of another size than %u"), n);
            goto out;
          }
        if (!bs_cka_sink_end_minibatch (&sink, callback, user_data, error))
          goto out;
        if (shard != NULL)
          {
            BsCkaMinibatchTerms terms;

            bs_cka_accumulator_get_last_terms (sink.acc, &terms);
            bs_cka_shard_add (shard, index, &terms);
          }
      }

  result = g_steal_pointer (&sink.last);
  if (shard != NULL)
    *options->shard_out = g_steal_pointer (&shard);

out:
  /* The models first: they give the borrowed ones their own pool back. */
  job_model_clear (&ma);
  job_model_clear (&mb);
  bs_cka_sink_clear (&sink);
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
                   _("An activation folder for model B needs one for model A too"));
      return NULL;
    }

  config = options->engine ? *options->engine : *bs_engine_config_get_default ();
  if (options->threads > 0)
    config.threads = options->threads;

  /* The job's threads call BLAS themselves (bs-gram.h, bs-conv.h). */
  bs_blas_guard_enter ();
  if (options->acts_dir_a != NULL && options->n_shards > 0)
    {
      g_set_error (error, BS_ERROR, BS_ERROR_INVALID_ARGUMENT, _("Shards need models and a data set, not activation folders"));
      result = NULL;
    }
  else if (options->acts_dir_a != NULL)
    result = bs_cka_run_activations (options, &config, callback, user_data, cancellable, error);
  else
    result = run_models (options, &config, callback, user_data, cancellable, error);
  bs_blas_guard_leave ();

  return result;
}
