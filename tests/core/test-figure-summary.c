/* test-figure-summary.c: the summary of more cells than pixels
 * (bs-heatmap-summary.h) against a straightforward reference: for every
 * pixel, every cell whose area its span meets (or, along an axis with no
 * more cells than pixels, the cell under its centre), the largest value,
 * missing only when all are. Random matrices of odd shapes, missing and
 * NaN cells, windows that start and end inside cells or reach past the
 * matrix, pixels both fewer and more than cells. No display needed. */
#include "bs-config.h"

#include <math.h>
#include <string.h>

#include "bs-heatmap-matrix.h"
#include "bs-heatmap-summary.h"

/* ---------------------------------------------------------------- reference */

/* The cells pixel i of n_pixels covers along an axis from lo to hi, by
 * looking at every cell. */
static void
reference_axis (double  lo,
                double  hi,
                guint   n_pixels,
                guint   n_cells,
                guint   i,
                guint  *first,
                guint  *last)
{
  double a = lo + (hi - lo) * i / n_pixels;
  double b = lo + (hi - lo) * (i + 1) / n_pixels;
  double centre = lo + (hi - lo) * (i + 0.5) / n_pixels;
  gboolean any = FALSE;

  for (guint c = 0; c < n_cells; c++)
    {
      gboolean covered = hi - lo > n_pixels ? c + 1.0 > a && c < b       /* the spans meet */
                                            : c <= centre && centre < c + 1.0;

      if (covered)
        {
          if (!any)
            *first = c;
          *last = c;
          any = TRUE;
        }
    }

  /* Wholly outside the matrix: the nearest edge cell. */
  if (!any)
    *first = *last = (hi - lo > n_pixels ? b : centre) <= 0 ? 0 : n_cells - 1;
}

static gboolean
is_missing (float value)
{
  return isnan (value) || bs_heatmap_matrix_is_missing (value);
}

static float *
reference_summary (const float                *values,
                   guint                       n_rows,
                   guint                       n_cols,
                   const BsHeatmapSummaryGrid *grid)
{
  float *out = g_new (float, (gsize) grid->width * grid->height);
  g_autofree guint *c0 = g_new (guint, grid->width);
  g_autofree guint *c1 = g_new (guint, grid->width);

  for (guint i = 0; i < grid->width; i++)
    reference_axis (grid->col0, grid->col1, grid->width, n_cols, i, &c0[i], &c1[i]);

  for (guint j = 0; j < grid->height; j++)
    {
      guint r0, r1;

      reference_axis (grid->row0, grid->row1, grid->height, n_rows, j, &r0, &r1);
      for (guint i = 0; i < grid->width; i++)
        {
          gboolean any = FALSE;
          float best = 0;

          for (guint r = r0; r <= r1; r++)
            for (guint c = c0[i]; c <= c1[i]; c++)
              {
                float v = values[(gsize) r * n_cols + c];

                if (!is_missing (v) && (!any || v > best))
                  {
                    best = v;
                    any = TRUE;
                  }
              }
          out[(gsize) j * grid->width + i] = any ? best : BS_HEATMAP_MATRIX_MISSING;
        }
    }

  return out;
}

/* ---------------------------------------------------------------- helpers */

/* Values in [0, 1); about one cell in ten missing, a few NaN, and a band
 * of rows with no value at all (whole pixels of it must stay missing). */
static float *
random_matrix (GRand *rand,
               guint  n_rows,
               guint  n_cols)
{
  float *values = g_new (float, (gsize) n_rows * n_cols);

  for (guint r = 0; r < n_rows; r++)
    for (guint c = 0; c < n_cols; c++)
      {
        double u = g_rand_double (rand);
        float *v = &values[(gsize) r * n_cols + c];

        if (n_rows > 20 && r >= n_rows / 3 && r < n_rows / 3 + 7)
          *v = BS_HEATMAP_MATRIX_MISSING;
        else if (u < 0.1)
          *v = BS_HEATMAP_MATRIX_MISSING;
        else if (u < 0.11)
          *v = NAN;
        else
          *v = (float) g_rand_double (rand);
      }

  return values;
}

/* A window of a random share of n cells, starting anywhere inside. */
static void
random_window (GRand  *rand,
               guint   n,
               double *lo,
               double *hi)
{
  double length = n * g_rand_double_range (rand, 0.02, 1.0);

  *lo = g_rand_double_range (rand, 0.0, n - length);
  *hi = *lo + length;
}

