/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * yps-sqlite-tree-write.c: changing the tree. Each change runs in one IMMEDIATE
 * transaction that also bumps the user's cursor and appends to the change log.
 */
#include <string.h>

#include <gio/gio.h>
#include <sqlite3.h>

#include "yp-category.h"
#include "yp-name.h"
#include "yps-sqlite-private.h"

/* ------------------------------------------------------------------------
 * The tree: writes. Each runs in one IMMEDIATE transaction that also bumps
 * the user's cursor and appends to the change log.
 * ------------------------------------------------------------------------ */

static yp_status_t
yps_next_cursor(yps_sqlite_t *s, int64_t user_id, int64_t *cursor)
{
    sqlite3_stmt *stmt = yps_stmt(s, "UPDATE users SET cursor = cursor + 1 WHERE id = ? "
                                     "RETURNING cursor");

    sqlite3_bind_int64(stmt, 1, user_id);
    if (sqlite3_step(stmt) != SQLITE_ROW) {
        return yps_sqlite_error(s, "next cursor");
    }
    *cursor = sqlite3_column_int64(stmt, 0);
    sqlite3_reset(stmt);
    return YP_STATUS_OK;
}

static yp_status_t
yps_log_change(yps_sqlite_t *s, int64_t user_id, yps_change_op_t op, const yps_node_t *node,
               const char *old_path)
{
    sqlite3_stmt *stmt = yps_stmt(s,
        "INSERT INTO changes (user_id, cursor, op, node_id, parent_id, is_folder, name, path,"
        " old_path, sha256, category, size, mtime, created, modified, downloads, at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");

    sqlite3_bind_int64(stmt, 1, user_id);
    sqlite3_bind_int64(stmt, 2, node->version);
    sqlite3_bind_int(stmt, 3, op);
    sqlite3_bind_int64(stmt, 4, node->id);
    sqlite3_bind_int64(stmt, 5, node->parent_id);
    sqlite3_bind_int(stmt, 6, node->is_folder);
    sqlite3_bind_text(stmt, 7, node->name, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 8, node->path, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 9, old_path, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 10, node->sha256, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 11, node->category, -1, SQLITE_STATIC);
    sqlite3_bind_int64(stmt, 12, node->size);
    sqlite3_bind_int64(stmt, 13, node->mtime);
    sqlite3_bind_int64(stmt, 14, node->created);
    sqlite3_bind_int64(stmt, 15, node->modified);
    sqlite3_bind_int64(stmt, 16, node->downloads);
    sqlite3_bind_int64(stmt, 17, g_get_real_time() / G_USEC_PER_SEC);
    if (sqlite3_step(stmt) != SQLITE_DONE) {
        return yps_sqlite_error(s, "log change");
    }
    return YP_STATUS_OK;
}

/* Re-reads node ID with its path and logs change OP for it. */
static yp_status_t
yps_finish_change(yps_sqlite_t *s, int64_t user_id, int64_t id, yps_change_op_t op,
                  const char *old_path, yps_node_t *node)
{
    yp_status_t st;

    yps_node_clear(node);
    if ((st = yps_sqlite_node_get(&s->base, user_id, id, node)) != YP_STATUS_OK
        || (st = yps_sqlite_node_path(&s->base, user_id, id, &node->path)) != YP_STATUS_OK) {
        return st;
    }
    return yps_log_change(s, user_id, op, node, old_path);
}

/* Looks up folder ID of USER_ID and checks it is a folder. */
static yp_status_t
yps_require_folder(yps_sqlite_t *s, int64_t user_id, int64_t id)
{
    g_auto(yps_node_t) folder = { 0 };
    yp_status_t st = yps_sqlite_node_get(&s->base, user_id, id, &folder);

    if (st != YP_STATUS_OK) {
        return st;
    }
    return folder.is_folder ? YP_STATUS_OK : YP_STATUS_NOT_A_FOLDER;
}

