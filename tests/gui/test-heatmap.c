/* test-heatmap.c: the heatmap widget draws the right colour in every cell
 * with the drawing it was asked for (OpenGL, OpenGL ES or cairo: see
 * BS_TEST_EXPECT_DRAWING in meson.build), follows real pointer input from
 * the X server (a click selects the cell under it, a drag pans by the
 * distance dragged and selects nothing, the wheel zooms at the pointer, the
 * hover label names the layers under it), sends or recolours only the rows
 * an update changed, and refuses unknown colour maps aloud. */
#include "bs-config.h"

#include <math.h>
#include <string.h>

#include "bs-colormap.h"
#include "bs-heatmap.h"
#include "bs-heatmap-private.h"
#include "bs-test-utils.h"

#define N_ROWS 23
#define N_COLS 31
#define FINALIZE_TIMEOUT_MS 10000

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

typedef struct {
  GtkWidget *window;
  BsHeatmap *heatmap;
  guint      selection_changes;
} Fixture;

static void
count_selection_change (BsHeatmap *heatmap,
                        Fixture   *f)
{
  f->selection_changes++;
}

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(BsCkaSnapshot) snapshot = NULL;

  bs_test_pointer_park ();
  f->window = gtk_window_new ();
  gtk_window_set_default_size (GTK_WINDOW (f->window), 760, 700);
  f->heatmap = BS_HEATMAP (bs_heatmap_new ());
  gtk_window_set_child (GTK_WINDOW (f->window), GTK_WIDGET (f->heatmap));
  snapshot = bs_test_make_snapshot (N_ROWS, N_COLS, test_value, "resnet20", "resnet56x4");
  bs_heatmap_set_snapshot (f->heatmap, snapshot);
  f->selection_changes = 0;
  g_signal_connect (f->heatmap, "selection-changed", G_CALLBACK (count_selection_change), f);
  gtk_window_present (GTK_WINDOW (f->window));
  gtk_test_widget_wait_for_draw (f->window);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  g_object_ref (f->window);
  gtk_window_destroy (GTK_WINDOW (f->window));
  bs_test_wait_for_finalize (f->window, TRUE, FINALIZE_TIMEOUT_MS);
}

/* How the cells must be drawn in this run. */
static const char *
expected_drawing (void)
{
  const char *expected = g_getenv ("BS_TEST_EXPECT_DRAWING");
  const char *gdk_debug = g_getenv ("GDK_DEBUG");

  if (expected != NULL)
    return expected;
  /* Started by hand: what the environment asks for. */
  if (g_strcmp0 (g_getenv ("BLOCKSCOPE_NO_GL"), "1") == 0 ||
      (gdk_debug != NULL && strstr (gdk_debug, "gl-disable") != NULL))
    return "cairo";
  if (gdk_debug != NULL && strstr (gdk_debug, "gl-gles") != NULL)
    return "gles";
  return "gl";
}

/* The value a cell is drawn with: the float the texture holds. */
static void
want_colour (BsColormap map,
             double     value,
             double     lo,
             double     hi,
             guint8     want[3])
{
  bs_colormap_lookup (map, isnan (value) ? NAN : (double) (float) value, lo, hi, want);
}

/* Checks the colour at the centre of every cell inside the plot against
 * the colour map of the cell's value; returns the number of cells checked. */
