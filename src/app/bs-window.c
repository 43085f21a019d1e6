/* bs-window.c: the main window.
 *
 * Built from the composite template bs-window.ui. Every control is a GAction
 * (win.*): the choices that persist are GSettings actions (dataset,
 * colormap, color-range, show-boundaries), model-a and model-b are the
 * pickers' (bs-window-pickers.c: saved to the settings too), the rest are
 * plain actions (compute, cancel, cancel-job, open-checkpoint, zoom,
 * swap-models).
 * Background work runs as BsJobs on the window's BsJobQueue, which the
 * header's job list shows; a CKA computation's snapshots arrive here on the
 * main thread, coalesced, and go to the heatmap and the inspector.
 *
 * The window size is restored when the window is created and saved when it
 * closes (not on every resize step, which would flood dconf with writes). */
#include "bs-config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "bs-window.h"

#include <glib/gi18n.h>

#include "bs-a11y.h"
#include "bs-blocks-view.h"
#include "bs-colormap.h"
#include "bs-dataset-locate.h"
#include "bs-dataset-row.h"
#include "bs-number-format.h"
#include "bs-heatmap.h"
#include "bs-inspector.h"
#include "bs-cka-computation.h"
#include "bs-job-queue.h"
#include "bs-job-row.h"
#include "bs-model-catalog.h"
#include "bs-model-spec.h"
#include "bs-window-private.h"
#include "bs-window-downloads.h"
#include "bs-window-export.h"
#include "bs-window-training.h"
#include "bs-window-weights.h"
#include "bs-runs.h"

struct _BsWindow
{
  GtkApplicationWindow  parent_instance;

  GSettings            *settings;
  BsJobQueue           *jobs;
  BsDatasetCache       *datasets;          /* the test split last loaded, for the next job */
  GtkFileChooserNative *chooser;
  char                 *chooser_target;   /* "a" or "b" */

  BsWindowTraining     *training;
  BsWindowExport       *export;
  BsWindowDownloads    *downloads;
  BsWindowWeights      *weights;
  BsWindowPc1          *pc1;
  BsWindowProbes       *probes;
  BsWindowCompare      *compare;
  BsWindowShards       *shards;
  BsWindowPickers      *pickers;

  /* The CKA computation being run or last run, and what it was asked */
  BsJob                *cka_job;
  BsCkaRequest          cka_request;       /* strings owned: spec_a, spec_b, dataset; no exclusions */
  gboolean              stopping;          /* Cancel was pressed; the job has not ended yet */
  char                 *status_text;       /* the last outcome, once it ended */
  gint64                progress_start_us; /* when the first minibatch was done */
  guint                 progress_start_done;
  guint                 done;
  guint                 total;
  gint64                job_start_us;

  /* Template children */
  GtkHeaderBar         *header_bar;
  GtkMenuButton        *model_a_button;
  GtkLabel             *model_a_label;
  GtkLabel             *model_a_caption;
  GtkMenuButton        *model_b_button;
  GtkLabel             *model_b_label;
  GtkLabel             *model_b_caption;
  GtkMenuButton        *dataset_button;
  GtkPopover           *dataset_popover;
  GtkListBox           *dataset_list;
  GtkLabel             *dataset_label;
  GtkWidget            *title_box;
  GtkLabel             *title_label;
  GtkLabel             *subtitle_label;
  GtkMenuButton        *main_menu_button;
  GtkMenuButton        *options_button;
  GtkMenuButton        *jobs_button;
  GtkListBox           *jobs_list;
  GtkSpinButton        *passes_spin;
  GtkSpinButton        *batch_spin;
  GtkSpinButton        *limit_spin;
  GtkSpinButton        *block_threshold_spin;
  GtkStack             *compute_stack;
  GtkInfoBar           *error_bar;
  GtkLabel             *error_label;
  GtkProgressBar       *progress_bar;
  GtkStack             *content_stack;
  GtkLabel             *empty_description;
  GtkLabel             *empty_note;
  GtkPaned             *paned;
  BsHeatmap            *heatmap;
  BsTrainingView       *training_view;
  BsInspector          *inspector;
};

G_DEFINE_FINAL_TYPE (BsWindow, bs_window, GTK_TYPE_APPLICATION_WINDOW)

