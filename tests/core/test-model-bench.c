/* test-model-bench.c: `blockscope-cli bench train` runs a tiny model and
 * reports what it promises; bad options are usage errors. */
#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>
#include <sys/wait.h>

static int
run_cli (const char *const *args,
         char              **out,
         char              **err)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  int status = 0;

  g_ptr_array_add (argv, (gpointer) BS_CLI_PATH);
  for (guint i = 0; args[i]; i++)
    g_ptr_array_add (argv, (gpointer) args[i]);
  g_ptr_array_add (argv, NULL);

  g_spawn_sync (NULL, (char **) argv->pdata, NULL, G_SPAWN_DEFAULT, NULL, NULL, out, err, &status, &error);
  g_assert_no_error (error);
  return WIFEXITED (status) ? WEXITSTATUS (status) : -1;
}

static void
test_bench_json (void)
{
  const char *args[] = { "bench", "train", "--model", "resnet8", "--batch", "4", "--threads", "2",
                         "--steps", "2", "--warmup", "1", "--input", "1x12x12", "--classes", "5",
                         "--json", NULL };
  g_autofree char *out = NULL, *err = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  JsonObject *o;

  g_assert_cmpint (run_cli (args, &out, &err), ==, 0);
  json_parser_load_from_data (parser, out, -1, &error);
  g_assert_no_error (error);
  o = json_node_get_object (json_parser_get_root (parser));
  g_assert_cmpstr (json_object_get_string_member (o, "model"), ==, "resnet8");
  g_assert_cmpint (json_object_get_int_member (o, "batch"), ==, 4);
  g_assert_cmpint (json_object_get_int_member (o, "threads"), ==, 2);
  g_assert_cmpfloat (json_object_get_double_member (o, "train_images_per_s"), >, 0.0);
  g_assert_cmpfloat (json_object_get_double_member (o, "infer_images_per_s"), >, 0.0);
  g_assert_cmpfloat (json_object_get_double_member (o, "peak_rss_mib"), >, 1.0);
  /* PyTorch counts 77,237 parameters for this ResNet-8 (1 channel, 5 classes). */
  g_assert_cmpint (json_object_get_int_member (o, "parameters"), ==, 77237);
  g_assert_true (isfinite (json_object_get_double_member (o, "last_loss")));
}

static void
test_bench_text (void)
{
  const char *args[] = { "bench", "train", "--model", "resnet8", "--batch", "2", "--steps", "1",
                         "--warmup", "0", "--input", "3x8x8", NULL };
  g_autofree char *out = NULL, *err = NULL;

  g_assert_cmpint (run_cli (args, &out, &err), ==, 0);
  g_assert_nonnull (strstr (out, "images/s"));
  g_assert_nonnull (strstr (out, "peak RSS"));
}

static void
test_bench_errors (void)
{
  static const char *const bad[][8] = {
    { "bench", "train", "--batch", "0", NULL },
    { "bench", "train", "--threads", "0", NULL },
    { "bench", "train", "--input", "3x32", NULL },
    { "bench", "train", "--classes", "1", NULL },
    { "bench", "train", "--steps", "0", NULL },
    { "bench", "train", "extra", NULL },
  };
  const char *unknown[] = { "bench", "train", "--model", "resnet21", NULL };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autofree char *out = NULL, *err = NULL;

      g_assert_cmpint (run_cli (bad[i], &out, &err), ==, 2);
      g_assert_nonnull (strstr (err, "bench train"));
    }

  {
    g_autofree char *out = NULL, *err = NULL;

    /* A model that does not exist is a failure of the work, with a message naming it. */
    g_assert_cmpint (run_cli (unknown, &out, &err), ==, 1);
    g_assert_nonnull (strstr (err, "resnet21"));
  }
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/model-bench/json", test_bench_json);
  g_test_add_func ("/model-bench/text", test_bench_text);
  g_test_add_func ("/model-bench/errors", test_bench_errors);

  return g_test_run ();
}
