/* bs-training-init.h: whether a checkpoint's weights can start a training run.
 *
 * Fine-tuning (BsRunSettings.init, bs_checkpoint_init_model ()) needs a
 * checkpoint of the same architecture for images of as many channels; a
 * head for another class count is replaced by a new one. The training
 * dialog says which before Start, from the checkpoint's metadata alone
 * (architecture, input_shape, classes, dataset), which is cheaper than
 * building the model: refused with the reason, or accepted with a sentence
 * about the head. */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* The sentence about the head when checkpoint can start model on the data
 * set ("A new head for the 10 classes of CIFAR-10 replaces the 1,000
 * classes of ImageNet."), or NULL with BS_ERROR_MISMATCH saying why not (or
 * the reader's error for a file that is no checkpoint). Blocking. */
char *bs_training_init_check        (const char           *checkpoint,
                                     const char           *model,
                                     const char           *dataset,
                                     GError              **error);

/* The same on a thread of GIO's pool. */
void  bs_training_init_check_async  (const char           *checkpoint,
                                     const char           *model,
                                     const char           *dataset,
                                     GCancellable         *cancellable,
                                     GAsyncReadyCallback   callback,
                                     gpointer              user_data);
char *bs_training_init_check_finish (GAsyncResult         *result,
                                     GError              **error);

G_END_DECLS