/*
 * A name that the lookup by key found free can still clash in a UNIQUE index
 * (the schema keeps UNIQUE (parent_id, name) beside (parent_id, name_key), and
 * data older than either may not agree with both): that is the name being
 * taken, EXISTS, not a fault of the server.
 */
static yp_status_t
yps_name_write_error(yps_sqlite_t *s, int rc, const char *what)
{
    if (rc == SQLITE_CONSTRAINT && sqlite3_extended_errcode(s->db) == SQLITE_CONSTRAINT_UNIQUE) {
        g_warning("sqlite: %s: %s", what, sqlite3_errmsg(s->db));
        return YP_STATUS_EXISTS;
    }
    return yps_sqlite_error(s, what);
}

/* EXISTS when another node than SELF (0: any) has NAME's key in PARENT_ID;
 * a node may take another spelling of its own name. */
static yp_status_t
yps_name_free(yps_sqlite_t *s, int64_t user_id, int64_t parent_id, const char *name,
              int64_t self)
{
    g_auto(yps_node_t) existing = { 0 };
    yp_status_t st = yps_sqlite_node_child(&s->base, user_id, parent_id, name, &existing);

    if (st == YP_STATUS_NOT_FOUND || (st == YP_STATUS_OK && existing.id == self)) {
        return YP_STATUS_OK;
    }
    return st == YP_STATUS_OK ? YP_STATUS_EXISTS : st;
}

static yp_status_t
yps_mkdir_locked(yps_sqlite_t *s, int64_t user_id, int64_t parent_id, const char *name,
                 int64_t now, yps_node_t *node)
{
    g_autofree char *key = yp_name_key(name);
    sqlite3_stmt *stmt;
    int64_t cursor = 0;
    yp_status_t st;
    int rc;

    if ((st = yps_require_folder(s, user_id, parent_id)) != YP_STATUS_OK
        || (st = yps_name_free(s, user_id, parent_id, name, 0)) != YP_STATUS_OK
        || (st = yps_next_cursor(s, user_id, &cursor)) != YP_STATUS_OK) {
        return st;
    }
    stmt = yps_stmt(s, "INSERT INTO nodes (user_id, parent_id, name, is_folder, category, mtime,"
                       " created, modified, version, name_key)"
                       " VALUES (?, ?, ?, 1, 'folder', ?, ?, ?, ?, ?)");
    sqlite3_bind_int64(stmt, 1, user_id);
    sqlite3_bind_int64(stmt, 2, parent_id);
    sqlite3_bind_text(stmt, 3, name, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 8, key, -1, SQLITE_STATIC);
    sqlite3_bind_int64(stmt, 4, now);
    sqlite3_bind_int64(stmt, 5, now);
    sqlite3_bind_int64(stmt, 6, now);
    sqlite3_bind_int64(stmt, 7, cursor);
    if ((rc = sqlite3_step(stmt)) != SQLITE_DONE) {
        return yps_name_write_error(s, rc, "mkdir");
    }
    return yps_finish_change(s, user_id, sqlite3_last_insert_rowid(s->db), YPS_CHANGE_CREATE,
                             NULL, node);
}

yp_status_t
yps_sqlite_node_mkdir(yps_meta_t *meta, int64_t user_id, int64_t parent_id, const char *name,
                      int64_t now, yps_node_t *node)
{
    yps_sqlite_t *s = YPS_SQLITE(meta);
    yp_status_t st = yps_begin(s);

    if (st != YP_STATUS_OK) {
        return st;
    }
    return yps_end(s, yps_mkdir_locked(s, user_id, parent_id, name, now, node));
}

static yp_status_t
yps_check_version(const yps_node_t *node, int64_t if_version)
{
    return if_version != 0 && if_version != node->version ? YP_STATUS_CONFLICT : YP_STATUS_OK;
}

