/* bs-gram-kernel.c: packed 16 x 6, 16 x 4 and 8 x 8 register tiles for Gram matrices (see bs-gram-kernel.h).
 *
 * A block of up to KC features (pieces of one or more channels) is packed
 * into panels of 16 examples, P[g][k][16] = x[16 g + l][k] - x[0][k], with
 * rows past n set to zero. A tile takes rows 16 g .. 16 g + 15 from one
 * panel (two vector loads per feature) and columns j0 .. j0 + 5 as
 * broadcasts from one panel: twelve accumulators, twelve FMAs per feature.
 * Each panel's 16 columns take tiles of 6, 6 and 4 (eight accumulators), so
 * that a tile never spans two panels. Column tiles run over the blocks above
 * the diagonal; the panel of a column tile stays in L1 while the row panels
 * stream from L2. A diagonal block takes three 8 x 8 tiles (one vector of
 * rows), which cover its upper triangle with 192 of its 256 entries. */
#include "bs-gram-kernel.h"

#include <string.h>

#include "bs-gram-kernel-private.h"
#include "bs-simd.h"

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
#include <immintrin.h>
#define HAVE_AVX2_KERNELS 1
#define AVX2 __attribute__ ((target ("avx2,fma")))
#endif

gsize
bs_gram_kernel_ld (guint n)
{
  return ((gsize) n + MR - 1) / MR * MR;
}

gsize
bs_gram_kernel_pack_floats (guint n)
{
  return bs_gram_kernel_ld (n) * KC;
}

/* ---- Portable kernels. */

/* Rows [r0, r0 + 8) of a segment (r0 < ld), scalar. */
void
bs_gram_pack_rows_generic (const Job     *job,
                   const Segment *seg,
                   gsize          r0,
                   guint          k_begin)
{
  gsize S = job->spatial;
  const float *first = job->act + seg->c * job->n * S + seg->s0;

  for (gsize r = r0; r < r0 + 8; r++)
    {
      float *dest = panel (job, r) + (gsize) seg->k0 * MR;

      if (r < job->n)
        {
          const float *row = first + r * S;

          for (guint k = k_begin; k < seg->len; k++)
            dest[(gsize) k * MR] = row[k] - first[k];
        }
      else if (!job->zeros_packed)
        for (guint k = k_begin; k < seg->len; k++)
          dest[(gsize) k * MR] = 0.0f;
    }
}

static void
pack_generic (const Job     *job,
              const Segment *segs,
              guint          n_segs)
{
  for (guint s = 0; s < n_segs; s++)
    for (gsize r0 = 0; r0 < (job->zeros_packed ? job->n : job->ld); r0 += 8)
      bs_gram_pack_rows_generic (job, &segs[s], r0, 0);
}

static void
tile_generic (const Job     *job,
              const Segment *seg,
              guint          k0,
              guint          len,
              guint          g,
              guint          j0,
              guint          nr)
{
  const float *pa = job->pack + (gsize) g * KC * MR;
  float acc[NR][MR] = { { 0 } };

  for (guint k = k0; k < k0 + len; k++)
    for (guint q = 0; q < nr; q++)
      {
        float b = panel (job, j0 + q)[(gsize) k * MR];

        for (guint l = 0; l < MR; l++)
          acc[q][l] += pa[(gsize) k * MR + l] * b;
      }
  for (guint o = 0; o < job->n_outputs; o++)
    {
      float w = seg ? segment_weight (job, seg, o) : 1.0f;
      gboolean store = job->overwrite && (seg == NULL || seg->k0 == 0);

      for (guint q = 0; q < nr; q++)
        {
          float *dest = job->out[o] + (gsize) (j0 + q) * job->ld + (gsize) g * MR;

          for (guint l = 0; l < MR; l++)
            dest[l] = w * acc[q][l] + (store ? 0.0f : dest[l]);
        }
    }
}

/* Column tiles of 6, 6 and 4 within each panel's 16 columns: only the
 * diagonal blocks compute entries below the diagonal (7 % fewer tile
 * products than tiles of 6 throughout at n = 256). */
static const guint tile_offsets[3] = { 0, NR, 2 * NR }, tile_widths[3] = { NR, NR, NR_LAST };

