/* bs-weights-guess.h: which ImageNet ResNet a torchvision state dict is for.
 *
 * torchvision's ResNet-50, -101 and -152 differ only in the number of
 * bottleneck blocks of layer3 (6, 23, 36), so the names of a state dict
 * ("layer3.22.conv1.weight") tell them apart without looking at a single
 * weight. The file is read with the importer's readers (bs-pth.h for a zip,
 * bs-safetensors.h otherwise, told apart by content as bs-weights-import.h
 * does); only its names are looked at. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The architecture of the state dict at path ("imagenet-resnet50", -101,
 * -152) in *architecture (free it), or NULL there when the names fit none of
 * them (the caller then asks). FALSE with an error naming the file when it
 * cannot be read as a state dict at all. */
gboolean  bs_weights_import_guess_architecture (const char  *path,
                                                char       **architecture,
                                                GError     **error);

/* The same from names alone: the number of distinct N in "layer3.N.…". */
const char *bs_weights_guess_from_layer3_blocks (guint n_blocks);

G_END_DECLS
