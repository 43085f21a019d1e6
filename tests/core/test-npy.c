/* test-npy.c: .npy files from numpy itself, round trips and every kind of damage. */
#include <glib/gstdio.h>
#include <string.h>

#include "bs-error.h"
#include "bs-npy.h"
#include "bs-rng.h"
#include "bs-test-util.h"

static char *tmp_dir;

static const char *
fixture (const char *name)
{
  /* Written by tests/make-npy-fixtures.py with numpy.save. */
  return g_test_get_filename (G_TEST_DIST, "fixtures", "npy", name, NULL);
}

/* The values make-npy-fixtures.py stores: element i of a float32 array is
 * i / 8 - 3, of a float64 array i / 3. */
static float
expected_f32 (gsize i)
{
  return (float) ((double) i / 8 - 3);
}

static double
expected_f64 (gsize i)
{
  return (double) i / 3;
}

static char *
tmp_path (const char *name)
{
  return g_build_filename (tmp_dir, name, NULL);
}

static void
assert_fails (const char *path,
              int         code,
              const char *fragment)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BsNpyArray) array = bs_npy_load (path, &error);

  g_assert_null (array);
  g_assert_error (error, BS_ERROR, code);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, path));
  if (fragment != NULL)
    g_assert_nonnull (strstr (error->message, fragment));
}

static void
test_read_numpy_files (void)
{
  const struct {
    const char *name;
    BsDtype     dtype;
    guint       ndim;
    gint64      shape[4];
  } cases[] = {
    { "f4-2x3.npy", BS_DTYPE_F32, 2, { 2, 3 } },
    { "f4-2x3x4x5.npy", BS_DTYPE_F32, 4, { 2, 3, 4, 5 } },
    { "f4-0x3.npy", BS_DTYPE_F32, 2, { 0, 3 } },
    { "f8-scalar.npy", BS_DTYPE_F64, 0, { 0 } },
    { "f8-5.npy", BS_DTYPE_F64, 1, { 5 } },
    { "f8-7x1.npy", BS_DTYPE_F64, 2, { 7, 1 } },
    { "f8-3x2-v2.npy", BS_DTYPE_F64, 2, { 3, 2 } },
  };

  for (guint c = 0; c < G_N_ELEMENTS (cases); c++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(BsNpyArray) array = bs_npy_load (fixture (cases[c].name), &error);
      gsize n = 1;

      g_test_message ("%s", cases[c].name);
      g_assert_no_error (error);
      g_assert_cmpint (array->dtype, ==, cases[c].dtype);
      g_assert_cmpuint (array->ndim, ==, cases[c].ndim);
      for (guint d = 0; d < cases[c].ndim; d++)
        {
          g_assert_cmpint (array->shape[d], ==, cases[c].shape[d]);
          n *= cases[c].shape[d];
        }
      g_assert_cmpuint (array->n_elements, ==, n);
      for (gsize i = 0; i < n; i++)
        if (array->dtype == BS_DTYPE_F32)
          g_assert_cmpfloat (((float *) array->data)[i], ==, expected_f32 (i));
        else
          g_assert_cmpfloat (((double *) array->data)[i], ==, expected_f64 (i));
    }
}

/* The writer produces the very bytes numpy.save does. */
static void
test_write_matches_numpy (void)
{
  const char *names[] = { "f4-2x3.npy", "f4-2x3x4x5.npy", "f4-0x3.npy", "f8-scalar.npy", "f8-5.npy", "f8-7x1.npy" };

  for (guint c = 0; c < G_N_ELEMENTS (names); c++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(BsNpyArray) array = bs_npy_load (fixture (names[c]), &error);
      g_autofree char *path = tmp_path ("copy.npy");
      g_autofree char *ours = NULL, *theirs = NULL;
      gsize our_length, their_length;

      g_assert_no_error (error);
      g_assert_true (bs_npy_save (path, array->dtype, array->ndim, array->shape, array->data, &error));
      g_assert_no_error (error);
      g_assert_true (g_file_get_contents (path, &ours, &our_length, NULL));
      g_assert_true (g_file_get_contents (fixture (names[c]), &theirs, &their_length, NULL));
      g_test_message ("%s", names[c]);
      g_assert_cmpmem (ours, our_length, theirs, their_length);
      g_unlink (path);
    }
}

