/* bs-figure-export.c: heatmap figures as PDF, SVG and PNG (see the header). */
#include "bs-config.h"

#include "bs-figure-export.h"

#include <cairo-pdf.h>
#include <cairo-svg.h>
#include <glib/gi18n-lib.h>
#include <pango/pangocairo.h>
#include <math.h>
#include <string.h>

#include "bs-atomic-file.h"
#include "bs-blocks.h"
#include "bs-error.h"
#include "bs-heatmap-figure.h"
#include "bs-model-spec.h"

#define MAX_PANELS     64
#define MIN_WIDTH_PT   36.0      /* half an inch */
#define MAX_WIDTH_PT   7200.0    /* 100 in */
#define MIN_FONT_PT    4.0
#define MAX_FONT_PT    72.0
#define MIN_DPI        10.0
#define MAX_DPI        2400.0
#define MAX_PIXELS     20000     /* per side of a PNG: cairo's images stop at 32767 */
#define MIN_PLOT_PT    16.0
/* The figure's lengths are made for a 10-unit font (bs-figure-layout.c):
 * the whole figure scales with the font. */
#define LAYOUT_FONT_UNITS 10.0
#define VECTOR_GRID    100.0     /* snapping steps per point on PDF and SVG pages */

void
bs_figure_export_options_init (BsFigureExportOptions *options)
{
  memset (options, 0, sizeof *options);
  options->width_pt = BS_FIGURE_WIDTH_SINGLE_PT;
  options->font_size_pt = 8;
  options->dpi = 300;
  options->measure = "CKA";
  options->colormap = BS_COLORMAP_MAGMA;
  options->range = BS_FIGURE_RANGE_FIXED;
  options->lo = 0;
  options->hi = 1;
  options->std_error_threshold = NAN;
  options->block_threshold = BS_BLOCKS_DEFAULT_THRESHOLD;
}

gboolean
bs_figure_format_from_path (const char      *path,
                            BsFigureFormat  *format,
                            GError         **error)
{
  g_autofree char *lower = g_ascii_strdown (path, -1);

  if (g_str_has_suffix (lower, ".pdf"))
    *format = BS_FIGURE_FORMAT_PDF;
  else if (g_str_has_suffix (lower, ".svg"))
    *format = BS_FIGURE_FORMAT_SVG;
  else if (g_str_has_suffix (lower, ".png"))
    *format = BS_FIGURE_FORMAT_PNG;
  else
    {
      g_set_error (error, BS_ERROR, BS_ERROR_INVALID_ARGUMENT,
                   /* Translators: %s is a file name. */
                   _("Cannot tell the figure format of '%s': name it .pdf, .svg or .png"), path);
      return FALSE;
    }
  return TRUE;
}

gboolean
bs_figure_parse_length (const char  *text,
                        double      *points,
                        GError     **error)
{
  static const struct { const char *unit; double points; } units[] = {
    { "in", 72.0 }, { "mm", 72.0 / 25.4 }, { "cm", 72.0 / 2.54 }, { "pt", 1.0 }, { "", 1.0 },
  };
  g_autofree char *clean = g_strstrip (g_strdup (text != NULL ? text : ""));
  char *end = NULL;
  double value = g_ascii_strtod (clean, &end);

  if (end != clean && isfinite (value))
    for (guint i = 0; i < G_N_ELEMENTS (units); i++)
      if (g_ascii_strcasecmp (g_strstrip (end), units[i].unit) == 0)
        {
          double pt = value * units[i].points;

          if (pt > 0 && pt <= MAX_WIDTH_PT)
            {
              *points = pt;
              return TRUE;
            }
          break;
        }

  g_set_error (error, BS_ERROR, BS_ERROR_INVALID_ARGUMENT,
               /* Translators: %s is what the user typed as a figure size. */
               _("'%s' is not a figure size: give a positive length up to 100 in, such as 3.5in, 89mm or 252pt"),
               text != NULL ? text : "");
  return FALSE;
}

/* ---------------------------------------------------------------- geometry */

/* Where the panels go: a grid of equal square plots. Only the first row's
 * last panel has the (shared) colour bar; the others end in a narrow gap. */
