/* bs-trainer.h: the training loop: epochs of SGD, evaluation, checkpoints.
 *
 * Each epoch draws shuffled (and optionally augmented) batches of the
 * training split, runs forward, loss, backward and an SGD step per batch,
 * then evaluates on the test split in evaluation mode and saves a checkpoint
 * (atomically). Everything random derives from the recipe's seed, so the same
 * seed and thread count give bit-identical weights.
 *
 * The default recipe (bs_train_recipe_init), close to He et al. 2016 but
 * with the learning rate decayed to zero over a short budget:
 *   SGD, momentum 0.9, batch 128, weight decay 5e-4 on weights, biases and
 *   batch-norm affine parameters, learning rate 0.1 with a linear warm-up
 *   over the first 0.2 epochs, then linear decay to zero at the end of the
 *   last epoch; 10 epochs. Augmentation (random crop after reflection
 *   padding by 4, horizontal flip) is on for the photographs of CIFAR-10 and
 *   CIFAR-100, as in the paper, and off for the centred grey images of
 *   MNIST and Fashion-MNIST (a mirrored digit is another shape, and on a
 *   short budget the augmentation only slows learning: ResNet-20 on
 *   Fashion-MNIST, 2 epochs, seed 0, measured 89.97 % test accuracy with it
 *   and 91.75 % without) and for the synthetic gratings (whose orientation
 *   is their class); see bs_train_default_augment.
 *
 * Stopping:
 *   - the GCancellable is checked before every step and every evaluation
 *     batch: the run ends with G_IO_ERROR_CANCELLED and the checkpoint of the
 *     last finished epoch stays as it was;
 *   - a loss (or, at an epoch's end, a parameter) that is NaN or infinite
 *     ends the run with BS_ERROR_DIVERGED; the last good checkpoint is kept. */
#pragma once

#include <gio/gio.h>

#include "bs-dataset.h"
#include "bs-engine-config.h"
#include "bs-model.h"
#include "bs-schedule.h"

G_BEGIN_DECLS

typedef struct {
  guint          epochs;
  guint          batch_size;
  double         lr;              /* peak learning rate, after warm-up */
  double         momentum;
  double         weight_decay;
  BsScheduleKind schedule;
  double         warmup_epochs;   /* may be fractional */
  guint64        seed;            /* shuffling and augmentation (initialisation is the caller's) */
  guint          threads;         /* worker threads of the model; 0: the engine configuration's */
  gboolean       augment;         /* random crop and flip; see bs_train_default_augment */
  guint          limit;           /* use only the first N training images; 0: all */
  guint          test_limit;      /* evaluate on the first N test images; 0: all */
} BsTrainRecipe;

/* The default recipe above; augmentation on. */
void     bs_train_recipe_init    (BsTrainRecipe       *recipe);
/* Whether augmentation is on by default for a data set (by name). */
gboolean bs_train_default_augment (const char        *dataset_name);
/* Rejects settings that make no sense (BS_ERROR_INVALID_ARGUMENT naming the setting). */
gboolean bs_train_recipe_check   (const BsTrainRecipe *recipe,
                                  GError             **error);
/* The recipe as a JSON object, as checkpoints store it. */
char    *bs_train_recipe_to_json (const BsTrainRecipe *recipe);

typedef struct {
  guint   epoch;          /* 1-based */
  guint   n_epochs;
  guint   step;           /* 1-based, within the epoch; the step just taken */
  guint   n_steps;        /* steps per epoch */
  guint   batch;          /* images in this step */
  float   loss;           /* of this step's batch */
  double  lr;             /* used for this step */
  double  images_per_s;   /* training images per second so far in this run */
  double  seconds_left;   /* estimate for the rest of the run, evaluations included */
  guint64 global_step;    /* 1-based, across epochs (a resumed run counts on) */
} BsTrainProgress;

typedef struct {
  guint       epoch;           /* 1-based */
  guint       n_epochs;
  double      train_loss;      /* mean over the epoch's batches, in training mode */
  double      train_accuracy;  /* on those batches, as they were seen */
  double      test_loss;
  double      test_accuracy;
  guint       test_images;
  double      seconds;         /* this epoch, evaluation and checkpoint included */
  const char *checkpoint;      /* the file written, or NULL */
  guint64     global_step;     /* steps taken at the end of the epoch */
} BsTrainEpochResult;

