/* test-figure-scale.c: the cairo heatmap figure at any size and any scale.
 *
 * A 1,000 x 1,000 matrix drawn into a 400-unit plot at 1, 1.5 and 2
 * device pixels per unit keeps a single planted high cell visible: every
 * pixel that covers it has the colour map's high colour and every other
 * the low one (bs-heatmap-summary.h), and pixels over cells without
 * values only are grey. At scales 1, 1.5, 2 and 3 the stage lines, the
 * frame and the plot's edges lie on whole pixels: a stage line's pixels
 * all have the palette's line colour over the cell, then its halo as
 * wide either side, then the cells' own colours, never a half-intensity
 * blend, and the parts stay inside
 * the bounds they report. No display needed. */
#include "bs-config.h"

#include <math.h>
#include <string.h>

#include "bs-heatmap-figure.h"
#include "figure-fixtures.h"

/* The widget's margins around a 400-unit plot (bs-figure-layout.c). */
#define PLOT_400_WIDTH  (400 + 174)
#define PLOT_400_HEIGHT (400 + 102)
#define N_LARGE         1000

/* ---------------------------------------------------------------- fixtures */

static BsCkaSnapshot *
make_snapshot (guint          n_rows,
               guint          n_cols,
               FigureCellFunc value)
{
  return figure_fixture_snapshot (n_rows, n_cols, value, NULL);
}

/* The figure on a transparent image at scale pixels per unit, moved
 * left and up by shift units (as the widget draws a part of it). */
static cairo_surface_t *
render_shifted (const BsHeatmapFigure *figure,
                double                 scale,
                double                 shift)
{
  cairo_surface_t *surface = cairo_image_surface_create (CAIRO_FORMAT_ARGB32,
                                                         (int) ceil (figure->layout.width * scale),
                                                         (int) ceil (figure->layout.height * scale));
  cairo_t *cr;

  cairo_surface_set_device_scale (surface, scale, scale);
  cr = cairo_create (surface);
  cairo_translate (cr, -shift, -shift);
  bs_heatmap_figure_draw (figure, cr);
  g_assert_cmpint (cairo_status (cr), ==, CAIRO_STATUS_SUCCESS);
  cairo_destroy (cr);
  cairo_surface_flush (surface);

  return surface;
}

static cairo_surface_t *
render_at (const BsHeatmapFigure *figure,
           double                 scale)
{
  return render_shifted (figure, scale, 0);
}

static guint32
pixel (cairo_surface_t *surface,
       int              x,
       int              y)
{
  const guint8 *data = cairo_image_surface_get_data (surface);
  int stride = cairo_image_surface_get_stride (surface);

  g_assert_cmpint (x, >=, 0);
  g_assert_cmpint (y, >=, 0);
  g_assert_cmpint (x, <, cairo_image_surface_get_width (surface));
  g_assert_cmpint (y, <, cairo_image_surface_get_height (surface));

  return *(const guint32 *) (data + (gsize) y * stride + (gsize) x * 4);
}

static guint32
colour_of (const BsHeatmapFigure *figure,
           double                 value)
{
  guint8 rgb[3];

  bs_colormap_lookup (figure->colormap, value, figure->lo, figure->hi, rgb);

  return 0xff000000u | ((guint32) rgb[0] << 16) | ((guint32) rgb[1] << 8) | rgb[2];
}

/* ---------------------------------------------------------------- many layers */

static const guint planted[][2] = { { 500, 500 }, { 137, 862 }, { 0, 999 }, { 999, 3 }, { 321, 322 } };

static double
planted_value (guint row,
               guint col)
{
  for (guint k = 0; k < G_N_ELEMENTS (planted); k++)
    if (planted[k][0] == row && planted[k][1] == col)
      return 1.0;
  /* Ten rows without values: whole pixel rows of them stay grey. */
  if (row >= 700 && row < 710)
    return NAN;
  return 0.2;
}

/* Whether pixel i of n, over cells [0, N_LARGE), covers cell c. The
 * summary's pixel spans, written out. */
static gboolean
covers (guint i,
        guint n,
        guint c)
{
  return c + 1.0 > (double) N_LARGE * i / n && c < (double) N_LARGE * (i + 1) / n;
}

