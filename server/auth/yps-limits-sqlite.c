/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * yps-limits-sqlite.c: the embedded rate limiter, a SQLite file of its own
 * (DATA/limits.db) shared by every worker process.
 *
 * synchronous = OFF: a crash may lose the last counts, which only gives an
 * attacker a few more tries once; a file that a power loss left corrupt is
 * simply started afresh when it is opened. Every read-modify-write runs in a
 * BEGIN IMMEDIATE transaction, so two workers never both grant the last
 * attempt.
 */
#include <string.h>
#include <unistd.h>

#include <gio/gio.h>
#include <sqlite3.h>

#include "yps-limits.h"

typedef struct {
    yps_limits_t  base;
    sqlite3      *db;
    GHashTable   *stmts;    /* SQL text (static) -> sqlite3_stmt * */
} yps_limits_sqlite_t;

#define YPS_LIMITS_SQLITE(l) ((yps_limits_sqlite_t *) (l))

static const char yps_limits_schema[] =
    "CREATE TABLE IF NOT EXISTS throttle ("
    "  key TEXT PRIMARY KEY,"
    "  failures INTEGER NOT NULL,"
    "  blocked_until INTEGER NOT NULL,"
    "  expires INTEGER NOT NULL) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS counters ("
    "  key TEXT PRIMARY KEY,"
    "  hits INTEGER NOT NULL,"
    "  window_end INTEGER NOT NULL) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS marks ("
    "  key TEXT PRIMARY KEY,"
    "  expires INTEGER NOT NULL) WITHOUT ROWID;";

int64_t
yps_backoff_delay(const yps_backoff_t *policy, int64_t failures)
{
    int64_t delay = policy->base;

    if (failures < policy->free || policy->base <= 0) {
        return 0;
    }
    for (int64_t k = policy->free; k < failures && delay < policy->cap; k++) {
        delay *= 2;
    }
    return MIN(delay, policy->cap);
}

/* ------------------------------------------------------------------------
 * Statements and transactions
 * ------------------------------------------------------------------------ */

static sqlite3_stmt *
yps_limits_stmt(yps_limits_sqlite_t *s, const char *sql)
{
    sqlite3_stmt *stmt = g_hash_table_lookup(s->stmts, sql);

    if (stmt == NULL) {
        if (sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, NULL)
            != SQLITE_OK) {
            g_warning("limits: prepare failed: %s: %s", sqlite3_errmsg(s->db), sql);
            return NULL;
        }
        g_hash_table_insert(s->stmts, (gpointer) sql, stmt);
    }
    sqlite3_reset(stmt);
    sqlite3_clear_bindings(stmt);
    return stmt;
}

static yp_status_t
yps_limits_error(yps_limits_sqlite_t *s, const char *what)
{
    g_warning("limits: %s: %s", what, sqlite3_errmsg(s->db));
    return YP_STATUS_UNAVAILABLE;
}

/* Runs one statement that returns no rows; false on error (logged). */
static bool
yps_limits_run(yps_limits_sqlite_t *s, const char *sql)
{
    sqlite3_stmt *stmt = yps_limits_stmt(s, sql);

    if (stmt == NULL || sqlite3_step(stmt) != SQLITE_DONE) {
        yps_limits_error(s, sql);
        return false;
    }
    return true;
}

/* Ends the transaction: commits when STATUS is not an error of the store
 * itself (a refusal such as RATE_LIMITED still commits its reads). */
static yp_status_t
yps_limits_end(yps_limits_sqlite_t *s, yp_status_t status)
{
    if (status == YP_STATUS_UNAVAILABLE) {
        if (!sqlite3_get_autocommit(s->db)) {
            sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
        }
        return status;
    }
    if (!yps_limits_run(s, "COMMIT")) {
        sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
        return YP_STATUS_UNAVAILABLE;
    }
    return status;
}

/* ------------------------------------------------------------------------
 * Growing delays
 * ------------------------------------------------------------------------ */

/* Reads the two columns SQL selects for KEY among the rows still alive at
 * NOW; leaves *A and *B alone when there is none. */
