/* test-dominant-images.c: the images that dominate a layer's PC1 (bs-dominant-images),
 * test images left out (bs-dataset-subset), and the CLI's dominant and cka --exclude-images. */
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>

#include "bs-batcher.h"
#include "bs-dataset-subset.h"
#include "bs-dominant-images.h"
#include "bs-error.h"
#include "bs-model.h"
#include "bs-rng.h"
#include "bs-synthetic.h"
#include "bs-test-util.h"

static char *tmp_dir;

/* ---- The reference: the layer's activations through a tap of the test's
 * own, the centred Gram in long double, its top eigenpair by power
 * iteration to convergence (the gap is wide in these cases), the scores
 * sqrt (lambda) u. */

typedef struct {
  guint   layer;
  double *x;
  gsize   p;
} RefTap;

static void
ref_tap (const BsLayerInfo *info,
         guint              tap_index,
         const float       *activation,
         guint              batch,
         gpointer           user_data)
{
  RefTap *t = user_data;
  gsize plane = (gsize) info->height * info->width;

  if (tap_index != t->layer)
    return;
  t->p = info->channels * plane;
  t->x = g_new (double, batch * t->p);
  for (guint n = 0; n < batch; n++)
    for (guint c = 0; c < info->channels; c++)
      for (gsize s = 0; s < plane; s++)
        t->x[n * t->p + c * plane + s] = activation[((gsize) c * batch + n) * plane + s];
}

static long double
ref_scores (BsModel          *model,
            const BsImageSet *set,
            guint             layer,
            guint             n,
            long double      *scores)
{
  g_autofree float *images = g_new (float, (gsize) n * set->channels * set->height * set->width);
  g_autofree long double *c = g_new0 (long double, n * n);
  g_autofree long double *v = g_new (long double, n);
  g_autofree long double *w = g_new (long double, n);
  g_autofree guint32 *order = g_new (guint32, n);
  RefTap t = { layer, NULL, 0 };
  long double lambda = 0, trace = 0;

  for (guint i = 0; i < n; i++)
    order[i] = i;
  bs_batcher_fill (set, order, n, NULL, images, NULL);
  bs_model_forward (model, images, n, FALSE, ref_tap, &t);
  for (gsize f = 0; f < t.p; f++)
    {
      long double mean = 0;

      for (guint i = 0; i < n; i++)
        mean += t.x[i * t.p + f];
      mean /= n;
      for (guint i = 0; i < n; i++)
        for (guint j = 0; j < n; j++)
          c[i * n + j] += (t.x[i * t.p + f] - mean) * (t.x[j * t.p + f] - mean);
    }
  for (guint i = 0; i < n; i++)
    {
      trace += c[i * n + i];
      v[i] = 1.0L + 0.01L * i;
    }
  for (guint it = 0; it < 5000; it++)
    {
      long double norm = 0;

      for (guint i = 0; i < n; i++)
        {
          w[i] = 0;
          for (guint j = 0; j < n; j++)
            w[i] += c[i * n + j] * v[j];
          norm += w[i] * w[i];
        }
      norm = sqrtl (norm);
      lambda = norm;
      for (guint i = 0; i < n; i++)
        v[i] = w[i] / norm;
    }
  for (guint i = 0; i < n; i++)
    scores[i] = sqrtl (lambda) * v[i];
  g_free (t.x);
  return lambda / trace;
}

static BsModel *
make_model (const BsDataset *dataset)
{
  g_autoptr(GError) error = NULL;
  BsModel *model = bs_model_new ("resnet8", dataset->test.channels, dataset->test.height,
                                 dataset->test.width, dataset->n_classes, &error);

  g_assert_no_error (error);
  bs_model_init_params (model, 4);
  return model;
}

