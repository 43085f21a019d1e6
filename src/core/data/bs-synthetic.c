/* bs-synthetic.c: class-dependent gratings, generated in milliseconds. */
#include "bs-synthetic.h"

#include <glib/gi18n-lib.h>
#include <math.h>

#include "bs-error.h"
#include "bs-rng.h"

/* A second way to name the streams: one per (split, image), so images are
 * independent of each other and of the split sizes. */
#define STREAM(split, index) (((guint64) (split) << 32) | (index))

gboolean
bs_synthetic_check_params (guint    n_train,
                           guint    n_test,
                           guint    channels,
                           guint    height,
                           guint    width,
                           guint    n_classes,
                           GError **error)
{
  gsize image_size, total;

  if (n_classes < 2 || n_classes > BS_SYNTHETIC_MAX_CLASSES)
    {
      g_set_error (error, BS_ERROR, BS_ERROR_INVALID_ARGUMENT,
                   g_dngettext (GETTEXT_PACKAGE,
                                /* Translators: the number of classes asked for, then the largest
                                 * number allowed. */
                                "synthetic data set: %u class; it takes 2 to %u",
                                "synthetic data set: %u classes; it takes 2 to %u", n_classes),
                   n_classes, BS_SYNTHETIC_MAX_CLASSES);
      return FALSE;
    }
  if (channels < 1 || channels > BS_SYNTHETIC_MAX_CHANNELS)
    {
      g_set_error (error, BS_ERROR, BS_ERROR_INVALID_ARGUMENT,
                   /* Translators: the number of channels asked for (0 or too many), then the
                    * largest number allowed. */
                   _("synthetic data set: %u channels; it takes 1 to %u"),
                   channels, BS_SYNTHETIC_MAX_CHANNELS);
      return FALSE;
    }
  if (height < 1 || width < 1 || height > BS_SYNTHETIC_MAX_SIDE || width > BS_SYNTHETIC_MAX_SIDE)
    {
      g_set_error (error, BS_ERROR, BS_ERROR_INVALID_ARGUMENT,
                   _("synthetic data set: images of %ux%u pixels; each side must be 1 to %u"),
                   height, width, BS_SYNTHETIC_MAX_SIDE);
      return FALSE;
    }
  image_size = (gsize) channels * height * width;
  if (!g_size_checked_mul (&total, image_size, (gsize) n_train + n_test) || total > G_MAXSIZE / 4)
    {
      g_set_error (error, BS_ERROR, BS_ERROR_INVALID_ARGUMENT,
                   /* Translators: training and test images, then channels x height x width. */
                   _("synthetic data set: %u + %u images of %ux%ux%u bytes do not fit in memory"),
                   n_train, n_test, channels, height, width);
      return FALSE;
    }
  return TRUE;
}