static yp_status_t
yps_limits_read(yps_limits_sqlite_t *s, const char *sql, const char *key, int64_t now,
                int64_t *a, int64_t *b)
{
    sqlite3_stmt *stmt = yps_limits_stmt(s, sql);
    int rc;

    if (stmt == NULL) {
        return YP_STATUS_UNAVAILABLE;
    }
    sqlite3_bind_text(stmt, 1, key, -1, SQLITE_STATIC);
    sqlite3_bind_int64(stmt, 2, now);
    rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW) {
        *a = sqlite3_column_int64(stmt, 0);
        *b = sqlite3_column_int64(stmt, 1);
    }
    sqlite3_reset(stmt);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? YP_STATUS_OK
                                                 : yps_limits_error(s, "read limiter");
}

static yp_status_t
yps_limits_sqlite_attempt(yps_limits_t *limits, const char *key, int64_t now,
                          const yps_backoff_t *policy, int64_t *retry_after)
{
    yps_limits_sqlite_t *s = YPS_LIMITS_SQLITE(limits);
    int64_t failures = 0, blocked_until = 0, delay;
    sqlite3_stmt *stmt;
    yp_status_t st;

    if (!yps_limits_run(s, "BEGIN IMMEDIATE")) {
        return YP_STATUS_UNAVAILABLE;
    }
    st = yps_limits_read(s, "SELECT failures, blocked_until FROM throttle "
                            "WHERE key = ? AND expires > ?", key, now, &failures, &blocked_until);
    if (st != YP_STATUS_OK) {
        return yps_limits_end(s, st);
    }
    if (blocked_until > now) {
        *retry_after = blocked_until - now;
        return yps_limits_end(s, YP_STATUS_RATE_LIMITED);
    }
    failures++;
    delay = yps_backoff_delay(policy, failures);
    stmt = yps_limits_stmt(s, "INSERT OR REPLACE INTO throttle (key, failures, blocked_until, "
                              "expires) VALUES (?, ?, ?, ?)");
    if (stmt == NULL) {
        return yps_limits_end(s, YP_STATUS_UNAVAILABLE);
    }
    sqlite3_bind_text(stmt, 1, key, -1, SQLITE_STATIC);
    sqlite3_bind_int64(stmt, 2, failures);
    sqlite3_bind_int64(stmt, 3, now + delay);
    /* a delay longer than the memory of failures must still be served */
    sqlite3_bind_int64(stmt, 4, now + MAX(policy->forget, delay));
    if (sqlite3_step(stmt) != SQLITE_DONE) {
        return yps_limits_end(s, yps_limits_error(s, "count attempt"));
    }
    *retry_after = 0;
    return yps_limits_end(s, YP_STATUS_OK);
}

static yp_status_t
yps_limits_sqlite_refund(yps_limits_t *limits, const char *key, int64_t now, bool clear)
{
    yps_limits_sqlite_t *s = YPS_LIMITS_SQLITE(limits);
    sqlite3_stmt *stmt = clear
        ? yps_limits_stmt(s, "DELETE FROM throttle WHERE key = ?")
        : yps_limits_stmt(s, "UPDATE throttle SET failures = max(failures - 1, 0), "
                             "blocked_until = min(blocked_until, ?2) WHERE key = ?1");

    if (stmt == NULL) {
        return YP_STATUS_UNAVAILABLE;
    }
    sqlite3_bind_text(stmt, 1, key, -1, SQLITE_STATIC);
    if (!clear) {
        sqlite3_bind_int64(stmt, 2, now);
    }
    if (sqlite3_step(stmt) != SQLITE_DONE) {
        return yps_limits_error(s, "refund attempt");
    }
    return YP_STATUS_OK;
}

/* ------------------------------------------------------------------------
 * Counts per window, and marks
 * ------------------------------------------------------------------------ */

