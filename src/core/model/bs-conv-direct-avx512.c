/* bs-conv-direct-avx512.c: the direct 3x3 kernels with 16-float vectors.
 *
 * The forward tile is the AVX2 one at twice the width: 4 output channels x
 * 3 vectors, each vector two 8-pixel slots of the AVX2 chunk loop (lanes
 * 0-7 and 8-15). Where both slots lie in one row (maps 16 or more wide) a
 * vector is one load; elsewhere (8-wide maps: two rows per vector) it is
 * two 8-float loads joined, and the stores split the same way. Every output
 * pixel is the same chain of FMAs over input channels and taps as in the
 * AVX2 kernel, so both give the same bits.
 *
 * The weight-gradient tile reduces over 16 pixels per vector: whole rows
 * of maps 16 or more wide (a masked vector for the rest of a row), two rows
 * of 8 for 8-wide maps. Its lanes split the sums differently from the AVX2
 * tile, so the last bits of the weight gradient differ between the two; the
 * order is still fixed, and a machine always gives the same result. */
#include "bs-conv-direct-private.h"

#ifdef BS_CONV3_HAVE_AVX512_KERNELS

#include <immintrin.h>

#define AVX512 __attribute__ ((target ("avx512f")))
#define INLINE inline __attribute__ ((always_inline))

/* One tile: 3 vectors of 16 lanes, lanes 0-7 at lo[v], 8-15 at hi[v]. */
typedef struct {
  const float *lo[3];     /* tap (0, 0) of input channel 0 */
  const float *hi[3];
  float       *dst_lo[3]; /* output channel 0 */
  float       *dst_hi[3];
  __mmask16    mask[3];   /* lanes that exist: bits 0-7 at dst_lo, 8-15 at dst_hi */
  gsize        ystride;
  guint        mr;
  gboolean     accumulate;
} Tile;

/* 8 floats at lo, then 8 at hi. */
AVX512 static INLINE __m512
load_pair (const float *lo,
           const float *hi)
{
  __m512d v = _mm512_castpd256_pd512 (_mm256_castps_pd (_mm256_loadu_ps (lo)));

  return _mm512_castpd_ps (_mm512_insertf64x4 (v, _mm256_castps_pd (_mm256_loadu_ps (hi)), 1));
}

/* Stores (or adds) the lanes of mask at d. */
AVX512 static INLINE void
store_masked (float     *d,
              __mmask16  mask,
              __m512     a,
              gboolean   accumulate)
{
  if (mask == 0xffff)
    {
      if (accumulate)
        a = _mm512_add_ps (a, _mm512_loadu_ps (d));
      _mm512_storeu_ps (d, a);
    }
  else if (mask != 0)
    {
      if (accumulate)
        a = _mm512_add_ps (a, _mm512_maskz_loadu_ps (mask, d));
      _mm512_mask_storeu_ps (d, mask, a);
    }
}

AVX512 static INLINE void
store_vec (const Tile *t,
           guint       m,
           guint       v,
           __m512      a,
           gboolean    split)
{
  gsize o = m * t->ystride;

  if (m >= t->mr)
    return;
  if (!split)
    store_masked (t->dst_lo[v] + o, t->mask[v], a, t->accumulate);
  else
    {
      /* Lanes 8-15 moved down for their own row. */
      __m512 high = _mm512_shuffle_f32x4 (a, a, _MM_SHUFFLE (1, 0, 3, 2));

      store_masked (t->dst_lo[v] + o, t->mask[v] & 0xff, a, t->accumulate);
      store_masked (t->dst_hi[v] + o, t->mask[v] >> 8, high, t->accumulate);
    }
}

/* The AVX2 tile's loop, 16 lanes wide: per tap, 3 input vectors, then the
 * 4 channels' broadcast weights, one FMA each. */
