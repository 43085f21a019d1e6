/* bs-json-file.h: reading JSON files that may be hostile (damaged, or made to hurt).
 *
 * Run folders and snapshots come from anywhere (another machine, a crash, a
 * person with an editor), so their small JSON files are read the way the
 * other readers of core/formats/ read theirs: the file type is checked
 * before a (blocking) open, the size is bounded before anything is
 * allocated, and the nesting depth is bounded before json-glib parses (its
 * parser recurses). Errors name the file. */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* Deeper than any file Blockscope writes (they nest 4 levels at most). */
#define BS_JSON_MAX_DEPTH 64

/* Whether text nests arrays and objects at most max_depth deep (brackets in
 * strings do not count). */
gboolean  bs_json_check_depth     (const char  *text,
                                   gsize        length,
                                   guint        max_depth);


/* Parses one JSON value from text after the depth check; what names the
 * source in errors (a path, or "path, line 3"). */
JsonNode *bs_json_parse_text      (const char  *text,
                                   gsize        length,
                                   const char  *what,
                                   GError     **error);

/* bs_json_file_read_bytes, then bs_json_parse_text. */
JsonNode *bs_json_file_load       (const char  *path,
                                   gsize        max_bytes,
                                   GError     **error);

/* Members of an object of one JSON type, or FALSE / NULL: an integer in
 * [0, max]; a number (null reads as NaN); a boolean; a string; an object. */
gboolean     bs_json_member_uint   (JsonObject  *object,
                                    const char  *name,
                                    guint64      max,
                                    guint64     *value);
gboolean     bs_json_member_double (JsonObject  *object,
                                    const char  *name,
                                    double      *value);
gboolean     bs_json_member_bool   (JsonObject  *object,
                                    const char  *name,
                                    gboolean    *value);
const char  *bs_json_member_string (JsonObject  *object,
                                    const char  *name);
JsonObject  *bs_json_member_object (JsonObject  *object,
                                    const char  *name);

G_END_DECLS
