/* test-dataset-batcher.c: float minibatches, shuffling and augmentation. */
#include <string.h>

#include "bs-batcher.h"
#include "bs-dataset.h"
#include "bs-rng.h"
#include "bs-synthetic.h"

/* A set of n images of shape c x h x w with pixel (i, c, y, x) = a simple
 * formula and label i % 10. */
static void
make_set (BsImageSet *set,
          guint       n,
          guint       c,
          guint       h,
          guint       w)
{
  g_assert_true (bs_image_set_alloc (set, n, c, h, w, "test", NULL));
  for (guint i = 0; i < n; i++)
    {
      set->labels[i] = i % 10;
      for (gsize p = 0; p < (gsize) c * h * w; p++)
        set->pixels[i * (gsize) c * h * w + p] = (guint8) (i * 31 + p * 7);
    }
}

/* Every byte value becomes exactly value / 255 in float. */
static void
test_convert_exact (void)
{
  guint8 bytes[256];
  float floats[256];

  for (guint v = 0; v < 256; v++)
    bytes[v] = (guint8) v;
  bs_batcher_convert (bytes, 256, floats);
  for (guint v = 0; v < 256; v++)
    g_assert_true (floats[v] == (float) v / 255.0f);
  g_assert_true (floats[0] == 0.0f && floats[255] == 1.0f);
}

/* Without shuffling: images in order, a short last batch, or none with drop_last. */
static void
test_sequential (void)
{
  BsImageSet set = { 0 };
  g_autoptr(BsBatcher) b = NULL;
  g_autofree float *images = NULL;
  guint8 labels[4];
  guint seen = 0, sizes[4] = { 0 }, n_batches = 0, count;
  gsize image_size = 2 * 3 * 5;

  make_set (&set, 10, 2, 3, 5);
  b = bs_batcher_new (&set, 4);
  images = g_new (float, bs_batcher_get_batch_floats (b));
  g_assert_cmpuint (bs_batcher_get_batch_floats (b), ==, 4 * image_size);
  g_assert_cmpuint (bs_batcher_get_n_batches (b), ==, 3);

  bs_batcher_start_epoch (b, 0);
  while ((count = bs_batcher_next (b, images, labels)) > 0)
    {
      sizes[n_batches++] = count;
      for (guint i = 0; i < count; i++, seen++)
        {
          const guint8 *src = bs_image_set_get_image (&set, seen);

          g_assert_cmpuint (labels[i], ==, seen % 10);
          for (gsize p = 0; p < image_size; p++)
            g_assert_true (images[i * image_size + p] == src[p] / 255.0f);
        }
    }
  g_assert_cmpuint (n_batches, ==, 3);
  g_assert_cmpuint (sizes[0], ==, 4);
  g_assert_cmpuint (sizes[2], ==, 2);
  g_assert_cmpuint (seen, ==, 10);

  bs_batcher_set_drop_last (b, TRUE);
  g_assert_cmpuint (bs_batcher_get_n_batches (b), ==, 2);
  g_assert_cmpuint (bs_batcher_get_batch (b, 0, 2, images, labels), ==, 0);

  /* The first 7 images only. */
  bs_batcher_set_limit (b, 7);
  bs_batcher_set_drop_last (b, FALSE);
  g_assert_cmpuint (bs_batcher_get_n_images (b), ==, 7);
  g_assert_cmpuint (bs_batcher_get_n_batches (b), ==, 2);
  g_assert_cmpuint (bs_batcher_get_batch (b, 0, 1, images, labels), ==, 3);
  g_assert_cmpuint (labels[2], ==, 6);
  /* A limit beyond the set is the whole set. */
  bs_batcher_set_limit (b, 1000);
  g_assert_cmpuint (bs_batcher_get_n_images (b), ==, 10);
  bs_image_set_clear (&set);
}

static gboolean
is_permutation (const guint32 *order,
                guint          n)
{
  g_autofree gboolean *seen = g_new0 (gboolean, n);

  for (guint i = 0; i < n; i++)
    {
      if (order[i] >= n || seen[order[i]])
        return FALSE;
      seen[order[i]] = TRUE;
    }
  return TRUE;
}

