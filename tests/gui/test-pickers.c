/* test-pickers.c: the header's model pickers name the models of what the
 * heatmap shows.
 *
 * - A result opened (as a drop or `blockscope m.npy` opens it) whose models
 *   the menus list: the pickers show them, their menus check them, their
 *   accessible names say them, and the settings hold them; no job starts,
 *   no banner shows.
 * - Models the menus do not list (a custom architecture, a checkpoint from
 *   another computer), and names that are no model spec: the pickers show
 *   the result's names with the caption "from the result", and the menus
 *   list them checked and insensitive.
 * - A user's pick afterwards, with the real pointer in the real menu, is a
 *   choice as before: the caption goes, the setting changes, the result
 *   stays on screen.
 * - Each window's pickers keep their own models: another window's result
 *   or pick leaves them (and its banners: weights to download); a pick of
 *   what the setting holds already is still a choice in its window; a
 *   change of the settings from outside is a choice everywhere.
 *
 * Shards folders: test-shards.c; seed comparisons: test-compare.c. */
#include "bs-config.h"

#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

#include "bs-cka-export.h"
#include "bs-model-catalog.h"
#include "bs-test-util.h"
#include "bs-test-utils.h"
#include "bs-window-private.h"

#define WAIT_MS 5000

static double
gradient (guint row,
          guint col)
{
  return fmod (0.05 * row + 0.02 * col, 1.0);
}

/* The picker's label, caption, accessible name, tooltip, the state of its
 * action (the spec the menu checks) and the setting. */
static void
assert_picker (BsWindow   *window,
               gboolean    b,
               const char *text,
               const char *caption,
               const char *state,
               const char *setting)
{
  BsWindowPickers *pickers = bs_window_get_pickers (window);
  GtkWidget *button = GTK_WIDGET (bs_window_get_model_button (window, b));
  GtkLabel *label = GTK_LABEL (gtk_widget_get_template_child (GTK_WIDGET (window), BS_TYPE_WINDOW,
                                                              b ? "model_b_label" : "model_a_label"));
  g_autofree char *name = NULL;
  g_autofree char *error = NULL;
  g_autofree char *saved = g_settings_get_string (bs_window_get_settings (window), b ? "model-b" : "model-a");
  g_autoptr(GVariant) current = g_action_group_get_action_state (G_ACTION_GROUP (window), b ? "model-b" : "model-a");

  g_assert_cmpstr (gtk_label_get_label (label), ==, text);
  g_assert_cmpstr (bs_window_pickers_get_text (pickers, b), ==, text);
  g_assert_cmpstr (bs_window_pickers_get_caption (pickers, b), ==, caption);
  if (caption != NULL)
    name = g_strdup_printf ("Model %s: %s, %s", b ? "B" : "A", text, caption);
  else
    name = g_strdup_printf ("Model %s: %s", b ? "B" : "A", text);
  error = gtk_test_accessible_check_property (GTK_ACCESSIBLE (button), GTK_ACCESSIBLE_PROPERTY_LABEL, name);
  if (error != NULL)
    g_error ("model %s's picker: accessible label: %s", b ? "B" : "A", error);
  g_assert_cmpstr (g_variant_get_string (current, NULL), ==, state);
  g_assert_cmpstr (saved, ==, setting);
}

static void
assert_no_job (BsWindow *window)
{
  g_assert_null (bs_window_get_cka_job (window));
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (bs_window_get_jobs (window))), ==, 0);
  g_assert_null (bs_window_get_error_text (window));
}

/* The menu's items (GtkModelButton is private: read by its properties). */
static void
collect_items (GtkWidget *widget,
               GPtrArray *items)
{
  if (g_str_equal (G_OBJECT_TYPE_NAME (widget), "GtkModelButton"))
    g_ptr_array_add (items, widget);
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    collect_items (child, items);
}

static char *
item_text (GtkWidget *item)
{
  char *text = NULL;

  g_object_get (item, "text", &text, NULL);
  return text;
}

