/* bs-cka-job.h: the whole minibatch-CKA protocol as one job, shared by the CLI and the window.
 *
 * A job compares every selected layer of model A (rows) with every selected
 * layer of model B (columns) on the test split of a data set, following the
 * paper (Nguyen, Raghu, Kornblith 2021, Eq. 2 and 3):
 *
 *  - each pass over the test images (or the first `limit` of them) is a new
 *    permutation drawn from `seed` (BsRng stream = pass number), cut into
 *    minibatches of `batch_size` as bs-cka-protocol.h counts them (a short
 *    last minibatch of a pass is dropped);
 *  - models A and B run forward (evaluation mode) on the same minibatch; each
 *    selected layer's n x n Gram matrix is formed inside the tap as soon as
 *    the layer's output exists (activations are never kept), U-centred in
 *    double precision (or centred with H for the biased estimator) and every
 *    layer pair is accumulated with one matrix product (bs-cka-accumulator.h);
 *  - after every minibatch the callback receives a new immutable snapshot.
 *
 * When A and B are the same model (the same BsModel, or the same spec and
 * initialisation seed) the network runs once per minibatch and its Grams are
 * used for both sides; the matrix is then exactly symmetric.
 *
 * Instead of models, a job can read activations saved by any framework:
 * two folders of .npy files (one per layer, first axis = examples, layers in
 * file-name order); examples are then taken in file order (no shuffling, one
 * pass), in consecutive minibatches of batch_size, a short last one dropped.
 *
 * The Gram of a batch norm that follows a convolution is derived from the
 * convolution's per-channel Grams (bs_gram_triangles_from_cnhw() in
 * bs-gram.h); BsEngineConfig.cka_direct_grams forms every Gram directly
 * instead (for comparisons).
 *
 * Threads: bs_cka_job_run() blocks; call it from a worker thread. The job
 * runs on a thread pool of its own, made from the options' engine
 * configuration, each thread calling BLAS single-threaded (the job holds
 * bs_blas_guard_enter() while it runs). Several jobs may run at once in one
 * process, each on its own thread. The models a job is given must not be
 * used by anyone else while it runs (a training model: give the job a
 * bs_model_copy()); it sets their tap mask to the selected layers and
 * clears it (NULL) when done, and gives them back their pool. */
#pragma once

#include <gio/gio.h>

#include "bs-cka-snapshot.h"
#include "bs-dataset.h"
#include "bs-engine-config.h"
#include "bs-layer-info.h"
#include "bs-model.h"

G_BEGIN_DECLS

typedef enum {
  BS_CKA_LAYERS_ALL,       /* every tappable layer output, as in the paper */
  BS_CKA_LAYERS_RESIDUAL,  /* only the outputs of residual blocks (BsLayerInfo.block_output) */
  BS_CKA_LAYERS_PATTERN,   /* layers whose name matches layer_pattern (GRegex, unanchored) */
} BsCkaLayerSelection;

/* Parameters of a job. Initialise with bs_cka_job_options_init(), then set
 * what differs. Pointers are borrowed for the duration of bs_cka_job_run(). */
