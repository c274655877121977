/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "yunpan-client"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "yp-client-error.h"
#include "yp-client-private.h"

/*
 * One API call, sent and tried again when that is safe, either blocking the
 * calling thread or on libsoup's asynchronous API in the caller's
 * thread-default main context: an `_async` call holds no thread while it
 * waits for the network or between tries, and a cancel ends a wait at once.
 *
 * A keyed call sends one Idempotency-Key, and the same bytes, with every
 * try: a repeat of a change the server made but whose answer was lost gets
 * that answer back instead of making the change twice.
 */

struct _YpCall
{
  YpClient       *client;
  char           *method;
  char           *api_path;
  GString        *query;
  JsonObject     *body;
  GBytes         *request;    /* BODY as sent, the same bytes every try */
  char           *content_type; /* of REQUEST when it is not JSON */
  YpCallFlags     flags;
  char           *key;
  YpRetryPolicy   policy;
  guint           attempt;
  GError         *invalid;    /* why it cannot be sent at all */

  YpCallReplyFunc reply_func;
  GDestroyNotify  result_free;
  gsize           max_bytes;  /* > 0: the result is the body's bytes */
  gpointer        data;
  GDestroyNotify  data_free;

  /* while waiting asynchronously before the next try */
  GSource        *delay;
  GSource        *cancel;
};

static YpCallFlags
default_flags (const char *method)
{
  if (g_str_equal (method, "GET") || g_str_equal (method, "HEAD") || g_str_equal (method, "PUT"))
    return YP_CALL_IDEMPOTENT;
  return YP_CALL_KEYED;
}

YpCall *
_yp_call_new (YpClient   *client,
              const char *method,
              const char *api_path)
{
  YpCall *call = g_new0 (YpCall, 1);

  call->client = g_object_ref (client);
  call->method = g_strdup (method);
  call->api_path = g_strdup (api_path);
  call->flags = default_flags (method);
  call->policy = _yp_client_get_retry_policy (client);
  return call;
}

static void
delay_clear (YpCall *call)
{
  if (call->delay != NULL)
    g_source_destroy (call->delay);
  if (call->cancel != NULL)
    g_source_destroy (call->cancel);
  g_clear_pointer (&call->delay, g_source_unref);
  g_clear_pointer (&call->cancel, g_source_unref);
}

void
_yp_call_free (YpCall *call)
{
  delay_clear (call);
  if (call->data_free != NULL)
    call->data_free (call->data);
  g_clear_error (&call->invalid);
  g_clear_pointer (&call->key, g_free);
  g_clear_pointer (&call->request, g_bytes_unref);
  g_clear_pointer (&call->content_type, g_free);
  g_clear_pointer (&call->body, json_object_unref);
  if (call->query != NULL)
    g_string_free (call->query, TRUE);
  g_free (call->api_path);
  g_free (call->method);
  g_object_unref (call->client);
  g_free (call);
}

void
_yp_call_set_flags (YpCall      *call,
                    YpCallFlags  flags)
{
  call->flags = flags;
}

void
_yp_call_add_query (YpCall     *call,
                    const char *name,
                    const char *value)
{
  g_autofree char *escaped = g_uri_escape_string (value, "/", FALSE);

  if (call->query == NULL)
    call->query = g_string_new (NULL);
  else
    g_string_append_c (call->query, '&');
  g_string_append_printf (call->query, "%s=%s", name, escaped);
}

void
_yp_call_add_query_int (YpCall     *call,
                        const char *name,
                        gint64      value)
{
  char text[24];

  g_snprintf (text, sizeof text, "%" G_GINT64_FORMAT, value);
  _yp_call_add_query (call, name, text);
}

void
_yp_call_set_body (YpCall     *call,
                   JsonObject *body)
{
  g_clear_pointer (&call->body, json_object_unref);
  call->body = body ? json_object_ref (body) : NULL;
}

void
_yp_call_set_request_bytes (YpCall     *call,
                            const char *content_type,
                            GBytes     *bytes)
{
  g_clear_pointer (&call->body, json_object_unref);
  g_clear_pointer (&call->request, g_bytes_unref);
  g_free (call->content_type);
  call->content_type = g_strdup (content_type);
  call->request = g_bytes_ref (bytes);
}

JsonObject *
_yp_call_get_body (YpCall *call)
{
  if (call->body == NULL)
    call->body = json_object_new ();
  return call->body;
}

void
_yp_call_set_reply (YpCall          *call,
                    YpCallReplyFunc  reply_func,
                    GDestroyNotify   result_free)
{
  call->reply_func = reply_func;
  call->result_free = result_free;
}