static gboolean
item_checked (GtkWidget *item)
{
  gboolean active = FALSE;

  g_object_get (item, "active", &active, NULL);
  return active;
}

static gboolean
is_unmapped (gpointer widget)
{
  return !gtk_widget_get_mapped (widget);
}

/* The model menus make their popover afresh each time they open. */
static gboolean
menu_is_open (gpointer button)
{
  GtkPopover *popover = gtk_menu_button_get_popover (button);

  return popover != NULL && gtk_widget_get_mapped (GTK_WIDGET (popover));
}

/* Opens the picker's menu with a click, as a user does; returns its popover. */
static GtkWidget *
open_menu (BsWindow *window,
           gboolean  b)
{
  GtkWidget *button = GTK_WIDGET (bs_window_get_model_button (window, b));
  GtkWidget *popover;

  g_test_message ("opening the menu of model %s", b ? "B" : "A");
  g_assert_true (gtk_widget_grab_focus (button));
  bs_test_key_press (button, GDK_KEY_space, 0);
  g_assert_true (bs_test_wait_until (menu_is_open, button, WAIT_MS));
  popover = GTK_WIDGET (gtk_menu_button_get_popover (GTK_MENU_BUTTON (button)));
  gtk_test_widget_wait_for_draw (popover);
  return popover;
}

/* Escape, as a user closes the menu. */
static void
close_menu (GtkWidget *popover)
{
  bs_test_key_press (popover, GDK_KEY_Escape, 0);
  g_assert_true (bs_test_wait_until (is_unmapped, popover, WAIT_MS));
}

/* The one checked item of the picker's menu: its text is checked_text and
 * it is sensitive or not. */
static void
assert_menu_checks (BsWindow   *window,
                    gboolean    b,
                    const char *checked_text,
                    gboolean    sensitive,
                    const char *shot_name)
{
  GtkWidget *popover = open_menu (window, b);
  g_autoptr(GPtrArray) items = g_ptr_array_new ();
  guint n_checked = 0;

  collect_items (popover, items);
  g_assert_cmpuint (items->len, >, 10);
  for (guint i = 0; i < items->len; i++)
    {
      GtkWidget *item = g_ptr_array_index (items, i);
      g_autofree char *text = item_text (item);

      if (!item_checked (item))
        continue;
      n_checked++;
      g_assert_cmpstr (text, ==, checked_text);
      g_assert_true (gtk_widget_is_sensitive (item) == sensitive);
    }
  g_assert_cmpuint (n_checked, ==, 1);
  if (shot_name != NULL)
    {
      g_autoptr(GdkTexture) shot = bs_test_screenshot (popover, shot_name);
    }
  close_menu (popover);
}

typedef struct
{
  GSettings  *settings;
  const char *key;
  const char *value;
} SettingWait;

static gboolean
setting_is (gpointer data)
{
  SettingWait *wait = data;
  g_autofree char *value = g_settings_get_string (wait->settings, wait->key);

  return g_str_equal (value, wait->value);
}

/* Picks the item named text in the picker's menu with the real pointer;
 * returns once the menu has closed. */
static void
open_menu_and_pick (BsWindow   *window,
                    gboolean    b,
                    const char *text)
{
  GtkWidget *popover = open_menu (window, b);
  g_autoptr(GPtrArray) items = g_ptr_array_new ();
  GtkWidget *found = NULL;

  collect_items (popover, items);
  for (guint i = 0; i < items->len && found == NULL; i++)
    {
      g_autofree char *item = item_text (g_ptr_array_index (items, i));

      if (g_strcmp0 (item, text) == 0 && gtk_widget_get_mapped (g_ptr_array_index (items, i)))
        found = g_ptr_array_index (items, i);
    }
  g_assert_nonnull (found);
  g_test_message ("picking %s", text);
  /* A long menu scrolls to the item the pointer hovers: point at it until
   * it stays where it is, then click. */
  for (guint moves = 0; moves < 10; moves++)
    {
      graphene_rect_t before, after;

      g_assert_true (gtk_widget_compute_bounds (found, popover, &before));
      bs_test_pointer_move (found, gtk_widget_get_width (found) / 2.0, gtk_widget_get_height (found) / 2.0);
      gtk_test_widget_wait_for_draw (popover);
      g_assert_true (gtk_widget_compute_bounds (found, popover, &after));
      if (graphene_rect_equal (&before, &after))
        break;
      g_test_message ("the menu moved under the pointer (%g to %g)", before.origin.y, after.origin.y);
    }
  bs_test_pointer_click (found, gtk_widget_get_width (found) / 2.0, gtk_widget_get_height (found) / 2.0);
  g_assert_true (bs_test_wait_until (is_unmapped, popover, WAIT_MS));
}

