/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * yps-sqlite-private.h: what the files of the SQLite metadata backend share:
 * the connection, the statement cache and each file's operations, which
 * yps-sqlite.c gathers into the backend's table.
 */
#ifndef YPS_SQLITE_PRIVATE_H
#define YPS_SQLITE_PRIVATE_H

#include <sqlite3.h>

#include "yps-meta.h"

typedef struct {
    yps_meta_t  base;
    sqlite3    *db;
    GHashTable *stmts;      /* SQL text (static) -> sqlite3_stmt * */
} yps_sqlite_t;

#define YPS_SQLITE(meta) ((yps_sqlite_t *) (meta))

#define YPS_NODE_COLUMNS \
    "id, parent_id, is_folder, name, sha256, category, size, mtime, created, modified, " \
    "version, downloads"


/* yps-sqlite.c */
bool yps_sqlite_exec(yps_sqlite_t *s, const char *sql, GError **error);
sqlite3_stmt *yps_stmt(yps_sqlite_t *s, const char *sql);
yp_status_t yps_sqlite_error(yps_sqlite_t *s, const char *what);
yp_status_t yps_begin(yps_sqlite_t *s);
yp_status_t yps_end(yps_sqlite_t *s, yp_status_t status);
yp_status_t yps_sqlite_snapshot_begin(yps_meta_t *meta);
void yps_sqlite_snapshot_end(yps_meta_t *meta);
char *yps_column_strdup(sqlite3_stmt *stmt, int col);
void yps_node_from_row(sqlite3_stmt *stmt, int col, yps_node_t *node);

/* yps-sqlite-accounts.c */
yp_status_t yps_sqlite_ping(yps_meta_t *meta);
yp_status_t yps_sqlite_user_create(yps_meta_t *meta, const char *username, const char *pwhash,
                       int64_t *user_id);
yp_status_t yps_sqlite_user_find(yps_meta_t *meta, const char *username, int64_t *user_id,
                     char **canonical, char **pwhash);
yp_status_t yps_sqlite_user_state(yps_meta_t *meta, int64_t user_id, int64_t *root_id, int64_t *cursor);
yp_status_t yps_sqlite_session_create(yps_meta_t *meta, int64_t user_id, const uint8_t *token_hash,
                          int64_t expires);
yp_status_t yps_sqlite_session_delete(yps_meta_t *meta, const uint8_t *token_hash);
yp_status_t yps_sqlite_session_find(yps_meta_t *meta, const uint8_t *token_hash, int64_t now,
                        int64_t *user_id, char **username, int64_t *expires);
yp_status_t yps_sqlite_session_delete_user(yps_meta_t *meta, int64_t user_id, const uint8_t *except,
                                           GArray *ended);
yp_status_t yps_sqlite_user_set_password(yps_meta_t *meta, int64_t user_id, const char *pwhash,
                             const uint8_t *except, GArray *ended);
yp_status_t yps_sqlite_session_prune(yps_meta_t *meta, int64_t now, GArray *ended);

/* yps-sqlite-tree-read.c */
yp_status_t yps_sqlite_node_get(yps_meta_t *meta, int64_t user_id, int64_t id, yps_node_t *node);
yp_status_t yps_sqlite_node_child(yps_meta_t *meta, int64_t user_id, int64_t parent_id, const char *name,
                      yps_node_t *node);
yp_status_t yps_sqlite_node_path(yps_meta_t *meta, int64_t user_id, int64_t id, char **path);
yp_status_t yps_sqlite_node_list(yps_meta_t *meta, int64_t user_id, const yps_list_query_t *q,
                     GPtrArray *entries, int64_t *total);

/* yps-sqlite-tree-write.c */
yp_status_t yps_sqlite_node_mkdir(yps_meta_t *meta, int64_t user_id, int64_t parent_id, const char *name,
                      int64_t now, yps_node_t *node);
