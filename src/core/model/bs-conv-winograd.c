/* bs-conv-winograd.c: Winograd convolutions with AVX2 (see bs-conv-winograd.h).
 *
 * F(4x4, 3x3) where the 4x4 output tiles fill vectors of 8 (CIFAR's 32, 16
 * and 8 wide maps), F(2x2, 3x3) elsewhere. A chunk of
 * images is padded with its columns split by phase (2 for F(2x2), 4 for
 * F(4x4)), so that the input tiles of 8 neighbouring output tiles are plain
 * vector loads. Tiles go in blocks (TB2 = 48 or TB4 = 24 tiles):
 *   V[xi][ci][t]  = B^T d B     for the block's tiles (T x T points xi),
 *   M[xi][co][t]  = sum_ci U[xi][ci][co] V[xi][ci][t]   (4 x 24 register tiles),
 *   y             = A^T M A     written back as output tiles.
 *
 * Where bs_engine_config_conv_avx512 () says so, the product runs with
 * AVX-512 (bs-conv-winograd-avx512.c: 8 x 32 or 8 x 48 register tiles) on
 * blocks of TB4_512 = 32 F(4x4) tiles, with each point's rows of V and M
 * one cache line further apart; the transforms stay as they are (per group
 * of 8 tiles) and the outputs are the same bits. block_tiles () and
 * point_stride () are where the kernel set changes the blocks, for the
 * chunks, the scratch sizes and the kernels alike. */
#include "bs-conv-winograd.h"

#include <string.h>

#include "bs-conv-winograd-private.h"

#include "bs-conv-direct.h"
#include "bs-simd.h"

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
#include <immintrin.h>
#define HAVE_AVX2_KERNELS 1
#define AVX2 __attribute__ ((target ("avx2,fma")))
#endif

#define GROUP   BS_WINOGRAD_GROUP   /* tiles per vector */
#define TB2     48             /* F(2x2): tiles per block, six groups */
#define TB4     24             /* F(4x4): three groups, as its V and M are 36 / 16 times larger */
#define TB4_512 32             /* F(4x4) with AVX-512: two vectors of 16 tiles */
#define CO_TILE 4              /* output channels per register tile */
#define T_TILE  24             /* tiles per register tile (3 vectors) */
#define MIN_IN_CHANNELS 8

/* Whether output tiles of size t x t fill vectors: 8 or more (a multiple of
 * 8) in a row, or rows of 4 taken in pairs. */
static gboolean
tiles_fill_vectors (const BsConvGeometry *g,
                    guint                 t)
{
  guint tw = g->in_w / t, th = g->in_h / t;

  if (g->in_w % t || g->in_h % t)
    return FALSE;
  /* F(4x4) on 8 x 8 maps: the 2 x 2 tiles of two images. */
  if (t == 4 && tw == 2 && th == 2)
    return TRUE;
  return tw % GROUP == 0 || (tw == GROUP / 2 && th % 2 == 0);
}

guint
bs_conv_winograd_tile (const BsConvGeometry *g,
                       const BsEngineConfig *config)
{
  /* With few input channels the transforms cost more than the products save
   * (measured: 3 -> 16 channels at 32x32 twice as slow as the direct kernels). */
  if (g->kernel != 3 || g->stride != 1 || g->pad != 1 ||
      g->out_c % CO_TILE || g->in_c < MIN_IN_CHANNELS || !bs_engine_config_winograd (config))
    return 0;
  /* Every block of F(4x4) tiles streams all 36 x in x out transformed
   * weights, yet with chunks of whole blocks F(4x4) beats F(2x2) on wide
   * layers too (per layer, batch 48: 128 ch 8x8 5.5 against 7.3 ms, 256 ch
   * 16x16 65 against 118 ms, 512 ch 8x8 90 against 137 ms). */
  if (config->winograd_max_tile >= 4 && tiles_fill_vectors (g, 4))
    return 4;
  return tiles_fill_vectors (g, 2) ? 2 : 0;
}

/* Points of the transformed tile: (tile + 2)^2. */
static guint
points (guint tile)
{
  return (tile + 2) * (tile + 2);
}

/* Tiles per block: what the product's register tile spans. The one place
 * the kernel set changes the blocks, which the scratch sizes and chunks
 * follow. */
static guint
block_tiles (guint                 tile,
             const BsEngineConfig *config)
{
  if (tile == 4)
    return bs_engine_config_conv_avx512 (config) ? TB4_512 : TB4;
  return TB2;
}

/* Floats from one point's rows of V (or M) to the next's: channels x tb,
 * and with AVX-512 one cache line more. Without it a point's rows start a
 * multiple of 4 KiB apart at 32 or 64 channels, so the transforms' 16 or 36
 * streams (one per point) share a set of the L1 cache (measured: 32 channels
 * at 16 x 16 ran 1.4 times slower). */