static void
test_shuffle (void)
{
  BsImageSet set = { 0 };
  g_autoptr(BsBatcher) a = NULL;
  g_autoptr(BsBatcher) b = NULL;
  g_autofree guint32 *epoch0 = NULL;
  g_autofree guint32 *epoch1 = NULL;
  guint moved = 0, differ = 0;
  const guint n = 500;

  make_set (&set, n, 1, 2, 2);
  a = bs_batcher_new (&set, 32);
  b = bs_batcher_new (&set, 32);
  bs_batcher_set_shuffle (a, TRUE, 1234);
  bs_batcher_set_shuffle (b, TRUE, 1234);

  epoch0 = g_memdup2 (bs_batcher_get_order (a, 0), n * sizeof (guint32));
  epoch1 = g_memdup2 (bs_batcher_get_order (a, 1), n * sizeof (guint32));
  g_assert_true (is_permutation (epoch0, n));
  g_assert_true (is_permutation (epoch1, n));
  for (guint i = 0; i < n; i++)
    {
      moved += epoch0[i] != i;
      differ += epoch0[i] != epoch1[i];
    }
  g_assert_cmpuint (moved, >, n * 9 / 10);
  g_assert_cmpuint (differ, >, n * 9 / 10);

  /* The same (seed, epoch) gives the same order, whatever came before. */
  g_assert_cmpmem (bs_batcher_get_order (b, 1), n * 4, epoch1, n * 4);
  g_assert_cmpmem (bs_batcher_get_order (b, 0), n * 4, epoch0, n * 4);
  /* It is exactly the RNG's Fisher-Yates shuffle of stream (seed, epoch). */
  {
    g_autofree guint32 *expected = g_new (guint32, n);
    BsRng rng;

    for (guint i = 0; i < n; i++)
      expected[i] = i;
    bs_rng_init_stream (&rng, 1234, 1);
    bs_rng_shuffle (&rng, expected, n);
    g_assert_cmpmem (expected, n * 4, epoch1, n * 4);
  }
  /* Another seed, another order. */
  bs_batcher_set_shuffle (b, TRUE, 1235);
  g_assert_true (memcmp (bs_batcher_get_order (b, 0), epoch0, n * 4) != 0);

  /* With a limit, a permutation of the first images only. */
  bs_batcher_set_limit (a, 50);
  g_assert_true (is_permutation (bs_batcher_get_order (a, 3), 50));
  bs_image_set_clear (&set);
}

/* Reflection as NumPy's np.pad (mode="reflect"): the image mirrored about
 * its first and last pixels and repeated with period 2 (n - 1). */
static gint
reference_reflect (gint i,
                   gint n)
{
  gint period = 2 * (n - 1);

  if (n == 1)
    return 0;
  i = ((i % period) + period) % period;
  return i < n ? i : period - i;
}

/* The slow, obvious augmentation: build the padded image, cut the window, mirror it. */
static void
reference_augment (const guint8 *src,
                   guint         c,
                   guint         h,
                   guint         w,
                   guint         dy,
                   guint         dx,
                   gboolean      flip,
                   float        *dst)
{
  const guint pad = 4, ph = h + 2 * pad, pw = w + 2 * pad;
  g_autofree guint8 *padded = g_new (guint8, (gsize) c * ph * pw);

  for (guint k = 0; k < c; k++)
    for (guint y = 0; y < ph; y++)
      for (guint x = 0; x < pw; x++)
        {
          gint sy = reference_reflect ((gint) y - (gint) pad, (gint) h);
          gint sx = reference_reflect ((gint) x - (gint) pad, (gint) w);

          padded[((gsize) k * ph + y) * pw + x] = src[((gsize) k * h + sy) * w + sx];
        }
  for (guint k = 0; k < c; k++)
    for (guint y = 0; y < h; y++)
      for (guint x = 0; x < w; x++)
        {
          guint cx = flip ? w - 1 - x : x;

          dst[((gsize) k * h + y) * w + x] = padded[((gsize) k * ph + y + dy) * pw + cx + dx] / 255.0f;
        }
}

/* All 9 x 9 offsets and both flips, against the reference: a non-square
 * image, one wider than 8 (where the byte-swapped reversal runs), and images
 * smaller than the padding (reflected more than once). */
