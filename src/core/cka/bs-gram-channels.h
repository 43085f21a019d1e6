/* bs-gram-channels.h: the Grams of a convolution and of the batch norm after it, for the cost of one.
 *
 * A batch norm maps each channel c of its input x to y_c = a_c x_c + b_c.
 * With the per-channel Grams G_c of x (each feature shifted by the first
 * example, as in bs-gram.h), K(x) = sum_c G_c and K(y) = sum_c a_c^2 G_c: the
 * shift removes b_c exactly. The Gram kernel forms both sums in the same pass
 * over x (bs-gram-kernel.h), so the norm's Gram costs almost nothing. In the
 * paper's ResNets a quarter to a third of all layer outputs are batch norms.
 *
 * The scales a_c come from the model (the norm's evaluation-mode
 * coefficients). When the norm's output arrives, the relation
 * y_i - y_0 = a_c (x_i - x_0) is checked on four examples kept from x, spread
 * over the batch (a guard against pairing the wrong layers, not a proof); if
 * it does not hold, bs_gram_channels_affine() says so and the caller forms
 * K(y) directly. */
#pragma once

#include <glib.h>

#include "bs-gram.h"

G_BEGIN_DECLS

typedef struct _BsGramChannels BsGramChannels;

/* ws provides the threads and scratch (borrowed: it must outlive gc). */
BsGramChannels *bs_gram_channels_new      (BsGramWorkspace *ws);
void            bs_gram_channels_free     (BsGramChannels *gc);

/* The Gram of x (layout as bs_gram_from_cnhw) into gram (n x n, double),
 * and, kept for bs_gram_channels_affine(), the Gram of y = scale * x + b
 * (scale: one float per channel). FALSE when x is not finite; nothing is
 * kept then. */
gboolean        bs_gram_channels_compute  (BsGramChannels *gc,
                                           const float    *x,
                                           guint           channels,
                                           guint           n,
                                           gsize           spatial,
                                           const float    *scale,
                                           double         *gram);

/* The Gram of y, the per-channel affine map of the x of the last compute
 * (same shape). Returns FALSE, leaving gram undefined, when there is no
 * such x or y is not that map of it (or not finite): form it directly then. */
gboolean        bs_gram_channels_affine   (BsGramChannels *gc,
                                           const float    *y,
                                           guint           channels,
                                           guint           n,
                                           gsize           spatial,
                                           double         *gram);

/* Forgets x. */
void            bs_gram_channels_reset    (BsGramChannels *gc);

G_END_DECLS
