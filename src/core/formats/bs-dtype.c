/* bs-dtype.c: element types of tensor files and shape arithmetic with overflow checks. */
#include "bs-dtype.h"

#include <string.h>

gsize
bs_dtype_size (BsDtype dtype)
{
  switch (dtype)
    {
    case BS_DTYPE_F32: return 4;
    case BS_DTYPE_F64: return 8;
    case BS_DTYPE_I64: return 8;
    default: g_return_val_if_reached (0);
    }
}

const char *
bs_dtype_to_string (BsDtype dtype)
{
  switch (dtype)
    {
    case BS_DTYPE_F32: return "F32";
    case BS_DTYPE_F64: return "F64";
    case BS_DTYPE_I64: return "I64";
    default: g_return_val_if_reached ("?");
    }
}

gboolean
bs_dtype_from_string (const char *text,
                      BsDtype    *dtype)
{
  if (g_strcmp0 (text, "F32") == 0)
    *dtype = BS_DTYPE_F32;
  else if (g_strcmp0 (text, "F64") == 0)
    *dtype = BS_DTYPE_F64;
  else if (g_strcmp0 (text, "I64") == 0)
    *dtype = BS_DTYPE_I64;
  else
    return FALSE;
  return TRUE;
}

gboolean
bs_shape_count_elements (guint         ndim,
                         const gint64 *shape,
                         gsize         element_size,
                         gsize        *n_elements)
{
  gsize n = 1;
  gboolean zero = FALSE;

  g_return_val_if_fail (element_size > 0, FALSE);

  /* Overflow is checked against the byte count, so that n * element_size is
   * always safe for the caller. A zero dimension makes the product zero, but
   * the other dimensions must still be sane on their own. */
  for (guint i = 0; i < ndim; i++)
    {
      if (shape[i] < 0)
        return FALSE;
      if ((guint64) shape[i] > G_MAXSIZE / element_size)
        return FALSE;
      if (shape[i] == 0)
        {
          zero = TRUE;
          continue;
        }
      if (!zero && n > G_MAXSIZE / element_size / (gsize) shape[i])
        return FALSE;
      if (!zero)
        n *= (gsize) shape[i];
    }
  *n_elements = zero ? 0 : n;
  return TRUE;
}
