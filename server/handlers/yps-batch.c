/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * yps-batch.c: many small files in one request.
 *
 * A client that syncs thousands of small files would otherwise pay a round
 * trip, a transaction and several fsyncs for each. Two endpoints take a
 * list of entries instead; every entry is validated and authorized like the
 * single request it stands for, and answered on its own (one entry's error
 * does not stop the others):
 *
 *  - POST uploads/batch starts many uploads: each entry gets what a single
 *    start gives, by running that start itself.
 *  - POST files/batch carries the bytes too. The body is a JSON manifest on
 *    one line, then the files' bytes one after the other in the manifest's
 *    order (docs/protocol.md, "Batches"). nginx writes the body to a file
 *    (YP_BODY_FILE). The server hashes every file itself and stores every
 *    good entry's blob as one group (the blob store's put_many, which shares
 *    its disk syncs); only then does it commit all of them in one
 *    transaction. A crash leaves an entry either committed with its blob on
 *    disk or absent; blob files that no row names are swept at start.
 *
 * Both read bodies larger than the 64 KiB of other JSON requests, so they
 * take their Idempotency-Key themselves once the body is in.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "yp-hash.h"
#include "yps-idempotency.h"
#include "yps-batch-private.h"
#include "yps-uploads-private.h"

#define YPS_BATCH_ENTRIES_MAX   1000
/* uploads/batch: its JSON body (nginx's client_max_body_size there too) */
#define YPS_BATCH_JSON_MAX      (1024 * 1024)
/* files/batch: the manifest line, each file, and the whole body (nginx's
 * client_max_body_size on that location) */
#define YPS_BATCH_MANIFEST_MAX  (1024 * 1024)
#define YPS_BATCH_FILE_MAX      ((int64_t) 1024 * 1024)
#define YPS_BATCH_BODY_MAX      ((int64_t) 64 * 1024 * 1024)

/* ------------------------------------------------------------------------
 * Shared: the body, the entries, per-entry answers
 * ------------------------------------------------------------------------ */

/* Parses the LEN bytes of TEXT as the batch's JSON object, keeping the
 * parser in R; *ENTRIES gets its "entries" array (checked for size). */
static yp_status_t
yps_batch_parse(yps_req_t *r, const char *text, size_t len, JsonArray **entries)
{
    g_autoptr(GError) error = NULL;
    JsonNode *root, *member;

    if (!g_utf8_validate(text, (gssize) len, NULL)) {
        return yps_fail(r, YP_STATUS_INVALID_JSON, "The manifest is not valid UTF-8");
    }
    if (yps_json_has_nul_escape(text)) {
        return yps_fail(r, YP_STATUS_INVALID_JSON, "Strings must not contain NUL characters");
    }
    r->parser = json_parser_new_immutable();
    if (!json_parser_load_from_data(r->parser, text, (gssize) len, &error)) {
        return yps_fail(r, YP_STATUS_INVALID_JSON, "Invalid JSON: %s", error->message);
    }
    root = json_parser_get_root(r->parser);
    if (root == NULL || !JSON_NODE_HOLDS_OBJECT(root)) {
        return yps_fail(r, YP_STATUS_INVALID_JSON, "The manifest must be a JSON object");
    }
    member = json_object_get_member(json_node_get_object(root), "entries");
    if (member == NULL || !JSON_NODE_HOLDS_ARRAY(member)) {
        return yps_fail(r, YP_STATUS_INVALID_ARGUMENT, "entries: an array is required");
    }
    *entries = json_node_get_array(member);
    if (json_array_get_length(*entries) > YPS_BATCH_ENTRIES_MAX) {
        return yps_fail(r, YP_STATUS_TOO_LARGE, "A batch has at most %d entries",
                        YPS_BATCH_ENTRIES_MAX);
    }
    return YP_STATUS_OK;
}

/* The error object of one entry that failed with ST, from what the handler
 * left in R (its message and extra members), which is then cleared for
 * the next entry. */
static JsonObject *
yps_batch_error(yps_req_t *r, yp_status_t st)
{
    JsonObject *outer = json_object_new();
    JsonObject *error = r->error_extra ? g_steal_pointer(&r->error_extra) : json_object_new();

    if (st == YP_STATUS_INTERNAL) {
        g_warning("%s %s: an entry failed: %s", r->method, r->uri,
                  r->message[0] ? r->message : "internal error");
        /* the details stay in the log */
        r->message[0] = '\0';
    }
    json_object_set_string_member(error, "code", yp_status_code(st));
    json_object_set_string_member(error, "message",
                                  r->message[0] ? r->message : yp_status_message(st));
    json_object_set_object_member(outer, "error", error);
    r->message[0] = '\0';
    return outer;
}

