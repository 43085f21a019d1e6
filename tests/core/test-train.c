/* test-train.c: SGD, learning-rate schedules and the training loop. */
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>

#include "bs-checkpoint.h"
#include "bs-error.h"
#include "bs-evaluate.h"
#include "bs-model-spec.h"
#include "bs-schedule.h"
#include "bs-sgd.h"
#include "bs-synthetic.h"
#include "bs-trainer.h"
#include "bs-test-util.h"

static char *tmp_dir;

static char *
tmp_path (const char *name)
{
  return g_build_filename (tmp_dir, name, NULL);
}

/* Two steps worked out by hand (w = 1, g = 0.5, wd = 0.1, momentum 0.9, lr 0.1):
 *   step 1: g' = 0.5 + 0.1 * 1 = 0.6;        buf = 0.6;                   w = 1 - 0.06 = 0.94
 *   step 2: g' = 0.5 + 0.1 * 0.94 = 0.594;   buf = 0.9 * 0.6 + 0.594 = 1.134;  w = 0.94 - 0.1134 = 0.8266 */
static void
test_sgd_by_hand (void)
{
  float w[2] = { 1.0f, -2.0f };
  float g[2] = { 0.5f, 0.25f };
  float buf[2] = { 0, 0 };

  bs_sgd_update (w, g, buf, 2, 0.1f, 0.9f, 0.1f);
  g_assert_cmpfloat_with_epsilon (buf[0], 0.6, 1e-7);
  g_assert_cmpfloat_with_epsilon (w[0], 0.94, 1e-7);
  /* w = -2: g' = 0.25 - 0.2 = 0.05; w = -2 - 0.005 */
  g_assert_cmpfloat_with_epsilon (buf[1], 0.05, 1e-7);
  g_assert_cmpfloat_with_epsilon (w[1], -2.005, 1e-6);

  bs_sgd_update (w, g, buf, 2, 0.1f, 0.9f, 0.1f);
  g_assert_cmpfloat_with_epsilon (buf[0], 1.134, 1e-6);
  g_assert_cmpfloat_with_epsilon (w[0], 0.8266, 1e-6);
  /* g' = 0.25 + 0.1 * -2.005 = 0.0495; buf = 0.045 + 0.0495 = 0.0945; w = -2.005 - 0.00945 */
  g_assert_cmpfloat_with_epsilon (buf[1], 0.0945, 1e-6);
  g_assert_cmpfloat_with_epsilon (w[1], -2.01445, 1e-6);
}

/* Against a double-precision loop of the textbook formula, many steps. */
static void
test_sgd_reference (void)
{
  const gsize n = 64;
  float w[64], g[64], buf[64] = { 0 };
  double rw[64], rbuf[64] = { 0 };

  for (gsize i = 0; i < n; i++)
    rw[i] = w[i] = (float) sin (i * 0.7);
  for (int step = 0; step < 20; step++)
    {
      double lr = 0.05 + 0.01 * step;

      for (gsize i = 0; i < n; i++)
        g[i] = (float) cos (i * 0.3 + step);
      bs_sgd_update (w, g, buf, n, (float) lr, 0.9f, 5e-4f);
      for (gsize i = 0; i < n; i++)
        {
          double gd = (double) g[i] + 5e-4 * rw[i];

          rbuf[i] = 0.9 * rbuf[i] + gd;
          rw[i] -= lr * rbuf[i];
        }
    }
  for (gsize i = 0; i < n; i++)
    g_assert_cmpfloat_with_epsilon (w[i], rw[i], 1e-4);
}

/* On a model: decay only where flagged, buffers (no gradient) untouched.
 * Every trainable parameter of the paper's recipe decays, so the test takes
 * the decay off the batch-norm biases to see the other path work too. */
