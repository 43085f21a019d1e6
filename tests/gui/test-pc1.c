/* test-pc1.c: the PC1 analysis in the window. A real computation with the
 * PC1 analysis (a small ResNet against itself on the synthetic data set):
 * View › Measure (Ctrl+2 and Ctrl+3 on the keyboard) shows the other
 * matrices in their colours, the PC1 share strips have each layer's share
 * in the colour map, the inspector lists the shares and every measure, the
 * dominant images of the selected row's layer are those of
 * bs_dominant_images_run () with the same model, and CKA without them runs
 * on fewer images. Screenshots of each state when BS_TEST_SCREENSHOT_DIR is set. */
#include "bs-config.h"

#include <math.h>
#include <string.h>

#include <glib/gstdio.h>

#include <json-glib/json-glib.h>

#include "bs-cka-open.h"
#include "bs-colormap.h"
#include "bs-dataset.h"
#include "bs-dominant-images-job.h"
#include "bs-heatmap-private.h"
#include "bs-model-spec.h"
#include "bs-test-heatmap-cells.h"
#include "bs-test-text.h"
#include "bs-test-utils.h"
#include "bs-test-window-fixture.h"
#include "bs-window-private.h"

#define LIMIT 96
#define BATCH 16

typedef BsTestWindowFixture Fixture;

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  bs_test_window_fixture_setup (f, "resnet8", BATCH, LIMIT);
  g_settings_set_string (f->settings, "colormap", "viridis");
}

static gboolean
stack_settled (gpointer data)
{
  GtkStack *stack = GTK_STACK (gtk_widget_get_template_child (GTK_WIDGET (data), BS_TYPE_WINDOW,
                                                              "content_stack"));

  return !gtk_stack_get_transition_running (stack);
}

/* Where the strips' label goes: left of the columns' strip, above the
 * row axis (whose band starts at the plot's top). */
static graphene_rect_t
strips_label_region (BsHeatmap *heatmap)
{
  const BsFigureRect *strip = &heatmap->layout.col_pc1;

  return GRAPHENE_RECT_INIT ((float) (strip->x - 120), (float) (strip->y - 10), 119,
                             (float) (heatmap->layout.plot.y - 1 - (strip->y - 10)));
}

/* The ink left of the columns' strip, or FALSE without any. */
static gboolean
find_strips_label (Fixture         *f,
                   const char      *name,
                   graphene_rect_t *ink)
{
  BsHeatmap *heatmap = bs_window_get_heatmap (f->window);
  graphene_rect_t region = strips_label_region (heatmap);
  g_autoptr(GdkTexture) shot = NULL;

  gtk_test_widget_wait_for_draw (GTK_WIDGET (heatmap));
  shot = bs_test_screenshot (GTK_WIDGET (heatmap), name);
  return bs_test_find_ink (shot, gtk_widget_get_scale_factor (GTK_WIDGET (heatmap)), &region, ink);
}

/* The strips are labelled as in figures: "PC1 share" (0.7 of the widget's
 * font) ends 4 points left of the columns' strip, centred on it; and the
 * heatmap's description says what they show while no cell is selected. */
static void
check_strips_label (Fixture *f)
{
  BsHeatmap *heatmap = bs_window_get_heatmap (f->window);
  const BsFigureRect *strip = &heatmap->layout.col_pc1;
  double want = bs_test_text_ink_width (GTK_WIDGET (heatmap), "PC1 share", 0.7, FALSE);
  const char *description;
  graphene_rect_t ink;

  g_assert_true (find_strips_label (f, "pc1-strips-label", &ink));
  g_test_message ("strips' label: %.0f points wide at %.0f, %.0f (the text %.0f; the strip at %g, %g)",
                  ink.size.width, ink.origin.x, ink.origin.y, want, strip->x, strip->y);
  /* Antialiased edges fainter than the threshold make the ink a little narrower. */
  g_assert_cmpfloat (fabs (ink.size.width - want), <=, 3);
  g_assert_cmpfloat (fabs (ink.origin.x + ink.size.width - (strip->x - 4)), <=, 2);
  g_assert_cmpfloat (fabs (ink.origin.y + ink.size.height / 2 - (strip->y + strip->height / 2)), <=, 3);

  bs_heatmap_clear_selection (heatmap);
  description = g_object_get_data (G_OBJECT (heatmap), "bs-a11y-description");
  g_test_message ("description: %s", description);
  g_assert_nonnull (strstr (description, "The PC1 share strips above and right of the cells show each layer's "
                                         "PC1 share in the colour map."));
}

