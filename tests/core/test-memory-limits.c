/* test-memory-limits.c: blockscope-cli under a limit on its address space
 * (what `prlimit --as` or a batch system's memory limit does) ends a run that
 * does not fit with a message and exit status 1 or 2, never an abort.
 * That covers the weights, the activations and working buffers of a
 * forward pass at a --batch too large (bs_model_try_forward ()) and the
 * momentum of training. (Grams that do not fit: test-cka-cli, /cka-cli/acts.)
 *
 * The sanitizers reserve terabytes of address space for their shadow memory,
 * so a sanitized CLI cannot even start under such a limit: there the test
 * says so and skips (tests/allowed-skips.txt lists it for build-asan and
 * build-tsan only); the normal build runs it. */
#include <glib.h>
#include <string.h>
#include <sys/resource.h>

#include "bs-checkpoint.h"
#include "bs-model.h"
#include "bs-safetensors.h"
#include "bs-test-util.h"

/* Enough for the program, OpenBLAS's 128 MiB buffers and a small network;
 * far from ImageNet ResNet-152's 466 MB of weights and gradients. Below
 * about 450 MiB OpenBLAS 0.3.21 cannot get its buffers (README, "Memory"). */
#define LIMIT_BYTES (640u << 20)

static void
limit_address_space (gpointer data)
{
  struct rlimit limit = { LIMIT_BYTES, LIMIT_BYTES };

  setrlimit (RLIMIT_AS, &limit);
}

static void
limit_address_space_small (gpointer data)
{
  struct rlimit limit = { 300u << 20, 300u << 20 };

  setrlimit (RLIMIT_AS, &limit);
}

static gboolean
sanitized (void)
{
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
  g_test_skip ("sanitizers reserve terabytes of address space: the normal build runs this");
  return TRUE;
#else
  return FALSE;
#endif
}

/* Runs the CLI with argv (NULL-terminated, without the program) under the
 * limit; returns its exit status (-1 for a signal), its standard error in *err. */
static int
run_limited_argv (char       **err,
                  GPtrArray   *args)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  int status;

  g_ptr_array_add (argv, (char *) BS_CLI_PATH);
  g_ptr_array_extend (argv, args, NULL, NULL);
  g_ptr_array_add (argv, NULL);
  g_assert_true (g_spawn_sync (NULL, (char **) argv->pdata, NULL, G_SPAWN_STDOUT_TO_DEV_NULL,
                               limit_address_space, NULL, NULL, err, &status, &error));
  g_assert_no_error (error);
  g_test_message ("stderr: %s", *err);
  return WIFEXITED (status) ? WEXITSTATUS (status) : -1;
}

static int
run_limited (char       **err,
             const char  *first,
             ...)
{
  g_autoptr(GPtrArray) args = g_ptr_array_new ();
  va_list ap;

  va_start (ap, first);
  for (const char *arg = first; arg != NULL; arg = va_arg (ap, const char *))
    g_ptr_array_add (args, (char *) arg);
  va_end (ap);
  return run_limited_argv (err, args);
}

/* OpenBLAS retries forever when it cannot map its work buffers: under a
 * limit too small for them the program says so at start, quickly. */
static void
test_blas_buffers (void)
{
  const char *argv[] = { BS_CLI_PATH, "info", NULL };
  g_autoptr(GError) error = NULL;
  g_autofree char *err = NULL;
  int status;

  if (sanitized ())
    return;
  g_assert_true (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_STDOUT_TO_DEV_NULL,
                               limit_address_space_small, NULL, NULL, &err, &status, &error));
  g_assert_no_error (error);
  g_test_message ("stderr: %s", err);
  g_assert_true (WIFEXITED (status));
  g_assert_cmpint (WEXITSTATUS (status), ==, 1);
  g_assert_nonnull (strstr (err, "leaves too little room for OpenBLAS's work buffers"));
}

/* The limit lets a small network through: the failures below are the big
 * ones', not a CLI that cannot start at all. */
static void
test_small_fits (void)
{
  g_autofree char *dir = g_dir_make_tmp ("bs-test-memory-XXXXXX", NULL);
  g_autofree char *out = g_build_filename (dir, "small.npy", NULL);
  g_autofree char *err = NULL;

  if (sanitized ())
    return;
  g_assert_cmpint (run_limited (&err, "cka", "--a", "resnet8", "--b", "resnet8", "--dataset", "synthetic",
                                "--limit", "32", "--batch", "16", "--threads", "1", "--out", out, NULL), ==, 0);
  g_assert_true (g_file_test (out, G_FILE_TEST_IS_REGULAR));
  bs_test_remove_tree (dir);
}

/* A run that does not fit: the CLI's arguments ("OUT" stands for a file in
 * a new folder), the exit statuses allowed (a second 0 when one is), what
 * its message must say; it never writes OUT. */
typedef struct {
  const char *path;
  const char *out;
  const char *args[24];
  int         status[2];
  const char *says[3];
} TooBig;

