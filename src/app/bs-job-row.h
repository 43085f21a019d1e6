/* bs-job-row.h: a row of the job list: a job's title, status and progress, and a stop button. */
#pragma once

#include <gtk/gtk.h>

#include "bs-job.h"

G_BEGIN_DECLS

#define BS_TYPE_JOB_ROW (bs_job_row_get_type ())

G_DECLARE_FINAL_TYPE (BsJobRow, bs_job_row, BS, JOB_ROW, GtkWidget)

/* The row follows the job until it is destroyed. Its button activates
 * win.cancel-job with the job's id. */
GtkWidget *bs_job_row_new     (BsJob    *job);
BsJob     *bs_job_row_get_job (BsJobRow *self);

G_END_DECLS
