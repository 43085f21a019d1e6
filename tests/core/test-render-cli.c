/* test-render-cli.c: `blockscope-cli render`, from real CKA results and a real run folder.
 *
 * The matrices come from `blockscope-cli cka` and `train --run-dir` on the
 * synthetic set with a tiny ResNet; what render writes is read back by
 * poppler (page size, text), cairo (PNG size) and giflib (frames). The
 * analyses: a planted block and known PC1 shares, written as cka writes
 * them, come out of --pc1-strips and --blocks at the pixels the figure's
 * layout gives, in the colour map's and the paper palette's colours; a
 * higher --block-threshold leaves the block's cells bare. Damaged inputs,
 * wrong options and unwritable outputs give their messages and leave no
 * file. */
#include <gif_lib.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

#include <cairo.h>

#include "bs-cka-export.h"
#include "bs-colormap.h"
#include "bs-figure-export.h"
#include "bs-figure-palette.h"
#include "bs-run.h"
#include "bs-test-util.h"
#include "figure-checks.h"
#include "figure-fixtures.h"

static char *tmp_dir;

static char *
tmp_path (const char *name)
{
  return g_build_filename (tmp_dir, name, NULL);
}

/* Runs the CLI with the NULL-terminated arguments; returns the exit status
 * and, when asked, standard output and error. */
static int
run_cli (char       **out,
         char       **err,
         const char  *first,
         ...)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autofree char *stdout_text = NULL, *stderr_text = NULL;
  va_list args;
  int status;

  g_ptr_array_add (argv, (char *) BS_CLI_PATH);
  va_start (args, first);
  for (const char *arg = first; arg != NULL; arg = va_arg (args, const char *))
    g_ptr_array_add (argv, (char *) arg);
  va_end (args);
  g_ptr_array_add (argv, NULL);

  status = bs_test_spawn_sync ((const char *const *) argv->pdata, NULL, NULL, NULL, &stdout_text, &stderr_text);
  g_test_message ("stderr: %s", stderr_text);
  g_assert_cmpint (status, >=, 0);
  if (out != NULL)
    *out = g_steal_pointer (&stdout_text);
  if (err != NULL)
    *err = g_steal_pointer (&stderr_text);
  return status;
}

/* The results every test draws: resnet8 against itself, resnet14 against
 * itself (another shape), and a run folder with snapshots. */
static void
make_inputs (void)
{
  g_autofree char *a = tmp_path ("resnet8.npy"), *b = tmp_path ("resnet14.npy"), *run = tmp_path ("run");

  g_assert_cmpint (run_cli (NULL, NULL, "cka", "--a", "resnet8", "--dataset", "synthetic", "--limit", "64",
                            "--batch", "16", "--passes", "1", "--threads", "1", "-o", a, NULL), ==, 0);
  g_autofree char *pc1 = tmp_path ("pc1.npy");

  g_assert_cmpint (run_cli (NULL, NULL, "cka", "--a", "resnet8", "--dataset", "synthetic", "--limit", "64",
                            "--batch", "16", "--passes", "1", "--threads", "1", "--measure", "cka,cka-without-pc1",
                            "-o", pc1, NULL), ==, 0);
  g_assert_cmpint (run_cli (NULL, NULL, "cka", "--a", "resnet14", "--dataset", "synthetic", "--limit", "64",
                            "--batch", "16", "--passes", "1", "--threads", "1", "-o", b, NULL), ==, 0);
  g_assert_cmpint (run_cli (NULL, NULL, "train", "--model", "resnet8", "--dataset", "synthetic", "--epochs", "2",
                            "--limit", "64", "--test-limit", "32", "--batch", "32", "--threads", "1",
                            "--probe-images", "32", "--probe-batch", "16", "--run-dir", run, NULL), ==, 0);
}

