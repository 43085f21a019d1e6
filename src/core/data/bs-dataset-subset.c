/* bs-dataset-subset.c: test images without some of them. */
#include "bs-dataset-subset.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "bs-error.h"

BsDataset *
bs_dataset_new_test_subset (BsDataset    *dataset,
                            guint         limit,
                            const guint  *exclude,
                            guint         n_exclude,
                            GError      **error)
{
  const BsImageSet *set = &dataset->test;
  guint n = limit > 0 ? MIN (limit, set->n_images) : set->n_images;
  g_autofree guint8 *dropped = g_new0 (guint8, MAX (n, 1));
  g_autoptr(BsDataset) subset = NULL;
  gsize image_size = bs_image_set_image_size (set);
  guint kept = 0;

  g_return_val_if_fail (dataset != NULL, NULL);
  g_return_val_if_fail (exclude != NULL || n_exclude == 0, NULL);

  for (guint i = 0; i < n_exclude; i++)
    {
      if (exclude[i] >= n)
        {
          g_set_error (error, BS_ERROR, BS_ERROR_INVALID_ARGUMENT,
                       /* Translators: an image's index, then the index of the last test image used. */
                       _("There is no test image %u: the images are numbered 0 to %u"), exclude[i], n - 1);
          return NULL;
        }
      if (dropped[exclude[i]])
        {
          g_set_error (error, BS_ERROR, BS_ERROR_INVALID_ARGUMENT,
                       _("Test image %u is excluded twice"), exclude[i]);
          return NULL;
        }
      dropped[exclude[i]] = TRUE;
    }
  if (n_exclude >= n)
    {
      g_set_error (error, BS_ERROR, BS_ERROR_INVALID_ARGUMENT, _("Excluding every test image leaves none"));
      return NULL;
    }

  subset = bs_dataset_new (dataset->name, dataset->display_name, dataset->n_classes);
  bs_dataset_set_class_names (subset, (const char *const *) dataset->class_names);
  if (dataset->location != NULL)
    subset->location = g_strdup (dataset->location);
  if (!bs_image_set_alloc (&subset->test, n - n_exclude, set->channels, set->height, set->width,
                           dataset->name, error))
    return NULL;
  for (guint i = 0; i < n; i++)
    {
      if (dropped[i])
        continue;
      memcpy (subset->test.pixels + kept * image_size, bs_image_set_get_image (set, i), image_size);
      subset->test.labels[kept] = set->labels[i];
      kept++;
    }
  return g_steal_pointer (&subset);
}
