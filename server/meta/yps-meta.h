/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * yps-meta.h: the metadata store interface.
 *
 * Handlers see users, sessions, the file tree, upload sessions and the change
 * log only through this table of operations, so that the embedded SQLite
 * backend (meta/sqlite/) can be joined by PostgreSQL without touching a
 * handler. Every operation is authorized by the user id it is given: a node
 * of another user is reported as NOT_FOUND. Mutations append to the user's
 * change log in the same transaction and return the new cursor as the
 * node's version. Idempotency keys and their answers live here too.
 */
#ifndef YPS_META_H
#define YPS_META_H

#include <stdbool.h>
#include <stdint.h>

#include <glib.h>

#include "yp-hash.h"
#include "yp-protocol.h"

typedef struct {
    int64_t  id;
    int64_t  parent_id;     /* 0 for the root */
    bool     is_folder;
    char    *name;
    char    *path;          /* filled by the operations that say so */
    char    *sha256;        /* NULL for folders */
    char    *category;
    int64_t  size;
    int64_t  mtime;
    int64_t  created;
    int64_t  modified;
    int64_t  version;
    int64_t  downloads;
} yps_node_t;

void yps_node_clear(yps_node_t *node);
void yps_node_free(yps_node_t *node);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(yps_node_t, yps_node_clear)

typedef enum {
    YPS_SORT_NAME,
    YPS_SORT_SIZE,
    YPS_SORT_MODIFIED,
    YPS_SORT_DOWNLOADS,
} yps_sort_t;

typedef struct {
    int64_t     folder_id;
    const char *category;   /* NULL: every entry */
    bool        recursive;  /* with category: the user's whole tree */
    yps_sort_t  sort;
    bool        descending;
    int64_t     offset;
    int64_t     limit;
} yps_list_query_t;

typedef struct {
    char     id[33];
    int64_t  user_id;
    int64_t  parent_id;
    char    *name;
    char     sha256[65];
    int64_t  size;
    int64_t  mtime;
    int64_t  if_version;    /* 0: create only */
    int64_t  offset;
    int64_t  expires;
    char    *challenge;     /* JSON {"nonce":..,"ranges":[..]} or NULL */
    /* the SHA-256 of the bytes before offset, as yp_sha256_save wrote it;
     * hash_state_len 0 when not saved */
    uint8_t  hash_state[YP_SHA256_STATE_LEN];
    size_t   hash_state_len;
} yps_upload_t;

void yps_upload_clear(yps_upload_t *upload);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(yps_upload_t, yps_upload_clear)

typedef enum {
    YPS_CHANGE_CREATE,
    YPS_CHANGE_MODIFY,
    YPS_CHANGE_MOVE,
    YPS_CHANGE_DELETE,
} yps_change_op_t;

typedef struct {
    int64_t         cursor;
    yps_change_op_t op;
    yps_node_t      node;   /* path filled */
    char           *old_path;
} yps_change_t;

void yps_change_free(yps_change_t *change);

typedef struct {
    int64_t used;       /* bytes of the account's files */
    int64_t reserved;   /* declared bytes of its uploads in progress */
    int64_t quota;      /* the account's own quota, -1: the server's default */
} yps_usage_t;

/*
 * One use of an Idempotency-Key: the caller's key, the request it was sent
 * with, and the reservation this request holds on it. Keys belong to one
 * user; OWNER tells this request's reservation from a later one's that took
 * it over, so that a request outlived by its reservation stores nothing.
 */
typedef struct {
    int64_t  user_id;
    char     key[65];
    uint8_t  fingerprint[32];   /* SHA-256 of method, path, query and the body's digest */
    int64_t  owner;             /* random per reservation */
} yps_idem_t;

/* The answer kept for a key: what a repeat of its request is given. */
typedef struct {
    int      http;          /* 0: none (the request runs) */
    char    *body;          /* JSON text, NULL when the answer had none */
} yps_idem_answer_t;

void yps_idem_answer_clear(yps_idem_answer_t *answer);

typedef struct yps_meta_s yps_meta_t;

/* ------------------------------------------------------------------------
 * Batches of small files (files_commit)
 *
 * One file of a batch: where it goes and what it holds (its blob already
 * durable in the blob store), and what became of it.
 * ------------------------------------------------------------------------ */
typedef struct {
    int64_t      parent_id;
    const char  *name;
    int64_t      if_version;    /* 0: create only */
    const char  *sha256;
    int64_t      size;
    int64_t      mtime;
    yp_status_t  status;        /* in: OK to commit it; out: its outcome */
    int64_t      current_version; /* out, with CONFLICT: the file's version (0: none) */
    yps_node_t   node;          /* out, when committed: the file, path filled */
} yps_batch_file_t;

