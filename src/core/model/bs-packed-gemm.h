/* bs-packed-gemm.h: products with a weight matrix packed once, for evaluation.
 *
 * C[rows][cols] (=, +=) A[rows][depth] x X[depth][cols], X and C row-major
 * and read or written in place. sgemm packs A into its kernel's layout on
 * every call: for the 1x1 convolutions and dense products of small maps
 * (a few dozen to a few hundred columns against up to 2048 x 512 weights)
 * that packing costs a fifth to a third of the product. Evaluation's
 * weights do not change, so A is packed once (kept in the convolution's
 * weight cache) into panels of BS_PACKED_GEMM_PANEL_ROWS rows, stored in
 * blocks of BS_PACKED_GEMM_DEPTH_BLOCK of depth (every panel's block
 * [depth][6] in turn, then the next block), and a register tile of 6 rows x 4 AVX-512
 * vectors (64 columns; AVX2: 2 vectors, 16 columns; portable: 8 columns)
 * broadcasts A and reads X along its rows.
 *
 * Every kernel sums each entry over depth in order, blocks of
 * BS_PACKED_GEMM_DEPTH_BLOCK at a time; the AVX2 and AVX-512 ones with fused
 * multiply-adds give the same bits, the portable one rounds each product. */
#pragma once

#include <glib.h>

#include "bs-engine-config.h"

G_BEGIN_DECLS

#define BS_PACKED_GEMM_PANEL_ROWS 6
#define BS_PACKED_GEMM_DEPTH_BLOCK 256

typedef enum {
  BS_PACKED_GEMM_PORTABLE,
  BS_PACKED_GEMM_AVX2,
  BS_PACKED_GEMM_AVX512,
} BsPackedGemmKernel;

/* The kernel config chooses on this CPU (bs_engine_config_conv_avx512 (),
 * bs_engine_config_conv_avx2 ()). */
BsPackedGemmKernel bs_packed_gemm_kernel_for_config (const BsEngineConfig *config);
/* Whether this build and CPU run kernel. */
gboolean           bs_packed_gemm_kernel_runs       (BsPackedGemmKernel    kernel);

/* Panels of a matrix of `rows` rows, and floats of its packed form. */
gsize              bs_packed_gemm_panels            (gsize                 rows);
gsize              bs_packed_gemm_size              (gsize                 rows,
                                                     gsize                 depth);

/* Packs rows [panel_begin * 6, min (panel_end * 6, rows)) of a[rows][lda]
 * into their panels of packed (rows past the end are zeros). */
void               bs_packed_gemm_pack              (const float          *a,
                                                     gsize                 lda,
                                                     gsize                 rows,
                                                     gsize                 depth,
                                                     gsize                 panel_begin,
                                                     gsize                 panel_end,
                                                     float                *packed);
/* Packs n_rows (<= 6) rows of a[][lda] as panel `panel` of packed, the
 * packed form of a matrix of `rows` rows. */
void               bs_packed_gemm_pack_panel        (const float          *a,
                                                     gsize                 lda,
                                                     guint                 n_rows,
                                                     gsize                 rows,
                                                     gsize                 depth,
                                                     gsize                 panel,
                                                     float                *packed);

/* Rows [panel_begin * 6, min (panel_end * 6, rows)) of
 * c[rows][ldc] (=, += when accumulate) packed x x[depth][ldx], columns [0, cols). */
void               bs_packed_gemm                   (BsPackedGemmKernel    kernel,
                                                     const float          *packed,
                                                     gsize                 rows,
                                                     gsize                 depth,
                                                     gsize                 panel_begin,
                                                     gsize                 panel_end,
                                                     const float          *x,
                                                     gsize                 ldx,
                                                     gsize                 cols,
                                                     float                *c,
                                                     gsize                 ldc,
                                                     gboolean              accumulate);

G_END_DECLS
