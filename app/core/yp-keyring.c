/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "yunpan-client"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <libsecret/secret.h>

#include "yp-client-error.h"
#include "yp-keyring.h"
#include "yp-server-url.h"

/* A keyring that never answers (a locked collection whose unlock prompt
 * nobody sees) must not hang the app forever. */
#define KEYRING_TIMEOUT_SECONDS 30

static guint keyring_timeout_seconds = KEYRING_TIMEOUT_SECONDS;

static const SecretSchema *
token_schema (void)
{
  static const SecretSchema schema = {
    "io.github.yunpan.Yunpan.Session", SECRET_SCHEMA_NONE,
    {
      { "server", SECRET_SCHEMA_ATTRIBUTE_STRING },
      { "username", SECRET_SCHEMA_ATTRIBUTE_STRING },
      { NULL, 0 },
    },
  };

  return &schema;
}

/* Every keyring failure but a cancellation means: no usable Secret Service.
 * The words fit a desktop session and a Flatpak sandbox alike, where
 * libsecret talks to the Secret portal and nothing can be installed. */
static void
keyring_error (GError **error,
               GError  *cause)
{
  if (g_error_matches (cause, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_propagate_error (error, cause);
      return;
    }
  g_set_error (error, YP_CLIENT_ERROR, YP_CLIENT_ERROR_NO_KEYRING,
               _("The system keyring is not available (%s). Yunpan keeps its session only "
                 "there: make sure your desktop provides a keyring (a Secret Service) and "
                 "that it is unlocked, then sign in again."),
               cause->message);
  g_error_free (cause);
}

/**
 * yp_keyring_set_timeout:
 * @seconds: how long a keyring call may take, at least 1
 *
 * After that long a call ends with %G_IO_ERROR_TIMED_OUT, for a keyring
 * that waits for an unlock prompt nobody answers. The default is 30 s.
 */
void
yp_keyring_set_timeout (guint seconds)
{
  g_return_if_fail (seconds > 0);

  keyring_timeout_seconds = seconds;
}

/* ------------------------------------------------------------------------
 * Calls with a time limit
 * ------------------------------------------------------------------------ */

typedef struct
{
  GCancellable *timeout_cancellable;
  GSource      *timeout_source;
  gboolean      timed_out;
  gulong        chain_id;
  GCancellable *caller_cancellable;
  char         *server;
  /* a lookup that moves an item from an old spelling of the server */
  char         *username;
  char         *old_server;
  char         *token;
} KeyringCall;

static void
keyring_call_free (KeyringCall *call)
{
  if (call->timeout_source != NULL)
    {
      g_source_destroy (call->timeout_source);
      g_source_unref (call->timeout_source);
    }
  if (call->chain_id != 0)
    g_cancellable_disconnect (call->caller_cancellable, call->chain_id);
  g_clear_object (&call->caller_cancellable);
  g_clear_object (&call->timeout_cancellable);
  g_free (call->server);
  g_free (call->username);
  g_free (call->old_server);
  if (call->token != NULL)
    secret_password_free (call->token);
  g_free (call);
}

static gboolean
keyring_call_timed_out (gpointer data)
{
  KeyringCall *call = data;

  call->timed_out = TRUE;
  g_cancellable_cancel (call->timeout_cancellable);
  return G_SOURCE_REMOVE;
}

static void
chain_cancel (GCancellable *cancellable,
              GCancellable *inner)
{
  g_cancellable_cancel (inner);
}

/* A task whose cancellable fires on the caller's cancellable or after the
 * time limit, whichever comes first; the timer runs in the caller's
 * context. */
static GTask *
keyring_task_new (const char          *server,
                  gpointer             source_tag,
                  GCancellable        *cancellable,
                  GAsyncReadyCallback  callback,
                  gpointer             user_data)
{
  KeyringCall *call = g_new0 (KeyringCall, 1);
  GTask *task = g_task_new (NULL, cancellable, callback, user_data);

  g_task_set_source_tag (task, source_tag);
  call->server = yp_server_url_normalize (server);
  call->timeout_cancellable = g_cancellable_new ();
  call->timeout_source = g_timeout_source_new_seconds (keyring_timeout_seconds);
  g_source_set_callback (call->timeout_source, keyring_call_timed_out, call, NULL);
  g_source_set_static_name (call->timeout_source, "[yunpan] keyring timeout");
  g_source_attach (call->timeout_source, g_task_get_context (task));
  if (cancellable != NULL)
    {
      call->caller_cancellable = g_object_ref (cancellable);
      call->chain_id = g_cancellable_connect (cancellable, G_CALLBACK (chain_cancel),
                                              g_object_ref (call->timeout_cancellable),
                                              g_object_unref);
    }
  g_task_set_task_data (task, call, (GDestroyNotify) keyring_call_free);
  return task;
}

static KeyringCall *
keyring_task_call (GTask *task)
{
  return g_task_get_task_data (task);
}

/* Ends TASK with the error ERROR (taken) from libsecret. */
static void
keyring_task_return_error (GTask  *task,
                           GError *error)
{
  GError *mapped = NULL;

  if (keyring_task_call (task)->timed_out)
    {
      g_error_free (error);
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
                               _("The system keyring did not answer within %u seconds. "
                                 "If it asks to be unlocked, unlock it, then try again."),
                               keyring_timeout_seconds);
      return;
    }
  /* a cancellation nobody asked for (GDBus remembers a bus connection
   * that an earlier time limit cut short) is the keyring failing */
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED)
      && !g_cancellable_is_cancelled (keyring_task_call (task)->caller_cancellable))
    error->code = G_IO_ERROR_FAILED;
  keyring_error (&mapped, error);
  g_task_return_error (task, mapped);
}

