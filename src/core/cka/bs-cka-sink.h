/* bs-cka-sink.h: the part of a CKA job that both of its sources share.
 *
 * Whether the Grams come from models tapped during their forward passes or
 * from folders of .npy activations, a job runs on a thread pool of its own
 * (which its models share), forms each layer's Gram into triangles with a
 * Gram workspace, hands them to an accumulator and publishes a snapshot
 * after every minibatch. For bs-cka-job.c and bs-cka-acts.c only. */
#pragma once

#include <gio/gio.h>

#include "bs-cka-accumulator.h"
#include "bs-cka-job.h"
#include "bs-cka-pc1.h"
#include "bs-gram.h"

G_BEGIN_DECLS

/* Where the Grams of a job go. */
typedef struct {
  BsThreadPool        *pool;      /* the job's threads, which its models share */
  BsGramWorkspace     *ws;
  BsCkaAccumulator    *acc;
  BsCkaPc1            *pc1;       /* the PC1 analysis (options->pc1), or NULL */
  double              *storage;
  BsGramTriangle       tris[2];   /* a layer's Gram (and, for models, its batch norm's) */
  BsCkaSnapshotHeader  header;    /* its layers and names are borrowed */
  BsCkaSnapshot       *last;
} BsCkaSink;

/* Makes the pool (with config), the accumulator of rows x cols layers
 * (a model against itself when rows == cols), the workspace and
 * n_triangles triangles of n examples, and with pc1 the PC1 analysis
 * (bs-cka-pc1.h). FALSE with error set (a clear message when memory runs
 * out); clear the sink either way. */
gboolean bs_cka_sink_init          (BsCkaSink            *sink,
                                    const BsEngineConfig *config,
                                    GArray               *rows,
                                    GArray               *cols,
                                    const char           *model_a,
                                    const char           *model_b,
                                    guint                 total,
                                    guint                 n,
                                    gboolean              biased,
                                    guint                 n_triangles,
                                    gboolean              pc1,
                                    GError              **error);
/* A layer's Gram of the current minibatch, to the accumulator (and the PC1 analysis). */
void     bs_cka_sink_set_gram      (BsCkaSink            *sink,
                                    BsCkaSide             side,
                                    guint                 layer,
                                    const BsGramTriangle *tri,
                                    gboolean              finite);
void     bs_cka_sink_discard_minibatch (BsCkaSink        *sink);
/* Adds the minibatch whose Grams were handed over and publishes the new
 * estimate (kept in sink->last, passed to callback). */
gboolean bs_cka_sink_end_minibatch (BsCkaSink            *sink,
                                    BsCkaSnapshotFunc     callback,
                                    gpointer              user_data,
                                    GError              **error);
void     bs_cka_sink_clear         (BsCkaSink            *sink);

/* An empty array of BsLayerInfo that clears its elements. */
GArray  *bs_cka_layer_array_new    (void);

/* G_IO_ERROR_CANCELLED when cancellable was triggered. */
gboolean bs_cka_set_cancelled      (GCancellable         *cancellable,
                                    GError              **error);

G_END_DECLS
