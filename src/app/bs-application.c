/* bs-application.c: application-wide actions, settings and styling.
 *
 * One BsApplication per process; it owns the GSettings and the app.* actions
 * (about, quit) and presents a single BsWindow. Window-level work (models,
 * jobs, the heatmap) lives in BsWindow. Styling is AdwApplication's: it
 * follows the system's colour scheme and high-contrast setting, and loads
 * style.css, and style-hc.css while high contrast is on, from the resource
 * base path. */
#include "bs-config.h"

#include "bs-application.h"

#include <glib/gi18n.h>

#include "bs-build-tree.h"
#include "bs-window.h"

struct _BsApplication
{
  AdwApplication  parent_instance;

  GSettings      *settings;
  BsEngineConfig  engine;
};

G_DEFINE_FINAL_TYPE (BsApplication, bs_application, ADW_TYPE_APPLICATION)

/* The compiled schemas of the build tree the program runs from, or NULL
 * when it was installed. */
static char *
build_tree_schema_dir (void)
{
  g_autofree char *root = bs_build_tree_root ();
  g_autofree char *compiled = NULL;

  if (root == NULL)
    return NULL;
  compiled = g_build_filename (root, "data", "gschemas.compiled", NULL);
  if (!g_file_test (compiled, G_FILE_TEST_IS_REGULAR))
    return NULL;
  return g_build_filename (root, "data", NULL);
}

GSettings *
bs_application_create_settings (GError **error)
{
  GSettingsSchemaSource *source = g_settings_schema_source_get_default ();
  g_autoptr(GSettingsSchema) schema = NULL;

  if (source != NULL)
    schema = g_settings_schema_source_lookup (source, BS_APP_ID, TRUE);

  /* Started from the build tree without `meson install`: use the schemas
   * that the build compiled next to the data files. */
  if (schema == NULL)
    {
      g_autofree char *dir = build_tree_schema_dir ();
      g_autoptr(GSettingsSchemaSource) build_source = NULL;

      if (dir != NULL)
        build_source = g_settings_schema_source_new_from_directory (dir, source, FALSE, NULL);
      if (build_source != NULL)
        schema = g_settings_schema_source_lookup (build_source, BS_APP_ID, FALSE);
    }

  if (schema == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                   /* Translators: %s is the schema's id, org.blockscope.Blockscope. */
                   _("The settings schema %s is not installed. Install Blockscope with "
                     "“meson install”, or start it from its build folder."), BS_APP_ID);
      return NULL;
    }

  return g_settings_new_full (schema, NULL, NULL);
}

static void
bs_application_activate (GApplication *application)
{
  BsApplication *self = BS_APPLICATION (application);
  GtkWindow *window;

  window = gtk_application_get_active_window (GTK_APPLICATION (self));
  if (window == NULL)
    window = GTK_WINDOW (bs_window_new (self));

  gtk_window_present (window);
}

/* `blockscope FILE...` (or files handed to a running instance): each in a
 * window of its own, so that nothing on screen is replaced. */
static void
bs_application_open (GApplication  *application,
                     GFile        **files,
                     int            n_files,
                     const char    *hint)
{
  BsApplication *self = BS_APPLICATION (application);

  for (int i = 0; i < n_files; i++)
    {
      BsWindow *window = bs_window_new (self);

      gtk_window_present (GTK_WINDOW (window));
      bs_window_open_file (window, files[i]);
    }
}

static void
about_action (GSimpleAction *action,
              GVariant      *parameter,
              gpointer       user_data)
{
  BsApplication *self = user_data;
  const char *developers[] = { _("Blockscope developers"), NULL };
  static const char *colormaps[] = {
    "Stéfan van der Walt and Nathaniel Smith (magma, viridis, inferno, plasma; CC0)", NULL
  };
  GtkWindow *parent = gtk_application_get_active_window (GTK_APPLICATION (self));
  GtkWidget *about;

  about = g_object_new (GTK_TYPE_ABOUT_DIALOG,
                        "transient-for", parent,
                        "modal", TRUE,
                        "program-name", "Blockscope",
                        "logo-icon-name", BS_APP_ID,
                        "version", BS_VERSION,
                        "comments", _("Do wide and deep networks learn the same things?\n"
                                      "Train ResNets and compare every pair of their layers "
                                      "with minibatch CKA."),
                        "authors", developers,
                        "copyright", _("© Blockscope developers"),
                        "translator-credits", _("translator-credits"),
                        "license-type", GTK_LICENSE_GPL_3_0,
                        NULL);
  gtk_about_dialog_add_credit_section (GTK_ABOUT_DIALOG (about), _("Colour maps"), colormaps);
  gtk_window_present (GTK_WINDOW (about));
}

