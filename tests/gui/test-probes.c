/* test-probes.c: Linear Probes in the window (bs-window-probes.c).
 *
 * A small ResNet against itself on the synthetic data set: once the CKA
 * computation has run, win.linear-probes runs a job on the window's queue
 * whose chart shows exactly the accuracies bs_probe_run gives for the same
 * model, data and options (run here independently); the chart is an IMG
 * whose description lists every layer's numbers; Stop (bs_job_cancel, as
 * the job row's button does) ends a run as cancelled and leaves the chart
 * as it was. */
#include "bs-config.h"

#include <math.h>
#include <string.h>

#include "bs-blocks.h"
#include "bs-probe.h"
#include "bs-probe-job.h"
#include "bs-test-utils.h"
#include "bs-test-window-fixture.h"
#include "bs-window-private.h"

#define LIMIT        96
#define BATCH        16
#define TRAIN_IMAGES 300
#define TEST_IMAGES  200
#define EPOCHS       3

typedef BsTestWindowFixture Fixture;

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  bs_test_window_fixture_setup (f, "resnet8", BATCH, LIMIT);
}

static gboolean
inspector_settled (gpointer data)
{
  GtkStack *stack = GTK_STACK (gtk_widget_get_template_child (GTK_WIDGET (data), BS_TYPE_INSPECTOR, "stack"));

  return !gtk_stack_get_transition_running (stack) &&
         g_strcmp0 (gtk_stack_get_visible_child_name (stack), "cell") == 0;
}

static BsJob *
start_probes (Fixture *f)
{
  BsWindowProbes *probes = bs_window_get_probes (f->window);
  GAction *action = g_action_map_lookup_action (G_ACTION_MAP (f->window), "linear-probes");

  g_assert_true (g_action_get_enabled (action));
  bs_window_probes_set_size (probes, TRAIN_IMAGES, TEST_IMAGES, EPOCHS);
  g_action_activate (action, NULL);
  g_assert_nonnull (bs_window_probes_get_job (probes));
  /* One run at a time. */
  g_assert_false (g_action_get_enabled (action));
  return bs_window_probes_get_job (probes);
}

