/* test-dataset-cli.c: `blockscope-cli datasets`, its JSON and its exit statuses.
 *
 * The test environment points BLOCKSCOPE_DATA_DIR and XDG_DATA_HOME at empty
 * folders; the data sets here come from --data-dir or /usr/share/datasets. */
#include <json-glib/json-glib.h>

#include "bs-error.h"
#include "bs-test-util.h"
#include "test-dataset-files.h"

typedef struct {
  char *dir;
} Fixture;

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  f->dir = test_make_tmp_dir ();
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  test_rm_rf (f->dir);
  g_free (f->dir);
}

static JsonObject *
find_dataset (JsonObject *root,
              const char *name)
{
  JsonArray *datasets = json_object_get_array_member (root, "datasets");

  for (guint i = 0; i < json_array_get_length (datasets); i++)
    {
      JsonObject *d = json_array_get_object_element (datasets, i);

      if (g_strcmp0 (json_object_get_string_member (d, "name"), name) == 0)
        return d;
    }
  g_error ("no data set %s in the output", name);
  return NULL;
}

static void
write_cifar10 (const char *base,
               guint       per_file)
{
  g_autofree char *folder = g_build_filename (base, "cifar-10-batches-bin", NULL);
  const char *names[] = { "data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin",
                          "data_batch_4.bin", "data_batch_5.bin", "test_batch.bin" };
  guint8 labels[8] = { 0, 1, 2, 3, 4, 5, 6, 7 };

  g_assert_cmpuint (per_file, <=, 8);
  g_assert_cmpint (g_mkdir_with_parents (folder, 0755), ==, 0);
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autofree char *path = g_build_filename (folder, names[i], NULL);
      g_autoptr(GByteArray) records = test_cifar_records (FALSE, 0, per_file, labels, labels);

      test_write_file (path, records->data, records->len);
    }
}

static void
test_json (Fixture       *f,
           gconstpointer  data)
{
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *mnist = g_build_filename (f->dir, "mnist", NULL);
  g_autofree char *cifar = g_build_filename (f->dir, "cifar-10-batches-bin", NULL);
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  JsonObject *root, *d, *dir0;
  gboolean have_fashion = g_file_test ("/usr/share/datasets/fashion-mnist", G_FILE_TEST_IS_DIR);

  g_assert_cmpint (g_mkdir (mnist, 0755), ==, 0);
  test_write_idx_split (mnist, "train", 6, 28, 28, TRUE);
  test_write_idx_split (mnist, "t10k", 3, 28, 28, FALSE);
  write_cifar10 (f->dir, 3);

  g_assert_cmpint (bs_test_run_cli (&out, &err, "datasets", "--json", "--data-dir", f->dir, NULL), ==, 0);
  json_parser_load_from_data (parser, out, -1, &error);
  g_assert_no_error (error);
  root = json_node_get_object (json_parser_get_root (parser));

  dir0 = json_array_get_object_element (json_object_get_array_member (root, "search_dirs"), 0);
  g_assert_cmpstr (json_object_get_string_member (dir0, "path"), ==, f->dir);
  g_assert_cmpstr (json_object_get_string_member (dir0, "origin"), ==, "--data-dir");
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (root, "datasets")), ==, 5);

  d = find_dataset (root, "mnist");
  g_assert_true (json_object_get_boolean_member (d, "found"));
  g_assert_true (json_object_get_boolean_member (d, "loaded"));
  g_assert_cmpstr (json_object_get_string_member (d, "location"), ==, mnist);
  g_assert_cmpint (json_object_get_int_member (d, "n_train"), ==, 6);
  g_assert_cmpint (json_object_get_int_member (d, "n_test"), ==, 3);
  g_assert_cmpint (json_object_get_int_member (d, "channels"), ==, 1);
  g_assert_cmpint (json_object_get_int_member (d, "height"), ==, 28);
  g_assert_cmpint (json_object_get_int_member (d, "n_classes"), ==, 10);
  g_assert_true (json_object_get_null_member (d, "error"));

  d = find_dataset (root, "cifar10");
  g_assert_cmpstr (json_object_get_string_member (d, "location"), ==, cifar);
  g_assert_cmpint (json_object_get_int_member (d, "n_train"), ==, 15);
  g_assert_cmpint (json_object_get_int_member (d, "n_test"), ==, 3);
  g_assert_cmpint (json_object_get_int_member (d, "channels"), ==, 3);
  g_assert_cmpint (json_object_get_int_member (d, "width"), ==, 32);

  d = find_dataset (root, "cifar100");
  g_assert_false (json_object_get_boolean_member (d, "found"));
  g_assert_true (json_object_get_null_member (d, "location"));
  g_assert_true (json_object_get_null_member (d, "n_train"));
  g_assert_cmpint (json_object_get_int_member (d, "n_classes"), ==, 100);
  g_assert_nonnull (strstr (json_object_get_string_member (d, "how_to_get"), "cifar-100-binary.tar.gz"));
  g_assert_nonnull (strstr (json_object_get_string_member (d, "how_to_get"), f->dir));

  d = find_dataset (root, "synthetic");
  g_assert_true (json_object_get_boolean_member (d, "generated"));
  g_assert_cmpint (json_object_get_int_member (d, "n_train"), ==, 4096);
  g_assert_cmpint (json_object_get_int_member (d, "n_test"), ==, 1024);

  /* Fashion-MNIST is found where Debian installs it, or says how to get it. */
  d = find_dataset (root, "fashion-mnist");
  g_assert_cmpint (json_object_get_boolean_member (d, "found"), ==, have_fashion);
  if (have_fashion)
    {
      g_assert_cmpstr (json_object_get_string_member (d, "location"), ==,
                       "/usr/share/datasets/fashion-mnist");
      g_assert_cmpint (json_object_get_int_member (d, "n_train"), ==, 60000);
      g_assert_cmpint (json_object_get_int_member (d, "n_test"), ==, 10000);
    }
  else
    g_assert_nonnull (strstr (json_object_get_string_member (d, "how_to_get"),
                              "sudo apt install dataset-fashion-mnist"));
}

