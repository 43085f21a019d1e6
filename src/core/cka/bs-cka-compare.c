/* bs-cka-compare.c: many CKA jobs, their diagonals over time and their spread over seeds. */
#include "bs-cka-compare.h"

#include <glib/gi18n-lib.h>
#include <math.h>
#include <string.h>

#include "bs-cka-sink.h"
#include "bs-error.h"

void
bs_cka_convergence_clear (BsCkaConvergence *result)
{
  g_clear_pointer (&result->layers, g_array_unref);
  g_clear_pointer (&result->cka, g_free);
  g_clear_pointer (&result->std_error, g_free);
  result->n_checkpoints = 0;
}

void
bs_cka_seeds_clear (BsCkaSeeds *result)
{
  g_clear_pointer (&result->mean, bs_cka_snapshot_unref);
  g_clear_pointer (&result->std_dev, bs_cka_snapshot_unref);
  result->n_pairs = 0;
}

/* Whether two lists of layers are the same grid (names, in order). */
static gboolean
same_layers (const BsLayerInfo *a,
             guint              n_a,
             const BsLayerInfo *b,
             guint              n_b)
{
  if (n_a != n_b)
    return FALSE;
  for (guint i = 0; i < n_a; i++)
    if (g_strcmp0 (a[i].name, b[i].name) != 0)
      return FALSE;
  return TRUE;
}

static BsCkaSnapshot *
run_pair (const BsCkaJobOptions *base,
          const char            *spec_a,
          const char            *spec_b,
          GCancellable          *cancellable,
          GError               **error)
{
  BsCkaJobOptions options = *base;

  options.model_a = options.model_b = NULL;
  options.spec_a = spec_a;
  options.spec_b = spec_b;
  options.acts_dir_a = options.acts_dir_b = NULL;
  options.pc1 = FALSE;
  return bs_cka_job_run (&options, NULL, NULL, cancellable, error);
}

gboolean
bs_cka_convergence_run (const char *const      *checkpoints,
                        guint                   n,
                        const char             *final,
                        const BsCkaJobOptions  *base,
                        BsCkaCompareProgress    progress,
                        gpointer                user_data,
                        BsCkaConvergence       *result,
                        GCancellable           *cancellable,
                        GError                **error)
{
  guint n_layers = 0;

  g_return_val_if_fail (checkpoints != NULL && final != NULL && base != NULL && result != NULL, FALSE);
  memset (result, 0, sizeof *result);
  if (n == 0)
    {
      g_set_error (error, BS_ERROR, BS_ERROR_INVALID_ARGUMENT, _("No checkpoints to compare"));
      return FALSE;
    }

  for (guint k = 0; k < n; k++)
    {
      g_autoptr(BsCkaSnapshot) s = NULL;
      g_autoptr(GError) local = NULL;

      if (progress != NULL)
        progress (k, n, user_data);
      s = run_pair (base, checkpoints[k], final, cancellable, &local);
      if (s == NULL)
        {
          g_propagate_error (error, g_steal_pointer (&local));
          g_prefix_error (error, "%s: ", checkpoints[k]);
          bs_cka_convergence_clear (result);
          return FALSE;
        }
      if (k == 0)
        {
          n_layers = bs_cka_snapshot_get_n_rows (s);
          result->layers = bs_cka_layer_array_new ();
          g_array_set_size (result->layers, n_layers);
          for (guint l = 0; l < n_layers; l++)
            bs_layer_info_copy (&g_array_index (result->layers, BsLayerInfo, l), bs_cka_snapshot_get_row (s, l));
          result->n_checkpoints = n;
          result->cka = g_new (double, (gsize) n_layers * n);
          result->std_error = g_new (double, (gsize) n_layers * n);
        }
      if (!same_layers (bs_cka_snapshot_get_rows (s), bs_cka_snapshot_get_n_rows (s),
                        (const BsLayerInfo *) result->layers->data, n_layers)
          || !same_layers (bs_cka_snapshot_get_cols (s), bs_cka_snapshot_get_n_cols (s),
                           (const BsLayerInfo *) result->layers->data, n_layers))
        {
          g_set_error (error, BS_ERROR, BS_ERROR_MISMATCH,
                       /* Translators: two checkpoint files. */
                       _("%s and %s have different layers: a layer's CKA over time needs one architecture"),
                       checkpoints[k], final);
          bs_cka_convergence_clear (result);
          return FALSE;
        }
      for (guint l = 0; l < n_layers; l++)
        {
          result->cka[(gsize) l * n + k] = bs_cka_snapshot_get_value (s, l, l);
          result->std_error[(gsize) l * n + k] = bs_cka_snapshot_get_std_error (s, l, l);
        }
    }
  if (progress != NULL)
    progress (n, n, user_data);
  return TRUE;
}

