/* test-atomic-file.c: atomic writes succeed completely or leave the old file alone. */
#include <errno.h>
#include <grp.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bs-atomic-file.h"
#include "bs-error.h"

typedef struct {
  char *dir;
  char *target;
} Fixture;

static void
fixture_set_up (Fixture       *fx,
                gconstpointer  data)
{
  fx->dir = g_dir_make_tmp ("bs-test-atomic-XXXXXX", NULL);
  g_assert_nonnull (fx->dir);
  fx->target = g_build_filename (fx->dir, "out.bin", NULL);
}

static void
fixture_tear_down (Fixture       *fx,
                   gconstpointer  data)
{
  GDir *d;
  const char *name;

  g_chmod (fx->dir, 0700);
  d = g_dir_open (fx->dir, 0, NULL);
  while (d != NULL && (name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *path = g_build_filename (fx->dir, name, NULL);

      g_unlink (path);
    }
  if (d != NULL)
    g_dir_close (d);
  g_rmdir (fx->dir);
  g_free (fx->target);
  g_free (fx->dir);
}

/* The folder holds exactly the names given (no temporary files). */
static void
assert_folder_holds (const char *dir,
                     const char *name1,
                     const char *name2)
{
  GDir *d = g_dir_open (dir, 0, NULL);
  const char *name;
  guint n = 0, expected = (name1 != NULL) + (name2 != NULL);

  g_assert_nonnull (d);
  while ((name = g_dir_read_name (d)) != NULL)
    {
      g_test_message ("found %s", name);
      g_assert_true (g_strcmp0 (name, name1) == 0 || g_strcmp0 (name, name2) == 0);
      n++;
    }
  g_dir_close (d);
  g_assert_cmpuint (n, ==, expected);
}

static void
assert_contents (const char *path,
                 const char *expected)
{
  g_autofree char *contents = NULL;
  gsize length;

  g_assert_true (g_file_get_contents (path, &contents, &length, NULL));
  g_assert_cmpmem (contents, length, expected, strlen (expected));
}

static void
test_write_and_replace (Fixture       *fx,
                        gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (bs_atomic_file_write_contents (fx->target, "first", 5, &error));
  g_assert_no_error (error);
  assert_contents (fx->target, "first");
  g_assert_true (bs_atomic_file_write_contents (fx->target, "second version", 14, &error));
  g_assert_no_error (error);
  assert_contents (fx->target, "second version");
  assert_folder_holds (fx->dir, "out.bin", NULL);
}

/* Small and large pieces across the buffer boundary arrive in order. */
static void
test_streaming (Fixture       *fx,
                gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BsAtomicFile) file = bs_atomic_file_new (fx->target, &error);
  g_autoptr(GString) expected = g_string_new (NULL);
  g_autofree char *big = g_malloc (300000);
  g_autofree char *contents = NULL;
  gsize length;

  for (gsize i = 0; i < 300000; i++)
    big[i] = (char) (i * 7);
  g_assert_no_error (error);
  for (guint round = 0; round < 3; round++)
    {
      for (guint i = 0; i < 5000; i++)
        {
          g_assert_true (bs_atomic_file_printf (file, &error, "%u,%u\n", round, i));
          g_string_append_printf (expected, "%u,%u\n", round, i);
        }
      g_assert_true (bs_atomic_file_write (file, big, 300000 - round * 1000, &error));
      g_string_append_len (expected, big, 300000 - round * 1000);
    }
  g_assert_no_error (error);
  /* Nothing visible before the commit. */
  g_assert_false (g_file_test (fx->target, G_FILE_TEST_EXISTS));
  g_assert_true (bs_atomic_file_commit (file, &error));
  g_assert_no_error (error);
  g_assert_true (g_file_get_contents (fx->target, &contents, &length, NULL));
  g_assert_cmpmem (contents, length, expected->str, expected->len);

  /* A second commit is an error, not a second rename. */
  g_assert_false (bs_atomic_file_commit (file, &error));
  g_assert_error (error, BS_ERROR, BS_ERROR_FAILED);
  assert_folder_holds (fx->dir, "out.bin", NULL);
}