static void
check_planted (const BsHeatmapFigure *figure,
               double                 scale,
               double                 shift)
{
  const BsFigureRect *p = &figure->layout.plot;
  cairo_surface_t *surface = render_shifted (figure, scale, shift);
  guint32 high = colour_of (figure, 1.0), low = colour_of (figure, 0.2), grey = colour_of (figure, NAN);
  int x0 = (int) round ((p->x - shift) * scale), y0 = (int) round ((p->y - shift) * scale);
  guint n = (guint) round (p->width * scale);
  guint n_high = 0, n_grey = 0, want_high = 0;

  g_assert_cmpuint (n, ==, (guint) round (400 * scale));

  for (guint j = 0; j < n; j++)
    for (guint i = 0; i < n; i++)
      {
        /* Image row 0 is the top: the last layer of model A. */
        guint jb = n - 1 - j;
        gboolean is_high = FALSE, is_grey = FALSE;
        guint32 want, got;

        for (guint k = 0; k < G_N_ELEMENTS (planted); k++)
          is_high |= covers (jb, n, planted[k][0]) && covers (i, n, planted[k][1]);
        /* Grey only when every row it covers is one of the ten (spans are
         * contiguous: it covers one of them and none on either side). */
        for (guint r = 700; r < 710; r++)
          is_grey |= covers (jb, n, r);
        is_grey = is_grey && !covers (jb, n, 699) && !covers (jb, n, 710);
        want = is_high ? high : is_grey ? grey : low;
        got = pixel (surface, x0 + (int) i, y0 + (int) j);
        if (got != want)
          g_test_message ("scale %g, plot pixel (%u, %u): got %08x, want %08x", scale, i, j, got, want);
        g_assert_cmphex (got, ==, want);
        n_high += is_high;
        n_grey += is_grey;
      }

  /* Every planted cell shows, in one or two pixels along each axis. */
  for (guint k = 0; k < G_N_ELEMENTS (planted); k++)
    {
      guint along_rows = 0, along_cols = 0;

      for (guint i = 0; i < n; i++)
        {
          along_rows += covers (i, n, planted[k][0]);
          along_cols += covers (i, n, planted[k][1]);
        }
      g_assert_cmpuint (along_rows, >=, 1);
      g_assert_cmpuint (along_rows, <=, 2);
      g_assert_cmpuint (along_cols, >=, 1);
      g_assert_cmpuint (along_cols, <=, 2);
      want_high += along_rows * along_cols;
    }
  g_test_message ("scale %g: %u x %u pixels, %u high, %u grey", scale, n, n, n_high, n_grey);
  g_assert_cmpuint (n_high, ==, want_high);
  g_assert_cmpuint (n_grey, >=, n * (guint) floor (10.0 * n / N_LARGE - 2));

  cairo_surface_destroy (surface);
}

static void
test_many_layers (void)
{
  g_autoptr(BsCkaSnapshot) snapshot = make_snapshot (N_LARGE, N_LARGE, planted_value);
  g_autoptr(BsHeatmapMatrix) matrix = bs_heatmap_matrix_new ();
  BsHeatmapFigure figure;

  bs_heatmap_matrix_update (matrix, snapshot);
  bs_heatmap_figure_init (&figure, matrix, PLOT_400_WIDTH, PLOT_400_HEIGHT);
  figure.parts = BS_HEATMAP_FIGURE_CELLS;
  g_assert_cmpfloat (figure.layout.plot.width, ==, 400);

  /* The pixel scale comes from the surface, or from the figure; the
   * figure may be drawn moved, as the widget draws its parts. */
  check_planted (&figure, 1.0, 0);
  check_planted (&figure, 2.0, 0);
  check_planted (&figure, 1.5, 0);
  check_planted (&figure, 2.0, 20);
  figure.device_scale = 2.0;
  check_planted (&figure, 2.0, 0);
}

/* Zoomed in far enough, one cell is several pixels again: the image is
 * scaled as before, and each cell's centre has its own colour. */
