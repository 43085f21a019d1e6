/* bs-file-read.h: a whole regular file, read as a hostile one.
 *
 * The file type is checked before the (non-blocking) open and again on
 * what was opened, so a FIFO or a device never blocks or never ends; the
 * size is bounded before anything is allocated, and the allocation may
 * fail without aborting. For the small files the formats read whole
 * (safetensors, run.json, metrics, snapshot descriptions). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The whole regular file path, NUL-terminated, at most max_bytes long
 * (BS_ERROR_FORMAT beyond; BS_ERROR_NOT_FOUND when missing). */
gboolean bs_file_read_regular (const char  *path,
                               gsize        max_bytes,
                               char       **contents,
                               gsize       *length,
                               GError     **error);

/* Opens path for reading when it is a regular file: the type is checked
 * before the non-blocking open and again on the descriptor, so a FIFO or a
 * device never blocks. Returns the descriptor (close it) and the size in
 * *size, or -1 with BS_ERROR_NOT_FOUND / BS_ERROR_IO. */
int      bs_file_open_regular  (const char  *path,
                                guint64     *size,
                                GError     **error);

/* Only the check, for paths handed to a library that opens them itself
 * (libarchive, mmap): a regular file (or a link to one) or an error. */
gboolean bs_file_check_regular (const char  *path,
                                GError     **error);

/* Exactly length bytes at offset of fd, retrying short reads; *n_read is
 * what was read before the end of the file (less than length at the end).
 * Only a system error fails (BS_ERROR_IO naming path). */
gboolean bs_file_read_at       (int          fd,
                                const char  *path,
                                guint64      offset,
                                void        *buffer,
                                gsize        length,
                                gsize       *n_read,
                                GError     **error);

G_END_DECLS
