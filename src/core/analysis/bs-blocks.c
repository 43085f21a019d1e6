/* bs-blocks.c: block structure in a CKA matrix, by an exact segmentation (see bs-blocks.h). */
#include "bs-config.h"

#include "bs-blocks.h"

#include <glib/gi18n-lib.h>
#include <math.h>

#include "bs-error.h"

typedef struct {
  const double *cka;
  guint         n;
  gboolean     *left_out;
} Matrix;

/* p(i, j): the mean of the finite ones of S[i][j] and S[j][i]; NaN when neither is. */
static double
pair_value (const Matrix *m,
            guint         i,
            guint         j)
{
  double a = m->cka[(gsize) i * m->n + j];
  double b = m->cka[(gsize) j * m->n + i];

  if (m->left_out[i] || m->left_out[j])
    return NAN;
  if (isfinite (a) && isfinite (b))
    return 0.5 * (a + b);
  if (isfinite (a))
    return a;
  return b;   /* finite or NaN */
}

void
bs_blocks_options_init (BsBlocksOptions *options)
{
  options->threshold = BS_BLOCKS_DEFAULT_THRESHOLD;
  options->min_size = BS_BLOCKS_DEFAULT_MIN_SIZE;
  options->min_contrast = BS_BLOCKS_DEFAULT_MIN_CONTRAST;
}

/* The optimal segmentation (step 2): start[e] is the first layer of the
 * range that ends at layer e, for the ends that the optimum uses. */
static guint *
segment (const Matrix *m,
         double        threshold)
{
  guint n = m->n;
  g_autofree double *best = g_new0 (double, n + 1);   /* best[k]: the optimum of layers 0 .. k-1 */
  g_autofree double *inside = g_new0 (double, n);     /* inside[s]: sum of (p - t) over pairs in [s, e] */
  guint *start = g_new0 (guint, n);

  for (guint e = 0; e < n; e++)
    {
      double column = 0;

      inside[e] = 0;
      for (guint i = e; i-- > 0;)
        {
          double p = pair_value (m, i, e);

          if (isfinite (p))
            column += p - threshold;
          inside[i] += column;
        }
      best[e + 1] = best[e];
      start[e] = e;
      for (guint s = e; s-- > 0;)
        {
          double candidate = best[s] + inside[s];

          if (candidate > best[e + 1])
            {
              best[e + 1] = candidate;
              start[e] = s;
            }
        }
    }
  return start;
}

/* The mean of the defined pairs i < j, i in [a0, a1], j in [b0, b1]. */
static double
mean_between (const Matrix *m,
              guint         a0,
              guint         a1,
              guint         b0,
              guint         b1)
{
  double sum = 0;
  guint count = 0;

  for (guint i = a0; i <= a1; i++)
    for (guint j = MAX (b0, i + 1); j <= b1; j++)
      {
        double p = pair_value (m, i, j);

        if (isfinite (p))
          {
            sum += p;
            count++;
          }
      }
  return count > 0 ? sum / count : NAN;
}

/* The mean of the defined pairs of layer j (outside [first, last]) with the layers of that range. */
static double
mean_to_range (const Matrix *m,
               guint         j,
               guint         first,
               guint         last)
{
  double sum = 0;
  guint count = 0;

  for (guint i = first; i <= last; i++)
    {
      double p = pair_value (m, i, j);

      if (isfinite (p))
        {
          sum += p;
          count++;
        }
    }
  return count > 0 ? sum / count : NAN;
}

/* The largest, over the BS_BLOCKS_EDGE_WINDOW nearest layers on one side
 * of the block (direction -1 or +1) that are not left out, of their mean
 * CKA with the block; NaN when there are none. */
static double
side_edge (const Matrix  *m,
           const BsBlock *block,
           int            direction)
{
  double edge = NAN;
  guint seen = 0;

  for (gint64 j = direction < 0 ? (gint64) block->first - 1 : (gint64) block->last + 1;
       j >= 0 && j < m->n && seen < BS_BLOCKS_EDGE_WINDOW; j += direction)
    if (!m->left_out[j])
      {
        double v = mean_to_range (m, (guint) j, block->first, block->last);

        seen++;
        if (isfinite (v) && !(v <= edge))
          edge = v;
      }
  return edge;
}