static void
test_augment_reference (void)
{
  const guint shapes[][3] = { { 2, 7, 9 }, { 1, 5, 21 }, { 1, 1, 1 }, { 3, 2, 3 }, { 1, 4, 2 } };

  for (guint s = 0; s < G_N_ELEMENTS (shapes); s++)
    {
      guint c = shapes[s][0], h = shapes[s][1], w = shapes[s][2];
      gsize size = (gsize) c * h * w;
      g_autofree guint8 *src = g_new (guint8, size);
      g_autofree float *got = g_new (float, size);
      g_autofree float *expected = g_new (float, size);

      for (gsize p = 0; p < size; p++)
        src[p] = (guint8) (p * 37 + 11);
      for (guint dy = 0; dy <= 8; dy++)
        for (guint dx = 0; dx <= 8; dx++)
          for (guint flip = 0; flip < 2; flip++)
            {
              bs_batcher_augment_image (src, c, h, w, dy, dx, flip, got);
              reference_augment (src, c, h, w, dy, dx, flip, expected);
              g_assert_cmpmem (got, size * sizeof (float), expected, size * sizeof (float));
            }
      /* The centre offset without flip is the image itself. */
      bs_batcher_augment_image (src, c, h, w, 4, 4, FALSE, got);
      for (gsize p = 0; p < size; p++)
        g_assert_true (got[p] == src[p] / 255.0f);
    }
}

/* Hand-worked cases on a 6 x 6 image whose pixel (y, x) is 10 y + x. */
static void
test_augment_by_hand (void)
{
  guint8 src[36];
  float out[36];
  /* Offset (0, 0): rows and columns -4..1 reflect to 4, 3, 2, 1, 0, 1. */
  const guint8 corner_row0[6] = { 44, 43, 42, 41, 40, 41 };
  const guint8 corner_row5[6] = { 14, 13, 12, 11, 10, 11 };
  /* Offset (8, 8): rows and columns 4..9 reflect to 4, 5, 4, 3, 2, 1. */
  const guint8 far_row0[6] = { 44, 45, 44, 43, 42, 41 };
  const guint8 far_row1[6] = { 54, 55, 54, 53, 52, 51 };
  /* Offset (4, 6) flipped: columns 2..7 -> 2, 3, 4, 5, 4, 3, read backwards. */
  const guint8 flipped_row2[6] = { 23, 24, 25, 24, 23, 22 };

  for (guint y = 0; y < 6; y++)
    for (guint x = 0; x < 6; x++)
      src[y * 6 + x] = (guint8) (10 * y + x);

  bs_batcher_augment_image (src, 1, 6, 6, 0, 0, FALSE, out);
  for (guint x = 0; x < 6; x++)
    {
      g_assert_true (out[x] == corner_row0[x] / 255.0f);
      g_assert_true (out[30 + x] == corner_row5[x] / 255.0f);
    }
  bs_batcher_augment_image (src, 1, 6, 6, 8, 8, FALSE, out);
  for (guint x = 0; x < 6; x++)
    {
      g_assert_true (out[x] == far_row0[x] / 255.0f);
      g_assert_true (out[6 + x] == far_row1[x] / 255.0f);
    }
  bs_batcher_augment_image (src, 1, 6, 6, 4, 6, TRUE, out);
  for (guint x = 0; x < 6; x++)
    g_assert_true (out[12 + x] == flipped_row2[x] / 255.0f);
}

/* bs_batcher_fill draws (dy, dx, flip) per image in the documented order. */
static void
test_fill_uses_rng (void)
{
  BsImageSet set = { 0 };
  const guint32 indices[5] = { 7, 0, 3, 3, 9 };
  const gsize image_size = 3 * 8 * 8;
  float images[5 * 3 * 8 * 8], expected[3 * 8 * 8];
  guint8 labels[5];
  BsRng rng, copy;

  make_set (&set, 10, 3, 8, 8);
  bs_rng_init (&rng, 99);
  copy = rng;
  bs_batcher_fill (&set, indices, 5, &rng, images, labels);
  for (guint i = 0; i < 5; i++)
    {
      guint dy = bs_rng_below (&copy, 9);
      guint dx = bs_rng_below (&copy, 9);
      gboolean flip = bs_rng_below (&copy, 2) == 1;

      reference_augment (bs_image_set_get_image (&set, indices[i]), 3, 8, 8, dy, dx, flip, expected);
      g_assert_cmpmem (images + i * image_size, sizeof expected, expected, sizeof expected);
      g_assert_cmpuint (labels[i], ==, indices[i] % 10);
    }
  /* Both generators made the same draws. */
  g_assert_cmphex (bs_rng_next (&rng), ==, bs_rng_next (&copy));
  bs_image_set_clear (&set);
}

