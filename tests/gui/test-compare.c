/* test-compare.c: CKA across training time and across seeds in the window
 * (bs-window-compare.c).
 *
 * Three ResNet-8 runs of one recipe with different seeds, trained here on
 * a few synthetic images (three checkpoints each), in a temporary runs
 * folder. Layer Convergence on a run shown in the window gives a chart
 * whose numbers are bs_cka_convergence_run ()'s on the same checkpoints
 * and protocol, bit for bit, drawn in the palette's stage colours, with
 * the layer and value read out under a real pointer and kept by a click
 * (a run of one checkpoint is refused in the banner);
 * Compare Seeds… (check boxes and Compare pressed from the keyboard)
 * puts bs_cka_seeds_run ()'s mean matrix in the heatmap, every cell in its
 * colour, titled with the pairs, and the standard deviation one switch
 * away; networks of another layer grid are refused with the core's
 * message in the banner; Stop leaves nothing behind. */
#include "bs-config.h"

#include "bs-test-heatmap-cells.h"
#include "bs-test-util.h"
#include "bs-test-text.h"
#include "bs-test-utils.h"
#include "bs-test-window-fixture.h"

#include <glib/gstdio.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "bs-cka-open.h"
#include "bs-colormap.h"
#include "bs-export-dialog.h"
#include "bs-heatmap-private.h"
#include "bs-run.h"
#include "bs-theme-palette.h"
#include "bs-window-private.h"

#define N_RUNS 3

#define EPOCHS 3

static char *runs_dir;
static char *run_dirs[N_RUNS];

/* 64 synthetic images in batches of 32, a snapshot (and so a checkpoint)
 * after every epoch on 64 probe images in minibatches of 32. */
