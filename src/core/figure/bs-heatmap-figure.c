/* bs-heatmap-figure.c: the heatmap figure drawn with cairo and pango (see
 * the header). Lengths in this file are at scale 1 and multiplied by the
 * layout's scale where they are used. */
#include "bs-heatmap-figure.h"

#include <glib/gi18n-lib.h>
#include <math.h>
#include <string.h>

#include <pango/pangocairo.h>

#include "bs-heatmap-cells.h"
#include "bs-heatmap-summary.h"

#define LABEL_PAD        6    /* room a stage name wants beside it */
#define ROW_TICK_GAP     22   /* least distance between two layer numbers */
#define COL_TICK_GAP     34
#define TITLE_INSET      12   /* axis titles: centre this far from the edge */
#define END_LABEL_SPILL  8    /* how far the first and last layer numbers may reach past the plot */
#define TITLE_CENTRE     18   /* the figure's title: centre this far from the top */

typedef struct {
  const BsHeatmapFigure *figure;
  const BsFigureLayout  *layout;
  cairo_t               *cr;
  PangoContext          *pango;
  PangoFontDescription  *font;
  BsHeatmapView          view;    /* the figure's view, sized to the plot */
  guint                  n_rows;
  guint                  n_cols;
  double                 scale;   /* device pixels per unit, where edges snap */
} Draw;

void
bs_heatmap_figure_init (BsHeatmapFigure       *figure,
                        const BsHeatmapMatrix *matrix,
                        double                 width,
                        double                 height)
{
  memset (figure, 0, sizeof *figure);
  bs_figure_layout_init (&figure->layout, width, height, 1.0, FALSE);
  figure->matrix = matrix;
  figure->measure = "CKA";
  figure->colormap = BS_COLORMAP_MAGMA;
  figure->lo = 0.0;
  figure->hi = 1.0;
  bs_figure_palette_init_paper (&figure->palette);
  figure->parts = BS_HEATMAP_FIGURE_ALL;
}

/* ---------------------------------------------------------------- helpers */

void
bs_figure_show_layout (cairo_t          *cr,
                       PangoLayout      *layout,
                       BsFigureTextFunc  func,
                       gpointer          user_data)
{
  PangoLayoutLine *line;
  BsFigureText text = { 0 };
  cairo_pattern_t *source;
  double x, y, dx = 1, dy = 0;

  if (func == NULL)
    {
      pango_cairo_show_layout (cr, layout);
      return;
    }

  /* The baseline's start, the direction of writing and the font's size,
   * all in device units, from the first run's font as pango chose it. */
  cairo_get_current_point (cr, &x, &y);
  {
    /* The line's place in the layout: its alignment, its baseline. */
    PangoLayoutIter *iter = pango_layout_get_iter (layout);
    PangoRectangle logical;

    pango_layout_iter_get_line_extents (iter, NULL, &logical);
    x += (double) logical.x / PANGO_SCALE;
    y += (double) pango_layout_iter_get_baseline (iter) / PANGO_SCALE;
    pango_layout_iter_free (iter);
  }
  cairo_user_to_device (cr, &x, &y);
  cairo_user_to_device_distance (cr, &dx, &dy);
  text.text = pango_layout_get_text (layout);
  text.x = x;
  text.y = y;
  text.angle = atan2 (dy, dx) * 180 / G_PI;
  line = pango_layout_get_line_readonly (layout, 0);
  if (line != NULL && line->runs != NULL)
    {
      PangoGlyphItem *run = line->runs->data;
      PangoFontDescription *font = pango_font_describe_with_absolute_size (run->item->analysis.font);

      text.size = (double) pango_font_description_get_size (font) / PANGO_SCALE * hypot (dx, dy);
      text.bold = pango_font_description_get_weight (font) >= PANGO_WEIGHT_SEMIBOLD;
      pango_font_description_free (font);
    }
  source = cairo_get_source (cr);
  if (cairo_pattern_get_rgba (source, &text.color.red, &text.color.green, &text.color.blue,
                              &text.color.alpha) != CAIRO_STATUS_SUCCESS)
    text.color = (BsFigureColor) { 0, 0, 0, 1 };
  func (&text, user_data);
}

static double
scaled (const Draw *d,
        double      length)
{
  return length * d->layout->scale;
}

static void
set_color (Draw                *d,
           const BsFigureColor *color)
{
  cairo_set_source_rgba (d->cr, color->red, color->green, color->blue, color->alpha);
}

static PangoLayout *
make_layout (Draw       *d,
             const char *text,
             double      scale,
             gboolean    bold)
{
  PangoLayout *layout = pango_layout_new (d->pango);
  PangoAttrList *attrs = pango_attr_list_new ();

  pango_layout_set_font_description (layout, d->font);
  pango_layout_set_text (layout, text, -1);
  pango_attr_list_insert (attrs, pango_attr_scale_new (scale * d->layout->scale));
  if (bold)
    pango_attr_list_insert (attrs, pango_attr_weight_new (PANGO_WEIGHT_BOLD));
  /* Tabular figures keep tick labels from jittering while zooming. */
  pango_attr_list_insert (attrs, pango_attr_font_features_new ("tnum"));
  pango_layout_set_attributes (layout, attrs);
  pango_attr_list_unref (attrs);

  return layout;
}

/* User space -> the target's pixels and back. cairo's device space
 * leaves out the surface's device scale and offset (a HiDPI surface's
 * scale of 2), which the pixel grid includes. */
static void
user_to_pixel (cairo_t *cr,
               double  *x,
               double  *y)
{
  cairo_surface_t *target = cairo_get_group_target (cr);
  double sx, sy, ox, oy;

  cairo_user_to_device (cr, x, y);
  cairo_surface_get_device_scale (target, &sx, &sy);
  cairo_surface_get_device_offset (target, &ox, &oy);
  *x = *x * sx + ox;
  *y = *y * sy + oy;
}

static void
pixel_to_user (cairo_t *cr,
               double  *x,
               double  *y)
{
  cairo_surface_t *target = cairo_get_group_target (cr);
  double sx, sy, ox, oy;

  cairo_surface_get_device_scale (target, &sx, &sy);
  cairo_surface_get_device_offset (target, &ox, &oy);
  *x = (*x - ox) / sx;
  *y = (*y - oy) / sy;
  cairo_device_to_user (cr, x, y);
}

