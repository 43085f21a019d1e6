/* fuzz-safetensors.c: safetensors files (bs-safetensors): header, tensors, metadata. */

#include "fuzz-util.h"

#include "bs-safetensors.h"

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
  g_autoptr(BsSafetensors) st = bs_safetensors_load (path, NULL);
  g_autofree const char **keys = NULL;

  bs_fuzz_accepted = st != NULL;
  if (st == NULL)
    return 0;
  for (guint i = 0; i < bs_safetensors_get_n_tensors (st); i++)
    {
      const BsTensorView *view = bs_safetensors_get_nth (st, i);

      bs_fuzz_touch (view->data, view->n_bytes);
      if (bs_safetensors_get (st, view->name) == NULL)
        __builtin_trap ();
      bs_safetensors_get_f32 (st, view->name, view->n_elements, NULL);
    }
  keys = bs_safetensors_list_metadata (st);
  for (guint i = 0; keys != NULL && keys[i] != NULL; i++)
    bs_safetensors_get_metadata (st, keys[i]);
  return 0;
}
