/* bs-training-start-from.c: the training dialog's "Start from" rows (see the header). */
#include "bs-config.h"

#include "bs-training-start-from.h"

#include <glib/gi18n.h>

#include "bs-model-catalog.h"
#include "bs-runs.h"
#include "bs-training-init.h"

struct _BsStartFrom
{
  GtkWindow            *parent;
  BsStartFromChanged    changed;
  gpointer              user_data;

  char                 *model;
  char                 *dataset;

  GtkStringList        *choices;     /* "random", "weights" (the ImageNet weights), "file" */
  AdwComboRow          *row;
  AdwActionRow         *file_row;    /* the checkpoint file, with Choose… */
  AdwActionRow         *note_row;    /* what happens to the head, or why these weights cannot start the run */
  GtkWidget            *note_icon;
  char                 *file;        /* chosen with it, or NULL */
  GtkFileChooserNative *chooser;
  GCancellable         *checking;
  gboolean              ok;          /* the run may start: random, or the checkpoint fits */
  char                 *note;
};

static char *
choice_display_name (GtkStringObject *item)
{
  const char *key = gtk_string_object_get_string (item);

  if (g_str_equal (key, "weights"))
    return g_strdup (_("ImageNet weights"));
  if (g_str_equal (key, "file"))
    return g_strdup (_("Checkpoint file"));
  return g_strdup (_("Random initialisation"));
}

static const char *
selected_key (BsStartFrom *self)
{
  GtkStringObject *item = adw_combo_row_get_selected_item (self->row);

  return item != NULL ? gtk_string_object_get_string (item) : NULL;
}

char *
bs_start_from_get_checkpoint (BsStartFrom *self)
{
  const char *key = selected_key (self);

  if (g_strcmp0 (key, "weights") == 0 && self->model != NULL)
    return bs_model_catalog_weights_path (self->model);
  if (g_strcmp0 (key, "file") == 0 && self->file != NULL)
    return g_strdup (self->file);
  return NULL;
}

static void
set_note (BsStartFrom *self,
          const char  *note,
          gboolean     ok)
{
  g_free (self->note);
  self->note = g_strdup (note);
  self->ok = ok;
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->note_row), note != NULL ? note : "");
  gtk_widget_set_visible (GTK_WIDGET (self->note_row), note != NULL);
  /* Refused: the row in the theme's error colour, with a warning sign that
   * does not rely on the colour. */
  if (ok)
    gtk_widget_remove_css_class (GTK_WIDGET (self->note_row), "error");
  else
    gtk_widget_add_css_class (GTK_WIDGET (self->note_row), "error");
  gtk_widget_set_visible (self->note_icon, !ok);
  self->changed (self->user_data);
}

static void
on_checked (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *note = bs_training_init_check_finish (result, &error);
  BsStartFrom *self;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;   /* a newer choice, or the dialog is gone */
  self = user_data;
  g_clear_object (&self->checking);
  if (note != NULL)
    set_note (self, note, TRUE);
  else
    {
      /* Translators: why a checkpoint cannot start the run (a sentence). */
      g_autofree char *why = g_strdup_printf (_("Cannot start from these weights: %s"), error->message);

      set_note (self, why, FALSE);
    }
}

/* Checks the choice against the network and the data set, on a thread:
 * the run waits for the answer. */
static void
update (BsStartFrom *self)
{
  const char *key = selected_key (self);
  g_autofree char *checkpoint = bs_start_from_get_checkpoint (self);

  if (self->checking != NULL)
    g_cancellable_cancel (self->checking);
  g_clear_object (&self->checking);
  gtk_widget_set_visible (GTK_WIDGET (self->file_row), g_strcmp0 (key, "file") == 0);
  adw_action_row_set_subtitle (self->file_row, self->file != NULL ? self->file : _("None chosen yet"));
  if (g_strcmp0 (key, "file") == 0 && self->file == NULL)
    {
      set_note (self, _("Choose the checkpoint whose weights start the run."), FALSE);
      return;
    }
  if (checkpoint == NULL || self->model == NULL || self->dataset == NULL)
    {
      set_note (self, NULL, checkpoint == NULL);
      return;
    }
  set_note (self, _("Reading the checkpoint…"), FALSE);
  self->checking = g_cancellable_new ();
  bs_training_init_check_async (checkpoint, self->model, self->dataset, self->checking, on_checked, self);
}

