/* bs-build-tree.c */
#include "bs-build-tree.h"

/* Programs sit one to three folders below the root (src/cli/blockscope-cli,
 * src/app/blockscope, tests/gui/test-window); meson marks the root with its
 * meson-private folder. */
#define MAX_DEPTH 3

char *
bs_build_tree_root (void)
{
  g_autofree char *exe = g_file_read_link ("/proc/self/exe", NULL);
  g_autofree char *dir = NULL;

  if (exe == NULL)
    return NULL;
  dir = g_path_get_dirname (exe);
  for (guint depth = 1; depth <= MAX_DEPTH; depth++)
    {
      g_autofree char *parent = g_path_get_dirname (dir);
      g_autofree char *marker = g_build_filename (parent, "meson-private", NULL);

      if (g_file_test (marker, G_FILE_TEST_IS_DIR))
        return g_steal_pointer (&parent);
      g_free (dir);
      dir = g_steal_pointer (&parent);
    }
  return NULL;
}
