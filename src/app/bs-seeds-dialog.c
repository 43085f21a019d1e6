/* bs-seeds-dialog.c: the networks to compare across seeds (see the header). */
#include "bs-config.h"

#include "bs-seeds-dialog.h"

#include <glib/gi18n.h>

#include "bs-a11y.h"
#include "bs-model-catalog.h"
#include "bs-model-spec.h"
#include "bs-number-format.h"
#include "bs-run.h"
#include "bs-runs.h"

struct _BsSeedsDialog
{
  AdwWindow             parent_instance;

  GtkListBox           *list;
  GPtrArray            *checks;      /* GtkCheckButton, in list order (borrowed) */
  GtkWidget            *compare_button;
  GtkLabel             *hint;
  GtkFileChooserNative *chooser;
};

G_DEFINE_FINAL_TYPE (BsSeedsDialog, bs_seeds_dialog, ADW_TYPE_WINDOW)

enum {
  COMPARE,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static guint
n_checked (BsSeedsDialog *self)
{
  guint n = 0;

  for (guint i = 0; i < self->checks->len; i++)
    n += gtk_check_button_get_active (g_ptr_array_index (self->checks, i));
  return n;
}

static void
update (BsSeedsDialog *self)
{
  guint n = n_checked (self);

  gtk_widget_set_sensitive (self->compare_button, n >= 2);
  if (n >= 2)
    {
      g_autofree char *count = bs_format_count (n);
      g_autofree char *pairs = bs_format_count ((guint64) n * (n - 1) / 2);
      g_autofree char *text = NULL;

      /* Translators: networks checked (two or more) and the CKA computations
       * they take, one per pair (numbers formatted). */
      text = g_strdup_printf (g_dngettext (NULL, "%s network: %s CKA computations, one per pair.",
                                           "%s networks: %s CKA computations, one per pair.", n),
                              count, pairs);
      gtk_label_set_label (self->hint, text);
    }
  else
    gtk_label_set_label (self->hint, _("Check two or more networks of one architecture, trained from different seeds."));
}

/* A row with a check box; spec (copied) and dataset (copied, may be NULL) go with it. */
static void
add_row (BsSeedsDialog *self,
         const char    *title,
         const char    *subtitle,
         const char    *spec,
         const char    *dataset,
         gboolean       active)
{
  GtkWidget *row = adw_action_row_new ();
  GtkWidget *check = gtk_check_button_new ();

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
  gtk_widget_set_tooltip_text (row, spec);
  gtk_widget_set_valign (check, GTK_ALIGN_CENTER);
  gtk_accessible_update_property (GTK_ACCESSIBLE (check), GTK_ACCESSIBLE_PROPERTY_LABEL, title, -1);
  adw_action_row_add_prefix (ADW_ACTION_ROW (row), check);
  adw_action_row_set_activatable_widget (ADW_ACTION_ROW (row), check);
  g_object_set_data_full (G_OBJECT (check), "bs-spec", g_strdup (spec), g_free);
  g_object_set_data_full (G_OBJECT (check), "bs-dataset", g_strdup (dataset), g_free);
  gtk_check_button_set_active (GTK_CHECK_BUTTON (check), active);
  g_signal_connect_swapped (check, "toggled", G_CALLBACK (update), self);
  gtk_list_box_append (self->list, row);
  g_ptr_array_add (self->checks, check);
  update (self);
}

static void
fill (BsSeedsDialog *self)
{
  g_autofree char *dir = bs_runs_get_dir ();
  g_autoptr(GPtrArray) runs = bs_runs_list (dir);

  for (guint i = 0; runs != NULL && i < runs->len; i++)
    {
      BsRun *run = g_ptr_array_index (runs, i);
      GArray *epochs = bs_run_get_checkpoint_epochs (run);
      g_autofree char *title = NULL;
      g_autofree char *path = NULL;
      g_autofree char *epoch = NULL;
      g_autofree char *seed = NULL;
      g_autofree char *subtitle = NULL;
      guint last;

      if (epochs == NULL || epochs->len == 0)
        continue;
      last = g_array_index (epochs, guint, epochs->len - 1);
      title = bs_model_catalog_describe_run (run);
      path = bs_run_get_checkpoint_path (run, last);
      epoch = bs_format_count (last);
      seed = g_strdup_printf ("%" G_GUINT64_FORMAT, bs_run_get_settings (run)->init_seed);
      /* Translators: a run in Compare Seeds: its initialisation seed and the epoch of its last checkpoint. */
      subtitle = g_strdup_printf (_("Seed %s · epoch %s"), seed, epoch);
      add_row (self, title, subtitle, path, bs_run_get_settings (run)->dataset, FALSE);
    }
}

void
bs_seeds_dialog_add_spec (BsSeedsDialog *self,
                          const char    *spec)
{
  g_autofree char *name = NULL;

  g_return_if_fail (BS_IS_SEEDS_DIALOG (self));
  name = bs_model_spec_display_name (spec);
  add_row (self, name, spec, spec, NULL, TRUE);
}

static void
on_chooser_response (GtkNativeDialog *dialog,
                     int              response,
                     BsSeedsDialog   *self)
{
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr(GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
      g_autofree char *path = file != NULL ? g_file_get_path (file) : NULL;

      if (path != NULL)
        bs_seeds_dialog_add_spec (self, path);
    }
  gtk_native_dialog_destroy (GTK_NATIVE_DIALOG (self->chooser));
  g_clear_object (&self->chooser);
}

static void
add_checkpoint_clicked (BsSeedsDialog *self)
{
  g_autoptr(GtkFileFilter) filter = gtk_file_filter_new ();

  if (self->chooser != NULL)
    return;
  self->chooser = gtk_file_chooser_native_new (_("Add Checkpoint"), GTK_WINDOW (self),
                                               GTK_FILE_CHOOSER_ACTION_OPEN, _("_Add"), _("_Cancel"));
  gtk_file_filter_set_name (filter, _("Checkpoints (.safetensors)"));
  gtk_file_filter_add_pattern (filter, "*.safetensors");
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (self->chooser), filter);
  g_signal_connect (self->chooser, "response", G_CALLBACK (on_chooser_response), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (self->chooser));
}

