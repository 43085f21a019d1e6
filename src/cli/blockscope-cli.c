/* blockscope-cli.c: the headless front end, a small dispatcher over subcommands. */
#include "bs-config.h"

#include <glib-unix.h>
#include <glib/gi18n.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "bs-blas.h"
#include "bs-cli.h"
#include "bs-download.h"
#include "bs-i18n.h"

typedef struct {
  const char *name;
  int       (*run) (int argc, char **argv);
  const char *summary;
} Subcommand;

static const Subcommand subcommands[] = {
  { "train",    bs_cli_train,    N_("Train a ResNet on a data set and save a checkpoint") },
  { "eval",     bs_cli_eval,     N_("Test accuracy of a checkpoint") },
  { "cka",      bs_cli_cka,      N_("Minibatch CKA between every layer of two networks") },
  { "dominant", bs_cli_dominant, N_("List the test images that dominate a layer's first principal component") },
  { "cka-merge", bs_cli_cka_merge, N_("Merge the shards of a CKA run into its result") },
  { "convergence", bs_cli_convergence, N_("Each layer's CKA with its final self over a run's checkpoints") },
  { "seeds", bs_cli_seeds, N_("Mean and spread of CKA across networks trained from different seeds") },
  { "activations", bs_cli_activations, N_("Write every layer's output on test images as .npy files") },
  { "render",   bs_cli_render,   N_("Draw CKA matrices as a figure (PDF, SVG, PNG) or an animation (GIF)") },
  { "blocks",   bs_cli_blocks,   N_("Find the block structure (ranges of alike layers) in a CKA matrix") },
  { "probe",    bs_cli_probe,    N_("Linear probes: how well each layer's activations predict the class") },
  { "bench",    bs_cli_bench,    N_("Measure training, inference or CKA speed") },
  { "runs",     bs_cli_runs,     N_("List the training runs (run folders) and their state") },
  { "datasets", bs_cli_datasets, N_("List the known data sets and where they were found") },
  { "download", bs_cli_download, N_("Download CIFAR-10, CIFAR-100 or MNIST into the data folder") },
  { "import",   bs_cli_import,   N_("Import torchvision's ImageNet ResNet weights (.pth or safetensors)") },
  { "info",     bs_cli_info,     N_("Show the version, the BLAS library and its kernels") },
};

static void
print_usage (FILE *out)
{
  /* Formatted first: a translation as fprintf's format is a format the
   * compiler cannot see (and warns about under the sanitizers). */
  /* Translators: %s is the version, e.g. 0.1.0. */
  g_autofree char *about = g_strdup_printf (_("Blockscope %s: train ResNets and compare their layers with CKA."),
                                            BS_VERSION);

  fprintf (out, "%s\n  %s\n\n", _("Usage:"), _("blockscope-cli COMMAND [OPTION…]"));
  fprintf (out, "%s\n\n%s\n", about, _("Commands:"));
  for (guint i = 0; i < G_N_ELEMENTS (subcommands); i++)
    fprintf (out, "  %-12s %s\n", subcommands[i].name, _(subcommands[i].summary));
  fprintf (out, "\n%s\n", _("Options:"));
  fprintf (out, "  -h, --help   %s\n", _("Show this help (also “blockscope-cli help”)"));
  fprintf (out, "  --version    %s\n", _("Show the version, like “blockscope-cli info”"));
  fprintf (out, "\n%s\n", _("Run “blockscope-cli COMMAND --help” for the options of a command, "
                            "and “man blockscope-cli” for the manual."));
}

int
main (int    argc,
      char **argv)
{
  setlocale (LC_ALL, "");
  bs_i18n_init (GETTEXT_PACKAGE);
  bs_download_prepare_process ();
  bs_blas_init (argv);
  bs_cli_init_engine ();
  /* GLib starts its worker thread with the first signal source, and aborts
   * when it cannot: under a limit on memory that filled up with a network,
   * the signal handlers of train and download would end the process. Start
   * it now, while there is room; it stays. */
  g_source_unref (g_unix_signal_source_new (SIGINT));

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

  fprintf (stderr, "blockscope-cli: ");
  fprintf (stderr, _("unknown command “%s”"), argv[1]);
  fprintf (stderr, "\n%s\n", _("Run “blockscope-cli --help” for the list of commands."));
  return BS_CLI_EXIT_USAGE;
}
