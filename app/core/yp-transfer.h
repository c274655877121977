/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "yp-node.h"

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
} YpDownloadOptions;

/* OPTIONS is copied. */
YpTransfer              *yp_transfer_new_download_full    (const char              *remote_path,
                                                           const char              *local_path,
                                                           const YpDownloadOptions *options);
/* Fills the IDENTITY fields of OPTIONS from the file at PATH as it is now. */
gboolean                 yp_download_options_set_local_identity (YpDownloadOptions *options,
                                                                 const char        *path,
                                                                 GError           **error);

G_END_DECLS
