/* bs-heatmap-gl.c: the heatmap's cells with OpenGL (see bs-heatmap-gl.h).
 *
 * Every GL object dies with the context on unrealize; the matrix stays on
 * the CPU (BsHeatmapMatrix), so a new context simply gets everything
 * again. */
#include "bs-config.h"

#include "bs-heatmap-gl.h"
#include "bs-heatmap-summary.h"

#include <glib/gi18n.h>

#include <epoxy/gl.h>
#include <string.h>

struct _BsHeatmapGl
{
  GtkGLArea            parent_instance;

  BsHeatmapMatrix     *matrix;          /* borrowed */
  const BsHeatmapView *view;            /* borrowed */
  BsColormap           colormap;
  double               lo;
  double               hi;

  gboolean             ready;           /* program, buffers and textures exist */
  gboolean             uses_es;
  char                *api_name;
  GLuint               program;
  GLuint               vao;
  GLuint               vbo;
  GLuint               matrix_texture;
  GLuint               colormap_texture;
  guint                texture_rows;    /* the matrix texture's size; 0: none yet */
  guint                texture_cols;

  /* More cells in view than device pixels: the summary of the view, one
   * texel per device pixel, drawn instead of the matrix texture. */
  BsHeatmapSummary    *summary;
  GLuint               summary_texture;
  BsHeatmapSummaryGrid summary_grid;    /* what the summary texture holds */
  gboolean             summary_valid;   /* FALSE: nothing, or older values */
  gboolean             drew_summary;    /* what the last frame drew */
  gboolean             colormap_dirty;
  GLint                u_matrix;
  GLint                u_colormap;
  GLint                u_center;
  GLint                u_zoom;
  GLint                u_range;
  GLint                u_missing;

  guint                uploads;
  guint64              rows_uploaded;
};

G_DEFINE_FINAL_TYPE (BsHeatmapGl, bs_heatmap_gl, GTK_TYPE_GL_AREA)

enum {
  FAILED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static GdkGLContext *
bs_heatmap_gl_create_context (GtkGLArea *area)
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
                   /* Translators: a shader's resource path and the OpenGL driver's log. */
                   _("The heatmap shader %s did not compile: %s"), resource, log);
      glDeleteShader (shader);
      return 0;
    }

  return shader;
}

static gboolean
create_program (BsHeatmapGl  *self,
                GError      **error)
{
  GLuint vertex, fragment;
  GLint status;

  vertex = compile_shader (GL_VERTEX_SHADER, "/org/blockscope/Blockscope/shaders/heatmap.vert",
                           self->uses_es, error);
  if (vertex == 0)
    return FALSE;
  fragment = compile_shader (GL_FRAGMENT_SHADER, "/org/blockscope/Blockscope/shaders/heatmap.frag",
                             self->uses_es, error);
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
                   /* Translators: %s is the OpenGL driver's log. */
                   _("The heatmap shaders did not link: %s"), log);
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
fail (BsHeatmapGl *self,
      const char  *why)
{
  g_clear_pointer (&self->api_name, g_free);
  g_signal_emit (self, signals[FAILED], 0, why);
}

