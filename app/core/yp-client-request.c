/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "yunpan-client"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "yp-client-error.h"
#include "yp-client-private.h"

/*
 * The plumbing under every call: building messages, sending them, reading
 * the protocol's answers and trying again when that is safe.
 */

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
  g_autofree char *uri = g_strconcat (yp_client_get_base_url (self), YP_API_PREFIX, api_path,
                                      query ? "?" : "", query ? query : "", NULL);
  g_autofree char *token = yp_client_dup_token (self);
  SoupMessage *msg = soup_message_new (method, uri);

  if (msg == NULL)
    return NULL;
  /* reads change nothing and a chunk is placed by its offset: libsoup may
   * send these again on a fresh connection when a kept-alive one failed */
  if (g_str_equal (method, "GET") || g_str_equal (method, "HEAD") || g_str_equal (method, "PUT"))
    soup_message_add_flags (msg, SOUP_MESSAGE_IDEMPOTENT);
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

/* Turns a transport failure into an error that says where, keeping apart
 * a host name that does not resolve and a connection that is not secure
 * from a server that does not answer. */
void
_yp_client_network_error (YpClient  *self,
                          GError   **error)
{
  YpClientError code = YP_CLIENT_ERROR_NETWORK;
  GError *wrapped;

  if (error == NULL || *error == NULL || g_error_matches (*error, G_IO_ERROR, G_IO_ERROR_CANCELLED)
      || (*error)->domain == YP_CLIENT_ERROR)
    return;
  if ((*error)->domain == G_RESOLVER_ERROR)
    code = YP_CLIENT_ERROR_RESOLVE;
  else if ((*error)->domain == G_TLS_ERROR)
    code = YP_CLIENT_ERROR_TLS;
  wrapped = g_error_new (YP_CLIENT_ERROR, code, _("Cannot reach %s: %s"),
                         yp_client_get_base_url (self), (*error)->message);
  g_clear_error (error);
  *error = wrapped;
}

/* Retry-After in seconds; 0 when absent or given as a date. */
static guint
retry_after (SoupMessage *msg)
{
  const char *value = soup_message_headers_get_one (soup_message_get_response_headers (msg),
                                                    "Retry-After");
  g_autofree char *text = value ? g_strstrip (g_strdup (value)) : NULL;
  guint64 seconds = 0;

  if (text == NULL || !g_ascii_string_to_unsigned (text, 10, 0, G_MAXUINT, &seconds, NULL))
    return 0;
  return (guint) seconds;
}

static gint64
member_or_absent (JsonObject *err,
                  const char *member)
{
  return err ? json_object_get_int_member_with_default (err, member, -1) : -1;
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
  JsonObject *object = NULL, *err = NULL;
  yp_status_t status;
  guint after;
  gsize len = 0;
  const char *data = body ? g_bytes_get_data (body, &len) : NULL;

  if (len > 0 && json_parser_load_from_data (parser, data, (gssize) len, NULL)
      && JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    object = json_node_get_object (json_parser_get_root (parser));

  if (SOUP_STATUS_IS_SUCCESSFUL (http))
    return object ? json_object_ref (object) : json_object_new ();

  if (object && json_object_has_member (object, "error"))
    err = _yp_json_object (object, "error");
  if (err)
    {
      code = json_object_get_string_member_with_default (err, "code", NULL);
      message = json_object_get_string_member_with_default (err, "message", NULL);
    }
  status = code ? yp_status_from_code (code) : YP_STATUS_COUNT;
  if (status == YP_STATUS_IDEMPOTENCY_KEY_REUSED)
    message = _("The request was refused because the client sent one Idempotency-Key with two "
                "different requests (a bug in Yunpan)");
  after = retry_after (msg);
  if (after == 0 && member_or_absent (err, "retry_after") > 0)
    after = (guint) MIN (member_or_absent (err, "retry_after"), G_MAXUINT);
  if (error != NULL)
    *error = yp_client_error_new_from_server (http, status, after,
                                              member_or_absent (err, "version"),
                                              member_or_absent (err, "offset"),
                                              member_or_absent (err, "used"),
                                              member_or_absent (err, "quota"),
                                              message ? message
                                                      : soup_message_get_reason_phrase (msg));
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

typedef struct
{
  GMutex   mutex;
  GCond    cond;
  gboolean cancelled;
} Wait;

static void
wait_cancelled (GCancellable *cancellable,
                Wait         *wait)
{
  g_mutex_lock (&wait->mutex);
  wait->cancelled = TRUE;
  g_cond_signal (&wait->cond);
  g_mutex_unlock (&wait->mutex);
}

/* Waits MS milliseconds unless CANCELLABLE fires first: the thread sleeps on
 * a condition that cancelling wakes, so a cancel ends the wait at once. */
gboolean
_yp_sleep_cancellable (guint          ms,
                       GCancellable  *cancellable,
                       GError       **error)
{
  gint64 until = g_get_monotonic_time () + (gint64) ms * G_TIME_SPAN_MILLISECOND;
  Wait wait = { .cancelled = FALSE };
  gulong handler = 0;

  g_mutex_init (&wait.mutex);
  g_cond_init (&wait.cond);
  if (cancellable != NULL)
    handler = g_cancellable_connect (cancellable, G_CALLBACK (wait_cancelled), &wait, NULL);
  g_mutex_lock (&wait.mutex);
  while (!wait.cancelled && g_cond_wait_until (&wait.cond, &wait.mutex, until))
    ;
  g_mutex_unlock (&wait.mutex);
  /* waits for a handler still running in another thread */
  if (handler != 0)
    g_cancellable_disconnect (cancellable, handler);
  g_cond_clear (&wait.cond);
  g_mutex_clear (&wait.mutex);
  return !g_cancellable_set_error_if_cancelled (cancellable, error);
}

/* A new Idempotency-Key: 16 random bytes in base64url, 22 characters. */
char *
_yp_idempotency_key_new (void)
{
  guint32 words[4];
  char *key;

  for (guint i = 0; i < G_N_ELEMENTS (words); i++)
    words[i] = g_random_int ();
  key = g_base64_encode ((const guchar *) words, sizeof words);
  g_strdelimit (key, "+", '-');
  g_strdelimit (key, "/", '_');
  *strchr (key, '=') = '\0';
  return key;
}
