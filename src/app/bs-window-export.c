/* bs-window-export.c: figures and files out of the window, results into it (see the header). */
#include "bs-config.h"

#include "bs-window-export.h"

#include <glib/gi18n.h>

#include "bs-cka-export.h"
#include "bs-cka-open.h"
#include "bs-window-private.h"

struct _BsWindowExport
{
  BsWindow             *window;      /* owns this */
  BsExportDialog       *dialog;      /* while it is open */
  GtkFileChooserNative *chooser;
  gulong                has_snapshot_handler;
};

static BsCkaSnapshot *
current (BsWindowExport *self)
{
  /* The matrix shown (View › Measure): figures and data export what is on screen. */
  return bs_heatmap_get_shown_snapshot (bs_window_get_heatmap (self->window));
}

/* What the heatmap shows beside its cells and over them, as the figure's
 * options: the PC1 strips whenever the matrix has the shares, the block
 * outlines as View shows them. */
static void
get_analyses (BsWindowExport *self,
              gboolean       *pc1_strips,
              gboolean       *blocks,
              double         *threshold)
{
  BsHeatmap *heatmap = bs_window_get_heatmap (self->window);
  BsCkaSnapshot *shown = current (self);

  *pc1_strips = shown != NULL && bs_cka_snapshot_has_pc1_shares (shown);
  g_object_get (heatmap, "show-blocks", blocks, "block-threshold", threshold, NULL);
}

static void
dialog_destroyed (BsWindowExport *self)
{
  self->dialog = NULL;
}

/* The dialog, made with the heatmap's look when it is not open. */
static BsExportDialog *
ensure_dialog (BsWindowExport *self)
{
  BsHeatmap *heatmap = bs_window_get_heatmap (self->window);
  gboolean pc1_strips, blocks;
  double lo, hi, threshold;

  if (self->dialog != NULL)
    return self->dialog;
  self->dialog = bs_export_dialog_new (GTK_WINDOW (self->window));
  bs_heatmap_get_value_range (heatmap, &lo, &hi);
  bs_export_dialog_set_look (self->dialog, bs_heatmap_get_colormap (heatmap), !(lo == 0 && hi == 1));
  get_analyses (self, &pc1_strips, &blocks, &threshold);
  bs_export_dialog_set_analyses (self->dialog, pc1_strips, blocks, threshold);
  g_signal_connect_swapped (self->dialog, "destroy", G_CALLBACK (dialog_destroyed), self);
  return self->dialog;
}

static void
export_figure_action (GSimpleAction *action,
                      GVariant      *parameter,
                      gpointer       user_data)
{
  BsWindowExport *self = user_data;
  BsCkaSnapshot *snapshot = current (self);
  gboolean fresh = self->dialog == NULL;
  BsExportDialog *dialog;

  if (snapshot == NULL)
    return;
  dialog = ensure_dialog (self);
  if (fresh)
    bs_export_dialog_add_panel (dialog, snapshot, NULL);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
add_to_figure_action (GSimpleAction *action,
                      GVariant      *parameter,
                      gpointer       user_data)
{
  BsWindowExport *self = user_data;
  BsCkaSnapshot *snapshot = current (self);

  if (snapshot == NULL)
    return;
  bs_export_dialog_add_panel (ensure_dialog (self), snapshot, NULL);
  gtk_window_present (GTK_WINDOW (self->dialog));
}

static void
copy_figure_action (GSimpleAction *action,
                    GVariant      *parameter,
                    gpointer       user_data)
{
  BsWindowExport *self = user_data;
  BsHeatmap *heatmap = bs_window_get_heatmap (self->window);
  BsFigurePanel panel = { .snapshot = current (self) };
  BsFigureExportOptions options;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) png = NULL;
  g_autoptr(GdkTexture) texture = NULL;

  if (panel.snapshot == NULL)
    return;
  /* The colours on screen, at the size of one column of a paper. */
  bs_figure_export_options_init (&options);
  options.colormap = bs_heatmap_get_colormap (heatmap);
  options.measure = bs_cka_snapshot_get_label (panel.snapshot);
  options.range = BS_FIGURE_RANGE_CUSTOM;
  bs_heatmap_get_value_range (heatmap, &options.lo, &options.hi);
  get_analyses (self, &options.pc1_strips, &options.blocks, &options.block_threshold);
  png = bs_figure_export_png_bytes (&panel, 1, &options, &error);
  if (png != NULL)
    texture = gdk_texture_new_from_bytes (png, &error);
  if (texture == NULL)
    {
      bs_window_show_error (self->window, _("The figure could not be copied"), error->message);
      return;
    }
  gdk_clipboard_set_texture (gtk_widget_get_clipboard (GTK_WIDGET (self->window)), texture);
}

