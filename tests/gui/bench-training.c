/* bench-training.c: what training in the window costs, as a benchmark
 * (meson test --benchmark), not a test: it prints figures and asserts none.
 *
 * 1. Throughput: ResNet-20 trained in the window (batch 128, 2 threads, on
 *    synthetic 3x32x32 images, live charts and the timeline shown) against
 *    the same run through bs_run_train () without a window, and against
 *    `blockscope-cli bench train` for the same model, batch and threads
 *    (random data, no batcher). The window's and the headless rates come
 *    from step times (after two warm-up steps, within one epoch, no
 *    snapshot), the CLI's from its JSON.
 * 2. Main-thread cost: a step delivered to a 25-epoch history (charts and
 *    descriptions), drawing the three charts, and a ResNet-56 snapshot
 *    (198 x 198) applied to the history, the timeline and the heatmap. */
#include "bs-config.h"

#include <json-glib/json-glib.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "bs-dataset.h"
#include "bs-heatmap.h"
#include "bs-runs.h"
#include "bs-test-utils.h"
#include "bs-training-chart.h"
#include "bs-window-private.h"

#define ROUNDS 40
#define TIMED_STEPS 12
#define BATCH 128

static int
compare_doubles (gconstpointer a,
                 gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return x < y ? -1 : x > y;
}

static void
report (const char *what,
        double     *ms,
        guint       n)
{
  qsort (ms, n, sizeof (double), compare_doubles);
  g_print ("%-52s median %7.3f ms (min %7.3f, max %7.3f)\n", what, ms[n / 2], ms[0], ms[n - 1]);
}

