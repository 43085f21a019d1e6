/* test-figure.c: the cairo heatmap figure (bs-heatmap-figure.h), drawn
 * into image surfaces and read back pixel by pixel: every cell's centre
 * has its value's colour (NaN grey, values outside the range clamped),
 * layer 0 sits at the bottom left, zoom and pan move the cells as
 * bs-heatmap-view.h says, stage lines lie where the stages change, the
 * colour bar runs from the low colour at the bottom to the high one at the
 * top, every part stays inside the bounds it reports, and the same figure
 * goes to PDF and SVG. No display needed. */
#include "bs-config.h"

#include <math.h>
#include <string.h>

#include <cairo-pdf.h>
#include <cairo-svg.h>

#include "bs-heatmap-cells.h"
#include "bs-heatmap-figure.h"
#include "figure-fixtures.h"

#define N_ROWS 23
#define N_COLS 31
#define WIDTH  760
#define HEIGHT 700

/* ---------------------------------------------------------------- fixtures */

static double
test_value (guint row,
            guint col)
{
  /* A gradient with structure, a NaN cell and values outside [0, 1]. */
  if (row == 5 && col == 7)
    return NAN;
  if (row == 0 && col == 0)
    return -0.25;
  if (row == N_ROWS - 1 && col == N_COLS - 1)
    return 1.5;
  return fmod (0.37 * row + 0.11 * col, 1.0);
}

static BsCkaSnapshot *
make_snapshot (guint          n_rows,
               guint          n_cols,
               FigureCellFunc value)
{
  return figure_fixture_snapshot (n_rows, n_cols, value, NULL);
}

typedef struct {
  BsCkaSnapshot   *snapshot;
  BsHeatmapMatrix *matrix;
  BsHeatmapFigure  figure;
} Figure;

static void
figure_setup (Figure  *f,
              guint    n_rows,
              guint    n_cols,
              double (*value) (guint row, guint col))
{
  f->snapshot = make_snapshot (n_rows, n_cols, value);
  f->matrix = bs_heatmap_matrix_new ();
  bs_heatmap_matrix_update (f->matrix, f->snapshot);
  bs_heatmap_figure_init (&f->figure, f->matrix, WIDTH, HEIGHT);
  f->figure.rows = bs_cka_snapshot_get_rows (f->snapshot);
  f->figure.cols = bs_cka_snapshot_get_cols (f->snapshot);
  f->figure.model_a = "ResNet-20";
  f->figure.model_b = "ResNet-56";
  bs_figure_palette_init_from_theme (&f->figure.palette, &(BsFigureColor) { 0.18, 0.20, 0.21, 1.0 },
                                     &(BsFigureColor) { 1, 1, 1, 1 }, &(BsFigureColor) { 0.1, 0.4, 0.8, 1 }, FALSE);
}

static void
figure_clear (Figure *f)
{
  bs_heatmap_matrix_free (f->matrix);
  bs_cka_snapshot_unref (f->snapshot);
}

/* The figure on a transparent ARGB32 image of its size. */
static cairo_surface_t *
render (const BsHeatmapFigure *figure)
{
  cairo_surface_t *surface = cairo_image_surface_create (CAIRO_FORMAT_ARGB32,
                                                         (int) figure->layout.width,
                                                         (int) figure->layout.height);
  cairo_t *cr = cairo_create (surface);

  bs_heatmap_figure_draw (figure, cr);
  g_assert_cmpint (cairo_status (cr), ==, CAIRO_STATUS_SUCCESS);
  cairo_destroy (cr);
  cairo_surface_flush (surface);

  return surface;
}

/* Premultiplied ARGB32: only opaque pixels are compared by colour. */
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
opaque (const guint8 rgb[3])
{
  return 0xff000000u | ((guint32) rgb[0] << 16) | ((guint32) rgb[1] << 8) | rgb[2];
}

/* The colour a cell must have: its value as the texture holds it (a
 * float), through the colour map. */
static guint32
cell_colour (const BsHeatmapFigure *figure,
             guint                  row,
             guint                  col)
{
  guint8 rgb[3];

  bs_colormap_lookup (figure->colormap, bs_heatmap_matrix_get_value (figure->matrix, row, col),
                      figure->lo, figure->hi, rgb);

  return opaque (rgb);
}

