/* test-keyboard.c: the window works from the keyboard alone, and says what
 * it shows to assistive technologies. Keys are real: they go through the X
 * server (XTEST) to whichever widget has the focus, as a user's would.
 *
 * - Page Up and Page Down jump the heatmap's selection to the first layer
 *   of the next or previous stage of model A, Ctrl+Page Up and Ctrl+Page
 *   Down those of model B, Ctrl+Home and Ctrl+End to the corner cells.
 * - The heatmap's accessible label names the models and the matrix size,
 *   its description the selected cell, refreshed when the cell changes,
 *   when it gets a value and after the last minibatch, not on every
 *   minibatch between.
 * - Tab reaches every control of the window (the model and data set
 *   buttons, Compute, the options, the main menu, the job list, the
 *   heatmap and its zoom buttons, the inspector and its chart), and Space
 *   and Return operate them.
 * - The error banner's close button has a name and works from the keyboard.
 * - The profile chart describes both lines in words.
 *
 * The AT-SPI side (what a screen reader receives over D-Bus) is checked by
 * test-a11y.py. */
#include "bs-config.h"

#include <math.h>
#include <string.h>

#include "bs-heatmap.h"
#include "bs-test-utils.h"
#include "bs-window-private.h"

#define N_ROWS 23
#define N_COLS 31
#define FINALIZE_TIMEOUT_MS 10000
#define JOB_TIMEOUT_MS 120000

static double
test_value (guint row,
            guint col)
{
  return fmod (0.37 * row + 0.11 * col, 1.0);
}

/* The same matrix a little later in the computation. */
static double
refined_value (guint row,
               guint col)
{
  return fmod (0.37 * row + 0.11 * col + 0.01, 1.0);
}

static double
nan_value (guint row,
           guint col)
{
  return NAN;
}

/* ---------------------------------------------------------------- helpers */

static void
assert_label (GtkWidget  *widget,
              const char *label)
{
  g_autofree char *error = gtk_test_accessible_check_property (GTK_ACCESSIBLE (widget),
                                                               GTK_ACCESSIBLE_PROPERTY_LABEL, label);

  if (error != NULL)
    g_error ("%s: accessible label: %s", G_OBJECT_TYPE_NAME (widget), error);
}

static void
assert_description (GtkWidget  *widget,
                    const char *description)
{
  g_autofree char *error = gtk_test_accessible_check_property (GTK_ACCESSIBLE (widget),
                                                               GTK_ACCESSIBLE_PROPERTY_DESCRIPTION,
                                                               description);

  if (error != NULL)
    g_error ("%s: accessible description: %s", G_OBJECT_TYPE_NAME (widget), error);
}

/* The description the heatmap must give for a cell of a snapshot made by
 * bs_test_make_snapshot (): the layer names are its own. */
static char *
cell_description (BsCkaSnapshot *snapshot,
                  guint          row,
                  guint          col)
{
  return g_strdup_printf ("Row: %s, column: %s, CKA %.3f",
                          bs_cka_snapshot_get_row (snapshot, row)->name,
                          bs_cka_snapshot_get_col (snapshot, col)->name,
                          bs_cka_snapshot_get_value (snapshot, row, col));
}

static void
assert_selection (BsHeatmap *heatmap,
                  guint      want_row,
                  guint      want_col)
{
  BsCkaSnapshot *snapshot = bs_heatmap_get_snapshot (heatmap);
  g_autofree char *description = NULL;
  const BsHeatmapView *view = bs_heatmap_get_view (heatmap);
  double x, y, w, h;
  guint row, col;

  g_assert_true (bs_heatmap_get_selection (heatmap, &row, &col));
  g_assert_cmpuint (row, ==, want_row);
  g_assert_cmpuint (col, ==, want_col);

  description = cell_description (snapshot, row, col);
  assert_description (GTK_WIDGET (heatmap), description);

  /* The keys keep the selected cell in view. */
  bs_heatmap_view_cell_to_rect (view, row, col, &x, &y, &w, &h);
  g_assert_cmpfloat (x, >=, -0.5);
  g_assert_cmpfloat (y, >=, -0.5);
  g_assert_cmpfloat (x + w, <=, view->width + 0.5);
  g_assert_cmpfloat (y + h, <=, view->height + 0.5);
}