enum {
  PROP_0,
  PROP_SETTINGS,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* ---------------------------------------------------------------- helpers */

static void
set_action_enabled (BsWindow   *self,
                    const char *name,
                    gboolean    enabled)
{
  GAction *action = g_action_map_lookup_action (G_ACTION_MAP (self), name);

  g_simple_action_set_enabled (G_SIMPLE_ACTION (action), enabled);
}

static gboolean
is_computing (BsWindow *self)
{
  return self->cka_job != NULL && !bs_job_is_finished (self->cka_job);
}

/* The data set to use: the saved choice, or the best one installed. */
char *
bs_window_resolve_dataset (BsWindow *self)
{
  g_autofree char *chosen = g_settings_get_string (self->settings, "dataset");
  static const char *preferred[] = { "cifar10", "fashion-mnist" };

  if (chosen[0] != '\0')
    return g_steal_pointer (&chosen);

  /* CIFAR-10 is what the paper used; Fashion-MNIST is what Debian ships. */
  for (guint i = 0; i < G_N_ELEMENTS (preferred); i++)
    {
      g_autofree char *folder = bs_dataset_find (preferred[i], NULL, NULL);

      if (folder != NULL)
        return g_strdup (preferred[i]);
    }

  return g_strdup ("synthetic");
}

/* The model of a picker (A: FALSE, B: TRUE), which Compute computes: the
 * window's own, as the settings are the application's. */
static char *
model_spec (BsWindow *self,
            gboolean  b)
{
  if (self->pickers != NULL)
    return g_strdup (bs_window_pickers_get_spec (self->pickers, b));
  return g_settings_get_string (self->settings, b ? "model-b" : "model-a");
}

static char *
dataset_display_name (const char *name)
{
  const BsDatasetInfo *info = bs_dataset_info_lookup (name, NULL);

  return g_strdup (info != NULL ? bs_dataset_info_get_display_name (info) : name);
}

void
bs_window_show_error (BsWindow   *self,
                      const char *primary,
                      const char *detail)
{
  g_autofree char *markup = NULL;

  if (detail != NULL)
    markup = g_markup_printf_escaped ("<b>%s</b>\n%s", primary, detail);
  else
    markup = g_markup_printf_escaped ("<b>%s</b>", primary);

  gtk_label_set_markup (self->error_label, markup);
  gtk_info_bar_set_revealed (self->error_bar, TRUE);
}

void
bs_window_hide_error (BsWindow *self)
{
  gtk_info_bar_set_revealed (self->error_bar, FALSE);
}

const char *
bs_window_get_error_text (BsWindow *self)
{
  if (!gtk_info_bar_get_revealed (self->error_bar))
    return NULL;

  return gtk_label_get_text (self->error_label);
}

static void
update_subtitle (BsWindow *self)
{
  g_autofree char *text = NULL;

  if (is_computing (self))
    {
      const char *status = bs_job_get_status (self->cka_job);

      if (self->stopping)
        text = g_strdup (_("Stopping…"));
      else if (self->total > 0 && self->done > 0)
        {
          double fraction = (double) self->done / self->total;

          if (self->done > self->progress_start_done && self->progress_start_us > 0)
            {
              double per = (g_get_monotonic_time () - self->progress_start_us) / 1e6
                           / (self->done - self->progress_start_done);
              g_autofree char *time = bs_format_duration (per * (self->total - self->done));

              /* Translators: minibatches done, all minibatches, the time left (e.g. 2:05). */
              text = g_strdup_printf (_("Minibatch %u of %u · %s left"), self->done, self->total, time);
            }
          else
            text = g_strdup_printf (_("Minibatch %u of %u"), self->done, self->total);
          gtk_progress_bar_set_fraction (self->progress_bar, fraction);
        }
      else
        text = g_strdup (status ? status : _("Starting…"));
    }
  else if (self->status_text != NULL)
    text = g_strdup (self->status_text);

  /* Nothing to say before the first job: the buttons show the choices. */
  gtk_widget_set_visible (GTK_WIDGET (self->subtitle_label), text != NULL);
  gtk_label_set_label (self->subtitle_label, text);
}

static void
update_choice_labels (BsWindow *self)
{
  g_autofree char *a_spec = model_spec (self, FALSE);
  g_autofree char *b_spec = model_spec (self, TRUE);
  g_autofree char *dataset = bs_window_resolve_dataset (self);
  g_autofree char *a = bs_model_catalog_display_name (a_spec);
  g_autofree char *b = bs_model_catalog_display_name (b_spec);
  g_autofree char *d = dataset_display_name (dataset);
  g_autofree char *d_name = NULL;
  g_autofree char *description = NULL;

  /* The model pickers say what the heatmap shows (bs-window-pickers.c). */
  if (self->pickers != NULL)
    bs_window_pickers_update (self->pickers, FALSE);
  gtk_label_set_label (self->dataset_label, d);
  /* For screen readers, the badge and the label of the button as one name. */
  d_name = g_strdup_printf (_("Data set: %s"), d);
  bs_a11y_set_label (GTK_WIDGET (self->dataset_button), d_name);

  /* Translators: model A, model B and the data set, in bold. */
  description = g_markup_printf_escaped (_("How similar is every layer of <b>%s</b> to every layer of "
                                           "<b>%s</b> on the test images of <b>%s</b>? Press Compute "
                                           "(Ctrl+Enter) and watch the matrix fill in."), a, b, d);
  gtk_label_set_markup (self->empty_description, description);

  /* Random weights are a fine start, but users should know that is what they see. */
  gtk_label_set_label (self->empty_note,
                       bs_model_spec_is_path (a_spec) && bs_model_spec_is_path (b_spec) ? "" :
                       _("Networks picked by name start from random weights. Train one below, or "
                         "open a checkpoint, to compare what networks learned."));
  gtk_widget_set_visible (GTK_WIDGET (self->empty_note),
                          !(bs_model_spec_is_path (a_spec) && bs_model_spec_is_path (b_spec)));

  update_subtitle (self);
}

static void
set_running (BsWindow *self,
             gboolean  running)
{
  gtk_stack_set_visible_child_name (self->compute_stack, running ? "cancel" : "compute");
  set_action_enabled (self, "compute", !running);
  set_action_enabled (self, "cancel", running);
  /* A shards folder would share the heatmap with the computation. */
  set_action_enabled (self, "open-shards", !running);
  gtk_widget_set_visible (GTK_WIDGET (self->progress_bar), running);
  if (running)
    gtk_progress_bar_set_fraction (self->progress_bar, 0);
  update_subtitle (self);
}

/* ---------------------------------------------------------------- jobs */

static void
on_cka_partial (BsJob        *job,
                const GValue *value,
                BsWindow     *self)
{
  BsCkaSnapshot *snapshot;

  g_return_if_fail (G_VALUE_HOLDS (value, BS_TYPE_CKA_SNAPSHOT));
  snapshot = g_value_get_boxed (value);

  if (bs_cka_snapshot_get_minibatches_done (snapshot) > 0 && self->progress_start_us == 0)
    {
      /* Time left counts from the first minibatch: loading and building
       * the models before it would skew the rate. */
      self->progress_start_us = g_get_monotonic_time ();
      self->progress_start_done = bs_cka_snapshot_get_minibatches_done (snapshot);
    }
  self->done = bs_cka_snapshot_get_minibatches_done (snapshot);
  self->total = bs_cka_snapshot_get_minibatches_total (snapshot);

  bs_heatmap_set_snapshot (self->heatmap, snapshot);
  gtk_stack_set_visible_child_name (self->content_stack, "heatmap");
  update_subtitle (self);
}

static void
on_cka_status (BsJob      *job,
               GParamSpec *pspec,
               BsWindow   *self)
{
  update_subtitle (self);
}

static void
on_cka_finished (BsJob    *job,
                 BsWindow *self)
{
  const GError *error = bs_job_get_error (job);
  g_autofree char *elapsed = bs_format_duration ((g_get_monotonic_time () - self->job_start_us) / 1e6);

  g_free (self->status_text);
  switch (bs_job_get_state (job))
    {
    case BS_JOB_SUCCEEDED:
      /* Translators: minibatches done and how long it took (e.g. 2:05). */
      self->status_text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "Done · %u minibatch in %s",
                                                        "Done · %u minibatches in %s", self->done),
                                           self->done, elapsed);
      break;

