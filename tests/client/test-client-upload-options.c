/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Uploads as a sync engine drives them (YpUploadOptions): what they may
 * replace, a destination by folder id, a hash the caller already knows,
 * resuming an upload a previous process started; and how they behave while
 * a proof is judged, when the server says to wait, and while they hash.
 */
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "yp-client-error.h"
#include "yp-client-private.h"
#include "yp-client.h"
#include "yp-hash.h"
#include "yp-transfer-private.h"
#include "yp-test-fixture.h"

static YpTransfer *
upload_with (YpClient              *client,
             const char            *local,
             const char            *remote,
             const YpUploadOptions *options,
             GError               **error)
{
  YpTransfer *transfer = yp_transfer_new_upload_full (local, remote, options);

  yp_client_upload_sync (client, transfer, error);
  flush_main_context ();
  return transfer;
}

static YpNode *
stat_path (Fixture    *f,
           const char *path)
{
  g_autoptr(GError) error = NULL;
  YpNode *node = yp_client_stat_sync (f->client, YP_TARGET_PATH (path), NULL, &error);

  g_assert_no_error (error);
  return node;
}

/* ------------------------------------------------------------------------
 * What an upload replaces, and where it goes
 * ------------------------------------------------------------------------ */

/* YP_VERSION_ANY replaces whatever file is there and creates one where
 * there is none; YP_VERSION_NONE only creates; a version replaces only
 * itself; a folder is never replaced. yp_transfer_new_upload() means the
 * same by its if_version. */
static void
test_if_version (Fixture       *f,
                 gconstpointer  data)
{
  YpUploadOptions any = { .if_version = YP_VERSION_ANY };
  YpUploadOptions none = { .if_version = YP_VERSION_NONE };
  YpUploadOptions stale = { 0 };
  g_autoptr(GError) error = NULL;
  g_autofree char *one = make_file (f->dir, "one.bin", 1000, 1, NULL);
  g_autofree char *two = make_file (f->dir, "two.bin", 2000, 2, NULL);
  g_autoptr(YpTransfer) created = NULL, replaced = NULL, again = NULL;
  g_autoptr(YpTransfer) refused = NULL, conflict = NULL, folder = NULL;
  g_autoptr(JsonObject) body = json_object_new ();
  g_autoptr(JsonObject) reply = NULL;

  created = upload_with (f->client, one, "/doc.bin", &any, &error);
  g_assert_no_error (error);
  g_assert_cmpint (yp_node_get_size (yp_transfer_get_node (created)), ==, 1000);

  replaced = upload_with (f->client, two, "/doc.bin", &any, &error);
  g_assert_no_error (error);
  g_assert_cmpint (yp_node_get_size (yp_transfer_get_node (replaced)), ==, 2000);
  g_assert_cmpint (yp_node_get_version (yp_transfer_get_node (replaced)), >,
                   yp_node_get_version (yp_transfer_get_node (created)));

  again = yp_transfer_new_upload (one, "/doc.bin", YP_VERSION_ANY);
  g_assert_true (yp_client_upload_sync (f->client, again, &error));
  g_assert_no_error (error);
  g_assert_cmpint (yp_node_get_size (yp_transfer_get_node (again)), ==, 1000);

  stale.if_version = yp_node_get_version (yp_transfer_get_node (created));
  refused = upload_with (f->client, two, "/doc.bin", &none, &error);
  g_assert_error (error, YP_CLIENT_ERROR, YP_CLIENT_ERROR_EXISTS);
  g_clear_error (&error);
  conflict = upload_with (f->client, two, "/doc.bin", &stale, &error);
  g_assert_error (error, YP_CLIENT_ERROR, YP_CLIENT_ERROR_CONFLICT);
  g_clear_error (&error);

  json_object_set_string_member (body, "path", "/folder");
  reply = _yp_client_call (f->client, "POST", "/files/mkdir", NULL, body, NULL, &error);
  g_assert_no_error (error);
  folder = upload_with (f->client, two, "/folder", &any, &error);
  g_assert_nonnull (error);
  g_assert_cmpint (yp_client_error_get_status (error), ==, YP_STATUS_IS_A_FOLDER);
  g_assert_cmpint (yp_transfer_get_state (folder), ==, YP_TRANSFER_FAILED);
}

