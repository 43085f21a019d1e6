/* bs-window-shards.c: File › Open Shards Folder…: a cluster's CKA shards merged as they arrive.
 *
 * One shard is loaded at a time, on GIO's worker threads: the task owns the
 * shards loaded so far while it runs (it appends the new one and merges
 * them all), and hands them back with the merged snapshot; paths that turn
 * up meanwhile wait in a queue. Each watch has its own GCancellable: a task
 * that ends after its watch stopped (or its window went) only frees what
 * it holds, never touching this object. The CLI writes shards atomically
 * (a temporary name, then a rename), so a finished file shows up as a
 * rename, a move into the folder or changes done. */
#include "bs-config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "bs-window-shards.h"

#include "bs-cka-shard.h"
#include "bs-heatmap.h"
#include "bs-window-private.h"

#define SHARD_SUFFIX ".bscka"

struct _BsWindowShards
{
  BsWindow             *window;
  GtkFileChooserNative *chooser;

  /* The folder watched, NULL when none is */
  GFile                *folder;
  GFileMonitor         *monitor;
  GCancellable         *cancellable;   /* this watch's: cancelled when it stops */
  GHashTable           *seen;          /* paths queued, loaded or reported */
  GQueue                pending;       /* paths (owned) waiting for the worker */
  GPtrArray            *shards;        /* merged so far; NULL while a task holds them */
  guint                 n_loaded;
  guint                 n_shards;
};

typedef struct
{
  GPtrArray     *shards;   /* of BsCkaShard, owned */
  char          *path;
  BsCkaSnapshot *merged;
  guint          missing;
  GError        *error;
} LoadData;

static void
load_data_free (LoadData *data)
{
  g_clear_pointer (&data->shards, g_ptr_array_unref);
  g_free (data->path);
  g_clear_pointer (&data->merged, bs_cka_snapshot_unref);
  g_clear_error (&data->error);
  g_free (data);
}

static GPtrArray *
new_shard_array (void)
{
  return g_ptr_array_new_with_free_func ((GDestroyNotify) bs_cka_shard_free);
}

/* On a worker thread: the shard at data->path, added and merged, or the
 * reason it is not (the shards as they were). */
static void
load_thread (GTask        *task,
             gpointer      source_object,
             gpointer      task_data,
             GCancellable *cancellable)
{
  LoadData *data = task_data;
  BsCkaShard *shard = bs_cka_shard_load (data->path, &data->error);

  if (shard == NULL)
    {
      g_task_return_boolean (task, TRUE);
      return;
    }
  g_ptr_array_add (data->shards, shard);
  data->merged = bs_cka_shards_merge ((BsCkaShard *const *) data->shards->pdata, data->shards->len,
                                      TRUE, &data->missing, &data->error);
  if (data->merged == NULL)
    g_ptr_array_remove_index (data->shards, data->shards->len - 1);
  g_task_return_boolean (task, TRUE);
}

static void pump (BsWindowShards *self);

static void
show_progress (BsWindowShards *self)
{
  g_autofree char *name = g_file_get_basename (self->folder);
  /* Translators: shards merged so far, and how many the run has (e.g. "2 of 4 shards"). */
  g_autofree char *text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u of %u shard", "%u of %u shards",
                                                        self->n_shards),
                                           self->n_loaded, self->n_shards);

  bs_window_set_title (self->window, name);
  bs_window_set_outcome (self->window, text,
                         self->n_loaded < self->n_shards ? (double) self->n_loaded / self->n_shards : -1);
}

static void
load_done (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  GTask *task = G_TASK (result);
  LoadData *data = g_task_get_task_data (task);
  BsWindowShards *self = user_data;

  /* The watch ended (maybe with its window): self may be gone. */
  if (g_cancellable_is_cancelled (g_task_get_cancellable (task)))
    return;

  self->shards = g_steal_pointer (&data->shards);
  if (data->error != NULL)
    {
      bs_window_show_error (self->window, _("A shard could not be used"), data->error->message);
    }
  else
    {
      BsHeatmap *heatmap = bs_window_get_heatmap (self->window);

      self->n_loaded = self->shards->len;
      self->n_shards = bs_cka_shard_get_n_shards (g_ptr_array_index (self->shards, 0));
      /* The first shard: the heatmap is this folder's from now on. */
      if (self->n_loaded == 1)
        {
          bs_window_training_detach (bs_window_get_training (self->window));
          /* The header's pickers name the run's models, as the axes do. */
          bs_window_pickers_show_specs (bs_window_get_pickers (self->window),
                                        bs_cka_snapshot_get_model_a (data->merged),
                                        bs_cka_snapshot_get_model_b (data->merged), TRUE);
        }
      bs_heatmap_set_snapshot (heatmap, data->merged);
      bs_window_show_heatmap (self->window);
      show_progress (self);
      if (data->missing == 0)
        {
          /* All in: nothing more can arrive that belongs to the run. */
          g_clear_object (&self->monitor);
          g_queue_clear_full (&self->pending, g_free);
          return;
        }
    }
  pump (self);
}

