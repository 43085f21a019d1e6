/* bs-heatmap-cells.c: the matrix as an image in a colour map (see the header). */
#include "bs-heatmap-cells.h"

#include <math.h>

#include "bs-heatmap-summary.h"

struct _BsHeatmapCells
{
  cairo_surface_t *surface;
  guint            n_rows;
  guint            n_cols;
  BsColormap       map;
  double           lo;
  double           hi;
};

BsHeatmapCells *
bs_heatmap_cells_new (void)
{
  return g_new0 (BsHeatmapCells, 1);
}

void
bs_heatmap_cells_free (BsHeatmapCells *cells)
{
  if (cells == NULL)
    return;

  g_clear_pointer (&cells->surface, cairo_surface_destroy);
  g_free (cells);
}

/* Colours rows first to last of an n_rows x n_cols float grid (row 0 the
 * bottom, missing cells BS_HEATMAP_MATRIX_MISSING) into surface, whose row 0
 * is the top. */
static void
colour_rows (cairo_surface_t *surface,
             const float     *values,
             guint            n_rows,
             guint            n_cols,
             guint            first,
             guint            last,
             BsColormap       map,
             double           lo,
             double           hi)
{
  guint8 *data;
  int stride;

  cairo_surface_flush (surface);
  data = cairo_image_surface_get_data (surface);
  stride = cairo_image_surface_get_stride (surface);

  for (guint r = first; r <= last; r++)
    {
      /* Image row 0 is the top: the last layer of model A. */
      guint32 *line = (guint32 *) (data + (gsize) (n_rows - 1 - r) * stride);
      const float *src = values + (gsize) r * n_cols;

      for (guint c = 0; c < n_cols; c++)
        {
          guint8 rgb[3];

          /* The float the texture holds, so both paths pick one entry. */
          bs_colormap_lookup (map, bs_heatmap_matrix_is_missing (src[c]) ? NAN : (double) src[c],
                              lo, hi, rgb);
          line[c] = ((guint32) rgb[0] << 16) | ((guint32) rgb[1] << 8) | rgb[2];
        }
    }

  cairo_surface_mark_dirty_rectangle (surface, 0, (int) (n_rows - 1 - last), (int) n_cols,
                                      (int) (last - first + 1));
}

static void
colour_matrix_rows (cairo_surface_t       *surface,
                    const BsHeatmapMatrix *matrix,
                    guint                  first,
                    guint                  last,
                    BsColormap             map,
                    double                 lo,
                    double                 hi)
{
  colour_rows (surface, bs_heatmap_matrix_get_values (matrix), bs_heatmap_matrix_get_n_rows (matrix),
               bs_heatmap_matrix_get_n_cols (matrix), first, last, map, lo, hi);
}

static cairo_surface_t *
create_surface (guint n_rows,
                guint n_cols)
{
  cairo_surface_t *surface = cairo_image_surface_create (CAIRO_FORMAT_RGB24, (int) n_cols, (int) n_rows);

  if (cairo_surface_status (surface) != CAIRO_STATUS_SUCCESS)
    {
      g_warning ("No image for a %u x %u heatmap: %s", n_rows, n_cols,
                 cairo_status_to_string (cairo_surface_status (surface)));
      cairo_surface_destroy (surface);
      return NULL;
    }

  return surface;
}

