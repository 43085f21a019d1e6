/* test-export.c: the Export Figure dialog: its preview, its options, the file and the clipboard.
 *
 * The preview is checked pixel by pixel (a cell's colour where the figure
 * puts it, at the preview's scale); the rows set the options the figure is
 * drawn with; a PDF written from the dialog is read back by poppler; the
 * clipboard holds a PNG of the size the options imply; a file name without
 * a known extension, or a folder that does not exist, gives an error.
 * The analyses: switched on with real key presses, the PC1 strips and a
 * planted block's outline show in the preview and in a PNG written from
 * the dialog, in the colour map's and the paper palette's colours; the
 * rows are insensitive for panels that have nothing to show.
 * In the window: the actions wait for a result; Ctrl+E (a real key press)
 * opens the dialog with it, Add to Figure adds panels, Export Data writes
 * what Open Result reads back into the heatmap, and a damaged file is
 * named in the window's banner. */
#include "bs-config.h"

#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

#include "bs-cka-open.h"
#include "bs-colormap.h"
#include "bs-export-dialog.h"
#include "bs-figure-palette.h"
#include "bs-test-utils.h"
#include "bs-window-private.h"

static double
gradient (guint row,
          guint col)
{
  return fmod (0.37 * row + 0.11 * col, 1.0);
}

typedef struct {
  GAsyncResult *result;
  GdkTexture   *texture;
  GError       *error;
  gboolean      done;
} Wait;

static gboolean
is_done (gpointer data)
{
  return ((Wait *) data)->done;
}

static void
exported (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  Wait *wait = user_data;

  bs_export_dialog_export_to_file_finish (BS_EXPORT_DIALOG (source), result, &wait->error);
  wait->done = TRUE;
}

static void
texture_read (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  Wait *wait = user_data;

  wait->texture = gdk_clipboard_read_texture_finish (GDK_CLIPBOARD (source), result, &wait->error);
  wait->done = TRUE;
}

static gboolean
export_to (BsExportDialog *dialog,
           const char     *path,
           GError        **error)
{
  g_autoptr(GFile) file = g_file_new_for_path (path);
  Wait wait = { 0 };

  bs_export_dialog_export_to_file (dialog, file, NULL, exported, &wait);
  g_assert_true (bs_test_wait_until (is_done, &wait, 20000));
  if (wait.error != NULL)
    {
      g_propagate_error (error, wait.error);
      return FALSE;
    }
  return TRUE;
}

/* The preview widget of the dialog: the one drawing area in it. */
static GtkWidget *
find_preview (GtkWidget *widget)
{
  if (GTK_IS_DRAWING_AREA (widget))
    return widget;
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_preview (child);

      if (found != NULL)
        return found;
    }
  return NULL;
}

