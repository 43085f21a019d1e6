/* bs-window-compare.c: CKA across checkpoints and across seeds in the window (see the header). */
#include "bs-config.h"

#include "bs-window-compare.h"

#include <glib/gi18n.h>
#include <math.h>

#include "bs-application.h"
#include "bs-model-catalog.h"
#include "bs-model-spec.h"
#include "bs-number-format.h"
#include "bs-run.h"
#include "bs-window-private.h"

struct _BsWindowCompare
{
  BsWindow           *window;       /* owns this */
  GtkWidget          *box;          /* beside the run's charts */
  GtkLabel           *status;
  BsConvergenceChart *chart;
  BsSeedsDialog      *dialog;
  BsJob              *job;          /* running, or run last */
  GSimpleAction      *statistic;    /* win.seed-statistic */
  BsCkaSeeds          seeds;        /* shown last (references), or all NULL */
  BsTrainingHistory  *history;      /* the run whose convergence is asked for or shown */
  gulong              visible_handler;
  gulong              history_handler;
  gulong              blocks_handler;
};

static BsHeatmap *
heatmap (BsWindowCompare *self)
{
  return bs_window_get_heatmap (self->window);
}

static gboolean
running (BsWindowCompare *self)
{
  return self->job != NULL && !bs_job_is_finished (self->job);
}

/* Whether the heatmap still shows the seeds result. */
static gboolean
showing_seeds (BsWindowCompare *self)
{
  BsCkaSnapshot *shown = bs_heatmap_get_snapshot (heatmap (self));

  return shown != NULL && (shown == self->seeds.mean || shown == self->seeds.std_dev);
}

static void
update (BsWindowCompare *self)
{
  GAction *convergence = g_action_map_lookup_action (G_ACTION_MAP (self->window), "layer-convergence");
  GAction *seeds = g_action_map_lookup_action (G_ACTION_MAP (self->window), "compare-seeds");
  GtkWidget *view = GTK_WIDGET (bs_window_get_training_view (self->window));

  g_simple_action_set_enabled (G_SIMPLE_ACTION (convergence), !running (self) && gtk_widget_get_visible (view));
  g_simple_action_set_enabled (G_SIMPLE_ACTION (seeds), !running (self));
  /* The result stays until the next one (a matrix or two); the switch
   * only while it is shown. */
  g_simple_action_set_enabled (self->statistic, showing_seeds (self));
}

static void
set_status (BsWindowCompare *self,
            const char      *text)
{
  gtk_label_set_label (self->status, text);
}

static void
on_job_status (BsJob           *job,
               GParamSpec      *pspec,
               BsWindowCompare *self)
{
  if (bs_compare_job_get_epochs (job) != NULL && bs_job_get_status (job) != NULL)
    set_status (self, bs_job_get_status (job));
}

/* The heatmap shows the mean or the deviation, titled with the pairs. */
static void
show_statistic (BsWindowCompare *self,
                gboolean         deviation)
{
  /* The core counts ordered pairs; each pair of networks is one computation. */
  guint n_pairs = self->seeds.n_pairs / 2;
  g_autofree char *pairs = bs_format_count (n_pairs);
  g_autofree char *title = NULL;

  if (deviation)
    /* Translators: the window's title over the standard deviation of CKA
     * across networks trained from different seeds; %s is the number of
     * ordered pairs of networks (formatted). */
    title = g_strdup_printf (g_dngettext (NULL, "Standard deviation over %s seed pair",
                                          "Standard deviation over %s seed pairs", n_pairs), pairs);
  else
    /* Translators: the window's title over the mean CKA matrix across
     * networks trained from different seeds; %s is the number of ordered
     * pairs of networks (formatted). */
    title = g_strdup_printf (g_dngettext (NULL, "Mean over %s seed pair", "Mean over %s seed pairs",
                                          n_pairs), pairs);
  bs_heatmap_set_snapshot (heatmap (self), deviation ? self->seeds.std_dev : self->seeds.mean);
  bs_window_set_title (self->window, title);
  bs_window_show_heatmap (self->window);
  g_simple_action_set_state (self->statistic, g_variant_new_string (deviation ? "std-dev" : "mean"));
}

/* The same matrix with name as both models (the axes would otherwise name
 * the first network of the list the core records), and no standard errors:
 * the core's mean carries the deviation there, which the inspector would
 * call a standard error; the deviation is one switch away. */
