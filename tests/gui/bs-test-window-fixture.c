/* bs-test-window-fixture.c: a window to compute in, for the gui tests
 * (see the header). */
#include "bs-config.h"

#include "bs-test-window-fixture.h"

#include <string.h>

#include "bs-window-private.h"

void
bs_test_window_fixture_setup (BsTestWindowFixture *f,
                              const char          *model,
                              guint                batch_size,
                              guint                image_limit)
{
  memset (f, 0, sizeof *f);
  f->app = bs_test_app_new ();
  f->window = bs_test_app_get_window (f->app);
  f->settings = g_object_ref (bs_application_get_settings (f->app));
  g_settings_set_string (f->settings, "dataset", "synthetic");
  if (model != NULL)
    {
      g_settings_set_string (f->settings, "model-a", model);
      g_settings_set_string (f->settings, "model-b", model);
    }
  g_settings_set_uint (f->settings, "passes", 1);
  g_settings_set_uint (f->settings, "batch-size", batch_size);
  g_settings_set_uint (f->settings, "image-limit", image_limit);
}

void
bs_test_window_fixture_teardown (BsTestWindowFixture *f,
                                 gconstpointer        data)
{
  g_autoptr(GSettingsSchema) schema = NULL;
  g_auto(GStrv) keys = NULL;

  bs_test_app_quit (f->app);
  g_object_unref (f->app);
  /* The settings outlive the application (the memory backend lives as
   * long as the process): the next test starts from the defaults. */
  g_object_get (f->settings, "settings-schema", &schema, NULL);
  keys = g_settings_schema_list_keys (schema);
  for (guint i = 0; keys[i] != NULL; i++)
    g_settings_reset (f->settings, keys[i]);
  g_clear_object (&f->settings);
}

gboolean
bs_test_job_is_finished (gpointer job)
{
  return bs_job_is_finished (job);
}

BsJob *
bs_test_window_compute (BsTestWindowFixture *f)
{
  BsJob *job;

  bs_test_key_press (GTK_WIDGET (f->window), GDK_KEY_Return, GDK_CONTROL_MASK);
  job = bs_window_get_cka_job (f->window);
  g_assert_nonnull (job);
  g_assert_true (bs_test_wait_until (bs_test_job_is_finished, job, 120000));
  if (bs_job_get_error (job) != NULL)
    g_test_message ("job failed: %s", bs_job_get_error (job)->message);
  g_assert_cmpint (bs_job_get_state (job), ==, BS_JOB_SUCCEEDED);
  return job;
}
