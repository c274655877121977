/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * yps-uploads.c: uploads in three steps — start, prove or send bytes,
 * verify — with instant upload (秒传) guarded by a proof of possession.
 *
 * Bytes never cross the FastCGI socket: nginx writes each chunk's body to a
 * file under the data folder and passes its name in YP_BODY_FILE. The first
 * chunk is renamed into the upload's staging file, later ones are appended
 * with copy_file_range. Nothing enters the tree until the server has hashed
 * the whole content itself and the blob is durable.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "yp-hash.h"
#include "yps-handlers.h"

#define YPS_PROOF_WHOLE_FILE   (64 * 1024)  /* smaller files are proven whole */
#define YPS_PROOF_RANGE_LEN    4096
#define YPS_PROOF_RANGES       4
#define YPS_SIZE_MAX           ((int64_t) 1 << 53)

static const char yps_empty_sha256[] =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

static int64_t
yps_now(void)
{
    return g_get_real_time() / G_USEC_PER_SEC;
}

static char *
yps_part_path(yps_req_t *r, const char *id)
{
    return g_strdup_printf("%s/%s.part", r->srv->uploads_dir, id);
}

static JsonObject *
yps_upload_json(const yps_upload_t *u)
{
    JsonObject *o = json_object_new();

    json_object_set_string_member(o, "id", u->id);
    json_object_set_int_member(o, "offset", u->offset);
    json_object_set_int_member(o, "size", u->size);
    json_object_set_int_member(o, "expires", u->expires);
    return o;
}

static void
yps_upload_discard(yps_req_t *r, const char *id)
{
    g_autofree char *part = yps_part_path(r, id);

    unlink(part);
    r->srv->meta->ops->upload_delete(r->srv->meta, id);
}

/* Removes uploads nobody touched for the configured time, with their bytes. */
static void
yps_sweep_expired(yps_req_t *r)
{
    g_autoptr(GPtrArray) ids = g_ptr_array_new_with_free_func(g_free);

    if (r->srv->meta->ops->upload_expired(r->srv->meta, yps_now(), ids) != YP_STATUS_OK) {
        return;
    }
    for (guint i = 0; i < ids->len; i++) {
        yps_upload_discard(r, g_ptr_array_index(ids, i));
    }
}

/* ------------------------------------------------------------------------
 * Committing a verified blob into the tree
 * ------------------------------------------------------------------------ */

/*
 * Makes upload U a file. STAGED is the verified staging file to store, or
 * NULL when the content is already in the blob store (instant upload), in
 * which case it must still be there under the lock.
 */
static yp_status_t
yps_upload_commit(yps_req_t *r, const yps_upload_t *u, const char *staged, bool instant)
{
    yps_server_t *srv = r->srv;
    g_autoptr(GPtrArray) orphans = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GError) error = NULL;
    g_auto(yps_node_t) node = { 0 };
    JsonObject *reply;
    bool added = false;
    int64_t blob_size;
    yp_status_t st;

    if (!srv->blob->ops->lock(srv->blob, &error)) {
        return yps_fail(r, YP_STATUS_INTERNAL, "%s", error->message);
    }
    if (staged == NULL) {
        st = srv->meta->ops->blob_find(srv->meta, u->sha256, &blob_size);
        if (st == YP_STATUS_NOT_FOUND) {
            st = yps_fail(r, YP_STATUS_NO_CHALLENGE, "The content is gone; send the bytes");
        }
    } else if (!srv->blob->ops->put(srv->blob, staged, u->sha256, &added, &error)) {
        st = yps_fail(r, YP_STATUS_INTERNAL, "%s", error->message);
    } else {
        st = YP_STATUS_OK;
    }
    if (st == YP_STATUS_OK) {
        st = srv->meta->ops->file_commit(srv->meta, u->user_id, u->parent_id, u->name,
                                         u->if_version, u->sha256, u->size, u->mtime, yps_now(),
                                         &node, orphans);
        if (st == YP_STATUS_OK) {
            yps_remove_orphans(r, orphans);
        } else if (added) {
            /* nothing refers to the blob we just stored */
            srv->blob->ops->remove(srv->blob, u->sha256, NULL);
        }
    }
    srv->blob->ops->unlock(srv->blob);
    if (st != YP_STATUS_OK) {
        return st;
    }
    if (u->id[0] != '\0') {
        srv->meta->ops->upload_delete(srv->meta, u->id);
    }
    yps_committed(r, node.version);
    reply = yps_reply(r, 201);
    json_object_set_object_member(reply, "file", yps_node_json(&node));
    json_object_set_boolean_member(reply, "instant", instant);
    return YP_STATUS_OK;
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
        u->mtime = yps_now();
    }
    return YP_STATUS_OK;
}

