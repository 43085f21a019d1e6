/* test-job.c: the window runs a real CKA job through its actions: the
 * heatmap shows the final matrix in the colours of the colour map, the
 * inspector names the selected layers, the job list shows the job while it
 * runs, Cancel (and the job list's stop button) stop it, and closing the
 * window mid-job ends the worker cleanly. Small models on the synthetic data
 * set keep it quick. */
#include "bs-config.h"

#include <math.h>

#include "bs-colormap.h"
#include "bs-job-row.h"
#include "bs-test-utils.h"
#include "bs-window-private.h"
#include "bs-dataset-locate.h"

#include <glib/gstdio.h>
#include <string.h>

typedef struct {
  BsApplication *app;
  BsWindow      *window;
  GSettings     *settings;
  BsJob         *job;
  guint          snapshots;
  guint          finished;
  gboolean       failed;
  char          *error_message;
  gint64         finished_us;
} Fixture;

static void
on_partial (BsJob        *job,
            const GValue *value,
            Fixture      *f)
{
  g_assert_true (G_VALUE_HOLDS (value, BS_TYPE_CKA_SNAPSHOT));
  f->snapshots++;
}

static void
on_finished (BsJob   *job,
             Fixture *f)
{
  const GError *error = bs_job_get_error (job);

  f->finished++;
  f->finished_us = g_get_monotonic_time ();
  g_free (f->error_message);
  f->error_message = error ? g_strdup (error->message) : NULL;
  f->failed = error != NULL;
}

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  memset (f, 0, sizeof *f);
  f->app = bs_test_app_new ();
  f->window = bs_test_app_get_window (f->app);
  f->settings = g_object_ref (bs_application_get_settings (f->app));

  g_settings_set_string (f->settings, "dataset", "synthetic");
  g_settings_set_uint (f->settings, "passes", 1);
}

/* Compute, as the button does, and follow the job it starts. */
static void
compute (Fixture *f)
{
  g_action_group_activate_action (G_ACTION_GROUP (f->window), "compute", NULL);
  g_assert_nonnull (bs_window_get_cka_job (f->window));
  g_assert_true (f->job != bs_window_get_cka_job (f->window));
  if (f->job != NULL)
    g_signal_handlers_disconnect_by_data (f->job, f);
  g_set_object (&f->job, bs_window_get_cka_job (f->window));
  g_signal_connect (f->job, "partial", G_CALLBACK (on_partial), f);
  g_signal_connect (f->job, "finished", G_CALLBACK (on_finished), f);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  if (f->job != NULL)
    {
      g_signal_handlers_disconnect_by_data (f->job, f);
      g_clear_object (&f->job);
    }
  if (f->app != NULL)
    {
      bs_test_app_quit (f->app);
      g_object_unref (f->app);
    }
  g_settings_reset (f->settings, "model-a");
  g_settings_reset (f->settings, "model-b");
  g_settings_reset (f->settings, "dataset");
  g_settings_reset (f->settings, "batch-size");
  g_settings_reset (f->settings, "image-limit");
  g_settings_reset (f->settings, "colormap");
  g_settings_reset (f->settings, "passes");
  g_clear_object (&f->settings);
  g_free (f->error_message);
}

static gboolean
job_finished (gpointer data)
{
  Fixture *f = data;

  return f->finished > 0;
}

static gboolean
job_has_progress (gpointer data)
{
  Fixture *f = data;
  BsCkaSnapshot *snapshot = bs_heatmap_get_snapshot (bs_window_get_heatmap (f->window));

  return f->finished > 0 || (snapshot != NULL && bs_cka_snapshot_get_minibatches_done (snapshot) >= 1);
}

typedef struct {
  BsInspector *inspector;
  const char  *a;
  const char  *b;
} InspectorShows;

static gboolean
inspector_shows (gpointer data)
{
  InspectorShows *want = data;

  return g_strcmp0 (bs_inspector_get_layer_a_name (want->inspector), want->a) == 0 &&
         g_strcmp0 (bs_inspector_get_layer_b_name (want->inspector), want->b) == 0;
}

static gboolean
stack_settled (gpointer data)
{
  GtkStack *stack = GTK_STACK (gtk_widget_get_template_child (GTK_WIDGET (data), BS_TYPE_WINDOW,
                                                              "content_stack"));

  return !gtk_stack_get_transition_running (stack);
}

