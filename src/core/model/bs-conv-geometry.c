/* bs-conv-geometry.c: convolution shapes and chunk sizes (see bs-conv-geometry.h). */
#include "bs-conv-geometry.h"

gboolean
bs_conv_geometry_init (BsConvGeometry *g)
{
  if (g->kernel == 0 || g->stride == 0 || g->in_c == 0 || g->out_c == 0 ||
      g->in_h + 2 * g->pad < g->kernel || g->in_w + 2 * g->pad < g->kernel ||
      g->pad >= g->kernel)
    return FALSE;
  g->out_h = (g->in_h + 2 * g->pad - g->kernel) / g->stride + 1;
  g->out_w = (g->in_w + 2 * g->pad - g->kernel) / g->stride + 1;
  return TRUE;
}

guint
bs_conv_chunk_fit (guint max_images,
                   gsize per_image,
                   gsize budget,
                   guint unit)
{
  gsize units, n_chunks;

  if (max_images <= unit)
    return MAX (max_images, 1);
  units = MIN (MAX (budget / per_image / unit, 1), (gsize) max_images / unit);
  /* Even out the chunks, in whole units, so that the last one is not a sliver. */
  n_chunks = (max_images + units * unit - 1) / (units * unit);
  units = MIN (((max_images + n_chunks - 1) / n_chunks + unit - 1) / unit, (gsize) max_images / unit);
  return (guint) (units * unit);
}
