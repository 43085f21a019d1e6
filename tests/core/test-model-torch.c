/* test-model-torch.c: the engine against PyTorch's own numbers.
 *
 * tests/make-torch-fixtures.py wrote, for three small networks (the paper's
 * ResNet-8, a narrow ResNet-14 and a tiny torchvision-style bottleneck net),
 * the weights, a batch, and PyTorch's logits, loss, every parameter gradient
 * and the running statistics after one training step, then the evaluation
 * logits. The engine loads the same weights by name and must reproduce all
 * of it, with 1 and 2 threads, with and without taps. */
#include <math.h>
#include <string.h>

#include "bs-conv-direct.h"
#include "bs-model.h"
#include "bs-resnet-spec.h"
#include "bs-safetensors.h"

#define FORWARD_TOL 1e-5
#define GRAD_TOL    5e-5

static BsSafetensors *
load_fixture (const char *name)
{
  g_autofree char *path = g_test_build_filename (G_TEST_DIST, "fixtures", name, NULL);
  g_autoptr(GError) error = NULL;
  BsSafetensors *st = bs_safetensors_load (path, &error);

  g_assert_no_error (error);
  return st;
}

static guint
meta_uint (BsSafetensors *st,
           const char    *key)
{
  const char *v = bs_safetensors_get_metadata (st, key);

  g_assert_nonnull (v);
  return (guint) g_ascii_strtoull (v, NULL, 10);
}

static void
meta_list (BsSafetensors *st,
           const char    *key,
           guint         *out,
           guint         *n)
{
  g_auto(GStrv) parts = g_strsplit (bs_safetensors_get_metadata (st, key), ",", -1);

  *n = g_strv_length (parts);
  g_assert_cmpuint (*n, <=, BS_RESNET_MAX_STAGES);
  for (guint i = 0; i < *n; i++)
    out[i] = (guint) g_ascii_strtoull (parts[i], NULL, 10);
}

static const float *
tensor (BsSafetensors *st,
        const char    *name,
        gsize          n)
{
  g_autoptr(GError) error = NULL;
  const float *p = bs_safetensors_get_f32 (st, name, n, &error);

  g_assert_no_error (error);
  return p;
}

/* max |a - b| <= tol * max |b| (and at least tol * 1e-3 absolute). */
static void
assert_matches (const char  *what,
                const float *a,
                const float *b,
                gsize        n,
                double       tol)
{
  double scale = 1e-3, worst = 0.0;
  gsize where = 0;

  for (gsize i = 0; i < n; i++)
    scale = MAX (scale, fabs (b[i]));
  for (gsize i = 0; i < n; i++)
    if (!(fabs ((double) a[i] - b[i]) <= worst))
      {
        worst = fabs ((double) a[i] - b[i]);
        where = i;
      }
  if (!(worst <= tol * scale))
    g_error ("%s: element %" G_GSIZE_FORMAT " is %.8g, PyTorch has %.8g (max |x| %.3g, tolerance %.1e)",
             what, where, a[where], b[where], scale, tol);
  g_test_message ("%s: max error %.2e of scale %.3g", what, worst, scale);
}

static BsModel *
build (BsSafetensors *st,
       guint          batch)
{
  g_autoptr(GError) error = NULL;
  const char *model_name = bs_safetensors_get_metadata (st, "model");
  g_auto(GStrv) shape = g_strsplit (bs_safetensors_get_metadata (st, "input"), "x", 3);
  guint c = g_ascii_strtoull (shape[0], NULL, 10);
  guint h = g_ascii_strtoull (shape[1], NULL, 10);
  guint w = g_ascii_strtoull (shape[2], NULL, 10);
  guint classes = meta_uint (st, "classes");
  BsModel *model;

  if (model_name)
    model = bs_model_new (model_name, c, h, w, classes, &error);
  else
    {
      BsResnetSpec spec = { 0 };
      guint n;
      gboolean bottleneck = g_strcmp0 (bs_safetensors_get_metadata (st, "block"), "bottleneck") == 0;

      spec.block = bottleneck ? BS_RESNET_BOTTLENECK : BS_RESNET_BASIC;
      meta_list (st, "blocks", spec.blocks, &spec.n_stages);
      meta_list (st, "widths", spec.widths, &n);
      g_assert_cmpuint (n, ==, spec.n_stages);
      spec.stem_channels = meta_uint (st, "stem");
      spec.imagenet_stem = bottleneck;
      model = bs_resnet_build ("fixture", &spec, c, h, w, classes, &error);
    }
  g_assert_no_error (error);
  g_assert_nonnull (model);
  return model;
}

/* Copies init.* into the model; every parameter must be there, and nothing else. */
static void
load_weights (BsModel       *model,
              BsSafetensors *st)
{
  guint n_init = 0;

  for (guint i = 0; i < bs_safetensors_get_n_tensors (st); i++)
    {
      const BsTensorView *t = bs_safetensors_get_nth (st, i);
      BsParam *p;

      if (!g_str_has_prefix (t->name, "init."))
        continue;
      n_init++;
      p = bs_model_find_param (model, t->name + 5);
      if (p == NULL)
        g_error ("the engine has no parameter %s", t->name + 5);
      g_assert_cmpuint (p->ndim, ==, t->ndim);
      for (guint d = 0; d < p->ndim; d++)
        g_assert_cmpint (p->shape[d], ==, t->shape[d]);
      memcpy (p->data, t->data, p->n_elements * sizeof (float));
    }
  g_assert_cmpuint (n_init, ==, bs_model_get_n_params (model));
}