static void
quit_action (GSimpleAction *action,
             GVariant      *parameter,
             gpointer       user_data)
{
  BsApplication *self = user_data;
  GList *windows;

  /* Close the windows rather than g_application_quit(), so each one cancels
   * its job and saves its size. */
  windows = g_list_copy (gtk_application_get_windows (GTK_APPLICATION (self)));
  for (GList *l = windows; l != NULL; l = l->next)
    gtk_window_close (GTK_WINDOW (l->data));
  g_list_free (windows);
}

static const GActionEntry app_actions[] = {
  { "about", about_action },
  { "quit", quit_action },
};

static void
bs_application_startup (GApplication *application)
{
  BsApplication *self = BS_APPLICATION (application);
  static const struct {
    const char *action;
    const char *accels[3];
  } accels[] = {
    { "app.quit", { "<Control>q", NULL } },
    { "win.compute", { "<Control>Return", "<Control>KP_Enter", NULL } },
    { "win.cancel", { "Escape", NULL } },
    { "win.open-checkpoint('a')", { "<Control>o", NULL } },
    { "win.open-checkpoint('b')", { "<Control><Shift>o", NULL } },
    { "win.reset-zoom", { "<Control>0", "<Control>KP_0", NULL } },
    { "win.zoom-in", { "<Control>plus", "<Control>equal", NULL } },
    { "win.zoom-out", { "<Control>minus", NULL } },
    { "win.show-inspector", { "F9", NULL } },
    { "win.measure('cka')", { "<Control>1", NULL } },
    { "win.measure('cka-without-pc1')", { "<Control>2", NULL } },
    { "win.measure('pc1-alignment')", { "<Control>3", NULL } },
    { "win.new-training-run", { "<Control>t", NULL } },
    { "win.show-runs", { "<Control>r", NULL } },
    { "win.export-figure", { "<Control>e", NULL } },
    { "win.copy-figure", { "<Control><Shift>c", NULL } },
    { "win.export-data", { "<Control><Shift>e", NULL } },
    { "win.open-shards", { "<Control><Shift>f", NULL } },
  };

  G_APPLICATION_CLASS (bs_application_parent_class)->startup (application);

  g_action_map_add_action_entries (G_ACTION_MAP (self), app_actions,
                                   G_N_ELEMENTS (app_actions), self);
  for (guint i = 0; i < G_N_ELEMENTS (accels); i++)
    gtk_application_set_accels_for_action (GTK_APPLICATION (self), accels[i].action, accels[i].accels);

  gtk_window_set_default_icon_name (BS_APP_ID);
}

static void
bs_application_finalize (GObject *object)
{
  BsApplication *self = BS_APPLICATION (object);

  g_clear_object (&self->settings);

  G_OBJECT_CLASS (bs_application_parent_class)->finalize (object);
}

static void
bs_application_class_init (BsApplicationClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GApplicationClass *app_class = G_APPLICATION_CLASS (klass);

  object_class->finalize = bs_application_finalize;
  app_class->activate = bs_application_activate;
  app_class->open = bs_application_open;
  app_class->startup = bs_application_startup;
}

static void
bs_application_init (BsApplication *self)
{
}

BsApplication *
bs_application_new (void)
{
  g_autoptr(GError) error = NULL;
  GSettings *settings;
  BsApplication *self;

  settings = bs_application_create_settings (&error);
  if (settings == NULL)
    {
      g_printerr ("blockscope: %s\n", error->message);
      return NULL;
    }

  self = g_object_new (BS_TYPE_APPLICATION,
                       "application-id", BS_APP_ID,
                       "resource-base-path", "/org/blockscope/Blockscope",
                       "flags", G_APPLICATION_HANDLES_OPEN,
                       NULL);
  self->settings = settings;
  bs_engine_config_init_from_environment (&self->engine);

  return self;
}

GSettings *
bs_application_get_settings (BsApplication *self)
{
  g_return_val_if_fail (BS_IS_APPLICATION (self), NULL);

  return self->settings;
}

const BsEngineConfig *
bs_application_get_engine_config (BsApplication *self)
{
  g_return_val_if_fail (BS_IS_APPLICATION (self), NULL);

  return &self->engine;
}
