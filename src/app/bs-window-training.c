/* bs-window-training.c: training runs in the window.
 *
 * One run is shown at a time, in the training view under the heatmap: the
 * one training here, or one opened from the runs folder or elsewhere. The
 * view's snapshots go to the heatmap while the view is shown; a CKA
 * computation started meanwhile takes the heatmap over (the run goes on
 * training, and the Runs list shows it again). */
#include "bs-config.h"

#include "bs-window-training.h"

#include <adwaita.h>
#include <glib/gi18n.h>
#include <math.h>

#include "bs-model-catalog.h"
#include "bs-dataset-locate.h"
#include "bs-error.h"
#include "bs-heatmap.h"
#include "bs-inspector.h"
#include "bs-job-queue.h"
#include "bs-model-spec.h"
#include "bs-number-format.h"
#include "bs-run-list.h"
#include "bs-runs.h"
#include "bs-training-chart.h"
#include "bs-window-private.h"

struct _BsWindowTraining
{
  BsWindow             *window;
  BsTrainingView       *view;
  BsTrainingJob        *job;           /* the run training here, or trained last */
  BsRun                *run;           /* the run shown when it is not training: resume, problems */
  BsTrainingDialog     *dialog;
  GtkFileChooserNative *chooser;
  GtkWindow            *question;
  GtkWidget            *run_list;      /* a popover under the window's title */
  gboolean              attached;      /* the view's snapshots go to the heatmap */
  gboolean              showing_job;   /* the view shows job's run, not run */
  gboolean              closing;       /* Stop and Close was chosen */
};

static const char *
state_text (BsRun *run)
{
  switch (bs_run_get_state (run))
    {
    case BS_RUN_STATE_RUNNING:
      /* Nobody trains a "running" run that was killed. */
      return bs_run_is_training (run) ? C_("run state", "Training") : C_("run state", "Interrupted");
    case BS_RUN_STATE_FINISHED:
      return C_("run state", "Finished");
    case BS_RUN_STATE_STOPPED:
      return C_("run state", "Stopped");
    case BS_RUN_STATE_FAILED:
    default:
      return C_("run state", "Failed");
    }
}

static gboolean
job_active (BsWindowTraining *self)
{
  return self->job != NULL && !bs_job_is_finished (bs_training_job_get_job (self->job));
}

static void
set_action_enabled (BsWindowTraining *self,
                    const char       *name,
                    gboolean          enabled)
{
  GAction *action = g_action_map_lookup_action (G_ACTION_MAP (self->window), name);

  g_simple_action_set_enabled (G_SIMPLE_ACTION (action), enabled);
}

static void
update_actions (BsWindowTraining *self)
{
  gboolean active = job_active (self);
  gboolean paused = active && bs_training_job_is_paused (self->job);
  gboolean running = active && bs_job_get_state (bs_training_job_get_job (self->job)) == BS_JOB_RUNNING;
  /* One run trains in a window at a time. */
  gboolean resumable = !active && self->run != NULL && bs_run_can_resume (self->run) &&
                       !bs_run_is_training (self->run);

  set_action_enabled (self, "pause-training", running && !paused);
  set_action_enabled (self, "continue-training", paused);
  set_action_enabled (self, "stop-training", active);
  set_action_enabled (self, "resume-run", resumable);
  set_action_enabled (self, "new-training-run", !active);
  set_action_enabled (self, "demo-training-run", !active);

  if (self->showing_job)
    bs_training_view_set_state (self->view,
                                paused ? BS_TRAINING_VIEW_PAUSED :
                                running ? BS_TRAINING_VIEW_TRAINING :
                                active ? BS_TRAINING_VIEW_WAITING :
                                resumable ? BS_TRAINING_VIEW_RESUMABLE : BS_TRAINING_VIEW_DONE);
  else
    bs_training_view_set_state (self->view, resumable ? BS_TRAINING_VIEW_RESUMABLE : BS_TRAINING_VIEW_DONE);
}