static void
test_dialog (void)
{
  g_autoptr(BsCkaSnapshot) square = bs_test_make_snapshot (23, 23, gradient, "resnet20", "resnet20");
  g_autoptr(BsCkaSnapshot) wide = bs_test_make_snapshot (23, 31, gradient, "resnet20", "resnet32");
  g_autofree char *dir = g_dir_make_tmp ("blockscope-export-XXXXXX", NULL);
  g_autofree char *pdf = g_build_filename (dir, "figure.pdf", NULL);
  g_autofree char *jpg = g_build_filename (dir, "figure.jpg", NULL);
  g_autofree char *missing = g_build_filename (dir, "no-such-folder", "figure.pdf", NULL);
  BsExportDialog *dialog = bs_export_dialog_new (NULL);
  BsFigureExportOptions options;
  GtkWidget *preview;

  bs_export_dialog_add_panel (dialog, square, "Depth 20");
  gtk_window_present (GTK_WINDOW (dialog));
  gtk_test_widget_wait_for_draw (GTK_WIDGET (dialog));

  /* The defaults: one column at 8 points, 300 dpi, the whole range. */
  bs_export_dialog_get_options (dialog, &options);
  g_assert_cmpfloat (options.width_pt, ==, BS_FIGURE_WIDTH_SINGLE_PT);
  g_assert_cmpfloat (options.font_size_pt, ==, 8);
  g_assert_cmpfloat (options.dpi, ==, 300);
  g_assert_cmpint (options.range, ==, BS_FIGURE_RANGE_FIXED);
  g_assert_false (options.mask_upper);
  g_assert_true (isnan (options.std_error_threshold));
  g_assert_cmpuint (options.columns, ==, 1);

  /* The preview: the cells where the figure puts them, at its scale. */
  preview = find_preview (GTK_WIDGET (dialog));
  g_assert_nonnull (preview);
  {
    g_autoptr(GdkTexture) shot = bs_test_screenshot (preview, "export-preview");
    g_autofree guint8 *pixels = NULL;
    BsFigurePanel panel = { .snapshot = square, .title = "Depth 20" };
    int width = gtk_widget_get_width (preview), height = gtk_widget_get_height (preview);
    double w, h, scale, ox, oy, x, y, side;
    gsize stride;
    guint checked = 0;

    pixels = bs_test_texture_pixels (shot, &stride);
    bs_figure_export_get_size (&panel, 1, &options, &w, &h);
    scale = MIN ((width - 32.0) / w, (height - 32.0) / h);
    ox = round ((width - w * scale) / 2);
    oy = round ((height - h * scale) / 2);
    bs_figure_export_get_plot (&panel, 1, &options, 0, &x, &y, &side);
    for (guint r = 1; r < 23; r += 5)
      for (guint c = 2; c < 23; c += 5)
        {
          double cx = ox + scale * (x + (c + 0.5) * side / 23), cy = oy + scale * (y + side - (r + 0.5) * side / 23);
          guint8 got[3], want[3];

          bs_test_pixel_rgb (pixels, stride, (int) cx, (int) cy, got);
          bs_colormap_lookup (BS_COLORMAP_MAGMA, gradient (r, c), 0, 1, want);
          for (guint k = 0; k < 3; k++)
            g_assert_cmpint (abs ((int) got[k] - (int) want[k]), <=, 3);
          checked++;
        }
    g_assert_cmpuint (checked, ==, 25);
  }

  /* The rows set the options. */
  {
    GtkWidget *root = GTK_WIDGET (dialog);
    g_autoptr(GPtrArray) combos = g_ptr_array_new ();
    g_autoptr(GPtrArray) switches = g_ptr_array_new ();
    GtkWidget *stack[256];
    guint depth = 0;

    /* Every combo row and switch, in the order the dialog shows them. */
    stack[depth++] = root;
    while (depth > 0)
      {
        GtkWidget *w = stack[--depth];
        g_autoptr(GPtrArray) children = g_ptr_array_new ();

        if (ADW_IS_COMBO_ROW (w))
          g_ptr_array_add (combos, w);
        if (GTK_IS_SWITCH (w))
          g_ptr_array_add (switches, w);
        for (GtkWidget *child = gtk_widget_get_first_child (w); child != NULL; child = gtk_widget_get_next_sibling (child))
          g_ptr_array_add (children, child);
        for (guint i = children->len; i > 0 && depth < G_N_ELEMENTS (stack); i--)
          stack[depth++] = g_ptr_array_index (children, i - 1);
      }
    /* Width, colour map, colour range; mask, uncertain, stage lines, PC1
     * strips, blocks. */
    g_assert_cmpuint (combos->len, ==, 3);
    g_assert_cmpuint (switches->len, ==, 5);
    adw_combo_row_set_selected (g_ptr_array_index (combos, 0), 1);
    adw_combo_row_set_selected (g_ptr_array_index (combos, 1), BS_COLORMAP_VIRIDIS);
    adw_combo_row_set_selected (g_ptr_array_index (combos, 2), 1);
    gtk_switch_set_active (g_ptr_array_index (switches, 0), TRUE);
    gtk_switch_set_active (g_ptr_array_index (switches, 1), TRUE);
    bs_export_dialog_get_options (dialog, &options);
    g_assert_cmpfloat (options.width_pt, ==, BS_FIGURE_WIDTH_DOUBLE_PT);
    g_assert_cmpint (options.colormap, ==, BS_COLORMAP_VIRIDIS);
    g_assert_cmpint (options.range, ==, BS_FIGURE_RANGE_DATA);
    g_assert_true (options.mask_upper);
    g_assert_cmpfloat (options.std_error_threshold, ==, 0.02);

    /* A second panel that is not square: no mask, two panels in a row. */
    bs_export_dialog_add_panel (dialog, wide, "Depth 32");
    g_assert_cmpuint (bs_export_dialog_get_n_panels (dialog), ==, 2);
    bs_export_dialog_get_options (dialog, &options);
    g_assert_false (options.mask_upper);
    g_assert_cmpuint (options.columns, ==, 2);
  }

  /* A PDF from the dialog: seven inches wide, both panels' titles as text. */
  {
    g_autoptr(GError) error = NULL;
    g_autofree char *info = NULL, *text = NULL;
    const char *pdfinfo[] = { "pdfinfo", pdf, NULL }, *pdftotext[] = { "pdftotext", pdf, "-", NULL };
    double width = 0, height = 0;
    int status;

    g_assert_true (export_to (dialog, pdf, &error));
    g_assert_no_error (error);
    g_assert_true (g_spawn_sync (NULL, (char **) pdfinfo, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &info, NULL,
                                 &status, &error));
    g_assert_true (g_spawn_check_wait_status (status, NULL));
    g_assert_cmpint (sscanf (strstr (info, "Page size:"), "Page size: %lf x %lf pts", &width, &height), ==, 2);
    g_assert_cmpfloat (fabs (width - 504), <=, 0.5);
    g_assert_true (g_spawn_sync (NULL, (char **) pdftotext, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &text, NULL,
                                 &status, &error));
    g_assert_nonnull (strstr (text, "Depth 20"));
    g_assert_nonnull (strstr (text, "Depth 32"));
  }

  /* Errors: an unknown extension, a folder that does not exist. */
  {
    g_autoptr(GError) error = NULL;

    g_assert_false (export_to (dialog, jpg, &error));
    g_assert_nonnull (error);
    g_assert_nonnull (strstr (error->message, "figure.jpg"));
    g_assert_false (g_file_test (jpg, G_FILE_TEST_EXISTS));
    g_clear_error (&error);
    g_assert_false (export_to (dialog, missing, &error));
    g_assert_nonnull (error);
    g_assert_false (g_file_test (missing, G_FILE_TEST_EXISTS));
  }

  /* Copy: a PNG of the figure on the clipboard, 7 in at 300 dpi wide. */
  {
    g_autoptr(GError) error = NULL;
    Wait wait = { 0 };

    g_assert_true (bs_export_dialog_copy (dialog, &error));
    g_assert_no_error (error);
    gdk_clipboard_read_texture_async (gtk_widget_get_clipboard (GTK_WIDGET (dialog)), NULL, texture_read, &wait);
    g_assert_true (bs_test_wait_until (is_done, &wait, 10000));
    g_assert_no_error (wait.error);
    g_assert_cmpint (gdk_texture_get_width (wait.texture), ==, 7 * 300);
    g_object_unref (wait.texture);
  }

  g_object_unref (bs_test_screenshot (GTK_WIDGET (dialog), "export-dialog"));
  gtk_window_destroy (GTK_WINDOW (dialog));
  g_remove (pdf);
  g_rmdir (dir);
}


