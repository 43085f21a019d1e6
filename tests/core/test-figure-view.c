/* test-figure-view.c: the pure geometry of the heatmap under zoom and pan
 * (src/core/figure/bs-heatmap-view.h): widget points map to the cell drawn
 * there and back, zooming keeps the point under the pointer in place, and
 * the view never leaves the matrix. (test-figure and the gui test-heatmap
 * check the same functions against rendered pictures.) */
#include "bs-config.h"

#include <math.h>

#include "bs-heatmap-view.h"
#include "bs-rng.h"

static void
random_view (BsRng         *rng,
             BsHeatmapView *view)
{
  guint n_rows = 1 + bs_rng_below (rng, 600);
  guint n_cols = 1 + bs_rng_below (rng, 600);
  double w = 50 + 900 * bs_rng_uniform (rng);
  double h = 50 + 900 * bs_rng_uniform (rng);

  bs_heatmap_view_init (view, n_rows, n_cols, w, h);
  bs_heatmap_view_zoom_at (view, exp (bs_rng_uniform (rng) * log (bs_heatmap_view_get_max_zoom (view))),
                           bs_rng_uniform (rng) * w, bs_rng_uniform (rng) * h);
  bs_heatmap_view_pan (view, (bs_rng_uniform (rng) - 0.5) * 2 * w, (bs_rng_uniform (rng) - 0.5) * 2 * h);
}

static void
assert_inside_matrix (const BsHeatmapView *view)
{
  double u0, u1, v0, v1;

  bs_heatmap_view_get_visible (view, &u0, &u1, &v0, &v1);
  g_assert_cmpfloat (u0, >=, -1e-12);
  g_assert_cmpfloat (v0, >=, -1e-12);
  g_assert_cmpfloat (u1, <=, 1 + 1e-12);
  g_assert_cmpfloat (v1, <=, 1 + 1e-12);
  g_assert_cmpfloat (view->zoom, >=, 1.0);
  g_assert_cmpfloat (view->zoom, <=, bs_heatmap_view_get_max_zoom (view));
}

/* Without zoom the layout is plain arithmetic: layer 0 of A at the bottom,
 * layer 0 of B at the left, equal cells. */
static void
test_unzoomed_layout (void)
{
  BsHeatmapView view;
  double x, y, w, h;
  guint row, col;

  bs_heatmap_view_init (&view, 4, 8, 400, 200);
  bs_heatmap_view_cell_to_rect (&view, 0, 0, &x, &y, &w, &h);
  g_assert_cmpfloat_with_epsilon (x, 0, 1e-9);
  g_assert_cmpfloat_with_epsilon (y, 150, 1e-9);
  g_assert_cmpfloat_with_epsilon (w, 50, 1e-9);
  g_assert_cmpfloat_with_epsilon (h, 50, 1e-9);

  bs_heatmap_view_cell_to_rect (&view, 3, 7, &x, &y, &w, &h);
  g_assert_cmpfloat_with_epsilon (x, 350, 1e-9);
  g_assert_cmpfloat_with_epsilon (y, 0, 1e-9);

  g_assert_true (bs_heatmap_view_point_to_cell (&view, 10, 190, &row, &col));
  g_assert_cmpuint (row, ==, 0);
  g_assert_cmpuint (col, ==, 0);
  g_assert_true (bs_heatmap_view_point_to_cell (&view, 399.9, 0.1, &row, &col));
  g_assert_cmpuint (row, ==, 3);
  g_assert_cmpuint (col, ==, 7);
  g_assert_true (bs_heatmap_view_point_to_cell (&view, 125, 99, &row, &col));
  g_assert_cmpuint (row, ==, 2);
  g_assert_cmpuint (col, ==, 2);

  /* Outside the plot there is no cell. */
  g_assert_false (bs_heatmap_view_point_to_cell (&view, -1, 10, &row, &col));
  g_assert_false (bs_heatmap_view_point_to_cell (&view, 10, 200, &row, &col));
  g_assert_false (bs_heatmap_view_point_to_cell (&view, 400, 10, &row, &col));
}

/* A hand-computed zoomed case: zoom 2 at the plot's centre shows the middle
 * half of the matrix. */
