/* fuzz-run-input.h: a run folder for the run.json and metrics.jsonl harnesses.
 *
 * The folder is made once by bs_run_create (the project's own writer of
 * run.json and the folders), with a metrics.jsonl of a few steps and an
 * epoch written by the run's own line writers; a harness then replaces one
 * of the two files with its input before every bs_run_open. */
#pragma once

#include "fuzz-util.h"

#include "bs-run.h"
#include "bs-run-private.h"

static char *fuzz_run_dir;

/* Makes the folder; the valid run.json and metrics.jsonl go to json and
 * metrics when they are not NULL. */
static inline void
fuzz_run_setup (char **json,
                char **metrics_text)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GString) metrics = g_string_new (NULL);
  g_autofree char *json_path = NULL;
  BsRunSettings settings;
  BsRun *run;

  bs_fuzz_init ();
  fuzz_run_dir = g_build_filename (bs_fuzz_dir (), "run", NULL);
  bs_run_settings_init (&settings);
  g_free (settings.model);
  settings.model = g_strdup ("resnet8");
  g_free (settings.dataset);
  settings.dataset = g_strdup ("synthetic");
  run = bs_run_create (fuzz_run_dir, &settings, &error);
  if (run == NULL)
    g_error ("%s", error->message);
  bs_run_unref (run);
  bs_run_settings_clear (&settings);
  json_path = g_build_filename (fuzz_run_dir, BS_RUN_JSON, NULL);
  if (json != NULL && !g_file_get_contents (json_path, json, NULL, &error))
    g_error ("%s", error->message);

  for (guint i = 1; i <= 4; i++)
    {
      BsRunStep step = { i, 1 + (i - 1) / 2, 1 + (i - 1) % 2, 2.5f / i, 0.1 / i, 0.5 * i };
      g_autofree char *line = bs_run_step_to_json (&step);

      g_string_append_printf (metrics, "%s\n", line);
      if (i % 2 == 0)
        {
          BsRunEpoch epoch = { i / 2, 2.0 / i, 0.1 * i, 2.1 / i, 0.1 * i, 0.5 * i + 0.1 };
          g_autofree char *epoch_line = bs_run_epoch_to_json (&epoch);

          g_string_append_printf (metrics, "%s\n", epoch_line);
        }
    }
  if (metrics_text != NULL)
    *metrics_text = g_string_free (g_steal_pointer (&metrics), FALSE);
}

/* Opens the run folder with run.json and metrics.jsonl as given. */
static inline void
fuzz_run_open (const void *json,
               gsize       json_size,
               const void *metrics,
               gsize       metrics_size)
{
  g_autofree char *json_path = g_build_filename ("run", BS_RUN_JSON, NULL);
  g_autofree char *metrics_path = g_build_filename ("run", BS_RUN_METRICS, NULL);
  g_autoptr(BsRun) run = NULL;

  g_free (bs_fuzz_write (json_path, json, json_size));
  g_free (bs_fuzz_write (metrics_path, metrics, metrics_size));
  run = bs_run_open (fuzz_run_dir, NULL);

  bs_fuzz_accepted = run != NULL;
  if (run == NULL)
    return;
  g_free (bs_run_describe (run));
  bs_fuzz_touch (bs_run_get_settings (run)->model, 1);
  bs_run_get_state (run);
  bs_run_can_resume (run);
  bs_fuzz_touch (bs_run_get_steps (run)->data, bs_run_get_steps (run)->len * sizeof (BsRunStep));
  bs_fuzz_touch (bs_run_get_epochs (run)->data, bs_run_get_epochs (run)->len * sizeof (BsRunEpoch));
  for (guint i = 0; i < bs_run_get_problems (run)->len; i++)
    bs_fuzz_touch (bs_run_get_problems (run)->pdata[i], 1);
}
