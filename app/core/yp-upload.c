/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "yunpan-client"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>

#include "yp-chunk-sizer.h"
#include "yp-client-error.h"
#include "yp-client-private.h"
#include "yp-file-range-stream.h"
#include "yp-hash.h"
#include "yp-hasher.h"
#include "yp-transfer-private.h"
#include "yp-upload-job.h"

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
 * Two chunks are in flight: the next one goes out as soon as the body of
 * the one before has been written, so the line stays busy while the server
 * stores and hashes a chunk and answers it. Each request runs on a thread
 * of its own (YpUploadJob); the upload's thread starts them, takes their
 * answers in order and decides what comes next.
 */

#define UPLOAD_RESTARTS_MAX 3
/* starts refused because the destination changed between its stat and the
 * start, for an unconditional upload */
#define START_RACES_MAX     3
#define WINDOW_MAX          2
/* what the server accepted before it said how much it accepts */
#define SERVER_MAX_CHUNK_DEFAULT ((guint64) 256 * 1024 * 1024)
/* how long a proof may take before the bytes go out anyway: a right proof
 * of a file of a few MiB is answered well within it, and a wrong one is
 * held for size / 256 MiB/s, which the bytes should not wait for */
#define PROOF_GRACE_USEC    (200 * G_TIME_SPAN_MILLISECOND)
#define PROOF_BUFFER        (1024 * 1024)

typedef struct _Chunk Chunk;

typedef struct
{
  YpClient       *client;
  YpTransfer     *transfer;
  GCancellable   *cancellable;
  YpRateLimiter  *limiter;
  const YpUploadOptions *options;
  guint           attempt;      /* of the whole upload, from 1 */
  int             fd;
  struct stat     st;
  YpFileIdentity  identity;     /* of the file as it was hashed */
  char            sha256[65];
  char           *upload_id;
  YpChunkSizer    sizer;
  guint           window;       /* chunks in flight at most */

  YpUploadSignal  signal;
  /* under signal.mutex */
  guint64         offset;       /* acknowledged by the server */
  Chunk          *chunks[WINDOW_MAX];  /* in flight, oldest first */
  guint           n_chunks;

  guint8          nonce[YP_PROOF_NONCE_LEN];
  YpUploadJob    *proof;        /* being judged, or NULL */
  gint64          proof_grace_end;
  gboolean        instant;      /* the proof was accepted */
  gboolean        stuck;        /* chunks kept being refused as too many */
  gboolean        proof_changed;  /* the file changed before its proof went out */
} Upload;

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

static void
upload_clear (Upload *up)
{
  if (up->fd >= 0)
    close (up->fd);
  up->fd = -1;
  g_clear_pointer (&up->upload_id, g_free);
}

static void
identity_from_stat (YpFileIdentity    *identity,
                    const struct stat *st)
{
  identity->device = (guint64) st->st_dev;
  identity->inode = (guint64) st->st_ino;
  identity->size = (guint64) st->st_size;
  identity->mtime_ns = (gint64) st->st_mtim.tv_sec * G_GINT64_CONSTANT (1000000000)
                       + st->st_mtim.tv_nsec;
}

static gboolean
set_changed_error (Upload  *up,
                   GError **error)
{
  g_set_error (error, YP_CLIENT_ERROR, YP_CLIENT_ERROR_CHANGED,
               _("“%s” changed while it was being uploaded"),
               yp_transfer_get_local_path (up->transfer));
  return FALSE;
}

/* Whether the open file still has the identity it had when it was hashed;
 * with AT_PATH, also whether the path still names that file, as an editor
 * that saves by renaming a new file over the old one replaces it. */
static gboolean
file_unchanged_full (Upload    *up,
                     gboolean   at_path,
                     GError   **error)
{
  YpFileIdentity now;
  struct stat st;

  if (fstat (up->fd, &st) != 0)
    return _yp_set_io_error (error, errno, "stat", yp_transfer_get_local_path (up->transfer));
  identity_from_stat (&now, &st);
  if (!yp_file_identity_equal (&now, &up->identity))
    return set_changed_error (up, error);
  if (!at_path)
    return TRUE;
  if (g_stat (yp_transfer_get_local_path (up->transfer), &st) != 0)
    return set_changed_error (up, error);
  identity_from_stat (&now, &st);
  if (!yp_file_identity_equal (&now, &up->identity))
    return set_changed_error (up, error);
  return TRUE;
}

