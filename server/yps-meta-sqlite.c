/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * yps-meta-sqlite.c: the embedded metadata store.
 *
 * One SQLite database in WAL mode, opened by every worker process. Writes
 * take the write lock up front (BEGIN IMMEDIATE) so that a read-modify-write
 * never races another worker; statements are prepared once per connection
 * and cached.
 */
#include <string.h>

#include <gio/gio.h>
#include <sqlite3.h>

#include "yp-category.h"
#include "yps-meta.h"

typedef struct {
    yps_meta_t  base;
    sqlite3    *db;
    GHashTable *stmts;      /* SQL text (static) -> sqlite3_stmt * */
} yps_sqlite_t;

#define YPS_SQLITE(meta) ((yps_sqlite_t *) (meta))

/* ------------------------------------------------------------------------
 * Schema and migrations
 * ------------------------------------------------------------------------ */

/* Each entry moves the schema from version i to i + 1; never edit one that
 * has shipped, append a new one. */
static const char *const yps_migrations[] = {
    "CREATE TABLE users ("
    "  id INTEGER PRIMARY KEY,"
    "  username TEXT NOT NULL UNIQUE COLLATE NOCASE,"
    "  pwhash TEXT NOT NULL,"
    "  created INTEGER NOT NULL,"
    "  cursor INTEGER NOT NULL DEFAULT 0,"
    "  root_id INTEGER);"
    "CREATE TABLE sessions ("
    "  token_hash BLOB PRIMARY KEY,"
    "  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
    "  created INTEGER NOT NULL,"
    "  expires INTEGER NOT NULL) WITHOUT ROWID;"
    "CREATE INDEX sessions_user ON sessions(user_id);"
    "CREATE TABLE blobs ("
    "  sha256 TEXT PRIMARY KEY,"
    "  size INTEGER NOT NULL,"
    "  created INTEGER NOT NULL) WITHOUT ROWID;"
    "CREATE TABLE nodes ("
    "  id INTEGER PRIMARY KEY,"
    "  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
    "  parent_id INTEGER REFERENCES nodes(id) ON DELETE CASCADE,"
    "  name TEXT NOT NULL,"
    "  is_folder INTEGER NOT NULL,"
    "  sha256 TEXT REFERENCES blobs(sha256),"
    "  size INTEGER NOT NULL DEFAULT 0,"
    "  category TEXT NOT NULL,"
    "  mtime INTEGER NOT NULL,"
    "  created INTEGER NOT NULL,"
    "  modified INTEGER NOT NULL,"
    "  version INTEGER NOT NULL,"
    "  downloads INTEGER NOT NULL DEFAULT 0,"
    "  UNIQUE (parent_id, name));"
    "CREATE INDEX nodes_user_category ON nodes(user_id, category);"
    "CREATE INDEX nodes_sha256 ON nodes(sha256);"
    "CREATE TABLE changes ("
    "  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
    "  cursor INTEGER NOT NULL,"
    "  op INTEGER NOT NULL,"
    "  node_id INTEGER NOT NULL,"
    "  parent_id INTEGER,"
    "  is_folder INTEGER NOT NULL,"
    "  name TEXT NOT NULL,"
    "  path TEXT NOT NULL,"
    "  old_path TEXT,"
    "  sha256 TEXT,"
    "  category TEXT NOT NULL,"
    "  size INTEGER NOT NULL,"
    "  mtime INTEGER NOT NULL,"
    "  created INTEGER NOT NULL,"
    "  modified INTEGER NOT NULL,"
    "  downloads INTEGER NOT NULL,"
    "  PRIMARY KEY (user_id, cursor)) WITHOUT ROWID;"
    "CREATE TABLE uploads ("
    "  id TEXT PRIMARY KEY,"
    "  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
    "  parent_id INTEGER NOT NULL,"
    "  name TEXT NOT NULL,"
    "  sha256 TEXT NOT NULL,"
    "  size INTEGER NOT NULL,"
    "  mtime INTEGER NOT NULL,"
    "  if_version INTEGER NOT NULL,"
    "  offset INTEGER NOT NULL DEFAULT 0,"
    "  expires INTEGER NOT NULL,"
    "  challenge TEXT) WITHOUT ROWID;"
    "CREATE INDEX uploads_expires ON uploads(expires);",
};

static bool
yps_sqlite_exec(yps_sqlite_t *s, const char *sql, GError **error)
{
    char *msg = NULL;

    if (sqlite3_exec(s->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "%s", msg ? msg : "sqlite error");
        sqlite3_free(msg);
        return false;
    }
    return true;
}

