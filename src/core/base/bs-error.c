/* bs-error.c */
#include "bs-error.h"

G_DEFINE_QUARK (bs-error-quark, bs_error)
