/* figure-checks.h: figures read back for the figure tests: the tools
 * that read PDF and SVG (poppler-utils, librsvg2-bin) and the pixels of
 * an image. */
#pragma once

#include <cairo.h>
#include <glib.h>

G_BEGIN_DECLS

/* Runs argv (a program on PATH and its arguments) and returns its standard
 * output; fails the test when the program is missing or fails. */
char *figure_run_tool  (const char * const *argv);

/* R, G, B of the pixel at (x, y) (rounded down) of an image surface;
 * fails the test outside it. */
void  figure_pixel_rgb (cairo_surface_t    *image,
                        double              x,
                        double              y,
                        guint8              rgb[3]);

G_END_DECLS
