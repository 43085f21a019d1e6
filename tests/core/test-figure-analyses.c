/* test-figure-analyses.c: PC1 share strips and detected blocks in figures
 * for papers.
 *
 * A network against itself with a planted block (layers 6 to 13 alike, the
 * rest not) and a PC1 share per layer, exported with the strips and the
 * outlines: in the PNG each layer's part of both strips has the colour map's
 * colour of its share over [0, 1] exactly, the block's ring has the paper
 * palette's block_outline colour with the dark ring outside and the light
 * one inside, and the cells inside the block keep theirs. The PDF, rendered
 * by poppler (pdftoppm), shows the same; poppler's word boxes (pdftotext
 * -bbox) show that no text covers a strip and that the colour bar stays
 * clear of the row strip at the compact page sizes. A matrix without shares
 * cannot have strips; a panel of two networks gets no outline. The shares
 * survive a round trip through the exported JSON. */
#include "bs-config.h"

#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

#include "bs-blocks.h"
#include "bs-cka-export.h"
#include "bs-cka-import.h"
#include "bs-error.h"
#include "bs-figure-analyses.h"
#include "bs-figure-export.h"
#include "bs-test-util.h"
#include "figure-checks.h"
#include "figure-fixtures.h"

#define N_LAYERS    24
#define BLOCK_FIRST 6
#define BLOCK_LAST  13

static char *out_dir;

static double
planted (guint row,
         guint col)
{
  if (row == col)
    return 1.0;
  if (row >= BLOCK_FIRST && row <= BLOCK_LAST && col >= BLOCK_FIRST && col <= BLOCK_LAST)
    return 0.92;
  return 0.25;
}

static double
gradient (guint row,
          guint col)
{
  return fmod (0.37 * row + 0.11 * col, 1.0);
}

static void
make_shares (double *shares)
{
  for (guint i = 0; i < N_LAYERS; i++)
    shares[i] = fmod (0.07 * i + 0.05, 1.0);
}

static char *
out_path (const char *name)
{
  return g_build_filename (out_dir, name, NULL);
}

static void
assert_pixel (cairo_surface_t *image,
              double           x,
              double           y,
              const guint8     want[3],
              int              tolerance,
              const char      *what)
{
  guint8 got[3];

  figure_pixel_rgb (image, x, y, got);
  for (guint k = 0; k < 3; k++)
    if (abs ((int) got[k] - (int) want[k]) > tolerance)
      g_error ("%s at (%.1f, %.1f) px: got %02x%02x%02x, want %02x%02x%02x", what, x, y, got[0], got[1], got[2],
               want[0], want[1], want[2]);
}

static void
color_rgb (const BsFigureColor *color,
           guint8               rgb[3])
{
  rgb[0] = (guint8) lround (255 * color->red);
  rgb[1] = (guint8) lround (255 * color->green);
  rgb[2] = (guint8) lround (255 * color->blue);
}

/* Checks both strips and the block's rings in an image of the figure at
 * ppp pixels per point. */