/* Starts the next load, unless one runs. */
static void
pump (BsWindowShards *self)
{
  g_autoptr(GTask) task = NULL;
  LoadData *data;

  if (self->shards == NULL || g_queue_is_empty (&self->pending))
    return;
  data = g_new0 (LoadData, 1);
  data->shards = g_steal_pointer (&self->shards);
  data->path = g_queue_pop_head (&self->pending);
  task = g_task_new (NULL, self->cancellable, load_done, self);
  g_task_set_source_tag (task, pump);
  g_task_set_task_data (task, data, (GDestroyNotify) load_data_free);
  g_task_run_in_thread (task, load_thread);
}

static void
notice_file (BsWindowShards *self,
             GFile          *file)
{
  g_autofree char *path = g_file_get_path (file);

  if (path == NULL || !g_str_has_suffix (path, SHARD_SUFFIX) || g_hash_table_contains (self->seen, path))
    return;
  g_hash_table_add (self->seen, g_strdup (path));
  g_queue_push_tail (&self->pending, g_steal_pointer (&path));
  pump (self);
}

static void
on_folder_changed (GFileMonitor      *monitor,
                   GFile             *file,
                   GFile             *other_file,
                   GFileMonitorEvent  event,
                   gpointer           user_data)
{
  BsWindowShards *self = user_data;

  switch (event)
    {
    /* A file written in place is complete once changes are done; one
     * renamed or moved into place (as the CLI writes) is at once. */
    case G_FILE_MONITOR_EVENT_CHANGES_DONE_HINT:
    case G_FILE_MONITOR_EVENT_MOVED_IN:
      notice_file (self, file);
      break;

    case G_FILE_MONITOR_EVENT_RENAMED:
      if (other_file != NULL)
        notice_file (self, other_file);
      break;

    case G_FILE_MONITOR_EVENT_CREATED:
    case G_FILE_MONITOR_EVENT_CHANGED:
    case G_FILE_MONITOR_EVENT_DELETED:
    case G_FILE_MONITOR_EVENT_ATTRIBUTE_CHANGED:
    case G_FILE_MONITOR_EVENT_PRE_UNMOUNT:
    case G_FILE_MONITOR_EVENT_UNMOUNTED:
    case G_FILE_MONITOR_EVENT_MOVED:
    case G_FILE_MONITOR_EVENT_MOVED_OUT:
    default:
      break;
    }
}

/* ---------------------------------------------------------------- listing */

static int
compare_paths (gconstpointer a,
               gconstpointer b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

/* On a worker thread: the shard files already in the folder, sorted. */
static void
list_thread (GTask        *task,
             gpointer      source_object,
             gpointer      task_data,
             GCancellable *cancellable)
{
  const char *folder = task_data;
  g_autoptr(GDir) dir = g_dir_open (folder, 0, NULL);
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    if (g_str_has_suffix (name, SHARD_SUFFIX))
      g_ptr_array_add (names, g_build_filename (folder, name, NULL));
  g_ptr_array_sort (names, compare_paths);
  g_task_return_pointer (task, g_steal_pointer (&names), (GDestroyNotify) g_ptr_array_unref);
}

static void
list_done (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  GTask *task = G_TASK (result);
  BsWindowShards *self = user_data;
  g_autoptr(GPtrArray) paths = NULL;

  if (g_cancellable_is_cancelled (g_task_get_cancellable (task)))
    return;
  paths = g_task_propagate_pointer (task, NULL);
  for (guint i = 0; paths != NULL && i < paths->len && self->monitor != NULL; i++)
    {
      g_autoptr(GFile) file = g_file_new_for_path (g_ptr_array_index (paths, i));

      notice_file (self, file);
    }
}

/* ---------------------------------------------------------------- watching */

static void
stop_watching (BsWindowShards *self)
{
  if (self->folder == NULL)
    return;
  /* A task still running frees what it holds when it ends. */
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->monitor);
  g_clear_object (&self->folder);
  g_clear_pointer (&self->seen, g_hash_table_unref);
  g_queue_clear_full (&self->pending, g_free);
  g_clear_pointer (&self->shards, g_ptr_array_unref);
  self->n_loaded = self->n_shards = 0;
}

