/* test-figure-export.c: figures for papers as PDF, SVG and PNG.
 *
 * Each format is read back by an independent program, as a reader would
 * open it: poppler (pdfinfo for the page size, pdftotext for the text,
 * pdftoppm for the pixels) and librsvg (rsvg-convert); SVG text must be
 * <text> elements. Colours sampled at
 * cell centres must be the colour map's, the page the size asked for, the
 * text selectable; a masked triangle is blank, an uncertain cell marked,
 * several panels stand where the figure says. Animations: giflib reads
 * the GIF back (one frame per matrix, the delay, the colours within what
 * 256 colours allow), PNG sequences one file per frame. Failures leave no
 * file. */
#include "bs-config.h"

#include <gif_lib.h>
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

#include "bs-error.h"
#include "bs-figure-animation.h"
#include "bs-figure-export.h"
#include "bs-test-util.h"
#include "figure-checks.h"
#include "figure-fixtures.h"

static char *out_dir;

static double
gradient (guint row,
          guint col)
{
  return fmod (0.37 * row + 0.11 * col, 1.0);
}

/* Symmetric, for a model against itself. */
static double
symmetric (guint row,
           guint col)
{
  return fmod (0.13 * (row + col) + 0.05 * fabs ((double) row - col), 1.0);
}

static double
uncertain_diagonal (guint row,
                    guint col)
{
  return row == col ? 0.2 : 0.01;
}

static char *
out_path (const char *name)
{
  return g_build_filename (out_dir, name, NULL);
}

static cairo_surface_t *
load_png (const char *path)
{
  cairo_surface_t *surface = cairo_image_surface_create_from_png (path);

  g_assert_cmpint (cairo_surface_status (surface), ==, CAIRO_STATUS_SUCCESS);
  return surface;
}

static void
assert_rgb_near (const guint8 got[3],
                 const guint8 want[3],
                 int          tolerance)
{
  for (guint k = 0; k < 3; k++)
    if (abs ((int) got[k] - (int) want[k]) > tolerance)
      {
        g_test_message ("got %02x%02x%02x, want %02x%02x%02x", got[0], got[1], got[2], want[0], want[1], want[2]);
        g_assert_cmpint (abs ((int) got[k] - (int) want[k]), <=, tolerance);
      }
}

/* Every cell's centre in a rendering at pixels_per_point against the
 * colour map (masked cells: white). */
static void
check_cells (cairo_surface_t             *image,
             double                       pixels_per_point,
             const BsFigurePanel         *panels,
             guint                        n_panels,
             const BsFigureExportOptions *options,
             guint                        i,
             int                          tolerance)
{
  BsCkaSnapshot *snapshot = panels[i].snapshot;
  guint n_rows = bs_cka_snapshot_get_n_rows (snapshot), n_cols = bs_cka_snapshot_get_n_cols (snapshot);
  double x, y, side;
  guint checked = 0;

  bs_figure_export_get_plot (panels, n_panels, options, i, &x, &y, &side);
  for (guint r = 0; r < n_rows; r++)
    for (guint c = 0; c < n_cols; c++)
      {
        double cx = x + (c + 0.5) * side / n_cols, cy = y + side - (r + 0.5) * side / n_rows;
        guint8 got[3], want[3];

        if (options->mask_upper && c > r)
          want[0] = want[1] = want[2] = 0xff;
        else
          bs_colormap_lookup (options->colormap, bs_cka_snapshot_get_value (snapshot, r, c), 0, 1, want);
        figure_pixel_rgb (image, cx * pixels_per_point, cy * pixels_per_point, got);
        for (guint k = 0; k < 3; k++)
          if (abs ((int) got[k] - (int) want[k]) > tolerance)
            g_test_message ("panel %u, cell (%u, %u) at (%g, %g) pt:", i, r, c, cx, cy);
        assert_rgb_near (got, want, tolerance);
        checked++;
      }
  g_assert_cmpuint (checked, ==, n_rows * n_cols);
}

