/* bs-cka-computation.c */
#include "bs-config.h"

#include "bs-cka-computation.h"

#include <glib/gi18n.h>

#include "bs-cka-job.h"
#include "bs-cka-protocol.h"
#include "bs-dataset-locate.h"
#include "bs-dataset-subset.h"
#include "bs-model-spec.h"

#include <math.h>
#include <string.h>

typedef struct {
  char            *spec_a;
  char            *spec_b;
  char            *dataset;
  char            *data_dir;
  guint            passes;
  guint            batch_size;
  guint            limit;
  guint64          seed;
  guint64          init_seed;
  BsEngineConfig   engine;
  gboolean         pc1;
  GArray          *exclude;     /* guint */
  BsDatasetCache  *cache;
  /* What the result's JSON says (bs_cka_computation_get_export_info ()):
   * the protocol, set here; the data set's name and images per pass, set
   * by the worker before its first snapshot, so before the window sees
   * one. */
  BsCkaJobOptions  options;
  char            *dataset_name;
  guint            n_examples;
} Computation;

static void
computation_free (gpointer data)
{
  Computation *c = data;

  g_free (c->spec_a);
  g_free (c->spec_b);
  g_free (c->dataset);
  g_free (c->data_dir);
  g_free (c->dataset_name);
  g_array_unref (c->exclude);
  bs_dataset_cache_unref (c->cache);
  g_free (c);
}

static const char *
dataset_display_name (const char *name)
{
  const BsDatasetInfo *info = bs_dataset_info_lookup (name, NULL);

  return info != NULL ? bs_dataset_info_get_display_name (info) : name;
}

static void
report_snapshot (BsJob         *job,
                 BsCkaSnapshot *snapshot)
{
  GValue value = G_VALUE_INIT;

  g_value_init (&value, BS_TYPE_CKA_SNAPSHOT);
  g_value_set_boxed (&value, snapshot);
  bs_job_report_partial (job, &value);
  g_value_unset (&value);
  bs_job_report_progress (job, bs_cka_snapshot_get_minibatches_done (snapshot),
                          bs_cka_snapshot_get_minibatches_total (snapshot));
}

static void
on_snapshot (BsCkaSnapshot *snapshot,
             gpointer       user_data)
{
  report_snapshot (user_data, snapshot);
}

static BsModel *
build_model (BsJob       *job,
             const char  *spec,
             guint64      seed,
             BsDataset   *dataset,
             const char  *which,
             GError     **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autofree char *name = bs_model_spec_display_name (spec);
  /* Translators: %s is a model, e.g. ResNet-56. */
  g_autofree char *status = g_strdup_printf (_("Building %s…"), name);
  BsModel *model;

  bs_job_report_status (job, status);
  model = bs_model_spec_build (spec, dataset->test.channels, dataset->test.height,
                               dataset->test.width, dataset->n_classes, seed, &local_error);
  if (model == NULL)
    g_set_error (error, local_error->domain, local_error->code,
                 "Model %s could not be made: %s", which, local_error->message);
  return model;
}

