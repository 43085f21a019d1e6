/* bs-cli-cka.c: placeholder until its room lands. */
#include <stdio.h>

#include "bs-cli.h"

int
bs_cli_cka (int    argc,
           char **argv)
{
  fprintf (stderr, "blockscope-cli: this command is not available yet\n");
  return BS_CLI_EXIT_FAILURE;
}