static void
assert_pixel (cairo_surface_t *surface,
              int              x,
              int              y,
              guint32          want,
              const char      *what)
{
  guint32 got = pixel (surface, x, y);

  if (got != want)
    g_test_message ("%s at (%d, %d): got %08x, want %08x", what, x, y, got, want);
  g_assert_cmphex (got, ==, want);
}

/* Whether the figure draws a stage line (and its halo) at boundary i of
 * layers (n layers: i from 0 to n). */
static gboolean
stage_line_before (const BsLayerInfo *layers,
                   guint              n,
                   guint              i)
{
  return layers != NULL && i > 0 && i < n && layers[i].stage != layers[i - 1].stage;
}

/* Checks the centre of every cell well inside the plot; returns how many. */
static guint
check_cell_centres (const BsHeatmapFigure *figure,
                    const BsHeatmapView   *view,
                    cairo_surface_t       *surface)
{
  const BsFigureRect *p = &figure->layout.plot;
  guint checked = 0;

  for (guint r = 0; r < view->n_rows; r++)
    for (guint c = 0; c < view->n_cols; c++)
      {
        double x, y, w, h;
        guint hit_row, hit_col;
        int px, py;

        bs_heatmap_view_cell_to_rect (view, r, c, &x, &y, &w, &h);
        px = (int) floor (p->x + x + w / 2);
        py = (int) floor (p->y + y + h / 2);
        if (x + w / 2 < 1 || y + h / 2 < 1 || x + w / 2 > p->width - 1 || y + h / 2 > p->height - 1)
          continue;

        /* The hit test agrees with where the cell is drawn. */
        g_assert_true (bs_heatmap_view_point_to_cell (view, px + 0.5 - p->x, py + 0.5 - p->y, &hit_row, &hit_col));
        g_assert_cmpuint (hit_row, ==, r);
        g_assert_cmpuint (hit_col, ==, c);
        assert_pixel (surface, px, py, cell_colour (figure, r, c), "cell centre");

        /* Near the top-left corner too, when the cell is large enough:
         * the edges are where the view says, not only the centres. A stage
         * line's halo covers the unit after the line. */
        if (w >= 6 && h >= 6 && x >= 0 && y >= 0)
          {
            gboolean after_line_x = stage_line_before (figure->cols, view->n_cols, c);
            gboolean after_line_y = stage_line_before (figure->rows, view->n_rows, r + 1);

            assert_pixel (surface, (int) floor (p->x + x + (after_line_x ? 2.5 : 1.5)),
                          (int) floor (p->y + y + (after_line_y ? 2.5 : 1.5)), cell_colour (figure, r, c), "cell corner");
          }
        checked++;
      }

  return checked;
}

/* ---------------------------------------------------------------- tests */

/* The margins the window has always used: a 760 x 700 widget has its
 * square plot at (86, 34), 586 wide. */
static void
test_layout (void)
{
  BsFigureLayout layout, titled;
  double top, right, bottom, left;

  bs_figure_layout_init (&layout, WIDTH, HEIGHT, 1.0, FALSE);
  g_assert_cmpfloat (layout.plot.x, ==, 86);
  g_assert_cmpfloat (layout.plot.y, ==, 34);
  g_assert_cmpfloat (layout.plot.width, ==, 586);
  g_assert_cmpfloat (layout.plot.height, ==, 586);
  g_assert_cmpfloat (layout.colorbar.x, ==, 86 + 586 + 22);
  g_assert_cmpfloat (layout.colorbar.height, ==, 586);
  g_assert_cmpfloat (layout.row_strip.x + layout.row_strip.width, <, layout.plot.x);
  g_assert_cmpfloat (layout.row_band.x + layout.row_band.width, <, layout.row_strip.x);
  g_assert_cmpfloat (layout.col_strip.y, >, layout.plot.y + layout.plot.height);
  g_assert_cmpfloat (layout.col_band.y, >, layout.col_strip.y + layout.col_strip.height);

  bs_figure_layout_get_margins (1.0, FALSE, &top, &right, &bottom, &left);
  g_assert_cmpfloat (left + right, ==, 174);
  g_assert_cmpfloat (top + bottom, ==, 102);

  /* A title takes room above; twice the scale, twice the margins. */
  bs_figure_layout_init (&titled, WIDTH, HEIGHT, 1.0, TRUE);
  g_assert_cmpfloat (titled.margin_top, >, layout.margin_top);
  g_assert_cmpfloat (titled.plot.y, >=, titled.margin_top);
  bs_figure_layout_init (&titled, 2 * WIDTH, 2 * HEIGHT, 2.0, FALSE);
  g_assert_cmpfloat (titled.plot.x, ==, 2 * layout.plot.x);
  g_assert_cmpfloat (titled.plot.width, ==, 2 * layout.plot.width);

  /* Too small a figure still gets a plot of 16. */
  bs_figure_layout_init (&layout, 100, 100, 1.0, FALSE);
  g_assert_cmpfloat (layout.plot.width, ==, 16);
}

