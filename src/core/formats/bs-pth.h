/* bs-pth.h: PyTorch state dicts saved with torch.save (.pth, .pt), read safely.
 *
 * Since PyTorch 1.6 such a file is a zip archive (read with libarchive):
 * <name>/data.pkl, a pickle that builds a dict (usually an OrderedDict) of
 * tensors, and <name>/data/<key>, the raw little-endian storages the
 * tensors point into. The pickle is read by a small interpreter written for
 * this purpose, never by executing it: it knows only the opcodes a state
 * dict needs and the globals PyTorch's weights_only=True loader allows for
 * one (collections.OrderedDict, torch._utils._rebuild_tensor_v2 and
 * _rebuild_parameter, the torch.*Storage types); anything else, a pickle
 * nested deeper than a state dict is, truncated, or larger than its file
 * could hold, a storage shorter than a tensor claims, a dtype other than
 * float32, float64 and int64, is a BS_ERROR_FORMAT error naming the file and
 * the problem. The legacy format (before 1.6, not a zip) is refused with a
 * message that says so. */
#pragma once

#include <glib.h>

#include "bs-safetensors.h"

G_BEGIN_DECLS

typedef struct _BsPth BsPth;

BsPth              *bs_pth_load          (const char  *path,
                                          GError     **error);
void                bs_pth_free          (BsPth       *pth);

/* The tensors in the dict's order, contiguous and owned by pth. */
guint               bs_pth_get_n_tensors (BsPth       *pth);
const BsTensorView *bs_pth_get_nth       (BsPth       *pth,
                                          guint        index);
const BsTensorView *bs_pth_get           (BsPth       *pth,
                                          const char  *name);

/* Reads a state dict from the bytes of a zip archive already in memory
 * (what bs_pth_load does after reading the file); path names it in messages. */
BsPth              *bs_pth_load_from_data (const char  *path,
                                           GBytes      *data,
                                           GError     **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (BsPth, bs_pth_free)

G_END_DECLS
