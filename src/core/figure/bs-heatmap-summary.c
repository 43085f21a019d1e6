/* bs-heatmap-summary.c: the maximum of the cells under each pixel (see the header). */
#include "bs-heatmap-summary.h"

#include <math.h>

#include "bs-heatmap-matrix.h"
#include "bs-simd.h"

struct _BsHeatmapSummary
{
  guint *col_first;    /* per output column, the cells it covers */
  guint *col_last;
  guint  col_cap;
  guint *row_first;    /* per output row */
  guint *row_last;
  guint  row_cap;
  float *rows;         /* after the row pass: height x the columns in view */
  gsize  rows_cap;
  float *out;
  gsize  out_cap;
};

BsHeatmapSummary *
bs_heatmap_summary_new (void)
{
  return g_new0 (BsHeatmapSummary, 1);
}

void
bs_heatmap_summary_free (BsHeatmapSummary *summary)
{
  if (summary == NULL)
    return;

  g_free (summary->col_first);
  g_free (summary->col_last);
  g_free (summary->row_first);
  g_free (summary->row_last);
  g_free (summary->rows);
  g_free (summary->out);
  g_free (summary);
}

void
bs_heatmap_summary_grid_from_view (BsHeatmapSummaryGrid *grid,
                                   const BsHeatmapView  *view,
                                   double                scale)
{
  double u0, u1, v0, v1;

  bs_heatmap_view_get_visible (view, &u0, &u1, &v0, &v1);
  grid->col0 = u0 * view->n_cols;
  grid->col1 = u1 * view->n_cols;
  grid->row0 = v0 * view->n_rows;
  grid->row1 = v1 * view->n_rows;
  grid->width = (guint) CLAMP (round (view->width * scale), 0, G_MAXINT);
  grid->height = (guint) CLAMP (round (view->height * scale), 0, G_MAXINT);
}

gboolean
bs_heatmap_summary_grid_reduces (const BsHeatmapSummaryGrid *grid)
{
  return grid->col1 - grid->col0 > grid->width || grid->row1 - grid->row0 > grid->height;
}

static void
grow_ranges (guint **first,
             guint **last,
             guint  *cap,
             guint   n)
{
  if (n <= *cap)
    return;

  g_free (*first);
  g_free (*last);
  *first = g_new (guint, n);
  *last = g_new (guint, n);
  *cap = n;
}

static void
grow_floats (float **buffer,
             gsize  *cap,
             gsize   n)
{
  if (n <= *cap)
    return;

  g_free (*buffer);
  *buffer = g_new (float, n);
  *cap = n;
}

static guint
cell_under_centre (double lo,
                   double hi,
                   guint  n_pixels,
                   guint  n_cells,
                   guint  i)
{
  double c = floor (lo + (hi - lo) * (i + 0.5) / n_pixels);

  return (guint) CLAMP (c, 0.0, n_cells - 1.0);
}

void
bs_heatmap_summary_sample_axis (double  lo,
                                double  hi,
                                guint   n_pixels,
                                guint   n_cells,
                                guint  *cells)
{
  g_return_if_fail (n_cells > 0);

  for (guint i = 0; i < n_pixels; i++)
    cells[i] = cell_under_centre (lo, hi, n_pixels, n_cells, i);
}

/* The cells each of n_pixels covers along an axis from lo to hi: all
 * that its span overlaps where the axis has more cells than pixels,
 * otherwise the one under its centre. The ranges never go backwards. */
static void
axis_ranges (double  lo,
             double  hi,
             guint   n_pixels,
             guint   n_cells,
             guint  *first,
             guint  *last)
{
  gboolean reduce = hi - lo > n_pixels;
  double top = n_cells - 1.0;

  for (guint i = 0; i < n_pixels; i++)
    {
      double a, b;

      if (!reduce)
        {
          first[i] = last[i] = cell_under_centre (lo, hi, n_pixels, n_cells, i);
          continue;
        }

      /* Spans are half-open: an edge on a cell boundary does not reach
       * into the next cell. */
      a = floor (lo + (hi - lo) * i / n_pixels);
      b = ceil (lo + (hi - lo) * (i + 1) / n_pixels) - 1;
      a = CLAMP (a, 0.0, top);
      b = CLAMP (b, a, top);
      first[i] = (guint) a;
      last[i] = (guint) b;
    }
}

/* acc = row, where missing (the sentinel, or NaN) stays the sentinel: from
 * here on no NaN is left to make the maximum depend on the order. */
BS_SIMD_CLONES static void
row_start (float       *restrict acc,
           const float *restrict row,
           gsize                 n)
{
  for (gsize i = 0; i < n; i++)
    acc[i] = row[i] > BS_HEATMAP_MATRIX_MISSING ? row[i] : BS_HEATMAP_MATRIX_MISSING;
}

BS_SIMD_CLONES static void
row_max (float       *restrict acc,
         const float *restrict row,
         gsize                 n)
{
  for (gsize i = 0; i < n; i++)
    acc[i] = row[i] > acc[i] ? row[i] : acc[i];
}

const float *
bs_heatmap_summary_compute (BsHeatmapSummary           *summary,
                            const float                *values,
                            guint                       n_rows,
                            guint                       n_cols,
                            const BsHeatmapSummaryGrid *grid)
{
  guint width, height, c_lo;
  gsize span;

  g_return_val_if_fail (summary != NULL && grid != NULL, NULL);

  width = grid->width;
  height = grid->height;
  if (values == NULL || n_rows == 0 || n_cols == 0 || width == 0 || height == 0)
    return NULL;
  g_return_val_if_fail (isfinite (grid->col0) && isfinite (grid->col1) && grid->col1 > grid->col0, NULL);
  g_return_val_if_fail (isfinite (grid->row0) && isfinite (grid->row1) && grid->row1 > grid->row0, NULL);

  grow_ranges (&summary->col_first, &summary->col_last, &summary->col_cap, width);
  grow_ranges (&summary->row_first, &summary->row_last, &summary->row_cap, height);
  axis_ranges (grid->col0, grid->col1, width, n_cols, summary->col_first, summary->col_last);
  axis_ranges (grid->row0, grid->row1, height, n_rows, summary->row_first, summary->row_last);

  c_lo = summary->col_first[0];
  span = summary->col_last[width - 1] - c_lo + 1;
  grow_floats (&summary->rows, &summary->rows_cap, span * height);
  grow_floats (&summary->out, &summary->out_cap, (gsize) width * height);

  /* Rows first: whole rows of the columns in view, a vector maximum. */
  for (guint j = 0; j < height; j++)
    {
      float *acc = summary->rows + span * j;

      row_start (acc, values + (gsize) summary->row_first[j] * n_cols + c_lo, span);
      for (guint r = summary->row_first[j] + 1; r <= summary->row_last[j]; r++)
        row_max (acc, values + (gsize) r * n_cols + c_lo, span);
    }

  /* Then columns, on height rows rather than all the rows in view. */
  for (guint j = 0; j < height; j++)
    {
      const float *acc = summary->rows + span * j;
      float *dst = summary->out + (gsize) width * j;

      for (guint i = 0; i < width; i++)
        {
          guint last = summary->col_last[i] - c_lo;
          float m = acc[summary->col_first[i] - c_lo];

          for (guint c = summary->col_first[i] - c_lo + 1; c <= last; c++)
            m = acc[c] > m ? acc[c] : m;
          dst[i] = m;
        }
    }

  return summary->out;
}