static void
test_cells (void)
{
  Figure f;
  BsHeatmapView view;
  cairo_surface_t *surface;
  const BsFigureRect *p;
  guint8 rgb[3];

  figure_setup (&f, N_ROWS, N_COLS, test_value);
  p = &f.figure.layout.plot;
  surface = render (&f.figure);
  bs_heatmap_view_init (&view, N_ROWS, N_COLS, p->width, p->height);

  g_assert_cmpuint (check_cell_centres (&f.figure, &view, surface), ==, N_ROWS * N_COLS);

  /* The special cells, by their colours rather than the lookup. */
  {
    double x, y, w, h;

    bs_heatmap_view_cell_to_rect (&view, 5, 7, &x, &y, &w, &h);
    assert_pixel (surface, (int) (p->x + x + w / 2), (int) (p->y + y + h / 2),
                  0xff000000u | (BS_COLORMAP_NAN_R << 16) | (BS_COLORMAP_NAN_G << 8) | BS_COLORMAP_NAN_B,
                  "NaN cell");
  }
  rgb[0] = bs_colormap_get_table (BS_COLORMAP_MAGMA)[0];
  rgb[1] = bs_colormap_get_table (BS_COLORMAP_MAGMA)[1];
  rgb[2] = bs_colormap_get_table (BS_COLORMAP_MAGMA)[2];
  /* Layer 0 of both models at the bottom left: -0.25 clamps to entry 0. */
  assert_pixel (surface, (int) p->x + 2, (int) (p->y + p->height) - 3, opaque (rgb), "bottom-left cell");
  memcpy (rgb, bs_colormap_get_table (BS_COLORMAP_MAGMA) + 3 * 255, 3);
  /* The last layers at the top right: 1.5 clamps to entry 255. */
  assert_pixel (surface, (int) (p->x + p->width) - 3, (int) p->y + 2, opaque (rgb), "top-right cell");

  /* Another map over the data's range: other, equally exact colours. */
  cairo_surface_destroy (surface);
  f.figure.colormap = BS_COLORMAP_VIRIDIS;
  g_assert_true (bs_heatmap_matrix_get_data_range (f.matrix, &f.figure.lo, &f.figure.hi));
  surface = render (&f.figure);
  g_assert_cmpuint (check_cell_centres (&f.figure, &view, surface), ==, N_ROWS * N_COLS);

  cairo_surface_destroy (surface);
  figure_clear (&f);
}

/* A kept cells image (the widget's) draws the same as one made per call,
 * and after a same-shape update only the changed rows are recoloured. */
static double
row_9_changed (guint row,
               guint col)
{
  return row == 9 ? 0.999 : test_value (row, col);
}

static void
test_kept_cells_image (void)
{
  Figure f;
  g_autoptr(BsHeatmapCells) cells = bs_heatmap_cells_new ();
  g_autoptr(BsCkaSnapshot) changed = make_snapshot (N_ROWS, N_COLS, row_9_changed);
  BsHeatmapView view;
  cairo_surface_t *surface;

  figure_setup (&f, N_ROWS, N_COLS, test_value);
  bs_heatmap_view_init (&view, N_ROWS, N_COLS, f.figure.layout.plot.width, f.figure.layout.plot.height);

  g_assert_null (bs_heatmap_cells_get_surface (cells));
  g_assert_cmpuint (bs_heatmap_cells_update (cells, f.matrix, f.figure.colormap, 0, 1), ==, N_ROWS);
  g_assert_cmpuint (bs_heatmap_cells_update (cells, f.matrix, f.figure.colormap, 0, 1), ==, 0);

  g_assert_cmpint (bs_heatmap_matrix_update (f.matrix, changed), ==, BS_HEATMAP_MATRIX_UPDATED);
  g_assert_cmpuint (bs_heatmap_cells_update (cells, f.matrix, f.figure.colormap, 0, 1), ==, 1);
  f.figure.cells_image = bs_heatmap_cells_get_surface (cells);
  surface = render (&f.figure);
  g_assert_cmpuint (check_cell_centres (&f.figure, &view, surface), ==, N_ROWS * N_COLS);
  cairo_surface_destroy (surface);

  /* Another range recolours everything. */
  g_assert_cmpuint (bs_heatmap_cells_update (cells, f.matrix, f.figure.colormap, -1, 1), ==, N_ROWS);

  figure_clear (&f);
}

