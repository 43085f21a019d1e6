/* test-model.c: model names, layer lists, parameters, taps, determinism,
 * memory, and whole-model finite differences. */
#include <math.h>
#include <string.h>

#include "bs-error.h"
#include "bs-model.h"
#include "bs-resnet-spec.h"
#include "bs-rng.h"

static float *
random_images (guint64 seed,
               gsize   n)
{
  BsRng rng;
  float *p = g_new (float, n);

  bs_rng_init (&rng, seed);
  for (gsize i = 0; i < n; i++)
    p[i] = (float) bs_rng_normal (&rng);
  return p;
}

static guint8 *
random_labels (guint64 seed,
               guint   n,
               guint   classes)
{
  BsRng rng;
  guint8 *p = g_new (guint8, n);

  bs_rng_init (&rng, seed);
  for (guint i = 0; i < n; i++)
    p[i] = bs_rng_below (&rng, classes);
  return p;
}

static void
ignore_tap (const BsLayerInfo *info,
            guint              index,
            const float       *activation,
            guint              batch,
            gpointer           user_data)
{
}

static BsModel *
new_model (const char *name,
           guint       c,
           guint       h,
           guint       w,
           guint       classes)
{
  g_autoptr(GError) error = NULL;
  BsModel *model = bs_model_new (name, c, h, w, classes, &error);

  g_assert_no_error (error);
  return model;
}

/* ---- names and structure ---------------------------------------------------- */

static void
test_bad_names (void)
{
  static const char *bad[] = { "resnet", "resnet21", "resnet2", "resnet20x", "resnet20x0",
                               "resnet020", "resnet20y", "ResNet20", "imagenet-resnet34",
                               "imagenet-resnet", "resnet-20", "", "resnet99999999" };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) error = NULL;
      BsModel *model = bs_model_new (bad[i], 3, 32, 32, 10, &error);

      g_assert_null (model);
      g_assert_true (g_error_matches (error, BS_ERROR, BS_ERROR_NOT_FOUND) ||
                     g_error_matches (error, BS_ERROR, BS_ERROR_INVALID_ARGUMENT));
      g_assert_nonnull (strstr (error->message, bad[i]));
    }

  {
    g_autoptr(GError) error = NULL;

    g_assert_null (bs_model_new ("resnet20", 3, 32, 32, 1, &error));
    g_assert_error (error, BS_ERROR, BS_ERROR_INVALID_ARGUMENT);
  }
  {
    g_autoptr(GError) error = NULL;

    g_assert_null (bs_model_new ("resnet20", 0, 32, 32, 10, &error));
    g_assert_error (error, BS_ERROR, BS_ERROR_INVALID_ARGUMENT);
  }
  {
    g_autoptr(GError) error = NULL;

    g_assert_null (bs_model_new ("resnet20", 3, 32, 32, 1001, &error));
    g_assert_error (error, BS_ERROR, BS_ERROR_INVALID_ARGUMENT);
  }
}

/* The layer names of a CIFAR ResNet as the paper's analysis lists them,
 * spelled out independently of the builder. */
static GPtrArray *
expected_cifar_layers (guint n)
{
  GPtrArray *names = g_ptr_array_new_with_free_func (g_free);
  static const char *block[] = { "conv1", "bn1", "relu1", "conv2", "bn2" };

  g_ptr_array_add (names, g_strdup ("input"));
  g_ptr_array_add (names, g_strdup ("conv1"));
  g_ptr_array_add (names, g_strdup ("bn1"));
  g_ptr_array_add (names, g_strdup ("relu"));
  for (guint s = 1; s <= 3; s++)
    for (guint b = 0; b < n; b++)
      {
        for (guint k = 0; k < G_N_ELEMENTS (block); k++)
          g_ptr_array_add (names, g_strdup_printf ("layer%u.%u.%s", s, b, block[k]));
        if (s > 1 && b == 0)
          g_ptr_array_add (names, g_strdup_printf ("layer%u.%u.downsample.0", s, b));
        g_ptr_array_add (names, g_strdup_printf ("layer%u.%u.add", s, b));
        g_ptr_array_add (names, g_strdup_printf ("layer%u.%u.relu2", s, b));
      }
  g_ptr_array_add (names, g_strdup ("avgpool"));
  g_ptr_array_add (names, g_strdup ("fc"));
  return names;
}

static const BsLayerInfo *
find_layer (BsModel    *model,
            const char *name)
{
  for (guint i = 0; i < bs_model_get_n_layers (model); i++)
    if (strcmp (bs_model_get_layer (model, i)->name, name) == 0)
      return bs_model_get_layer (model, i);
  g_error ("no layer %s", name);
  return NULL;
}

static void
assert_layer (BsModel     *model,
              const char  *name,
              BsLayerKind  kind,
              guint        c,
              guint        h,
              guint        w,
              gint         stage,
              gint         block,
              gboolean     block_output)
{
  const BsLayerInfo *info = find_layer (model, name);

  g_assert_cmpint (info->kind, ==, kind);
  g_assert_cmpuint (info->channels, ==, c);
  g_assert_cmpuint (info->height, ==, h);
  g_assert_cmpuint (info->width, ==, w);
  g_assert_cmpint (info->stage, ==, stage);
  g_assert_cmpint (info->block, ==, block);
  g_assert_cmpint (info->block_output, ==, block_output);
}

