/* test-weights-guess.c: an ImageNet ResNet told from its state dict's names.
 *
 * Safetensors files with the parameter names of Blockscope's own
 * imagenet-resnet50, -101 and -152 (the torchvision names; one float each,
 * as only names are read), as safetensors and as .pth written the way
 * torch.save writes them, are told apart; PyTorch's .pth fixture (a small
 * two-stage network, no layer3) and names with a gap in layer3's numbering
 * are none of them; a damaged file is an error that names it. */
#include <string.h>

#include "bs-error.h"
#include "bs-model.h"
#include "bs-safetensors.h"
#include "bs-test-util.h"
#include "bs-weights-guess.h"
#include "test-pth-writer.h"

static char *tmp_dir;

/* A safetensors file at tmp_dir/name holding the given names, one float each. */
static char *
write_names (const char         *name,
             const char * const *names,
             guint               n)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BsSafetensorsWriter) writer = bs_safetensors_writer_new ();
  char *path = g_build_filename (tmp_dir, name, NULL);
  static const float one = 1.0f;
  const gint64 shape[1] = { 1 };

  for (guint i = 0; i < n; i++)
    {
      bs_safetensors_writer_add (writer, names[i], BS_DTYPE_F32, 1, shape, &one, &error);
      g_assert_no_error (error);
    }
  bs_safetensors_writer_save (writer, path, &error);
  g_assert_no_error (error);
  return path;
}

/* A file with the names of the architecture's own parameters. */
static char *
write_model_names (const char *architecture)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) names = g_ptr_array_new ();
  g_autofree char *file = g_strdup_printf ("%s.safetensors", architecture);
  BsModel *model = bs_model_new (architecture, 3, 32, 32, 1000, &error);
  char *path;

  g_assert_no_error (error);
  for (guint i = 0; i < bs_model_get_n_params (model); i++)
    g_ptr_array_add (names, (gpointer) bs_model_get_param (model, i)->name);
  path = write_names (file, (const char * const *) names->pdata, names->len);
  bs_model_free (model);
  return path;
}

/* The same as a .pth. */
static char *
write_model_names_pth (const char *architecture)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) tensors = g_array_new (FALSE, TRUE, sizeof (TestPthTensor));
  g_autofree char *file = g_strdup_printf ("%s.pth", architecture);
  char *path = g_build_filename (tmp_dir, file, NULL);
  BsModel *model = bs_model_new (architecture, 3, 32, 32, 1000, &error);
  static const float one = 1.0f;
  static const gint64 shape[1] = { 1 };

  g_assert_no_error (error);
  for (guint i = 0; i < bs_model_get_n_params (model); i++)
    {
      TestPthTensor t = { bs_model_get_param (model, i)->name, 1, shape, &one };

      g_array_append_val (tensors, t);
    }
  test_pth_write (path, (const TestPthTensor *) tensors->data, tensors->len);
  bs_model_free (model);
  return path;
}

static void
test_architectures (void)
{
  static const char *architectures[] = { "imagenet-resnet50", "imagenet-resnet101", "imagenet-resnet152" };

  for (guint i = 0; i < G_N_ELEMENTS (architectures); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *path = write_model_names (architectures[i]);
      g_autofree char *guess = NULL;

      g_assert_true (bs_weights_import_guess_architecture (path, &guess, &error));
      g_assert_no_error (error);
      g_assert_cmpstr (guess, ==, architectures[i]);
      g_clear_pointer (&guess, g_free);

      {
        g_autofree char *pth = write_model_names_pth (architectures[i]);

        g_assert_true (bs_weights_import_guess_architecture (pth, &guess, &error));
        g_assert_no_error (error);
        g_assert_cmpstr (guess, ==, architectures[i]);
      }
    }
  g_assert_cmpstr (bs_weights_guess_from_layer3_blocks (6), ==, "imagenet-resnet50");
  g_assert_cmpstr (bs_weights_guess_from_layer3_blocks (23), ==, "imagenet-resnet101");
  g_assert_cmpstr (bs_weights_guess_from_layer3_blocks (36), ==, "imagenet-resnet152");
  g_assert_null (bs_weights_guess_from_layer3_blocks (5));
}