/* Pixels per unit of cr's user space along x (rotations are not snapped
 * to anything sensible; the figure never rotates its cells). */
static double
pixel_scale (cairo_t *cr)
{
  double dx = 1, dy = 0, sx, sy;

  cairo_user_to_device_distance (cr, &dx, &dy);
  cairo_surface_get_device_scale (cairo_get_group_target (cr), &sx, &sy);

  return hypot (dx, dy) * sx;
}

/* Moves to (x, y), or the nearest pixel corner: glyphs drawn from there
 * stay crisp at any transform the caller set. */
static void
move_to_pixel (cairo_t *cr,
               double   x,
               double   y)
{
  user_to_pixel (cr, &x, &y);
  x = round (x);
  y = round (y);
  pixel_to_user (cr, &x, &y);
  cairo_move_to (cr, x, y);
}

/* Draws layout with its text centred at (x, y), rotated by angle degrees
 * (negative: anticlockwise, read from the bottom up). The logical extents
 * include the offset of a line centred in a layout of fixed width. */
static void
draw_text_centered (Draw        *d,
                    PangoLayout *layout,
                    double       x,
                    double       y,
                    double       angle)
{
  PangoRectangle logical;

  pango_layout_get_pixel_extents (layout, NULL, &logical);
  cairo_save (d->cr);
  cairo_translate (d->cr, x, y);
  if (angle != 0)
    cairo_rotate (d->cr, angle * G_PI / 180);
  move_to_pixel (d->cr, -(logical.x + logical.width / 2.0), -(logical.y + logical.height / 2.0));
  bs_figure_show_layout (d->cr, layout, d->figure->text_func, d->figure->text_data);
  cairo_restore (d->cr);
}

/* Draws layout at (x, y) aligned by align_x, align_y: 0 left (top),
 * 0.5 centre, 1 right (bottom). */
static void
draw_text_at (Draw        *d,
              PangoLayout *layout,
              double       x,
              double       y,
              double       align_x,
              double       align_y)
{
  int w, h;

  pango_layout_get_pixel_size (layout, &w, &h);
  move_to_pixel (d->cr, x - align_x * w, y - align_y * h);
  bs_figure_show_layout (d->cr, layout, d->figure->text_func, d->figure->text_data);
}

static void
fill_rect (Draw   *d,
           double  x,
           double  y,
           double  w,
           double  h)
{
  cairo_rectangle (d->cr, x, y, w, h);
  cairo_fill (d->cr);
}

/* Snapping works on the pixel grid of scale pixels per unit with the
 * figure's origin on a pixel corner, as the widget and image exports draw
 * it. A coordinate on the nearest pixel edge: */
static double
snap (double x,
      double scale)
{
  return round (x * scale) / scale;
}

/* A rectangle's edges rounded to pixel edges: crisp, and the pixels a
 * GPU would fill for (x, y, w, h), which samples pixel centres. FALSE
 * when nothing is left (strips of tiny cells: nothing, as on a GPU). */
static gboolean
snap_rect (double        x,
           double        y,
           double        w,
           double        h,
           double        scale,
           BsFigureRect *out)
{
  double x0 = snap (x, scale), y0 = snap (y, scale), x1 = snap (x + w, scale), y1 = snap (y + h, scale);

  *out = (BsFigureRect) { x0, y0, x1 - x0, y1 - y0 };

  return x1 > x0 && y1 > y0;
}

/* A line of width units centred on p, as whole pixels: at least one, the
 * same number wherever it lies (at scale 1, a one-unit line covers the
 * unit that holds p). */
static void
snap_line (double  p,
           double  width,
           double  scale,
           double *start,
           double *length)
{
  double pixels = MAX (round (width * scale), 1.0);

  *start = round (p * scale - pixels / 2) / scale;
  *length = pixels / scale;
}

static void
fill_snapped (Draw   *d,
              double  x,
              double  y,
              double  w,
              double  h)
{
  BsFigureRect r;

  if (snap_rect (x, y, w, h, d->scale, &r))
    fill_rect (d, r.x, r.y, r.width, r.height);
}

/* A border of width line inside the rectangle (x, y, w, h). */
static void
stroke_rect (Draw   *d,
             double  x,
             double  y,
             double  w,
             double  h,
             double  line)
{
  cairo_rectangle (d->cr, x + line / 2, y + line / 2, w - line, h - line);
  cairo_set_line_width (d->cr, line);
  cairo_stroke (d->cr);
}

static double
boundary (const Draw   *d,
          BsFigureAxis  axis,
          guint         i)
{
  return bs_figure_layout_boundary (d->layout, &d->view, axis, i);
}

static void
clip_to (Draw               *d,
         const BsFigureRect *r)
{
  cairo_rectangle (d->cr, r->x, r->y, r->width, r->height);
  cairo_clip (d->cr);
}

/* Whether cr draws pixels (an image, a window), where more cells than
 * pixels are summarised; vector surfaces keep every cell, for the
 * viewer or printer to resolve. */
static gboolean
draws_pixels (cairo_t *cr)
{
  switch (cairo_surface_get_type (cairo_get_group_target (cr)))
    {
    case CAIRO_SURFACE_TYPE_PDF:
    case CAIRO_SURFACE_TYPE_PS:
    case CAIRO_SURFACE_TYPE_SVG:
    case CAIRO_SURFACE_TYPE_SCRIPT:
    case CAIRO_SURFACE_TYPE_RECORDING:
      return FALSE;
    default:
      return TRUE;
    }
}

/* cairo 1.16's SVG surface smooths scaled images: there, what would be
 * an image scaled without smoothing is drawn as rectangles. */
static gboolean
wants_rectangles (cairo_t *cr)
{
  return cairo_surface_get_type (cairo_get_target (cr)) == CAIRO_SURFACE_TYPE_SVG;
}

/* ---------------------------------------------------------------- cells */

