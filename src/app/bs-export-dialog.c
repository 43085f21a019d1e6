/* bs-export-dialog.c: a figure for a paper, its options and a live preview (see the header). */
#include "bs-config.h"

#include "bs-export-dialog.h"

#include <glib/gi18n.h>
#include <math.h>

#include "bs-a11y.h"
#include "bs-blocks.h"
#include "bs-colormap.h"
#include "bs-model-spec.h"

#define PREVIEW_PAD 16

typedef struct {
  BsCkaSnapshot *snapshot;
  AdwEntryRow   *title;
  GtkWidget     *row;
} Panel;

struct _BsExportDialog
{
  AdwWindow        parent_instance;

  GPtrArray       *panels;          /* Panel */
  char            *title_text;      /* the options' title, while they are out */

  AdwToastOverlay *toasts;
  AdwWindowTitle  *window_title;    /* its subtitle: the page size, or why nothing can be drawn */
  GtkDrawingArea  *preview;
  GtkWidget       *export_button;
  GtkWidget       *copy_button;
  AdwComboRow     *width_row;
  GtkWidget       *custom_width_row;
  GtkSpinButton   *custom_width;
  GtkSpinButton   *font_size;
  GtkSpinButton   *dpi;
  AdwEntryRow     *title_row;
  AdwComboRow     *colormap_row;
  AdwComboRow     *range_row;
  GtkWidget       *mask_row;
  GtkSwitch       *mask;
  GtkSwitch       *uncertain;
  GtkSpinButton   *threshold;
  GtkSwitch       *stage_lines;
  GtkWidget       *pc1_row;
  GtkSwitch       *pc1_strips;
  GtkWidget       *blocks_row;
  GtkSwitch       *blocks;
  GtkSpinButton   *block_threshold;
  GtkSpinButton   *columns;
  GtkListBox      *panel_list;

  GtkFileChooserNative *chooser;
  GCancellable    *cancellable;
};

G_DEFINE_FINAL_TYPE (BsExportDialog, bs_export_dialog, ADW_TYPE_WINDOW)

static void
panel_free (gpointer data)
{
  Panel *panel = data;

  bs_cka_snapshot_unref (panel->snapshot);
  g_free (panel);
}

static gboolean
all_square (BsExportDialog *self)
{
  for (guint i = 0; i < self->panels->len; i++)
    {
      Panel *panel = g_ptr_array_index (self->panels, i);

      if (bs_cka_snapshot_get_n_rows (panel->snapshot) != bs_cka_snapshot_get_n_cols (panel->snapshot))
        return FALSE;
    }
  return self->panels->len > 0;
}

/* Whether every panel carries its layers' PC1 shares (for the strips). */
static gboolean
all_have_pc1 (BsExportDialog *self)
{
  for (guint i = 0; i < self->panels->len; i++)
    {
      Panel *panel = g_ptr_array_index (self->panels, i);

      if (!bs_cka_snapshot_has_pc1_shares (panel->snapshot))
        return FALSE;
    }
  return self->panels->len > 0;
}

/* Whether some panel is a network against itself (blocks to outline). */
static gboolean
any_self (BsExportDialog *self)
{
  for (guint i = 0; i < self->panels->len; i++)
    {
      Panel *panel = g_ptr_array_index (self->panels, i);

      if (bs_cka_snapshot_get_n_rows (panel->snapshot) == bs_cka_snapshot_get_n_cols (panel->snapshot) &&
          g_strcmp0 (bs_cka_snapshot_get_model_a (panel->snapshot), bs_cka_snapshot_get_model_b (panel->snapshot)) == 0)
        return TRUE;
    }
  return FALSE;
}