/* Makes ENTRY the body the single-entry helpers read; false when it is not
 * an object. */
static bool
yps_batch_select(yps_req_t *r, JsonNode *entry)
{
    r->message[0] = '\0';
    g_clear_pointer(&r->error_extra, json_object_unref);
    r->body = entry && JSON_NODE_HOLDS_OBJECT(entry) ? json_node_get_object(entry) : NULL;
    return r->body != NULL;
}

/* Sends the reply {"entries": RESULTS}. */
static yp_status_t
yps_batch_reply(yps_req_t *r, JsonArray *results)
{
    JsonObject *reply;

    r->body = NULL;
    g_clear_pointer(&r->error_extra, json_object_unref);
    g_clear_pointer(&r->reply, json_object_unref);
    reply = yps_reply(r, 200);
    json_object_set_array_member(reply, "entries", json_array_ref(results));
    return YP_STATUS_OK;
}

/* ------------------------------------------------------------------------
 * POST uploads/batch
 * ------------------------------------------------------------------------ */

/* The JSON body of at most YPS_BATCH_JSON_MAX bytes, into r->body_text
 * (which the Idempotency-Key's fingerprint digests). */
static yp_status_t
yps_batch_read_body(yps_req_t *r)
{
    const char *length = yps_param(r, "CONTENT_LENGTH");
    int64_t len = length ? g_ascii_strtoll(length, NULL, 10) : 0;
    int got;

    if (len > YPS_BATCH_JSON_MAX) {
        return yps_fail(r, YP_STATUS_TOO_LARGE, "The body is limited to %d bytes",
                        YPS_BATCH_JSON_MAX);
    }
    if (len <= 0) {
        return yps_fail(r, YP_STATUS_INVALID_JSON, "A JSON object body is required");
    }
    r->body_text = g_malloc((size_t) len + 1);
    got = FCGX_GetStr(r->body_text, (int) len, r->fcgi->in);
    if (got != len) {
        return yps_fail(r, YP_STATUS_BAD_REQUEST, "The body ended early");
    }
    r->body_text[len] = '\0';
    r->body_len = (size_t) len;
    return YP_STATUS_OK;
}

/* One entry: the single start's own handler, on the entry as its body. */
static JsonObject *
yps_batch_start_one(yps_req_t *r, JsonNode *entry)
{
    yp_status_t st;

    if (!yps_batch_select(r, entry)) {
        return yps_batch_error(r, yps_fail(r, YP_STATUS_INVALID_ARGUMENT,
                                           "An entry must be an object"));
    }
    g_clear_pointer(&r->reply, json_object_unref);
    st = yps_handle_upload_start(r);
    if (st != YP_STATUS_OK) {
        return yps_batch_error(r, st);
    }
    return g_steal_pointer(&r->reply);
}

yp_status_t
yps_handle_uploads_batch(yps_req_t *r)
{
    g_autoptr(JsonArray) results = json_array_new();
    JsonArray *entries = NULL;
    yp_status_t st;

    if ((st = yps_batch_read_body(r)) != YP_STATUS_OK
        || (st = yps_batch_parse(r, r->body_text, r->body_len, &entries)) != YP_STATUS_OK
        || (st = yps_idempotency_begin(r, false)) != YP_STATUS_OK || r->replay.http != 0) {
        return st;
    }
    for (guint i = 0; i < json_array_get_length(entries); i++) {
        json_array_add_object_element(results,
                                      yps_batch_start_one(r, json_array_get_element(entries, i)));
    }
    return yps_batch_reply(r, results);
}

/* ------------------------------------------------------------------------
 * POST files/batch: reading the manifest and checking each entry
 * ------------------------------------------------------------------------ */

typedef struct {
    char hex[65];
} yps_sha256_hex_t;

typedef struct {
    yps_batch_file_t *files;
    char            **names;      /* owned copies: files[i].name */
    yps_sha256_hex_t *sha256;
    const char      **data;       /* into the body */
    JsonObject      **errors;     /* the entries refused before the commit */
    bool             *added;      /* the blob was not on disk before */
    size_t            n;
} yps_batch_t;

