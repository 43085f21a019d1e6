/* bs-trainer.c: epochs of forward, backward and SGD; evaluation and checkpoint per epoch. */
#include "bs-trainer.h"

#include <glib/gi18n-lib.h>
#include <math.h>

#include "bs-batcher.h"
#include "bs-checkpoint.h"
#include "bs-error.h"
#include "bs-evaluate.h"
#include "bs-sgd.h"

/* Upper bounds that catch typing mistakes without limiting real use. */
#define MAX_EPOCHS 100000
#define MAX_BATCH 65536

struct _BsTrainer {
  BsModel             *model;
  BsDataset           *dataset;
  BsTrainRecipe        recipe;
  BsThreadPool        *pool;       /* the run's threads, with the engine configuration */
  char                *checkpoint_path;
  BsTrainProgressFunc  progress_func;
  gpointer             progress_data;
  BsTrainEpochFunc     epoch_func;
  gpointer             epoch_data;
  BsBatcher           *batcher;
  guint                saved_epoch;
  char                *saved_path;    /* the last checkpoint written (or resumed from) */
  char                *checkpoint_dir;
  BsTrainHookFunc      hook_func;
  gpointer             hook_data;
  guint                hook_every;
  BsSgd               *sgd;
  guint                start_epoch;
};

void
bs_train_recipe_init (BsTrainRecipe *recipe)
{
  recipe->epochs = 10;
  recipe->batch_size = 128;
  recipe->lr = 0.1;
  recipe->momentum = 0.9;
  recipe->weight_decay = 5e-4;
  recipe->schedule = BS_SCHEDULE_LINEAR;
  recipe->warmup_epochs = 0.2;
  recipe->seed = 0;
  recipe->threads = 0;
  recipe->augment = TRUE;
  recipe->limit = 0;
  recipe->test_limit = 0;
}

gboolean
bs_train_default_augment (const char *dataset_name)
{
  /* Crops and flips are label-preserving for photographs; see the header
   * for why the other data sets train without them. */
  return g_strcmp0 (dataset_name, "cifar10") == 0 || g_strcmp0 (dataset_name, "cifar100") == 0;
}

gboolean
bs_train_recipe_check (const BsTrainRecipe *recipe,
                       GError             **error)
{
  const char *bad = NULL;

  if (recipe->epochs < 1 || recipe->epochs > MAX_EPOCHS)
    bad = _("the number of epochs must be between 1 and 100000");
  else if (recipe->batch_size < 1 || recipe->batch_size > MAX_BATCH)
    bad = _("the batch size must be between 1 and 65536");
  else if (!(recipe->lr > 0) || !isfinite (recipe->lr))
    bad = _("the learning rate must be a positive number");
  else if (!(recipe->momentum >= 0 && recipe->momentum < 1))
    bad = _("the momentum must be in [0, 1)");
  else if (!(recipe->weight_decay >= 0) || !isfinite (recipe->weight_decay))
    bad = _("the weight decay must be zero or positive");
  else if (!(recipe->warmup_epochs >= 0 && recipe->warmup_epochs <= recipe->epochs))
    bad = _("the warm-up must be between 0 and the number of epochs");
  else if (recipe->threads > 1024)
    bad = _("the number of threads must be at most 1024");

  if (bad != NULL)
    {
      g_set_error (error, BS_ERROR, BS_ERROR_INVALID_ARGUMENT, _("Invalid training settings: %s"), bad);
      return FALSE;
    }
  return TRUE;
}

/* The shortest of %.15g and %.17g that reads back as the same double:
 * 0.1 stays "0.1" instead of "0.10000000000000001". */
static void
append_double (GString *s,
               double   value)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];

  g_ascii_formatd (buf, sizeof buf, "%.15g", value);
  if (g_ascii_strtod (buf, NULL) != value)
    g_ascii_formatd (buf, sizeof buf, "%.17g", value);
  g_string_append (s, buf);
}

char *
bs_train_recipe_to_json (const BsTrainRecipe *recipe)
{
  GString *s = g_string_new ("{");

  /* Built by hand for the number formatting; every value is a number, a
   * boolean or a fixed word, so nothing needs escaping. */
  g_string_append_printf (s, "\"epochs\":%u,\"batch_size\":%u,\"lr\":", recipe->epochs, recipe->batch_size);
  append_double (s, recipe->lr);
  g_string_append (s, ",\"momentum\":");
  append_double (s, recipe->momentum);
  g_string_append (s, ",\"weight_decay\":");
  append_double (s, recipe->weight_decay);
  g_string_append_printf (s, ",\"schedule\":\"%s\",\"warmup_epochs\":", bs_schedule_kind_to_string (recipe->schedule));
  append_double (s, recipe->warmup_epochs);
  g_string_append_printf (s, ",\"seed\":%" G_GUINT64_FORMAT ",\"threads\":%u,\"augment\":%s,\"limit\":%u}",
                          recipe->seed, recipe->threads, recipe->augment ? "true" : "false", recipe->limit);
  return g_string_free (s, FALSE);
}