/* ---------------------------------------------------------------- the heatmap alone */

typedef struct {
  GtkWidget     *window;
  BsHeatmap     *heatmap;
  BsCkaSnapshot *snapshot;
} Fixture;

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  bs_test_pointer_park ();
  f->window = gtk_window_new ();
  gtk_window_set_default_size (GTK_WINDOW (f->window), 760, 700);
  f->heatmap = BS_HEATMAP (bs_heatmap_new ());
  gtk_window_set_child (GTK_WINDOW (f->window), GTK_WIDGET (f->heatmap));
  f->snapshot = bs_test_make_snapshot (N_ROWS, N_COLS, test_value, "resnet20", "resnet56");
  gtk_window_present (GTK_WINDOW (f->window));
  gtk_test_widget_wait_for_draw (f->window);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  g_clear_pointer (&f->snapshot, bs_cka_snapshot_unref);
  g_object_ref (f->window);
  gtk_window_destroy (GTK_WINDOW (f->window));
  bs_test_wait_for_finalize (f->window, TRUE, FINALIZE_TIMEOUT_MS);
}

/* The first layer of each stage in bs_test_make_snapshot ()'s layers:
 * the stem is layer 0, stages 1 to 3 split the layers between, and the
 * head is the last layer. */
static const guint row_starts[] = { 0, 1, 8, 15, 22 };   /* 23 rows: 21 in stages 1-3 */
static const guint col_starts[] = { 0, 1, 11, 21, 30 };  /* 31 columns: 29 */

static void
test_stage_keys (Fixture       *f,
                 gconstpointer  data)
{
  GtkWidget *heatmap = GTK_WIDGET (f->heatmap);
  BsCkaSnapshot *snapshot = f->snapshot;

  /* The layers are where this test expects them. */
  for (guint i = 1; i < G_N_ELEMENTS (row_starts); i++)
    g_assert_cmpint (bs_cka_snapshot_get_row (snapshot, row_starts[i])->stage, !=,
                     bs_cka_snapshot_get_row (snapshot, row_starts[i] - 1)->stage);
  for (guint i = 1; i < G_N_ELEMENTS (col_starts); i++)
    g_assert_cmpint (bs_cka_snapshot_get_col (snapshot, col_starts[i])->stage, !=,
                     bs_cka_snapshot_get_col (snapshot, col_starts[i] - 1)->stage);

  bs_heatmap_set_snapshot (f->heatmap, snapshot);
  g_assert_true (gtk_widget_grab_focus (heatmap));
  /* Zoomed in, so that jumps must scroll the view to show the cell. */
  bs_heatmap_zoom (f->heatmap, 4.0);

  /* The first press selects the first cell, as the arrow keys do. */
  bs_test_key_press (heatmap, GDK_KEY_Page_Up, 0);
  assert_selection (f->heatmap, 0, 0);

  /* Page Up: up the rows (model A), to the first layer of each next stage,
   * then to the last layer, where it stays. */
  for (guint i = 1; i < G_N_ELEMENTS (row_starts); i++)
    {
      bs_test_key_press (heatmap, GDK_KEY_Page_Up, 0);
      assert_selection (f->heatmap, row_starts[i], 0);
    }
  bs_test_key_press (heatmap, GDK_KEY_Page_Up, 0);
  assert_selection (f->heatmap, N_ROWS - 1, 0);

  /* Page Down from inside a stage: to its first layer, then to the one
   * of the stage before. */
  bs_test_key_press (heatmap, GDK_KEY_Page_Down, 0);
  assert_selection (f->heatmap, row_starts[3], 0);
  bs_test_key_press (heatmap, GDK_KEY_Up, 0);
  bs_test_key_press (heatmap, GDK_KEY_Up, 0);
  assert_selection (f->heatmap, row_starts[3] + 2, 0);
  bs_test_key_press (heatmap, GDK_KEY_Page_Down, 0);
  assert_selection (f->heatmap, row_starts[3], 0);
  bs_test_key_press (heatmap, GDK_KEY_Page_Down, 0);
  assert_selection (f->heatmap, row_starts[2], 0);
  bs_test_key_press (heatmap, GDK_KEY_KP_Page_Down, 0);
  assert_selection (f->heatmap, row_starts[1], 0);

  /* With Ctrl, along the columns (model B): Page Down to the right. */
  for (guint i = 1; i < G_N_ELEMENTS (col_starts); i++)
    {
      bs_test_key_press (heatmap, GDK_KEY_Page_Down, GDK_CONTROL_MASK);
      assert_selection (f->heatmap, row_starts[1], col_starts[i]);
    }
  bs_test_key_press (heatmap, GDK_KEY_Left, 0);
  bs_test_key_press (heatmap, GDK_KEY_Page_Up, GDK_CONTROL_MASK);
  assert_selection (f->heatmap, row_starts[1], col_starts[3]);
  bs_test_key_press (heatmap, GDK_KEY_Page_Up, GDK_CONTROL_MASK);
  assert_selection (f->heatmap, row_starts[1], col_starts[2]);

  /* Ctrl+End and Ctrl+Home: the corners. */
  bs_test_key_press (heatmap, GDK_KEY_End, GDK_CONTROL_MASK);
  assert_selection (f->heatmap, N_ROWS - 1, N_COLS - 1);
  bs_test_key_press (heatmap, GDK_KEY_Home, GDK_CONTROL_MASK);
  assert_selection (f->heatmap, 0, 0);

  /* Home without Ctrl still shows everything. */
  bs_test_key_press (heatmap, GDK_KEY_Home, 0);
  g_assert_cmpfloat (bs_heatmap_get_view (f->heatmap)->zoom, ==, 1.0);
  assert_selection (f->heatmap, 0, 0);
}

