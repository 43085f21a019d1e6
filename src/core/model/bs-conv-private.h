/* bs-conv-private.h: what the files of the convolution driver share.
 *
 * bs-conv.c has the chunking and the forward pass, bs-conv-weight-cache.c
 * the weights' cached forms, bs-conv-backward.c the backward pass (and
 * bs-conv-columns.h their column buffers). One job describes a convolution
 * run to all of them; the tests of its paths are small inline functions,
 * as they were in the one file. */
#pragma once

#include "bs-conv.h"
#include "bs-packed-gemm.h"

G_BEGIN_DECLS

/* 1x1 stride-1 convolutions read their input directly as the column matrix. */
static inline gboolean
bs_conv_is_direct (const BsConvGeometry *g)
{
  return g->kernel == 1 && g->stride == 1 && g->pad == 0;
}

static inline gsize
bs_conv_col_rows (const BsConvGeometry *g)
{
  return (gsize) g->in_c * g->kernel * g->kernel;
}

/* 3x3 padding-1 convolutions (stride 1 or 2) run on the direct kernels,
 * unless the output is so narrow that most vector lanes would be idle. */
static inline gboolean
bs_conv_is_direct3 (const BsConvGeometry *g)
{
  return g->kernel == 3 && g->pad == 1 && (g->stride == 1 || g->stride == 2) && g->out_w >= 7;
}

typedef struct {
  const BsConvGeometry *g;
  guint                 batch;
  const float          *x;
  const float          *w;
  float                *y;
  const float          *dy;
  float                *dw;
  float                *dx;
  gboolean              accumulate;
  const float          *w_t;     /* flipped, transposed weights for dgrad_as_conv */
  const float          *packed;  /* direct kernels: weights packed for the pass */
  const float          *winograd; /* transformed weights: run on bs-conv-winograd */
  const float          *dense;    /* the dense matrix: run on bs-conv-dense */
  const float          *panels;   /* evaluation: the product's matrix packed once (bs-packed-gemm) */
  BsPackedGemmKernel    kernel;   /* the kernel that runs on panels */
  guint                 tile;     /* their output tile: 4 or 2 */
  const BsConvHooks    *hooks;
  BsThreadPool         *pool;
  const BsEngineConfig *config;   /* the pool's */
  gboolean              inference;
  gint                  next_chunk;  /* inference: the next chunk to take */
} ConvJob;

/* Images per chunk of a thread's share of a forward or (backward TRUE)
 * backward pass (bs-conv.c). */
guint bs_conv_pass_chunk_images (const BsConvGeometry *g,
                                 const BsEngineConfig *config,
                                 guint                 images_per_thread,
                                 gboolean              backward);

/* The weights in the form a convolution runs on: Winograd's transform,
 * the dense matrix, the 1x1 weights or the dense matrix packed into panels
 * (transformed weights), made on all threads. */
typedef enum {
  FORM_WINOGRAD,
  FORM_DENSE,
  FORM_PACKED,
  FORM_DENSE_PACKED,
} WeightForm;

/* bs-conv-weight-cache.c. Floats of the weights of g in a form. */
gsize        bs_conv_weight_form_size    (const BsConvGeometry *g,
                                          guint                 tile,
                                          WeightForm            form);

/* Floats of a thread's scratch (BS_SCRATCH_DCOL) that FORM_DENSE_PACKED
 * takes to make its panels. */
gsize        bs_conv_dense_panel_scratch (const BsConvGeometry *g);

/* The weights of job (its tile chosen) in the given form, from the cache
 * when it holds those of the same weights, else made on all threads (and
 * kept when cache is not NULL; else in thread 0's BS_SCRATCH_WEIGHTS). */
const float *bs_conv_transformed_weights (ConvJob              *job,
                                          BsConvWeightCache    *cache,
                                          WeightForm            form);

/* Makes room in cache for the weights of g and a form of u_len floats
 * (bs_conv_reserve_forward ()), or FALSE with *failed_bytes set. */
gboolean     bs_conv_weight_cache_reserve (BsConvWeightCache    *cache,
                                           const BsConvGeometry *g,
                                           gsize                 u_len,
                                           gsize                *failed_bytes);

G_END_DECLS
