/* bs-cli-train.c: placeholder until its room lands. */
#include <stdio.h>

#include "bs-cli.h"

int
bs_cli_train (int    argc,
           char **argv)
{
  fprintf (stderr, "blockscope-cli: this command is not available yet\n");
  return BS_CLI_EXIT_FAILURE;
}
