/* test-heatmap.c: the heatmap widget draws the right colour in every cell,
 * maps widget points to cells under zoom and pan (pure functions and the
 * rendered picture agree), and uploads only the rows that changed. */
#include "bs-config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "bs-colormap.h"
#include "bs-heatmap.h"
#include "bs-test-utils.h"

#define N_ROWS 23
#define N_COLS 31

static double
test_value (guint row,
            guint col)
{
  /* A gradient with structure, a NaN cell and values outside [0, 1]. */
  if (row == 5 && col == 7)
    return NAN;
  if (row == 0 && col == 0)
    return -0.25;
  if (row == N_ROWS - 1 && col == N_COLS - 1)
    return 1.5;
  return fmod (0.37 * row + 0.11 * col, 1.0);
}

typedef struct {
  GtkWidget *window;
  BsHeatmap *heatmap;
} Fixture;

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(BsCkaSnapshot) snapshot = NULL;

  f->window = gtk_window_new ();
  gtk_window_set_default_size (GTK_WINDOW (f->window), 760, 700);
  f->heatmap = BS_HEATMAP (bs_heatmap_new ());
  gtk_window_set_child (GTK_WINDOW (f->window), GTK_WIDGET (f->heatmap));
  snapshot = bs_test_make_snapshot (N_ROWS, N_COLS, test_value, "resnet20", "resnet56x4");
  bs_heatmap_set_snapshot (f->heatmap, snapshot);
  gtk_window_present (GTK_WINDOW (f->window));
  gtk_test_widget_wait_for_draw (f->window);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  gtk_window_destroy (GTK_WINDOW (f->window));
  bs_test_spin (20);
}

/* Checks the colour at the centre of every visible cell against the colour
 * map of the cell's value; returns the number of cells checked. */
static guint
check_cell_colours (Fixture    *f,
                    const char *name)
{
  g_autoptr(GdkTexture) shot = bs_test_screenshot (GTK_WIDGET (f->heatmap), name);
  g_autofree guint8 *pixels = NULL;
  const BsHeatmapView *view = bs_heatmap_get_view (f->heatmap);
  BsCkaSnapshot *snapshot = bs_heatmap_get_snapshot (f->heatmap);
  BsColormap map = bs_heatmap_get_colormap (f->heatmap);
  double ox, oy, lo, hi;
  gsize stride;
  guint checked = 0;

  pixels = bs_test_texture_pixels (shot, &stride);
  bs_heatmap_get_plot_origin (f->heatmap, &ox, &oy);
  bs_heatmap_get_value_range (f->heatmap, &lo, &hi);

  for (guint r = 0; r < N_ROWS; r++)
    for (guint c = 0; c < N_COLS; c++)
      {
        double x, y, w, h, cx, cy, value;
        guint8 got[3], want[3];
        guint hit_row, hit_col;
        int index;

        bs_heatmap_view_cell_to_rect (view, r, c, &x, &y, &w, &h);
        cx = x + w / 2;
        cy = y + h / 2;
        /* Only cells well inside the plot, away from outlines and buttons. */
        if (x < 2 || y < 40 || x + w > view->width - 2 || y + h > view->height - 2 || w < 6 || h < 6)
          continue;

        /* The pure hit test agrees with where the cell is drawn. */
        g_assert_true (bs_heatmap_view_point_to_cell (view, cx, cy, &hit_row, &hit_col));
        g_assert_cmpuint (hit_row, ==, r);
        g_assert_cmpuint (hit_col, ==, c);

        bs_test_pixel_rgb (pixels, stride, (int) floor (ox + cx), (int) floor (oy + cy), got);
        value = bs_cka_snapshot_get_value (snapshot, r, c);
        /* The GPU sees the value as a float: accept the neighbouring entry
         * only when the value sits on the edge between two entries. */
        bs_colormap_lookup (map, value, lo, hi, want);
        index = bs_colormap_index ((float) value, lo, hi);
        if (memcmp (got, want, 3) != 0 && index >= 0)
          {
            double t = (value - lo) / (hi - lo) * 256;

            if (fabs (t - round (t)) < 1e-3)
              bs_colormap_lookup (map, lo + (index + 0.5) / 256 * (hi - lo), lo, hi, want);
          }
        if (memcmp (got, want, 3) != 0)
          g_test_message ("cell (%u, %u) value %g: got %02x%02x%02x, want %02x%02x%02x",
                          r, c, value, got[0], got[1], got[2], want[0], want[1], want[2]);
        g_assert_cmpmem (got, 3, want, 3);
        checked++;
      }

  return checked;
}

