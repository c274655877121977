/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "yunpan-client"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "yp-client-error.h"
#include "yp-client-private.h"
#include "yp-file-range-stream.h"
#include "yp-transfer-private.h"
#include "yp-upload-private.h"

/*
 * The bytes of an upload, sent in chunks from the acknowledged offset and
 * resumed from it after an interruption.
 *
 * Two chunks are in flight: the next one goes out as soon as the body of
 * the one before has been written, so the line stays busy while the server
 * stores and hashes a chunk and answers it. Each request runs on a thread
 * of its own (YpUploadJob); the upload's thread starts them, takes their
 * answers in order and decides what comes next.
 */

struct _Chunk
{
  Upload      *up;
  YpUploadJob *job;
  guint64      offset;
  guint64      length;
  gboolean     ahead;      /* sent while the one before was unanswered */
  gboolean     measured;   /* its rate went into the chunk sizes */
  gint64       started;    /* monotonic µs */
  gboolean     busy;       /* the server had too many chunks of this upload */
  /* under up->signal.mutex */
  gint64       wrote;      /* when its body had all been written, or 0 */
  guint64      counted;    /* bytes of its body read so far */
};

/* With signal.mutex held: the acknowledged bytes and those of the chunks
 * in flight read so far. */
static void
update_done_locked (Upload *up)
{
  guint64 done = up->offset;

  for (guint i = 0; i < up->n_chunks; i++)
    done += up->chunks[i]->counted;
  _yp_transfer_set_done (up->transfer, MIN (done, _yp_upload_file_size (up)));
}

static void
set_offset (Upload  *up,
            guint64  offset)
{
  g_mutex_lock (&up->signal.mutex);
  up->offset = offset;
  update_done_locked (up);
  g_mutex_unlock (&up->signal.mutex);
  _yp_transfer_set_offset (up->transfer, offset);
}

/* ------------------------------------------------------------------------
 * Chunks
 * ------------------------------------------------------------------------ */

static void
chunk_progress (guint64  bytes,
                gpointer data)
{
  Chunk *chunk = data;
  Upload *up = chunk->up;

  g_mutex_lock (&up->signal.mutex);
  chunk->counted += bytes;
  update_done_locked (up);
  g_mutex_unlock (&up->signal.mutex);
  _yp_transfer_add_sent (up->transfer, bytes);
}

static void
chunk_set_body (Chunk       *chunk,
                SoupMessage *msg)
{
  Upload *up = chunk->up;
  g_autoptr(GInputStream) body = yp_file_range_stream_new (up->fd, (goffset) chunk->offset,
                                                           (goffset) chunk->length, up->limiter,
                                                           chunk_progress, chunk);

  soup_message_set_request_body (msg, "application/octet-stream", body,
                                 (gssize) chunk->length);
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
  Chunk *chunk = data;
  Upload *up = chunk->up;

  g_mutex_lock (&up->signal.mutex);
  chunk->counted = 0;
  chunk->wrote = 0;
  update_done_locked (up);
  g_mutex_unlock (&up->signal.mutex);
  chunk_set_body (chunk, msg);
}

/* The body is out: time for the next chunk. */
static void
chunk_wrote_body_cb (SoupMessage *msg,
                     gpointer     data)
{
  Chunk *chunk = data;
  Upload *up = chunk->up;

  g_mutex_lock (&up->signal.mutex);
  chunk->wrote = g_get_monotonic_time ();
  yp_upload_signal_broadcast (&up->signal);
  g_mutex_unlock (&up->signal.mutex);
}

