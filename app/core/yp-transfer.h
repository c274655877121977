/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "yp-node.h"
#include "yp-rate-limiter.h"

G_BEGIN_DECLS

#define YP_TYPE_TRANSFER (yp_transfer_get_type ())

G_DECLARE_FINAL_TYPE (YpTransfer, yp_transfer, YP, TRANSFER, GObject)

typedef enum
{
  YP_TRANSFER_UPLOAD,
  YP_TRANSFER_DOWNLOAD,
} YpTransferDirection;

typedef enum
{
  YP_TRANSFER_QUEUED,
  YP_TRANSFER_HASHING,
  YP_TRANSFER_RUNNING,
  YP_TRANSFER_DONE,
  YP_TRANSFER_FAILED,
  YP_TRANSFER_CANCELLED,
} YpTransferState;

/* IF_VERSION as in yp-node.h: %YP_VERSION_NONE creates REMOTE_PATH only if
 * nothing is there, N > 0 replaces exactly version N, %YP_VERSION_ANY
 * replaces whatever file is there (see #YpUploadOptions). */
YpTransfer          *yp_transfer_new_upload      (const char   *local_path,
                                                  const char   *remote_path,
                                                  gint64        if_version);
YpTransfer          *yp_transfer_new_download    (const char   *remote_path,
                                                  const char   *local_path);
YpTransferDirection  yp_transfer_get_direction   (YpTransfer   *self);
const char          *yp_transfer_get_local_path  (YpTransfer   *self);
const char          *yp_transfer_get_remote_path (YpTransfer   *self);
gint64               yp_transfer_get_if_version  (YpTransfer   *self);
YpTransferState      yp_transfer_get_state       (YpTransfer   *self);
guint64              yp_transfer_get_bytes_done  (YpTransfer   *self);
guint64              yp_transfer_get_total_bytes (YpTransfer   *self);
guint64              yp_transfer_get_rate        (YpTransfer   *self);
gboolean             yp_transfer_get_instant     (YpTransfer   *self);
guint64              yp_transfer_get_bytes_sent  (YpTransfer   *self);
const GError        *yp_transfer_get_error       (YpTransfer   *self);
YpNode              *yp_transfer_get_node        (YpTransfer   *self);
GCancellable        *yp_transfer_get_cancellable (YpTransfer   *self);
void                 yp_transfer_cancel          (YpTransfer   *self);
/* Paces the transfer's bytes through LIMITER, which several transfers may
 * share (a queue's limit); before the transfer starts. */
void                 yp_transfer_set_rate_limiter (YpTransfer    *self,
                                                   YpRateLimiter *limiter);
/* An upload's id on the server while it is in progress (NULL before it
 * starts, once it is complete, and once it was abandoned) and the offset
 * the server acknowledged; both are properties too ("upload-id", "offset"). */
char                *yp_transfer_dup_upload_id   (YpTransfer   *self);
guint64              yp_transfer_get_offset      (YpTransfer   *self);

/**
 * YpDownloadTarget:
 * @YP_DOWNLOAD_TARGET_ANY: replace whatever is at the local path
 * @YP_DOWNLOAD_TARGET_ABSENT: commit only if nothing is at the local path;
 *   else the download fails with %YP_CLIENT_ERROR_EXISTS
 * @YP_DOWNLOAD_TARGET_IDENTITY: commit only over a file that still has the
 *   size, modification time and inode given in #YpDownloadOptions; else the
 *   download fails with %YP_CLIENT_ERROR_CHANGED
 *
 * What a download may replace. The check runs before any byte is fetched
 * and again right before the final rename (for %YP_DOWNLOAD_TARGET_ABSENT
 * in the rename itself, with RENAME_NOREPLACE); when it fails the local
 * file is left untouched and the verified part file is kept, so a later
 * download of the same file commits it without fetching it again.
 *
 * A part file records the ETag of the answer its bytes came from: a resume
 * sends it as If-Range, so content that changed on the server meanwhile is
 * fetched again from byte 0.
 */
typedef enum
{
  YP_DOWNLOAD_TARGET_ANY,
  YP_DOWNLOAD_TARGET_ABSENT,
  YP_DOWNLOAD_TARGET_IDENTITY,
} YpDownloadTarget;

/**
 * YpDownloadOptions:
 * @expected_sha256: (nullable): the SHA-256 (hex) the remote file must
 *   have; another one fails the download with %YP_CLIENT_ERROR_CONFLICT
 *   before anything is written
 * @expected_version: the version the remote file must have, 0 for any;
 *   another one fails the download with %YP_CLIENT_ERROR_CONFLICT
 * @staging_dir: (nullable): the folder for the part file, which must be on
 *   the same file system as the local path; %NULL: beside the local path
 * @target: what the download may replace
 * @local_size: with %YP_DOWNLOAD_TARGET_IDENTITY, the size the local file
 *   must still have
 * @local_mtime_ns: likewise its modification time, in nanoseconds since the
 *   epoch
 * @local_inode: likewise its inode number
 * @known_id: with @expected_sha256 and @expected_version, the id of the
 *   node as the caller listed it; with @known_size and @known_mtime, the
 *   download then asks for its bytes at once, without a stat first (the
 *   server's ETag still refuses any other content)
 * @known_size: the listed node's size in bytes
 * @known_mtime: the listed node's modification time, in seconds
 *
 * How a download checks that it replaces only what its caller expects.
 * Zero-initialised options give yp_transfer_new_download()'s behaviour.
 */
