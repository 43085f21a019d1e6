/* bs-heatmap-view.h: the geometry of a zoomed and panned heatmap, as pure functions.
 *
 * The matrix fills the plot area (width x height logical pixels) at zoom 1.
 * Matrix coordinates (u, v) run over [0, 1]: u from the first column (left)
 * to the last, v from the first row (bottom) to the last (top), so layer 0
 * of both models sits at the bottom left. The view shows the square of side
 * 1 / zoom around (center_u, center_v); it never shows anything outside
 * the matrix. Widget y grows downwards, v upwards.
 *
 * No GTK here: the widget, the shader uniforms, the figure renderer
 * (bs-heatmap-figure.h) and the tests all use these. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct {
  guint  n_rows;    /* layers of model A: the vertical axis */
  guint  n_cols;    /* layers of model B: the horizontal axis */
  double width;     /* plot area, logical pixels */
  double height;
  double zoom;      /* 1 shows the whole matrix */
  double center_u;  /* the matrix point shown at the middle of the plot */
  double center_v;
} BsHeatmapView;

#define BS_HEATMAP_VIEW_MAX_ZOOM_LIMIT 256.0

void     bs_heatmap_view_init          (BsHeatmapView       *view,
                                        guint                n_rows,
                                        guint                n_cols,
                                        double               width,
                                        double               height);
/* A new plot size keeps zoom and centre. */
void     bs_heatmap_view_set_size      (BsHeatmapView       *view,
                                        double               width,
                                        double               height);
/* A new shape resets zoom and centre. */
void     bs_heatmap_view_set_shape     (BsHeatmapView       *view,
                                        guint                n_rows,
                                        guint                n_cols);
void     bs_heatmap_view_reset         (BsHeatmapView       *view);
gboolean bs_heatmap_view_is_reset      (const BsHeatmapView *view);

/* Zoom never goes below 1, nor past the point where about four cells of
 * the larger side fill the plot. */
double   bs_heatmap_view_get_max_zoom  (const BsHeatmapView *view);

/* Widget point -> matrix coordinates (may lie outside [0, 1]). */
void     bs_heatmap_view_point_to_matrix (const BsHeatmapView *view,
                                          double               x,
                                          double               y,
                                          double              *u,
                                          double              *v);
/* Matrix coordinates -> widget point. */
void     bs_heatmap_view_matrix_to_point (const BsHeatmapView *view,
                                          double               u,
                                          double               v,
                                          double              *x,
                                          double              *y);

/* The cell under a widget point; FALSE outside the plot or the matrix. */
gboolean bs_heatmap_view_point_to_cell (const BsHeatmapView *view,
                                        double               x,
                                        double               y,
                                        guint               *row,
                                        guint               *col);
/* Where a cell is drawn, in widget coordinates (may be partly outside the
 * plot when zoomed). */
void     bs_heatmap_view_cell_to_rect  (const BsHeatmapView *view,
                                        guint                row,
                                        guint                col,
                                        double              *x,
                                        double              *y,
                                        double              *width,
                                        double              *height);

/* Multiplies the zoom by factor, keeping the matrix point under (x, y) where
 * it is (when the clamping to the matrix edges allows). */
void     bs_heatmap_view_zoom_at       (BsHeatmapView       *view,
                                        double               factor,
                                        double               x,
                                        double               y);
/* Sets the zoom, keeping the matrix point under (x, y) where it is. */
void     bs_heatmap_view_set_zoom_at   (BsHeatmapView       *view,
                                        double               zoom,
                                        double               x,
                                        double               y);
/* Moves the content by (dx, dy) widget pixels, as a drag does. */
void     bs_heatmap_view_pan           (BsHeatmapView       *view,
                                        double               dx,
                                        double               dy);
/* Pans the least needed to show the whole cell. */
void     bs_heatmap_view_ensure_visible (BsHeatmapView      *view,
                                         guint               row,
                                         guint               col);

/* The visible part of the matrix: [u0, u1] x [v0, v1]. */
void     bs_heatmap_view_get_visible   (const BsHeatmapView *view,
                                        double              *u0,
                                        double              *u1,
                                        double              *v0,
                                        double              *v1);

G_END_DECLS
