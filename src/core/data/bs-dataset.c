/* bs-dataset.c: the reference-counted data set and loading by name.
 *
 * Which folder a data set comes from is decided in bs-dataset-locate.c; the
 * bytes are read by the format readers (bs-idx.c, bs-cifar.c) or generated
 * (bs-synthetic.c). This file only ties them together. */
#include "bs-dataset.h"

#include <string.h>

#include "bs-cifar.h"
#include "bs-dataset-locate.h"
#include "bs-error.h"
#include "bs-idx.h"
#include "bs-synthetic.h"

BsDataset *
bs_dataset_new (const char *name,
                const char *display_name,
                guint       n_classes)
{
  BsDataset *dataset;

  g_return_val_if_fail (name != NULL, NULL);

  dataset = g_new0 (BsDataset, 1);
  dataset->ref_count = 1;
  dataset->name = g_strdup (name);
  dataset->display_name = g_strdup (display_name ? display_name : name);
  dataset->n_classes = n_classes;
  dataset->class_names = g_new0 (char *, n_classes + 1);
  for (guint i = 0; i < n_classes; i++)
    dataset->class_names[i] = g_strdup_printf ("class %u", i);
  return dataset;
}

BsDataset *
bs_dataset_ref (BsDataset *dataset)
{
  g_return_val_if_fail (dataset != NULL, NULL);

  g_atomic_int_inc (&dataset->ref_count);
  return dataset;
}

void
bs_dataset_unref (BsDataset *dataset)
{
  if (dataset == NULL)
    return;
  if (!g_atomic_int_dec_and_test (&dataset->ref_count))
    return;

  g_free (dataset->name);
  g_free (dataset->display_name);
  g_free (dataset->location);
  g_strfreev (dataset->class_names);
  bs_image_set_clear (&dataset->train);
  bs_image_set_clear (&dataset->test);
  g_free (dataset);
}

void
bs_dataset_set_class_names (BsDataset         *dataset,
                            const char *const *names)
{
  g_return_if_fail (dataset != NULL && names != NULL);

  g_strfreev (dataset->class_names);
  dataset->class_names = g_new0 (char *, dataset->n_classes + 1);
  for (guint i = 0; i < dataset->n_classes; i++)
    dataset->class_names[i] = g_strdup (names[i]);
}

void
bs_image_set_clear (BsImageSet *set)
{
  g_return_if_fail (set != NULL);

  g_free (set->pixels);
  g_free (set->labels);
  memset (set, 0, sizeof *set);
}

gsize
bs_image_set_image_size (const BsImageSet *set)
{
  return (gsize) set->channels * set->height * set->width;
}

gboolean
bs_image_set_alloc (BsImageSet  *set,
                    guint        n_images,
                    guint        channels,
                    guint        height,
                    guint        width,
                    const char  *what,
                    GError     **error)
{
  gsize image_size, total;

  bs_image_set_clear (set);
  /* Each factor fits in a guint, but the products may not fit in a gsize
   * on 32-bit machines, nor in memory anywhere. */
  if (!g_size_checked_mul (&image_size, channels, height) ||
      !g_size_checked_mul (&image_size, image_size, width) ||
      !g_size_checked_mul (&total, image_size, n_images) ||
      total > G_MAXSIZE / 4)
    {
      g_set_error (error, BS_ERROR, BS_ERROR_INVALID_ARGUMENT,
                   "%s: %u images of %ux%ux%u bytes do not fit in memory",
                   what, n_images, channels, height, width);
      return FALSE;
    }

  set->n_images = n_images;
  set->channels = channels;
  set->height = height;
  set->width = width;
  /* g_try_malloc: a data set too large for this machine is an error, not an abort. */
  set->pixels = g_try_malloc (MAX (total, 1));
  set->labels = g_try_malloc (MAX (n_images, 1));
  if (set->pixels == NULL || set->labels == NULL)
    {
      bs_image_set_clear (set);
      g_set_error (error, BS_ERROR, BS_ERROR_IO,
                   "%s: out of memory for %u images of %ux%ux%u bytes",
                   what, n_images, channels, height, width);
      return FALSE;
    }
  return TRUE;
}

/* Both splits of a data set must have the same image shape, or no model fits both. */
static gboolean
check_splits_agree (BsDataset  *dataset,
                    GError    **error)
{
  const BsImageSet *a = &dataset->train, *b = &dataset->test;

  if (a->channels == b->channels && a->height == b->height && a->width == b->width)
    return TRUE;

  g_set_error (error, BS_ERROR, BS_ERROR_MISMATCH,
               "%s: the training images are %ux%ux%u but the test images are %ux%ux%u",
               dataset->location, a->channels, a->height, a->width,
               b->channels, b->height, b->width);
  return FALSE;
}

static BsDataset *
load (const char  *name,
      const char  *data_dir,
      gboolean     train,
      GError     **error)
{
  const BsDatasetInfo *info;
  g_autoptr(BsDataset) dataset = NULL;
  g_autofree char *folder = NULL;
  gboolean ok = FALSE;

  g_return_val_if_fail (name != NULL, NULL);

  info = bs_dataset_info_lookup (name, error);
  if (info == NULL)
    return NULL;

  if (info->format == BS_DATASET_FORMAT_SYNTHETIC)
    return bs_dataset_new_synthetic (BS_SYNTHETIC_DEFAULT_N_TRAIN, BS_SYNTHETIC_DEFAULT_N_TEST,
                                     info->channels, info->height, info->width,
                                     info->n_classes, BS_SYNTHETIC_DEFAULT_SEED);

  folder = bs_dataset_find (name, data_dir, error);
  if (folder == NULL)
    return NULL;

  dataset = bs_dataset_new (info->name, info->display_name, info->n_classes);
  dataset->location = g_steal_pointer (&folder);
  if (info->class_names != NULL)
    bs_dataset_set_class_names (dataset, info->class_names);

  switch (info->format)
    {
    case BS_DATASET_FORMAT_IDX:
      ok = (!train ||
            bs_idx_load_split (dataset->location, "train", info->n_classes, &dataset->train, error)) &&
           bs_idx_load_split (dataset->location, "t10k", info->n_classes, &dataset->test, error);
      break;
    case BS_DATASET_FORMAT_CIFAR10:
      ok = bs_cifar_load (dataset->location, BS_CIFAR_10, train, dataset, error);
      break;
    case BS_DATASET_FORMAT_CIFAR100:
      ok = bs_cifar_load (dataset->location, BS_CIFAR_100, train, dataset, error);
      break;
    case BS_DATASET_FORMAT_SYNTHETIC:
    default:
      g_assert_not_reached ();
    }

  if (!ok || (train && !check_splits_agree (dataset, error)))
    return NULL;
  return g_steal_pointer (&dataset);
}

BsDataset *
bs_dataset_load (const char  *name,
                 const char  *data_dir,
                 GError     **error)
{
  return load (name, data_dir, TRUE, error);
}

BsDataset *
bs_dataset_load_test (const char  *name,
                      const char  *data_dir,
                      GError     **error)
{
  return load (name, data_dir, FALSE, error);
}