static void
check_analyses (cairo_surface_t             *image,
                double                       ppp,
                const BsFigurePanel         *panel,
                const BsFigureExportOptions *options,
                const double                *shares,
                int                          tolerance)
{
  BsFigureLayout layout;
  BsFigurePalette palette;
  BsHeatmapView view;
  BsFigureRect block_rect;
  BsBlock block = { .first = BLOCK_FIRST, .last = BLOCK_LAST };
  double x0, y0, side, cell, ring, halo, mid;
  guint8 want[3];

  bs_figure_export_get_layout (panel, 1, options, 0, &x0, &y0, &layout);
  side = layout.plot.width;
  cell = side / N_LAYERS;
  /* Strips: a cell wide at this size, each layer's centre. */
  for (guint i = 0; i < N_LAYERS; i++)
    {
      double cx = x0 + layout.plot.x + (i + 0.5) * cell;
      double ry = y0 + layout.plot.y + side - (i + 0.5) * cell;

      bs_colormap_lookup (options->colormap, shares[i], 0, 1, want);
      assert_pixel (image, cx * ppp, (y0 + layout.col_pc1.y + layout.col_pc1.height / 2) * ppp, want, tolerance, "column strip");
      assert_pixel (image, (x0 + layout.row_pc1.x + layout.row_pc1.width / 2) * ppp, ry * ppp, want, tolerance,
                    "row strip");
    }

  /* The block's square: the ring in block_outline, black outside it,
   * white inside, on its top edge (the last layer) and its left (the
   * first). Ring and halo as the renderer makes them: two line widths and
   * one, in whole pixels (PNG) or exactly (PDF, rendered at ppp). */
  bs_figure_palette_init_paper (&palette);
  bs_heatmap_view_init (&view, N_LAYERS, N_LAYERS, side, side);
  bs_figure_get_block_rect (&layout, &view, &block, 1e6, &block_rect);
  ring = 2 * 0.5 * layout.scale;
  halo = 0.5 * layout.scale;
  if (tolerance == 0)
    {
      ring = MAX (round (ring * ppp), 1) / ppp;
      halo = MAX (round (halo * ppp), 1) / ppp;
    }
  g_assert_cmpfloat (ring * ppp, >=, 2.5);
  mid = x0 + block_rect.x + block_rect.width / 2;
  color_rgb (&palette.block_outline, want);
  assert_pixel (image, mid * ppp, (y0 + block_rect.y + ring / 2) * ppp, want, tolerance, "block ring, top");
  assert_pixel (image, (x0 + block_rect.x + ring / 2) * ppp, (y0 + block_rect.y + block_rect.height / 2) * ppp, want,
                tolerance, "block ring, left");
  if (halo * ppp >= 1.9)
    {
      color_rgb (&palette.outline_dark, want);
      assert_pixel (image, mid * ppp, (y0 + block_rect.y - halo / 2) * ppp, want, tolerance, "block outer ring");
      color_rgb (&palette.outline_light, want);
      assert_pixel (image, mid * ppp, (y0 + block_rect.y + ring + halo / 2) * ppp, want, tolerance,
                    "block inner ring");
    }
  /* Inside, a cell of the block as it is. */
  bs_colormap_lookup (options->colormap, planted (BLOCK_FIRST + 2, BLOCK_FIRST + 4), 0, 1, want);
  assert_pixel (image, (x0 + layout.plot.x + (BLOCK_FIRST + 4.5) * cell) * ppp,
                (y0 + layout.plot.y + side - (BLOCK_FIRST + 2.5) * cell) * ppp, want, tolerance, "cell inside");
}

