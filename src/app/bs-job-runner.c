/* bs-job-runner.c: the CKA worker thread and its hand-over to the main loop.
 *
 * The worker and the main thread share a Channel (reference counted, so
 * either may outlive the other). The worker writes the newest state into it
 * under a mutex and attaches an idle source only when none is pending; the
 * idle takes whatever is newest at that moment. The channel holds a weak
 * reference to the runner, so an idle that fires after the window (and its
 * runner) went away does nothing. Idles are attached explicitly to the
 * runner's main context: g_main_context_invoke() could run the callback on
 * the worker itself when the main context happens to be free. */
#include "bs-config.h"

#include "bs-job-runner.h"

#include "bs-blas.h"
#include "bs-checkpoint.h"
#include "bs-cka-job.h"
#include "bs-dataset.h"
#include "bs-dataset-locate.h"
#include "bs-error.h"
#include "bs-model.h"
#include "bs-model-spec.h"

typedef struct {
  gatomicrefcount  ref_count;
  GMutex           lock;
  GMainContext    *context;
  GWeakRef         runner;

  /* Guarded by lock */
  BsCkaSnapshot   *snapshot;       /* newest, not yet delivered */
  char            *status;         /* newest status text, not yet delivered */
  gboolean         finished;
  GError          *error;
  gboolean         idle_pending;
  guint            published;
} Channel;

struct _BsJobRunner
{
  GObject       parent_instance;

  GThread      *thread;
  Channel      *channel;         /* of the running job */
  GCancellable *cancellable;
  gboolean      running;
  guint         delivered;
  guint         published;

  /* Touched only by the worker of the moment (jobs never overlap):
   * loading Fashion-MNIST again for every job would cost a second. */
  BsDataset    *cached_dataset;
};

G_DEFINE_FINAL_TYPE (BsJobRunner, bs_job_runner, G_TYPE_OBJECT)

