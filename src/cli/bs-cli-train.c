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
 * failed. Documented in blockscope-cli-train(1). */
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
#include "bs-runs.h"
#include "bs-trainer.h"

typedef struct {
  BsTrainer    *trainer;
  GCancellable *cancellable;
  GMainLoop    *loop;
  gboolean      ok;
  GError       *error;
  guint         n_signals;
  /* --json, and the last finished epoch for the summary */
  gboolean      json;
  gboolean      have_epoch;
  BsTrainEpochResult last;
  /* Progress display */
  gboolean      tty;
  gint64        last_print;   /* monotonic microseconds */
  gboolean      line_open;    /* a \r line is on the terminal */
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
  fputs (run->tty ? "\r" : "", stderr);
  /* Translators: progress of training: epoch, epochs, step, steps, loss, learning rate,
   * speed and the time left (e.g. 4m07s). */
  fprintf (stderr, _("epoch %u/%u  step %u/%u  loss %.4f  lr %.4f  %.0f images/s  %s left"),
           progress->epoch, progress->n_epochs, progress->step, progress->n_steps,
           progress->loss, progress->lr, progress->images_per_s, left);
  fputs (run->tty ? "\033[K" : "\n", stderr);
  run->line_open = run->tty;
  fflush (stderr);
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
                    double               seconds)
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

  run->ok = bs_trainer_run (run->trainer, run->cancellable, &run->error);
  g_main_context_invoke (NULL, quit_loop, run);
  return NULL;
}

