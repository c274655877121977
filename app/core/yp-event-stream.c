/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "yunpan-client"

#include "config.h"

#include "yp-client-error.h"
#include "yp-client-private.h"
#include "yp-event-stream.h"

/**
 * YpEventStream:
 *
 * Listens to the account's push events (Server-Sent Events from
 * `/api/v1/events/u<id>`) in the main context and emits
 * #YpEventStream::changed with the server's newest cursor, so that a sync
 * client reads the change feed within a second of a change instead of
 * polling. A lost connection is retried with backoff; since events sent
 * meanwhile are not replayed, it emits #YpEventStream::changed once more
 * after reconnecting and the listener reads the feed from where it was.
 *
 * A refused token is not retried: the stream stops and emits
 * #YpEventStream::token-rejected, so the caller can sign in again.
 *
 * The stream has a session of its own, without the client's read timeout:
 * the server may stay silent for minutes, and a timeout would cut a healthy
 * stream every two minutes. TCP keepalive notices a link that died.
 */
struct _YpEventStream
{
  GObject           parent_instance;

  YpClient         *client;
  SoupSession      *session;
  GMainContext     *context;
  GCancellable     *cancellable;
  GDataInputStream *lines;
  gint64            cursor;
  guint             failures;
  GSource          *retry_source;
  gboolean          connected;
};

G_DEFINE_FINAL_TYPE (YpEventStream, yp_event_stream, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_CONNECTED,
  N_PROPS
};