static void
diag_generic (const Job     *job,
              const Segment *seg,
              guint          k0,
              guint          len,
              guint          p)
{
  for (guint t = 0; t < 3 && p * MR + tile_offsets[t] < job->n; t++)
    job->run_tile (job, seg, k0, len, p, p * MR + tile_offsets[t], tile_widths[t]);
}

/* ---- AVX2 + FMA kernels. */

#ifdef HAVE_AVX2_KERNELS

AVX2 static inline void
transpose8 (__m256 r[8])
{
  __m256 t0 = _mm256_unpacklo_ps (r[0], r[1]), t1 = _mm256_unpackhi_ps (r[0], r[1]);
  __m256 t2 = _mm256_unpacklo_ps (r[2], r[3]), t3 = _mm256_unpackhi_ps (r[2], r[3]);
  __m256 t4 = _mm256_unpacklo_ps (r[4], r[5]), t5 = _mm256_unpackhi_ps (r[4], r[5]);
  __m256 t6 = _mm256_unpacklo_ps (r[6], r[7]), t7 = _mm256_unpackhi_ps (r[6], r[7]);
  __m256 s0 = _mm256_shuffle_ps (t0, t2, 0x44), s1 = _mm256_shuffle_ps (t0, t2, 0xee);
  __m256 s2 = _mm256_shuffle_ps (t1, t3, 0x44), s3 = _mm256_shuffle_ps (t1, t3, 0xee);
  __m256 s4 = _mm256_shuffle_ps (t4, t6, 0x44), s5 = _mm256_shuffle_ps (t4, t6, 0xee);
  __m256 s6 = _mm256_shuffle_ps (t5, t7, 0x44), s7 = _mm256_shuffle_ps (t5, t7, 0xee);

  r[0] = _mm256_permute2f128_ps (s0, s4, 0x20);
  r[1] = _mm256_permute2f128_ps (s1, s5, 0x20);
  r[2] = _mm256_permute2f128_ps (s2, s6, 0x20);
  r[3] = _mm256_permute2f128_ps (s3, s7, 0x20);
  r[4] = _mm256_permute2f128_ps (s0, s4, 0x31);
  r[5] = _mm256_permute2f128_ps (s1, s5, 0x31);
  r[6] = _mm256_permute2f128_ps (s2, s6, 0x31);
  r[7] = _mm256_permute2f128_ps (s3, s7, 0x31);
}

/* Rows r0 .. r0 + 7 of a segment of fewer than 8 features (small maps:
 * 1 x 1, 2 x 2): contiguous for 1 x 1 maps, a transpose in registers for a
 * whole channel of a 2 x 2 map, otherwise one feature of 8 examples at a
 * time, gathered at the map's stride. */
