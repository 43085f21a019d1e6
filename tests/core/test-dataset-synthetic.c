/* test-dataset-synthetic.c: the generated "synthetic" data set. */
#include <math.h>
#include <string.h>

#include "bs-dataset.h"
#include "bs-error.h"
#include "bs-synthetic.h"

static gboolean
images_equal (const BsImageSet *a,
              guint             i,
              const BsImageSet *b,
              guint             j)
{
  return memcmp (bs_image_set_get_image (a, i), bs_image_set_get_image (b, j),
                 bs_image_set_image_size (a)) == 0;
}

static void
test_default (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BsDataset) dataset = NULL;
  guint counts[10] = { 0 };
  guint histogram[256] = { 0 };
  guint used = 0;

  dataset = bs_dataset_load ("synthetic", NULL, &error);
  g_assert_no_error (error);

  g_assert_cmpstr (dataset->name, ==, "synthetic");
  g_assert_null (dataset->location);
  g_assert_cmpuint (dataset->n_classes, ==, 10);
  g_assert_cmpuint (dataset->train.n_images, ==, 4096);
  g_assert_cmpuint (dataset->test.n_images, ==, 1024);
  g_assert_cmpuint (dataset->train.channels, ==, 3);
  g_assert_cmpuint (dataset->train.height, ==, 32);
  g_assert_cmpuint (dataset->train.width, ==, 32);
  g_assert_cmpuint (g_strv_length (dataset->class_names), ==, 10);

  for (guint i = 0; i < dataset->train.n_images; i++)
    counts[dataset->train.labels[i]]++;
  /* Balanced: 4096 = 409 * 10 + 6. */
  for (guint c = 0; c < 10; c++)
    g_assert_cmpuint (counts[c], ==, c < 6 ? 410 : 409);

  /* The pixels use most of the byte range, not a sliver of it. */
  for (gsize p = 0; p < (gsize) 4096 * 3072; p++)
    histogram[dataset->train.pixels[p]]++;
  for (guint v = 0; v < 256; v++)
    used += histogram[v] > 0;
  g_assert_cmpuint (used, >, 200);
}

static void
test_deterministic (void)
{
  g_autoptr(BsDataset) a = bs_dataset_new_synthetic (50, 20, 3, 16, 12, 7, 42);
  g_autoptr(BsDataset) b = bs_dataset_new_synthetic (50, 20, 3, 16, 12, 7, 42);
  g_autoptr(BsDataset) c = bs_dataset_new_synthetic (50, 20, 3, 16, 12, 7, 43);
  g_autoptr(BsDataset) longer = bs_dataset_new_synthetic (80, 5, 3, 16, 12, 7, 42);
  gsize size = bs_image_set_image_size (&a->train);
  guint differ = 0;

  g_assert_cmpmem (a->train.pixels, 50 * size, b->train.pixels, 50 * size);
  g_assert_cmpmem (a->test.pixels, 20 * size, b->test.pixels, 20 * size);
  g_assert_cmpmem (a->train.labels, 50, b->train.labels, 50);
  /* A longer split starts with the same images. */
  g_assert_cmpmem (a->train.pixels, 50 * size, longer->train.pixels, 50 * size);
  g_assert_cmpmem (a->test.pixels, 5 * size, longer->test.pixels, 5 * size);
  /* Another seed, other images (with the same labels). */
  for (guint i = 0; i < 50; i++)
    differ += !images_equal (&a->train, i, &c->train, i);
  g_assert_cmpuint (differ, ==, 50);
  g_assert_cmpmem (a->train.labels, 50, c->train.labels, 50);
  /* Training and test images are not the same images. */
  for (guint i = 0; i < 20; i++)
    g_assert_false (images_equal (&a->train, i, &a->test, i));
}