static void
test_many_layers_zoomed (void)
{
  g_autoptr(BsCkaSnapshot) snapshot = make_snapshot (N_LARGE, N_LARGE, planted_value);
  g_autoptr(BsHeatmapMatrix) matrix = bs_heatmap_matrix_new ();
  BsHeatmapFigure figure;
  BsHeatmapView view;
  cairo_surface_t *surface;
  const BsFigureRect *p;
  double x, y, w, h;

  bs_heatmap_matrix_update (matrix, snapshot);
  bs_heatmap_figure_init (&figure, matrix, PLOT_400_WIDTH, PLOT_400_HEIGHT);
  figure.parts = BS_HEATMAP_FIGURE_CELLS;
  p = &figure.layout.plot;
  bs_heatmap_view_init (&view, N_LARGE, N_LARGE, p->width, p->height);
  bs_heatmap_view_set_zoom_at (&view, 50, 200, 200);
  bs_heatmap_view_ensure_visible (&view, 500, 500);
  figure.view = &view;
  surface = render_at (&figure, 2.0);

  for (int dr = -1; dr <= 1; dr++)
    for (int dc = -1; dc <= 1; dc++)
      {
        guint r = 500 + dr, c = 500 + dc;

        bs_heatmap_view_cell_to_rect (&view, r, c, &x, &y, &w, &h);
        g_assert_cmpfloat_with_epsilon (w, 20, 1e-9);
        g_assert_cmphex (pixel (surface, (int) floor ((p->x + x + w / 2) * 2), (int) floor ((p->y + y + h / 2) * 2)), ==,
                         colour_of (&figure, planted_value (r, c)));
      }

  cairo_surface_destroy (surface);
}

/* ---------------------------------------------------------------- crisp lines */

static double
gradient (guint row,
          guint col)
{
  return fmod (0.37 * row + 0.11 * col, 1.0);
}

static gboolean
same_color (const BsFigureColor *a,
            const BsFigureColor *b)
{
  return a->red == b->red && a->green == b->green && a->blue == b->blue && a->alpha == b->alpha;
}

/* color over an opaque cell, as cairo rounds it. */
static gboolean
is_over (guint32              got,
         guint32              cell,
         const BsFigureColor *color)
{
  const double top[3] = { color->blue, color->green, color->red };

  for (guint k = 0; k < 3; k++)
    {
      double c = (cell >> (8 * k)) & 0xff;
      double want = 255 * top[k] * color->alpha + c * (1 - color->alpha);

      if (fabs (((got >> (8 * k)) & 0xff) - want) > 2.0)
        return FALSE;
    }

  return (got >> 24) == 0xff;
}

/* The colour of the cell whose area holds the centre of pixel (px, py). */
static guint32
cell_under_pixel (const BsHeatmapFigure *figure,
                  const BsHeatmapView   *view,
                  double                 scale,
                  int                    px,
                  int                    py)
{
  const BsFigureRect *p = &figure->layout.plot;
  guint row, col;

  g_assert_true (bs_heatmap_view_point_to_cell (view, (px + 0.5) / scale - p->x, (py + 0.5) / scale - p->y,
                                                &row, &col));

  return colour_of (figure, bs_heatmap_matrix_get_value (figure->matrix, row, col));
}

/* Whether pixel (x, y) lies under one of the stage lines or their halos
 * among marks (whose rectangles are in units at scale pixels per unit). */
static gboolean
on_stage_line (const BsHeatmapFigure *figure,
               const GArray          *marks,
               double                 scale,
               int                    x,
               int                    y)
{
  for (guint m = 0; m < marks->len; m++)
    {
      const BsFigureMark *mark = &g_array_index (marks, BsFigureMark, m);

      if (!same_color (&mark->color, &figure->palette.line) &&
          x + 0.5 > mark->rect.x * scale && x + 0.5 < (mark->rect.x + mark->rect.width) * scale &&
          y + 0.5 > mark->rect.y * scale && y + 0.5 < (mark->rect.y + mark->rect.height) * scale)
        return TRUE;
    }

  return FALSE;
}

static gboolean
is_whole (double pixels)
{
  return fabs (pixels - round (pixels)) < 1e-9;
}