    case BS_JOB_CANCELLED:
      self->status_text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "Stopped after %u of %u minibatch",
                                                        "Stopped after %u of %u minibatches", self->total),
                                           self->done, self->total);
      break;

    default:
      self->status_text = g_strdup (_("The computation failed"));
      bs_window_show_error (self, _("The computation failed"), error ? error->message : NULL);
      break;
    }

  self->stopping = FALSE;
  set_running (self, FALSE);
}

/* Forgets the computation: its late reports no longer reach this window. */
static void
drop_cka_job (BsWindow *self)
{
  if (self->cka_job == NULL)
    return;
  g_signal_handlers_disconnect_by_data (self->cka_job, self);
  g_clear_object (&self->cka_job);
}

static void
compute_action (GSimpleAction *action,
                GVariant      *parameter,
                gpointer       user_data)
{
  BsWindow *self = user_data;
  g_autofree char *a_spec = model_spec (self, FALSE);
  g_autofree char *b_spec = model_spec (self, TRUE);
  g_autofree char *dataset = bs_window_resolve_dataset (self);
  g_autofree char *d = dataset_display_name (dataset);
  BsApplication *app = BS_APPLICATION (gtk_window_get_application (GTK_WINDOW (self)));
  BsCkaRequest request = { 0 };

  if (is_computing (self))
    return;

  /* A missing data set is the likeliest first problem: say how to get it. */
  if (g_strcmp0 (dataset, "synthetic") != 0)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *folder = bs_dataset_find (dataset, NULL, &error);

      if (folder == NULL)
        {
          /* Translators: %s is a data set, e.g. Fashion-MNIST. */
          g_autofree char *primary = g_strdup_printf (_("%s is not installed"), d);

          bs_window_show_error (self, primary, error->message);
          return;
        }
    }

  request.spec_a = a_spec;
  request.spec_b = b_spec;
  request.dataset = dataset;
  request.passes = g_settings_get_uint (self->settings, "passes");
  request.batch_size = g_settings_get_uint (self->settings, "batch-size");
  request.limit = g_settings_get_uint (self->settings, "image-limit");
  request.engine = app != NULL ? bs_application_get_engine_config (app) : NULL;
  request.pc1 = g_settings_get_boolean (self->settings, "pc1-analysis");
  bs_window_start_cka (self, &request);
}

static void
clear_cka_request (BsWindow *self)
{
  g_free ((char *) self->cka_request.spec_a);
  g_free ((char *) self->cka_request.spec_b);
  g_free ((char *) self->cka_request.dataset);
  memset (&self->cka_request, 0, sizeof self->cka_request);
}