gboolean
bs_cka_seeds_run (const char *const      *specs,
                  guint                   n,
                  const BsCkaJobOptions  *base,
                  BsCkaCompareProgress    progress,
                  gpointer                user_data,
                  BsCkaSeeds             *result,
                  GCancellable           *cancellable,
                  GError                **error)
{
  g_autoptr(BsCkaSnapshot) first = NULL;
  g_autofree double *sum = NULL;
  g_autofree double *sum2 = NULL;
  guint total = n * (n - 1) / 2, done = 0, L = 0;
  BsCkaSnapshotHeader header;
  g_autoptr(GString) names = g_string_new (NULL);
  guint8 *status[2][2];

  g_return_val_if_fail (specs != NULL && base != NULL && result != NULL, FALSE);
  memset (result, 0, sizeof *result);
  if (n < 2)
    {
      g_set_error (error, BS_ERROR, BS_ERROR_INVALID_ARGUMENT,
                   _("Comparing seeds needs at least two models, not %u"), n);
      return FALSE;
    }

  for (guint i = 0; i < n; i++)
    for (guint j = i + 1; j < n; j++)
      {
        g_autoptr(BsCkaSnapshot) s = NULL;

        if (progress != NULL)
          progress (done, total, user_data);
        s = run_pair (base, specs[i], specs[j], cancellable, error);
        if (s == NULL)
          return FALSE;
        if (first == NULL)
          {
            L = bs_cka_snapshot_get_n_rows (s);
            first = bs_cka_snapshot_ref (s);
            sum = g_new0 (double, (gsize) L * L);
            sum2 = g_new0 (double, (gsize) L * L);
          }
        if (!same_layers (bs_cka_snapshot_get_rows (s), bs_cka_snapshot_get_n_rows (s),
                          bs_cka_snapshot_get_rows (first), L)
            || !same_layers (bs_cka_snapshot_get_cols (s), bs_cka_snapshot_get_n_cols (s),
                             bs_cka_snapshot_get_rows (first), L))
          {
            g_set_error (error, BS_ERROR, BS_ERROR_MISMATCH,
                         /* Translators: two model specs. */
                         _("%s and %s have different layers: seeds can only be compared on one layer grid"),
                         specs[i], specs[j]);
            return FALSE;
          }
        /* The pair (i, j) and its transpose (j, i). */
        for (guint r = 0; r < L; r++)
          for (guint c = 0; c < L; c++)
            {
              double v = bs_cka_snapshot_get_value (s, r, c);
              double t = bs_cka_snapshot_get_value (s, c, r);

              sum[(gsize) r * L + c] += v + t;
              sum2[(gsize) r * L + c] += v * v + t * t;
            }
        done++;
      }
  if (progress != NULL)
    progress (total, total, user_data);

  {
    gsize cells = (gsize) L * L;
    double pairs = 2.0 * total;
    double *mean = g_new (double, MAX (cells, 1));
    double *dev = g_new (double, MAX (cells, 1));
    double *dev_copy;
    double *nan_se = g_new (double, MAX (cells, 1));

    for (gsize i = 0; i < cells; i++)
      {
        double m = sum[i] / pairs;

        mean[i] = m;
        dev[i] = pairs > 1 ? sqrt (MAX (sum2[i] - pairs * m * m, 0.0) / (pairs - 1)) : NAN;
        nan_se[i] = NAN;
        if (isnan (m))
          dev[i] = NAN;
      }
    dev_copy = g_memdup2 (dev, MAX (cells, 1) * sizeof (double));
    for (guint s_i = 0; s_i < 2; s_i++)
      {
        status[s_i][0] = g_new0 (guint8, MAX (L, 1));
        status[s_i][1] = g_new0 (guint8, MAX (L, 1));
        for (guint l = 0; l < L; l++)
          {
            status[s_i][0][l] = bs_cka_snapshot_get_row_status (first, l);
            status[s_i][1][l] = bs_cka_snapshot_get_col_status (first, l);
          }
      }
    for (guint i = 0; i < n; i++)
      g_string_append_printf (names, "%s%s", i > 0 ? " + " : "", specs[i]);
    bs_cka_snapshot_get_header (first, &header);
    header.model_a = header.model_b = names->str;
    result->mean = bs_cka_snapshot_new (&header, bs_cka_snapshot_get_minibatches_done (first), mean, dev,
                                        status[0][0], status[0][1]);
    header.statistic = BS_CKA_STATISTIC_SEED_STD_DEV;
    result->std_dev = bs_cka_snapshot_new (&header, bs_cka_snapshot_get_minibatches_done (first), dev_copy,
                                           nan_se, status[1][0], status[1][1]);
    result->n_pairs = (guint) pairs;
  }
  return TRUE;
}
