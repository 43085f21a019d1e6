/* bs-gram-kernel-avx512.c: the Gram kernel's AVX-512 set (see bs-gram-kernel.c).
 *
 * A panel of 16 examples is one 512-bit vector per feature, so a tile
 * takes the rows of two panels (32 examples, two loads per feature) and
 * 8 columns as broadcasts: sixteen accumulators, sixteen FMAs for ten loads
 * per feature, twice the work per instruction of the AVX2 16 x 6 tile.
 * Each panel's 16 columns take two column tiles; a row panel left over
 * (an odd number above the diagonal) and the diagonal block take the
 * 16 x 8 tile. The packer is the AVX2 one: packing is a few per cent of the
 * work.
 *
 * Every entry is the same chain of FMAs over the block's features as in
 * the AVX2 set (accumulators start at zero, one fused multiply-add per
 * feature in order, then out = w * acc + out fused), so both sets give
 * the same bits and the choice between them never changes a result. */
#include "bs-gram-kernel-private.h"

#ifdef BS_GRAM_HAVE_AVX512_KERNELS

#include <immintrin.h>

#define AVX512 __attribute__ ((target ("avx512f")))

#define COLS 8   /* columns per tile: two tiles per panel of 16 */

/* Adds (or stores) w_o times the accumulators of rows 16 g .. 16 g + 15,
 * columns j0 .. j0 + COLS - 1. */
AVX512 static inline void
flush16 (const Job     *job,
         const Segment *seg,
         guint          g,
         guint          j0,
         const __m512   acc[COLS])
{
  for (guint o = 0; o < job->n_outputs; o++)
    {
      __m512 w = _mm512_set1_ps (seg ? segment_weight (job, seg, o) : 1.0f);
      gboolean store = job->overwrite && (seg == NULL || seg->k0 == 0);

      for (guint q = 0; q < COLS; q++)
        {
          float *dest = job->out[o] + (gsize) (j0 + q) * job->ld + (gsize) g * MR;
          __m512 old = store ? _mm512_setzero_ps () : _mm512_loadu_ps (dest);

          _mm512_storeu_ps (dest, _mm512_fmadd_ps (w, acc[q], old));
        }
    }
}

/* Rows of panels g and g + 1 against columns j0 .. j0 + 7 (one panel). */
AVX512 static void
tile32x8 (const Job     *job,
          const Segment *seg,
          guint          k0,
          guint          len,
          guint          g,
          guint          j0)
{
  const float *pa = job->pack + ((gsize) g * KC + k0) * MR;
  const float *pa2 = pa + (gsize) KC * MR;
  const float *pb = panel (job, j0) + (gsize) k0 * MR;
  __m512 c0 = _mm512_setzero_ps (), c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0, c6 = c0, c7 = c0;
  __m512 d0 = c0, d1 = c0, d2 = c0, d3 = c0, d4 = c0, d5 = c0, d6 = c0, d7 = c0;
  __m512 acc[COLS];

#pragma GCC unroll 2
  for (guint k = 0; k < len; k++)
    {
      gsize at = (gsize) k * MR;
      __m512 a0 = _mm512_load_ps (pa + at), a1 = _mm512_load_ps (pa2 + at), b;

      b = _mm512_set1_ps (pb[at]);
      c0 = _mm512_fmadd_ps (a0, b, c0);
      d0 = _mm512_fmadd_ps (a1, b, d0);
      b = _mm512_set1_ps (pb[at + 1]);
      c1 = _mm512_fmadd_ps (a0, b, c1);
      d1 = _mm512_fmadd_ps (a1, b, d1);
      b = _mm512_set1_ps (pb[at + 2]);
      c2 = _mm512_fmadd_ps (a0, b, c2);
      d2 = _mm512_fmadd_ps (a1, b, d2);
      b = _mm512_set1_ps (pb[at + 3]);
      c3 = _mm512_fmadd_ps (a0, b, c3);
      d3 = _mm512_fmadd_ps (a1, b, d3);
      b = _mm512_set1_ps (pb[at + 4]);
      c4 = _mm512_fmadd_ps (a0, b, c4);
      d4 = _mm512_fmadd_ps (a1, b, d4);
      b = _mm512_set1_ps (pb[at + 5]);
      c5 = _mm512_fmadd_ps (a0, b, c5);
      d5 = _mm512_fmadd_ps (a1, b, d5);
      b = _mm512_set1_ps (pb[at + 6]);
      c6 = _mm512_fmadd_ps (a0, b, c6);
      d6 = _mm512_fmadd_ps (a1, b, d6);
      b = _mm512_set1_ps (pb[at + 7]);
      c7 = _mm512_fmadd_ps (a0, b, c7);
      d7 = _mm512_fmadd_ps (a1, b, d7);
    }

  acc[0] = c0; acc[1] = c1; acc[2] = c2; acc[3] = c3;
  acc[4] = c4; acc[5] = c5; acc[6] = c6; acc[7] = c7;
  flush16 (job, seg, g, j0, acc);
  acc[0] = d0; acc[1] = d1; acc[2] = d2; acc[3] = d3;
  acc[4] = d4; acc[5] = d5; acc[6] = d6; acc[7] = d7;
  flush16 (job, seg, g + 1, j0, acc);
}

