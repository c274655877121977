/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "yunpan-client"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>

#include "yp-client-error.h"
#include "yp-client-private.h"
#include "yp-file-range-stream.h"
#include "yp-hash.h"
#include "yp-hasher.h"
#include "yp-transfer-private.h"

/*
 * Uploads: hash the file, ask the server to start; answer its proof-of-
 * possession challenge when it already holds the content (instant upload),
 * else send the bytes in chunks, resuming from the last acknowledged offset
 * after an interruption. A file that changes while it is uploaded is
 * uploaded again from the start, so a torn mix of two versions is never
 * stored (the server's own hash check is the last line of defence).
 */

#define UPLOAD_RESTARTS_MAX 3

typedef struct
{
  YpClient     *client;
  YpTransfer   *transfer;
  GCancellable *cancellable;
  int           fd;
  struct stat   st;
  char          sha256[65];
  char         *upload_id;
  guint64       offset;
  guint64       chunk_size;
} Upload;

static void
upload_clear (Upload *up)
{
  if (up->fd >= 0)
    close (up->fd);
  up->fd = -1;
  g_clear_pointer (&up->upload_id, g_free);
}

/* Whether the file still has the size and mtime it had when it was hashed. */
static gboolean
file_unchanged (Upload  *up,
                GError **error)
{
  struct stat now;

  if (fstat (up->fd, &now) != 0)
    return _yp_set_io_error (error, errno, "stat", yp_transfer_get_local_path (up->transfer));
  if (now.st_size != up->st.st_size || now.st_mtim.tv_sec != up->st.st_mtim.tv_sec
      || now.st_mtim.tv_nsec != up->st.st_mtim.tv_nsec)
    {
      g_set_error (error, YP_CLIENT_ERROR, YP_CLIENT_ERROR_CHANGED,
                   _("“%s” changed while it was being uploaded"),
                   yp_transfer_get_local_path (up->transfer));
      return FALSE;
    }
  return TRUE;
}

static gboolean
open_and_hash (Upload  *up,
               GError **error)
{
  const char *path = yp_transfer_get_local_path (up->transfer);

  up->fd = g_open (path, O_RDONLY | O_CLOEXEC, 0);
  if (up->fd < 0)
    return _yp_set_io_error (error, errno, "open", path);
  if (fstat (up->fd, &up->st) != 0)
    return _yp_set_io_error (error, errno, "stat", path);
  if (!S_ISREG (up->st.st_mode))
    {
      g_set_error (error, YP_CLIENT_ERROR, YP_CLIENT_ERROR_INVALID,
                   _("“%s” is not a regular file"), path);
      return FALSE;
    }

  _yp_transfer_set_state (up->transfer, YP_TRANSFER_HASHING);
  _yp_transfer_set_total (up->transfer, (guint64) up->st.st_size);
  _yp_transfer_set_done (up->transfer, 0);
  if (!yp_hash_fd_sync (up->fd, up->sha256, NULL, up->cancellable, error))
    return FALSE;
  return file_unchanged (up, error);
}

static JsonObject *
start_request (Upload *up)
{
  JsonObject *body = json_object_new ();
  gint64 if_version = yp_transfer_get_if_version (up->transfer);

  json_object_set_string_member (body, "path", yp_transfer_get_remote_path (up->transfer));
  json_object_set_int_member (body, "size", up->st.st_size);
  json_object_set_string_member (body, "sha256", up->sha256);
  json_object_set_int_member (body, "mtime", up->st.st_mtim.tv_sec);
  if (if_version > 0)
    json_object_set_int_member (body, "if_version", if_version);
  return body;
}

static YpNode *
file_from_reply (JsonObject *reply)
{
  JsonObject *file = _yp_json_object (reply, "file");

  return file ? yp_node_new_from_json (file) : NULL;
}

/* Answers the challenge in REPLY; returns the new file, or NULL when the
 * bytes have to be sent after all (wrong proof, content gone). */
static YpNode *
prove_possession (Upload     *up,
                  JsonObject *challenge,
                  GError    **error)
{
  guint8 nonce[YP_PROOF_NONCE_LEN];
  g_autoptr(JsonObject) body = json_object_new ();
  g_autoptr(JsonObject) reply = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autofree char *api_path = NULL;
  char proof[65];

  if (!yp_hex_decode (json_object_get_string_member_with_default (challenge, "nonce", ""),
                      nonce, sizeof nonce))
    return NULL;
  /* the proof covers every byte: one more pass over a file just hashed,
   * mostly from the page cache, and still far cheaper than sending it */
  if (yp_proof_compute_fd (up->fd, nonce, sizeof nonce, proof, NULL) != 0)
    return NULL;

  json_object_set_string_member (body, "proof", proof);
  api_path = g_strdup_printf ("/uploads/%s/proof", up->upload_id);
  reply = _yp_client_call (up->client, "POST", api_path, NULL, body, up->cancellable,
                           &local_error);
  if (reply == NULL)
    {
      /* a refused proof means: send the bytes; anything else is an error */
      if (g_error_matches (local_error, YP_CLIENT_ERROR, YP_CLIENT_ERROR_INVALID)
          || g_error_matches (local_error, YP_CLIENT_ERROR, YP_CLIENT_ERROR_CONFLICT))
        return NULL;
      g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }
  return file_from_reply (reply);
}

