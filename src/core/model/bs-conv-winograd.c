/* bs-conv-winograd.c: F(2x2, 3x3) Winograd convolution with AVX2 (see bs-conv-winograd.h).
 *
 * A chunk of images is padded with bs_conv3_pad's even/odd column layout,
 * so that the 4x4 input tiles of 8 neighbouring output tiles are plain
 * vector loads. Tiles go in blocks of TB = 48 (six groups of 8):
 *   V[xi][ci][t]  = B^T d B     for the block's tiles (16 x in_c x TB),
 *   M[xi][co][t]  = sum_ci U[xi][ci][co] V[xi][ci][t]   (4 x 24 register tiles),
 *   y             = A^T M A     written back as 2x2 output tiles. */
#include "bs-conv-winograd.h"

#include <string.h>

#include "bs-conv-direct.h"
#include "bs-simd.h"

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
#include <immintrin.h>
#define HAVE_AVX2_KERNELS 1
#define AVX2 __attribute__ ((target ("avx2,fma")))
#endif

#define GROUP   8              /* tiles per vector */
#define GROUPS  6              /* groups per block */
#define TB      (GROUP * GROUPS)
#define CO_TILE 4              /* output channels per register tile */
#define T_TILE  24             /* tiles per register tile (3 vectors) */
#define MIN_IN_CHANNELS 8

static gboolean
cpu_has_avx2 (void)
{
#ifdef HAVE_AVX2_KERNELS
  static gsize checked = 0;
  static gboolean has = FALSE;

  if (g_once_init_enter (&checked))
    {
      has = bs_cpu_has_avx2_fma () &&
            g_getenv ("BS_CONV_GENERIC") == NULL && g_getenv ("BS_CONV_NO_WINOGRAD") == NULL;
      g_once_init_leave (&checked, 1);
    }
  return has;
#else
  return FALSE;
#endif
}

gboolean
bs_conv_winograd_available (void)
{
  return cpu_has_avx2 ();
}

gboolean
bs_conv_winograd_applies (const BsConvGeometry *g)
{
  guint tw = g->in_w / 2, th = g->in_h / 2;

  /* With few input channels the transforms cost more than the products save
   * (measured: 3 -> 16 channels at 32x32 twice as slow as the direct kernels). */
  if (g->kernel != 3 || g->stride != 1 || g->pad != 1 || g->in_w % 2 || g->in_h % 2 ||
      g->out_c % CO_TILE || g->in_c < MIN_IN_CHANNELS)
    return FALSE;
  if (!(tw % GROUP == 0 || (tw == GROUP / 2 && th % 2 == 0)))
    return FALSE;
  return cpu_has_avx2 ();
}

gsize
bs_conv_winograd_weights_size (const BsConvGeometry *g)
{
  return (gsize) 16 * g->in_c * g->out_c;
}

