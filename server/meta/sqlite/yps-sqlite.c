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

#include "yp-category.h"
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

    /* 3: the twins that 2 kept apart only by their key get names of their
     * own (yps_migrate_twins), so that name and key are unique alike. */
    "",

    /* 4: the running SHA-256 of an upload's acknowledged bytes (NULL: none
     * yet, or an upload begun before; the server then hashes what it has). */
    "ALTER TABLE uploads ADD COLUMN hash_state BLOB;",

    /* 5: Idempotency-Keys, with the answer kept for a repeat (status NULL:
     * reserved, the request has not answered). A rowid table: an answer may
     * be kilobytes, too large a row for WITHOUT ROWID. */
    "CREATE TABLE idempotency ("
    "  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
    "  key TEXT NOT NULL,"
    "  fingerprint BLOB NOT NULL,"
    "  owner INTEGER NOT NULL,"
    "  created INTEGER NOT NULL,"
    "  status INTEGER,"
    "  body TEXT,"
    "  PRIMARY KEY (user_id, key));"
    "CREATE INDEX idempotency_created ON idempotency(created);",
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

/* ------------------------------------------------------------------------
 * Migration 3: names of their own for NFC twins
 * ------------------------------------------------------------------------ */

typedef struct {
    int64_t  id;
    int64_t  user_id;
    int64_t  parent_id;
    bool     is_folder;
    char    *name;
} yps_twin_t;

static void
yps_twin_free(gpointer data)
{
    yps_twin_t *twin = data;

    g_free(twin->name);
    g_free(twin);
}

/*
 * "café.txt", 2 -> "café (2).txt": the number goes before a file's extension
 * so that the name keeps its category; a folder, or a name without one, takes
 * it at the end. The stem is shortened at a character boundary when the name
 * would pass YP_NAME_MAX.
 */
static char *
yps_twin_name(const char *name, bool is_folder, int64_t n)
{
    g_autofree char *number = g_strdup_printf(" (%" G_GINT64_FORMAT ")", n);
    const char *dot = is_folder ? NULL : strrchr(name, '.');
    size_t ext_len, stem_len, room;

    if (dot == name || (dot != NULL && strlen(dot) + strlen(number) >= YP_NAME_MAX)) {
        /* ".profile" is all stem; an extension that leaves no room is too */
        dot = NULL;
    }
    ext_len = dot != NULL ? strlen(dot) : 0;
    stem_len = strlen(name) - ext_len;
    room = YP_NAME_MAX - strlen(number) - ext_len;
    if (stem_len > room) {
        stem_len = room;
        while (stem_len > 0 && ((unsigned char) name[stem_len] & 0xc0) == 0x80) {
            stem_len--;
        }
    }
    return g_strdup_printf("%.*s%s%s", (int) stem_len, name, number, dot != NULL ? dot : "");
}

/* Whether NAME (with key KEY) can go into PARENT_ID under both the UNIQUE
 * (parent_id, name) of the first schema and the (parent_id, name_key) of the
 * second. */
static yp_status_t
yps_twin_name_free(yps_sqlite_t *s, int64_t parent_id, const char *name, const char *key,
                   bool *is_free)
{
    sqlite3_stmt *stmt = yps_stmt(s, "SELECT count(*) FROM nodes WHERE parent_id = ?"
                                     " AND (name = ? OR name_key = ?)");

    if (stmt == NULL) {
        return YP_STATUS_INTERNAL;
    }
    sqlite3_bind_int64(stmt, 1, parent_id);
    sqlite3_bind_text(stmt, 2, name, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 3, key, -1, SQLITE_STATIC);
    if (sqlite3_step(stmt) != SQLITE_ROW) {
        return yps_sqlite_error(s, "twin name");
    }
    *is_free = sqlite3_column_int64(stmt, 0) == 0;
    sqlite3_reset(stmt);
    return YP_STATUS_OK;
}

/* Renames TWIN to NAME (key KEY) as a move of the owner's tree: a new cursor
 * and version, and a change-log entry, so that synced clients follow. */
static yp_status_t
yps_twin_rename(yps_sqlite_t *s, const yps_twin_t *twin, const char *name, const char *key,
                int64_t now)
{
    g_autofree char *old_path = NULL, *path = NULL;
    sqlite3_stmt *stmt;
    int64_t cursor = 0;
    yp_status_t st;

    if ((st = yps_sqlite_node_path(&s->base, twin->user_id, twin->id, &old_path))
        != YP_STATUS_OK) {
        return st;
    }
    stmt = yps_stmt(s, "UPDATE users SET cursor = cursor + 1 WHERE id = ? RETURNING cursor");
    sqlite3_bind_int64(stmt, 1, twin->user_id);
    if (sqlite3_step(stmt) != SQLITE_ROW) {
        return yps_sqlite_error(s, "twin cursor");
    }
    cursor = sqlite3_column_int64(stmt, 0);
    sqlite3_reset(stmt);
    stmt = yps_stmt(s, "UPDATE nodes SET name = ?, name_key = ?, category = ?, version = ?,"
                       " modified = ? WHERE id = ?");
    sqlite3_bind_text(stmt, 1, name, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 2, key, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 3, twin->is_folder ? "folder" : yp_category_for_name(name), -1,
                      SQLITE_STATIC);
    sqlite3_bind_int64(stmt, 4, cursor);
    sqlite3_bind_int64(stmt, 5, now);
    sqlite3_bind_int64(stmt, 6, twin->id);
    if (sqlite3_step(stmt) != SQLITE_DONE) {
        return yps_sqlite_error(s, "rename twin");
    }
    if ((st = yps_sqlite_node_path(&s->base, twin->user_id, twin->id, &path)) != YP_STATUS_OK) {
        return st;
    }
    stmt = yps_stmt(s,
        "INSERT INTO changes (user_id, cursor, op, node_id, parent_id, is_folder, name, path,"
        " old_path, sha256, category, size, mtime, created, modified, downloads, at)"
        " SELECT user_id, version, ?, id, parent_id, is_folder, name, ?, ?, sha256, category,"
        " size, mtime, created, modified, downloads, ? FROM nodes WHERE id = ?");
    sqlite3_bind_int(stmt, 1, YPS_CHANGE_MOVE);
    sqlite3_bind_text(stmt, 2, path, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 3, old_path, -1, SQLITE_STATIC);
    sqlite3_bind_int64(stmt, 4, now);
    sqlite3_bind_int64(stmt, 5, twin->id);
    if (sqlite3_step(stmt) != SQLITE_DONE) {
        return yps_sqlite_error(s, "log twin rename");
    }
    return YP_STATUS_OK;
}

