/* bs-dataset.c: loading a data set by name.
 *
 * Which folder a data set comes from is decided in bs-dataset-locate.c; the
 * bytes are read by the format readers (bs-idx.c, bs-cifar.c) or generated
 * (bs-synthetic.c) into the types of bs-dataset-types.c. This file only ties
 * them together. */
#include "bs-dataset.h"

#include <glib/gi18n-lib.h>

#include "bs-cifar.h"
#include "bs-dataset-locate.h"
#include "bs-error.h"
#include "bs-idx.h"
#include "bs-synthetic.h"

/* Both splits of a data set must have the same image shape, or no model fits both. */
static gboolean
check_splits_agree (BsDataset  *dataset,
                    GError    **error)
{
  const BsImageSet *a = &dataset->train, *b = &dataset->test;

  if (a->channels == b->channels && a->height == b->height && a->width == b->width)
    return TRUE;

  g_set_error (error, BS_ERROR, BS_ERROR_MISMATCH,
               /* Translators: a data set's folder, then two image shapes (channels x height x
                * width). */
               _("%s: the training images are %ux%ux%u but the test images are %ux%ux%u"),
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

  dataset = bs_dataset_new (info->name, bs_dataset_info_get_display_name (info), info->n_classes);
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