typedef struct {
  double scale;          /* figure units per layout unit: font size / 10 */
  guint  columns;
  guint  rows;
  gboolean panel_titles;
  gboolean pc1_strips;
  double top, bare_right, full_right, bottom, left;
  double side;           /* of every plot */
  double title_height;   /* the figure's own title, above the grid */
  double width;
  double height;
} Grid;

static gboolean
any_panel_title (const BsFigurePanel *panels,
                 guint                n_panels)
{
  for (guint i = 0; i < n_panels; i++)
    if (panels[i].title != NULL && panels[i].title[0] != '\0')
      return TRUE;
  return FALSE;
}

static BsFigureLayoutFlags
panel_flags (const Grid *g,
             gboolean    has_colorbar)
{
  return BS_FIGURE_LAYOUT_COMPACT | (g->panel_titles ? BS_FIGURE_LAYOUT_TITLE : 0)
         | (has_colorbar ? BS_FIGURE_LAYOUT_COLORBAR : 0) | (g->pc1_strips ? BS_FIGURE_LAYOUT_PC1_STRIPS : 0);
}

static void
grid_init (Grid                        *g,
           const BsFigurePanel         *panels,
           guint                        n_panels,
           const BsFigureExportOptions *options)
{
  double unused;

  g->scale = options->font_size_pt / LAYOUT_FONT_UNITS;
  g->columns = options->columns == 0 ? n_panels : MIN (options->columns, n_panels);
  g->rows = (n_panels + g->columns - 1) / g->columns;
  g->panel_titles = any_panel_title (panels, n_panels);
  g->pc1_strips = options->pc1_strips;
  bs_figure_layout_get_panel_margins (g->scale, panel_flags (g, TRUE), &g->top, &g->full_right, &g->bottom,
                                      &g->left);
  bs_figure_layout_get_panel_margins (g->scale, panel_flags (g, FALSE), &unused, &g->bare_right, &unused, &unused);
  g->width = options->width_pt;
  g->side = floor ((g->width - g->columns * g->left - (g->columns - 1) * g->bare_right - g->full_right)
                   / g->columns);
  g->title_height = options->title != NULL && options->title[0] != '\0' ? ceil (2.6 * options->font_size_pt) : 0;
  g->height = g->title_height + g->rows * (g->top + g->side + g->bottom);
}

/* Panel i's rectangle in the figure, and whether it has the colour bar. */
static void
grid_panel (const Grid *g,
            guint       i,
            double     *x,
            double     *y,
            double     *width,
            double     *height,
            gboolean   *has_colorbar)
{
  guint row = i / g->columns, col = i % g->columns;

  *has_colorbar = row == 0 && col == g->columns - 1;
  *x = col * (g->left + g->side + g->bare_right);
  *y = g->title_height + row * (g->top + g->side + g->bottom);
  *width = g->left + g->side + (*has_colorbar ? g->full_right : g->bare_right);
  *height = g->top + g->side + g->bottom;
}

gboolean
bs_figure_export_check (const BsFigurePanel         *panels,
                        guint                        n_panels,
                        const BsFigureExportOptions *options,
                        GError                     **error)
{
  const char *bad = NULL;
  Grid g;

  if (n_panels == 0 || n_panels > MAX_PANELS)
    bad = _("a figure has between 1 and 64 panels");
  else if (!(options->width_pt >= MIN_WIDTH_PT && options->width_pt <= MAX_WIDTH_PT))
    bad = _("the width must be between 0.5 in and 100 in");
  else if (!(options->font_size_pt >= MIN_FONT_PT && options->font_size_pt <= MAX_FONT_PT))
    bad = _("the font size must be between 4 pt and 72 pt");
  else if (!(options->dpi >= MIN_DPI && options->dpi <= MAX_DPI))
    bad = _("the resolution must be between 10 and 2400 dpi");
  else if (options->range == BS_FIGURE_RANGE_CUSTOM
           && !(isfinite (options->lo) && isfinite (options->hi) && options->lo < options->hi))
    bad = _("the colour range must run from a lower to a higher finite value");
  else if (!(isnan (options->std_error_threshold) || options->std_error_threshold >= 0))
    bad = _("the standard-error threshold must be zero or positive");
  else if (options->blocks && !isfinite (options->block_threshold))
    bad = _("the block threshold must be a finite number");

  if (bad == NULL)
    for (guint i = 0; i < n_panels; i++)
      {
        if (panels[i].snapshot == NULL)
          bad = _("a panel has no matrix");
        else if (options->mask_upper
                 && bs_cka_snapshot_get_n_rows (panels[i].snapshot) != bs_cka_snapshot_get_n_cols (panels[i].snapshot))
          bad = _("only a square matrix (a model against itself) can have its upper triangle masked");
        else if (options->pc1_strips && !bs_cka_snapshot_has_pc1_shares (panels[i].snapshot))
          bad = _("a matrix without its layers' PC1 shares cannot have PC1 strips: compute it with the PC1 "
                  "analysis (blockscope-cli cka --pc1, or in the window)");
        if (bad != NULL)
          break;
      }

  if (bad == NULL)
    {
      grid_init (&g, panels, n_panels, options);
      if (g.side < MIN_PLOT_PT * g.scale)
        bad = _("the width leaves no room for the panels: make the figure wider, the font smaller or use fewer "
                "columns");
    }

  if (bad != NULL)
    {
      g_set_error (error, BS_ERROR, BS_ERROR_INVALID_ARGUMENT, _("Cannot draw the figure: %s"), bad);
      return FALSE;
    }
  return TRUE;
}

