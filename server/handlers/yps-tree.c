/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * yps-tree.c: how requests name nodes (by id or by path) and how nodes look
 * in JSON. Every lookup goes through the metadata store with the caller's
 * user id, so another user's nodes cannot be named at all.
 */
#include <string.h>

#include "yp-name.h"
#include "yps-handlers.h"
#include "yps-notify.h"
#include "yps-thumbs.h"

JsonObject *
yps_node_json(const yps_node_t *node)
{
    JsonObject *o = json_object_new();

    json_object_set_int_member(o, "id", node->id);
    if (node->parent_id != 0) {
        json_object_set_int_member(o, "parent_id", node->parent_id);
    } else {
        json_object_set_null_member(o, "parent_id");
    }
    json_object_set_string_member(o, "name", node->name ? node->name : "");
    if (node->path) {
        json_object_set_string_member(o, "path", node->path);
    }
    json_object_set_string_member(o, "type", node->is_folder ? "folder" : "file");
    json_object_set_int_member(o, "size", node->size);
    if (node->sha256) {
        json_object_set_string_member(o, "sha256", node->sha256);
    }
    json_object_set_string_member(o, "category", node->category ? node->category : "other");
    json_object_set_int_member(o, "mtime", node->mtime);
    json_object_set_int_member(o, "created", node->created);
    json_object_set_int_member(o, "modified", node->modified);
    json_object_set_int_member(o, "version", node->version);
    json_object_set_int_member(o, "downloads", node->downloads);
    return o;
}

static yp_status_t
yps_root(yps_req_t *r, yps_node_t *node)
{
    int64_t root_id, cursor;
    yp_status_t st = r->srv->meta->ops->user_state(r->srv->meta, r->user_id, &root_id, &cursor);

    if (st != YP_STATUS_OK) {
        return st;
    }
    return r->srv->meta->ops->node_get(r->srv->meta, r->user_id, root_id, node);
}

yp_status_t
yps_resolve_path(yps_req_t *r, const char *path, yps_node_t *node)
{
    yps_meta_t *meta = r->srv->meta;
    g_auto(GStrv) parts = NULL;
    GString *walked;
    yp_status_t st;

    if ((st = yp_path_split(path, &parts)) != YP_STATUS_OK) {
        return yps_fail(r, st, st == YP_STATUS_INVALID_NAME
                        ? "path: a component is not a valid name"
                        : "path: must be absolute, at most %d components and %d bytes",
                        YP_PATH_DEPTH_MAX, YP_PATH_MAX);
    }
    if ((st = yps_root(r, node)) != YP_STATUS_OK) {
        return st;
    }
    walked = g_string_new(NULL);
    for (char **p = parts; *p; p++) {
        g_auto(yps_node_t) child = { 0 };

        if (!node->is_folder) {
            st = yps_fail(r, YP_STATUS_NOT_A_FOLDER, "%s is a file", walked->str);
            g_string_free(walked, TRUE);
            return st;
        }
        st = meta->ops->node_child(meta, r->user_id, node->id, *p, &child);
        if (st != YP_STATUS_OK) {
            g_string_free(walked, TRUE);
            return st == YP_STATUS_NOT_FOUND ? yps_fail(r, st, "No such file or folder") : st;
        }
        g_string_append_c(walked, '/');
        g_string_append(walked, *p);
        yps_node_clear(node);
        *node = child;
        memset(&child, 0, sizeof(child));
    }
    if (walked->len == 0) {
        g_string_append_c(walked, '/');
    }
    node->path = g_string_free(walked, FALSE);
    return YP_STATUS_OK;
}

static yp_status_t
yps_resolve_id(yps_req_t *r, int64_t id, yps_node_t *node)
{
    yps_meta_t *meta = r->srv->meta;
    yp_status_t st = meta->ops->node_get(meta, r->user_id, id, node);

    if (st != YP_STATUS_OK) {
        return st == YP_STATUS_NOT_FOUND ? yps_fail(r, st, "No such file or folder") : st;
    }
    return meta->ops->node_path(meta, r->user_id, id, &node->path);
}

yp_status_t
yps_resolve_target(yps_req_t *r, yps_node_t *node)
{
    const char *path = NULL;
    bool has_id = false;
    int64_t id = 0;
    yp_status_t st;

    if (r->body) {
        st = yps_body_int(r, "id", false, 1, G_MAXINT64, &id, &has_id);
        if (st == YP_STATUS_OK) {
            st = yps_body_string(r, "path", false, &path);
        }
    } else {
        st = yps_query_int(r, "id", 1, G_MAXINT64, &id, &has_id);
        if (st == YP_STATUS_OK) {
            st = yps_query_string(r, "path", &path);
        }
    }
    if (st != YP_STATUS_OK) {
        return st;
    }
    if (has_id && path) {
        return yps_fail(r, YP_STATUS_INVALID_ARGUMENT, "Give either id or path, not both");
    }
    if (has_id) {
        return yps_resolve_id(r, id, node);
    }
    return yps_resolve_path(r, path ? path : "/", node);
}

