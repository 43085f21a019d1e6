/* test-blas.c: choosing OpenBLAS kernels on CPUs that OpenBLAS 0.3.21 does not know. */
#include <json-glib/json-glib.h>

#include "bs-blas.h"

static void
test_blas_choice (void)
{
  /* Generic fallbacks are replaced by the best kernel the CPU can run. */
  g_assert_cmpstr (bs_blas_choose_coretype ("Prescott", TRUE, TRUE), ==, "SkylakeX");
  g_assert_cmpstr (bs_blas_choose_coretype ("Prescott", FALSE, TRUE), ==, "Haswell");
  g_assert_cmpstr (bs_blas_choose_coretype ("Nehalem", FALSE, TRUE), ==, "Haswell");
  g_assert_null (bs_blas_choose_coretype ("Prescott", FALSE, FALSE));
  /* A specific core that OpenBLAS chose itself is kept. */
  g_assert_null (bs_blas_choose_coretype ("Haswell", TRUE, TRUE));
  g_assert_null (bs_blas_choose_coretype ("SkylakeX", TRUE, TRUE));
  g_assert_null (bs_blas_choose_coretype ("Zen", FALSE, TRUE));
}

/* Runs `blockscope-cli info --json` with extra environment and returns the parsed object. */
static JsonObject *
run_info (const char *const *extra_env)
{
  g_auto(GStrv) env = g_get_environ ();
  const char *argv[] = { BS_CLI_PATH, "info", "--json", NULL };
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  int status;

  env = g_environ_unsetenv (env, "OPENBLAS_CORETYPE");
  for (guint i = 0; extra_env[i]; i += 2)
    env = g_environ_setenv (env, extra_env[i], extra_env[i + 1], TRUE);

  g_spawn_sync (NULL, (char **) argv, env, G_SPAWN_DEFAULT, NULL, NULL, &out, &err, &status, &error);
  g_assert_no_error (error);
  g_spawn_check_wait_status (status, &error);
  g_assert_no_error (error);

  json_parser_load_from_data (parser, out, -1, &error);
  g_assert_no_error (error);
  return json_object_ref (json_node_get_object (json_parser_get_root (parser)));
}

static void
test_blas_restart_on_fallback (void)
{
  const char *env[] = { "BLOCKSCOPE_BLAS_PRETEND_CORE", "Prescott", NULL };
  g_autoptr(JsonObject) info = NULL;

  __builtin_cpu_init ();
  if (!__builtin_cpu_supports ("avx2") || !__builtin_cpu_supports ("fma"))
    {
      g_test_skip ("this CPU has no AVX2: there is no better core to choose");
      return;
    }

  info = run_info (env);
  g_assert_cmpstr (json_object_get_string_member (info, "blas_action"), ==, "overridden");
  g_assert_cmpstr (json_object_get_string_member (info, "blas_fallback_core"), ==, "Prescott");
  g_assert_cmpstr (json_object_get_string_member (info, "blas_core"), ==,
                   __builtin_cpu_supports ("avx512f") ? "SkylakeX" : "Haswell");
}

/* info names the engine's kernels; the environment switches turn them off. */
static void
test_info_kernels (void)
{
  const char *none[] = { NULL };
  const char *generic[] = { "BS_CONV_GENERIC", "1", "BS_GRAM_GENERIC", "1", NULL };
  const char *no_winograd[] = { "BS_CONV_NO_WINOGRAD", "1", NULL };
  g_autoptr(JsonObject) info = NULL;
  gboolean avx2;

  __builtin_cpu_init ();
  avx2 = __builtin_cpu_supports ("avx2") && __builtin_cpu_supports ("fma");
  info = run_info (none);
  g_assert_cmpstr (json_object_get_string_member (info, "conv_kernels"), ==, avx2 ? "avx2" : "portable");
  g_assert_cmpstr (json_object_get_string_member (info, "gram_kernel"), ==, avx2 ? "avx2" : "portable");
  g_assert_true (json_object_get_boolean_member (info, "winograd") == avx2);
  json_object_unref (g_steal_pointer (&info));

  info = run_info (generic);
  g_assert_cmpstr (json_object_get_string_member (info, "conv_kernels"), ==, "portable");
  g_assert_cmpstr (json_object_get_string_member (info, "gram_kernel"), ==, "portable");
  g_assert_false (json_object_get_boolean_member (info, "winograd"));
  json_object_unref (g_steal_pointer (&info));

  info = run_info (no_winograd);
  g_assert_cmpstr (json_object_get_string_member (info, "conv_kernels"), ==, avx2 ? "avx2" : "portable");
  g_assert_false (json_object_get_boolean_member (info, "winograd"));
}

static void
test_blas_user_value_is_kept (void)
{
  const char *env[] = { "OPENBLAS_CORETYPE", "Prescott",
                        "BLOCKSCOPE_BLAS_PRETEND_CORE", "Prescott", NULL };
  g_autoptr(JsonObject) info = run_info (env);

  g_assert_cmpstr (json_object_get_string_member (info, "blas_action"), ==, "user-set");
  g_assert_cmpstr (json_object_get_string_member (info, "blas_core"), ==, "Prescott");
  g_assert_true (json_object_get_null_member (info, "blas_fallback_core"));
}

static void
test_blas_detected_core_is_kept (void)
{
  const char *env[] = { NULL };
  g_autoptr(JsonObject) info = run_info (env);
  const char *action = json_object_get_string_member (info, "blas_action");

  /* On this machine OpenBLAS either knows the CPU or Blockscope fixed it. */
  g_assert_true (g_str_equal (action, "detected") || g_str_equal (action, "overridden") ||
                 g_str_equal (action, "no-better-core"));
  g_assert_cmpstr (json_object_get_string_member (info, "version"), ==, BS_VERSION_STRING);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/blas/choice", test_blas_choice);
  g_test_add_func ("/blas/restart-on-fallback", test_blas_restart_on_fallback);
  g_test_add_func ("/blas/user-value-is-kept", test_blas_user_value_is_kept);
  g_test_add_func ("/blas/detected-core-is-kept", test_blas_detected_core_is_kept);
  g_test_add_func ("/blas/info-kernels", test_info_kernels);
  return g_test_run ();
}
