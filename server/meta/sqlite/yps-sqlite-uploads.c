/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * yps-sqlite-uploads.c: upload sessions.
 */
#include <string.h>

#include <gio/gio.h>
#include <sqlite3.h>

#include "yps-sqlite-private.h"

/* ------------------------------------------------------------------------
 * Upload sessions
 * ------------------------------------------------------------------------ */

/* Inside the transaction: QUOTA_EXCEEDED when U does not fit, RATE_LIMITED
 * when the account has MAX_UPLOADS in progress already. */
static yp_status_t
yps_upload_admit(yps_sqlite_t *s, const yps_upload_t *u, int64_t quota, int64_t replaced,
                 int64_t max_uploads, yps_usage_t *usage)
{
    sqlite3_stmt *stmt = yps_stmt(s, "SELECT count(*) FROM uploads WHERE user_id = ?");
    int64_t uploads;
    yp_status_t st;

    sqlite3_bind_int64(stmt, 1, u->user_id);
    if (sqlite3_step(stmt) != SQLITE_ROW) {
        return yps_sqlite_error(s, "count uploads");
    }
    uploads = sqlite3_column_int64(stmt, 0);
    sqlite3_reset(stmt);
    if (uploads >= max_uploads) {
        return YP_STATUS_RATE_LIMITED;
    }
    if ((st = yps_sqlite_user_usage(&s->base, u->user_id, usage)) != YP_STATUS_OK) {
        return st;
    }
    if (usage->quota >= 0) {
        quota = usage->quota;
    }
    usage->quota = quota;
    /* in doubles: declared sizes of many uploads may add up past 2^63 */
    if (quota > 0
        && (double) usage->used + (double) usage->reserved + (double) (u->size - replaced)
           > (double) quota) {
        return YP_STATUS_QUOTA_EXCEEDED;
    }
    return YP_STATUS_OK;
}

