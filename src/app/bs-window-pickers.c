/* bs-window-pickers.c: the header bar's model pickers (see the header). */
#include "bs-config.h"

#include "bs-window-pickers.h"

#include <glib/gi18n.h>

#include "bs-a11y.h"
#include "bs-model-catalog.h"
#include "bs-model-spec.h"
#include "bs-runs.h"

/* The target of the menu's item for a model the catalog does not list:
 * its action (win.shown-model-a) is disabled and has this state, so the
 * item shows checked and insensitive. */
#define SHOWN_TARGET "shown"

typedef struct
{
  GtkMenuButton *button;
  GtkLabel      *label;
  GtkLabel      *caption;
  const char    *key;        /* "model-a" or "model-b", also the action's name */
  GSimpleAction *action;     /* win.model-a: the spec shown, "" for a name that is no spec */
  GSimpleAction *shown;      /* win.shown-model-a, disabled: the unlisted item's check */
  char          *spec;       /* the model of this window's: shown, and what Compute computes */
  char          *applied;    /* a value this picker wrote into the setting, until it arrives */
  gboolean       picking;    /* writing a user's pick into the setting */
  gboolean       from_result; /* the setting came from what is shown */
  char          *name;       /* shown instead of the setting (no spec), or NULL */
  char          *name_caption;
} Picker;

struct _BsWindowPickers
{
  BsWindow  *window;     /* owns this */
  GSettings *settings;
  Picker     pickers[2];
};

/* The settings are the application's, shared by its windows: while one
 * window's pickers write a value (a pick there, or what it shows), this
 * key of the settings object holds it, so that the other windows keep
 * their own models. A change from outside (dconf) is a choice in all. */
#define WRITING_KEY "bs-pickers-writing"

static void
picker_clear_shown (Picker *picker)
{
  picker->from_result = FALSE;
  g_clear_pointer (&picker->name, g_free);
  g_clear_pointer (&picker->name_caption, g_free);
}

/* What the picker shows: its name, and the caption under it (NULL: none). */
static char *
picker_text (BsWindowPickers *self,
             Picker          *picker,
             const char     **caption)
{
  *caption = NULL;
  if (picker->name != NULL)
    {
      *caption = picker->name_caption;
      return g_strdup (picker->name);
    }
  if (picker->from_result)
    /* Translators: under a model picker's name: the model is the one the
     * result on screen names, and the model menu does not list it. */
    *caption = _("from the result");
  return bs_model_catalog_display_name (picker->spec);
}

static void
update_picker (BsWindowPickers *self,
               Picker          *picker,
               gboolean         b)
{
  const char *spec = picker->spec;
  const char *caption;
  g_autofree char *text = picker_text (self, picker, &caption);
  g_autofree char *name = NULL;
  const char *state = picker->name != NULL ? "" : spec;
  g_autoptr(GVariant) current = g_action_get_state (G_ACTION (picker->action));

  gtk_label_set_label (picker->label, text);
  gtk_label_set_label (picker->caption, caption != NULL ? caption : "");
  gtk_widget_set_visible (GTK_WIDGET (picker->caption), caption != NULL);
  if (caption != NULL)
    gtk_widget_add_css_class (GTK_WIDGET (picker->button), "model-captioned");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (picker->button), "model-captioned");
  gtk_widget_set_tooltip_text (GTK_WIDGET (picker->button), picker->name != NULL ? picker->name : spec);
  /* For screen readers, the badge, the label and the caption as one name. */
  if (caption != NULL)
    /* Translators: a model picker's accessible name: the model's name, then
     * the caption under it ("from the result"). */
    name = g_strdup_printf (b ? _("Model B: %s, %s") : _("Model A: %s, %s"), text, caption);
  else
    name = g_strdup_printf (b ? _("Model B: %s") : _("Model A: %s"), text);
  bs_a11y_set_label (GTK_WIDGET (picker->button), name);
  if (g_strcmp0 (g_variant_get_string (current, NULL), state) != 0)
    g_simple_action_set_state (picker->action, g_variant_new_string (state));
}