/* U = G g G^T, G = [1 0 0; 1/2 1/2 1/2; 1/2 -1/2 1/2; 0 0 1], stored [xi][ci][co]. */
void
bs_conv_winograd_weights (const BsConvGeometry *g,
                          const float          *w,
                          float                *u)
{
  static const double G[4][3] = { { 1, 0, 0 }, { 0.5, 0.5, 0.5 }, { 0.5, -0.5, 0.5 }, { 0, 0, 1 } };

  for (guint co = 0; co < g->out_c; co++)
    for (guint ci = 0; ci < g->in_c; ci++)
      {
        const float *k = w + ((gsize) co * g->in_c + ci) * 9;
        double gk[4][3];

        for (guint a = 0; a < 4; a++)
          for (guint l = 0; l < 3; l++)
            gk[a][l] = G[a][0] * k[l] + G[a][1] * k[3 + l] + G[a][2] * k[6 + l];
        for (guint a = 0; a < 4; a++)
          for (guint b = 0; b < 4; b++)
            u[((gsize) (4 * a + b) * g->in_c + ci) * g->out_c + co] =
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

gsize
bs_conv_winograd_scratch_size (const BsConvGeometry *g,
                               guint                 images)
{
  BsPadShape ps = pad_shape (g, images);

  return bs_conv3_padded_size (&ps) + (gsize) 16 * TB * (g->in_c + g->out_c);
}

#ifdef HAVE_AVX2_KERNELS

typedef struct {
  const BsConvGeometry *g;
  guint                 images;
  guint                 tw;              /* tiles per row */
  gsize                 groups_per_image;
  gsize                 wp;              /* padded row */
  gsize                 even;            /* even columns first in a padded row */
  gsize                 plane;
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
  gsize r = q % s->groups_per_image;

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

/* V for groups [q0, q0 + nq) of the chunk; groups nq..GROUPS-1 of the block are zero. */
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
                _mm256_storeu_ps (V + ((gsize) (4 * a + b) * C + ci) * TB + gi * GROUP, o[b]);
            }
        }
      for (guint gi = nq; gi < GROUPS; gi++)
        for (guint xi = 0; xi < 16; xi++)
          _mm256_storeu_ps (V + ((gsize) xi * C + ci) * TB + gi * GROUP, _mm256_setzero_ps ());
    }
}

/* M[xi][co][t] = sum_ci U[xi][ci][co] V[xi][ci][t] for the block's first n_tiles tiles. */
AVX2 static void
multiply (const Shape *s,
          const float *U,
          const float *V,
          guint        n_tiles,
          float       *M)
{
  guint C = s->g->in_c, K = s->g->out_c;

  for (guint xi = 0; xi < 16; xi++)
    {
      const float *Vx = V + (gsize) xi * C * TB;
      const float *Ux = U + (gsize) xi * C * K;

      for (guint co0 = 0; co0 < K; co0 += CO_TILE)
        for (guint t0 = 0; t0 < n_tiles; t0 += T_TILE)
          {
            __m256 c00 = _mm256_setzero_ps (), c01 = c00, c02 = c00, c10 = c00, c11 = c00, c12 = c00;
            __m256 c20 = c00, c21 = c00, c22 = c00, c30 = c00, c31 = c00, c32 = c00;
            float *out = M + ((gsize) xi * K + co0) * TB + t0;

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
          m[xi] = _mm256_loadu_ps (M + ((gsize) xi * K + co) * TB + gi * GROUP);
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

void
bs_conv_winograd_chunk (const BsConvGeometry *g,
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
  float *M = V + (gsize) 16 * TB * g->in_c;
  Shape s = {
    .g = g, .images = images, .tw = g->in_w / 2,
    .groups_per_image = (gsize) (g->in_h / 2) * (g->in_w / 2) / GROUP,
    .wp = g->in_w + 2, .even = (g->in_w + 3) / 2, .plane = (gsize) (g->in_h + 2) * (g->in_w + 2),
    .padded = scratch,
  };
  gsize groups = s.groups_per_image * images;

  bs_conv3_pad (&ps, x, batch, n0, scratch);
  for (gsize q0 = 0; q0 < groups; q0 += GROUPS)
    {
      guint nq = (guint) MIN ((gsize) GROUPS, groups - q0);
      guint n_tiles = (nq * GROUP + T_TILE - 1) / T_TILE * T_TILE;

      input_transform (&s, q0, nq, V);
      multiply (&s, u, V, n_tiles, M);
      output_transform (&s, M, q0, nq, y, batch, n0);
    }
}

#else /* !HAVE_AVX2_KERNELS */

void
bs_conv_winograd_chunk (const BsConvGeometry *g,
                        const float          *u,
                        const float          *x,
                        guint                 batch,
                        guint                 n0,
                        guint                 images,
                        float                *y,
                        float                *scratch)
{
  (void) g; (void) u; (void) x; (void) batch; (void) n0; (void) images; (void) y; (void) scratch;
  g_assert_not_reached ();   /* bs_conv_winograd_applies() is FALSE here */
}

#endif
