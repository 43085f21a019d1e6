/* bs-data-stream.h: reading data files through GIO, for the format readers.
 *
 * Opens plain or gzip-compressed files alike (gzip is recognised by its
 * magic bytes and decompressed member after member, bs-gzip-members.h) and turns GIO's
 * errors into BS_ERROR messages that name the file. Internal to the data room. */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* Opens path for reading, decompressing transparently; *compressed tells
 * which, *file_size (may be NULL) the file's size on disk. Anything but a
 * regular file is refused before it is opened. */
GInputStream *bs_data_stream_open   (const char    *path,
                                     gboolean      *compressed,
                                     guint64       *file_size,
                                     GError       **error);

/* Reads up to count bytes (fewer only at the end of the data) into buffer. */
gboolean      bs_data_stream_read   (GInputStream  *stream,
                                     const char    *path,
                                     void          *buffer,
                                     gsize          count,
                                     gsize         *n_read,
                                     GError       **error);

/* Reads exactly count bytes into a new buffer, growing it as data arrives
 * so that a header that promises more than the file holds costs no more
 * memory than the file: the first buffer is at most file_size (the size
 * bs_data_stream_open () gave) and 16 MB. Truncation is an error that says
 * what was expected and what was found; what names the data, translated
 * ("image data"). */
guint8       *bs_data_stream_read_exact (GInputStream *stream,
                                         const char   *path,
                                         gsize         count,
                                         guint64       file_size,
                                         const char   *what,
                                         GError      **error);

/* Fails with BS_ERROR_FORMAT if the stream has any byte left; after is
 * what came before them, translated ("the 10000 labels"). */
gboolean      bs_data_stream_expect_end (GInputStream *stream,
                                         const char   *path,
                                         const char   *after,
                                         GError      **error);

G_END_DECLS