/* Each layer's part of both strips has its PC1 share's colour over [0, 1]. */
static void
check_strips (Fixture       *f,
              BsCkaSnapshot *snapshot)
{
  BsHeatmap *heatmap = bs_window_get_heatmap (f->window);
  g_autoptr(GdkTexture) shot = bs_test_screenshot (GTK_WIDGET (heatmap), "pc1-strips");
  g_autofree guint8 *pixels = NULL;
  const BsHeatmapView *view = bs_heatmap_get_view (heatmap);
  BsFigureRect rows, cols;
  double ox = 0, oy = 0, px, py;
  gsize stride;

  pixels = bs_test_texture_pixels (shot, &stride);
  g_assert_true (_bs_heatmap_pc1_strips_get_rect (heatmap, BS_FIGURE_AXIS_ROWS, &rows));
  g_assert_true (_bs_heatmap_pc1_strips_get_rect (heatmap, BS_FIGURE_AXIS_COLS, &cols));
  bs_heatmap_get_plot_origin (heatmap, &px, &py);
  for (guint i = 0; i < bs_cka_snapshot_get_n_rows (snapshot); i++)
    {
      double x, y, w, h, se, share = bs_cka_snapshot_get_row_pc1_share (snapshot, i, &se);
      guint8 got[3];

      g_assert_true (share > 0 && share <= 1);
      bs_heatmap_view_cell_to_rect (view, i, 0, &x, &y, &w, &h);
      bs_test_pixel_rgb (pixels, stride, (int) floor (ox + rows.x + rows.width / 2),
                         (int) floor (oy + py + y + h / 2), got);
      if (!bs_test_colormap_matches (got, BS_COLORMAP_VIRIDIS, share, 0, 1))
        g_error ("row strip %u = %g has %02x%02x%02x", i, share, got[0], got[1], got[2]);
    }
  for (guint i = 0; i < bs_cka_snapshot_get_n_cols (snapshot); i++)
    {
      double x, y, w, h, share = bs_cka_snapshot_get_col_pc1_share (snapshot, i, NULL);
      guint8 got[3];

      bs_heatmap_view_cell_to_rect (view, 0, i, &x, &y, &w, &h);
      bs_test_pixel_rgb (pixels, stride, (int) floor (ox + px + x + w / 2),
                         (int) floor (oy + cols.y + cols.height / 2), got);
      if (!bs_test_colormap_matches (got, BS_COLORMAP_VIRIDIS, share, 0, 1))
        g_error ("column strip %u = %g has %02x%02x%02x at %d, %d (strip %g %g %g %g)", i, share, got[0], got[1], got[2],
                 (int) floor (ox + px + x + w / 2), (int) floor (oy + cols.y + cols.height / 2),
                 cols.x, cols.y, cols.width, cols.height);
    }
}

/* How many cells of a and b fall on different colour-map entries. */
static guint
count_color_changes (BsCkaSnapshot *a,
                     BsCkaSnapshot *b)
{
  guint n = 0;

  for (guint r = 0; r < bs_cka_snapshot_get_n_rows (a); r++)
    for (guint c = 0; c < bs_cka_snapshot_get_n_cols (a); c++)
      n += bs_colormap_index (bs_cka_snapshot_get_value (a, r, c), 0, 1) !=
           bs_colormap_index (bs_cka_snapshot_get_value (b, r, c), 0, 1);
  return n;
}

static gboolean
inspector_settled (gpointer data)
{
  GtkStack *stack = GTK_STACK (gtk_widget_get_template_child (GTK_WIDGET (data), BS_TYPE_INSPECTOR, "stack"));

  return !gtk_stack_get_transition_running (stack) &&
         g_strcmp0 (gtk_stack_get_visible_child_name (stack), "cell") == 0;
}

/* The hover label is shown and contains data[1]. */
static gboolean
hover_says (gpointer data)
{
  gpointer *want = data;
  GtkWidget *label = _bs_heatmap_get_hover_label (want[0]);

  return gtk_widget_get_visible (label) && strstr (gtk_label_get_text (GTK_LABEL (label)), want[1]) != NULL;
}

