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

G_END_DECLS