void
bs_export_dialog_get_options (BsExportDialog        *self,
                              BsFigureExportOptions *options)
{
  const char *title = gtk_editable_get_text (GTK_EDITABLE (self->title_row));
  guint width = adw_combo_row_get_selected (self->width_row);

  bs_figure_export_options_init (options);
  options->width_pt = width == 0 ? BS_FIGURE_WIDTH_SINGLE_PT
                      : width == 1 ? BS_FIGURE_WIDTH_DOUBLE_PT
                      : 72 * gtk_spin_button_get_value (self->custom_width);
  options->font_size_pt = gtk_spin_button_get_value (self->font_size);
  options->dpi = gtk_spin_button_get_value (self->dpi);
  g_free (self->title_text);
  self->title_text = title[0] != '\0' ? g_strdup (title) : NULL;
  options->title = self->title_text;
  options->colormap = (BsColormap) MIN (adw_combo_row_get_selected (self->colormap_row), BS_N_COLORMAPS - 1);
  options->range = adw_combo_row_get_selected (self->range_row) == 1 ? BS_FIGURE_RANGE_DATA : BS_FIGURE_RANGE_FIXED;
  options->mask_upper = gtk_switch_get_active (self->mask) && all_square (self);
  options->std_error_threshold = gtk_switch_get_active (self->uncertain) ? gtk_spin_button_get_value (self->threshold)
                                                                          : NAN;
  options->stage_lines = gtk_switch_get_active (self->stage_lines);
  options->pc1_strips = gtk_switch_get_active (self->pc1_strips) && all_have_pc1 (self);
  options->blocks = gtk_switch_get_active (self->blocks);
  options->block_threshold = gtk_spin_button_get_value (self->block_threshold);
  options->columns = (guint) gtk_spin_button_get_value (self->columns);
  /* The colour bar says what the first panel measures (the window adds
   * the matrix it shows: View › Measure). */
  if (self->panels->len > 0)
    {
      Panel *first = g_ptr_array_index (self->panels, 0);

      options->measure = bs_cka_snapshot_get_label (first->snapshot);
    }
}

/* The panels as the figure takes them (snapshots borrowed from the dialog,
 * titles from the rows). */
static GArray *
figure_panels (BsExportDialog *self)
{
  GArray *panels = g_array_new (FALSE, TRUE, sizeof (BsFigurePanel));

  for (guint i = 0; i < self->panels->len; i++)
    {
      Panel *panel = g_ptr_array_index (self->panels, i);
      const char *title = gtk_editable_get_text (GTK_EDITABLE (panel->title));
      BsFigurePanel p = { .snapshot = panel->snapshot, .title = title[0] != '\0' ? title : NULL };

      g_array_append_val (panels, p);
    }
  return panels;
}

/* The window's subtitle says the page size, or what keeps the figure from
 * being drawn; Export and Copy only work on a figure that can be. */
static void
update (BsExportDialog *self)
{
  g_autoptr(GArray) panels = figure_panels (self);
  g_autoptr(GError) error = NULL;
  BsFigureExportOptions options;
  gboolean ok;

  bs_export_dialog_get_options (self, &options);
  gtk_widget_set_sensitive (self->custom_width_row, adw_combo_row_get_selected (self->width_row) == 2);
  gtk_widget_set_sensitive (self->mask_row, all_square (self));
  gtk_widget_set_sensitive (GTK_WIDGET (self->threshold), gtk_switch_get_active (self->uncertain));
  gtk_widget_set_sensitive (self->pc1_row, all_have_pc1 (self));
  gtk_widget_set_sensitive (self->blocks_row, any_self (self));
  gtk_widget_set_sensitive (GTK_WIDGET (self->block_threshold), gtk_switch_get_active (self->blocks) && any_self (self));
  gtk_spin_button_set_range (self->columns, 1, MAX (self->panels->len, 1));

  ok = bs_figure_export_check ((BsFigurePanel *) panels->data, panels->len, &options, &error);
  if (ok)
    {
      double w, h;
      g_autofree char *size = NULL;

      bs_figure_export_get_size ((BsFigurePanel *) panels->data, panels->len, &options, &w, &h);
      /* Translators: the page of the figure in inches and millimetres. */
      size = g_strdup_printf (_("%.2f × %.2f in (%.0f × %.0f mm)"), w / 72, h / 72, w / 72 * 25.4, h / 72 * 25.4);
      adw_window_title_set_subtitle (self->window_title, size);
    }
  else
    adw_window_title_set_subtitle (self->window_title, error->message);
  gtk_widget_set_sensitive (self->export_button, ok);
  gtk_widget_set_sensitive (self->copy_button, ok);
  bs_a11y_set_description (GTK_WIDGET (self->preview), adw_window_title_get_subtitle (self->window_title));
  gtk_widget_queue_draw (GTK_WIDGET (self->preview));
}

