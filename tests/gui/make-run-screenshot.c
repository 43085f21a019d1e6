/* make-run-screenshot.c: a picture of a finished run opened in the window
 * (not a test): the README's demo run with its block structure.
 *
 *   make-run-screenshot RUN-DIR ROW COL OUTPUT.png
 *
 * Opens the run folder as Training Runs does, selects cell (ROW, COL) of
 * its last snapshot (its CKA across the snapshots is charted) and saves
 * the 1300 x 900 window. */
#include "bs-config.h"

#include <locale.h>
#include <stdlib.h>

#include "bs-i18n.h"
#include "bs-test-utils.h"
#include "bs-window-private.h"

#define WIDTH  1300
#define HEIGHT 900

int
main (int    argc,
      char **argv)
{
  g_autoptr(BsApplication) app = NULL;
  g_autoptr(GdkTexture) shot = NULL;
  BsWindow *window;

  bs_test_init (&argc, &argv);
  setlocale (LC_ALL, "");
  bs_i18n_init (BS_GETTEXT_PACKAGE);
  if (argc != 5)
    {
      g_printerr ("Usage: %s RUN-DIR ROW COL OUTPUT.png\n", argv[0]);
      return 2;
    }

  app = bs_test_screenshot_app_new (WIDTH, HEIGHT);
  window = bs_test_app_get_window (app);
  if (!bs_window_training_show_run (bs_window_get_training (window), argv[1]))
    {
      g_printerr ("%s: the run did not open: %s\n", argv[0], bs_window_get_error_text (window));
      return 1;
    }
  gtk_test_widget_wait_for_draw (GTK_WIDGET (window));
  bs_heatmap_select (bs_window_get_heatmap (window), (guint) atoi (argv[2]), (guint) atoi (argv[3]));
  gtk_test_widget_wait_for_draw (GTK_WIDGET (window));

  shot = bs_test_screenshot (GTK_WIDGET (window), NULL);
  if (!gdk_texture_save_to_png (shot, argv[4]))
    {
      g_printerr ("%s: could not write %s\n", argv[0], argv[4]);
      return 1;
    }
  g_print ("%s: %d x %d\n", argv[4], gdk_texture_get_width (shot), gdk_texture_get_height (shot));
  bs_test_app_quit (app);
  return 0;
}