static void
train_run (const char *dir,
           guint64     seed,
           guint       epochs)
{
  g_autoptr(BsDataset) dataset = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(BsRun) run = NULL;
  BsRunSettings settings;

  dataset = bs_dataset_load ("synthetic", NULL, &error);
  g_assert_no_error (error);
  bs_run_settings_init (&settings);
  g_free (settings.model);
  settings.model = g_strdup ("resnet8");
  g_free (settings.dataset);
  settings.dataset = g_strdup ("synthetic");
  settings.init_seed = seed;
  settings.recipe.epochs = epochs;
  settings.recipe.batch_size = 32;
  settings.recipe.limit = 64;
  settings.recipe.test_limit = 64;
  settings.recipe.augment = FALSE;
  settings.recipe.threads = 1;
  settings.plan.at_init = FALSE;
  settings.plan.every_epochs = 1;
  settings.plan.probe_images = 64;
  settings.plan.probe_batch = 32;
  run = bs_run_create (dir, &settings, &error);
  g_assert_no_error (error);
  g_assert_true (bs_run_train (run, dataset, NULL, NULL, NULL, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (bs_run_get_checkpoint_epochs (run)->len, ==, epochs);
  bs_run_settings_clear (&settings);
}

static void
train_runs (void)
{
  for (guint i = 0; i < N_RUNS; i++)
    {
      g_autofree char *name = g_strdup_printf ("resnet8-seed-%u", i + 1);

      run_dirs[i] = g_build_filename (runs_dir, name, NULL);
      train_run (run_dirs[i], i + 1, EPOCHS);
    }
}

typedef BsTestWindowFixture Fixture;

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  bs_test_window_fixture_setup (f, NULL, 16, 64);
}

static void
activate (BsWindow   *window,
          const char *action,
          GVariant   *parameter)
{
  g_assert_true (g_action_group_get_action_enabled (G_ACTION_GROUP (window), action));
  g_action_group_activate_action (G_ACTION_GROUP (window), action, parameter);
}

/* The options the window's jobs use, for the references. */
static void
reference_options (Fixture         *f,
                   BsCkaJobOptions *options,
                   BsDataset      **dataset)
{
  g_autoptr(GError) error = NULL;

  *dataset = bs_dataset_load_test ("synthetic", NULL, &error);
  g_assert_no_error (error);
  bs_cka_job_options_init (options);
  options->dataset = *dataset;
  options->engine = bs_application_get_engine_config (f->app);
}

/* A label under widget saying text. */
static gboolean
has_label (GtkWidget  *widget,
           const char *text)
{
  if (GTK_IS_LABEL (widget) && g_strcmp0 (gtk_label_get_label (GTK_LABEL (widget)), text) == 0)
    return TRUE;
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    if (has_label (child, text))
      return TRUE;
  return FALSE;
}

/* How many pixels of shot are within 40 (sum of channel differences) of colour. */
static guint
count_pixels_near (GdkTexture          *shot,
                   const BsFigureColor *colour)
{
  gsize stride;
  g_autofree guint8 *pixels = bs_test_texture_pixels (shot, &stride);
  guint n = 0;

  for (int y = 0; y < gdk_texture_get_height (shot); y++)
    for (int x = 0; x < gdk_texture_get_width (shot); x++)
      {
        guint8 rgb[3];

        bs_test_pixel_rgb (pixels, stride, x, y, rgb);
        n += abs (rgb[0] - (int) round (colour->red * 255)) + abs (rgb[1] - (int) round (colour->green * 255)) +
             abs (rgb[2] - (int) round (colour->blue * 255)) <= 40;
      }
  return n;
}

/* ---------------------------------------------------------------- across time */

static BsJob *
start_convergence (Fixture *f)
{
  BsWindowCompare *compare = bs_window_get_compare (f->window);

  activate (f->window, "show-run", g_variant_new_string (run_dirs[0]));
  g_assert_null (bs_window_get_error_text (f->window));
  activate (f->window, "layer-convergence", NULL);
  g_assert_nonnull (bs_window_compare_get_job (compare));
  /* One comparison at a time. */
  g_assert_false (g_action_group_get_action_enabled (G_ACTION_GROUP (f->window), "layer-convergence"));
  g_assert_false (g_action_group_get_action_enabled (G_ACTION_GROUP (f->window), "compare-seeds"));
  return bs_window_compare_get_job (compare);
}

static gboolean
readout_is (gpointer data)
{
  gpointer *args = data;

  return g_strcmp0 (bs_convergence_chart_get_readout (args[0]), args[1]) == 0;
}

static void
test_convergence (Fixture       *f,
                  gconstpointer  data)
{
  BsWindowCompare *compare = bs_window_get_compare (f->window);
  BsConvergenceChart *chart = bs_window_compare_get_chart (compare);
  g_autoptr(BsDataset) dataset = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(BsRun) run = NULL;
  g_autoptr(GPtrArray) paths = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GdkTexture) shot = NULL;
  BsCkaConvergence expected;
  BsCkaJobOptions options;
  BsFigurePalette palette;
  GArray *epochs;
  const char *description;
  guint stage_layers[2] = { 0, 0 };
  BsJob *job;
  gint64 start;
  gint best = -1;
  guint best_k = 0;
  double best_gap = 0;

  /* Nothing to follow before a run is shown. */
  g_assert_false (g_action_group_get_action_enabled (G_ACTION_GROUP (f->window), "layer-convergence"));
  start = g_get_monotonic_time ();
  job = start_convergence (f);
  g_assert_true (bs_test_wait_until (bs_test_job_is_finished, job, 120000));
  g_test_message ("layer convergence of %u checkpoints: %.2f s", EPOCHS, (g_get_monotonic_time () - start) / 1e6);
  if (bs_job_get_error (job) != NULL)
    g_test_message ("convergence failed: %s", bs_job_get_error (job)->message);
  g_assert_cmpint (bs_job_get_state (job), ==, BS_JOB_SUCCEEDED);
  g_assert_true (g_action_group_get_action_enabled (G_ACTION_GROUP (f->window), "layer-convergence"));

  /* The same comparison, run here: the run's checkpoints against its last,
   * on its probe protocol. */
  run = bs_run_open (run_dirs[0], &error);
  g_assert_no_error (error);
  epochs = bs_run_get_checkpoint_epochs (run);
  for (guint k = 0; k < epochs->len; k++)
    g_ptr_array_add (paths, bs_run_get_checkpoint_path (run, g_array_index (epochs, guint, k)));
  reference_options (f, &options, &dataset);
  options.limit = 64;
  options.batch_size = 32;
  options.passes = 1;
  g_assert_true (bs_cka_convergence_run ((const char *const *) paths->pdata, paths->len,
                                         g_ptr_array_index (paths, paths->len - 1), &options, NULL, NULL,
                                         &expected, NULL, &error));
  g_assert_no_error (error);

  g_assert_cmpuint (bs_convergence_chart_get_n_checkpoints (chart), ==, EPOCHS);
  g_assert_cmpuint (bs_convergence_chart_get_n_layers (chart), ==, expected.layers->len);
  g_assert_cmpuint (expected.layers->len, >, 10);
  for (guint l = 0; l < expected.layers->len; l++)
    for (guint k = 0; k < EPOCHS; k++)
      {
        double want = expected.cka[(gsize) l * EPOCHS + k];
        double got = bs_convergence_chart_get_value (chart, l, k);

        g_assert_true (got == want || (isnan (got) && isnan (want)));
      }
  /* The last checkpoint is the final model: each layer matches itself. */
  for (guint l = 0; l < expected.layers->len; l++)
    if (isfinite (bs_convergence_chart_get_value (chart, l, EPOCHS - 1)))
      g_assert_cmpfloat_with_epsilon (bs_convergence_chart_get_value (chart, l, EPOCHS - 1), 1.0, 1e-9);

  /* An IMG saying when the block outputs settle. */
  g_assert_cmpint (gtk_accessible_get_accessible_role (GTK_ACCESSIBLE (chart)), ==, GTK_ACCESSIBLE_ROLE_IMG);
  description = g_object_get_data (G_OBJECT (chart), "bs-a11y-description");
  g_test_message ("description: %s", description);
  for (guint l = 0; l < expected.layers->len; l++)
    {
      const BsLayerInfo *info = &g_array_index (expected.layers, BsLayerInfo, l);
      g_autofree char *said = NULL;
      gint from = -1;

      if (!info->block_output)
        continue;
      for (gint k = EPOCHS - 1; k >= 0 && expected.cka[(gsize) l * EPOCHS + k] >= 0.9; k--)
        from = k;
      said = from >= 0 ? g_strdup_printf ("%s from epoch %u;", info->name, g_array_index (epochs, guint, from))
                       : g_strdup_printf ("%s not settled;", info->name);
      g_assert_nonnull (strstr (description, said));
    }

  /* Lines in the stage colours: stages 1 and 3 in the first series
   * colour, stage 2 in the second. */
  for (guint l = 0; l < expected.layers->len; l++)
    {
      gint stage = g_array_index (expected.layers, BsLayerInfo, l).stage;

      if (stage >= 1 && stage <= 4)
        stage_layers[(stage - 1) % 2]++;
    }
  g_assert_cmpuint (stage_layers[0], >, 0);
  g_assert_cmpuint (stage_layers[1], >, 0);
  bs_test_pointer_park ();
  gtk_test_widget_wait_for_draw (GTK_WIDGET (chart));
  g_assert_true (gtk_widget_is_drawable (GTK_WIDGET (chart)));
  shot = bs_test_screenshot (GTK_WIDGET (chart), "convergence-chart");
  bs_theme_palette_read (GTK_WIDGET (chart), "window_bg_color", &palette);
  g_assert_cmpuint (count_pixels_near (shot, &palette.series[0]), >, 40);
  g_assert_cmpuint (count_pixels_near (shot, &palette.series[1]), >, 40);

  /* The pointer on the point furthest from the others at its checkpoint
   * (but the last, where every layer is 1) reads that layer out; a click
   * keeps it. */
  for (guint k = 0; k + 1 < EPOCHS; k++)
    for (guint l = 0; l < expected.layers->len; l++)
      {
        double x, y, gap = INFINITY;

        if (!bs_convergence_chart_get_point (chart, l, k, &x, &y) ||
            !isfinite (bs_convergence_chart_get_value (chart, l, k)))
          continue;
        for (guint m = 0; m < expected.layers->len; m++)
          {
            double mx, my;

            if (m != l && bs_convergence_chart_get_point (chart, m, k, &mx, &my))
              gap = MIN (gap, fabs (my - y));
          }
        if (gap > best_gap)
          {
            best_gap = gap;
            best = l;
            best_k = k;
          }
      }
  g_assert_cmpint (best, >=, 0);
  /* More than a pixel and a half: the pointer lands on whole pixels. */
  g_assert_cmpfloat (best_gap, >, 1.5);
  {
    const BsLayerInfo *info = &g_array_index (expected.layers, BsLayerInfo, best);
    g_autoptr(GdkTexture) hovered = NULL;
    double x, y;
    g_autofree char *want = g_strdup_printf ("%s · %s · epoch %u · CKA %.3f", info->name,
                                             bs_layer_stage_name (info->stage, FALSE),
                                             g_array_index (epochs, guint, best_k),
                                             expected.cka[(gsize) best * EPOCHS + best_k]);
    gpointer args[2] = { chart, want };

    g_test_message ("hovering %s", want);
    g_assert_true (bs_convergence_chart_get_point (chart, best, best_k, &x, &y));
    bs_test_pointer_move (GTK_WIDGET (chart), x, y);
    g_assert_true (bs_test_wait_until (readout_is, args, 5000));
    bs_test_pointer_click (GTK_WIDGET (chart), x, y);
    g_assert_cmpint (bs_convergence_chart_get_selected (chart), ==, best);
    hovered = bs_test_screenshot (GTK_WIDGET (f->window), "convergence-window");
  }

  /* Another run shown: the chart of the first one goes. */
  g_assert_true (gtk_widget_get_visible (gtk_widget_get_parent (GTK_WIDGET (chart))));
  activate (f->window, "show-run", g_variant_new_string (run_dirs[1]));
  g_assert_cmpuint (bs_convergence_chart_get_n_layers (chart), ==, 0);
  g_assert_false (gtk_widget_get_visible (gtk_widget_get_parent (GTK_WIDGET (chart))));
  bs_cka_convergence_clear (&expected);
}