void
bs_window_shards_stop (BsWindowShards *self)
{
  if (self->folder == NULL)
    return;
  stop_watching (self);
  /* The header no longer counts shards, nor the progress bar. */
  bs_window_set_outcome (self->window, NULL, -1);
}

void
bs_window_shards_open_folder (BsWindowShards *self,
                              GFile          *folder)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GTask) task = NULL;
  g_autofree char *path = g_file_get_path (folder);

  bs_window_shards_stop (self);
  if (path == NULL)
    {
      g_autofree char *uri = g_file_get_uri (folder);
      /* Translators: %s is the location of a folder that is not on this computer. */
      g_autofree char *detail = g_strdup_printf (_("%s is not on this computer"), uri);

      bs_window_show_error (self->window, _("The folder could not be watched"), detail);
      return;
    }
  /* The monitor first, so that no shard written meanwhile is missed. */
  self->monitor = g_file_monitor_directory (folder, G_FILE_MONITOR_WATCH_MOVES, NULL, &error);
  if (self->monitor == NULL)
    {
      bs_window_show_error (self->window, _("The folder could not be watched"), error->message);
      return;
    }
  g_signal_connect (self->monitor, "changed", G_CALLBACK (on_folder_changed), self);
  self->folder = g_object_ref (folder);
  self->cancellable = g_cancellable_new ();
  self->seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->shards = new_shard_array ();
  bs_window_hide_error (self->window);
  bs_window_set_outcome (self->window, _("Waiting for shards…"), -1);

  task = g_task_new (NULL, self->cancellable, list_done, self);
  g_task_set_source_tag (task, bs_window_shards_open_folder);
  g_task_set_task_data (task, g_steal_pointer (&path), g_free);
  g_task_run_in_thread (task, list_thread);
}

gboolean
bs_window_shards_is_watching (BsWindowShards *self)
{
  return self->monitor != NULL;
}

guint
bs_window_shards_get_n_loaded (BsWindowShards *self)
{
  return self->n_loaded;
}

guint
bs_window_shards_get_n_shards (BsWindowShards *self)
{
  return self->n_shards;
}

/* ---------------------------------------------------------------- action */

static void
open_shards_response (GtkNativeDialog *chooser,
                      int              response,
                      gpointer         user_data)
{
  BsWindowShards *self = user_data;

  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr(GFile) folder = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser));

      if (folder != NULL)
        bs_window_shards_open_folder (self, folder);
    }
  g_clear_object (&self->chooser);
}

static void
open_shards_action (GSimpleAction *action,
                    GVariant      *parameter,
                    gpointer       user_data)
{
  BsWindowShards *self = user_data;

  if (self->chooser != NULL)
    return;
  self->chooser = gtk_file_chooser_native_new (_("Open Shards Folder"), GTK_WINDOW (self->window),
                                               GTK_FILE_CHOOSER_ACTION_SELECT_FOLDER, _("_Open"), _("_Cancel"));
  g_signal_connect (self->chooser, "response", G_CALLBACK (open_shards_response), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (self->chooser));
}

static const GActionEntry actions[] = {
  { "open-shards", open_shards_action },
};

BsWindowShards *
bs_window_shards_new (BsWindow *window)
{
  BsWindowShards *self = g_new0 (BsWindowShards, 1);

  self->window = window;
  g_queue_init (&self->pending);
  g_action_map_add_action_entries (G_ACTION_MAP (window), actions, G_N_ELEMENTS (actions), self);
  return self;
}

void
bs_window_shards_free (BsWindowShards *self)
{
  if (self == NULL)
    return;
  /* The window's widgets may be gone: only the watch ends. */
  stop_watching (self);
  if (self->chooser != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->chooser, self);
      gtk_native_dialog_destroy (GTK_NATIVE_DIALOG (self->chooser));
      g_clear_object (&self->chooser);
    }
  g_free (self);
}
