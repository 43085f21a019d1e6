/* test-training.c: training runs in the window, through its actions: a run
 * trains ResNet-8 on a few synthetic images and the window shows it (every
 * step on the charts, a mark per snapshot on the timeline, the heatmap
 * following the timeline), reopens from its folder the same, pauses,
 * continues, stops and resumes; a diverging run says so in the banner; and
 * closing the window while it trains asks first. The runs folder is a
 * temporary one (BLOCKSCOPE_RUNS_DIR). */
#include "bs-config.h"

#include "bs-test-util.h"
#include "bs-test-utils.h"

#include <glib/gstdio.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "bs-error.h"
#include "bs-heatmap.h"
#include "bs-theme-palette.h"
#include "bs-run.h"
#include "bs-run-list.h"
#include "bs-training-chart.h"
#include "bs-window-private.h"

static char *runs_dir;

/* 64 synthetic images in batches of 32: 2 steps per epoch; a snapshot at
 * initialisation and after every epoch, on 64 probe images in 2 minibatches. */
static void
tiny_settings (BsRunSettings *settings,
               guint          epochs)
{
  bs_run_settings_init (settings);
  g_free (settings->model);
  settings->model = g_strdup ("resnet8");
  g_free (settings->dataset);
  settings->dataset = g_strdup ("synthetic");
  settings->recipe.epochs = epochs;
  settings->recipe.batch_size = 32;
  settings->recipe.limit = 64;
  settings->recipe.test_limit = 64;
  settings->recipe.augment = FALSE;
  settings->recipe.threads = 1;
  settings->plan.at_init = TRUE;
  settings->plan.every_epochs = 1;
  settings->plan.every_steps = 0;
  settings->plan.probe_images = 64;
  settings->plan.probe_batch = 32;
}

static void
activate (BsWindow   *window,
          const char *action,
          GVariant   *parameter)
{
  g_assert_true (g_action_group_get_action_enabled (G_ACTION_GROUP (window), action));
  g_action_group_activate_action (G_ACTION_GROUP (window), action, parameter);
}

/* Through New Training Run… and its Start, as a user would. */
static BsTrainingJob *
start_run (BsWindow            *window,
           const BsRunSettings *settings)
{
  BsWindowTraining *training = bs_window_get_training (window);
  BsTrainingDialog *dialog;

  activate (window, "new-training-run", NULL);
  dialog = bs_window_training_get_dialog (training);
  g_assert_nonnull (dialog);
  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (dialog)));
  bs_training_dialog_set_settings (dialog, settings);
  bs_training_dialog_start (dialog);
  g_assert_null (bs_window_get_error_text (window));
  g_assert_nonnull (bs_window_training_get_job (training));
  return bs_window_training_get_job (training);
}

static gboolean
job_finished (gpointer data)
{
  return bs_job_is_finished (bs_training_job_get_job (data));
}

static gboolean
has_steps (gpointer data)
{
  return bs_training_history_get_steps (bs_training_job_get_history (data))->len >= 1;
}

typedef struct {
  BsTrainingJob *job;
  guint64        steps;
} StepsSeen;

static gboolean
took_more_steps (gpointer data)
{
  StepsSeen *seen = data;

  return bs_training_job_get_steps_taken (seen->job) > seen->steps;
}

static gboolean
is_paused_status (gpointer data)
{
  return g_strcmp0 (bs_job_get_status (bs_training_job_get_job (data)), "Paused") == 0;
}

/* Whether two snapshots differ in some cell by more than rounding. */
static gboolean
snapshots_differ (BsCkaSnapshot *a,
                  BsCkaSnapshot *b)
{
  guint n = bs_cka_snapshot_get_n_rows (a) * bs_cka_snapshot_get_n_cols (a);
  const double *va = bs_cka_snapshot_get_values (a);
  const double *vb = bs_cka_snapshot_get_values (b);

  g_assert_cmpuint (bs_cka_snapshot_get_n_rows (a), ==, bs_cka_snapshot_get_n_rows (b));
  for (guint i = 0; i < n; i++)
    if (isfinite (va[i]) && isfinite (vb[i]) && fabs (va[i] - vb[i]) > 1e-4)
      return TRUE;
  return FALSE;
}