/* Layers outside the block that are not left out. */
static guint
count_outside (const Matrix  *m,
               const BsBlock *block)
{
  guint n = 0;

  for (guint j = 0; j < m->n; j++)
    n += !m->left_out[j] && (j < block->first || j > block->last);
  return n;
}

static void
measure (const Matrix *m,
         BsBlock      *block)
{
  double rest_sum = 0, left, right;
  guint rest_count = 0, third = MAX (block->size / 3, 1);

  block->mean_inside = mean_between (m, block->first, block->last, block->first, block->last);
  block->corner = mean_between (m, block->first, block->first + third - 1, block->last - third + 1, block->last);

  for (guint j = 0; j < m->n; j++)
    {
      if (m->left_out[j] || (j >= block->first && j <= block->last))
        continue;
      for (guint i = block->first; i <= block->last; i++)
        {
          double p = pair_value (m, i, j);

          if (isfinite (p))
            {
              rest_sum += p;
              rest_count++;
            }
        }
    }
  block->mean_rest = rest_count > 0 ? rest_sum / rest_count : NAN;

  /* The more alike of the two sides (a side beyond the network's end has none). */
  left = side_edge (m, block, -1);
  right = side_edge (m, block, +1);
  block->edge = isnan (left) ? right : isnan (right) ? left : MAX (left, right);
  block->contrast = block->mean_inside - block->edge;
}

GArray *
bs_blocks_find (const double          *cka,
                guint                  n_rows,
                guint                  n_cols,
                const BsBlocksOptions *options,
                GError               **error)
{
  BsBlocksOptions defaults;
  g_autofree gboolean *left_out = NULL;
  g_autofree guint *start = NULL;
  GArray *blocks;
  Matrix m;

  if (options == NULL)
    {
      bs_blocks_options_init (&defaults);
      options = &defaults;
    }
  if (n_rows != n_cols)
    {
      /* Translators: %u are the rows and columns of a CKA matrix. */
      g_set_error (error, BS_ERROR, BS_ERROR_INVALID_ARGUMENT,
                   _("Blocks are found in a network compared with itself: a square matrix, not %u × %u"),
                   n_rows, n_cols);
      return NULL;
    }
  if (n_rows == 0)
    {
      g_set_error_literal (error, BS_ERROR, BS_ERROR_INVALID_ARGUMENT, _("The CKA matrix has no layers"));
      return NULL;
    }
  if (!isfinite (options->threshold) || !isfinite (options->min_contrast))
    {
      g_set_error_literal (error, BS_ERROR, BS_ERROR_INVALID_ARGUMENT,
                           _("The threshold and the least contrast of blocks must be numbers"));
      return NULL;
    }
  if (options->min_size < 2)
    {
      g_set_error_literal (error, BS_ERROR, BS_ERROR_INVALID_ARGUMENT,
                           _("A block has at least two layers"));
      return NULL;
    }

  left_out = g_new0 (gboolean, n_rows);
  for (guint i = 0; i < n_rows; i++)
    left_out[i] = !isfinite (cka[(gsize) i * n_rows + i]);
  m = (Matrix) { .cka = cka, .n = n_rows, .left_out = left_out };

  start = segment (&m, options->threshold);
  blocks = g_array_new (FALSE, FALSE, sizeof (BsBlock));
  for (guint end = n_rows; end > 0;)
    {
      BsBlock block = { .first = start[end - 1], .last = end - 1 };

      end = block.first;
      /* Left-out layers at the ends of a range are not part of a block. */
      while (block.first < block.last && left_out[block.first])
        block.first++;
      while (block.last > block.first && left_out[block.last])
        block.last--;
      block.size = block.last - block.first + 1;
      if (block.size < options->min_size)
        continue;
      measure (&m, &block);
      if (block.mean_inside >= options->threshold && block.corner >= options->threshold
          && block.contrast >= options->min_contrast && count_outside (&m, &block) >= options->min_size)
        g_array_prepend_val (blocks, block);
    }
  return blocks;
}
