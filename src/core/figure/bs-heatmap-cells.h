/* bs-heatmap-cells.h: the cells of a heatmap in colours, one image pixel per cell.
 *
 * A CAIRO_FORMAT_RGB24 image n_cols wide and n_rows high, each pixel
 * coloured with bs_colormap_lookup () (missing values grey): the same
 * colours as the OpenGL texture. Image row 0 is the top, the last layer of
 * model A, as a picture has it. The widget keeps one between frames and
 * recolours only the rows that changed. On vector surfaces the figure
 * renderer paints it scaled with CAIRO_FILTER_NEAREST; on pixel surfaces
 * it paints an image of one pixel per device pixel sampled from it, or,
 * when more cells than pixels are in view, a summary's image
 * (bs-heatmap-summary.h). No GTK. */
#pragma once

#include <cairo.h>
#include <glib.h>

#include "bs-colormap.h"
#include "bs-heatmap-matrix.h"
#include "bs-heatmap-summary.h"

G_BEGIN_DECLS

typedef struct _BsHeatmapCells BsHeatmapCells;

BsHeatmapCells  *bs_heatmap_cells_new         (void);
void             bs_heatmap_cells_free        (BsHeatmapCells        *cells);

/* Brings the image up to date with matrix, coloured with map over
 * [lo, hi]: all of it when the shape, the map or the range changed since
 * the last call, otherwise the matrix's dirty rows, which it clears (so
 * nothing else may draw from them at the same time). Returns the number of
 * rows it coloured. */
guint            bs_heatmap_cells_update      (BsHeatmapCells        *cells,
                                               BsHeatmapMatrix       *matrix,
                                               BsColormap             map,
                                               double                 lo,
                                               double                 hi);
/* The image; NULL before the first update and for an empty matrix. */
cairo_surface_t *bs_heatmap_cells_get_surface (BsHeatmapCells        *cells);

/* A new image of the whole matrix, for drawings that keep none; NULL for
 * an empty matrix. */
cairo_surface_t *bs_heatmap_cells_create_image (const BsHeatmapMatrix *matrix,
                                                BsColormap             map,
                                                double                 lo,
                                                double                 hi);

/* The cell under the centre of each pixel of grid (which must not
 * reduce: see bs_heatmap_summary_grid_reduces ()), taken from a cells
 * image: an image of grid->width x grid->height to paint one pixel per
 * device pixel, where every cell edge lies where the hit test and the
 * shader put it (cairo's own scaling of an image with a device scale is
 * off by up to a tenth of a pixel). NULL for an empty grid. */
cairo_surface_t *bs_heatmap_cells_create_sampled_image (cairo_surface_t            *cells_image,
                                                        const BsHeatmapSummaryGrid *grid);

/* A summary (bs_heatmap_summary_compute ()) of width x height pixels in
 * colours, by the same rule: an image to paint one pixel per device
 * pixel. NULL for an empty summary. */
cairo_surface_t *bs_heatmap_cells_create_summary_image (const float *summary,
                                                        guint        width,
                                                        guint        height,
                                                        BsColormap   map,
                                                        double       lo,
                                                        double       hi);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (BsHeatmapCells, bs_heatmap_cells_free)

G_END_DECLS