AVX512 static INLINE void
forward_tile_body (const Tile  *t,
                   gsize        cstride,
                   const gsize *off,
                   guint        in_c,
                   const float *wk,
                   gboolean     split)
{
  const float *l0 = t->lo[0], *l1 = t->lo[1], *l2 = t->lo[2];
  const float *h0 = t->hi[0], *h1 = t->hi[1], *h2 = t->hi[2];
  __m512 a00 = _mm512_setzero_ps (), a01 = a00, a02 = a00;
  __m512 a10 = a00, a11 = a00, a12 = a00;
  __m512 a20 = a00, a21 = a00, a22 = a00;
  __m512 a30 = a00, a31 = a00, a32 = a00;

  const gsize o0 = off[0], o1 = off[1], o2 = off[2], o3 = off[3], o4 = off[4];
  const gsize o5 = off[5], o6 = off[6], o7 = off[7], o8 = off[8];

  for (guint ci = 0; ci < in_c; ci++)
    {
#define LOAD(l, h, o) (split ? load_pair ((l) + (o), (h) + (o)) : _mm512_loadu_ps ((l) + (o)))
#define STEP(o)                                                               \
      {                                                                       \
        __m512 x0 = LOAD (l0, h0, o);                                         \
        __m512 x1 = LOAD (l1, h1, o);                                         \
        __m512 x2 = LOAD (l2, h2, o);                                         \
        __m512 wv = _mm512_set1_ps (wk[0]);                                   \
        a00 = _mm512_fmadd_ps (wv, x0, a00);                                  \
        a01 = _mm512_fmadd_ps (wv, x1, a01);                                  \
        a02 = _mm512_fmadd_ps (wv, x2, a02);                                  \
        wv = _mm512_set1_ps (wk[1]);                                          \
        a10 = _mm512_fmadd_ps (wv, x0, a10);                                  \
        a11 = _mm512_fmadd_ps (wv, x1, a11);                                  \
        a12 = _mm512_fmadd_ps (wv, x2, a12);                                  \
        wv = _mm512_set1_ps (wk[2]);                                          \
        a20 = _mm512_fmadd_ps (wv, x0, a20);                                  \
        a21 = _mm512_fmadd_ps (wv, x1, a21);                                  \
        a22 = _mm512_fmadd_ps (wv, x2, a22);                                  \
        wv = _mm512_set1_ps (wk[3]);                                          \
        a30 = _mm512_fmadd_ps (wv, x0, a30);                                  \
        a31 = _mm512_fmadd_ps (wv, x1, a31);                                  \
        a32 = _mm512_fmadd_ps (wv, x2, a32);                                  \
        wk += MR;                                                             \
      }
      STEP (o0) STEP (o1) STEP (o2) STEP (o3) STEP (o4) STEP (o5) STEP (o6) STEP (o7) STEP (o8)
#undef STEP
#undef LOAD
      l0 += cstride;
      l1 += cstride;
      l2 += cstride;
      if (split)
        {
          h0 += cstride;
          h1 += cstride;
          h2 += cstride;
        }
    }

  store_vec (t, 0, 0, a00, split); store_vec (t, 0, 1, a01, split); store_vec (t, 0, 2, a02, split);
  store_vec (t, 1, 0, a10, split); store_vec (t, 1, 1, a11, split); store_vec (t, 1, 2, a12, split);
  store_vec (t, 2, 0, a20, split); store_vec (t, 2, 1, a21, split); store_vec (t, 2, 2, a22, split);
  store_vec (t, 3, 0, a30, split); store_vec (t, 3, 1, a31, split); store_vec (t, 3, 2, a32, split);
}

/* Every vector's two halves side by side in one row. */
AVX512 static void
forward_tile_row (const Tile  *t,
                  gsize        cstride,
                  const gsize *off,
                  guint        in_c,
                  const float *wk)
{
  forward_tile_body (t, cstride, off, in_c, wk, FALSE);
}

/* Halves anywhere. */
AVX512 static void
forward_tile_split (const Tile  *t,
                    gsize        cstride,
                    const gsize *off,
                    guint        in_c,
                    const float *wk)
{
  forward_tile_body (t, cstride, off, in_c, wk, TRUE);
}

