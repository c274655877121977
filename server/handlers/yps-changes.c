/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * yps-changes.c: the change feed that sync clients page through instead of
 * listing the whole tree.
 */
#include "yps-handlers.h"

static const char *const yps_change_ops[] = { "create", "modify", "move", "delete" };

yp_status_t
yps_handle_changes(yps_req_t *r)
{
    g_autoptr(GPtrArray) changes = g_ptr_array_new_with_free_func(
        (GDestroyNotify) yps_change_free);
    int64_t since = 0, limit = YP_CHANGES_LIMIT_DEFAULT, latest = 0;
    bool has_more = false;
    JsonArray *array;
    JsonObject *reply;
    yp_status_t st;

    if ((st = yps_query_int(r, "since", 0, G_MAXINT64, &since, NULL)) != YP_STATUS_OK
        || (st = yps_query_int(r, "limit", 1, YP_CHANGES_LIMIT_MAX, &limit, NULL))
           != YP_STATUS_OK) {
        return st;
    }
    st = r->srv->meta->ops->changes(r->srv->meta, r->user_id, since, limit, changes, &has_more,
                                    &latest);
    if (st != YP_STATUS_OK) {
        return st;
    }
    array = json_array_sized_new(changes->len);
    for (guint i = 0; i < changes->len; i++) {
        yps_change_t *change = g_ptr_array_index(changes, i);
        JsonObject *o = json_object_new();

        json_object_set_int_member(o, "cursor", change->cursor);
        json_object_set_string_member(o, "op", yps_change_ops[change->op]);
        json_object_set_object_member(o, "node", yps_node_json(&change->node));
        if (change->old_path) {
            json_object_set_string_member(o, "old_path", change->old_path);
        }
        json_array_add_object_element(array, o);
        since = change->cursor;
    }
    reply = yps_reply(r, 200);
    json_object_set_array_member(reply, "changes", array);
    json_object_set_int_member(reply, "cursor", since);
    json_object_set_int_member(reply, "latest", latest);
    json_object_set_boolean_member(reply, "has_more", has_more);
    return YP_STATUS_OK;
}
