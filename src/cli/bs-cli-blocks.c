/* bs-cli-blocks.c: `blockscope-cli blocks`: the block structure in a CKA matrix of a network against itself.
 *
 * The input is a matrix as `blockscope-cli cka` writes it (M.npy, with its
 * M.json beside it for the layers' names; the matrix alone works) or a run
 * folder (its last snapshot). The method is bs-blocks.h's; the text output
 * is a line per block, --json an object documented in
 * blockscope-cli-blocks(1). */
#include <glib/gi18n.h>
#include <math.h>
#include <stdio.h>

#include "bs-blocks.h"
#include "bs-cka-open.h"
#include "bs-cli.h"
#include "bs-error.h"
#include "bs-run.h"

/* The last readable snapshot of a run folder. */
static BsCkaSnapshot *
open_run (const char  *dir,
          GError     **error)
{
  g_autoptr(BsRun) run = bs_run_open (dir, error);
  GArray *snapshots;

  if (run == NULL)
    return NULL;
  snapshots = bs_run_get_snapshots (run);
  if (snapshots->len == 0)
    {
      /* Translators: a run folder. */
      g_set_error (error, BS_ERROR, BS_ERROR_NOT_FOUND, _("The run '%s' has no CKA snapshots"), dir);
      return NULL;
    }
  return bs_run_load_snapshot (run, g_array_index (snapshots, BsRunSnapshotInfo, snapshots->len - 1).index, error);
}

static const char *
layer_name (const BsCkaSnapshot *snapshot,
            guint                index)
{
  return bs_cka_snapshot_get_row (snapshot, index)->name;
}

static void
print_json (const char            *input,
            const BsCkaSnapshot   *snapshot,
            const BsBlocksOptions *options,
            GArray                *blocks)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();

  json_builder_begin_object (b);
  bs_cli_json_add_string (b, "input", input);
  json_builder_set_member_name (b, "n_layers");
  json_builder_add_int_value (b, bs_cka_snapshot_get_n_rows (snapshot));
  bs_cli_json_add_double (b, "threshold", options->threshold);
  json_builder_set_member_name (b, "min_size");
  json_builder_add_int_value (b, options->min_size);
  bs_cli_json_add_double (b, "min_contrast", options->min_contrast);
  json_builder_set_member_name (b, "blocks");
  json_builder_begin_array (b);
  for (guint i = 0; i < blocks->len; i++)
    {
      const BsBlock *block = &g_array_index (blocks, BsBlock, i);

      json_builder_begin_object (b);
      json_builder_set_member_name (b, "first");
      json_builder_add_int_value (b, block->first);
      json_builder_set_member_name (b, "last");
      json_builder_add_int_value (b, block->last);
      json_builder_set_member_name (b, "size");
      json_builder_add_int_value (b, block->size);
      bs_cli_json_add_string (b, "first_name", layer_name (snapshot, block->first));
      bs_cli_json_add_string (b, "last_name", layer_name (snapshot, block->last));
      bs_cli_json_add_double (b, "mean_inside", block->mean_inside);
      bs_cli_json_add_double (b, "corner", block->corner);
      bs_cli_json_add_double (b, "mean_rest", block->mean_rest);
      bs_cli_json_add_double (b, "edge", block->edge);
      bs_cli_json_add_double (b, "contrast", block->contrast);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  json_builder_end_object (b);
  bs_cli_print_json (b);
}

