/* bs-cli-bench.c: `blockscope-cli bench train|cka`, a dispatcher. */
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
      printf ("Usage:\n"
              "  blockscope-cli bench train|cka [OPTION...]\n\n"
              "Measure training, inference or CKA speed on random data.\n\n"
              "Benchmarks:\n"
              "  train   Training and inference images per second\n"
              "  cka     Seconds per CKA minibatch\n\n"
              "Run 'blockscope-cli bench train --help' or 'blockscope-cli bench cka --help' for their options.\n");
      return BS_CLI_EXIT_OK;
    }

  return bs_cli_usage_error ("bench", argc >= 2 ? "unknown benchmark '%s' (train or cka)"
                                                : "which benchmark? (train or cka)%s",
                             argc >= 2 ? argv[1] : "");
}