/* The chunk job: one PUT. */
static JsonObject *
chunk_send (gpointer       data,
            GCancellable  *cancellable,
            GError       **error)
{
  Chunk *chunk = data;
  Upload *up = chunk->up;
  g_autofree char *api_path = g_strdup_printf ("/uploads/%s", up->upload_id);
  g_autofree char *query = g_strdup_printf ("offset=%" G_GUINT64_FORMAT, chunk->offset);
  g_autoptr(SoupMessage) msg = _yp_client_new_message (up->client, "PUT", api_path, query);
  g_autoptr(GBytes) reply = NULL;

  chunk_set_body (chunk, msg);
  g_signal_connect (msg, "restarted", G_CALLBACK (chunk_restarted_cb), chunk);
  g_signal_connect (msg, "wrote-body", G_CALLBACK (chunk_wrote_body_cb), chunk);
  reply = soup_session_send_and_read (_yp_client_get_session (up->client), msg, cancellable,
                                      error);
  if (reply == NULL)
    {
      _yp_client_network_error (up->client, error);
      return NULL;
    }
  chunk->busy = soup_message_get_status (msg) == 429;  /* Too Many Requests */
  return _yp_client_parse_response (msg, reply, error);
}

/* With signal.mutex held: lets the rate at which CHUNK's body went out
 * size the chunks to come. */
static void
chunk_measure_locked (Chunk *chunk)
{
  if (chunk->measured || chunk->wrote == 0)
    return;
  chunk->measured = TRUE;
  yp_chunk_sizer_observe (&chunk->up->sizer, chunk->length, chunk->wrote - chunk->started);
}

/* With signal.mutex held: puts the next chunk, from OFFSET, on its way. */
static void
chunk_start_locked (Upload  *up,
                    guint64  offset)
{
  Chunk *chunk = g_new0 (Chunk, 1);

  /* the body before it is out: its rate is known before its answer */
  if (up->n_chunks > 0)
    chunk_measure_locked (up->chunks[up->n_chunks - 1]);

  chunk->up = up;
  chunk->offset = offset;
  chunk->length = MIN (yp_chunk_sizer_get (&up->sizer), _yp_upload_file_size (up) - offset);
  chunk->ahead = up->n_chunks > 0;
  chunk->started = g_get_monotonic_time ();
  up->chunks[up->n_chunks++] = chunk;
  if (chunk->ahead)
    g_debug ("upload %s: chunk at %" G_GUINT64_FORMAT " sent ahead", up->upload_id, offset);
  chunk->job = yp_upload_job_start ("yp-upload-chunk", &up->signal, up->cancellable,
                                    chunk_send, chunk);
}

/* With signal.mutex held: takes the oldest chunk out of the window. */
static Chunk *
chunk_pop_locked (Upload *up)
{
  Chunk *chunk = up->chunks[0];

  for (guint i = 1; i < up->n_chunks; i++)
    up->chunks[i - 1] = up->chunks[i];
  up->chunks[--up->n_chunks] = NULL;
  return chunk;
}

/* Waits for CHUNK's answer and frees it; returns the reply. */
static JsonObject *
chunk_finish (Chunk    *chunk,
              gboolean *busy,
              GError  **error)
{
  JsonObject *reply = yp_upload_job_join (chunk->job, error);

  /* the thread is gone: nothing else touches the chunk */
  if (reply != NULL)
    chunk_measure_locked (chunk);
  if (busy != NULL)
    *busy = chunk->busy;
  g_free (chunk);
  return reply;
}

/* Cancels the chunks in flight and waits for them. The cancelling is done
 * unlocked: libsoup's handlers run in this thread. */
static void
chunks_stop (Upload *up)
{
  Chunk *stopped[YP_UPLOAD_WINDOW_MAX];
  guint n = 0;

  g_mutex_lock (&up->signal.mutex);
  while (up->n_chunks > 0)
    stopped[n++] = chunk_pop_locked (up);
  update_done_locked (up);
  g_mutex_unlock (&up->signal.mutex);

  for (guint i = 0; i < n; i++)
    yp_upload_job_cancel (stopped[i]->job);
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(JsonObject) reply = chunk_finish (stopped[i], NULL, NULL);
    }
}

/* ------------------------------------------------------------------------
 * The window
 * ------------------------------------------------------------------------ */

typedef enum
{
  STEP_WAIT,
  STEP_PROOF,      /* the proof was answered */
  STEP_ANSWER,     /* the oldest chunk was answered */
  STEP_SEND,       /* there is room for one more chunk */
} Step;