/* True when ANCESTOR is FOLDER or one of FOLDER's ancestors. */
static yp_status_t
yps_is_ancestor(yps_sqlite_t *s, int64_t ancestor, int64_t folder, bool *result)
{
    sqlite3_stmt *stmt = yps_stmt(s,
        "WITH RECURSIVE up(id, parent_id) AS ("
        "  SELECT id, parent_id FROM nodes WHERE id = ?"
        "  UNION ALL SELECT n.id, n.parent_id FROM nodes n JOIN up ON n.id = up.parent_id)"
        "SELECT count(*) FROM up WHERE id = ?");

    sqlite3_bind_int64(stmt, 1, folder);
    sqlite3_bind_int64(stmt, 2, ancestor);
    if (sqlite3_step(stmt) != SQLITE_ROW) {
        return yps_sqlite_error(s, "ancestors");
    }
    *result = sqlite3_column_int64(stmt, 0) > 0;
    sqlite3_reset(stmt);
    return YP_STATUS_OK;
}

/* Components of the path of folder ID (0 for the root) and levels below
 * node MOVED: a move must not make any path deeper than the protocol allows. */
static yp_status_t
yps_move_depth(yps_sqlite_t *s, int64_t id, int64_t moved, int64_t *depth)
{
    sqlite3_stmt *stmt = yps_stmt(s,
        "WITH RECURSIVE up(id, parent_id) AS ("
        "  SELECT id, parent_id FROM nodes WHERE id = ?1"
        "  UNION ALL SELECT n.id, n.parent_id FROM nodes n JOIN up ON n.id = up.parent_id),"
        " down(id, d) AS ("
        "  SELECT ?2, 0 UNION ALL"
        "  SELECT n.id, down.d + 1 FROM nodes n JOIN down ON n.parent_id = down.id)"
        "SELECT (SELECT count(*) - 1 FROM up) + (SELECT max(d) FROM down)");

    sqlite3_bind_int64(stmt, 1, id);
    sqlite3_bind_int64(stmt, 2, moved);
    if (sqlite3_step(stmt) != SQLITE_ROW) {
        return yps_sqlite_error(s, "depth");
    }
    *depth = sqlite3_column_int64(stmt, 0) + 1;
    sqlite3_reset(stmt);
    return YP_STATUS_OK;
}

static yp_status_t
yps_move_locked(yps_sqlite_t *s, int64_t user_id, int64_t id, int64_t if_version,
                int64_t new_parent_id, const char *new_name, int64_t now, yps_node_t *node)
{
    g_auto(yps_node_t) cur = { 0 };
    g_autofree char *old_path = NULL, *key = NULL;
    sqlite3_stmt *stmt;
    bool cycle = false;
    int64_t cursor = 0, depth = 0;
    yp_status_t st;
    int rc;

    if ((st = yps_sqlite_node_get(&s->base, user_id, id, &cur)) != YP_STATUS_OK
        || (st = yps_check_version(&cur, if_version)) != YP_STATUS_OK) {
        return st;
    }
    if (cur.parent_id == 0) {
        return YP_STATUS_INVALID_MOVE;
    }
    if (cur.parent_id == new_parent_id && strcmp(cur.name, new_name) == 0) {
        /* nothing to do: report the node as it is */
        *node = cur;
        memset(&cur, 0, sizeof(cur));
        return yps_sqlite_node_path(&s->base, user_id, id, &node->path);
    }
    if ((st = yps_require_folder(s, user_id, new_parent_id)) != YP_STATUS_OK
        || (st = yps_is_ancestor(s, id, new_parent_id, &cycle)) != YP_STATUS_OK) {
        return st;
    }
    if (cycle) {
        return YP_STATUS_INVALID_MOVE;
    }
    if ((st = yps_move_depth(s, new_parent_id, id, &depth)) != YP_STATUS_OK) {
        return st;
    }
    if (depth > YP_PATH_DEPTH_MAX) {
        return YP_STATUS_INVALID_PATH;
    }
    if ((st = yps_name_free(s, user_id, new_parent_id, new_name, id)) != YP_STATUS_OK
        || (st = yps_sqlite_node_path(&s->base, user_id, id, &old_path)) != YP_STATUS_OK
        || (st = yps_next_cursor(s, user_id, &cursor)) != YP_STATUS_OK) {
        return st;
    }
    stmt = yps_stmt(s, "UPDATE nodes SET parent_id = ?, name = ?, category = ?, modified = ?,"
                       " version = ?, name_key = ? WHERE id = ? AND user_id = ?");
    key = yp_name_key(new_name);
    sqlite3_bind_text(stmt, 6, key, -1, SQLITE_STATIC);
    sqlite3_bind_int64(stmt, 1, new_parent_id);
    sqlite3_bind_text(stmt, 2, new_name, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 3, cur.is_folder ? "folder" : yp_category_for_name(new_name), -1,
                      SQLITE_STATIC);
    sqlite3_bind_int64(stmt, 4, now);
    sqlite3_bind_int64(stmt, 5, cursor);
    sqlite3_bind_int64(stmt, 7, id);
    sqlite3_bind_int64(stmt, 8, user_id);
    if ((rc = sqlite3_step(stmt)) != SQLITE_DONE) {
        return yps_name_write_error(s, rc, "move");
    }
    return yps_finish_change(s, user_id, id, YPS_CHANGE_MOVE, old_path, node);
}