static void
test_round_trip (void)
{
  const struct {
    guint  ndim;
    gint64 shape[5];
  } shapes[] = {
    { 0, { 0 } }, { 1, { 1 } }, { 1, { 0 } }, { 1, { 17 } }, { 2, { 3, 0 } },
    { 3, { 3, 0, 2 } }, { 4, { 2, 3, 5, 7 } }, { 5, { 1, 2, 1, 3, 1 } },
  };
  BsRng rng;

  bs_rng_init (&rng, 11);
  for (guint s = 0; s < G_N_ELEMENTS (shapes); s++)
    for (int dt = 0; dt < 2; dt++)
      {
        BsDtype dtype = dt == 0 ? BS_DTYPE_F32 : BS_DTYPE_F64;
        g_autoptr(GError) error = NULL;
        g_autoptr(BsNpyArray) back = NULL;
        g_autofree char *path = tmp_path ("rt.npy");
        g_autofree guint8 *data = NULL;
        g_autofree char *contents = NULL;
        gsize n = 1, size = dtype == BS_DTYPE_F32 ? 4 : 8, length, header_end;

        for (guint d = 0; d < shapes[s].ndim; d++)
          n *= shapes[s].shape[d];
        data = g_malloc (n * size + 1);
        for (gsize i = 0; i < n; i++)
          {
            double v = bs_rng_normal (&rng) * 1e3;
            float f = (float) v;

            if (dtype == BS_DTYPE_F32)
              memcpy (data + i * 4, &f, 4);
            else
              memcpy (data + i * 8, &v, 8);
          }
        g_assert_true (bs_npy_save (path, dtype, shapes[s].ndim, shapes[s].shape, data, &error));
        g_assert_no_error (error);

        /* Data starts on a 64-byte boundary, after a newline. */
        g_assert_true (g_file_get_contents (path, &contents, &length, NULL));
        header_end = length - n * size;
        g_assert_cmpuint (header_end % 64, ==, 0);
        g_assert_cmpint (contents[header_end - 1], ==, '\n');

        back = bs_npy_load (path, &error);
        g_assert_no_error (error);
        g_assert_cmpint (back->dtype, ==, dtype);
        g_assert_cmpuint (back->ndim, ==, shapes[s].ndim);
        for (guint d = 0; d < shapes[s].ndim; d++)
          g_assert_cmpint (back->shape[d], ==, shapes[s].shape[d]);
        g_assert_cmpuint (back->n_elements, ==, n);
        g_assert_cmpmem (back->data, n * size, data, n * size);
      }
}