/* Fails early when the destination already rules the upload out; the commit
 * checks again, since things may change while the bytes travel. */
static yp_status_t
yps_upload_precheck(yps_req_t *r, const yps_upload_t *u)
{
    g_auto(yps_node_t) cur = { 0 };
    yp_status_t st = r->srv->meta->ops->node_child(r->srv->meta, r->user_id, u->parent_id,
                                                   u->name, &cur);

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
    return YP_STATUS_OK;
}

static uint64_t
yps_random_below(uint64_t bound)
{
    uint64_t v;

    randombytes_buf(&v, sizeof(v));
    return bound ? v % bound : 0;
}

/* A fresh challenge for content of SIZE bytes: a nonce and ranges the
 * client must hash; stored as JSON and returned as an object. */
static JsonObject *
yps_challenge_new(int64_t size)
{
    uint8_t nonce[YP_PROOF_NONCE_LEN];
    char nonce_hex[2 * YP_PROOF_NONCE_LEN + 1];
    JsonObject *challenge = json_object_new();
    JsonArray *ranges = json_array_new();
    int n = size <= YPS_PROOF_WHOLE_FILE ? 1 : YPS_PROOF_RANGES;

    randombytes_buf(nonce, sizeof(nonce));
    yp_hex_encode(nonce, sizeof(nonce), nonce_hex);
    for (int i = 0; i < n; i++) {
        JsonObject *range = json_object_new();
        int64_t len = n == 1 ? size : YPS_PROOF_RANGE_LEN;
        int64_t off = n == 1 ? 0 : (int64_t) yps_random_below((uint64_t) (size - len + 1));

        json_object_set_int_member(range, "offset", off);
        json_object_set_int_member(range, "length", len);
        json_array_add_object_element(ranges, range);
    }
    json_object_set_string_member(challenge, "nonce", nonce_hex);
    json_object_set_array_member(challenge, "ranges", ranges);
    return challenge;
}

static char *
yps_object_to_string(JsonObject *object)
{
    g_autoptr(JsonNode) node = json_node_new(JSON_NODE_OBJECT);

    json_node_set_object(node, object);
    return json_to_string(node, FALSE);
}

static yp_status_t
yps_upload_create_empty(yps_req_t *r, yps_upload_t *u)
{
    g_autofree char *staged = NULL;
    int fd;

    if (strcmp(u->sha256, yps_empty_sha256) != 0) {
        return yps_fail(r, YP_STATUS_HASH_MISMATCH, "Empty content has another SHA-256");
    }
    staged = g_strdup_printf("%s/empty-%08x.part", r->srv->uploads_dir, randombytes_random());
    fd = open(staged, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
        return yps_fail(r, YP_STATUS_INTERNAL, "cannot create %s: %s", staged, g_strerror(errno));
    }
    close(fd);
    u->id[0] = '\0';
    return yps_upload_commit(r, u, staged, true);
}