static void
assert_snapshots_close (BsCkaSnapshot *a,
                        BsCkaSnapshot *b)
{
  guint n = bs_cka_snapshot_get_n_rows (a) * bs_cka_snapshot_get_n_cols (a);
  const double *va = bs_cka_snapshot_get_values (a);
  const double *vb = bs_cka_snapshot_get_values (b);

  g_assert_cmpuint (bs_cka_snapshot_get_n_rows (a), ==, bs_cka_snapshot_get_n_rows (b));
  g_assert_cmpuint (bs_cka_snapshot_get_n_cols (a), ==, bs_cka_snapshot_get_n_cols (b));
  for (guint i = 0; i < n; i++)
    if (isfinite (va[i]) || isfinite (vb[i]))
      g_assert_cmpfloat_with_epsilon (va[i], vb[i], 1e-6);
}

static guint
chart_points (BsTrainingView      *view,
              BsTrainingChartKind  kind)
{
  return bs_training_chart_get_n_points (BS_TRAINING_CHART (bs_training_view_get_chart (view, kind)));
}

/* How many pixels of shot below row y0 are within 40 (sum of channel
 * differences) of colour. */
static guint
count_pixels_near (GdkTexture          *shot,
                   const BsFigureColor *colour,
                   int                  y0)
{
  gsize stride;
  g_autofree guint8 *pixels = bs_test_texture_pixels (shot, &stride);
  int height = gdk_texture_get_height (shot);
  guint n = 0;

  for (int y = y0; y < height; y++)
    for (int x = 0; x < gdk_texture_get_width (shot); x++)
      {
        guint8 rgb[3];
        int d;

        bs_test_pixel_rgb (pixels, stride, x, y, rgb);
        d = abs (rgb[0] - (int) round (colour->red * 255)) + abs (rgb[1] - (int) round (colour->green * 255)) +
            abs (rgb[2] - (int) round (colour->blue * 255));
        n += d <= 40;
      }
  return n;
}

/* The accuracy chart draws its two lines in the palette's two series colours. */
static void
check_accuracy_pixels (BsTrainingView *view,
                       const char     *name)
{
  GtkWidget *chart = bs_training_view_get_chart (view, BS_TRAINING_CHART_ACCURACY);
  g_autoptr(GdkTexture) shot = NULL;
  BsFigurePalette palette;
  int width, scale = gtk_widget_get_scale_factor (chart);

  gtk_test_widget_wait_for_draw (chart);
  shot = bs_test_screenshot (chart, name);
  width = gdk_texture_get_width (shot);
  bs_theme_palette_read (chart, "window_bg_color", &palette);
  /* Lines 2 pixels wide across a plot more than 100 pixels wide, below
   * the title row (22 pixels, where the legend is in the same colours). */
  g_assert_cmpuint (count_pixels_near (shot, &palette.series[0], 22 * scale), >, 60 * scale);
  g_assert_cmpuint (count_pixels_near (shot, &palette.series[1], 22 * scale), >, 60 * scale);
  g_assert_cmpint (width, >, 100);
}

/* The child of widget with this CSS name, depth first. */
static GtkWidget *
find_css_child (GtkWidget  *widget,
                const char *name)
{
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found;

      if (g_str_equal (gtk_widget_get_css_name (child), name))
        return child;
      if ((found = find_css_child (child, name)) != NULL)
        return found;
    }
  return NULL;
}

/* Real pointer input: the slider's knob, at the newest snapshot on the
 * right, dragged to the left end of the trough. */
