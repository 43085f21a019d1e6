/* fuzz-checkpoint.c: whole checkpoints (bs-checkpoint): safetensors, metadata, the model they name. */

#include "fuzz-util.h"

#include "bs-checkpoint.h"
#include "bs-model.h"

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
  g_autofree char *path = bs_fuzz_write ("fuzz.safetensors", data, size);
  BsCheckpointInfo info;
  BsModel *model;

  bs_checkpoint_info_init (&info);
  model = bs_checkpoint_load (path, &info, NULL);
  bs_fuzz_accepted = model != NULL;
  if (model != NULL)
    bs_model_free (model);
  bs_checkpoint_info_clear (&info);
  return 0;
}