/* The same, then waits until the setting is spec. */
static void
pick (BsWindow   *window,
      gboolean    b,
      const char *text,
      const char *spec)
{
  SettingWait wait = { bs_window_get_settings (window), b ? "model-b" : "model-a", spec };

  open_menu_and_pick (window, b, text);
  g_assert_true (bs_test_wait_until (setting_is, &wait, WAIT_MS));
}

static char *
save_result (const char *dir,
             const char *name,
             const char *model_a,
             const char *model_b)
{
  g_autoptr(BsCkaSnapshot) result = bs_test_make_snapshot (23, 31, gradient, model_a, model_b);
  g_autoptr(GError) error = NULL;
  char *path = g_build_filename (dir, name, NULL);

  g_assert_true (bs_cka_export (result, NULL, path, &error));
  g_assert_no_error (error);
  return path;
}

static void
open_result (BsWindow   *window,
             const char *path)
{
  g_autoptr(GFile) file = g_file_new_for_path (path);

  /* What a drop of the file, and `blockscope FILE`, do. */
  bs_window_open_file (window, file);
  g_assert_nonnull (bs_heatmap_get_snapshot (bs_window_get_heatmap (window)));
}

static gboolean
heatmap_page_shown (gpointer window)
{
  GtkStack *stack = GTK_STACK (gtk_widget_get_template_child (window, BS_TYPE_WINDOW, "content_stack"));

  return g_strcmp0 (gtk_stack_get_visible_child_name (stack), "heatmap") == 0
         && !gtk_stack_get_transition_running (stack);
}

/* The window as it shows the result, for people to look at. */
static void
screenshot (BsWindow   *window,
            const char *name)
{
  g_autoptr(GdkTexture) shot = NULL;

  g_assert_true (bs_test_wait_until (heatmap_page_shown, window, WAIT_MS));
  gtk_test_widget_wait_for_draw (GTK_WIDGET (window));
  shot = bs_test_screenshot (GTK_WIDGET (window), name);
}

static void
reset_settings (GSettings *settings)
{
  g_settings_reset (settings, "model-a");
  g_settings_reset (settings, "model-b");
}

/* Models the menus list: chosen, checked, named, without a job. */
static void
test_result (void)
{
  g_autoptr(BsApplication) app = bs_test_app_new ();
  BsWindow *window = bs_test_app_get_window (app);
  GSettings *settings = bs_application_get_settings (app);
  g_autofree char *dir = g_dir_make_tmp ("blockscope-pickers-XXXXXX", NULL);
  g_autofree char *npy = save_result (dir, "r50-r101.npy", "imagenet-resnet50", "imagenet-resnet101");
  BsCkaSnapshot *shown;

  bs_test_pointer_park ();
  assert_picker (window, FALSE, "ResNet-20", NULL, "resnet20", "resnet20");
  assert_picker (window, TRUE, "ResNet-20", NULL, "resnet20", "resnet20");

  open_result (window, npy);
  shown = bs_heatmap_get_snapshot (bs_window_get_heatmap (window));
  assert_picker (window, FALSE, "ResNet-50 (ImageNet)", NULL, "imagenet-resnet50", "imagenet-resnet50");
  assert_picker (window, TRUE, "ResNet-101 (ImageNet)", NULL, "imagenet-resnet101", "imagenet-resnet101");
  assert_no_job (window);
  g_assert_cmpstr (gtk_window_get_title (GTK_WINDOW (window)), ==, "r50-r101.npy — Blockscope");
  screenshot (window, "pickers-result");
  assert_menu_checks (window, FALSE, "ResNet-50 (ImageNet)", TRUE, NULL);
  assert_menu_checks (window, TRUE, "ResNet-101 (ImageNet)", TRUE, NULL);

  /* A user's pick: a choice as ever; the result stays on screen. */
  pick (window, FALSE, "ResNet-32", "resnet32");
  assert_picker (window, FALSE, "ResNet-32", NULL, "resnet32", "resnet32");
  assert_picker (window, TRUE, "ResNet-101 (ImageNet)", NULL, "imagenet-resnet101", "imagenet-resnet101");
  g_assert_true (bs_heatmap_get_snapshot (bs_window_get_heatmap (window)) == shown);
  assert_no_job (window);

  bs_test_app_quit (app);
  reset_settings (settings);
  bs_test_remove_tree (dir);
}

