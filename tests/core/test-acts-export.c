/* test-acts-export.c: layer outputs written as .npy files (bs-acts-export).
 *
 * The folder written is read back three ways: the input file against the
 * data set's bytes / 255 (NCHW, independent of the engine), the logits file
 * against a forward pass of the same model, and the whole folder through a
 * CKA job (acts_dir_a) against the same job run on the model itself: one
 * minibatch of every image, so the job's shuffle (a permutation of the
 * examples, which leaves HSIC unchanged) makes no difference. And against
 * PyTorch: tests/make-torch-fixtures.py ran a torchvision-style bottleneck
 * network on a few byte images and kept a dozen layers' outputs
 * (torch-activations.safetensors); the files written for the same weights
 * and images must hold the same numbers. */
#include <json-glib/json-glib.h>
#include <math.h>

#include "bs-acts-export.h"
#include "bs-batcher.h"
#include "bs-cka-job.h"
#include "bs-error.h"
#include "bs-model-spec.h"
#include "bs-npy.h"
#include "bs-resnet-spec.h"
#include "bs-safetensors.h"
#include "test-dataset-files.h"

#define N_IMAGES 40
#define BATCH 16   /* a short last batch of 8 */

typedef struct {
  char      *tmp;
  char      *out;
  BsDataset *dataset;
  BsModel   *model;
} Fixture;

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  f->tmp = test_make_tmp_dir ();
  f->out = g_build_filename (f->tmp, "acts", NULL);
  f->dataset = bs_dataset_load_test ("synthetic", NULL, &error);
  g_assert_no_error (error);
  f->model = bs_model_spec_build ("resnet8", 3, 32, 32, 10, 7, &error);
  g_assert_no_error (error);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  test_rm_rf (f->tmp);
  g_free (f->tmp);
  g_free (f->out);
  bs_dataset_unref (f->dataset);
  bs_model_free (f->model);
}

static gboolean
export (Fixture              *f,
        BsCkaLayerSelection   layers,
        const char           *pattern,
        GCancellable         *cancellable,
        guint                *n_layers,
        GError              **error)
{
  BsActsExportOptions options;

  bs_acts_export_options_init (&options);
  options.model = f->model;
  options.spec = "resnet8";
  options.dataset = f->dataset;
  options.limit = N_IMAGES;
  options.batch_size = BATCH;
  options.layers = layers;
  options.layer_pattern = pattern;
  options.out_dir = f->out;
  return bs_acts_export_run (&options, 0, NULL, NULL, n_layers, cancellable, error);
}

static BsNpyArray *
load (Fixture    *f,
      const char *name)
{
  g_autofree char *path = g_build_filename (f->out, name, NULL);
  g_autoptr(GError) error = NULL;
  BsNpyArray *array = bs_npy_load (path, &error);

  g_assert_no_error (error);
  g_assert_cmpint (array->dtype, ==, BS_DTYPE_F32);
  return array;
}