static void
test_resnet20_layers (void)
{
  g_autoptr(BsModel) model = new_model ("resnet20", 3, 32, 32, 10);
  g_autoptr(GPtrArray) expected = expected_cifar_layers (3);
  guint block_outputs = 0;

  g_assert_cmpstr (bs_model_get_name (model), ==, "resnet20");
  g_assert_cmpuint (bs_model_get_n_classes (model), ==, 10);
  /* The paper's 72 Keras layers minus the flatten that equals the pool. */
  g_assert_cmpuint (bs_model_get_n_layers (model), ==, 71);
  g_assert_cmpuint (expected->len, ==, 71);
  for (guint i = 0; i < 71; i++)
    {
      g_assert_cmpstr (bs_model_get_layer (model, i)->name, ==, g_ptr_array_index (expected, i));
      block_outputs += bs_model_get_layer (model, i)->block_output;
    }
  g_assert_cmpuint (block_outputs, ==, 9);

  assert_layer (model, "input", BS_LAYER_INPUT, 3, 32, 32, 0, -1, FALSE);
  assert_layer (model, "conv1", BS_LAYER_CONV, 16, 32, 32, 0, -1, FALSE);
  assert_layer (model, "relu", BS_LAYER_RELU, 16, 32, 32, 0, -1, FALSE);
  assert_layer (model, "layer1.2.bn2", BS_LAYER_BN, 16, 32, 32, 1, 2, FALSE);
  assert_layer (model, "layer2.0.conv1", BS_LAYER_CONV, 32, 16, 16, 2, 0, FALSE);
  assert_layer (model, "layer2.0.downsample.0", BS_LAYER_SHORTCUT, 32, 16, 16, 2, 0, FALSE);
  assert_layer (model, "layer2.0.add", BS_LAYER_ADD, 32, 16, 16, 2, 0, FALSE);
  assert_layer (model, "layer2.0.relu2", BS_LAYER_RELU, 32, 16, 16, 2, 0, TRUE);
  assert_layer (model, "layer3.2.relu2", BS_LAYER_RELU, 64, 8, 8, 3, 2, TRUE);
  assert_layer (model, "avgpool", BS_LAYER_AVGPOOL, 64, 1, 1, 5, -1, FALSE);
  assert_layer (model, "fc", BS_LAYER_FC, 10, 1, 1, 5, -1, FALSE);

  /* Parameters in state_dict order, named like the layers. */
  g_assert_cmpstr (bs_model_get_param (model, 0)->name, ==, "conv1.weight");
  g_assert_cmpstr (bs_model_get_param (model, 1)->name, ==, "bn1.weight");
  g_assert_cmpstr (bs_model_get_param (model, 2)->name, ==, "bn1.bias");
  g_assert_cmpstr (bs_model_get_param (model, 3)->name, ==, "bn1.running_mean");
  g_assert_cmpstr (bs_model_get_param (model, 4)->name, ==, "bn1.running_var");
  g_assert_cmpstr (bs_model_get_param (model, 5)->name, ==, "layer1.0.conv1.weight");
  g_assert_null (bs_model_get_param (model, 3)->grad);
  g_assert_nonnull (bs_model_get_param (model, 2)->grad);
  g_assert_null (bs_model_find_param (model, "layer1.0.downsample.0.weight"));
  g_assert_null (bs_model_find_param (model, "layer2.0.downsample.1.weight"));
  {
    BsParam *p = bs_model_find_param (model, "layer2.0.downsample.0.weight");

    g_assert_nonnull (p);
    g_assert_cmpuint (p->ndim, ==, 4);
    g_assert_cmpint (p->shape[0], ==, 32);
    g_assert_cmpint (p->shape[1], ==, 16);
    g_assert_cmpint (p->shape[2], ==, 1);
    g_assert_true (p->decay);
    p = bs_model_get_param (model, bs_model_get_n_params (model) - 1);
    g_assert_cmpstr (p->name, ==, "fc.bias");
    p = bs_model_find_param (model, "fc.weight");
    g_assert_cmpint (p->shape[0], ==, 10);
    g_assert_cmpint (p->shape[1], ==, 64);
  }
  /* 19 BN layers x 4 + 19 convs + 2 projections + fc weight and bias. */
  g_assert_cmpuint (bs_model_get_n_params (model), ==, 19 * 4 + 19 + 2 + 2);
}

/* The stage of a CIFAR ResNet layer read from its name alone: "layerK." is
 * stage K, the pool and classifier the head, the rest the stem. */
static int
stage_from_name (const char *name)
{
  if (g_str_has_prefix (name, "layer") && g_ascii_isdigit (name[5]) && name[6] == '.')
    return name[5] - '0';
  if (g_str_equal (name, "avgpool") || g_str_equal (name, "fc"))
    return BS_LAYER_STAGE_HEAD;
  return BS_LAYER_STAGE_STEM;
}

/* Page Up and Page Down of the heatmap: every jump lands on the first
 * layer of a stage, found here from the layer names. */
