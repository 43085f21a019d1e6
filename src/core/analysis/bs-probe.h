/* bs-probe.h: linear probes: how much of the class a linear classifier reads off a layer.
 *
 * Section 5 of Nguyen, Raghu and Kornblith (2021): a linear classifier is
 * trained on the flattened activations of each block output, and of the
 * batch norm before it; accuracy rises through the network and stays flat
 * inside a block. What is done here, exactly:
 *
 * Layers. "residual" (the default): every block output (BsLayerInfo
 * .block_output: the ReLU after the residual add), the stem's last ReLU, and
 * for each of them the nearest batch norm before it in the same stage and
 * block (bn2 of a basic block, bn3 of a bottleneck, bn1 of the stem): 20
 * layers for ResNet-20. "all": every layer but the input and the logits. A
 * pattern: the layers whose name it matches (GRegex, unanchored).
 *
 * Features. A layer's output per image, flattened (channel, row, column);
 * when it is larger than 8 x 8 spatially, 2 x 2 max-pooled with stride 2
 * first (as the paper does; an odd last row or column is dropped). Each
 * dimension is standardised with the mean and standard deviation of the
 * fitting images (a constant dimension becomes 0) and divided by sqrt(F),
 * F the number of dimensions, so that one step moves the logits about
 * equally for every layer.
 *
 * Images. train_images (default 5,000) images drawn from the training
 * split (a permutation from seed), of which the last
 * validation_fraction (default 0.2) are held out for validation and the
 * others fit the classifier; the first test_images images of the test split
 * (0: all) measure it. The network runs in evaluation mode (running
 * statistics) on pixels / 255, without augmentation.
 *
 * Classifier. Multinomial logistic regression with a bias: softmax of
 * x W + b, mean cross-entropy plus l2 / 2 * ||W||^2 (not the bias), fitted
 * by Adam (learning rate lr, betas 0.9 and 0.999, epsilon 1e-8) on
 * minibatches of batch_size fitting images in a fresh order every epoch
 * (from seed), W and b starting at zero, for epochs epochs; the products
 * are single-precision BLAS, the softmax and its sums in double.
 *
 * Model choice. After every epoch of every l2 candidate the accuracies on
 * the fitting, validation and test images are measured; the reported
 * classifier is the (l2, epoch) with the highest validation accuracy (ties:
 * the smaller l2, then the earlier epoch), and its test accuracy is the
 * one reported. The test images play no part in the choice: the authors'
 * released code reports the best test accuracy over epochs, which is
 * optimistic (a maximum over noisy estimates on the very set it reports).
 *
 * Speed. Features of as many layers as fit memory_limit bytes are gathered
 * in one forward pass over the images; the classifiers of different layers
 * are fitted in parallel, one per thread of the pool (each with
 * single-threaded BLAS), so a layer's result does not depend on the number
 * of threads. */
#pragma once

#include <gio/gio.h>

#include "bs-dataset.h"
#include "bs-engine-config.h"
#include "bs-layer-info.h"
#include "bs-model.h"

G_BEGIN_DECLS

#define BS_PROBE_MAX_L2 4

typedef enum {
  BS_PROBE_LAYERS_RESIDUAL,   /* block outputs and the batch norms before them */
  BS_PROBE_LAYERS_ALL,        /* every layer but the input and the logits */
  BS_PROBE_LAYERS_PATTERN,    /* names matching layer_pattern */
} BsProbeLayers;

typedef struct {
  /* The network: model (borrowed; it runs on the probe's pool, its own is
   * restored afterwards, and its tap mask is cleared) or else spec (a name or checkpoint, bs-model-spec.h,
   * a name initialised from init_seed). */
  BsModel              *model;
  const char           *spec;
  guint64               init_seed;
  /* The images: dataset (borrowed; needs both splits) or else dataset_name
   * loaded from data_dir (may be NULL). */
  BsDataset            *dataset;
  const char           *dataset_name;
  const char           *data_dir;

  BsProbeLayers         layers;
  const char           *layer_pattern;

  guint                 train_images;         /* fitting + validation, default 5000 (0: all) */
  double                validation_fraction;  /* default 0.2, in (0, 1) */
  guint                 test_images;          /* default 0: the whole test split */
  guint                 epochs;               /* default 30 */
  guint                 batch_size;           /* of the classifier's steps, default 128 */
  double                lr;                   /* Adam's step, default 1e-2 */
  double                l2[BS_PROBE_MAX_L2];  /* the candidates, default 1e-4 and 1e-3 */
  guint                 n_l2;
  guint64               seed;                 /* image draw, validation split, step order */
  gsize                 memory_limit;         /* bytes of features gathered at once, default 1 GiB */

  const BsEngineConfig *engine;               /* NULL: the defaults */
  guint                 threads;              /* 0: the engine configuration's */
} BsProbeOptions;

typedef struct {
  BsLayerInfo info;             /* the layer (its name owned by the result) */
  guint       tap_index;        /* in the model's layer list */
  guint       features;         /* dimensions after pooling */
  gboolean    pooled;           /* 2 x 2 max-pooled */
  double      train_accuracy;   /* on the fitting images, in [0, 1] */
  double      validation_accuracy;
  double      test_accuracy;
  guint       epoch;            /* the chosen epoch, from 1 */
  double      l2;               /* the chosen l2 */
} BsProbeResult;

/* How many images a run used. */
typedef struct {
  guint fit;          /* training images the classifiers were fitted on */
  guint validation;   /* training images held out to choose the epoch and l2 */
  guint test;         /* test images the reported accuracy is measured on */
} BsProbeCounts;

typedef enum {
  BS_PROBE_STAGE_FEATURES,      /* running the network over the images */
  BS_PROBE_STAGE_FITTING,       /* fitting classifiers */
} BsProbeStage;

/* Progress: done of total units of the stage (images of the current forward
 * pass; layers fitted). result is the layer just fitted (borrowed), or
 * NULL. Called on the caller's thread during the forward passes and from
 * the pool's threads, one call at a time, while fitting. */
typedef void (*BsProbeProgress) (BsProbeStage         stage,
                                 guint                done,
                                 guint                total,
                                 const BsProbeResult *result,
                                 gpointer             user_data);

void    bs_probe_options_init  (BsProbeOptions   *options);

/* The layers the options select, as tap indices in network order; a
 * pattern that matches nothing is BS_ERROR_NOT_FOUND. */
GArray *bs_probe_select_layers (BsModel          *model,
                                BsProbeLayers     layers,
                                const char       *pattern,
                                GError          **error);

/* Probes every selected layer. Returns a GArray of BsProbeResult in network
 * order (its clear function frees the names), or NULL with an error: bad
 * options (BS_ERROR_INVALID_ARGUMENT), a model and data set that do not fit
 * (BS_ERROR_MISMATCH), too few images, G_IO_ERROR_CANCELLED. counts (may
 * be NULL) receives the numbers of images used. */
GArray *bs_probe_run           (const BsProbeOptions *options,
                                BsProbeProgress       progress,
                                gpointer              user_data,
                                BsProbeCounts        *counts,
                                GCancellable         *cancellable,
                                GError              **error);

/* The classifier alone, on features already standardised (n x f row-major
 * floats, labels < n_classes): Adam as above for epochs epochs from zero;
 * W (f x n_classes row-major) and b (n_classes) receive the result. For
 * tests and for callers with features of their own. */
void    bs_probe_fit           (const float      *x,
                                const guint8     *labels,
                                guint             n,
                                guint             f,
                                guint             n_classes,
                                const BsProbeOptions *options,
                                double            l2,
                                float            *weights,
                                float            *bias);

G_END_DECLS