void
bs_figure_export_get_size (const BsFigurePanel         *panels,
                           guint                        n_panels,
                           const BsFigureExportOptions *options,
                           double                      *width_pt,
                           double                      *height_pt)
{
  Grid g;

  grid_init (&g, panels, n_panels, options);
  *width_pt = g.width;
  *height_pt = ceil (g.height);
}

void
bs_figure_export_get_layout (const BsFigurePanel         *panels,
                             guint                        n_panels,
                             const BsFigureExportOptions *options,
                             guint                        i,
                             double                      *x,
                             double                      *y,
                             BsFigureLayout              *layout)
{
  double w, h;
  gboolean has_colorbar;
  Grid g;

  g_return_if_fail (i < n_panels);

  grid_init (&g, panels, n_panels, options);
  grid_panel (&g, i, x, y, &w, &h, &has_colorbar);
  bs_figure_layout_init_panel (layout, w, h, g.scale, panel_flags (&g, has_colorbar));
}

void
bs_figure_export_get_plot (const BsFigurePanel         *panels,
                           guint                        n_panels,
                           const BsFigureExportOptions *options,
                           guint                        i,
                           double                      *x,
                           double                      *y,
                           double                      *side)
{
  BsFigureLayout layout;
  double px, py, w, h;
  gboolean has_colorbar;
  Grid g;

  g_return_if_fail (i < n_panels);

  grid_init (&g, panels, n_panels, options);
  grid_panel (&g, i, &px, &py, &w, &h, &has_colorbar);
  bs_figure_layout_init_panel (&layout, w, h, g.scale, panel_flags (&g, has_colorbar));
  *x = px + layout.plot.x;
  *y = py + layout.plot.y;
  *side = layout.plot.width;
}

void
bs_figure_export_get_range (const BsFigurePanel         *panels,
                            guint                        n_panels,
                            const BsFigureExportOptions *options,
                            double                      *lo,
                            double                      *hi)
{
  gboolean any = FALSE;

  *lo = 0;
  *hi = 1;
  if (options->range == BS_FIGURE_RANGE_CUSTOM)
    {
      *lo = options->lo;
      *hi = options->hi;
      return;
    }
  if (options->range != BS_FIGURE_RANGE_DATA)
    return;

  for (guint i = 0; i < n_panels; i++)
    {
      g_autoptr(BsHeatmapMatrix) matrix = bs_heatmap_matrix_new ();
      double plo, phi;

      bs_heatmap_matrix_update (matrix, panels[i].snapshot);
      if (!bs_heatmap_matrix_get_data_range (matrix, &plo, &phi))
        continue;
      *lo = any ? MIN (*lo, plo) : plo;
      *hi = any ? MAX (*hi, phi) : phi;
      any = TRUE;
    }
  if (!any || !(*hi > *lo))
    {
      /* No values, or all equal: a range around them that still maps. */
      *lo = any ? *lo - 0.5 : 0;
      *hi = *lo + 1;
    }
}

/* ---------------------------------------------------------------- drawing */

static void
set_color (cairo_t             *cr,
           const BsFigureColor *color)
{
  cairo_set_source_rgba (cr, color->red, color->green, color->blue, color->alpha);
}

