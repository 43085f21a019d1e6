/* test-checkpoint.c: models saved and loaded through safetensors; damaged checkpoints. */
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

#include "bs-checkpoint.h"
#include "bs-error.h"
#include "bs-rng.h"
#include "bs-safetensors.h"
#include "bs-test-util.h"

/* A small model: the paper's ResNet-8 on 3x12x12 images with 5 classes. */
#define ARCH "resnet8"
#define C 3
#define H 12
#define W 12
#define K 5

static char *tmp_dir;

static char *
tmp_path (const char *name)
{
  return g_build_filename (tmp_dir, name, NULL);
}

/* Parameters and running statistics all different from their defaults. */
static BsModel *
make_model (guint64 seed)
{
  g_autoptr(GError) error = NULL;
  BsModel *model = bs_model_new (ARCH, C, H, W, K, &error);
  BsRng rng;

  g_assert_no_error (error);
  bs_model_init_params (model, seed);
  bs_rng_init (&rng, seed + 1000);
  for (guint i = 0; i < bs_model_get_n_params (model); i++)
    {
      BsParam *param = bs_model_get_param (model, i);

      if (g_str_has_suffix (param->name, ".running_var"))
        for (gsize j = 0; j < param->n_elements; j++)
          param->data[j] = 0.5f + (float) bs_rng_uniform (&rng);
      else if (g_str_has_suffix (param->name, ".running_mean") || g_str_has_prefix (param->name, "bn")
               || strstr (param->name, ".bn") != NULL)
        for (gsize j = 0; j < param->n_elements; j++)
          param->data[j] += (float) (0.1 * bs_rng_normal (&rng));
    }
  bs_model_set_batches_tracked (model, 1234);
  return model;
}

static float *
random_images (guint n,
               guint64 seed)
{
  float *images = g_new (float, (gsize) n * C * H * W);
  BsRng rng;

  bs_rng_init (&rng, seed);
  for (gsize i = 0; i < (gsize) n * C * H * W; i++)
    images[i] = (float) bs_rng_uniform (&rng);
  return images;
}

static void
assert_same_models (BsModel *a,
                    BsModel *b)
{
  g_autofree float *images = random_images (4, 99);
  g_autofree float *logits_a = NULL;

  g_assert_cmpstr (bs_model_get_name (a), ==, bs_model_get_name (b));
  g_assert_cmpuint (bs_model_get_n_params (a), ==, bs_model_get_n_params (b));
  for (guint i = 0; i < bs_model_get_n_params (a); i++)
    {
      BsParam *pa = bs_model_get_param (a, i);
      BsParam *pb = bs_model_get_param (b, i);

      g_assert_cmpstr (pa->name, ==, pb->name);
      g_assert_cmpuint (pa->n_elements, ==, pb->n_elements);
      g_assert_cmpmem (pa->data, pa->n_elements * sizeof (float), pb->data, pb->n_elements * sizeof (float));
    }
  g_assert_cmpint (bs_model_get_batches_tracked (a), ==, bs_model_get_batches_tracked (b));

  /* Same weights, same logits, bit for bit (evaluation mode). */
  logits_a = g_memdup2 (bs_model_forward (a, images, 4, FALSE, NULL, NULL), 4 * K * sizeof (float));
  g_assert_cmpmem (logits_a, 4 * K * sizeof (float),
                   bs_model_forward (b, images, 4, FALSE, NULL, NULL), 4 * K * sizeof (float));
}

