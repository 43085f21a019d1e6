/* fuzz-run-metrics.c: metrics.jsonl of a run folder (bs-run-metrics), with a valid run.json. */

#include "fuzz-util.h"

#include <string.h>

#include "fuzz-run-input.h"

int
LLVMFuzzerInitialize (int    *argc,
                      char ***argv)
{
  fuzz_run_setup ();
  return 0;
}

int
LLVMFuzzerTestOneInput (const guint8 *data,
                        size_t        size)
{
  fuzz_run_open (fuzz_run_json, strlen (fuzz_run_json), data, size);
  return 0;
}
