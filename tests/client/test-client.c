/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The client library against a real server (nginx + spawn-fcgi +
 * yunpan-server started by yunpan-server-run).
 */
#include <fcntl.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gio/gunixinputstream.h>
#include <glib/gstdio.h>

#include "yp-client-error.h"
#include "yp-client-private.h"
#include "yp-client.h"
#include "yp-enum-types.h"
#include "yp-event-stream.h"
#include "yp-hash.h"
#include "yp-transfer-private.h"
#include "yp-transfer-queue.h"
#include "yp-test-server.h"

#define PASSWORD "correct horse battery"

typedef struct
{
  YpTestServer *server;
  YpClient     *client;
  char         *dir;
} Fixture;

static YpClient *
new_user (YpTestServer *server,
          const char   *username)
{
  g_autoptr(YpClient) client = yp_client_new (server->url);
  g_autoptr(GError) error = NULL;

  g_assert_true (yp_client_register_sync (client, username, PASSWORD, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (yp_client_login_sync (client, username, PASSWORD, NULL, &error));
  g_assert_no_error (error);
  return g_steal_pointer (&client);
}

static void
fixture_set_up (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  f->server = yp_test_server_start ();
  f->client = new_user (f->server, "alice");
  f->dir = g_dir_make_tmp ("yp-client-files-XXXXXX", &error);
  g_assert_no_error (error);
}

/*
 * Drops the last reference to OBJECT and checks it is finalized. A worker
 * thread of a finished GTask may still hold the task, and through it its
 * source object, for a moment after the callback ran: wait for that, and
 * fail only on a reference that stays.
 */
static void
assert_released (GObject *object)
{
  gpointer weak = object;

  g_object_add_weak_pointer (object, &weak);
  g_object_unref (object);
  for (int i = 0; i < 5000 && weak != NULL; i++)
    {
      if (!g_main_context_iteration (NULL, FALSE))
        g_usleep (1000);
    }
  g_assert_null (weak);
}

static void
fixture_tear_down (Fixture       *f,
                   gconstpointer  data)
{
  g_autoptr(GDir) dir = g_dir_open (f->dir, 0, NULL);
  const char *name;

  while (dir && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_build_filename (f->dir, name, NULL);

      g_unlink (path);
    }
  g_rmdir (f->dir);
  g_free (f->dir);
  assert_released (G_OBJECT (f->client));
  yp_test_server_stop (f->server);
}

/* Writes LEN bytes derived from SEED to DIR/NAME; returns the path. */
static char *
make_file (const char *dir,
           const char *name,
           gsize       len,
           guint32     seed,
           char        sha256[65])
{
  g_autofree guint8 *bytes = g_malloc (len + 1);
  g_autoptr(GRand) rand = g_rand_new_with_seed (seed);
  g_autoptr(GError) error = NULL;
  char *path = g_build_filename (dir, name, NULL);

  for (gsize i = 0; i < len; i++)
    bytes[i] = (guint8) g_rand_int (rand);
  g_file_set_contents (path, (const char *) bytes, (gssize) len, &error);
  g_assert_no_error (error);
  if (sha256 != NULL)
    yp_sha256_hex (bytes, len, sha256);
  return path;
}

static void
assert_same_file (const char *a,
                  const char *b)
{
  g_autofree char *da = NULL, *db = NULL;
  gsize la = 0, lb = 0;

  g_assert_true (g_file_get_contents (a, &da, &la, NULL));
  g_assert_true (g_file_get_contents (b, &db, &lb, NULL));
  g_assert_cmpmem (da, la, db, lb);
}

/* Lets the transfers' notifications run, as a main loop would. */
static void
flush_main_context (void)
{
  while (g_main_context_iteration (NULL, FALSE))
    ;
}

static YpTransfer *
upload (YpClient   *client,
        const char *local,
        const char *remote,
        GError    **error)
{
  YpTransfer *transfer = yp_transfer_new_upload (local, remote, 0);

  yp_client_upload_sync (client, transfer, error);
  flush_main_context ();
  return transfer;
}

static YpTransfer *
download (YpClient   *client,
          const char *remote,
          const char *local,
          GError    **error)
{
  YpTransfer *transfer = yp_transfer_new_download (remote, local);

  yp_client_download_sync (client, transfer, error);
  flush_main_context ();
  return transfer;
}

static void
test_account (Fixture       *f,
              gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(YpClient) other = yp_client_new (f->server->url);
  gint64 cursor = -1;

  g_assert_true (yp_client_whoami_sync (f->client, &cursor, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (yp_client_get_username (f->client), ==, "alice");
  g_assert_cmpint (cursor, >=, 1);

  g_assert_false (yp_client_login_sync (other, "alice", "wrong password", NULL, &error));
  g_assert_error (error, YP_CLIENT_ERROR, YP_CLIENT_ERROR_INVALID_CREDENTIALS);
  g_clear_error (&error);
  g_assert_false (yp_client_register_sync (other, "ALICE", PASSWORD, NULL, &error));
  g_assert_error (error, YP_CLIENT_ERROR, YP_CLIENT_ERROR_EXISTS);
  g_clear_error (&error);

  g_assert_true (yp_client_logout_sync (f->client, NULL, &error));
  g_assert_no_error (error);
  g_assert_null (yp_client_dup_token (f->client));
  g_assert_false (yp_client_whoami_sync (f->client, NULL, NULL, &error));
  g_assert_error (error, YP_CLIENT_ERROR, YP_CLIENT_ERROR_AUTH_EXPIRED);
}

static void
test_tree (Fixture       *f,
           gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(YpNode) folder = NULL;
  g_autoptr(YpNode) moved = NULL;
  g_autoptr(YpListing) listing = NULL;
  YpListOptions options = { .sort = YP_SORT_NAME, .descending = TRUE };

  folder = yp_client_mkdir_sync (f->client, "/a/b/c", TRUE, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (yp_node_is_folder (folder));
  g_assert_cmpstr (yp_node_get_path (folder), ==, "/a/b/c");
  g_clear_object (&folder);
  folder = yp_client_mkdir_sync (f->client, "/a/z", FALSE, NULL, &error);
  g_assert_no_error (error);

  listing = yp_client_list_sync (f->client, "/a", &options, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (listing->total, ==, 2);
  g_assert_cmpstr (yp_node_get_name (g_ptr_array_index (listing->entries, 0)), ==, "z");

  /* a stale version is refused and changes nothing */
  g_assert_null (yp_client_move_sync (f->client, "/a/z", "/a/y", yp_node_get_version (folder) + 100,
                                      NULL, &error));
  g_assert_error (error, YP_CLIENT_ERROR, YP_CLIENT_ERROR_CONFLICT);
  g_clear_error (&error);
  moved = yp_client_move_sync (f->client, "/a/z", "/a/b/y", yp_node_get_version (folder),
                               NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (yp_node_get_path (moved), ==, "/a/b/y");
  g_assert_cmpint (yp_node_get_version (moved), >, yp_node_get_version (folder));

  g_assert_true (yp_client_delete_sync (f->client, "/a", 0, NULL, &error));
  g_assert_no_error (error);
  g_assert_null (yp_client_stat_sync (f->client, "/a/b/y", NULL, &error));
  g_assert_error (error, YP_CLIENT_ERROR, YP_CLIENT_ERROR_NOT_FOUND);
}

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

/*
 * nginx logs a request after answering it: a client can see the answer
 * before the line is written. A request sent now is logged after every
 * request that was answered before it, so waiting for its line makes the
 * log complete up to here.
 */
static void
log_barrier (Fixture *f)
{
  g_autoptr(GError) error = NULL;
  guint before = 0, now = 0;

  yp_test_server_request_bytes (f->server, "GET /api/v1/account/whoami", &before);
  g_assert_true (yp_client_whoami_sync (f->client, NULL, NULL, &error));
  g_assert_no_error (error);
  for (int i = 0; i < 200 && now <= before; i++)
    {
      g_usleep (G_USEC_PER_SEC / 100);
      yp_test_server_request_bytes (f->server, "GET /api/v1/account/whoami", &now);
    }
  g_assert_cmpuint (now, >, before);
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
  _yp_transfer_set_limiter (transfer, limiter);
  writer = g_thread_new ("rewrite", rewrite_later, &rw);
  g_assert_true (yp_client_upload_sync (f->client, transfer, &error));
  g_assert_no_error (error);
  g_thread_join (writer);
  flush_main_context ();

  /* never a torn mix: what the server stored is the new file, whole */
  g_assert_cmpstr (yp_node_get_sha256 (yp_transfer_get_node (transfer)), ==, expected_sha);
}

static void
test_download_resume_and_verify (Fixture       *f,
                                 gconstpointer  data)
{
  const gsize size = 3 * 1024 * 1024;
  g_autoptr(GError) error = NULL;
  g_autofree char *local = make_file (f->dir, "big.bin", size, 9, NULL);
  g_autofree char *target = g_build_filename (f->dir, "copy.bin", NULL);
  g_autofree char *part = g_build_filename (f->dir, ".copy.bin.yunpan-part", NULL);
  g_autofree char *content = NULL;
  g_autoptr(YpTransfer) up = upload (f->client, local, "/big.bin", &error);
  g_autoptr(YpTransfer) down = NULL;
  g_autofree char *log = NULL;
  g_autofree char *log_path = g_build_filename (f->server->data_dir, "log", "access.log", NULL);
  gsize len;

  g_assert_no_error (error);
  g_assert_true (g_file_get_contents (local, &content, &len, NULL));

  /* an earlier, interrupted download left the first megabyte */
  g_file_set_contents (part, content, 1024 * 1024, &error);
  g_assert_no_error (error);
  down = download (f->client, "/big.bin", target, &error);
  g_assert_no_error (error);
  assert_same_file (local, target);
  g_assert_false (g_file_test (part, G_FILE_TEST_EXISTS));
  g_assert_true (g_file_get_contents (log_path, &log, NULL, NULL));
  g_assert_nonnull (strstr (log, "\"GET /api/v1/files/download?path=/big.bin HTTP/1.1\" 206"));

  /* a corrupt leftover is caught by the hash check; the target stays as it was */
  g_clear_object (&down);
  g_unlink (target);
  content[10] ^= 0xff;
  g_file_set_contents (part, content, 1024 * 1024, &error);
  g_assert_no_error (error);
  down = download (f->client, "/big.bin", target, &error);
  g_assert_error (error, YP_CLIENT_ERROR, YP_CLIENT_ERROR_HASH_MISMATCH);
  g_assert_cmpint (yp_transfer_get_state (down), ==, YP_TRANSFER_FAILED);
  g_assert_false (g_file_test (target, G_FILE_TEST_EXISTS));
  g_assert_false (g_file_test (part, G_FILE_TEST_EXISTS));
}

#define MIB (1024 * 1024)

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
  _yp_transfer_set_limiter (transfer, limiter);
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
  YpTransfer *transfer;
  gboolean    stop;
  gboolean    monotonic;
  guint64     last;
  guint       samples;
} Sampler;

static gpointer
sample_progress (gpointer data)
{
  Sampler *s = data;

  while (!g_atomic_int_get (&s->stop))
    {
      guint64 done = yp_transfer_get_bytes_done (s->transfer);

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
  _yp_transfer_set_limiter (transfer, limiter);
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

static gpointer
cancel_later (gpointer data)
{
  g_usleep (G_USEC_PER_SEC);
  g_cancellable_cancel (data);
  return NULL;
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
  _yp_transfer_set_limiter (transfer, limiter);
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
  g_assert_null (yp_client_stat_sync (f->client, "/stopped.bin", NULL, &error));
  g_assert_error (error, YP_CLIENT_ERROR, YP_CLIENT_ERROR_NOT_FOUND);
  log_barrier (f);
  yp_test_server_request_bytes (f->server, "DELETE /api/v1/uploads/", &deletes);
  g_assert_cmpuint (deletes, ==, 1);
}

static void
on_finished (YpTransfer *transfer,
             guint      *remaining)
{
  (*remaining)--;
}

static void
test_queue (Fixture       *f,
            gconstpointer  data)
{
  g_autoptr(YpTransferQueue) queue = yp_transfer_queue_new (f->client);
  guint remaining = 4;

  yp_transfer_queue_set_max_concurrent (queue, 2);
  for (guint i = 0; i < 4; i++)
    {
      g_autofree char *name = g_strdup_printf ("q%u.bin", i);
      g_autofree char *remote = g_strconcat ("/", name, NULL);
      g_autofree char *local = make_file (f->dir, name, 200000 + i, 20 + i, NULL);
      g_autoptr(YpTransfer) transfer = yp_transfer_new_upload (local, remote, 0);

      g_signal_connect (transfer, "finished", G_CALLBACK (on_finished), &remaining);
      yp_transfer_queue_add (queue, transfer);
    }
  while (remaining > 0)
    g_main_context_iteration (NULL, TRUE);

  g_assert_cmpuint (g_list_model_get_n_items (yp_transfer_queue_get_transfers (queue)), ==, 4);
  for (guint i = 0; i < 4; i++)
    {
      g_autoptr(YpTransfer) transfer =
        g_list_model_get_item (yp_transfer_queue_get_transfers (queue), i);

      g_assert_cmpint (yp_transfer_get_state (transfer), ==, YP_TRANSFER_DONE);
      g_assert_cmpuint (yp_transfer_get_bytes_done (transfer), ==, 200000 + i);
      g_assert_cmpuint (yp_transfer_get_total_bytes (transfer), ==, 200000 + i);
    }
}

static void
test_cancel (Fixture       *f,
             gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *local = make_file (f->dir, "slow.bin", 1024 * 1024, 5, NULL);
  g_autoptr(YpTransfer) transfer = yp_transfer_new_upload (local, "/slow.bin", 0);
  g_autoptr(YpRateLimiter) limiter = yp_rate_limiter_new (100 * 1024);

  _yp_transfer_set_limiter (transfer, limiter);
  g_cancellable_cancel (yp_transfer_get_cancellable (transfer));
  g_assert_false (yp_client_upload_sync (f->client, transfer, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  flush_main_context ();
  g_assert_cmpint (yp_transfer_get_state (transfer), ==, YP_TRANSFER_CANCELLED);
  g_clear_error (&error);
  g_assert_null (yp_client_stat_sync (f->client, "/slow.bin", NULL, &error));
  g_assert_error (error, YP_CLIENT_ERROR, YP_CLIENT_ERROR_NOT_FOUND);
}

static void
store_result (GObject      *source,
              GAsyncResult *result,
              gpointer      data)
{
  *(GAsyncResult **) data = g_object_ref (result);
}

static GAsyncResult *
wait_result (GAsyncResult **slot)
{
  while (*slot == NULL)
    g_main_context_iteration (NULL, TRUE);
  return *slot;
}

/* The asynchronous calls never block the main context and report errors. */
static void
test_async (Fixture       *f,
            gconstpointer  data)
{
  g_autoptr(GAsyncResult) made = NULL, moved = NULL, listed = NULL, missing = NULL, me = NULL;
  g_autoptr(YpNode) folder = NULL, renamed = NULL, none = NULL;
  g_autoptr(YpListing) listing = NULL;
  g_autoptr(GError) error = NULL;
  gint64 cursor = 0;

  yp_client_mkdir_async (f->client, "/async", FALSE, NULL, store_result, &made);
  folder = yp_client_mkdir_finish (f->client, wait_result (&made), &error);
  g_assert_no_error (error);

  yp_client_move_async (f->client, "/async", "/renamed", yp_node_get_version (folder), NULL,
                        store_result, &moved);
  renamed = yp_client_move_finish (f->client, wait_result (&moved), &error);
  g_assert_no_error (error);
  g_assert_cmpstr (yp_node_get_path (renamed), ==, "/renamed");

  yp_client_list_async (f->client, "/", NULL, NULL, store_result, &listed);
  listing = yp_client_list_finish (f->client, wait_result (&listed), &error);
  g_assert_no_error (error);
  g_assert_cmpint (listing->total, ==, 1);

  yp_client_stat_async (f->client, "/async", NULL, store_result, &missing);
  none = yp_client_stat_finish (f->client, wait_result (&missing), &error);
  g_assert_null (none);
  g_assert_error (error, YP_CLIENT_ERROR, YP_CLIENT_ERROR_NOT_FOUND);
  g_clear_error (&error);

  yp_client_whoami_async (f->client, NULL, store_result, &me);
  g_assert_true (yp_client_whoami_finish (f->client, wait_result (&me), &cursor, &error));
  g_assert_no_error (error);
  g_assert_cmpint (cursor, ==, yp_node_get_version (renamed));
}

static void
on_changed (YpEventStream *stream,
            gint64         cursor,
            gint64        *seen)
{
  *seen = MAX (*seen, cursor);
  (*(seen + 1))++;
}

static gboolean
wait_until (gint64  *value,
            gint64   at_least,
            gint64   timeout_us)
{
  gint64 deadline = g_get_monotonic_time () + timeout_us;

  while (*value < at_least && g_get_monotonic_time () < deadline)
    {
      if (!g_main_context_iteration (NULL, FALSE))
        g_usleep (1000);
    }
  return *value >= at_least;
}

/* A change pushes the new cursor within a second, without polling. */
static void
test_events (Fixture       *f,
             gconstpointer  data)
{
  g_autoptr(YpEventStream) stream = yp_event_stream_new (f->client);
  g_autoptr(GError) error = NULL;
  g_autoptr(YpNode) folder = NULL;
  gint64 seen[2] = { 0, 0 };     /* newest cursor, number of signals */
  gint64 start;

  g_signal_connect (stream, "changed", G_CALLBACK (on_changed), seen);
  yp_event_stream_start (stream);
  /* connected: the stream asks for one read of the feed */
  g_assert_true (wait_until (&seen[1], 1, 5 * G_USEC_PER_SEC));

  start = g_get_monotonic_time ();
  folder = yp_client_mkdir_sync (f->client, "/pushed", FALSE, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (wait_until (&seen[0], yp_node_get_version (folder), 5 * G_USEC_PER_SEC));
  g_assert_cmpint (g_get_monotonic_time () - start, <, G_USEC_PER_SEC);

  /* stopping lets go of everything once the cancelled reads come back */
  yp_event_stream_stop (stream);
  g_object_add_weak_pointer (G_OBJECT (stream), (gpointer *) &stream);
  g_object_unref (stream);
  for (int i = 0; i < 5000 && stream != NULL; i++)
    {
      if (!g_main_context_iteration (NULL, FALSE))
        g_usleep (1000);
    }
  g_assert_null (stream);
}

static void
test_unreachable (void)
{
  YpRetryPolicy fast = { 3, 10, 20 };
  g_autoptr(YpClient) client = yp_client_new ("http://127.0.0.1:9");
  g_autoptr(GError) error = NULL;
  g_autoptr(YpNode) node = NULL;

  yp_client_set_retry_policy (client, &fast);
  node = yp_client_stat_sync (client, "/", NULL, &error);
  g_assert_null (node);
  g_assert_error (error, YP_CLIENT_ERROR, YP_CLIENT_ERROR_NETWORK);
}

/* ------------------------------------------------------------------------
 * The request layer: the protocol's error codes, retries that are safe,
 * cancelled calls, connection limits
 * ------------------------------------------------------------------------ */

/* The server's code and members reach the caller, not just a category. */
static void
test_request_error_codes (Fixture       *f,
                          gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(YpNode) folder = NULL;
  g_autoptr(YpTransfer) transfer = NULL;
  g_autofree char *local = make_file (f->dir, "f", 100, 1, NULL);
  gint64 version = 0;

  folder = yp_client_mkdir_sync (f->client, "/a", FALSE, NULL, &error);
  g_assert_no_error (error);

  g_assert_null (yp_client_mkdir_sync (f->client, "/a", FALSE, NULL, &error));
  g_assert_error (error, YP_CLIENT_ERROR, YP_CLIENT_ERROR_EXISTS);
  g_assert_cmpint (yp_client_error_get_status (error), ==, YP_STATUS_EXISTS);
  g_assert_cmpuint (yp_client_error_get_http_status (error), ==, 409);
  g_clear_error (&error);

  g_assert_null (yp_client_move_sync (f->client, "/a", "/b", yp_node_get_version (folder) + 7,
                                      NULL, &error));
  g_assert_cmpint (yp_client_error_get_status (error), ==, YP_STATUS_CONFLICT);
  g_assert_true (yp_client_error_get_version (error, &version));
  g_assert_cmpint (version, ==, yp_node_get_version (folder));
  g_clear_error (&error);

  transfer = upload (f->client, local, "/f", &error);
  g_assert_no_error (error);
  g_assert_null (yp_client_mkdir_sync (f->client, "/f/x", FALSE, NULL, &error));
  g_assert_cmpint (yp_client_error_get_status (error), ==, YP_STATUS_NOT_A_FOLDER);
  g_clear_error (&error);

  /* an answer that is no protocol error keeps its HTTP status alone */
  g_assert_null (_yp_client_call (f->client, "GET", "/no/such/endpoint", NULL, NULL, NULL,
                                  &error));
  g_assert_error (error, YP_CLIENT_ERROR, YP_CLIENT_ERROR_NOT_FOUND);
  g_assert_cmpuint (yp_client_error_get_http_status (error), ==, 404);
}

/*
 * A TCP proxy in front of nginx that can lose one answer: the request
 * reaches the server, which does what it asks, and the connection closes
 * before the client reads a byte of the reply.
 */
typedef struct
{
  GSocketListener *listener;
  GCancellable    *cancellable;
  GThread         *thread;
  GPtrArray       *pumps;
  GMutex           mutex;
  guint16          upstream_port;
  char            *url;
  char            *lose_answer_to;   /* the request line's start */
  gint             lost;
} Proxy;

typedef struct
{
  Proxy             *proxy;
  GSocketConnection *down;
} Pump;

static gboolean
send_all (int         fd,
          const char *buf,
          gssize      len)
{
  while (len > 0)
    {
      gssize n = send (fd, buf, (size_t) len, MSG_NOSIGNAL);

      if (n <= 0)
        return FALSE;
      buf += n;
      len -= n;
    }
  return TRUE;
}

static gpointer
proxy_pump (gpointer data)
{
  Pump *pump = data;
  Proxy *proxy = pump->proxy;
  g_autoptr(GSocketClient) connector = g_socket_client_new ();
  g_autoptr(GSocketConnection) up = g_socket_client_connect_to_host (connector, "127.0.0.1",
                                                                     proxy->upstream_port,
                                                                     NULL, NULL);
  gboolean lose_next = FALSE;
  g_autofree char *buf = g_malloc (65536);

  while (up != NULL && !g_cancellable_is_cancelled (proxy->cancellable))
    {
      struct pollfd fds[2] = {
        { g_socket_get_fd (g_socket_connection_get_socket (pump->down)), POLLIN, 0 },
        { g_socket_get_fd (g_socket_connection_get_socket (up)), POLLIN, 0 },
      };
      gssize len;

      if (poll (fds, 2, 100) <= 0)
        continue;
      if (fds[0].revents)
        {
          if ((len = recv (fds[0].fd, buf, 65536, 0)) <= 0)
            break;
          if (proxy->lose_answer_to != NULL && g_atomic_int_get (&proxy->lost) == 0
              && memmem (buf, (size_t) len, proxy->lose_answer_to,
                         strlen (proxy->lose_answer_to)) != NULL)
            lose_next = TRUE;
          if (!send_all (fds[1].fd, buf, len))
            break;
        }
      if (fds[1].revents)
        {
          if ((len = recv (fds[1].fd, buf, 65536, 0)) <= 0)
            break;
          if (lose_next)
            {
              g_atomic_int_inc (&proxy->lost);
              break;
            }
          if (!send_all (fds[0].fd, buf, len))
            break;
        }
    }
  if (up != NULL)
    g_io_stream_close (G_IO_STREAM (up), NULL, NULL);
  g_io_stream_close (G_IO_STREAM (pump->down), NULL, NULL);
  g_object_unref (pump->down);
  g_free (pump);
  return NULL;
}

static gpointer
proxy_accept (gpointer data)
{
  Proxy *proxy = data;
  GSocketConnection *down;

  while ((down = g_socket_listener_accept (proxy->listener, NULL, proxy->cancellable,
                                           NULL)) != NULL)
    {
      Pump *pump = g_new0 (Pump, 1);

      pump->proxy = proxy;
      pump->down = down;
      g_mutex_lock (&proxy->mutex);
      g_ptr_array_add (proxy->pumps, g_thread_new ("proxy-pump", proxy_pump, pump));
      g_mutex_unlock (&proxy->mutex);
    }
  return NULL;
}

static Proxy *
proxy_start (YpTestServer *server,
             const char   *lose_answer_to)
{
  Proxy *proxy = g_new0 (Proxy, 1);
  g_autoptr(GUri) uri = g_uri_parse (server->url, G_URI_FLAGS_NONE, NULL);
  g_autoptr(GError) error = NULL;
  guint16 port;

  g_assert_nonnull (uri);
  proxy->upstream_port = (guint16) g_uri_get_port (uri);
  proxy->lose_answer_to = g_strdup (lose_answer_to);
  proxy->cancellable = g_cancellable_new ();
  proxy->pumps = g_ptr_array_new ();
  g_mutex_init (&proxy->mutex);
  proxy->listener = g_socket_listener_new ();
  port = g_socket_listener_add_any_inet_port (proxy->listener, NULL, &error);
  g_assert_no_error (error);
  proxy->url = g_strdup_printf ("http://127.0.0.1:%u", port);
  proxy->thread = g_thread_new ("proxy-accept", proxy_accept, proxy);
  return proxy;
}

static void
proxy_stop (Proxy *proxy)
{
  g_cancellable_cancel (proxy->cancellable);
  g_thread_join (proxy->thread);
  for (guint i = 0; i < proxy->pumps->len; i++)
    g_thread_join (g_ptr_array_index (proxy->pumps, i));
  g_ptr_array_unref (proxy->pumps);
  g_socket_listener_close (proxy->listener);
  g_object_unref (proxy->listener);
  g_object_unref (proxy->cancellable);
  g_mutex_clear (&proxy->mutex);
  g_free (proxy->lose_answer_to);
  g_free (proxy->url);
  g_free (proxy);
}

/* A move whose answer was lost is sent again with its Idempotency-Key: the
 * server answers the repeat from the first try instead of `not_found`, and
 * the folder moved once. */
static void
test_request_move_answer_lost (Fixture       *f,
                               gconstpointer  data)
{
  YpRetryPolicy fast = { 5, 10, 50 };
  Proxy *proxy = proxy_start (f->server, "POST " YP_API_PREFIX "/files/move");
  g_autoptr(YpClient) client = yp_client_new (proxy->url);
  g_autofree char *token = yp_client_dup_token (f->client);
  g_autoptr(GError) error = NULL;
  g_autoptr(YpNode) folder = NULL;
  g_autoptr(YpNode) moved = NULL;
  g_autoptr(YpChanges) changes = NULL;
  g_autoptr(GPtrArray) moves = NULL;
  guint n_moves = 0;

  yp_client_set_token (client, token);
  yp_client_set_retry_policy (client, &fast);
  folder = yp_client_mkdir_sync (client, "/a", FALSE, NULL, &error);
  g_assert_no_error (error);

  moved = yp_client_move_sync (client, "/a", "/b", 0, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (yp_node_get_path (moved), ==, "/b");
  g_assert_cmpint (g_atomic_int_get (&proxy->lost), ==, 1);

  /* both tries reached the server, and the second changed nothing */
  moves = yp_test_server_wait_log_lines (f->server, "/files/move", 2);
  g_assert_cmpuint (moves->len, ==, 2);
  changes = yp_client_changes_sync (f->client, 0, 0, NULL, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < changes->changes->len; i++)
    if (((YpChange *) g_ptr_array_index (changes->changes, i))->op == YP_CHANGE_MOVE)
      n_moves++;
  g_assert_cmpuint (n_moves, ==, 1);

  assert_released (G_OBJECT (g_steal_pointer (&client)));
  proxy_stop (proxy);
}

typedef struct
{
  gboolean  done;
  gboolean  ok;
  GError   *error;
} LoginResult;

static void
login_done_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      data)
{
  LoginResult *r = data;

  r->ok = yp_client_login_finish (YP_CLIENT (source), result, &r->error);
  r->done = TRUE;
}

/* A login cancelled after the server made the session reports it: the
 * caller gets the token it now holds, and can store it or log it out. */
static void
test_request_login_cancelled (Fixture       *f,
                              gconstpointer  data)
{
  g_autoptr(YpClient) client = yp_client_new (f->server->url);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *token = NULL;
  LoginResult r = { 0 };

  yp_client_login_async (client, "alice", PASSWORD, cancellable, login_done_cb, &r);
  /* the worker has the answer once the token is set; the callback cannot
   * run before this context is iterated */
  for (int i = 0; i < 10000 && (token = yp_client_dup_token (client)) == NULL; i++)
    g_usleep (1000);
  g_assert_nonnull (token);
  g_cancellable_cancel (cancellable);
  while (!r.done)
    g_main_context_iteration (NULL, TRUE);
  g_assert_no_error (r.error);
  g_assert_true (r.ok);
  g_assert_true (yp_client_whoami_sync (client, NULL, NULL, &error));
  g_assert_no_error (error);

  /* cancelled before it was sent: no session, no token */
  yp_client_set_token (client, NULL);
  g_assert_false (yp_client_login_sync (client, "alice", PASSWORD, cancellable, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_null (yp_client_dup_token (client));

  assert_released (G_OBJECT (g_steal_pointer (&client)));
}

typedef struct
{
  YpClient     *client;
  char         *upload_id;
  guint64       size;
  GCancellable *cancellable;
  int           pipe_fds[2];
  GThread      *thread;
} HeldChunk;

/* Sends a chunk whose body never comes, so that it holds its connection. */
static gpointer
held_chunk_send (gpointer data)
{
  HeldChunk *held = data;
  g_autofree char *api_path = g_strdup_printf ("/uploads/%s", held->upload_id);
  g_autoptr(SoupMessage) msg = _yp_client_new_message (held->client, "PUT", api_path, "offset=0");
  g_autoptr(GInputStream) body = g_unix_input_stream_new (held->pipe_fds[0], FALSE);
  g_autoptr(GBytes) reply = NULL;

  soup_message_set_request_body (msg, "application/octet-stream", body, (gssize) held->size);
  reply = soup_session_send_and_read (_yp_client_get_session (held->client), msg,
                                      held->cancellable, NULL);
  return NULL;
}

typedef struct
{
  GCancellable *done;      /* the call is over */
  HeldChunk    *held;      /* let go when it took too long */
  guint         n_held;
} Deadline;

/* A call queued for a connection does not see its cancellable: letting the
 * held chunks go is what frees one, so that the test fails instead of
 * hanging. */
static gpointer
deadline_thread (gpointer data)
{
  Deadline *d = data;

  if (_yp_sleep_cancellable (10000, d->done, NULL))
    for (guint i = 0; i < d->n_held; i++)
      g_cancellable_cancel (d->held[i].cancellable);
  return NULL;
}

/* A listing is never queued behind uploads: with every upload of a busy
 * transfer queue holding its connections (two chunks each), a list call
 * still gets one at once. */
static void
test_request_list_beside_uploads (Fixture       *f,
                                  gconstpointer  data)
{
  enum { UPLOADS = 6, CHUNKS_EACH = 2 };
  HeldChunk held[UPLOADS * CHUNKS_EACH];
  g_autoptr(GError) error = NULL;
  g_autoptr(YpListing) listing = NULL;
  g_autoptr(GCancellable) done = g_cancellable_new ();
  Deadline d = { done, held, G_N_ELEMENTS (held) };
  GThread *timer;
  gint64 start;

  for (guint u = 0; u < UPLOADS; u++)
    {
      g_autoptr(JsonObject) body = json_object_new ();
      g_autoptr(JsonObject) reply = NULL;
      g_autofree char *path = g_strdup_printf ("/big-%u", u);
      char sha256[65];
      guint64 size = 1 << 20;

      memset (sha256, 'a' + (char) u, 64);
      sha256[64] = '\0';
      json_object_set_string_member (body, "path", path);
      json_object_set_int_member (body, "size", (gint64) size);
      json_object_set_string_member (body, "sha256", sha256);
      reply = _yp_client_call (f->client, "POST", "/uploads", NULL, body, NULL, &error);
      g_assert_no_error (error);
      for (guint c = 0; c < CHUNKS_EACH; c++)
        {
          HeldChunk *h = &held[u * CHUNKS_EACH + c];

          h->client = f->client;
          h->upload_id = g_strdup (json_object_get_string_member (
                                     json_object_get_object_member (reply, "upload"), "id"));
          h->size = size;
          h->cancellable = g_cancellable_new ();
          g_assert_cmpint (pipe (h->pipe_fds), ==, 0);
          h->thread = g_thread_new ("held-chunk", held_chunk_send, h);
        }
    }

  /* time for every held chunk to take its connection */
  g_usleep (500 * G_TIME_SPAN_MILLISECOND);

  /* fail rather than hang when the list call is queued */
  timer = g_thread_new ("deadline", deadline_thread, &d);
  start = g_get_monotonic_time ();
  listing = yp_client_list_sync (f->client, "/", NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (listing);
  g_assert_cmpint (g_get_monotonic_time () - start, <, 5 * G_TIME_SPAN_SECOND);
  g_cancellable_cancel (done);
  g_thread_join (timer);

  for (guint i = 0; i < G_N_ELEMENTS (held); i++)
    {
      g_cancellable_cancel (held[i].cancellable);
      g_thread_join (held[i].thread);
      close (held[i].pipe_fds[0]);
      close (held[i].pipe_fds[1]);
      g_object_unref (held[i].cancellable);
      g_free (held[i].upload_id);
    }
}

typedef struct
{
  HeldChunk *held;
  guint      n_held;
  guint      after_ms;
} LetGo;

static gpointer
let_go_later (gpointer data)
{
  LetGo *let_go = data;

  g_usleep (let_go->after_ms * G_TIME_SPAN_MILLISECOND);
  for (guint i = 0; i < let_go->n_held; i++)
    g_cancellable_cancel (let_go->held[i].cancellable);
  return NULL;
}

/* `429 rate_limited` is tried again, after the Retry-After the server gave
 * rather than the (here much shorter) backoff. nginx refuses a fourth chunk
 * in flight for one upload with it; the first three let go soon after. */
static void
test_request_rate_limited_retried (Fixture       *f,
                                   gconstpointer  data)
{
  YpRetryPolicy fast = { 3, 10, 20 };
  g_autoptr(JsonObject) body = json_object_new ();
  g_autoptr(JsonObject) reply = NULL;
  g_autoptr(JsonObject) third = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) tries = NULL;
  g_autofree char *api_path = NULL;
  HeldChunk held[3];
  LetGo let_go = { held, G_N_ELEMENTS (held), 300 };
  GThread *thread;
  gint64 start;
  char sha256[65];

  memset (sha256, 'b', 64);
  sha256[64] = '\0';
  json_object_set_string_member (body, "path", "/big");
  json_object_set_int_member (body, "size", 1 << 20);
  json_object_set_string_member (body, "sha256", sha256);
  reply = _yp_client_call (f->client, "POST", "/uploads", NULL, body, NULL, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < G_N_ELEMENTS (held); i++)
    {
      held[i].client = f->client;
      held[i].upload_id = g_strdup (json_object_get_string_member (
                                      json_object_get_object_member (reply, "upload"), "id"));
      held[i].size = 1 << 20;
      held[i].cancellable = g_cancellable_new ();
      g_assert_cmpint (pipe (held[i].pipe_fds), ==, 0);
      held[i].thread = g_thread_new ("held-chunk", held_chunk_send, &held[i]);
    }
  g_usleep (300 * G_TIME_SPAN_MILLISECOND);

  yp_client_set_retry_policy (f->client, &fast);
  api_path = g_strdup_printf ("/uploads/%s", held[0].upload_id);
  thread = g_thread_new ("let-go", let_go_later, &let_go);
  start = g_get_monotonic_time ();
  third = _yp_client_call (f->client, "PUT", api_path, "offset=0", NULL, NULL, &error);
  /* what the application says about an empty chunk does not matter here */
  g_assert_false (g_error_matches (error, YP_CLIENT_ERROR, YP_CLIENT_ERROR_RATE_LIMITED));
  g_assert_cmpint (g_get_monotonic_time () - start, >=, G_TIME_SPAN_SECOND);
  g_thread_join (thread);

  tries = yp_test_server_wait_log_lines (f->server, api_path, 2);
  g_assert_cmpuint (tries->len, >=, 2);   /* the 429 and the retry */
  for (guint i = 0; i < G_N_ELEMENTS (held); i++)
    {
      g_thread_join (held[i].thread);
      close (held[i].pipe_fds[0]);
      close (held[i].pipe_fds[1]);
      g_object_unref (held[i].cancellable);
      g_free (held[i].upload_id);
    }
}

/* A host name that does not resolve and a connection that is not secure
 * are told apart from a server that does not answer. */
static void
test_request_resolve_and_tls (Fixture       *f,
                              gconstpointer  data)
{
  YpRetryPolicy fast = { 2, 10, 20 };
  g_autoptr(YpClient) nowhere = yp_client_new ("http://no-such-host.invalid");
  g_autofree char *https = NULL;
  g_autoptr(YpClient) insecure = NULL;
  g_autoptr(GError) error = NULL;

  yp_client_set_retry_policy (nowhere, &fast);
  g_assert_null (yp_client_stat_sync (nowhere, "/", NULL, &error));
  g_assert_error (error, YP_CLIENT_ERROR, YP_CLIENT_ERROR_RESOLVE);
  g_clear_error (&error);

  /* TLS spoken to a plain HTTP port */
  g_assert_true (g_str_has_prefix (f->server->url, "http://"));
  https = g_strconcat ("https://", f->server->url + strlen ("http://"), NULL);
  insecure = yp_client_new (https);
  yp_client_set_retry_policy (insecure, &fast);
  g_assert_null (yp_client_stat_sync (insecure, "/", NULL, &error));
  g_assert_error (error, YP_CLIENT_ERROR, YP_CLIENT_ERROR_TLS);
  g_assert_false (yp_client_error_is_transient (error));
}

/* A password change whose answer was lost is sent again with its key: the
 * repeat gets the first answer, where a plain repeat would be refused
 * (the old password is no longer the password) and count as a failure. */
static void
test_request_password_answer_lost (Fixture       *f,
                                   gconstpointer  data)
{
  YpRetryPolicy fast = { 5, 10, 50 };
  Proxy *proxy = proxy_start (f->server, "POST " YP_API_PREFIX "/account/password");
  g_autoptr(YpClient) client = yp_client_new (proxy->url);
  g_autoptr(YpClient) other = yp_client_new (f->server->url);
  g_autofree char *token = yp_client_dup_token (f->client);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) tries = NULL;

  yp_client_set_token (client, token);
  yp_client_set_retry_policy (client, &fast);
  g_assert_true (yp_client_change_password_sync (client, PASSWORD, "a new battery staple",
                                                 NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (g_atomic_int_get (&proxy->lost), ==, 1);
  tries = yp_test_server_wait_log_lines (f->server, "/account/password", 2);
  g_assert_cmpuint (tries->len, ==, 2);

  g_assert_false (yp_client_login_sync (other, "alice", PASSWORD, NULL, &error));
  g_assert_error (error, YP_CLIENT_ERROR, YP_CLIENT_ERROR_INVALID_CREDENTIALS);
  g_clear_error (&error);
  g_assert_true (yp_client_login_sync (other, "alice", "a new battery staple", NULL, &error));
  g_assert_no_error (error);

  /* logging out everywhere ends the other session too */
  g_assert_true (yp_client_logout_all_sync (client, NULL, &error));
  g_assert_no_error (error);
  g_assert_null (yp_client_dup_token (client));
  g_assert_false (yp_client_whoami_sync (other, NULL, NULL, &error));
  g_assert_error (error, YP_CLIENT_ERROR, YP_CLIENT_ERROR_AUTH_EXPIRED);

  assert_released (G_OBJECT (g_steal_pointer (&client)));
  proxy_stop (proxy);
}

/* Downloads that replace only what their caller expects. */

static guint
count_entries (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  guint n = 0;

  g_assert_nonnull (dir);
  while (g_dir_read_name (dir) != NULL)
    n++;
  return n;
}

static YpTransfer *
download_with (YpClient                *client,
               const char              *remote,
               const char              *local,
               const YpDownloadOptions *options,
               YpRateLimiter           *limiter,
               GError                 **error)
{
  YpTransfer *transfer = yp_transfer_new_download_full (remote, local, options);

  if (limiter != NULL)
    _yp_transfer_set_limiter (transfer, limiter);
  yp_client_download_sync (client, transfer, error);
  flush_main_context ();
  return transfer;
}

static void
assert_contents (const char *path,
                 const char *expected)
{
  g_autofree char *content = NULL;

  g_assert_true (g_file_get_contents (path, &content, NULL, NULL));
  g_assert_cmpstr (content, ==, expected);
}

/* A remote file other than the one expected fails before anything is
 * written; the expected one is downloaded. */
static void
test_download_expected_remote (Fixture       *f,
                               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  char sha[65];
  g_autofree char *local = make_file (f->dir, "remote.bin", 300 * 1024, 51, sha);
  g_autofree char *target = g_build_filename (f->dir, "target.bin", NULL);
  g_autoptr(YpTransfer) up = upload (f->client, local, "/remote.bin", &error);
  gint64 version = yp_node_get_version (yp_transfer_get_node (up));
  YpDownloadOptions options = { .expected_sha256 = "0000000000000000000000000000000000000000000000000000000000000000" };
  g_autoptr(YpTransfer) down = NULL;

  g_assert_no_error (error);
  g_file_set_contents (target, "mine", -1, &error);
  g_assert_no_error (error);

  down = download_with (f->client, "/remote.bin", target, &options, NULL, &error);
  g_assert_error (error, YP_CLIENT_ERROR, YP_CLIENT_ERROR_CONFLICT);
  g_assert_cmpint (yp_transfer_get_state (down), ==, YP_TRANSFER_FAILED);
  assert_contents (target, "mine");
  g_assert_cmpuint (count_entries (f->dir), ==, 2);
  g_clear_error (&error);
  g_clear_object (&down);

  options.expected_sha256 = sha;
  options.expected_version = version + 1;
  down = download_with (f->client, "/remote.bin", target, &options, NULL, &error);
  g_assert_error (error, YP_CLIENT_ERROR, YP_CLIENT_ERROR_CONFLICT);
  assert_contents (target, "mine");
  g_assert_cmpuint (count_entries (f->dir), ==, 2);
  g_clear_error (&error);
  g_clear_object (&down);

  options.expected_version = version;
  down = download_with (f->client, "/remote.bin", target, &options, NULL, &error);
  g_assert_no_error (error);
  assert_same_file (local, target);
}

/* The part file lives in the staging folder, never beside the target, and
 * a download resumes from it. */
static void
test_download_staging_dir (Fixture       *f,
                           gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *local = make_file (f->dir, "staged.bin", 4 * MIB, 52, NULL);
  g_autofree char *staging = g_build_filename (f->dir, "staging", NULL);
  g_autofree char *tree = g_build_filename (f->dir, "tree", NULL);
  g_autofree char *target = g_build_filename (tree, "staged.bin", NULL);
  g_autoptr(YpTransfer) up = upload (f->client, local, "/staged.bin", &error);
  g_autoptr(YpRateLimiter) limiter = yp_rate_limiter_new (MIB);
  YpDownloadOptions options = { .staging_dir = staging };
  g_autoptr(YpTransfer) down = yp_transfer_new_download_full ("/staged.bin", target, &options);
  g_autoptr(GPtrArray) resumed = NULL;
  GThread *canceller;

  g_assert_no_error (error);
  g_assert_cmpint (g_mkdir (staging, 0700), ==, 0);
  g_assert_cmpint (g_mkdir (tree, 0700), ==, 0);

  _yp_transfer_set_limiter (down, limiter);
  canceller = g_thread_new ("cancel", cancel_later, yp_transfer_get_cancellable (down));
  g_assert_false (yp_client_download_sync (f->client, down, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_thread_join (canceller);
  flush_main_context ();
  g_clear_error (&error);
  g_clear_object (&down);
  g_assert_cmpuint (count_entries (tree), ==, 0);
  g_assert_cmpuint (count_entries (staging), ==, 1);

  down = download_with (f->client, "/staged.bin", target, &options, NULL, &error);
  g_assert_no_error (error);
  assert_same_file (local, target);
  g_assert_cmpuint (count_entries (tree), ==, 1);
  g_assert_cmpuint (count_entries (staging), ==, 0);
  log_barrier (f);
  resumed = yp_test_server_log_lines (f->server,
                                      "\"GET /api/v1/files/download?path=/staged.bin HTTP/1.1\" 206");
  g_assert_cmpuint (resumed->len, ==, 1);

  g_unlink (target);
  g_rmdir (tree);
  g_rmdir (staging);
}

typedef struct
{
  const char *path;
  const char *content;
} LocalEdit;

static gpointer
edit_later (gpointer data)
{
  LocalEdit *edit = data;
  int fd;

  g_usleep (G_USEC_PER_SEC / 2);
  /* in place, as an editor saving over the file would: same inode */
  fd = g_open (edit->path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  g_assert_cmpint (fd, >=, 0);
  g_assert_cmpint (write (fd, edit->content, strlen (edit->content)), ==,
                   (gssize) strlen (edit->content));
  close (fd);
  return NULL;
}

/* A local file edited or created while the download ran survives it, and
 * the download says so; one left alone is replaced. */
static void
test_download_keeps_local_edit (Fixture       *f,
                                gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *local = make_file (f->dir, "slow.bin", 3 * MIB, 53, NULL);
  g_autofree char *target = g_build_filename (f->dir, "edited.txt", NULL);
  g_autofree char *fresh = g_build_filename (f->dir, "fresh.txt", NULL);
  g_autoptr(YpTransfer) up = upload (f->client, local, "/slow.bin", &error);
  g_autoptr(YpRateLimiter) limiter = yp_rate_limiter_new (2 * MIB);
  YpDownloadOptions options = { 0 };
  LocalEdit edit = { target, "edited during the download" };
  g_autoptr(YpTransfer) down = NULL;
  GThread *editor;

  g_assert_no_error (error);
  g_file_set_contents (target, "as listed", -1, &error);
  g_assert_no_error (error);
  g_assert_true (yp_download_options_set_local_identity (&options, target, &error));
  g_assert_no_error (error);

  editor = g_thread_new ("edit", edit_later, &edit);
  down = download_with (f->client, "/slow.bin", target, &options, limiter, &error);
  g_thread_join (editor);
  g_assert_error (error, YP_CLIENT_ERROR, YP_CLIENT_ERROR_CHANGED);
  g_assert_nonnull (strstr (error->message, "changed on this computer"));
  g_assert_cmpint (yp_transfer_get_state (down), ==, YP_TRANSFER_FAILED);
  assert_contents (target, edit.content);
  g_clear_error (&error);
  g_clear_object (&down);

  /* a target that must be absent and appears meanwhile is kept too */
  options = (YpDownloadOptions) { .target = YP_DOWNLOAD_TARGET_ABSENT };
  edit = (LocalEdit) { fresh, "created during the download" };
  editor = g_thread_new ("create", edit_later, &edit);
  down = download_with (f->client, "/slow.bin", fresh, &options, limiter, &error);
  g_thread_join (editor);
  g_assert_error (error, YP_CLIENT_ERROR, YP_CLIENT_ERROR_EXISTS);
  assert_contents (fresh, edit.content);
  g_clear_error (&error);
  g_clear_object (&down);

  /* the file as the caller saw it is replaced */
  g_assert_true (yp_download_options_set_local_identity (&options, target, &error));
  down = download_with (f->client, "/slow.bin", target, &options, NULL, &error);
  g_assert_no_error (error);
  assert_same_file (local, target);
}

/* ------------------------------------------------------------------------
 * Transfer queue and transfer lifecycle
 * ------------------------------------------------------------------------ */

static void
count_finished (YpTransfer *transfer,
                guint      *count)
{
  (*count)++;
}

static void
iterate_for (guint ms)
{
  gint64 end = g_get_monotonic_time () + ms * 1000;

  while (g_get_monotonic_time () < end)
    {
      if (!g_main_context_iteration (NULL, FALSE))
        g_usleep (1000);
    }
}

static void
wait_state (YpTransfer      *transfer,
            YpTransferState  state)
{
  for (int i = 0; i < 10000 && yp_transfer_get_state (transfer) != state; i++)
    {
      if (!g_main_context_iteration (NULL, FALSE))
        g_usleep (1000);
    }
  g_assert_cmpint (yp_transfer_get_state (transfer), ==, state);
}

/* Progress that a worker reports after the outcome (a hasher thread that
 * has not noticed the cancellation yet) schedules a timed notification; it
 * must not announce the end a second time. */
static void
test_queue_finished_once (void)
{
  g_autoptr(YpTransfer) transfer = yp_transfer_new_upload ("/nowhere", "/nowhere", 0);
  guint finished = 0;

  g_signal_connect (transfer, "finished", G_CALLBACK (count_finished), &finished);
  _yp_transfer_set_state (transfer, YP_TRANSFER_RUNNING);
  _yp_transfer_set_done (transfer, 10);
  _yp_transfer_finish (transfer, NULL, NULL);
  iterate_for (50);
  g_assert_cmpuint (finished, ==, 1);

  _yp_transfer_set_done (transfer, 20);
  iterate_for (300);
  g_assert_cmpuint (finished, ==, 1);

  /* nor can a late state change undo the outcome */
  _yp_transfer_set_state (transfer, YP_TRANSFER_RUNNING);
  iterate_for (50);
  g_assert_cmpint (yp_transfer_get_state (transfer), ==, YP_TRANSFER_DONE);
  g_assert_cmpuint (finished, ==, 1);
}

/* Adds an upload of SIZE bytes to QUEUE and returns it. */
static YpTransfer *
queue_upload (Fixture         *f,
              YpTransferQueue *queue,
              const char      *name,
              gsize            size)
{
  g_autofree char *local = make_file (f->dir, name, size, g_str_hash (name), NULL);
  g_autofree char *remote = g_strconcat ("/", name, NULL);
  YpTransfer *transfer = yp_transfer_new_upload (local, remote, 0);

  yp_transfer_queue_add (queue, transfer);
  return transfer;
}

/* A transfer cancelled while it waits for a worker ends at once, not when
 * the one ahead of it is through. */
static void
test_queue_cancel_queued (Fixture       *f,
                          gconstpointer  data)
{
  g_autoptr(YpTransferQueue) queue = yp_transfer_queue_new (f->client);
  g_autoptr(YpTransfer) slow = NULL, waiting = NULL;
  guint finished = 0;

  yp_transfer_queue_set_max_concurrent (queue, 1);
  yp_transfer_queue_set_upload_limit (queue, 64 * 1024);
  slow = queue_upload (f, queue, "slow.bin", 2 * MIB);
  waiting = queue_upload (f, queue, "waiting.bin", 1000);
  g_signal_connect (waiting, "finished", G_CALLBACK (count_finished), &finished);
  wait_state (slow, YP_TRANSFER_RUNNING);

  yp_transfer_cancel (waiting);
  g_assert_cmpint (yp_transfer_get_state (waiting), ==, YP_TRANSFER_CANCELLED);
  g_assert_error ((GError *) yp_transfer_get_error (waiting), G_IO_ERROR, G_IO_ERROR_CANCELLED);
  iterate_for (100);
  g_assert_cmpuint (finished, ==, 1);
  g_assert_cmpint (yp_transfer_get_state (slow), ==, YP_TRANSFER_RUNNING);

  yp_transfer_cancel (slow);
  wait_state (slow, YP_TRANSFER_CANCELLED);
  iterate_for (100);
  g_assert_cmpuint (finished, ==, 1);
}

/* Dropping the queue cancels the backlog: the waiting transfers never
 * start (they do not even open their file) and the main thread waits only
 * for the one that runs. */
static void
test_queue_dispose_drops_backlog (Fixture       *f,
                                  gconstpointer  data)
{
  YpTransferQueue *queue = yp_transfer_queue_new (f->client);
  g_autoptr(YpTransfer) slow = NULL;
  g_autoptr(GPtrArray) backlog = g_ptr_array_new_with_free_func (g_object_unref);
  gint64 start;

  yp_transfer_queue_set_max_concurrent (queue, 1);
  yp_transfer_queue_set_upload_limit (queue, 64 * 1024);
  slow = queue_upload (f, queue, "slow.bin", 2 * MIB);
  for (guint i = 0; i < 8; i++)
    {
      g_autofree char *name = g_strdup_printf ("backlog%u.bin", i);

      g_ptr_array_add (backlog, queue_upload (f, queue, name, 100000));
    }
  wait_state (slow, YP_TRANSFER_RUNNING);

  start = g_get_monotonic_time ();
  assert_released (G_OBJECT (queue));
  g_assert_cmpint (g_get_monotonic_time () - start, <, 2 * G_USEC_PER_SEC);
  g_assert_cmpint (yp_transfer_get_state (slow), ==, YP_TRANSFER_CANCELLED);
  for (guint i = 0; i < backlog->len; i++)
    {
      YpTransfer *transfer = backlog->pdata[i];

      g_assert_cmpint (yp_transfer_get_state (transfer), ==, YP_TRANSFER_CANCELLED);
      g_assert_cmpuint (yp_transfer_get_total_bytes (transfer), ==, 0);
    }
  flush_main_context ();
}

static void
count_notify (GObject    *object,
              GParamSpec *pspec,
              guint      *count)
{
  (*count)++;
}

/* The totals follow the transfers, and finished transfers can be dropped
 * from the list (and from memory). */
static void
test_queue_totals_and_remove (Fixture       *f,
                              gconstpointer  data)
{
  g_autoptr(YpTransferQueue) queue = yp_transfer_queue_new (f->client);
  g_autoptr(YpTransfer) slow = NULL;
  YpTransfer *quick[3];
  gpointer weak[3];
  guint items_notified = 0, bytes_notified = 0, rate_notified = 0;
  guint64 max_rate = 0;

  g_signal_connect (queue, "notify::items-left", G_CALLBACK (count_notify), &items_notified);
  g_signal_connect (queue, "notify::bytes-left", G_CALLBACK (count_notify), &bytes_notified);
  g_signal_connect (queue, "notify::rate", G_CALLBACK (count_notify), &rate_notified);
  yp_transfer_queue_set_upload_limit (queue, 256 * 1024);
  for (guint i = 0; i < 3; i++)
    {
      g_autofree char *name = g_strdup_printf ("quick%u.bin", i);

      quick[i] = queue_upload (f, queue, name, 1000 + i);
      weak[i] = quick[i];
      g_object_add_weak_pointer (G_OBJECT (quick[i]), &weak[i]);
    }
  slow = queue_upload (f, queue, "slow.bin", MIB);
  g_assert_cmpuint (yp_transfer_queue_get_items_left (queue), ==, 4);

  while (yp_transfer_get_state (slow) < YP_TRANSFER_DONE)
    {
      g_main_context_iteration (NULL, TRUE);
      if (yp_transfer_get_state (slow) == YP_TRANSFER_RUNNING)
        {
          guint64 total = yp_transfer_get_total_bytes (slow);

          g_assert_cmpuint (yp_transfer_queue_get_bytes_left (queue), >=,
                            total - yp_transfer_get_bytes_done (slow));
        }
      max_rate = MAX (max_rate, yp_transfer_queue_get_rate (queue));
    }
  flush_main_context ();
  g_assert_cmpint (yp_transfer_get_state (slow), ==, YP_TRANSFER_DONE);
  g_assert_cmpuint (yp_transfer_queue_get_items_left (queue), ==, 0);
  g_assert_cmpuint (yp_transfer_queue_get_bytes_left (queue), ==, 0);
  g_assert_cmpuint (yp_transfer_queue_get_rate (queue), ==, 0);
  g_assert_cmpuint (items_notified, >=, 4);
  g_assert_cmpuint (bytes_notified, >, 0);
  g_assert_cmpuint (rate_notified, >, 0);
  g_assert_cmpuint (max_rate, >, 0);

  for (guint i = 0; i < 3; i++)
    g_object_unref (quick[i]);
  g_assert_cmpuint (g_list_model_get_n_items (yp_transfer_queue_get_transfers (queue)), ==, 4);
  yp_transfer_queue_remove_finished (queue);
  g_assert_cmpuint (g_list_model_get_n_items (yp_transfer_queue_get_transfers (queue)), ==, 0);
  for (int i = 0; i < 5000 && (weak[0] || weak[1] || weak[2]); i++)
    {
      if (!g_main_context_iteration (NULL, FALSE))
        g_usleep (1000);
    }
  for (guint i = 0; i < 3; i++)
    g_assert_null (weak[i]);
}

/* A part file left by an interrupted download of content the server no
 * longer has restarts from byte 0 (If-Range) instead of failing; a part
 * file that is already complete is verified and committed without a
 * request for bytes past its end. */
static void
test_download_stale_and_complete_part (Fixture       *f,
                                       gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *first = make_file (f->dir, "first.bin", 4 * MIB, 54, NULL);
  g_autofree char *second = make_file (f->dir, "second.bin", 4 * MIB, 55, NULL);
  g_autofree char *target = g_build_filename (f->dir, "doc.bin", NULL);
  g_autofree char *part = g_build_filename (f->dir, ".doc.bin.yunpan-part", NULL);
  g_autoptr(YpTransfer) up = upload (f->client, first, "/doc.bin", &error);
  g_autoptr(YpRateLimiter) limiter = yp_rate_limiter_new (MIB);
  g_autoptr(YpTransfer) down = yp_transfer_new_download ("/doc.bin", target);
  g_autoptr(YpTransfer) replace = NULL;
  g_autoptr(GPtrArray) lines = NULL;
  g_autofree char *content = NULL;
  GThread *canceller;
  gsize len;

  g_assert_no_error (error);
  _yp_transfer_set_limiter (down, limiter);
  canceller = g_thread_new ("cancel", cancel_later, yp_transfer_get_cancellable (down));
  g_assert_false (yp_client_download_sync (f->client, down, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_thread_join (canceller);
  flush_main_context ();
  g_clear_error (&error);
  g_clear_object (&down);
  g_assert_true (g_file_test (part, G_FILE_TEST_EXISTS));

  /* the remote file changes before the download is resumed */
  replace = yp_transfer_new_upload (second, "/doc.bin",
                                    yp_node_get_version (yp_transfer_get_node (up)));
  g_assert_true (yp_client_upload_sync (f->client, replace, &error));
  g_assert_no_error (error);
  flush_main_context ();

  down = download (f->client, "/doc.bin", target, &error);
  g_assert_no_error (error);
  assert_same_file (second, target);
  g_assert_false (g_file_test (part, G_FILE_TEST_EXISTS));
  log_barrier (f);
  lines = yp_test_server_log_lines (f->server, "\"GET /api/v1/files/download?path=/doc.bin ");
  g_assert_cmpuint (lines->len, ==, 2);
  g_assert_nonnull (strstr (g_ptr_array_index (lines, 1), "HTTP/1.1\" 200"));
  g_clear_pointer (&lines, g_ptr_array_unref);
  g_clear_object (&down);

  /* the rest of the same content is resumed with a 206 */
  g_unlink (target);
  down = yp_transfer_new_download ("/doc.bin", target);
  _yp_transfer_set_limiter (down, limiter);
  canceller = g_thread_new ("cancel", cancel_later, yp_transfer_get_cancellable (down));
  g_assert_false (yp_client_download_sync (f->client, down, &error));
  g_thread_join (canceller);
  flush_main_context ();
  g_clear_error (&error);
  g_clear_object (&down);
  down = download (f->client, "/doc.bin", target, &error);
  g_assert_no_error (error);
  assert_same_file (second, target);
  log_barrier (f);
  lines = yp_test_server_log_lines (f->server, "\"GET /api/v1/files/download?path=/doc.bin ");
  g_assert_cmpuint (lines->len, ==, 4);
  g_assert_nonnull (strstr (g_ptr_array_index (lines, 3), "HTTP/1.1\" 206"));
  g_clear_pointer (&lines, g_ptr_array_unref);
  g_clear_object (&down);

  /* a complete part file is committed */
  g_unlink (target);
  g_assert_true (g_file_get_contents (second, &content, &len, NULL));
  g_file_set_contents (part, content, (gssize) len, &error);
  g_assert_no_error (error);
  down = download (f->client, "/doc.bin", target, &error);
  g_assert_no_error (error);
  assert_same_file (second, target);
  g_assert_false (g_file_test (part, G_FILE_TEST_EXISTS));
}

/* ------------------------------------------------------------------------
 * Event stream
 * ------------------------------------------------------------------------ */

/* connected swapped: the counter comes first */
static void
count_signal (guint    *count,
              gpointer  instance)
{
  (*count)++;
}

/* Stream requests answered so far; BARRIER is a signed-in client, for a
 * log barrier as in log_barrier(). */
static guint
count_stream_requests (Fixture  *f,
                       YpClient *barrier)
{
  g_autoptr(GPtrArray) lines = NULL;
  g_autoptr(GError) error = NULL;
  guint before = 0, now = 0;

  yp_test_server_request_bytes (f->server, "GET /api/v1/account/whoami", &before);
  g_assert_true (yp_client_whoami_sync (barrier, NULL, NULL, &error));
  g_assert_no_error (error);
  for (int i = 0; i < 200 && now <= before; i++)
    {
      g_usleep (G_USEC_PER_SEC / 100);
      yp_test_server_request_bytes (f->server, "GET /api/v1/account/whoami", &now);
    }
  lines = yp_test_server_log_lines (f->server, "GET " YP_API_PREFIX "/events/");
  return lines->len;
}

static void
wait_connected (YpEventStream *stream,
                gboolean       connected)
{
  for (int i = 0; i < 10000 && yp_event_stream_get_connected (stream) != connected; i++)
    {
      if (!g_main_context_iteration (NULL, FALSE))
        g_usleep (1000);
    }
  g_assert_true (yp_event_stream_get_connected (stream) == connected);
}

/* Ending the session cuts the stream; the reconnect is refused, and the
 * stream says so and stops instead of retrying forever. */
static void
test_events_token_rejected (Fixture       *f,
                            gconstpointer  data)
{
  g_autoptr(YpEventStream) stream = yp_event_stream_new (f->client);
  g_autoptr(YpClient) other = yp_client_new (f->server->url);
  g_autoptr(YpClient) bob = new_user (f->server, "bob");
  g_autofree char *token = yp_client_dup_token (f->client);
  g_autoptr(GError) error = NULL;
  guint rejected = 0, requests;

  g_signal_connect_swapped (stream, "token-rejected", G_CALLBACK (count_signal), &rejected);
  yp_event_stream_start (stream);
  wait_connected (stream, TRUE);

  yp_client_set_token (other, token);
  g_assert_true (yp_client_logout_sync (other, NULL, &error));
  g_assert_no_error (error);
  for (int i = 0; i < 10000 && rejected == 0; i++)
    {
      if (!g_main_context_iteration (NULL, FALSE))
        g_usleep (1000);
    }
  g_assert_cmpuint (rejected, ==, 1);
  g_assert_false (yp_event_stream_get_connected (stream));

  /* the stream that was cut, and the refused reconnect */
  requests = count_stream_requests (f, bob);
  g_assert_cmpuint (requests, >=, 2);
  iterate_for (3000);
  g_assert_cmpuint (count_stream_requests (f, bob), ==, requests);
  g_assert_cmpuint (rejected, ==, 1);
}

/* The server may say nothing for minutes: the client's read timeout must
 * not cut the stream (shortened here from two minutes). */
static void
test_events_outlive_timeout (Fixture       *f,
                             gconstpointer  data)
{
  g_autoptr(YpClient) client = yp_client_new (f->server->url);
  g_autoptr(YpEventStream) stream = NULL;
  g_autofree char *token = yp_client_dup_token (f->client);
  guint connected_changes = 0;
  gint64 seen[2] = { 0, 0 };

  /* set before the session opens a connection, which keeps its timeout */
  g_object_set (_yp_client_get_session (client), "timeout", 1, NULL);
  yp_client_set_token (client, token);
  _yp_client_set_user (client, yp_client_get_user_id (f->client), "alice");
  stream = yp_event_stream_new (client);
  g_signal_connect (stream, "changed", G_CALLBACK (on_changed), seen);
  g_signal_connect_swapped (stream, "notify::connected", G_CALLBACK (count_signal),
                            &connected_changes);
  yp_event_stream_start (stream);
  wait_connected (stream, TRUE);
  iterate_for (4000);

  g_assert_true (yp_event_stream_get_connected (stream));
  g_assert_cmpuint (connected_changes, ==, 1);
  /* every reconnect would ask for a read of the feed */
  g_assert_cmpint (seen[1], ==, 1);
  yp_event_stream_stop (stream);
  g_assert_false (yp_event_stream_get_connected (stream));
  g_assert_cmpuint (connected_changes, ==, 2);
  assert_released (G_OBJECT (g_steal_pointer (&stream)));
  assert_released (G_OBJECT (g_steal_pointer (&client)));
}

typedef struct
{
  int   fd;
  guint accepted;
  gint  stop;
} Slammer;

/* Accepts connections and closes them at once. */
static gpointer
slam_doors (gpointer data)
{
  Slammer *s = data;

  while (!g_atomic_int_get (&s->stop))
    {
      struct pollfd pfd = { s->fd, POLLIN, 0 };
      int conn;

      if (poll (&pfd, 1, 50) <= 0)
        continue;
      conn = accept (s->fd, NULL, NULL);
      if (conn < 0)
        continue;
      g_atomic_int_inc ((gint *) &s->accepted);
      close (conn);
    }
  return NULL;
}

/* A stream started in a thread's own main context retries there, not in
 * the default context that this thread never runs. */
static void
test_events_retry_in_caller_context (void)
{
  g_autoptr(GMainContext) context = g_main_context_new ();
  struct sockaddr_in addr = { .sin_family = AF_INET, .sin_addr.s_addr = htonl (INADDR_LOOPBACK) };
  socklen_t len = sizeof addr;
  Slammer slammer = { socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), 0, 0 };
  g_autofree char *url = NULL;
  g_autoptr(YpClient) client = NULL;
  YpEventStream *stream;
  GThread *thread;
  gint64 end;

  g_assert_cmpint (bind (slammer.fd, (struct sockaddr *) &addr, sizeof addr), ==, 0);
  g_assert_cmpint (listen (slammer.fd, 16), ==, 0);
  g_assert_cmpint (getsockname (slammer.fd, (struct sockaddr *) &addr, &len), ==, 0);
  url = g_strdup_printf ("http://127.0.0.1:%u", ntohs (addr.sin_port));
  thread = g_thread_new ("slam", slam_doors, &slammer);

  g_main_context_push_thread_default (context);
  client = yp_client_new (url);
  _yp_client_set_user (client, 1, "nobody");
  stream = yp_event_stream_new (client);
  yp_event_stream_start (stream);
  end = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;
  while (g_get_monotonic_time () < end && g_atomic_int_get ((gint *) &slammer.accepted) < 3)
    {
      if (!g_main_context_iteration (context, FALSE))
        g_usleep (1000);
    }
  g_assert_cmpuint (g_atomic_int_get ((gint *) &slammer.accepted), >=, 3);
  g_assert_false (yp_event_stream_get_connected (stream));

  yp_event_stream_stop (stream);
  g_object_unref (stream);
  g_object_unref (g_steal_pointer (&client));
  while (g_main_context_iteration (context, FALSE))
    ;
  g_main_context_pop_thread_default (context);
  g_atomic_int_set (&slammer.stop, 1);
  g_thread_join (thread);
  close (slammer.fd);
}

/* A server that answers each connection with the next of RESPONSES, and
 * notes when each request came. */
typedef struct
{
  GSocketListener  *listener;
  const char      **responses;
  guint             n_responses;
  gint64            arrived[8];
} CannedServer;

static gpointer
canned_serve (gpointer data)
{
  CannedServer *canned = data;

  for (guint i = 0; i < canned->n_responses; i++)
    {
      g_autoptr(GSocketConnection) conn =
        g_socket_listener_accept (canned->listener, NULL, NULL, NULL);
      GInputStream *in;
      g_autoptr(GString) request = g_string_new (NULL);
      char buf[4096];

      if (conn == NULL)
        break;
      in = g_io_stream_get_input_stream (G_IO_STREAM (conn));
      while (strstr (request->str, "\r\n\r\n") == NULL)
        {
          gssize n = g_input_stream_read (in, buf, sizeof buf, NULL, NULL);

          if (n <= 0)
            break;
          g_string_append_len (request, buf, n);
        }
      canned->arrived[i] = g_get_monotonic_time ();
      g_output_stream_write_all (g_io_stream_get_output_stream (G_IO_STREAM (conn)),
                                 canned->responses[i], strlen (canned->responses[i]),
                                 NULL, NULL, NULL);
      g_io_stream_close (G_IO_STREAM (conn), NULL, NULL);
    }
  return NULL;
}

/* A download refused with `429` and Retry-After waits that long before it
 * tries again, not the (here much shorter) backoff. */
static void
test_download_honours_retry_after (void)
{
#define CONTENT "hello"
#define CONTENT_SHA "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"
  static const char *responses[] = {
    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n"
    "Content-Length: 128\r\n\r\n"
    "{\"node\":{\"id\":7,\"type\":\"file\",\"size\":5,\"version\":1,\"sha256\":\"" CONTENT_SHA "\"}}",
    "HTTP/1.1 429 Too Many Requests\r\nContent-Type: application/json\r\n"
    "Retry-After: 1\r\nConnection: close\r\nContent-Length: 55\r\n\r\n"
    "{\"error\":{\"code\":\"rate_limited\",\"message\":\"Slow down\"}}",
    "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n"
    "ETag: \"" CONTENT_SHA "\"\r\nConnection: close\r\nContent-Length: 5\r\n\r\n" CONTENT,
  };
  YpRetryPolicy fast = { 3, 10, 20 };
  CannedServer canned = { g_socket_listener_new (), responses, G_N_ELEMENTS (responses) };
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("yp-client-retry-XXXXXX", &error);
  g_autofree char *target = g_build_filename (dir, "hello.txt", NULL);
  g_autofree char *url = NULL;
  g_autoptr(YpClient) client = NULL;
  g_autoptr(YpTransfer) down = NULL;
  GThread *thread;
  guint16 port;

  g_assert_no_error (error);
  g_assert_cmpuint (strlen (strstr (responses[0], "\r\n\r\n") + 4), ==, 128);
  port = g_socket_listener_add_any_inet_port (canned.listener, NULL, &error);
  g_assert_no_error (error);
  url = g_strdup_printf ("http://127.0.0.1:%u", port);
  client = yp_client_new (url);
  yp_client_set_retry_policy (client, &fast);
  thread = g_thread_new ("canned", canned_serve, &canned);

  down = download (client, "/hello.txt", target, &error);
  g_assert_no_error (error);
  g_thread_join (thread);
  assert_contents (target, CONTENT);
  g_assert_cmpint (canned.arrived[2] - canned.arrived[1], >=, G_TIME_SPAN_SECOND);

  g_socket_listener_close (canned.listener);
  g_object_unref (canned.listener);
  g_unlink (target);
  g_rmdir (dir);
#undef CONTENT
#undef CONTENT_SHA
}

/* ------------------------------------------------------------------------
 * Transfer properties
 * ------------------------------------------------------------------------ */

/* A user interface binds to a transfer's properties and shows the enums
 * by name, without a getter per field. */
static void
test_transfer_properties (void)
{
  g_autoptr(YpTransfer) transfer = yp_transfer_new_download ("/remote.bin", "/tmp/local.bin");
  g_autoptr(GError) cause = g_error_new_literal (YP_CLIENT_ERROR, YP_CLIENT_ERROR_FAILED, "boom");
  g_autoptr(GError) error = NULL;
  g_autofree char *local = NULL, *remote = NULL;
  g_autoptr(GEnumClass) states = g_type_class_ref (YP_TYPE_TRANSFER_STATE);
  YpTransferDirection direction = YP_TRANSFER_UPLOAD;
  YpTransferState state = YP_TRANSFER_DONE;
  GParamSpec *pspec;
  guint error_notified = 0;

  g_object_get (transfer, "direction", &direction, "local-path", &local,
                "remote-path", &remote, "state", &state, "error", &error, NULL);
  g_assert_cmpint (direction, ==, YP_TRANSFER_DOWNLOAD);
  g_assert_cmpstr (local, ==, "/tmp/local.bin");
  g_assert_cmpstr (remote, ==, "/remote.bin");
  g_assert_cmpint (state, ==, YP_TRANSFER_QUEUED);
  g_assert_null (error);

  pspec = g_object_class_find_property (G_OBJECT_GET_CLASS (transfer), "state");
  g_assert_true (G_PARAM_SPEC_VALUE_TYPE (pspec) == YP_TYPE_TRANSFER_STATE);
  pspec = g_object_class_find_property (G_OBJECT_GET_CLASS (transfer), "direction");
  g_assert_true (G_PARAM_SPEC_VALUE_TYPE (pspec) == YP_TYPE_TRANSFER_DIRECTION);
  g_assert_cmpstr (g_enum_get_value (states, YP_TRANSFER_CANCELLED)->value_nick, ==,
                   "cancelled");
  g_assert_true (G_TYPE_IS_ENUM (YP_TYPE_DOWNLOAD_TARGET));

  g_signal_connect_swapped (transfer, "notify::error", G_CALLBACK (count_signal),
                            &error_notified);
  _yp_transfer_finish (transfer, NULL, cause);
  iterate_for (50);
  g_assert_cmpuint (error_notified, ==, 1);
  g_object_get (transfer, "state", &state, "error", &error, NULL);
  g_assert_cmpint (state, ==, YP_TRANSFER_FAILED);
  g_assert_error (error, YP_CLIENT_ERROR, YP_CLIENT_ERROR_FAILED);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add (path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)

  ADD ("/yunpan/client/account", test_account);
  ADD ("/yunpan/client/tree", test_tree);
  ADD ("/yunpan/client/events", test_events);
  ADD ("/yunpan/client/async", test_async);
  ADD ("/yunpan/client/transfer/round-trip", test_round_trip);
  ADD ("/yunpan/client/transfer/instant-upload", test_instant_upload);
  ADD ("/yunpan/client/transfer/changed-during-upload", test_changed_during_upload);
  ADD ("/yunpan/client/transfer/download-resume-and-verify", test_download_resume_and_verify);
  ADD ("/yunpan/client/transfer/queue", test_queue);
  ADD ("/yunpan/client/transfer/cancel", test_cancel);
  ADD ("/yunpan/client/upload/window-of-two", test_upload_window);
  ADD ("/yunpan/client/upload/adaptive-chunks", test_upload_adaptive_chunks);
  ADD ("/yunpan/client/upload/resume-after-cut", test_upload_resume_after_cut);
  ADD ("/yunpan/client/upload/progress-and-rate", test_upload_progress_and_rate);
  ADD ("/yunpan/client/upload/cancel-midway", test_cancel_midway);
  g_test_add_func ("/yunpan/client/upload/overlaps-wrong-proof",
                   test_upload_overlaps_wrong_proof);
  g_test_add_func ("/yunpan/client/unreachable", test_unreachable);

  ADD ("/yunpan/client/request/error-codes", test_request_error_codes);
  ADD ("/yunpan/client/request/move-answer-lost", test_request_move_answer_lost);
  ADD ("/yunpan/client/request/login-cancelled", test_request_login_cancelled);
  ADD ("/yunpan/client/request/list-beside-uploads", test_request_list_beside_uploads);
  ADD ("/yunpan/client/request/rate-limited-retried", test_request_rate_limited_retried);
  ADD ("/yunpan/client/request/resolve-and-tls", test_request_resolve_and_tls);
  ADD ("/yunpan/client/request/password-answer-lost", test_request_password_answer_lost);

  ADD ("/yunpan/client/download/expected-remote", test_download_expected_remote);
  ADD ("/yunpan/client/download/staging-dir", test_download_staging_dir);
  ADD ("/yunpan/client/download/keeps-local-edit", test_download_keeps_local_edit);
  ADD ("/yunpan/client/download/stale-and-complete-part",
       test_download_stale_and_complete_part);
  g_test_add_func ("/yunpan/client/download/honours-retry-after",
                   test_download_honours_retry_after);

  g_test_add_func ("/yunpan/client/queue/finished-once", test_queue_finished_once);
  ADD ("/yunpan/client/queue/cancel-queued", test_queue_cancel_queued);
  ADD ("/yunpan/client/queue/dispose-drops-backlog", test_queue_dispose_drops_backlog);
  ADD ("/yunpan/client/queue/totals-and-remove", test_queue_totals_and_remove);
  ADD ("/yunpan/client/events/token-rejected", test_events_token_rejected);
  ADD ("/yunpan/client/events/outlive-timeout", test_events_outlive_timeout);
  g_test_add_func ("/yunpan/client/events/retry-in-caller-context",
                   test_events_retry_in_caller_context);
  g_test_add_func ("/yunpan/client/transfer/properties", test_transfer_properties);

#undef ADD
  return g_test_run ();
}
