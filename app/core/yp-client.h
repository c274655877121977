/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "yp-node.h"
#include "yp-retry.h"
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

/**
 * YpListing:
 * @folder: the folder listed
 * @entries: (element-type YpNode): one page of its entries
 * @total: entries matching in all
 */
typedef struct
{
  YpNode    *folder;
  GPtrArray *entries;
  gint64     total;
} YpListing;

void yp_listing_free (YpListing *listing);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (YpListing, yp_listing_free)

typedef enum
{
  YP_CHANGE_CREATE,
  YP_CHANGE_MODIFY,
  YP_CHANGE_MOVE,
  YP_CHANGE_DELETE,
} YpChangeOp;

typedef struct
{
  gint64      cursor;
  YpChangeOp  op;
  YpNode     *node;
  char       *old_path;
} YpChange;

/**
 * YpChanges:
 * @changes: (element-type YpChange): the changes after the cursor asked for
 * @cursor: the cursor to ask from next time
 * @latest: the newest cursor on the server
 * @has_more: whether to ask again at once
 */
typedef struct
{
  GPtrArray *changes;
  gint64     cursor;
  gint64     latest;
  gboolean   has_more;
} YpChanges;

void yp_changes_free (YpChanges *changes);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (YpChanges, yp_changes_free)

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

/* The tree. Paths are absolute ("/", "/Photos/cat.jpg"). */
YpListing  *yp_client_list_sync      (YpClient             *self,
                                      const char           *path,
                                      const YpListOptions  *options,
                                      GCancellable         *cancellable,
                                      GError              **error);
YpNode     *yp_client_stat_sync      (YpClient             *self,
                                      const char           *path,
                                      GCancellable         *cancellable,
                                      GError              **error);
YpNode     *yp_client_mkdir_sync     (YpClient             *self,
                                      const char           *path,
                                      gboolean              parents,
                                      GCancellable         *cancellable,
                                      GError              **error);
/* IF_VERSION 0: whatever the current version is. */
YpNode     *yp_client_move_sync      (YpClient             *self,
                                      const char           *path,
                                      const char           *to_path,
                                      gint64                if_version,
                                      GCancellable         *cancellable,
                                      GError              **error);
gboolean    yp_client_delete_sync    (YpClient             *self,
                                      const char           *path,
                                      gint64                if_version,
                                      GCancellable         *cancellable,
                                      GError              **error);
YpChanges  *yp_client_changes_sync   (YpClient             *self,
                                      gint64                since,
                                      gint64                limit,
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

/* The same, without blocking: each runs in a worker thread. */
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
                                      const char           *path,
                                      const YpListOptions  *options,
                                      GCancellable         *cancellable,
                                      GAsyncReadyCallback   callback,
                                      gpointer              user_data);
YpListing  *yp_client_list_finish    (YpClient             *self,
                                      GAsyncResult         *result,
                                      GError              **error);
void        yp_client_stat_async     (YpClient             *self,
                                      const char           *path,
                                      GCancellable         *cancellable,
                                      GAsyncReadyCallback   callback,
                                      gpointer              user_data);
YpNode     *yp_client_stat_finish    (YpClient             *self,
                                      GAsyncResult         *result,
                                      GError              **error);
void        yp_client_mkdir_async    (YpClient             *self,
                                      const char           *path,
                                      gboolean              parents,
                                      GCancellable         *cancellable,
                                      GAsyncReadyCallback   callback,
                                      gpointer              user_data);
YpNode     *yp_client_mkdir_finish   (YpClient             *self,
                                      GAsyncResult         *result,
                                      GError              **error);
void        yp_client_move_async     (YpClient             *self,
                                      const char           *path,
                                      const char           *to_path,
                                      gint64                if_version,
                                      GCancellable         *cancellable,
                                      GAsyncReadyCallback   callback,
                                      gpointer              user_data);
YpNode     *yp_client_move_finish    (YpClient             *self,
                                      GAsyncResult         *result,
                                      GError              **error);
void        yp_client_delete_async   (YpClient             *self,
                                      const char           *path,
                                      gint64                if_version,
                                      GCancellable         *cancellable,
                                      GAsyncReadyCallback   callback,
                                      gpointer              user_data);
gboolean    yp_client_delete_finish  (YpClient             *self,
                                      GAsyncResult         *result,
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

G_END_DECLS