/* Runs of one colour along a row become one rectangle. */
static void
draw_cells_as_rectangles (Draw *d)
{
  const BsHeatmapFigure *f = d->figure;
  double u0, u1, v0, v1;
  guint c0, c1, r0, r1;

  bs_heatmap_view_get_visible (&d->view, &u0, &u1, &v0, &v1);
  c0 = (guint) CLAMP (floor (u0 * d->n_cols), 0, d->n_cols - 1);
  c1 = (guint) CLAMP (ceil (u1 * d->n_cols), 1, d->n_cols);
  r0 = (guint) CLAMP (floor (v0 * d->n_rows), 0, d->n_rows - 1);
  r1 = (guint) CLAMP (ceil (v1 * d->n_rows), 1, d->n_rows);

  for (guint r = r0; r < r1; r++)
    for (guint c = c0; c < c1;)
      {
        guint8 rgb[3], next[3];
        double x, y, w, h, x_end, y_end, w_end, h_end, overlap;
        guint e = c + 1;

        bs_colormap_lookup (f->colormap, bs_heatmap_matrix_get_value (f->matrix, r, c), f->lo, f->hi, rgb);
        while (e < c1)
          {
            bs_colormap_lookup (f->colormap, bs_heatmap_matrix_get_value (f->matrix, r, e), f->lo, f->hi, next);
            if (memcmp (next, rgb, 3) != 0)
              break;
            e++;
          }

        bs_heatmap_view_cell_to_rect (&d->view, r, c, &x, &y, &w, &h);
        bs_heatmap_view_cell_to_rect (&d->view, r, e - 1, &x_end, &y_end, &w_end, &h_end);
        /* Each run reaches a little into the cells drawn after it (to the
         * right, and the row above), which cover that part again: viewers
         * that smooth shape edges show no seams between cells. */
        overlap = MIN (0.5 * MIN (w, h), 1.0);
        cairo_set_source_rgb (d->cr, rgb[0] / 255.0, rgb[1] / 255.0, rgb[2] / 255.0);
        fill_rect (d, d->layout->plot.x + x, d->layout->plot.y + y - overlap, x_end + w_end - x + overlap,
                   h + overlap);
        c = e;
      }
}

/* The cells one image pixel per pixel of the target, from the plot's
 * first pixel: each pixel the cell under its centre, exactly where the
 * hit test and the shader put it, or, with more cells in view than
 * pixels along an axis, the summary of the cells under it
 * (bs-heatmap-summary.h). FALSE when the transform is not a plain scale
 * and translation. */
static gboolean
draw_cells_at_pixels (Draw *d)
{
  const BsHeatmapFigure *f = d->figure;
  const BsFigureRect *p = &d->layout->plot;
  BsHeatmapSummaryGrid grid;
  cairo_surface_t *image;
  cairo_matrix_t ctm;
  double x0 = p->x, y0 = p->y, x1 = p->x + p->width, y1 = p->y + p->height;
  double ul, vt, ur, vb, sx, sy, ox, oy;

  cairo_get_matrix (d->cr, &ctm);
  if (ctm.xy != 0 || ctm.yx != 0 || ctm.xx <= 0 || ctm.yy <= 0)
    return FALSE;

  /* The whole pixels the plot covers, and the matrix window they show. */
  user_to_pixel (d->cr, &x0, &y0);
  user_to_pixel (d->cr, &x1, &y1);
  x0 = round (x0);
  y0 = round (y0);
  x1 = round (x1);
  y1 = round (y1);
  if (x1 <= x0 || y1 <= y0)
    return FALSE;
  grid.width = (guint) (x1 - x0);
  grid.height = (guint) (y1 - y0);
  pixel_to_user (d->cr, &x0, &y0);
  pixel_to_user (d->cr, &x1, &y1);
  bs_heatmap_view_point_to_matrix (&d->view, x0 - p->x, y0 - p->y, &ul, &vt);
  bs_heatmap_view_point_to_matrix (&d->view, x1 - p->x, y1 - p->y, &ur, &vb);
  grid.col0 = ul * d->n_cols;
  grid.col1 = ur * d->n_cols;
  grid.row0 = vb * d->n_rows;
  grid.row1 = vt * d->n_rows;

  if (bs_heatmap_summary_grid_reduces (&grid))
    {
      g_autoptr(BsHeatmapSummary) summary = bs_heatmap_summary_new ();
      const float *values = bs_heatmap_summary_compute (summary, bs_heatmap_matrix_get_values (f->matrix),
                                                        d->n_rows, d->n_cols, &grid);

      image = bs_heatmap_cells_create_summary_image (values, grid.width, grid.height, f->colormap, f->lo, f->hi);
    }
  else
    {
      cairo_surface_t *cells = f->cells_image;
      cairo_surface_t *owned = NULL;

      if (cells == NULL)
        cells = owned = bs_heatmap_cells_create_image (f->matrix, f->colormap, f->lo, f->hi);
      image = cells != NULL ? bs_heatmap_cells_create_sampled_image (cells, &grid) : NULL;
      g_clear_pointer (&owned, cairo_surface_destroy);
    }
  if (image == NULL)
    return FALSE;

  /* From the plot's first pixel, in the target's device space. */
  x0 = p->x;
  y0 = p->y;
  user_to_pixel (d->cr, &x0, &y0);
  cairo_surface_get_device_scale (cairo_get_group_target (d->cr), &sx, &sy);
  cairo_surface_get_device_offset (cairo_get_group_target (d->cr), &ox, &oy);
  cairo_save (d->cr);
  cairo_identity_matrix (d->cr);
  cairo_translate (d->cr, (round (x0) - ox) / sx, (round (y0) - oy) / sy);
  cairo_scale (d->cr, 1 / sx, 1 / sy);
  cairo_set_source_surface (d->cr, image, 0, 0);
  cairo_pattern_set_filter (cairo_get_source (d->cr), CAIRO_FILTER_NEAREST);
  cairo_rectangle (d->cr, 0, 0, grid.width, grid.height);
  cairo_fill (d->cr);
  cairo_restore (d->cr);
  cairo_surface_destroy (image);

  return TRUE;
}

