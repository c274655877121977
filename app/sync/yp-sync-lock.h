/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

#include "yp-sync-pair.h"

G_BEGIN_DECLS

/*
 * A pair's lock: flock() on <database>.lock, which holds the holder's pid
 * so that whoever is refused can say who runs the pair. Held until it is
 * released or the holder dies, however it dies.
 */
typedef struct _YpSyncLock YpSyncLock;

/* Takes the lock of the database at DB_PATH for PAIR (whose name the
 * refusal gives); %YP_SYNC_ERROR_LOCKED when somebody holds it. */
YpSyncLock *yp_sync_lock_take    (const char       *db_path,
                                  const YpSyncPair *pair,
                                  GError          **error);
void        yp_sync_lock_release (YpSyncLock       *lock);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (YpSyncLock, yp_sync_lock_release)

G_END_DECLS
