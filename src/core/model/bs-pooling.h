/* bs-pooling.h: pooling layers: global average pool and max pool.
 *
 * Inputs are channel-major x[C][B][H][W]. The global average pool gives a
 * flat y[C][B]; the max pool (torchvision's 3x3 stride-2 padding-1 stem pool,
 * or any square window) gives y[C][B][Ho][Wo] and remembers where each
 * maximum came from for the backward pass. Ties and NaN follow PyTorch: the
 * first maximum in window order wins, a NaN always wins. */
#pragma once

#include <glib.h>

#include "bs-thread-pool.h"

G_BEGIN_DECLS

void bs_avgpool_forward  (BsThreadPool *pool,
                          guint         channels,
                          guint         batch,
                          gsize         hw,
                          const float  *x,
                          float        *y);
/* dx[c][n][p] = dy[c][n] / hw (overwrites dx) */
void bs_avgpool_backward (BsThreadPool *pool,
                          guint         channels,
                          guint         batch,
                          gsize         hw,
                          const float  *dy,
                          float        *dx);

typedef struct {
  guint kernel;
  guint stride;
  guint pad;
  guint in_h;
  guint in_w;
  guint out_h;   /* filled by bs_maxpool_geometry_init */
  guint out_w;
} BsMaxPoolGeometry;

gboolean bs_maxpool_geometry_init (BsMaxPoolGeometry *g);

/* argmax receives, per output element, the offset of the winner inside its
 * input plane (in_h * in_w); it may be NULL when no backward pass follows. */
void bs_maxpool_forward  (const BsMaxPoolGeometry *g,
                          BsThreadPool            *pool,
                          guint                    planes,
                          const float             *x,
                          float                   *y,
                          guint32                 *argmax);
/* dx = 0, then dx[winner] += dy (overwrites dx). planes = channels * batch. */
void bs_maxpool_backward (const BsMaxPoolGeometry *g,
                          BsThreadPool            *pool,
                          guint                    planes,
                          const float             *dy,
                          const guint32           *argmax,
                          float                   *dx);

G_END_DECLS