static void
test_heatmap_accessible (Fixture       *f,
                         gconstpointer  data)
{
  GtkWidget *heatmap = GTK_WIDGET (f->heatmap);
  g_autoptr(BsCkaSnapshot) grey = bs_test_make_snapshot_at (N_ROWS, N_COLS, nan_value,
                                                            "resnet20", "resnet56", 0, 10);
  g_autoptr(BsCkaSnapshot) refined = bs_test_make_snapshot_at (N_ROWS, N_COLS, refined_value,
                                                               "resnet20", "resnet56", 4, 10);
  g_autoptr(BsCkaSnapshot) final = bs_test_make_snapshot_at (N_ROWS, N_COLS, refined_value,
                                                             "resnet20", "resnet56", 10, 10);
  g_autoptr(BsCkaSnapshot) square = bs_test_make_snapshot (1, 1, test_value, "resnet8", "resnet8");
  g_autofree char *first = NULL;
  g_autofree char *refined_text = NULL;
  g_autofree char *hint = NULL;

  /* An image, as GTK 4.8 maps roles to AT-SPI (see bs-heatmap-a11y.c). */
  g_assert_cmpint (gtk_accessible_get_accessible_role (GTK_ACCESSIBLE (heatmap)), ==, GTK_ACCESSIBLE_ROLE_IMG);
  assert_label (heatmap, "CKA heatmap, no matrix yet");

  /* The models by their display names and the shape, in rows by columns. */
  bs_heatmap_set_snapshot (f->heatmap, grey);
  assert_label (heatmap, "CKA between ResNet-20 and ResNet-56, 23 by 31 layers");
  hint = g_strdup ("No cell selected. The arrow keys select one; Page Up and Page Down jump between "
                   "the stages of model A, Ctrl+Page Up and Ctrl+Page Down between those of model B.");
  assert_description (heatmap, hint);

  bs_heatmap_select (f->heatmap, 9, 12);
  first = g_strdup_printf ("Row: %s, column: %s, not computed yet",
                           bs_cka_snapshot_get_row (grey, 9)->name, bs_cka_snapshot_get_col (grey, 12)->name);
  assert_description (heatmap, first);

  /* The cell's first value is news; a refinement of it is not, until the
   * last minibatch. */
  bs_heatmap_set_snapshot (f->heatmap, f->snapshot);
  g_clear_pointer (&first, g_free);
  first = cell_description (f->snapshot, 9, 12);
  assert_description (heatmap, first);

  bs_heatmap_set_snapshot (f->heatmap, refined);
  refined_text = cell_description (refined, 9, 12);
  g_assert_cmpstr (first, !=, refined_text);
  assert_description (heatmap, first);

  bs_heatmap_set_snapshot (f->heatmap, final);
  assert_description (heatmap, refined_text);

  /* A click's selection is described like a key's. */
  bs_heatmap_select (f->heatmap, 2, 3);
  g_clear_pointer (&refined_text, g_free);
  refined_text = cell_description (final, 2, 3);
  assert_description (heatmap, refined_text);

  bs_heatmap_clear_selection (f->heatmap);
  assert_description (heatmap, hint);

  /* One layer each: the noun is singular. */
  bs_heatmap_set_snapshot (f->heatmap, square);
  assert_label (heatmap, "CKA between ResNet-8 and ResNet-8, 1 by 1 layer");

  bs_heatmap_set_snapshot (f->heatmap, NULL);
  assert_label (heatmap, "CKA heatmap, no matrix yet");
}