static void
draw_preview (GtkDrawingArea *area,
              cairo_t        *cr,
              int             width,
              int             height,
              gpointer        user_data)
{
  BsExportDialog *self = user_data;
  g_autoptr(GArray) panels = figure_panels (self);
  BsFigureExportOptions options;
  double w, h, scale;

  bs_export_dialog_get_options (self, &options);
  if (!bs_figure_export_check ((BsFigurePanel *) panels->data, panels->len, &options, NULL))
    return;
  bs_figure_export_get_size ((BsFigurePanel *) panels->data, panels->len, &options, &w, &h);
  scale = MIN ((width - 2.0 * PREVIEW_PAD) / w, (height - 2.0 * PREVIEW_PAD) / h);
  if (!(scale > 0))
    return;

  /* The page, centred, with a shadow as a sheet of paper has. */
  cairo_translate (cr, round ((width - w * scale) / 2), round ((height - h * scale) / 2));
  cairo_set_source_rgba (cr, 0, 0, 0, 0.18);
  cairo_rectangle (cr, 2, 3, w * scale, h * scale);
  cairo_fill (cr);
  cairo_scale (cr, scale, scale);
  bs_figure_export_draw ((BsFigurePanel *) panels->data, panels->len, &options, cr);
}

/* ---------------------------------------------------------------- export */

typedef struct {
  GPtrArray             *snapshots;   /* BsCkaSnapshot, owned */
  GStrv                  titles;      /* one per snapshot, "" for none */
  BsFigureExportOptions  options;
  char                  *title;       /* options.title */
  char                  *path;
  BsFigureFormat         format;
} ExportJob;

static void
export_job_free (gpointer data)
{
  ExportJob *job = data;

  g_ptr_array_unref (job->snapshots);
  g_strfreev (job->titles);
  g_free (job->title);
  g_free (job->path);
  g_free (job);
}

