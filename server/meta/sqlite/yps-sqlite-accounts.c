/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * yps-sqlite-accounts.c: users and sessions.
 */
#include <string.h>

#include <gio/gio.h>
#include <sqlite3.h>

#include "yps-sqlite-private.h"

/* ------------------------------------------------------------------------
 * Accounts and sessions
 * ------------------------------------------------------------------------ */

yp_status_t
yps_sqlite_ping(yps_meta_t *meta)
{
    yps_sqlite_t *s = YPS_SQLITE(meta);
    sqlite3_stmt *stmt = yps_stmt(s, "SELECT count(*) FROM users WHERE id = 0");

    if (stmt == NULL || sqlite3_step(stmt) != SQLITE_ROW) {
        return yps_sqlite_error(s, "ping");
    }
    sqlite3_reset(stmt);
    return YP_STATUS_OK;
}

yp_status_t
yps_sqlite_user_create(yps_meta_t *meta, const char *username, const char *pwhash,
                       int64_t *user_id)
{
    yps_sqlite_t *s = YPS_SQLITE(meta);
    int64_t now = g_get_real_time() / G_USEC_PER_SEC;
    sqlite3_stmt *stmt;
    yp_status_t st;
    int rc;

    if ((st = yps_begin(s)) != YP_STATUS_OK) {
        return st;
    }
    stmt = yps_stmt(s, "INSERT INTO users (username, pwhash, created) VALUES (?, ?, ?)");
    sqlite3_bind_text(stmt, 1, username, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 2, pwhash, -1, SQLITE_STATIC);
    sqlite3_bind_int64(stmt, 3, now);
    rc = sqlite3_step(stmt);
    if (rc == SQLITE_CONSTRAINT) {
        return yps_end(s, YP_STATUS_USERNAME_TAKEN);
    }
    if (rc != SQLITE_DONE) {
        return yps_end(s, yps_sqlite_error(s, "insert user"));
    }
    *user_id = sqlite3_last_insert_rowid(s->db);

    stmt = yps_stmt(s, "INSERT INTO nodes (user_id, parent_id, name, is_folder, category, "
                       "mtime, created, modified, version) "
                       "VALUES (?, NULL, '', 1, 'folder', ?, ?, ?, 1)");
    sqlite3_bind_int64(stmt, 1, *user_id);
    sqlite3_bind_int64(stmt, 2, now);
    sqlite3_bind_int64(stmt, 3, now);
    sqlite3_bind_int64(stmt, 4, now);
    if (sqlite3_step(stmt) != SQLITE_DONE) {
        return yps_end(s, yps_sqlite_error(s, "insert root"));
    }
    stmt = yps_stmt(s, "UPDATE users SET root_id = ?, cursor = 1 WHERE id = ?");
    sqlite3_bind_int64(stmt, 1, sqlite3_last_insert_rowid(s->db));
    sqlite3_bind_int64(stmt, 2, *user_id);
    if (sqlite3_step(stmt) != SQLITE_DONE) {
        return yps_end(s, yps_sqlite_error(s, "set root"));
    }
    return yps_end(s, YP_STATUS_OK);
}

yp_status_t
yps_sqlite_user_find(yps_meta_t *meta, const char *username, int64_t *user_id,
                     char **canonical, char **pwhash)
{
    yps_sqlite_t *s = YPS_SQLITE(meta);
    sqlite3_stmt *stmt = yps_stmt(s, "SELECT id, username, pwhash FROM users WHERE username = ?");
    int rc;

    sqlite3_bind_text(stmt, 1, username, -1, SQLITE_STATIC);
    rc = sqlite3_step(stmt);
    if (rc == SQLITE_DONE) {
        return YP_STATUS_NOT_FOUND;
    }
    if (rc != SQLITE_ROW) {
        return yps_sqlite_error(s, "find user");
    }
    *user_id = sqlite3_column_int64(stmt, 0);
    *canonical = yps_column_strdup(stmt, 1);
    *pwhash = yps_column_strdup(stmt, 2);
    sqlite3_reset(stmt);
    return YP_STATUS_OK;
}

