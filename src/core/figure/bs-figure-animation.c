/* bs-figure-animation.c: frames of figures as an animated GIF (giflib) or numbered PNGs (see the header). */
#include "bs-config.h"

#include "bs-figure-animation.h"

#include <gif_lib.h>
#include <glib/gi18n-lib.h>
#include <math.h>
#include <pango/pangocairo.h>
#include <string.h>

#include "bs-atomic-file.h"
#include "bs-error.h"
#include "bs-figure-palette.h"

#define MAX_FRAMES    10000
#define MIN_FRAME_MS  10
#define MAX_FRAME_MS  60000

void
bs_figure_animation_options_init (BsFigureAnimationOptions *options)
{
  bs_figure_export_options_init (&options->figure);
  options->figure.dpi = 100;
  options->frame_ms = 400;
}

gboolean
bs_figure_animation_check (const BsFigureFrame            *frames,
                           guint                           n_frames,
                           const BsFigureAnimationOptions *options,
                           GError                        **error)
{
  BsFigurePanel panel;

  if (n_frames == 0 || n_frames > MAX_FRAMES)
    {
      g_set_error (error, BS_ERROR, BS_ERROR_INVALID_ARGUMENT,
                   _("Cannot make the animation: it needs between 1 and 10000 frames"));
      return FALSE;
    }
  if (options->frame_ms < MIN_FRAME_MS || options->frame_ms > MAX_FRAME_MS)
    {
      g_set_error (error, BS_ERROR, BS_ERROR_INVALID_ARGUMENT,
                   _("Cannot make the animation: a frame shows for between 10 ms and 60 s"));
      return FALSE;
    }
  for (guint i = 0; i < n_frames; i++)
    if (frames[i].snapshot == NULL)
      {
        g_set_error (error, BS_ERROR, BS_ERROR_INVALID_ARGUMENT,
                     /* Translators: %u is a frame's number, from 1. */
                     _("Cannot make the animation: frame %u has no matrix"), i + 1);
        return FALSE;
      }
  for (guint i = 1; i < n_frames; i++)
    {
      guint rows = bs_cka_snapshot_get_n_rows (frames[i].snapshot), cols = bs_cka_snapshot_get_n_cols (frames[i].snapshot);
      guint rows0 = bs_cka_snapshot_get_n_rows (frames[0].snapshot), cols0 = bs_cka_snapshot_get_n_cols (frames[0].snapshot);

      if (rows != rows0 || cols != cols0)
        {
          g_set_error (error, BS_ERROR, BS_ERROR_MISMATCH,
                       /* Translators: a frame's number, its shape, then the first frame's shape. */
                       _("Cannot make the animation: frame %u is %u × %u layers, but the first frame is %u × %u; "
                         "every frame must compare the same layers"), i + 1, rows, cols, rows0, cols0);
          return FALSE;
        }
    }
  panel = (BsFigurePanel) { .snapshot = frames[0].snapshot };
  return bs_figure_export_check (&panel, 1, &options->figure, error);
}

/* The colour range every frame shares: the data's over all of them, so
 * that a colour means the same value in every frame. */
static void
shared_options (const BsFigureFrame            *frames,
                guint                           n_frames,
                const BsFigureAnimationOptions *options,
                BsFigureExportOptions          *figure)
{
  g_autoptr(GArray) panels = g_array_sized_new (FALSE, TRUE, sizeof (BsFigurePanel), n_frames);

  *figure = options->figure;
  if (figure->range != BS_FIGURE_RANGE_DATA)
    return;
  for (guint i = 0; i < n_frames; i++)
    g_array_append_val (panels, ((BsFigurePanel) { .snapshot = frames[i].snapshot }));
  bs_figure_export_get_range (&g_array_index (panels, BsFigurePanel, 0), n_frames, figure, &figure->lo, &figure->hi);
  figure->range = BS_FIGURE_RANGE_CUSTOM;
}

/* Frame i as an image with its label, or NULL (error set). */
static cairo_surface_t *
render_frame (const BsFigureFrame         *frame,
              const BsFigureExportOptions *figure,
              GError                     **error)
{
  BsFigurePanel panel = { .snapshot = frame->snapshot };
  cairo_surface_t *image = bs_figure_export_image (&panel, 1, figure, error);

  if (image != NULL && frame->label != NULL && frame->label[0] != '\0')
    {
      cairo_t *cr = cairo_create (image);
      PangoLayout *layout = pango_cairo_create_layout (cr);
      PangoFontDescription *font = pango_font_description_from_string (BS_FIGURE_FONT);
      BsFigurePalette palette;

      bs_figure_palette_init_paper (&palette);
      pango_font_description_set_absolute_size (font, 1.1 * figure->font_size_pt * PANGO_SCALE);
      pango_font_description_set_weight (font, PANGO_WEIGHT_BOLD);
      pango_layout_set_font_description (layout, font);
      pango_layout_set_text (layout, frame->label, -1);
      cairo_set_source_rgba (cr, palette.text.red, palette.text.green, palette.text.blue, palette.text.alpha);
      cairo_move_to (cr, 0.5 * figure->font_size_pt, 0.4 * figure->font_size_pt);
      pango_cairo_show_layout (cr, layout);
      pango_font_description_free (font);
      g_object_unref (layout);
      cairo_destroy (cr);
      cairo_surface_flush (image);
    }
  return image;
}