typedef struct {
  /* Model A: either model_a (borrowed, not freed), or spec_a, a checkpoint
   * path or a model name such as "resnet20" (built with
   * bs_model_spec_build and, for a name, initialised from init_seed_a).
   * spec_a is also what the snapshot records as model_a; when model_a is
   * given and spec_a is NULL, the model's name is recorded. */
  BsModel              *model_a;
  const char           *spec_a;
  guint64               init_seed_a;
  /* Model B, the same way. model_b == NULL and spec_b == NULL: B is A. */
  BsModel              *model_b;
  const char           *spec_b;
  guint64               init_seed_b;

  /* The data: dataset (borrowed, a reference is taken) or dataset_name
   * loaded with bs_dataset_load (dataset_name, data_dir). The test split is
   * used; limit > 0 uses only its first `limit` images (all of them when
   * the split is smaller). */
  BsDataset            *dataset;
  const char           *dataset_name;
  const char           *data_dir;
  guint                 limit;

  /* Instead of models and data: folders of per-layer .npy activations
   * (both set, or neither). acts_dir_b == acts_dir_a compares a folder with itself. */
  const char           *acts_dir_a;
  const char           *acts_dir_b;

  guint                 batch_size;     /* n, default 256; must be >= 4 (unbiased) or >= 2 (biased) */
  guint                 passes;         /* default 10; ignored for .npy folders (one pass) */
  guint64               seed;           /* shuffling; default 0 */
  BsCkaLayerSelection   layers;         /* default BS_CKA_LAYERS_ALL */
  const char           *layer_pattern;  /* for BS_CKA_LAYERS_PATTERN; applies to both models */
  gboolean              biased;         /* Kornblith et al. 2019 biased HSIC instead of unbiased */
  /* A shard of the protocol (bs-cka-shard.h): with n_shards > 0, only the
   * minibatches whose index is shard modulo n_shards are computed, and
   * *shard_out receives them (free with bs_cka_shard_free). Models and a
   * data set only. */
  guint                 shard;
  guint                 n_shards;
  struct _BsCkaShard  **shard_out;
  gboolean              pc1;            /* also PC1 shares, PC1 alignment and CKA without PC1
                                         * (bs-cka-pc1.h), attached to every snapshot */

  /* How the engine runs (NULL: the defaults, bs_engine_config_get_default()). */
  const BsEngineConfig *engine;
  guint                 threads;        /* threads of the models and of the Gram work;
                                         * 0: the engine configuration's */
} BsCkaJobOptions;

/* Called on the thread running the job (NOT the main thread) after every
 * minibatch, with minibatches_done increased by one each time. The snapshot
 * is borrowed: take a reference (bs_cka_snapshot_ref) to keep it, e.g. to
 * hand it to the main context. Returning normally continues the job; cancel
 * through the GCancellable. */
typedef void (*BsCkaSnapshotFunc) (BsCkaSnapshot *snapshot,
                                   gpointer       user_data);

void           bs_cka_job_options_init     (BsCkaJobOptions       *options);

/* Runs the whole protocol. Returns the final snapshot (the same values as the
 * last one handed to callback), or NULL with error set: BS_ERROR_* for bad
 * options, files or data (n < 4 for the unbiased estimator, a layer pattern
 * that matches nothing, a model whose input shape differs from the data set,
 * .npy folders that disagree on the number of examples, ...), and
 * G_IO_ERROR_CANCELLED when cancellable was triggered (checked between
 * minibatches and between layers). callback and cancellable may be NULL. */
BsCkaSnapshot *bs_cka_job_run              (const BsCkaJobOptions *options,
                                            BsCkaSnapshotFunc      callback,
                                            gpointer               user_data,
                                            GCancellable          *cancellable,
                                            GError               **error);

/* The layers of model that a job with these options would use (rows for
 * model A, columns for model B), as an array of BsLayerInfo (deep copies;
 * free with g_array_unref, which clears them). For labelling a heatmap
 * before the first snapshot arrives. Fails when a pattern matches nothing
 * or is not a valid regular expression. */
GArray        *bs_cka_job_describe_layers  (BsModel               *model,
                                            BsCkaLayerSelection    layers,
                                            const char            *layer_pattern,
                                            GError               **error);

/* The indices (tap_index) of the selected layers of model, in network order;
 * NULL with error as above. Free with g_array_unref. */
GArray        *bs_cka_job_select_layers    (BsModel               *model,
                                            BsCkaLayerSelection    layers,
                                            const char            *layer_pattern,
                                            GError               **error);

/* "all", "residual" or anything else (a pattern) -> selection; for option parsers. */
BsCkaLayerSelection bs_cka_layer_selection_parse (const char *text);
/* The inverse, for results: "all", "residual", or the options' pattern. */
const char         *bs_cka_layer_selection_to_string (const BsCkaJobOptions *options);

G_END_DECLS
