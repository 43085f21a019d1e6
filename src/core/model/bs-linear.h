/* bs-linear.h: the fully connected head, y = W x + b.
 *
 * Channel-major like every activation: x[in][B], y[out][B], W[out][in]
 * (PyTorch's fc.weight layout). Small enough to run on the calling thread. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

void bs_linear_forward  (guint        in_features,
                         guint        out_features,
                         guint        batch,
                         const float *x,
                         const float *weight,
                         const float *bias,
                         float       *y);
/* dweight, dbias overwritten; dx (may be NULL) overwritten. */
void bs_linear_backward (guint        in_features,
                         guint        out_features,
                         guint        batch,
                         const float *x,
                         const float *weight,
                         const float *dy,
                         float       *dweight,
                         float       *dbias,
                         float       *dx);

G_END_DECLS