static void
test_convergence_cancel (Fixture       *f,
                         gconstpointer  data)
{
  BsWindowCompare *compare = bs_window_get_compare (f->window);
  BsJob *job = start_convergence (f);

  bs_job_cancel (job);
  g_assert_true (bs_test_wait_until (bs_test_job_is_finished, job, 60000));
  g_assert_cmpint (bs_job_get_state (job), ==, BS_JOB_CANCELLED);
  g_assert_null (bs_compare_job_get_convergence (job));
  g_assert_cmpuint (bs_convergence_chart_get_n_layers (bs_window_compare_get_chart (compare)), ==, 0);
  g_assert_cmpstr (bs_window_compare_get_status (compare), ==, "Stopped.");
  g_assert_null (bs_window_get_error_text (f->window));
  g_assert_true (g_action_group_get_action_enabled (G_ACTION_GROUP (f->window), "layer-convergence"));
}

/* A run of one epoch has one checkpoint: nothing to follow, said in the banner. */
static void
test_convergence_refused (Fixture       *f,
                          gconstpointer  data)
{
  g_autofree char *other = g_dir_make_tmp ("blockscope-compare-short-XXXXXX", NULL);
  g_autofree char *dir = g_build_filename (other, "one-epoch", NULL);
  const char *banner;

  train_run (dir, 7, 1);
  activate (f->window, "show-run", g_variant_new_string (dir));
  g_assert_null (bs_window_get_error_text (f->window));
  activate (f->window, "layer-convergence", NULL);
  g_assert_null (bs_window_compare_get_job (bs_window_get_compare (f->window)));
  banner = bs_window_get_error_text (f->window);
  g_assert_nonnull (banner);
  g_test_message ("banner: %s", banner);
  g_assert_true (g_str_has_prefix (banner, "Layer convergence needs two checkpoints or more"));
  g_assert_nonnull (strstr (banner, "fewer than two checkpoints"));
  g_assert_false (gtk_widget_get_visible (gtk_widget_get_parent (
    GTK_WIDGET (bs_window_compare_get_chart (bs_window_get_compare (f->window))))));
  bs_test_remove_tree (other);
}

