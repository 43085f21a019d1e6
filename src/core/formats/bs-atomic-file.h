/* bs-atomic-file.h: writing a file so that it is never seen half-written.
 *
 * Everything Blockscope writes goes through here. The bytes go to a temporary
 * file in the target's folder; commit flushes, fsyncs and renames it over the
 * target. On any error (disk full, permissions, a folder that does not exist)
 * the temporary file is removed, the old target is left as it was, and the
 * GError names the target file.
 *
 *   g_autoptr(BsAtomicFile) file = bs_atomic_file_new (path, error);
 *   if (file == NULL || !bs_atomic_file_write (file, buf, len, error)
 *       || !bs_atomic_file_commit (file, error))
 *     return FALSE;
 *
 * Freeing a file that was not committed discards it (removes the temporary).
 * Writes are buffered; after the first failed write every later call fails
 * with the same kind of error, so callers may check only the commit.
 *
 * Targets that exist and are not regular files (/dev/stdout, a FIFO) cannot be
 * replaced by a rename: they are written to directly. A symbolic link to a
 * regular file is kept; the file it points to is replaced. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _BsAtomicFile BsAtomicFile;

BsAtomicFile *bs_atomic_file_new            (const char    *path,
                                             GError       **error);
gboolean      bs_atomic_file_write          (BsAtomicFile  *file,
                                             const void    *data,
                                             gsize          length,
                                             GError       **error);
gboolean      bs_atomic_file_printf         (BsAtomicFile  *file,
                                             GError       **error,
                                             const char    *format,
                                             ...) G_GNUC_PRINTF (3, 4);
/* Makes the new content visible under the target name. Call at most once. */
gboolean      bs_atomic_file_commit         (BsAtomicFile  *file,
                                             GError       **error);
/* Discards unless committed; NULL is allowed. */
void          bs_atomic_file_free           (BsAtomicFile  *file);

/* The target path as given. */
const char   *bs_atomic_file_get_path       (BsAtomicFile  *file);

/* One-shot: the whole content at once. */
gboolean      bs_atomic_file_write_contents (const char    *path,
                                             const void    *data,
                                             gsize          length,
                                             GError       **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (BsAtomicFile, bs_atomic_file_free)

G_END_DECLS