/* ---------------------------------------------------------------- the whole window */

/* The widget below root whose accessible label is label (NULL: none). */
static GtkWidget *
find_by_label (GtkWidget  *root,
               const char *label)
{
  g_autofree char *error = gtk_test_accessible_check_property (GTK_ACCESSIBLE (root),
                                                               GTK_ACCESSIBLE_PROPERTY_LABEL, label);

  if (error == NULL)
    return root;
  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_by_label (child, label);

      if (found != NULL)
        return found;
    }
  return NULL;
}

/* The first widget of type below root. */
static GtkWidget *
find_by_type (GtkWidget *root,
              GType      type)
{
  if (G_TYPE_CHECK_INSTANCE_TYPE (root, type))
    return root;
  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_by_type (child, type);

      if (found != NULL)
        return found;
    }
  return NULL;
}

/* The mapped button below root that runs action. */
static GtkWidget *
find_by_action (GtkWidget  *root,
                const char *action)
{
  if (GTK_IS_BUTTON (root) && gtk_widget_get_mapped (root) &&
      g_strcmp0 (gtk_actionable_get_action_name (GTK_ACTIONABLE (root)), action) == 0)
    return root;
  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_by_action (child, action);

      if (found != NULL)
        return found;
    }
  return NULL;
}

static gboolean
job_finished (gpointer data)
{
  BsJob *job = bs_window_get_cka_job (data);

  return job != NULL && bs_job_is_finished (job);
}

static gboolean
has_snapshot (gpointer data)
{
  return bs_heatmap_get_snapshot (data) != NULL;
}

static gboolean
has_job (gpointer data)
{
  return bs_window_get_cka_job (data) != NULL;
}

static gboolean
widget_is_hidden (gpointer data)
{
  return !gtk_widget_get_visible (data);
}

/* The model menus make their popover afresh each time they open. */
static gboolean
menu_is_open (gpointer data)
{
  GtkPopover *popover = gtk_menu_button_get_popover (data);

  return popover != NULL && gtk_widget_get_visible (GTK_WIDGET (popover));
}

static gboolean
zoomed_in (gpointer data)
{
  return bs_heatmap_get_view (data)->zoom > 1.0;
}

static gboolean
zoomed_out (gpointer data)
{
  return bs_heatmap_get_view (data)->zoom == 1.0;
}

/* Whether focus is widget or inside it (a menu button focuses its button). */
static gboolean
focus_in (GtkWidget *focus,
          GtkWidget *widget)
{
  return focus != NULL && widget != NULL && (focus == widget || gtk_widget_is_ancestor (focus, widget));
}

/* Presses Tab until the focus is in target; fails after max presses. */
static void
tab_to (GtkWidget *root,
        GtkWidget *target,
        guint      max)
{
  for (guint i = 0; i < max; i++)
    {
      if (focus_in (gtk_root_get_focus (gtk_widget_get_root (root)), target))
        return;
      bs_test_key_press (root, GDK_KEY_Tab, 0);
    }
  g_error ("%u presses of Tab do not reach the %s", max, G_OBJECT_TYPE_NAME (target));
}