/* ---------------------------------------------------------------- across seeds */

/* The colour bar's title names what the cells are: the ink drawn above
 * the bar is as wide as label's in the title's font (bold, 0.8 of the
 * widget's: bs-heatmap-figure.c) and centred on the bar. */
static void
check_colorbar_title (Fixture    *f,
                      const char *label,
                      const char *name)
{
  BsHeatmap *heatmap = bs_window_get_heatmap (f->window);
  const BsFigureRect *bar = &heatmap->layout.colorbar;
  double centre = bar->x + bar->width / 2;
  double want = bs_test_text_ink_width (GTK_WIDGET (heatmap), label, 0.8, TRUE);
  g_autoptr(GdkTexture) shot = NULL;
  graphene_rect_t ink;

  gtk_test_widget_wait_for_draw (GTK_WIDGET (heatmap));
  shot = bs_test_screenshot (GTK_WIDGET (heatmap), name);
  /* Above the bar's top tick label, as far to either side as a long title reaches. */
  g_assert_true (bs_test_find_ink (shot, gtk_widget_get_scale_factor (GTK_WIDGET (heatmap)),
                                   &GRAPHENE_RECT_INIT ((float) (centre - 100), (float) (bar->y - 32), 200, 26), &ink));
  g_test_message ("%s: colour bar title %.0f points wide, \"%s\" %.0f", name, ink.size.width, label, want);
  /* Antialiased edges fainter than the threshold make the ink a little narrower. */
  g_assert_cmpfloat (fabs (ink.size.width - want), <=, 3);
  g_assert_cmpfloat (fabs (ink.origin.x + ink.size.width / 2 - centre), <=, 2);
}