/* The thumbnails have their size. */
static gboolean
laid_out (gpointer data)
{
  BsDominantImagesView *view = data;

  return bs_dominant_images_view_get_n_images (view) > 0 &&
         gtk_widget_get_height (bs_dominant_images_view_get_picture (view, 0)) > 0;
}

static gboolean
measure_shown (gpointer data)
{
  gpointer *want = data;

  return bs_heatmap_get_shown_snapshot (want[0]) == want[1];
}

static void
test_measures_and_strips (Fixture       *f,
                          gconstpointer  data)
{
  BsHeatmap *heatmap = bs_window_get_heatmap (f->window);
  BsInspector *inspector = bs_window_get_inspector (f->window);
  BsCkaSnapshot *snapshot, *without, *alignment;
  gpointer want[2] = { heatmap, NULL };
  g_autofree char *share_text = NULL;
  double se, share;
  guint n;

  /* A result without the PC1 analysis: nothing to switch to. */
  g_settings_set_boolean (f->settings, "pc1-analysis", FALSE);
  bs_test_pointer_park ();
  bs_test_window_compute (f);
  g_assert_false (bs_cka_snapshot_has_pc1 (bs_heatmap_get_snapshot (heatmap)));
  g_assert_false (g_action_group_get_action_enabled (G_ACTION_GROUP (f->window), "measure"));
  /* No strips, no label. */
  {
    graphene_rect_t ink;

    g_assert_false (find_strips_label (f, "pc1-no-strips-label", &ink));
    g_assert_null (strstr (g_object_get_data (G_OBJECT (heatmap), "bs-a11y-description"), "strips"));
  }

  g_settings_set_boolean (f->settings, "pc1-analysis", TRUE);
  bs_test_window_compute (f);
  snapshot = bs_heatmap_get_snapshot (heatmap);
  g_assert_true (bs_cka_snapshot_has_pc1 (snapshot));
  g_assert_cmpuint (bs_cka_snapshot_get_minibatches_done (snapshot), ==, LIMIT / BATCH);
  g_assert_true (g_action_group_get_action_enabled (G_ACTION_GROUP (f->window), "measure"));
  without = bs_cka_snapshot_get_measure (snapshot, BS_CKA_MEASURE_CKA_WITHOUT_PC1);
  alignment = bs_cka_snapshot_get_measure (snapshot, BS_CKA_MEASURE_PC1_ALIGNMENT);
  g_assert_nonnull (without);
  g_assert_nonnull (alignment);
  g_assert_true (bs_test_wait_until (stack_settled, f->window, 5000));

  n = bs_cka_snapshot_get_n_rows (snapshot) * bs_cka_snapshot_get_n_cols (snapshot);
  g_assert_true (bs_heatmap_get_shown_snapshot (heatmap) == snapshot);
  g_assert_cmpuint (bs_test_check_heatmap_cells (bs_window_get_heatmap (f->window), snapshot, "pc1-measure-cka"), >, n * 9 / 10);
  check_strips (f, snapshot);
  check_strips_label (f);

  /* The pointer over a layer's part of the row strip: the label beside it
   * names the layer and gives its share with the standard error. */
  {
    const BsHeatmapView *view = bs_heatmap_get_view (heatmap);
    BsFigureRect strip;
    double px, py, x, y, w, h;
    gpointer hover[2];
    g_autofree char *want_text = NULL;

    g_assert_true (_bs_heatmap_pc1_strips_get_rect (heatmap, BS_FIGURE_AXIS_ROWS, &strip));
    bs_heatmap_get_plot_origin (heatmap, &px, &py);
    bs_heatmap_view_cell_to_rect (view, 4, 0, &x, &y, &w, &h);
    share = bs_cka_snapshot_get_row_pc1_share (snapshot, 4, &se);
    want_text = g_strdup_printf ("PC1 share  %.3f ± %.3f", share, se);
    hover[0] = heatmap;
    hover[1] = want_text;
    bs_test_pointer_move (GTK_WIDGET (heatmap), strip.x + strip.width / 2, py + y + h / 2);
    g_assert_true (bs_test_wait_until (hover_says, hover, 5000));
    g_assert_nonnull (strstr (gtk_label_get_text (GTK_LABEL (_bs_heatmap_get_hover_label (heatmap))),
                              bs_cka_snapshot_get_row (snapshot, 4)->name));
    g_object_unref (bs_test_screenshot (GTK_WIDGET (heatmap), "pc1-strip-hover"));
    bs_test_pointer_park ();
  }

  /* Ctrl+2: CKA without PC1; the pixels follow, and they are other
   * colours than CKA's (or the check would prove nothing). */
  g_assert_cmpuint (count_color_changes (snapshot, without), >, n / 4);
  gtk_widget_grab_focus (GTK_WIDGET (heatmap));
  bs_test_key_press (GTK_WIDGET (f->window), GDK_KEY_2, GDK_CONTROL_MASK);
  want[1] = without;
  g_assert_true (bs_test_wait_until (measure_shown, want, 5000));
  g_assert_cmpstr (g_variant_get_string (g_action_group_get_action_state (G_ACTION_GROUP (f->window), "measure"), NULL),
                   ==, "cka-without-pc1");
  /* Kept for the next start. */
  {
    g_autofree char *kept = g_settings_get_string (f->settings, "measure");

    g_assert_cmpstr (kept, ==, "cka-without-pc1");
  }
  g_assert_cmpuint (bs_test_check_heatmap_cells (bs_window_get_heatmap (f->window), without, "pc1-measure-without"), >, n * 9 / 10);
  /* Export Data writes what is shown, and its JSON says so. */
  {
    g_autofree char *dir = g_dir_make_tmp ("bs-test-pc1-XXXXXX", NULL);
    g_autofree char *path = g_build_filename (dir, "without.npy", NULL);
    g_autofree char *json = g_build_filename (dir, "without.json", NULL);
    g_autoptr(GFile) file = g_file_new_for_path (path);
    g_autoptr(GError) error = NULL;
    g_autoptr(BsCkaSnapshot) back = NULL;

    g_assert_true (bs_window_export_save_data (bs_window_get_export (f->window), file, &error));
    g_assert_no_error (error);
    back = bs_cka_open_result (path, NULL, &error);
    g_assert_no_error (error);
    g_assert_cmpint (bs_cka_snapshot_get_measure_type (back), ==, BS_CKA_MEASURE_CKA_WITHOUT_PC1);
    for (guint r = 0; r < bs_cka_snapshot_get_n_rows (back); r++)
      for (guint c = 0; c < bs_cka_snapshot_get_n_cols (back); c++)
        g_assert_cmpfloat_with_epsilon (bs_cka_snapshot_get_value (back, r, c),
                                        bs_cka_snapshot_get_value (without, r, c), 1e-6);
    g_assert_cmpint (g_remove (path), ==, 0);
    g_assert_cmpint (g_remove (json), ==, 0);
    g_assert_cmpint (g_rmdir (dir), ==, 0);
  }

  /* Ctrl+3: the PC1 alignment. */
  g_assert_cmpuint (count_color_changes (snapshot, alignment), >, n / 4);
  bs_test_key_press (GTK_WIDGET (f->window), GDK_KEY_3, GDK_CONTROL_MASK);
  want[1] = alignment;
  g_assert_true (bs_test_wait_until (measure_shown, want, 5000));
  g_assert_cmpuint (bs_test_check_heatmap_cells (bs_window_get_heatmap (f->window), alignment, "pc1-measure-alignment"), >, n * 9 / 10);
  check_strips (f, snapshot);

  /* The inspector: the shares and every measure of a clicked cell. */
  {
    const BsHeatmapView *view = bs_heatmap_get_view (heatmap);
    double px, py, x, y, w, h;
    g_autofree char *value = NULL;

    bs_heatmap_get_plot_origin (heatmap, &px, &py);
    bs_heatmap_view_cell_to_rect (view, 2, 5, &x, &y, &w, &h);
    bs_test_pointer_click (GTK_WIDGET (heatmap), px + x + w / 2, py + y + h / 2);
    share = bs_cka_snapshot_get_row_pc1_share (snapshot, 2, &se);
    share_text = g_strdup_printf ("%.3f ± %.3f", share, se);
    g_assert_cmpstr (bs_inspector_get_pc1_text (inspector, 0), ==, share_text);
    value = g_strdup_printf ("%.3f", bs_cka_snapshot_get_value (alignment, 2, 5));
    g_assert_cmpstr (bs_inspector_get_value_text (inspector), ==, value);
    g_clear_pointer (&value, g_free);
    value = g_strdup_printf ("%.3f ± %.3f", bs_cka_snapshot_get_value (without, 2, 5),
                             bs_cka_snapshot_get_std_error (without, 2, 5));
    g_assert_cmpstr (bs_inspector_get_pc1_text (inspector, 2 + BS_CKA_MEASURE_CKA_WITHOUT_PC1), ==, value);
    g_assert_true (bs_test_wait_until (inspector_settled, inspector, 5000));
    g_object_unref (bs_test_screenshot (GTK_WIDGET (f->window), "pc1-inspector"));
  }

  /* Back to CKA from the menu's action. */
  g_action_group_change_action_state (G_ACTION_GROUP (f->window), "measure", g_variant_new_string ("cka"));
  g_assert_true (bs_heatmap_get_shown_snapshot (heatmap) == snapshot);
}