static void
test_window_keyboard (void)
{
  g_autoptr(BsApplication) app = bs_test_app_new ();
  BsWindow *window = bs_test_app_get_window (app);
  GtkWidget *root = GTK_WIDGET (window);
  GSettings *settings = bs_application_get_settings (app);
  BsHeatmap *heatmap = bs_window_get_heatmap (window);
  g_autoptr(GPtrArray) reached = g_ptr_array_new ();
  struct {
    const char *what;
    GtkWidget  *widget;
  } controls[] = {
    { "model A button", NULL }, { "model B button", NULL }, { "data set button", NULL },
    { "Cancel button", NULL }, { "options button", NULL }, { "main menu", NULL }, { "job list button", NULL },
    { "heatmap", GTK_WIDGET (heatmap) }, { "Zoom Out button", NULL }, { "Show Everything button", NULL },
    { "Zoom In button", NULL }, { "inspector", NULL }, { "profile chart", NULL },
  };
  GtkWidget *popover, *stop, *first, *focus;
  guint row, col;

  bs_test_pointer_park ();
  /* A computation long enough to Tab round the window while it runs. */
  g_settings_set_string (settings, "dataset", "synthetic");
  g_settings_set_string (settings, "model-a", "resnet8");
  g_settings_set_string (settings, "model-b", "resnet14");
  g_settings_set_uint (settings, "passes", 50);
  g_settings_set_uint (settings, "batch-size", 16);
  g_settings_set_uint (settings, "image-limit", 0);

  /* Return on the focused Compute button computes (a button acts when
   * the key is released: wait for what it does). */
  bs_test_key_activate (find_by_action (root, "win.compute"));
  g_assert_true (bs_test_wait_until (has_job, window, 10000));
  g_assert_true (bs_test_wait_until (has_snapshot, heatmap, JOB_TIMEOUT_MS));
  gtk_test_widget_wait_for_draw (root);

  controls[0].widget = find_by_label (root, "Model A: ResNet-8");
  controls[1].widget = find_by_label (root, "Model B: ResNet-14");
  controls[2].widget = find_by_label (root, "Data set: Synthetic");
  controls[3].widget = find_by_action (root, "win.cancel");
  controls[4].widget = find_by_label (root, "Computation Options");
  controls[5].widget = find_by_label (root, "Main Menu");
  controls[6].widget = find_by_label (root, "Jobs");
  controls[8].widget = find_by_label (GTK_WIDGET (heatmap), "Zoom Out");
  controls[9].widget = find_by_label (GTK_WIDGET (heatmap), "Show Everything");
  controls[10].widget = find_by_label (GTK_WIDGET (heatmap), "Zoom In");
  controls[11].widget = GTK_WIDGET (bs_window_get_inspector (window));
  controls[12].widget = find_by_label (root, "Row and column profiles");

  /* A cell selected from the keyboard fills the inspector. */
  g_assert_true (gtk_widget_grab_focus (GTK_WIDGET (heatmap)));
  bs_test_key_press (GTK_WIDGET (heatmap), GDK_KEY_Page_Up, 0);
  bs_test_key_press (GTK_WIDGET (heatmap), GDK_KEY_Page_Up, 0);
  g_assert_true (bs_heatmap_get_selection (heatmap, &row, &col));
  g_assert_cmpuint (row, ==, 4);   /* after input, conv1, bn1 and relu */
  g_assert_cmpstr (bs_inspector_get_layer_a_name (bs_window_get_inspector (window)), ==, "layer1.0.conv1");
  gtk_test_widget_wait_for_draw (root);

  for (guint i = 0; i < G_N_ELEMENTS (controls); i++)
    if (controls[i].widget == NULL || !gtk_widget_get_mapped (controls[i].widget))
      g_error ("no %s on screen, or it has no name for screen readers", controls[i].what);

  /* Tab from the heatmap round the window and back to it. */
  first = gtk_window_get_focus (GTK_WINDOW (window));
  g_assert_true (first == GTK_WIDGET (heatmap));
  for (guint i = 0; i < 100; i++)
    {
      bs_test_key_press (root, GDK_KEY_Tab, 0);
      focus = gtk_window_get_focus (GTK_WINDOW (window));
      g_assert_nonnull (focus);
      if (focus == first)
        break;
      g_ptr_array_add (reached, focus);
    }
  g_assert_true (gtk_window_get_focus (GTK_WINDOW (window)) == first);
  for (guint k = 0; k < reached->len; k++)
    g_test_message ("Tab %u: %s", k + 1, G_OBJECT_TYPE_NAME (g_ptr_array_index (reached, k)));

  for (guint i = 0; i < G_N_ELEMENTS (controls); i++)
    {
      gboolean found = controls[i].widget == first;

      for (guint k = 0; k < reached->len && !found; k++)
        found = focus_in (g_ptr_array_index (reached, k), controls[i].widget);
      if (!found)
        g_error ("Tab does not reach the %s", controls[i].what);
    }

  /* Space on Zoom In zooms, Return on Show Everything shows everything;
   * the focus stays on the button for the next press. */
  g_assert_true (gtk_widget_grab_focus (controls[10].widget));
  bs_test_key_press (root, GDK_KEY_space, 0);
  g_assert_true (bs_test_wait_until (zoomed_in, heatmap, 10000));
  g_assert_true (gtk_window_get_focus (GTK_WINDOW (window)) == controls[10].widget);
  g_assert_true (gtk_widget_grab_focus (controls[9].widget));
  bs_test_key_press (root, GDK_KEY_Return, 0);
  g_assert_true (bs_test_wait_until (zoomed_out, heatmap, 10000));

  /* Space opens the model A menu; Escape closes it. */
  g_assert_true (gtk_widget_grab_focus (controls[0].widget));
  bs_test_key_press (root, GDK_KEY_space, 0);
  g_assert_true (bs_test_wait_until (menu_is_open, controls[0].widget, 10000));
  popover = GTK_WIDGET (gtk_menu_button_get_popover (GTK_MENU_BUTTON (controls[0].widget)));
  gtk_test_widget_wait_for_draw (popover);
  bs_test_key_press (popover, GDK_KEY_Escape, 0);
  g_assert_true (bs_test_wait_until (widget_is_hidden, popover, 10000));
  g_assert_false (job_finished (window));

  /* The job list: Space opens it, Tab reaches the job's stop button, and
   * Return stops the job. */
  g_assert_true (gtk_widget_grab_focus (controls[6].widget));
  bs_test_key_press (root, GDK_KEY_space, 0);
  g_assert_true (bs_test_wait_until (menu_is_open, controls[6].widget, 10000));
  popover = GTK_WIDGET (gtk_menu_button_get_popover (GTK_MENU_BUTTON (controls[6].widget)));
  gtk_test_widget_wait_for_draw (popover);
  stop = find_by_action (popover, "win.cancel-job");
  g_assert_nonnull (stop);
  tab_to (popover, stop, 10);
  bs_test_key_press (popover, GDK_KEY_Return, 0);
  g_assert_true (bs_test_wait_until (job_finished, window, JOB_TIMEOUT_MS));
  g_assert_cmpint (bs_job_get_state (bs_window_get_cka_job (window)), ==, BS_JOB_CANCELLED);

  bs_test_app_quit (app);
}

