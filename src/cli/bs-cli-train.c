/* bs-cli-train.c: `blockscope-cli train`: train a ResNet, checkpoint after every epoch.
 *
 * The training runs on a worker thread while the main thread waits in a main
 * loop for SIGINT/SIGTERM: the first one cancels the run, which stops after
 * the current step and keeps the checkpoint of the last finished epoch; a
 * second one quits at once.
 *
 * Progress goes to stderr. With --json, stdout gets JSON Lines: one object
 * per finished epoch ("type": "epoch", printed by the training thread, the
 * only writer of stdout while it runs), then one summary ("type": "summary")
 * once the training has started, whether it completed, was stopped or
 * failed. Documented in blockscope-cli-train(1).
 *
 * With --run-dir (or --resume) the training is a run folder (bs-run.h):
 * checkpoints, metrics and CKA snapshots in one folder that can be resumed;
 * --json then adds a line per step and per snapshot. */
#include <glib-unix.h>
#include <math.h>
#include <signal.h>
#include <glib/gi18n.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "bs-atomic-file.h"
#include "bs-checkpoint.h"
#include "bs-cli.h"
#include "bs-dataset-locate.h"
#include "bs-dataset.h"
#include "bs-error.h"
#include "bs-model-spec.h"
#include "bs-run.h"
#include "bs-runs.h"
#include "bs-safetensors.h"
#include "bs-sync.h"
#include "bs-trainer.h"

typedef struct {
  BsTrainer    *trainer;
  /* A run folder instead (--run-dir, --resume) */
  BsRun        *folder;
  BsDataset    *dataset;
  gint64        snapshot_start;  /* monotonic microseconds */
  GCancellable *cancellable;
  GMainLoop    *loop;
  gboolean      ok;
  GError       *error;
  guint         n_signals;
  /* --json, and the last finished epoch for the summary */
  gboolean      json;
  gboolean      have_epoch;
  BsTrainEpochResult last;
  /* Progress display. The training thread prints progress and results, the
   * main thread the answer to a signal: whoever prints holds print_lock, which
   * also guards line_open. */
  gboolean      tty;
  gint64        last_print;   /* monotonic microseconds; the training thread's */
  GMutex        print_lock;
  gboolean      line_open;    /* a \r line is on the terminal */
  gint          done;         /* set by the worker when it ends */
} Run;

static char *
format_duration (double seconds)
{
  gint64 s;

  if (!isfinite (seconds) || seconds < 0)
    return g_strdup ("?");
  s = (gint64) (seconds + 0.5);
  if (s >= 3600)
    /* Translators: a duration in hours and minutes, e.g. 2h05m. */
    return g_strdup_printf (_("%dh%02dm"), (int) (s / 3600), (int) ((s / 60) % 60));
  if (s >= 60)
    /* Translators: a duration in minutes and seconds, e.g. 4m07s. */
    return g_strdup_printf (_("%dm%02ds"), (int) (s / 60), (int) (s % 60));
  /* Translators: a duration in seconds, e.g. 42s. */
  return g_strdup_printf (_("%ds"), (int) s);
}

/* How the learning rate changes after the warm-up, for the line that sums up the recipe. */
static const char *
schedule_describe (BsScheduleKind kind)
{
  switch (kind)
    {
    case BS_SCHEDULE_LINEAR:
      return _("linear decay to zero");
    case BS_SCHEDULE_COSINE:
      return _("cosine decay to zero");
    case BS_SCHEDULE_CONSTANT:
    default:
      return _("constant");
    }
}

/* Call with print_lock held. */
static void
end_line (Run *run)
{
  if (run->line_open)
    {
      fputc ('\n', stderr);
      run->line_open = FALSE;
    }
}

static void
on_progress (const BsTrainProgress *progress,
             gpointer               user_data)
{
  Run *run = user_data;
  gint64 now = g_get_monotonic_time ();
  /* A terminal line updates 10 times a second; a log gets a line every 10 s
   * and one at the end of each epoch. */
  gint64 interval = run->tty ? G_USEC_PER_SEC / 10 : 10 * G_USEC_PER_SEC;
  gboolean last = progress->step == progress->n_steps;
  g_autofree char *left = NULL;

  if (!last && now - run->last_print < interval)
    return;
  run->last_print = now;

  left = format_duration (progress->seconds_left);
  bs_mutex_lock (&run->print_lock);
  fputs (run->tty ? "\r" : "", stderr);
  /* Translators: progress of training: epoch, epochs, step, steps, loss, learning rate,
   * speed and the time left (e.g. 4m07s). */
  fprintf (stderr, _("epoch %u/%u  step %u/%u  loss %.4f  lr %.4f  %.0f images/s  %s left"),
           progress->epoch, progress->n_epochs, progress->step, progress->n_steps,
           progress->loss, progress->lr, progress->images_per_s, left);
  fputs (run->tty ? "\033[K" : "\n", stderr);
  run->line_open = run->tty;
  fflush (stderr);
  bs_mutex_unlock (&run->print_lock);
}