BsTrainer *
bs_trainer_new (BsModel              *model,
                BsDataset            *dataset,
                const BsTrainRecipe  *recipe,
                const BsEngineConfig *engine,
                GError              **error)
{
  BsEngineConfig config = engine ? *engine : *bs_engine_config_get_default ();
  BsTrainer *trainer;

  g_return_val_if_fail (model != NULL && dataset != NULL && recipe != NULL, NULL);

  if (!bs_train_recipe_check (recipe, error))
    return NULL;
  if (bs_model_get_n_classes (model) != dataset->n_classes)
    {
      /* Translators: a model's name (resnet20) and its classes, a data set's name (cifar10) and its
       * classes. */
      g_set_error (error, BS_ERROR, BS_ERROR_MISMATCH, _("The model %s has %u classes, but %s has %u"),
                   bs_model_get_name (model), bs_model_get_n_classes (model), dataset->name, dataset->n_classes);
      return NULL;
    }
  if (!bs_evaluate_check_images (model, &dataset->train, 0, TRUE, error)
      || !bs_evaluate_check_images (model, &dataset->test, 0, FALSE, error))
    return NULL;

  trainer = g_new0 (BsTrainer, 1);
  trainer->model = model;
  trainer->dataset = bs_dataset_ref (dataset);
  trainer->recipe = *recipe;
  /* Results depend on the thread count: record the one actually used. */
  if (trainer->recipe.threads == 0)
    trainer->recipe.threads = config.threads;
  config.threads = trainer->recipe.threads;
  trainer->pool = bs_thread_pool_new_for_config (&config);
  trainer->sgd = bs_sgd_try_new (model, recipe->momentum, recipe->weight_decay, error);
  if (trainer->sgd == NULL)
    {
      bs_trainer_free (trainer);
      return NULL;
    }
  trainer->batcher = bs_batcher_new (&dataset->train, recipe->batch_size);
  bs_batcher_set_shuffle (trainer->batcher, TRUE, recipe->seed);
  bs_batcher_set_augment (trainer->batcher, recipe->augment);
  bs_batcher_set_limit (trainer->batcher, recipe->limit);

  if (bs_batcher_get_n_batches (trainer->batcher) == 0)
    {
      g_set_error (error, BS_ERROR, BS_ERROR_INVALID_ARGUMENT, _("%s has no training images"), dataset->name);
      bs_trainer_free (trainer);
      return NULL;
    }
  return trainer;
}

void
bs_trainer_free (BsTrainer *trainer)
{
  if (trainer == NULL)
    return;
  g_clear_pointer (&trainer->batcher, bs_batcher_free);
  g_clear_pointer (&trainer->dataset, bs_dataset_unref);
  g_clear_pointer (&trainer->pool, bs_thread_pool_unref);
  g_clear_pointer (&trainer->sgd, bs_sgd_free);
  g_free (trainer->checkpoint_path);
  g_free (trainer->checkpoint_dir);
  g_free (trainer->saved_path);
  g_free (trainer);
}

void
bs_trainer_set_checkpoint_path (BsTrainer  *trainer,
                                const char *path)
{
  g_free (trainer->checkpoint_path);
  trainer->checkpoint_path = g_strdup (path);
}

void
bs_trainer_set_progress_func (BsTrainer           *trainer,
                              BsTrainProgressFunc  func,
                              gpointer             user_data)
{
  trainer->progress_func = func;
  trainer->progress_data = user_data;
}

void
bs_trainer_set_epoch_func (BsTrainer        *trainer,
                           BsTrainEpochFunc  func,
                           gpointer          user_data)
{
  trainer->epoch_func = func;
  trainer->epoch_data = user_data;
}

void
bs_trainer_set_checkpoint_dir (BsTrainer  *trainer,
                               const char *dir)
{
  g_free (trainer->checkpoint_dir);
  trainer->checkpoint_dir = g_strdup (dir);
}

char *
bs_trainer_checkpoint_name (guint epoch)
{
  return g_strdup_printf ("epoch-%04u.safetensors", epoch);
}

