/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "yunpan-client"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "yp-client-error.h"
#include "yp-client-private.h"

/* The tree: listing, looking up and changing files and folders. */

void
yp_listing_free (YpListing *listing)
{
  g_clear_object (&listing->folder);
  g_clear_pointer (&listing->entries, g_ptr_array_unref);
  g_free (listing);
}

static YpNode *
node_member (JsonObject  *reply,
             const char  *member,
             GError     **error)
{
  JsonObject *object = _yp_json_object (reply, member);
  YpNode *node = object ? yp_node_new_from_json (object) : NULL;

  if (node == NULL)
    g_set_error (error, YP_CLIENT_ERROR, YP_CLIENT_ERROR_FAILED,
                 _("The server's answer has no valid “%s”"), member);
  return node;
}

static const char *const sort_names[] = { "name", "size", "modified", "downloads" };

YpListing *
yp_client_list_sync (YpClient             *self,
                     const char           *path,
                     const YpListOptions  *options,
                     GCancellable         *cancellable,
                     GError              **error)
{
  YpListOptions defaults = { 0 };
  g_autoptr(JsonObject) reply = NULL;
  g_autoptr(YpListing) listing = g_new0 (YpListing, 1);
  g_autofree char *target = NULL;
  g_autoptr(GString) query = NULL;
  JsonArray *entries;

  g_return_val_if_fail (YP_IS_CLIENT (self), NULL);
  g_return_val_if_fail (path != NULL, NULL);

  if (options == NULL)
    options = &defaults;
  target = _yp_query_path (path);
  query = g_string_new (target);
  g_string_append_printf (query, "&sort=%s&order=%s&offset=%" G_GINT64_FORMAT,
                          sort_names[options->sort], options->descending ? "desc" : "asc",
                          options->offset);
  if (options->limit > 0)
    g_string_append_printf (query, "&limit=%" G_GINT64_FORMAT, options->limit);
  if (options->category != NULL)
    g_string_append_printf (query, "&category=%s%s", options->category,
                            options->recursive ? "&recursive=1" : "");

  reply = _yp_client_call (self, "GET", "/files/list", query->str, NULL, cancellable, error);
  if (reply == NULL || (listing->folder = node_member (reply, "folder", error)) == NULL)
    return NULL;
  listing->entries = g_ptr_array_new_with_free_func (g_object_unref);
  listing->total = json_object_get_int_member_with_default (reply, "total", 0);
  entries = _yp_json_array (reply, "entries");
  for (guint i = 0; entries && i < json_array_get_length (entries); i++)
    {
      YpNode *node = yp_node_new_from_json (json_array_get_object_element (entries, i));

      if (node != NULL)
        g_ptr_array_add (listing->entries, node);
    }
  return g_steal_pointer (&listing);
}

YpNode *
yp_client_stat_sync (YpClient      *self,
                     const char    *path,
                     GCancellable  *cancellable,
                     GError       **error)
{
  g_autoptr(JsonObject) reply = NULL;
  g_autofree char *query = NULL;

  g_return_val_if_fail (YP_IS_CLIENT (self), NULL);
  g_return_val_if_fail (path != NULL, NULL);

  query = _yp_query_path (path);
  reply = _yp_client_call (self, "GET", "/files/stat", query, NULL, cancellable, error);
  return reply ? node_member (reply, "node", error) : NULL;
}

YpNode *
yp_client_mkdir_sync (YpClient      *self,
                      const char    *path,
                      gboolean       parents,
                      GCancellable  *cancellable,
                      GError       **error)
{
  g_autoptr(JsonObject) body = json_object_new ();
  g_autoptr(JsonObject) reply = NULL;

  g_return_val_if_fail (YP_IS_CLIENT (self), NULL);
  g_return_val_if_fail (path != NULL, NULL);

  json_object_set_string_member (body, "path", path);
  if (parents)
    json_object_set_boolean_member (body, "parents", TRUE);
  reply = _yp_client_call (self, "POST", "/files/mkdir", NULL, body, cancellable, error);
  return reply ? node_member (reply, "node", error) : NULL;
}

YpNode *
yp_client_move_sync (YpClient      *self,
                     const char    *path,
                     const char    *to_path,
                     gint64         if_version,
                     GCancellable  *cancellable,
                     GError       **error)
{
  g_autoptr(JsonObject) body = json_object_new ();
  g_autoptr(JsonObject) reply = NULL;

  g_return_val_if_fail (YP_IS_CLIENT (self), NULL);
  g_return_val_if_fail (path != NULL && to_path != NULL, NULL);

  json_object_set_string_member (body, "path", path);
  json_object_set_string_member (body, "to_path", to_path);
  if (if_version > 0)
    json_object_set_int_member (body, "if_version", if_version);
  reply = _yp_client_call (self, "POST", "/files/move", NULL, body, cancellable, error);
  return reply ? node_member (reply, "node", error) : NULL;
}

gboolean
yp_client_delete_sync (YpClient      *self,
                       const char    *path,
                       gint64         if_version,
                       GCancellable  *cancellable,
                       GError       **error)
{
  g_autoptr(JsonObject) body = json_object_new ();
  g_autoptr(JsonObject) reply = NULL;

  g_return_val_if_fail (YP_IS_CLIENT (self), FALSE);
  g_return_val_if_fail (path != NULL, FALSE);

  json_object_set_string_member (body, "path", path);
  if (if_version > 0)
    json_object_set_int_member (body, "if_version", if_version);
  reply = _yp_client_call (self, "POST", "/files/delete", NULL, body, cancellable, error);
  return reply != NULL;
}

