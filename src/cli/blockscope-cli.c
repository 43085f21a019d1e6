/* blockscope-cli.c: the headless front end, a small dispatcher over subcommands. */
#include "bs-config.h"

#include <locale.h>
#include <stdio.h>
#include <string.h>

#include "bs-blas.h"
#include "bs-cli.h"
#include "bs-i18n.h"

typedef struct {
  const char *name;
  int       (*run) (int argc, char **argv);
  const char *summary;
} Subcommand;

static const Subcommand subcommands[] = {
  { "train",    bs_cli_train,    "Train a ResNet on a data set and save a checkpoint" },
  { "eval",     bs_cli_eval,     "Test accuracy of a checkpoint" },
  { "cka",      bs_cli_cka,      "Minibatch CKA between every layer of two networks" },
  { "bench",    bs_cli_bench,    "Measure training, inference or CKA speed" },
  { "datasets", bs_cli_datasets, "List the known data sets and where they were found" },
  { "info",     bs_cli_info,     "Show the version, the BLAS library and its kernels" },
};

static void
print_usage (FILE *out)
{
  fprintf (out, "Usage:\n"
                "  blockscope-cli COMMAND [OPTION...]\n\n"
                "Blockscope %s: train ResNets and compare their layers with CKA.\n\n"
                "Commands:\n", BS_VERSION);
  for (guint i = 0; i < G_N_ELEMENTS (subcommands); i++)
    fprintf (out, "  %-10s %s\n", subcommands[i].name, subcommands[i].summary);
  fprintf (out, "\nOptions:\n"
                "  -h, --help   Show this help (also 'blockscope-cli help')\n"
                "  --version    Show the version, like 'blockscope-cli info'\n"
                "\nRun 'blockscope-cli COMMAND --help' for the options of a command,\n"
                "and 'man blockscope-cli' for the manual.\n");
}

int
main (int    argc,
      char **argv)
{
  setlocale (LC_ALL, "");
  bs_i18n_init (GETTEXT_PACKAGE);
  bs_blas_init (argv);
  bs_cli_init_engine ();

  if (argc < 2)
    {
      print_usage (stderr);
      return BS_CLI_EXIT_USAGE;
    }

  if (strcmp (argv[1], "--help") == 0 || strcmp (argv[1], "-h") == 0 || strcmp (argv[1], "help") == 0)
    {
      print_usage (stdout);
      return BS_CLI_EXIT_OK;
    }

  if (strcmp (argv[1], "--version") == 0)
    return bs_cli_info (argc - 1, argv + 1);

  for (guint i = 0; i < G_N_ELEMENTS (subcommands); i++)
    if (strcmp (argv[1], subcommands[i].name) == 0)
      return subcommands[i].run (argc - 1, argv + 1);

  fprintf (stderr, "blockscope-cli: unknown command '%s'\n", argv[1]);
  fprintf (stderr, "Run 'blockscope-cli --help' for the list of commands.\n");
  return BS_CLI_EXIT_USAGE;
}