/* The cells above the diagonal (column > row; row 0 is at the bottom) as
 * one staircase, so that no seams show between them in a viewer. */
static void
draw_mask (const BsHeatmapFigure *figure,
           cairo_t               *cr)
{
  const BsFigureRect *p = &figure->layout.plot;
  guint n = bs_heatmap_matrix_get_n_rows (figure->matrix);
  double cw = p->width / n, ch = p->height / n;

  cairo_move_to (cr, p->x + p->width, p->y + p->height);
  for (guint r = 0; r < n; r++)
    {
      double x = p->x + (r + 1) * cw, bottom = p->y + p->height - r * ch;

      cairo_line_to (cr, x, bottom);
      cairo_line_to (cr, x, bottom - ch);
    }
  cairo_close_path (cr);
  set_color (cr, &figure->palette.background);
  cairo_fill (cr);
}

/* A light dot with a dark ring on every cell whose standard error exceeds
 * threshold: visible over any colour of the map. */
static void
draw_uncertain (const BsHeatmapFigure *figure,
                const BsCkaSnapshot   *snapshot,
                double                 threshold,
                gboolean               mask_upper,
                cairo_t               *cr)
{
  const BsFigureRect *p = &figure->layout.plot;
  guint n_rows = bs_cka_snapshot_get_n_rows (snapshot), n_cols = bs_cka_snapshot_get_n_cols (snapshot);
  double cw = p->width / n_cols, ch = p->height / n_rows;
  double radius = 0.22 * MIN (cw, ch);
  gboolean any = FALSE;

  for (guint r = 0; r < n_rows; r++)
    for (guint c = 0; c < n_cols; c++)
      {
        double se = bs_cka_snapshot_get_std_error (snapshot, r, c);

        if (!(se > threshold) || (mask_upper && c > r))
          continue;
        cairo_new_sub_path (cr);
        cairo_arc (cr, p->x + (c + 0.5) * cw, p->y + p->height - (r + 0.5) * ch, radius, 0, 2 * G_PI);
        any = TRUE;
      }
  if (!any)
    return;
  set_color (cr, &figure->palette.outline_light);
  cairo_fill_preserve (cr);
  set_color (cr, &figure->palette.outline_dark);
  cairo_set_line_width (cr, MAX (0.3 * radius, 0.15));
  cairo_stroke (cr);
}

static void
draw_title (const char                  *title,
            const BsFigureExportOptions *options,
            const Grid                  *g,
            const BsFigurePalette       *palette,
            BsFigureTextFunc             text_func,
            gpointer                     text_data,
            cairo_t                     *cr)
{
  g_autoptr(PangoLayout) layout = pango_cairo_create_layout (cr);
  PangoFontDescription *font = pango_font_description_from_string (BS_FIGURE_FONT);
  int w, h;

  pango_font_description_set_absolute_size (font, 1.25 * options->font_size_pt * PANGO_SCALE);
  pango_font_description_set_weight (font, PANGO_WEIGHT_BOLD);
  pango_layout_set_font_description (layout, font);
  pango_layout_set_text (layout, title, -1);
  /* One line across the page: a longer title is cut with an ellipsis. */
  pango_layout_set_width (layout, (int) ((g->width - options->font_size_pt) * PANGO_SCALE));
  pango_layout_set_ellipsize (layout, PANGO_ELLIPSIZE_END);
  pango_layout_get_size (layout, &w, &h);
  set_color (cr, &palette->text);
  cairo_move_to (cr, (g->width - (double) w / PANGO_SCALE) / 2, (g->title_height - (double) h / PANGO_SCALE) / 2);
  bs_figure_show_layout (cr, layout, text_func, text_data);
  pango_font_description_free (font);
}

/* Each layer's PC1 share along both axes (NaN where unknown). */
static void
get_pc1_shares (const BsCkaSnapshot  *snapshot,
                double              **rows,
                double              **cols)
{
  guint n_rows = bs_cka_snapshot_get_n_rows (snapshot), n_cols = bs_cka_snapshot_get_n_cols (snapshot);

  *rows = g_new (double, MAX (n_rows, 1));
  *cols = g_new (double, MAX (n_cols, 1));
  for (guint r = 0; r < n_rows; r++)
    (*rows)[r] = bs_cka_snapshot_get_row_pc1_share (snapshot, r, NULL);
  for (guint c = 0; c < n_cols; c++)
    (*cols)[c] = bs_cka_snapshot_get_col_pc1_share (snapshot, c, NULL);
}