static void
test_sgd_model (void)
{
  g_autoptr(GError) error = NULL;
  BsModel *model = bs_model_new ("resnet8", 1, 8, 8, 3, &error);
  g_autoptr(BsSgd) sgd = NULL;
  g_autoptr(GPtrArray) before = g_ptr_array_new_with_free_func (g_free);
  gboolean saw_buffer = FALSE, saw_decay = FALSE, saw_no_decay = FALSE;

  g_assert_no_error (error);
  bs_model_init_params (model, 1);
  for (guint i = 0; i < bs_model_get_n_params (model); i++)
    {
      BsParam *param = bs_model_get_param (model, i);

      g_assert_true (param->decay == (param->grad != NULL));
      if (param->ndim == 1 && g_str_has_suffix (param->name, ".bias") && strstr (param->name, "bn") != NULL)
        param->decay = FALSE;
      for (gsize j = 0; j < param->n_elements; j++)
        {
          param->data[j] = 1.0f + j % 3;
          if (param->grad != NULL)
            param->grad[j] = 0.5f;
        }
      g_ptr_array_add (before, g_memdup2 (param->data, param->n_elements * sizeof (float)));
    }
  sgd = bs_sgd_new (model, 0.9, 0.1);
  bs_sgd_step (sgd, 0.1);
  for (guint i = 0; i < bs_model_get_n_params (model); i++)
    {
      BsParam *param = bs_model_get_param (model, i);
      const float *old = g_ptr_array_index (before, i);

      for (gsize j = 0; j < param->n_elements; j++)
        {
          if (param->grad == NULL)
            {
              g_assert_cmpfloat (param->data[j], ==, old[j]);
              saw_buffer = TRUE;
            }
          else
            {
              double expected = old[j] - 0.1 * (0.5 + (param->decay ? 0.1 * old[j] : 0));

              g_assert_cmpfloat_with_epsilon (param->data[j], expected, 1e-6);
              saw_decay |= param->decay;
              saw_no_decay |= !param->decay;
            }
        }
    }
  g_assert_true (saw_buffer);
  g_assert_true (saw_decay);
  g_assert_true (saw_no_decay);
  bs_model_free (model);
}

static void
test_schedules (void)
{
  BsSchedule s = { BS_SCHEDULE_LINEAR, 0.1, 10, 110 };

  /* Warm-up: base * (step + 1) / 10. */
  g_assert_cmpfloat_with_epsilon (bs_schedule_get_lr (&s, 0), 0.01, 1e-15);
  g_assert_cmpfloat_with_epsilon (bs_schedule_get_lr (&s, 4), 0.05, 1e-15);
  g_assert_cmpfloat_with_epsilon (bs_schedule_get_lr (&s, 9), 0.1, 1e-15);
  /* Linear decay over the 100 steps after warm-up. */
  g_assert_cmpfloat_with_epsilon (bs_schedule_get_lr (&s, 10), 0.1, 1e-15);
  g_assert_cmpfloat_with_epsilon (bs_schedule_get_lr (&s, 35), 0.075, 1e-15);
  g_assert_cmpfloat_with_epsilon (bs_schedule_get_lr (&s, 60), 0.05, 1e-15);
  g_assert_cmpfloat_with_epsilon (bs_schedule_get_lr (&s, 109), 0.001, 1e-15);
  g_assert_cmpfloat (bs_schedule_get_lr (&s, 110), ==, 0.0);
  g_assert_cmpfloat (bs_schedule_get_lr (&s, 1000), ==, 0.0);

  s.kind = BS_SCHEDULE_COSINE;
  g_assert_cmpfloat_with_epsilon (bs_schedule_get_lr (&s, 4), 0.05, 1e-15);
  g_assert_cmpfloat_with_epsilon (bs_schedule_get_lr (&s, 10), 0.1, 1e-15);
  /* p = 1/4: 0.05 * (1 + cos (pi / 4)) */
  g_assert_cmpfloat_with_epsilon (bs_schedule_get_lr (&s, 35), 0.05 * (1 + sqrt (0.5)), 1e-15);
  g_assert_cmpfloat_with_epsilon (bs_schedule_get_lr (&s, 60), 0.05, 1e-15);
  g_assert_cmpfloat_with_epsilon (bs_schedule_get_lr (&s, 85), 0.05 * (1 - sqrt (0.5)), 1e-15);
  g_assert_cmpfloat (bs_schedule_get_lr (&s, 110), ==, 0.0);

  s.kind = BS_SCHEDULE_CONSTANT;
  g_assert_cmpfloat_with_epsilon (bs_schedule_get_lr (&s, 0), 0.01, 1e-15);
  g_assert_cmpfloat (bs_schedule_get_lr (&s, 50), ==, 0.1);

  /* Without warm-up the first step has the full rate. */
  s.kind = BS_SCHEDULE_LINEAR;
  s.warmup_steps = 0;
  s.total_steps = 4;
  g_assert_cmpfloat (bs_schedule_get_lr (&s, 0), ==, 0.1);
  g_assert_cmpfloat_with_epsilon (bs_schedule_get_lr (&s, 1), 0.075, 1e-15);
  g_assert_cmpfloat_with_epsilon (bs_schedule_get_lr (&s, 3), 0.025, 1e-15);
}

