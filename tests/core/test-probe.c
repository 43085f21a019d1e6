/* test-probe.c: linear probes (bs-probe.h) and `blockscope-cli probe`.
 *
 * The classifier reaches 100 % on linearly separable data and chance on
 * random labels, and its weights agree with an independent float64
 * gradient descent on the same regularised objective; a real small network
 * on the synthetic data set gets one result per selected layer, above
 * chance, the same with one or two threads; cancelling stops it; bad
 * options are refused. */
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>
#include <sys/wait.h>

#include "bs-dataset.h"
#include "bs-error.h"
#include "bs-model.h"
#include "bs-probe.h"
#include "bs-rng.h"
#include "bs-test-util.h"

static char *tmp_dir;

/* Gaussian blobs: class k centred at 4 * e_k (k < f) with unit noise scaled by spread. */
static void
make_blobs (float   *x,
            guint8  *labels,
            guint    n,
            guint    f,
            guint    c,
            double   spread,
            BsRng   *rng)
{
  for (guint i = 0; i < n; i++)
    {
      labels[i] = (guint8) bs_rng_below (rng, c);
      for (guint j = 0; j < f; j++)
        x[(gsize) i * f + j] = (float) (spread * bs_rng_normal (rng) + (j == labels[i] ? 4.0 : 0.0));
    }
}

static double
predict_accuracy (const float  *x,
                  const guint8 *labels,
                  guint         n,
                  guint         f,
                  guint         c,
                  const float  *w,
                  const float  *b)
{
  guint right = 0;

  for (guint i = 0; i < n; i++)
    {
      guint best = 0;
      double best_z = -INFINITY;

      for (guint k = 0; k < c; k++)
        {
          double z = b[k];

          for (guint j = 0; j < f; j++)
            z += (double) x[(gsize) i * f + j] * w[(gsize) j * c + k];
          if (z > best_z)
            {
              best_z = z;
              best = k;
            }
        }
      right += best == labels[i];
    }
  return (double) right / n;
}

static void
test_separable (void)
{
  const guint n = 600, f = 20, c = 5;
  g_autofree float *x = g_new (float, n * f), *xt = g_new (float, n * f);
  g_autofree guint8 *y = g_new (guint8, n), *yt = g_new (guint8, n);
  float w[20 * 5], b[5];
  BsProbeOptions options;
  BsRng rng;

  bs_rng_init (&rng, 11);
  make_blobs (x, y, n, f, c, 0.3, &rng);
  make_blobs (xt, yt, n, f, c, 0.3, &rng);
  bs_probe_options_init (&options);
  options.epochs = 10;
  bs_probe_fit (x, y, n, f, c, &options, 1e-4, w, b);
  g_assert_cmpfloat (predict_accuracy (x, y, n, f, c, w, b), ==, 1.0);
  g_assert_cmpfloat (predict_accuracy (xt, yt, n, f, c, w, b), ==, 1.0);
}

static void
test_random_labels (void)
{
  const guint n = 2000, f = 30, c = 4;
  g_autofree float *x = g_new (float, n * f), *xt = g_new (float, n * f);
  g_autofree guint8 *y = g_new (guint8, n), *yt = g_new (guint8, n);
  float w[30 * 4], b[4];
  BsProbeOptions options;
  BsRng rng;
  double train, test;

  bs_rng_init (&rng, 12);
  for (guint i = 0; i < n * f; i++)
    {
      x[i] = (float) bs_rng_normal (&rng);
      xt[i] = (float) bs_rng_normal (&rng);
    }
  for (guint i = 0; i < n; i++)
    {
      y[i] = (guint8) bs_rng_below (&rng, c);
      yt[i] = (guint8) bs_rng_below (&rng, c);
    }
  bs_probe_options_init (&options);
  options.epochs = 20;
  bs_probe_fit (x, y, n, f, c, &options, 1e-4, w, b);
  train = predict_accuracy (x, y, n, f, c, w, b);
  test = predict_accuracy (xt, yt, n, f, c, w, b);
  g_test_message ("random labels: train %.3f, test %.3f", train, test);
  /* Chance is 1/4; 2000 test images give a standard error of about 0.01. */
  g_assert_cmpfloat (fabs (test - 0.25), <, 0.04);
  /* Fitting noise: a little above chance on the fitting images, not far. */
  g_assert_cmpfloat (train, <, 0.4);
}