static void
test_zoom_pan (void)
{
  Figure f;
  BsHeatmapView view;
  cairo_surface_t *surface;
  const BsFigureRect *p;
  double x0, y0, w0, h0, x1, y1, w1, h1;
  guint checked;

  figure_setup (&f, N_ROWS, N_COLS, test_value);
  p = &f.figure.layout.plot;
  bs_heatmap_view_init (&view, N_ROWS, N_COLS, p->width, p->height);
  bs_heatmap_view_cell_to_rect (&view, 11, 15, &x0, &y0, &w0, &h0);

  bs_heatmap_view_zoom_at (&view, 2.6, 200, 340);
  bs_heatmap_view_pan (&view, 37, -23);
  g_assert_cmpfloat (view.zoom, >, 2.5);
  f.figure.view = &view;
  surface = render (&f.figure);

  /* The cells moved and grew, and the picture follows the view. */
  bs_heatmap_view_cell_to_rect (&view, 11, 15, &x1, &y1, &w1, &h1);
  g_assert_cmpfloat (fabs (x1 - x0), >, 10);
  g_assert_cmpfloat_with_epsilon (w1, 2.6 * w0, 1e-9);
  checked = check_cell_centres (&f.figure, &view, surface);
  g_test_message ("%u cells checked at zoom %.2f", checked, view.zoom);
  g_assert_cmpuint (checked, >, 60);
  g_assert_cmpuint (checked, <, N_ROWS * N_COLS / 4);

  /* A view of another size is fitted to the plot, keeping zoom and centre. */
  cairo_surface_destroy (surface);
  bs_heatmap_view_set_size (&view, 100, 50);
  surface = render (&f.figure);
  bs_heatmap_view_set_size (&view, p->width, p->height);
  g_assert_cmpuint (check_cell_centres (&f.figure, &view, surface), ==, checked);

  cairo_surface_destroy (surface);
  figure_clear (&f);
}

/* color (translucent) over an opaque cell colour, as cairo rounds it. */
static gboolean
is_over (guint32              got,
         guint32              cell,
         const BsFigureColor *color)
{
  const double channels[3] = { color->blue, color->green, color->red };

  for (guint shift = 0; shift <= 16; shift += 8)
    {
      double c = (cell >> shift) & 0xff;
      double want = 255 * channels[shift / 8] * color->alpha + c * (1 - color->alpha);

      if (fabs (((got >> shift) & 0xff) - want) > 2.0)
        return FALSE;
    }

  return (got >> 24) == 0xff;
}

