/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "yp-client.h"

G_BEGIN_DECLS

/*
 * What uploading FILES (a #GSList of #GFile: files and folders, as a drop
 * or a file chooser gives them) into REMOTE_FOLDER takes: in a worker
 * thread, folders are walked and made on the server (with their parents,
 * so a retry finds them made), and the files found become one upload
 * transfer each, ready to queue. Nothing blocks the caller's thread.
 *
 * Finishes with a #GPtrArray of #YpTransfer, in the order found; symbolic
 * links and special files are left out.
 */
void       yp_upload_collect_async  (YpClient            *client,
                                     GSList              *files,
                                     const char          *remote_folder,
                                     GCancellable        *cancellable,
                                     GAsyncReadyCallback  callback,
                                     gpointer             user_data);
GPtrArray *yp_upload_collect_finish (GAsyncResult        *result,
                                     GError             **error);

G_END_DECLS
