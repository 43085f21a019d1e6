/* test-concurrency.c: jobs in one process do not disturb each other.
 *
 * A training run and a CKA job started together on two threads, each on its
 * own pool with its own engine configuration, give bit-identical results to
 * the same runs alone; the BLAS guard is released when both are done; a CKA
 * job on a bs_model_copy() of a model that trains meanwhile sees the weights
 * of the moment of the copy. */
#include <string.h>

#include "bs-blas.h"
#include "bs-cka-job.h"
#include "bs-dataset.h"
#include "bs-error.h"
#include "bs-model.h"
#include "bs-sync.h"
#include "bs-trainer.h"

extern int openblas_get_num_threads (void);

static BsDataset *synthetic;

typedef struct {
  /* Set up before the run */
  BsEngineConfig  engine;
  const char     *model_name;
  /* The result */
  float          *params;      /* every parameter and buffer, in order */
  gsize           n_params;
} TrainRun;

typedef struct {
  BsEngineConfig  engine;
  BsModel        *model_a;     /* borrowed; NULL: by name */
  BsCkaSnapshot  *result;
} CkaRun;

/* Start line: both threads wait here so that their work overlaps. */
typedef struct {
  GMutex   lock;
  GCond    cond;
  guint    waiting;
  guint    parties;
} Barrier;

static void
barrier_wait (Barrier *barrier)
{
  if (barrier == NULL)
    return;
  bs_mutex_lock (&barrier->lock);
  if (++barrier->waiting == barrier->parties)
    g_cond_broadcast (&barrier->cond);
  while (barrier->waiting < barrier->parties)
    bs_cond_wait (&barrier->cond, &barrier->lock);
  bs_mutex_unlock (&barrier->lock);
}

static BsModel *
new_model (const char *name,
           guint64     seed)
{
  g_autoptr(GError) error = NULL;
  BsModel *model = bs_model_new (name, synthetic->train.channels, synthetic->train.height,
                                 synthetic->train.width, synthetic->n_classes, &error);

  g_assert_no_error (error);
  bs_model_init_params (model, seed);
  return model;
}

static float *
copy_params (BsModel *model,
             gsize   *n_out)
{
  gsize n = 0, at = 0;
  float *all;

  for (guint i = 0; i < bs_model_get_n_params (model); i++)
    n += bs_model_get_param (model, i)->n_elements;
  all = g_new (float, n);
  for (guint i = 0; i < bs_model_get_n_params (model); i++)
    {
      BsParam *p = bs_model_get_param (model, i);

      memcpy (all + at, p->data, p->n_elements * sizeof (float));
      at += p->n_elements;
    }
  *n_out = n;
  return all;
}

static void
train (TrainRun *run,
       BsModel  *model,
       Barrier  *start)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BsTrainer) trainer = NULL;
  BsTrainRecipe recipe;

  bs_train_recipe_init (&recipe);
  recipe.epochs = 1;
  recipe.batch_size = 16;
  recipe.limit = 96;
  recipe.test_limit = 16;
  recipe.seed = 3;
  recipe.augment = FALSE;
  trainer = bs_trainer_new (model, synthetic, &recipe, &run->engine, &error);
  g_assert_no_error (error);

  barrier_wait (start);
  g_assert_true (bs_trainer_run (trainer, NULL, &error));
  g_assert_no_error (error);
  run->params = copy_params (model, &run->n_params);
}

