/* fuzz-replay.c: a harness's corpus replayed in the normal build (gcc, no libFuzzer).
 *
 * Usage: fuzz-replay-FORMAT FILE-OR-FOLDER...  Every file goes through the
 * harness once, in name order (TAP, one line per file); files named valid-*
 * must be accepted by the reader, so a corpus that no longer matches its
 * format fails here rather than fuzzing nothing. In the sanitizer build of
 * CI this checks every seed for memory errors and leaks. */

#include "fuzz-util.h"

#include <stdio.h>
#include <string.h>

static void
collect (const char *path,
         GPtrArray  *files)
{
  g_autoptr(GDir) dir = NULL;
  g_autoptr(GPtrArray) names = NULL;
  const char *name;

  if (!g_file_test (path, G_FILE_TEST_IS_DIR))
    {
      g_ptr_array_add (files, g_strdup (path));
      return;
    }
  dir = g_dir_open (path, 0, NULL);
  names = g_ptr_array_new_with_free_func (g_free);
  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    g_ptr_array_add (names, g_build_filename (path, name, NULL));
  for (guint i = 0; i < names->len; i++)
    if (g_file_test (names->pdata[i], G_FILE_TEST_IS_REGULAR))
      g_ptr_array_add (files, g_strdup (names->pdata[i]));
}

static int
compare_paths (gconstpointer a,
               gconstpointer b)
{
  return g_strcmp0 (*(char *const *) a, *(char *const *) b);
}

int
main (int    argc,
      char **argv)
{
  g_autoptr(GPtrArray) files = g_ptr_array_new_with_free_func (g_free);
  guint n_valid = 0;
  int status = 0;

  for (int i = 1; i < argc; i++)
    collect (argv[i], files);
  g_ptr_array_sort (files, compare_paths);
  LLVMFuzzerInitialize (&argc, &argv);

  printf ("TAP version 13\n1..%u\n", files->len + 1);
  for (guint i = 0; i < files->len; i++)
    {
      const char *path = files->pdata[i];
      g_autofree char *base = g_path_get_basename (path);
      g_autofree char *contents = NULL;
      g_autoptr(GError) error = NULL;
      gsize length;
      gboolean valid = g_str_has_prefix (base, "valid");

      if (!g_file_get_contents (path, &contents, &length, &error))
        {
          printf ("not ok %u - %s: %s\n", i + 1, path, error->message);
          status = 1;
          continue;
        }
      bs_fuzz_accepted = FALSE;
      LLVMFuzzerTestOneInput ((const guint8 *) contents, length);
      if (valid && !bs_fuzz_accepted)
        {
          printf ("not ok %u - %s: a valid-* file was not accepted\n", i + 1, path);
          status = 1;
        }
      else
        printf ("ok %u - %s%s\n", i + 1, base, valid ? " (accepted)" : "");
      n_valid += valid;
    }
  /* An empty corpus, or one without a valid file, tests nothing. */
  if (files->len == 0 || n_valid == 0)
    {
      printf ("not ok %u - the corpus has %u files, %u of them valid-*\n", files->len + 1,
              files->len, n_valid);
      status = 1;
    }
  else
    printf ("ok %u - %u files, %u valid\n", files->len + 1, files->len, n_valid);
  return status;
}
