/* bs-file-read.c: a whole regular file, read as a hostile one (see the header). */
#include "bs-file-read.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <inttypes.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bs-error.h"

static void
set_errno_error (GError     **error,
                 const char  *path,
                 int          errsv)
{
  g_set_error (error, BS_ERROR, errsv == ENOENT ? BS_ERROR_NOT_FOUND : BS_ERROR_IO,
               _("Cannot read '%s': %s"), path, g_strerror (errsv));
}

static void
set_not_regular_error (GError     **error,
                       const char  *path)
{
  g_set_error (error, BS_ERROR, BS_ERROR_IO, _("Cannot read '%s': not a regular file"), path);
}

gboolean
bs_file_check_regular (const char  *path,
                       GError     **error)
{
  GStatBuf st;

  if (g_stat (path, &st) != 0)
    {
      set_errno_error (error, path, errno);
      return FALSE;
    }
  if (!S_ISREG (st.st_mode))
    {
      set_not_regular_error (error, path);
      return FALSE;
    }
  return TRUE;
}

int
bs_file_open_regular (const char  *path,
                      guint64     *size,
                      GError     **error)
{
  GStatBuf st;
  int fd;

  /* A FIFO or a device would block the open or never end. */
  if (!bs_file_check_regular (path, error))
    return -1;
  fd = g_open (path, O_RDONLY | O_CLOEXEC | O_NONBLOCK, 0);
  if (fd < 0)
    {
      set_errno_error (error, path, errno);
      return -1;
    }
  /* Checked again on what was opened: the name may have changed meanwhile. */
  if (fstat (fd, &st) != 0 || !S_ISREG (st.st_mode))
    {
      set_not_regular_error (error, path);
      close (fd);
      return -1;
    }
  *size = (guint64) st.st_size;
  return fd;
}

gboolean
bs_file_read_at (int          fd,
                 const char  *path,
                 guint64      offset,
                 void        *buffer,
                 gsize        length,
                 gsize       *n_read,
                 GError     **error)
{
  gsize done = 0;

  while (done < length)
    {
      gssize n = pread (fd, (char *) buffer + done, MIN (length - done, (gsize) G_MAXSSIZE),
                        (off_t) (offset + done));

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          int errsv = errno;

          *n_read = done;
          g_set_error (error, BS_ERROR, BS_ERROR_IO, _("Cannot read '%s': %s"), path, g_strerror (errsv));
          return FALSE;
        }
      if (n == 0)
        break;
      done += (gsize) n;
    }
  *n_read = done;
  return TRUE;
}

gboolean
bs_file_read_regular (const char  *path,
                      gsize        max_bytes,
                      char       **contents,
                      gsize       *length,
                      GError     **error)
{
  g_autofree char *buffer = NULL;
  guint64 size;
  gsize done = 0;
  int fd;

  fd = bs_file_open_regular (path, &size, error);
  if (fd < 0)
    return FALSE;
  if (size > max_bytes)
    {
      g_set_error (error, BS_ERROR, BS_ERROR_FORMAT,
                   /* Translators: a file path, its size and the largest size accepted, in bytes. */
                   _("'%s' is too large (%" PRId64 " bytes, at most %zu expected)"),
                   path, (gint64) size, max_bytes);
      close (fd);
      return FALSE;
    }
  buffer = g_try_malloc ((gsize) size + 1);
  if (buffer == NULL)
    {
      g_set_error (error, BS_ERROR, BS_ERROR_IO, _("Cannot read '%s': not enough memory for %" PRId64 " bytes"),
                   path, (gint64) size);
      close (fd);
      return FALSE;
    }
  /* A file that shrank while reading ends early; done says where. */
  if (!bs_file_read_at (fd, path, 0, buffer, (gsize) size, &done, error))
    {
      close (fd);
      return FALSE;
    }
  close (fd);
  buffer[done] = '\0';
  *contents = g_steal_pointer (&buffer);
  *length = done;
  return TRUE;
}
