/* bs-batcher.h: minibatches of float images from an image set.
 *
 * Converts the bytes of an image set to floats in [0, 1] (pixel / 255, as
 * the paper and torchvision's ToTensor), NCHW, batch by batch. An epoch's
 * order is a permutation drawn from (seed, epoch) alone, and the
 * augmentation of batch i of epoch e from (seed, e, i) alone, so any batch
 * of any pass can be made again on its own ("pass p, minibatch i").
 *
 * Training augmentation (off by default): pad by reflection by
 * BS_BATCHER_PAD pixels, crop a window of the original size at a random
 * offset, then flip horizontally with probability 1/2, as in He et al.
 *
 * A batcher is not thread-safe, and the image set must outlive it. */
#pragma once

#include <glib.h>

#include "bs-dataset.h"
#include "bs-rng.h"

G_BEGIN_DECLS

#define BS_BATCHER_PAD 4u

typedef struct _BsBatcher BsBatcher;

BsBatcher *bs_batcher_new           (const BsImageSet *set,
                                     guint             batch_size);
void       bs_batcher_free          (BsBatcher        *batcher);

/* Shuffle every epoch with a permutation from (seed, epoch); otherwise the
 * images come in order. Off by default. */
void       bs_batcher_set_shuffle   (BsBatcher        *batcher,
                                     gboolean          shuffle,
                                     guint64           seed);
/* Random crop and flip (see above). Off by default; needs the seed of
 * bs_batcher_set_shuffle, or uses 0. */
void       bs_batcher_set_augment   (BsBatcher        *batcher,
                                     gboolean          augment);
/* Use only the first n_images of the set (0: all). */
void       bs_batcher_set_limit     (BsBatcher        *batcher,
                                     guint             n_images);
/* Leave out the last, short batch of an epoch. Off by default. */
void       bs_batcher_set_drop_last (BsBatcher        *batcher,
                                     gboolean          drop_last);

guint      bs_batcher_get_batch_size (BsBatcher       *batcher);
/* Images per epoch (the limit, or the whole set). */
guint      bs_batcher_get_n_images  (BsBatcher        *batcher);
guint      bs_batcher_get_n_batches (BsBatcher        *batcher);
/* Floats in one batch buffer: batch_size * channels * height * width. */
gsize      bs_batcher_get_batch_floats (BsBatcher     *batcher);
/* A buffer for one batch (bs_batcher_get_batch_floats floats; g_free ()
 * it), or NULL with an error saying how much did not fit: the size is the
 * batch a user chose. */
float     *bs_batcher_try_alloc_batch (BsBatcher     *batcher,
                                       GError       **error);
/* The order of the images in an epoch (bs_batcher_get_n_images entries),
 * valid until the batcher works on another epoch. */
const guint32 *bs_batcher_get_order (BsBatcher        *batcher,
                                     guint             epoch);

/* Fills images (bs_batcher_get_batch_floats floats) and labels
 * (batch_size bytes) with batch index of epoch and returns its size: the
 * batch size, fewer for a short last batch, 0 past the end. */
guint      bs_batcher_get_batch     (BsBatcher        *batcher,
                                     guint             epoch,
                                     guint             index,
                                     float            *images,
                                     guint8           *labels);

/* Iteration: start an epoch, then call next until it returns 0. */
void       bs_batcher_start_epoch   (BsBatcher        *batcher,
                                     guint             epoch);
guint      bs_batcher_next          (BsBatcher        *batcher,
                                     float            *images,
                                     guint8           *labels);

/* Fills a batch with the images at indices (each < set->n_images). With
 * augment_rng, each image is augmented with three draws from it, in this
 * order: row offset bs_rng_below (2 * PAD + 1), column offset likewise,
 * flip bs_rng_below (2) == 1. labels may be NULL. */
void       bs_batcher_fill          (const BsImageSet *set,
                                     const guint32    *indices,
                                     guint             n,
                                     BsRng            *augment_rng,
                                     float            *images,
                                     guint8           *labels);

/* One image, bytes CHW to floats CHW: crop at (dy, dx) of the image padded
 * by reflection by BS_BATCHER_PAD (0 <= dy, dx <= 2 * PAD; PAD, PAD is the
 * image itself), then flip left-right if flip. */
void       bs_batcher_augment_image (const guint8     *src,
                                     guint             channels,
                                     guint             height,
                                     guint             width,
                                     guint             dy,
                                     guint             dx,
                                     gboolean          flip,
                                     float            *dst);

/* Bytes to floats in [0, 1]: dst[i] = src[i] / 255. */
void       bs_batcher_convert       (const guint8     *src,
                                     gsize             n,
                                     float            *dst);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (BsBatcher, bs_batcher_free)

G_END_DECLS
