/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "yunpan-client"

#include "config.h"

#include <string.h>
#include <unistd.h>

#include <glib/gi18n-lib.h>

#include "yp-client-error.h"
#include "yp-client-private.h"
#include "yp-transfer-private.h"
#include "yp-upload-private.h"

/*
 * Uploads: hash the file, ask the server to start; answer its proof-of-
 * possession challenge when it offers one (instant upload), and unless the
 * proof is accepted at once, send the bytes in chunks meanwhile, resuming
 * from the last acknowledged offset after an interruption. A file that
 * changes while it is uploaded is uploaded again from the start, so a torn
 * mix of two versions is never stored (the server's own hash check is the
 * last line of defence).
 *
 * A caller that keeps an index (a sync engine) can spare the hashing by
 * giving the hash with the file identity it was computed from, and resume
 * an upload a previous process started from the server's upload id.
 *
 * This file starts (or resumes) the upload and sees it through; the file's
 * checks are in yp-upload-file.c, the proof in yp-upload-proof.c and the
 * chunks in yp-upload-window.c.
 */

#define UPLOAD_RESTARTS_MAX 3
/* starts refused because the destination changed between its stat and the
 * start, for an unconditional upload */
#define START_RACES_MAX     3
/* what the server accepted before it said how much it accepts */
#define SERVER_MAX_CHUNK_DEFAULT ((guint64) 256 * 1024 * 1024)

static void
upload_clear (Upload *up)
{
  if (up->fd >= 0)
    close (up->fd);
  up->fd = -1;
  g_clear_pointer (&up->upload_id, g_free);
}

static JsonObject *
start_request (Upload *up,
               gint64  if_version)
{
  JsonObject *body = json_object_new ();
  const char *remote_path = yp_transfer_get_remote_path (up->transfer);

  if (remote_path != NULL)
    json_object_set_string_member (body, "path", remote_path);
  else
    {
      json_object_set_int_member (body, "parent_id", up->options->parent_id);
      json_object_set_string_member (body, "name", up->options->name);
    }
  json_object_set_int_member (body, "size", up->st.st_size);
  json_object_set_string_member (body, "sha256", up->sha256);
  json_object_set_int_member (body, "mtime", up->st.st_mtim.tv_sec);
  if (if_version > 0)
    json_object_set_int_member (body, "if_version", if_version);
  return body;
}

YpNode *
_yp_upload_file_from_reply (JsonObject *reply)
{
  JsonObject *file = _yp_json_object (reply, "file");

  return file ? yp_node_new_from_json (file) : NULL;
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
  _yp_transfer_set_upload_id (up->transfer, NULL);
}

static YpNode *
instant (Upload *up,
         YpNode *node)
{
  _yp_transfer_set_instant (up->transfer, TRUE);
  _yp_transfer_set_done (up->transfer, _yp_upload_file_size (up));
  return node;
}

/* Reads the "upload" object of the start reply; FALSE if there is none. */
static gboolean
read_upload (Upload      *up,
             JsonObject  *reply,
             GError     **error)
{
  JsonObject *upload = _yp_json_object (reply, "upload");
  gint64 max_chunk;

  up->upload_id = g_strdup (upload ? json_object_get_string_member_with_default (upload, "id",
                                                                                 NULL) : NULL);
  if (up->upload_id == NULL)
    {
      g_set_error (error, YP_CLIENT_ERROR, YP_CLIENT_ERROR_FAILED,
                   _("The server did not start the upload"));
      return FALSE;
    }
  up->offset = (guint64) json_object_get_int_member_with_default (upload, "offset", 0);
  _yp_transfer_set_upload_id (up->transfer, up->upload_id);
  _yp_transfer_set_offset (up->transfer, up->offset);
  max_chunk = json_object_get_int_member_with_default (upload, "max_chunk",
                                                       SERVER_MAX_CHUNK_DEFAULT);
  yp_chunk_sizer_init (&up->sizer, _yp_client_get_chunk_size (up->client),
                       max_chunk > 0 ? (guint64) max_chunk : SERVER_MAX_CHUNK_DEFAULT);
  up->window = YP_UPLOAD_WINDOW_MAX;
  return TRUE;
}

/* ------------------------------------------------------------------------
 * Starting, or resuming
 * ------------------------------------------------------------------------ */

