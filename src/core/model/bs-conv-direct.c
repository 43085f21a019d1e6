/* bs-conv-direct.c: 3x3 convolution (stride 1 or 2) straight from padded planes.
 *
 * The chunk loops are plain C; the inner kernels come in two versions here:
 * AVX2 + FMA intrinsics with the register use spelled out (12 accumulators,
 * 3 input vectors, 1 broadcast), chosen at run time when the CPU has them,
 * and a portable one written with GCC vector extensions. Both sum in the
 * same order, so only FMA rounding tells them apart. On AVX-512 CPUs the
 * forward chunk and the weight-gradient tiles of bs-conv-direct-avx512.c
 * run instead. */
#include "bs-conv-direct-private.h"

#include <string.h>

#include "bs-simd.h"

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
#include <immintrin.h>
#define HAVE_AVX2_KERNELS 1
#endif

/* The portable helpers pass vectors by value between static functions that
 * are always inlined: the ABI note GCC gives without AVX is moot. */
#pragma GCC diagnostic ignored "-Wpsabi"

typedef float v8sf __attribute__ ((vector_size (32)));

/* Where one tile goes: output channel m of vector v is dst[v] + m * ystride,
 * lanes[v] of its 8 lanes exist (0 for a repeated vector); mr channels exist. */
typedef struct {
  float *dst[3];
  guint  lanes[3];
  gsize  ystride;
  guint  mr;
  gboolean accumulate;
} TileOut;

/* One tile of 4 output channels x 3 vectors of 8 pixels; b0..b2 point at
 * tap (0, 0) of input channel 0 for each vector. */
typedef void (*ForwardTile) (const float   *b0,
                             const float   *b1,
                             const float   *b2,
                             gsize          cstride,
                             const gsize   *off,     /* the 9 taps relative to a vector's base */
                             guint          in_c,
                             const float   *wk,
                             const TileOut *out);

/* ---- portable kernels ------------------------------------------------------- */

static inline v8sf
loadu (const float *p)
{
  v8sf v;

  memcpy (&v, p, sizeof v);
  return v;
}

static inline v8sf
splat (float x)
{
  return (v8sf) { x, x, x, x, x, x, x, x };
}

/* The first n lanes of p, zeros after. */
static inline v8sf
load_partial (const float *p,
              guint        n)
{
  v8sf v = splat (0.0f);

  for (guint i = 0; i < n; i++)
    v[i] = p[i];
  return v;
}

static inline float
hsum8 (const float *v)
{
  return ((v[0] + v[1]) + (v[2] + v[3])) + ((v[4] + v[5]) + (v[6] + v[7]));
}

static void
store_tile (const TileOut *out,
            float          acc[MR][3][8])
{
  for (guint m = 0; m < out->mr; m++)
    for (guint v = 0; v < 3; v++)
      {
        float *d = out->dst[v] + m * out->ystride;

        if (out->accumulate)
          for (guint i = 0; i < out->lanes[v]; i++)
            d[i] += acc[m][v][i];
        else
          for (guint i = 0; i < out->lanes[v]; i++)
            d[i] = acc[m][v][i];
      }
}

static void
forward_tile_generic (const float   *b0,
                      const float   *b1,
                      const float   *b2,
                      gsize          cstride,
                      const gsize   *off,
                      guint          in_c,
                      const float   *wk,
                      const TileOut *out)
{
  float result[MR][3][8];

  v8sf acc[MR][3];

  for (guint m = 0; m < MR; m++)
    acc[m][0] = acc[m][1] = acc[m][2] = splat (0.0f);

  for (guint ci = 0; ci < in_c; ci++)
    {
      for (guint t = 0; t < TAPS; t++)
          {
            gsize o = off[t];
            v8sf x0 = loadu (b0 + o), x1 = loadu (b1 + o), x2 = loadu (b2 + o);

            for (guint m = 0; m < MR; m++)
              {
                v8sf wv = splat (wk[m]);

                acc[m][0] += wv * x0;
                acc[m][1] += wv * x1;
                acc[m][2] += wv * x2;
              }
            wk += MR;
          }
      b0 += cstride;
      b1 += cstride;
      b2 += cstride;
    }
  memcpy (result, acc, sizeof acc);
  store_tile (out, result);
}