#define N_PLANTED   20
#define BLOCK_FIRST 4
#define BLOCK_LAST  12

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

/* The switch of the dialog's row titled title. */
static GtkSwitch *
find_switch (GtkWidget  *widget,
             const char *title)
{
  if (ADW_IS_ACTION_ROW (widget) && g_strcmp0 (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (widget)), title) == 0)
    return GTK_SWITCH (adw_action_row_get_activatable_widget (ADW_ACTION_ROW (widget)));
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkSwitch *found = find_switch (child, title);

      if (found != NULL)
        return found;
    }
  return NULL;
}

static gboolean
options_have_analyses (gpointer data)
{
  BsFigureExportOptions options;

  bs_export_dialog_get_options (data, &options);
  return options.pc1_strips && options.blocks;
}

static void
want_color (const BsFigureColor *color,
            guint8               rgb[3])
{
  rgb[0] = (guint8) lround (255 * color->red);
  rgb[1] = (guint8) lround (255 * color->green);
  rgb[2] = (guint8) lround (255 * color->blue);
}

static gboolean
near (const guint8 a[3],
      const guint8 b[3],
      int          tolerance)
{
  for (guint k = 0; k < 3; k++)
    if (abs ((int) a[k] - (int) b[k]) > tolerance)
      return FALSE;
  return TRUE;
}

