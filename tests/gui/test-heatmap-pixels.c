/* test-heatmap-pixels.c: the heatmap widget at any size and any scale,
 * drawn with OpenGL, OpenGL ES or cairo (BS_TEST_EXPECT_DRAWING) at the
 * scale factor BS_TEST_EXPECT_SCALE says (GDK_SCALE=2 in the scale-2
 * variants of meson.build).
 *
 * Many layers: a 1,000 x 1,000 matrix in a 400-pixel plot keeps planted
 * single high cells visible: every device pixel that covers one has the
 * colour map's high colour, every other the low one, pixels over cells
 * without values only are grey; hover and click still name the exact
 * cell under the pointer, and zoomed in the cells are drawn one by one.
 *
 * Device pixels: everything is rendered at device resolution (the GL
 * area's texture, the figure's textures), the cells are where the hit
 * test says at that resolution, and stage lines and the selection outline
 * are crisp: a line's pixels all have the full line colour, its
 * neighbours the cell's own colour, nothing half-way. */
#include "bs-config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "bs-colormap.h"
#include "bs-heatmap.h"
#include "bs-heatmap-private.h"
#include "bs-heatmap-summary.h"
#include "bs-test-utils.h"

#define N_LARGE             1000
#define PLOT_400_WIDTH      (400 + 174)   /* the figure's margins around a 400 plot */
#define PLOT_400_HEIGHT     (400 + 102)
#define FINALIZE_TIMEOUT_MS 10000

/* ---------------------------------------------------------------- fixtures */

static const char *
expected_drawing (void)
{
  const char *expected = g_getenv ("BS_TEST_EXPECT_DRAWING");

  if (expected != NULL)
    return expected;
  return g_strcmp0 (g_getenv ("BLOCKSCOPE_NO_GL"), "1") == 0 ? "cairo" : "gl";
}

static int
expected_scale (void)
{
  const char *scale = g_getenv ("BS_TEST_EXPECT_SCALE");

  return scale != NULL ? atoi (scale) : 1;
}

typedef struct {
  GtkWidget *window;
  BsHeatmap *heatmap;
  int        scale;
} Fixture;

static void
fixture_open (Fixture       *f,
              int            width,
              int            height,
              BsCkaSnapshot *snapshot)
{
  bs_test_pointer_park ();
  f->window = gtk_window_new ();
  gtk_window_set_default_size (GTK_WINDOW (f->window), width, height);
  f->heatmap = BS_HEATMAP (bs_heatmap_new ());
  gtk_window_set_child (GTK_WINDOW (f->window), GTK_WIDGET (f->heatmap));
  bs_heatmap_set_snapshot (f->heatmap, snapshot);
  gtk_window_present (GTK_WINDOW (f->window));
  gtk_test_widget_wait_for_draw (f->window);

  f->scale = gtk_widget_get_scale_factor (GTK_WIDGET (f->heatmap));
  g_test_message ("drawn with %s at scale %d", bs_heatmap_get_uses_gl (f->heatmap) ? "OpenGL" : "cairo", f->scale);
  g_assert_cmpint (f->scale, ==, expected_scale ());
  g_assert_cmpint (bs_heatmap_get_uses_gl (f->heatmap), ==, strcmp (expected_drawing (), "cairo") != 0);
  if (bs_heatmap_get_uses_gl (f->heatmap))
    g_assert_cmpint (bs_heatmap_gl_get_uses_es (_bs_heatmap_get_gl (f->heatmap)), ==,
                     strcmp (expected_drawing (), "gles") == 0);
}

static void
fixture_close (Fixture *f)
{
  g_object_ref (f->window);
  gtk_window_destroy (GTK_WINDOW (f->window));
  bs_test_wait_for_finalize (f->window, TRUE, FINALIZE_TIMEOUT_MS);
}

