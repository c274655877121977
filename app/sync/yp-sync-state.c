/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "yunpan-sync"

#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>

#include "yp-sync-error.h"
#include "yp-sync-state-private.h"

/*
 * YpSyncState itself: opening (the folder, the lock, the database, the
 * pair it records) and the object's life. Its statements, schema, base and
 * records are in the yp-sync-state-*.c beside this file.
 */

static void yp_sync_state_initable_iface_init (GInitableIface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (YpSyncState, yp_sync_state, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_INITABLE,
                                                      yp_sync_state_initable_iface_init))

enum {
  PROP_0,
  PROP_PAIR,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* ------------------------------------------------------------------------
 * Opening: the folder, the lock, the schema, the pair
 * ------------------------------------------------------------------------ */

static char *
state_dir (void)
{
  return g_build_filename (g_get_user_data_dir (), "yunpan", "sync", NULL);
}

char *
yp_sync_state_dup_path_for_pair (const YpSyncPair *pair)
{
  g_autofree char *dir = state_dir ();
  g_autofree char *id = yp_sync_pair_dup_id (pair);
  g_autofree char *name = g_strconcat (id, ".db", NULL);

  return g_build_filename (dir, name, NULL);
}

static gboolean
path_is_within (const char *path,
                const char *folder)
{
  gsize len = strlen (folder);

  if (strcmp (folder, "/") == 0)
    return TRUE;
  return strncmp (path, folder, len) == 0 && (path[len] == '\0' || path[len] == '/');
}

/* The engine would sync its own database, or delete it along with the
 * folder, if the two overlapped. */
static gboolean
ensure_state_dir (YpSyncState  *self,
                  GError      **error)
{
  g_autofree char *dir = g_path_get_dirname (self->path);
  g_autofree char *real = NULL;
  g_autofree char *display = NULL;
  int saved;

  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      saved = errno;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved), _("Cannot create “%s”: %s"),
                   dir, g_strerror (saved));
      return FALSE;
    }
  real = realpath (dir, NULL);
  if (real == NULL)
    real = g_strdup (dir);
  if (!path_is_within (real, self->pair->local_path)
      && !path_is_within (self->pair->local_path, real))
    return TRUE;
  display = yp_sync_pair_dup_display_name (self->pair);
  g_set_error (error, YP_SYNC_ERROR, YP_SYNC_ERROR_STATE,
               _("“%s” cannot be synced: it overlaps Yunpan’s own data folder “%s”"),
               display, real);
  return FALSE;
}

static gboolean
insert_pair (YpSyncState  *self,
             GError      **error)
{
  sqlite3_stmt *stmt = _yp_sync_state_get_stmt (self,
                                                "INSERT INTO pair (id, server, username,"
                                                " local_path, remote_root_id, remote_path)"
                                                " VALUES (1, ?, ?, ?, ?, ?)",
                                                error);

  if (stmt == NULL)
    return FALSE;
  _yp_sync_state_bind_text (stmt, 1, self->pair->server);
  _yp_sync_state_bind_text (stmt, 2, self->pair->username);
  _yp_sync_state_bind_text (stmt, 3, self->pair->local_path);
  sqlite3_bind_int64 (stmt, 4, self->pair->remote_root_id);
  _yp_sync_state_bind_text (stmt, 5, self->pair->remote_path);
  return _yp_sync_state_step_done (self, stmt, error);
}

static YpSyncPair *
pair_from_row (sqlite3_stmt *stmt)
{
  return yp_sync_pair_new ((const char *) sqlite3_column_text (stmt, 0),
                           (const char *) sqlite3_column_text (stmt, 1),
                           (const char *) sqlite3_column_text (stmt, 2),
                           sqlite3_column_int64 (stmt, 3),
                           (const char *) sqlite3_column_text (stmt, 4));
}

/* A database made for another pair (two ids that collide, a file copied by
 * hand) would give this pair a base that does not describe it. */
static gboolean
load_pair (YpSyncState  *self,
           GError      **error)
{
  g_autoptr(YpSyncPair) recorded = NULL;
  sqlite3_stmt *stmt = _yp_sync_state_get_stmt (self,
                                                "SELECT server, username, local_path,"
                                                " remote_root_id, remote_path, cursor"
                                                " FROM pair WHERE id = 1",
                                                error);
  int rc;

  if (stmt == NULL)
    return FALSE;
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    {
      recorded = pair_from_row (stmt);
      self->cursor = sqlite3_column_int64 (stmt, 5);
    }
  sqlite3_reset (stmt);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    return _yp_sync_state_set_db_error (self, error);
  if (recorded == NULL)
    return insert_pair (self, error);
  if (!yp_sync_pair_equal (recorded, self->pair))
    {
      g_set_error (error, YP_SYNC_ERROR, YP_SYNC_ERROR_STATE,
                   _("The sync state “%s” belongs to another pair (“%s” with %s)"),
                   self->path, recorded->local_path, recorded->server);
      return FALSE;
    }
  if (strcmp (recorded->remote_path, self->pair->remote_path) != 0)
    return yp_sync_state_set_remote_path_sync (self, self->pair->remote_path, error);
  return TRUE;
}

static gboolean
take_lock (YpSyncState  *self,
           GError      **error)
{
  self->lock = yp_sync_lock_take (self->path, self->pair, error);
  return self->lock != NULL;
}

