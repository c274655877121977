/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Many small files in one request (yp_client_store_files_sync) against a
 * real server: what is stored, each entry's own failure, files that changed
 * after they were hashed, and a repeat after a lost answer.
 */
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "yp-client-error.h"
#include "yp-client-private.h"
#include "yp-file-batch.h"
#include "yp-test-fixture.h"
#include "yp-test-proxy.h"

#define BATCH_REQUEST "POST " YP_API_PREFIX "/files/batch"

/* An entry for a new file DIR/NAME of LEN bytes, to go to TARGET. */
static YpFileBatchEntry *
entry_new (const char     *dir,
           const char     *name,
           gsize           len,
           guint32         seed,
           const YpTarget *target,
           gint64          if_version)
{
  char sha256[65];
  g_autofree char *path = make_file (dir, name, len, seed, sha256);
  g_autoptr(GError) error = NULL;
  YpFileIdentity identity;

  g_assert_true (yp_file_identity_from_path (path, &identity, &error));
  g_assert_no_error (error);
  return yp_file_batch_entry_new (path, target, if_version, sha256, &identity);
}

static GPtrArray *
entries_new (void)
{
  return g_ptr_array_new_with_free_func ((GDestroyNotify) yp_file_batch_entry_unref);
}

static YpFileBatchEntry *
entry_at (GPtrArray *entries,
          guint      i)
{
  return g_ptr_array_index (entries, i);
}

/* Fails unless ENTRY was stored, with its own bytes. */
static void
assert_stored (Fixture          *f,
               YpFileBatchEntry *entry)
{
  YpNode *node = yp_file_batch_entry_get_node (entry);
  g_autofree char *back = g_strconcat (yp_file_batch_entry_get_local_path (entry), ".back", NULL);
  g_autoptr(YpTransfer) transfer = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_null (yp_file_batch_entry_get_error (entry));
  g_assert_nonnull (node);
  g_assert_cmpstr (yp_node_get_sha256 (node), ==, yp_file_batch_entry_get_sha256 (entry));
  g_assert_cmpint (yp_node_get_size (node), ==, (gint64) yp_file_batch_entry_get_size (entry));
  g_assert_cmpint (yp_node_get_mtime (node), ==, yp_file_batch_entry_get_mtime (entry));
  transfer = download (f->client, yp_node_get_path (node), back, &error);
  g_assert_no_error (error);
  assert_same_file (yp_file_batch_entry_get_local_path (entry), back);
}

static void
assert_entry_error (YpFileBatchEntry *entry,
                    GQuark            domain,
                    int               code)
{
  g_assert_error (yp_file_batch_entry_get_error (entry), domain, code);
  g_assert_null (yp_file_batch_entry_get_node (entry));
}

static guint
count_batches (Fixture *f)
{
  log_barrier (f);
  return logged_requests (f, BATCH_REQUEST);
}

/* A hundred files, empty to 1 MiB, by parent and name or by path, go in
 * one request, and the server has each with its bytes. */
