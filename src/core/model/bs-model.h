/* bs-model.h: ResNets for images, forward and backward on the CPU.
 *
 * Model names:
 *   "resnet<D>"        the paper's CIFAR ResNet v1, depth D = 6n + 2, width 1
 *   "resnet<D>x<K>"    the same with width multiplier K (16K, 32K, 64K channels)
 *   "imagenet-resnet50", "-101", "-152"
 *                      torchvision's bottleneck ResNet (v1.5: stride on the 3x3),
 *                      7x7 stride-2 stem and 3x3 stride-2 max-pool
 *
 * Parameters carry torchvision-style names ("conv1.weight", "layer1.0.bn1.running_var",
 * "layer2.0.downsample.0.weight", "fc.bias"), so checkpoints load in PyTorch.
 *
 * Activations inside the engine are channel-major with the batch inside each
 * channel: element (c, n, y, x) of a batch of B lives at
 *   ((c * B + n) * height + y) * width + x.
 * Taps see them in that layout. */
#pragma once

#include <glib.h>

#include "bs-layer-info.h"
#include "bs-thread-pool.h"

G_BEGIN_DECLS

typedef struct _BsModel BsModel;

/* Called for each layer output during a forward pass, in network order.
 * activation is read-only and valid only during the call. Taps run on the
 * thread that called bs_model_forward(), with OpenBLAS single-threaded (see
 * bs_blas_guard_enter()): parallel work belongs on the model's pool. */
typedef void (*BsTapFunc) (const BsLayerInfo *info,
                           guint              tap_index,
                           const float       *activation,
                           guint              batch,
                           gpointer           user_data);

typedef struct {
  const char  *name;        /* "layer1.0.conv1.weight" */
  guint        ndim;
  gint64       shape[4];
  gsize        n_elements;
  float       *data;
  float       *grad;        /* NULL for buffers (running statistics) */
  gboolean     decay;       /* weight decay applies (conv and fc weights and biases, bn affine) */
} BsParam;

/* Checks the name and builds the architecture with uninitialised parameters. */
BsModel           *bs_model_new                 (const char      *name,
                                                 guint            in_channels,
                                                 guint            in_height,
                                                 guint            in_width,
                                                 guint            n_classes,
                                                 GError         **error);
void               bs_model_free                (BsModel         *model);

/* The architecture without the memory of its weights: only its name, its
 * parameters' names and shapes (bs_model_get_n_params (), bs_model_get_param ():
 * data and grad are NULL) and freeing it. Readers check a file's tensors
 * against it before they build the model (a 1,000,000-class head is 256 MB). */
BsModel           *bs_model_new_description     (const char      *name,
                                                 guint            in_channels,
                                                 guint            in_height,
                                                 guint            in_width,
                                                 guint            n_classes,
                                                 GError         **error);

/* A model of the same architecture with a copy of every parameter and buffer
 * (and the batch count): a frozen copy that a CKA job can run while the
 * original trains on. It has no tap mask and runs on a one-thread pool of
 * the original's engine configuration until it is given one. */
BsModel           *bs_model_copy                (BsModel         *model);

/* What the model is. */
const char        *bs_model_get_name            (BsModel         *model);
guint              bs_model_get_n_classes       (BsModel         *model);

/* Every tappable layer output, in forward order (index = tap_index). */
guint              bs_model_get_n_layers        (BsModel         *model);
const BsLayerInfo *bs_model_get_layer           (BsModel         *model,
                                                 guint            index);

/* Parameters and buffers, in checkpoint order. */
guint              bs_model_get_n_params        (BsModel         *model);
BsParam           *bs_model_get_param           (BsModel         *model,
                                                 guint            index);
BsParam           *bs_model_find_param          (BsModel         *model,
                                                 const char      *name);

/* Number of trainable scalars (PyTorch's sum of p.numel() over parameters()). */
gsize              bs_model_count_trainable     (BsModel         *model);

/* BN's num_batches_tracked, saved as an I64 scalar per BN layer. */
gint64             bs_model_get_batches_tracked (BsModel         *model);
void               bs_model_set_batches_tracked (BsModel         *model,
                                                 gint64           value);

/* What the network expects of its input: images are normalised per channel
 * to (x - mean_c) / std_c at the start of every forward pass, as
 * torchvision's Normalize does before an ImageNet network. mean and std hold
 * one value per input channel (std > 0); NULL mean takes inputs as they
 * are (the default, and what networks trained here from scratch use). Part
 * of the weights: checkpoints, bs_model_copy () and bs_model_copy_params ()
 * carry it. Taps see the normalised input as layer 0. */
void               bs_model_set_input_normalization (BsModel     *model,
                                                     const float *mean,
                                                     const float *std);