static guint
check_cell_colours (BsHeatmap  *heatmap,
                    const char *name)
{
  g_autoptr(GdkTexture) shot = bs_test_screenshot (GTK_WIDGET (heatmap), name);
  g_autofree guint8 *pixels = NULL;
  const BsHeatmapView *view = bs_heatmap_get_view (heatmap);
  BsCkaSnapshot *snapshot = bs_heatmap_get_snapshot (heatmap);
  BsColormap map = bs_heatmap_get_colormap (heatmap);
  GtkWidget *label = _bs_heatmap_get_hover_label (heatmap);
  double ox, oy, lo, hi;
  graphene_rect_t buttons, hover = GRAPHENE_RECT_INIT (0, 0, 0, 0);
  int scale = gtk_widget_get_scale_factor (GTK_WIDGET (heatmap));
  gsize stride;
  guint checked = 0;

  pixels = bs_test_texture_pixels (shot, &stride);
  bs_heatmap_get_plot_origin (heatmap, &ox, &oy);
  /* Not under the zoom buttons, nor under the hover label or outline. */
  g_assert_true (gtk_widget_compute_bounds (heatmap->zoom_box, GTK_WIDGET (heatmap), &buttons));
  graphene_rect_inset (&buttons, -2, -2);
  if (gtk_widget_get_visible (label))
    {
      g_assert_true (gtk_widget_compute_bounds (label, GTK_WIDGET (heatmap), &hover));
      graphene_rect_inset (&hover, -2, -2);
    }
  bs_heatmap_get_value_range (heatmap, &lo, &hi);

  for (guint r = 0; r < view->n_rows; r++)
    for (guint c = 0; c < view->n_cols; c++)
      {
        double x, y, w, h, cx, cy, value;
        guint8 got[3], want[3];
        guint hit_row, hit_col;

        bs_heatmap_view_cell_to_rect (view, r, c, &x, &y, &w, &h);
        cx = x + w / 2;
        cy = y + h / 2;
        if (cx < 2 || cy < 2 || cx > view->width - 2 || cy > view->height - 2 || w < 3 || h < 3 ||
            graphene_rect_contains_point (&buttons, &GRAPHENE_POINT_INIT ((float) (ox + cx), (float) (oy + cy))) ||
            graphene_rect_contains_point (&hover, &GRAPHENE_POINT_INIT ((float) (ox + cx), (float) (oy + cy))) ||
            (heatmap->has_hover && heatmap->hover_row == r && heatmap->hover_col == c))
          continue;

        /* The pure hit test agrees with where the cell is drawn. */
        g_assert_true (bs_heatmap_view_point_to_cell (view, cx, cy, &hit_row, &hit_col));
        g_assert_cmpuint (hit_row, ==, r);
        g_assert_cmpuint (hit_col, ==, c);

        /* The screenshot has device pixels. */
        bs_test_pixel_rgb (pixels, stride, (int) floor ((ox + cx) * scale), (int) floor ((oy + cy) * scale), got);
        value = bs_cka_snapshot_get_value (snapshot, r, c);
        want_colour (map, value, lo, hi, want);
        if (memcmp (got, want, 3) != 0 && !isnan (value))
          {
            /* On the edge between two entries the GPU's float may round
             * either way: either neighbour is right there, nowhere else. */
            double t = ((float) value - lo) / (hi - lo) * 256;

            if (fabs (t - round (t)) < 1e-3)
              {
                want_colour (map, lo + (round (t) - 0.5) / 256 * (hi - lo), lo, hi, want);
                if (memcmp (got, want, 3) != 0)
                  want_colour (map, lo + (round (t) + 0.5) / 256 * (hi - lo), lo, hi, want);
              }
          }
        if (memcmp (got, want, 3) != 0)
          g_test_message ("cell (%u, %u) value %g: got %02x%02x%02x, want %02x%02x%02x",
                          r, c, value, got[0], got[1], got[2], want[0], want[1], want[2]);
        g_assert_cmpmem (got, 3, want, 3);
        checked++;
      }

  return checked;
}

/* A run asked for OpenGL ES, and the driver cannot give it: find out
 * whether a plain GLES context can be had at all. */
static char *
why_no_gles (GtkWidget *widget)
{
  GdkSurface *surface = gtk_native_get_surface (gtk_widget_get_native (widget));
  g_autoptr(GdkGLContext) context = NULL;
  g_autoptr(GError) error = NULL;

  context = gdk_surface_create_gl_context (surface, &error);
  if (context != NULL)
    {
      gdk_gl_context_set_allowed_apis (context, GDK_GL_API_GLES);
      if (gdk_gl_context_realize (context, &error))
        return NULL;
    }

  return g_strdup (error != NULL ? error->message : "no reason given");
}