static bool
yps_sqlite_migrate(yps_sqlite_t *s, GError **error)
{
    sqlite3_stmt *stmt;
    int version = 0;

    if (!yps_sqlite_exec(s, "BEGIN IMMEDIATE", error)) {
        return false;
    }
    if (sqlite3_prepare_v2(s->db, "PRAGMA user_version", -1, &stmt, NULL) == SQLITE_OK) {
        if (sqlite3_step(stmt) == SQLITE_ROW) {
            version = sqlite3_column_int(stmt, 0);
        }
        sqlite3_finalize(stmt);
    }
    for (int v = version; v < (int) G_N_ELEMENTS(yps_migrations); v++) {
        g_autofree char *bump = g_strdup_printf("PRAGMA user_version = %d", v + 1);

        if (!yps_sqlite_exec(s, yps_migrations[v], error) || !yps_sqlite_exec(s, bump, error)) {
            yps_sqlite_exec(s, "ROLLBACK", NULL);
            return false;
        }
    }
    return yps_sqlite_exec(s, "COMMIT", error);
}

/* ------------------------------------------------------------------------
 * Statement cache and helpers
 * ------------------------------------------------------------------------ */

/* Returns the cached statement for SQL (a string literal), reset and with its
 * bindings cleared, or NULL when it does not compile (a bug, logged). */
static sqlite3_stmt *
yps_stmt(yps_sqlite_t *s, const char *sql)
{
    sqlite3_stmt *stmt = g_hash_table_lookup(s->stmts, sql);

    if (stmt == NULL) {
        if (sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, NULL)
            != SQLITE_OK) {
            g_warning("sqlite prepare failed: %s: %s", sqlite3_errmsg(s->db), sql);
            return NULL;
        }
        g_hash_table_insert(s->stmts, (gpointer) sql, stmt);
    }
    sqlite3_reset(stmt);
    sqlite3_clear_bindings(stmt);
    return stmt;
}

static yp_status_t
yps_sqlite_error(yps_sqlite_t *s, const char *what)
{
    g_warning("sqlite: %s: %s", what, sqlite3_errmsg(s->db));
    return YP_STATUS_INTERNAL;
}

static yp_status_t
yps_begin(yps_sqlite_t *s)
{
    sqlite3_stmt *stmt = yps_stmt(s, "BEGIN IMMEDIATE");

    if (stmt == NULL || sqlite3_step(stmt) != SQLITE_DONE) {
        return yps_sqlite_error(s, "begin");
    }
    return YP_STATUS_OK;
}

/* Commits when STATUS is OK, else rolls back; returns the final status. */
static yp_status_t
yps_end(yps_sqlite_t *s, yp_status_t status)
{
    sqlite3_stmt *stmt = yps_stmt(s, status == YP_STATUS_OK ? "COMMIT" : "ROLLBACK");

    if (stmt == NULL || sqlite3_step(stmt) != SQLITE_DONE) {
        if (status == YP_STATUS_OK) {
            status = yps_sqlite_error(s, "commit");
        }
        if (!sqlite3_get_autocommit(s->db)) {
            sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
        }
    }
    return status;
}

static yp_status_t
yps_sqlite_snapshot_begin(yps_meta_t *meta)
{
    yps_sqlite_t *s = YPS_SQLITE(meta);
    sqlite3_stmt *stmt = yps_stmt(s, "BEGIN");

    if (stmt == NULL || sqlite3_step(stmt) != SQLITE_DONE) {
        return yps_sqlite_error(s, "begin snapshot");
    }
    return YP_STATUS_OK;
}

static void
yps_sqlite_snapshot_end(yps_meta_t *meta)
{
    yps_sqlite_t *s = YPS_SQLITE(meta);

    if (!sqlite3_get_autocommit(s->db)) {
        sqlite3_stmt *stmt = yps_stmt(s, "COMMIT");

        if (stmt == NULL || sqlite3_step(stmt) != SQLITE_DONE) {
            sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
        }
    }
}

static char *
yps_column_strdup(sqlite3_stmt *stmt, int col)
{
    const unsigned char *text = sqlite3_column_text(stmt, col);

    return text ? g_strdup((const char *) text) : NULL;
}

void
yps_node_clear(yps_node_t *node)
{
    g_clear_pointer(&node->name, g_free);
    g_clear_pointer(&node->path, g_free);
    g_clear_pointer(&node->sha256, g_free);
    g_clear_pointer(&node->category, g_free);
    memset(node, 0, sizeof(*node));
}

void
yps_node_free(yps_node_t *node)
{
    yps_node_clear(node);
    g_free(node);
}