static gsize
point_stride (guint                 channels,
              guint                 tb,
              const BsEngineConfig *config)
{
  return (gsize) channels * tb + (bs_engine_config_conv_avx512 (config) ? 16 : 0);
}

gsize
bs_conv_winograd_weights_size (const BsConvGeometry *g,
                               guint                 tile)
{
  return (gsize) points (tile) * g->in_c * g->out_c;
}

/* U = G k G^T, stored [xi][ci][co]; G has tile + 2 rows:
 *   F(2x2): [1 0 0; 1/2 1/2 1/2; 1/2 -1/2 1/2; 0 0 1],
 *   F(4x4): [1/2 0 0; 1/6 -1/6 1/6; 1/6 1/6 1/6; 16/15 8/15 4/15; 1/30 -1/15 2/15; 0 0 1/2]
 *           (points 0, -1, 1, 1/2, -2, infinity; see bt4 ()). */
void
bs_conv_winograd_weights (const BsConvGeometry *g,
                          guint                 tile,
                          const float          *w,
                          guint                 co_begin,
                          guint                 co_end,
                          float                *u)
{
  static const double G2[4][3] = { { 1, 0, 0 }, { 0.5, 0.5, 0.5 }, { 0.5, -0.5, 0.5 }, { 0, 0, 1 } };
  static const double G4[6][3] = {
    { 1.0 / 2, 0, 0 }, { 1.0 / 6, -1.0 / 6, 1.0 / 6 }, { 1.0 / 6, 1.0 / 6, 1.0 / 6 },
    { 16.0 / 15, 8.0 / 15, 4.0 / 15 }, { 1.0 / 30, -1.0 / 15, 2.0 / 15 }, { 0, 0, 1.0 / 2 },
  };
  guint T = tile == 4 ? 6 : 4;
  const double (*G)[3] = T == 6 ? G4 : G2;

  for (guint co = co_begin; co < MIN (co_end, g->out_c); co++)
    for (guint ci = 0; ci < g->in_c; ci++)
      {
        const float *k = w + ((gsize) co * g->in_c + ci) * 9;
        double gk[6][3];

        for (guint a = 0; a < T; a++)
          for (guint l = 0; l < 3; l++)
            gk[a][l] = G[a][0] * k[l] + G[a][1] * k[3 + l] + G[a][2] * k[6 + l];
        for (guint a = 0; a < T; a++)
          for (guint b = 0; b < T; b++)
            u[((gsize) (T * a + b) * g->in_c + ci) * g->out_c + co] =
              (float) (gk[a][0] * G[b][0] + gk[a][1] * G[b][1] + gk[a][2] * G[b][2]);
      }
}

static BsPadShape
pad_shape (const BsConvGeometry *g,
           guint                 images)
{
  /* Stride 2 stores each padded row as its even columns, then its odd ones. */
  return (BsPadShape) { g->in_c, g->in_h, g->in_w, images, 2 };
}

/* F(4x4): each padded row of w + 2 columns as four phases of `phase` floats,
 * column 4 i + f at f * phase + i. */
static gsize
phase_len (const BsConvGeometry *g)
{
  return (g->in_w + 2 + 3) / 4;
}

static gsize
padded4_size (const BsConvGeometry *g,
              guint                 images)
{
  /* Slack: vector loads of the last tile reach one phase entry past a row. */
  return (gsize) g->in_c * images * (g->in_h + 2) * 4 * phase_len (g) + GROUP;
}

gsize
bs_conv_winograd_scratch_size (const BsConvGeometry *g,
                               guint                 tile,
                               const BsEngineConfig *config,
                               guint                 images)
{
  BsPadShape ps = pad_shape (g, images);
  guint tb = block_tiles (tile, config);
  gsize points_vm = point_stride (g->in_c, tb, config) + point_stride (g->out_c, tb, config);

  if (tile == 4)
    return padded4_size (g, images) + 36 * points_vm;
  return bs_conv3_padded_size (&ps) + 16 * points_vm;
}

guint
bs_conv_winograd_chunk_images (const BsConvGeometry *g,
                               guint                 tile,
                               const BsEngineConfig *config,
                               guint                 max_images,
                               gsize                 budget)
{
  guint t = tile;
  guint groups_per_block = block_tiles (tile, config) / GROUP;
  guint tw = g->in_w / t;
  guint unit;
  /* The padded input is what the blocks read again; the output streams out. */
  gsize per_image = (gsize) g->in_c * (g->in_h + 2) * (g->in_w + 4) * sizeof (float);

  /* Images whose groups fill whole blocks: a block's products run over all
   * its tiles, so a chunk of one 32 x 32 image (8 groups, blocks of 3) wasted
   * a ninth of them, of one 16 x 16 image a third. */
  if (t == 4 && tw == 2)
    unit = 2 * groups_per_block;   /* two images per group */
  else
    {
      guint groups_per_image = (g->in_h / t) * tw / GROUP;
      guint a = groups_per_block, b = MAX (groups_per_image, 1);

      while (b != 0)
        {
          guint r = a % b;

          a = b;
          b = r;
        }
      unit = groups_per_block / a;
    }
  return bs_conv_chunk_fit (max_images, per_image, budget, unit);
}

