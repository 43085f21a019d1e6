/* fuzz-cka-shard.c: CKA shards, .bscka (bs-cka-shard): the file, its run JSON, a merge. */

#include "fuzz-util.h"

#include "bs-cka-shard.h"

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
  g_autofree char *path = bs_fuzz_write ("fuzz.bscka", data, size);
  g_autoptr(BsCkaShard) shard = bs_cka_shard_load (path, NULL);
  BsCkaJobOptions options;
  const char *dataset = NULL;
  guint n_examples = 0;
  BsCkaShard *shards[1];
  BsCkaSnapshot *merged;
  guint missing = 0;

  bs_fuzz_accepted = shard != NULL;
  if (shard == NULL)
    return 0;
  bs_cka_shard_get_options (shard, &options, &dataset, &n_examples);
  if (bs_cka_shard_get_index (shard) >= bs_cka_shard_get_n_shards (shard))
    __builtin_trap ();
  /* The others missing: a partial merge of this one, as cka-merge --partial does. */
  shards[0] = shard;
  merged = bs_cka_shards_merge (shards, 1, TRUE, &missing, NULL);
  if (merged != NULL)
    bs_cka_snapshot_unref (merged);
  return 0;
}
