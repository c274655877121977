/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "yunpan-client"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "yp-client-error.h"
#include "yp-client-private.h"

/* The change feed. */

void
yp_changes_free (YpChanges *changes)
{
  g_clear_pointer (&changes->changes, g_ptr_array_unref);
  g_free (changes);
}

static void
yp_change_free (YpChange *change)
{
  g_clear_object (&change->node);
  g_free (change->old_path);
  g_free (change);
}

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

YpChanges *
yp_client_changes_sync (YpClient      *self,
                        gint64         since,
                        gint64         limit,
                        GCancellable  *cancellable,
                        GError       **error)
{
  g_autoptr(JsonObject) reply = NULL;
  g_autofree char *query = NULL;
  YpChanges *changes;
  JsonArray *array;

  g_return_val_if_fail (YP_IS_CLIENT (self), NULL);

  query = limit > 0
    ? g_strdup_printf ("since=%" G_GINT64_FORMAT "&limit=%" G_GINT64_FORMAT, since, limit)
    : g_strdup_printf ("since=%" G_GINT64_FORMAT, since);
  reply = _yp_client_call (self, "GET", "/changes", query, NULL, cancellable, error);
  if (reply == NULL)
    return NULL;

  changes = g_new0 (YpChanges, 1);
  changes->changes = g_ptr_array_new_with_free_func ((GDestroyNotify) yp_change_free);
  changes->cursor = json_object_get_int_member_with_default (reply, "cursor", since);
  changes->latest = json_object_get_int_member_with_default (reply, "latest", since);
  changes->has_more = json_object_get_boolean_member_with_default (reply, "has_more", FALSE);
  array = _yp_json_array (reply, "changes");
  for (guint i = 0; array && i < json_array_get_length (array); i++)
    {
      JsonObject *o = json_array_get_object_element (array, i);
      YpChange *change = g_new0 (YpChange, 1);
      JsonObject *node = _yp_json_object (o, "node");

      change->cursor = json_object_get_int_member_with_default (o, "cursor", 0);
      change->op = change_op (json_object_get_string_member_with_default (o, "op", NULL));
      change->node = node ? yp_node_new_from_json (node) : NULL;
      change->old_path = g_strdup (json_object_get_string_member_with_default (o, "old_path",
                                                                                NULL));
      g_ptr_array_add (changes->changes, change);
    }
  return changes;
}