#ifdef HAVE_AVX2_KERNELS

typedef struct {
  const BsConvGeometry *g;
  guint                 images;
  guint                 tw;              /* tiles per row */
  gsize                 groups_per_image;
  gsize                 wp;              /* padded row */
  gsize                 even;            /* F(2x2): even columns first in a padded row */
  gsize                 phase;           /* F(4x4): floats per column phase */
  gsize                 plane;
  guint                 tb;              /* tiles per block */
  gsize                 v_stride;        /* floats from one point to the next in V */
  gsize                 m_stride;        /* in M */
  gboolean              avx512;          /* the AVX-512 product */
  const float          *padded;
} Shape;

/* Where group q of the chunk sits: image, first tile row and column. With
 * 4 tiles per row a group is two tile rows of 4. */
static inline void
group_position (const Shape *s,
                gsize        q,
                guint       *image,
                guint       *ty,
                guint       *tx0)
{
  gsize r;

  if (s->tw == 2)
    {
      /* F(4x4) on 8 x 8 maps: a group is two images. */
      *image = (guint) q * 2;
      *ty = *tx0 = 0;
      return;
    }
  r = q % s->groups_per_image;
  *image = (guint) (q / s->groups_per_image);
  if (s->tw >= GROUP)
    {
      *ty = (guint) (r / (s->tw / GROUP));
      *tx0 = (guint) (r % (s->tw / GROUP)) * GROUP;
    }
  else
    {
      *ty = (guint) r * 2;
      *tx0 = 0;
    }
}

/* Columns u = 0..3 of padded row v of the tiles of a group, as 4 vectors. */
AVX2 static inline void
load_row (const Shape *s,
          const float *plane,
          guint        ty,
          guint        tx0,
          guint        v,
          __m256       d[4])
{
  const float *row = plane + (gsize) (2 * ty + v) * s->wp;

  if (s->tw >= GROUP)
    {
      d[0] = _mm256_loadu_ps (row + tx0);
      d[1] = _mm256_loadu_ps (row + s->even + tx0);
      d[2] = _mm256_loadu_ps (row + tx0 + 1);
      d[3] = _mm256_loadu_ps (row + s->even + tx0 + 1);
    }
  else
    {
      const float *next = row + 2 * s->wp;   /* the next tile row */

      d[0] = _mm256_set_m128 (_mm_loadu_ps (next), _mm_loadu_ps (row));
      d[1] = _mm256_set_m128 (_mm_loadu_ps (next + s->even), _mm_loadu_ps (row + s->even));
      d[2] = _mm256_set_m128 (_mm_loadu_ps (next + 1), _mm_loadu_ps (row + 1));
      d[3] = _mm256_set_m128 (_mm_loadu_ps (next + s->even + 1), _mm_loadu_ps (row + s->even + 1));
    }
}

/* x0 - x2, x1 + x2, x2 - x1, x1 - x3: the rows of B^T. */
#define BT(x0, x1, x2, x3, o0, o1, o2, o3) \
  do { \
    o0 = _mm256_sub_ps (x0, x2); \
    o1 = _mm256_add_ps (x1, x2); \
    o2 = _mm256_sub_ps (x2, x1); \
    o3 = _mm256_sub_ps (x1, x3); \
  } while (0)

/* V for groups [q0, q0 + nq) of the chunk; the block's other groups are zero. */
AVX2 static void
input_transform (const Shape *s,
                 gsize        q0,
                 guint        nq,
                 float       *V)
{
  guint C = s->g->in_c;

  for (guint ci = 0; ci < C; ci++)
    {
      for (guint gi = 0; gi < nq; gi++)
        {
          guint image, ty, tx0;
          const float *plane;
          __m256 d[4][4], r[4][4];

          group_position (s, q0 + gi, &image, &ty, &tx0);
          plane = s->padded + ((gsize) ci * s->images + image) * s->plane;
          for (guint v = 0; v < 4; v++)
            load_row (s, plane, ty, tx0, v, d[v]);
          for (guint u = 0; u < 4; u++)
            BT (d[0][u], d[1][u], d[2][u], d[3][u], r[0][u], r[1][u], r[2][u], r[3][u]);
          for (guint a = 0; a < 4; a++)
            {
              __m256 o[4];

              BT (r[a][0], r[a][1], r[a][2], r[a][3], o[0], o[1], o[2], o[3]);
              for (guint b = 0; b < 4; b++)
                _mm256_storeu_ps (V + (4 * a + b) * s->v_stride + (gsize) ci * s->tb + gi * GROUP, o[b]);
            }
        }
      for (guint gi = nq; gi < s->tb / GROUP; gi++)
        for (guint xi = 0; xi < 16; xi++)
          _mm256_storeu_ps (V + xi * s->v_stride + (gsize) ci * s->tb + gi * GROUP, _mm256_setzero_ps ());
    }
}