static void
colour_of (BsHeatmap *heatmap,
           double     value,
           guint8     rgb[3])
{
  double lo, hi;

  bs_heatmap_get_value_range (heatmap, &lo, &hi);
  bs_colormap_lookup (bs_heatmap_get_colormap (heatmap), isnan (value) ? NAN : (double) (float) value, lo, hi, rgb);
}

/* Where the zoom buttons are, in device pixels, with room for their
 * shadow. */
static void
get_buttons (Fixture         *f,
             graphene_rect_t *buttons)
{
  g_assert_true (gtk_widget_compute_bounds (f->heatmap->zoom_box, GTK_WIDGET (f->heatmap), buttons));
  graphene_rect_inset (buttons, -5, -5);
  graphene_rect_scale (buttons, f->scale, f->scale, buttons);
}

/* Every texture node under node, with its bounds. */
static void
collect_textures (GskRenderNode *node,
                  GPtrArray     *nodes)
{
  switch ((int) gsk_render_node_get_node_type (node))
    {
    case GSK_TEXTURE_NODE:
      g_ptr_array_add (nodes, node);
      break;
    case GSK_CONTAINER_NODE:
      for (guint i = 0; i < gsk_container_node_get_n_children (node); i++)
        collect_textures (gsk_container_node_get_child (node, i), nodes);
      break;
    case GSK_TRANSFORM_NODE:
      collect_textures (gsk_transform_node_get_child (node), nodes);
      break;
    case GSK_CLIP_NODE:
      collect_textures (gsk_clip_node_get_child (node), nodes);
      break;
    case GSK_ROUNDED_CLIP_NODE:
      collect_textures (gsk_rounded_clip_node_get_child (node), nodes);
      break;
    case GSK_OPACITY_NODE:
      collect_textures (gsk_opacity_node_get_child (node), nodes);
      break;
    case GSK_DEBUG_NODE:
      collect_textures (gsk_debug_node_get_child (node), nodes);
      break;
    default:
      break;
    }
}

/* ---------------------------------------------------------------- many layers */

static const guint planted[][2] = { { 500, 500 }, { 137, 862 }, { 321, 322 }, { 0, 999 }, { 999, 3 } };

static double
planted_value (guint row,
               guint col)
{
  for (guint k = 0; k < G_N_ELEMENTS (planted); k++)
    if (planted[k][0] == row && planted[k][1] == col)
      return 1.0;
  /* Ten rows without values: pixels over them only stay grey. */
  if (row >= 700 && row < 710)
    return NAN;
  return 0.2;
}

/* Whether pixel i of n, over cells lo to hi, covers cell c: the
 * summary's pixel spans, written out. */
static gboolean
covers_in (double lo,
           double hi,
           guint  i,
           guint  n,
           guint  c)
{
  return c + 1.0 > lo + (hi - lo) * i / n && c < lo + (hi - lo) * (i + 1) / n;
}

/* Over the whole matrix. */
static gboolean
covers (guint i,
        guint n,
        guint c)
{
  return covers_in (0, N_LARGE, i, n, c);
}

/* Every device pixel of the plot, against what the planted cells and the
 * missing rows make it (the view must show more cells than pixels on
 * both axes); returns the number of high pixels. */
