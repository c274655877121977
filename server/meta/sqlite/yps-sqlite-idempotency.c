/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * yps-sqlite-idempotency.c: Idempotency-Keys (schema version 5). A row is
 * a reservation while its status is NULL and the kept answer once it has
 * one; the reservation commits before the request runs, in a transaction of
 * its own, so it survives a worker that dies while the request runs.
 */
#include <string.h>

#include <sqlite3.h>

#include "yps-sqlite-private.h"

/* Takes the key for IDEM's request: a new row, or one that is forgotten or
 * abandoned made over to it. */
static yp_status_t
yps_idem_claim(yps_sqlite_t *s, const yps_idem_t *idem, int64_t now)
{
    sqlite3_stmt *stmt = yps_stmt(s,
        "INSERT INTO idempotency (user_id, key, fingerprint, owner, created)"
        " VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (user_id, key) DO UPDATE SET"
        " fingerprint = ?3, owner = ?4, created = ?5, status = NULL, body = NULL");

    if (stmt == NULL) {
        return YP_STATUS_INTERNAL;
    }
    sqlite3_bind_int64(stmt, 1, idem->user_id);
    sqlite3_bind_text(stmt, 2, idem->key, -1, SQLITE_STATIC);
    sqlite3_bind_blob(stmt, 3, idem->fingerprint, sizeof(idem->fingerprint), SQLITE_STATIC);
    sqlite3_bind_int64(stmt, 4, idem->owner);
    sqlite3_bind_int64(stmt, 5, now);
    if (sqlite3_step(stmt) != SQLITE_DONE) {
        return yps_sqlite_error(s, "reserve idempotency key");
    }
    return YP_STATUS_OK;
}

/* What the row of IDEM's key, just read by STMT, means for IDEM's request. */
static yp_status_t
yps_idem_judge(yps_sqlite_t *s, sqlite3_stmt *stmt, const yps_idem_t *idem, int64_t now,
               int64_t stale_before, yps_idem_answer_t *answer)
{
    const void *fingerprint = sqlite3_column_blob(stmt, 0);
    int64_t created = sqlite3_column_int64(stmt, 1);

    if (fingerprint == NULL || sqlite3_column_bytes(stmt, 0) != sizeof(idem->fingerprint)
        || memcmp(fingerprint, idem->fingerprint, sizeof(idem->fingerprint)) != 0) {
        return YP_STATUS_IDEMPOTENCY_KEY_REUSED;
    }
    if (sqlite3_column_type(stmt, 2) != SQLITE_NULL) {
        answer->http = sqlite3_column_int(stmt, 2);
        answer->body = yps_column_strdup(stmt, 3);
        return YP_STATUS_OK;
    }
    if (created >= stale_before) {
        return YP_STATUS_REQUEST_IN_PROGRESS;
    }
    /* the request that reserved it has been gone too long to be running */
    sqlite3_reset(stmt);
    return yps_idem_claim(s, idem, now);
}

yp_status_t
yps_sqlite_idem_reserve(yps_meta_t *meta, const yps_idem_t *idem, int64_t now,
                        int64_t forget_before, int64_t stale_before, yps_idem_answer_t *answer)
{
    yps_sqlite_t *s = YPS_SQLITE(meta);
    sqlite3_stmt *stmt;
    yp_status_t st;
    int rc;

    answer->http = 0;
    answer->body = NULL;
    if ((st = yps_begin(s)) != YP_STATUS_OK) {
        return st;
    }
    stmt = yps_stmt(s, "SELECT fingerprint, created, status, body FROM idempotency"
                       " WHERE user_id = ? AND key = ?");
    if (stmt == NULL) {
        return yps_end(s, YP_STATUS_INTERNAL);
    }
    sqlite3_bind_int64(stmt, 1, idem->user_id);
    sqlite3_bind_text(stmt, 2, idem->key, -1, SQLITE_STATIC);
    rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW && sqlite3_column_int64(stmt, 1) >= forget_before) {
        st = yps_idem_judge(s, stmt, idem, now, stale_before, answer);
    } else if (rc == SQLITE_ROW || rc == SQLITE_DONE) {
        /* past its retention a key is forgotten, pruned yet or not */
        sqlite3_reset(stmt);
        st = yps_idem_claim(s, idem, now);
    } else {
        st = yps_sqlite_error(s, "find idempotency key");
    }
    sqlite3_reset(stmt);
    st = yps_end(s, st);
    if (st != YP_STATUS_OK) {
        yps_idem_answer_clear(answer);
    }
    return st;
}

yp_status_t
yps_sqlite_idem_answer(yps_meta_t *meta, const yps_idem_t *idem, int http, const char *body)
{
    yps_sqlite_t *s = YPS_SQLITE(meta);
    sqlite3_stmt *stmt = yps_stmt(s, "UPDATE idempotency SET status = ?, body = ?"
                                     " WHERE user_id = ? AND key = ? AND owner = ?"
                                     " AND status IS NULL");

    if (stmt == NULL) {
        return YP_STATUS_INTERNAL;
    }
    sqlite3_bind_int(stmt, 1, http);
    if (body != NULL) {
        sqlite3_bind_text(stmt, 2, body, -1, SQLITE_STATIC);
    }
    sqlite3_bind_int64(stmt, 3, idem->user_id);
    sqlite3_bind_text(stmt, 4, idem->key, -1, SQLITE_STATIC);
    sqlite3_bind_int64(stmt, 5, idem->owner);
    if (sqlite3_step(stmt) != SQLITE_DONE) {
        return yps_sqlite_error(s, "keep idempotent answer");
    }
    return sqlite3_changes(s->db) == 1 ? YP_STATUS_OK : YP_STATUS_NOT_FOUND;
}

yp_status_t
yps_sqlite_idem_release(yps_meta_t *meta, const yps_idem_t *idem)
{
    yps_sqlite_t *s = YPS_SQLITE(meta);
    sqlite3_stmt *stmt = yps_stmt(s, "DELETE FROM idempotency WHERE user_id = ? AND key = ?"
                                     " AND owner = ? AND status IS NULL");

    if (stmt == NULL) {
        return YP_STATUS_INTERNAL;
    }
    sqlite3_bind_int64(stmt, 1, idem->user_id);
    sqlite3_bind_text(stmt, 2, idem->key, -1, SQLITE_STATIC);
    sqlite3_bind_int64(stmt, 3, idem->owner);
    if (sqlite3_step(stmt) != SQLITE_DONE) {
        return yps_sqlite_error(s, "release idempotency key");
    }
    return YP_STATUS_OK;
}

yp_status_t
yps_sqlite_idem_prune(yps_meta_t *meta, int64_t before, int64_t *removed)
{
    yps_sqlite_t *s = YPS_SQLITE(meta);
    sqlite3_stmt *stmt = yps_stmt(s, "DELETE FROM idempotency WHERE created < ?");

    *removed = 0;
    if (stmt == NULL) {
        return YP_STATUS_INTERNAL;
    }
    sqlite3_bind_int64(stmt, 1, before);
    if (sqlite3_step(stmt) != SQLITE_DONE) {
        return yps_sqlite_error(s, "prune idempotency keys");
    }
    *removed = sqlite3_changes(s->db);
    return YP_STATUS_OK;
}