static void
test_stage_lines (void)
{
  Figure f;
  cairo_surface_t *surface;
  const BsFigureRect *p;
  const BsLayerInfo *rows, *cols;
  BsHeatmapView view;
  double cw, ch;
  guint lines = 0, changes = 0;

  figure_setup (&f, N_ROWS, N_COLS, test_value);
  p = &f.figure.layout.plot;
  rows = f.figure.rows;
  cols = f.figure.cols;
  cw = p->width / N_COLS;
  ch = p->height / N_ROWS;
  bs_heatmap_view_init (&view, N_ROWS, N_COLS, p->width, p->height);
  surface = render (&f.figure);

  /* Vertical lines, read along row 3: the unit that holds the boundary is
   * white-washed where the stage of the columns changes, the units either
   * side of it darkened by the halo, and nowhere else. */
  for (guint i = 1; i < N_COLS; i++)
    {
      double b = p->x + i * cw;
      int x = (int) floor (b);
      int y = (int) floor (p->y + p->height - 3.5 * ch);
      guint col_at_x = (guint) floor ((x + 0.5 - p->x) / cw);
      guint32 under = cell_colour (&f.figure, 3, col_at_x);
      gboolean change = cols[i].stage != cols[i - 1].stage;

      changes += change;
      if (change)
        {
          g_assert_true (is_over (pixel (surface, x, y), under, &f.figure.palette.stage_line));
          g_assert_true (is_over (pixel (surface, x - 1, y), cell_colour (&f.figure, 3, (guint) floor ((x - 0.5 - p->x) / cw)),
                                  &f.figure.palette.stage_line_halo));
          g_assert_true (is_over (pixel (surface, x + 1, y), cell_colour (&f.figure, 3, (guint) floor ((x + 1.5 - p->x) / cw)),
                                  &f.figure.palette.stage_line_halo));
          lines++;
        }
      else
        assert_pixel (surface, x, y, under, "no stage change");
      /* The cells beside the line are untouched. */
      assert_pixel (surface, x - 2, y, cell_colour (&f.figure, 3, (guint) floor ((x - 1.5 - p->x) / cw)), "left of boundary");
      assert_pixel (surface, x + 2, y, cell_colour (&f.figure, 3, (guint) floor ((x + 2.5 - p->x) / cw)), "right of boundary");
    }

  /* Horizontal lines, read along column 4 (row boundaries run upwards). */
  for (guint i = 1; i < N_ROWS; i++)
    {
      double b = p->y + p->height - i * ch;
      int y = (int) floor (b);
      int x = (int) floor (p->x + 4.5 * cw);
      guint row_at_y = (guint) floor ((p->y + p->height - (y + 0.5)) / ch);
      guint32 under = cell_colour (&f.figure, row_at_y, 4);
      gboolean change = rows[i].stage != rows[i - 1].stage;

      changes += change;
      if (change)
        {
          g_assert_true (is_over (pixel (surface, x, y), under, &f.figure.palette.stage_line));
          g_assert_true (is_over (pixel (surface, x, y - 1),
                                  cell_colour (&f.figure, (guint) floor ((p->y + p->height - (y - 0.5)) / ch), 4),
                                  &f.figure.palette.stage_line_halo));
          g_assert_true (is_over (pixel (surface, x, y + 1),
                                  cell_colour (&f.figure, (guint) floor ((p->y + p->height - (y + 1.5)) / ch), 4),
                                  &f.figure.palette.stage_line_halo));
          lines++;
        }
      else
        assert_pixel (surface, x, y, under, "no stage change");
    }

  /* Stem | 1 | 2 | 3 | head on both axes. */
  g_assert_cmpuint (changes, ==, 8);
  g_assert_cmpuint (lines, ==, 8);

  /* The same lines as rectangles, for drawing them without cairo: one
   * unit wide, across the plot, at the units checked above; first the
   * halos, two per line, so that no halo covers a line that crosses it. */
  {
    g_autoptr(GArray) marks = bs_heatmap_figure_get_marks (&f.figure, BS_HEATMAP_FIGURE_STAGE_LINES);
    guint vertical = 0;

    g_assert_cmpuint (marks->len, ==, 8 * 3);
    for (guint i = 0; i < marks->len; i++)
      {
        const BsFigureMark *m = &g_array_index (marks, BsFigureMark, i);
        const BsFigureColor *want = i < 16 ? &f.figure.palette.stage_line_halo : &f.figure.palette.stage_line;

        g_assert_cmpmem (&m->color, sizeof m->color, want, sizeof *want);
        if (i < 16)
          continue;
        if (m->rect.width == 1)
          {
            g_assert_cmpfloat (m->rect.height, ==, p->height);
            g_assert_cmpfloat (m->rect.x, ==, floor (m->rect.x));
            vertical++;
          }
        else
          {
            g_assert_cmpfloat (m->rect.width, ==, p->width);
            g_assert_cmpfloat (m->rect.height, ==, 1);
          }
      }
    g_assert_cmpuint (vertical, ==, 4);
  }

  /* Without the part, no line. */
  cairo_surface_destroy (surface);
  f.figure.parts &= ~BS_HEATMAP_FIGURE_STAGE_LINES;
  surface = render (&f.figure);
  for (guint i = 1; i < N_COLS; i++)
    {
      int x = (int) floor (p->x + i * cw);
      int y = (int) floor (p->y + p->height - 3.5 * ch);

      assert_pixel (surface, x, y, cell_colour (&f.figure, 3, (guint) floor ((x + 0.5 - p->x) / cw)), "no lines");
    }

  cairo_surface_destroy (surface);
  figure_clear (&f);
}