/* Odd shapes work: one channel, tiny, non-square, many classes. */
static void
test_shapes (void)
{
  g_autoptr(BsDataset) grey = bs_dataset_new_synthetic (30, 10, 1, 28, 28, 10, 0);
  g_autoptr(BsDataset) tiny = bs_dataset_new_synthetic (30, 0, 2, 1, 3, 2, 0);
  g_autoptr(BsDataset) many = bs_dataset_new_synthetic (300, 0, 4, 9, 40, 100, 5);

  g_assert_cmpuint (grey->train.channels, ==, 1);
  g_assert_cmpuint (tiny->test.n_images, ==, 0);
  g_assert_cmpuint (tiny->train.width, ==, 3);
  for (guint i = 0; i < 300; i++)
    g_assert_cmpuint (many->train.labels[i], ==, i % 100);
}

static void
test_bad_params (void)
{
  struct {
    guint n_train, n_test, c, h, w, k;
    const char *says;
  } cases[] = {
    { 10, 10, 3, 32, 32, 1, "1 class;" },
    { 10, 10, 3, 32, 32, 257, "257 classes" },
    { 10, 10, 0, 32, 32, 10, "0 channels" },
    { 10, 10, 3, 0, 32, 10, "0x32 pixels" },
    { 10, 10, 3, 32, 5000, 10, "32x5000 pixels" },
    { G_MAXUINT, G_MAXUINT, 64, 4096, 4096, 10, "do not fit" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;

      g_assert_false (bs_synthetic_check_params (cases[i].n_train, cases[i].n_test, cases[i].c,
                                                 cases[i].h, cases[i].w, cases[i].k, &error));
      g_assert_error (error, BS_ERROR, BS_ERROR_INVALID_ARGUMENT);
      g_assert_nonnull (strstr (error->message, cases[i].says));
      g_assert_nonnull (strstr (error->message, "synthetic"));
    }
  g_assert_true (bs_synthetic_check_params (10, 10, 3, 32, 32, 10, NULL));
}

/* Phase-invariant features of an image: the orientation of its gradients
 * (structure tensor, as a doubled-angle vector), a frequency proxy (gradient
 * energy over variance) and the mean and spread of each channel. */
#define N_FEATURES 9

static void
features (const BsImageSet *set,
          guint             i,
          double           *out)
{
  const guint8 *img = bs_image_set_get_image (set, i);
  guint h = set->height, w = set->width, plane = h * w;
  double jxx = 0, jyy = 0, jxy = 0, sum = 0, sum2 = 0;

  for (guint c = 0; c < 3; c++)
    {
      double m = 0, m2 = 0;

      for (guint p = 0; p < plane; p++)
        {
          m += img[c * plane + p];
          m2 += (double) img[c * plane + p] * img[c * plane + p];
        }
      m /= plane;
      out[3 + c] = m / 255;
      out[6 + c] = sqrt (MAX (m2 / plane - m * m, 0)) / 255;
    }
  for (guint y = 0; y + 1 < h; y++)
    for (guint x = 0; x + 1 < w; x++)
      {
        double g00 = 0, g01 = 0, g10 = 0;

        for (guint c = 0; c < 3; c++)
          {
            g00 += img[c * plane + y * w + x];
            g01 += img[c * plane + y * w + x + 1];
            g10 += img[c * plane + (y + 1) * w + x];
          }
        jxx += (g01 - g00) * (g01 - g00);
        jyy += (g10 - g00) * (g10 - g00);
        jxy += (g01 - g00) * (g10 - g00);
        sum += g00;
        sum2 += g00 * g00;
      }
  out[0] = (jxx - jyy) / (jxx + jyy + 1e-9);
  out[1] = 2 * jxy / (jxx + jyy + 1e-9);
  {
    double n = (double) (h - 1) * (w - 1);
    double var = sum2 / n - (sum / n) * (sum / n);

    out[2] = sqrt ((jxx + jyy) / n / (var + 1e-9));
  }
}

/* The classes are told apart by simple features (nearest class mean on
 * standardised features), far above chance; a ResNet does better still. */
static void
test_class_dependent (void)
{
  g_autoptr(BsDataset) d = bs_dataset_new_synthetic (2000, 1000, 3, 32, 32, 10, 1);
  g_autofree double *train = g_new (double, 2000 * N_FEATURES);
  double mean[N_FEATURES] = { 0 }, sd[N_FEATURES] = { 0 };
  double centroid[10][N_FEATURES] = { { 0 } };
  guint count[10] = { 0 }, correct = 0;

  for (guint i = 0; i < 2000; i++)
    features (&d->train, i, train + i * N_FEATURES);
  for (guint i = 0; i < 2000; i++)
    for (guint f = 0; f < N_FEATURES; f++)
      {
        mean[f] += train[i * N_FEATURES + f] / 2000;
        sd[f] += train[i * N_FEATURES + f] * train[i * N_FEATURES + f] / 2000;
      }
  for (guint f = 0; f < N_FEATURES; f++)
    sd[f] = sqrt (MAX (sd[f] - mean[f] * mean[f], 1e-12));
  for (guint i = 0; i < 2000; i++)
    {
      guint k = d->train.labels[i];

      count[k]++;
      for (guint f = 0; f < N_FEATURES; f++)
        centroid[k][f] += (train[i * N_FEATURES + f] - mean[f]) / sd[f];
    }
  for (guint k = 0; k < 10; k++)
    for (guint f = 0; f < N_FEATURES; f++)
      centroid[k][f] /= count[k];

  for (guint i = 0; i < 1000; i++)
    {
      double x[N_FEATURES], best = G_MAXDOUBLE;
      guint best_k = 0;

      features (&d->test, i, x);
      for (guint k = 0; k < 10; k++)
        {
          double dist = 0;

          for (guint f = 0; f < N_FEATURES; f++)
            {
              double z = (x[f] - mean[f]) / sd[f] - centroid[k][f];

              dist += z * z;
            }
          if (dist < best)
            {
              best = dist;
              best_k = k;
            }
        }
      correct += best_k == d->test.labels[i];
    }
  g_test_message ("nearest class mean on simple features: %.1f %% of test images", correct / 10.0);
  g_assert_cmpuint (correct, >, 800);
}

/* No two images alike, even within a class: the centred linear Gram matrix
 * of a batch (what CKA computes) has no near-duplicate rows. */
static void
test_examples_differ (void)
{
  g_autoptr(BsDataset) d = bs_dataset_new_synthetic (64, 0, 3, 32, 32, 10, 0);
  const guint n = 64, p = 3072;
  g_autofree double *x = g_new (double, n * p);
  g_autofree double *col_mean = g_new0 (double, p);
  double max_corr = 0;

  for (guint i = 0; i < n; i++)
    for (guint j = 0; j < p; j++)
      col_mean[j] += d->train.pixels[(gsize) i * p + j] / 255.0 / n;
  for (guint i = 0; i < n; i++)
    for (guint j = 0; j < p; j++)
      x[(gsize) i * p + j] = d->train.pixels[(gsize) i * p + j] / 255.0 - col_mean[j];

  for (guint a = 0; a < n; a++)
    for (guint b = a + 1; b < n; b++)
      {
        double kab = 0, kaa = 0, kbb = 0;

        for (guint j = 0; j < p; j++)
          {
            kab += x[(gsize) a * p + j] * x[(gsize) b * p + j];
            kaa += x[(gsize) a * p + j] * x[(gsize) a * p + j];
            kbb += x[(gsize) b * p + j] * x[(gsize) b * p + j];
          }
        g_assert_cmpfloat (kaa, >, 1.0);
        max_corr = MAX (max_corr, kab / sqrt (kaa * kbb));
      }
  g_test_message ("largest correlation between two centred images: %.3f", max_corr);
  g_assert_cmpfloat (max_corr, <, 0.95);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/synthetic/default", test_default);
  g_test_add_func ("/synthetic/deterministic", test_deterministic);
  g_test_add_func ("/synthetic/shapes", test_shapes);
  g_test_add_func ("/synthetic/bad-params", test_bad_params);
  g_test_add_func ("/synthetic/class-dependent", test_class_dependent);
  g_test_add_func ("/synthetic/examples-differ", test_examples_differ);
  return g_test_run ();
}
