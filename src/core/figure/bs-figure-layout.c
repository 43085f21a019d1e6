/* bs-figure-layout.c: the geometry of a heatmap figure (see the header). */
#include "bs-figure-layout.h"

#include <math.h>

/* At scale 1, in logical pixels: what the window has always used. */
#define MARGIN_TOP      28
#define MARGIN_RIGHT    88   /* gap, colour bar, its labels */
#define MARGIN_LEFT     86   /* title, tick labels, stage band, block strip */
#define MARGIN_BOTTOM   74
#define TITLE_HEIGHT    30   /* added above the plot when there is a title */
#define MIN_PLOT        16
#define STRIP_WIDTH     5    /* the block strip next to the plot */
#define STRIP_GAP       3
#define BAND_WIDTH      16   /* the stage band outside it */
#define BAND_GAP        (STRIP_GAP + STRIP_WIDTH + 2)
#define TICK_LENGTH     4
#define COLORBAR_GAP    22
#define COLORBAR_WIDTH  14
#define PC1_STRIP_GAP   4    /* between the plot and a PC1 share strip */
#define PC1_STRIP_WIDTH 6

/* A page has no room to spare: the same parts closer together. */
#define COMPACT_TOP            20
#define COMPACT_RIGHT          58
#define COMPACT_LEFT           80
#define COMPACT_BOTTOM         68
#define COMPACT_COLORBAR_GAP   10
#define COMPACT_COLORBAR_WIDTH 10
#define RIGHT_BARE             12   /* a panel without a colour bar */

void
bs_figure_layout_get_panel_margins (double              scale,
                                    BsFigureLayoutFlags flags,
                                    double             *top,
                                    double             *right,
                                    double             *bottom,
                                    double             *left)
{
  gboolean compact = (flags & BS_FIGURE_LAYOUT_COMPACT) != 0;

  /* On a page the strips need their width above the plot (the measure's
   * name moves above them) and beside it (the colour bar moves right); the
   * window's margins have room for both. */
  double pc1 = compact && (flags & BS_FIGURE_LAYOUT_PC1_STRIPS) ? PC1_STRIP_GAP + PC1_STRIP_WIDTH : 0;

  *top = ((compact ? COMPACT_TOP : MARGIN_TOP) + pc1 + ((flags & BS_FIGURE_LAYOUT_TITLE) ? TITLE_HEIGHT : 0)) * scale;
  if ((flags & BS_FIGURE_LAYOUT_COLORBAR) == 0)
    *right = (RIGHT_BARE + pc1) * scale;
  else
    *right = ((compact ? COMPACT_RIGHT : MARGIN_RIGHT) + pc1) * scale;
  *bottom = (compact ? COMPACT_BOTTOM : MARGIN_BOTTOM) * scale;
  *left = (compact ? COMPACT_LEFT : MARGIN_LEFT) * scale;
}

void
bs_figure_layout_get_margins (double    scale,
                              gboolean  has_title,
                              double   *top,
                              double   *right,
                              double   *bottom,
                              double   *left)
{
  bs_figure_layout_get_panel_margins (scale, BS_FIGURE_LAYOUT_COLORBAR | (has_title ? BS_FIGURE_LAYOUT_TITLE : 0),
                                      top, right, bottom, left);
}

void
bs_figure_layout_init (BsFigureLayout *layout,
                       double          width,
                       double          height,
                       double          scale,
                       gboolean        has_title)
{
  bs_figure_layout_init_panel (layout, width, height, scale,
                               BS_FIGURE_LAYOUT_COLORBAR | (has_title ? BS_FIGURE_LAYOUT_TITLE : 0));
}

void
bs_figure_layout_init_panel (BsFigureLayout      *layout,
                             double               width,
                             double               height,
                             double               scale,
                             BsFigureLayoutFlags  flags)
{
  gboolean compact = (flags & BS_FIGURE_LAYOUT_COMPACT) != 0;
  gboolean pc1 = (flags & BS_FIGURE_LAYOUT_PC1_STRIPS) != 0;
  double colorbar_gap = (compact ? COMPACT_COLORBAR_GAP : COLORBAR_GAP) + (compact && pc1 ? PC1_STRIP_GAP + PC1_STRIP_WIDTH : 0);
  double avail_w, avail_h, side;
  BsFigureRect *p = &layout->plot;

  if (!(scale > 0))
    scale = 1;

  layout->width = width;
  layout->height = height;
  layout->scale = scale;
  layout->has_title = (flags & BS_FIGURE_LAYOUT_TITLE) != 0;
  layout->pc1_strips = pc1;
  bs_figure_layout_get_panel_margins (scale, flags, &layout->margin_top, &layout->margin_right,
                                      &layout->margin_bottom, &layout->margin_left);

  /* Whole units, so that cell edges and lines fall on pixel edges on
   * screen. */
  avail_w = width - layout->margin_left - layout->margin_right;
  avail_h = height - layout->margin_top - layout->margin_bottom;
  side = floor (MAX (MIN (avail_w, avail_h), MIN_PLOT));
  p->x = floor (layout->margin_left + MAX (avail_w - side, 0) / 2);
  p->y = floor (layout->margin_top + MAX (avail_h - side, 0) / 2);
  p->width = p->height = side;

  layout->row_strip = (BsFigureRect) { p->x - (STRIP_GAP + STRIP_WIDTH) * scale, p->y,
                                       STRIP_WIDTH * scale, side };
  layout->row_band = (BsFigureRect) { p->x - (BAND_GAP + BAND_WIDTH) * scale, p->y,
                                      BAND_WIDTH * scale, side };
  layout->col_strip = (BsFigureRect) { p->x, p->y + side + STRIP_GAP * scale,
                                       side, STRIP_WIDTH * scale };
  layout->col_band = (BsFigureRect) { p->x, p->y + side + BAND_GAP * scale,
                                      side, BAND_WIDTH * scale };
  layout->colorbar = (BsFigureRect) { p->x + side + colorbar_gap * scale, p->y,
                                      (compact ? COMPACT_COLORBAR_WIDTH : COLORBAR_WIDTH) * scale, side };
  layout->row_pc1 = (BsFigureRect) { p->x + side + PC1_STRIP_GAP * scale, p->y, PC1_STRIP_WIDTH * scale, side };
  layout->col_pc1 = (BsFigureRect) { p->x, p->y - (PC1_STRIP_GAP + PC1_STRIP_WIDTH) * scale,
                                     side, PC1_STRIP_WIDTH * scale };
  layout->tick_length = TICK_LENGTH * scale;
  layout->line_width = scale;
}

double
bs_figure_layout_boundary (const BsFigureLayout *layout,
                           const BsHeatmapView  *view,
                           BsFigureAxis          axis,
                           guint                 i)
{
  double x, y;

  if (axis == BS_FIGURE_AXIS_ROWS)
    {
      bs_heatmap_view_matrix_to_point (view, 0, (double) i / MAX (view->n_rows, 1), &x, &y);
      return layout->plot.y + y;
    }

  bs_heatmap_view_matrix_to_point (view, (double) i / MAX (view->n_cols, 1), 0, &x, &y);
  return layout->plot.x + x;
}