static void
wgrad_tile_generic (const float *x,
                    gsize        x_image,
                    gsize        row_step,
                    gsize        k1,
                    gsize        k2,
                    const float *dy,
                    gsize        dy_image,
                    gsize        dy_cstride,
                    guint        mr,
                    guint        images,
                    guint        h,
                    guint        w,
                    float        sums[MR][3])
{
  v8sf acc[MR][3];

  for (guint m = 0; m < MR; m++)
    acc[m][0] = acc[m][1] = acc[m][2] = splat (0.0f);

  for (guint j = 0; j < images; j++)
    for (guint oy = 0; oy < h; oy++)
      for (guint ox = 0; ox < w; ox += 8)
        {
          const float *xr = x + j * x_image + oy * row_step + ox;
          const float *gr = dy + j * dy_image + (gsize) oy * w + ox;
          guint n = MIN (8, w - ox);
          v8sf x0 = loadu (xr), x1 = loadu (xr + k1), x2 = loadu (xr + k2);

          for (guint m = 0; m < mr; m++)
            {
              /* Lanes past the row are zero in dy, so they add nothing. */
              v8sf d = n == 8 ? loadu (gr + m * dy_cstride) : load_partial (gr + m * dy_cstride, n);

              acc[m][0] += d * x0;
              acc[m][1] += d * x1;
              acc[m][2] += d * x2;
            }
        }

  for (guint m = 0; m < MR; m++)
    for (guint kx = 0; kx < 3; kx++)
      {
        float lanes[8];

        memcpy (lanes, &acc[m][kx], sizeof lanes);
        sums[m][kx] = hsum8 (lanes);
      }
}

/* ---- AVX2 + FMA kernels ------------------------------------------------------- */

#ifdef HAVE_AVX2_KERNELS

#define AVX2 __attribute__ ((target ("avx2,fma")))

AVX2 static inline void
store_vec (const TileOut *out,
           guint          m,
           guint          v,
           __m256         a)
{
  float *d = out->dst[v] + m * out->ystride;

  if (m >= out->mr)
    return;
  if (out->lanes[v] == 8)
    {
      if (out->accumulate)
        a = _mm256_add_ps (a, _mm256_loadu_ps (d));
      _mm256_storeu_ps (d, a);
    }
  else if (out->lanes[v] > 0)
    {
      __m256i mask = _mm256_cmpgt_epi32 (_mm256_set1_epi32 ((int) out->lanes[v]),
                                         _mm256_setr_epi32 (0, 1, 2, 3, 4, 5, 6, 7));

      if (out->accumulate)
        a = _mm256_add_ps (a, _mm256_maskload_ps (d, mask));
      _mm256_maskstore_ps (d, mask, a);
    }
}

AVX2 static void
forward_tile_avx2 (const float   *b0,
                   const float   *b1,
                   const float   *b2,
                   gsize          cstride,
                   const gsize   *off,
                   guint          in_c,
                   const float   *wk,
                   const TileOut *out)
{
  __m256 a00 = _mm256_setzero_ps (), a01 = a00, a02 = a00;
  __m256 a10 = a00, a11 = a00, a12 = a00;
  __m256 a20 = a00, a21 = a00, a22 = a00;
  __m256 a30 = a00, a31 = a00, a32 = a00;

  const gsize o0 = off[0], o1 = off[1], o2 = off[2], o3 = off[3], o4 = off[4];
  const gsize o5 = off[5], o6 = off[6], o7 = off[7], o8 = off[8];

  for (guint ci = 0; ci < in_c; ci++)
    {
#define STEP(o)                                                               \
      {                                                                       \
        __m256 x0 = _mm256_loadu_ps (b0 + o);                                 \
        __m256 x1 = _mm256_loadu_ps (b1 + o);                                 \
        __m256 x2 = _mm256_loadu_ps (b2 + o);                                 \
        __m256 wv = _mm256_broadcast_ss (wk + 0);                             \
        a00 = _mm256_fmadd_ps (wv, x0, a00);                                  \
        a01 = _mm256_fmadd_ps (wv, x1, a01);                                  \
        a02 = _mm256_fmadd_ps (wv, x2, a02);                                  \
        wv = _mm256_broadcast_ss (wk + 1);                                    \
        a10 = _mm256_fmadd_ps (wv, x0, a10);                                  \
        a11 = _mm256_fmadd_ps (wv, x1, a11);                                  \
        a12 = _mm256_fmadd_ps (wv, x2, a12);                                  \
        wv = _mm256_broadcast_ss (wk + 2);                                    \
        a20 = _mm256_fmadd_ps (wv, x0, a20);                                  \
        a21 = _mm256_fmadd_ps (wv, x1, a21);                                  \
        a22 = _mm256_fmadd_ps (wv, x2, a22);                                  \
        wv = _mm256_broadcast_ss (wk + 3);                                    \
        a30 = _mm256_fmadd_ps (wv, x0, a30);                                  \
        a31 = _mm256_fmadd_ps (wv, x1, a31);                                  \
        a32 = _mm256_fmadd_ps (wv, x2, a32);                                  \
        wk += MR;                                                             \
      }
      STEP (o0) STEP (o1) STEP (o2) STEP (o3) STEP (o4) STEP (o5) STEP (o6) STEP (o7) STEP (o8)
#undef STEP
      b0 += cstride;
      b1 += cstride;
      b2 += cstride;
    }

  store_vec (out, 0, 0, a00); store_vec (out, 0, 1, a01); store_vec (out, 0, 2, a02);
  store_vec (out, 1, 0, a10); store_vec (out, 1, 1, a11); store_vec (out, 1, 2, a12);
  store_vec (out, 2, 0, a20); store_vec (out, 2, 1, a21); store_vec (out, 2, 2, a22);
  store_vec (out, 3, 0, a30); store_vec (out, 3, 1, a31); store_vec (out, 3, 2, a32);
}