/* Checks that ID is one of the caller's folders. */
static yp_status_t
yps_require_folder(yps_req_t *r, int64_t id)
{
    g_auto(yps_node_t) folder = { 0 };
    yp_status_t st = yps_resolve_id(r, id, &folder);

    if (st != YP_STATUS_OK) {
        return st;
    }
    return folder.is_folder ? YP_STATUS_OK
                            : yps_fail(r, YP_STATUS_NOT_A_FOLDER, "%s is a file", folder.path);
}

/* Splits PATH (from member KEY) into its parent folder, which must exist,
 * and its last component, which *NAME then points to (owned by R). */
static yp_status_t
yps_resolve_parent(yps_req_t *r, const char *key, const char *path, int64_t *parent_id,
                   const char **name)
{
    g_auto(yps_node_t) parent = { 0 };
    g_auto(GStrv) parts = NULL;
    g_autofree char *dir = NULL;
    GString *walked;
    guint n;
    yp_status_t st;

    if ((st = yp_path_split(path, &parts)) != YP_STATUS_OK) {
        return yps_fail(r, st, st == YP_STATUS_INVALID_NAME
                        ? "%s: a component is not a valid name"
                        : "%s: must be absolute, at most 64 components and 4096 bytes", key);
    }
    n = g_strv_length(parts);
    if (n == 0) {
        return yps_fail(r, YP_STATUS_INVALID_PATH, "%s: must name a file or folder", key);
    }
    walked = g_string_new("/");
    for (guint i = 0; i + 1 < n; i++) {
        g_string_append_printf(walked, i ? "/%s" : "%s", parts[i]);
    }
    dir = g_string_free(walked, FALSE);
    if ((st = yps_resolve_path(r, dir, &parent)) != YP_STATUS_OK) {
        return st;
    }
    if (!parent.is_folder) {
        return yps_fail(r, YP_STATUS_NOT_A_FOLDER, "%s is a file", parent.path);
    }
    *parent_id = parent.id;
    /* the request owns the copy: PATH may end in a slash */
    g_free(r->owned_name);
    r->owned_name = g_strdup(parts[n - 1]);
    *name = r->owned_name;
    return YP_STATUS_OK;
}

yp_status_t
yps_resolve_destination(yps_req_t *r, const char *path_key, const char *parent_key,
                        const char *name_key, int64_t *parent_id, const char **name)
{
    const char *path = NULL;
    bool has_parent = false;
    yp_status_t st;

    if ((st = yps_body_string(r, path_key, false, &path)) != YP_STATUS_OK
        || (st = yps_body_int(r, parent_key, false, 1, G_MAXINT64, parent_id, &has_parent))
           != YP_STATUS_OK
        || (st = yps_body_string(r, name_key, false, name)) != YP_STATUS_OK) {
        return st;
    }
    if (path != NULL) {
        if (has_parent || *name) {
            return yps_fail(r, YP_STATUS_INVALID_ARGUMENT, "Give either %s or %s and %s",
                            path_key, parent_key, name_key);
        }
        return yps_resolve_parent(r, path_key, path, parent_id, name);
    }
    if (!has_parent || *name == NULL) {
        return yps_fail(r, YP_STATUS_INVALID_ARGUMENT, "%s, or %s and %s, required", path_key,
                        parent_key, name_key);
    }
    if (!yp_name_is_valid(*name, strlen(*name))) {
        return yps_fail(r, YP_STATUS_INVALID_NAME, "%s: not a valid name", name_key);
    }
    return yps_require_folder(r, *parent_id);
}

void
yps_committed(yps_req_t *r, int64_t cursor)
{
    yps_notify_publish(r->srv->publish_socket, r->user_id, cursor);
}

void
yps_remove_orphans(yps_req_t *r, GPtrArray *orphans)
{
    for (guint i = 0; i < orphans->len; i++) {
        g_autoptr(GError) error = NULL;

        /* under the blob lock, which a new thumbnail is published under too */
        yps_thumb_forget(r->srv->data_dir, g_ptr_array_index(orphans, i));
        if (!r->srv->blob->ops->remove(r->srv->blob, g_ptr_array_index(orphans, i), &error)) {
            /* the metadata no longer refers to it: a later sweep can retry */
            g_warning("%s", error->message);
        }
    }
}
