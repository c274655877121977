/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "yp-listing.h"
#include "yp-node.h"
#include "yp-retry.h"
#include "yp-target.h"
#include "yp-transfer.h"

G_BEGIN_DECLS

#define YP_TYPE_CLIENT (yp_client_get_type ())

G_DECLARE_FINAL_TYPE (YpClient, yp_client, YP, CLIENT, GObject)

typedef enum
{
  YP_SORT_NAME,
  YP_SORT_SIZE,
  YP_SORT_MODIFIED,
  YP_SORT_DOWNLOADS,
} YpSort;

/**
 * YpListOptions:
 * @sort: the sort key; folders always come first
 * @descending: reverse the order
 * @offset: entries to skip
 * @limit: entries at most (0: the server's default)
 * @category: (nullable): only files of this category
 * @recursive: with @category, search the whole tree
 */
typedef struct
{
  YpSort      sort;
  gboolean    descending;
  gint64      offset;
  gint64      limit;
  const char *category;
  gboolean    recursive;
} YpListOptions;

YpClient   *yp_client_new            (const char           *base_url);
const char *yp_client_get_base_url   (YpClient             *self);
char       *yp_client_dup_token      (YpClient             *self);
void        yp_client_set_token      (YpClient             *self,
                                      const char           *token);
const char *yp_client_get_username   (YpClient             *self);
gint64      yp_client_get_user_id    (YpClient             *self);
void        yp_client_set_retry_policy (YpClient             *self,
                                        const YpRetryPolicy  *policy);
/* Bytes per upload request; an interrupted upload resumes from the last
 * chunk the server acknowledged. Unset, each upload sizes its chunks from
 * the rate it measures (a second or two of sending each, within the
 * server's limit). */
void        yp_client_set_chunk_size (YpClient             *self,
                                      guint64               chunk_size);

/* Accounts. Login stores the token in the client (not in the keyring). */
gboolean    yp_client_register_sync  (YpClient             *self,
                                      const char           *username,
                                      const char           *password,
                                      GCancellable         *cancellable,
                                      GError              **error);
gboolean    yp_client_login_sync     (YpClient             *self,
                                      const char           *username,
                                      const char           *password,
                                      GCancellable         *cancellable,
                                      GError              **error);
gboolean    yp_client_logout_sync    (YpClient             *self,
                                      GCancellable         *cancellable,
                                      GError              **error);
/* Ends every session of the user, this one included. */
gboolean    yp_client_logout_all_sync (YpClient            *self,
                                       GCancellable        *cancellable,
                                       GError             **error);
/* Every other session of the user ends; this one stays. */
gboolean    yp_client_change_password_sync (YpClient       *self,
                                            const char     *old_password,
                                            const char     *new_password,
                                            GCancellable   *cancellable,
                                            GError        **error);
/* Checks the token and learns the username, user id and newest cursor. */
gboolean    yp_client_whoami_sync    (YpClient             *self,
                                      gint64               *cursor,
                                      GCancellable         *cancellable,
                                      GError              **error);

/*
 * The tree. Each call names its node with a YpTarget (by id, by path, or
 * by name in a parent folder: see yp-target.h); paths are absolute ("/",
 * "/Photos/cat.jpg"). IF_VERSION is what a change expects of the node:
 * YP_VERSION_ANY, or exactly version N (see yp-node.h).
 */
YpListing  *yp_client_list_sync      (YpClient             *self,
                                      const YpTarget       *folder,
                                      const YpListOptions  *options,
                                      GCancellable         *cancellable,
                                      GError              **error);
YpNode     *yp_client_stat_sync      (YpClient             *self,
                                      const YpTarget       *target,
                                      GCancellable         *cancellable,
                                      GError              **error);
/* TARGET: a path, or a parent id and a name. PARENTS: create the missing
 * folders above it too, and succeed when it exists already. */
YpNode     *yp_client_mkdir_sync     (YpClient             *self,
                                      const YpTarget       *target,
                                      gboolean              parents,
                                      GCancellable         *cancellable,
                                      GError              **error);
/* TO: a path, or a parent id and/or a name (the part left out stays). */
YpNode     *yp_client_move_sync      (YpClient             *self,
                                      const YpTarget       *target,
                                      const YpTarget       *to,
                                      gint64                if_version,
                                      GCancellable         *cancellable,
                                      GError              **error);
/* CURSOR (nullable): set to the change-feed cursor of the deletion. */
gboolean    yp_client_delete_sync    (YpClient             *self,
                                      const YpTarget       *target,
                                      gint64                if_version,
                                      gint64               *cursor,
                                      GCancellable         *cancellable,
                                      GError              **error);
YpChanges  *yp_client_changes_sync   (YpClient             *self,
                                      gint64                since,
                                      gint64                limit,
                                      GCancellable         *cancellable,
                                      GError              **error);

/*
 * The thumbnail of the image file NODE_ID: a PNG of at most SIZE pixels
 * wide and high (YP_THUMBNAIL_SMALL 128 or YP_THUMBNAIL_LARGE 256 of
 * yp-protocol.h), the aspect
 * kept, as the server sent it; decoding it is the caller's (e.g.
 * gdk_texture_new_from_bytes). A file the server makes none of fails with
 * the protocol's code (yp_client_error_get_status): YP_STATUS_NOT_AN_IMAGE
 * or YP_STATUS_IMAGE_TOO_LARGE, both YP_CLIENT_ERROR_INVALID.
 */
