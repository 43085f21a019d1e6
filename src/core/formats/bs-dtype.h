/* bs-dtype.h: the element types Blockscope reads and writes in tensor files.
 *
 * Shared by the safetensors and .npy readers and writers. Data in files is
 * always little-endian. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
  BS_DTYPE_F32,
  BS_DTYPE_F64,
  BS_DTYPE_I64,
} BsDtype;

/* Bytes per element. */
gsize       bs_dtype_size           (BsDtype     dtype);
/* The safetensors spelling: "F32", "F64", "I64". */
const char *bs_dtype_to_string      (BsDtype     dtype);
/* Parses the safetensors spelling; FALSE for anything else. */
gboolean    bs_dtype_from_string    (const char *text,
                                     BsDtype    *dtype);

/* Product of the dimensions in elements, FALSE on a negative dimension or on
 * overflow of the byte count (elements * element_size must fit in a gsize). */
gboolean    bs_shape_count_elements (guint         ndim,
                                     const gint64 *shape,
                                     gsize         element_size,
                                     gsize        *n_elements);

G_END_DECLS