/* The blocks of a network against itself (as the window finds them,
 * bs-heatmap-blocks.c), NULL for other panels. */
static GArray *
find_blocks (const BsCkaSnapshot *snapshot,
             double               threshold)
{
  BsBlocksOptions options;
  g_autoptr(GError) error = NULL;
  GArray *blocks;

  if (bs_cka_snapshot_get_n_rows (snapshot) != bs_cka_snapshot_get_n_cols (snapshot)
      || g_strcmp0 (bs_cka_snapshot_get_model_a (snapshot), bs_cka_snapshot_get_model_b (snapshot)) != 0)
    return NULL;
  bs_blocks_options_init (&options);
  options.threshold = threshold;
  blocks = bs_blocks_find (bs_cka_snapshot_get_values (snapshot), bs_cka_snapshot_get_n_rows (snapshot),
                           bs_cka_snapshot_get_n_cols (snapshot), &options, &error);
  /* The options were checked (bs_figure_export_check ()). */
  if (blocks == NULL)
    g_warning ("Block detection failed: %s", error->message);
  return blocks;
}

static void
draw_figure (const BsFigurePanel         *panels,
             guint                        n_panels,
             const BsFigureExportOptions *options,
             BsFigureTextFunc             text_func,
             gpointer                     text_data,
             cairo_t                     *cr)
{
  g_autoptr(GPtrArray) matrices = g_ptr_array_new_with_free_func ((GDestroyNotify) bs_heatmap_matrix_free);
  PangoFontDescription *font = pango_font_description_from_string (BS_FIGURE_FONT);
  BsFigurePalette palette;
  double lo, hi;
  Grid g;

  grid_init (&g, panels, n_panels, options);
  bs_figure_palette_init_paper (&palette);
  /* Ten figure units (points on a page) before the layout's scale, so the
   * text is font_size_pt whatever resolution pango assumes (96 dpi would
   * make "10" 13.3 points). */
  pango_font_description_set_absolute_size (font, LAYOUT_FONT_UNITS * PANGO_SCALE);

  for (guint i = 0; i < n_panels; i++)
    {
      BsHeatmapMatrix *matrix = bs_heatmap_matrix_new ();

      bs_heatmap_matrix_update (matrix, panels[i].snapshot);
      g_ptr_array_add (matrices, matrix);
    }
  bs_figure_export_get_range (panels, n_panels, options, &lo, &hi);

  cairo_save (cr);
  set_color (cr, &palette.background);
  cairo_rectangle (cr, 0, 0, g.width, ceil (g.height));
  cairo_fill (cr);
  if (g.title_height > 0)
    draw_title (options->title, options, &g, &palette, text_func, text_data, cr);

  for (guint i = 0; i < n_panels; i++)
    {
      const BsFigurePanel *panel = &panels[i];
      g_autofree char *model_a = panel->model_a ? NULL
                                 : bs_model_spec_display_name (bs_cka_snapshot_get_model_a (panel->snapshot));
      g_autofree char *model_b = panel->model_b ? NULL
                                 : bs_model_spec_display_name (bs_cka_snapshot_get_model_b (panel->snapshot));
      BsHeatmapFigure figure;
      double x, y, w, h;
      gboolean has_colorbar;

      g_autofree double *row_shares = NULL;
      g_autofree double *col_shares = NULL;
      g_autoptr(GArray) blocks = NULL;

      grid_panel (&g, i, &x, &y, &w, &h, &has_colorbar);
      bs_heatmap_figure_init (&figure, g_ptr_array_index (matrices, i), w, h);
      bs_figure_layout_init_panel (&figure.layout, w, h, g.scale, panel_flags (&g, has_colorbar));
      figure.rows = bs_cka_snapshot_get_rows (panel->snapshot);
      figure.cols = bs_cka_snapshot_get_cols (panel->snapshot);
      figure.model_a = panel->model_a ? panel->model_a : model_a;
      figure.model_b = panel->model_b ? panel->model_b : model_b;
      figure.title = panel->title;
      figure.plain_axis_titles = TRUE;
      figure.measure = options->measure;
      figure.colormap = options->colormap;
      figure.lo = lo;
      figure.hi = hi;
      figure.font = font;
      figure.text_func = text_func;
      figure.text_data = text_data;
      /* Print wants finer lines than a screen: half as wide, so that stage
       * lines and their halos cover less of small cells. */
      figure.layout.line_width *= 0.5;
      /* Vector pages are not pixels: snap to a grid far finer than any
       * printer's (on images the surface's pixels, from cr). */
      if (cairo_surface_get_type (cairo_get_target (cr)) != CAIRO_SURFACE_TYPE_IMAGE)
        figure.device_scale = VECTOR_GRID;

      cairo_save (cr);
      cairo_translate (cr, x, y);
      figure.parts = BS_HEATMAP_FIGURE_CELLS | (options->stage_lines ? BS_HEATMAP_FIGURE_STAGE_LINES : 0);
      bs_heatmap_figure_draw (&figure, cr);
      if (options->mask_upper)
        draw_mask (&figure, cr);
      if (!isnan (options->std_error_threshold))
        draw_uncertain (&figure, panel->snapshot, options->std_error_threshold, options->mask_upper, cr);
      if (options->pc1_strips)
        {
          get_pc1_shares (panel->snapshot, &row_shares, &col_shares);
          figure.row_pc1_shares = row_shares;
          figure.col_pc1_shares = col_shares;
        }
      blocks = options->blocks ? find_blocks (panel->snapshot, options->block_threshold) : NULL;
      if (blocks != NULL)
        {
          figure.blocks = (const BsBlock *) blocks->data;
          figure.n_blocks = blocks->len;
        }
      figure.parts = (options->pc1_strips ? BS_HEATMAP_FIGURE_PC1_STRIPS : 0) | (blocks != NULL ? BS_HEATMAP_FIGURE_BLOCKS : 0)
                     | BS_HEATMAP_FIGURE_FRAME | BS_HEATMAP_FIGURE_ROW_AXIS | BS_HEATMAP_FIGURE_COL_AXIS
                     | (figure.title != NULL ? BS_HEATMAP_FIGURE_TITLE : 0)
                     | (has_colorbar ? BS_HEATMAP_FIGURE_COLORBAR : 0);
      bs_heatmap_figure_draw (&figure, cr);
      cairo_restore (cr);
    }
  cairo_restore (cr);
  pango_font_description_free (font);
}

