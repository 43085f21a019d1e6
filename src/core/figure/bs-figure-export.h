/* bs-figure-export.h: heatmap figures for papers, as PDF, SVG or PNG, with one panel or several.
 *
 * The figure is the one the window shows (bs-heatmap-figure.h: the same
 * colour-map table, axes, stage lines and colour bar), drawn whole (no zoom)
 * in the paper palette on a white page, at a physical size: a width in
 * points (single column 3.5 in, double 7 in, or any), the height following
 * from the panels, text in one font (DejaVu Sans, which README's install
 * line brings) at a size in points. Several panels stand in a grid of
 * `columns` with one shared colour bar (beside the first row) and a title
 * each, as in Figure 1 of Nguyen et al.; panels with different layer counts
 * get the same square plot. The colour range is 0 to 1, or the data's
 * range over every panel.
 *
 * Stage boundaries are marked by the axes' stage bands; lines over the
 * cells (as on screen) are an option, off by default: on a page a line
 * with its halo covers whole cells of a deep network. Other options the
 * window and `blockscope-cli render` share: the upper triangle masked (a
 * model against itself: each pair once), a mark on cells whose
 * standard error exceeds a threshold, and the analyses: each layer's PC1
 * share in strips beside the plot and the detected blocks outlined, drawn
 * by the same code as in the window (bs-figure-analyses.h) in the paper
 * palette. The colour bar names the measure of the matrices.
 *
 * Cells are crisp: an image without interpolation in PDF and PNG, one
 * rectangle per cell in SVG. Text stays text: in PDF (pdftotext finds it)
 * and in SVG, where it is written as <text> elements in DejaVu Sans
 * (cairo 1.16 would write glyph shapes). Files
 * are written atomically: an error (a full disk, an unwritable folder)
 * leaves no partial file. No GTK. */
#pragma once

#include <cairo.h>

#include "bs-cka-snapshot.h"
#include "bs-colormap.h"
#include "bs-figure-layout.h"

G_BEGIN_DECLS

#define BS_FIGURE_WIDTH_SINGLE_PT (3.5 * 72)   /* one column of a two-column paper */
#define BS_FIGURE_WIDTH_DOUBLE_PT (7.0 * 72)   /* the whole text width */
#define BS_FIGURE_FONT            "DejaVu Sans"

typedef enum {
  BS_FIGURE_FORMAT_PDF,
  BS_FIGURE_FORMAT_SVG,
  BS_FIGURE_FORMAT_PNG,
} BsFigureFormat;

typedef enum {
  BS_FIGURE_RANGE_FIXED,   /* 0 to 1, as the window shows CKA by default */
  BS_FIGURE_RANGE_DATA,    /* the lowest to the highest value of every panel */
  BS_FIGURE_RANGE_CUSTOM,  /* lo to hi of the options */
} BsFigureRange;

typedef struct {
  BsCkaSnapshot *snapshot;   /* borrowed */
  const char    *title;      /* above the panel; NULL: none */
  const char    *model_a;    /* axis titles; NULL: the snapshot's models' display names */
  const char    *model_b;
} BsFigurePanel;

typedef struct {
  double         width_pt;             /* default BS_FIGURE_WIDTH_SINGLE_PT */
  double         font_size_pt;         /* default 8 */
  double         dpi;                  /* PNG only; default 300 */
  const char    *title;                /* above everything; NULL: none */
  const char    *measure;              /* above the colour bar; default "CKA" */
  BsColormap     colormap;             /* default magma */
  BsFigureRange  range;                /* default fixed */
  double         lo;                   /* for BS_FIGURE_RANGE_CUSTOM (lo < hi) */
  double         hi;
  gboolean       mask_upper;           /* leave the cells above the diagonal blank */
  gboolean       stage_lines;          /* lines over the cells where stages change (the
                                        * axes' stage bands mark them anyway); default off */
  double         std_error_threshold;  /* mark cells with a larger standard error; NaN: none */
  guint          columns;              /* panels per row; 0: all in one row */
  /* The analyses (bs-figure-analyses.h): each layer's PC1 share as a strip
   * above (model B) and right of (model A) the plot, in the colour map
   * over [0, 1]; every panel must carry the shares. */
  gboolean       pc1_strips;
  /* The blocks bs_blocks_find () detects in the panel's matrix at
   * block_threshold, outlined; on panels of a network against itself
   * (others have no diagonal of layers to look at). */
  gboolean       blocks;
  double         block_threshold;      /* default BS_BLOCKS_DEFAULT_THRESHOLD */
} BsFigureExportOptions;

