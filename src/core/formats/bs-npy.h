/* bs-npy.h: NumPy .npy files of float32 or float64 arrays.
 *
 * Reads versions 1.0, 2.0 and 3.0 (they differ only in the header length
 * field); writes version 1.0 with the data aligned to 64 bytes, as numpy does.
 * Only little-endian '<f4' and '<f8' in C order are accepted; anything else
 * (another dtype, big-endian, Fortran order, a header that does not parse, a
 * file shorter or longer than the shape says) is a clear BS_ERROR_FORMAT
 * error naming the file.
 *
 * Activation files can be large, so the reader does not load the data until
 * asked: open, look at the shape, then read rows (ranges of the first axis)
 * converted to float or double. bs_npy_load() reads everything at once. */
#pragma once

#include <glib.h>

#include "bs-dtype.h"

G_BEGIN_DECLS

#define BS_NPY_MAX_DIMS 32

typedef struct _BsNpyFile BsNpyFile;

BsNpyFile    *bs_npy_file_open           (const char    *path,
                                          GError       **error);
void          bs_npy_file_free           (BsNpyFile     *file);

const char   *bs_npy_file_get_path       (BsNpyFile     *file);
/* BS_DTYPE_F32 or BS_DTYPE_F64. */
BsDtype       bs_npy_file_get_dtype      (BsNpyFile     *file);
guint         bs_npy_file_get_ndim       (BsNpyFile     *file);
const gint64 *bs_npy_file_get_shape      (BsNpyFile     *file);
gsize         bs_npy_file_get_n_elements (BsNpyFile     *file);
/* Rows are slices along the first axis: shape[0] rows of product(shape[1:])
 * elements. A 0-d array is one row of one element. */
guint64       bs_npy_file_get_n_rows     (BsNpyFile     *file);
gsize         bs_npy_file_get_row_length (BsNpyFile     *file);

/* Reads rows [first, first + n_rows) into dest as out_dtype (F32 or F64),
 * converting from the file's dtype: n_rows * row_length elements. */
gboolean      bs_npy_file_read_rows      (BsNpyFile     *file,
                                          guint64        first,
                                          guint64        n_rows,
                                          BsDtype        out_dtype,
                                          void          *dest,
                                          GError       **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (BsNpyFile, bs_npy_file_free)

/* A whole array in memory. */
typedef struct {
  BsDtype  dtype;
  guint    ndim;
  gint64   shape[BS_NPY_MAX_DIMS];
  gsize    n_elements;
  void    *data;     /* n_elements of dtype */
} BsNpyArray;

BsNpyArray   *bs_npy_load                (const char    *path,
                                          GError       **error);
void          bs_npy_array_free          (BsNpyArray    *array);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (BsNpyArray, bs_npy_array_free)

/* Writes atomically (see bs-atomic-file.h); dtype is F32 or F64. */
gboolean      bs_npy_save                (const char    *path,
                                          BsDtype        dtype,
                                          guint          ndim,
                                          const gint64  *shape,
                                          const void    *data,
                                          GError       **error);

/* The header of a version 1.0 file for that array (magic to newline), for
 * callers that stream the data themselves. */
GBytes       *bs_npy_build_header        (BsDtype        dtype,
                                          guint          ndim,
                                          const gint64  *shape);

G_END_DECLS
