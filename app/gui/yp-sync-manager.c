/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "yunpan-gui"

#include "config.h"

#include <glib/gi18n.h>

#include "yp-name.h"
#include "yp-server-url.h"
#include "yp-sync-manager.h"

/* What "sync-folders" holds: (server, username, local path, remote path). */
#define PAIRS_KEY "sync-folders"
#define PAIR_FORMAT "(&s&s&s&s)"

struct _YpSyncManager
{
  GObject     parent_instance;

  /* owned references */
  GSettings  *settings;
  GListStore *engines;

  /* state: the account whose engines run, all NULL when signed out */
  char       *server;
  char       *username;
  char       *token;
  gboolean    has_pairs;
};

G_DEFINE_FINAL_TYPE (YpSyncManager, yp_sync_manager, G_TYPE_OBJECT)

G_DEFINE_QUARK (yp-sync-manager-error-quark, yp_sync_manager_error)

enum {
  PROP_0,
  PROP_SETTINGS,
  PROP_SIGNED_IN,
  PROP_HAS_PAIRS,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* ------------------------------------------------------------------------
 * Engines
 * ------------------------------------------------------------------------ */

static void
update_has_pairs (YpSyncManager *self)
{
  gboolean has_pairs = g_list_model_get_n_items (G_LIST_MODEL (self->engines)) > 0;

  if (has_pairs == self->has_pairs)
    return;
  self->has_pairs = has_pairs;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_HAS_PAIRS]);
}

static YpSyncEngine *
start_engine (YpSyncManager *self,
              const char    *local_path,
              const char    *remote_path)
{
  g_autoptr(YpSyncEngine) engine = yp_sync_engine_new (self->server, self->token, local_path,
                                                       remote_path);

  yp_sync_engine_start (engine);
  g_list_store_append (self->engines, engine);
  update_has_pairs (self);
  return engine;
}

/* Rows go first, so that no window shows an engine while it stops. */
static void
stop_all (YpSyncManager *self)
{
  guint n_items = g_list_model_get_n_items (G_LIST_MODEL (self->engines));
  g_autoptr(GPtrArray) engines = g_ptr_array_new_with_free_func (g_object_unref);

  for (guint i = 0; i < n_items; i++)
    g_ptr_array_add (engines, g_list_model_get_item (G_LIST_MODEL (self->engines), i));
  g_list_store_remove_all (self->engines);
  update_has_pairs (self);
  for (guint i = 0; i < engines->len; i++)
    yp_sync_engine_stop (engines->pdata[i]);
}

/* ------------------------------------------------------------------------
 * Saved pairs
 * ------------------------------------------------------------------------ */

static gboolean
is_current_account (YpSyncManager *self,
                    const char    *server,
                    const char    *username)
{
  return g_strcmp0 (self->server, server) == 0 && g_strcmp0 (self->username, username) == 0;
}

static void
start_saved_pairs (YpSyncManager *self)
{
  g_autoptr(GVariant) pairs = g_settings_get_value (self->settings, PAIRS_KEY);
  GVariantIter iter;
  const char *server, *username, *local_path, *remote_path;

  g_variant_iter_init (&iter, pairs);
  while (g_variant_iter_next (&iter, PAIR_FORMAT, &server, &username, &local_path, &remote_path))
    if (is_current_account (self, server, username))
      start_engine (self, local_path, remote_path);
}

/* Saves the pairs but the current account's LOCAL_PATH, plus that pair
 * with REMOTE_PATH unless it is NULL. */
static void
save_pair (YpSyncManager *self,
           const char    *local_path,
           const char    *remote_path)
{
  g_autoptr(GVariant) pairs = g_settings_get_value (self->settings, PAIRS_KEY);
  g_auto(GVariantBuilder) builder = G_VARIANT_BUILDER_INIT (G_VARIANT_TYPE ("a(ssss)"));
  GVariantIter iter;
  GVariant *pair;

  g_variant_iter_init (&iter, pairs);
  while ((pair = g_variant_iter_next_value (&iter)) != NULL)
    {
      const char *server, *username, *local, *remote;

      g_variant_get (pair, PAIR_FORMAT, &server, &username, &local, &remote);
      if (!is_current_account (self, server, username) || g_strcmp0 (local, local_path) != 0)
        g_variant_builder_add_value (&builder, pair);
      g_variant_unref (pair);
    }
  if (remote_path != NULL)
    g_variant_builder_add (&builder, "(ssss)", self->server, self->username, local_path,
                           remote_path);
  g_settings_set_value (self->settings, PAIRS_KEY, g_variant_builder_end (&builder));
}

/* ------------------------------------------------------------------------
 * Checks
 * ------------------------------------------------------------------------ */

/* Whether CHILD is PARENT or inside it; both absolute and canonical. */
static gboolean
path_within (const char *child,
             const char *parent)
{
  gsize len = strlen (parent);

  if (strcmp (parent, "/") == 0 || strcmp (child, parent) == 0)
    return TRUE;
  return strncmp (child, parent, len) == 0 && child[len] == '/';
}