AVX2 static inline void
pack_short_avx2 (const Job     *job,
                 const Segment *seg,
                 const float   *first,
                 gsize          r0,
                 float         *dest)
{
  gsize S = job->spatial;

  if (S == 1)
    {
      _mm256_store_ps (dest, _mm256_sub_ps (_mm256_loadu_ps (first + r0), _mm256_set1_ps (first[0])));
      return;
    }
  if (S == 4 && seg->s0 == 0 && seg->len == 4)
    {
      /* 2 x 2 maps: the 8 examples' 4 features are 32 consecutive floats,
       * transposed 8 x 4 in registers: pairs of examples interleaved
       * within each vector, then pairs of pairs, then the halves. */
      const __m256i pairs = _mm256_setr_epi32 (0, 4, 1, 5, 2, 6, 3, 7);
      const float *src = first + r0 * 4;
      __m256 v0 = _mm256_permutevar8x32_ps (_mm256_loadu_ps (src), pairs);
      __m256 v1 = _mm256_permutevar8x32_ps (_mm256_loadu_ps (src + 8), pairs);
      __m256 v2 = _mm256_permutevar8x32_ps (_mm256_loadu_ps (src + 16), pairs);
      __m256 v3 = _mm256_permutevar8x32_ps (_mm256_loadu_ps (src + 24), pairs);
      __m256 t0 = _mm256_castpd_ps (_mm256_unpacklo_pd (_mm256_castps_pd (v0), _mm256_castps_pd (v1)));
      __m256 t1 = _mm256_castpd_ps (_mm256_unpackhi_pd (_mm256_castps_pd (v0), _mm256_castps_pd (v1)));
      __m256 t2 = _mm256_castpd_ps (_mm256_unpacklo_pd (_mm256_castps_pd (v2), _mm256_castps_pd (v3)));
      __m256 t3 = _mm256_castpd_ps (_mm256_unpackhi_pd (_mm256_castps_pd (v2), _mm256_castps_pd (v3)));

      _mm256_store_ps (dest, _mm256_sub_ps (_mm256_permute2f128_ps (t0, t2, 0x20), _mm256_set1_ps (first[0])));
      _mm256_store_ps (dest + MR, _mm256_sub_ps (_mm256_permute2f128_ps (t1, t3, 0x20), _mm256_set1_ps (first[1])));
      _mm256_store_ps (dest + 2 * MR, _mm256_sub_ps (_mm256_permute2f128_ps (t0, t2, 0x31), _mm256_set1_ps (first[2])));
      _mm256_store_ps (dest + 3 * MR, _mm256_sub_ps (_mm256_permute2f128_ps (t1, t3, 0x31), _mm256_set1_ps (first[3])));
      return;
    }
  for (guint k = 0; k < seg->len; k++)
    {
      const __m256i stride = _mm256_setr_epi32 (0, 1, 2, 3, 4, 5, 6, 7);
      __m256i index = _mm256_mullo_epi32 (stride, _mm256_set1_epi32 ((int) S));
      __m256 rows = _mm256_i32gather_ps (first + r0 * S + k, index, 4);

      _mm256_store_ps (dest + (gsize) k * MR, _mm256_sub_ps (rows, _mm256_set1_ps (first[k])));
    }
}

AVX2 void
bs_gram_pack_avx2 (const Job     *job,
           const Segment *segs,
           guint          n_segs)
{
  gsize S = job->spatial;

  for (guint s = 0; s < n_segs; s++)
    {
      const Segment *seg = &segs[s];
      const float *first = job->act + seg->c * job->n * S + seg->s0;
      guint full = seg->len / 8 * 8;

      for (gsize r0 = 0; r0 < (job->zeros_packed ? job->n : job->ld); r0 += 8)
        {
          float *dest = panel (job, r0) + (gsize) seg->k0 * MR;

          if (r0 + 8 > job->n)
            {
              bs_gram_pack_rows_generic (job, seg, r0, 0);
              continue;
            }
          if (full == 0)
            {
              pack_short_avx2 (job, seg, first, r0, dest);
              continue;
            }
          for (guint k = 0; k < full; k += 8)
            {
              __m256 shift = _mm256_loadu_ps (first + k);
              __m256 r[8];

              for (guint l = 0; l < 8; l++)
                r[l] = _mm256_sub_ps (_mm256_loadu_ps (first + (r0 + l) * S + k), shift);
              transpose8 (r);
              for (guint l = 0; l < 8; l++)
                _mm256_store_ps (dest + (gsize) (k + l) * MR, r[l]);
            }
          if (full < seg->len)
            bs_gram_pack_rows_generic (job, seg, r0, full);
        }
    }
}

/* Adds (or stores) w_o times the tile's accumulators: nr columns of
 * `vectors` vectors of 8 rows each, the first at row 16 g + row0. */
AVX2 static inline void
flush_tile (const Job     *job,
            const Segment *seg,
            guint          g,
            guint          row0,
            guint          j0,
            guint          nr,
            guint          vectors,
            __m256         acc[][2])
{
  for (guint o = 0; o < job->n_outputs; o++)
    {
      __m256 w = _mm256_set1_ps (seg ? segment_weight (job, seg, o) : 1.0f);
      gboolean store = job->overwrite && (seg == NULL || seg->k0 == 0);

      for (guint q = 0; q < nr; q++)
        {
          float *dest = job->out[o] + (gsize) (j0 + q) * job->ld + (gsize) g * MR + row0;

          for (guint v = 0; v < vectors; v++)
            {
              __m256 old = store ? _mm256_setzero_ps () : _mm256_loadu_ps (dest + 8 * v);

              _mm256_storeu_ps (dest + 8 * v, _mm256_fmadd_ps (w, acc[q][v], old));
            }
        }
    }
}

