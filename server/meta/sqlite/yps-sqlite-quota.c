/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * yps-sqlite-quota.c: how much space an account uses, holds for uploads in
 * progress, and may use. The usage counter is kept by triggers on the nodes
 * table (schema version 2), so every path that adds, replaces or removes a
 * file keeps it exact inside its own transaction.
 */
#include <sqlite3.h>

#include "yps-sqlite-private.h"

yp_status_t
yps_sqlite_user_usage(yps_meta_t *meta, int64_t user_id, yps_usage_t *usage)
{
    yps_sqlite_t *s = YPS_SQLITE(meta);
    sqlite3_stmt *stmt = yps_stmt(s,
        "SELECT used, quota, (SELECT min(total(size), 9.0e18) FROM uploads WHERE user_id = ?1)"
        " FROM users WHERE id = ?1");
    int rc;

    sqlite3_bind_int64(stmt, 1, user_id);
    rc = sqlite3_step(stmt);
    if (rc != SQLITE_ROW) {
        return rc == SQLITE_DONE ? YP_STATUS_NOT_FOUND : yps_sqlite_error(s, "usage");
    }
    usage->used = sqlite3_column_int64(stmt, 0);
    usage->quota = sqlite3_column_type(stmt, 1) == SQLITE_NULL ? -1
                                                               : sqlite3_column_int64(stmt, 1);
    usage->reserved = sqlite3_column_int64(stmt, 2);
    sqlite3_reset(stmt);
    return YP_STATUS_OK;
}

yp_status_t
yps_sqlite_user_set_quota(yps_meta_t *meta, const char *username, int64_t quota)
{
    yps_sqlite_t *s = YPS_SQLITE(meta);
    sqlite3_stmt *stmt = yps_stmt(s, "UPDATE users SET quota = ? WHERE username = ?");

    if (quota < 0) {
        sqlite3_bind_null(stmt, 1);
    } else {
        sqlite3_bind_int64(stmt, 1, quota);
    }
    sqlite3_bind_text(stmt, 2, username, -1, SQLITE_STATIC);
    if (sqlite3_step(stmt) != SQLITE_DONE) {
        return yps_sqlite_error(s, "set quota");
    }
    return sqlite3_changes(s->db) == 1 ? YP_STATUS_OK : YP_STATUS_NOT_FOUND;
}