static void
add_epoch_members (JsonBuilder              *builder,
                   const BsTrainEpochResult *result)
{
  bs_cli_json_add_double (builder, "train_loss", result->train_loss);
  bs_cli_json_add_double (builder, "train_accuracy", result->train_accuracy);
  bs_cli_json_add_double (builder, "test_loss", result->test_loss);
  bs_cli_json_add_double (builder, "test_accuracy", result->test_accuracy);
  json_builder_set_member_name (builder, "test_images");
  json_builder_add_int_value (builder, result->test_images);
}

static void
print_epoch_json (const BsTrainEpochResult *result)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "type");
  json_builder_add_string_value (builder, "epoch");
  json_builder_set_member_name (builder, "epoch");
  json_builder_add_int_value (builder, result->epoch);
  json_builder_set_member_name (builder, "epochs");
  json_builder_add_int_value (builder, result->n_epochs);
  add_epoch_members (builder, result);
  bs_cli_json_add_double (builder, "seconds", result->seconds);
  json_builder_set_member_name (builder, "checkpoint");
  if (result->checkpoint != NULL)
    json_builder_add_string_value (builder, result->checkpoint);
  else
    json_builder_add_null_value (builder);
  json_builder_end_object (builder);
  bs_cli_print_json_line (builder);
}

/* "completed", "stopped" (a signal), "diverged" (NaN or infinite loss) or "failed". */
static void
print_summary_json (const Run           *run,
                    const char          *status,
                    const GError        *error,
                    const char          *checkpoint,
                    const char          *model_spec,
                    const char          *dataset_name,
                    const BsTrainRecipe *recipe,
                    guint                epochs_done,
                    double               seconds,
                    const char          *run_dir)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  BsTrainEpochResult none = {
    .train_loss = NAN, .train_accuracy = NAN, .test_loss = NAN, .test_accuracy = NAN,
  };

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "type");
  json_builder_add_string_value (builder, "summary");
  json_builder_set_member_name (builder, "status");
  json_builder_add_string_value (builder, status);
  json_builder_set_member_name (builder, "error");
  if (error != NULL)
    json_builder_add_string_value (builder, error->message);
  else
    json_builder_add_null_value (builder);
  json_builder_set_member_name (builder, "checkpoint");
  if (epochs_done > 0)
    json_builder_add_string_value (builder, checkpoint);
  else
    json_builder_add_null_value (builder);
  json_builder_set_member_name (builder, "model");
  json_builder_add_string_value (builder, model_spec);
  json_builder_set_member_name (builder, "dataset");
  json_builder_add_string_value (builder, dataset_name);
  json_builder_set_member_name (builder, "epochs");
  json_builder_add_int_value (builder, recipe->epochs);
  json_builder_set_member_name (builder, "epochs_done");
  json_builder_add_int_value (builder, epochs_done);
  json_builder_set_member_name (builder, "seed");
  json_builder_add_int_value (builder, (gint64) recipe->seed);
  /* The last finished epoch; null before the first. */
  add_epoch_members (builder, run->have_epoch ? &run->last : &none);
  bs_cli_json_add_double (builder, "seconds", seconds);
  if (run_dir != NULL)
    bs_cli_json_add_string (builder, "run_dir", run_dir);
  json_builder_end_object (builder);
  bs_cli_print_json_line (builder);
}

static void
on_epoch (const BsTrainEpochResult *result,
          gpointer                  user_data)
{
  Run *run = user_data;
  g_autofree char *took = format_duration (result->seconds);

  run->last = *result;
  run->last.checkpoint = NULL;  /* borrowed for the callback only */
  run->have_epoch = TRUE;
  if (run->json)
    print_epoch_json (result);

  bs_mutex_lock (&run->print_lock);
  end_line (run);
  /* Translators: epoch, epochs, training loss and accuracy, test loss and accuracy, test
   * images and how long the epoch took (e.g. 4m07s). */
  fprintf (stderr, _("epoch %u/%u: train loss %.4f, train accuracy %.2f %%, test loss %.4f, "
                     "test accuracy %.2f %% (%u images), %s"),
           result->epoch, result->n_epochs, result->train_loss, 100 * result->train_accuracy,
           result->test_loss, 100 * result->test_accuracy, result->test_images, took);
  if (result->checkpoint != NULL)
    /* Translators: follows the line of an epoch; %s is the checkpoint file. */
    fprintf (stderr, _("; saved %s"), result->checkpoint);
  fputc ('\n', stderr);
  fflush (stderr);
  bs_mutex_unlock (&run->print_lock);
}