static void
compare_clicked (BsSeedsDialog *self)
{
  if (n_checked (self) >= 2)
    g_signal_emit (self, signals[COMPARE], 0);
}

char **
bs_seeds_dialog_get_specs (BsSeedsDialog *self)
{
  GStrvBuilder *builder = g_strv_builder_new ();
  char **specs;

  for (guint i = 0; i < self->checks->len; i++)
    if (gtk_check_button_get_active (g_ptr_array_index (self->checks, i)))
      g_strv_builder_add (builder, g_object_get_data (g_ptr_array_index (self->checks, i), "bs-spec"));
  specs = g_strv_builder_end (builder);
  g_strv_builder_unref (builder);
  return specs;
}

const char *
bs_seeds_dialog_get_dataset (BsSeedsDialog *self)
{
  for (guint i = 0; i < self->checks->len; i++)
    {
      GObject *check = g_ptr_array_index (self->checks, i);

      if (gtk_check_button_get_active (GTK_CHECK_BUTTON (check)) && g_object_get_data (check, "bs-dataset") != NULL)
        return g_object_get_data (check, "bs-dataset");
    }
  return NULL;
}

GtkCheckButton *
bs_seeds_dialog_get_check (BsSeedsDialog *self,
                           guint          i)
{
  g_return_val_if_fail (i < self->checks->len, NULL);
  return g_ptr_array_index (self->checks, i);
}

guint
bs_seeds_dialog_get_n_rows (BsSeedsDialog *self)
{
  return self->checks->len;
}

GtkWidget *
bs_seeds_dialog_get_compare_button (BsSeedsDialog *self)
{
  return self->compare_button;
}

static void
bs_seeds_dialog_dispose (GObject *object)
{
  BsSeedsDialog *self = BS_SEEDS_DIALOG (object);

  if (self->chooser != NULL)
    {
      gtk_native_dialog_destroy (GTK_NATIVE_DIALOG (self->chooser));
      g_clear_object (&self->chooser);
    }
  G_OBJECT_CLASS (bs_seeds_dialog_parent_class)->dispose (object);
}

static void
bs_seeds_dialog_finalize (GObject *object)
{
  BsSeedsDialog *self = BS_SEEDS_DIALOG (object);

  g_ptr_array_unref (self->checks);
  G_OBJECT_CLASS (bs_seeds_dialog_parent_class)->finalize (object);
}