static void
test_round_trip (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = tmp_path ("rt.safetensors");
  BsModel *model = make_model (7);
  BsModel *loaded;
  BsCheckpointInfo info, back;
  char *class_names[] = { "a", "b", "c", "d", "e \"quoted\"", NULL };

  bs_checkpoint_info_init (&info);
  info.dataset = (char *) "synthetic";
  info.class_names = class_names;
  info.epoch = 3;
  info.accuracy = 0.8125;
  info.seed = G_GUINT64_CONSTANT (18446744073709551615);
  info.recipe = (char *) "{\"lr\":0.1}";
  g_assert_true (bs_checkpoint_save (model, &info, path, &error));
  g_assert_no_error (error);

  loaded = bs_checkpoint_load (path, &back, &error);
  g_assert_no_error (error);
  assert_same_models (model, loaded);
  g_assert_cmpstr (back.architecture, ==, ARCH);
  g_assert_cmpuint (back.channels, ==, C);
  g_assert_cmpuint (back.height, ==, H);
  g_assert_cmpuint (back.width, ==, W);
  g_assert_cmpuint (back.n_classes, ==, K);
  g_assert_cmpstr (back.dataset, ==, "synthetic");
  g_assert_cmpuint (back.epoch, ==, 3);
  g_assert_cmpfloat (back.accuracy, ==, 0.8125);
  g_assert_cmpuint (back.seed, ==, G_GUINT64_CONSTANT (18446744073709551615));
  g_assert_cmpstr (back.recipe, ==, "{\"lr\":0.1}");
  g_assert_nonnull (back.version);
  g_assert_nonnull (back.class_names);
  g_assert_cmpstrv (back.class_names, (const char * const *) class_names);
  bs_checkpoint_info_clear (&back);
  bs_model_free (loaded);

  /* Without info: accuracy unknown, no class names. */
  g_assert_true (bs_checkpoint_save (model, NULL, path, &error));
  loaded = bs_checkpoint_load (path, &back, &error);
  g_assert_no_error (error);
  g_assert_true (isnan (back.accuracy));
  g_assert_null (back.class_names);
  g_assert_null (back.dataset);
  bs_checkpoint_info_clear (&back);
  bs_model_free (loaded);
  bs_model_free (model);
}

/* The file is what PyTorch's state_dict would hold: every parameter under its
 * name as F32, and an I64 scalar num_batches_tracked for every batch norm. */
static void
test_torch_layout (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = tmp_path ("layout.safetensors");
  g_autoptr(BsSafetensors) st = NULL;
  BsModel *model = make_model (3);
  guint n_bn = 0;

  g_assert_true (bs_checkpoint_save (model, NULL, path, &error));
  st = bs_safetensors_load (path, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < bs_model_get_n_params (model); i++)
    {
      BsParam *param = bs_model_get_param (model, i);
      const BsTensorView *view = bs_safetensors_get (st, param->name);

      g_assert_nonnull (view);
      g_assert_cmpint (view->dtype, ==, BS_DTYPE_F32);
      g_assert_cmpuint (view->ndim, ==, param->ndim);
      g_assert_cmpmem (view->shape, view->ndim * sizeof (gint64), param->shape, param->ndim * sizeof (gint64));
      if (g_str_has_suffix (param->name, ".running_mean"))
        {
          g_autofree char *prefix = g_strndup (param->name, strlen (param->name) - strlen (".running_mean"));
          g_autofree char *tracked = g_strconcat (prefix, ".num_batches_tracked", NULL);

          view = bs_safetensors_get (st, tracked);
          g_assert_nonnull (view);
          g_assert_cmpint (view->dtype, ==, BS_DTYPE_I64);
          g_assert_cmpuint (view->ndim, ==, 0);
          g_assert_cmpint (*(const gint64 *) view->data, ==, 1234);
          n_bn++;
        }
    }
  g_assert_cmpuint (n_bn, >, 0);
  g_assert_nonnull (bs_safetensors_get (st, "bn1.num_batches_tracked"));
  g_assert_cmpuint (bs_safetensors_get_n_tensors (st), ==, bs_model_get_n_params (model) + n_bn);
  g_assert_cmpstr (bs_safetensors_get_metadata (st, "architecture"), ==, ARCH);
  g_assert_cmpstr (bs_safetensors_get_metadata (st, "input_shape"), ==, "[3, 12, 12]");
  g_assert_cmpstr (bs_safetensors_get_metadata (st, "classes"), ==, "5");
  bs_model_free (model);
}