AVX2 static void
tile6_avx2 (const Job     *job,
            const Segment *seg,
            guint          k0,
            guint          len,
            guint          g,
            guint          j0)
{
  const float *pa = job->pack + ((gsize) g * KC + k0) * MR;
  const float *b0 = panel (job, j0) + (gsize) k0 * MR, *b1 = panel (job, j0 + 1) + (gsize) k0 * MR;
  const float *b2 = panel (job, j0 + 2) + (gsize) k0 * MR, *b3 = panel (job, j0 + 3) + (gsize) k0 * MR;
  const float *b4 = panel (job, j0 + 4) + (gsize) k0 * MR, *b5 = panel (job, j0 + 5) + (gsize) k0 * MR;
  __m256 c00 = _mm256_setzero_ps (), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00;
  __m256 c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00;
  __m256 acc[NR][2];

#pragma GCC unroll 4
  for (guint k = 0; k < len; k++)
    {
      gsize at = (gsize) k * MR;
      __m256 a0 = _mm256_load_ps (pa + at), a1 = _mm256_load_ps (pa + at + 8), b;

      b = _mm256_broadcast_ss (b0 + at);
      c00 = _mm256_fmadd_ps (a0, b, c00);
      c01 = _mm256_fmadd_ps (a1, b, c01);
      b = _mm256_broadcast_ss (b1 + at);
      c10 = _mm256_fmadd_ps (a0, b, c10);
      c11 = _mm256_fmadd_ps (a1, b, c11);
      b = _mm256_broadcast_ss (b2 + at);
      c20 = _mm256_fmadd_ps (a0, b, c20);
      c21 = _mm256_fmadd_ps (a1, b, c21);
      b = _mm256_broadcast_ss (b3 + at);
      c30 = _mm256_fmadd_ps (a0, b, c30);
      c31 = _mm256_fmadd_ps (a1, b, c31);
      b = _mm256_broadcast_ss (b4 + at);
      c40 = _mm256_fmadd_ps (a0, b, c40);
      c41 = _mm256_fmadd_ps (a1, b, c41);
      b = _mm256_broadcast_ss (b5 + at);
      c50 = _mm256_fmadd_ps (a0, b, c50);
      c51 = _mm256_fmadd_ps (a1, b, c51);
    }

  acc[0][0] = c00; acc[0][1] = c01; acc[1][0] = c10; acc[1][1] = c11;
  acc[2][0] = c20; acc[2][1] = c21; acc[3][0] = c30; acc[3][1] = c31;
  acc[4][0] = c40; acc[4][1] = c41; acc[5][0] = c50; acc[5][1] = c51;
  flush_tile (job, seg, g, 0, j0, NR, 2, acc);
}

/* The last 4 columns of a panel: eight accumulators, just enough to cover
 * the FMA latency on two pipes. */
AVX2 static void
tile4_avx2 (const Job     *job,
            const Segment *seg,
            guint          k0,
            guint          len,
            guint          g,
            guint          j0)
{
  const float *pa = job->pack + ((gsize) g * KC + k0) * MR;
  const float *b0 = panel (job, j0) + (gsize) k0 * MR, *b1 = panel (job, j0 + 1) + (gsize) k0 * MR;
  const float *b2 = panel (job, j0 + 2) + (gsize) k0 * MR, *b3 = panel (job, j0 + 3) + (gsize) k0 * MR;
  __m256 c00 = _mm256_setzero_ps (), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00;
  __m256 c30 = c00, c31 = c00;
  __m256 acc[NR_LAST][2];

#pragma GCC unroll 4
  for (guint k = 0; k < len; k++)
    {
      gsize at = (gsize) k * MR;
      __m256 a0 = _mm256_load_ps (pa + at), a1 = _mm256_load_ps (pa + at + 8), b;

      b = _mm256_broadcast_ss (b0 + at);
      c00 = _mm256_fmadd_ps (a0, b, c00);
      c01 = _mm256_fmadd_ps (a1, b, c01);
      b = _mm256_broadcast_ss (b1 + at);
      c10 = _mm256_fmadd_ps (a0, b, c10);
      c11 = _mm256_fmadd_ps (a1, b, c11);
      b = _mm256_broadcast_ss (b2 + at);
      c20 = _mm256_fmadd_ps (a0, b, c20);
      c21 = _mm256_fmadd_ps (a1, b, c21);
      b = _mm256_broadcast_ss (b3 + at);
      c30 = _mm256_fmadd_ps (a0, b, c30);
      c31 = _mm256_fmadd_ps (a1, b, c31);
    }

  acc[0][0] = c00; acc[0][1] = c01; acc[1][0] = c10; acc[1][1] = c11;
  acc[2][0] = c20; acc[2][1] = c21; acc[3][0] = c30; acc[3][1] = c31;
  flush_tile (job, seg, g, 0, j0, NR_LAST, 2, acc);
}

