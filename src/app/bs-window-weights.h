/* bs-window-weights.h: pretrained ImageNet weights in the window.
 *
 * The model menus list "ResNet-50 (ImageNet weights)" and the like
 * (bs-model-catalog.h) whether their checkpoint is in the weights folder
 * or not. Choosing a missing one shows a banner that offers Download
 * (win.fetch-weights, s: the architecture): a job on the window's queue
 * (bs-weights-job.h) whose end chooses the model, or says in the error
 * banner why not (a cancel says nothing, and the weights folder is as it
 * was).
 *
 * win.import-weights: a state dict (.pth or safetensors) picked with a file
 * chooser; its architecture read from its names when they tell
 * (bs-weights-guess.h), else asked; replacing weights already there is
 * asked too; then an import job whose result is chosen as model A. Every
 * error is the core's message in the error banner. The model menus are
 * rebuilt after each download and import. */
#pragma once

#include <adwaita.h>

#include "bs-job.h"
#include "bs-window.h"

G_BEGIN_DECLS

typedef struct _BsWindowWeights BsWindowWeights;

BsWindowWeights *bs_window_weights_new            (BsWindow        *window);
void             bs_window_weights_free           (BsWindowWeights *self);

/* The window's hook for a new model-a or model-b choice: TRUE when spec
 * names weights that are not downloaded (the banner offers them). */
gboolean         bs_window_weights_notice_choice  (BsWindowWeights *self,
                                                   const char      *key,
                                                   const char      *spec);

/* Import Weights… after the file chooser: what its Open does. */
void             bs_window_weights_import_file    (BsWindowWeights *self,
                                                   const char      *path);

/* For tests: the newest job started here, or NULL; the banner's Download
 * button while it is shown (else NULL); the question being asked (which
 * architecture, or whether to replace), or NULL. */
BsJob             *bs_window_weights_get_job      (BsWindowWeights *self);
GtkWidget         *bs_window_weights_get_download_button (BsWindowWeights *self);
AdwMessageDialog  *bs_window_weights_get_question (BsWindowWeights *self);

G_END_DECLS
