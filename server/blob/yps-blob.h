/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * yps-blob.h: the blob store interface.
 *
 * Blobs are immutable and named by their SHA-256. The embedded backend keeps
 * them in a content-addressed folder (yps-blob-fs.c); object stores (S3,
 * FastDFS) implement the same operations. Callers bracket every change that
 * can add or remove a blob with lock/unlock so that a blob that one request
 * is removing is never the one another request has just stored.
 */
#ifndef YPS_BLOB_H
#define YPS_BLOB_H

#include <stdbool.h>
#include <stdint.h>

#include <glib.h>

typedef struct yps_blob_s yps_blob_t;

/* One blob of a group put: bytes the caller has verified to hash to SHA256. */
typedef struct {
    const char *sha256;
    const void *data;
    size_t      len;
    bool        added;  /* out: the store did not hold SHA256 before */
} yps_blob_item_t;

typedef struct {
    const char *name;
    void (*close)(yps_blob_t *blob);
    bool (*lock)(yps_blob_t *blob, GError **error);
    void (*unlock)(yps_blob_t *blob);
    /* Makes the content of open file FD, which the caller has just hashed to
     * SHA256 through that same descriptor, the blob SHA256, durably: the
     * bytes stored are exactly the bytes verified, whatever happens to the
     * file's name meanwhile. A blob already stored under that name is
     * replaced, since a verified upload is never worse than what is there
     * and a blob that was damaged or planted is repaired that way; *PREVIOUS
     * then gets a descriptor of the replaced file (else -1) so the caller can
     * check it later and raise the alarm. *ADDED tells whether the store did
     * not hold SHA256 before. */
    bool (*put)(yps_blob_t *blob, int fd, const char *sha256, bool *added, int *previous,
                GError **error);
    /* Stores the N ITEMS durably, as put does each, but as one group so that
     * the disk syncs are shared: only what is durable once it returns true.
     * NULL: yps_blob_put_many falls back to put for each. */
    bool (*put_many)(yps_blob_t *blob, yps_blob_item_t *items, size_t n, GError **error);
    bool (*remove)(yps_blob_t *blob, const char *sha256, GError **error);
    /* Opens the blob for reading (proofs of possession); -1 and ERROR if absent. */
    int  (*open)(yps_blob_t *blob, const char *sha256, GError **error);
    /* Removes every blob for which REFERENCED returns false. Only while no
     * worker runs: a blob stored but not yet committed looks unreferenced. */
    void (*sweep)(yps_blob_t *blob, bool (*referenced)(const char *sha256, void *data),
                  void *data, unsigned *removed);
    /* The URI of the nginx internal location that serves the blob, or NULL
     * when the backend serves downloads another way. */
    char *(*accel_uri)(yps_blob_t *blob, const char *sha256);
} yps_blob_ops_t;

struct yps_blob_s {
    const yps_blob_ops_t *ops;
};

/* Stores ITEMS through the backend's put_many, or else one put each from a
 * nameless file in the folder STAGING (for the folder store, on the blobs'
 * filesystem, as put requires). Under the blob lock. */
bool yps_blob_put_many(yps_blob_t *blob, yps_blob_item_t *items, size_t n, const char *staging,
                       GError **error);

/* The content-addressed folder ROOT: ROOT/ab/cd/abcd…; its staging files must
 * live on the same filesystem. */
yps_blob_t *yps_blob_fs_open(const char *root, GError **error);

/* Writes PATH's data and the directory entry to disk (fsync the file, rename
 * is done by the caller, then fsync the folder). Shared by the store and the
 * upload staging area. */
bool yps_fsync_path(const char *path, GError **error);

/* Sets ERROR to "WHAT PATH: <errno ERR's text>" and returns false. Shared
 * by the stores and the thumbnail cache. */
bool yps_set_errno(GError **error, int err, const char *what, const char *path);

/* Writes all LEN bytes of DATA to FD, through interrupted writes; false
 * when a write fails or takes nothing. Shared by the stores and the
 * publisher's client. */
bool yps_write_all(int fd, const void *data, size_t len);

#endif
