/* bs-softmax-xent.h: mean softmax cross-entropy over a batch and its gradient.
 *
 * logits are batch x classes row-major (the model's output layout). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Returns the mean loss; dlogits (may be NULL) = (softmax - onehot) / batch.
 * Labels must be < n_classes (checked by the caller). */
float bs_softmax_xent (guint         batch,
                       guint         n_classes,
                       const float  *logits,
                       const guint8 *labels,
                       float        *dlogits);

G_END_DECLS