static void
test_job_runs (Fixture       *f,
               gconstpointer  data)
{
  BsHeatmap *heatmap = bs_window_get_heatmap (f->window);
  BsInspector *inspector = bs_window_get_inspector (f->window);
  g_autoptr(GdkTexture) shot = NULL;
  g_autofree guint8 *pixels = NULL;
  const BsHeatmapView *view;
  BsCkaSnapshot *snapshot;
  gsize stride;
  double ox, oy, lo, hi;
  guint delivered, published, checked = 0, finite = 0;

  g_settings_set_string (f->settings, "model-a", "resnet8");
  g_settings_set_string (f->settings, "model-b", "resnet14");
  g_settings_set_uint (f->settings, "batch-size", 16);
  g_settings_set_uint (f->settings, "image-limit", 96);
  g_settings_set_string (f->settings, "colormap", "inferno");

  g_assert_true (g_action_group_get_action_enabled (G_ACTION_GROUP (f->window), "compute"));
  g_assert_false (g_action_group_get_action_enabled (G_ACTION_GROUP (f->window), "cancel"));
  compute (f);
  g_assert_false (bs_job_is_finished (f->job));
  g_assert_false (g_action_group_get_action_enabled (G_ACTION_GROUP (f->window), "compute"));
  g_assert_true (g_action_group_get_action_enabled (G_ACTION_GROUP (f->window), "cancel"));
  /* The job list shows it, under the title the window shows. */
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (bs_window_get_jobs (f->window))), ==, 1);
  g_assert_cmpstr (bs_job_get_title (f->job), ==, "ResNet-8 vs ResNet-14 · Synthetic");

  g_assert_true (bs_test_wait_until (job_finished, f, 120000));
  if (f->failed)
    g_test_message ("job failed: %s", f->error_message);
  g_assert_false (f->failed);
  g_assert_null (bs_window_get_error_text (f->window));
  g_assert_true (g_action_group_get_action_enabled (G_ACTION_GROUP (f->window), "compute"));
  g_assert_cmpint (bs_job_get_state (f->job), ==, BS_JOB_SUCCEEDED);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (bs_window_get_jobs (f->window))), ==, 0);

  /* Coalescing: never more deliveries than publications, and the last
   * state arrived. 96 / 16 = 6 minibatches, plus the grey start. */
  bs_job_get_partial_counts (f->job, &delivered, &published);
  g_assert_cmpuint (f->snapshots, ==, delivered);
  g_test_message ("snapshots: %u published, %u delivered", published, delivered);
  g_assert_cmpuint (delivered, <=, published);
  g_assert_cmpuint (published, ==, 1 + 6);
  snapshot = bs_heatmap_get_snapshot (heatmap);
  g_assert_nonnull (snapshot);
  g_assert_cmpuint (bs_cka_snapshot_get_minibatches_done (snapshot), ==, 6);
  g_assert_cmpuint (bs_cka_snapshot_get_minibatches_total (snapshot), ==, 6);
  g_assert_cmpstr (bs_cka_snapshot_get_model_a (snapshot), ==, "resnet8");
  g_assert_cmpstr (bs_cka_snapshot_get_model_b (snapshot), ==, "resnet14");
  g_assert_cmpuint (bs_cka_snapshot_get_n_rows (snapshot), <, bs_cka_snapshot_get_n_cols (snapshot));
  g_assert_nonnull (strstr (bs_window_get_subtitle (f->window), "6 minibatches"));

  /* The picture: every cell's centre has its value's colour, once the
   * page has cross-faded from the empty state to the heatmap. */
  g_assert_true (bs_test_wait_until (stack_settled, f->window, 5000));
  shot = bs_test_screenshot (GTK_WIDGET (f->window), "job-window");
  pixels = bs_test_texture_pixels (shot, &stride);
  view = bs_heatmap_get_view (heatmap);
  bs_heatmap_get_plot_origin (heatmap, &ox, &oy);
  g_assert_true (gtk_widget_translate_coordinates (GTK_WIDGET (heatmap), GTK_WIDGET (f->window),
                                                   ox, oy, &ox, &oy));
  bs_heatmap_get_value_range (heatmap, &lo, &hi);
  for (guint r = 0; r < bs_cka_snapshot_get_n_rows (snapshot); r++)
    for (guint c = 0; c < bs_cka_snapshot_get_n_cols (snapshot); c++)
      {
        double x, y, w, h, value = bs_cka_snapshot_get_value (snapshot, r, c);
        guint8 got[3], want[3];

        bs_heatmap_view_cell_to_rect (view, r, c, &x, &y, &w, &h);
        /* Skip the corner under the zoom buttons. */
        if (y < 40 && x + w > view->width - 110)
          continue;
        bs_test_pixel_rgb (pixels, stride, (int) floor (ox + x + w / 2), (int) floor (oy + y + h / 2), got);
        bs_colormap_lookup (BS_COLORMAP_INFERNO, value, lo, hi, want);
        if (memcmp (got, want, 3) != 0 && !isnan (value))
          {
            /* On the edge between two entries the GPU's float may round
             * either way: either neighbour is right. */
            double t = (value - lo) / (hi - lo) * 256;

            if (fabs (t - round (t)) < 1e-3)
              {
                bs_colormap_lookup (BS_COLORMAP_INFERNO, lo + (round (t) - 0.5) / 256 * (hi - lo), lo, hi, want);
                if (memcmp (got, want, 3) != 0)
                  bs_colormap_lookup (BS_COLORMAP_INFERNO, lo + (round (t) + 0.5) / 256 * (hi - lo), lo, hi, want);
              }
          }
        if (memcmp (got, want, 3) != 0)
          g_test_message ("cell (%u, %u) = %g: got %02x%02x%02x want %02x%02x%02x", r, c, value,
                          got[0], got[1], got[2], want[0], want[1], want[2]);
        g_assert_cmpmem (got, 3, want, 3);
        checked++;
        finite += isfinite (value);
      }
  g_assert_cmpuint (checked, >, bs_cka_snapshot_get_n_rows (snapshot) * bs_cka_snapshot_get_n_cols (snapshot) * 9 / 10);
  g_assert_cmpuint (finite, >, checked / 2);

  /* A click on a cell selects it and the inspector names both layers. */
  {
    guint n_cols = bs_cka_snapshot_get_n_cols (snapshot);
    g_autofree char *want = g_strdup_printf ("%.3f", bs_cka_snapshot_get_value (snapshot, 3, n_cols - 2));
    double px, py, x, y, w, h;
    guint row, col;

    bs_heatmap_get_plot_origin (heatmap, &px, &py);
    bs_heatmap_view_cell_to_rect (view, 3, n_cols - 2, &x, &y, &w, &h);
    bs_test_pointer_click (GTK_WIDGET (heatmap), px + x + w / 2, py + y + h / 2);
    g_assert_true (bs_heatmap_get_selection (heatmap, &row, &col));
    g_assert_cmpuint (row, ==, 3);
    g_assert_cmpuint (col, ==, n_cols - 2);
    g_assert_cmpstr (bs_inspector_get_layer_a_name (inspector), ==, bs_cka_snapshot_get_row (snapshot, 3)->name);
    g_assert_cmpstr (bs_inspector_get_layer_b_name (inspector), ==,
                     bs_cka_snapshot_get_col (snapshot, n_cols - 2)->name);
    g_assert_cmpstr (bs_inspector_get_value_text (inspector), ==, want);
  }

  /* Arrow keys (their action) move on; the inspector follows. */
  gtk_widget_activate_action (GTK_WIDGET (heatmap), "heatmap.move-selection", "(ii)", 1, -1);
  {
    InspectorShows want = { inspector, bs_cka_snapshot_get_row (snapshot, 4)->name,
                            bs_cka_snapshot_get_col (snapshot, bs_cka_snapshot_get_n_cols (snapshot) - 3)->name };

    g_assert_true (bs_test_wait_until (inspector_shows, &want, 5000));
  }
  g_object_unref (bs_test_screenshot (GTK_WIDGET (f->window), "job-window-selected"));
}