void
bs_trainer_set_hook (BsTrainer       *trainer,
                     guint            every_steps,
                     BsTrainHookFunc  func,
                     gpointer         user_data)
{
  trainer->hook_every = every_steps;
  trainer->hook_func = func;
  trainer->hook_data = user_data;
}

guint
bs_trainer_get_start_epoch (BsTrainer *trainer)
{
  return trainer->start_epoch;
}

BsModel *
bs_trainer_get_model (BsTrainer *trainer)
{
  return trainer->model;
}

const BsTrainRecipe *
bs_trainer_get_recipe (BsTrainer *trainer)
{
  return &trainer->recipe;
}

gboolean
bs_trainer_resume (BsTrainer   *trainer,
                   const char  *checkpoint,
                   GError     **error)
{
  g_autoptr(BsModel) saved = NULL;
  BsCheckpointInfo info;
  guint n_steps = bs_batcher_get_n_batches (trainer->batcher);
  gboolean ok = FALSE;

  g_return_val_if_fail (trainer != NULL && checkpoint != NULL, FALSE);

  saved = bs_checkpoint_load (checkpoint, &info, error);
  if (saved == NULL)
    return FALSE;
  /* Everything is checked before the model or the buffers change, so a
   * failed resume leaves the trainer as it was. */
  if (info.momentum == NULL || info.n_momentum != bs_model_get_n_params (trainer->model)
      || info.global_step != (guint64) info.epoch * n_steps || info.epoch < 1 || info.epoch > trainer->recipe.epochs)
    {
      g_set_error (error, BS_ERROR, BS_ERROR_MISMATCH,
                   /* Translators: a checkpoint file. */
                   _("'%s' cannot be resumed from: it lacks the optimizer state or was made with other settings"),
                   checkpoint);
      goto out;
    }
  for (guint i = 0; i < info.n_momentum; i++)
    if ((bs_sgd_get_momentum (trainer->sgd, i) == NULL) != (info.momentum[i] == NULL))
      {
        g_set_error (error, BS_ERROR, BS_ERROR_MISMATCH,
                     /* Translators: a checkpoint file and a parameter's name. */
                     _("'%s' has no momentum for '%s'"), checkpoint, bs_model_get_param (trainer->model, i)->name);
        goto out;
      }
  /* Checks the architecture before it copies. */
  if (!bs_model_copy_params (trainer->model, saved, error))
    goto out;
  for (guint i = 0; i < info.n_momentum; i++)
    if (info.momentum[i] != NULL)
      bs_sgd_set_momentum (trainer->sgd, i, info.momentum[i], bs_model_get_param (trainer->model, i)->n_elements);
  trainer->start_epoch = info.epoch;
  trainer->saved_epoch = info.epoch;
  g_free (trainer->saved_path);
  trainer->saved_path = g_strdup (checkpoint);
  ok = TRUE;

out:
  bs_checkpoint_info_clear (&info);
  return ok;
}

guint
bs_trainer_get_steps_per_epoch (BsTrainer *trainer)
{
  return bs_batcher_get_n_batches (trainer->batcher);
}

guint
bs_trainer_get_saved_epoch (BsTrainer *trainer)
{
  return trainer->saved_epoch;
}

static gboolean
params_finite (BsModel *model)
{
  for (guint i = 0; i < bs_model_get_n_params (model); i++)
    {
      BsParam *param = bs_model_get_param (model, i);

      for (gsize j = 0; j < param->n_elements; j++)
        if (!isfinite (param->data[j]))
          return FALSE;
    }
  return TRUE;
}