static void
on_folder_step (const BsTrainProgress *progress,
                gpointer               user_data)
{
  Run *run = user_data;

  if (run->json)
    {
      g_autoptr(JsonBuilder) builder = json_builder_new ();

      /* Every step, so that scripts (and the kill tests) can follow the run. */
      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "type");
      json_builder_add_string_value (builder, "step");
      json_builder_set_member_name (builder, "epoch");
      json_builder_add_int_value (builder, progress->epoch);
      json_builder_set_member_name (builder, "step");
      json_builder_add_int_value (builder, progress->step);
      json_builder_set_member_name (builder, "global_step");
      json_builder_add_int_value (builder, (gint64) progress->global_step);
      bs_cli_json_add_double (builder, "loss", progress->loss);
      bs_cli_json_add_double (builder, "lr", progress->lr);
      json_builder_end_object (builder);
      bs_cli_print_json_line (builder);
    }
  on_progress (progress, user_data);
}

static void
on_snapshot_started (const BsRunSnapshotInfo *info,
                     gpointer                 user_data)
{
  Run *run = user_data;

  run->snapshot_start = g_get_monotonic_time ();
}

static void
on_snapshot_saved (const BsRunSnapshotInfo *info,
                   BsCkaSnapshot           *snapshot,
                   gpointer                 user_data)
{
  Run *run = user_data;
  double seconds = (g_get_monotonic_time () - run->snapshot_start) / 1e6;

  if (run->json)
    {
      g_autoptr(JsonBuilder) builder = json_builder_new ();

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "type");
      json_builder_add_string_value (builder, "snapshot");
      json_builder_set_member_name (builder, "index");
      json_builder_add_int_value (builder, info->index);
      json_builder_set_member_name (builder, "epoch");
      json_builder_add_int_value (builder, info->epoch);
      json_builder_set_member_name (builder, "global_step");
      json_builder_add_int_value (builder, (gint64) info->global_step);
      bs_cli_json_add_string (builder, "file", info->matrix_path);
      bs_cli_json_add_double (builder, "seconds", seconds);
      json_builder_end_object (builder);
      bs_cli_print_json_line (builder);
    }
  {
    g_autofree char *step = g_strdup_printf ("%" G_GUINT64_FORMAT, info->global_step);

    bs_mutex_lock (&run->print_lock);
    end_line (run);
    /* Translators: a snapshot's number, the epochs and steps done when it
     * was taken, how long it took in seconds and its file. */
    fprintf (stderr, _("snapshot %u (epoch %u, step %s) took %.1f s: %s\n"),
             info->index, info->epoch, step, seconds, info->matrix_path);
    fflush (stderr);
    bs_mutex_unlock (&run->print_lock);
  }
}

static gboolean
quit_loop (gpointer user_data)
{
  Run *run = user_data;

  g_main_loop_quit (run->loop);
  return G_SOURCE_REMOVE;
}

static gpointer
train_thread (gpointer user_data)
{
  Run *run = user_data;

  if (run->folder != NULL)
    {
      const BsRunCallbacks callbacks = {
        .step = on_folder_step,
        .epoch = on_epoch,
        .snapshot_started = on_snapshot_started,
        .snapshot_saved = on_snapshot_saved,
      };

      run->ok = bs_run_train (run->folder, run->dataset, bs_cli_get_engine (), &callbacks, run,
                              run->cancellable, &run->error);
    }
  else
    run->ok = bs_trainer_run (run->trainer, run->cancellable, &run->error);
  g_atomic_int_set (&run->done, 1);
  g_main_context_invoke (NULL, quit_loop, run);
  return NULL;
}

static gboolean
on_signal (gpointer user_data)
{
  Run *run = user_data;

  if (run->n_signals++ == 0)
    {
      bs_mutex_lock (&run->print_lock);
      end_line (run);
      fprintf (stderr, "%s\n", _("Stopping after the current step (press Ctrl-C again to quit at once)…"));
      bs_mutex_unlock (&run->print_lock);
      g_cancellable_cancel (run->cancellable);
      return G_SOURCE_CONTINUE;
    }
  /* Atomic saving means even this cannot leave a half-written checkpoint. */
  signal (SIGINT, SIG_DFL);
  raise (SIGINT);
  _exit (BS_CLI_EXIT_FAILURE);
}

static gboolean
parse_schedule (const char     *text,
                BsScheduleKind *kind)
{
  return text == NULL || bs_schedule_kind_from_string (text, kind);
}

/* Runs the training on a worker thread while this one waits for signals. */
static void
run_worker (Run *run)
{
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  GThread *thread;
  guint sigint_id, sigterm_id;

  run->cancellable = cancellable;
  run->loop = loop;
  run->tty = isatty (fileno (stderr));
  run->last_print = 0;
  g_mutex_init (&run->print_lock);

  sigint_id = g_unix_signal_add (SIGINT, on_signal, run);
  sigterm_id = g_unix_signal_add (SIGTERM, on_signal, run);
  run->done = 0;
  thread = g_thread_try_new ("train", train_thread, run, &run->error);
  if (thread != NULL)
    {
      bs_cli_run_until_done (loop, &run->done);
      g_thread_join (thread);
    }
  g_source_remove (sigint_id);
  g_source_remove (sigterm_id);
  /* The training thread has ended: the line is this thread's alone. */
  end_line (run);
  g_mutex_clear (&run->print_lock);
  run->cancellable = NULL;
  run->loop = NULL;
}

