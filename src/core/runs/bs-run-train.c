/* bs-run-train.c: bs_run_train (): a run trained to its end, with snapshots, resumable.
 *
 * Order of what reaches the disk, so that a kill at any moment leaves a
 * folder that resumes to the same weights:
 *   step:   SGD step, its metrics line (one append);
 *   epoch:  checkpoint (atomic, with momentum and global step and the
 *           epoch's metrics), its metrics line, the epoch's snapshot, then
 *           older checkpoints the policy does not keep are removed.
 * A resume starts from the last checkpoint that loads: metrics.jsonl is
 * rewritten (atomically) without the lines after it, a missing epoch line
 * is made again from the checkpoint's metadata, snapshots after it are
 * removed and the epoch's own snapshot is taken when it is missing. The
 * batches of an epoch derive from (seed, epoch) alone (bs-batcher.h), so
 * the steps that follow are the same steps. */
#include "bs-run-private.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

#include "bs-atomic-file.h"
#include "bs-checkpoint.h"
#include "bs-cka-export.h"
#include "bs-cka-job.h"
#include "bs-error.h"
#include "bs-model-spec.h"

typedef struct {
  BsRun                *run;
  BsDataset            *dataset;
  const BsEngineConfig *engine;
  const BsRunCallbacks *callbacks;
  gpointer              user_data;
  GCancellable         *cancellable;
  BsTrainer            *trainer;
  GTimer               *timer;
  double                seconds_before;   /* of earlier sessions of this run */
  double                seconds_in_callbacks;  /* pauses: a callback may block */
  guint                 next_index;       /* the next snapshot's NNN */
  GError               *callback_error;   /* a metrics write that failed in a callback */
  BsRunSnapshotInfo    *current;          /* the snapshot being taken */
} Training;

static double
run_seconds (Training *t)
{
  return t->seconds_before + g_timer_elapsed (t->timer, NULL) - t->seconds_in_callbacks;
}

/* Brackets a callback: the time it takes is a pause, not the run's. */
static double
callback_start (Training *t)
{
  return g_timer_elapsed (t->timer, NULL);
}

static void
callback_end (Training *t,
              double    start)
{
  t->seconds_in_callbacks += g_timer_elapsed (t->timer, NULL) - start;
}

/* Snapshots */

static void
on_snapshot_partial (BsCkaSnapshot *snapshot,
                     gpointer       user_data)
{
  Training *t = user_data;

  if (t->callbacks != NULL && t->callbacks->snapshot_partial != NULL)
    {
      double start = callback_start (t);

      t->callbacks->snapshot_partial (t->current, snapshot, t->user_data);
      callback_end (t, start);
    }
}

