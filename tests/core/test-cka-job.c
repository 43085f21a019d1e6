/* test-cka-job.c: the whole CKA protocol through bs_cka_job_run: real models on
 * the synthetic data set, .npy activation folders, streaming, cancelling. */
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

#include "bs-batcher.h"
#include "bs-cka-job.h"
#include "bs-dataset.h"
#include "bs-dtype.h"
#include "bs-error.h"
#include "bs-npy.h"
#include "bs-rng.h"
#include "bs-sync.h"
#include "bs-test-util.h"

static BsDataset *synthetic;

/* ---- A slow reference: Eq. 3 on activations copied out of the taps, in double. */

static double
ref_hsic1 (const double *K,
           const double *L,
           guint         n)
{
  double tr = 0, sk = 0, sl = 0, kl = 0;

  for (guint i = 0; i < n; i++)
    for (guint j = 0; j < n; j++)
      if (i != j)
        {
          tr += K[i * n + j] * L[j * n + i];
          sk += K[i * n + j];
          sl += L[i * n + j];
        }
  for (guint j = 0; j < n; j++)
    {
      double col = 0, row = 0;

      for (guint i = 0; i < n; i++)
        if (i != j)
          {
            col += K[i * n + j];
            row += L[j * n + i];
          }
      kl += col * row;
    }
  return (tr + sk * sl / ((double) (n - 1) * (n - 2)) - 2.0 / (n - 2) * kl) / ((double) n * (n - 3));
}

typedef struct {
  guint    n;
  guint    n_layers;
  double **grams;   /* per tap: n x n Gram of this forward pass, in double from the floats */
} RefTaps;

static void
ref_tap (const BsLayerInfo *info,
         guint              tap_index,
         const float       *act,
         guint              batch,
         gpointer           user_data)
{
  RefTaps *rt = user_data;
  gsize spatial = (gsize) info->height * info->width;
  gsize p = bs_layer_info_n_features (info);
  double *g;

  g_assert_cmpuint (batch, ==, rt->n);
  g_assert_cmpuint (tap_index, <, rt->n_layers);
  g = rt->grams[tap_index] = g_new0 (double, rt->n * rt->n);
  /* Feature f = (c, s) of example i is act[(c * n + i) * spatial + s] (bs-model.h). */
  for (guint i = 0; i < rt->n; i++)
    for (guint j = 0; j <= i; j++)
      {
        double sum = 0;

        for (gsize f = 0; f < p; f++)
          {
            gsize c = f / spatial, s = f % spatial;

            sum += (double) act[(c * rt->n + i) * spatial + s] * act[(c * rt->n + j) * spatial + s];
          }
        g[i * rt->n + j] = g[j * rt->n + i] = sum;
      }
}

/* Reference CKA of layers `rows` of model a and `cols` of model b over the
 * minibatches the job's protocol uses (bs-cka-job.h: permutation per pass
 * from (seed, pass), consecutive minibatches, short last one dropped). */
static double *
reference_cka (BsModel    *a,
               BsModel    *b,
               GArray     *rows,
               GArray     *cols,
               guint       n,
               guint       limit,
               guint       passes,
               guint64     seed)
{
  g_autoptr(BsBatcher) batcher = bs_batcher_new (&synthetic->test, n);
  guint R = rows->len, C = cols->len;
  double *sxy = g_new0 (double, R * C), *sxx = g_new0 (double, R), *syy = g_new0 (double, C);
  g_autofree float *images = NULL;
  RefTaps ta = { n, bs_model_get_n_layers (a), NULL };
  RefTaps tb = { n, bs_model_get_n_layers (b), NULL };

  bs_batcher_set_shuffle (batcher, TRUE, seed);
  bs_batcher_set_limit (batcher, limit);
  bs_batcher_set_drop_last (batcher, TRUE);
  images = g_new (float, bs_batcher_get_batch_floats (batcher));
  ta.grams = g_new0 (double *, ta.n_layers);
  tb.grams = g_new0 (double *, tb.n_layers);

  for (guint pass = 0; pass < passes; pass++)
    for (guint i = 0; i < limit / n; i++)
      {
        g_assert_cmpuint (bs_batcher_get_batch (batcher, pass, i, images, NULL), ==, n);
        bs_model_forward (a, images, n, FALSE, ref_tap, &ta);
        bs_model_forward (b, images, n, FALSE, ref_tap, &tb);
        for (guint r = 0; r < R; r++)
          {
            double *K = ta.grams[g_array_index (rows, guint, r)];

            sxx[r] += ref_hsic1 (K, K, n);
            for (guint c = 0; c < C; c++)
              sxy[r * C + c] += ref_hsic1 (K, tb.grams[g_array_index (cols, guint, c)], n);
          }
        for (guint c = 0; c < C; c++)
          {
            double *L = tb.grams[g_array_index (cols, guint, c)];

            syy[c] += ref_hsic1 (L, L, n);
          }
        for (guint l = 0; l < ta.n_layers; l++)
          g_clear_pointer (&ta.grams[l], g_free);
        for (guint l = 0; l < tb.n_layers; l++)
          g_clear_pointer (&tb.grams[l], g_free);
      }

  for (guint r = 0; r < R; r++)
    for (guint c = 0; c < C; c++)
      sxy[r * C + c] /= sqrt (sxx[r] * syy[c]);
  g_free (sxx);
  g_free (syy);
  g_free (ta.grams);
  g_free (tb.grams);
  return sxy;
}

