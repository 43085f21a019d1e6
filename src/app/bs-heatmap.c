/* bs-heatmap.c: the CKA heatmap widget (see bs-heatmap.h).
 *
 * The widget owns a GtkGLArea placed exactly over the plot square and
 * draws everything else itself (axes, colour bar, outlines) in snapshot().
 * The matrix is kept on the CPU as floats so that it survives unrealize
 * (every GL object dies with the context) and so that the cairo fallback
 * and the tests can use it. Updates mark the rows that changed; the next
 * render sends only those with glTexSubImage2D. */
#include "bs-config.h"

#include "bs-heatmap.h"
#include "bs-model-spec.h"

#include <epoxy/gl.h>
#include <math.h>
#include <string.h>

/* Cells without a value are uploaded as this, not as NaN (see heatmap.frag). */
#define MISSING_SENTINEL (-1.0e30f)
#define IS_MISSING(v) ((v) < -1.0e29f)

/* Layout, logical pixels. */
#define MARGIN_TOP      28
#define MARGIN_RIGHT    88   /* gap, colour bar, its labels */
#define MARGIN_LEFT     86   /* title, tick labels, stage band, block strip */
#define MARGIN_BOTTOM   74
#define STRIP_WIDTH     5    /* the block strip next to the plot */
#define STRIP_GAP       3
#define BAND_WIDTH      16   /* the stage band outside it */
#define BAND_GAP        (STRIP_GAP + STRIP_WIDTH + 2)
#define TICK_LENGTH     4
#define COLORBAR_GAP    22
#define COLORBAR_WIDTH  14
#define CLICK_SLOP      4.0  /* a press that moved farther is a drag, not a click */

struct _BsHeatmap
{
  GtkWidget       parent_instance;

  GtkWidget      *gl_area;
  GtkWidget      *hover_label;
  GtkWidget      *zoom_box;

  BsCkaSnapshot  *snapshot;
  float          *values;          /* n_rows x n_cols, MISSING_SENTINEL where NaN */
  guint           n_rows;
  guint           n_cols;
  guint           dirty_first;     /* rows to upload: [dirty_first, dirty_last] */
  guint           dirty_last;
  gboolean        has_dirty;
  gboolean        texture_stale;   /* the matrix texture must be (re)allocated */
  double          data_lo;
  double          data_hi;

  BsColormap      colormap;
  gboolean        colormap_dirty;
  gboolean        data_range;
  gboolean        show_boundaries;
  GdkTexture     *colorbar_texture;

  BsHeatmapView   view;
  graphene_rect_t plot;            /* widget coordinates */

  gboolean        pointer_inside;
  double          pointer_x;
  double          pointer_y;
  gboolean        has_hover;
  guint           hover_row;
  guint           hover_col;

  gboolean        has_selection;
  guint           sel_row;
  guint           sel_col;

  double          press_x;
  double          press_y;
  double          drag_center_u;
  double          drag_center_v;
  gboolean        drag_in_plot;
  gboolean        drag_moved;
  double          pinch_zoom;
  double          pinch_x;
  double          pinch_y;

  /* OpenGL */
  gboolean        gl_ok;           /* FALSE: draw with cairo */
  char           *gl_problem;      /* why not, in words */
  gboolean        gl_ready;        /* program, buffers and textures exist */
  GLuint          program;
  GLuint          vao;
  GLuint          vbo;
  GLuint          matrix_texture;
  GLuint          colormap_texture;
  GLint           u_matrix;
  GLint           u_colormap;
  GLint           u_center;
  GLint           u_zoom;
  GLint           u_range;
  GLint           u_missing;
  guint           uploads;
  guint64         rows_uploaded;

  /* cairo fallback */
  cairo_surface_t *fallback_image;
  gboolean        fallback_stale;
};

G_DEFINE_FINAL_TYPE (BsHeatmap, bs_heatmap, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_COLORMAP_NAME,
  PROP_COLOR_RANGE,
  PROP_SHOW_BOUNDARIES,
  N_PROPS
};

