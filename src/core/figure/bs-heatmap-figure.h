/* bs-heatmap-figure.h: draws a CKA heatmap figure with cairo and pango.
 *
 * Everything of the figure: the cells (the matrix as an image scaled with
 * CAIRO_FILTER_NEAREST through the zoom and pan of a BsHeatmapView, or as
 * rectangles on SVG surfaces, where cairo 1.16 would blur an image; on
 * pixel surfaces with more cells in view than pixels, the maximum of the
 * cells under each pixel, see bs-heatmap-summary.h), the
 * frame, the stage boundary lines, both axes (layer numbers at a step that
 * leaves room, the stage band with stage names, the block strip, the
 * model's title), the colour bar with its ticks and the measure's name, and
 * an optional title. The cells' colours come from bs-colormap.h, the table
 * the OpenGL texture uses, so screen and paper match; every other colour
 * from the figure's palette (bs-figure-palette.h): the window's theme on
 * screen, the paper palette for export.
 *
 * The window draws its decorations with it over the OpenGL cells, and the
 * whole figure when it draws without OpenGL; a figure export can reuse it
 * for PNG, PDF and SVG surfaces alike. No GTK. */
#pragma once

#include <cairo.h>
#include <pango/pango.h>

#include "bs-colormap.h"
#include "bs-figure-analyses.h"
#include "bs-figure-layout.h"
#include "bs-figure-palette.h"
#include "bs-heatmap-matrix.h"
#include "bs-heatmap-view.h"
#include "bs-layer-info.h"

G_BEGIN_DECLS

typedef enum {
  BS_HEATMAP_FIGURE_CELLS       = 1 << 0,
  BS_HEATMAP_FIGURE_STAGE_LINES = 1 << 1,   /* over the cells, where the stage changes */
  BS_HEATMAP_FIGURE_FRAME       = 1 << 2,   /* around the plot */
  BS_HEATMAP_FIGURE_ROW_AXIS    = 1 << 3,   /* model A, left */
  BS_HEATMAP_FIGURE_COL_AXIS    = 1 << 4,   /* model B, below */
  BS_HEATMAP_FIGURE_COLORBAR    = 1 << 5,
  BS_HEATMAP_FIGURE_TITLE       = 1 << 6,
  /* The palette's background under everything: for a figure that leaves
   * the screen; not in ALL, as the window has a background of its own. */
  BS_HEATMAP_FIGURE_BACKGROUND  = 1 << 7,
  /* The analyses (bs-figure-analyses.h), when the figure has their data:
   * each layer's PC1 share beside the plot, the detected blocks over the
   * cells. Not in ALL: the window draws them itself. */
  BS_HEATMAP_FIGURE_PC1_STRIPS  = 1 << 8,
  BS_HEATMAP_FIGURE_BLOCKS      = 1 << 9,
  /* The strips' name, "PC1 share", left of the columns' strip: drawn with
   * BS_HEATMAP_FIGURE_PC1_STRIPS when the figure has the columns' shares;
   * alone for the window, which draws the strips themselves. */
  BS_HEATMAP_FIGURE_PC1_LABEL   = 1 << 10,
} BsHeatmapFigureParts;

/* What goes around the cells. */
#define BS_HEATMAP_FIGURE_DECORATIONS (BS_HEATMAP_FIGURE_STAGE_LINES | BS_HEATMAP_FIGURE_FRAME | \
                                       BS_HEATMAP_FIGURE_ROW_AXIS | BS_HEATMAP_FIGURE_COL_AXIS | \
                                       BS_HEATMAP_FIGURE_COLORBAR | BS_HEATMAP_FIGURE_TITLE)
#define BS_HEATMAP_FIGURE_ALL         (BS_HEATMAP_FIGURE_CELLS | BS_HEATMAP_FIGURE_DECORATIONS)

/* A piece of text as the figure places it, for a writer that keeps text
 * as text (SVG: cairo 1.16 writes glyphs as shapes). */
typedef struct {
  const char    *text;
  double         x;        /* the start of its baseline, in the target's device units */
  double         y;
  double         angle;    /* degrees, as cairo rotates (clockwise on a page) */
  double         size;     /* font size in device units */
  gboolean       bold;
  BsFigureColor  color;
} BsFigureText;