static BsModel *
new_model (const char *name,
           guint64     seed)
{
  g_autoptr(GError) error = NULL;
  BsModel *model = bs_model_new (name, 3, 32, 32, 10, &error);

  g_assert_no_error (error);
  bs_model_init_params (model, seed);
  return model;
}

/* ---- Streaming: a snapshot per minibatch, counts up by one, the last one is the result. */

typedef struct {
  GPtrArray    *snaps;
  GCancellable *cancel_after_snapshot;
  guint         cancel_at;
} Collect;

static void
collect (BsCkaSnapshot *snap,
         gpointer       user_data)
{
  Collect *c = user_data;

  g_ptr_array_add (c->snaps, bs_cka_snapshot_ref (snap));
  if (c->cancel_after_snapshot && c->snaps->len == c->cancel_at)
    g_cancellable_cancel (c->cancel_after_snapshot);
}

static void
test_job_resnet_vs_resnet (void)
{
  const guint n = 16, limit = 56, passes = 2;   /* 3 minibatches per pass, 8 images dropped */
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) snaps = g_ptr_array_new_with_free_func ((GDestroyNotify) bs_cka_snapshot_unref);
  g_autoptr(BsCkaSnapshot) result = NULL;
  g_autoptr(GArray) rows = NULL;
  g_autoptr(GArray) cols = NULL;
  g_autofree double *want = NULL;
  BsModel *a = new_model ("resnet8", 1);
  BsModel *b = new_model ("resnet14", 2);
  BsCkaJobOptions o;
  Collect c = { snaps, NULL, 0 };
  double worst = 0;

  bs_cka_job_options_init (&o);
  g_assert_cmpuint (o.batch_size, ==, 256);
  g_assert_cmpuint (o.passes, ==, 10);
  o.model_a = a;
  o.model_b = b;
  o.dataset = synthetic;
  o.limit = limit;
  o.batch_size = n;
  o.passes = passes;
  o.seed = 7;

  result = bs_cka_job_run (&o, collect, &c, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (result);

  rows = bs_cka_job_select_layers (a, BS_CKA_LAYERS_ALL, NULL, &error);
  cols = bs_cka_job_select_layers (b, BS_CKA_LAYERS_ALL, NULL, &error);
  g_assert_cmpuint (rows->len, ==, bs_model_get_n_layers (a));
  g_assert_cmpuint (bs_cka_snapshot_get_n_rows (result), ==, rows->len);
  g_assert_cmpuint (bs_cka_snapshot_get_n_cols (result), ==, cols->len);
  g_assert_cmpstr (bs_cka_snapshot_get_model_a (result), ==, "resnet8");
  g_assert_cmpstr (bs_cka_snapshot_get_model_b (result), ==, "resnet14");
  for (guint i = 0; i < rows->len; i++)
    g_assert_cmpstr (bs_cka_snapshot_get_row (result, i)->name, ==, bs_model_get_layer (a, i)->name);

  /* Streaming. */
  g_assert_cmpuint (snaps->len, ==, passes * (limit / n));
  for (guint i = 0; i < snaps->len; i++)
    {
      BsCkaSnapshot *s = g_ptr_array_index (snaps, i);

      g_assert_cmpuint (bs_cka_snapshot_get_minibatches_done (s), ==, i + 1);
      g_assert_cmpuint (bs_cka_snapshot_get_minibatches_total (s), ==, snaps->len);
      g_assert_cmpuint (bs_cka_snapshot_get_batch_size (s), ==, n);
      if (i > 0)
        g_assert_true (s != g_ptr_array_index (snaps, i - 1));
    }
  {
    BsCkaSnapshot *last = g_ptr_array_index (snaps, snaps->len - 1);
    gsize cells = (gsize) bs_cka_snapshot_get_n_rows (result) * bs_cka_snapshot_get_n_cols (result);

    /* Exactly the final result (NaN-aware comparison of the bits). */
    g_assert_cmpmem (bs_cka_snapshot_get_values (last), cells * sizeof (double), bs_cka_snapshot_get_values (result), cells * sizeof (double));
    g_assert_cmpmem (bs_cka_snapshot_get_std_errors (last), cells * sizeof (double), bs_cka_snapshot_get_std_errors (result), cells * sizeof (double));
  }
  /* An earlier snapshot is not the final one (the estimate moves). */
  g_assert_true (memcmp (bs_cka_snapshot_get_values (g_ptr_array_index (snaps, 2)), bs_cka_snapshot_get_values (result),
                         bs_cka_snapshot_get_n_rows (result) * bs_cka_snapshot_get_n_cols (result) * sizeof (double)) != 0);

  /* Against the slow reference, over the same minibatches. */
  want = reference_cka (a, b, rows, cols, n, limit, passes, 7);
  for (guint i = 0; i < bs_cka_snapshot_get_n_rows (result) * bs_cka_snapshot_get_n_cols (result); i++)
    {
      if (isnan (want[i]))
        {
          g_assert_true (isnan (bs_cka_snapshot_get_values (result)[i]));
          continue;
        }
      g_assert_false (isnan (bs_cka_snapshot_get_values (result)[i]));
      worst = MAX (worst, fabs (bs_cka_snapshot_get_values (result)[i] - want[i]));
      g_assert_false (isnan (bs_cka_snapshot_get_std_errors (result)[i]));
      g_assert_cmpfloat (bs_cka_snapshot_get_std_errors (result)[i], >=, 0);
    }
  g_test_message ("largest difference from the reference: %g", worst);
  g_assert_cmpfloat (worst, <, 1e-4);

  bs_model_free (a);
  bs_model_free (b);
}

