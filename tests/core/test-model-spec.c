/* test-model-spec.c: one rule for what a model spec names, display names,
 * and building models from specs (architectures and checkpoints). */
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>
#include <utime.h>

#include "bs-checkpoint.h"
#include "bs-error.h"
#include "bs-model-spec.h"
#include "bs-runs.h"

#define C 3
#define H 12
#define W 12
#define K 5

static char *tmp_dir;

static void
assert_same_params (BsModel *a,
                    BsModel *b)
{
  g_assert_cmpuint (bs_model_get_n_params (a), ==, bs_model_get_n_params (b));
  for (guint i = 0; i < bs_model_get_n_params (a); i++)
    {
      BsParam *pa = bs_model_get_param (a, i), *pb = bs_model_get_param (b, i);

      g_assert_cmpstr (pa->name, ==, pb->name);
      g_assert_cmpmem (pa->data, pa->n_elements * sizeof (float), pb->data, pb->n_elements * sizeof (float));
    }
}

/* The rule is textual: a '/' or the checkpoint extension makes a path. */
static void
test_is_path (void)
{
  g_assert_true (bs_model_spec_is_path ("runs/a.safetensors"));
  g_assert_true (bs_model_spec_is_path ("/data/b.safetensors"));
  g_assert_true (bs_model_spec_is_path ("./resnet20"));
  g_assert_true (bs_model_spec_is_path ("model.safetensors"));
  g_assert_false (bs_model_spec_is_path ("resnet20"));
  g_assert_false (bs_model_spec_is_path ("imagenet-resnet50"));
  g_assert_false (bs_model_spec_is_path ("resnet20.st"));
  g_assert_false (bs_model_spec_is_path (NULL));
}

/* A file named like an architecture, in the working folder, does not change
 * what the name means (the window and the CLI once disagreed on this). */
static void
test_file_named_like_an_architecture (void)
{
  g_autofree char *cwd = g_get_current_dir ();
  g_autoptr(GError) error = NULL;
  BsModelSpec spec;

  g_assert_cmpint (chdir (tmp_dir), ==, 0);
  g_assert_true (g_file_set_contents ("resnet20", "not a checkpoint", -1, NULL));
  g_assert_true (g_file_set_contents ("mymodel", "not a checkpoint", -1, NULL));

  g_assert_true (bs_model_spec_parse ("resnet20", &spec, &error));
  g_assert_no_error (error);
  g_assert_cmpint (spec.kind, ==, BS_MODEL_SPEC_ARCHITECTURE);
  bs_model_spec_clear (&spec);

  /* A file without a path is not a model name: say how to name the file. */
  g_assert_false (bs_model_spec_parse ("mymodel", &spec, &error));
  g_assert_error (error, BS_ERROR, BS_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (error->message, "./mymodel"));
  g_clear_error (&error);

  g_assert_true (bs_model_spec_parse ("./mymodel", &spec, &error));
  g_assert_cmpint (spec.kind, ==, BS_MODEL_SPEC_CHECKPOINT);
  bs_model_spec_clear (&spec);

  g_assert_cmpint (g_unlink ("resnet20"), ==, 0);
  g_assert_cmpint (g_unlink ("mymodel"), ==, 0);
  g_assert_cmpint (chdir (cwd), ==, 0);
}

static void
test_parse_errors (void)
{
  static const struct { const char *text; gint code; } bad[] = {
    { "", BS_ERROR_INVALID_ARGUMENT },
    { "resnet7", BS_ERROR_INVALID_ARGUMENT },      /* not 6n + 2 */
    { "resnet20x0", BS_ERROR_INVALID_ARGUMENT },
    { "resnet", BS_ERROR_NOT_FOUND },
    { "imagenet-resnet18", BS_ERROR_NOT_FOUND },
    { "vgg16", BS_ERROR_NOT_FOUND },
  };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) error = NULL;
      BsModelSpec spec;

      g_assert_false (bs_model_spec_parse (bad[i].text, &spec, &error));
      g_assert_error (error, BS_ERROR, bad[i].code);
    }
}