static gboolean
export_dialog_shown (gpointer data)
{
  BsExportDialog *dialog = bs_window_export_get_dialog (data);

  return dialog != NULL && gtk_widget_get_mapped (GTK_WIDGET (dialog));
}

static void
exported (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  GError **error = user_data;

  if (!bs_export_dialog_export_to_file_finish (BS_EXPORT_DIALOG (source), result, error))
    g_assert_nonnull (*error);
  g_object_set_data (source, "bs-test-exported", GINT_TO_POINTER (TRUE));
}

static gboolean
was_exported (gpointer data)
{
  return g_object_get_data (data, "bs-test-exported") != NULL;
}

/* Ctrl+E on the view shown, the figure exported as a PDF: the text of
 * that PDF (pdftotext). */
static char *
export_figure_text (Fixture *f)
{
  BsWindowExport *export = bs_window_get_export (f->window);
  g_autofree char *dir = g_dir_make_tmp ("blockscope-compare-figure-XXXXXX", NULL);
  g_autofree char *pdf = g_build_filename (dir, "seeds.pdf", NULL);
  g_autoptr(GFile) file = g_file_new_for_path (pdf);
  g_autoptr(GError) error = NULL;
  g_autofree char *command = NULL;
  BsExportDialog *dialog;
  char *text = NULL;
  int status;

  bs_test_key_press (GTK_WIDGET (f->window), GDK_KEY_e, GDK_CONTROL_MASK);
  g_assert_true (bs_test_wait_until (export_dialog_shown, export, 5000));
  dialog = bs_window_export_get_dialog (export);
  bs_export_dialog_export_to_file (dialog, file, NULL, exported, &error);
  g_assert_true (bs_test_wait_until (was_exported, dialog, 20000));
  g_assert_no_error (error);
  gtk_window_destroy (GTK_WINDOW (dialog));

  command = g_strdup_printf ("pdftotext %s -", pdf);
  g_assert_true (g_spawn_command_line_sync (command, &text, NULL, &status, &error));
  g_assert_no_error (error);
  g_assert_true (g_spawn_check_wait_status (status, NULL));
  g_unlink (pdf);
  g_rmdir (dir);
  return text;
}

static gboolean
dialog_mapped (gpointer data)
{
  BsSeedsDialog *dialog = bs_window_compare_get_dialog (data);

  return dialog != NULL && gtk_widget_get_mapped (GTK_WIDGET (dialog));
}

static BsSeedsDialog *
open_dialog (Fixture *f)
{
  BsWindowCompare *compare = bs_window_get_compare (f->window);
  BsSeedsDialog *dialog;

  activate (f->window, "compare-seeds", NULL);
  g_assert_true (bs_test_wait_until (dialog_mapped, compare, 5000));
  dialog = bs_window_compare_get_dialog (compare);
  gtk_test_widget_wait_for_draw (GTK_WIDGET (dialog));
  g_assert_cmpuint (bs_seeds_dialog_get_n_rows (dialog), ==, N_RUNS);
  return dialog;
}

static gboolean
is_active (gpointer data)
{
  return gtk_check_button_get_active (data);
}

static gboolean
has_job (gpointer data)
{
  return bs_window_compare_get_job (data) != NULL;
}

/* Checks rows and presses Compare from the keyboard (Return on each:
 * pointer clicks into a dialog just mapped were lost now and then under
 * Xvfb without a window manager); returns the job. */