static void
test_discard (Fixture       *fx,
              gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  BsAtomicFile *file;

  g_assert_true (bs_atomic_file_write_contents (fx->target, "old", 3, &error));
  file = bs_atomic_file_new (fx->target, &error);
  g_assert_true (bs_atomic_file_write (file, "new content", 11, &error));
  bs_atomic_file_free (file);
  assert_contents (fx->target, "old");
  assert_folder_holds (fx->dir, "out.bin", NULL);
}

static void
test_missing_folder (Fixture       *fx,
                     gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = g_build_filename (fx->dir, "nope", "out.bin", NULL);

  g_assert_false (bs_atomic_file_write_contents (path, "x", 1, &error));
  g_assert_error (error, BS_ERROR, BS_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (error->message, path));
  g_assert_nonnull (strstr (error->message, "does not exist"));
  assert_folder_holds (fx->dir, NULL, NULL);
  g_clear_error (&error);

  /* The target is a folder. */
  g_assert_false (bs_atomic_file_write_contents (fx->dir, "x", 1, &error));
  g_assert_error (error, BS_ERROR, BS_ERROR_IO);
  g_assert_nonnull (strstr (error->message, "folder"));
}

/* In a test subprocess running as root: gives the fixture's folder to the
 * unprivileged uid and gid 65534 ("nobody") and becomes that user for good,
 * so that folder permissions apply. */
static void
become_nobody (Fixture *fx)
{
  const uid_t nobody = 65534;

  g_assert_cmpint (chown (fx->dir, nobody, nobody), ==, 0);
  g_assert_cmpint (setgroups (0, NULL), ==, 0);
  g_assert_cmpint (setgid (nobody), ==, 0);
  g_assert_cmpint (setuid (nobody), ==, 0);
  g_assert_cmpuint (getuid (), ==, nobody);
  g_assert_cmpuint (geteuid (), ==, nobody);
  g_assert_cmpuint (getegid (), ==, nobody);
  /* Really dropped: root cannot be taken back. */
  g_assert_cmpint (setuid (0), ==, -1);
  /* Changing ids made the process non-dumpable, which LeakSanitizer cannot work with. */
  prctl (PR_SET_DUMPABLE, 1, 0, 0, 0);
}

/* A folder the writer may not write to: the old file stays, the error names
 * the target. Runs in a subprocess that is not root (root ignores folder
 * permissions), so that it also runs in CI, which is root. */
static void
test_read_only_folder (Fixture       *fx,
                       gconstpointer  data)
{
  if (g_test_subprocess ())
    {
      g_autoptr(GError) error = NULL;

      if (geteuid () == 0)
        become_nobody (fx);
      g_test_message ("writing as uid %u into %s", (guint) geteuid (), fx->dir);

      /* While the folder is writable the write works: the folder is reachable. */
      g_assert_true (bs_atomic_file_write_contents (fx->target, "old", 3, &error));
      g_assert_no_error (error);
      g_assert_cmpint (g_chmod (fx->dir, 0500), ==, 0);
      /* Permissions apply to this process. */
      g_assert_cmpint (access (fx->dir, W_OK), ==, -1);
      g_assert_cmpint (errno, ==, EACCES);

      g_assert_false (bs_atomic_file_write_contents (fx->target, "new", 3, &error));
      g_assert_error (error, BS_ERROR, BS_ERROR_IO);
      g_test_message ("%s", error->message);
      g_assert_nonnull (strstr (error->message, fx->target));
      g_assert_nonnull (strstr (error->message, g_strerror (EACCES)));
      g_assert_cmpint (g_chmod (fx->dir, 0700), ==, 0);
      assert_contents (fx->target, "old");
      assert_folder_holds (fx->dir, "out.bin", NULL);
      return;
    }

  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_INHERIT_STDERR);
  g_test_trap_assert_passed ();
}

/* A write that fails half-way (here: the file size limit, as a full disk
 * would) leaves the old file intact and no temporary behind. */