BsJob *
bs_window_start_cka (BsWindow           *self,
                     const BsCkaRequest *request)
{
  if (is_computing (self))
    return NULL;

  /* The heatmap shows this computation now, not a training run's snapshots
   * nor a shards folder's. */
  bs_window_training_detach (self->training);
  bs_window_shards_stop (self->shards);

  drop_cka_job (self);
  self->cka_job = bs_cka_computation_new (request, self->datasets);
  g_signal_connect (self->cka_job, "partial", G_CALLBACK (on_cka_partial), self);
  g_signal_connect (self->cka_job, "notify::status", G_CALLBACK (on_cka_status), self);
  g_signal_connect (self->cka_job, "finished", G_CALLBACK (on_cka_finished), self);
  bs_job_queue_push (self->jobs, self->cka_job);

  {
    /* request may be this window's own (CKA without the dominant images):
     * copied before the old strings go. */
    BsCkaRequest kept = *request;

    kept.spec_a = g_strdup (request->spec_a);
    kept.spec_b = g_strdup (request->spec_b);
    kept.dataset = g_strdup (request->dataset);
    clear_cka_request (self);
    self->cka_request = kept;
  }
  self->cka_request.data_dir = NULL;
  self->cka_request.exclude = NULL;
  self->cka_request.n_exclude = 0;

  bs_window_hide_error (self);
  /* The pickers name the models computed (a request of a feature's may
   * differ from the choices; request may point to strings freed above). */
  bs_window_pickers_show_specs (self->pickers, self->cka_request.spec_a, self->cka_request.spec_b, FALSE);
  /* The title says what the heatmap shows, even after new choices. */
  bs_window_set_title (self, bs_job_get_title (self->cka_job));
  g_clear_pointer (&self->status_text, g_free);
  self->stopping = FALSE;
  self->progress_start_us = 0;
  self->progress_start_done = 0;
  self->done = self->total = 0;
  self->job_start_us = g_get_monotonic_time ();
  set_running (self, TRUE);
  return self->cka_job;
}

const BsCkaRequest *
bs_window_get_cka_request (BsWindow *self)
{
  return self->cka_request.spec_a != NULL ? &self->cka_request : NULL;
}

BsDatasetCache *
bs_window_get_datasets (BsWindow *self)
{
  return self->datasets;
}

static void
cancel_job (BsWindow *self,
            BsJob    *job)
{
  if (job == NULL || bs_job_is_finished (job))
    return;

  bs_job_cancel (job);
  if (job == self->cka_job)
    {
      self->stopping = TRUE;
      update_subtitle (self);
    }
}

static void
cancel_action (GSimpleAction *action,
               GVariant      *parameter,
               gpointer       user_data)
{
  BsWindow *self = user_data;

  cancel_job (self, self->cka_job);
}

/* The stop button of a row of the job list. */
static void
cancel_job_action (GSimpleAction *action,
                   GVariant      *parameter,
                   gpointer       user_data)
{
  BsWindow *self = user_data;

  cancel_job (self, bs_job_queue_lookup (self->jobs, g_variant_get_uint32 (parameter)));
}

static GtkWidget *
create_job_row (gpointer item,
                gpointer user_data)
{
  GtkWidget *row = gtk_list_box_row_new ();

  /* Nothing happens on activating a job's row: only its stop button acts. */
  gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (row), FALSE);
  gtk_list_box_row_set_child (GTK_LIST_BOX_ROW (row), bs_job_row_new (BS_JOB (item)));
  return row;
}

/* The job list's button shows only while there are jobs. */
static void
on_jobs_changed (GListModel *jobs,
                 guint       position,
                 guint       removed,
                 guint       added,
                 BsWindow   *self)
{
  guint n = g_list_model_get_n_items (jobs);

  gtk_widget_set_visible (GTK_WIDGET (self->jobs_button), n > 0);
  if (n == 0)
    gtk_menu_button_popdown (self->jobs_button);
}

/* ---------------------------------------------------------------- models and data */

static void
on_chooser_response (GtkNativeDialog *dialog,
                     int              response,
                     BsWindow        *self)
{
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr(GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
      g_autofree char *path = file ? g_file_get_path (file) : NULL;

      if (path == NULL)
        bs_window_show_error (self, _("This checkpoint cannot be opened"),
                              _("Only files on this computer can be used."));
      else
        /* A pick, as from the menu (bs-window-pickers.c). */
        g_action_group_change_action_state (G_ACTION_GROUP (self),
                                            g_strcmp0 (self->chooser_target, "b") == 0 ? "model-b" : "model-a",
                                            g_variant_new_string (path));
    }

  g_clear_object (&self->chooser);
}

static void
open_checkpoint_action (GSimpleAction *action,
                        GVariant      *parameter,
                        gpointer       user_data)
{
  BsWindow *self = user_data;
  const char *target = g_variant_get_string (parameter, NULL);
  g_autoptr(GtkFileFilter) filter = gtk_file_filter_new ();
  g_autoptr(GtkFileFilter) all = gtk_file_filter_new ();
  g_autofree char *runs = bs_runs_get_dir ();
  const char *title = g_strcmp0 (target, "b") == 0 ? _("Open Checkpoint for Model B")
                                                   : _("Open Checkpoint for Model A");

  if (self->chooser != NULL)
    return;

  g_free (self->chooser_target);
  self->chooser_target = g_strdup (target);
  self->chooser = gtk_file_chooser_native_new (title, GTK_WINDOW (self), GTK_FILE_CHOOSER_ACTION_OPEN,
                                               _("_Open"), _("_Cancel"));
  gtk_file_filter_set_name (filter, _("Checkpoints (safetensors)"));
  gtk_file_filter_add_pattern (filter, "*.safetensors");
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (self->chooser), filter);
  gtk_file_filter_set_name (all, _("All Files"));
  gtk_file_filter_add_pattern (all, "*");
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (self->chooser), all);

  if (g_file_test (runs, G_FILE_TEST_IS_DIR))
    {
      g_autoptr(GFile) folder = g_file_new_for_path (runs);

      gtk_file_chooser_set_current_folder (GTK_FILE_CHOOSER (self->chooser), folder, NULL);
    }

  g_signal_connect (self->chooser, "response", G_CALLBACK (on_chooser_response), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (self->chooser));
}

