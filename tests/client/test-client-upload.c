/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Uploads against a real server: round trips, instant uploads, a file
 * that changes on the way, chunks in flight and their sizes as the
 * server's access log has them, resuming, pacing and cancelling.
 */
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "yp-client-error.h"
#include "yp-client.h"
#include "yp-hash.h"
#include "yp-transfer-private.h"
#include "yp-test-fixture.h"

static void
test_round_trip (Fixture       *f,
                 gconstpointer  data)
{
  const gsize sizes[] = { 0, 1, 100000, 1024 * 1024 + 3 };

  for (gsize i = 0; i < G_N_ELEMENTS (sizes); i++)
    {
      g_autofree char *name = g_strdup_printf ("f%" G_GSIZE_FORMAT ".bin", sizes[i]);
      g_autofree char *remote = g_strconcat ("/", name, NULL);
      g_autofree char *back = g_build_filename (f->dir, "back.bin", NULL);
      g_autoptr(GError) error = NULL;
      char sha[65];
      g_autofree char *local = make_file (f->dir, name, sizes[i], (guint32) i + 1, sha);
      g_autoptr(YpTransfer) up = upload (f->client, local, remote, &error);
      g_autoptr(YpTransfer) down = NULL;

      g_assert_no_error (error);
      g_assert_cmpint (yp_transfer_get_state (up), ==, YP_TRANSFER_DONE);
      g_assert_cmpstr (yp_node_get_sha256 (yp_transfer_get_node (up)), ==, sha);
      g_assert_cmpuint (yp_transfer_get_bytes_done (up), ==, sizes[i]);

      down = download (f->client, remote, back, &error);
      g_assert_no_error (error);
      g_assert_cmpint (yp_transfer_get_state (down), ==, YP_TRANSFER_DONE);
      assert_same_file (local, back);
    }
}

static void
test_instant_upload (Fixture       *f,
                     gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  /* large enough for the server to match it against another account's file */
  const gsize size = 5 * 1024 * 1024 + 3;
  g_autofree char *local = make_file (f->dir, "same.bin", size, 7, NULL);
  g_autoptr(YpClient) bob = new_user (f->server, "bob");
  g_autoptr(YpTransfer) first = upload (f->client, local, "/same.bin", &error);
  g_autoptr(YpTransfer) second = NULL;
  guint puts_before, puts_after;

  g_assert_no_error (error);
  g_assert_false (yp_transfer_get_instant (first));
  g_assert_cmpuint (yp_transfer_get_bytes_sent (first), ==, size);

  log_barrier (f);
  yp_test_server_request_bytes (f->server, "PUT /api/v1/uploads/", &puts_before);
  second = upload (bob, local, "/mine.bin", &error);
  g_assert_no_error (error);
  g_assert_true (yp_transfer_get_instant (second));
  g_assert_cmpuint (yp_transfer_get_bytes_sent (second), ==, 0);
  /* and from the server's side: not one more chunk arrived */
  log_barrier (f);
  yp_test_server_request_bytes (f->server, "PUT /api/v1/uploads/", &puts_after);
  g_assert_cmpuint (puts_after, ==, puts_before);
  g_assert_cmpuint (puts_before, >=, 1);
}

typedef struct
{
  char   *path;
  guint64 size;
} Rewrite;

/* Overwrites the file in place (same inode, same size) once the upload
 * runs: the case an open file descriptor cannot hide. */
static gpointer
rewrite_later (gpointer data)
{
  Rewrite *rw = data;
  g_autofree guint8 *bytes = g_malloc (rw->size);
  int fd;

  g_usleep (G_USEC_PER_SEC / 2);
  memset (bytes, 'x', rw->size);
  fd = g_open (rw->path, O_WRONLY, 0);
  g_assert_cmpint (fd, >=, 0);
  g_assert_cmpint (pwrite (fd, bytes, rw->size, 0), ==, (gssize) rw->size);
  close (fd);
  return NULL;
}

