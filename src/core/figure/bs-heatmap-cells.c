/* bs-heatmap-cells.c: the matrix as an image in a colour map (see the header). */
#include "bs-heatmap-cells.h"

#include <math.h>

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

static void
colour_rows (cairo_surface_t       *surface,
             const BsHeatmapMatrix *matrix,
             guint                  first,
             guint                  last,
             BsColormap             map,
             double                 lo,
             double                 hi)
{
  guint n_rows = bs_heatmap_matrix_get_n_rows (matrix);
  guint n_cols = bs_heatmap_matrix_get_n_cols (matrix);
  const float *values = bs_heatmap_matrix_get_values (matrix);
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
      colour_rows (cells->surface, matrix, 0, n_rows - 1, map, lo, hi);
      bs_heatmap_matrix_clear_dirty_rows (matrix);
      return n_rows;
    }

  if (!bs_heatmap_matrix_get_dirty_rows (matrix, &first, &last))
    return 0;

  colour_rows (cells->surface, matrix, first, last, map, lo, hi);
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
    colour_rows (surface, matrix, 0, n_rows - 1, map, lo, hi);

  return surface;
}
