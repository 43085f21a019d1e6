/* bench-heatmap.c: what the heatmap costs, as a benchmark (meson test
 * --benchmark), not a test: it prints times and asserts none. ResNet-164
 * against itself (600 x 600) in a 900 x 800 window, and 1,000 layers in a
 * 400 pixel plot (summarised): a streamed update, frames while zooming
 * (the axes and the cells change), and frames that only move the
 * selection outline; then the summary alone. Frames are paced by the frame clock
 * (about 16.7 ms under Xvfb), so the CPU time the process spent per frame
 * (all threads, Mesa's included) says more than the wall time. */
#include "bs-config.h"

#include <math.h>
#include <stdlib.h>
#include <time.h>

#include <adwaita.h>

#include "bs-heatmap.h"
#include "bs-heatmap-summary.h"
#include "bs-test-utils.h"

#define ROUNDS 30

static guint matrix_n;
static guint generation;

static double
value (guint row,
       guint col)
{
  double d = fabs ((double) row - col) / matrix_n;

  return fmod (1.0 - d + 0.001 * generation, 1.0);
}

static int
compare_doubles (gconstpointer a,
                 gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return x < y ? -1 : x > y;
}

static double
cpu_ms (void)
{
  struct timespec t;

  clock_gettime (CLOCK_PROCESS_CPUTIME_ID, &t);

  return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static void
report (const char *what,
        double     *ms,
        guint       n,
        double      cpu)
{
  qsort (ms, n, sizeof (double), compare_doubles);
  g_print ("%-40s wall median %6.2f ms (min %6.2f, max %6.2f), CPU %6.2f ms each\n",
           what, ms[n / 2], ms[0], ms[n - 1], cpu / n);
}

/* One matrix of n x n layers in a width x height window: a streamed
 * update, frames while zooming by zoom_step, frames that move the
 * selection outline. */
static void
bench_matrix (guint  n,
              int    width,
              int    height,
              double zoom_step)
{
  GtkWidget *window;
  BsHeatmap *heatmap;
  double ms[ROUNDS], cpu;
  gint64 start;

  matrix_n = n;
  generation = 0;
  window = gtk_window_new ();
  heatmap = BS_HEATMAP (bs_heatmap_new ());
  gtk_window_set_default_size (GTK_WINDOW (window), width, height);
  gtk_window_set_child (GTK_WINDOW (window), GTK_WIDGET (heatmap));
  gtk_window_present (GTK_WINDOW (window));
  {
    g_autoptr(BsCkaSnapshot) first = bs_test_make_snapshot (n, n, value, "resnet164", "resnet164");

    bs_heatmap_set_snapshot (heatmap, first);
  }
  gtk_test_widget_wait_for_draw (window);
  g_print ("%u x %u heatmap in a %d x %d window (plot %g), drawn with %s\n", n, n, width, height,
           bs_heatmap_get_view (heatmap)->width, bs_heatmap_get_uses_gl (heatmap) ? "OpenGL" : "cairo");

  /* Every row changes: the update itself, then the frame that shows it. */
  cpu = cpu_ms ();
  for (guint i = 0; i < ROUNDS; i++)
    {
      g_autoptr(BsCkaSnapshot) next = NULL;

      generation++;
      next = bs_test_make_snapshot (n, n, value, "resnet164", "resnet164");
      start = g_get_monotonic_time ();
      bs_heatmap_set_snapshot (heatmap, next);
      ms[i] = (g_get_monotonic_time () - start) / 1000.0;
      gtk_test_widget_wait_for_draw (window);
    }
  report ("update (set_snapshot), then its frame", ms, ROUNDS, cpu_ms () - cpu);

  cpu = cpu_ms ();
  for (guint i = 0; i < ROUNDS; i++)
    {
      start = g_get_monotonic_time ();
      bs_heatmap_zoom (heatmap, i < ROUNDS / 2 ? zoom_step : 1 / zoom_step);
      gtk_test_widget_wait_for_draw (window);
      ms[i] = (g_get_monotonic_time () - start) / 1000.0;
    }
  report ("frame while zooming", ms, ROUNDS, cpu_ms () - cpu);

  bs_heatmap_zoom (heatmap, 4);
  gtk_test_widget_wait_for_draw (window);
  cpu = cpu_ms ();
  for (guint i = 0; i < ROUNDS; i++)
    {
      start = g_get_monotonic_time ();
      bs_heatmap_select (heatmap, n / 2 + i % 2, n / 2);
      gtk_test_widget_wait_for_draw (window);
      ms[i] = (g_get_monotonic_time () - start) / 1000.0;
    }
  report ("frame that moves the selection outline", ms, ROUNDS, cpu_ms () - cpu);

  gtk_window_destroy (GTK_WINDOW (window));
}

/* The summary alone, on this thread: 1,000 x 1,000 cells into 400 x 400
 * and 800 x 800 pixels (a 400 pixel plot at scale 1 and 2). */
static void
bench_summary (void)
{
  g_autoptr(BsHeatmapSummary) summary = bs_heatmap_summary_new ();
  g_autofree float *values = g_new (float, 1000 * 1000);
  double ms[ROUNDS];

  for (guint i = 0; i < 1000 * 1000; i++)
    values[i] = (float) value (i / 1000, i % 1000);

  for (guint side = 400; side <= 800; side += 400)
    {
      BsHeatmapSummaryGrid grid = { 0, 1000, 0, 1000, side, side };
      double cpu = cpu_ms ();
      char what[64];

      for (guint i = 0; i < ROUNDS; i++)
        {
          gint64 start = g_get_monotonic_time ();

          g_assert_nonnull (bs_heatmap_summary_compute (summary, values, 1000, 1000, &grid));
          ms[i] = (g_get_monotonic_time () - start) / 1000.0;
        }
      g_snprintf (what, sizeof what, "summary, 1000 x 1000 into %u x %u", side, side);
      report (what, ms, ROUNDS, cpu_ms () - cpu);
    }
}

int
main (int    argc,
      char **argv)
{
  gtk_init ();
  adw_init ();

  /* ResNet-164 against itself: fewer cells than pixels. */
  bench_matrix (600, 900, 800, 1.2);
  /* 1,000 layers in a 400 pixel plot: more cells than pixels, summarised
   * (zooming stays below 2.5, where cells and pixels are as many). */
  bench_matrix (1000, 400 + 174, 400 + 102, 1.07);
  bench_summary ();

  return 0;
}