static void
drag_timeline_to_start (BsTrainingView *view)
{
  GtkWidget *scale = GTK_WIDGET (bs_training_view_get_timeline (view));
  GtkWidget *slider = find_css_child (scale, "slider");
  GtkWidget *trough = find_css_child (scale, "trough");
  graphene_rect_t knob, rail;

  g_assert_nonnull (slider);
  g_assert_nonnull (trough);
  gtk_test_widget_wait_for_draw (scale);
  g_assert_true (gtk_widget_compute_bounds (slider, scale, &knob));
  g_assert_true (gtk_widget_compute_bounds (trough, scale, &rail));
  bs_test_pointer_drag (scale, knob.origin.x + knob.size.width / 2, knob.origin.y + knob.size.height / 2,
                        rail.origin.x, knob.origin.y + knob.size.height / 2, 8);
}

/* A run trains; its view has every step, epoch and snapshot; the timeline
 * moves the heatmap; the folder reopens the same. */
static void
test_run_and_reopen (void)
{
  g_autoptr(BsApplication) app = bs_test_app_new ();
  BsWindow *window = bs_test_app_get_window (app);
  BsTrainingView *view = bs_window_get_training_view (window);
  BsHeatmap *heatmap = bs_window_get_heatmap (window);
  BsRunSettings settings;
  BsTrainingJob *job;
  BsTrainingHistory *history;
  g_autoptr(BsCkaSnapshot) first = NULL;
  g_autoptr(BsCkaSnapshot) last = NULL;
  g_autofree char *dir = NULL;
  GtkWidget *run_list;

  tiny_settings (&settings, 2);
  job = start_run (window, &settings);
  bs_run_settings_clear (&settings);
  dir = g_strdup (bs_training_job_get_run_dir (job));
  g_assert_true (g_str_has_prefix (dir, runs_dir));
  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (view)));
  /* Its job is in the window's queue, with the CKA jobs. */
  g_assert_true (bs_job_queue_lookup (bs_window_get_jobs (window), bs_job_get_id (bs_training_job_get_job (job)))
                 == bs_training_job_get_job (job));

  g_assert_true (bs_test_wait_until (job_finished, job, 120000));
  g_assert_cmpint (bs_job_get_state (bs_training_job_get_job (job)), ==, BS_JOB_SUCCEEDED);

  history = bs_training_job_get_history (job);
  g_assert_cmpuint (bs_training_history_get_steps (history)->len, ==, 4);
  g_assert_cmpuint (bs_training_history_get_epochs (history)->len, ==, 2);
  g_assert_cmpuint (bs_training_history_get_n_snapshots (history), ==, 3);
  for (guint i = 0; i < 3; i++)
    {
      const BsTrainingSnapshotEntry *e = bs_training_history_get_snapshot (history, i);

      g_assert_true (e->complete);
      g_assert_nonnull (e->snapshot);
      g_assert_cmpuint (e->epoch, ==, i);
      g_assert_cmpuint (e->global_step, ==, 2 * i);
    }
  /* One point per step, per epoch; one mark per snapshot. */
  g_assert_cmpuint (chart_points (view, BS_TRAINING_CHART_LOSS), ==, 4);
  g_assert_cmpuint (chart_points (view, BS_TRAINING_CHART_LEARNING_RATE), ==, 4);
  g_assert_cmpuint (chart_points (view, BS_TRAINING_CHART_ACCURACY), ==, 2);
  g_assert_cmpuint (bs_training_view_get_n_marks (view), ==, 3);

  /* The timeline followed the run: the heatmap shows the last snapshot. */
  g_assert_cmpuint (bs_training_view_get_position (view), ==, 2);
  last = bs_cka_snapshot_ref (bs_training_history_get_snapshot (history, 2)->snapshot);
  g_assert_true (bs_heatmap_get_snapshot (heatmap) == last);

  check_accuracy_pixels (view, "training-accuracy");

  /* A selected cell: its CKA in every snapshot, charted in the inspector. */
  {
    GtkWidget *cell = bs_training_view_get_chart (view, BS_TRAINING_CHART_CELL);

    g_assert_false (gtk_widget_get_visible (cell));
    bs_heatmap_select (heatmap, 3, 2);
    g_assert_true (gtk_widget_get_visible (cell));
    g_assert_true (gtk_widget_is_ancestor (cell, GTK_WIDGET (bs_window_get_inspector (window))));
    g_assert_cmpuint (bs_training_chart_get_n_points (BS_TRAINING_CHART (cell)), ==, 3);
  }

  /* Back to initialisation, dragging the slider with the pointer: another matrix. */
  drag_timeline_to_start (view);
  g_assert_cmpuint (bs_training_view_get_position (view), ==, 0);
  first = bs_cka_snapshot_ref (bs_training_history_get_snapshot (history, 0)->snapshot);
  g_assert_true (bs_heatmap_get_snapshot (heatmap) == first);
  g_assert_true (snapshots_differ (first, last));

  /* The Runs list (Ctrl+R) has it. */
  activate (window, "show-runs", NULL);
  run_list = GTK_WIDGET (bs_window_training_get_run_list (bs_window_get_training (window)));
  g_assert_true (gtk_widget_get_visible (run_list));
  g_assert_cmpuint (bs_run_list_get_n_runs (BS_RUN_LIST (run_list)), ==, 1);
  gtk_popover_popdown (GTK_POPOVER (run_list));

  /* Closed and opened again (another window), from its folder. */
  bs_test_app_quit (app);
  g_clear_object (&app);
  app = bs_test_app_new ();
  window = bs_test_app_get_window (app);
  view = bs_window_get_training_view (window);
  heatmap = bs_window_get_heatmap (window);
  g_assert_false (gtk_widget_get_visible (GTK_WIDGET (view)));
  activate (window, "show-run", g_variant_new_string (dir));
  g_assert_null (bs_window_get_error_text (window));
  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (view)));
  history = bs_training_view_get_history (view);
  g_assert_cmpuint (bs_training_history_get_steps (history)->len, ==, 4);
  g_assert_cmpuint (bs_training_history_get_epochs (history)->len, ==, 2);
  g_assert_cmpuint (chart_points (view, BS_TRAINING_CHART_LOSS), ==, 4);
  g_assert_cmpuint (chart_points (view, BS_TRAINING_CHART_ACCURACY), ==, 2);
  g_assert_cmpuint (bs_training_view_get_n_marks (view), ==, 3);
  g_assert_cmpuint (bs_training_view_get_position (view), ==, 2);
  assert_snapshots_close (bs_heatmap_get_snapshot (heatmap), last);
  gtk_range_set_value (bs_training_view_get_timeline (view), 0);
  assert_snapshots_close (bs_heatmap_get_snapshot (heatmap), first);
  /* A finished run has nothing to resume. */
  g_assert_false (g_action_group_get_action_enabled (G_ACTION_GROUP (window), "resume-run"));

  /* A damaged snapshot: the banner names it, the rest of the run shows. */
  {
    g_autofree char *npy = g_build_filename (dir, "snapshots", "001-epoch-1.npy", NULL);
    const char *banner;

    g_assert_true (g_file_test (npy, G_FILE_TEST_IS_REGULAR));
    g_assert_true (g_file_set_contents (npy, "\x93NUMPY", 6, NULL));
    activate (window, "show-run", g_variant_new_string (dir));
    banner = bs_window_get_error_text (window);
    g_assert_nonnull (banner);
    g_test_message ("banner: %s", banner);
    g_assert_nonnull (strstr (banner, "001-epoch-1.npy"));
    g_assert_true (gtk_widget_get_visible (GTK_WIDGET (view)));
    history = bs_training_view_get_history (view);
    g_assert_cmpuint (bs_training_history_get_steps (history)->len, ==, 4);
    g_assert_cmpuint (chart_points (view, BS_TRAINING_CHART_ACCURACY), ==, 2);
    assert_snapshots_close (bs_heatmap_get_snapshot (heatmap), last);
  }

  bs_test_app_quit (app);
}

