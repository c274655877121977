/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * yps-sqlite-changes.c: the change feed, and its retention: entries older
 * than the retention window are forgotten, and users.changes_floor records
 * the newest cursor forgotten, below which a client must list again.
 */
#include <string.h>

#include <gio/gio.h>
#include <sqlite3.h>

#include "yps-sqlite-private.h"

/* ------------------------------------------------------------------------
 * Change feed
 * ------------------------------------------------------------------------ */

yp_status_t
yps_sqlite_changes(yps_meta_t *meta, int64_t user_id, int64_t since, int64_t limit,
                   GPtrArray *changes, bool *has_more, int64_t *latest)
{
    yps_sqlite_t *s = YPS_SQLITE(meta);
    sqlite3_stmt *stmt = yps_stmt(s, "SELECT cursor, changes_floor FROM users WHERE id = ?");
    int64_t floor;
    int rc;

    sqlite3_bind_int64(stmt, 1, user_id);
    rc = sqlite3_step(stmt);
    if (rc != SQLITE_ROW) {
        return rc == SQLITE_DONE ? YP_STATUS_UNAUTHORIZED : yps_sqlite_error(s, "cursor");
    }
    *latest = sqlite3_column_int64(stmt, 0);
    floor = sqlite3_column_int64(stmt, 1);
    sqlite3_reset(stmt);
    if (since < floor) {
        /* changes after SINCE were forgotten: the client must list again */
        return YP_STATUS_CURSOR_EXPIRED;
    }
    stmt = yps_stmt(s, "SELECT cursor, op, node_id, parent_id, is_folder, name, sha256, category,"
                       " size, mtime, created, modified, cursor, downloads, path, old_path"
                       " FROM changes WHERE user_id = ? AND cursor > ? ORDER BY cursor LIMIT ?");
    sqlite3_bind_int64(stmt, 1, user_id);
    sqlite3_bind_int64(stmt, 2, since);
    sqlite3_bind_int64(stmt, 3, limit + 1);
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        yps_change_t *change;

        if ((int64_t) changes->len == limit) {
            *has_more = true;
            break;
        }
        change = g_new0(yps_change_t, 1);
        change->cursor = sqlite3_column_int64(stmt, 0);
        change->op = (yps_change_op_t) sqlite3_column_int(stmt, 1);
        yps_node_from_row(stmt, 2, &change->node);
        change->node.path = yps_column_strdup(stmt, 14);
        change->old_path = yps_column_strdup(stmt, 15);
        g_ptr_array_add(changes, change);
    }
    sqlite3_reset(stmt);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? YP_STATUS_OK
                                                 : yps_sqlite_error(s, "changes");
}

yp_status_t
yps_sqlite_changes_prune(yps_meta_t *meta, int64_t before, int64_t *removed)
{
    yps_sqlite_t *s = YPS_SQLITE(meta);
    sqlite3_stmt *stmt;
    yp_status_t st;

    *removed = 0;
    if ((st = yps_begin(s)) != YP_STATUS_OK) {
        return st;
    }
    stmt = yps_stmt(s, "UPDATE users SET changes_floor = max(changes_floor,"
                       " (SELECT max(cursor) FROM changes c WHERE c.user_id = users.id"
                       "  AND c.at < ?1))"
                       " WHERE id IN (SELECT user_id FROM changes WHERE at < ?1)");
    sqlite3_bind_int64(stmt, 1, before);
    if (sqlite3_step(stmt) != SQLITE_DONE) {
        return yps_end(s, yps_sqlite_error(s, "changes floor"));
    }
    stmt = yps_stmt(s, "DELETE FROM changes WHERE at < ?");
    sqlite3_bind_int64(stmt, 1, before);
    if (sqlite3_step(stmt) != SQLITE_DONE) {
        return yps_end(s, yps_sqlite_error(s, "prune changes"));
    }
    *removed = sqlite3_changes(s->db);
    return yps_end(s, YP_STATUS_OK);
}