void
_yp_call_set_reply_bytes (YpCall *call,
                          gsize   max_bytes)
{
  g_assert (max_bytes > 0);

  call->reply_func = NULL;
  call->result_free = (GDestroyNotify) g_bytes_unref;
  call->max_bytes = max_bytes;
}

void
_yp_call_set_data (YpCall         *call,
                   gpointer        data,
                   GDestroyNotify  data_free)
{
  call->data = data;
  call->data_free = data_free;
}

void
_yp_call_take_invalid (YpCall *call,
                       GError *error)
{
  if (call->invalid == NULL)
    call->invalid = error;
  else
    g_error_free (error);
}

/*
 * Names TARGET in the call: as the query parameters "id" or "path" of a
 * GET, or as the body members PREFIX + "id", "path", "parent_id" and
 * "name" of any other method. EXISTING: the call acts on a node that exists
 * (an id or a path), else it names a new one (a path, or a parent id and a
 * name).
 */
void
_yp_call_add_target (YpCall         *call,
                     const YpTarget *target,
                     const char     *prefix,
                     gboolean        existing)
{
  gboolean by_id = target != NULL && target->id > 0;
  gboolean by_path = target != NULL && target->path != NULL;
  gboolean by_child = target != NULL && target->parent_id > 0 && target->name != NULL;
  g_autofree char *id = g_strconcat (prefix, "id", NULL);
  g_autofree char *path = g_strconcat (prefix, "path", NULL);
  g_autofree char *parent_id = g_strconcat (prefix, "parent_id", NULL);
  g_autofree char *name = g_strconcat (prefix, "name", NULL);

  if (by_id + by_path + by_child != 1 || (existing ? by_child : by_id))
    {
      _yp_call_take_invalid (call, g_error_new (G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                                                existing
                                                ? _("A file or folder is named by its id or "
                                                    "its path")
                                                : _("A new file or folder is named by its "
                                                    "path, or by its folder's id and a name")));
      return;
    }
  if (g_str_equal (call->method, "GET"))
    {
      if (by_id)
        _yp_call_add_query_int (call, id, target->id);
      else
        _yp_call_add_query (call, path, target->path);
      return;
    }
  if (by_id)
    json_object_set_int_member (_yp_call_get_body (call), id, target->id);
  else if (by_path)
    json_object_set_string_member (_yp_call_get_body (call), path, target->path);
  else
    {
      json_object_set_int_member (_yp_call_get_body (call), parent_id, target->parent_id);
      json_object_set_string_member (_yp_call_get_body (call), name, target->name);
    }
}

/*
 * Adds "if_version" for IF_VERSION (see YP_VERSION_ANY in yp-node.h) to a
 * call that acts on an existing node, which cannot be asked to be absent.
 */
void
_yp_call_add_if_version (YpCall *call,
                         gint64  if_version)
{
  if (if_version == YP_VERSION_ANY)
    return;
  if (if_version <= 0)
    {
      _yp_call_take_invalid (call, g_error_new (G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                                                _("A version to expect is a number above 0")));
      return;
    }
  json_object_set_int_member (_yp_call_get_body (call), "if_version", if_version);
}

/* A body may hold a password: it does not stay behind in freed memory. */
static void
wipe_free (gpointer text)
{
  memset (text, 0, strlen (text));
  g_free (text);
}

/* Freezes what is sent: the body's bytes and the key, the same for every try. */
static void
call_prepare (YpCall *call)
{
  if (call->body != NULL && call->request == NULL)
    {
      g_autoptr(JsonNode) root = json_node_new (JSON_NODE_OBJECT);
      char *text;

      json_node_set_object (root, call->body);
      text = json_to_string (root, FALSE);
      call->request = g_bytes_new_with_free_func (text, strlen (text), wipe_free, text);
    }
  if ((call->flags & YP_CALL_KEYED) && call->key == NULL)
    call->key = _yp_idempotency_key_new ();
}

static SoupMessage *
call_message (YpCall  *call,
              GError **error)
{
  SoupMessage *msg = _yp_client_new_message (call->client, call->method, call->api_path,
                                             call->query ? call->query->str : NULL);

  if (msg == NULL)
    {
      g_set_error (error, YP_CLIENT_ERROR, YP_CLIENT_ERROR_INVALID,
                   _("“%s” is not a server address"), yp_client_get_base_url (call->client));
      return NULL;
    }
  if (call->key != NULL)
    {
      soup_message_headers_replace (soup_message_get_request_headers (msg), "Idempotency-Key",
                                    call->key);
      soup_message_add_flags (msg, SOUP_MESSAGE_IDEMPOTENT);
    }
  if (call->request != NULL)
    soup_message_set_request_body_from_bytes (msg,
                                              call->content_type ? call->content_type
                                                                 : "application/json",
                                              call->request);
  return msg;
}

