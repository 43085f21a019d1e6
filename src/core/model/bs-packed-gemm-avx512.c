/* bs-packed-gemm-avx512.c: the AVX-512 tile of bs-packed-gemm.c.
 *
 * 6 rows x 4 vectors of 16 columns: 24 accumulators, 24 FMAs with an
 * embedded broadcast of the packed weights for 4 loads of X per step of
 * depth. Tiles narrower than 64 columns run fewer vectors, the last one
 * masked (loads and stores never pass the tile's last column). The chain
 * of operations per entry is the AVX2 tile's: same bits. */
#include "bs-packed-gemm-private.h"

#ifdef BS_PACKED_GEMM_HAVE_X86_KERNELS

#include <immintrin.h>

#define AVX512 __attribute__ ((target ("avx512f")))
#define INLINE inline __attribute__ ((always_inline))

AVX512 static INLINE void
tile (const float *a,
      gsize        depth,
      const float *x,
      gsize        ldx,
      float       *c,
      gsize        ldc,
      guint        n_rows,
      gboolean     accumulate,
      const guint  nv,
      __mmask16    last)
{
  __m512 acc[PANEL_ROWS][4];

#pragma GCC unroll 6
  for (guint r = 0; r < PANEL_ROWS; r++)
#pragma GCC unroll 4
    for (guint v = 0; v < nv; v++)
      {
        __mmask16 m = v == nv - 1 ? last : 0xffff;

        acc[r][v] = accumulate && r < n_rows ? _mm512_maskz_loadu_ps (m, c + r * ldc + v * 16)
                                              : _mm512_setzero_ps ();
      }

  for (gsize k = 0; k < depth; k++)
    {
      const float *xk = x + k * ldx;
      const float *ak = a + k * PANEL_ROWS;
      __m512 xv[4];

#pragma GCC unroll 4
      for (guint v = 0; v < nv; v++)
        xv[v] = v == nv - 1 ? _mm512_maskz_loadu_ps (last, xk + v * 16) : _mm512_loadu_ps (xk + v * 16);
#pragma GCC unroll 6
      for (guint r = 0; r < PANEL_ROWS; r++)
        {
          __m512 b = _mm512_set1_ps (ak[r]);

#pragma GCC unroll 4
          for (guint v = 0; v < nv; v++)
            acc[r][v] = _mm512_fmadd_ps (b, xv[v], acc[r][v]);
        }
    }

#pragma GCC unroll 6
  for (guint r = 0; r < PANEL_ROWS; r++)
    if (r < n_rows)
#pragma GCC unroll 4
      for (guint v = 0; v < nv; v++)
        _mm512_mask_storeu_ps (c + r * ldc + v * 16, v == nv - 1 ? last : 0xffff, acc[r][v]);
}

AVX512 void
bs_packed_tile_avx512 (const float *a,
                       gsize        depth,
                       const float *x,
                       gsize        ldx,
                       float       *c,
                       gsize        ldc,
                       guint        n_rows,
                       guint        n_cols,
                       gboolean     accumulate)
{
  guint nv = (n_cols + 15) / 16;
  guint tail = n_cols - (nv - 1) * 16;
  __mmask16 last = (__mmask16) (tail == 16 ? 0xffff : (1u << tail) - 1);

  switch (nv)
    {
    case 4:
      tile (a, depth, x, ldx, c, ldc, n_rows, accumulate, 4, last);
      break;
    case 3:
      tile (a, depth, x, ldx, c, ldc, n_rows, accumulate, 3, last);
      break;
    case 2:
      tile (a, depth, x, ldx, c, ldc, n_rows, accumulate, 2, last);
      break;
    case 1:
      tile (a, depth, x, ldx, c, ldc, n_rows, accumulate, 1, last);
      break;
    default:
      g_assert_not_reached ();
    }
}

#endif
