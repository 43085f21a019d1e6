/* bs-error.h: the error domain of the Blockscope core library.
 *
 * Every failure a user can cause is reported as a GError in BS_ERROR with a
 * message that names the file (or option) and what is wrong with it. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define BS_ERROR (bs_error_quark ())

typedef enum {
  BS_ERROR_FAILED,            /* anything not below */
  BS_ERROR_NOT_FOUND,         /* a file, data set or model that does not exist */
  BS_ERROR_IO,                /* reading or writing failed (disk full, permissions) */
  BS_ERROR_FORMAT,            /* a file exists but its content is damaged or wrong */
  BS_ERROR_INVALID_ARGUMENT,  /* a parameter or option that makes no sense */
  BS_ERROR_MISMATCH,          /* two inputs that must agree do not (shapes, names, data) */
  BS_ERROR_DIVERGED,          /* training produced NaN or infinity */
  BS_ERROR_NETWORK,           /* a download failed: no network, DNS, TLS, HTTP status, cut off */
} BsError;

GQuark   bs_error_quark      (void);

/* The file formats whose readers report damage with bs_set_format_error(). */
typedef enum {
  BS_FILE_FORMAT_SAFETENSORS,
  BS_FILE_FORMAT_NPY,
  BS_FILE_FORMAT_PTH,
} BsFileFormat;

/* Sets BS_ERROR_FORMAT with the message "'PATH' is not a valid safetensors
 * file: DETAIL" (or its .npy sibling), translated as one sentence, and
 * returns FALSE, for readers of files. FORMAT is a translated detail. */
gboolean bs_set_format_error (GError       **error,
                              BsFileFormat   file_format,
                              const char    *path,
                              const char    *format,
                              ...) G_GNUC_PRINTF (4, 5);

G_END_DECLS