static void
test_analyses (void)
{
  g_autoptr(BsCkaSnapshot) planted_result = bs_test_make_snapshot (N_PLANTED, N_PLANTED, planted, "resnet20", "resnet20");
  g_autoptr(BsCkaSnapshot) wide = bs_test_make_snapshot (N_PLANTED, 31, gradient, "resnet20", "resnet32");
  g_autofree char *dir = g_dir_make_tmp ("blockscope-export-XXXXXX", NULL);
  g_autofree char *png = g_build_filename (dir, "analyses.png", NULL);
  BsExportDialog *dialog = bs_export_dialog_new (NULL);
  GtkSwitch *pc1, *blocks;
  BsFigureExportOptions options;
  BsFigurePanel panel = { .snapshot = planted_result };
  BsFigurePalette paper;
  BsFigureLayout layout;
  double shares[N_PLANTED], x0, y0;
  guint8 want[3];

  for (guint i = 0; i < N_PLANTED; i++)
    shares[i] = (i + 0.5) / N_PLANTED;
  bs_cka_snapshot_attach_pc1_shares (planted_result, g_memdup2 (shares, sizeof shares), NULL,
                                     g_memdup2 (shares, sizeof shares), NULL);
  bs_figure_palette_init_paper (&paper);

  /* A panel of two networks without shares: nothing to show, the rows
   * say so. */
  bs_export_dialog_add_panel (dialog, wide, NULL);
  gtk_window_present (GTK_WINDOW (dialog));
  gtk_test_widget_wait_for_draw (GTK_WIDGET (dialog));
  pc1 = find_switch (GTK_WIDGET (dialog), "PC1 Share Strips");
  blocks = find_switch (GTK_WIDGET (dialog), "Outline Blocks");
  g_assert_nonnull (pc1);
  g_assert_nonnull (blocks);
  g_assert_false (gtk_widget_is_sensitive (GTK_WIDGET (pc1)));
  g_assert_false (gtk_widget_is_sensitive (GTK_WIDGET (blocks)));
  gtk_window_destroy (GTK_WINDOW (dialog));

  /* The planted result: both rows work; Return on each switch, as a
   * keyboard user turns them on. */
  dialog = bs_export_dialog_new (NULL);
  bs_export_dialog_add_panel (dialog, planted_result, NULL);
  gtk_window_present (GTK_WINDOW (dialog));
  gtk_test_widget_wait_for_draw (GTK_WIDGET (dialog));
  pc1 = find_switch (GTK_WIDGET (dialog), "PC1 Share Strips");
  blocks = find_switch (GTK_WIDGET (dialog), "Outline Blocks");
  g_assert_true (gtk_widget_is_sensitive (GTK_WIDGET (pc1)));
  g_assert_true (gtk_widget_is_sensitive (GTK_WIDGET (blocks)));
  bs_export_dialog_get_options (dialog, &options);
  g_assert_false (options.pc1_strips);
  g_assert_false (options.blocks);
  bs_test_key_activate (GTK_WIDGET (pc1));
  bs_test_key_activate (GTK_WIDGET (blocks));
  g_assert_true (bs_test_wait_until (options_have_analyses, dialog, 5000));
  bs_export_dialog_get_options (dialog, &options);
  g_assert_cmpfloat (options.block_threshold, ==, 0.7);
  bs_figure_export_get_layout (&panel, 1, &options, 0, &x0, &y0, &layout);

  /* The preview: both strips in each layer's colour, and the block's ring
   * on its top edge (within a pixel of where the figure puts it). */
  gtk_test_widget_wait_for_draw (GTK_WIDGET (dialog));
  {
    GtkWidget *preview = find_preview (GTK_WIDGET (dialog));
    g_autoptr(GdkTexture) shot = bs_test_screenshot (preview, "export-analyses-preview");
    g_autofree guint8 *pixels = NULL;
    int width = gtk_widget_get_width (preview), height = gtk_widget_get_height (preview);
    double w, h, scale, ox, oy, cell = layout.plot.width / N_PLANTED, edge, mid;
    gboolean ring = FALSE;
    gsize stride;
    guint8 got[3];

    pixels = bs_test_texture_pixels (shot, &stride);
    bs_figure_export_get_size (&panel, 1, &options, &w, &h);
    scale = MIN ((width - 32.0) / w, (height - 32.0) / h);
    ox = round ((width - w * scale) / 2);
    oy = round ((height - h * scale) / 2);
    for (guint i = 0; i < N_PLANTED; i++)
      {
        double cx = ox + scale * (x0 + layout.plot.x + (i + 0.5) * cell);
        double ry = oy + scale * (y0 + layout.plot.y + layout.plot.height - (i + 0.5) * cell);

        bs_colormap_lookup (BS_COLORMAP_MAGMA, shares[i], 0, 1, want);
        bs_test_pixel_rgb (pixels, stride, (int) cx, (int) (oy + scale * (y0 + layout.col_pc1.y + layout.col_pc1.height / 2)), got);
        g_assert_true (near (got, want, 3));
        bs_test_pixel_rgb (pixels, stride, (int) (ox + scale * (x0 + layout.row_pc1.x + layout.row_pc1.width / 2)), (int) ry, got);
        g_assert_true (near (got, want, 3));
      }
    want_color (&paper.block_outline, want);
    edge = oy + scale * (y0 + layout.plot.y + (N_PLANTED - 1 - BLOCK_LAST) * cell);
    mid = ox + scale * (x0 + layout.plot.x + (BLOCK_FIRST + BLOCK_LAST + 1) / 2.0 * cell);
    for (int dy = -2; dy <= 3 && !ring; dy++)
      {
        bs_test_pixel_rgb (pixels, stride, (int) mid, (int) floor (edge) + dy, got);
        ring = near (got, want, 8);
      }
    g_assert_true (ring);
  }

  /* A PNG from the dialog: the ring exactly, two line widths in whole
   * pixels from the block's top edge. */
  {
    g_autoptr(GError) error = NULL;
    g_autoptr(GdkTexture) image = NULL;
    g_autofree guint8 *pixels = NULL;
    double ppp = options.dpi / 72, cell = layout.plot.width / N_PLANTED;
    gsize stride;
    guint8 got[3];

    g_assert_true (export_to (dialog, png, &error));
    g_assert_no_error (error);
    image = gdk_texture_new_from_filename (png, &error);
    g_assert_no_error (error);
    pixels = bs_test_texture_pixels (image, &stride);
    bs_test_pixel_rgb (pixels, stride, (int) ((x0 + layout.plot.x + (BLOCK_FIRST + BLOCK_LAST + 1) / 2.0 * cell) * ppp),
                       (int) round ((y0 + layout.plot.y + (N_PLANTED - 1 - BLOCK_LAST) * cell) * ppp), got);
    want_color (&paper.block_outline, want);
    g_assert_true (near (got, want, 0));
    bs_colormap_lookup (BS_COLORMAP_MAGMA, shares[7], 0, 1, want);
    bs_test_pixel_rgb (pixels, stride, (int) ((x0 + layout.plot.x + 7.5 * cell) * ppp),
                       (int) ((y0 + layout.col_pc1.y + layout.col_pc1.height / 2) * ppp), got);
    g_assert_true (near (got, want, 0));
  }

  g_object_unref (bs_test_screenshot (GTK_WIDGET (dialog), "export-analyses-dialog"));
  gtk_window_destroy (GTK_WINDOW (dialog));
  g_remove (png);
  g_rmdir (dir);
}

