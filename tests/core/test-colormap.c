/* test-colormap.c: the colour-map tables and the value-to-entry rule that
 * the heatmap shader and figure export share. References: the float lists
 * published in BIDS/colormap colormaps.py (entries 0, 128 and 255). */
#include "bs-config.h"

#include <math.h>

#include "bs-colormap.h"

typedef struct {
  BsColormap  map;
  double      rgb[3][3];   /* entries 0, 128, 255 as published */
} Reference;

static const Reference references[] = {
  { BS_COLORMAP_MAGMA,   { { 0.001462, 0.000466, 0.013866 }, { 0.716387, 0.214982, 0.475290 }, { 0.987053, 0.991438, 0.749504 } } },
  { BS_COLORMAP_VIRIDIS, { { 0.267004, 0.004874, 0.329415 }, { 0.127568, 0.566949, 0.550556 }, { 0.993248, 0.906157, 0.143936 } } },
  { BS_COLORMAP_INFERNO, { { 0.001462, 0.000466, 0.013866 }, { 0.735683, 0.215906, 0.330245 }, { 0.988362, 0.998364, 0.644924 } } },
  { BS_COLORMAP_PLASMA,  { { 0.050383, 0.029803, 0.527975 }, { 0.798216, 0.280197, 0.469538 }, { 0.940015, 0.975158, 0.131326 } } },
};

static void
test_published_entries (void)
{
  static const guint entries[] = { 0, 128, 255 };

  for (guint m = 0; m < G_N_ELEMENTS (references); m++)
    {
      const guint8 *table = bs_colormap_get_table (references[m].map);

      for (guint e = 0; e < 3; e++)
        for (guint c = 0; c < 3; c++)
          {
            int want = (int) lround (references[m].rgb[e][c] * 255);

            g_assert_cmpint (table[3 * entries[e] + c], ==, want);
          }
    }
}

static double
luminance (const guint8 *rgb)
{
  double l = 0;
  static const double weights[3] = { 0.2126, 0.7152, 0.0722 };

  for (guint c = 0; c < 3; c++)
    {
      double v = rgb[c] / 255.0;

      v = v <= 0.04045 ? v / 12.92 : pow ((v + 0.055) / 1.055, 2.4);
      l += weights[c] * v;
    }

  return l;
}

/* The maps are perceptually ordered: lightness never drops from low to high. */
static void
test_lightness_increases (void)
{
  for (guint m = 0; m < BS_N_COLORMAPS; m++)
    {
      const guint8 *table = bs_colormap_get_table ((BsColormap) m);

      for (guint i = 1; i < BS_COLORMAP_SIZE; i++)
        g_assert_cmpfloat (luminance (table + 3 * i), >=, luminance (table + 3 * (i - 1)) - 1e-3);
      g_assert_cmpfloat (luminance (table + 3 * 255), >, luminance (table) + 0.5);
    }

  /* Grey is the plain ramp. */
  for (guint i = 0; i < BS_COLORMAP_SIZE; i++)
    for (guint c = 0; c < 3; c++)
      g_assert_cmpint (bs_colormap_get_table (BS_COLORMAP_GREY)[3 * i + c], ==, i);
}

static void
test_index_rule (void)
{
  guint8 rgb[3];

  /* floor (256 t), clamped: each entry covers 1/256 of the range. */
  g_assert_cmpint (bs_colormap_index (0.0, 0, 1), ==, 0);
  g_assert_cmpint (bs_colormap_index (1.0 / 256 - 1e-9, 0, 1), ==, 0);
  g_assert_cmpint (bs_colormap_index (1.0 / 256 + 1e-9, 0, 1), ==, 1);
  g_assert_cmpint (bs_colormap_index (0.5, 0, 1), ==, 128);
  g_assert_cmpint (bs_colormap_index (1.0, 0, 1), ==, 255);
  g_assert_cmpint (bs_colormap_index (-3.0, 0, 1), ==, 0);
  g_assert_cmpint (bs_colormap_index (7.0, 0, 1), ==, 255);
  g_assert_cmpint (bs_colormap_index (NAN, 0, 1), ==, -1);
  /* Another range: 0.75 in [0.5, 1] is the middle. */
  g_assert_cmpint (bs_colormap_index (0.75, 0.5, 1.0), ==, 128);
  /* An empty range does not divide by zero. */
  g_assert_cmpint (bs_colormap_index (0.3, 0.3, 0.3), ==, 0);

  bs_colormap_lookup (BS_COLORMAP_VIRIDIS, 1.0, 0, 1, rgb);
  g_assert_cmpmem (rgb, 3, bs_colormap_get_table (BS_COLORMAP_VIRIDIS) + 3 * 255, 3);
  bs_colormap_lookup (BS_COLORMAP_MAGMA, NAN, 0, 1, rgb);
  g_assert_cmpint (rgb[0], ==, BS_COLORMAP_NAN_R);
  g_assert_cmpint (rgb[1], ==, BS_COLORMAP_NAN_G);
  g_assert_cmpint (rgb[2], ==, BS_COLORMAP_NAN_B);
}

static void
test_names (void)
{
  BsColormap map = BS_COLORMAP_PLASMA;

  for (guint m = 0; m < BS_N_COLORMAPS; m++)
    {
      BsColormap back;

      g_assert_true (bs_colormap_from_string (bs_colormap_to_string ((BsColormap) m), &back));
      g_assert_cmpint (back, ==, m);
      g_assert_nonnull (bs_colormap_display_name ((BsColormap) m));
    }

  g_assert_true (bs_colormap_from_string ("gray", &map));
  g_assert_cmpint (map, ==, BS_COLORMAP_GREY);
  map = BS_COLORMAP_PLASMA;
  g_assert_false (bs_colormap_from_string ("jet", &map));
  g_assert_false (bs_colormap_from_string (NULL, &map));
  g_assert_cmpint (map, ==, BS_COLORMAP_PLASMA);
  g_assert_cmpstr (bs_colormap_to_string (BS_COLORMAP_MAGMA), ==, "magma");
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/colormap/published-entries", test_published_entries);
  g_test_add_func ("/colormap/lightness-increases", test_lightness_increases);
  g_test_add_func ("/colormap/index-rule", test_index_rule);
  g_test_add_func ("/colormap/names", test_names);

  return g_test_run ();
}