/* Pause holds the worker, Continue lets it go on, Stop ends the run as
 * stopped, and Resume continues it from its last checkpoint. */
static void
test_pause_continue_stop_resume (void)
{
  g_autoptr(BsApplication) app = bs_test_app_new ();
  BsWindow *window = bs_test_app_get_window (app);
  BsWindowTraining *training = bs_window_get_training (window);
  BsRunSettings settings;
  BsTrainingJob *job;
  StepsSeen seen;
  g_autofree char *dir = NULL;
  g_autoptr(BsRun) run = NULL;

  /* Long enough not to end by itself during the test. */
  tiny_settings (&settings, 1000);
  job = start_run (window, &settings);
  bs_run_settings_clear (&settings);
  dir = g_strdup (bs_training_job_get_run_dir (job));
  g_assert_true (bs_test_wait_until (has_steps, job, 60000));

  activate (window, "pause-training", NULL);
  g_assert_true (bs_training_job_is_paused (job));
  g_assert_true (bs_test_wait_until (is_paused_status, job, 60000));
  /* The worker waits in its step callback: no step is taken meanwhile. */
  seen.job = job;
  seen.steps = bs_training_job_get_steps_taken (job);
  g_assert_false (bs_test_wait_until (took_more_steps, &seen, 500));
  g_assert_false (g_action_group_get_action_enabled (G_ACTION_GROUP (window), "pause-training"));

  activate (window, "continue-training", NULL);
  g_assert_false (bs_training_job_is_paused (job));
  g_assert_true (bs_test_wait_until (took_more_steps, &seen, 60000));

  /* Stop while paused: cancelling wakes the worker. */
  activate (window, "pause-training", NULL);
  activate (window, "stop-training", NULL);
  g_assert_true (bs_test_wait_until (job_finished, job, 60000));
  g_assert_cmpint (bs_job_get_state (bs_training_job_get_job (job)), ==, BS_JOB_CANCELLED);
  run = bs_run_open (dir, NULL);
  g_assert_nonnull (run);
  g_assert_cmpint (bs_run_get_state (run), ==, BS_RUN_STATE_STOPPED);
  g_assert_true (bs_run_can_resume (run));

  /* Resume: a new job on the same folder, with the history so far. */
  g_assert_true (g_action_group_get_action_enabled (G_ACTION_GROUP (window), "resume-run"));
  activate (window, "resume-run", NULL);
  job = bs_window_training_get_job (training);
  g_assert_cmpstr (bs_training_job_get_run_dir (job), ==, dir);
  seen.job = job;
  seen.steps = 0;
  g_assert_true (bs_test_wait_until (took_more_steps, &seen, 60000));
  activate (window, "stop-training", NULL);
  g_assert_true (bs_test_wait_until (job_finished, job, 60000));
  g_assert_cmpint (bs_job_get_state (bs_training_job_get_job (job)), ==, BS_JOB_CANCELLED);

  /* Opened from its folder (as the Runs list does), it offers Resume too. */
  activate (window, "show-run", g_variant_new_string (dir));
  g_assert_true (g_action_group_get_action_enabled (G_ACTION_GROUP (window), "resume-run"));
  g_assert_false (g_action_group_get_action_enabled (G_ACTION_GROUP (window), "stop-training"));
  g_assert_cmpuint (bs_training_history_get_steps (bs_training_view_get_history (bs_window_get_training_view (window)))->len,
                    >, 0);

  bs_test_app_quit (app);
}