static void
test_display_names (void)
{
  static const char *pairs[][2] = {
    { "resnet20", "ResNet-20" },
    { "resnet56x4", "ResNet-56 ×4" },
    { "resnet110x10", "ResNet-110 ×10" },
    { "imagenet-resnet50", "ResNet-50 (ImageNet)" },
    { "imagenet-resnet101", "ResNet-101 (ImageNet)" },
    { "imagenet-resnet152", "ResNet-152 (ImageNet)" },
    { "/somewhere/else/epoch-3.safetensors", "epoch-3" },
    { "./local", "local" },
    { "not-a-model", "not-a-model" },
    { "", "None" },
  };
  g_autofree char *runs = bs_runs_get_dir ();
  g_autofree char *in_run = g_build_filename (runs, "wide-run", "epoch-2.safetensors", NULL);
  g_autofree char *at_top = g_build_filename (runs, "top.safetensors", NULL);
  g_autofree char *in_folder = g_build_filename (runs, "run-7", "checkpoints", "epoch-0012.safetensors", NULL);
  g_autofree char *name = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (pairs); i++)
    {
      g_autofree char *got = bs_model_spec_display_name (pairs[i][0]);

      g_assert_cmpstr (got, ==, pairs[i][1]);
    }
  /* Checkpoints of a run name the run. */
  name = bs_model_spec_display_name (in_run);
  g_assert_cmpstr (name, ==, "wide-run › epoch 2");
  g_clear_pointer (&name, g_free);
  name = bs_model_spec_display_name (at_top);
  g_assert_cmpstr (name, ==, "top");
  g_clear_pointer (&name, g_free);
  /* A run folder (bs-run.h) keeps them in checkpoints/: the run and the epoch. */
  name = bs_model_spec_display_name (in_folder);
  g_assert_cmpstr (name, ==, "run-7 › epoch 12");
}

/* Building: names initialised from the seed, checkpoints loaded and checked. */
static void
test_build (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = g_build_filename (tmp_dir, "spec.safetensors", NULL);
  g_autofree char *missing = g_build_filename (tmp_dir, "never-written.safetensors", NULL);
  BsModel *a, *b, *c;
  gboolean differ = FALSE;

  a = bs_model_spec_build ("resnet8", C, H, W, K, 42, &error);
  g_assert_no_error (error);
  b = bs_model_spec_build ("resnet8", C, H, W, K, 42, &error);
  c = bs_model_spec_build ("resnet8", C, H, W, K, 43, &error);
  assert_same_params (a, b);
  for (guint i = 0; i < bs_model_get_n_params (a); i++)
    {
      BsParam *pa = bs_model_get_param (a, i), *pc = bs_model_get_param (c, i);

      differ |= memcmp (pa->data, pc->data, pa->n_elements * sizeof (float)) != 0;
    }
  g_assert_true (differ);
  bs_model_free (b);
  bs_model_free (c);

  /* A checkpoint path, with or without the shape to check. */
  g_assert_true (bs_checkpoint_save (a, NULL, path, &error));
  b = bs_model_spec_build (path, C, H, W, K, 0, &error);
  g_assert_no_error (error);
  assert_same_params (a, b);
  bs_model_free (b);
  b = bs_model_spec_build (path, 0, 0, 0, 0, 0, &error);
  g_assert_no_error (error);
  bs_model_free (b);

  b = bs_model_spec_build (path, 1, H, W, K, 0, &error);
  g_assert_null (b);
  g_assert_error (error, BS_ERROR, BS_ERROR_MISMATCH);
  g_assert_nonnull (strstr (error->message, "3x12x12"));
  g_clear_error (&error);
  b = bs_model_spec_build (path, C, H, W, 10, 0, &error);
  g_assert_null (b);
  g_assert_error (error, BS_ERROR, BS_ERROR_MISMATCH);
  g_clear_error (&error);
  b = bs_model_spec_build (missing, C, H, W, K, 0, &error);
  g_assert_null (b);
  g_assert_error (error, BS_ERROR, BS_ERROR_NOT_FOUND);
  g_clear_error (&error);
  b = bs_model_spec_build ("resnet7", C, H, W, K, 0, &error);
  g_assert_null (b);
  g_assert_nonnull (error);
  g_assert_nonnull (strstr (error->message, "resnet7"));

  g_unlink (path);
  bs_model_free (a);
}

