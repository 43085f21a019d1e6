/* bs-dataset-locate.c: the table of known data sets and the folder search. */
#include "bs-dataset-locate.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "bs-error.h"
#include "bs-idx.h"

#define SYSTEM_DATA_DIR "/usr/share/datasets"

static const char *const idx_files[] = {
  "train-images-idx3-ubyte", "train-labels-idx1-ubyte",
  "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte", NULL
};
static const char *const cifar10_files[] = {
  "data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin",
  "data_batch_5.bin", "test_batch.bin", NULL
};
static const char *const cifar100_files[] = { "train.bin", "test.bin", NULL };

/* At most two names each: the search report names both ("no mnist/ or MNIST/ folder"). */
static const char *const fashion_folders[] = { "fashion-mnist", "fashion_mnist", NULL };
static const char *const mnist_folders[] = { "mnist", "MNIST", NULL };
static const char *const cifar10_folders[] = { "cifar-10-batches-bin", "cifar10", NULL };
static const char *const cifar100_folders[] = { "cifar-100-binary", "cifar100", NULL };

static const char *const fashion_names[] = {
  "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
  "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot", NULL
};
static const char *const digit_names[] = {
  "0", "1", "2", "3", "4", "5", "6", "7", "8", "9", NULL
};
static const char *const cifar10_names[] = {
  "airplane", "automobile", "bird", "cat", "deer",
  "dog", "frog", "horse", "ship", "truck", NULL
};
/* CIFAR-100 fine labels: alphabetical, as in the release's fine_label_names.txt. */
static const char *const cifar100_names[] = {
  "apple", "aquarium_fish", "baby", "bear", "beaver", "bed", "bee", "beetle", "bicycle",
  "bottle", "bowl", "boy", "bridge", "bus", "butterfly", "camel", "can", "castle",
  "caterpillar", "cattle", "chair", "chimpanzee", "clock", "cloud", "cockroach", "couch",
  "crab", "crocodile", "cup", "dinosaur", "dolphin", "elephant", "flatfish", "forest", "fox",
  "girl", "hamster", "house", "kangaroo", "keyboard", "lamp", "lawn_mower", "leopard", "lion",
  "lizard", "lobster", "man", "maple_tree", "motorcycle", "mountain", "mouse", "mushroom",
  "oak_tree", "orange", "orchid", "otter", "palm_tree", "pear", "pickup_truck", "pine_tree",
  "plain", "plate", "poppy", "porcupine", "possum", "rabbit", "raccoon", "ray", "road",
  "rocket", "rose", "sea", "seal", "shark", "shrew", "skunk", "skyscraper", "snail", "snake",
  "spider", "squirrel", "streetcar", "sunflower", "sweet_pepper", "table", "tank", "telephone",
  "television", "tiger", "tractor", "train", "trout", "tulip", "turtle", "wardrobe", "whale",
  "willow_tree", "wolf", "woman", "worm", NULL
};

/* The display names of real data sets are their proper names, not
 * translated; the how-to-get sentences are (see bs_dataset_how_to_get()). */