/* M[xi][co][t] = sum_ci U[xi][ci][co] V[xi][ci][t] for the block's first n_tiles tiles. */
AVX2 static void
multiply_avx2 (const Shape *s,
               guint        n_points,
               const float *U,
               const float *V,
               guint        n_tiles,
               float       *M)
{
  guint C = s->g->in_c, K = s->g->out_c;
  const gsize TB = s->tb;

  for (guint xi = 0; xi < n_points; xi++)
    {
      const float *Vx = V + xi * s->v_stride;
      const float *Ux = U + (gsize) xi * C * K;

      for (guint co0 = 0; co0 < K; co0 += CO_TILE)
        for (guint t0 = 0; t0 < n_tiles; t0 += T_TILE)   /* V is zero past the block's groups */
          {
            __m256 c00 = _mm256_setzero_ps (), c01 = c00, c02 = c00, c10 = c00, c11 = c00, c12 = c00;
            __m256 c20 = c00, c21 = c00, c22 = c00, c30 = c00, c31 = c00, c32 = c00;
            float *out = M + xi * s->m_stride + (gsize) co0 * TB + t0;

            for (guint ci = 0; ci < C; ci++)
              {
                const float *v = Vx + (gsize) ci * TB + t0;
                const float *w = Ux + (gsize) ci * K + co0;
                __m256 v0 = _mm256_loadu_ps (v), v1 = _mm256_loadu_ps (v + 8), v2 = _mm256_loadu_ps (v + 16);
                __m256 b;

                b = _mm256_broadcast_ss (w);
                c00 = _mm256_fmadd_ps (b, v0, c00);
                c01 = _mm256_fmadd_ps (b, v1, c01);
                c02 = _mm256_fmadd_ps (b, v2, c02);
                b = _mm256_broadcast_ss (w + 1);
                c10 = _mm256_fmadd_ps (b, v0, c10);
                c11 = _mm256_fmadd_ps (b, v1, c11);
                c12 = _mm256_fmadd_ps (b, v2, c12);
                b = _mm256_broadcast_ss (w + 2);
                c20 = _mm256_fmadd_ps (b, v0, c20);
                c21 = _mm256_fmadd_ps (b, v1, c21);
                c22 = _mm256_fmadd_ps (b, v2, c22);
                b = _mm256_broadcast_ss (w + 3);
                c30 = _mm256_fmadd_ps (b, v0, c30);
                c31 = _mm256_fmadd_ps (b, v1, c31);
                c32 = _mm256_fmadd_ps (b, v2, c32);
              }
            _mm256_storeu_ps (out, c00);
            _mm256_storeu_ps (out + 8, c01);
            _mm256_storeu_ps (out + 16, c02);
            _mm256_storeu_ps (out + TB, c10);
            _mm256_storeu_ps (out + TB + 8, c11);
            _mm256_storeu_ps (out + TB + 16, c12);
            _mm256_storeu_ps (out + 2 * TB, c20);
            _mm256_storeu_ps (out + 2 * TB + 8, c21);
            _mm256_storeu_ps (out + 2 * TB + 16, c22);
            _mm256_storeu_ps (out + 3 * TB, c30);
            _mm256_storeu_ps (out + 3 * TB + 8, c31);
            _mm256_storeu_ps (out + 3 * TB + 16, c32);
          }
    }
}

static void
multiply (const Shape *s,
          guint        n_points,
          const float *U,
          const float *V,
          guint        n_tiles,
          float       *M)
{
  if (s->avx512)
    bs_conv_winograd_multiply_avx512 (s->g->in_c, s->g->out_c, n_points, U, V, s->v_stride, s->tb,
                                      n_tiles, M, s->m_stride);
  else
    multiply_avx2 (s, n_points, U, V, n_tiles, M);
}

