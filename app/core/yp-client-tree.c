/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "yunpan-client"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "yp-client-error.h"
#include "yp-client-private.h"

/* The tree: listing, looking up and changing files and folders. */

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

static gpointer
reply_node (YpClient    *client,
            JsonObject  *reply,
            gpointer     data,
            GError     **error)
{
  return node_member (reply, "node", error);
}

static gpointer
reply_listing (YpClient    *client,
               JsonObject  *reply,
               gpointer     data,
               GError     **error)
{
  g_autoptr(YpNode) folder = node_member (reply, "folder", error);
  JsonArray *entries = _yp_json_array (reply, "entries");
  YpListing *listing;

  if (folder == NULL)
    return NULL;
  listing = _yp_listing_new (folder, json_object_get_int_member_with_default (reply, "total", 0),
                             json_object_get_int_member_with_default (reply, "offset", 0));
  for (guint i = 0; entries && i < json_array_get_length (entries); i++)
    {
      YpNode *node = yp_node_new_from_json (json_array_get_object_element (entries, i));

      if (node != NULL)
        g_ptr_array_add (listing->entries, node);
    }
  return listing;
}

static const char *const sort_names[] = { "name", "size", "modified", "downloads" };

static YpCall *
list_call (YpClient             *self,
           const YpTarget       *folder,
           const YpListOptions  *options)
{
  YpListOptions defaults = { 0 };
  YpCall *call = _yp_call_new (self, "GET", "/files/list");

  if (options == NULL)
    options = &defaults;
  _yp_call_add_target (call, folder, "", TRUE);
  _yp_call_add_query (call, "sort", sort_names[options->sort]);
  _yp_call_add_query (call, "order", options->descending ? "desc" : "asc");
  _yp_call_add_query_int (call, "offset", options->offset);
  if (options->limit > 0)
    _yp_call_add_query_int (call, "limit", options->limit);
  if (options->category != NULL)
    _yp_call_add_query (call, "category", options->category);
  if (options->category != NULL && options->recursive)
    _yp_call_add_query (call, "recursive", "1");
  _yp_call_set_reply (call, reply_listing, (GDestroyNotify) yp_listing_unref);
  return call;
}

static YpCall *
stat_call (YpClient       *self,
           const YpTarget *target)
{
  YpCall *call = _yp_call_new (self, "GET", "/files/stat");

  _yp_call_add_target (call, target, "", TRUE);
  _yp_call_set_reply (call, reply_node, g_object_unref);
  return call;
}

static YpCall *
mkdir_call (YpClient       *self,
            const YpTarget *target,
            gboolean        parents)
{
  YpCall *call = _yp_call_new (self, "POST", "/files/mkdir");

  _yp_call_add_target (call, target, "", FALSE);
  if (parents)
    json_object_set_boolean_member (_yp_call_get_body (call), "parents", TRUE);
  _yp_call_set_reply (call, reply_node, g_object_unref);
  return call;
}

/* A move's destination may keep the parent or the name: either part of a
 * parent id + name may be left out, but not both. */
static void
add_destination (YpCall         *call,
                 const YpTarget *to)
{
  JsonObject *body = _yp_call_get_body (call);

  if (to == NULL || to->id > 0 || (to->path != NULL) == (to->parent_id > 0 || to->name != NULL))
    {
      _yp_call_take_invalid (call, g_error_new (G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                                                _("A move goes to a path, or to a folder's "
                                                  "id and/or a new name")));
      return;
    }
  if (to->path != NULL)
    json_object_set_string_member (body, "to_path", to->path);
  if (to->parent_id > 0)
    json_object_set_int_member (body, "to_parent_id", to->parent_id);
  if (to->name != NULL)
    json_object_set_string_member (body, "to_name", to->name);
}

static YpCall *
move_call (YpClient       *self,
           const YpTarget *target,
           const YpTarget *to,
           gint64          if_version)
{
  YpCall *call = _yp_call_new (self, "POST", "/files/move");

  _yp_call_add_target (call, target, "", TRUE);
  add_destination (call, to);
  _yp_call_add_if_version (call, if_version);
  _yp_call_set_reply (call, reply_node, g_object_unref);
  return call;
}

static gpointer
reply_cursor (YpClient    *client,
              JsonObject  *reply,
              gpointer     data,
              GError     **error)
{
  gint64 cursor = json_object_get_int_member_with_default (reply, "cursor", 0);

  return _yp_call_int64_result (cursor);
}

static YpCall *
delete_call (YpClient       *self,
             const YpTarget *target,
             gint64          if_version)
{
  YpCall *call = _yp_call_new (self, "POST", "/files/delete");

  _yp_call_add_target (call, target, "", TRUE);
  _yp_call_add_if_version (call, if_version);
  _yp_call_set_reply (call, reply_cursor, g_free);
  return call;
}

