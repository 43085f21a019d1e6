/* bs-cli-info.c: `blockscope-cli info`: version, BLAS library, kernels and threads. */
#include "bs-config.h"

#include <glib/gi18n.h>
#include <json-glib/json-glib.h>
#include <stdio.h>

#include "bs-blas.h"
#include "bs-cli.h"

static const char *
action_id (BsBlasAction action)
{
  switch (action)
    {
    case BS_BLAS_KEPT_DETECTED: return "detected";
    case BS_BLAS_USER_SET: return "user-set";
    case BS_BLAS_OVERRIDDEN: return "overridden";
    case BS_BLAS_UPGRADED: return "upgraded";
    case BS_BLAS_OVERRIDE_FAILED: return "override-failed";
    case BS_BLAS_NO_BETTER_CORE: return "no-better-core";
    case BS_BLAS_RESTART_FAILED: return "restart-failed";
    default: return "unknown";
    }
}

int
bs_cli_info (int    argc,
             char **argv)
{
  gboolean json = FALSE;
  const GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, N_("Print one JSON object"), NULL },
    { NULL }
  };
  const BsEngineConfig *engine = bs_cli_get_engine ();
  const BsBlasInfo *blas;
  const char *conv, *gram;
  int status;

  if (!bs_cli_parse ("info", "", N_("Show the version, the BLAS library and its kernels."),
                     entries, &argc, &argv, &status))
    return status;
  if (argc > 1)
    return bs_cli_usage_error ("info", _("unexpected argument '%s'"), argv[1]);

  blas = bs_blas_get_info ();

  if (json)
    {
      g_autoptr(JsonBuilder) builder = json_builder_new ();

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "version");
      json_builder_add_string_value (builder, BS_VERSION);
      json_builder_set_member_name (builder, "blas_library");
      json_builder_add_string_value (builder, "OpenBLAS");
      json_builder_set_member_name (builder, "blas_config");
      json_builder_add_string_value (builder, blas->config);
      json_builder_set_member_name (builder, "blas_core");
      json_builder_add_string_value (builder, blas->corename);
      json_builder_set_member_name (builder, "blas_fallback_core");
      if (blas->fallback_core)
        json_builder_add_string_value (builder, blas->fallback_core);
      else
        json_builder_add_null_value (builder);
      json_builder_set_member_name (builder, "blas_action");
      json_builder_add_string_value (builder, action_id (blas->action));
      json_builder_set_member_name (builder, "blas_threads");
      json_builder_add_int_value (builder, blas->threads);
      json_builder_set_member_name (builder, "cpus");
      json_builder_add_int_value (builder, g_get_num_processors ());
      bs_cli_add_engine_json (builder);
      json_builder_end_object (builder);

      bs_cli_print_json (builder);
      return BS_CLI_EXIT_OK;
    }

  /* Kernel names (AVX2/FMA, Winograd F(4x4, 3x3)) stay as they are in every language. */
  conv = bs_engine_config_conv_avx512 (engine) ? "AVX-512"
         : bs_engine_config_conv_avx2 (engine) ? "AVX2/FMA" : _("portable");
  gram = bs_engine_config_gram_avx512 (engine) ? "AVX-512"
         : bs_engine_config_gram_avx2 (engine) ? "AVX2/FMA" : _("portable");
  printf ("Blockscope %s\n", BS_VERSION);
  printf (_("BLAS:        OpenBLAS (%s)\n"), blas->config);
  printf (_("Kernels:     %s\n"), blas->corename);
  printf ("             %s", bs_blas_action_describe (blas->action));
  if (blas->fallback_core)
    /* Translators: %s is the name of OpenBLAS's kernels for a CPU, e.g. SkylakeX. */
    printf (_(" (OpenBLAS had chosen %s)"), blas->fallback_core);
  printf ("\n");
  printf (g_dngettext (GETTEXT_PACKAGE, "Threads:     %d BLAS, %u CPU\n", "Threads:     %d BLAS, %u CPUs\n",
                       g_get_num_processors ()),
          blas->threads, g_get_num_processors ());
  if (bs_engine_config_winograd (engine))
    printf (g_dngettext (GETTEXT_PACKAGE,
                         /* Translators: the convolutions' kernels, the Gram kernel and a thread count. */
                         "Engine:      %s convolutions (Winograd F(4x4, 3x3) in evaluation), %s Gram kernel; jobs run on %u thread\n",
                         "Engine:      %s convolutions (Winograd F(4x4, 3x3) in evaluation), %s Gram kernel; jobs run on %u threads\n",
                         engine->threads),
            conv, gram, engine->threads);
  else
    printf (g_dngettext (GETTEXT_PACKAGE,
                         /* Translators: the convolutions' kernels, the Gram kernel and a thread count. */
                         "Engine:      %s convolutions, %s Gram kernel; jobs run on %u thread\n",
                         "Engine:      %s convolutions, %s Gram kernel; jobs run on %u threads\n",
                         engine->threads),
            conv, gram, engine->threads);
  return BS_CLI_EXIT_OK;
}