/* Models the menus do not list, and names that are no model. */
static void
test_unknown (void)
{
  g_autoptr(BsApplication) app = bs_test_app_new ();
  BsWindow *window = bs_test_app_get_window (app);
  GSettings *settings = bs_application_get_settings (app);
  g_autofree char *dir = g_dir_make_tmp ("blockscope-pickers-XXXXXX", NULL);
  /* A checkpoint of another computer's, imported there. */
  const char *elsewhere = "/cluster/home/someone/imported/r50-finetuned.safetensors";
  g_autofree char *npy = save_result (dir, "custom.npy", "resnet8", elsewhere);
  g_autofree char *seeds = save_result (dir, "seeds.npy", "3 networks", "3 networks");

  bs_test_pointer_park ();
  open_result (window, npy);
  assert_picker (window, FALSE, "ResNet-8", "from the result", "resnet8", "resnet8");
  assert_picker (window, TRUE, "r50-finetuned", "from the result", elsewhere, elsewhere);
  /* No banner for the missing checkpoint: the result is what is asked for. */
  assert_no_job (window);
  screenshot (window, "pickers-unknown");
  assert_menu_checks (window, FALSE, "ResNet-8", FALSE, "pickers-menu-unknown");
  assert_menu_checks (window, TRUE, "r50-finetuned", FALSE, NULL);

  /* A saved seed comparison names "3 networks": shown, the settings kept. */
  open_result (window, seeds);
  assert_picker (window, FALSE, "3 networks", "from the result", "", "resnet8");
  assert_picker (window, TRUE, "3 networks", "from the result", "", elsewhere);
  assert_no_job (window);
  assert_menu_checks (window, FALSE, "3 networks", FALSE, NULL);

  /* A user's pick ends it for that picker. */
  pick (window, FALSE, "ResNet-20", "resnet20");
  assert_picker (window, FALSE, "ResNet-20", NULL, "resnet20", "resnet20");
  assert_picker (window, TRUE, "3 networks", "from the result", "", elsewhere);
  assert_menu_checks (window, FALSE, "ResNet-20", TRUE, NULL);
  assert_no_job (window);

  bs_test_app_quit (app);
  reset_settings (settings);
  bs_test_remove_tree (dir);
}

static BsWindow *
open_in_new_window (BsApplication *app,
                    const char    *path)
{
  g_autoptr(GList) before = g_list_copy (gtk_application_get_windows (GTK_APPLICATION (app)));
  g_autoptr(GFile) file = g_file_new_for_path (path);
  BsWindow *window;

  /* `blockscope FILE` while the application runs. */
  g_application_open (G_APPLICATION (app), &file, 1, "");
  window = bs_test_newest_window (app, before);
  gtk_test_widget_wait_for_draw (GTK_WIDGET (window));
  return window;
}

/* The settings are the application's: a window's pickers keep their
 * models when another window opens a result, or its user picks there. */