/* FALSE when inputs are taken as they are; else mean and std (each may be
 * NULL) receive one value per input channel. */
gboolean           bs_model_get_input_normalization (BsModel     *model,
                                                     float       *mean,
                                                     float       *std);
guint              bs_model_get_in_channels     (BsModel         *model);

/* He (Kaiming) normal initialisation for convolutions, PyTorch defaults elsewhere. */
void               bs_model_init_params         (BsModel         *model,
                                                 guint64          seed);

/* Copies every parameter and buffer of src into dest, a model of the same
 * architecture (BS_ERROR_MISMATCH otherwise): a snapshot of a training
 * model's weights without building a new model. */
gboolean           bs_model_copy_params         (BsModel         *dest,
                                                 BsModel         *src,
                                                 GError         **error);

/* Runs on a new pool of n_threads threads (>= 1) with the engine
 * configuration of its pool so far. */
void               bs_model_set_threads         (BsModel         *model,
                                                 guint            n_threads);
guint              bs_model_get_threads         (BsModel         *model);

/* The model's threads: a pool that others (the other model of a CKA job,
 * its Gram workspace) may share, so that one set of threads stays busy
 * from layer to Gram to layer. set_pool takes a reference; get_pool's
 * result is owned by the model. */
void               bs_model_set_pool            (BsModel         *model,
                                                 BsThreadPool    *pool);
BsThreadPool      *bs_model_get_pool            (BsModel         *model);

/* A promise that nothing writes the parameters until the next call with
 * FALSE (a CKA job on a model of its own, the timed evaluations of a
 * benchmark). Evaluation keeps the weights of some convolutions in another
 * form (Winograd's transform, the dense matrix of a tiny map) and compares
 * the weights with those the form was made from before every use, a read
 * of every weight per pass; while frozen it compares once per freeze. */
void               bs_model_set_params_frozen   (BsModel         *model,
                                                 gboolean         frozen);

/* Only layers whose mask entry is TRUE are passed to taps (n_layers entries,
 * copied); NULL taps every layer. Untapped layers let the engine fuse more. */
void               bs_model_set_tap_mask        (BsModel         *model,
                                                 const gboolean  *mask);

/* Forward pass of a batch of images (NCHW floats). training selects batch
 * statistics (and updates running statistics) versus running statistics.
 * Returns logits, batch x n_classes row-major, owned by the model and valid
 * until the next call. tap may be NULL. In evaluation mode without backward,
 * activations are not all kept alive. */
const float       *bs_model_forward             (BsModel         *model,
                                                 const float     *images,
                                                 guint            batch,
                                                 gboolean         training,
                                                 BsTapFunc        tap,
                                                 gpointer         user_data);

/* The same, or NULL with an error when memory for the pass's activations
 * and working buffers cannot be had (a limit on the address space, a batch
 * too large): the message names the model, the batch and the sizes. The
 * model stays usable (with a smaller batch). bs_model_forward () aborts
 * instead: for tests and sizes known to fit. */
const float       *bs_model_try_forward         (BsModel         *model,
                                                 const float     *images,
                                                 guint            batch,
                                                 gboolean         training,
                                                 BsTapFunc        tap,
                                                 gpointer         user_data,
                                                 GError         **error);

/* The per-channel scales a_c of layer `layer` when it is an evaluation-mode
 * batch norm of layer `input` (y_c = a_c x_c + b_c): FALSE otherwise.
 * scale: one float per channel. */
gboolean           bs_model_get_eval_scale      (BsModel         *model,
                                                 guint            layer,
                                                 guint            input,
                                                 float           *scale);

/* Mean softmax cross-entropy of the last forward pass against labels; also
 * stores d(loss)/d(logits) for bs_model_backward. */
float              bs_model_loss                (BsModel         *model,
                                                 const guint8    *labels);

/* Backward pass of the last training forward: writes every param->grad. */
void               bs_model_backward            (BsModel         *model);
/* The same, or FALSE with an error as bs_model_try_forward () gives when
 * memory for the gradients cannot be had (the weights' gradients are then
 * incomplete: do not step). */
gboolean           bs_model_try_backward        (BsModel         *model,
                                                 GError         **error);

/* Bytes the engine holds for activations, gradients and scratch now (not
 * the parameters, nor evaluation's transformed copies of them); peak
 * (may be NULL) receives the most it held since creation or the last release. */
gsize              bs_model_get_memory_bytes    (BsModel         *model,
                                                 gsize           *peak);

/* Frees cached activation buffers and scratch (they are reallocated on demand). */
void               bs_model_release_memory      (BsModel         *model);


G_DEFINE_AUTOPTR_CLEANUP_FUNC (BsModel, bs_model_free)

G_END_DECLS
