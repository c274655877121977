/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <sys/stat.h>

#include "yp-chunk-sizer.h"
#include "yp-client.h"
#include "yp-protocol.h"
#include "yp-rate-limiter.h"
#include "yp-upload-job.h"

G_BEGIN_DECLS

/*
 * One upload as its thread runs it (yp-upload.c), shared with the file's
 * checks (yp-upload-file.c), the proof of possession (yp-upload-proof.c)
 * and the chunks in flight (yp-upload-window.c).
 */

#define YP_UPLOAD_WINDOW_MAX 2

/* One chunk in flight; only yp-upload-window.c looks inside. */
typedef struct _Chunk Chunk;

typedef struct
{
  YpClient       *client;
  YpTransfer     *transfer;
  GCancellable   *cancellable;
  YpRateLimiter  *limiter;
  const YpUploadOptions *options;
  guint           attempt;      /* of the whole upload, from 1 */
  int             fd;
  struct stat     st;
  YpFileIdentity  identity;     /* of the file as it was hashed */
  char            sha256[65];
  char           *upload_id;
  YpChunkSizer    sizer;
  guint           window;       /* chunks in flight at most */

  YpUploadSignal  signal;
  /* under signal.mutex */
  guint64         offset;       /* acknowledged by the server */
  Chunk          *chunks[YP_UPLOAD_WINDOW_MAX];  /* in flight, oldest first */
  guint           n_chunks;

  guint8          nonce[YP_PROOF_NONCE_LEN];
  YpUploadJob    *proof;        /* being judged, or NULL */
  gint64          proof_grace_end;
  gboolean        instant;      /* the proof was accepted */
  gboolean        stuck;        /* chunks kept being refused as too many */
  gboolean        proof_changed;  /* the file changed before its proof went out */
} Upload;

/* yp-upload-file.c: the local file */
guint64   _yp_upload_file_size          (Upload      *up);
gboolean  _yp_upload_set_changed_error  (Upload      *up,
                                         GError     **error);
gboolean  _yp_upload_file_unchanged     (Upload      *up,
                                         gboolean     at_path,
                                         GError     **error);
gboolean  _yp_upload_known_hash_applies (Upload      *up);
gboolean  _yp_upload_open_and_hash      (Upload      *up,
                                         GError     **error);

/* yp-upload.c */
YpNode   *_yp_upload_file_from_reply    (JsonObject  *reply);

/* yp-upload-proof.c */
void      _yp_upload_proof_start        (Upload      *up,
                                         JsonObject  *challenge);
YpNode   *_yp_upload_proof_finish       (Upload      *up,
                                         gboolean     cancel);

/* yp-upload-window.c */
YpNode   *_yp_upload_send_bytes         (Upload      *up,
                                         GError     **error);

G_END_DECLS