yp_status_t
yps_handle_upload_start(yps_req_t *r)
{
    yps_meta_t *meta = r->srv->meta;
    g_auto(yps_upload_t) u = { 0 };
    g_autoptr(JsonObject) challenge = NULL;
    uint8_t id[16];
    int64_t blob_size;
    JsonObject *reply;
    yp_status_t st;

    if ((st = yps_upload_read(r, &u)) != YP_STATUS_OK
        || (st = yps_upload_precheck(r, &u)) != YP_STATUS_OK) {
        return st;
    }
    yps_sweep_expired(r);
    if (u.size == 0) {
        return yps_upload_create_empty(r, &u);
    }
    st = meta->ops->blob_find(meta, u.sha256, &blob_size);
    if (st != YP_STATUS_OK && st != YP_STATUS_NOT_FOUND) {
        return st;
    }
    if (st == YP_STATUS_OK && blob_size == u.size) {
        challenge = yps_challenge_new(u.size);
        u.challenge = yps_object_to_string(challenge);
    }
    randombytes_buf(id, sizeof(id));
    yp_hex_encode(id, sizeof(id), u.id);
    u.expires = yps_now() + r->srv->upload_ttl;
    if ((st = meta->ops->upload_create(meta, &u)) != YP_STATUS_OK) {
        return st;
    }
    reply = yps_reply(r, 201);
    json_object_set_object_member(reply, "upload", yps_upload_json(&u));
    if (challenge) {
        json_object_set_object_member(reply, "challenge", json_object_ref(challenge));
    }
    return YP_STATUS_OK;
}

/* ------------------------------------------------------------------------
 * Proof of possession
 * ------------------------------------------------------------------------ */

/* Computes the proof the stored blob gives for CHALLENGE (JSON text). */
static yp_status_t
yps_expected_proof(yps_req_t *r, const char *sha256, const char *challenge, char hex[65])
{
    g_autoptr(JsonParser) parser = json_parser_new_immutable();
    yp_range_t ranges[YP_PROOF_RANGES_MAX];
    uint8_t nonce[YP_PROOF_NONCE_LEN];
    JsonObject *obj;
    JsonArray *array;
    guint n;
    int fd, rc;

    if (!json_parser_load_from_data(parser, challenge, -1, NULL)) {
        return yps_fail(r, YP_STATUS_INTERNAL, "stored challenge is corrupt");
    }
    obj = json_node_get_object(json_parser_get_root(parser));
    array = json_object_get_array_member(obj, "ranges");
    n = MIN(json_array_get_length(array), YP_PROOF_RANGES_MAX);
    if (!yp_hex_decode(json_object_get_string_member(obj, "nonce"), nonce, sizeof(nonce))) {
        return yps_fail(r, YP_STATUS_INTERNAL, "stored challenge is corrupt");
    }
    for (guint i = 0; i < n; i++) {
        JsonObject *range = json_array_get_object_element(array, i);

        ranges[i].offset = (uint64_t) json_object_get_int_member(range, "offset");
        ranges[i].length = (uint64_t) json_object_get_int_member(range, "length");
    }
    fd = r->srv->blob->ops->open(r->srv->blob, sha256, NULL);
    if (fd < 0) {
        return yps_fail(r, YP_STATUS_NO_CHALLENGE, "The content is gone; send the bytes");
    }
    rc = yp_proof_compute_fd(fd, nonce, sizeof(nonce), ranges, n, hex);
    close(fd);
    return rc == 0 ? YP_STATUS_OK : yps_fail(r, YP_STATUS_INTERNAL, "cannot read the blob");
}

yp_status_t
yps_handle_upload_proof(yps_req_t *r)
{
    yps_meta_t *meta = r->srv->meta;
    g_auto(yps_upload_t) u = { 0 };
    const char *proof = NULL;
    char expected[65];
    yp_status_t st;

    if ((st = meta->ops->upload_get(meta, r->user_id, r->arg, &u)) != YP_STATUS_OK
        || (st = yps_body_string(r, "proof", true, &proof)) != YP_STATUS_OK) {
        return st;
    }
    if (u.challenge == NULL) {
        return YP_STATUS_NO_CHALLENGE;
    }
    if (!yp_sha256_hex_is_valid(proof)) {
        return yps_fail(r, YP_STATUS_INVALID_ARGUMENT, "proof: 64 lower-case hex digits");
    }
    /* one try per challenge: spend it before looking at the answer */
    if ((st = meta->ops->upload_set_challenge(meta, u.id, NULL)) != YP_STATUS_OK) {
        return st == YP_STATUS_NOT_FOUND ? YP_STATUS_NO_CHALLENGE : st;
    }
    if ((st = yps_expected_proof(r, u.sha256, u.challenge, expected)) != YP_STATUS_OK) {
        return st;
    }
    if (sodium_memcmp(expected, proof, 64) != 0) {
        return YP_STATUS_PROOF_FAILED;
    }
    return yps_upload_commit(r, &u, NULL, true);
}

