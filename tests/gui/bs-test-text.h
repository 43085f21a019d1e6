/* bs-test-text.h: text drawn in a screenshot, found by its ink, and the
 * ink the same text has when laid out, so a test can tell which words a
 * widget drew where without reading glyphs. */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

/* The bounding box, in widget coordinates, of the pixels of shot (a
 * screenshot of a widget at scale device pixels per point) inside region
 * (widget coordinates) whose colour differs from region's commonest one
 * by more than 90 (summed over the premultiplied red, green, blue and
 * alpha): the ink of text on a plain or transparent background. FALSE
 * when none does. */
gboolean bs_test_find_ink      (GdkTexture            *shot,
                                int                    scale,
                                const graphene_rect_t *region,
                                graphene_rect_t       *ink);

/* The ink width, in points, of text laid out in widget's font at size
 * times its size, bold or not, with tabular figures (as
 * bs-heatmap-figure.c lays out its labels). */
double   bs_test_text_ink_width (GtkWidget            *widget,
                                 const char           *text,
                                 double                size,
                                 gboolean              bold);

G_END_DECLS