static void
yps_batch_clear(yps_batch_t *b)
{
    for (size_t i = 0; i < b->n; i++) {
        yps_node_clear(&b->files[i].node);
        g_free(b->names[i]);
        if (b->errors[i]) {
            json_object_unref(b->errors[i]);
        }
    }
    g_free(b->files);
    g_free(b->names);
    g_free(b->sha256);
    g_free(b->data);
    g_free(b->errors);
    g_free(b->added);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(yps_batch_t, yps_batch_clear)

/* Every entry's size, which frames the bytes: without all of them, no
 * entry's bytes can be found, so a bad one refuses the whole request. */
static yp_status_t
yps_batch_frame(yps_req_t *r, JsonArray *entries, yps_batch_t *b, const char *bytes,
                int64_t len)
{
    int64_t offset = 0;

    b->n = json_array_get_length(entries);
    b->files = g_new0(yps_batch_file_t, b->n);
    b->names = g_new0(char *, b->n);
    b->sha256 = g_new0(yps_sha256_hex_t, b->n);
    b->data = g_new0(const char *, b->n);
    b->errors = g_new0(JsonObject *, b->n);
    b->added = g_new0(bool, b->n);
    for (size_t i = 0; i < b->n; i++) {
        JsonNode *entry = json_array_get_element(entries, (guint) i);
        yp_status_t st;

        if (!yps_batch_select(r, entry)) {
            return yps_fail(r, YP_STATUS_INVALID_ARGUMENT, "entries[%zu]: not an object", i);
        }
        if ((st = yps_body_int(r, "size", true, 0, YPS_SIZE_MAX, &b->files[i].size, NULL))
            != YP_STATUS_OK) {
            g_autofree char *why = g_strdup(r->message);

            return yps_fail(r, st, "entries[%zu]: %s", i, why);
        }
        b->data[i] = bytes + MIN(offset, len);
        offset += b->files[i].size;
    }
    if (offset != len) {
        return yps_fail(r, YP_STATUS_BAD_REQUEST, "The entries declare %" G_GINT64_FORMAT
                        " bytes, but %" G_GINT64_FORMAT " follow the manifest", offset, len);
    }
    return YP_STATUS_OK;
}

/* The fields of entry I, as the single start reads them, and its bytes'
 * hash; the first check that fails is the entry's error. */
static yp_status_t
yps_batch_check_one(yps_req_t *r, JsonArray *entries, yps_batch_t *b, size_t i)
{
    yps_batch_file_t *f = &b->files[i];
    const char *name = NULL, *sha256 = NULL;
    bool has_mtime = false;
    yp_sha256_t *hash;
    char actual[65];
    yp_status_t st;

    yps_batch_select(r, json_array_get_element(entries, (guint) i));
    if ((st = yps_resolve_destination(r, "path", "parent_id", "name", &f->parent_id, &name))
            != YP_STATUS_OK
        || (st = yps_body_string(r, "sha256", true, &sha256)) != YP_STATUS_OK
        || (st = yps_body_int(r, "mtime", false, 0, G_MAXINT64, &f->mtime, &has_mtime))
           != YP_STATUS_OK
        || (st = yps_body_int(r, "if_version", false, 1, G_MAXINT64, &f->if_version, NULL))
           != YP_STATUS_OK) {
        return st;
    }
    if (!yp_sha256_hex_is_valid(sha256)) {
        return yps_fail(r, YP_STATUS_INVALID_ARGUMENT, "sha256: 64 lower-case hex digits");
    }
    if (f->size > YPS_BATCH_FILE_MAX) {
        return yps_fail(r, YP_STATUS_TOO_LARGE, "A file in a batch has at most %" G_GINT64_FORMAT
                        " bytes; upload larger ones on their own", YPS_BATCH_FILE_MAX);
    }
    b->names[i] = g_strdup(name);
    f->name = b->names[i];
    g_strlcpy(b->sha256[i].hex, sha256, sizeof(b->sha256[i].hex));
    f->sha256 = b->sha256[i].hex;
    if (!has_mtime) {
        f->mtime = _yps_now();
    }
    hash = yp_sha256_new();
    yp_sha256_update(hash, b->data[i], (size_t) f->size);
    yp_sha256_finish_hex(hash, actual);
    yp_sha256_free(hash);
    if (strcmp(actual, f->sha256) != 0) {
        return yps_fail(r, YP_STATUS_HASH_MISMATCH, "The bytes hash to %s; nothing was stored",
                        actual);
    }
    return YP_STATUS_OK;
}

/* ------------------------------------------------------------------------
 * POST files/batch: the blobs, durably, as one group
 * ------------------------------------------------------------------------ */

/* Under the blob lock: the good entries' blobs, through the store's group
 * put, which shares its disk syncs across them. */
static yp_status_t
yps_batch_store(yps_req_t *r, yps_batch_t *b)
{
    g_autofree yps_blob_item_t *items = g_new0(yps_blob_item_t, b->n);
    g_autofree size_t *index = g_new0(size_t, b->n);
    g_autoptr(GError) error = NULL;
    size_t n = 0;

    for (size_t i = 0; i < b->n; i++) {
        if (b->files[i].status == YP_STATUS_OK) {
            items[n] = (yps_blob_item_t) { .sha256 = b->sha256[i].hex, .data = b->data[i],
                                           .len = (size_t) b->files[i].size };
            index[n++] = i;
        }
    }
    if (!yps_blob_put_many(r->srv->blob, items, n, r->srv->uploads_dir, &error)) {
        return yps_fail(r, YP_STATUS_INTERNAL, "%s", error->message);
    }
    for (size_t k = 0; k < n; k++) {
        b->added[index[k]] = items[k].added;
    }
    return YP_STATUS_OK;
}

/* Removes the blobs this batch added for entries that were not committed,
 * unless a committed entry (or anything else) refers to the same content. */
static void
yps_batch_unstore(yps_req_t *r, yps_batch_t *b, bool all)
{
    yps_meta_t *meta = r->srv->meta;

    for (size_t i = 0; i < b->n; i++) {
        int64_t size = 0;

        if (!b->added[i] || (!all && b->files[i].status == YP_STATUS_OK)
            || (!all && meta->ops->blob_find(meta, b->sha256[i].hex, &size) == YP_STATUS_OK)) {
            continue;
        }
        r->srv->blob->ops->remove(r->srv->blob, b->sha256[i].hex, NULL);
    }
}

/* ------------------------------------------------------------------------
 * POST files/batch: the commit and the answer
 * ------------------------------------------------------------------------ */

/* The blobs, then the rows, under the blob lock, so that no delete removes
 * a blob between its rename and the row that refers to it. */
static yp_status_t
yps_batch_commit(yps_req_t *r, yps_batch_t *b, int64_t *cursor)
{
    yps_server_t *srv = r->srv;
    g_autoptr(GPtrArray) orphans = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GError) error = NULL;
    yps_usage_t usage = { 0 };
    yp_status_t st;

    if ((st = srv->meta->ops->user_usage(srv->meta, r->user_id, &usage)) != YP_STATUS_OK) {
        return st;
    }
    if (!srv->blob->ops->lock(srv->blob, &error)) {
        return yps_fail(r, YP_STATUS_INTERNAL, "%s", error->message);
    }
    st = yps_batch_store(r, b);
    if (st == YP_STATUS_OK) {
        st = srv->meta->ops->files_commit(srv->meta, r->user_id, b->files, b->n, _yps_now(),
                                          _yps_quota(r, &usage), orphans);
    }
    yps_batch_unstore(r, b, st != YP_STATUS_OK);
    if (st == YP_STATUS_OK) {
        yps_remove_orphans(r, orphans);
    }
    srv->blob->ops->unlock(srv->blob);
    for (size_t i = 0; st == YP_STATUS_OK && i < b->n; i++) {
        if (b->files[i].status == YP_STATUS_OK) {
            *cursor = MAX(*cursor, b->files[i].node.version);
        }
    }
    return st;
}

