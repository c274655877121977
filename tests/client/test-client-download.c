/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Downloads: resuming from a part file and checking the hash, replacing
 * only what the caller expects, the staging folder, and Retry-After.
 */
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "yp-client-error.h"
#include "yp-client.h"
#include "yp-transfer-private.h"
#include "yp-test-fixture.h"

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
    yp_transfer_set_rate_limiter (transfer, limiter);
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

  yp_transfer_set_rate_limiter (down, limiter);
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
  yp_transfer_set_rate_limiter (down, limiter);
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
  yp_transfer_set_rate_limiter (down, limiter);
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

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  fixture_add ("/yunpan/client/transfer/download-resume-and-verify",
               test_download_resume_and_verify);
  fixture_add ("/yunpan/client/download/expected-remote", test_download_expected_remote);
  fixture_add ("/yunpan/client/download/staging-dir", test_download_staging_dir);
  fixture_add ("/yunpan/client/download/keeps-local-edit", test_download_keeps_local_edit);
  fixture_add ("/yunpan/client/download/stale-and-complete-part",
               test_download_stale_and_complete_part);
  g_test_add_func ("/yunpan/client/download/honours-retry-after",
                   test_download_honours_retry_after);

  return g_test_run ();
}
