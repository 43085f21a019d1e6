/* make-compare-screenshot.c: the README's pictures of CKA across training time and seeds (not a test).
 *
 *   make-compare-screenshot DATASET PREFIX RUN-DIR [RUN-DIR...]
 *
 * Shows the first run in the window and runs Layer Convergence, the pointer
 * on a stage 2 block output half-way along: PREFIX-convergence.png. With
 * two runs or more (of one recipe, different seeds, all under
 * $BLOCKSCOPE_RUNS_DIR), checks them in Compare Seeds… and compares them on
 * DATASET's first 1024 test images (one pass, minibatches of 256):
 * PREFIX-seeds.png with the mean, PREFIX-seeds-std.png with the deviation
 * over the data's range. A 1400 x 1000 window; run under Xvfb with the gui
 * tests' environment (see make-screenshots.sh). */
#include "bs-config.h"

#include <locale.h>
#include <stdlib.h>

#include "bs-i18n.h"
#include "bs-test-utils.h"
#include "bs-window-private.h"

#define WIDTH  1400
#define HEIGHT 1000
#define JOB_TIMEOUT_MS (30 * 60 * 1000)

static gboolean
dialog_open (gpointer data)
{
  BsSeedsDialog *dialog = bs_window_compare_get_dialog (data);

  return dialog != NULL && gtk_widget_get_mapped (GTK_WIDGET (dialog));
}

int
main (int    argc,
      char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSettings) settings = NULL;
  g_autoptr(BsApplication) app = NULL;
  BsWindowCompare *compare;
  BsConvergenceChart *chart;
  BsWindow *window;
  guint n_layers, n_checkpoints, hovered = 0;
  double x, y;

  bs_test_init (&argc, &argv);
  setlocale (LC_ALL, "");
  bs_i18n_init (BS_GETTEXT_PACKAGE);
  if (argc < 4)
    {
      g_printerr ("Usage: %s DATASET PREFIX RUN-DIR [RUN-DIR...]\n", argv[0]);
      return 2;
    }

  settings = bs_application_create_settings (&error);
  g_assert_no_error (error);
  g_settings_set_string (settings, "dataset", argv[1]);
  g_settings_set_uint (settings, "passes", 1);
  g_settings_set_uint (settings, "batch-size", 256);
  g_settings_set_uint (settings, "image-limit", 1024);

  app = bs_test_screenshot_app_new (WIDTH, HEIGHT);
  window = bs_test_app_get_window (app);
  compare = bs_window_get_compare (window);
  chart = bs_window_compare_get_chart (compare);

  g_action_group_activate_action (G_ACTION_GROUP (window), "show-run", g_variant_new_string (argv[3]));
  g_action_group_activate_action (G_ACTION_GROUP (window), "layer-convergence", NULL);
  if (!bs_test_run_job (bs_window_compare_get_job (compare), "layer convergence", JOB_TIMEOUT_MS))
    return 1;
  /* The pointer on the first stage 2 block output, half-way. */
  n_layers = bs_convergence_chart_get_n_layers (chart);
  n_checkpoints = bs_convergence_chart_get_n_checkpoints (chart);
  {
    BsCkaSnapshot *rows = bs_heatmap_get_snapshot (bs_window_get_heatmap (window));

    for (guint l = 0; rows != NULL && l < bs_cka_snapshot_get_n_rows (rows) && l < n_layers; l++)
      if (bs_cka_snapshot_get_row (rows, l)->stage == 2 && bs_cka_snapshot_get_row (rows, l)->block_output)
        {
          hovered = l;
          break;
        }
  }
  gtk_test_widget_wait_for_draw (GTK_WIDGET (chart));
  if (bs_convergence_chart_get_point (chart, hovered, n_checkpoints / 2, &x, &y))
    bs_test_pointer_move (GTK_WIDGET (chart), x, y);
  if (!bs_test_save_png (GTK_WIDGET (window), argv[2], "convergence"))
    return 1;
  bs_test_pointer_park ();

  if (argc > 4)
    {
      BsSeedsDialog *dialog;

      g_action_group_activate_action (G_ACTION_GROUP (window), "compare-seeds", NULL);
      if (!bs_test_wait_until (dialog_open, compare, 10000))
        return 1;
      dialog = bs_window_compare_get_dialog (compare);
      for (guint i = 0; i < bs_seeds_dialog_get_n_rows (dialog); i++)
        {
          GtkCheckButton *check = bs_seeds_dialog_get_check (dialog, i);
          const char *spec = g_object_get_data (G_OBJECT (check), "bs-spec");

          for (int r = 3; r < argc; r++)
            if (g_str_has_prefix (spec, argv[r]))
              gtk_check_button_set_active (check, TRUE);
        }
      g_signal_emit_by_name (bs_seeds_dialog_get_compare_button (dialog), "clicked");
      if (bs_window_compare_get_job (compare) == NULL ||
          !bs_test_run_job (bs_window_compare_get_job (compare), "compare seeds", JOB_TIMEOUT_MS))
        return 1;
      {
        guint n = bs_cka_snapshot_get_n_rows (bs_heatmap_get_snapshot (bs_window_get_heatmap (window)));

        bs_heatmap_select (bs_window_get_heatmap (window), n / 3, n / 3 + 6);
      }
      if (!bs_test_save_png (GTK_WIDGET (window), argv[2], "seeds"))
        return 1;
      g_action_group_change_action_state (G_ACTION_GROUP (window), "seed-statistic", g_variant_new_string ("std-dev"));
      g_action_group_change_action_state (G_ACTION_GROUP (window), "color-range", g_variant_new_string ("data"));
      if (!bs_test_save_png (GTK_WIDGET (window), argv[2], "seeds-std"))
        return 1;
    }

  bs_test_app_quit (app);
  return 0;
}