void
bs_figure_export_draw (const BsFigurePanel         *panels,
                       guint                        n_panels,
                       const BsFigureExportOptions *options,
                       cairo_t                     *cr)
{
  draw_figure (panels, n_panels, options, NULL, NULL, cr);
}

/* ---------------------------------------------------------------- SVG text */

/* cairo 1.16 writes text into SVG as glyph shapes: the figure's text is
 * kept aside instead and added as <text> elements, selectable and
 * editable (in Inkscape, say), in the figure's font. */
static void
collect_svg_text (const BsFigureText *text,
                  gpointer            user_data)
{
  GString *svg = user_data;
  g_autofree char *escaped = g_markup_escape_text (text->text, -1);
  char x[G_ASCII_DTOSTR_BUF_SIZE], y[G_ASCII_DTOSTR_BUF_SIZE], size[G_ASCII_DTOSTR_BUF_SIZE];
  char angle[G_ASCII_DTOSTR_BUF_SIZE], opacity[G_ASCII_DTOSTR_BUF_SIZE];

  g_ascii_formatd (x, sizeof x, "%.3f", text->x);
  g_ascii_formatd (y, sizeof y, "%.3f", text->y);
  g_ascii_formatd (size, sizeof size, "%.3f", text->size);
  g_ascii_formatd (angle, sizeof angle, "%.3f", text->angle);
  g_ascii_formatd (opacity, sizeof opacity, "%.3f", text->color.alpha);
  g_string_append_printf (svg, "<text x=\"%s\" y=\"%s\" font-family=\"%s\" font-size=\"%s\"%s "
                          "fill=\"rgb(%d,%d,%d)\"", x, y, BS_FIGURE_FONT, size,
                          text->bold ? " font-weight=\"bold\"" : "",
                          (int) lround (255 * text->color.red), (int) lround (255 * text->color.green),
                          (int) lround (255 * text->color.blue));
  if (text->color.alpha < 1)
    g_string_append_printf (svg, " fill-opacity=\"%s\"", opacity);
  if (fabs (text->angle) > 1e-9)
    g_string_append_printf (svg, " transform=\"rotate(%s %s %s)\"", angle, x, y);
  g_string_append_printf (svg, " xml:space=\"preserve\">%s</text>\n", escaped);
}