/* Two output rows' values (left and right column of 8 tiles) to memory. */
AVX2 static inline void
store_pair (const Shape *s,
            float       *row,
            __m256       left,
            __m256       right)
{
  __m256 lo = _mm256_unpacklo_ps (left, right), hi = _mm256_unpackhi_ps (left, right);
  __m256 first = _mm256_permute2f128_ps (lo, hi, 0x20);   /* tiles 0-3 */
  __m256 second = _mm256_permute2f128_ps (lo, hi, 0x31);  /* tiles 4-7 */

  _mm256_storeu_ps (row, first);
  if (s->tw >= GROUP)
    _mm256_storeu_ps (row + 8, second);
  else
    _mm256_storeu_ps (row + 2 * s->g->in_w, second);   /* the next tile row, two rows down */
}

/* y from M for groups [q0, q0 + nq): A^T = [1 1 1 0; 0 1 -1 -1] on both sides. */
AVX2 static void
output_transform (const Shape *s,
                  const float *M,
                  gsize        q0,
                  guint        nq,
                  float       *y,
                  guint        batch,
                  guint        n0)
{
  guint K = s->g->out_c, W = s->g->in_w;
  gsize HW = (gsize) s->g->in_h * W;

  for (guint co = 0; co < K; co++)
    for (guint gi = 0; gi < nq; gi++)
      {
        guint image, ty, tx0;
        __m256 m[16], t[2][4], out[2][2];
        float *base;

        for (guint xi = 0; xi < 16; xi++)
          m[xi] = _mm256_loadu_ps (M + xi * s->m_stride + (gsize) co * s->tb + gi * GROUP);
        for (guint b = 0; b < 4; b++)
          {
            t[0][b] = _mm256_add_ps (_mm256_add_ps (m[b], m[4 + b]), m[8 + b]);
            t[1][b] = _mm256_sub_ps (_mm256_sub_ps (m[4 + b], m[8 + b]), m[12 + b]);
          }
        for (guint i = 0; i < 2; i++)
          {
            out[i][0] = _mm256_add_ps (_mm256_add_ps (t[i][0], t[i][1]), t[i][2]);
            out[i][1] = _mm256_sub_ps (_mm256_sub_ps (t[i][1], t[i][2]), t[i][3]);
          }

        group_position (s, q0 + gi, &image, &ty, &tx0);
        base = y + ((gsize) co * batch + n0 + image) * HW + (gsize) 2 * ty * W + 2 * tx0;
        store_pair (s, base, out[0][0], out[0][1]);
        store_pair (s, base + W, out[1][0], out[1][1]);
      }
}

/* ---- F(4x4, 3x3) */

/* The chunk padded with the columns of each row split by phase (phase_len). */
AVX2 static void
pad4 (const BsConvGeometry *g,
      const float          *x,
      guint                 batch,
      guint                 n0,
      guint                 images,
      float                *dst)
{
  const gsize P = phase_len (g), row_len = 4 * P, W = g->in_w, H = g->in_h;
  const gsize plane = (H + 2) * row_len;

  for (guint c = 0; c < g->in_c; c++)
    for (guint j = 0; j < images; j++)
      {
        const float *in = x + ((gsize) c * batch + n0 + j) * H * W;
        float *out = dst + ((gsize) c * images + j) * plane;

        memset (out, 0, row_len * sizeof (float));
        memset (out + (H + 1) * row_len, 0, row_len * sizeof (float));
        for (gsize y = 0; y < H; y++)
          {
            float *restrict row = out + (y + 1) * row_len;
            const float *restrict r = in + y * W;

            /* Padded column 4 i + f is input column 4 i + f - 1: a 4 x 4
             * transpose of each 16 input columns gives four phases' runs. */
            row[0] = 0.0f;
            if (W % 16 == 0)
              for (gsize i = 0; i < W / 4; i += 4)
                {
                  __m128 c0 = _mm_loadu_ps (r + 4 * i), c1 = _mm_loadu_ps (r + 4 * i + 4);
                  __m128 c2 = _mm_loadu_ps (r + 4 * i + 8), c3 = _mm_loadu_ps (r + 4 * i + 12);

                  _MM_TRANSPOSE4_PS (c0, c1, c2, c3);
                  _mm_storeu_ps (row + P + i, c0);
                  _mm_storeu_ps (row + 2 * P + i, c1);
                  _mm_storeu_ps (row + 3 * P + i, c2);
                  _mm_storeu_ps (row + i + 1, c3);
                }
            else   /* 8 wide maps: two entries per phase */
              for (gsize i = 0; i < W / 4; i++)
                {
                  row[P + i] = r[4 * i];
                  row[2 * P + i] = r[4 * i + 1];
                  row[3 * P + i] = r[4 * i + 2];
                  row[i + 1] = r[4 * i + 3];
                }
            /* Columns w + 1 (the right border) up to 4 P - 1 are zero. */
            for (gsize col = W + 1; col < 4 * P; col++)
              row[(col % 4) * P + col / 4] = 0.0f;
          }
      }
  memset (dst + (gsize) g->in_c * images * plane, 0, GROUP * sizeof (float));
}