/* The view under the heatmap, its snapshots going to the heatmap. */
static void
attach (BsWindowTraining  *self,
        BsTrainingHistory *history,
        const char        *title)
{
  BsCkaSnapshot *shown;

  self->attached = TRUE;
  bs_training_view_set_history (self->view, history);
  gtk_widget_set_visible (GTK_WIDGET (self->view), TRUE);
  bs_window_set_title (self->window, title);
  shown = bs_training_view_get_shown_snapshot (self->view);
  if (shown != NULL)
    bs_heatmap_set_snapshot (bs_window_get_heatmap (self->window), shown);
  bs_window_show_heatmap (self->window);
  {
    guint row = 0, col = 0;
    gboolean selected = bs_heatmap_get_selection (bs_window_get_heatmap (self->window), &row, &col);

    bs_training_view_set_cell (self->view, selected, row, col);
  }
}

static void
on_snapshot_shown (BsTrainingView   *view,
                   BsCkaSnapshot    *snapshot,
                   BsWindowTraining *self)
{
  BsHeatmap *heatmap;
  guint row, col;

  if (!self->attached)
    return;
  heatmap = bs_window_get_heatmap (self->window);
  bs_heatmap_set_snapshot (heatmap, snapshot);
  bs_window_show_heatmap (self->window);
  if (bs_heatmap_get_selection (heatmap, &row, &col))
    bs_inspector_show_cell (bs_window_get_inspector (self->window), snapshot, row, col);
}

/* ---------------------------------------------------------------- the job */

static void
on_job_status (BsJob            *job,
               GParamSpec       *pspec,
               BsWindowTraining *self)
{
  if (self->job == NULL || bs_training_job_get_job (self->job) != job)
    return;
  update_actions (self);
  if (!self->attached || !self->showing_job)
    return;
  bs_training_view_set_text (self->view, bs_job_get_title (job),
                             bs_job_get_state (job) == BS_JOB_WAITING
                             ? _("Waiting for the job before it") : bs_job_get_status (job));
  update_actions (self);
}

static void
on_job_finished (BsJob            *job,
                 BsWindowTraining *self)
{
  const GError *error = bs_job_get_error (job);
  const char *dir = bs_training_job_get_run_dir (self->job);
  BsTrainingHistory *history = bs_training_job_get_history (self->job);
  g_autoptr(GError) open_error = NULL;
  g_autofree char *status = NULL;
  double best = bs_training_history_get_best_test_accuracy (history);

  /* The folder is the window's again: read what the worker wrote (for
   * Resume), unless the view shows another run meanwhile. */
  if (self->showing_job)
    {
      g_clear_pointer (&self->run, bs_run_unref);
      self->run = bs_run_open (dir, &open_error);
    }

  switch (bs_job_get_state (job))
    {
    case BS_JOB_SUCCEEDED:
      if (isfinite (best))
        /* Translators: the end of a run; %.1f is the best test accuracy in percent. */
        status = g_strdup_printf (_("Finished · best test accuracy %.1f %%"), best * 100);
      else
        status = g_strdup (_("Finished"));
      break;

    case BS_JOB_CANCELLED:
      status = g_strdup (_("Stopped · Resume continues from the last checkpoint"));
      break;

    default:
      if (error != NULL && g_error_matches (error, BS_ERROR, BS_ERROR_DIVERGED))
        {
          /* The message names the epoch, the step and the checkpoint kept. */
          bs_window_show_error (self->window, _("Training diverged"), error->message);
          status = g_strdup (_("Diverged · the last good checkpoint is kept"));
        }
      else
        {
          bs_window_show_error (self->window, _("Training failed"), error != NULL ? error->message : NULL);
          status = g_strdup (_("Failed"));
        }
      break;
    }

  if (self->attached && self->showing_job)
    bs_training_view_set_text (self->view, bs_job_get_title (job), status);
  update_actions (self);
}

static void
on_paused (BsTrainingJob    *job,
           GParamSpec       *pspec,
           BsWindowTraining *self)
{
  update_actions (self);
}