typedef void (*BsFigureTextFunc) (const BsFigureText *text,
                                  gpointer            user_data);

/* Shows layout at cr's current point (its top left), or, with func, hands
 * it to func instead. For text drawn around a figure. */
void bs_figure_show_layout (cairo_t          *cr,
                            PangoLayout      *layout,
                            BsFigureTextFunc  func,
                            gpointer          user_data);

/* Everything one drawing needs; pointers are borrowed for the call. */
typedef struct {
  BsFigureLayout              layout;        /* bs_figure_layout_init () */
  const BsHeatmapView        *view;          /* zoom and pan; NULL: the whole matrix */
  const BsHeatmapMatrix      *matrix;
  /* The matrix in colormap over [lo, hi] (bs-heatmap-cells.h), when the
   * caller keeps one; NULL: made for the call. */
  cairo_surface_t            *cells_image;
  const BsLayerInfo          *rows;          /* n_rows layers of model A; NULL: no stages */
  const BsLayerInfo          *cols;          /* n_cols layers of model B */
  const char                 *model_a;       /* display names, "ResNet-20"; NULL: none */
  const char                 *model_b;
  const char                 *measure;       /* above the colour bar: "CKA" */
  const char                 *title;         /* NULL: none */
  gboolean                    plain_axis_titles; /* the models' names alone, without "Model A  ·" */
  BsColormap                  colormap;
  double                      lo;            /* the values the colour map spans */
  double                      hi;
  BsFigurePalette             palette;       /* every colour but the colour map's */
  const PangoFontDescription *font;          /* NULL: "Sans 10" */
  const cairo_font_options_t *font_options;  /* NULL: the surface's */
  BsHeatmapFigureParts        parts;
  /* For BS_HEATMAP_FIGURE_PC1_STRIPS: the PC1 shares of the n_rows layers
   * of model A and the n_cols of model B (NaN: unknown); NULL: no strip. */
  const double               *row_pc1_shares;
  const double               *col_pc1_shares;
  /* For BS_HEATMAP_FIGURE_BLOCKS: the blocks to outline (bs-blocks.h). */
  const BsBlock              *blocks;
  guint                       n_blocks;
  /* Text handed over instead of drawn (NULL: drawn). */
  BsFigureTextFunc            text_func;
  gpointer                    text_data;
  /* Device pixels per figure unit (2 on a HiDPI screen): lines and the
   * plot's edges snap to that pixel grid, with the figure's origin on a
   * pixel corner, and cells are summarised when more are in view than
   * pixels (bs-heatmap-summary.h). 0: what cr's transform and surface say
   * when drawing, 1 for bs_heatmap_figure_get_marks (). */
  double                      device_scale;
} BsHeatmapFigure;

/* Defaults: the whole figure of a width x height layout at scale 1 with
 * no title, magma over [0, 1], the paper palette, "CKA". */
void bs_heatmap_figure_init             (BsHeatmapFigure       *figure,
                                         const BsHeatmapMatrix *matrix,
                                         double                 width,
                                         double                 height);

/* Draws figure->parts at figure coordinates (user space of cr). */
void bs_heatmap_figure_draw             (const BsHeatmapFigure *figure,
                                         cairo_t               *cr);

/* Where parts can draw (the union of their areas), in figure coordinates,
 * with lines snapped at device_scale (1 when 0): a caller may clip or
 * cache each part separately. */
void bs_heatmap_figure_get_part_bounds  (const BsHeatmapFigure *figure,
                                         BsHeatmapFigureParts   parts,
                                         BsFigureRect          *bounds);

/* The stage lines and the frame (those of them in parts) as
 * bs_heatmap_figure_draw () fills them: whole pixels at device_scale,
 * stage lines cut to the plot, each with the palette's halo either side
 * (every halo before every line), in drawing order; then the PC1 strips
 * and the block outlines when in parts (bs-figure-analyses.h), the
 * outlines' rings two line widths wide and their halos one. For drawing them
 * without cairo: the window puts
 * them over its OpenGL cells as colour nodes. An array of BsFigureMark;
 * free with g_array_unref (). */
GArray *bs_heatmap_figure_get_marks     (const BsHeatmapFigure *figure,
                                         BsHeatmapFigureParts   parts);

G_END_DECLS