static const BsDatasetInfo infos[] = {
  {
    "fashion-mnist", "Fashion-MNIST", BS_DATASET_FORMAT_IDX, fashion_folders, idx_files,
    10, 1, 28, 28, 60000, 10000, fashion_names,
    /* Translators: @DIR@ stands for a folder: keep it, the command and the file names. */
    N_("Install Debian's package with `sudo apt install dataset-fashion-mnist` "
       "(or put its four IDX files, e.g. train-images-idx3-ubyte.gz, in @DIR@/fashion-mnist)."),
  },
  {
    "mnist", "MNIST", BS_DATASET_FORMAT_IDX, mnist_folders, idx_files,
    10, 1, 28, 28, 60000, 10000, digit_names,
    /* Translators: @DIR@ stands for a folder: keep it and the file names. */
    N_("Download MNIST's four IDX files (train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, "
       "t10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz) into @DIR@/mnist."),
  },
  {
    "cifar10", "CIFAR-10", BS_DATASET_FORMAT_CIFAR10, cifar10_folders, cifar10_files,
    10, 3, 32, 32, 50000, 10000, cifar10_names,
    /* Translators: @DIR@ stands for a folder: keep it, the address and the command. */
    N_("Download https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz and unpack it into "
       "@DIR@ (`tar -xzf cifar-10-binary.tar.gz -C @DIR@`)."),
  },
  {
    "cifar100", "CIFAR-100", BS_DATASET_FORMAT_CIFAR100, cifar100_folders, cifar100_files,
    100, 3, 32, 32, 50000, 10000, cifar100_names,
    /* Translators: @DIR@ stands for a folder: keep it, the address and the command. */
    N_("Download https://www.cs.toronto.edu/~kriz/cifar-100-binary.tar.gz and unpack it into "
       "@DIR@ (`tar -xzf cifar-100-binary.tar.gz -C @DIR@`)."),
  },
  {
    /* Shape and counts are the defaults of bs_dataset_load ("synthetic"). */
    /* Translators: the name of the data set of generated images. */
    "synthetic", N_("Synthetic"), BS_DATASET_FORMAT_SYNTHETIC, NULL, NULL,
    10, 3, 32, 32, 4096, 1024, NULL,
    N_("Nothing to get: generated in memory from a seed."),
  },
};

const BsDatasetInfo *
bs_dataset_info_list (guint *n_infos)
{
  *n_infos = G_N_ELEMENTS (infos);
  return infos;
}

const char *
bs_dataset_info_get_display_name (const BsDatasetInfo *info)
{
  /* Proper names have no translation and come back as they are. */
  return _(info->display_name);
}

const BsDatasetInfo *
bs_dataset_info_lookup (const char  *name,
                        GError     **error)
{
  g_autoptr(GString) known = g_string_new (NULL);

  for (guint i = 0; i < G_N_ELEMENTS (infos); i++)
    if (g_strcmp0 (name, infos[i].name) == 0)
      return &infos[i];

  for (guint i = 0; i < G_N_ELEMENTS (infos); i++)
    g_string_append_printf (known, "%s%s", i ? ", " : "", infos[i].name);
  g_set_error (error, BS_ERROR, BS_ERROR_INVALID_ARGUMENT,
               /* Translators: a name given, then the list of known names (cifar10, mnist, ...). */
               _("unknown data set '%s' (known: %s)"), name ? name : "(null)", known->str);
  return NULL;
}

static void
dataset_dir_free (gpointer data)
{
  BsDatasetDir *dir = data;

  g_free (dir->path);
  g_free (dir);
}

static void
add_dir (GPtrArray  *dirs,
         const char *path,
         const char *origin)
{
  g_autofree char *absolute = NULL;
  BsDatasetDir *dir;

  if (path == NULL || *path == '\0')
    return;
  absolute = g_canonicalize_filename (path, NULL);
  for (guint i = 0; i < dirs->len; i++)
    if (strcmp (((BsDatasetDir *) g_ptr_array_index (dirs, i))->path, absolute) == 0)
      return;

  dir = g_new0 (BsDatasetDir, 1);
  dir->path = g_steal_pointer (&absolute);
  dir->origin = origin;
  g_ptr_array_add (dirs, dir);
}

GPtrArray *
bs_dataset_search_dirs (const char *data_dir)
{
  GPtrArray *dirs = g_ptr_array_new_with_free_func (dataset_dir_free);
  g_autofree char *user = g_build_filename (g_get_user_data_dir (), "blockscope", "datasets", NULL);

  add_dir (dirs, data_dir, "--data-dir");
  add_dir (dirs, g_getenv ("BLOCKSCOPE_DATA_DIR"), "BLOCKSCOPE_DATA_DIR");
  add_dir (dirs, user, "XDG_DATA_HOME");
  add_dir (dirs, SYSTEM_DATA_DIR, "system");
  return dirs;
}

/* Quotes a path for a shell command only when it needs it, so the common case reads plainly. */
static char *
maybe_quote (const char *path)
{
  for (const char *p = path; *p; p++)
    if (!g_ascii_isalnum (*p) && strchr ("/._-+~", *p) == NULL)
      return g_shell_quote (path);
  return g_strdup (path);
}