yp_status_t
yps_sqlite_node_move(yps_meta_t *meta, int64_t user_id, int64_t id, int64_t if_version,
                     int64_t new_parent_id, const char *new_name, int64_t now, yps_node_t *node)
{
    yps_sqlite_t *s = YPS_SQLITE(meta);
    yp_status_t st = yps_begin(s);

    if (st != YP_STATUS_OK) {
        return st;
    }
    st = yps_move_locked(s, user_id, id, if_version, new_parent_id, new_name, now, node);
    return yps_end(s, st);
}

/* Moves to ORPHANS those of CANDIDATES that no node refers to any more, and
 * forgets them as blobs. */
static yp_status_t
yps_collect_orphans(yps_sqlite_t *s, GPtrArray *candidates, GPtrArray *orphans)
{
    for (guint i = 0; i < candidates->len; i++) {
        const char *sha = g_ptr_array_index(candidates, i);
        sqlite3_stmt *stmt = yps_stmt(s, "SELECT count(*) FROM nodes WHERE sha256 = ?");
        int64_t refs;

        sqlite3_bind_text(stmt, 1, sha, -1, SQLITE_STATIC);
        if (sqlite3_step(stmt) != SQLITE_ROW) {
            return yps_sqlite_error(s, "refs");
        }
        refs = sqlite3_column_int64(stmt, 0);
        sqlite3_reset(stmt);
        if (refs > 0) {
            continue;
        }
        stmt = yps_stmt(s, "DELETE FROM blobs WHERE sha256 = ?");
        sqlite3_bind_text(stmt, 1, sha, -1, SQLITE_STATIC);
        if (sqlite3_step(stmt) != SQLITE_DONE) {
            return yps_sqlite_error(s, "delete blob");
        }
        g_ptr_array_add(orphans, g_strdup(sha));
    }
    return YP_STATUS_OK;
}