static void
test_stage_jumps (void)
{
  static const char *names[] = { "resnet20", "resnet56" };

  for (guint m = 0; m < G_N_ELEMENTS (names); m++)
    {
      g_autoptr(BsModel) model = new_model (names[m], 3, 32, 32, 10);
      guint n = bs_model_get_n_layers (model);
      g_autofree BsLayerInfo *layers = g_new0 (BsLayerInfo, n);
      g_autoptr(GArray) starts = g_array_new (FALSE, FALSE, sizeof (guint));

      for (guint i = 0; i < n; i++)
        {
          layers[i] = *bs_model_get_layer (model, i);
          if (i == 0 || stage_from_name (layers[i].name) != stage_from_name (layers[i - 1].name))
            g_array_append_val (starts, i);
        }
      /* Stem, three stages, head. */
      g_assert_cmpuint (starts->len, ==, 5);
      g_assert_cmpstr (layers[g_array_index (starts, guint, 1)].name, ==, "layer1.0.conv1");
      g_assert_cmpstr (layers[g_array_index (starts, guint, 4)].name, ==, "avgpool");

      for (guint i = 0; i < n; i++)
        {
          guint up = n - 1, down = 0;

          /* Up: the first start after i; down: the last start before i. */
          for (guint k = 0; k < starts->len; k++)
            if (g_array_index (starts, guint, k) > i)
              {
                up = g_array_index (starts, guint, k);
                break;
              }
          for (guint k = 0; k < starts->len; k++)
            if (g_array_index (starts, guint, k) < i)
              down = g_array_index (starts, guint, k);

          g_assert_cmpuint (bs_layer_stage_jump (layers, n, i, 1), ==, up);
          g_assert_cmpuint (bs_layer_stage_jump (layers, n, i, -1), ==, down);
          g_assert_cmpuint (bs_layer_stage_jump (layers, n, i, 0), ==, i);
        }

      /* From the stem, Page Up walks the stage starts, then to the last layer. */
      {
        guint at = 0;

        for (guint k = 1; k < starts->len; k++)
          {
            at = bs_layer_stage_jump (layers, n, at, 1);
            g_assert_cmpuint (at, ==, g_array_index (starts, guint, k));
          }
        g_assert_cmpuint (bs_layer_stage_jump (layers, n, at, 1), ==, n - 1);
        g_assert_cmpuint (bs_layer_stage_jump (layers, n, n - 1, 1), ==, n - 1);
      }
    }

  /* Layers without stages (activations from .npy files) are one stage. */
  {
    BsLayerInfo flat[4] = { { .stage = -1 }, { .stage = -1 }, { .stage = -1 }, { .stage = -1 } };

    g_assert_cmpuint (bs_layer_stage_jump (flat, 4, 1, 1), ==, 3);
    g_assert_cmpuint (bs_layer_stage_jump (flat, 4, 2, -1), ==, 0);
    g_assert_cmpuint (bs_layer_stage_jump (flat, 1, 0, 1), ==, 0);
    g_assert_cmpuint (bs_layer_stage_jump (flat, 1, 0, -1), ==, 0);
    /* An index past the end counts as the last layer. */
    g_assert_cmpuint (bs_layer_stage_jump (flat, 4, 9, -1), ==, 0);
  }
}

static void
test_other_layer_lists (void)
{
  g_autoptr(BsModel) r56 = new_model ("resnet56", 3, 32, 32, 100);
  g_autoptr(BsModel) r20x4 = new_model ("resnet20x4", 1, 28, 28, 10);
  g_autoptr(BsModel) r50 = new_model ("imagenet-resnet50", 3, 32, 32, 10);
  g_autoptr(BsModel) r101 = new_model ("imagenet-resnet101", 3, 32, 32, 10);
  g_autoptr(BsModel) r152 = new_model ("imagenet-resnet152", 1, 28, 28, 10);
  g_autoptr(GPtrArray) expected = expected_cifar_layers (9);

  /* 9 + 21 (d - 2) / 6 - 1, the paper's count without flatten. */
  g_assert_cmpuint (bs_model_get_n_layers (r56), ==, 197);
  for (guint i = 0; i < expected->len; i++)
    g_assert_cmpstr (bs_model_get_layer (r56, i)->name, ==, g_ptr_array_index (expected, i));
  assert_layer (r56, "fc", BS_LAYER_FC, 100, 1, 1, 5, -1, FALSE);

  assert_layer (r20x4, "input", BS_LAYER_INPUT, 1, 28, 28, 0, -1, FALSE);
  assert_layer (r20x4, "layer1.0.conv1", BS_LAYER_CONV, 64, 28, 28, 1, 0, FALSE);
  assert_layer (r20x4, "layer2.0.conv1", BS_LAYER_CONV, 128, 14, 14, 2, 0, FALSE);
  assert_layer (r20x4, "layer3.0.downsample.0", BS_LAYER_SHORTCUT, 256, 7, 7, 3, 0, FALSE);
  assert_layer (r20x4, "layer3.2.relu2", BS_LAYER_RELU, 256, 7, 7, 3, 2, TRUE);

  /* Stem 5 + 16 blocks x 10 + 4 projections x 2 + pool + fc. */
  g_assert_cmpuint (bs_model_get_n_layers (r50), ==, 175);
  g_assert_cmpuint (bs_model_get_n_layers (r101), ==, 5 + 33 * 10 + 8 + 2);
  g_assert_cmpuint (bs_model_get_n_layers (r152), ==, 5 + 50 * 10 + 8 + 2);
  {
    static const char *first[] = {
      "input", "conv1", "bn1", "relu", "maxpool",
      "layer1.0.conv1", "layer1.0.bn1", "layer1.0.relu1", "layer1.0.conv2", "layer1.0.bn2",
      "layer1.0.relu2", "layer1.0.conv3", "layer1.0.bn3", "layer1.0.downsample.0",
      "layer1.0.downsample.1", "layer1.0.add", "layer1.0.relu3",
      "layer1.1.conv1",
    };

    for (guint i = 0; i < G_N_ELEMENTS (first); i++)
      g_assert_cmpstr (bs_model_get_layer (r50, i)->name, ==, first[i]);
  }
  assert_layer (r50, "conv1", BS_LAYER_CONV, 64, 16, 16, 0, -1, FALSE);
  assert_layer (r50, "maxpool", BS_LAYER_MAXPOOL, 64, 8, 8, 0, -1, FALSE);
  assert_layer (r50, "layer1.0.conv3", BS_LAYER_CONV, 256, 8, 8, 1, 0, FALSE);
  assert_layer (r50, "layer1.0.downsample.1", BS_LAYER_SHORTCUT, 256, 8, 8, 1, 0, FALSE);
  /* v1.5: the first 1x1 keeps the resolution, the 3x3 strides. */
  assert_layer (r50, "layer2.0.conv1", BS_LAYER_CONV, 128, 8, 8, 2, 0, FALSE);
  assert_layer (r50, "layer2.0.conv2", BS_LAYER_CONV, 128, 4, 4, 2, 0, FALSE);
  assert_layer (r50, "layer4.2.relu3", BS_LAYER_RELU, 2048, 1, 1, 4, 2, TRUE);
  assert_layer (r50, "avgpool", BS_LAYER_AVGPOOL, 2048, 1, 1, 5, -1, FALSE);
  g_assert_nonnull (bs_model_find_param (r50, "layer3.0.downsample.1.running_var"));
  g_assert_null (bs_model_find_param (r50, "layer3.1.downsample.0.weight"));
  assert_layer (r152, "layer3.35.relu3", BS_LAYER_RELU, 1024, 2, 2, 3, 35, TRUE);
}

