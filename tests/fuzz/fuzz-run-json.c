/* fuzz-run-json.c: run.json of a run folder (bs-run-json), with a valid metrics.jsonl. */

#include "fuzz-util.h"

#include <string.h>

#include "fuzz-run-input.h"

static char *valid_metrics;

int
LLVMFuzzerInitialize (int    *argc,
                      char ***argv)
{
  fuzz_run_setup (NULL, &valid_metrics);
  return 0;
}

int
LLVMFuzzerTestOneInput (const guint8 *data,
                        size_t        size)
{
  fuzz_run_open (data, size, valid_metrics, strlen (valid_metrics));
  return 0;
}
