/* test-blocks.c: the detected blocks outlined on the heatmap and listed.
 *
 * A 24-layer self-comparison with two planted blocks: a strong one
 * (layers 9-16, CKA 0.9 among themselves) and a weak one (layers 1-5,
 * 0.6), everything else 0.2 off the diagonal. At the default threshold
 * (0.7) only the strong block is found, at 0.5 both: the heatmap's blocks
 * equal bs_blocks_find's on the same matrix, every device pixel of each
 * block's ring has the ring colour (the palette's second series colour)
 * and no other pixel of the plot does; "show-blocks" off removes the
 * rings; a comparison of two different networks has no blocks. The list
 * (BsBlocksView) has a row per block; a real click on one zooms the
 * heatmap to the block. The heatmap's accessible description names the
 * blocks. Drawn with OpenGL or cairo (the -cairo variant). */
#include "bs-config.h"

#include <math.h>
#include <string.h>

#include "bs-blocks.h"
#include "bs-blocks-view.h"
#include "bs-heatmap.h"
#include "bs-heatmap-private.h"
#include "bs-test-utils.h"
#include "bs-theme-palette.h"

#define N_LAYERS 24

static double
planted_value (guint row,
               guint col)
{
  if (row == col)
    return 1.0;
  if (row >= 9 && row <= 16 && col >= 9 && col <= 16)
    return 0.9;
  if (row >= 1 && row <= 5 && col >= 1 && col <= 5)
    return 0.6;
  return 0.2;
}

typedef struct {
  GtkWidget    *window;
  BsHeatmap    *heatmap;
  BsBlocksView *view;
  int           scale;
} Fixture;

/* Whether this run must draw with cairo: asked for (BLOCKSCOPE_NO_GL), or
 * OpenGL switched off (GDK_DEBUG=gl-disable, as sanitizer builds do). */
static gboolean
expect_cairo (void)
{
  const char *gdk_debug = g_getenv ("GDK_DEBUG");

  return g_strcmp0 (g_getenv ("BS_TEST_EXPECT_DRAWING"), "cairo") == 0
         || g_strcmp0 (g_getenv ("BLOCKSCOPE_NO_GL"), "1") == 0
         || (gdk_debug != NULL && strstr (gdk_debug, "gl-disable") != NULL);
}

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(BsCkaSnapshot) snapshot = bs_test_make_snapshot (N_LAYERS, N_LAYERS, planted_value, "resnet20", "resnet20");
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 0);

  bs_test_pointer_park ();
  f->window = gtk_window_new ();
  gtk_window_set_default_size (GTK_WINDOW (f->window), 1000, 560);
  f->heatmap = BS_HEATMAP (bs_heatmap_new ());
  gtk_widget_set_hexpand (GTK_WIDGET (f->heatmap), TRUE);
  f->view = BS_BLOCKS_VIEW (bs_blocks_view_new (f->heatmap));
  gtk_widget_set_size_request (GTK_WIDGET (f->view), 300, -1);
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (f->heatmap));
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (f->view));
  gtk_window_set_child (GTK_WINDOW (f->window), box);
  bs_heatmap_set_snapshot (f->heatmap, snapshot);
  gtk_window_present (GTK_WINDOW (f->window));
  gtk_test_widget_wait_for_draw (f->window);
  f->scale = gtk_widget_get_scale_factor (GTK_WIDGET (f->heatmap));
  g_test_message ("drawn with %s at scale %d", bs_heatmap_get_uses_gl (f->heatmap) ? "OpenGL" : "cairo", f->scale);
  g_assert_cmpint (bs_heatmap_get_uses_gl (f->heatmap), ==, !expect_cairo ());
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  gtk_window_destroy (GTK_WINDOW (f->window));
  bs_test_drain ();
}

/* The blocks bs_blocks_find gives the same matrix at threshold. */
static GArray *
reference_blocks (double threshold)
{
  g_autofree double *m = g_new (double, N_LAYERS * N_LAYERS);
  BsBlocksOptions options;
  g_autoptr(GError) error = NULL;
  GArray *blocks;

  for (guint r = 0; r < N_LAYERS; r++)
    for (guint c = 0; c < N_LAYERS; c++)
      m[r * N_LAYERS + c] = planted_value (r, c);
  bs_blocks_options_init (&options);
  options.threshold = threshold;
  blocks = bs_blocks_find (m, N_LAYERS, N_LAYERS, &options, &error);
  g_assert_no_error (error);
  return blocks;
}

