/* bs-i18n.c */
#include "bs-config.h"

#include "bs-i18n.h"

#include <libintl.h>

#include "bs-build-tree.h"

/* meson compiles each domain's catalogues into po/<lang>/LC_MESSAGES (the
 * program's) and po/core/<lang>/LC_MESSAGES (the core's) of the build tree. */
static void
bind_domain (const char *domain,
             const char *build_root,
             const char *build_subdir)
{
  g_autofree char *dir = NULL;

  if (build_root != NULL)
    dir = g_build_filename (build_root, build_subdir, NULL);
  bindtextdomain (domain, dir != NULL ? dir : BS_LOCALEDIR);
  bind_textdomain_codeset (domain, "UTF-8");
}

void
bs_i18n_init (const char *program_domain)
{
  g_autofree char *build_root = bs_build_tree_root ();

  bind_domain (BS_CORE_GETTEXT_PACKAGE, build_root, "po/core");
  if (program_domain != NULL)
    {
      bind_domain (program_domain, build_root, "po");
      textdomain (program_domain);
    }
}