static void
print_text (const BsCkaSnapshot   *snapshot,
            const BsBlocksOptions *options,
            GArray                *blocks)
{
  /* Translators: the criteria of block detection: a CKA value, a number of layers, a CKA difference. */
  printf (_("Blocks: mean CKA inside at least %.2f, at least %u layers, contrast to the layers around at least %.2f\n"),
          options->threshold, options->min_size, options->min_contrast);
  if (blocks->len == 0)
    {
      printf ("%s\n", _("No block found."));
      return;
    }
  for (guint i = 0; i < blocks->len; i++)
    {
      const BsBlock *block = &g_array_index (blocks, BsBlock, i);
      /* Translators: the number of layers of a block. */
      g_autofree char *size = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u layer", "%u layers", block->size),
                                               block->size);

      /* Translators: a detected block: its first and last layer's names and
       * indices, its size ("12 layers"), then mean CKAs inside the block,
       * to the other layers, and the contrast to the layers just outside it. */
      printf (_("%s – %s (layers %u–%u, %s): mean CKA inside %.3f, to the rest %.3f, contrast %.3f\n"),
              layer_name (snapshot, block->first), layer_name (snapshot, block->last),
              block->first, block->last, size, block->mean_inside, block->mean_rest, block->contrast);
    }
}

int
bs_cli_blocks (int    argc,
               char **argv)
{
  double threshold = BS_BLOCKS_DEFAULT_THRESHOLD, min_contrast = BS_BLOCKS_DEFAULT_MIN_CONTRAST;
  int min_size = BS_BLOCKS_DEFAULT_MIN_SIZE;
  gboolean json = FALSE;
  const GOptionEntry entries[] = {
    { "threshold", 't', 0, G_OPTION_ARG_DOUBLE, &threshold,
      N_("The CKA that joins two layers, and the least mean CKA inside a block (default 0.7)"), "X" },
    { "min-size", 0, 0, G_OPTION_ARG_INT, &min_size, N_("The fewest layers of a block (default 3)"), "N" },
    { "min-contrast", 0, 0, G_OPTION_ARG_DOUBLE, &min_contrast,
      N_("The least difference between the mean CKA inside a block and that of the layers just outside it (default 0.1)"), "X" },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, N_("Print JSON instead of text"), NULL },
    { NULL }
  };
  g_autoptr(GError) error = NULL;
  g_autoptr(BsCkaSnapshot) snapshot = NULL;
  g_autoptr(GArray) blocks = NULL;
  g_autofree char *warning = NULL;
  BsBlocksOptions options;
  int status;

  if (!bs_cli_parse ("blocks", _("MATRIX.npy|RUN-DIR — blocks of alike layers in a CKA matrix"),
                     _("Find the block structure in a CKA matrix of a network against itself: contiguous "
                       "ranges of layers with high mutual CKA and a clear edge (the method is in "
                       "blockscope-cli-blocks(1))."),
                     entries, &argc, &argv, &status))
    return status;
  if (argc != 2)
    return bs_cli_usage_error ("blocks", _("give one matrix (.npy) or run folder"));
  if (min_size < 2)
    return bs_cli_usage_error ("blocks", _("--min-size must be at least 2"));
  if (!isfinite (threshold) || !isfinite (min_contrast))
    return bs_cli_usage_error ("blocks", _("--threshold and --min-contrast must be numbers"));

  if (g_file_test (argv[1], G_FILE_TEST_IS_DIR))
    snapshot = open_run (argv[1], &error);
  else
    snapshot = bs_cka_open_result (argv[1], &warning, &error);
  if (snapshot == NULL)
    return bs_cli_fail (error);
  if (warning != NULL)
    /* Translators: a sentence saying why the layers' names could not be read. */
    g_printerr (_("blockscope-cli blocks: warning: %s\n"), warning);

  options = (BsBlocksOptions) { .threshold = threshold, .min_size = (guint) min_size, .min_contrast = min_contrast };
  blocks = bs_blocks_find (bs_cka_snapshot_get_values (snapshot), bs_cka_snapshot_get_n_rows (snapshot),
                           bs_cka_snapshot_get_n_cols (snapshot), &options, &error);
  if (blocks == NULL)
    return bs_cli_fail (error);

  if (json)
    print_json (argv[1], snapshot, &options, blocks);
  else
    print_text (snapshot, &options, blocks);
  return BS_CLI_EXIT_OK;
}