static gboolean
take_snapshot (Training  *t,
               guint      epoch,
               guint64    global_step,
               gboolean   at_epoch,
               GError   **error)
{
  const BsRunSettings *settings = &t->run->settings;
  g_autofree char *name = bs_run_snapshot_file_name (t->next_index, at_epoch, at_epoch ? epoch : global_step);
  g_autoptr(BsCkaSnapshot) snapshot = NULL;
  BsRunSnapshotInfo info = { 0 };
  BsCkaJobOptions options;
  BsCkaExportInfo export_info = { 0 };
  double start = g_timer_elapsed (t->timer, NULL);
  double paused_before = t->seconds_in_callbacks;
  g_autofree char *record = NULL;

  info.index = t->next_index;
  info.epoch = epoch;
  info.global_step = global_step;
  info.matrix_path = bs_run_path (t->run, BS_RUN_SNAPSHOTS, name, NULL);
  t->current = &info;
  if (t->callbacks != NULL && t->callbacks->snapshot_started != NULL)
    {
      double callback = callback_start (t);

      t->callbacks->snapshot_started (&info, t->user_data);
      callback_end (t, callback);
    }

  /* The training model itself, in evaluation mode (running statistics
   * untouched) while the training waits; seed 0, so every snapshot of the
   * run sees the same minibatches. */
  bs_cka_job_options_init (&options);
  options.model_a = bs_trainer_get_model (t->trainer);
  options.spec_a = settings->model;
  options.init_seed_a = settings->init_seed;
  options.dataset = t->dataset;
  options.limit = settings->plan.probe_images;
  options.batch_size = settings->plan.probe_batch;
  options.passes = settings->plan.probe_passes;
  options.seed = 0;
  options.engine = t->engine;
  options.threads = bs_trainer_get_recipe (t->trainer)->threads;
  snapshot = bs_cka_job_run (&options, on_snapshot_partial, t, t->cancellable, error);
  if (snapshot == NULL)
    goto failed;

  export_info.options = &options;
  export_info.dataset = t->dataset->name;
  export_info.n_examples = MIN (settings->plan.probe_images, t->dataset->test.n_images);
  export_info.elapsed_seconds = g_timer_elapsed (t->timer, NULL) - start - (t->seconds_in_callbacks - paused_before);
  if (!bs_cka_export (snapshot, &export_info, info.matrix_path, error))
    goto failed;

  /* How long it took, for people and benchmarks (readers skip the kind). */
  record = g_strdup_printf ("{\"kind\":\"snapshot\",\"index\":%u,\"epoch\":%u,\"global_step\":%" G_GUINT64_FORMAT
                            ",\"snapshot_seconds\":%.3f}",
                            info.index, epoch, global_step, export_info.elapsed_seconds);
  if (!bs_run_append_metrics (t->run, record, error))
    goto failed;

  t->next_index++;
  g_array_append_val (t->run->snapshots, info);
  t->current = &g_array_index (t->run->snapshots, BsRunSnapshotInfo, t->run->snapshots->len - 1);
  if (t->callbacks != NULL && t->callbacks->snapshot_saved != NULL)
    {
      double callback = callback_start (t);

      t->callbacks->snapshot_saved (t->current, snapshot, t->user_data);
      callback_end (t, callback);
    }
  t->current = NULL;
  return TRUE;

failed:
  t->current = NULL;
  bs_run_snapshot_info_clear (&info);
  return FALSE;
}

/* Training callbacks */

static void
on_step (const BsTrainProgress *progress,
         gpointer               user_data)
{
  Training *t = user_data;
  BsRunStep step;
  g_autofree char *line = NULL;

  step.global_step = progress->global_step;
  step.epoch = progress->epoch;
  step.step = progress->step;
  step.loss = progress->loss;
  step.lr = progress->lr;
  step.seconds = run_seconds (t);
  line = bs_run_step_to_json (&step);
  if (t->callback_error == NULL)
    bs_run_append_metrics (t->run, line, &t->callback_error);
  g_array_append_val (t->run->steps, step);
  if (t->callbacks != NULL && t->callbacks->step != NULL)
    {
      double start = callback_start (t);

      t->callbacks->step (progress, t->user_data);
      callback_end (t, start);
    }
}

static void
on_epoch (const BsTrainEpochResult *result,
          gpointer                  user_data)
{
  Training *t = user_data;
  BsRunEpoch epoch;
  g_autofree char *line = NULL;

  epoch.epoch = result->epoch;
  epoch.train_loss = result->train_loss;
  epoch.train_accuracy = result->train_accuracy;
  epoch.test_loss = result->test_loss;
  epoch.test_accuracy = result->test_accuracy;
  epoch.seconds = run_seconds (t);
  line = bs_run_epoch_to_json (&epoch);
  if (t->callback_error == NULL)
    bs_run_append_metrics (t->run, line, &t->callback_error);
  g_array_append_val (t->run->epochs, epoch);
  {
    guint e = result->epoch;

    g_array_append_val (t->run->checkpoint_epochs, e);
  }
  if (t->callbacks != NULL && t->callbacks->epoch != NULL)
    {
      double start = callback_start (t);

      t->callbacks->epoch (result, t->user_data);
      callback_end (t, start);
    }
}

/* Removes the checkpoints the policy does not keep (all but the newest
 * and those at snapshot epochs). */
