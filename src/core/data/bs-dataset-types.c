/* bs-dataset-types.c: the image set and the reference-counted data set. */
#include "bs-dataset-types.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "bs-error.h"

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
                   /* Translators: a file or data set, a number of images and their shape. */
                   _("%s: %u images of %ux%ux%u bytes do not fit in memory"),
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
                   /* Translators: a file or data set, a number of images and their shape. */
                   _("%s: out of memory for %u images of %ux%ux%u bytes"),
                   what, n_images, channels, height, width);
      return FALSE;
    }
  return TRUE;
}