/* ---- initialisation ------------------------------------------------------------ */

static void
moments (const BsParam *p,
         double        *mean,
         double        *std,
         double        *max_abs)
{
  double s = 0.0, q = 0.0, m = 0.0;

  for (gsize i = 0; i < p->n_elements; i++)
    {
      s += p->data[i];
      q += (double) p->data[i] * p->data[i];
      m = MAX (m, fabs (p->data[i]));
    }
  *mean = s / p->n_elements;
  *std = sqrt (q / p->n_elements - *mean * *mean);
  *max_abs = m;
}

static void
test_init (void)
{
  g_autoptr(BsModel) a = new_model ("resnet20", 3, 32, 32, 10);
  g_autoptr(BsModel) b = new_model ("resnet20", 3, 32, 32, 10);
  double mean, std, max_abs;
  BsParam *p;

  bs_model_init_params (a, 7);
  bs_model_init_params (b, 8);

  /* He normal with fan_out = 64 * 3 * 3. */
  p = bs_model_find_param (a, "layer3.1.conv2.weight");
  moments (p, &mean, &std, &max_abs);
  g_assert_cmpfloat (fabs (mean), <, 0.002);
  g_assert_cmpfloat (fabs (std / sqrt (2.0 / 576) - 1.0), <, 0.02);
  p = bs_model_find_param (a, "layer2.0.downsample.0.weight");
  moments (p, &mean, &std, &max_abs);
  g_assert_cmpfloat (fabs (std / sqrt (2.0 / 32) - 1.0), <, 0.1);

  /* nn.Linear: uniform within 1/sqrt(fan_in) = 1/8. */
  p = bs_model_find_param (a, "fc.weight");
  moments (p, &mean, &std, &max_abs);
  g_assert_cmpfloat (max_abs, <=, 0.125);
  g_assert_cmpfloat (fabs (std / (0.125 / sqrt (3.0)) - 1.0), <, 0.1);
  p = bs_model_find_param (a, "fc.bias");
  moments (p, &mean, &std, &max_abs);
  g_assert_cmpfloat (max_abs, <=, 0.125);
  g_assert_cmpfloat (max_abs, >, 0.0);

  for (guint i = 0; i < bs_model_get_n_params (a); i++)
    {
      BsParam *pa = bs_model_get_param (a, i);
      BsParam *pb = bs_model_get_param (b, i);
      const char *suffix = strrchr (pa->name, '.') + 1;

      if (pa->ndim == 1 && !g_str_has_prefix (pa->name, "fc."))
        {
          float expect = strcmp (suffix, "weight") == 0 || strcmp (suffix, "running_var") == 0;

          for (gsize j = 0; j < pa->n_elements; j++)
            g_assert_cmpfloat (pa->data[j], ==, expect);
        }
      else
        /* Another seed, other weights. */
        g_assert_true (memcmp (pa->data, pb->data, pa->n_elements * sizeof (float)) != 0);
    }
  g_assert_cmpint (bs_model_get_batches_tracked (a), ==, 0);
}

/* ---- taps -------------------------------------------------------------------------- */

typedef struct {
  BsModel  *model;
  guint     next;
  guint     batch;
  GArray   *seen;      /* layer indices */
  float   **copies;    /* per layer, when copying */
} TapLog;