static void
test_zoomed_by_hand (void)
{
  BsHeatmapView view;
  double x, y, w, h;
  guint row, col;

  bs_heatmap_view_init (&view, 10, 10, 100, 100);
  bs_heatmap_view_zoom_at (&view, 2, 50, 50);
  g_assert_cmpfloat (view.zoom, ==, 2);
  g_assert_cmpfloat (view.center_u, ==, 0.5);

  /* Visible: u, v in [0.25, 0.75]: columns 2.5 .. 7.5. */
  g_assert_true (bs_heatmap_view_point_to_cell (&view, 0.5, 99.5, &row, &col));
  g_assert_cmpuint (col, ==, 2);
  g_assert_cmpuint (row, ==, 2);
  bs_heatmap_view_cell_to_rect (&view, 5, 5, &x, &y, &w, &h);
  g_assert_cmpfloat_with_epsilon (x, 50, 1e-9);
  g_assert_cmpfloat_with_epsilon (w, 20, 1e-9);
  g_assert_cmpfloat_with_epsilon (y, 30, 1e-9);

  /* Dragging the content 20 px right shows one cell more on the left. */
  bs_heatmap_view_pan (&view, 20, 0);
  g_assert_true (bs_heatmap_view_point_to_cell (&view, 0.5, 50, &row, &col));
  g_assert_cmpuint (col, ==, 1);
  /* Dragging far right and up is stopped at the matrix edges: the left
   * column and the bottom half (rows 0 to 4) are in view. */
  bs_heatmap_view_pan (&view, 1000, -1000);
  assert_inside_matrix (&view);
  g_assert_true (bs_heatmap_view_point_to_cell (&view, 0.5, 0.5, &row, &col));
  g_assert_cmpuint (col, ==, 0);
  g_assert_cmpuint (row, ==, 4);
  g_assert_true (bs_heatmap_view_point_to_cell (&view, 0.5, 99.5, &row, &col));
  g_assert_cmpuint (row, ==, 0);
}

/* Random views: a random cell's centre hits that cell when it lies in the
 * plot and none when it does not, points map to matrix coordinates and
 * back, and every point of the plot hits the cell drawn around it (the
 * view never shows anything outside the matrix). */
static void
test_round_trip (void)
{
  BsRng rng;
  guint centre_hits = 0, centre_misses = 0, point_hits = 0;

  bs_rng_init (&rng, 42);
  for (guint trial = 0; trial < 200; trial++)
    {
      BsHeatmapView view;

      random_view (&rng, &view);
      assert_inside_matrix (&view);

      for (guint k = 0; k < 100; k++)
        {
          guint r = bs_rng_below (&rng, view.n_rows), c = bs_rng_below (&rng, view.n_cols);
          double x, y, w, h, cx, cy, u, v, bx, by, px, py;
          guint row, col;

          bs_heatmap_view_cell_to_rect (&view, r, c, &x, &y, &w, &h);
          g_assert_cmpfloat (w, >, 0);
          g_assert_cmpfloat (h, >, 0);
          cx = x + w / 2;
          cy = y + h / 2;

          bs_heatmap_view_point_to_matrix (&view, cx, cy, &u, &v);
          bs_heatmap_view_matrix_to_point (&view, u, v, &bx, &by);
          g_assert_cmpfloat_with_epsilon (bx, cx, 1e-6);
          g_assert_cmpfloat_with_epsilon (by, cy, 1e-6);

          if (cx < 0 || cy < 0 || cx >= view.width || cy >= view.height)
            {
              g_assert_false (bs_heatmap_view_point_to_cell (&view, cx, cy, &row, &col));
              centre_misses++;
            }
          else
            {
              g_assert_true (bs_heatmap_view_point_to_cell (&view, cx, cy, &row, &col));
              g_assert_cmpuint (row, ==, r);
              g_assert_cmpuint (col, ==, c);
              centre_hits++;
            }

          /* Any point of the plot lies in the cell it hits. */
          px = bs_rng_uniform (&rng) * view.width;
          py = bs_rng_uniform (&rng) * view.height;
          g_assert_true (bs_heatmap_view_point_to_cell (&view, px, py, &row, &col));
          bs_heatmap_view_cell_to_rect (&view, row, col, &x, &y, &w, &h);
          g_assert_cmpfloat (px, >=, x - 1e-6);
          g_assert_cmpfloat (px, <=, x + w + 1e-6);
          g_assert_cmpfloat (py, >=, y - 1e-6);
          g_assert_cmpfloat (py, <=, y + h + 1e-6);
          point_hits++;
        }
    }

  /* Both cases of the centre check ran, many times. */
  g_test_message ("%u cell centres in the plot, %u outside; %u plot points hit their cell",
                  centre_hits, centre_misses, point_hits);
  g_assert_cmpuint (centre_hits, >, 1000);
  g_assert_cmpuint (centre_misses, >, 1000);
}