static void
check_lines_at (BsHeatmapFigure *figure,
                double           scale)
{
  const BsFigureRect *p = &figure->layout.plot;
  g_autoptr(GArray) marks = NULL;
  cairo_surface_t *surface;
  BsHeatmapView view;
  guint stage_lines = 0;
  int line_pixels = (int) MAX (round (scale), 1);
  const BsFigureColor *line = &figure->palette.stage_line, *halo = &figure->palette.stage_line_halo;

  bs_heatmap_view_init (&view, bs_heatmap_matrix_get_n_rows (figure->matrix),
                        bs_heatmap_matrix_get_n_cols (figure->matrix), p->width, p->height);
  surface = render_at (figure, scale);
  figure->device_scale = scale;
  marks = bs_heatmap_figure_get_marks (figure, BS_HEATMAP_FIGURE_STAGE_LINES | BS_HEATMAP_FIGURE_FRAME);
  figure->device_scale = 0;

  for (guint m = 0; m < marks->len; m++)
    {
      const BsFigureMark *mark = &g_array_index (marks, BsFigureMark, m);
      double x0 = mark->rect.x * scale, y0 = mark->rect.y * scale;
      double x1 = (mark->rect.x + mark->rect.width) * scale, y1 = (mark->rect.y + mark->rect.height) * scale;

      /* Every mark, frame and stage lines, on whole pixels. */
      g_assert_true (is_whole (x0) && is_whole (y0) && is_whole (x1) && is_whole (y1));
      if (!same_color (&mark->color, &figure->palette.stage_line))
        continue;
      stage_lines++;

      /* Across a vertical line at mid-height, or a horizontal one at
       * mid-width: the line's pixels all the line over the cell, a halo
       * of the same width either side, then the cells themselves. */
      if (x1 - x0 < y1 - y0)
        {
          int y = (int) round ((p->y + p->height / 2) * scale) + 1;
          int left = (int) round (x0), right = (int) round (x1);

          g_assert_cmpint (right - left, ==, line_pixels);
          for (int x = left - line_pixels; x < right + line_pixels; x++)
            g_assert_true (is_over (pixel (surface, x, y), cell_under_pixel (figure, &view, scale, x, y),
                                    x < left || x >= right ? halo : line));
          g_assert_cmphex (pixel (surface, left - line_pixels - 1, y), ==,
                           cell_under_pixel (figure, &view, scale, left - line_pixels - 1, y));
          g_assert_cmphex (pixel (surface, right + line_pixels, y), ==,
                           cell_under_pixel (figure, &view, scale, right + line_pixels, y));
        }
      else
        {
          int x = (int) round ((p->x + p->width / 2) * scale) + 1;
          int top = (int) round (y0), bottom = (int) round (y1);

          g_assert_cmpint (bottom - top, ==, line_pixels);
          for (int y = top - line_pixels; y < bottom + line_pixels; y++)
            g_assert_true (is_over (pixel (surface, x, y), cell_under_pixel (figure, &view, scale, x, y),
                                    y < top || y >= bottom ? halo : line));
          g_assert_cmphex (pixel (surface, x, top - line_pixels - 1), ==,
                           cell_under_pixel (figure, &view, scale, x, top - line_pixels - 1));
          g_assert_cmphex (pixel (surface, x, bottom + line_pixels), ==,
                           cell_under_pixel (figure, &view, scale, x, bottom + line_pixels));
        }
    }
  g_assert_cmpuint (stage_lines, ==, 8);

  /* The plot's edge pixels are cells (where no stage line crosses), not
   * cells blended with the margin. */
  {
    int px0 = (int) round (p->x * scale), py0 = (int) round (p->y * scale);
    int px1 = (int) round ((p->x + p->width) * scale), py1 = (int) round ((p->y + p->height) * scale);
    guint checked = 0;

    for (int k = 0; k < 4; k++)
      for (int t = 0; t < (k < 2 ? px1 - px0 : py1 - py0); t += 3)
        {
          int x = k == 0 || k == 1 ? px0 + t : k == 2 ? px0 : px1 - 1;
          int y = k == 2 || k == 3 ? py0 + t : k == 0 ? py0 : py1 - 1;

          if (on_stage_line (figure, marks, scale, x, y))
            continue;
          if (pixel (surface, x, y) != cell_under_pixel (figure, &view, scale, x, y))
            g_test_message ("scale %g: plot edge pixel (%d, %d) of [%d, %d) x [%d, %d)", scale, x, y, px0, px1, py0, py1);
          g_assert_cmphex (pixel (surface, x, y), ==, cell_under_pixel (figure, &view, scale, x, y));
          checked++;
        }
    /* All but those under the eight lines and their halos, where they meet the edges. */
    g_assert_cmpuint (checked, >, 4 * 586 * scale / 3 - 64 * line_pixels);
  }

  cairo_surface_destroy (surface);
}

