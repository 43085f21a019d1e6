/* bs-cli-render.c: `blockscope-cli render`: CKA results as figures for papers and animations.
 *
 * Inputs are matrices as `blockscope-cli cka` writes them (M.npy with its
 * M.json beside it, for layer names, models and stages) or run folders
 * (their snapshots, in order, labelled by epoch or step). The output's
 * extension says what is made: .pdf, .svg or .png a figure with one panel
 * per matrix, .gif an animation with one frame per matrix; --frames makes
 * numbered PNGs instead. A missing or damaged JSON falls back to layer
 * numbers, and says so. --pc1-strips and --blocks draw the analyses over
 * the figure (bs-figure-analyses.h). */
#include <glib/gi18n.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "bs-cka-open.h"
#include "bs-cli.h"
#include "bs-error.h"
#include "bs-figure-animation.h"
#include "bs-run.h"

/* Matrices, each with a label for a frame. */
typedef struct {
  GPtrArray *snapshots;   /* BsCkaSnapshot */
  GPtrArray *labels;      /* char *, or NULL */
} Inputs;

static void
inputs_clear (Inputs *inputs)
{
  g_clear_pointer (&inputs->snapshots, g_ptr_array_unref);
  g_clear_pointer (&inputs->labels, g_ptr_array_unref);
}

static void
inputs_add (Inputs        *inputs,
            BsCkaSnapshot *snapshot,
            char          *label)
{
  g_ptr_array_add (inputs->snapshots, snapshot);
  g_ptr_array_add (inputs->labels, label);
}

static gboolean
add_matrix (Inputs      *inputs,
            const char  *path,
            GError     **error)
{
  g_autofree char *warning = NULL;
  BsCkaSnapshot *snapshot = bs_cka_open_result (path, &warning, error);

  if (snapshot == NULL)
    return FALSE;
  if (warning != NULL)
    g_printerr (_("blockscope-cli render: warning: %s\n"), warning);
  inputs_add (inputs, snapshot, NULL);
  return TRUE;
}

static gboolean
add_run (Inputs      *inputs,
         const char  *dir,
         GError     **error)
{
  g_autoptr(BsRun) run = bs_run_open (dir, error);
  GArray *snapshots;

  if (run == NULL)
    return FALSE;
  snapshots = bs_run_get_snapshots (run);
  if (snapshots->len == 0)
    {
      g_set_error (error, BS_ERROR, BS_ERROR_NOT_FOUND, _("The run '%s' has no CKA snapshots"), dir);
      return FALSE;
    }
  for (guint i = 0; i < snapshots->len; i++)
    {
      const BsRunSnapshotInfo *info = &g_array_index (snapshots, BsRunSnapshotInfo, i);
      g_autoptr(GError) snapshot_error = NULL;
      BsCkaSnapshot *snapshot = bs_run_load_snapshot (run, info->index, &snapshot_error);
      char *label;

      if (snapshot == NULL)
        {
          /* A damaged snapshot is left out; the others still make a figure. */
          g_printerr (_("blockscope-cli render: warning: %s; left out\n"), snapshot_error->message);
          continue;
        }
      if (info->epoch == 0 && info->global_step == 0)
        label = g_strdup (_("initialisation"));
      else
        {
          char step[32];

          g_snprintf (step, sizeof step, "%" G_GUINT64_FORMAT, info->global_step);
          /* Translators: the label of an animation frame: completed epochs, then steps. */
          label = g_strdup_printf (_("epoch %u · step %s"), info->epoch, step);
        }
      inputs_add (inputs, snapshot, label);
    }
  if (inputs->snapshots->len == 0)
    {
      g_set_error (error, BS_ERROR, BS_ERROR_FORMAT, _("No snapshot of the run '%s' could be read"), dir);
      return FALSE;
    }
  return TRUE;
}

static gboolean
parse_range (const char    *text,
             BsFigureRange *range,
             double        *lo,
             double        *hi)
{
  g_auto(GStrv) parts = NULL;
  char *end_lo, *end_hi;

  if (text == NULL || strcmp (text, "fixed") == 0)
    *range = BS_FIGURE_RANGE_FIXED;
  else if (strcmp (text, "data") == 0)
    *range = BS_FIGURE_RANGE_DATA;
  else
    {
      /* LO:HI */
      parts = g_strsplit (text, ":", 2);
      if (g_strv_length (parts) != 2)
        return FALSE;
      *lo = g_ascii_strtod (parts[0], &end_lo);
      *hi = g_ascii_strtod (parts[1], &end_hi);
      if (end_lo == parts[0] || *end_lo != '\0' || end_hi == parts[1] || *end_hi != '\0')
        return FALSE;
      *range = BS_FIGURE_RANGE_CUSTOM;
    }
  return TRUE;
}