char *
bs_dataset_how_to_get (const BsDatasetInfo *info,
                       const char          *data_dir)
{
  g_autoptr(GPtrArray) dirs = bs_dataset_search_dirs (data_dir);
  g_autofree char *folder = maybe_quote (((BsDatasetDir *) g_ptr_array_index (dirs, 0))->path);
  g_auto(GStrv) parts = g_strsplit (_(info->how_to_get), "@DIR@", -1);

  return g_strjoinv (folder, parts);
}

gboolean
bs_dataset_folder_has (const BsDatasetInfo *info,
                       const char          *folder,
                       char               **missing)
{
  g_autoptr(GString) absent = g_string_new (NULL);

  if (info->files == NULL)
    return FALSE;
  for (guint i = 0; info->files[i] != NULL; i++)
    {
      g_autofree char *path = NULL;

      if (info->format == BS_DATASET_FORMAT_IDX)
        path = bs_idx_find_file (folder, info->files[i]);
      else
        {
          path = g_build_filename (folder, info->files[i], NULL);
          if (!g_file_test (path, G_FILE_TEST_IS_REGULAR))
            g_clear_pointer (&path, g_free);
        }
      if (path == NULL)
        g_string_append_printf (absent, "%s%s%s", absent->len ? ", " : "", info->files[i],
                                info->format == BS_DATASET_FORMAT_IDX ? "[.gz]" : "");
    }

  if (absent->len == 0)
    return TRUE;
  if (missing != NULL)
    *missing = g_string_free (g_steal_pointer (&absent), FALSE);
  return FALSE;
}

char *
bs_dataset_find (const char  *name,
                 const char  *data_dir,
                 GError     **error)
{
  const BsDatasetInfo *info = bs_dataset_info_lookup (name, error);
  g_autoptr(GPtrArray) dirs = NULL;
  g_autoptr(GString) report = NULL;
  g_autofree char *how = NULL;

  if (info == NULL)
    return NULL;
  if (info->format == BS_DATASET_FORMAT_SYNTHETIC)
    {
      g_set_error (error, BS_ERROR, BS_ERROR_INVALID_ARGUMENT,
                   _("the data set '%s' is generated in memory, not read from a folder"), name);
      return NULL;
    }

  dirs = bs_dataset_search_dirs (data_dir);
  report = g_string_new (NULL);
  for (guint d = 0; d < dirs->len; d++)
    {
      const BsDatasetDir *dir = g_ptr_array_index (dirs, d);
      gboolean any_folder = FALSE;

      for (guint f = 0; info->folders[f] != NULL; f++)
        {
          g_autofree char *folder = g_build_filename (dir->path, info->folders[f], NULL);
          g_autofree char *missing = NULL;

          if (!g_file_test (folder, G_FILE_TEST_IS_DIR))
            continue;
          any_folder = TRUE;
          if (bs_dataset_folder_has (info, folder, &missing))
            return g_steal_pointer (&folder);
          g_string_append (report, "\n  ");
          /* Translators: a folder, where it comes from (--data-dir, system, ...)
           * and the files it lacks. */
          g_string_append_printf (report, _("%s (%s): lacks %s"), folder, dir->origin, missing);
        }
      if (!any_folder)
        {
          g_string_append (report, "\n  ");
          if (info->folders[1] == NULL)
            /* Translators: a search folder, where it comes from (--data-dir,
             * system, ...) and the names of the data set's folder in it. */
            g_string_append_printf (report, _("%s (%s): no %s/ folder"), dir->path, dir->origin,
                                    info->folders[0]);
          else
            /* Translators: a search folder, where it comes from (--data-dir,
             * system, ...) and the two names of the data set's folder in it. */
            g_string_append_printf (report, _("%s (%s): no %s/ or %s/ folder"), dir->path,
                                    dir->origin, info->folders[0], info->folders[1]);
        }
    }

  how = bs_dataset_how_to_get (info, data_dir);
  g_set_error (error, BS_ERROR, BS_ERROR_NOT_FOUND,
               /* Translators: the data set's display and short names, the
                * folders searched (one per line), then how to get it. */
               _("data set %s (%s) not found; searched:%s\nTo get it: %s"),
               bs_dataset_info_get_display_name (info), info->name, report->str, how);
  return NULL;
}
