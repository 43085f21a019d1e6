/* bs-json-file.c: bounded reads of small JSON files. */
#include "bs-json-file.h"

#include <glib/gi18n-lib.h>
#include <math.h>

#include "bs-error.h"
#include "bs-file-read.h"

gboolean
bs_json_check_depth (const char *text,
                     gsize       length,
                     guint       max_depth)
{
  guint depth = 0;
  gboolean in_string = FALSE;

  for (gsize i = 0; i < length; i++)
    {
      char c = text[i];

      if (in_string)
        {
          if (c == '\\')
            i++;
          else if (c == '"')
            in_string = FALSE;
          continue;
        }
      if (c == '"')
        in_string = TRUE;
      else if (c == '[' || c == '{')
        {
          if (++depth > max_depth)
            return FALSE;
        }
      else if ((c == ']' || c == '}') && depth > 0)
        depth--;
    }
  return TRUE;
}

JsonNode *
bs_json_parse_text (const char  *text,
                    gsize        length,
                    const char  *what,
                    GError     **error)
{
  g_autoptr(JsonParser) parser = NULL;
  g_autoptr(GError) local_error = NULL;

  if (!g_utf8_validate (text, (gssize) length, NULL))
    {
      /* Translators: a file path (or "file, line 3"). */
      g_set_error (error, BS_ERROR, BS_ERROR_FORMAT, _("'%s' is not valid JSON: not UTF-8 text"), what);
      return NULL;
    }
  if (!bs_json_check_depth (text, length, BS_JSON_MAX_DEPTH))
    {
      /* Translators: a file path (or "file, line 3"), then the deepest nesting accepted. */
      g_set_error (error, BS_ERROR, BS_ERROR_FORMAT, _("'%s' is not valid JSON: nested deeper than %u levels"),
                   what, BS_JSON_MAX_DEPTH);
      return NULL;
    }
  parser = json_parser_new_immutable ();
  if (!json_parser_load_from_data (parser, text, (gssize) length, &local_error))
    {
      /* Translators: a file path (or "file, line 3"), then the parser's message. */
      g_set_error (error, BS_ERROR, BS_ERROR_FORMAT, _("'%s' is not valid JSON: %s"), what, local_error->message);
      return NULL;
    }
  if (json_parser_get_root (parser) == NULL)
    {
      g_set_error (error, BS_ERROR, BS_ERROR_FORMAT, _("'%s' is not valid JSON: it is empty"), what);
      return NULL;
    }
  return json_node_ref (json_parser_get_root (parser));
}

JsonNode *
bs_json_file_load (const char  *path,
                   gsize        max_bytes,
                   GError     **error)
{
  g_autofree char *text = NULL;
  gsize length;

  if (!bs_file_read_regular (path, max_bytes, &text, &length, error))
    return NULL;
  return bs_json_parse_text (text, length, path, error);
}

/* Typed members */

gboolean
bs_json_member_uint (JsonObject *o,
                     const char *name,
                     guint64     max,
                     guint64    *value)
{
  JsonNode *node = json_object_get_member (o, name);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_INT64
      || json_node_get_int (node) < 0 || (guint64) json_node_get_int (node) > max)
    return FALSE;
  *value = (guint64) json_node_get_int (node);
  return TRUE;
}

gboolean
bs_json_member_double (JsonObject *o,
                       const char *name,
                       double     *value)
{
  JsonNode *node = json_object_get_member (o, name);
  GType type = node != NULL && JSON_NODE_HOLDS_VALUE (node) ? json_node_get_value_type (node) : G_TYPE_INVALID;

  if (node != NULL && JSON_NODE_HOLDS_NULL (node))
    {
      *value = NAN;
      return TRUE;
    }
  if (type != G_TYPE_DOUBLE && type != G_TYPE_INT64)
    return FALSE;
  *value = json_node_get_double (node);
  return TRUE;
}

gboolean
bs_json_member_bool (JsonObject *o,
                     const char *name,
                     gboolean   *value)
{
  JsonNode *node = json_object_get_member (o, name);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_BOOLEAN)
    return FALSE;
  *value = json_node_get_boolean (node);
  return TRUE;
}

const char *
bs_json_member_string (JsonObject *o,
                       const char *name)
{
  JsonNode *node = json_object_get_member (o, name);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}

JsonObject *
bs_json_member_object (JsonObject *o,
                       const char *name)
{
  JsonNode *node = json_object_get_member (o, name);

  return node != NULL && JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
}
