/* test-window.c: the application starts, its window shows what it should,
 * draws something, and keeps its size in GSettings. */
#include "bs-config.h"

#include "bs-test-utils.h"

#include <glib/gstdio.h>
#include <string.h>
#include <utime.h>

#include "bs-model-catalog.h"
#include "bs-model-spec.h"
#include "bs-runs.h"
#include "bs-window-private.h"

static void
test_window_appears (void)
{
  g_autoptr(BsApplication) app = bs_test_app_new ();
  BsWindow *window = bs_test_app_get_window (app);
  g_autoptr(GdkTexture) shot = NULL;
  g_autofree guint8 *pixels = NULL;
  GtkWidget *titlebar;
  GHashTable *colours;
  gsize stride;
  int width, height;
  guint8 first[3];
  gboolean all_same = TRUE;

  g_assert_nonnull (window);
  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (window)));
  g_assert_cmpstr (gtk_window_get_title (GTK_WINDOW (window)), ==, "Blockscope");
  g_assert_cmpstr (g_application_get_application_id (G_APPLICATION (app)), ==, BS_APP_ID);

  titlebar = gtk_window_get_titlebar (GTK_WINDOW (window));
  g_assert_true (GTK_IS_HEADER_BAR (titlebar));

  /* The app-wide actions exist and Ctrl+Q quits. */
  g_assert_true (g_action_group_has_action (G_ACTION_GROUP (app), "quit"));
  g_assert_true (g_action_group_has_action (G_ACTION_GROUP (app), "about"));
  {
    g_auto(GStrv) accels = gtk_application_get_accels_for_action (GTK_APPLICATION (app), "app.quit");
    g_assert_true (g_strv_contains ((const char * const *) accels, "<Control>q"));
  }

  /* An in-process screenshot is not blank: many colours, not one. */
  shot = bs_test_screenshot (GTK_WIDGET (window), "window");
  width = gdk_texture_get_width (shot);
  height = gdk_texture_get_height (shot);
  g_assert_cmpint (width, ==, gtk_widget_get_width (GTK_WIDGET (window)));
  g_assert_cmpint (height, ==, gtk_widget_get_height (GTK_WIDGET (window)));

  pixels = bs_test_texture_pixels (shot, &stride);
  colours = g_hash_table_new (NULL, NULL);
  bs_test_pixel_rgb (pixels, stride, 0, 0, first);
  for (int y = 0; y < height; y += 3)
    for (int x = 0; x < width; x += 3)
      {
        guint8 rgb[3];

        bs_test_pixel_rgb (pixels, stride, x, y, rgb);
        if (memcmp (rgb, first, 3) != 0)
          all_same = FALSE;
        g_hash_table_add (colours, GUINT_TO_POINTER ((rgb[0] << 16) | (rgb[1] << 8) | rgb[2]));
      }
  g_assert_false (all_same);
  /* Text, the header bar and the icon give well over a handful of colours. */
  g_assert_cmpuint (g_hash_table_size (colours), >, 20);
  g_hash_table_unref (colours);

  bs_test_app_quit (app);
}

static void
test_window_size_persists (void)
{
  g_autoptr(GSettings) settings = NULL;
  BsApplication *app;
  BsWindow *window;
  int width, height;

  app = bs_test_app_new ();
  window = bs_test_app_get_window (app);
  settings = g_object_ref (bs_application_get_settings (app));

  gtk_window_set_default_size (GTK_WINDOW (window), 900, 640);
  gtk_test_widget_wait_for_draw (GTK_WIDGET (window));
  bs_test_app_quit (app);

  g_assert_cmpint (g_settings_get_int (settings, "window-width"), ==, 900);
  g_assert_cmpint (g_settings_get_int (settings, "window-height"), ==, 640);
  g_assert_false (g_settings_get_boolean (settings, "window-maximized"));
  g_object_unref (app);

  /* A new window starts at the saved size. The memory backend is per
   * process, so the values survive between the two applications. */
  app = bs_test_app_new ();
  window = bs_test_app_get_window (app);
  gtk_window_get_default_size (GTK_WINDOW (window), &width, &height);
  g_assert_cmpint (width, ==, 900);
  g_assert_cmpint (height, ==, 640);
  bs_test_app_quit (app);
  g_object_unref (app);
}

static void
assert_accel (BsApplication *app,
              const char    *action,
              const char    *accel)
{
  g_auto(GStrv) accels = gtk_application_get_accels_for_action (GTK_APPLICATION (app), action);

  if (!g_strv_contains ((const char * const *) accels, accel))
    g_error ("%s has no shortcut %s", action, accel);
}