static void
log_tap (const BsLayerInfo *info,
         guint              index,
         const float       *activation,
         guint              batch,
         gpointer           user_data)
{
  TapLog *log = user_data;
  gsize n = bs_layer_info_n_features (info) * batch;

  g_assert_true (info == bs_model_get_layer (log->model, index));
  g_assert_cmpuint (batch, ==, log->batch);
  g_array_append_val (log->seen, index);
  if (log->copies)
    log->copies[index] = g_memdup2 (activation, n * sizeof (float));
}

/* Taps on resnet8 with images of size x size: at 10 x 10 the convolutions
 * run on the direct kernels, at 32 x 32 (in evaluation) on Winograd's, at
 * every map size (32, 16, 8), with the batch norms fused into their chunks. */
static void
check_taps (guint size)
{
  const guint batch = 3, classes = 10;
  g_autoptr(BsModel) model = new_model ("resnet8", 3, size, size, classes);
  guint n_layers = bs_model_get_n_layers (model);
  const guint hw = size * size;
  g_autofree float *images = random_images (1, batch * 3 * hw);
  g_autofree float **copies = g_new0 (float *, n_layers);
  g_autofree float *logits = NULL;
  g_autofree gboolean *mask = g_new0 (gboolean, n_layers);
  TapLog log = { .model = model, .batch = batch, .seen = g_array_new (FALSE, FALSE, sizeof (guint)),
                 .copies = copies };
  const BsLayerInfo *pool_info = find_layer (model, "avgpool");
  guint pool_index = 0, last_relu = 0;

  bs_model_init_params (model, 3);
  bs_model_set_threads (model, 2);

  logits = g_memdup2 (bs_model_forward (model, images, batch, FALSE, log_tap, &log),
                      batch * classes * sizeof (float));
  g_assert_cmpuint (log.seen->len, ==, n_layers);
  for (guint i = 0; i < n_layers; i++)
    g_assert_cmpuint (g_array_index (log.seen, guint, i), ==, i);

  /* input: the images, channel-major with the batch inside. */
  for (guint c = 0; c < 3; c++)
    for (guint n = 0; n < batch; n++)
      for (guint p = 0; p < hw; p++)
        g_assert_cmpfloat (copies[0][(c * batch + n) * hw + p], ==, images[(n * 3 + c) * hw + p]);

  for (guint i = 0; i < n_layers; i++)
    {
      const BsLayerInfo *info = bs_model_get_layer (model, i);

      if (info->kind == BS_LAYER_RELU)
        {
          for (gsize j = 0; j < bs_layer_info_n_features (info) * batch; j++)
            g_assert_cmpfloat (copies[i][j], >=, 0.0f);
          last_relu = i;
        }
      if (info == pool_info)
        pool_index = i;
    }

  /* avgpool is the mean of the last ReLU; fc is the logits, transposed. */
  {
    const BsLayerInfo *r = bs_model_get_layer (model, last_relu);
    gsize r_hw = (gsize) r->height * r->width;

    for (guint c = 0; c < r->channels; c++)
      for (guint n = 0; n < batch; n++)
        {
          double s = 0.0;

          for (gsize p = 0; p < r_hw; p++)
            s += copies[last_relu][(c * batch + n) * r_hw + p];
          g_assert_cmpfloat_with_epsilon (copies[pool_index][c * batch + n], s / r_hw, 1e-5);
        }
    for (guint k = 0; k < classes; k++)
      for (guint n = 0; n < batch; n++)
        g_assert_cmpfloat (copies[n_layers - 1][k * batch + n], ==, logits[n * classes + k]);
  }

  /* The fused path without taps computes exactly the same logits. */
  g_assert_cmpmem (bs_model_forward (model, images, batch, FALSE, NULL, NULL),
                   batch * classes * sizeof (float), logits, batch * classes * sizeof (float));

  /* A mask: only the chosen layers reach the tap, with the same values. */
  mask[2] = mask[7] = mask[n_layers - 2] = TRUE;
  bs_model_set_tap_mask (model, mask);
  g_array_set_size (log.seen, 0);
  log.copies = NULL;
  g_assert_cmpmem (bs_model_forward (model, images, batch, FALSE, log_tap, &log),
                   batch * classes * sizeof (float), logits, batch * classes * sizeof (float));
  g_assert_cmpuint (log.seen->len, ==, 3);
  g_assert_cmpuint (g_array_index (log.seen, guint, 0), ==, 2);
  g_assert_cmpuint (g_array_index (log.seen, guint, 1), ==, 7);
  g_assert_cmpuint (g_array_index (log.seen, guint, 2), ==, n_layers - 2);

  /* CKA's mask: every layer but the batch norms right after a convolution
   * (their Grams come from the convolution's). Each norm then runs inside
   * the convolution's chunks into its own buffer, with the add and a ReLU
   * after it; a tapped add gets its ReLU in the same pass. Same values. */
  {
    g_autofree float **fused = g_new0 (float *, n_layers);
    guint n_masked = 0;

    for (guint i = 0; i < n_layers; i++)
      {
        const BsLayerInfo *info = bs_model_get_layer (model, i);

        mask[i] = !(info->kind == BS_LAYER_BN && i > 0 &&
                    bs_model_get_layer (model, i - 1)->kind == BS_LAYER_CONV);
        n_masked += !mask[i];
      }
    g_assert_cmpuint (n_masked, >, 0);
    bs_model_set_tap_mask (model, mask);
    g_array_set_size (log.seen, 0);
    log.copies = fused;
    g_assert_cmpmem (bs_model_forward (model, images, batch, FALSE, log_tap, &log),
                     batch * classes * sizeof (float), logits, batch * classes * sizeof (float));
    g_assert_cmpuint (log.seen->len, ==, n_layers - n_masked);
    for (guint i = 0; i < n_layers; i++)
      if (mask[i])
        g_assert_cmpmem (fused[i], bs_layer_info_n_features (bs_model_get_layer (model, i)) * batch * sizeof (float),
                         copies[i], bs_layer_info_n_features (bs_model_get_layer (model, i)) * batch * sizeof (float));
    for (guint i = 0; i < n_layers; i++)
      g_free (fused[i]);
    log.copies = NULL;
  }

  /* Taps in training mode see the same layers, and training is unchanged by them. */
  bs_model_set_tap_mask (model, NULL);
  g_array_set_size (log.seen, 0);
  {
    g_autofree float *with = g_memdup2 (bs_model_forward (model, images, batch, TRUE, log_tap, &log),
                                        batch * classes * sizeof (float));

    g_assert_cmpuint (log.seen->len, ==, n_layers);
    g_assert_cmpmem (bs_model_forward (model, images, batch, TRUE, NULL, NULL),
                     batch * classes * sizeof (float), with, batch * classes * sizeof (float));
  }

  for (guint i = 0; i < n_layers; i++)
    g_free (copies[i]);
  g_array_unref (log.seen);
}

