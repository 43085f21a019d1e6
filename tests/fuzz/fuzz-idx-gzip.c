/* fuzz-idx-gzip.c: IDX files gzip-compressed by the harness (bs-idx), so that mutations
 * reach the IDX parser behind the stream: one or two members, trailing bytes or not. */

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
  fuzz_idx_run (data, size, TRUE);
  return 0;
}