typedef enum {
  EDIT_NONE,
  EDIT_RESHAPE,       /* name: gets one more element along its first axis */
  EDIT_DROP,          /* name: left out */
  EDIT_ADD,           /* name: added as an extra F32 tensor */
  EDIT_TO_F64,        /* name: stored as F64 */
  EDIT_TRACKED_F32,   /* name: an I64 tensor stored as F32 */
} Edit;

/* Copies a checkpoint, changing one tensor and/or one metadata value. */
static char *
rewrite (const char *src,
         const char *dest_name,
         Edit        edit,
         const char *name,
         const char *meta_key,
         const char *meta_value)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BsSafetensors) st = bs_safetensors_load (src, &error);
  g_autoptr(BsSafetensorsWriter) writer = bs_safetensors_writer_new ();
  g_autoptr(GPtrArray) buffers = g_ptr_array_new_with_free_func (g_free);
  g_autofree const char **keys = NULL;
  char *dest = tmp_path (dest_name);

  g_assert_no_error (error);
  keys = bs_safetensors_list_metadata (st);
  for (guint i = 0; keys[i] != NULL; i++)
    if (g_strcmp0 (keys[i], meta_key) != 0)
      bs_safetensors_writer_set_metadata (writer, keys[i], bs_safetensors_get_metadata (st, keys[i]));
  if (meta_key != NULL && meta_value != NULL)
    bs_safetensors_writer_set_metadata (writer, meta_key, meta_value);

  for (guint i = 0; i < bs_safetensors_get_n_tensors (st); i++)
    {
      const BsTensorView *view = bs_safetensors_get_nth (st, i);
      gboolean target = g_strcmp0 (view->name, name) == 0;

      if (target && edit == EDIT_DROP)
        continue;
      if (target && edit == EDIT_RESHAPE)
        {
          gint64 shape[BS_SAFETENSORS_MAX_DIMS];
          gsize row = view->shape[0] > 0 ? view->n_elements / view->shape[0] : 0;
          float *data = g_new0 (float, view->n_elements + row + 1);

          memcpy (shape, view->shape, sizeof shape);
          shape[0]++;
          g_ptr_array_add (buffers, data);
          g_assert_true (bs_safetensors_writer_add (writer, view->name, view->dtype, view->ndim, shape, data, NULL));
          continue;
        }
      if (target && edit == EDIT_TO_F64)
        {
          double *data = g_new0 (double, view->n_elements + 1);

          g_ptr_array_add (buffers, data);
          g_assert_true (bs_safetensors_writer_add (writer, view->name, BS_DTYPE_F64, view->ndim, view->shape, data, NULL));
          continue;
        }
      if (target && edit == EDIT_TRACKED_F32)
        {
          float *data = g_new0 (float, 1);

          g_ptr_array_add (buffers, data);
          g_assert_true (bs_safetensors_writer_add (writer, view->name, BS_DTYPE_F32, 0, NULL, data, NULL));
          continue;
        }
      g_assert_true (bs_safetensors_writer_add (writer, view->name, view->dtype, view->ndim, view->shape, view->data, NULL));
    }
  if (edit == EDIT_ADD)
    {
      gint64 shape[1] = { 2 };
      float *data = g_new0 (float, 2);

      g_ptr_array_add (buffers, data);
      g_assert_true (bs_safetensors_writer_add (writer, name, BS_DTYPE_F32, 1, shape, data, NULL));
    }
  g_assert_true (bs_safetensors_writer_save (writer, dest, &error));
  g_assert_no_error (error);
  return dest;
}

static void
assert_load_fails (const char *path,
                   int         code,
                   const char *fragment1,
                   const char *fragment2)
{
  g_autoptr(GError) error = NULL;
  BsCheckpointInfo info;
  BsModel *model = bs_checkpoint_load (path, &info, &error);

  g_assert_null (model);
  g_assert_error (error, BS_ERROR, code);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, path));
  if (fragment1 != NULL)
    g_assert_nonnull (strstr (error->message, fragment1));
  if (fragment2 != NULL)
    g_assert_nonnull (strstr (error->message, fragment2));
}