static void
test_files (Fixture       *f,
            gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BsNpyArray) input = NULL;
  g_autoptr(BsNpyArray) logits = NULL;
  g_autoptr(BsNpyArray) bn = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autofree char *info_path = g_build_filename (f->out, "activations.json", NULL);
  g_autofree float *images = g_new (float, (gsize) N_IMAGES * 3 * 32 * 32);
  g_autofree guint32 *order = g_new (guint32, N_IMAGES);
  const BsImageSet *set = &f->dataset->test;
  const float *forward;
  JsonObject *root;
  JsonArray *layers;
  guint n_layers = 0;
  gsize n_pixels = (gsize) N_IMAGES * 3 * 32 * 32;

  g_assert_true (export (f, BS_CKA_LAYERS_ALL, NULL, NULL, &n_layers, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (n_layers, ==, bs_model_get_n_layers (f->model));

  /* The input: the data set's first images, bytes / 255, NCHW. */
  input = load (f, "000-input.npy");
  g_assert_cmpuint (input->ndim, ==, 4);
  g_assert_cmpint (input->shape[0], ==, N_IMAGES);
  g_assert_cmpint (input->shape[1], ==, 3);
  for (gsize i = 0; i < n_pixels; i++)
    g_assert_cmpfloat (((float *) input->data)[i], ==, set->pixels[i] / 255.0f);

  /* The logits: one forward pass of all the images. */
  logits = load (f, "028-fc.npy");
  g_assert_cmpuint (logits->ndim, ==, 2);
  g_assert_cmpint (logits->shape[0], ==, N_IMAGES);
  g_assert_cmpint (logits->shape[1], ==, 10);
  for (guint i = 0; i < N_IMAGES; i++)
    order[i] = i;
  bs_batcher_fill (set, order, N_IMAGES, NULL, images, NULL);
  forward = bs_model_forward (f->model, images, N_IMAGES, FALSE, NULL, NULL);
  for (guint i = 0; i < N_IMAGES * 10; i++)
    g_assert_cmpfloat_with_epsilon (((float *) logits->data)[i], forward[i], 1e-4 * (1 + fabsf (forward[i])));

  bn = load (f, "002-bn1.npy");
  g_assert_cmpint (bn->shape[1], ==, 16);
  g_assert_cmpint (bn->shape[2], ==, 32);

  /* The description. */
  json_parser_load_from_file (parser, info_path, &error);
  g_assert_no_error (error);
  root = json_node_get_object (json_parser_get_root (parser));
  g_assert_cmpstr (json_object_get_string_member (root, "model"), ==, "resnet8");
  g_assert_cmpstr (json_object_get_string_member (root, "dataset"), ==, "synthetic");
  g_assert_cmpint (json_object_get_int_member (root, "n_images"), ==, N_IMAGES);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (root, "images")), ==, N_IMAGES);
  g_assert_cmpint (json_array_get_int_element (json_object_get_array_member (root, "images"), 39), ==, 39);
  layers = json_object_get_array_member (root, "layers");
  g_assert_cmpuint (json_array_get_length (layers), ==, n_layers);
  {
    JsonObject *layer = json_array_get_object_element (layers, 2);
    JsonArray *shape = json_object_get_array_member (layer, "shape");

    g_assert_cmpstr (json_object_get_string_member (layer, "file"), ==, "002-bn1.npy");
    g_assert_cmpstr (json_object_get_string_member (layer, "name"), ==, "bn1");
    g_assert_cmpuint (json_array_get_length (shape), ==, 4);
    g_assert_cmpint (json_array_get_int_element (shape, 0), ==, N_IMAGES);
    g_assert_cmpint (json_array_get_int_element (shape, 1), ==, 16);
  }

  /* Only the activations: no temporary folder left beside them. */
  {
    g_autoptr(GDir) dir = g_dir_open (f->tmp, 0, NULL);

    g_assert_cmpstr (g_dir_read_name (dir), ==, "acts");
    g_assert_null (g_dir_read_name (dir));
  }
}

static void
test_cka_matches (Fixture       *f,
                  gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BsCkaSnapshot) from_files = NULL;
  g_autoptr(BsCkaSnapshot) from_model = NULL;
  BsCkaJobOptions options;
  guint n;

  g_assert_true (export (f, BS_CKA_LAYERS_ALL, NULL, NULL, NULL, &error));
  g_assert_no_error (error);

  bs_cka_job_options_init (&options);
  options.acts_dir_a = f->out;
  options.acts_dir_b = f->out;
  options.batch_size = N_IMAGES;
  from_files = bs_cka_job_run (&options, NULL, NULL, NULL, &error);
  g_assert_no_error (error);

  bs_cka_job_options_init (&options);
  options.model_a = f->model;
  options.dataset = f->dataset;
  options.limit = N_IMAGES;
  options.batch_size = N_IMAGES;
  options.passes = 1;
  from_model = bs_cka_job_run (&options, NULL, NULL, NULL, &error);
  g_assert_no_error (error);

  n = bs_cka_snapshot_get_n_rows (from_model);
  g_assert_cmpuint (bs_cka_snapshot_get_n_rows (from_files), ==, n);
  g_assert_cmpuint (bs_cka_snapshot_get_n_cols (from_files), ==, n);
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *expected = g_strdup_printf ("%03u-%s", i, bs_cka_snapshot_get_row (from_model, i)->name);

      g_assert_cmpstr (bs_cka_snapshot_get_row (from_files, i)->name, ==, expected);
      for (guint j = 0; j < n; j++)
        {
          double a = bs_cka_snapshot_get_value (from_files, i, j);
          double b = bs_cka_snapshot_get_value (from_model, i, j);

          g_assert_false (isnan (a) || isnan (b));
          g_assert_cmpfloat_with_epsilon (a, b, 1e-6);
        }
    }
}