/* The AVX2 chunk loop's 8-pixel slots, six to a tile (two per vector). */
typedef struct {
  const float *padded;
  float       *y;          /* output channel s0 of image 0 of the chunk, row 0 */
  guint        n_slots;
  guint        per_row;
  guint        per_image;
  guint        stride;
  guint        ow;
  guint        oh;
  gsize        wp;
  gsize        plane;
} Slots;

/* Slot idx's input base, output and lanes; past the end, the last slot
 * again with no lanes (computed, not stored). Returns whether the slot
 * after it continues the same row. */
static inline gboolean
slot_at (const Slots  *sl,
         guint         idx,
         const float **base,
         float       **dst,
         guint        *lanes)
{
  guint i = MIN (idx, sl->n_slots - 1);
  guint j = i / sl->per_image;
  guint rem = i % sl->per_image;
  guint oy = rem / sl->per_row, col = rem % sl->per_row, ox = col * 8;

  *base = sl->padded + j * sl->plane + (gsize) sl->stride * oy * sl->wp + ox;
  *dst = sl->y + ((gsize) j * sl->oh + oy) * sl->ow + ox;
  *lanes = idx < sl->n_slots ? MIN (8, sl->ow - ox) : 0;
  return col + 1 < sl->per_row;
}

void
bs_conv3_forward_chunk_avx512 (const BsPadShape *in,
                               const float      *padded,
                               const float      *packed,
                               guint             out_c,
                               float            *y,
                               guint             y_images,
                               guint             n0,
                               gboolean          accumulate)
{
  const guint s = in->stride;
  const guint oh = bs_conv3_out_size (in->h, s), ow = bs_conv3_out_size (in->w, s);
  const gsize wp = in->w + 2, plane = (gsize) (in->h + 2) * wp;
  const gsize cstride = (gsize) in->images * plane;
  const guint per_row = (ow + 7) / 8;
  const gsize packed_block = (gsize) in->channels * TAPS * MR;
  const gsize y_cstride = (gsize) y_images * oh * ow;
  Slots sl = { .padded = padded, .per_row = per_row, .per_image = oh * per_row, .stride = s,
               .ow = ow, .oh = oh, .wp = wp, .plane = plane };
  gsize k[3], off[TAPS];

  sl.n_slots = in->images * sl.per_image;
  bs_conv3_column_offsets (in, k);
  for (guint t = 0; t < TAPS; t++)
    off[t] = (t / 3) * wp + k[t % 3];

  /* Super-blocks of output channels as in the AVX2 loop. */
  guint super = MAX (1, (guint) (16384 / (packed_block * sizeof (float))));

  for (guint s0 = 0; s0 < out_c; s0 += super * MR)
    {
      guint s1 = MIN (out_c, s0 + super * MR);

      sl.y = y + ((gsize) s0 * y_images + n0) * oh * ow;
      for (guint v0 = 0; v0 < sl.n_slots; v0 += 6)
        {
          Tile t = { .ystride = y_cstride, .accumulate = accumulate };
          gboolean split = FALSE;

          for (guint v = 0; v < 3; v++)
            {
              guint lo = v0 + 2 * v, lanes_lo, lanes_hi;
              gboolean same_row = slot_at (&sl, lo, &t.lo[v], &t.dst_lo[v], &lanes_lo);

              slot_at (&sl, lo + 1, &t.hi[v], &t.dst_hi[v], &lanes_hi);
              /* A missing second half reads past the row (padding or the
               * slack), as the AVX2 tile's last lanes do. */
              if (!same_row && lo + 1 < sl.n_slots)
                split = TRUE;
              t.mask[v] = (__mmask16) (((1u << lanes_lo) - 1) | (((1u << lanes_hi) - 1) << 8));
            }

          for (guint o0 = s0; o0 < s1; o0 += MR)
            {
              const float *wk = packed + (gsize) (o0 / MR) * packed_block;

              t.mr = MIN (MR, out_c - o0);
              if (split)
                forward_tile_split (&t, cstride, off, in->channels, wk);
              else
                forward_tile_row (&t, cstride, off, in->channels, wk);
              for (guint v = 0; v < 3; v++)
                {
                  t.dst_lo[v] += MR * y_cstride;
                  t.dst_hi[v] += MR * y_cstride;
                }
            }
        }
    }
}

