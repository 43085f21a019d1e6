/* bs-dataset.h: image classification data sets, loaded by name.
 *
 * A data set is a training split and a test split of 8-bit images with one
 * label each, kept compactly as bytes; the types (BsImageSet, BsDataset) and
 * their constructors are in bs-dataset-types.h, included here.
 *
 * Known data sets and where they are looked for are described in
 * bs-dataset-locate.h; the readers of the file formats are in bs-idx.h and
 * bs-cifar.h; the generated "synthetic" set is in bs-synthetic.h. */
#pragma once

#include <glib.h>

#include "bs-dataset-types.h"

G_BEGIN_DECLS

/* Loads a known data set by name ("fashion-mnist", "mnist", "cifar10",
 * "cifar100", "synthetic") from the first folder where it is found (see
 * bs_dataset_find). data_dir may be NULL. */
BsDataset *bs_dataset_load         (const char  *name,
                                    const char  *data_dir,
                                    GError     **error);
/* The same with the test split only (the training split stays empty): what
 * CKA reads, in a sixth of CIFAR-10's memory. */
BsDataset *bs_dataset_load_test    (const char  *name,
                                    const char  *data_dir,
                                    GError     **error);

G_END_DECLS