static void
test_drawing_mode (Fixture       *f,
                   gconstpointer  data)
{
  const char *expected = expected_drawing ();
  BsHeatmapGl *gl = _bs_heatmap_get_gl (f->heatmap);

  g_test_message ("expected: %s; drawn with %s", expected,
                  gl != NULL && bs_heatmap_gl_get_api_name (gl) ? bs_heatmap_gl_get_api_name (gl) : "cairo");

  if (strcmp (expected, "cairo") == 0)
    {
      g_assert_false (bs_heatmap_get_uses_gl (f->heatmap));
      g_assert_null (gl);
      return;
    }

  g_assert_true (strcmp (expected, "gl") == 0 || strcmp (expected, "gles") == 0);
  if (strcmp (expected, "gles") == 0 && (gl == NULL || !bs_heatmap_gl_get_uses_es (gl)))
    {
      g_autofree char *why = why_no_gles (GTK_WIDGET (f->heatmap));

      if (why != NULL)
        {
          g_autofree char *message = g_strdup_printf ("OpenGL ES WAS NOT TESTED: this display gives "
                                                      "no GLES context (%s)", why);

          g_printerr ("%s\n", message);
          g_test_skip (message);
          return;
        }
    }

  g_assert_true (bs_heatmap_get_uses_gl (f->heatmap));
  g_assert_nonnull (gl);
  g_assert_true (bs_heatmap_gl_is_ready (gl));
  if (strcmp (expected, "gles") == 0)
    {
      g_assert_true (bs_heatmap_gl_get_uses_es (gl));
      g_assert_true (g_str_has_prefix (bs_heatmap_gl_get_api_name (gl), "OpenGL ES "));
    }
  else
    {
      g_assert_false (bs_heatmap_gl_get_uses_es (gl));
      g_assert_true (g_str_has_prefix (bs_heatmap_gl_get_api_name (gl), "OpenGL "));
      g_assert_false (g_str_has_prefix (bs_heatmap_gl_get_api_name (gl), "OpenGL ES"));
    }
}

static void
test_colours (Fixture       *f,
              gconstpointer  data)
{
  double lo, hi;

  g_assert_cmpuint (check_cell_colours (f->heatmap, "heatmap-magma"), >, N_ROWS * N_COLS * 3 / 4);

  /* Another map and the data range give other, equally exact colours. */
  bs_heatmap_set_colormap (f->heatmap, BS_COLORMAP_VIRIDIS);
  bs_heatmap_set_data_range (f->heatmap, TRUE);
  bs_heatmap_get_value_range (f->heatmap, &lo, &hi);
  g_assert_cmpfloat_with_epsilon (lo, -0.25, 1e-6);
  g_assert_cmpfloat_with_epsilon (hi, 1.5, 1e-6);
  g_assert_cmpuint (check_cell_colours (f->heatmap, "heatmap-viridis-data"), >, N_ROWS * N_COLS * 3 / 4);
}

static void
test_zoom_pan_picture (Fixture       *f,
                       gconstpointer  data)
{
  const BsHeatmapView *view = bs_heatmap_get_view (f->heatmap);
  guint checked;

  /* Zoom in by keyboard actions and pan: the picture still matches the
   * pure geometry cell by cell. */
  gtk_widget_activate_action (GTK_WIDGET (f->heatmap), "heatmap.zoom-in", NULL);
  gtk_widget_activate_action (GTK_WIDGET (f->heatmap), "heatmap.zoom-in", NULL);
  g_assert_cmpfloat_with_epsilon (view->zoom, 2.25, 1e-9);
  bs_heatmap_view_pan ((BsHeatmapView *) view, 37, -23);
  bs_heatmap_zoom (f->heatmap, 1.0); /* redraw */

  checked = check_cell_colours (f->heatmap, "heatmap-zoomed");
  g_test_message ("%u cells checked at zoom %.2f", checked, view->zoom);
  g_assert_cmpuint (checked, >, 80);

  gtk_widget_activate_action (GTK_WIDGET (f->heatmap), "heatmap.reset-view", NULL);
  g_assert_cmpfloat (view->zoom, ==, 1.0);
}