static yp_status_t
yps_limits_sqlite_hit(yps_limits_t *limits, const char *key, int64_t now, int64_t window,
                      int64_t max, int64_t *retry_after)
{
    yps_limits_sqlite_t *s = YPS_LIMITS_SQLITE(limits);
    int64_t hits = 0, window_end = now + window;
    sqlite3_stmt *stmt;
    yp_status_t st;

    if (!yps_limits_run(s, "BEGIN IMMEDIATE")) {
        return YP_STATUS_UNAVAILABLE;
    }
    st = yps_limits_read(s, "SELECT hits, window_end FROM counters "
                            "WHERE key = ? AND window_end > ?", key, now, &hits, &window_end);
    if (st != YP_STATUS_OK) {
        return yps_limits_end(s, st);
    }
    if (hits >= max) {
        *retry_after = window_end - now;
        return yps_limits_end(s, YP_STATUS_RATE_LIMITED);
    }
    stmt = yps_limits_stmt(s, "INSERT OR REPLACE INTO counters (key, hits, window_end) "
                              "VALUES (?, ?, ?)");
    if (stmt == NULL) {
        return yps_limits_end(s, YP_STATUS_UNAVAILABLE);
    }
    sqlite3_bind_text(stmt, 1, key, -1, SQLITE_STATIC);
    sqlite3_bind_int64(stmt, 2, hits + 1);
    sqlite3_bind_int64(stmt, 3, window_end);
    if (sqlite3_step(stmt) != SQLITE_DONE) {
        return yps_limits_end(s, yps_limits_error(s, "count hit"));
    }
    *retry_after = 0;
    return yps_limits_end(s, YP_STATUS_OK);
}

static yp_status_t
yps_limits_sqlite_mark(yps_limits_t *limits, const char *key, int64_t expires)
{
    yps_limits_sqlite_t *s = YPS_LIMITS_SQLITE(limits);
    sqlite3_stmt *stmt = yps_limits_stmt(s, "INSERT OR REPLACE INTO marks (key, expires) "
                                            "VALUES (?, ?)");

    if (stmt == NULL) {
        return YP_STATUS_UNAVAILABLE;
    }
    sqlite3_bind_text(stmt, 1, key, -1, SQLITE_STATIC);
    sqlite3_bind_int64(stmt, 2, expires);
    if (sqlite3_step(stmt) != SQLITE_DONE) {
        return yps_limits_error(s, "mark");
    }
    return YP_STATUS_OK;
}

static yp_status_t
yps_limits_sqlite_marked(yps_limits_t *limits, const char *key, int64_t now, bool *found)
{
    yps_limits_sqlite_t *s = YPS_LIMITS_SQLITE(limits);
    sqlite3_stmt *stmt = yps_limits_stmt(s, "SELECT 1 FROM marks WHERE key = ? AND expires > ?");
    int rc;

    if (stmt == NULL) {
        return YP_STATUS_UNAVAILABLE;
    }
    sqlite3_bind_text(stmt, 1, key, -1, SQLITE_STATIC);
    sqlite3_bind_int64(stmt, 2, now);
    rc = sqlite3_step(stmt);
    sqlite3_reset(stmt);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        return yps_limits_error(s, "read mark");
    }
    *found = rc == SQLITE_ROW;
    return YP_STATUS_OK;
}

/* The keys starting with PREFIX are those from PREFIX up to, not
 * including, PREFIX with its last byte one higher: one range of the
 * primary key, however many marks there are. */
static yp_status_t
yps_limits_sqlite_unmark(yps_limits_t *limits, const char *prefix)
{
    yps_limits_sqlite_t *s = YPS_LIMITS_SQLITE(limits);
    sqlite3_stmt *stmt = yps_limits_stmt(s, "DELETE FROM marks WHERE key >= ?1 AND key < ?2");
    size_t len = strlen(prefix);
    g_autofree char *end = g_strdup(prefix);

    g_return_val_if_fail(len > 0 && (unsigned char) prefix[len - 1] < 0x7f,
                         YP_STATUS_UNAVAILABLE);
    if (stmt == NULL) {
        return YP_STATUS_UNAVAILABLE;
    }
    end[len - 1]++;
    sqlite3_bind_text(stmt, 1, prefix, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 2, end, -1, SQLITE_STATIC);
    if (sqlite3_step(stmt) != SQLITE_DONE) {
        return yps_limits_error(s, "unmark");
    }
    return YP_STATUS_OK;
}

