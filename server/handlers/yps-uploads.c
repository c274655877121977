/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * yps-uploads.c: starting, looking at and abandoning an upload, and the
 * admission check nginx runs before it reads a chunk.
 *
 * An upload goes in three steps — start, prove or send bytes, verify.
 * Chunks are applied in yps-upload-chunk.c, instant upload is in
 * yps-instant.c. Nothing enters the tree until the server has hashed the
 * whole content itself and the blob is durable.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "yp-hash.h"
#include "yps-uploads-private.h"

#define YPS_UPLOADS_MAX 1000    /* uploads in progress per account */

static const char yps_empty_sha256[] =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/* Removes uploads nobody touched for the configured time, with their bytes;
 * one that a request is working on right now is left for the next sweep. */
int64_t
yps_uploads_sweep(yps_server_t *srv, int64_t now)
{
    g_autoptr(GPtrArray) ids = g_ptr_array_new_with_free_func(g_free);
    yps_req_t r = { .srv = srv };
    int64_t removed = 0;

    if (srv->meta->ops->upload_expired(srv->meta, now, ids) != YP_STATUS_OK) {
        return 0;
    }
    for (guint i = 0; i < ids->len; i++) {
        const char *id = g_ptr_array_index(ids, i);
        g_autofree char *path = _yps_upload_path(&r, id, ".lock");
        int fd = open(path, O_RDONLY | O_CLOEXEC);

        if (fd < 0 || flock(fd, LOCK_EX | LOCK_NB) == 0) {
            _yps_upload_discard(&r, id);
            removed++;
        }
        if (fd >= 0) {
            close(fd);
        }
    }
    return removed;
}

/* ------------------------------------------------------------------------
 * Start
 * ------------------------------------------------------------------------ */

static yp_status_t
yps_upload_read(yps_req_t *r, yps_upload_t *u)
{
    const char *name = NULL, *sha256 = NULL;
    bool has_mtime = false;
    yp_status_t st;

    if ((st = yps_resolve_destination(r, "path", "parent_id", "name", &u->parent_id, &name))
            != YP_STATUS_OK
        || (st = yps_body_int(r, "size", true, 0, YPS_SIZE_MAX, &u->size, NULL)) != YP_STATUS_OK
        || (st = yps_body_string(r, "sha256", true, &sha256)) != YP_STATUS_OK
        || (st = yps_body_int(r, "mtime", false, 0, G_MAXINT64, &u->mtime, &has_mtime))
           != YP_STATUS_OK
        || (st = yps_body_int(r, "if_version", false, 1, G_MAXINT64, &u->if_version, NULL))
           != YP_STATUS_OK) {
        return st;
    }
    if (!yp_sha256_hex_is_valid(sha256)) {
        return yps_fail(r, YP_STATUS_INVALID_ARGUMENT, "sha256: 64 lower-case hex digits");
    }
    g_strlcpy(u->sha256, sha256, sizeof(u->sha256));
    u->name = g_strdup(name);
    u->user_id = r->user_id;
    if (!has_mtime) {
        u->mtime = _yps_now();
    }
    return YP_STATUS_OK;
}

/* Fails early when the destination already rules the upload out; the commit
 * checks again, since things may change while the bytes travel. *REPLACED
 * gets the size of the file the upload would replace. */
static yp_status_t
yps_upload_precheck(yps_req_t *r, const yps_upload_t *u, int64_t *replaced)
{
    g_auto(yps_node_t) cur = { 0 };
    yp_status_t st = r->srv->meta->ops->node_child(r->srv->meta, r->user_id, u->parent_id,
                                                   u->name, &cur);

    *replaced = 0;
    if (st == YP_STATUS_NOT_FOUND) {
        return u->if_version == 0 ? YP_STATUS_OK
                                  : yps_fail(r, YP_STATUS_CONFLICT, "The file to replace is gone");
    }
    if (st != YP_STATUS_OK) {
        return st;
    }
    if (cur.is_folder) {
        return yps_fail(r, YP_STATUS_IS_A_FOLDER, "%s is a folder", cur.name);
    }
    if (u->if_version == 0) {
        return yps_fail(r, YP_STATUS_EXISTS, "%s exists; give if_version to replace it",
                        cur.name);
    }
    if (u->if_version != cur.version) {
        r->error_extra = json_object_new();
        json_object_set_int_member(r->error_extra, "version", cur.version);
        return yps_fail(r, YP_STATUS_CONFLICT, "The file is at version %" G_GINT64_FORMAT,
                        cur.version);
    }
    *replaced = cur.size;
    return YP_STATUS_OK;
}