static guint
check_planted_pixels (Fixture    *f,
                      const char *name)
{
  g_autoptr(GdkTexture) shot = bs_test_screenshot (GTK_WIDGET (f->heatmap), name);
  g_autofree guint8 *pixels = NULL;
  const BsFigureRect *p = &f->heatmap->layout.plot;
  guint n = (guint) p->width * (guint) f->scale;
  guint8 high[3], low[3], grey[3];
  graphene_rect_t buttons;
  BsHeatmapSummaryGrid g;
  guint n_high = 0, checked = 0;
  gsize stride;

  /* What the view shows, in cells. */
  bs_heatmap_summary_grid_from_view (&g, bs_heatmap_get_view (f->heatmap), f->scale);
  g_assert_cmpuint (g.width, ==, n);
  g_assert_true (g.col1 - g.col0 > n && g.row1 - g.row0 > n);
  pixels = bs_test_texture_pixels (shot, &stride);
  colour_of (f->heatmap, 1.0, high);
  colour_of (f->heatmap, 0.2, low);
  colour_of (f->heatmap, NAN, grey);
  get_buttons (f, &buttons);

  for (guint j = 0; j < n; j++)
    for (guint i = 0; i < n; i++)
      {
        int x = (int) p->x * f->scale + (int) i, y = (int) p->y * f->scale + (int) j;
        guint jb = n - 1 - j;   /* row 0 at the bottom */
        gboolean is_high = FALSE, is_grey = FALSE;
        const guint8 *want;
        guint8 got[3];

        if (graphene_rect_contains_point (&buttons, &GRAPHENE_POINT_INIT (x + 0.5f, y + 0.5f)))
          continue;
        for (guint k = 0; k < G_N_ELEMENTS (planted); k++)
          is_high |= covers_in (g.row0, g.row1, jb, n, planted[k][0]) &&
                     covers_in (g.col0, g.col1, i, n, planted[k][1]);
        for (guint r = 700; r < 710; r++)
          is_grey |= covers_in (g.row0, g.row1, jb, n, r);
        is_grey = is_grey && !covers_in (g.row0, g.row1, jb, n, 699) && !covers_in (g.row0, g.row1, jb, n, 710);
        want = is_high ? high : is_grey ? grey : low;

        bs_test_pixel_rgb (pixels, stride, x, y, got);
        if (memcmp (got, want, 3) != 0)
          g_test_message ("device pixel (%u, %u) of the plot: got %02x%02x%02x, want %02x%02x%02x",
                          i, j, got[0], got[1], got[2], want[0], want[1], want[2]);
        g_assert_cmpmem (got, 3, want, 3);
        n_high += is_high;
        checked++;
      }

  g_assert_cmpuint (checked, >, n * n * 9 / 10);

  return n_high;
}