/* ------------------------------------------------------------------------
 * Bytes
 * ------------------------------------------------------------------------ */

/*
 * Makes FD's data durable, or for the last chunk only starts writing it back:
 * the content is hashed next and the blob store fsyncs it before anything
 * refers to it, so the disk writes while the CPU hashes instead of after.
 */
static bool
yps_flush_chunk(int fd, bool last)
{
    if (last) {
        return sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WRITE) == 0 || errno == ESPIPE;
    }
    return fsync(fd) == 0;
}

/* Appends LEN bytes of file BODY at OFFSET of staging file PART, dropping
 * whatever a request that died half-way left beyond OFFSET. */
static bool
yps_append_chunk(const char *body, const char *part, int64_t offset, int64_t len, bool last)
{
    int in = open(body, O_RDONLY | O_CLOEXEC);
    int out = open(part, O_WRONLY | O_CLOEXEC);
    loff_t out_off = offset;
    bool ok = in >= 0 && out >= 0 && ftruncate(out, offset) == 0;

    while (ok && len > 0) {
        ssize_t n = copy_file_range(in, NULL, out, &out_off, (size_t) MIN(len, 1 << 30), 0);

        if (n < 0 && errno == EINTR) {
            continue;
        }
        ok = n > 0;
        len -= n;
    }
    ok = ok && yps_flush_chunk(out, last);
    if (in >= 0) {
        close(in);
    }
    if (out >= 0) {
        close(out);
    }
    return ok;
}

/* Stores chunk BODY of LEN bytes at the upload's offset; an acknowledged
 * chunk is durable (the LAST one once the blob store has it). */
static yp_status_t
yps_store_chunk(yps_req_t *r, const yps_upload_t *u, const char *body, int64_t len, bool last)
{
    g_autofree char *part = yps_part_path(r, u->id);
    bool ok;
    int fd;

    if (u->offset == 0) {
        /* the whole first chunk becomes the staging file without a copy */
        if (rename(body, part) != 0) {
            return yps_fail(r, YP_STATUS_INTERNAL, "cannot stage chunk: %s", g_strerror(errno));
        }
        fd = open(part, O_RDONLY | O_CLOEXEC);
        ok = fd >= 0 && yps_flush_chunk(fd, last);
        if (fd >= 0) {
            close(fd);
        }
    } else {
        ok = yps_append_chunk(body, part, u->offset, len, last);
    }
    return ok ? YP_STATUS_OK
              : yps_fail(r, YP_STATUS_INTERNAL, "cannot store chunk: %s", g_strerror(errno));
}

static yp_status_t
yps_offset_mismatch(yps_req_t *r, const yps_upload_t *u)
{
    r->error_extra = json_object_new();
    json_object_set_int_member(r->error_extra, "offset", u->offset);
    return yps_fail(r, YP_STATUS_OFFSET_MISMATCH, "The upload stands at %" G_GINT64_FORMAT,
                    u->offset);
}

/*
 * Hashes staging file FD. It is ours alone (nothing else writes or truncates
 * it), so it can be mapped: no copy into a buffer, which is measurably faster
 * than read() on the largest cost of an upload. Falls back to read() where
 * mapping fails.
 */