static yp_status_t
yps_delete_locked(yps_sqlite_t *s, int64_t user_id, int64_t id, int64_t if_version,
                  int64_t *cursor, GPtrArray *orphans)
{
    g_autoptr(GPtrArray) shas = g_ptr_array_new_with_free_func(g_free);
    g_auto(yps_node_t) node = { 0 };
    sqlite3_stmt *stmt;
    yp_status_t st;
    int rc;

    if ((st = yps_sqlite_node_get(&s->base, user_id, id, &node)) != YP_STATUS_OK
        || (st = yps_check_version(&node, if_version)) != YP_STATUS_OK) {
        return st;
    }
    if (node.parent_id == 0) {
        return YP_STATUS_INVALID_MOVE;
    }
    stmt = yps_stmt(s,
        "WITH RECURSIVE sub(id) AS ("
        "  SELECT ? UNION ALL SELECT n.id FROM nodes n JOIN sub ON n.parent_id = sub.id)"
        "SELECT DISTINCT sha256 FROM nodes WHERE id IN sub AND sha256 IS NOT NULL");
    sqlite3_bind_int64(stmt, 1, id);
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        g_ptr_array_add(shas, yps_column_strdup(stmt, 0));
    }
    if (rc != SQLITE_DONE) {
        return yps_sqlite_error(s, "subtree");
    }
    if ((st = yps_sqlite_node_path(&s->base, user_id, id, &node.path)) != YP_STATUS_OK
        || (st = yps_next_cursor(s, user_id, cursor)) != YP_STATUS_OK) {
        return st;
    }
    /* descendants go with it through ON DELETE CASCADE */
    stmt = yps_stmt(s, "DELETE FROM nodes WHERE id = ? AND user_id = ?");
    sqlite3_bind_int64(stmt, 1, id);
    sqlite3_bind_int64(stmt, 2, user_id);
    if (sqlite3_step(stmt) != SQLITE_DONE) {
        return yps_sqlite_error(s, "delete");
    }
    node.version = *cursor;
    if ((st = yps_log_change(s, user_id, YPS_CHANGE_DELETE, &node, NULL)) != YP_STATUS_OK) {
        return st;
    }
    return yps_collect_orphans(s, shas, orphans);
}

yp_status_t
yps_sqlite_node_delete(yps_meta_t *meta, int64_t user_id, int64_t id, int64_t if_version,
                       int64_t *cursor, GPtrArray *orphans)
{
    yps_sqlite_t *s = YPS_SQLITE(meta);
    yp_status_t st = yps_begin(s);

    if (st != YP_STATUS_OK) {
        return st;
    }
    st = yps_delete_locked(s, user_id, id, if_version, cursor, orphans);
    if (st != YP_STATUS_OK) {
        g_ptr_array_set_size(orphans, 0);
    }
    return yps_end(s, st);
}

static yp_status_t
yps_blob_record(yps_sqlite_t *s, const char *sha256, int64_t size, int64_t now)
{
    sqlite3_stmt *stmt = yps_stmt(s, "INSERT OR IGNORE INTO blobs (sha256, size, created)"
                                     " VALUES (?, ?, ?)");

    sqlite3_bind_text(stmt, 1, sha256, -1, SQLITE_STATIC);
    sqlite3_bind_int64(stmt, 2, size);
    sqlite3_bind_int64(stmt, 3, now);
    if (sqlite3_step(stmt) != SQLITE_DONE) {
        return yps_sqlite_error(s, "record blob");
    }
    return YP_STATUS_OK;
}

static yp_status_t
yps_file_replace(yps_sqlite_t *s, int64_t user_id, const yps_node_t *cur, const char *sha256,
                 int64_t size, int64_t mtime, int64_t now, yps_node_t *node, GPtrArray *orphans)
{
    g_autoptr(GPtrArray) old = g_ptr_array_new_with_free_func(g_free);
    sqlite3_stmt *stmt;
    int64_t cursor = 0;
    yp_status_t st;

    if ((st = yps_next_cursor(s, user_id, &cursor)) != YP_STATUS_OK) {
        return st;
    }
    stmt = yps_stmt(s, "UPDATE nodes SET sha256 = ?, size = ?, mtime = ?, modified = ?,"
                       " version = ? WHERE id = ? AND user_id = ?");
    sqlite3_bind_text(stmt, 1, sha256, -1, SQLITE_STATIC);
    sqlite3_bind_int64(stmt, 2, size);
    sqlite3_bind_int64(stmt, 3, mtime);
    sqlite3_bind_int64(stmt, 4, now);
    sqlite3_bind_int64(stmt, 5, cursor);
    sqlite3_bind_int64(stmt, 6, cur->id);
    sqlite3_bind_int64(stmt, 7, user_id);
    if (sqlite3_step(stmt) != SQLITE_DONE) {
        return yps_sqlite_error(s, "replace file");
    }
    if (strcmp(cur->sha256, sha256) != 0) {
        g_ptr_array_add(old, g_strdup(cur->sha256));
        if ((st = yps_collect_orphans(s, old, orphans)) != YP_STATUS_OK) {
            return st;
        }
    }
    return yps_finish_change(s, user_id, cur->id, YPS_CHANGE_MODIFY, NULL, node);
}