/* ---------------------------------------------------------------- GIF */

typedef struct {
  BsAtomicFile *file;
  GError       *error;
} GifSink;

static int
gif_write (GifFileType    *gif,
           const GifByteType *data,
           int             length)
{
  GifSink *sink = gif->UserData;

  if (sink->error != NULL || length < 0)
    return 0;
  return bs_atomic_file_write (sink->file, data, (gsize) length, &sink->error) ? length : 0;
}

static void
set_gif_error (GError     **error,
               const char  *path,
               int          code)
{
  const char *reason = GifErrorString (code);

  g_set_error (error, BS_ERROR, BS_ERROR_IO,
               /* Translators: a file name and giflib's reason. */
               _("Cannot write the animation '%s': %s"), path, reason != NULL ? reason : "?");
}

/* One frame: its graphics control block (the delay), its own colour
 * table, its pixels. */
static gboolean
put_frame (GifFileType     *gif,
           cairo_surface_t *image,
           guint            frame_ms,
           int             *code)
{
  int w = cairo_image_surface_get_width (image), h = cairo_image_surface_get_height (image);
  int stride = cairo_image_surface_get_stride (image);
  const guint8 *data = cairo_image_surface_get_data (image);
  gsize n = (gsize) w * h;
  g_autofree GifByteType *red = g_new (GifByteType, n);
  g_autofree GifByteType *green = g_new (GifByteType, n);
  g_autofree GifByteType *blue = g_new (GifByteType, n);
  g_autofree GifByteType *indices = g_new (GifByteType, n);
  GifColorType colors[256];
  int n_colors = 256;
  GraphicsControlBlock gcb = {
    .DisposalMode = DISPOSE_DO_NOT, .UserInputFlag = false,
    .DelayTime = (int) ((frame_ms + 5) / 10), .TransparentColor = NO_TRANSPARENT_COLOR,
  };
  GifByteType extension[4];
  size_t extension_length;
  ColorMapObject *map;
  gboolean ok = TRUE;

  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++)
      {
        guint32 pixel = *(const guint32 *) (data + (gsize) y * stride + (gsize) x * 4);
        gsize i = (gsize) y * w + x;

        red[i] = (pixel >> 16) & 0xff;
        green[i] = (pixel >> 8) & 0xff;
        blue[i] = pixel & 0xff;
      }
  if (GifQuantizeBuffer ((unsigned) w, (unsigned) h, &n_colors, red, green, blue, indices, colors) == GIF_ERROR)
    {
      *code = E_GIF_ERR_NOT_ENOUGH_MEM;
      return FALSE;
    }
  /* A colour table has a power of two entries. */
  map = GifMakeMapObject (256, colors);
  if (map == NULL)
    {
      *code = E_GIF_ERR_NOT_ENOUGH_MEM;
      return FALSE;
    }

  extension_length = EGifGCBToExtension (&gcb, extension);
  if (EGifPutExtension (gif, GRAPHICS_EXT_FUNC_CODE, (int) extension_length, extension) == GIF_ERROR
      || EGifPutImageDesc (gif, 0, 0, w, h, false, map) == GIF_ERROR)
    ok = FALSE;
  for (int y = 0; ok && y < h; y++)
    ok = EGifPutLine (gif, indices + (gsize) y * w, w) != GIF_ERROR;
  GifFreeMapObject (map);
  if (!ok)
    *code = gif->Error;
  return ok;
}

