/* bs-training-dialog.h: New Training Run: the settings of a run, filled
 * with the recipe's defaults, and an estimate of its time on this machine.
 *
 * The estimate times a few training steps of the chosen network on
 * generated images of the data set's shape (on a thread of its own, again
 * when the network or the batch size changes) and scales them to the
 * run's steps, evaluations and snapshots. "Start from" chooses random
 * weights (the seed) or a checkpoint's (fine-tuning, BsRunSettings.init):
 * the ImageNet weights of an imagenet-* network when they are downloaded,
 * or a file; the checkpoint's metadata is read on a thread and the dialog
 * says whether a new head replaces its classes, or refuses (Start stays
 * insensitive) weights of another network or channel count. Start emits "start" with the
 * settings; the window makes the run and its job. */
#pragma once

#include <adwaita.h>

#include "bs-run.h"

G_BEGIN_DECLS

#define BS_TYPE_TRAINING_DIALOG (bs_training_dialog_get_type ())

G_DECLARE_FINAL_TYPE (BsTrainingDialog, bs_training_dialog, BS, TRAINING_DIALOG, AdwWindow)

BsTrainingDialog *bs_training_dialog_new          (GtkWindow              *parent);

/* The demo, "Watch Block Structure Emerge": ResNet-56 on the first 3,000
 * Fashion-MNIST training images, 25 epochs, evaluated on 1,000 test images,
 * a snapshot at initialisation and after every epoch. */
void              bs_training_demo_settings       (BsRunSettings          *settings);

void              bs_training_dialog_set_settings (BsTrainingDialog       *self,
                                                   const BsRunSettings    *settings);
/* What the rows say now (clear it with bs_run_settings_clear ()). */
void              bs_training_dialog_get_settings (BsTrainingDialog       *self,
                                                   BsRunSettings          *settings);
/* As pressing Start. */
void              bs_training_dialog_start        (BsTrainingDialog       *self);
/* The "Start from" line: what happens to the head, or why these weights
 * cannot start the run; *ok whether Start may go, *checking while the
 * checkpoint is being read (both may be NULL). */
const char       *bs_training_dialog_get_init_note (BsTrainingDialog *self,
                                                    gboolean         *ok,
                                                    gboolean         *checking);
/* As choosing "A checkpoint's weights" and the file path in the chooser. */
void              bs_training_dialog_set_init_file (BsTrainingDialog *self,
                                                    const char       *path);
/* The estimate line ("About 12 minutes on this machine"), for tests. */
const char       *bs_training_dialog_get_estimate (BsTrainingDialog       *self);

G_END_DECLS