/* A destination given as a folder's id and a name, instead of a path. */
static void
test_parent_id_and_name (Fixture       *f,
                         gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *local = make_file (f->dir, "a.txt", 3000, 3, NULL);
  g_autoptr(JsonObject) body = json_object_new ();
  g_autoptr(JsonObject) reply = NULL;
  g_autoptr(YpNode) docs = NULL;
  g_autoptr(YpTransfer) first = NULL, second = NULL;
  YpUploadOptions options = { .if_version = YP_VERSION_NONE, .name = "a.txt" };

  json_object_set_string_member (body, "path", "/docs");
  reply = _yp_client_call (f->client, "POST", "/files/mkdir", NULL, body, NULL, &error);
  g_assert_no_error (error);
  docs = stat_path (f, "/docs");
  options.parent_id = yp_node_get_id (docs);

  first = upload_with (f->client, local, NULL, &options, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (yp_node_get_path (yp_transfer_get_node (first)), ==, "/docs/a.txt");
  g_assert_null (yp_transfer_get_remote_path (first));

  /* and unconditionally, which looks at what is there by that name */
  options.if_version = YP_VERSION_ANY;
  second = upload_with (f->client, local, NULL, &options, &error);
  g_assert_no_error (error);
  g_assert_cmpint (yp_node_get_id (yp_transfer_get_node (second)), ==,
                   yp_node_get_id (yp_transfer_get_node (first)));
  g_assert_cmpint (yp_node_get_version (yp_transfer_get_node (second)), >,
                   yp_node_get_version (yp_transfer_get_node (first)));
}

/* ------------------------------------------------------------------------
 * A hash the caller knows
 * ------------------------------------------------------------------------ */

#define WRONG_SHA "0000000000000000000000000000000000000000000000000000000000000000"

/* The caller's hash is taken as it is while the file has the identity it
 * was computed from, and not otherwise. A wrong hash shows which: trusted,
 * it starts an upload the server refuses at the end (and the upload then
 * starts again with a hash of its own); not trusted, it is never sent. */
static void
test_known_hash (Fixture       *f,
                 gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  char sha[65];
  g_autofree char *local = make_file (f->dir, "known.bin", 100000, 4, sha);
  YpUploadOptions options = { .sha256 = WRONG_SHA };
  YpFileIdentity identity, uploaded;
  g_autoptr(YpTransfer) trusted = NULL, hashed = NULL;
  guint starts;

  g_assert_true (yp_file_identity_from_path (local, &identity, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (identity.size, ==, 100000);

  options.identity = identity;
  trusted = upload_with (f->client, local, "/trusted.bin", &options, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (yp_node_get_sha256 (yp_transfer_get_node (trusted)), ==, sha);
  starts = logged_requests (f, "POST /api/v1/uploads HTTP");
  g_assert_cmpuint (starts, ==, 2);
  g_assert_true (yp_transfer_get_uploaded_identity (trusted, &uploaded));
  g_assert_true (yp_file_identity_equal (&uploaded, &identity));

  /* another modification time: the hash no longer stands for the file */
  options.identity.mtime_ns += 1;
  hashed = upload_with (f->client, local, "/hashed.bin", &options, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (yp_node_get_sha256 (yp_transfer_get_node (hashed)), ==, sha);
  g_assert_cmpuint (logged_requests (f, "POST /api/v1/uploads HTTP"), ==, starts + 1);
}

typedef struct
{
  Fixture    *f;
  YpTransfer *transfer;
  const char *path;
  const char *replacement;
} Replace;

/* Once the server acknowledged a chunk, renames another file over the path
 * (as editors save): the open file, being uploaded, does not change. */
static gpointer
replace_later (gpointer data)
{
  Replace *r = data;

  for (int i = 0; i < 3000 && yp_transfer_get_offset (r->transfer) == 0; i++)
    g_usleep (G_USEC_PER_SEC / 1000);
  g_assert_cmpuint (yp_transfer_get_offset (r->transfer), >, 0);
  g_assert_cmpint (g_rename (r->replacement, r->path), ==, 0);
  return NULL;
}

/* The path names another file before the last chunk goes out: the upload
 * starts again and stores the file the path names, not the bytes of the
 * one it had opened, and tells which file it uploaded. */
static void
test_replaced_before_last_chunk (Fixture       *f,
                                 gconstpointer  data)
{
  const gsize size = 3 * MIB;
  g_autoptr(GError) error = NULL;
  char old_sha[65], new_sha[65];
  g_autofree char *local = make_file (f->dir, "saved.bin", size, 5, old_sha);
  g_autofree char *newer = make_file (f->dir, "saved.bin.new", size, 6, new_sha);
  YpUploadOptions options = { .if_version = YP_VERSION_NONE };
  g_autoptr(YpTransfer) transfer = yp_transfer_new_upload_full (local, "/saved.bin", &options);
  g_autoptr(YpRateLimiter) limiter = yp_rate_limiter_new (2 * MIB);
  YpFileIdentity now, uploaded;
  Replace replace = { f, transfer, local, newer };
  GThread *thread;

  yp_client_set_chunk_size (f->client, 512 * 1024);
  yp_transfer_set_rate_limiter (transfer, limiter);
  thread = g_thread_new ("replace", replace_later, &replace);
  g_assert_true (yp_client_upload_sync (f->client, transfer, &error));
  g_assert_no_error (error);
  g_thread_join (thread);
  flush_main_context ();

  g_assert_cmpstr (yp_node_get_sha256 (yp_transfer_get_node (transfer)), ==, new_sha);
  g_assert_true (yp_file_identity_from_path (local, &now, &error));
  g_assert_true (yp_transfer_get_uploaded_identity (transfer, &uploaded));
  g_assert_true (yp_file_identity_equal (&uploaded, &now));
  g_assert_cmpuint (logged_requests (f, "POST /api/v1/uploads HTTP"), ==, 2);
}

/* ------------------------------------------------------------------------
 * Resuming across a restart
 * ------------------------------------------------------------------------ */

typedef struct
{
  YpClient   *client;
  YpTransfer *transfer;
  gboolean    ok;
  GError     *error;
  gint        done;
} Run;

static gpointer
run_upload (gpointer data)
{
  Run *run = data;

  run->ok = yp_client_upload_sync (run->client, run->transfer, &run->error);
  return NULL;
}

typedef struct
{
  guint64  cancel_at;
  char    *upload_id;
  guint    id_notifications;
  guint64  offset;
  guint    offset_notifications;
  gboolean finished;
  GThread *main_thread;
} Watch;

static void
upload_id_notified (YpTransfer *transfer,
                    GParamSpec *pspec,
                    Watch      *watch)
{
  g_autofree char *upload_id = yp_transfer_dup_upload_id (transfer);

  g_assert_true (g_thread_self () == watch->main_thread);
  watch->id_notifications++;
  /* saved as soon as it is known; cleared once complete */
  if (upload_id != NULL)
    {
      g_free (watch->upload_id);
      watch->upload_id = g_steal_pointer (&upload_id);
    }
}

static void
offset_notified (YpTransfer *transfer,
                 GParamSpec *pspec,
                 Watch      *watch)
{
  guint64 offset;

  g_assert_true (g_thread_self () == watch->main_thread);
  g_object_get (transfer, "offset", &offset, NULL);
  g_assert_cmpuint (offset, >=, watch->offset);
  watch->offset = offset;
  watch->offset_notifications++;
  if (watch->cancel_at > 0 && offset >= watch->cancel_at)
    yp_transfer_cancel (transfer);
}

static void
transfer_finished (YpTransfer *transfer,
                   Watch      *watch)
{
  watch->finished = TRUE;
}

/* Runs TRANSFER in a thread, as a queue would, and the main context here
 * until it is finished. */
static void
run_watched (YpClient   *client,
             YpTransfer *transfer,
             Watch      *watch,
             Run        *run)
{
  GThread *thread;

  watch->main_thread = g_thread_self ();
  g_signal_connect (transfer, "notify::upload-id", G_CALLBACK (upload_id_notified), watch);
  g_signal_connect (transfer, "notify::offset", G_CALLBACK (offset_notified), watch);
  g_signal_connect (transfer, "finished", G_CALLBACK (transfer_finished), watch);
  run->client = client;
  run->transfer = transfer;
  thread = g_thread_new ("upload", run_upload, run);
  while (!watch->finished)
    g_main_context_iteration (NULL, TRUE);
  g_thread_join (thread);
  flush_main_context ();
}

/* Chunk PUTs of UPLOAD_ID the server logged, with their offsets and the
 * bytes each request carried. */
static GPtrArray *
logged_puts_of (Fixture    *f,
                const char *upload_id)
{
  g_autofree char *needle = g_strdup_printf ("\"PUT /api/v1/uploads/%s?offset=", upload_id);

  logged_requests (f, needle);
  return yp_test_server_log_lines (f->server, needle);
}

static guint64
line_offset (const char *line)
{
  return g_ascii_strtoull (strstr (line, "?offset=") + strlen ("?offset="), NULL, 10);
}

static guint
line_status (const char *line)
{
  return (guint) g_ascii_strtoull (strrchr (line, '"') + 2, NULL, 10);
}

/* Cancelled once 8 MiB are acknowledged, the upload stays on the server;
 * a new client (as after a restart) resumes it by its id, sends only the
 * bytes not yet acknowledged, and the file arrives whole. An id the server
 * no longer knows just starts a new upload. */
static void
test_resume_after_restart (Fixture       *f,
                           gconstpointer  data)
{
  const gsize size = 24 * MIB;
  g_autoptr(GError) error = NULL;
  char sha[65];
  g_autofree char *local = make_file (f->dir, "big.bin", size, 7, sha);
  g_autofree char *token = yp_client_dup_token (f->client);
  YpUploadOptions options = { .sha256 = sha, .keep_on_cancel = TRUE };
  g_autoptr(YpRateLimiter) limiter = yp_rate_limiter_new (8 * MIB);
  g_autoptr(YpTransfer) first = NULL, second = NULL, fresh = NULL;
  g_autoptr(YpClient) restarted = NULL;
  g_autoptr(GPtrArray) puts = NULL;
  Watch watch = { .cancel_at = 8 * MIB };
  Watch watch2 = { 0 };
  Run run = { 0 }, run2 = { 0 };
  guint64 acked, lowest = G_MAXUINT64;
  guint deletes = 0, before = 0;
  g_autofree char *saved_id = NULL;
  g_autofree char *left = NULL;

  g_assert_true (yp_file_identity_from_path (local, &options.identity, &error));
  yp_client_set_chunk_size (f->client, MIB);
  first = yp_transfer_new_upload_full (local, "/big.bin", &options);
  yp_transfer_set_rate_limiter (first, limiter);
  run_watched (f->client, first, &watch, &run);
  g_assert_false (run.ok);
  g_assert_error (run.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&run.error);
  g_assert_nonnull (watch.upload_id);
  saved_id = yp_transfer_dup_upload_id (first);
  g_assert_cmpstr (saved_id, ==, watch.upload_id);
  g_assert_cmpuint (watch.id_notifications, ==, 1);
  g_assert_cmpuint (watch.offset_notifications, >, 0);
  acked = yp_transfer_get_offset (first);
  g_assert_cmpuint (acked, ==, watch.offset);
  g_assert_cmpuint (acked, >=, 8 * MIB);
  g_assert_cmpuint (acked, <, size);
  yp_test_server_request_bytes (f->server, "DELETE /api/v1/uploads/", &deletes);
  g_assert_cmpuint (deletes, ==, 0);
  puts = logged_puts_of (f, saved_id);
  before = puts->len;
  g_clear_pointer (&puts, g_ptr_array_unref);

  restarted = yp_client_new (f->server->url);
  yp_client_set_token (restarted, token);
  yp_client_set_chunk_size (restarted, MIB);
  options.resume_upload_id = saved_id;
  second = yp_transfer_new_upload_full (local, "/big.bin", &options);
  run_watched (restarted, second, &watch2, &run2);
  g_assert_no_error (run2.error);
  g_assert_true (run2.ok);
  g_assert_cmpstr (yp_node_get_sha256 (yp_transfer_get_node (second)), ==, sha);
  g_assert_cmpuint (yp_transfer_get_bytes_sent (second), ==, size - acked);
  g_assert_cmpuint (yp_transfer_get_bytes_done (second), ==, size);
  /* complete: nothing is left to resume */
  left = yp_transfer_dup_upload_id (second);
  g_assert_null (left);
  g_assert_cmpstr (watch2.upload_id, ==, saved_id);

  /* the server saw one start, and after the restart no chunk it had */
  g_assert_cmpuint (logged_requests (f, "POST /api/v1/uploads HTTP"), ==, 1);
  puts = logged_puts_of (f, saved_id);
  g_assert_cmpuint (puts->len, >, before);
  for (guint i = before; i < puts->len; i++)
    lowest = MIN (lowest, line_offset (g_ptr_array_index (puts, i)));
  g_assert_cmpuint (lowest, ==, acked);

  /* an upload the server no longer knows: a new one, without an error */
  options.resume_upload_id = saved_id;
  fresh = upload_with (restarted, local, "/again.bin", &options, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (yp_node_get_sha256 (yp_transfer_get_node (fresh)), ==, sha);
  g_assert_cmpuint (logged_requests (f, "POST /api/v1/uploads HTTP"), ==, 2);
  g_free (watch.upload_id);
  g_free (watch2.upload_id);
}

/* ------------------------------------------------------------------------
 * Proof of possession
 * ------------------------------------------------------------------------ */

typedef struct
{
  YpTransfer *transfer;
  guint       delay_ms;
  gint64      cancelled;
} Canceller;

/* Cancels the transfer DELAY_MS after its bytes start to go out, while its
 * proof is computed (0) or judged. */
static gpointer
cancel_in_proof (gpointer data)
{
  Canceller *c = data;

  for (int i = 0; i < 30000 && yp_transfer_get_state (c->transfer) != YP_TRANSFER_RUNNING; i++)
    g_usleep (1000);
  g_assert_cmpint (yp_transfer_get_state (c->transfer), ==, YP_TRANSFER_RUNNING);
  g_usleep (c->delay_ms * 1000);
  c->cancelled = g_get_monotonic_time ();
  yp_transfer_cancel (c->transfer);
  return NULL;
}

/* The server holds a wrong proof for size / rate (64 s here): cancelling
 * the transfer meanwhile ends it at once, whether the proof is still being
 * computed or already being judged. */
static void
test_cancel_during_proof (void)
{
  const char *const args[] = { "--instant-proof-rate", "1", NULL };
  const guint delays[] = { 0, 1500 };
  const gsize size = 64 * MIB + 5;
  Fixture fixture = { 0 }, *f = &fixture;
  g_autofree char *local = NULL;

  fixture_start (f, args);
  local = make_file (f->dir, "proof.bin", size, 8, NULL);
  for (guint i = 0; i < G_N_ELEMENTS (delays); i++)
    {
      g_autofree char *remote = g_strdup_printf ("/proof-%u.bin", i);
      g_autoptr(YpTransfer) transfer = yp_transfer_new_upload (local, remote, YP_VERSION_NONE);
      g_autoptr(YpRateLimiter) limiter = yp_rate_limiter_new (4 * MIB);
      g_autoptr(GError) error = NULL;
      Canceller canceller = { transfer, delays[i], 0 };
      GThread *thread;

      yp_transfer_set_rate_limiter (transfer, limiter);
      thread = g_thread_new ("cancel", cancel_in_proof, &canceller);
      g_assert_false (yp_client_upload_sync (f->client, transfer, &error));
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
      g_test_message ("cancelled after %u ms: over in %" G_GINT64_FORMAT " µs", delays[i],
                      g_get_monotonic_time () - canceller.cancelled);
      g_assert_cmpint (g_get_monotonic_time () - canceller.cancelled, <, G_USEC_PER_SEC);
      g_thread_join (thread);
      flush_main_context ();
      g_assert_cmpint (yp_transfer_get_state (transfer), ==, YP_TRANSFER_CANCELLED);
    }
  /* the one cancelled while judged had gone out */
  g_assert_cmpuint (logged_requests (f, "/proof HTTP/1.1\""), >=, 1);
  fixture_tear_down (f, NULL);
}

/* ------------------------------------------------------------------------
 * Retry-After
 * ------------------------------------------------------------------------ */

/* Opens a chunk PUT of UPLOAD_ID and sends part of its body only: nginx
 * counts it as a chunk arriving for that upload until it is closed. */
static GSocketConnection *
hold_chunk (Fixture    *f,
            const char *upload_id,
            guint64     length)
{
  g_autoptr(GSocketClient) sockets = g_socket_client_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *token = yp_client_dup_token (f->client);
  g_autofree char *request = NULL;
  GSocketConnection *connection;
  GOutputStream *out;

  connection = g_socket_client_connect_to_uri (sockets, f->server->url, 80, NULL, &error);
  g_assert_no_error (error);
  request = g_strdup_printf ("PUT /api/v1/uploads/%s?offset=0 HTTP/1.1\r\n"
                             "Host: 127.0.0.1\r\nAuthorization: Bearer %s\r\n"
                             "Content-Type: application/octet-stream\r\n"
                             "Content-Length: %" G_GUINT64_FORMAT "\r\n\r\nx",
                             upload_id, token, length);
  out = g_io_stream_get_output_stream (G_IO_STREAM (connection));
  g_assert_true (g_output_stream_write_all (out, request, strlen (request), NULL, NULL, &error));
  g_assert_no_error (error);
  return connection;
}

/* A chunk refused with `429` and Retry-After (nginx: too many chunks of
 * this upload arriving at once) is sent again no sooner than the server
 * asked, not after the (here far shorter) backoff, and the upload goes on
 * where it is. */
static void
test_chunk_honours_retry_after (Fixture       *f,
                                gconstpointer  data)
{
  const gsize size = MIB;
  const YpRetryPolicy fast = { 5, 10, 20 };
  g_autoptr(GError) error = NULL;
  char sha[65];
  g_autofree char *local = make_file (f->dir, "limited.bin", size, 9, sha);
  g_autoptr(JsonObject) body = json_object_new ();
  g_autoptr(JsonObject) reply = NULL;
  g_autofree char *needle = NULL;
  g_autoptr(GPtrArray) refused = NULL;
  g_autoptr(GPtrArray) puts = NULL;
  GSocketConnection *held[3];
  YpUploadOptions options = { .sha256 = sha };
  g_autoptr(YpTransfer) transfer = NULL;
  Run run = { f->client };
  GThread *thread;
  const char *upload_id;
  gint64 start, refused_seen;
  guint refusals = 0;

  json_object_set_string_member (body, "path", "/limited.bin");
  json_object_set_int_member (body, "size", (gint64) size);
  json_object_set_string_member (body, "sha256", sha);
  reply = _yp_client_call (f->client, "POST", "/uploads", NULL, body, NULL, &error);
  g_assert_no_error (error);
  upload_id = json_object_get_string_member (_yp_json_object (reply, "upload"), "id");
  for (guint i = 0; i < G_N_ELEMENTS (held); i++)
    held[i] = hold_chunk (f, upload_id, size);
  g_usleep (G_USEC_PER_SEC / 2);

  yp_client_set_retry_policy (f->client, &fast);
  g_assert_true (yp_file_identity_from_path (local, &options.identity, &error));
  options.resume_upload_id = upload_id;
  transfer = yp_transfer_new_upload_full (local, "/limited.bin", &options);
  run.transfer = transfer;
  start = g_get_monotonic_time ();
  thread = g_thread_new ("upload", run_upload, &run);

  needle = g_strdup_printf ("\"PUT /api/v1/uploads/%s?offset=0", upload_id);
  for (int i = 0; i < 500; i++)
    {
      g_autoptr(GPtrArray) lines = yp_test_server_log_lines (f->server, needle);

      for (guint j = 0; j < lines->len && refusals == 0; j++)
        refusals += line_status (g_ptr_array_index (lines, j)) == 429;
      if (refusals > 0)
        break;
      g_usleep (G_USEC_PER_SEC / 200);
    }
  refused_seen = g_get_monotonic_time ();
  g_assert_cmpuint (refusals, ==, 1);
  for (guint i = 0; i < G_N_ELEMENTS (held); i++)
    {
      g_io_stream_close (G_IO_STREAM (held[i]), NULL, NULL);
      g_object_unref (held[i]);
    }

  g_thread_join (thread);
  flush_main_context ();
  g_assert_no_error (run.error);
  g_assert_true (run.ok);
  g_assert_cmpint (g_get_monotonic_time () - start, >=, G_USEC_PER_SEC);
  g_assert_cmpint (g_get_monotonic_time () - refused_seen, >=, G_USEC_PER_SEC / 2);
  g_assert_cmpstr (yp_node_get_sha256 (yp_transfer_get_node (transfer)), ==, sha);

  /* refused once, then accepted: the same upload, no new start */
  puts = logged_puts_of (f, upload_id);
  refused = g_ptr_array_new ();
  for (guint i = 0; i < puts->len; i++)
    if (line_status (g_ptr_array_index (puts, i)) == 429)
      g_ptr_array_add (refused, g_ptr_array_index (puts, i));
  g_assert_cmpuint (refused->len, ==, 1);
  g_assert_cmpuint (logged_requests (f, "POST /api/v1/uploads HTTP"), ==, 1);
}

/* ------------------------------------------------------------------------
 * Hashing
 * ------------------------------------------------------------------------ */

typedef struct
{
  YpTransfer *transfer;
  guint       reports;    /* growing values seen while hashing */
  guint64     last;
  gboolean    shrank;
} Sampler;

/* Runs the upload only on a core nothing else wants: the sampler, on
 * another, then sees the progress more finely than the hash makes it,
 * however busy the machine. */
static gpointer
run_upload_idle (gpointer data)
{
  struct sched_param param = { 0 };

  g_assert_cmpint (pthread_setschedparam (pthread_self (), SCHED_IDLE, &param), ==, 0);
  run_upload (data);
  g_atomic_int_set (&((Run *) data)->done, TRUE);
  return NULL;
}

static gboolean
thread_done (Run *run)
{
  return g_atomic_int_get (&run->done);
}

/* Samples the transfer's progress until DONE (RUN) says it is over. */
static void
sample_hashing (Sampler   *s,
                gboolean (*done) (Run *run),
                Run       *run)
{
  while (!done (run))
    {
      YpTransferState state = yp_transfer_get_state (s->transfer);
      guint64 bytes = yp_transfer_get_bytes_done (s->transfer);

      /* the bytes read between two looks at the same state are its own */
      if (state == YP_TRANSFER_HASHING && yp_transfer_get_state (s->transfer) == state)
        {
          if (bytes < s->last)
            s->shrank = TRUE;
          if (bytes > s->last)
            s->reports++;
          s->last = bytes;
        }
    }
}

/* Uploads a new 40 MiB file while a thread samples its progress; returns
 * the growing values it saw while the file was hashed. */
static guint
sample_one_hash (Fixture *f,
                 guint    seed)
{
  const gsize size = 40 * MIB;
  g_autoptr(GError) error = NULL;
  g_autofree char *name = g_strdup_printf ("hash%u.bin", seed);
  g_autofree char *remote = g_strdup_printf ("/%s", name);
  g_autofree char *local = make_file (f->dir, name, size, seed, NULL);
  g_autoptr(YpTransfer) transfer = yp_transfer_new_upload (local, remote, YP_VERSION_NONE);
  Sampler sampler = { transfer };
  Run run = { 0 };
  GThread *thread;
  int fd;

  /* read from the disk where the machine lets it: a slower hash, sampled
   * more finely */
  fd = g_open (local, O_RDONLY, 0);
  g_assert_cmpint (fd, >=, 0);
  g_assert_cmpint (fdatasync (fd), ==, 0);
  (void) posix_fadvise (fd, 0, 0, POSIX_FADV_DONTNEED);
  close (fd);

  run.client = f->client;
  run.transfer = transfer;
  thread = g_thread_new ("upload", run_upload_idle, &run);
  sample_hashing (&sampler, thread_done, &run);
  g_thread_join (thread);
  flush_main_context ();
  g_assert_no_error (run.error);
  g_assert_true (run.ok);

  g_assert_false (sampler.shrank);
  g_assert_cmpuint (sampler.last, <=, size);
  return sampler.reports;
}

/* Hashing a 40 MiB file shows its progress as it goes, growing, at least
 * every 4 MiB. The hash of 4 MiB takes a few milliseconds, and the sampler
 * may still be kept from a core through a report or two on a busy
 * machine: the best of three files counts. */
static void
test_hashing_progress (Fixture       *f,
                       gconstpointer  data)
{
  guint best = 0;

  for (guint seed = 10; seed < 13 && best < 8; seed++)
    {
      guint reports = sample_one_hash (f, seed);

      g_test_message ("%u growing values seen while hashing", reports);
      best = MAX (best, reports);
    }
  g_assert_cmpuint (best, >=, 8);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add (path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)

  ADD ("/yunpan/client/upload-options/if-version", test_if_version);
  ADD ("/yunpan/client/upload-options/parent-id-and-name", test_parent_id_and_name);
  ADD ("/yunpan/client/upload-options/known-hash", test_known_hash);
  ADD ("/yunpan/client/upload-options/replaced-before-last-chunk",
       test_replaced_before_last_chunk);
  ADD ("/yunpan/client/upload-options/resume-after-restart", test_resume_after_restart);
  g_test_add_func ("/yunpan/client/upload-options/cancel-during-proof",
                   test_cancel_during_proof);
  ADD ("/yunpan/client/upload-options/chunk-honours-retry-after",
       test_chunk_honours_retry_after);
  ADD ("/yunpan/client/upload-options/hashing-progress", test_hashing_progress);

#undef ADD
  return g_test_run ();
}