static void
cka (CkaRun  *run,
     Barrier *start)
{
  g_autoptr(GError) error = NULL;
  BsCkaJobOptions o;

  bs_cka_job_options_init (&o);
  o.model_a = run->model_a;
  o.spec_a = run->model_a ? NULL : "resnet8";
  o.spec_b = run->model_a ? NULL : "resnet8";
  o.init_seed_a = 1;
  o.init_seed_b = 2;
  o.dataset = synthetic;
  o.limit = 64;
  o.batch_size = 16;
  o.passes = 2;
  o.engine = &run->engine;

  barrier_wait (start);
  run->result = bs_cka_job_run (&o, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
}

typedef struct {
  TrainRun *run;
  BsModel  *model;
  Barrier  *start;
} TrainThread;

static gpointer
train_thread (gpointer data)
{
  TrainThread *t = data;

  train (t->run, t->model, t->start);
  return NULL;
}

static void
assert_same_snapshot (BsCkaSnapshot *a,
                      BsCkaSnapshot *b)
{
  gsize cells = (gsize) bs_cka_snapshot_get_n_rows (a) * bs_cka_snapshot_get_n_cols (a);

  g_assert_cmpuint (bs_cka_snapshot_get_n_rows (a), ==, bs_cka_snapshot_get_n_rows (b));
  g_assert_cmpuint (bs_cka_snapshot_get_n_cols (a), ==, bs_cka_snapshot_get_n_cols (b));
  g_assert_cmpmem (bs_cka_snapshot_get_values (a), cells * sizeof (double),
                   bs_cka_snapshot_get_values (b), cells * sizeof (double));
  g_assert_cmpmem (bs_cka_snapshot_get_std_errors (a), cells * sizeof (double),
                   bs_cka_snapshot_get_std_errors (b), cells * sizeof (double));
}

/* Each job with an engine configuration of its own: training on the
 * portable convolution kernels, CKA on the portable Gram kernel with one
 * thread fewer. Neither may see the other's choices. */
static void
check_train_and_cka (gboolean portable_conv_for_training)
{
  TrainRun train_alone = { 0 }, train_together = { 0 };
  CkaRun cka_alone = { 0 }, cka_together = { 0 };
  Barrier start = { .parties = 2 };
  int blas_threads = openblas_get_num_threads ();
  g_autoptr(BsModel) m1 = new_model ("resnet8", 11);
  g_autoptr(BsModel) m2 = new_model ("resnet8", 11);
  TrainThread t = { &train_together, m2, &start };
  GThread *thread;

  bs_engine_config_init (&train_alone.engine);
  train_alone.engine.threads = 2;
  train_alone.engine.portable_conv = portable_conv_for_training;
  train_together.engine = train_alone.engine;
  bs_engine_config_init (&cka_alone.engine);
  cka_alone.engine.threads = 1;
  cka_alone.engine.portable_gram = TRUE;
  cka_together.engine = cka_alone.engine;

  train (&train_alone, m1, NULL);
  cka (&cka_alone, NULL);
  g_assert_cmpuint (bs_blas_guard_depth (), ==, 0);
  g_assert_cmpint (openblas_get_num_threads (), ==, blas_threads);

  g_mutex_init (&start.lock);
  g_cond_init (&start.cond);
  thread = g_thread_new ("train", train_thread, &t);
  cka (&cka_together, &start);
  g_thread_join (thread);
  g_mutex_clear (&start.lock);
  g_cond_clear (&start.cond);

  g_assert_cmpuint (train_alone.n_params, ==, train_together.n_params);
  g_assert_cmpmem (train_alone.params, train_alone.n_params * sizeof (float),
                   train_together.params, train_together.n_params * sizeof (float));
  assert_same_snapshot (cka_alone.result, cka_together.result);
  /* Both left the guard: OpenBLAS has its own thread count back. */
  g_assert_cmpuint (bs_blas_guard_depth (), ==, 0);
  g_assert_cmpint (openblas_get_num_threads (), ==, blas_threads);

  g_free (train_alone.params);
  g_free (train_together.params);
  bs_cka_snapshot_unref (cka_alone.result);
  bs_cka_snapshot_unref (cka_together.result);
}

static void
test_train_and_cka (void)
{
  check_train_and_cka (FALSE);
}

static void
test_train_and_cka_other_kernels (void)
{
  check_train_and_cka (TRUE);
}

/* CKA on a frozen copy while the original trains: the copy's numbers are
 * those of the weights when it was made. */
static void
test_cka_on_copy_while_training (void)
{
  g_autoptr(BsModel) model = new_model ("resnet8", 21);
  g_autoptr(BsModel) copy = bs_model_copy (model);
  g_autoptr(BsModel) reference = new_model ("resnet8", 21);
  TrainRun run = { 0 };
  CkaRun on_copy = { 0 }, on_reference = { 0 };
  Barrier start = { .parties = 2 };
  TrainThread t = { &run, model, &start };
  g_autoptr(GError) error = NULL;
  GThread *thread;

  /* The copy is the same network: same layers, same parameters. */
  g_assert_cmpuint (bs_model_get_n_layers (copy), ==, bs_model_get_n_layers (model));
  g_assert_cmpuint (bs_model_get_n_params (copy), ==, bs_model_get_n_params (model));
  for (guint i = 0; i < bs_model_get_n_layers (model); i++)
    g_assert_cmpstr (bs_model_get_layer (copy, i)->name, ==, bs_model_get_layer (model, i)->name);
  for (guint i = 0; i < bs_model_get_n_params (model); i++)
    {
      BsParam *a = bs_model_get_param (model, i), *b = bs_model_get_param (copy, i);

      g_assert_cmpstr (a->name, ==, b->name);
      g_assert_true (a->data != b->data);
      g_assert_cmpmem (a->data, a->n_elements * sizeof (float), b->data, b->n_elements * sizeof (float));
    }

  bs_engine_config_init (&run.engine);
  run.engine.threads = 1;
  bs_engine_config_init (&on_copy.engine);
  on_copy.engine.threads = 1;
  on_copy.model_a = copy;
  on_reference.engine = on_copy.engine;
  on_reference.model_a = reference;

  g_mutex_init (&start.lock);
  g_cond_init (&start.cond);
  thread = g_thread_new ("train", train_thread, &t);
  cka (&on_copy, &start);
  g_thread_join (thread);
  g_mutex_clear (&start.lock);
  g_cond_clear (&start.cond);

  cka (&on_reference, NULL);
  assert_same_snapshot (on_copy.result, on_reference.result);

  /* The original did train; copying its parameters brings the copy along. */
  g_assert_true (memcmp (bs_model_get_param (model, 0)->data, bs_model_get_param (copy, 0)->data,
                         bs_model_get_param (model, 0)->n_elements * sizeof (float)) != 0);
  g_assert_true (bs_model_copy_params (copy, model, &error));
  g_assert_no_error (error);
  for (guint i = 0; i < bs_model_get_n_params (model); i++)
    {
      BsParam *a = bs_model_get_param (model, i), *b = bs_model_get_param (copy, i);

      g_assert_cmpmem (a->data, a->n_elements * sizeof (float), b->data, b->n_elements * sizeof (float));
    }
  g_assert_cmpint (bs_model_get_batches_tracked (copy), ==, bs_model_get_batches_tracked (model));

  g_free (run.params);
  bs_cka_snapshot_unref (on_copy.result);
  bs_cka_snapshot_unref (on_reference.result);
}

/* Parameters go only between models of one architecture. */
static void
test_copy_params_mismatch (void)
{
  g_autoptr(BsModel) small = new_model ("resnet8", 1);
  g_autoptr(BsModel) large = new_model ("resnet14", 1);
  g_autoptr(GError) error = NULL;
  float first = bs_model_get_param (small, 0)->data[0];

  g_assert_false (bs_model_copy_params (small, large, &error));
  g_assert_error (error, BS_ERROR, BS_ERROR_MISMATCH);
  g_assert_cmpfloat (bs_model_get_param (small, 0)->data[0], ==, first);
}

/* The guard nests and is shared: OpenBLAS runs single-threaded while any
 * holder is in, and gets its count back when the last one leaves. */
static void
test_blas_guard (void)
{
  int before = openblas_get_num_threads ();

  g_assert_cmpuint (bs_blas_guard_depth (), ==, 0);
  bs_blas_guard_enter ();
  g_assert_cmpint (openblas_get_num_threads (), ==, 1);
  bs_blas_guard_enter ();
  g_assert_cmpuint (bs_blas_guard_depth (), ==, 2);
  bs_blas_guard_leave ();
  g_assert_cmpint (openblas_get_num_threads (), ==, 1);
  bs_blas_guard_leave ();
  g_assert_cmpuint (bs_blas_guard_depth (), ==, 0);
  g_assert_cmpint (openblas_get_num_threads (), ==, before);
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

  g_test_add_func ("/concurrency/blas-guard", test_blas_guard);
  g_test_add_func ("/concurrency/train-and-cka", test_train_and_cka);
  g_test_add_func ("/concurrency/train-and-cka-other-kernels", test_train_and_cka_other_kernels);
  g_test_add_func ("/concurrency/cka-on-copy-while-training", test_cka_on_copy_while_training);
  g_test_add_func ("/concurrency/copy-params-mismatch", test_copy_params_mismatch);
  status = g_test_run ();
  bs_dataset_unref (synthetic);
  return status;
}