/* Every control is an action, with the shortcuts users expect. */
static void
test_actions (void)
{
  g_autoptr(BsApplication) app = bs_test_app_new ();
  BsWindow *window = bs_test_app_get_window (app);
  GActionGroup *group = G_ACTION_GROUP (window);
  static const char *names[] = {
    "compute", "cancel", "open-checkpoint", "swap-models", "reset-zoom", "zoom-in", "zoom-out",
    "model-a", "model-b", "dataset", "colormap", "color-range", "show-boundaries", "show-inspector",
  };

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    if (!g_action_group_has_action (group, names[i]))
      g_error ("no action win.%s", names[i]);

  assert_accel (app, "win.compute", "<Control>Return");
  assert_accel (app, "win.cancel", "Escape");
  assert_accel (app, "win.open-checkpoint('a')", "<Control>o");
  assert_accel (app, "win.reset-zoom", "<Control>0");
  assert_accel (app, "win.zoom-in", "<Control>plus");

  /* Nothing runs yet: Compute on, Cancel off. */
  g_assert_true (g_action_group_get_action_enabled (group, "compute"));
  g_assert_false (g_action_group_get_action_enabled (group, "cancel"));

  /* Settings actions change the settings, and the window follows. */
  g_action_group_change_action_state (group, "colormap", g_variant_new_string ("viridis"));
  g_assert_cmpint (bs_heatmap_get_colormap (bs_window_get_heatmap (window)), ==, BS_COLORMAP_VIRIDIS);
  g_action_group_change_action_state (group, "color-range", g_variant_new_string ("data"));
  {
    g_autofree char *range = NULL;

    g_object_get (bs_window_get_heatmap (window), "color-range", &range, NULL);
    g_assert_cmpstr (range, ==, "data");
  }

  g_action_group_change_action_state (group, "model-a", g_variant_new_string ("resnet56x4"));
  g_action_group_change_action_state (group, "model-b", g_variant_new_string ("imagenet-resnet50"));
  {
    GtkLabel *a = GTK_LABEL (gtk_widget_get_template_child (GTK_WIDGET (window), BS_TYPE_WINDOW, "model_a_label"));
    GtkLabel *b = GTK_LABEL (gtk_widget_get_template_child (GTK_WIDGET (window), BS_TYPE_WINDOW, "model_b_label"));

    g_assert_cmpstr (gtk_label_get_label (a), ==, "ResNet-56 ×4");
    g_assert_cmpstr (gtk_label_get_label (b), ==, "ResNet-50 (ImageNet)");
    g_action_group_activate_action (group, "swap-models", NULL);
    g_assert_cmpstr (gtk_label_get_label (a), ==, "ResNet-50 (ImageNet)");
    g_assert_cmpstr (gtk_label_get_label (b), ==, "ResNet-56 ×4");
  }

  /* The options popover edits the settings the next job uses. */
  {
    GtkSpinButton *batch = GTK_SPIN_BUTTON (gtk_widget_get_template_child (GTK_WIDGET (window), BS_TYPE_WINDOW, "batch_spin"));
    GSettings *settings = bs_application_get_settings (app);

    g_assert_cmpfloat (gtk_spin_button_get_value (batch), ==, 256);
    gtk_spin_button_set_value (batch, 64);
    g_assert_cmpuint (g_settings_get_uint (settings, "batch-size"), ==, 64);
    g_settings_set_uint (settings, "batch-size", 32);
    g_assert_cmpfloat (gtk_spin_button_get_value (batch), ==, 32);
    g_settings_reset (settings, "batch-size");
  }

  /* A checkpoint that does not exist is reported in the window at once. */
  g_assert_null (bs_window_get_error_text (window));
  g_action_group_change_action_state (group, "model-a", g_variant_new_string ("/nonexistent/run/epoch.safetensors"));
  g_assert_nonnull (bs_window_get_error_text (window));
  g_assert_nonnull (strstr (bs_window_get_error_text (window), "/nonexistent/run/epoch.safetensors"));

  bs_test_app_quit (app);
  {
    GSettings *settings = bs_application_get_settings (app);

    g_settings_reset (settings, "colormap");
    g_settings_reset (settings, "color-range");
    g_settings_reset (settings, "model-a");
    g_settings_reset (settings, "model-b");
  }
}

static gboolean
dataset_is_synthetic (gpointer data)
{
  g_autofree char *chosen = g_settings_get_string (data, "dataset");

  return g_strcmp0 (chosen, "synthetic") == 0;
}

/* The data set chooser lists every known set; missing ones say how to get
 * them and cannot be picked; picking one saves it. */