/* Rows of panel g against columns j0 .. j0 + 7: eight accumulators, just
 * enough to cover the FMA latency on two pipes. */
AVX512 static void
tile16x8 (const Job     *job,
          const Segment *seg,
          guint          k0,
          guint          len,
          guint          g,
          guint          j0)
{
  const float *pa = job->pack + ((gsize) g * KC + k0) * MR;
  const float *pb = panel (job, j0) + (gsize) k0 * MR;
  __m512 c0 = _mm512_setzero_ps (), c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0, c6 = c0, c7 = c0;
  __m512 acc[COLS];

#pragma GCC unroll 4
  for (guint k = 0; k < len; k++)
    {
      gsize at = (gsize) k * MR;
      __m512 a = _mm512_load_ps (pa + at);

      c0 = _mm512_fmadd_ps (a, _mm512_set1_ps (pb[at]), c0);
      c1 = _mm512_fmadd_ps (a, _mm512_set1_ps (pb[at + 1]), c1);
      c2 = _mm512_fmadd_ps (a, _mm512_set1_ps (pb[at + 2]), c2);
      c3 = _mm512_fmadd_ps (a, _mm512_set1_ps (pb[at + 3]), c3);
      c4 = _mm512_fmadd_ps (a, _mm512_set1_ps (pb[at + 4]), c4);
      c5 = _mm512_fmadd_ps (a, _mm512_set1_ps (pb[at + 5]), c5);
      c6 = _mm512_fmadd_ps (a, _mm512_set1_ps (pb[at + 6]), c6);
      c7 = _mm512_fmadd_ps (a, _mm512_set1_ps (pb[at + 7]), c7);
    }

  acc[0] = c0; acc[1] = c1; acc[2] = c2; acc[3] = c3;
  acc[4] = c4; acc[5] = c5; acc[6] = c6; acc[7] = c7;
  flush16 (job, seg, g, j0, acc);
}

/* Rows of panels g (and g + 1 when pair) against columns j0 .. j0 + 7, per
 * segment when the outputs are weighted. */
static inline void
run_tile (const Job     *job,
          const Segment *segs,
          guint          n_segs,
          guint          kc,
          guint          g,
          guint          j0,
          gboolean       pair)
{
  if (unweighted (job))
    {
      if (pair)
        tile32x8 (job, NULL, 0, kc, g, j0);
      else
        tile16x8 (job, NULL, 0, kc, g, j0);
      return;
    }
  for (guint s = 0; s < n_segs; s++)
    {
      if (pair)
        tile32x8 (job, &segs[s], segs[s].k0, segs[s].len, g, j0);
      else
        tile16x8 (job, &segs[s], segs[s].k0, segs[s].len, g, j0);
    }
}

/* Every tile of a packed block: for each column tile, the row panels
 * above the diagonal in pairs (the column panel stays in L1 while the
 * row panels stream from L2), then its part of the diagonal block. The
 * diagonal block is computed whole (256 entries for the 136 of its upper
 * triangle): the entries below the diagonal are scratch. */
static void
run_block (const Job     *job,
           const Segment *segs,
           guint          n_segs,
           guint          kc,
           Lookahead     *next)
{
  for (guint p = 0; (gsize) p * MR < job->n; p++)
    for (guint j0 = p * MR; j0 < (p + 1) * MR && j0 < job->n; j0 += COLS)
      {
        for (guint g = 0; g < p; g += 2)
          {
            fetch_ahead (next);
            run_tile (job, segs, n_segs, kc, g, j0, g + 1 < p);
          }
        run_tile (job, segs, n_segs, kc, p, j0, FALSE);
      }
}

void
bs_gram_kernel_use_avx512 (Job *job)
{
  guint panels = (job->n + MR - 1) / MR;

  job->pack_block = bs_gram_pack_avx2;
  job->run_tile = NULL;
  job->run_diag = NULL;
  job->run_block = run_block;
  /* Two column tiles per panel, each over ceil (p / 2) row tiles. */
  job->steps = 0;
  for (guint p = 0; p < panels; p++)
    job->steps += 2 * ((p + 1) / 2);
}

#endif /* BS_GRAM_HAVE_AVX512_KERNELS */
