/* bs-cli-cka-merge.c: `blockscope-cli cka-merge`: shards of a CKA run into its result.
 *
 * The shards (`cka --shard K/N`, on a cluster's nodes) merge into the same
 * .npy and JSON as one `cka` run of the protocol, bit for bit
 * (bs-cka-shard.h). */
#include "bs-config.h"

#include <glib/gi18n.h>
#include <stdio.h>

#include "bs-cka-export.h"
#include "bs-cka-shard.h"
#include "bs-cli.h"
#include "bs-error.h"

int
bs_cli_cka_merge (int    argc,
                  char **argv)
{
  g_autofree char *out = NULL;
  gboolean partial = FALSE, quiet = FALSE;
  const GOptionEntry entries[] = {
    { "out", 'o', 0, G_OPTION_ARG_FILENAME, &out, N_("Output matrix (required): M.npy or M.csv; M.json is written beside it"), "FILE" },
    { "partial", 0, 0, G_OPTION_ARG_NONE, &partial, N_("Merge the shards there are, even when some are missing"), NULL },
    { "quiet", 'q', 0, G_OPTION_ARG_NONE, &quiet, N_("Nothing on stderr"), NULL },
    { NULL }
  };
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) shards = g_ptr_array_new_with_free_func ((GDestroyNotify) bs_cka_shard_free);
  g_autoptr(BsCkaSnapshot) result = NULL;
  BsCkaExportInfo info = { 0 };
  BsCkaJobOptions options;
  guint missing = 0;
  int status;

  if (!bs_cli_parse ("cka-merge", N_("SHARD.bscka..."),
                     N_("Merge the shards of a CKA run (from “cka --shard K/N”) into its result: the same "
                        "matrix and JSON as one machine's run, bit for bit."),
                     entries, &argc, &argv, &status))
    return status;
  if (argc < 2)
    return bs_cli_usage_error ("cka-merge", _("give the shard files"));
  if (out == NULL || (!g_str_has_suffix (out, ".npy") && !g_str_has_suffix (out, ".csv")))
    return bs_cli_usage_error ("cka-merge", _("--out M.npy or M.csv is required"));

  for (int i = 1; i < argc; i++)
    {
      BsCkaShard *shard = bs_cka_shard_load (argv[i], &error);

      if (shard == NULL)
        return bs_cli_fail (error);
      g_ptr_array_add (shards, shard);
    }
  result = bs_cka_shards_merge ((BsCkaShard *const *) shards->pdata, shards->len, partial, &missing, &error);
  if (result == NULL)
    return bs_cli_fail (error);

  bs_cka_shard_get_options (g_ptr_array_index (shards, 0), &options, &info.dataset, &info.n_examples);
  info.options = &options;
  info.elapsed_seconds = -1;
  if (!bs_cka_export (result, &info, out, &error))
    return bs_cli_fail (error);
  if (!quiet)
    {
      g_autofree char *json_path = bs_cka_export_json_path (out);

      /* Translators: shards, minibatches merged and of all, then two files. */
      fprintf (stderr, _("cka-merge: %u shards, %u of %u minibatches; wrote %s and %s\n"), shards->len,
               bs_cka_snapshot_get_minibatches_done (result), bs_cka_snapshot_get_minibatches_total (result),
               out, json_path);
      if (missing > 0)
        fprintf (stderr, g_dngettext (NULL, "cka-merge: %u shard is missing: the result is partial\n",
                                      "cka-merge: %u shards are missing: the result is partial\n", missing),
                 missing);
    }
  return BS_CLI_EXIT_OK;
}
