/* bs-test-util.h: small helpers shared by the core test programs. */
#pragma once

#include <glib.h>
#include <glib/gstdio.h>
#include <stdarg.h>
#include <sys/wait.h>

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
