/* test-shards.c: File › Open Shards Folder…: shards written into a folder one
 * by one fill the heatmap, merged to the same bits as bs_cka_shards_merge;
 * a damaged file and a shard of another run each get the banner. */
#include "bs-config.h"

#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

#include "bs-cka-export.h"
#include "bs-cka-job.h"
#include "bs-cka-shard.h"
#include "bs-colormap.h"
#include "bs-heatmap-private.h"
#include "bs-synthetic.h"
#include "bs-test-util.h"
#include "bs-test-utils.h"
#include "bs-window-private.h"

#define N_SHARDS 3
#define WAIT_MS 30000

static BsDataset *dataset;

static BsCkaShard *
run_shard (guint64 seed,
           guint   k)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BsCkaSnapshot) partial = NULL;
  BsCkaJobOptions options;
  BsCkaShard *shard = NULL;

  bs_cka_job_options_init (&options);
  options.spec_a = "resnet8";
  options.spec_b = "resnet14";
  options.init_seed_b = 1;
  options.dataset = dataset;
  options.limit = 96;
  options.batch_size = 16;
  options.passes = 2;
  options.seed = seed;
  options.threads = 1;
  options.shard = k;
  options.n_shards = N_SHARDS;
  options.shard_out = &shard;
  partial = bs_cka_job_run (&options, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (shard);
  return shard;
}

static void
save_shard (const BsCkaShard *shard,
            const char       *dir,
            const char       *name)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = g_build_filename (dir, name, NULL);

  g_assert_true (bs_cka_shard_save (shard, path, &error));
  g_assert_no_error (error);
}

/* What the core merges from the files named (partial). */
static BsCkaSnapshot *
reference_merge (const char  *dir,
                 const char **names,
                 guint        n)
{
  g_autoptr(GPtrArray) shards = g_ptr_array_new_with_free_func ((GDestroyNotify) bs_cka_shard_free);
  g_autoptr(GError) error = NULL;
  BsCkaSnapshot *merged;

  for (guint i = 0; i < n; i++)
    {
      g_autofree char *path = g_build_filename (dir, names[i], NULL);
      BsCkaShard *shard = bs_cka_shard_load (path, &error);

      g_assert_no_error (error);
      g_ptr_array_add (shards, shard);
    }
  merged = bs_cka_shards_merge ((BsCkaShard *const *) shards->pdata, shards->len, TRUE, NULL, &error);
  g_assert_no_error (error);
  return merged;
}

static void
assert_same_bits (BsCkaSnapshot *a,
                  BsCkaSnapshot *b)
{
  gsize cells;

  g_assert_nonnull (a);
  g_assert_nonnull (b);
  cells = (gsize) bs_cka_snapshot_get_n_rows (a) * bs_cka_snapshot_get_n_cols (a);
  g_assert_cmpuint (bs_cka_snapshot_get_n_rows (a), ==, bs_cka_snapshot_get_n_rows (b));
  g_assert_cmpuint (bs_cka_snapshot_get_n_cols (a), ==, bs_cka_snapshot_get_n_cols (b));
  g_assert_cmpuint (bs_cka_snapshot_get_minibatches_done (a), ==, bs_cka_snapshot_get_minibatches_done (b));
  g_assert_cmpmem (bs_cka_snapshot_get_values (a), cells * sizeof (double),
                   bs_cka_snapshot_get_values (b), cells * sizeof (double));
  g_assert_cmpmem (bs_cka_snapshot_get_std_errors (a), cells * sizeof (double),
                   bs_cka_snapshot_get_std_errors (b), cells * sizeof (double));
}

typedef struct
{
  BsWindow   *window;
  const char *text;
} Expect;

static gboolean
subtitle_is (gpointer data)
{
  Expect *expect = data;

  return g_strcmp0 (bs_window_get_subtitle (expect->window), expect->text) == 0;
}

static gboolean
banner_names (gpointer data)
{
  Expect *expect = data;
  const char *text = bs_window_get_error_text (expect->window);

  return text != NULL && strstr (text, expect->text) != NULL;
}