static void on_selected (BsStartFrom *self);

/* The choices the network has: its ImageNet weights only when they are there. */
static void
fill_choices (BsStartFrom *self,
              const char  *wanted)
{
  g_autofree char *weights = self->model != NULL && bs_model_catalog_weights_download_size (self->model) > 0
                             ? bs_model_catalog_weights_path (self->model) : NULL;
  g_autofree char *keep = g_strdup (wanted != NULL ? wanted : selected_key (self));
  const char *keys[4] = { "random", NULL, NULL, NULL };
  guint n = 1, selected = 0;

  if (weights != NULL && g_file_test (weights, G_FILE_TEST_IS_REGULAR))
    keys[n++] = "weights";
  keys[n++] = "file";
  g_signal_handlers_block_by_func (self->row, on_selected, self);
  gtk_string_list_splice (self->choices, 0, g_list_model_get_n_items (G_LIST_MODEL (self->choices)), keys);
  for (guint i = 0; i < n; i++)
    if (g_strcmp0 (keys[i], keep) == 0)
      selected = i;
  adw_combo_row_set_selected (self->row, selected);
  g_signal_handlers_unblock_by_func (self->row, on_selected, self);
  update (self);
}

static void
on_chooser_response (GtkNativeDialog *dialog,
                     int              response,
                     BsStartFrom     *self)
{
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr(GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
      char *path = file != NULL ? g_file_get_path (file) : NULL;

      if (path != NULL)
        {
          g_free (self->file);
          self->file = path;
        }
    }
  g_clear_object (&self->chooser);
  update (self);
}

static void
on_choose_clicked (GtkButton   *button,
                   BsStartFrom *self)
{
  g_autoptr(GtkFileFilter) filter = gtk_file_filter_new ();
  g_autofree char *runs = bs_runs_get_dir ();

  if (self->chooser != NULL)
    return;
  self->chooser = gtk_file_chooser_native_new (_("Start from a Checkpoint"), self->parent,
                                               GTK_FILE_CHOOSER_ACTION_OPEN, _("_Choose"), _("_Cancel"));
  gtk_file_filter_set_name (filter, _("Checkpoints (safetensors)"));
  gtk_file_filter_add_pattern (filter, "*.safetensors");
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (self->chooser), filter);
  if (g_file_test (runs, G_FILE_TEST_IS_DIR))
    {
      g_autoptr(GFile) folder = g_file_new_for_path (runs);

      gtk_file_chooser_set_current_folder (GTK_FILE_CHOOSER (self->chooser), folder, NULL);
    }
  g_signal_connect (self->chooser, "response", G_CALLBACK (on_chooser_response), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (self->chooser));
}

static void
on_selected (BsStartFrom *self)
{
  /* A checkpoint file, none chosen yet: the chooser at once. */
  if (g_strcmp0 (selected_key (self), "file") == 0 && self->file == NULL)
    on_choose_clicked (NULL, self);
  update (self);
}

