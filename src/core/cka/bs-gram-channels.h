/* bs-gram-channels.h: the Grams of a convolution and of the batch norm after it, for the cost of one.
 *
 * A batch norm maps each channel c of its input x to y_c = a_c x_c + b_c
 * (evaluation and training mode alike, within one forward pass). With the
 * per-channel Grams G_c of x (each column shifted by the first example, as
 * in bs-gram.h), K(x) = sum_c G_c, and K(y) = sum_c a_c^2 G_c up to terms of
 * the form u_i + u_j that U- and H-centring remove. Forming the G_c costs
 * what K(x) costs (n^2 p); K(y) then costs C n^2 instead of another n^2 p.
 * In the paper's ResNets a quarter to a third of all layer outputs are batch
 * norms, so this removes about that share of the Gram work.
 *
 * a_c^2 is measured from the data (the ratio of the two channels' spreads),
 * and the affine relation is checked on a few examples kept from x: when y
 * is not a per-channel affine map of x, bs_gram_channels_affine() says so
 * and the caller forms K(y) directly. */
#pragma once

#include <glib.h>

#include "bs-gram.h"

G_BEGIN_DECLS

typedef struct _BsGramChannels BsGramChannels;

/* ws provides the threads and scratch (borrowed: it must outlive gc). */
BsGramChannels *bs_gram_channels_new      (BsGramWorkspace *ws);
void            bs_gram_channels_free     (BsGramChannels *gc);

/* Bytes the per-channel Grams of a layer with this many channels take. */
gsize           bs_gram_channels_bytes    (guint           channels,
                                           guint           n);

/* Per-channel Grams of x (layout as bs_gram_from_cnhw) and their sum, the
 * Gram of x, into gram (n x n, double). FALSE when x is not finite; the
 * per-channel Grams are then not kept. */
gboolean        bs_gram_channels_compute  (BsGramChannels *gc,
                                           const float    *x,
                                           guint           channels,
                                           guint           n,
                                           gsize           spatial,
                                           double         *gram);

/* The Gram of y, a per-channel affine map of the x of the last compute
 * (same shape). Returns FALSE, leaving gram undefined, when there is no
 * such x or y is not such a map of it (or not finite): form it directly then. */
gboolean        bs_gram_channels_affine   (BsGramChannels *gc,
                                           const float    *y,
                                           guint           channels,
                                           guint           n,
                                           gsize           spatial,
                                           double         *gram);

/* Forgets x. */
void            bs_gram_channels_reset    (BsGramChannels *gc);

G_END_DECLS
