/* bs-weights-import.h: torchvision-style weights into a Blockscope model.
 *
 * Reads a state dict from PyTorch's .pth (bs-pth.h) or from safetensors
 * (as timm and torchvision publish them; told apart by content, not by
 * name) and copies it into a model whose parameters carry the same names.
 * Every parameter and buffer of the model must be in the file with its
 * shape (float32, or float64 converted); "<bn>.num_batches_tracked" may be
 * there or not; anything else in the file is an error. Each mismatch is a
 * BS_ERROR_MISMATCH that names the parameter. */
#pragma once

#include <glib.h>

#include "bs-model.h"

G_BEGIN_DECLS

gboolean  bs_weights_import        (BsModel     *model,
                                    const char  *path,
                                    GError     **error);

/* Builds the named architecture (bs_model_new) for images of the given
 * shape with as many classes as the file's fc.weight has rows, and imports
 * the file into it. An ImageNet architecture ("imagenet-resnet50") for RGB
 * images gets the input normalisation its weights were trained with
 * (ImageNet's mean 0.485, 0.456, 0.406 and std 0.229, 0.224, 0.225), which
 * its checkpoint then carries. */
BsModel  *bs_weights_import_model  (const char  *path,
                                    const char  *architecture,
                                    guint        channels,
                                    guint        height,
                                    guint        width,
                                    GError     **error);

G_END_DECLS
