/* bs-probe-job.c: linear probes as a job (see the header). */
#include "bs-config.h"

#include "bs-probe-job.h"

#include <glib/gi18n.h>

#include "bs-model-spec.h"

typedef struct {
  char           *spec;
  guint64         init_seed;
  char           *dataset_name;
  char           *data_dir;
  guint           train_images;
  guint           test_images;
  guint           epochs;
  BsEngineConfig  engine;
  BsJob          *job;          /* the job running this (not a reference) */
  BsProbeStage    stage;        /* the stage last reported, for the status */
  gboolean        staged;
  /* Written by the worker, read once the job has succeeded. */
  GArray         *results;
  BsProbeCounts   counts;
} Probe;

static void
probe_free (gpointer data)
{
  Probe *p = data;

  g_free (p->spec);
  g_free (p->dataset_name);
  g_free (p->data_dir);
  g_clear_pointer (&p->results, g_array_unref);
  g_free (p);
}

/* On the job's thread while the network runs, from the pool's threads (one
 * call at a time) while fitting: the job's reports are under its lock. */
static void
on_progress (BsProbeStage         stage,
             guint                done,
             guint                total,
             const BsProbeResult *result,
             gpointer             user_data)
{
  Probe *p = user_data;

  if (!p->staged || stage != p->stage)
    {
      p->staged = TRUE;
      p->stage = stage;
      bs_job_report_status (p->job, stage == BS_PROBE_STAGE_FEATURES
                                      ? _("Running the network over the images…")
                                      : _("Fitting the linear classifiers…"));
    }
  bs_job_report_progress (p->job, done, total);
}

static gboolean
run (BsJob         *job,
     gpointer       data,
     GCancellable  *cancellable,
     GError       **error)
{
  Probe *p = data;
  BsProbeOptions options;

  bs_job_report_status (job, _("Loading the images…"));
  bs_probe_options_init (&options);
  options.spec = p->spec;
  options.init_seed = p->init_seed;
  options.dataset_name = p->dataset_name;
  options.data_dir = p->data_dir;
  options.engine = &p->engine;
  if (p->train_images > 0)
    options.train_images = p->train_images;
  options.test_images = p->test_images;
  if (p->epochs > 0)
    options.epochs = p->epochs;

  p->results = bs_probe_run (&options, on_progress, p, &p->counts, cancellable, error);
  return p->results != NULL;
}

BsJob *
bs_probe_job_new (const BsProbeRequest *request)
{
  Probe *p;
  g_autofree char *model = NULL;
  g_autofree char *title = NULL;
  BsJob *job;

  g_return_val_if_fail (request != NULL && request->spec != NULL && request->dataset != NULL, NULL);

  p = g_new0 (Probe, 1);
  p->spec = g_strdup (request->spec);
  p->init_seed = request->init_seed;
  p->dataset_name = g_strdup (request->dataset);
  p->data_dir = g_strdup (request->data_dir);
  p->train_images = request->train_images;
  p->test_images = request->test_images;
  p->epochs = request->epochs;
  p->engine = request->engine ? *request->engine : *bs_engine_config_get_default ();

  model = bs_model_spec_display_name (p->spec);
  /* Translators: a job's title: the model whose layers are probed. */
  title = g_strdup_printf (_("Linear probes · %s"), model);
  job = bs_job_new (title, run, p, probe_free);
  p->job = job;
  g_object_set_data (G_OBJECT (job), "bs-probe", p);
  return job;
}

static Probe *
get_done (BsJob *job)
{
  Probe *p = g_object_get_data (G_OBJECT (job), "bs-probe");

  /* Written by the worker before the job ends; read once it has. */
  return p != NULL && bs_job_get_state (job) == BS_JOB_SUCCEEDED && p->results != NULL ? p : NULL;
}

GArray *
bs_probe_job_get_results (BsJob *job)
{
  Probe *p = get_done (job);

  return p != NULL ? p->results : NULL;
}

const BsProbeCounts *
bs_probe_job_get_counts (BsJob *job)
{
  Probe *p = get_done (job);

  return p != NULL ? &p->counts : NULL;
}

const char *
bs_probe_job_get_spec (BsJob *job)
{
  Probe *p = g_object_get_data (G_OBJECT (job), "bs-probe");

  return p != NULL ? p->spec : NULL;
}