static void
test_dataset_chooser (void)
{
  g_autoptr(BsApplication) app = bs_test_app_new ();
  BsWindow *window = bs_test_app_get_window (app);
  GtkWidget *popover = GTK_WIDGET (gtk_widget_get_template_child (GTK_WIDGET (window), BS_TYPE_WINDOW, "dataset_popover"));
  GtkListBox *list = GTK_LIST_BOX (gtk_widget_get_template_child (GTK_WIDGET (window), BS_TYPE_WINDOW, "dataset_list"));
  GSettings *settings = bs_application_get_settings (app);
  GtkListBoxRow *synthetic = NULL, *cifar100 = NULL;
  guint rows = 0;

  gtk_popover_popup (GTK_POPOVER (popover));
  g_assert_true (bs_test_wait_until ((gboolean (*) (gpointer)) gtk_widget_get_mapped, popover, 5000));

  for (GtkWidget *child = gtk_widget_get_first_child (GTK_WIDGET (list)); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GVariant *target;

      if (!GTK_IS_LIST_BOX_ROW (child))
        continue;
      rows++;
      target = gtk_actionable_get_action_target_value (GTK_ACTIONABLE (child));
      if (target != NULL && g_str_equal (g_variant_get_string (target, NULL), "synthetic"))
        synthetic = GTK_LIST_BOX_ROW (child);
      if (gtk_widget_has_css_class (child, "dataset-missing") && cifar100 == NULL)
        cifar100 = GTK_LIST_BOX_ROW (child);
    }
  g_assert_cmpuint (rows, ==, 5);
  g_assert_nonnull (synthetic);
  g_assert_true (gtk_list_box_row_get_activatable (synthetic));
  /* The test environment has no CIFAR data: at least one row is missing. */
  g_assert_nonnull (cifar100);
  g_assert_false (gtk_list_box_row_get_activatable (cifar100));

  g_signal_emit_by_name (synthetic, "activate");
  g_assert_true (bs_test_wait_until (dataset_is_synthetic, settings, 5000));

  bs_test_app_quit (app);
  g_settings_reset (settings, "dataset");
}

/* The model menus: the paper's family by depth and width, ImageNet-style
 * networks, and checkpoints found in the runs folder, newest first. */
static void
test_model_catalog (void)
{
  g_autofree char *runs = bs_runs_get_dir ();
  g_autofree char *run = g_build_filename (runs, "wide-run", NULL);
  g_autofree char *old_path = g_build_filename (run, "epoch-1.safetensors", NULL);
  g_autofree char *new_path = g_build_filename (run, "epoch-2.safetensors", NULL);
  g_autoptr(GPtrArray) found = NULL;
  g_autoptr(GMenu) menu = NULL;
  g_autofree char *display = NULL;
  gboolean saw_wide = FALSE, saw_checkpoint = FALSE;
  struct utimbuf times;

  g_assert_true (g_str_has_prefix (runs, g_get_user_data_dir ()));
  g_assert_cmpint (g_mkdir_with_parents (run, 0755), ==, 0);
  g_assert_true (g_file_set_contents (old_path, "x", 1, NULL));
  g_assert_true (g_file_set_contents (new_path, "x", 1, NULL));
  times.actime = times.modtime = 1000000;
  g_assert_cmpint (g_utime (old_path, &times), ==, 0);

  found = bs_runs_find_checkpoints (runs, 10);
  g_assert_cmpuint (found->len, ==, 2);
  g_assert_cmpstr (((BsRunCheckpoint *) found->pdata[0])->path, ==, new_path);
  g_assert_cmpstr (((BsRunCheckpoint *) found->pdata[0])->label, ==, "wide-run › epoch 2");

  display = bs_model_spec_display_name (new_path);
  g_assert_cmpstr (display, ==, "wide-run › epoch 2");
  g_clear_pointer (&display, g_free);
  display = bs_model_spec_display_name ("resnet110x10");
  g_assert_cmpstr (display, ==, "ResNet-110 ×10");

  /* Walk the menu: every item targets the action, wide models are there. */
  menu = bs_model_catalog_build_menu ("win.model-a", "win.open-checkpoint", "a", found);
  {
    GPtrArray *stack = g_ptr_array_new ();

    g_ptr_array_add (stack, menu);
    while (stack->len > 0)
      {
        GMenuModel *model = g_ptr_array_steal_index (stack, stack->len - 1);

        for (int i = 0; i < g_menu_model_get_n_items (model); i++)
          {
            g_autoptr(GMenuLinkIter) links = g_menu_model_iterate_item_links (model, i);
            g_autoptr(GVariant) target = g_menu_model_get_item_attribute_value (model, i, "target", NULL);
            g_autofree char *action = NULL;

            if (g_menu_model_get_item_attribute (model, i, "action", "s", &action) && target != NULL &&
                g_str_equal (action, "win.model-a"))
              {
                const char *spec = g_variant_get_string (target, NULL);

                saw_wide |= g_str_equal (spec, "resnet164x10");
                saw_checkpoint |= g_str_equal (spec, new_path);
              }
            while (g_menu_link_iter_next (links))
              g_ptr_array_add (stack, g_menu_link_iter_get_value (links));
          }
        if (model != G_MENU_MODEL (menu))
          g_object_unref (model);
      }
    g_ptr_array_unref (stack);
  }
  g_assert_true (saw_wide);
  g_assert_true (saw_checkpoint);

  /* What the menu lists, as the pickers ask when they show a result's models. */
  {
    g_autofree char *weights = bs_model_catalog_weights_path ("imagenet-resnet101");

    g_assert_true (bs_model_catalog_lists ("resnet20", found));
    g_assert_true (bs_model_catalog_lists ("resnet164x10", found));
    g_assert_true (bs_model_catalog_lists ("imagenet-resnet152", found));
    g_assert_true (bs_model_catalog_lists (new_path, found));
    g_assert_true (bs_model_catalog_lists (weights, found));
    g_assert_false (bs_model_catalog_lists (new_path, NULL));
    g_assert_false (bs_model_catalog_lists ("resnet8", found));
    g_assert_false (bs_model_catalog_lists ("resnet20x3", found));
    g_assert_false (bs_model_catalog_lists ("imagenet-resnet34", found));
    g_assert_false (bs_model_catalog_lists ("/elsewhere/epoch-2.safetensors", found));
    g_assert_false (bs_model_catalog_lists ("", found));
    g_assert_false (bs_model_catalog_lists (NULL, found));
  }

  g_unlink (old_path);
  g_unlink (new_path);
  g_rmdir (run);
}

