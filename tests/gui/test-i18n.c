/* test-i18n.c: the window in Simplified Chinese, and numbers as the locale writes them.
 *
 * Run with LANGUAGE=zh_CN (tests/gui/meson.build): glibc honours LANGUAGE in
 * any locale but plain C, so the translations are used in C.UTF-8 without a
 * generated zh_CN locale. The number test uses the build tree's de_DE.UTF-8
 * (LOCPATH, tests/meson.build), which groups digits with dots. */
#include "bs-config.h"

#include <glib/gi18n.h>
#include <locale.h>

#include "bs-i18n.h"
#include "bs-number-format.h"
#include "bs-test-utils.h"

/* What may stay in Latin letters in a Chinese window: proper names, model
 * and data set names, model specs, key names and units. */
static const char *allowed_latin =
  "\\b(Blockscope|ResNets?(-\\d+)?|resnet\\d+(x\\d+)?|imagenet-resnet\\d+|ImageNet|CIFAR(-10|-100)?"
  "|Fashion-MNIST|MNIST|CKA|Ctrl|Shift|Enter|Esc|Escape|OpenGL|safetensors|blockscope-cli|train"
  "|cka|magma|viridis|inferno|plasma|Magma|Viridis|Inferno|Plasma|MiB|GiB|kB|MB|GB|PC1)\\b";

typedef struct {
  GRegex    *allowed;
  GRegex    *latin_word;
  GPtrArray *english;   /* texts with Latin words left over */
  guint      checked;
} Scan;

static void
check_text (Scan       *scan,
            const char *where,
            const char *text)
{
  g_autofree char *rest = NULL;

  if (text == NULL || *text == '\0')
    return;
  scan->checked++;
  rest = g_regex_replace_literal (scan->allowed, text, -1, 0, "", 0, NULL);
  if (g_regex_match (scan->latin_word, rest, 0, NULL))
    g_ptr_array_add (scan->english, g_strdup_printf ("%s: “%s”", where, text));
}

static void
scan_menu (Scan       *scan,
           GMenuModel *model)
{
  for (int i = 0; i < g_menu_model_get_n_items (model); i++)
    {
      g_autofree char *label = NULL;
      static const char *links[] = { G_MENU_LINK_SECTION, G_MENU_LINK_SUBMENU };

      if (g_menu_model_get_item_attribute (model, i, G_MENU_ATTRIBUTE_LABEL, "s", &label))
        check_text (scan, "menu item", label);
      for (guint l = 0; l < G_N_ELEMENTS (links); l++)
        {
          g_autoptr(GMenuModel) sub = g_menu_model_get_item_link (model, i, links[l]);

          if (sub != NULL)
            scan_menu (scan, sub);
        }
    }
}

static void
scan_widget (Scan      *scan,
             GtkWidget *widget)
{
  const char *type = G_OBJECT_TYPE_NAME (widget);

  if (GTK_IS_LABEL (widget))
    check_text (scan, type, gtk_label_get_text (GTK_LABEL (widget)));
  if (GTK_IS_BUTTON (widget) && gtk_button_get_label (GTK_BUTTON (widget)) != NULL)
    check_text (scan, type, gtk_button_get_label (GTK_BUTTON (widget)));
  check_text (scan, "tooltip", gtk_widget_get_tooltip_text (widget));
  if (GTK_IS_MENU_BUTTON (widget))
    {
      GMenuModel *model = gtk_menu_button_get_menu_model (GTK_MENU_BUTTON (widget));

      if (model != NULL)
        scan_menu (scan, model);
    }

  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    scan_widget (scan, child);
}

static void
test_window_in_chinese (void)
{
  g_autoptr(BsApplication) app = NULL;
  BsWindow *window;
  Scan scan = { 0 };

  /* The translations are those of the build tree, as for `blockscope` run from it. */
  bs_i18n_init (BS_GETTEXT_PACKAGE);
  g_assert_cmpstr (g_getenv ("LANGUAGE"), ==, "zh_CN");

  app = bs_test_app_new ();
  window = bs_test_app_get_window (app);
  bs_test_screenshot (GTK_WIDGET (window), "window-zh_CN");

  scan.allowed = g_regex_new (allowed_latin, 0, 0, NULL);
  scan.latin_word = g_regex_new ("[A-Za-z]{2,}", 0, 0, NULL);
  scan.english = g_ptr_array_new_with_free_func (g_free);
  scan_widget (&scan, GTK_WIDGET (window));

  /* Every page of the window was seen (the empty state, the heatmap, the
   * options popover, the inspector), not just a handful of labels. */
  g_assert_cmpuint (scan.checked, >, 40);
  for (guint i = 0; i < scan.english->len; i++)
    g_test_message ("not translated: %s", (const char *) g_ptr_array_index (scan.english, i));
  g_assert_cmpuint (scan.english->len, ==, 0);

  /* And it is Chinese, not merely not English. */
  g_assert_cmpstr (_("Data set"), !=, "Data set");
  g_assert_true (g_utf8_get_char (g_utf8_offset_to_pointer (_("Data set"), 0)) >= 0x4E00);

  g_ptr_array_unref (scan.english);
  g_regex_unref (scan.allowed);
  g_regex_unref (scan.latin_word);
  bs_test_app_quit (app);
}

static void
test_number_format (void)
{
  g_autofree char *saved = g_strdup (setlocale (LC_NUMERIC, NULL));
  g_autofree char *c_text = NULL;
  g_autofree char *de_text = NULL;

  /* No grouping in the C locale. */
  g_assert_nonnull (setlocale (LC_NUMERIC, "C.UTF-8"));
  c_text = bs_format_count (1234567);
  g_assert_cmpstr (c_text, ==, "1234567");

  if (setlocale (LC_NUMERIC, "de_DE.UTF-8") == NULL)
    {
      setlocale (LC_NUMERIC, saved);
      g_test_skip ("no de_DE.UTF-8 locale in the build tree: it needs Debian's locales package");
      return;
    }
  de_text = bs_format_count (1234567);
  setlocale (LC_NUMERIC, saved);
  /* German groups by thousands with a dot (glibc's LC_NUMERIC of de_DE). */
  g_assert_cmpstr (de_text, ==, "1.234.567");
}

int
main (int    argc,
      char **argv)
{
  bs_test_init (&argc, &argv);
  /* gtk_test_init() puts the tests in en_US.UTF-8 (or leaves C when that is
   * not generated), where LANGUAGE is not honoured: take the environment's
   * locale, C.UTF-8, as the program does. */
  g_assert_nonnull (setlocale (LC_ALL, ""));

  g_test_add_func ("/i18n/window-in-chinese", test_window_in_chinese);
  g_test_add_func ("/i18n/number-format", test_number_format);

  return g_test_run ();
}