static void
print_recipe (const char          *model_spec,
              BsDataset           *dataset,
              const BsTrainRecipe *recipe,
              guint                steps_per_epoch)
{
  g_autofree char *seed_text = g_strdup_printf ("%" G_GUINT64_FORMAT, recipe->seed);
  guint n_threads = recipe->threads > 0 ? recipe->threads : bs_cli_get_engine ()->threads;

  /* Translators: model, data set, images, steps per epoch, batch size, epochs. */
  fprintf (stderr, g_dngettext (GETTEXT_PACKAGE, "Training %s on %s: %u images, %u steps of %u per epoch, %u epoch\n",
                                "Training %s on %s: %u images, %u steps of %u per epoch, %u epochs\n",
                                recipe->epochs),
           model_spec, bs_cli_dataset_display_name (dataset),
           recipe->limit > 0 ? MIN (recipe->limit, dataset->train.n_images) : dataset->train.n_images,
           steps_per_epoch, recipe->batch_size, recipe->epochs);
  fprintf (stderr, g_dngettext (GETTEXT_PACKAGE,
                                /* Translators: the learning rate, how it changes (e.g. "linear decay to
                                 * zero"), the warm-up in epochs, momentum, weight decay, the seed,
                                 * threads, and "augmentation on" or "augmentation off". */
                                "SGD: lr %g (%s, warm-up %g epochs), momentum %g, weight decay %g, seed %s, %u thread, %s\n",
                                "SGD: lr %g (%s, warm-up %g epochs), momentum %g, weight decay %g, seed %s, %u threads, %s\n",
                                n_threads),
           recipe->lr, schedule_describe (recipe->schedule), recipe->warmup_epochs, recipe->momentum,
           recipe->weight_decay, seed_text, n_threads,
           recipe->augment ? _("augmentation on") : _("augmentation off"));
}

/* Trains a run folder (new or resumed) to its end: the common part of
 * --run-dir and --resume. */
static int
train_folder (BsRun     *folder,
              BsDataset *dataset,
              gboolean   json)
{
  const BsRunSettings *settings = bs_run_get_settings (folder);
  Run run = { 0 };
  GArray *checkpoints;
  g_autofree char *checkpoint = NULL;
  gint64 start;
  const char *outcome = "completed";
  int status = BS_CLI_EXIT_OK;
  guint steps_per_epoch;

  run.folder = folder;
  run.dataset = dataset;
  run.json = json;

  {
    /* The steps per epoch as the trainer will count them. */
    BsTrainRecipe recipe = settings->recipe;
    guint n = recipe.limit > 0 ? MIN (recipe.limit, dataset->train.n_images) : dataset->train.n_images;

    steps_per_epoch = (n + recipe.batch_size - 1) / recipe.batch_size;
    print_recipe (settings->model, dataset, &recipe, steps_per_epoch);
  }
  /* Translators: a run folder. */
  fprintf (stderr, _("Run folder: %s\n"), bs_run_get_dir (folder));

  start = g_get_monotonic_time ();
  run_worker (&run);

  checkpoints = bs_run_get_checkpoint_epochs (folder);
  if (checkpoints->len > 0)
    checkpoint = bs_run_get_checkpoint_path (folder, g_array_index (checkpoints, guint, checkpoints->len - 1));
  if (!run.ok)
    {
      if (g_error_matches (run.error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          outcome = "stopped";
          /* Translators: a run folder, twice. */
          fprintf (stderr, _("Stopped. Resume with: blockscope-cli train --resume %s\n"), bs_run_get_dir (folder));
        }
      else
        {
          outcome = g_error_matches (run.error, BS_ERROR, BS_ERROR_DIVERGED) ? "diverged" : "failed";
          bs_cli_fail (run.error);
        }
      status = BS_CLI_EXIT_FAILURE;
    }
  else
    /* Translators: a run folder. */
    fprintf (stderr, _("Done: the run is in %s\n"), bs_run_get_dir (folder));

  if (json)
    {
      GArray *epochs = bs_run_get_epochs (folder);

      if (!run.have_epoch && epochs->len > 0)
        {
          /* A resumed run that had no epoch left still reports its last one. */
          const BsRunEpoch *e = &g_array_index (epochs, BsRunEpoch, epochs->len - 1);

          run.last.train_loss = e->train_loss;
          run.last.train_accuracy = e->train_accuracy;
          run.last.test_loss = e->test_loss;
          run.last.test_accuracy = e->test_accuracy;
          run.last.test_images = settings->recipe.test_limit > 0
                                   ? MIN (settings->recipe.test_limit, dataset->test.n_images)
                                   : dataset->test.n_images;
          run.have_epoch = TRUE;
        }
      print_summary_json (&run, outcome,
                          g_error_matches (run.error, G_IO_ERROR, G_IO_ERROR_CANCELLED) ? NULL : run.error,
                          checkpoint, settings->model, dataset->name, &settings->recipe,
                          checkpoint != NULL ? epochs->len : 0,
                          (g_get_monotonic_time () - start) / 1e6, bs_run_get_dir (folder));
    }
  g_clear_error (&run.error);
  return status;
}

static int
resume_folder (const char *dir,
               const char *data_dir,
               gboolean    json)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BsRun) folder = bs_run_open (dir, &error);
  g_autoptr(BsDataset) dataset = NULL;
  GPtrArray *problems;

  if (folder == NULL)
    return bs_cli_fail (error);
  problems = bs_run_get_problems (folder);
  for (guint i = 0; i < problems->len; i++)
    /* Translators: what is damaged in a run folder (it opens with the rest). */
    fprintf (stderr, _("Warning: %s\n"), (const char *) g_ptr_array_index (problems, i));

  if (bs_run_get_state (folder) == BS_RUN_STATE_FINISHED)
    {
      /* Translators: a run folder. */
      fprintf (stderr, _("The run in %s has finished: there is nothing to resume.\n"), bs_run_get_dir (folder));
      return BS_CLI_EXIT_OK;
    }
  if (!bs_run_can_resume (folder))
    {
      g_set_error (&error, BS_ERROR, BS_ERROR_INVALID_ARGUMENT,
                   /* Translators: a run folder, then why it failed. */
                   _("The run in '%s' failed and cannot be resumed: %s"), bs_run_get_dir (folder),
                   bs_run_get_error_message (folder) ? bs_run_get_error_message (folder) : "");
      return bs_cli_fail (error);
    }

  dataset = bs_dataset_load (bs_run_get_settings (folder)->dataset, data_dir, &error);
  if (dataset == NULL)
    return bs_cli_fail (error);
  return train_folder (folder, dataset, json);
}

