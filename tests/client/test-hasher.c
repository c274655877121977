/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Tests of the hasher without a server: digests against GChecksum's, for
 * sizes around the read buffer and the progress step, and how often it
 * reports progress and notices a cancellation, from a file and from a pipe
 * whose reads come back short.
 */
#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "yp-hasher.h"

#define MIB (1024 * 1024)

/* Random bytes, the same for every run. */
static GBytes *
make_content (gsize size)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed ((guint32) size);
  guint8 *data = g_malloc (size);

  for (gsize i = 0; i < size; i += sizeof (guint32))
    {
      guint32 word = g_rand_int (rand);

      memcpy (data + i, &word, MIN (sizeof word, size - i));
    }
  return g_bytes_new_take (data, size);
}

static char *
write_temp (GBytes *content)
{
  g_autoptr(GError) error = NULL;
  char *path = NULL;
  int fd = g_file_open_tmp ("yp-hasher-XXXXXX", &path, &error);

  g_assert_no_error (error);
  close (fd);
  g_file_set_contents (path, g_bytes_get_data (content, NULL), g_bytes_get_size (content),
                       &error);
  g_assert_no_error (error);
  return path;
}

static char *
expected_hex (GBytes *content)
{
  return g_compute_checksum_for_bytes (G_CHECKSUM_SHA256, content);
}

typedef struct
{
  GArray       *reports;
  GCancellable *cancel_after_first;
} Progress;

static void
progress_init (Progress *progress)
{
  progress->reports = g_array_new (FALSE, FALSE, sizeof (guint64));
  progress->cancel_after_first = NULL;
}

static void
progress_clear (Progress *progress)
{
  g_clear_pointer (&progress->reports, g_array_unref);
  g_clear_object (&progress->cancel_after_first);
}

static void
record_progress (guint64  hashed,
                 gpointer user_data)
{
  Progress *progress = user_data;

  g_array_append_val (progress->reports, hashed);
  if (progress->cancel_after_first != NULL)
    g_cancellable_cancel (progress->cancel_after_first);
}

/* Growing values, no step longer than YP_HASH_PROGRESS_STEP, the last
 * being SIZE. */
static void
assert_progress (Progress *progress,
                 guint64   size)
{
  guint64 before = 0;

  g_assert_cmpuint (progress->reports->len, >=, 1);
  for (guint i = 0; i < progress->reports->len; i++)
    {
      guint64 hashed = g_array_index (progress->reports, guint64, i);

      if (i > 0)
        g_assert_cmpuint (hashed, >, before);
      g_assert_cmpuint (hashed - before, <=, YP_HASH_PROGRESS_STEP);
      before = hashed;
    }
  g_assert_cmpuint (before, ==, size);
}

static void
test_sizes (void)
{
  const gsize sizes[] = { 0, 1, 4 * MIB - 1, 4 * MIB, 4 * MIB + 1, 9 * MIB + 12345 };

  for (gsize i = 0; i < G_N_ELEMENTS (sizes); i++)
    {
      g_autoptr(GBytes) content = make_content (sizes[i]);
      g_autofree char *path = write_temp (content);
      g_autofree char *expected = expected_hex (content);
      g_autoptr(GError) error = NULL;
      Progress progress;
      guint64 size = 99;
      char hex[65];

      g_test_message ("%" G_GSIZE_FORMAT " bytes", sizes[i]);
      progress_init (&progress);
      g_assert_true (yp_hash_file_sync_full (path, hex, &size, record_progress, &progress,
                                             NULL, &error));
      g_assert_no_error (error);
      g_assert_cmpstr (hex, ==, expected);
      g_assert_cmpuint (size, ==, sizes[i]);
      assert_progress (&progress, sizes[i]);

      /* the entry points without progress give the same */
      g_assert_true (yp_hash_file_sync (path, hex, &size, NULL, &error));
      g_assert_no_error (error);
      g_assert_cmpstr (hex, ==, expected);
      g_assert_cmpuint (size, ==, sizes[i]);
      progress_clear (&progress);
      g_unlink (path);
    }
}

