/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <sqlite3.h>

#include "yp-sync-lock.h"
#include "yp-sync-state.h"

G_BEGIN_DECLS

/* Shared by the yp-sync-state*.c files, which together make YpSyncState. */
struct _YpSyncState
{
  GObject     parent_instance;

  /* owned */
  YpSyncPair *pair;
  char       *path;
  sqlite3    *db;
  GHashTable *stmts;           /* SQL literal -> sqlite3_stmt */
  YpSyncLock *lock;

  /* state */
  gint64      cursor;
  gint64      pending_cursor;
  guint       has_pending_cursor : 1;
  guint       in_batch : 1;
};

/* yp-sync-state-sql.c: the statements and the errors they give */
gboolean      _yp_sync_state_set_db_error (YpSyncState   *self,
                                           GError       **error);
GHashTable   *_yp_sync_state_new_stmts    (void);
sqlite3_stmt *_yp_sync_state_get_stmt     (YpSyncState   *self,
                                           const char    *sql,
                                           GError       **error);
gboolean      _yp_sync_state_step_done    (YpSyncState   *self,
                                           sqlite3_stmt  *stmt,
                                           GError       **error);
gboolean      _yp_sync_state_run          (YpSyncState   *self,
                                           const char    *sql,
                                           GError       **error);
void          _yp_sync_state_bind_text    (sqlite3_stmt  *stmt,
                                           int            index,
                                           const char    *text);
char         *_yp_sync_state_column_dup   (sqlite3_stmt  *stmt,
                                           int            index);
gboolean      _yp_sync_state_savepoint    (YpSyncState   *self,
                                           GError       **error);
gboolean      _yp_sync_state_release      (YpSyncState   *self,
                                           gboolean       ok,
                                           GError       **error);

/* yp-sync-state-schema.c: the database file and its schema */
gboolean      _yp_sync_state_open_database (YpSyncState  *self,
                                            GError      **error);

G_END_DECLS
