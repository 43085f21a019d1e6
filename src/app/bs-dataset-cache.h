/* bs-dataset-cache.h: the test split a window loaded last, kept for its next job.
 *
 * Loading Fashion-MNIST again for every CKA computation would cost a second.
 * The cache holds one data set; jobs on worker threads share it (it locks). */
#pragma once

#include <glib.h>

#include "bs-dataset.h"

G_BEGIN_DECLS

typedef struct _BsDatasetCache BsDatasetCache;

BsDatasetCache *bs_dataset_cache_new       (void);
BsDatasetCache *bs_dataset_cache_ref       (BsDatasetCache  *cache);
void            bs_dataset_cache_unref     (BsDatasetCache  *cache);

/* The test split of name (as bs_dataset_load_test() takes it), from the
 * cache when it holds that one, else loaded (and kept instead). *loaded
 * (may be NULL) says whether it had to be read. */
BsDataset      *bs_dataset_cache_load_test (BsDatasetCache  *cache,
                                            const char      *name,
                                            const char      *data_dir,
                                            gboolean        *loaded,
                                            GError         **error);
/* Whether the cache holds that data set now (no loading). */
gboolean        bs_dataset_cache_has       (BsDatasetCache  *cache,
                                            const char      *name,
                                            const char      *data_dir);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (BsDatasetCache, bs_dataset_cache_unref)

G_END_DECLS
