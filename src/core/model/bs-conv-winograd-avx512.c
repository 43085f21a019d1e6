/* bs-conv-winograd-avx512.c: the Winograd product with AVX-512 (see bs-conv-winograd.c).
 *
 * The batched product M[xi] = U[xi]^T V[xi] is most of a Winograd
 * convolution's time. A register tile here is 8 output channels (broadcast
 * weights) by a block's tiles in 512-bit vectors of 16: 32 tiles for
 * F(4x4) (16 accumulators, 16 fused multiply-adds for 10 loads per input
 * channel), 48 for F(2x2) (24 for 11), where the AVX2 tile of 4 x 24 does
 * 12 for 7 at half the width. Channels left over in fours take tiles of 4
 * rows; a block's last, partly filled vectors of tiles are skipped.
 *
 * Each M entry is the AVX2 set's chain: from zero, one fused multiply-add
 * per input channel in order, so both sets give the same bits. */
#include "bs-conv-winograd-private.h"

#ifdef BS_WINOGRAD_HAVE_AVX512_KERNELS

#include <immintrin.h>

#define AVX512 __attribute__ ((target ("avx512f")))

/* Rows co0 .. co0 + CO - 1 of M[xi], tiles t0 .. t0 + 16 NV - 1. CO and NV
 * are constants where it is called, so the accumulators stay in registers. */
#define TILE_BODY(CO, NV) \
  do { \
    __m512 acc[CO][NV]; \
    _Pragma ("GCC unroll 8") \
    for (guint r = 0; r < CO; r++) \
      _Pragma ("GCC unroll 3") \
      for (guint j = 0; j < NV; j++) \
        acc[r][j] = _mm512_setzero_ps (); \
    for (guint ci = 0; ci < C; ci++) \
      { \
        const float *v = Vx + (gsize) ci * tb + t0; \
        const float *w = Ux + (gsize) ci * K + co0; \
        __m512 vv[NV]; \
        _Pragma ("GCC unroll 3") \
        for (guint j = 0; j < NV; j++) \
          vv[j] = _mm512_loadu_ps (v + 16 * j); \
        _Pragma ("GCC unroll 8") \
        for (guint r = 0; r < CO; r++) \
          { \
            __m512 b = _mm512_set1_ps (w[r]); \
            _Pragma ("GCC unroll 3") \
            for (guint j = 0; j < NV; j++) \
              acc[r][j] = _mm512_fmadd_ps (b, vv[j], acc[r][j]); \
          } \
      } \
    _Pragma ("GCC unroll 8") \
    for (guint r = 0; r < CO; r++) \
      _Pragma ("GCC unroll 3") \
      for (guint j = 0; j < NV; j++) \
        _mm512_storeu_ps (out + r * tb + 16 * j, acc[r][j]); \
  } while (0)

#define DEFINE_TILE(CO, NV) \
  AVX512 static void \
  tile_##CO##x##NV (guint C, guint K, const float *Ux, const float *Vx, gsize tb, \
                    guint co0, guint t0, float *out) \
  { \
    TILE_BODY (CO, NV); \
  }

DEFINE_TILE (8, 3)
DEFINE_TILE (8, 2)
DEFINE_TILE (8, 1)
DEFINE_TILE (4, 3)
DEFINE_TILE (4, 2)
DEFINE_TILE (4, 1)

typedef void (*TileFunc) (guint C, guint K, const float *Ux, const float *Vx, gsize tb,
                          guint co0, guint t0, float *out);

AVX512 void
bs_conv_winograd_multiply_avx512 (guint        C,
                                  guint        K,
                                  guint        n_points,
                                  const float *U,
                                  const float *V,
                                  gsize        v_stride,
                                  gsize        tb,
                                  guint        n_tiles,
                                  float       *M,
                                  gsize        m_stride)
{
  static const TileFunc tiles8[] = { NULL, tile_8x1, tile_8x2, tile_8x3 };
  static const TileFunc tiles4[] = { NULL, tile_4x1, tile_4x2, tile_4x3 };
  guint vectors = (n_tiles + BS_WINOGRAD_GROUP16 - 1) / BS_WINOGRAD_GROUP16;

  for (guint xi = 0; xi < n_points; xi++)
    {
      const float *Vx = V + xi * v_stride;
      const float *Ux = U + (gsize) xi * C * K;

      for (guint co0 = 0; co0 < K; co0 += 8)
        for (guint j0 = 0; j0 < vectors; j0 += 3)
          {
            guint nv = MIN (vectors - j0, 3);
            guint t0 = j0 * BS_WINOGRAD_GROUP16;
            float *out = M + xi * m_stride + (gsize) co0 * tb + t0;

            if (co0 + 8 <= K)
              tiles8[nv] (C, K, Ux, Vx, tb, co0, t0, out);
            else
              tiles4[nv] (C, K, Ux, Vx, tb, co0, t0, out);
          }
    }
}

#endif