static void
drop_job (BsWindowTraining *self)
{
  if (self->job == NULL)
    return;
  g_signal_handlers_disconnect_by_data (bs_training_job_get_job (self->job), self);
  g_signal_handlers_disconnect_by_data (self->job, self);
  g_clear_object (&self->job);
}

/* Trains run (taken). */
static void
start_job (BsWindowTraining *self,
           BsRun            *run)
{
  BsApplication *app = BS_APPLICATION (gtk_window_get_application (GTK_WINDOW (self->window)));
  BsJob *job;

  drop_job (self);
  g_clear_pointer (&self->run, bs_run_unref);
  bs_window_hide_error (self->window);

  self->job = bs_training_job_new (run, NULL, app != NULL ? bs_application_get_engine_config (app) : NULL);
  bs_run_unref (run);
  job = bs_training_job_get_job (self->job);
  g_signal_connect (job, "notify::status", G_CALLBACK (on_job_status), self);
  g_signal_connect (job, "notify::state", G_CALLBACK (on_job_status), self);
  g_signal_connect (job, "finished", G_CALLBACK (on_job_finished), self);
  g_signal_connect (self->job, "notify::paused", G_CALLBACK (on_paused), self);
  bs_job_queue_push (bs_window_get_jobs (self->window), job);

  self->showing_job = TRUE;
  attach (self, bs_training_job_get_history (self->job), bs_training_job_get_description (self->job));
  on_job_status (job, NULL, self);
}

gboolean
bs_window_training_start (BsWindowTraining    *self,
                          const BsRunSettings *settings)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *runs = bs_runs_get_dir ();
  g_autofree char *dir = NULL;
  BsRun *run;

  if (job_active (self))
    return FALSE;

  if (!bs_train_recipe_check (&settings->recipe, &error) || !bs_snapshot_plan_check (&settings->plan, &error))
    {
      bs_window_show_error (self->window, _("These settings cannot be trained"), error->message);
      return FALSE;
    }

  /* A missing data set is the likeliest first problem: say how to get it. */
  if (g_strcmp0 (settings->dataset, "synthetic") != 0)
    {
      g_autofree char *folder = bs_dataset_find (settings->dataset, NULL, &error);

      if (folder == NULL)
        {
          const BsDatasetInfo *info = bs_dataset_info_lookup (settings->dataset, NULL);
          /* Translators: %s is a data set, e.g. Fashion-MNIST. */
          g_autofree char *primary = g_strdup_printf (_("%s is not installed"),
                                                      info != NULL ? bs_dataset_info_get_display_name (info)
                                                                   : settings->dataset);

          bs_window_show_error (self->window, primary, error->message);
          return FALSE;
        }
    }

  dir = bs_runs_new_run_dir (runs, settings->model, settings->dataset, &error);
  if (dir == NULL)
    {
      bs_window_show_error (self->window, _("The runs folder cannot be written"), error->message);
      return FALSE;
    }
  run = bs_run_create (dir, settings, &error);
  if (run == NULL)
    {
      bs_window_show_error (self->window, _("The run cannot be created"), error->message);
      return FALSE;
    }

  start_job (self, run);
  return TRUE;
}

/* ---------------------------------------------------------------- showing a run */

