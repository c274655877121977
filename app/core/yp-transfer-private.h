/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "yp-rate-limiter.h"
#include "yp-transfer.h"

G_BEGIN_DECLS

/* Called from the worker thread that runs the transfer; the properties
 * change in the main context the transfer was created in, at most ten times
 * a second. */
void           _yp_transfer_set_state     (YpTransfer      *self,
                                           YpTransferState  state);
/* Both at once: a state whose bytes done count anew (hashing, then
 * sending) is never seen with the other's count. */
void           _yp_transfer_set_state_and_done (YpTransfer      *self,
                                                YpTransferState  state,
                                                guint64          done);
void           _yp_transfer_set_total     (YpTransfer      *self,
                                           guint64          total);
void           _yp_transfer_set_done      (YpTransfer      *self,
                                           guint64          done);
void           _yp_transfer_add_done      (YpTransfer      *self,
                                           guint64          bytes);
void           _yp_transfer_add_sent      (YpTransfer      *self,
                                           guint64          bytes);
void           _yp_transfer_set_instant   (YpTransfer      *self,
                                           gboolean         instant);
void           _yp_transfer_finish        (YpTransfer      *self,
                                           YpNode          *node,
                                           const GError    *error);
YpRateLimiter *_yp_transfer_get_limiter   (YpTransfer      *self);
/* The upload's options, with the remote path's if_version folded in. */
const YpUploadOptions *_yp_transfer_get_upload_options (YpTransfer *self);
/* UPLOAD_ID: the server's, or NULL once there is none to resume. */
void           _yp_transfer_set_upload_id (YpTransfer      *self,
                                           const char      *upload_id);
void           _yp_transfer_set_offset    (YpTransfer      *self,
                                           guint64          offset);
void           _yp_transfer_set_uploaded_identity (YpTransfer           *self,
                                                   const YpFileIdentity *identity);

G_END_DECLS
