/* bs-heatmap-cells.h: the cells of a heatmap in colours, one image pixel per cell.
 *
 * A CAIRO_FORMAT_RGB24 image n_cols wide and n_rows high, each pixel
 * coloured with bs_colormap_lookup () (missing values grey): the same
 * colours as the OpenGL texture. Image row 0 is the top, the last layer of
 * model A, as a picture has it. The figure renderer paints it scaled with
 * CAIRO_FILTER_NEAREST; the widget keeps one between frames and recolours
 * only the rows that changed. No GTK. */
#pragma once

#include <cairo.h>
#include <glib.h>

#include "bs-colormap.h"
#include "bs-heatmap-matrix.h"

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

G_DEFINE_AUTOPTR_CLEANUP_FUNC (BsHeatmapCells, bs_heatmap_cells_free)

G_END_DECLS