static void
test_figures (void)
{
  g_autofree char *a = tmp_path ("resnet8.npy"), *b = tmp_path ("resnet14.npy");
  g_autofree char *pdf = tmp_path ("figure.pdf"), *svg = tmp_path ("figure.svg"), *png = tmp_path ("figure.png");
  g_autofree char *info = NULL, *text = NULL, *xml = NULL;
  cairo_surface_t *image;
  double width = 0, height = 0;

  /* A two-panel PDF seven inches wide with text that stays text. */
  g_assert_cmpint (run_cli (NULL, NULL, "render", a, b, "--width", "7in", "--panel-titles", "Shallow,Deeper",
                            "--title", "Two depths", "--out", pdf, NULL), ==, 0);
  info = figure_run_tool ((const char *[]) { "pdfinfo", pdf, NULL });
  g_assert_cmpint (sscanf (strstr (info, "Page size:"), "Page size: %lf x %lf pts", &width, &height), ==, 2);
  g_assert_cmpfloat (fabs (width - 504), <=, 0.5);
  g_assert_cmpfloat (height, >, 100);
  text = figure_run_tool ((const char *[]) { "pdftotext", pdf, "-", NULL });
  g_assert_nonnull (strstr (text, "Two depths"));
  g_assert_nonnull (strstr (text, "Shallow"));
  g_assert_nonnull (strstr (text, "Deeper"));
  g_assert_nonnull (strstr (text, "ResNet-8"));
  g_assert_nonnull (strstr (text, "ResNet-14"));

  /* SVG: well-formed XML. */
  g_assert_cmpint (run_cli (NULL, NULL, "render", a, "--mask-upper", "--out", svg, NULL), ==, 0);
  g_assert_true (g_file_get_contents (svg, &xml, NULL, NULL));
  {
    GMarkupParser parser = { 0 };
    g_autoptr(GMarkupParseContext) context = g_markup_parse_context_new (&parser, 0, NULL, NULL);
    g_autoptr(GError) error = NULL;

    g_assert_true (g_markup_parse_context_parse (context, xml, -1, &error));
    g_assert_true (g_markup_parse_context_end_parse (context, &error));
    g_assert_no_error (error);
  }

  /* PNG: 3.5 in at 150 dpi is 525 pixels wide. */
  g_assert_cmpint (run_cli (NULL, NULL, "render", a, "--dpi", "150", "--range", "data", "--out", png, NULL), ==, 0);
  image = cairo_image_surface_create_from_png (png);
  g_assert_cmpint (cairo_surface_status (image), ==, CAIRO_STATUS_SUCCESS);
  g_assert_cmpint (cairo_image_surface_get_width (image), ==, 525);
  cairo_surface_destroy (image);
}

static void
test_run_animation (void)
{
  g_autofree char *run_dir = tmp_path ("run"), *gif_path = tmp_path ("emergence.gif");
  g_autofree char *frames = tmp_path ("frame.png");
  g_autoptr(GError) error = NULL;
  g_autoptr(BsRun) run = bs_run_open (run_dir, &error);
  guint n_snapshots;
  GifFileType *gif;
  int code = 0;

  g_assert_no_error (error);
  n_snapshots = bs_run_get_snapshots (run)->len;
  /* At initialisation and after each of the two epochs. */
  g_assert_cmpuint (n_snapshots, ==, 3);

  g_assert_cmpint (run_cli (NULL, NULL, "render", run_dir, "--frame-ms", "300", "--out", gif_path, NULL), ==, 0);
  gif = DGifOpenFileName (gif_path, &code);
  g_assert_nonnull (gif);
  g_assert_cmpint (DGifSlurp (gif), ==, GIF_OK);
  g_assert_cmpint (gif->ImageCount, ==, (int) n_snapshots);
  for (int i = 0; i < gif->ImageCount; i++)
    {
      GraphicsControlBlock gcb;

      g_assert_cmpint (DGifSavedExtensionToGCB (gif, i, &gcb), ==, GIF_OK);
      g_assert_cmpint (gcb.DelayTime, ==, 30);
    }
  DGifCloseFile (gif, &code);

  /* The same as numbered PNGs. */
  g_assert_cmpint (run_cli (NULL, NULL, "render", run_dir, "--frames", "--out", frames, NULL), ==, 0);
  for (guint i = 0; i < n_snapshots; i++)
    {
      g_autofree char *name = g_strdup_printf ("frame-%03u.png", i);
      g_autofree char *path = tmp_path (name);

      g_assert_true (g_file_test (path, G_FILE_TEST_IS_REGULAR));
    }
}