static void
test_read_rows (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BsNpyFile) f4 = bs_npy_file_open (fixture ("f4-2x3x4x5.npy"), &error);
  g_autoptr(BsNpyFile) f8 = NULL;
  g_autoptr(BsNpyFile) scalar = NULL;
  double as_double[60];
  float as_float[6];

  g_assert_no_error (error);
  g_assert_cmpuint (bs_npy_file_get_n_rows (f4), ==, 2);
  g_assert_cmpuint (bs_npy_file_get_row_length (f4), ==, 60);
  /* Second row, converted to double. */
  g_assert_true (bs_npy_file_read_rows (f4, 1, 1, BS_DTYPE_F64, as_double, &error));
  g_assert_no_error (error);
  for (gsize i = 0; i < 60; i++)
    g_assert_cmpfloat (as_double[i], ==, (double) expected_f32 (60 + i));
  /* Past the end. */
  g_assert_false (bs_npy_file_read_rows (f4, 1, 2, BS_DTYPE_F64, as_double, &error));
  g_assert_error (error, BS_ERROR, BS_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);

  f8 = bs_npy_file_open (fixture ("f8-3x2-v2.npy"), &error);
  g_assert_no_error (error);
  g_assert_cmpint (bs_npy_file_get_dtype (f8), ==, BS_DTYPE_F64);
  g_assert_true (bs_npy_file_read_rows (f8, 0, 3, BS_DTYPE_F32, as_float, &error));
  for (gsize i = 0; i < 6; i++)
    g_assert_cmpfloat (as_float[i], ==, (float) expected_f64 (i));
  g_assert_true (bs_npy_file_read_rows (f8, 3, 0, BS_DTYPE_F32, as_float, &error));
  g_assert_no_error (error);

  scalar = bs_npy_file_open (fixture ("f8-scalar.npy"), &error);
  g_assert_no_error (error);
  g_assert_cmpuint (bs_npy_file_get_ndim (scalar), ==, 0);
  g_assert_cmpuint (bs_npy_file_get_n_rows (scalar), ==, 1);
  g_assert_cmpuint (bs_npy_file_get_row_length (scalar), ==, 1);
}

/* Conversion of more than one bounce buffer's worth of data. */
static void
test_read_rows_large (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = tmp_path ("large.npy");
  g_autoptr(BsNpyFile) file = NULL;
  gint64 shape[2] = { 300, 1000 };
  gsize n = 300000;
  g_autofree float *data = g_new (float, n);
  g_autofree double *back = g_new (double, n);

  for (gsize i = 0; i < n; i++)
    data[i] = (float) i * 0.25f;
  g_assert_true (bs_npy_save (path, BS_DTYPE_F32, 2, shape, data, &error));
  file = bs_npy_file_open (path, &error);
  g_assert_no_error (error);
  g_assert_true (bs_npy_file_read_rows (file, 0, 300, BS_DTYPE_F64, back, &error));
  for (gsize i = 0; i < n; i++)
    g_assert_cmpfloat (back[i], ==, (double) data[i]);
  g_unlink (path);
}

static void
test_reject_dtypes (void)
{
  assert_fails (fixture ("f4-fortran-2x3.npy"), BS_ERROR_FORMAT, "Fortran order");
  assert_fails (fixture ("i4-3.npy"), BS_ERROR_FORMAT, "'<i4' is not supported");
  assert_fails (fixture ("f2-3.npy"), BS_ERROR_FORMAT, "'<f2' is not supported");
  assert_fails (fixture ("c8-2.npy"), BS_ERROR_FORMAT, "'<c8' is not supported");
  assert_fails (fixture ("f8-big-endian-3.npy"), BS_ERROR_FORMAT, "big-endian");
  assert_fails (fixture ("structured-2.npy"), BS_ERROR_FORMAT, "structured");
}

/* A version 1.0 file with this header text (padded as numpy would) and data. */
static char *
write_npy (const char *header,
           gsize       data_length)
{
  static guint counter;
  g_autoptr(GString) bytes = g_string_new_len ("\x93NUMPY\x01\x00", 8);
  g_autofree char *name = g_strdup_printf ("hand-%u.npy", counter++);
  char *path = tmp_path (name);
  gsize length = strlen (header);
  guint16 le = GUINT16_TO_LE ((guint16) length);

  g_string_append_len (bytes, (const char *) &le, 2);
  g_string_append_len (bytes, header, length);
  for (gsize i = 0; i < data_length; i++)
    g_string_append_c (bytes, (char) i);
  g_assert_true (g_file_set_contents (path, bytes->str, bytes->len, NULL));
  return path;
}