static void
test_many_layers (void)
{
  g_autoptr(BsCkaSnapshot) snapshot = bs_test_make_snapshot (N_LARGE, N_LARGE, planted_value, "resnet20", "resnet20");
  const BsHeatmapView *view;
  Fixture f;
  guint n_high, want_high = 0, row, col, summary_w, summary_h;
  double ox, oy, x, y;
  guint8 high[3];

  fixture_open (&f, PLOT_400_WIDTH, PLOT_400_HEIGHT, snapshot);
  view = bs_heatmap_get_view (f.heatmap);
  /* Stage lines would cover cells; here every pixel is checked. */
  g_object_set (f.heatmap, "show-boundaries", FALSE, NULL);
  g_assert_cmpfloat (f.heatmap->layout.plot.width, ==, 400);
  g_assert_cmpfloat (f.heatmap->layout.plot.height, ==, 400);

  /* 1,000 cells in 400 (or 800) device pixels: no planted cell is lost. */
  n_high = check_planted_pixels (&f, "heatmap-many-layers");
  for (guint k = 0; k < G_N_ELEMENTS (planted); k++)
    {
      guint along_rows = 0, along_cols = 0, n = 400 * (guint) f.scale;

      for (guint i = 0; i < n; i++)
        {
          along_rows += covers (i, n, planted[k][0]);
          along_cols += covers (i, n, planted[k][1]);
        }
      g_assert_cmpuint (along_rows * along_cols, >=, 1);
      want_high += along_rows * along_cols;
    }
  g_test_message ("%u high device pixels for %u planted cells", n_high, (guint) G_N_ELEMENTS (planted));
  g_assert_cmpuint (n_high, ==, want_high);

  /* Zoomed in a little and panned, still more cells than pixels (833 in
   * 400 or 800): the planted cells in view, in the pixels over them. */
  bs_heatmap_zoom (f.heatmap, 1.2);
  bs_heatmap_view_pan ((BsHeatmapView *) view, 37, -23);
  bs_heatmap_zoom (f.heatmap, 1.0); /* redraw */
  n_high = check_planted_pixels (&f, "heatmap-many-layers-panned");
  g_test_message ("zoom %.2f: %u high device pixels", view->zoom, n_high);
  g_assert_cmpuint (n_high, >=, 2);
  bs_heatmap_reset_view (f.heatmap);

  /* With OpenGL the summary texture has one texel per device pixel. */
  if (bs_heatmap_get_uses_gl (f.heatmap))
    {
      g_assert_true (bs_heatmap_gl_get_summary_size (_bs_heatmap_get_gl (f.heatmap), &summary_w, &summary_h));
      g_assert_cmpuint (summary_w, ==, 400 * f.scale);
      g_assert_cmpuint (summary_h, ==, 400 * f.scale);
    }

  /* The pointer on the pixel that shows cell (500, 500): hover and click
   * name the exact cell under the pointer, not a summary pixel. */
  bs_heatmap_get_plot_origin (f.heatmap, &ox, &oy);
  x = ox + 200.25;
  y = oy + 400 - 200.25;
  bs_test_pointer_click (GTK_WIDGET (f.heatmap), x, y);
  g_assert_true (bs_heatmap_view_point_to_cell (view, f.heatmap->pointer_x - ox, f.heatmap->pointer_y - oy,
                                                &row, &col));
  g_test_message ("pointer at (%g, %g): cell (%u, %u)", f.heatmap->pointer_x, f.heatmap->pointer_y, row, col);
  g_assert_true (f.heatmap->has_hover);
  g_assert_cmpuint (f.heatmap->hover_row, ==, row);
  g_assert_cmpuint (f.heatmap->hover_col, ==, col);
  g_assert_true (bs_heatmap_get_selection (f.heatmap, &row, &col));
  g_assert_cmpuint (row, ==, f.heatmap->hover_row);
  g_assert_cmpuint (col, ==, f.heatmap->hover_col);
  g_assert_true (abs ((int) row - 500) <= 2 && abs ((int) col - 500) <= 2);
  bs_heatmap_clear_selection (f.heatmap);
  bs_test_pointer_park ();

  /* Zoomed in to 40 cells across: cells drawn one by one again, the
   * planted one in the high colour, its neighbours low. */
  bs_heatmap_zoom (f.heatmap, 25);
  bs_heatmap_view_ensure_visible ((BsHeatmapView *) view, 500, 500);
  bs_heatmap_zoom (f.heatmap, 1.0); /* redraw */
  {
    g_autoptr(GdkTexture) shot = bs_test_screenshot (GTK_WIDGET (f.heatmap), "heatmap-many-layers-zoomed");
    g_autofree guint8 *pixels = NULL;
    gsize stride;

    pixels = bs_test_texture_pixels (shot, &stride);
    colour_of (f.heatmap, 1.0, high);
    for (int dr = -1; dr <= 1; dr++)
      for (int dc = -1; dc <= 1; dc++)
        {
          double cx, cy, w, h;
          guint8 got[3], want[3];

          bs_heatmap_view_cell_to_rect (view, 500 + dr, 500 + dc, &cx, &cy, &w, &h);
          g_assert_cmpfloat_with_epsilon (w, 10, 1e-9);
          bs_test_pixel_rgb (pixels, stride, (int) floor ((ox + cx + w / 2) * f.scale),
                             (int) floor ((oy + cy + h / 2) * f.scale), got);
          colour_of (f.heatmap, planted_value (500 + dr, 500 + dc), want);
          g_assert_cmpmem (got, 3, want, 3);
        }
  }
  if (bs_heatmap_get_uses_gl (f.heatmap))
    g_assert_false (bs_heatmap_gl_get_summary_size (_bs_heatmap_get_gl (f.heatmap), &summary_w, &summary_h));

  fixture_close (&f);
}

/* ---------------------------------------------------------------- device pixels */

#define N_ROWS 23
#define N_COLS 31