static void
test_taps (void)
{
  check_taps (10);
}

static void
test_taps_winograd (void)
{
  check_taps (32);
}

/* Evaluation is per image: any batch split gives the same logits. Without
 * taps the engine itself runs large batches in pieces; a tap makes it run
 * the whole batch at once. */
static void
test_batch_independence (void)
{
  const guint classes = 10, batch = 20;
  g_autofree float *images = random_images (2, batch * 144);

  for (guint threads = 1; threads <= 2; threads++)
    {
      g_autoptr(BsModel) model = new_model ("resnet8", 1, 12, 12, classes);
      g_autofree float *whole = NULL, *pieces = NULL;

      bs_model_init_params (model, 4);
      bs_model_set_threads (model, threads);
      /* Give BN non-trivial running statistics first. */
      bs_model_forward (model, images, batch, TRUE, NULL, NULL);

      whole = g_memdup2 (bs_model_forward (model, images, batch, FALSE, ignore_tap, NULL),
                         batch * classes * sizeof (float));
      pieces = g_memdup2 (bs_model_forward (model, images, batch, FALSE, NULL, NULL),
                          batch * classes * sizeof (float));
      for (guint i = 0; i < batch * classes; i++)
        g_assert_cmpfloat_with_epsilon (pieces[i], whole[i], 1e-5);

      for (guint start = 0; start < batch; start += 7)
        {
          guint n = MIN (7, batch - start);
          const float *part = bs_model_forward (model, images + start * 144, n, FALSE, NULL, NULL);

          for (guint i = 0; i < n * classes; i++)
            g_assert_cmpfloat_with_epsilon (part[i], whole[start * classes + i], 1e-5);
        }
    }
}

/* ---- determinism --------------------------------------------------------------------- */

static void
train_steps (BsModel      *model,
             const float  *images,
             const guint8 *labels,
             guint         batch,
             guint         steps,
             float        *losses)
{
  for (guint s = 0; s < steps; s++)
    {
      bs_model_forward (model, images, batch, TRUE, NULL, NULL);
      losses[s] = bs_model_loss (model, labels);
      bs_model_backward (model);
      for (guint i = 0; i < bs_model_get_n_params (model); i++)
        {
          BsParam *p = bs_model_get_param (model, i);

          if (p->grad)
            for (gsize j = 0; j < p->n_elements; j++)
              p->data[j] -= 0.05f * p->grad[j];
        }
    }
}

static void
test_determinism (void)
{
  const guint batch = 12, steps = 3;
  g_autofree float *images = random_images (5, batch * 3 * 16 * 16);
  g_autofree guint8 *labels = random_labels (6, batch, 10);
  BsModel *models[3];
  float losses[3][3];

  for (guint m = 0; m < 3; m++)
    {
      models[m] = new_model ("resnet8", 3, 16, 16, 10);
      bs_model_init_params (models[m], 42);
      bs_model_set_threads (models[m], m < 2 ? 2 : 1);
      train_steps (models[m], images, labels, batch, steps, losses[m]);
    }

  /* Same seed and thread count: the same bits. */
  g_assert_cmpmem (losses[0], sizeof losses[0], losses[1], sizeof losses[1]);
  for (guint i = 0; i < bs_model_get_n_params (models[0]); i++)
    {
      BsParam *a = bs_model_get_param (models[0], i);
      BsParam *b = bs_model_get_param (models[1], i);

      g_assert_cmpmem (a->data, a->n_elements * sizeof (float), b->data, b->n_elements * sizeof (float));
    }
  /* Another thread count sums in another order: close, not necessarily equal. */
  for (guint s = 0; s < steps; s++)
    g_assert_cmpfloat_with_epsilon (losses[2][s], losses[0][s], 1e-4);
  /* Training learns something: the loss of the same batch goes down. */
  g_assert_cmpfloat (losses[0][steps - 1], <, losses[0][0]);

  for (guint m = 0; m < 3; m++)
    bs_model_free (models[m]);
}

