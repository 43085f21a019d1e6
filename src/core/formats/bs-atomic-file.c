/* bs-atomic-file.c: temporary file in the same folder, fsync, rename over the target. */
#include "bs-atomic-file.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bs-error.h"

/* Large enough that many small writes (CSV cells) cost few system calls. */
#define BUFFER_SIZE (64 * 1024)

struct _BsAtomicFile {
  char    *path;        /* as the caller named it: used in every message */
  char    *target;      /* what gets replaced (a symlink resolved) */
  char    *tmp_path;    /* NULL when writing directly or once removed/renamed */
  int      fd;
  gboolean direct;      /* a device or FIFO: written in place */
  gboolean finished;    /* committed, or failed during commit */
  int      failed_errno;
  guint8  *buffer;
  gsize    buffered;
};

static int
error_code_for_errno (int errsv)
{
  return errsv == ENOENT || errsv == ENOTDIR ? BS_ERROR_NOT_FOUND : BS_ERROR_IO;
}

static void
set_errno_error (BsAtomicFile  *file,
                 int            errsv,
                 GError       **error)
{
  g_set_error (error, BS_ERROR, error_code_for_errno (errsv),
               /* Translators: a file path, then the system's reason. */
               _("Cannot write '%s': %s"), file->path, g_strerror (errsv));
}

/* Removes the temporary file; safe to call more than once. */
static void
discard (BsAtomicFile *file)
{
  if (file->fd >= 0)
    {
      close (file->fd);
      file->fd = -1;
    }
  if (file->tmp_path != NULL)
    {
      g_unlink (file->tmp_path);
      g_clear_pointer (&file->tmp_path, g_free);
    }
}

static char *
resolve_target (const char *path)
{
  GStatBuf lst;

  /* Keep a user's symbolic link: replace the file it points to. A dangling
   * link is replaced itself, like any other path. */
  if (g_lstat (path, &lst) == 0 && S_ISLNK (lst.st_mode))
    {
      char *real = realpath (path, NULL);

      if (real != NULL)
        {
          char *copy = g_strdup (real);

          free (real);
          return copy;
        }
    }
  return g_strdup (path);
}

BsAtomicFile *
bs_atomic_file_new (const char  *path,
                    GError     **error)
{
  g_autoptr(BsAtomicFile) file = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *base = NULL;
  g_autofree char *tmpl = NULL;
  GStatBuf st;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  file = g_new0 (BsAtomicFile, 1);
  file->path = g_strdup (path);
  file->fd = -1;

  if (*path == '\0')
    {
      g_set_error (error, BS_ERROR, BS_ERROR_INVALID_ARGUMENT, _("Cannot write a file with an empty name"));
      return NULL;
    }

  if (g_stat (path, &st) == 0)
    {
      if (S_ISDIR (st.st_mode))
        {
          g_set_error (error, BS_ERROR, BS_ERROR_IO, _("Cannot write '%s': it is a folder"), path);
          return NULL;
        }
      if (!S_ISREG (st.st_mode))
        {
          file->direct = TRUE;
          file->target = g_strdup (path);
          file->fd = g_open (path, O_WRONLY | O_CLOEXEC, 0);
          if (file->fd < 0)
            {
              set_errno_error (file, errno, error);
              return NULL;
            }
          file->buffer = g_malloc (BUFFER_SIZE);
          return g_steal_pointer (&file);
        }
    }

  file->target = resolve_target (path);
  dir = g_path_get_dirname (file->target);
  base = g_path_get_basename (file->target);
  /* Same folder, so that the rename cannot cross file systems; the name does
   * not end like the target, so folder scans for "*.npy" do not pick it up. */
  tmpl = g_strdup_printf ("%s%c%s.tmp-XXXXXX", dir, G_DIR_SEPARATOR, base);
  file->fd = g_mkstemp_full (tmpl, O_WRONLY | O_CLOEXEC, 0666);
  if (file->fd < 0)
    {
      int errsv = errno;

      if (errsv == ENOENT || errsv == ENOTDIR)
        g_set_error (error, BS_ERROR, BS_ERROR_NOT_FOUND,
                     _("Cannot write '%s': the folder '%s' does not exist"), path, dir);
      else
        set_errno_error (file, errsv, error);
      return NULL;
    }
  file->tmp_path = g_steal_pointer (&tmpl);
  file->buffer = g_malloc (BUFFER_SIZE);
  return g_steal_pointer (&file);
}

