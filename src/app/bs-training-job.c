/* bs-training-job.c: bs_run_train () on the window's job queue. */
#include "bs-config.h"

#include "bs-training-job.h"

#include <glib/gi18n.h>

#include "bs-model-catalog.h"
#include "bs-dataset.h"
#include "bs-dataset-locate.h"
#include "bs-number-format.h"

/* A snapshot's newest state, waiting for the main thread. */
typedef struct {
  BsRunSnapshotInfo  info;      /* matrix_path not kept */
  BsCkaSnapshot     *snapshot;
  gboolean           complete;
} PendingSnapshot;

/* What the worker uses: shared by the BsTrainingJob and its BsJob's data
 * (an atomic reference-counted box), so that neither keeps the other
 * alive and the worker never touches a GObject the window may drop. */
typedef struct {
  BsRun              *run;            /* the worker's while the job runs */
  char               *data_dir;
  BsEngineConfig      engine;

  /* Shared with the main thread, under lock */
  GMutex              lock;
  GCond               resumed;
  gboolean            paused;
  gboolean            cancelled;
  GArray             *pending_steps;     /* BsRunStep */
  GArray             *pending_epochs;    /* BsRunEpoch */
  GArray             *pending_snapshots; /* PendingSnapshot */
  guint64             pending_total_steps;
  guint64             steps_taken;
  guint64             last_step;

  /* Worker only */
  BsJob              *job;               /* borrowed while it runs */
  gint64              start_us;
  gint64              paused_us;         /* time spent paused */
  guint               report_count;
  gulong              cancelled_id;
} Worker;

struct _BsTrainingJob
{
  GObject             parent_instance;

  BsJob              *job;
  Worker             *worker;
  char               *run_dir;
  char               *description;
  BsTrainingHistory  *history;
  gboolean            paused;
};

