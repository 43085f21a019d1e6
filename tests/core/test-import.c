/* test-import.c: torchvision-style weights from .pth and safetensors.
 *
 * tests/make-torch-fixtures.py saved a small bottleneck network (the
 * torchvision layout) with torch.save (torch-activations.pth) and as
 * safetensors, and kept its logits on a few images; the weights imported
 * from either file must give PyTorch's logits. Then hostile files: a pickle
 * that calls a global outside the allowed set, truncated, deeply nested, a
 * storage shorter than its tensor, an unknown dtype, a damaged zip, the
 * legacy format, hundreds of damaged copies of the real file (no crash, an
 * answer either way), and safetensors with missing, extra and mis-shaped
 * parameters, each with its message. Finally blockscope-cli import of a full
 * ImageNet ResNet-50 state dict. */
#include <archive.h>
#include <archive_entry.h>
#include <math.h>

#include "bs-checkpoint.h"
#include "bs-error.h"
#include "bs-pth.h"
#include "bs-resnet-spec.h"
#include "bs-rng.h"
#include "bs-safetensors.h"
#include "bs-weights-import.h"
#include "test-dataset-files.h"

#define BATCH 6

static char *
fixture_path (const char *name)
{
  return g_test_build_filename (G_TEST_DIST, "fixtures", name, NULL);
}

static BsModel *
build_fixture_model (void)
{
  g_autoptr(GError) error = NULL;
  BsResnetSpec spec = { 0 };
  BsModel *model;

  spec.block = BS_RESNET_BOTTLENECK;
  spec.n_stages = 2;
  spec.blocks[0] = 2;
  spec.blocks[1] = 1;
  spec.widths[0] = 4;
  spec.widths[1] = 8;
  spec.stem_channels = 8;
  spec.imagenet_stem = TRUE;
  model = bs_resnet_build ("fixture", &spec, 3, 32, 32, 5, &error);
  g_assert_no_error (error);
  return model;
}

/* The imported model's logits against PyTorch's. */
static void
check_logits (BsModel *model)
{
  g_autofree char *path = fixture_path ("torch-activations.safetensors");
  g_autoptr(GError) error = NULL;
  g_autoptr(BsSafetensors) st = bs_safetensors_load (path, &error);
  g_autofree float *images = g_new (float, BATCH * 3 * 32 * 32);
  const float *pixels, *expected, *logits;
  double worst = 0.0, scale = 1e-3;

  g_assert_no_error (error);
  pixels = bs_safetensors_get_f32 (st, "pixels", BATCH * 3 * 32 * 32, &error);
  g_assert_no_error (error);
  expected = bs_safetensors_get_f32 (st, "act.fc", BATCH * 5, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < BATCH * 3 * 32 * 32; i++)
    images[i] = (float) (guint8) pixels[i] / 255.0f;
  logits = bs_model_forward (model, images, BATCH, FALSE, NULL, NULL);
  for (guint i = 0; i < BATCH * 5; i++)
    {
      scale = MAX (scale, fabs (expected[i]));
      worst = MAX (worst, fabs ((double) logits[i] - expected[i]));
    }
  g_test_message ("logits: max error %.2e of scale %.3g", worst, scale);
  g_assert_cmpfloat (worst, <=, 1e-5 * scale);
}

static void
test_pth (void)
{
  g_autofree char *path = fixture_path ("torch-activations.pth");
  g_autoptr(GError) error = NULL;
  g_autoptr(BsPth) pth = bs_pth_load (path, &error);
  BsModel *model = build_fixture_model ();
  const BsTensorView *count;

  g_assert_no_error (error);
  /* Every parameter and buffer, and a num_batches_tracked per norm. */
  count = bs_pth_get (pth, "bn1.num_batches_tracked");
  g_assert_nonnull (count);
  g_assert_cmpint (count->dtype, ==, BS_DTYPE_I64);
  g_assert_cmpuint (bs_pth_get_n_tensors (pth), >, bs_model_get_n_params (model));
  g_assert_cmpint (bs_pth_get (pth, "layer1.0.conv2.weight")->shape[0], ==, 4);

  g_assert_true (bs_weights_import (model, path, &error));
  g_assert_no_error (error);
  check_logits (model);
  bs_model_free (model);
}