/* A finite number and nothing else. */
static gboolean
parse_number (const char *text,
              double     *value)
{
  char *end;

  *value = g_ascii_strtod (text, &end);
  return end != text && *end == '\0' && isfinite (*value);
}

int
bs_cli_render (int    argc,
               char **argv)
{
  g_autofree char *out = NULL, *colormap = NULL, *range = NULL, *title = NULL, *panel_titles = NULL;
  g_autofree char *width = NULL;
  g_auto(GStrv) titles = NULL;
  int columns = 0, frame_ms = 400;
  g_autofree char *block_threshold_text = NULL;
  double font_size = 8, dpi = -1, std_error_above = -1, block_threshold = NAN;
  gboolean mask_upper = FALSE, stage_lines = FALSE, frames = FALSE, pc1_strips = FALSE, blocks = FALSE;
  const GOptionEntry entries[] = {
    { "out", 'o', 0, G_OPTION_ARG_FILENAME, &out, N_("The file to write: .pdf, .svg or .png (a figure), .gif (an animation)"), "FILE" },
    { "colormap", 0, 0, G_OPTION_ARG_STRING, &colormap, N_("Colour map: magma (default), viridis, inferno, plasma or grey"), "NAME" },
    { "range", 0, 0, G_OPTION_ARG_STRING, &range, N_("Colour range: fixed (0 to 1, default), data, or LO:HI"), "RANGE" },
    { "title", 0, 0, G_OPTION_ARG_STRING, &title, N_("A title above the figure"), "TEXT" },
    { "panel-titles", 0, 0, G_OPTION_ARG_STRING, &panel_titles, N_("Titles of the panels, separated by commas"), "A,B,..." },
    { "columns", 0, 0, G_OPTION_ARG_INT, &columns, N_("Panels per row (default: all in one row)"), "N" },
    { "width", 0, 0, G_OPTION_ARG_STRING, &width, N_("Figure width: 3.5in (default), 7in, 89mm, 183mm, 252pt …"), "LENGTH" },
    { "font-size", 0, 0, G_OPTION_ARG_DOUBLE, &font_size, N_("Font size in points (default 8)"), "PT" },
    { "dpi", 0, 0, G_OPTION_ARG_DOUBLE, &dpi, N_("Pixels per inch of PNG and GIF output (default 300; 100 for animations)"), "DPI" },
    { "mask-upper", 0, 0, G_OPTION_ARG_NONE, &mask_upper, N_("Leave the cells above the diagonal blank (a model against itself)"), NULL },
    { "std-error-above", 0, 0, G_OPTION_ARG_DOUBLE, &std_error_above, N_("Mark the cells whose standard error exceeds this"), "X" },
    { "stage-lines", 0, 0, G_OPTION_ARG_NONE, &stage_lines, N_("Draw lines over the cells where the stages change"), NULL },
    { "pc1-strips", 0, 0, G_OPTION_ARG_NONE, &pc1_strips, N_("Show each layer's PC1 share in strips above and to the right of the cells (results of cka --pc1 or --measure)"), NULL },
    { "blocks", 0, 0, G_OPTION_ARG_NONE, &blocks, N_("Outline the blocks detected in each network-against-itself matrix (as blockscope-cli blocks finds them)"), NULL },
    { "block-threshold", 0, 0, G_OPTION_ARG_STRING, &block_threshold_text, N_("The least CKA that joins layers into a block (default 0.7; needs --blocks)"), "T" },
    { "frame-ms", 0, 0, G_OPTION_ARG_INT, &frame_ms, N_("How long each frame of an animation shows, in milliseconds (default 400)"), "MS" },
    { "frames", 0, 0, G_OPTION_ARG_NONE, &frames, N_("Write one numbered PNG per matrix (NAME-000.png …) instead of a figure"), NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new (_("MATRIX.npy|RUN-DIR… — figures and animations of CKA results"));
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) panels = g_array_new (FALSE, TRUE, sizeof (BsFigurePanel));
  g_autoptr(GArray) frame_list = g_array_new (FALSE, TRUE, sizeof (BsFigureFrame));
  BsFigureAnimationOptions options;
  BsFigureFormat format = BS_FIGURE_FORMAT_PNG;
  gboolean animation;
  Inputs inputs = {
    .snapshots = g_ptr_array_new_with_free_func ((GDestroyNotify) bs_cka_snapshot_unref),
    .labels = g_ptr_array_new_with_free_func (g_free),
  };
  int status = BS_CLI_EXIT_OK;

  g_option_context_set_translation_domain (context, GETTEXT_PACKAGE);
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  g_option_context_set_summary (context, _("Draw CKA matrices (from “blockscope-cli cka” or run folders) as a figure "
                                           "with one panel per matrix, or as an animation with one frame each."));
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      inputs_clear (&inputs);
      return bs_cli_usage_error ("render", "%s", error->message);
    }

  bs_figure_animation_options_init (&options);
  if (out == NULL)
    status = bs_cli_usage_error ("render", _("--out FILE is required"));
  else if (argc < 2)
    status = bs_cli_usage_error ("render", _("give at least one matrix (.npy) or run folder"));
  else if (colormap != NULL && !bs_colormap_from_string (colormap, &options.figure.colormap))
    status = bs_cli_usage_error ("render", _("unknown colour map '%s'"), colormap);
  else if (!parse_range (range, &options.figure.range, &options.figure.lo, &options.figure.hi))
    status = bs_cli_usage_error ("render", _("--range must be fixed, data or LO:HI, not '%s'"), range);
  else if (width != NULL && !bs_figure_parse_length (width, &options.figure.width_pt, &error))
    status = bs_cli_usage_error ("render", "%s", error->message);
  else if (columns < 0 || frame_ms < 0)
    status = bs_cli_usage_error ("render", _("--columns and --frame-ms must not be negative"));
  else if (block_threshold_text != NULL && !blocks)
    status = bs_cli_usage_error ("render", _("--block-threshold needs --blocks"));
  else if (block_threshold_text != NULL && !parse_number (block_threshold_text, &block_threshold))
    status = bs_cli_usage_error ("render", _("--block-threshold must be a number, not '%s'"), block_threshold_text);
  if (status != BS_CLI_EXIT_OK)
    {
      inputs_clear (&inputs);
      return status;
    }

  animation = frames || g_str_has_suffix (out, ".gif") || g_str_has_suffix (out, ".GIF");
  if (!animation && !bs_figure_format_from_path (out, &format, &error))
    {
      inputs_clear (&inputs);
      return bs_cli_usage_error ("render", "%s", error->message);
    }

  for (int i = 1; i < argc && error == NULL; i++)
    {
      if (g_file_test (argv[i], G_FILE_TEST_IS_DIR))
        add_run (&inputs, argv[i], &error);
      else
        add_matrix (&inputs, argv[i], &error);
    }
  if (error != NULL)
    {
      inputs_clear (&inputs);
      return bs_cli_fail (error);
    }

  options.figure.font_size_pt = font_size;
  options.figure.title = title;
  options.figure.mask_upper = mask_upper;
  options.figure.stage_lines = stage_lines;
  options.figure.std_error_threshold = std_error_above >= 0 ? std_error_above : NAN;
  options.figure.columns = (guint) columns;
  options.figure.pc1_strips = pc1_strips;
  options.figure.blocks = blocks;
  if (!isnan (block_threshold))
    options.figure.block_threshold = block_threshold;
  options.frame_ms = (guint) frame_ms;
  if (!animation)
    options.figure.dpi = 300;
  if (dpi > 0)
    options.figure.dpi = dpi;

  /* The colour bar says what the matrices hold (the measure, or the seeds'
   * deviation of it); "Similarity" when they differ. */
  for (guint i = 0; i < inputs.snapshots->len; i++)
    {
      const char *label = bs_cka_snapshot_get_label (g_ptr_array_index (inputs.snapshots, i));

      if (i == 0)
        options.figure.measure = label;
      else if (g_strcmp0 (label, bs_cka_snapshot_get_label (g_ptr_array_index (inputs.snapshots, 0))) != 0)
        /* Translators: above the colour bar of panels that measure different things (CKA, PC1 alignment). */
        options.figure.measure = _("Similarity");
    }
  titles = panel_titles != NULL ? g_strsplit (panel_titles, ",", -1) : NULL;
  for (guint i = 0; i < inputs.snapshots->len; i++)
    {
      BsFigurePanel panel = { .snapshot = g_ptr_array_index (inputs.snapshots, i) };
      BsFigureFrame frame = { .snapshot = panel.snapshot, .label = g_ptr_array_index (inputs.labels, i) };

      if (titles != NULL && i < g_strv_length (titles))
        {
          panel.title = g_strstrip (titles[i]);
          frame.label = panel.title;
        }
      g_array_append_val (panels, panel);
      g_array_append_val (frame_list, frame);
    }

  if (frames)
    bs_figure_export_png_sequence ((BsFigureFrame *) frame_list->data, frame_list->len, &options, out, &error);
  else if (animation)
    bs_figure_export_gif ((BsFigureFrame *) frame_list->data, frame_list->len, &options, out, &error);
  else
    bs_figure_export ((BsFigurePanel *) panels->data, panels->len, &options.figure, format, out, &error);

  if (error != NULL)
    status = bs_cli_fail (error);
  inputs_clear (&inputs);
  return status;
}