static void
bs_heatmap_gl_realize (GtkWidget *widget)
{
  static const float quad[] = { 0, 0, 1, 0, 0, 1, 1, 1 };
  BsHeatmapGl *self = BS_HEATMAP_GL (widget);
  GtkGLArea *area = GTK_GL_AREA (widget);
  g_autoptr(GError) error = NULL;
  GdkGLContext *context;
  int major, minor;

  GTK_WIDGET_CLASS (bs_heatmap_gl_parent_class)->realize (widget);

  gtk_gl_area_make_current (area);
  if (gtk_gl_area_get_error (area) != NULL)
    {
      fail (self, gtk_gl_area_get_error (area)->message);
      return;
    }

  /* The version is known only once the context was made current. */
  context = gtk_gl_area_get_context (area);
  gdk_gl_context_get_version (context, &major, &minor);
  self->uses_es = gdk_gl_context_get_use_es (context);
  if (self->uses_es ? major < 3 : (major * 10 + minor) < 32)
    {
      g_autofree char *why =
        /* Translators: OpenGL or OpenGL ES, and its version. */
        g_strdup_printf (_("OpenGL 3.2 or OpenGL ES 3.0 is needed, but only %s %d.%d is available"),
                         self->uses_es ? "OpenGL ES" : "OpenGL", major, minor);

      fail (self, why);
      return;
    }

  g_free (self->api_name);
  self->api_name = g_strdup_printf ("%s %d.%d", self->uses_es ? "OpenGL ES" : "OpenGL", major, minor);
  g_debug ("heatmap: drawing with %s", self->api_name);

  if (!create_program (self, &error))
    {
      fail (self, error->message);
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
  glGenTextures (1, &self->summary_texture);
  for (guint i = 0; i < 3; i++)
    {
      glBindTexture (GL_TEXTURE_2D, i == 0 ? self->matrix_texture : i == 1 ? self->colormap_texture
                                                                         : self->summary_texture);
      glTexParameteri (GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, GL_NEAREST);
      glTexParameteri (GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, GL_NEAREST);
      glTexParameteri (GL_TEXTURE_2D, GL_TEXTURE_WRAP_S, GL_CLAMP_TO_EDGE);
      glTexParameteri (GL_TEXTURE_2D, GL_TEXTURE_WRAP_T, GL_CLAMP_TO_EDGE);
    }
  glBindTexture (GL_TEXTURE_2D, 0);

  /* A new context has nothing: send everything again. */
  self->texture_rows = self->texture_cols = 0;
  self->summary_valid = FALSE;
  self->colormap_dirty = TRUE;
  self->ready = TRUE;
}

static void
bs_heatmap_gl_unrealize (GtkWidget *widget)
{
  BsHeatmapGl *self = BS_HEATMAP_GL (widget);
  GtkGLArea *area = GTK_GL_AREA (widget);

  if (self->ready)
    {
      gtk_gl_area_make_current (area);
      if (gtk_gl_area_get_error (area) == NULL)
        {
          glDeleteTextures (1, &self->matrix_texture);
          glDeleteTextures (1, &self->colormap_texture);
          glDeleteTextures (1, &self->summary_texture);
          glDeleteBuffers (1, &self->vbo);
          glDeleteVertexArrays (1, &self->vao);
          glDeleteProgram (self->program);
        }
      self->matrix_texture = self->colormap_texture = self->summary_texture = 0;
      self->vbo = self->vao = self->program = 0;
      self->ready = FALSE;
    }

  GTK_WIDGET_CLASS (bs_heatmap_gl_parent_class)->unrealize (widget);
}

static void
upload_colormap (BsHeatmapGl *self)
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
  glTexImage2D (GL_TEXTURE_2D, 0, GL_RGBA8, BS_COLORMAP_SIZE, 1, 0, GL_RGBA, GL_UNSIGNED_BYTE, rgba);
  self->colormap_dirty = FALSE;
}

/* Sends what changed; TRUE when anything did. */
static gboolean
upload_matrix (BsHeatmapGl *self)
{
  guint n_rows = bs_heatmap_matrix_get_n_rows (self->matrix);
  guint n_cols = bs_heatmap_matrix_get_n_cols (self->matrix);
  const float *values = bs_heatmap_matrix_get_values (self->matrix);
  guint first, last;
  gboolean sent = FALSE;

  glBindTexture (GL_TEXTURE_2D, self->matrix_texture);
  glPixelStorei (GL_UNPACK_ALIGNMENT, 4);

  if (self->texture_rows != n_rows || self->texture_cols != n_cols)
    {
      glTexImage2D (GL_TEXTURE_2D, 0, GL_R32F, (GLsizei) n_cols, (GLsizei) n_rows, 0,
                    GL_RED, GL_FLOAT, values);
      self->texture_rows = n_rows;
      self->texture_cols = n_cols;
      self->uploads++;
      self->rows_uploaded += n_rows;
      sent = TRUE;
    }
  else if (bs_heatmap_matrix_get_dirty_rows (self->matrix, &first, &last))
    {
      /* Texture row 0 is model A's first layer, drawn at the bottom. */
      glTexSubImage2D (GL_TEXTURE_2D, 0, 0, (GLint) first, (GLsizei) n_cols, (GLsizei) (last - first + 1),
                       GL_RED, GL_FLOAT, values + (gsize) first * n_cols);
      self->uploads++;
      self->rows_uploaded += last - first + 1;
      sent = TRUE;
    }

  bs_heatmap_matrix_clear_dirty_rows (self->matrix);

  return sent;
}