static void
test_safetensors (void)
{
  g_autofree char *path = fixture_path ("torch-activations-weights.safetensors");
  g_autoptr(GError) error = NULL;
  BsModel *model = build_fixture_model ();

  g_assert_true (bs_weights_import (model, path, &error));
  g_assert_no_error (error);
  check_logits (model);
  bs_model_free (model);
}

/* ---- Hostile .pth files ------------------------------------------------ */

typedef struct {
  const char *name;
  const void *data;
  gsize       len;
} ZipEntry;

static GBytes *
make_zip (const ZipEntry *entries,
          guint           n)
{
  struct archive *a = archive_write_new ();
  gsize size = 1 << 20, used = 0;
  guint8 *buffer = g_malloc (size);

  archive_write_set_format_zip (a);
  archive_write_zip_set_compression_store (a);
  g_assert_cmpint (archive_write_open_memory (a, buffer, size, &used), ==, ARCHIVE_OK);
  for (guint i = 0; i < n; i++)
    {
      struct archive_entry *entry = archive_entry_new ();

      archive_entry_set_pathname (entry, entries[i].name);
      archive_entry_set_filetype (entry, AE_IFREG);
      archive_entry_set_perm (entry, 0644);
      archive_entry_set_size (entry, (la_int64_t) entries[i].len);
      g_assert_cmpint (archive_write_header (a, entry), ==, ARCHIVE_OK);
      g_assert_cmpint (archive_write_data (a, entries[i].data, entries[i].len), ==, (la_ssize_t) entries[i].len);
      archive_entry_free (entry);
    }
  g_assert_cmpint (archive_write_close (a), ==, ARCHIVE_OK);
  archive_write_free (a);
  return g_bytes_new_take (g_realloc (buffer, used), used);
}

/* A state dict {"w": tensor of `numel` elements} whose storage is `storage`
 * (a torch global such as "FloatStorage") with `have` floats of data. */
static GBytes *
make_state_dict (const char *storage,
                 guint       numel,
                 guint       have)
{
  g_autoptr(GByteArray) p = g_byte_array_new ();
  g_autofree float *floats = g_new0 (float, have + 1);
  g_autofree char *global = g_strdup_printf ("ctorch\n%s\n", storage);
  guint8 n = (guint8) numel;

#define PUT(s) g_byte_array_append (p, (const guint8 *) (s), sizeof (s) - 1)
#define PUT_N(s, len) g_byte_array_append (p, (const guint8 *) (s), (len))
  PUT ("\x80\x02" "ccollections\nOrderedDict\n" ")R");
  PUT ("(" "X\x01\x00\x00\x00w");
  PUT ("ctorch._utils\n_rebuild_tensor_v2\n");
  PUT ("(" "(X\x07\x00\x00\x00storage");
  PUT_N (global, strlen (global));
  PUT ("X\x01\x00\x00\x00" "0" "X\x03\x00\x00\x00" "cpu" "K");
  PUT_N (&n, 1);
  PUT ("tQ" "K\x00" "K");
  PUT_N (&n, 1);
  PUT ("\x85" "K\x01\x85" "\x89" "ccollections\nOrderedDict\n" ")R" "tR" "u.");
#undef PUT
#undef PUT_N
  {
    const ZipEntry entries[] = {
      { "archive/data.pkl", p->data, p->len },
      { "archive/data/0", floats, have * sizeof (float) },
      { "archive/version", "3\n", 2 },
    };

    return make_zip (entries, G_N_ELEMENTS (entries));
  }
}

static GBytes *
make_pickle_zip (const char *pickle,
                 gsize       len)
{
  const ZipEntry entries[] = { { "archive/data.pkl", pickle, len } };

  return make_zip (entries, 1);
}

