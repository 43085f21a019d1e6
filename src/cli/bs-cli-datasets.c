/* bs-cli-datasets.c: `blockscope-cli datasets`. (placeholder until the data set room lands) */
#include "bs-cli.h"

int
bs_cli_datasets (int    argc,
                 char **argv)
{
  return BS_CLI_EXIT_FAILURE;
}
