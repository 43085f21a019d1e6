/* bs-dataset-cache.c */
#include "bs-config.h"

#include "bs-dataset-cache.h"

struct _BsDatasetCache {
  gatomicrefcount  ref_count;
  GMutex           lock;
  char            *name;
  char            *data_dir;
  BsDataset       *dataset;
};

BsDatasetCache *
bs_dataset_cache_new (void)
{
  BsDatasetCache *cache = g_new0 (BsDatasetCache, 1);

  g_atomic_ref_count_init (&cache->ref_count);
  g_mutex_init (&cache->lock);
  return cache;
}

BsDatasetCache *
bs_dataset_cache_ref (BsDatasetCache *cache)
{
  g_atomic_ref_count_inc (&cache->ref_count);
  return cache;
}

void
bs_dataset_cache_unref (BsDatasetCache *cache)
{
  if (cache == NULL || !g_atomic_ref_count_dec (&cache->ref_count))
    return;

  g_clear_pointer (&cache->dataset, bs_dataset_unref);
  g_free (cache->name);
  g_free (cache->data_dir);
  g_mutex_clear (&cache->lock);
  g_free (cache);
}

static gboolean
holds_locked (BsDatasetCache *cache,
              const char     *name,
              const char     *data_dir)
{
  return cache->dataset != NULL && g_strcmp0 (cache->name, name) == 0 &&
         g_strcmp0 (cache->data_dir, data_dir) == 0;
}

gboolean
bs_dataset_cache_has (BsDatasetCache *cache,
                      const char     *name,
                      const char     *data_dir)
{
  gboolean has;

  g_mutex_lock (&cache->lock);
  has = holds_locked (cache, name, data_dir);
  g_mutex_unlock (&cache->lock);
  return has;
}

BsDataset *
bs_dataset_cache_load_test (BsDatasetCache  *cache,
                            const char      *name,
                            const char      *data_dir,
                            gboolean        *loaded,
                            GError         **error)
{
  BsDataset *dataset;

  g_return_val_if_fail (cache != NULL && name != NULL, NULL);

  /* Loading under the lock: a second job wanting the same data waits for
   * the first one's instead of reading it again. */
  g_mutex_lock (&cache->lock);
  if (loaded != NULL)
    *loaded = !holds_locked (cache, name, data_dir);
  if (!holds_locked (cache, name, data_dir))
    {
      dataset = bs_dataset_load_test (name, data_dir, error);
      if (dataset == NULL)
        {
          g_mutex_unlock (&cache->lock);
          return NULL;
        }
      g_clear_pointer (&cache->dataset, bs_dataset_unref);
      g_free (cache->name);
      g_free (cache->data_dir);
      cache->dataset = dataset;
      cache->name = g_strdup (name);
      cache->data_dir = g_strdup (data_dir);
    }
  dataset = bs_dataset_ref (cache->dataset);
  g_mutex_unlock (&cache->lock);
  return dataset;
}
