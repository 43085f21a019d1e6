/* test-dataset-locate.c: the table of known data sets and the folder search order.
 *
 * $XDG_DATA_HOME points at a temporary folder of this test program (set
 * before GLib reads and caches it); each test empties it when done.
 * (G_TEST_OPTION_ISOLATE_DIRS would do the same, but GLib 2.74 leaks there,
 * which LeakSanitizer reports.) */
#include "bs-dataset-locate.h"
#include "bs-dataset.h"
#include "bs-error.h"
#include "test-dataset-files.h"

typedef struct {
  char *root;     /* a temporary folder for --data-dir and $BLOCKSCOPE_DATA_DIR */
  char *explicit_dir;
  char *env_dir;
  char *user_dir; /* $XDG_DATA_HOME/blockscope/datasets */
} Fixture;

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  f->root = test_make_tmp_dir ();
  f->explicit_dir = g_build_filename (f->root, "explicit", NULL);
  f->env_dir = g_build_filename (f->root, "env", NULL);
  f->user_dir = g_build_filename (g_get_user_data_dir (), "blockscope", "datasets", NULL);
  g_assert_cmpint (g_mkdir_with_parents (f->explicit_dir, 0755), ==, 0);
  g_assert_cmpint (g_mkdir_with_parents (f->env_dir, 0755), ==, 0);
  g_assert_cmpint (g_mkdir_with_parents (f->user_dir, 0755), ==, 0);
  g_setenv ("BLOCKSCOPE_DATA_DIR", f->env_dir, TRUE);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  test_rm_rf (f->root);
  test_rm_rf (f->user_dir);
  g_free (f->root);
  g_free (f->explicit_dir);
  g_free (f->env_dir);
  g_free (f->user_dir);
}

/* An MNIST folder whose training split has n images, so each copy can be told apart. */
static char *
make_mnist (const char *base,
            const char *folder_name,
            guint       n)
{
  char *folder = g_build_filename (base, folder_name, NULL);

  g_assert_cmpint (g_mkdir_with_parents (folder, 0755), ==, 0);
  test_write_idx_split (folder, "train", n, 4, 4, TRUE);
  test_write_idx_split (folder, "t10k", 2, 4, 4, FALSE);
  return folder;
}

static const char *
dir_path (GPtrArray *dirs,
          guint      i)
{
  return ((BsDatasetDir *) g_ptr_array_index (dirs, i))->path;
}

static const char *
dir_origin (GPtrArray *dirs,
            guint      i)
{
  return ((BsDatasetDir *) g_ptr_array_index (dirs, i))->origin;
}

static void
test_search_dirs (Fixture       *f,
                  gconstpointer  data)
{
  g_autoptr(GPtrArray) all = bs_dataset_search_dirs (f->explicit_dir);
  g_autoptr(GPtrArray) dup = NULL;
  g_autoptr(GPtrArray) no_env = NULL;
  g_autoptr(GPtrArray) relative = NULL;
  g_autofree char *cwd = g_get_current_dir ();
  g_autofree char *expected_relative = g_build_filename (cwd, "some", "where", NULL);

  g_assert_cmpuint (all->len, ==, 4);
  g_assert_cmpstr (dir_path (all, 0), ==, f->explicit_dir);
  g_assert_cmpstr (dir_origin (all, 0), ==, "--data-dir");
  g_assert_cmpstr (dir_path (all, 1), ==, f->env_dir);
  g_assert_cmpstr (dir_origin (all, 1), ==, "BLOCKSCOPE_DATA_DIR");
  g_assert_cmpstr (dir_path (all, 2), ==, f->user_dir);
  g_assert_cmpstr (dir_origin (all, 2), ==, "XDG_DATA_HOME");
  g_assert_cmpstr (dir_path (all, 3), ==, "/usr/share/datasets");
  g_assert_cmpstr (dir_origin (all, 3), ==, "system");

  /* The same folder twice is searched once, at its first place. */
  dup = bs_dataset_search_dirs (f->env_dir);
  g_assert_cmpuint (dup->len, ==, 3);
  g_assert_cmpstr (dir_origin (dup, 0), ==, "--data-dir");

  /* An empty variable and an empty --data-dir count as unset. */
  g_setenv ("BLOCKSCOPE_DATA_DIR", "", TRUE);
  no_env = bs_dataset_search_dirs ("");
  g_assert_cmpuint (no_env->len, ==, 2);
  g_assert_cmpstr (dir_path (no_env, 0), ==, f->user_dir);

  relative = bs_dataset_search_dirs ("some/where");
  g_assert_cmpstr (dir_path (relative, 0), ==, expected_relative);
}