/* The menu, with the model shown above the catalog when it lists it not. */
static void
build_menu (BsWindowPickers *self,
            Picker          *picker)
{
  g_autofree char *runs = bs_runs_get_dir ();
  g_autoptr(GPtrArray) checkpoints = bs_runs_find_checkpoints (runs, 200);
  g_autofree char *action = g_strconcat ("win.", picker->key, NULL);
  const char *target = picker == &self->pickers[1] ? "b" : "a";
  g_autoptr(GMenu) menu = bs_model_catalog_build_menu (action, "win.open-checkpoint", target, checkpoints);

  if (picker->name != NULL || !bs_model_catalog_lists (picker->spec, checkpoints))
    {
      g_autoptr(GMenu) section = g_menu_new ();
      g_autoptr(GMenuItem) item = NULL;
      g_autofree char *shown_action = g_strconcat ("win.shown-", picker->key, NULL);
      const char *caption;
      g_autofree char *text = picker_text (self, picker, &caption);
      const char *title = picker->name != NULL || picker->from_result
                          /* Translators: the model menu's section of the model the
                           * result on screen names, which the menu does not list. */
                          ? _("From the Result")
                          /* Translators: the model menu's section of the checkpoint
                           * chosen with Open Checkpoint…, which the menu does not list. */
                          : _("Chosen");

      item = g_menu_item_new (text, NULL);
      g_menu_item_set_action_and_target_value (item, shown_action, g_variant_new_string (SHOWN_TARGET));
      g_menu_append_item (section, item);
      g_menu_prepend_section (menu, title, G_MENU_MODEL (section));
    }
  gtk_menu_button_set_menu_model (picker->button, G_MENU_MODEL (menu));
}

/* Rebuilt each time, so checkpoints trained meanwhile appear. */
static void
create_popup (GtkMenuButton *button,
              gpointer       user_data)
{
  BsWindowPickers *self = user_data;

  build_menu (self, button == self->pickers[1].button ? &self->pickers[1] : &self->pickers[0]);
}

/* A user's pick from the menu (or a feature choosing for the user). */
static void
model_change_state (GSimpleAction *action,
                    GVariant      *value,
                    gpointer       user_data)
{
  BsWindowPickers *self = user_data;
  Picker *picker = action == self->pickers[1].action ? &self->pickers[1] : &self->pickers[0];
  g_autofree char *before = g_settings_get_string (self->settings, picker->key);
  const char *spec = g_variant_get_string (value, NULL);

  g_clear_pointer (&picker->applied, g_free);
  /* The item checked already: nothing changes, as before. */
  if (g_strcmp0 (picker->spec, spec) == 0 && picker->name == NULL && !picker->from_result)
    return;
  /* The window hears the change as a choice (bs_window_pickers_setting_changed),
   * the other windows as none of theirs. */
  picker->picking = TRUE;
  g_object_set_data (G_OBJECT (self->settings), WRITING_KEY, (gpointer) spec);
  if (g_strcmp0 (before, spec) != 0)
    g_settings_set_string (self->settings, picker->key, spec);
  else
    /* The setting has it already (another window's): no change for
     * GSettings, but one for this window, heard the same way. */
    g_signal_emit (self->settings, g_signal_lookup ("changed", G_TYPE_SETTINGS),
                   g_quark_from_static_string (picker->key), picker->key);
  g_object_set_data (G_OBJECT (self->settings), WRITING_KEY, NULL);
  picker->picking = FALSE;
}

gboolean
bs_window_pickers_setting_changed (BsWindowPickers *self,
                                   const char      *key)
{
  Picker *picker = g_str_equal (key, self->pickers[1].key) ? &self->pickers[1] : &self->pickers[0];
  g_autofree char *spec = g_settings_get_string (self->settings, picker->key);
  gboolean ours = picker->applied != NULL && g_str_equal (picker->applied, spec);
  const char *writing = g_object_get_data (G_OBJECT (self->settings), WRITING_KEY);

  g_clear_pointer (&picker->applied, g_free);
  if (ours)
    ;
  else if (!picker->picking && writing != NULL && g_str_equal (writing, spec))
    /* Another window's pickers, following what it shows or picked there:
     * this window keeps its own models. */
    return TRUE;
  else
    {
      /* A choice: here, in another window, or from outside. */
      picker_clear_shown (picker);
      g_free (picker->spec);
      picker->spec = g_steal_pointer (&spec);
    }
  update_picker (self, picker, picker == &self->pickers[1]);
  return ours;
}

/* Whether text names a model Compute could build: an architecture, or a
 * checkpoint (a path; whether the file is there is Compute's to say). */
static gboolean
is_spec (const char *text)
{
  BsModelSpec spec;

  if (text == NULL || text[0] == '\0' || !bs_model_spec_parse (text, &spec, NULL))
    return FALSE;
  bs_model_spec_clear (&spec);
  return TRUE;
}

