/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * yps-files.c: the file tree endpoints: list, stat, mkdir, move, delete and
 * download.
 */
#include <string.h>

#include "yp-category.h"
#include "yp-name.h"
#include "yps-handlers.h"

static const char *const yps_sort_names[] = { "name", "size", "modified", "downloads" };

static yp_status_t
yps_list_query(yps_req_t *r, yps_list_query_t *q)
{
    const char *sort = "name", *order = "asc", *category = NULL;
    int64_t recursive = 0;
    bool sorted = false;
    yp_status_t st;

    q->limit = YP_LIST_LIMIT_DEFAULT;
    if ((st = yps_query_string(r, "sort", &sort)) != YP_STATUS_OK
        || (st = yps_query_string(r, "order", &order)) != YP_STATUS_OK
        || (st = yps_query_string(r, "category", &category)) != YP_STATUS_OK
        || (st = yps_query_int(r, "offset", 0, G_MAXINT32, &q->offset, NULL)) != YP_STATUS_OK
        || (st = yps_query_int(r, "limit", 1, YP_LIST_LIMIT_MAX, &q->limit, NULL))
           != YP_STATUS_OK
        || (st = yps_query_int(r, "recursive", 0, 1, &recursive, NULL)) != YP_STATUS_OK) {
        return st;
    }
    for (size_t i = 0; i < G_N_ELEMENTS(yps_sort_names); i++) {
        if (strcmp(sort, yps_sort_names[i]) == 0) {
            q->sort = (yps_sort_t) i;
            sorted = true;
        }
    }
    if (!sorted) {
        return yps_fail(r, YP_STATUS_INVALID_ARGUMENT,
                        "sort: one of name, size, modified, downloads");
    }
    if (strcmp(order, "asc") != 0 && strcmp(order, "desc") != 0) {
        return yps_fail(r, YP_STATUS_INVALID_ARGUMENT, "order: asc or desc");
    }
    q->descending = order[0] == 'd';
    if (category != NULL && !yp_category_is_valid(category)) {
        return yps_fail(r, YP_STATUS_INVALID_ARGUMENT, "category: unknown category");
    }
    if (recursive && category == NULL) {
        return yps_fail(r, YP_STATUS_INVALID_ARGUMENT, "recursive: needs a category");
    }
    q->category = category;
    q->recursive = recursive != 0;
    return YP_STATUS_OK;
}

yp_status_t
yps_handle_list(yps_req_t *r)
{
    yps_meta_t *meta = r->srv->meta;
    g_autoptr(GPtrArray) entries = g_ptr_array_new_with_free_func(
        (GDestroyNotify) yps_node_free);
    g_auto(yps_node_t) folder = { 0 };
    yps_list_query_t q = { 0 };
    JsonArray *array;
    JsonObject *reply;
    int64_t total = 0;
    yp_status_t st;

    if ((st = yps_list_query(r, &q)) != YP_STATUS_OK
        || (st = yps_resolve_target(r, &folder)) != YP_STATUS_OK) {
        return st;
    }
    if (!folder.is_folder) {
        return yps_fail(r, YP_STATUS_NOT_A_FOLDER, "%s is a file", folder.path);
    }
    q.folder_id = folder.id;
    if ((st = meta->ops->node_list(meta, r->user_id, &q, entries, &total)) != YP_STATUS_OK) {
        return st;
    }
    array = json_array_sized_new(entries->len);
    for (guint i = 0; i < entries->len; i++) {
        yps_node_t *node = g_ptr_array_index(entries, i);

        if (q.recursive) {
            meta->ops->node_path(meta, r->user_id, node->id, &node->path);
        } else {
            node->path = g_build_path("/", folder.path, node->name, NULL);
        }
        json_array_add_object_element(array, yps_node_json(node));
    }
    reply = yps_reply(r, 200);
    json_object_set_object_member(reply, "folder", yps_node_json(&folder));
    json_object_set_array_member(reply, "entries", array);
    json_object_set_int_member(reply, "total", total);
    json_object_set_int_member(reply, "offset", q.offset);
    json_object_set_int_member(reply, "limit", q.limit);
    return YP_STATUS_OK;
}

yp_status_t
yps_handle_stat(yps_req_t *r)
{
    g_auto(yps_node_t) node = { 0 };
    yp_status_t st = yps_resolve_target(r, &node);

    if (st == YP_STATUS_OK) {
        json_object_set_object_member(yps_reply(r, 200), "node", yps_node_json(&node));
    }
    return st;
}

