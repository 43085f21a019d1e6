/* bs-window-private.h: BsWindow internals that the gui tests reach. */
#pragma once

#include "bs-cka-computation.h"
#include "bs-dataset-cache.h"
#include "bs-heatmap.h"
#include "bs-inspector.h"
#include "bs-job-queue.h"
#include "bs-training-view.h"
#include "bs-window.h"
#include "bs-window-compare.h"
#include "bs-window-downloads.h"
#include "bs-window-export.h"
#include "bs-window-pc1.h"
#include "bs-window-pickers.h"
#include "bs-window-probes.h"
#include "bs-window-shards.h"
#include "bs-window-training.h"
#include "bs-window-weights.h"

G_BEGIN_DECLS

BsHeatmap   *bs_window_get_heatmap     (BsWindow   *self);
BsInspector *bs_window_get_inspector   (BsWindow   *self);
BsJobQueue  *bs_window_get_jobs        (BsWindow   *self);
/* The application's settings the window reads and writes. */
GSettings   *bs_window_get_settings    (BsWindow   *self);
/* The CKA computation running or run last (NULL before the first). */
BsJob       *bs_window_get_cka_job     (BsWindow   *self);
/* Starts a CKA computation as Compute does (NULL while one runs): the
 * heatmap, the title and the subtitle follow it. */
BsJob       *bs_window_start_cka       (BsWindow           *self,
                                        const BsCkaRequest *request);
/* What the computation running or run last was asked (its exclusions
 * left out); NULL before the first. */
const BsCkaRequest *bs_window_get_cka_request (BsWindow *self);
/* The test splits the window's jobs share. */
BsDatasetCache *bs_window_get_datasets (BsWindow *self);
/* The PC1 analysis in the window (bs-window-pc1.h). */
BsWindowPc1 *bs_window_get_pc1         (BsWindow   *self);
/* Linear probes in the window (bs-window-probes.h). */
BsWindowProbes *bs_window_get_probes   (BsWindow   *self);
/* CKA across training time and across seeds (bs-window-compare.h). */
BsWindowCompare *bs_window_get_compare (BsWindow *self);
/* A result shown that no computation makes (a shards folder): the
 * subtitle says text, the progress bar shows fraction (hidden when < 0
 * or 1). Ignored while a computation runs. */
void         bs_window_set_outcome     (BsWindow   *self,
                                        const char *text,
                                        double      fraction);
/* Shards folders watched here (bs-window-shards.h). */
BsWindowShards *bs_window_get_shards   (BsWindow   *self);
/* The header bar's subtitle: idle choices, progress or the last outcome. */
const char  *bs_window_get_subtitle    (BsWindow   *self);
/* The text of the error banner, NULL while it is hidden. */
const char  *bs_window_get_error_text  (BsWindow   *self);
void         bs_window_show_error      (BsWindow   *self,
                                        const char *primary,
                                        const char *detail);
void         bs_window_hide_error      (BsWindow   *self);
/* The header bar's model pickers, which follow what the heatmap shows. */
BsWindowPickers   *bs_window_get_pickers        (BsWindow *self);
/* The header bar's model buttons (A: FALSE, B: TRUE). */
GtkMenuButton     *bs_window_get_model_button   (BsWindow *self,
                                                 gboolean  b);
/* The header bar's data set chooser (its popover lists the data sets). */
GtkMenuButton     *bs_window_get_dataset_button (BsWindow *self);
/* Data sets downloaded here (bs-window-downloads.h). */
BsWindowDownloads *bs_window_get_downloads   (BsWindow *self);
/* Pretrained weights downloaded and imported here (bs-window-weights.h). */
BsWindowWeights   *bs_window_get_weights     (BsWindow *self);
/* The model menus rebuilt and the choices' labels updated (new weights or
 * checkpoints on disk). */
void               bs_window_refresh_models  (BsWindow *self);
/* A banner (GtkInfoBar) of a feature, shown under the error banner. */
void               bs_window_add_banner      (BsWindow  *self,
                                              GtkWidget *banner);
/* Figures and files out, results in (bs-window-export.h). */
BsWindowExport   *bs_window_get_export        (BsWindow *self);
/* Training runs in this window (bs-window-training.h) and their view. */
BsWindowTraining *bs_window_get_training      (BsWindow *self);
BsTrainingView   *bs_window_get_training_view (BsWindow *self);
/* The header bar's title: what the heatmap shows. */
void         bs_window_set_title       (BsWindow   *self,
                                        const char *title);
/* The header bar's title and subtitle (popovers of the window point at it). */
GtkWidget   *bs_window_get_title_widget (BsWindow  *self);
/* The heatmap page rather than the start page. */
void         bs_window_show_heatmap    (BsWindow   *self);
/* The data set Compute would use: the saved choice or the best installed. */
char        *bs_window_resolve_dataset (BsWindow   *self);

G_END_DECLS