/* The layers and totals, before the first minibatch. */
static BsCkaSnapshot *
empty_snapshot (Computation  *c,
                BsModel      *model_a,
                BsModel      *model_b,
                BsDataset    *dataset,
                GError      **error)
{
  g_autoptr(GArray) rows = NULL;
  g_autoptr(GArray) cols = NULL;
  BsCkaProtocolCounts counts;
  BsCkaSnapshotHeader header;
  BsCkaSnapshot *snapshot;
  guint n_images = dataset->test.n_images;

  if (!bs_cka_protocol_count (n_images, c->exclude->len > 0 ? 0 : c->limit, c->batch_size, c->passes,
                              dataset->name, &counts, error))
    return NULL;
  rows = bs_cka_job_describe_layers (model_a, BS_CKA_LAYERS_ALL, NULL, error);
  if (rows == NULL)
    return NULL;
  cols = bs_cka_job_describe_layers (model_b, BS_CKA_LAYERS_ALL, NULL, error);
  if (cols == NULL)
    return NULL;

  header = (BsCkaSnapshotHeader) {
    .rows = (const BsLayerInfo *) rows->data, .n_rows = rows->len,
    .cols = (const BsLayerInfo *) cols->data, .n_cols = cols->len,
    .model_a = c->spec_a, .model_b = c->spec_b,
    .batch_size = c->batch_size,
    .minibatches_total = counts.minibatches_total,
  };
  snapshot = bs_cka_snapshot_new_empty (&header);
  if (c->pc1)
    {
      BsCkaSnapshot *without, *alignment;
      double *row_share = g_new (double, rows->len);
      double *row_se = g_new (double, rows->len);
      double *col_share = g_new (double, cols->len);
      double *col_se = g_new (double, cols->len);

      for (guint i = 0; i < rows->len; i++)
        row_share[i] = row_se[i] = NAN;
      for (guint i = 0; i < cols->len; i++)
        col_share[i] = col_se[i] = NAN;
      header.measure = BS_CKA_MEASURE_CKA_WITHOUT_PC1;
      without = bs_cka_snapshot_new_empty (&header);
      header.measure = BS_CKA_MEASURE_PC1_ALIGNMENT;
      alignment = bs_cka_snapshot_new_empty (&header);
      bs_cka_snapshot_attach_pc1 (snapshot, without, alignment, row_share, row_se, col_share, col_se);
    }
  return snapshot;
}

static gboolean
run (BsJob         *job,
     gpointer       data,
     GCancellable  *cancellable,
     GError       **error)
{
  Computation *c = data;
  g_autoptr(BsDataset) dataset = NULL;
  g_autoptr(BsCkaSnapshot) first = NULL;
  g_autoptr(BsCkaSnapshot) result = NULL;
  g_autoptr(BsModel) model_a = NULL;
  g_autoptr(BsModel) model_b = NULL;
  gboolean same = g_strcmp0 (c->spec_a, c->spec_b) == 0;
  BsCkaJobOptions options;

  if (!bs_dataset_cache_has (c->cache, c->dataset, c->data_dir))
    {
      /* Translators: %s is a data set, e.g. Fashion-MNIST. */
      g_autofree char *status = g_strdup_printf (_("Loading %s…"), dataset_display_name (c->dataset));

      bs_job_report_status (job, status);
    }
  dataset = bs_dataset_cache_load_test (c->cache, c->dataset, c->data_dir, NULL, error);
  if (dataset == NULL || g_cancellable_set_error_if_cancelled (cancellable, error))
    return FALSE;
  if (c->exclude->len > 0)
    {
      /* The first `limit` images without the excluded ones: the subset is
       * the whole test split of the job. */
      BsDataset *subset = bs_dataset_new_test_subset (dataset, c->limit, (const guint *) c->exclude->data,
                                                      c->exclude->len, error);

      if (subset == NULL)
        return FALSE;
      g_clear_pointer (&dataset, bs_dataset_unref);
      dataset = subset;
    }

  model_a = build_model (job, c->spec_a, c->init_seed, dataset, "A", error);
  if (model_a == NULL)
    return FALSE;
  /* The same network on both axes runs once per minibatch. */
  if (!same && (model_b = build_model (job, c->spec_b, c->init_seed, dataset, "B", error)) == NULL)
    return FALSE;

  first = empty_snapshot (c, model_a, same ? model_a : model_b, dataset, error);
  if (first == NULL)
    return FALSE;
  /* As blockscope-cli cka says it: before the first report. */
  c->dataset_name = g_strdup (dataset->name);
  c->n_examples = bs_cka_protocol_images_per_pass (dataset->test.n_images, c->options.limit);
  report_snapshot (job, first);
  bs_job_report_status (job, _("Computing…"));

  options = c->options;
  options.model_a = model_a;
  options.model_b = same ? model_a : model_b;
  options.dataset = dataset;
  options.engine = &c->engine;

  result = bs_cka_job_run (&options, on_snapshot, job, cancellable, error);
  return result != NULL;
}