static void
test_colours (Fixture       *f,
              gconstpointer  data)
{
  guint checked;

  g_test_message ("cells drawn with %s", bs_heatmap_get_uses_gl (f->heatmap) ? "OpenGL" : "cairo");
  /* Unless OpenGL was switched off on purpose, it must have worked. */
  if (g_strcmp0 (g_getenv ("BLOCKSCOPE_NO_GL"), "1") != 0 &&
      strstr (g_getenv ("GDK_DEBUG") ? g_getenv ("GDK_DEBUG") : "", "gl-disable") == NULL)
    g_assert_true (bs_heatmap_get_uses_gl (f->heatmap));

  checked = check_cell_colours (f, "heatmap-magma");
  g_assert_cmpuint (checked, >, N_ROWS * N_COLS / 2);

  /* Another map and the data range give other, equally exact colours. */
  bs_heatmap_set_colormap (f->heatmap, BS_COLORMAP_VIRIDIS);
  bs_heatmap_set_data_range (f->heatmap, TRUE);
  {
    double lo, hi;

    bs_heatmap_get_value_range (f->heatmap, &lo, &hi);
    g_assert_cmpfloat_with_epsilon (lo, -0.25, 1e-6);
    g_assert_cmpfloat_with_epsilon (hi, 1.5, 1e-6);
  }
  checked = check_cell_colours (f, "heatmap-viridis-data");
  g_assert_cmpuint (checked, >, N_ROWS * N_COLS / 2);
}

static void
test_zoom_pan_picture (Fixture       *f,
                       gconstpointer  data)
{
  const BsHeatmapView *view = bs_heatmap_get_view (f->heatmap);
  guint checked;

  /* Zoom in by keyboard actions and pan: the picture still matches the
   * pure geometry cell by cell. */
  gtk_widget_activate_action (GTK_WIDGET (f->heatmap), "heatmap.zoom-in", NULL);
  gtk_widget_activate_action (GTK_WIDGET (f->heatmap), "heatmap.zoom-in", NULL);
  g_assert_cmpfloat (view->zoom, >, 2.0);
  bs_heatmap_view_pan ((BsHeatmapView *) view, 37, -23);
  bs_heatmap_zoom (f->heatmap, 1.0); /* redraw */

  checked = check_cell_colours (f, "heatmap-zoomed");
  g_assert_cmpuint (checked, >, 20);

  gtk_widget_activate_action (GTK_WIDGET (f->heatmap), "heatmap.reset-view", NULL);
  g_assert_cmpfloat (view->zoom, ==, 1.0);
}

static void
test_click_selects (Fixture       *f,
                    gconstpointer  data)
{
  const BsHeatmapView *view = bs_heatmap_get_view (f->heatmap);
  guint row, col;
  guint changed = 0;

  g_signal_connect_swapped (f->heatmap, "selection-changed", G_CALLBACK (g_atomic_int_inc), &changed);
  g_assert_false (bs_heatmap_get_selection (f->heatmap, &row, &col));

  bs_heatmap_select (f->heatmap, 4, 9);
  g_assert_true (bs_heatmap_get_selection (f->heatmap, &row, &col));
  g_assert_cmpuint (row, ==, 4);
  g_assert_cmpuint (col, ==, 9);
  g_assert_cmpuint (changed, ==, 1);

  /* Arrow keys: up is the next layer of A (row 0 is at the bottom). */
  gtk_widget_activate_action (GTK_WIDGET (f->heatmap), "heatmap.move-selection", "(ii)", 1, 0);
  gtk_widget_activate_action (GTK_WIDGET (f->heatmap), "heatmap.move-selection", "(ii)", 0, 1);
  gtk_widget_activate_action (GTK_WIDGET (f->heatmap), "heatmap.move-selection", "(ii)", 0, 1);
  g_assert_true (bs_heatmap_get_selection (f->heatmap, &row, &col));
  g_assert_cmpuint (row, ==, 5);
  g_assert_cmpuint (col, ==, 11);

  /* Clamped at the edges. */
  for (guint i = 0; i < N_ROWS + 3; i++)
    gtk_widget_activate_action (GTK_WIDGET (f->heatmap), "heatmap.move-selection", "(ii)", -1, 0);
  g_assert_true (bs_heatmap_get_selection (f->heatmap, &row, &col));
  g_assert_cmpuint (row, ==, 0);
  (void) view;
}

static double
changed_value (guint row,
               guint col)
{
  return row == 17 ? 0.5 : test_value (row, col);
}

