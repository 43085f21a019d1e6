/* make-training-screenshot.c: the README's picture of a run training in
 * the window (not a test; see make-screenshots.sh).
 *
 *   make-training-screenshot OUTPUT.png
 *
 * ResNet-20 on 2,048 synthetic images, 8 epochs, a snapshot at
 * initialisation and after every epoch on 512 probe images; taken once 4
 * epochs are done, with a cell selected (its CKA across the snapshots is
 * charted) and the pointer over the loss chart (its read-out), in a
 * 1300 x 900 window. The colour scheme is whatever libadwaita is told. */
#include "bs-config.h"

#include <locale.h>
#include <math.h>
#include <stdlib.h>

#include "bs-i18n.h"
#include "bs-test-utils.h"
#include "bs-training-chart.h"
#include "bs-window-private.h"

#define WIDTH  1300
#define HEIGHT 900
#define EPOCHS_SHOWN 4

static gboolean
epochs_done (gpointer data)
{
  BsTrainingHistory *history = bs_training_job_get_history (data);
  guint n = bs_training_history_get_n_snapshots (history);

  return bs_training_history_get_epochs (history)->len >= EPOCHS_SHOWN && n > EPOCHS_SHOWN &&
         bs_training_history_get_snapshot (history, EPOCHS_SHOWN)->complete;
}

static gboolean
job_finished (gpointer data)
{
  return bs_job_is_finished (bs_training_job_get_job (data));
}

static gboolean
readout_shown (gpointer data)
{
  return bs_training_chart_get_readout (data) != NULL;
}

int
main (int    argc,
      char **argv)
{
  g_autoptr(BsApplication) app = NULL;
  g_autoptr(GdkTexture) shot = NULL;
  BsWindow *window;
  BsTrainingView *view;
  BsTrainingJob *job;
  GtkWidget *chart;
  BsRunSettings run;

  bs_test_init (&argc, &argv);
  setlocale (LC_ALL, "");
  bs_i18n_init (BS_GETTEXT_PACKAGE);
  if (argc != 2)
    {
      g_printerr ("Usage: %s OUTPUT.png\n", argv[0]);
      return 2;
    }

  app = bs_test_screenshot_app_new (WIDTH, HEIGHT);
  window = bs_test_app_get_window (app);
  view = bs_window_get_training_view (window);

  bs_run_settings_init (&run);
  g_free (run.model);
  run.model = g_strdup ("resnet20");
  g_free (run.dataset);
  run.dataset = g_strdup ("synthetic");
  run.recipe.epochs = 8;
  run.recipe.limit = 2048;
  run.recipe.test_limit = 512;
  run.recipe.augment = FALSE;
  run.plan.probe_images = 512;
  if (!bs_window_training_start (bs_window_get_training (window), &run))
    {
      g_printerr ("%s: the run did not start: %s\n", argv[0], bs_window_get_error_text (window));
      return 1;
    }
  bs_run_settings_clear (&run);
  job = g_object_ref (bs_window_training_get_job (bs_window_get_training (window)));
  if (!bs_test_wait_until (epochs_done, job, 20 * 60 * 1000))
    {
      g_printerr ("%s: the run did not get far enough\n", argv[0]);
      return 1;
    }
  /* Hold it still while the picture is taken. */
  g_action_group_activate_action (G_ACTION_GROUP (window), "pause-training", NULL);

  bs_heatmap_select (bs_window_get_heatmap (window), 14, 5);
  gtk_test_widget_wait_for_draw (GTK_WIDGET (window));
  chart = bs_training_view_get_chart (view, BS_TRAINING_CHART_LOSS);
  bs_test_pointer_move (chart, gtk_widget_get_width (chart) * 0.3, gtk_widget_get_height (chart) / 2.0);
  g_assert_true (bs_test_wait_until (readout_shown, chart, 5000));
  gtk_test_widget_wait_for_draw (GTK_WIDGET (window));

  shot = bs_test_screenshot (GTK_WIDGET (window), NULL);
  if (!gdk_texture_save_to_png (shot, argv[1]))
    {
      g_printerr ("%s: could not write %s\n", argv[0], argv[1]);
      return 1;
    }
  g_print ("%s: %d x %d\n", argv[1], gdk_texture_get_width (shot), gdk_texture_get_height (shot));

  g_action_group_activate_action (G_ACTION_GROUP (window), "stop-training", NULL);
  bs_test_wait_until (job_finished, job, 60000);
  g_object_unref (job);
  bs_test_app_quit (app);
  return 0;
}