/* A data set that is found but damaged: exit status 1, and the error names the file. */
static void
test_damaged (Fixture       *f,
              gconstpointer  data)
{
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *text_out = NULL;
  g_autofree char *text_err = NULL;
  g_autofree char *bad = g_build_filename (f->dir, "cifar-10-batches-bin", "data_batch_4.bin", NULL);
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  JsonObject *d;

  write_cifar10 (f->dir, 2);
  test_write_file (bad, "short", 5);
  g_assert_cmpint (bs_test_run_cli (&out, &err, "datasets", "--json", "--data-dir", f->dir, NULL), ==, 1);
  json_parser_load_from_data (parser, out, -1, &error);
  g_assert_no_error (error);
  d = find_dataset (json_node_get_object (json_parser_get_root (parser)), "cifar10");
  g_assert_true (json_object_get_boolean_member (d, "found"));
  g_assert_false (json_object_get_boolean_member (d, "loaded"));
  g_assert_nonnull (strstr (json_object_get_string_member (d, "error"), bad));
  g_assert_nonnull (strstr (json_object_get_string_member (d, "error"), "not a multiple"));

  /* The same in the text output. */
  g_assert_cmpint (bs_test_run_cli (&text_out, &text_err, "datasets", "--data-dir", f->dir, NULL), ==, 1);
  g_assert_nonnull (strstr (text_out, "cannot be read"));
  g_assert_nonnull (strstr (text_out, bad));
}

static void
test_text (Fixture       *f,
           gconstpointer  data)
{
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;

  g_assert_cmpint (bs_test_run_cli (&out, &err, "datasets", "--data-dir", f->dir, NULL), ==, 0);
  g_assert_nonnull (strstr (out, "looked for in these folders"));
  g_assert_nonnull (strstr (out, f->dir));
  g_assert_nonnull (strstr (out, "(--data-dir)"));
  g_assert_nonnull (strstr (out, "/usr/share/datasets (system)"));
  g_assert_nonnull (strstr (out, "CIFAR-10: not found"));
  g_assert_nonnull (strstr (out, "To get it: Download https://"));
  g_assert_nonnull (strstr (out, "4096 training and 1024 test images, 3x32x32, 10 classes"));
}

static void
test_usage_errors (void)
{
  const char *cases[][3] = {
    { "datasets", "extra", NULL },
    { "datasets", "--no-such-option", NULL },
    { "datasets", "--data-dir=", NULL },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *out = NULL;
      g_autofree char *err = NULL;

      g_assert_cmpint (bs_test_run_cli (&out, &err, cases[i][0], cases[i][1], NULL), ==, 2);
      g_assert_nonnull (strstr (err, "blockscope-cli datasets:"));
      g_assert_cmpstr (out, ==, "");
    }
}

#define ADD(path, func) \
  g_test_add (path, Fixture, NULL, fixture_setup, func, fixture_teardown)

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  ADD ("/cli-datasets/json", test_json);
  ADD ("/cli-datasets/damaged", test_damaged);
  ADD ("/cli-datasets/text", test_text);
  g_test_add_func ("/cli-datasets/usage-errors", test_usage_errors);
  return g_test_run ();
}
