/* bs-cli-bench.c: `blockscope-cli bench train|cka`, a dispatcher. */
#include <glib/gi18n.h>
#include <stdio.h>
#include <string.h>

#include "bs-cli.h"

int
bs_cli_bench (int    argc,
              char **argv)
{
  if (argc >= 2 && strcmp (argv[1], "train") == 0)
    return bs_cli_bench_train (argc - 1, argv + 1);
  if (argc >= 2 && strcmp (argv[1], "cka") == 0)
    return bs_cli_bench_cka (argc - 1, argv + 1);

  if (argc >= 2 && (strcmp (argv[1], "--help") == 0 || strcmp (argv[1], "-h") == 0))
    {
      printf ("%s\n  %s\n\n%s\n\n%s\n", _("Usage:"), _("blockscope-cli bench train|cka [OPTION…]"),
              _("Measure training, inference or CKA speed on random data."), _("Benchmarks:"));
      printf ("  train   %s\n", _("Training and inference images per second"));
      printf ("  cka     %s\n\n", _("Seconds per CKA minibatch"));
      printf ("%s\n", _("Run “blockscope-cli bench train --help” or “blockscope-cli bench cka --help” "
                       "for their options."));
      return BS_CLI_EXIT_OK;
    }

  if (argc < 2)
    return bs_cli_usage_error ("bench", "%s", _("which benchmark? (train or cka)"));
  /* Translators: %s is what the user typed after bench. */
  return bs_cli_usage_error ("bench", _("unknown benchmark “%s” (train or cka)"), argv[1]);
}