gboolean
bs_figure_export_gif (const BsFigureFrame            *frames,
                      guint                           n_frames,
                      const BsFigureAnimationOptions *options,
                      const char                     *path,
                      GError                        **error)
{
  static const GifByteType netscape[] = "NETSCAPE2.0";
  static const GifByteType loop_forever[] = { 1, 0, 0 };
  g_autoptr(BsAtomicFile) file = NULL;
  BsFigureExportOptions figure;
  GifSink sink = { 0 };
  GifFileType *gif;
  int code = 0;
  gboolean ok = TRUE;

  if (!bs_figure_animation_check (frames, n_frames, options, error))
    return FALSE;
  shared_options (frames, n_frames, options, &figure);
  file = bs_atomic_file_new (path, error);
  if (file == NULL)
    return FALSE;
  sink.file = file;

  gif = EGifOpen (&sink, gif_write, &code);
  if (gif == NULL)
    {
      set_gif_error (error, path, code);
      return FALSE;
    }
  EGifSetGifVersion (gif, true);

  for (guint i = 0; ok && i < n_frames; i++)
    {
      g_autoptr(GError) frame_error = NULL;
      cairo_surface_t *image = render_frame (&frames[i], &figure, &frame_error);

      if (image == NULL)
        {
          g_propagate_error (error, g_steal_pointer (&frame_error));
          ok = FALSE;
          break;
        }
      if (i == 0)
        {
          /* The screen is the first frame's size; every frame loops forever. */
          ok = EGifPutScreenDesc (gif, cairo_image_surface_get_width (image), cairo_image_surface_get_height (image),
                                  8, 0, NULL) != GIF_ERROR
               && EGifPutExtensionLeader (gif, APPLICATION_EXT_FUNC_CODE) != GIF_ERROR
               && EGifPutExtensionBlock (gif, 11, netscape) != GIF_ERROR
               && EGifPutExtensionBlock (gif, 3, loop_forever) != GIF_ERROR
               && EGifPutExtensionTrailer (gif) != GIF_ERROR;
          if (!ok)
            code = gif->Error;
        }
      if (ok)
        ok = put_frame (gif, image, options->frame_ms, &code);
      cairo_surface_destroy (image);
      if (!ok && sink.error == NULL)
        set_gif_error (error, path, code);
    }

  if (EGifCloseFile (gif, &code) == GIF_ERROR && ok)
    {
      ok = FALSE;
      if (sink.error == NULL)
        set_gif_error (error, path, code);
    }
  if (sink.error != NULL)
    {
      /* Our own write error names the file and says why (a full disk). */
      if (error != NULL && *error != NULL)
        g_clear_error (error);
      g_propagate_error (error, g_steal_pointer (&sink.error));
      return FALSE;
    }
  if (!ok)
    return FALSE;
  return bs_atomic_file_commit (file, error);
}

/* ---------------------------------------------------------------- PNG sequence */

char *
bs_figure_png_sequence_path (const char *path,
                             guint       i,
                             guint       n_frames)
{
  g_autofree char *stem = NULL;
  guint digits = 1;
  const char *dot = strrchr (path, '.');
  const char *slash = strrchr (path, G_DIR_SEPARATOR);

  /* As many digits as the last frame's number needs, three at least. */
  for (guint last = n_frames > 0 ? n_frames - 1 : 0; last >= 10; last /= 10)
    digits++;
  digits = MAX (digits, 3);
  /* The extension is the part after the last dot of the file's name. */
  if (dot != NULL && (slash == NULL || dot > slash))
    stem = g_strndup (path, (gsize) (dot - path));
  else
    stem = g_strdup (path);
  return g_strdup_printf ("%s-%0*u.png", stem, (int) digits, i);
}

static cairo_status_t
png_write (void                *closure,
           const unsigned char *data,
           unsigned int         length)
{
  GifSink *sink = closure;

  if (sink->error != NULL)
    return CAIRO_STATUS_WRITE_ERROR;
  return bs_atomic_file_write (sink->file, data, length, &sink->error) ? CAIRO_STATUS_SUCCESS
                                                                        : CAIRO_STATUS_WRITE_ERROR;
}

gboolean
bs_figure_export_png_sequence (const BsFigureFrame            *frames,
                               guint                           n_frames,
                               const BsFigureAnimationOptions *options,
                               const char                     *path,
                               GError                        **error)
{
  BsFigureExportOptions figure;

  if (!bs_figure_animation_check (frames, n_frames, options, error))
    return FALSE;
  shared_options (frames, n_frames, options, &figure);

  for (guint i = 0; i < n_frames; i++)
    {
      g_autofree char *frame_path = bs_figure_png_sequence_path (path, i, n_frames);
      g_autoptr(BsAtomicFile) file = bs_atomic_file_new (frame_path, error);
      GifSink sink = { .file = file };
      cairo_surface_t *image;
      cairo_status_t status;

      if (file == NULL)
        return FALSE;
      image = render_frame (&frames[i], &figure, error);
      if (image == NULL)
        return FALSE;
      status = cairo_surface_write_to_png_stream (image, png_write, &sink);
      cairo_surface_destroy (image);
      if (sink.error != NULL)
        {
          g_propagate_error (error, sink.error);
          return FALSE;
        }
      if (status != CAIRO_STATUS_SUCCESS)
        {
          g_set_error (error, BS_ERROR, BS_ERROR_IO,
                       /* Translators: a file name and cairo's reason. */
                       _("Cannot draw the figure into '%s': %s"), frame_path, cairo_status_to_string (status));
          return FALSE;
        }
      if (!bs_atomic_file_commit (file, error))
        return FALSE;
    }
  return TRUE;
}