static void
assert_blocks_equal (GArray *shown,
                     GArray *expected)
{
  g_assert_nonnull (shown);
  g_assert_cmpuint (shown->len, ==, expected->len);
  for (guint i = 0; i < expected->len; i++)
    {
      const BsBlock *a = &g_array_index (shown, BsBlock, i);
      const BsBlock *b = &g_array_index (expected, BsBlock, i);

      g_assert_cmpuint (a->first, ==, b->first);
      g_assert_cmpuint (a->last, ==, b->last);
      g_assert_cmpfloat (a->mean_inside, ==, b->mean_inside);
      g_assert_cmpfloat (a->mean_rest, ==, b->mean_rest);
    }
}

/* Block [first, last]'s square in device pixels of the heatmap's
 * screenshot, from the cells' geometry. */
static void
block_device_rect (Fixture *f,
                   guint    first,
                   guint    last,
                   int     *x0,
                   int     *y0,
                   int     *x1,
                   int     *y1)
{
  const BsFigureRect *p = &f->heatmap->layout.plot;
  double ax, ay, aw, ah, bx, by, bw, bh;

  bs_heatmap_view_cell_to_rect (bs_heatmap_get_view (f->heatmap), first, first, &ax, &ay, &aw, &ah);
  bs_heatmap_view_cell_to_rect (bs_heatmap_get_view (f->heatmap), last, last, &bx, &by, &bw, &bh);
  /* Layer 0 at the bottom: the last layer's cell is the top-right one. */
  *x0 = (int) round ((p->x + ax) * f->scale);
  *x1 = (int) round ((p->x + bx + bw) * f->scale);
  *y0 = (int) round ((p->y + by) * f->scale);
  *y1 = (int) round ((p->y + ay + ah) * f->scale);
}

static gboolean
same_rgb (const guint8 a[3],
          const guint8 b[3])
{
  return ABS (a[0] - b[0]) <= 2 && ABS (a[1] - b[1]) <= 2 && ABS (a[2] - b[2]) <= 2;
}

/* Checks every device pixel of the plot: the ring colour exactly on the
 * rings of blocks (ranges of layers [firsts[i], lasts[i]]), nowhere else.
 * Returns the number of ring pixels. */
static guint
check_rings (Fixture     *f,
             const char  *name,
             guint        n_blocks,
             const guint *firsts,
             const guint *lasts)
{
  g_autoptr(GdkTexture) shot = bs_test_screenshot (GTK_WIDGET (f->heatmap), name);
  g_autofree guint8 *pixels = NULL;
  const BsFigureRect *p = &f->heatmap->layout.plot;
  GdkRGBA c = bs_theme_palette_rgba (&f->heatmap->palette.block_outline);
  guint8 ring[3] = { (guint8) round (c.red * 255), (guint8) round (c.green * 255), (guint8) round (c.blue * 255) };
  int line = (int) MAX (round (2.0 * f->scale), 1.0);
  int px0 = (int) ceil (p->x * f->scale), py0 = (int) ceil (p->y * f->scale);
  int px1 = (int) floor ((p->x + p->width) * f->scale), py1 = (int) floor ((p->y + p->height) * f->scale);
  guint n_ring = 0;
  gsize stride;

  pixels = bs_test_texture_pixels (shot, &stride);
  for (int y = py0; y < py1; y++)
    for (int x = px0; x < px1; x++)
      {
        gboolean on_ring = FALSE;
        guint8 rgb[3];
        guint sel_row, sel_col;

        /* The selected cell's outline is drawn over the rings. */
        if (bs_heatmap_get_selection (f->heatmap, &sel_row, &sel_col))
          {
            int x0, y0, x1, y1, grow = 4 * f->scale;

            block_device_rect (f, sel_col, sel_col, &x0, &y0, &x1, &y1);
            if (x >= x0 - grow && x < x1 + grow)
              {
                block_device_rect (f, sel_row, sel_row, &x0, &y0, &x1, &y1);
                if (y >= y0 - grow && y < y1 + grow)
                  continue;
              }
          }

        for (guint b = 0; b < n_blocks; b++)
          {
            int x0, y0, x1, y1;

            block_device_rect (f, firsts[b], lasts[b], &x0, &y0, &x1, &y1);
            if (x >= x0 && x < x1 && y >= y0 && y < y1 &&
                (x < x0 + line || x >= x1 - line || y < y0 + line || y >= y1 - line))
              on_ring = TRUE;
          }
        bs_test_pixel_rgb (pixels, stride, x, y, rgb);
        if (on_ring != same_rgb (rgb, ring))
          g_error ("%s: pixel (%d, %d) is %02x%02x%02x, %s the ring colour %02x%02x%02x", name, x, y,
                   rgb[0], rgb[1], rgb[2], on_ring ? "not" : "but is", ring[0], ring[1], ring[2]);
        n_ring += on_ring;
      }
  return n_ring;
}