static yp_status_t
yps_limits_sqlite_prune(yps_limits_t *limits, int64_t now, int64_t *removed)
{
    yps_limits_sqlite_t *s = YPS_LIMITS_SQLITE(limits);
    static const char *const sql[] = {
        "DELETE FROM throttle WHERE expires <= ?",
        "DELETE FROM counters WHERE window_end <= ?",
        "DELETE FROM marks WHERE expires <= ?",
    };

    *removed = 0;
    for (size_t i = 0; i < G_N_ELEMENTS(sql); i++) {
        sqlite3_stmt *stmt = yps_limits_stmt(s, sql[i]);

        if (stmt == NULL) {
            return YP_STATUS_UNAVAILABLE;
        }
        sqlite3_bind_int64(stmt, 1, now);
        if (sqlite3_step(stmt) != SQLITE_DONE) {
            return yps_limits_error(s, "prune");
        }
        *removed += sqlite3_changes(s->db);
    }
    return YP_STATUS_OK;
}

/* ------------------------------------------------------------------------
 * Opening and closing
 * ------------------------------------------------------------------------ */

static void
yps_limits_stmt_finalize(gpointer stmt)
{
    sqlite3_finalize(stmt);
}

static void
yps_limits_sqlite_close(yps_limits_t *limits)
{
    yps_limits_sqlite_t *s = YPS_LIMITS_SQLITE(limits);

    g_hash_table_destroy(s->stmts);
    sqlite3_close(s->db);
    g_free(s);
}

static const yps_limits_ops_t yps_limits_sqlite_ops = {
    .name = "sqlite",
    .close = yps_limits_sqlite_close,
    .attempt = yps_limits_sqlite_attempt,
    .refund = yps_limits_sqlite_refund,
    .hit = yps_limits_sqlite_hit,
    .mark = yps_limits_sqlite_mark,
    .marked = yps_limits_sqlite_marked,
    .unmark = yps_limits_sqlite_unmark,
    .prune = yps_limits_sqlite_prune,
};

/* Opens PATH and creates the tables; the SQLite result code on failure. */
static int
yps_limits_try_open(yps_limits_sqlite_t *s, const char *path)
{
    int rc = sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE
                             | SQLITE_OPEN_NOMUTEX, NULL);

    if (rc != SQLITE_OK) {
        return rc;
    }
    sqlite3_busy_timeout(s->db, 5000);
    rc = sqlite3_exec(s->db, "PRAGMA journal_mode = WAL; PRAGMA synchronous = OFF;",
                      NULL, NULL, NULL);
    return rc != SQLITE_OK ? rc : sqlite3_exec(s->db, yps_limits_schema, NULL, NULL, NULL);
}

yps_limits_t *
yps_limits_sqlite_open(const char *path, GError **error)
{
    static const char *const suffixes[] = { "", "-wal", "-shm" };
    yps_limits_sqlite_t *s = g_new0(yps_limits_sqlite_t, 1);
    int rc;

    s->base.ops = &yps_limits_sqlite_ops;
    s->stmts = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL,
                                     yps_limits_stmt_finalize);
    rc = yps_limits_try_open(s, path);
    if (rc == SQLITE_CORRUPT || rc == SQLITE_NOTADB) {
        /* only counters were in it: start afresh rather than refuse to run */
        g_message("limits: %s is damaged (%s); starting it afresh", path, sqlite3_errstr(rc));
        sqlite3_close(s->db);
        s->db = NULL;
        for (size_t i = 0; i < G_N_ELEMENTS(suffixes); i++) {
            g_autofree char *file = g_strconcat(path, suffixes[i], NULL);

            unlink(file);
        }
        rc = yps_limits_try_open(s, path);
    }
    if (rc != SQLITE_OK) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "cannot open %s: %s", path,
                    s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc));
        yps_limits_sqlite_close(&s->base);
        return NULL;
    }
    return &s->base;
}