static yp_status_t
yps_mkdir_parents(yps_req_t *r, const char *path, yps_node_t *node, bool *created)
{
    yps_meta_t *meta = r->srv->meta;
    g_auto(GStrv) parts = NULL;
    int64_t now = g_get_real_time() / G_USEC_PER_SEC;
    yp_status_t st;

    if ((st = yp_path_split(path, &parts)) != YP_STATUS_OK) {
        return yps_fail(r, st, "path: not a valid path");
    }
    if (parts[0] == NULL) {
        return yps_fail(r, YP_STATUS_INVALID_PATH, "path: must name a folder");
    }
    if ((st = yps_resolve_path(r, "/", node)) != YP_STATUS_OK) {
        return st;
    }
    for (char **p = parts; *p; p++) {
        g_auto(yps_node_t) child = { 0 };

        st = meta->ops->node_child(meta, r->user_id, node->id, *p, &child);
        if (st == YP_STATUS_NOT_FOUND) {
            st = meta->ops->node_mkdir(meta, r->user_id, node->id, *p, now, &child);
            if (st == YP_STATUS_OK) {
                *created = true;
                yps_committed(r, child.version);
            } else if (st == YP_STATUS_EXISTS) {
                /* another request made it meanwhile */
                st = meta->ops->node_child(meta, r->user_id, node->id, *p, &child);
            }
        }
        if (st != YP_STATUS_OK) {
            return st;
        }
        if (!child.is_folder) {
            return yps_fail(r, YP_STATUS_NOT_A_FOLDER, "%s is a file", *p);
        }
        yps_node_clear(node);
        *node = child;
        memset(&child, 0, sizeof(child));
    }
    /* a folder just created comes back with its path already */
    g_clear_pointer(&node->path, g_free);
    return meta->ops->node_path(meta, r->user_id, node->id, &node->path);
}

yp_status_t
yps_handle_mkdir(yps_req_t *r)
{
    yps_meta_t *meta = r->srv->meta;
    g_auto(yps_node_t) node = { 0 };
    const char *path = NULL, *name = NULL;
    bool parents = false, created = false;
    int64_t parent_id = 0;
    yp_status_t st;

    if ((st = yps_body_bool(r, "parents", &parents)) != YP_STATUS_OK
        || (st = yps_body_string(r, "path", false, &path)) != YP_STATUS_OK) {
        return st;
    }
    if (parents && path != NULL && !yps_body_has(r, "parent_id")) {
        if ((st = yps_mkdir_parents(r, path, &node, &created)) != YP_STATUS_OK) {
            return st;
        }
        json_object_set_object_member(yps_reply(r, created ? 201 : 200), "node",
                                      yps_node_json(&node));
        return YP_STATUS_OK;
    }
    if ((st = yps_resolve_destination(r, "path", "parent_id", "name", &parent_id, &name))
        != YP_STATUS_OK) {
        return st;
    }
    st = meta->ops->node_mkdir(meta, r->user_id, parent_id, name,
                               g_get_real_time() / G_USEC_PER_SEC, &node);
    if (st == YP_STATUS_EXISTS && parents) {
        g_auto(yps_node_t) existing = { 0 };

        st = meta->ops->node_child(meta, r->user_id, parent_id, name, &existing);
        if (st == YP_STATUS_OK && existing.is_folder) {
            meta->ops->node_path(meta, r->user_id, existing.id, &existing.path);
            json_object_set_object_member(yps_reply(r, 200), "node", yps_node_json(&existing));
            return YP_STATUS_OK;
        }
        return st == YP_STATUS_OK ? YP_STATUS_EXISTS : st;
    }
    if (st != YP_STATUS_OK) {
        return st;
    }
    yps_committed(r, node.version);
    json_object_set_object_member(yps_reply(r, 201), "node", yps_node_json(&node));
    return YP_STATUS_OK;
}

static yp_status_t
yps_move_destination(yps_req_t *r, const yps_node_t *node, int64_t *parent_id,
                     const char **name)
{
    bool has_parent = false;
    yp_status_t st;

    if (yps_body_has(r, "to_path")) {
        return yps_resolve_destination(r, "to_path", "to_parent_id", "to_name", parent_id, name);
    }
    *parent_id = node->parent_id;
    *name = node->name;
    if ((st = yps_body_int(r, "to_parent_id", false, 1, G_MAXINT64, parent_id, &has_parent))
        != YP_STATUS_OK
        || (st = yps_body_string(r, "to_name", false, name)) != YP_STATUS_OK) {
        return st;
    }
    if (!has_parent && !yps_body_has(r, "to_name")) {
        return yps_fail(r, YP_STATUS_INVALID_ARGUMENT, "to_path, to_parent_id or to_name required");
    }
    if (!yp_name_is_valid(*name, strlen(*name))) {
        return yps_fail(r, YP_STATUS_INVALID_NAME, "to_name: not a valid name");
    }
    return YP_STATUS_OK;
}

static yp_status_t
yps_conflict(yps_req_t *r, const yps_node_t *node, int64_t if_version)
{
    r->error_extra = json_object_new();
    json_object_set_int_member(r->error_extra, "version", node->version);
    return yps_fail(r, YP_STATUS_CONFLICT, "The node is at version %" G_GINT64_FORMAT
                    ", not %" G_GINT64_FORMAT, node->version, if_version);
}

