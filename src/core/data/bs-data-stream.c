/* bs-data-stream.c: plain or gzip-compressed data files through GIO. */
#include "bs-data-stream.h"

#include <glib/gi18n-lib.h>
#include <gio/gunixinputstream.h>
#include <string.h>

#include "bs-error.h"
#include "bs-file-read.h"
#include "bs-gzip-members.h"

/* Big reads: the readers pull tens of megabytes through here. A small file
 * gets a buffer of its own size (at least MIN_BUFFER_SIZE). */
#define BUFFER_SIZE (1u << 20)
#define MIN_BUFFER_SIZE 4096u
/* The largest first allocation for data; it doubles from there as data
 * arrives. It is the file's size when that is smaller (a plain file holds
 * no more; gzip data grows from there): a file of 40 bytes that promises
 * 60,000 images gets 40 bytes, not 16 MB. */
#define FIRST_CHUNK (16u << 20)
#define MIN_FIRST_CHUNK 4096u

static void
set_read_error (GError     **error,
                GError      *io_error,
                const char  *path)
{
  if (g_error_matches (io_error, G_IO_ERROR, G_IO_ERROR_PARTIAL_INPUT))
    g_set_error (error, BS_ERROR, BS_ERROR_FORMAT,
                 _("%s: truncated gzip data (the compressed stream ends early)"), path);
  else if (g_error_matches (io_error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA))
    g_set_error (error, BS_ERROR, BS_ERROR_FORMAT,
                 /* Translators: a file path, then the decompressor's reason. */
                 _("%s: damaged gzip data (%s)"), path, io_error->message);
  else
    g_set_error (error, BS_ERROR, BS_ERROR_IO,
                 /* Translators: a file path, then the system's reason. */
                 _("%s: cannot read: %s"), path, io_error->message);
}

GInputStream *
bs_data_stream_open (const char  *path,
                     gboolean    *compressed,
                     guint64     *file_size,
                     GError     **error)
{
  g_autoptr(GInputStream) file_stream = NULL;
  g_autoptr(GInputStream) buffered = NULL;
  g_autoptr(GError) local_error = NULL;
  const guint8 *head;
  gsize head_len = 0;
  guint64 size;
  int fd;

  *compressed = FALSE;
  /* The type is checked before the open: a FIFO would block it, a device never end. */
  fd = bs_file_open_regular (path, &size, &local_error);
  if (fd < 0)
    {
      if (g_error_matches (local_error, BS_ERROR, BS_ERROR_NOT_FOUND))
        g_set_error (error, BS_ERROR, BS_ERROR_NOT_FOUND, _("%s: no such file"), path);
      else if (g_file_test (path, G_FILE_TEST_IS_DIR))
        g_set_error (error, BS_ERROR, BS_ERROR_FORMAT, _("%s: is a folder, not a data file"), path);
      else
        g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }
  if (file_size != NULL)
    *file_size = size;
  file_stream = g_unix_input_stream_new (fd, TRUE);

  /* Peek at the first two bytes without consuming them: gzip starts with 1f 8b. */
  buffered = g_buffered_input_stream_new_sized (file_stream, (gsize) CLAMP (size, MIN_BUFFER_SIZE, BUFFER_SIZE));
  if (g_buffered_input_stream_fill (G_BUFFERED_INPUT_STREAM (buffered), 2, NULL, &local_error) < 0)
    {
      set_read_error (error, local_error, path);
      return NULL;
    }
  head = g_buffered_input_stream_peek_buffer (G_BUFFERED_INPUT_STREAM (buffered), &head_len);
  if (head_len >= 2 && head[0] == 0x1f && head[1] == 0x8b)
    {
      /* Every member, and nothing after the last (bs-gzip-members.h). */
      g_autoptr(GConverter) decompressor = bs_gzip_members_new ();

      *compressed = TRUE;
      return g_converter_input_stream_new (buffered, decompressor);
    }
  return g_steal_pointer (&buffered);
}

gboolean
bs_data_stream_read (GInputStream  *stream,
                     const char    *path,
                     void          *buffer,
                     gsize          count,
                     gsize         *n_read,
                     GError       **error)
{
  g_autoptr(GError) local_error = NULL;

  *n_read = 0;
  if (!g_input_stream_read_all (stream, buffer, count, n_read, NULL, &local_error))
    {
      set_read_error (error, local_error, path);
      return FALSE;
    }
  return TRUE;
}

guint8 *
bs_data_stream_read_exact (GInputStream *stream,
                           const char   *path,
                           gsize         count,
                           guint64       file_size,
                           const char   *what,
                           GError      **error)
{
  g_autofree guint8 *data = NULL;
  gsize capacity = MIN (count, (gsize) CLAMP (file_size, MIN_FIRST_CHUNK, FIRST_CHUNK));
  gsize filled = 0;

  data = g_try_malloc (MAX (capacity, 1));
  if (data == NULL)
    goto out_of_memory;

  while (filled < count)
    {
      gsize n_read;

      if (filled == capacity)
        {
          guint8 *bigger;

          capacity = count - capacity > capacity ? 2 * capacity : count;
          bigger = g_try_realloc (data, capacity);
          if (bigger == NULL)
            goto out_of_memory;
          data = bigger;
        }
      if (!bs_data_stream_read (stream, path, data + filled, capacity - filled, &n_read, error))
        return NULL;
      filled += n_read;
      if (filled < capacity)
        {
          g_set_error (error, BS_ERROR, BS_ERROR_FORMAT,
                       /* Translators: a file path, a number of bytes, what they hold
                        * ("image data", "labels"), and the bytes the file holds. */
                       _("%s: truncated: the header promises %zu bytes of %s but the file has "
                         "only %zu"),
                       path, count, what, filled);
          return NULL;
        }
    }
  return g_steal_pointer (&data);

out_of_memory:
  g_set_error (error, BS_ERROR, BS_ERROR_IO,
               /* Translators: a file path, a number of bytes, and what they hold
                * ("image data", "labels"). */
               _("%s: out of memory for %zu bytes of %s"), path, count, what);
  return NULL;
}

gboolean
bs_data_stream_expect_end (GInputStream *stream,
                           const char   *path,
                           const char   *after,
                           GError      **error)
{
  guint8 probe[64];
  gsize n_read, extra = 0;

  /* Count a little of the excess, so the message can say roughly how much. */
  for (int i = 0; i < 16; i++)
    {
      if (!bs_data_stream_read (stream, path, probe, sizeof probe, &n_read, error))
        return FALSE;
      extra += n_read;
      if (n_read < sizeof probe)
        break;
    }
  if (extra == 0)
    return TRUE;

  if (extra == 16 * sizeof probe)
    g_set_error (error, BS_ERROR, BS_ERROR_FORMAT,
                 /* Translators: a file path, a number of bytes, and what the data should
                  * have ended with ("the 10000 labels"). */
                 _("%s: trailing data: at least %zu more bytes follow %s"), path, extra, after);
  else
    g_set_error (error, BS_ERROR, BS_ERROR_FORMAT,
                 g_dngettext (GETTEXT_PACKAGE,
                              /* Translators: a file path, a number of bytes, and what the
                               * data should have ended with ("the 10000 labels"). */
                              "%s: trailing data: %zu more byte follows %s",
                              "%s: trailing data: %zu more bytes follow %s", extra),
                 path, extra, after);
  return FALSE;
}