static void
test_unknown (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *fixture = g_test_build_filename (G_TEST_DIST, "fixtures", "torch-activations.pth", NULL);
  g_autofree char *guess = NULL;
  g_autofree char *gap = NULL;
  /* Six blocks, but numbered 0-4 and 6: not a torchvision ResNet-50. */
  static const char *gap_names[] = {
    "conv1.weight", "layer3.0.conv1.weight", "layer3.1.conv1.weight", "layer3.2.conv1.weight",
    "layer3.3.conv1.weight", "layer3.4.conv1.weight", "layer3.6.conv1.weight", "layer3x.7.a",
    "layer3.99", "fc.weight",
  };
  /* The same numbers with the fifth block: six in a row. */
  static const char *six_names[] = {
    "layer3.0.conv1.weight", "layer3.1.conv1.weight", "layer3.2.conv1.weight",
    "layer3.3.conv1.weight", "layer3.4.conv1.weight", "layer3.5.bn1.running_mean",
    "layer3.5.conv1.weight",
  };
  g_autofree char *six = NULL;

  /* PyTorch's .pth fixture: a readable state dict without layer3. */
  g_assert_true (bs_weights_import_guess_architecture (fixture, &guess, &error));
  g_assert_no_error (error);
  g_assert_null (guess);

  gap = write_names ("gap.safetensors", gap_names, G_N_ELEMENTS (gap_names));
  g_assert_true (bs_weights_import_guess_architecture (gap, &guess, &error));
  g_assert_no_error (error);
  g_assert_null (guess);

  six = write_names ("six.safetensors", six_names, G_N_ELEMENTS (six_names));
  g_assert_true (bs_weights_import_guess_architecture (six, &guess, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (guess, ==, "imagenet-resnet50");
}

static void
test_damaged (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *guess = NULL;
  g_autofree char *path = g_build_filename (tmp_dir, "damaged.safetensors", NULL);
  g_autofree char *pth = g_build_filename (tmp_dir, "damaged.pth", NULL);
  g_autofree char *missing = g_build_filename (tmp_dir, "missing.pth", NULL);

  g_assert_true (g_file_set_contents (path, "\x10\0\0\0\0\0\0\0{\"a\":", 13, NULL));
  g_assert_false (bs_weights_import_guess_architecture (path, &guess, &error));
  g_assert_error (error, BS_ERROR, BS_ERROR_FORMAT);
  g_assert_nonnull (strstr (error->message, "damaged.safetensors"));
  g_assert_null (guess);
  g_clear_error (&error);

  /* A zip's signature and nothing after it. */
  g_assert_true (g_file_set_contents (pth, "PK\x03\x04garbage", 11, NULL));
  g_assert_false (bs_weights_import_guess_architecture (pth, &guess, &error));
  g_assert_nonnull (error);
  g_assert_nonnull (strstr (error->message, "damaged.pth"));
  g_clear_error (&error);

  g_assert_false (bs_weights_import_guess_architecture (missing, &guess, &error));
  g_assert_error (error, BS_ERROR, BS_ERROR_NOT_FOUND);
}

int
main (int    argc,
      char **argv)
{
  int status;

  g_test_init (&argc, &argv, NULL);
  tmp_dir = g_dir_make_tmp ("blockscope-guess-XXXXXX", NULL);
  g_assert_nonnull (tmp_dir);

  g_test_add_func ("/weights-guess/architectures", test_architectures);
  g_test_add_func ("/weights-guess/unknown", test_unknown);
  g_test_add_func ("/weights-guess/damaged", test_damaged);

  status = g_test_run ();
  bs_test_remove_tree (tmp_dir);
  g_free (tmp_dir);
  return status;
}
