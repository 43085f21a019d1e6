/* bs-batcher.c: shuffled, augmented float minibatches from byte images. */
#include "bs-batcher.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "bs-error.h"
#include "bs-memory.h"

/* Keeps the augmentation streams apart from the shuffling streams of the same seed. */
#define AUGMENT_SALT 0x6175676d656e7421ull

struct _BsBatcher {
  const BsImageSet *set;
  guint             batch_size;
  gboolean          shuffle;
  guint64           seed;
  gboolean          augment;
  guint             limit;
  gboolean          drop_last;

  guint32          *order;        /* the permutation of order_epoch, n_images entries */
  guint             order_epoch;
  gboolean          order_valid;

  guint             epoch;        /* iteration state of start_epoch / next */
  guint             next_batch;
};

BsBatcher *
bs_batcher_new (const BsImageSet *set,
                guint             batch_size)
{
  BsBatcher *batcher;

  g_return_val_if_fail (set != NULL, NULL);
  g_return_val_if_fail (batch_size > 0, NULL);

  batcher = g_new0 (BsBatcher, 1);
  batcher->set = set;
  batcher->batch_size = batch_size;
  return batcher;
}

void
bs_batcher_free (BsBatcher *batcher)
{
  if (batcher == NULL)
    return;
  g_free (batcher->order);
  g_free (batcher);
}

void
bs_batcher_set_shuffle (BsBatcher *batcher,
                        gboolean   shuffle,
                        guint64    seed)
{
  batcher->shuffle = shuffle;
  batcher->seed = seed;
  batcher->order_valid = FALSE;
}

void
bs_batcher_set_augment (BsBatcher *batcher,
                        gboolean   augment)
{
  batcher->augment = augment;
}

void
bs_batcher_set_limit (BsBatcher *batcher,
                      guint      n_images)
{
  batcher->limit = n_images;
  g_clear_pointer (&batcher->order, g_free);
  batcher->order_valid = FALSE;
}

void
bs_batcher_set_drop_last (BsBatcher *batcher,
                          gboolean   drop_last)
{
  batcher->drop_last = drop_last;
}

guint
bs_batcher_get_batch_size (BsBatcher *batcher)
{
  return batcher->batch_size;
}

guint
bs_batcher_get_n_images (BsBatcher *batcher)
{
  guint n = batcher->set->n_images;

  return batcher->limit > 0 && batcher->limit < n ? batcher->limit : n;
}

guint
bs_batcher_get_n_batches (BsBatcher *batcher)
{
  guint n = bs_batcher_get_n_images (batcher);

  if (batcher->drop_last)
    return n / batcher->batch_size;
  return n / batcher->batch_size + (n % batcher->batch_size != 0);
}

gsize
bs_batcher_get_batch_floats (BsBatcher *batcher)
{
  return (gsize) batcher->batch_size * bs_image_set_image_size (batcher->set);
}

float *
bs_batcher_try_alloc_batch (BsBatcher  *batcher,
                            GError    **error)
{
  gsize n = bs_batcher_get_batch_floats (batcher);
  float *images = g_try_malloc_n (MAX (n, 1), sizeof (float));

  if (images == NULL)
    {
      g_autofree char *size = bs_format_size_plain ((guint64) n * sizeof (float));

      g_set_error (error, BS_ERROR, BS_ERROR_FAILED,
                   /* Translators: a number of images, then an amount of memory ("1.2 GB"). */
                   _("Not enough memory for a batch of %u images (%s): use a smaller batch"),
                   batcher->batch_size, size);
    }
  return images;
}

const guint32 *
bs_batcher_get_order (BsBatcher *batcher,
                      guint      epoch)
{
  guint n = bs_batcher_get_n_images (batcher);

  if (batcher->order_valid && (batcher->order_epoch == epoch || !batcher->shuffle))
    return batcher->order;

  if (batcher->order == NULL)
    batcher->order = g_new (guint32, MAX (n, 1));
  for (guint i = 0; i < n; i++)
    batcher->order[i] = i;
  if (batcher->shuffle)
    {
      BsRng rng;

      bs_rng_init_stream (&rng, batcher->seed, epoch);
      bs_rng_shuffle (&rng, batcher->order, n);
    }
  batcher->order_epoch = epoch;
  batcher->order_valid = TRUE;
  return batcher->order;
}

guint
bs_batcher_get_batch (BsBatcher *batcher,
                      guint      epoch,
                      guint      index,
                      float     *images,
                      guint8    *labels)
{
  guint n_images = bs_batcher_get_n_images (batcher);
  const guint32 *order;
  guint first, count;
  BsRng rng;

  if (index >= bs_batcher_get_n_batches (batcher))
    return 0;

  order = bs_batcher_get_order (batcher, epoch);
  first = index * batcher->batch_size;
  count = MIN (batcher->batch_size, n_images - first);
  if (batcher->augment)
    bs_rng_init_stream (&rng, batcher->seed ^ AUGMENT_SALT, ((guint64) epoch << 32) | index);
  bs_batcher_fill (batcher->set, order + first, count, batcher->augment ? &rng : NULL,
                   images, labels);
  return count;
}

void
bs_batcher_start_epoch (BsBatcher *batcher,
                        guint      epoch)
{
  batcher->epoch = epoch;
  batcher->next_batch = 0;
}

guint
bs_batcher_next (BsBatcher *batcher,
                 float     *images,
                 guint8    *labels)
{
  guint count = bs_batcher_get_batch (batcher, batcher->epoch, batcher->next_batch,
                                      images, labels);

  if (count > 0)
    batcher->next_batch++;
  return count;
}

