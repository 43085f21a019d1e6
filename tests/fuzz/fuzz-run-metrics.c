/* fuzz-run-metrics.c: metrics.jsonl of a run folder (bs-run-metrics), with a valid run.json. */

#include "fuzz-util.h"

#include <string.h>

#include "fuzz-run-input.h"

static char *valid_json;

int
LLVMFuzzerInitialize (int    *argc,
                      char ***argv)
{
  fuzz_run_setup (&valid_json, NULL);
  return 0;
}

int
LLVMFuzzerTestOneInput (const guint8 *data,
                        size_t        size)
{
  fuzz_run_open (valid_json, strlen (valid_json), data, size);
  return 0;
}
