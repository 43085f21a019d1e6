/* bs-chart-draw.h: what the window's cairo charts draw alike.
 *
 * The training charts, the linear probe chart, the convergence chart and
 * the inspector's profiles share their text (a small layout, placed by alignment), their colours
 * (a palette colour with an alpha) and their value grid: three horizontal
 * lines at 0, half and the maximum of the y axis, the bottom one in the
 * palette's line colour, the others in its grid colour, each labelled on
 * the left in the secondary text colour. */
#pragma once

#include <gtk/gtk.h>

#include "bs-figure-palette.h"

G_BEGIN_DECLS

/* text at 0.8 of the widget's font. */
PangoLayout *bs_chart_small_layout (GtkWidget           *widget,
                                    const char          *text);
void         bs_chart_set_source   (cairo_t             *cr,
                                    const BsFigureColor *color,
                                    double               alpha);
/* text with its (xalign, yalign) point at (x, y), on whole pixels, in the
 * current source. */
void         bs_chart_show_text    (cairo_t             *cr,
                                    GtkWidget           *widget,
                                    const char          *text,
                                    double               x,
                                    double               y,
                                    double               xalign,
                                    double               yalign);
/* The grid over the plot (x0, y0, w, h); labels[i] is that of the line at
 * i halves of the height from the bottom. */
void         bs_chart_draw_y_grid  (cairo_t                *cr,
                                    GtkWidget              *widget,
                                    const BsFigurePalette  *palette,
                                    double                  x0,
                                    double                  y0,
                                    double                  w,
                                    double                  h,
                                    const char *const       labels[3]);
/* The grid of a chart of values in [0, 1]: 0.0, 0.5 and 1.0 (the
 * locale's decimal sign). */
void         bs_chart_draw_unit_grid (cairo_t               *cr,
                                      GtkWidget             *widget,
                                      const BsFigurePalette *palette,
                                      double                 x0,
                                      double                 y0,
                                      double                 w,
                                      double                 h);

G_END_DECLS
