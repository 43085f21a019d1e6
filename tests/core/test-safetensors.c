/* test-safetensors.c: safetensors round trips, hand-made files and every kind of damage. */
#include <glib/gstdio.h>
#include <string.h>

#include "bs-error.h"
#include "bs-safetensors.h"
#include "bs-test-util.h"

typedef struct {
  char *dir;
} Fixture;

static void
fixture_set_up (Fixture       *fx,
                gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  fx->dir = g_dir_make_tmp ("bs-test-safetensors-XXXXXX", &error);
  g_assert_no_error (error);
}

static void
fixture_tear_down (Fixture       *fx,
                   gconstpointer  data)
{
  bs_test_remove_tree (fx->dir);
  g_free (fx->dir);
}

/* Writes a file from parts, independent of the writer under test. */
static char *
write_raw (Fixture      *fx,
           const char   *name,
           guint64       header_length,
           const char   *header,
           const void   *data,
           gsize         data_length)
{
  g_autoptr(GByteArray) bytes = g_byte_array_new ();
  g_autoptr(GError) error = NULL;
  char *path = g_build_filename (fx->dir, name, NULL);
  guint64 le = GUINT64_TO_LE (header_length);

  g_byte_array_append (bytes, (const guint8 *) &le, 8);
  g_byte_array_append (bytes, (const guint8 *) header, strlen (header));
  if (data_length > 0)
    g_byte_array_append (bytes, data, data_length);
  g_file_set_contents (path, (const char *) bytes->data, bytes->len, &error);
  g_assert_no_error (error);
  return path;
}

static char *
write_header (Fixture    *fx,
              const char *header,
              gsize       data_length)
{
  g_autofree guint8 *data = g_malloc0 (data_length + 1);

  for (gsize i = 0; i < data_length; i++)
    data[i] = (guint8) i;
  return write_raw (fx, "damaged.safetensors", strlen (header), header, data, data_length);
}

/* The load must fail in BS_ERROR with a message naming the file and containing each fragment. */
static void
assert_load_fails (const char *path,
                   int         code,
                   const char *fragment1,
                   const char *fragment2)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BsSafetensors) st = bs_safetensors_load (path, &error);

  g_assert_null (st);
  g_assert_error (error, BS_ERROR, code);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, path));
  if (fragment1 != NULL)
    g_assert_nonnull (strstr (error->message, fragment1));
  if (fragment2 != NULL)
    g_assert_nonnull (strstr (error->message, fragment2));
}