static void
test_outlines (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(GArray) strong = reference_blocks (0.7);
  g_autoptr(GArray) both = reference_blocks (0.5);
  const guint firsts[] = { 1, 9 }, lasts[] = { 5, 16 };
  const char *description;

  /* The planted blocks, found by the core as expected. */
  g_assert_cmpuint (strong->len, ==, 1);
  g_assert_cmpuint (g_array_index (strong, BsBlock, 0).first, ==, 9);
  g_assert_cmpuint (g_array_index (strong, BsBlock, 0).last, ==, 16);
  g_assert_cmpuint (both->len, ==, 2);
  g_assert_cmpuint (g_array_index (both, BsBlock, 0).first, ==, 1);
  g_assert_cmpuint (g_array_index (both, BsBlock, 0).last, ==, 5);

  /* Default threshold: the strong block, drawn. */
  assert_blocks_equal (bs_heatmap_get_blocks (f->heatmap), strong);
  g_assert_cmpuint (check_rings (f, "blocks-default", 1, firsts + 1, lasts + 1), >, 0);
  description = g_object_get_data (G_OBJECT (f->heatmap), "bs-a11y-description");
  g_test_message ("description: %s", description);
  g_assert_nonnull (strstr (description, "1 block detected"));

  /* A lower threshold finds the weak block too. */
  g_object_set (f->heatmap, "block-threshold", 0.5, NULL);
  assert_blocks_equal (bs_heatmap_get_blocks (f->heatmap), both);
  gtk_test_widget_wait_for_draw (f->window);
  g_assert_cmpuint (check_rings (f, "blocks-threshold-0.5", 2, firsts, lasts), >, 0);
  description = g_object_get_data (G_OBJECT (f->heatmap), "bs-a11y-description");
  g_assert_nonnull (strstr (description, "2 blocks detected"));

  /* Switched off: no ring anywhere. */
  g_object_set (f->heatmap, "show-blocks", FALSE, NULL);
  gtk_test_widget_wait_for_draw (f->window);
  g_assert_cmpuint (check_rings (f, "blocks-hidden", 0, NULL, NULL), ==, 0);
  g_assert_false (gtk_widget_get_visible (GTK_WIDGET (f->view)));
  description = g_object_get_data (G_OBJECT (f->heatmap), "bs-a11y-description");
  g_assert_null (strstr (description, "detected"));
}

static void
test_not_self (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(BsCkaSnapshot) other = bs_test_make_snapshot (N_LAYERS, N_LAYERS, planted_value, "resnet20", "resnet32");

  g_assert_nonnull (bs_heatmap_get_blocks (f->heatmap));
  bs_heatmap_set_snapshot (f->heatmap, other);
  g_assert_null (bs_heatmap_get_blocks (f->heatmap));
  g_assert_false (gtk_widget_get_visible (GTK_WIDGET (f->view)));
  gtk_test_widget_wait_for_draw (f->window);
  g_assert_cmpuint (check_rings (f, "blocks-not-self", 0, NULL, NULL), ==, 0);
}

static double
large_value (guint row,
             guint col)
{
  if (row == col)
    return 1.0;
  if (row >= 60 && row < 120 && col >= 60 && col < 120)
    return 0.85;
  return 0.3;
}

/* A ResNet-110-sized matrix: the detection after a snapshot costs a small
 * part of a frame, so it runs on every snapshot without a throttle. */
static void
test_time (Fixture       *f,
           gconstpointer  data)
{
  g_autoptr(BsCkaSnapshot) large = bs_test_make_snapshot (197, 197, large_value, "resnet110", "resnet110");
  GArray *blocks;

  bs_heatmap_set_snapshot (f->heatmap, large);
  blocks = bs_heatmap_get_blocks (f->heatmap);
  g_assert_nonnull (blocks);
  g_assert_cmpuint (blocks->len, ==, 1);
  g_assert_cmpuint (g_array_index (blocks, BsBlock, 0).first, ==, 60);
  g_assert_cmpuint (g_array_index (blocks, BsBlock, 0).last, ==, 119);
  g_test_message ("detection on 197 layers: %" G_GINT64_FORMAT " µs", f->heatmap->blocks_time_us);
  g_assert_cmpint (f->heatmap->blocks_time_us, <, 50000);
}

