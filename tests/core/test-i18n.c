/* test-i18n.c: the core library speaks the user's language. Runs with
 * LANGUAGE=zh_CN (see meson.build): bs_i18n_init() must find the core's
 * catalogue in the build tree, and real errors, descriptions and plural
 * messages must come back in Simplified Chinese, while identifiers stay as
 * they are. The expected texts are written here, not read from the .po. */
#include "bs-config.h"

#include <locale.h>
#include <string.h>

#include "bs-checkpoint.h"
#include "bs-dataset.h"
#include "bs-dataset-locate.h"
#include "bs-error.h"
#include "bs-i18n.h"
#include "bs-layer-info.h"
#include "bs-model-spec.h"
#include "bs-synthetic.h"
#include "bs-test-util.h"

static char *tmp_dir;

static char *
write_file (const char *name,
            const char *contents,
            gsize       length)
{
  char *path = g_build_filename (tmp_dir, name, NULL);

  g_assert_true (g_file_set_contents (path, contents, length, NULL));
  return path;
}

static void
assert_message (const GError *error,
                const char   *expected)
{
  g_assert_nonnull (error);
  g_test_message ("%s", error->message);
  g_assert_cmpstr (error->message, ==, expected);
}

/* Descriptions for people are translated; names for programs are not. */
static void
test_descriptions (void)
{
  const BsDatasetInfo *cifar = bs_dataset_info_lookup ("cifar10", NULL);
  const BsDatasetInfo *synthetic = bs_dataset_info_lookup ("synthetic", NULL);
  g_autofree char *how = NULL;

  g_assert_cmpstr (bs_layer_kind_describe (BS_LAYER_CONV), ==, "卷积（批归一化之前）");
  g_assert_cmpstr (bs_layer_kind_describe (BS_LAYER_AVGPOOL), ==, "全局平均池化");
  g_assert_cmpstr (bs_layer_stage_name (2, FALSE), ==, "阶段 2");
  g_assert_cmpstr (bs_layer_stage_name (2, TRUE), ==, "2");
  g_assert_cmpstr (bs_layer_stage_name (BS_LAYER_STAGE_HEAD, TRUE), ==, "头部");
  g_assert_cmpstr (bs_layer_kind_to_string (BS_LAYER_CONV), ==, "conv");

  /* A proper name stays, a descriptive one is translated. */
  g_assert_cmpstr (bs_dataset_info_get_display_name (cifar), ==, "CIFAR-10");
  g_assert_cmpstr (bs_dataset_info_get_display_name (synthetic), ==, "合成数据");

  /* The folder goes where the translation puts @DIR@, every time. */
  how = bs_dataset_how_to_get (cifar, "/data/here");
  g_assert_cmpstr (how, ==,
                   "下载 https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz 并解压到 "
                   "/data/here（`tar -xzf cifar-10-binary.tar.gz -C /data/here`）。");
}

/* Errors users meet first: an unknown name, a missing or damaged file. */
static void
test_errors (void)
{
  g_autofree char *missing = g_build_filename (tmp_dir, "gone.safetensors", NULL);
  g_autofree char *expected = NULL;
  g_autoptr(GError) unknown_set = NULL;
  g_autoptr(GError) unknown_model = NULL;
  g_autoptr(GError) not_there = NULL;
  g_autoptr(BsDataset) dataset = NULL;
  BsModelSpec spec;

  dataset = bs_dataset_load_test ("imagenet", NULL, &unknown_set);
  g_assert_null (dataset);
  g_assert_error (unknown_set, BS_ERROR, BS_ERROR_INVALID_ARGUMENT);
  assert_message (unknown_set, "未知的数据集“imagenet”（已知的有：fashion-mnist, mnist, cifar10, "
                               "cifar100, synthetic）");

  g_assert_false (bs_model_spec_parse ("resnet21", &spec, &unknown_model));
  g_assert_error (unknown_model, BS_ERROR, BS_ERROR_INVALID_ARGUMENT);
  g_test_message ("%s", unknown_model->message);
  g_assert_true (g_str_has_prefix (unknown_model->message,
                                   "模型“resnet21”：CIFAR ResNet 的深度必须是 8 到 "));

  g_assert_null (bs_checkpoint_load (missing, NULL, &not_there));
  g_assert_error (not_there, BS_ERROR, BS_ERROR_NOT_FOUND);
  expected = g_strdup_printf ("无法读取“%s”：", missing);
  g_test_message ("%s", not_there->message);
  g_assert_true (g_str_has_prefix (not_there->message, expected));
}

/* Chinese has one plural form: "1 byte" and "5 bytes" both take it, with
 * the number in place, inside the reader's whole sentence. */
static void
test_plural (void)
{
  g_autofree char *one = write_file ("one.safetensors", "x", 1);
  g_autofree char *five = write_file ("five.safetensors", "xxxxx", 5);
  g_autofree char *expected_one = g_strdup_printf ("“%s”不是有效的 safetensors 文件：文件只有 1 字节", one);
  g_autofree char *expected_five = g_strdup_printf ("“%s”不是有效的 safetensors 文件：文件只有 5 字节", five);
  g_autoptr(GError) error_one = NULL;
  g_autoptr(GError) error_five = NULL;
  g_autoptr(GError) one_class = NULL;
  g_autoptr(GError) many_classes = NULL;

  g_assert_null (bs_checkpoint_load (one, NULL, &error_one));
  g_assert_error (error_one, BS_ERROR, BS_ERROR_FORMAT);
  assert_message (error_one, expected_one);
  g_assert_null (bs_checkpoint_load (five, NULL, &error_five));
  assert_message (error_five, expected_five);

  g_assert_false (bs_synthetic_check_params (16, 16, 3, 8, 8, 1, &one_class));
  assert_message (one_class, "合成数据集：1 个类别；类别数必须在 2 到 256 之间");
  g_assert_false (bs_synthetic_check_params (16, 16, 3, 8, 8, 300, &many_classes));
  assert_message (many_classes, "合成数据集：300 个类别；类别数必须在 2 到 256 之间");
}

int
main (int    argc,
      char **argv)
{
  int status;

  /* The environment's locale (C.UTF-8) and LANGUAGE=zh_CN, as a program's main() would. */
  setlocale (LC_ALL, "");
  bs_i18n_init (NULL);
  g_test_init (&argc, &argv, NULL);

  tmp_dir = g_dir_make_tmp ("bs-test-i18n-XXXXXX", NULL);
  g_assert_nonnull (tmp_dir);

  g_test_add_func ("/i18n/descriptions", test_descriptions);
  g_test_add_func ("/i18n/errors", test_errors);
  g_test_add_func ("/i18n/plural", test_plural);

  status = g_test_run ();

  bs_test_remove_tree (tmp_dir);
  g_free (tmp_dir);
  return status;
}
