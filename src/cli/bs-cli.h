/* bs-cli.h: the subcommands of blockscope-cli.
 *
 * Each subcommand lives in its own bs-cli-<name>.c and has the shape of a
 * main(): it parses its own options with GOptionContext and returns the exit
 * status. Exit 0 on success, 1 on a failure of the work, 2 on a usage error. */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

#include "bs-dataset.h"
#include "bs-engine-config.h"
#include "bs-thread-pool.h"

G_BEGIN_DECLS

enum {
  BS_CLI_EXIT_OK = 0,
  BS_CLI_EXIT_FAILURE = 1,
  BS_CLI_EXIT_USAGE = 2,
};

int  bs_cli_info       (int argc, char **argv);   /* bs-cli-info.c */
int  bs_cli_datasets   (int argc, char **argv);   /* bs-cli-datasets.c */
int  bs_cli_download   (int argc, char **argv);   /* bs-cli-download.c */
int  bs_cli_import     (int argc, char **argv);   /* bs-cli-import.c */
int  bs_cli_train      (int argc, char **argv);   /* bs-cli-train.c */
int  bs_cli_eval       (int argc, char **argv);   /* bs-cli-eval.c */
int  bs_cli_runs       (int argc, char **argv);   /* bs-cli-runs.c */
int  bs_cli_cka        (int argc, char **argv);   /* bs-cli-cka.c */
int  bs_cli_activations (int argc, char **argv);  /* bs-cli-activations.c */
int  bs_cli_dominant   (int argc, char **argv);   /* bs-cli-dominant.c */
int  bs_cli_convergence (int argc, char **argv);  /* bs-cli-convergence.c */
int  bs_cli_cka_merge  (int argc, char **argv);   /* bs-cli-cka-merge.c */
int  bs_cli_seeds      (int argc, char **argv);   /* bs-cli-seeds.c */
int  bs_cli_render     (int argc, char **argv);   /* bs-cli-render.c */
int  bs_cli_blocks     (int argc, char **argv);   /* bs-cli-blocks.c */
int  bs_cli_probe      (int argc, char **argv);   /* bs-cli-probe.c */
int  bs_cli_bench      (int argc, char **argv);   /* bs-cli-bench.c: dispatches to the two below */
int  bs_cli_bench_train (int argc, char **argv);  /* bs-cli-bench-train.c */
int  bs_cli_bench_cka  (int argc, char **argv);   /* bs-cli-bench-cka.c */

/* Prints "blockscope-cli SUBCOMMAND: message" and a hint to --help; returns BS_CLI_EXIT_USAGE. */
int  bs_cli_usage_error (const char *subcommand,
                         const char *format,
                         ...) G_GNUC_PRINTF (2, 3);
/* Prints "blockscope-cli: error message"; returns BS_CLI_EXIT_FAILURE. */
int  bs_cli_fail        (const GError *error);

/* The engine configuration, read from the environment once by main()
 * (bs_cli_init_engine(), before any thread starts); subcommands pass it to
 * the jobs they run. */
void                  bs_cli_init_engine     (void);
const BsEngineConfig *bs_cli_get_engine      (void);
/* A thread pool with that configuration and threads threads (0: its own count). */
BsThreadPool         *bs_cli_new_pool        (guint        threads);

/* Adds "conv_kernels", "winograd" and "gram_kernel" (which of the engine's
 * kernels run here) to an open JSON object: benchmarks record them. */
void                  bs_cli_add_engine_json (JsonBuilder *builder);
/* Prints the (finished) JSON value of builder on stdout, indented. */
void                  bs_cli_print_json      (JsonBuilder *builder);
/* Prints it on one line and flushes stdout: a line of JSON Lines output. */
void                  bs_cli_print_json_line (JsonBuilder *builder);

/* Runs loop until a worker thread sets *done (with g_atomic_int_set) and
 * wakes it, or, should that wakeup be lost, until a poll a few times a
 * second sees *done: the wakeup is a write() to an eventfd, which fault
 * injection (tests/faults) can make fail, and the command must not wait for
 * it for ever. */
void                  bs_cli_run_until_done  (GMainLoop   *loop,
                                              gint        *done);
/* Adds a member to an open object: value, or null when it is NaN or infinite
 * (JSON has no such numbers). */
void                  bs_cli_json_add_double (JsonBuilder *builder,
                                              const char  *name,
                                              double       value);
/* The name of a loaded data set as users read it, translated where it is
 * not a proper name ("Synthetic"). */
const char           *bs_cli_dataset_display_name (const BsDataset *dataset);
/* Adds a member to an open object: value, or null when it is NULL. */
void                  bs_cli_json_add_string (JsonBuilder *builder,
                                              const char  *name,
                                              const char  *value);

/* Parses argv with entries; on failure prints a usage error. Returns TRUE to go on. */
gboolean bs_cli_parse   (const char         *subcommand,
                         const char         *parameter_string,
                         const char         *summary,
                         const GOptionEntry *entries,
                         int                *argc,
                         char             ***argv,
                         int                *exit_status);

G_END_DECLS