typedef struct {
    const char *name;

    void        (*close)(yps_meta_t *meta);
    yp_status_t (*ping)(yps_meta_t *meta);
    /* One consistent view for a read-only request (listing, its count and
     * the caller's session agree), and one lock round trip instead of one
     * per query. No write may happen in between. */
    yp_status_t (*snapshot_begin)(yps_meta_t *meta);
    void        (*snapshot_end)(yps_meta_t *meta);

    /* accounts */
    yp_status_t (*user_create)(yps_meta_t *meta, const char *username, const char *pwhash,
                               int64_t *user_id);
    /* *USERNAME gets the spelling given at registration. */
    yp_status_t (*user_find)(yps_meta_t *meta, const char *username, int64_t *user_id,
                             char **canonical, char **pwhash);
    yp_status_t (*user_state)(yps_meta_t *meta, int64_t user_id, int64_t *root_id,
                              int64_t *cursor);
    yp_status_t (*session_create)(yps_meta_t *meta, int64_t user_id, const uint8_t *token_hash,
                                  int64_t expires);
    /* NOT_FOUND for unknown tokens, TOKEN_EXPIRED (and forgotten) for old ones. */
    yp_status_t (*session_find)(yps_meta_t *meta, const uint8_t *token_hash, int64_t now,
                                int64_t *user_id, char **username, int64_t *expires);
    yp_status_t (*session_delete)(yps_meta_t *meta, const uint8_t *token_hash);
    /* The next three end sessions and append to ENDED, a GArray of 32-byte
     * elements (g_array_new (FALSE, FALSE, 32)), the token hash of each
     * session they ended, so that its event streams can be ended too. */
    /* Ends every session of USER_ID except the one EXCEPT names (NULL: all). */
    yp_status_t (*session_delete_user)(yps_meta_t *meta, int64_t user_id, const uint8_t *except,
                                       GArray *ended);
    /* Replaces the password hash and ends every session but EXCEPT, at once. */
    yp_status_t (*user_set_password)(yps_meta_t *meta, int64_t user_id, const char *pwhash,
                                     const uint8_t *except, GArray *ended);
    /* Forgets the sessions that expired by NOW. */
    yp_status_t (*session_prune)(yps_meta_t *meta, int64_t now, GArray *ended);

    /* the tree */
    yp_status_t (*node_get)(yps_meta_t *meta, int64_t user_id, int64_t id, yps_node_t *node);
    yp_status_t (*node_child)(yps_meta_t *meta, int64_t user_id, int64_t parent_id,
                              const char *name, yps_node_t *node);
    yp_status_t (*node_path)(yps_meta_t *meta, int64_t user_id, int64_t id, char **path);
    /* Appends yps_node_t * (path not filled) to ENTRIES. */
    yp_status_t (*node_list)(yps_meta_t *meta, int64_t user_id, const yps_list_query_t *query,
                             GPtrArray *entries, int64_t *total);
    yp_status_t (*node_mkdir)(yps_meta_t *meta, int64_t user_id, int64_t parent_id,
                              const char *name, int64_t now, yps_node_t *node);
    yp_status_t (*node_move)(yps_meta_t *meta, int64_t user_id, int64_t id, int64_t if_version,
                             int64_t new_parent_id, const char *new_name, int64_t now,
                             yps_node_t *node);
    /* Appends to ORPHANS (char *) the blobs no node refers to any more;
     * the caller removes them from the blob store. */
    yp_status_t (*node_delete)(yps_meta_t *meta, int64_t user_id, int64_t id,
                               int64_t if_version, int64_t *cursor, GPtrArray *orphans);
    /* Creates or (with IF_VERSION) replaces the file PARENT_ID/NAME with the
     * blob SHA256, recording the blob when it is new. The blob must already
     * be durable in the blob store. QUOTA_EXCEEDED when the account's usage
     * would pass its quota (QUOTA unless it has its own; 0: unlimited). */
    yp_status_t (*file_commit)(yps_meta_t *meta, int64_t user_id, int64_t parent_id,
                               const char *name, int64_t if_version, const char *sha256,
                               int64_t size, int64_t mtime, int64_t now, int64_t quota,
                               yps_node_t *node, GPtrArray *orphans);
    yp_status_t (*file_downloaded)(yps_meta_t *meta, int64_t user_id, int64_t id);

    /* blobs */
    yp_status_t (*blob_find)(yps_meta_t *meta, const char *sha256, int64_t *size);
    /* OK when one of USER_ID's files has the content SHA256. */
    yp_status_t (*blob_owned)(yps_meta_t *meta, int64_t user_id, const char *sha256);

    /* quotas */
    yp_status_t (*user_usage)(yps_meta_t *meta, int64_t user_id, yps_usage_t *usage);
    /* QUOTA bytes for USERNAME; -1: back to the server's default. */
    yp_status_t (*user_set_quota)(yps_meta_t *meta, const char *username, int64_t quota);

    /* upload sessions */
    /* Creates UPLOAD, atomically with the checks that it fits the account's
     * quota (QUOTA unless it has its own; 0: unlimited; REPLACED: bytes of
     * the file it will replace) with its other uploads in progress
     * (QUOTA_EXCEEDED), and that they are fewer than MAX_UPLOADS
     * (RATE_LIMITED). *USAGE gets what the checks saw. */
    yp_status_t (*upload_create)(yps_meta_t *meta, const yps_upload_t *upload, int64_t quota,
                                 int64_t replaced, int64_t max_uploads, yps_usage_t *usage);
    yp_status_t (*upload_get)(yps_meta_t *meta, int64_t user_id, const char *id,
                              yps_upload_t *upload);
    /* OK when upload ID exists, whoever owns it. */
    yp_status_t (*upload_find)(yps_meta_t *meta, const char *id);
    /* Moves upload ID from offset FROM to TO, with the hash state of the
     * bytes before TO, only if it stands at FROM (OFFSET_MISMATCH
     * otherwise): a chunk is never applied twice. */
    yp_status_t (*upload_advance)(yps_meta_t *meta, const char *id, int64_t from, int64_t to,
                                  int64_t expires, const uint8_t *hash_state,
                                  size_t hash_state_len);
    /* Spends the pending CHALLENGE (its exact text): OK for exactly one
     * caller, NO_CHALLENGE for every other. */
    yp_status_t (*upload_spend_challenge)(yps_meta_t *meta, const char *id,
                                          const char *challenge);
    yp_status_t (*upload_delete)(yps_meta_t *meta, const char *id);
    /* Appends the ids (char *) of uploads that expired before NOW. */
    yp_status_t (*upload_expired)(yps_meta_t *meta, int64_t now, GPtrArray *ids);
    /* Appends the ids (char *) of every upload, for the start-up sweep. */
    yp_status_t (*upload_ids)(yps_meta_t *meta, GPtrArray *ids);

    /* change feed: CURSOR_EXPIRED when entries after SINCE were pruned */
    yp_status_t (*changes)(yps_meta_t *meta, int64_t user_id, int64_t since, int64_t limit,
                           GPtrArray *changes, bool *has_more, int64_t *latest);
    /* Forgets the entries recorded before BEFORE (a time). */
    yp_status_t (*changes_prune)(yps_meta_t *meta, int64_t before, int64_t *removed);

    /* idempotency keys: each is reserved in a transaction of its own before
     * its request runs, and its answer stored after, so a request whose
     * worker died is known by a reservation that never got an answer.
     * Reserves IDEM's key as of NOW: OK with ANSWER->http 0 when the request
     * is to run (the key is new, was reserved before FORGET_BEFORE, or its
     * reservation was made before STALE_BEFORE without an answer, which is
     * then taken over); OK with ANSWER filled when the same request was
     * answered; IDEMPOTENCY_KEY_REUSED when the key came with another
     * fingerprint; REQUEST_IN_PROGRESS while the reservation is younger. */
    yp_status_t (*idem_reserve)(yps_meta_t *meta, const yps_idem_t *idem, int64_t now,
                                int64_t forget_before, int64_t stale_before,
                                yps_idem_answer_t *answer);
    /* Keeps HTTP and BODY (may be NULL) as the answer of IDEM's reservation;
     * NOT_FOUND when that reservation is no longer IDEM's. */
    yp_status_t (*idem_answer)(yps_meta_t *meta, const yps_idem_t *idem, int http,
                               const char *body);
    /* Gives IDEM's reservation back, when its request must run again. */
    yp_status_t (*idem_release)(yps_meta_t *meta, const yps_idem_t *idem);
    /* Forgets the keys reserved before BEFORE (a time). */
    yp_status_t (*idem_prune)(yps_meta_t *meta, int64_t before, int64_t *removed);

    /* batches: commits the N FILES whose status is OK in one transaction,
     * each as file_commit would (the same checks, one change-log entry
     * each, QUOTA as there and counted across the batch): a file that fails
     * gets its status and leaves the others alone. Appends to ORPHANS the
     * blobs that replaced files left unreferenced. A failure of the store
     * itself commits nothing and is returned (every file still OK then gets
     * it too). */
    yp_status_t (*files_commit)(yps_meta_t *meta, int64_t user_id, yps_batch_file_t *files,
                                size_t n, int64_t now, int64_t quota, GPtrArray *orphans);
} yps_meta_ops_t;

struct yps_meta_s {
    const yps_meta_ops_t *ops;
};

/* Opens the SQLite store at PATH, creating and migrating its schema. */
yps_meta_t *yps_meta_sqlite_open(const char *path, GError **error);

#endif