GBytes     *yp_client_thumbnail_sync (YpClient             *self,
                                      gint64                node_id,
                                      guint                 size,
                                      GCancellable         *cancellable,
                                      GError              **error);

/* Transfers, in the calling thread; progress and the outcome are reported
 * through TRANSFER (see YpTransfer), cancelled by its cancellable. Uploads try
 * instant upload first; downloads are verified against the SHA-256. */
gboolean    yp_client_upload_sync    (YpClient             *self,
                                      YpTransfer           *transfer,
                                      GError              **error);
gboolean    yp_client_download_sync  (YpClient             *self,
                                      YpTransfer           *transfer,
                                      GError              **error);

/*
 * The same, without blocking: on libsoup's asynchronous API in the
 * thread-default main context of the caller, where the callback runs. No
 * thread is held while a call waits for the network or between its tries;
 * cancelling ends a wait at once. A call whose answer arrived is delivered
 * even when it was cancelled meanwhile, since the server made the change.
 */
void        yp_client_register_async (YpClient             *self,
                                      const char           *username,
                                      const char           *password,
                                      GCancellable         *cancellable,
                                      GAsyncReadyCallback   callback,
                                      gpointer              user_data);
gboolean    yp_client_register_finish (YpClient            *self,
                                       GAsyncResult        *result,
                                       GError             **error);
void        yp_client_login_async    (YpClient             *self,
                                      const char           *username,
                                      const char           *password,
                                      GCancellable         *cancellable,
                                      GAsyncReadyCallback   callback,
                                      gpointer              user_data);
gboolean    yp_client_login_finish   (YpClient             *self,
                                      GAsyncResult         *result,
                                      GError              **error);
void        yp_client_logout_async   (YpClient             *self,
                                      GCancellable         *cancellable,
                                      GAsyncReadyCallback   callback,
                                      gpointer              user_data);
gboolean    yp_client_logout_finish  (YpClient             *self,
                                      GAsyncResult         *result,
                                      GError              **error);
void        yp_client_logout_all_async (YpClient           *self,
                                        GCancellable       *cancellable,
                                        GAsyncReadyCallback callback,
                                        gpointer            user_data);
gboolean    yp_client_logout_all_finish (YpClient          *self,
                                         GAsyncResult      *result,
                                         GError           **error);
void        yp_client_change_password_async (YpClient      *self,
                                             const char    *old_password,
                                             const char    *new_password,
                                             GCancellable  *cancellable,
                                             GAsyncReadyCallback callback,
                                             gpointer       user_data);
gboolean    yp_client_change_password_finish (YpClient     *self,
                                              GAsyncResult *result,
                                              GError      **error);
void        yp_client_whoami_async   (YpClient             *self,
                                      GCancellable         *cancellable,
                                      GAsyncReadyCallback   callback,
                                      gpointer              user_data);
gboolean    yp_client_whoami_finish  (YpClient             *self,
                                      GAsyncResult         *result,
                                      gint64               *cursor,
                                      GError              **error);
void        yp_client_list_async     (YpClient             *self,
                                      const YpTarget       *folder,
                                      const YpListOptions  *options,
                                      GCancellable         *cancellable,
                                      GAsyncReadyCallback   callback,
                                      gpointer              user_data);
YpListing  *yp_client_list_finish    (YpClient             *self,
                                      GAsyncResult         *result,
                                      GError              **error);
void        yp_client_stat_async     (YpClient             *self,
                                      const YpTarget       *target,
                                      GCancellable         *cancellable,
                                      GAsyncReadyCallback   callback,
                                      gpointer              user_data);
YpNode     *yp_client_stat_finish    (YpClient             *self,
                                      GAsyncResult         *result,
                                      GError              **error);
void        yp_client_mkdir_async    (YpClient             *self,
                                      const YpTarget       *target,
                                      gboolean              parents,
                                      GCancellable         *cancellable,
                                      GAsyncReadyCallback   callback,
                                      gpointer              user_data);
YpNode     *yp_client_mkdir_finish   (YpClient             *self,
                                      GAsyncResult         *result,
                                      GError              **error);
void        yp_client_move_async     (YpClient             *self,
                                      const YpTarget       *target,
                                      const YpTarget       *to,
                                      gint64                if_version,
                                      GCancellable         *cancellable,
                                      GAsyncReadyCallback   callback,
                                      gpointer              user_data);
YpNode     *yp_client_move_finish    (YpClient             *self,
                                      GAsyncResult         *result,
                                      GError              **error);
void        yp_client_delete_async   (YpClient             *self,
                                      const YpTarget       *target,
                                      gint64                if_version,
                                      GCancellable         *cancellable,
                                      GAsyncReadyCallback   callback,
                                      gpointer              user_data);
gboolean    yp_client_delete_finish  (YpClient             *self,
                                      GAsyncResult         *result,
                                      gint64               *cursor,
                                      GError              **error);
void        yp_client_changes_async  (YpClient             *self,
                                      gint64                since,
                                      gint64                limit,
                                      GCancellable         *cancellable,
                                      GAsyncReadyCallback   callback,
                                      gpointer              user_data);
YpChanges  *yp_client_changes_finish (YpClient             *self,
                                      GAsyncResult         *result,
                                      GError              **error);
void        yp_client_thumbnail_async (YpClient            *self,
                                       gint64               node_id,
                                       guint                size,
                                       GCancellable        *cancellable,
                                       GAsyncReadyCallback  callback,
                                       gpointer             user_data);
GBytes     *yp_client_thumbnail_finish (YpClient           *self,
                                        GAsyncResult       *result,
                                        GError            **error);

G_END_DECLS