typedef struct
{
  const char       *expected_sha256;
  gint64            expected_version;
  const char       *staging_dir;
  YpDownloadTarget  target;
  guint64           local_size;
  gint64            local_mtime_ns;
  guint64           local_inode;
  gint64            known_id;
  guint64           known_size;
  gint64            known_mtime;
} YpDownloadOptions;

/* OPTIONS is copied. */
YpTransfer              *yp_transfer_new_download_full    (const char              *remote_path,
                                                           const char              *local_path,
                                                           const YpDownloadOptions *options);
/* Fills the IDENTITY fields of OPTIONS from the file at PATH as it is now. */
gboolean                 yp_download_options_set_local_identity (YpDownloadOptions *options,
                                                                 const char        *path,
                                                                 GError           **error);

/**
 * YpFileIdentity:
 * @device: the device the file is on
 * @inode: its inode number
 * @size: its size in bytes
 * @mtime_ns: its modification time, in nanoseconds since the epoch
 *
 * Which local file, in which state: a file that is saved anew gets another
 * modification time (and, written beside it and renamed, another inode).
 */
typedef struct
{
  guint64 device;
  guint64 inode;
  guint64 size;
  gint64  mtime_ns;
} YpFileIdentity;

gboolean                 yp_file_identity_from_path       (const char              *path,
                                                           YpFileIdentity          *identity,
                                                           GError                 **error);
gboolean                 yp_file_identity_equal           (const YpFileIdentity    *a,
                                                           const YpFileIdentity    *b);

/**
 * YpUploadOptions:
 * @if_version: what the upload may replace, as in yp-node.h:
 *   %YP_VERSION_NONE creates only (%YP_CLIENT_ERROR_EXISTS when the name is
 *   taken), N > 0 replaces exactly version N (%YP_CLIENT_ERROR_CONFLICT
 *   otherwise), %YP_VERSION_ANY replaces whatever file is there, taking
 *   its version just before the upload starts and again when another
 *   change wins the race (a folder there fails the upload)
 * @parent_id: with @name, the destination as the folder's id and a name
 *   in it, instead of the remote path (which is then %NULL); 0: by path
 * @name: (nullable): see @parent_id
 * @sha256: (nullable): the content's SHA-256 (hex), as the caller already
 *   computed it from the file as @identity describes it: when the file
 *   still has that identity it is not hashed again; otherwise it is (a
 *   hash that is wrong all the same is refused by the server once the
 *   bytes are in, and the upload starts again with one of its own)
 * @identity: the file's identity @sha256 was computed from
 * @resume_upload_id: (nullable): an upload of this file that an earlier
 *   transfer started (yp_transfer_dup_upload_id()), perhaps in another
 *   process: when the server still holds it for a file of this size, and
 *   @sha256 and @identity (when given) still describe the file, the bytes
 *   go on from where the server stands; otherwise the upload starts afresh
 * @keep_on_cancel: a cancelled upload stays on the server (until it expires)
 *   so that a later transfer can resume it; otherwise it is abandoned
 *
 * How an upload chooses what it replaces and what it can skip.
 * Zero-initialised options (with a remote path) give
 * yp_transfer_new_upload()'s behaviour for %YP_VERSION_NONE.
 *
 * Whatever the options, the bytes sent are those the file holds: its
 * identity is checked again right before the last chunk and before a proof
 * of possession goes out, and a file that changed is uploaded again from
 * the start with a fresh hash (a few times at most). A finished upload
 * tells which identity its bytes came from
 * (yp_transfer_get_uploaded_identity()).
 */
typedef struct
{
  gint64          if_version;
  gint64          parent_id;
  const char     *name;
  const char     *sha256;
  YpFileIdentity  identity;
  const char     *resume_upload_id;
  gboolean        keep_on_cancel;
} YpUploadOptions;

/* REMOTE_PATH is NULL when OPTIONS give parent_id and name; OPTIONS is copied. */
YpTransfer              *yp_transfer_new_upload_full      (const char              *local_path,
                                                           const char              *remote_path,
                                                           const YpUploadOptions   *options);
/* The identity of the file the uploaded bytes came from, once the upload
 * is done; FALSE before. */
gboolean                 yp_transfer_get_uploaded_identity (YpTransfer             *self,
                                                            YpFileIdentity         *identity);

G_END_DECLS
