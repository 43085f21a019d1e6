/* fuzz-util.c: the temporary folder, gzip and the log set-up of the harnesses. */

#include "fuzz-util.h"

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <stdlib.h>

gboolean bs_fuzz_accepted;

static char *fuzz_dir;

void
bs_fuzz_remove_tree (const char *path)
{
  GDir *dir;
  const char *name;

  if (g_file_test (path, G_FILE_TEST_IS_SYMLINK) || !g_file_test (path, G_FILE_TEST_IS_DIR))
    {
      g_unlink (path);
      return;
    }
  dir = g_dir_open (path, 0, NULL);
  if (dir != NULL)
    {
      while ((name = g_dir_read_name (dir)) != NULL)
        {
          g_autofree char *child = g_build_filename (path, name, NULL);

          bs_fuzz_remove_tree (child);
        }
      g_dir_close (dir);
    }
  g_rmdir (path);
}

static void
remove_fuzz_dir (void)
{
  if (fuzz_dir != NULL)
    bs_fuzz_remove_tree (fuzz_dir);
  g_clear_pointer (&fuzz_dir, g_free);
}

/* A fatal GLib message ends the process with SIGTRAP (G_BREAKPOINT), which
 * libFuzzer does not catch: as an abort, the input is kept as a reproducer. */
static void
abort_on_trap (int signum)
{
  abort ();
}

void
bs_fuzz_init (void)
{
  g_autoptr(GError) error = NULL;

  if (fuzz_dir != NULL)
    return;
  g_log_set_always_fatal (G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING);
  signal (SIGTRAP, abort_on_trap);
  /* Files are rewritten for every input: a RAM-backed folder when there is
   * one (run-fuzzers.sh sets TMPDIR to /dev/shm). */
  fuzz_dir = g_dir_make_tmp ("blockscope-fuzz-XXXXXX", &error);
  if (fuzz_dir == NULL)
    {
      g_printerr ("fuzz: %s\n", error->message);
      abort ();
    }
  atexit (remove_fuzz_dir);
}

const char *
bs_fuzz_dir (void)
{
  bs_fuzz_init ();
  return fuzz_dir;
}

char *
bs_fuzz_write (const char *name,
               const void *data,
               gsize       size)
{
  g_autoptr(GError) error = NULL;
  char *path = g_build_filename (bs_fuzz_dir (), name, NULL);

  if (!g_file_set_contents (path, data, (gssize) size, &error))
    {
      g_printerr ("fuzz: %s\n", error->message);
      abort ();
    }
  return path;
}

GBytes *
bs_fuzz_gzip (const void *data,
              gsize       size)
{
  g_autoptr(GZlibCompressor) compressor = g_zlib_compressor_new (G_ZLIB_COMPRESSOR_FORMAT_GZIP, 1);
  g_autoptr(GOutputStream) memory = g_memory_output_stream_new_resizable ();
  g_autoptr(GOutputStream) stream = g_converter_output_stream_new (memory, G_CONVERTER (compressor));
  gsize written;

  if (!g_output_stream_write_all (stream, data, size, &written, NULL, NULL)
      || !g_output_stream_close (stream, NULL, NULL))
    abort ();
  return g_memory_output_stream_steal_as_bytes (G_MEMORY_OUTPUT_STREAM (memory));
}

void
bs_fuzz_touch (const void *data,
               gsize       size)
{
  const volatile guint8 *p = data;
  guint8 sum = 0;

  for (gsize i = 0; i < size; i++)
    sum ^= p[i];
  (void) sum;
}