static void
test_header_variants (void)
{
  /* Keys in any order, other quotes, odd spacing, Python 2 longs, no trailing comma. */
  const char *headers[] = {
    "{ 'shape':(2,3) ,'fortran_order':False,\"descr\":'<f4' }\n",
    "{'descr':'<f4','fortran_order':False,'shape':(2L, 3L)}",
    "{\n  'fortran_order' : False ,\n  'shape' : ( 2 , 3 , ) ,\n  'descr' : \"<f4\" ,\n}   \n",
  };

  for (guint i = 0; i < G_N_ELEMENTS (headers); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *path = write_npy (headers[i], 24);
      g_autoptr(BsNpyArray) array = bs_npy_load (path, &error);

      g_assert_no_error (error);
      g_assert_cmpuint (array->ndim, ==, 2);
      g_assert_cmpint (array->shape[0], ==, 2);
      g_assert_cmpint (array->shape[1], ==, 3);
    }
}

static void
test_malformed_headers (void)
{
  const struct {
    const char *header;
    const char *fragment;
  } cases[] = {
    { "{'descr': '<f4', 'fortran_order': False}", "lacks 'shape'" },
    { "{'descr': '<f4', 'shape': (6,)}", "lacks 'fortran_order'" },
    { "{'fortran_order': False, 'shape': (6,)}", "lacks 'descr'" },
    { "{'descr': '<f4', 'fortran_order': False, 'shape': (6,), 'extra': 1}", "'extra'" },
    { "{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (6,)}", "repeated key 'descr'" },
    { "{'descr': '<f4', 'fortran_order': Maybe, 'shape': (6,)}", "fortran_order" },
    { "{'descr': '<f4', 'fortran_order': False, 'shape': (2, x)}", "shape" },
    { "{'descr': '<f4', 'fortran_order': False, 'shape': (-6,)}", "shape" },
    { "{'descr': '<f4', 'fortran_order': False, 'shape': [6]}", "expected '('" },
    { "{'descr': '<f4', 'fortran_order': False, 'shape': (6,)", "malformed" },
    { "{'descr: '<f4', 'fortran_order': False, 'shape': (6,)}", "malformed" },
    { "{'descr': '<f4', 'fortran_order': False, 'shape': (6,)} junk", "after the dictionary" },
    { "{'descr': '<f4' 'fortran_order': False, 'shape': (6,)}", "expected ','" },
    { "['descr', '<f4']", "expected '{'" },
    { "", "expected '{'" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *path = write_npy (cases[i].header, 24);

      assert_fails (path, BS_ERROR_FORMAT, cases[i].fragment);
    }
}

static void
test_malformed_prefix (void)
{
  g_autofree char *contents = NULL;
  gsize length;
  g_autofree char *path = tmp_path ("prefix.npy");

  g_assert_true (g_file_get_contents (fixture ("f4-2x3.npy"), &contents, &length, NULL));

  contents[1] = 'X';
  g_assert_true (g_file_set_contents (path, contents, length, NULL));
  assert_fails (path, BS_ERROR_FORMAT, "magic");
  contents[1] = 'N';

  contents[6] = 4;
  g_assert_true (g_file_set_contents (path, contents, length, NULL));
  assert_fails (path, BS_ERROR_FORMAT, "version 4.0");
  contents[6] = 1;

  /* Header length past the end of the file. */
  contents[8] = (char) 0xff;
  contents[9] = 0x7f;
  g_assert_true (g_file_set_contents (path, contents, length, NULL));
  assert_fails (path, BS_ERROR_FORMAT, "does not fit");
  contents[8] = 'v';
  contents[9] = 0;

  /* A NUL inside the header. */
  contents[70] = '\0';
  g_assert_true (g_file_set_contents (path, contents, length, NULL));
  assert_fails (path, BS_ERROR_FORMAT, "NUL");

  g_assert_true (g_file_set_contents (path, contents, 5, NULL));
  assert_fails (path, BS_ERROR_FORMAT, "magic");
  g_assert_true (g_file_set_contents (path, "", 0, NULL));
  assert_fails (path, BS_ERROR_FORMAT, "magic");
  g_unlink (path);
  assert_fails (path, BS_ERROR_NOT_FOUND, NULL);
}

static void
test_truncated_and_trailing (void)
{
  g_autofree char *contents = NULL;
  g_autofree char *path = tmp_path ("cut.npy");
  gsize length;

  g_assert_true (g_file_get_contents (fixture ("f4-2x3.npy"), &contents, &length, NULL));
  g_assert_true (g_file_set_contents (path, contents, length - 1, NULL));
  assert_fails (path, BS_ERROR_FORMAT, "truncated");
  g_assert_true (g_file_set_contents (path, contents, length - 24, NULL));
  assert_fails (path, BS_ERROR_FORMAT, "truncated");
  contents = g_realloc (contents, length + 4);
  memset (contents + length, 0, 4);
  g_assert_true (g_file_set_contents (path, contents, length + 4, NULL));
  assert_fails (path, BS_ERROR_FORMAT, "4 bytes follow");
}

static void
test_absurd_shapes (void)
{
  const struct {
    const char *header;
    const char *fragment;
  } cases[] = {
    { "{'descr': '<f4', 'fortran_order': False, 'shape': (4611686018427387904, 4)}", "absurdly large" },
    { "{'descr': '<f8', 'fortran_order': False, 'shape': (99999999999999999999,)}", "absurdly large" },
    { "{'descr': '<f8', 'fortran_order': False, 'shape': (10000000, 10000000, 10000000)}", "absurdly large" },
    { "{'descr': '<f4', 'fortran_order': False, 'shape': (100000, 100000)}", "truncated" },
    { "{'descr': '<f4', 'fortran_order': False, 'shape': "
      "(1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1)}", "more than 32" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *path = write_npy (cases[i].header, 16);

      assert_fails (path, BS_ERROR_FORMAT, cases[i].fragment);
    }
}

static void
test_save_errors (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = g_build_filename (tmp_dir, "missing-folder", "m.npy", NULL);
  double v = 1;
  gint64 shape[1] = { 1 };
  gint64 negative[1] = { -1 };
  g_autofree char *ok_path = tmp_path ("ok.npy");

  g_assert_false (bs_npy_save (path, BS_DTYPE_F64, 1, shape, &v, &error));
  g_assert_error (error, BS_ERROR, BS_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (error->message, path));
  g_clear_error (&error);
  g_assert_false (bs_npy_save (ok_path, BS_DTYPE_I64, 1, shape, &v, &error));
  g_assert_error (error, BS_ERROR, BS_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  g_assert_false (bs_npy_save (ok_path, BS_DTYPE_F64, 1, negative, &v, &error));
  g_assert_error (error, BS_ERROR, BS_ERROR_INVALID_ARGUMENT);
  g_assert_false (g_file_test (ok_path, G_FILE_TEST_EXISTS));
}

int
main (int    argc,
      char **argv)
{
  int status;

  g_test_init (&argc, &argv, NULL);
  tmp_dir = g_dir_make_tmp ("bs-test-npy-XXXXXX", NULL);
  g_assert_nonnull (tmp_dir);

  g_test_add_func ("/npy/read-numpy-files", test_read_numpy_files);
  g_test_add_func ("/npy/write-matches-numpy", test_write_matches_numpy);
  g_test_add_func ("/npy/round-trip", test_round_trip);
  g_test_add_func ("/npy/read-rows", test_read_rows);
  g_test_add_func ("/npy/read-rows-large", test_read_rows_large);
  g_test_add_func ("/npy/reject-dtypes", test_reject_dtypes);
  g_test_add_func ("/npy/header-variants", test_header_variants);
  g_test_add_func ("/npy/malformed-headers", test_malformed_headers);
  g_test_add_func ("/npy/malformed-prefix", test_malformed_prefix);
  g_test_add_func ("/npy/truncated-and-trailing", test_truncated_and_trailing);
  g_test_add_func ("/npy/absurd-shapes", test_absurd_shapes);
  g_test_add_func ("/npy/save-errors", test_save_errors);

  status = g_test_run ();
  bs_test_remove_tree (tmp_dir);
  g_free (tmp_dir);
  return status;
}
