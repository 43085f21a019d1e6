/* bs-test-window-fixture.h: the fixture of the gui tests that compute in
 * a window (test-pc1, test-probes, test-compare): a test application,
 * its window and its settings, set for a quick computation on the
 * synthetic data set and put back afterwards, and the computation as a
 * user starts it. */
#pragma once

#include "bs-job.h"
#include "bs-test-utils.h"

G_BEGIN_DECLS

typedef struct {
  BsApplication *app;
  BsWindow      *window;
  GSettings     *settings;
} BsTestWindowFixture;

/* A new application and its window, computing on the synthetic data set
 * in one pass of minibatches of batch_size over its first image_limit
 * images, model against itself (unless model is NULL). */
void      bs_test_window_fixture_setup    (BsTestWindowFixture *f,
                                           const char          *model,
                                           guint                batch_size,
                                           guint                image_limit);
/* Quits the application and resets every setting (whatever the test
 * changed too). A teardown for g_test_add (). */
void      bs_test_window_fixture_teardown (BsTestWindowFixture *f,
                                           gconstpointer        data);

/* Whether job (a BsJob) has finished: for bs_test_wait_until (). */
gboolean  bs_test_job_is_finished         (gpointer             job);

/* Ctrl+Return in the window, as a user computes; waits (two minutes at
 * most) until the CKA job has succeeded, failing the test otherwise, and
 * returns it (the window's). */
BsJob    *bs_test_window_compute          (BsTestWindowFixture *f);

G_END_DECLS
