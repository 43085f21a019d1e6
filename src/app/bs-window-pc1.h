/* bs-window-pc1.h: the PC1 analysis in the window: View › Measure and the dominant images.
 *
 * Actions (win.*): measure (state "cka", "cka-without-pc1" or
 * "pc1-alignment"; Ctrl+1, Ctrl+2, Ctrl+3): which matrix of the snapshot
 * the heatmap, the inspector, the figures and the data export show,
 * disabled while the heatmap's snapshot has no PC1 analysis (a result
 * opened from a file without it, a training run's snapshots);
 * find-dominant-images: a job on the window's queue that finds the test
 * images dominating the selected row's layer (model A), over the
 * computation's image limit or the first 1,000 test images, shown in the
 * inspector's Dominant Images section; cka-without-dominant-images: a new
 * CKA computation as the last one, without those images. The PC1 analysis
 * itself is a GSettings choice (pc1-analysis, win.pc1-analysis) that every
 * computation reads when it starts. */
#pragma once

#include "bs-dominant-images-view.h"
#include "bs-job.h"
#include "bs-window.h"

G_BEGIN_DECLS

/* How many images the section lists, and over how many images at most
 * when the computation uses them all. */
#define BS_WINDOW_PC1_TOP          9
#define BS_WINDOW_PC1_IMAGES       1000

typedef struct _BsWindowPc1 BsWindowPc1;

BsWindowPc1          *bs_window_pc1_new          (BsWindow    *window);
void                  bs_window_pc1_free         (BsWindowPc1 *self);

/* For tests: the section in the inspector, and the dominant images job
 * running or run last (NULL before the first). */
BsDominantImagesView *bs_window_pc1_get_view     (BsWindowPc1 *self);
BsJob                *bs_window_pc1_get_job      (BsWindowPc1 *self);

G_END_DECLS
