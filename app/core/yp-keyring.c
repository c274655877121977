/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "yunpan-client"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <libsecret/secret.h>

#include "yp-client-error.h"
#include "yp-keyring.h"

/* A keyring that never answers (a locked collection whose unlock prompt
 * nobody sees) must not hang the app forever. */
#define KEYRING_TIMEOUT_SECONDS 30

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

/* Every keyring failure but a cancellation means: no usable Secret Service. */
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
                 "there: install and start a Secret Service such as gnome-keyring "
                 "(apt-get install gnome-keyring) and unlock it, then sign in again."),
               cause->message);
  g_error_free (cause);
}

gboolean
yp_keyring_store_token_sync (const char    *server,
                             const char    *username,
                             const char    *token,
                             GCancellable  *cancellable,
                             GError       **error)
{
  g_autofree char *label = NULL;
  GError *local_error = NULL;

  g_return_val_if_fail (server != NULL && username != NULL && token != NULL, FALSE);

  label = g_strdup_printf (_("Yunpan session of %s on %s"), username, server);
  if (!secret_password_store_sync (token_schema (), SECRET_COLLECTION_DEFAULT, label, token,
                                   cancellable, &local_error, "server", server,
                                   "username", username, NULL))
    {
      keyring_error (error, local_error);
      return FALSE;
    }
  return TRUE;
}

char *
yp_keyring_lookup_token_sync (const char    *server,
                              const char    *username,
                              GCancellable  *cancellable,
                              GError       **error)
{
  GError *local_error = NULL;
  char *secret;
  char *token;

  g_return_val_if_fail (server != NULL && username != NULL, NULL);

  secret = secret_password_lookup_sync (token_schema (), cancellable, &local_error,
                                        "server", server, "username", username, NULL);
  if (local_error != NULL)
    {
      keyring_error (error, local_error);
      return NULL;
    }
  token = g_strdup (secret);
  secret_password_free (secret);
  return token;
}

gboolean
yp_keyring_clear_token_sync (const char    *server,
                             const char    *username,
                             GCancellable  *cancellable,
                             GError       **error)
{
  GError *local_error = NULL;

  g_return_val_if_fail (server != NULL && username != NULL, FALSE);

  secret_password_clear_sync (token_schema (), cancellable, &local_error,
                              "server", server, "username", username, NULL);
  if (local_error != NULL)
    {
      keyring_error (error, local_error);
      return FALSE;
    }
  return TRUE;
}

/* ------------------------------------------------------------------------
 * Asynchronous variants, with a time limit
 * ------------------------------------------------------------------------ */

typedef struct
{
  GCancellable *timeout_cancellable;
  guint         timeout_id;
  gulong        chain_id;
  GCancellable *caller_cancellable;
} KeyringCall;

static void
keyring_call_free (KeyringCall *call)
{
  g_clear_handle_id (&call->timeout_id, g_source_remove);
  if (call->chain_id != 0)
    g_cancellable_disconnect (call->caller_cancellable, call->chain_id);
  g_clear_object (&call->caller_cancellable);
  g_clear_object (&call->timeout_cancellable);
  g_free (call);
}

static gboolean
keyring_call_timed_out (gpointer data)
{
  KeyringCall *call = data;

  call->timeout_id = 0;
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
 * time limit, whichever comes first. */
static GTask *
keyring_task_new (gpointer             source_tag,
                  GCancellable        *cancellable,
                  GAsyncReadyCallback  callback,
                  gpointer             user_data)
{
  KeyringCall *call = g_new0 (KeyringCall, 1);
  GTask *task = g_task_new (NULL, cancellable, callback, user_data);

  g_task_set_source_tag (task, source_tag);
  call->timeout_cancellable = g_cancellable_new ();
  call->timeout_id = g_timeout_add_seconds (KEYRING_TIMEOUT_SECONDS, keyring_call_timed_out,
                                            call);
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

static GCancellable *
keyring_task_cancellable (GTask *task)
{
  return ((KeyringCall *) g_task_get_task_data (task))->timeout_cancellable;
}

static void
lookup_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;
  char *secret = secret_password_lookup_finish (result, &error);

  if (error != NULL)
    {
      GError *mapped = NULL;

      keyring_error (&mapped, error);
      g_task_return_error (task, mapped);
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
  GTask *task = keyring_task_new (yp_keyring_lookup_token_async, cancellable, callback,
                                  user_data);

  secret_password_lookup (token_schema (), keyring_task_cancellable (task), lookup_cb, task,
                          "server", server, "username", username, NULL);
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

static void
store_cb (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;

  if (!secret_password_store_finish (result, &error))
    {
      GError *mapped = NULL;

      keyring_error (&mapped, error);
      g_task_return_error (task, mapped);
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
  GTask *task = keyring_task_new (yp_keyring_store_token_async, cancellable, callback,
                                  user_data);
  g_autofree char *label = g_strdup_printf (_("Yunpan session of %s on %s"), username, server);

  secret_password_store (token_schema (), SECRET_COLLECTION_DEFAULT, label, token,
                         keyring_task_cancellable (task), store_cb, task,
                         "server", server, "username", username, NULL);
}

gboolean
yp_keyring_store_token_finish (GAsyncResult  *result,
                               GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}