static gboolean
same_grid (const BsHeatmapSummaryGrid *a,
           const BsHeatmapSummaryGrid *b)
{
  return a->col0 == b->col0 && a->col1 == b->col1 && a->row0 == b->row0 && a->row1 == b->row1 &&
         a->width == b->width && a->height == b->height;
}

/* The summary of grid into the summary texture, one texel per device
 * pixel of the area, row 0 at the bottom as GL draws it. */
static void
upload_summary (BsHeatmapGl                *self,
                const BsHeatmapSummaryGrid *grid)
{
  const float *values;
  gboolean same_size = self->summary_valid && self->summary_grid.width == grid->width &&
                       self->summary_grid.height == grid->height;

  values = bs_heatmap_summary_compute (self->summary, bs_heatmap_matrix_get_values (self->matrix),
                                       bs_heatmap_matrix_get_n_rows (self->matrix),
                                       bs_heatmap_matrix_get_n_cols (self->matrix), grid);
  if (values == NULL)
    return;

  glBindTexture (GL_TEXTURE_2D, self->summary_texture);
  glPixelStorei (GL_UNPACK_ALIGNMENT, 4);
  if (same_size)
    glTexSubImage2D (GL_TEXTURE_2D, 0, 0, 0, (GLsizei) grid->width, (GLsizei) grid->height,
                     GL_RED, GL_FLOAT, values);
  else
    glTexImage2D (GL_TEXTURE_2D, 0, GL_R32F, (GLsizei) grid->width, (GLsizei) grid->height, 0,
                  GL_RED, GL_FLOAT, values);
  self->summary_grid = *grid;
  self->summary_valid = TRUE;
}