/* With signal.mutex held. */
static Step
next_step (Upload  *up,
           guint64  next)
{
  Chunk *last = up->n_chunks > 0 ? up->chunks[up->n_chunks - 1] : NULL;

  if (up->proof != NULL && yp_upload_job_is_finished (up->proof))
    return STEP_PROOF;
  /* the line first: an answer can wait while a body goes out */
  if (up->n_chunks < up->window && next < _yp_upload_file_size (up)
      && (last == NULL || last->wrote > 0)
      && (up->proof == NULL || g_get_monotonic_time () >= up->proof_grace_end))
    return STEP_SEND;
  if (up->n_chunks > 0 && yp_upload_job_is_finished (up->chunks[0]->job))
    return STEP_ANSWER;
  return STEP_WAIT;
}

/* Takes the oldest chunk's answer. Returns FALSE with ERROR to stop the
 * window, or sets *NODE when the upload is complete. */
static gboolean
take_answer (Upload    *up,
             gboolean  *busy,
             YpNode   **node,
             GError   **error)
{
  g_autoptr(JsonObject) reply = NULL;
  g_autoptr(GError) local_error = NULL;
  JsonObject *upload;
  guint64 expected, offset;
  gboolean ahead;
  Chunk *chunk;

  g_mutex_lock (&up->signal.mutex);
  chunk = chunk_pop_locked (up);
  g_mutex_unlock (&up->signal.mutex);
  expected = chunk->offset + chunk->length;
  ahead = chunk->ahead;
  reply = chunk_finish (chunk, busy, &local_error);
  if (reply == NULL && ahead
      && (*busy || g_error_matches (local_error, YP_CLIENT_ERROR, YP_CLIENT_ERROR_CONFLICT)))
    {
      /* the one before it was accepted, yet the server refused this one: it
       * admits no chunk ahead of where the upload stands, or no second one
       * at a time (nginx still counts a connection whose worker died). One
       * at a time from now on, and at once. */
      up->window = 1;
      *busy = FALSE;
      g_set_error (error, YP_CLIENT_ERROR, YP_CLIENT_ERROR_CONFLICT,
                   _("The server holds a different part of the upload"));
      return FALSE;
    }
  if (reply == NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  if ((*node = _yp_upload_file_from_reply (reply)) != NULL)
    {
      set_offset (up, _yp_upload_file_size (up));
      return TRUE;
    }
  upload = _yp_json_object (reply, "upload");
  offset = (guint64) json_object_get_int_member_with_default (upload, "offset", 0);
  set_offset (up, offset);
  if (offset >= _yp_upload_file_size (up))
    {
      g_set_error (error, YP_CLIENT_ERROR, YP_CLIENT_ERROR_FAILED,
                   _("The server did not complete the upload"));
      return FALSE;
    }
  if (offset != expected)
    {
      g_set_error (error, YP_CLIENT_ERROR, YP_CLIENT_ERROR_CONFLICT,
                   _("The server holds a different part of the upload"));
      return FALSE;
    }
  return TRUE;
}

/*
 * Sends chunks from the acknowledged offset until the file is complete, the
 * proof is accepted, or something fails; nothing is in flight when it
 * returns. Returns the new file, or NULL with ERROR (*BUSY when the server
 * refused a chunk for having too many of this upload).
 */
static YpNode *
run_window (Upload    *up,
            gboolean  *busy,
            GError   **error)
{
  YpNode *node = NULL;
  gboolean ok = TRUE, last;
  guint64 next;

  g_mutex_lock (&up->signal.mutex);
  next = up->offset;
  while (ok && node == NULL)
    {
      switch (next_step (up, next))
        {
        case STEP_PROOF:
          g_mutex_unlock (&up->signal.mutex);
          node = _yp_upload_proof_finish (up, FALSE);
          up->instant = node != NULL;
          if (up->proof_changed)
            ok = _yp_upload_set_changed_error (up, error);
          g_mutex_lock (&up->signal.mutex);
          break;

        case STEP_ANSWER:
          g_mutex_unlock (&up->signal.mutex);
          ok = take_answer (up, busy, &node, error);
          g_mutex_lock (&up->signal.mutex);
          break;

        case STEP_SEND:
          /* the last chunk completes the file: the path must still name the
           * file that was hashed (the size is the one chunk_start_locked()
           * takes, the chunk before having been measured) */
          if (up->n_chunks > 0)
            chunk_measure_locked (up->chunks[up->n_chunks - 1]);
          last = next + yp_chunk_sizer_get (&up->sizer) >= _yp_upload_file_size (up);
          g_mutex_unlock (&up->signal.mutex);
          ok = _yp_upload_file_unchanged (up, last, error);
          g_mutex_lock (&up->signal.mutex);
          if (ok)
            {
              chunk_start_locked (up, next);
              next += up->chunks[up->n_chunks - 1]->length;
            }
          break;

        case STEP_WAIT:
        default:
          if (up->proof != NULL && g_get_monotonic_time () < up->proof_grace_end)
            g_cond_wait_until (&up->signal.cond, &up->signal.mutex, up->proof_grace_end);
          else
            g_cond_wait (&up->signal.cond, &up->signal.mutex);
          break;
        }
    }
  g_mutex_unlock (&up->signal.mutex);

  chunks_stop (up);
  return node;
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
  set_offset (up, (guint64) json_object_get_int_member_with_default (upload, "offset", 0));
  return TRUE;
}

/* Whether to ask where the upload stands and go on after ERROR, counting
 * the failure into FAILURES. */
static gboolean
should_resume (const YpRetryPolicy *policy,
               guint               *failures,
               gboolean             busy,
               const GError        *error)
{
  /* the server stands elsewhere than expected: ask it where, at once */
  if (g_error_matches (error, YP_CLIENT_ERROR, YP_CLIENT_ERROR_CONFLICT))
    return TRUE;
  ++*failures;
  /* too many chunks of this upload were arriving (those of a connection
   * that died may still count): that passes, like a network failure */
  if (busy)
    return *failures < policy->max_attempts;
  return yp_retry_policy_should_retry (policy, *failures, error);
}

/* Sends the bytes from where the server stands; returns the new file. */
YpNode *
_yp_upload_send_bytes (Upload  *up,
                       GError **error)
{
  YpRetryPolicy policy = _yp_client_get_retry_policy (up->client);
  guint failures = 0;

  /* the bytes done were the hash's; from here on they are the server's */
  _yp_transfer_set_state_and_done (up->transfer, YP_TRANSFER_RUNNING, up->offset);
  set_offset (up, up->offset);
  for (;;)
    {
      g_autoptr(GError) local_error = NULL;
      guint64 before = up->offset;
      gboolean busy = FALSE;
      YpNode *node = run_window (up, &busy, &local_error);

      if (node != NULL)
        return node;
      /* a chunk refused because a right proof ended the upload */
      if (g_error_matches (local_error, YP_CLIENT_ERROR, YP_CLIENT_ERROR_NOT_FOUND)
          && (node = _yp_upload_proof_finish (up, FALSE)) != NULL)
        {
          up->instant = TRUE;
          return node;
        }
      if (g_error_matches (local_error, YP_CLIENT_ERROR, YP_CLIENT_ERROR_HASH_MISMATCH))
        {
          /* the bytes the server got are not the ones we hashed */
          _yp_upload_set_changed_error (up, error);
          return NULL;
        }
      if (up->offset > before)
        failures = 0;
      if (!should_resume (&policy, &failures, busy, local_error))
        {
          /* refused as too many though none of ours are in flight: nginx
           * still counts the chunks a crashed worker of it was receiving,
           * and will for this upload until it restarts; a new upload is
           * counted afresh */
          up->stuck = busy;
          g_propagate_error (error, g_steal_pointer (&local_error));
          return NULL;
        }
      g_debug ("upload %s interrupted (%s); resuming", up->upload_id, local_error->message);
      /* the server may say how long to stay away (429 or 503 with
       * Retry-After): coming back sooner only earns another refusal */
      if (failures > 0
          && !_yp_sleep_cancellable (yp_retry_policy_delay_for_error (&policy, failures,
                                                                      local_error, NULL),
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