static void
test_progress (void)
{
  g_autoptr(GBytes) content = make_content (40 * MIB);
  g_autofree char *path = write_temp (content);
  g_autofree char *expected = expected_hex (content);
  g_autoptr(GError) error = NULL;
  Progress progress;
  guint64 size = 0;
  char hex[65];

  progress_init (&progress);
  g_assert_true (yp_hash_file_sync_full (path, hex, &size, record_progress, &progress,
                                         NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (hex, ==, expected);
  g_assert_cmpuint (size, ==, 40 * MIB);
  g_assert_cmpuint (progress.reports->len, >=, 10);
  assert_progress (&progress, 40 * MIB);
  progress_clear (&progress);
  g_unlink (path);
}

/* Cancelled from the first report: the hash fails as cancelled and reads
 * at most one more step. The fd's offset says how far it read. */
static void
test_cancel_from_progress (void)
{
  g_autoptr(GBytes) content = make_content (40 * MIB);
  g_autofree char *path = write_temp (content);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GError) error = NULL;
  Progress progress;
  guint64 first;
  off_t offset;
  char hex[65];
  int fd;

  progress_init (&progress);
  progress.cancel_after_first = g_object_ref (cancellable);
  fd = g_open (path, O_RDONLY | O_CLOEXEC, 0);
  g_assert_cmpint (fd, >=, 0);
  g_assert_false (yp_hash_fd_sync_full (fd, hex, NULL, record_progress, &progress,
                                        cancellable, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);

  first = g_array_index (progress.reports, guint64, 0);
  g_assert_cmpuint (first, <=, YP_HASH_PROGRESS_STEP);
  offset = lseek (fd, 0, SEEK_CUR);
  g_assert_cmpint (offset, <=, (off_t) (first + YP_HASH_PROGRESS_STEP));
  g_assert_cmpuint (g_array_index (progress.reports, guint64, progress.reports->len - 1), <=,
                    first + YP_HASH_PROGRESS_STEP);
  close (fd);
  progress_clear (&progress);
  g_unlink (path);
}

static void
test_cancelled_before (void)
{
  g_autoptr(GBytes) content = make_content (1);
  g_autofree char *path = write_temp (content);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GError) error = NULL;
  char hex[65];

  g_cancellable_cancel (cancellable);
  g_assert_false (yp_hash_file_sync (path, hex, NULL, cancellable, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_unlink (path);
}

/* From the fd's current offset: the bytes before it are neither hashed
 * nor counted. */
static void
test_from_offset (void)
{
  g_autoptr(GBytes) content = make_content (5 * MIB);
  g_autoptr(GBytes) tail = g_bytes_new_from_bytes (content, 1000, 5 * MIB - 1000);
  g_autofree char *path = write_temp (content);
  g_autofree char *expected = expected_hex (tail);
  g_autoptr(GError) error = NULL;
  Progress progress;
  guint64 size = 0;
  char hex[65];
  int fd = g_open (path, O_RDONLY | O_CLOEXEC, 0);

  g_assert_cmpint (fd, >=, 0);
  g_assert_cmpint (lseek (fd, 1000, SEEK_SET), ==, 1000);
  progress_init (&progress);
  g_assert_true (yp_hash_fd_sync_full (fd, hex, &size, record_progress, &progress, NULL,
                                       &error));
  g_assert_no_error (error);
  g_assert_cmpstr (hex, ==, expected);
  g_assert_cmpuint (size, ==, 5 * MIB - 1000);
  assert_progress (&progress, 5 * MIB - 1000);
  close (fd);
  progress_clear (&progress);
}

typedef struct
{
  GBytes *content;
  int     fd;
} PipeWriter;

/* Writes in odd pieces so that the hasher's reads come back short and
 * never end on a step. */
static gpointer
write_pipe (gpointer data)
{
  PipeWriter *writer = data;
  gsize size;
  const guint8 *bytes = g_bytes_get_data (writer->content, &size);
  gsize done = 0;

  while (done < size)
    {
      gssize n = write (writer->fd, bytes + done, MIN (100003, size - done));

      if (n < 0 && errno == EINTR)
        continue;
      /* EPIPE once the reader gave up */
      if (n < 0)
        break;
      done += (gsize) n;
    }
  close (writer->fd);
  return NULL;
}

static gboolean
hash_pipe (GBytes       *content,
           Progress     *progress,
           GCancellable *cancellable,
           char          hex[65],
           guint64      *size,
           GError      **error)
{
  PipeWriter writer = { content, -1 };
  GThread *thread;
  gboolean ok;
  int fds[2];

  g_assert_no_errno (pipe (fds));
  writer.fd = fds[1];
  thread = g_thread_new ("pipe-writer", write_pipe, &writer);
  ok = yp_hash_fd_sync_full (fds[0], hex, size, record_progress, progress, cancellable, error);
  close (fds[0]);
  g_thread_join (thread);
  return ok;
}

static void
test_pipe_short_reads (void)
{
  g_autoptr(GBytes) content = make_content (40 * MIB + 7);
  g_autofree char *expected = expected_hex (content);
  g_autoptr(GError) error = NULL;
  Progress progress;
  guint64 size = 0;
  char hex[65];

  progress_init (&progress);
  g_assert_true (hash_pipe (content, &progress, NULL, hex, &size, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (hex, ==, expected);
  g_assert_cmpuint (size, ==, 40 * MIB + 7);
  g_assert_cmpuint (progress.reports->len, >=, 10);
  assert_progress (&progress, 40 * MIB + 7);
  progress_clear (&progress);
}

static void
test_pipe_cancel (void)
{
  g_autoptr(GBytes) content = make_content (40 * MIB);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GError) error = NULL;
  Progress progress;
  guint64 first;
  char hex[65];

  progress_init (&progress);
  progress.cancel_after_first = g_object_ref (cancellable);
  g_assert_false (hash_pipe (content, &progress, cancellable, hex, NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  first = g_array_index (progress.reports, guint64, 0);
  g_assert_cmpuint (first, <=, YP_HASH_PROGRESS_STEP);
  g_assert_cmpuint (progress.reports->len, ==, 1);
  progress_clear (&progress);
}

int
main (int    argc,
      char **argv)
{
  /* a writer left on a closed pipe must fail, not kill the test */
  signal (SIGPIPE, SIG_IGN);
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/yunpan/client/hasher/sizes", test_sizes);
  g_test_add_func ("/yunpan/client/hasher/progress", test_progress);
  g_test_add_func ("/yunpan/client/hasher/cancel-from-progress", test_cancel_from_progress);
  g_test_add_func ("/yunpan/client/hasher/cancelled-before", test_cancelled_before);
  g_test_add_func ("/yunpan/client/hasher/from-offset", test_from_offset);
  g_test_add_func ("/yunpan/client/hasher/pipe-short-reads", test_pipe_short_reads);
  g_test_add_func ("/yunpan/client/hasher/pipe-cancel", test_pipe_cancel);
  return g_test_run ();
}