/* The reply object: the call's result unless it has a reply function. */
static gpointer
reply_object (YpClient    *client,
              JsonObject  *reply,
              gpointer     data,
              GError     **error)
{
  return json_object_ref (reply);
}

/* Turns the answer REPLY (NULL after a transport failure) to MSG into the
 * call's result, or NULL with ERROR set. */
static gpointer
call_take_answer (YpCall       *call,
                  SoupMessage  *msg,
                  GBytes       *reply,
                  GError      **error)
{
  g_autoptr(JsonObject) object = NULL;
  YpCallReplyFunc func = call->reply_func ? call->reply_func : reply_object;

  if (reply == NULL)
    {
      _yp_client_network_error (call->client, error);
      return NULL;
    }
  if (call->max_bytes > 0 && SOUP_STATUS_IS_SUCCESSFUL (soup_message_get_status (msg)))
    {
      if (g_bytes_get_size (reply) <= call->max_bytes)
        return g_bytes_ref (reply);
      g_set_error (error, YP_CLIENT_ERROR, YP_CLIENT_ERROR_FAILED,
                   _("The server's answer is larger than %" G_GSIZE_FORMAT " bytes"),
                   call->max_bytes);
      return NULL;
    }
  object = _yp_client_parse_response (msg, reply, error);
  return object ? func (call->client, object, call->data, error) : NULL;
}

/*
 * After ERROR on the call's latest try: whether to try again. When not,
 * *RESULT may be set to what the first try achieved.
 */
static gboolean
call_should_retry (YpCall        *call,
                   const GError  *error,
                   gpointer      *result)
{
  gboolean repeatable = (call->flags & (YP_CALL_IDEMPOTENT | YP_CALL_KEYED)) != 0;

  if (yp_retry_policy_should_retry_request (&call->policy, call->attempt, error, repeatable))
    {
      g_debug ("%s %s failed (%s); try %u of %u", call->method, call->api_path,
               error->message, call->attempt + 1, call->policy.max_attempts);
      return TRUE;
    }
  /* the first try did it, and this one was told so */
  if (call->attempt > 1 && (call->flags & YP_CALL_DONE_ON_401)
      && g_error_matches (error, YP_CLIENT_ERROR, YP_CLIENT_ERROR_AUTH_EXPIRED))
    {
      g_autoptr(JsonObject) empty = json_object_new ();
      YpCallReplyFunc func = call->reply_func ? call->reply_func : reply_object;

      *result = func (call->client, empty, call->data, NULL);
    }
  return FALSE;
}

static guint
call_delay_ms (YpCall       *call,
               const GError *error)
{
  return yp_retry_policy_delay_for_error (&call->policy, call->attempt, error, NULL);
}

/* Sends CALL, blocking, and frees it. */
gpointer
_yp_call_run_sync (YpCall        *call,
                   GCancellable  *cancellable,
                   GError       **error)
{
  gpointer result = NULL;

  if (call->invalid != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&call->invalid));
      _yp_call_free (call);
      return NULL;
    }
  call_prepare (call);
  for (call->attempt = 1;; call->attempt++)
    {
      g_autoptr(GError) local_error = NULL;
      g_autoptr(SoupMessage) msg = call_message (call, &local_error);
      g_autoptr(GBytes) reply = NULL;

      if (msg == NULL)
        break;
      reply = soup_session_send_and_read (_yp_client_get_session (call->client), msg,
                                          cancellable, &local_error);
      if ((result = call_take_answer (call, msg, reply, &local_error)) != NULL)
        break;
      if (!call_should_retry (call, local_error, &result))
        {
          if (result == NULL)
            g_propagate_error (error, g_steal_pointer (&local_error));
          break;
        }
      if (!_yp_sleep_cancellable (call_delay_ms (call, local_error), cancellable, error))
        break;
    }
  _yp_call_free (call);
  return result;
}

static void call_send_later (GTask *task,
                             guint  delay_ms);

