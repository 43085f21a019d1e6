/* bs-cli-datasets.c: `blockscope-cli datasets`: every known data set, found or not.
 *
 * Each data set that is found is loaded completely, so a damaged file shows
 * up here with its error (and the exit status is 1) rather than in the
 * middle of a training run. --names only prints the name of every known
 * data set, one a line, reading nothing (for shell completion and scripts). */
#include <glib/gi18n.h>
#include <json-glib/json-glib.h>
#include <stdio.h>

#include "bs-cli.h"
#include "bs-dataset-locate.h"
#include "bs-dataset.h"
#include "bs-error.h"

typedef struct {
  const BsDatasetInfo *info;
  gboolean             generated;
  char                *location;    /* NULL when not found */
  BsDataset           *dataset;     /* NULL unless loaded */
  char                *error;       /* why a found data set could not be loaded */
  char                *how_to_get;  /* for one not found */
} Entry;

static void
entry_clear (Entry *entry)
{
  g_free (entry->location);
  g_clear_pointer (&entry->dataset, bs_dataset_unref);
  g_free (entry->error);
  g_free (entry->how_to_get);
}

static void
survey (Entry               *entry,
        const BsDatasetInfo *info,
        const char          *data_dir)
{
  g_autoptr(GError) error = NULL;

  entry->info = info;
  if (info->format == BS_DATASET_FORMAT_SYNTHETIC)
    {
      entry->generated = TRUE;
      entry->dataset = bs_dataset_load (info->name, data_dir, NULL);
      return;
    }

  entry->location = bs_dataset_find (info->name, data_dir, NULL);
  if (entry->location == NULL)
    {
      entry->how_to_get = bs_dataset_how_to_get (info, data_dir);
      return;
    }
  entry->dataset = bs_dataset_load (info->name, data_dir, &error);
  if (entry->dataset == NULL)
    entry->error = g_strdup (error->message);
}

static void
add_uint_or_null (JsonBuilder *builder,
                  const char  *name,
                  gboolean     known,
                  guint        value)
{
  json_builder_set_member_name (builder, name);
  if (known)
    json_builder_add_int_value (builder, value);
  else
    json_builder_add_null_value (builder);
}

static void
print_json (GPtrArray *dirs,
            Entry     *entries,
            guint      n_entries)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "search_dirs");
  json_builder_begin_array (builder);
  for (guint i = 0; i < dirs->len; i++)
    {
      const BsDatasetDir *dir = g_ptr_array_index (dirs, i);

      json_builder_begin_object (builder);
      bs_cli_json_add_string (builder, "path", dir->path);
      bs_cli_json_add_string (builder, "origin", dir->origin);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);

  json_builder_set_member_name (builder, "datasets");
  json_builder_begin_array (builder);
  for (guint i = 0; i < n_entries; i++)
    {
      const Entry *e = &entries[i];
      const BsDataset *d = e->dataset;

      json_builder_begin_object (builder);
      bs_cli_json_add_string (builder, "name", e->info->name);
      bs_cli_json_add_string (builder, "display_name", e->info->display_name);
      json_builder_set_member_name (builder, "found");
      json_builder_add_boolean_value (builder, e->location != NULL || e->generated);
      json_builder_set_member_name (builder, "generated");
      json_builder_add_boolean_value (builder, e->generated);
      json_builder_set_member_name (builder, "loaded");
      json_builder_add_boolean_value (builder, d != NULL);
      bs_cli_json_add_string (builder, "location", e->location);
      /* Counts and shape as read; the class count is known either way. */
      add_uint_or_null (builder, "n_train", d != NULL, d ? d->train.n_images : 0);
      add_uint_or_null (builder, "n_test", d != NULL, d ? d->test.n_images : 0);
      add_uint_or_null (builder, "channels", d != NULL, d ? d->train.channels : 0);
      add_uint_or_null (builder, "height", d != NULL, d ? d->train.height : 0);
      add_uint_or_null (builder, "width", d != NULL, d ? d->train.width : 0);
      add_uint_or_null (builder, "n_classes", TRUE, d ? d->n_classes : e->info->n_classes);
      bs_cli_json_add_string (builder, "error", e->error);
      bs_cli_json_add_string (builder, "how_to_get", e->how_to_get);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
  json_builder_end_object (builder);

  bs_cli_print_json (builder);
}