static gboolean
widget_is_mapped (gpointer data)
{
  return gtk_widget_get_mapped (data);
}

static gboolean
error_hidden (gpointer data)
{
  return bs_window_get_error_text (data) == NULL;
}

/* The error banner's close button has a name and closes it from the keyboard. */
static void
test_error_close (void)
{
  g_autoptr(BsApplication) app = bs_test_app_new ();
  BsWindow *window = bs_test_app_get_window (app);
  g_autoptr(GdkTexture) shot = NULL;
  GtkWidget *close;

  bs_window_show_error (window, "Something failed", "And this is why.");
  gtk_test_widget_wait_for_draw (GTK_WIDGET (window));
  g_assert_nonnull (bs_window_get_error_text (window));

  close = find_by_label (find_by_type (GTK_WIDGET (window), GTK_TYPE_INFO_BAR), "Close");
  g_assert_nonnull (close);
  g_assert_true (GTK_IS_BUTTON (close));
  /* The banner slides in. */
  g_assert_true (bs_test_wait_until (widget_is_mapped, close, 10000));
  g_clear_object (&shot);
  shot = bs_test_screenshot (GTK_WIDGET (window), "error-banner");
  bs_test_key_activate (close);
  g_assert_true (bs_test_wait_until (error_hidden, window, 10000));

  bs_test_app_quit (app);
}