static BsCkaSnapshot *
renamed (BsCkaSnapshot *snapshot,
         const char    *name)
{
  double *no_errors;

  guint n_rows = bs_cka_snapshot_get_n_rows (snapshot), n_cols = bs_cka_snapshot_get_n_cols (snapshot);
  gsize cells = MAX ((gsize) n_rows * n_cols, 1);
  guint8 *row_status = g_new0 (guint8, MAX (n_rows, 1));
  guint8 *col_status = g_new0 (guint8, MAX (n_cols, 1));
  BsCkaSnapshotHeader header;

  for (guint r = 0; r < n_rows; r++)
    row_status[r] = bs_cka_snapshot_get_row_status (snapshot, r);
  for (guint c = 0; c < n_cols; c++)
    col_status[c] = bs_cka_snapshot_get_col_status (snapshot, c);
  no_errors = g_new (double, cells);
  for (gsize i = 0; i < cells; i++)
    no_errors[i] = NAN;
  bs_cka_snapshot_get_header (snapshot, &header);
  header.model_a = header.model_b = name;
  return bs_cka_snapshot_new (&header, bs_cka_snapshot_get_minibatches_done (snapshot),
                              g_memdup2 (bs_cka_snapshot_get_values (snapshot), cells * sizeof (double)),
                              no_errors, row_status, col_status);
}

static void
on_job_finished (BsJob           *job,
                 BsWindowCompare *self)
{
  const BsCkaConvergence *convergence = bs_compare_job_get_convergence (job);
  const BsCkaSeeds *seeds = bs_compare_job_get_seeds (job);
  const GError *error = bs_job_get_error (job);
  gboolean is_seeds = bs_compare_job_get_epochs (job) == NULL;

  if (convergence != NULL && bs_training_view_get_history (bs_window_get_training_view (self->window)) != self->history)
    /* Another run is shown now: its chart would be taken for this one's. */
    ;
  else if (convergence != NULL)
    {
      g_autofree char *count = bs_format_count (convergence->n_checkpoints);
      g_autofree char *status = NULL;

      bs_convergence_chart_set_result (self->chart, convergence, bs_compare_job_get_epochs (job));
      /* Translators: under the convergence chart; %s is the number of checkpoints (formatted). */
      status = g_strdup_printf (g_dngettext (NULL, "%s checkpoint compared with the last one.",
                                             "%s checkpoints compared with the last one.",
                                             convergence->n_checkpoints), count);
      set_status (self, status);
    }
  else if (seeds != NULL)
    {
      const char *const *specs = bs_compare_job_get_specs (job);
      guint n = g_strv_length ((char **) specs);
      g_autofree char *count = bs_format_count (n);
      /* Translators: what the axes of the mean CKA matrix across seeds
       * name as the model ("Model A · 3 networks"); %s is a number (formatted). */
      g_autofree char *name = g_strdup_printf (g_dngettext (NULL, "%s network", "%s networks", n), count);
      g_autoptr(GString) names = g_string_new (NULL);

      bs_cka_seeds_clear (&self->seeds);
      self->seeds.mean = renamed (seeds->mean, name);
      self->seeds.std_dev = renamed (seeds->std_dev, name);
      self->seeds.n_pairs = seeds->n_pairs;
      for (guint i = 0; i < n; i++)
        {
          g_autofree char *display = bs_model_spec_display_name (specs[i]);

          /* Translators: between the names of the networks compared across seeds. */
          g_string_append_printf (names, "%s%s", i > 0 ? _(", ") : "", display);
        }
      /* Shown as a computation's result is: the heatmap leaves any run or shards folder. */
      bs_window_training_detach (bs_window_get_training (self->window));
      bs_window_shards_stop (bs_window_get_shards (self->window));
      bs_window_hide_error (self->window);
      show_statistic (self, FALSE);
      /* Translators: under the model pickers' name ("3 networks") while the
       * heatmap shows CKA across networks trained from different seeds. */
      bs_window_pickers_show_name (bs_window_get_pickers (self->window), name, _("across seeds"));
      bs_window_set_outcome (self->window, names->str, -1);
    }
  else if (bs_job_get_state (job) == BS_JOB_CANCELLED)
    {
      if (!is_seeds)
        set_status (self, _("Stopped."));
    }
  else if (is_seeds)
    bs_window_show_error (self->window, _("These networks cannot be compared"),
                          error != NULL ? error->message : NULL);
  else
    {
      set_status (self, error != NULL ? error->message : _("Failed."));
      bs_window_show_error (self->window, _("Layer convergence failed"), error != NULL ? error->message : NULL);
    }
  update (self);
}

static void
drop_job (BsWindowCompare *self)
{
  if (self->job == NULL)
    return;
  g_signal_handlers_disconnect_by_data (self->job, self);
  g_clear_object (&self->job);
}

static void
push (BsWindowCompare *self,
      BsJob           *job)
{
  drop_job (self);
  self->job = job;
  g_signal_connect (job, "notify::status", G_CALLBACK (on_job_status), self);
  g_signal_connect (job, "finished", G_CALLBACK (on_job_finished), self);
  bs_job_queue_push (bs_window_get_jobs (self->window), job);
  update (self);
}