/* Two floats at p and two at q as one 128-bit vector. */
AVX2 static inline __m128
load_pairs (const float *p,
            const float *q)
{
  /* 64-bit loads of floats, which need not be 8-byte aligned. */
  return _mm_castsi128_ps (_mm_unpacklo_epi64 (_mm_loadu_si64 (p), _mm_loadu_si64 (q)));
}

/* Columns u = 0..5 of padded row v of the tiles of a group, as 6 vectors;
 * with two tiles per row, plane2 is the group's second image. */
AVX2 static inline void
load_row4 (const Shape *s,
           const float *plane,
           const float *plane2,
           guint        ty,
           guint        tx0,
           guint        v,
           __m256       d[6])
{
  const gsize P = s->phase, row_len = 4 * P;
  const float *row = plane + (gsize) (4 * ty + v) * row_len;

  if (s->tw >= GROUP)
    for (guint u = 0; u < 6; u++)
      d[u] = _mm256_loadu_ps (row + (u % 4) * P + u / 4 + tx0);
  else if (s->tw == 2)
    {
      const float *row2 = plane2 + (gsize) v * row_len;

      /* Lanes: image 1 tile rows 0 and 1, then image 2's, two tiles each. */
      for (guint u = 0; u < 6; u++)
        {
          gsize at = (u % 4) * P + u / 4;

          d[u] = _mm256_set_m128 (load_pairs (row2 + at, row2 + 4 * row_len + at),
                                  load_pairs (row + at, row + 4 * row_len + at));
        }
    }
  else
    {
      const float *next = row + 4 * row_len;   /* the next tile row */

      for (guint u = 0; u < 6; u++)
        d[u] = _mm256_set_m128 (_mm_loadu_ps (next + (u % 4) * P + u / 4),
                                _mm_loadu_ps (row + (u % 4) * P + u / 4));
    }
}

/* F(4x4)'s B^T, for the points 0, -1, 1, 1/2, -2 and infinity (the most
 * accurate in float of the usual sets: half the largest error of 0, +-1,
 * +-2 over 64 channels, Barabasz et al. 2020), rows scaled to integers:
 *   [2 -3 -4 3 2 0; 0 -2 5 -1 -2 0; 0 -2 1 5 2 0; 0 2 1 -2 -1 0; 0 1 -2 -1 2 0; 0 2 -3 -4 3 2]. */
AVX2 static inline void
bt4 (const __m256 d[6],
     __m256       o[6])
{
  const __m256 two = _mm256_set1_ps (2.0f), three = _mm256_set1_ps (3.0f);
  const __m256 four = _mm256_set1_ps (4.0f), five = _mm256_set1_ps (5.0f);
  __m256 p = _mm256_sub_ps (d[1], d[3]), q = _mm256_sub_ps (d[2], d[4]);

  o[0] = _mm256_fnmadd_ps (three, p, _mm256_fnmadd_ps (four, d[2], _mm256_mul_ps (two, _mm256_add_ps (d[0], d[4]))));
  o[1] = _mm256_fnmadd_ps (two, _mm256_add_ps (d[1], d[4]), _mm256_fmsub_ps (five, d[2], d[3]));
  o[2] = _mm256_fmadd_ps (two, _mm256_sub_ps (d[4], d[1]), _mm256_fmadd_ps (five, d[3], d[2]));
  o[3] = _mm256_fmadd_ps (two, p, q);
  o[4] = _mm256_fnmadd_ps (two, q, p);
  o[5] = _mm256_fnmadd_ps (three, q, _mm256_fnmadd_ps (four, d[3], _mm256_mul_ps (two, _mm256_add_ps (d[1], d[5]))));
}

/* V for groups [q0, q0 + nq) of the chunk; the block's other groups are zero. */
AVX2 static void
input_transform4 (const Shape *s,
                  gsize        q0,
                  guint        nq,
                  float       *V)
{
  guint C = s->g->in_c;

  for (guint ci = 0; ci < C; ci++)
    {
      for (guint gi = 0; gi < nq; gi++)
        {
          guint image, ty, tx0;
          const float *plane, *plane2;
          __m256 t[6][6];   /* d B, row by row: the only 36 values kept */

          group_position (s, q0 + gi, &image, &ty, &tx0);
          plane = s->padded + ((gsize) ci * s->images + image) * s->plane;
          /* With two images per group, an odd chunk's last group repeats its image. */
          plane2 = image + 1 < s->images ? plane + s->plane : plane;
          for (guint v = 0; v < 6; v++)
            {
              __m256 d[6];

              load_row4 (s, plane, plane2, ty, tx0, v, d);
              bt4 (d, t[v]);
            }
          for (guint b = 0; b < 6; b++)
            {
              __m256 col[6] = { t[0][b], t[1][b], t[2][b], t[3][b], t[4][b], t[5][b] }, o[6];

              bt4 (col, o);
              for (guint a = 0; a < 6; a++)
                _mm256_storeu_ps (V + (6 * a + b) * s->v_stride + (gsize) ci * s->tb + gi * GROUP, o[a]);
            }
        }
      for (guint gi = nq; gi < s->tb / GROUP; gi++)
        for (guint xi = 0; xi < 36; xi++)
          _mm256_storeu_ps (V + xi * s->v_stride + (gsize) ci * s->tb + gi * GROUP, _mm256_setzero_ps ());
    }
}