static void
wait_for_subtitle (BsWindow   *window,
                   const char *text)
{
  Expect expect = { window, text };

  if (!bs_test_wait_until (subtitle_is, &expect, WAIT_MS))
    g_error ("the subtitle says '%s', not '%s'", bs_window_get_subtitle (window), text);
}

static void
wait_for_banner (BsWindow   *window,
                 const char *text)
{
  Expect expect = { window, text };

  if (!bs_test_wait_until (banner_names, &expect, WAIT_MS))
    g_error ("the banner says '%s', not '%s'", bs_window_get_error_text (window), text);
}

/* A few cells' centres in the heatmap's screenshot against the colour map
 * of their values; returns how many were checked. */
static guint
check_cells (BsHeatmap  *heatmap,
             const char *name)
{
  g_autoptr(GdkTexture) shot = bs_test_screenshot (GTK_WIDGET (heatmap), name);
  g_autofree guint8 *pixels = NULL;
  const BsHeatmapView *view = bs_heatmap_get_view (heatmap);
  BsCkaSnapshot *shown = bs_heatmap_get_shown_snapshot (heatmap);
  int scale = gtk_widget_get_scale_factor (GTK_WIDGET (heatmap));
  graphene_rect_t buttons;
  double ox, oy, lo, hi;
  gsize stride;
  guint checked = 0;

  pixels = bs_test_texture_pixels (shot, &stride);
  bs_heatmap_get_plot_origin (heatmap, &ox, &oy);
  bs_heatmap_get_value_range (heatmap, &lo, &hi);
  g_assert_true (gtk_widget_compute_bounds (heatmap->zoom_box, GTK_WIDGET (heatmap), &buttons));
  graphene_rect_inset (&buttons, -2, -2);
  for (guint r = 0; r < view->n_rows; r += 3)
    for (guint c = 0; c < view->n_cols; c += 5)
      {
        double x, y, w, h, cx, cy, value;
        guint8 got[3], want[3];

        bs_heatmap_view_cell_to_rect (view, r, c, &x, &y, &w, &h);
        cx = x + w / 2;
        cy = y + h / 2;
        if (w < 3 || h < 3 || cx < 2 || cy < 2 || cx > view->width - 2 || cy > view->height - 2 ||
            graphene_rect_contains_point (&buttons, &GRAPHENE_POINT_INIT ((float) (ox + cx), (float) (oy + cy))))
          continue;
        value = bs_cka_snapshot_get_value (shown, r, c);
        if (isnan (value))
          continue;
        bs_test_pixel_rgb (pixels, stride, (int) floor ((ox + cx) * scale), (int) floor ((oy + cy) * scale), got);
        bs_colormap_lookup (bs_heatmap_get_colormap (heatmap), (double) (float) value, lo, hi, want);
        if (memcmp (got, want, 3) != 0)
          {
            /* On the edge between two entries the GPU's float may round either way. */
            double t = ((float) value - lo) / (hi - lo) * 256;

            if (fabs (t - round (t)) < 1e-3)
              {
                bs_colormap_lookup (bs_heatmap_get_colormap (heatmap), lo + (round (t) - 0.5) / 256 * (hi - lo),
                                    lo, hi, want);
                if (memcmp (got, want, 3) != 0)
                  bs_colormap_lookup (bs_heatmap_get_colormap (heatmap), lo + (round (t) + 0.5) / 256 * (hi - lo),
                                      lo, hi, want);
              }
          }
        if (memcmp (got, want, 3) != 0)
          g_test_message ("cell (%u, %u) value %g: got %02x%02x%02x, want %02x%02x%02x",
                          r, c, value, got[0], got[1], got[2], want[0], want[1], want[2]);
        g_assert_cmpmem (got, 3, want, 3);
        checked++;
      }
  return checked;
}