static void
test_write_fails_midway (Fixture       *fx,
                         gconstpointer  data)
{
  if (g_test_subprocess ())
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *big = g_malloc0 (1 << 20);
      struct rlimit limit = { 100000, 100000 };
      BsAtomicFile *file;
      gboolean ok;

      g_assert_true (bs_atomic_file_write_contents (fx->target, "old", 3, &error));
      signal (SIGXFSZ, SIG_IGN);
      g_assert_cmpint (setrlimit (RLIMIT_FSIZE, &limit), ==, 0);

      /* Through the one-shot call ... */
      g_assert_false (bs_atomic_file_write_contents (fx->target, big, 1 << 20, &error));
      g_assert_error (error, BS_ERROR, BS_ERROR_IO);
      g_assert_nonnull (strstr (error->message, fx->target));
      g_assert_nonnull (strstr (error->message, g_strerror (EFBIG)));
      g_clear_error (&error);
      assert_contents (fx->target, "old");
      assert_folder_holds (fx->dir, "out.bin", NULL);

      /* ... and through many small writes, checking only the commit. */
      file = bs_atomic_file_new (fx->target, &error);
      for (guint i = 0; i < 200; i++)
        bs_atomic_file_write (file, big, 1000, NULL);
      ok = bs_atomic_file_commit (file, &error);
      bs_atomic_file_free (file);
      g_assert_false (ok);
      g_assert_error (error, BS_ERROR, BS_ERROR_IO);
      assert_contents (fx->target, "old");
      assert_folder_holds (fx->dir, "out.bin", NULL);
      return;
    }

  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_INHERIT_STDERR);
  g_test_trap_assert_passed ();
}

static void
test_device_full (Fixture       *fx,
                  gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *big = g_malloc0 (200000);
  GStatBuf st;

  if (g_stat ("/dev/full", &st) != 0 || !S_ISCHR (st.st_mode))
    {
      g_test_skip ("no /dev/full");
      return;
    }
  /* A device is written in place, never renamed over. */
  g_assert_false (bs_atomic_file_write_contents ("/dev/full", big, 200000, &error));
  g_assert_error (error, BS_ERROR, BS_ERROR_IO);
  g_assert_nonnull (strstr (error->message, "/dev/full"));
  g_assert_nonnull (strstr (error->message, g_strerror (ENOSPC)));
  g_assert_cmpint (g_stat ("/dev/full", &st), ==, 0);
  g_assert_true (S_ISCHR (st.st_mode));
  g_clear_error (&error);
  /* Small enough to stay in the buffer until the commit flushes it. */
  g_assert_false (bs_atomic_file_write_contents ("/dev/full", "x", 1, &error));
  g_assert_error (error, BS_ERROR, BS_ERROR_IO);
}

static void
test_symlink_kept (Fixture       *fx,
                   gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *link = g_build_filename (fx->dir, "link.bin", NULL);
  GStatBuf st;

  g_assert_true (bs_atomic_file_write_contents (fx->target, "old", 3, &error));
  g_assert_cmpint (symlink ("out.bin", link), ==, 0);
  g_assert_true (bs_atomic_file_write_contents (link, "through the link", 16, &error));
  g_assert_no_error (error);
  g_assert_cmpint (g_lstat (link, &st), ==, 0);
  g_assert_true (S_ISLNK (st.st_mode));
  assert_contents (fx->target, "through the link");
  assert_folder_holds (fx->dir, "out.bin", "link.bin");
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

#define ADD(name, func) g_test_add ("/atomic-file/" name, Fixture, NULL, fixture_set_up, func, fixture_tear_down)
  ADD ("write-and-replace", test_write_and_replace);
  ADD ("streaming", test_streaming);
  ADD ("discard", test_discard);
  ADD ("missing-folder", test_missing_folder);
  ADD ("read-only-folder", test_read_only_folder);
  ADD ("write-fails-midway", test_write_fails_midway);
  ADD ("device-full", test_device_full);
  ADD ("symlink-kept", test_symlink_kept);
#undef ADD

  return g_test_run ();
}
