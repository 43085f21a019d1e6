/* bs-weights-import.c: a state dict (.pth or safetensors) checked name by
 * name and shape by shape against a model, then copied into it. */
#include "bs-weights-import.h"

#include <errno.h>
#include <glib/gi18n-lib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "bs-error.h"
#include "bs-file-read.h"
#include "bs-pth.h"
#include "bs-safetensors.h"

/* The file's tensors, whichever format it is. */
typedef struct {
  BsPth         *pth;
  BsSafetensors *st;
} Source;

static void
source_clear (Source *s)
{
  g_clear_pointer (&s->pth, bs_pth_free);
  g_clear_pointer (&s->st, bs_safetensors_free);
}

static gboolean
source_open (Source      *s,
             const char  *path,
             GError     **error)
{
  char magic[4] = { 0 };
  gsize n_read = 0;
  guint64 size;
  gboolean zip;
  int fd;

  memset (s, 0, sizeof *s);
  /* The type is checked before the open: a FIFO would block it. */
  fd = bs_file_open_regular (path, &size, error);
  if (fd < 0)
    return FALSE;
  zip = bs_file_read_at (fd, path, 0, magic, 4, &n_read, NULL) && n_read == 4
        && memcmp (magic, "PK\x03\x04", 4) == 0;
  close (fd);
  /* A .pth that is not a zip (the legacy format) is told so by bs-pth. */
  if (zip || g_str_has_suffix (path, ".pth") || g_str_has_suffix (path, ".pt"))
    s->pth = bs_pth_load (path, error);
  else
    s->st = bs_safetensors_load (path, error);
  return s->pth != NULL || s->st != NULL;
}

static guint
source_n (Source *s)
{
  return s->pth ? bs_pth_get_n_tensors (s->pth) : bs_safetensors_get_n_tensors (s->st);
}

static const BsTensorView *
source_nth (Source *s,
            guint   i)
{
  return s->pth ? bs_pth_get_nth (s->pth, i) : bs_safetensors_get_nth (s->st, i);
}

static const BsTensorView *
source_get (Source     *s,
            const char *name)
{
  return s->pth ? bs_pth_get (s->pth, name) : bs_safetensors_get (s->st, name);
}

static char *
shape_text (guint         ndim,
            const gint64 *shape)
{
  GString *text = g_string_new ("[");

  for (guint d = 0; d < ndim; d++)
    g_string_append_printf (text, "%s%" G_GINT64_FORMAT, d ? ", " : "", shape[d]);
  g_string_append_c (text, ']');
  return g_string_free (text, FALSE);
}

static gboolean
import_source (BsModel     *model,
               Source      *s,
               const char  *path,
               GError     **error)
{
  g_autoptr(GHashTable) used = g_hash_table_new (g_str_hash, g_str_equal);
  gboolean have_count = FALSE;
  gint64 count = 0;

  for (guint i = 0; i < bs_model_get_n_params (model); i++)
    {
      BsParam *p = bs_model_get_param (model, i);
      const BsTensorView *t = source_get (s, p->name);
      gboolean same = t != NULL && t->ndim == p->ndim;

      if (t == NULL)
        {
          g_set_error (error, BS_ERROR, BS_ERROR_MISMATCH,
                       /* Translators: a file, a parameter name, an architecture. */
                       _("%s lacks parameter %s of %s"), path, p->name, bs_model_get_name (model));
          return FALSE;
        }
      for (guint d = 0; same && d < p->ndim; d++)
        same = t->shape[d] == p->shape[d];
      if (!same)
        {
          g_autofree char *theirs = shape_text (t->ndim, t->shape);
          g_autofree char *ours = shape_text (p->ndim, p->shape);

          g_set_error (error, BS_ERROR, BS_ERROR_MISMATCH,
                       /* Translators: a parameter name, a file, its shape there, an architecture, its shape. */
                       _("parameter %s has shape %s in %s, but %s needs %s"),
                       p->name, theirs, path, bs_model_get_name (model), ours);
          return FALSE;
        }
      if (t->dtype == BS_DTYPE_F32)
        memcpy (p->data, t->data, p->n_elements * sizeof (float));
      else if (t->dtype == BS_DTYPE_F64)
        for (gsize k = 0; k < p->n_elements; k++)
          p->data[k] = (float) ((const double *) t->data)[k];
      else
        {
          g_set_error (error, BS_ERROR, BS_ERROR_MISMATCH,
                       /* Translators: a parameter name, a file. */
                       _("parameter %s in %s is not a floating-point tensor"), p->name, path);
          return FALSE;
        }
      g_hash_table_add (used, (char *) t->name);
    }

  for (guint i = 0; i < source_n (s); i++)
    {
      const BsTensorView *t = source_nth (s, i);

      if (g_hash_table_contains (used, t->name))
        continue;
      if (g_str_has_suffix (t->name, ".num_batches_tracked") && t->n_elements == 1)
        {
          if (!have_count && t->dtype == BS_DTYPE_I64)
            memcpy (&count, t->data, sizeof count);
          have_count = TRUE;
          continue;
        }
      g_set_error (error, BS_ERROR, BS_ERROR_MISMATCH,
                   /* Translators: a file, a tensor name in it, an architecture. */
                   _("%s has a tensor %s that %s does not have"), path, t->name, bs_model_get_name (model));
      return FALSE;
    }
  bs_model_set_batches_tracked (model, count);
  return TRUE;
}

gboolean
bs_weights_import (BsModel     *model,
                   const char  *path,
                   GError     **error)
{
  Source s;
  gboolean ok;

  if (!source_open (&s, path, error))
    return FALSE;
  ok = import_source (model, &s, path, error);
  source_clear (&s);
  return ok;
}

/* torchvision's transforms for its ImageNet weights (Normalize after ToTensor). */
static const float imagenet_mean[3] = { 0.485f, 0.456f, 0.406f };
static const float imagenet_std[3] = { 0.229f, 0.224f, 0.225f };

BsModel *
bs_weights_import_model (const char  *path,
                         const char  *architecture,
                         guint        channels,
                         guint        height,
                         guint        width,
                         GError     **error)
{
  Source s;
  const BsTensorView *fc;
  BsModel *model = NULL;

  if (!source_open (&s, path, error))
    return NULL;
  fc = source_get (&s, "fc.weight");
  if (fc == NULL || fc->ndim != 2 || fc->shape[0] < 1 || fc->shape[0] > 100000)
    g_set_error (error, BS_ERROR, BS_ERROR_MISMATCH,
                 /* Translators: a file. */
                 _("%s has no usable fc.weight, so its number of classes is unknown"), path);
  else
    {
      model = bs_model_new (architecture, channels, height, width, (guint) fc->shape[0], error);
      if (model != NULL && !import_source (model, &s, path, error))
        g_clear_pointer (&model, bs_model_free);
      if (model != NULL && g_str_has_prefix (architecture, "imagenet-") && channels == 3)
        bs_model_set_input_normalization (model, imagenet_mean, imagenet_std);
    }
  source_clear (&s);
  return model;
}