static void
export_thread (GTask        *task,
               gpointer      source,
               gpointer      task_data,
               GCancellable *cancellable)
{
  ExportJob *job = task_data;
  g_autoptr(GArray) panels = g_array_new (FALSE, TRUE, sizeof (BsFigurePanel));
  GError *error = NULL;

  for (guint i = 0; i < job->snapshots->len; i++)
    {
      BsFigurePanel panel = {
        .snapshot = g_ptr_array_index (job->snapshots, i),
        .title = job->titles[i][0] != '\0' ? job->titles[i] : NULL,
      };

      g_array_append_val (panels, panel);
    }
  if (bs_figure_export ((BsFigurePanel *) panels->data, panels->len, &job->options, job->format, job->path, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

void
bs_export_dialog_export_to_file (BsExportDialog      *self,
                                 GFile               *file,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
  g_autoptr(GError) error = NULL;
  ExportJob *job = g_new0 (ExportJob, 1);
  GPtrArray *titles = g_ptr_array_new ();

  g_task_set_source_tag (task, bs_export_dialog_export_to_file);
  job->snapshots = g_ptr_array_new_with_free_func ((GDestroyNotify) bs_cka_snapshot_unref);
  for (guint i = 0; i < self->panels->len; i++)
    {
      Panel *panel = g_ptr_array_index (self->panels, i);

      g_ptr_array_add (job->snapshots, bs_cka_snapshot_ref (panel->snapshot));
      g_ptr_array_add (titles, g_strdup (gtk_editable_get_text (GTK_EDITABLE (panel->title))));
    }
  g_ptr_array_add (titles, NULL);
  job->titles = (GStrv) g_ptr_array_free (titles, FALSE);
  bs_export_dialog_get_options (self, &job->options);
  job->title = g_strdup (job->options.title);
  job->options.title = job->title;

  job->path = g_file_get_path (file);
  g_task_set_task_data (task, job, export_job_free);

  if (job->path == NULL)
    {
      g_autofree char *uri = g_file_get_uri (file);

      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                               /* Translators: %s is where the user chose to save. */
                               _("Cannot save to %s: choose a folder on this computer"), uri);
      return;
    }
  if (!bs_figure_format_from_path (job->path, &job->format, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  g_task_run_in_thread (task, export_thread);
}

gboolean
bs_export_dialog_export_to_file_finish (BsExportDialog  *self,
                                        GAsyncResult    *result,
                                        GError         **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
show_error (BsExportDialog *self,
            const char     *heading,
            const GError   *error)
{
  AdwMessageDialog *dialog = ADW_MESSAGE_DIALOG (adw_message_dialog_new (GTK_WINDOW (self), heading, error->message));

  adw_message_dialog_add_response (dialog, "close", _("_Close"));
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
exported (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  BsExportDialog *self = BS_EXPORT_DIALOG (source);
  g_autoptr(GError) error = NULL;
  GTask *task = G_TASK (result);
  ExportJob *job = g_task_get_task_data (task);

  gtk_widget_set_sensitive (self->export_button, TRUE);
  if (!bs_export_dialog_export_to_file_finish (self, result, &error))
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        show_error (self, _("Could Not Export the Figure"), error);
      return;
    }
  {
    g_autofree char *name = g_path_get_basename (job->path);
    /* Translators: %s is a file name. */
    g_autofree char *text = g_strdup_printf (_("Figure saved as “%s”"), name);

    adw_toast_overlay_add_toast (self->toasts, adw_toast_new (text));
  }
}

static void
chooser_response (GtkNativeDialog *chooser,
                  int              response,
                  gpointer         user_data)
{
  BsExportDialog *self = user_data;

  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr(GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser));

      gtk_widget_set_sensitive (self->export_button, FALSE);
      bs_export_dialog_export_to_file (self, file, self->cancellable, exported, NULL);
    }
  g_clear_object (&self->chooser);
}

static void
add_filter (GtkFileChooser *chooser,
            const char     *name,
            const char     *pattern)
{
  g_autoptr(GtkFileFilter) filter = gtk_file_filter_new ();

  gtk_file_filter_set_name (filter, name);
  gtk_file_filter_add_pattern (filter, pattern);
  gtk_file_chooser_add_filter (chooser, filter);
}

static void
export_clicked (BsExportDialog *self)
{
  if (self->chooser != NULL)
    return;
  self->chooser = gtk_file_chooser_native_new (_("Export Figure"), GTK_WINDOW (self), GTK_FILE_CHOOSER_ACTION_SAVE,
                                               _("_Export"), _("_Cancel"));
  add_filter (GTK_FILE_CHOOSER (self->chooser), _("PDF (vector, for papers)"), "*.pdf");
  add_filter (GTK_FILE_CHOOSER (self->chooser), _("SVG (vector, editable)"), "*.svg");
  add_filter (GTK_FILE_CHOOSER (self->chooser), _("PNG (image)"), "*.png");
  /* Translators: the suggested file name of an exported figure; keep the extension. */
  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (self->chooser), _("cka-figure.pdf"));
  g_signal_connect (self->chooser, "response", G_CALLBACK (chooser_response), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (self->chooser));
}

gboolean
bs_export_dialog_copy (BsExportDialog  *self,
                       GError         **error)
{
  g_autoptr(GArray) panels = figure_panels (self);
  g_autoptr(GBytes) png = NULL;
  g_autoptr(GdkTexture) texture = NULL;
  BsFigureExportOptions options;

  bs_export_dialog_get_options (self, &options);
  png = bs_figure_export_png_bytes ((BsFigurePanel *) panels->data, panels->len, &options, error);
  if (png == NULL)
    return FALSE;
  texture = gdk_texture_new_from_bytes (png, error);
  if (texture == NULL)
    return FALSE;
  gdk_clipboard_set_texture (gtk_widget_get_clipboard (GTK_WIDGET (self)), texture);
  return TRUE;
}

static void
copy_clicked (BsExportDialog *self)
{
  g_autoptr(GError) error = NULL;

  if (bs_export_dialog_copy (self, &error))
    adw_toast_overlay_add_toast (self->toasts, adw_toast_new (_("Figure copied")));
  else
    show_error (self, _("Could Not Copy the Figure"), error);
}

/* ---------------------------------------------------------------- rows */

static GtkSpinButton *
add_spin_row (BsExportDialog      *self,
              AdwPreferencesGroup *group,
              const char          *title,
              const char          *subtitle,
              double               lo,
              double               hi,
              double               step,
              double               value,
              guint                digits,
              GtkWidget          **row_out)
{
  GtkWidget *row = adw_action_row_new ();
  GtkWidget *spin = gtk_spin_button_new_with_range (lo, hi, step);

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  if (subtitle != NULL)
    adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
  gtk_spin_button_set_digits (GTK_SPIN_BUTTON (spin), digits);
  gtk_spin_button_set_value (GTK_SPIN_BUTTON (spin), value);
  gtk_widget_set_valign (spin, GTK_ALIGN_CENTER);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), spin);
  adw_action_row_set_activatable_widget (ADW_ACTION_ROW (row), spin);
  bs_a11y_set_label (spin, title);
  g_signal_connect_swapped (spin, "value-changed", G_CALLBACK (update), self);
  adw_preferences_group_add (group, row);
  if (row_out != NULL)
    *row_out = row;
  return GTK_SPIN_BUTTON (spin);
}

