/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * yps-upload-session.c: the life of an upload session — its lock, its end,
 * and committing verified content into the tree.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "yp-hash.h"
#include "yps-uploads-private.h"

int64_t
_yps_now(void)
{
    return g_get_real_time() / G_USEC_PER_SEC;
}

char *
_yps_upload_path(yps_req_t *r, const char *id, const char *suffix)
{
    return g_strdup_printf("%s/%s%s", r->srv->uploads_dir, id, suffix);
}

JsonObject *
_yps_upload_json(yps_req_t *r, const yps_upload_t *u)
{
    JsonObject *o = json_object_new();

    json_object_set_string_member(o, "id", u->id);
    json_object_set_int_member(o, "offset", u->offset);
    json_object_set_int_member(o, "size", u->size);
    json_object_set_int_member(o, "expires", u->expires);
    json_object_set_int_member(o, "max_chunk", r->srv->max_chunk);
    return o;
}

int64_t
_yps_quota(yps_req_t *r, const yps_usage_t *usage)
{
    return usage->quota >= 0 ? usage->quota : r->srv->default_quota;
}

/* ------------------------------------------------------------------------
 * The per-upload lock
 * ------------------------------------------------------------------------ */

yp_status_t
_yps_upload_lock_create(yps_req_t *r, const char *id)
{
    g_autofree char *path = _yps_upload_path(r, id, ".lock");
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);

    if (fd < 0) {
        return yps_fail(r, YP_STATUS_INTERNAL, "cannot create %s: %s", path, g_strerror(errno));
    }
    close(fd);
    return YP_STATUS_OK;
}

void
_yps_upload_unlock(int lock)
{
    if (lock >= 0) {
        close(lock);
    }
}

/*
 * The lock file is opened without O_CREAT: once a session has ended, its
 * lock file is gone, and a request that was waiting holds a lock on an
 * unlinked file, reads no row and answers NOT_FOUND.
 */
yp_status_t
_yps_upload_lock(yps_req_t *r, const char *id, yps_upload_t *u, int *lock)
{
    g_autofree char *path = _yps_upload_path(r, id, ".lock");
    yps_meta_t *meta = r->srv->meta;
    yp_status_t st;
    int fd;

    *lock = -1;
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return errno == ENOENT ? YP_STATUS_NOT_FOUND
                               : yps_fail(r, YP_STATUS_INTERNAL, "open %s: %s", path,
                                          g_strerror(errno));
    }
    while (flock(fd, LOCK_EX) != 0) {
        if (errno != EINTR) {
            close(fd);
            return yps_fail(r, YP_STATUS_INTERNAL, "lock %s: %s", path, g_strerror(errno));
        }
    }
    if ((st = meta->ops->upload_get(meta, r->user_id, id, u)) != YP_STATUS_OK) {
        close(fd);
        return st;
    }
    if (u->expires <= _yps_now()) {
        /* past its time an upload is gone, even before the sweep sees it */
        _yps_upload_discard(r, u->id);
        close(fd);
        return YP_STATUS_NOT_FOUND;
    }
    *lock = fd;
    return YP_STATUS_OK;
}

void
_yps_upload_discard(yps_req_t *r, const char *id)
{
    g_autofree char *part = _yps_upload_path(r, id, ".part");
    g_autofree char *lock = _yps_upload_path(r, id, ".lock");

    /* the row first: a waiter that gets the lock next must find nothing */
    r->srv->meta->ops->upload_delete(r->srv->meta, id);
    unlink(part);
    unlink(lock);
}

/* ------------------------------------------------------------------------
 * Checking a replaced blob after the reply
 * ------------------------------------------------------------------------ */

typedef struct {
    int  fd;
    char sha256[65];
} yps_blob_check_t;

/*
 * A verified upload replaced a blob that was already stored under the same
 * name. Those bytes should have been identical; if they were not, the store
 * had been damaged or planted, and the operator must know. This runs once
 * the client has its answer, so the check neither delays it nor tells it
 * by its timing whether the content existed.
 */