void
yps_upload_clear(yps_upload_t *upload)
{
    g_clear_pointer(&upload->name, g_free);
    g_clear_pointer(&upload->challenge, g_free);
    memset(upload, 0, sizeof(*upload));
}

void
yps_change_free(yps_change_t *change)
{
    yps_node_clear(&change->node);
    g_free(change->old_path);
    g_free(change);
}

#define YPS_NODE_COLUMNS \
    "id, parent_id, is_folder, name, sha256, category, size, mtime, created, modified, " \
    "version, downloads"

static void
yps_node_from_row(sqlite3_stmt *stmt, int col, yps_node_t *node)
{
    node->id = sqlite3_column_int64(stmt, col + 0);
    node->parent_id = sqlite3_column_int64(stmt, col + 1);
    node->is_folder = sqlite3_column_int(stmt, col + 2) != 0;
    node->name = yps_column_strdup(stmt, col + 3);
    node->sha256 = yps_column_strdup(stmt, col + 4);
    node->category = yps_column_strdup(stmt, col + 5);
    node->size = sqlite3_column_int64(stmt, col + 6);
    node->mtime = sqlite3_column_int64(stmt, col + 7);
    node->created = sqlite3_column_int64(stmt, col + 8);
    node->modified = sqlite3_column_int64(stmt, col + 9);
    node->version = sqlite3_column_int64(stmt, col + 10);
    node->downloads = sqlite3_column_int64(stmt, col + 11);
}

/* ------------------------------------------------------------------------
 * Accounts and sessions
 * ------------------------------------------------------------------------ */

static yp_status_t
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

static yp_status_t
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

static yp_status_t
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

static yp_status_t
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

static yp_status_t
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

static yp_status_t
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

static yp_status_t
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

/* ------------------------------------------------------------------------
 * The tree: reads
 * ------------------------------------------------------------------------ */

static yp_status_t
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

static yp_status_t
yps_sqlite_node_child(yps_meta_t *meta, int64_t user_id, int64_t parent_id, const char *name,
                      yps_node_t *node)
{
    yps_sqlite_t *s = YPS_SQLITE(meta);
    sqlite3_stmt *stmt = yps_stmt(s, "SELECT " YPS_NODE_COLUMNS " FROM nodes "
                                     "WHERE parent_id = ? AND name = ? AND user_id = ?");
    int rc;

    sqlite3_bind_int64(stmt, 1, parent_id);
    sqlite3_bind_text(stmt, 2, name, -1, SQLITE_STATIC);
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

static yp_status_t
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

static yp_status_t
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
        " old_path, sha256, category, size, mtime, created, modified, downloads)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");

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

static yp_status_t
yps_name_free(yps_sqlite_t *s, int64_t user_id, int64_t parent_id, const char *name)
{
    g_auto(yps_node_t) existing = { 0 };
    yp_status_t st = yps_sqlite_node_child(&s->base, user_id, parent_id, name, &existing);

    if (st == YP_STATUS_NOT_FOUND) {
        return YP_STATUS_OK;
    }
    return st == YP_STATUS_OK ? YP_STATUS_EXISTS : st;
}

static yp_status_t
yps_mkdir_locked(yps_sqlite_t *s, int64_t user_id, int64_t parent_id, const char *name,
                 int64_t now, yps_node_t *node)
{
    sqlite3_stmt *stmt;
    int64_t cursor;
    yp_status_t st;

    if ((st = yps_require_folder(s, user_id, parent_id)) != YP_STATUS_OK
        || (st = yps_name_free(s, user_id, parent_id, name)) != YP_STATUS_OK
        || (st = yps_next_cursor(s, user_id, &cursor)) != YP_STATUS_OK) {
        return st;
    }
    stmt = yps_stmt(s, "INSERT INTO nodes (user_id, parent_id, name, is_folder, category, mtime,"
                       " created, modified, version) VALUES (?, ?, ?, 1, 'folder', ?, ?, ?, ?)");
    sqlite3_bind_int64(stmt, 1, user_id);
    sqlite3_bind_int64(stmt, 2, parent_id);
    sqlite3_bind_text(stmt, 3, name, -1, SQLITE_STATIC);
    sqlite3_bind_int64(stmt, 4, now);
    sqlite3_bind_int64(stmt, 5, now);
    sqlite3_bind_int64(stmt, 6, now);
    sqlite3_bind_int64(stmt, 7, cursor);
    if (sqlite3_step(stmt) != SQLITE_DONE) {
        return yps_sqlite_error(s, "mkdir");
    }
    return yps_finish_change(s, user_id, sqlite3_last_insert_rowid(s->db), YPS_CHANGE_CREATE,
                             NULL, node);
}

