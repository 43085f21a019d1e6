/* bs-schedule.c: warm-up and decay of the learning rate, per step. */
#include "bs-schedule.h"

#include <math.h>

double
bs_schedule_get_lr (const BsSchedule *schedule,
                    guint64           step)
{
  guint64 warmup = MIN (schedule->warmup_steps, schedule->total_steps);
  double p;

  if (step < warmup)
    return schedule->base_lr * (double) (step + 1) / (double) warmup;
  if (schedule->kind == BS_SCHEDULE_CONSTANT)
    return schedule->base_lr;
  if (step >= schedule->total_steps)
    return 0.0;

  p = (double) (step - warmup) / (double) (schedule->total_steps - warmup);
  switch (schedule->kind)
    {
    case BS_SCHEDULE_COSINE:
      return schedule->base_lr * 0.5 * (1.0 + cos (G_PI * p));
    case BS_SCHEDULE_LINEAR:
    default:
      return schedule->base_lr * (1.0 - p);
    }
}

const char *
bs_schedule_kind_to_string (BsScheduleKind kind)
{
  switch (kind)
    {
    case BS_SCHEDULE_COSINE: return "cosine";
    case BS_SCHEDULE_CONSTANT: return "constant";
    case BS_SCHEDULE_LINEAR:
    default: return "linear";
    }
}

gboolean
bs_schedule_kind_from_string (const char     *text,
                              BsScheduleKind *kind)
{
  if (g_strcmp0 (text, "linear") == 0)
    *kind = BS_SCHEDULE_LINEAR;
  else if (g_strcmp0 (text, "cosine") == 0)
    *kind = BS_SCHEDULE_COSINE;
  else if (g_strcmp0 (text, "constant") == 0)
    *kind = BS_SCHEDULE_CONSTANT;
  else
    return FALSE;
  return TRUE;
}