AVX2 static inline float
hsum_avx2 (__m256 v)
{
  float lanes[8];

  _mm256_storeu_ps (lanes, v);
  return hsum8 (lanes);
}

AVX2 static void
wgrad_tile_avx2 (const float *x,
                 gsize        x_image,
                 gsize        row_step,
                 gsize        k1,
                 gsize        k2,
                 const float *dy,
                 gsize        dy_image,
                 gsize        dy_cstride,
                 guint        mr,
                 guint        images,
                 guint        h,
                 guint        w,
                 float        sums[MR][3])
{
  __m256 a00 = _mm256_setzero_ps (), a01 = a00, a02 = a00;
  __m256 a10 = a00, a11 = a00, a12 = a00;
  __m256 a20 = a00, a21 = a00, a22 = a00;
  __m256 a30 = a00, a31 = a00, a32 = a00;
  const guint full = w / 8;
  const guint tail = w % 8;
  /* Lanes 0..tail-1 set: reads only what exists, zeros elsewhere. */
  const __m256i tail_mask = _mm256_cmpgt_epi32 (_mm256_set1_epi32 ((int) tail),
                                                _mm256_setr_epi32 (0, 1, 2, 3, 4, 5, 6, 7));
  const gsize s1 = dy_cstride, s2 = 2 * dy_cstride, s3 = 3 * dy_cstride;

  if (mr == MR && tail == 0)
    {
      /* The common case, without the per-vector checks. */
      for (guint j = 0; j < images; j++)
        for (guint oy = 0; oy < h; oy++)
          {
            const float *xr = x + j * x_image + oy * row_step;
            const float *gr = dy + j * dy_image + (gsize) oy * w;

            for (guint v = 0; v < full; v++)
              {
                __m256 x0 = _mm256_loadu_ps (xr);
                __m256 x1 = _mm256_loadu_ps (xr + k1);
                __m256 x2 = _mm256_loadu_ps (xr + k2);
                __m256 d = _mm256_loadu_ps (gr);

                a00 = _mm256_fmadd_ps (d, x0, a00);
                a01 = _mm256_fmadd_ps (d, x1, a01);
                a02 = _mm256_fmadd_ps (d, x2, a02);
                d = _mm256_loadu_ps (gr + s1);
                a10 = _mm256_fmadd_ps (d, x0, a10);
                a11 = _mm256_fmadd_ps (d, x1, a11);
                a12 = _mm256_fmadd_ps (d, x2, a12);
                d = _mm256_loadu_ps (gr + s2);
                a20 = _mm256_fmadd_ps (d, x0, a20);
                a21 = _mm256_fmadd_ps (d, x1, a21);
                a22 = _mm256_fmadd_ps (d, x2, a22);
                d = _mm256_loadu_ps (gr + s3);
                a30 = _mm256_fmadd_ps (d, x0, a30);
                a31 = _mm256_fmadd_ps (d, x1, a31);
                a32 = _mm256_fmadd_ps (d, x2, a32);
                xr += 8;
                gr += 8;
              }
          }
    }
  else
  for (guint j = 0; j < images; j++)
    for (guint oy = 0; oy < h; oy++)
      {
        const float *xr = x + j * x_image + oy * row_step;
        const float *gr = dy + j * dy_image + (gsize) oy * w;

#define ACC(LOAD)                                                             \
        {                                                                     \
          __m256 x0 = _mm256_loadu_ps (xr);                                   \
          __m256 x1 = _mm256_loadu_ps (xr + k1);                              \
          __m256 x2 = _mm256_loadu_ps (xr + k2);                              \
          __m256 d = LOAD (gr);                                               \
          a00 = _mm256_fmadd_ps (d, x0, a00);                                 \
          a01 = _mm256_fmadd_ps (d, x1, a01);                                 \
          a02 = _mm256_fmadd_ps (d, x2, a02);                                 \
          if (mr > 1)                                                         \
            {                                                                 \
              d = LOAD (gr + s1);                                             \
              a10 = _mm256_fmadd_ps (d, x0, a10);                             \
              a11 = _mm256_fmadd_ps (d, x1, a11);                             \
              a12 = _mm256_fmadd_ps (d, x2, a12);                             \
            }                                                                 \
          if (mr > 2)                                                         \
            {                                                                 \
              d = LOAD (gr + s2);                                             \
              a20 = _mm256_fmadd_ps (d, x0, a20);                             \
              a21 = _mm256_fmadd_ps (d, x1, a21);                             \
              a22 = _mm256_fmadd_ps (d, x2, a22);                             \
            }                                                                 \
          if (mr > 3)                                                         \
            {                                                                 \
              d = LOAD (gr + s3);                                             \
              a30 = _mm256_fmadd_ps (d, x0, a30);                             \
              a31 = _mm256_fmadd_ps (d, x1, a31);                             \
              a32 = _mm256_fmadd_ps (d, x2, a32);                             \
            }                                                                 \
        }
#define LOAD_FULL(p) _mm256_loadu_ps (p)
#define LOAD_TAIL(p) _mm256_maskload_ps (p, tail_mask)
        for (guint v = 0; v < full; v++)
          {
            ACC (LOAD_FULL)
            xr += 8;
            gr += 8;
          }
        if (tail)
          ACC (LOAD_TAIL)
#undef LOAD_FULL
#undef LOAD_TAIL
#undef ACC
      }

  sums[0][0] = hsum_avx2 (a00); sums[0][1] = hsum_avx2 (a01); sums[0][2] = hsum_avx2 (a02);
  sums[1][0] = hsum_avx2 (a10); sums[1][1] = hsum_avx2 (a11); sums[1][2] = hsum_avx2 (a12);
  sums[2][0] = hsum_avx2 (a20); sums[2][1] = hsum_avx2 (a21); sums[2][2] = hsum_avx2 (a22);
  sums[3][0] = hsum_avx2 (a30); sums[3][1] = hsum_avx2 (a31); sums[3][2] = hsum_avx2 (a32);
}