static void
test_damaged_inputs (void)
{
  g_autofree char *a = tmp_path ("resnet8.npy"), *b = tmp_path ("resnet14.npy");
  g_autofree char *lone = tmp_path ("lone.npy"), *bad = tmp_path ("bad.npy");
  g_autofree char *out = tmp_path ("out.png"), *mixed = tmp_path ("mixed.gif");
  g_autofree char *contents = NULL, *err = NULL;
  gsize length;

  /* A matrix without its JSON: drawn with layer numbers, and said so. */
  g_assert_true (g_file_get_contents (a, &contents, &length, NULL));
  g_assert_true (g_file_set_contents (lone, contents, (gssize) length, NULL));
  g_assert_cmpint (run_cli (NULL, &err, "render", lone, "--out", out, NULL), ==, 0);
  g_assert_nonnull (strstr (err, "lone.npy"));
  g_assert_nonnull (strstr (err, "by number"));
  g_assert_true (g_file_test (out, G_FILE_TEST_IS_REGULAR));
  g_clear_pointer (&err, g_free);
  g_remove (out);

  /* A damaged matrix: an error naming it, and no figure. */
  g_assert_true (g_file_set_contents (bad, "\x93NUMPY garbage", -1, NULL));
  g_assert_cmpint (run_cli (NULL, &err, "render", bad, "--out", out, NULL), ==, 1);
  g_assert_nonnull (strstr (err, "bad.npy"));
  g_assert_false (g_file_test (out, G_FILE_TEST_EXISTS));
  g_clear_pointer (&err, g_free);

  /* An animation of matrices of different shapes. */
  g_assert_cmpint (run_cli (NULL, &err, "render", a, b, "--out", mixed, NULL), ==, 1);
  g_assert_nonnull (strstr (err, "frame 2"));
  g_assert_false (g_file_test (mixed, G_FILE_TEST_EXISTS));
  g_clear_pointer (&err, g_free);
}

#define N_PLANTED   20
#define BLOCK_FIRST 5
#define BLOCK_LAST  11

static double
planted (guint row,
         guint col)
{
  if (row == col)
    return 1.0;
  if (row >= BLOCK_FIRST && row <= BLOCK_LAST && col >= BLOCK_FIRST && col <= BLOCK_LAST)
    return 0.9;
  return 0.2;
}

static void
assert_rgb (cairo_surface_t *image,
            double           x,
            double           y,
            const guint8     want[3],
            const char      *what)
{
  guint8 got[3];

  figure_pixel_rgb (image, x, y, got);
  if (memcmp (got, want, 3) != 0)
    g_error ("%s at (%.1f, %.1f): got %02x%02x%02x, want %02x%02x%02x", what, x, y, got[0], got[1], got[2], want[0],
             want[1], want[2]);
}