static void
expect_pth_error (GBytes     *data,
                  const char *expected)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BsPth) pth = bs_pth_load_from_data ("hostile.pth", data, &error);

  g_assert_null (pth);
  g_assert_error (error, BS_ERROR, BS_ERROR_FORMAT);
  g_test_message ("%s", error->message);
  if (strstr (error->message, expected) == NULL)
    g_error ("'%s' lacks '%s'", error->message, expected);
  g_assert_true (g_str_has_prefix (error->message, "'hostile.pth' is not a readable PyTorch state dict: "));
}

static void
test_hostile (void)
{
  g_autoptr(GError) error = NULL;

  /* The hand-made state dict itself is read. */
  {
    g_autoptr(GBytes) good = make_state_dict ("FloatStorage", 10, 10);
    g_autoptr(BsPth) pth = bs_pth_load_from_data ("good.pth", good, &error);

    g_assert_no_error (error);
    g_assert_cmpuint (bs_pth_get_n_tensors (pth), ==, 1);
    g_assert_cmpint (bs_pth_get (pth, "w")->shape[0], ==, 10);
  }
  {
    static const char evil[] = "\x80\x02" "cos\nsystem\n" "X\x02\x00\x00\x00ls" "\x85R.";
    g_autoptr(GBytes) data = make_pickle_zip (evil, sizeof evil - 1);

    expect_pth_error (data, "it refers to os.system, which a state dict never needs");
  }
  {
    static const char evil[] = "\x80\x02" "\x8c\x08" "builtins" "\x8c\x04" "eval" "\x93.";
    g_autoptr(GBytes) data = make_pickle_zip (evil, sizeof evil - 1);

    expect_pth_error (data, "it refers to builtins.eval");
  }
  {
    static const char truncated[] = "\x80\x02}q\x00(X\x03\x00\x00\x00ab";
    g_autoptr(GBytes) data = make_pickle_zip (truncated, sizeof truncated - 1);

    expect_pth_error (data, "the pickle is truncated");
  }
  {
    /* An empty data.pkl (found by fuzz-pth: undefined behaviour on its NULL bytes). */
    g_autoptr(GBytes) data = make_pickle_zip ("", 0);

    expect_pth_error (data, "the pickle is truncated");
  }
  {
    g_autoptr(GString) deep = g_string_new ("\x80\x02N");
    g_autoptr(GBytes) data = NULL;

    for (guint i = 0; i < 100000; i++)
      g_string_append_c (deep, '\x85');
    g_string_append_c (deep, '.');
    data = make_pickle_zip (deep->str, deep->len);
    expect_pth_error (data, "nested far deeper than a state dict");
  }
  {
    g_autoptr(GString) marks = g_string_new ("\x80\x02");
    g_autoptr(GBytes) data = NULL;

    for (guint i = 0; i < 100000; i++)
      g_string_append_c (marks, '(');
    data = make_pickle_zip (marks->str, marks->len);
    expect_pth_error (data, "nested far deeper than a state dict");
  }
  {
    static const char opcode[] = "\x80\x02" "\x81.";
    g_autoptr(GBytes) data = make_pickle_zip (opcode, sizeof opcode - 1);

    expect_pth_error (data, "opcode 0x81");
  }
  {
    g_autoptr(GBytes) data = make_state_dict ("FloatStorage", 10, 8);

    expect_pth_error (data, "the storage of tensor w holds 8 elements, fewer than the tensor needs");
  }
  {
    g_autoptr(GBytes) data = make_state_dict ("HalfStorage", 10, 10);

    expect_pth_error (data, "tensor w has dtype float16; Blockscope reads float32, float64 and int64");
  }
  {
    g_autoptr(GBytes) data = make_state_dict ("QInt8Storage", 10, 10);

    expect_pth_error (data, "it refers to torch.QInt8Storage");
  }
  {
    static const char damaged[] = "PK\x03\x04 this is not really a zip archive at all";
    g_autoptr(GBytes) data = g_bytes_new_static (damaged, sizeof damaged - 1);

    expect_pth_error (data, "the zip archive is damaged");
  }
  {
    static const char legacy[] = "\x80\x02\x8a\x0a" "l\xfc\x9c\x46\xf9 j\xa8P\x19.";
    g_autoptr(GBytes) data = g_bytes_new_static (legacy, sizeof legacy - 1);

    expect_pth_error (data, "it is not a zip archive (PyTorch's format before 1.6 is not read");
  }
}

