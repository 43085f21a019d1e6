/* bs-figure-layout.h: where the parts of a heatmap figure go.
 *
 * A figure of width x height units (logical pixels on screen, points in a
 * PDF) holds a square plot, as in the paper's figures, whatever the layer
 * counts. The margins around it hold the axes of model A (left) and model
 * B (bottom), each with its layer numbers, stage band and block strip, the
 * colour bar (right) and, when there is one, the title (top). Every length
 * is multiplied by scale (1 on screen), text sizes too. No GTK. */
#pragma once

#include <glib.h>

#include "bs-heatmap-view.h"

G_BEGIN_DECLS

typedef struct {
  double x;
  double y;
  double width;
  double height;
} BsFigureRect;

typedef enum {
  BS_FIGURE_AXIS_ROWS,   /* model A, vertical, layer 0 at the bottom */
  BS_FIGURE_AXIS_COLS,   /* model B, horizontal, layer 0 at the left */
} BsFigureAxis;

typedef struct {
  double       width;
  double       height;
  double       scale;
  gboolean     has_title;

  double       margin_top;
  double       margin_right;
  double       margin_bottom;
  double       margin_left;

  BsFigureRect plot;         /* the square of cells, whole units */
  BsFigureRect row_band;     /* stage band left of the plot (full plot height) */
  BsFigureRect row_strip;    /* block strip between the band and the plot */
  BsFigureRect col_band;     /* stage band below the plot (full plot width) */
  BsFigureRect col_strip;
  BsFigureRect colorbar;     /* the gradient, beside the plot */
  BsFigureRect row_pc1;      /* model A's PC1 share strip, right of the plot (full height) */
  BsFigureRect col_pc1;      /* model B's, above the plot (full width) */
  gboolean     pc1_strips;   /* the margins make room for them (BS_FIGURE_LAYOUT_PC1_STRIPS) */
  double       tick_length;
  double       line_width;   /* frame, ticks and boundary lines */
} BsFigureLayout;

/* Places the plot, as large as the margins allow (at least 16 units), in
 * the middle of what they leave. */
void   bs_figure_layout_init          (BsFigureLayout       *layout,
                                       double                width,
                                       double                height,
                                       double                scale,
                                       gboolean              has_title);

typedef enum {
  BS_FIGURE_LAYOUT_TITLE    = 1 << 0,   /* room for a title above the plot */
  BS_FIGURE_LAYOUT_COLORBAR = 1 << 1,   /* room for the colour bar; without, a narrow gap
                                         * (the colorbar rectangle is still set beside the plot) */
  BS_FIGURE_LAYOUT_COMPACT  = 1 << 2,   /* a page's margins: the parts closer together */
  /* Room for the PC1 share strips above and right of the plot: the colour
   * bar further right and the measure's name above the column strip (the
   * window's margins have the room; a page's grow). row_pc1 and col_pc1
   * are set without it too. */
  BS_FIGURE_LAYOUT_PC1_STRIPS = 1 << 3,
} BsFigureLayoutFlags;

/* The same with flags: one panel of several sharing a colour bar, or a
 * figure for a page. bs_figure_layout_init () is COLORBAR (and TITLE). */
void   bs_figure_layout_init_panel    (BsFigureLayout       *layout,
                                       double                width,
                                       double                height,
                                       double                scale,
                                       BsFigureLayoutFlags   flags);

/* The margins alone: the figure around a plot of side s is
 * left + s + right wide and top + s + bottom high. */
void   bs_figure_layout_get_margins   (double                scale,
                                       gboolean              has_title,
                                       double               *top,
                                       double               *right,
                                       double               *bottom,
                                       double               *left);
void   bs_figure_layout_get_panel_margins (double              scale,
                                           BsFigureLayoutFlags flags,
                                           double             *top,
                                           double             *right,
                                           double             *bottom,
                                           double             *left);

/* Figure coordinate of the boundary before layer index i (0 .. n) along
 * axis, under view (whose size must be the plot's): x for the columns, y
 * for the rows. Zoomed in, it may lie outside the plot. */
double bs_figure_layout_boundary      (const BsFigureLayout *layout,
                                       const BsHeatmapView  *view,
                                       BsFigureAxis          axis,
                                       guint                 i);

G_END_DECLS
