/* bs-runs.c: the runs folder, names for new checkpoints in it, and the checkpoints it holds. */
#include "bs-runs.h"

#include <errno.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <string.h>

#include "bs-error.h"

char *
bs_runs_get_dir (void)
{
  const char *env = g_getenv ("BLOCKSCOPE_RUNS_DIR");

  if (env != NULL && env[0] != '\0')
    return g_strdup (env);
  return g_build_filename (g_get_user_data_dir (), "blockscope", "runs", NULL);
}

/* A file name part: a checkpoint's base name without its extension, with
 * no path separators, spaces or leading dot. */
static char *
name_part (const char *text)
{
  char *part = g_path_get_basename (text != NULL && text[0] != '\0' ? text : "model");

  if (g_str_has_suffix (part, ".safetensors"))
    part[strlen (part) - strlen (".safetensors")] = '\0';

  for (char *p = part; *p != '\0'; p++)
    if (*p == G_DIR_SEPARATOR || *p == '/' || g_ascii_isspace (*p))
      *p = '_';
  if (part[0] == '.')
    part[0] = '_';
  return part;
}

char *
bs_runs_new_checkpoint_path (const char  *dir,
                             const char  *model,
                             const char  *dataset,
                             GError     **error)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  g_autofree char *stamp = g_date_time_format (now, "%Y%m%d-%H%M%S");
  g_autofree char *model_part = name_part (model);
  g_autofree char *dataset_part = name_part (dataset);

  g_return_val_if_fail (dir != NULL, NULL);

  if (g_mkdir_with_parents (dir, 0755) != 0)
    {
      int saved = errno;

      g_set_error (error, BS_ERROR, BS_ERROR_IO, _("Cannot make the runs folder %s: %s"), dir,
                   g_strerror (saved));
      return NULL;
    }
  for (guint k = 1;; k++)
    {
      g_autofree char *name = k == 1
        ? g_strdup_printf ("%s-%s-%s.safetensors", model_part, dataset_part, stamp)
        : g_strdup_printf ("%s-%s-%s-%u.safetensors", model_part, dataset_part, stamp, k);
      char *path = g_build_filename (dir, name, NULL);

      if (!g_file_test (path, G_FILE_TEST_EXISTS))
        return path;
      g_free (path);
    }
}

void
bs_run_checkpoint_free (BsRunCheckpoint *checkpoint)
{
  if (checkpoint == NULL)
    return;

  g_free (checkpoint->path);
  g_free (checkpoint->label);
  g_free (checkpoint->run);
  g_free (checkpoint->item);
  g_free (checkpoint);
}

char *
bs_runs_checkpoint_item (const char *stem)
{
  guint64 epoch;

  g_return_val_if_fail (stem != NULL, NULL);

  /* A run folder's checkpoints/epoch-NNNN: named by its epoch. */
  if (g_str_has_prefix (stem, "epoch-") &&
      g_ascii_string_to_unsigned (stem + strlen ("epoch-"), 10, 0, G_MAXUINT, &epoch, NULL))
    /* Translators: a checkpoint in the model menus, saved after this epoch. */
    return g_strdup_printf (_("epoch %u"), (guint) epoch);
  return g_strdup (stem);
}

static void
scan_folder (GPtrArray  *found,
             const char *folder,
             const char *run_name,
             guint       depth)
{
  g_autoptr(GDir) dir = g_dir_open (folder, 0, NULL);
  const char *name;

  if (dir == NULL)
    return;

  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_build_filename (folder, name, NULL);
      GStatBuf st;

      if (name[0] == '.' || g_stat (path, &st) != 0)
        continue;

      if (S_ISDIR (st.st_mode) && depth > 0)
        scan_folder (found, path, run_name ? run_name : name, depth - 1);
      else if (S_ISREG (st.st_mode) && g_str_has_suffix (name, ".safetensors"))
        {
          BsRunCheckpoint *checkpoint = g_new0 (BsRunCheckpoint, 1);
          g_autofree char *stem = g_strndup (name, strlen (name) - strlen (".safetensors"));

          checkpoint->path = g_steal_pointer (&path);
          checkpoint->item = bs_runs_checkpoint_item (stem);
          checkpoint->run = g_strdup (run_name);
          checkpoint->label = run_name ? g_strdup_printf ("%s › %s", run_name, checkpoint->item)
                                       : g_strdup (checkpoint->item);
          checkpoint->mtime = st.st_mtime;
          g_ptr_array_add (found, checkpoint);
        }
    }
}

static int
compare_newest_first (gconstpointer a,
                      gconstpointer b)
{
  const BsRunCheckpoint *ca = *(BsRunCheckpoint * const *) a;
  const BsRunCheckpoint *cb = *(BsRunCheckpoint * const *) b;

  if (ca->mtime != cb->mtime)
    return ca->mtime > cb->mtime ? -1 : 1;
  return g_strcmp0 (ca->path, cb->path);
}

GPtrArray *
bs_runs_find_checkpoints (const char *dir,
                          guint       max_entries)
{
  GPtrArray *found = g_ptr_array_new_with_free_func ((GDestroyNotify) bs_run_checkpoint_free);

  g_return_val_if_fail (dir != NULL, found);

  scan_folder (found, dir, NULL, 2);
  g_ptr_array_sort (found, compare_newest_first);
  if (found->len > max_entries)
    g_ptr_array_remove_range (found, max_entries, found->len - max_entries);
  return found;
}