yp_status_t
yps_handle_move(yps_req_t *r)
{
    yps_meta_t *meta = r->srv->meta;
    g_auto(yps_node_t) node = { 0 };
    g_auto(yps_node_t) moved = { 0 };
    const char *name = NULL;
    int64_t if_version = 0, parent_id = 0;
    yp_status_t st;

    if ((st = yps_body_int(r, "if_version", false, 1, G_MAXINT64, &if_version, NULL))
        != YP_STATUS_OK
        || (st = yps_resolve_target(r, &node)) != YP_STATUS_OK) {
        return st;
    }
    if (node.parent_id == 0) {
        return yps_fail(r, YP_STATUS_INVALID_MOVE, "The root folder cannot move");
    }
    if ((st = yps_move_destination(r, &node, &parent_id, &name)) != YP_STATUS_OK) {
        return st;
    }
    st = meta->ops->node_move(meta, r->user_id, node.id, if_version, parent_id, name,
                              g_get_real_time() / G_USEC_PER_SEC, &moved);
    if (st == YP_STATUS_CONFLICT) {
        return yps_conflict(r, &node, if_version);
    }
    if (st != YP_STATUS_OK) {
        return st;
    }
    if (moved.version != node.version) {
        yps_committed(r, moved.version);
    }
    json_object_set_object_member(yps_reply(r, 200), "node", yps_node_json(&moved));
    return YP_STATUS_OK;
}

yp_status_t
yps_handle_delete(yps_req_t *r)
{
    yps_server_t *srv = r->srv;
    g_autoptr(GPtrArray) orphans = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GError) error = NULL;
    g_auto(yps_node_t) node = { 0 };
    int64_t if_version = 0, cursor = 0;
    JsonObject *reply;
    yp_status_t st;

    if ((st = yps_body_int(r, "if_version", false, 1, G_MAXINT64, &if_version, NULL))
        != YP_STATUS_OK
        || (st = yps_resolve_target(r, &node)) != YP_STATUS_OK) {
        return st;
    }
    if (node.parent_id == 0) {
        return yps_fail(r, YP_STATUS_INVALID_MOVE, "The root folder cannot be deleted");
    }
    if (!srv->blob->ops->lock(srv->blob, &error)) {
        return yps_fail(r, YP_STATUS_INTERNAL, "%s", error->message);
    }
    st = srv->meta->ops->node_delete(srv->meta, r->user_id, node.id, if_version, &cursor,
                                     orphans);
    if (st == YP_STATUS_OK) {
        yps_remove_orphans(r, orphans);
    }
    srv->blob->ops->unlock(srv->blob);
    if (st == YP_STATUS_CONFLICT) {
        return yps_conflict(r, &node, if_version);
    }
    if (st != YP_STATUS_OK) {
        return st;
    }
    yps_committed(r, cursor);
    reply = yps_reply(r, 200);
    json_object_set_int_member(reply, "id", node.id);
    json_object_set_int_member(reply, "cursor", cursor);
    return YP_STATUS_OK;
}

/* RFC 6266 with an RFC 5987 filename*: an ASCII fallback for old clients and
 * the exact UTF-8 name percent-encoded. */
static char *
yps_content_disposition(const char *name)
{
    g_autofree char *encoded = g_uri_escape_string(name, "!#$&+^`|", FALSE);
    g_autofree char *ascii = g_strdup(name);

    for (char *p = ascii; *p; p++) {
        if ((unsigned char) *p < 0x20 || (unsigned char) *p >= 0x7f || *p == '"' || *p == '\\'
            || *p == '%') {
            *p = '_';
        }
    }
    return g_strdup_printf("Content-Disposition: attachment; filename=\"%s\"; "
                           "filename*=UTF-8''%s\r\n", ascii, encoded);
}

yp_status_t
yps_handle_download(yps_req_t *r)
{
    yps_server_t *srv = r->srv;
    g_auto(yps_node_t) node = { 0 };
    g_autofree char *uri = NULL, *disposition = NULL;
    const char *range = yps_param(r, "HTTP_RANGE");
    yp_status_t st;

    if ((st = yps_resolve_target(r, &node)) != YP_STATUS_OK) {
        return st;
    }
    if (node.is_folder) {
        return yps_fail(r, YP_STATUS_IS_A_FOLDER, "Folders cannot be downloaded");
    }
    uri = srv->blob->ops->accel_uri(srv->blob, node.sha256);
    if (uri == NULL) {
        return yps_fail(r, YP_STATUS_UNAVAILABLE, "This store cannot serve downloads");
    }
    /* resuming a download is not another download */
    if (range == NULL || g_str_has_prefix(range, "bytes=0-")) {
        srv->meta->ops->file_downloaded(srv->meta, r->user_id, node.id);
    }
    disposition = yps_content_disposition(node.name);
    r->headers = g_string_new(NULL);
    g_string_append_printf(r->headers, "X-Accel-Redirect: %s\r\n", uri);
    g_string_append(r->headers, "Content-Type: application/octet-stream\r\n");
    g_string_append(r->headers, disposition);
    r->no_body = true;
    r->http_status = 200;
    return YP_STATUS_OK;
}