/* The objective the probe minimises, in double: mean cross-entropy + l2/2 ||W||^2. */
static double
objective (const float  *x,
           const guint8 *y,
           guint         n,
           guint         f,
           guint         c,
           const double *w,
           const double *b,
           double        l2,
           double       *grad_w,   /* may be NULL */
           double       *grad_b)
{
  double loss = 0;

  if (grad_w != NULL)
    {
      memset (grad_w, 0, sizeof (double) * f * c);
      memset (grad_b, 0, sizeof (double) * c);
    }
  for (guint i = 0; i < n; i++)
    {
      double z[8], top = -INFINITY, sum = 0;

      for (guint k = 0; k < c; k++)
        {
          z[k] = b[k];
          for (guint j = 0; j < f; j++)
            z[k] += x[i * f + j] * w[j * c + k];
          top = fmax (top, z[k]);
        }
      for (guint k = 0; k < c; k++)
        sum += exp (z[k] - top);
      loss += -(z[y[i]] - top - log (sum)) / n;
      if (grad_w != NULL)
        for (guint k = 0; k < c; k++)
          {
            double g = (exp (z[k] - top) / sum - (y[i] == k)) / n;

            grad_b[k] += g;
            for (guint j = 0; j < f; j++)
              grad_w[j * c + k] += g * x[i * f + j];
          }
    }
  for (guint p = 0; p < f * c; p++)
    {
      loss += 0.5 * l2 * w[p] * w[p];
      if (grad_w != NULL)
        grad_w[p] += l2 * w[p];
    }
  return loss;
}

static void
test_reference (void)
{
  /* Overlapping blobs (not separable), strong enough l2 for a unique,
   * well-conditioned optimum. */
  const guint n = 90, f = 4, c = 3;
  const double l2 = 0.05;
  float x[90 * 4], w[4 * 3], b[3];
  guint8 y[90];
  double rw[4 * 3] = { 0 }, rb[3] = { 0 }, gw[4 * 3], gb[3], ours_w[4 * 3], ours_b[3];
  double ref_loss, our_loss, diff = 0;
  BsProbeOptions options;
  BsRng rng;

  bs_rng_init (&rng, 13);
  make_blobs (x, y, n, f, c, 2.0, &rng);
  for (guint i = 0; i < n * f; i++)
    x[i] /= 4;

  /* The reference: plain full-batch gradient descent in double, to convergence. */
  for (guint it = 0; it < 200000; it++)
    {
      objective (x, y, n, f, c, rw, rb, l2, gw, gb);
      for (guint p = 0; p < f * c; p++)
        rw[p] -= 0.5 * gw[p];
      for (guint k = 0; k < c; k++)
        rb[k] -= 0.5 * gb[k];
    }
  objective (x, y, n, f, c, rw, rb, l2, gw, gb);
  for (guint p = 0; p < f * c; p++)
    g_assert_cmpfloat (fabs (gw[p]), <, 1e-10);
  ref_loss = objective (x, y, n, f, c, rw, rb, l2, NULL, NULL);

  /* The probe's Adam on minibatches of 30, long enough to settle. */
  bs_probe_options_init (&options);
  options.epochs = 3000;
  options.batch_size = 30;
  options.lr = 1e-3;
  bs_probe_fit (x, y, n, f, c, &options, l2, w, b);
  for (guint p = 0; p < f * c; p++)
    {
      ours_w[p] = w[p];
      diff = fmax (diff, fabs (ours_w[p] - rw[p]));
    }
  for (guint k = 0; k < c; k++)
    {
      ours_b[k] = b[k];
      diff = fmax (diff, fabs (ours_b[k] - rb[k]));
    }
  our_loss = objective (x, y, n, f, c, ours_w, ours_b, l2, NULL, NULL);
  g_test_message ("reference loss %.10f, probe %.10f, largest parameter difference %.2e", ref_loss, our_loss, diff);
  g_assert_cmpfloat (our_loss, >=, ref_loss - 1e-9);
  g_assert_cmpfloat ((our_loss - ref_loss) / ref_loss, <, 1e-4);
  g_assert_cmpfloat (diff, <, 0.02);
}