static void
test_changed_during_upload (Fixture       *f,
                            gconstpointer  data)
{
  const guint64 size = 2 * 1024 * 1024;
  g_autoptr(GError) error = NULL;
  g_autofree char *local = make_file (f->dir, "moving.bin", size, 3, NULL);
  g_autoptr(YpTransfer) transfer = yp_transfer_new_upload (local, "/moving.bin", 0);
  g_autoptr(YpRateLimiter) limiter = yp_rate_limiter_new (1024 * 1024);
  Rewrite rw = { local, size };
  g_autofree guint8 *expected = g_malloc (size);
  char expected_sha[65];
  GThread *writer;

  memset (expected, 'x', size);
  yp_sha256_hex (expected, size, expected_sha);
  /* small chunks, slowly: the rewrite lands while bytes are on the way */
  yp_client_set_chunk_size (f->client, 256 * 1024);
  yp_transfer_set_rate_limiter (transfer, limiter);
  writer = g_thread_new ("rewrite", rewrite_later, &rw);
  g_assert_true (yp_client_upload_sync (f->client, transfer, &error));
  g_assert_no_error (error);
  g_thread_join (writer);
  flush_main_context ();

  /* never a torn mix: what the server stored is the new file, whole */
  g_assert_cmpstr (yp_node_get_sha256 (yp_transfer_get_node (transfer)), ==, expected_sha);
}

/* One chunk as the server's access log has it. */
typedef struct
{
  guint64 offset;
  guint   status;
  guint64 request_length;   /* body and headers */
} PutLine;

static int
compare_offsets (gconstpointer a,
                 gconstpointer b)
{
  guint64 x = ((const PutLine *) a)->offset, y = ((const PutLine *) b)->offset;

  return x < y ? -1 : x > y;
}

/* The chunks the server received, in the order it logged them. */
static GArray *
logged_puts (Fixture *f)
{
  g_autoptr(GPtrArray) lines = NULL;
  GArray *puts = g_array_new (FALSE, TRUE, sizeof (PutLine));

  log_barrier (f);
  lines = yp_test_server_log_lines (f->server, "\"PUT /api/v1/uploads/");
  for (guint i = 0; i < lines->len; i++)
    {
      const char *line = g_ptr_array_index (lines, i);
      const char *offset = strstr (line, "?offset=");
      const char *quote = strrchr (line, '"');
      char *end = NULL;
      PutLine put = { 0 };

      g_assert_nonnull (offset);
      put.offset = g_ascii_strtoull (offset + strlen ("?offset="), NULL, 10);
      put.status = (guint) g_ascii_strtoull (quote + 2, &end, 10);
      put.request_length = g_ascii_strtoull (end + 1, NULL, 10);
      g_array_append_val (puts, put);
    }
  return puts;
}

/* The acknowledged chunks, by offset: each starts where the one before
 * ended (chunks of CHUNK bytes, or when CHUNK is 0, of whole MiB but the
 * last: the logged lengths add a few hundred bytes of headers), the first
 * at 0, the last ending at SIZE. */
static void
assert_chunks_cover (GArray  *puts,
                     guint64  size,
                     guint64  chunk)
{
  g_autoptr(GArray) acked = g_array_new (FALSE, TRUE, sizeof (PutLine));
  guint64 expected = 0;

  for (guint i = 0; i < puts->len; i++)
    {
      PutLine *put = &g_array_index (puts, PutLine, i);

      if (put->status == 200 || put->status == 201)
        g_array_append_val (acked, *put);
    }
  g_array_sort (acked, compare_offsets);
  for (guint i = 0; i < acked->len; i++)
    {
      PutLine *put = &g_array_index (acked, PutLine, i);
      guint64 body = chunk > 0 ? MIN (chunk, size - put->offset)
                     : i + 1 == acked->len ? size - put->offset
                     : put->request_length / MIB * MIB;

      g_assert_cmpuint (put->offset, ==, expected);
      g_assert_cmpuint (put->status, ==, i + 1 == acked->len ? 201 : 200);
      g_assert_cmpuint (put->request_length, >=, body);
      g_assert_cmpuint (put->request_length, <, body + 4096);
      expected += body;
    }
  g_assert_cmpuint (expected, ==, size);
}

static void
count_sent_ahead (const char     *domain,
                  GLogLevelFlags  level,
                  const char     *message,
                  gpointer        data)
{
  if (strstr (message, " sent ahead") != NULL)
    g_atomic_int_inc ((gint *) data);
}