/* Creates the session of U: its lock file, then its row, which the store
 * writes only if, together with the account's files and its other uploads
 * in progress, it fits the quota (so a declared size that cannot fit is
 * refused before any byte is sent, and two starts at once cannot both take
 * the last space). */
static yp_status_t
yps_upload_create(yps_req_t *r, const yps_upload_t *u, int64_t replaced)
{
    g_autofree char *lock = _yps_upload_path(r, u->id, ".lock");
    yps_usage_t usage = { 0 };
    yp_status_t st;

    if ((st = _yps_upload_lock_create(r, u->id)) != YP_STATUS_OK) {
        return st;
    }
    st = r->srv->meta->ops->upload_create(r->srv->meta, u, r->srv->default_quota, replaced,
                                          YPS_UPLOADS_MAX, &usage);
    if (st == YP_STATUS_OK) {
        return st;
    }
    unlink(lock);
    if (st == YP_STATUS_RATE_LIMITED) {
        return yps_fail(r, st, "%d uploads are in progress; finish or abandon some",
                        YPS_UPLOADS_MAX);
    }
    if (st == YP_STATUS_QUOTA_EXCEEDED) {
        r->error_extra = json_object_new();
        json_object_set_int_member(r->error_extra, "used", usage.used);
        json_object_set_int_member(r->error_extra, "reserved", usage.reserved);
        json_object_set_int_member(r->error_extra, "quota", usage.quota);
        return yps_fail(r, st, "%" G_GINT64_FORMAT " more bytes do not fit the quota of %"
                        G_GINT64_FORMAT, u->size - replaced, usage.quota);
    }
    return st;
}