static void
test_batch_many_files (Fixture       *f,
                       gconstpointer  data)
{
  g_autoptr(GPtrArray) entries = entries_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(YpNode) folder = yp_client_mkdir_sync (f->client, YP_TARGET_PATH ("/many"), FALSE,
                                                   NULL, &error);
  g_autoptr(YpListing) listing = NULL;

  g_assert_no_error (error);
  for (guint i = 0; i < 100; i++)
    {
      g_autofree char *name = g_strdup_printf ("f%03u.bin", i);
      g_autofree char *path = g_strconcat ("/many/", name, NULL);
      gsize len = i == 0 ? 0 : i == 1 ? YP_FILE_BATCH_MAX_FILE_SIZE : 100 + i * 97;

      g_ptr_array_add (entries, entry_new (f->dir, name, len, i,
                                           i % 2 ? YP_TARGET_PATH (path)
                                                 : YP_TARGET_CHILD (yp_node_get_id (folder), name),
                                           YP_VERSION_NONE));
    }

  g_assert_true (yp_client_store_files_sync (f->client, entries, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (count_batches (f), ==, 1);
  for (guint i = 0; i < entries->len; i++)
    assert_stored (f, entry_at (entries, i));
  listing = yp_client_list_sync (f->client, YP_TARGET_PATH ("/many"), NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (listing->total, ==, 100);
}

/* if_version replaces exactly that version; a stale one and a taken name
 * fail on their own, with what the single upload would have said. */
static void
test_batch_conflict (Fixture       *f,
                     gconstpointer  data)
{
  g_autoptr(GPtrArray) first = entries_new ();
  g_autoptr(GPtrArray) second = entries_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(YpNode) a = NULL;
  g_autoptr(YpNode) b_now = NULL;
  gint64 a_version, b_version, current = 0;

  g_ptr_array_add (first, entry_new (f->dir, "a", 10, 1, YP_TARGET_PATH ("/a"), YP_VERSION_NONE));
  g_ptr_array_add (first, entry_new (f->dir, "b", 10, 2, YP_TARGET_PATH ("/b"), YP_VERSION_NONE));
  g_ptr_array_add (first, entry_new (f->dir, "c", 10, 3, YP_TARGET_PATH ("/c"), YP_VERSION_NONE));
  g_assert_true (yp_client_store_files_sync (f->client, first, NULL, &error));
  g_assert_no_error (error);
  a_version = yp_node_get_version (yp_file_batch_entry_get_node (entry_at (first, 0)));
  b_version = yp_node_get_version (yp_file_batch_entry_get_node (entry_at (first, 1)));

  g_ptr_array_add (second, entry_new (f->dir, "a2", 20, 4, YP_TARGET_PATH ("/a"), a_version));
  g_ptr_array_add (second, entry_new (f->dir, "b2", 20, 5, YP_TARGET_PATH ("/b"),
                                      b_version + 7));
  g_ptr_array_add (second, entry_new (f->dir, "c2", 20, 6, YP_TARGET_PATH ("/c"),
                                      YP_VERSION_NONE));
  g_ptr_array_add (second, entry_new (f->dir, "d", 20, 7, YP_TARGET_PATH ("/d"),
                                      YP_VERSION_NONE));
  g_assert_true (yp_client_store_files_sync (f->client, second, NULL, &error));
  g_assert_no_error (error);

  assert_stored (f, entry_at (second, 0));
  a = g_object_ref (yp_file_batch_entry_get_node (entry_at (second, 0)));
  g_assert_cmpint (yp_node_get_version (a), >, a_version);
  assert_entry_error (entry_at (second, 1), YP_CLIENT_ERROR, YP_CLIENT_ERROR_CONFLICT);
  g_assert_true (yp_client_error_get_version (yp_file_batch_entry_get_error (entry_at (second, 1)),
                                              &current));
  g_assert_cmpint (current, ==, b_version);
  assert_entry_error (entry_at (second, 2), YP_CLIENT_ERROR, YP_CLIENT_ERROR_EXISTS);
  assert_stored (f, entry_at (second, 3));

  /* the refused replacement left the first bytes in place */
  b_now = yp_client_stat_sync (f->client, YP_TARGET_PATH ("/b"), NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (yp_node_get_sha256 (b_now), ==,
                   yp_file_batch_entry_get_sha256 (entry_at (first, 1)));
}

/* A file written again after it was hashed, or gone, is not sent with the
 * old hash: its entry fails, the others are stored. */
static void
test_batch_changed_after_hashing (Fixture       *f,
                                  gconstpointer  data)
{
  g_autoptr(GPtrArray) entries = entries_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(YpNode) missing = NULL;
  g_autofree char *same_size = NULL;

  g_ptr_array_add (entries, entry_new (f->dir, "kept", 100, 1, YP_TARGET_PATH ("/kept"),
                                       YP_VERSION_NONE));
  g_ptr_array_add (entries, entry_new (f->dir, "edited", 100, 2, YP_TARGET_PATH ("/edited"),
                                       YP_VERSION_NONE));
  g_ptr_array_add (entries, entry_new (f->dir, "grown", 100, 3, YP_TARGET_PATH ("/grown"),
                                       YP_VERSION_NONE));
  g_ptr_array_add (entries, entry_new (f->dir, "gone", 100, 4, YP_TARGET_PATH ("/gone"),
                                       YP_VERSION_NONE));

  /* same size, other bytes, later modification time */
  g_usleep (10 * G_TIME_SPAN_MILLISECOND);
  g_free (make_file (f->dir, "edited", 100, 99, NULL));
  g_free (make_file (f->dir, "grown", 101, 3, NULL));
  same_size = g_build_filename (f->dir, "gone", NULL);
  g_assert_cmpint (g_unlink (same_size), ==, 0);

  g_assert_true (yp_client_store_files_sync (f->client, entries, NULL, &error));
  g_assert_no_error (error);
  assert_stored (f, entry_at (entries, 0));
  assert_entry_error (entry_at (entries, 1), YP_CLIENT_ERROR, YP_CLIENT_ERROR_CHANGED);
  assert_entry_error (entry_at (entries, 2), YP_CLIENT_ERROR, YP_CLIENT_ERROR_CHANGED);
  assert_entry_error (entry_at (entries, 3), G_IO_ERROR, G_IO_ERROR_NOT_FOUND);

  missing = yp_client_stat_sync (f->client, YP_TARGET_PATH ("/edited"), NULL, &error);
  g_assert_error (error, YP_CLIENT_ERROR, YP_CLIENT_ERROR_NOT_FOUND);
  g_assert_null (missing);
}

/* A parent in another account's tree is as absent as one that does not
 * exist, for that entry alone. */
static void
test_batch_foreign_parent (Fixture       *f,
                           gconstpointer  data)
{
  g_autoptr(YpClient) bob = new_user (f->server, "bob");
  g_autoptr(GPtrArray) entries = entries_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(YpNode) theirs = yp_client_mkdir_sync (bob, YP_TARGET_PATH ("/theirs"), FALSE,
                                                   NULL, &error);
  g_autoptr(YpListing) listing = NULL;

  g_assert_no_error (error);
  g_ptr_array_add (entries, entry_new (f->dir, "mine", 10, 1, YP_TARGET_PATH ("/mine"),
                                       YP_VERSION_NONE));
  g_ptr_array_add (entries, entry_new (f->dir, "intruder", 10, 2,
                                       YP_TARGET_CHILD (yp_node_get_id (theirs), "intruder"),
                                       YP_VERSION_NONE));
  g_ptr_array_add (entries, entry_new (f->dir, "also-mine", 10, 3, YP_TARGET_PATH ("/also-mine"),
                                       YP_VERSION_NONE));
  g_assert_true (yp_client_store_files_sync (f->client, entries, NULL, &error));
  g_assert_no_error (error);
  assert_stored (f, entry_at (entries, 0));
  assert_entry_error (entry_at (entries, 1), YP_CLIENT_ERROR, YP_CLIENT_ERROR_NOT_FOUND);
  assert_stored (f, entry_at (entries, 2));

  listing = yp_client_list_sync (bob, YP_TARGET_PATH ("/theirs"), NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (listing->total, ==, 0);
}

/* More entries than a request may carry fail the call before anything is
 * sent; a file over the per-file limit fails alone, unread. */
static void
test_batch_limits (Fixture       *f,
                   gconstpointer  data)
{
  g_autoptr(GPtrArray) many = entries_new ();
  g_autoptr(GPtrArray) mixed = entries_new ();
  g_autoptr(GError) error = NULL;
  YpFileBatchEntry *first;

  g_assert_true (yp_file_batch_fits (YP_FILE_BATCH_MAX_ENTRIES, 60 * MIB));
  g_assert_false (yp_file_batch_fits (YP_FILE_BATCH_MAX_ENTRIES + 1, 0));
  g_assert_false (yp_file_batch_fits (1, YP_FILE_BATCH_MAX_BYTES));

  first = entry_new (f->dir, "one", 1, 1, YP_TARGET_PATH ("/one"), YP_VERSION_NONE);
  for (guint i = 0; i <= YP_FILE_BATCH_MAX_ENTRIES; i++)
    g_ptr_array_add (many, yp_file_batch_entry_ref (first));
  yp_file_batch_entry_unref (first);
  g_assert_false (yp_client_store_files_sync (f->client, many, NULL, &error));
  g_assert_error (error, YP_CLIENT_ERROR, YP_CLIENT_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_cmpuint (count_batches (f), ==, 0);

  g_ptr_array_add (mixed, entry_new (f->dir, "big", YP_FILE_BATCH_MAX_FILE_SIZE + 1, 2,
                                     YP_TARGET_PATH ("/big"), YP_VERSION_NONE));
  g_ptr_array_add (mixed, entry_new (f->dir, "small", 5, 3, YP_TARGET_PATH ("/small"),
                                     YP_VERSION_NONE));
  g_assert_true (yp_client_store_files_sync (f->client, mixed, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (yp_client_error_get_status (yp_file_batch_entry_get_error (entry_at (mixed, 0))),
                   ==, YP_STATUS_TOO_LARGE);
  g_assert_null (yp_file_batch_entry_get_node (entry_at (mixed, 0)));
  assert_stored (f, entry_at (mixed, 1));
}

/* A whole-request failure leaves the entries without outcome. */
static void
test_batch_signed_out (Fixture       *f,
                       gconstpointer  data)
{
  g_autoptr(YpClient) anonymous = yp_client_new (f->server->url);
  g_autoptr(GPtrArray) entries = entries_new ();
  g_autoptr(GError) error = NULL;

  g_ptr_array_add (entries, entry_new (f->dir, "x", 5, 1, YP_TARGET_PATH ("/x"),
                                       YP_VERSION_NONE));
  g_assert_false (yp_client_store_files_sync (anonymous, entries, NULL, &error));
  g_assert_error (error, YP_CLIENT_ERROR, YP_CLIENT_ERROR_AUTH_EXPIRED);
  g_assert_null (yp_file_batch_entry_get_node (entry_at (entries, 0)));
  g_assert_null (yp_file_batch_entry_get_error (entry_at (entries, 0)));
}

/* ------------------------------------------------------------------------
 * A lost answer
 * ------------------------------------------------------------------------ */

/* A batch whose answer was lost is sent again with its Idempotency-Key and
 * the same bytes: the repeat gets the first answer, where a plain repeat
 * would answer `exists` for every file, and each file was created once. */
static void
test_batch_answer_lost (Fixture       *f,
                        gconstpointer  data)
{
  YpRetryPolicy fast = { 5, 10, 50 };
  Proxy *proxy = proxy_start (f->server, BATCH_REQUEST);
  g_autoptr(YpClient) client = yp_client_new (proxy->url);
  g_autofree char *token = yp_client_dup_token (f->client);
  g_autoptr(GPtrArray) entries = entries_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(YpChanges) changes = NULL;
  g_autoptr(GPtrArray) tries = NULL;
  guint n_creates = 0;

  yp_client_set_token (client, token);
  yp_client_set_retry_policy (client, &fast);
  for (guint i = 0; i < 5; i++)
    {
      g_autofree char *name = g_strdup_printf ("lost%u", i);
      g_autofree char *path = g_strconcat ("/", name, NULL);

      g_ptr_array_add (entries, entry_new (f->dir, name, 1000 + i, i, YP_TARGET_PATH (path),
                                           YP_VERSION_NONE));
    }
  g_assert_true (yp_client_store_files_sync (client, entries, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (g_atomic_int_get (&proxy->lost), ==, 1);
  tries = yp_test_server_wait_log_lines (f->server, BATCH_REQUEST, 2);
  g_assert_cmpuint (tries->len, ==, 2);
  for (guint i = 0; i < entries->len; i++)
    assert_stored (f, entry_at (entries, i));

  changes = yp_client_changes_sync (f->client, 0, 0, NULL, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < changes->changes->len; i++)
    if (((YpChange *) g_ptr_array_index (changes->changes, i))->op == YP_CHANGE_CREATE)
      n_creates++;
  g_assert_cmpuint (n_creates, ==, entries->len);

  assert_released (G_OBJECT (g_steal_pointer (&client)));
  proxy_stop (proxy);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  fixture_add ("/yunpan/client/batch/many-files", test_batch_many_files);
  fixture_add ("/yunpan/client/batch/conflict", test_batch_conflict);
  fixture_add ("/yunpan/client/batch/changed-after-hashing", test_batch_changed_after_hashing);
  fixture_add ("/yunpan/client/batch/foreign-parent", test_batch_foreign_parent);
  fixture_add ("/yunpan/client/batch/limits", test_batch_limits);
  fixture_add ("/yunpan/client/batch/signed-out", test_batch_signed_out);
  fixture_add ("/yunpan/client/batch/answer-lost", test_batch_answer_lost);

  return g_test_run ();
}
