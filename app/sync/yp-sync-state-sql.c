/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "yunpan-sync"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "yp-sync-error.h"
#include "yp-sync-state-private.h"

/*
 * The statements of a YpSyncState: each SQL literal is prepared once and
 * cached for the life of the database, and every failure is worded the
 * same way.
 */

gboolean
_yp_sync_state_set_db_error (YpSyncState  *self,
                             GError      **error)
{
  g_set_error (error, YP_SYNC_ERROR, YP_SYNC_ERROR_STATE,
               _("Cannot use the sync state “%s”: %s"), self->path, sqlite3_errmsg (self->db));
  return FALSE;
}

static void
stmt_free (gpointer stmt)
{
  sqlite3_finalize (stmt);
}

/* Keyed by the literal's address: the same SQL is always the same literal. */
GHashTable *
_yp_sync_state_new_stmts (void)
{
  return g_hash_table_new_full (g_direct_hash, g_direct_equal, NULL, stmt_free);
}

/* The cached statement for SQL (a string literal), reset and unbound. */
sqlite3_stmt *
_yp_sync_state_get_stmt (YpSyncState  *self,
                         const char   *sql,
                         GError      **error)
{
  sqlite3_stmt *stmt = g_hash_table_lookup (self->stmts, sql);

  if (stmt != NULL)
    {
      sqlite3_reset (stmt);
      sqlite3_clear_bindings (stmt);
      return stmt;
    }
  if (sqlite3_prepare_v3 (self->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, NULL) != SQLITE_OK)
    {
      _yp_sync_state_set_db_error (self, error);
      return NULL;
    }
  g_hash_table_insert (self->stmts, (gpointer) sql, stmt);
  return stmt;
}

/* Runs STMT to its end; it is reset so that it holds no lock meanwhile. */
gboolean
_yp_sync_state_step_done (YpSyncState   *self,
                          sqlite3_stmt  *stmt,
                          GError       **error)
{
  int rc = sqlite3_step (stmt);

  if (rc == SQLITE_ROW || rc == SQLITE_DONE)
    {
      sqlite3_reset (stmt);
      return TRUE;
    }
  _yp_sync_state_set_db_error (self, error);
  sqlite3_reset (stmt);
  return FALSE;
}

gboolean
_yp_sync_state_run (YpSyncState  *self,
                    const char   *sql,
                    GError      **error)
{
  sqlite3_stmt *stmt = _yp_sync_state_get_stmt (self, sql, error);

  return stmt != NULL && _yp_sync_state_step_done (self, stmt, error);
}

void
_yp_sync_state_bind_text (sqlite3_stmt *stmt,
                          int           index,
                          const char   *text)
{
  sqlite3_bind_text (stmt, index, text, -1, SQLITE_TRANSIENT);
}

char *
_yp_sync_state_column_dup (sqlite3_stmt *stmt,
                           int           index)
{
  return g_strdup ((const char *) sqlite3_column_text (stmt, index));
}

/* A savepoint is a transaction of its own outside a batch and nests inside
 * one, so that a write made of several statements is whole either way. */
gboolean
_yp_sync_state_savepoint (YpSyncState  *self,
                          GError      **error)
{
  return _yp_sync_state_run (self, "SAVEPOINT write", error);
}

gboolean
_yp_sync_state_release (YpSyncState  *self,
                        gboolean      ok,
                        GError      **error)
{
  if (ok)
    return _yp_sync_state_run (self, "RELEASE write", error);
  _yp_sync_state_run (self, "ROLLBACK TO write", NULL);
  _yp_sync_state_run (self, "RELEASE write", NULL);
  return FALSE;
}