/* Empty content needs no bytes and no proof: everybody knows it. */
static yp_status_t
yps_upload_create_empty(yps_req_t *r, yps_upload_t *u)
{
    yp_status_t st;
    int fd;

    if (strcmp(u->sha256, yps_empty_sha256) != 0) {
        return yps_fail(r, YP_STATUS_HASH_MISMATCH, "Empty content has another SHA-256");
    }
    fd = open(r->srv->uploads_dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
    if (fd < 0) {
        return yps_fail(r, YP_STATUS_INTERNAL, "cannot create an empty file in %s: %s",
                        r->srv->uploads_dir, g_strerror(errno));
    }
    u->id[0] = '\0';
    st = _yps_upload_commit(r, u, fd, true);
    close(fd);
    return st;
}

yp_status_t
yps_handle_upload_start(yps_req_t *r)
{
    g_auto(yps_upload_t) u = { 0 };
    g_autoptr(JsonObject) challenge = NULL;
    uint8_t id[16];
    int64_t replaced = 0;
    JsonObject *reply;
    yp_status_t st;

    if ((st = yps_upload_read(r, &u)) != YP_STATUS_OK
        || (st = yps_upload_precheck(r, &u, &replaced)) != YP_STATUS_OK) {
        return st;
    }
    yps_uploads_sweep(r->srv, _yps_now());
    if (u.size == 0) {
        return yps_upload_create_empty(r, &u);
    }
    challenge = _yps_instant_offer(r, &u);
    if (challenge) {
        g_autoptr(JsonNode) node = json_node_new(JSON_NODE_OBJECT);

        json_node_set_object(node, challenge);
        u.challenge = json_to_string(node, FALSE);
    }
    randombytes_buf(id, sizeof(id));
    yp_hex_encode(id, sizeof(id), u.id);
    u.expires = _yps_now() + r->srv->upload_ttl;
    if ((st = yps_upload_create(r, &u, replaced)) != YP_STATUS_OK) {
        return st;
    }
    reply = yps_reply(r, 201);
    json_object_set_object_member(reply, "upload", _yps_upload_json(r, &u));
    if (challenge) {
        json_object_set_object_member(reply, "challenge", json_object_ref(challenge));
    }
    return YP_STATUS_OK;
}

yp_status_t
yps_handle_upload_get(yps_req_t *r)
{
    g_auto(yps_upload_t) u = { 0 };
    yp_status_t st = r->srv->meta->ops->upload_get(r->srv->meta, r->user_id, r->arg, &u);

    if (st == YP_STATUS_OK && u.expires <= _yps_now()) {
        return YP_STATUS_NOT_FOUND;
    }
    if (st == YP_STATUS_OK) {
        json_object_set_object_member(yps_reply(r, 200), "upload", _yps_upload_json(r, &u));
    }
    return st;
}

yp_status_t
yps_handle_upload_delete(yps_req_t *r)
{
    g_auto(yps_upload_t) u = { 0 };
    yp_status_t st;
    int lock = -1;

    if ((st = _yps_upload_lock(r, r->arg, &u, &lock)) != YP_STATUS_OK) {
        return st;
    }
    _yps_upload_discard(r, u.id);
    _yps_upload_unlock(lock);
    yps_reply(r, 200);
    return YP_STATUS_OK;
}

/* ------------------------------------------------------------------------
 * Admission: nginx asks before it reads a chunk's body
 * ------------------------------------------------------------------------ */

/*
 * The checks a chunk must pass before its body is worth receiving: a valid
 * session of the caller for an upload of theirs that exists and has not
 * expired, a PUT at the offset where it stands, and a body that fits what is
 * left. A chunk may start up to one chunk ahead of where the upload stands:
 * the client sends the next chunk while the last one is being applied.
 * nginx passes the original request in YP_ORIGINAL_METHOD,
 * YP_ORIGINAL_URI (normalized, without the query), YP_ORIGINAL_ARGS and
 * YP_BODY_LENGTH; nothing is locked, since the PUT itself checks everything
 * again (nginx lets at most two bodies of one upload arrive at once).
 */
static yp_status_t
yps_upload_admit(yps_req_t *r)
{
    static const char prefix[] = YP_API_PREFIX "/uploads/";
    const char *method = yps_param(r, "YP_ORIGINAL_METHOD");
    const char *uri = yps_param(r, "YP_ORIGINAL_URI");
    const char *args = yps_param(r, "YP_ORIGINAL_ARGS");
    const char *length = yps_param(r, "YP_BODY_LENGTH");
    const char *id;
    g_auto(yps_upload_t) u = { 0 };
    int64_t offset = -1, len = -1;
    bool has_offset = false;
    yp_status_t st;

    /* the normalized URI nginx matched, exactly one upload id long: the
     * same upload the PUT handler will be given */
    if (method == NULL || strcmp(method, "PUT") != 0 || uri == NULL
        || strncmp(uri, prefix, sizeof(prefix) - 1) != 0
        || strlen(uri) != sizeof(prefix) - 1 + 32) {
        return YP_STATUS_METHOD_NOT_ALLOWED;
    }
    id = uri + sizeof(prefix) - 1;
    if (args != NULL && *args != '\0') {
        r->query = g_uri_parse_params(args, -1, "&", G_URI_PARAMS_WWW_FORM, NULL);
        if (r->query == NULL) {
            return yps_fail(r, YP_STATUS_BAD_REQUEST, "Bad query string");
        }
    }
    if ((st = yps_authenticate(r)) != YP_STATUS_OK
        || (st = yps_query_int(r, "offset", 0, YPS_SIZE_MAX, &offset, &has_offset))
           != YP_STATUS_OK) {
        return st;
    }
    if (!has_offset) {
        return yps_fail(r, YP_STATUS_INVALID_ARGUMENT, "offset: required");
    }
    if (length == NULL || *length == '\0') {
        return yps_fail(r, YP_STATUS_LENGTH_REQUIRED, "Send the chunk with a Content-Length");
    }
    len = g_ascii_strtoll(length, NULL, 10);
    if ((st = r->srv->meta->ops->upload_get(r->srv->meta, r->user_id, id, &u)) != YP_STATUS_OK) {
        return st;
    }
    if (u.expires <= _yps_now()) {
        return YP_STATUS_NOT_FOUND;
    }
    return _yps_chunk_check(r, &u, offset, len, true);
}

yp_status_t
yps_handle_upload_auth(yps_req_t *r)
{
    return yps_auth_request_answer(r, yps_upload_admit(r));
}

yp_status_t
yps_handle_upload_refused(yps_req_t *r)
{
    return yps_auth_request_refused(r, yps_upload_admit(r), "The upload changed; retry");
}