/* Zooming at a point keeps the matrix point under it where it was, unless
 * the view would leave the matrix. */
static void
test_zoom_keeps_pointer (void)
{
  BsRng rng;

  bs_rng_init (&rng, 7);
  for (guint trial = 0; trial < 500; trial++)
    {
      BsHeatmapView view;
      double x, y, u0, v0, u1, v1, factor;
      double old_zoom;

      random_view (&rng, &view);
      x = bs_rng_uniform (&rng) * view.width;
      y = bs_rng_uniform (&rng) * view.height;
      factor = exp ((bs_rng_uniform (&rng) - 0.3) * 2);
      old_zoom = view.zoom;

      bs_heatmap_view_point_to_matrix (&view, x, y, &u0, &v0);
      bs_heatmap_view_zoom_at (&view, factor, x, y);
      assert_inside_matrix (&view);
      bs_heatmap_view_point_to_matrix (&view, x, y, &u1, &v1);

      /* Zooming in (within the limit) never needs clamping. */
      if (factor >= 1 && old_zoom * factor <= bs_heatmap_view_get_max_zoom (&view))
        {
          g_assert_cmpfloat_with_epsilon (u1, u0, 1e-9);
          g_assert_cmpfloat_with_epsilon (v1, v0, 1e-9);
          g_assert_cmpfloat_with_epsilon (view.zoom, old_zoom * factor, 1e-9);
        }
    }
}

static void
test_limits_and_visibility (void)
{
  BsHeatmapView view;
  double x, y, w, h;

  bs_heatmap_view_init (&view, 600, 600, 500, 500);
  bs_heatmap_view_zoom_at (&view, 1e9, 100, 100);
  g_assert_cmpfloat (view.zoom, ==, bs_heatmap_view_get_max_zoom (&view));
  g_assert_cmpfloat (view.zoom, ==, 150);
  bs_heatmap_view_zoom_at (&view, 1e-9, 100, 100);
  g_assert_cmpfloat (view.zoom, ==, 1);
  g_assert_true (bs_heatmap_view_is_reset (&view));

  /* Keyboard moves keep the selection on screen. */
  bs_heatmap_view_zoom_at (&view, 20, 0, 500);
  bs_heatmap_view_ensure_visible (&view, 599, 599);
  bs_heatmap_view_cell_to_rect (&view, 599, 599, &x, &y, &w, &h);
  g_assert_cmpfloat (x, >=, -1e-6);
  g_assert_cmpfloat (y, >=, -1e-6);
  g_assert_cmpfloat (x + w, <=, view.width + 1e-6);
  g_assert_cmpfloat (y + h, <=, view.height + 1e-6);
  assert_inside_matrix (&view);

  /* A tiny matrix cannot be zoomed past the whole view. */
  bs_heatmap_view_init (&view, 2, 3, 100, 100);
  g_assert_cmpfloat (bs_heatmap_view_get_max_zoom (&view), ==, 1.0);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/heatmap-view/unzoomed-layout", test_unzoomed_layout);
  g_test_add_func ("/heatmap-view/zoomed-by-hand", test_zoomed_by_hand);
  g_test_add_func ("/heatmap-view/round-trip", test_round_trip);
  g_test_add_func ("/heatmap-view/zoom-keeps-pointer", test_zoom_keeps_pointer);
  g_test_add_func ("/heatmap-view/limits", test_limits_and_visibility);

  return g_test_run ();
}