static char *
cpu_model (void)
{
  g_autofree char *text = NULL;
  g_auto(GStrv) lines = NULL;

  if (!g_file_get_contents ("/proc/cpuinfo", &text, NULL, NULL))
    return g_strdup ("unknown");
  lines = g_strsplit (text, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    if (g_str_has_prefix (lines[i], "model name"))
      {
        const char *colon = strchr (lines[i], ':');

        return g_strstrip (g_strdup (colon != NULL ? colon + 1 : lines[i]));
      }
  return g_strdup ("unknown");
}

static gboolean
job_finished (gpointer data)
{
  return bs_job_is_finished (bs_training_job_get_job (data));
}

/* ResNet-20 for TIMED_STEPS steps of one epoch, no snapshot. */
static void
bench_settings (BsRunSettings *settings)
{
  bs_run_settings_init (settings);
  g_free (settings->model);
  settings->model = g_strdup ("resnet20");
  g_free (settings->dataset);
  settings->dataset = g_strdup ("synthetic");
  settings->recipe.epochs = 1;
  settings->recipe.batch_size = BATCH;
  settings->recipe.limit = BATCH * TIMED_STEPS;
  settings->recipe.test_limit = 128;
  settings->recipe.threads = 2;
  settings->recipe.augment = FALSE;
  settings->plan.at_init = FALSE;
  settings->plan.every_epochs = 0;
}

typedef struct {
  guint  n;
  gint64 second_us;   /* when step 2 ended */
  gint64 last_us;
} StepTimes;

static void
on_headless_step (const BsTrainProgress *progress,
                  gpointer               user_data)
{
  StepTimes *t = user_data;

  t->n++;
  if (t->n == 2)
    t->second_us = g_get_monotonic_time ();
  t->last_us = g_get_monotonic_time ();
}

/* The same run through bs_run_train () without a window (as the command line runs it). */
static double
headless_images_per_s (void)
{
  g_autofree char *runs = bs_runs_get_dir ();
  g_autofree char *dir = NULL;
  g_autoptr(BsRun) run = NULL;
  g_autoptr(BsDataset) dataset = NULL;
  BsRunCallbacks callbacks = { .step = on_headless_step };
  StepTimes times = { 0 };
  BsRunSettings settings;

  bench_settings (&settings);
  dir = bs_runs_new_run_dir (runs, settings.model, settings.dataset, NULL);
  run = bs_run_create (dir, &settings, NULL);
  bs_run_settings_clear (&settings);
  dataset = bs_dataset_load ("synthetic", NULL, NULL);
  g_assert_true (bs_run_train (run, dataset, NULL, &callbacks, &times, NULL, NULL));
  g_assert_cmpuint (times.n, ==, TIMED_STEPS);
  return (TIMED_STEPS - 2) * BATCH / ((times.last_us - times.second_us) / 1e6);
}

static double
window_images_per_s (void)
{
  g_autoptr(BsApplication) app = bs_test_app_new ();
  BsWindow *window = bs_test_app_get_window (app);
  BsRunSettings settings;
  BsTrainingJob *job;
  GArray *steps;
  double seconds;

  gtk_window_set_default_size (GTK_WINDOW (window), 1200, 900);
  bench_settings (&settings);
  g_assert_true (bs_window_training_start (bs_window_get_training (window), &settings));
  bs_run_settings_clear (&settings);
  job = bs_window_training_get_job (bs_window_get_training (window));
  g_assert_true (bs_test_wait_until (job_finished, job, 600000));

  steps = bs_training_history_get_steps (bs_training_job_get_history (job));
  g_assert_cmpuint (steps->len, ==, TIMED_STEPS);
  seconds = g_array_index (steps, BsRunStep, TIMED_STEPS - 1).seconds - g_array_index (steps, BsRunStep, 1).seconds;
  bs_test_app_quit (app);
  return (TIMED_STEPS - 2) * BATCH / seconds;
}

static double
cli_images_per_s (void)
{
  const char *cli = g_getenv ("BS_CLI");
  g_autofree char *out = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  int status;
  char *argv[] = { (char *) cli, "bench", "train", "--model", "resnet20", "--batch", "128", "--threads", "2",
                   "--steps", "10", "--json", NULL };

  if (cli == NULL || !g_spawn_sync (NULL, argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, NULL, &status, &error) ||
      !json_parser_load_from_data (parser, out, -1, NULL))
    return NAN;
  return json_object_get_double_member (json_node_get_object (json_parser_get_root (parser)), "train_images_per_s");
}

static double
cell_value (guint row,
            guint col)
{
  return 1.0 / (1.0 + fabs ((double) row - col) / 20.0);
}

static void
main_thread_costs (void)
{
  GtkWidget *window = gtk_window_new ();
  BsHeatmap *heatmap = BS_HEATMAP (bs_heatmap_new ());
  BsTrainingView *view = BS_TRAINING_VIEW (bs_training_view_new ());
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  g_autoptr(BsTrainingHistory) history = bs_training_history_new (25, 25 * 24);
  double ms[ROUNDS];
  guint64 step = 0;

  gtk_widget_set_vexpand (GTK_WIDGET (heatmap), TRUE);
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (heatmap));
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (view));
  gtk_window_set_child (GTK_WINDOW (window), box);
  gtk_window_set_default_size (GTK_WINDOW (window), 1200, 900);
  gtk_window_present (GTK_WINDOW (window));
  g_signal_connect_swapped (view, "snapshot-shown", G_CALLBACK (bs_heatmap_set_snapshot), heatmap);
  bs_training_view_set_history (view, history);

  /* 20 epochs of ResNet-56's demo run done: 480 steps, 20 epochs, 21 snapshots. */
  for (guint e = 0; e <= 20; e++)
    {
      g_autoptr(BsCkaSnapshot) s = bs_test_make_snapshot_at (198, 198, cell_value, "resnet56", "resnet56", 4, 4);

      bs_training_history_set_snapshot (history, e, e, e * 24, s, TRUE);
      if (e == 0)
        continue;
      for (guint i = 1; i <= 24; i++)
        {
          BsRunStep st = { ++step, e, i, 2.3f / (1 + step / 50.0f), 0.1, step * 1.5 };

          bs_training_history_add_steps (history, &st, 1);
        }
      {
        BsRunEpoch ep = { e, 1.0 / e, 1 - 0.5 / e, 1.2 / e, 1 - 0.6 / e, e * 36.0 };

        bs_training_history_add_epoch (history, &ep);
      }
    }
  gtk_test_widget_wait_for_draw (window);

  for (guint i = 0; i < ROUNDS; i++)
    {
      BsRunStep st = { ++step, 21, i + 1, 0.3f, 0.05, step * 1.5 };
      gint64 start = g_get_monotonic_time ();

      bs_training_history_add_steps (history, &st, 1);
      ms[i] = (g_get_monotonic_time () - start) / 1000.0;
      gtk_test_widget_wait_for_draw (window);
    }
  report ("a step delivered (history, charts, descriptions)", ms, ROUNDS);

  for (guint i = 0; i < ROUNDS; i++)
    {
      gint64 start = g_get_monotonic_time ();

      for (guint k = 0; k < 3; k++)
        {
          GtkWidget *chart = bs_training_view_get_chart (view, k);
          GtkSnapshot *snapshot = gtk_snapshot_new ();
          GskRenderNode *node;

          GTK_WIDGET_GET_CLASS (chart)->snapshot (chart, snapshot);
          node = gtk_snapshot_free_to_node (snapshot);
          g_clear_pointer (&node, gsk_render_node_unref);
        }
      ms[i] = (g_get_monotonic_time () - start) / 1000.0;
    }
  report ("the three charts drawn (cairo, 520 steps)", ms, ROUNDS);

  for (guint i = 0; i < ROUNDS; i++)
    {
      g_autoptr(BsCkaSnapshot) s = bs_test_make_snapshot_at (198, 198, cell_value, "resnet56", "resnet56",
                                                             1 + i % 4, 4);
      gint64 start = g_get_monotonic_time ();

      bs_training_history_set_snapshot (history, 21, 21, 21 * 24, s, FALSE);
      ms[i] = (g_get_monotonic_time () - start) / 1000.0;
      gtk_test_widget_wait_for_draw (window);
    }
  report ("a 198 x 198 snapshot applied (timeline, heatmap)", ms, ROUNDS);

  gtk_window_destroy (GTK_WINDOW (window));
}

int
main (int    argc,
      char **argv)
{
  g_autofree char *runs = g_dir_make_tmp ("blockscope-bench-runs-XXXXXX", NULL);
  g_autofree char *cpu = NULL;
  double app_ips, cli_ips, headless_ips;

  g_setenv ("BLOCKSCOPE_RUNS_DIR", runs, TRUE);
  bs_test_init (&argc, &argv);
  cpu = cpu_model ();
  g_print ("CPU: %s\n", cpu);

  main_thread_costs ();

  /* Alternated, best of two each: the machine may be shared. */
  cli_ips = cli_images_per_s ();
  headless_ips = headless_images_per_s ();
  app_ips = window_images_per_s ();
  cli_ips = MAX (cli_ips, cli_images_per_s ());
  headless_ips = MAX (headless_ips, headless_images_per_s ());
  app_ips = MAX (app_ips, window_images_per_s ());
  g_print ("ResNet-20, batch %u, 2 threads, images/s (best of 2):\n"
           "  window with live charts          %6.1f\n"
           "  bs_run_train () without a window %6.1f (window: %.1f %%)\n"
           "  blockscope-cli bench train       %6.1f (window: %.1f %%)\n",
           BATCH, app_ips, headless_ips, 100 * app_ips / headless_ips, cli_ips, 100 * app_ips / cli_ips);
  return 0;
}