static void
test_partial_upload (Fixture       *f,
                     gconstpointer  data)
{
  g_autoptr(BsCkaSnapshot) same = NULL;
  g_autoptr(BsCkaSnapshot) one_row = NULL;
  guint uploads0, uploads1, uploads2;
  guint64 rows0, rows1, rows2;

  if (!bs_heatmap_get_uses_gl (f->heatmap))
    {
      g_test_skip ("cells drawn with cairo: nothing is uploaded");
      return;
    }

  bs_heatmap_get_upload_stats (f->heatmap, &uploads0, &rows0);
  g_assert_cmpuint (uploads0, >=, 1);

  /* The same values: nothing to send. */
  same = bs_test_make_snapshot (N_ROWS, N_COLS, test_value, "resnet20", "resnet56x4");
  bs_heatmap_set_snapshot (f->heatmap, same);
  g_object_unref (bs_test_screenshot (GTK_WIDGET (f->heatmap), NULL));
  bs_heatmap_get_upload_stats (f->heatmap, &uploads1, &rows1);
  g_assert_cmpuint (uploads1, ==, uploads0);
  g_assert_cmpuint (rows1, ==, rows0);

  /* One row differs: one row is sent, and drawn. */
  one_row = bs_test_make_snapshot (N_ROWS, N_COLS, changed_value, "resnet20", "resnet56x4");
  bs_heatmap_set_snapshot (f->heatmap, one_row);
  check_cell_colours (f, NULL);
  bs_heatmap_get_upload_stats (f->heatmap, &uploads2, &rows2);
  g_assert_cmpuint (uploads2, ==, uploads1 + 1);
  g_assert_cmpuint (rows2, ==, rows1 + 1);
}

static guint large_generation;

static double
large_value (guint row,
             guint col)
{
  /* A block structure that drifts with each update, so every row changes. */
  double d = fabs ((double) row - col) / 600.0;

  return fmod (1.0 - d + 0.001 * large_generation, 1.0);
}

static int
compare_doubles (gconstpointer a,
                 gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return x < y ? -1 : x > y;
}

/* ResNet-164 against itself: 600 x 600. A streamed update must cost the
 * main thread little, and frames must keep coming while zooming. */
static void
test_large_matrix (void)
{
  GtkWidget *window = gtk_window_new ();
  BsHeatmap *heatmap = BS_HEATMAP (bs_heatmap_new ());
  double update_ms[12], frame_ms;
  guint uploads0, uploads1;
  guint64 rows0, rows1;
  gint64 start;

  gtk_window_set_default_size (GTK_WINDOW (window), 900, 800);
  gtk_window_set_child (GTK_WINDOW (window), GTK_WIDGET (heatmap));
  gtk_window_present (GTK_WINDOW (window));
  {
    g_autoptr(BsCkaSnapshot) first = bs_test_make_snapshot (600, 600, large_value, "resnet164", "resnet164");

    bs_heatmap_set_snapshot (heatmap, first);
  }
  gtk_test_widget_wait_for_draw (window);
  bs_heatmap_get_upload_stats (heatmap, &uploads0, &rows0);

  for (guint i = 0; i < G_N_ELEMENTS (update_ms); i++)
    {
      g_autoptr(BsCkaSnapshot) next = NULL;

      large_generation++;
      next = bs_test_make_snapshot (600, 600, large_value, "resnet164", "resnet164");
      start = g_get_monotonic_time ();
      bs_heatmap_set_snapshot (heatmap, next);
      update_ms[i] = (g_get_monotonic_time () - start) / 1000.0;
      gtk_test_widget_wait_for_draw (window);
    }
  qsort (update_ms, G_N_ELEMENTS (update_ms), sizeof (double), compare_doubles);
  bs_heatmap_get_upload_stats (heatmap, &uploads1, &rows1);
  g_test_message ("600 x 600 update on the main thread: median %.2f ms, max %.2f ms; "
                  "%u uploads of %" G_GUINT64_FORMAT " rows",
                  update_ms[G_N_ELEMENTS (update_ms) / 2], update_ms[G_N_ELEMENTS (update_ms) - 1],
                  uploads1 - uploads0, rows1 - rows0);
  /* Loose bound: the machines that run the tests are shared and slow. */
  g_assert_cmpfloat (update_ms[G_N_ELEMENTS (update_ms) / 2], <, 30.0);

  /* Frames while zooming in and out at the pointer. */
  start = g_get_monotonic_time ();
  for (guint i = 0; i < 30; i++)
    {
      bs_heatmap_zoom (heatmap, i < 15 ? 1.2 : 1 / 1.2);
      gtk_test_widget_wait_for_draw (window);
    }
  frame_ms = (g_get_monotonic_time () - start) / 1000.0 / 30;
  g_test_message ("zooming a 600 x 600 heatmap in a 900 x 800 window: %.1f ms per frame (%s)",
                  frame_ms, bs_heatmap_get_uses_gl (heatmap) ? "OpenGL" : "cairo");

  gtk_window_destroy (GTK_WINDOW (window));
  bs_test_spin (20);
}

int
main (int    argc,
      char **argv)
{
  bs_test_init (&argc, &argv);

  g_test_add ("/heatmap/colours", Fixture, NULL, fixture_setup, test_colours, fixture_teardown);
  g_test_add ("/heatmap/zoom-pan-picture", Fixture, NULL, fixture_setup, test_zoom_pan_picture, fixture_teardown);
  g_test_add ("/heatmap/select", Fixture, NULL, fixture_setup, test_click_selects, fixture_teardown);
  g_test_add_func ("/heatmap/large-matrix", test_large_matrix);
  g_test_add ("/heatmap/partial-upload", Fixture, NULL, fixture_setup, test_partial_upload, fixture_teardown);

  return g_test_run ();
}
