/* bench-heatmap.c: what the heatmap costs, as a benchmark (meson test
 * --benchmark), not a test: it prints times and asserts none. ResNet-164
 * against itself (600 x 600) in a 900 x 800 window: a streamed update,
 * frames while zooming (the axes and the cells change), and frames that
 * only move the selection outline. Frames are paced by the frame clock
 * (about 16.7 ms under Xvfb), so the CPU time the process spent per frame
 * (all threads, Mesa's included) says more than the wall time. */
#include "bs-config.h"

#include <math.h>
#include <stdlib.h>
#include <time.h>

#include <adwaita.h>

#include "bs-heatmap.h"
#include "bs-test-utils.h"

#define N 600
#define ROUNDS 30

static guint generation;

static double
value (guint row,
       guint col)
{
  double d = fabs ((double) row - col) / N;

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

int
main (int    argc,
      char **argv)
{
  GtkWidget *window;
  BsHeatmap *heatmap;
  double ms[ROUNDS], cpu;
  gint64 start;

  gtk_init ();
  adw_init ();
  window = gtk_window_new ();
  heatmap = BS_HEATMAP (bs_heatmap_new ());
  gtk_window_set_default_size (GTK_WINDOW (window), 900, 800);
  gtk_window_set_child (GTK_WINDOW (window), GTK_WIDGET (heatmap));
  gtk_window_present (GTK_WINDOW (window));
  {
    g_autoptr(BsCkaSnapshot) first = bs_test_make_snapshot (N, N, value, "resnet164", "resnet164");

    bs_heatmap_set_snapshot (heatmap, first);
  }
  gtk_test_widget_wait_for_draw (window);
  g_print ("%d x %d heatmap drawn with %s\n", N, N, bs_heatmap_get_uses_gl (heatmap) ? "OpenGL" : "cairo");

  /* Every row changes: the update itself, then the frame that shows it. */
  cpu = cpu_ms ();
  for (guint i = 0; i < ROUNDS; i++)
    {
      g_autoptr(BsCkaSnapshot) next = NULL;

      generation++;
      next = bs_test_make_snapshot (N, N, value, "resnet164", "resnet164");
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
      bs_heatmap_zoom (heatmap, i < ROUNDS / 2 ? 1.2 : 1 / 1.2);
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
      bs_heatmap_select (heatmap, 300 + i % 2, 300);
      gtk_test_widget_wait_for_draw (window);
      ms[i] = (g_get_monotonic_time () - start) / 1000.0;
    }
  report ("frame that moves the selection outline", ms, ROUNDS, cpu_ms () - cpu);

  gtk_window_destroy (GTK_WINDOW (window));

  return 0;
}