static const BsEngineConfig *
engine (BsWindowCompare *self)
{
  BsApplication *app = BS_APPLICATION (gtk_window_get_application (GTK_WINDOW (self->window)));

  return app != NULL ? bs_application_get_engine_config (app) : NULL;
}

/* ---------------------------------------------------------------- across time */

static void
layer_convergence_action (GSimpleAction *action,
                          GVariant      *parameter,
                          gpointer       user_data)
{
  BsWindowCompare *self = user_data;
  BsRun *run = bs_window_training_get_shown_run (bs_window_get_training (self->window));
  const BsRunSettings *settings;
  g_autoptr(GPtrArray) paths = NULL;
  g_autofree char *title = NULL;
  BsCompareProtocol protocol = { 0 };
  GArray *epochs;

  if (running (self))
    return;
  if (run == NULL)
    {
      bs_window_show_error (self->window, _("Layer convergence needs a finished run"),
                            _("Stop the training, or let it finish, then compare its checkpoints."));
      return;
    }
  epochs = bs_run_get_checkpoint_epochs (run);
  if (epochs->len < 2)
    {
      bs_window_show_error (self->window, _("Layer convergence needs two checkpoints or more"),
                            _("This run has fewer than two checkpoints: it needs snapshots (or checkpoints) "
                              "after several epochs."));
      return;
    }

  paths = g_ptr_array_new_with_free_func (g_free);
  for (guint k = 0; k < epochs->len; k++)
    g_ptr_array_add (paths, bs_run_get_checkpoint_path (run, g_array_index (epochs, guint, k)));
  settings = bs_run_get_settings (run);
  /* The images and minibatches of the run's own snapshots. */
  protocol.dataset = settings->dataset;
  protocol.limit = settings->plan.probe_images;
  protocol.batch_size = settings->plan.probe_batch;
  protocol.passes = settings->plan.probe_passes;
  protocol.engine = engine (self);
  title = bs_model_catalog_describe_run (run);

  g_set_object (&self->history, bs_training_view_get_history (bs_window_get_training_view (self->window)));
  bs_convergence_chart_set_result (self->chart, NULL, NULL);
  gtk_widget_set_visible (self->box, TRUE);
  set_status (self, _("Waiting for the jobs before it…"));
  bs_window_hide_error (self->window);
  push (self, bs_compare_job_new_convergence ((const char *const *) paths->pdata, (const guint *) epochs->data,
                                              paths->len, title, &protocol,
                                              bs_window_get_datasets (self->window)));
}

/* Another run in the training view: the chart of the one before goes. */
static void
on_history_changed (BsWindowCompare *self)
{
  if (bs_training_view_get_history (bs_window_get_training_view (self->window)) == self->history)
    return;
  g_clear_object (&self->history);
  bs_convergence_chart_set_result (self->chart, NULL, NULL);
  set_status (self, "");
  gtk_widget_set_visible (self->box, FALSE);
}

/* ---------------------------------------------------------------- across seeds */

static GSettings *
window_settings (BsWindowCompare *self)
{
  BsApplication *app = BS_APPLICATION (gtk_window_get_application (GTK_WINDOW (self->window)));

  return app != NULL ? bs_application_get_settings (app) : NULL;
}

static void
on_dialog_compare (BsSeedsDialog   *dialog,
                   BsWindowCompare *self)
{
  g_auto(GStrv) specs = bs_seeds_dialog_get_specs (dialog);
  g_autofree char *dataset = NULL;
  GSettings *settings = window_settings (self);
  BsCompareProtocol protocol = { 0 };

  if (running (self) || g_strv_length (specs) < 2)
    return;
  dataset = bs_seeds_dialog_get_dataset (dialog) != NULL ? g_strdup (bs_seeds_dialog_get_dataset (dialog))
                                                         : bs_window_resolve_dataset (self->window);
  /* The window's protocol, as Compute would use it. */
  protocol.dataset = dataset;
  if (settings != NULL)
    {
      protocol.passes = g_settings_get_uint (settings, "passes");
      protocol.batch_size = g_settings_get_uint (settings, "batch-size");
      protocol.limit = g_settings_get_uint (settings, "image-limit");
    }
  protocol.engine = engine (self);
  bs_window_hide_error (self->window);
  push (self, bs_compare_job_new_seeds ((const char *const *) specs, g_strv_length (specs), &protocol,
                                        bs_window_get_datasets (self->window)));
  gtk_window_close (GTK_WINDOW (dialog));
}

static void
on_dialog_destroy (GtkWidget       *dialog,
                   BsWindowCompare *self)
{
  self->dialog = NULL;
}