static char *
check_local_path (const char  *local_path,
                  GError     **error)
{
  if (local_path == NULL || *local_path == '\0')
    {
      g_set_error_literal (error, YP_SYNC_MANAGER_ERROR, YP_SYNC_MANAGER_ERROR_LOCAL_PATH,
                           _("Choose a folder on this computer."));
      return NULL;
    }
  if (!g_path_is_absolute (local_path))
    {
      g_autofree char *shown = g_filename_display_name (local_path);

      g_set_error (error, YP_SYNC_MANAGER_ERROR, YP_SYNC_MANAGER_ERROR_LOCAL_PATH,
                   _("“%s” is not a full path: it must start with “/”."), shown);
      return NULL;
    }
  /* as the engine spells it, so that both compare alike */
  return g_canonicalize_filename (local_path, NULL);
}

/* The protocol's rules, as the server will apply them. */
static char *
check_remote_path (const char  *remote_path,
                   GError     **error)
{
  g_autofree char *path = NULL;
  g_auto(GStrv) components = NULL;
  gsize len;

  if (remote_path == NULL || remote_path[0] != '/')
    {
      g_set_error_literal (error, YP_SYNC_MANAGER_ERROR, YP_SYNC_MANAGER_ERROR_REMOTE_PATH,
                           _("The folder on the server must start with “/”."));
      return NULL;
    }
  path = g_strdup (remote_path);
  len = strlen (path);
  while (len > 1 && path[len - 1] == '/')
    path[--len] = '\0';
  if (yp_path_split (path, &components) != YP_STATUS_OK)
    {
      g_set_error (error, YP_SYNC_MANAGER_ERROR, YP_SYNC_MANAGER_ERROR_REMOTE_PATH,
                   _("“%s” is not a valid folder name on the server."), remote_path);
      return NULL;
    }
  return g_steal_pointer (&path);
}

static gboolean
set_local_clash (const char  *local_path,
                 const char  *other,
                 GError     **error)
{
  g_autofree char *shown = g_filename_display_name (local_path);
  g_autofree char *shown_other = g_filename_display_name (other);

  if (strcmp (local_path, other) == 0)
    g_set_error (error, YP_SYNC_MANAGER_ERROR, YP_SYNC_MANAGER_ERROR_DUPLICATE,
                 _("“%s” is already a sync folder."), shown);
  else if (path_within (local_path, other))
    g_set_error (error, YP_SYNC_MANAGER_ERROR, YP_SYNC_MANAGER_ERROR_NESTED,
                 _("“%s” is inside the sync folder “%s”."), shown, shown_other);
  else if (path_within (other, local_path))
    g_set_error (error, YP_SYNC_MANAGER_ERROR, YP_SYNC_MANAGER_ERROR_NESTED,
                 _("“%s” holds the sync folder “%s”."), shown, shown_other);
  else
    return FALSE;
  return TRUE;
}

static gboolean
set_remote_clash (const char  *remote_path,
                  const char  *other,
                  GError     **error)
{
  if (!path_within (remote_path, other) && !path_within (other, remote_path))
    return FALSE;
  g_set_error (error, YP_SYNC_MANAGER_ERROR, YP_SYNC_MANAGER_ERROR_NESTED,
               _("“%s” on the server overlaps “%s”, which is already synced."), remote_path,
               other);
  return TRUE;
}

/* One local folder is synced once, whichever account syncs it; an
 * account's remote folders do not overlap either, or a file would be
 * synced to two places. */
static gboolean
check_clashes (YpSyncManager  *self,
               const char     *local_path,
               const char     *remote_path,
               GError        **error)
{
  g_autoptr(GVariant) pairs = g_settings_get_value (self->settings, PAIRS_KEY);
  GVariantIter iter;
  const char *server, *username, *local, *remote;

  g_variant_iter_init (&iter, pairs);
  while (g_variant_iter_next (&iter, PAIR_FORMAT, &server, &username, &local, &remote))
    {
      if (set_local_clash (local_path, local, error))
        return FALSE;
      if (is_current_account (self, server, username)
          && set_remote_clash (remote_path, remote, error))
        return FALSE;
    }
  return TRUE;
}

/* ------------------------------------------------------------------------
 * Public
 * ------------------------------------------------------------------------ */

void
yp_sync_manager_set_account (YpSyncManager *self,
                             const char    *server,
                             const char    *username,
                             const char    *token)
{
  g_return_if_fail (YP_IS_SYNC_MANAGER (self));
  g_return_if_fail (server != NULL && username != NULL && token != NULL);

  yp_sync_manager_clear_account (self);
  self->server = yp_server_url_normalize (server);
  self->username = g_strdup (username);
  self->token = g_strdup (token);
  start_saved_pairs (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SIGNED_IN]);
}

