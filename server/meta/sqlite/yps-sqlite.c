/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * yps-sqlite.c: the embedded metadata store: opening, schema migrations,
 * the statement cache and transactions. The operations live beside it, one
 * file per concern.
 *
 * One SQLite database in WAL mode, opened by every worker process. Writes
 * take the write lock up front (BEGIN IMMEDIATE) so that a read-modify-write
 * never races another worker; statements are prepared once per connection
 * and cached.
 */
#include <string.h>

#include <gio/gio.h>
#include <sqlite3.h>

#include "yp-name.h"
#include "yps-sqlite-private.h"

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

    /* 2: names compared in NFC (two spellings of one name cannot coexist;
     * should old data hold such twins, the later one's key is made unique
     * with its id, which no real key contains since names have no '/');
     * quotas with a usage counter the triggers keep exact; change log
     * retention; pruning expired sessions without a scan. */
    "ALTER TABLE nodes ADD COLUMN name_key TEXT;"
    "UPDATE nodes SET name_key = yp_nfc(name);"
    "UPDATE nodes SET name_key = name_key || '/' || id WHERE EXISTS ("
    "  SELECT 1 FROM nodes o WHERE o.parent_id = nodes.parent_id"
    "  AND o.name_key = nodes.name_key AND o.id < nodes.id);"
    "CREATE UNIQUE INDEX nodes_parent_key ON nodes(parent_id, name_key);"
    "ALTER TABLE users ADD COLUMN quota INTEGER;"
    "ALTER TABLE users ADD COLUMN used INTEGER NOT NULL DEFAULT 0;"
    "UPDATE users SET used = (SELECT coalesce(sum(size), 0) FROM nodes"
    "  WHERE nodes.user_id = users.id AND is_folder = 0);"
    "CREATE TRIGGER nodes_used_insert AFTER INSERT ON nodes WHEN NEW.is_folder = 0 BEGIN"
    "  UPDATE users SET used = used + NEW.size WHERE id = NEW.user_id; END;"
    "CREATE TRIGGER nodes_used_delete AFTER DELETE ON nodes WHEN OLD.is_folder = 0 BEGIN"
    "  UPDATE users SET used = used - OLD.size WHERE id = OLD.user_id; END;"
    "CREATE TRIGGER nodes_used_update AFTER UPDATE OF size ON nodes WHEN NEW.is_folder = 0"
    "  BEGIN UPDATE users SET used = used - OLD.size + NEW.size WHERE id = NEW.user_id; END;"
    "CREATE INDEX uploads_user ON uploads(user_id);"
    "ALTER TABLE changes ADD COLUMN at INTEGER NOT NULL DEFAULT 0;"
    "UPDATE changes SET at = modified;"
    "ALTER TABLE users ADD COLUMN changes_floor INTEGER NOT NULL DEFAULT 0;"
    "CREATE INDEX changes_at ON changes(at);"
    "CREATE INDEX sessions_expires ON sessions(expires);",
};

bool
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

/* yp_nfc(name): the name's key, for migrations that must compute it in SQL. */
static void
yps_sqlite_nfc(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    const char *name = (const char *) sqlite3_value_text(argv[0]);
    g_autofree char *key = name ? yp_name_key(name) : NULL;

    if (key == NULL) {
        sqlite3_result_null(ctx);
        return;
    }
    sqlite3_result_text(ctx, key, -1, SQLITE_TRANSIENT);
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
sqlite3_stmt *
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

yp_status_t
yps_sqlite_error(yps_sqlite_t *s, const char *what)
{
    g_warning("sqlite: %s: %s", what, sqlite3_errmsg(s->db));
    return YP_STATUS_INTERNAL;
}

yp_status_t
yps_begin(yps_sqlite_t *s)
{
    sqlite3_stmt *stmt = yps_stmt(s, "BEGIN IMMEDIATE");

    if (stmt == NULL || sqlite3_step(stmt) != SQLITE_DONE) {
        return yps_sqlite_error(s, "begin");
    }
    return YP_STATUS_OK;
}

/* Commits when STATUS is OK, else rolls back; returns the final status. */
yp_status_t
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

yp_status_t
yps_sqlite_snapshot_begin(yps_meta_t *meta)
{
    yps_sqlite_t *s = YPS_SQLITE(meta);
    sqlite3_stmt *stmt = yps_stmt(s, "BEGIN");

    if (stmt == NULL || sqlite3_step(stmt) != SQLITE_DONE) {
        return yps_sqlite_error(s, "begin snapshot");
    }
    return YP_STATUS_OK;
}

void
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

char *
yps_column_strdup(sqlite3_stmt *stmt, int col)
{
    const unsigned char *text = sqlite3_column_text(stmt, col);

    return text ? g_strdup((const char *) text) : NULL;
}

void
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
    .session_delete_user = yps_sqlite_session_delete_user,
    .user_set_password = yps_sqlite_user_set_password,
    .session_prune = yps_sqlite_session_prune,
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
    .blob_owned = yps_sqlite_blob_owned,
    .user_usage = yps_sqlite_user_usage,
    .user_set_quota = yps_sqlite_user_set_quota,
    .upload_create = yps_sqlite_upload_create,
    .upload_get = yps_sqlite_upload_get,
    .upload_find = yps_sqlite_upload_find,
    .upload_advance = yps_sqlite_upload_advance,
    .upload_spend_challenge = yps_sqlite_upload_spend_challenge,
    .upload_delete = yps_sqlite_upload_delete,
    .upload_expired = yps_sqlite_upload_expired,
    .changes = yps_sqlite_changes,
    .changes_prune = yps_sqlite_changes_prune,
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
    sqlite3_create_function(s->db, "yp_nfc", 1, SQLITE_UTF8 | SQLITE_DETERMINISTIC, NULL,
                            yps_sqlite_nfc, NULL, NULL);
    /* synchronous=FULL: a commit acknowledged to a client survives power loss */
    if (!yps_sqlite_exec(s, "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;"
                            " PRAGMA foreign_keys = ON; PRAGMA mmap_size = 268435456;", error)
        || !yps_sqlite_migrate(s, error)) {
        yps_sqlite_close(&s->base);
        return NULL;
    }
    return &s->base;
}