/* ---------------------------------------------------------------- files */

typedef struct {
  BsAtomicFile *file;     /* or NULL: into bytes */
  GByteArray   *bytes;
  GError       *error;
} Sink;

static cairo_status_t
sink_write (void                *closure,
            const unsigned char *data,
            unsigned int         length)
{
  Sink *sink = closure;

  if (sink->error != NULL)
    return CAIRO_STATUS_WRITE_ERROR;
  if (sink->file == NULL)
    {
      g_byte_array_append (sink->bytes, data, length);
      return CAIRO_STATUS_SUCCESS;
    }
  return bs_atomic_file_write (sink->file, data, length, &sink->error) ? CAIRO_STATUS_SUCCESS
                                                                        : CAIRO_STATUS_WRITE_ERROR;
}

/* The error of a surface that failed without a write error of ours. */
static void
set_cairo_error (GError         **error,
                 const char      *path,
                 cairo_status_t   status)
{
  g_set_error (error, BS_ERROR, BS_ERROR_IO,
               /* Translators: a file name and cairo's reason. */
               _("Cannot draw the figure into '%s': %s"), path, cairo_status_to_string (status));
}

/* An image of width x height points at the options' dpi, white, with
 * points as its units (device scale), or NULL when it would be too large. */
static cairo_surface_t *
create_image (const BsFigureExportOptions *options,
              double                       width,
              double                       height,
              GError                     **error)
{
  double pixels_per_point = options->dpi / 72.0;
  double w = ceil (width * pixels_per_point), h = ceil (height * pixels_per_point);
  cairo_surface_t *surface;

  if (w > MAX_PIXELS || h > MAX_PIXELS)
    {
      g_set_error (error, BS_ERROR, BS_ERROR_INVALID_ARGUMENT,
                   /* Translators: the PNG's width and height in pixels. */
                   _("Cannot draw the figure: %.0f × %.0f pixels is too large for a PNG; lower the "
                     "resolution or the size"), w, h);
      return NULL;
    }
  surface = cairo_image_surface_create (CAIRO_FORMAT_RGB24, (int) w, (int) h);
  cairo_surface_set_device_scale (surface, pixels_per_point, pixels_per_point);
  {
    /* White to the last pixel, which the page may cover only in part. */
    cairo_t *cr = cairo_create (surface);

    cairo_set_source_rgb (cr, 1, 1, 1);
    cairo_paint (cr);
    cairo_destroy (cr);
  }
  return surface;
}

cairo_surface_t *
bs_figure_export_image (const BsFigurePanel         *panels,
                        guint                        n_panels,
                        const BsFigureExportOptions *options,
                        GError                     **error)
{
  cairo_surface_t *surface;
  double width, height;
  cairo_t *cr;

  if (!bs_figure_export_check (panels, n_panels, options, error))
    return NULL;
  bs_figure_export_get_size (panels, n_panels, options, &width, &height);
  surface = create_image (options, width, height, error);
  if (surface == NULL)
    return NULL;
  cr = cairo_create (surface);
  bs_figure_export_draw (panels, n_panels, options, cr);
  cairo_destroy (cr);
  cairo_surface_flush (surface);
  return surface;
}

/* An SVG's text, added before its end (see collect_svg_text ()). */
static cairo_status_t
write_svg_with_text (Sink          *sink,
                     GByteArray    *svg,
                     const GString *text)
{
  static const char end[] = "</svg>";
  gsize at = svg->len;
  cairo_status_t status;

  for (gsize i = svg->len >= sizeof end - 1 ? svg->len - (sizeof end - 1) + 1 : 0; i-- > 0;)
    if (memcmp (svg->data + i, end, sizeof end - 1) == 0)
      {
        at = i;
        break;
      }
  status = sink_write (sink, svg->data, (unsigned) at);
  if (status == CAIRO_STATUS_SUCCESS)
    status = sink_write (sink, (const unsigned char *) text->str, (unsigned) text->len);
  if (status == CAIRO_STATUS_SUCCESS)
    status = sink_write (sink, svg->data + at, (unsigned) (svg->len - at));
  return status;
}