static void
apply_checkpoint_policy (Training *t,
                         guint     newest)
{
  BsRun *run = t->run;

  if (run->settings.keep_all_checkpoints)
    return;
  for (guint i = 0; i < run->checkpoint_epochs->len;)
    {
      guint e = g_array_index (run->checkpoint_epochs, guint, i);

      if (e < newest && !bs_run_is_snapshot_epoch (&run->settings, e))
        {
          g_autofree char *path = bs_run_get_checkpoint_path (run, e);

          g_unlink (path);
          g_array_remove_index (run->checkpoint_epochs, i);
        }
      else
        i++;
    }
}

static gboolean
on_hook (BsTrainer  *trainer,
         guint       epoch,
         guint64     global_step,
         gboolean    epoch_end,
         gpointer    user_data,
         GError    **error)
{
  Training *t = user_data;
  const BsRunSettings *settings = &t->run->settings;
  guint n_steps = bs_trainer_get_steps_per_epoch (trainer);

  if (t->callback_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&t->callback_error));
      return FALSE;
    }
  if (!epoch_end)
    {
      /* Called after every step (so that a metrics line that could not be
       * written stops the run at once); snapshots every every_steps. At the
       * end of an epoch with a snapshot of its own, that one does. */
      if (settings->plan.every_steps == 0 || global_step % settings->plan.every_steps != 0
          || (global_step % n_steps == 0 && bs_run_is_snapshot_epoch (settings, epoch)))
        return TRUE;
      return take_snapshot (t, epoch - (global_step % n_steps == 0 ? 0 : 1), global_step, FALSE, error);
    }
  if (bs_run_is_snapshot_epoch (settings, epoch) && !take_snapshot (t, epoch, global_step, TRUE, error))
    return FALSE;
  apply_checkpoint_policy (t, epoch);
  return TRUE;
}

/* Resuming */

/* The metrics up to (and including) epoch `epoch`, whose checkpoint info
 * makes up a missing epoch line; rewritten atomically. */
static gboolean
trim_metrics (Training               *t,
              guint                   epoch,
              const BsCheckpointInfo *info,
              GError                **error)
{
  BsRun *run = t->run;
  g_autofree char *path = bs_run_path (run, BS_RUN_METRICS, NULL);
  g_autoptr(GString) text = g_string_new ("");
  guint64 last_step = (guint64) epoch * run->steps_per_epoch;
  gboolean have_epoch_line = FALSE;
  double seconds = 0;
  guint keep = run->problems->len;

  bs_run_close_metrics (run);
  /* Its complaints go with the lines the new file leaves out. */
  bs_run_read_metrics (run);
  g_ptr_array_set_size (run->problems, keep);
  for (guint i = 0; i < run->steps->len;)
    {
      const BsRunStep *step = &g_array_index (run->steps, BsRunStep, i);

      if (step->global_step > last_step || step->epoch > epoch)
        g_array_remove_index (run->steps, i);
      else
        i++;
    }
  for (guint i = 0; i < run->epochs->len;)
    {
      const BsRunEpoch *e = &g_array_index (run->epochs, BsRunEpoch, i);

      if (e->epoch > epoch)
        g_array_remove_index (run->epochs, i);
      else
        {
          have_epoch_line |= e->epoch == epoch;
          i++;
        }
    }
  if (run->steps->len > 0)
    seconds = g_array_index (run->steps, BsRunStep, run->steps->len - 1).seconds;
  if (epoch > 0 && !have_epoch_line)
    {
      BsRunEpoch e = { 0 };

      e.epoch = epoch;
      e.train_loss = info->train_loss;
      e.train_accuracy = info->train_accuracy;
      e.test_loss = info->test_loss;
      e.test_accuracy = info->accuracy;
      e.seconds = seconds;
      g_array_append_val (run->epochs, e);
    }

  /* Steps and epochs in the order they happened. */
  {
    guint s = 0;

    for (guint i = 0; i < run->epochs->len; i++)
      {
        const BsRunEpoch *e = &g_array_index (run->epochs, BsRunEpoch, i);

        for (; s < run->steps->len && g_array_index (run->steps, BsRunStep, s).epoch <= e->epoch; s++)
          {
            g_autofree char *line = bs_run_step_to_json (&g_array_index (run->steps, BsRunStep, s));

            g_string_append_printf (text, "%s\n", line);
          }
        {
          g_autofree char *line = bs_run_epoch_to_json (e);

          g_string_append_printf (text, "%s\n", line);
        }
      }
    for (; s < run->steps->len; s++)
      {
        g_autofree char *line = bs_run_step_to_json (&g_array_index (run->steps, BsRunStep, s));

        g_string_append_printf (text, "%s\n", line);
      }
  }
  if (run->epochs->len > 0)
    seconds = MAX (seconds, g_array_index (run->epochs, BsRunEpoch, run->epochs->len - 1).seconds);
  t->seconds_before = seconds;
  return bs_atomic_file_write_contents (path, text->str, text->len, error);
}