static void
draw_cells (Draw *d)
{
  const BsHeatmapFigure *f = d->figure;
  const BsFigureRect *p = &d->layout->plot;
  const BsHeatmapView *v = &d->view;
  cairo_surface_t *image = f->cells_image;
  cairo_surface_t *owned = NULL;
  cairo_pattern_t *pattern;
  BsFigureRect plot;

  cairo_save (d->cr);
  /* On pixel edges: a plot edge between pixels would blend. */
  snap_rect (p->x, p->y, p->width, p->height, d->scale, &plot);
  clip_to (d, &plot);
  cairo_set_source_rgb (d->cr, BS_COLORMAP_NAN_R / 255.0, BS_COLORMAP_NAN_G / 255.0, BS_COLORMAP_NAN_B / 255.0);
  cairo_paint (d->cr);

  if (d->n_rows == 0 || d->n_cols == 0)
    {
      cairo_restore (d->cr);
      return;
    }

  if (wants_rectangles (d->cr))
    {
      draw_cells_as_rectangles (d);
      cairo_restore (d->cr);
      return;
    }

  if (draws_pixels (d->cr) && draw_cells_at_pixels (d))
    {
      cairo_restore (d->cr);
      return;
    }

  /* A vector surface: the image, scaled by whoever shows or prints it. */
  if (image == NULL)
    image = owned = bs_heatmap_cells_create_image (f->matrix, f->colormap, f->lo, f->hi);
  if (image != NULL)
    {
      /* Image pixel (i, j) covers matrix u = i / n_cols, v = 1 - j / n_rows. */
      cairo_translate (d->cr, p->x + (0.5 - v->center_u * v->zoom) * v->width,
                       p->y + (0.5 - (1.0 - v->center_v) * v->zoom) * v->height);
      cairo_scale (d->cr, v->zoom * v->width / v->n_cols, v->zoom * v->height / v->n_rows);
      cairo_set_source_surface (d->cr, image, 0, 0);
      pattern = cairo_get_source (d->cr);
      cairo_pattern_set_filter (pattern, CAIRO_FILTER_NEAREST);
      cairo_pattern_set_extend (pattern, CAIRO_EXTEND_PAD);
      cairo_paint (d->cr);
    }
  g_clear_pointer (&owned, cairo_surface_destroy);
  cairo_restore (d->cr);
}

/* ---------------------------------------------------------------- marks */

static gboolean
intersect (const BsFigureRect *a,
           const BsFigureRect *b,
           BsFigureRect       *out)
{
  double x0 = MAX (a->x, b->x), y0 = MAX (a->y, b->y);
  double x1 = MIN (a->x + a->width, b->x + b->width), y1 = MIN (a->y + a->height, b->y + b->height);

  *out = (BsFigureRect) { x0, y0, x1 - x0, y1 - y0 };

  return x1 > x0 && y1 > y0;
}

static void
add_mark (GArray              *marks,
          const BsFigureRect  *rect,
          const BsFigureColor *color)
{
  BsFigureMark mark = { *rect, *color };

  g_array_append_val (marks, mark);
}

/* The palette's halo, one line width either side of each line (all halos
 * first, so none covers a line that crosses it): no colour contrasts with
 * every colour of a colour map, a light line with a dark halo does. */
static void
add_halos (const BsHeatmapFigure *f,
           const BsFigureRect    *p,
           const GArray          *lines,
           guint                  n_vertical,
           GArray                *marks)
{

  for (guint i = 0; i < lines->len; i++)
    {
      const BsFigureRect *r = &g_array_index (lines, BsFigureRect, i);
      gboolean vertical = i < n_vertical;
      double dx = vertical ? r->width : 0, dy = vertical ? 0 : r->height;
      BsFigureRect side;

      if (intersect (&(BsFigureRect) { r->x - dx, r->y - dy, r->width, r->height }, p, &side))
        add_mark (marks, &side, &f->palette.stage_line_halo);
      if (intersect (&(BsFigureRect) { r->x + dx, r->y + dy, r->width, r->height }, p, &side))
        add_mark (marks, &side, &f->palette.stage_line_halo);
    }
}

/* One unit wide in whole pixels, covering the pixels around the boundary
 * (one unit, the unit that holds it, at scale 1; see snap_line ()), so the
 * line is crisp at any scale and the cells' centres stay clear; only what
 * lies over the plot, each with the palette's halo either side. */
static void
add_stage_lines (const BsHeatmapFigure *f,
                 const BsHeatmapView   *view,
                 double                 scale,
                 GArray                *marks)
{
  const BsFigureLayout *l = &f->layout;
  g_autoptr(GArray) lines = g_array_new (FALSE, FALSE, sizeof (BsFigureRect));
  double line = l->line_width;
  guint n_vertical;
  BsFigureRect p, r;

  if (f->rows == NULL || f->cols == NULL)
    return;

  snap_rect (l->plot.x, l->plot.y, l->plot.width, l->plot.height, scale, &p);

  for (guint i = 1; i < view->n_cols; i++)
    if (f->cols[i].stage != f->cols[i - 1].stage)
      {
        r = (BsFigureRect) { 0, p.y, 0, p.height };
        snap_line (bs_figure_layout_boundary (l, view, BS_FIGURE_AXIS_COLS, i), line, scale, &r.x, &r.width);
        if (intersect (&r, &p, &r))
          g_array_append_val (lines, r);
      }
  n_vertical = lines->len;

  for (guint i = 1; i < view->n_rows; i++)
    if (f->rows[i].stage != f->rows[i - 1].stage)
      {
        r = (BsFigureRect) { p.x, 0, p.width, 0 };
        snap_line (bs_figure_layout_boundary (l, view, BS_FIGURE_AXIS_ROWS, i), line, scale, &r.y, &r.height);
        if (intersect (&r, &p, &r))
          g_array_append_val (lines, r);
      }

  add_halos (f, &p, lines, n_vertical, marks);
  for (guint i = 0; i < lines->len; i++)
    add_mark (marks, &g_array_index (lines, BsFigureRect, i), &f->palette.stage_line);
}

/* One unit (in whole pixels) around the plot, as four strips that meet
 * without overlap. */