static void
test_count_correct (void)
{
  /* 4 rows of 3 classes: argmax 1, a tie between 0 and 2 (the first wins), 2, 0. */
  const float logits[12] = { 0.1f, 0.7f, 0.2f,
                             0.5f, 0.1f, 0.5f,
                             -3.0f, -2.0f, -1.0f,
                             1.0f, 1.0f - 1e-6f, 0.0f };
  const guint8 labels[4] = { 1, 2, 2, 0 };
  const guint8 others[4] = { 0, 0, 1, 1 };

  g_assert_cmpuint (bs_evaluate_count_correct (logits, labels, 4, 3), ==, 3);
  g_assert_cmpuint (bs_evaluate_count_correct (logits, others, 4, 3), ==, 1);
  g_assert_cmpuint (bs_evaluate_count_correct (logits, labels, 0, 3), ==, 0);
}

static void
test_recipe_check (void)
{
  BsTrainRecipe recipe;
  g_autoptr(GError) error = NULL;
  g_autofree char *json = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonObject *object;

  bs_train_recipe_init (&recipe);
  g_assert_true (bs_train_recipe_check (&recipe, &error));
  recipe.seed = G_MAXUINT64;
  json = bs_train_recipe_to_json (&recipe);
  g_assert_nonnull (strstr (json, "\"schedule\":\"linear\""));
  /* Valid JSON whose numbers read back exactly, written the short way. */
  g_assert_nonnull (strstr (json, "\"lr\":0.1,"));
  g_assert_true (json_parser_load_from_data (parser, json, -1, &error));
  g_assert_no_error (error);
  object = json_node_get_object (json_parser_get_root (parser));
  g_assert_cmpfloat (json_object_get_double_member (object, "lr"), ==, 0.1);
  g_assert_cmpfloat (json_object_get_double_member (object, "weight_decay"), ==, 5e-4);
  g_assert_cmpfloat (json_object_get_double_member (object, "warmup_epochs"), ==, 0.2);
  g_assert_cmpint (json_object_get_int_member (object, "batch_size"), ==, 128);
  g_assert_true (json_object_get_boolean_member (object, "augment"));

  g_assert_true (bs_train_default_augment ("cifar10"));
  g_assert_true (bs_train_default_augment ("cifar100"));
  g_assert_false (bs_train_default_augment ("fashion-mnist"));
  g_assert_false (bs_train_default_augment ("mnist"));
  g_assert_false (bs_train_default_augment ("synthetic"));

  recipe.lr = -1;
  g_assert_false (bs_train_recipe_check (&recipe, &error));
  g_assert_error (error, BS_ERROR, BS_ERROR_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (error->message, "learning rate"));
  g_clear_error (&error);
  bs_train_recipe_init (&recipe);
  recipe.lr = NAN;
  g_assert_false (bs_train_recipe_check (&recipe, NULL));
  bs_train_recipe_init (&recipe);
  recipe.epochs = 0;
  g_assert_false (bs_train_recipe_check (&recipe, NULL));
  bs_train_recipe_init (&recipe);
  recipe.momentum = 1;
  g_assert_false (bs_train_recipe_check (&recipe, NULL));
  bs_train_recipe_init (&recipe);
  recipe.warmup_epochs = 11;
  g_assert_false (bs_train_recipe_check (&recipe, NULL));
  bs_train_recipe_init (&recipe);
  recipe.batch_size = 0;
  g_assert_false (bs_train_recipe_check (&recipe, NULL));
}

/* A small task: 4 classes of synthetic 3x16x16 images. */
static BsDataset *
small_dataset (guint n_train,
               guint n_test)
{
  return bs_dataset_new_synthetic (n_train, n_test, 3, 16, 16, 4, 5);
}

static BsModel *
small_model (guint64 seed)
{
  g_autoptr(GError) error = NULL;
  BsModel *model = bs_model_spec_build ("resnet8", 3, 16, 16, 4, seed, &error);

  g_assert_no_error (error);
  return model;
}

