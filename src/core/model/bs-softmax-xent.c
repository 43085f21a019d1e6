/* bs-softmax-xent.c: numerically stable log-sum-exp, sums in double. */
#include "bs-softmax-xent.h"

#include <math.h>

float
bs_softmax_xent (guint         batch,
                 guint         n_classes,
                 const float  *logits,
                 const guint8 *labels,
                 float        *dlogits)
{
  double total = 0.0;

  for (guint n = 0; n < batch; n++)
    {
      const float *z = logits + (gsize) n * n_classes;
      double max = z[0], sum = 0.0, lse;

      for (guint k = 1; k < n_classes; k++)
        max = MAX (max, (double) z[k]);
      for (guint k = 0; k < n_classes; k++)
        sum += exp ((double) z[k] - max);
      lse = max + log (sum);
      total += lse - z[labels[n]];

      if (dlogits)
        for (guint k = 0; k < n_classes; k++)
          {
            double p = exp ((double) z[k] - lse);

            dlogits[(gsize) n * n_classes + k] = (float) ((p - (k == labels[n])) / batch);
          }
    }

  return (float) (total / batch);
}