gboolean
bs_window_training_show_run (BsWindowTraining *self,
                             const char       *dir)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BsTrainingHistory) history = NULL;
  g_autoptr(GPtrArray) problems = NULL;
  g_autofree char *title = NULL;
  g_autofree char *status = NULL;
  GPtrArray *run_problems;
  BsRun *run;

  /* The run training here: its live history. */
  if (job_active (self) && g_strcmp0 (bs_training_job_get_run_dir (self->job), dir) == 0)
    {
      g_clear_pointer (&self->run, bs_run_unref);
      self->showing_job = TRUE;
      attach (self, bs_training_job_get_history (self->job), bs_training_job_get_description (self->job));
      on_job_status (bs_training_job_get_job (self->job), NULL, self);
      return TRUE;
    }

  run = bs_run_open (dir, &error);
  if (run == NULL)
    {
      bs_window_show_error (self->window, _("This run cannot be opened"), error->message);
      return FALSE;
    }

  /* Another run (or this one read back from its folder): the job, if one
   * trains, goes on and stays reachable through the actions. */
  if (!job_active (self))
    drop_job (self);
  self->showing_job = FALSE;
  g_clear_pointer (&self->run, bs_run_unref);
  self->run = run;
  history = bs_training_history_new_from_run (run, &problems);
  title = bs_model_catalog_describe_run (run);

  run_problems = bs_run_get_problems (run);
  if ((run_problems != NULL && run_problems->len > 0) || problems != NULL)
    {
      g_autoptr(GString) detail = g_string_new (NULL);

      for (guint i = 0; run_problems != NULL && i < run_problems->len; i++)
        g_string_append_printf (detail, "%s%s", detail->len > 0 ? "\n" : "",
                                (const char *) g_ptr_array_index (run_problems, i));
      for (guint i = 0; problems != NULL && i < problems->len; i++)
        g_string_append_printf (detail, "%s%s", detail->len > 0 ? "\n" : "",
                                (const char *) g_ptr_array_index (problems, i));
      bs_window_show_error (self->window, _("Parts of this run are damaged; it shows what is intact"),
                            detail->str);
    }
  else
    bs_window_hide_error (self->window);

  if (bs_run_get_state (run) == BS_RUN_STATE_FAILED && bs_run_get_error_message (run) != NULL)
    /* Translators: a run's state (e.g. Failed) and why. */
    status = g_strdup_printf (_("%s · %s"), state_text (run), bs_run_get_error_message (run));
  else
    {
      g_autofree char *epochs = bs_format_count (bs_training_history_get_epochs (history)->len);
      g_autofree char *all = bs_format_count (bs_run_get_settings (run)->recipe.epochs);

      /* Translators: a run's state (e.g. Stopped), epochs done, epochs in all. */
      status = g_strdup_printf (_("%s · epoch %s of %s"), state_text (run), epochs, all);
    }

  attach (self, history, title);
  bs_training_view_set_text (self->view, title, status);
  update_actions (self);
  return TRUE;
}

void
bs_window_training_detach (BsWindowTraining *self)
{
  self->attached = FALSE;
  gtk_widget_set_visible (GTK_WIDGET (self->view), FALSE);
  gtk_widget_set_visible (bs_training_view_get_chart (self->view, BS_TRAINING_CHART_CELL), FALSE);
}

void
bs_window_training_set_cell (BsWindowTraining *self,
                             gboolean          selected,
                             guint             row,
                             guint             col)
{
  bs_training_view_set_cell (self->view, selected && self->attached, row, col);
}

/* ---------------------------------------------------------------- actions */

static void
on_dialog_start (BsTrainingDialog *dialog,
                 BsWindowTraining *self)
{
  BsRunSettings settings;

  bs_training_dialog_get_settings (dialog, &settings);
  if (bs_window_training_start (self, &settings))
    gtk_window_close (GTK_WINDOW (dialog));
  bs_run_settings_clear (&settings);
}

static void
on_dialog_destroy (GtkWidget        *dialog,
                   BsWindowTraining *self)
{
  self->dialog = NULL;
}

static void
open_dialog (BsWindowTraining    *self,
             const BsRunSettings *settings)
{
  if (self->dialog == NULL)
    {
      self->dialog = bs_training_dialog_new (GTK_WINDOW (self->window));
      g_signal_connect (self->dialog, "start", G_CALLBACK (on_dialog_start), self);
      g_signal_connect (self->dialog, "destroy", G_CALLBACK (on_dialog_destroy), self);
    }
  if (settings != NULL)
    bs_training_dialog_set_settings (self->dialog, settings);
  gtk_window_present (GTK_WINDOW (self->dialog));
}

static void
new_training_run_action (GSimpleAction *action,
                         GVariant      *parameter,
                         gpointer       user_data)
{
  BsWindowTraining *self = user_data;
  g_autofree char *dataset = bs_window_resolve_dataset (self->window);
  BsRunSettings settings;

  /* The recipe's defaults, on the data set the window uses. */
  bs_run_settings_init (&settings);
  g_free (settings.dataset);
  settings.dataset = g_strdup (dataset);
  settings.recipe.augment = bs_train_default_augment (dataset);
  open_dialog (self, self->dialog == NULL ? &settings : NULL);
  bs_run_settings_clear (&settings);
}