/* A model against itself runs once: exactly symmetric, exactly 1 on the diagonal. */
static void
test_job_self (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BsCkaSnapshot) by_spec = NULL;
  g_autoptr(BsCkaSnapshot) other_seed = NULL;
  BsCkaJobOptions o;
  guint L;

  bs_cka_job_options_init (&o);
  o.spec_a = "resnet8";
  o.spec_b = "resnet8";
  o.init_seed_a = o.init_seed_b = 3;
  o.dataset = synthetic;
  o.limit = 48;
  o.batch_size = 16;
  o.passes = 1;
  by_spec = bs_cka_job_run (&o, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  L = bs_cka_snapshot_get_n_rows (by_spec);
  g_assert_cmpuint (bs_cka_snapshot_get_n_cols (by_spec), ==, L);
  for (guint r = 0; r < L; r++)
    {
      if (bs_cka_snapshot_get_row_status (by_spec, r) != BS_CKA_LAYER_OK)
        continue;
      g_assert_cmpfloat (bs_cka_snapshot_get_value (by_spec, r, r), ==, 1.0);
      for (guint c = 0; c < L; c++)
        if (!isnan (bs_cka_snapshot_get_value (by_spec, r, c)))
          g_assert_cmpfloat (bs_cka_snapshot_get_value (by_spec, r, c), ==, bs_cka_snapshot_get_value (by_spec, c, r));
    }

  /* The same name with another initialisation is another network. */
  o.init_seed_b = 4;
  other_seed = bs_cka_job_run (&o, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpfloat (fabs (bs_cka_snapshot_get_value (other_seed, L - 1, L - 1) - 1.0), >, 1e-6);
}

static void
test_job_layer_selection (void)
{
  g_autoptr(GError) error = NULL;
  BsModel *m = new_model ("resnet14", 1);
  g_autoptr(GArray) all = bs_cka_job_describe_layers (m, BS_CKA_LAYERS_ALL, NULL, &error);
  g_autoptr(GArray) res = bs_cka_job_describe_layers (m, BS_CKA_LAYERS_RESIDUAL, NULL, &error);
  g_autoptr(GArray) pat = bs_cka_job_describe_layers (m, BS_CKA_LAYERS_PATTERN, "^layer2\\..*relu", &error);
  g_autoptr(GArray) none = NULL;
  g_autoptr(BsCkaSnapshot) snap = NULL;
  BsCkaJobOptions o;
  BsThreadPool *pool;

  g_assert_no_error (error);
  g_assert_cmpuint (all->len, ==, bs_model_get_n_layers (m));
  g_assert_cmpuint (res->len, ==, 6);   /* resnet14: 3 stages of 2 blocks */
  for (guint i = 0; i < res->len; i++)
    g_assert_true (g_array_index (res, BsLayerInfo, i).block_output);
  g_assert_cmpuint (pat->len, >, 0);
  for (guint i = 0; i < pat->len; i++)
    {
      const char *name = g_array_index (pat, BsLayerInfo, i).name;

      g_assert_true (g_str_has_prefix (name, "layer2."));
      g_assert_nonnull (strstr (name, "relu"));
    }

  none = bs_cka_job_describe_layers (m, BS_CKA_LAYERS_PATTERN, "^no-such-layer$", &error);
  g_assert_null (none);
  g_assert_error (error, BS_ERROR, BS_ERROR_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (error->message, "no-such-layer"));
  g_clear_error (&error);
  none = bs_cka_job_describe_layers (m, BS_CKA_LAYERS_PATTERN, "([unclosed", &error);
  g_assert_null (none);
  g_assert_error (error, BS_ERROR, BS_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);

  g_assert_cmpint (bs_cka_layer_selection_parse ("all"), ==, BS_CKA_LAYERS_ALL);
  g_assert_cmpint (bs_cka_layer_selection_parse ("residual"), ==, BS_CKA_LAYERS_RESIDUAL);
  g_assert_cmpint (bs_cka_layer_selection_parse ("relu$"), ==, BS_CKA_LAYERS_PATTERN);

  /* Through a job: rows and columns are the selected layers. */
  bs_cka_job_options_init (&o);
  o.model_a = m;
  o.dataset = synthetic;
  o.limit = 32;
  o.batch_size = 16;
  o.passes = 1;
  o.layers = BS_CKA_LAYERS_RESIDUAL;
  o.biased = TRUE;
  o.threads = 2;
  /* The job runs a borrowed model on its own threads and gives its pool back. */
  bs_model_set_threads (m, 3);
  pool = bs_model_get_pool (m);
  snap = bs_cka_job_run (&o, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (bs_model_get_pool (m) == pool);
  g_assert_cmpuint (bs_model_get_threads (m), ==, 3);
  g_assert_cmpuint (bs_cka_snapshot_get_n_rows (snap), ==, 6);
  g_assert_true (bs_cka_snapshot_get_biased (snap));
  for (guint i = 0; i < 6; i++)
    {
      g_assert_cmpstr (bs_cka_snapshot_get_row (snap, i)->name, ==, g_array_index (res, BsLayerInfo, i).name);
      g_assert_cmpfloat (fabs (bs_cka_snapshot_get_value (snap, i, i) - 1.0), <, 1e-12);
    }

  bs_model_free (m);
}

static void
test_job_errors (void)
{
  g_autoptr(GError) error = NULL;
  BsModel *mnist_shaped = NULL;
  BsCkaSnapshot *snap;
  BsCkaJobOptions o;

  bs_cka_job_options_init (&o);
  o.spec_a = "resnet8";
  o.dataset = synthetic;
  o.limit = 32;
  o.passes = 1;

  /* n < 4 with the unbiased estimator. */
  o.batch_size = 3;
  snap = bs_cka_job_run (&o, NULL, NULL, NULL, &error);
  g_assert_null (snap);
  g_assert_error (error, BS_ERROR, BS_ERROR_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (error->message, "at least 4"));
  g_clear_error (&error);

  /* Fewer images than one minibatch. */
  o.batch_size = 64;
  snap = bs_cka_job_run (&o, NULL, NULL, NULL, &error);
  g_assert_null (snap);
  g_assert_error (error, BS_ERROR, BS_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);

  /* An unknown model name. */
  o.batch_size = 16;
  o.spec_a = "resnet9";
  snap = bs_cka_job_run (&o, NULL, NULL, NULL, &error);
  g_assert_null (snap);
  g_assert_nonnull (error);
  g_assert_nonnull (strstr (error->message, "resnet9"));
  g_clear_error (&error);

  /* Models fed different data: a model built for 1x28x28 images on 3x32x32 data. */
  mnist_shaped = bs_model_new ("resnet8", 1, 28, 28, 10, &error);
  g_assert_no_error (error);
  bs_model_init_params (mnist_shaped, 1);
  o.spec_a = "resnet8";
  o.model_b = mnist_shaped;
  snap = bs_cka_job_run (&o, NULL, NULL, NULL, &error);
  g_assert_null (snap);
  g_assert_error (error, BS_ERROR, BS_ERROR_MISMATCH);
  g_clear_error (&error);
  bs_model_free (mnist_shaped);
}

/* Batch-norm Grams derived from the convolution before them (bs_gram_from_cnhw_affine)
 * agree with Grams formed directly. */
static void
test_job_derived_grams (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BsCkaSnapshot) derived = NULL;
  g_autoptr(BsCkaSnapshot) direct = NULL;
  BsEngineConfig direct_grams;
  BsCkaJobOptions o;
  gsize cells;
  double worst = 0;

  bs_cka_job_options_init (&o);
  o.spec_a = "resnet8";
  o.spec_b = "resnet14";
  o.dataset = synthetic;
  o.limit = 32;
  o.batch_size = 16;
  o.passes = 2;
  derived = bs_cka_job_run (&o, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  direct_grams = *bs_engine_config_get_default ();
  direct_grams.cka_direct_grams = TRUE;
  o.engine = &direct_grams;
  direct = bs_cka_job_run (&o, NULL, NULL, NULL, &error);
  g_assert_no_error (error);

  cells = (gsize) bs_cka_snapshot_get_n_rows (derived) * bs_cka_snapshot_get_n_cols (derived);
  for (gsize i = 0; i < cells; i++)
    if (!isnan (bs_cka_snapshot_get_values (direct)[i]))
      worst = MAX (worst, fabs (bs_cka_snapshot_get_values (derived)[i] - bs_cka_snapshot_get_values (direct)[i]));
  g_test_message ("largest difference derived - direct: %g", worst);
  g_assert_cmpfloat (worst, <, 1e-5);
  /* Not the same bits: the derived path was taken. */
  g_assert_true (memcmp (bs_cka_snapshot_get_values (derived), bs_cka_snapshot_get_values (direct), cells * sizeof (double)) != 0);
}

/* A layer that is constant over the examples gives NaN cells with a reason,
 * end to end: zero the weights of one convolution. */
static void
test_job_constant_layer (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BsCkaSnapshot) snap = NULL;
  BsModel *m = new_model ("resnet8", 5);
  BsParam *w = bs_model_find_param (m, "layer1.0.conv1.weight");
  BsCkaJobOptions o;
  guint nan_rows = 0;

  g_assert_nonnull (w);
  memset (w->data, 0, w->n_elements * sizeof (float));

  bs_cka_job_options_init (&o);
  o.model_a = m;
  o.dataset = synthetic;
  o.limit = 32;
  o.batch_size = 16;
  o.passes = 1;
  snap = bs_cka_job_run (&o, NULL, NULL, NULL, &error);
  g_assert_no_error (error);

  for (guint r = 0; r < bs_cka_snapshot_get_n_rows (snap); r++)
    {
      const char *name = bs_cka_snapshot_get_row (snap, r)->name;
      gboolean dead = g_str_equal (name, "layer1.0.conv1") || g_str_equal (name, "layer1.0.bn1") ||
                      g_str_equal (name, "layer1.0.relu1") || g_str_equal (name, "layer1.0.conv2") ||
                      g_str_equal (name, "layer1.0.bn2");

      g_assert_cmpint (bs_cka_snapshot_get_row_status (snap, r), ==, dead ? BS_CKA_LAYER_CONSTANT : BS_CKA_LAYER_OK);
      g_assert_cmpint (bs_cka_snapshot_get_col_status (snap, r), ==, bs_cka_snapshot_get_row_status (snap, r));
      for (guint c = 0; c < bs_cka_snapshot_get_n_cols (snap); c++)
        {
          gboolean nan = isnan (bs_cka_snapshot_get_value (snap, r, c));
          const char *reason = bs_cka_snapshot_cell_reason (snap, r, c);

          g_assert_cmpint (nan, ==, dead || bs_cka_snapshot_get_row_status (snap, c) != BS_CKA_LAYER_OK);
          g_assert_cmpint (reason != NULL, ==, nan);
          if (nan)
            g_assert_nonnull (strstr (reason, "constant"));
        }
      nan_rows += dead;
    }
  g_assert_cmpuint (nan_rows, ==, 5);
  bs_model_free (m);
}

/* Cancelling: from the callback after two minibatches, before the start, and
 * from another thread while the job runs (checked between layers). */
typedef struct {
  Collect       collect;
  GMutex        lock;
  GCond         cond;
  gboolean      first_done;
} Started;

static void
collect_and_signal (BsCkaSnapshot *snap,
                    gpointer       user_data)
{
  Started *started = user_data;

  collect (snap, &started->collect);
  bs_mutex_lock (&started->lock);
  started->first_done = TRUE;
  g_cond_signal (&started->cond);
  bs_mutex_unlock (&started->lock);
}

/* Cancels as soon as the job has published its first snapshot: the job is
 * then in the middle of the next minibatch's forward passes. */
static gpointer
cancel_once_started (gpointer data)
{
  Started *started = data;

  bs_mutex_lock (&started->lock);
  while (!started->first_done)
    bs_cond_wait (&started->cond, &started->lock);
  bs_mutex_unlock (&started->lock);
  g_cancellable_cancel (started->collect.cancel_after_snapshot);
  return NULL;
}

static void
test_job_cancel (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GPtrArray) snaps = g_ptr_array_new_with_free_func ((GDestroyNotify) bs_cka_snapshot_unref);
  Collect c = { snaps, cancellable, 2 };
  Started started = { { 0 } };
  BsCkaSnapshot *snap;
  BsCkaJobOptions o;
  GThread *thread;

  bs_cka_job_options_init (&o);
  o.spec_a = "resnet8";
  o.spec_b = "resnet14";
  o.dataset = synthetic;
  o.limit = 64;
  o.batch_size = 16;
  o.passes = 3;

  snap = bs_cka_job_run (&o, collect, &c, cancellable, &error);
  g_assert_null (snap);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpuint (snaps->len, ==, 2);
  g_clear_error (&error);

  /* Already cancelled: nothing happens. */
  g_ptr_array_set_size (snaps, 0);
  c.cancel_after_snapshot = NULL;
  snap = bs_cka_job_run (&o, collect, &c, cancellable, &error);
  g_assert_null (snap);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpuint (snaps->len, ==, 0);
  g_clear_error (&error);

  /* From another thread, while it runs. */
  g_cancellable_reset (cancellable);
  g_ptr_array_set_size (snaps, 0);
  o.passes = 50;
  started.collect = (Collect) { snaps, cancellable, 0 };
  g_mutex_init (&started.lock);
  g_cond_init (&started.cond);
  thread = g_thread_new ("cancel", cancel_once_started, &started);
  snap = bs_cka_job_run (&o, collect_and_signal, &started, cancellable, &error);
  g_thread_join (thread);
  g_mutex_clear (&started.lock);
  g_cond_clear (&started.cond);
  g_assert_null (snap);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpuint (snaps->len, >=, 1);
  g_assert_cmpuint (snaps->len, <, 50 * 4);
}