void     bs_figure_export_options_init (BsFigureExportOptions *options);

/* From the file name's extension (.pdf, .svg, .png, any case);
 * BS_ERROR_INVALID_ARGUMENT naming the path otherwise. */
gboolean bs_figure_format_from_path    (const char            *path,
                                        BsFigureFormat        *format,
                                        GError               **error);

/* "7in", "183mm", "8.9cm", "252pt", "252" (points): a length in points.
 * BS_ERROR_INVALID_ARGUMENT for anything else or a size that is not
 * positive or larger than 100 in. */
gboolean bs_figure_parse_length        (const char            *text,
                                        double                *points,
                                        GError               **error);

/* Checks the options and panels: sizes in range, a mask only on square
 * panels, PC1 strips only for panels with PC1 shares, at least one panel. */
gboolean bs_figure_export_check        (const BsFigurePanel         *panels,
                                        guint                        n_panels,
                                        const BsFigureExportOptions *options,
                                        GError                     **error);

/* The values the colour map spans for these panels and options. */
void     bs_figure_export_get_range    (const BsFigurePanel         *panels,
                                        guint                        n_panels,
                                        const BsFigureExportOptions *options,
                                        double                      *lo,
                                        double                      *hi);

/* The page the figure needs, in points. */
void     bs_figure_export_get_size     (const BsFigurePanel         *panels,
                                        guint                        n_panels,
                                        const BsFigureExportOptions *options,
                                        double                      *width_pt,
                                        double                      *height_pt);

/* Panel i's layout (plot, PC1 strips, colour bar), relative to the
 * panel's top left, which is at (x, y) in points: for tests. */
void     bs_figure_export_get_layout   (const BsFigurePanel         *panels,
                                        guint                        n_panels,
                                        const BsFigureExportOptions *options,
                                        guint                        i,
                                        double                      *x,
                                        double                      *y,
                                        BsFigureLayout              *layout);
/* Where panel i's plot (its square of cells) lies, in points from the
 * top left of the figure: for previews and tests. */
void     bs_figure_export_get_plot     (const BsFigurePanel         *panels,
                                        guint                        n_panels,
                                        const BsFigureExportOptions *options,
                                        guint                        i,
                                        double                      *x,
                                        double                      *y,
                                        double                      *side);

/* Draws the figure with its top left at the origin of cr, one unit per
 * point (a preview, the clipboard). The panels must pass
 * bs_figure_export_check (). */
void     bs_figure_export_draw         (const BsFigurePanel         *panels,
                                        guint                        n_panels,
                                        const BsFigureExportOptions *options,
                                        cairo_t                     *cr);

/* Writes the figure to path in format (atomically). */
gboolean bs_figure_export              (const BsFigurePanel         *panels,
                                        guint                        n_panels,
                                        const BsFigureExportOptions *options,
                                        BsFigureFormat               format,
                                        const char                  *path,
                                        GError                     **error);

/* The figure as an RGB24 image at the options' dpi (its device scale is
 * pixels per point); NULL when it would be too large. */
cairo_surface_t *bs_figure_export_image (const BsFigurePanel         *panels,
                                         guint                        n_panels,
                                         const BsFigureExportOptions *options,
                                         GError                     **error);

/* The figure as a PNG in memory (for the clipboard). */
GBytes  *bs_figure_export_png_bytes    (const BsFigurePanel         *panels,
                                        guint                        n_panels,
                                        const BsFigureExportOptions *options,
                                        GError                     **error);

G_END_DECLS