static void
demo_training_run_action (GSimpleAction *action,
                          GVariant      *parameter,
                          gpointer       user_data)
{
  BsWindowTraining *self = user_data;
  BsRunSettings settings;

  bs_training_demo_settings (&settings);
  open_dialog (self, &settings);
  bs_run_settings_clear (&settings);
}

static void
pause_training_action (GSimpleAction *action,
                       GVariant      *parameter,
                       gpointer       user_data)
{
  BsWindowTraining *self = user_data;

  if (job_active (self))
    bs_training_job_pause (self->job);
}

static void
continue_training_action (GSimpleAction *action,
                          GVariant      *parameter,
                          gpointer       user_data)
{
  BsWindowTraining *self = user_data;

  if (self->job != NULL)
    bs_training_job_resume (self->job);
}

static void
stop_training_action (GSimpleAction *action,
                      GVariant      *parameter,
                      gpointer       user_data)
{
  BsWindowTraining *self = user_data;

  if (job_active (self))
    {
      bs_job_cancel (bs_training_job_get_job (self->job));
      bs_training_view_set_text (self->view, bs_job_get_title (bs_training_job_get_job (self->job)),
                                 _("Stopping…"));
    }
}

static void
resume_run_action (GSimpleAction *action,
                   GVariant      *parameter,
                   gpointer       user_data)
{
  BsWindowTraining *self = user_data;

  if (job_active (self) || self->run == NULL || !bs_run_can_resume (self->run) ||
      bs_run_is_training (self->run))
    return;
  start_job (self, g_steal_pointer (&self->run));
}

static void
show_run_action (GSimpleAction *action,
                 GVariant      *parameter,
                 gpointer       user_data)
{
  bs_window_training_show_run (user_data, g_variant_get_string (parameter, NULL));
}

static void
on_chooser_response (GtkNativeDialog  *dialog,
                     int               response,
                     BsWindowTraining *self)
{
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr(GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
      g_autofree char *path = file ? g_file_get_path (file) : NULL;

      if (path == NULL)
        bs_window_show_error (self->window, _("This run cannot be opened"),
                              _("Only folders on this computer can be used."));
      else
        bs_window_training_show_run (self, path);
    }
  gtk_native_dialog_destroy (GTK_NATIVE_DIALOG (self->chooser));
  g_clear_object (&self->chooser);
}

static void
open_run_action (GSimpleAction *action,
                 GVariant      *parameter,
                 gpointer       user_data)
{
  BsWindowTraining *self = user_data;
  g_autofree char *runs = bs_runs_get_dir ();

  if (self->chooser != NULL)
    return;
  self->chooser = gtk_file_chooser_native_new (_("Open Run"), GTK_WINDOW (self->window),
                                               GTK_FILE_CHOOSER_ACTION_SELECT_FOLDER,
                                               _("_Open"), _("_Cancel"));
  if (g_file_test (runs, G_FILE_TEST_IS_DIR))
    {
      g_autoptr(GFile) folder = g_file_new_for_path (runs);

      gtk_file_chooser_set_current_folder (GTK_FILE_CHOOSER (self->chooser), folder, NULL);
    }
  g_signal_connect (self->chooser, "response", G_CALLBACK (on_chooser_response), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (self->chooser));
}

static void
show_runs_action (GSimpleAction *action,
                  GVariant      *parameter,
                  gpointer       user_data)
{
  BsWindowTraining *self = user_data;

  gtk_popover_popup (GTK_POPOVER (self->run_list));
}

static const GActionEntry actions[] = {
  { "show-runs", show_runs_action },
  { "new-training-run", new_training_run_action },
  { "demo-training-run", demo_training_run_action },
  { "pause-training", pause_training_action },
  { "continue-training", continue_training_action },
  { "stop-training", stop_training_action },
  { "resume-run", resume_run_action },
  { "show-run", show_run_action, "s" },
  { "open-run", open_run_action },
};