static void
test_png (void)
{
  double shares[N_LAYERS];
  g_autoptr(BsCkaSnapshot) snapshot = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *path = out_path ("analyses.png");
  g_autoptr(GArray) found = NULL;
  BsFigurePanel panel = { 0 };
  BsFigureExportOptions options;
  cairo_surface_t *image;

  make_shares (shares);
  snapshot = figure_fixture_self_snapshot (N_LAYERS, planted, shares);
  panel.snapshot = snapshot;

  /* The planted block is what the detection finds. */
  found = bs_blocks_find (bs_cka_snapshot_get_values (snapshot), N_LAYERS, N_LAYERS, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (found->len, ==, 1);
  g_assert_cmpuint (g_array_index (found, BsBlock, 0).first, ==, BLOCK_FIRST);
  g_assert_cmpuint (g_array_index (found, BsBlock, 0).last, ==, BLOCK_LAST);

  bs_figure_export_options_init (&options);
  options.pc1_strips = TRUE;
  options.blocks = TRUE;
  options.measure = "CKA without PC1";
  g_assert_true (bs_figure_export (&panel, 1, &options, BS_FIGURE_FORMAT_PNG, path, &error));
  g_assert_no_error (error);
  image = cairo_image_surface_create_from_png (path);
  g_assert_cmpint (cairo_surface_status (image), ==, CAIRO_STATUS_SUCCESS);
  /* Drawn pixel for pixel: exact colours. */
  check_analyses (image, options.dpi / 72, &panel, &options, shares, 0);
  cairo_surface_destroy (image);
}

/* Word boxes of pdftotext -bbox, in points: x0 y0 x1 y1 per word. */
static GArray *
word_boxes (const char *pdf)
{
  g_autofree char *html = figure_run_tool ((const char *[]) { "pdftotext", "-bbox", pdf, "-", NULL });
  GArray *boxes = g_array_new (FALSE, FALSE, sizeof (BsFigureRect));
  const char *at = html;

  while ((at = strstr (at, "<word ")) != NULL)
    {
      double x0, y0, x1, y1;

      g_assert_cmpint (sscanf (at, "<word xMin=\"%lf\" yMin=\"%lf\" xMax=\"%lf\" yMax=\"%lf\"", &x0, &y0, &x1, &y1), ==, 4);
      g_array_append_val (boxes, ((BsFigureRect) { x0, y0, x1 - x0, y1 - y0 }));
      at++;
    }
  return boxes;
}

static gboolean
overlap (const BsFigureRect *a,
         const BsFigureRect *b)
{
  return a->x < b->x + b->width && b->x < a->x + a->width && a->y < b->y + b->height && b->y < a->y + a->height;
}

/* No word on a strip, every word on the page, the colour bar clear of the
 * row strip: the layout of a page with strips. */
static void
check_tidy (const char                  *pdf,
            const BsFigurePanel         *panels,
            guint                        n_panels,
            const BsFigureExportOptions *options)
{
  g_autoptr(GArray) words = word_boxes (pdf);
  double width, height;

  bs_figure_export_get_size (panels, n_panels, options, &width, &height);
  g_assert_cmpuint (words->len, >, 5);
  for (guint i = 0; i < n_panels; i++)
    {
      BsFigureLayout l;
      BsFigureRect strips[2];
      double x, y;

      bs_figure_export_get_layout (panels, n_panels, options, i, &x, &y, &l);
      strips[0] = (BsFigureRect) { x + l.row_pc1.x, y + l.row_pc1.y, l.row_pc1.width, l.row_pc1.height };
      strips[1] = (BsFigureRect) { x + l.col_pc1.x, y + l.col_pc1.y, l.col_pc1.width, l.col_pc1.height };
      g_assert_true (l.pc1_strips);
      g_assert_cmpfloat (strips[1].y, >, 0);
      g_assert_cmpfloat (strips[0].x + strips[0].width, <=, width);
      if (i == n_panels - 1 || n_panels == 1)
        /* The colour bar of the first row's last panel, a gap right of its strip. */
        g_assert_cmpfloat (l.row_pc1.x + l.row_pc1.width, <, l.colorbar.x - 2 * l.scale);
      for (guint w = 0; w < words->len; w++)
        {
          const BsFigureRect *b = &g_array_index (words, BsFigureRect, w);

          for (guint s = 0; s < 2; s++)
            if (overlap (b, &strips[s]))
              g_error ("a word at %g %g %g %g covers panel %u's %s PC1 strip", b->x, b->y, b->width, b->height, i,
                       s == 0 ? "row" : "column");
          g_assert_cmpfloat (b->x, >=, 0);
          g_assert_cmpfloat (b->y, >=, 0);
          g_assert_cmpfloat (b->x + b->width, <=, width + 0.5);
          g_assert_cmpfloat (b->y + b->height, <=, height + 0.5);
        }
    }
}

static void
test_pdf (void)
{
  double shares[N_LAYERS];
  g_autoptr(BsCkaSnapshot) snapshot = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *path = out_path ("analyses.pdf");
  g_autofree char *prefix = out_path ("analyses-pdf");
  g_autofree char *png = out_path ("analyses-pdf-1.png");
  g_autofree char *text = NULL;
  BsFigurePanel panel = { 0 };
  BsFigureExportOptions options;
  cairo_surface_t *image;

  make_shares (shares);
  snapshot = figure_fixture_self_snapshot (N_LAYERS, planted, shares);
  panel.snapshot = snapshot;
  bs_figure_export_options_init (&options);
  options.pc1_strips = TRUE;
  options.blocks = TRUE;
  options.measure = "CKA without PC1";
  g_assert_true (bs_figure_export (&panel, 1, &options, BS_FIGURE_FORMAT_PDF, path, &error));
  g_assert_no_error (error);

  /* The measure is named, as text. */
  text = figure_run_tool ((const char *[]) { "pdftotext", path, "-", NULL });
  g_assert_nonnull (strstr (text, "CKA without PC1"));
  check_tidy (path, &panel, 1, &options);

  g_free (figure_run_tool ((const char *[]) { "pdftoppm", "-r", "288", "-png", path, prefix, NULL }));
  image = cairo_image_surface_create_from_png (png);
  g_assert_cmpint (cairo_surface_status (image), ==, CAIRO_STATUS_SUCCESS);
  check_analyses (image, 4, &panel, &options, shares, 3);
  cairo_surface_destroy (image);
}

/* Two panels with titles in a row, and a title: the compact page with
 * strips stays tidy at both sizes of a paper. */
static void
test_compact_pages (void)
{
  double shares[N_LAYERS];
  g_autoptr(BsCkaSnapshot) a = NULL;
  g_autoptr(BsCkaSnapshot) b = NULL;
  g_autoptr(GError) error = NULL;
  BsFigurePanel panels[2] = { 0 };
  BsFigureExportOptions options;
  const double widths[] = { BS_FIGURE_WIDTH_SINGLE_PT, BS_FIGURE_WIDTH_DOUBLE_PT };

  make_shares (shares);
  a = figure_fixture_self_snapshot (N_LAYERS, planted, shares);
  b = figure_fixture_self_snapshot (N_LAYERS, gradient, shares);
  panels[0] = (BsFigurePanel) { .snapshot = a, .title = "CKA" };
  panels[1] = (BsFigurePanel) { .snapshot = b, .title = "CKA without PC1" };
  for (guint w = 0; w < G_N_ELEMENTS (widths); w++)
    {
      g_autofree char *name = g_strdup_printf ("analyses-panels-%u.pdf", w);
      g_autofree char *path = out_path (name);
      BsFigureExportOptions bare;
      double with_h, bare_h, unused;

      bs_figure_export_options_init (&options);
      options.width_pt = widths[w];
      options.pc1_strips = TRUE;
      options.blocks = TRUE;
      options.title = "ResNet-20";
      options.measure = "CKA without PC1";
      g_assert_true (bs_figure_export (panels, 2, &options, BS_FIGURE_FORMAT_PDF, path, &error));
      g_assert_no_error (error);
      check_tidy (path, panels, 2, &options);

      /* The strips take a little room from the plots, no more. */
      bare = options;
      bare.pc1_strips = FALSE;
      bs_figure_export_get_size (panels, 2, &options, &unused, &with_h);
      bs_figure_export_get_size (panels, 2, &bare, &unused, &bare_h);
      g_assert_cmpfloat (fabs (with_h - bare_h), <, 0.15 * bare_h);
    }
}

static void
test_without_data (void)
{
  g_autoptr(BsCkaSnapshot) bare = figure_fixture_self_snapshot (N_LAYERS, planted, NULL);
  g_autoptr(BsCkaSnapshot) pair = figure_fixture_snapshot (N_LAYERS, N_LAYERS, planted, NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *path = out_path ("no-strips.png");
  BsFigurePanel panel = { .snapshot = bare };
  BsFigureExportOptions options;
  BsFigureLayout layout;
  BsFigurePalette palette;
  BsHeatmapView view;
  BsFigureRect r;
  BsBlock block = { .first = BLOCK_FIRST, .last = BLOCK_LAST };
  cairo_surface_t *image;
  double x, y, ppp;
  guint8 want[3];

  /* Strips need shares. */
  bs_figure_export_options_init (&options);
  options.pc1_strips = TRUE;
  g_assert_false (bs_figure_export (&panel, 1, &options, BS_FIGURE_FORMAT_PNG, path, &error));
  g_assert_error (error, BS_ERROR, BS_ERROR_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (error->message, "PC1"));
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
  g_clear_error (&error);

  /* A bad threshold is refused. */
  options.pc1_strips = FALSE;
  options.blocks = TRUE;
  options.block_threshold = NAN;
  g_assert_false (bs_figure_export (&panel, 1, &options, BS_FIGURE_FORMAT_PNG, path, &error));
  g_assert_error (error, BS_ERROR, BS_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);

  /* Two networks: no diagonal of layers, no outline; the cells where the
   * ring would be keep their colour. */
  options.block_threshold = BS_BLOCKS_DEFAULT_THRESHOLD;
  panel.snapshot = pair;
  g_assert_true (bs_figure_export (&panel, 1, &options, BS_FIGURE_FORMAT_PNG, path, &error));
  g_assert_no_error (error);
  image = cairo_image_surface_create_from_png (path);
  ppp = options.dpi / 72;
  bs_figure_export_get_layout (&panel, 1, &options, 0, &x, &y, &layout);
  bs_heatmap_view_init (&view, N_LAYERS, N_LAYERS, layout.plot.width, layout.plot.height);
  bs_figure_get_block_rect (&layout, &view, &block, 1e6, &r);
  bs_figure_palette_init_paper (&palette);
  bs_colormap_lookup (options.colormap, planted (BLOCK_LAST, BLOCK_FIRST + 3), 0, 1, want);
  assert_pixel (image, (x + r.x + (3.5 * r.width / 8)) * ppp, (y + r.y + 1) * ppp, want, 0, "no ring");
  cairo_surface_destroy (image);
}

/* The shares go into the JSON and come back when the result is read. */
static void
test_shares_round_trip (void)
{
  double shares[N_LAYERS];
  g_autoptr(BsCkaSnapshot) snapshot = NULL;
  g_autoptr(BsCkaSnapshot) back = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *path = out_path ("shares.npy");
  g_autofree char *json_path = bs_cka_export_json_path (path);
  g_autofree char *json = NULL;

  make_shares (shares);
  shares[3] = NAN;
  snapshot = figure_fixture_self_snapshot (N_LAYERS, planted, shares);
  g_assert_true (bs_cka_export (snapshot, NULL, path, &error));
  g_assert_no_error (error);
  back = bs_cka_import (path, &error);
  g_assert_no_error (error);
  g_assert_true (bs_cka_snapshot_has_pc1_shares (back));
  for (guint i = 0; i < N_LAYERS; i++)
    {
      double got_r = bs_cka_snapshot_get_row_pc1_share (back, i, NULL);
      double got_c = bs_cka_snapshot_get_col_pc1_share (back, i, NULL);

      if (isnan (shares[i]))
        g_assert_true (isnan (got_r) && isnan (got_c));
      else
        {
          g_assert_cmpfloat_with_epsilon (got_r, shares[i], 1e-15);
          g_assert_cmpfloat_with_epsilon (got_c, shares[i], 1e-15);
        }
    }

  /* A malformed list of shares is an error naming it, not a crash. */
  g_assert_true (g_file_get_contents (json_path, &json, NULL, NULL));
  {
    g_autoptr(GString) bad = g_string_new (json);
    const char *at = strstr (bad->str, "\"rows\" : [");

    g_assert_nonnull (at);
    g_string_insert (bad, at - bad->str + strlen ("\"rows\" : ["), "\"x\", ");
    g_assert_true (g_file_set_contents (json_path, bad->str, -1, NULL));
  }
  g_clear_pointer (&back, bs_cka_snapshot_unref);
  back = bs_cka_import (path, &error);
  g_assert_null (back);
  g_assert_nonnull (error);
  g_assert_nonnull (strstr (error->message, "PC1"));
}

int
main (int   argc,
      char *argv[])
{
  int status;

  g_test_init (&argc, &argv, NULL);
  /* Kept in the build folder, to look at. */
  out_dir = g_build_filename (g_getenv ("G_TEST_BUILDDIR") ? g_getenv ("G_TEST_BUILDDIR") : ".",
                              "figure-analyses", NULL);
  bs_test_remove_tree (out_dir);
  g_assert_cmpint (g_mkdir_with_parents (out_dir, 0755), ==, 0);

  g_test_add_func ("/figure-analyses/png", test_png);
  g_test_add_func ("/figure-analyses/pdf", test_pdf);
  g_test_add_func ("/figure-analyses/compact-pages", test_compact_pages);
  g_test_add_func ("/figure-analyses/without-data", test_without_data);
  g_test_add_func ("/figure-analyses/shares-round-trip", test_shares_round_trip);
  status = g_test_run ();
  g_free (out_dir);
  return status;
}