yp_status_t
yps_sqlite_user_state(yps_meta_t *meta, int64_t user_id, int64_t *root_id, int64_t *cursor)
{
    yps_sqlite_t *s = YPS_SQLITE(meta);
    sqlite3_stmt *stmt = yps_stmt(s, "SELECT root_id, cursor FROM users WHERE id = ?");
    int rc;

    sqlite3_bind_int64(stmt, 1, user_id);
    rc = sqlite3_step(stmt);
    if (rc != SQLITE_ROW) {
        return rc == SQLITE_DONE ? YP_STATUS_UNAUTHORIZED : yps_sqlite_error(s, "user state");
    }
    *root_id = sqlite3_column_int64(stmt, 0);
    *cursor = sqlite3_column_int64(stmt, 1);
    sqlite3_reset(stmt);
    return YP_STATUS_OK;
}

yp_status_t
yps_sqlite_session_create(yps_meta_t *meta, int64_t user_id, const uint8_t *token_hash,
                          int64_t expires)
{
    yps_sqlite_t *s = YPS_SQLITE(meta);
    sqlite3_stmt *stmt = yps_stmt(s, "INSERT INTO sessions (token_hash, user_id, created, expires)"
                                     " VALUES (?, ?, ?, ?)");

    sqlite3_bind_blob(stmt, 1, token_hash, 32, SQLITE_STATIC);
    sqlite3_bind_int64(stmt, 2, user_id);
    sqlite3_bind_int64(stmt, 3, g_get_real_time() / G_USEC_PER_SEC);
    sqlite3_bind_int64(stmt, 4, expires);
    if (sqlite3_step(stmt) != SQLITE_DONE) {
        return yps_sqlite_error(s, "insert session");
    }
    return YP_STATUS_OK;
}

yp_status_t
yps_sqlite_session_delete(yps_meta_t *meta, const uint8_t *token_hash)
{
    yps_sqlite_t *s = YPS_SQLITE(meta);
    sqlite3_stmt *stmt = yps_stmt(s, "DELETE FROM sessions WHERE token_hash = ?");

    sqlite3_bind_blob(stmt, 1, token_hash, 32, SQLITE_STATIC);
    if (sqlite3_step(stmt) != SQLITE_DONE) {
        return yps_sqlite_error(s, "delete session");
    }
    return YP_STATUS_OK;
}

yp_status_t
yps_sqlite_session_find(yps_meta_t *meta, const uint8_t *token_hash, int64_t now,
                        int64_t *user_id, char **username, int64_t *expires)
{
    yps_sqlite_t *s = YPS_SQLITE(meta);
    sqlite3_stmt *stmt = yps_stmt(s, "SELECT s.user_id, u.username, s.expires "
                                     "FROM sessions s JOIN users u ON u.id = s.user_id "
                                     "WHERE s.token_hash = ?");
    int rc;

    sqlite3_bind_blob(stmt, 1, token_hash, 32, SQLITE_STATIC);
    rc = sqlite3_step(stmt);
    if (rc == SQLITE_DONE) {
        return YP_STATUS_NOT_FOUND;
    }
    if (rc != SQLITE_ROW) {
        return yps_sqlite_error(s, "find session");
    }
    *user_id = sqlite3_column_int64(stmt, 0);
    *username = yps_column_strdup(stmt, 1);
    *expires = sqlite3_column_int64(stmt, 2);
    sqlite3_reset(stmt);
    if (*expires <= now) {
        g_clear_pointer(username, g_free);
        yps_sqlite_session_delete(meta, token_hash);
        return YP_STATUS_TOKEN_EXPIRED;
    }
    return YP_STATUS_OK;
}