/* ---------------------------------------------------------------- data */

/* info from the window's CKA computation when source is its newest
 * result (not a file opened, a run's snapshot or a shards folder). */
static void
made_here (BsWindowExport  *self,
           BsCkaSnapshot   *source,
           BsCkaExportInfo *info)
{
  BsJob *job = bs_window_get_cka_job (self->window);
  const GValue *partial = job != NULL ? bs_job_get_partial (job) : NULL;

  if (partial != NULL && G_VALUE_HOLDS (partial, BS_TYPE_CKA_SNAPSHOT) && g_value_get_boxed (partial) == source)
    bs_cka_computation_get_export_info (job, info);
}

gboolean
bs_window_export_save_data (BsWindowExport  *self,
                            GFile           *file,
                            GError         **error)
{
  g_autofree char *path = g_file_get_path (file);
  BsCkaSnapshot *snapshot = current (self);
  BsCkaExportInfo info = { .elapsed_seconds = -1 };
  BsCkaSnapshot *source;

  if (snapshot == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, _("There is no result to save yet"));
      return FALSE;
    }
  if (path == NULL)
    {
      g_autofree char *uri = g_file_get_uri (file);

      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                   /* Translators: %s is where the user chose to save. */
                   _("Cannot save to %s: choose a folder on this computer"), uri);
      return FALSE;
    }
  /* The whole snapshot (its PC1 shares go into the JSON too) with the
   * measure on screen as the matrix, which the JSON then names; with what
   * its computation knows (protocol, data, excluded images) when the
   * window's computation made it, as blockscope-cli cka writes it. */
  source = bs_heatmap_get_snapshot (bs_window_get_heatmap (self->window));
  made_here (self, source, &info);
  info.measure = bs_cka_snapshot_get_measure_type (snapshot);
  return bs_cka_export (source, &info, path, error);
}

static void
export_data_response (GtkNativeDialog *chooser,
                      int              response,
                      gpointer         user_data)
{
  BsWindowExport *self = user_data;

  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr(GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser));
      g_autoptr(GError) error = NULL;

      if (!bs_window_export_save_data (self, file, &error))
        bs_window_show_error (self->window, _("The data could not be saved"), error->message);
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
export_data_action (GSimpleAction *action,
                    GVariant      *parameter,
                    gpointer       user_data)
{
  BsWindowExport *self = user_data;

  if (current (self) == NULL || self->chooser != NULL)
    return;
  self->chooser = gtk_file_chooser_native_new (_("Export Data"), GTK_WINDOW (self->window),
                                               GTK_FILE_CHOOSER_ACTION_SAVE, _("_Export"), _("_Cancel"));
  add_filter (GTK_FILE_CHOOSER (self->chooser), _("NumPy matrix with its JSON (.npy)"), "*.npy");
  add_filter (GTK_FILE_CHOOSER (self->chooser), _("Table with layer names (.csv)"), "*.csv");
  /* Translators: the suggested file name of exported data; keep the extension. */
  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (self->chooser), _("cka.npy"));
  g_signal_connect (self->chooser, "response", G_CALLBACK (export_data_response), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (self->chooser));
}

/* ---------------------------------------------------------------- results in */