YpListing *
yp_client_list_sync (YpClient             *self,
                     const YpTarget       *folder,
                     const YpListOptions  *options,
                     GCancellable         *cancellable,
                     GError              **error)
{
  g_return_val_if_fail (YP_IS_CLIENT (self), NULL);

  return _yp_call_run_sync (list_call (self, folder, options), cancellable, error);
}

void
yp_client_list_async (YpClient             *self,
                      const YpTarget       *folder,
                      const YpListOptions  *options,
                      GCancellable         *cancellable,
                      GAsyncReadyCallback   callback,
                      gpointer              user_data)
{
  g_return_if_fail (YP_IS_CLIENT (self));

  _yp_call_run_async (list_call (self, folder, options), yp_client_list_async, cancellable,
                      callback, user_data);
}

YpListing *
yp_client_list_finish (YpClient      *self,
                       GAsyncResult  *result,
                       GError       **error)
{
  return _yp_call_finish (self, result, yp_client_list_async, error);
}

YpNode *
yp_client_stat_sync (YpClient       *self,
                     const YpTarget *target,
                     GCancellable   *cancellable,
                     GError        **error)
{
  g_return_val_if_fail (YP_IS_CLIENT (self), NULL);

  return _yp_call_run_sync (stat_call (self, target), cancellable, error);
}

void
yp_client_stat_async (YpClient            *self,
                      const YpTarget      *target,
                      GCancellable        *cancellable,
                      GAsyncReadyCallback  callback,
                      gpointer             user_data)
{
  g_return_if_fail (YP_IS_CLIENT (self));

  _yp_call_run_async (stat_call (self, target), yp_client_stat_async, cancellable, callback,
                      user_data);
}

YpNode *
yp_client_stat_finish (YpClient      *self,
                       GAsyncResult  *result,
                       GError       **error)
{
  return _yp_call_finish (self, result, yp_client_stat_async, error);
}

YpNode *
yp_client_mkdir_sync (YpClient       *self,
                      const YpTarget *target,
                      gboolean        parents,
                      GCancellable   *cancellable,
                      GError        **error)
{
  g_return_val_if_fail (YP_IS_CLIENT (self), NULL);

  return _yp_call_run_sync (mkdir_call (self, target, parents), cancellable, error);
}

void
yp_client_mkdir_async (YpClient            *self,
                       const YpTarget      *target,
                       gboolean             parents,
                       GCancellable        *cancellable,
                       GAsyncReadyCallback  callback,
                       gpointer             user_data)
{
  g_return_if_fail (YP_IS_CLIENT (self));

  _yp_call_run_async (mkdir_call (self, target, parents), yp_client_mkdir_async, cancellable,
                      callback, user_data);
}

YpNode *
yp_client_mkdir_finish (YpClient      *self,
                        GAsyncResult  *result,
                        GError       **error)
{
  return _yp_call_finish (self, result, yp_client_mkdir_async, error);
}

YpNode *
yp_client_move_sync (YpClient       *self,
                     const YpTarget *target,
                     const YpTarget *to,
                     gint64          if_version,
                     GCancellable   *cancellable,
                     GError        **error)
{
  g_return_val_if_fail (YP_IS_CLIENT (self), NULL);

  return _yp_call_run_sync (move_call (self, target, to, if_version), cancellable, error);
}

void
yp_client_move_async (YpClient            *self,
                      const YpTarget      *target,
                      const YpTarget      *to,
                      gint64               if_version,
                      GCancellable        *cancellable,
                      GAsyncReadyCallback  callback,
                      gpointer             user_data)
{
  g_return_if_fail (YP_IS_CLIENT (self));

  _yp_call_run_async (move_call (self, target, to, if_version), yp_client_move_async,
                      cancellable, callback, user_data);
}

YpNode *
yp_client_move_finish (YpClient      *self,
                       GAsyncResult  *result,
                       GError       **error)
{
  return _yp_call_finish (self, result, yp_client_move_async, error);
}

gboolean
yp_client_delete_sync (YpClient       *self,
                       const YpTarget *target,
                       gint64          if_version,
                       gint64         *cursor,
                       GCancellable   *cancellable,
                       GError        **error)
{
  g_return_val_if_fail (YP_IS_CLIENT (self), FALSE);

  return _yp_call_take_int64 (_yp_call_run_sync (delete_call (self, target, if_version),
                                                 cancellable, error),
                              cursor);
}

void
yp_client_delete_async (YpClient            *self,
                        const YpTarget      *target,
                        gint64               if_version,
                        GCancellable        *cancellable,
                        GAsyncReadyCallback  callback,
                        gpointer             user_data)
{
  g_return_if_fail (YP_IS_CLIENT (self));

  _yp_call_run_async (delete_call (self, target, if_version), yp_client_delete_async,
                      cancellable, callback, user_data);
}

gboolean
yp_client_delete_finish (YpClient      *self,
                         GAsyncResult  *result,
                         gint64        *cursor,
                         GError       **error)
{
  return _yp_call_take_int64 (_yp_call_finish (self, result, yp_client_delete_async, error),
                              cursor);
}
