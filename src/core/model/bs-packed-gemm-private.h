/* bs-packed-gemm-private.h: what the kernel sets of bs-packed-gemm share. */
#pragma once

#include <glib.h>

#include "bs-packed-gemm.h"

G_BEGIN_DECLS

#define PANEL_ROWS BS_PACKED_GEMM_PANEL_ROWS

/* c[r][j] (=, += when accumulate) sum over k < depth of a[k][r] x[k][j]
 * for r < n_rows, j < n_cols: a is one panel ([depth][6]) from its row k0,
 * x and c point at the tile's first entry. */
typedef void (*BsPackedTileFunc) (const float *a,
                                  gsize        depth,
                                  const float *x,
                                  gsize        ldx,
                                  float       *c,
                                  gsize        ldc,
                                  guint        n_rows,
                                  guint        n_cols,
                                  gboolean     accumulate);

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
#define BS_PACKED_GEMM_HAVE_X86_KERNELS 1
/* 6 rows x up to 64 columns (four 16-lane vectors). */
#define BS_PACKED_TILE_COLS_AVX512 64
void bs_packed_tile_avx512 (const float *a, gsize depth, const float *x, gsize ldx,
                            float *c, gsize ldc, guint n_rows, guint n_cols, gboolean accumulate);
#endif

G_END_DECLS
