/* bs-conv.h: 2-D convolution without bias, forward and backward.
 *
 * Activations are channel-major with the batch inside: x[C][B][H][W]. With
 * that layout a convolution over a chunk of images is one GEMM,
 *   y[Cout][chunk columns] = W[Cout][Cin*k*k] x col[Cin*k*k][chunk columns],
 * that writes straight into the output rows (leading dimension B*Ho*Wo).
 * The batch is split into contiguous image ranges, one per thread, and each
 * thread walks its range in chunks small enough to stay in cache, calling
 * single-threaded sgemm, or, for 3x3 convolutions, the direct kernels of
 * bs-conv-direct.h, which skip the 9x larger column matrix. Weight gradients go to a private
 * copy per thread, summed in thread order at the end: bit-identical results
 * for a given thread count.
 *
 * Hooks let the model fuse cheap per-element work into the chunk loop while
 * the data is still in cache (batch-norm statistics, BN+ReLU in evaluation,
 * the BN backward that produces dy). */
#pragma once

#include <glib.h>

#include "bs-conv-geometry.h"
#include "bs-thread-pool.h"

G_BEGIN_DECLS

/* Called for every finished chunk: rows of ld floats, columns [col0, col0 + ncols)
 * of rows [row0, row0 + n_rows) (pointer p points at row row0, column col0).
 * Chunks are of all rows (row0 = 0), except in an evaluation pass that
 * splits a product's rows between threads. */
typedef void (*BsConvChunkFunc) (gpointer data,
                                 guint    thread,
                                 float   *p,
                                 gsize    ld,
                                 guint    row0,
                                 guint    n_rows,
                                 gsize    col0,
                                 gsize    ncols);

/* Writes columns [col0, col0 + ncols) of dy into dst (out_c rows of ncols floats). */
typedef void (*BsConvDyFunc) (gpointer data,
                              guint    thread,
                              float   *dst,
                              gsize    col0,
                              gsize    ncols);

typedef struct {
  BsConvChunkFunc forward_done;   /* on each output chunk after the forward GEMM */
  BsConvDyFunc    make_dy;        /* backward: produce dy chunks instead of reading dy */
  BsConvChunkFunc backward_done;  /* on each input-gradient chunk after col2im */
  gpointer        data;
} BsConvHooks;

/* y[out_c][B][out_h][out_w] = conv (x[in_c][B][in_h][in_w], w[out_c][in_c][k][k]). */
void     bs_conv_forward       (const BsConvGeometry *g,
                                BsThreadPool         *pool,
                                guint                 batch,
                                const float          *x,
                                const float          *w,
                                float                *y,
                                const BsConvHooks    *hooks);

/* Transformed weights kept from one inference pass to the next: a CKA job
 * runs thousands of passes with the same weights. Outside freeze epochs the
 * cache keeps a copy of the weights and compares it bit for bit on every
 * pass, so a changed weight (a training step, a loaded checkpoint) is never
 * missed. */
typedef struct _BsConvWeightCache BsConvWeightCache;

BsConvWeightCache *bs_conv_weight_cache_new  (void);
void               bs_conv_weight_cache_free (BsConvWeightCache *cache);

/* Epoch 0 (the default): the weights are compared with those the cached
 * form was made from at every use. Any other epoch promises that the
 * weights do not change while it lasts: the form is made (or checked
 * against a copy from epoch 0) once in it, and no copy is kept. Set it
 * before bs_conv_reserve_forward (), which then reserves no copy. */
void               bs_conv_weight_cache_set_epoch (BsConvWeightCache *cache,
                                                   guint64            epoch);
/* Bytes the cache holds: the form, and the weights' copy outside freeze epochs. */
gsize              bs_conv_weight_cache_get_bytes (const BsConvWeightCache *cache);

/* As bs_conv_forward, for inference: 3x3 stride-1 convolutions may run on
 * Winograd's F(2x2, 3x3) (bs-conv-winograd.h), which rounds differently,
 * and its products on weights packed once (bs-packed-gemm.h),
 * which sum in another order than sgemm. cache may be NULL (the weights
 * are then transformed every time). */
void     bs_conv_forward_inference (const BsConvGeometry *g,
                                    BsConvWeightCache    *cache,
                                    BsThreadPool         *pool,
                                    guint                 batch,
                                    const float          *x,
                                    const float          *w,
                                    float                *y,
                                    const BsConvHooks    *hooks);

/* Makes room, before bs_conv_forward () or bs_conv_forward_inference ()
 * (inference TRUE) with the same arguments, for everything they allocate:
 * the threads' scratch and the cache's transformed weights. Those calls then
 * allocate nothing. FALSE, with the size that did not fit in *failed_bytes,
 * when the memory cannot be had (a limit on the address space, a batch too
 * large): the sizes come from the model and the batch a user chose. */
gboolean bs_conv_reserve_forward  (const BsConvGeometry *g,
                                   BsConvWeightCache    *cache,
                                   BsThreadPool         *pool,
                                   guint                 batch,
                                   gboolean              inference,
                                   gsize                *failed_bytes);

/* dw = d(loss)/dw (overwritten). When dx is not NULL, the input gradient is
 * written (accumulate FALSE) or added (accumulate TRUE) to dx. dy may be
 * NULL when hooks->make_dy provides it. */
void     bs_conv_backward      (const BsConvGeometry *g,
                                BsThreadPool         *pool,
                                guint                 batch,
                                const float          *x,
                                const float          *w,
                                const float          *dy,
                                float                *dw,
                                float                *dx,
                                gboolean              accumulate,
                                const BsConvHooks    *hooks);

/* The same before bs_conv_backward () with the same arguments: with_dx
 * when dx is not NULL, make_dy when hooks->make_dy is given. */
gboolean bs_conv_reserve_backward (const BsConvGeometry *g,
                                   BsThreadPool         *pool,
                                   guint                 batch,
                                   gboolean              with_dx,
                                   gboolean              make_dy,
                                   gsize                *failed_bytes);

/* The chunk size in images used for a geometry (exposed for tests and tuning). */
guint    bs_conv_chunk_images  (const BsConvGeometry *g,
                                const BsEngineConfig *config,
                                guint                 images_per_thread);

G_END_DECLS