static void
add_frame (const BsHeatmapFigure *f,
           double                 scale,
           GArray                *marks)
{
  const BsFigureRect *plot = &f->layout.plot;
  double line = MAX (round (f->layout.line_width * scale), 1.0) / scale;
  BsFigureRect p;

  snap_rect (plot->x, plot->y, plot->width, plot->height, scale, &p);

  const BsFigureRect sides[] = {
    { p.x - line, p.y - line, p.width + 2 * line, line },
    { p.x - line, p.y + p.height, p.width + 2 * line, line },
    { p.x - line, p.y, line, p.height },
    { p.x + p.width, p.y, line, p.height },
  };

  for (guint i = 0; i < G_N_ELEMENTS (sides); i++)
    add_mark (marks, &sides[i], &f->palette.line);
}

static void
draw_marks (Draw         *d,
            const GArray *marks)
{
  for (guint i = 0; i < marks->len; i++)
    {
      const BsFigureMark *m = &g_array_index (marks, BsFigureMark, i);

      cairo_set_source_rgba (d->cr, m->color.red, m->color.green, m->color.blue, m->color.alpha);
      fill_rect (d, m->rect.x, m->rect.y, m->rect.width, m->rect.height);
    }
}

/* ---------------------------------------------------------------- axes */

/* One shaded segment per stage, labelled where the name fits, and the
 * blocks inside it in alternating shades on the strip. */
static void
draw_stage_band (Draw              *d,
                 BsFigureAxis       axis,
                 const BsLayerInfo *layers,
                 guint              n)
{
  gboolean rows = axis == BS_FIGURE_AXIS_ROWS;
  const BsFigureRect *p = &d->layout->plot;
  const BsFigureRect *band = rows ? &d->layout->row_band : &d->layout->col_band;
  const BsFigureRect *strip = rows ? &d->layout->row_strip : &d->layout->col_strip;
  double lo_edge = rows ? p->y : p->x;
  double hi_edge = rows ? p->y + p->height : p->x + p->width;

  for (guint a = 0; a < n;)
    {
      guint b = a;
      double s0, s1, len;
      gboolean odd;

      while (b + 1 < n && layers[b + 1].stage == layers[a].stage)
        b++;

      s0 = boundary (d, axis, a);
      s1 = boundary (d, axis, b + 1);
      len = fabs (s1 - s0);
      odd = layers[a].stage >= 0 && (layers[a].stage % 2) == 1;

      set_color (d, &d->figure->palette.band[odd ? 1 : 0]);
      if (rows)
        fill_snapped (d, band->x, MIN (s0, s1), band->width, len);
      else
        fill_snapped (d, MIN (s0, s1), band->y, len, band->height);

      for (guint i = a; i <= b;)
        {
          guint j = i;

          while (j + 1 <= b && layers[j + 1].block == layers[i].block)
            j++;
          if (layers[i].block >= 0)
            {
              double t0 = boundary (d, axis, i), t1 = boundary (d, axis, j + 1);

              set_color (d, &d->figure->palette.strip[layers[i].block % 2]);
              if (rows)
                fill_snapped (d, strip->x, MIN (t0, t1) + 0.5, strip->width, fabs (t1 - t0) - 1);
              else
                fill_snapped (d, MIN (t0, t1) + 0.5, strip->y, fabs (t1 - t0) - 1, strip->height);
            }
          i = j + 1;
        }

      if (layers[a].stage >= 0)
        {
          double shown = MIN (MAX (s0, s1), hi_edge) - MAX (MIN (s0, s1), lo_edge);
          double mid = (MAX (MIN (s0, s1), lo_edge) + MIN (MAX (s0, s1), hi_edge)) / 2;
          PangoLayout *layout = make_layout (d, bs_layer_stage_name (layers[a].stage, FALSE), 0.75, FALSE);
          int tw, th;

          pango_layout_get_pixel_size (layout, &tw, &th);
          if (tw + scaled (d, LABEL_PAD) > len)
            {
              g_object_unref (layout);
              layout = make_layout (d, bs_layer_stage_name (layers[a].stage, TRUE), 0.75, FALSE);
              pango_layout_get_pixel_size (layout, &tw, &th);
            }
          if (tw + scaled (d, LABEL_PAD) <= shown)
            {
              set_color (d, &d->figure->palette.text_secondary);
              if (rows)
                draw_text_centered (d, layout, band->x + band->width / 2, mid, -90);
              else
                draw_text_centered (d, layout, mid, band->y + band->height / 2, 0);
            }
          g_object_unref (layout);
        }

      a = b + 1;
    }
}

/* Layer numbers at the first step of 1, 2, 5, 10, ... that leaves room
 * between labels at this zoom. */
static void
draw_ticks (Draw         *d,
            BsFigureAxis  axis,
            guint         n)
{
  static const guint steps[] = { 1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000 };
  gboolean rows = axis == BS_FIGURE_AXIS_ROWS;
  const BsFigureRect *p = &d->layout->plot;
  const BsFigureRect *band = rows ? &d->layout->row_band : &d->layout->col_band;
  double lo_edge = rows ? p->y : p->x;
  double hi_edge = rows ? p->y + p->height : p->x + p->width;
  double tick = d->layout->tick_length;
  double line = d->layout->line_width;
  double cell = (rows ? p->height : p->width) * d->view.zoom / MAX (n, 1);
  double min_gap = scaled (d, rows ? ROW_TICK_GAP : COL_TICK_GAP);
  guint step = steps[G_N_ELEMENTS (steps) - 1];

  for (guint i = 0; i < G_N_ELEMENTS (steps); i++)
    if (steps[i] * cell >= min_gap)
      {
        step = steps[i];
        break;
      }

  for (guint i = 0; i < n; i += step)
    {
      double pos = (boundary (d, axis, i) + boundary (d, axis, i + 1)) / 2;
      PangoLayout *layout;
      char text[16];

      if (pos < lo_edge - 1 || pos > hi_edge + 1)
        continue;

      g_snprintf (text, sizeof text, "%u", i);
      layout = make_layout (d, text, 0.8, FALSE);
      if (rows)
        {
          set_color (d, &d->figure->palette.line);
          fill_snapped (d, band->x - tick, pos - line / 2, tick, line);
          set_color (d, &d->figure->palette.text_secondary);
          draw_text_at (d, layout, band->x - tick - scaled (d, 3), pos, 1.0, 0.5);
        }
      else
        {
          set_color (d, &d->figure->palette.line);
          fill_snapped (d, pos - line / 2, band->y + band->height, line, tick);
          set_color (d, &d->figure->palette.text_secondary);
          draw_text_at (d, layout, pos, band->y + band->height + tick + scaled (d, 1), 0.5, 0.0);
        }
      g_object_unref (layout);
    }
}