static gboolean
has_selection (gpointer data)
{
  return bs_heatmap_get_selection (BS_HEATMAP (data), NULL, NULL);
}

static void
test_list (Fixture       *f,
           gconstpointer  data)
{
  g_autoptr(GArray) both = reference_blocks (0.5);
  GtkListBox *list = bs_blocks_view_get_list (f->view);
  GtkListBoxRow *row;
  const BsFigureRect *p = &f->heatmap->layout.plot;
  const BsHeatmapView *view = bs_heatmap_get_view (f->heatmap);
  double x, y, w, h, x2, y2, w2, h2;
  guint sel_row, sel_col;

  g_object_set (f->heatmap, "block-threshold", 0.5, NULL);
  gtk_test_widget_wait_for_draw (f->window);
  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (f->view)));
  for (guint i = 0; i < both->len; i++)
    {
      const BsBlock *b = &g_array_index (both, BsBlock, i);
      GtkWidget *child = GTK_WIDGET (gtk_list_box_get_row_at_index (list, (int) i));
      g_autofree char *name = g_strdup_printf ("%s – %s",
                                               bs_cka_snapshot_get_row (bs_heatmap_get_shown_snapshot (f->heatmap), b->first)->name,
                                               bs_cka_snapshot_get_row (bs_heatmap_get_shown_snapshot (f->heatmap), b->last)->name);
      GtkWidget *box = gtk_list_box_row_get_child (GTK_LIST_BOX_ROW (child));

      g_assert_cmpstr (gtk_label_get_label (GTK_LABEL (gtk_widget_get_first_child (box))), ==, name);
    }
  g_assert_null (gtk_list_box_get_row_at_index (list, (int) both->len));
  {
    g_autoptr(GdkTexture) shot = bs_test_screenshot (f->window, "blocks-list");
  }

  /* A real click on the second row (the strong block) zooms to it. */
  g_assert_cmpfloat (view->zoom, ==, 1.0);
  row = gtk_list_box_get_row_at_index (list, 1);
  bs_test_pointer_click (GTK_WIDGET (row), gtk_widget_get_width (GTK_WIDGET (row)) / 2.0,
                         gtk_widget_get_height (GTK_WIDGET (row)) / 2.0);
  g_assert_true (bs_test_wait_until (has_selection, f->heatmap, 5000));
  g_assert_true (bs_heatmap_get_selection (f->heatmap, &sel_row, &sel_col));
  g_assert_cmpuint (sel_row, ==, 16);
  g_assert_cmpuint (sel_col, ==, 9);
  g_assert_cmpfloat (view->zoom, >, 2.0);
  /* The block in the middle of the plot, inside it. */
  bs_heatmap_view_cell_to_rect (view, 9, 9, &x, &y, &w, &h);
  bs_heatmap_view_cell_to_rect (view, 16, 16, &x2, &y2, &w2, &h2);
  g_assert_cmpfloat (fabs ((x + x2 + w2) / 2 - p->width / 2), <, 1.0);
  g_assert_cmpfloat (fabs ((y2 + y + h) / 2 - p->height / 2), <, 1.0);
  g_assert_cmpfloat (x, >=, 0);
  g_assert_cmpfloat (x2 + w2, <=, p->width);
  gtk_test_widget_wait_for_draw (f->window);
  {
    const guint firsts[] = { 9 }, lasts[] = { 16 };

    g_assert_cmpuint (check_rings (f, "blocks-zoomed", 1, firsts, lasts), >, 0);
  }
}

int
main (int   argc,
      char *argv[])
{
  bs_test_init (&argc, &argv);

  g_test_add ("/blocks/outlines", Fixture, NULL, fixture_setup, test_outlines, fixture_teardown);
  g_test_add ("/blocks/not-self", Fixture, NULL, fixture_setup, test_not_self, fixture_teardown);
  g_test_add ("/blocks/time", Fixture, NULL, fixture_setup, test_time, fixture_teardown);
  g_test_add ("/blocks/list", Fixture, NULL, fixture_setup, test_list, fixture_teardown);

  return g_test_run ();
}
