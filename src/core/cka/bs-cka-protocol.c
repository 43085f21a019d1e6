/* bs-cka-protocol.c */
#include "bs-cka-protocol.h"

#include <glib/gi18n-lib.h>

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
      if (biased)
        g_set_error (error, BS_ERROR, BS_ERROR_INVALID_ARGUMENT,
                     /* Translators: the minibatch size asked for, then the smallest one
                      * the estimator accepts (2 or 4). */
                     _("Minibatch size %u is too small: the biased HSIC estimator needs at least %u "
                       "examples per minibatch (its denominators vanish below that)"),
                     batch_size, min_n);
      else
        g_set_error (error, BS_ERROR, BS_ERROR_INVALID_ARGUMENT,
                     /* Translators: the minibatch size asked for, then the smallest one
                      * the estimator accepts (2 or 4). */
                     _("Minibatch size %u is too small: the unbiased HSIC estimator needs at least %u "
                       "examples per minibatch (its denominators vanish below that)"),
                     batch_size, min_n);
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

  g_return_val_if_fail (dataset_name != NULL, FALSE);
  g_return_val_if_fail (counts != NULL, FALSE);

  if (batch_size == 0)
    {
      g_set_error (error, BS_ERROR, BS_ERROR_INVALID_ARGUMENT, _("The minibatch size must be at least 1"));
      return FALSE;
    }
  if (passes == 0)
    {
      g_set_error (error, BS_ERROR, BS_ERROR_INVALID_ARGUMENT, _("The number of passes must be at least 1"));
      return FALSE;
    }

  c.images_per_pass = bs_cka_protocol_images_per_pass (n_images, limit);
  c.minibatches_per_pass = c.images_per_pass / batch_size;
  if (c.minibatches_per_pass == 0)
    {
      if (limit > 0 && limit < n_images)
        g_set_error (error, BS_ERROR, BS_ERROR_INVALID_ARGUMENT,
                     g_dngettext (GETTEXT_PACKAGE,
                                  /* Translators: a data set's name (cifar10), its number of test
                                   * images, then the minibatch size. */
                                  "The test split of '%s' is limited to %u image, fewer than one "
                                  "minibatch of %u",
                                  "The test split of '%s' is limited to %u images, fewer than one "
                                  "minibatch of %u", c.images_per_pass),
                     dataset_name, c.images_per_pass, batch_size);
      else
        g_set_error (error, BS_ERROR, BS_ERROR_INVALID_ARGUMENT,
                     g_dngettext (GETTEXT_PACKAGE,
                                  /* Translators: a data set's name (cifar10), its number of test
                                   * images, then the minibatch size. */
                                  "The test split of '%s' has %u image, fewer than one minibatch "
                                  "of %u",
                                  "The test split of '%s' has %u images, fewer than one minibatch "
                                  "of %u", c.images_per_pass),
                     dataset_name, c.images_per_pass, batch_size);
      return FALSE;
    }
  if ((guint64) c.minibatches_per_pass * passes > G_MAXUINT)
    {
      g_set_error (error, BS_ERROR, BS_ERROR_INVALID_ARGUMENT, _("Too many passes (%u)"), passes);
      return FALSE;
    }
  c.minibatches_total = c.minibatches_per_pass * passes;

  *counts = c;
  return TRUE;
}