static void
swap_models_action (GSimpleAction *action,
                    GVariant      *parameter,
                    gpointer       user_data)
{
  BsWindow *self = user_data;
  g_autofree char *a = model_spec (self, FALSE);
  g_autofree char *b = model_spec (self, TRUE);

  /* Two picks, as from the menus (bs-window-pickers.c). */
  g_action_group_change_action_state (G_ACTION_GROUP (self), "model-a", g_variant_new_string (b));
  g_action_group_change_action_state (G_ACTION_GROUP (self), "model-b", g_variant_new_string (a));
}

static void
reset_zoom_action (GSimpleAction *action,
                   GVariant      *parameter,
                   gpointer       user_data)
{
  bs_heatmap_reset_view (BS_WINDOW (user_data)->heatmap);
}

static void
zoom_in_action (GSimpleAction *action,
                GVariant      *parameter,
                gpointer       user_data)
{
  bs_heatmap_zoom (BS_WINDOW (user_data)->heatmap, 1.5);
}

static void
zoom_out_action (GSimpleAction *action,
                 GVariant      *parameter,
                 gpointer       user_data)
{
  bs_heatmap_zoom (BS_WINDOW (user_data)->heatmap, 1 / 1.5);
}

static void
populate_dataset_list (BsWindow *self)
{
  g_autofree char *current = bs_window_resolve_dataset (self);
  const BsDatasetInfo *infos;
  GtkWidget *child;
  guint n;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->dataset_list))) != NULL)
    gtk_list_box_remove (self->dataset_list, child);

  infos = bs_dataset_info_list (&n);
  for (guint i = 0; i < n; i++)
    gtk_list_box_append (self->dataset_list,
                         bs_dataset_row_new (&infos[i], g_strcmp0 (current, infos[i].name) == 0));
}

static void
on_dataset_popover_show (GtkPopover *popover,
                         BsWindow   *self)
{
  populate_dataset_list (self);
}

static void
on_dataset_row_activated (GtkListBox    *list,
                          GtkListBoxRow *row,
                          BsWindow      *self)
{
  /* The row's action did the work. */
  gtk_popover_popdown (self->dataset_popover);
}

static void
on_settings_changed (GSettings  *settings,
                     const char *key,
                     BsWindow   *self)
{
  if (self->pickers == NULL)
    return;   /* disposed */
  /* The pickers following what the heatmap shows: no choice of the user's. */
  if ((g_str_equal (key, "model-a") || g_str_equal (key, "model-b"))
      && bs_window_pickers_setting_changed (self->pickers, key))
    {
      update_choice_labels (self);
      return;
    }
  if (g_str_equal (key, "model-a") || g_str_equal (key, "model-b") || g_str_equal (key, "dataset"))
    {
      /* A new choice: the last job's outcome no longer describes it. */
      if (!is_computing (self))
        g_clear_pointer (&self->status_text, g_free);
      update_choice_labels (self);

      if (!g_str_equal (key, "dataset"))
        {
          g_autofree char *spec = g_settings_get_string (settings, key);

          /* Say at once when a chosen checkpoint does not exist; weights not
           * downloaded yet are offered instead. */
          if (self->weights != NULL && bs_window_weights_notice_choice (self->weights, key, spec))
            ;
          else if (bs_model_spec_is_path (spec) && !g_file_test (spec, G_FILE_TEST_IS_REGULAR))
            {
              /* Translators: %s is a file name. */
              g_autofree char *detail = g_strdup_printf (_("There is no file %s."), spec);

              bs_window_show_error (self, _("This checkpoint cannot be found"), detail);
            }
        }
    }
}

static void
on_selection_changed (BsHeatmap *heatmap,
                      BsWindow  *self)
{
  guint row, col;

  if (bs_heatmap_get_selection (heatmap, &row, &col))
    {
      bs_inspector_show_cell (self->inspector, bs_heatmap_get_snapshot (heatmap), row, col);
      bs_window_training_set_cell (self->training, TRUE, row, col);
    }
  else
    {
      bs_inspector_show_cell (self->inspector, NULL, 0, 0);
      bs_window_training_set_cell (self->training, FALSE, 0, 0);
    }
}

static void
on_error_bar_response (GtkInfoBar *bar,
                       int         response,
                       BsWindow   *self)
{
  bs_window_hide_error (self);
}

/* ---------------------------------------------------------------- private API for tests */

void
bs_window_refresh_models (BsWindow *self)
{
  bs_window_pickers_update (self->pickers, TRUE);
  update_choice_labels (self);
}

void
bs_window_add_banner (BsWindow  *self,
                      GtkWidget *banner)
{
  gtk_box_insert_child_after (GTK_BOX (gtk_widget_get_parent (GTK_WIDGET (self->error_bar))), banner,
                              GTK_WIDGET (self->error_bar));
}

GtkMenuButton *
bs_window_get_model_button (BsWindow *self,
                            gboolean  b)
{
  return b ? self->model_b_button : self->model_a_button;
}

BsWindowWeights *
bs_window_get_weights (BsWindow *self)
{
  return self->weights;
}

BsHeatmap *
bs_window_get_heatmap (BsWindow *self)
{
  return self->heatmap;
}