static BsDataset *
synthetic (void)
{
  g_autoptr(GError) error = NULL;
  BsDataset *dataset = bs_dataset_load ("synthetic", NULL, &error);

  g_assert_no_error (error);
  return dataset;
}

static void
small_options (BsProbeOptions *options,
               BsDataset      *dataset)
{
  bs_probe_options_init (options);
  options->spec = "resnet8";
  options->dataset = dataset;
  options->train_images = 600;
  options->test_images = 300;
  options->epochs = 4;
}

static void
test_model (void)
{
  g_autoptr(BsDataset) dataset = synthetic ();
  g_autoptr(GArray) one = NULL, two = NULL;
  g_autoptr(GError) error = NULL;
  BsProbeOptions options;
  BsProbeCounts counts;
  const char *expected[] = { "bn1", "relu", "layer1.0.bn2", "layer1.0.relu2", "layer2.0.bn2",
                             "layer2.0.relu2", "layer3.0.bn2", "layer3.0.relu2" };

  small_options (&options, dataset);
  options.threads = 1;
  one = bs_probe_run (&options, NULL, NULL, &counts, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (counts.fit, ==, 480);
  g_assert_cmpuint (counts.validation, ==, 120);
  g_assert_cmpuint (counts.test, ==, 300);
  options.threads = 2;
  two = bs_probe_run (&options, NULL, NULL, NULL, NULL, &error);
  g_assert_no_error (error);

  g_assert_cmpuint (one->len, ==, G_N_ELEMENTS (expected));
  for (guint i = 0; i < one->len; i++)
    {
      const BsProbeResult *a = &g_array_index (one, BsProbeResult, i);
      const BsProbeResult *b = &g_array_index (two, BsProbeResult, i);

      g_assert_cmpstr (a->info.name, ==, expected[i]);
      g_test_message ("%s: %u features, train %.3f, validation %.3f, test %.3f (epoch %u, l2 %g)",
                      a->info.name, a->features, a->train_accuracy, a->validation_accuracy,
                      a->test_accuracy, a->epoch, a->l2);
      /* 32 x 32 and 16 x 16 are pooled, 8 x 8 is not. */
      g_assert_cmpuint (a->features, ==, a->info.stage == 3 ? 64 * 8 * 8 : a->info.stage == 2 ? 32 * 8 * 8 : 16 * 16 * 16);
      g_assert_cmpint (a->pooled, ==, a->info.stage != 3);
      /* Ten classes: chance is 0.1; a random network's features carry more. */
      g_assert_cmpfloat (a->test_accuracy, >, 0.2);
      g_assert_cmpfloat (a->train_accuracy, <=, 1.0);
      g_assert_cmpuint (a->epoch, >=, 1);
      g_assert_cmpuint (a->epoch, <=, 4);
      /* The thread count does not change a result. */
      g_assert_cmpfloat (a->test_accuracy, ==, b->test_accuracy);
      g_assert_cmpfloat (a->validation_accuracy, ==, b->validation_accuracy);
      g_assert_cmpuint (a->epoch, ==, b->epoch);
    }

  /* A small memory limit: one layer per forward pass, the same results. */
  options.memory_limit = 1;
  g_clear_pointer (&two, g_array_unref);
  two = bs_probe_run (&options, NULL, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < one->len; i++)
    g_assert_cmpfloat (g_array_index (one, BsProbeResult, i).test_accuracy, ==,
                       g_array_index (two, BsProbeResult, i).test_accuracy);
}

typedef struct {
  GCancellable *cancellable;
  BsProbeStage  cancel_at;
  guint         calls;
} CancelAt;

static void
cancel_progress (BsProbeStage         stage,
                 guint                done,
                 guint                total,
                 const BsProbeResult *result,
                 gpointer             user_data)
{
  CancelAt *c = user_data;

  (void) done;
  (void) total;
  (void) result;
  c->calls++;
  if (stage == c->cancel_at)
    g_cancellable_cancel (c->cancellable);
}

static void
test_cancel (void)
{
  g_autoptr(BsDataset) dataset = synthetic ();
  BsProbeOptions options;

  small_options (&options, dataset);
  for (int stage = BS_PROBE_STAGE_FEATURES; stage <= BS_PROBE_STAGE_FITTING; stage++)
    {
      g_autoptr(GCancellable) cancellable = g_cancellable_new ();
      g_autoptr(GError) error = NULL;
      CancelAt c = { cancellable, stage, 0 };
      GArray *results = bs_probe_run (&options, cancel_progress, &c, NULL, cancellable, &error);

      g_assert_null (results);
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
      g_assert_cmpuint (c.calls, >=, 1);
    }
}

static void
test_bad_options (void)
{
  g_autoptr(BsDataset) dataset = synthetic ();
  BsProbeOptions options;
  GError *error = NULL;

  small_options (&options, dataset);
  options.validation_fraction = 1.5;
  g_assert_null (bs_probe_run (&options, NULL, NULL, NULL, NULL, &error));
  g_assert_error (error, BS_ERROR, BS_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);

  small_options (&options, dataset);
  options.epochs = 0;
  g_assert_null (bs_probe_run (&options, NULL, NULL, NULL, NULL, &error));
  g_assert_error (error, BS_ERROR, BS_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);

  small_options (&options, dataset);
  options.train_images = 1;
  g_assert_null (bs_probe_run (&options, NULL, NULL, NULL, NULL, &error));
  g_assert_error (error, BS_ERROR, BS_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);

  small_options (&options, dataset);
  options.layers = BS_PROBE_LAYERS_PATTERN;
  options.layer_pattern = "no-such-layer";
  g_assert_null (bs_probe_run (&options, NULL, NULL, NULL, NULL, &error));
  g_assert_error (error, BS_ERROR, BS_ERROR_NOT_FOUND);
  g_clear_error (&error);

  options.layer_pattern = "(";
  g_assert_null (bs_probe_run (&options, NULL, NULL, NULL, NULL, &error));
  g_assert_error (error, BS_ERROR, BS_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);

  /* A network for 1 x 28 x 28 images on 3 x 32 x 32 ones. */
  {
    g_autoptr(BsModel) model = bs_model_new ("resnet8", 1, 28, 28, 10, &error);

    g_assert_no_error (error);
    bs_model_init_params (model, 1);
    small_options (&options, dataset);
    options.spec = NULL;
    options.model = model;
    g_assert_null (bs_probe_run (&options, NULL, NULL, NULL, NULL, &error));
    g_assert_error (error, BS_ERROR, BS_ERROR_MISMATCH);
    g_clear_error (&error);
  }
}

static void
test_cli (void)
{
  g_autofree char *csv = g_build_filename (tmp_dir, "probe.csv", NULL);
  g_autofree char *text = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) lines = NULL;
  JsonObject *root, *layer;
  JsonArray *layers;
  BsTestRun r;

  r = bs_test_run ("probe", "resnet8", "--dataset", "synthetic", "--limit", "300", "--test-limit", "0",
               "--epochs", "2", "--layers", "relu2$", "--json", "-q", NULL);
  g_assert_cmpint (r.status, ==, 0);
  json_parser_load_from_data (parser, r.out, -1, &error);
  g_assert_no_error (error);
  root = json_node_get_object (json_parser_get_root (parser));
  g_assert_cmpint (json_object_get_int_member (root, "fit_images"), ==, 240);
  g_assert_cmpint (json_object_get_int_member (root, "validation_images"), ==, 60);
  /* --test-limit 0: the synthetic set's 1024 test images. */
  g_assert_cmpint (json_object_get_int_member (root, "test_images"), ==, 1024);
  g_assert_cmpstr (r.err, ==, "");
  layers = json_object_get_array_member (root, "layers");
  g_assert_cmpuint (json_array_get_length (layers), ==, 3);
  layer = json_array_get_object_element (layers, 2);
  g_assert_cmpstr (json_object_get_string_member (layer, "name"), ==, "layer3.0.relu2");
  g_assert_true (json_object_get_boolean_member (layer, "block_output"));
  g_assert_cmpfloat (json_object_get_double_member (layer, "test_accuracy"), >, 0.15);
  bs_test_run_clear (&r);

  r = bs_test_run ("probe", "resnet8", "--dataset", "synthetic", "--limit", "300", "--test-limit", "200",
               "--epochs", "2", "--out", csv, "-q", NULL);
  g_assert_cmpint (r.status, ==, 0);
  g_assert_true (g_file_get_contents (csv, &text, NULL, NULL));
  lines = g_strsplit (text, "\n", -1);
  g_assert_cmpuint (g_strv_length (lines), ==, 1 + 8 + 1);
  g_assert_true (g_str_has_prefix (lines[0], "layer,kind,stage,block,features,pooled,train_accuracy"));
  g_assert_true (g_str_has_prefix (lines[1], "bn1,bn,0,-1,4096,1,"));
  bs_test_run_clear (&r);

  /* Usage errors. */
  r = bs_test_run ("probe", "resnet8", NULL);
  g_assert_cmpint (r.status, ==, 2);
  bs_test_run_clear (&r);
  r = bs_test_run ("probe", "--dataset", "synthetic", NULL);
  g_assert_cmpint (r.status, ==, 2);
  bs_test_run_clear (&r);
  r = bs_test_run ("probe", "resnet8", "--dataset", "synthetic", "--epochs", "0", NULL);
  g_assert_cmpint (r.status, ==, 2);
  bs_test_run_clear (&r);
  r = bs_test_run ("probe", "resnet8", "--dataset", "synthetic", "--out", "x.txt", NULL);
  g_assert_cmpint (r.status, ==, 2);
  bs_test_run_clear (&r);
  /* A failure of the work: a pattern that matches nothing. */
  r = bs_test_run ("probe", "resnet8", "--dataset", "synthetic", "--layers", "nothing-here", NULL);
  g_assert_cmpint (r.status, ==, 1);
  g_assert_nonnull (strstr (r.err, "nothing-here"));
  bs_test_run_clear (&r);
}

int
main (int    argc,
      char **argv)
{
  int status;

  g_test_init (&argc, &argv, NULL);
  tmp_dir = g_dir_make_tmp ("bs-test-probe-XXXXXX", NULL);
  g_assert_nonnull (tmp_dir);

  g_test_add_func ("/probe/separable", test_separable);
  g_test_add_func ("/probe/random-labels", test_random_labels);
  g_test_add_func ("/probe/reference", test_reference);
  g_test_add_func ("/probe/model", test_model);
  g_test_add_func ("/probe/cancel", test_cancel);
  g_test_add_func ("/probe/bad-options", test_bad_options);
  g_test_add_func ("/probe/cli", test_cli);

  status = g_test_run ();
  bs_test_remove_tree (tmp_dir);
  g_free (tmp_dir);
  return status;
}