/* Offsets are uniform over 0..8 and flips happen half the time. */
static void
test_augment_distribution (void)
{
  BsImageSet set = { 0 };
  g_autoptr(BsBatcher) b = NULL;
  const guint n = 4000;
  g_autofree float *images = NULL;
  guint flips = 0, shifted = 0;
  float identity[256];

  /* 16x16 images whose pixel (y, x) = 16 y + x: every column offset keeps
   * the first column left of the last one, so only a flip reverses them. */
  g_assert_true (bs_image_set_alloc (&set, n, 1, 16, 16, "test", NULL));
  for (guint i = 0; i < n; i++)
    {
      set.labels[i] = 0;
      for (guint p = 0; p < 256; p++)
        set.pixels[i * 256 + p] = (guint8) p;
    }
  for (guint p = 0; p < 256; p++)
    identity[p] = set.pixels[p] / 255.0f;

  b = bs_batcher_new (&set, n);
  bs_batcher_set_shuffle (b, TRUE, 5);
  bs_batcher_set_augment (b, TRUE);
  images = g_new (float, bs_batcher_get_batch_floats (b));
  g_assert_cmpuint (bs_batcher_get_batch (b, 0, 0, images, NULL), ==, n);
  for (guint i = 0; i < n; i++)
    {
      const float *img = images + i * 256;

      flips += img[0] > img[15];
      shifted += memcmp (img, identity, sizeof identity) != 0;
    }
  /* Expectations (independent of the implementation): 1/2 flipped; the
   * identity needs offset (4, 4) and no flip, 1/162. Bounds are 6 sigma. */
  g_test_message ("flipped %u of %u, changed %u", flips, n, shifted);
  g_assert_cmpuint (flips, >, 1500);
  g_assert_cmpuint (flips, <, 2500);
  g_assert_cmpuint (shifted, >, n - 60);
  bs_image_set_clear (&set);
}

/* "Pass p, minibatch i" comes out the same however it is reached, and
 * differs between passes; without augmentation it is a plain conversion. */
static void
test_random_access (void)
{
  g_autoptr(BsDataset) d = bs_dataset_new_synthetic (300, 0, 3, 32, 32, 10, 3);
  g_autoptr(BsBatcher) b = bs_batcher_new (&d->train, 64);
  gsize floats;
  g_autofree float *first = NULL;
  g_autofree float *again = NULL;
  g_autofree float *other_pass = NULL;
  guint8 labels_first[64], labels_again[64];
  guint count;

  bs_batcher_set_shuffle (b, TRUE, 77);
  bs_batcher_set_augment (b, TRUE);
  floats = bs_batcher_get_batch_floats (b);
  first = g_new (float, floats);
  again = g_new (float, floats);
  other_pass = g_new (float, floats);

  g_assert_cmpuint (bs_batcher_get_batch (b, 2, 3, first, labels_first), ==, 64);
  /* Iterate through pass 2 from the start: its batch 3 is the same. */
  bs_batcher_start_epoch (b, 2);
  for (guint i = 0; i <= 3; i++)
    count = bs_batcher_next (b, again, labels_again);
  g_assert_cmpuint (count, ==, 64);
  g_assert_cmpmem (first, floats * 4, again, floats * 4);
  g_assert_cmpmem (labels_first, 64, labels_again, 64);
  /* And after visiting other passes. */
  bs_batcher_get_batch (b, 5, 3, other_pass, NULL);
  g_assert_true (memcmp (first, other_pass, floats * 4) != 0);
  bs_batcher_get_batch (b, 2, 3, again, NULL);
  g_assert_cmpmem (first, floats * 4, again, floats * 4);
  /* The last batch is short: 300 = 4 * 64 + 44. */
  g_assert_cmpuint (bs_batcher_get_batch (b, 0, 4, again, NULL), ==, 44);

  /* Without augmentation: exactly the shuffled images, converted. */
  bs_batcher_set_augment (b, FALSE);
  bs_batcher_get_batch (b, 2, 3, again, labels_again);
  for (guint i = 0; i < 64; i++)
    {
      guint32 index = bs_batcher_get_order (b, 2)[3 * 64 + i];
      const guint8 *src = bs_image_set_get_image (&d->train, index);

      g_assert_cmpuint (labels_again[i], ==, d->train.labels[index]);
      for (guint p = 0; p < 3072; p++)
        g_assert_true (again[i * 3072 + p] == src[p] / 255.0f);
    }
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/batcher/convert-exact", test_convert_exact);
  g_test_add_func ("/batcher/sequential", test_sequential);
  g_test_add_func ("/batcher/shuffle", test_shuffle);
  g_test_add_func ("/batcher/augment-reference", test_augment_reference);
  g_test_add_func ("/batcher/augment-by-hand", test_augment_by_hand);
  g_test_add_func ("/batcher/fill-uses-rng", test_fill_uses_rng);
  g_test_add_func ("/batcher/augment-distribution", test_augment_distribution);
  g_test_add_func ("/batcher/random-access", test_random_access);
  return g_test_run ();
}
