/* bs-error.c */
#include "bs-error.h"

G_DEFINE_QUARK (bs-error-quark, bs_error)

gboolean
bs_set_format_error (GError     **error,
                     const char  *path,
                     const char  *what,
                     const char  *format,
                     ...)
{
  g_autofree char *detail = NULL;
  va_list args;

  va_start (args, format);
  detail = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error (error, BS_ERROR, BS_ERROR_FORMAT, "'%s' is not %s: %s", path, what, detail);
  return FALSE;
}
