/* bs-conv-geometry.h: the shape of a convolution and how its images go in chunks.
 *
 * Shared by the convolution drivers (bs-conv.c) and the Winograd kernels
 * (bs-conv-winograd.c), which both size their chunks of images with
 * bs_conv_chunk_fit(), and by the max pool (bs-pooling.c), which walks its
 * windows as a convolution does. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct {
  guint in_c;
  guint out_c;
  guint kernel;   /* square kernels */
  guint stride;
  guint pad;
  guint in_h;
  guint in_w;
  guint out_h;    /* filled by bs_conv_geometry_init */
  guint out_w;
} BsConvGeometry;

/* Checks sizes and fills out_h, out_w. FALSE when the kernel does not fit. */
gboolean bs_conv_geometry_init (BsConvGeometry *g);

/* Images per chunk, at most max_images (1 when it is 0): whole units of
 * unit images, about budget bytes at per_image bytes each (one unit at
 * least), and chunks of about equal size. */
guint    bs_conv_chunk_fit     (guint           max_images,
                                gsize           per_image,
                                gsize           budget,
                                guint           unit);

/* Along one axis: the output positions [lo, hi) whose window offset k falls
 * inside the input, 0 <= o * stride - pad + k < in_n. */
static inline void
bs_conv_valid_range (guint  out_n,
                     guint  in_n,
                     guint  stride,
                     guint  pad,
                     guint  k,
                     guint *lo,
                     guint *hi)
{
  int first = (int) pad - (int) k;                 /* o * stride >= first */
  int last = (int) in_n - 1 + (int) pad - (int) k; /* o * stride <= last */
  int l = first <= 0 ? 0 : (first + (int) stride - 1) / (int) stride;
  int h = last < 0 ? 0 : last / (int) stride + 1;

  l = MIN (l, (int) out_n);
  h = CLAMP (h, l, (int) out_n);
  *lo = l;
  *hi = h;
}

G_END_DECLS