static void
test_keys_select (Fixture       *f,
                  gconstpointer  data)
{
  guint row, col;

  g_assert_false (bs_heatmap_get_selection (f->heatmap, &row, &col));

  bs_heatmap_select (f->heatmap, 4, 9);
  g_assert_true (bs_heatmap_get_selection (f->heatmap, &row, &col));
  g_assert_cmpuint (row, ==, 4);
  g_assert_cmpuint (col, ==, 9);
  g_assert_cmpuint (f->selection_changes, ==, 1);

  /* Arrow keys: up is the next layer of A (row 0 is at the bottom). */
  gtk_widget_activate_action (GTK_WIDGET (f->heatmap), "heatmap.move-selection", "(ii)", 1, 0);
  gtk_widget_activate_action (GTK_WIDGET (f->heatmap), "heatmap.move-selection", "(ii)", 0, 1);
  gtk_widget_activate_action (GTK_WIDGET (f->heatmap), "heatmap.move-selection", "(ii)", 0, 1);
  g_assert_true (bs_heatmap_get_selection (f->heatmap, &row, &col));
  g_assert_cmpuint (row, ==, 5);
  g_assert_cmpuint (col, ==, 11);
  g_assert_cmpuint (f->selection_changes, ==, 4);

  /* Clamped at the edges: moves past them change nothing. */
  for (guint i = 0; i < N_ROWS + 3; i++)
    gtk_widget_activate_action (GTK_WIDGET (f->heatmap), "heatmap.move-selection", "(ii)", -1, 0);
  g_assert_true (bs_heatmap_get_selection (f->heatmap, &row, &col));
  g_assert_cmpuint (row, ==, 0);
  g_assert_cmpuint (col, ==, 11);
  g_assert_cmpuint (f->selection_changes, ==, 4 + 5);
}

/* ---------------------------------------------------------------- real pointer input */

/* The centre of a cell, in widget coordinates, on a whole pixel. */
static void
cell_centre (BsHeatmap *heatmap,
             guint      row,
             guint      col,
             double    *x,
             double    *y)
{
  const BsHeatmapView *view = bs_heatmap_get_view (heatmap);
  double ox, oy, cx, cy, w, h;

  bs_heatmap_get_plot_origin (heatmap, &ox, &oy);
  bs_heatmap_view_cell_to_rect (view, row, col, &cx, &cy, &w, &h);
  *x = floor (ox + cx + w / 2);
  *y = floor (oy + cy + h / 2);
}

static void
test_click_selects (Fixture       *f,
                    gconstpointer  data)
{
  static const guint cells[][2] = { { 4, 9 }, { 17, 3 }, { 0, 30 } };
  guint row, col;

  g_assert_false (bs_heatmap_get_selection (f->heatmap, NULL, NULL));

  for (guint i = 0; i < G_N_ELEMENTS (cells); i++)
    {
      double x, y;

      cell_centre (f->heatmap, cells[i][0], cells[i][1], &x, &y);
      bs_test_pointer_click (GTK_WIDGET (f->heatmap), x, y);

      /* The release has been dispatched: the click picked exactly that cell. */
      g_assert_true (bs_heatmap_get_selection (f->heatmap, &row, &col));
      g_assert_cmpuint (row, ==, cells[i][0]);
      g_assert_cmpuint (col, ==, cells[i][1]);
      g_assert_cmpuint (f->selection_changes, ==, i + 1);
    }

  /* A click outside the plot selects nothing else. */
  bs_test_pointer_click (GTK_WIDGET (f->heatmap), 20, 20);
  g_assert_true (bs_heatmap_get_selection (f->heatmap, &row, &col));
  g_assert_cmpuint (row, ==, 0);
  g_assert_cmpuint (col, ==, 30);
  g_assert_cmpuint (f->selection_changes, ==, G_N_ELEMENTS (cells));
}