static double
gradient (guint row,
          guint col)
{
  return fmod (0.37 * row + 0.11 * col, 1.0);
}

/* color over an opaque cell, as either drawing rounds it. */
static gboolean
is_over (const guint8         got[3],
         const guint8         cell[3],
         const BsFigureColor *color)
{
  const double top[3] = { color->red, color->green, color->blue };

  for (guint i = 0; i < 3; i++)
    if (fabs (got[i] - (255 * top[i] * color->alpha + cell[i] * (1 - color->alpha))) > 2.0)
      return FALSE;

  return TRUE;
}

/* An opaque palette colour in bytes, as both drawings round it. */
static void
opaque_rgb (const BsFigureColor *color,
            guint8               rgb[3])
{
  g_assert_cmpfloat (color->alpha, ==, 1.0);
  rgb[0] = (guint8) round (255 * color->red);
  rgb[1] = (guint8) round (255 * color->green);
  rgb[2] = (guint8) round (255 * color->blue);
}

/* The colour of the cell under the centre of device pixel (x, y). */
static void
cell_under (Fixture *f,
            int      x,
            int      y,
            guint8   rgb[3])
{
  const BsHeatmapView *view = bs_heatmap_get_view (f->heatmap);
  BsCkaSnapshot *snapshot = bs_heatmap_get_snapshot (f->heatmap);
  double ox, oy;
  guint row, col;

  bs_heatmap_get_plot_origin (f->heatmap, &ox, &oy);
  g_assert_true (bs_heatmap_view_point_to_cell (view, (x + 0.5) / f->scale - ox, (y + 0.5) / f->scale - oy,
                                                &row, &col));
  colour_of (f->heatmap, bs_cka_snapshot_get_value (snapshot, row, col), rgb);
}

/* Across the boundary at device coordinate b, along a line of pixels
 * (vertical boundary: along the row y; horizontal: along the column):
 * every pixel is its cell's colour, the palette's line colour over it or
 * the line's halo over it; the line is scale pixels wide, the halo as
 * wide on either side. */
static void
check_crisp_line (Fixture      *f,
                  const guint8 *pixels,
                  gsize         stride,
                  gboolean      vertical,
                  double        b,
                  int           across)
{
  const BsFigureColor *line_color = &f->heatmap->palette.stage_line;
  const BsFigureColor *halo_color = &f->heatmap->palette.stage_line_halo;
  guint line = 0, halo = 0;

  for (int t = (int) floor (b) - 4 * f->scale; t <= (int) floor (b) + 4 * f->scale; t++)
    {
      int x = vertical ? t : across, y = vertical ? across : t;
      guint8 got[3], cell[3];

      bs_test_pixel_rgb (pixels, stride, x, y, got);
      cell_under (f, x, y, cell);
      if (memcmp (got, cell, 3) == 0)
        continue;
      if (is_over (got, cell, line_color))
        {
          line++;
          continue;
        }
      if (!is_over (got, cell, halo_color))
        g_test_message ("%s line at %g: pixel (%d, %d) is %02x%02x%02x, neither the cell %02x%02x%02x "
                        "nor the line or its halo over it", vertical ? "vertical" : "horizontal", b, x, y,
                        got[0], got[1], got[2], cell[0], cell[1], cell[2]);
      g_assert_true (is_over (got, cell, halo_color));
      halo++;
    }
  g_assert_cmpuint (line, ==, (guint) f->scale);
  g_assert_cmpuint (halo, ==, 2 * (guint) f->scale);
}

