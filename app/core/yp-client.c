/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "yunpan-client"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "yp-client-error.h"
#include "yp-client-private.h"

/**
 * YpClient:
 *
 * One account on one server. Every request carries the session token.
 * Requests that fail for transient reasons (network, 5xx, `429` and
 * `request_in_progress`, after their Retry-After) are tried again with
 * exponential backoff when a repeat is safe: reads, chunks, and changes,
 * which carry one Idempotency-Key for all their tries. Other answers are
 * final; the error keeps the protocol's code (yp_client_error_get_status()).
 *
 * The `_sync` calls block and may run in any thread (libsoup ≥ 3.2 sends
 * from any thread); the `_async` calls use libsoup's asynchronous API in
 * the caller's thread-default main context, holding no thread. Everything
 * else libsoup does with the session, its last unref included, happens in
 * the thread that created the client, as libsoup requires.
 */
struct _YpClient
{
  GObject        parent_instance;

  SoupSession   *session;
  GThread       *owner;       /* created the session */
  GMainContext  *owner_context;
  char          *base_url;

  GMutex         mutex;       /* guards the fields below */
  char          *token;
  char          *username;
  gint64         user_id;
  YpRetryPolicy  retry;
  guint64        chunk_size;  /* 0: the upload sizes its chunks itself */
};

G_DEFINE_FINAL_TYPE (YpClient, yp_client, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_BASE_URL,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static gboolean
unref_session_cb (gpointer session)
{
  g_object_unref (session);
  return G_SOURCE_REMOVE;
}

/* A transfer's worker thread may drop the last reference to the client:
 * the session then goes back to its own thread to be released, the next
 * time that thread runs its main context. */
static void
release_session (YpClient *self)
{
  g_autoptr(GSource) source = NULL;

  if (g_thread_self () == self->owner)
    {
      g_clear_object (&self->session);
      return;
    }
  source = g_idle_source_new ();
  g_source_set_callback (source, unref_session_cb, g_steal_pointer (&self->session), NULL);
  g_source_set_static_name (source, "[yunpan] release session");
  g_source_attach (source, self->owner_context);
}

static void
yp_client_finalize (GObject *object)
{
  YpClient *self = YP_CLIENT (object);

  release_session (self);
  g_clear_pointer (&self->owner_context, g_main_context_unref);
  g_clear_pointer (&self->base_url, g_free);
  if (self->token)
    memset (self->token, 0, strlen (self->token));
  g_clear_pointer (&self->token, g_free);
  g_clear_pointer (&self->username, g_free);
  g_mutex_clear (&self->mutex);

  G_OBJECT_CLASS (yp_client_parent_class)->finalize (object);
}

static void
yp_client_get_property (GObject    *object,
                        guint       prop_id,
                        GValue     *value,
                        GParamSpec *pspec)
{
  YpClient *self = YP_CLIENT (object);

  switch (prop_id)
    {
    case PROP_BASE_URL:
      g_value_set_string (value, self->base_url);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
yp_client_set_property (GObject      *object,
                        guint         prop_id,
                        const GValue *value,
                        GParamSpec   *pspec)
{
  YpClient *self = YP_CLIENT (object);
  const char *url;

  switch (prop_id)
    {
    case PROP_BASE_URL:
      /* "http://host:port/" and "http://host:port" mean the same */
      url = g_value_get_string (value);
      self->base_url = url && g_str_has_suffix (url, "/")
        ? g_strndup (url, strlen (url) - 1) : g_strdup (url);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
yp_client_class_init (YpClientClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = yp_client_finalize;
  object_class->get_property = yp_client_get_property;
  object_class->set_property = yp_client_set_property;

  properties[PROP_BASE_URL] =
    g_param_spec_string ("base-url", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
yp_client_init (YpClient *self)
{
  g_mutex_init (&self->mutex);
  self->retry = YP_RETRY_POLICY_DEFAULT;
  /* A call waits for a free connection, so the limits must leave room for
   * it beside the transfers: a transfer queue runs 3 at once by default,
   * each upload keeping two chunks and a proof in flight, plus an event
   * stream or two. libsoup's own total of 10 would queue a listing behind
   * three uploads. The server takes 64 busy connections per address, and
   * several clients may share one address. */
  self->owner = g_thread_self ();
  self->owner_context = g_main_context_ref_thread_default ();
  self->session = soup_session_new_with_options ("timeout", 120,
                                                 "idle-timeout", 60,
                                                 "max-conns", 64,
                                                 "max-conns-per-host", 32,
                                                 "user-agent", "Yunpan/" PACKAGE_VERSION,
                                                 NULL);
}

YpClient *
yp_client_new (const char *base_url)
{
  g_return_val_if_fail (base_url != NULL, NULL);

  return g_object_new (YP_TYPE_CLIENT, "base-url", base_url, NULL);
}

const char *
yp_client_get_base_url (YpClient *self)
{
  g_return_val_if_fail (YP_IS_CLIENT (self), NULL);

  return self->base_url;
}

/**
 * yp_client_dup_token:
 *
 * Returns: (transfer full) (nullable): the session token
 */
char *
yp_client_dup_token (YpClient *self)
{
  g_autoptr(GMutexLocker) locker = NULL;

  g_return_val_if_fail (YP_IS_CLIENT (self), NULL);

  locker = g_mutex_locker_new (&self->mutex);
  return g_strdup (self->token);
}

void
yp_client_set_token (YpClient   *self,
                     const char *token)
{
  g_autoptr(GMutexLocker) locker = NULL;

  g_return_if_fail (YP_IS_CLIENT (self));

  locker = g_mutex_locker_new (&self->mutex);
  g_free (self->token);
  self->token = g_strdup (token);
}

const char *
yp_client_get_username (YpClient *self)
{
  g_return_val_if_fail (YP_IS_CLIENT (self), NULL);

  return self->username;
}

gint64
yp_client_get_user_id (YpClient *self)
{
  g_return_val_if_fail (YP_IS_CLIENT (self), 0);

  return self->user_id;
}

void
yp_client_set_retry_policy (YpClient            *self,
                            const YpRetryPolicy *policy)
{
  g_return_if_fail (YP_IS_CLIENT (self));
  g_return_if_fail (policy != NULL);

  g_mutex_lock (&self->mutex);
  self->retry = *policy;
  g_mutex_unlock (&self->mutex);
}

void
yp_client_set_chunk_size (YpClient *self,
                          guint64   chunk_size)
{
  g_return_if_fail (YP_IS_CLIENT (self));
  g_return_if_fail (chunk_size > 0);

  g_mutex_lock (&self->mutex);
  self->chunk_size = chunk_size;
  g_mutex_unlock (&self->mutex);
}

guint64
_yp_client_get_chunk_size (YpClient *self)
{
  guint64 chunk_size;

  g_mutex_lock (&self->mutex);
  chunk_size = self->chunk_size;
  g_mutex_unlock (&self->mutex);
  return chunk_size;
}

void
_yp_client_set_user (YpClient   *self,
                     gint64      user_id,
                     const char *username)
{
  g_mutex_lock (&self->mutex);
  self->user_id = user_id;
  g_free (self->username);
  self->username = g_strdup (username);
  g_mutex_unlock (&self->mutex);
}

SoupSession *
_yp_client_get_session (YpClient *self)
{
  return self->session;
}

YpRetryPolicy
_yp_client_get_retry_policy (YpClient *self)
{
  YpRetryPolicy policy;

  g_mutex_lock (&self->mutex);
  policy = self->retry;
  g_mutex_unlock (&self->mutex);
  return policy;
}

