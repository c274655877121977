/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "yunpan-sync"

#include "config.h"

#include <errno.h>
#include <fcntl.h>

#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>

#include "yp-sync-error.h"
#include "yp-sync-state-private.h"

/*
 * Durability: WAL with synchronous=FULL syncs the log at every commit, so a
 * committed batch survives a power cut as well as a crash. NORMAL would
 * keep the database consistent but could lose the last commits on power
 * loss, and a base older than the files it describes makes the next pass
 * see changes nobody made. Batches are large, so one fsync each is cheap.
 */

/* Index N brings the schema from version N to N + 1. */
static const char *const migrations[] = {
  "CREATE TABLE pair ("
  "  id INTEGER PRIMARY KEY CHECK (id = 1),"
  "  server TEXT NOT NULL,"
  "  username TEXT NOT NULL,"
  "  local_path TEXT NOT NULL,"
  "  remote_root_id INTEGER NOT NULL,"
  "  remote_path TEXT NOT NULL,"
  "  cursor INTEGER NOT NULL DEFAULT 0);"
  "CREATE TABLE base ("
  "  path TEXT PRIMARY KEY NOT NULL,"
  "  kind INTEGER NOT NULL,"
  "  size INTEGER NOT NULL,"
  "  mtime_ns INTEGER NOT NULL,"
  "  device INTEGER NOT NULL,"
  "  inode INTEGER NOT NULL,"
  "  sha256 TEXT NOT NULL,"
  "  remote_id INTEGER NOT NULL,"
  "  remote_version INTEGER NOT NULL) WITHOUT ROWID;"
  "CREATE TABLE uploads ("
  "  path TEXT PRIMARY KEY NOT NULL,"
  "  upload_id TEXT NOT NULL,"
  "  device INTEGER NOT NULL,"
  "  inode INTEGER NOT NULL,"
  "  size INTEGER NOT NULL,"
  "  mtime_ns INTEGER NOT NULL,"
  "  sha256 TEXT NOT NULL) WITHOUT ROWID;"
  "CREATE TABLE activity ("
  "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
  "  time_us INTEGER NOT NULL,"
  "  kind TEXT NOT NULL,"
  "  path TEXT NOT NULL,"
  "  detail TEXT);"
  "CREATE TABLE conflicts ("
  "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
  "  time_us INTEGER NOT NULL,"
  "  path TEXT NOT NULL,"
  "  copy_path TEXT NOT NULL UNIQUE);",
  /* 2: a node lives at one path, which the executor finds by its id */
  "CREATE INDEX base_remote_id ON base (remote_id) WHERE remote_id != 0;",
};

G_STATIC_ASSERT (G_N_ELEMENTS (migrations) == YP_SYNC_STATE_SCHEMA_VERSION);

static gboolean
read_schema_version (YpSyncState  *self,
                     int          *version,
                     GError      **error)
{
  sqlite3_stmt *stmt = _yp_sync_state_get_stmt (self, "PRAGMA user_version", error);

  if (stmt == NULL)
    return FALSE;
  if (sqlite3_step (stmt) != SQLITE_ROW)
    {
      _yp_sync_state_set_db_error (self, error);
      sqlite3_reset (stmt);
      return FALSE;
    }
  *version = sqlite3_column_int (stmt, 0);
  sqlite3_reset (stmt);
  return TRUE;
}

/* For the schema and settings, constant SQL of several statements; data
 * always goes through bound parameters (_yp_sync_state_get_stmt()). */
static gboolean
exec_sql (YpSyncState  *self,
          const char   *sql,
          GError      **error)
{
  if (sqlite3_exec (self->db, sql, NULL, NULL, NULL) == SQLITE_OK)
    return TRUE;
  return _yp_sync_state_set_db_error (self, error);
}

/* Every step and the version it reaches in one transaction: a crash
 * mid-migration leaves the old schema. */
static gboolean
migrate (YpSyncState  *self,
         int           version,
         GError      **error)
{
  if (version == YP_SYNC_STATE_SCHEMA_VERSION)
    return TRUE;
  if (!exec_sql (self, "BEGIN IMMEDIATE", error))
    return FALSE;
  for (int v = version; v < YP_SYNC_STATE_SCHEMA_VERSION; v++)
    {
      /* PRAGMA takes no parameters; the number is ours. */
      g_autofree char *bump = g_strdup_printf ("PRAGMA user_version = %d", v + 1);

      if (!exec_sql (self, migrations[v], error) || !exec_sql (self, bump, error))
        {
          exec_sql (self, "ROLLBACK", NULL);
          return FALSE;
        }
    }
  return exec_sql (self, "COMMIT", error);
}

/* SQLite gives its log and shared-memory files the database's mode. */
static gboolean
create_private (YpSyncState  *self,
                GError      **error)
{
  int fd = g_open (self->path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  int saved = errno;

  if (fd >= 0)
    return g_close (fd, error);
  g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved), _("Cannot open “%s”: %s"),
               self->path, g_strerror (saved));
  return FALSE;
}

gboolean
_yp_sync_state_open_database (YpSyncState  *self,
                              GError      **error)
{
  int version = 0;

  if (!create_private (self, error))
    return FALSE;
  if (sqlite3_open_v2 (self->path, &self->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
                       NULL) != SQLITE_OK)
    return _yp_sync_state_set_db_error (self, error);
  sqlite3_extended_result_codes (self->db, TRUE);
  /* Before anything writes: a newer schema is not ours to touch. */
  if (!read_schema_version (self, &version, error))
    return FALSE;
  if (version > YP_SYNC_STATE_SCHEMA_VERSION)
    {
      g_set_error (error, YP_SYNC_ERROR, YP_SYNC_ERROR_STATE,
                   _("The sync state “%s” was written by a newer version of Yunpan (schema %d; "
                     "this version knows schema %d at most): update Yunpan to sync this folder"),
                   self->path, version, YP_SYNC_STATE_SCHEMA_VERSION);
      return FALSE;
    }
  return exec_sql (self, "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;", error)
         && migrate (self, version, error);
}