/* Downloads REMOTE and compares it with LOCAL. */
static void
assert_stored (Fixture    *f,
               const char *remote,
               const char *local)
{
  g_autofree char *back = g_build_filename (f->dir, "stored.back", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(YpTransfer) down = download (f->client, remote, back, &error);

  g_assert_no_error (error);
  assert_same_file (local, back);
  g_unlink (back);
}

/* Two chunks in flight: each next one goes out while the server still
 * answers the one before, every one is accepted, in order, and the file
 * arrives whole. */
static void
test_upload_window (Fixture       *f,
                    gconstpointer  data)
{
  const gsize size = 9 * MIB + 77;
  g_autoptr(GError) error = NULL;
  g_autofree char *local = make_file (f->dir, "window.bin", size, 31, NULL);
  g_autoptr(YpTransfer) transfer = NULL;
  g_autoptr(GArray) puts = NULL;
  gint ahead = 0;
  guint handler;

  yp_client_set_chunk_size (f->client, MIB);
  handler = g_log_set_handler ("yunpan-client", G_LOG_LEVEL_DEBUG, count_sent_ahead, &ahead);
  transfer = upload (f->client, local, "/window.bin", &error);
  g_log_remove_handler ("yunpan-client", handler);
  g_assert_no_error (error);
  g_assert_false (yp_transfer_get_instant (transfer));
  g_assert_cmpuint (yp_transfer_get_bytes_done (transfer), ==, size);
  g_assert_cmpuint (yp_transfer_get_bytes_sent (transfer), ==, size);
  /* each went out as soon as the body before it had, before that one was
   * answered (under load an answer may come first now and then) */
  g_assert_cmpint (g_atomic_int_get (&ahead), >=, 6);
  g_assert_cmpint (g_atomic_int_get (&ahead), <=, 9);

  puts = logged_puts (f);
  g_assert_cmpuint (puts->len, ==, 10);
  assert_chunks_cover (puts, size, MIB);
  assert_stored (f, "/window.bin", local);
}

/* Without a chunk size from the application: 8 MiB first, then larger as
 * the rate allows (loopback is fast), never beyond 64 MiB. */
static void
test_upload_adaptive_chunks (Fixture       *f,
                             gconstpointer  data)
{
  const gsize size = 48 * MIB + 5;
  g_autoptr(GError) error = NULL;
  g_autofree char *local = make_file (f->dir, "adaptive.bin", size, 32, NULL);
  g_autoptr(YpTransfer) transfer = upload (f->client, local, "/adaptive.bin", &error);
  g_autoptr(GArray) puts = NULL;

  g_assert_no_error (error);
  puts = logged_puts (f);
  g_assert_cmpuint (puts->len, >=, 2);
  g_assert_cmpuint (puts->len, <, 6);
  g_array_sort (puts, compare_offsets);
  g_assert_cmpuint (g_array_index (puts, PutLine, 0).request_length / MIB, ==, 8);
  g_assert_cmpuint (g_array_index (puts, PutLine, 1).request_length / MIB, >, 8);
  for (guint i = 0; i < puts->len; i++)
    g_assert_cmpuint (g_array_index (puts, PutLine, i).request_length, <=, 64 * MIB + 4096);
  assert_chunks_cover (puts, size, 0);
  assert_stored (f, "/adaptive.bin", local);
}

typedef struct
{
  Fixture *f;
  guint    after;   /* acknowledged chunks */
} Cut;

static guint
acked_puts (Fixture *f)
{
  g_autoptr(GPtrArray) lines = yp_test_server_log_lines (f->server, "\"PUT /api/v1/uploads/");
  guint acked = 0;

  for (guint i = 0; i < lines->len; i++)
    acked += strstr (g_ptr_array_index (lines, i), "\" 200 ") != NULL;
  return acked;
}

static gpointer
cut_later (gpointer data)
{
  Cut *cut = data;

  for (int i = 0; i < 3000 && acked_puts (cut->f) < cut->after; i++)
    g_usleep (G_USEC_PER_SEC / 100);
  g_assert_cmpuint (acked_puts (cut->f), >=, cut->after);
  yp_test_server_kill_nginx_workers (cut->f->server);
  return NULL;
}

/* Every connection dies mid-upload, with chunks in flight: the upload asks
 * where it stands and goes on from there, and the file arrives whole. */
static void
test_upload_resume_after_cut (Fixture       *f,
                              gconstpointer  data)
{
  const gsize size = 24 * MIB + 11;
  g_autoptr(GError) error = NULL;
  char sha[65];
  g_autofree char *local = make_file (f->dir, "cut.bin", size, 33, sha);
  g_autoptr(YpTransfer) transfer = yp_transfer_new_upload (local, "/cut.bin", 0);
  g_autoptr(YpRateLimiter) limiter = yp_rate_limiter_new (8 * MIB);
  g_autoptr(GArray) puts = NULL;
  guint64 sent = 0;
  Cut cut = { f, 4 };
  GThread *cutter;
  guint starts = 0;

  yp_client_set_chunk_size (f->client, MIB);
  yp_transfer_set_rate_limiter (transfer, limiter);
  cutter = g_thread_new ("cut", cut_later, &cut);
  g_assert_true (yp_client_upload_sync (f->client, transfer, &error));
  g_assert_no_error (error);
  g_thread_join (cutter);
  flush_main_context ();
  g_assert_cmpstr (yp_node_get_sha256 (yp_transfer_get_node (transfer)), ==, sha);

  puts = logged_puts (f);
  yp_test_server_request_bytes (f->server, "POST /api/v1/uploads HTTP", &starts);
  g_assert_cmpuint (starts, ==, 1);
  assert_chunks_cover (puts, size, MIB);
  for (guint i = 0; i < puts->len; i++)
    sent += g_array_index (puts, PutLine, i).request_length;
  g_assert_cmpuint (sent, <, size + 8 * MIB);
  assert_stored (f, "/cut.bin", local);
}

static GPtrArray *
logged_proofs (Fixture *f)
{
  log_barrier (f);
  return yp_test_server_log_lines (f->server, "/proof HTTP/1.1\"");
}

/* A new file of 4 MiB or more gets a challenge, and the server holds the
 * wrong proof for size / rate: here 1 MiB/s, 6 s. The bytes go out
 * meanwhile, and the upload is done long before the proof's answer. */
static void
test_upload_overlaps_wrong_proof (void)
{
  const char *const args[] = { "--instant-proof-rate", "1", NULL };
  Fixture fixture = { 0 }, *f = &fixture;
  const gsize size = 6 * MIB;
  g_autoptr(GError) error = NULL;
  g_autofree char *local = NULL;
  g_autoptr(YpTransfer) transfer = NULL;
  g_autoptr(GArray) puts = NULL;
  g_autoptr(GPtrArray) proofs = NULL;
  gint64 start;

  f->server = yp_test_server_start_with_args (args);
  f->client = new_user (f->server, "alice");
  f->dir = g_dir_make_tmp ("yp-client-files-XXXXXX", &error);
  g_assert_no_error (error);
  local = make_file (f->dir, "new.bin", size, 34, NULL);

  start = g_get_monotonic_time ();
  transfer = upload (f->client, local, "/new.bin", &error);
  g_assert_no_error (error);
  g_assert_cmpint (g_get_monotonic_time () - start, <, 3 * G_USEC_PER_SEC);
  g_assert_false (yp_transfer_get_instant (transfer));
  g_assert_cmpuint (yp_transfer_get_bytes_sent (transfer), ==, size);

  puts = logged_puts (f);
  assert_chunks_cover (puts, size, 0);
  /* the proof was asked for, and not answered before the bytes were in:
   * the client gave up waiting (nginx logs 499 for that) */
  proofs = logged_proofs (f);
  g_assert_cmpuint (proofs->len, ==, 1);
  g_assert_nonnull (strstr (g_ptr_array_index (proofs, 0), "/proof HTTP/1.1\" 499 "));
  assert_stored (f, "/new.bin", local);

  g_clear_object (&transfer);
  fixture_tear_down (f, NULL);
}

typedef struct
{
  YpTransfer      *transfer;
  gboolean         stop;
  gboolean         monotonic;
  guint64          last;
  guint            samples;
  YpTransferState  state;
} Sampler;

static gpointer
sample_progress (gpointer data)
{
  Sampler *s = data;

  while (!g_atomic_int_get (&s->stop))
    {
      YpTransferState state = yp_transfer_get_state (s->transfer);
      guint64 done = yp_transfer_get_bytes_done (s->transfer);

      /* hashing counts its bytes, then sending counts from 0 again */
      if (yp_transfer_get_state (s->transfer) != state)
        continue;
      if (state != s->state)
        s->last = 0;
      s->state = state;
      if (done < s->last || done > yp_transfer_get_total_bytes (s->transfer))
        s->monotonic = FALSE;
      s->last = MAX (s->last, done);
      s->samples++;
      g_usleep (2000);
    }
  return NULL;
}

/* With chunks in flight, progress only grows and ends at the size, and the
 * rate limit holds: 6 MiB at 4 MiB/s (after a burst of a quarter second's
 * worth) take more than a second. */
static void
test_upload_progress_and_rate (Fixture       *f,
                               gconstpointer  data)
{
  const gsize size = 6 * MIB;
  g_autoptr(GError) error = NULL;
  g_autofree char *local = make_file (f->dir, "paced.bin", size, 35, NULL);
  g_autoptr(YpTransfer) transfer = yp_transfer_new_upload (local, "/paced.bin", 0);
  g_autoptr(YpRateLimiter) limiter = yp_rate_limiter_new (4 * MIB);
  Sampler sampler = { transfer, FALSE, TRUE, 0, 0 };
  GThread *thread;
  gint64 start;

  yp_client_set_chunk_size (f->client, 512 * 1024);
  yp_transfer_set_rate_limiter (transfer, limiter);
  thread = g_thread_new ("sample", sample_progress, &sampler);
  start = g_get_monotonic_time ();
  g_assert_true (yp_client_upload_sync (f->client, transfer, &error));
  g_assert_no_error (error);
  g_assert_cmpint (g_get_monotonic_time () - start, >, G_USEC_PER_SEC);
  g_assert_cmpint (g_get_monotonic_time () - start, <, 6 * G_USEC_PER_SEC);
  g_atomic_int_set (&sampler.stop, TRUE);
  g_thread_join (thread);
  flush_main_context ();

  g_assert_true (sampler.monotonic);
  g_assert_cmpuint (sampler.samples, >, 100);
  g_assert_cmpuint (yp_transfer_get_bytes_done (transfer), ==, size);
  g_assert_cmpuint (yp_transfer_get_bytes_sent (transfer), ==, size);
  assert_stored (f, "/paced.bin", local);
}

/* Cancelled with chunks on the way: the upload stops at once, abandons the
 * upload on the server, and leaves no file. */
static void
test_cancel_midway (Fixture       *f,
                    gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *local = make_file (f->dir, "stopped.bin", 8 * MIB, 36, NULL);
  g_autoptr(YpTransfer) transfer = yp_transfer_new_upload (local, "/stopped.bin", 0);
  g_autoptr(YpRateLimiter) limiter = yp_rate_limiter_new (MIB);
  GThread *canceller;
  guint deletes = 0;
  gint64 start;

  yp_client_set_chunk_size (f->client, 256 * 1024);
  yp_transfer_set_rate_limiter (transfer, limiter);
  canceller = g_thread_new ("cancel", cancel_later, yp_transfer_get_cancellable (transfer));
  start = g_get_monotonic_time ();
  g_assert_false (yp_client_upload_sync (f->client, transfer, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpint (g_get_monotonic_time () - start, <, 3 * G_USEC_PER_SEC);
  g_thread_join (canceller);
  flush_main_context ();
  g_assert_cmpint (yp_transfer_get_state (transfer), ==, YP_TRANSFER_CANCELLED);
  g_assert_cmpuint (yp_transfer_get_bytes_done (transfer), >, 0);
  g_assert_cmpuint (yp_transfer_get_bytes_done (transfer), <, 8 * MIB);

  g_clear_error (&error);
  g_assert_null (yp_client_stat_sync (f->client, YP_TARGET_PATH ("/stopped.bin"), NULL, &error));
  g_assert_error (error, YP_CLIENT_ERROR, YP_CLIENT_ERROR_NOT_FOUND);
  log_barrier (f);
  yp_test_server_request_bytes (f->server, "DELETE /api/v1/uploads/", &deletes);
  g_assert_cmpuint (deletes, ==, 1);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  fixture_add ("/yunpan/client/transfer/round-trip", test_round_trip);
  fixture_add ("/yunpan/client/transfer/instant-upload", test_instant_upload);
  fixture_add ("/yunpan/client/transfer/changed-during-upload", test_changed_during_upload);
  fixture_add ("/yunpan/client/upload/window-of-two", test_upload_window);
  fixture_add ("/yunpan/client/upload/adaptive-chunks", test_upload_adaptive_chunks);
  fixture_add ("/yunpan/client/upload/resume-after-cut", test_upload_resume_after_cut);
  fixture_add ("/yunpan/client/upload/progress-and-rate", test_upload_progress_and_rate);
  fixture_add ("/yunpan/client/upload/cancel-midway", test_cancel_midway);
  g_test_add_func ("/yunpan/client/upload/overlaps-wrong-proof", test_upload_overlaps_wrong_proof);

  return g_test_run ();
}
