/* bs-heatmap-summary.h: more cells than pixels, shown without dropping any.
 *
 * Drawing a matrix with one sample per device pixel silently drops rows
 * and columns once the view shows more cells than there are pixels (a
 * 1,000-layer network in a 400-pixel plot loses three cells in five). A
 * summary gives every output pixel the MAXIMUM of the cells whose area
 * it overlaps. The maximum, because what a CKA heatmap is read for is
 * high similarity (the block structure), and a single high cell, two
 * layers that match, must stay visible at any size; a mean would dilute
 * it below the colour map's resolution, a minimum would hide it. The
 * price: a low cell next to higher ones is not seen until one zooms in.
 *
 * Each axis is reduced only where it has more cells in view than pixels;
 * along an axis with at least as many pixels as cells, a pixel shows the
 * cell under its centre, as the shader samples it, so cell edges stay
 * where they are. Missing cells (BS_HEATMAP_MATRIX_MISSING, and NaN) lie
 * below every value: a pixel is missing, grey, only when every cell it
 * covers is. Rows first (whole rows at once, vectorised), then columns.
 * No GTK: the OpenGL view uploads the result as its texture, the figure
 * renderer colours it into an image. */
#pragma once

#include <glib.h>

#include "bs-heatmap-view.h"

G_BEGIN_DECLS

/* What a summary covers: a window onto the matrix in cell units (column
 * c spans [c, c + 1), row r spans [r, r + 1), row 0 at the bottom),
 * divided into width x height pixels. Pixel i along an axis from lo to
 * hi spans [lo + (hi - lo) * i / n, lo + (hi - lo) * (i + 1) / n).
 * Coverage outside the matrix counts as the nearest edge cell. */
typedef struct {
  double col0;     /* left edge */
  double col1;     /* right edge, > col0 */
  double row0;     /* bottom edge */
  double row1;     /* top edge, > row0 */
  guint  width;    /* pixels */
  guint  height;
} BsHeatmapSummaryGrid;

/* The grid of what view shows, at scale device pixels per logical pixel:
 * round (view->width * scale) x round (view->height * scale) pixels. */
void         bs_heatmap_summary_grid_from_view (BsHeatmapSummaryGrid       *grid,
                                                const BsHeatmapView        *view,
                                                double                      scale);

/* Whether grid has more cells than pixels along either axis: only then
 * does a summary differ from drawing one sample per pixel. */
gboolean     bs_heatmap_summary_grid_reduces   (const BsHeatmapSummaryGrid *grid);

/* Along an axis from lo to hi in n_pixels, the cell under each pixel's
 * centre, clamped to the n_cells of the matrix: how an axis that does
 * not reduce is sampled, here and in the shader. */
void         bs_heatmap_summary_sample_axis    (double                      lo,
                                                double                      hi,
                                                guint                       n_pixels,
                                                guint                       n_cells,
                                                guint                      *cells);

typedef struct _BsHeatmapSummary BsHeatmapSummary;

/* Keeps its buffers between calls: a summary per frame allocates nothing
 * once the sizes settle. */
BsHeatmapSummary *bs_heatmap_summary_new       (void);
void              bs_heatmap_summary_free      (BsHeatmapSummary           *summary);

/* Summarises the n_rows x n_cols matrix values (row-major, row 0 first,
 * missing cells BS_HEATMAP_MATRIX_MISSING, as bs-heatmap-matrix.h holds
 * them) over grid: grid->width x grid->height floats, row-major, output
 * row 0 the bottom (row0), missing pixels BS_HEATMAP_MATRIX_MISSING, so
 * the result is drawn like the matrix itself. Owned by summary until the
 * next call; NULL for an empty matrix or grid. */
const float      *bs_heatmap_summary_compute   (BsHeatmapSummary           *summary,
                                                const float                *values,
                                                guint                       n_rows,
                                                guint                       n_cols,
                                                const BsHeatmapSummaryGrid *grid);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (BsHeatmapSummary, bs_heatmap_summary_free)

G_END_DECLS
