/* bs-cli-common.c: what every subcommand shares: option parsing and error messages. */
#include "bs-cli.h"

#include <stdio.h>

#include "bs-conv-direct.h"
#include "bs-conv-winograd.h"
#include "bs-gram-kernel.h"

int
bs_cli_usage_error (const char *subcommand,
                    const char *format,
                    ...)
{
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);

  fprintf (stderr, "blockscope-cli %s: %s\n", subcommand, message);
  fprintf (stderr, "Run 'blockscope-cli %s --help' for its options.\n", subcommand);
  return BS_CLI_EXIT_USAGE;
}

int
bs_cli_fail (const GError *error)
{
  fprintf (stderr, "blockscope-cli: error: %s\n", error->message);
  return BS_CLI_EXIT_FAILURE;
}

gboolean
bs_cli_parse (const char         *subcommand,
              const char         *parameter_string,
              const char         *summary,
              const GOptionEntry *entries,
              int                *argc,
              char             ***argv,
              int                *exit_status)
{
  g_autoptr(GOptionContext) context = g_option_context_new (parameter_string);
  g_autoptr(GError) error = NULL;
  g_autofree char *prgname = g_strdup_printf ("blockscope-cli %s", subcommand);

  g_set_prgname (prgname);
  g_option_context_set_summary (context, summary);
  g_option_context_add_main_entries (context, entries, NULL);

  if (!g_option_context_parse (context, argc, argv, &error))
    {
      *exit_status = bs_cli_usage_error (subcommand, "%s", error->message);
      return FALSE;
    }

  *exit_status = BS_CLI_EXIT_OK;
  return TRUE;
}

void
bs_cli_add_engine_json (JsonBuilder *builder)
{
  json_builder_set_member_name (builder, "conv_kernels");
  json_builder_add_string_value (builder, bs_conv3_kernels_are_avx2 () ? "avx2" : "portable");
  json_builder_set_member_name (builder, "winograd");
  json_builder_add_boolean_value (builder, bs_conv_winograd_available ());
  json_builder_set_member_name (builder, "gram_kernel");
  json_builder_add_string_value (builder, bs_gram_kernel_is_avx2 () ? "avx2" : "portable");
}