static void
test_drag_pans (Fixture       *f,
                gconstpointer  data)
{
  const BsHeatmapView *view = bs_heatmap_get_view (f->heatmap);
  BsHeatmapView expected;
  double ox, oy, x0, y0;
  const double dx = -60, dy = 45;

  /* Zoomed in, so there is room to pan. */
  bs_heatmap_zoom (f->heatmap, 3.0);
  g_assert_cmpfloat_with_epsilon (view->zoom, 3.0, 1e-9);
  bs_heatmap_get_plot_origin (f->heatmap, &ox, &oy);
  x0 = floor (ox + view->width / 2);
  y0 = floor (oy + view->height / 2);

  expected = *view;
  bs_heatmap_view_pan (&expected, dx, dy);
  /* The drag is short enough not to hit the matrix edges. */
  g_assert_cmpfloat (fabs (expected.center_u - view->center_u), >, 0.02);
  g_assert_cmpfloat (fabs (expected.center_v - view->center_v), >, 0.02);

  bs_test_pointer_drag (GTK_WIDGET (f->heatmap), x0, y0, x0 + dx, y0 + dy, 6);

  /* Moved by exactly the dragged distance, and nothing was selected. */
  g_assert_cmpfloat_with_epsilon (view->center_u, expected.center_u, 1e-9);
  g_assert_cmpfloat_with_epsilon (view->center_v, expected.center_v, 1e-9);
  g_assert_cmpfloat_with_epsilon (view->zoom, 3.0, 1e-9);
  g_assert_false (bs_heatmap_get_selection (f->heatmap, NULL, NULL));
  g_assert_cmpuint (f->selection_changes, ==, 0);

  /* A press and release without moving still selects. */
  bs_test_pointer_click (GTK_WIDGET (f->heatmap), x0 + dx, y0 + dy);
  g_assert_true (bs_heatmap_get_selection (f->heatmap, NULL, NULL));
  g_assert_cmpuint (f->selection_changes, ==, 1);
  g_assert_cmpfloat_with_epsilon (view->center_u, expected.center_u, 1e-9);
}

static void
test_scroll_zooms (Fixture       *f,
                   gconstpointer  data)
{
  const BsHeatmapView *view = bs_heatmap_get_view (f->heatmap);
  double ox, oy, px, py, u, v, x, y;

  bs_heatmap_get_plot_origin (f->heatmap, &ox, &oy);
  px = ox + 150;
  py = oy + 400;
  bs_heatmap_view_point_to_matrix (view, px - ox, py - oy, &u, &v);

  /* One step up zooms in by 1.2 and keeps the matrix point under the
   * pointer where it was. */
  bs_test_pointer_scroll (GTK_WIDGET (f->heatmap), px, py, -1);
  g_assert_cmpfloat_with_epsilon (view->zoom, 1.2, 1e-9);
  bs_heatmap_view_matrix_to_point (view, u, v, &x, &y);
  g_assert_cmpfloat (fabs (ox + x - px), <=, 1.0);
  g_assert_cmpfloat (fabs (oy + y - py), <=, 1.0);

  /* Two more, then one back down. */
  bs_test_pointer_scroll (GTK_WIDGET (f->heatmap), px, py, -2);
  g_assert_cmpfloat_with_epsilon (view->zoom, 1.2 * 1.2 * 1.2, 1e-9);
  bs_test_pointer_scroll (GTK_WIDGET (f->heatmap), px, py, 1);
  g_assert_cmpfloat_with_epsilon (view->zoom, 1.2 * 1.2, 1e-9);
  bs_heatmap_view_matrix_to_point (view, u, v, &x, &y);
  g_assert_cmpfloat (fabs (ox + x - px), <=, 1.0);
  g_assert_cmpfloat (fabs (oy + y - py), <=, 1.0);

  /* The picture follows. */
  g_assert_cmpuint (check_cell_colours (f->heatmap, "heatmap-wheel"), >, 100);
}

typedef struct {
  BsHeatmap *heatmap;
  gboolean   visible;
} HoverWait;

static gboolean
hover_label_is (gpointer data)
{
  HoverWait *wait = data;

  return gtk_widget_get_visible (_bs_heatmap_get_hover_label (wait->heatmap)) == wait->visible;
}

