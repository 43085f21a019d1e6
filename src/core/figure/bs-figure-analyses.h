/* bs-figure-analyses.h: the analyses drawn on a heatmap figure.
 *
 * Two analyses of a CKA result belong on its heatmap, in the window and in
 * a figure for a paper alike, so both draw them from here:
 *
 * - Each layer's PC1 share (lambda_1 / trace of its centred Gram, in
 *   [0, 1]; bs-cka-pc1.h) as a thin strip of cells in the heatmap's colour
 *   map over [0, 1], whatever range the cells use: above the plot for
 *   model B's columns, right of it for model A's rows (the layout's
 *   col_pc1 and row_pc1: the other sides hold the axes), aligned with the
 *   cells through the view's zoom and pan. Where several layers share a
 *   device pixel, the last (the deepest) shows; NaN shares are the colour
 *   maps' grey.
 * - The detected blocks (bs-blocks.h) as squares on the diagonal from a
 *   block's first to its last layer: a ring in the palette's block_outline
 *   colour between a dark ring outside and a light one inside, so that
 *   one of them stands out over any colour of any map (the palette test
 *   checks the contrast); cut to the plot.
 *
 * Both come as BsFigureMark rectangles on the pixel grid of scale device
 * pixels per unit: the window appends them as colour nodes (the same
 * pixels over OpenGL and cairo cells), the figure renderer fills them
 * (bs_heatmap_figure_draw () with BS_HEATMAP_FIGURE_PC1_STRIPS and
 * BS_HEATMAP_FIGURE_BLOCKS). The view's size must be the plot's. No GTK. */
#pragma once

#include <glib.h>

#include "bs-blocks.h"
#include "bs-colormap.h"
#include "bs-figure-layout.h"
#include "bs-figure-palette.h"
#include "bs-heatmap-view.h"

G_BEGIN_DECLS

/* A rectangle the renderer fills with one colour. */
typedef struct {
  BsFigureRect  rect;
  BsFigureColor color;
} BsFigureMark;

/* Appends to marks (of BsFigureMark) one mark per layer in view of the
 * PC1 strip along axis: shares holds the n layers' shares of that axis. */
void     bs_figure_add_pc1_strip_marks (GArray               *marks,
                                        const BsFigureLayout *layout,
                                        const BsHeatmapView  *view,
                                        BsFigureAxis          axis,
                                        const double         *shares,
                                        guint                 n,
                                        BsColormap            colormap,
                                        double                scale);

/* The layer of the strip along axis (of n layers) under the point (x, y),
 * as the marks draw it (the deepest where several share a pixel). */
gboolean bs_figure_pick_pc1_strip      (const BsFigureLayout *layout,
                                        const BsHeatmapView  *view,
                                        BsFigureAxis          axis,
                                        guint                 n,
                                        double                scale,
                                        double                x,
                                        double                y,
                                        guint                *layer);

/* A block's square (its first to last layer on both axes), snapped to
 * the pixel grid; it may reach outside the plot when zoomed in. */
void     bs_figure_get_block_rect      (const BsFigureLayout *layout,
                                        const BsHeatmapView  *view,
                                        const BsBlock        *block,
                                        double                scale,
                                        BsFigureRect         *rect);

/* Appends the rings of the n_blocks blocks: ring units wide in the
 * palette's block_outline colour inside each square, halo units of
 * outline_dark outside it and of outline_light inside the ring (each at
 * least one pixel), cut to the plot. */
void     bs_figure_add_block_marks     (GArray                *marks,
                                        const BsFigureLayout  *layout,
                                        const BsHeatmapView   *view,
                                        const BsBlock         *blocks,
                                        guint                  n_blocks,
                                        const BsFigurePalette *palette,
                                        double                 ring,
                                        double                 halo,
                                        double                 scale);

G_END_DECLS