/* A learning rate far too large: the run fails, and the banner says it
 * diverged and at which step. */
static void
test_diverging_run (void)
{
  g_autoptr(BsApplication) app = bs_test_app_new ();
  BsWindow *window = bs_test_app_get_window (app);
  BsWindowTraining *training = bs_window_get_training (window);
  BsRunSettings settings;
  BsTrainingJob *job;
  const char *banner;
  g_autoptr(BsRun) run = NULL;

  tiny_settings (&settings, 20);
  settings.recipe.lr = 1e12;
  settings.recipe.schedule = BS_SCHEDULE_CONSTANT;
  settings.recipe.warmup_epochs = 0;
  /* The dialog's spin button stops at a sane rate: start it directly. */
  g_assert_true (bs_window_training_start (training, &settings));
  bs_run_settings_clear (&settings);
  job = bs_window_training_get_job (training);
  g_assert_true (bs_test_wait_until (job_finished, job, 60000));
  g_assert_cmpint (bs_job_get_state (bs_training_job_get_job (job)), ==, BS_JOB_FAILED);
  g_assert_true (g_error_matches (bs_job_get_error (bs_training_job_get_job (job)), BS_ERROR, BS_ERROR_DIVERGED));

  /* The banner says so, and at which step: the loss of the step after the
   * last one reported was not finite. */
  banner = bs_window_get_error_text (window);
  g_assert_nonnull (banner);
  g_assert_true (g_str_has_prefix (banner, "Training diverged\n"));
  {
    guint64 step = bs_training_job_get_last_step (job) + 1;
    g_autofree char *where = g_strdup_printf ("in epoch %u at step %u of 2", (guint) (step - 1) / 2 + 1,
                                              (guint) (step - 1) % 2 + 1);

    g_assert_nonnull (strstr (banner, where));
  }
  run = bs_run_open (bs_training_job_get_run_dir (job), NULL);
  g_assert_cmpint (bs_run_get_state (run), ==, BS_RUN_STATE_FAILED);

  bs_test_app_quit (app);
}

