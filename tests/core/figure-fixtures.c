/* figure-fixtures.c: made-up CKA results for the figure tests (see the header). */
#include "figure-fixtures.h"

#include <math.h>

void
figure_fixture_layers (BsLayerInfo *layers,
                       guint        n)
{
  for (guint i = 0; i < n; i++)
    {
      BsLayerInfo *info = &layers[i];
      guint inner = n - 2;

      if (i == 0 || i == n - 1)
        {
          info->stage = i == 0 ? BS_LAYER_STAGE_STEM : BS_LAYER_STAGE_HEAD;
          info->block = -1;
        }
      else
        {
          info->stage = 1 + (gint) (3 * (i - 1) / inner);
          info->block = (gint) (((i - 1) % MAX (inner / 3, 1)) / 3);
        }
      info->name = g_strdup_printf ("layer%u", i);
      info->kind = BS_LAYER_CONV;
      info->channels = 8;
      info->height = info->width = 4;
    }
}

/* "resnet20" (rows) against model_b (columns), finished. */
static BsCkaSnapshot *
make_snapshot (guint           n_rows,
               guint           n_cols,
               const char     *model_b,
               FigureCellFunc  value,
               FigureCellFunc  std_error)
{
  BsLayerInfo *rows = g_new0 (BsLayerInfo, n_rows);
  BsLayerInfo *cols = g_new0 (BsLayerInfo, n_cols);
  BsCkaSnapshotHeader header = {
    .rows = rows, .n_rows = n_rows, .cols = cols, .n_cols = n_cols,
    .model_a = "resnet20", .model_b = model_b,
    .batch_size = 16, .minibatches_total = 4,
  };
  double *cka = g_new (double, (gsize) n_rows * n_cols);
  double *se = g_new (double, (gsize) n_rows * n_cols);
  BsCkaSnapshot *snapshot;

  figure_fixture_layers (rows, n_rows);
  figure_fixture_layers (cols, n_cols);
  for (guint r = 0; r < n_rows; r++)
    for (guint c = 0; c < n_cols; c++)
      {
        cka[(gsize) r * n_cols + c] = value (r, c);
        se[(gsize) r * n_cols + c] = std_error != NULL ? std_error (r, c) : NAN;
      }
  snapshot = bs_cka_snapshot_new (&header, 4, cka, se, g_new0 (guint8, n_rows), g_new0 (guint8, n_cols));
  for (guint i = 0; i < n_rows; i++)
    bs_layer_info_clear (&rows[i]);
  for (guint i = 0; i < n_cols; i++)
    bs_layer_info_clear (&cols[i]);
  g_free (rows);
  g_free (cols);

  return snapshot;
}

BsCkaSnapshot *
figure_fixture_snapshot (guint           n_rows,
                         guint           n_cols,
                         FigureCellFunc  value,
                         FigureCellFunc  std_error)
{
  return make_snapshot (n_rows, n_cols, "resnet56", value, std_error);
}

BsCkaSnapshot *
figure_fixture_self_snapshot (guint           n,
                              FigureCellFunc  value,
                              const double   *shares)
{
  BsCkaSnapshot *snapshot = make_snapshot (n, n, "resnet20", value, NULL);

  if (shares != NULL)
    bs_cka_snapshot_attach_pc1_shares (snapshot, g_memdup2 (shares, n * sizeof (double)),
                                       g_new0 (double, n), g_memdup2 (shares, n * sizeof (double)),
                                       g_new0 (double, n));
  return snapshot;
}