static void
count_tap (const BsLayerInfo *info,
           guint              index,
           const float       *activation,
           guint              batch,
           gpointer           user_data)
{
  (*(guint *) user_data)++;
}

static void
check_fixture_with (const char *name,
                    gboolean    portable)
{
  g_autoptr(BsSafetensors) st = load_fixture (name);
  guint batch = meta_uint (st, "batch");
  guint classes = meta_uint (st, "classes");

  for (guint threads = 1; threads <= 2; threads++)
    for (int with_taps = 0; with_taps <= 1; with_taps++)
      {
        g_autoptr(BsModel) model = build (st, batch);
        const BsLayerInfo *in = bs_model_get_layer (model, 0);
        gsize image_size = bs_layer_info_n_features (in);
        const float *images = tensor (st, "input", batch * image_size);
        const float *label_f = tensor (st, "labels", batch);
        g_autofree guint8 *labels = g_new (guint8, batch);
        const float *logits;
        float loss;
        guint taps = 0;

        BsEngineConfig config = *bs_engine_config_get_default ();
        g_autoptr(BsThreadPool) pool = NULL;

        g_test_message ("%s, %u thread(s), taps %s", name, threads, with_taps ? "on" : "off");
        for (guint n = 0; n < batch; n++)
          labels[n] = (guint8) label_f[n];
        config.threads = threads;
        config.portable_conv = portable;
        pool = bs_thread_pool_new_for_config (&config);
        bs_model_set_pool (model, pool);
        load_weights (model, st);

        logits = bs_model_forward (model, images, batch, TRUE, with_taps ? count_tap : NULL, &taps);
        assert_matches ("train logits", logits, tensor (st, "train.logits", batch * classes),
                        batch * classes, FORWARD_TOL);
        loss = bs_model_loss (model, labels);
        assert_matches ("train loss", &loss, tensor (st, "train.loss", 1), 1, FORWARD_TOL);
        bs_model_backward (model);
        g_assert_cmpuint (taps, ==, with_taps ? bs_model_get_n_layers (model) : 0);

        for (guint i = 0; i < bs_model_get_n_params (model); i++)
          {
            BsParam *p = bs_model_get_param (model, i);
            g_autofree char *key = g_strconcat (p->grad ? "grad." : "after.", p->name, NULL);

            assert_matches (key, p->grad ? p->grad : p->data, tensor (st, key, p->n_elements),
                            p->n_elements, p->grad ? GRAD_TOL : FORWARD_TOL);
          }
        g_assert_cmpint (bs_model_get_batches_tracked (model), ==, 1);

        taps = 0;
        logits = bs_model_forward (model, images, batch, FALSE, with_taps ? count_tap : NULL, &taps);
        assert_matches ("eval logits", logits, tensor (st, "eval.logits", batch * classes),
                        batch * classes, FORWARD_TOL);
        loss = bs_model_loss (model, labels);
        assert_matches ("eval loss", &loss, tensor (st, "eval.loss", 1), 1, FORWARD_TOL);
        g_assert_cmpuint (taps, ==, with_taps ? bs_model_get_n_layers (model) : 0);
        /* Evaluation does not count batches. */
        g_assert_cmpint (bs_model_get_batches_tracked (model), ==, 1);
      }
}

static void
check_fixture (gconstpointer data)
{
  check_fixture_with (data, FALSE);
}

/* The narrow ResNet once more, on the portable direct-convolution kernels. */
static void
check_fixture_generic (gconstpointer data)
{
  check_fixture_with (data, TRUE);
}

static void
test_param_counts (void)
{
  g_autofree char *path = g_test_build_filename (G_TEST_DIST, "fixtures",
                                                 "torch-param-counts.json", NULL);
  g_autofree char *text = NULL;
  static const char *names[] = { "resnet20", "resnet56", "resnet20x4", "resnet110",
                                 "imagenet-resnet50", "imagenet-resnet101", "imagenet-resnet152" };
  g_autoptr(GError) error = NULL;

  g_file_get_contents (path, &text, NULL, &error);
  g_assert_no_error (error);

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autofree char *key = g_strdup_printf ("\"%s\": ", names[i]);
      const char *at = strstr (text, key);
      g_autoptr(BsModel) model = bs_model_new (names[i], 3, 32, 32, 10, &error);
      guint64 expected;

      g_assert_no_error (error);
      g_assert_nonnull (at);
      expected = g_ascii_strtoull (at + strlen (key), NULL, 10);
      g_assert_cmpuint (expected, >, 1000);
      g_assert_cmpuint (bs_model_count_trainable (model), ==, expected);
    }
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_data_func ("/model-torch/resnet8", "torch-resnet8.safetensors", check_fixture);
  g_test_add_data_func ("/model-torch/narrow14", "torch-narrow14.safetensors", check_fixture);
  g_test_add_data_func ("/model-torch/bottleneck", "torch-bottleneck.safetensors", check_fixture);
  g_test_add_data_func ("/model-torch/narrow14-generic", "torch-narrow14.safetensors",
                        check_fixture_generic);
  g_test_add_func ("/model-torch/param-counts", test_param_counts);

  return g_test_run ();
}
