/* make-screenshot.c: the README's picture of the window (not a test; see
 * make-screenshots.sh, which runs it once per colour scheme).
 *
 *   make-screenshot CHECKPOINT OUTPUT.png
 *
 * The scene of data/screenshots/window.png: CHECKPOINT against itself on
 * the synthetic data set (one pass over 1024 test images in minibatches
 * of 128), magma, cell (30, 50) selected so the inspector shows it, the
 * pointer over cell (42, 21) with its label, in a 1230 x 770 window. The
 * colour scheme is whatever libadwaita is told (ADW_DEBUG_COLOR_SCHEME,
 * ADW_DEBUG_HIGH_CONTRAST). Runs under Xvfb with the gui tests'
 * environment (GSETTINGS_BACKEND=memory, the build's schemas). */
#include "bs-config.h"

#include <locale.h>
#include <math.h>
#include <stdlib.h>

#include "bs-heatmap-private.h"
#include "bs-i18n.h"
#include "bs-test-utils.h"
#include "bs-window-private.h"

#define WIDTH       1230
#define HEIGHT      770
#define SELECT_ROW  30
#define SELECT_COL  50
#define HOVER_ROW   42
#define HOVER_COL   21
#define JOB_TIMEOUT_MS (10 * 60 * 1000)

static gboolean
job_done (gpointer data)
{
  BsJob *job = data;

  return bs_job_get_state (job) >= BS_JOB_SUCCEEDED;
}

static gboolean
label_shown (gpointer data)
{
  return gtk_widget_get_visible (_bs_heatmap_get_hover_label (data));
}

int
main (int    argc,
      char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSettings) settings = NULL;
  g_autoptr(BsApplication) app = NULL;
  g_autoptr(GdkTexture) shot = NULL;
  g_autofree char *checkpoint = NULL;
  BsWindow *window;
  BsHeatmap *heatmap;
  BsJob *job;
  double ox, oy, x, y, w, h;

  bs_test_init (&argc, &argv);
  /* The environment's language, as the program has it: gtk_test_init()
   * sets a locale of its own. */
  setlocale (LC_ALL, "");
  bs_i18n_init (BS_GETTEXT_PACKAGE);
  if (argc != 3)
    {
      g_printerr ("Usage: %s CHECKPOINT OUTPUT.png\n", argv[0]);
      return 2;
    }
  checkpoint = g_canonicalize_filename (argv[1], NULL);
  if (!g_file_test (checkpoint, G_FILE_TEST_IS_REGULAR))
    {
      g_printerr ("%s: no checkpoint %s\n", argv[0], checkpoint);
      return 1;
    }

  /* The memory backend lives as long as the process: the application
   * made next reads these. */
  settings = bs_application_create_settings (&error);
  g_assert_no_error (error);
  g_settings_set_int (settings, "window-width", WIDTH);
  g_settings_set_int (settings, "window-height", HEIGHT);
  g_settings_set_string (settings, "model-a", checkpoint);
  g_settings_set_string (settings, "model-b", checkpoint);
  g_settings_set_string (settings, "dataset", "synthetic");
  g_settings_set_uint (settings, "passes", 1);
  g_settings_set_uint (settings, "batch-size", 128);
  g_settings_set_uint (settings, "image-limit", 1024);
  g_settings_set_string (settings, "colormap", "magma");

  /* Stacks switch at once: no page half faded in the picture. */
  g_object_set (gtk_settings_get_default (), "gtk-enable-animations", FALSE, NULL);

  bs_test_pointer_park ();
  app = bs_test_app_new ();
  window = bs_test_app_get_window (app);
  heatmap = bs_window_get_heatmap (window);

  g_action_group_activate_action (G_ACTION_GROUP (window), "compute", NULL);
  job = bs_window_get_cka_job (window);
  g_assert_nonnull (job);
  g_object_ref (job);
  if (!bs_test_wait_until (job_done, job, JOB_TIMEOUT_MS) || bs_job_get_state (job) != BS_JOB_SUCCEEDED)
    {
      g_printerr ("%s: the CKA job did not succeed: %s\n", argv[0],
                  bs_job_get_error (job) ? bs_job_get_error (job)->message : "timed out");
      return 1;
    }
  g_object_unref (job);

  bs_heatmap_select (heatmap, SELECT_ROW, SELECT_COL);
  gtk_test_widget_wait_for_draw (GTK_WIDGET (window));

  bs_heatmap_get_plot_origin (heatmap, &ox, &oy);
  bs_heatmap_view_cell_to_rect (bs_heatmap_get_view (heatmap), HOVER_ROW, HOVER_COL, &x, &y, &w, &h);
  bs_test_pointer_move (GTK_WIDGET (heatmap), floor (ox + x + w / 2), floor (oy + y + h / 2));
  g_assert_true (bs_test_wait_until (label_shown, heatmap, 5000));

  shot = bs_test_screenshot (GTK_WIDGET (window), NULL);
  if (!gdk_texture_save_to_png (shot, argv[2]))
    {
      g_printerr ("%s: could not write %s\n", argv[0], argv[2]);
      return 1;
    }
  g_print ("%s: %d x %d\n", argv[2], gdk_texture_get_width (shot), gdk_texture_get_height (shot));

  bs_test_app_quit (app);

  return 0;
}