static void
test_folder (void)
{
  g_autoptr(BsApplication) app = bs_test_app_new ();
  BsWindow *window = bs_test_app_get_window (app);
  BsWindowShards *shards = bs_window_get_shards (window);
  BsHeatmap *heatmap = bs_window_get_heatmap (window);
  g_autofree char *watched = g_dir_make_tmp ("blockscope-shards-XXXXXX", NULL);
  g_autofree char *full = g_dir_make_tmp ("blockscope-shards-full-XXXXXX", NULL);
  g_autofree char *damaged = g_build_filename (watched, "damaged.bscka", NULL);
  BsCkaShard *made[N_SHARDS];
  g_autoptr(BsCkaShard) stranger = run_shard (8, 0);
  /* Out of order, as a cluster finishes them. */
  const char *names[N_SHARDS] = { "part-2.bscka", "part-0.bscka", "part-1.bscka" };
  const guint order[N_SHARDS] = { 2, 0, 1 };
  g_autoptr(BsCkaSnapshot) want_whole = NULL;

  g_assert_nonnull (watched);
  for (guint k = 0; k < N_SHARDS; k++)
    made[k] = run_shard (7, k);

  /* Ctrl+Shift+F opens the folder chooser. (Not shown here: GTK's chooser
   * dialog makes GLib outgrow its first block of quarks, which GLib keeps
   * unreachable on purpose and LeakSanitizer reports in CI.) */
  g_assert_true (g_action_group_get_action_enabled (G_ACTION_GROUP (window), "open-shards"));
  {
    g_auto(GStrv) accels = gtk_application_get_accels_for_action (GTK_APPLICATION (app), "win.open-shards");

    g_assert_cmpstrv (accels, ((const char *[]) { "<Shift><Control>f", NULL }));
  }
  bs_test_pointer_park ();
  {
    g_autoptr(GFile) folder = g_file_new_for_path (watched);

    bs_window_shards_open_folder (shards, folder);
  }
  g_assert_true (bs_window_shards_is_watching (shards));

  for (guint i = 0; i < N_SHARDS; i++)
    {
      g_autofree char *text = g_strdup_printf ("%u of %u shards", i + 1, N_SHARDS);
      g_autoptr(BsCkaSnapshot) want = NULL;

      if (i == N_SHARDS - 1)
        {
          /* Before the last shard, two files the window must refuse. */
          g_assert_true (g_file_set_contents (damaged, "not a shard at all", -1, NULL));
          wait_for_banner (window, "damaged.bscka");
          save_shard (stranger, watched, "other-run.bscka");
          wait_for_banner (window, "other-run.bscka");
          g_assert_nonnull (strstr (bs_window_get_error_text (window), "different runs"));
          g_assert_cmpuint (bs_window_shards_get_n_loaded (shards), ==, 2);
        }

      save_shard (made[order[i]], watched, names[i]);
      wait_for_subtitle (window, text);
      g_assert_cmpuint (bs_window_shards_get_n_loaded (shards), ==, i + 1);
      g_assert_cmpuint (bs_window_shards_get_n_shards (shards), ==, N_SHARDS);
      want = reference_merge (watched, names, i + 1);
      assert_same_bits (bs_heatmap_get_snapshot (heatmap), want);
      if (i < N_SHARDS - 1)
        g_assert_cmpuint (bs_cka_snapshot_get_minibatches_done (want), <,
                          bs_cka_snapshot_get_minibatches_total (want));
      if (i == 1)
        {
          g_autoptr(GdkTexture) shot = NULL;

          gtk_test_widget_wait_for_draw (GTK_WIDGET (window));
          shot = bs_test_screenshot (GTK_WIDGET (window), "shards-partial");
        }
    }

  /* All in: the run's result, and the folder no longer watched. */
  {
    g_autoptr(GError) error = NULL;
    BsCkaSnapshot *whole = bs_cka_shards_merge ((BsCkaShard *const *) made, N_SHARDS, FALSE, NULL, &error);
    g_autoptr(GdkTexture) shot = NULL;

    want_whole = whole;

    g_assert_no_error (error);
    assert_same_bits (bs_heatmap_get_snapshot (heatmap), whole);
    g_assert_cmpuint (bs_cka_snapshot_get_minibatches_done (whole), ==,
                      bs_cka_snapshot_get_minibatches_total (whole));
    g_assert_false (bs_window_shards_is_watching (shards));
    gtk_test_widget_wait_for_draw (GTK_WIDGET (window));
    g_assert_cmpuint (check_cells (heatmap, "shards-heatmap"), >=, 10);
    shot = bs_test_screenshot (GTK_WIDGET (window), "shards-complete");
    g_assert_true (g_action_group_get_action_enabled (G_ACTION_GROUP (window), "export-data"));
  }

  /* The header's pickers name the run's models, as the axes do: ResNet-14
   * from the menu, ResNet-8 (which the menu does not list) from the
   * result; chosen for Compute, and no job started. */
  {
    BsWindowPickers *pickers = bs_window_get_pickers (window);
    GSettings *settings = bs_window_get_settings (window);
    g_autofree char *a = g_settings_get_string (settings, "model-a");
    g_autofree char *b = g_settings_get_string (settings, "model-b");
    g_autoptr(GVariant) state = g_action_group_get_action_state (G_ACTION_GROUP (window), "model-a");

    g_assert_cmpstr (bs_window_pickers_get_text (pickers, FALSE), ==, "ResNet-8");
    g_assert_cmpstr (bs_window_pickers_get_caption (pickers, FALSE), ==, "from the result");
    g_assert_cmpstr (g_object_get_data (G_OBJECT (bs_window_get_model_button (window, FALSE)), "bs-a11y-label"), ==,
                     "Model A: ResNet-8, from the result");
    g_assert_cmpstr (bs_window_pickers_get_text (pickers, TRUE), ==, "ResNet-14");
    g_assert_null (bs_window_pickers_get_caption (pickers, TRUE));
    g_assert_cmpstr (g_object_get_data (G_OBJECT (bs_window_get_model_button (window, TRUE)), "bs-a11y-label"), ==,
                     "Model B: ResNet-14");
    g_assert_cmpstr (g_variant_get_string (state, NULL), ==, "resnet8");
    g_assert_cmpstr (a, ==, "resnet8");
    g_assert_cmpstr (b, ==, "resnet14");
    g_assert_null (bs_window_get_cka_job (window));
    g_assert_cmpstr (bs_window_get_subtitle (window), ==, "3 of 3 shards");
  }

  /* A folder that holds every shard already just opens. */
  for (guint i = 0; i < N_SHARDS; i++)
    save_shard (made[order[i]], full, names[i]);
  {
    g_autoptr(GFile) folder = g_file_new_for_path (full);

    bs_heatmap_set_snapshot (heatmap, NULL);
    bs_window_shards_open_folder (shards, folder);
    g_assert_cmpstr (bs_window_get_subtitle (window), ==, "Waiting for shards…");
    wait_for_subtitle (window, "3 of 3 shards");
    assert_same_bits (bs_heatmap_get_snapshot (heatmap), want_whole);
    g_assert_null (bs_window_get_error_text (window));
  }

  /* Another result opened stops the watch. */
  {
    g_autofree char *npy = g_build_filename (full, "saved.npy", NULL);
    g_autoptr(GFile) file = g_file_new_for_path (npy);
    g_autoptr(GFile) folder = g_file_new_for_path (watched);
    g_autoptr(GError) error = NULL;

    g_assert_true (bs_window_export_save_data (bs_window_get_export (window), file, &error));
    g_assert_no_error (error);
    /* Two of the three shards: watched until the result is opened. */
    g_unlink (damaged);
    for (guint i = 0; i < 2; i++)
      {
        g_autofree char *path = g_build_filename (watched, i == 0 ? "part-1.bscka" : "other-run.bscka", NULL);

        g_assert_cmpint (g_unlink (path), ==, 0);
      }
    bs_window_shards_open_folder (shards, folder);
    wait_for_subtitle (window, "2 of 3 shards");
    g_assert_true (bs_window_shards_is_watching (shards));
    g_assert_true (bs_window_export_open_result (bs_window_get_export (window), file));
    g_assert_false (bs_window_shards_is_watching (shards));
    g_assert_null (strstr (bs_window_get_subtitle (window), "shards"));
  }

  for (guint k = 0; k < N_SHARDS; k++)
    bs_cka_shard_free (made[k]);
  bs_test_app_quit (app);
  g_settings_reset (bs_application_get_settings (app), "model-a");
  g_settings_reset (bs_application_get_settings (app), "model-b");
  bs_test_remove_tree (watched);
  bs_test_remove_tree (full);
}