static gboolean
diverged (BsTrainer  *trainer,
          const char *what,
          guint       epoch,
          guint       step,
          guint       n_steps,
          double      lr,
          GError    **error)
{
  /* One whole message for each fate of the checkpoint. */
  if (trainer->saved_epoch > 0)
    g_set_error (error, BS_ERROR, BS_ERROR_DIVERGED,
                 /* Translators: the epoch, the step and the steps of the epoch,
                  * what went wrong ("the loss is NaN"), the learning rate, then
                  * the checkpoint's epoch and file. */
                 _("Training diverged in epoch %u at step %u of %u: %s (learning rate %.4g). "
                   "The checkpoint of epoch %u in '%s' was kept. Try a smaller learning rate."),
                 epoch, step, n_steps, what, lr, trainer->saved_epoch, trainer->saved_path);
  else if (trainer->checkpoint_path != NULL && g_file_test (trainer->checkpoint_path, G_FILE_TEST_EXISTS))
    g_set_error (error, BS_ERROR, BS_ERROR_DIVERGED,
                 /* Translators: the epoch, the step and the steps of the epoch,
                  * what went wrong ("the loss is NaN"), the learning rate, then
                  * the checkpoint file. */
                 _("Training diverged in epoch %u at step %u of %u: %s (learning rate %.4g). "
                   "'%s' was left as it was. Try a smaller learning rate."),
                 epoch, step, n_steps, what, lr, trainer->checkpoint_path);
  else if (trainer->checkpoint_path != NULL || trainer->checkpoint_dir != NULL)
    g_set_error (error, BS_ERROR, BS_ERROR_DIVERGED,
                 /* Translators: the epoch, the step and the steps of the epoch,
                  * what went wrong ("the loss is NaN"), then the learning rate. */
                 _("Training diverged in epoch %u at step %u of %u: %s (learning rate %.4g). "
                   "No checkpoint was written. Try a smaller learning rate."),
                 epoch, step, n_steps, what, lr);
  else
    g_set_error (error, BS_ERROR, BS_ERROR_DIVERGED,
                 /* Translators: the epoch, the step and the steps of the epoch,
                  * what went wrong ("the loss is NaN"), then the learning rate. */
                 _("Training diverged in epoch %u at step %u of %u: %s (learning rate %.4g). "
                   "Try a smaller learning rate."),
                 epoch, step, n_steps, what, lr);
  return FALSE;
}

static gboolean
save_checkpoint (BsTrainer                *trainer,
                 const BsTrainEpochResult *result,
                 guint64                   global_step,
                 const char               *path,
                 GError                  **error)
{
  BsCheckpointInfo info;
  g_autofree float **momentum = NULL;
  gboolean ok;

  bs_checkpoint_info_init (&info);
  info.dataset = trainer->dataset->name;
  info.class_names = trainer->dataset->class_names;
  info.epoch = result->epoch;
  info.accuracy = result->test_accuracy;
  info.seed = trainer->recipe.seed;
  info.recipe = bs_train_recipe_to_json (&trainer->recipe);
  if (trainer->checkpoint_dir != NULL)
    {
      /* What a resume needs, and what the run's metrics need should the
       * process die before they are written. */
      info.global_step = global_step;
      info.train_loss = result->train_loss;
      info.train_accuracy = result->train_accuracy;
      info.test_loss = result->test_loss;
      info.n_momentum = bs_sgd_get_n_params (trainer->sgd);
      momentum = g_new0 (float *, info.n_momentum);
      for (guint i = 0; i < info.n_momentum; i++)
        momentum[i] = bs_sgd_get_momentum (trainer->sgd, i);
      info.momentum = momentum;
    }
  ok = bs_checkpoint_save (trainer->model, &info, path, error);
  g_free (info.recipe);
  return ok;
}