/* --init: the weights are checked against the data set before any data is
 * read (a probe model of the data set's shape takes them), model_spec
 * defaults to their architecture, and people are told when the head is new. */
static gboolean
check_init (const char           *init,
            char                **model_spec,
            const BsDatasetInfo  *info,
            guint64               seed,
            GError              **error)
{
  BsModel *probe;
  gboolean new_head = FALSE;

  if (*model_spec == NULL)
    {
      g_autoptr(BsSafetensors) st = bs_safetensors_load (init, error);
      const char *architecture;

      if (st == NULL)
        return FALSE;
      architecture = bs_safetensors_get_metadata (st, "architecture");
      if (architecture == NULL)
        {
          g_set_error (error, BS_ERROR, BS_ERROR_FORMAT,
                       /* Translators: a file. */
                       _("'%s' is not a Blockscope checkpoint; make one from PyTorch weights with 'blockscope-cli import'"),
                       init);
          return FALSE;
        }
      *model_spec = g_strdup (architecture);
    }
  probe = bs_model_new (*model_spec, info->channels, info->height, info->width, info->n_classes, error);
  if (probe == NULL)
    return FALSE;
  if (!bs_checkpoint_init_model (probe, init, &new_head, error))
    {
      bs_model_free (probe);
      return FALSE;
    }
  bs_model_free (probe);
  /* Translators: a checkpoint file. */
  fprintf (stderr, _("Fine-tuning from the weights in %s\n"), init);
  if (new_head)
    {
      g_autofree char *seed_text = g_strdup_printf ("%" G_GUINT64_FORMAT, seed);

      /* Translators: %u is a class count, the first %s a data set (CIFAR-10), the second a seed. */
      fprintf (stderr, _("The weights' head is for other classes: a new one for the %u classes of %s, initialised from seed %s.\n"),
               info->n_classes, bs_dataset_info_get_display_name (info), seed_text);
    }
  return TRUE;
}