static void
test_colorbar (void)
{
  Figure f;
  cairo_surface_t *surface;
  const BsFigureRect *bar;
  const guint8 *table;
  int x, last_entry = BS_COLORMAP_SIZE;
  guint checked = 0;

  figure_setup (&f, N_ROWS, N_COLS, test_value);
  f.figure.colormap = BS_COLORMAP_VIRIDIS;
  table = bs_colormap_get_table (f.figure.colormap);
  bar = &f.figure.layout.colorbar;
  surface = render (&f.figure);
  x = (int) floor (bar->x + bar->width / 2);

  /* Inside the 1-unit frame: each row shows the entry its centre falls on,
   * entry 255 at the top, entry 0 at the bottom, never rising downwards. */
  for (int y = (int) bar->y + 1; y < (int) (bar->y + bar->height) - 1; y++)
    {
      double t = (y + 0.5 - bar->y) / bar->height * BS_COLORMAP_SIZE;
      int entry = BS_COLORMAP_SIZE - 1 - (int) floor (t);
      guint32 got = pixel (surface, x, y);

      /* A row whose centre sits on the edge of two entries may show
       * either. */
      if (got != opaque (table + 3 * entry) && fabs (t - round (t)) < 1e-6)
        {
          int other = entry + 1;

          if (other < BS_COLORMAP_SIZE && got == opaque (table + 3 * other))
            entry = other;
        }
      assert_pixel (surface, x, y, opaque (table + 3 * entry), "colour bar");
      g_assert_cmpint (entry, <=, last_entry);
      last_entry = entry;
      checked++;
    }
  g_assert_cmpuint (checked, ==, (guint) bar->height - 2);
  assert_pixel (surface, x, (int) bar->y + 1, opaque (table + 3 * 255), "top of the bar");
  assert_pixel (surface, x, (int) (bar->y + bar->height) - 2, opaque (table), "bottom of the bar");

  cairo_surface_destroy (surface);
  figure_clear (&f);
}

/* Every part draws something, and only inside the bounds it reports (the
 * window clips each part's node to them). */
static void
test_part_bounds (void)
{
  static const BsHeatmapFigureParts parts[] = {
    BS_HEATMAP_FIGURE_CELLS, BS_HEATMAP_FIGURE_STAGE_LINES, BS_HEATMAP_FIGURE_FRAME,
    BS_HEATMAP_FIGURE_ROW_AXIS, BS_HEATMAP_FIGURE_COL_AXIS, BS_HEATMAP_FIGURE_COLORBAR,
    BS_HEATMAP_FIGURE_TITLE,
  };
  Figure f;
  BsHeatmapView view;

  figure_setup (&f, N_ROWS, N_COLS, test_value);
  f.figure.title = "Layer similarity of two ResNets";
  bs_figure_layout_init (&f.figure.layout, WIDTH, HEIGHT, 1.0, TRUE);
  /* Zoomed, so the axes have marks to cut at the plot's extent. */
  bs_heatmap_view_init (&view, N_ROWS, N_COLS, f.figure.layout.plot.width, f.figure.layout.plot.height);
  bs_heatmap_view_zoom_at (&view, 2, 300, 300);
  f.figure.view = &view;

  for (guint i = 0; i < G_N_ELEMENTS (parts); i++)
    {
      cairo_surface_t *surface;
      BsFigureRect b;
      guint inside = 0;

      f.figure.parts = parts[i];
      bs_heatmap_figure_get_part_bounds (&f.figure, parts[i], &b);
      g_assert_cmpfloat (b.width, >, 0);
      g_assert_cmpfloat (b.height, >, 0);
      surface = render (&f.figure);

      for (int y = 0; y < HEIGHT; y++)
        for (int x = 0; x < WIDTH; x++)
          {
            if ((pixel (surface, x, y) >> 24) == 0)
              continue;
            if (x < floor (b.x) || y < floor (b.y) || x >= ceil (b.x + b.width) || y >= ceil (b.y + b.height))
              {
                g_test_message ("part %#x drew at (%d, %d), outside %g, %g, %g x %g",
                                parts[i], x, y, b.x, b.y, b.width, b.height);
                g_assert_not_reached ();
              }
            inside++;
          }
      g_test_message ("part %#x: %u pixels", parts[i], inside);
      g_assert_cmpuint (inside, >, 50);
      cairo_surface_destroy (surface);
    }

  /* No title, no title part. */
  f.figure.title = NULL;
  {
    BsFigureRect b;

    bs_heatmap_figure_get_part_bounds (&f.figure, BS_HEATMAP_FIGURE_TITLE, &b);
    g_assert_cmpfloat (b.width * b.height, ==, 0);
  }

  figure_clear (&f);
}

