/* bs-training-start-from.h: the training dialog's "Start from" rows.
 *
 * Random initialisation (the seed), the ImageNet weights of the chosen
 * network (offered when it is an imagenet-* one and they are downloaded),
 * or a checkpoint file picked with a file chooser: the checkpoint becomes
 * BsRunSettings.init. Each choice of checkpoint, network or data set is
 * checked on a thread from the checkpoint's metadata (bs-training-init.h);
 * a row under the choice says what happens to the head, or why these
 * weights cannot start the run (with a warning sign), and the owner is told
 * whenever the verdict changes, to make Start (in)sensitive. */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

typedef struct _BsStartFrom BsStartFrom;

/* The verdict changed (bs_start_from_get_note ()). */
typedef void (*BsStartFromChanged) (gpointer user_data);

/* Appends the rows to group; parent is the chooser's parent. */
BsStartFrom *bs_start_from_new            (AdwPreferencesGroup *group,
                                           GtkWindow           *parent,
                                           BsStartFromChanged   changed,
                                           gpointer             user_data);
/* Stops any check (the callback is not called again) and the chooser. */
void         bs_start_from_free           (BsStartFrom         *self);

/* The network and data set the run trains (the choices follow the network). */
void         bs_start_from_set_target     (BsStartFrom         *self,
                                           const char          *model,
                                           const char          *dataset);
/* Shows settings' init (NULL: random) for model's run. */
void         bs_start_from_set_checkpoint (BsStartFrom         *self,
                                           const char          *model,
                                           const char          *checkpoint);
/* As choosing "Checkpoint file" and path in the chooser. */
void         bs_start_from_choose_file    (BsStartFrom         *self,
                                           const char          *path);
/* The checkpoint chosen (free it), or NULL for random initialisation. */
char        *bs_start_from_get_checkpoint (BsStartFrom         *self);
/* The line under the choice (NULL when there is nothing to say); *ok
 * whether the run may start, *checking while the checkpoint is read. */
const char  *bs_start_from_get_note       (BsStartFrom         *self,
                                           gboolean            *ok,
                                           gboolean            *checking);

G_END_DECLS