/* ---- weight gradient ---------------------------------------------------------- */

/* a[m][kx] += d(m) * x[kx] for the channels that exist; d(m) loads dy of channel m. */
#define WGRAD_ACC(D)                                                          \
  {                                                                           \
    __m512 d = D (0);                                                         \
    a00 = _mm512_fmadd_ps (d, x0, a00);                                       \
    a01 = _mm512_fmadd_ps (d, x1, a01);                                       \
    a02 = _mm512_fmadd_ps (d, x2, a02);                                       \
    if (mr > 1)                                                               \
      {                                                                       \
        d = D (s1);                                                           \
        a10 = _mm512_fmadd_ps (d, x0, a10);                                   \
        a11 = _mm512_fmadd_ps (d, x1, a11);                                   \
        a12 = _mm512_fmadd_ps (d, x2, a12);                                   \
      }                                                                       \
    if (mr > 2)                                                               \
      {                                                                       \
        d = D (s2);                                                           \
        a20 = _mm512_fmadd_ps (d, x0, a20);                                   \
        a21 = _mm512_fmadd_ps (d, x1, a21);                                   \
        a22 = _mm512_fmadd_ps (d, x2, a22);                                   \
      }                                                                       \
    if (mr > 3)                                                               \
      {                                                                       \
        d = D (s3);                                                           \
        a30 = _mm512_fmadd_ps (d, x0, a30);                                   \
        a31 = _mm512_fmadd_ps (d, x1, a31);                                   \
        a32 = _mm512_fmadd_ps (d, x2, a32);                                   \
      }                                                                       \
  }