/* Gives TWIN the first "<stem> (n)<ext>", n = 2, 3, …, that its folder has
 * free under both constraints. */
static yp_status_t
yps_twin_settle(yps_sqlite_t *s, const yps_twin_t *twin, int64_t now)
{
    yp_status_t st;

    for (int64_t n = 2;; n++) {
        g_autofree char *name = yps_twin_name(twin->name, twin->is_folder, n);
        g_autofree char *key = yp_name_key(name);
        bool is_free = false;

        if (key == NULL) {
            return YP_STATUS_INTERNAL;
        }
        if ((st = yps_twin_name_free(s, twin->parent_id, name, key, &is_free)) != YP_STATUS_OK) {
            return st;
        }
        if (is_free) {
            g_message("migration 3: node %" G_GINT64_FORMAT " renamed: another name in its"
                      " folder is the same in NFC", twin->id);
            return yps_twin_rename(s, twin, name, key, now);
        }
    }
}

/*
 * Migration 2 let names that are equal in NFC stay side by side, the later
 * ones with the key "<nfc>/<id>": such a twin was reachable by no path, and
 * its spelling stayed taken under UNIQUE (parent_id, name) after the other
 * had gone, which no lookup by key could foresee. Each now gets a name of
 * its own, in id order, so that every key is again NFC(name).
 */
static bool
yps_migrate_twins(yps_sqlite_t *s, GError **error)
{
    g_autoptr(GPtrArray) twins = g_ptr_array_new_with_free_func(yps_twin_free);
    sqlite3_stmt *stmt = yps_stmt(s, "SELECT id, user_id, parent_id, is_folder, name"
                                     " FROM nodes WHERE instr(name_key, '/') > 0 ORDER BY id");
    int64_t now = g_get_real_time() / G_USEC_PER_SEC;
    int rc = SQLITE_ERROR;

    while (stmt != NULL && (rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        yps_twin_t *twin = g_new0(yps_twin_t, 1);

        twin->id = sqlite3_column_int64(stmt, 0);
        twin->user_id = sqlite3_column_int64(stmt, 1);
        twin->parent_id = sqlite3_column_int64(stmt, 2);
        twin->is_folder = sqlite3_column_int(stmt, 3) != 0;
        twin->name = yps_column_strdup(stmt, 4);
        g_ptr_array_add(twins, twin);
    }
    if (stmt == NULL || rc != SQLITE_DONE) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "migration 3: %s",
                    sqlite3_errmsg(s->db));
        return false;
    }
    for (guint i = 0; i < twins->len; i++) {
        if (yps_twin_settle(s, g_ptr_array_index(twins, i), now) != YP_STATUS_OK) {
            g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "migration 3: %s",
                        sqlite3_errmsg(s->db));
            return false;
        }
    }
    return true;
}

typedef bool (*yps_migration_hook_t)(yps_sqlite_t *s, GError **error);

/* The migrations that need more than SQL: each runs after the SQL of the same
 * index, in the same transaction. */
static const yps_migration_hook_t yps_migration_hooks[G_N_ELEMENTS(yps_migrations)] = {
    [2] = yps_migrate_twins,
};

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

        if (!yps_sqlite_exec(s, yps_migrations[v], error)
            || (yps_migration_hooks[v] != NULL && !yps_migration_hooks[v](s, error))
            || !yps_sqlite_exec(s, bump, error)) {
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

/* Every upload, however many: the start-up sweep checks each one's files. */
static yp_status_t
yps_sqlite_upload_ids(yps_meta_t *meta, GPtrArray *ids)
{
    yps_sqlite_t *s = YPS_SQLITE(meta);
    sqlite3_stmt *stmt = yps_stmt(s, "SELECT id FROM uploads");
    int rc;

    if (stmt == NULL) {
        return YP_STATUS_INTERNAL;
    }
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        g_ptr_array_add(ids, yps_column_strdup(stmt, 0));
    }
    return rc == SQLITE_DONE ? YP_STATUS_OK : yps_sqlite_error(s, "upload ids");
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
    .upload_ids = yps_sqlite_upload_ids,
    .changes = yps_sqlite_changes,
    .changes_prune = yps_sqlite_changes_prune,
    .idem_reserve = yps_sqlite_idem_reserve,
    .idem_answer = yps_sqlite_idem_answer,
    .idem_release = yps_sqlite_idem_release,
    .idem_prune = yps_sqlite_idem_prune,
    .files_commit = yps_sqlite_files_commit,
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
