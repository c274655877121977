/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define YP_SYNC_ERROR (yp_sync_error_quark ())

/**
 * YpSyncError:
 * @YP_SYNC_ERROR_FAILED: anything else
 * @YP_SYNC_ERROR_LOCKED: another engine (the window, `yunpan-cli sync`) is
 *   running the pair
 * @YP_SYNC_ERROR_STATE: the pair's state database cannot be used (damaged,
 *   or written by a newer version)
 * @YP_SYNC_ERROR_INVALID_NAME: a name one side allows and the other does not
 * @YP_SYNC_ERROR_CASE_CLASH: two names that differ only in case, where one
 *   side cannot hold both
 * @YP_SYNC_ERROR_UNREADABLE: a local file that cannot be read (permissions,
 *   vanished while it was read)
 * @YP_SYNC_ERROR_SYMLINK: a symbolic link, which is not synced
 */
typedef enum
{
  YP_SYNC_ERROR_FAILED,
  YP_SYNC_ERROR_LOCKED,
  YP_SYNC_ERROR_STATE,
  YP_SYNC_ERROR_INVALID_NAME,
  YP_SYNC_ERROR_CASE_CLASH,
  YP_SYNC_ERROR_UNREADABLE,
  YP_SYNC_ERROR_SYMLINK,
} YpSyncError;

GQuark yp_sync_error_quark (void);

G_END_DECLS