/* Asks the server where the upload stands, after an interruption. */
static gboolean
refresh_offset (Upload  *up,
                GError **error)
{
  g_autofree char *api_path = g_strdup_printf ("/uploads/%s", up->upload_id);
  g_autoptr(JsonObject) reply = _yp_client_call (up->client, "GET", api_path, NULL, NULL,
                                                 up->cancellable, error);
  JsonObject *upload;

  if (reply == NULL)
    return FALSE;
  upload = _yp_json_object (reply, "upload");
  up->offset = (guint64) json_object_get_int_member_with_default (upload, "offset", 0);
  _yp_transfer_set_done (up->transfer, up->offset);
  return TRUE;
}

/*
 * libsoup sends a PUT again by itself when a kept-alive connection dies
 * before the answer starts (PUT is idempotent), but it drops the body stream
 * first (soup_message_restarted() clears it): without a new one the server
 * gets an empty chunk and refuses it. Give it the chunk again from its start.
 */
static void
chunk_restarted_cb (SoupMessage *msg,
                    gpointer     data)
{
  Upload *up = data;
  guint64 length = MIN (up->chunk_size, (guint64) up->st.st_size - up->offset);
  g_autoptr(GInputStream) body = yp_file_range_stream_new (up->fd, (goffset) up->offset,
                                                           (goffset) length, up->transfer);

  _yp_transfer_set_done (up->transfer, up->offset);
  soup_message_set_request_body (msg, "application/octet-stream", body, (gssize) length);
}

/* Sends one chunk from up->offset; returns the reply object. */
static JsonObject *
send_chunk (Upload  *up,
            GError **error)
{
  guint64 length = MIN (up->chunk_size, (guint64) up->st.st_size - up->offset);
  g_autofree char *api_path = g_strdup_printf ("/uploads/%s", up->upload_id);
  g_autofree char *query = g_strdup_printf ("offset=%" G_GUINT64_FORMAT, up->offset);
  g_autoptr(SoupMessage) msg = _yp_client_new_message (up->client, "PUT", api_path, query);
  g_autoptr(GInputStream) body = yp_file_range_stream_new (up->fd, (goffset) up->offset,
                                                           (goffset) length, up->transfer);
  g_autoptr(GBytes) reply = NULL;

  soup_message_set_request_body (msg, "application/octet-stream", body, (gssize) length);
  g_signal_connect (msg, "restarted", G_CALLBACK (chunk_restarted_cb), up);
  reply = soup_session_send_and_read (_yp_client_get_session (up->client), msg, up->cancellable,
                                      error);
  if (reply == NULL)
    {
      _yp_client_network_error (up->client, error);
      return NULL;
    }
  return _yp_client_parse_response (msg, reply, error);
}

/* Sends the bytes from where the server stands; returns the new file. */
static YpNode *
send_bytes (Upload  *up,
            GError **error)
{
  YpRetryPolicy policy = _yp_client_get_retry_policy (up->client);
  guint failures = 0;

  _yp_transfer_set_state (up->transfer, YP_TRANSFER_RUNNING);
  _yp_transfer_set_done (up->transfer, up->offset);
  for (;;)
    {
      g_autoptr(JsonObject) reply = NULL;
      g_autoptr(GError) local_error = NULL;

      if (!file_unchanged (up, error))
        return NULL;
      reply = send_chunk (up, &local_error);
      if (reply != NULL)
        {
          YpNode *node = file_from_reply (reply);
          JsonObject *upload = _yp_json_object (reply, "upload");

          if (node != NULL)
            return node;
          up->offset = (guint64) json_object_get_int_member_with_default (upload, "offset",
                                                                         (gint64) up->offset);
          failures = 0;
          continue;
        }
      if (g_error_matches (local_error, YP_CLIENT_ERROR, YP_CLIENT_ERROR_HASH_MISMATCH))
        {
          /* the bytes the server got are not the ones we hashed */
          g_set_error (error, YP_CLIENT_ERROR, YP_CLIENT_ERROR_CHANGED,
                       _("“%s” changed while it was being uploaded"),
                       yp_transfer_get_local_path (up->transfer));
          return NULL;
        }
      if (!g_error_matches (local_error, YP_CLIENT_ERROR, YP_CLIENT_ERROR_CONFLICT)
          && !yp_retry_policy_should_retry (&policy, ++failures, local_error))
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return NULL;
        }
      g_debug ("upload %s interrupted (%s); resuming", up->upload_id, local_error->message);
      if (failures > 0
          && !_yp_sleep_cancellable (yp_retry_policy_delay_ms (&policy, failures, NULL),
                                     up->cancellable, error))
        return NULL;
      if (!refresh_offset (up, error))
        {
          /* the server dropped the upload: the destination changed under it */
          if (g_error_matches (*error, YP_CLIENT_ERROR, YP_CLIENT_ERROR_NOT_FOUND)
              && g_error_matches (local_error, YP_CLIENT_ERROR, YP_CLIENT_ERROR_CONFLICT))
            {
              g_clear_error (error);
              g_propagate_error (error, g_steal_pointer (&local_error));
            }
          return NULL;
        }
    }
}