/* An unwritable runs folder: a clear message, no job. */
static void
test_unwritable_runs_folder (void)
{
  g_autoptr(BsApplication) app = bs_test_app_new ();
  BsWindow *window = bs_test_app_get_window (app);
  BsWindowTraining *training = bs_window_get_training (window);
  g_autofree char *file = g_build_filename (runs_dir, "not-a-folder", NULL);
  BsRunSettings settings;

  g_assert_true (g_file_set_contents (file, "x", 1, NULL));
  g_setenv ("BLOCKSCOPE_RUNS_DIR", file, TRUE);
  tiny_settings (&settings, 1);
  g_assert_false (bs_window_training_start (training, &settings));
  bs_run_settings_clear (&settings);
  g_assert_null (bs_window_training_get_job (training));
  g_assert_true (g_str_has_prefix (bs_window_get_error_text (window), "The runs folder cannot be written"));
  g_setenv ("BLOCKSCOPE_RUNS_DIR", runs_dir, TRUE);
  g_unlink (file);

  bs_test_app_quit (app);
}

static gboolean
window_gone (gpointer data)
{
  return gtk_application_get_windows (GTK_APPLICATION (data)) == NULL;
}

/* Closing the window while a run trains asks "Stop Training?"; Keep
 * keeps it open and training, Stop closes it and leaves the run stopped. */
static void
test_close_question (void)
{
  g_autoptr(BsApplication) app = bs_test_app_new ();
  BsWindow *window = bs_test_app_get_window (app);
  BsWindowTraining *training = bs_window_get_training (window);
  BsRunSettings settings;
  BsTrainingJob *job;
  GtkWindow *question;
  g_autofree char *dir = NULL;
  g_autoptr(BsRun) run = NULL;

  tiny_settings (&settings, 1000);
  job = start_run (window, &settings);
  bs_run_settings_clear (&settings);
  dir = g_strdup (bs_training_job_get_run_dir (job));
  g_assert_true (bs_test_wait_until (has_steps, job, 60000));

  gtk_window_close (GTK_WINDOW (window));
  bs_test_drain ();
  question = bs_window_training_get_question (training);
  g_assert_nonnull (question);
  g_assert_true (ADW_IS_MESSAGE_DIALOG (question));
  g_assert_cmpstr (adw_message_dialog_get_heading (ADW_MESSAGE_DIALOG (question)), ==, "Stop Training?");
  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (window)));

  adw_message_dialog_response (ADW_MESSAGE_DIALOG (question), "keep");
  bs_test_drain ();
  g_assert_null (bs_window_training_get_question (training));
  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (window)));
  g_assert_false (bs_job_is_finished (bs_training_job_get_job (job)));

  gtk_window_close (GTK_WINDOW (window));
  bs_test_drain ();
  question = bs_window_training_get_question (training);
  g_assert_nonnull (question);
  adw_message_dialog_response (ADW_MESSAGE_DIALOG (question), "stop");
  g_assert_true (bs_test_wait_until (window_gone, app, 60000));

  run = bs_run_open (dir, NULL);
  g_assert_nonnull (run);
  g_assert_cmpint (bs_run_get_state (run), ==, BS_RUN_STATE_STOPPED);

  bs_test_app_quit (app);
}

