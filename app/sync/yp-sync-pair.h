/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

/*
 * A local folder paired with a folder on the server, for one account: what
 * names a pair's state database (yp-sync-state.h).
 *
 * The pair's id depends on the account, the local folder and the remote
 * folder's node id, not on the remote folder's path: renaming the remote
 * folder on the server keeps the pair and its base.
 */

#define YP_TYPE_SYNC_PAIR (yp_sync_pair_get_type ())

/* How many hex digits of SHA-256 a pair id has: 64 bits, and the database
 * checks the pair it was made for on open, so a collision is refused
 * rather than mixed up. */
#define YP_SYNC_PAIR_ID_LENGTH 16

/**
 * YpSyncPair:
 * @server: the server's URL, normalised (yp_server_url_normalize())
 * @username: the account's username
 * @local_path: the local folder, absolute, with symbolic links resolved
 *   when it exists (so that two spellings of one folder are one pair)
 * @remote_root_id: the remote folder's node id
 * @remote_path: the remote folder's path when the pair was last opened
 *
 * Reference-counted; not changed once made.
 */
typedef struct
{
  char   *server;
  char   *username;
  char   *local_path;
  gint64  remote_root_id;
  char   *remote_path;
} YpSyncPair;

GType       yp_sync_pair_get_type         (void) G_GNUC_CONST;
YpSyncPair *yp_sync_pair_new              (const char       *server,
                                           const char       *username,
                                           const char       *local_path,
                                           gint64            remote_root_id,
                                           const char       *remote_path);
YpSyncPair *yp_sync_pair_ref              (YpSyncPair       *pair);
void        yp_sync_pair_unref            (YpSyncPair       *pair);
/* YP_SYNC_PAIR_ID_LENGTH lower-case hex digits. */
char       *yp_sync_pair_dup_id           (const YpSyncPair *pair);
/* The local folder as a person reads it: "~/Yunpan" under the home folder. */
char       *yp_sync_pair_dup_display_name (const YpSyncPair *pair);
/* Whether A and B name the same pair (the fields the id is made of). */
gboolean    yp_sync_pair_equal            (const YpSyncPair *a,
                                           const YpSyncPair *b);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (YpSyncPair, yp_sync_pair_unref)

G_END_DECLS