/* The same data set in three places: --data-dir beats the variable beats XDG. */
static void
test_search_order (Fixture       *f,
                   gconstpointer  data)
{
  g_autofree char *in_explicit = make_mnist (f->explicit_dir, "mnist", 3);
  g_autofree char *in_env = make_mnist (f->env_dir, "mnist", 4);
  g_autofree char *in_user = make_mnist (f->user_dir, "mnist", 5);
  struct {
    const char *data_dir;
    const char *expected;
    guint n_train;
  } steps[] = {
    { f->explicit_dir, in_explicit, 3 },
    { NULL, in_env, 4 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (steps); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *found = bs_dataset_find ("mnist", steps[i].data_dir, &error);
      g_autoptr(BsDataset) dataset = bs_dataset_load ("mnist", steps[i].data_dir, &error);

      g_assert_no_error (error);
      g_assert_cmpstr (found, ==, steps[i].expected);
      g_assert_cmpstr (dataset->location, ==, steps[i].expected);
      g_assert_cmpuint (dataset->train.n_images, ==, steps[i].n_train);
    }

  /* Without the variable, the user's data folder. */
  g_unsetenv ("BLOCKSCOPE_DATA_DIR");
  {
    g_autoptr(GError) error = NULL;
    g_autoptr(BsDataset) dataset = bs_dataset_load ("mnist", NULL, &error);

    g_assert_no_error (error);
    g_assert_cmpstr (dataset->location, ==, in_user);
    g_assert_cmpuint (dataset->train.n_images, ==, 5);
  }
  /* An explicit folder without the data set falls through to the next. */
  {
    g_autoptr(GError) error = NULL;
    g_autofree char *found = bs_dataset_find ("mnist", f->root, &error);

    g_assert_no_error (error);
    g_assert_cmpstr (found, ==, in_user);
  }
}

/* A folder that lacks a file is passed over, and the error says what it lacks. */
static void
test_incomplete_folder (Fixture       *f,
                        gconstpointer  data)
{
  g_autofree char *in_explicit = make_mnist (f->explicit_dir, "mnist", 3);
  g_autofree char *in_env = make_mnist (f->env_dir, "MNIST", 4);
  g_autofree char *labels = g_build_filename (in_explicit, "t10k-labels-idx1-ubyte", NULL);
  g_autofree char *found = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_cmpint (g_unlink (labels), ==, 0);
  found = bs_dataset_find ("mnist", f->explicit_dir, &error);
  g_assert_no_error (error);
  /* The alternative folder name "MNIST" in the second place. */
  g_assert_cmpstr (found, ==, in_env);
}

static void
test_not_found (Fixture       *f,
                gconstpointer  data)
{
  g_autofree char *in_explicit = make_mnist (f->explicit_dir, "mnist", 3);
  g_autofree char *labels = g_build_filename (in_explicit, "t10k-labels-idx1-ubyte", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) load_error = NULL;
  g_autofree char *found = NULL;
  g_autoptr(BsDataset) dataset = NULL;

  g_assert_cmpint (g_unlink (labels), ==, 0);
  found = bs_dataset_find ("mnist", f->explicit_dir, &error);
  g_assert_null (found);
  /* Every folder searched, why it did not do, and how to get the data set,
   * with the first search folder as the place to put it. */
  test_assert_error (error, BS_ERROR_NOT_FOUND, "MNIST (mnist) not found",
                     in_explicit, "lacks t10k-labels-idx1-ubyte[.gz]", "(--data-dir)",
                     f->env_dir, "(BLOCKSCOPE_DATA_DIR)", f->user_dir, "(XDG_DATA_HOME)",
                     "/usr/share/datasets (system)", "no mnist/ or MNIST/ folder",
                     "To get it: Download MNIST's four IDX files");
  g_assert_nonnull (strstr (error->message, "into /"));
  g_assert_nonnull (strstr (strstr (error->message, "into /"), f->explicit_dir));

  dataset = bs_dataset_load ("mnist", f->explicit_dir, &load_error);
  g_assert_null (dataset);
  g_assert_error (load_error, BS_ERROR, BS_ERROR_NOT_FOUND);
}

static void
test_unknown_name (Fixture       *f,
                   gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) error2 = NULL;
  g_autofree char *found = bs_dataset_find ("imagenet", NULL, &error);
  g_autofree char *synthetic = bs_dataset_find ("synthetic", NULL, &error2);

  g_assert_null (found);
  test_assert_error (error, BS_ERROR_INVALID_ARGUMENT, "unknown data set 'imagenet'",
                     "fashion-mnist, mnist, cifar10, cifar100, synthetic");
  g_assert_null (synthetic);
  test_assert_error (error2, BS_ERROR_INVALID_ARGUMENT, "generated");
}