static yp_status_t
yps_file_insert(yps_sqlite_t *s, int64_t user_id, int64_t parent_id, const char *name,
                const char *sha256, int64_t size, int64_t mtime, int64_t now, yps_node_t *node)
{
    g_autofree char *key = yp_name_key(name);
    sqlite3_stmt *stmt;
    int64_t cursor = 0;
    yp_status_t st;
    int rc;

    if ((st = yps_next_cursor(s, user_id, &cursor)) != YP_STATUS_OK) {
        return st;
    }
    stmt = yps_stmt(s, "INSERT INTO nodes (user_id, parent_id, name, is_folder, sha256, size,"
                       " category, mtime, created, modified, version, name_key)"
                       " VALUES (?, ?, ?, 0, ?, ?, ?, ?, ?, ?, ?, ?)");
    sqlite3_bind_text(stmt, 11, key, -1, SQLITE_STATIC);
    sqlite3_bind_int64(stmt, 1, user_id);
    sqlite3_bind_int64(stmt, 2, parent_id);
    sqlite3_bind_text(stmt, 3, name, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 4, sha256, -1, SQLITE_STATIC);
    sqlite3_bind_int64(stmt, 5, size);
    sqlite3_bind_text(stmt, 6, yp_category_for_name(name), -1, SQLITE_STATIC);
    sqlite3_bind_int64(stmt, 7, mtime);
    sqlite3_bind_int64(stmt, 8, now);
    sqlite3_bind_int64(stmt, 9, now);
    sqlite3_bind_int64(stmt, 10, cursor);
    if ((rc = sqlite3_step(stmt)) != SQLITE_DONE) {
        return yps_name_write_error(s, rc, "insert file");
    }
    return yps_finish_change(s, user_id, sqlite3_last_insert_rowid(s->db), YPS_CHANGE_CREATE,
                             NULL, node);
}

/* QUOTA_EXCEEDED when the user's files would pass their quota (DEFAULT_QUOTA
 * unless the account has its own; 0 is unlimited) by GROWTH bytes. */
static yp_status_t
yps_check_quota(yps_sqlite_t *s, int64_t user_id, int64_t default_quota, int64_t growth)
{
    sqlite3_stmt *stmt = yps_stmt(s, "SELECT used, coalesce(quota, ?) FROM users WHERE id = ?");
    int64_t used, quota;

    sqlite3_bind_int64(stmt, 1, default_quota);
    sqlite3_bind_int64(stmt, 2, user_id);
    if (sqlite3_step(stmt) != SQLITE_ROW) {
        return yps_sqlite_error(s, "quota");
    }
    used = sqlite3_column_int64(stmt, 0);
    quota = sqlite3_column_int64(stmt, 1);
    sqlite3_reset(stmt);
    return quota > 0 && growth > 0 && used + growth > quota ? YP_STATUS_QUOTA_EXCEEDED
                                                            : YP_STATUS_OK;
}

/* The checks and writes of file_commit, inside the caller's transaction;
 * also each file of a batch, under its own savepoint. */