guint
bs_heatmap_cells_update (BsHeatmapCells  *cells,
                         BsHeatmapMatrix *matrix,
                         BsColormap       map,
                         double           lo,
                         double           hi)
{
  guint n_rows = bs_heatmap_matrix_get_n_rows (matrix);
  guint n_cols = bs_heatmap_matrix_get_n_cols (matrix);
  guint first, last;

  g_return_val_if_fail (cells != NULL, 0);

  if (n_rows == 0 || n_cols == 0)
    {
      g_clear_pointer (&cells->surface, cairo_surface_destroy);
      cells->n_rows = cells->n_cols = 0;
      bs_heatmap_matrix_clear_dirty_rows (matrix);
      return 0;
    }

  if (cells->surface == NULL || cells->n_rows != n_rows || cells->n_cols != n_cols ||
      cells->map != map || cells->lo != lo || cells->hi != hi)
    {
      g_clear_pointer (&cells->surface, cairo_surface_destroy);
      cells->surface = create_surface (n_rows, n_cols);
      if (cells->surface == NULL)
        return 0;
      cells->n_rows = n_rows;
      cells->n_cols = n_cols;
      cells->map = map;
      cells->lo = lo;
      cells->hi = hi;
      colour_matrix_rows (cells->surface, matrix, 0, n_rows - 1, map, lo, hi);
      bs_heatmap_matrix_clear_dirty_rows (matrix);
      return n_rows;
    }

  if (!bs_heatmap_matrix_get_dirty_rows (matrix, &first, &last))
    return 0;

  colour_matrix_rows (cells->surface, matrix, first, last, map, lo, hi);
  bs_heatmap_matrix_clear_dirty_rows (matrix);

  return last - first + 1;
}

cairo_surface_t *
bs_heatmap_cells_get_surface (BsHeatmapCells *cells)
{
  return cells->surface;
}

cairo_surface_t *
bs_heatmap_cells_create_image (const BsHeatmapMatrix *matrix,
                               BsColormap             map,
                               double                 lo,
                               double                 hi)
{
  guint n_rows = bs_heatmap_matrix_get_n_rows (matrix);
  guint n_cols = bs_heatmap_matrix_get_n_cols (matrix);
  cairo_surface_t *surface;

  if (n_rows == 0 || n_cols == 0)
    return NULL;

  surface = create_surface (n_rows, n_cols);
  if (surface != NULL)
    colour_matrix_rows (surface, matrix, 0, n_rows - 1, map, lo, hi);

  return surface;
}

cairo_surface_t *
bs_heatmap_cells_create_summary_image (const float *summary,
                                       guint        width,
                                       guint        height,
                                       BsColormap   map,
                                       double       lo,
                                       double       hi)
{
  cairo_surface_t *surface;

  if (summary == NULL || width == 0 || height == 0)
    return NULL;

  surface = create_surface (height, width);
  if (surface != NULL)
    colour_rows (surface, summary, height, width, 0, height - 1, map, lo, hi);

  return surface;
}

cairo_surface_t *
bs_heatmap_cells_create_sampled_image (cairo_surface_t            *cells_image,
                                       const BsHeatmapSummaryGrid *grid)
{
  g_autofree guint *cols = NULL;
  g_autofree guint *rows = NULL;
  cairo_surface_t *surface;
  const guint8 *src;
  guint8 *dst;
  int src_stride, dst_stride;
  guint n_rows, n_cols;

  g_return_val_if_fail (cells_image != NULL && grid != NULL, NULL);

  n_cols = (guint) cairo_image_surface_get_width (cells_image);
  n_rows = (guint) cairo_image_surface_get_height (cells_image);
  if (n_rows == 0 || n_cols == 0 || grid->width == 0 || grid->height == 0)
    return NULL;

  surface = create_surface (grid->height, grid->width);
  if (surface == NULL)
    return NULL;

  cols = g_new (guint, grid->width);
  rows = g_new (guint, grid->height);
  bs_heatmap_summary_sample_axis (grid->col0, grid->col1, grid->width, n_cols, cols);
  bs_heatmap_summary_sample_axis (grid->row0, grid->row1, grid->height, n_rows, rows);

  cairo_surface_flush (cells_image);
  cairo_surface_flush (surface);
  src = cairo_image_surface_get_data (cells_image);
  src_stride = cairo_image_surface_get_stride (cells_image);
  dst = cairo_image_surface_get_data (surface);
  dst_stride = cairo_image_surface_get_stride (surface);

  for (guint j = 0; j < grid->height; j++)
    {
      /* Both images have row 0 at the top; the grid counts from the bottom. */
      const guint32 *from = (const guint32 *) (src + (gsize) (n_rows - 1 - rows[grid->height - 1 - j]) * src_stride);
      guint32 *to = (guint32 *) (dst + (gsize) j * dst_stride);

      for (guint i = 0; i < grid->width; i++)
        to[i] = from[cols[i]];
    }
  cairo_surface_mark_dirty (surface);

  return surface;
}