static gboolean
write_all (BsAtomicFile *file,
           const guint8 *data,
           gsize         length)
{
  while (length > 0)
    {
      gssize n = write (file->fd, data, MIN (length, (gsize) G_MAXSSIZE));

      if (n < 0)
        {
          if (errno == EINTR)
            continue;
          file->failed_errno = errno;
          return FALSE;
        }
      if (n == 0)
        {
          /* write() returning 0 for a non-empty request means no room. */
          file->failed_errno = ENOSPC;
          return FALSE;
        }
      data += n;
      length -= (gsize) n;
    }
  return TRUE;
}

static gboolean
flush_buffer (BsAtomicFile *file)
{
  gboolean ok = write_all (file, file->buffer, file->buffered);

  file->buffered = 0;
  return ok;
}

static gboolean
check_usable (BsAtomicFile  *file,
              GError       **error)
{
  if (file->failed_errno != 0)
    {
      set_errno_error (file, file->failed_errno, error);
      return FALSE;
    }
  if (file->finished)
    {
      g_set_error (error, BS_ERROR, BS_ERROR_FAILED, _("Cannot write '%s': already finished"), file->path);
      return FALSE;
    }
  return TRUE;
}

gboolean
bs_atomic_file_write (BsAtomicFile  *file,
                      const void    *data,
                      gsize          length,
                      GError       **error)
{
  g_return_val_if_fail (file != NULL, FALSE);
  g_return_val_if_fail (data != NULL || length == 0, FALSE);

  if (!check_usable (file, error))
    return FALSE;

  if (file->buffered + length <= BUFFER_SIZE)
    {
      if (length > 0)
        memcpy (file->buffer + file->buffered, data, length);
      file->buffered += length;
      return TRUE;
    }

  if (!flush_buffer (file))
    goto failed;
  if (length < BUFFER_SIZE)
    {
      memcpy (file->buffer, data, length);
      file->buffered = length;
      return TRUE;
    }
  if (!write_all (file, data, length))
    goto failed;
  return TRUE;

failed:
  /* Free the space now (the disk may be full), not only when the caller gives up. */
  discard (file);
  set_errno_error (file, file->failed_errno, error);
  return FALSE;
}

gboolean
bs_atomic_file_printf (BsAtomicFile  *file,
                       GError       **error,
                       const char    *format,
                       ...)
{
  g_autofree char *text = NULL;
  va_list args;

  va_start (args, format);
  text = g_strdup_vprintf (format, args);
  va_end (args);

  return bs_atomic_file_write (file, text, strlen (text), error);
}

gboolean
bs_atomic_file_commit (BsAtomicFile  *file,
                       GError       **error)
{
  g_autofree char *dir = NULL;
  int dir_fd;

  g_return_val_if_fail (file != NULL, FALSE);

  if (!check_usable (file, error))
    {
      discard (file);
      file->finished = TRUE;
      return FALSE;
    }
  file->finished = TRUE;

  if (!flush_buffer (file))
    goto failed;

  /* The data must be on disk before the rename makes it the target, or a
   * crash could leave an empty file under the target's name. Devices and
   * FIFOs cannot be synced; they are written in place anyway. */
  if (!file->direct && fsync (file->fd) != 0)
    {
      file->failed_errno = errno;
      goto failed;
    }
  if (close (file->fd) != 0)
    {
      file->fd = -1;
      file->failed_errno = errno;
      goto failed;
    }
  file->fd = -1;

  if (file->direct)
    return TRUE;

  if (g_rename (file->tmp_path, file->target) != 0)
    {
      file->failed_errno = errno;
      goto failed;
    }
  g_clear_pointer (&file->tmp_path, g_free);

  /* Make the rename itself durable; failure here does not undo anything. */
  dir = g_path_get_dirname (file->target);
  dir_fd = g_open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
  if (dir_fd >= 0)
    {
      fsync (dir_fd);
      close (dir_fd);
    }
  return TRUE;

failed:
  discard (file);
  set_errno_error (file, file->failed_errno, error);
  return FALSE;
}

void
bs_atomic_file_free (BsAtomicFile *file)
{
  if (file == NULL)
    return;

  discard (file);
  g_free (file->buffer);
  g_free (file->target);
  g_free (file->path);
  g_free (file);
}

const char *
bs_atomic_file_get_path (BsAtomicFile *file)
{
  g_return_val_if_fail (file != NULL, NULL);

  return file->path;
}

gboolean
bs_atomic_file_write_contents (const char  *path,
                               const void  *data,
                               gsize        length,
                               GError     **error)
{
  g_autoptr(BsAtomicFile) file = bs_atomic_file_new (path, error);

  if (file == NULL)
    return FALSE;
  return bs_atomic_file_write (file, data, length, error)
         && bs_atomic_file_commit (file, error);
}