static yp_status_t
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
    g_autofree char *old_path = NULL;
    sqlite3_stmt *stmt;
    bool cycle = false;
    int64_t cursor, depth;
    yp_status_t st;

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
    if ((st = yps_name_free(s, user_id, new_parent_id, new_name)) != YP_STATUS_OK
        || (st = yps_sqlite_node_path(&s->base, user_id, id, &old_path)) != YP_STATUS_OK
        || (st = yps_next_cursor(s, user_id, &cursor)) != YP_STATUS_OK) {
        return st;
    }
    stmt = yps_stmt(s, "UPDATE nodes SET parent_id = ?, name = ?, category = ?, modified = ?,"
                       " version = ? WHERE id = ? AND user_id = ?");
    sqlite3_bind_int64(stmt, 1, new_parent_id);
    sqlite3_bind_text(stmt, 2, new_name, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 3, cur.is_folder ? "folder" : yp_category_for_name(new_name), -1,
                      SQLITE_STATIC);
    sqlite3_bind_int64(stmt, 4, now);
    sqlite3_bind_int64(stmt, 5, cursor);
    sqlite3_bind_int64(stmt, 6, id);
    sqlite3_bind_int64(stmt, 7, user_id);
    if (sqlite3_step(stmt) != SQLITE_DONE) {
        return yps_sqlite_error(s, "move");
    }
    return yps_finish_change(s, user_id, id, YPS_CHANGE_MOVE, old_path, node);
}

static yp_status_t
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

static yp_status_t
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
    int64_t cursor;
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
    sqlite3_stmt *stmt;
    int64_t cursor;
    yp_status_t st;

    if ((st = yps_next_cursor(s, user_id, &cursor)) != YP_STATUS_OK) {
        return st;
    }
    stmt = yps_stmt(s, "INSERT INTO nodes (user_id, parent_id, name, is_folder, sha256, size,"
                       " category, mtime, created, modified, version)"
                       " VALUES (?, ?, ?, 0, ?, ?, ?, ?, ?, ?, ?)");
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
    if (sqlite3_step(stmt) != SQLITE_DONE) {
        return yps_sqlite_error(s, "insert file");
    }
    return yps_finish_change(s, user_id, sqlite3_last_insert_rowid(s->db), YPS_CHANGE_CREATE,
                             NULL, node);
}

static yp_status_t
yps_commit_locked(yps_sqlite_t *s, int64_t user_id, int64_t parent_id, const char *name,
                  int64_t if_version, const char *sha256, int64_t size, int64_t mtime,
                  int64_t now, yps_node_t *node, GPtrArray *orphans)
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
    if ((st = yps_blob_record(s, sha256, size, now)) != YP_STATUS_OK) {
        return st;
    }
    if (cur.id != 0) {
        return yps_file_replace(s, user_id, &cur, sha256, size, mtime, now, node, orphans);
    }
    return yps_file_insert(s, user_id, parent_id, name, sha256, size, mtime, now, node);
}

static yp_status_t
yps_sqlite_file_commit(yps_meta_t *meta, int64_t user_id, int64_t parent_id, const char *name,
                       int64_t if_version, const char *sha256, int64_t size, int64_t mtime,
                       int64_t now, yps_node_t *node, GPtrArray *orphans)
{
    yps_sqlite_t *s = YPS_SQLITE(meta);
    yp_status_t st = yps_begin(s);

    if (st != YP_STATUS_OK) {
        return st;
    }
    st = yps_commit_locked(s, user_id, parent_id, name, if_version, sha256, size, mtime, now,
                           node, orphans);
    if (st != YP_STATUS_OK) {
        g_ptr_array_set_size(orphans, 0);
    }
    return yps_end(s, st);
}

static yp_status_t
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

static yp_status_t
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

/* ------------------------------------------------------------------------
 * Upload sessions
 * ------------------------------------------------------------------------ */