static GtkSwitch *
add_switch_row (BsExportDialog      *self,
                AdwPreferencesGroup *group,
                const char          *title,
                const char          *subtitle,
                GtkWidget          **row_out)
{
  GtkWidget *row = adw_action_row_new ();
  GtkWidget *toggle = gtk_switch_new ();

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  if (subtitle != NULL)
    adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
  gtk_widget_set_valign (toggle, GTK_ALIGN_CENTER);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), toggle);
  adw_action_row_set_activatable_widget (ADW_ACTION_ROW (row), toggle);
  bs_a11y_set_label (toggle, title);
  g_signal_connect_swapped (toggle, "notify::active", G_CALLBACK (update), self);
  adw_preferences_group_add (group, row);
  if (row_out != NULL)
    *row_out = row;
  return GTK_SWITCH (toggle);
}

static AdwComboRow *
add_combo_row (BsExportDialog      *self,
               AdwPreferencesGroup *group,
               const char          *title,
               const char * const  *items)
{
  GtkWidget *row = adw_combo_row_new ();
  g_autoptr(GtkStringList) model = gtk_string_list_new (items);

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  adw_combo_row_set_model (ADW_COMBO_ROW (row), G_LIST_MODEL (model));
  g_signal_connect_swapped (row, "notify::selected", G_CALLBACK (update), self);
  adw_preferences_group_add (group, row);
  return ADW_COMBO_ROW (row);
}

static void
remove_panel (GtkButton *button,
              gpointer   user_data)
{
  BsExportDialog *self = user_data;
  GtkWidget *row = g_object_get_data (G_OBJECT (button), "bs-panel-row");

  for (guint i = 0; i < self->panels->len; i++)
    {
      Panel *panel = g_ptr_array_index (self->panels, i);

      if (panel->row == row)
        {
          gtk_list_box_remove (self->panel_list, row);
          g_ptr_array_remove_index (self->panels, i);
          break;
        }
    }
  update (self);
}