static void
test_crisp_lines (void)
{
  g_autoptr(BsCkaSnapshot) snapshot = make_snapshot (23, 31, gradient);
  g_autoptr(BsHeatmapMatrix) matrix = bs_heatmap_matrix_new ();
  BsHeatmapFigure figure;

  bs_heatmap_matrix_update (matrix, snapshot);
  bs_heatmap_figure_init (&figure, matrix, 760, 700);
  figure.rows = bs_cka_snapshot_get_rows (snapshot);
  figure.cols = bs_cka_snapshot_get_cols (snapshot);
  figure.parts = BS_HEATMAP_FIGURE_CELLS | BS_HEATMAP_FIGURE_STAGE_LINES | BS_HEATMAP_FIGURE_FRAME;

  check_lines_at (&figure, 1.0);
  check_lines_at (&figure, 2.0);
  check_lines_at (&figure, 1.5);
  check_lines_at (&figure, 1.25);
  check_lines_at (&figure, 3.0);
}

/* At any scale, the cells, the stage lines and the frame stay inside the
 * bounds their parts report. */
static void
test_part_bounds (void)
{
  static const double scales[] = { 1.25, 1.5, 2.0, 3.0 };
  static const BsHeatmapFigureParts parts[] = {
    BS_HEATMAP_FIGURE_CELLS | BS_HEATMAP_FIGURE_STAGE_LINES, BS_HEATMAP_FIGURE_FRAME,
  };
  g_autoptr(BsCkaSnapshot) snapshot = make_snapshot (23, 31, gradient);
  g_autoptr(BsHeatmapMatrix) matrix = bs_heatmap_matrix_new ();
  BsHeatmapFigure figure;

  bs_heatmap_matrix_update (matrix, snapshot);
  /* An odd size, so the plot's edges fall between pixels at 1.25 and 1.5. */
  bs_heatmap_figure_init (&figure, matrix, 761, 703);
  figure.rows = bs_cka_snapshot_get_rows (snapshot);
  figure.cols = bs_cka_snapshot_get_cols (snapshot);

  for (guint k = 0; k < G_N_ELEMENTS (scales); k++)
    for (guint i = 0; i < G_N_ELEMENTS (parts); i++)
      {
        double scale = scales[k];
        cairo_surface_t *surface;
        BsFigureRect b;
        guint inside = 0;

        figure.parts = parts[i];
        figure.device_scale = scale;
        bs_heatmap_figure_get_part_bounds (&figure, parts[i], &b);
        surface = render_at (&figure, scale);
        for (int y = 0; y < cairo_image_surface_get_height (surface); y++)
          for (int x = 0; x < cairo_image_surface_get_width (surface); x++)
            {
              if ((pixel (surface, x, y) >> 24) == 0)
                continue;
              if (x < floor (b.x * scale) || y < floor (b.y * scale) ||
                  x >= ceil ((b.x + b.width) * scale) || y >= ceil ((b.y + b.height) * scale))
                {
                  g_test_message ("scale %g, part %#x drew at pixel (%d, %d), outside %g, %g, %g x %g",
                                  scale, parts[i], x, y, b.x, b.y, b.width, b.height);
                  g_assert_not_reached ();
                }
              inside++;
            }
        g_assert_cmpuint (inside, >, 1000);
        cairo_surface_destroy (surface);
      }
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/figure-scale/many-layers", test_many_layers);
  g_test_add_func ("/figure-scale/many-layers-zoomed", test_many_layers_zoomed);
  g_test_add_func ("/figure-scale/crisp-lines", test_crisp_lines);
  g_test_add_func ("/figure-scale/part-bounds", test_part_bounds);

  return g_test_run ();
}