static void
assert_hover_names (Fixture *f,
                    guint    row,
                    guint    col)
{
  BsCkaSnapshot *snapshot = bs_heatmap_get_snapshot (f->heatmap);
  const char *text = gtk_label_get_text (GTK_LABEL (_bs_heatmap_get_hover_label (f->heatmap)));
  g_autofree char *a = g_strdup_printf ("A  %s  #%u", bs_cka_snapshot_get_row (snapshot, row)->name, row);
  g_autofree char *b = g_strdup_printf ("B  %s  #%u", bs_cka_snapshot_get_col (snapshot, col)->name, col);
  g_autofree char *value = g_strdup_printf ("CKA  %.3f", bs_cka_snapshot_get_value (snapshot, row, col));

  g_test_message ("hover label: %s", text);
  g_assert_nonnull (strstr (text, a));
  g_assert_nonnull (strstr (text, b));
  g_assert_nonnull (strstr (text, value));
}

static void
test_hover_label (Fixture       *f,
                  gconstpointer  data)
{
  HoverWait shown = { f->heatmap, TRUE }, hidden = { f->heatmap, FALSE };
  GskRenderNode *figure;
  double x, y;

  g_assert_false (gtk_widget_get_visible (_bs_heatmap_get_hover_label (f->heatmap)));

  cell_centre (f->heatmap, 12, 20, &x, &y);
  bs_test_pointer_move (GTK_WIDGET (f->heatmap), x, y);
  g_assert_true (bs_test_wait_until (hover_label_is, &shown, 5000));
  assert_hover_names (f, 12, 20);
  g_object_unref (bs_test_screenshot (GTK_WIDGET (f->heatmap), "heatmap-hover"));

  /* Another cell, another label; the axes were not drawn again for it. */
  figure = f->heatmap->figure_node;
  g_assert_nonnull (figure);
  cell_centre (f->heatmap, 2, 27, &x, &y);
  bs_test_pointer_move (GTK_WIDGET (f->heatmap), x, y);
  assert_hover_names (f, 2, 27);
  gtk_test_widget_wait_for_draw (GTK_WIDGET (f->heatmap));
  g_assert_true (f->heatmap->figure_node == figure);

  /* Outside the plot, no label. */
  bs_test_pointer_move (GTK_WIDGET (f->heatmap), 20, 20);
  g_assert_true (bs_test_wait_until (hover_label_is, &hidden, 5000));
}

/* ---------------------------------------------------------------- uploads */

static double
rows_3_and_7_changed (guint row,
                      guint col)
{
  return row == 3 || row == 7 ? 0.5 + 0.01 * col : test_value (row, col);
}

static double
row_17_changed (guint row,
                guint col)
{
  return row == 17 ? 0.25 : rows_3_and_7_changed (row, col);
}

static double
reshaped_value (guint row,
                guint col)
{
  return fmod (0.19 * row + 0.07 * col, 1.0);
}

/* Draws, then returns the upload counts. */
static void
draw_and_count (Fixture *f,
                guint   *uploads,
                guint64 *rows)
{
  g_assert_cmpuint (check_cell_colours (f->heatmap, NULL), >, 100);
  bs_heatmap_get_upload_stats (f->heatmap, uploads, rows);
}

/* With OpenGL the rows go to the texture; without it the same rows are
 * recoloured in the cairo cells image: the counts are the same, and the
 * picture shows the new colours either way. */