G_DEFINE_FINAL_TYPE (BsTrainingJob, bs_training_job, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_PAUSED,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
clear_pending_snapshot (gpointer data)
{
  PendingSnapshot *p = data;

  g_clear_pointer (&p->snapshot, bs_cka_snapshot_unref);
}

/* ---------------------------------------------------------------- worker side */

static void
worker_clear (gpointer data)
{
  Worker *self = data;

  g_clear_pointer (&self->run, bs_run_unref);
  g_free (self->data_dir);
  g_array_unref (self->pending_steps);
  g_array_unref (self->pending_epochs);
  g_array_unref (self->pending_snapshots);
  g_mutex_clear (&self->lock);
  g_cond_clear (&self->resumed);
}

static void
worker_unref (gpointer data)
{
  g_atomic_rc_box_release_full (data, worker_clear);
}

static void
worker_take_pending (Worker  *self,
                     GArray **steps,
                     GArray **epochs,
                     GArray **snapshots)
{
  *steps = self->pending_steps;
  *epochs = self->pending_epochs;
  *snapshots = self->pending_snapshots;
  self->pending_steps = g_array_new (FALSE, FALSE, sizeof (BsRunStep));
  self->pending_epochs = g_array_new (FALSE, FALSE, sizeof (BsRunEpoch));
  self->pending_snapshots = g_array_new (FALSE, TRUE, sizeof (PendingSnapshot));
  g_array_set_clear_func (self->pending_snapshots, clear_pending_snapshot);
}

/* Wakes the main thread, which takes whatever is pending (coalesced by BsJob). */
static void
poke (Worker *self)
{
  GValue value = G_VALUE_INIT;

  g_value_init (&value, G_TYPE_UINT);
  g_value_set_uint (&value, ++self->report_count);
  bs_job_report_partial (self->job, &value);
  g_value_unset (&value);
}

static void
push_snapshot (Worker                  *self,
               const BsRunSnapshotInfo *info,
               BsCkaSnapshot           *snapshot,
               gboolean                 complete)
{
  PendingSnapshot *last = NULL;

  g_mutex_lock (&self->lock);
  if (self->pending_snapshots->len > 0)
    last = &g_array_index (self->pending_snapshots, PendingSnapshot, self->pending_snapshots->len - 1);
  /* Only the newest state of a snapshot matters. */
  if (last == NULL || last->info.index != info->index)
    {
      PendingSnapshot added = { 0 };

      g_array_append_val (self->pending_snapshots, added);
      last = &g_array_index (self->pending_snapshots, PendingSnapshot, self->pending_snapshots->len - 1);
    }
  last->info = *info;
  last->info.matrix_path = NULL;
  g_clear_pointer (&last->snapshot, bs_cka_snapshot_unref);
  last->snapshot = snapshot != NULL ? bs_cka_snapshot_ref (snapshot) : NULL;
  last->complete = complete;
  g_mutex_unlock (&self->lock);

  poke (self);
}

static double
run_seconds (Worker *self)
{
  return (g_get_monotonic_time () - self->start_us - self->paused_us) / 1e6;
}

static void
on_step (const BsTrainProgress *progress,
         gpointer               user_data)
{
  Worker *self = user_data;
  BsRunStep step = {
    .global_step = (guint64) (progress->epoch - 1) * progress->n_steps + progress->step,
    .epoch = progress->epoch,
    .step = progress->step,
    .loss = progress->loss,
    .lr = progress->lr,
    .seconds = run_seconds (self),
  };
  guint64 total = (guint64) progress->n_epochs * progress->n_steps;
  g_autofree char *left = bs_format_duration (progress->seconds_left);
  g_autofree char *status = NULL;

  g_mutex_lock (&self->lock);
  g_array_append_val (self->pending_steps, step);
  self->pending_total_steps = total;
  self->steps_taken++;
  self->last_step = step.global_step;
  g_mutex_unlock (&self->lock);

  /* Translators: epoch, epochs, step in the epoch, steps per epoch, time left (e.g. 2:05). */
  status = g_strdup_printf (_("Epoch %u of %u · step %u of %u · %s left"),
                            progress->epoch, progress->n_epochs, progress->step, progress->n_steps, left);
  bs_job_report_status (self->job, status);
  bs_job_report_progress (self->job, step.global_step, total);
  poke (self);

  /* A pause holds the worker here, between two steps. */
  g_mutex_lock (&self->lock);
  if (self->paused && !self->cancelled)
    {
      gint64 since = g_get_monotonic_time ();

      bs_job_report_status (self->job, _("Paused"));
      while (self->paused && !self->cancelled)
        g_cond_wait (&self->resumed, &self->lock);
      self->paused_us += g_get_monotonic_time () - since;
    }
  g_mutex_unlock (&self->lock);
}

static void
on_epoch (const BsTrainEpochResult *result,
          gpointer                  user_data)
{
  Worker *self = user_data;
  BsRunEpoch epoch = {
    .epoch = result->epoch,
    .train_loss = result->train_loss,
    .train_accuracy = result->train_accuracy,
    .test_loss = result->test_loss,
    .test_accuracy = result->test_accuracy,
    .seconds = run_seconds (self),
  };

  g_mutex_lock (&self->lock);
  g_array_append_val (self->pending_epochs, epoch);
  g_mutex_unlock (&self->lock);
  poke (self);
}

static void
on_snapshot_started (const BsRunSnapshotInfo *info,
                     gpointer                 user_data)
{
  Worker *self = user_data;
  g_autofree char *status = NULL;

  if (info->epoch == 0 && info->global_step == 0)
    status = g_strdup (_("Similarity at initialisation…"));
  else
    /* Translators: a CKA snapshot after an epoch (%u) is being computed. */
    status = g_strdup_printf (_("Similarity after epoch %u…"), info->epoch);
  bs_job_report_status (self->job, status);
  push_snapshot (self, info, NULL, FALSE);
}

static void
on_snapshot_partial (const BsRunSnapshotInfo *info,
                     BsCkaSnapshot           *snapshot,
                     gpointer                 user_data)
{
  push_snapshot (user_data, info, snapshot, FALSE);
}

static void
on_snapshot_saved (const BsRunSnapshotInfo *info,
                   BsCkaSnapshot           *snapshot,
                   gpointer                 user_data)
{
  push_snapshot (user_data, info, snapshot, TRUE);
}

static const BsRunCallbacks callbacks = {
  .step = on_step,
  .epoch = on_epoch,
  .snapshot_started = on_snapshot_started,
  .snapshot_partial = on_snapshot_partial,
  .snapshot_saved = on_snapshot_saved,
};

/* Called in the cancelling thread: a paused worker must wake to stop. */
static void
on_cancelled (GCancellable *cancellable,
              gpointer      user_data)
{
  Worker *self = user_data;

  g_mutex_lock (&self->lock);
  self->cancelled = TRUE;
  g_cond_broadcast (&self->resumed);
  g_mutex_unlock (&self->lock);
}

static gboolean
train (BsJob         *job,
       gpointer       data,
       GCancellable  *cancellable,
       GError       **error)
{
  Worker *self = data;
  const BsRunSettings *settings = bs_run_get_settings (self->run);
  const BsDatasetInfo *info = bs_dataset_info_lookup (settings->dataset, NULL);
  g_autoptr(BsDataset) dataset = NULL;
  g_autofree char *status = NULL;
  gboolean ok;

  /* Translators: %s is a data set, e.g. Fashion-MNIST. */
  status = g_strdup_printf (_("Loading %s…"), info != NULL ? bs_dataset_info_get_display_name (info)
                                                           : settings->dataset);
  bs_job_report_status (job, status);
  dataset = bs_dataset_load (settings->dataset, self->data_dir, error);
  if (dataset == NULL || g_cancellable_set_error_if_cancelled (cancellable, error))
    return FALSE;

  self->job = job;
  self->cancelled_id = g_cancellable_connect (cancellable, G_CALLBACK (on_cancelled), self, NULL);
  self->start_us = g_get_monotonic_time ();
  ok = bs_run_train (self->run, dataset, &self->engine, &callbacks, self, cancellable, error);
  g_cancellable_disconnect (cancellable, self->cancelled_id);
  self->cancelled_id = 0;
  self->job = NULL;

  return ok;
}

/* ---------------------------------------------------------------- main thread */

/* Moves what the worker reported into the history. */
static void
on_partial (BsJob         *job,
            const GValue  *value,
            BsTrainingJob *self)
{
  g_autoptr(GArray) steps = NULL;
  g_autoptr(GArray) epochs = NULL;
  g_autoptr(GArray) snapshots = NULL;
  guint64 total;

  g_mutex_lock (&self->worker->lock);
  worker_take_pending (self->worker, &steps, &epochs, &snapshots);
  total = self->worker->pending_total_steps;
  g_mutex_unlock (&self->worker->lock);

  if (total > 0)
    bs_training_history_set_total_steps (self->history, total);
  bs_training_history_add_steps (self->history, (const BsRunStep *) steps->data, steps->len);
  for (guint i = 0; i < epochs->len; i++)
    bs_training_history_add_epoch (self->history, &g_array_index (epochs, BsRunEpoch, i));
  for (guint i = 0; i < snapshots->len; i++)
    {
      PendingSnapshot *p = &g_array_index (snapshots, PendingSnapshot, i);

      bs_training_history_set_snapshot (self->history, p->info.index, p->info.epoch,
                                        p->info.global_step, p->snapshot, p->complete);
    }
}

static void
on_finished (BsJob         *job,
             BsTrainingJob *self)
{
  /* Nobody is left to resume a paused worker: it has ended. */
  if (self->paused)
    {
      self->paused = FALSE;
      self->worker->paused = FALSE;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PAUSED]);
    }
}