static void
test_dominant_images (Fixture       *f,
                      gconstpointer  data)
{
  BsHeatmap *heatmap = bs_window_get_heatmap (f->window);
  BsWindowPc1 *pc1 = bs_window_get_pc1 (f->window);
  BsDominantImagesView *view = bs_window_pc1_get_view (pc1);
  g_autoptr(BsDataset) dataset = NULL;
  g_autoptr(BsModel) model = NULL;
  g_autoptr(GError) error = NULL;
  BsDominantImagesOptions options;
  BsDominantImagesResult want = { 0 };
  BsCkaSnapshot *snapshot;
  BsJob *job, *without;
  const char *layer;
  guint row = 7;

  bs_test_pointer_park ();
  bs_test_window_compute (f);
  snapshot = bs_heatmap_get_snapshot (heatmap);
  g_assert_false (g_action_group_get_action_enabled (G_ACTION_GROUP (f->window), "find-dominant-images"));
  bs_heatmap_select (heatmap, row, row);
  g_assert_true (g_action_group_get_action_enabled (G_ACTION_GROUP (f->window), "find-dominant-images"));
  layer = bs_cka_snapshot_get_row (snapshot, row)->name;

  g_action_group_activate_action (G_ACTION_GROUP (f->window), "find-dominant-images", NULL);
  job = bs_window_pc1_get_job (pc1);
  g_assert_nonnull (job);
  g_assert_true (bs_test_wait_until (bs_test_job_is_finished, job, 120000));
  g_assert_cmpint (bs_job_get_state (job), ==, BS_JOB_SUCCEEDED);
  g_assert_cmpstr (bs_dominant_images_job_get_layer (job), ==, layer);

  /* The same images and scores as the core function with the same model
   * (resnet8 built from seed 0) over the computation's image limit. */
  dataset = bs_dataset_load_test ("synthetic", NULL, &error);
  g_assert_no_error (error);
  model = bs_model_spec_build ("resnet8", dataset->test.channels, dataset->test.height, dataset->test.width,
                               dataset->n_classes, 0, &error);
  g_assert_no_error (error);
  bs_dominant_images_options_init (&options);
  for (guint i = 0; i < bs_model_get_n_layers (model); i++)
    if (g_strcmp0 (bs_model_get_layer (model, i)->name, layer) == 0)
      options.layer = i;
  options.n_images = LIMIT;
  options.top = BS_WINDOW_PC1_TOP;
  g_assert_true (bs_dominant_images_run (model, dataset, &options, NULL, NULL, &want, NULL, &error));
  g_assert_no_error (error);

  g_assert_cmpuint (bs_dominant_images_view_get_n_images (view), ==, BS_WINDOW_PC1_TOP);
  for (guint i = 0; i < BS_WINDOW_PC1_TOP; i++)
    {
      const BsDominantImage *image = &g_array_index (want.images, BsDominantImage, i);
      const BsDominantImage *got = &g_array_index (bs_dominant_images_job_get_result (job)->images,
                                                   BsDominantImage, i);
      g_autofree char *caption = g_strdup_printf ("%s\n%.2f", dataset->class_names[image->label], image->score);
      GtkWidget *picture = bs_dominant_images_view_get_picture (view, i);
      GdkPaintable *paintable = gtk_picture_get_paintable (GTK_PICTURE (picture));

      g_assert_cmpuint (got->index, ==, image->index);
      g_assert_cmpfloat_with_epsilon (got->score, image->score, 1e-9 * fabs (image->score) + 1e-12);
      g_assert_cmpstr (bs_dominant_images_view_get_caption (view, i), ==, caption);
      /* Scaled up by whole pixels. */
      g_assert_cmpint (gdk_paintable_get_intrinsic_width (paintable), ==, 3 * (int) dataset->test.width);
      g_assert_cmpint (gtk_accessible_get_accessible_role (GTK_ACCESSIBLE (picture)), ==, GTK_ACCESSIBLE_ROLE_IMG);
    }
  g_assert_true (bs_test_wait_until (inspector_settled, bs_window_get_inspector (f->window), 5000));
  {
    /* The section is under the profiles: scrolled into view for the picture. */
    GtkWidget *scrolled = gtk_widget_get_ancestor (GTK_WIDGET (view), GTK_TYPE_SCROLLED_WINDOW);
    GtkAdjustment *adjustment = gtk_scrolled_window_get_vadjustment (GTK_SCROLLED_WINDOW (scrolled));

    g_assert_true (bs_test_wait_until (laid_out, view, 5000));
    gtk_adjustment_set_value (adjustment, gtk_adjustment_get_upper (adjustment));
    bs_test_drain ();
  }
  g_object_unref (bs_test_screenshot (GTK_WIDGET (f->window), "pc1-dominant-images"));

  /* CKA without them: the same protocol on fewer images. */
  g_assert_true (g_action_group_get_action_enabled (G_ACTION_GROUP (f->window), "cka-without-dominant-images"));
  g_action_group_activate_action (G_ACTION_GROUP (f->window), "cka-without-dominant-images", NULL);
  without = bs_window_get_cka_job (f->window);
  g_assert_nonnull (strstr (bs_job_get_title (without), "without 9 dominant images"));
  g_assert_true (bs_test_wait_until (bs_test_job_is_finished, without, 120000));
  g_assert_cmpint (bs_job_get_state (without), ==, BS_JOB_SUCCEEDED);
  snapshot = bs_heatmap_get_snapshot (heatmap);
  g_assert_cmpuint (bs_cka_snapshot_get_minibatches_total (snapshot), ==, (LIMIT - BS_WINDOW_PC1_TOP) / BATCH);
  g_assert_cmpuint (bs_cka_snapshot_get_minibatches_done (snapshot), ==, (LIMIT - BS_WINDOW_PC1_TOP) / BATCH);
  g_object_unref (bs_test_screenshot (GTK_WIDGET (f->window), "pc1-without-dominant"));

  /* Export Data says what blockscope-cli cka says of the same computation:
   * the data (with the images left out) and the protocol, member for
   * member, the same numbers, and the PC1 shares. */
  {
    g_autofree char *dir = g_dir_make_tmp ("bs-test-pc1-XXXXXX", NULL);
    g_autofree char *ours = g_build_filename (dir, "window.npy", NULL);
    g_autofree char *theirs = g_build_filename (dir, "cli.npy", NULL);
    g_autofree char *ours_json = g_build_filename (dir, "window.json", NULL);
    g_autofree char *theirs_json = g_build_filename (dir, "cli.json", NULL);
    g_autofree char *limit = g_strdup_printf ("%u", LIMIT), *batch = g_strdup_printf ("%u", BATCH);
    g_autoptr(GString) excluded = g_string_new (NULL);
    g_autoptr(GFile) file = g_file_new_for_path (ours);
    g_autoptr(JsonParser) a = json_parser_new (), b = json_parser_new ();
    g_autoptr(BsCkaSnapshot) cli_result = NULL;
    const char *cli = g_getenv ("BS_CLI");
    JsonObject *ra, *rb;
    JsonArray *images;
    int status;

    g_assert_nonnull (cli);
    for (guint i = 0; i < want.images->len; i++)
      g_string_append_printf (excluded, "%s%u", i > 0 ? "," : "", g_array_index (want.images, BsDominantImage, i).index);
    g_assert_true (bs_window_export_save_data (bs_window_get_export (f->window), file, &error));
    g_assert_no_error (error);
    {
      const char *argv[] = { cli, "cka", "--a", "resnet8", "--dataset", "synthetic", "--limit", limit, "--batch", batch,
                             "--passes", "1", "--exclude-images", excluded->str, "--pc1", "--quiet", "-o", theirs, NULL };

      g_assert_true (g_spawn_sync (NULL, (char **) argv, NULL, 0, NULL, NULL, NULL, NULL, &status, &error));
      g_assert_no_error (error);
      g_assert_true (g_spawn_check_wait_status (status, NULL));
    }
    g_assert_true (json_parser_load_from_file (a, ours_json, &error));
    g_assert_true (json_parser_load_from_file (b, theirs_json, &error));
    g_assert_no_error (error);
    ra = json_node_get_object (json_parser_get_root (a));
    rb = json_node_get_object (json_parser_get_root (b));
    images = json_object_get_array_member (json_object_get_object_member (ra, "data"), "excluded_images");
    g_assert_nonnull (images);
    g_assert_cmpuint (json_array_get_length (images), ==, want.images->len);
    g_assert_cmpint (json_array_get_int_element (images, 0), ==, g_array_index (want.images, BsDominantImage, 0).index);
    g_assert_true (json_node_equal (json_object_get_member (ra, "data"), json_object_get_member (rb, "data")));
    g_assert_true (json_node_equal (json_object_get_member (ra, "protocol"), json_object_get_member (rb, "protocol")));
    g_assert_cmpstr (json_object_get_string_member (ra, "measure"), ==, "cka");
    g_assert_true (json_object_has_member (ra, "pc1_share"));
    cli_result = bs_cka_open_result (theirs, NULL, &error);
    g_assert_no_error (error);
    for (guint r = 0; r < bs_cka_snapshot_get_n_rows (snapshot); r++)
      for (guint c = 0; c < bs_cka_snapshot_get_n_cols (snapshot); c++)
        {
          double x = bs_cka_snapshot_get_value (snapshot, r, c), y = bs_cka_snapshot_get_value (cli_result, r, c);

          g_assert_true ((isnan (x) && isnan (y)) || fabs (x - y) <= 1e-6);
        }
    g_remove (ours);
    g_remove (ours_json);
    g_remove (theirs);
    g_remove (theirs_json);
    g_rmdir (dir);
  }

  bs_dominant_images_result_clear (&want);
}

