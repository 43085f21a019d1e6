/* bs-test-util.h: small helpers shared by the core test programs. */
#pragma once

#include <glib.h>
#include <glib/gstdio.h>

/* Removes a temporary test folder and everything below it. */
static inline void
bs_test_remove_tree (const char *dir)
{
  GDir *d = g_dir_open (dir, 0, NULL);
  const char *name;

  if (d == NULL)
    return;
  while ((name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);

      if (g_file_test (path, G_FILE_TEST_IS_DIR) && !g_file_test (path, G_FILE_TEST_IS_SYMLINK))
        bs_test_remove_tree (path);
      else
        g_remove (path);
    }
  g_dir_close (d);
  g_rmdir (dir);
}
