/* bs-relu.h: ReLU and the residual add, element-wise over whole tensors.
 *
 * Threaded over equal element ranges; every element is computed by exactly
 * one thread, so results do not depend on the thread count. Outputs may
 * alias inputs (the model runs them in place). */
#pragma once

#include <glib.h>

#include "bs-thread-pool.h"

G_BEGIN_DECLS

/* y = max (x, 0) */
void bs_relu_forward  (BsThreadPool *pool,
                       gsize         n,
                       const float  *x,
                       float        *y);
/* dx = dy where y > 0, else 0 (y is the ReLU's output) */
void bs_relu_backward (BsThreadPool *pool,
                       gsize         n,
                       const float  *y,
                       const float  *dy,
                       float        *dx);
/* y = a + b, optionally followed by a ReLU */
void bs_add_forward   (BsThreadPool *pool,
                       gsize         n,
                       const float  *a,
                       const float  *b,
                       gboolean      relu,
                       float        *y);
/* y += x */
void bs_add_inplace   (BsThreadPool *pool,
                       gsize         n,
                       float        *y,
                       const float  *x);
/* y = x */
void bs_copy          (BsThreadPool *pool,
                       gsize         n,
                       const float  *x,
                       float        *y);

G_END_DECLS
