/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * yps-thumbnail.c: GET files/thumbnail, a small PNG of an image file.
 *
 * It is authorized exactly like a download: the node is looked up in the
 * caller's own tree, so another user's ids are not found. The thumbnail is
 * made from the blob once per content and size, kept under
 * DATA/thumbnails/, and served by nginx (X-Accel-Redirect) like a download;
 * every later request for the same content, from any node of any user, is
 * served from there without decoding again.
 */
#include <string.h>
#include <unistd.h>

#include "yps-handlers.h"
#include "yps-thumbs.h"

/*
 * Makes the thumbnail of NODE's blob at SIZE and stores it at PATH. The
 * decoding runs without any lock; the rename into place happens under the
 * blob lock and only while the blob is still stored, so a thumbnail never
 * outlives the deletion of its blob (yps_remove_orphans forgets it then).
 */
static yp_status_t
yps_thumbnail_make(yps_req_t *r, const yps_node_t *node, int size, const char *path)
{
    yps_blob_t *blob = r->srv->blob;
    g_autoptr(GError) error = NULL;
    g_autofree void *png = NULL;
    g_autofree char *temp = NULL;
    size_t len = 0;
    yp_status_t st;
    int fd;

    fd = blob->ops->open(blob, node->sha256, &error);
    if (fd < 0) {
        return yps_fail(r, YP_STATUS_INTERNAL, "%s", error->message);
    }
    /* each decoding may hold a few hundred MiB: a few at once, across
     * every worker, and the rest are asked to come back */
    if (!yps_hash_slot_acquire(&r->srv->thumb_slots)) {
        close(fd);
        r->error_extra = json_object_new();
        json_object_set_int_member(r->error_extra, "retry_after", 1);
        return yps_fail(r, YP_STATUS_UNAVAILABLE,
                        "The server is busy making other thumbnails; retry");
    }
    st = yps_thumb_make(fd, size, &png, &len, r->message, sizeof(r->message));
    yps_hash_slot_release(&r->srv->thumb_slots);
    close(fd);
    if (st != YP_STATUS_OK) {
        return st;
    }
    if (!yps_thumb_stage(path, png, len, &temp, &error)) {
        return yps_fail(r, YP_STATUS_INTERNAL, "%s", error->message);
    }
    if (!blob->ops->lock(blob, &error)) {
        yps_thumb_discard(temp);
        return yps_fail(r, YP_STATUS_INTERNAL, "%s", error->message);
    }
    fd = blob->ops->open(blob, node->sha256, NULL);
    if (fd < 0) {
        /* deleted meanwhile: the node is gone too */
        blob->ops->unlock(blob);
        yps_thumb_discard(temp);
        return yps_fail(r, YP_STATUS_NOT_FOUND, "The file was deleted meanwhile");
    }
    close(fd);
    if (!yps_thumb_publish(temp, path, &error)) {
        blob->ops->unlock(blob);
        return yps_fail(r, YP_STATUS_INTERNAL, "%s", error->message);
    }
    blob->ops->unlock(blob);
    return YP_STATUS_OK;
}

/* True when the If-None-Match list VALUE names ETAG (weakly, as RFC 9110
 * compares for it) or is "*". */
static bool
yps_thumbnail_etag_matches(const char *value, const char *etag)
{
    g_auto(GStrv) tags = value ? g_strsplit(value, ",", -1) : NULL;

    for (char **t = tags; t && *t; t++) {
        const char *tag = g_strstrip(*t);

        if (g_str_has_prefix(tag, "W/")) {
            tag += 2;
        }
        if (strcmp(tag, "*") == 0 || strcmp(tag, etag) == 0) {
            return true;
        }
    }
    return false;
}

/*
 * A client that holds this content's thumbnail already revalidates with
 * If-None-Match: answered 304 here, since nginx does not compare the ETag
 * the thumbnail location sets. No file is looked at.
 */
static bool
yps_thumbnail_not_modified(yps_req_t *r, const char *sha256, int size)
{
    g_autofree char *etag = g_strdup_printf("\"%s-%d\"", sha256, size);

    if (!yps_thumbnail_etag_matches(yps_param(r, "HTTP_IF_NONE_MATCH"), etag)) {
        return false;
    }
    r->headers = g_string_new(NULL);
    g_string_append_printf(r->headers, "ETag: %s\r\n", etag);
    g_string_append(r->headers, "Cache-Control: private, no-cache, no-transform\r\n");
    r->no_body = true;
    r->http_status = 304;
    return true;
}

yp_status_t
yps_handle_thumbnail(yps_req_t *r)
{
    g_auto(yps_node_t) node = { 0 };
    g_autofree char *path = NULL, *uri = NULL;
    bool cached, has_size = false;
    int64_t size = 0;
    yp_status_t st;

    if ((st = yps_query_int(r, "size", 1, G_MAXINT32, &size, &has_size)) != YP_STATUS_OK) {
        return st;
    }
    if (!has_size || !yps_thumb_size_valid(size)) {
        return yps_fail(r, YP_STATUS_INVALID_ARGUMENT, "size: %d or %d", YP_THUMBNAIL_SMALL,
                        YP_THUMBNAIL_LARGE);
    }
    if ((st = yps_resolve_target(r, &node)) != YP_STATUS_OK) {
        return st;
    }
    if (node.is_folder) {
        return yps_fail(r, YP_STATUS_IS_A_FOLDER, "Folders have no thumbnail");
    }
    /* the name says what the file is meant to be: nothing else is decoded */
    if (g_strcmp0(node.category, "image") != 0 || node.sha256 == NULL) {
        return yps_fail(r, YP_STATUS_NOT_AN_IMAGE, "Only images have thumbnails");
    }
    /* an empty file has no blob to open */
    if (node.size == 0) {
        return yps_fail(r, YP_STATUS_NOT_AN_IMAGE, "The file is empty");
    }
    if (node.size > YPS_THUMB_MAX_BYTES) {
        return yps_fail(r, YP_STATUS_IMAGE_TOO_LARGE,
                        "Thumbnails are made of files of at most %d MiB",
                        YPS_THUMB_MAX_BYTES / (1024 * 1024));
    }
    if (yps_thumbnail_not_modified(r, node.sha256, (int) size)) {
        return YP_STATUS_OK;
    }
    path = yps_thumb_path(r->srv->data_dir, node.sha256, (int) size);
    cached = access(path, F_OK) == 0;
    if (!cached && (st = yps_thumbnail_make(r, &node, (int) size, path)) != YP_STATUS_OK) {
        return st;
    }
    uri = yps_thumb_accel_uri(node.sha256, (int) size);
    r->headers = g_string_new(NULL);
    g_string_append_printf(r->headers, "X-Accel-Redirect: %s\r\n", uri);
    g_string_append(r->headers, "Content-Type: image/png\r\n");
    /* lets a client (and the tests) tell a cached thumbnail from a new one */
    g_string_append_printf(r->headers, "X-Yunpan-Thumbnail: %s\r\n", cached ? "cached" : "made");
    r->no_body = true;
    r->http_status = 200;
    return YP_STATUS_OK;
}