void
bs_synthetic_draw_image (guint8  *pixels,
                         guint    channels,
                         guint    height,
                         guint    width,
                         guint    label,
                         guint    n_classes,
                         guint64  seed,
                         guint    split,
                         guint    index)
{
  BsRng rng;
  double theta, cycles, max_cycles, kx, ky, phase, contrast, brightness;
  double blob_x, blob_y, blob_sigma, blob_amp;
  g_autofree float *scratch = g_new (float, 3 * (gsize) width + 3 * (gsize) height);
  float *sx = scratch, *cx = sx + width, *ex = cx + width;
  float *sy = ex + width, *cy = sy + height, *ey = cy + height;
  /* Rounded up to whole 64-bit draws. */
  g_autofree guint8 *noise = g_new (guint8, (gsize) width + 8);

  bs_rng_init_stream (&rng, seed, STREAM (split, index));

  /* The class: orientation spread over half a turn, one of four frequencies.
   * The jitter stays within a quarter of the spacing between classes. */
  theta = G_PI * (label + 0.5 * bs_rng_uniform (&rng) - 0.25) / n_classes;
  max_cycles = MIN (height, width) / 3.0;
  cycles = MIN (1.5 + (label % 4), max_cycles) * (0.9 + 0.2 * bs_rng_uniform (&rng));
  kx = 2 * G_PI * cycles * cos (theta) / width;
  ky = 2 * G_PI * cycles * sin (theta) / height;
  /* The example: where the grating starts (a shift), its contrast and brightness. */
  phase = 2 * G_PI * bs_rng_uniform (&rng);
  contrast = 0.22 + 0.12 * bs_rng_uniform (&rng);
  brightness = 0.4 + 0.2 * bs_rng_uniform (&rng);
  /* A grey blob anywhere, with either sign: it carries no class information. */
  blob_x = width * bs_rng_uniform (&rng);
  blob_y = height * bs_rng_uniform (&rng);
  blob_sigma = (0.1 + 0.15 * bs_rng_uniform (&rng)) * MIN (height, width) + 0.5;
  blob_amp = 0.7 * (bs_rng_uniform (&rng) - 0.5);

  /* sin(kx x + ky y + phase) separates into row and column factors, which
   * makes the whole image a few multiply-adds per pixel. */
  for (guint x = 0; x < width; x++)
    {
      double dx = (x - blob_x) / blob_sigma;

      sx[x] = (float) sin (kx * x + phase);
      cx[x] = (float) cos (kx * x + phase);
      ex[x] = (float) exp (-0.5 * dx * dx);
    }
  for (guint y = 0; y < height; y++)
    {
      double dy = (y - blob_y) / blob_sigma;

      sy[y] = (float) sin (ky * y);
      cy[y] = (float) cos (ky * y);
      ey[y] = (float) (blob_amp * exp (-0.5 * dy * dy));
    }

  for (guint c = 0; c < channels; c++)
    {
      /* The colour of the class: a hue around the colour wheel, as weights per channel. */
      double hue = (double) label / n_classes - (double) c / channels;
      float weight = channels == 1 ? 1.0f : (float) (0.35 + 0.325 * (1 + cos (2 * G_PI * hue)));
      float amp = (float) contrast * weight;
      float base = (float) (brightness + 0.15 * (weight - 0.675));
      guint8 *plane = pixels + (gsize) c * height * width;

      for (guint y = 0; y < height; y++)
        {
          guint8 *row = plane + (gsize) y * width;
          float a_cy = amp * cy[y], a_sy = amp * sy[y], b_ey = ey[y];

          /* Uniform noise in [-0.1, 0.1), eight values from each 64-bit draw;
           * kept apart from the arithmetic below so that it vectorises. */
          for (guint x = 0; x < width; x += 8)
            {
              guint64 bits = bs_rng_next (&rng);

              for (guint k = 0; k < 8; k++)
                noise[x + k] = (guint8) (bits >> (8 * k));
            }
          for (guint x = 0; x < width; x++)
            {
              float v = base + sx[x] * a_cy + cx[x] * a_sy + b_ey * ex[x] +
                        ((float) noise[x] - 128.0f) * (0.1f / 128.0f);

              v = v * 255.0f + 0.5f;
              v = v < 0.0f ? 0.0f : v > 255.0f ? 255.0f : v;
              row[x] = (guint8) v;
            }
        }
    }
}

static void
fill_split (BsImageSet *set,
            guint       n_classes,
            guint64     seed,
            guint       split)
{
  gsize image_size = bs_image_set_image_size (set);

  for (guint i = 0; i < set->n_images; i++)
    {
      set->labels[i] = (guint8) (i % n_classes);
      bs_synthetic_draw_image (set->pixels + i * image_size, set->channels, set->height,
                               set->width, set->labels[i], n_classes, seed, split, i);
    }
}

BsDataset *
bs_dataset_new_synthetic (guint   n_train,
                          guint   n_test,
                          guint   channels,
                          guint   height,
                          guint   width,
                          guint   n_classes,
                          guint64 seed)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BsDataset) dataset = NULL;

  if (!bs_synthetic_check_params (n_train, n_test, channels, height, width, n_classes, &error))
    {
      g_critical ("%s", error->message);
      return NULL;
    }

  /* Translators: the name of the data set of generated images. */
  dataset = bs_dataset_new ("synthetic", _("Synthetic"), n_classes);
  if (!bs_image_set_alloc (&dataset->train, n_train, channels, height, width, "synthetic", &error) ||
      !bs_image_set_alloc (&dataset->test, n_test, channels, height, width, "synthetic", &error))
    {
      g_critical ("%s", error->message);
      return NULL;
    }
  fill_split (&dataset->train, n_classes, seed, 0);
  fill_split (&dataset->test, n_classes, seed, 1);
  return g_steal_pointer (&dataset);
}
