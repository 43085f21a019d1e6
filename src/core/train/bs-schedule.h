/* bs-schedule.h: learning rate per step: linear warm-up, then decay to zero.
 *
 * For step s (counted from 0 over the whole run) of total T with W warm-up steps:
 *   s < W:  lr = base * (s + 1) / W
 *   else:   p = (s - W) / (T - W), and
 *           cosine:   lr = base * (1 + cos (pi * p)) / 2
 *           linear:   lr = base * (1 - p)
 *           constant: lr = base
 * Both decays reach zero at s = T, one step after the last. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
  BS_SCHEDULE_LINEAR,
  BS_SCHEDULE_COSINE,
  BS_SCHEDULE_CONSTANT,
} BsScheduleKind;

typedef struct {
  BsScheduleKind kind;
  double         base_lr;
  guint64        warmup_steps;
  guint64        total_steps;
} BsSchedule;

double      bs_schedule_get_lr          (const BsSchedule *schedule,
                                         guint64           step);

/* "linear", "cosine", "constant". */
const char *bs_schedule_kind_to_string  (BsScheduleKind    kind);
gboolean    bs_schedule_kind_from_string (const char      *text,
                                          BsScheduleKind  *kind);

G_END_DECLS