/* F(4x4)'s A^T for the same points: [1 1 1 1 1 0; 0 -1 1 1/2 -2 0; 0 1 1 1/4 4 0; 0 -1 1 1/8 -8 1]. */
AVX2 static inline void
at4 (const __m256 m[6],
     __m256       o[4])
{
  __m256 p = _mm256_add_ps (m[1], m[2]), d = _mm256_sub_ps (m[2], m[1]);

  o[0] = _mm256_add_ps (_mm256_add_ps (m[0], p), _mm256_add_ps (m[3], m[4]));
  o[1] = _mm256_fnmadd_ps (_mm256_set1_ps (2.0f), m[4], _mm256_fmadd_ps (_mm256_set1_ps (0.5f), m[3], d));
  o[2] = _mm256_fmadd_ps (_mm256_set1_ps (4.0f), m[4], _mm256_fmadd_ps (_mm256_set1_ps (0.25f), m[3], p));
  o[3] = _mm256_add_ps (_mm256_fnmadd_ps (_mm256_set1_ps (8.0f), m[4], _mm256_fmadd_ps (_mm256_set1_ps (0.125f), m[3], d)), m[5]);
}

/* One output row of a group's tiles (columns 0..3 of 8 tiles) to memory;
 * with two images per group, second says whether the second one exists. */
AVX2 static inline void
store_row4 (const Shape *s,
            float       *row,
            const __m256 c[4],
            gboolean     second)
{
  __m256 t0 = _mm256_unpacklo_ps (c[0], c[1]), t1 = _mm256_unpackhi_ps (c[0], c[1]);
  __m256 t2 = _mm256_unpacklo_ps (c[2], c[3]), t3 = _mm256_unpackhi_ps (c[2], c[3]);
  __m256 s0 = _mm256_shuffle_ps (t0, t2, 0x44), s1 = _mm256_shuffle_ps (t0, t2, 0xee);
  __m256 s2 = _mm256_shuffle_ps (t1, t3, 0x44), s3 = _mm256_shuffle_ps (t1, t3, 0xee);
  gsize W = s->g->in_w;
  float *near = row + 8, *far = row + 16;

  /* Tiles 2-3 and 4-7 sit 8 and 16 columns on; with 4 tiles per row, 4-7 are
   * four rows down; with 2, 2-3 are four rows down and 4-7 the next image. */
  if (s->tw == GROUP / 2)
    far = row + 4 * W;
  else if (s->tw == 2)
    {
      near = row + 4 * W;
      far = row + W * s->g->in_h;
    }
  _mm256_storeu_ps (row, _mm256_permute2f128_ps (s0, s1, 0x20));       /* tiles 0, 1 */
  _mm256_storeu_ps (near, _mm256_permute2f128_ps (s2, s3, 0x20));      /* tiles 2, 3 */
  if (!second)
    return;
  _mm256_storeu_ps (far, _mm256_permute2f128_ps (s0, s1, 0x31));       /* tiles 4, 5 */
  _mm256_storeu_ps (far + (near - row), _mm256_permute2f128_ps (s2, s3, 0x31));   /* tiles 6, 7 */
}

/* y from M for groups [q0, q0 + nq). */
AVX2 static void
output_transform4 (const Shape *s,
                   const float *M,
                   gsize        q0,
                   guint        nq,
                   float       *y,
                   guint        batch,
                   guint        n0)
{
  guint K = s->g->out_c, W = s->g->in_w;
  gsize HW = (gsize) s->g->in_h * W;

  for (guint co = 0; co < K; co++)
    for (guint gi = 0; gi < nq; gi++)
      {
        guint image, ty, tx0;
        __m256 t[4][6];
        float *base;

        for (guint b = 0; b < 6; b++)
          {
            __m256 m[6], o[4];

            for (guint a = 0; a < 6; a++)
              m[a] = _mm256_loadu_ps (M + (6 * a + b) * s->m_stride + (gsize) co * s->tb + gi * GROUP);
            at4 (m, o);
            for (guint i = 0; i < 4; i++)
              t[i][b] = o[i];
          }

        group_position (s, q0 + gi, &image, &ty, &tx0);
        base = y + ((gsize) co * batch + n0 + image) * HW + (gsize) 4 * ty * W + 4 * tx0;
        for (guint i = 0; i < 4; i++)
          {
            __m256 o[4];

            at4 (t[i], o);
            store_row4 (s, base + (gsize) i * W, o, s->tw != 2 || image + 1 < s->images);
          }
      }
}