void
bs_export_dialog_add_panel (BsExportDialog *self,
                            BsCkaSnapshot  *snapshot,
                            const char     *title)
{
  Panel *panel = g_new0 (Panel, 1);
  GtkWidget *remove = gtk_button_new_from_icon_name ("user-trash-symbolic");
  g_autofree char *a = bs_model_spec_display_name (bs_cka_snapshot_get_model_a (snapshot));
  g_autofree char *b = bs_model_spec_display_name (bs_cka_snapshot_get_model_b (snapshot));
  /* Translators: a panel of the figure: model A against model B. */
  g_autofree char *what = g_strdup_printf (_("%s against %s"), a, b);
  guint columns = (guint) gtk_spin_button_get_value (self->columns);
  gboolean one_row = columns >= self->panels->len;

  g_return_if_fail (BS_IS_EXPORT_DIALOG (self));

  panel->snapshot = bs_cka_snapshot_ref (snapshot);
  panel->title = ADW_ENTRY_ROW (adw_entry_row_new ());
  panel->row = GTK_WIDGET (panel->title);
  /* The row's title says which matrix it is; its text is the panel's title. */
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (panel->title), what);
  if (title != NULL)
    gtk_editable_set_text (GTK_EDITABLE (panel->title), title);
  gtk_widget_set_valign (remove, GTK_ALIGN_CENTER);
  gtk_widget_add_css_class (remove, "flat");
  gtk_widget_set_tooltip_text (remove, _("Remove Panel"));
  g_object_set_data (G_OBJECT (remove), "bs-panel-row", panel->row);
  g_signal_connect (remove, "clicked", G_CALLBACK (remove_panel), self);
  adw_entry_row_add_suffix (panel->title, remove);
  g_signal_connect_swapped (panel->title, "changed", G_CALLBACK (update), self);
  g_ptr_array_add (self->panels, panel);
  gtk_list_box_append (self->panel_list, panel->row);

  /* Panels stay in one row until the user picks columns. */
  gtk_spin_button_set_range (self->columns, 1, self->panels->len);
  if (one_row)
    gtk_spin_button_set_value (self->columns, self->panels->len);
  update (self);
}

void
bs_export_dialog_set_look (BsExportDialog *self,
                           BsColormap      colormap,
                           gboolean        data_range)
{
  g_return_if_fail (BS_IS_EXPORT_DIALOG (self));

  adw_combo_row_set_selected (self->colormap_row, (guint) colormap);
  adw_combo_row_set_selected (self->range_row, data_range ? 1 : 0);
}

void
bs_export_dialog_set_analyses (BsExportDialog *self,
                               gboolean        pc1_strips,
                               gboolean        blocks,
                               double          block_threshold)
{
  g_return_if_fail (BS_IS_EXPORT_DIALOG (self));

  gtk_switch_set_active (self->pc1_strips, pc1_strips);
  gtk_switch_set_active (self->blocks, blocks);
  gtk_spin_button_set_value (self->block_threshold, block_threshold);
}

guint
bs_export_dialog_get_n_panels (BsExportDialog *self)
{
  return self->panels->len;
}

/* ---------------------------------------------------------------- object */

static void
bs_export_dialog_dispose (GObject *object)
{
  BsExportDialog *self = BS_EXPORT_DIALOG (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->chooser);
  G_OBJECT_CLASS (bs_export_dialog_parent_class)->dispose (object);
}

static void
bs_export_dialog_finalize (GObject *object)
{
  BsExportDialog *self = BS_EXPORT_DIALOG (object);

  g_ptr_array_unref (self->panels);
  g_free (self->title_text);
  g_clear_object (&self->cancellable);
  G_OBJECT_CLASS (bs_export_dialog_parent_class)->finalize (object);
}