static gboolean
action_enabled (BsWindow   *window,
                const char *name)
{
  return g_action_get_enabled (g_action_map_lookup_action (G_ACTION_MAP (window), name));
}

static gboolean
dialog_shown (gpointer data)
{
  BsWindowExport *export = data;

  return bs_window_export_get_dialog (export) != NULL
         && gtk_widget_get_mapped (GTK_WIDGET (bs_window_export_get_dialog (export)));
}

static void
test_window (void)
{
  g_autoptr(BsApplication) app = bs_test_app_new ();
  BsWindow *window = bs_test_app_get_window (app);
  BsWindowExport *export = bs_window_get_export (window);
  BsHeatmap *heatmap = bs_window_get_heatmap (window);
  g_autoptr(BsCkaSnapshot) result = bs_test_make_snapshot (23, 23, gradient, "resnet20", "resnet20");
  g_autofree char *dir = g_dir_make_tmp ("blockscope-export-XXXXXX", NULL);
  g_autofree char *npy = g_build_filename (dir, "saved.npy", NULL);
  g_autofree char *json = g_build_filename (dir, "saved.json", NULL);
  g_autofree char *bad = g_build_filename (dir, "damaged.npy", NULL);

  /* Nothing to export before a result. */
  g_assert_false (action_enabled (window, "export-figure"));
  g_assert_false (action_enabled (window, "copy-figure"));
  g_assert_false (action_enabled (window, "export-data"));
  g_assert_true (action_enabled (window, "open-result"));

  bs_heatmap_set_snapshot (heatmap, result);
  bs_window_show_heatmap (window);
  g_assert_true (action_enabled (window, "export-figure"));
  g_assert_true (action_enabled (window, "add-to-figure"));

  /* Ctrl+E, as a user presses it: the dialog with the result on screen. */
  bs_test_key_press (GTK_WIDGET (window), GDK_KEY_e, GDK_CONTROL_MASK);
  g_assert_true (bs_test_wait_until (dialog_shown, export, 5000));
  g_assert_cmpuint (bs_export_dialog_get_n_panels (bs_window_export_get_dialog (export)), ==, 1);
  gtk_widget_activate_action (GTK_WIDGET (window), "win.add-to-figure", NULL);
  g_assert_cmpuint (bs_export_dialog_get_n_panels (bs_window_export_get_dialog (export)), ==, 2);
  gtk_window_destroy (GTK_WINDOW (bs_window_export_get_dialog (export)));
  g_assert_null (bs_window_export_get_dialog (export));

  /* Export Data, then Open Result: the same matrix, with its layers. */
  {
    g_autoptr(GFile) file = g_file_new_for_path (npy);
    g_autoptr(GError) error = NULL;
    BsCkaSnapshot *shown;

    g_assert_true (bs_window_export_save_data (export, file, &error));
    g_assert_no_error (error);
    g_assert_true (g_file_test (json, G_FILE_TEST_IS_REGULAR));
    bs_heatmap_set_snapshot (heatmap, NULL);
    g_assert_false (action_enabled (window, "export-figure"));
    g_assert_true (bs_window_export_open_result (export, file));
    shown = bs_heatmap_get_snapshot (heatmap);
    g_assert_nonnull (shown);
    g_assert_cmpuint (bs_cka_snapshot_get_n_rows (shown), ==, 23);
    g_assert_cmpstr (bs_cka_snapshot_get_row (shown, 5)->name, ==, bs_cka_snapshot_get_row (result, 5)->name);
    for (guint r = 0; r < 23; r++)
      for (guint c = 0; c < 23; c++)
        g_assert_cmpfloat (bs_cka_snapshot_get_value (shown, r, c), ==, bs_cka_snapshot_get_value (result, r, c));
    g_assert_null (bs_window_get_error_text (window));
    g_assert_true (action_enabled (window, "export-figure"));
  }

  /* A damaged file: the banner names it; the result on screen stays. */
  {
    g_autoptr(GFile) file = g_file_new_for_path (bad);
    BsCkaSnapshot *before = bs_heatmap_get_snapshot (heatmap);

    g_assert_true (g_file_set_contents (bad, "not numpy", -1, NULL));
    g_assert_false (bs_window_export_open_result (export, file));
    g_assert_nonnull (bs_window_get_error_text (window));
    g_assert_nonnull (strstr (bs_window_get_error_text (window), "damaged.npy"));
    g_assert_true (bs_heatmap_get_snapshot (heatmap) == before);
  }

  /* Copy Figure: one column at 300 dpi on the clipboard. */
  {
    Wait wait = { 0 };

    gtk_widget_activate_action (GTK_WIDGET (window), "win.copy-figure", NULL);
    gdk_clipboard_read_texture_async (gtk_widget_get_clipboard (GTK_WIDGET (window)), NULL, texture_read, &wait);
    g_assert_true (bs_test_wait_until (is_done, &wait, 10000));
    g_assert_no_error (wait.error);
    g_assert_cmpint (gdk_texture_get_width (wait.texture), ==, 1050);
    g_object_unref (wait.texture);
  }

  bs_test_app_quit (app);
  g_remove (npy);
  g_remove (json);
  g_remove (bad);
  g_rmdir (dir);
}

int
main (int    argc,
      char **argv)
{
  bs_test_init (&argc, &argv);

  g_test_add_func ("/export/dialog", test_dialog);
  g_test_add_func ("/export/analyses", test_analyses);
  g_test_add_func ("/export/window", test_window);

  return g_test_run ();
}