static int
yps_hash_staged(int fd, char hex[65], uint64_t *size)
{
    struct stat st;
    yp_sha256_t *ctx;
    void *map;

    if (fstat(fd, &st) != 0) {
        return -errno;
    }
    if (st.st_size == 0) {
        return yp_sha256_fd(fd, hex, size);
    }
    map = mmap(NULL, (size_t) st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (map == MAP_FAILED) {
        return yp_sha256_fd(fd, hex, size);
    }
    (void) madvise(map, (size_t) st.st_size, MADV_SEQUENTIAL);
    ctx = yp_sha256_new();
    yp_sha256_update(ctx, map, (size_t) st.st_size);
    yp_sha256_finish_hex(ctx, hex);
    yp_sha256_free(ctx);
    munmap(map, (size_t) st.st_size);
    *size = (uint64_t) st.st_size;
    return 0;
}

/* The last byte arrived: hash everything and commit, or throw it away. */
static yp_status_t
yps_upload_finish(yps_req_t *r, yps_upload_t *u)
{
    g_autofree char *part = yps_part_path(r, u->id);
    char actual[65];
    uint64_t size = 0;
    int fd = open(part, O_RDONLY | O_CLOEXEC);
    int rc = fd < 0 ? -errno : yps_hash_staged(fd, actual, &size);
    yp_status_t st;

    if (fd >= 0) {
        close(fd);
    }
    if (rc != 0) {
        return yps_fail(r, YP_STATUS_INTERNAL, "cannot hash the upload: %s", g_strerror(-rc));
    }
    if ((int64_t) size != u->size || strcmp(actual, u->sha256) != 0) {
        yps_upload_discard(r, u->id);
        return yps_fail(r, YP_STATUS_HASH_MISMATCH, "The content hashes to %s", actual);
    }
    st = yps_upload_commit(r, u, part, false);
    if (st != YP_STATUS_OK) {
        /* the destination changed meanwhile: this upload can never land */
        yps_upload_discard(r, u->id);
    }
    return st;
}

yp_status_t
yps_handle_upload_put(yps_req_t *r)
{
    yps_meta_t *meta = r->srv->meta;
    g_auto(yps_upload_t) u = { 0 };
    const char *body = yps_param(r, "YP_BODY_FILE");
    struct stat st_body;
    int64_t offset = -1;
    bool has_offset = false;
    yp_status_t st;

    if ((st = meta->ops->upload_get(meta, r->user_id, r->arg, &u)) != YP_STATUS_OK
        || (st = yps_query_int(r, "offset", 0, YPS_SIZE_MAX, &offset, &has_offset))
           != YP_STATUS_OK) {
        return st;
    }
    if (!has_offset) {
        return yps_fail(r, YP_STATUS_INVALID_ARGUMENT, "offset: required");
    }
    if (offset != u.offset) {
        return yps_offset_mismatch(r, &u);
    }
    if (body == NULL || *body == '\0' || stat(body, &st_body) != 0 || st_body.st_size == 0) {
        return yps_fail(r, YP_STATUS_INVALID_ARGUMENT, "The chunk is empty");
    }
    if (st_body.st_size > u.size - u.offset) {
        return yps_fail(r, YP_STATUS_TOO_LARGE, "The chunk runs past the declared size");
    }
    if ((st = yps_store_chunk(r, &u, body, st_body.st_size,
                              u.offset + st_body.st_size == u.size)) != YP_STATUS_OK) {
        return st;
    }
    u.offset += st_body.st_size;
    if (u.offset == u.size) {
        return yps_upload_finish(r, &u);
    }
    u.expires = yps_now() + r->srv->upload_ttl;
    if ((st = meta->ops->upload_advance(meta, u.id, u.offset, u.expires)) != YP_STATUS_OK) {
        return st;
    }
    json_object_set_object_member(yps_reply(r, 200), "upload", yps_upload_json(&u));
    return YP_STATUS_OK;
}

yp_status_t
yps_handle_upload_get(yps_req_t *r)
{
    g_auto(yps_upload_t) u = { 0 };
    yp_status_t st = r->srv->meta->ops->upload_get(r->srv->meta, r->user_id, r->arg, &u);

    if (st == YP_STATUS_OK) {
        json_object_set_object_member(yps_reply(r, 200), "upload", yps_upload_json(&u));
    }
    return st;
}

yp_status_t
yps_handle_upload_delete(yps_req_t *r)
{
    g_auto(yps_upload_t) u = { 0 };
    yp_status_t st = r->srv->meta->ops->upload_get(r->srv->meta, r->user_id, r->arg, &u);

    if (st == YP_STATUS_OK) {
        yps_upload_discard(r, u.id);
        yps_reply(r, 200);
    }
    return st;
}
