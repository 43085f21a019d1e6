/* test-blocks.c: block structure detection (bs-blocks.h) and `blockscope-cli blocks`.
 *
 * Planted blocks in noisy matrices are found exactly, a smooth decay with
 * the distance between layers gives none, constant layers (NaN rows) split
 * a block without breaking the method, the segmentation is the exact
 * optimum (checked against every segmentation of small matrices, with the
 * statistics recomputed in long double), and a matrix that is not square
 * is refused. The CLI reads a result with its JSON and prints the blocks
 * with the layers' names. */
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>
#include <sys/wait.h>

#include "bs-blocks.h"
#include "bs-cka-export.h"
#include "bs-error.h"
#include "bs-rng.h"
#include "bs-test-util.h"

static char *tmp_dir;

/* A symmetric L x L matrix: background bg(i, j), planted blocks of value
 * inside, symmetric uniform noise of amplitude noise, 1 on the diagonal. */
typedef double (*Background) (guint i, guint j, gpointer data);

static double *
make_matrix (guint        L,
             Background   background,
             gpointer     data,
             const guint *blocks,    /* pairs first, last */
             guint        n_blocks,
             double       inside,
             double       noise,
             guint64      seed)
{
  double *m = g_new (double, (gsize) L * L);
  BsRng rng;

  bs_rng_init (&rng, seed);
  for (guint i = 0; i < L; i++)
    for (guint j = i; j < L; j++)
      {
        double v = background (i, j, data);

        for (guint b = 0; b < n_blocks; b++)
          if (i >= blocks[2 * b] && j <= blocks[2 * b + 1])
            v = inside;
        if (i == j)
          v = 1;
        else
          v += noise * (2 * bs_rng_uniform (&rng) - 1);
        m[(gsize) i * L + j] = m[(gsize) j * L + i] = v;
      }
  return m;
}

static double
decay (guint    i,
       guint    j,
       gpointer data)
{
  double length = *(double *) data;

  return exp (-fabs ((double) i - (double) j) / length);
}

/* A ResNet-like background: a decaying checkerboard, every third layer (a
 * "post-residual" one) more alike to the others. */
static double
checkerboard (guint    i,
              guint    j,
              gpointer data)
{
  double base = 0.25 + 0.35 * exp (-fabs ((double) i - (double) j) / 4.0);

  (void) data;
  if (i % 3 == 2 && j % 3 == 2)
    base += 0.15;
  return base;
}

static GArray *
find (const double *m,
      guint         L,
      const BsBlocksOptions *options)
{
  g_autoptr(GError) error = NULL;
  GArray *blocks = bs_blocks_find (m, L, L, options, &error);

  g_assert_no_error (error);
  g_assert_nonnull (blocks);
  return blocks;
}

static void
assert_blocks (GArray      *found,
               const guint *expected,
               guint        n_expected)
{
  g_assert_cmpuint (found->len, ==, n_expected);
  for (guint b = 0; b < n_expected; b++)
    {
      const BsBlock *block = &g_array_index (found, BsBlock, b);

      g_assert_cmpuint (block->first, ==, expected[2 * b]);
      g_assert_cmpuint (block->last, ==, expected[2 * b + 1]);
      g_assert_cmpuint (block->size, ==, expected[2 * b + 1] - expected[2 * b] + 1);
    }
}

static void
test_planted (void)
{
  /* Two blocks over a checkerboard, and one that ends at the last layer. */
  const guint planted[] = { 10, 24, 35, 50 };
  const guint at_end[] = { 3, 7, 40, 59 };

  for (guint64 seed = 1; seed <= 20; seed++)
    {
      g_autofree double *m = make_matrix (60, checkerboard, NULL, planted, 2, 0.88, 0.06, seed);
      g_autofree double *e = make_matrix (60, checkerboard, NULL, at_end, 2, 0.85, 0.06, seed + 100);
      g_autoptr(GArray) found = find (m, 60, NULL);
      g_autoptr(GArray) found_end = find (e, 60, NULL);

      assert_blocks (found, planted, 2);
      assert_blocks (found_end, at_end, 2);
      for (guint b = 0; b < 2; b++)
        {
          const BsBlock *block = &g_array_index (found, BsBlock, b);

          g_assert_cmpfloat (fabs (block->mean_inside - 0.88), <, 0.02);
          g_assert_cmpfloat (block->mean_rest, <, 0.45);
          g_assert_cmpfloat (block->contrast, >=, BS_BLOCKS_DEFAULT_MIN_CONTRAST);
          g_assert_cmpfloat (block->contrast, ==, block->mean_inside - block->edge);
        }
    }
}