enum {
  STATUS,
  SNAPSHOT,
  FINISHED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

typedef struct {
  Channel      *channel;
  BsJobRunner  *runner;          /* not referenced: outlived by its join */
  GCancellable *cancellable;
  char         *spec_a;
  char         *spec_b;
  char         *dataset;
  char         *data_dir;
  guint         passes;
  guint         batch_size;
  guint         limit;
  guint64       seed;
  guint64       init_seed;
  guint         threads;
} Job;

/* ---------------------------------------------------------------- channel */

static Channel *
channel_new (BsJobRunner *runner)
{
  Channel *channel = g_new0 (Channel, 1);

  g_atomic_ref_count_init (&channel->ref_count);
  g_mutex_init (&channel->lock);
  channel->context = g_main_context_ref_thread_default ();
  g_weak_ref_init (&channel->runner, runner);

  return channel;
}

static Channel *
channel_ref (Channel *channel)
{
  g_atomic_ref_count_inc (&channel->ref_count);
  return channel;
}

static void
channel_unref (Channel *channel)
{
  if (!g_atomic_ref_count_dec (&channel->ref_count))
    return;

  g_clear_pointer (&channel->snapshot, bs_cka_snapshot_unref);
  g_clear_pointer (&channel->status, g_free);
  g_clear_error (&channel->error);
  g_weak_ref_clear (&channel->runner);
  g_main_context_unref (channel->context);
  g_mutex_clear (&channel->lock);
  g_free (channel);
}

static gboolean channel_dispatch (gpointer data);

/* Worker side: called with channel->lock held. */
static void
channel_schedule_locked (Channel *channel)
{
  GSource *source;

  if (channel->idle_pending)
    return;

  channel->idle_pending = TRUE;
  source = g_idle_source_new ();
  g_source_set_priority (source, G_PRIORITY_DEFAULT);
  g_source_set_callback (source, channel_dispatch, channel_ref (channel), (GDestroyNotify) channel_unref);
  g_source_set_static_name (source, "[blockscope] CKA snapshot");
  g_source_attach (source, channel->context);
  g_source_unref (source);
}

static void
channel_publish_snapshot (Channel       *channel,
                          BsCkaSnapshot *snapshot)
{
  g_mutex_lock (&channel->lock);
  /* Keep only the newest: a snapshot replaced before delivery is dropped. */
  g_clear_pointer (&channel->snapshot, bs_cka_snapshot_unref);
  channel->snapshot = bs_cka_snapshot_ref (snapshot);
  channel->published++;
  channel_schedule_locked (channel);
  g_mutex_unlock (&channel->lock);
}

static void
channel_publish_status (Channel    *channel,
                        const char *status)
{
  g_mutex_lock (&channel->lock);
  g_free (channel->status);
  channel->status = g_strdup (status);
  channel_schedule_locked (channel);
  g_mutex_unlock (&channel->lock);
}

static void
channel_publish_finished (Channel *channel,
                          GError  *error)
{
  g_mutex_lock (&channel->lock);
  channel->finished = TRUE;
  channel->error = error;
  channel_schedule_locked (channel);
  g_mutex_unlock (&channel->lock);
}

/* Main-thread side. */
static gboolean
channel_dispatch (gpointer data)
{
  Channel *channel = data;
  g_autoptr(BsJobRunner) runner = NULL;
  g_autoptr(BsCkaSnapshot) snapshot = NULL;
  g_autofree char *status = NULL;
  g_autoptr(GError) error = NULL;
  gboolean finished;
  guint published;

  g_mutex_lock (&channel->lock);
  snapshot = g_steal_pointer (&channel->snapshot);
  status = g_steal_pointer (&channel->status);
  finished = channel->finished;
  error = g_steal_pointer (&channel->error);
  published = channel->published;
  channel->idle_pending = FALSE;
  g_mutex_unlock (&channel->lock);

  runner = g_weak_ref_get (&channel->runner);
  if (runner == NULL || runner->channel != channel)
    return G_SOURCE_REMOVE;

  runner->published = published;
  if (status != NULL)
    g_signal_emit (runner, signals[STATUS], 0, status);
  if (snapshot != NULL)
    {
      runner->delivered++;
      g_signal_emit (runner, signals[SNAPSHOT], 0, snapshot);
    }

  /* A handler may have stopped the runner meanwhile. */
  if (finished && runner->channel == channel)
    {
      /* The worker published "finished" as its last act: the join is short. */
      g_clear_pointer (&runner->thread, g_thread_join);
      g_clear_pointer (&runner->channel, channel_unref);
      g_clear_object (&runner->cancellable);
      runner->running = FALSE;
      g_signal_emit (runner, signals[FINISHED], 0, error);
    }

  return G_SOURCE_REMOVE;
}

/* ---------------------------------------------------------------- worker */

static void
job_free (Job *job)
{
  channel_unref (job->channel);
  g_object_unref (job->cancellable);
  g_free (job->spec_a);
  g_free (job->spec_b);
  g_free (job->dataset);
  g_free (job->data_dir);
  g_free (job);
}

static void
on_job_snapshot (BsCkaSnapshot *snapshot,
                 gpointer       user_data)
{
  Job *job = user_data;

  channel_publish_snapshot (job->channel, snapshot);
}

static BsModel *
build_model (Job         *job,
             const char  *spec,
             BsDataset   *dataset,
             const char  *which,
             GError     **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autofree char *name = bs_model_spec_display_name (spec);
  g_autofree char *status = g_strdup_printf ("Building %s…", name);
  BsModel *model;

  channel_publish_status (job->channel, status);
  model = bs_model_spec_build (spec, dataset->test.channels, dataset->test.height,
                               dataset->test.width, dataset->n_classes, job->init_seed, &local_error);
  if (model == NULL)
    {
      g_set_error (error, local_error->domain, local_error->code,
                   "Model %s could not be made: %s", which, local_error->message);
      return NULL;
    }

  return model;
}

static BsCkaSnapshot *
initial_snapshot (Job       *job,
                  BsModel   *model_a,
                  BsModel   *model_b,
                  guint      n_test,
                  GError   **error)
{
  g_autoptr(GArray) rows = NULL;
  g_autoptr(GArray) cols = NULL;
  BsCkaSnapshotHeader header;
  BsCkaSnapshot *snapshot;
  guint used;

  rows = bs_cka_job_describe_layers (model_a, BS_CKA_LAYERS_ALL, NULL, error);
  if (rows == NULL)
    return NULL;
  cols = bs_cka_job_describe_layers (model_b, BS_CKA_LAYERS_ALL, NULL, error);
  if (cols == NULL)
    return NULL;

  /* The job drops a short last minibatch of each pass. */
  used = job->limit > 0 ? MIN (job->limit, n_test) : n_test;
  header = (BsCkaSnapshotHeader) {
    .rows = (const BsLayerInfo *) rows->data, .n_rows = rows->len,
    .cols = (const BsLayerInfo *) cols->data, .n_cols = cols->len,
    .model_a = job->spec_a, .model_b = job->spec_b,
    .batch_size = job->batch_size,
    .minibatches_total = job->passes * (job->batch_size > 0 ? used / job->batch_size : 0),
  };
  snapshot = bs_cka_snapshot_new_empty (&header);

  return snapshot;
}

static gpointer
worker_main (gpointer data)
{
  Job *job = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(BsDataset) dataset = NULL;
  g_autoptr(BsCkaSnapshot) first = NULL;
  g_autoptr(BsCkaSnapshot) result = NULL;
  BsModel *model_a = NULL;
  BsModel *model_b = NULL;
  BsCkaJobOptions options;

  /* The data set, from the cache when it is the same one. */
  if (job->runner->cached_dataset != NULL &&
      g_strcmp0 (job->runner->cached_dataset->name, job->dataset) == 0)
    dataset = bs_dataset_ref (job->runner->cached_dataset);
  else
    {
      const BsDatasetInfo *info = bs_dataset_info_lookup (job->dataset, NULL);
      g_autofree char *status = g_strdup_printf ("Loading %s…", info ? info->display_name : job->dataset);

      channel_publish_status (job->channel, status);
      g_clear_pointer (&job->runner->cached_dataset, bs_dataset_unref);
      dataset = bs_dataset_load_test (job->dataset, job->data_dir, &error);
      if (dataset == NULL)
        goto out;
      job->runner->cached_dataset = bs_dataset_ref (dataset);
    }

  if (g_cancellable_set_error_if_cancelled (job->cancellable, &error))
    goto out;

  model_a = build_model (job, job->spec_a, dataset, "A", &error);
  if (model_a == NULL)
    goto out;
  /* The same network on both axes runs once per minibatch. */
  if (g_strcmp0 (job->spec_a, job->spec_b) == 0)
    model_b = model_a;
  else
    {
      model_b = build_model (job, job->spec_b, dataset, "B", &error);
      if (model_b == NULL)
        goto out;
    }

  first = initial_snapshot (job, model_a, model_b, dataset->test.n_images, &error);
  if (first == NULL)
    goto out;
  channel_publish_snapshot (job->channel, first);
  channel_publish_status (job->channel, "Computing…");

  bs_cka_job_options_init (&options);
  options.model_a = model_a;
  options.spec_a = job->spec_a;
  options.model_b = model_b;
  options.spec_b = job->spec_b;
  options.dataset = dataset;
  options.limit = job->limit;
  options.batch_size = job->batch_size;
  options.passes = job->passes;
  options.seed = job->seed;
  options.threads = job->threads;

  result = bs_cka_job_run (&options, on_job_snapshot, job, job->cancellable, &error);

out:
  if (model_b != model_a && model_b != NULL)
    bs_model_free (model_b);
  if (model_a != NULL)
    bs_model_free (model_a);

  if (result != NULL)
    channel_publish_snapshot (job->channel, result);
  channel_publish_finished (job->channel, g_steal_pointer (&error));

  job_free (job);
  return NULL;
}

/* ---------------------------------------------------------------- public */

gboolean
bs_job_runner_start (BsJobRunner       *self,
                     const BsJobParams *params)
{
  g_autoptr(GError) error = NULL;
  Job *job;

  g_return_val_if_fail (BS_IS_JOB_RUNNER (self), FALSE);
  g_return_val_if_fail (params != NULL && params->spec_a != NULL && params->dataset != NULL, FALSE);

  if (self->running)
    return FALSE;

  self->channel = channel_new (self);
  self->cancellable = g_cancellable_new ();
  self->running = TRUE;
  self->delivered = 0;
  self->published = 0;

  job = g_new0 (Job, 1);
  job->channel = channel_ref (self->channel);
  job->runner = self;
  job->cancellable = g_object_ref (self->cancellable);
  job->spec_a = g_strdup (params->spec_a);
  job->spec_b = g_strdup (params->spec_b ? params->spec_b : params->spec_a);
  job->dataset = g_strdup (params->dataset);
  job->data_dir = g_strdup (params->data_dir);
  job->passes = MAX (params->passes, 1);
  job->batch_size = params->batch_size;
  job->limit = params->limit;
  job->seed = params->seed;
  job->init_seed = params->init_seed;
  job->threads = params->threads > 0 ? params->threads : (guint) g_get_num_processors ();

  self->thread = g_thread_new ("blockscope-cka", worker_main, job);

  return TRUE;
}

void
bs_job_runner_cancel (BsJobRunner *self)
{
  g_return_if_fail (BS_IS_JOB_RUNNER (self));

  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
}

void
bs_job_runner_stop (BsJobRunner *self)
{
  g_return_if_fail (BS_IS_JOB_RUNNER (self));

  if (self->thread == NULL)
    return;

  g_cancellable_cancel (self->cancellable);
  /* Forget the channel first: its pending idle then finds a stranger. */
  g_clear_pointer (&self->channel, channel_unref);
  g_clear_pointer (&self->thread, g_thread_join);
  g_clear_object (&self->cancellable);
  self->running = FALSE;
}

gboolean
bs_job_runner_is_running (BsJobRunner *self)
{
  g_return_val_if_fail (BS_IS_JOB_RUNNER (self), FALSE);

  return self->running;
}

void
bs_job_runner_get_counts (BsJobRunner *self,
                          guint       *delivered,
                          guint       *published)
{
  g_return_if_fail (BS_IS_JOB_RUNNER (self));

  *delivered = self->delivered;
  *published = self->published;
}

static void
bs_job_runner_dispose (GObject *object)
{
  bs_job_runner_stop (BS_JOB_RUNNER (object));

  G_OBJECT_CLASS (bs_job_runner_parent_class)->dispose (object);
}

static void
bs_job_runner_finalize (GObject *object)
{
  BsJobRunner *self = BS_JOB_RUNNER (object);

  g_clear_pointer (&self->cached_dataset, bs_dataset_unref);

  G_OBJECT_CLASS (bs_job_runner_parent_class)->finalize (object);
}

static void
bs_job_runner_class_init (BsJobRunnerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = bs_job_runner_dispose;
  object_class->finalize = bs_job_runner_finalize;

  /* A text for the user: "Loading Fashion-MNIST…". */
  signals[STATUS] =
    g_signal_new ("status", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, G_TYPE_STRING);
  /* The newest BsCkaSnapshot (borrowed: reference it to keep it). */
  signals[SNAPSHOT] =
    g_signal_new ("snapshot", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, G_TYPE_POINTER);
  /* The job ended: NULL for success, else the GError (borrowed). */
  signals[FINISHED] =
    g_signal_new ("finished", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, G_TYPE_POINTER);
}

static void
bs_job_runner_init (BsJobRunner *self)
{
}

BsJobRunner *
bs_job_runner_new (void)
{
  return g_object_new (BS_TYPE_JOB_RUNNER, NULL);
}