/* The answer of entry I after the commit. */
static JsonObject *
yps_batch_result(yps_req_t *r, yps_batch_t *b, size_t i)
{
    yps_batch_file_t *f = &b->files[i];
    JsonObject *o;

    if (b->errors[i]) {
        return g_steal_pointer(&b->errors[i]);
    }
    if (f->status == YP_STATUS_OK) {
        o = json_object_new();
        json_object_set_object_member(o, "file", yps_node_json(&f->node));
        return o;
    }
    if (f->status == YP_STATUS_CONFLICT && f->current_version != 0) {
        r->error_extra = json_object_new();
        json_object_set_int_member(r->error_extra, "version", f->current_version);
    }
    return yps_batch_error(r, f->status);
}

/* The whole body nginx wrote to YP_BODY_FILE, into r->body_text. */
static yp_status_t
yps_batch_load(yps_req_t *r)
{
    const char *path = yps_param(r, "YP_BODY_FILE");
    g_autoptr(GError) error = NULL;
    gsize len = 0;
    struct stat st;

    if (path == NULL || *path == '\0') {
        return yps_fail(r, YP_STATUS_INVALID_JSON, "A manifest body is required");
    }
    if (stat(path, &st) != 0) {
        return yps_fail(r, YP_STATUS_INTERNAL, "stat %s: %s", path, g_strerror(errno));
    }
    if (st.st_size > YPS_BATCH_BODY_MAX) {
        return yps_fail(r, YP_STATUS_TOO_LARGE, "A batch is limited to %" G_GINT64_FORMAT
                        " bytes", YPS_BATCH_BODY_MAX);
    }
    if (!g_file_get_contents(path, &r->body_text, &len, &error)) {
        return yps_fail(r, YP_STATUS_INTERNAL, "%s", error->message);
    }
    r->body_len = len;
    return YP_STATUS_OK;
}