static yp_status_t
yps_sqlite_upload_create(yps_meta_t *meta, const yps_upload_t *u)
{
    yps_sqlite_t *s = YPS_SQLITE(meta);
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

static yp_status_t
yps_sqlite_upload_get(yps_meta_t *meta, int64_t user_id, const char *id, yps_upload_t *u)
{
    yps_sqlite_t *s = YPS_SQLITE(meta);
    sqlite3_stmt *stmt = yps_stmt(s,
        "SELECT parent_id, name, sha256, size, mtime, if_version, offset, expires, challenge"
        " FROM uploads WHERE id = ? AND user_id = ?");
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
    sqlite3_reset(stmt);
    return YP_STATUS_OK;
}

static yp_status_t
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

static yp_status_t
yps_sqlite_upload_advance(yps_meta_t *meta, const char *id, int64_t offset, int64_t expires)
{
    yps_sqlite_t *s = YPS_SQLITE(meta);
    sqlite3_stmt *stmt = yps_stmt(s, "UPDATE uploads SET offset = ?, expires = ? WHERE id = ?");

    sqlite3_bind_int64(stmt, 1, offset);
    sqlite3_bind_int64(stmt, 2, expires);
    sqlite3_bind_text(stmt, 3, id, -1, SQLITE_STATIC);
    if (sqlite3_step(stmt) != SQLITE_DONE) {
        return yps_sqlite_error(s, "advance upload");
    }
    return YP_STATUS_OK;
}

static yp_status_t
yps_sqlite_upload_set_challenge(yps_meta_t *meta, const char *id, const char *challenge)
{
    yps_sqlite_t *s = YPS_SQLITE(meta);
    sqlite3_stmt *stmt = yps_stmt(s, "UPDATE uploads SET challenge = ? WHERE id = ?");

    sqlite3_bind_text(stmt, 1, challenge, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 2, id, -1, SQLITE_STATIC);
    if (sqlite3_step(stmt) != SQLITE_DONE) {
        return yps_sqlite_error(s, "set challenge");
    }
    /* a concurrent request may have spent it first */
    return sqlite3_changes(s->db) == 1 ? YP_STATUS_OK : YP_STATUS_NOT_FOUND;
}

static yp_status_t
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

static yp_status_t
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

/* ------------------------------------------------------------------------
 * Change feed
 * ------------------------------------------------------------------------ */

static yp_status_t
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

/* ------------------------------------------------------------------------
 * Opening and closing
 * ------------------------------------------------------------------------ */

static void
yps_stmt_finalize(gpointer stmt)
{
    sqlite3_finalize(stmt);
}

static void
yps_sqlite_close(yps_meta_t *meta)
{
    yps_sqlite_t *s = YPS_SQLITE(meta);

    g_hash_table_destroy(s->stmts);
    sqlite3_close(s->db);
    g_free(s);
}

static const yps_meta_ops_t yps_sqlite_ops = {
    .name = "sqlite",
    .close = yps_sqlite_close,
    .ping = yps_sqlite_ping,
    .snapshot_begin = yps_sqlite_snapshot_begin,
    .snapshot_end = yps_sqlite_snapshot_end,
    .user_create = yps_sqlite_user_create,
    .user_find = yps_sqlite_user_find,
    .user_state = yps_sqlite_user_state,
    .session_create = yps_sqlite_session_create,
    .session_find = yps_sqlite_session_find,
    .session_delete = yps_sqlite_session_delete,
    .node_get = yps_sqlite_node_get,
    .node_child = yps_sqlite_node_child,
    .node_path = yps_sqlite_node_path,
    .node_list = yps_sqlite_node_list,
    .node_mkdir = yps_sqlite_node_mkdir,
    .node_move = yps_sqlite_node_move,
    .node_delete = yps_sqlite_node_delete,
    .file_commit = yps_sqlite_file_commit,
    .file_downloaded = yps_sqlite_file_downloaded,
    .blob_find = yps_sqlite_blob_find,
    .upload_create = yps_sqlite_upload_create,
    .upload_get = yps_sqlite_upload_get,
    .upload_find = yps_sqlite_upload_find,
    .upload_advance = yps_sqlite_upload_advance,
    .upload_set_challenge = yps_sqlite_upload_set_challenge,
    .upload_delete = yps_sqlite_upload_delete,
    .upload_expired = yps_sqlite_upload_expired,
    .changes = yps_sqlite_changes,
};

yps_meta_t *
yps_meta_sqlite_open(const char *path, GError **error)
{
    yps_sqlite_t *s = g_new0(yps_sqlite_t, 1);

    s->base.ops = &yps_sqlite_ops;
    s->stmts = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL,
                                     yps_stmt_finalize);
    if (sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE
                        | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "cannot open %s: %s", path,
                    sqlite3_errmsg(s->db));
        yps_sqlite_close(&s->base);
        return NULL;
    }
    sqlite3_busy_timeout(s->db, 15000);
    /* synchronous=FULL: a commit acknowledged to a client survives power loss */
    if (!yps_sqlite_exec(s, "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;"
                            " PRAGMA foreign_keys = ON; PRAGMA mmap_size = 268435456;", error)
        || !yps_sqlite_migrate(s, error)) {
        yps_sqlite_close(&s->base);
        return NULL;
    }
    return &s->base;
}