static void
test_reference (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BsDataset) dataset = bs_dataset_new_synthetic (8, 40, 3, 12, 12, 4, 9);
  BsModel *model = make_model (dataset);
  const guint layers[] = { 0, 3, 7 };

  for (guint k = 0; k < G_N_ELEMENTS (layers); k++)
    {
      long double want[40];
      long double share = ref_scores (model, &dataset->test, layers[k], 40, want);
      BsDominantImagesOptions options;
      BsDominantImagesResult result;

      bs_dominant_images_options_init (&options);
      options.layer = layers[k];
      options.n_images = 40;
      options.top = 40;
      options.batch_size = 40;
      g_assert_true (bs_dominant_images_run (model, dataset, &options, NULL, NULL, &result, NULL, &error));
      g_assert_no_error (error);
      g_test_message ("layer %s: PC1 share %.4f", bs_model_get_layer (model, layers[k])->name, result.share);
      g_assert_cmpfloat (fabs (result.share - (double) share), <=, 1e-9 * (double) share);
      for (guint i = 0; i < 40; i++)
        g_assert_cmpfloat (fabsl (fabsl (result.scores[i]) - fabsl (want[i])), <=, 1e-7 * fabsl (want[0]) + 1e-9);
      for (guint i = 1; i < 40; i++)
        {
          const BsDominantImage *a = &g_array_index (result.images, BsDominantImage, i - 1);
          const BsDominantImage *b = &g_array_index (result.images, BsDominantImage, i);

          g_assert_cmpfloat (fabs (a->score), >=, fabs (b->score));
          g_assert_cmpfloat (b->score, ==, result.scores[b->index]);
          g_assert_cmpuint (b->label, ==, dataset->test.labels[b->index]);
        }
      bs_dominant_images_result_clear (&result);
    }
  bs_model_free (model);
}

/* Grey noise, and three images with one strong pattern: they are PC1's. */
static BsDataset *
planted_dataset (void)
{
  g_autoptr(GError) error = NULL;
  BsDataset *dataset = bs_dataset_new ("planted", "Planted", 2);
  BsRng rng;

  g_assert_true (bs_image_set_alloc (&dataset->test, 30, 1, 8, 8, "planted", &error));
  bs_rng_init (&rng, 1);
  for (guint i = 0; i < 30; i++)
    {
      gboolean planted = i == 7 || i == 19 || i == 23;
      guint8 *pixels = dataset->test.pixels + i * 64;

      for (guint j = 0; j < 64; j++)
        pixels[j] = planted ? ((j / 8) % 2 ? 255 : 0) : (guint8) (110 + bs_rng_below (&rng, 30));
      dataset->test.labels[i] = planted;
    }
  return dataset;
}

