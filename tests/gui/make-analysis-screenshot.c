/* make-analysis-screenshot.c: the README's pictures of why blocks are there (not a test).
 *
 *   make-analysis-screenshot CHECKPOINT DATASET PREFIX
 *
 * CHECKPOINT against itself on DATASET's first 1024 test images (one pass,
 * minibatches of 256) with the PC1 analysis, the detected blocks outlined,
 * a cell inside the block selected, and the linear probes run (their chart
 * in the inspector); writes PREFIX-cka.png, then the same with the measure
 * switched to CKA without PC1, PREFIX-without-pc1.png, in a 1400 x 900
 * window. Runs under Xvfb with the gui tests' environment (see
 * make-screenshots.sh). */
#include "bs-config.h"

#include <locale.h>
#include <stdlib.h>

#include "bs-heatmap-private.h"
#include "bs-i18n.h"
#include "bs-test-utils.h"
#include "bs-window-private.h"
#include "bs-window-probes.h"

#define WIDTH  1400
#define HEIGHT 900
#define JOB_TIMEOUT_MS (20 * 60 * 1000)

int
main (int    argc,
      char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSettings) settings = NULL;
  g_autoptr(BsApplication) app = NULL;
  g_autofree char *checkpoint = NULL;
  BsWindow *window;
  BsHeatmap *heatmap;
  guint n;

  bs_test_init (&argc, &argv);
  setlocale (LC_ALL, "");
  bs_i18n_init (BS_GETTEXT_PACKAGE);
  if (argc != 4)
    {
      g_printerr ("Usage: %s CHECKPOINT DATASET PREFIX\n", argv[0]);
      return 2;
    }
  checkpoint = g_canonicalize_filename (argv[1], NULL);

  settings = bs_application_create_settings (&error);
  g_assert_no_error (error);
  g_settings_set_string (settings, "model-a", checkpoint);
  g_settings_set_string (settings, "model-b", checkpoint);
  g_settings_set_string (settings, "dataset", argv[2]);
  g_settings_set_uint (settings, "passes", 1);
  g_settings_set_uint (settings, "batch-size", 256);
  g_settings_set_uint (settings, "image-limit", 1024);

  app = bs_test_screenshot_app_new (WIDTH, HEIGHT);
  window = bs_test_app_get_window (app);
  heatmap = bs_window_get_heatmap (window);

  g_action_group_activate_action (G_ACTION_GROUP (window), "compute", NULL);
  if (!bs_test_run_job (bs_window_get_cka_job (window), "the CKA job", JOB_TIMEOUT_MS))
    return 1;
  /* A cell inside the block, a third of the way along the diagonal. */
  n = bs_cka_snapshot_get_n_rows (bs_heatmap_get_snapshot (heatmap));
  bs_heatmap_select (heatmap, n / 3, n / 3 + 6);

  g_action_group_activate_action (G_ACTION_GROUP (window), "linear-probes", NULL);
  if (!bs_test_run_job (bs_window_probes_get_job (bs_window_get_probes (window)), "the linear probes", JOB_TIMEOUT_MS))
    return 1;
  if (!bs_test_save_png (GTK_WIDGET (window), argv[3], "cka"))
    return 1;
  g_action_group_activate_action (G_ACTION_GROUP (window), "measure", g_variant_new_string ("cka-without-pc1"));
  if (!bs_test_save_png (GTK_WIDGET (window), argv[3], "without-pc1"))
    return 1;

  bs_test_app_quit (app);
  return 0;
}
