/* bs-download.h: one file fetched over HTTP(S), resumed and checked.
 *
 * libsoup 3 does the protocol (redirects, TLS, chunked bodies); this file
 * adds what a data set download needs around it: a body cut off mid-way is
 * resumed with a Range request into the same file when the server honours
 * it (a few times, as long as each attempt makes progress), the MD5 is
 * checked before the caller may use the file, and every failure is one
 * sentence in BS_ERROR (BS_ERROR_NETWORK for the network, BS_ERROR_NOT_FOUND
 * for HTTP 404, BS_ERROR_MISMATCH for a wrong checksum, BS_ERROR_IO for the
 * disk) or G_IO_ERROR_CANCELLED. On failure the file is removed. */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* done and total in bytes (total 0 while unknown), the average speed of
 * this download in bytes per second. Called on the caller's thread, at
 * most about ten times a second and once at the end. */
typedef void (*BsDownloadProgress) (guint64   done,
                                    guint64   total,
                                    double    bytes_per_second,
                                    gpointer  user_data);

/* Call once in main(), before any thread starts, in a program that may
 * download without the GSettings schemas a desktop has (the CLI): GIO's
 * GNOME proxy resolver would end the process without them. Downloads then
 * take their proxy from the environment (https_proxy, no_proxy ...). */
void     bs_download_prepare_process (void);

/* Downloads url into path (created or overwritten). md5 (32 hex digits, or
 * NULL to skip the check) is compared with the file once it is complete.
 * Blocking: call it on a worker thread in an application. */
gboolean bs_download_file (const char          *url,
                           const char          *path,
                           const char          *md5,
                           BsDownloadProgress   progress,
                           gpointer             user_data,
                           GCancellable        *cancellable,
                           GError             **error);

/* The MD5 of a file as 32 lower-case hex digits, or NULL with BS_ERROR_IO. */
char    *bs_download_file_md5 (const char    *path,
                               GCancellable  *cancellable,
                               GError       **error);

G_END_DECLS