static gboolean
yp_sync_state_initable_init (GInitable     *initable,
                             GCancellable  *cancellable,
                             GError       **error)
{
  YpSyncState *self = YP_SYNC_STATE (initable);

  g_return_val_if_fail (self->pair != NULL, FALSE);

  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return FALSE;
  self->path = yp_sync_state_dup_path_for_pair (self->pair);
  /* The lock first: nobody else may migrate or write meanwhile. */
  return ensure_state_dir (self, error)
         && take_lock (self, error)
         && _yp_sync_state_open_database (self, error)
         && load_pair (self, error);
}

static void
yp_sync_state_initable_iface_init (GInitableIface *iface)
{
  iface->init = yp_sync_state_initable_init;
}

/**
 * yp_sync_state_open_sync:
 * @pair: the pair
 * @cancellable: (nullable): checked before anything is done
 * @error: %YP_SYNC_ERROR_LOCKED when another engine runs the pair,
 *   %YP_SYNC_ERROR_STATE when the database cannot be used (damaged, made by
 *   a newer version, made for another pair) or the folder overlaps the
 *   folder the database is in
 *
 * Opens @pair's state, creating it when it is new, and takes the pair's
 * lock until the object is finalized. The remote path is updated to
 * @pair's. Blocks on the disk.
 *
 * Returns: (transfer full): the state, or %NULL
 */
YpSyncState *
yp_sync_state_open_sync (YpSyncPair    *pair,
                         GCancellable  *cancellable,
                         GError       **error)
{
  g_return_val_if_fail (pair != NULL, NULL);

  return g_initable_new (YP_TYPE_SYNC_STATE, cancellable, error, "pair", pair, NULL);
}

/* ------------------------------------------------------------------------
 * The pair and the base
 * ------------------------------------------------------------------------ */

YpSyncPair *
yp_sync_state_get_pair (YpSyncState *self)
{
  g_return_val_if_fail (YP_IS_SYNC_STATE (self), NULL);

  return self->pair;
}

const char *
yp_sync_state_get_path (YpSyncState *self)
{
  g_return_val_if_fail (YP_IS_SYNC_STATE (self), NULL);

  return self->path;
}

/* The database's cached pages go back to the heap: an engine idle after a
 * pass over many paths need not keep them. */
void
yp_sync_state_release_memory (YpSyncState *self)
{
  g_return_if_fail (YP_IS_SYNC_STATE (self));

  if (self->db != NULL)
    sqlite3_db_release_memory (self->db);
}

gint64
yp_sync_state_get_cursor (YpSyncState *self)
{
  g_return_val_if_fail (YP_IS_SYNC_STATE (self), 0);

  return self->cursor;
}

/* When the remote folder was renamed: the pair is the same (its id uses
 * the node id), only its path changed. */
gboolean
yp_sync_state_set_remote_path_sync (YpSyncState  *self,
                                    const char   *remote_path,
                                    GError      **error)
{
  sqlite3_stmt *stmt;
  YpSyncPair *renamed;

  g_return_val_if_fail (YP_IS_SYNC_STATE (self), FALSE);
  g_return_val_if_fail (remote_path != NULL, FALSE);

  stmt = _yp_sync_state_get_stmt (self, "UPDATE pair SET remote_path = ? WHERE id = 1", error);
  if (stmt == NULL)
    return FALSE;
  _yp_sync_state_bind_text (stmt, 1, remote_path);
  if (!_yp_sync_state_step_done (self, stmt, error))
    return FALSE;
  renamed = yp_sync_pair_new (self->pair->server, self->pair->username, self->pair->local_path,
                              self->pair->remote_root_id, remote_path);
  yp_sync_pair_unref (self->pair);
  self->pair = renamed;
  return TRUE;
}

/* ------------------------------------------------------------------------
 * GObject
 * ------------------------------------------------------------------------ */

/* The database is closed before the lock is let go, so that the next
 * holder never sees it open. An unfinished batch is dropped. */
static void
yp_sync_state_finalize (GObject *object)
{
  YpSyncState *self = YP_SYNC_STATE (object);

  if (self->db != NULL)
    yp_sync_state_rollback_sync (self);
  g_clear_pointer (&self->stmts, g_hash_table_unref);
  g_clear_pointer (&self->db, sqlite3_close);
  g_clear_pointer (&self->lock, yp_sync_lock_release);
  g_clear_pointer (&self->pair, yp_sync_pair_unref);
  g_clear_pointer (&self->path, g_free);

  G_OBJECT_CLASS (yp_sync_state_parent_class)->finalize (object);
}

static void
yp_sync_state_get_property (GObject    *object,
                            guint       prop_id,
                            GValue     *value,
                            GParamSpec *pspec)
{
  YpSyncState *self = YP_SYNC_STATE (object);

  switch (prop_id)
    {
    case PROP_PAIR:
      g_value_set_boxed (value, self->pair);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
yp_sync_state_set_property (GObject      *object,
                            guint         prop_id,
                            const GValue *value,
                            GParamSpec   *pspec)
{
  YpSyncState *self = YP_SYNC_STATE (object);

  switch (prop_id)
    {
    case PROP_PAIR:
      self->pair = g_value_dup_boxed (value);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
yp_sync_state_class_init (YpSyncStateClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = yp_sync_state_finalize;
  object_class->get_property = yp_sync_state_get_property;
  object_class->set_property = yp_sync_state_set_property;

  properties[PROP_PAIR] =
    g_param_spec_boxed ("pair", NULL, NULL,
                        YP_TYPE_SYNC_PAIR,
                        (G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
yp_sync_state_init (YpSyncState *self)
{
  self->stmts = _yp_sync_state_new_stmts ();
}
