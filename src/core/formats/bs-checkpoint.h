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
 *   input_mean, input_std
 *                       per-channel normalisation the network expects, JSON
 *                       lists ("[0.485, 0.456, 0.406]"); absent when it
 *                       takes images as they are (bs_model_set_input_normalization)
 *   blockscope_version  the version that wrote the file
 *   global_step         SGD steps taken so far (optional; run checkpoints)
 *   train_loss, train_accuracy, test_loss
 *                       the epoch's other metrics (optional; run checkpoints)
 *
 * A run's checkpoint (bs-run.h) also holds the SGD momentum buffers as F32
 * tensors "optimizer.momentum.<param name>" (the parameter's shape), so that
 * a resumed run continues bit for bit. Loading a model reads them only when
 * asked (info->momentum) and never counts them as the model's; PyTorch's
 * load_state_dict (strict) needs them filtered out:
 *   {k: v for k, v in state.items() if not k.startswith("optimizer.")}
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
  guint64  global_step;    /* 0 when unknown */
  double   train_loss;     /* NaN when unknown */
  double   train_accuracy; /* NaN when unknown */
  double   test_loss;      /* NaN when unknown */
  /* Momentum buffers, one per parameter of the model in bs_model_get_param ()
   * order (NULL for those without one), n_momentum entries. Saving borrows
   * them (the caller keeps them; clear the field before
   * bs_checkpoint_info_clear); loading fills them (when the file has any,
   * else momentum stays NULL) and bs_checkpoint_info_clear frees them. */
  float  **momentum;
  guint    n_momentum;
} BsCheckpointInfo;

/* "optimizer.momentum." */
#define BS_CHECKPOINT_MOMENTUM_PREFIX "optimizer.momentum."

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

/* Starts model, an architecture built for its data and initialised (from a
 * seed), from the weights of the checkpoint at path, as fine-tuning does:
 * every parameter and buffer by name, and the input normalisation. The
 * checkpoint must hold the same architecture for images of as many
 * channels; their size may differ (the networks pool globally). When its
 * class count differs from model's, the head (fc) keeps model's own
 * initialisation and new_head (may be NULL) is set; else it is cleared.
 * On error model is unchanged. */
gboolean bs_checkpoint_init_model (BsModel                *model,
                                   const char             *path,
                                   gboolean               *new_head,
                                   GError                **error);

G_END_DECLS