static void
small_recipe (BsTrainRecipe *recipe)
{
  bs_train_recipe_init (recipe);
  recipe->epochs = 2;
  recipe->batch_size = 32;
  recipe->lr = 0.05;
  recipe->warmup_epochs = 0.5;
  recipe->threads = 2;
  recipe->seed = 3;
}

typedef struct {
  guint  n_progress;
  guint  last_step;
  double first_loss;
  double last_loss;
  double last_seconds_left;
  GArray *epochs;       /* BsTrainEpochResult */
  GPtrArray *saved;     /* checkpoint bytes after every epoch */
  GCancellable *cancel_at_epoch2;
} Recorder;

static void
record_progress (const BsTrainProgress *progress,
                 gpointer               user_data)
{
  Recorder *rec = user_data;

  g_assert_cmpuint (progress->step, >=, 1);
  g_assert_cmpuint (progress->step, <=, progress->n_steps);
  g_assert_true (isfinite (progress->loss));
  g_assert_cmpfloat (progress->images_per_s, >, 0);
  g_assert_cmpfloat (progress->seconds_left, >=, 0);
  g_assert_cmpfloat (progress->lr, >, 0);
  if (rec->n_progress == 0)
    rec->first_loss = progress->loss;
  rec->last_loss = progress->loss;
  rec->last_step = progress->step;
  rec->last_seconds_left = progress->seconds_left;
  rec->n_progress++;
  if (rec->cancel_at_epoch2 != NULL && progress->epoch == 2 && progress->step == 2)
    g_cancellable_cancel (rec->cancel_at_epoch2);
}

static void
record_epoch (const BsTrainEpochResult *result,
              gpointer                  user_data)
{
  Recorder *rec = user_data;
  g_autofree char *contents = NULL;
  gsize length;

  g_array_append_val (rec->epochs, *result);
  if (result->checkpoint != NULL)
    {
      g_assert_true (g_file_get_contents (result->checkpoint, &contents, &length, NULL));
      g_ptr_array_add (rec->saved, g_bytes_new (contents, length));
    }
}

static void
recorder_init (Recorder *rec)
{
  memset (rec, 0, sizeof *rec);
  rec->epochs = g_array_new (FALSE, TRUE, sizeof (BsTrainEpochResult));
  rec->saved = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
}

static void
recorder_clear (Recorder *rec)
{
  g_array_unref (rec->epochs);
  g_ptr_array_unref (rec->saved);
}

/* Trains and returns the checkpoint's bytes (NULL on error). */
static GBytes *
train (BsDataset           *dataset,
       const BsTrainRecipe *recipe,
       guint64              init_seed,
       const char          *path,
       Recorder            *rec,
       GCancellable        *cancellable,
       GError             **error)
{
  BsModel *model = small_model (init_seed);
  g_autoptr(BsTrainer) trainer = bs_trainer_new (model, dataset, recipe, NULL, error);
  g_autofree char *contents = NULL;
  gsize length;
  gboolean ok;

  g_assert_nonnull (trainer);
  bs_trainer_set_checkpoint_path (trainer, path);
  if (rec != NULL)
    {
      bs_trainer_set_progress_func (trainer, record_progress, rec);
      bs_trainer_set_epoch_func (trainer, record_epoch, rec);
    }
  ok = bs_trainer_run (trainer, cancellable, error);
  g_clear_pointer (&trainer, bs_trainer_free);
  bs_model_free (model);
  if (!ok || path == NULL || !g_file_get_contents (path, &contents, &length, NULL))
    return NULL;
  return g_bytes_new (contents, length);
}