static gboolean
render (const BsFigurePanel         *panels,
        guint                        n_panels,
        const BsFigureExportOptions *options,
        BsFigureFormat               format,
        Sink                        *sink,
        const char                  *path,
        GError                     **error)
{
  g_autoptr(GString) svg_text = NULL;
  Sink svg_sink = { 0 };
  Sink *target = sink;
  cairo_surface_t *surface = NULL;
  cairo_status_t status;
  double width, height;
  cairo_t *cr;

  if (!bs_figure_export_check (panels, n_panels, options, error))
    return FALSE;
  bs_figure_export_get_size (panels, n_panels, options, &width, &height);

  switch (format)
    {
    case BS_FIGURE_FORMAT_PDF:
      surface = cairo_pdf_surface_create_for_stream (sink_write, sink, width, height);
      cairo_pdf_surface_set_metadata (surface, CAIRO_PDF_METADATA_CREATOR, "Blockscope " BS_VERSION);
      if (options->title != NULL)
        cairo_pdf_surface_set_metadata (surface, CAIRO_PDF_METADATA_TITLE, options->title);
      break;
    case BS_FIGURE_FORMAT_SVG:
      /* In memory first: the text goes in before the end. */
      svg_sink.bytes = g_byte_array_new ();
      svg_text = g_string_new (NULL);
      target = &svg_sink;
      surface = cairo_svg_surface_create_for_stream (sink_write, target, width, height);
      cairo_svg_surface_set_document_unit (surface, CAIRO_SVG_UNIT_PT);
      break;
    case BS_FIGURE_FORMAT_PNG:
      surface = create_image (options, width, height, error);
      if (surface == NULL)
        return FALSE;
      break;
    default:
      g_return_val_if_reached (FALSE);
    }

  cr = cairo_create (surface);
  draw_figure (panels, n_panels, options, svg_text != NULL ? collect_svg_text : NULL, svg_text, cr);
  status = cairo_status (cr);
  cairo_destroy (cr);
  if (status == CAIRO_STATUS_SUCCESS && format == BS_FIGURE_FORMAT_PNG)
    status = cairo_surface_write_to_png_stream (surface, sink_write, sink);
  cairo_surface_finish (surface);
  if (status == CAIRO_STATUS_SUCCESS)
    status = cairo_surface_status (surface);
  cairo_surface_destroy (surface);
  if (status == CAIRO_STATUS_SUCCESS && svg_sink.bytes != NULL)
    status = write_svg_with_text (sink, svg_sink.bytes, svg_text);
  g_clear_pointer (&svg_sink.bytes, g_byte_array_unref);

  if (sink->error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&sink->error));
      return FALSE;
    }
  if (status != CAIRO_STATUS_SUCCESS)
    {
      set_cairo_error (error, path, status);
      return FALSE;
    }
  return TRUE;
}

gboolean
bs_figure_export (const BsFigurePanel         *panels,
                  guint                        n_panels,
                  const BsFigureExportOptions *options,
                  BsFigureFormat               format,
                  const char                  *path,
                  GError                     **error)
{
  g_autoptr(BsAtomicFile) file = NULL;
  Sink sink = { 0 };

  g_return_val_if_fail (path != NULL, FALSE);

  if (!bs_figure_export_check (panels, n_panels, options, error))
    return FALSE;
  file = bs_atomic_file_new (path, error);
  if (file == NULL)
    return FALSE;
  sink.file = file;
  if (!render (panels, n_panels, options, format, &sink, path, error))
    return FALSE;
  return bs_atomic_file_commit (file, error);
}

GBytes *
bs_figure_export_png_bytes (const BsFigurePanel         *panels,
                            guint                        n_panels,
                            const BsFigureExportOptions *options,
                            GError                     **error)
{
  Sink sink = { .bytes = g_byte_array_new () };

  if (!render (panels, n_panels, options, BS_FIGURE_FORMAT_PNG, &sink, "PNG", error))
    {
      g_byte_array_unref (sink.bytes);
      return NULL;
    }
  return g_byte_array_free_to_bytes (sink.bytes);
}