/* ---- .npy activation folders. */

static char *
make_tmp_dir (void)
{
  g_autoptr(GError) error = NULL;
  char *dir = g_dir_make_tmp ("bs-cka-job-XXXXXX", &error);

  g_assert_no_error (error);
  return dir;
}

/* Writes a layer of m examples: x = latent-driven features; f64 or f32. */
static double *
write_layer (const char *dir,
             const char *name,
             guint       m,
             guint       p,
             guint       layer_seed,
             gboolean    f64)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = g_build_filename (dir, name, NULL);
  double *x = g_new (double, m * p);
  gint64 shape[3] = { m, p / 2, 2 };   /* further axes are flattened */
  BsRng rng, w;

  bs_rng_init (&w, 1000 + layer_seed);
  for (guint i = 0; i < m; i++)
    {
      double z[3];

      bs_rng_init_stream (&rng, 5, i);   /* example i's latent, shared by every layer */
      for (guint t = 0; t < 3; t++)
        z[t] = bs_rng_normal (&rng);
      for (guint f = 0; f < p; f++)
        x[i * p + f] = z[f % 3] * (1 + layer_seed * (f % 2)) + 0.5 * bs_rng_normal (&w);
    }
  if (f64)
    g_assert_true (bs_npy_save (path, BS_DTYPE_F64, 3, shape, x, &error));
  else
    {
      g_autofree float *xf = g_new (float, m * p);

      for (guint i = 0; i < m * p; i++)
        xf[i] = (float) (x[i] = (float) x[i]);   /* the reference sees the rounded values */
      g_assert_true (bs_npy_save (path, BS_DTYPE_F32, 3, shape, xf, &error));
    }
  g_assert_no_error (error);
  return x;
}

