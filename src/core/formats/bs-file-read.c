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

gboolean
bs_file_read_regular (const char  *path,
                      gsize        max_bytes,
                      char       **contents,
                      gsize       *length,
                      GError     **error)
{
  g_autofree char *buffer = NULL;
  GStatBuf st;
  gsize done = 0;
  int fd;

  /* A FIFO or a device would block the open or never end. */
  if (g_stat (path, &st) != 0)
    {
      int errsv = errno;

      g_set_error (error, BS_ERROR, errsv == ENOENT ? BS_ERROR_NOT_FOUND : BS_ERROR_IO,
                   _("Cannot read '%s': %s"), path, g_strerror (errsv));
      return FALSE;
    }
  if (!S_ISREG (st.st_mode))
    {
      g_set_error (error, BS_ERROR, BS_ERROR_IO, _("Cannot read '%s': not a regular file"), path);
      return FALSE;
    }
  fd = g_open (path, O_RDONLY | O_CLOEXEC | O_NONBLOCK, 0);
  if (fd < 0)
    {
      int errsv = errno;

      g_set_error (error, BS_ERROR, errsv == ENOENT ? BS_ERROR_NOT_FOUND : BS_ERROR_IO,
                   _("Cannot read '%s': %s"), path, g_strerror (errsv));
      return FALSE;
    }
  /* Checked again on what was opened: the name may have changed meanwhile. */
  if (fstat (fd, &st) != 0 || !S_ISREG (st.st_mode))
    {
      g_set_error (error, BS_ERROR, BS_ERROR_IO, _("Cannot read '%s': not a regular file"), path);
      close (fd);
      return FALSE;
    }
  if ((guint64) st.st_size > max_bytes)
    {
      g_set_error (error, BS_ERROR, BS_ERROR_FORMAT,
                   /* Translators: a file path, its size and the largest size accepted, in bytes. */
                   _("'%s' is too large (%" PRId64 " bytes, at most %zu expected)"),
                   path, (gint64) st.st_size, max_bytes);
      close (fd);
      return FALSE;
    }
  buffer = g_try_malloc ((gsize) st.st_size + 1);
  if (buffer == NULL)
    {
      g_set_error (error, BS_ERROR, BS_ERROR_IO, _("Cannot read '%s': not enough memory for %" PRId64 " bytes"),
                   path, (gint64) st.st_size);
      close (fd);
      return FALSE;
    }
  while (done < (gsize) st.st_size)
    {
      gssize n = read (fd, buffer + done, (gsize) st.st_size - done);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          int errsv = errno;

          g_set_error (error, BS_ERROR, BS_ERROR_IO, _("Cannot read '%s': %s"), path, g_strerror (errsv));
          close (fd);
          return FALSE;
        }
      if (n == 0)
        break;  /* shrank while reading */
      done += (gsize) n;
    }
  close (fd);
  buffer[done] = '\0';
  *contents = g_steal_pointer (&buffer);
  *length = done;
  return TRUE;
}