/* The loss falls and a small model fits 256 images almost perfectly. */
static void
test_overfit (void)
{
  g_autoptr(BsDataset) dataset = small_dataset (256, 64);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) saved = NULL;
  g_autofree char *path = tmp_path ("overfit.safetensors");
  BsTrainRecipe recipe;
  BsEvalResult on_train;
  BsCheckpointInfo info;
  BsModel *model;
  Recorder rec;
  BsTrainEpochResult *first, *last;
  g_autoptr(GTimer) timer = g_timer_new ();

  small_recipe (&recipe);
  recipe.epochs = 12;
  recipe.augment = FALSE;
  recipe.weight_decay = 0;
  recipe.schedule = BS_SCHEDULE_COSINE;
  recorder_init (&rec);
  saved = train (dataset, &recipe, 1, path, &rec, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (saved);

  g_assert_cmpuint (rec.epochs->len, ==, 12);
  g_assert_cmpuint (rec.n_progress, ==, 12 * 8);
  g_assert_cmpuint (rec.last_step, ==, 8);
  g_assert_cmpfloat (rec.last_seconds_left, <, 5);
  first = &g_array_index (rec.epochs, BsTrainEpochResult, 0);
  last = &g_array_index (rec.epochs, BsTrainEpochResult, 11);
  g_test_message ("train loss %.4f -> %.4f, train accuracy %.3f -> %.3f, test accuracy %.3f, %.1f s",
                  first->train_loss, last->train_loss, first->train_accuracy, last->train_accuracy,
                  last->test_accuracy, g_timer_elapsed (timer, NULL));
  g_assert_cmpfloat (last->train_loss, <, first->train_loss / 4);
  g_assert_cmpuint (last->test_images, ==, 64);
  g_assert_cmpuint (last->epoch, ==, 12);

  /* The checkpoint of the last epoch, evaluated on the training images in
   * evaluation mode, classifies nearly all of them. */
  model = bs_checkpoint_load (path, &info, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (info.epoch, ==, 12);
  g_assert_cmpfloat (info.accuracy, ==, last->test_accuracy);
  g_assert_cmpstr (info.dataset, ==, "synthetic");
  g_assert_true (bs_evaluate (model, &dataset->train, 64, 0, NULL, &on_train, &error));
  g_test_message ("accuracy on the training images: %.3f", on_train.accuracy);
  g_assert_cmpuint (on_train.images, ==, 256);
  g_assert_cmpfloat (on_train.accuracy, >=, 0.95);
  bs_checkpoint_info_clear (&info);
  bs_model_free (model);
  recorder_clear (&rec);
}

/* The same seed and threads give the same bytes; another seed does not. */
static void
test_deterministic (void)
{
  g_autoptr(BsDataset) dataset = small_dataset (160, 32);
  g_autoptr(GError) error = NULL;
  g_autofree char *path = tmp_path ("det.safetensors");
  g_autoptr(GBytes) a = NULL, b = NULL, c = NULL;
  BsTrainRecipe recipe;

  small_recipe (&recipe);
  a = train (dataset, &recipe, 1, path, NULL, NULL, &error);
  g_assert_no_error (error);
  b = train (dataset, &recipe, 1, path, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_bytes_equal (a, b));
  recipe.seed = 4;
  c = train (dataset, &recipe, 1, path, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_false (g_bytes_equal (a, c));
}

static void
assert_no_temporary_files (void)
{
  GDir *d = g_dir_open (tmp_dir, 0, NULL);
  const char *name;

  while ((name = g_dir_read_name (d)) != NULL)
    g_assert_null (strstr (name, ".tmp-"));
  g_dir_close (d);
}

/* Cancelling in epoch 2 leaves the checkpoint of epoch 1 as it was. */
static void
test_cancel (void)
{
  g_autoptr(BsDataset) dataset = small_dataset (160, 32);
  g_autoptr(GError) error = NULL;
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autofree char *path = tmp_path ("cancel.safetensors");
  g_autofree char *contents = NULL;
  g_autoptr(GBytes) now = NULL;
  g_autoptr(GBytes) result = NULL;
  BsTrainRecipe recipe;
  Recorder rec;
  gsize length;

  small_recipe (&recipe);
  recipe.epochs = 3;
  recorder_init (&rec);
  rec.cancel_at_epoch2 = cancellable;
  result = train (dataset, &recipe, 1, path, &rec, cancellable, &error);
  g_assert_null (result);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  /* Stopped right after the step that asked. */
  g_assert_cmpuint (rec.n_progress, ==, 5 + 2);
  g_assert_cmpuint (rec.epochs->len, ==, 1);
  g_assert_cmpuint (rec.saved->len, ==, 1);
  g_assert_true (g_file_get_contents (path, &contents, &length, NULL));
  now = g_bytes_new (contents, length);
  g_assert_true (g_bytes_equal (now, g_ptr_array_index (rec.saved, 0)));
  assert_no_temporary_files ();
  recorder_clear (&rec);

  /* Cancelled before the first step: nothing is written. */
  g_clear_error (&error);
  g_unlink (path);
  result = train (dataset, &recipe, 1, path, NULL, cancellable, &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
}

/* An absurd learning rate makes the loss NaN or infinite: a clear error,
 * and the checkpoint that was there stays. */
static void
test_diverge (void)
{
  g_autoptr(BsDataset) dataset = small_dataset (160, 32);
  g_autoptr(GError) error = NULL;
  g_autofree char *path = tmp_path ("diverge.safetensors");
  g_autoptr(GBytes) good = NULL;
  g_autoptr(GBytes) result = NULL;
  g_autofree char *contents = NULL;
  g_autoptr(GBytes) now = NULL;
  BsTrainRecipe recipe;
  gsize length;

  small_recipe (&recipe);
  recipe.epochs = 1;
  good = train (dataset, &recipe, 1, path, NULL, NULL, &error);
  g_assert_no_error (error);

  recipe.epochs = 5;
  recipe.lr = 1e8;
  recipe.warmup_epochs = 0;
  recipe.schedule = BS_SCHEDULE_CONSTANT;
  result = train (dataset, &recipe, 1, path, NULL, NULL, &error);
  g_assert_null (result);
  g_assert_error (error, BS_ERROR, BS_ERROR_DIVERGED);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, "diverged"));
  g_assert_true (g_file_get_contents (path, &contents, &length, NULL));
  now = g_bytes_new (contents, length);
  g_assert_true (g_bytes_equal (now, good));
  assert_no_temporary_files ();
}

static void
test_mismatch (void)
{
  g_autoptr(BsDataset) dataset = small_dataset (64, 16);
  g_autoptr(BsDataset) other = bs_dataset_new_synthetic (64, 16, 1, 16, 16, 4, 5);
  g_autoptr(BsDataset) more_classes = bs_dataset_new_synthetic (64, 16, 3, 16, 16, 6, 5);
  g_autoptr(GError) error = NULL;
  BsModel *model = small_model (1);
  BsTrainRecipe recipe;
  BsTrainer *trainer;
  BsEvalResult result;

  small_recipe (&recipe);
  trainer = bs_trainer_new (model, other, &recipe, NULL, &error);
  g_assert_null (trainer);
  g_assert_error (error, BS_ERROR, BS_ERROR_MISMATCH);
  g_assert_nonnull (strstr (error->message, "1x16x16"));
  g_clear_error (&error);
  trainer = bs_trainer_new (model, more_classes, &recipe, NULL, &error);
  g_assert_null (trainer);
  g_assert_error (error, BS_ERROR, BS_ERROR_MISMATCH);
  g_clear_error (&error);
  g_assert_false (bs_evaluate (model, &more_classes->test, 8, 0, NULL, &result, &error));
  g_assert_error (error, BS_ERROR, BS_ERROR_MISMATCH);
  g_clear_error (&error);
  recipe.lr = 0;
  trainer = bs_trainer_new (model, dataset, &recipe, NULL, &error);
  g_assert_null (trainer);
  g_assert_error (error, BS_ERROR, BS_ERROR_INVALID_ARGUMENT);
  bs_model_free (model);
}

int
main (int    argc,
      char **argv)
{
  int status;

  g_test_init (&argc, &argv, NULL);
  tmp_dir = g_dir_make_tmp ("bs-test-train-XXXXXX", NULL);

  g_test_add_func ("/train/sgd/by-hand", test_sgd_by_hand);
  g_test_add_func ("/train/sgd/reference", test_sgd_reference);
  g_test_add_func ("/train/sgd/model", test_sgd_model);
  g_test_add_func ("/train/schedules", test_schedules);
  g_test_add_func ("/train/recipe-check", test_recipe_check);
  g_test_add_func ("/train/count-correct", test_count_correct);
  g_test_add_func ("/train/overfit", test_overfit);
  g_test_add_func ("/train/deterministic", test_deterministic);
  g_test_add_func ("/train/cancel", test_cancel);
  g_test_add_func ("/train/diverge", test_diverge);
  g_test_add_func ("/train/mismatch", test_mismatch);

  status = g_test_run ();
  bs_test_remove_tree (tmp_dir);
  g_free (tmp_dir);
  return status;
}
