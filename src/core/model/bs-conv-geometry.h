/* bs-conv-geometry.h: the shape of a convolution and how its images go in chunks.
 *
 * Shared by the convolution drivers (bs-conv.c) and the Winograd kernels
 * (bs-conv-winograd.c), which both size their chunks of images with
 * bs_conv_chunk_fit(). */
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

G_END_DECLS