yp_status_t yps_sqlite_node_move(yps_meta_t *meta, int64_t user_id, int64_t id, int64_t if_version,
                     int64_t new_parent_id, const char *new_name, int64_t now, yps_node_t *node);
yp_status_t yps_sqlite_node_delete(yps_meta_t *meta, int64_t user_id, int64_t id, int64_t if_version,
                       int64_t *cursor, GPtrArray *orphans);
yp_status_t yps_sqlite_file_commit(yps_meta_t *meta, int64_t user_id, int64_t parent_id, const char *name,
                       int64_t if_version, const char *sha256, int64_t size, int64_t mtime,
                       int64_t now, int64_t quota, yps_node_t *node, GPtrArray *orphans);
yp_status_t yps_commit_locked(yps_sqlite_t *s, int64_t user_id, int64_t parent_id, const char *name,
                              int64_t if_version, const char *sha256, int64_t size, int64_t mtime,
                              int64_t now, int64_t quota, yps_node_t *node, GPtrArray *orphans);
yp_status_t yps_sqlite_file_downloaded(yps_meta_t *meta, int64_t user_id, int64_t id);
yp_status_t yps_sqlite_blob_find(yps_meta_t *meta, const char *sha256, int64_t *size);
yp_status_t yps_sqlite_blob_owned(yps_meta_t *meta, int64_t user_id, const char *sha256);

/* yps-sqlite-batch.c */
yp_status_t yps_sqlite_files_commit(yps_meta_t *meta, int64_t user_id, yps_batch_file_t *files,
                                    size_t n, int64_t now, int64_t quota, GPtrArray *orphans);

/* yps-sqlite-quota.c */
yp_status_t yps_sqlite_user_usage(yps_meta_t *meta, int64_t user_id, yps_usage_t *usage);
yp_status_t yps_sqlite_user_set_quota(yps_meta_t *meta, const char *username, int64_t quota);

/* yps-sqlite-uploads.c */
yp_status_t yps_sqlite_upload_create(yps_meta_t *meta, const yps_upload_t *u, int64_t quota,
                         int64_t replaced, int64_t max_uploads, yps_usage_t *usage);
yp_status_t yps_sqlite_upload_get(yps_meta_t *meta, int64_t user_id, const char *id, yps_upload_t *u);
yp_status_t yps_sqlite_upload_find(yps_meta_t *meta, const char *id);
yp_status_t yps_sqlite_upload_advance(yps_meta_t *meta, const char *id, int64_t from, int64_t to,
                          int64_t expires, const uint8_t *hash_state, size_t hash_state_len);
yp_status_t yps_sqlite_upload_spend_challenge(yps_meta_t *meta, const char *id, const char *challenge);
yp_status_t yps_sqlite_upload_delete(yps_meta_t *meta, const char *id);
yp_status_t yps_sqlite_upload_expired(yps_meta_t *meta, int64_t now, GPtrArray *ids);

/* yps-sqlite-changes.c */
yp_status_t yps_sqlite_changes_prune(yps_meta_t *meta, int64_t before, int64_t *removed);
yp_status_t yps_sqlite_changes(yps_meta_t *meta, int64_t user_id, int64_t since, int64_t limit,
                   GPtrArray *changes, bool *has_more, int64_t *latest);

/* yps-sqlite-idempotency.c */
yp_status_t yps_sqlite_idem_reserve(yps_meta_t *meta, const yps_idem_t *idem, int64_t now,
                                    int64_t forget_before, int64_t stale_before,
                                    yps_idem_answer_t *answer);
yp_status_t yps_sqlite_idem_answer(yps_meta_t *meta, const yps_idem_t *idem, int http,
                                   const char *body);
yp_status_t yps_sqlite_idem_release(yps_meta_t *meta, const yps_idem_t *idem);
yp_status_t yps_sqlite_idem_prune(yps_meta_t *meta, int64_t before, int64_t *removed);

#endif