BsWindowProbes *
bs_window_get_probes (BsWindow *self)
{
  return self->probes;
}

BsWindowCompare *
bs_window_get_compare (BsWindow *self)
{
  return self->compare;
}

BsWindowPc1 *
bs_window_get_pc1 (BsWindow *self)
{
  return self->pc1;
}

BsInspector *
bs_window_get_inspector (BsWindow *self)
{
  return self->inspector;
}

GSettings *
bs_window_get_settings (BsWindow *self)
{
  return self->settings;
}

BsJobQueue *
bs_window_get_jobs (BsWindow *self)
{
  return self->jobs;
}

BsJob *
bs_window_get_cka_job (BsWindow *self)
{
  return self->cka_job;
}

GtkMenuButton *
bs_window_get_dataset_button (BsWindow *self)
{
  return self->dataset_button;
}

BsWindowDownloads *
bs_window_get_downloads (BsWindow *self)
{
  return self->downloads;
}

BsWindowExport *
bs_window_get_export (BsWindow *self)
{
  return self->export;
}

BsWindowTraining *
bs_window_get_training (BsWindow *self)
{
  return self->training;
}

BsTrainingView *
bs_window_get_training_view (BsWindow *self)
{
  return self->training_view;
}

void
bs_window_set_title (BsWindow   *self,
                     const char *title)
{
  g_autofree char *window_title = NULL;

  gtk_label_set_label (self->title_label, title);
  /* What the window switcher and the screen reader's window list show, as
   * GNOME's document apps do. */
  /* Translators: the window's title: what it shows, then the program's name. */
  window_title = g_strdup_printf (_("%s — Blockscope"), title);
  gtk_window_set_title (GTK_WINDOW (self), window_title);
}

GtkWidget *
bs_window_get_title_widget (BsWindow *self)
{
  return self->title_box;
}

void
bs_window_show_heatmap (BsWindow *self)
{
  gtk_stack_set_visible_child_name (self->content_stack, "heatmap");
}

void
bs_window_set_outcome (BsWindow   *self,
                       const char *text,
                       double      fraction)
{
  if (is_computing (self))
    return;
  g_free (self->status_text);
  self->status_text = g_strdup (text);
  gtk_widget_set_visible (GTK_WIDGET (self->progress_bar), fraction >= 0 && fraction < 1);
  if (fraction >= 0)
    gtk_progress_bar_set_fraction (self->progress_bar, fraction);
  update_subtitle (self);
}

BsWindowShards *
bs_window_get_shards (BsWindow *self)
{
  return self->shards;
}

BsWindowPickers *
bs_window_get_pickers (BsWindow *self)
{
  return self->pickers;
}

const char *
bs_window_get_subtitle (BsWindow *self)
{
  return gtk_label_get_label (self->subtitle_label);
}

/* ---------------------------------------------------------------- GObject */

static void
save_window_state (BsWindow *self)
{
  int width, height;
  gboolean maximized = gtk_window_is_maximized (GTK_WINDOW (self));

  g_settings_set_boolean (self->settings, "window-maximized", maximized);

  /* GTK keeps the default size at the unmaximized size. */
  gtk_window_get_default_size (GTK_WINDOW (self), &width, &height);
  if (width > 0 && height > 0)
    {
      g_settings_set_int (self->settings, "window-width", width);
      g_settings_set_int (self->settings, "window-height", height);
    }
}

static gboolean
bs_window_close_request (GtkWindow *window)
{
  BsWindow *self = BS_WINDOW (window);

  /* A run training here: ask first (it can be resumed later). */
  if (bs_window_training_close_request (self->training))
    return TRUE;

  save_window_state (self);
  /* End the jobs before the window goes: the running one stops at its next
   * layer, well within a second. */
  drop_cka_job (self);
  bs_window_shards_stop (self->shards);
  bs_job_queue_shutdown (self->jobs);

  return GTK_WINDOW_CLASS (bs_window_parent_class)->close_request (window);
}

static const GActionEntry win_actions[] = {
  { "compute", compute_action },
  { "cancel", cancel_action },
  { "cancel-job", cancel_job_action, "u" },
  { "open-checkpoint", open_checkpoint_action, "s" },
  { "swap-models", swap_models_action },
  { "reset-zoom", reset_zoom_action },
  { "zoom-in", zoom_in_action },
  { "zoom-out", zoom_out_action },
};

/* Actions backed by GSettings keys (g_settings_create_action). */
static const char *setting_actions[] = {
  "dataset", "colormap", "color-range", "show-boundaries", "show-blocks", "pc1-analysis"
};