/* Evaluation hands chunks of images to threads as they come free: the
 * logits must not depend on which thread ran which chunk, nor, beyond
 * rounding, on the thread count; a pool shared by two models (as in a CKA
 * job) changes nothing either, and neither do cached Winograd weights. */
static void
test_eval_determinism (void)
{
  const guint batch = 48, classes = 10;
  g_autofree float *images = random_images (7, batch * 3 * 32 * 32);
  g_autofree float *first = NULL;
  BsModel *two = new_model ("resnet8", 3, 32, 32, classes);
  BsModel *one = new_model ("resnet8", 3, 32, 32, classes);
  BsThreadPool *shared = bs_thread_pool_new (2);
  BsThreadPool *own;
  const float *logits;

  bs_model_init_params (two, 3);
  bs_model_init_params (one, 3);
  bs_model_set_threads (two, 2);
  first = g_memdup2 (bs_model_forward (two, images, batch, FALSE, NULL, NULL),
                     batch * classes * sizeof (float));
  for (guint run = 0; run < 4; run++)
    g_assert_cmpmem (bs_model_forward (two, images, batch, FALSE, NULL, NULL),
                     batch * classes * sizeof (float), first, batch * classes * sizeof (float));

  logits = bs_model_forward (one, images, batch, FALSE, NULL, NULL);
  for (guint i = 0; i < batch * classes; i++)
    g_assert_cmpfloat (fabsf (logits[i] - first[i]), <=, 1e-4f * (1.0f + fabsf (first[i])));

  /* Both models on one pool; each gets its own back. */
  own = bs_thread_pool_ref (bs_model_get_pool (one));
  bs_model_set_pool (two, shared);
  bs_model_set_pool (one, shared);
  bs_thread_pool_unref (shared);
  g_assert_true (bs_model_get_pool (two) == bs_model_get_pool (one));
  g_assert_cmpuint (bs_model_get_threads (one), ==, 2);
  g_assert_cmpmem (bs_model_forward (two, images, batch, FALSE, NULL, NULL),
                   batch * classes * sizeof (float), first, batch * classes * sizeof (float));
  bs_model_forward (one, images, batch, FALSE, NULL, NULL);
  bs_model_set_pool (one, own);
  bs_thread_pool_unref (own);
  g_assert_cmpuint (bs_model_get_threads (one), ==, 1);
  /* The shared pool lives on in the other model. */
  g_assert_cmpmem (bs_model_forward (two, images, batch, FALSE, NULL, NULL),
                   batch * classes * sizeof (float), first, batch * classes * sizeof (float));

  /* A changed weight reaches evaluation although its Winograd transform is
   * cached: the same logits as a model that never ran before. */
  {
    BsModel *fresh = new_model ("resnet8", 3, 32, 32, classes);
    BsParam *w = bs_model_find_param (two, "layer1.0.conv2.weight");
    g_autofree float *changed = NULL;

    bs_model_init_params (fresh, 3);
    bs_model_set_threads (fresh, 2);
    g_assert_nonnull (w);
    w->data[5] += 0.25f;
    bs_model_find_param (fresh, "layer1.0.conv2.weight")->data[5] += 0.25f;
    changed = g_memdup2 (bs_model_forward (two, images, batch, FALSE, NULL, NULL),
                         batch * classes * sizeof (float));
    g_assert_true (memcmp (changed, first, batch * classes * sizeof (float)) != 0);
    g_assert_cmpmem (bs_model_forward (fresh, images, batch, FALSE, NULL, NULL),
                     batch * classes * sizeof (float), changed, batch * classes * sizeof (float));
    bs_model_free (fresh);
  }

  bs_model_free (two);
  bs_model_free (one);
}

/* ---- memory -------------------------------------------------------------------------- */

static gsize
largest_activation (BsModel *model,
                    guint    batch)
{
  gsize m = 0;

  for (guint i = 0; i < bs_model_get_n_layers (model); i++)
    m = MAX (m, bs_layer_info_n_features (bs_model_get_layer (model, i)));
  return m * batch * sizeof (float);
}

static void
test_eval_memory (void)
{
  const guint batch = 8;
  g_autoptr(BsModel) model = new_model ("resnet56", 3, 16, 16, 10);
  g_autofree float *images = random_images (7, batch * 3 * 256);
  gsize peak = 0, total = 0, largest = largest_activation (model, batch);

  for (guint i = 0; i < bs_model_get_n_layers (model); i++)
    total += bs_layer_info_n_features (bs_model_get_layer (model, i)) * batch * sizeof (float);

  bs_model_init_params (model, 1);
  bs_model_set_threads (model, 2);
  bs_model_forward (model, images, batch, FALSE, NULL, NULL);
  bs_model_get_memory_bytes (model, &peak);
  /* A handful of live activations plus per-thread scratch, not all 197. */
  g_test_message ("eval peak %" G_GSIZE_FORMAT " bytes; largest activation %" G_GSIZE_FORMAT
                  ", all activations %" G_GSIZE_FORMAT, peak, largest, total);
  g_assert_cmpuint (peak, <=, 5 * largest + 2 * 1024 * 1024);
  g_assert_cmpuint (peak, <, total / 10);

  /* Taps on every layer do not make it keep them either. */
  bs_model_release_memory (model);
  g_assert_cmpuint (bs_model_get_memory_bytes (model, NULL), ==, 0);
  bs_model_forward (model, images, batch, FALSE, ignore_tap, NULL);
  bs_model_get_memory_bytes (model, &peak);
  g_assert_cmpuint (peak, <=, 5 * largest + 2 * 1024 * 1024);
}