static yp_status_t
yps_upload_insert(yps_sqlite_t *s, const yps_upload_t *u)
{
    sqlite3_stmt *stmt = yps_stmt(s,
        "INSERT INTO uploads (id, user_id, parent_id, name, sha256, size, mtime, if_version,"
        " offset, expires, challenge) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");

    sqlite3_bind_text(stmt, 1, u->id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(stmt, 2, u->user_id);
    sqlite3_bind_int64(stmt, 3, u->parent_id);
    sqlite3_bind_text(stmt, 4, u->name, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 5, u->sha256, -1, SQLITE_STATIC);
    sqlite3_bind_int64(stmt, 6, u->size);
    sqlite3_bind_int64(stmt, 7, u->mtime);
    sqlite3_bind_int64(stmt, 8, u->if_version);
    sqlite3_bind_int64(stmt, 9, u->offset);
    sqlite3_bind_int64(stmt, 10, u->expires);
    sqlite3_bind_text(stmt, 11, u->challenge, -1, SQLITE_STATIC);
    if (sqlite3_step(stmt) != SQLITE_DONE) {
        return yps_sqlite_error(s, "create upload");
    }
    return YP_STATUS_OK;
}

yp_status_t
yps_sqlite_upload_create(yps_meta_t *meta, const yps_upload_t *u, int64_t quota,
                         int64_t replaced, int64_t max_uploads, yps_usage_t *usage)
{
    yps_sqlite_t *s = YPS_SQLITE(meta);
    yp_status_t st = yps_begin(s);

    if (st != YP_STATUS_OK) {
        return st;
    }
    st = yps_upload_admit(s, u, quota, replaced, max_uploads, usage);
    return yps_end(s, st == YP_STATUS_OK ? yps_upload_insert(s, u) : st);
}

yp_status_t
yps_sqlite_upload_get(yps_meta_t *meta, int64_t user_id, const char *id, yps_upload_t *u)
{
    yps_sqlite_t *s = YPS_SQLITE(meta);
    sqlite3_stmt *stmt = yps_stmt(s,
        "SELECT parent_id, name, sha256, size, mtime, if_version, offset, expires, challenge,"
        " hash_state FROM uploads WHERE id = ? AND user_id = ?");
    int rc;

    sqlite3_bind_text(stmt, 1, id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(stmt, 2, user_id);
    rc = sqlite3_step(stmt);
    if (rc == SQLITE_DONE) {
        return YP_STATUS_NOT_FOUND;
    }
    if (rc != SQLITE_ROW) {
        return yps_sqlite_error(s, "get upload");
    }
    g_strlcpy(u->id, id, sizeof(u->id));
    u->user_id = user_id;
    u->parent_id = sqlite3_column_int64(stmt, 0);
    u->name = yps_column_strdup(stmt, 1);
    g_strlcpy(u->sha256, (const char *) sqlite3_column_text(stmt, 2), sizeof(u->sha256));
    u->size = sqlite3_column_int64(stmt, 3);
    u->mtime = sqlite3_column_int64(stmt, 4);
    u->if_version = sqlite3_column_int64(stmt, 5);
    u->offset = sqlite3_column_int64(stmt, 6);
    u->expires = sqlite3_column_int64(stmt, 7);
    u->challenge = yps_column_strdup(stmt, 8);
    u->hash_state_len = 0;
    if (sqlite3_column_bytes(stmt, 9) == (int) sizeof(u->hash_state)) {
        memcpy(u->hash_state, sqlite3_column_blob(stmt, 9), sizeof(u->hash_state));
        u->hash_state_len = sizeof(u->hash_state);
    }
    sqlite3_reset(stmt);
    return YP_STATUS_OK;
}

yp_status_t
yps_sqlite_upload_find(yps_meta_t *meta, const char *id)
{
    yps_sqlite_t *s = YPS_SQLITE(meta);
    sqlite3_stmt *stmt = yps_stmt(s, "SELECT 1 FROM uploads WHERE id = ?");
    int rc;

    sqlite3_bind_text(stmt, 1, id, -1, SQLITE_STATIC);
    rc = sqlite3_step(stmt);
    sqlite3_reset(stmt);
    if (rc == SQLITE_ROW) {
        return YP_STATUS_OK;
    }
    return rc == SQLITE_DONE ? YP_STATUS_NOT_FOUND : yps_sqlite_error(s, "find upload");
}

yp_status_t
yps_sqlite_upload_advance(yps_meta_t *meta, const char *id, int64_t from, int64_t to,
                          int64_t expires, const uint8_t *hash_state, size_t hash_state_len)
{
    yps_sqlite_t *s = YPS_SQLITE(meta);
    sqlite3_stmt *stmt = yps_stmt(s, "UPDATE uploads SET offset = ?, expires = ?, hash_state = ?"
                                     " WHERE id = ? AND offset = ?");

    sqlite3_bind_int64(stmt, 1, to);
    sqlite3_bind_int64(stmt, 2, expires);
    if (hash_state_len > 0) {
        sqlite3_bind_blob(stmt, 3, hash_state, (int) hash_state_len, SQLITE_TRANSIENT);
    } else {
        sqlite3_bind_null(stmt, 3);
    }
    sqlite3_bind_text(stmt, 4, id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(stmt, 5, from);
    if (sqlite3_step(stmt) != SQLITE_DONE) {
        return yps_sqlite_error(s, "advance upload");
    }
    /* compare-and-set: another request moved the upload (or removed it) */
    return sqlite3_changes(s->db) == 1 ? YP_STATUS_OK : YP_STATUS_OFFSET_MISMATCH;
}

yp_status_t
yps_sqlite_upload_spend_challenge(yps_meta_t *meta, const char *id, const char *challenge)
{
    yps_sqlite_t *s = YPS_SQLITE(meta);
    sqlite3_stmt *stmt = yps_stmt(s, "UPDATE uploads SET challenge = NULL"
                                     " WHERE id = ? AND challenge = ?");

    sqlite3_bind_text(stmt, 1, id, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 2, challenge, -1, SQLITE_STATIC);
    if (sqlite3_step(stmt) != SQLITE_DONE) {
        return yps_sqlite_error(s, "spend challenge");
    }
    /* exactly one request spends a challenge, however many arrive at once */
    return sqlite3_changes(s->db) == 1 ? YP_STATUS_OK : YP_STATUS_NO_CHALLENGE;
}

yp_status_t
yps_sqlite_upload_delete(yps_meta_t *meta, const char *id)
{
    yps_sqlite_t *s = YPS_SQLITE(meta);
    sqlite3_stmt *stmt = yps_stmt(s, "DELETE FROM uploads WHERE id = ?");

    sqlite3_bind_text(stmt, 1, id, -1, SQLITE_STATIC);
    if (sqlite3_step(stmt) != SQLITE_DONE) {
        return yps_sqlite_error(s, "delete upload");
    }
    return YP_STATUS_OK;
}

yp_status_t
yps_sqlite_upload_expired(yps_meta_t *meta, int64_t now, GPtrArray *ids)
{
    yps_sqlite_t *s = YPS_SQLITE(meta);
    sqlite3_stmt *stmt = yps_stmt(s, "SELECT id FROM uploads WHERE expires < ? LIMIT 100");
    int rc;

    sqlite3_bind_int64(stmt, 1, now);
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        g_ptr_array_add(ids, yps_column_strdup(stmt, 0));
    }
    return rc == SQLITE_DONE ? YP_STATUS_OK : yps_sqlite_error(s, "expired uploads");
}
