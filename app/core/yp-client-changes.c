/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "yunpan-client"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "yp-client-error.h"
#include "yp-client-private.h"

/* The change feed. */

static YpChangeOp
change_op (const char *op)
{
  if (g_strcmp0 (op, "modify") == 0)
    return YP_CHANGE_MODIFY;
  if (g_strcmp0 (op, "move") == 0)
    return YP_CHANGE_MOVE;
  if (g_strcmp0 (op, "delete") == 0)
    return YP_CHANGE_DELETE;
  return YP_CHANGE_CREATE;
}

static YpChange *
change_from_json (JsonObject *object)
{
  JsonObject *member = _yp_json_object (object, "node");
  g_autoptr(YpNode) node = member ? yp_node_new_from_json (member) : NULL;

  return _yp_change_new (json_object_get_int_member_with_default (object, "cursor", 0),
                         change_op (json_object_get_string_member_with_default (object, "op",
                                                                                NULL)),
                         node,
                         json_object_get_string_member_with_default (object, "old_path", NULL));
}

static gpointer
reply_changes (YpClient    *client,
               JsonObject  *reply,
               gpointer     data,
               GError     **error)
{
  gint64 since = *(gint64 *) data;
  JsonArray *array = _yp_json_array (reply, "changes");
  YpChanges *changes;

  changes = _yp_changes_new (json_object_get_int_member_with_default (reply, "cursor", since),
                             json_object_get_int_member_with_default (reply, "latest", since),
                             json_object_get_boolean_member_with_default (reply, "has_more",
                                                                          FALSE));
  for (guint i = 0; array && i < json_array_get_length (array); i++)
    g_ptr_array_add (changes->changes,
                     change_from_json (json_array_get_object_element (array, i)));
  return changes;
}

static YpCall *
changes_call (YpClient *self,
              gint64    since,
              gint64    limit)
{
  YpCall *call = _yp_call_new (self, "GET", "/changes");

  _yp_call_add_query_int (call, "since", since);
  if (limit > 0)
    _yp_call_add_query_int (call, "limit", limit);
  _yp_call_set_data (call, g_memdup2 (&since, sizeof since), g_free);
  _yp_call_set_reply (call, reply_changes, (GDestroyNotify) yp_changes_unref);
  return call;
}

YpChanges *
yp_client_changes_sync (YpClient      *self,
                        gint64         since,
                        gint64         limit,
                        GCancellable  *cancellable,
                        GError       **error)
{
  g_return_val_if_fail (YP_IS_CLIENT (self), NULL);

  return _yp_call_run_sync (changes_call (self, since, limit), cancellable, error);
}

void
yp_client_changes_async (YpClient            *self,
                         gint64               since,
                         gint64               limit,
                         GCancellable        *cancellable,
                         GAsyncReadyCallback  callback,
                         gpointer             user_data)
{
  g_return_if_fail (YP_IS_CLIENT (self));

  _yp_call_run_async (changes_call (self, since, limit), yp_client_changes_async, cancellable,
                      callback, user_data);
}

YpChanges *
yp_client_changes_finish (YpClient      *self,
                          GAsyncResult  *result,
                          GError       **error)
{
  return _yp_call_finish (self, result, yp_client_changes_async, error);
}