static void
bs_window_constructed (GObject *object)
{
  BsWindow *self = BS_WINDOW (object);
  g_autoptr(GPropertyAction) inspector_action = NULL;

  G_OBJECT_CLASS (bs_window_parent_class)->constructed (object);

  g_assert (G_IS_SETTINGS (self->settings));

  gtk_window_set_default_size (GTK_WINDOW (self),
                               MAX (g_settings_get_int (self->settings, "window-width"), 360),
                               MAX (g_settings_get_int (self->settings, "window-height"), 360));
  if (g_settings_get_boolean (self->settings, "window-maximized"))
    gtk_window_maximize (GTK_WINDOW (self));

  g_action_map_add_action_entries (G_ACTION_MAP (self), win_actions, G_N_ELEMENTS (win_actions), self);
  for (guint i = 0; i < G_N_ELEMENTS (setting_actions); i++)
    {
      g_autoptr(GAction) action = g_settings_create_action (self->settings, setting_actions[i]);

      g_action_map_add_action (G_ACTION_MAP (self), action);
    }
  inspector_action = g_property_action_new ("show-inspector", self->inspector, "visible");
  g_action_map_add_action (G_ACTION_MAP (self), G_ACTION (inspector_action));

  g_settings_bind (self->settings, "colormap", self->heatmap, "colormap", G_SETTINGS_BIND_GET);
  g_settings_bind (self->settings, "color-range", self->heatmap, "color-range", G_SETTINGS_BIND_GET);
  g_settings_bind (self->settings, "show-boundaries", self->heatmap, "show-boundaries", G_SETTINGS_BIND_GET);
  g_settings_bind (self->settings, "show-blocks", self->heatmap, "show-blocks", G_SETTINGS_BIND_GET);
  g_settings_bind (self->settings, "block-threshold", self->heatmap, "block-threshold", G_SETTINGS_BIND_GET);
  g_settings_bind (self->settings, "block-threshold", self->block_threshold_spin, "value", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "passes", self->passes_spin, "value", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "batch-size", self->batch_spin, "value", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "image-limit", self->limit_spin, "value", G_SETTINGS_BIND_DEFAULT);
  g_signal_connect_object (self->settings, "changed", G_CALLBACK (on_settings_changed), self, 0);

  self->jobs = bs_job_queue_new ();
  self->datasets = bs_dataset_cache_new ();
  gtk_list_box_bind_model (self->jobs_list, G_LIST_MODEL (self->jobs), create_job_row, NULL, NULL);
  g_signal_connect_object (self->jobs, "items-changed", G_CALLBACK (on_jobs_changed), self, 0);

  {
    GtkMenuButton *buttons[2] = { self->model_a_button, self->model_b_button };
    GtkLabel *labels[2] = { self->model_a_label, self->model_b_label };
    GtkLabel *captions[2] = { self->model_a_caption, self->model_b_caption };

    /* win.model-a and win.model-b, and the menus. */
    self->pickers = bs_window_pickers_new (self, self->settings, buttons, labels, captions);
  }
  g_signal_connect (self->dataset_popover, "show", G_CALLBACK (on_dataset_popover_show), self);
  g_signal_connect (self->dataset_list, "row-activated", G_CALLBACK (on_dataset_row_activated), self);
  g_signal_connect (self->heatmap, "selection-changed", G_CALLBACK (on_selection_changed), self);
  bs_inspector_add_extra (self->inspector, bs_blocks_view_new (self->heatmap));
  g_signal_connect (self->error_bar, "response", G_CALLBACK (on_error_bar_response), self);

  self->training = bs_window_training_new (self, self->training_view);
  self->export = bs_window_export_new (self);
  self->downloads = bs_window_downloads_new (self);
  self->weights = bs_window_weights_new (self);
  self->pc1 = bs_window_pc1_new (self);
  self->probes = bs_window_probes_new (self);
  self->compare = bs_window_compare_new (self);
  self->shards = bs_window_shards_new (self);
  /* Weights chosen in an earlier session and deleted since: offered again. */
  for (guint i = 0; i < 2; i++)
    {
      const char *key = i == 0 ? "model-a" : "model-b";
      g_autofree char *spec = g_settings_get_string (self->settings, key);

      if (bs_window_weights_notice_choice (self->weights, key, spec))
        break;
    }

  update_choice_labels (self);
  set_running (self, FALSE);
}

static void
bs_window_dispose (GObject *object)
{
  BsWindow *self = BS_WINDOW (object);

  drop_cka_job (self);
  g_clear_pointer (&self->export, bs_window_export_free);
  g_clear_pointer (&self->downloads, bs_window_downloads_free);
  g_clear_pointer (&self->weights, bs_window_weights_free);
  g_clear_pointer (&self->probes, bs_window_probes_free);
  g_clear_pointer (&self->compare, bs_window_compare_free);
  g_clear_pointer (&self->pc1, bs_window_pc1_free);
  g_clear_pointer (&self->shards, bs_window_shards_free);
  g_clear_pointer (&self->pickers, bs_window_pickers_free);
  clear_cka_request (self);
  g_clear_pointer (&self->training, bs_window_training_free);
  if (self->jobs != NULL)
    {
      bs_job_queue_shutdown (self->jobs);
      g_clear_object (&self->jobs);
    }
  g_clear_pointer (&self->datasets, bs_dataset_cache_unref);
  /* The settings outlive the window: settings actions left in the map
   * would keep announcing changes to an action group that is gone. */
  for (guint i = 0; i < G_N_ELEMENTS (setting_actions); i++)
    g_action_map_remove_action (G_ACTION_MAP (self), setting_actions[i]);

  if (self->chooser != NULL)
    {
      gtk_native_dialog_destroy (GTK_NATIVE_DIALOG (self->chooser));
      g_clear_object (&self->chooser);
    }

  G_OBJECT_CLASS (bs_window_parent_class)->dispose (object);
}

static void
bs_window_finalize (GObject *object)
{
  BsWindow *self = BS_WINDOW (object);

  g_clear_object (&self->settings);
  g_free (self->chooser_target);
  g_free (self->status_text);

  G_OBJECT_CLASS (bs_window_parent_class)->finalize (object);
}

