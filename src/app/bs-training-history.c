/* bs-training-history.c: steps, epochs and snapshots of one run, on the main thread. */
#include "bs-config.h"

#include "bs-training-history.h"

#include <math.h>

struct _BsTrainingHistory
{
  GObject    parent_instance;

  guint      n_epochs;
  guint64    total_steps;
  GArray    *steps;       /* BsRunStep */
  GArray    *epochs;      /* BsRunEpoch */
  GArray    *snapshots;   /* BsTrainingSnapshotEntry, by index */
};

G_DEFINE_FINAL_TYPE (BsTrainingHistory, bs_training_history, G_TYPE_OBJECT)

enum {
  CHANGED,
  SNAPSHOT_CHANGED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void
clear_entry (gpointer data)
{
  BsTrainingSnapshotEntry *entry = data;

  g_clear_pointer (&entry->snapshot, bs_cka_snapshot_unref);
}

static void
bs_training_history_finalize (GObject *object)
{
  BsTrainingHistory *self = BS_TRAINING_HISTORY (object);

  g_array_unref (self->steps);
  g_array_unref (self->epochs);
  g_array_unref (self->snapshots);

  G_OBJECT_CLASS (bs_training_history_parent_class)->finalize (object);
}

static void
bs_training_history_class_init (BsTrainingHistoryClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = bs_training_history_finalize;

  /* Steps or epochs were added. */
  signals[CHANGED] =
    g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 0);
  /* A snapshot was added or has a newer state: its position. */
  signals[SNAPSHOT_CHANGED] =
    g_signal_new ("snapshot-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, G_TYPE_UINT);
}

static void
bs_training_history_init (BsTrainingHistory *self)
{
  self->steps = g_array_new (FALSE, FALSE, sizeof (BsRunStep));
  self->epochs = g_array_new (FALSE, FALSE, sizeof (BsRunEpoch));
  self->snapshots = g_array_new (FALSE, TRUE, sizeof (BsTrainingSnapshotEntry));
  g_array_set_clear_func (self->snapshots, clear_entry);
}

BsTrainingHistory *
bs_training_history_new (guint   n_epochs,
                         guint64 total_steps)
{
  BsTrainingHistory *self = g_object_new (BS_TYPE_TRAINING_HISTORY, NULL);

  self->n_epochs = n_epochs;
  self->total_steps = total_steps;
  return self;
}

BsTrainingHistory *
bs_training_history_new_from_run (BsRun      *run,
                                  GPtrArray **problems)
{
  const BsRunSettings *settings = bs_run_get_settings (run);
  GArray *steps = bs_run_get_steps (run);
  GArray *epochs = bs_run_get_epochs (run);
  GArray *snapshots = bs_run_get_snapshots (run);
  BsTrainingHistory *self = bs_training_history_new (settings->recipe.epochs, 0);

  g_array_append_vals (self->steps, steps->data, steps->len);
  g_array_append_vals (self->epochs, epochs->data, epochs->len);

  /* The steps per epoch are known once the run has trained. */
  self->total_steps = (guint64) bs_run_get_steps_per_epoch (run) * settings->recipe.epochs;

  for (guint i = 0; i < snapshots->len; i++)
    {
      const BsRunSnapshotInfo *info = &g_array_index (snapshots, BsRunSnapshotInfo, i);
      g_autoptr(GError) error = NULL;
      BsCkaSnapshot *snapshot = bs_run_load_snapshot (run, info->index, &error);
      BsTrainingSnapshotEntry entry = {
        .index = info->index, .epoch = info->epoch, .global_step = info->global_step,
        .snapshot = snapshot, .complete = snapshot != NULL,
      };

      if (snapshot == NULL && problems != NULL)
        {
          if (*problems == NULL)
            *problems = g_ptr_array_new_with_free_func (g_free);
          g_ptr_array_add (*problems, g_strdup (error->message));
        }
      g_array_append_val (self->snapshots, entry);
    }

  return self;
}

guint
bs_training_history_get_n_epochs (BsTrainingHistory *self)
{
  g_return_val_if_fail (BS_IS_TRAINING_HISTORY (self), 0);
  return self->n_epochs;
}

guint64
bs_training_history_get_total_steps (BsTrainingHistory *self)
{
  g_return_val_if_fail (BS_IS_TRAINING_HISTORY (self), 0);
  return self->total_steps;
}

void
bs_training_history_set_total_steps (BsTrainingHistory *self,
                                     guint64            total_steps)
{
  g_return_if_fail (BS_IS_TRAINING_HISTORY (self));
  if (self->total_steps == total_steps)
    return;
  self->total_steps = total_steps;
  g_signal_emit (self, signals[CHANGED], 0);
}

GArray *
bs_training_history_get_steps (BsTrainingHistory *self)
{
  g_return_val_if_fail (BS_IS_TRAINING_HISTORY (self), NULL);
  return self->steps;
}

GArray *
bs_training_history_get_epochs (BsTrainingHistory *self)
{
  g_return_val_if_fail (BS_IS_TRAINING_HISTORY (self), NULL);
  return self->epochs;
}

guint
bs_training_history_get_n_snapshots (BsTrainingHistory *self)
{
  g_return_val_if_fail (BS_IS_TRAINING_HISTORY (self), 0);
  return self->snapshots->len;
}

const BsTrainingSnapshotEntry *
bs_training_history_get_snapshot (BsTrainingHistory *self,
                                  guint              position)
{
  g_return_val_if_fail (BS_IS_TRAINING_HISTORY (self), NULL);
  g_return_val_if_fail (position < self->snapshots->len, NULL);
  return &g_array_index (self->snapshots, BsTrainingSnapshotEntry, position);
}

void
bs_training_history_add_steps (BsTrainingHistory *self,
                               const BsRunStep   *steps,
                               guint              n_steps)
{
  g_return_if_fail (BS_IS_TRAINING_HISTORY (self));
  if (n_steps == 0)
    return;
  /* A resumed run takes again the steps after its last checkpoint. */
  while (self->steps->len > 0 &&
         g_array_index (self->steps, BsRunStep, self->steps->len - 1).global_step >= steps[0].global_step)
    g_array_set_size (self->steps, self->steps->len - 1);
  g_array_append_vals (self->steps, steps, n_steps);
  g_signal_emit (self, signals[CHANGED], 0);
}

void
bs_training_history_add_epoch (BsTrainingHistory *self,
                               const BsRunEpoch  *epoch)
{
  g_return_if_fail (BS_IS_TRAINING_HISTORY (self));
  while (self->epochs->len > 0 &&
         g_array_index (self->epochs, BsRunEpoch, self->epochs->len - 1).epoch >= epoch->epoch)
    g_array_set_size (self->epochs, self->epochs->len - 1);
  g_array_append_vals (self->epochs, epoch, 1);
  g_signal_emit (self, signals[CHANGED], 0);
}

void
bs_training_history_set_snapshot (BsTrainingHistory *self,
                                  guint              index,
                                  guint              epoch,
                                  guint64            global_step,
                                  BsCkaSnapshot     *snapshot,
                                  gboolean           complete)
{
  BsTrainingSnapshotEntry *entry = NULL;
  guint position;

  g_return_if_fail (BS_IS_TRAINING_HISTORY (self));

  for (position = self->snapshots->len; position > 0; position--)
    {
      BsTrainingSnapshotEntry *e = &g_array_index (self->snapshots, BsTrainingSnapshotEntry, position - 1);

      if (e->index == index)
        {
          entry = e;
          position--;
          break;
        }
      if (e->index < index)
        break;
    }

  if (entry == NULL)
    {
      BsTrainingSnapshotEntry added = { .index = index };

      g_array_insert_val (self->snapshots, position, added);
      entry = &g_array_index (self->snapshots, BsTrainingSnapshotEntry, position);
    }

  entry->epoch = epoch;
  entry->global_step = global_step;
  entry->complete = complete;
  if (snapshot != NULL)
    bs_cka_snapshot_ref (snapshot);
  g_clear_pointer (&entry->snapshot, bs_cka_snapshot_unref);
  entry->snapshot = snapshot;

  g_signal_emit (self, signals[SNAPSHOT_CHANGED], 0, position);
}

double
bs_training_history_get_best_test_accuracy (BsTrainingHistory *self)
{
  double best = NAN;

  g_return_val_if_fail (BS_IS_TRAINING_HISTORY (self), NAN);

  for (guint i = 0; i < self->epochs->len; i++)
    {
      double a = g_array_index (self->epochs, BsRunEpoch, i).test_accuracy;

      if (isfinite (a) && (isnan (best) || a > best))
        best = a;
    }
  return best;
}