static void
compare_seeds_action (GSimpleAction *action,
                      GVariant      *parameter,
                      gpointer       user_data)
{
  BsWindowCompare *self = user_data;

  if (self->dialog == NULL)
    {
      self->dialog = bs_seeds_dialog_new (GTK_WINDOW (self->window));
      g_signal_connect (self->dialog, "compare", G_CALLBACK (on_dialog_compare), self);
      g_signal_connect (self->dialog, "destroy", G_CALLBACK (on_dialog_destroy), self);
    }
  gtk_window_present (GTK_WINDOW (self->dialog));
}

static void
seed_statistic_change_state (GSimpleAction *action,
                             GVariant      *state,
                             gpointer       user_data)
{
  BsWindowCompare *self = user_data;
  const char *which = g_variant_get_string (state, NULL);

  if (!showing_seeds (self) || (g_strcmp0 (which, "mean") != 0 && g_strcmp0 (which, "std-dev") != 0))
    return;
  show_statistic (self, g_strcmp0 (which, "std-dev") == 0);
}

static const GActionEntry actions[] = {
  { "layer-convergence", layer_convergence_action },
  { "compare-seeds", compare_seeds_action },
};

/* ---------------------------------------------------------------- life */

BsWindowCompare *
bs_window_compare_new (BsWindow *window)
{
  BsWindowCompare *self = g_new0 (BsWindowCompare, 1);
  GtkWidget *view = GTK_WIDGET (bs_window_get_training_view (window));

  self->window = window;
  g_action_map_add_action_entries (G_ACTION_MAP (window), actions, G_N_ELEMENTS (actions), self);
  self->statistic = g_simple_action_new_stateful ("seed-statistic", G_VARIANT_TYPE_STRING,
                                                  g_variant_new_string ("mean"));
  g_signal_connect (self->statistic, "change-state", G_CALLBACK (seed_statistic_change_state), self);
  g_action_map_add_action (G_ACTION_MAP (window), G_ACTION (self->statistic));

  self->box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 2);
  self->chart = BS_CONVERGENCE_CHART (bs_convergence_chart_new ());
  gtk_widget_set_vexpand (GTK_WIDGET (self->chart), TRUE);
  gtk_box_append (GTK_BOX (self->box), GTK_WIDGET (self->chart));
  self->status = GTK_LABEL (gtk_label_new (NULL));
  gtk_label_set_xalign (self->status, 0);
  gtk_label_set_wrap (self->status, TRUE);
  gtk_widget_add_css_class (GTK_WIDGET (self->status), "caption");
  gtk_widget_add_css_class (GTK_WIDGET (self->status), "dim-label");
  gtk_box_append (GTK_BOX (self->box), GTK_WIDGET (self->status));
  /* Shown once asked for. */
  gtk_widget_set_visible (self->box, FALSE);
  bs_training_view_add_chart (BS_TRAINING_VIEW (view), self->box);

  self->visible_handler = g_signal_connect_swapped (view, "notify::visible", G_CALLBACK (update), self);
  self->history_handler = g_signal_connect_swapped (view, "notify::history", G_CALLBACK (on_history_changed), self);
  self->blocks_handler = g_signal_connect_swapped (heatmap (self), "blocks-changed", G_CALLBACK (update), self);
  update (self);
  return self;
}

void
bs_window_compare_free (BsWindowCompare *self)
{
  if (self == NULL)
    return;
  drop_job (self);
  g_clear_signal_handler (&self->visible_handler, bs_window_get_training_view (self->window));
  g_clear_signal_handler (&self->history_handler, bs_window_get_training_view (self->window));
  g_clear_object (&self->history);
  g_clear_signal_handler (&self->blocks_handler, heatmap (self));
  if (self->dialog != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->dialog, self);
      gtk_window_destroy (GTK_WINDOW (self->dialog));
    }
  g_action_map_remove_action (G_ACTION_MAP (self->window), "seed-statistic");
  g_clear_object (&self->statistic);
  bs_cka_seeds_clear (&self->seeds);
  g_free (self);
}

BsConvergenceChart *
bs_window_compare_get_chart (BsWindowCompare *self)
{
  return self->chart;
}

const char *
bs_window_compare_get_status (BsWindowCompare *self)
{
  return gtk_label_get_label (self->status);
}

BsJob *
bs_window_compare_get_job (BsWindowCompare *self)
{
  return self->job;
}

BsSeedsDialog *
bs_window_compare_get_dialog (BsWindowCompare *self)
{
  return self->dialog;
}

const BsCkaSeeds *
bs_window_compare_get_seeds (BsWindowCompare *self)
{
  return self->seeds.mean != NULL && showing_seeds (self) ? &self->seeds : NULL;
}