enum {
  SELECTION_CHANGED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

/* ---------------------------------------------------------------- helpers */

static void
queue_redraw (BsHeatmap *self)
{
  if (self->gl_ok)
    gtk_gl_area_queue_render (GTK_GL_AREA (self->gl_area));
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

static void
get_range (BsHeatmap *self,
           double    *lo,
           double    *hi)
{
  if (self->data_range && self->data_hi > self->data_lo)
    {
      *lo = self->data_lo;
      *hi = self->data_hi;
    }
  else
    {
      *lo = 0.0;
      *hi = 1.0;
    }
}

static void
get_fg_color (GtkWidget *widget,
              GdkRGBA   *color)
{
  G_GNUC_BEGIN_IGNORE_DEPRECATIONS
  gtk_style_context_get_color (gtk_widget_get_style_context (widget), color);
  G_GNUC_END_IGNORE_DEPRECATIONS
}

/* ---------------------------------------------------------------- OpenGL */

static GdkGLContext *
on_create_context (GtkGLArea *area,
                   BsHeatmap *self)
{
  g_autoptr(GError) error = NULL;
  GdkGLContext *context;
  GdkSurface *surface;

  surface = gtk_native_get_surface (gtk_widget_get_native (GTK_WIDGET (area)));
  context = gdk_surface_create_gl_context (surface, &error);
  if (context == NULL)
    {
      gtk_gl_area_set_error (area, error);
      return NULL;
    }

  /* GtkGLArea alone asks for desktop GL only on 4.8; GLES is fine too. */
  gdk_gl_context_set_allowed_apis (context, GDK_GL_API_GL | GDK_GL_API_GLES);
  if (!gdk_gl_context_realize (context, &error))
    {
      gtk_gl_area_set_error (area, error);
      g_object_unref (context);
      return NULL;
    }

  return context;
}

static GLuint
compile_shader (GLenum       type,
                const char  *resource,
                gboolean     use_es,
                GError     **error)
{
  g_autoptr(GBytes) bytes = NULL;
  const char *sources[2];
  GLint lengths[2];
  GLuint shader;
  GLint status;
  gsize size;

  bytes = g_resources_lookup_data (resource, G_RESOURCE_LOOKUP_FLAGS_NONE, error);
  if (bytes == NULL)
    return 0;

  /* The same body serves GL 3.2 core and GLES 3.0; only the header differs. */
  sources[0] = use_es
    ? "#version 300 es\nprecision highp float;\nprecision highp int;\nprecision highp sampler2D;\n"
    : "#version 150\n";
  lengths[0] = (GLint) strlen (sources[0]);
  sources[1] = g_bytes_get_data (bytes, &size);
  lengths[1] = (GLint) size;

  shader = glCreateShader (type);
  glShaderSource (shader, 2, sources, lengths);
  glCompileShader (shader);
  glGetShaderiv (shader, GL_COMPILE_STATUS, &status);
  if (status != GL_TRUE)
    {
      char log[1024] = "";

      glGetShaderInfoLog (shader, sizeof log, NULL, log);
      g_set_error (error, GDK_GL_ERROR, GDK_GL_ERROR_COMPILATION_FAILED,
                   "The heatmap shader %s did not compile: %s", resource, log);
      glDeleteShader (shader);
      return 0;
    }

  return shader;
}

static gboolean
create_program (BsHeatmap  *self,
                gboolean    use_es,
                GError    **error)
{
  GLuint vertex, fragment;
  GLint status;

  vertex = compile_shader (GL_VERTEX_SHADER, "/org/blockscope/Blockscope/shaders/heatmap.vert",
                           use_es, error);
  if (vertex == 0)
    return FALSE;
  fragment = compile_shader (GL_FRAGMENT_SHADER, "/org/blockscope/Blockscope/shaders/heatmap.frag",
                             use_es, error);
  if (fragment == 0)
    {
      glDeleteShader (vertex);
      return FALSE;
    }

  self->program = glCreateProgram ();
  glAttachShader (self->program, vertex);
  glAttachShader (self->program, fragment);
  glBindAttribLocation (self->program, 0, "position");
  glLinkProgram (self->program);
  glDetachShader (self->program, vertex);
  glDetachShader (self->program, fragment);
  glDeleteShader (vertex);
  glDeleteShader (fragment);

  glGetProgramiv (self->program, GL_LINK_STATUS, &status);
  if (status != GL_TRUE)
    {
      char log[1024] = "";

      glGetProgramInfoLog (self->program, sizeof log, NULL, log);
      g_set_error (error, GDK_GL_ERROR, GDK_GL_ERROR_LINK_FAILED,
                   "The heatmap shaders did not link: %s", log);
      glDeleteProgram (self->program);
      self->program = 0;
      return FALSE;
    }

  self->u_matrix = glGetUniformLocation (self->program, "matrix");
  self->u_colormap = glGetUniformLocation (self->program, "colormap");
  self->u_center = glGetUniformLocation (self->program, "center");
  self->u_zoom = glGetUniformLocation (self->program, "zoom");
  self->u_range = glGetUniformLocation (self->program, "value_range");
  self->u_missing = glGetUniformLocation (self->program, "missing_color");

  return TRUE;
}

static void
switch_to_fallback (BsHeatmap  *self,
                    const char *why)
{
  self->gl_ok = FALSE;
  g_free (self->gl_problem);
  self->gl_problem = g_strdup_printf ("OpenGL is unavailable (%s): drawn without it.", why);
  self->fallback_stale = TRUE;
  if (self->gl_area != NULL)
    gtk_widget_set_visible (self->gl_area, FALSE);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

static void
on_gl_realize (GtkGLArea *area,
               BsHeatmap *self)
{
  static const float quad[] = { 0, 0, 1, 0, 0, 1, 1, 1 };
  g_autoptr(GError) error = NULL;
  GdkGLContext *context;
  int major, minor;

  gtk_gl_area_make_current (area);
  if (gtk_gl_area_get_error (area) != NULL)
    {
      switch_to_fallback (self, gtk_gl_area_get_error (area)->message);
      return;
    }

  /* The version is known only once the context was made current. */
  context = gtk_gl_area_get_context (area);
  gdk_gl_context_get_version (context, &major, &minor);
  if (gdk_gl_context_get_use_es (context) ? major < 3 : (major * 10 + minor) < 32)
    {
      g_autofree char *why =
        g_strdup_printf ("OpenGL 3.2 or OpenGL ES 3.0 is needed, but only %s %d.%d is available",
                         gdk_gl_context_get_use_es (context) ? "OpenGL ES" : "OpenGL", major, minor);

      switch_to_fallback (self, why);
      return;
    }

  g_debug ("heatmap: drawing with %s %d.%d", gdk_gl_context_get_use_es (context) ? "OpenGL ES" : "OpenGL",
           major, minor);

  if (!create_program (self, gdk_gl_context_get_use_es (context), &error))
    {
      switch_to_fallback (self, error->message);
      return;
    }

  glGenVertexArrays (1, &self->vao);
  glBindVertexArray (self->vao);
  glGenBuffers (1, &self->vbo);
  glBindBuffer (GL_ARRAY_BUFFER, self->vbo);
  glBufferData (GL_ARRAY_BUFFER, sizeof quad, quad, GL_STATIC_DRAW);
  glEnableVertexAttribArray (0);
  glVertexAttribPointer (0, 2, GL_FLOAT, GL_FALSE, 0, NULL);
  glBindVertexArray (0);

  glGenTextures (1, &self->matrix_texture);
  glGenTextures (1, &self->colormap_texture);
  for (guint i = 0; i < 2; i++)
    {
      glBindTexture (GL_TEXTURE_2D, i == 0 ? self->matrix_texture : self->colormap_texture);
      glTexParameteri (GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, GL_NEAREST);
      glTexParameteri (GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, GL_NEAREST);
      glTexParameteri (GL_TEXTURE_2D, GL_TEXTURE_WRAP_S, GL_CLAMP_TO_EDGE);
      glTexParameteri (GL_TEXTURE_2D, GL_TEXTURE_WRAP_T, GL_CLAMP_TO_EDGE);
    }
  glBindTexture (GL_TEXTURE_2D, 0);

  /* A new context has nothing: send everything again. */
  self->texture_stale = TRUE;
  self->colormap_dirty = TRUE;
  self->gl_ready = TRUE;
}

static void
on_gl_unrealize (GtkGLArea *area,
                 BsHeatmap *self)
{
  if (!self->gl_ready)
    return;

  gtk_gl_area_make_current (area);
  if (gtk_gl_area_get_error (area) == NULL)
    {
      glDeleteTextures (1, &self->matrix_texture);
      glDeleteTextures (1, &self->colormap_texture);
      glDeleteBuffers (1, &self->vbo);
      glDeleteVertexArrays (1, &self->vao);
      glDeleteProgram (self->program);
    }
  self->matrix_texture = self->colormap_texture = self->vbo = self->vao = self->program = 0;
  self->gl_ready = FALSE;
}

static void
upload_textures (BsHeatmap *self)
{
  if (self->colormap_dirty)
    {
      const guint8 *table = bs_colormap_get_table (self->colormap);
      guint8 rgba[BS_COLORMAP_SIZE * 4];

      for (guint i = 0; i < BS_COLORMAP_SIZE; i++)
        {
          memcpy (rgba + 4 * i, table + 3 * i, 3);
          rgba[4 * i + 3] = 255;
        }
      glBindTexture (GL_TEXTURE_2D, self->colormap_texture);
      glPixelStorei (GL_UNPACK_ALIGNMENT, 4);
      glTexImage2D (GL_TEXTURE_2D, 0, GL_RGBA8, BS_COLORMAP_SIZE, 1, 0,
                    GL_RGBA, GL_UNSIGNED_BYTE, rgba);
      self->colormap_dirty = FALSE;
    }

  if (self->values == NULL)
    return;

  glBindTexture (GL_TEXTURE_2D, self->matrix_texture);
  glPixelStorei (GL_UNPACK_ALIGNMENT, 4);
  if (self->texture_stale)
    {
      glTexImage2D (GL_TEXTURE_2D, 0, GL_R32F, (GLsizei) self->n_cols, (GLsizei) self->n_rows, 0,
                    GL_RED, GL_FLOAT, self->values);
      self->uploads++;
      self->rows_uploaded += self->n_rows;
      self->texture_stale = FALSE;
      self->has_dirty = FALSE;
    }
  else if (self->has_dirty)
    {
      guint count = self->dirty_last - self->dirty_first + 1;

      glTexSubImage2D (GL_TEXTURE_2D, 0, 0, (GLint) self->dirty_first,
                       (GLsizei) self->n_cols, (GLsizei) count, GL_RED, GL_FLOAT,
                       self->values + (gsize) self->dirty_first * self->n_cols);
      self->uploads++;
      self->rows_uploaded += count;
      self->has_dirty = FALSE;
    }
}

static gboolean
on_gl_render (GtkGLArea    *area,
              GdkGLContext *context,
              BsHeatmap    *self)
{
  double lo, hi;

  glClearColor (BS_COLORMAP_NAN_R / 255.0f, BS_COLORMAP_NAN_G / 255.0f, BS_COLORMAP_NAN_B / 255.0f, 1.0f);
  glClear (GL_COLOR_BUFFER_BIT);

  if (!self->gl_ready || self->values == NULL)
    return TRUE;

  upload_textures (self);
  get_range (self, &lo, &hi);

  glUseProgram (self->program);
  glActiveTexture (GL_TEXTURE0);
  glBindTexture (GL_TEXTURE_2D, self->matrix_texture);
  glActiveTexture (GL_TEXTURE1);
  glBindTexture (GL_TEXTURE_2D, self->colormap_texture);
  glUniform1i (self->u_matrix, 0);
  glUniform1i (self->u_colormap, 1);
  glUniform2f (self->u_center, (float) self->view.center_u, (float) self->view.center_v);
  glUniform1f (self->u_zoom, (float) self->view.zoom);
  glUniform2f (self->u_range, (float) lo, (float) hi);
  glUniform3f (self->u_missing, BS_COLORMAP_NAN_R / 255.0f, BS_COLORMAP_NAN_G / 255.0f,
               BS_COLORMAP_NAN_B / 255.0f);

  glBindVertexArray (self->vao);
  glDrawArrays (GL_TRIANGLE_STRIP, 0, 4);
  glBindVertexArray (0);

  glActiveTexture (GL_TEXTURE1);
  glBindTexture (GL_TEXTURE_2D, 0);
  glActiveTexture (GL_TEXTURE0);
  glBindTexture (GL_TEXTURE_2D, 0);
  glUseProgram (0);

  return TRUE;
}

/* ---------------------------------------------------------------- cairo fallback */

static void
update_fallback_image (BsHeatmap *self)
{
  guint8 *data;
  int stride;
  double lo, hi;

  if (!self->fallback_stale && self->fallback_image != NULL)
    return;

  g_clear_pointer (&self->fallback_image, cairo_surface_destroy);
  self->fallback_stale = FALSE;
  if (self->values == NULL)
    return;

  get_range (self, &lo, &hi);
  self->fallback_image = cairo_image_surface_create (CAIRO_FORMAT_RGB24, (int) self->n_cols,
                                                     (int) self->n_rows);
  cairo_surface_flush (self->fallback_image);
  data = cairo_image_surface_get_data (self->fallback_image);
  stride = cairo_image_surface_get_stride (self->fallback_image);

  for (guint r = 0; r < self->n_rows; r++)
    {
      /* Image row 0 is the top: the last layer of model A. */
      guint32 *line = (guint32 *) (data + (gsize) (self->n_rows - 1 - r) * stride);

      for (guint c = 0; c < self->n_cols; c++)
        {
          float v = self->values[(gsize) r * self->n_cols + c];
          guint8 rgb[3];

          bs_colormap_lookup (self->colormap, IS_MISSING (v) ? NAN : (double) v, lo, hi, rgb);
          line[c] = ((guint32) rgb[0] << 16) | ((guint32) rgb[1] << 8) | rgb[2];
        }
    }
  cairo_surface_mark_dirty (self->fallback_image);
}

static void
snapshot_fallback (BsHeatmap   *self,
                   GtkSnapshot *snapshot)
{
  const BsHeatmapView *v = &self->view;
  cairo_pattern_t *pattern;
  cairo_t *cr;

  update_fallback_image (self);

  cr = gtk_snapshot_append_cairo (snapshot, &self->plot);
  cairo_translate (cr, self->plot.origin.x, self->plot.origin.y);
  cairo_rectangle (cr, 0, 0, v->width, v->height);
  cairo_clip (cr);
  cairo_set_source_rgb (cr, BS_COLORMAP_NAN_R / 255.0, BS_COLORMAP_NAN_G / 255.0, BS_COLORMAP_NAN_B / 255.0);
  cairo_paint (cr);

  if (self->fallback_image != NULL)
    {
      /* Image pixel (i, j) covers matrix u = i / n_cols, v = 1 - j / n_rows. */
      cairo_translate (cr, (0.5 - v->center_u * v->zoom) * v->width,
                       (0.5 - (1.0 - v->center_v) * v->zoom) * v->height);
      cairo_scale (cr, v->zoom * v->width / v->n_cols, v->zoom * v->height / v->n_rows);
      cairo_set_source_surface (cr, self->fallback_image, 0, 0);
      pattern = cairo_get_source (cr);
      cairo_pattern_set_filter (pattern, CAIRO_FILTER_NEAREST);
      cairo_pattern_set_extend (pattern, CAIRO_EXTEND_PAD);
      cairo_paint (cr);
    }
  cairo_destroy (cr);
}

/* ---------------------------------------------------------------- drawing */

static PangoLayout *
make_layout (BsHeatmap  *self,
             const char *text,
             double      scale,
             gboolean    bold)
{
  PangoLayout *layout = gtk_widget_create_pango_layout (GTK_WIDGET (self), text);
  PangoAttrList *attrs = pango_attr_list_new ();

  pango_attr_list_insert (attrs, pango_attr_scale_new (scale));
  if (bold)
    pango_attr_list_insert (attrs, pango_attr_weight_new (PANGO_WEIGHT_BOLD));
  /* Tabular figures keep tick labels from jittering while zooming. */
  pango_attr_list_insert (attrs, pango_attr_font_features_new ("tnum"));
  pango_layout_set_attributes (layout, attrs);
  pango_attr_list_unref (attrs);

  return layout;
}

/* Draws layout with its centre at (x, y), rotated by angle degrees. */
static void
draw_text_centered (GtkSnapshot   *snapshot,
                    PangoLayout   *layout,
                    double         x,
                    double         y,
                    double         angle,
                    const GdkRGBA *color)
{
  int w, h;

  pango_layout_get_pixel_size (layout, &w, &h);
  gtk_snapshot_save (snapshot);
  gtk_snapshot_translate (snapshot, &GRAPHENE_POINT_INIT ((float) x, (float) y));
  if (angle != 0)
    gtk_snapshot_rotate (snapshot, (float) angle);
  gtk_snapshot_translate (snapshot, &GRAPHENE_POINT_INIT (-w / 2.0f, -h / 2.0f));
  gtk_snapshot_append_layout (snapshot, layout, color);
  gtk_snapshot_restore (snapshot);
}

static void
draw_text_at (GtkSnapshot   *snapshot,
              PangoLayout   *layout,
              double         x,
              double         y,
              double         align_x,   /* 0 left, 0.5 centre, 1 right */
              double         align_y,
              const GdkRGBA *color)
{
  int w, h;

  pango_layout_get_pixel_size (layout, &w, &h);
  gtk_snapshot_save (snapshot);
  gtk_snapshot_translate (snapshot, &GRAPHENE_POINT_INIT ((float) round (x - align_x * w),
                                                          (float) round (y - align_y * h)));
  gtk_snapshot_append_layout (snapshot, layout, color);
  gtk_snapshot_restore (snapshot);
}

static void
fill_rect (GtkSnapshot   *snapshot,
           const GdkRGBA *color,
           double         x,
           double         y,
           double         w,
           double         h)
{
  gtk_snapshot_append_color (snapshot, color, &GRAPHENE_RECT_INIT ((float) x, (float) y, (float) w, (float) h));
}

static void
stroke_rect (GtkSnapshot   *snapshot,
             const GdkRGBA *color,
             double         x,
             double         y,
             double         w,
             double         h,
             float          line)
{
  GskRoundedRect outline;
  const float widths[4] = { line, line, line, line };
  const GdkRGBA colors[4] = { *color, *color, *color, *color };

  gsk_rounded_rect_init_from_rect (&outline, &GRAPHENE_RECT_INIT ((float) x, (float) y, (float) w, (float) h), 0);
  gtk_snapshot_append_border (snapshot, &outline, widths, colors);
}

/* Position along an axis of the boundary before layer index i (0..n):
 * x for the columns, y for the rows. */
static double
axis_position (BsHeatmap *self,
               gboolean   rows,
               guint      i)
{
  double x, y;

  if (rows)
    {
      bs_heatmap_view_matrix_to_point (&self->view, 0, (double) i / self->n_rows, &x, &y);
      return self->plot.origin.y + y;
    }

  bs_heatmap_view_matrix_to_point (&self->view, (double) i / self->n_cols, 0, &x, &y);
  return self->plot.origin.x + x;
}

static void
draw_axis (BsHeatmap     *self,
           GtkSnapshot   *snapshot,
           gboolean       rows,
           const GdkRGBA *fg)
{
  const BsLayerInfo *layers = rows ? bs_cka_snapshot_get_rows (self->snapshot) : bs_cka_snapshot_get_cols (self->snapshot);
  guint n = rows ? self->n_rows : self->n_cols;
  const graphene_rect_t *p = &self->plot;
  double lo_edge = rows ? p->origin.y : p->origin.x;
  double hi_edge = rows ? p->origin.y + p->size.height : p->origin.x + p->size.width;
  double band = rows ? p->origin.x - BAND_GAP - BAND_WIDTH : p->origin.y + p->size.height + BAND_GAP;
  double strip = rows ? p->origin.x - STRIP_GAP - STRIP_WIDTH : p->origin.y + p->size.height + STRIP_GAP;
  GdkRGBA shade_a = *fg, shade_b = *fg, mark = *fg, dim = *fg;
  static const guint steps[] = { 1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000 };
  double cell, min_gap;
  guint step = steps[G_N_ELEMENTS (steps) - 1];
  g_autofree char *model_name = NULL;
  g_autofree char *title = NULL;
  PangoLayout *layout;

  shade_a.alpha = 0.07f;
  shade_b.alpha = 0.16f;
  mark.alpha = 0.45f;
  dim.alpha = 0.7f;

  gtk_snapshot_save (snapshot);
  if (rows)
    gtk_snapshot_push_clip (snapshot, &GRAPHENE_RECT_INIT (0, (float) lo_edge, (float) p->origin.x, (float) (hi_edge - lo_edge)));
  else
    gtk_snapshot_push_clip (snapshot, &GRAPHENE_RECT_INIT ((float) lo_edge, (float) (p->origin.y + p->size.height),
                                                           (float) (hi_edge - lo_edge), MARGIN_BOTTOM));

  /* Stage band: one shaded segment per stage, labelled when there is room. */
  for (guint a = 0; a < n;)
    {
      guint b = a;
      double s0, s1, len;
      gboolean odd;

      while (b + 1 < n && layers[b + 1].stage == layers[a].stage)
        b++;

      s0 = axis_position (self, rows, a);
      s1 = axis_position (self, rows, b + 1);
      len = fabs (s1 - s0);
      odd = layers[a].stage >= 0 && (layers[a].stage % 2) == 1;

      if (rows)
        fill_rect (snapshot, odd ? &shade_b : &shade_a, band, MIN (s0, s1), BAND_WIDTH, len);
      else
        fill_rect (snapshot, odd ? &shade_b : &shade_a, MIN (s0, s1), band, len, BAND_WIDTH);

      /* Blocks inside the stage: alternating shades on the strip. */
      for (guint i = a; i <= b;)
        {
          guint j = i;
          double t0, t1;

          while (j + 1 <= b && layers[j + 1].block == layers[i].block)
            j++;
          if (layers[i].block >= 0)
            {
              const GdkRGBA *shade = (layers[i].block % 2) == 0 ? &mark : &shade_b;

              t0 = axis_position (self, rows, i);
              t1 = axis_position (self, rows, j + 1);
              if (rows)
                fill_rect (snapshot, shade, strip, MIN (t0, t1) + 0.5, STRIP_WIDTH, fabs (t1 - t0) - 1);
              else
                fill_rect (snapshot, shade, MIN (t0, t1) + 0.5, strip, fabs (t1 - t0) - 1, STRIP_WIDTH);
            }
          i = j + 1;
        }

      if (layers[a].stage >= 0)
        {
          double mid = (MAX (MIN (s0, s1), lo_edge) + MIN (MAX (s0, s1), hi_edge)) / 2;
          int tw, th;

          layout = make_layout (self, bs_layer_stage_name (layers[a].stage, FALSE), 0.75, FALSE);
          pango_layout_get_pixel_size (layout, &tw, &th);
          if (tw + 6 > len)
            {
              g_object_unref (layout);
              layout = make_layout (self, bs_layer_stage_name (layers[a].stage, TRUE), 0.75, FALSE);
              pango_layout_get_pixel_size (layout, &tw, &th);
            }
          if (tw + 6 <= MIN (MAX (s0, s1), hi_edge) - MAX (MIN (s0, s1), lo_edge))
            {
              if (rows)
                draw_text_centered (snapshot, layout, band + BAND_WIDTH / 2.0, mid, -90, &dim);
              else
                draw_text_centered (snapshot, layout, mid, band + BAND_WIDTH / 2.0, 0, &dim);
            }
          g_object_unref (layout);
        }

      a = b + 1;
    }

  /* Layer numbers at a step that leaves room between labels. */
  cell = (rows ? p->size.height : p->size.width) * self->view.zoom / MAX (n, 1);
  min_gap = rows ? 22 : 34;
  for (guint i = 0; i < G_N_ELEMENTS (steps); i++)
    if (steps[i] * cell >= min_gap)
      {
        step = steps[i];
        break;
      }

  for (guint i = 0; i < n; i += step)
    {
      double s = (axis_position (self, rows, i) + axis_position (self, rows, i + 1)) / 2;
      char text[16];

      if (s < lo_edge - 1 || s > hi_edge + 1)
        continue;

      g_snprintf (text, sizeof text, "%u", i);
      layout = make_layout (self, text, 0.8, FALSE);
      if (rows)
        {
          fill_rect (snapshot, &mark, band - TICK_LENGTH, s - 0.5, TICK_LENGTH, 1);
          draw_text_at (snapshot, layout, band - TICK_LENGTH - 3, s, 1.0, 0.5, &dim);
        }
      else
        {
          fill_rect (snapshot, &mark, s - 0.5, band + BAND_WIDTH, 1, TICK_LENGTH);
          draw_text_at (snapshot, layout, s, band + BAND_WIDTH + TICK_LENGTH + 1, 0.5, 0.0, &dim);
        }
      g_object_unref (layout);
    }

  gtk_snapshot_pop (snapshot);
  gtk_snapshot_restore (snapshot);

  /* The title names the model: which axis is which is the first question. */
  model_name = bs_model_spec_display_name (rows ? bs_cka_snapshot_get_model_a (self->snapshot) : bs_cka_snapshot_get_model_b (self->snapshot));
  title = g_strdup_printf ("%s  ·  %s", rows ? "Model A" : "Model B", model_name);
  layout = make_layout (self, title, 0.9, TRUE);
  pango_layout_set_ellipsize (layout, PANGO_ELLIPSIZE_MIDDLE);
  pango_layout_set_width (layout, (int) ((hi_edge - lo_edge) * PANGO_SCALE));
  pango_layout_set_alignment (layout, PANGO_ALIGN_CENTER);
  if (rows)
    draw_text_centered (snapshot, layout, 12, (lo_edge + hi_edge) / 2, -90, fg);
  else
    draw_text_centered (snapshot, layout, (lo_edge + hi_edge) / 2,
                        gtk_widget_get_height (GTK_WIDGET (self)) - 12, 0, fg);
  g_object_unref (layout);
}

static void
draw_stage_lines (BsHeatmap   *self,
                  GtkSnapshot *snapshot)
{
  const graphene_rect_t *p = &self->plot;
  GdkRGBA line = { 1, 1, 1, 0.55f };

  for (guint i = 1; i < self->n_cols; i++)
    if (bs_cka_snapshot_get_col (self->snapshot, i)->stage != bs_cka_snapshot_get_col (self->snapshot, i - 1)->stage)
      fill_rect (snapshot, &line, round (axis_position (self, FALSE, i)) - 0.5, p->origin.y, 1, p->size.height);

  for (guint i = 1; i < self->n_rows; i++)
    if (bs_cka_snapshot_get_row (self->snapshot, i)->stage != bs_cka_snapshot_get_row (self->snapshot, i - 1)->stage)
      fill_rect (snapshot, &line, p->origin.x, round (axis_position (self, TRUE, i)) - 0.5, p->size.width, 1);
}

static void
draw_cell_outline (BsHeatmap     *self,
                   GtkSnapshot   *snapshot,
                   guint          row,
                   guint          col,
                   const GdkRGBA *color,
                   float          width)
{
  GdkRGBA shadow = { 0, 0, 0, 0.6f };
  double x, y, w, h;

  bs_heatmap_view_cell_to_rect (&self->view, row, col, &x, &y, &w, &h);
  x += self->plot.origin.x;
  y += self->plot.origin.y;

  /* Small cells get an outline that grows outwards, so they stay visible. */
  if (w < 2 * width + 3)
    {
      double grow = (2 * width + 3 - w) / 2;

      x -= grow;
      w += 2 * grow;
    }
  if (h < 2 * width + 3)
    {
      double grow = (2 * width + 3 - h) / 2;

      y -= grow;
      h += 2 * grow;
    }

  stroke_rect (snapshot, &shadow, x - 1, y - 1, w + 2, h + 2, 1);
  stroke_rect (snapshot, color, x, y, w, h, width);
}

static void
draw_colorbar (BsHeatmap     *self,
               GtkSnapshot   *snapshot,
               const GdkRGBA *fg)
{
  const graphene_rect_t *p = &self->plot;
  double x = p->origin.x + p->size.width + COLORBAR_GAP;
  double y = p->origin.y;
  double h = p->size.height;
  GdkRGBA frame = *fg, dim = *fg;
  double lo, hi;
  PangoLayout *layout;

  frame.alpha = 0.3f;
  dim.alpha = 0.7f;

  if (self->colorbar_texture == NULL)
    {
      const guint8 *table = bs_colormap_get_table (self->colormap);
      guint8 rgb[BS_COLORMAP_SIZE * 3];
      g_autoptr(GBytes) bytes = NULL;

      /* One pixel wide, high values at the top. */
      for (guint i = 0; i < BS_COLORMAP_SIZE; i++)
        memcpy (rgb + 3 * i, table + 3 * (BS_COLORMAP_SIZE - 1 - i), 3);
      bytes = g_bytes_new (rgb, sizeof rgb);
      self->colorbar_texture = gdk_memory_texture_new (1, BS_COLORMAP_SIZE, GDK_MEMORY_R8G8B8,
                                                       bytes, 3);
    }

  gtk_snapshot_append_texture (snapshot, self->colorbar_texture,
                               &GRAPHENE_RECT_INIT ((float) x, (float) y, COLORBAR_WIDTH, (float) h));
  stroke_rect (snapshot, &frame, x, y, COLORBAR_WIDTH, h, 1);

  get_range (self, &lo, &hi);
  for (guint i = 0; i <= 4; i++)
    {
      double t = i / 4.0;
      double value = lo + t * (hi - lo);
      double ty = y + h - t * h;
      char text[32];

      g_snprintf (text, sizeof text, "%.2f", value);
      layout = make_layout (self, text, 0.8, FALSE);
      fill_rect (snapshot, &frame, x + COLORBAR_WIDTH, ty - 0.5, TICK_LENGTH, 1);
      draw_text_at (snapshot, layout, x + COLORBAR_WIDTH + TICK_LENGTH + 3, ty, 0, 0.5, &dim);
      g_object_unref (layout);
    }

  layout = make_layout (self, "CKA", 0.8, TRUE);
  draw_text_at (snapshot, layout, x + COLORBAR_WIDTH / 2.0, y - 6, 0.5, 1.0, fg);
  g_object_unref (layout);
}

static void
bs_heatmap_snapshot (GtkWidget   *widget,
                     GtkSnapshot *snapshot)
{
  BsHeatmap *self = BS_HEATMAP (widget);
  const graphene_rect_t *p = &self->plot;
  GdkRGBA fg, frame, accent = { 0.21f, 0.52f, 0.89f, 1.0f }, white = { 1, 1, 1, 1 };

  get_fg_color (widget, &fg);
  frame = fg;
  frame.alpha = 0.25f;

  if (self->snapshot == NULL || p->size.width < 1)
    return;

  if (self->gl_ok)
    gtk_widget_snapshot_child (widget, self->gl_area, snapshot);
  else
    snapshot_fallback (self, snapshot);

  gtk_snapshot_push_clip (snapshot, p);
  if (self->show_boundaries)
    draw_stage_lines (self, snapshot);
  if (self->has_hover)
    draw_cell_outline (self, snapshot, self->hover_row, self->hover_col, &white, 1.5f);
  if (self->has_selection)
    draw_cell_outline (self, snapshot, self->sel_row, self->sel_col, &accent, 2.0f);
  gtk_snapshot_pop (snapshot);

  stroke_rect (snapshot, &frame, p->origin.x - 1, p->origin.y - 1, p->size.width + 2, p->size.height + 2, 1);

  draw_axis (self, snapshot, TRUE, &fg);
  draw_axis (self, snapshot, FALSE, &fg);
  draw_colorbar (self, snapshot, &fg);

  if (!self->gl_ok && self->gl_problem != NULL)
    {
      GdkRGBA dim = fg;
      PangoLayout *layout = make_layout (self, self->gl_problem, 0.75, FALSE);

      dim.alpha = 0.6f;
      draw_text_at (snapshot, layout, p->origin.x, p->origin.y - 6, 0, 1.0, &dim);
      g_object_unref (layout);
    }

  gtk_widget_snapshot_child (widget, self->zoom_box, snapshot);
  if (gtk_widget_get_visible (self->hover_label))
    gtk_widget_snapshot_child (widget, self->hover_label, snapshot);
}

/* ---------------------------------------------------------------- layout */

static void
bs_heatmap_measure (GtkWidget      *widget,
                    GtkOrientation  orientation,
                    int             for_size,
                    int            *minimum,
                    int            *natural,
                    int            *minimum_baseline,
                    int            *natural_baseline)
{
  if (orientation == GTK_ORIENTATION_HORIZONTAL)
    {
      *minimum = MARGIN_LEFT + MARGIN_RIGHT + 200;
      *natural = MARGIN_LEFT + MARGIN_RIGHT + 640;
    }
  else
    {
      *minimum = MARGIN_TOP + MARGIN_BOTTOM + 200;
      *natural = MARGIN_TOP + MARGIN_BOTTOM + 640;
    }
}

static void
place_hover_label (BsHeatmap *self,
                   int        width,
                   int        height)
{
  GtkRequisition natural;
  double x, y;

  gtk_widget_get_preferred_size (self->hover_label, NULL, &natural);

  /* Beside the pointer, flipped to the other side near the edges. */
  x = self->pointer_x + 18;
  y = self->pointer_y + 18;
  if (x + natural.width > width - 4)
    x = self->pointer_x - 12 - natural.width;
  if (y + natural.height > height - 4)
    y = self->pointer_y - 12 - natural.height;
  x = MAX (x, 4);
  y = MAX (y, 4);

  gtk_widget_size_allocate (self->hover_label,
                            &(GtkAllocation) { (int) x, (int) y, natural.width, natural.height }, -1);
}

static void
bs_heatmap_size_allocate (GtkWidget *widget,
                          int        width,
                          int        height,
                          int        baseline)
{
  BsHeatmap *self = BS_HEATMAP (widget);
  GtkRequisition zoom_size;
  int avail_w = width - MARGIN_LEFT - MARGIN_RIGHT;
  int avail_h = height - MARGIN_TOP - MARGIN_BOTTOM;
  int side = MAX (MIN (avail_w, avail_h), 16);
  int x = MARGIN_LEFT + MAX (avail_w - side, 0) / 2;
  int y = MARGIN_TOP + MAX (avail_h - side, 0) / 2;

  /* A square plot, as in the paper's figures, whatever the layer counts. */
  graphene_rect_init (&self->plot, x, y, side, side);
  bs_heatmap_view_set_size (&self->view, side, side);

  if (self->gl_area != NULL)
    gtk_widget_size_allocate (self->gl_area, &(GtkAllocation) { x, y, side, side }, -1);

  gtk_widget_get_preferred_size (self->zoom_box, NULL, &zoom_size);
  gtk_widget_size_allocate (self->zoom_box,
                            &(GtkAllocation) { x + side - zoom_size.width - 8, y + 8,
                                               zoom_size.width, zoom_size.height }, -1);

  if (gtk_widget_get_visible (self->hover_label))
    place_hover_label (self, width, height);
}

/* ---------------------------------------------------------------- hover, selection */

static char *
describe_layer_markup (const char        *axis,
                       const BsLayerInfo *info,
                       guint              index)
{
  g_autofree char *name = g_markup_escape_text (info->name ? info->name : "?", -1);

  return g_strdup_printf ("<b>%s</b>  %s  <span alpha=\"70%%\">#%u</span>", axis, name, index);
}

static void
update_hover_label (BsHeatmap *self)
{
  g_autofree char *a = NULL;
  g_autofree char *b = NULL;
  g_autofree char *value = NULL;
  g_autofree char *markup = NULL;
  double cka, se;

  if (!self->has_hover || self->snapshot == NULL)
    {
      gtk_widget_set_visible (self->hover_label, FALSE);
      return;
    }

  a = describe_layer_markup ("A", bs_cka_snapshot_get_row (self->snapshot, self->hover_row), self->hover_row);
  b = describe_layer_markup ("B", bs_cka_snapshot_get_col (self->snapshot, self->hover_col), self->hover_col);
  cka = bs_cka_snapshot_get_value (self->snapshot, self->hover_row, self->hover_col);
  se = bs_cka_snapshot_get_std_error (self->snapshot, self->hover_row, self->hover_col);

  if (isnan (cka))
    {
      const char *reason = bs_cka_snapshot_cell_reason (self->snapshot, self->hover_row, self->hover_col);

      value = g_markup_printf_escaped ("<b>CKA</b>  <i>%s</i>", reason ? reason : "no value");
    }
  else if (!isnan (se))
    value = g_strdup_printf ("<b>CKA</b>  %.3f ± %.3f", cka, se);
  else
    value = g_strdup_printf ("<b>CKA</b>  %.3f", cka);

  markup = g_strdup_printf ("%s\n%s\n%s", a, b, value);
  gtk_label_set_markup (GTK_LABEL (self->hover_label), markup);
  gtk_widget_set_visible (self->hover_label, TRUE);
  gtk_widget_queue_allocate (GTK_WIDGET (self));
}

static void
update_hover (BsHeatmap *self)
{
  guint row = 0, col = 0;
  gboolean inside = FALSE;

  if (self->pointer_inside && self->snapshot != NULL)
    inside = bs_heatmap_view_point_to_cell (&self->view,
                                            self->pointer_x - self->plot.origin.x,
                                            self->pointer_y - self->plot.origin.y,
                                            &row, &col);

  if (inside != self->has_hover || row != self->hover_row || col != self->hover_col)
    {
      self->has_hover = inside;
      self->hover_row = row;
      self->hover_col = col;
      update_hover_label (self);
      gtk_widget_queue_draw (GTK_WIDGET (self));
    }
  else if (inside)
    gtk_widget_queue_allocate (GTK_WIDGET (self));
}

static void
view_changed (BsHeatmap *self)
{
  update_hover (self);
  queue_redraw (self);
}

void
bs_heatmap_select (BsHeatmap *self,
                   guint      row,
                   guint      col)
{
  g_return_if_fail (BS_IS_HEATMAP (self));

  if (self->snapshot == NULL || row >= self->n_rows || col >= self->n_cols)
    return;
  if (self->has_selection && self->sel_row == row && self->sel_col == col)
    return;

  self->has_selection = TRUE;
  self->sel_row = row;
  self->sel_col = col;
  gtk_widget_queue_draw (GTK_WIDGET (self));
  g_signal_emit (self, signals[SELECTION_CHANGED], 0);
}

void
bs_heatmap_clear_selection (BsHeatmap *self)
{
  g_return_if_fail (BS_IS_HEATMAP (self));

  if (!self->has_selection)
    return;

  self->has_selection = FALSE;
  gtk_widget_queue_draw (GTK_WIDGET (self));
  g_signal_emit (self, signals[SELECTION_CHANGED], 0);
}

gboolean
bs_heatmap_get_selection (BsHeatmap *self,
                          guint     *row,
                          guint     *col)
{
  g_return_val_if_fail (BS_IS_HEATMAP (self), FALSE);

  if (self->has_selection)
    {
      if (row != NULL)
        *row = self->sel_row;
      if (col != NULL)
        *col = self->sel_col;
    }

  return self->has_selection;
}

/* ---------------------------------------------------------------- input */

static gboolean
point_in_plot (BsHeatmap *self,
               double     x,
               double     y)
{
  return graphene_rect_contains_point (&self->plot, &GRAPHENE_POINT_INIT ((float) x, (float) y));
}

static void
on_motion (GtkEventControllerMotion *controller,
           double                    x,
           double                    y,
           BsHeatmap                *self)
{
  self->pointer_inside = TRUE;
  self->pointer_x = x;
  self->pointer_y = y;
  update_hover (self);
}

static void
on_leave (GtkEventControllerMotion *controller,
          BsHeatmap                *self)
{
  self->pointer_inside = FALSE;
  update_hover (self);
}

static void
zoom_at_widget_point (BsHeatmap *self,
                      double     factor,
                      double     x,
                      double     y)
{
  if (self->snapshot == NULL)
    return;

  bs_heatmap_view_zoom_at (&self->view, factor, x - self->plot.origin.x, y - self->plot.origin.y);
  view_changed (self);
}

static void
keyboard_zoom_point (BsHeatmap *self,
                     double    *x,
                     double    *y)
{
  if (self->pointer_inside && point_in_plot (self, self->pointer_x, self->pointer_y))
    {
      *x = self->pointer_x;
      *y = self->pointer_y;
    }
  else
    {
      *x = self->plot.origin.x + self->plot.size.width / 2;
      *y = self->plot.origin.y + self->plot.size.height / 2;
    }
}

static gboolean
on_scroll (GtkEventControllerScroll *controller,
           double                    dx,
           double                    dy,
           BsHeatmap                *self)
{
  if (self->snapshot == NULL || !point_in_plot (self, self->pointer_x, self->pointer_y))
    return FALSE;

  if (dy != 0)
    zoom_at_widget_point (self, pow (1.2, -dy), self->pointer_x, self->pointer_y);
  if (dx != 0)
    {
      bs_heatmap_view_pan (&self->view, -dx * 30, 0);
      view_changed (self);
    }

  return TRUE;
}

static void
on_pinch_begin (GtkGesture       *gesture,
                GdkEventSequence *sequence,
                BsHeatmap        *self)
{
  self->pinch_zoom = self->view.zoom;
  if (!gtk_gesture_get_bounding_box_center (gesture, &self->pinch_x, &self->pinch_y))
    keyboard_zoom_point (self, &self->pinch_x, &self->pinch_y);
}

static void
on_pinch_scale_changed (GtkGestureZoom *gesture,
                        double          scale,
                        BsHeatmap      *self)
{
  if (self->snapshot == NULL)
    return;

  bs_heatmap_view_set_zoom_at (&self->view, self->pinch_zoom * scale,
                               self->pinch_x - self->plot.origin.x,
                               self->pinch_y - self->plot.origin.y);
  view_changed (self);
}

static void
on_drag_begin (GtkGestureDrag *gesture,
               double          x,
               double          y,
               BsHeatmap      *self)
{
  self->drag_in_plot = self->snapshot != NULL && point_in_plot (self, x, y);
  self->drag_moved = FALSE;
  self->drag_center_u = self->view.center_u;
  self->drag_center_v = self->view.center_v;
}

static void
on_drag_update (GtkGestureDrag *gesture,
                double          offset_x,
                double          offset_y,
                BsHeatmap      *self)
{
  if (!self->drag_in_plot)
    return;

  if (!self->drag_moved && hypot (offset_x, offset_y) < CLICK_SLOP)
    return;

  if (!self->drag_moved)
    {
      self->drag_moved = TRUE;
      gtk_widget_set_cursor_from_name (GTK_WIDGET (self), "grabbing");
    }

  self->view.center_u = self->drag_center_u;
  self->view.center_v = self->drag_center_v;
  bs_heatmap_view_pan (&self->view, offset_x, offset_y);
  view_changed (self);
}

static void
on_drag_end (GtkGestureDrag *gesture,
             double          offset_x,
             double          offset_y,
             BsHeatmap      *self)
{
  gtk_widget_set_cursor (GTK_WIDGET (self), NULL);
}

static void
on_click_pressed (GtkGestureClick *gesture,
                  int              n_press,
                  double           x,
                  double           y,
                  BsHeatmap       *self)
{
  self->press_x = x;
  self->press_y = y;
  gtk_widget_grab_focus (GTK_WIDGET (self));
}

static void
on_click_released (GtkGestureClick *gesture,
                   int              n_press,
                   double           x,
                   double           y,
                   BsHeatmap       *self)
{
  guint row, col;

  /* A press that travelled was a pan, not a pick. */
  if (self->drag_moved || hypot (x - self->press_x, y - self->press_y) >= CLICK_SLOP)
    return;

  if (bs_heatmap_view_point_to_cell (&self->view, x - self->plot.origin.x, y - self->plot.origin.y,
                                     &row, &col))
    bs_heatmap_select (self, row, col);
}

static void
move_selection (BsHeatmap *self,
                int        d_row,
                int        d_col)
{
  gint64 row, col;

  if (self->snapshot == NULL)
    return;

  if (!self->has_selection)
    {
      bs_heatmap_select (self, 0, 0);
      return;
    }

  row = CLAMP ((gint64) self->sel_row + d_row, 0, (gint64) self->n_rows - 1);
  col = CLAMP ((gint64) self->sel_col + d_col, 0, (gint64) self->n_cols - 1);
  bs_heatmap_view_ensure_visible (&self->view, (guint) row, (guint) col);
  bs_heatmap_select (self, (guint) row, (guint) col);
  view_changed (self);
}

static void
move_selection_action (GtkWidget  *widget,
                       const char *action_name,
                       GVariant   *parameter)
{
  int d_row, d_col;

  g_variant_get (parameter, "(ii)", &d_row, &d_col);
  move_selection (BS_HEATMAP (widget), d_row, d_col);
}

static void
zoom_in_action (GtkWidget  *widget,
                const char *action_name,
                GVariant   *parameter)
{
  BsHeatmap *self = BS_HEATMAP (widget);
  double x, y;

  keyboard_zoom_point (self, &x, &y);
  zoom_at_widget_point (self, 1.5, x, y);
}

static void
zoom_out_action (GtkWidget  *widget,
                 const char *action_name,
                 GVariant   *parameter)
{
  BsHeatmap *self = BS_HEATMAP (widget);
  double x, y;

  keyboard_zoom_point (self, &x, &y);
  zoom_at_widget_point (self, 1 / 1.5, x, y);
}

static void
reset_view_action (GtkWidget  *widget,
                   const char *action_name,
                   GVariant   *parameter)
{
  bs_heatmap_reset_view (BS_HEATMAP (widget));
}

/* ---------------------------------------------------------------- public */

void
bs_heatmap_reset_view (BsHeatmap *self)
{
  g_return_if_fail (BS_IS_HEATMAP (self));

  bs_heatmap_view_reset (&self->view);
  view_changed (self);
}

void
bs_heatmap_zoom (BsHeatmap *self,
                 double     factor)
{
  g_return_if_fail (BS_IS_HEATMAP (self));

  zoom_at_widget_point (self, factor,
                        self->plot.origin.x + self->plot.size.width / 2,
                        self->plot.origin.y + self->plot.size.height / 2);
}

static gboolean
same_layers (const BsLayerInfo *a,
             const BsLayerInfo *b,
             guint              n)
{
  for (guint i = 0; i < n; i++)
    if (g_strcmp0 (a[i].name, b[i].name) != 0 || a[i].stage != b[i].stage || a[i].block != b[i].block)
      return FALSE;

  return TRUE;
}

void
bs_heatmap_set_snapshot (BsHeatmap     *self,
                         BsCkaSnapshot *snapshot)
{
  gboolean same_shape;
  gsize n_values;
  double lo = G_MAXDOUBLE, hi = -G_MAXDOUBLE;

  g_return_if_fail (BS_IS_HEATMAP (self));

  if (snapshot == self->snapshot)
    return;

  same_shape = snapshot != NULL && self->snapshot != NULL &&
               bs_cka_snapshot_get_n_rows (snapshot) == self->n_rows && bs_cka_snapshot_get_n_cols (snapshot) == self->n_cols &&
               g_strcmp0 (bs_cka_snapshot_get_model_a (snapshot), bs_cka_snapshot_get_model_a (self->snapshot)) == 0 &&
               g_strcmp0 (bs_cka_snapshot_get_model_b (snapshot), bs_cka_snapshot_get_model_b (self->snapshot)) == 0 &&
               same_layers (bs_cka_snapshot_get_rows (snapshot), bs_cka_snapshot_get_rows (self->snapshot), bs_cka_snapshot_get_n_rows (snapshot)) &&
               same_layers (bs_cka_snapshot_get_cols (snapshot), bs_cka_snapshot_get_cols (self->snapshot), bs_cka_snapshot_get_n_cols (snapshot));

  if (snapshot != NULL)
    bs_cka_snapshot_ref (snapshot);
  g_clear_pointer (&self->snapshot, bs_cka_snapshot_unref);
  self->snapshot = snapshot;

  if (snapshot == NULL || bs_cka_snapshot_get_n_rows (snapshot) == 0 || bs_cka_snapshot_get_n_cols (snapshot) == 0)
    {
      g_clear_pointer (&self->values, g_free);
      g_clear_pointer (&self->snapshot, bs_cka_snapshot_unref);
      self->n_rows = self->n_cols = 0;
      self->has_selection = self->has_hover = FALSE;
      update_hover_label (self);
      queue_redraw (self);
      g_signal_emit (self, signals[SELECTION_CHANGED], 0);
      return;
    }

  n_values = (gsize) bs_cka_snapshot_get_n_rows (snapshot) * bs_cka_snapshot_get_n_cols (snapshot);

  if (!same_shape)
    {
      gboolean had_selection = self->has_selection;

      g_free (self->values);
      self->values = g_new (float, n_values);
      self->n_rows = bs_cka_snapshot_get_n_rows (snapshot);
      self->n_cols = bs_cka_snapshot_get_n_cols (snapshot);
      bs_heatmap_view_set_shape (&self->view, self->n_rows, self->n_cols);
      self->texture_stale = TRUE;
      self->has_selection = FALSE;
      self->has_hover = FALSE;
      for (gsize i = 0; i < n_values; i++)
        {
          double v = bs_cka_snapshot_get_values (snapshot)[i];

          self->values[i] = isfinite (v) ? (float) v : MISSING_SENTINEL;
        }
      if (had_selection)
        g_signal_emit (self, signals[SELECTION_CHANGED], 0);
    }
  else
    {
      /* Only the rows that differ go to the GPU. */
      for (guint r = 0; r < self->n_rows; r++)
        {
          float *row = self->values + (gsize) r * self->n_cols;
          const double *src = bs_cka_snapshot_get_values (snapshot) + (gsize) r * self->n_cols;
          gboolean changed = FALSE;

          for (guint c = 0; c < self->n_cols; c++)
            {
              float v = isfinite (src[c]) ? (float) src[c] : MISSING_SENTINEL;

              if (memcmp (&v, &row[c], sizeof v) != 0)
                {
                  row[c] = v;
                  changed = TRUE;
                }
            }

          if (changed)
            {
              if (!self->has_dirty)
                self->dirty_first = self->dirty_last = r;
              self->dirty_first = MIN (self->dirty_first, r);
              self->dirty_last = MAX (self->dirty_last, r);
              self->has_dirty = TRUE;
            }
        }
    }

  for (gsize i = 0; i < n_values; i++)
    if (!IS_MISSING (self->values[i]))
      {
        lo = MIN (lo, self->values[i]);
        hi = MAX (hi, self->values[i]);
      }
  self->data_lo = lo <= hi ? lo : 0.0;
  self->data_hi = lo <= hi ? hi : 1.0;

  self->fallback_stale = TRUE;
  update_hover_label (self);
  if (self->has_selection)
    g_signal_emit (self, signals[SELECTION_CHANGED], 0);
  queue_redraw (self);
}

BsCkaSnapshot *
bs_heatmap_get_snapshot (BsHeatmap *self)
{
  g_return_val_if_fail (BS_IS_HEATMAP (self), NULL);

  return self->snapshot;
}

void
bs_heatmap_set_colormap (BsHeatmap  *self,
                         BsColormap  colormap)
{
  g_return_if_fail (BS_IS_HEATMAP (self));

  if (self->colormap == colormap)
    return;

  self->colormap = colormap;
  self->colormap_dirty = TRUE;
  self->fallback_stale = TRUE;
  g_clear_object (&self->colorbar_texture);
  queue_redraw (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_COLORMAP_NAME]);
}

BsColormap
bs_heatmap_get_colormap (BsHeatmap *self)
{
  g_return_val_if_fail (BS_IS_HEATMAP (self), BS_COLORMAP_MAGMA);

  return self->colormap;
}

void
bs_heatmap_set_data_range (BsHeatmap *self,
                           gboolean   data_range)
{
  g_return_if_fail (BS_IS_HEATMAP (self));

  data_range = !!data_range;
  if (self->data_range == data_range)
    return;

  self->data_range = data_range;
  self->fallback_stale = TRUE;
  queue_redraw (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_COLOR_RANGE]);
}

void
bs_heatmap_get_value_range (BsHeatmap *self,
                            double    *lo,
                            double    *hi)
{
  g_return_if_fail (BS_IS_HEATMAP (self));

  get_range (self, lo, hi);
}

const BsHeatmapView *
bs_heatmap_get_view (BsHeatmap *self)
{
  g_return_val_if_fail (BS_IS_HEATMAP (self), NULL);

  return &self->view;
}

void
bs_heatmap_get_plot_origin (BsHeatmap *self,
                            double    *x,
                            double    *y)
{
  g_return_if_fail (BS_IS_HEATMAP (self));

  *x = self->plot.origin.x;
  *y = self->plot.origin.y;
}

gboolean
bs_heatmap_get_uses_gl (BsHeatmap *self)
{
  g_return_val_if_fail (BS_IS_HEATMAP (self), FALSE);

  return self->gl_ok && self->gl_ready;
}

void
bs_heatmap_get_upload_stats (BsHeatmap *self,
                             guint     *uploads,
                             guint64   *rows)
{
  g_return_if_fail (BS_IS_HEATMAP (self));

  *uploads = self->uploads;
  *rows = self->rows_uploaded;
}

/* ---------------------------------------------------------------- GObject */

static void
bs_heatmap_get_property (GObject    *object,
                         guint       prop_id,
                         GValue     *value,
                         GParamSpec *pspec)
{
  BsHeatmap *self = BS_HEATMAP (object);

  switch (prop_id)
    {
    case PROP_COLORMAP_NAME:
      g_value_set_string (value, bs_colormap_to_string (self->colormap));
      break;

    case PROP_COLOR_RANGE:
      g_value_set_string (value, self->data_range ? "data" : "fixed");
      break;

    case PROP_SHOW_BOUNDARIES:
      g_value_set_boolean (value, self->show_boundaries);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
bs_heatmap_set_property (GObject      *object,
                         guint         prop_id,
                         const GValue *value,
                         GParamSpec   *pspec)
{
  BsHeatmap *self = BS_HEATMAP (object);

  switch (prop_id)
    {
    case PROP_COLORMAP_NAME:
      {
        BsColormap map = BS_COLORMAP_MAGMA;

        bs_colormap_from_string (g_value_get_string (value), &map);
        bs_heatmap_set_colormap (self, map);
      }
      break;

    case PROP_COLOR_RANGE:
      bs_heatmap_set_data_range (self, g_strcmp0 (g_value_get_string (value), "data") == 0);
      break;

    case PROP_SHOW_BOUNDARIES:
      if (self->show_boundaries != g_value_get_boolean (value))
        {
          self->show_boundaries = g_value_get_boolean (value);
          gtk_widget_queue_draw (GTK_WIDGET (self));
          g_object_notify_by_pspec (object, pspec);
        }
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
bs_heatmap_dispose (GObject *object)
{
  BsHeatmap *self = BS_HEATMAP (object);

  g_clear_pointer (&self->gl_area, gtk_widget_unparent);
  g_clear_pointer (&self->hover_label, gtk_widget_unparent);
  g_clear_pointer (&self->zoom_box, gtk_widget_unparent);
  g_clear_pointer (&self->snapshot, bs_cka_snapshot_unref);
  g_clear_object (&self->colorbar_texture);
  g_clear_pointer (&self->fallback_image, cairo_surface_destroy);

  G_OBJECT_CLASS (bs_heatmap_parent_class)->dispose (object);
}

static void
bs_heatmap_finalize (GObject *object)
{
  BsHeatmap *self = BS_HEATMAP (object);

  g_free (self->values);
  g_free (self->gl_problem);

  G_OBJECT_CLASS (bs_heatmap_parent_class)->finalize (object);
}

static void
bs_heatmap_class_init (BsHeatmapClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  static const struct { guint key; int d_row, d_col; } arrows[] = {
    { GDK_KEY_Up, 1, 0 }, { GDK_KEY_KP_Up, 1, 0 },
    { GDK_KEY_Down, -1, 0 }, { GDK_KEY_KP_Down, -1, 0 },
    { GDK_KEY_Left, 0, -1 }, { GDK_KEY_KP_Left, 0, -1 },
    { GDK_KEY_Right, 0, 1 }, { GDK_KEY_KP_Right, 0, 1 },
  };

  object_class->dispose = bs_heatmap_dispose;
  object_class->finalize = bs_heatmap_finalize;
  object_class->get_property = bs_heatmap_get_property;
  object_class->set_property = bs_heatmap_set_property;

  widget_class->measure = bs_heatmap_measure;
  widget_class->size_allocate = bs_heatmap_size_allocate;
  widget_class->snapshot = bs_heatmap_snapshot;

  properties[PROP_COLORMAP_NAME] =
    g_param_spec_string ("colormap", NULL, NULL, "magma",
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_COLOR_RANGE] =
    g_param_spec_string ("color-range", NULL, NULL, "fixed",
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_SHOW_BOUNDARIES] =
    g_param_spec_boolean ("show-boundaries", NULL, NULL, TRUE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[SELECTION_CHANGED] =
    g_signal_new ("selection-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);

  gtk_widget_class_install_action (widget_class, "heatmap.zoom-in", NULL, zoom_in_action);
  gtk_widget_class_install_action (widget_class, "heatmap.zoom-out", NULL, zoom_out_action);
  gtk_widget_class_install_action (widget_class, "heatmap.reset-view", NULL, reset_view_action);
  gtk_widget_class_install_action (widget_class, "heatmap.move-selection", "(ii)", move_selection_action);

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_plus, 0, "heatmap.zoom-in", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_equal, 0, "heatmap.zoom-in", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_KP_Add, 0, "heatmap.zoom-in", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_minus, 0, "heatmap.zoom-out", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_KP_Subtract, 0, "heatmap.zoom-out", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_0, 0, "heatmap.reset-view", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_KP_0, 0, "heatmap.reset-view", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Home, 0, "heatmap.reset-view", NULL);
  for (guint i = 0; i < G_N_ELEMENTS (arrows); i++)
    gtk_widget_class_add_binding_action (widget_class, arrows[i].key, 0, "heatmap.move-selection",
                                         "(ii)", arrows[i].d_row, arrows[i].d_col);

  gtk_widget_class_set_css_name (widget_class, "heatmap");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_IMG);
}

static GtkWidget *
make_zoom_button (const char *icon,
                  const char *action,
                  const char *tooltip)
{
  GtkWidget *button = gtk_button_new_from_icon_name (icon);

  gtk_actionable_set_action_name (GTK_ACTIONABLE (button), action);
  gtk_widget_set_tooltip_text (button, tooltip);
  gtk_widget_set_focusable (button, FALSE);

  return button;
}

static void
bs_heatmap_init (BsHeatmap *self)
{
  GtkEventController *controller;
  GtkGesture *gesture;

  self->colormap = BS_COLORMAP_MAGMA;
  self->show_boundaries = TRUE;
  self->gl_ok = TRUE;
  bs_heatmap_view_init (&self->view, 0, 0, 1, 1);

  gtk_widget_set_focusable (GTK_WIDGET (self), TRUE);
  gtk_widget_set_overflow (GTK_WIDGET (self), GTK_OVERFLOW_HIDDEN);

  /* BLOCKSCOPE_NO_GL=1 forces the cairo drawing (for broken drivers, and tests). */
  if (g_strcmp0 (g_getenv ("BLOCKSCOPE_NO_GL"), "1") == 0)
    {
      self->gl_ok = FALSE;
      self->gl_problem = g_strdup ("OpenGL switched off (BLOCKSCOPE_NO_GL=1): drawn without it.");
    }
  else
    {
      self->gl_area = gtk_gl_area_new ();
      gtk_widget_set_can_target (self->gl_area, FALSE);
      gtk_gl_area_set_has_depth_buffer (GTK_GL_AREA (self->gl_area), FALSE);
      g_signal_connect (self->gl_area, "create-context", G_CALLBACK (on_create_context), self);
      g_signal_connect_after (self->gl_area, "realize", G_CALLBACK (on_gl_realize), self);
      g_signal_connect (self->gl_area, "unrealize", G_CALLBACK (on_gl_unrealize), self);
      g_signal_connect (self->gl_area, "render", G_CALLBACK (on_gl_render), self);
      gtk_widget_set_parent (self->gl_area, GTK_WIDGET (self));
    }

  self->zoom_box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 0);
  gtk_widget_add_css_class (self->zoom_box, "linked");
  gtk_widget_add_css_class (self->zoom_box, "heatmap-zoom");
  gtk_box_append (GTK_BOX (self->zoom_box), make_zoom_button ("zoom-out-symbolic", "heatmap.zoom-out", "Zoom Out (−)"));
  gtk_box_append (GTK_BOX (self->zoom_box), make_zoom_button ("zoom-fit-best-symbolic", "heatmap.reset-view", "Show Everything (0)"));
  gtk_box_append (GTK_BOX (self->zoom_box), make_zoom_button ("zoom-in-symbolic", "heatmap.zoom-in", "Zoom In (+)"));
  gtk_widget_set_parent (self->zoom_box, GTK_WIDGET (self));

  self->hover_label = gtk_label_new (NULL);
  gtk_widget_add_css_class (self->hover_label, "heatmap-hover");
  gtk_widget_set_can_target (self->hover_label, FALSE);
  gtk_widget_set_visible (self->hover_label, FALSE);
  gtk_label_set_xalign (GTK_LABEL (self->hover_label), 0);
  gtk_widget_set_parent (self->hover_label, GTK_WIDGET (self));

  controller = gtk_event_controller_motion_new ();
  g_signal_connect (controller, "enter", G_CALLBACK (on_motion), self);
  g_signal_connect (controller, "motion", G_CALLBACK (on_motion), self);
  g_signal_connect (controller, "leave", G_CALLBACK (on_leave), self);
  gtk_widget_add_controller (GTK_WIDGET (self), controller);

  controller = gtk_event_controller_scroll_new (GTK_EVENT_CONTROLLER_SCROLL_BOTH_AXES);
  g_signal_connect (controller, "scroll", G_CALLBACK (on_scroll), self);
  gtk_widget_add_controller (GTK_WIDGET (self), controller);

  gesture = gtk_gesture_zoom_new ();
  g_signal_connect (gesture, "begin", G_CALLBACK (on_pinch_begin), self);
  g_signal_connect (gesture, "scale-changed", G_CALLBACK (on_pinch_scale_changed), self);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (gesture));

  gesture = gtk_gesture_drag_new ();
  gtk_gesture_single_set_button (GTK_GESTURE_SINGLE (gesture), GDK_BUTTON_PRIMARY);
  g_signal_connect (gesture, "drag-begin", G_CALLBACK (on_drag_begin), self);
  g_signal_connect (gesture, "drag-update", G_CALLBACK (on_drag_update), self);
  g_signal_connect (gesture, "drag-end", G_CALLBACK (on_drag_end), self);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (gesture));

  gesture = gtk_gesture_click_new ();
  gtk_gesture_single_set_button (GTK_GESTURE_SINGLE (gesture), GDK_BUTTON_PRIMARY);
  g_signal_connect (gesture, "pressed", G_CALLBACK (on_click_pressed), self);
  g_signal_connect (gesture, "released", G_CALLBACK (on_click_released), self);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (gesture));
}

GtkWidget *
bs_heatmap_new (void)
{
  return g_object_new (BS_TYPE_HEATMAP, NULL);
}
