/* bs-error.c */
#include "bs-error.h"

#include <glib/gi18n-lib.h>

G_DEFINE_QUARK (bs-error-quark, bs_error)

gboolean
bs_set_format_error (GError       **error,
                     BsFileFormat   file_format,
                     const char    *path,
                     const char    *format,
                     ...)
{
  g_autofree char *detail = NULL;
  va_list args;

  va_start (args, format);
  detail = g_strdup_vprintf (format, args);
  va_end (args);
  /* Whole sentences, one per format: a translation cannot join a file
   * path, a noun phrase and a reason in the English order. */
  switch (file_format)
    {
    case BS_FILE_FORMAT_SAFETENSORS:
      /* Translators: the first %s is a file path, the second what is wrong with it. */
      g_set_error (error, BS_ERROR, BS_ERROR_FORMAT, _("'%s' is not a valid safetensors file: %s"),
                   path, detail);
      break;
    case BS_FILE_FORMAT_PTH:
      /* Translators: the first %s is a file path, the second what is wrong with it. */
      g_set_error (error, BS_ERROR, BS_ERROR_FORMAT, _("'%s' is not a readable PyTorch state dict: %s"),
                   path, detail);
      break;
    case BS_FILE_FORMAT_NPY:
    default:
      /* Translators: the first %s is a file path, the second what is wrong with it. */
      g_set_error (error, BS_ERROR, BS_ERROR_FORMAT, _("'%s' is not a usable .npy file: %s"),
                   path, detail);
      break;
    }
  return FALSE;
}