/* Damaged copies of the real file: cut short, bytes changed. Each is read
 * or refused, never a crash (the sanitizers run this too). */
static void
test_fuzz (void)
{
  g_autofree char *path = fixture_path ("torch-activations.pth");
  g_autofree char *contents = NULL;
  gsize len;
  BsRng rng;
  guint read = 0, refused = 0;

  g_assert_true (g_file_get_contents (path, &contents, &len, NULL));
  bs_rng_init (&rng, 16);
  for (guint round = 0; round < 400; round++)
    {
      g_autofree guint8 *copy = g_memdup2 (contents, len);
      gsize n = len;
      g_autoptr(GBytes) data = NULL;
      g_autoptr(BsPth) pth = NULL;
      g_autoptr(GError) error = NULL;

      if (round % 4 == 0)
        n = bs_rng_below (&rng, (guint32) len);
      else
        for (guint k = 0; k < 1 + round % 8; k++)
          copy[bs_rng_below (&rng, (guint32) len)] = (guint8) bs_rng_below (&rng, 256);
      data = g_bytes_new (copy, n);
      pth = bs_pth_load_from_data ("fuzz.pth", data, &error);
      if (pth != NULL)
        read++;
      else
        {
          g_assert_nonnull (error);
          refused++;
        }
    }
  g_test_message ("%u damaged copies read, %u refused", read, refused);
  g_assert_cmpuint (refused, >, 100);
}

/* ---- safetensors with the wrong parameters ----------------------------- */

static char *
write_params (BsModel    *model,
              const char *dir,
              const char *skip,
              const char *extra,
              const char *reshape)
{
  g_autoptr(BsSafetensorsWriter) writer = bs_safetensors_writer_new ();
  g_autoptr(GError) error = NULL;
  char *path = g_build_filename (dir, "w.safetensors", NULL);
  static const float one = 1.0f;

  for (guint i = 0; i < bs_model_get_n_params (model); i++)
    {
      BsParam *p = bs_model_get_param (model, i);
      gint64 flat[1] = { (gint64) p->n_elements };

      if (g_strcmp0 (p->name, skip) == 0)
        continue;
      if (g_strcmp0 (p->name, reshape) == 0)
        bs_safetensors_writer_add (writer, p->name, BS_DTYPE_F32, 1, flat, p->data, &error);
      else
        bs_safetensors_writer_add (writer, p->name, BS_DTYPE_F32, p->ndim, p->shape, p->data, &error);
      g_assert_no_error (error);
    }
  if (extra != NULL)
    {
      gint64 shape[1] = { 1 };

      bs_safetensors_writer_add (writer, extra, BS_DTYPE_F32, 1, shape, &one, &error);
      g_assert_no_error (error);
    }
  bs_safetensors_writer_save (writer, path, &error);
  g_assert_no_error (error);
  return path;
}

static void
test_safetensors_mismatch (void)
{
  g_autofree char *tmp = test_make_tmp_dir ();
  BsModel *model = build_fixture_model ();
  BsModel *target = build_fixture_model ();

  bs_model_init_params (model, 3);
  {
    g_autofree char *path = write_params (model, tmp, "layer1.0.bn2.running_var", NULL, NULL);
    g_autoptr(GError) error = NULL;

    g_assert_false (bs_weights_import (target, path, &error));
    test_assert_error (error, BS_ERROR_MISMATCH, "lacks parameter layer1.0.bn2.running_var of fixture");
  }
  {
    g_autofree char *path = write_params (model, tmp, NULL, "layer9.0.conv1.weight", NULL);
    g_autoptr(GError) error = NULL;

    g_assert_false (bs_weights_import (target, path, &error));
    test_assert_error (error, BS_ERROR_MISMATCH, "has a tensor layer9.0.conv1.weight that fixture does not have");
  }
  {
    g_autofree char *path = write_params (model, tmp, NULL, NULL, "layer2.0.conv2.weight");
    g_autoptr(GError) error = NULL;

    g_assert_false (bs_weights_import (target, path, &error));
    test_assert_error (error, BS_ERROR_MISMATCH, "parameter layer2.0.conv2.weight has shape [576] in ",
                       "but fixture needs [8, 8, 3, 3]");
  }
  {
    g_autofree char *path = write_params (model, tmp, NULL, NULL, NULL);
    g_autoptr(GError) error = NULL;

    g_assert_true (bs_weights_import (target, path, &error));
    g_assert_no_error (error);
    for (guint i = 0; i < bs_model_get_n_params (model); i++)
      g_assert_cmpmem (bs_model_get_param (model, i)->data, bs_model_get_param (model, i)->n_elements * 4,
                       bs_model_get_param (target, i)->data, bs_model_get_param (target, i)->n_elements * 4);
  }
  bs_model_free (model);
  bs_model_free (target);
  test_rm_rf (tmp);
}