AVX2 static void
tile_avx2 (const Job     *job,
           const Segment *seg,
           guint          k0,
           guint          len,
           guint          g,
           guint          j0,
           guint          nr)
{
  if (nr == NR)
    tile6_avx2 (job, seg, k0, len, g, j0);
  else
    tile4_avx2 (job, seg, k0, len, g, j0);
}

/* Rows 8 h .. 8 h + 7 of panel g against columns j0 .. j0 + 7 of one panel:
 * one vector of rows, eight accumulators. Three of them cover the upper
 * triangle of a diagonal block (192 of its 256 entries instead of all). */
AVX2 static void
tile8_avx2 (const Job     *job,
            const Segment *seg,
            guint          k0,
            guint          len,
            guint          g,
            guint          h,
            guint          j0)
{
  const float *pa = job->pack + ((gsize) g * KC + k0) * MR + 8 * h;
  const float *pb = panel (job, j0) + (gsize) k0 * MR;
  __m256 c0 = _mm256_setzero_ps (), c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0, c6 = c0, c7 = c0;
  __m256 acc[8][2];

#pragma GCC unroll 4
  for (guint k = 0; k < len; k++)
    {
      gsize at = (gsize) k * MR;
      __m256 a = _mm256_load_ps (pa + at);

      c0 = _mm256_fmadd_ps (a, _mm256_broadcast_ss (pb + at), c0);
      c1 = _mm256_fmadd_ps (a, _mm256_broadcast_ss (pb + at + 1), c1);
      c2 = _mm256_fmadd_ps (a, _mm256_broadcast_ss (pb + at + 2), c2);
      c3 = _mm256_fmadd_ps (a, _mm256_broadcast_ss (pb + at + 3), c3);
      c4 = _mm256_fmadd_ps (a, _mm256_broadcast_ss (pb + at + 4), c4);
      c5 = _mm256_fmadd_ps (a, _mm256_broadcast_ss (pb + at + 5), c5);
      c6 = _mm256_fmadd_ps (a, _mm256_broadcast_ss (pb + at + 6), c6);
      c7 = _mm256_fmadd_ps (a, _mm256_broadcast_ss (pb + at + 7), c7);
    }

  acc[0][0] = c0; acc[1][0] = c1; acc[2][0] = c2; acc[3][0] = c3;
  acc[4][0] = c4; acc[5][0] = c5; acc[6][0] = c6; acc[7][0] = c7;
  flush_tile (job, seg, g, 8 * h, j0, 8, 1, acc);
}

AVX2 static void
diag_avx2 (const Job     *job,
           const Segment *seg,
           guint          k0,
           guint          len,
           guint          p)
{
  guint j0 = p * MR;

  tile8_avx2 (job, seg, k0, len, p, 0, j0);
  if (j0 + 8 < job->n)
    {
      tile8_avx2 (job, seg, k0, len, p, 0, j0 + 8);
      tile8_avx2 (job, seg, k0, len, p, 1, j0 + 8);
    }
}

#endif /* HAVE_AVX2_KERNELS */

/* The tiles of a packed block: column tiles over the upper triangle, each
 * with the row panels above the diagonal block it reaches (the column panel
 * stays in L1 while the row panels stream from L2), then the diagonal block;
 * per segment when the outputs are weighted. */