/* The runs folder: checkpoints up to two levels deep, newest first. */
static void
test_find_checkpoints (void)
{
  g_autofree char *runs = g_build_filename (tmp_dir, "runs", NULL);
  g_autofree char *run = g_build_filename (runs, "a-run", NULL);
  g_autofree char *old_path = g_build_filename (run, "epoch-1.safetensors", NULL);
  g_autofree char *new_path = g_build_filename (run, "epoch-2.safetensors", NULL);
  g_autofree char *top = g_build_filename (runs, "top.safetensors", NULL);
  g_autofree char *other = g_build_filename (runs, "notes.txt", NULL);
  g_autoptr(GPtrArray) found = NULL;
  g_autoptr(GPtrArray) none = NULL;
  struct utimbuf times;

  g_assert_cmpint (g_mkdir_with_parents (run, 0755), ==, 0);
  g_assert_true (g_file_set_contents (old_path, "x", 1, NULL));
  g_assert_true (g_file_set_contents (new_path, "x", 1, NULL));
  g_assert_true (g_file_set_contents (top, "x", 1, NULL));
  g_assert_true (g_file_set_contents (other, "x", 1, NULL));
  times.actime = times.modtime = 1000000;
  g_assert_cmpint (g_utime (old_path, &times), ==, 0);
  times.actime = times.modtime = 2000000;
  g_assert_cmpint (g_utime (top, &times), ==, 0);

  found = bs_runs_find_checkpoints (runs, 10);
  g_assert_cmpuint (found->len, ==, 3);
  g_assert_cmpstr (((BsRunCheckpoint *) found->pdata[0])->path, ==, new_path);
  g_assert_cmpstr (((BsRunCheckpoint *) found->pdata[0])->label, ==, "a-run › epoch 2");
  g_assert_cmpstr (((BsRunCheckpoint *) found->pdata[1])->label, ==, "top");
  g_assert_cmpstr (((BsRunCheckpoint *) found->pdata[2])->path, ==, old_path);
  g_clear_pointer (&found, g_ptr_array_unref);
  found = bs_runs_find_checkpoints (runs, 1);
  g_assert_cmpuint (found->len, ==, 1);

  none = bs_runs_find_checkpoints ("/nonexistent/runs", 10);
  g_assert_cmpuint (none->len, ==, 0);

  g_unlink (old_path);
  g_unlink (new_path);
  g_unlink (top);
  g_unlink (other);
  g_rmdir (run);
  g_rmdir (runs);
}

int
main (int    argc,
      char **argv)
{
  g_autoptr(GError) error = NULL;
  int status;

  g_test_init (&argc, &argv, NULL);
  tmp_dir = g_dir_make_tmp ("bs-model-spec-XXXXXX", &error);
  g_assert_no_error (error);

  g_test_add_func ("/model-spec/is-path", test_is_path);
  g_test_add_func ("/model-spec/file-named-like-an-architecture", test_file_named_like_an_architecture);
  g_test_add_func ("/model-spec/parse-errors", test_parse_errors);
  g_test_add_func ("/model-spec/display-names", test_display_names);
  g_test_add_func ("/model-spec/build", test_build);
  g_test_add_func ("/model-spec/find-checkpoints", test_find_checkpoints);
  status = g_test_run ();

  g_rmdir (tmp_dir);
  g_free (tmp_dir);
  return status;
}