/* The destination's path, for a look at what is there now. */
static char *
destination_path (Upload  *up,
                  GError **error)
{
  g_autofree char *query = NULL;
  g_autoptr(JsonObject) reply = NULL;
  g_autoptr(YpNode) parent = NULL;
  JsonObject *object;

  if (yp_transfer_get_remote_path (up->transfer) != NULL)
    return g_strdup (yp_transfer_get_remote_path (up->transfer));
  query = g_strdup_printf ("id=%" G_GINT64_FORMAT, up->options->parent_id);
  reply = _yp_client_call (up->client, "GET", "/files/stat", query, NULL, up->cancellable,
                           error);
  if (reply == NULL)
    return NULL;
  if ((object = _yp_json_object (reply, "node")) == NULL)
    {
      g_set_error (error, YP_CLIENT_ERROR, YP_CLIENT_ERROR_FAILED,
                   _("The server answered without the folder"));
      return NULL;
    }
  parent = yp_node_new_from_json (object);
  return g_build_path ("/", yp_node_get_path (parent), up->options->name, NULL);
}

/* The if_version to start with: the caller's, or for %YP_VERSION_ANY the
 * version of the file there now (%YP_VERSION_NONE when there is no file). */
static gboolean
resolve_if_version (Upload  *up,
                    gint64  *if_version,
                    GError **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autofree char *path = NULL;
  g_autofree char *query = NULL;
  g_autoptr(JsonObject) reply = NULL;
  g_autoptr(YpNode) node = NULL;
  JsonObject *object;

  *if_version = up->options->if_version;
  if (*if_version != YP_VERSION_ANY)
    return TRUE;
  if ((path = destination_path (up, error)) == NULL)
    return FALSE;
  query = _yp_query_path (path);
  reply = _yp_client_call (up->client, "GET", "/files/stat", query, NULL, up->cancellable,
                           &local_error);
  if (reply == NULL
      && g_error_matches (local_error, YP_CLIENT_ERROR, YP_CLIENT_ERROR_NOT_FOUND))
    {
      *if_version = YP_VERSION_NONE;
      return TRUE;
    }
  if (reply == NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  if ((object = _yp_json_object (reply, "node")) == NULL)
    {
      g_set_error (error, YP_CLIENT_ERROR, YP_CLIENT_ERROR_FAILED,
                   _("The server answered without the file"));
      return FALSE;
    }
  node = yp_node_new_from_json (object);
  /* a folder is not replaced: the start is refused as `is_a_folder` */
  *if_version = yp_node_is_folder (node) ? YP_VERSION_NONE : yp_node_get_version (node);
  return TRUE;
}

/* Whether a start refused with ERROR lost a race that an unconditional
 * upload takes up again: another change came between the look and the
 * start. */
static gboolean
lost_race (Upload       *up,
           const GError *error)
{
  yp_status_t status = yp_client_error_get_status (error);

  return up->options->if_version == YP_VERSION_ANY
         && (status == YP_STATUS_CONFLICT || status == YP_STATUS_EXISTS);
}

/* POST /uploads; returns its reply. */
static JsonObject *
start_upload (Upload  *up,
              GError **error)
{
  for (guint race = 1;; race++)
    {
      g_autoptr(GError) local_error = NULL;
      g_autoptr(JsonObject) body = NULL;
      JsonObject *reply;
      gint64 if_version;

      if (!resolve_if_version (up, &if_version, error))
        return NULL;
      body = start_request (up, if_version);
      reply = _yp_client_call (up->client, "POST", "/uploads", NULL, body, up->cancellable,
                               &local_error);
      if (reply != NULL)
        return reply;
      if (!lost_race (up, local_error) || race >= START_RACES_MAX)
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return NULL;
        }
      g_debug ("upload of %s: %s; looking again", yp_transfer_get_local_path (up->transfer),
               local_error->message);
    }
}

/*
 * Takes up the upload the caller names, if the server still holds it and
 * it is one of this file as it is now: its size, and when the caller gave
 * them, the hash and identity it was started with. Returns FALSE with
 * ERROR for a failure, and FALSE without one when the upload is to start
 * afresh.
 */
