/* bs-dataset-fetch-private.h: the unpacking step of bs_dataset_fetch on its own.
 *
 * For the fuzz harness of downloaded archives (tests/fuzz/fuzz-dataset-archive.c),
 * which feeds it hostile archives without a server. */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* Unpacks the regular files and folders of a tar (gzip-compressed or not)
 * into folder, refusing entries outside it, exactly as a download is
 * unpacked. */
gboolean bs_dataset_fetch_unpack (const char    *archive_path,
                                  const char    *folder,
                                  GCancellable  *cancellable,
                                  GError       **error);

G_END_DECLS