static void
draw_axis (Draw         *d,
           BsFigureAxis  axis)
{
  const BsHeatmapFigure *f = d->figure;
  gboolean rows = axis == BS_FIGURE_AXIS_ROWS;
  const BsFigureLayout *l = d->layout;
  const BsFigureRect *p = &l->plot;
  const BsLayerInfo *layers = rows ? f->rows : f->cols;
  const char *model = rows ? f->model_a : f->model_b;
  guint n = rows ? d->n_rows : d->n_cols;
  double length = rows ? p->height : p->width;
  g_autofree char *title = NULL;
  double spill;
  PangoLayout *layout;

  /* Marks follow the zoom: what lies beyond the plot's extent is cut;
   * with the whole matrix in view, the end labels may stand out a little. */
  spill = d->view.zoom <= 1.0 ? scaled (d, END_LABEL_SPILL) : 0;
  cairo_save (d->cr);
  if (rows)
    clip_to (d, &(BsFigureRect) { 0, p->y - spill, p->x, p->height + 2 * spill });
  else
    clip_to (d, &(BsFigureRect) { p->x - spill, p->y + p->height, p->width + 2 * spill,
                                  l->height - (p->y + p->height) });
  if (layers != NULL)
    draw_stage_band (d, axis, layers, n);
  draw_ticks (d, axis, n);
  cairo_restore (d->cr);

  /* The title names the model: which axis is which is the first question
   * on screen; on a page the caption says it, and the name alone fits. */
  if (model != NULL && f->plain_axis_titles)
    title = g_strdup (model);
  else if (model != NULL)
    /* Translators: the titles of the heatmap's axes: rows are the layers of
     * model A, columns those of model B; %s is the model's name ("ResNet-20"). */
    title = g_strdup_printf (rows ? _("Model A  ·  %s") : _("Model B  ·  %s"), model);
  else
    /* Translators: the titles of the heatmap's axes when no model is named. */
    title = g_strdup (rows ? _("Model A") : _("Model B"));
  layout = make_layout (d, title, 0.9, TRUE);
  pango_layout_set_ellipsize (layout, PANGO_ELLIPSIZE_MIDDLE);
  pango_layout_set_width (layout, (int) (length * PANGO_SCALE));
  pango_layout_set_alignment (layout, PANGO_ALIGN_CENTER);
  set_color (d, &f->palette.text);
  if (rows)
    draw_text_centered (d, layout, scaled (d, TITLE_INSET), p->y + length / 2, -90);
  else
    draw_text_centered (d, layout, p->x + length / 2, l->height - scaled (d, TITLE_INSET), 0);
  g_object_unref (layout);
}

/* ---------------------------------------------------------------- colour bar */

static void
draw_colorbar (Draw *d)
{
  const BsHeatmapFigure *f = d->figure;
  const BsFigureRect *bar = &d->layout->colorbar;
  const guint8 *table = bs_colormap_get_table (f->colormap);
  double line = d->layout->line_width;
  double tick = d->layout->tick_length;
  cairo_surface_t *image;
  cairo_pattern_t *pattern;
  guint8 *pixels;
  int stride;

  /* The table's entries as they are, high values at the top: an image
   * one pixel wide scaled without smoothing, or one rectangle each. */
  cairo_save (d->cr);
  clip_to (d, bar);
  if (wants_rectangles (d->cr))
    {
      double step = bar->height / BS_COLORMAP_SIZE;

      for (guint i = 0; i < BS_COLORMAP_SIZE; i++)
        {
          const guint8 *rgb = table + 3 * i;

          cairo_set_source_rgb (d->cr, rgb[0] / 255.0, rgb[1] / 255.0, rgb[2] / 255.0);
          /* Into the entry above, drawn next: no seams (see the cells). */
          fill_rect (d, bar->x, bar->y + bar->height - (i + 1.5) * step, bar->width, 1.5 * step);
        }
    }
  else
    {
      image = cairo_image_surface_create (CAIRO_FORMAT_RGB24, 1, BS_COLORMAP_SIZE);
      cairo_surface_flush (image);
      pixels = cairo_image_surface_get_data (image);
      stride = cairo_image_surface_get_stride (image);
      for (guint i = 0; i < BS_COLORMAP_SIZE; i++)
        {
          const guint8 *rgb = table + 3 * (BS_COLORMAP_SIZE - 1 - i);

          *(guint32 *) (pixels + (gsize) i * stride) = ((guint32) rgb[0] << 16) | ((guint32) rgb[1] << 8) | rgb[2];
        }
      cairo_surface_mark_dirty (image);

      cairo_translate (d->cr, bar->x, bar->y);
      cairo_scale (d->cr, bar->width, bar->height / BS_COLORMAP_SIZE);
      cairo_set_source_surface (d->cr, image, 0, 0);
      pattern = cairo_get_source (d->cr);
      cairo_pattern_set_filter (pattern, CAIRO_FILTER_NEAREST);
      cairo_pattern_set_extend (pattern, CAIRO_EXTEND_PAD);
      cairo_paint (d->cr);
      cairo_surface_destroy (image);
    }
  cairo_restore (d->cr);

  set_color (d, &f->palette.line);
  stroke_rect (d, bar->x, bar->y, bar->width, bar->height, line);

  for (guint i = 0; i <= 4; i++)
    {
      double t = i / 4.0;
      double y = bar->y + bar->height - t * bar->height;
      /* The unit row that holds y, inside the bar. */
      double row = CLAMP (floor (y), bar->y, bar->y + bar->height - line);
      PangoLayout *layout;
      char text[32];

      g_snprintf (text, sizeof text, "%.2f", f->lo + t * (f->hi - f->lo));
      layout = make_layout (d, text, 0.8, FALSE);
      set_color (d, &f->palette.line);
      fill_snapped (d, bar->x + bar->width, row, tick, line);
      set_color (d, &f->palette.text_secondary);
      draw_text_at (d, layout, bar->x + bar->width + tick + scaled (d, 3), y, 0, 0.5);
      g_object_unref (layout);
    }

  if (f->measure != NULL)
    {
      PangoLayout *layout = make_layout (d, f->measure, 0.8, TRUE);
      /* Above the columns' PC1 strip when the layout has room for it. */
      double above = d->layout->pc1_strips ? d->layout->plot.y - d->layout->col_pc1.y : 0;

      set_color (d, &f->palette.text);
      draw_text_at (d, layout, bar->x + bar->width / 2, bar->y - above - scaled (d, 6), 0.5, 1.0);
      g_object_unref (layout);
    }
}