AVX512 void
bs_conv3_wgrad_tile_avx512 (const float *x,
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
  __m512 a00 = _mm512_setzero_ps (), a01 = a00, a02 = a00;
  __m512 a10 = a00, a11 = a00, a12 = a00;
  __m512 a20 = a00, a21 = a00, a22 = a00;
  __m512 a30 = a00, a31 = a00, a32 = a00;
  const gsize s1 = dy_cstride, s2 = 2 * dy_cstride, s3 = 3 * dy_cstride;

  if (w <= 8)
    {
      /* Two rows per vector, the rows of all images in turn; dy lanes past
       * a row are zero, so the x lanes there add nothing. */
      const __mmask16 row = (__mmask16) ((1u << w) - 1);
      const guint rows = images * h;
      /* 8-wide rows of dy follow each other: one load for two. */
      const gboolean dy_rows = w == 8 && dy_image == (gsize) h * w;
      const float *xa, *xb, *ga, *gb;
      guint r, ja = 0, ya = 0, jb, yb;

      for (r = 0; r + 1 < rows; r += 2)
        {
          __m512 x0, x1, x2;

          /* Rows r (image ja, row ya) and r + 1 (jb, yb). */
          jb = ya + 1 < h ? ja : ja + 1;
          yb = ya + 1 < h ? ya + 1 : 0;
          xa = x + ja * x_image + ya * row_step;
          xb = x + jb * x_image + yb * row_step;
          ga = dy + ja * dy_image + (gsize) ya * w;
          gb = dy + jb * dy_image + (gsize) yb * w;
          x0 = load_pair (xa, xb);
          x1 = load_pair (xa + k1, xb + k1);
          x2 = load_pair (xa + k2, xb + k2);

#define D_PAIR(o)                                                             \
          (dy_rows ? _mm512_loadu_ps (ga + (o)) :                             \
          _mm512_castpd_ps (_mm512_insertf64x4 (                              \
            _mm512_castps_pd (_mm512_maskz_loadu_ps (row, ga + (o))),         \
            _mm512_castpd512_pd256 (_mm512_castps_pd (_mm512_maskz_loadu_ps (row, gb + (o)))), 1)))
          WGRAD_ACC (D_PAIR)
#undef D_PAIR
          ja = yb + 1 < h ? jb : jb + 1;
          ya = yb + 1 < h ? yb + 1 : 0;
        }
      if (r < rows)
        {
          xa = x + ja * x_image + ya * row_step;
          ga = dy + ja * dy_image + (gsize) ya * w;
          __m512 x0 = _mm512_maskz_loadu_ps (row, xa);
          __m512 x1 = _mm512_maskz_loadu_ps (row, xa + k1);
          __m512 x2 = _mm512_maskz_loadu_ps (row, xa + k2);

#define D_ROW(o) _mm512_maskz_loadu_ps (row, ga + (o))
          WGRAD_ACC (D_ROW)
#undef D_ROW
        }
    }
  else if (mr == MR && w % 16 == 0)
    {
      /* The common case, without the per-vector checks. */
      for (guint j = 0; j < images; j++)
        for (guint oy = 0; oy < h; oy++)
          {
            const float *xr = x + j * x_image + oy * row_step;
            const float *gr = dy + j * dy_image + (gsize) oy * w;

            for (guint ox = 0; ox < w; ox += 16)
              {
                __m512 x0 = _mm512_loadu_ps (xr);
                __m512 x1 = _mm512_loadu_ps (xr + k1);
                __m512 x2 = _mm512_loadu_ps (xr + k2);
                __m512 d = _mm512_loadu_ps (gr);

                a00 = _mm512_fmadd_ps (d, x0, a00);
                a01 = _mm512_fmadd_ps (d, x1, a01);
                a02 = _mm512_fmadd_ps (d, x2, a02);
                d = _mm512_loadu_ps (gr + s1);
                a10 = _mm512_fmadd_ps (d, x0, a10);
                a11 = _mm512_fmadd_ps (d, x1, a11);
                a12 = _mm512_fmadd_ps (d, x2, a12);
                d = _mm512_loadu_ps (gr + s2);
                a20 = _mm512_fmadd_ps (d, x0, a20);
                a21 = _mm512_fmadd_ps (d, x1, a21);
                a22 = _mm512_fmadd_ps (d, x2, a22);
                d = _mm512_loadu_ps (gr + s3);
                a30 = _mm512_fmadd_ps (d, x0, a30);
                a31 = _mm512_fmadd_ps (d, x1, a31);
                a32 = _mm512_fmadd_ps (d, x2, a32);
                xr += 16;
                gr += 16;
              }
          }
    }
  else
    {
      const guint full = w / 16;
      const __mmask16 tail = (__mmask16) ((1u << (w % 16)) - 1);

      for (guint j = 0; j < images; j++)
        for (guint oy = 0; oy < h; oy++)
          {
            const float *xr = x + j * x_image + oy * row_step;
            const float *gr = dy + j * dy_image + (gsize) oy * w;

            for (guint v = 0; v < full; v++)
              {
                __m512 x0 = _mm512_loadu_ps (xr);
                __m512 x1 = _mm512_loadu_ps (xr + k1);
                __m512 x2 = _mm512_loadu_ps (xr + k2);

#define D_FULL(o) _mm512_loadu_ps (gr + (o))
                WGRAD_ACC (D_FULL)
#undef D_FULL
                xr += 16;
                gr += 16;
              }
            if (tail)
              {
                __m512 x0 = _mm512_maskz_loadu_ps (tail, xr);
                __m512 x1 = _mm512_maskz_loadu_ps (tail, xr + k1);
                __m512 x2 = _mm512_maskz_loadu_ps (tail, xr + k2);

#define D_TAIL(o) _mm512_maskz_loadu_ps (tail, gr + (o))
                WGRAD_ACC (D_TAIL)
#undef D_TAIL
              }
          }
    }

  sums[0][0] = _mm512_reduce_add_ps (a00);
  sums[0][1] = _mm512_reduce_add_ps (a01);
  sums[0][2] = _mm512_reduce_add_ps (a02);
  sums[1][0] = _mm512_reduce_add_ps (a10);
  sums[1][1] = _mm512_reduce_add_ps (a11);
  sums[1][2] = _mm512_reduce_add_ps (a12);
  sums[2][0] = _mm512_reduce_add_ps (a20);
  sums[2][1] = _mm512_reduce_add_ps (a21);
  sums[2][2] = _mm512_reduce_add_ps (a22);
  sums[3][0] = _mm512_reduce_add_ps (a30);
  sums[3][1] = _mm512_reduce_add_ps (a31);
  sums[3][2] = _mm512_reduce_add_ps (a32);
}