static void
test_job_acts (void)
{
  const guint m = 50, n = 16, p[3] = { 6, 10, 4 };   /* 3 minibatches, 2 examples dropped */
  g_autofree char *da = make_tmp_dir ();
  g_autofree char *db = make_tmp_dir ();
  g_autoptr(GError) error = NULL;
  g_autoptr(BsCkaSnapshot) snap = NULL;
  g_autoptr(BsCkaSnapshot) self = NULL;
  double *xa[2], *xb[3];
  const char *names_a[2] = { "b_second.npy", "a_first.npy" };
  const char *names_b[3] = { "l0.npy", "l1.npy", "l2.npy" };
  BsCkaJobOptions o;

  /* Layers are in file-name order: a_first (p = 10) is row 0. */
  xa[0] = write_layer (da, names_a[0], m, p[0], 1, TRUE);
  xa[1] = write_layer (da, names_a[1], m, p[1], 2, FALSE);
  for (guint i = 0; i < 3; i++)
    xb[i] = write_layer (db, names_b[i], m, p[i], 3 + i, i != 1);

  bs_cka_job_options_init (&o);
  o.acts_dir_a = da;
  o.acts_dir_b = db;
  o.batch_size = n;
  snap = bs_cka_job_run (&o, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (bs_cka_snapshot_get_n_rows (snap), ==, 2);
  g_assert_cmpuint (bs_cka_snapshot_get_n_cols (snap), ==, 3);
  g_assert_cmpstr (bs_cka_snapshot_get_row (snap, 0)->name, ==, "a_first");
  g_assert_cmpstr (bs_cka_snapshot_get_row (snap, 1)->name, ==, "b_second");
  g_assert_cmpuint (bs_cka_snapshot_get_row (snap, 0)->channels, ==, 10);   /* flattened features */
  g_assert_cmpuint (bs_cka_snapshot_get_minibatches_done (snap), ==, m / n);

  /* Reference: consecutive minibatches in file order, the short last dropped. */
  for (guint r = 0; r < 2; r++)
    for (guint c = 0; c < 3; c++)
      {
        const double *x = xa[1 - r];
        guint px = p[1 - r];
        double sxy = 0, sxx = 0, syy = 0;

        for (guint mb = 0; mb < m / n; mb++)
          {
            g_autofree double *K = g_new0 (double, n * n);
            g_autofree double *L = g_new0 (double, n * n);

            for (guint i = 0; i < n; i++)
              for (guint j = 0; j < n; j++)
                {
                  for (guint f = 0; f < px; f++)
                    K[i * n + j] += x[(mb * n + i) * px + f] * x[(mb * n + j) * px + f];
                  for (guint f = 0; f < p[c]; f++)
                    L[i * n + j] += xb[c][(mb * n + i) * p[c] + f] * xb[c][(mb * n + j) * p[c] + f];
                }
            sxy += ref_hsic1 (K, L, n);
            sxx += ref_hsic1 (K, K, n);
            syy += ref_hsic1 (L, L, n);
          }
        g_assert_cmpfloat (fabs (bs_cka_snapshot_get_value (snap, r, c) - sxy / sqrt (sxx * syy)), <, 1e-5);
      }

  /* A folder against itself (B defaults to A): symmetric mode, exact unit diagonal. */
  o.acts_dir_b = NULL;
  self = bs_cka_job_run (&o, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpfloat (bs_cka_snapshot_get_value (self, 0, 0), ==, 1.0);
  g_assert_cmpfloat (bs_cka_snapshot_get_value (self, 1, 1), ==, 1.0);
  g_assert_cmpfloat (bs_cka_snapshot_get_value (self, 0, 1), ==, bs_cka_snapshot_get_value (self, 1, 0));

  for (guint i = 0; i < 2; i++)
    g_free (xa[i]);
  for (guint i = 0; i < 3; i++)
    g_free (xb[i]);
  bs_test_remove_tree (da);
  bs_test_remove_tree (db);
}

static void
test_job_acts_errors (void)
{
  g_autofree char *da = make_tmp_dir ();
  g_autofree char *db = make_tmp_dir ();
  g_autofree char *empty = make_tmp_dir ();
  g_autofree char *broken = NULL;
  g_autoptr(GError) error = NULL;
  BsCkaSnapshot *snap;
  BsCkaJobOptions o;

  g_free (write_layer (da, "x.npy", 40, 4, 1, TRUE));
  g_free (write_layer (db, "y.npy", 40, 4, 2, TRUE));
  g_free (write_layer (db, "z.npy", 39, 4, 3, FALSE));

  bs_cka_job_options_init (&o);
  o.acts_dir_a = da;
  o.acts_dir_b = db;
  o.batch_size = 8;

  /* Disagreeing example counts: the error names the file. */
  snap = bs_cka_job_run (&o, NULL, NULL, NULL, &error);
  g_assert_null (snap);
  g_assert_error (error, BS_ERROR, BS_ERROR_MISMATCH);
  g_assert_nonnull (strstr (error->message, "z.npy"));
  g_assert_nonnull (strstr (error->message, "39"));
  g_clear_error (&error);

  /* A broken .npy: the error names it. */
  broken = g_build_filename (db, "z.npy", NULL);
  g_assert_true (g_file_set_contents (broken, "\x93NUMPY\x01\x00garbage", 15, NULL));
  snap = bs_cka_job_run (&o, NULL, NULL, NULL, &error);
  g_assert_null (snap);
  g_assert_error (error, BS_ERROR, BS_ERROR_FORMAT);
  g_assert_nonnull (strstr (error->message, "z.npy"));
  g_clear_error (&error);

  /* No .npy files; a folder that does not exist. */
  o.acts_dir_b = empty;
  snap = bs_cka_job_run (&o, NULL, NULL, NULL, &error);
  g_assert_null (snap);
  g_assert_error (error, BS_ERROR, BS_ERROR_NOT_FOUND);
  g_clear_error (&error);
  o.acts_dir_b = "/nonexistent/folder";
  snap = bs_cka_job_run (&o, NULL, NULL, NULL, &error);
  g_assert_null (snap);
  g_assert_error (error, BS_ERROR, BS_ERROR_NOT_FOUND);
  g_clear_error (&error);

  /* Fewer examples than a minibatch. */
  o.acts_dir_b = NULL;
  o.batch_size = 64;
  snap = bs_cka_job_run (&o, NULL, NULL, NULL, &error);
  g_assert_null (snap);
  g_assert_error (error, BS_ERROR, BS_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);

  bs_test_remove_tree (da);
  bs_test_remove_tree (db);
  bs_test_remove_tree (empty);
}

int
main (int    argc,
      char **argv)
{
  g_autoptr(GError) error = NULL;
  int status;

  g_test_init (&argc, &argv, NULL);
  synthetic = bs_dataset_load ("synthetic", NULL, &error);
  g_assert_no_error (error);

  g_test_add_func ("/cka-job/resnet8-vs-resnet14", test_job_resnet_vs_resnet);
  g_test_add_func ("/cka-job/self", test_job_self);
  g_test_add_func ("/cka-job/layer-selection", test_job_layer_selection);
  g_test_add_func ("/cka-job/errors", test_job_errors);
  g_test_add_func ("/cka-job/derived-grams", test_job_derived_grams);
  g_test_add_func ("/cka-job/constant-layer", test_job_constant_layer);
  g_test_add_func ("/cka-job/cancel", test_job_cancel);
  g_test_add_func ("/cka-job/acts", test_job_acts);
  g_test_add_func ("/cka-job/acts-errors", test_job_acts_errors);

  status = g_test_run ();
  bs_dataset_unref (synthetic);
  return status;
}