/* The synchronous calls run the asynchronous ones in a context of their
 * own, so that they have the same time limit. */
static void
store_result (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

static GAsyncResult *
wait_result (GMainContext  *context,
             GAsyncResult **slot)
{
  while (*slot == NULL)
    g_main_context_iteration (context, TRUE);
  g_main_context_pop_thread_default (context);
  return *slot;
}

/* ------------------------------------------------------------------------
 * Lookup
 * ------------------------------------------------------------------------ */

/*
 * Earlier versions keyed the item by the server as the user typed it
 * ("HTTP://host:8765/"). When the normal spelling finds nothing, the
 * lookup searches the user's items for one whose server normalises to the
 * same, reads it, stores it under the normal spelling and deletes the old
 * item: search_cb, then old_lookup_cb, moved_cb and old_cleared_cb.
 */
static void
lookup_return_token (GTask *task)
{
  KeyringCall *call = keyring_task_call (task);

  g_task_return_pointer (task, g_strdup (call->token), g_free);
}

static void
old_cleared_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;

  /* the token is found either way; a second item only wastes space */
  if (!secret_password_clear_finish (result, &error) && error != NULL)
    g_debug ("Could not delete the keyring item of %s: %s",
             keyring_task_call (task)->old_server, error->message);
  lookup_return_token (task);
}

static void
moved_cb (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  KeyringCall *call = keyring_task_call (task);

  /* keep the old item when the new one could not be stored */
  if (!secret_password_store_finish (result, &error))
    {
      g_debug ("Could not store the session under %s: %s", call->server, error->message);
      lookup_return_token (task);
      return;
    }
  secret_password_clear (token_schema (), call->timeout_cancellable, old_cleared_cb,
                         g_steal_pointer (&task),
                         "server", call->old_server, "username", call->username, NULL);
}

static void
old_lookup_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autofree char *label = NULL;
  KeyringCall *call = keyring_task_call (task);
  GError *error = NULL;

  call->token = secret_password_lookup_finish (result, &error);
  if (error != NULL)
    {
      keyring_task_return_error (task, error);
      return;
    }
  if (call->token == NULL)
    {
      g_task_return_pointer (task, NULL, NULL);
      return;
    }
  label = g_strdup_printf (_("Yunpan session of %s on %s"), call->username, call->server);
  secret_password_store (token_schema (), SECRET_COLLECTION_DEFAULT, label, call->token,
                         call->timeout_cancellable, moved_cb, g_steal_pointer (&task),
                         "server", call->server, "username", call->username, NULL);
}

/* The server attribute of the first of ITEMS that is another spelling of
 * SERVER, or NULL. */
static char *
find_old_spelling (GList      *items,
                   const char *server)
{
  for (GList *l = items; l != NULL; l = l->next)
    {
      g_autoptr(GHashTable) attributes = secret_retrievable_get_attributes (l->data);
      const char *spelling = g_hash_table_lookup (attributes, "server");
      g_autofree char *normal = spelling ? yp_server_url_normalize (spelling) : NULL;

      if (normal != NULL && g_str_equal (normal, server) && !g_str_equal (spelling, server))
        return g_strdup (spelling);
    }
  return NULL;
}

static void
search_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  KeyringCall *call = keyring_task_call (task);
  GError *error = NULL;
  GList *items = secret_password_search_finish (result, &error);

  if (error != NULL)
    {
      keyring_task_return_error (task, error);
      return;
    }
  call->old_server = find_old_spelling (items, call->server);
  g_list_free_full (items, g_object_unref);
  if (call->old_server == NULL)
    {
      g_task_return_pointer (task, NULL, NULL);
      return;
    }
  secret_password_lookup (token_schema (), call->timeout_cancellable, old_lookup_cb,
                          g_steal_pointer (&task),
                          "server", call->old_server, "username", call->username, NULL);
}

