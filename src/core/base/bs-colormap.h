/* bs-colormap.h: the colour maps of heatmaps, shared by the GL view and the figure renderer.
 *
 * One table per map, 256 sRGB entries, so that the OpenGL texture on screen
 * and the pixels the cairo renderer draws (core/figure/) are the same colours. Magma, viridis,
 * inferno and plasma are the perceptually uniform maps of Stéfan van der Walt
 * and Nathaniel Smith (BIDS/colormap, CC0). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
  BS_COLORMAP_MAGMA,    /* the default, as in the paper's reproductions */
  BS_COLORMAP_VIRIDIS,
  BS_COLORMAP_INFERNO,
  BS_COLORMAP_PLASMA,
  BS_COLORMAP_GREY,
} BsColormap;

#define BS_N_COLORMAPS 5
#define BS_COLORMAP_SIZE 256

/* The colour of a cell without a value (NaN: not computed yet, or undefined). */
#define BS_COLORMAP_NAN_R 0x80
#define BS_COLORMAP_NAN_G 0x80
#define BS_COLORMAP_NAN_B 0x80

/* "magma", "viridis", "inferno", "plasma", "grey". */
const char   *bs_colormap_to_string    (BsColormap   map);
/* Readable name for menus, translated: "Magma". */
const char   *bs_colormap_display_name (BsColormap   map);
/* FALSE (and *map untouched) for an unknown name. */
gboolean      bs_colormap_from_string  (const char  *name,
                                        BsColormap  *map);

/* BS_COLORMAP_SIZE entries of R, G, B bytes, low values first. */
const guint8 *bs_colormap_get_table    (BsColormap   map);

/* The table entry for value mapped linearly from [lo, hi] (clamped), the same
 * rule as the heatmap shader: index = min (255, floor (256 * t)). NaN gives
 * -1. A range with hi <= lo maps everything to entry 0. */
int           bs_colormap_index        (double       value,
                                        double       lo,
                                        double       hi);

/* The colour of value in [lo, hi]; NaN gives the BS_COLORMAP_NAN colour. */
void          bs_colormap_lookup       (BsColormap   map,
                                        double       value,
                                        double       lo,
                                        double       hi,
                                        guint8       rgb[3]);

G_END_DECLS
