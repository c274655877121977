/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "yunpan-client"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "yp-client-error.h"
#include "yp-client-private.h"

/**
 * YpClient:
 *
 * One account on one server. Every request carries the session token, and
 * requests that fail for transient reasons (network, 5xx) are tried again
 * with exponential backoff; a 4xx answer is final.
 *
 * The `_sync` calls block and may run in any thread (libsoup ≥ 3.2 sends
 * from any thread); the `_async` calls run them in a worker thread so that a
 * user interface never waits.
 */
struct _YpClient
{
  GObject        parent_instance;

  SoupSession   *session;
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

static void
yp_client_finalize (GObject *object)
{
  YpClient *self = YP_CLIENT (object);

  g_clear_object (&self->session);
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
  /* the transfer queue runs several transfers to the same host at once */
  self->session = soup_session_new_with_options ("timeout", 120,
                                                 "idle-timeout", 60,
                                                 "max-conns-per-host", 16,
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

static void
yp_client_set_user (YpClient   *self,
                    gint64      user_id,
                    const char *username)
{
  g_mutex_lock (&self->mutex);
  self->user_id = user_id;
  g_free (self->username);
  self->username = g_strdup (username);
  g_mutex_unlock (&self->mutex);
}

/* ------------------------------------------------------------------------
 * Requests
 * ------------------------------------------------------------------------ */

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

/*
 * A message for METHOD on API_PATH (below /api/v1) with QUERY (already
 * encoded, may be NULL), carrying the session token when there is one.
 */
SoupMessage *
_yp_client_new_message (YpClient   *self,
                        const char *method,
                        const char *api_path,
                        const char *query)
{
  g_autofree char *uri = g_strconcat (self->base_url, YP_API_PREFIX, api_path,
                                      query ? "?" : "", query ? query : "", NULL);
  g_autofree char *token = yp_client_dup_token (self);
  SoupMessage *msg = soup_message_new (method, uri);

  if (msg == NULL)
    return NULL;
  if (token != NULL)
    {
      g_autofree char *header = g_strconcat ("Bearer ", token, NULL);

      soup_message_headers_replace (soup_message_get_request_headers (msg),
                                    "Authorization", header);
    }
  return msg;
}

JsonObject *
_yp_json_object (JsonObject *object,
                 const char *member)
{
  JsonNode *node = object ? json_object_get_member (object, member) : NULL;

  return node && JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
}

JsonArray *
_yp_json_array (JsonObject *object,
                const char *member)
{
  JsonNode *node = object ? json_object_get_member (object, member) : NULL;

  return node && JSON_NODE_HOLDS_ARRAY (node) ? json_node_get_array (node) : NULL;
}

char *
_yp_query_path (const char *path)
{
  g_autofree char *escaped = g_uri_escape_string (path, "/", FALSE);

  return g_strconcat ("path=", escaped, NULL);
}

/* Turns a transport failure into a NETWORK error that says where. */
void
_yp_client_network_error (YpClient  *self,
                          GError   **error)
{
  if (error == NULL || *error == NULL || g_error_matches (*error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if ((*error)->domain != YP_CLIENT_ERROR)
    {
      GError *wrapped = g_error_new (YP_CLIENT_ERROR, YP_CLIENT_ERROR_NETWORK,
                                     _("Cannot reach %s: %s"), self->base_url, (*error)->message);

      g_clear_error (error);
      *error = wrapped;
    }
}

/*
 * Checks the answer to MSG whose body is BODY: on a 2xx status returns the
 * JSON object (or an empty one for a body that is not JSON); otherwise sets
 * ERROR from the protocol's error object.
 */
JsonObject *
_yp_client_parse_response (SoupMessage  *msg,
                           GBytes       *body,
                           GError      **error)
{
  g_autoptr(JsonParser) parser = json_parser_new_immutable ();
  guint http = soup_message_get_status (msg);
  const char *code = NULL, *message = NULL;
  JsonObject *object = NULL;
  gsize len = 0;
  const char *data = body ? g_bytes_get_data (body, &len) : NULL;

  if (len > 0 && json_parser_load_from_data (parser, data, (gssize) len, NULL)
      && JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    object = json_node_get_object (json_parser_get_root (parser));

  if (SOUP_STATUS_IS_SUCCESSFUL (http))
    return object ? json_object_ref (object) : json_object_new ();

  if (object && json_object_has_member (object, "error"))
    {
      JsonObject *err = _yp_json_object (object, "error");

      if (err)
        {
          code = json_object_get_string_member_with_default (err, "code", NULL);
          message = json_object_get_string_member_with_default (err, "message", NULL);
        }
    }
  g_set_error (error, YP_CLIENT_ERROR,
               yp_client_error_from_status (code ? yp_status_from_code (code) : YP_STATUS_COUNT,
                                            http),
               "%s", message ? message : soup_message_get_reason_phrase (msg));
  return NULL;
}

gboolean
_yp_set_io_error (GError     **error,
                  int          saved,
                  const char  *what,
                  const char  *path)
{
  /* TRANSLATORS: e.g. Cannot open “/home/me/a.txt”: Permission denied */
  g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved), _("Cannot %s “%s”: %s"),
               what, path, g_strerror (saved));
  return FALSE;
}

/* Waits MS milliseconds unless CANCELLABLE fires first. */
gboolean
_yp_sleep_cancellable (guint          ms,
                       GCancellable  *cancellable,
                       GError       **error)
{
  gint64 until = g_get_monotonic_time () + (gint64) ms * 1000;

  while (g_get_monotonic_time () < until)
    {
      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        return FALSE;
      g_usleep (MIN (20000, until - g_get_monotonic_time () + 1));
    }
  return !g_cancellable_set_error_if_cancelled (cancellable, error);
}

/*
 * Sends METHOD API_PATH?QUERY with the JSON object BODY (may be NULL), trying
 * again on transient failures. Returns the reply object.
 */
JsonObject *
_yp_client_call (YpClient      *self,
                 const char    *method,
                 const char    *api_path,
                 const char    *query,
                 JsonObject    *body,
                 GCancellable  *cancellable,
                 GError       **error)
{
  YpRetryPolicy policy = _yp_client_get_retry_policy (self);
  g_autoptr(GBytes) request = NULL;

  if (body != NULL)
    {
      g_autoptr(JsonNode) root = json_node_new (JSON_NODE_OBJECT);
      char *text;

      json_node_set_object (root, body);
      text = json_to_string (root, FALSE);
      request = g_bytes_new_take (text, strlen (text));
    }

  for (guint attempt = 1;; attempt++)
    {
      g_autoptr(SoupMessage) msg = _yp_client_new_message (self, method, api_path, query);
      g_autoptr(GBytes) reply = NULL;
      g_autoptr(GError) local_error = NULL;
      JsonObject *object;

      if (msg == NULL)
        {
          g_set_error (error, YP_CLIENT_ERROR, YP_CLIENT_ERROR_INVALID,
                       _("“%s” is not a server address"), self->base_url);
          return NULL;
        }
      if (request != NULL)
        soup_message_set_request_body_from_bytes (msg, "application/json", request);

      reply = soup_session_send_and_read (self->session, msg, cancellable, &local_error);
      if (reply == NULL)
        _yp_client_network_error (self, &local_error);
      else if ((object = _yp_client_parse_response (msg, reply, &local_error)) != NULL)
        return object;

      if (!yp_retry_policy_should_retry (&policy, attempt, local_error))
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return NULL;
        }
      g_debug ("%s %s failed (%s); try %u of %u", method, api_path, local_error->message,
               attempt + 1, policy.max_attempts);
      if (!_yp_sleep_cancellable (yp_retry_policy_delay_ms (&policy, attempt, NULL),
                                  cancellable, error))
        return NULL;
    }
}

/* ------------------------------------------------------------------------
 * Accounts
 * ------------------------------------------------------------------------ */

static JsonObject *
credentials_object (const char *username,
                    const char *password)
{
  JsonObject *body = json_object_new ();

  json_object_set_string_member (body, "username", username);
  json_object_set_string_member (body, "password", password);
  return body;
}

gboolean
yp_client_register_sync (YpClient      *self,
                         const char    *username,
                         const char    *password,
                         GCancellable  *cancellable,
                         GError       **error)
{
  g_autoptr(JsonObject) body = NULL;
  g_autoptr(JsonObject) reply = NULL;

  g_return_val_if_fail (YP_IS_CLIENT (self), FALSE);
  g_return_val_if_fail (username != NULL && password != NULL, FALSE);

  body = credentials_object (username, password);
  reply = _yp_client_call (self, "POST", "/account/register", NULL, body, cancellable, error);
  return reply != NULL;
}

static void
read_user (YpClient   *self,
           JsonObject *reply)
{
  JsonObject *user = _yp_json_object (reply, "user");

  if (user != NULL)
    yp_client_set_user (self, json_object_get_int_member_with_default (user, "id", 0),
                        json_object_get_string_member_with_default (user, "username", NULL));
}

gboolean
yp_client_login_sync (YpClient      *self,
                      const char    *username,
                      const char    *password,
                      GCancellable  *cancellable,
                      GError       **error)
{
  g_autoptr(JsonObject) body = NULL;
  g_autoptr(JsonObject) reply = NULL;
  const char *token;

  g_return_val_if_fail (YP_IS_CLIENT (self), FALSE);
  g_return_val_if_fail (username != NULL && password != NULL, FALSE);

  body = credentials_object (username, password);
  reply = _yp_client_call (self, "POST", "/account/login", NULL, body, cancellable, error);
  if (reply == NULL)
    return FALSE;
  token = json_object_get_string_member_with_default (reply, "token", NULL);
  if (token == NULL)
    {
      g_set_error (error, YP_CLIENT_ERROR, YP_CLIENT_ERROR_FAILED,
                   _("The server sent no session token"));
      return FALSE;
    }
  yp_client_set_token (self, token);
  read_user (self, reply);
  return TRUE;
}

gboolean
yp_client_logout_sync (YpClient      *self,
                       GCancellable  *cancellable,
                       GError       **error)
{
  g_autoptr(JsonObject) reply = NULL;

  g_return_val_if_fail (YP_IS_CLIENT (self), FALSE);

  reply = _yp_client_call (self, "POST", "/account/logout", NULL, NULL, cancellable, error);
  if (reply == NULL)
    return FALSE;
  yp_client_set_token (self, NULL);
  return TRUE;
}

gboolean
yp_client_whoami_sync (YpClient      *self,
                       gint64        *cursor,
                       GCancellable  *cancellable,
                       GError       **error)
{
  g_autoptr(JsonObject) reply = NULL;

  g_return_val_if_fail (YP_IS_CLIENT (self), FALSE);

  reply = _yp_client_call (self, "GET", "/account/whoami", NULL, NULL, cancellable, error);
  if (reply == NULL)
    return FALSE;
  read_user (self, reply);
  if (cursor != NULL)
    *cursor = json_object_get_int_member_with_default (reply, "cursor", 0);
  return TRUE;
}

/* ------------------------------------------------------------------------
 * The tree
 * ------------------------------------------------------------------------ */

void
yp_listing_free (YpListing *listing)
{
  g_clear_object (&listing->folder);
  g_clear_pointer (&listing->entries, g_ptr_array_unref);
  g_free (listing);
}

static YpNode *
node_member (JsonObject  *reply,
             const char  *member,
             GError     **error)
{
  JsonObject *object = _yp_json_object (reply, member);
  YpNode *node = object ? yp_node_new_from_json (object) : NULL;

  if (node == NULL)
    g_set_error (error, YP_CLIENT_ERROR, YP_CLIENT_ERROR_FAILED,
                 _("The server's answer has no valid “%s”"), member);
  return node;
}

static const char *const sort_names[] = { "name", "size", "modified", "downloads" };

YpListing *
yp_client_list_sync (YpClient             *self,
                     const char           *path,
                     const YpListOptions  *options,
                     GCancellable         *cancellable,
                     GError              **error)
{
  YpListOptions defaults = { 0 };
  g_autoptr(JsonObject) reply = NULL;
  g_autoptr(YpListing) listing = g_new0 (YpListing, 1);
  g_autofree char *target = NULL;
  g_autoptr(GString) query = NULL;
  JsonArray *entries;

  g_return_val_if_fail (YP_IS_CLIENT (self), NULL);
  g_return_val_if_fail (path != NULL, NULL);

  if (options == NULL)
    options = &defaults;
  target = _yp_query_path (path);
  query = g_string_new (target);
  g_string_append_printf (query, "&sort=%s&order=%s&offset=%" G_GINT64_FORMAT,
                          sort_names[options->sort], options->descending ? "desc" : "asc",
                          options->offset);
  if (options->limit > 0)
    g_string_append_printf (query, "&limit=%" G_GINT64_FORMAT, options->limit);
  if (options->category != NULL)
    g_string_append_printf (query, "&category=%s%s", options->category,
                            options->recursive ? "&recursive=1" : "");

  reply = _yp_client_call (self, "GET", "/files/list", query->str, NULL, cancellable, error);
  if (reply == NULL || (listing->folder = node_member (reply, "folder", error)) == NULL)
    return NULL;
  listing->entries = g_ptr_array_new_with_free_func (g_object_unref);
  listing->total = json_object_get_int_member_with_default (reply, "total", 0);
  entries = _yp_json_array (reply, "entries");
  for (guint i = 0; entries && i < json_array_get_length (entries); i++)
    {
      YpNode *node = yp_node_new_from_json (json_array_get_object_element (entries, i));

      if (node != NULL)
        g_ptr_array_add (listing->entries, node);
    }
  return g_steal_pointer (&listing);
}

YpNode *
yp_client_stat_sync (YpClient      *self,
                     const char    *path,
                     GCancellable  *cancellable,
                     GError       **error)
{
  g_autoptr(JsonObject) reply = NULL;
  g_autofree char *query = NULL;

  g_return_val_if_fail (YP_IS_CLIENT (self), NULL);
  g_return_val_if_fail (path != NULL, NULL);

  query = _yp_query_path (path);
  reply = _yp_client_call (self, "GET", "/files/stat", query, NULL, cancellable, error);
  return reply ? node_member (reply, "node", error) : NULL;
}

YpNode *
yp_client_mkdir_sync (YpClient      *self,
                      const char    *path,
                      gboolean       parents,
                      GCancellable  *cancellable,
                      GError       **error)
{
  g_autoptr(JsonObject) body = json_object_new ();
  g_autoptr(JsonObject) reply = NULL;

  g_return_val_if_fail (YP_IS_CLIENT (self), NULL);
  g_return_val_if_fail (path != NULL, NULL);

  json_object_set_string_member (body, "path", path);
  if (parents)
    json_object_set_boolean_member (body, "parents", TRUE);
  reply = _yp_client_call (self, "POST", "/files/mkdir", NULL, body, cancellable, error);
  return reply ? node_member (reply, "node", error) : NULL;
}

YpNode *
yp_client_move_sync (YpClient      *self,
                     const char    *path,
                     const char    *to_path,
                     gint64         if_version,
                     GCancellable  *cancellable,
                     GError       **error)
{
  g_autoptr(JsonObject) body = json_object_new ();
  g_autoptr(JsonObject) reply = NULL;

  g_return_val_if_fail (YP_IS_CLIENT (self), NULL);
  g_return_val_if_fail (path != NULL && to_path != NULL, NULL);

  json_object_set_string_member (body, "path", path);
  json_object_set_string_member (body, "to_path", to_path);
  if (if_version > 0)
    json_object_set_int_member (body, "if_version", if_version);
  reply = _yp_client_call (self, "POST", "/files/move", NULL, body, cancellable, error);
  return reply ? node_member (reply, "node", error) : NULL;
}

gboolean
yp_client_delete_sync (YpClient      *self,
                       const char    *path,
                       gint64         if_version,
                       GCancellable  *cancellable,
                       GError       **error)
{
  g_autoptr(JsonObject) body = json_object_new ();
  g_autoptr(JsonObject) reply = NULL;

  g_return_val_if_fail (YP_IS_CLIENT (self), FALSE);
  g_return_val_if_fail (path != NULL, FALSE);

  json_object_set_string_member (body, "path", path);
  if (if_version > 0)
    json_object_set_int_member (body, "if_version", if_version);
  reply = _yp_client_call (self, "POST", "/files/delete", NULL, body, cancellable, error);
  return reply != NULL;
}

void
yp_changes_free (YpChanges *changes)
{
  g_clear_pointer (&changes->changes, g_ptr_array_unref);
  g_free (changes);
}

static void
yp_change_free (YpChange *change)
{
  g_clear_object (&change->node);
  g_free (change->old_path);
  g_free (change);
}

static YpChangeOp
change_op (const char *op)
{
  if (g_strcmp0 (op, "modify") == 0)
    return YP_CHANGE_MODIFY;
  if (g_strcmp0 (op, "move") == 0)
    return YP_CHANGE_MOVE;
  if (g_strcmp0 (op, "delete") == 0)
    return YP_CHANGE_DELETE;
  return YP_CHANGE_CREATE;
}

YpChanges *
yp_client_changes_sync (YpClient      *self,
                        gint64         since,
                        gint64         limit,
                        GCancellable  *cancellable,
                        GError       **error)
{
  g_autoptr(JsonObject) reply = NULL;
  g_autofree char *query = NULL;
  YpChanges *changes;
  JsonArray *array;

  g_return_val_if_fail (YP_IS_CLIENT (self), NULL);

  query = limit > 0
    ? g_strdup_printf ("since=%" G_GINT64_FORMAT "&limit=%" G_GINT64_FORMAT, since, limit)
    : g_strdup_printf ("since=%" G_GINT64_FORMAT, since);
  reply = _yp_client_call (self, "GET", "/changes", query, NULL, cancellable, error);
  if (reply == NULL)
    return NULL;

  changes = g_new0 (YpChanges, 1);
  changes->changes = g_ptr_array_new_with_free_func ((GDestroyNotify) yp_change_free);
  changes->cursor = json_object_get_int_member_with_default (reply, "cursor", since);
  changes->latest = json_object_get_int_member_with_default (reply, "latest", since);
  changes->has_more = json_object_get_boolean_member_with_default (reply, "has_more", FALSE);
  array = _yp_json_array (reply, "changes");
  for (guint i = 0; array && i < json_array_get_length (array); i++)
    {
      JsonObject *o = json_array_get_object_element (array, i);
      YpChange *change = g_new0 (YpChange, 1);
      JsonObject *node = _yp_json_object (o, "node");

      change->cursor = json_object_get_int_member_with_default (o, "cursor", 0);
      change->op = change_op (json_object_get_string_member_with_default (o, "op", NULL));
      change->node = node ? yp_node_new_from_json (node) : NULL;
      change->old_path = g_strdup (json_object_get_string_member_with_default (o, "old_path",
                                                                                NULL));
      g_ptr_array_add (changes->changes, change);
    }
  return changes;
}

/* ------------------------------------------------------------------------
 * Asynchronous variants: each runs its sync call in a worker thread
 * ------------------------------------------------------------------------ */

typedef struct _CallArgs CallArgs;

/* Runs one sync call; returns its result, or NULL with ERROR set. */
typedef gpointer (*CallFunc) (YpClient      *self,
                              CallArgs      *args,
                              GCancellable  *cancellable,
                              GError       **error);

struct _CallArgs
{
  CallFunc        func;
  GDestroyNotify  result_free;
  char           *path;
  char           *text;      /* a password, or a second path */
  char           *username;
  char           *category;
  gint64          number;
  gint64          limit;
  gboolean        flag;
  YpListOptions   options;
};

static void
call_args_free (CallArgs *args)
{
  g_free (args->path);
  if (args->text)
    memset (args->text, 0, strlen (args->text));
  g_free (args->text);
  g_free (args->username);
  g_free (args->category);
  g_free (args);
}

static void
call_thread (GTask        *task,
             gpointer      source,
             gpointer      task_data,
             GCancellable *cancellable)
{
  CallArgs *args = task_data;
  GError *error = NULL;
  gpointer result = args->func (source, args, cancellable, &error);

  if (error != NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, result, args->result_free);
}

static CallArgs *
call_args_new (CallFunc       func,
               GDestroyNotify result_free)
{
  CallArgs *args = g_new0 (CallArgs, 1);

  args->func = func;
  args->result_free = result_free;
  return args;
}

static void
call_start (YpClient            *self,
            CallArgs            *args,
            gpointer             source_tag,
            GCancellable        *cancellable,
            GAsyncReadyCallback  callback,
            gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);

  g_task_set_source_tag (task, source_tag);
  g_task_set_task_data (task, args, (GDestroyNotify) call_args_free);
  g_task_run_in_thread (task, call_thread);
}

static gpointer
call_finish (YpClient      *self,
             GAsyncResult  *result,
             gpointer       source_tag,
             GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == source_tag, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* Calls that answer yes or no return this non-NULL pointer for yes. */
#define CALL_OK(ok) ((ok) ? GINT_TO_POINTER (1) : NULL)

static gpointer
call_register (YpClient *self, CallArgs *a, GCancellable *c, GError **error)
{
  return CALL_OK (yp_client_register_sync (self, a->username, a->text, c, error));
}

static gpointer
call_login (YpClient *self, CallArgs *a, GCancellable *c, GError **error)
{
  return CALL_OK (yp_client_login_sync (self, a->username, a->text, c, error));
}

static gpointer
call_logout (YpClient *self, CallArgs *a, GCancellable *c, GError **error)
{
  return CALL_OK (yp_client_logout_sync (self, c, error));
}

static gpointer
call_whoami (YpClient *self, CallArgs *a, GCancellable *c, GError **error)
{
  gint64 cursor = 0;

  if (!yp_client_whoami_sync (self, &cursor, c, error))
    return NULL;
  /* a cursor of 0 still means success */
  return g_memdup2 (&cursor, sizeof cursor);
}

static gpointer
call_list (YpClient *self, CallArgs *a, GCancellable *c, GError **error)
{
  return yp_client_list_sync (self, a->path, &a->options, c, error);
}

static gpointer
call_stat (YpClient *self, CallArgs *a, GCancellable *c, GError **error)
{
  return yp_client_stat_sync (self, a->path, c, error);
}

static gpointer
call_mkdir (YpClient *self, CallArgs *a, GCancellable *c, GError **error)
{
  return yp_client_mkdir_sync (self, a->path, a->flag, c, error);
}

static gpointer
call_move (YpClient *self, CallArgs *a, GCancellable *c, GError **error)
{
  return yp_client_move_sync (self, a->path, a->text, a->number, c, error);
}

static gpointer
call_delete (YpClient *self, CallArgs *a, GCancellable *c, GError **error)
{
  return CALL_OK (yp_client_delete_sync (self, a->path, a->number, c, error));
}

static gpointer
call_changes (YpClient *self, CallArgs *a, GCancellable *c, GError **error)
{
  return yp_client_changes_sync (self, a->number, a->limit, c, error);
}

void
yp_client_register_async (YpClient            *self,
                          const char          *username,
                          const char          *password,
                          GCancellable        *cancellable,
                          GAsyncReadyCallback  callback,
                          gpointer             user_data)
{
  CallArgs *args = call_args_new (call_register, NULL);

  g_return_if_fail (YP_IS_CLIENT (self));

  args->username = g_strdup (username);
  args->text = g_strdup (password);
  call_start (self, args, yp_client_register_async, cancellable, callback, user_data);
}

gboolean
yp_client_register_finish (YpClient      *self,
                           GAsyncResult  *result,
                           GError       **error)
{
  return call_finish (self, result, yp_client_register_async, error) != NULL;
}

void
yp_client_login_async (YpClient            *self,
                       const char          *username,
                       const char          *password,
                       GCancellable        *cancellable,
                       GAsyncReadyCallback  callback,
                       gpointer             user_data)
{
  CallArgs *args = call_args_new (call_login, NULL);

  g_return_if_fail (YP_IS_CLIENT (self));

  args->username = g_strdup (username);
  args->text = g_strdup (password);
  call_start (self, args, yp_client_login_async, cancellable, callback, user_data);
}

gboolean
yp_client_login_finish (YpClient      *self,
                        GAsyncResult  *result,
                        GError       **error)
{
  return call_finish (self, result, yp_client_login_async, error) != NULL;
}

void
yp_client_logout_async (YpClient            *self,
                        GCancellable        *cancellable,
                        GAsyncReadyCallback  callback,
                        gpointer             user_data)
{
  g_return_if_fail (YP_IS_CLIENT (self));

  call_start (self, call_args_new (call_logout, NULL), yp_client_logout_async, cancellable,
              callback, user_data);
}

gboolean
yp_client_logout_finish (YpClient      *self,
                         GAsyncResult  *result,
                         GError       **error)
{
  return call_finish (self, result, yp_client_logout_async, error) != NULL;
}

void
yp_client_whoami_async (YpClient            *self,
                        GCancellable        *cancellable,
                        GAsyncReadyCallback  callback,
                        gpointer             user_data)
{
  g_return_if_fail (YP_IS_CLIENT (self));

  call_start (self, call_args_new (call_whoami, g_free), yp_client_whoami_async, cancellable,
              callback, user_data);
}

gboolean
yp_client_whoami_finish (YpClient      *self,
                         GAsyncResult  *result,
                         gint64        *cursor,
                         GError       **error)
{
  g_autofree gint64 *value = call_finish (self, result, yp_client_whoami_async, error);

  if (value != NULL && cursor != NULL)
    *cursor = *value;
  return value != NULL;
}

void
yp_client_list_async (YpClient            *self,
                      const char          *path,
                      const YpListOptions *options,
                      GCancellable        *cancellable,
                      GAsyncReadyCallback  callback,
                      gpointer             user_data)
{
  CallArgs *args = call_args_new (call_list, (GDestroyNotify) yp_listing_free);

  g_return_if_fail (YP_IS_CLIENT (self));

  args->path = g_strdup (path);
  if (options != NULL)
    {
      args->options = *options;
      args->category = g_strdup (options->category);
      args->options.category = args->category;
    }
  call_start (self, args, yp_client_list_async, cancellable, callback, user_data);
}

YpListing *
yp_client_list_finish (YpClient      *self,
                       GAsyncResult  *result,
                       GError       **error)
{
  return call_finish (self, result, yp_client_list_async, error);
}

void
yp_client_stat_async (YpClient            *self,
                      const char          *path,
                      GCancellable        *cancellable,
                      GAsyncReadyCallback  callback,
                      gpointer             user_data)
{
  CallArgs *args = call_args_new (call_stat, g_object_unref);

  g_return_if_fail (YP_IS_CLIENT (self));

  args->path = g_strdup (path);
  call_start (self, args, yp_client_stat_async, cancellable, callback, user_data);
}

YpNode *
yp_client_stat_finish (YpClient      *self,
                       GAsyncResult  *result,
                       GError       **error)
{
  return call_finish (self, result, yp_client_stat_async, error);
}

void
yp_client_mkdir_async (YpClient            *self,
                       const char          *path,
                       gboolean             parents,
                       GCancellable        *cancellable,
                       GAsyncReadyCallback  callback,
                       gpointer             user_data)
{
  CallArgs *args = call_args_new (call_mkdir, g_object_unref);

  g_return_if_fail (YP_IS_CLIENT (self));

  args->path = g_strdup (path);
  args->flag = parents;
  call_start (self, args, yp_client_mkdir_async, cancellable, callback, user_data);
}

YpNode *
yp_client_mkdir_finish (YpClient      *self,
                        GAsyncResult  *result,
                        GError       **error)
{
  return call_finish (self, result, yp_client_mkdir_async, error);
}

void
yp_client_move_async (YpClient            *self,
                      const char          *path,
                      const char          *to_path,
                      gint64               if_version,
                      GCancellable        *cancellable,
                      GAsyncReadyCallback  callback,
                      gpointer             user_data)
{
  CallArgs *args = call_args_new (call_move, g_object_unref);

  g_return_if_fail (YP_IS_CLIENT (self));

  args->path = g_strdup (path);
  args->text = g_strdup (to_path);
  args->number = if_version;
  call_start (self, args, yp_client_move_async, cancellable, callback, user_data);
}

YpNode *
yp_client_move_finish (YpClient      *self,
                       GAsyncResult  *result,
                       GError       **error)
{
  return call_finish (self, result, yp_client_move_async, error);
}

void
yp_client_delete_async (YpClient            *self,
                        const char          *path,
                        gint64               if_version,
                        GCancellable        *cancellable,
                        GAsyncReadyCallback  callback,
                        gpointer             user_data)
{
  CallArgs *args = call_args_new (call_delete, NULL);

  g_return_if_fail (YP_IS_CLIENT (self));

  args->path = g_strdup (path);
  args->number = if_version;
  call_start (self, args, yp_client_delete_async, cancellable, callback, user_data);
}

gboolean
yp_client_delete_finish (YpClient      *self,
                         GAsyncResult  *result,
                         GError       **error)
{
  return call_finish (self, result, yp_client_delete_async, error) != NULL;
}

void
yp_client_changes_async (YpClient            *self,
                         gint64               since,
                         gint64               limit,
                         GCancellable        *cancellable,
                         GAsyncReadyCallback  callback,
                         gpointer             user_data)
{
  CallArgs *args = call_args_new (call_changes, (GDestroyNotify) yp_changes_free);

  g_return_if_fail (YP_IS_CLIENT (self));

  args->number = since;
  args->limit = limit;
  call_start (self, args, yp_client_changes_async, cancellable, callback, user_data);
}

YpChanges *
yp_client_changes_finish (YpClient      *self,
                          GAsyncResult  *result,
                          GError       **error)
{
  return call_finish (self, result, yp_client_changes_async, error);
}