yp_status_t
yps_commit_locked(yps_sqlite_t *s, int64_t user_id, int64_t parent_id, const char *name,
                  int64_t if_version, const char *sha256, int64_t size, int64_t mtime,
                  int64_t now, int64_t quota, yps_node_t *node, GPtrArray *orphans)
{
    g_auto(yps_node_t) cur = { 0 };
    yp_status_t st;

    if ((st = yps_require_folder(s, user_id, parent_id)) != YP_STATUS_OK) {
        return st;
    }
    st = yps_sqlite_node_child(&s->base, user_id, parent_id, name, &cur);
    if (st != YP_STATUS_OK && st != YP_STATUS_NOT_FOUND) {
        return st;
    }
    if (st == YP_STATUS_OK && if_version == 0) {
        return YP_STATUS_EXISTS;
    }
    if (st == YP_STATUS_NOT_FOUND && if_version != 0) {
        /* the file the client meant to replace is gone */
        return YP_STATUS_CONFLICT;
    }
    if (st == YP_STATUS_OK && cur.is_folder) {
        return YP_STATUS_IS_A_FOLDER;
    }
    if (st == YP_STATUS_OK && cur.version != if_version) {
        return YP_STATUS_CONFLICT;
    }
    if ((st = yps_check_quota(s, user_id, quota, size - cur.size)) != YP_STATUS_OK
        || (st = yps_blob_record(s, sha256, size, now)) != YP_STATUS_OK) {
        return st;
    }
    if (cur.id != 0) {
        return yps_file_replace(s, user_id, &cur, sha256, size, mtime, now, node, orphans);
    }
    return yps_file_insert(s, user_id, parent_id, name, sha256, size, mtime, now, node);
}

yp_status_t
yps_sqlite_file_commit(yps_meta_t *meta, int64_t user_id, int64_t parent_id, const char *name,
                       int64_t if_version, const char *sha256, int64_t size, int64_t mtime,
                       int64_t now, int64_t quota, yps_node_t *node, GPtrArray *orphans)
{
    yps_sqlite_t *s = YPS_SQLITE(meta);
    yp_status_t st = yps_begin(s);

    if (st != YP_STATUS_OK) {
        return st;
    }
    st = yps_commit_locked(s, user_id, parent_id, name, if_version, sha256, size, mtime, now,
                           quota, node, orphans);
    if (st != YP_STATUS_OK) {
        g_ptr_array_set_size(orphans, 0);
    }
    return yps_end(s, st);
}

yp_status_t
yps_sqlite_file_downloaded(yps_meta_t *meta, int64_t user_id, int64_t id)
{
    yps_sqlite_t *s = YPS_SQLITE(meta);
    sqlite3_stmt *stmt = yps_stmt(s, "UPDATE nodes SET downloads = downloads + 1"
                                     " WHERE id = ? AND user_id = ?");

    sqlite3_bind_int64(stmt, 1, id);
    sqlite3_bind_int64(stmt, 2, user_id);
    if (sqlite3_step(stmt) != SQLITE_DONE) {
        return yps_sqlite_error(s, "count download");
    }
    return YP_STATUS_OK;
}

yp_status_t
yps_sqlite_blob_find(yps_meta_t *meta, const char *sha256, int64_t *size)
{
    yps_sqlite_t *s = YPS_SQLITE(meta);
    sqlite3_stmt *stmt = yps_stmt(s, "SELECT size FROM blobs WHERE sha256 = ?");
    int rc;

    sqlite3_bind_text(stmt, 1, sha256, -1, SQLITE_STATIC);
    rc = sqlite3_step(stmt);
    if (rc == SQLITE_DONE) {
        return YP_STATUS_NOT_FOUND;
    }
    if (rc != SQLITE_ROW) {
        return yps_sqlite_error(s, "find blob");
    }
    *size = sqlite3_column_int64(stmt, 0);
    sqlite3_reset(stmt);
    return YP_STATUS_OK;
}

yp_status_t
yps_sqlite_blob_owned(yps_meta_t *meta, int64_t user_id, const char *sha256)
{
    yps_sqlite_t *s = YPS_SQLITE(meta);
    sqlite3_stmt *stmt = yps_stmt(s, "SELECT 1 FROM nodes WHERE sha256 = ? AND user_id = ?"
                                     " LIMIT 1");
    int rc;

    sqlite3_bind_text(stmt, 1, sha256, -1, SQLITE_STATIC);
    sqlite3_bind_int64(stmt, 2, user_id);
    rc = sqlite3_step(stmt);
    sqlite3_reset(stmt);
    if (rc == SQLITE_ROW) {
        return YP_STATUS_OK;
    }
    return rc == SQLITE_DONE ? YP_STATUS_NOT_FOUND : yps_sqlite_error(s, "owned blob");
}