static void
bs_window_set_property (GObject      *object,
                        guint         prop_id,
                        const GValue *value,
                        GParamSpec   *pspec)
{
  BsWindow *self = BS_WINDOW (object);

  switch (prop_id)
    {
    case PROP_SETTINGS:
      self->settings = g_value_dup_object (value);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
bs_window_class_init (BsWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  GtkWindowClass *window_class = GTK_WINDOW_CLASS (klass);

  object_class->constructed = bs_window_constructed;
  object_class->dispose = bs_window_dispose;
  object_class->finalize = bs_window_finalize;
  object_class->set_property = bs_window_set_property;
  window_class->close_request = bs_window_close_request;

  properties[PROP_SETTINGS] =
    g_param_spec_object ("settings", NULL, NULL,
                         G_TYPE_SETTINGS,
                         G_PARAM_WRITABLE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  g_type_ensure (BS_TYPE_HEATMAP);
  g_type_ensure (BS_TYPE_INSPECTOR);
  g_type_ensure (BS_TYPE_TRAINING_VIEW);

  gtk_widget_class_set_template_from_resource (widget_class, "/org/blockscope/Blockscope/bs-window.ui");
  gtk_widget_class_bind_template_child (widget_class, BsWindow, header_bar);
  gtk_widget_class_bind_template_child (widget_class, BsWindow, model_a_button);
  gtk_widget_class_bind_template_child (widget_class, BsWindow, model_a_label);
  gtk_widget_class_bind_template_child (widget_class, BsWindow, model_a_caption);
  gtk_widget_class_bind_template_child (widget_class, BsWindow, model_b_button);
  gtk_widget_class_bind_template_child (widget_class, BsWindow, model_b_label);
  gtk_widget_class_bind_template_child (widget_class, BsWindow, model_b_caption);
  gtk_widget_class_bind_template_child (widget_class, BsWindow, dataset_button);
  gtk_widget_class_bind_template_child (widget_class, BsWindow, dataset_popover);
  gtk_widget_class_bind_template_child (widget_class, BsWindow, dataset_list);
  gtk_widget_class_bind_template_child (widget_class, BsWindow, dataset_label);
  gtk_widget_class_bind_template_child (widget_class, BsWindow, title_box);
  gtk_widget_class_bind_template_child (widget_class, BsWindow, title_label);
  gtk_widget_class_bind_template_child (widget_class, BsWindow, subtitle_label);
  gtk_widget_class_bind_template_child (widget_class, BsWindow, main_menu_button);
  gtk_widget_class_bind_template_child (widget_class, BsWindow, options_button);
  gtk_widget_class_bind_template_child (widget_class, BsWindow, jobs_button);
  gtk_widget_class_bind_template_child (widget_class, BsWindow, jobs_list);
  gtk_widget_class_bind_template_child (widget_class, BsWindow, passes_spin);
  gtk_widget_class_bind_template_child (widget_class, BsWindow, batch_spin);
  gtk_widget_class_bind_template_child (widget_class, BsWindow, limit_spin);
  gtk_widget_class_bind_template_child (widget_class, BsWindow, block_threshold_spin);
  gtk_widget_class_bind_template_child (widget_class, BsWindow, compute_stack);
  gtk_widget_class_bind_template_child (widget_class, BsWindow, error_bar);
  gtk_widget_class_bind_template_child (widget_class, BsWindow, error_label);
  gtk_widget_class_bind_template_child (widget_class, BsWindow, progress_bar);
  gtk_widget_class_bind_template_child (widget_class, BsWindow, content_stack);
  gtk_widget_class_bind_template_child (widget_class, BsWindow, empty_description);
  gtk_widget_class_bind_template_child (widget_class, BsWindow, empty_note);
  gtk_widget_class_bind_template_child (widget_class, BsWindow, paned);
  gtk_widget_class_bind_template_child (widget_class, BsWindow, heatmap);
  gtk_widget_class_bind_template_child (widget_class, BsWindow, training_view);
  gtk_widget_class_bind_template_child (widget_class, BsWindow, inspector);
}

static void
bs_window_init (BsWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  bs_a11y_fix_mnemonic_buttons (GTK_WIDGET (self));
}

void
bs_window_open_file (BsWindow *self,
                     GFile    *file)
{
  g_return_if_fail (BS_IS_WINDOW (self));
  g_return_if_fail (G_IS_FILE (file));

  /* A stat, not an open: a FIFO or a slow device does not block here. */
  if (g_file_query_file_type (file, G_FILE_QUERY_INFO_NONE, NULL) != G_FILE_TYPE_DIRECTORY)
    {
      bs_window_export_open_result (self->export, file);
      return;
    }
  /* As Open Shards Folder…: not while a computation shares the heatmap. */
  if (!g_action_group_get_action_enabled (G_ACTION_GROUP (self), "open-shards"))
    {
      bs_window_show_error (self, _("The folder could not be watched"),
                            _("Stop the computation first: its matrix is on screen."));
      return;
    }
  bs_window_shards_open_folder (self->shards, file);
}

BsWindow *
bs_window_new (BsApplication *application)
{
  return g_object_new (BS_TYPE_WINDOW,
                       "application", application,
                       "settings", bs_application_get_settings (application),
                       NULL);
}
