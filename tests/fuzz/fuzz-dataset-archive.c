/* fuzz-dataset-archive.c: downloaded archives unpacked as bs_dataset_fetch does (bs-dataset-fetch).
 *
 * The first byte chooses: bit 0 the rest is gzip-compressed by the harness
 * (the tar.gz of CIFAR), so that mutations reach the tar reader behind
 * the stream; otherwise the rest is the file as it is (libarchive also
 * reads a plain tar, and the input may itself be gzip). What unpacked is
 * then checked as a CIFAR-10 folder, and removed. */

#include "fuzz-util.h"

#include "bs-dataset-fetch-private.h"
#include "bs-dataset-locate.h"

static const BsDatasetInfo *cifar10;

int
LLVMFuzzerInitialize (int    *argc,
                      char ***argv)
{
  bs_fuzz_init ();
  cifar10 = bs_dataset_info_lookup ("cifar10", NULL);
  if (cifar10 == NULL)
    abort ();
  return 0;
}

int
LLVMFuzzerTestOneInput (const guint8 *data,
                        size_t        size)
{
  g_autofree char *archive = NULL;
  g_autofree char *folder = g_build_filename (bs_fuzz_dir (), "unpacked", NULL);

  bs_fuzz_accepted = FALSE;
  if (size < 1)
    return 0;
  if (data[0] & 1)
    {
      g_autoptr(GBytes) gz = bs_fuzz_gzip (data + 1, size - 1);

      archive = bs_fuzz_write ("cifar-10-binary.tar.gz", g_bytes_get_data (gz, NULL), g_bytes_get_size (gz));
    }
  else
    archive = bs_fuzz_write ("cifar-10-binary.tar.gz", data + 1, size - 1);

  bs_fuzz_accepted = bs_dataset_fetch_unpack (archive, folder, NULL, NULL);
  if (bs_fuzz_accepted)
    {
      g_autofree char *cifar_folder = g_build_filename (folder, "cifar-10-batches-bin", NULL);
      g_autofree char *missing = NULL;

      bs_dataset_folder_has (cifar10, cifar_folder, &missing);
    }
  bs_fuzz_remove_tree (folder);
  return 0;
}