#endif /* HAVE_AVX2_KERNELS */

/* The tiles config runs with on this CPU. */
static ForwardTile
choose_forward_tile (const BsEngineConfig *config)
{
#ifdef HAVE_AVX2_KERNELS
  if (bs_engine_config_conv_avx2 (config))
    return forward_tile_avx2;
#endif
  return forward_tile_generic;
}

static WgradTile
choose_wgrad_tile (const BsEngineConfig *config)
{
#ifdef BS_CONV3_HAVE_AVX512_KERNELS
  if (bs_engine_config_conv_avx512 (config))
    return bs_conv3_wgrad_tile_avx512;
#endif
#ifdef HAVE_AVX2_KERNELS
  if (bs_engine_config_conv_avx2 (config))
    return wgrad_tile_avx2;
#endif
  return wgrad_tile_generic;
}

/* ---- chunk loops -------------------------------------------------------------- */

gsize
bs_conv3_padded_size (const BsPadShape *s)
{
  return (gsize) s->channels * s->images * (s->h + 2) * (s->w + 2) + SLACK;
}

BS_SIMD_CLONES void
bs_conv3_pad (const BsPadShape *s,
              const float      *src,
              guint             src_images,
              guint             n0,
              float            *dst)
{
  const gsize wp = s->w + 2, hp = s->h + 2;
  const gsize plane = hp * wp;
  const gsize even = (wp + 1) / 2;

  for (guint c = 0; c < s->channels; c++)
    for (guint j = 0; j < s->images; j++)
      {
        const float *in = src + ((gsize) c * src_images + n0 + j) * s->h * s->w;
        float *out = dst + ((gsize) c * s->images + j) * plane;

        memset (out, 0, wp * sizeof (float));                  /* top row */
        memset (out + (hp - 1) * wp, 0, wp * sizeof (float));  /* bottom row */
        for (guint y = 0; y < s->h; y++)
          {
            float *row = out + (y + 1) * wp;
            const float *r = in + (gsize) y * s->w;

            if (s->stride == 1)
              {
                /* A plain loop, vectorised in place: rows are short, and a
                 * memcpy call per row cost more than the copy. */
                float *restrict d = row + 1;
                const float *restrict in_row = r;
                const guint w = s->w;   /* not reloaded: the stores cannot change it */

                row[0] = 0.0f;
                for (guint x = 0; x < w; x++)
                  d[x] = in_row[x];
                row[w + 1] = 0.0f;
              }
            else
              {
                /* Padded column c is input column c - 1. Even columns 2i go to
                 * i (input 2i - 1), odd columns 2i + 1 to even + i (input 2i). */
                float *ev = row, *od = row + even;
                guint half = s->w / 2, i;

                /* Pairs (2i, 2i + 1) of the input: a loop the compiler vectorises. */
                ev[0] = 0.0f;
                for (i = 0; i < half; i++)
                  {
                    od[i] = r[2 * i];
                    ev[i + 1] = r[2 * i + 1];
                  }
                if (s->w % 2)
                  {
                    od[half] = r[s->w - 1];
                    ev[half + 1] = 0.0f;   /* right border (padded column w + 1, even) */
                    for (i = half + 2; i < even; i++)
                      ev[i] = 0.0f;
                    for (i = half + 1; i < wp - even; i++)
                      od[i] = 0.0f;
                  }
                else
                  {
                    od[half] = 0.0f;       /* right border (padded column w + 1, odd) */
                    for (i = half + 1; i < wp - even; i++)
                      od[i] = 0.0f;
                    for (i = half + 1; i < even; i++)
                      ev[i] = 0.0f;
                  }
              }
          }
      }
  memset (dst + (gsize) s->channels * s->images * plane, 0, SLACK * sizeof (float));
}