static void
test_partial_upload (Fixture       *f,
                     gconstpointer  data)
{
  g_autoptr(BsCkaSnapshot) same = NULL;
  g_autoptr(BsCkaSnapshot) two_rows = NULL;
  g_autoptr(BsCkaSnapshot) one_row = NULL;
  g_autoptr(BsCkaSnapshot) reshaped = NULL;
  guint uploads0, uploads1;
  guint64 rows0, rows1;

  g_test_message ("cells drawn with %s", bs_heatmap_get_uses_gl (f->heatmap) ? "OpenGL" : "cairo");
  draw_and_count (f, &uploads0, &rows0);
  /* The first picture sent everything, once. */
  g_assert_cmpuint (uploads0, ==, 1);
  g_assert_cmpuint (rows0, ==, N_ROWS);

  /* The same values: nothing to send. */
  same = bs_test_make_snapshot (N_ROWS, N_COLS, test_value, "resnet20", "resnet56x4");
  bs_heatmap_set_snapshot (f->heatmap, same);
  draw_and_count (f, &uploads1, &rows1);
  g_assert_cmpuint (uploads1, ==, uploads0);
  g_assert_cmpuint (rows1, ==, rows0);

  /* Rows 3 and 7 differ: one upload of rows 3 to 7, and they are drawn. */
  two_rows = bs_test_make_snapshot (N_ROWS, N_COLS, rows_3_and_7_changed, "resnet20", "resnet56x4");
  bs_heatmap_set_snapshot (f->heatmap, two_rows);
  draw_and_count (f, &uploads1, &rows1);
  g_assert_cmpuint (uploads1, ==, uploads0 + 1);
  g_assert_cmpuint (rows1, ==, rows0 + 5);

  one_row = bs_test_make_snapshot (N_ROWS, N_COLS, row_17_changed, "resnet20", "resnet56x4");
  bs_heatmap_set_snapshot (f->heatmap, one_row);
  draw_and_count (f, &uploads1, &rows1);
  g_assert_cmpuint (uploads1, ==, uploads0 + 2);
  g_assert_cmpuint (rows1, ==, rows0 + 5 + 1);

  /* Another shape: everything, once. */
  reshaped = bs_test_make_snapshot (N_ROWS - 4, N_COLS - 2, reshaped_value, "resnet20", "resnet56x4");
  bs_heatmap_set_snapshot (f->heatmap, reshaped);
  draw_and_count (f, &uploads1, &rows1);
  g_assert_cmpuint (uploads1, ==, uploads0 + 3);
  g_assert_cmpuint (rows1, ==, rows0 + 5 + 1 + (N_ROWS - 4));
}

static guint large_generation;

static double
large_value (guint row,
             guint col)
{
  /* A block structure; each generation moves rows 100 to 149. */
  double d = fabs ((double) row - col) / 600.0;
  double shift = row >= 100 && row < 150 ? 0.001 * large_generation : 0.0;

  return fmod (1.0 - d + shift, 1.0);
}

/* ResNet-164 against itself, 600 x 600: a streamed update sends only the
 * rows it changed, and the picture is right when zoomed in. */
static void
test_large_matrix (void)
{
  GtkWidget *window;
  BsHeatmap *heatmap;
  guint uploads0, uploads1;
  guint64 rows0, rows1;

  bs_test_pointer_park ();
  window = gtk_window_new ();
  heatmap = BS_HEATMAP (bs_heatmap_new ());
  large_generation = 0;
  gtk_window_set_default_size (GTK_WINDOW (window), 900, 800);
  gtk_window_set_child (GTK_WINDOW (window), GTK_WIDGET (heatmap));
  gtk_window_present (GTK_WINDOW (window));
  {
    g_autoptr(BsCkaSnapshot) first = bs_test_make_snapshot (600, 600, large_value, "resnet164", "resnet164");

    bs_heatmap_set_snapshot (heatmap, first);
  }
  gtk_test_widget_wait_for_draw (window);
  g_object_unref (bs_test_screenshot (GTK_WIDGET (heatmap), "heatmap-large"));
  bs_heatmap_get_upload_stats (heatmap, &uploads0, &rows0);
  g_assert_cmpuint (rows0, ==, 600);

  for (guint i = 0; i < 3; i++)
    {
      g_autoptr(BsCkaSnapshot) next = NULL;

      large_generation++;
      next = bs_test_make_snapshot (600, 600, large_value, "resnet164", "resnet164");
      bs_heatmap_set_snapshot (heatmap, next);
      g_object_unref (bs_test_screenshot (GTK_WIDGET (heatmap), NULL));
    }
  bs_heatmap_get_upload_stats (heatmap, &uploads1, &rows1);
  g_assert_cmpuint (uploads1, ==, uploads0 + 3);
  g_assert_cmpuint (rows1, ==, rows0 + 3 * 50);

  /* Zoomed in on the changed band, cell by cell. */
  bs_heatmap_zoom (heatmap, 20);
  bs_heatmap_view_ensure_visible ((BsHeatmapView *) bs_heatmap_get_view (heatmap), 125, 125);
  bs_heatmap_zoom (heatmap, 1.0); /* redraw */
  g_assert_cmpuint (check_cell_colours (heatmap, "heatmap-large-zoomed"), >, 100);

  g_object_ref (window);
  gtk_window_destroy (GTK_WINDOW (window));
  bs_test_wait_for_finalize (window, TRUE, FINALIZE_TIMEOUT_MS);
}

