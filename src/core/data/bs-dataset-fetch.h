/* bs-dataset-fetch.h: downloading a data set into a data folder.
 *
 * CIFAR-10 and CIFAR-100 come as one tar.gz each, MNIST as four IDX .gz
 * files. Every file is checked against its MD5 before it is used; archives
 * are unpacked into a temporary folder inside the data folder
 * (.blockscope-download-XXXXXX) and the data set's folder is renamed into
 * place only when it is complete, where bs_dataset_find() looks for it. Any
 * failure or a cancel removes what the download made (the temporary folder,
 * and the data folder itself when the download created it), so the data
 * folder is exactly as before.
 *
 * Addresses and checksums are the official ones unless the environment says
 * otherwise (for mirrors and tests):
 *   BLOCKSCOPE_CIFAR10_URL, BLOCKSCOPE_CIFAR100_URL   the archive's address
 *   BLOCKSCOPE_MNIST_URL                             a folder holding the four files
 *   BLOCKSCOPE_CIFAR10_MD5, BLOCKSCOPE_CIFAR100_MD5  the archive's MD5
 *   BLOCKSCOPE_MNIST_MD5                             four MD5s, comma-separated, in the
 *                                                    order train-images, train-labels,
 *                                                    t10k-images, t10k-labels */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef enum {
  BS_DATASET_FETCH_DOWNLOAD,  /* done/total: bytes of the current file */
  BS_DATASET_FETCH_UNPACK,    /* done/total: compressed bytes of the archive read */
} BsDatasetFetchStage;

/* file: the name of the file downloaded or unpacked; index of n_files. */
typedef void (*BsDatasetFetchProgress) (BsDatasetFetchStage  stage,
                                        const char          *file,
                                        guint                index,
                                        guint                n_files,
                                        guint64              done,
                                        guint64              total,
                                        double               bytes_per_second,
                                        gpointer             user_data);

typedef struct _BsDatasetSource BsDatasetSource;

/* Whether the named data set can be downloaded (cifar10, cifar100, mnist). */
gboolean         bs_dataset_can_download     (const char         *name);
/* The names that can, NULL-terminated (static). */
const char *const *bs_dataset_download_names (void);

/* Where to get the named data set: the official addresses and checksums,
 * or those of the environment variables above. An unknown name, a data set
 * that cannot be downloaded or a malformed checksum in the environment
 * give BS_ERROR_INVALID_ARGUMENT. */
BsDatasetSource *bs_dataset_source_new       (const char         *name,
                                              GError            **error);
/* The same with url (NULL: the default) and md5s (comma-separated, one per
 * file; NULL: the defaults) given, ignoring the environment. */
BsDatasetSource *bs_dataset_source_new_with  (const char         *name,
                                              const char         *url,
                                              const char         *md5s,
                                              GError            **error);
void             bs_dataset_source_free      (BsDatasetSource    *source);
/* The archive's address, or MNIST's folder address. */
const char      *bs_dataset_source_get_url   (const BsDatasetSource *source);
/* The approximate size of the official download in bytes. */
guint64          bs_dataset_source_get_size  (const BsDatasetSource *source);
/* The environment variables that override the address and the checksum. */
const char      *bs_dataset_source_get_url_variable (const BsDatasetSource *source);
const char      *bs_dataset_source_get_md5_variable (const BsDatasetSource *source);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (BsDatasetSource, bs_dataset_source_free)

/* The folder to download into when none is given: the first folder that
 * bs_dataset_search_dirs() lists (BLOCKSCOPE_DATA_DIR, else
 * $XDG_DATA_HOME/blockscope/datasets). */
char            *bs_dataset_fetch_default_dir (const char        *data_dir);

/* Downloads the data set into data_dir (NULL: bs_dataset_fetch_default_dir())
 * and returns the data set's folder. When bs_dataset_find() already finds
 * the data set (in any search folder), nothing is downloaded, *already is
 * set (if not NULL) and its folder returned. A folder of the data set's
 * name that exists but is incomplete is an error (it is never replaced).
 * Blocking: call it on a worker thread in an application. */
char            *bs_dataset_fetch            (const BsDatasetSource   *source,
                                              const char              *data_dir,
                                              BsDatasetFetchProgress   progress,
                                              gpointer                 user_data,
                                              gboolean                *already,
                                              GCancellable            *cancellable,
                                              GError                 **error);

G_END_DECLS