enum {
  CHANGED,
  TOKEN_REJECTED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

static void connect_stream (YpEventStream *self);

static void
yp_event_stream_dispose (GObject *object)
{
  YpEventStream *self = YP_EVENT_STREAM (object);

  yp_event_stream_stop (self);
  g_clear_object (&self->client);

  G_OBJECT_CLASS (yp_event_stream_parent_class)->dispose (object);
}

static void
yp_event_stream_get_property (GObject    *object,
                              guint       prop_id,
                              GValue     *value,
                              GParamSpec *pspec)
{
  YpEventStream *self = YP_EVENT_STREAM (object);

  switch (prop_id)
    {
    case PROP_CONNECTED:
      g_value_set_boolean (value, self->connected);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
yp_event_stream_class_init (YpEventStreamClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = yp_event_stream_dispose;
  object_class->get_property = yp_event_stream_get_property;

  /**
   * YpEventStream:connected:
   *
   * Whether the stream is open, so that changes arrive as they happen.
   */
  properties[PROP_CONNECTED] =
    g_param_spec_boolean ("connected", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * YpEventStream::changed:
   * @cursor: the newest cursor the server announced, or 0 after a reconnect
   *
   * Something may have changed: read the change feed.
   */
  signals[CHANGED] =
    g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_INT64);

  /**
   * YpEventStream::token-rejected:
   *
   * The server refused the client's token (the session ended or expired).
   * The stream has stopped; yp_event_stream_start() after signing in again.
   */
  signals[TOKEN_REJECTED] =
    g_signal_new ("token-rejected", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
yp_event_stream_init (YpEventStream *self)
{
}

YpEventStream *
yp_event_stream_new (YpClient *client)
{
  YpEventStream *self;

  g_return_val_if_fail (YP_IS_CLIENT (client), NULL);

  self = g_object_new (YP_TYPE_EVENT_STREAM, NULL);
  self->client = g_object_ref (client);
  return self;
}

gint64
yp_event_stream_get_cursor (YpEventStream *self)
{
  g_return_val_if_fail (YP_IS_EVENT_STREAM (self), 0);

  return self->cursor;
}

gboolean
yp_event_stream_get_connected (YpEventStream *self)
{
  g_return_val_if_fail (YP_IS_EVENT_STREAM (self), FALSE);

  return self->connected;
}

static void
set_connected (YpEventStream *self,
               gboolean       connected)
{
  if (self->connected == connected)
    return;
  self->connected = connected;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CONNECTED]);
}

static void
clear_retry (YpEventStream *self)
{
  if (self->retry_source == NULL)
    return;
  g_source_destroy (self->retry_source);
  g_clear_pointer (&self->retry_source, g_source_unref);
}

static gboolean
retry_cb (gpointer data)
{
  YpEventStream *self = data;

  g_clear_pointer (&self->retry_source, g_source_unref);
  connect_stream (self);
  return G_SOURCE_REMOVE;
}

static void
schedule_retry (YpEventStream *self,
                const GError  *error)
{
  YpRetryPolicy policy = YP_RETRY_POLICY_DEFAULT;

  g_clear_object (&self->lines);
  set_connected (self, FALSE);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (g_error_matches (error, YP_CLIENT_ERROR, YP_CLIENT_ERROR_AUTH_EXPIRED))
    {
      /* retrying cannot help; the caller has to sign in again */
      g_debug ("event stream: %s; stopping", error->message);
      g_object_ref (self);
      yp_event_stream_stop (self);
      g_signal_emit (self, signals[TOKEN_REJECTED], 0);
      g_object_unref (self);
      return;
    }
  g_debug ("event stream: %s; reconnecting", error ? error->message : "closed");
  self->failures = MIN (self->failures + 1, 10);
  /* keep trying for as long as the stream is wanted, but never hammer; in
   * the context the stream was started in, which may not be the default */
  clear_retry (self);
  self->retry_source =
    g_timeout_source_new (MAX (200, yp_retry_policy_delay_ms (&policy, self->failures, NULL)));
  g_source_set_callback (self->retry_source, retry_cb, self, NULL);
  g_source_set_static_name (self->retry_source, "[yunpan] event stream retry");
  g_source_attach (self->retry_source, self->context);
}

/* "data: {"cursor":17}" → 17 */
static void
handle_line (YpEventStream *self,
             const char    *line)
{
  g_autoptr(JsonParser) parser = NULL;
  JsonNode *root;

  if (!g_str_has_prefix (line, "data:"))
    return;
  parser = json_parser_new_immutable ();
  if (!json_parser_load_from_data (parser, line + 5, -1, NULL))
    return;
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    return;
  self->cursor = MAX (self->cursor,
                      json_object_get_int_member_with_default (json_node_get_object (root),
                                                               "cursor", 0));
  g_signal_emit (self, signals[CHANGED], 0, self->cursor);
}

static void
read_line_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  YpEventStream *self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *line = NULL;

  line = g_data_input_stream_read_line_finish_utf8 (G_DATA_INPUT_STREAM (source), result, NULL,
                                                    &error);
  if (line == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        schedule_retry (self, error);
      g_object_unref (self);
      return;
    }
  handle_line (self, line);
  g_data_input_stream_read_line_async (self->lines, G_PRIORITY_DEFAULT, self->cancellable,
                                       read_line_cb, self);
}

static void
send_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  YpEventStream *self = user_data;
  SoupMessage *msg = soup_session_get_async_result_message (SOUP_SESSION (source), result);
  g_autoptr(GInputStream) stream = NULL;
  g_autoptr(GError) error = NULL;

  stream = soup_session_send_finish (SOUP_SESSION (source), result, &error);
  if (stream != NULL && !SOUP_STATUS_IS_SUCCESSFUL (soup_message_get_status (msg)))
    g_set_error (&error, YP_CLIENT_ERROR,
                 yp_client_error_from_status (YP_STATUS_COUNT, soup_message_get_status (msg)),
                 "%s", soup_message_get_reason_phrase (msg));
  if (error != NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        schedule_retry (self, error);
      g_object_unref (self);
      return;
    }

  self->lines = g_data_input_stream_new (stream);
  self->failures = 0;
  set_connected (self, TRUE);
  /* (re)connected: whatever happened while away is in the change feed */
  g_signal_emit (self, signals[CHANGED], 0, self->cursor);
  g_data_input_stream_read_line_async (self->lines, G_PRIORITY_DEFAULT, self->cancellable,
                                       read_line_cb, self);
}

static void
on_network_event (SoupMessage        *msg,
                  GSocketClientEvent  event,
                  GIOStream          *connection,
                  gpointer            user_data)
{
  if (event == G_SOCKET_CLIENT_CONNECTED && G_IS_SOCKET_CONNECTION (connection))
    g_socket_set_keepalive (g_socket_connection_get_socket (G_SOCKET_CONNECTION (connection)),
                            TRUE);
}

static void
connect_stream (YpEventStream *self)
{
  g_autofree char *api_path = g_strdup_printf ("/events/u%" G_GINT64_FORMAT,
                                               yp_client_get_user_id (self->client));
  g_autoptr(SoupMessage) msg = _yp_client_new_message (self->client, "GET", api_path, NULL);

  soup_message_headers_replace (soup_message_get_request_headers (msg), "Accept",
                                "text/event-stream");
  g_signal_connect (msg, "network-event", G_CALLBACK (on_network_event), NULL);
  soup_session_send_async (self->session, msg, G_PRIORITY_DEFAULT,
                           self->cancellable, send_cb, g_object_ref (self));
}

/**
 * yp_event_stream_start:
 *
 * Connects; the client must be signed in (its user id known). The stream
 * runs, and retries, in the thread-default main context of the caller.
 */
void
yp_event_stream_start (YpEventStream *self)
{
  g_return_if_fail (YP_IS_EVENT_STREAM (self));
  g_return_if_fail (yp_client_get_user_id (self->client) > 0);

  if (self->cancellable != NULL)
    return;
  self->cancellable = g_cancellable_new ();
  self->context = g_main_context_ref_thread_default ();
  /* no "timeout": that is a limit on silence, and silence is normal here */
  self->session = soup_session_new_with_options ("idle-timeout", 60,
                                                 "user-agent", "Yunpan/" PACKAGE_VERSION,
                                                 NULL);
  self->failures = 0;
  connect_stream (self);
}

void
yp_event_stream_stop (YpEventStream *self)
{
  g_return_if_fail (YP_IS_EVENT_STREAM (self));

  clear_retry (self);
  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->lines);
  /* a cancelled send still holds the session until its callback runs */
  g_clear_object (&self->session);
  g_clear_pointer (&self->context, g_main_context_unref);
  set_connected (self, FALSE);
}