gsize
bs_conv3_packed_size (guint out_c,
                      guint in_c)
{
  return (gsize) ((MAX (out_c, in_c) + MR - 1) / MR) * MR * MAX (out_c, in_c) * TAPS;
}

void
bs_conv3_pack_weights (const float *w,
                       guint        out_c,
                       guint        in_c,
                       gboolean     flip_transpose,
                       float       *packed)
{
  guint ko = flip_transpose ? in_c : out_c;   /* the kernel's output channels */
  guint ki = flip_transpose ? out_c : in_c;

  for (guint o0 = 0; o0 < ko; o0 += MR)
    for (guint i = 0; i < ki; i++)
      for (guint t = 0; t < TAPS; t++)
        for (guint m = 0; m < MR; m++)
          {
            guint o = o0 + m;
            float v = 0.0f;

            if (o < ko)
              v = flip_transpose ? w[((gsize) i * in_c + o) * TAPS + (TAPS - 1 - t)]
                                 : w[((gsize) o * in_c + i) * TAPS + t];
            packed[(((gsize) (o0 / MR) * ki + i) * TAPS + t) * MR + m] = v;
          }
}

void
bs_conv3_forward_chunk (const BsEngineConfig *config,
                        const BsPadShape     *in,
                        const float          *padded,
                        const float          *packed,
                        guint                 out_c,
                        float                *y,
                        guint                 y_images,
                        guint                 n0,
                        gboolean              accumulate)
{
  const guint s = in->stride;
  const guint oh = bs_conv3_out_size (in->h, s), ow = bs_conv3_out_size (in->w, s);
  const gsize wp = in->w + 2, plane = (gsize) (in->h + 2) * wp;
  const gsize cstride = (gsize) in->images * plane;
  const guint per_row = (ow + 7) / 8;
  const guint per_image = oh * per_row;
  const guint n_vec = in->images * per_image;   /* output vectors in the chunk */
  const gsize packed_block = (gsize) in->channels * TAPS * MR;
  const gsize y_cstride = (gsize) y_images * oh * ow;
  const ForwardTile forward_tile = choose_forward_tile (config);
  gsize k[3], off[TAPS];

#ifdef BS_CONV3_HAVE_AVX512_KERNELS
  if (bs_engine_config_conv_avx512 (config))
    {
      bs_conv3_forward_chunk_avx512 (in, padded, packed, out_c, y, y_images, n0, accumulate);
      return;
    }
#endif
  bs_conv3_column_offsets (in, k);
  for (guint t = 0; t < TAPS; t++)
    off[t] = (t / 3) * wp + k[t % 3];

  /* Output channels in super-blocks whose packed weights stay in L1; within
   * one, every channel block runs over a pixel group before the next group,
   * so the group's input rows are read from L2 once per super-block. */
  guint super = MAX (1, (guint) (16384 / (packed_block * sizeof (float))));

  for (guint s0 = 0; s0 < out_c; s0 += super * MR)
    {
      guint s1 = MIN (out_c, s0 + super * MR);

      for (guint v0 = 0; v0 < n_vec; v0 += 3)
        {
          const float *base[3];
          TileOut out = { .ystride = y_cstride, .accumulate = accumulate };

          for (guint v = 0; v < 3; v++)
            {
              /* Past the end, repeat the last vector (computed, not stored). */
              guint idx = MIN (v0 + v, n_vec - 1);
              guint j = idx / per_image;
              guint rem = idx % per_image;
              guint oy = rem / per_row, ox = (rem % per_row) * 8;

              base[v] = padded + j * plane + (gsize) s * oy * wp + ox;
              out.dst[v] = y + (((gsize) s0 * y_images + n0 + j) * oh + oy) * ow + ox;
              out.lanes[v] = v0 + v < n_vec ? MIN (8, ow - ox) : 0;
            }

          for (guint o0 = s0; o0 < s1; o0 += MR)
            {
              out.mr = MIN (MR, out_c - o0);
              forward_tile (base[0], base[1], base[2], cstride, off, in->channels,
                            packed + (gsize) (o0 / MR) * packed_block, &out);
              for (guint v = 0; v < 3; v++)
                out.dst[v] += MR * y_cstride;
            }
        }
    }
}