static void
test_windows (void)
{
  g_autoptr(BsApplication) app = bs_test_app_new ();
  GSettings *settings = bs_application_get_settings (app);
  g_autofree char *dir = g_dir_make_tmp ("blockscope-pickers-XXXXXX", NULL);
  g_autofree char *first_npy = save_result (dir, "first.npy", "imagenet-resnet50", "imagenet-resnet101");
  g_autofree char *second_npy = save_result (dir, "second.npy", "resnet8", "resnet14");
  BsWindow *first, *second;

  bs_test_pointer_park ();
  first = open_in_new_window (app, first_npy);
  assert_picker (first, FALSE, "ResNet-50 (ImageNet)", NULL, "imagenet-resnet50", "imagenet-resnet50");
  second = open_in_new_window (app, second_npy);
  assert_picker (second, FALSE, "ResNet-8", "from the result", "resnet8", "resnet8");
  assert_picker (second, TRUE, "ResNet-14", NULL, "resnet14", "resnet14");
  /* The first window still names its own result's models (the settings hold the newest). */
  assert_picker (first, FALSE, "ResNet-50 (ImageNet)", NULL, "imagenet-resnet50", "resnet8");
  assert_picker (first, TRUE, "ResNet-101 (ImageNet)", NULL, "imagenet-resnet101", "resnet14");
  g_assert_cmpstr (bs_window_pickers_get_spec (bs_window_get_pickers (first), FALSE), ==, "imagenet-resnet50");

  /* A pick in the second window is that window's. */
  gtk_window_present (GTK_WINDOW (second));
  pick (second, FALSE, "ResNet-32", "resnet32");
  assert_picker (second, FALSE, "ResNet-32", NULL, "resnet32", "resnet32");
  assert_picker (first, FALSE, "ResNet-50 (ImageNet)", NULL, "imagenet-resnet50", "resnet32");
  assert_no_job (first);
  assert_no_job (second);

  /* Weights not downloaded, picked in the second window: its banner offers
   * them; the first window's picker and banners stay. Picked in the first
   * too (the setting holds them already): a choice there as well. */
  {
    g_autofree char *weights = bs_model_catalog_weights_path ("imagenet-resnet50");
    g_autofree char *size = g_format_size (bs_model_catalog_weights_download_size ("imagenet-resnet50"));
    g_autofree char *item = g_strdup_printf ("ResNet-50 (ImageNet weights) — download %s", size);

    g_assert_false (g_file_test (weights, G_FILE_TEST_EXISTS));
    pick (second, FALSE, item, weights);
    assert_picker (second, FALSE, "ResNet-50 (ImageNet weights)", NULL, weights, weights);
    g_assert_nonnull (bs_window_weights_get_download_button (bs_window_get_weights (second)));
    assert_picker (first, FALSE, "ResNet-50 (ImageNet)", NULL, "imagenet-resnet50", weights);
    g_assert_null (bs_window_weights_get_download_button (bs_window_get_weights (first)));

    gtk_window_present (GTK_WINDOW (first));
    open_menu_and_pick (first, FALSE, item);
    assert_picker (first, FALSE, "ResNet-50 (ImageNet weights)", NULL, weights, weights);
    g_assert_nonnull (bs_window_weights_get_download_button (bs_window_get_weights (first)));
    assert_no_job (first);
  }

  /* A change from outside (dconf, a desktop's settings editor) is a choice everywhere. */
  g_settings_set_string (settings, "model-b", "resnet56");
  assert_picker (first, TRUE, "ResNet-56", NULL, "resnet56", "resnet56");
  assert_picker (second, TRUE, "ResNet-56", NULL, "resnet56", "resnet56");

  bs_test_app_quit (app);
  reset_settings (settings);
  bs_test_remove_tree (dir);
}

int
main (int    argc,
      char **argv)
{
  bs_test_init (&argc, &argv);

  g_test_add_func ("/pickers/result", test_result);
  g_test_add_func ("/pickers/unknown", test_unknown);
  g_test_add_func ("/pickers/windows", test_windows);

  return g_test_run ();
}
