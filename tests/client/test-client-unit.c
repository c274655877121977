/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Unit tests of the client library's parts that need no server: error
 * mapping, the retry policy, hashing, the rate limiter, chunk sizes and the
 * chunk body stream.
 */
#include <fcntl.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <unistd.h>

#include "yp-chunk-sizer.h"
#include "yp-client-error.h"
#include "yp-client-private.h"
#include "yp-file-range-stream.h"
#include "yp-hash.h"
#include "yp-hasher.h"
#include "yp-rate-limiter.h"
#include "yp-retry.h"

static void
test_error_mapping (void)
{
  g_assert_cmpint (yp_client_error_from_status (YP_STATUS_TOKEN_EXPIRED, 401), ==,
                   YP_CLIENT_ERROR_AUTH_EXPIRED);
  g_assert_cmpint (yp_client_error_from_status (YP_STATUS_UNAUTHORIZED, 401), ==,
                   YP_CLIENT_ERROR_AUTH_EXPIRED);
  g_assert_cmpint (yp_client_error_from_status (YP_STATUS_CONFLICT, 409), ==,
                   YP_CLIENT_ERROR_CONFLICT);
  g_assert_cmpint (yp_client_error_from_status (YP_STATUS_EXISTS, 409), ==,
                   YP_CLIENT_ERROR_EXISTS);
  g_assert_cmpint (yp_client_error_from_status (YP_STATUS_QUOTA_EXCEEDED, 507), ==,
                   YP_CLIENT_ERROR_QUOTA);
  g_assert_cmpint (yp_client_error_from_status (YP_STATUS_NOT_FOUND, 404), ==,
                   YP_CLIENT_ERROR_NOT_FOUND);
  g_assert_cmpint (yp_client_error_from_status (YP_STATUS_INVALID_NAME, 400), ==,
                   YP_CLIENT_ERROR_INVALID);
  /* a status without a protocol body, e.g. from a proxy */
  g_assert_cmpint (yp_client_error_from_status (YP_STATUS_COUNT, 502), ==,
                   YP_CLIENT_ERROR_SERVER);
  g_assert_cmpint (yp_client_error_from_status (YP_STATUS_COUNT, 401), ==,
                   YP_CLIENT_ERROR_AUTH_EXPIRED);
}

static void
test_retry_policy (void)
{
  YpRetryPolicy policy = { 5, 100, 1000 };
  g_autoptr(GRand) rand = g_rand_new_with_seed (1);
  g_autoptr(GError) network = g_error_new_literal (YP_CLIENT_ERROR, YP_CLIENT_ERROR_NETWORK, "");
  g_autoptr(GError) server = g_error_new_literal (YP_CLIENT_ERROR, YP_CLIENT_ERROR_SERVER, "");
  g_autoptr(GError) invalid = g_error_new_literal (YP_CLIENT_ERROR, YP_CLIENT_ERROR_INVALID, "");
  g_autoptr(GError) conflict = g_error_new_literal (YP_CLIENT_ERROR, YP_CLIENT_ERROR_CONFLICT, "");
  g_autoptr(GError) cancelled = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED, "");
  guint max_seen[8] = { 0 };

  g_assert_true (yp_retry_policy_should_retry (&policy, 1, network));
  g_assert_true (yp_retry_policy_should_retry (&policy, 4, server));
  g_assert_false (yp_retry_policy_should_retry (&policy, 5, network));
  g_assert_false (yp_retry_policy_should_retry (&policy, 1, invalid));
  g_assert_false (yp_retry_policy_should_retry (&policy, 1, conflict));
  g_assert_false (yp_retry_policy_should_retry (&policy, 1, cancelled));
  g_assert_false (yp_retry_policy_should_retry (&policy, 1, NULL));

  /* exponential ceiling, capped, with jitter below it */
  for (guint round = 0; round < 2000; round++)
    for (guint attempt = 1; attempt < G_N_ELEMENTS (max_seen); attempt++)
      {
        guint delay = yp_retry_policy_delay_ms (&policy, attempt, rand);
        guint ceiling = MIN (1000, 100u << (attempt - 1));

        g_assert_cmpuint (delay, <=, ceiling);
        max_seen[attempt] = MAX (max_seen[attempt], delay);
      }
  g_assert_cmpuint (max_seen[1], >, 90);
  g_assert_cmpuint (max_seen[3], >, 360);
  g_assert_cmpuint (max_seen[7], >, 900);
}