static void
bs_seeds_dialog_class_init (BsSeedsDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = bs_seeds_dialog_dispose;
  object_class->finalize = bs_seeds_dialog_finalize;

  /* Compare was pressed with two or more networks checked. */
  signals[COMPARE] = g_signal_new ("compare", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                                   NULL, G_TYPE_NONE, 0);
}

static void
bs_seeds_dialog_init (BsSeedsDialog *self)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  GtkWidget *content = gtk_box_new (GTK_ORIENTATION_VERTICAL, 12);
  GtkWidget *header = adw_header_bar_new ();
  GtkWidget *cancel = gtk_button_new_with_mnemonic (_("_Cancel"));
  GtkWidget *add = gtk_button_new_with_mnemonic (_("_Add Checkpoint…"));
  GtkWidget *scrolled = gtk_scrolled_window_new ();
  GtkWidget *placeholder = gtk_label_new (_("No training runs yet: add checkpoints, or train runs of one recipe "
                                            "with different seeds."));

  self->checks = g_ptr_array_new ();
  gtk_window_set_title (GTK_WINDOW (self), _("Compare Seeds"));
  gtk_window_set_default_size (GTK_WINDOW (self), 520, 480);
  gtk_window_set_modal (GTK_WINDOW (self), TRUE);

  adw_header_bar_set_show_end_title_buttons (ADW_HEADER_BAR (header), FALSE);
  adw_header_bar_set_show_start_title_buttons (ADW_HEADER_BAR (header), FALSE);
  gtk_actionable_set_action_name (GTK_ACTIONABLE (cancel), "window.close");
  adw_header_bar_pack_start (ADW_HEADER_BAR (header), cancel);
  self->compare_button = gtk_button_new_with_mnemonic (_("C_ompare"));
  gtk_widget_add_css_class (self->compare_button, "suggested-action");
  g_signal_connect_swapped (self->compare_button, "clicked", G_CALLBACK (compare_clicked), self);
  adw_header_bar_pack_end (ADW_HEADER_BAR (header), self->compare_button);
  gtk_box_append (GTK_BOX (box), header);

  gtk_widget_set_margin_start (content, 12);
  gtk_widget_set_margin_end (content, 12);
  gtk_widget_set_margin_top (content, 12);
  gtk_widget_set_margin_bottom (content, 12);
  self->hint = GTK_LABEL (gtk_label_new (NULL));
  gtk_label_set_wrap (self->hint, TRUE);
  gtk_label_set_xalign (self->hint, 0);
  gtk_widget_add_css_class (GTK_WIDGET (self->hint), "dim-label");
  gtk_box_append (GTK_BOX (content), GTK_WIDGET (self->hint));

  self->list = GTK_LIST_BOX (gtk_list_box_new ());
  gtk_list_box_set_selection_mode (self->list, GTK_SELECTION_NONE);
  gtk_widget_add_css_class (GTK_WIDGET (self->list), "boxed-list");
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->list), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Networks to compare"), -1);
  gtk_label_set_wrap (GTK_LABEL (placeholder), TRUE);
  gtk_widget_add_css_class (placeholder, "dim-label");
  gtk_widget_set_margin_top (placeholder, 12);
  gtk_widget_set_margin_bottom (placeholder, 12);
  gtk_list_box_set_placeholder (self->list, placeholder);
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scrolled), GTK_WIDGET (self->list));
  gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (scrolled), GTK_POLICY_NEVER, GTK_POLICY_AUTOMATIC);
  gtk_widget_set_vexpand (scrolled, TRUE);
  gtk_box_append (GTK_BOX (content), scrolled);

  gtk_widget_set_halign (add, GTK_ALIGN_START);
  g_signal_connect_swapped (add, "clicked", G_CALLBACK (add_checkpoint_clicked), self);
  gtk_box_append (GTK_BOX (content), add);
  gtk_box_append (GTK_BOX (box), content);
  adw_window_set_content (ADW_WINDOW (self), box);

  fill (self);
  update (self);
  bs_a11y_fix_mnemonic_buttons (box);
}

BsSeedsDialog *
bs_seeds_dialog_new (GtkWindow *parent)
{
  return g_object_new (BS_TYPE_SEEDS_DIALOG, "transient-for", parent, NULL);
}
