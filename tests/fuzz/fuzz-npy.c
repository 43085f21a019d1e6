/* fuzz-npy.c: .npy files (bs-npy), loaded whole and read row by row. */

#include "fuzz-util.h"

#include "bs-npy.h"

/* Rows read through bs_npy_file_read_rows, at most this many bytes. */
#define MAX_ROWS_BYTES (1 << 20)

int
LLVMFuzzerInitialize (int    *argc,
                      char ***argv)
{
  bs_fuzz_init ();
  return 0;
}

int
LLVMFuzzerTestOneInput (const guint8 *data,
                        size_t        size)
{
  g_autofree char *path = bs_fuzz_write ("fuzz.npy", data, size);
  g_autoptr(BsNpyArray) array = NULL;
  g_autoptr(BsNpyFile) file = NULL;

  array = bs_npy_load (path, NULL);
  bs_fuzz_accepted = array != NULL;
  if (array != NULL)
    bs_fuzz_touch (array->data, array->n_elements * bs_dtype_size (array->dtype));

  file = bs_npy_file_open (path, NULL);
  if (file != NULL)
    {
      guint64 n_rows = bs_npy_file_get_n_rows (file);
      gsize row_length = bs_npy_file_get_row_length (file);

      bs_fuzz_touch (bs_npy_file_get_shape (file), bs_npy_file_get_ndim (file) * sizeof (gint64));
      /* The first rows, the last one, and one past the end (an error). */
      if (row_length > 0 && row_length <= MAX_ROWS_BYTES / sizeof (double))
        {
          guint64 n = MIN (n_rows, MAX_ROWS_BYTES / sizeof (double) / row_length);
          g_autofree double *rows = g_new (double, MAX (n, 1) * row_length);

          bs_npy_file_read_rows (file, 0, n, BS_DTYPE_F64, rows, NULL);
          bs_npy_file_read_rows (file, 0, n, BS_DTYPE_F32, rows, NULL);
          if (n_rows > 0)
            bs_npy_file_read_rows (file, n_rows - 1, 1, BS_DTYPE_F32, rows, NULL);
          bs_npy_file_read_rows (file, n_rows, 1, BS_DTYPE_F64, rows, NULL);
        }
    }
  return 0;
}
