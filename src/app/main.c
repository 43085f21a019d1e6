/* main.c: the entry point of `blockscope`, the desktop application. */
#include "bs-config.h"

#include <locale.h>

#include "bs-application.h"
#include "bs-blas.h"
#include "bs-i18n.h"

int
main (int    argc,
      char **argv)
{
  g_autoptr(BsApplication) app = NULL;

  setlocale (LC_ALL, "");
  bs_i18n_init (GETTEXT_PACKAGE);
  /* Before any thread exists: may re-execute with better OpenBLAS kernels. */
  bs_blas_init (argv);

  app = bs_application_new ();
  if (app == NULL)
    return 1;

  return g_application_run (G_APPLICATION (app), argc, argv);
}