/* Summary and reference agree bit for bit (a maximum is exact); returns
 * how many pixels are missing. */
static guint
check_grid (BsHeatmapSummary           *summary,
            const float                *values,
            guint                       n_rows,
            guint                       n_cols,
            const BsHeatmapSummaryGrid *grid)
{
  g_autofree float *want = reference_summary (values, n_rows, n_cols, grid);
  const float *got = bs_heatmap_summary_compute (summary, values, n_rows, n_cols, grid);
  guint missing = 0;

  g_assert_nonnull (got);
  for (gsize k = 0; k < (gsize) grid->width * grid->height; k++)
    {
      if (memcmp (&got[k], &want[k], sizeof (float)) != 0)
        {
          g_test_message ("%u x %u matrix, grid cols [%.17g, %.17g) rows [%.17g, %.17g) in %u x %u: "
                          "pixel (%u, %u) got %g, want %g", n_rows, n_cols, grid->col0, grid->col1,
                          grid->row0, grid->row1, grid->width, grid->height,
                          (guint) (k % grid->width), (guint) (k / grid->width), got[k], want[k]);
          g_assert_not_reached ();
        }
      g_assert_false (isnan (got[k]));
      missing += bs_heatmap_matrix_is_missing (got[k]);
    }

  return missing;
}

/* ---------------------------------------------------------------- tests */

static void
test_against_reference (void)
{
  static const guint shapes[][2] = {
    { 1, 1 }, { 1, 997 }, { 997, 3 }, { 5, 5 }, { 37, 1013 }, { 600, 600 }, { 1000, 1000 }, { 2000, 7 },
  };
  g_autoptr(GRand) rand = g_rand_new_with_seed (20240613);
  g_autoptr(BsHeatmapSummary) summary = bs_heatmap_summary_new ();
  guint grids = 0, reducing = 0, missing = 0;

  for (guint s = 0; s < G_N_ELEMENTS (shapes); s++)
    {
      guint n_rows = shapes[s][0], n_cols = shapes[s][1];
      g_autofree float *values = random_matrix (rand, n_rows, n_cols);

      for (guint k = 0; k < 12; k++)
        {
          BsHeatmapSummaryGrid grid;

          if (k == 0)
            {
              /* The whole matrix. */
              grid = (BsHeatmapSummaryGrid) { 0, n_cols, 0, n_rows, 0, 0 };
            }
          else if (k == 1)
            {
              /* Past the edges, as rounding might take a view. */
              grid = (BsHeatmapSummaryGrid) { -0.3, n_cols + 0.4, -1.7, n_rows + 0.2, 0, 0 };
            }
          else
            {
              random_window (rand, n_cols, &grid.col0, &grid.col1);
              random_window (rand, n_rows, &grid.row0, &grid.row1);
            }
          /* Fewer pixels than cells, more, and in between. */
          grid.width = (guint) g_rand_int_range (rand, 1, 420);
          grid.height = k % 4 == 3 ? 400 : (guint) g_rand_int_range (rand, 1, 420);

          missing += check_grid (summary, values, n_rows, n_cols, &grid);
          reducing += bs_heatmap_summary_grid_reduces (&grid);
          grids++;
        }
    }

  g_test_message ("%u grids, %u of them summarising, %u missing pixels", grids, reducing, missing);
  /* Both kinds of grid were met, and missing pixels too. */
  g_assert_cmpuint (reducing, >, grids / 3);
  g_assert_cmpuint (reducing, <, grids);
  g_assert_cmpuint (missing, >, 0);
}

/* One high cell among low ones, anywhere: every pixel that covers it is
 * high, every other low. */