static void
call_sent_cb (GObject      *source,
              GAsyncResult *res,
              gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  YpCall *call = g_task_get_task_data (task);
  SoupMessage *msg = soup_session_get_async_result_message (SOUP_SESSION (source), res);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) reply = soup_session_send_and_read_finish (SOUP_SESSION (source), res,
                                                               &error);
  gpointer result = call_take_answer (call, msg, reply, &error);

  /* A call that was answered did what it did on the server, cancelled or
   * not: its result is delivered (the task does not check the
   * cancellable), so that a login's token or a move's new node is never
   * dropped. A call cancelled in time fails with CANCELLED itself. */
  if (result != NULL)
    g_task_return_pointer (task, result, call->result_free);
  else if (call_should_retry (call, error, &result))
    call_send_later (g_steal_pointer (&task), call_delay_ms (call, error));
  else if (result != NULL)
    g_task_return_pointer (task, result, call->result_free);
  else
    g_task_return_error (task, g_steal_pointer (&error));
}

/* Sends the call's current try; takes TASK's reference. */
static void
call_send_now (GTask *task)
{
  YpCall *call = g_task_get_task_data (task);
  GError *error = NULL;
  g_autoptr(SoupMessage) msg = call_message (call, &error);

  if (msg == NULL)
    {
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }
  soup_session_send_and_read_async (_yp_client_get_session (call->client), msg,
                                    g_task_get_priority (task),
                                    g_task_get_cancellable (task), call_sent_cb, task);
}

static gboolean
delay_done_cb (gpointer user_data)
{
  GTask *task = user_data;
  YpCall *call = g_task_get_task_data (task);

  delay_clear (call);
  call->attempt++;
  call_send_now (task);
  return G_SOURCE_REMOVE;
}

static gboolean
delay_cancelled_cb (GCancellable *cancellable,
                    gpointer      user_data)
{
  GTask *task = user_data;

  delay_clear (g_task_get_task_data (task));
  g_task_return_error_if_cancelled (task);
  g_object_unref (task);
  return G_SOURCE_REMOVE;
}

/* Sends the next try after DELAY_MS, in the task's main context, unless
 * the task's cancellable fires first; takes TASK's reference. */
static void
call_send_later (GTask *task,
                 guint  delay_ms)
{
  YpCall *call = g_task_get_task_data (task);
  GCancellable *cancellable = g_task_get_cancellable (task);
  GMainContext *context = g_task_get_context (task);

  call->delay = g_timeout_source_new (delay_ms);
  g_source_set_callback (call->delay, delay_done_cb, task, NULL);
  g_source_attach (call->delay, context);
  if (cancellable != NULL)
    {
      call->cancel = g_cancellable_source_new (cancellable);
      g_source_set_callback (call->cancel, G_SOURCE_FUNC (delay_cancelled_cb), task, NULL);
      g_source_attach (call->cancel, context);
    }
}

void
_yp_call_run_async (YpCall              *call,
                    gpointer             source_tag,
                    GCancellable        *cancellable,
                    GAsyncReadyCallback  callback,
                    gpointer             user_data)
{
  GTask *task = g_task_new (call->client, cancellable, callback, user_data);

  g_task_set_source_tag (task, source_tag);
  g_task_set_check_cancellable (task, FALSE);
  g_task_set_task_data (task, call, (GDestroyNotify) _yp_call_free);
  if (call->invalid != NULL)
    {
      g_task_return_error (task, g_steal_pointer (&call->invalid));
      g_object_unref (task);
      return;
    }
  call_prepare (call);
  call->attempt = 1;
  call_send_now (task);
}

gpointer
_yp_call_finish (YpClient      *client,
                 GAsyncResult  *result,
                 gpointer       source_tag,
                 GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, client), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == source_tag, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

JsonObject *
_yp_client_call (YpClient      *self,
                 const char    *method,
                 const char    *api_path,
                 const char    *query,
                 JsonObject    *body,
                 GCancellable  *cancellable,
                 GError       **error)
{
  return _yp_client_call_full (self, method, api_path, query, body, default_flags (method),
                               cancellable, error);
}

JsonObject *
_yp_client_call_full (YpClient      *self,
                      const char    *method,
                      const char    *api_path,
                      const char    *query,
                      JsonObject    *body,
                      YpCallFlags    flags,
                      GCancellable  *cancellable,
                      GError       **error)
{
  YpCall *call = _yp_call_new (self, method, api_path);

  _yp_call_set_flags (call, flags);
  if (query != NULL)
    call->query = g_string_new (query);
  _yp_call_set_body (call, body);
  return _yp_call_run_sync (call, cancellable, error);
}

gpointer
_yp_call_int64_result (gint64 value)
{
  return g_memdup2 (&value, sizeof value);
}

gboolean
_yp_call_take_int64 (gpointer  result,
                     gint64   *value)
{
  g_autofree gint64 *owned = result;

  if (owned != NULL && value != NULL)
    *value = *owned;
  return owned != NULL;
}
