/* fuzz-pth.c: PyTorch .pth state dicts (bs-pth): the zip, the restricted pickle, the storages. */

#include "fuzz-util.h"

#include "bs-pth.h"

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
  g_autoptr(GBytes) bytes = g_bytes_new (data, size);
  g_autoptr(BsPth) pth = bs_pth_load_from_data ("fuzz.pth", bytes, NULL);

  bs_fuzz_accepted = pth != NULL;
  if (pth == NULL)
    return 0;
  for (guint i = 0; i < bs_pth_get_n_tensors (pth); i++)
    {
      const BsTensorView *view = bs_pth_get_nth (pth, i);

      bs_fuzz_touch (view->data, view->n_bytes);
      if (bs_pth_get (pth, view->name) == NULL)
        __builtin_trap ();
    }
  return 0;
}