static void
lookup_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  KeyringCall *call = keyring_task_call (task);
  GError *error = NULL;
  char *secret = secret_password_lookup_finish (result, &error);

  if (error != NULL)
    {
      keyring_task_return_error (task, error);
      return;
    }
  if (secret == NULL)
    {
      secret_password_search (token_schema (), SECRET_SEARCH_ALL, call->timeout_cancellable,
                              search_cb, g_steal_pointer (&task),
                              "username", call->username, NULL);
      return;
    }
  g_task_return_pointer (task, g_strdup (secret), g_free);
  secret_password_free (secret);
}

void
yp_keyring_lookup_token_async (const char          *server,
                               const char          *username,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  GTask *task;

  g_return_if_fail (server != NULL && username != NULL);

  task = keyring_task_new (server, yp_keyring_lookup_token_async, cancellable, callback,
                           user_data);
  keyring_task_call (task)->username = g_strdup (username);
  secret_password_lookup (token_schema (), keyring_task_call (task)->timeout_cancellable,
                          lookup_cb, task,
                          "server", keyring_task_call (task)->server, "username", username,
                          NULL);
}

/**
 * yp_keyring_lookup_token_finish:
 *
 * Returns: (transfer full) (nullable): the token, or %NULL when none is stored
 */
char *
yp_keyring_lookup_token_finish (GAsyncResult  *result,
                                GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

char *
yp_keyring_lookup_token_sync (const char    *server,
                              const char    *username,
                              GCancellable  *cancellable,
                              GError       **error)
{
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(GAsyncResult) result = NULL;

  g_return_val_if_fail (server != NULL && username != NULL, NULL);

  g_main_context_push_thread_default (context);
  yp_keyring_lookup_token_async (server, username, cancellable, store_result, &result);
  return yp_keyring_lookup_token_finish (wait_result (context, &result), error);
}

/* ------------------------------------------------------------------------
 * Store
 * ------------------------------------------------------------------------ */

static void
store_cb (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;

  if (!secret_password_store_finish (result, &error))
    {
      keyring_task_return_error (task, error);
      return;
    }
  g_task_return_boolean (task, TRUE);
}

void
yp_keyring_store_token_async (const char          *server,
                              const char          *username,
                              const char          *token,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  g_autofree char *label = NULL;
  KeyringCall *call;
  GTask *task;

  g_return_if_fail (server != NULL && username != NULL && token != NULL);

  task = keyring_task_new (server, yp_keyring_store_token_async, cancellable, callback,
                           user_data);
  call = keyring_task_call (task);
  label = g_strdup_printf (_("Yunpan session of %s on %s"), username, call->server);
  secret_password_store (token_schema (), SECRET_COLLECTION_DEFAULT, label, token,
                         call->timeout_cancellable, store_cb, task,
                         "server", call->server, "username", username, NULL);
}

gboolean
yp_keyring_store_token_finish (GAsyncResult  *result,
                               GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

gboolean
yp_keyring_store_token_sync (const char    *server,
                             const char    *username,
                             const char    *token,
                             GCancellable  *cancellable,
                             GError       **error)
{
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(GAsyncResult) result = NULL;

  g_return_val_if_fail (server != NULL && username != NULL && token != NULL, FALSE);

  g_main_context_push_thread_default (context);
  yp_keyring_store_token_async (server, username, token, cancellable, store_result, &result);
  return yp_keyring_store_token_finish (wait_result (context, &result), error);
}

/* ------------------------------------------------------------------------
 * Clear
 * ------------------------------------------------------------------------ */

static void
clear_cb (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;

  /* FALSE without an error: there was nothing to clear, which is fine */
  if (!secret_password_clear_finish (result, &error) && error != NULL)
    {
      keyring_task_return_error (task, error);
      return;
    }
  g_task_return_boolean (task, TRUE);
}

/**
 * yp_keyring_clear_token_async:
 *
 * Forgets the token stored for @server and @username; that none was stored
 * is no error.
 */
void
yp_keyring_clear_token_async (const char          *server,
                              const char          *username,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  GTask *task;

  g_return_if_fail (server != NULL && username != NULL);

  task = keyring_task_new (server, yp_keyring_clear_token_async, cancellable, callback,
                           user_data);
  secret_password_clear (token_schema (), keyring_task_call (task)->timeout_cancellable,
                         clear_cb, task,
                         "server", keyring_task_call (task)->server, "username", username,
                         NULL);
}

gboolean
yp_keyring_clear_token_finish (GAsyncResult  *result,
                               GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

gboolean
yp_keyring_clear_token_sync (const char    *server,
                             const char    *username,
                             GCancellable  *cancellable,
                             GError       **error)
{
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(GAsyncResult) result = NULL;

  g_return_val_if_fail (server != NULL && username != NULL, FALSE);

  g_main_context_push_thread_default (context);
  yp_keyring_clear_token_async (server, username, cancellable, store_result, &result);
  return yp_keyring_clear_token_finish (wait_result (context, &result), error);
}