/* ---- whole-model finite differences -------------------------------------------------- */

typedef struct {
  BsModel      *model;
  const float  *images;
  const guint8 *labels;
  guint         batch;
} ModelFd;

static double
model_loss (ModelFd *d)
{
  bs_model_forward (d->model, d->images, d->batch, TRUE, NULL, NULL);
  return bs_model_loss (d->model, d->labels);
}

static void
check_model_gradients (BsModel    *model,
                       guint       c,
                       guint       hw,
                       const char *const *names)
{
  const guint batch = 4;
  g_autofree float *images = random_images (11, batch * c * hw * hw);
  g_autofree guint8 *labels = random_labels (12, batch, bs_model_get_n_classes (model));
  ModelFd d = { model, images, labels, batch };
  BsRng rng;

  bs_rng_init (&rng, 13);
  bs_model_set_threads (model, 2);
  model_loss (&d);
  bs_model_backward (model);

  for (guint k = 0; names[k]; k++)
    {
      BsParam *p = bs_model_find_param (model, names[k]);
      g_autofree float *grad = NULL;

      g_assert_nonnull (p);
      grad = g_memdup2 (p->grad, p->n_elements * sizeof (float));
      for (guint t = 0; t < 6; t++)
        {
          /* Two step sizes: the larger one can straddle ReLU kinks (and BN on
           * four images is far from linear), the smaller one suffers from the
           * float loss; a wrong gradient fails both. */
          static const float steps[] = { 1e-3f, 3e-4f };
          gsize i = bs_rng_below (&rng, p->n_elements);
          double best = INFINITY, numeric = 0.0;

          for (guint s = 0; s < G_N_ELEMENTS (steps); s++)
            {
              float v = p->data[i], h = steps[s];
              double lp, lm, fd;

              p->data[i] = v + h;
              lp = model_loss (&d);
              p->data[i] = v - h;
              lm = model_loss (&d);
              p->data[i] = v;
              fd = (lp - lm) / ((double) (v + h) - (double) (v - h));
              if (fabs (fd - grad[i]) - 3e-2 * fabs (fd) < best)
                {
                  best = fabs (fd - grad[i]) - 3e-2 * fabs (fd);
                  numeric = fd;
                }
            }
          if (!(best <= 1e-3))
            g_error ("%s[%" G_GSIZE_FORMAT "]: gradient %.6g, finite differences %.6g",
                     names[k], i, grad[i], numeric);
        }
    }
}

static void
test_model_gradcheck_cifar (void)
{
  static const char *const names[] = {
    "conv1.weight", "bn1.weight", "layer1.0.conv2.weight", "layer1.0.bn1.bias",
    "layer2.0.downsample.0.weight", "layer3.0.bn2.weight", "fc.weight", "fc.bias", NULL
  };
  g_autoptr(BsModel) model = new_model ("resnet8", 3, 8, 8, 10);

  bs_model_init_params (model, 21);
  check_model_gradients (model, 3, 8, names);
}

static void
test_model_gradcheck_bottleneck (void)
{
  static const char *const names[] = {
    "conv1.weight", "bn1.bias", "layer1.0.conv1.weight", "layer1.0.conv3.weight",
    "layer1.0.downsample.0.weight", "layer1.0.downsample.1.weight", "layer1.1.bn2.weight",
    "layer2.0.conv2.weight", "fc.weight", NULL
  };
  BsResnetSpec spec = { .block = BS_RESNET_BOTTLENECK, .n_stages = 2, .blocks = { 2, 1 },
                        .widths = { 4, 8 }, .stem_channels = 8, .imagenet_stem = TRUE };
  g_autoptr(GError) error = NULL;
  g_autoptr(BsModel) model = bs_resnet_build ("tiny-bottleneck", &spec, 2, 16, 16, 6, &error);

  g_assert_no_error (error);
  bs_model_init_params (model, 22);
  check_model_gradients (model, 2, 16, names);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/model/bad-names", test_bad_names);
  g_test_add_func ("/model/resnet20-layers", test_resnet20_layers);
  g_test_add_func ("/model/other-layer-lists", test_other_layer_lists);
  g_test_add_func ("/model/stage-jumps", test_stage_jumps);
  g_test_add_func ("/model/init", test_init);
  g_test_add_func ("/model/taps", test_taps);
  g_test_add_func ("/model/taps-winograd", test_taps_winograd);
  g_test_add_func ("/model/batch-independence", test_batch_independence);
  g_test_add_func ("/model/determinism", test_determinism);
  g_test_add_func ("/model/eval-determinism", test_eval_determinism);
  g_test_add_func ("/model/eval-memory", test_eval_memory);
  g_test_add_func ("/model/gradcheck/cifar", test_model_gradcheck_cifar);
  g_test_add_func ("/model/gradcheck/bottleneck", test_model_gradcheck_bottleneck);

  return g_test_run ();
}