static void
test_cancel (Fixture       *f,
             gconstpointer  data)
{
  gint64 cancelled_us;

  /* Small minibatches of small models: many steps, each short. */
  g_settings_set_string (f->settings, "model-a", "resnet8");
  g_settings_set_string (f->settings, "model-b", "resnet14");
  g_settings_set_uint (f->settings, "batch-size", 16);
  g_settings_set_uint (f->settings, "image-limit", 0);

  compute (f);
  g_assert_true (bs_test_wait_until (job_has_progress, f, 120000));
  g_assert_cmpuint (f->finished, ==, 0);

  /* The user can still zoom and inspect while it runs. */
  g_action_group_activate_action (G_ACTION_GROUP (f->window), "zoom-in", NULL);
  g_assert_cmpfloat (bs_heatmap_get_view (bs_window_get_heatmap (f->window))->zoom, >, 1.0);
  bs_heatmap_select (bs_window_get_heatmap (f->window), 2, 2);
  g_assert_nonnull (bs_inspector_get_layer_a_name (bs_window_get_inspector (f->window)));

  cancelled_us = g_get_monotonic_time ();
  g_action_group_activate_action (G_ACTION_GROUP (f->window), "cancel", NULL);
  g_assert_nonnull (strstr (bs_window_get_subtitle (f->window), "Stopping"));
  g_assert_true (bs_test_wait_until (job_finished, f, 60000));
  g_test_message ("cancel took %.0f ms", (f->finished_us - cancelled_us) / 1000.0);
  g_assert_true (f->failed);
  g_assert_cmpint (bs_job_get_state (f->job), ==, BS_JOB_CANCELLED);
  g_assert_nonnull (strstr (bs_window_get_subtitle (f->window), "Stopped"));
  /* Cancelling is not an error to report. */
  g_assert_null (bs_window_get_error_text (f->window));
  g_assert_true (g_action_group_get_action_enabled (G_ACTION_GROUP (f->window), "compute"));
}