static char *
write_temp (const void *data,
            gsize       len)
{
  g_autoptr(GError) error = NULL;
  char *path = NULL;
  int fd = g_file_open_tmp ("yp-hash-XXXXXX", &path, &error);

  g_assert_no_error (error);
  g_assert_cmpint (write (fd, data, len), ==, (gssize) len);
  close (fd);
  return path;
}

static void
test_hash_vectors (void)
{
  const struct { const char *data; const char *sha; } vectors[] = {
    { "", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" },
    { "abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" },
    { "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
      "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (vectors); i++)
    {
      g_autofree char *path = write_temp (vectors[i].data, strlen (vectors[i].data));
      g_autoptr(GError) error = NULL;
      guint64 size = 99;
      char hex[65];

      g_assert_true (yp_hash_file_sync (path, hex, &size, NULL, &error));
      g_assert_no_error (error);
      g_assert_cmpstr (hex, ==, vectors[i].sha);
      g_assert_cmpuint (size, ==, strlen (vectors[i].data));
      g_unlink (path);
    }
}

static void
hash_done_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  char **out = user_data;
  g_autoptr(GError) error = NULL;
  guint64 size = 0;

  *out = yp_hasher_hash_finish (YP_HASHER (source), result, &size, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (size, ==, 3);
}

static void
test_hasher_async (void)
{
  g_autofree char *path = write_temp ("abc", 3);
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autoptr(YpHasher) hasher = yp_hasher_new (2);
  char *results[3] = { NULL };

  for (guint i = 0; i < G_N_ELEMENTS (results); i++)
    yp_hasher_hash_async (hasher, file, NULL, hash_done_cb, &results[i]);
  for (guint i = 0; i < G_N_ELEMENTS (results); i++)
    {
      while (results[i] == NULL)
        g_main_context_iteration (NULL, TRUE);
      g_assert_cmpstr (results[i], ==,
                       "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
      g_free (results[i]);
    }
  g_unlink (path);
}

/* Files past 4 GiB: a sparse file with a few known bytes just past 4 GiB,
 * the hole reads as zeros. The expected proof streams the same bytes
 * through the hash directly, without the proof's reads and offsets. */
static void
test_proof_beyond_4gib (void)
{
  const goffset far = G_GINT64_CONSTANT (4) * 1024 * 1024 * 1024 + 7;
  const guint8 nonce[16] = "0123456789abcdef";
  g_autofree char *path = write_temp ("", 0);
  yp_sha256_t *independent = yp_sha256_new ();
  char expected[65];
  g_autofree guint8 *zeros = g_malloc0 (1024 * 1024);
  guint64 size = 0;
  char proof[65];
  int fd = g_open (path, O_RDWR, 0);

  g_assert_cmpint (pwrite (fd, "hello", 5, far), ==, 5);
  g_assert_cmpint (yp_proof_compute_fd (fd, nonce, sizeof nonce, proof, &size), ==, 0);
  g_assert_cmpuint (size, ==, (guint64) far + 5);
  yp_sha256_update (independent, nonce, sizeof nonce);
  for (goffset left = far; left > 0; left -= MIN (left, 1024 * 1024))
    yp_sha256_update (independent, zeros, (gsize) MIN (left, 1024 * 1024));
  yp_sha256_update (independent, "hello", 5);
  yp_sha256_finish_hex (independent, expected);
  yp_sha256_free (independent);
  g_assert_cmpstr (proof, ==, expected);
  close (fd);
  g_unlink (path);
}

static void
test_rate_limiter (void)
{
  g_autoptr(YpRateLimiter) unlimited = yp_rate_limiter_new (0);
  g_autoptr(YpRateLimiter) limiter = yp_rate_limiter_new (1000 * 1000);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GError) error = NULL;
  gint64 start = g_get_monotonic_time ();
  double elapsed;

  g_assert_true (yp_rate_limiter_consume (unlimited, 100 * 1000 * 1000, NULL, &error));
  g_assert_cmpint (g_get_monotonic_time () - start, <, G_USEC_PER_SEC / 10);

  /* 600 kB at 1 MB/s from an empty bucket: about 0.6 s */
  start = g_get_monotonic_time ();
  for (int i = 0; i < 6; i++)
    g_assert_true (yp_rate_limiter_consume (limiter, 100 * 1000, NULL, &error));
  elapsed = (double) (g_get_monotonic_time () - start) / G_USEC_PER_SEC;
  g_assert_cmpfloat (elapsed, >=, 0.5);
  g_assert_cmpfloat (elapsed, <, 2.0);

  g_cancellable_cancel (cancellable);
  g_assert_false (yp_rate_limiter_consume (limiter, 10 * 1000 * 1000, cancellable, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
}

#define MIB (1024 * 1024)

/* Chunks start small, follow the rate toward about 1.5 s each, and stay
 * within bounds; a size the application chose is kept. */
static void
test_chunk_sizer (void)
{
  YpChunkSizer sizer;

  yp_chunk_sizer_init (&sizer, 0, 256 * MIB);
  g_assert_cmpuint (yp_chunk_sizer_get (&sizer), ==, 8 * MIB);
  /* fast: at most a doubling per chunk, up to 64 MiB */
  yp_chunk_sizer_observe (&sizer, 8 * MIB, 10 * G_TIME_SPAN_MILLISECOND);
  g_assert_cmpuint (yp_chunk_sizer_get (&sizer), ==, 16 * MIB);
  for (int i = 0; i < 5; i++)
    yp_chunk_sizer_observe (&sizer, yp_chunk_sizer_get (&sizer), 10 * G_TIME_SPAN_MILLISECOND);
  g_assert_cmpuint (yp_chunk_sizer_get (&sizer), ==, 64 * MIB);
  /* 20 MiB/s: 30 MiB takes 1.5 s */
  yp_chunk_sizer_observe (&sizer, 64 * MIB, 3200 * G_TIME_SPAN_MILLISECOND);
  g_assert_cmpuint (yp_chunk_sizer_get (&sizer), ==, 30 * MIB);
  /* a short last chunk says nothing */
  yp_chunk_sizer_observe (&sizer, MIB, G_TIME_SPAN_SECOND);
  g_assert_cmpuint (yp_chunk_sizer_get (&sizer), ==, 30 * MIB);
  /* slow: never below the floor */
  yp_chunk_sizer_observe (&sizer, 30 * MIB, 60 * G_TIME_SPAN_SECOND);
  g_assert_cmpuint (yp_chunk_sizer_get (&sizer), ==, YP_CHUNK_SIZE_MIN);

  /* the server's limit comes first */
  yp_chunk_sizer_init (&sizer, 0, 2 * MIB);
  g_assert_cmpuint (yp_chunk_sizer_get (&sizer), ==, 2 * MIB);
  yp_chunk_sizer_observe (&sizer, 2 * MIB, 60 * G_TIME_SPAN_SECOND);
  g_assert_cmpuint (yp_chunk_sizer_get (&sizer), ==, 2 * MIB);

  yp_chunk_sizer_init (&sizer, 256 * 1024, 256 * MIB);
  yp_chunk_sizer_observe (&sizer, 256 * 1024, G_TIME_SPAN_MILLISECOND);
  g_assert_cmpuint (yp_chunk_sizer_get (&sizer), ==, 256 * 1024);
  yp_chunk_sizer_init (&sizer, G_MAXINT64, 8 * MIB);
  g_assert_cmpuint (yp_chunk_sizer_get (&sizer), ==, 8 * MIB);
}

static void
count_progress (guint64  bytes,
                gpointer data)
{
  *(guint64 *) data += bytes;
}

/* A range of a file, read in blocks, each counted once. */
static void
test_file_range_stream (void)
{
  const gsize len = 3 * MIB + 5;
  g_autofree guint8 *bytes = g_malloc (len);
  g_autofree char *path = NULL;
  g_autoptr(GInputStream) stream = NULL;
  g_autoptr(GOutputStream) out = g_memory_output_stream_new_resizable ();
  g_autoptr(GError) error = NULL;
  guint64 counted = 0;
  int fd;

  for (gsize i = 0; i < len; i++)
    bytes[i] = (guint8) (i * 7);
  path = write_temp (bytes, len);
  fd = g_open (path, O_RDONLY, 0);
  g_assert_cmpint (fd, >=, 0);

  stream = yp_file_range_stream_new (fd, 1000, (goffset) (len - 2000), NULL, count_progress,
                                     &counted);
  g_assert_cmpint (g_output_stream_splice (out, stream, G_OUTPUT_STREAM_SPLICE_CLOSE_TARGET,
                                           NULL, &error), ==, (gssize) (len - 2000));
  g_assert_no_error (error);
  g_assert_cmpuint (counted, ==, len - 2000);
  g_assert_cmpmem (g_memory_output_stream_get_data (G_MEMORY_OUTPUT_STREAM (out)),
                   len - 2000, bytes + 1000, len - 2000);
  g_clear_object (&stream);

  /* a file shorter than the range it was to give is a changed file */
  stream = yp_file_range_stream_new (fd, (goffset) len - 10, 20, NULL, NULL, NULL);
  g_assert_false (g_input_stream_read_all (stream, bytes, 20, NULL, NULL, &error));
  g_assert_error (error, YP_CLIENT_ERROR, YP_CLIENT_ERROR_CHANGED);
  close (fd);
  g_unlink (path);
}

/* ------------------------------------------------------------------------
 * The request layer: errors that keep the protocol's code, retries
 * ------------------------------------------------------------------------ */

/* Every code of the protocol's table reaches the caller, and the codes a
 * caller must tell apart do not fall back to the HTTP status. */
static void
test_error_keeps_protocol_code (void)
{
  for (yp_status_t status = YP_STATUS_BAD_REQUEST; status < YP_STATUS_COUNT; status++)
    {
      g_autoptr(GError) error = yp_client_error_new_from_server ((guint) yp_status_http (status),
                                                                 status, 0, -1, -1, -1, -1,
                                                                 yp_status_message (status));
      g_autoptr(GError) copy = g_error_copy (error);

      g_assert_cmpint (yp_client_error_get_status (error), ==, status);
      g_assert_cmpint (yp_client_error_get_status (copy), ==, status);
      g_assert_cmpuint (yp_client_error_get_http_status (copy), ==, yp_status_http (status));
    }

  g_assert_cmpint (yp_client_error_from_status (YP_STATUS_CURSOR_EXPIRED, 410), ==,
                   YP_CLIENT_ERROR_CURSOR_EXPIRED);
  g_assert_cmpint (yp_client_error_from_status (YP_STATUS_RATE_LIMITED, 429), ==,
                   YP_CLIENT_ERROR_RATE_LIMITED);
  g_assert_cmpint (yp_client_error_from_status (YP_STATUS_REQUEST_IN_PROGRESS, 409), ==,
                   YP_CLIENT_ERROR_IN_PROGRESS);
  /* a client bug, not a malformed request the user could fix */
  g_assert_cmpint (yp_client_error_from_status (YP_STATUS_IDEMPOTENCY_KEY_REUSED, 422), ==,
                   YP_CLIENT_ERROR_FAILED);

  /* an error made here, not by the server, has no protocol code */
  {
    g_autoptr(GError) local = g_error_new_literal (YP_CLIENT_ERROR, YP_CLIENT_ERROR_CHANGED, "x");
    g_autoptr(GError) io = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_FAILED, "x");

    g_assert_cmpint (yp_client_error_get_status (local), ==, YP_STATUS_COUNT);
    g_assert_cmpint (yp_client_error_get_status (io), ==, YP_STATUS_COUNT);
    g_assert_false (yp_client_error_get_version (io, NULL));
  }
}

static void
test_error_members (void)
{
  g_autoptr(GError) conflict = yp_client_error_new_from_server (409, YP_STATUS_CONFLICT, 0,
                                                                17, -1, -1, -1, "changed");
  g_autoptr(GError) offset = yp_client_error_new_from_server (409, YP_STATUS_OFFSET_MISMATCH,
                                                              0, -1, 4096, -1, -1, "offset");
  g_autoptr(GError) quota = yp_client_error_new_from_server (507, YP_STATUS_QUOTA_EXCEEDED, 0,
                                                             -1, -1, 90, 100, "full");
  g_autoptr(GError) copy = g_error_copy (quota);
  gint64 value = 0, used = 0, total = 0;

  g_assert_true (yp_client_error_get_version (conflict, &value));
  g_assert_cmpint (value, ==, 17);
  g_assert_false (yp_client_error_get_offset (conflict, &value));
  g_assert_true (yp_client_error_get_offset (offset, &value));
  g_assert_cmpint (value, ==, 4096);
  g_assert_true (yp_client_error_get_quota (copy, &used, &total));
  g_assert_cmpint (used, ==, 90);
  g_assert_cmpint (total, ==, 100);
  g_assert_false (yp_client_error_get_quota (conflict, &used, &total));
}

/* Only what is safe to send twice is sent twice after a lost answer; the
 * answers that say nothing was done may be retried for any request. */
static void
test_retry_request (void)
{
  YpRetryPolicy policy = { 5, 100, 1000 };
  g_autoptr(GError) network = g_error_new_literal (YP_CLIENT_ERROR, YP_CLIENT_ERROR_NETWORK, "x");
  g_autoptr(GError) tls = g_error_new_literal (YP_CLIENT_ERROR, YP_CLIENT_ERROR_TLS, "x");
  g_autoptr(GError) unavailable = yp_client_error_new_from_server (503, YP_STATUS_UNAVAILABLE, 0,
                                                                   -1, -1, -1, -1, "x");
  g_autoptr(GError) gateway = yp_client_error_new_from_server (504, YP_STATUS_COUNT, 0,
                                                               -1, -1, -1, -1, "x");
  g_autoptr(GError) limited = yp_client_error_new_from_server (429, YP_STATUS_RATE_LIMITED, 3,
                                                               -1, -1, -1, -1, "x");
  g_autoptr(GError) running = yp_client_error_new_from_server (409, YP_STATUS_REQUEST_IN_PROGRESS,
                                                               1, -1, -1, -1, -1, "x");
  g_autoptr(GError) reused = yp_client_error_new_from_server (422,
                                                              YP_STATUS_IDEMPOTENCY_KEY_REUSED,
                                                              0, -1, -1, -1, -1, "x");
  g_autoptr(GError) far = yp_client_error_new_from_server (429, YP_STATUS_RATE_LIMITED,
                                                           YP_RETRY_AFTER_MAX_S + 1,
                                                           -1, -1, -1, -1, "x");

  g_assert_true (yp_retry_policy_should_retry_request (&policy, 1, network, TRUE));
  g_assert_false (yp_retry_policy_should_retry_request (&policy, 1, network, FALSE));
  g_assert_false (yp_retry_policy_should_retry_request (&policy, 1, tls, TRUE));
  g_assert_true (yp_retry_policy_should_retry_request (&policy, 1, unavailable, FALSE));
  g_assert_true (yp_retry_policy_should_retry_request (&policy, 1, gateway, TRUE));
  g_assert_false (yp_retry_policy_should_retry_request (&policy, 1, gateway, FALSE));
  g_assert_true (yp_retry_policy_should_retry_request (&policy, 1, limited, FALSE));
  g_assert_true (yp_retry_policy_should_retry_request (&policy, 1, running, TRUE));
  g_assert_false (yp_retry_policy_should_retry_request (&policy, 1, reused, TRUE));
  g_assert_false (yp_retry_policy_should_retry_request (&policy, 1, far, TRUE));
  g_assert_false (yp_retry_policy_should_retry_request (&policy, 5, limited, TRUE));

  /* Retry-After wins over a shorter backoff */
  for (guint i = 0; i < 100; i++)
    {
      g_assert_cmpuint (yp_retry_policy_delay_for_error (&policy, 1, limited, NULL), ==, 3000);
      g_assert_cmpuint (yp_retry_policy_delay_for_error (&policy, 1, network, NULL), <=, 100);
    }
}

typedef struct
{
  GCancellable *cancellable;
  guint         delay_ms;
} CancelLater;

static gpointer
cancel_later (gpointer data)
{
  CancelLater *later = data;

  g_usleep (later->delay_ms * G_TIME_SPAN_MILLISECOND);
  g_cancellable_cancel (later->cancellable);
  return NULL;
}

/* A retry's wait ends when its cancellable fires, from any thread. */
static void
test_sleep_cancellable (void)
{
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GError) error = NULL;
  CancelLater later = { cancellable, 50 };
  GThread *thread;
  gint64 start;

  g_assert_true (_yp_sleep_cancellable (20, NULL, &error));
  g_assert_no_error (error);

  start = g_get_monotonic_time ();
  thread = g_thread_new ("cancel-later", cancel_later, &later);
  g_assert_false (_yp_sleep_cancellable (10000, cancellable, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpint (g_get_monotonic_time () - start, <, 2 * G_TIME_SPAN_SECOND);
  g_thread_join (thread);

  /* already cancelled: no wait at all */
  g_clear_error (&error);
  start = g_get_monotonic_time ();
  g_assert_false (_yp_sleep_cancellable (10000, cancellable, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpint (g_get_monotonic_time () - start, <, G_TIME_SPAN_SECOND);
}

/* Keys are what the server accepts (1 to 64 of A-Z a-z 0-9 - _) and differ. */
static void
test_idempotency_key (void)
{
  g_autoptr(GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  for (guint i = 0; i < 1000; i++)
    {
      char *key = _yp_idempotency_key_new ();

      g_assert_cmpuint (strlen (key), >=, 16);
      g_assert_cmpuint (strlen (key), <=, 64);
      for (const char *c = key; *c; c++)
        g_assert_true (g_ascii_isalnum (*c) || *c == '-' || *c == '_');
      g_assert_true (g_hash_table_add (seen, key));
    }
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/yunpan/client/errors/mapping", test_error_mapping);
  g_test_add_func ("/yunpan/client/retry/policy", test_retry_policy);
  g_test_add_func ("/yunpan/client/errors/protocol-code", test_error_keeps_protocol_code);
  g_test_add_func ("/yunpan/client/errors/members", test_error_members);
  g_test_add_func ("/yunpan/client/retry/request", test_retry_request);
  g_test_add_func ("/yunpan/client/retry/sleep-cancellable", test_sleep_cancellable);
  g_test_add_func ("/yunpan/client/request/idempotency-key", test_idempotency_key);
  g_test_add_func ("/yunpan/client/hash/vectors", test_hash_vectors);
  g_test_add_func ("/yunpan/client/hash/async", test_hasher_async);
  g_test_add_func ("/yunpan/client/hash/proof-beyond-4gib", test_proof_beyond_4gib);
  g_test_add_func ("/yunpan/client/rate-limiter", test_rate_limiter);
  g_test_add_func ("/yunpan/client/upload/chunk-sizer", test_chunk_sizer);
  g_test_add_func ("/yunpan/client/upload/file-range-stream", test_file_range_stream);
  return g_test_run ();
}