#undef WGRAD_ACC

/* Taps rows ky and ky + 1 at once for maps a whole number of 16-lane
 * vectors wide and 4 channels: 24 accumulators, 6 input and 4 dy loads per
 * 24 FMAs instead of 3 and 4 per 12 (the reduction streams from L2).
 * sums[r] are the sums of tap row ky + r, each in the order of the one-row
 * tile's fast path. */
AVX512 void
bs_conv3_wgrad_tile2_avx512 (const float *x,
                             gsize        x_image,
                             gsize        row_step,
                             gsize        k1,
                             gsize        k2,
                             gsize        ky_step,
                             const float *dy,
                             gsize        dy_image,
                             gsize        dy_cstride,
                             guint        images,
                             guint        h,
                             guint        w,
                             float        sums[2][MR][3])
{
  __m512 a000 = _mm512_setzero_ps (), a001 = a000, a002 = a000, a010 = a000, a011 = a000, a012 = a000;
  __m512 a100 = a000, a101 = a000, a102 = a000, a110 = a000, a111 = a000, a112 = a000;
  __m512 a200 = a000, a201 = a000, a202 = a000, a210 = a000, a211 = a000, a212 = a000;
  __m512 a300 = a000, a301 = a000, a302 = a000, a310 = a000, a311 = a000, a312 = a000;
  const gsize s1 = dy_cstride, s2 = 2 * dy_cstride, s3 = 3 * dy_cstride;

  for (guint j = 0; j < images; j++)
    for (guint oy = 0; oy < h; oy++)
      {
        const float *xr = x + j * x_image + oy * row_step;
        const float *gr = dy + j * dy_image + (gsize) oy * w;

        for (guint ox = 0; ox < w; ox += 16)
          {
            __m512 x00 = _mm512_loadu_ps (xr);
            __m512 x01 = _mm512_loadu_ps (xr + k1);
            __m512 x02 = _mm512_loadu_ps (xr + k2);
            __m512 x10 = _mm512_loadu_ps (xr + ky_step);
            __m512 x11 = _mm512_loadu_ps (xr + ky_step + k1);
            __m512 x12 = _mm512_loadu_ps (xr + ky_step + k2);
            __m512 d;

#define CHANNEL(m, o)                                                         \
            d = _mm512_loadu_ps (gr + (o));                                   \
            a##m##00 = _mm512_fmadd_ps (d, x00, a##m##00);                    \
            a##m##01 = _mm512_fmadd_ps (d, x01, a##m##01);                    \
            a##m##02 = _mm512_fmadd_ps (d, x02, a##m##02);                    \
            a##m##10 = _mm512_fmadd_ps (d, x10, a##m##10);                    \
            a##m##11 = _mm512_fmadd_ps (d, x11, a##m##11);                    \
            a##m##12 = _mm512_fmadd_ps (d, x12, a##m##12);
            CHANNEL (0, 0)
            CHANNEL (1, s1)
            CHANNEL (2, s2)
            CHANNEL (3, s3)
#undef CHANNEL
            xr += 16;
            gr += 16;
          }
      }

#define SUMS(m)                                                               \
  sums[0][m][0] = _mm512_reduce_add_ps (a##m##00);                            \
  sums[0][m][1] = _mm512_reduce_add_ps (a##m##01);                            \
  sums[0][m][2] = _mm512_reduce_add_ps (a##m##02);                            \
  sums[1][m][0] = _mm512_reduce_add_ps (a##m##10);                            \
  sums[1][m][1] = _mm512_reduce_add_ps (a##m##11);                            \
  sums[1][m][2] = _mm512_reduce_add_ps (a##m##12);
  SUMS (0) SUMS (1) SUMS (2) SUMS (3)
#undef SUMS
}

#endif /* BS_CONV3_HAVE_AVX512_KERNELS */