/* Removes what a killed writer left: BsAtomicFile's NAME.tmp-XXXXXX. */
static void
remove_temporaries (const char *folder)
{
  g_autoptr(GDir) dir = g_dir_open (folder, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    if (strstr (name, ".tmp-") != NULL)
      {
        g_autofree char *path = g_build_filename (folder, name, NULL);

        if (g_file_test (path, G_FILE_TEST_IS_REGULAR))
          g_unlink (path);
      }
}

/* Removes snapshots taken after global step `last_step` (and checkpoints
 * after `epoch`), which the resumed run takes again. */
static void
trim_files (Training *t,
            guint     epoch,
            guint64   last_step)
{
  BsRun *run = t->run;
  const char *folders[] = { BS_RUN_CHECKPOINTS, BS_RUN_SNAPSHOTS, NULL };

  for (guint i = 0; i < G_N_ELEMENTS (folders); i++)
    {
      g_autofree char *folder = folders[i] ? bs_run_path (run, folders[i], NULL) : g_strdup (run->dir);

      remove_temporaries (folder);
    }
  bs_run_scan_files (run);
  for (guint i = 0; i < run->snapshots->len;)
    {
      BsRunSnapshotInfo *info = &g_array_index (run->snapshots, BsRunSnapshotInfo, i);

      if (info->global_step > last_step || info->epoch > epoch)
        {
          g_autofree char *json = bs_cka_export_json_path (info->matrix_path);

          g_unlink (info->matrix_path);
          g_unlink (json);
          g_array_remove_index (run->snapshots, i);
        }
      else
        i++;
    }
  for (guint i = 0; i < run->checkpoint_epochs->len;)
    {
      guint e = g_array_index (run->checkpoint_epochs, guint, i);

      if (e > epoch)
        {
          g_autofree char *path = bs_run_get_checkpoint_path (run, e);

          g_unlink (path);
          g_array_remove_index (run->checkpoint_epochs, i);
        }
      else
        i++;
    }
  t->next_index = 0;
  for (guint i = 0; i < run->snapshots->len; i++)
    t->next_index = MAX (t->next_index, g_array_index (run->snapshots, BsRunSnapshotInfo, i).index + 1);
}

static gboolean
has_epoch_snapshot (BsRun *run,
                    guint  epoch)
{
  for (guint i = 0; i < run->snapshots->len; i++)
    {
      const BsRunSnapshotInfo *info = &g_array_index (run->snapshots, BsRunSnapshotInfo, i);
      g_autofree char *base = g_path_get_basename (info->matrix_path);
      g_autofree char *suffix = g_strdup_printf ("-epoch-%u.npy", epoch);

      if (g_str_has_suffix (base, suffix))
        return TRUE;
    }
  return FALSE;
}

/* The newest checkpoint that resumes (epoch 0 without any: from the
 * start). When there are checkpoints but none resumes, FALSE: training from
 * the start would replace what the run holds, which is for a person to
 * decide (by removing them). */
static gboolean
resume_point (Training          *t,
              BsCheckpointInfo  *info,
              guint             *start_epoch,
              GError           **error)
{
  BsRun *run = t->run;
  g_autoptr(GError) last_error = NULL;

  bs_run_scan_files (run);
  for (guint i = run->checkpoint_epochs->len; i-- > 0;)
    {
      guint epoch = g_array_index (run->checkpoint_epochs, guint, i);
      g_autofree char *path = bs_run_get_checkpoint_path (run, epoch);
      g_autoptr(GError) local_error = NULL;
      BsModel *model;

      model = bs_checkpoint_load (path, info, &local_error);
      if (model != NULL)
        {
          bs_model_free (model);
          if (bs_trainer_resume (t->trainer, path, &local_error))
            {
              *start_epoch = epoch;
              return TRUE;
            }
          bs_checkpoint_info_clear (info);
        }
      /* Translators: why a checkpoint could not be resumed from. */
      g_ptr_array_add (run->problems, g_strdup_printf (_("%s; an earlier checkpoint is used"), local_error->message));
      g_clear_error (&last_error);
      last_error = g_steal_pointer (&local_error);
    }
  if (last_error != NULL)
    {
      g_set_error (error, BS_ERROR, BS_ERROR_FORMAT,
                   /* Translators: a run folder, then why its oldest checkpoint cannot be used. */
                   _("No checkpoint of the run in '%s' can be resumed from (%s). Remove the checkpoints to "
                     "train the run again from the start."),
                   run->dir, last_error->message);
      return FALSE;
    }
  *start_epoch = 0;
  return TRUE;
}

/* Takes the run's train.lock (see bs-run.h); -1 with an error when another
 * process holds it. */
static int
lock_run (BsRun   *run,
          GError **error)
{
  g_autofree char *path = bs_run_path (run, BS_RUN_LOCK, NULL);
  int fd = g_open (path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);

  if (fd < 0)
    {
      int errsv = errno;

      g_set_error (error, BS_ERROR, BS_ERROR_IO, _("Cannot write '%s': %s"), path, g_strerror (errsv));
      return -1;
    }
  if (flock (fd, LOCK_EX | LOCK_NB) != 0)
    {
      int errsv = errno;

      close (fd);
      if (errsv == EWOULDBLOCK)
        /* Translators: a run folder. */
        g_set_error (error, BS_ERROR, BS_ERROR_FAILED, _("The run in '%s' is being trained by another process"),
                     run->dir);
      else
        g_set_error (error, BS_ERROR, BS_ERROR_IO, _("Cannot lock '%s': %s"), path, g_strerror (errsv));
      return -1;
    }
  return fd;
}

static gboolean
finish (BsRun      *run,
        BsRunState  state,
        const char *message,
        GError    **error)
{
  run->state = state;
  g_free (run->error_message);
  run->error_message = g_strdup (message);
  bs_run_close_metrics (run);
  return bs_run_save_json (run, error);
}

static gboolean
train_locked (BsRun                 *run,
              BsDataset             *dataset,
              const BsEngineConfig  *engine,
              const BsRunCallbacks  *callbacks,
              gpointer               user_data,
              GCancellable          *cancellable,
              GError               **error)
{
  BsRunSettings *settings;
  g_autoptr(BsModel) model = NULL;
  g_autoptr(BsTrainer) trainer = NULL;
  g_autoptr(GTimer) timer = g_timer_new ();
  g_autoptr(GError) local_error = NULL;
  BsCheckpointInfo info;
  Training t = { 0 };
  guint start_epoch;
  gboolean ok;

  g_return_val_if_fail (run != NULL && dataset != NULL, FALSE);

  settings = &run->settings;
  if (run->state == BS_RUN_STATE_FINISHED)
    return TRUE;
  if (run->state == BS_RUN_STATE_FAILED)
    {
      /* Translators: a run folder, then why it failed. */
      g_set_error (error, BS_ERROR, BS_ERROR_INVALID_ARGUMENT, _("The run in '%s' failed and cannot be resumed: %s"),
                   run->dir, run->error_message ? run->error_message : "");
      return FALSE;
    }
  if (g_strcmp0 (dataset->name, settings->dataset) != 0)
    {
      /* Translators: a run folder, its data set's name, then the other data set's name. */
      g_set_error (error, BS_ERROR, BS_ERROR_MISMATCH, _("The run in '%s' trains on %s, not on %s"),
                   run->dir, settings->dataset, dataset->name);
      return FALSE;
    }

  if (!bs_snapshot_plan_check_dataset (&settings->plan, dataset, error))
    return FALSE;

  model = bs_model_spec_build (settings->model, dataset->train.channels, dataset->train.height,
                               dataset->train.width, dataset->n_classes, settings->init_seed, error);
  if (model == NULL)
    return FALSE;
  /* A resume then overwrites these weights with its checkpoint's. */
  if (settings->init != NULL && !bs_checkpoint_init_model (model, settings->init, NULL, error))
    {
      bs_model_free (model);
      return FALSE;
    }
  trainer = bs_trainer_new (model, dataset, &settings->recipe, engine, error);
  if (trainer == NULL)
    return FALSE;

  t.run = run;
  t.dataset = dataset;
  t.engine = engine;
  t.callbacks = callbacks;
  t.user_data = user_data;
  t.cancellable = cancellable;
  t.trainer = trainer;
  t.timer = timer;

  /* Results depend on the thread count and the batches: record them. */
  settings->recipe.threads = bs_trainer_get_recipe (trainer)->threads;
  run->steps_per_epoch = bs_trainer_get_steps_per_epoch (trainer);

  g_ptr_array_set_size (run->problems, 0);
  bs_checkpoint_info_init (&info);
  if (!resume_point (&t, &info, &start_epoch, error))
    return FALSE;
  trim_files (&t, start_epoch, (guint64) start_epoch * run->steps_per_epoch);
  ok = trim_metrics (&t, start_epoch, &info, error);
  bs_checkpoint_info_clear (&info);
  run->state = BS_RUN_STATE_RUNNING;
  g_clear_pointer (&run->error_message, g_free);
  if (!ok || !bs_run_save_json (run, error))
    return FALSE;

  {
    g_autofree char *dir = bs_run_path (run, BS_RUN_CHECKPOINTS, NULL);

    if (g_mkdir_with_parents (dir, 0755) != 0)
      {
        g_set_error (error, BS_ERROR, BS_ERROR_IO, _("Cannot make the run folder '%s': %s"), dir,
                     g_strerror (errno));
        return FALSE;
      }
    bs_trainer_set_checkpoint_dir (trainer, dir);
    g_free (dir);
    dir = bs_run_path (run, BS_RUN_SNAPSHOTS, NULL);
    if (g_mkdir_with_parents (dir, 0755) != 0)
      {
        g_set_error (error, BS_ERROR, BS_ERROR_IO, _("Cannot make the run folder '%s': %s"), dir,
                     g_strerror (errno));
        return FALSE;
      }
  }
  bs_trainer_set_progress_func (trainer, on_step, &t);
  bs_trainer_set_epoch_func (trainer, on_epoch, &t);
  bs_trainer_set_hook (trainer, 1, on_hook, &t);

  ok = TRUE;
  if (bs_run_is_snapshot_epoch (settings, start_epoch) && !has_epoch_snapshot (run, start_epoch))
    ok = take_snapshot (&t, start_epoch, (guint64) start_epoch * run->steps_per_epoch, TRUE, &local_error);
  if (ok)
    ok = bs_trainer_run (trainer, cancellable, &local_error);
  if (ok && t.callback_error != NULL)
    {
      ok = FALSE;
      g_propagate_error (&local_error, g_steal_pointer (&t.callback_error));
    }
  g_clear_error (&t.callback_error);

  if (ok)
    {
      if (!finish (run, BS_RUN_STATE_FINISHED, NULL, error))
        return FALSE;
      return TRUE;
    }
  if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    finish (run, BS_RUN_STATE_STOPPED, NULL, NULL);
  else
    finish (run, BS_RUN_STATE_FAILED, local_error->message, NULL);
  g_propagate_error (error, g_steal_pointer (&local_error));
  return FALSE;
}

gboolean
bs_run_train (BsRun                 *run,
              BsDataset             *dataset,
              const BsEngineConfig  *engine,
              const BsRunCallbacks  *callbacks,
              gpointer               user_data,
              GCancellable          *cancellable,
              GError               **error)
{
  int lock_fd;
  gboolean ok;

  g_return_val_if_fail (run != NULL && dataset != NULL, FALSE);

  lock_fd = lock_run (run, error);
  if (lock_fd < 0)
    return FALSE;
  ok = train_locked (run, dataset, engine, callbacks, user_data, cancellable, error);
  /* Closing the descriptor drops the lock. */
  close (lock_fd);
  return ok;
}
