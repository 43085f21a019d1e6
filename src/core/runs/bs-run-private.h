/* bs-run-private.h: what bs-run.c (the folder) and bs-run-train.c (the training) share. */
#pragma once

#include "bs-run.h"

G_BEGIN_DECLS

#define BS_RUN_JSON "run.json"
#define BS_RUN_METRICS "metrics.jsonl"
#define BS_RUN_CHECKPOINTS "checkpoints"
#define BS_RUN_SNAPSHOTS "snapshots"
#define BS_RUN_LOCK "train.lock"

struct _BsRun {
  gint           ref_count;
  char          *dir;
  BsRunSettings  settings;
  BsRunState     state;
  char          *error_message;
  guint          steps_per_epoch;   /* 0 until the first training */
  char          *created;           /* ISO 8601, UTC */
  char          *version;           /* the Blockscope that last wrote run.json */
  GArray        *steps;             /* BsRunStep */
  GArray        *epochs;            /* BsRunEpoch */
  GArray        *snapshots;         /* BsRunSnapshotInfo */
  GArray        *checkpoint_epochs; /* guint */
  GPtrArray     *problems;          /* char *, translated */
  int            metrics_fd;        /* open for appending while training, else -1 */
};

/* Reads run.json into run's fields (bs-run-json.c). */
gboolean bs_run_read_json          (BsRun            *run,
                                    GError          **error);
/* Now, ISO 8601 in UTC. */
char    *bs_run_now_iso8601        (void);
/* Adds a (translated) problem to bs_run_get_problems (). */
void     bs_run_add_problem        (BsRun            *run,
                                    const char       *format,
                                    ...) G_GNUC_PRINTF (2, 3);
/* Writes run.json (atomically) from run's fields, "updated" set to now. */
gboolean bs_run_save_json          (BsRun            *run,
                                    GError          **error);
/* One whole line (a newline is added) appended to metrics.jsonl with one
 * write () on an O_APPEND descriptor, so a crash leaves whole lines and at
 * most one truncated last line. */
gboolean bs_run_append_metrics     (BsRun            *run,
                                    const char       *json_object,
                                    GError          **error);
void     bs_run_close_metrics      (BsRun            *run);
char    *bs_run_step_to_json       (const BsRunStep  *step);
char    *bs_run_epoch_to_json      (const BsRunEpoch *epoch);
/* Reads the checkpoints and snapshots folders again (problems added). */
void     bs_run_scan_files         (BsRun            *run);
/* Reads metrics.jsonl again (problems added). */
void     bs_run_read_metrics       (BsRun            *run);
/* Whether a snapshot (and so a kept checkpoint) belongs after epoch. */
gboolean bs_run_is_snapshot_epoch  (const BsRunSettings *settings,
                                    guint             epoch);
/* "003-epoch-2.npy", "004-step-700.npy". */
char    *bs_run_snapshot_file_name (guint             index,
                                    gboolean          at_epoch,
                                    guint64           value);
char    *bs_run_path               (BsRun            *run,
                                    const char       *first,
                                    ...) G_GNUC_NULL_TERMINATED;
void     bs_run_snapshot_info_clear (BsRunSnapshotInfo *info);

G_END_DECLS