static void
bs_export_dialog_class_init (BsExportDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = bs_export_dialog_dispose;
  object_class->finalize = bs_export_dialog_finalize;
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
bs_export_dialog_init (BsExportDialog *self)
{
  static const char *widths[] = { N_("One Column (3.5 in)"), N_("Two Columns (7 in)"),
                                  N_("Custom"), NULL };
  static const char *ranges[] = { N_("0 to 1"), N_("The Data's Range"), NULL };
  const char *width_items[4], *range_items[3], *colormap_items[BS_N_COLORMAPS + 1];
  GtkWidget *box, *header, *cancel, *paned, *page, *scroller;
  AdwPreferencesGroup *size, *look, *analyses, *panels;

  self->panels = g_ptr_array_new_with_free_func (panel_free);
  self->cancellable = g_cancellable_new ();

  for (guint i = 0; i < 3; i++)
    width_items[i] = _(widths[i]);
  width_items[3] = NULL;
  for (guint i = 0; i < 2; i++)
    range_items[i] = _(ranges[i]);
  range_items[2] = NULL;
  for (guint i = 0; i < BS_N_COLORMAPS; i++)
    colormap_items[i] = bs_colormap_display_name ((BsColormap) i);
  colormap_items[BS_N_COLORMAPS] = NULL;

  gtk_window_set_title (GTK_WINDOW (self), _("Export Figure"));
  gtk_window_set_default_size (GTK_WINDOW (self), 1000, 640);
  gtk_window_set_modal (GTK_WINDOW (self), TRUE);

  box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  header = adw_header_bar_new ();
  self->window_title = ADW_WINDOW_TITLE (adw_window_title_new (_("Export Figure"), NULL));
  adw_header_bar_set_title_widget (ADW_HEADER_BAR (header), GTK_WIDGET (self->window_title));
  adw_header_bar_set_show_end_title_buttons (ADW_HEADER_BAR (header), FALSE);
  adw_header_bar_set_show_start_title_buttons (ADW_HEADER_BAR (header), FALSE);
  cancel = gtk_button_new_with_mnemonic (_("_Close"));
  gtk_actionable_set_action_name (GTK_ACTIONABLE (cancel), "window.close");
  adw_header_bar_pack_start (ADW_HEADER_BAR (header), cancel);
  self->export_button = gtk_button_new_with_mnemonic (_("_Export…"));
  gtk_widget_add_css_class (self->export_button, "suggested-action");
  gtk_widget_set_tooltip_text (self->export_button, _("Save the figure as PDF, SVG or PNG"));
  g_signal_connect_swapped (self->export_button, "clicked", G_CALLBACK (export_clicked), self);
  adw_header_bar_pack_end (ADW_HEADER_BAR (header), self->export_button);
  self->copy_button = gtk_button_new_with_mnemonic (_("C_opy"));
  gtk_widget_set_tooltip_text (self->copy_button, _("Copy the figure as an image (Ctrl+Shift+C)"));
  g_signal_connect_swapped (self->copy_button, "clicked", G_CALLBACK (copy_clicked), self);
  adw_header_bar_pack_end (ADW_HEADER_BAR (header), self->copy_button);
  gtk_box_append (GTK_BOX (box), header);

  paned = gtk_paned_new (GTK_ORIENTATION_HORIZONTAL);
  gtk_widget_set_vexpand (paned, TRUE);
  self->preview = GTK_DRAWING_AREA (gtk_drawing_area_new ());
  gtk_widget_set_hexpand (GTK_WIDGET (self->preview), TRUE);
  gtk_widget_set_size_request (GTK_WIDGET (self->preview), 360, 300);
  gtk_drawing_area_set_draw_func (self->preview, draw_preview, self, NULL);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->preview), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Preview of the figure"), -1);
  gtk_paned_set_start_child (GTK_PANED (paned), GTK_WIDGET (self->preview));
  gtk_paned_set_resize_start_child (GTK_PANED (paned), TRUE);

  page = adw_preferences_page_new ();
  size = ADW_PREFERENCES_GROUP (adw_preferences_group_new ());
  adw_preferences_group_set_title (size, _("Size"));
  self->width_row = add_combo_row (self, size, _("Width"), width_items);
  self->custom_width = add_spin_row (self, size, _("Custom Width"), _("In inches"), 0.5, 40, 0.1, 5, 2,
                                     &self->custom_width_row);
  self->font_size = add_spin_row (self, size, _("Font Size"), _("In points"), 4, 72, 0.5, 8, 1, NULL);
  self->dpi = add_spin_row (self, size, _("Resolution"), _("Pixels per inch of a PNG"), 72, 1200, 50, 300, 0,
                            NULL);
  adw_preferences_page_add (ADW_PREFERENCES_PAGE (page), size);

  look = ADW_PREFERENCES_GROUP (adw_preferences_group_new ());
  adw_preferences_group_set_title (look, _("Look"));
  self->title_row = ADW_ENTRY_ROW (adw_entry_row_new ());
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->title_row), _("Title"));
  g_signal_connect_swapped (self->title_row, "changed", G_CALLBACK (update), self);
  adw_preferences_group_add (look, GTK_WIDGET (self->title_row));
  self->colormap_row = add_combo_row (self, look, _("Colour Map"), colormap_items);
  self->range_row = add_combo_row (self, look, _("Colour Range"), range_items);
  self->mask = add_switch_row (self, look, _("Mask the Upper Triangle"),
                               _("Each pair of layers once (a model against itself)"), &self->mask_row);
  self->uncertain = add_switch_row (self, look, _("Mark Uncertain Cells"),
                                    _("A dot where the standard error exceeds the threshold"), NULL);
  self->threshold = add_spin_row (self, look, _("Standard-Error Threshold"), NULL, 0, 1, 0.005, 0.02, 3, NULL);
  self->stage_lines = add_switch_row (self, look, _("Stage Lines Over the Cells"),
                                      _("The axes mark the stages anyway"), NULL);
  adw_preferences_page_add (ADW_PREFERENCES_PAGE (page), look);

  analyses = ADW_PREFERENCES_GROUP (adw_preferences_group_new ());
  adw_preferences_group_set_title (analyses, _("Analyses"));
  self->pc1_strips = add_switch_row (self, analyses, _("PC1 Share Strips"),
                                     _("Each layer’s PC1 share beside the cells (results with the PC1 analysis)"),
                                     &self->pc1_row);
  self->blocks = add_switch_row (self, analyses, _("Outline Blocks"),
                                 _("The blocks detected in a network against itself"), &self->blocks_row);
  self->block_threshold = add_spin_row (self, analyses, _("Block Threshold"),
                                        _("The least CKA that joins layers into a block"), 0, 1, 0.05,
                                        BS_BLOCKS_DEFAULT_THRESHOLD, 2, NULL);
  adw_preferences_page_add (ADW_PREFERENCES_PAGE (page), analyses);

  panels = ADW_PREFERENCES_GROUP (adw_preferences_group_new ());
  adw_preferences_group_set_title (panels, _("Panels"));
  adw_preferences_group_set_description (panels, _("Use “Add to Figure” in the main menu to add the result on "
                                                   "screen as another panel"));
  self->columns = add_spin_row (self, panels, _("Panels per Row"), NULL, 1, 1, 1, 1, 0, NULL);
  self->panel_list = GTK_LIST_BOX (gtk_list_box_new ());
  gtk_list_box_set_selection_mode (self->panel_list, GTK_SELECTION_NONE);
  gtk_widget_add_css_class (GTK_WIDGET (self->panel_list), "boxed-list");
  gtk_widget_set_margin_top (GTK_WIDGET (self->panel_list), 12);
  adw_preferences_group_add (panels, GTK_WIDGET (self->panel_list));
  adw_preferences_page_add (ADW_PREFERENCES_PAGE (page), panels);

  scroller = page;
  gtk_widget_set_size_request (scroller, 380, -1);
  gtk_paned_set_end_child (GTK_PANED (paned), scroller);
  gtk_paned_set_resize_end_child (GTK_PANED (paned), FALSE);
  gtk_paned_set_shrink_end_child (GTK_PANED (paned), FALSE);

  self->toasts = ADW_TOAST_OVERLAY (adw_toast_overlay_new ());
  adw_toast_overlay_set_child (self->toasts, paned);
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (self->toasts));
  adw_window_set_content (ADW_WINDOW (self), box);
  update (self);
}

BsExportDialog *
bs_export_dialog_new (GtkWindow *parent)
{
  return g_object_new (BS_TYPE_EXPORT_DIALOG, "transient-for", parent, NULL);
}
