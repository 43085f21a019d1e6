/* bs-heatmap-view.c: zoom and pan arithmetic of the heatmap (see the header). */
#include "bs-heatmap-view.h"

#include <math.h>

static void
clamp_center (BsHeatmapView *view)
{
  double half = 0.5 / view->zoom;

  view->center_u = CLAMP (view->center_u, half, 1.0 - half);
  view->center_v = CLAMP (view->center_v, half, 1.0 - half);
}

void
bs_heatmap_view_init (BsHeatmapView *view,
                      guint          n_rows,
                      guint          n_cols,
                      double         width,
                      double         height)
{
  view->n_rows = n_rows;
  view->n_cols = n_cols;
  view->width = width;
  view->height = height;
  bs_heatmap_view_reset (view);
}

void
bs_heatmap_view_set_size (BsHeatmapView *view,
                          double         width,
                          double         height)
{
  view->width = width;
  view->height = height;
}

void
bs_heatmap_view_set_shape (BsHeatmapView *view,
                           guint          n_rows,
                           guint          n_cols)
{
  view->n_rows = n_rows;
  view->n_cols = n_cols;
  bs_heatmap_view_reset (view);
}

void
bs_heatmap_view_reset (BsHeatmapView *view)
{
  view->zoom = 1.0;
  view->center_u = 0.5;
  view->center_v = 0.5;
}

gboolean
bs_heatmap_view_is_reset (const BsHeatmapView *view)
{
  return view->zoom == 1.0;
}

double
bs_heatmap_view_get_max_zoom (const BsHeatmapView *view)
{
  guint n = MAX (view->n_rows, view->n_cols);

  return CLAMP (n / 4.0, 1.0, BS_HEATMAP_VIEW_MAX_ZOOM_LIMIT);
}

void
bs_heatmap_view_point_to_matrix (const BsHeatmapView *view,
                                 double               x,
                                 double               y,
                                 double              *u,
                                 double              *v)
{
  double w = MAX (view->width, 1.0);
  double h = MAX (view->height, 1.0);

  *u = view->center_u + (x / w - 0.5) / view->zoom;
  *v = view->center_v + (0.5 - y / h) / view->zoom;
}

void
bs_heatmap_view_matrix_to_point (const BsHeatmapView *view,
                                 double               u,
                                 double               v,
                                 double              *x,
                                 double              *y)
{
  *x = ((u - view->center_u) * view->zoom + 0.5) * view->width;
  *y = (0.5 - (v - view->center_v) * view->zoom) * view->height;
}

gboolean
bs_heatmap_view_point_to_cell (const BsHeatmapView *view,
                               double               x,
                               double               y,
                               guint               *row,
                               guint               *col)
{
  double u, v, c, r;

  if (view->n_rows == 0 || view->n_cols == 0)
    return FALSE;
  if (!(x >= 0 && x < view->width && y >= 0 && y < view->height))
    return FALSE;

  bs_heatmap_view_point_to_matrix (view, x, y, &u, &v);
  if (!(u >= 0.0 && u < 1.0 && v >= 0.0 && v < 1.0))
    return FALSE;

  c = floor (u * view->n_cols);
  r = floor (v * view->n_rows);
  /* Rounding can land exactly on n for u just below 1. */
  *col = (guint) MIN (c, view->n_cols - 1.0);
  *row = (guint) MIN (r, view->n_rows - 1.0);

  return TRUE;
}

void
bs_heatmap_view_cell_to_rect (const BsHeatmapView *view,
                              guint                row,
                              guint                col,
                              double              *x,
                              double              *y,
                              double              *width,
                              double              *height)
{
  double x0, x1, y0, y1;

  bs_heatmap_view_matrix_to_point (view,
                                   (double) col / view->n_cols,
                                   (double) (row + 1) / view->n_rows,
                                   &x0, &y0);
  bs_heatmap_view_matrix_to_point (view,
                                   (double) (col + 1) / view->n_cols,
                                   (double) row / view->n_rows,
                                   &x1, &y1);
  *x = x0;
  *y = y0;
  *width = x1 - x0;
  *height = y1 - y0;
}

void
bs_heatmap_view_set_zoom_at (BsHeatmapView *view,
                             double         zoom,
                             double         x,
                             double         y)
{
  double u, v;
  double w = MAX (view->width, 1.0);
  double h = MAX (view->height, 1.0);

  if (!isfinite (zoom))
    return;

  bs_heatmap_view_point_to_matrix (view, x, y, &u, &v);
  view->zoom = CLAMP (zoom, 1.0, bs_heatmap_view_get_max_zoom (view));
  /* Solve point_to_matrix (x, y) == (u, v) for the new centre. */
  view->center_u = u - (x / w - 0.5) / view->zoom;
  view->center_v = v - (0.5 - y / h) / view->zoom;
  clamp_center (view);
}

void
bs_heatmap_view_zoom_at (BsHeatmapView *view,
                         double         factor,
                         double         x,
                         double         y)
{
  if (!(factor > 0.0))
    return;

  bs_heatmap_view_set_zoom_at (view, view->zoom * factor, x, y);
}

void
bs_heatmap_view_pan (BsHeatmapView *view,
                     double         dx,
                     double         dy)
{
  double w = MAX (view->width, 1.0);
  double h = MAX (view->height, 1.0);

  view->center_u -= dx / (w * view->zoom);
  view->center_v += dy / (h * view->zoom);
  clamp_center (view);
}

void
bs_heatmap_view_ensure_visible (BsHeatmapView *view,
                                guint          row,
                                guint          col)
{
  double u0, u1, v0, v1;
  double cu0, cu1, cv0, cv1;

  if (view->n_rows == 0 || view->n_cols == 0)
    return;

  bs_heatmap_view_get_visible (view, &u0, &u1, &v0, &v1);
  cu0 = (double) col / view->n_cols;
  cu1 = (double) (col + 1) / view->n_cols;
  cv0 = (double) row / view->n_rows;
  cv1 = (double) (row + 1) / view->n_rows;

  if (cu0 < u0)
    view->center_u -= u0 - cu0;
  else if (cu1 > u1)
    view->center_u += cu1 - u1;
  if (cv0 < v0)
    view->center_v -= v0 - cv0;
  else if (cv1 > v1)
    view->center_v += cv1 - v1;

  clamp_center (view);
}

void
bs_heatmap_view_get_visible (const BsHeatmapView *view,
                             double              *u0,
                             double              *u1,
                             double              *v0,
                             double              *v1)
{
  double half = 0.5 / view->zoom;

  *u0 = view->center_u - half;
  *u1 = view->center_u + half;
  *v0 = view->center_v - half;
  *v1 = view->center_v + half;
}