static void
bs_training_job_dispose (GObject *object)
{
  BsTrainingJob *self = BS_TRAINING_JOB (object);

  if (self->job != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->job, self);
      g_clear_object (&self->job);
    }
  g_clear_object (&self->history);

  G_OBJECT_CLASS (bs_training_job_parent_class)->dispose (object);
}

static void
bs_training_job_finalize (GObject *object)
{
  BsTrainingJob *self = BS_TRAINING_JOB (object);

  g_clear_pointer (&self->worker, worker_unref);
  g_free (self->run_dir);
  g_free (self->description);

  G_OBJECT_CLASS (bs_training_job_parent_class)->finalize (object);
}

static void
bs_training_job_get_property (GObject    *object,
                              guint       prop_id,
                              GValue     *value,
                              GParamSpec *pspec)
{
  BsTrainingJob *self = BS_TRAINING_JOB (object);

  switch (prop_id)
    {
    case PROP_PAUSED:
      g_value_set_boolean (value, self->paused);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
bs_training_job_class_init (BsTrainingJobClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = bs_training_job_dispose;
  object_class->finalize = bs_training_job_finalize;
  object_class->get_property = bs_training_job_get_property;

  properties[PROP_PAUSED] =
    g_param_spec_boolean ("paused", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
bs_training_job_init (BsTrainingJob *self)
{
  Worker *worker = g_atomic_rc_box_new0 (Worker);

  g_mutex_init (&worker->lock);
  g_cond_init (&worker->resumed);
  worker_take_pending (worker, &worker->pending_steps, &worker->pending_epochs, &worker->pending_snapshots);
  self->worker = worker;
}

BsTrainingJob *
bs_training_job_new (BsRun                *run,
                     const char           *data_dir,
                     const BsEngineConfig *engine)
{
  BsTrainingJob *self;
  g_autofree char *description = NULL;

  g_return_val_if_fail (run != NULL, NULL);

  self = g_object_new (BS_TYPE_TRAINING_JOB, NULL);
  self->worker->run = bs_run_ref (run);
  self->worker->data_dir = g_strdup (data_dir);
  self->worker->engine = engine != NULL ? *engine : *bs_engine_config_get_default ();
  self->run_dir = g_strdup (bs_run_get_dir (run));
  /* A resumed run shows what it did before. */
  self->history = bs_training_history_new_from_run (run, NULL);

  description = bs_model_catalog_describe_run (run);
  self->description = g_strdup (description);
  /* Translators: a job's title; %s describes the run, e.g. "resnet56 on Fashion-MNIST". */
  {
    g_autofree char *title = g_strdup_printf (_("Training %s"), description);

    self->job = bs_job_new (title, train, g_atomic_rc_box_acquire (self->worker), worker_unref);
  }
  g_signal_connect (self->job, "partial", G_CALLBACK (on_partial), self);
  g_signal_connect (self->job, "finished", G_CALLBACK (on_finished), self);

  return self;
}

BsJob *
bs_training_job_get_job (BsTrainingJob *self)
{
  g_return_val_if_fail (BS_IS_TRAINING_JOB (self), NULL);
  return self->job;
}

BsTrainingHistory *
bs_training_job_get_history (BsTrainingJob *self)
{
  g_return_val_if_fail (BS_IS_TRAINING_JOB (self), NULL);
  return self->history;
}

const char *
bs_training_job_get_description (BsTrainingJob *self)
{
  g_return_val_if_fail (BS_IS_TRAINING_JOB (self), NULL);
  return self->description;
}

const char *
bs_training_job_get_run_dir (BsTrainingJob *self)
{
  g_return_val_if_fail (BS_IS_TRAINING_JOB (self), NULL);
  return self->run_dir;
}

void
bs_training_job_pause (BsTrainingJob *self)
{
  g_return_if_fail (BS_IS_TRAINING_JOB (self));

  if (self->paused || bs_job_is_finished (self->job))
    return;
  self->paused = TRUE;
  g_mutex_lock (&self->worker->lock);
  self->worker->paused = TRUE;
  g_mutex_unlock (&self->worker->lock);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PAUSED]);
}

void
bs_training_job_resume (BsTrainingJob *self)
{
  g_return_if_fail (BS_IS_TRAINING_JOB (self));

  if (!self->paused)
    return;
  self->paused = FALSE;
  g_mutex_lock (&self->worker->lock);
  self->worker->paused = FALSE;
  g_cond_broadcast (&self->worker->resumed);
  g_mutex_unlock (&self->worker->lock);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PAUSED]);
}

gboolean
bs_training_job_is_paused (BsTrainingJob *self)
{
  g_return_val_if_fail (BS_IS_TRAINING_JOB (self), FALSE);
  return self->paused;
}

guint64
bs_training_job_get_last_step (BsTrainingJob *self)
{
  guint64 step;

  g_return_val_if_fail (BS_IS_TRAINING_JOB (self), 0);
  g_mutex_lock (&self->worker->lock);
  step = self->worker->last_step;
  g_mutex_unlock (&self->worker->lock);
  return step;
}

guint64
bs_training_job_get_steps_taken (BsTrainingJob *self)
{
  guint64 n;

  g_return_val_if_fail (BS_IS_TRAINING_JOB (self), 0);
  g_mutex_lock (&self->worker->lock);
  n = self->worker->steps_taken;
  g_mutex_unlock (&self->worker->lock);
  return n;
}