static BsJob *
compare_checked (Fixture       *f,
                 BsSeedsDialog *dialog,
                 guint          n_rows)
{
  GtkWidget *button = bs_seeds_dialog_get_compare_button (dialog);

  g_assert_false (gtk_widget_get_sensitive (button));
  for (guint i = 0; i < n_rows; i++)
    {
      GtkWidget *check = GTK_WIDGET (bs_seeds_dialog_get_check (dialog, i));

      /* Return on the check box, from the keyboard. */
      bs_test_key_activate (check);
      g_assert_true (bs_test_wait_until (is_active, bs_seeds_dialog_get_check (dialog, i), 5000));
    }
  g_assert_true (gtk_widget_get_sensitive (button));
  bs_test_key_activate (button);
  g_assert_true (bs_test_wait_until (has_job, bs_window_get_compare (f->window), 5000));
  return bs_window_compare_get_job (bs_window_get_compare (f->window));
}

static gboolean
dialog_gone (gpointer data)
{
  return bs_window_compare_get_dialog (data) == NULL;
}

static void
test_seeds (Fixture       *f,
            gconstpointer  data)
{
  BsWindowCompare *compare = bs_window_get_compare (f->window);
  BsHeatmap *heatmap = bs_window_get_heatmap (f->window);
  BsSeedsDialog *dialog = open_dialog (f);
  g_auto(GStrv) specs = bs_seeds_dialog_get_specs (dialog);
  g_autoptr(BsDataset) dataset = NULL;
  g_autoptr(GError) error = NULL;
  const BsCkaSeeds *shown;
  BsCkaJobOptions options;
  BsCkaSeeds expected;
  gint64 start;
  BsJob *job;
  guint L;
  g_autofree char *a_before = g_settings_get_string (f->settings, "model-a");

  g_assert_cmpuint (g_strv_length (specs), ==, 0);
  g_assert_false (g_action_group_get_action_enabled (G_ACTION_GROUP (f->window), "seed-statistic"));
  job = compare_checked (f, dialog, N_RUNS);
  g_clear_pointer (&specs, g_strfreev);
  specs = g_strdupv ((char **) bs_compare_job_get_specs (job));
  g_assert_true (bs_test_wait_until (dialog_gone, compare, 5000));
  start = g_get_monotonic_time ();
  g_assert_true (bs_test_wait_until (bs_test_job_is_finished, job, 180000));
  g_test_message ("seeds, %u networks: %.2f s", N_RUNS, (g_get_monotonic_time () - start) / 1e6);
  if (bs_job_get_error (job) != NULL)
    g_test_message ("seeds failed: %s", bs_job_get_error (job)->message);
  g_assert_cmpint (bs_job_get_state (job), ==, BS_JOB_SUCCEEDED);

  /* The same comparison, run here on the window's protocol. */
  g_assert_cmpuint (g_strv_length (specs), ==, N_RUNS);
  reference_options (f, &options, &dataset);
  options.limit = 64;
  options.batch_size = 16;
  options.passes = 1;
  g_assert_true (bs_cka_seeds_run ((const char *const *) specs, N_RUNS, &options, NULL, NULL, &expected, NULL,
                                   &error));
  g_assert_no_error (error);
  g_assert_cmpuint (expected.n_pairs, ==, N_RUNS * (N_RUNS - 1));

  shown = bs_window_compare_get_seeds (compare);
  g_assert_nonnull (shown);
  g_assert_true (bs_heatmap_get_snapshot (heatmap) == shown->mean);
  L = bs_cka_snapshot_get_n_rows (expected.mean);
  g_assert_cmpuint (bs_cka_snapshot_get_n_rows (shown->mean), ==, L);
  for (guint r = 0; r < L; r++)
    for (guint c = 0; c < L; c++)
      {
        double m = bs_cka_snapshot_get_value (expected.mean, r, c);
        double s = bs_cka_snapshot_get_value (expected.std_dev, r, c);

        g_assert_true (bs_cka_snapshot_get_value (shown->mean, r, c) == m ||
                       (isnan (m) && isnan (bs_cka_snapshot_get_value (shown->mean, r, c))));
        g_assert_true (bs_cka_snapshot_get_value (shown->std_dev, r, c) == s ||
                       (isnan (s) && isnan (bs_cka_snapshot_get_value (shown->std_dev, r, c))));
      }
  g_assert_true (has_label (bs_window_get_title_widget (f->window), "Mean over 3 seed pairs"));
  /* The subtitle names the networks; the axes say how many. */
  g_assert_nonnull (strstr (bs_window_get_subtitle (f->window), "resnet8-seed-2"));
  g_assert_cmpstr (bs_cka_snapshot_get_model_a (shown->mean), ==, "3 networks");
  /* The header's pickers say the same, and what they mean; the choices
   * stay as they were, and no item of the menus is checked but theirs. */
  {
    BsWindowPickers *pickers = bs_window_get_pickers (f->window);
    g_autofree char *a_now = g_settings_get_string (f->settings, "model-a");
    g_autoptr(GVariant) state = g_action_group_get_action_state (G_ACTION_GROUP (f->window), "model-b");

    for (guint b = 0; b < 2; b++)
      {
        g_assert_cmpstr (bs_window_pickers_get_text (pickers, b), ==, "3 networks");
        g_assert_cmpstr (bs_window_pickers_get_caption (pickers, b), ==, "across seeds");
      }
    g_assert_cmpstr (g_object_get_data (G_OBJECT (bs_window_get_model_button (f->window, FALSE)), "bs-a11y-label"),
                     ==, "Model A: 3 networks, across seeds");
    g_assert_cmpstr (g_variant_get_string (state, NULL), ==, "");
    g_assert_cmpstr (a_now, ==, a_before);
  }
  /* The inspector calls std_error a standard error: not the deviation. */
  g_assert_true (isnan (bs_cka_snapshot_get_std_error (shown->mean, 1, 2)));
  g_assert_cmpuint (bs_test_check_heatmap_cells (bs_window_get_heatmap (f->window), shown->mean, "seeds-mean"), >, L * L / 2);
  check_colorbar_title (f, "CKA", "seeds-mean-colorbar");

  /* The deviation, one switch away (View › Measure), and back. */
  g_assert_true (g_action_group_get_action_enabled (G_ACTION_GROUP (f->window), "seed-statistic"));
  g_action_group_change_action_state (G_ACTION_GROUP (f->window), "seed-statistic", g_variant_new_string ("std-dev"));
  g_assert_true (bs_heatmap_get_snapshot (heatmap) == shown->std_dev);
  g_assert_true (has_label (bs_window_get_title_widget (f->window), "Standard deviation over 3 seed pairs"));
  g_assert_cmpuint (bs_test_check_heatmap_cells (bs_window_get_heatmap (f->window), shown->std_dev, "seeds-std-dev"), >, L * L / 2);
  /* Not "CKA": the colour bar, the figure's legend and what a screen
   * reader hears say it is the deviation. */
  check_colorbar_title (f, "Std. dev. of CKA", "seeds-std-dev-colorbar");
  {
    g_autofree char *text = export_figure_text (f);

    g_assert_nonnull (strstr (text, "Std. dev. of CKA"));
  }
  g_assert_true (g_str_has_prefix (g_object_get_data (G_OBJECT (heatmap), "bs-a11y-label"),
                                   "Std. dev. of CKA between 3 networks and 3 networks"));
  {
    g_autoptr(GdkTexture) window_shot = bs_test_screenshot (GTK_WIDGET (f->window), "seeds-window");
  }
  /* File › Export Data… writes the deviation and says so: opened again,
   * it is the deviation, not CKA. */
  {
    g_autofree char *dir = g_dir_make_tmp ("bs-test-seeds-XXXXXX", NULL);
    g_autofree char *path = g_build_filename (dir, "std.npy", NULL);
    g_autofree char *json = g_build_filename (dir, "std.json", NULL);
    g_autoptr(GFile) file = g_file_new_for_path (path);
    g_autoptr(BsCkaSnapshot) back = NULL;
    g_autofree char *text = NULL;

    g_assert_true (bs_window_export_save_data (bs_window_get_export (f->window), file, &error));
    g_assert_no_error (error);
    g_assert_true (g_file_get_contents (json, &text, NULL, NULL));
    g_assert_nonnull (strstr (text, "\"statistic\" : \"seed-std-dev\""));
    back = bs_cka_open_result (path, NULL, &error);
    g_assert_no_error (error);
    g_assert_cmpint (bs_cka_snapshot_get_statistic (back), ==, BS_CKA_STATISTIC_SEED_STD_DEV);
    for (guint r = 0; r < L; r++)
      for (guint c = 0; c < L; c++)
        {
          double s = bs_cka_snapshot_get_value (shown->std_dev, r, c);

          g_assert_true (bs_cka_snapshot_get_value (back, r, c) == s ||
                         (isnan (s) && isnan (bs_cka_snapshot_get_value (back, r, c))));
        }
    g_assert_cmpint (g_remove (path), ==, 0);
    g_assert_cmpint (g_remove (json), ==, 0);
    g_assert_cmpint (g_rmdir (dir), ==, 0);
  }
  g_action_group_change_action_state (G_ACTION_GROUP (f->window), "seed-statistic", g_variant_new_string ("mean"));
  g_assert_true (bs_heatmap_get_snapshot (heatmap) == shown->mean);
  bs_cka_seeds_clear (&expected);
}