static gboolean
resume_upload (Upload  *up,
               GError **error)
{
  const char *upload_id = up->options->resume_upload_id;
  g_autoptr(GError) local_error = NULL;
  g_autofree char *api_path = NULL;
  g_autoptr(JsonObject) reply = NULL;
  JsonObject *upload;

  if (up->attempt > 1 || upload_id == NULL || !g_str_is_ascii (upload_id) || !*upload_id
      || strchr (upload_id, '/') != NULL || strchr (upload_id, '?') != NULL)
    return FALSE;
  api_path = g_strdup_printf ("/uploads/%s", upload_id);
  reply = _yp_client_call (up->client, "GET", api_path, NULL, NULL, up->cancellable,
                           &local_error);
  if (reply == NULL)
    {
      /* gone (expired, or finished meanwhile): nothing to take up */
      if (g_error_matches (local_error, YP_CLIENT_ERROR, YP_CLIENT_ERROR_NOT_FOUND))
        {
          g_debug ("upload %s is gone; starting afresh", upload_id);
          return FALSE;
        }
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  upload = _yp_json_object (reply, "upload");
  if (upload == NULL
      || json_object_get_int_member_with_default (upload, "size", -1) != up->st.st_size
      || (up->options->sha256 != NULL && !_yp_upload_known_hash_applies (up)))
    {
      /* of another file, or of this one before it changed */
      g_debug ("upload %s is of other content; starting afresh", upload_id);
      up->upload_id = g_strdup (upload_id);
      abandon_upload (up);
      g_clear_pointer (&up->upload_id, g_free);
      return FALSE;
    }
  if (!read_upload (up, reply, error))
    return FALSE;
  g_debug ("upload %s resumed at %" G_GUINT64_FORMAT, up->upload_id, up->offset);
  return TRUE;
}

static YpNode *
upload_once (Upload  *up,
             GError **error)
{
  g_autoptr(JsonObject) reply = NULL;
  g_autoptr(YpNode) late = NULL;
  g_autoptr(GError) local_error = NULL;
  JsonObject *challenge = NULL;
  YpNode *node;

  up->instant = FALSE;
  up->stuck = FALSE;
  up->proof_changed = FALSE;
  if (!_yp_upload_open_and_hash (up, error))
    return NULL;

  if (!resume_upload (up, &local_error))
    {
      if (local_error != NULL)
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return NULL;
        }
      reply = start_upload (up, error);
      if (reply == NULL)
        return NULL;
      if ((node = _yp_upload_file_from_reply (reply)) != NULL)
        return instant (up, node);
      if (!read_upload (up, reply, error))
        return NULL;
      challenge = _yp_json_object (reply, "challenge");
    }

  if (challenge != NULL)
    _yp_upload_proof_start (up, challenge);
  node = _yp_upload_send_bytes (up, &local_error);
  /* the bytes made it first: the proof's answer no longer matters */
  late = _yp_upload_proof_finish (up, TRUE);
  if (node == NULL)
    {
      /* kept on the server, a later transfer can take it up */
      if (!(up->options->keep_on_cancel
            && g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_CANCELLED)))
        abandon_upload (up);
      g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }
  if (up->instant)
    return instant (up, node);
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
    .limiter = _yp_transfer_get_limiter (transfer),
    .options = _yp_transfer_get_upload_options (transfer),
    .fd = -1,
  };

  g_return_val_if_fail (YP_IS_CLIENT (self), FALSE);
  g_return_val_if_fail (YP_IS_TRANSFER (transfer), FALSE);
  g_return_val_if_fail (yp_transfer_get_direction (transfer) == YP_TRANSFER_UPLOAD, FALSE);

  yp_upload_signal_init (&up.signal);
  for (guint attempt = 1; node == NULL; attempt++)
    {
      g_clear_error (&local_error);
      up.attempt = attempt;
      node = upload_once (&up, &local_error);
      upload_clear (&up);
      if (node == NULL
          && !((up.stuck || g_error_matches (local_error, YP_CLIENT_ERROR,
                                             YP_CLIENT_ERROR_CHANGED))
               && attempt < UPLOAD_RESTARTS_MAX))
        break;
      if (node == NULL)
        g_debug ("upload of %s starts again (%s)", yp_transfer_get_local_path (transfer),
                 local_error->message);
    }
  yp_upload_signal_clear (&up.signal);

  if (node != NULL)
    {
      /* complete: nothing is left to resume */
      _yp_transfer_set_upload_id (transfer, NULL);
      _yp_transfer_set_uploaded_identity (transfer, &up.identity);
    }
  _yp_transfer_finish (transfer, node, local_error);
  if (node == NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  return TRUE;
}
