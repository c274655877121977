/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * yps-uploads-private.h: what the upload handlers share.
 *
 * An upload session is a metadata row (with the running hash of the bytes
 * acknowledged so far), a staging file DATA/uploads/<id>.part and a lock
 * file DATA/uploads/<id>.lock. Every request that reads or
 * changes the staging file, spends the challenge or ends the session holds
 * the lock, and re-reads the row after taking it: requests for one upload run
 * one after the other, across worker processes, so the bytes that are hashed
 * are the bytes that become the blob.
 */
#ifndef YPS_UPLOADS_PRIVATE_H
#define YPS_UPLOADS_PRIVATE_H

#include "yps-handlers.h"

#define YPS_SIZE_MAX ((int64_t) 1 << 53)

int64_t     _yps_now(void);
char       *_yps_upload_path(yps_req_t *r, const char *id, const char *suffix);
/* The "upload" object of a reply. */
JsonObject *_yps_upload_json(yps_req_t *r, const yps_upload_t *u);

/* Whether a chunk of LEN bytes at OFFSET may be applied to U: where U
 * stands (or, when AHEAD, at most one chunk beyond), no larger than the
 * server takes, and not past the declared size. */
yp_status_t _yps_chunk_check(yps_req_t *r, const yps_upload_t *u, int64_t offset, int64_t len,
                             bool ahead);

/* Takes upload ID's lock (waiting for the request holding it) and reads the
 * caller's upload into U. NOT_FOUND when it does not exist, is not the
 * caller's, or has expired (then it is removed). On success *LOCK is the
 * lock's descriptor: release it with _yps_upload_unlock. */
yp_status_t _yps_upload_lock(yps_req_t *r, const char *id, yps_upload_t *u, int *lock);
void        _yps_upload_unlock(int lock);

/* Creates the lock file of a new upload ID. */
yp_status_t _yps_upload_lock_create(yps_req_t *r, const char *id);

/* Ends upload ID: its row, staging file and lock file. Call holding the
 * lock (or for an upload nobody can reach yet). */
void        _yps_upload_discard(yps_req_t *r, const char *id);

/* Makes upload U a file and replies 201. FD is the verified content to
 * store (hashed through FD itself), or -1 when the blob store already holds
 * it (instant upload). Ends the session when it commits. */
yp_status_t _yps_upload_commit(yps_req_t *r, const yps_upload_t *u, int fd, bool instant);

/* The effective quota of the caller: 0 means unlimited. */
int64_t     _yps_quota(yps_req_t *r, const yps_usage_t *usage);

/* yps-instant.c: whether to offer a challenge for U, and the JSON of it. */
JsonObject *_yps_instant_offer(yps_req_t *r, const yps_upload_t *u);

#endif
