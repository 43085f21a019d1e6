/* heatmap.vert: a quad over the whole plot area. The #version line (GL 3.2
 * core or GLES 3.0) is prepended at run time, see bs-heatmap-gl.c. */
in vec2 position;  /* corners in [0, 1]^2, y up */
out vec2 plot_uv;

void
main ()
{
  plot_uv = position;
  gl_Position = vec4 (position * 2.0 - 1.0, 0.0, 1.0);
}
