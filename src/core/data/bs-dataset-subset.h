/* bs-dataset-subset.h: a data set's test images without some of them.
 *
 * For CKA without the dominant images (bs-dominant-images.h): the same
 * protocol on the test images that are left when the images that dominate a
 * layer's first principal component are taken out. */
#pragma once

#include <glib.h>

#include "bs-dataset-types.h"

G_BEGIN_DECLS

/* A data set of the same name, classes and class names whose test split is
 * the first `limit` test images of dataset (0: all) without those whose
 * indices are in exclude (into the test split, in any order), and whose
 * training split is empty. An index out of range or given twice is a
 * BS_ERROR_INVALID_ARGUMENT that names it; so is excluding every image. */
BsDataset *bs_dataset_new_test_subset (BsDataset    *dataset,
                                       guint         limit,
                                       const guint  *exclude,
                                       guint         n_exclude,
                                       GError      **error);

G_END_DECLS
