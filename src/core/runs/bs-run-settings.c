/* bs-run-settings.c: what a run is (model, data, recipe, snapshot plan) and its states. */
#include "bs-run-private.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "bs-error.h"

void
bs_snapshot_plan_init (BsSnapshotPlan *plan)
{
  plan->at_init = TRUE;
  plan->every_epochs = 1;
  plan->every_steps = 0;
  plan->probe_images = 1024;
  plan->probe_batch = 256;
  plan->probe_passes = 1;
}

gboolean
bs_snapshot_plan_check (const BsSnapshotPlan *plan,
                        GError              **error)
{
  const char *bad = NULL;

  if (plan->probe_batch < 4 || plan->probe_batch > 65536)
    bad = _("the probe minibatch size must be between 4 and 65536");
  else if (plan->probe_images < plan->probe_batch)
    bad = _("the probe images must be at least one minibatch");
  else if (plan->probe_passes < 1 || plan->probe_passes > 1000)
    bad = _("the probe passes must be between 1 and 1000");

  if (bad != NULL)
    {
      g_set_error (error, BS_ERROR, BS_ERROR_INVALID_ARGUMENT, _("Invalid snapshot settings: %s"), bad);
      return FALSE;
    }
  return TRUE;
}

gboolean
bs_snapshot_plan_check_dataset (const BsSnapshotPlan *plan,
                                const BsDataset      *dataset,
                                GError              **error)
{
  guint images = MIN (plan->probe_images, dataset->test.n_images);

  if ((plan->at_init || plan->every_epochs > 0 || plan->every_steps > 0) && images < plan->probe_batch)
    {
      g_set_error (error, BS_ERROR, BS_ERROR_INVALID_ARGUMENT,
                   /* Translators: a data set, its test images, then the probe minibatch size. */
                   _("Invalid snapshot settings: the test split of %s has %u images, fewer than a probe minibatch of %u"),
                   dataset->name, images, plan->probe_batch);
      return FALSE;
    }
  return TRUE;
}

void
bs_run_settings_init (BsRunSettings *settings)
{
  memset (settings, 0, sizeof *settings);
  settings->model = g_strdup ("resnet20");
  settings->init_seed = 0;
  settings->dataset = g_strdup ("fashion-mnist");
  bs_train_recipe_init (&settings->recipe);
  settings->recipe.augment = bs_train_default_augment (settings->dataset);
  bs_snapshot_plan_init (&settings->plan);
  settings->keep_all_checkpoints = FALSE;
}

void
bs_run_settings_clear (BsRunSettings *settings)
{
  g_clear_pointer (&settings->model, g_free);
  g_clear_pointer (&settings->init, g_free);
  g_clear_pointer (&settings->dataset, g_free);
}

void
bs_run_settings_copy (const BsRunSettings *src,
                      BsRunSettings       *dest)
{
  *dest = *src;
  dest->model = g_strdup (src->model);
  dest->init = g_strdup (src->init);
  dest->dataset = g_strdup (src->dataset);
}

gboolean
bs_run_is_snapshot_epoch (const BsRunSettings *settings,
                          guint                epoch)
{
  guint k = settings->plan.every_epochs;

  if (epoch == 0)
    return settings->plan.at_init;
  return k > 0 && (epoch % k == 0 || epoch == settings->recipe.epochs);
}

const char *
bs_run_state_to_string (BsRunState state)
{
  switch (state)
    {
    case BS_RUN_STATE_RUNNING: return "running";
    case BS_RUN_STATE_FINISHED: return "finished";
    case BS_RUN_STATE_STOPPED: return "stopped";
    case BS_RUN_STATE_FAILED: return "failed";
    default: return "failed";
    }
}

gboolean
bs_run_state_from_string (const char *text,
                          BsRunState *state)
{
  for (int s = BS_RUN_STATE_RUNNING; s <= BS_RUN_STATE_FAILED; s++)
    if (g_strcmp0 (text, bs_run_state_to_string (s)) == 0)
      {
        *state = s;
        return TRUE;
      }
  return FALSE;
}