static cairo_status_t
append_bytes (void                *closure,
              const unsigned char *data,
              unsigned int         length)
{
  g_byte_array_append (closure, data, length);

  return CAIRO_STATUS_SUCCESS;
}

static GByteArray *
render_vector (const BsHeatmapFigure *figure,
               gboolean               svg)
{
  GByteArray *bytes = g_byte_array_new ();
  cairo_surface_t *surface;
  cairo_t *cr;

  if (svg)
    surface = cairo_svg_surface_create_for_stream (append_bytes, bytes, figure->layout.width, figure->layout.height);
  else
    surface = cairo_pdf_surface_create_for_stream (append_bytes, bytes, figure->layout.width, figure->layout.height);
  g_assert_cmpint (cairo_surface_status (surface), ==, CAIRO_STATUS_SUCCESS);

  cr = cairo_create (surface);
  bs_heatmap_figure_draw (figure, cr);
  g_assert_cmpint (cairo_status (cr), ==, CAIRO_STATUS_SUCCESS);
  cairo_destroy (cr);
  cairo_surface_finish (surface);
  g_assert_cmpint (cairo_surface_status (surface), ==, CAIRO_STATUS_SUCCESS);
  cairo_surface_destroy (surface);

  return bytes;
}

static void
test_pdf_and_svg (void)
{
  Figure f;
  g_autoptr(GByteArray) pdf = NULL;
  g_autoptr(GByteArray) svg = NULL;
  g_autofree char *text = NULL;

  figure_setup (&f, N_ROWS, N_COLS, test_value);
  f.figure.title = "ResNet-20 against ResNet-56";
  bs_figure_layout_init (&f.figure.layout, WIDTH, HEIGHT, 1.0, TRUE);

  pdf = render_vector (&f.figure, FALSE);
  g_test_message ("PDF: %u bytes", pdf->len);
  g_assert_cmpuint (pdf->len, >, 1000);
  g_assert_cmpmem (pdf->data, 5, "%PDF-", 5);

  svg = render_vector (&f.figure, TRUE);
  g_test_message ("SVG: %u bytes", svg->len);
  g_assert_cmpuint (svg->len, >, 1000);
  text = g_strndup ((const char *) svg->data, svg->len);
  g_assert_nonnull (strstr (text, "<svg"));
  /* Cells as rectangles there: an image would be smoothed when scaled. */
  g_assert_null (strstr (text, "<image"));

  /* To look at: BS_TEST_SCREENSHOT_DIR=/tmp/figures build/tests/core/test-figure */
  if (g_getenv ("BS_TEST_SCREENSHOT_DIR") != NULL)
    {
      const char *dir = g_getenv ("BS_TEST_SCREENSHOT_DIR");
      g_autofree char *pdf_path = g_build_filename (dir, "figure.pdf", NULL);
      g_autofree char *svg_path = g_build_filename (dir, "figure.svg", NULL);
      g_autofree char *png_path = g_build_filename (dir, "figure.png", NULL);
      cairo_surface_t *image = cairo_image_surface_create (CAIRO_FORMAT_RGB24, WIDTH, HEIGHT);
      cairo_t *cr = cairo_create (image);

      g_mkdir_with_parents (dir, 0755);
      g_assert_true (g_file_set_contents (pdf_path, (const char *) pdf->data, pdf->len, NULL));
      g_assert_true (g_file_set_contents (svg_path, text, svg->len, NULL));
      cairo_set_source_rgb (cr, 1, 1, 1);
      cairo_paint (cr);
      bs_heatmap_figure_draw (&f.figure, cr);
      cairo_destroy (cr);
      g_assert_cmpint (cairo_surface_write_to_png (image, png_path), ==, CAIRO_STATUS_SUCCESS);
      cairo_surface_destroy (image);
      g_test_message ("figures saved in %s", dir);
    }

  figure_clear (&f);
}

