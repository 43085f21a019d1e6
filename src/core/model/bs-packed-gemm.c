/* bs-packed-gemm.c: products with a weight matrix packed once (see the header). */
#include "bs-packed-gemm-private.h"

#include <string.h>

#include "bs-simd.h"

#ifdef BS_PACKED_GEMM_HAVE_X86_KERNELS
#include <immintrin.h>
#endif

/* Columns of X and depth of A per block: a block of X (256 x 256 floats,
 * 256 KiB) stays in L2 while every panel of A runs over it. */
#define COLUMN_BLOCK 256
#define DEPTH_BLOCK BS_PACKED_GEMM_DEPTH_BLOCK

/* Panel p's part of the depth block from k0 on: blocks of depth are stored
 * one after the other, each with all panels in order, so that the product
 * reads the packed matrix from start to end (from memory, for the large
 * ones: sequential reads keep the prefetchers ahead). */
static inline gsize
block_offset (gsize rows,
              gsize depth,
              gsize p,
              gsize k0)
{
  return k0 * bs_packed_gemm_panels (rows) * PANEL_ROWS + p * MIN (depth - k0, (gsize) DEPTH_BLOCK) * PANEL_ROWS;
}

BsPackedGemmKernel
bs_packed_gemm_kernel_for_config (const BsEngineConfig *config)
{
#ifdef BS_PACKED_GEMM_HAVE_X86_KERNELS
  if (bs_engine_config_conv_avx512 (config))
    return BS_PACKED_GEMM_AVX512;
  if (bs_engine_config_conv_avx2 (config))
    return BS_PACKED_GEMM_AVX2;
#endif
  return BS_PACKED_GEMM_PORTABLE;
}

gboolean
bs_packed_gemm_kernel_runs (BsPackedGemmKernel kernel)
{
  switch (kernel)
    {
    case BS_PACKED_GEMM_PORTABLE:
      return TRUE;
#ifdef BS_PACKED_GEMM_HAVE_X86_KERNELS
    case BS_PACKED_GEMM_AVX2:
      return bs_cpu_has_avx2_fma ();
    case BS_PACKED_GEMM_AVX512:
      return bs_cpu_has_avx2_fma () && bs_cpu_has_avx512 ();
#endif
    default:
      return FALSE;
    }
}

gsize
bs_packed_gemm_panels (gsize rows)
{
  return (rows + PANEL_ROWS - 1) / PANEL_ROWS;
}

gsize
bs_packed_gemm_size (gsize rows,
                     gsize depth)
{
  return bs_packed_gemm_panels (rows) * PANEL_ROWS * depth;
}

void
bs_packed_gemm_pack_panel (const float *a,
                           gsize        lda,
                           guint        n_rows,
                           gsize        rows,
                           gsize        depth,
                           gsize        panel,
                           float       *packed)
{
  for (gsize k0 = 0; k0 < depth; k0 += DEPTH_BLOCK)
    {
      float *p = packed + block_offset (rows, depth, panel, k0);
      gsize kc = MIN (depth - k0, (gsize) DEPTH_BLOCK);

      for (gsize k = 0; k < kc; k++)
        for (guint r = 0; r < PANEL_ROWS; r++)
          p[k * PANEL_ROWS + r] = r < n_rows ? a[r * lda + k0 + k] : 0.0f;
    }
}

void
bs_packed_gemm_pack (const float *a,
                     gsize        lda,
                     gsize        rows,
                     gsize        depth,
                     gsize        panel_begin,
                     gsize        panel_end,
                     float       *packed)
{
  for (gsize p = panel_begin; p < panel_end; p++)
    {
      gsize r0 = p * PANEL_ROWS;

      if (r0 >= rows)
        break;
      bs_packed_gemm_pack_panel (a + r0 * lda, lda, (guint) MIN ((gsize) PANEL_ROWS, rows - r0),
                                 rows, depth, p, packed);
    }
}

/* ---- portable tile: 6 rows x 8 columns ----------------------------------- */

#define PORTABLE_COLS 8

static void
tile_portable (const float *a,
               gsize        depth,
               const float *x,
               gsize        ldx,
               float       *c,
               gsize        ldc,
               guint        n_rows,
               guint        n_cols,
               gboolean     accumulate)
{
  float acc[PANEL_ROWS][PORTABLE_COLS];

  for (guint r = 0; r < PANEL_ROWS; r++)
    for (guint j = 0; j < PORTABLE_COLS; j++)
      acc[r][j] = accumulate && r < n_rows && j < n_cols ? c[r * ldc + j] : 0.0f;

  if (n_cols == PORTABLE_COLS)
    for (gsize k = 0; k < depth; k++)
      {
        const float *xk = x + k * ldx;

        for (guint r = 0; r < PANEL_ROWS; r++)
          for (guint j = 0; j < PORTABLE_COLS; j++)
            acc[r][j] += a[k * PANEL_ROWS + r] * xk[j];
      }
  else
    for (gsize k = 0; k < depth; k++)
      {
        const float *xk = x + k * ldx;

        for (guint r = 0; r < PANEL_ROWS; r++)
          for (guint j = 0; j < n_cols; j++)
            acc[r][j] += a[k * PANEL_ROWS + r] * xk[j];
      }

  for (guint r = 0; r < n_rows; r++)
    memcpy (c + r * ldc, acc[r], n_cols * sizeof (float));
}

/* ---- AVX2 + FMA tile: 6 rows x 2 vectors of 8 columns -------------------- */

