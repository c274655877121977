/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * yps-sqlite-batch.c: committing many files in one transaction.
 *
 * A batch of small files costs one IMMEDIATE transaction (one journal sync)
 * instead of one per file. Each file runs file_commit's own checks and
 * writes (yps_commit_locked) under a savepoint of its own, so a file that
 * cannot be committed (its name is taken, its version moved on, its parent
 * is gone, the quota is full) is rolled back alone and the others still go
 * in; each committed file bumps the cursor and appends one entry to the
 * change log, as a single commit does.
 */
#include <sqlite3.h>

#include "yps-sqlite-private.h"

static yp_status_t
yps_batch_exec(yps_sqlite_t *s, const char *sql)
{
    sqlite3_stmt *stmt = yps_stmt(s, sql);

    if (stmt == NULL || sqlite3_step(stmt) != SQLITE_DONE) {
        return yps_sqlite_error(s, sql);
    }
    return YP_STATUS_OK;
}

/* With CONFLICT, the client is told the version it should have named: that
 * of the file now at F's place, if there is one. */
static void
yps_batch_current_version(yps_sqlite_t *s, int64_t user_id, yps_batch_file_t *f)
{
    g_auto(yps_node_t) cur = { 0 };

    if (yps_sqlite_node_child(&s->base, user_id, f->parent_id, f->name, &cur) == YP_STATUS_OK) {
        f->current_version = cur.version;
    }
}

/* Commits F under its own savepoint, rolled back when F fails; only a
 * failure of the store itself is returned. */
static yp_status_t
yps_batch_commit_one(yps_sqlite_t *s, int64_t user_id, yps_batch_file_t *f, int64_t now,
                     int64_t quota, GPtrArray *orphans)
{
    guint kept = orphans->len;
    yp_status_t st;

    if ((st = yps_batch_exec(s, "SAVEPOINT yps_batch_file")) != YP_STATUS_OK) {
        return st;
    }
    f->status = yps_commit_locked(s, user_id, f->parent_id, f->name, f->if_version, f->sha256,
                                  f->size, f->mtime, now, quota, &f->node, orphans);
    if (f->status == YP_STATUS_INTERNAL) {
        return f->status;
    }
    if (f->status != YP_STATUS_OK) {
        yps_node_clear(&f->node);
        g_ptr_array_set_size(orphans, kept);
        if ((st = yps_batch_exec(s, "ROLLBACK TO yps_batch_file")) != YP_STATUS_OK) {
            return st;
        }
        if (f->status == YP_STATUS_CONFLICT) {
            yps_batch_current_version(s, user_id, f);
        }
    }
    return yps_batch_exec(s, "RELEASE yps_batch_file");
}

static yp_status_t
yps_batch_commit_locked(yps_sqlite_t *s, int64_t user_id, yps_batch_file_t *files, size_t n,
                        int64_t now, int64_t quota, GPtrArray *orphans)
{
    for (size_t i = 0; i < n; i++) {
        yp_status_t st;

        if (files[i].status == YP_STATUS_OK
            && (st = yps_batch_commit_one(s, user_id, &files[i], now, quota, orphans))
               != YP_STATUS_OK) {
            return st;
        }
    }
    return YP_STATUS_OK;
}

yp_status_t
yps_sqlite_files_commit(yps_meta_t *meta, int64_t user_id, yps_batch_file_t *files, size_t n,
                        int64_t now, int64_t quota, GPtrArray *orphans)
{
    yps_sqlite_t *s = YPS_SQLITE(meta);
    yp_status_t st;

    if ((st = yps_begin(s)) != YP_STATUS_OK) {
        return st;
    }
    st = yps_end(s, yps_batch_commit_locked(s, user_id, files, n, now, quota, orphans));
    if (st != YP_STATUS_OK) {
        /* nothing of the batch was committed */
        g_ptr_array_set_size(orphans, 0);
        for (size_t i = 0; i < n; i++) {
            yps_node_clear(&files[i].node);
            if (files[i].status == YP_STATUS_OK) {
                files[i].status = st;
            }
        }
    }
    return st;
}