void
yp_sync_manager_clear_account (YpSyncManager *self)
{
  g_return_if_fail (YP_IS_SYNC_MANAGER (self));

  stop_all (self);
  if (self->server == NULL)
    return;
  g_clear_pointer (&self->server, g_free);
  g_clear_pointer (&self->username, g_free);
  g_clear_pointer (&self->token, g_free);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SIGNED_IN]);
}

gboolean
yp_sync_manager_get_signed_in (YpSyncManager *self)
{
  g_return_val_if_fail (YP_IS_SYNC_MANAGER (self), FALSE);

  return self->server != NULL;
}

GListModel *
yp_sync_manager_get_pairs (YpSyncManager *self)
{
  g_return_val_if_fail (YP_IS_SYNC_MANAGER (self), NULL);

  return G_LIST_MODEL (self->engines);
}

gboolean
yp_sync_manager_has_pairs (YpSyncManager *self)
{
  g_return_val_if_fail (YP_IS_SYNC_MANAGER (self), FALSE);

  return self->has_pairs;
}

YpSyncEngine *
yp_sync_manager_add_pair (YpSyncManager  *self,
                          const char     *local_path,
                          const char     *remote_path,
                          GError        **error)
{
  g_autofree char *local = NULL;
  g_autofree char *remote = NULL;

  g_return_val_if_fail (YP_IS_SYNC_MANAGER (self), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (self->server == NULL)
    {
      g_set_error_literal (error, YP_SYNC_MANAGER_ERROR, YP_SYNC_MANAGER_ERROR_SIGNED_OUT,
                           _("Sign in to add a sync folder."));
      return NULL;
    }
  local = check_local_path (local_path, error);
  if (local == NULL)
    return NULL;
  remote = check_remote_path (remote_path, error);
  if (remote == NULL || !check_clashes (self, local, remote, error))
    return NULL;

  save_pair (self, local, remote);
  return start_engine (self, local, remote);
}

void
yp_sync_manager_remove_pair (YpSyncManager *self,
                             YpSyncEngine  *engine)
{
  g_autoptr(YpSyncEngine) removed = NULL;
  guint position;

  g_return_if_fail (YP_IS_SYNC_MANAGER (self));
  g_return_if_fail (YP_IS_SYNC_ENGINE (engine));

  if (!g_list_store_find (self->engines, engine, &position))
    return;
  removed = g_object_ref (engine);
  g_list_store_remove (self->engines, position);
  update_has_pairs (self);
  save_pair (self, yp_sync_engine_get_local_path (removed), NULL);
  yp_sync_engine_stop (removed);
}

/* ------------------------------------------------------------------------
 * Object
 * ------------------------------------------------------------------------ */

static void
yp_sync_manager_dispose (GObject *object)
{
  YpSyncManager *self = YP_SYNC_MANAGER (object);

  if (self->engines != NULL)
    yp_sync_manager_clear_account (self);
  g_clear_object (&self->engines);
  g_clear_object (&self->settings);

  G_OBJECT_CLASS (yp_sync_manager_parent_class)->dispose (object);
}

static void
yp_sync_manager_get_property (GObject    *object,
                              guint       prop_id,
                              GValue     *value,
                              GParamSpec *pspec)
{
  YpSyncManager *self = YP_SYNC_MANAGER (object);

  switch (prop_id)
    {
    case PROP_SIGNED_IN:
      g_value_set_boolean (value, self->server != NULL);
      break;

    case PROP_HAS_PAIRS:
      g_value_set_boolean (value, self->has_pairs);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
yp_sync_manager_set_property (GObject      *object,
                              guint         prop_id,
                              const GValue *value,
                              GParamSpec   *pspec)
{
  YpSyncManager *self = YP_SYNC_MANAGER (object);

  switch (prop_id)
    {
    case PROP_SETTINGS:
      self->settings = g_value_dup_object (value);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
yp_sync_manager_class_init (YpSyncManagerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags ro = G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->dispose = yp_sync_manager_dispose;
  object_class->get_property = yp_sync_manager_get_property;
  object_class->set_property = yp_sync_manager_set_property;

  properties[PROP_SETTINGS] =
    g_param_spec_object ("settings", NULL, NULL, G_TYPE_SETTINGS,
                         G_PARAM_WRITABLE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_SIGNED_IN] = g_param_spec_boolean ("signed-in", NULL, NULL, FALSE, ro);
  properties[PROP_HAS_PAIRS] = g_param_spec_boolean ("has-pairs", NULL, NULL, FALSE, ro);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
yp_sync_manager_init (YpSyncManager *self)
{
  self->engines = g_list_store_new (YP_TYPE_SYNC_ENGINE);
}

YpSyncManager *
yp_sync_manager_new (GSettings *settings)
{
  g_return_val_if_fail (G_IS_SETTINGS (settings), NULL);

  return g_object_new (YP_TYPE_SYNC_MANAGER, "settings", settings, NULL);
}
