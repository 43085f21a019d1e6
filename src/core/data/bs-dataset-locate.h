/* bs-dataset-locate.h: the known data sets and where they are looked for.
 *
 * Search order (the first folder that has every file of a data set wins):
 *   1. the folder given explicitly (--data-dir), if any
 *   2. $BLOCKSCOPE_DATA_DIR, if set and not empty
 *   3. $XDG_DATA_HOME/blockscope/datasets (~/.local/share/blockscope/datasets)
 *   4. /usr/share/datasets (where Debian's dataset-fashion-mnist installs)
 * Inside each, a data set lives in a folder of its own: fashion-mnist/,
 * mnist/, cifar-10-batches-bin/, cifar-100-binary/ (as the archives unpack),
 * or one of the alternative names in the table. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
  BS_DATASET_FORMAT_SYNTHETIC,  /* generated in memory, never on disk */
  BS_DATASET_FORMAT_IDX,        /* train-/t10k- images and labels, plain or .gz */
  BS_DATASET_FORMAT_CIFAR10,
  BS_DATASET_FORMAT_CIFAR100,
} BsDatasetFormat;

typedef struct {
  const char        *name;          /* "fashion-mnist": what --dataset takes */
  const char        *display_name;  /* "Fashion-MNIST"; shown through bs_dataset_info_get_display_name() */
  BsDatasetFormat    format;
  const char *const *folders;       /* folder names tried inside each search folder */
  const char *const *files;         /* files that must all be there (IDX: with or without .gz) */
  guint              n_classes;
  guint              channels;      /* image shape of the official release */
  guint              height;
  guint              width;
  guint              n_train;       /* image counts of the official release */
  guint              n_test;
  const char *const *class_names;   /* built-in names; NULL for "class N" */
  const char        *how_to_get;    /* one sentence, untranslated; "@DIR@" stands for the folder to use */
} BsDatasetInfo;

/* A folder that is searched, and why. */
typedef struct {
  char       *path;
  const char *origin;  /* "--data-dir", "BLOCKSCOPE_DATA_DIR", "XDG_DATA_HOME", "system" */
} BsDatasetDir;

/* Every known data set, in the order to list them; *n_infos receives the count. */
const BsDatasetInfo *bs_dataset_info_list   (guint       *n_infos);
/* The name to show (translated where it is not a proper name: "Synthetic"). */
const char          *bs_dataset_info_get_display_name (const BsDatasetInfo *info);
/* Looks a name up; an unknown name gives BS_ERROR_INVALID_ARGUMENT listing the known ones. */
const BsDatasetInfo *bs_dataset_info_lookup (const char  *name,
                                             GError     **error);

/* The folders searched, in order, without duplicates: a GPtrArray of BsDatasetDir
 * (freed with it). data_dir may be NULL. Relative paths are made absolute. */
GPtrArray  *bs_dataset_search_dirs  (const char          *data_dir);

/* How to get the data set, translated, with the folder to put it in (the
 * first search folder). */
char       *bs_dataset_how_to_get   (const BsDatasetInfo *info,
                                     const char          *data_dir);

/* Checks whether folder holds every file of the data set; if not and
 * missing is not NULL, says what is missing. */
gboolean    bs_dataset_folder_has   (const BsDatasetInfo *info,
                                     const char          *folder,
                                     char               **missing);

/* The folder where the named data set was found first. Otherwise
 * BS_ERROR_NOT_FOUND with a message that lists every folder searched and
 * how to get the data set (BS_ERROR_INVALID_ARGUMENT for an unknown name or
 * for "synthetic", which is generated rather than found). */
char       *bs_dataset_find         (const char          *name,
                                     const char          *data_dir,
                                     GError             **error);

G_END_DECLS
