/* bs-figure-palette.h: the colours of a heatmap figure, and their contrast.
 *
 * Every colour of a figure that is not a colour map's: text, lines, the
 * shading of the stage bands, the stage lines over the cells, and the
 * outlines the window draws around the hovered and selected cells and
 * around detected blocks (window and figures alike), plus
 * the lines of the charts beside the heatmap. A palette is made from three
 * colours of a theme (foreground, background, accent) and whether high
 * contrast is asked for; the rest is derived here so that text reaches
 * WCAG 2's 4.5:1 against whatever it sits on and lines 3:1 against the
 * background (tests/core/test-figure-palette.c checks every palette the
 * app can use). Over the cells no single colour can contrast with every
 * colour of a colour map, so lines there come in pairs: a light line with
 * a dark halo, dark and light rings around the outlined cell. Cells
 * without a value keep the colour maps' grey (bs-colormap.h) in every
 * palette; it is checked against every background.
 *
 * The window fills a palette from its GTK theme and reads it again when
 * the theme changes; a figure export uses the fixed paper palette. No GTK. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* sRGB, not premultiplied, 0 to 1. */
typedef struct {
  double red;
  double green;
  double blue;
  double alpha;
} BsFigureColor;

typedef struct {
  BsFigureColor background;        /* what the figure is drawn on: opaque */
  BsFigureColor text;              /* axis titles, the measure, the title */
  BsFigureColor text_secondary;    /* layer numbers, stage names, colour-bar labels */
  BsFigureColor line;              /* ticks, the frame, the colour bar's outline */
  BsFigureColor band[2];           /* stage band shading: even, odd stages */
  BsFigureColor strip[2];          /* block strip: even, odd blocks */
  BsFigureColor stage_line;        /* over the cells, where the stage changes */
  BsFigureColor stage_line_halo;   /* one line width either side of it */
  BsFigureColor accent;            /* the selected cell's outline */
  BsFigureColor outline_dark;      /* outside an outline over the cells */
  BsFigureColor outline_light;     /* inside it; the hovered cell's outline */
  BsFigureColor block_outline;     /* a detected block's square, between those two rings:
                                    * 3:1 against both, so it stands apart from each */
  BsFigureColor grid;              /* faint guides of a chart */
  BsFigureColor series[2];         /* a chart's two lines: accent, then orange */
  gboolean      high_contrast;     /* opaque lines, more shading, full text */
} BsFigurePalette;

/* WCAG 2's thresholds: text, and graphics (lines, outlines). */
#define BS_FIGURE_TEXT_CONTRAST    4.5
#define BS_FIGURE_GRAPHIC_CONTRAST 3.0

/* The palette of a theme: its foreground (text; may be translucent), its
 * opaque background, its accent colour, and whether high contrast is on. */
void          bs_figure_palette_init_from_theme (BsFigurePalette       *palette,
                                                 const BsFigureColor   *foreground,
                                                 const BsFigureColor   *background,
                                                 const BsFigureColor   *accent,
                                                 gboolean               high_contrast);

/* Black on white with GNOME's blue: for figures that leave the screen. */
void          bs_figure_palette_init_paper      (BsFigurePalette       *palette);

gboolean      bs_figure_palette_equal           (const BsFigurePalette *a,
                                                 const BsFigurePalette *b);

/* top drawn over the opaque bottom (source over, in sRGB as cairo and GSK
 * blend): opaque. */
BsFigureColor bs_figure_color_over              (const BsFigureColor   *top,
                                                 const BsFigureColor   *bottom);

/* WCAG 2 relative luminance of an opaque colour, 0 (black) to 1 (white). */
double        bs_figure_color_luminance         (const BsFigureColor   *color);

/* WCAG 2 contrast ratio, 1 to 21, of color drawn over the opaque
 * backdrop against the backdrop. */
double        bs_figure_contrast_ratio          (const BsFigureColor   *color,
                                                 const BsFigureColor   *backdrop);

G_END_DECLS
