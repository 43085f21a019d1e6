/* bs-dominant-images-job.c: the dominant images of a layer as a job (see the header). */
#include "bs-config.h"

#include "bs-dominant-images-job.h"

#include <glib/gi18n.h>

#include "bs-error.h"
#include "bs-model-spec.h"

typedef struct {
  char                   *spec;
  guint64                 init_seed;
  char                   *dataset_name;
  char                   *data_dir;
  char                   *layer;
  guint                   n_images;
  guint                   top;
  BsEngineConfig          engine;
  BsDatasetCache         *cache;
  BsJob                  *job;        /* the job running this (not a reference) */
  /* Written by the worker, read once the job has succeeded. */
  BsDataset              *dataset;
  BsDominantImagesResult  result;
  gboolean                done;
} Dominant;

static void
dominant_free (gpointer data)
{
  Dominant *d = data;

  g_free (d->spec);
  g_free (d->dataset_name);
  g_free (d->data_dir);
  g_free (d->layer);
  bs_dataset_cache_unref (d->cache);
  g_clear_pointer (&d->dataset, bs_dataset_unref);
  bs_dominant_images_result_clear (&d->result);
  g_free (d);
}

static void
on_progress (guint    done,
             guint    total,
             gpointer user_data)
{
  Dominant *d = user_data;

  bs_job_report_progress (d->job, done, total);
}

static gboolean
find_layer (BsModel     *model,
            const char  *name,
            guint       *layer,
            GError     **error)
{
  for (guint i = 0; i < bs_model_get_n_layers (model); i++)
    if (g_strcmp0 (bs_model_get_layer (model, i)->name, name) == 0)
      {
        *layer = i;
        return TRUE;
      }
  /* Translators: a layer's name. */
  g_set_error (error, BS_ERROR, BS_ERROR_INVALID_ARGUMENT, _("The model has no layer %s"), name);
  return FALSE;
}

static gboolean
run (BsJob         *job,
     gpointer       data,
     GCancellable  *cancellable,
     GError       **error)
{
  Dominant *d = data;
  g_autoptr(BsDataset) dataset = NULL;
  g_autoptr(BsModel) model = NULL;
  g_autoptr(BsThreadPool) pool = NULL;
  BsDominantImagesOptions options;

  bs_job_report_status (job, _("Loading the test images…"));
  dataset = bs_dataset_cache_load_test (d->cache, d->dataset_name, d->data_dir, NULL, error);
  if (dataset == NULL || g_cancellable_set_error_if_cancelled (cancellable, error))
    return FALSE;
  model = bs_model_spec_build (d->spec, dataset->test.channels, dataset->test.height, dataset->test.width,
                               dataset->n_classes, d->init_seed, error);
  if (model == NULL)
    return FALSE;
  pool = bs_thread_pool_new_for_config (&d->engine);
  bs_model_set_pool (model, pool);

  bs_dominant_images_options_init (&options);
  if (!find_layer (model, d->layer, &options.layer, error))
    return FALSE;
  options.n_images = MIN (d->n_images, dataset->test.n_images);
  options.top = MIN (d->top, options.n_images);

  bs_job_report_status (job, _("Finding the dominant images…"));
  if (!bs_dominant_images_run (model, dataset, &options, on_progress, d, &d->result, cancellable, error))
    return FALSE;
  d->dataset = g_steal_pointer (&dataset);
  d->done = TRUE;
  return TRUE;
}

BsJob *
bs_dominant_images_job_new (const BsDominantImagesRequest *request,
                            BsDatasetCache                *cache)
{
  Dominant *d;
  g_autofree char *model = NULL;
  g_autofree char *title = NULL;
  BsJob *job;

  g_return_val_if_fail (request != NULL && request->spec != NULL && request->dataset != NULL, NULL);
  g_return_val_if_fail (request->layer != NULL && cache != NULL, NULL);

  d = g_new0 (Dominant, 1);
  d->spec = g_strdup (request->spec);
  d->init_seed = request->init_seed;
  d->dataset_name = g_strdup (request->dataset);
  d->data_dir = g_strdup (request->data_dir);
  d->layer = g_strdup (request->layer);
  d->n_images = request->n_images;
  d->top = request->top;
  d->engine = request->engine ? *request->engine : *bs_engine_config_get_default ();
  d->cache = bs_dataset_cache_ref (cache);

  model = bs_model_spec_display_name (d->spec);
  /* Translators: a job's title: the model and its layer whose dominant images are looked for. */
  title = g_strdup_printf (_("Dominant images · %s %s"), model, d->layer);
  job = bs_job_new (title, run, d, dominant_free);
  d->job = job;
  g_object_set_data (G_OBJECT (job), "bs-dominant-images", d);
  return job;
}

static Dominant *
get_done (BsJob *job)
{
  Dominant *d = g_object_get_data (G_OBJECT (job), "bs-dominant-images");

  /* Written by the worker before the job ends; read once it has. */
  return d != NULL && bs_job_get_state (job) == BS_JOB_SUCCEEDED && d->done ? d : NULL;
}

const BsDominantImagesResult *
bs_dominant_images_job_get_result (BsJob *job)
{
  Dominant *d = get_done (job);

  return d != NULL ? &d->result : NULL;
}

BsDataset *
bs_dominant_images_job_get_dataset (BsJob *job)
{
  Dominant *d = get_done (job);

  return d != NULL ? d->dataset : NULL;
}

const char *
bs_dominant_images_job_get_layer (BsJob *job)
{
  Dominant *d = g_object_get_data (G_OBJECT (job), "bs-dominant-images");

  return d != NULL ? d->layer : NULL;
}

const char *
bs_dominant_images_job_get_spec (BsJob *job)
{
  Dominant *d = g_object_get_data (G_OBJECT (job), "bs-dominant-images");

  return d != NULL ? d->spec : NULL;
}