static void
print_text (GPtrArray *dirs,
            Entry     *entries,
            guint      n_entries)
{
  printf ("%s\n", _("Data sets are looked for in these folders, in this order:"));
  for (guint i = 0; i < dirs->len; i++)
    {
      const BsDatasetDir *dir = g_ptr_array_index (dirs, i);

      printf ("  %u. %s (%s)\n", i + 1, dir->path, dir->origin);
    }
  printf ("\n");

  for (guint i = 0; i < n_entries; i++)
    {
      const Entry *e = &entries[i];
      const BsDataset *d = e->dataset;

      printf ("%-14s %s: ", e->info->name, bs_dataset_info_get_display_name (e->info));
      if (e->generated)
        printf ("%s\n", _("generated in memory"));
      else if (e->location == NULL)
        printf ("%s\n", _("not found"));
      else if (d == NULL)
        /* Translators: %s is a folder or file. */
        printf (_("found in %s but cannot be read\n"), e->location);
      else
        /* Translators: %s is a folder or file. */
        printf (_("found in %s\n"), e->location);

      if (d != NULL)
        {
          printf ("%-14s ", "");
          /* Translators: training images, test images, channels x height x width, classes. */
          printf (_("%u training and %u test images, %ux%ux%u, %u classes\n"),
                  d->train.n_images, d->test.n_images, d->train.channels, d->train.height,
                  d->train.width, d->n_classes);
        }
      if (e->error != NULL)
        printf ("%-14s %s\n", "", e->error);
      if (e->how_to_get != NULL)
        {
          printf ("%-14s ", "");
          /* Translators: %s says how to get a data set, e.g. which package to install. */
          printf (_("To get it: %s\n"), e->how_to_get);
        }
    }
}

int
bs_cli_datasets (int    argc,
                 char **argv)
{
  g_autofree char *data_dir = NULL;
  gboolean json = FALSE, names = FALSE;
  const GOptionEntry entries[] = {
    { "data-dir", 0, 0, G_OPTION_ARG_FILENAME, &data_dir,
      N_("Look here first (before $BLOCKSCOPE_DATA_DIR and the standard folders)"), "DIR" },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, N_("Print one JSON object"), NULL },
    { "names", 0, 0, G_OPTION_ARG_NONE, &names, N_("Print only the name of every known data set, one a line, without looking for them"), NULL },
    { NULL }
  };
  g_autoptr(GPtrArray) dirs = NULL;
  g_autofree Entry *survey_entries = NULL;
  const BsDatasetInfo *infos;
  guint n_infos;
  gboolean all_readable = TRUE;
  int status;

  if (!bs_cli_parse ("datasets", "",
                     N_("List the known data sets: where each was found, its size and shape,\n"
                        "or how to get it. Every data set found is read completely to check it."),
                     entries, &argc, &argv, &status))
    return status;
  if (argc > 1)
    return bs_cli_usage_error ("datasets", _("unexpected argument '%s'"), argv[1]);
  if (data_dir != NULL && *data_dir == '\0')
    return bs_cli_usage_error ("datasets", _("--data-dir needs a folder, not an empty string"));
  if (names && json)
    return bs_cli_usage_error ("datasets", _("--names and --json cannot be combined"));

  infos = bs_dataset_info_list (&n_infos);
  if (names)
    {
      for (guint i = 0; i < n_infos; i++)
        printf ("%s\n", infos[i].name);
      return BS_CLI_EXIT_OK;
    }

  dirs = bs_dataset_search_dirs (data_dir);
  survey_entries = g_new0 (Entry, n_infos);
  for (guint i = 0; i < n_infos; i++)
    {
      survey (&survey_entries[i], &infos[i], data_dir);
      all_readable &= survey_entries[i].error == NULL;
    }

  if (json)
    print_json (dirs, survey_entries, n_infos);
  else
    print_text (dirs, survey_entries, n_infos);

  for (guint i = 0; i < n_infos; i++)
    entry_clear (&survey_entries[i]);
  return all_readable ? BS_CLI_EXIT_OK : BS_CLI_EXIT_FAILURE;
}