/* ---------------------------------------------------------------- the profile chart */

static void
test_profile_description (void)
{
  g_autoptr(BsApplication) app = bs_test_app_new ();
  BsWindow *window = bs_test_app_get_window (app);
  BsHeatmap *heatmap = bs_window_get_heatmap (window);
  g_autoptr(BsCkaSnapshot) snapshot = bs_test_make_snapshot_at (N_ROWS, N_COLS, test_value,
                                                                "resnet20", "resnet56", 10, 10);
  GtkWidget *chart = find_by_label (GTK_WIDGET (window), "Row and column profiles");
  g_autofree char *want = NULL;
  double row_min = INFINITY, row_max = -INFINITY, col_min = INFINITY, col_max = -INFINITY;
  guint row_min_at = 0, row_max_at = 0, col_min_at = 0, col_max_at = 0;
  const guint row = 9, col = 12;

  g_assert_nonnull (chart);
  g_assert_cmpint (gtk_accessible_get_accessible_role (GTK_ACCESSIBLE (chart)), ==, GTK_ACCESSIBLE_ROLE_IMG);
  assert_description (chart, "No cell selected.");

  /* Where each line is lowest and highest, found here the long way. */
  for (guint c = 0; c < N_COLS; c++)
    {
      double v = test_value (row, c);

      if (v < row_min)
        row_min = v, row_min_at = c;
      if (v > row_max)
        row_max = v, row_max_at = c;
    }
  for (guint r = 0; r < N_ROWS; r++)
    {
      double v = test_value (r, col);

      if (v < col_min)
        col_min = v, col_min_at = r;
      if (v > col_max)
        col_max = v, col_max_at = r;
    }

  bs_heatmap_set_snapshot (heatmap, snapshot);
  bs_heatmap_select (heatmap, row, col);
  want = g_strdup_printf ("%s of ResNet-20 against every layer of ResNet-56: CKA from %.3f at %s to %.3f at %s. "
                          "Every layer of ResNet-20 against %s of ResNet-56: CKA from %.3f at %s to %.3f at %s.",
                          bs_cka_snapshot_get_row (snapshot, row)->name,
                          row_min, bs_cka_snapshot_get_col (snapshot, row_min_at)->name,
                          row_max, bs_cka_snapshot_get_col (snapshot, row_max_at)->name,
                          bs_cka_snapshot_get_col (snapshot, col)->name,
                          col_min, bs_cka_snapshot_get_row (snapshot, col_min_at)->name,
                          col_max, bs_cka_snapshot_get_row (snapshot, col_max_at)->name);
  assert_description (chart, want);

  bs_heatmap_clear_selection (heatmap);
  assert_description (chart, "No cell selected.");

  bs_test_app_quit (app);
}

int
main (int    argc,
      char **argv)
{
  bs_test_init (&argc, &argv);

  g_test_add ("/keyboard/stage-keys", Fixture, NULL, fixture_setup, test_stage_keys, fixture_teardown);
  g_test_add ("/keyboard/heatmap-accessible", Fixture, NULL, fixture_setup, test_heatmap_accessible,
              fixture_teardown);
  g_test_add_func ("/keyboard/window", test_window_keyboard);
  g_test_add_func ("/keyboard/error-close", test_error_close);
  g_test_add_func ("/keyboard/profile-description", test_profile_description);

  return g_test_run ();
}