void
bs_conv3_wgrad_chunk (const BsEngineConfig *config,
                      const BsPadShape     *in,
                      const float          *padded,
                      const float          *dy,
                      guint                 dy_images,
                      guint                 dy_n0,
                      guint                 out_c,
                      float                *dw)
{
  const guint s = in->stride, in_c = in->channels;
  const guint oh = bs_conv3_out_size (in->h, s), ow = bs_conv3_out_size (in->w, s);
  const gsize wp = in->w + 2, plane = (gsize) (in->h + 2) * wp;
  const gsize cstride = (gsize) in->images * plane;
  const gsize dy_cstride = (gsize) dy_images * oh * ow;
  const WgradTile wgrad_tile = choose_wgrad_tile (config);
#ifdef BS_CONV3_HAVE_AVX512_KERNELS
  const gboolean two_rows = bs_engine_config_conv_avx512 (config) && ow % 16 == 0;
#endif
  gsize k[3];

  bs_conv3_column_offsets (in, k);

  for (guint o0 = 0; o0 < out_c; o0 += MR)
    {
      guint mr = MIN (MR, out_c - o0);
      const float *g = dy + ((gsize) o0 * dy_images + dy_n0) * oh * ow;

      for (guint ci = 0; ci < in_c; ci++)
        for (guint ky = 0; ky < 3; ky++)
          {
            float sums[2][MR][3];
            guint rows = 1;

#ifdef BS_CONV3_HAVE_AVX512_KERNELS
            if (two_rows && mr == MR && ky == 0)
              {
                bs_conv3_wgrad_tile2_avx512 (padded + ci * cstride, plane, s * wp, k[1], k[2], wp,
                                             g, (gsize) oh * ow, dy_cstride, in->images, oh, ow, sums);
                rows = 2;
              }
            else
#endif
              wgrad_tile (padded + ci * cstride + ky * wp, plane, s * wp, k[1], k[2],
                          g, (gsize) oh * ow, dy_cstride, mr, in->images, oh, ow, sums[0]);
            for (guint r = 0; r < rows; r++)
              for (guint m = 0; m < mr; m++)
                for (guint kx = 0; kx < 3; kx++)
                  dw[(((gsize) (o0 + m) * in_c + ci) * 3 + ky + r) * 3 + kx] += sums[r][m][kx];
            ky += rows - 1;
          }
    }
}