/* The manifest: the body up to its first newline. */
static yp_status_t
yps_batch_manifest(yps_req_t *r, size_t *manifest_len)
{
    size_t scan = MIN(r->body_len, (size_t) YPS_BATCH_MANIFEST_MAX + 1);
    const char *nl = r->body_len ? memchr(r->body_text, '\n', scan) : NULL;

    if (r->body_len == 0) {
        return yps_fail(r, YP_STATUS_INVALID_JSON, "A manifest body is required");
    }
    if (nl == NULL) {
        return yps_fail(r, scan > YPS_BATCH_MANIFEST_MAX ? YP_STATUS_TOO_LARGE
                                                         : YP_STATUS_INVALID_JSON,
                        "The manifest is one line of at most %d bytes, ending in a newline",
                        YPS_BATCH_MANIFEST_MAX);
    }
    *manifest_len = (size_t) (nl - r->body_text);
    return YP_STATUS_OK;
}

yp_status_t
yps_handle_files_batch(yps_req_t *r)
{
    g_autoptr(JsonArray) results = json_array_new();
    g_auto(yps_batch_t) b = { 0 };
    g_autofree char *manifest = NULL;
    JsonArray *entries = NULL;
    size_t manifest_len = 0;
    int64_t cursor = 0;
    yp_status_t st;

    if ((st = yps_batch_load(r)) != YP_STATUS_OK
        || (st = yps_batch_manifest(r, &manifest_len)) != YP_STATUS_OK) {
        return st;
    }
    manifest = g_strndup(r->body_text, manifest_len);
    if ((st = yps_batch_parse(r, manifest, manifest_len, &entries)) != YP_STATUS_OK
        || (st = yps_batch_frame(r, entries, &b, r->body_text + manifest_len + 1,
                                 (int64_t) (r->body_len - manifest_len - 1))) != YP_STATUS_OK
        || (st = yps_idempotency_begin(r, false)) != YP_STATUS_OK || r->replay.http != 0) {
        return st;
    }
    for (size_t i = 0; i < b.n; i++) {
        b.files[i].status = yps_batch_check_one(r, entries, &b, i);
        if (b.files[i].status != YP_STATUS_OK) {
            b.errors[i] = yps_batch_error(r, b.files[i].status);
        }
    }
    if ((st = yps_batch_commit(r, &b, &cursor)) != YP_STATUS_OK) {
        return st;
    }
    if (cursor > 0) {
        yps_committed(r, cursor);
    }
    for (size_t i = 0; i < b.n; i++) {
        json_array_add_object_element(results, yps_batch_result(r, &b, i));
    }
    return yps_batch_reply(r, results);
}

/* ------------------------------------------------------------------------
 * Admission: nginx asks before it reads a files/batch body
 * ------------------------------------------------------------------------ */

/* A POST by a caller with a valid session; the handler checks the rest. */
static yp_status_t
yps_batch_admit(yps_req_t *r)
{
    const char *method = yps_param(r, "YP_ORIGINAL_METHOD");

    if (method == NULL || strcmp(method, "POST") != 0) {
        return YP_STATUS_METHOD_NOT_ALLOWED;
    }
    return yps_authenticate(r);
}

yp_status_t
yps_handle_batch_auth(yps_req_t *r)
{
    return yps_auth_request_answer(r, yps_batch_admit(r));
}

yp_status_t
yps_handle_batch_refused(yps_req_t *r)
{
    /* the session came into being between the two looks */
    return yps_auth_request_refused(r, yps_batch_admit(r), "Retry the batch");
}
