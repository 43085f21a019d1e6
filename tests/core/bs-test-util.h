/* bs-test-util.h: small helpers shared by the core test programs. */
#pragma once

#include <glib.h>
#include <glib/gstdio.h>
#include <stdarg.h>
#include <sys/wait.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

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

/* Child processes without GLib's threads. GSubprocess reaps children and
 * feeds pipes on GLib's worker thread and GTask's pool, and hands data to
 * them with locks inside GLib that ThreadSanitizer cannot see, so under TSan
 * a test that runs the CLI through it drowns in reports about GLib itself.
 * These wait and read in the calling thread (g_spawn_*, waitpid), so the
 * only threads under test are those of the CLI, which runs under TSan too. */

/* Runs argv (NULL-terminated) to the end with envp (NULL: this process's
 * environment), calling setup (may be NULL) in the child before exec;
 * returns its exit status, -1 when a signal ended it. out and err (may be
 * NULL) receive its standard output and error. */
static inline int
bs_test_spawn_sync (const char *const   *argv,
                    char               **envp,
                    GSpawnChildSetupFunc setup,
                    gpointer             setup_data,
                    char               **out,
                    char               **err)
{
  g_autoptr(GError) error = NULL;
  int status;

  g_spawn_sync (NULL, (char **) argv, envp,
                (out != NULL ? G_SPAWN_DEFAULT : G_SPAWN_STDOUT_TO_DEV_NULL)
                | (err != NULL ? G_SPAWN_DEFAULT : G_SPAWN_STDERR_TO_DEV_NULL),
                setup, setup_data, out, err, &status, &error);
  g_assert_no_error (error);
  return WIFEXITED (status) ? WEXITSTATUS (status) : -1;
}

/* A running child whose standard output or error is read line by line. */
typedef struct {
  GPid  pid;
  FILE *lines;
} BsTestChild;

/* Starts argv with its standard output (read_stderr FALSE) or error piped
 * to child->lines; the other stream goes to /dev/null when silence_other,
 * else where this process's goes. */
static inline void
bs_test_child_start (BsTestChild       *child,
                     const char *const *argv,
                     gboolean           read_stderr,
                     gboolean           silence_other)
{
  g_autoptr(GError) error = NULL;
  GSpawnFlags flags = G_SPAWN_DO_NOT_REAP_CHILD;
  int fd = -1;

  if (silence_other)
    flags |= read_stderr ? G_SPAWN_STDOUT_TO_DEV_NULL : G_SPAWN_STDERR_TO_DEV_NULL;
  g_spawn_async_with_pipes (NULL, (char **) argv, NULL, flags, NULL, NULL, &child->pid, NULL,
                            read_stderr ? NULL : &fd, read_stderr ? &fd : NULL, &error);
  g_assert_no_error (error);
  child->lines = fdopen (fd, "r");
  g_assert_nonnull (child->lines);
}

/* The next line without its newline; NULL at the end of the stream. */
static inline char *
bs_test_child_read_line (BsTestChild *child)
{
  char *line = NULL;
  size_t size = 0;
  ssize_t n = getline (&line, &size, child->lines);
  char *copy;

  if (n < 0)
    {
      free (line);
      return NULL;
    }
  if (n > 0 && line[n - 1] == '\n')
    line[n - 1] = '\0';
  copy = g_strdup (line);
  free (line);
  return copy;
}

/* Reads what is left of the stream (so that the child never blocks on a
 * full pipe or dies of SIGPIPE), waits for the child; returns its wait
 * status. */
static inline int
bs_test_child_wait (BsTestChild *child)
{
  int status = 0;

  while (fgetc (child->lines) != EOF)
    ;
  fclose (child->lines);
  child->lines = NULL;
  g_assert_cmpint (waitpid (child->pid, &status, 0), ==, child->pid);
  g_spawn_close_pid (child->pid);
  return status;
}

#ifdef BS_CLI_PATH
/* Runs blockscope-cli with the arguments (NULL-terminated); returns its exit
 * status (-1 when a signal ended it). out and err (may be NULL) receive its
 * standard output and error; the error also goes to the test's log. */
static inline int
bs_test_run_cli_va (char       **out,
                    char       **err,
                    const char  *first,
                    va_list      args)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *stderr_text = NULL;
  int status;

  g_ptr_array_add (argv, (char *) BS_CLI_PATH);
  for (const char *arg = first; arg != NULL; arg = va_arg (args, const char *))
    g_ptr_array_add (argv, (char *) arg);
  g_ptr_array_add (argv, NULL);
  g_spawn_sync (NULL, (char **) argv->pdata, NULL, out != NULL ? G_SPAWN_DEFAULT : G_SPAWN_STDOUT_TO_DEV_NULL,
                NULL, NULL, out, &stderr_text, &status, &error);
  g_assert_no_error (error);
  g_test_message ("stderr: %s", stderr_text);
  if (err != NULL)
    *err = g_steal_pointer (&stderr_text);
  return WIFEXITED (status) ? WEXITSTATUS (status) : -1;
}

static inline int bs_test_run_cli (char       **out,
                                   char       **err,
                                   const char  *first,
                                   ...) G_GNUC_NULL_TERMINATED;

static inline int
bs_test_run_cli (char       **out,
                 char       **err,
                 const char  *first,
                 ...)
{
  va_list args;
  int status;

  va_start (args, first);
  status = bs_test_run_cli_va (out, err, first, args);
  va_end (args);
  return status;
}

/* A run of blockscope-cli with everything it printed. */
typedef struct {
  int   status;
  char *out;
  char *err;
} BsTestRun;

static inline void
bs_test_run_clear (BsTestRun *r)
{
  g_clear_pointer (&r->out, g_free);
  g_clear_pointer (&r->err, g_free);
}

static inline BsTestRun bs_test_run (const char *first,
                                     ...) G_GNUC_NULL_TERMINATED;

static inline BsTestRun
bs_test_run (const char *first,
             ...)
{
  BsTestRun r = { 0 };
  va_list ap;

  va_start (ap, first);
  r.status = bs_test_run_cli_va (&r.out, &r.err, first, ap);
  va_end (ap);
  return r;
}
#endif