BsStartFrom *
bs_start_from_new (AdwPreferencesGroup *group,
                   GtkWindow           *parent,
                   BsStartFromChanged   changed,
                   gpointer             user_data)
{
  BsStartFrom *self = g_new0 (BsStartFrom, 1);
  GtkWidget *choose = gtk_button_new_with_mnemonic (_("C_hoose…"));

  self->parent = parent;
  self->changed = changed;
  self->user_data = user_data;
  self->ok = TRUE;

  self->choices = gtk_string_list_new (NULL);
  self->row = ADW_COMBO_ROW (adw_combo_row_new ());
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->row), _("Start _from"));
  adw_preferences_row_set_use_underline (ADW_PREFERENCES_ROW (self->row), TRUE);
  adw_combo_row_set_expression (self->row, gtk_cclosure_expression_new (G_TYPE_STRING, NULL, 0, NULL,
                                                                        G_CALLBACK (choice_display_name),
                                                                        NULL, NULL));
  adw_combo_row_set_model (self->row, G_LIST_MODEL (self->choices));
  adw_preferences_group_add (group, GTK_WIDGET (self->row));

  self->file_row = ADW_ACTION_ROW (adw_action_row_new ());
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->file_row), _("Checkpoint"));
  adw_action_row_set_subtitle_lines (self->file_row, 0);
  gtk_widget_set_valign (choose, GTK_ALIGN_CENTER);
  gtk_widget_set_tooltip_text (choose, _("Choose the checkpoint whose weights start the run"));
  g_signal_connect (choose, "clicked", G_CALLBACK (on_choose_clicked), self);
  adw_action_row_add_suffix (self->file_row, choose);
  adw_action_row_set_activatable_widget (self->file_row, choose);
  adw_preferences_group_add (group, GTK_WIDGET (self->file_row));

  self->note_row = ADW_ACTION_ROW (adw_action_row_new ());
  adw_action_row_set_title_lines (self->note_row, 0);
  gtk_widget_add_css_class (GTK_WIDGET (self->note_row), "caption");
  self->note_icon = gtk_image_new_from_icon_name ("dialog-warning-symbolic");
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->note_icon), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Warning"), -1);
  adw_action_row_add_prefix (self->note_row, self->note_icon);
  gtk_widget_set_visible (GTK_WIDGET (self->note_row), FALSE);
  adw_preferences_group_add (group, GTK_WIDGET (self->note_row));

  g_signal_connect_swapped (self->row, "notify::selected", G_CALLBACK (on_selected), self);
  return self;
}

void
bs_start_from_free (BsStartFrom *self)
{
  if (self == NULL)
    return;
  if (self->checking != NULL)
    g_cancellable_cancel (self->checking);
  g_clear_object (&self->checking);
  if (self->chooser != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->chooser, self);
      gtk_native_dialog_destroy (GTK_NATIVE_DIALOG (self->chooser));
      g_clear_object (&self->chooser);
    }
  g_signal_handlers_disconnect_by_data (self->row, self);
  g_clear_object (&self->choices);
  g_free (self->model);
  g_free (self->dataset);
  g_free (self->file);
  g_free (self->note);
  g_free (self);
}

void
bs_start_from_set_target (BsStartFrom *self,
                          const char  *model,
                          const char  *dataset)
{
  gboolean model_changed = g_strcmp0 (model, self->model) != 0;

  if (!model_changed && g_strcmp0 (dataset, self->dataset) == 0)
    return;
  g_free (self->model);
  self->model = g_strdup (model);
  g_free (self->dataset);
  self->dataset = g_strdup (dataset);
  if (model_changed)
    fill_choices (self, NULL);
  else
    update (self);
}

void
bs_start_from_set_checkpoint (BsStartFrom *self,
                              const char  *model,
                              const char  *checkpoint)
{
  g_autofree char *weights = model != NULL && bs_model_catalog_weights_download_size (model) > 0
                             ? bs_model_catalog_weights_path (model) : NULL;
  const char *key = "random";

  g_free (self->model);
  self->model = g_strdup (model);
  g_clear_pointer (&self->file, g_free);
  if (checkpoint != NULL && g_strcmp0 (checkpoint, weights) == 0)
    key = "weights";
  else if (checkpoint != NULL)
    {
      key = "file";
      self->file = g_strdup (checkpoint);
    }
  fill_choices (self, key);
}

void
bs_start_from_choose_file (BsStartFrom *self,
                           const char  *path)
{
  guint file = g_list_model_get_n_items (G_LIST_MODEL (self->choices)) - 1;   /* always last */

  g_free (self->file);
  self->file = g_strdup (path);
  if (adw_combo_row_get_selected (self->row) != file)
    adw_combo_row_set_selected (self->row, file);
  else
    update (self);
}

const char *
bs_start_from_get_note (BsStartFrom *self,
                        gboolean    *ok,
                        gboolean    *checking)
{
  if (ok != NULL)
    *ok = self->ok;
  if (checking != NULL)
    *checking = self->checking != NULL;
  return self->note;
}
