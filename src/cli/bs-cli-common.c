/* bs-cli-common.c: what every subcommand shares: option parsing, error
 * messages, JSON output and the engine configuration. */
#include "bs-cli.h"

#include <glib/gi18n.h>
#include <math.h>
#include <stdio.h>

#include "bs-dataset-locate.h"

/* Read once in main(), before any thread starts; read-only afterwards. */
static BsEngineConfig engine;
static gboolean engine_ready;

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
  /* Translators: %s is a command of blockscope-cli, such as train. */
  fprintf (stderr, _("Run “blockscope-cli %s --help” for its options."), subcommand);
  fputc ('\n', stderr);
  return BS_CLI_EXIT_USAGE;
}

int
bs_cli_fail (const GError *error)
{
  /* Translators: %s is the message of what went wrong. */
  fprintf (stderr, _("blockscope-cli: error: %s"), error->message);
  fputc ('\n', stderr);
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
  /* The summary and the entries' descriptions are N_() strings of our domain. */
  g_option_context_set_translation_domain (context, GETTEXT_PACKAGE);
  g_option_context_set_summary (context, summary);
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);

  if (!g_option_context_parse (context, argc, argv, &error))
    {
      *exit_status = bs_cli_usage_error (subcommand, "%s", error->message);
      return FALSE;
    }

  *exit_status = BS_CLI_EXIT_OK;
  return TRUE;
}

void
bs_cli_init_engine (void)
{
  bs_engine_config_init_from_environment (&engine);
  engine_ready = TRUE;
}

const BsEngineConfig *
bs_cli_get_engine (void)
{
  g_return_val_if_fail (engine_ready, bs_engine_config_get_default ());
  return &engine;
}

BsThreadPool *
bs_cli_new_pool (guint threads)
{
  BsEngineConfig config = *bs_cli_get_engine ();

  if (threads > 0)
    config.threads = threads;
  return bs_thread_pool_new_for_config (&config);
}

void
bs_cli_add_engine_json (JsonBuilder *builder)
{
  const BsEngineConfig *config = bs_cli_get_engine ();

  json_builder_set_member_name (builder, "conv_kernels");
  json_builder_add_string_value (builder, bs_engine_config_conv_avx512 (config) ? "avx512"
                                          : bs_engine_config_conv_avx2 (config) ? "avx2" : "portable");
  json_builder_set_member_name (builder, "winograd");
  json_builder_add_boolean_value (builder, bs_engine_config_winograd (config));
  json_builder_set_member_name (builder, "gram_kernel");
  json_builder_add_string_value (builder, bs_engine_config_gram_avx512 (config) ? "avx512"
                                          : bs_engine_config_gram_avx2 (config) ? "avx2" : "portable");
}

static void
print_json (JsonBuilder *builder,
            gboolean     pretty)
{
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(JsonNode) root = json_builder_get_root (builder);
  g_autofree char *text = NULL;

  json_generator_set_root (generator, root);
  json_generator_set_pretty (generator, pretty);
  text = json_generator_to_data (generator, NULL);
  printf ("%s\n", text);
  fflush (stdout);
}

void
bs_cli_print_json (JsonBuilder *builder)
{
  print_json (builder, TRUE);
}

void
bs_cli_print_json_line (JsonBuilder *builder)
{
  print_json (builder, FALSE);
}

void
bs_cli_json_add_double (JsonBuilder *builder,
                        const char  *name,
                        double       value)
{
  json_builder_set_member_name (builder, name);
  if (isfinite (value))
    json_builder_add_double_value (builder, value);
  else
    json_builder_add_null_value (builder);
}

void
bs_cli_json_add_string (JsonBuilder *builder,
                        const char  *name,
                        const char  *value)
{
  json_builder_set_member_name (builder, name);
  if (value != NULL)
    json_builder_add_string_value (builder, value);
  else
    json_builder_add_null_value (builder);
}

const char *
bs_cli_dataset_display_name (const BsDataset *dataset)
{
  const BsDatasetInfo *info = bs_dataset_info_lookup (dataset->name, NULL);

  if (info != NULL)
    return bs_dataset_info_get_display_name (info);
  return dataset->display_name != NULL ? dataset->display_name : dataset->name;
}

typedef struct {
  GMainLoop *loop;
  gint      *done;
} DoneWatch;

static gboolean
check_done (gpointer user_data)
{
  DoneWatch *watch = user_data;

  if (g_atomic_int_get (watch->done))
    g_main_loop_quit (watch->loop);
  return G_SOURCE_CONTINUE;
}

void
bs_cli_run_until_done (GMainLoop *loop,
                       gint      *done)
{
  DoneWatch watch = { loop, done };
  guint id = g_timeout_add (200, check_done, &watch);

  if (!g_atomic_int_get (done))
    g_main_loop_run (loop);
  g_source_remove (id);
}
