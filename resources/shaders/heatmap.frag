/* heatmap.frag: colours the CKA matrix with a colour-map texture.
 *
 * matrix is an R32F texture, one texel per cell, n_cols wide and n_rows
 * high; texture row 0 (model A's first layer) is at the bottom. Cells
 * without a value arrive as a large negative sentinel rather than NaN,
 * because some GLES compilers drop isnan() under relaxed float rules.
 * The colour index is the rule of bs_colormap_index(): floor (256 t),
 * clamped to [0, 255], so the OpenGL cells and the cairo figure renderer
 * (src/core/figure) agree. */
uniform sampler2D matrix;
uniform sampler2D colormap;   /* 256 x 1 RGBA */
uniform vec2 center;          /* matrix point at the middle of the plot */
uniform float zoom;
uniform vec2 value_range;     /* lo, hi with hi > lo */
uniform vec3 missing_color;

in vec2 plot_uv;
out vec4 frag_color;

void
main ()
{
  vec2 m = center + (plot_uv - 0.5) / zoom;
  ivec2 size = textureSize (matrix, 0);
  ivec2 cell = clamp (ivec2 (floor (m * vec2 (size))), ivec2 (0), size - 1);
  float value = texelFetch (matrix, cell, 0).r;

  if (value < -1.0e29)
    {
      frag_color = vec4 (missing_color, 1.0);
      return;
    }

  float t = (value - value_range.x) / (value_range.y - value_range.x);
  int index = int (clamp (floor (t * 256.0), 0.0, 255.0));
  frag_color = vec4 (texelFetch (colormap, ivec2 (index, 0), 0).rgb, 1.0);
}