/* ---------------------------------------------------------------- tests */

static void
test_lengths_and_formats (void)
{
  static const struct { const char *text; double points; } good[] = {
    { "3.5in", 252 }, { "7in", 504 }, { "89mm", 89 * 72 / 25.4 }, { "183 mm", 183 * 72 / 25.4 },
    { "8.9cm", 8.9 * 72 / 2.54 }, { "252pt", 252 }, { "300", 300 }, { " 2IN ", 144 },
  };
  static const char *bad[] = { "", "abc", "-1in", "0mm", "101in", "3.5 furlongs", "nan", "inf", "7in7" };
  static const struct { const char *path; BsFigureFormat format; } formats[] = {
    { "a.pdf", BS_FIGURE_FORMAT_PDF }, { "dir/b.SVG", BS_FIGURE_FORMAT_SVG }, { "c.Png", BS_FIGURE_FORMAT_PNG },
  };
  BsFigureFormat format;

  for (guint i = 0; i < G_N_ELEMENTS (good); i++)
    {
      g_autoptr(GError) error = NULL;
      double points = 0;

      g_assert_true (bs_figure_parse_length (good[i].text, &points, &error));
      g_assert_no_error (error);
      g_assert_cmpfloat_with_epsilon (points, good[i].points, 1e-9);
    }
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) error = NULL;
      double points = -7;

      g_assert_false (bs_figure_parse_length (bad[i], &points, &error));
      g_assert_error (error, BS_ERROR, BS_ERROR_INVALID_ARGUMENT);
      g_assert_cmpfloat (points, ==, -7);
    }
  for (guint i = 0; i < G_N_ELEMENTS (formats); i++)
    {
      g_assert_true (bs_figure_format_from_path (formats[i].path, &format, NULL));
      g_assert_cmpint (format, ==, formats[i].format);
    }
  {
    g_autoptr(GError) error = NULL;

    g_assert_false (bs_figure_format_from_path ("figure.jpg", &format, &error));
    g_assert_error (error, BS_ERROR, BS_ERROR_INVALID_ARGUMENT);
    g_assert_nonnull (strstr (error->message, "figure.jpg"));
  }
}