static void
test_analyses (void)
{
  g_autofree char *planted_npy = tmp_path ("planted.npy"), *png = tmp_path ("analyses.png");
  g_autofree char *bare_png = tmp_path ("analyses-bare.png"), *pdf = tmp_path ("pc1.pdf");
  g_autofree char *pc1 = tmp_path ("pc1-cka-without-pc1.npy"), *plain = tmp_path ("resnet8.npy");
  g_autofree char *text = NULL, *err = NULL;
  g_autoptr(BsCkaSnapshot) snapshot = NULL;
  g_autoptr(GError) error = NULL;
  double shares[N_PLANTED];
  BsFigurePanel panel = { 0 };
  BsFigureExportOptions options;
  BsFigureLayout layout;
  BsFigurePalette palette;
  cairo_surface_t *image;
  double x, y, ppp = 150.0 / 72, cell, ring_y, mid;
  guint8 want[3];

  for (guint i = 0; i < N_PLANTED; i++)
    shares[i] = (i + 0.5) / N_PLANTED;
  snapshot = figure_fixture_self_snapshot (N_PLANTED, planted, shares);
  g_assert_true (bs_cka_export (snapshot, NULL, planted_npy, &error));
  g_assert_no_error (error);

  g_assert_cmpint (run_cli (NULL, NULL, "render", planted_npy, "--pc1-strips", "--blocks", "--dpi", "150",
                            "--out", png, NULL), ==, 0);
  image = cairo_image_surface_create_from_png (png);
  g_assert_cmpint (cairo_surface_status (image), ==, CAIRO_STATUS_SUCCESS);

  /* Where the figure puts things, as render lays it out. */
  panel.snapshot = snapshot;
  bs_figure_export_options_init (&options);
  options.pc1_strips = TRUE;
  options.blocks = TRUE;
  options.dpi = 150;
  bs_figure_export_get_layout (&panel, 1, &options, 0, &x, &y, &layout);
  cell = layout.plot.width / N_PLANTED;
  for (guint i = 0; i < N_PLANTED; i++)
    {
      bs_colormap_lookup (BS_COLORMAP_MAGMA, shares[i], 0, 1, want);
      assert_rgb (image, (x + layout.plot.x + (i + 0.5) * cell) * ppp,
                  (y + layout.col_pc1.y + layout.col_pc1.height / 2) * ppp, want, "column PC1 strip");
      assert_rgb (image, (x + layout.row_pc1.x + layout.row_pc1.width / 2) * ppp,
                  (y + layout.plot.y + layout.plot.width - (i + 0.5) * cell) * ppp, want, "row PC1 strip");
    }
  /* The block's ring on its top edge (layer BLOCK_LAST), two line widths
   * in whole pixels: its middle row. */
  bs_figure_palette_init_paper (&palette);
  want[0] = (guint8) lround (255 * palette.block_outline.red);
  want[1] = (guint8) lround (255 * palette.block_outline.green);
  want[2] = (guint8) lround (255 * palette.block_outline.blue);
  mid = (x + layout.plot.x + (BLOCK_FIRST + BLOCK_LAST + 1) / 2.0 * cell) * ppp;
  ring_y = round ((y + layout.plot.y + (N_PLANTED - 1 - BLOCK_LAST) * cell) * ppp);
  assert_rgb (image, mid, ring_y + 0.5, want, "block ring");
  cairo_surface_destroy (image);

  /* Above the threshold of every pair in it: no block, the cells bare. */
  g_assert_cmpint (run_cli (NULL, NULL, "render", planted_npy, "--blocks", "--block-threshold", "0.95",
                            "--dpi", "150", "--out", bare_png, NULL), ==, 0);
  image = cairo_image_surface_create_from_png (bare_png);
  options.pc1_strips = FALSE;
  bs_figure_export_get_layout (&panel, 1, &options, 0, &x, &y, &layout);
  cell = layout.plot.width / N_PLANTED;
  bs_colormap_lookup (BS_COLORMAP_MAGMA, planted (BLOCK_LAST, BLOCK_FIRST + 2), 0, 1, want);
  assert_rgb (image, (x + layout.plot.x + (BLOCK_FIRST + 2.5) * cell) * ppp,
              round ((y + layout.plot.y + (N_PLANTED - 1 - BLOCK_LAST) * cell) * ppp) + 0.5, want, "bare cell");
  cairo_surface_destroy (image);

  /* A real result of cka --measure: the measure named, the strips labelled. */
  g_assert_cmpint (run_cli (NULL, NULL, "render", pc1, "--pc1-strips", "--blocks", "--out", pdf, NULL), ==, 0);
  text = figure_run_tool ((const char *[]) { "pdftotext", pdf, "-", NULL });
  g_assert_nonnull (strstr (text, "CKA without PC1"));
  g_assert_nonnull (strstr (text, "PC1 share"));

  /* A result without shares cannot have strips. */
  g_assert_cmpint (run_cli (NULL, &err, "render", plain, "--pc1-strips", "--out", pdf, NULL), ==, 1);
  g_assert_nonnull (strstr (err, "PC1"));
}

