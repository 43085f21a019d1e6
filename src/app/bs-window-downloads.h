/* bs-window-downloads.h: data sets downloaded from the window.
 *
 * Action (win.*): download-dataset (s: cifar10, cifar100, mnist), which
 * the data set chooser's Download buttons activate. The download is a job
 * on the window's queue (the job list shows its progress and stops it);
 * when it ends, the data set is chosen, or the banner says why not (a
 * cancel says nothing). */
#pragma once

#include "bs-job.h"
#include "bs-window.h"

G_BEGIN_DECLS

typedef struct _BsWindowDownloads BsWindowDownloads;

BsWindowDownloads *bs_window_downloads_new     (BsWindow          *window);
void               bs_window_downloads_free    (BsWindowDownloads *self);

/* For tests: the newest download job started here, or NULL. */
BsJob             *bs_window_downloads_get_job (BsWindowDownloads *self);

G_END_DECLS