gboolean
bs_window_export_open_result (BsWindowExport *self,
                              GFile          *file)
{
  g_autofree char *path = g_file_get_path (file);
  g_autofree char *name = g_file_get_basename (file);
  g_autofree char *warning = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(BsCkaSnapshot) snapshot = NULL;

  if (path == NULL)
    {
      g_autofree char *uri = g_file_get_uri (file);

      /* Translators: %s is the location of a file that is not on this computer. */
      g_autofree char *detail = g_strdup_printf (_("%s is not on this computer"), uri);

      bs_window_show_error (self->window, _("The result could not be opened"), detail);
      return FALSE;
    }
  snapshot = bs_cka_open_result (path, &warning, &error);
  if (snapshot == NULL)
    {
      bs_window_show_error (self->window, _("The result could not be opened"), error->message);
      return FALSE;
    }

  /* Shown as a computation's result is: the heatmap leaves any run or shards folder. */
  bs_window_training_detach (bs_window_get_training (self->window));
  bs_window_shards_stop (bs_window_get_shards (self->window));
  bs_heatmap_set_snapshot (bs_window_get_heatmap (self->window), snapshot);
  bs_window_set_title (self->window, name);
  /* The header's pickers name the result's models, as its axes do. */
  bs_window_pickers_show_specs (bs_window_get_pickers (self->window), bs_cka_snapshot_get_model_a (snapshot),
                                bs_cka_snapshot_get_model_b (snapshot), TRUE);
  bs_window_show_heatmap (self->window);
  if (warning != NULL)
    bs_window_show_error (self->window, _("The layers' names are missing"), warning);
  else
    bs_window_hide_error (self->window);
  return TRUE;
}

static void
open_result_response (GtkNativeDialog *chooser,
                      int              response,
                      gpointer         user_data)
{
  BsWindowExport *self = user_data;

  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr(GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser));

      bs_window_export_open_result (self, file);
    }
  g_clear_object (&self->chooser);
}

static void
open_result_action (GSimpleAction *action,
                    GVariant      *parameter,
                    gpointer       user_data)
{
  BsWindowExport *self = user_data;

  if (self->chooser != NULL)
    return;
  self->chooser = gtk_file_chooser_native_new (_("Open Result"), GTK_WINDOW (self->window),
                                               GTK_FILE_CHOOSER_ACTION_OPEN, _("_Open"), _("_Cancel"));
  add_filter (GTK_FILE_CHOOSER (self->chooser), _("CKA matrices (.npy)"), "*.npy");
  g_signal_connect (self->chooser, "response", G_CALLBACK (open_result_response), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (self->chooser));
}

static gboolean
on_drop (GtkDropTarget *target,
         const GValue  *value,
         double         x,
         double         y,
         gpointer       user_data)
{
  BsWindowExport *self = user_data;

  if (!G_VALUE_HOLDS (value, G_TYPE_FILE))
    return FALSE;
  /* A folder of shards, or a result. */
  bs_window_open_file (self->window, g_value_get_object (value));
  return TRUE;
}

/* ---------------------------------------------------------------- setup */

static const GActionEntry actions[] = {
  { "export-figure", export_figure_action },
  { "add-to-figure", add_to_figure_action },
  { "copy-figure", copy_figure_action },
  { "export-data", export_data_action },
  { "open-result", open_result_action },
};

/* What needs a result is enabled while the heatmap has one. */
static void
update_enabled (BsWindowExport *self)
{
  gboolean has = current (self) != NULL;
  static const char *needing[] = { "export-figure", "add-to-figure", "copy-figure", "export-data" };

  for (guint i = 0; i < G_N_ELEMENTS (needing); i++)
    g_simple_action_set_enabled (G_SIMPLE_ACTION (g_action_map_lookup_action (G_ACTION_MAP (self->window),
                                                                              needing[i])), has);
}

BsWindowExport *
bs_window_export_new (BsWindow *window)
{
  BsWindowExport *self = g_new0 (BsWindowExport, 1);
  GtkDropTarget *drop = gtk_drop_target_new (G_TYPE_FILE, GDK_ACTION_COPY);

  self->window = window;
  g_action_map_add_action_entries (G_ACTION_MAP (window), actions, G_N_ELEMENTS (actions), self);
  self->has_snapshot_handler = g_signal_connect_swapped (bs_window_get_heatmap (window), "notify::has-snapshot",
                                                         G_CALLBACK (update_enabled), self);
  update_enabled (self);
  g_signal_connect (drop, "drop", G_CALLBACK (on_drop), self);
  gtk_widget_add_controller (GTK_WIDGET (window), GTK_EVENT_CONTROLLER (drop));
  return self;
}

void
bs_window_export_free (BsWindowExport *self)
{
  if (self == NULL)
    return;
  g_clear_signal_handler (&self->has_snapshot_handler, bs_window_get_heatmap (self->window));
  if (self->dialog != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->dialog, self);
      gtk_window_destroy (GTK_WINDOW (self->dialog));
    }
  g_clear_object (&self->chooser);
  g_free (self);
}

BsExportDialog *
bs_window_export_get_dialog (BsWindowExport *self)
{
  return self->dialog;
}