int
bs_cli_train (int    argc,
              char **argv)
{
  g_autofree char *model_spec = NULL;
  g_autofree char *dataset_name = NULL;
  g_autofree char *out = NULL;
  g_autofree char *schedule = NULL;
  g_autofree char *data_dir = NULL;
  g_autofree char *run_dir = NULL;
  g_autofree char *resume = NULL;
  g_autofree char *init = NULL;
  gint epochs = -1, batch = -1, threads = -1, limit = -1, test_limit = -1;
  gint snapshot_epochs = -1, snapshot_steps = -1, probe_images = -1, probe_batch = -1;
  gint64 seed = -1;
  double lr = NAN, momentum = NAN, weight_decay = NAN, warmup = NAN;
  gboolean augment = FALSE, no_augment = FALSE, json = FALSE;
  gboolean no_snapshots = FALSE, keep_all = FALSE;
  const GOptionEntry entries[] = {
    { "model", 'm', 0, G_OPTION_ARG_STRING, &model_spec, N_("Model name (resnet20, resnet56x4, imagenet-resnet50, ...) or a checkpoint to start from (default resnet20)"), "MODEL" },
    { "init", 0, 0, G_OPTION_ARG_FILENAME, &init, N_("Fine-tune: start from the weights of a checkpoint (from 'import' or 'download weights'); a head for other classes is replaced by a new one. --model defaults to its architecture"), "CKPT" },
    { "dataset", 'd', 0, G_OPTION_ARG_STRING, &dataset_name, N_("Data set (default fashion-mnist; see 'blockscope-cli datasets')"), "NAME" },
    { "out", 'o', 0, G_OPTION_ARG_FILENAME, &out, N_("Checkpoint to write after every epoch (default: a new file in the runs folder)"), "FILE" },
    { "run-dir", 0, 0, G_OPTION_ARG_FILENAME, &run_dir, N_("Train into a new run folder: checkpoints, metrics and CKA snapshots, resumable"), "DIR" },
    { "resume", 0, 0, G_OPTION_ARG_FILENAME, &resume, N_("Resume the run in a run folder with its own settings"), "DIR" },
    { "epochs", 'e', 0, G_OPTION_ARG_INT, &epochs, N_("Epochs (default 10)"), "N" },
    { "batch", 'b', 0, G_OPTION_ARG_INT, &batch, N_("Batch size (default 128)"), "N" },
    { "lr", 0, 0, G_OPTION_ARG_DOUBLE, &lr, N_("Peak learning rate (default 0.1)"), "LR" },
    { "schedule", 0, 0, G_OPTION_ARG_STRING, &schedule, N_("Learning rate decay to zero: linear (default), cosine or constant"), "KIND" },
    { "warmup-epochs", 0, 0, G_OPTION_ARG_DOUBLE, &warmup, N_("Linear warm-up, in epochs (default 0.2)"), "X" },
    { "momentum", 0, 0, G_OPTION_ARG_DOUBLE, &momentum, N_("SGD momentum (default 0.9)"), "M" },
    { "weight-decay", 0, 0, G_OPTION_ARG_DOUBLE, &weight_decay, N_("Weight decay (default 5e-4)"), "WD" },
    { "seed", 's', 0, G_OPTION_ARG_INT64, &seed, N_("Seed of initialisation, shuffling and augmentation (default 0)"), "S" },
    { "threads", 't', 0, G_OPTION_ARG_INT, &threads, N_("Worker threads (default: $BLOCKSCOPE_THREADS, else as many as OpenBLAS uses)"), "N" },
    { "limit", 0, 0, G_OPTION_ARG_INT, &limit, N_("Use only the first N training images"), "N" },
    { "test-limit", 0, 0, G_OPTION_ARG_INT, &test_limit, N_("Evaluate on the first N test images only"), "N" },
    { "augment", 0, 0, G_OPTION_ARG_NONE, &augment, N_("Random crops and flips (default for CIFAR only)"), NULL },
    { "no-augment", 0, 0, G_OPTION_ARG_NONE, &no_augment, N_("No random crops and flips"), NULL },
    { "snapshot-every-epochs", 0, 0, G_OPTION_ARG_INT, &snapshot_epochs, N_("With --run-dir: a CKA snapshot after every K-th epoch and the last (default 1; 0: none)"), "K" },
    { "snapshot-steps", 0, 0, G_OPTION_ARG_INT, &snapshot_steps, N_("With --run-dir: a CKA snapshot every N steps as well (default: none)"), "N" },
    { "probe-images", 0, 0, G_OPTION_ARG_INT, &probe_images, N_("With --run-dir: snapshots use the first M test images (default 1024)"), "M" },
    { "probe-batch", 0, 0, G_OPTION_ARG_INT, &probe_batch, N_("With --run-dir: the minibatch size of snapshots (default 256)"), "N" },
    { "no-snapshots", 0, 0, G_OPTION_ARG_NONE, &no_snapshots, N_("With --run-dir: no CKA snapshots, not even at initialisation"), NULL },
    { "keep-all-checkpoints", 0, 0, G_OPTION_ARG_NONE, &keep_all, N_("With --run-dir: keep every epoch's checkpoint (default: the last and those at snapshots)"), NULL },
    { "data-dir", 0, 0, G_OPTION_ARG_FILENAME, &data_dir, N_("Folder to look for data sets in first"), "DIR" },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, N_("Print a JSON object per epoch and a summary on stdout (JSON Lines)"), NULL },
    { NULL }
  };
  g_autoptr(GError) error = NULL;
  g_autoptr(BsDataset) dataset = NULL;
  g_autoptr(BsTrainer) trainer = NULL;
  const BsDatasetInfo *info;
  BsModel *model = NULL;
  BsTrainRecipe recipe;
  BsSnapshotPlan plan;
  Run run = { 0 };
  guint saved;
  gint64 start;
  const char *outcome;
  gboolean folder_options;
  int status;

  if (!bs_cli_parse ("train", "", N_("Train a ResNet on a data set, saving a checkpoint after every epoch."),
                     entries, &argc, &argv, &status))
    return status;
  if (argc > 1)
    return bs_cli_usage_error ("train", _("unexpected argument '%s'"), argv[1]);

  folder_options = snapshot_epochs != -1 || snapshot_steps != -1 || probe_images != -1 || probe_batch != -1
                   || no_snapshots || keep_all;
  if (resume != NULL)
    {
      /* The run's settings are in its folder: another value would make it
       * another run. */
      if (model_spec || init || dataset_name || out || run_dir || epochs != -1 || batch != -1 || threads != -1
          || limit != -1 || test_limit != -1 || seed != -1 || !isnan (lr) || !isnan (momentum)
          || !isnan (weight_decay) || !isnan (warmup) || schedule || augment || no_augment || folder_options)
        return bs_cli_usage_error ("train", _("--resume takes no other options than --data-dir and --json"));
      return resume_folder (resume, data_dir, json);
    }
  if (folder_options && run_dir == NULL)
    return bs_cli_usage_error ("train", _("the snapshot and checkpoint options need --run-dir"));
  if (run_dir != NULL && out != NULL)
    return bs_cli_usage_error ("train", _("--out and --run-dir contradict each other (a run folder holds its checkpoints)"));

  bs_snapshot_plan_init (&plan);
  if (no_snapshots && (snapshot_epochs != -1 || snapshot_steps != -1))
    return bs_cli_usage_error ("train", _("--no-snapshots contradicts --snapshot-every-epochs and --snapshot-steps"));
  if (no_snapshots)
    {
      plan.at_init = FALSE;
      plan.every_epochs = 0;
    }
  if (snapshot_epochs != -1)
    {
      if (snapshot_epochs < 0)
        return bs_cli_usage_error ("train", _("--snapshot-every-epochs must not be negative"));
      plan.every_epochs = snapshot_epochs;
    }
  if (snapshot_steps != -1)
    {
      if (snapshot_steps < 1)
        return bs_cli_usage_error ("train", _("--snapshot-steps must be at least 1"));
      plan.every_steps = snapshot_steps;
    }
  if (probe_images != -1)
    {
      if (probe_images < 1)
        return bs_cli_usage_error ("train", _("--probe-images must be at least 1"));
      plan.probe_images = probe_images;
    }
  if (probe_batch != -1)
    {
      if (probe_batch < 1)
        return bs_cli_usage_error ("train", _("--probe-batch must be at least 1"));
      plan.probe_batch = probe_batch;
    }
  if (!bs_snapshot_plan_check (&plan, &error))
    return bs_cli_usage_error ("train", "%s", error->message);
  bs_train_recipe_init (&recipe);
  if (epochs != -1)
    {
      if (epochs < 1)
        return bs_cli_usage_error ("train", _("--epochs must be at least 1"));
      recipe.epochs = epochs;
    }
  if (batch != -1)
    {
      if (batch < 1)
        return bs_cli_usage_error ("train", _("--batch must be at least 1"));
      recipe.batch_size = batch;
    }
  if (threads != -1)
    {
      if (threads < 1)
        return bs_cli_usage_error ("train", _("--threads must be at least 1"));
      recipe.threads = threads;
    }
  if (limit != -1)
    {
      if (limit < 1)
        return bs_cli_usage_error ("train", _("--limit must be at least 1"));
      recipe.limit = limit;
    }
  if (test_limit != -1)
    {
      if (test_limit < 1)
        return bs_cli_usage_error ("train", _("--test-limit must be at least 1"));
      recipe.test_limit = test_limit;
    }
  if (seed != -1)
    {
      if (seed < 0)
        return bs_cli_usage_error ("train", _("--seed must not be negative"));
      recipe.seed = (guint64) seed;
    }
  if (!isnan (lr))
    recipe.lr = lr;
  if (!isnan (momentum))
    recipe.momentum = momentum;
  if (!isnan (weight_decay))
    recipe.weight_decay = weight_decay;
  if (!isnan (warmup))
    recipe.warmup_epochs = warmup;
  if (!parse_schedule (schedule, &recipe.schedule))
    return bs_cli_usage_error ("train", _("unknown --schedule '%s' (linear, cosine or constant)"), schedule);
  if (augment && no_augment)
    return bs_cli_usage_error ("train", _("--augment and --no-augment contradict each other"));
  if (!bs_train_recipe_check (&recipe, &error))
    return bs_cli_usage_error ("train", "%s", error->message);

  if (dataset_name == NULL)
    dataset_name = g_strdup ("fashion-mnist");
  if (init != NULL && model_spec != NULL && bs_model_spec_is_path (model_spec))
    return bs_cli_usage_error ("train", _("--init starts an architecture (--model imagenet-resnet50), not the checkpoint '%s'"),
                               model_spec);
  info = bs_dataset_info_lookup (dataset_name, &error);
  if (info == NULL)
    return bs_cli_usage_error ("train", "%s", error->message);
  recipe.augment = augment || (!no_augment && bs_train_default_augment (info->name));
  if (init != NULL && !check_init (init, &model_spec, info, recipe.seed, &error))
    return bs_cli_fail (error);
  if (model_spec == NULL)
    model_spec = g_strdup ("resnet20");

  /* A model name is checked before any data is read. */
  if (!bs_model_spec_is_path (model_spec))
    {
      BsModel *probe = bs_model_new (model_spec, info->channels, info->height, info->width,
                                     info->n_classes, &error);

      if (probe == NULL)
        return bs_cli_usage_error ("train", "%s", error->message);
      bs_model_free (probe);
    }

  if (run_dir != NULL)
    {
      g_autofree char *json_path = g_build_filename (run_dir, "run.json", NULL);
      g_autoptr(BsRun) folder = NULL;
      BsRunSettings settings;

      /* Find out before the data is read that the folder cannot be used. */
      if (g_file_test (json_path, G_FILE_TEST_EXISTS))
        {
          g_set_error (&error, BS_ERROR, BS_ERROR_INVALID_ARGUMENT,
                       /* Translators: a folder, then the same folder. */
                       _("'%s' holds a run already (resume it with --resume %s)"), run_dir, run_dir);
          return bs_cli_fail (error);
        }
      dataset = bs_dataset_load (dataset_name, data_dir, &error);
      if (dataset == NULL)
        return bs_cli_fail (error);
      if (!bs_snapshot_plan_check_dataset (&plan, dataset, &error))
        return bs_cli_usage_error ("train", "%s", error->message);

      bs_run_settings_init (&settings);
      g_free (settings.model);
      settings.model = g_strdup (model_spec);
      g_free (settings.dataset);
      settings.dataset = g_strdup (dataset->name);
      settings.init_seed = recipe.seed;
      settings.init = g_strdup (init);
      settings.recipe = recipe;
      settings.plan = plan;
      settings.keep_all_checkpoints = keep_all;
      folder = bs_run_create (run_dir, &settings, &error);
      bs_run_settings_clear (&settings);
      if (folder == NULL)
        return bs_cli_fail (error);
      return train_folder (folder, dataset, json);
    }

  /* Without --out, a new file in the runs folder, which the app lists. */
  if (out == NULL)
    {
      g_autofree char *dir = bs_runs_get_dir ();

      out = bs_runs_new_checkpoint_path (dir, model_spec, dataset_name, &error);
      if (out == NULL)
        return bs_cli_fail (error);
      fprintf (stderr, _("Checkpoint: %s\n"), out);
    }

  /* Find out now, not after the first epoch, that the checkpoint cannot be written. */
  {
    g_autoptr(BsAtomicFile) probe = bs_atomic_file_new (out, &error);

    if (probe == NULL)
      return bs_cli_fail (error);
  }

  dataset = bs_dataset_load (dataset_name, data_dir, &error);
  if (dataset == NULL)
    return bs_cli_fail (error);

  model = bs_model_spec_build (model_spec, dataset->train.channels, dataset->train.height,
                               dataset->train.width, dataset->n_classes, recipe.seed, &error);
  if (model == NULL)
    return bs_cli_fail (error);
  if (init != NULL && !bs_checkpoint_init_model (model, init, NULL, &error))
    {
      bs_model_free (model);
      return bs_cli_fail (error);
    }

  trainer = bs_trainer_new (model, dataset, &recipe, bs_cli_get_engine (), &error);
  if (trainer == NULL)
    {
      bs_model_free (model);
      return bs_cli_fail (error);
    }
  bs_trainer_set_checkpoint_path (trainer, out);
  bs_trainer_set_progress_func (trainer, on_progress, &run);
  bs_trainer_set_epoch_func (trainer, on_epoch, &run);

  print_recipe (model_spec, dataset, &recipe, bs_trainer_get_steps_per_epoch (trainer));

  run.trainer = trainer;
  run.json = json;
  start = g_get_monotonic_time ();
  run_worker (&run);

  status = BS_CLI_EXIT_OK;
  outcome = "completed";
  saved = bs_trainer_get_saved_epoch (trainer);
  if (!run.ok)
    {
      if (g_error_matches (run.error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          outcome = "stopped";
          if (saved > 0)
            fprintf (stderr, _("Stopped. The checkpoint of epoch %u is in %s.\n"), saved, out);
          else
            fprintf (stderr, "%s\n", _("Stopped before the first epoch ended; no checkpoint was written."));
        }
      else
        {
          outcome = g_error_matches (run.error, BS_ERROR, BS_ERROR_DIVERGED) ? "diverged" : "failed";
          bs_cli_fail (run.error);
        }
      status = BS_CLI_EXIT_FAILURE;
    }
  else
    fprintf (stderr, _("Done: checkpoint in %s\n"), out);

  if (json)
    print_summary_json (&run, outcome,
                        g_error_matches (run.error, G_IO_ERROR, G_IO_ERROR_CANCELLED) ? NULL : run.error,
                        out, model_spec, dataset->name, &recipe, saved,
                        (g_get_monotonic_time () - start) / 1e6, NULL);
  g_clear_error (&run.error);

  g_clear_pointer (&trainer, bs_trainer_free);
  bs_model_free (model);
  return status;
}