static void
test_residual (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  guint n_layers = 0;

  g_assert_true (export (f, BS_CKA_LAYERS_RESIDUAL, NULL, NULL, &n_layers, &error));
  g_assert_no_error (error);
  /* ResNet-8: one block in each of three stages. */
  g_assert_cmpuint (n_layers, ==, 3);
  {
    g_autofree char *first = g_build_filename (f->out, "000-layer1.0.relu2.npy", NULL);

    g_assert_true (g_file_test (first, G_FILE_TEST_IS_REGULAR));
  }
}

static void
test_errors (Fixture       *f,
             gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autofree char *mine = g_build_filename (f->out, "mine.txt", NULL);

  /* A pattern that matches nothing: nothing written. */
  g_assert_false (export (f, BS_CKA_LAYERS_PATTERN, "^nothing$", NULL, NULL, &error));
  g_assert_nonnull (error);
  g_assert_false (g_file_test (f->out, G_FILE_TEST_EXISTS));
  g_clear_error (&error);

  /* Cancelled: nothing left behind. */
  g_cancellable_cancel (cancellable);
  g_assert_false (export (f, BS_CKA_LAYERS_ALL, NULL, cancellable, NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_false (g_file_test (f->out, G_FILE_TEST_EXISTS));
  {
    g_autoptr(GDir) dir = g_dir_open (f->tmp, 0, NULL);

    g_assert_null (g_dir_read_name (dir));
  }
  g_clear_error (&error);

  /* A folder that is not empty is never written into. */
  g_assert_cmpint (g_mkdir (f->out, 0755), ==, 0);
  test_write_file (mine, "x", 1);
  g_assert_false (export (f, BS_CKA_LAYERS_ALL, NULL, NULL, NULL, &error));
  test_assert_error (error, BS_ERROR_INVALID_ARGUMENT, "is not empty: give a new or empty folder");
  g_clear_error (&error);

  /* An empty one is. */
  g_unlink (mine);
  g_assert_true (export (f, BS_CKA_LAYERS_RESIDUAL, NULL, NULL, NULL, &error));
  g_assert_no_error (error);
}

/* The layers the fixture holds, as a pattern on Blockscope's names. */
#define TORCH_LAYERS "^(conv1|bn1|maxpool|layer1\\.0\\.(conv2|bn3|downsample\\.1|relu3)|layer1\\.1\\.relu3|" \
                     "layer2\\.0\\.(conv2|downsample\\.0|relu3)|fc)$"

static void
test_pytorch (void)
{
  g_autofree char *path = g_test_build_filename (G_TEST_DIST, "fixtures", "torch-activations.safetensors", NULL);
  g_autofree char *tmp = test_make_tmp_dir ();
  g_autofree char *out = g_build_filename (tmp, "acts", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(BsSafetensors) st = bs_safetensors_load (path, &error);
  g_autoptr(BsDataset) dataset = NULL;
  g_autoptr(GDir) dir = NULL;
  BsResnetSpec spec = { 0 };
  BsActsExportOptions options;
  const float *pixels;
  BsModel *model;
  const char *name;
  guint n_params = 0, n_checked = 0, n_layers = 0;
  const guint batch = 6;

  g_assert_no_error (error);
  spec.block = BS_RESNET_BOTTLENECK;
  spec.n_stages = 2;
  spec.blocks[0] = 2;
  spec.blocks[1] = 1;
  spec.widths[0] = 4;
  spec.widths[1] = 8;
  spec.stem_channels = 8;
  spec.imagenet_stem = TRUE;
  model = bs_resnet_build ("fixture", &spec, 3, 32, 32, 5, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < bs_safetensors_get_n_tensors (st); i++)
    {
      const BsTensorView *t = bs_safetensors_get_nth (st, i);
      BsParam *p;

      if (!g_str_has_prefix (t->name, "init."))
        continue;
      p = bs_model_find_param (model, t->name + 5);
      g_assert_nonnull (p);
      g_assert_cmpuint (p->n_elements * sizeof (float), ==, t->n_bytes);
      memcpy (p->data, t->data, t->n_bytes);
      n_params++;
    }
  g_assert_cmpuint (n_params, ==, bs_model_get_n_params (model));

  /* The images, as bytes: the batcher divides them by 255 as PyTorch did. */
  dataset = bs_dataset_new ("fixture", "Fixture", 5);
  g_assert_true (bs_image_set_alloc (&dataset->test, batch, 3, 32, 32, "fixture", &error));
  pixels = bs_safetensors_get_f32 (st, "pixels", (gsize) batch * 3 * 32 * 32, &error);
  g_assert_no_error (error);
  for (gsize i = 0; i < (gsize) batch * 3 * 32 * 32; i++)
    dataset->test.pixels[i] = (guint8) pixels[i];
  memset (dataset->test.labels, 0, batch);

  bs_acts_export_options_init (&options);
  options.model = model;
  options.dataset = dataset;
  options.batch_size = 4;  /* two batches, the second short */
  options.layers = BS_CKA_LAYERS_PATTERN;
  options.layer_pattern = TORCH_LAYERS;
  options.out_dir = out;
  g_assert_true (bs_acts_export_run (&options, 0, NULL, NULL, &n_layers, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (n_layers, ==, 12);

  dir = g_dir_open (out, 0, NULL);
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *file = g_build_filename (out, name, NULL);
      g_autofree char *key = NULL;
      g_autoptr(BsNpyArray) mine = NULL;
      const BsTensorView *theirs;
      double worst = 0.0, scale = 1e-3;

      if (!g_str_has_suffix (name, ".npy"))
        continue;
      /* "004-layer1.0.conv2.npy" -> "act.layer1.0.conv2" */
      key = g_strdup_printf ("act.%.*s", (int) (strlen (name) - 8), name + 4);
      theirs = bs_safetensors_get (st, key);
      g_assert_nonnull (theirs);
      mine = bs_npy_load (file, &error);
      g_assert_no_error (error);
      g_assert_cmpuint (mine->ndim, ==, theirs->ndim);
      for (guint d = 0; d < mine->ndim; d++)
        g_assert_cmpint (mine->shape[d], ==, theirs->shape[d]);
      for (gsize i = 0; i < mine->n_elements; i++)
        scale = MAX (scale, fabs (((const float *) theirs->data)[i]));
      for (gsize i = 0; i < mine->n_elements; i++)
        worst = MAX (worst, fabs ((double) ((float *) mine->data)[i] - ((const float *) theirs->data)[i]));
      g_test_message ("%s: max error %.2e of scale %.3g", key, worst, scale);
      if (!(worst <= 1e-5 * scale))
        g_error ("%s differs from PyTorch: max error %.3g of scale %.3g", key, worst, scale);
      n_checked++;
    }
  g_assert_cmpuint (n_checked, ==, 12);
  bs_model_free (model);
  test_rm_rf (tmp);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add ("/acts-export/files", Fixture, NULL, fixture_setup, test_files, fixture_teardown);
  g_test_add ("/acts-export/cka-matches", Fixture, NULL, fixture_setup, test_cka_matches, fixture_teardown);
  g_test_add ("/acts-export/residual", Fixture, NULL, fixture_setup, test_residual, fixture_teardown);
  g_test_add_func ("/acts-export/pytorch", test_pytorch);
  g_test_add ("/acts-export/errors", Fixture, NULL, fixture_setup, test_errors, fixture_teardown);
  return g_test_run ();
}