static const TooBig too_big[] = {
  /* The weights. */
  { "/memory-limits/train-model-too-big", "big.safetensors",
    { "train", "--model", "imagenet-resnet152", "--dataset", "synthetic", "--limit", "16", "--epochs", "1",
      "--batch", "8", "--out", "OUT" },
    { 1, 2 }, { "Not enough memory for the weights of imagenet-resnet152" } },
  { "/memory-limits/cka-model-too-big", "big.npy",
    { "cka", "--a", "imagenet-resnet152", "--b", "resnet8", "--dataset", "synthetic", "--limit", "16",
      "--batch", "8", "--out", "OUT" },
    { 1 }, { "Not enough memory for the weights of imagenet-resnet152" } },
  /* The activations of a forward pass sized by a --batch too large for the
   * limit: the weights fit, the first activation buffer does not. Training
   * (every activation kept for the backward pass; the size is conv1's
   * output, 16 x 32 x 32 floats per image) ... */
  { "/memory-limits/train-batch-too-big", "big-batch.safetensors",
    { "train", "--model", "resnet20", "--dataset", "synthetic", "--limit", "2048", "--test-limit", "16",
      "--epochs", "1", "--batch", "2048", "--threads", "1", "--out", "OUT" },
    { 1 }, { "Not enough memory to train resnet20 on batches of 2048 images: ", " 134.2 MB more did not fit" } },
  /* ... and evaluation with taps (CKA: whole minibatches), whose Grams of
   * one layer fit (64 x 32 x 32 floats per image of the stem's output). */
  { "/memory-limits/cka-batch-too-big", "big-batch.npy",
    { "cka", "--a", "resnet20x4", "--layers", "layer3.2.relu2", "--dataset", "synthetic", "--limit", "512",
      "--batch", "512", "--passes", "1", "--threads", "1", "-q", "--out", "OUT" },
    { 1 }, { "Not enough memory to run resnet20x4 on batches of 512 images: 134.2 MB more did not fit" } },
};

static void
test_too_big (gconstpointer data)
{
  const TooBig *c = data;
  g_autofree char *dir = g_dir_make_tmp ("bs-test-memory-XXXXXX", NULL);
  g_autofree char *out = g_build_filename (dir, c->out, NULL);
  g_autoptr(GPtrArray) args = g_ptr_array_new ();
  g_autofree char *err = NULL;
  int status;

  if (sanitized ())
    return;
  for (guint i = 0; c->args[i] != NULL; i++)
    g_ptr_array_add (args, (char *) (g_str_equal (c->args[i], "OUT") ? out : c->args[i]));
  status = run_limited_argv (&err, args);
  g_assert_true (status == c->status[0] || (c->status[1] != 0 && status == c->status[1]));
  for (guint i = 0; i < G_N_ELEMENTS (c->says) && c->says[i] != NULL; i++)
    g_assert_nonnull (strstr (err, c->says[i]));
  g_assert_false (g_file_test (out, G_FILE_TEST_EXISTS));
  bs_test_remove_tree (dir);
}

/* A small checkpoint (resnet8's tensors) whose metadata names ImageNet
 * ResNet-152: its tensors are checked against a description of that
 * architecture before anything is built, so under the limit the message is
 * about the tensors, not about 466 MB of weights that did not fit. */
static void
test_checkpoint_checked_before_build (void)
{
  g_autofree char *dir = g_dir_make_tmp ("bs-test-memory-XXXXXX", NULL);
  g_autofree char *small = g_build_filename (dir, "small.safetensors", NULL);
  g_autofree char *named = g_build_filename (dir, "named-r152.safetensors", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(BsModel) model = bs_model_new ("resnet8", 3, 32, 32, 10, &error);
  g_autoptr(BsSafetensors) st = NULL;
  g_autoptr(BsSafetensorsWriter) writer = bs_safetensors_writer_new ();
  g_autofree const char **keys = NULL;
  g_autofree char *err = NULL;
  int status;

  if (sanitized ())
    return;
  g_assert_no_error (error);
  bs_model_init_params (model, 1);
  g_assert_true (bs_checkpoint_save (model, NULL, small, &error));
  st = bs_safetensors_load (small, &error);
  g_assert_no_error (error);
  keys = bs_safetensors_list_metadata (st);
  for (guint i = 0; keys[i] != NULL; i++)
    bs_safetensors_writer_set_metadata (writer, keys[i], g_str_equal (keys[i], "architecture")
                                                         ? "imagenet-resnet152"
                                                         : bs_safetensors_get_metadata (st, keys[i]));
  for (guint i = 0; i < bs_safetensors_get_n_tensors (st); i++)
    {
      const BsTensorView *view = bs_safetensors_get_nth (st, i);

      g_assert_true (bs_safetensors_writer_add (writer, view->name, view->dtype, view->ndim, view->shape,
                                                view->data, NULL));
    }
  g_assert_true (bs_safetensors_writer_save (writer, named, &error));

  status = run_limited (&err, "eval", named, "--dataset", "synthetic", "--limit", "16", NULL);
  g_assert_true (status == 1 || status == 2);
  g_assert_nonnull (strstr (err, "imagenet-resnet152"));
  g_assert_null (strstr (err, "Not enough memory"));
  g_assert_nonnull (strstr (err, "tensor"));
  bs_test_remove_tree (dir);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/memory-limits/blas-buffers", test_blas_buffers);
  g_test_add_func ("/memory-limits/small-fits", test_small_fits);
  for (guint i = 0; i < G_N_ELEMENTS (too_big); i++)
    g_test_add_data_func (too_big[i].path, &too_big[i], test_too_big);
  g_test_add_func ("/memory-limits/checkpoint-checked-before-build", test_checkpoint_checked_before_build);
  return g_test_run ();
}