static void
test_seeds_refused (Fixture       *f,
                    gconstpointer  data)
{
  BsWindowCompare *compare = bs_window_get_compare (f->window);
  BsSeedsDialog *dialog = open_dialog (f);
  const char *banner;
  BsJob *job;

  /* A ResNet-14 among the ResNet-8s: another layer grid. */
  bs_seeds_dialog_add_spec (dialog, "resnet14");
  g_assert_cmpuint (bs_seeds_dialog_get_n_rows (dialog), ==, N_RUNS + 1);
  g_assert_true (gtk_check_button_get_active (bs_seeds_dialog_get_check (dialog, N_RUNS)));
  gtk_test_widget_wait_for_draw (GTK_WIDGET (dialog));
  job = compare_checked (f, dialog, 1);
  g_assert_true (bs_test_wait_until (bs_test_job_is_finished, job, 120000));
  g_assert_cmpint (bs_job_get_state (job), ==, BS_JOB_FAILED);
  banner = bs_window_get_error_text (f->window);
  g_assert_nonnull (banner);
  g_test_message ("banner: %s", banner);
  g_assert_nonnull (strstr (banner, bs_job_get_error (job)->message));
  g_assert_nonnull (strstr (banner, "have different layers: seeds can only be compared on one layer grid"));
  g_assert_null (bs_window_compare_get_seeds (compare));
  g_assert_null (bs_heatmap_get_snapshot (bs_window_get_heatmap (f->window)));
}