static void
test_planted_on_decay (void)
{
  /* A block on top of a smooth decay (a network's diagonal band) is still exact. */
  const guint planted[] = { 30, 45 };
  double length = 3;

  for (guint64 seed = 1; seed <= 10; seed++)
    {
      g_autofree double *m = make_matrix (80, decay, &length, planted, 1, 0.9, 0.05, seed);
      g_autoptr(GArray) found = find (m, 80, NULL);

      assert_blocks (found, planted, 1);
    }
}

static void
test_no_blocks (void)
{
  /* Smooth decays with the distance, short and long, with and without noise:
   * ranges above the threshold exist, but nothing with an edge. */
  const double lengths[] = { 1, 2, 5, 10, 20, 50, 200, 1e9 };

  for (guint k = 0; k < G_N_ELEMENTS (lengths); k++)
    for (guint noisy = 0; noisy < 2; noisy++)
      {
        double length = lengths[k];
        g_autofree double *m = make_matrix (120, decay, &length, NULL, 0, 0, noisy ? 0.03 : 0, 7 + k);
        g_autoptr(GArray) found = find (m, 120, NULL);

        if (found->len > 0)
          g_test_message ("length %g: block %u-%u, contrast %g", length,
                          g_array_index (found, BsBlock, 0).first, g_array_index (found, BsBlock, 0).last,
                          g_array_index (found, BsBlock, 0).contrast);
        g_assert_cmpuint (found->len, ==, 0);
      }

  /* Every layer alike but the last (a shallow network, its logits apart):
   * no structure. */
  {
    const guint all_but_last[] = { 0, 38 };
    g_autofree double *m = make_matrix (40, checkerboard, NULL, all_but_last, 1, 0.9, 0.05, 3);
    g_autoptr(GArray) found = find (m, 40, NULL);

    g_assert_cmpuint (found->len, ==, 0);
  }

  /* A checkerboard with no planted block. */
  for (guint64 seed = 1; seed <= 10; seed++)
    {
      g_autofree double *m = make_matrix (90, checkerboard, NULL, NULL, 0, 0, 0.05, seed);
      g_autoptr(GArray) found = find (m, 90, NULL);

      g_assert_cmpuint (found->len, ==, 0);
    }
}

static void
set_nan_layer (double *m,
               guint   L,
               guint   layer)
{
  for (guint k = 0; k < L; k++)
    m[(gsize) layer * L + k] = m[(gsize) k * L + layer] = NAN;
}

static void
test_nan_rows (void)
{
  const guint planted[] = { 10, 24, 35, 50 };
  g_autofree double *m = make_matrix (60, checkerboard, NULL, planted, 2, 0.88, 0.05, 3);
  g_autofree double *all_nan = g_new (double, 16);
  g_autoptr(GArray) found = NULL;
  g_autoptr(GArray) none = NULL;

  /* A constant layer outside the blocks changes nothing, nor does one
   * inside the second block or at the first one's edge. */
  set_nan_layer (m, 60, 3);
  set_nan_layer (m, 60, 42);
  set_nan_layer (m, 60, 24);
  set_nan_layer (m, 60, 25);
  /* A single undefined cell inside the first block is not counted. */
  m[12 * 60 + 20] = NAN;
  found = find (m, 60, NULL);
  for (guint b = 0; b < found->len; b++)
    g_test_message ("block %u-%u inside %g edge %g", g_array_index (found, BsBlock, b).first,
                    g_array_index (found, BsBlock, b).last, g_array_index (found, BsBlock, b).mean_inside,
                    g_array_index (found, BsBlock, b).edge);
  {
    const guint expected[] = { 10, 23, 35, 50 };

    assert_blocks (found, expected, 2);
  }
  for (guint b = 0; b < found->len; b++)
    g_assert_true (isfinite (g_array_index (found, BsBlock, b).mean_inside));

  for (guint i = 0; i < 16; i++)
    all_nan[i] = NAN;
  none = find (all_nan, 4, NULL);
  g_assert_cmpuint (none->len, ==, 0);
}