static gboolean
no_windows (gpointer data)
{
  return gtk_application_get_windows (GTK_APPLICATION (data)) == NULL;
}

static gboolean
is_mapped (gpointer widget)
{
  return gtk_widget_get_mapped (widget);
}

/* The stop button of the job's row in the job list, pressed. */
static void
test_cancel_from_job_list (Fixture       *f,
                           gconstpointer  data)
{
  GtkListBox *list = GTK_LIST_BOX (gtk_widget_get_template_child (GTK_WIDGET (f->window), BS_TYPE_WINDOW,
                                                                  "jobs_list"));
  GtkWidget *jobs_button = GTK_WIDGET (gtk_widget_get_template_child (GTK_WIDGET (f->window), BS_TYPE_WINDOW,
                                                                      "jobs_button"));
  GtkListBoxRow *row;
  BsJobRow *job_row;
  GtkWidget *stop;

  g_settings_set_string (f->settings, "model-a", "resnet8");
  g_settings_set_string (f->settings, "model-b", "resnet8");
  g_settings_set_uint (f->settings, "batch-size", 16);
  g_settings_set_uint (f->settings, "image-limit", 0);
  g_settings_set_uint (f->settings, "passes", 50);

  g_assert_false (gtk_widget_get_visible (jobs_button));
  compute (f);
  g_assert_true (gtk_widget_get_visible (jobs_button));
  g_assert_true (bs_test_wait_until (job_has_progress, f, 120000));
  gtk_menu_button_popup (GTK_MENU_BUTTON (jobs_button));

  row = gtk_list_box_get_row_at_index (list, 0);
  g_assert_nonnull (row);
  g_assert_null (gtk_list_box_get_row_at_index (list, 1));
  job_row = BS_JOB_ROW (gtk_list_box_row_get_child (row));
  g_assert_true (bs_job_row_get_job (job_row) == f->job);
  stop = GTK_WIDGET (gtk_widget_get_template_child (GTK_WIDGET (job_row), BS_TYPE_JOB_ROW, "cancel_button"));
  g_assert_true (bs_test_wait_until (is_mapped, stop, 5000));
  g_object_unref (bs_test_screenshot (GTK_WIDGET (f->window), "job-list"));
  /* Through the keyboard: under Xvfb, GTK 4.8 now and then drops a
   * pointer click on this button while the window redraws; the key press
   * is as real an event and is never lost. */
  bs_test_key_activate (stop);

  g_assert_true (bs_test_wait_until (job_finished, f, 60000));
  g_assert_cmpint (bs_job_get_state (f->job), ==, BS_JOB_CANCELLED);
  g_assert_nonnull (strstr (bs_window_get_subtitle (f->window), "Stopped"));
  g_assert_null (gtk_list_box_get_row_at_index (list, 0));
  g_assert_false (gtk_widget_get_visible (jobs_button));
}

static gboolean
job_is_over (gpointer data)
{
  return bs_job_is_finished (data);
}