static void
show_spec (BsWindowPickers *self,
           Picker          *picker,
           const char      *spec,
           gboolean         result)
{
  g_autofree char *runs = NULL;
  g_autoptr(GPtrArray) checkpoints = NULL;
  g_autofree char *before = NULL;

  picker_clear_shown (picker);
  if (!is_spec (spec))
    {
      /* The result names no model Compute could use ("3 networks" of a
       * seed comparison saved, a name of another program's): what its
       * axes say, the setting kept. */
      picker->name = bs_model_spec_display_name (spec);
      picker->name_caption = g_strdup (_("from the result"));
      return;
    }
  if (result)
    {
      runs = bs_runs_get_dir ();
      checkpoints = bs_runs_find_checkpoints (runs, 200);
    }
  picker->from_result = result && !bs_model_catalog_lists (spec, checkpoints);
  g_free (picker->spec);
  picker->spec = g_strdup (spec);
  /* Remembered for the next window and the next start, as a pick is. */
  before = g_settings_get_string (self->settings, picker->key);
  if (g_strcmp0 (before, spec) != 0)
    {
      g_free (picker->applied);
      picker->applied = g_strdup (spec);
      g_object_set_data (G_OBJECT (self->settings), WRITING_KEY, (gpointer) spec);
      g_settings_set_string (self->settings, picker->key, spec);
      g_object_set_data (G_OBJECT (self->settings), WRITING_KEY, NULL);
    }
}

void
bs_window_pickers_show_specs (BsWindowPickers *self,
                              const char      *spec_a,
                              const char      *spec_b,
                              gboolean         result)
{
  show_spec (self, &self->pickers[0], spec_a, result);
  show_spec (self, &self->pickers[1], spec_b, result);
  bs_window_pickers_update (self, FALSE);
}

void
bs_window_pickers_show_name (BsWindowPickers *self,
                             const char      *name,
                             const char      *caption)
{
  for (guint i = 0; i < 2; i++)
    {
      Picker *picker = &self->pickers[i];

      picker_clear_shown (picker);
      picker->name = g_strdup (name);
      picker->name_caption = g_strdup (caption);
    }
  bs_window_pickers_update (self, FALSE);
}

void
bs_window_pickers_update (BsWindowPickers *self,
                          gboolean         menus)
{
  for (guint i = 0; i < 2; i++)
    {
      update_picker (self, &self->pickers[i], i == 1);
      if (menus)
        build_menu (self, &self->pickers[i]);
    }
}

const char *
bs_window_pickers_get_spec (BsWindowPickers *self,
                            gboolean         b)
{
  return self->pickers[b ? 1 : 0].spec;
}

const char *
bs_window_pickers_get_text (BsWindowPickers *self,
                            gboolean         b)
{
  return gtk_label_get_label (self->pickers[b ? 1 : 0].label);
}

const char *
bs_window_pickers_get_caption (BsWindowPickers *self,
                               gboolean         b)
{
  GtkLabel *caption = self->pickers[b ? 1 : 0].caption;

  return gtk_widget_get_visible (GTK_WIDGET (caption)) ? gtk_label_get_label (caption) : NULL;
}

BsWindowPickers *
bs_window_pickers_new (BsWindow      *window,
                       GSettings     *settings,
                       GtkMenuButton *buttons[2],
                       GtkLabel      *labels[2],
                       GtkLabel      *captions[2])
{
  BsWindowPickers *self = g_new0 (BsWindowPickers, 1);
  static const char *keys[2] = { "model-a", "model-b" };

  self->window = window;
  self->settings = g_object_ref (settings);
  for (guint i = 0; i < 2; i++)
    {
      Picker *picker = &self->pickers[i];
      g_autofree char *spec = g_settings_get_string (settings, keys[i]);
      g_autofree char *shown_name = g_strconcat ("shown-", keys[i], NULL);

      picker->button = buttons[i];
      picker->label = labels[i];
      picker->caption = captions[i];
      picker->key = keys[i];
      picker->spec = g_strdup (spec);
      picker->action = g_simple_action_new_stateful (keys[i], G_VARIANT_TYPE_STRING, g_variant_new_string (spec));
      g_signal_connect (picker->action, "change-state", G_CALLBACK (model_change_state), self);
      g_action_map_add_action (G_ACTION_MAP (window), G_ACTION (picker->action));
      picker->shown = g_simple_action_new_stateful (shown_name, G_VARIANT_TYPE_STRING,
                                                    g_variant_new_string (SHOWN_TARGET));
      g_simple_action_set_enabled (picker->shown, FALSE);
      g_action_map_add_action (G_ACTION_MAP (window), G_ACTION (picker->shown));
      gtk_menu_button_set_create_popup_func (picker->button, create_popup, self, NULL);
    }
  /* The menus need a model before the first popup, or the buttons stay insensitive. */
  bs_window_pickers_update (self, TRUE);
  return self;
}

void
bs_window_pickers_free (BsWindowPickers *self)
{
  if (self == NULL)
    return;
  for (guint i = 0; i < 2; i++)
    {
      Picker *picker = &self->pickers[i];

      gtk_menu_button_set_create_popup_func (picker->button, NULL, NULL, NULL);
      g_signal_handlers_disconnect_by_data (picker->action, self);
      g_clear_object (&picker->action);
      g_clear_object (&picker->shown);
      g_free (picker->applied);
      g_free (picker->spec);
      picker_clear_shown (picker);
    }
  g_clear_object (&self->settings);
  g_free (self);
}
