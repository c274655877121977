/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * yps-sqlite-tree-read.c: reading the tree: nodes, paths, listings.
 */
#include <string.h>

#include <gio/gio.h>
#include <sqlite3.h>

#include "yp-name.h"
#include "yps-sqlite-private.h"

/* ------------------------------------------------------------------------
 * The tree: reads
 * ------------------------------------------------------------------------ */

yp_status_t
yps_sqlite_node_get(yps_meta_t *meta, int64_t user_id, int64_t id, yps_node_t *node)
{
    yps_sqlite_t *s = YPS_SQLITE(meta);
    sqlite3_stmt *stmt = yps_stmt(s, "SELECT " YPS_NODE_COLUMNS " FROM nodes "
                                     "WHERE id = ? AND user_id = ?");
    int rc;

    sqlite3_bind_int64(stmt, 1, id);
    sqlite3_bind_int64(stmt, 2, user_id);
    rc = sqlite3_step(stmt);
    if (rc == SQLITE_DONE) {
        return YP_STATUS_NOT_FOUND;
    }
    if (rc != SQLITE_ROW) {
        return yps_sqlite_error(s, "get node");
    }
    yps_node_from_row(stmt, 0, node);
    sqlite3_reset(stmt);
    return YP_STATUS_OK;
}

yp_status_t
yps_sqlite_node_child(yps_meta_t *meta, int64_t user_id, int64_t parent_id, const char *name,
                      yps_node_t *node)
{
    yps_sqlite_t *s = YPS_SQLITE(meta);
    sqlite3_stmt *stmt = yps_stmt(s, "SELECT " YPS_NODE_COLUMNS " FROM nodes "
                                     "WHERE parent_id = ? AND name_key = ? AND user_id = ?");
    g_autofree char *key = yp_name_key(name);
    int rc;

    if (key == NULL) {
        return YP_STATUS_NOT_FOUND;
    }
    sqlite3_bind_int64(stmt, 1, parent_id);
    sqlite3_bind_text(stmt, 2, key, -1, SQLITE_STATIC);
    sqlite3_bind_int64(stmt, 3, user_id);
    rc = sqlite3_step(stmt);
    if (rc == SQLITE_DONE) {
        return YP_STATUS_NOT_FOUND;
    }
    if (rc != SQLITE_ROW) {
        return yps_sqlite_error(s, "get child");
    }
    yps_node_from_row(stmt, 0, node);
    sqlite3_reset(stmt);
    return YP_STATUS_OK;
}

yp_status_t
yps_sqlite_node_path(yps_meta_t *meta, int64_t user_id, int64_t id, char **path)
{
    yps_sqlite_t *s = YPS_SQLITE(meta);
    sqlite3_stmt *stmt = yps_stmt(s,
        "WITH RECURSIVE up(id, parent_id, name, depth) AS ("
        "  SELECT id, parent_id, name, 0 FROM nodes WHERE id = ? AND user_id = ?"
        "  UNION ALL"
        "  SELECT n.id, n.parent_id, n.name, up.depth + 1 FROM nodes n"
        "  JOIN up ON n.id = up.parent_id)"
        "SELECT name FROM up WHERE parent_id IS NOT NULL ORDER BY depth DESC");
    GString *out = g_string_new(NULL);
    int rc;

    sqlite3_bind_int64(stmt, 1, id);
    sqlite3_bind_int64(stmt, 2, user_id);
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        g_string_append_c(out, '/');
        g_string_append(out, (const char *) sqlite3_column_text(stmt, 0));
    }
    if (rc != SQLITE_DONE) {
        g_string_free(out, TRUE);
        return yps_sqlite_error(s, "node path");
    }
    if (out->len == 0) {
        g_string_append_c(out, '/');
    }
    *path = g_string_free(out, FALSE);
    return YP_STATUS_OK;
}

/* The ORDER BY of a listing; folders first, ties by name then id. Only these
 * constant strings ever reach the SQL text. */
static const char *const yps_list_sql[2][4][2] = {
#define YPS_LIST(where, key)                                                               \
    { "SELECT " YPS_NODE_COLUMNS " FROM nodes WHERE " where                                  \
      " ORDER BY is_folder DESC, " key " ASC, name ASC, id ASC LIMIT ? OFFSET ?",            \
      "SELECT " YPS_NODE_COLUMNS " FROM nodes WHERE " where                                  \
      " ORDER BY is_folder DESC, " key " DESC, name DESC, id DESC LIMIT ? OFFSET ?" }
#define YPS_LIST_WHERE(where)                                                              \
    { YPS_LIST(where, "name"), YPS_LIST(where, "size"), YPS_LIST(where, "modified"),       \
      YPS_LIST(where, "downloads") }
    YPS_LIST_WHERE("user_id = ?1 AND parent_id = ?2 AND (?3 IS NULL OR category = ?3)"),
    YPS_LIST_WHERE("user_id = ?1 AND is_folder = 0 AND category = ?3 AND ?2 IS NOT NULL"),
#undef YPS_LIST_WHERE
#undef YPS_LIST
};

yp_status_t
yps_sqlite_node_list(yps_meta_t *meta, int64_t user_id, const yps_list_query_t *q,
                     GPtrArray *entries, int64_t *total)
{
    yps_sqlite_t *s = YPS_SQLITE(meta);
    bool recursive = q->recursive && q->category != NULL;
    sqlite3_stmt *stmt;
    int rc;

    stmt = yps_stmt(s, recursive
        ? "SELECT count(*) FROM nodes WHERE user_id = ?1 AND is_folder = 0 AND category = ?3"
          " AND ?2 IS NOT NULL"
        : "SELECT count(*) FROM nodes WHERE user_id = ?1 AND parent_id = ?2"
          " AND (?3 IS NULL OR category = ?3)");
    sqlite3_bind_int64(stmt, 1, user_id);
    sqlite3_bind_int64(stmt, 2, q->folder_id);
    if (q->category) {
        sqlite3_bind_text(stmt, 3, q->category, -1, SQLITE_STATIC);
    }
    if (sqlite3_step(stmt) != SQLITE_ROW) {
        return yps_sqlite_error(s, "count");
    }
    *total = sqlite3_column_int64(stmt, 0);
    sqlite3_reset(stmt);

    stmt = yps_stmt(s, yps_list_sql[recursive][q->sort][q->descending]);
    sqlite3_bind_int64(stmt, 1, user_id);
    sqlite3_bind_int64(stmt, 2, q->folder_id);
    if (q->category) {
        sqlite3_bind_text(stmt, 3, q->category, -1, SQLITE_STATIC);
    }
    sqlite3_bind_int64(stmt, 4, q->limit);
    sqlite3_bind_int64(stmt, 5, q->offset);
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        yps_node_t *node = g_new0(yps_node_t, 1);

        yps_node_from_row(stmt, 0, node);
        g_ptr_array_add(entries, node);
    }
    return rc == SQLITE_DONE ? YP_STATUS_OK : yps_sqlite_error(s, "list");
}