static void
test_device_pixels (void)
{
  static const guint some_rows[] = { 3, 5, 11, 13, 18, 20 };
  static const guint some_cols[] = { 3, 6, 9, 14, 17, 24, 27 };
  g_autoptr(BsCkaSnapshot) snapshot = bs_test_make_snapshot (N_ROWS, N_COLS, gradient, "resnet20", "resnet56x4");
  g_autoptr(GPtrArray) textures = g_ptr_array_new ();
  const BsLayerInfo *rows = bs_cka_snapshot_get_rows (snapshot), *cols = bs_cka_snapshot_get_cols (snapshot);
  const BsHeatmapView *view;
  const BsFigureRect *p;
  Fixture f;
  double ox, oy, x, y, w, h;
  guint lines = 0;

  fixture_open (&f, 760, 700, snapshot);
  view = bs_heatmap_get_view (f.heatmap);
  p = &f.heatmap->layout.plot;
  bs_heatmap_get_plot_origin (f.heatmap, &ox, &oy);

  /* The GL area renders at device resolution. */
  if (bs_heatmap_get_uses_gl (f.heatmap))
    {
      g_autoptr(GdkPaintable) paintable = gtk_widget_paintable_new (GTK_WIDGET (_bs_heatmap_get_gl (f.heatmap)));
      g_autoptr(GskRenderNode) node = NULL;
      g_autoptr(GPtrArray) gl = g_ptr_array_new ();
      GtkSnapshot *snapshot_gl = gtk_snapshot_new ();
      GdkTexture *texture;

      gdk_paintable_snapshot (paintable, snapshot_gl, p->width, p->height);
      node = gtk_snapshot_free_to_node (snapshot_gl);
      g_assert_nonnull (node);
      collect_textures (node, gl);
      g_assert_cmpuint (gl->len, ==, 1);
      texture = gsk_texture_node_get_texture (g_ptr_array_index (gl, 0));
      g_test_message ("GL texture %d x %d for a %g x %g plot", gdk_texture_get_width (texture),
                      gdk_texture_get_height (texture), p->width, p->height);
      g_assert_cmpint (gdk_texture_get_width (texture), ==, (int) p->width * f.scale);
      g_assert_cmpint (gdk_texture_get_height (texture), ==, (int) p->height * f.scale);
    }

  /* So does the figure: each of its textures has scale pixels per unit. */
  collect_textures (f.heatmap->figure_node, textures);
  g_assert_cmpuint (textures->len, >=, 3);
  for (guint i = 0; i < textures->len; i++)
    {
      GskRenderNode *node = g_ptr_array_index (textures, i);
      GdkTexture *texture = gsk_texture_node_get_texture (node);
      graphene_rect_t bounds;

      gsk_render_node_get_bounds (node, &bounds);
      g_assert_cmpint (gdk_texture_get_width (texture), ==, (int) bounds.size.width * f.scale);
      g_assert_cmpint (gdk_texture_get_height (texture), ==, (int) bounds.size.height * f.scale);
    }

  {
    g_autoptr(GdkTexture) shot = bs_test_screenshot (GTK_WIDGET (f.heatmap), "heatmap-device-pixels");
    g_autofree guint8 *pixels = NULL;
    gsize stride;

    g_assert_cmpint (gdk_texture_get_width (shot), ==, gtk_widget_get_width (GTK_WIDGET (f.heatmap)) * f.scale);
    pixels = bs_test_texture_pixels (shot, &stride);

    /* Cells where the hit test puts them, near their top-left corners
     * too (cells with no stage line on those edges): at device
     * resolution, not upscaled. */
    for (guint ri = 0; ri < G_N_ELEMENTS (some_rows); ri++)
      for (guint ci = 0; ci < G_N_ELEMENTS (some_cols); ci++)
        {
          guint r = some_rows[ri], c = some_cols[ci];
          guint8 got[3], want[3];

          bs_heatmap_view_cell_to_rect (view, r, c, &x, &y, &w, &h);
          for (int k = 0; k < 2; k++)
            {
              /* The first device pixel inside the cell, and the centre. */
              int px = k == 0 ? (int) ceil ((ox + x) * f.scale + 0.5) : (int) floor ((ox + x + w / 2) * f.scale);
              int py = k == 0 ? (int) ceil ((oy + y) * f.scale + 0.5) : (int) floor ((oy + y + h / 2) * f.scale);

              bs_test_pixel_rgb (pixels, stride, px, py, got);
              colour_of (f.heatmap, bs_cka_snapshot_get_value (snapshot, r, c), want);
              g_assert_cmpmem (got, 3, want, 3);
            }
        }

    /* Stage lines: vertical ones read across the middle of row 11,
     * horizontal ones across the middle of column 15. */
    bs_heatmap_view_cell_to_rect (view, 11, 15, &x, &y, &w, &h);
    for (guint i = 1; i < N_COLS; i++)
      if (cols[i].stage != cols[i - 1].stage)
        {
          double bx, bw, unused_y, unused_h;

          bs_heatmap_view_cell_to_rect (view, 11, i, &bx, &unused_y, &bw, &unused_h);
          check_crisp_line (&f, pixels, stride, TRUE, (ox + bx) * f.scale, (int) floor ((oy + y + h / 2) * f.scale));
          lines++;
        }
    for (guint i = 1; i < N_ROWS; i++)
      if (rows[i].stage != rows[i - 1].stage)
        {
          double unused_x, unused_w, by, bh;

          /* Row i's bottom edge is the boundary (rows grow upwards). */
          bs_heatmap_view_cell_to_rect (view, i, 15, &unused_x, &by, &unused_w, &bh);
          check_crisp_line (&f, pixels, stride, FALSE, (oy + by + bh) * f.scale, (int) floor ((ox + x + w / 2) * f.scale));
          lines++;
        }
    g_assert_cmpuint (lines, ==, 8);
  }

  /* The selection outline on device pixels: 2 units of the theme's
   * accent with a light unit inside it, then the cell's colour; one dark
   * unit outside it, then the neighbour's colour. */
  bs_heatmap_select (f.heatmap, 11, 15);
  {
    g_autoptr(GdkTexture) shot = bs_test_screenshot (GTK_WIDGET (f.heatmap), "heatmap-device-pixels-selected");
    g_autofree guint8 *pixels = NULL;
    guint8 accent[3], light[3], dark[3], got[3], want[3];
    int ring = (int) f.scale, left, row, t = 0;
    gsize stride;

    opaque_rgb (&f.heatmap->palette.accent, accent);
    opaque_rgb (&f.heatmap->palette.outline_light, light);
    opaque_rgb (&f.heatmap->palette.outline_dark, dark);
    pixels = bs_test_texture_pixels (shot, &stride);
    bs_heatmap_view_cell_to_rect (view, 11, 15, &x, &y, &w, &h);
    left = (int) round ((ox + x) * f.scale);
    row = (int) floor ((oy + y + h / 2) * f.scale);

    for (; t < 2 * ring; t++)
      {
        bs_test_pixel_rgb (pixels, stride, left + t, row, got);
        g_assert_cmpmem (got, 3, accent, 3);
      }
    for (; t < 3 * ring; t++)
      {
        bs_test_pixel_rgb (pixels, stride, left + t, row, got);
        g_assert_cmpmem (got, 3, light, 3);
      }
    colour_of (f.heatmap, bs_cka_snapshot_get_value (snapshot, 11, 15), want);
    bs_test_pixel_rgb (pixels, stride, left + t, row, got);
    g_assert_cmpmem (got, 3, want, 3);

    for (t = 1; t <= ring; t++)
      {
        bs_test_pixel_rgb (pixels, stride, left - t, row, got);
        g_assert_cmpmem (got, 3, dark, 3);
      }
    colour_of (f.heatmap, bs_cka_snapshot_get_value (snapshot, 11, 14), want);
    bs_test_pixel_rgb (pixels, stride, left - ring - 1, row, got);
    g_assert_cmpmem (got, 3, want, 3);
  }

  fixture_close (&f);
}

int
main (int    argc,
      char **argv)
{
  bs_test_init (&argc, &argv);

  g_test_add_func ("/heatmap-pixels/many-layers", test_many_layers);
  g_test_add_func ("/heatmap-pixels/device-pixels", test_device_pixels);

  return g_test_run ();
}
