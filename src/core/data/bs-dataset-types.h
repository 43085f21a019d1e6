/* bs-dataset-types.h: the image set and the reference-counted data set.
 *
 * A data set is a training split and a test split of 8-bit images with one
 * label each. Images are stored NCHW (image, channel, row, column), so one
 * image is channels * height * width contiguous bytes; conversion to floats
 * in [0, 1] happens per batch (see bs-batcher.h).
 *
 * This is the leaf of the data room: the readers (bs-idx.h, bs-cifar.h) and
 * the generator (bs-synthetic.h) fill these types and include only this
 * header; bs-dataset.h, which loads a data set by name through them,
 * includes it too. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct {
  guint   n_images;
  guint   channels;
  guint   height;
  guint   width;
  guint8 *pixels;   /* n_images * channels * height * width bytes, NCHW */
  guint8 *labels;   /* n_images labels, each < the data set's n_classes */
} BsImageSet;

typedef struct {
  gint         ref_count;
  char        *name;          /* "fashion-mnist", "cifar10", ... */
  char        *display_name;  /* "Fashion-MNIST" */
  char        *location;      /* folder it was read from; NULL when generated */
  guint        n_classes;
  char       **class_names;   /* n_classes entries, NULL-terminated */
  BsImageSet   train;
  BsImageSet   test;
} BsDataset;

/* Takes ownership of nothing; returns a data set with empty splits and one reference. */
BsDataset *bs_dataset_new          (const char  *name,
                                    const char  *display_name,
                                    guint        n_classes);
BsDataset *bs_dataset_ref          (BsDataset   *dataset);
void       bs_dataset_unref        (BsDataset   *dataset);

/* Frees the arrays of an image set (not the struct) and zeroes it. */
void       bs_image_set_clear      (BsImageSet  *set);
/* Bytes per image: channels * height * width. */
gsize      bs_image_set_image_size (const BsImageSet *set);
/* Clears set and allocates room for n_images of the given shape (pixels
 * and labels uninitialised). Fails with BS_ERROR_INVALID_ARGUMENT when the
 * size overflows; what names the source in the message. */
gboolean   bs_image_set_alloc      (BsImageSet  *set,
                                    guint        n_images,
                                    guint        channels,
                                    guint        height,
                                    guint        width,
                                    const char  *what,
                                    GError     **error);
/* The pixels of image i (i < n_images). */
static inline const guint8 *
bs_image_set_get_image (const BsImageSet *set,
                        guint             i)
{
  return set->pixels + (gsize) i * set->channels * set->height * set->width;
}

/* Replaces the class names with a copy of names (n_classes entries). */
void       bs_dataset_set_class_names (BsDataset         *dataset,
                                       const char *const *names);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (BsDataset, bs_dataset_unref)

G_END_DECLS
