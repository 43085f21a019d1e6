/* bs-conv-direct-private.h: what the direct 3x3 kernel sets share
 * (bs-conv-direct.c: portable and AVX2; bs-conv-direct-avx512.c). */
#pragma once

#include "bs-conv-direct.h"

G_BEGIN_DECLS

#define MR BS_CONV3_MR
#define TAPS 9
/* Vector reads may run up to 17 floats past the last padded row (16-float
 * vectors; 9 with 8-float ones). */
#define SLACK 32

static inline guint
bs_conv3_out_size (guint in,
                   guint stride)
{
  return (in - 1) / stride + 1;   /* 3x3, padding 1 */
}

/* Offsets of the three columns of a tap row, relative to a vector's base.
 * Stride 2 rows are stored as their even columns, then their odd columns. */
static inline void
bs_conv3_column_offsets (const BsPadShape *s,
                         gsize             k[3])
{
  gsize wp = s->w + 2;

  k[0] = 0;
  k[1] = s->stride == 2 ? (wp + 1) / 2 : 1;
  k[2] = s->stride == 2 ? 1 : 2;
}

/* sums[m][kx] over the pixels of images x rows x (w) of dy[m] * x[koff[kx] + .]. */
typedef void (*WgradTile)   (const float *x,         /* padded plane of image 0, row ky */
                             gsize        x_image,   /* floats between padded planes of images */
                             gsize        row_step,  /* floats between the input rows of two output rows */
                             gsize        k1,        /* offset of tap kx = 1 (tap 0 is at 0) */
                             gsize        k2,
                             const float *dy,        /* dy of channel o0, image 0 */
                             gsize        dy_image,  /* floats between images of dy */
                             gsize        dy_cstride,
                             guint        mr,
                             guint        images,
                             guint        h,
                             guint        w,
                             float        sums[MR][3]);

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
#define BS_CONV3_HAVE_AVX512_KERNELS 1

/* bs_conv3_forward_chunk () with 16-float vectors (the same bits as AVX2). */
void bs_conv3_forward_chunk_avx512 (const BsPadShape *in,
                                    const float      *padded,
                                    const float      *packed,
                                    guint             out_c,
                                    float            *y,
                                    guint             y_images,
                                    guint             n0,
                                    gboolean          accumulate);

/* A WgradTile with 16-float vectors. */
void bs_conv3_wgrad_tile_avx512    (const float *x,
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
                                    float        sums[MR][3]);

/* Tap rows ky and ky + 1 (ky_step floats apart) of 4 channels at once, for
 * w a multiple of 16. */
void bs_conv3_wgrad_tile2_avx512   (const float *x,
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
                                    float        sums[2][MR][3]);
#endif

G_END_DECLS