static void
draw_title (Draw *d)
{
  const BsFigureLayout *l = d->layout;
  PangoLayout *layout;
  double centre;

  if (d->figure->title == NULL)
    return;

  /* Over the plot's middle, as wide as the figure allows on both sides. */
  centre = l->plot.x + l->plot.width / 2;
  layout = make_layout (d, d->figure->title, 1.1, TRUE);
  pango_layout_set_ellipsize (layout, PANGO_ELLIPSIZE_END);
  pango_layout_set_width (layout, (int) (2 * MIN (centre, l->width - centre) * PANGO_SCALE));
  pango_layout_set_alignment (layout, PANGO_ALIGN_CENTER);
  set_color (d, &d->figure->palette.text);
  draw_text_centered (d, layout, centre, scaled (d, TITLE_CENTRE), 0);
  g_object_unref (layout);
}

/* What the strips are, left of the columns' strip, where the corner
 * above the row axis is free: a reader of a paper has no hover. */
static void
draw_pc1_label (Draw *d)
{
  const BsFigureRect *strip = &d->layout->col_pc1;
  PangoLayout *layout;

  /* Translators: beside a strip of colours above the heatmap, one per layer:
   * the fraction of the layer's variance on its first principal component. */
  layout = make_layout (d, _("PC1 share"), 0.7, FALSE);
  set_color (d, &d->figure->palette.text_secondary);
  draw_text_at (d, layout, strip->x - scaled (d, 4), strip->y + strip->height / 2, 1.0, 0.5);
  g_object_unref (layout);
}

/* ---------------------------------------------------------------- public */

/* The figure's view: the caller's zoom and pan (or none), whatever size
 * it had, fitted to this plot. */
static void
get_view (const BsHeatmapFigure *figure,
          BsHeatmapView         *view)
{
  const BsFigureRect *p = &figure->layout.plot;
  guint n_rows = figure->matrix != NULL ? bs_heatmap_matrix_get_n_rows (figure->matrix) : 0;
  guint n_cols = figure->matrix != NULL ? bs_heatmap_matrix_get_n_cols (figure->matrix) : 0;

  if (figure->view != NULL)
    *view = *figure->view;
  else
    bs_heatmap_view_init (view, n_rows, n_cols, p->width, p->height);
  view->n_rows = n_rows;
  view->n_cols = n_cols;
  bs_heatmap_view_set_size (view, p->width, p->height);
}

static GArray *
get_marks_at (const BsHeatmapFigure *figure,
              BsHeatmapFigureParts   parts,
              double                 scale)
{
  GArray *marks = g_array_new (FALSE, FALSE, sizeof (BsFigureMark));
  BsHeatmapView view;

  get_view (figure, &view);
  if ((parts & BS_HEATMAP_FIGURE_STAGE_LINES) != 0)
    add_stage_lines (figure, &view, scale, marks);
  if ((parts & BS_HEATMAP_FIGURE_FRAME) != 0)
    add_frame (figure, scale, marks);
  if ((parts & BS_HEATMAP_FIGURE_PC1_STRIPS) != 0)
    {
      if (figure->row_pc1_shares != NULL)
        bs_figure_add_pc1_strip_marks (marks, &figure->layout, &view, BS_FIGURE_AXIS_ROWS, figure->row_pc1_shares,
                                       view.n_rows, figure->colormap, scale);
      if (figure->col_pc1_shares != NULL)
        bs_figure_add_pc1_strip_marks (marks, &figure->layout, &view, BS_FIGURE_AXIS_COLS, figure->col_pc1_shares,
                                       view.n_cols, figure->colormap, scale);
    }
  if ((parts & BS_HEATMAP_FIGURE_BLOCKS) != 0 && figure->blocks != NULL)
    bs_figure_add_block_marks (marks, &figure->layout, &view, figure->blocks, figure->n_blocks, &figure->palette,
                               2 * figure->layout.line_width, figure->layout.line_width, scale);

  return marks;
}

GArray *
bs_heatmap_figure_get_marks (const BsHeatmapFigure *figure,
                             BsHeatmapFigureParts   parts)
{
  g_return_val_if_fail (figure != NULL, g_array_new (FALSE, FALSE, sizeof (BsFigureMark)));

  return get_marks_at (figure, parts, figure->device_scale > 0 ? figure->device_scale : 1.0);
}

