/* bs-runs.c: the runs folder and names for new checkpoints in it. */
#include "bs-runs.h"

#include <errno.h>
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

      g_set_error (error, BS_ERROR, BS_ERROR_IO, "Cannot make the runs folder %s: %s", dir,
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