static void
chunk4 (const BsConvGeometry *g,
        const BsEngineConfig *config,
        const float          *u,
        const float          *x,
        guint                 batch,
        guint                 n0,
        guint                 images,
        float                *y,
        float                *scratch)
{
  guint tb = block_tiles (4, config);
  float *V = scratch + padded4_size (g, images);
  float *M = V + 36 * point_stride (g->in_c, tb, config);
  Shape s = {
    .g = g, .images = images, .tw = g->in_w / 4,
    .groups_per_image = (gsize) (g->in_h / 4) * (g->in_w / 4) / GROUP,
    .phase = phase_len (g), .plane = (gsize) (g->in_h + 2) * 4 * phase_len (g),
    .tb = tb, .v_stride = point_stride (g->in_c, tb, config),
    .m_stride = point_stride (g->out_c, tb, config), .avx512 = bs_engine_config_conv_avx512 (config),
    .padded = scratch,
  };
  gsize groups = s.tw == 2 ? (images + 1) / 2 : s.groups_per_image * images;

  pad4 (g, x, batch, n0, images, scratch);
  for (gsize q0 = 0; q0 < groups; q0 += tb / GROUP)
    {
      guint nq = (guint) MIN ((gsize) tb / GROUP, groups - q0);

      input_transform4 (&s, q0, nq, V);
      multiply (&s, 36, u, V, nq * GROUP, M);
      output_transform4 (&s, M, q0, nq, y, batch, n0);
    }
}

/* ---- F(2x2, 3x3) */

static void
chunk2 (const BsConvGeometry *g,
        const BsEngineConfig *config,
        const float          *u,
        const float          *x,
        guint                 batch,
        guint                 n0,
        guint                 images,
        float                *y,
        float                *scratch)
{
  BsPadShape ps = pad_shape (g, images);
  float *V = scratch + bs_conv3_padded_size (&ps);
  guint tb = block_tiles (2, config);
  float *M = V + 16 * point_stride (g->in_c, tb, config);
  Shape s = {
    .g = g, .images = images, .tw = g->in_w / 2,
    .groups_per_image = (gsize) (g->in_h / 2) * (g->in_w / 2) / GROUP,
    .wp = g->in_w + 2, .even = (g->in_w + 3) / 2, .plane = (gsize) (g->in_h + 2) * (g->in_w + 2),
    .tb = tb, .v_stride = point_stride (g->in_c, tb, config),
    .m_stride = point_stride (g->out_c, tb, config), .avx512 = bs_engine_config_conv_avx512 (config),
    .padded = scratch,
  };
  gsize groups = s.groups_per_image * images;

  bs_conv3_pad (&ps, x, batch, n0, scratch);
  for (gsize q0 = 0; q0 < groups; q0 += tb / GROUP)
    {
      guint nq = (guint) MIN ((gsize) tb / GROUP, groups - q0);

      input_transform (&s, q0, nq, V);
      multiply (&s, 16, u, V, nq * GROUP, M);
      output_transform (&s, M, q0, nq, y, batch, n0);
    }
}

void
bs_conv_winograd_chunk (const BsConvGeometry *g,
                        guint                 tile,
                        const BsEngineConfig *config,
                        const float          *u,
                        const float          *x,
                        guint                 batch,
                        guint                 n0,
                        guint                 images,
                        float                *y,
                        float                *scratch)
{
  if (tile == 4)
    chunk4 (g, config, u, x, batch, n0, images, y, scratch);
  else
    chunk2 (g, config, u, x, batch, n0, images, y, scratch);
}

#else /* !HAVE_AVX2_KERNELS */

void
bs_conv_winograd_chunk (const BsConvGeometry *g,
                        guint                 tile,
                        const BsEngineConfig *config,
                        const float          *u,
                        const float          *x,
                        guint                 batch,
                        guint                 n0,
                        guint                 images,
                        float                *y,
                        float                *scratch)
{
  (void) g; (void) tile; (void) config; (void) u; (void) x; (void) batch; (void) n0; (void) images; (void) y; (void) scratch;
  g_assert_not_reached ();   /* bs_conv_winograd_tile() is 0 here */
}

#endif
