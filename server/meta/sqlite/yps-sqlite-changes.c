/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * yps-sqlite-changes.c: the change feed.
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
    sqlite3_stmt *stmt;
    int64_t root_id;
    yp_status_t st;
    int rc;

    if ((st = yps_sqlite_user_state(meta, user_id, &root_id, latest)) != YP_STATUS_OK) {
        return st;
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