static gboolean
file_unchanged (Upload  *up,
                GError **error)
{
  return file_unchanged_full (up, FALSE, error);
}

static void
hash_progress (guint64  hashed,
               gpointer data)
{
  Upload *up = data;

  _yp_transfer_set_done (up->transfer, MIN (hashed, (guint64) up->st.st_size));
}

/* SHA-256 of the open file, the bytes done growing as it goes. */
static gboolean
hash_file (Upload  *up,
           GError **error)
{
  /* the identity check after it catches a file that grew or shrank */
  return yp_hash_fd_sync_full (up->fd, up->sha256, NULL, hash_progress, up, up->cancellable,
                               error);
}

/* Whether the caller's hash can stand for the file's: only on the first
 * attempt (a restart follows a change) and for the very identity it was
 * computed from. */
static gboolean
known_hash_applies (Upload *up)
{
  return up->attempt == 1 && up->options->sha256 != NULL
         && yp_sha256_hex_is_valid (up->options->sha256)
         && yp_file_identity_equal (&up->identity, &up->options->identity);
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
  identity_from_stat (&up->identity, &up->st);

  _yp_transfer_set_total (up->transfer, (guint64) up->st.st_size);
  if (known_hash_applies (up))
    {
      g_strlcpy (up->sha256, up->options->sha256, sizeof up->sha256);
      return TRUE;
    }
  _yp_transfer_set_state_and_done (up->transfer, YP_TRANSFER_HASHING, 0);
  if (!hash_file (up, error))
    return FALSE;
  return file_unchanged (up, error);
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

static YpNode *
file_from_reply (JsonObject *reply)
{
  JsonObject *file = _yp_json_object (reply, "file");

  return file ? yp_node_new_from_json (file) : NULL;
}

static guint64
file_size (Upload *up)
{
  return (guint64) up->st.st_size;
}

/* With signal.mutex held: the acknowledged bytes and those of the chunks
 * in flight read so far. */
static void
update_done_locked (Upload *up)
{
  guint64 done = up->offset;

  for (guint i = 0; i < up->n_chunks; i++)
    done += up->chunks[i]->counted;
  _yp_transfer_set_done (up->transfer, MIN (done, file_size (up)));
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
 * Proof of possession
 * ------------------------------------------------------------------------ */

/* SHA-256 (nonce ‖ content): one more pass over a file just hashed, mostly
 * from the page cache, and still far cheaper than sending it. */
static gboolean
compute_proof (Upload        *up,
               GCancellable  *cancellable,
               char           proof[65],
               GError       **error)
{
  g_autofree guint8 *buffer = g_malloc (PROOF_BUFFER);
  yp_sha256_t *ctx = yp_sha256_new ();
  guint64 position = 0;

  yp_sha256_update (ctx, up->nonce, sizeof up->nonce);
  while (position < file_size (up))
    {
      gssize n;

      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        {
          yp_sha256_free (ctx);
          return FALSE;
        }
      do
        n = pread (up->fd, buffer, PROOF_BUFFER, (off_t) position);
      while (n < 0 && errno == EINTR);
      if (n <= 0)
        {
          yp_sha256_free (ctx);
          if (n < 0)
            return _yp_set_io_error (error, errno, "read",
                                     yp_transfer_get_local_path (up->transfer));
          g_set_error (error, YP_CLIENT_ERROR, YP_CLIENT_ERROR_CHANGED,
                       _("The file became shorter while it was being uploaded"));
          return FALSE;
        }
      yp_sha256_update (ctx, buffer, (gsize) n);
      position += (guint64) n;
    }
  yp_sha256_finish_hex (ctx, proof);
  return TRUE;
}

/* The proof job: computes the proof and posts it. */
static JsonObject *
proof_send (gpointer       data,
            GCancellable  *cancellable,
            GError       **error)
{
  Upload *up = data;
  g_autoptr(JsonObject) body = json_object_new ();
  g_autofree char *api_path = g_strdup_printf ("/uploads/%s/proof", up->upload_id);
  char proof[65];

  if (!compute_proof (up, cancellable, proof, error))
    return NULL;
  /* a proof of other bytes than were hashed would be refused anyway; but a
   * file that changed is to be uploaded again, not sent as it was */
  if (!file_unchanged_full (up, TRUE, error))
    return NULL;
  json_object_set_string_member (body, "proof", proof);
  return _yp_client_call (up->client, "POST", api_path, NULL, body, cancellable, error);
}

/* Starts judging the proof for CHALLENGE, if it is one. */
static void
proof_start (Upload     *up,
             JsonObject *challenge)
{
  if (!yp_hex_decode (json_object_get_string_member_with_default (challenge, "nonce", ""),
                      up->nonce, sizeof up->nonce))
    return;
  up->proof_grace_end = g_get_monotonic_time () + PROOF_GRACE_USEC;
  up->proof = yp_upload_job_start ("yp-upload-proof", &up->signal, up->cancellable,
                                   proof_send, up);
}

/* Waits for the proof's answer (cancelling it first when CANCEL): returns
 * the new file if the proof was right. Any other answer means the bytes
 * have to be sent, which they are being. */
static YpNode *
proof_finish (Upload   *up,
              gboolean  cancel)
{
  g_autoptr(JsonObject) reply = NULL;
  g_autoptr(GError) error = NULL;
  YpUploadJob *job;

  g_mutex_lock (&up->signal.mutex);
  job = g_steal_pointer (&up->proof);
  g_mutex_unlock (&up->signal.mutex);
  if (job == NULL)
    return NULL;
  if (cancel)
    yp_upload_job_cancel (job);
  reply = yp_upload_job_join (job, &error);
  if (reply == NULL)
    {
      g_debug ("upload %s: proof not accepted (%s)", up->upload_id, error->message);
      up->proof_changed |= g_error_matches (error, YP_CLIENT_ERROR, YP_CLIENT_ERROR_CHANGED);
      return NULL;
    }
  return file_from_reply (reply);
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
  chunk->length = MIN (yp_chunk_sizer_get (&up->sizer), file_size (up) - offset);
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
  Chunk *stopped[WINDOW_MAX];
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
  if (up->n_chunks < up->window && next < file_size (up)
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
  if ((*node = file_from_reply (reply)) != NULL)
    {
      set_offset (up, file_size (up));
      return TRUE;
    }
  upload = _yp_json_object (reply, "upload");
  offset = (guint64) json_object_get_int_member_with_default (upload, "offset", 0);
  set_offset (up, offset);
  if (offset >= file_size (up))
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
          node = proof_finish (up, FALSE);
          up->instant = node != NULL;
          if (up->proof_changed)
            ok = set_changed_error (up, error);
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
          last = next + yp_chunk_sizer_get (&up->sizer) >= file_size (up);
          g_mutex_unlock (&up->signal.mutex);
          ok = file_unchanged_full (up, last, error);
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
static YpNode *
send_bytes (Upload  *up,
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
          && (node = proof_finish (up, FALSE)) != NULL)
        {
          up->instant = TRUE;
          return node;
        }
      if (g_error_matches (local_error, YP_CLIENT_ERROR, YP_CLIENT_ERROR_HASH_MISMATCH))
        {
          /* the bytes the server got are not the ones we hashed */
          g_set_error (error, YP_CLIENT_ERROR, YP_CLIENT_ERROR_CHANGED,
                       _("“%s” changed while it was being uploaded"),
                       yp_transfer_get_local_path (up->transfer));
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
  _yp_transfer_set_done (up->transfer, file_size (up));
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
  up->window = WINDOW_MAX;
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
      || (up->options->sha256 != NULL && !known_hash_applies (up)))
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
  if (!open_and_hash (up, error))
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
      if ((node = file_from_reply (reply)) != NULL)
        return instant (up, node);
      if (!read_upload (up, reply, error))
        return NULL;
      challenge = _yp_json_object (reply, "challenge");
    }

  if (challenge != NULL)
    proof_start (up, challenge);
  node = send_bytes (up, &local_error);
  /* the bytes made it first: the proof's answer no longer matters */
  late = proof_finish (up, TRUE);
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