/* Every colour but the cells' comes from the palette: the background
 * part paints the palette's background, the frame is its line colour, the
 * title its text colour; without the background part the figure leaves
 * its margins transparent for the window behind it. */
static void
test_palette (void)
{
  const BsFigureColor white = { 1, 1, 1, 1 }, dark = { 0x24 / 255.0, 0x24 / 255.0, 0x24 / 255.0, 1 };
  const BsFigureColor accent = { 0x78 / 255.0, 0xae / 255.0, 0xed / 255.0, 1 };
  const BsFigurePalette *palette;
  const BsFigureRect *p;
  BsFigureColor frame, strongest = { 0, 0, 0, 1 };
  double best = 1;
  cairo_surface_t *surface;
  Figure f;
  guint32 got;

  figure_setup (&f, N_ROWS, N_COLS, test_value);
  bs_figure_palette_init_from_theme (&f.figure.palette, &white, &dark, &accent, FALSE);
  palette = &f.figure.palette;
  p = &f.figure.layout.plot;
  f.figure.title = "Palette";
  bs_figure_layout_init (&f.figure.layout, WIDTH, HEIGHT, 1.0, TRUE);
  f.figure.parts = BS_HEATMAP_FIGURE_ALL | BS_HEATMAP_FIGURE_BACKGROUND;
  surface = render (&f.figure);

  /* The corner: the background, opaque. */
  assert_pixel (surface, 2, 2, 0xff242424, "background");

  /* Left of the plot, halfway down: the frame, the line colour over the
   * background. */
  frame = bs_figure_color_over (&palette->line, &palette->background);
  got = pixel (surface, (int) p->x - 1, (int) (p->y + p->height / 2));
  g_assert_cmpint (ABS ((int) ((got >> 16) & 0xff) - (int) lround (frame.red * 255)), <=, 1);
  g_assert_cmpint (ABS ((int) ((got >> 8) & 0xff) - (int) lround (frame.green * 255)), <=, 1);
  g_assert_cmpint (ABS ((int) (got & 0xff) - (int) lround (frame.blue * 255)), <=, 1);

  /* The title's glyphs: their cores have the text colour, white here. */
  for (int y = 4; y < (int) p->y - 4; y++)
    for (int x = (int) p->x; x < (int) (p->x + p->width); x++)
      {
        guint32 c = pixel (surface, x, y);
        BsFigureColor seen = { ((c >> 16) & 0xff) / 255.0, ((c >> 8) & 0xff) / 255.0, (c & 0xff) / 255.0, 1 };
        double ratio = bs_figure_contrast_ratio (&seen, &palette->background);

        if (ratio > best)
          {
            best = ratio;
            strongest = seen;
          }
      }
  g_test_message ("title: strongest pixel %.3f %.3f %.3f, %.2f:1", strongest.red, strongest.green, strongest.blue, best);
  g_assert_cmpfloat (best, >=, 0.95 * bs_figure_contrast_ratio (&palette->text, &palette->background));

  /* Without the part, the margins stay transparent. */
  cairo_surface_destroy (surface);
  f.figure.parts = BS_HEATMAP_FIGURE_ALL;
  surface = render (&f.figure);
  g_assert_cmphex (pixel (surface, 2, 2), ==, 0);

  cairo_surface_destroy (surface);
  figure_clear (&f);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/figure/layout", test_layout);
  g_test_add_func ("/figure/cells", test_cells);
  g_test_add_func ("/figure/kept-cells-image", test_kept_cells_image);
  g_test_add_func ("/figure/zoom-pan", test_zoom_pan);
  g_test_add_func ("/figure/stage-lines", test_stage_lines);
  g_test_add_func ("/figure/colorbar", test_colorbar);
  g_test_add_func ("/figure/part-bounds", test_part_bounds);
  g_test_add_func ("/figure/pdf-and-svg", test_pdf_and_svg);
  g_test_add_func ("/figure/palette", test_palette);

  return g_test_run ();
}