static void
test_chart (Fixture       *f,
            gconstpointer  data)
{
  BsWindowProbes *probes = bs_window_get_probes (f->window);
  BsProbeChart *chart = bs_window_probes_get_chart (probes);
  GAction *action = g_action_map_lookup_action (G_ACTION_MAP (f->window), "linear-probes");
  const BsCkaRequest *cka;
  g_autoptr(GArray) expected = NULL;
  g_autoptr(GError) error = NULL;
  BsProbeOptions options;
  const char *description;
  GArray *shown;
  BsJob *job;

  /* Nothing to probe before the first computation. */
  g_assert_false (g_action_get_enabled (action));
  bs_test_window_compute (f);
  cka = bs_window_get_cka_request (f->window);

  job = start_probes (f);
  g_assert_true (bs_test_wait_until (bs_test_job_is_finished, job, 240000));
  if (bs_job_get_error (job) != NULL)
    g_test_message ("probes failed: %s", bs_job_get_error (job)->message);
  g_assert_cmpint (bs_job_get_state (job), ==, BS_JOB_SUCCEEDED);
  g_assert_true (g_action_get_enabled (action));

  /* The same probes, run here. */
  bs_probe_options_init (&options);
  options.spec = cka->spec_a;
  options.init_seed = cka->init_seed;
  options.dataset_name = cka->dataset;
  options.train_images = TRAIN_IMAGES;
  options.test_images = TEST_IMAGES;
  options.epochs = EPOCHS;
  options.engine = bs_application_get_engine_config (f->app);
  expected = bs_probe_run (&options, NULL, NULL, NULL, NULL, &error);
  g_assert_no_error (error);

  shown = bs_probe_chart_get_results (chart);
  g_assert_nonnull (shown);
  g_assert_cmpuint (shown->len, ==, expected->len);
  g_assert_cmpuint (shown->len, >, 2);
  for (guint i = 0; i < expected->len; i++)
    {
      const BsProbeResult *a = &g_array_index (shown, BsProbeResult, i);
      const BsProbeResult *b = &g_array_index (expected, BsProbeResult, i);

      g_assert_cmpstr (a->info.name, ==, b->info.name);
      g_assert_cmpfloat (a->test_accuracy, ==, b->test_accuracy);
      g_assert_cmpfloat (a->validation_accuracy, ==, b->validation_accuracy);
    }

  /* An IMG with the numbers in its description. */
  g_assert_cmpint (gtk_accessible_get_accessible_role (GTK_ACCESSIBLE (chart)), ==, GTK_ACCESSIBLE_ROLE_IMG);
  description = g_object_get_data (G_OBJECT (chart), "bs-a11y-description");
  g_test_message ("description: %s", description);
  {
    const BsProbeResult *last = &g_array_index (expected, BsProbeResult, expected->len - 1);
    g_autofree char *number = g_strdup_printf ("%s %.1f %%", last->info.name, 100 * last->test_accuracy);

    g_assert_nonnull (strstr (description, number));
  }

  /* A block over the rows of probed layers 2 to 4 shades those three. */
  {
    BsCkaSnapshot *rows = bs_heatmap_get_shown_snapshot (bs_window_get_heatmap (f->window));
    g_autoptr(GArray) blocks = g_array_new (FALSE, TRUE, sizeof (BsBlock));
    BsBlock block = { 0 };

    for (guint r = 0; r < bs_cka_snapshot_get_n_rows (rows); r++)
      {
        if (g_strcmp0 (bs_cka_snapshot_get_row (rows, r)->name, g_array_index (expected, BsProbeResult, 2).info.name) == 0)
          block.first = r;
        if (g_strcmp0 (bs_cka_snapshot_get_row (rows, r)->name, g_array_index (expected, BsProbeResult, 4).info.name) == 0)
          block.last = r;
      }
    g_assert_cmpuint (block.last, >, block.first);
    block.size = block.last - block.first + 1;
    g_array_append_val (blocks, block);
    bs_probe_chart_set_blocks (chart, blocks, rows);
    for (guint i = 0; i < expected->len; i++)
      g_assert_cmpint (bs_probe_chart_in_block (chart, i), ==, i >= 2 && i <= 4);
    description = g_object_get_data (G_OBJECT (chart), "bs-a11y-description");
    g_assert_nonnull (strstr (description, "(in a block)"));
  }

  /* Selecting a cell shows the inspector's extras, the chart among them. */
  bs_test_pointer_park ();
  bs_heatmap_select (bs_window_get_heatmap (f->window), 0, 0);
  g_assert_true (bs_test_wait_until (inspector_settled, bs_window_get_inspector (f->window), 5000));
  gtk_test_widget_wait_for_draw (GTK_WIDGET (f->window));
  g_assert_true (gtk_widget_is_drawable (GTK_WIDGET (chart)));
  {
    g_autoptr(GdkTexture) shot = bs_test_screenshot (GTK_WIDGET (f->window), "probes-window");
    g_autoptr(GdkTexture) chart_shot = bs_test_screenshot (GTK_WIDGET (chart), "probes-chart");
  }
}

static void
test_cancel (Fixture       *f,
             gconstpointer  data)
{
  BsWindowProbes *probes = bs_window_get_probes (f->window);
  GAction *action = g_action_map_lookup_action (G_ACTION_MAP (f->window), "linear-probes");
  BsJob *job;

  bs_test_window_compute (f);
  job = start_probes (f);
  bs_job_cancel (job);
  g_assert_true (bs_test_wait_until (bs_test_job_is_finished, job, 60000));
  g_assert_cmpint (bs_job_get_state (job), ==, BS_JOB_CANCELLED);
  g_assert_null (bs_probe_job_get_results (job));
  g_assert_null (bs_probe_chart_get_results (bs_window_probes_get_chart (probes)));
  g_assert_true (g_action_get_enabled (action));
}

int
main (int   argc,
      char *argv[])
{
  bs_test_init (&argc, &argv);

  g_test_add ("/probes/chart", Fixture, NULL, fixture_setup, test_chart, bs_test_window_fixture_teardown);
  g_test_add ("/probes/cancel", Fixture, NULL, fixture_setup, test_cancel, bs_test_window_fixture_teardown);

  return g_test_run ();
}