BsJob *
bs_cka_computation_new (const BsCkaRequest *request,
                        BsDatasetCache     *cache)
{
  Computation *c;
  g_autofree char *a = NULL;
  g_autofree char *b = NULL;
  g_autofree char *title = NULL;
  BsJob *job;

  g_return_val_if_fail (request != NULL && request->spec_a != NULL && request->dataset != NULL, NULL);
  g_return_val_if_fail (cache != NULL, NULL);

  c = g_new0 (Computation, 1);
  c->spec_a = g_strdup (request->spec_a);
  c->spec_b = g_strdup (request->spec_b ? request->spec_b : request->spec_a);
  c->dataset = g_strdup (request->dataset);
  c->data_dir = g_strdup (request->data_dir);
  c->passes = request->passes;
  c->batch_size = request->batch_size;
  c->limit = request->limit;
  c->seed = request->seed;
  c->init_seed = request->init_seed;
  c->engine = request->engine ? *request->engine : *bs_engine_config_get_default ();
  c->pc1 = request->pc1;
  c->exclude = g_array_new (FALSE, FALSE, sizeof (guint));
  if (request->n_exclude > 0)
    g_array_append_vals (c->exclude, request->exclude, request->n_exclude);
  c->cache = bs_dataset_cache_ref (cache);

  /* The protocol, as the job runs it (run () adds the models and data). */
  bs_cka_job_options_init (&c->options);
  c->options.spec_a = c->spec_a;
  c->options.spec_b = c->spec_b;
  c->options.limit = c->exclude->len > 0 ? 0 : c->limit;
  c->options.pc1 = c->pc1;
  c->options.batch_size = c->batch_size;
  c->options.passes = c->passes;
  c->options.seed = c->seed;
  c->options.init_seed_a = c->options.init_seed_b = c->init_seed;

  a = bs_model_spec_display_name (c->spec_a);
  b = bs_model_spec_display_name (c->spec_b);
  if (c->exclude->len > 0 && g_strcmp0 (c->spec_a, c->spec_b) == 0)
    /* Translators: a job's title: a model compared with itself, on a data
     * set without some of its test images (those that dominate a layer's
     * first principal component); %u is how many. */
    title = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%s vs itself · %s without %u dominant image",
                                          "%s vs itself · %s without %u dominant images", c->exclude->len),
                             a, dataset_display_name (c->dataset), c->exclude->len);
  else if (c->exclude->len > 0)
    /* Translators: a job's title: model A, model B, the data set without
     * some of its test images; %u is how many. */
    title = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%s vs %s · %s without %u dominant image",
                                          "%s vs %s · %s without %u dominant images", c->exclude->len),
                             a, b, dataset_display_name (c->dataset), c->exclude->len);
  else if (g_strcmp0 (c->spec_a, c->spec_b) == 0)
    /* Translators: a job's title: a model compared with itself, on a data set. */
    title = g_strdup_printf (_("%s vs itself · %s"), a, dataset_display_name (c->dataset));
  else
    /* Translators: a job's title: model A, model B, the data set. */
    title = g_strdup_printf (_("%s vs %s · %s"), a, b, dataset_display_name (c->dataset));

  job = bs_job_new (title, run, c, computation_free);
  /* Freed with the job: borrowed by bs_cka_computation_get_export_info (). */
  g_object_set_data (G_OBJECT (job), "bs-cka-computation", c);
  return job;
}

gboolean
bs_cka_computation_get_export_info (BsJob           *job,
                                    BsCkaExportInfo *info)
{
  Computation *c = g_object_get_data (G_OBJECT (job), "bs-cka-computation");

  g_return_val_if_fail (BS_IS_JOB (job) && info != NULL, FALSE);

  if (c == NULL || c->dataset_name == NULL)
    return FALSE;
  memset (info, 0, sizeof *info);
  info->options = &c->options;
  info->dataset = c->dataset_name;
  info->n_examples = c->n_examples;
  info->elapsed_seconds = -1;
  info->excluded_images = (const guint *) c->exclude->data;
  info->n_excluded = c->exclude->len;
  return TRUE;
}