/* blockscope-cli import of a full ResNet-50 state dict, and of one that does not fit. */
static void
test_cli (void)
{
  g_autofree char *tmp = test_make_tmp_dir ();
  g_autofree char *out = g_build_filename (tmp, "r50.safetensors", NULL);
  g_autofree char *fixture = fixture_path ("torch-activations.pth");
  g_autoptr(GError) error = NULL;
  g_autofree char *weights = NULL;
  BsModel *model = bs_model_new ("imagenet-resnet50", 3, 32, 32, 1000, &error);
  BsModel *loaded;
  BsCheckpointInfo info;
  int status;

  g_assert_no_error (error);
  bs_model_init_params (model, 5);
  weights = write_params (model, tmp, NULL, NULL, NULL);
  {
    const char *argv[] = { BS_CLI_PATH, "import", weights, "--model", "imagenet-resnet50", "--out", out, NULL };
    g_autofree char *stdout_text = NULL;
    g_autofree char *err = NULL;
    g_autofree char *expected = g_strdup_printf ("%s imported as imagenet-resnet50: %s\n", weights, out);

    g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &stdout_text, &err, &status, &error);
    g_assert_no_error (error);
    g_assert_true (g_spawn_check_wait_status (status, NULL));
    g_assert_cmpstr (stdout_text, ==, expected);
  }
  bs_checkpoint_info_init (&info);
  loaded = bs_checkpoint_load (out, &info, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (info.architecture, ==, "imagenet-resnet50");
  g_assert_cmpuint (info.n_classes, ==, 1000);
  for (guint i = 0; i < bs_model_get_n_params (model); i++)
    g_assert_cmpmem (bs_model_get_param (model, i)->data, bs_model_get_param (model, i)->n_elements * 4,
                     bs_model_get_param (loaded, i)->data, bs_model_get_param (loaded, i)->n_elements * 4);
  bs_checkpoint_info_clear (&info);
  bs_model_free (loaded);
  bs_model_free (model);

  {
    g_autofree char *other = g_build_filename (tmp, "other.safetensors", NULL);
    const char *argv[] = { BS_CLI_PATH, "import", fixture, "--model", "imagenet-resnet101", "--out", other, NULL };
    g_autofree char *stdout_text = NULL;
    g_autofree char *err = NULL;

    g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &stdout_text, &err, &status, &error);
    g_assert_no_error (error);
    g_assert_cmpstr (stdout_text, ==, "");
    g_assert_false (g_spawn_check_wait_status (status, NULL));
    g_assert_nonnull (strstr (err, "parameter conv1.weight has shape [8, 3, 7, 7] in "));
    g_assert_nonnull (strstr (err, "but imagenet-resnet101 needs [64, 3, 7, 7]"));
    g_assert_false (g_file_test (other, G_FILE_TEST_EXISTS));
  }
  test_rm_rf (tmp);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/import/pth", test_pth);
  g_test_add_func ("/import/safetensors", test_safetensors);
  g_test_add_func ("/import/hostile", test_hostile);
  g_test_add_func ("/import/fuzz", test_fuzz);
  g_test_add_func ("/import/safetensors-mismatch", test_safetensors_mismatch);
  g_test_add_func ("/import/cli", test_cli);
  return g_test_run ();
}
