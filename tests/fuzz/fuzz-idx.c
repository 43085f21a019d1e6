/* fuzz-idx.c: IDX files as they are (MNIST, Fashion-MNIST; bs-idx): images, labels, splits. */

#include "fuzz-util.h"

#include "fuzz-idx-input.h"

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
  fuzz_idx_run (data, size, FALSE);
  return 0;
}