/* `blockscope FOLDER`, `blockscope M.npy`: GApplication's open, each in a
 * window of its own; the running window keeps what it shows. */
static void
test_open_files (void)
{
  g_autoptr(BsApplication) app = bs_test_app_new ();
  BsWindow *first = bs_test_app_get_window (app);
  g_autofree char *watched = g_dir_make_tmp ("blockscope-shards-XXXXXX", NULL);
  g_autofree char *other = g_dir_make_tmp ("blockscope-result-XXXXXX", NULL);
  g_autofree char *npy = g_build_filename (other, "result.npy", NULL);
  g_autofree char *missing = g_build_filename (other, "missing.npy", NULL);
  const char *names[2] = { "part-0.bscka", "part-2.bscka" };
  g_autoptr(BsCkaSnapshot) want = NULL;
  g_autoptr(GList) before = NULL;
  BsWindow *window;

  for (guint i = 0; i < 2; i++)
    {
      g_autoptr(BsCkaShard) shard = run_shard (7, i == 0 ? 0 : 2);

      save_shard (shard, watched, names[i]);
    }
  want = reference_merge (watched, names, 2);
  {
    g_autoptr(GError) error = NULL;

    g_assert_true (bs_cka_export (want, NULL, npy, &error));
    g_assert_no_error (error);
  }
  g_assert_null (bs_heatmap_get_snapshot (bs_window_get_heatmap (first)));

  /* A folder: watched for shards. */
  before = g_list_copy (gtk_application_get_windows (GTK_APPLICATION (app)));
  {
    g_autoptr(GFile) folder = g_file_new_for_path (watched);

    g_application_open (G_APPLICATION (app), &folder, 1, "");
  }
  window = bs_test_newest_window (app, before);
  g_assert_true (bs_window_shards_is_watching (bs_window_get_shards (window)));
  wait_for_subtitle (window, "2 of 3 shards");
  assert_same_bits (bs_heatmap_get_snapshot (bs_window_get_heatmap (window)), want);
  g_clear_pointer (&before, g_list_free);

  /* A result file, and one that is not there: each window says what it holds. */
  before = g_list_copy (gtk_application_get_windows (GTK_APPLICATION (app)));
  {
    g_autoptr(GFile) result = g_file_new_for_path (npy);

    g_application_open (G_APPLICATION (app), &result, 1, "");
  }
  window = bs_test_newest_window (app, before);
  g_assert_false (bs_window_shards_is_watching (bs_window_get_shards (window)));
  assert_same_bits (bs_heatmap_get_snapshot (bs_window_get_heatmap (window)), want);
  /* Named in the window switcher too. */
  g_assert_cmpstr (gtk_window_get_title (GTK_WINDOW (window)), ==, "result.npy — Blockscope");
  g_clear_pointer (&before, g_list_free);

  before = g_list_copy (gtk_application_get_windows (GTK_APPLICATION (app)));
  {
    g_autoptr(GFile) gone = g_file_new_for_path (missing);

    g_application_open (G_APPLICATION (app), &gone, 1, "");
  }
  window = bs_test_newest_window (app, before);
  wait_for_banner (window, "missing.npy");
  g_assert_null (bs_heatmap_get_snapshot (bs_window_get_heatmap (window)));

  g_assert_cmpuint (g_list_length (gtk_application_get_windows (GTK_APPLICATION (app))), ==, 4);
  g_assert_null (bs_heatmap_get_snapshot (bs_window_get_heatmap (first)));
  bs_test_app_quit (app);
  bs_test_remove_tree (watched);
  bs_test_remove_tree (other);
}

int
main (int    argc,
      char **argv)
{
  int status;

  bs_test_init (&argc, &argv);
  dataset = bs_dataset_new_synthetic (8, 96, 3, 12, 12, 4, 3);

  g_test_add_func ("/shards/folder", test_folder);
  g_test_add_func ("/shards/open-files", test_open_files);

  status = g_test_run ();
  g_clear_pointer (&dataset, bs_dataset_unref);
  return status;
}
