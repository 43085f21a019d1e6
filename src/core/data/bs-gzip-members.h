/* bs-gzip-members.h: gzip data of one or more members, as gzip(1) reads it.
 *
 * A gzip file may hold several members one after another (what pigz and
 * `cat a.gz b.gz` make); their data is one stream. GZlibDecompressor stops
 * at the end of the first member and ignores whatever follows, so a valid
 * file read through it alone looks truncated and garbage after the data
 * goes unnoticed. This converter wraps it: after a member ends, either the
 * input ends too, or the next member starts (1f 8b), or the data is
 * refused (G_IO_ERROR_INVALID_DATA). Internal to the data room. */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define BS_TYPE_GZIP_MEMBERS (bs_gzip_members_get_type ())
G_DECLARE_FINAL_TYPE (BsGzipMembers, bs_gzip_members, BS, GZIP_MEMBERS, GObject)

GConverter *bs_gzip_members_new (void);

G_END_DECLS
