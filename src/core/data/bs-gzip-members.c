/* bs-gzip-members.c: gzip data of one or more members (see the header). */
#include "bs-gzip-members.h"

#include <glib/gi18n-lib.h>

struct _BsGzipMembers {
  GObject     parent_instance;
  GConverter *member;     /* decompresses the current member */
  gboolean    between;    /* a member ended: the next byte starts another, or the input ends */
};

static void bs_gzip_members_iface_init (GConverterIface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (BsGzipMembers, bs_gzip_members, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_CONVERTER, bs_gzip_members_iface_init))

static GConverterResult
bs_gzip_members_convert (GConverter      *converter,
                         const void      *inbuf,
                         gsize            inbuf_size,
                         void            *outbuf,
                         gsize            outbuf_size,
                         GConverterFlags  flags,
                         gsize           *bytes_read,
                         gsize           *bytes_written,
                         GError         **error)
{
  BsGzipMembers *self = BS_GZIP_MEMBERS (converter);
  const guint8 *in = inbuf;
  gboolean at_end = (flags & G_CONVERTER_INPUT_AT_END) != 0;
  GConverterResult result;

  *bytes_read = 0;
  *bytes_written = 0;
  if (self->between)
    {
      if (inbuf_size == 0 && at_end)
        return G_CONVERTER_FINISHED;
      if (inbuf_size < 2 && !at_end && (inbuf_size == 0 || in[0] == 0x1f))
        {
          /* Not enough to tell yet: GConverterInputStream reads more. */
          g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_PARTIAL_INPUT, "more input needed");
          return G_CONVERTER_ERROR;
        }
      if (inbuf_size < 2 || in[0] != 0x1f || in[1] != 0x8b)
        {
          g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                               _("data that is not gzip follows the end of the compressed stream"));
          return G_CONVERTER_ERROR;
        }
      g_converter_reset (self->member);
      self->between = FALSE;
    }

  result = g_converter_convert (self->member, inbuf, inbuf_size, outbuf, outbuf_size,
                                flags, bytes_read, bytes_written, error);
  if (result != G_CONVERTER_FINISHED)
    return result;
  /* The member ended: the whole input only when nothing follows it. */
  if (*bytes_read == inbuf_size && at_end)
    return G_CONVERTER_FINISHED;
  self->between = TRUE;
  if (*bytes_read == 0 && *bytes_written == 0)
    return bs_gzip_members_convert (converter, inbuf, inbuf_size, outbuf, outbuf_size,
                                    flags, bytes_read, bytes_written, error);
  return G_CONVERTER_CONVERTED;
}

static void
bs_gzip_members_reset (GConverter *converter)
{
  BsGzipMembers *self = BS_GZIP_MEMBERS (converter);

  g_converter_reset (self->member);
  self->between = FALSE;
}

static void
bs_gzip_members_iface_init (GConverterIface *iface)
{
  iface->convert = bs_gzip_members_convert;
  iface->reset = bs_gzip_members_reset;
}

static void
bs_gzip_members_finalize (GObject *object)
{
  BsGzipMembers *self = BS_GZIP_MEMBERS (object);

  g_clear_object (&self->member);
  G_OBJECT_CLASS (bs_gzip_members_parent_class)->finalize (object);
}

static void
bs_gzip_members_class_init (BsGzipMembersClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = bs_gzip_members_finalize;
}

static void
bs_gzip_members_init (BsGzipMembers *self)
{
  self->member = G_CONVERTER (g_zlib_decompressor_new (G_ZLIB_COMPRESSOR_FORMAT_GZIP));
}

GConverter *
bs_gzip_members_new (void)
{
  return g_object_new (BS_TYPE_GZIP_MEMBERS, NULL);
}
