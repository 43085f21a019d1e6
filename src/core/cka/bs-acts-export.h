/* bs-acts-export.h: a network's layer outputs written as .npy files.
 *
 * The test images of a data set (the first `limit` of them, in order, no
 * shuffling, no augmentation; pixels / 255 as everywhere) run forward in
 * evaluation mode, and every selected layer's output is written, example by
 * example, to a float32 .npy file of its own: shape (N, C, H, W) for maps,
 * (N, F) for flat outputs (pool, logits). Files are numbered in layer order
 * ("007-layer1.0.bn1.npy", zero-padded), the layout that a CKA job reads
 * from a folder (bs-cka-job.h, acts_dir_a), so `cka --acts-a DIR` on the
 * result compares the same layers. activations.json beside them names the
 * model, the data set, the images used and every file's layer and shape.
 *
 * The files are written into a temporary folder beside out_dir that is
 * renamed to out_dir when everything is written; out_dir must not exist or
 * be empty. On failure or cancel nothing is left behind. */
#pragma once

#include <gio/gio.h>

#include "bs-cka-job.h"
#include "bs-dataset.h"
#include "bs-model.h"

G_BEGIN_DECLS

typedef struct {
  /* The network: model (borrowed), or spec (a checkpoint path or a model
   * name, built for the data set's images, a name initialised from init_seed). */
  BsModel             *model;
  const char          *spec;
  guint64              init_seed;
  /* The data: dataset (borrowed), or dataset_name read from data_dir. */
  BsDataset           *dataset;
  const char          *dataset_name;
  const char          *data_dir;
  guint                limit;          /* first `limit` test images; 0: all */
  guint                batch_size;     /* images per forward pass; default 64 */
  BsCkaLayerSelection  layers;         /* as for CKA; default BS_CKA_LAYERS_ALL */
  const char          *layer_pattern;
  const char          *out_dir;
} BsActsExportOptions;

/* After each batch, on the caller's thread. */
typedef void (*BsActsExportProgress) (guint    images_done,
                                      guint    images_total,
                                      gpointer user_data);

void     bs_acts_export_options_init (BsActsExportOptions        *options);

/* The bytes the files of a run with these options would take (for the
 * model and the number of images given). */
guint64  bs_acts_export_bytes        (BsModel                    *model,
                                      const GArray               *tap_indices,
                                      guint                       n_images);

/* Writes the files; the number of layers written in *n_layers (may be
 * NULL). A model given runs on its own pool; one built from a spec on a
 * pool of threads threads (0: one). */
gboolean bs_acts_export_run          (const BsActsExportOptions  *options,
                                      guint                       threads,
                                      BsActsExportProgress        progress,
                                      gpointer                    user_data,
                                      guint                      *n_layers,
                                      GCancellable               *cancellable,
                                      GError                    **error);

G_END_DECLS
