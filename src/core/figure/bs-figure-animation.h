/* bs-figure-animation.h: the block structure's emergence as an animation: an animated GIF or numbered PNGs.
 *
 * One frame per matrix (a training run's snapshots, in order), each the
 * figure of bs-figure-export.h at the same size and colour range, with the
 * frame's label ("epoch 3") in the top left corner. In a GIF each frame has
 * a colour table of its own (up to 256 colours, median cut by giflib), the
 * frames loop forever and each shows for frame_ms. PNG sequences are
 * NAME-000.png, NAME-001.png ... beside the NAME.png given. Files are
 * written atomically. No GTK. */
#pragma once

#include "bs-figure-export.h"

G_BEGIN_DECLS

typedef struct {
  BsCkaSnapshot *snapshot;   /* borrowed */
  const char    *label;      /* top left; NULL: none */
} BsFigureFrame;

typedef struct {
  BsFigureExportOptions figure;     /* size, font, colour map and range, mask; dpi sets the pixels */
  guint                 frame_ms;   /* how long each frame shows; default 400 */
} BsFigureAnimationOptions;

/* The figure defaults, at 100 dpi (a 3.5 in figure is 350 pixels wide), 400 ms a frame. */
void     bs_figure_animation_options_init (BsFigureAnimationOptions       *options);

/* The frames must all have the shape of the first (BS_ERROR_MISMATCH
 * naming the first that differs), at least one, at most 10,000; frame_ms
 * between 10 ms and 60 s. */
gboolean bs_figure_animation_check        (const BsFigureFrame            *frames,
                                           guint                           n_frames,
                                           const BsFigureAnimationOptions *options,
                                           GError                        **error);

gboolean bs_figure_export_gif             (const BsFigureFrame            *frames,
                                           guint                           n_frames,
                                           const BsFigureAnimationOptions *options,
                                           const char                     *path,
                                           GError                        **error);

/* path names the sequence, "dir/emergence.png": the frames go to
 * dir/emergence-000.png and on (three digits at least). */
gboolean bs_figure_export_png_sequence    (const BsFigureFrame            *frames,
                                           guint                           n_frames,
                                           const BsFigureAnimationOptions *options,
                                           const char                     *path,
                                           GError                        **error);
/* The file of frame i of the sequence named path (free it). */
char    *bs_figure_png_sequence_path      (const char                     *path,
                                           guint                           i,
                                           guint                           n_frames);

G_END_DECLS