static gboolean
has_estimate (gpointer data)
{
  const char *estimate = bs_training_dialog_get_estimate (data);

  return estimate != NULL && g_str_has_prefix (estimate, "About ");
}

/* The demo fills the dialog with its recipe; the estimate is measured. */
static void
test_demo_and_estimate (void)
{
  g_autoptr(BsApplication) app = bs_test_app_new ();
  BsWindow *window = bs_test_app_get_window (app);
  BsTrainingDialog *dialog;
  BsRunSettings settings;
  BsRunSettings tiny;

  activate (window, "demo-training-run", NULL);
  dialog = bs_window_training_get_dialog (bs_window_get_training (window));
  g_assert_nonnull (dialog);
  bs_training_dialog_get_settings (dialog, &settings);
  g_assert_cmpstr (settings.model, ==, "resnet56");
  g_assert_cmpstr (settings.dataset, ==, "fashion-mnist");
  g_assert_cmpuint (settings.recipe.limit, ==, 3000);
  g_assert_cmpuint (settings.recipe.epochs, ==, 25);
  g_assert_cmpuint (settings.recipe.test_limit, ==, 1000);
  g_assert_true (settings.plan.at_init);
  g_assert_cmpuint (settings.plan.every_epochs, ==, 1);
  bs_run_settings_clear (&settings);

  /* A small network, so that measuring it is quick. */
  tiny_settings (&tiny, 3);
  bs_training_dialog_set_settings (dialog, &tiny);
  bs_run_settings_clear (&tiny);
  g_assert_true (bs_test_wait_until (has_estimate, dialog, 60000));

  /* CIFAR-100 is not installed for the tests (BLOCKSCOPE_DATA_DIR points
   * at an empty folder, and no system folder has it): Start says so. */
  bs_training_demo_settings (&settings);
  g_free (settings.dataset);
  settings.dataset = g_strdup ("cifar100");
  bs_training_dialog_set_settings (dialog, &settings);
  bs_run_settings_clear (&settings);
  bs_training_dialog_start (dialog);
  g_assert_null (bs_window_training_get_job (bs_window_get_training (window)));
  g_assert_true (g_str_has_prefix (bs_window_get_error_text (window), "CIFAR-100 is not installed"));

  bs_test_app_quit (app);
}

int
main (int    argc,
      char **argv)
{
  int status;

  runs_dir = g_dir_make_tmp ("blockscope-runs-XXXXXX", NULL);
  g_assert_nonnull (runs_dir);
  g_setenv ("BLOCKSCOPE_RUNS_DIR", runs_dir, TRUE);

  bs_test_init (&argc, &argv);

  g_test_add_func ("/training/run-and-reopen", test_run_and_reopen);
  g_test_add_func ("/training/pause-continue-stop-resume", test_pause_continue_stop_resume);
  g_test_add_func ("/training/diverging-run", test_diverging_run);
  g_test_add_func ("/training/unwritable-runs-folder", test_unwritable_runs_folder);
  g_test_add_func ("/training/close-question", test_close_question);
  g_test_add_func ("/training/demo-and-estimate", test_demo_and_estimate);

  status = g_test_run ();
  bs_test_remove_tree (runs_dir);
  g_free (runs_dir);
  return status;
}