static void
yps_blob_check_run(void *data)
{
    yps_blob_check_t *check = data;
    char actual[65];
    uint64_t size = 0;
    int rc = yp_sha256_fd(check->fd, actual, &size);

    if (rc != 0) {
        g_warning("blob %s: cannot read the replaced copy: %s", check->sha256, g_strerror(-rc));
    } else if (strcmp(actual, check->sha256) != 0) {
        g_warning("blob %s held other bytes (%" G_GUINT64_FORMAT " bytes hashing to %s); "
                  "repaired from a verified upload", check->sha256, size, actual);
    }
    close(check->fd);
    g_free(check);
}

static void
yps_blob_check_later(yps_req_t *r, int fd, const char *sha256)
{
    yps_blob_check_t *check = g_new0(yps_blob_check_t, 1);

    check->fd = fd;
    g_strlcpy(check->sha256, sha256, sizeof(check->sha256));
    yps_defer(r, yps_blob_check_run, check);
}

/* ------------------------------------------------------------------------
 * Committing verified content into the tree
 * ------------------------------------------------------------------------ */

/* Under the blob lock: makes sure the content is stored, then commits the
 * file. *ADDED tells whether this call stored a new blob. */
static yp_status_t
yps_store_and_commit(yps_req_t *r, const yps_upload_t *u, int fd, yps_node_t *node,
                     GPtrArray *orphans, bool *added)
{
    yps_server_t *srv = r->srv;
    g_autoptr(GError) error = NULL;
    yps_usage_t usage = { 0 };
    int64_t blob_size;
    int previous = -1;
    yp_status_t st;

    if ((st = srv->meta->ops->user_usage(srv->meta, u->user_id, &usage)) != YP_STATUS_OK) {
        return st;
    }
    if (fd < 0) {
        st = srv->meta->ops->blob_find(srv->meta, u->sha256, &blob_size);
        if (st == YP_STATUS_NOT_FOUND) {
            return yps_fail(r, YP_STATUS_NO_CHALLENGE, "The content is gone; send the bytes");
        }
        if (st != YP_STATUS_OK) {
            return st;
        }
    } else if (!srv->blob->ops->put(srv->blob, fd, u->sha256, added, &previous, &error)) {
        return yps_fail(r, YP_STATUS_INTERNAL, "%s", error->message);
    } else if (u->id[0] != '\0') {
        g_autofree char *part = _yps_upload_path(r, u->id, ".part");

        /* the staging file's inode is the blob now: no request may find it
         * by that name again, whatever the commit below returns */
        unlink(part);
    }
    if (previous >= 0) {
        yps_blob_check_later(r, previous, u->sha256);
    }
    return srv->meta->ops->file_commit(srv->meta, u->user_id, u->parent_id, u->name,
                                       u->if_version, u->sha256, u->size, u->mtime, _yps_now(),
                                       _yps_quota(r, &usage), node, orphans);
}

yp_status_t
_yps_upload_commit(yps_req_t *r, const yps_upload_t *u, int fd, bool instant)
{
    yps_server_t *srv = r->srv;
    g_autoptr(GPtrArray) orphans = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GError) error = NULL;
    g_auto(yps_node_t) node = { 0 };
    JsonObject *reply;
    bool added = false;
    yp_status_t st;

    if (!srv->blob->ops->lock(srv->blob, &error)) {
        return yps_fail(r, YP_STATUS_INTERNAL, "%s", error->message);
    }
    st = yps_store_and_commit(r, u, fd, &node, orphans, &added);
    if (st == YP_STATUS_OK) {
        yps_remove_orphans(r, orphans);
    } else if (added) {
        /* nothing refers to the blob this call stored */
        srv->blob->ops->remove(srv->blob, u->sha256, NULL);
    }
    srv->blob->ops->unlock(srv->blob);
    if (st != YP_STATUS_OK) {
        return st;
    }
    if (u->id[0] != '\0') {
        _yps_upload_discard(r, u->id);
    }
    yps_committed(r, node.version);
    reply = yps_reply(r, 201);
    json_object_set_object_member(reply, "file", yps_node_json(&node));
    json_object_set_boolean_member(reply, "instant", instant);
    return YP_STATUS_OK;
}