static void
test_damage (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = tmp_path ("good.safetensors");
  BsModel *model = make_model (5);
  BsModel *loaded;
  char *p;

  g_assert_true (bs_checkpoint_save (model, NULL, path, &error));
  bs_model_free (model);

  /* An unchanged copy loads: the editing itself is sound. */
  p = rewrite (path, "copy.safetensors", EDIT_NONE, NULL, NULL, NULL);
  loaded = bs_checkpoint_load (p, NULL, &error);
  g_assert_no_error (error);
  bs_model_free (loaded);
  g_free (p);

  p = rewrite (path, "shape.safetensors", EDIT_RESHAPE, "conv1.weight", NULL, NULL);
  assert_load_fails (p, BS_ERROR_MISMATCH, "'conv1.weight' has shape", ARCH " needs");
  g_free (p);
  p = rewrite (path, "shape2.safetensors", EDIT_RESHAPE, "fc.bias", NULL, NULL);
  assert_load_fails (p, BS_ERROR_MISMATCH, "'fc.bias' has shape [6]", "[5]");
  g_free (p);
  p = rewrite (path, "missing.safetensors", EDIT_DROP, "fc.bias", NULL, NULL);
  assert_load_fails (p, BS_ERROR_MISMATCH, "lacks tensor 'fc.bias'", NULL);
  g_free (p);
  p = rewrite (path, "missing-tracked.safetensors", EDIT_DROP, "bn1.num_batches_tracked", NULL, NULL);
  assert_load_fails (p, BS_ERROR_MISMATCH, "lacks tensor 'bn1.num_batches_tracked'", NULL);
  g_free (p);
  p = rewrite (path, "unknown.safetensors", EDIT_ADD, "layer9.0.conv1.weight", NULL, NULL);
  assert_load_fails (p, BS_ERROR_MISMATCH, "'layer9.0.conv1.weight', which " ARCH " does not have", NULL);
  g_free (p);
  p = rewrite (path, "f64.safetensors", EDIT_TO_F64, "fc.weight", NULL, NULL);
  assert_load_fails (p, BS_ERROR_MISMATCH, "'fc.weight' is F64, expected F32", NULL);
  g_free (p);
  p = rewrite (path, "tracked-f32.safetensors", EDIT_TRACKED_F32, "bn1.num_batches_tracked", NULL, NULL);
  assert_load_fails (p, BS_ERROR_MISMATCH, "'bn1.num_batches_tracked' is F32, expected I64", NULL);
  g_free (p);

  /* Metadata that names another architecture: a real one with other tensors, or none at all. */
  p = rewrite (path, "deeper.safetensors", EDIT_NONE, NULL, "architecture", "resnet14");
  assert_load_fails (p, BS_ERROR_MISMATCH, "resnet14", NULL);
  g_free (p);
  p = rewrite (path, "bogus.safetensors", EDIT_NONE, NULL, "architecture", "resnet7");
  assert_load_fails (p, BS_ERROR_FORMAT, "cannot build", "resnet7");
  g_free (p);
  p = rewrite (path, "no-arch.safetensors", EDIT_NONE, NULL, "architecture", NULL);
  assert_load_fails (p, BS_ERROR_FORMAT, "'architecture' is missing", NULL);
  g_free (p);
  p = rewrite (path, "bad-shape.safetensors", EDIT_NONE, NULL, "input_shape", "[3, 12]");
  assert_load_fails (p, BS_ERROR_FORMAT, "input_shape", NULL);
  g_free (p);
  /* White space is valid JSON without a value (found by fuzz-checkpoint-metadata). */
  p = rewrite (path, "blank-shape.safetensors", EDIT_NONE, NULL, "input_shape", " ");
  assert_load_fails (p, BS_ERROR_FORMAT, "input_shape", NULL);
  g_free (p);
  p = rewrite (path, "blank-names.safetensors", EDIT_NONE, NULL, "class_names", " ");
  loaded = bs_checkpoint_load (p, NULL, &error);
  g_assert_no_error (error);
  bs_model_free (loaded);
  g_free (p);
  p = rewrite (path, "other-classes.safetensors", EDIT_NONE, NULL, "classes", "6");
  assert_load_fails (p, BS_ERROR_MISMATCH, "'fc.", NULL);
  g_free (p);
  p = rewrite (path, "zero-classes.safetensors", EDIT_NONE, NULL, "classes", "0");
  assert_load_fails (p, BS_ERROR_FORMAT, "classes", NULL);
  g_free (p);
  p = rewrite (path, "bad-accuracy.safetensors", EDIT_NONE, NULL, "accuracy", "1.5");
  assert_load_fails (p, BS_ERROR_FORMAT, "accuracy", NULL);
  g_free (p);

  /* Damage to the file itself is reported by the safetensors reader. */
  {
    g_autofree char *contents = NULL;
    gsize length;

    g_assert_true (g_file_get_contents (path, &contents, &length, NULL));
    p = tmp_path ("cut.safetensors");
    g_assert_true (g_file_set_contents (p, contents, length - 10, NULL));
    assert_load_fails (p, BS_ERROR_FORMAT, "truncated", NULL);
    g_free (p);
  }
  p = tmp_path ("absent.safetensors");
  assert_load_fails (p, BS_ERROR_NOT_FOUND, NULL, NULL);
  g_free (p);
}