static void
test_seeds_cancel (Fixture       *f,
                   gconstpointer  data)
{
  BsWindowCompare *compare = bs_window_get_compare (f->window);
  BsSeedsDialog *dialog = open_dialog (f);
  BsJob *job = compare_checked (f, dialog, 2);

  bs_job_cancel (job);
  g_assert_true (bs_test_wait_until (bs_test_job_is_finished, job, 60000));
  g_assert_cmpint (bs_job_get_state (job), ==, BS_JOB_CANCELLED);
  g_assert_null (bs_compare_job_get_seeds (job));
  g_assert_null (bs_window_compare_get_seeds (compare));
  g_assert_null (bs_heatmap_get_snapshot (bs_window_get_heatmap (f->window)));
  g_assert_null (bs_window_get_error_text (f->window));
  g_assert_false (g_action_group_get_action_enabled (G_ACTION_GROUP (f->window), "seed-statistic"));
  g_assert_true (g_action_group_get_action_enabled (G_ACTION_GROUP (f->window), "compare-seeds"));
}

int
main (int    argc,
      char **argv)
{
  int status;

  runs_dir = g_dir_make_tmp ("blockscope-compare-XXXXXX", NULL);
  g_assert_nonnull (runs_dir);
  g_setenv ("BLOCKSCOPE_RUNS_DIR", runs_dir, TRUE);

  bs_test_init (&argc, &argv);
  train_runs ();

  g_test_add ("/compare/convergence", Fixture, NULL, fixture_setup, test_convergence, bs_test_window_fixture_teardown);
  g_test_add ("/compare/convergence-refused", Fixture, NULL, fixture_setup, test_convergence_refused, bs_test_window_fixture_teardown);
  g_test_add ("/compare/convergence-cancel", Fixture, NULL, fixture_setup, test_convergence_cancel, bs_test_window_fixture_teardown);
  g_test_add ("/compare/seeds", Fixture, NULL, fixture_setup, test_seeds, bs_test_window_fixture_teardown);
  g_test_add ("/compare/seeds-refused", Fixture, NULL, fixture_setup, test_seeds_refused, bs_test_window_fixture_teardown);
  g_test_add ("/compare/seeds-cancel", Fixture, NULL, fixture_setup, test_seeds_cancel, bs_test_window_fixture_teardown);

  status = g_test_run ();
  for (guint i = 0; i < N_RUNS; i++)
    g_free (run_dirs[i]);
  bs_test_remove_tree (runs_dir);
  g_free (runs_dir);
  return status;
}
