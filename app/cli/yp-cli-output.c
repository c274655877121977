/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "yunpan-cli"

#include "config.h"

#include <stdio.h>

#include <glib/gi18n.h>

#include "yp-cli.h"

/*
 * The node object of the protocol (docs/protocol.md, "Node object"), rebuilt
 * from a YpNode for --json.
 */
JsonObject *
yp_cli_node_to_json (YpNode *node)
{
  JsonObject *object = json_object_new ();
  const char *sha256 = yp_node_get_sha256 (node);
  const char *category = yp_node_get_category (node);
  gboolean folder = yp_node_is_folder (node);

  json_object_set_int_member (object, "id", yp_node_get_id (node));
  /* only the root has no parent, and ids start at 1 */
  if (yp_node_get_parent_id (node) > 0)
    json_object_set_int_member (object, "parent_id", yp_node_get_parent_id (node));
  else
    json_object_set_null_member (object, "parent_id");
  json_object_set_string_member (object, "name",
                                 yp_node_get_name (node) ? yp_node_get_name (node) : "");
  json_object_set_string_member (object, "path",
                                 yp_node_get_path (node) ? yp_node_get_path (node) : "");
  json_object_set_string_member (object, "type", folder ? "folder" : "file");
  json_object_set_int_member (object, "size", yp_node_get_size (node));
  if (sha256 != NULL)
    json_object_set_string_member (object, "sha256", sha256);
  json_object_set_string_member (object, "category",
                                 category ? category : folder ? "folder" : "other");
  json_object_set_int_member (object, "mtime", yp_node_get_mtime (node));
  json_object_set_int_member (object, "created", yp_node_get_created (node));
  json_object_set_int_member (object, "modified", yp_node_get_modified (node));
  json_object_set_int_member (object, "version", yp_node_get_version (node));
  json_object_set_int_member (object, "downloads", yp_node_get_downloads (node));
  return object;
}

/* Writes OBJECT as the one JSON document of this run, raw UTF-8. */
void
yp_cli_print_json (JsonObject *object)
{
  g_autoptr(JsonNode) root = json_node_new (JSON_NODE_OBJECT);
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autofree char *text = NULL;

  json_node_set_object (root, object);
  json_generator_set_root (generator, root);
  json_generator_set_pretty (generator, TRUE);
  text = json_generator_to_data (generator, NULL);
  fputs (text, stdout);
  fputc ('\n', stdout);
  fflush (stdout);
}

void
yp_cli_print_node_json (YpCli  *cli,
                        YpNode *node)
{
  g_autoptr(JsonObject) root = NULL;

  if (!cli->json)
    return;
  root = json_object_new ();
  json_object_set_object_member (root, "node", yp_cli_node_to_json (node));
  yp_cli_print_json (root);
}

/* "2024-11-26 12:00" in local time, as ls shows times. */
char *
yp_cli_format_time (gint64 unix_time)
{
  g_autoptr(GDateTime) time = g_date_time_new_from_unix_local (unix_time);

  if (time == NULL)
    return g_strdup ("-");
  return g_date_time_format (time, "%Y-%m-%d %H:%M");
}
