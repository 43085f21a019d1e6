/* fuzz-cifar.c: CIFAR-10 and CIFAR-100 binary batch files and class-name lists (bs-cifar).
 *
 * The first byte chooses: bit 0 CIFAR-100, bit 1 the rest cut in two files
 * read as one set (as the five training batches are). The same bytes are
 * also read as a list of class names. */

#include "fuzz-util.h"

#include <glib/gstdio.h>

#include "bs-cifar.h"

int
LLVMFuzzerInitialize (int    *argc,
                      char ***argv)
{
  bs_fuzz_init ();
  return 0;
}

int
LLVMFuzzerTestOneInput (const guint8 *data,
                        size_t        size)
{
  BsCifarKind kind;
  BsImageSet set = { 0 };
  g_autofree char *first = NULL;
  g_autofree char *second = NULL;
  g_auto(GStrv) names = NULL;
  const char *paths[3] = { NULL };
  gsize half;

  bs_fuzz_accepted = FALSE;
  if (size < 1)
    return 0;
  kind = (data[0] & 1) ? BS_CIFAR_100 : BS_CIFAR_10;
  half = (data[0] & 2) ? (size - 1) / 2 : size - 1;
  first = bs_fuzz_write ("data_batch_1.bin", data + 1, half);
  paths[0] = first;
  if (data[0] & 2)
    {
      second = bs_fuzz_write ("data_batch_2.bin", data + 1 + half, size - 1 - half);
      paths[1] = second;
    }
  bs_fuzz_accepted = bs_cifar_read_files (paths, kind, &set, NULL);
  if (bs_fuzz_accepted)
    {
      bs_fuzz_touch (set.pixels, (gsize) set.n_images * bs_image_set_image_size (&set));
      bs_fuzz_touch (set.labels, set.n_images);
      for (guint i = 0; i < set.n_images; i++)
        if (set.labels[i] >= bs_cifar_n_classes (kind))
          __builtin_trap ();
    }
  bs_image_set_clear (&set);

  names = bs_cifar_read_class_names (first, bs_cifar_n_classes (kind));
  if (names != NULL && g_strv_length (names) != bs_cifar_n_classes (kind))
    __builtin_trap ();
  if (second != NULL)
    g_unlink (second);
  return 0;
}