static void
test_refused (void)
{
  double m[12] = { 0 };
  BsBlocksOptions options;
  GError *error = NULL;

  g_assert_null (bs_blocks_find (m, 3, 4, NULL, &error));
  g_assert_error (error, BS_ERROR, BS_ERROR_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (error->message, "3 × 4"));
  g_clear_error (&error);

  g_assert_null (bs_blocks_find (m, 0, 0, NULL, &error));
  g_assert_error (error, BS_ERROR, BS_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);

  bs_blocks_options_init (&options);
  options.min_size = 1;
  g_assert_null (bs_blocks_find (m, 3, 3, &options, &error));
  g_assert_error (error, BS_ERROR, BS_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);

  bs_blocks_options_init (&options);
  options.threshold = NAN;
  g_assert_null (bs_blocks_find (m, 3, 3, &options, &error));
  g_assert_error (error, BS_ERROR, BS_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
}

/* The reference: the score of a segmentation given by its cut mask (bit k:
 * a cut between layers k and k+1), from the definition, in long double. */
static long double
reference_score (const double *m,
                 guint         L,
                 guint         cuts,
                 double        t)
{
  long double score = 0;
  guint first = 0;

  for (guint k = 0; k < L; k++)
    if (k == L - 1 || (cuts & (1u << k)))
      {
        for (guint i = first; i <= k; i++)
          for (guint j = i + 1; j <= k; j++)
            score += 0.5L * ((long double) m[i * L + j] + m[j * L + i]) - t;
        first = k + 1;
      }
  return score;
}

static void
test_exact_optimum (void)
{
  const guint L = 12;
  guint compared = 0;

  for (guint64 seed = 1; seed <= 30; seed++)
    {
      double m[12 * 12];
      BsRng rng;
      BsBlocksOptions options = { .threshold = 0.5, .min_size = 2, .min_contrast = -10 };
      long double best = -INFINITY;
      guint best_cuts = 0;
      g_autoptr(GArray) found = NULL;
      guint b = 0, first = 0;

      /* Random, not symmetric, values in [0, 1): no structure to help. */
      bs_rng_init (&rng, seed);
      for (guint i = 0; i < L * L; i++)
        m[i] = bs_rng_uniform (&rng);
      for (guint i = 0; i < L; i++)
        m[i * L + i] = 1;

      for (guint cuts = 0; cuts < (1u << (L - 1)); cuts++)
        {
          long double score = reference_score (m, L, cuts, options.threshold);

          if (score > best + 1e-12L)
            {
              best = score;
              best_cuts = cuts;
            }
        }

      /* Every range of two or more layers of the optimum is a "block" with
       * these options; compare them and their statistics. */
      found = find (m, L, &options);
      for (guint k = 0; k < L; k++)
        if (k == L - 1 || (best_cuts & (1u << k)))
          {
            /* A range with fewer than min_size layers outside it is no block. */
            if (k > first && (L - (k - first + 1)) >= options.min_size)
              {
                const BsBlock *block;
                long double inside = 0, rest = 0, corner = 0;
                guint n_inside = 0, n_rest = 0, n_corner = 0, third = MAX ((k - first + 1) / 3, 1);

                for (guint i = first; i <= k; i++)
                  for (guint j = 0; j < L; j++)
                    {
                      long double p = 0.5L * ((long double) m[i * L + j] + m[j * L + i]);

                      if (j >= first && j <= k && j > i)
                        {
                          inside += p;
                          n_inside++;
                          if (i < first + third && j > k - third)
                            {
                              corner += p;
                              n_corner++;
                            }
                        }
                      else if (j < first || j > k)
                        {
                          rest += p;
                          n_rest++;
                        }
                    }
                /* A range whose ends are less alike than the threshold is no block. */
                if ((double) (corner / n_corner) < options.threshold)
                  {
                    for (guint q = 0; q < found->len; q++)
                      g_assert_cmpuint (g_array_index (found, BsBlock, q).first, !=, first);
                    first = k + 1;
                    continue;
                  }
                g_assert_cmpuint (b, <, found->len);
                block = &g_array_index (found, BsBlock, b++);
                compared++;
                g_assert_cmpuint (block->first, ==, first);
                g_assert_cmpuint (block->last, ==, k);
                g_assert_cmpfloat (fabs ((double) (inside / n_inside) - block->mean_inside), <, 1e-12);
                g_assert_cmpfloat (fabs ((double) (corner / n_corner) - block->corner), <, 1e-12);
                if (n_rest > 0)
                  g_assert_cmpfloat (fabs ((double) (rest / n_rest) - block->mean_rest), <, 1e-12);
                g_assert_cmpfloat (block->mean_inside, >=, options.threshold);
              }
            first = k + 1;
          }
      g_assert_cmpuint (b, ==, found->len);
    }
  /* The random matrices do have ranges worth joining. */
  g_assert_cmpuint (compared, >=, 20);
}

/* A result on disk with layers named "L0" .. "L59". */
static char *
write_result (const char *name,
              guint       n_rows,
              guint       n_cols,
              double     *values)
{
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  g_autofree BsLayerInfo *rows = g_new0 (BsLayerInfo, n_rows);
  g_autofree BsLayerInfo *cols = g_new0 (BsLayerInfo, n_cols);
  BsCkaSnapshotHeader header = {
    .rows = rows, .n_rows = n_rows, .cols = cols, .n_cols = n_cols, .model_a = "resnet56", .model_b = "resnet56",
    .batch_size = 256, .minibatches_total = 1,
  };
  g_autoptr(BsCkaSnapshot) snapshot = NULL;
  g_autoptr(GError) error = NULL;
  char *path = g_build_filename (tmp_dir, name, NULL);

  for (guint i = 0; i < MAX (n_rows, n_cols); i++)
    g_ptr_array_add (names, g_strdup_printf ("L%u", i));
  for (guint i = 0; i < n_rows; i++)
    rows[i] = (BsLayerInfo) { .name = g_ptr_array_index (names, i), .stage = -1, .block = -1 };
  for (guint i = 0; i < n_cols; i++)
    cols[i] = (BsLayerInfo) { .name = g_ptr_array_index (names, i), .stage = -1, .block = -1 };
  snapshot = bs_cka_snapshot_new (&header, 1, values, g_new0 (double, (gsize) n_rows * n_cols),
                                  g_new0 (guint8, n_rows), g_new0 (guint8, n_cols));
  g_assert_true (bs_cka_export (snapshot, NULL, path, &error));
  g_assert_no_error (error);
  return path;
}

static void
test_cli (void)
{
  const guint planted[] = { 10, 24, 35, 50 };
  g_autofree char *path = write_result ("planted.npy", 60, 60,
                                        make_matrix (60, checkerboard, NULL, planted, 2, 0.88, 0.05, 5));
  g_autofree char *wide = write_result ("wide.npy", 3, 4, g_new0 (double, 12));
  g_autofree char *json_path = g_build_filename (tmp_dir, "planted.json", NULL);
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  JsonObject *root, *block;
  JsonArray *blocks;
  BsTestRun r;

  /* Text: the layers' names from the JSON beside the matrix. */
  r = bs_test_run ("blocks", path, NULL);
  g_assert_cmpint (r.status, ==, 0);
  g_assert_nonnull (strstr (r.out, "L10 – L24"));
  g_assert_nonnull (strstr (r.out, "L35 – L50"));
  bs_test_run_clear (&r);

  r = bs_test_run ("blocks", path, "--json", "--threshold", "0.8", "--min-size", "4", NULL);
  g_assert_cmpint (r.status, ==, 0);
  json_parser_load_from_data (parser, r.out, -1, &error);
  g_assert_no_error (error);
  root = json_node_get_object (json_parser_get_root (parser));
  g_assert_cmpfloat (json_object_get_double_member (root, "threshold"), ==, 0.8);
  g_assert_cmpint (json_object_get_int_member (root, "min_size"), ==, 4);
  blocks = json_object_get_array_member (root, "blocks");
  g_assert_cmpuint (json_array_get_length (blocks), ==, 2);
  block = json_array_get_object_element (blocks, 1);
  g_assert_cmpint (json_object_get_int_member (block, "first"), ==, 35);
  g_assert_cmpint (json_object_get_int_member (block, "last"), ==, 50);
  g_assert_cmpint (json_object_get_int_member (block, "size"), ==, 16);
  g_assert_cmpstr (json_object_get_string_member (block, "last_name"), ==, "L50");
  g_assert_cmpfloat (json_object_get_double_member (block, "mean_inside"), >, 0.85);
  bs_test_run_clear (&r);

  /* A threshold above every block: none, and it says so. */
  r = bs_test_run ("blocks", path, "--threshold", "0.95", NULL);
  g_assert_cmpint (r.status, ==, 0);
  g_assert_nonnull (strstr (r.out, "No block"));
  bs_test_run_clear (&r);

  /* The export beside the matrix has the blocks of the defaults; a matrix
   * that is not square has none. */
  {
    g_autoptr(JsonParser) file = json_parser_new ();
    g_autofree char *wide_json = g_build_filename (tmp_dir, "wide.json", NULL);
    JsonObject *exported;

    json_parser_load_from_file (file, json_path, &error);
    g_assert_no_error (error);
    exported = json_object_get_object_member (json_node_get_object (json_parser_get_root (file)), "blocks");
    g_assert_nonnull (exported);
    g_assert_cmpfloat (json_object_get_double_member (exported, "threshold"), ==, BS_BLOCKS_DEFAULT_THRESHOLD);
    blocks = json_object_get_array_member (exported, "blocks");
    g_assert_cmpuint (json_array_get_length (blocks), ==, 2);
    g_assert_cmpint (json_object_get_int_member (json_array_get_object_element (blocks, 0), "first"), ==, 10);
    g_assert_cmpint (json_object_get_int_member (json_array_get_object_element (blocks, 0), "last"), ==, 24);

    json_parser_load_from_file (file, wide_json, &error);
    g_assert_no_error (error);
    g_assert_false (json_object_has_member (json_node_get_object (json_parser_get_root (file)), "blocks"));
  }

  /* The matrix alone (its JSON lost) still works, layers by number. */
  g_assert_cmpint (g_remove (json_path), ==, 0);
  r = bs_test_run ("blocks", path, NULL);
  g_assert_cmpint (r.status, ==, 0);
  g_assert_nonnull (strstr (r.out, "10 – 24"));
  g_assert_nonnull (strstr (r.err, "warning"));
  bs_test_run_clear (&r);

  /* A real shallow network (ResNet-8 at initialisation, on the synthetic
   * images): CKA high throughout, no block. */
  {
    g_autofree char *real = g_build_filename (tmp_dir, "resnet8.npy", NULL);
    g_autoptr(JsonParser) real_parser = json_parser_new ();

    r = bs_test_run ("cka", "--a", "resnet8", "--dataset", "synthetic", "--limit", "256", "--batch", "128",
                 "--passes", "1", "--out", real, "--quiet", NULL);
    g_assert_cmpint (r.status, ==, 0);
    bs_test_run_clear (&r);
    r = bs_test_run ("blocks", real, "--json", NULL);
    g_assert_cmpint (r.status, ==, 0);
    json_parser_load_from_data (real_parser, r.out, -1, &error);
    g_assert_no_error (error);
    root = json_node_get_object (json_parser_get_root (real_parser));
    g_assert_cmpint (json_object_get_int_member (root, "n_layers"), ==, 29);
    g_assert_cmpuint (json_array_get_length (json_object_get_array_member (root, "blocks")), ==, 0);
    bs_test_run_clear (&r);
  }

  /* Refused: not square, bad options, no input. */
  r = bs_test_run ("blocks", wide, NULL);
  g_assert_cmpint (r.status, ==, 1);
  g_assert_nonnull (strstr (r.err, "square"));
  bs_test_run_clear (&r);
  r = bs_test_run ("blocks", path, "--min-size", "1", NULL);
  g_assert_cmpint (r.status, ==, 2);
  bs_test_run_clear (&r);
  r = bs_test_run ("blocks", path, "--threshold", "high", NULL);
  g_assert_cmpint (r.status, ==, 2);
  bs_test_run_clear (&r);
  r = bs_test_run ("blocks", NULL);
  g_assert_cmpint (r.status, ==, 2);
  bs_test_run_clear (&r);
}

int
main (int    argc,
      char **argv)
{
  int status;

  g_test_init (&argc, &argv, NULL);
  tmp_dir = g_dir_make_tmp ("bs-test-blocks-XXXXXX", NULL);
  g_assert_nonnull (tmp_dir);

  g_test_add_func ("/blocks/planted", test_planted);
  g_test_add_func ("/blocks/planted-on-decay", test_planted_on_decay);
  g_test_add_func ("/blocks/no-blocks", test_no_blocks);
  g_test_add_func ("/blocks/nan-rows", test_nan_rows);
  g_test_add_func ("/blocks/refused", test_refused);
  g_test_add_func ("/blocks/exact-optimum", test_exact_optimum);
  g_test_add_func ("/blocks/cli", test_cli);

  status = g_test_run ();
  bs_test_remove_tree (tmp_dir);
  g_free (tmp_dir);
  return status;
}
