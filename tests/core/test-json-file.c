/* test-json-file.c: bounded reads of small JSON files (bs-json-file.h). */
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>
#include <sys/stat.h>

#include "bs-error.h"
#include "bs-json-file.h"
#include "bs-test-util.h"

static char *tmp_dir;

static void
test_depth (void)
{
  /* Brackets inside strings (with escaped quotes) do not count. */
  const char *flat = "{\"a\": \"[[[[{{{{\\\"[[[[\", \"b\": [1, [2]]}";

  g_assert_true (bs_json_check_depth (flat, strlen (flat), 3));
  g_assert_false (bs_json_check_depth (flat, strlen (flat), 2));
  g_assert_true (bs_json_check_depth ("[[[]]]", 6, 3));
  g_assert_false (bs_json_check_depth ("[[[]]]", 6, 2));
  /* Closing brackets too many do not go below zero. */
  g_assert_true (bs_json_check_depth ("]]]][[", 6, 2));
  g_assert_false (bs_json_check_depth ("]]]][[[", 7, 2));
}

static void
test_load (void)
{
  g_autofree char *path = g_build_filename (tmp_dir, "a.json", NULL);
  g_autofree char *dir = g_build_filename (tmp_dir, "folder.json", NULL);
  g_autofree char *missing = g_build_filename (tmp_dir, "missing.json", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) node = NULL;
  JsonObject *o;
  guint64 u;
  double d;
  gboolean b;

  g_assert_true (g_file_set_contents (path, "{\"n\": 7, \"x\": null, \"f\": 0.5, \"t\": true, \"s\": \"hi\", "
                                            "\"o\": {}, \"neg\": -1}", -1, NULL));
  node = bs_json_file_load (path, 1024, &error);
  g_assert_no_error (error);
  o = json_node_get_object (node);
  g_assert_true (bs_json_member_uint (o, "n", 10, &u));
  g_assert_cmpuint (u, ==, 7);
  g_assert_false (bs_json_member_uint (o, "n", 6, &u));
  g_assert_false (bs_json_member_uint (o, "neg", 10, &u));
  g_assert_false (bs_json_member_uint (o, "f", 10, &u));
  g_assert_true (bs_json_member_double (o, "x", &d));
  g_assert_true (isnan (d));
  g_assert_true (bs_json_member_double (o, "n", &d));
  g_assert_cmpfloat (d, ==, 7);
  g_assert_false (bs_json_member_double (o, "s", &d));
  g_assert_true (bs_json_member_bool (o, "t", &b));
  g_assert_true (b);
  g_assert_false (bs_json_member_bool (o, "n", &b));
  g_assert_cmpstr (bs_json_member_string (o, "s"), ==, "hi");
  g_assert_null (bs_json_member_string (o, "n"));
  g_assert_nonnull (bs_json_member_object (o, "o"));
  g_assert_null (bs_json_member_object (o, "absent"));

  /* Too large for the bound, before anything is read. */
  g_assert_null (bs_json_file_load (path, 8, &error));
  g_assert_error (error, BS_ERROR, BS_ERROR_FORMAT);
  g_assert_nonnull (strstr (error->message, "too large"));
  g_clear_error (&error);
  /* Missing, and a folder. */
  g_assert_null (bs_json_file_load (missing, 1024, &error));
  g_assert_error (error, BS_ERROR, BS_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (error->message, missing));
  g_clear_error (&error);
  g_assert_cmpint (g_mkdir (dir, 0755), ==, 0);
  g_assert_null (bs_json_file_load (dir, 1024, &error));
  g_assert_error (error, BS_ERROR, BS_ERROR_IO);
  g_assert_nonnull (strstr (error->message, "not a regular file"));
  g_clear_error (&error);
}

int
main (int    argc,
      char **argv)
{
  g_autoptr(GError) error = NULL;
  int status;

  g_test_init (&argc, &argv, NULL);
  tmp_dir = g_dir_make_tmp ("blockscope-test-json-file-XXXXXX", &error);
  g_assert_no_error (error);

  g_test_add_func ("/json-file/depth", test_depth);
  g_test_add_func ("/json-file/load", test_load);

  status = g_test_run ();
  bs_test_remove_tree (tmp_dir);
  g_free (tmp_dir);
  return status;
}
