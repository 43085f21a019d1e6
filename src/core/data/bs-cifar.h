/* bs-cifar.h: the binary versions of CIFAR-10 and CIFAR-100.
 *
 * A file is a sequence of fixed-size records with no header: CIFAR-10 has a
 * label byte then 3072 pixel bytes (1024 red, 1024 green, 1024 blue, each
 * 32x32 row-major, so the record is already CHW); CIFAR-100 has a coarse
 * (20 classes) and a fine (100 classes) label byte before the pixels.
 * Blockscope uses the fine labels. */
#pragma once

#include <glib.h>

#include "bs-dataset-types.h"

G_BEGIN_DECLS

typedef enum {
  BS_CIFAR_10,
  BS_CIFAR_100,
} BsCifarKind;

#define BS_CIFAR_SIDE       32u
#define BS_CIFAR_PIXELS     (3u * 32u * 32u)

/* Bytes per record: 3073 for CIFAR-10, 3074 for CIFAR-100. */
gsize    bs_cifar_record_size  (BsCifarKind         kind);
/* Classes of the label that Blockscope uses: 10 or 100. */
guint    bs_cifar_n_classes    (BsCifarKind         kind);

/* Reads the records of every file in paths (NULL-terminated), in order, into set. */
gboolean bs_cifar_read_files   (const char *const  *paths,
                                BsCifarKind         kind,
                                BsImageSet         *set,
                                GError            **error);

/* Class names from a text file with one name per line (batches.meta.txt,
 * fine_label_names.txt); NULL, without an error, unless the file exists
 * and has exactly n_classes non-empty lines. */
char   **bs_cifar_read_class_names (const char     *path,
                                    guint           n_classes);

/* Loads the test split, and the training split with train, of the data set
 * in folder (cifar-10-batches-bin or cifar-100-binary) into dataset, and the
 * class names if the folder has them. */
gboolean bs_cifar_load         (const char         *folder,
                                BsCifarKind         kind,
                                gboolean            train,
                                BsDataset          *dataset,
                                GError            **error);

G_END_DECLS