/* The measure is a setting: a window starts with the one chosen last,
 * and follows a change of the setting (another window, dconf). */
static void
test_measure_setting (Fixture       *f,
                      gconstpointer  data)
{
  BsWindow *second;
  GVariant *state;

  g_assert_cmpint (bs_heatmap_get_measure (bs_window_get_heatmap (f->window)), ==, BS_CKA_MEASURE_CKA);
  g_settings_set_string (f->settings, "measure", "pc1-alignment");
  g_assert_cmpint (bs_heatmap_get_measure (bs_window_get_heatmap (f->window)), ==, BS_CKA_MEASURE_PC1_ALIGNMENT);
  state = g_action_group_get_action_state (G_ACTION_GROUP (f->window), "measure");
  g_assert_cmpstr (g_variant_get_string (state, NULL), ==, "pc1-alignment");
  g_variant_unref (state);

  /* A window made now (as at the next start) begins with it. */
  second = bs_window_new (BS_APPLICATION (f->app));
  g_assert_cmpint (bs_heatmap_get_measure (bs_window_get_heatmap (second)), ==, BS_CKA_MEASURE_PC1_ALIGNMENT);
  state = g_action_group_get_action_state (G_ACTION_GROUP (second), "measure");
  g_assert_cmpstr (g_variant_get_string (state, NULL), ==, "pc1-alignment");
  g_variant_unref (state);

  /* The menu's choice in one window is the setting, and the other shows it. */
  g_action_group_change_action_state (G_ACTION_GROUP (second), "measure", g_variant_new_string ("cka-without-pc1"));
  g_assert_cmpint (bs_heatmap_get_measure (bs_window_get_heatmap (f->window)), ==, BS_CKA_MEASURE_CKA_WITHOUT_PC1);
  gtk_window_destroy (GTK_WINDOW (second));
}

int
main (int   argc,
      char *argv[])
{
  bs_test_init (&argc, &argv);

  g_test_add ("/pc1/measure-setting", Fixture, NULL, fixture_setup, test_measure_setting, bs_test_window_fixture_teardown);
  g_test_add ("/pc1/measures-and-strips", Fixture, NULL, fixture_setup, test_measures_and_strips, bs_test_window_fixture_teardown);
  g_test_add ("/pc1/dominant-images", Fixture, NULL, fixture_setup, test_dominant_images, bs_test_window_fixture_teardown);

  return g_test_run ();
}