/* How to get each data set names the first search folder (or apt for Fashion-MNIST). */
static void
test_how_to_get (Fixture       *f,
                 gconstpointer  data)
{
  g_autofree char *cifar = bs_dataset_how_to_get (bs_dataset_info_lookup ("cifar10", NULL),
                                                  f->explicit_dir);
  g_autofree char *fashion = bs_dataset_how_to_get (bs_dataset_info_lookup ("fashion-mnist", NULL),
                                                    NULL);
  g_autofree char *expected = g_strdup_printf ("unpack it into %s (`tar -xzf cifar-10-binary.tar.gz -C %s`)",
                                               f->explicit_dir, f->explicit_dir);
  g_autofree char *spaced_dir = g_build_filename (f->root, "with space", NULL);
  g_autofree char *spaced = bs_dataset_how_to_get (bs_dataset_info_lookup ("cifar100", NULL),
                                                   spaced_dir);
  g_autofree char *quoted = g_shell_quote (spaced_dir);

  g_assert_nonnull (strstr (cifar, "cifar-10-binary.tar.gz"));
  g_assert_nonnull (strstr (cifar, expected));
  g_assert_nonnull (strstr (fashion, "sudo apt install dataset-fashion-mnist"));
  g_assert_nonnull (strstr (spaced, quoted));
}

/* Train and test images of different shapes cannot make one data set. */
static void
test_split_shape_mismatch (Fixture       *f,
                           gconstpointer  data)
{
  g_autofree char *folder = g_build_filename (f->explicit_dir, "fashion-mnist", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(BsDataset) dataset = NULL;

  g_assert_cmpint (g_mkdir_with_parents (folder, 0755), ==, 0);
  test_write_idx_split (folder, "train", 3, 4, 4, FALSE);
  test_write_idx_split (folder, "t10k", 3, 5, 4, FALSE);
  dataset = bs_dataset_load ("fashion-mnist", f->explicit_dir, &error);
  g_assert_null (dataset);
  test_assert_error (error, BS_ERROR_MISMATCH, folder, "1x4x4", "1x5x4");
}

/* Every table entry is usable: names, counts of class names, shapes. */
static void
test_table (void)
{
  guint n;
  const BsDatasetInfo *infos = bs_dataset_info_list (&n);

  g_assert_cmpuint (n, ==, 5);
  for (guint i = 0; i < n; i++)
    {
      const BsDatasetInfo *info = &infos[i];

      g_assert_true (bs_dataset_info_lookup (info->name, NULL) == info);
      g_assert_nonnull (info->display_name);
      g_assert_nonnull (info->how_to_get);
      g_assert_cmpuint (info->n_classes, >=, 2);
      g_assert_cmpuint (info->channels * info->height * info->width, >, 0);
      if (info->class_names != NULL)
        g_assert_cmpuint (g_strv_length ((char **) info->class_names), ==, info->n_classes);
      if (info->format != BS_DATASET_FORMAT_SYNTHETIC)
        {
          g_assert_nonnull (info->folders);
          g_assert_nonnull (info->files);
        }
    }
}

#define ADD(path, func) \
  g_test_add (path, Fixture, NULL, fixture_setup, func, fixture_teardown)

int
main (int    argc,
      char **argv)
{
  g_autofree char *xdg = test_make_tmp_dir ();
  int status;

  g_setenv ("XDG_DATA_HOME", xdg, TRUE);
  g_test_init (&argc, &argv, NULL);
  g_assert_cmpstr (g_get_user_data_dir (), ==, xdg);
  g_test_add_func ("/locate/table", test_table);
  ADD ("/locate/search-dirs", test_search_dirs);
  ADD ("/locate/search-order", test_search_order);
  ADD ("/locate/incomplete-folder", test_incomplete_folder);
  ADD ("/locate/not-found", test_not_found);
  ADD ("/locate/unknown-name", test_unknown_name);
  ADD ("/locate/how-to-get", test_how_to_get);
  ADD ("/locate/split-shape-mismatch", test_split_shape_mismatch);
  status = g_test_run ();
  test_rm_rf (xdg);
  return status;
}