/*
 * Steps STMT, a DELETE ... RETURNING token_hash, to its end and appends each
 * returned hash to ENDED (32-byte elements). WHAT names it in the log.
 */
static yp_status_t
yps_sqlite_collect_ended(yps_sqlite_t *s, sqlite3_stmt *stmt, GArray *ended, const char *what)
{
    int rc;

    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        const void *hash = sqlite3_column_blob(stmt, 0);

        if (hash != NULL && sqlite3_column_bytes(stmt, 0) == 32) {
            g_array_append_vals(ended, hash, 1);
        }
    }
    return rc == SQLITE_DONE ? YP_STATUS_OK : yps_sqlite_error(s, what);
}

/* Deletes USER_ID's sessions except the one EXCEPT names (NULL: all),
 * inside the caller's transaction or on its own, and appends their token
 * hashes to ENDED. */
static yp_status_t
yps_sqlite_sessions_end(yps_sqlite_t *s, int64_t user_id, const uint8_t *except, GArray *ended)
{
    sqlite3_stmt *stmt = yps_stmt(s, "DELETE FROM sessions WHERE user_id = ?1 "
                                     "AND (?2 IS NULL OR token_hash <> ?2) "
                                     "RETURNING token_hash");

    if (stmt == NULL) {
        return yps_sqlite_error(s, "prepare end sessions");
    }
    sqlite3_bind_int64(stmt, 1, user_id);
    if (except != NULL) {
        sqlite3_bind_blob(stmt, 2, except, 32, SQLITE_STATIC);
    }
    return yps_sqlite_collect_ended(s, stmt, ended, "end sessions");
}

yp_status_t
yps_sqlite_session_delete_user(yps_meta_t *meta, int64_t user_id, const uint8_t *except,
                               GArray *ended)
{
    return yps_sqlite_sessions_end(YPS_SQLITE(meta), user_id, except, ended);
}

yp_status_t
yps_sqlite_user_set_password(yps_meta_t *meta, int64_t user_id, const char *pwhash,
                             const uint8_t *except, GArray *ended)
{
    yps_sqlite_t *s = YPS_SQLITE(meta);
    sqlite3_stmt *stmt;
    yp_status_t st;
    guint before = ended->len;

    if ((st = yps_begin(s)) != YP_STATUS_OK) {
        return st;
    }
    stmt = yps_stmt(s, "UPDATE users SET pwhash = ? WHERE id = ?");
    sqlite3_bind_text(stmt, 1, pwhash, -1, SQLITE_STATIC);
    sqlite3_bind_int64(stmt, 2, user_id);
    if (sqlite3_step(stmt) != SQLITE_DONE) {
        return yps_end(s, yps_sqlite_error(s, "set password"));
    }
    if (sqlite3_changes(s->db) == 0) {
        return yps_end(s, YP_STATUS_UNAUTHORIZED);
    }
    st = yps_end(s, yps_sqlite_sessions_end(s, user_id, except, ended));
    if (st != YP_STATUS_OK) {
        /* rolled back: those sessions live on */
        g_array_set_size(ended, before);
    }
    return st;
}

/*
 * Housekeeping: forgets the sessions that expired before NOW and appends
 * their token hashes to ENDED, so that their event streams can be ended.
 * One statement, so no session is forgotten without being reported.
 */
yp_status_t
yps_sqlite_session_prune(yps_meta_t *meta, int64_t now, GArray *ended)
{
    yps_sqlite_t *s = YPS_SQLITE(meta);
    sqlite3_stmt *stmt = yps_stmt(s, "DELETE FROM sessions WHERE expires <= ? "
                                     "RETURNING token_hash");

    if (stmt == NULL) {
        return yps_sqlite_error(s, "prepare prune sessions");
    }
    sqlite3_bind_int64(stmt, 1, now);
    return yps_sqlite_collect_ended(s, stmt, ended, "prune sessions");
}