static void
test_single_high_cell (void)
{
  const guint n = 1000;
  g_autofree float *values = g_new (float, n * n);
  g_autoptr(BsHeatmapSummary) summary = bs_heatmap_summary_new ();
  static const guint cells[][2] = { { 500, 500 }, { 0, 999 }, { 137, 862 }, { 999, 0 } };
  BsHeatmapSummaryGrid grid = { 0, n, 0, n, 400, 400 };

  for (guint k = 0; k < G_N_ELEMENTS (cells); k++)
    {
      guint row = cells[k][0], col = cells[k][1];
      const float *out;
      guint high = 0;

      for (gsize i = 0; i < (gsize) n * n; i++)
        values[i] = 0.2f;
      values[(gsize) row * n + col] = 1.0f;

      out = bs_heatmap_summary_compute (summary, values, n, n, &grid);
      for (guint j = 0; j < grid.height; j++)
        for (guint i = 0; i < grid.width; i++)
          {
            /* 2.5 cells per pixel: pixel i spans [2.5 i, 2.5 i + 2.5). */
            gboolean covers = col + 1 > 2.5 * i && col < 2.5 * (i + 1) &&
                              row + 1 > 2.5 * j && row < 2.5 * (j + 1);

            g_assert_cmpfloat (out[(gsize) j * grid.width + i], ==, covers ? 1.0f : 0.2f);
            high += covers;
          }
      g_assert_cmpuint (high, >=, 1);
    }
}

static void
test_grid_from_view (void)
{
  BsHeatmapView view;
  BsHeatmapSummaryGrid grid;

  /* 1,000 layers in 400 pixels. */
  bs_heatmap_view_init (&view, 1000, 1000, 400, 400);
  bs_heatmap_summary_grid_from_view (&grid, &view, 1.0);
  g_assert_cmpfloat (grid.col0, ==, 0);
  g_assert_cmpfloat (grid.col1, ==, 1000);
  g_assert_cmpfloat (grid.row0, ==, 0);
  g_assert_cmpfloat (grid.row1, ==, 1000);
  g_assert_cmpuint (grid.width, ==, 400);
  g_assert_cmpuint (grid.height, ==, 400);
  g_assert_true (bs_heatmap_summary_grid_reduces (&grid));

  /* Twice the pixels at scale 2, and 1.5 times at 1.5. */
  bs_heatmap_summary_grid_from_view (&grid, &view, 2.0);
  g_assert_cmpuint (grid.width, ==, 800);
  g_assert_true (bs_heatmap_summary_grid_reduces (&grid));
  bs_heatmap_summary_grid_from_view (&grid, &view, 1.5);
  g_assert_cmpuint (grid.height, ==, 600);

  /* Zoomed in to 400 cells in 400 pixels: one sample each, no summary. */
  bs_heatmap_view_set_zoom_at (&view, 2.5, 100, 300);
  bs_heatmap_summary_grid_from_view (&grid, &view, 1.0);
  g_assert_cmpfloat_with_epsilon (grid.col1 - grid.col0, 400, 1e-9);
  g_assert_cmpfloat_with_epsilon (grid.row1 - grid.row0, 400, 1e-9);
  g_assert_false (bs_heatmap_summary_grid_reduces (&grid));

  /* Only one axis with too many cells is enough. */
  bs_heatmap_view_init (&view, 1000, 20, 400, 400);
  bs_heatmap_summary_grid_from_view (&grid, &view, 1.0);
  g_assert_true (bs_heatmap_summary_grid_reduces (&grid));
  bs_heatmap_view_init (&view, 20, 1000, 400, 400);
  bs_heatmap_summary_grid_from_view (&grid, &view, 1.0);
  g_assert_true (bs_heatmap_summary_grid_reduces (&grid));
  bs_heatmap_view_init (&view, 20, 30, 400, 400);
  bs_heatmap_summary_grid_from_view (&grid, &view, 1.0);
  g_assert_false (bs_heatmap_summary_grid_reduces (&grid));
}

static void
test_empty (void)
{
  g_autoptr(BsHeatmapSummary) summary = bs_heatmap_summary_new ();
  BsHeatmapSummaryGrid grid = { 0, 4, 0, 4, 0, 2 };
  const float values[16] = { 0 };

  g_assert_null (bs_heatmap_summary_compute (summary, values, 4, 4, &grid));
  grid.width = 2;
  g_assert_null (bs_heatmap_summary_compute (summary, NULL, 0, 0, &grid));
  g_assert_nonnull (bs_heatmap_summary_compute (summary, values, 4, 4, &grid));
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/figure-summary/against-reference", test_against_reference);
  g_test_add_func ("/figure-summary/single-high-cell", test_single_high_cell);
  g_test_add_func ("/figure-summary/grid-from-view", test_grid_from_view);
  g_test_add_func ("/figure-summary/empty", test_empty);

  return g_test_run ();
}
