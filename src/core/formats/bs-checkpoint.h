/* bs-checkpoint.h: models saved as safetensors with Blockscope metadata.
 *
 * A checkpoint holds every parameter and buffer of a model under its
 * torchvision name (F32), plus "<bn>.num_batches_tracked" (I64 scalar) for
 * every batch-norm layer, so that PyTorch's load_state_dict accepts it. The
 * __metadata__ map holds strings:
 *   architecture        model name ("resnet20"), as bs_model_new takes it
 *   input_shape         "[1, 28, 28]" (channels, height, width)
 *   classes             "10"
 *   class_names         JSON list of names (optional)
 *   dataset             data set name ("fashion-mnist"; optional)
 *   epoch               completed training epochs
 *   accuracy            test accuracy in [0, 1] after that epoch (optional)
 *   seed                the training seed
 *   recipe              JSON object of the training settings (optional)
 *   blockscope_version  the version that wrote the file
 *
 * Loading builds the model the metadata names and checks that the file has
 * exactly its tensors, with the right shapes and dtypes; any difference is an
 * error that names the file and the tensor. Saving is atomic. */
#pragma once

#include <glib.h>

#include "bs-model.h"

G_BEGIN_DECLS

typedef struct {
  char    *architecture;
  guint    channels;
  guint    height;
  guint    width;
  guint    n_classes;
  char   **class_names;   /* NULL-terminated, or NULL */
  char    *dataset;       /* or NULL */
  guint    epoch;
  double   accuracy;      /* NaN when unknown */
  guint64  seed;
  char    *recipe;        /* JSON text, or NULL */
  char    *version;
} BsCheckpointInfo;

/* Sets every field to "unknown" (NULL, 0, NaN). */
void     bs_checkpoint_info_init  (BsCheckpointInfo       *info);
void     bs_checkpoint_info_clear (BsCheckpointInfo       *info);

/* Saves model with the training details of info (architecture, input shape
 * and classes are taken from the model; version from this build). info may
 * be NULL. */
gboolean bs_checkpoint_save       (BsModel                *model,
                                   const BsCheckpointInfo *info,
                                   const char             *path,
                                   GError                **error);

/* Loads a checkpoint into a new model; info (may be NULL) receives the
 * metadata and must be cleared with bs_checkpoint_info_clear. */
BsModel *bs_checkpoint_load       (const char             *path,
                                   BsCheckpointInfo       *info,
                                   GError                **error);

G_END_DECLS