/* A run folder's checkpoints (RUN/checkpoints/epoch-NNNN.safetensors) are
 * one submenu per run in the model menus, an item per epoch. */
static void
test_model_catalog_runs (void)
{
  g_autofree char *runs = bs_runs_get_dir ();
  g_autofree char *folder = g_build_filename (runs, "deep-run", "checkpoints", NULL);
  g_autofree char *first = g_build_filename (folder, "epoch-0001.safetensors", NULL);
  g_autofree char *second = g_build_filename (folder, "epoch-0002.safetensors", NULL);
  g_autoptr(GPtrArray) found = NULL;
  g_autoptr(GMenu) menu = NULL;
  GMenuModel *submenu = NULL;

  g_assert_cmpint (g_mkdir_with_parents (folder, 0755), ==, 0);
  g_assert_true (g_file_set_contents (first, "x", 1, NULL));
  g_assert_true (g_file_set_contents (second, "x", 1, NULL));

  found = bs_runs_find_checkpoints (runs, 200);
  menu = bs_model_catalog_build_menu ("win.model-a", "win.open-checkpoint", "a", found);
  /* The section of trained checkpoints holds a submenu named after the run. */
  for (int i = 0; i < g_menu_model_get_n_items (G_MENU_MODEL (menu)) && submenu == NULL; i++)
    {
      g_autoptr(GMenuModel) section = g_menu_model_get_item_link (G_MENU_MODEL (menu), i, G_MENU_LINK_SECTION);

      for (int j = 0; section != NULL && j < g_menu_model_get_n_items (section); j++)
        {
          g_autofree char *label = NULL;

          if (g_menu_model_get_item_attribute (section, j, G_MENU_ATTRIBUTE_LABEL, "s", &label) &&
              g_str_equal (label, "deep-run"))
            submenu = g_menu_model_get_item_link (section, j, G_MENU_LINK_SUBMENU);
        }
    }
  g_assert_nonnull (submenu);
  g_assert_cmpint (g_menu_model_get_n_items (submenu), ==, 2);
  for (int j = 0; j < 2; j++)
    {
      g_autofree char *label = NULL;
      g_autoptr(GVariant) target = g_menu_model_get_item_attribute_value (submenu, j, G_MENU_ATTRIBUTE_TARGET, NULL);

      g_assert_true (g_menu_model_get_item_attribute (submenu, j, G_MENU_ATTRIBUTE_LABEL, "s", &label));
      g_assert_true (g_str_equal (label, "epoch 1") || g_str_equal (label, "epoch 2"));
      g_assert_cmpstr (g_variant_get_string (target, NULL), ==, g_str_equal (label, "epoch 1") ? first : second);
    }
  g_object_unref (submenu);

  g_unlink (first);
  g_unlink (second);
  g_rmdir (folder);
  {
    g_autofree char *run = g_path_get_dirname (folder);

    g_rmdir (run);
  }
}

int
main (int    argc,
      char **argv)
{
  bs_test_init (&argc, &argv);

  g_test_add_func ("/window/appears", test_window_appears);
  g_test_add_func ("/window/size-persists", test_window_size_persists);
  g_test_add_func ("/window/actions", test_actions);
  g_test_add_func ("/window/dataset-chooser", test_dataset_chooser);
  g_test_add_func ("/window/model-catalog", test_model_catalog);
  g_test_add_func ("/window/model-catalog-runs", test_model_catalog_runs);

  return g_test_run ();
}