static gboolean
bs_heatmap_gl_render (GtkGLArea    *area,
                      GdkGLContext *context)
{
  BsHeatmapGl *self = BS_HEATMAP_GL (area);
  const BsHeatmapView *view = self->view;
  BsHeatmapSummaryGrid grid;
  gboolean sent;

  glClearColor (BS_COLORMAP_NAN_R / 255.0f, BS_COLORMAP_NAN_G / 255.0f, BS_COLORMAP_NAN_B / 255.0f, 1.0f);
  glClear (GL_COLOR_BUFFER_BIT);

  if (!self->ready || bs_heatmap_matrix_get_values (self->matrix) == NULL)
    return TRUE;

  if (self->colormap_dirty)
    upload_colormap (self);
  /* The matrix texture stays current even while a summary is drawn, so
   * that zooming in needs only what changed. */
  sent = upload_matrix (self);

  /* The area's framebuffer has the device pixels of the plot. */
  bs_heatmap_summary_grid_from_view (&grid, view, gtk_widget_get_scale_factor (GTK_WIDGET (area)));
  self->drew_summary = bs_heatmap_summary_grid_reduces (&grid);
  if (self->drew_summary && (sent || !self->summary_valid || !same_grid (&grid, &self->summary_grid)))
    upload_summary (self, &grid);
  self->drew_summary = self->drew_summary && self->summary_valid;

  glUseProgram (self->program);
  glActiveTexture (GL_TEXTURE0);
  glBindTexture (GL_TEXTURE_2D, self->drew_summary ? self->summary_texture : self->matrix_texture);
  glActiveTexture (GL_TEXTURE1);
  glBindTexture (GL_TEXTURE_2D, self->colormap_texture);
  glUniform1i (self->u_matrix, 0);
  glUniform1i (self->u_colormap, 1);
  /* The summary is the view already: the whole texture, texel for pixel. */
  if (self->drew_summary)
    {
      glUniform2f (self->u_center, 0.5f, 0.5f);
      glUniform1f (self->u_zoom, 1.0f);
    }
  else
    {
      glUniform2f (self->u_center, (float) view->center_u, (float) view->center_v);
      glUniform1f (self->u_zoom, (float) view->zoom);
    }
  glUniform2f (self->u_range, (float) self->lo, (float) self->hi);
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

static void
bs_heatmap_gl_finalize (GObject *object)
{
  BsHeatmapGl *self = BS_HEATMAP_GL (object);

  g_free (self->api_name);
  bs_heatmap_summary_free (self->summary);

  G_OBJECT_CLASS (bs_heatmap_gl_parent_class)->finalize (object);
}

static void
bs_heatmap_gl_class_init (BsHeatmapGlClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  GtkGLAreaClass *area_class = GTK_GL_AREA_CLASS (klass);

  object_class->finalize = bs_heatmap_gl_finalize;
  widget_class->realize = bs_heatmap_gl_realize;
  widget_class->unrealize = bs_heatmap_gl_unrealize;
  area_class->create_context = bs_heatmap_gl_create_context;
  area_class->render = bs_heatmap_gl_render;

  signals[FAILED] =
    g_signal_new ("failed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
}

static void
bs_heatmap_gl_init (BsHeatmapGl *self)
{
  self->colormap = BS_COLORMAP_MAGMA;
  self->lo = 0.0;
  self->hi = 1.0;
  self->summary = bs_heatmap_summary_new ();
  gtk_widget_set_can_target (GTK_WIDGET (self), FALSE);
  gtk_gl_area_set_has_depth_buffer (GTK_GL_AREA (self), FALSE);
}

GtkWidget *
bs_heatmap_gl_new (BsHeatmapMatrix     *matrix,
                   const BsHeatmapView *view)
{
  BsHeatmapGl *self;

  g_return_val_if_fail (matrix != NULL && view != NULL, NULL);

  self = g_object_new (BS_TYPE_HEATMAP_GL, NULL);
  self->matrix = matrix;
  self->view = view;

  return GTK_WIDGET (self);
}

void
bs_heatmap_gl_set_colors (BsHeatmapGl *self,
                          BsColormap   colormap,
                          double       lo,
                          double       hi)
{
  g_return_if_fail (BS_IS_HEATMAP_GL (self));

  if (self->colormap != colormap)
    {
      self->colormap = colormap;
      self->colormap_dirty = TRUE;
    }
  self->lo = lo;
  self->hi = hi;
  gtk_gl_area_queue_render (GTK_GL_AREA (self));
}

gboolean
bs_heatmap_gl_is_ready (BsHeatmapGl *self)
{
  g_return_val_if_fail (BS_IS_HEATMAP_GL (self), FALSE);

  return self->ready;
}

gboolean
bs_heatmap_gl_get_uses_es (BsHeatmapGl *self)
{
  g_return_val_if_fail (BS_IS_HEATMAP_GL (self), FALSE);

  return self->ready && self->uses_es;
}

const char *
bs_heatmap_gl_get_api_name (BsHeatmapGl *self)
{
  g_return_val_if_fail (BS_IS_HEATMAP_GL (self), NULL);

  return self->ready ? self->api_name : NULL;
}

void
bs_heatmap_gl_get_upload_stats (BsHeatmapGl *self,
                                guint       *uploads,
                                guint64     *rows)
{
  g_return_if_fail (BS_IS_HEATMAP_GL (self));

  *uploads = self->uploads;
  *rows = self->rows_uploaded;
}

gboolean
bs_heatmap_gl_get_summary_size (BsHeatmapGl *self,
                                guint       *width,
                                guint       *height)
{
  g_return_val_if_fail (BS_IS_HEATMAP_GL (self), FALSE);

  *width = self->drew_summary ? self->summary_grid.width : 0;
  *height = self->drew_summary ? self->summary_grid.height : 0;

  return self->drew_summary;
}