void
bs_batcher_convert (const guint8 *src,
                    gsize         n,
                    float        *dst)
{
  /* A true division, as PyTorch's ToTensor; it vectorises, so it costs no
   * more than the memory traffic. */
  for (gsize i = 0; i < n; i++)
    dst[i] = (float) src[i] / 255.0f;
}

/* Reflection without repeating the edge ("reflect" padding in PyTorch and
 * NumPy): -1 -> 1, n -> n - 2. Also right for offsets beyond the size. */
static inline guint
reflect (gint i,
         gint n)
{
  if (n == 1)
    return 0;
  /* One reflection suffices when the padding is smaller than the image;
   * smaller images bounce more than once. Each pass brings i closer. */
  while (i < 0 || i >= n)
    {
      if (i < 0)
        i = -i;
      if (i >= n)
        i = 2 * (n - 1) - i;
    }
  return (guint) i;
}

/* Where each output row and column comes from, for one crop offset and flip. */
static void
make_maps (guint     height,
           guint     width,
           guint     dy,
           guint     dx,
           gboolean  flip,
           guint    *row_map,
           guint    *col_map)
{
  for (guint y = 0; y < height; y++)
    row_map[y] = reflect ((gint) (y + dy) - (gint) BS_BATCHER_PAD, (gint) height);
  for (guint x = 0; x < width; x++)
    {
      guint xc = flip ? width - 1 - x : x;

      col_map[x] = reflect ((gint) (xc + dx) - (gint) BS_BATCHER_PAD, (gint) width);
    }
}

/* Gathers the output image as bytes (image_bytes: channels * height * width),
 * then converts it in one vectorisable pass. Between the reflected borders a
 * row is a plain (or, flipped, reversed) run of the source row: copy it as such. */
static void
augment_with_maps (const guint8 *src,
                   guint         channels,
                   guint         height,
                   guint         width,
                   guint         dx,
                   gboolean      flip,
                   const guint  *row_map,
                   const guint  *col_map,
                   guint8       *image_bytes,
                   float        *dst)
{
  gint w = (gint) width, shift = (gint) dx - (gint) BS_BATCHER_PAD;
  gint x0 = flip ? MAX (0, shift) : MAX (0, -shift);
  gint x1 = flip ? MIN (w, w + shift) : MIN (w, w - shift);
  guint8 *out = image_bytes;

  /* Images narrower than the padding may have no plain run at all. */
  x0 = MIN (x0, w);
  x1 = MAX (x0, x1);
  for (guint c = 0; c < channels; c++)
    {
      const guint8 *plane = src + (gsize) c * height * width;

      for (guint y = 0; y < height; y++)
        {
          const guint8 *row = plane + (gsize) row_map[y] * width;

          for (gint x = 0; x < x0; x++)
            out[x] = row[col_map[x]];
          if (!flip)
            memcpy (out + x0, row + x0 + shift, x1 - x0);
          else
            {
              /* Reversed: eight bytes at a time, reversed by a byte swap. */
              const guint8 *from = row + w - 1 + shift;   /* out[x] = from[-x] */
              gint x = x0;

              for (; x + 8 <= x1; x += 8)
                {
                  guint64 chunk;

                  memcpy (&chunk, from - x - 7, 8);
                  chunk = GUINT64_SWAP_LE_BE (chunk);
                  memcpy (out + x, &chunk, 8);
                }
              for (; x < x1; x++)
                out[x] = from[-x];
            }
          for (gint x = x1; x < w; x++)
            out[x] = row[col_map[x]];
          out += width;
        }
    }
  bs_batcher_convert (image_bytes, (gsize) channels * height * width, dst);
}

void
bs_batcher_augment_image (const guint8 *src,
                          guint         channels,
                          guint         height,
                          guint         width,
                          guint         dy,
                          guint         dx,
                          gboolean      flip,
                          float        *dst)
{
  g_autofree guint *maps = g_new (guint, (gsize) height + width);
  g_autofree guint8 *image_bytes = g_new (guint8, (gsize) channels * height * width);

  g_return_if_fail (dy <= 2 * BS_BATCHER_PAD && dx <= 2 * BS_BATCHER_PAD);

  make_maps (height, width, dy, dx, flip, maps, maps + height);
  augment_with_maps (src, channels, height, width, dx, flip, maps, maps + height, image_bytes, dst);
}

void
bs_batcher_fill (const BsImageSet *set,
                 const guint32    *indices,
                 guint             n,
                 BsRng            *augment_rng,
                 float            *images,
                 guint8           *labels)
{
  gsize image_size = bs_image_set_image_size (set);
  g_autofree guint *maps = NULL;
  g_autofree guint8 *image_bytes = NULL;

  if (augment_rng != NULL)
    {
      maps = g_new (guint, (gsize) set->height + set->width);
      image_bytes = g_new (guint8, image_size);
    }

  for (guint i = 0; i < n; i++)
    {
      const guint8 *src;
      float *dst = images + i * image_size;

      g_return_if_fail (indices[i] < set->n_images);
      src = bs_image_set_get_image (set, indices[i]);
      if (labels != NULL)
        labels[i] = set->labels[indices[i]];

      if (augment_rng != NULL)
        {
          guint dy = bs_rng_below (augment_rng, 2 * BS_BATCHER_PAD + 1);
          guint dx = bs_rng_below (augment_rng, 2 * BS_BATCHER_PAD + 1);
          gboolean flip = bs_rng_below (augment_rng, 2) == 1;

          make_maps (set->height, set->width, dy, dx, flip, maps, maps + set->height);
          augment_with_maps (src, set->channels, set->height, set->width, dx, flip,
                             maps, maps + set->height, image_bytes, dst);
        }
      else
        bs_batcher_convert (src, image_size, dst);
    }
}