/* A deviation across seeds (blockscope-cli seeds' M-std.npy, the window's
 * Export Data… of it) is named as such, not as CKA. */
static void
test_seed_deviation (void)
{
  g_autofree char *npy = tmp_path ("deviation.npy"), *json = tmp_path ("deviation.json");
  g_autofree char *pdf = tmp_path ("deviation.pdf");
  g_autofree char *contents = NULL, *text = NULL;
  g_autoptr(BsCkaSnapshot) snapshot = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GString) edited = NULL;
  double shares[N_PLANTED];

  for (guint i = 0; i < N_PLANTED; i++)
    shares[i] = NAN;
  snapshot = figure_fixture_self_snapshot (N_PLANTED, planted, shares);
  g_assert_true (bs_cka_export (snapshot, NULL, npy, &error));
  g_assert_no_error (error);
  g_assert_true (g_file_get_contents (json, &contents, NULL, &error));
  g_assert_no_error (error);
  g_assert_null (strstr (contents, "\"statistic\""));
  edited = g_string_new (contents);
  g_assert_cmpuint (g_string_replace (edited, "\"measure\" : \"cka\",",
                                      "\"measure\" : \"cka\", \"statistic\" : \"seed-std-dev\",", 1), ==, 1);
  g_assert_true (g_file_set_contents (json, edited->str, -1, &error));
  g_assert_no_error (error);

  g_assert_cmpint (run_cli (NULL, NULL, "render", npy, "--out", pdf, NULL), ==, 0);
  text = figure_run_tool ((const char *[]) { "pdftotext", pdf, "-", NULL });
  g_assert_nonnull (strstr (text, "Std. dev. of CKA"));
}

static void
test_wrong_options (void)
{
  g_autofree char *a = tmp_path ("resnet8.npy");
  g_autofree char *missing = tmp_path ("no-such-folder/figure.pdf");
  static const char *bad[][4] = {
    { "--width", "3furlongs", "--out", "x.pdf" },
    { "--colormap", "rainbow", "--out", "x.pdf" },
    { "--range", "1:", "--out", "x.pdf" },
    { "--columns", "-1", "--out", "x.pdf" },
    { "--dpi", "300", "--out", "x.jpg" },
    { "--block-threshold", "0.5", "--out", "x.pdf" },
    { "--blocks", "--block-threshold", "nan", "--out" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autofree char *err = NULL;

      g_assert_cmpint (run_cli (NULL, &err, "render", a, bad[i][0], bad[i][1], bad[i][2], bad[i][3], NULL), ==, 2);
      g_assert_nonnull (strstr (err, "render"));
    }
  {
    g_autofree char *err = NULL;

    g_assert_cmpint (run_cli (NULL, &err, "render", a, NULL), ==, 2);
    g_assert_nonnull (strstr (err, "--out"));
  }
  {
    g_autofree char *err = NULL;

    g_assert_cmpint (run_cli (NULL, &err, "render", a, "--out", missing, NULL), ==, 1);
    g_assert_nonnull (strstr (err, "figure.pdf"));
    g_assert_false (g_file_test (missing, G_FILE_TEST_EXISTS));
  }
}

int
main (int    argc,
      char **argv)
{
  int status;

  g_test_init (&argc, &argv, NULL);
  tmp_dir = g_dir_make_tmp ("blockscope-render-XXXXXX", NULL);
  g_assert_nonnull (tmp_dir);
  make_inputs ();

  g_test_add_func ("/render-cli/figures", test_figures);
  g_test_add_func ("/render-cli/run-animation", test_run_animation);
  g_test_add_func ("/render-cli/damaged-inputs", test_damaged_inputs);
  g_test_add_func ("/render-cli/analyses", test_analyses);
  g_test_add_func ("/render-cli/seed-deviation", test_seed_deviation);
  g_test_add_func ("/render-cli/wrong-options", test_wrong_options);

  status = g_test_run ();
  bs_test_remove_tree (tmp_dir);
  g_free (tmp_dir);
  return status;
}