static void
test_png (void)
{
  g_autoptr(BsCkaSnapshot) snapshot = figure_fixture_snapshot (23, 31, gradient, NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *path = out_path ("single.png");
  BsFigurePanel panel = { .snapshot = snapshot };
  BsFigureExportOptions options;
  cairo_surface_t *image;
  double width, height;

  bs_figure_export_options_init (&options);
  options.dpi = 200;
  g_assert_true (bs_figure_export (&panel, 1, &options, BS_FIGURE_FORMAT_PNG, path, &error));
  g_assert_no_error (error);

  /* 3.5 in at 200 dpi is 700 pixels wide; the height follows the page. */
  bs_figure_export_get_size (&panel, 1, &options, &width, &height);
  g_assert_cmpfloat (width, ==, 252);
  image = load_png (path);
  g_assert_cmpint (cairo_image_surface_get_width (image), ==, 700);
  g_assert_cmpint (cairo_image_surface_get_height (image), ==, (int) ceil (height * 200 / 72));
  /* Drawn pixel for pixel: the exact colours of the map. */
  check_cells (image, 200.0 / 72, &panel, 1, &options, 0, 0);
  cairo_surface_destroy (image);
}

static void
test_pdf (void)
{
  g_autoptr(BsCkaSnapshot) snapshot = figure_fixture_snapshot (23, 31, gradient, NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *path = out_path ("single.pdf");
  g_autofree char *prefix = out_path ("single-pdf");
  g_autofree char *png = out_path ("single-pdf-1.png");
  g_autofree char *info = NULL, *text = NULL;
  BsFigurePanel panel = { .snapshot = snapshot };
  BsFigureExportOptions options;
  cairo_surface_t *image;
  double width, height, got_w = 0, got_h = 0;
  const char *size_line;

  bs_figure_export_options_init (&options);
  options.width_pt = BS_FIGURE_WIDTH_DOUBLE_PT;
  options.font_size_pt = 9;
  /* Lines over the cells, half as wide as on screen: the cells' centres stay clear. */
  options.stage_lines = TRUE;
  options.title = "Block structure of ResNet-20";
  g_assert_true (bs_figure_export (&panel, 1, &options, BS_FIGURE_FORMAT_PDF, path, &error));
  g_assert_no_error (error);
  bs_figure_export_get_size (&panel, 1, &options, &width, &height);

  /* A valid PDF with the page asked for, to half a point. */
  info = figure_run_tool ((const char *[]) { "pdfinfo", path, NULL });
  size_line = strstr (info, "Page size:");
  g_assert_nonnull (size_line);
  g_assert_cmpint (sscanf (size_line, "Page size: %lf x %lf pts", &got_w, &got_h), ==, 2);
  g_assert_cmpfloat (fabs (got_w - 504), <=, 0.5);
  g_assert_cmpfloat (fabs (got_h - height), <=, 0.5);

  /* Text stays text: the title, the models' names, the measure. */
  text = figure_run_tool ((const char *[]) { "pdftotext", path, "-", NULL });
  g_assert_nonnull (strstr (text, "Block structure of ResNet-20"));
  g_assert_nonnull (strstr (text, "ResNet-20"));
  g_assert_nonnull (strstr (text, "ResNet-56"));
  g_assert_nonnull (strstr (text, "CKA"));

  /* Rendered by poppler at 4 pixels per point: the cells' colours. */
  g_free (figure_run_tool ((const char *[]) { "pdftoppm", "-r", "288", "-png", path, prefix, NULL }));
  image = load_png (png);
  check_cells (image, 4, &panel, 1, &options, 0, 3);
  cairo_surface_destroy (image);
}

/* Counts the elements of an SVG that fill with rgb(r,g,b) exactly. */
typedef struct {
  guint8 rgb[3];
  guint  count;
  guint  elements;
} SvgCount;

static void
svg_start (GMarkupParseContext  *context,
           const char           *element,
           const char          **names,
           const char          **values,
           gpointer              user_data,
           GError              **error)
{
  SvgCount *count = user_data;
  g_autofree char *fill = g_strdup_printf ("fill:rgb(%u,%u,%u)", count->rgb[0], count->rgb[1], count->rgb[2]);

  count->elements++;
  /* cairo 1.16 writes colours as percentages, rgb(100%,50.196078%,...);
   * whole numbers are accepted too. */
  for (guint i = 0; names[i] != NULL; i++)
    if (strcmp (names[i], "style") == 0 || strcmp (names[i], "fill") == 0)
      {
        g_autofree char *squeezed = g_strdup (values[i]);
        guint r, g, b;
        double pr, pg, pb;
        const char *at;

        if ((at = strstr (squeezed, "fill:rgb(")) != NULL
            && sscanf (at, "fill:rgb(%lf%%,%lf%%,%lf%%)", &pr, &pg, &pb) == 3)
          {
            r = (guint) lround (pr * 2.55);
            g = (guint) lround (pg * 2.55);
            b = (guint) lround (pb * 2.55);
            if (r == count->rgb[0] && g == count->rgb[1] && b == count->rgb[2])
              count->count++;
          }
        else if (strstr (squeezed, fill) != NULL)
          count->count++;
      }
}

static void
test_svg (void)
{
  g_autoptr(BsCkaSnapshot) snapshot = figure_fixture_snapshot (23, 31, gradient, NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *path = out_path ("single.svg");
  g_autofree char *png = out_path ("single-svg.png");
  g_autofree char *xml = NULL;
  BsFigurePanel panel = { .snapshot = snapshot };
  BsFigureExportOptions options;
  GMarkupParser parser = { .start_element = svg_start };
  GMarkupParseContext *context;
  cairo_surface_t *image;
  SvgCount count = { { 0 } };
  gsize length;

  bs_figure_export_options_init (&options);
  options.stage_lines = TRUE;
  g_assert_true (bs_figure_export (&panel, 1, &options, BS_FIGURE_FORMAT_SVG, path, &error));
  g_assert_no_error (error);

  /* Well-formed XML with one filled rectangle per cell of a colour (that
   * of cell (3, 1), say), and one more: the colour bar's band of that
   * entry of the colour map. */
  g_assert_true (g_file_get_contents (path, &xml, &length, NULL));
  bs_colormap_lookup (options.colormap, bs_cka_snapshot_get_value (snapshot, 3, 1), 0, 1, count.rgb);
  context = g_markup_parse_context_new (&parser, 0, &count, NULL);
  g_assert_true (g_markup_parse_context_parse (context, xml, length, &error));
  g_assert_true (g_markup_parse_context_end_parse (context, &error));
  g_assert_no_error (error);
  g_markup_parse_context_free (context);
  g_assert_cmpuint (count.elements, >, 23 * 31);
  {
    guint want = 0;
    guint8 rgb[3];

    for (guint r = 0; r < 23; r++)
      for (guint c = 0; c < 31; c++)
        {
          bs_colormap_lookup (options.colormap, bs_cka_snapshot_get_value (snapshot, r, c), 0, 1, rgb);
          want += memcmp (rgb, count.rgb, 3) == 0;
        }
    g_test_message ("%u elements fill with the colour of cell (3, 1), %u cells have it", count.count, want);
    g_assert_cmpuint (want, >, 1);
    g_assert_cmpuint (count.count, ==, want + 1);
  }

  /* Text is text (<text> elements in the figure's font), not glyph shapes. */
  g_assert_nonnull (strstr (xml, ">ResNet-20</text>"));
  g_assert_nonnull (strstr (xml, ">ResNet-56</text>"));
  g_assert_nonnull (strstr (xml, ">CKA</text>"));
  g_assert_nonnull (strstr (xml, "font-family=\"DejaVu Sans\""));
  g_assert_null (strstr (xml, "id=\"glyph"));

  /* Rendered by librsvg (which counts 96 pixels per inch, so zoom 3 is 4
   * pixels per point): the cells' colours. */
  g_free (figure_run_tool ((const char *[]) { "rsvg-convert", "--zoom", "3", "-o", png, path, NULL }));
  image = load_png (png);
  g_assert_cmpint (cairo_image_surface_get_width (image), ==, 252 * 4);
  check_cells (image, 4, &panel, 1, &options, 0, 3);
  cairo_surface_destroy (image);
}

static void
test_panels (void)
{
  g_autoptr(BsCkaSnapshot) a = figure_fixture_snapshot (22, 22, symmetric, NULL);
  g_autoptr(BsCkaSnapshot) b = figure_fixture_snapshot (58, 58, symmetric, NULL);
  g_autoptr(BsCkaSnapshot) c = figure_fixture_snapshot (112, 112, symmetric, NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *path = out_path ("panels.png");
  g_autofree char *pdf = out_path ("panels.pdf");
  g_autofree char *text = NULL;
  BsFigurePanel panels[] = {
    { .snapshot = a, .title = "Depth 20" }, { .snapshot = b, .title = "Depth 56" },
    { .snapshot = c, .title = "Depth 110" },
  };
  BsFigureExportOptions options;
  cairo_surface_t *image;
  double x[3], y[3], side[3];

  bs_figure_export_options_init (&options);
  options.width_pt = BS_FIGURE_WIDTH_DOUBLE_PT;
  options.dpi = 300;
  g_assert_true (bs_figure_export (panels, 3, &options, BS_FIGURE_FORMAT_PNG, path, &error));
  g_assert_no_error (error);

  /* Three equal plots side by side, each with its own cells. */
  for (guint i = 0; i < 3; i++)
    bs_figure_export_get_plot (panels, 3, &options, i, &x[i], &y[i], &side[i]);
  g_assert_cmpfloat (side[0], ==, side[1]);
  g_assert_cmpfloat (side[1], ==, side[2]);
  g_assert_cmpfloat (y[0], ==, y[2]);
  g_assert_cmpfloat (x[0] + side[0], <, x[1]);
  g_assert_cmpfloat (x[1] + side[1], <, x[2]);
  g_assert_cmpfloat (x[2] + side[2], <, options.width_pt);
  image = load_png (path);
  for (guint i = 0; i < 3; i++)
    check_cells (image, 300.0 / 72, panels, 3, &options, i, 0);
  {
    /* One colour bar, right of the last panel: its top is the map's high
     * end; right of the first two panels only the white page. */
    guint8 rgb[3], white[3] = { 0xff, 0xff, 0xff }, high[3];
    double gap = (x[1] - x[0] - side[0]);

    bs_colormap_lookup (options.colormap, 1.0, 0, 1, high);
    for (guint i = 0; i < 2; i++)
      for (double t = 0.1; t < 0.9; t += 0.2)
        {
          figure_pixel_rgb (image, (x[i] + side[i] + 0.5 * 12 * 0.8) * 300 / 72, (y[i] + t * side[i]) * 300 / 72, rgb);
          assert_rgb_near (rgb, white, 0);
        }
    g_assert_cmpfloat (gap, >, 0);
    /* Two points below the bar's top: the map 2 / side below its end. */
    /* The compact layout's bar: 10 units from the plot, 10 wide (bs-figure-layout.c). */
    figure_pixel_rgb (image, (x[2] + side[2] + (10 + 5) * 0.8) * 300 / 72, (y[2] + 2) * 300 / 72, rgb);
    bs_colormap_lookup (options.colormap, 1 - 2 / side[2], 0, 1, high);
    assert_rgb_near (rgb, high, 8);
  }
  cairo_surface_destroy (image);

  /* The same as PDF: every panel's title is text. */
  g_assert_true (bs_figure_export (panels, 3, &options, BS_FIGURE_FORMAT_PDF, pdf, &error));
  g_assert_no_error (error);
  text = figure_run_tool ((const char *[]) { "pdftotext", pdf, "-", NULL });
  g_assert_nonnull (strstr (text, "Depth 20"));
  g_assert_nonnull (strstr (text, "Depth 56"));
  g_assert_nonnull (strstr (text, "Depth 110"));

  /* Two columns: two rows, the third panel below the first. */
  options.columns = 2;
  bs_figure_export_get_plot (panels, 3, &options, 0, &x[0], &y[0], &side[0]);
  bs_figure_export_get_plot (panels, 3, &options, 2, &x[2], &y[2], &side[2]);
  g_assert_cmpfloat (x[0], ==, x[2]);
  g_assert_cmpfloat (y[2], >, y[0] + side[0]);
}

static void
test_mask_and_uncertainty (void)
{
  g_autoptr(BsCkaSnapshot) snapshot = figure_fixture_snapshot (20, 20, symmetric, uncertain_diagonal);
  g_autoptr(GError) error = NULL;
  g_autofree char *path = out_path ("masked.png");
  BsFigurePanel panel = { .snapshot = snapshot };
  BsFigureExportOptions options;
  cairo_surface_t *image;
  double x, y, side, ppp;
  guint8 rgb[3], light[3] = { 0xff, 0xff, 0xff };

  bs_figure_export_options_init (&options);
  options.mask_upper = TRUE;
  options.std_error_threshold = 0.1;
  options.dpi = 300;
  ppp = options.dpi / 72;
  g_assert_true (bs_figure_export (&panel, 1, &options, BS_FIGURE_FORMAT_PNG, path, &error));
  g_assert_no_error (error);
  image = load_png (path);

  /* The upper triangle is white page, the diagonal and below the map's
   * colours, except where a mark sits: the diagonal's cells have a
   * standard error above the threshold, so their centres are the light
   * dot and a point off-centre is still the cell. */
  bs_figure_export_get_plot (&panel, 1, &options, 0, &x, &y, &side);
  for (guint r = 0; r < 20; r++)
    for (guint c = 0; c < 20; c++)
      {
        double cx = x + (c + 0.5) * side / 20, cy = y + side - (r + 0.5) * side / 20;
        guint8 want[3];

        figure_pixel_rgb (image, cx * ppp, cy * ppp, rgb);
        if (c > r)
          assert_rgb_near (rgb, light, 0);
        else if (c == r)
          {
            assert_rgb_near (rgb, light, 0);
            bs_colormap_lookup (options.colormap, bs_cka_snapshot_get_value (snapshot, r, c), 0, 1, want);
            figure_pixel_rgb (image, (cx + 0.4 * side / 20) * ppp, (cy + 0.4 * side / 20) * ppp, rgb);
            assert_rgb_near (rgb, want, 0);
          }
        else
          {
            bs_colormap_lookup (options.colormap, bs_cka_snapshot_get_value (snapshot, r, c), 0, 1, want);
            assert_rgb_near (rgb, want, 0);
          }
      }
  cairo_surface_destroy (image);
}

static void
test_errors (void)
{
  g_autoptr(BsCkaSnapshot) square = figure_fixture_snapshot (12, 12, symmetric, NULL);
  g_autoptr(BsCkaSnapshot) wide = figure_fixture_snapshot (12, 20, gradient, NULL);
  g_autofree char *missing_dir = out_path ("no-such-folder/figure.pdf");
  g_autofree char *kept = out_path ("kept.png");
  BsFigurePanel panel = { .snapshot = wide };
  BsFigureExportOptions options;

  bs_figure_export_options_init (&options);

  /* A folder that does not exist: an error naming the file, no file. */
  {
    g_autoptr(GError) error = NULL;

    g_assert_false (bs_figure_export (&panel, 1, &options, BS_FIGURE_FORMAT_PDF, missing_dir, &error));
    g_assert_nonnull (error);
    g_assert_nonnull (strstr (error->message, "figure.pdf"));
    g_assert_false (g_file_test (missing_dir, G_FILE_TEST_EXISTS));
  }

  /* A full disk: the error says so; an old file of that name is kept. */
  {
    g_autoptr(GError) error = NULL;
    g_autofree char *before = NULL, *after = NULL;

    g_assert_true (g_file_set_contents (kept, "old figure", -1, NULL));
    g_assert_false (bs_figure_export (&panel, 1, &options, BS_FIGURE_FORMAT_PNG, "/dev/full", &error));
    g_assert_nonnull (error);
    g_test_message ("%s", error->message);
    g_assert_true (g_file_get_contents (kept, &before, NULL, NULL));
    g_assert_cmpstr (before, ==, "old figure");
  }

  /* A mask needs a square matrix; sizes in range; room for the panels. */
  {
    g_autoptr(GError) error = NULL;

    options.mask_upper = TRUE;
    g_assert_false (bs_figure_export (&panel, 1, &options, BS_FIGURE_FORMAT_PNG, kept, &error));
    g_assert_error (error, BS_ERROR, BS_ERROR_INVALID_ARGUMENT);
    options.mask_upper = FALSE;
  }
  {
    g_autoptr(GError) error = NULL;
    BsFigurePanel many[12];

    for (guint i = 0; i < G_N_ELEMENTS (many); i++)
      many[i] = (BsFigurePanel) { .snapshot = square };
    g_assert_false (bs_figure_export (many, G_N_ELEMENTS (many), &options, BS_FIGURE_FORMAT_PNG, kept, &error));
    g_assert_error (error, BS_ERROR, BS_ERROR_INVALID_ARGUMENT);
  }
  {
    g_autoptr(GError) error = NULL;

    options.dpi = 2400;
    options.width_pt = 7000;
    g_assert_false (bs_figure_export (&panel, 1, &options, BS_FIGURE_FORMAT_PNG, kept, &error));
    g_assert_error (error, BS_ERROR, BS_ERROR_INVALID_ARGUMENT);
  }
  {
    g_autofree char *contents = NULL;

    g_assert_true (g_file_get_contents (kept, &contents, NULL, NULL));
    g_assert_cmpstr (contents, ==, "old figure");
  }
}


/* ---------------------------------------------------------------- animations */

static guint frame_k;

/* Frame k of a made-up emergence: values drift with k. */
static double
emerging (guint row,
          guint col)
{
  return fmod (0.07 * (row + col) + 0.19 * frame_k, 1.0);
}

static GPtrArray *
make_frames (guint n)
{
  GPtrArray *snapshots = g_ptr_array_new_with_free_func ((GDestroyNotify) bs_cka_snapshot_unref);

  for (frame_k = 0; frame_k < n; frame_k++)
    g_ptr_array_add (snapshots, figure_fixture_snapshot (14, 14, emerging, NULL));
  return snapshots;
}

static void
test_gif (void)
{
  g_autoptr(GPtrArray) snapshots = make_frames (5);
  g_autoptr(GError) error = NULL;
  g_autofree char *path = out_path ("emergence.gif");
  BsFigureFrame frames[5];
  BsFigureAnimationOptions options;
  GifFileType *gif;
  int code = 0;
  double x, y, side;

  for (guint i = 0; i < 5; i++)
    frames[i] = (BsFigureFrame) { .snapshot = g_ptr_array_index (snapshots, i), .label = "epoch" };
  bs_figure_animation_options_init (&options);
  options.frame_ms = 250;
  g_assert_true (bs_figure_export_gif (frames, 5, &options, path, &error));
  g_assert_no_error (error);

  gif = DGifOpenFileName (path, &code);
  g_assert_nonnull (gif);
  g_assert_cmpint (DGifSlurp (gif), ==, GIF_OK);
  /* 3.5 in at 100 dpi; one image per frame, each shown for 250 ms. */
  g_assert_cmpint (gif->SWidth, ==, 350);
  g_assert_cmpint (gif->ImageCount, ==, 5);
  {
    BsFigurePanel panel = { .snapshot = frames[0].snapshot };

    bs_figure_export_get_plot (&panel, 1, &options.figure, 0, &x, &y, &side);
  }
  for (int i = 0; i < gif->ImageCount; i++)
    {
      const SavedImage *image = &gif->SavedImages[i];
      const ColorMapObject *map = image->ImageDesc.ColorMap;
      GraphicsControlBlock gcb;

      g_assert_cmpint (DGifSavedExtensionToGCB (gif, i, &gcb), ==, GIF_OK);
      g_assert_cmpint (gcb.DelayTime, ==, 25);
      g_assert_nonnull (map);
      g_assert_cmpint (image->ImageDesc.Width, ==, 350);
      /* Each cell's centre: its colour of the map, as near as a table of
       * 256 colours for the whole frame comes. */
      for (guint r = 0; r < 14; r++)
        for (guint c = 0; c < 14; c++)
          {
            int px = (int) floor ((x + (c + 0.5) * side / 14) * 100 / 72);
            int py = (int) floor ((y + side - (r + 0.5) * side / 14) * 100 / 72);
            const GifColorType *got = &map->Colors[image->RasterBits[(gsize) py * image->ImageDesc.Width + px]];
            guint8 rgb[3], want[3];

            rgb[0] = got->Red;
            rgb[1] = got->Green;
            rgb[2] = got->Blue;
            bs_colormap_lookup (options.figure.colormap,
                                bs_cka_snapshot_get_value (frames[i].snapshot, r, c), 0, 1, want);
            assert_rgb_near (rgb, want, 12);
          }
    }
  g_assert_cmpint (DGifCloseFile (gif, &code), ==, GIF_OK);
}

static void
test_png_sequence (void)
{
  g_autoptr(GPtrArray) snapshots = make_frames (3);
  g_autoptr(GError) error = NULL;
  g_autofree char *path = out_path ("sequence.png");
  BsFigureFrame frames[3];
  BsFigureAnimationOptions options;

  for (guint i = 0; i < 3; i++)
    frames[i] = (BsFigureFrame) { .snapshot = g_ptr_array_index (snapshots, i), .label = i == 1 ? "epoch 1" : NULL };
  bs_figure_animation_options_init (&options);
  options.figure.range = BS_FIGURE_RANGE_DATA;
  g_assert_true (bs_figure_export_png_sequence (frames, 3, &options, path, &error));
  g_assert_no_error (error);

  for (guint i = 0; i < 3; i++)
    {
      g_autofree char *frame = bs_figure_png_sequence_path (path, i, 3);
      cairo_surface_t *image;
      guint dark = 0;

      g_assert_true (g_str_has_suffix (frame, i == 0 ? "sequence-000.png" : i == 1 ? "sequence-001.png"
                                                                                  : "sequence-002.png"));
      image = load_png (frame);
      g_assert_cmpint (cairo_image_surface_get_width (image), ==, 350);
      /* The label, dark text in the top left corner, only where there is one. */
      for (int py = 0; py < 20; py++)
        for (int px = 0; px < 60; px++)
          {
            guint8 rgb[3];

            figure_pixel_rgb (image, px, py, rgb);
            dark += rgb[0] < 128;
          }
      g_test_message ("frame %u: %u dark pixels in the corner", i, dark);
      if (i == 1)
        g_assert_cmpuint (dark, >, 20);
      else
        g_assert_cmpuint (dark, ==, 0);
      cairo_surface_destroy (image);
    }
  {
    g_autofree char *ten = bs_figure_png_sequence_path ("a/b.c/x", 7, 1000);

    g_assert_cmpstr (ten, ==, "a/b.c/x-007.png");
    g_free (ten);
    ten = bs_figure_png_sequence_path ("run.png", 1234, 1235);
    g_assert_cmpstr (ten, ==, "run-1234.png");
  }

  /* Frames of different shapes: refused, naming the frame; no file. */
  {
    g_autofree char *gif = out_path ("mixed.gif");
    g_autoptr(BsCkaSnapshot) wide = figure_fixture_snapshot (14, 20, gradient, NULL);

    frames[2].snapshot = wide;
    g_assert_false (bs_figure_export_gif (frames, 3, &options, gif, &error));
    g_assert_error (error, BS_ERROR, BS_ERROR_MISMATCH);
    g_assert_nonnull (strstr (error->message, "3"));
    g_assert_false (g_file_test (gif, G_FILE_TEST_EXISTS));
  }
}

int
main (int    argc,
      char **argv)
{
  int status;

  g_test_init (&argc, &argv, NULL);
  out_dir = g_build_filename (g_getenv ("G_TEST_BUILDDIR") ? g_getenv ("G_TEST_BUILDDIR") : ".",
                              "figure-export", NULL);
  bs_test_remove_tree (out_dir);
  g_assert_cmpint (g_mkdir_with_parents (out_dir, 0755), ==, 0);

  g_test_add_func ("/figure-export/lengths-and-formats", test_lengths_and_formats);
  g_test_add_func ("/figure-export/png", test_png);
  g_test_add_func ("/figure-export/pdf", test_pdf);
  g_test_add_func ("/figure-export/svg", test_svg);
  g_test_add_func ("/figure-export/panels", test_panels);
  g_test_add_func ("/figure-export/mask-and-uncertainty", test_mask_and_uncertainty);
  g_test_add_func ("/figure-export/errors", test_errors);
  g_test_add_func ("/figure-export/gif", test_gif);
  g_test_add_func ("/figure-export/png-sequence", test_png_sequence);

  status = g_test_run ();
  g_free (out_dir);
  return status;
}