typedef void (*BsTrainProgressFunc) (const BsTrainProgress    *progress,
                                     gpointer                  user_data);
typedef void (*BsTrainEpochFunc)    (const BsTrainEpochResult *result,
                                     gpointer                  user_data);

typedef struct _BsTrainer BsTrainer;

/* Called on the trainer's thread after every every_steps-th global step
 * (epoch_end FALSE; after the progress callback) and after every epoch
 * (epoch_end TRUE; after its checkpoint and the epoch callback). epoch is the
 * current (1-based) epoch. Returning FALSE with error set ends the run with
 * that error. The model may be used (evaluation mode) during the call: the
 * training waits. */
typedef gboolean (*BsTrainHookFunc) (BsTrainer  *trainer,
                                     guint       epoch,
                                     guint64     global_step,
                                     gboolean    epoch_end,
                                     gpointer    user_data,
                                     GError    **error);

/* Checks the recipe, the model against the data set (input shape, classes).
 * The trainer keeps references to neither beyond bs_trainer_free; both must
 * outlive it. The run owns a thread pool with engine (NULL: the defaults),
 * which the model keeps using after the run. */
BsTrainer *bs_trainer_new                 (BsModel              *model,
                                           BsDataset            *dataset,
                                           const BsTrainRecipe  *recipe,
                                           const BsEngineConfig *engine,
                                           GError              **error);
void       bs_trainer_free                (BsTrainer           *trainer);

/* Where to save a checkpoint after every epoch (NULL: nowhere). */
void       bs_trainer_set_checkpoint_path (BsTrainer           *trainer,
                                           const char          *path);
/* Called after every step / every epoch, on the thread that runs the trainer. */
void       bs_trainer_set_progress_func   (BsTrainer           *trainer,
                                           BsTrainProgressFunc  func,
                                           gpointer             user_data);
void       bs_trainer_set_epoch_func      (BsTrainer           *trainer,
                                           BsTrainEpochFunc     func,
                                           gpointer             user_data);

/* Instead of one file: dir/epoch-NNNN.safetensors after every epoch, each
 * with what a resume needs (the momentum buffers, the global step; see
 * bs-checkpoint.h) and the epoch's metrics. */
void       bs_trainer_set_checkpoint_dir  (BsTrainer           *trainer,
                                           const char          *dir);
/* "epoch-0003.safetensors". */
char      *bs_trainer_checkpoint_name     (guint                epoch);
void       bs_trainer_set_hook            (BsTrainer           *trainer,
                                           guint                every_steps,
                                           BsTrainHookFunc      func,
                                           gpointer             user_data);

/* Continues from a checkpoint written with bs_trainer_set_checkpoint_dir:
 * its weights, buffers and momentum go into the trainer's model and
 * bs_trainer_run () starts with the epoch after it. Fails when the file is
 * not such a checkpoint of this model and recipe (no momentum, a global step
 * that does not match the steps per epoch). */
gboolean   bs_trainer_resume              (BsTrainer           *trainer,
                                           const char          *checkpoint,
                                           GError             **error);
/* Completed epochs before bs_trainer_run () starts (0 unless resumed). */
guint      bs_trainer_get_start_epoch     (BsTrainer           *trainer);
BsModel   *bs_trainer_get_model           (BsTrainer           *trainer);
/* The run's recipe, its thread count filled in. */
const BsTrainRecipe *bs_trainer_get_recipe (BsTrainer          *trainer);

guint      bs_trainer_get_steps_per_epoch (BsTrainer           *trainer);

/* Trains for the recipe's epochs. See the top of this file for how it stops. */
gboolean   bs_trainer_run                 (BsTrainer           *trainer,
                                           GCancellable        *cancellable,
                                           GError             **error);

/* The last epoch whose checkpoint was written (0: none yet). */
guint      bs_trainer_get_saved_epoch     (BsTrainer           *trainer);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (BsTrainer, bs_trainer_free)

G_END_DECLS
