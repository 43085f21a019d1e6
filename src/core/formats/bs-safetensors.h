/* bs-safetensors.h: reading and writing safetensors files.
 *
 * Layout: a little-endian u64 N, N bytes of JSON, then the raw little-endian
 * row-major data of every tensor. The JSON maps each tensor name to
 *   {"dtype": "F32", "shape": [16, 3, 3, 3], "data_offsets": [begin, end]}
 * (offsets relative to the data section) and may hold "__metadata__", a map
 * of strings to strings.
 *
 * The reader checks everything before handing out a single tensor: header
 * length against the file size, valid JSON, every entry complete, known
 * dtypes, shape * element size equal to the offsets' span, and offsets that
 * tile the data section from 0 to the end of the file with no gap and no
 * overlap. Errors name the file and the tensor. */
#pragma once

#include <glib.h>

#include "bs-dtype.h"

G_BEGIN_DECLS

#define BS_SAFETENSORS_MAX_DIMS 8

typedef struct {
  const char  *name;
  BsDtype      dtype;
  guint        ndim;
  gint64       shape[BS_SAFETENSORS_MAX_DIMS];
  gsize        n_elements;
  gsize        n_bytes;
  const void  *data;       /* suitably aligned for dtype; owned by the file */
} BsTensorView;

/* Reading */

typedef struct _BsSafetensors BsSafetensors;

BsSafetensors      *bs_safetensors_load          (const char     *path,
                                                  GError        **error);
void                bs_safetensors_free          (BsSafetensors  *st);

const char         *bs_safetensors_get_path      (BsSafetensors  *st);
/* Tensors in the order of their data in the file. */
guint               bs_safetensors_get_n_tensors (BsSafetensors  *st);
const BsTensorView *bs_safetensors_get_nth       (BsSafetensors  *st,
                                                  guint           index);
/* NULL when there is no tensor of that name. */
const BsTensorView *bs_safetensors_get           (BsSafetensors  *st,
                                                  const char     *name);
/* The data of a F32 tensor with exactly n_elements elements, or NULL and an
 * error naming the file and the tensor (missing, other dtype, other size). */
const float        *bs_safetensors_get_f32       (BsSafetensors  *st,
                                                  const char     *name,
                                                  gsize           n_elements,
                                                  GError        **error);

/* A __metadata__ value, NULL when absent. */
const char         *bs_safetensors_get_metadata  (BsSafetensors  *st,
                                                  const char     *key);
/* The __metadata__ keys, sorted; free the array with g_free (not the strings). */
const char        **bs_safetensors_list_metadata (BsSafetensors  *st);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (BsSafetensors, bs_safetensors_free)

/* Writing */

typedef struct _BsSafetensorsWriter BsSafetensorsWriter;

BsSafetensorsWriter *bs_safetensors_writer_new          (void);
void                 bs_safetensors_writer_free         (BsSafetensorsWriter *writer);
/* data is not copied: it must stay valid until bs_safetensors_writer_save.
 * Fails on a duplicate or empty name, "__metadata__", or a bad shape. */
gboolean             bs_safetensors_writer_add          (BsSafetensorsWriter *writer,
                                                         const char          *name,
                                                         BsDtype              dtype,
                                                         guint                ndim,
                                                         const gint64        *shape,
                                                         const void          *data,
                                                         GError             **error);
void                 bs_safetensors_writer_set_metadata (BsSafetensorsWriter *writer,
                                                         const char          *key,
                                                         const char          *value);
/* Writes atomically (see bs-atomic-file.h); tensors in the order added. */
gboolean             bs_safetensors_writer_save         (BsSafetensorsWriter *writer,
                                                         const char          *path,
                                                         GError             **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (BsSafetensorsWriter, bs_safetensors_writer_free)

G_END_DECLS