#ifdef BS_PACKED_GEMM_HAVE_X86_KERNELS

#define AVX2 __attribute__ ((target ("avx2,fma")))
#define AVX2_COLS 16

AVX2 static inline __attribute__ ((always_inline)) void
tile_avx2_n (const float *a,
             gsize        depth,
             const float *x,
             gsize        ldx,
             float       *c,
             gsize        ldc,
             guint        n_rows,
             gboolean     accumulate,
             const guint  nv,
             __m256i      last)
{
  __m256 acc[PANEL_ROWS][2];

#pragma GCC unroll 6
  for (guint r = 0; r < PANEL_ROWS; r++)
#pragma GCC unroll 2
    for (guint v = 0; v < nv; v++)
      acc[r][v] = !accumulate || r >= n_rows ? _mm256_setzero_ps ()
                  : v == nv - 1 ? _mm256_maskload_ps (c + r * ldc + v * 8, last)
                  : _mm256_loadu_ps (c + r * ldc + v * 8);

  for (gsize k = 0; k < depth; k++)
    {
      const float *xk = x + k * ldx;
      const float *ak = a + k * PANEL_ROWS;
      __m256 xv[2];

#pragma GCC unroll 2
      for (guint v = 0; v < nv; v++)
        xv[v] = v == nv - 1 ? _mm256_maskload_ps (xk + v * 8, last) : _mm256_loadu_ps (xk + v * 8);
#pragma GCC unroll 6
      for (guint r = 0; r < PANEL_ROWS; r++)
        {
          __m256 b = _mm256_broadcast_ss (ak + r);

#pragma GCC unroll 2
          for (guint v = 0; v < nv; v++)
            acc[r][v] = _mm256_fmadd_ps (b, xv[v], acc[r][v]);
        }
    }

#pragma GCC unroll 6
  for (guint r = 0; r < PANEL_ROWS; r++)
    if (r < n_rows)
#pragma GCC unroll 2
      for (guint v = 0; v < nv; v++)
        {
          if (v == nv - 1)
            _mm256_maskstore_ps (c + r * ldc + v * 8, last, acc[r][v]);
          else
            _mm256_storeu_ps (c + r * ldc + v * 8, acc[r][v]);
        }
}

AVX2 static void
tile_avx2 (const float *a,
           gsize        depth,
           const float *x,
           gsize        ldx,
           float       *c,
           gsize        ldc,
           guint        n_rows,
           guint        n_cols,
           gboolean     accumulate)
{
  guint nv = (n_cols + 7) / 8;
  int tail = (int) (n_cols - (nv - 1) * 8);
  __m256i last = _mm256_cmpgt_epi32 (_mm256_set1_epi32 (tail), _mm256_setr_epi32 (0, 1, 2, 3, 4, 5, 6, 7));

  if (nv == 2)
    tile_avx2_n (a, depth, x, ldx, c, ldc, n_rows, accumulate, 2, last);
  else
    tile_avx2_n (a, depth, x, ldx, c, ldc, n_rows, accumulate, 1, last);
}

#endif

/* ---- the blocked loops ---------------------------------------------------- */

void
bs_packed_gemm (BsPackedGemmKernel  kernel,
                const float        *packed,
                gsize               rows,
                gsize               depth,
                gsize               panel_begin,
                gsize               panel_end,
                const float        *x,
                gsize               ldx,
                gsize               cols,
                float              *c,
                gsize               ldc,
                gboolean            accumulate)
{
  BsPackedTileFunc tile = tile_portable;
  gsize tile_cols = PORTABLE_COLS;

#ifdef BS_PACKED_GEMM_HAVE_X86_KERNELS
  if (kernel == BS_PACKED_GEMM_AVX512)
    {
      tile = bs_packed_tile_avx512;
      tile_cols = BS_PACKED_TILE_COLS_AVX512;
    }
  else if (kernel == BS_PACKED_GEMM_AVX2)
    {
      tile = tile_avx2;
      tile_cols = AVX2_COLS;
    }
#endif
  panel_end = MIN (panel_end, bs_packed_gemm_panels (rows));
  if (depth == 0)
    {
      /* An empty sum: zeros, or C as it is. */
      if (!accumulate)
        for (gsize r = panel_begin * PANEL_ROWS; r < MIN (panel_end * PANEL_ROWS, rows); r++)
          memset (c + r * ldc, 0, cols * sizeof (float));
      return;
    }

  for (gsize j0 = 0; j0 < cols; j0 += COLUMN_BLOCK)
    {
      gsize j1 = MIN (cols, j0 + COLUMN_BLOCK);

      for (gsize k0 = 0; k0 < depth; k0 += DEPTH_BLOCK)
        {
          gsize kc = MIN (depth - k0, (gsize) DEPTH_BLOCK);
          gboolean acc = accumulate || k0 > 0;

          for (gsize p = panel_begin; p < panel_end; p++)
            {
              const float *a = packed + block_offset (rows, depth, p, k0);
              guint n_rows = (guint) MIN ((gsize) PANEL_ROWS, rows - p * PANEL_ROWS);
              float *cp = c + p * PANEL_ROWS * ldc;

              for (gsize j = j0; j < j1; j += tile_cols)
                tile (a, kc, x + k0 * ldx + j, ldx, cp + j, ldc, n_rows,
                      (guint) MIN (tile_cols, j1 - j), acc);
            }
        }
    }
}