/* ---------------------------------------------------------------- properties */

static void
test_colormap_property (Fixture       *f,
                        gconstpointer  data)
{
  if (g_test_subprocess ())
    {
      /* Warnings are fatal in tests; here the one expected must not be. */
      g_log_set_always_fatal (G_LOG_FATAL_MASK);
      g_object_set (f->heatmap, "colormap", "viridis", NULL);
      g_object_set (f->heatmap, "colormap", "nonsense", NULL);
      g_assert_cmpint (bs_heatmap_get_colormap (f->heatmap), ==, BS_COLORMAP_VIRIDIS);
      g_object_set (f->heatmap, "color-range", "data", NULL);
      g_object_set (f->heatmap, "color-range", "everything", NULL);
      g_assert_cmpint (check_cell_colours (f->heatmap, NULL), >, 100);
      {
        g_autofree char *range = NULL;

        g_object_get (f->heatmap, "color-range", &range, NULL);
        g_assert_cmpstr (range, ==, "data");
      }
      return;
    }

  g_test_trap_subprocess (NULL, 0, 0);
  g_test_trap_assert_passed ();
  /* (The quotes are converted to the locale's charset, ASCII in C.) */
  g_test_trap_assert_stderr ("*Unknown colour map ?nonsense?: keeping viridis*");
  g_test_trap_assert_stderr ("*Unknown colour range ?everything?*keeping data*");

  /* The known names work in this process too, and notify. */
  g_object_set (f->heatmap, "colormap", "plasma", NULL);
  g_assert_cmpint (bs_heatmap_get_colormap (f->heatmap), ==, BS_COLORMAP_PLASMA);
}

int
main (int    argc,
      char **argv)
{
  bs_test_init (&argc, &argv);

  g_test_add ("/heatmap/drawing-mode", Fixture, NULL, fixture_setup, test_drawing_mode, fixture_teardown);
  g_test_add ("/heatmap/colours", Fixture, NULL, fixture_setup, test_colours, fixture_teardown);
  g_test_add ("/heatmap/zoom-pan-picture", Fixture, NULL, fixture_setup, test_zoom_pan_picture, fixture_teardown);
  g_test_add ("/heatmap/keys-select", Fixture, NULL, fixture_setup, test_keys_select, fixture_teardown);
  g_test_add ("/heatmap/click-selects", Fixture, NULL, fixture_setup, test_click_selects, fixture_teardown);
  g_test_add ("/heatmap/drag-pans", Fixture, NULL, fixture_setup, test_drag_pans, fixture_teardown);
  g_test_add ("/heatmap/scroll-zooms", Fixture, NULL, fixture_setup, test_scroll_zooms, fixture_teardown);
  g_test_add ("/heatmap/hover-label", Fixture, NULL, fixture_setup, test_hover_label, fixture_teardown);
  g_test_add ("/heatmap/partial-upload", Fixture, NULL, fixture_setup, test_partial_upload, fixture_teardown);
  g_test_add_func ("/heatmap/large-matrix", test_large_matrix);
  g_test_add ("/heatmap/colormap-property", Fixture, NULL, fixture_setup, test_colormap_property, fixture_teardown);

  return g_test_run ();
}