gboolean
bs_trainer_run (BsTrainer     *trainer,
                GCancellable  *cancellable,
                GError       **error)
{
  const BsTrainRecipe *recipe;
  BsSgd *sgd;
  g_autofree float *images = NULL;
  g_autofree guint8 *labels = NULL;
  g_autoptr(GTimer) timer = g_timer_new ();
  BsSchedule schedule;
  guint n_steps, n_classes, n_train;
  guint test_images;
  guint64 global_step;
  double train_seconds = 0, eval_seconds_per_epoch = -1;
  guint64 images_done = 0;

  g_return_val_if_fail (trainer != NULL, FALSE);

  recipe = &trainer->recipe;
  n_steps = bs_batcher_get_n_batches (trainer->batcher);
  n_train = bs_batcher_get_n_images (trainer->batcher);
  n_classes = bs_model_get_n_classes (trainer->model);
  test_images = recipe->test_limit > 0 ? MIN (recipe->test_limit, trainer->dataset->test.n_images)
                                       : trainer->dataset->test.n_images;

  bs_model_set_pool (trainer->model, trainer->pool);
  sgd = trainer->sgd;
  global_step = (guint64) trainer->start_epoch * n_steps;
  images = bs_batcher_try_alloc_batch (trainer->batcher, error);
  if (images == NULL)
    return FALSE;
  labels = g_new (guint8, recipe->batch_size);

  schedule.kind = recipe->schedule;
  schedule.base_lr = recipe->lr;
  schedule.total_steps = (guint64) recipe->epochs * n_steps;
  schedule.warmup_steps = (guint64) llround (recipe->warmup_epochs * n_steps);

  for (guint epoch = trainer->start_epoch + 1; epoch <= recipe->epochs; epoch++)
    {
      BsTrainEpochResult result = { 0 };
      BsEvalResult eval;
      double epoch_start = g_timer_elapsed (timer, NULL);
      double loss_sum = 0;
      guint correct = 0, seen = 0;
      guint n;

      bs_batcher_start_epoch (trainer->batcher, epoch - 1);
      for (guint step = 1; step <= n_steps; step++)
        {
          double step_start = g_timer_elapsed (timer, NULL);
          const float *logits;
          double lr;
          float loss;

          if (g_cancellable_set_error_if_cancelled (cancellable, error))
            return FALSE;

          n = bs_batcher_next (trainer->batcher, images, labels);
          g_assert (n > 0);
          lr = bs_schedule_get_lr (&schedule, global_step);

          logits = bs_model_try_forward (trainer->model, images, n, TRUE, NULL, NULL, error);
          if (logits == NULL)
            return FALSE;
          correct += bs_evaluate_count_correct (logits, labels, n, n_classes);
          loss = bs_model_loss (trainer->model, labels);
          if (!isfinite (loss))
            {
              /* Translators: why training stopped, after "Training diverged in epoch 3 at step 5 of
               * 196: ". */
              return diverged (trainer, isnan (loss) ? _("the loss is NaN") : _("the loss is infinite"),
                               epoch, step, n_steps, lr, error);
            }
          if (!bs_model_try_backward (trainer->model, error))
            return FALSE;
          bs_sgd_step (sgd, lr);

          loss_sum += (double) loss * n;
          seen += n;
          global_step++;
          images_done += n;
          train_seconds += g_timer_elapsed (timer, NULL) - step_start;

          if (trainer->progress_func != NULL)
            {
              BsTrainProgress progress;
              double per_image = train_seconds / images_done;
              guint64 images_left = (guint64) (recipe->epochs - epoch) * n_train + (n_train - seen);
              /* Before the first evaluation, guess it at a third of a training step per image. */
              double eval_each = eval_seconds_per_epoch >= 0 ? eval_seconds_per_epoch : per_image * test_images / 3;

              progress.epoch = epoch;
              progress.n_epochs = recipe->epochs;
              progress.step = step;
              progress.n_steps = n_steps;
              progress.batch = n;
              progress.loss = loss;
              progress.lr = lr;
              progress.images_per_s = train_seconds > 0 ? images_done / train_seconds : 0;
              progress.seconds_left = per_image * images_left + eval_each * (recipe->epochs - epoch + 1);
              progress.global_step = global_step;
              trainer->progress_func (&progress, trainer->progress_data);
            }
          if (trainer->hook_func != NULL && trainer->hook_every > 0 && global_step % trainer->hook_every == 0
              && !trainer->hook_func (trainer, epoch, global_step, FALSE, trainer->hook_data, error))
            return FALSE;
        }

      {
        double eval_start = g_timer_elapsed (timer, NULL);

        if (!bs_evaluate (trainer->model, &trainer->dataset->test, recipe->batch_size, recipe->test_limit,
                          cancellable, &eval, error))
          return FALSE;
        eval_seconds_per_epoch = g_timer_elapsed (timer, NULL) - eval_start;
      }

      /* A finite loss does not guarantee finite weights after the last step. */
      if (!params_finite (trainer->model))
        return diverged (trainer, _("a parameter is NaN or infinite"), epoch, n_steps, n_steps,
                         bs_schedule_get_lr (&schedule, global_step - 1), error);

      result.epoch = epoch;
      result.n_epochs = recipe->epochs;
      result.train_loss = loss_sum / seen;
      result.train_accuracy = (double) correct / seen;
      result.test_loss = eval.loss;
      result.test_accuracy = eval.accuracy;
      result.test_images = eval.images;
      result.global_step = global_step;

      {
        g_autofree char *name = trainer->checkpoint_dir ? bs_trainer_checkpoint_name (epoch) : NULL;
        g_autofree char *path = name ? g_build_filename (trainer->checkpoint_dir, name, NULL)
                                     : g_strdup (trainer->checkpoint_path);

        if (path != NULL)
          {
            if (!save_checkpoint (trainer, &result, global_step, path, error))
              return FALSE;
            trainer->saved_epoch = epoch;
            g_free (trainer->saved_path);
            trainer->saved_path = g_steal_pointer (&path);
          }
      }

      result.seconds = g_timer_elapsed (timer, NULL) - epoch_start;
      result.checkpoint = trainer->saved_epoch == epoch ? trainer->saved_path : NULL;
      if (trainer->epoch_func != NULL)
        trainer->epoch_func (&result, trainer->epoch_data);
      if (trainer->hook_func != NULL
          && !trainer->hook_func (trainer, epoch, global_step, TRUE, trainer->hook_data, error))
        return FALSE;
    }
  return TRUE;
}