static void
test_planted (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BsDataset) dataset = planted_dataset ();
  BsModel *model = make_model (dataset);
  BsDominantImagesOptions options;
  BsDominantImagesResult result;
  guint found = 0;

  bs_dominant_images_options_init (&options);
  options.layer = 0;   /* the input */
  options.top = 3;
  g_assert_true (bs_dominant_images_run (model, dataset, &options, NULL, NULL, &result, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (result.n_images, ==, 30);
  g_assert_cmpuint (result.images->len, ==, 3);
  for (guint i = 0; i < 3; i++)
    {
      guint index = g_array_index (result.images, BsDominantImage, i).index;

      found |= index == 7 ? 1 : index == 19 ? 2 : index == 23 ? 4 : 8;
    }
  g_assert_cmpuint (found, ==, 7);
  g_assert_cmpfloat (result.share, >, 0.9);
  bs_dominant_images_result_clear (&result);

  /* Too many asked; too few images; no variance. */
  options.top = 31;
  g_assert_false (bs_dominant_images_run (model, dataset, &options, NULL, NULL, &result, NULL, &error));
  g_assert_error (error, BS_ERROR, BS_ERROR_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (error->message, "31"));
  g_assert_nonnull (strstr (error->message, "30"));
  g_clear_error (&error);
  options.top = 2;
  options.n_images = 2;
  g_assert_false (bs_dominant_images_run (model, dataset, &options, NULL, NULL, &result, NULL, &error));
  g_assert_error (error, BS_ERROR, BS_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  memset (dataset->test.pixels, 77, 30 * 64);
  options.n_images = 0;
  g_assert_false (bs_dominant_images_run (model, dataset, &options, NULL, NULL, &result, NULL, &error));
  g_assert_error (error, BS_ERROR, BS_ERROR_FAILED);
  g_assert_nonnull (strstr (error->message, "no variance"));
  g_clear_error (&error);
  bs_model_free (model);
}

static void
test_subset (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BsDataset) dataset = planted_dataset ();
  g_autoptr(BsDataset) subset = NULL;
  const guint exclude[] = { 2, 0 };
  const guint bad[][2] = { { 5, 1 }, { 1, 1 } };

  subset = bs_dataset_new_test_subset (dataset, 5, exclude, 2, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (subset->name, ==, "planted");
  g_assert_cmpuint (subset->test.n_images, ==, 3);
  g_assert_cmpuint (subset->train.n_images, ==, 0);
  g_assert_cmpmem (subset->test.pixels, 64, dataset->test.pixels + 64, 64);
  g_assert_cmpmem (subset->test.pixels + 64, 2 * 64, dataset->test.pixels + 3 * 64, 2 * 64);
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_assert_null (bs_dataset_new_test_subset (dataset, 5, bad[i], 2, &error));
      g_assert_error (error, BS_ERROR, BS_ERROR_INVALID_ARGUMENT);
      g_test_message ("%s", error->message);
      g_clear_error (&error);
    }
  {
    const guint all[] = { 0, 1, 2 };

    g_assert_null (bs_dataset_new_test_subset (dataset, 3, all, 3, &error));
    g_assert_error (error, BS_ERROR, BS_ERROR_INVALID_ARGUMENT);
    g_clear_error (&error);
  }
}

static void
test_cli (void)
{
  g_autofree char *out = NULL, *err = NULL;
  g_autofree char *matrix = g_build_filename (tmp_dir, "without.npy", NULL);
  g_autofree char *matrix_json = g_build_filename (tmp_dir, "without.json", NULL);
  g_autofree char *text = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  JsonObject *o;
  JsonArray *top;
  const char *exclude;

  g_assert_cmpint (bs_test_run_cli (&out, &err, "dominant", "resnet8", "--layer", "layer1.0.relu2", "--dataset",
                            "synthetic", "--limit", "64", "--top", "4", "--json", NULL), ==, 0);
  g_assert_true (json_parser_load_from_data (parser, out, -1, &error));
  g_assert_no_error (error);
  o = json_node_get_object (json_parser_get_root (parser));
  top = json_object_get_array_member (o, "top");
  g_assert_cmpuint (json_array_get_length (top), ==, 4);
  g_assert_cmpint (json_object_get_int_member (o, "images_used"), ==, 64);
  exclude = json_object_get_string_member (o, "exclude_images");
  g_assert_nonnull (strchr (exclude, ','));

  g_clear_pointer (&err, g_free);
  g_assert_cmpint (bs_test_run_cli (NULL, &err, "cka", "--a", "resnet8", "--dataset", "synthetic", "--limit", "64",
                            "--batch", "20", "--passes", "1", "--exclude-images", exclude, "--out", matrix,
                            "--quiet", NULL), ==, 0);
  g_assert_true (g_file_get_contents (matrix_json, &text, NULL, &error));
  g_assert_no_error (error);
  /* 60 images left: three minibatches of 20. */
  g_assert_nonnull (strstr (text, "\"excluded_images\""));
  g_assert_nonnull (strstr (text, "\"minibatches_used\" : 3"));

  {
    struct { const char *args[4]; const char *says; } cases[] = {
      { { "--exclude-images", "1,x" }, "image numbers" },
      { { "--exclude-images", "70" }, "no test image 70" },
      { { "--exclude-images", "3,3" }, "twice" },
    };

    for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
      {
        g_clear_pointer (&err, g_free);
        g_assert_cmpint (bs_test_run_cli (NULL, &err, "cka", "--a", "resnet8", "--dataset", "synthetic", "--limit", "64",
                                  "--out", matrix, cases[i].args[0], cases[i].args[1], NULL), ==, 2);
        g_assert_nonnull (strstr (err, cases[i].says));
      }
  }
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (bs_test_run_cli (NULL, &err, "dominant", "resnet8", "--layer", "no-such", "--dataset", "synthetic",
                            NULL), ==, 1);
  g_assert_nonnull (strstr (err, "no layer 'no-such'"));
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (bs_test_run_cli (NULL, &err, "dominant", "resnet8", "--layer", "input", "--dataset", "synthetic",
                            "--limit", "20", "--top", "21", NULL), ==, 1);
  g_assert_nonnull (strstr (err, "top 21"));
}

int
main (int    argc,
      char **argv)
{
  int status;

  g_test_init (&argc, &argv, NULL);
  tmp_dir = g_dir_make_tmp ("bs-test-dominant-XXXXXX", NULL);

  g_test_add_func ("/dominant-images/reference", test_reference);
  g_test_add_func ("/dominant-images/planted", test_planted);
  g_test_add_func ("/dominant-images/subset", test_subset);
  g_test_add_func ("/dominant-images/cli", test_cli);

  status = g_test_run ();
  bs_test_remove_tree (tmp_dir);
  g_free (tmp_dir);
  return status;
}
