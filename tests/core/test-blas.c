/* test-blas.c: choosing OpenBLAS kernels on CPUs that OpenBLAS 0.3.21 does not know. */
#include <errno.h>
#include <json-glib/json-glib.h>
#include <unistd.h>

#include "bs-blas.h"

static void
test_blas_choice (void)
{
  /* The cores Debian's OpenBLAS 0.3.21 falls back to on CPUs it does not know. */
  const char *generic[] = { "Prescott", "Core2", "Penryn", "Dunnington", "Nehalem", "Atom",
                            "Katmai", "Coppermine", "Northwood", "Banias", "Sandybridge",
                            "Barcelona", "Opteron", "Opteron(SSE3)", "Bulldozer", "Unknown",
                            "prescott" };

  /* Generic fallbacks are replaced by the best kernel the CPU can run. */
  for (guint i = 0; i < G_N_ELEMENTS (generic); i++)
    {
      g_assert_cmpstr (bs_blas_choose_coretype (generic[i], TRUE, TRUE), ==, "SkylakeX");
      g_assert_cmpstr (bs_blas_choose_coretype (generic[i], TRUE, FALSE), ==, "SkylakeX");
      g_assert_cmpstr (bs_blas_choose_coretype (generic[i], FALSE, TRUE), ==, "Haswell");
      /* Neither AVX-512 nor AVX2: no better core. */
      g_assert_null (bs_blas_choose_coretype (generic[i], FALSE, FALSE));
    }
  /* No name at all counts as a fallback too. */
  g_assert_cmpstr (bs_blas_choose_coretype (NULL, FALSE, TRUE), ==, "Haswell");
  /* A specific core that OpenBLAS chose itself is kept ... */
  g_assert_null (bs_blas_choose_coretype ("SkylakeX", TRUE, TRUE));
  g_assert_null (bs_blas_choose_coretype ("Cooperlake", TRUE, TRUE));
  g_assert_null (bs_blas_choose_coretype ("Haswell", FALSE, TRUE));
  g_assert_null (bs_blas_choose_coretype ("Zen", FALSE, TRUE));
  /* ... unless it is an AVX2 core on a CPU with AVX-512 (0.3.21 does not
   * know AVX-512 on AMD Zen 4 and 5). */
  g_assert_cmpstr (bs_blas_choose_coretype ("Haswell", TRUE, TRUE), ==, "SkylakeX");
  g_assert_cmpstr (bs_blas_choose_coretype ("Zen", TRUE, TRUE), ==, "SkylakeX");
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

/* info names the engine's kernels; the environment switches turn them off. */
static void
test_info_kernels (void)
{
  const char *none[] = { NULL };
  const char *generic[] = { "BS_CONV_GENERIC", "1", "BS_GRAM_GENERIC", "1", NULL };
  const char *no_winograd[] = { "BS_CONV_NO_WINOGRAD", "1", NULL };
  const char *no_avx512[] = { "BS_NO_AVX512", "1", NULL };
  g_autoptr(JsonObject) info = NULL;
  gboolean avx2, avx512;

  __builtin_cpu_init ();
  avx2 = __builtin_cpu_supports ("avx2") && __builtin_cpu_supports ("fma");
  avx512 = avx2 && __builtin_cpu_supports ("avx512f");
  info = run_info (none);
  g_assert_cmpstr (json_object_get_string_member (info, "conv_kernels"), ==,
                   avx512 ? "avx512" : avx2 ? "avx2" : "portable");
  g_assert_cmpstr (json_object_get_string_member (info, "gram_kernel"), ==,
                   avx512 ? "avx512" : avx2 ? "avx2" : "portable");
  g_assert_true (json_object_get_boolean_member (info, "winograd") == avx2);
  json_object_unref (g_steal_pointer (&info));

  info = run_info (generic);
  g_assert_cmpstr (json_object_get_string_member (info, "conv_kernels"), ==, "portable");
  g_assert_cmpstr (json_object_get_string_member (info, "gram_kernel"), ==, "portable");
  g_assert_false (json_object_get_boolean_member (info, "winograd"));
  json_object_unref (g_steal_pointer (&info));

  info = run_info (no_winograd);
  g_assert_cmpstr (json_object_get_string_member (info, "conv_kernels"), ==,
                   avx512 ? "avx512" : avx2 ? "avx2" : "portable");
  g_assert_false (json_object_get_boolean_member (info, "winograd"));
  json_object_unref (g_steal_pointer (&info));

  info = run_info (no_avx512);
  g_assert_cmpstr (json_object_get_string_member (info, "conv_kernels"), ==, avx2 ? "avx2" : "portable");
  g_assert_cmpstr (json_object_get_string_member (info, "gram_kernel"), ==, avx2 ? "avx2" : "portable");
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

/* The CPU's features as bs_blas_init () reads them. */
static void
cpu_features (gboolean *avx512,
              gboolean *avx2)
{
  __builtin_cpu_init ();
  *avx512 = __builtin_cpu_supports ("avx512f") != 0;
  *avx2 = __builtin_cpu_supports ("avx2") && __builtin_cpu_supports ("fma");
}

/* What OpenBLAS chose for this CPU by itself: main () makes sure that
 * OPENBLAS_CORETYPE was unset when this process started. */
static const char *
native_core (void)
{
  const char *core = bs_blas_get_info ()->corename;

  g_assert_nonnull (core);
  return core;
}

/* OpenBLAS reports a generic fallback: a CPU with AVX-512 or AVX2 restarts
 * with the best core it can run; one without keeps the fallback and says why. */
static void
test_blas_restart_on_fallback (void)
{
  const char *env[] = { "BLOCKSCOPE_BLAS_PRETEND_CORE", "Prescott", NULL };
  g_autoptr(JsonObject) info = run_info (env);
  const char *better;
  gboolean avx512, avx2;

  cpu_features (&avx512, &avx2);
  better = bs_blas_choose_coretype ("Prescott", avx512, avx2);
  if (better == NULL)
    {
      g_assert_cmpstr (json_object_get_string_member (info, "blas_action"), ==, "no-better-core");
      g_assert_true (json_object_get_null_member (info, "blas_fallback_core"));
      g_assert_cmpstr (json_object_get_string_member (info, "blas_core"), ==, native_core ());
      return;
    }
  g_assert_cmpstr (json_object_get_string_member (info, "blas_action"), ==, "overridden");
  g_assert_cmpstr (json_object_get_string_member (info, "blas_fallback_core"), ==, "Prescott");
  g_assert_cmpstr (better, ==, avx512 ? "SkylakeX" : "Haswell");
  g_assert_cmpstr (json_object_get_string_member (info, "blas_core"), ==, better);
}

/* OpenBLAS reports a specific core: nothing is overridden, whatever the CPU
 * can do, except its AVX2 cores on a CPU with AVX-512, which restart with
 * SkylakeX. (BLOCKSCOPE_BLAS_PRETEND_CORE replaces only the name the
 * decision sees; without a restart, the kernels OpenBLAS loaded, blas_core,
 * are this machine's.) */
static void
test_blas_detected_core_is_kept (void)
{
  const char *specific[] = { "Haswell", "SkylakeX", "Zen", "Cooperlake" };
  gboolean avx512, avx2;

  cpu_features (&avx512, &avx2);
  for (guint i = 0; i < G_N_ELEMENTS (specific); i++)
    {
      const char *env[] = { "BLOCKSCOPE_BLAS_PRETEND_CORE", specific[i], NULL };
      gboolean avx2_core = g_str_equal (specific[i], "Haswell") || g_str_equal (specific[i], "Zen");
      g_autoptr(JsonObject) info = NULL;

      for (guint flags = 0; flags < 4; flags++)
        {
          const char *better = bs_blas_choose_coretype (specific[i], flags & 1, flags & 2);

          if (avx2_core && (flags & 1))
            g_assert_cmpstr (better, ==, "SkylakeX");
          else
            g_assert_null (better);
        }

      info = run_info (env);
      g_test_message ("pretending %s: %s", specific[i], json_object_get_string_member (info, "blas_action"));
      g_assert_cmpstr (json_object_get_string_member (info, "version"), ==, BS_VERSION_STRING);
      if (avx2_core && avx512)
        {
          g_assert_cmpstr (json_object_get_string_member (info, "blas_action"), ==, "upgraded");
          g_assert_cmpstr (json_object_get_string_member (info, "blas_fallback_core"), ==, specific[i]);
          g_assert_cmpstr (json_object_get_string_member (info, "blas_core"), ==, "SkylakeX");
          continue;
        }
      g_assert_cmpstr (json_object_get_string_member (info, "blas_action"), ==, "detected");
      g_assert_true (json_object_get_null_member (info, "blas_fallback_core"));
      g_assert_cmpstr (json_object_get_string_member (info, "blas_core"), ==, native_core ());
    }
}

/* With nothing pretended and nothing set, the decision for this machine's
 * own core and CPU, and the action that follows from it. */
static void
test_blas_this_machine (void)
{
  const char *none[] = { NULL };
  g_autoptr(JsonObject) info = run_info (none);
  const char *native = native_core ();
  const char *better;
  gboolean avx512, avx2;

  cpu_features (&avx512, &avx2);
  better = bs_blas_choose_coretype (native, avx512, avx2);
  g_test_message ("OpenBLAS chose %s; AVX-512 %d, AVX2+FMA %d; better core: %s",
                  native, avx512, avx2, better ? better : "none");

  if (better != NULL)
    {
      /* A generic fallback, or an AVX2 core on a CPU with AVX-512: restarted and verified. */
      gboolean upgrade = bs_blas_choose_coretype (native, TRUE, FALSE) != NULL &&
                         bs_blas_choose_coretype (native, FALSE, TRUE) == NULL;

      g_assert_cmpstr (better, ==, avx512 ? "SkylakeX" : "Haswell");
      g_assert_cmpstr (json_object_get_string_member (info, "blas_action"), ==,
                       upgrade ? "upgraded" : "overridden");
      g_assert_cmpstr (json_object_get_string_member (info, "blas_core"), ==, better);
      g_assert_cmpstr (json_object_get_string_member (info, "blas_fallback_core"), ==, native);
    }
  else
    {
      /* A specific core is kept; a generic one stays when nothing is better. */
      gboolean generic = bs_blas_choose_coretype (native, FALSE, TRUE) != NULL;

      g_assert_cmpstr (json_object_get_string_member (info, "blas_action"), ==,
                       generic ? "no-better-core" : "detected");
      g_assert_cmpstr (json_object_get_string_member (info, "blas_core"), ==, native);
      g_assert_true (json_object_get_null_member (info, "blas_fallback_core"));
    }
}

int
main (int    argc,
      char **argv)
{
  /* OpenBLAS reads OPENBLAS_CORETYPE before main (): to see the core it
   * chooses by itself, start again without it. */
  if (g_getenv ("OPENBLAS_CORETYPE") != NULL)
    {
      g_unsetenv ("OPENBLAS_CORETYPE");
      execv ("/proc/self/exe", argv);
      g_error ("could not restart without OPENBLAS_CORETYPE: %s", g_strerror (errno));
    }

  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/blas/choice", test_blas_choice);
  g_test_add_func ("/blas/restart-on-fallback", test_blas_restart_on_fallback);
  g_test_add_func ("/blas/user-value-is-kept", test_blas_user_value_is_kept);
  g_test_add_func ("/blas/detected-core-is-kept", test_blas_detected_core_is_kept);
  g_test_add_func ("/blas/this-machine", test_blas_this_machine);
  g_test_add_func ("/blas/info-kernels", test_info_kernels);
  return g_test_run ();
}