static void
test_close_during_job (Fixture       *f,
                       gconstpointer  data)
{
  g_autoptr(BsJob) job = NULL;
  gint64 start;

  g_settings_set_string (f->settings, "model-a", "resnet14");
  g_settings_set_string (f->settings, "model-b", "resnet8");
  g_settings_set_uint (f->settings, "batch-size", 16);
  g_settings_set_uint (f->settings, "image-limit", 0);

  compute (f);
  g_assert_true (bs_test_wait_until (job_has_progress, f, 120000));
  job = g_object_ref (f->job);
  g_assert_false (bs_job_is_finished (job));

  start = g_get_monotonic_time ();
  gtk_window_close (GTK_WINDOW (f->window));
  g_assert_true (bs_test_wait_until (no_windows, f->app, 60000));
  g_test_message ("closing took %.0f ms", (g_get_monotonic_time () - start) / 1000.0);

  /* The worker stopped; its last reports reach the job (not the window,
   * which is gone), and the job ends as cancelled. */
  g_assert_true (bs_test_wait_until (job_is_over, job, 60000));
  g_assert_cmpint (bs_job_get_state (job), ==, BS_JOB_CANCELLED);
  f->window = NULL;
}

static void
test_missing_dataset (Fixture       *f,
                      gconstpointer  data)
{
  /* CIFAR-100 is not installed for the tests (BLOCKSCOPE_DATA_DIR points
   * at an empty folder): the window says so in words, and starts nothing. */
  g_autofree char *folder = bs_dataset_find ("cifar100", NULL, NULL);

  if (folder != NULL)
    {
      g_test_skip ("CIFAR-100 is installed on this machine");
      return;
    }

  g_settings_set_string (f->settings, "dataset", "cifar100");
  g_action_group_activate_action (G_ACTION_GROUP (f->window), "compute", NULL);
  g_assert_null (bs_window_get_cka_job (f->window));
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (bs_window_get_jobs (f->window))), ==, 0);
  g_assert_nonnull (bs_window_get_error_text (f->window));
  g_assert_nonnull (strstr (bs_window_get_error_text (f->window), "CIFAR-100 is not installed"));
  g_object_unref (bs_test_screenshot (GTK_WIDGET (f->window), "missing-dataset"));
}

static void
test_damaged_checkpoint (Fixture       *f,
                         gconstpointer  data)
{
  g_autofree char *dir = g_dir_make_tmp ("blockscope-gui-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "broken.safetensors", NULL);

  g_assert_true (g_file_set_contents (path, "this is not a checkpoint", -1, NULL));
  g_settings_set_string (f->settings, "model-a", path);
  g_settings_set_string (f->settings, "model-b", "resnet8");
  g_settings_set_uint (f->settings, "batch-size", 16);
  g_settings_set_uint (f->settings, "image-limit", 32);

  compute (f);
  g_assert_true (bs_test_wait_until (job_finished, f, 60000));
  g_assert_true (f->failed);
  g_assert_cmpint (bs_job_get_state (f->job), ==, BS_JOB_FAILED);
  g_test_message ("error shown: %s", bs_window_get_error_text (f->window));
  g_assert_nonnull (bs_window_get_error_text (f->window));
  g_assert_nonnull (strstr (bs_window_get_error_text (f->window), "broken.safetensors"));
  g_object_unref (bs_test_screenshot (GTK_WIDGET (f->window), "damaged-checkpoint"));

  g_unlink (path);
  g_rmdir (dir);
}

int
main (int    argc,
      char **argv)
{
  bs_test_init (&argc, &argv);

  g_test_add ("/job/runs", Fixture, NULL, fixture_setup, test_job_runs, fixture_teardown);
  g_test_add ("/job/cancel", Fixture, NULL, fixture_setup, test_cancel, fixture_teardown);
  g_test_add ("/job/cancel-from-job-list", Fixture, NULL, fixture_setup, test_cancel_from_job_list, fixture_teardown);
  g_test_add ("/job/close-during-job", Fixture, NULL, fixture_setup, test_close_during_job, fixture_teardown);
  g_test_add ("/job/missing-dataset", Fixture, NULL, fixture_setup, test_missing_dataset, fixture_teardown);
  g_test_add ("/job/damaged-checkpoint", Fixture, NULL, fixture_setup, test_damaged_checkpoint, fixture_teardown);

  return g_test_run ();
}