/* ---------------------------------------------------------------- closing */

static gboolean
close_window (gpointer data)
{
  gtk_window_close (data);
  return G_SOURCE_REMOVE;
}

static void
on_question_response (AdwMessageDialog *dialog,
                      const char       *response,
                      BsWindowTraining *self)
{
  self->question = NULL;
  if (g_strcmp0 (response, "stop") != 0)
    return;
  self->closing = TRUE;
  /* After the dialog has finished its response: closing the window
   * destroys the dialog with it. */
  g_idle_add_full (G_PRIORITY_DEFAULT_IDLE, close_window, g_object_ref (self->window), g_object_unref);
}

gboolean
bs_window_training_close_request (BsWindowTraining *self)
{
  GtkWidget *dialog;

  if (self->closing || !job_active (self))
    return FALSE;
  if (self->question != NULL)
    return TRUE;

  dialog = adw_message_dialog_new (GTK_WINDOW (self->window), _("Stop Training?"),
                                   _("The run is still training. Stopped now, it keeps every finished "
                                     "epoch and can be resumed later from its last checkpoint."));
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "keep", _("_Keep Training"),
                                    "stop", _("_Stop and Close"),
                                    NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "stop",
                                              ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "keep");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "keep");
  g_signal_connect (dialog, "response", G_CALLBACK (on_question_response), self);
  self->question = GTK_WINDOW (dialog);
  gtk_window_present (GTK_WINDOW (dialog));
  return TRUE;
}

gboolean
bs_window_training_is_active (BsWindowTraining *self)
{
  return job_active (self);
}

/* ---------------------------------------------------------------- life */

BsWindowTraining *
bs_window_training_new (BsWindow       *window,
                        BsTrainingView *view)
{
  BsWindowTraining *self = g_new0 (BsWindowTraining, 1);

  self->window = window;
  self->view = view;
  g_action_map_add_action_entries (G_ACTION_MAP (window), actions, G_N_ELEMENTS (actions), self);
  g_signal_connect (view, "snapshot-shown", G_CALLBACK (on_snapshot_shown), self);
  gtk_widget_set_visible (GTK_WIDGET (view), FALSE);
  bs_inspector_add_extra (bs_window_get_inspector (window),
                          bs_training_view_get_chart (view, BS_TRAINING_CHART_CELL));
  /* Under the title: the header bar has no room for another button. */
  self->run_list = bs_run_list_new ();
  gtk_widget_set_parent (self->run_list, bs_window_get_title_widget (window));
  update_actions (self);
  return self;
}

void
bs_window_training_free (BsWindowTraining *self)
{
  if (self == NULL)
    return;
  g_signal_handlers_disconnect_by_data (self->view, self);
  g_clear_pointer (&self->run_list, gtk_widget_unparent);
  drop_job (self);
  g_clear_pointer (&self->run, bs_run_unref);
  if (self->dialog != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->dialog, self);
      gtk_window_destroy (GTK_WINDOW (self->dialog));
    }
  if (self->question != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->question, self);
      gtk_window_destroy (self->question);
    }
  if (self->chooser != NULL)
    {
      gtk_native_dialog_destroy (GTK_NATIVE_DIALOG (self->chooser));
      g_clear_object (&self->chooser);
    }
  g_free (self);
}

BsRun *
bs_window_training_get_shown_run (BsWindowTraining *self)
{
  if (!self->attached || (self->showing_job && job_active (self)))
    return NULL;
  return self->run;
}

BsTrainingJob *
bs_window_training_get_job (BsWindowTraining *self)
{
  return self->job;
}

BsRunList *
bs_window_training_get_run_list (BsWindowTraining *self)
{
  return BS_RUN_LIST (self->run_list);
}

BsTrainingDialog *
bs_window_training_get_dialog (BsWindowTraining *self)
{
  return self->dialog;
}

GtkWindow *
bs_window_training_get_question (BsWindowTraining *self)
{
  return self->question;
}