static void
run_tiles (const Job     *job,
           const Segment *segs,
           guint          n_segs,
           guint          kc,
           Lookahead     *next)
{
  for (guint p = 0; (gsize) p * MR < job->n; p++)
    {
      for (guint t = 0; t < 3; t++)
        {
          guint j0 = p * MR + tile_offsets[t];

          if (j0 >= job->n)
            break;
          for (guint g = 0; g < p; g++)
            {
              fetch_ahead (next);
              if (unweighted (job))
                job->run_tile (job, NULL, 0, kc, g, j0, tile_widths[t]);
              else
                for (guint s = 0; s < n_segs; s++)
                  job->run_tile (job, &segs[s], segs[s].k0, segs[s].len, g, j0, tile_widths[t]);
            }
        }
      if (unweighted (job))
        job->run_diag (job, NULL, 0, kc, p);
      else
        for (guint s = 0; s < n_segs; s++)
          job->run_diag (job, &segs[s], segs[s].k0, segs[s].len, p);
    }
}

/* The kernels config runs with on this CPU. */
static void
choose_kernels (Job                  *job,
                const BsEngineConfig *config)
{
  guint panels = (job->n + MR - 1) / MR;

  /* The AVX2 and portable sets: one step per tile above the diagonal
   * blocks (three per panel pair). */
  job->run_block = run_tiles;
  job->steps = 3 * panels * (panels - 1) / 2;
#ifdef BS_GRAM_HAVE_AVX512_KERNELS
  if (bs_engine_config_gram_avx512 (config))
    {
      bs_gram_kernel_use_avx512 (job);
      return;
    }
#endif
#ifdef HAVE_AVX2_KERNELS
  if (bs_engine_config_gram_avx2 (config))
    {
      job->pack_block = bs_gram_pack_avx2;
      job->run_tile = tile_avx2;
      job->run_diag = diag_avx2;
      return;
    }
#endif
  job->pack_block = pack_generic;
  job->run_tile = tile_generic;
  job->run_diag = diag_generic;
}

/* Fills segs with the next block of at most KC features from feature *f
 * (channel *f / spatial) up to f_end; returns the number of segments (0 at
 * the end). */
static guint
next_block (gsize   *f,
            gsize    f_end,
            gsize    spatial,
            Segment *segs,
            guint   *kc_out)
{
  guint n_segs = 0, kc = 0;

  while (*f < f_end && kc < KC)
    {
      gsize c = *f / spatial, s0 = *f % spatial;
      guint len = (guint) MIN (MIN (spatial - s0, f_end - *f), (gsize) (KC - kc));

      segs[n_segs++] = (Segment) { c, s0, len, kc };
      kc += len;
      *f += len;
    }
  *kc_out = kc;
  return n_segs;
}

void
bs_gram_kernel_cnhw (const BsEngineConfig *config,
                     const float          *act,
                     guint                 n,
                     gsize                 spatial,
                     gsize                 f_begin,
                     gsize                 f_end,
                     guint                 n_outputs,
                     const float *const   *weights,
                     float *const         *out,
                     float                *pack,
                     gboolean              overwrite)
{
  Job job = { act, n, spatial, bs_gram_kernel_ld (n), n_outputs, weights, out, pack, overwrite, FALSE };
  Segment blocks[2][KC];   /* this block's segments and the next one's */
  guint n_segs[2], kc[2], cur = 0;
  gsize f = f_begin;

  g_return_if_fail (n_outputs >= 1 && n_outputs <= BS_GRAM_KERNEL_MAX_OUTPUTS);
  if (n == 0 || spatial == 0)
    return;
  choose_kernels (&job, config);

  n_segs[cur] = next_block (&f, f_end, spatial, blocks[cur], &kc[cur]);
  while (n_segs[cur] > 0)
    {
      Lookahead next;

      n_segs[!cur] = next_block (&f, f_end, spatial, blocks[!cur], &kc[!cur]);
      lookahead_init (&next, &job, blocks[!cur], n_segs[!cur]);
      job.pack_block (&job, blocks[cur], n_segs[cur]);
      job.run_block (&job, blocks[cur], n_segs[cur], kc[cur], &next);
      job.overwrite = FALSE;
      job.zeros_packed = TRUE;   /* later blocks are no longer than the first */
      cur = !cur;
    }
}
