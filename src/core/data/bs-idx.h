/* bs-idx.h: the IDX files of MNIST and Fashion-MNIST.
 *
 * Big-endian; an image file is the magic 0x00000803, the image count, rows,
 * columns and then count * rows * columns pixel bytes; a label file is the
 * magic 0x00000801, the count and then one byte per label. Files may be
 * gzip-compressed (recognised by their content, not their name). Every
 * reader checks the whole file: sizes, truncation, trailing bytes. */
#pragma once

#include <glib.h>

#include "bs-dataset-types.h"

G_BEGIN_DECLS

#define BS_IDX_MAGIC_IMAGES 0x00000803u
#define BS_IDX_MAGIC_LABELS 0x00000801u
/* Larger images or counts than this in a header are taken as damage. */
#define BS_IDX_MAX_SIDE     4096u
#define BS_IDX_MAX_COUNT    100000000u

/* Reads an image file into set (1 channel); the labels are zeroed. */
gboolean bs_idx_read_images (const char  *path,
                             BsImageSet  *set,
                             GError     **error);
/* Reads a label file; *labels is freed with g_free. */
gboolean bs_idx_read_labels (const char  *path,
                             guint       *n_labels,
                             guint8     **labels,
                             GError     **error);

/* <folder>/<basename>.gz if it exists, else <folder>/<basename> if it exists, else NULL. */
char    *bs_idx_find_file   (const char  *folder,
                             const char  *basename);

/* Reads <prefix>-images-idx3-ubyte[.gz] and <prefix>-labels-idx1-ubyte[.gz]
 * from folder ("train" or "t10k") into set and checks that the counts agree
 * and that every label is below n_classes. */
gboolean bs_idx_load_split  (const char  *folder,
                             const char  *prefix,
                             guint        n_classes,
                             BsImageSet  *set,
                             GError     **error);

G_END_DECLS
