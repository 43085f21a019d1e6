/* bs-cka-protocol.c */
#include "bs-cka-protocol.h"

#include "bs-error.h"

guint
bs_cka_protocol_images_per_pass (guint n_images,
                                 guint limit)
{
  return limit > 0 ? MIN (n_images, limit) : n_images;
}

gboolean
bs_cka_protocol_check_batch_size (guint      batch_size,
                                  gboolean   biased,
                                  GError   **error)
{
  guint min_n = biased ? 2 : 4;

  if (batch_size < min_n)
    {
      g_set_error (error, BS_ERROR, BS_ERROR_INVALID_ARGUMENT,
                   "Minibatch size %u is too small: the %s HSIC estimator needs at least %u "
                   "examples per minibatch (its denominators vanish below that)",
                   batch_size, biased ? "biased" : "unbiased", min_n);
      return FALSE;
    }
  return TRUE;
}

gboolean
bs_cka_protocol_count (guint                 n_images,
                       guint                 limit,
                       guint                 batch_size,
                       guint                 passes,
                       const char           *dataset_name,
                       BsCkaProtocolCounts  *counts,
                       GError              **error)
{
  BsCkaProtocolCounts c;

  g_return_val_if_fail (counts != NULL, FALSE);

  if (batch_size == 0)
    {
      g_set_error (error, BS_ERROR, BS_ERROR_INVALID_ARGUMENT, "The minibatch size must be at least 1");
      return FALSE;
    }
  if (passes == 0)
    {
      g_set_error (error, BS_ERROR, BS_ERROR_INVALID_ARGUMENT, "The number of passes must be at least 1");
      return FALSE;
    }

  c.images_per_pass = bs_cka_protocol_images_per_pass (n_images, limit);
  c.minibatches_per_pass = c.images_per_pass / batch_size;
  if (c.minibatches_per_pass == 0)
    {
      g_set_error (error, BS_ERROR, BS_ERROR_INVALID_ARGUMENT,
                   "The test split of '%s' has %u images%s, fewer than one minibatch of %u",
                   dataset_name ? dataset_name : "the data set", c.images_per_pass,
                   limit > 0 && limit < n_images ? " (after --limit)" : "", batch_size);
      return FALSE;
    }
  if ((guint64) c.minibatches_per_pass * passes > G_MAXUINT)
    {
      g_set_error (error, BS_ERROR, BS_ERROR_INVALID_ARGUMENT, "Too many passes (%u)", passes);
      return FALSE;
    }
  c.minibatches_total = c.minibatches_per_pass * passes;

  *counts = c;
  return TRUE;
}
