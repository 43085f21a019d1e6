/* bs-heatmap-gl.h: the heatmap's cells drawn with OpenGL or OpenGL ES.
 *
 * A GtkGLArea that asks for OpenGL 3.2 or OpenGL ES 3.0, whichever the
 * driver gives, keeps the matrix in an R32F texture and the colour map in
 * a 256 x 1 RGBA texture, and colours the cells in the fragment shader
 * (resources/shaders/heatmap.frag) by the rule of bs_colormap_index ().
 * Only the matrix's dirty rows are sent after the first upload. It draws
 * at device resolution (the area's framebuffer has scale x the logical
 * size); when the view shows more cells than device pixels along an
 * axis, it draws the summary of the view (bs-heatmap-summary.h: the
 * maximum of the cells under each pixel) as a texture of one texel per
 * device pixel instead, so that no row or column is dropped. The owner
 * (BsHeatmap) places it over the plot and draws everything else.
 *
 * Signal "failed" (const char *why): no usable context, or the shaders
 * did not build; emitted while realizing, so that the owner can draw the
 * cells some other way. */
#pragma once

#include <gtk/gtk.h>

#include "bs-colormap.h"
#include "bs-heatmap-matrix.h"
#include "bs-heatmap-view.h"

G_BEGIN_DECLS

#define BS_TYPE_HEATMAP_GL (bs_heatmap_gl_get_type ())

G_DECLARE_FINAL_TYPE (BsHeatmapGl, bs_heatmap_gl, BS, HEATMAP_GL, GtkGLArea)

/* matrix and view are borrowed and must outlive the widget; it reads
 * them on every render and clears the matrix's dirty rows once sent. */
GtkWidget *bs_heatmap_gl_new               (BsHeatmapMatrix     *matrix,
                                            const BsHeatmapView *view);

/* The colour map and the values it spans (hi > lo); queues a render. */
void       bs_heatmap_gl_set_colors        (BsHeatmapGl         *self,
                                            BsColormap           colormap,
                                            double               lo,
                                            double               hi);

/* TRUE once the context, shaders and textures exist. */
gboolean   bs_heatmap_gl_is_ready          (BsHeatmapGl         *self);
/* Whether the context is OpenGL ES (FALSE: desktop OpenGL, or not ready). */
gboolean   bs_heatmap_gl_get_uses_es       (BsHeatmapGl         *self);
/* "OpenGL 4.5", "OpenGL ES 3.2"; NULL before realize or after a failure. */
const char *bs_heatmap_gl_get_api_name     (BsHeatmapGl         *self);

/* Matrix texture uploads so far, and the rows they sent (summaries are
 * not counted). */
void       bs_heatmap_gl_get_upload_stats  (BsHeatmapGl         *self,
                                            guint               *uploads,
                                            guint64             *rows);

/* Whether the last frame drew a summary, and its size in texels (device
 * pixels); 0 x 0 when it drew the matrix texture. */
gboolean   bs_heatmap_gl_get_summary_size  (BsHeatmapGl         *self,
                                            guint               *width,
                                            guint               *height);

G_END_DECLS