static void
test_round_trip (Fixture       *fx,
                 gconstpointer  data)
{
  g_autoptr(BsSafetensorsWriter) writer = bs_safetensors_writer_new ();
  g_autoptr(BsSafetensors) st = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *path = g_build_filename (fx->dir, "rt.safetensors", NULL);
  g_autofree char *contents = NULL;
  g_autofree const char **keys = NULL;
  gsize length;
  guint64 header_length;
  float f32[6] = { 1.5f, -2.0f, 3.25f, 0.0f, -0.0f, 1e-30f };
  double f64[3] = { 1.0 / 3.0, -1e300, 42.0 };
  gint64 i64 = -1234567890123LL;
  gint64 shape_f32[2] = { 2, 3 };
  gint64 shape_f64[1] = { 3 };
  gint64 shape_empty[2] = { 0, 5 };
  const BsTensorView *view;

  g_assert_true (bs_safetensors_writer_add (writer, "layer.weight", BS_DTYPE_F32, 2, shape_f32, f32, &error));
  g_assert_true (bs_safetensors_writer_add (writer, "doubles", BS_DTYPE_F64, 1, shape_f64, f64, &error));
  g_assert_true (bs_safetensors_writer_add (writer, "bn.num_batches_tracked", BS_DTYPE_I64, 0, NULL, &i64, &error));
  g_assert_true (bs_safetensors_writer_add (writer, "empty", BS_DTYPE_F32, 2, shape_empty, NULL, &error));
  g_assert_no_error (error);
  bs_safetensors_writer_set_metadata (writer, "architecture", "resnet20");
  bs_safetensors_writer_set_metadata (writer, "note", "quotes \" and \\ and ünïcode");
  bs_safetensors_writer_set_metadata (writer, "architecture", "resnet56");   /* replaces */
  g_assert_true (bs_safetensors_writer_save (writer, path, &error));
  g_assert_no_error (error);

  /* Layout by hand: length prefix, JSON padded with spaces to a multiple of 8. */
  g_assert_true (g_file_get_contents (path, &contents, &length, NULL));
  memcpy (&header_length, contents, 8);
  header_length = GUINT64_FROM_LE (header_length);
  g_assert_cmpuint (header_length % 8, ==, 0);
  g_assert_cmpuint (length, ==, 8 + header_length + sizeof f32 + sizeof f64 + sizeof i64);
  g_assert_cmpint (contents[8], ==, '{');
  g_assert_nonnull (g_strstr_len (contents + 8, header_length, "\"data_offsets\":[0,24]"));
  g_assert_cmpmem (contents + 8 + header_length, sizeof f32, f32, sizeof f32);

  st = bs_safetensors_load (path, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (bs_safetensors_get_n_tensors (st), ==, 4);

  view = bs_safetensors_get (st, "layer.weight");
  g_assert_nonnull (view);
  g_assert_cmpint (view->dtype, ==, BS_DTYPE_F32);
  g_assert_cmpuint (view->ndim, ==, 2);
  g_assert_cmpint (view->shape[0], ==, 2);
  g_assert_cmpint (view->shape[1], ==, 3);
  g_assert_cmpuint (view->n_elements, ==, 6);
  g_assert_cmpmem (view->data, view->n_bytes, f32, sizeof f32);

  view = bs_safetensors_get (st, "doubles");
  g_assert_cmpint (view->dtype, ==, BS_DTYPE_F64);
  g_assert_cmpmem (view->data, view->n_bytes, f64, sizeof f64);

  view = bs_safetensors_get (st, "bn.num_batches_tracked");
  g_assert_cmpint (view->dtype, ==, BS_DTYPE_I64);
  g_assert_cmpuint (view->ndim, ==, 0);
  g_assert_cmpuint (view->n_elements, ==, 1);
  g_assert_cmpint (*(const gint64 *) view->data, ==, i64);

  view = bs_safetensors_get (st, "empty");
  g_assert_cmpuint (view->n_elements, ==, 0);
  g_assert_cmpint (view->shape[0], ==, 0);
  g_assert_cmpint (view->shape[1], ==, 5);

  g_assert_null (bs_safetensors_get (st, "missing"));
  g_assert_cmpstr (bs_safetensors_get_metadata (st, "architecture"), ==, "resnet56");
  g_assert_cmpstr (bs_safetensors_get_metadata (st, "note"), ==, "quotes \" and \\ and ünïcode");
  g_assert_null (bs_safetensors_get_metadata (st, "missing"));
  keys = bs_safetensors_list_metadata (st);
  g_assert_cmpstr (keys[0], ==, "architecture");
  g_assert_cmpstr (keys[1], ==, "note");
  g_assert_null (keys[2]);

  /* The typed accessor checks dtype and size. */
  g_assert_nonnull (bs_safetensors_get_f32 (st, "layer.weight", 6, &error));
  g_assert_no_error (error);
  g_assert_null (bs_safetensors_get_f32 (st, "layer.weight", 5, &error));
  g_assert_error (error, BS_ERROR, BS_ERROR_MISMATCH);
  g_clear_error (&error);
  g_assert_null (bs_safetensors_get_f32 (st, "doubles", 3, &error));
  g_assert_error (error, BS_ERROR, BS_ERROR_MISMATCH);
  g_clear_error (&error);
  g_assert_null (bs_safetensors_get_f32 (st, "nope", 3, &error));
  g_assert_error (error, BS_ERROR, BS_ERROR_MISMATCH);
  g_assert_nonnull (strstr (error->message, "nope"));
}

/* A file made by hand, as another program would write it: keys in another
 * order, an unpadded header that leaves F64 data misaligned, extra fields. */
static void
test_read_foreign (Fixture       *fx,
                   gconstpointer  data)
{
  const char *header = "{\"b\":{\"shape\":[2],\"data_offsets\":[4,20],\"dtype\":\"F64\",\"extra\":1},"
                       "\"a\":{\"data_offsets\":[0,4],\"dtype\":\"F32\",\"shape\":[]}}";
  guint8 bytes[20];
  float a = 7.5f;
  double b[2] = { -3.0, 0.125 };
  g_autofree char *path = NULL;
  g_autoptr(BsSafetensors) st = NULL;
  g_autoptr(GError) error = NULL;
  const BsTensorView *view;
  double got[2];

  memcpy (bytes, &a, 4);
  memcpy (bytes + 4, b, 16);
  path = write_raw (fx, "foreign.safetensors", strlen (header), header, bytes, sizeof bytes);
  st = bs_safetensors_load (path, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (bs_safetensors_get_n_tensors (st), ==, 2);
  /* In data order. */
  g_assert_cmpstr (bs_safetensors_get_nth (st, 0)->name, ==, "a");
  g_assert_cmpstr (bs_safetensors_get_nth (st, 1)->name, ==, "b");
  view = bs_safetensors_get (st, "a");
  g_assert_cmpfloat (*(const float *) view->data, ==, 7.5f);
  view = bs_safetensors_get (st, "b");
  g_assert_cmpuint ((guintptr) view->data % 8, ==, 0);
  memcpy (got, view->data, sizeof got);
  g_assert_cmpfloat (got[0], ==, -3.0);
  g_assert_cmpfloat (got[1], ==, 0.125);
  g_assert_cmpfloat (((const double *) view->data)[1], ==, 0.125);
  g_assert_null (bs_safetensors_get_metadata (st, "architecture"));

  /* An empty file set is valid: no tensors, no data. */
  g_clear_pointer (&st, bs_safetensors_free);
  g_clear_pointer (&path, g_free);
  path = write_raw (fx, "empty.safetensors", 8, "{}      ", NULL, 0);
  st = bs_safetensors_load (path, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (bs_safetensors_get_n_tensors (st), ==, 0);
}

static void
test_damage_header_length (Fixture       *fx,
                           gconstpointer  data)
{
  const char *header = "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}";
  guint8 bytes[4] = { 0 };
  g_autofree char *tiny = NULL, *zero = NULL, *longer = NULL, *huge = NULL, *short_file = NULL;

  zero = write_raw (fx, "zero.safetensors", 0, header, bytes, 4);
  assert_load_fails (zero, BS_ERROR_FORMAT, "header length 0", NULL);
  tiny = write_raw (fx, "tiny.safetensors", 1, header, bytes, 4);
  assert_load_fails (tiny, BS_ERROR_FORMAT, "header length 1", NULL);
  /* Header length one byte past the end of the file. */
  longer = write_raw (fx, "longer.safetensors", strlen (header) + 5, header, bytes, 4);
  assert_load_fails (longer, BS_ERROR_FORMAT, "longer than the file", NULL);
  huge = write_raw (fx, "huge.safetensors", G_GUINT64_CONSTANT (0xffffffffffffffff), header, bytes, 4);
  assert_load_fails (huge, BS_ERROR_FORMAT, "longer than the file", NULL);
  short_file = g_build_filename (fx->dir, "short.safetensors", NULL);
  g_assert_true (g_file_set_contents (short_file, "\x10\0\0", 3, NULL));
  assert_load_fails (short_file, BS_ERROR_FORMAT, "3 bytes", NULL);
}

static void
test_damage_json (Fixture       *fx,
                  gconstpointer  data)
{
  g_autofree char *p1 = write_header (fx, "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}", 4);
  assert_load_fails (p1, BS_ERROR_FORMAT, "not valid JSON", NULL);
  g_free (p1);
  p1 = write_header (fx, "[1, 2, 3]", 0);
  assert_load_fails (p1, BS_ERROR_FORMAT, "'{'", NULL);
  g_free (p1);
  p1 = write_header (fx, "{\"a\": 5}", 0);
  assert_load_fails (p1, BS_ERROR_FORMAT, "'a'", "not an object");
  g_free (p1);
  p1 = write_header (fx, "{\"__metadata__\": {\"k\": 5}}", 0);
  assert_load_fails (p1, BS_ERROR_FORMAT, "__metadata__", "'k'");
  g_free (p1);
  {
    /* Small, and deep enough to overflow json-glib's recursion: refused before it parses. */
    GString *deep = g_string_new ("{\"a\":");

    for (guint i = 0; i < 200000; i++)
      g_string_append_c (deep, '[');
    for (guint i = 0; i < 200000; i++)
      g_string_append_c (deep, ']');
    g_string_append_c (deep, '}');
    p1 = write_header (fx, deep->str, 0);
    g_string_free (deep, TRUE);
    assert_load_fails (p1, BS_ERROR_FORMAT, "nested deeper", NULL);
  }
}

static void
test_damage_entry (Fixture       *fx,
                   gconstpointer  data)
{
  const struct {
    const char *header;
    const char *fragment;
  } cases[] = {
    { "{\"w\":{\"dtype\":\"BF16\",\"shape\":[2],\"data_offsets\":[0,4]}}", "unsupported dtype 'BF16'" },
    { "{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,4]}}", "8 bytes but data_offsets span 4" },
    { "{\"w\":{\"shape\":[1],\"data_offsets\":[0,4]}}", "no dtype" },
    { "{\"w\":{\"dtype\":\"F32\",\"data_offsets\":[0,4]}}", "no shape" },
    { "{\"w\":{\"dtype\":\"F32\",\"shape\":[1]}}", "no data_offsets" },
    { "{\"w\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", "shape entry 0" },
    { "{\"w\":{\"dtype\":\"F32\",\"shape\":[1.5],\"data_offsets\":[0,4]}}", "shape entry 0" },
    { "{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,0]}}", "end before" },
    { "{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0]}}", "pair" },
    { "{\"w\":{\"dtype\":\"F32\",\"shape\":[4611686018427387904,4],\"data_offsets\":[0,4]}}", "too large" },
    { "{\"w\":{\"dtype\":\"F32\",\"shape\":[1,1,1,1,1,1,1,1,1],\"data_offsets\":[0,4]}}", "dimensions" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *path = write_header (fx, cases[i].header, 4);

      assert_load_fails (path, BS_ERROR_FORMAT, "'w'", cases[i].fragment);
    }
}

static void
test_damage_tiling (Fixture       *fx,
                    gconstpointer  data)
{
  g_autofree char *gap = NULL, *overlap = NULL, *trailing = NULL, *late = NULL, *past = NULL;

  late = write_header (fx, "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8);
  assert_load_fails (late, BS_ERROR_FORMAT, "gap of 4 bytes", "'a'");
  g_clear_pointer (&late, g_free);
  gap = write_header (fx, "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                          "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]}}", 12);
  assert_load_fails (gap, BS_ERROR_FORMAT, "gap of 4 bytes", "'b'");
  overlap = write_header (fx, "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                              "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 12);
  assert_load_fails (overlap, BS_ERROR_FORMAT, "'b' overlaps", "'a'");
  g_free (overlap);
  /* A zero-size tensor placed inside another one is an overlap too. */
  overlap = write_header (fx, "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                              "\"z\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[4,4]}}", 8);
  assert_load_fails (overlap, BS_ERROR_FORMAT, "overlaps", "'z'");
  trailing = write_header (fx, "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 7);
  assert_load_fails (trailing, BS_ERROR_FORMAT, "3 trailing bytes", NULL);
  past = write_header (fx, "{\"a\":{\"dtype\":\"F64\",\"shape\":[2],\"data_offsets\":[0,16]}}", 12);
  assert_load_fails (past, BS_ERROR_FORMAT, "truncated", "'a'");
}

static void
test_damage_truncated (Fixture       *fx,
                       gconstpointer  data)
{
  g_autoptr(BsSafetensorsWriter) writer = bs_safetensors_writer_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *path = g_build_filename (fx->dir, "cut.safetensors", NULL);
  g_autofree char *contents = NULL;
  float values[64] = { 0 };
  gint64 shape[1] = { 64 };
  gsize length;

  g_assert_true (bs_safetensors_writer_add (writer, "first", BS_DTYPE_F32, 1, shape, values, &error));
  g_assert_true (bs_safetensors_writer_add (writer, "second", BS_DTYPE_F32, 1, shape, values, &error));
  g_assert_true (bs_safetensors_writer_save (writer, path, &error));
  g_assert_true (g_file_get_contents (path, &contents, &length, NULL));

  /* Cut at several points: inside the data, inside the header, inside the prefix. */
  for (gsize cut = 1; cut < length; cut += 37)
    {
      g_assert_true (g_file_set_contents (path, contents, length - cut, NULL));
      assert_load_fails (path, BS_ERROR_FORMAT, NULL, NULL);
    }
  g_assert_true (g_file_set_contents (path, contents, length - 4, NULL));
  assert_load_fails (path, BS_ERROR_FORMAT, "truncated", "'second'");
}

static void
test_missing_file (Fixture       *fx,
                   gconstpointer  data)
{
  g_autofree char *path = g_build_filename (fx->dir, "does-not-exist.safetensors", NULL);

  assert_load_fails (path, BS_ERROR_NOT_FOUND, NULL, NULL);
  assert_load_fails (fx->dir, BS_ERROR_IO, "not a regular file", NULL);
}

static void
test_writer_errors (Fixture       *fx,
                    gconstpointer  data)
{
  g_autoptr(BsSafetensorsWriter) writer = bs_safetensors_writer_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *bad_path = g_build_filename (fx->dir, "no-such-folder", "x.safetensors", NULL);
  float v = 1.0f;
  gint64 shape[1] = { 1 };
  gint64 negative[1] = { -1 };

  g_assert_true (bs_safetensors_writer_add (writer, "a", BS_DTYPE_F32, 1, shape, &v, &error));
  g_assert_false (bs_safetensors_writer_add (writer, "a", BS_DTYPE_F32, 1, shape, &v, &error));
  g_assert_error (error, BS_ERROR, BS_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  g_assert_false (bs_safetensors_writer_add (writer, "__metadata__", BS_DTYPE_F32, 1, shape, &v, &error));
  g_assert_error (error, BS_ERROR, BS_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  g_assert_false (bs_safetensors_writer_add (writer, "n", BS_DTYPE_F32, 1, negative, &v, &error));
  g_assert_error (error, BS_ERROR, BS_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);

  g_assert_false (bs_safetensors_writer_save (writer, bad_path, &error));
  g_assert_error (error, BS_ERROR, BS_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (error->message, bad_path));
  g_assert_false (g_file_test (bad_path, G_FILE_TEST_EXISTS));
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

#define ADD(name, func) g_test_add ("/safetensors/" name, Fixture, NULL, fixture_set_up, func, fixture_tear_down)
  ADD ("round-trip", test_round_trip);
  ADD ("read-foreign", test_read_foreign);
  ADD ("damage/header-length", test_damage_header_length);
  ADD ("damage/json", test_damage_json);
  ADD ("damage/entry", test_damage_entry);
  ADD ("damage/tiling", test_damage_tiling);
  ADD ("damage/truncated", test_damage_truncated);
  ADD ("missing-file", test_missing_file);
  ADD ("writer-errors", test_writer_errors);
#undef ADD

  return g_test_run ();
}