static gboolean
on_signal (gpointer user_data)
{
  Run *run = user_data;

  if (run->n_signals++ == 0)
    {
      end_line (run);
      fprintf (stderr, "%s\n", _("Stopping after the current step (press Ctrl-C again to quit at once)…"));
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

int
bs_cli_train (int    argc,
              char **argv)
{
  g_autofree char *model_spec = NULL;
  g_autofree char *dataset_name = NULL;
  g_autofree char *out = NULL;
  g_autofree char *schedule = NULL;
  g_autofree char *data_dir = NULL;
  g_autofree char *seed_text = NULL;
  gint epochs = -1, batch = -1, threads = -1, limit = -1, test_limit = -1;
  gint64 seed = -1;
  double lr = NAN, momentum = NAN, weight_decay = NAN, warmup = NAN;
  gboolean augment = FALSE, no_augment = FALSE, json = FALSE;
  const GOptionEntry entries[] = {
    { "model", 'm', 0, G_OPTION_ARG_STRING, &model_spec, N_("Model name (resnet20, resnet56x4, imagenet-resnet50, ...) or a checkpoint to start from (default resnet20)"), "MODEL" },
    { "dataset", 'd', 0, G_OPTION_ARG_STRING, &dataset_name, N_("Data set (default fashion-mnist; see 'blockscope-cli datasets')"), "NAME" },
    { "out", 'o', 0, G_OPTION_ARG_FILENAME, &out, N_("Checkpoint to write after every epoch (default: a new file in the runs folder)"), "FILE" },
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
    { "data-dir", 0, 0, G_OPTION_ARG_FILENAME, &data_dir, N_("Folder to look for data sets in first"), "DIR" },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, N_("Print a JSON object per epoch and a summary on stdout (JSON Lines)"), NULL },
    { NULL }
  };
  g_autoptr(GError) error = NULL;
  g_autoptr(BsDataset) dataset = NULL;
  g_autoptr(BsTrainer) trainer = NULL;
  g_autoptr(GCancellable) cancellable = NULL;
  g_autoptr(GMainLoop) loop = NULL;
  const BsDatasetInfo *info;
  BsModel *model = NULL;
  BsTrainRecipe recipe;
  Run run = { 0 };
  GThread *thread;
  guint sigint_id, sigterm_id, n_threads, saved;
  gint64 start;
  const char *outcome;
  int status;

  if (!bs_cli_parse ("train", "", N_("Train a ResNet on a data set, saving a checkpoint after every epoch."),
                     entries, &argc, &argv, &status))
    return status;
  if (argc > 1)
    return bs_cli_usage_error ("train", _("unexpected argument '%s'"), argv[1]);

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
  if (model_spec == NULL)
    model_spec = g_strdup ("resnet20");
  info = bs_dataset_info_lookup (dataset_name, &error);
  if (info == NULL)
    return bs_cli_usage_error ("train", "%s", error->message);
  recipe.augment = augment || (!no_augment && bs_train_default_augment (info->name));

  /* A model name is checked before any data is read. */
  if (!bs_model_spec_is_path (model_spec))
    {
      BsModel *probe = bs_model_new (model_spec, info->channels, info->height, info->width,
                                     info->n_classes, &error);

      if (probe == NULL)
        return bs_cli_usage_error ("train", "%s", error->message);
      bs_model_free (probe);
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

  trainer = bs_trainer_new (model, dataset, &recipe, bs_cli_get_engine (), &error);
  if (trainer == NULL)
    {
      bs_model_free (model);
      return bs_cli_fail (error);
    }
  bs_trainer_set_checkpoint_path (trainer, out);
  bs_trainer_set_progress_func (trainer, on_progress, &run);
  bs_trainer_set_epoch_func (trainer, on_epoch, &run);

  n_threads = recipe.threads > 0 ? recipe.threads : bs_cli_get_engine ()->threads;
  /* Translators: model, data set, images, steps per epoch, batch size, epochs. */
  fprintf (stderr, g_dngettext (GETTEXT_PACKAGE, "Training %s on %s: %u images, %u steps of %u per epoch, %u epoch\n",
                                "Training %s on %s: %u images, %u steps of %u per epoch, %u epochs\n",
                                recipe.epochs),
           model_spec, bs_cli_dataset_display_name (dataset),
           recipe.limit > 0 ? MIN (recipe.limit, dataset->train.n_images) : dataset->train.n_images,
           bs_trainer_get_steps_per_epoch (trainer), recipe.batch_size, recipe.epochs);
  seed_text = g_strdup_printf ("%" G_GUINT64_FORMAT, recipe.seed);
  fprintf (stderr, g_dngettext (GETTEXT_PACKAGE,
                                /* Translators: the learning rate, how it changes (e.g. "linear decay to
                                 * zero"), the warm-up in epochs, momentum, weight decay, the seed,
                                 * threads, and "augmentation on" or "augmentation off". */
                                "SGD: lr %g (%s, warm-up %g epochs), momentum %g, weight decay %g, seed %s, %u thread, %s\n",
                                "SGD: lr %g (%s, warm-up %g epochs), momentum %g, weight decay %g, seed %s, %u threads, %s\n",
                                n_threads),
           recipe.lr, schedule_describe (recipe.schedule), recipe.warmup_epochs, recipe.momentum,
           recipe.weight_decay, seed_text, n_threads,
           recipe.augment ? _("augmentation on") : _("augmentation off"));

  cancellable = g_cancellable_new ();
  loop = g_main_loop_new (NULL, FALSE);
  run.trainer = trainer;
  run.cancellable = cancellable;
  run.loop = loop;
  run.tty = isatty (fileno (stderr));
  run.last_print = 0;
  run.json = json;

  sigint_id = g_unix_signal_add (SIGINT, on_signal, &run);
  sigterm_id = g_unix_signal_add (SIGTERM, on_signal, &run);
  start = g_get_monotonic_time ();
  thread = g_thread_new ("train", train_thread, &run);
  g_main_loop_run (loop);
  g_thread_join (thread);
  g_source_remove (sigint_id);
  g_source_remove (sigterm_id);
  end_line (&run);

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
                        (g_get_monotonic_time () - start) / 1e6);
  g_clear_error (&run.error);

  g_clear_pointer (&trainer, bs_trainer_free);
  bs_model_free (model);
  return status;
}
