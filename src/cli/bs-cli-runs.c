/* bs-cli-runs.c: `blockscope-cli runs`: the run folders in the runs folder, newest first.
 *
 * Text: a line per run (state, epochs, best test accuracy, snapshots, what
 * it is) and its folder; problems of damaged folders as indented lines.
 * --json: an array of objects, documented in blockscope-cli-runs(1). */
#include <glib/gi18n.h>
#include <math.h>
#include <stdio.h>

#include "bs-cli.h"
#include "bs-run.h"
#include "bs-runs.h"

static double
best_test_accuracy (BsRun *run)
{
  GArray *epochs = bs_run_get_epochs (run);
  double best = NAN;

  for (guint i = 0; i < epochs->len; i++)
    {
      double a = g_array_index (epochs, BsRunEpoch, i).test_accuracy;

      if (isfinite (a) && !(a <= best))
        best = a;
    }
  return best;
}

static guint
epochs_done (BsRun *run)
{
  GArray *epochs = bs_run_get_epochs (run);

  return epochs->len > 0 ? g_array_index (epochs, BsRunEpoch, epochs->len - 1).epoch : 0;
}

/* The state as people read it. */
static const char *
state_describe (BsRun *run)
{
  switch (bs_run_get_state (run))
    {
    case BS_RUN_STATE_RUNNING:
      if (!bs_run_is_training (run))
        /* Translators: the state of a training run that was killed while it trained (it can be resumed). */
        return C_("run state", "interrupted");
      /* Translators: the state of a training run. */
      return C_("run state", "running");
    case BS_RUN_STATE_FINISHED:
      return C_("run state", "finished");
    case BS_RUN_STATE_STOPPED:
      return C_("run state", "stopped");
    case BS_RUN_STATE_FAILED:
    default:
      return C_("run state", "failed");
    }
}

static void
add_run_json (JsonBuilder *b,
              BsRun       *run)
{
  const BsRunSettings *settings = bs_run_get_settings (run);
  GArray *checkpoints = bs_run_get_checkpoint_epochs (run);
  GPtrArray *problems = bs_run_get_problems (run);
  g_autofree char *name = g_path_get_basename (bs_run_get_dir (run));
  g_autofree char *title = bs_run_describe (run);

  json_builder_begin_object (b);
  bs_cli_json_add_string (b, "dir", bs_run_get_dir (run));
  bs_cli_json_add_string (b, "name", name);
  bs_cli_json_add_string (b, "title", title);
  bs_cli_json_add_string (b, "model", settings->model);
  bs_cli_json_add_string (b, "dataset", settings->dataset);
  json_builder_set_member_name (b, "seed");
  json_builder_add_int_value (b, (gint64) settings->recipe.seed);
  bs_cli_json_add_string (b, "state", bs_run_state_to_string (bs_run_get_state (run)));
  bs_cli_json_add_string (b, "error", bs_run_get_error_message (run));
  json_builder_set_member_name (b, "training");
  json_builder_add_boolean_value (b, bs_run_is_training (run));
  json_builder_set_member_name (b, "resumable");
  json_builder_add_boolean_value (b, bs_run_can_resume (run) && !bs_run_is_training (run));
  json_builder_set_member_name (b, "epochs");
  json_builder_add_int_value (b, settings->recipe.epochs);
  json_builder_set_member_name (b, "epochs_done");
  json_builder_add_int_value (b, epochs_done (run));
  json_builder_set_member_name (b, "steps_done");
  json_builder_add_int_value (b, bs_run_get_steps (run)->len);
  bs_cli_json_add_double (b, "best_test_accuracy", best_test_accuracy (run));
  json_builder_set_member_name (b, "snapshots");
  json_builder_add_int_value (b, bs_run_get_snapshots (run)->len);
  json_builder_set_member_name (b, "checkpoints");
  json_builder_begin_array (b);
  for (guint i = 0; i < checkpoints->len; i++)
    {
      g_autofree char *path = bs_run_get_checkpoint_path (run, g_array_index (checkpoints, guint, i));

      json_builder_add_string_value (b, path);
    }
  json_builder_end_array (b);
  bs_cli_json_add_string (b, "created", bs_run_get_created (run));
  json_builder_set_member_name (b, "problems");
  json_builder_begin_array (b);
  for (guint i = 0; i < problems->len; i++)
    json_builder_add_string_value (b, g_ptr_array_index (problems, i));
  json_builder_end_array (b);
  json_builder_end_object (b);
}

static void
print_run (BsRun *run)
{
  const BsRunSettings *settings = bs_run_get_settings (run);
  GPtrArray *problems = bs_run_get_problems (run);
  g_autofree char *title = bs_run_describe (run);
  double best = best_test_accuracy (run);
  g_autofree char *accuracy = isfinite (best) ? g_strdup_printf ("%.2f %%", 100 * best) : g_strdup ("–");
  guint n_snapshots = bs_run_get_snapshots (run)->len;
  /* Translators: the number of CKA snapshots a run holds. */
  g_autofree char *snapshots = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u snapshot", "%u snapshots",
                                                             n_snapshots), n_snapshots);

  /* Translators: a run's state (finished), epochs done, epochs, its best test
   * accuracy ("91.75 %"), its snapshots ("3 snapshots") and what it is
   * ("resnet20 on Fashion-MNIST"). */
  printf (_("%-11s  epoch %u/%u  best %s  %s  %s\n"), state_describe (run),
          epochs_done (run), settings->recipe.epochs, accuracy, snapshots, title);
  printf ("             %s\n", bs_run_get_dir (run));
  if (bs_run_get_error_message (run) != NULL)
    printf ("             %s\n", bs_run_get_error_message (run));
  for (guint i = 0; i < problems->len; i++)
    /* Translators: what is damaged in a run folder. */
    printf (_("             problem: %s\n"), (const char *) g_ptr_array_index (problems, i));
}

int
bs_cli_runs (int    argc,
             char **argv)
{
  g_autofree char *runs_dir = NULL;
  gboolean json = FALSE;
  const GOptionEntry entries[] = {
    { "runs-dir", 0, 0, G_OPTION_ARG_FILENAME, &runs_dir, N_("The folder of run folders (default: $BLOCKSCOPE_RUNS_DIR, else the runs folder)"), "DIR" },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, N_("Print a JSON array of the runs on stdout"), NULL },
    { NULL }
  };
  g_autoptr(GPtrArray) runs = NULL;
  int status;

  if (!bs_cli_parse ("runs", "", N_("List the training runs in the runs folder, newest first."),
                     entries, &argc, &argv, &status))
    return status;
  if (argc > 1)
    return bs_cli_usage_error ("runs", _("unexpected argument '%s'"), argv[1]);
  if (runs_dir == NULL)
    runs_dir = bs_runs_get_dir ();

  runs = bs_runs_list (runs_dir);
  if (json)
    {
      g_autoptr(JsonBuilder) b = json_builder_new ();

      json_builder_begin_array (b);
      for (guint i = 0; i < runs->len; i++)
        add_run_json (b, g_ptr_array_index (runs, i));
      json_builder_end_array (b);
      bs_cli_print_json (b);
      return BS_CLI_EXIT_OK;
    }

  if (runs->len == 0)
    {
      /* Translators: a folder. */
      fprintf (stderr, _("No runs in %s. Start one with: blockscope-cli train --run-dir DIR\n"), runs_dir);
      return BS_CLI_EXIT_OK;
    }
  for (guint i = 0; i < runs->len; i++)
    print_run (g_ptr_array_index (runs, i));
  return BS_CLI_EXIT_OK;
}