static void
test_save_fails_cleanly (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = g_build_filename (tmp_dir, "no-such-folder", "x.safetensors", NULL);
  BsModel *model = make_model (1);

  g_assert_false (bs_checkpoint_save (model, NULL, path, &error));
  g_assert_error (error, BS_ERROR, BS_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (error->message, path));
  bs_model_free (model);
}


/* A run's checkpoint: momentum buffers and the global step come back
 * through info; loading the model alone ignores them; a momentum tensor of
 * no parameter, or of another shape, is an error naming it. */
static void
test_optimizer_state (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = tmp_path ("optimizer.safetensors");
  g_autofree char *plain_path = tmp_path ("optimizer-plain.safetensors");
  BsModel *model = make_model (5);
  guint n = bs_model_get_n_params (model);
  g_autofree float **momentum = g_new0 (float *, n);
  BsCheckpointInfo info, read;
  BsModel *loaded;
  guint with_momentum = 0;

  for (guint i = 0; i < n; i++)
    {
      BsParam *param = bs_model_get_param (model, i);

      if (param->grad == NULL)
        continue;
      momentum[i] = g_new (float, param->n_elements);
      for (gsize j = 0; j < param->n_elements; j++)
        momentum[i][j] = (float) (i + 1) * 0.25f + (float) j;
      with_momentum++;
    }
  g_assert_cmpuint (with_momentum, >, 0);
  bs_checkpoint_info_init (&info);
  info.epoch = 3;
  info.global_step = 1407;
  info.train_loss = 0.125;
  info.train_accuracy = 0.75;
  info.test_loss = 0.5;
  info.momentum = momentum;
  info.n_momentum = n;
  g_assert_true (bs_checkpoint_save (model, &info, path, &error));
  g_assert_no_error (error);

  loaded = bs_checkpoint_load (path, &read, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (read.global_step, ==, 1407);
  g_assert_cmpfloat (read.train_loss, ==, 0.125);
  g_assert_cmpfloat (read.train_accuracy, ==, 0.75);
  g_assert_cmpfloat (read.test_loss, ==, 0.5);
  g_assert_nonnull (read.momentum);
  g_assert_cmpuint (read.n_momentum, ==, n);
  for (guint i = 0; i < n; i++)
    {
      BsParam *param = bs_model_get_param (model, i);

      if (momentum[i] == NULL)
        g_assert_null (read.momentum[i]);
      else
        g_assert_cmpmem (read.momentum[i], param->n_elements * sizeof (float),
                         momentum[i], param->n_elements * sizeof (float));
      g_assert_cmpmem (bs_model_get_param (loaded, i)->data, param->n_elements * sizeof (float),
                       param->data, param->n_elements * sizeof (float));
    }
  bs_checkpoint_info_clear (&read);
  bs_model_free (loaded);
  /* Without info: the same model, the optimizer state ignored. */
  loaded = bs_checkpoint_load (path, NULL, &error);
  g_assert_no_error (error);
  bs_model_free (loaded);

  /* A plain checkpoint has none. */
  g_assert_true (bs_checkpoint_save (model, NULL, plain_path, &error));
  loaded = bs_checkpoint_load (plain_path, &read, &error);
  g_assert_no_error (error);
  g_assert_null (read.momentum);
  g_assert_cmpuint (read.global_step, ==, 0);
  g_assert_true (isnan (read.train_loss));
  bs_checkpoint_info_clear (&read);
  bs_model_free (loaded);

  /* Momentum of no parameter, and of the wrong shape. */
  {
    g_autofree char *extra = rewrite (path, "extra-momentum.safetensors", EDIT_ADD, "optimizer.momentum.nothing", NULL, NULL);

    g_assert_null (bs_checkpoint_load (extra, NULL, &error));
    g_assert_error (error, BS_ERROR, BS_ERROR_MISMATCH);
    g_assert_nonnull (strstr (error->message, "optimizer.momentum.nothing"));
    g_clear_error (&error);
  }
  {
    g_autofree char *reshaped = rewrite (path, "reshaped-momentum.safetensors", EDIT_RESHAPE, "optimizer.momentum.conv1.weight", NULL, NULL);

    g_assert_null (bs_checkpoint_load (reshaped, NULL, &error));
    g_assert_error (error, BS_ERROR, BS_ERROR_MISMATCH);
    g_assert_nonnull (strstr (error->message, "optimizer.momentum.conv1.weight"));
    g_clear_error (&error);
  }

  for (guint i = 0; i < n; i++)
    g_free (momentum[i]);
  bs_model_free (model);
}

static const float imagenet_mean[C] = { 0.485f, 0.456f, 0.406f };
static const float imagenet_std[C] = { 0.229f, 0.224f, 0.225f };

/* (x - mean_c) / std_c in float, as torchvision's Normalize computes it. */
static float *
normalized_images (const float *images,
                   guint        n)
{
  float *out = g_new (float, (gsize) n * C * H * W);

  for (guint i = 0; i < n; i++)
    for (guint c = 0; c < C; c++)
      for (guint j = 0; j < H * W; j++)
        {
          gsize k = ((gsize) i * C + c) * H * W + j;

          out[k] = (images[k] - imagenet_mean[c]) / imagenet_std[c];
        }
  return out;
}

static void
assert_normalization (BsModel *model)
{
  float mean[C], std[C];

  g_assert_true (bs_model_get_input_normalization (model, mean, std));
  g_assert_cmpmem (mean, sizeof mean, imagenet_mean, sizeof imagenet_mean);
  g_assert_cmpmem (std, sizeof std, imagenet_std, sizeof imagenet_std);
}

/* Normalisation is applied in the forward pass, carried by copies and
 * checkpoints (values exactly), and a bad one in a file is refused. */
static void
test_normalization (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = tmp_path ("norm.safetensors");
  g_autofree float *images = random_images (4, 5);
  g_autofree float *normalized = normalized_images (images, 4);
  g_autofree float *expected = NULL;
  BsModel *model = make_model (11);
  BsModel *plain = make_model (11);
  BsModel *copy, *loaded;
  const char *const bad_values[][3] = {
    { "input_mean", "[0.5, 0.5]", "one number for each of the 3 channels" },
    { "input_std", "[0.2, 0, 0.2]", "implausible" },
    { "input_std", "[0.2, -1, 0.2]", "implausible" },
    { "input_mean", "[0.5, \"a\", 0.5]", "not a list of numbers" },
    { "input_mean", "{\"r\": 0.5}", "not a list of numbers" },
    { "input_mean", "[0.5, 1e400, 0.5]", NULL },
    { "input_std", NULL, "'input_std' is missing" },
  };

  g_assert_false (bs_model_get_input_normalization (model, NULL, NULL));
  g_assert_cmpuint (bs_model_get_in_channels (model), ==, C);
  bs_model_set_input_normalization (model, imagenet_mean, imagenet_std);
  assert_normalization (model);

  /* The model on raw images is the plain model on normalised ones, bit for bit. */
  expected = g_memdup2 (bs_model_forward (plain, normalized, 4, FALSE, NULL, NULL), 4 * K * sizeof (float));
  g_assert_cmpmem (bs_model_forward (model, images, 4, FALSE, NULL, NULL), 4 * K * sizeof (float),
                   expected, 4 * K * sizeof (float));

  copy = bs_model_copy (model);
  assert_normalization (copy);
  bs_model_free (copy);
  g_assert_true (bs_model_copy_params (plain, model, &error));
  assert_normalization (plain);

  g_assert_true (bs_checkpoint_save (model, NULL, path, &error));
  g_assert_no_error (error);
  loaded = bs_checkpoint_load (path, NULL, &error);
  g_assert_no_error (error);
  assert_normalization (loaded);
  g_assert_cmpmem (bs_model_forward (loaded, images, 4, FALSE, NULL, NULL), 4 * K * sizeof (float),
                   expected, 4 * K * sizeof (float));
  bs_model_free (loaded);

  for (guint i = 0; i < G_N_ELEMENTS (bad_values); i++)
    {
      g_autofree char *name = g_strdup_printf ("norm-bad-%u.safetensors", i);
      g_autofree char *bad = rewrite (path, name, EDIT_NONE, NULL, bad_values[i][0], bad_values[i][1]);

      assert_load_fails (bad, BS_ERROR_FORMAT, bad_values[i][0], bad_values[i][2]);
    }
  {
    /* Nesting far deeper than json-glib's recursion should see. */
    GString *deep = g_string_new (NULL);
    g_autofree char *bad = NULL;

    for (guint i = 0; i < 100000; i++)
      g_string_append_c (deep, '[');
    bad = rewrite (path, "norm-deep.safetensors", EDIT_NONE, NULL, "input_mean", deep->str);
    assert_load_fails (bad, BS_ERROR_FORMAT, "input_mean", "not a list of numbers");
    g_string_free (deep, TRUE);
  }

  /* Cleared, the model takes inputs as they are again. */
  bs_model_set_input_normalization (model, NULL, NULL);
  g_assert_false (bs_model_get_input_normalization (model, NULL, NULL));
  bs_model_free (model);
  bs_model_free (plain);
}

static void
assert_params_equal (BsModel    *a,
                     BsModel    *b,
                     const char *prefix,
                     gboolean    equal)
{
  for (guint i = 0; i < bs_model_get_n_params (a); i++)
    {
      BsParam *pa = bs_model_get_param (a, i);
      BsParam *pb = bs_model_get_param (b, i);

      g_assert_cmpstr (pa->name, ==, pb->name);
      if (g_str_has_prefix (pa->name, prefix) != equal)
        continue;
      g_assert_cmpuint (pa->n_elements, ==, pb->n_elements);
      g_assert_cmpmem (pa->data, pa->n_elements * sizeof (float), pb->data, pb->n_elements * sizeof (float));
    }
}

/* Fine-tuning's start: every weight by name at another image size, a new
 * head for other classes, refusals that leave the model as it was. */
static void
test_init_model (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = tmp_path ("init.safetensors");
  g_autofree char *missing = tmp_path ("no-such.safetensors");
  BsModel *source = make_model (21);
  BsModel *same, *other, *before, *wrong;
  gboolean new_head = TRUE;

  bs_model_set_input_normalization (source, imagenet_mean, imagenet_std);
  g_assert_true (bs_checkpoint_save (source, NULL, path, &error));
  g_assert_no_error (error);

  /* Same classes, larger images: everything is the checkpoint's. */
  same = bs_model_new (ARCH, C, 20, 20, K, &error);
  g_assert_no_error (error);
  bs_model_init_params (same, 3);
  g_assert_true (bs_checkpoint_init_model (same, path, &new_head, &error));
  g_assert_no_error (error);
  g_assert_false (new_head);
  assert_params_equal (same, source, "", TRUE);
  g_assert_cmpint (bs_model_get_batches_tracked (same), ==, 1234);
  assert_normalization (same);

  /* Other classes: a new head, the seeded one the model had. */
  other = bs_model_new (ARCH, C, H, W, K + 2, &error);
  g_assert_no_error (error);
  bs_model_init_params (other, 3);
  before = bs_model_copy (other);
  g_assert_true (bs_checkpoint_init_model (other, path, &new_head, &error));
  g_assert_no_error (error);
  g_assert_true (new_head);
  assert_params_equal (other, source, "fc.", FALSE);
  assert_params_equal (other, before, "fc.", TRUE);
  assert_normalization (other);
  bs_model_free (before);

  /* Refused: another architecture, other channels, no file; the model is untouched. */
  wrong = bs_model_new ("resnet14", C, H, W, K, &error);
  g_assert_no_error (error);
  bs_model_init_params (wrong, 3);
  before = bs_model_copy (wrong);
  g_assert_false (bs_checkpoint_init_model (wrong, path, NULL, &error));
  g_assert_error (error, BS_ERROR, BS_ERROR_MISMATCH);
  g_assert_nonnull (strstr (error->message, "resnet8"));
  g_assert_nonnull (strstr (error->message, "resnet14"));
  g_clear_error (&error);
  assert_params_equal (wrong, before, "", TRUE);
  g_assert_false (bs_model_get_input_normalization (wrong, NULL, NULL));
  bs_model_free (before);
  bs_model_free (wrong);

  wrong = bs_model_new (ARCH, 1, H, W, K, &error);
  g_assert_no_error (error);
  g_assert_false (bs_checkpoint_init_model (wrong, path, NULL, &error));
  g_assert_error (error, BS_ERROR, BS_ERROR_MISMATCH);
  g_assert_nonnull (strstr (error->message, "3 channels"));
  g_clear_error (&error);
  g_assert_false (bs_checkpoint_init_model (wrong, missing, NULL, &error));
  g_assert_nonnull (error);
  g_assert_nonnull (strstr (error->message, missing));
  bs_model_free (wrong);

  bs_model_free (same);
  bs_model_free (other);
  bs_model_free (source);
}

int
main (int    argc,
      char **argv)
{
  int status;

  g_test_init (&argc, &argv, NULL);
  tmp_dir = g_dir_make_tmp ("bs-test-checkpoint-XXXXXX", NULL);

  g_test_add_func ("/checkpoint/round-trip", test_round_trip);
  g_test_add_func ("/checkpoint/torch-layout", test_torch_layout);
  g_test_add_func ("/checkpoint/damage", test_damage);
  g_test_add_func ("/checkpoint/save-fails-cleanly", test_save_fails_cleanly);
  g_test_add_func ("/checkpoint/optimizer-state", test_optimizer_state);
  g_test_add_func ("/checkpoint/normalization", test_normalization);
  g_test_add_func ("/checkpoint/init-model", test_init_model);

  status = g_test_run ();
  bs_test_remove_tree (tmp_dir);
  g_free (tmp_dir);
  return status;
}