void
bs_heatmap_figure_draw (const BsHeatmapFigure *figure,
                        cairo_t               *cr)
{
  Draw d = { .figure = figure, .layout = &figure->layout, .cr = cr };

  g_return_if_fail (figure != NULL && cr != NULL);

  get_view (figure, &d.view);
  d.n_rows = d.view.n_rows;
  d.n_cols = d.view.n_cols;
  d.scale = figure->device_scale > 0 ? figure->device_scale : pixel_scale (cr);
  if (!(d.scale > 0 && isfinite (d.scale)))
    d.scale = 1.0;

  d.pango = pango_cairo_create_context (cr);
  if (figure->font_options != NULL)
    pango_cairo_context_set_font_options (d.pango, figure->font_options);
  d.font = figure->font != NULL ? pango_font_description_copy (figure->font)
                                : pango_font_description_from_string ("Sans 10");

  cairo_save (cr);
  if ((figure->parts & BS_HEATMAP_FIGURE_BACKGROUND) != 0)
    {
      set_color (&d, &figure->palette.background);
      cairo_paint (cr);
    }
  if ((figure->parts & BS_HEATMAP_FIGURE_CELLS) != 0)
    draw_cells (&d);
  if ((figure->parts & (BS_HEATMAP_FIGURE_STAGE_LINES | BS_HEATMAP_FIGURE_FRAME |
                        BS_HEATMAP_FIGURE_PC1_STRIPS | BS_HEATMAP_FIGURE_BLOCKS)) != 0)
    {
      g_autoptr(GArray) marks = get_marks_at (figure, figure->parts, d.scale);

      draw_marks (&d, marks);
    }
  if (((figure->parts & BS_HEATMAP_FIGURE_PC1_STRIPS) != 0 && figure->col_pc1_shares != NULL) ||
      (figure->parts & BS_HEATMAP_FIGURE_PC1_LABEL) != 0)
    draw_pc1_label (&d);
  if ((figure->parts & BS_HEATMAP_FIGURE_ROW_AXIS) != 0)
    draw_axis (&d, BS_FIGURE_AXIS_ROWS);
  if ((figure->parts & BS_HEATMAP_FIGURE_COL_AXIS) != 0)
    draw_axis (&d, BS_FIGURE_AXIS_COLS);
  if ((figure->parts & BS_HEATMAP_FIGURE_COLORBAR) != 0)
    draw_colorbar (&d);
  if ((figure->parts & BS_HEATMAP_FIGURE_TITLE) != 0)
    draw_title (&d);
  cairo_restore (cr);

  pango_font_description_free (d.font);
  g_object_unref (d.pango);
}

static void
rect_union (BsFigureRect       *acc,
            gboolean           *any,
            const BsFigureRect *r)
{
  double x0, y0, x1, y1;

  if (!*any)
    {
      *acc = *r;
      *any = TRUE;
      return;
    }

  x0 = MIN (acc->x, r->x);
  y0 = MIN (acc->y, r->y);
  x1 = MAX (acc->x + acc->width, r->x + r->width);
  y1 = MAX (acc->y + acc->height, r->y + r->height);
  *acc = (BsFigureRect) { x0, y0, x1 - x0, y1 - y0 };
}

void
bs_heatmap_figure_get_part_bounds (const BsHeatmapFigure *figure,
                                   BsHeatmapFigureParts   parts,
                                   BsFigureRect          *bounds)
{
  const BsFigureLayout *l = &figure->layout;
  const BsFigureRect *p = &l->plot;
  double line = l->line_width;
  double right = p->x + p->width + line;
  double below = p->y + p->height;
  double scale = figure->device_scale > 0 ? figure->device_scale : 1.0;
  /* At a fractional scale the plot's edges move to the nearest pixel, and
   * the frame is whole pixels wide. */
  double slack = scale == floor (scale) ? 0 : 0.5 / scale;
  double frame = MAX (round (line * scale), 1.0) / scale + slack;
  gboolean any = FALSE;

  *bounds = (BsFigureRect) { 0, 0, 0, 0 };

  if ((parts & BS_HEATMAP_FIGURE_BACKGROUND) != 0)
    rect_union (bounds, &any, &(BsFigureRect) { 0, 0, l->width, l->height });
  if ((parts & (BS_HEATMAP_FIGURE_CELLS | BS_HEATMAP_FIGURE_STAGE_LINES)) != 0)
    rect_union (bounds, &any, &(BsFigureRect) { p->x - slack, p->y - slack, p->width + 2 * slack, p->height + 2 * slack });
  if ((parts & BS_HEATMAP_FIGURE_FRAME) != 0)
    rect_union (bounds, &any, &(BsFigureRect) { p->x - frame, p->y - frame, p->width + 2 * frame, p->height + 2 * frame });
  /* The axes are clipped to the plot's extent along them; their titles
   * are no longer than the plot. */
  if ((parts & BS_HEATMAP_FIGURE_ROW_AXIS) != 0)
    rect_union (bounds, &any, &(BsFigureRect) { 0, p->y, p->x - line, p->height });
  if ((parts & BS_HEATMAP_FIGURE_COL_AXIS) != 0)
    rect_union (bounds, &any, &(BsFigureRect) { p->x, below + line, p->width, MAX (l->height - below - line, 0) });
  /* Tick labels reach above and below the bar, the measure's name above. */
  if ((parts & BS_HEATMAP_FIGURE_COLORBAR) != 0)
    rect_union (bounds, &any, &(BsFigureRect) { right, 0, MAX (l->width - right, 0), l->height });
  if ((parts & BS_HEATMAP_FIGURE_PC1_STRIPS) != 0)
    {
      if (figure->row_pc1_shares != NULL)
        rect_union (bounds, &any, &(BsFigureRect) { l->row_pc1.x - slack, l->row_pc1.y - slack,
                                                    l->row_pc1.width + 2 * slack, l->row_pc1.height + 2 * slack });
      /* The columns' strip with its label left of it. */
      if (figure->col_pc1_shares != NULL)
        rect_union (bounds, &any, &(BsFigureRect) { 0, l->col_pc1.y - l->col_pc1.height,
                                                    l->col_pc1.x + l->col_pc1.width + slack,
                                                    3 * l->col_pc1.height });
    }
  if ((parts & BS_HEATMAP_FIGURE_PC1_LABEL) != 0)
    rect_union (bounds, &any, &(BsFigureRect) { 0, l->col_pc1.y - l->col_pc1.height, l->col_pc1.x,
                                                3 * l->col_pc1.height });
  if ((parts & BS_HEATMAP_FIGURE_BLOCKS) != 0)
    rect_union (bounds, &any, &(BsFigureRect) { p->x - slack, p->y - slack, p->width + 2 * slack, p->height + 2 * slack });
  if ((parts & BS_HEATMAP_FIGURE_TITLE) != 0 && figure->title != NULL)
    rect_union (bounds, &any, &(BsFigureRect) { 0, 0, l->width, p->y - line });
}
