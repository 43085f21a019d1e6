/* test-pth-writer.h: .pth files as torch.save writes a state dict, for tests.
 *
 * A zip archive (stored, not compressed) of archive/data.pkl, a protocol-2
 * pickle that builds an OrderedDict of tensors with
 * torch._utils._rebuild_tensor_v2 from persistent storage references, and
 * archive/data/<i>, each tensor's raw little-endian float32 storage, and
 * archive/version: what PyTorch's zip serialisation writes for a state dict
 * of contiguous float tensors, and nothing else. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct {
  const char   *name;
  guint         ndim;
  const gint64 *shape;
  const float  *data;   /* the product of shape floats */
} TestPthTensor;

void test_pth_write (const char          *path,
                     const TestPthTensor *tensors,
                     guint                n_tensors);

G_END_DECLS