static void
abandon_upload (Upload *up)
{
  g_autofree char *api_path = NULL;
  g_autoptr(JsonObject) reply = NULL;

  if (up->upload_id == NULL)
    return;
  api_path = g_strdup_printf ("/uploads/%s", up->upload_id);
  /* best effort: the server sweeps abandoned uploads anyway */
  reply = _yp_client_call (up->client, "DELETE", api_path, NULL, NULL, NULL, NULL);
}

static YpNode *
upload_once (Upload  *up,
             GError **error)
{
  g_autoptr(JsonObject) body = NULL;
  g_autoptr(JsonObject) reply = NULL;
  g_autoptr(GError) local_error = NULL;
  JsonObject *upload, *challenge;
  YpNode *node;

  if (!open_and_hash (up, error))
    return NULL;

  body = start_request (up);
  reply = _yp_client_call (up->client, "POST", "/uploads", NULL, body, up->cancellable, error);
  if (reply == NULL)
    return NULL;
  if ((node = file_from_reply (reply)) != NULL)
    {
      _yp_transfer_set_instant (up->transfer, TRUE);
      _yp_transfer_set_done (up->transfer, (guint64) up->st.st_size);
      return node;
    }
  upload = _yp_json_object (reply, "upload");
  up->upload_id = g_strdup (upload ? json_object_get_string_member_with_default (upload, "id",
                                                                                 NULL) : NULL);
  if (up->upload_id == NULL)
    {
      g_set_error (error, YP_CLIENT_ERROR, YP_CLIENT_ERROR_FAILED,
                   _("The server did not start the upload"));
      return NULL;
    }
  up->offset = (guint64) json_object_get_int_member_with_default (upload, "offset", 0);

  challenge = _yp_json_object (reply, "challenge");
  if (challenge != NULL)
    {
      node = prove_possession (up, challenge, &local_error);
      if (node != NULL)
        {
          _yp_transfer_set_instant (up->transfer, TRUE);
          _yp_transfer_set_done (up->transfer, (guint64) up->st.st_size);
          return node;
        }
      if (local_error != NULL)
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return NULL;
        }
    }

  node = send_bytes (up, error);
  if (node == NULL)
    abandon_upload (up);
  return node;
}

gboolean
yp_client_upload_sync (YpClient    *self,
                       YpTransfer  *transfer,
                       GError     **error)
{
  g_autoptr(YpNode) node = NULL;
  g_autoptr(GError) local_error = NULL;
  Upload up = {
    .client = self,
    .transfer = transfer,
    .cancellable = yp_transfer_get_cancellable (transfer),
    .fd = -1,
    .chunk_size = _yp_client_get_chunk_size (self),
  };

  g_return_val_if_fail (YP_IS_CLIENT (self), FALSE);
  g_return_val_if_fail (YP_IS_TRANSFER (transfer), FALSE);
  g_return_val_if_fail (yp_transfer_get_direction (transfer) == YP_TRANSFER_UPLOAD, FALSE);

  for (guint attempt = 1; node == NULL; attempt++)
    {
      g_clear_error (&local_error);
      node = upload_once (&up, &local_error);
      upload_clear (&up);
      if (node == NULL
          && !(g_error_matches (local_error, YP_CLIENT_ERROR, YP_CLIENT_ERROR_CHANGED)
               && attempt < UPLOAD_RESTARTS_MAX))
        break;
    }

  _yp_transfer_finish (transfer, node, local_error);
  if (node == NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  return TRUE;
}
