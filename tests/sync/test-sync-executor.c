/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The executor against a real server: plans made by the reconciler from a
 * scan of a real folder and a listing of the server, applied to both, and
 * what the base records afterwards. Plans whose expectations were
 * overtaken (a file saved after the plan was made, a newer version on the
 * server) change nothing; an interrupted upload resumes from the state.
 */
#include <string.h>
#include <sys/stat.h>

#include <glib/gstdio.h>

#include "yp-client-error.h"
#include "yp-sync-test-fixture.h"

/* ------------------------------------------------------------------------
 * Uploads
 * ------------------------------------------------------------------------ */

static void
test_upload_new (Fixture       *f,
                 gconstpointer  data)
{
  Pair p = { 0 };
  g_autoptr(GPtrArray) activity = NULL;
  g_autoptr(GError) error = NULL;
  YpSyncActivity *entry;

  pair_init (&p, f);
  write_local (&p, "a.txt", "hello");
  sync_pass (&p);
  g_assert_cmpint (outcome_of (&p, "a.txt"), ==, YP_SYNC_OUTCOME_DONE);
  g_assert_cmpuint (p.items_done, ==, 1);
  g_assert_cmpuint (p.items_total, ==, 1);
  g_assert_cmpuint (p.bytes_done, ==, strlen ("hello"));
  g_assert_cmpuint (p.bytes_total, ==, strlen ("hello"));
  assert_remote (&p, "a.txt", "hello");
  assert_base_matches (&p, "a.txt");
  assert_in_sync (&p);

  activity = yp_sync_state_dup_activity_sync (p.state, 10, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (activity->len, ==, 1);
  entry = g_ptr_array_index (activity, 0);
  g_assert_cmpint (entry->kind, ==, YP_SYNC_ACTIVITY_UPLOAD);
  g_assert_cmpstr (entry->path, ==, "a.txt");
  pair_clear (&p);
}

/* An edit uploads over the version the base has; when the server moved
 * on after the plan was made, the upload is deferred and overwrites
 * nothing. */
static void
test_upload_over_version (Fixture       *f,
                          gconstpointer  data)
{
  Pair p = { 0 };
  g_autoptr(YpSyncPlan) plan = NULL;
  g_autoptr(YpSyncTree) remote = NULL;
  g_autoptr(YpSyncItem) before = NULL, after = NULL;
  g_autoptr(YpNode) first = NULL, second = NULL, theirs = NULL;
  YpSyncAction *action;

  pair_init (&p, f);
  write_local (&p, "a.txt", "one");
  sync_pass (&p);
  first = stat_remote (&p, "a.txt");

  edit_local (&p, "a.txt", "two, longer");
  plan = make_plan (&p, &remote);
  action = find_action (plan, YP_SYNC_ACTION_UPLOAD, "a.txt");
  g_assert_cmpint (action->if_version, ==, yp_node_get_version (first));
  execute (&p, plan, remote);
  g_assert_cmpint (outcome_of (&p, "a.txt"), ==, YP_SYNC_OUTCOME_DONE);
  second = stat_remote (&p, "a.txt");
  g_assert_cmpint (yp_node_get_id (second), ==, yp_node_get_id (first));
  g_assert_cmpint (yp_node_get_version (second), >, yp_node_get_version (first));
  assert_remote (&p, "a.txt", "two, longer");
  assert_base_matches (&p, "a.txt");

  /* the plan is made, then another device writes */
  g_clear_pointer (&plan, yp_sync_plan_unref);
  g_clear_pointer (&remote, yp_sync_tree_unref);
  write_local (&p, "a.txt", "three, mine");
  plan = make_plan (&p, &remote);
  find_action (plan, YP_SYNC_ACTION_UPLOAD, "a.txt");
  theirs = write_remote (&p, "a.txt", "theirs");
  before = base_item (&p, "a.txt");
  execute (&p, plan, remote);
  g_assert_cmpint (outcome_of (&p, "a.txt"), ==, YP_SYNC_OUTCOME_DEFERRED);
  assert_remote (&p, "a.txt", "theirs");
  assert_local (&p, "a.txt", "three, mine");
  after = base_item (&p, "a.txt");
  g_assert_cmpint (after->remote_version, ==, before->remote_version);
  g_assert_cmpstr (after->sha256, ==, before->sha256);
  pair_clear (&p);
}

/* ------------------------------------------------------------------------
 * Downloads
 * ------------------------------------------------------------------------ */

static void
collect_done (GPtrArray     *done,
              YpSyncAction  *action,
              YpSyncOutcome  outcome,
              const GError  *error)
{
  if (outcome == YP_SYNC_OUTCOME_DONE)
    g_ptr_array_add (done, g_strdup (action->path));
}

static void
test_download_new (Fixture       *f,
                   gconstpointer  data)
{
  Pair p = { 0 };
  g_autoptr(YpNode) node = NULL;
  g_autofree char *file = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GDir) dir = NULL;
  struct stat st;

  guint stats;

  pair_init (&p, f);
  node = write_remote (&p, "b.txt", "from the server");
  /* the listing says all a download needs: no stat before it */
  stats = logged_requests (f, "GET /api/v1/files/stat");
  sync_pass (&p);
  g_assert_cmpuint (logged_requests (f, "GET /api/v1/files/stat"), ==, stats);
  g_assert_cmpint (outcome_of (&p, "b.txt"), ==, YP_SYNC_OUTCOME_DONE);
  assert_local (&p, "b.txt", "from the server");
  assert_base_matches (&p, "b.txt");
  file = local_path (&p, "b.txt");
  g_assert_cmpint (lstat (file, &st), ==, 0);
  g_assert_cmpint (st.st_mtim.tv_sec, ==, yp_node_get_mtime (node));
  assert_in_sync (&p);

  /* the part file was made in the staging folder, and is gone */
  dir = g_dir_open (p.staging, 0, &error);
  g_assert_no_error (error);
  g_assert_null (g_dir_read_name (dir));
  pair_clear (&p);
}

/* A file replaced on the server after the listing the plan came from is
 * not downloaded as listed: the server's ETag refuses it, and the next
 * pass brings the new content. */
static void
test_download_changed_since_listed (Fixture       *f,
                                    gconstpointer  data)
{
  Pair p = { 0 };
  g_autoptr(YpSyncPlan) plan = NULL;
  g_autoptr(YpSyncTree) remote = NULL;
  g_autoptr(YpNode) first = NULL, second = NULL;
  g_autofree char *file = NULL;

  pair_init (&p, f);
  first = write_remote (&p, "c.txt", "as listed");
  plan = make_plan (&p, &remote);
  find_action (plan, YP_SYNC_ACTION_DOWNLOAD, "c.txt");
  second = write_remote (&p, "c.txt", "replaced since, longer than before");
  execute (&p, plan, remote);
  g_assert_cmpint (outcome_of (&p, "c.txt"), !=, YP_SYNC_OUTCOME_DONE);
  file = local_path (&p, "c.txt");
  g_assert_false (g_file_test (file, G_FILE_TEST_EXISTS));

  sync_pass (&p);
  assert_local (&p, "c.txt", "replaced since, longer than before");
  assert_in_sync (&p);
  pair_clear (&p);
}

/* Small new files come several at a time, and more than the queue holds:
 * each one is told and recorded as a single download would be, in the
 * plan's order, and one that changed since the listing fails alone. */
static void
test_download_several_at_once (Fixture       *f,
                               gconstpointer  data)
{
  Pair p = { 0 };
  g_autoptr(YpSyncPlan) plan = NULL;
  g_autoptr(YpSyncTree) remote = NULL;
  g_autoptr(GPtrArray) done = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(YpNode) changed = NULL;
  const char *previous = NULL;
  const guint n = 150;

  pair_init (&p, f);
  for (guint i = 0; i < 3; i++)
    {
      g_autofree char *folder = g_strdup_printf ("d%u", i);
      g_autofree char *remote_folder = remote_path (folder);
      g_autoptr(GError) error = NULL;
      g_autoptr(YpNode) node = yp_client_mkdir_sync (f->client, YP_TARGET_PATH (remote_folder),
                                                     TRUE, NULL, &error);

      g_assert_no_error (error);
    }
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *path = g_strdup_printf ("d%u/f%03u.txt", i % 3, i);
      g_autofree char *content = g_strdup_printf ("content of %u", i);
      g_autoptr(YpNode) node = write_remote (&p, path, content);
    }
  plan = make_plan (&p, &remote);
  changed = write_remote (&p, "d1/f100.txt", "replaced after the listing");
  g_signal_connect_swapped (p.executor, "action-finished", G_CALLBACK (collect_done), done);
  execute (&p, plan, remote);

  for (guint i = 0; i < n; i++)
    {
      g_autofree char *path = g_strdup_printf ("d%u/f%03u.txt", i % 3, i);
      g_autofree char *content = g_strdup_printf ("content of %u", i);

      if (i == 100)
        {
          g_assert_cmpint (outcome_of (&p, path), !=, YP_SYNC_OUTCOME_DONE);
          continue;
        }
      g_assert_cmpint (outcome_of (&p, path), ==, YP_SYNC_OUTCOME_DONE);
      assert_local (&p, path, content);
      assert_base_matches (&p, path);
    }
  /* the downloads in the plan's order (new folders do not wait) */
  g_assert_cmpuint (done->len, ==, n - 1 + 3);
  for (guint i = 0; i < done->len; i++)
    {
      const char *path = g_ptr_array_index (done, i);

      if (strchr (path, '/') == NULL)
        continue;
      if (previous != NULL)
        g_assert_cmpstr (previous, <, path);
      previous = path;
    }

  sync_pass (&p);
  assert_local (&p, "d1/f100.txt", "replaced after the listing");
  assert_in_sync (&p);
  pair_clear (&p);
}

static void
test_download_over_unchanged (Fixture       *f,
                              gconstpointer  data)
{
  Pair p = { 0 };
  g_autoptr(YpNode) node = NULL;

  pair_init (&p, f);
  write_local (&p, "b.txt", "old");
  sync_pass (&p);
  node = write_remote (&p, "b.txt", "new from the server");
  sync_pass (&p);
  g_assert_cmpint (outcome_of (&p, "b.txt"), ==, YP_SYNC_OUTCOME_DONE);
  assert_local (&p, "b.txt", "new from the server");
  assert_base_matches (&p, "b.txt");
  assert_in_sync (&p);
  pair_clear (&p);
}

/* A local file saved after the plan was made is not overwritten. */
static void
test_download_local_edited (Fixture       *f,
                            gconstpointer  data)
{
  Pair p = { 0 };
  g_autoptr(YpSyncPlan) plan = NULL;
  g_autoptr(YpSyncTree) remote = NULL;
  g_autoptr(YpSyncItem) before = NULL, after = NULL;
  g_autoptr(YpNode) node = NULL;

  pair_init (&p, f);
  write_local (&p, "b.txt", "old");
  sync_pass (&p);
  before = base_item (&p, "b.txt");
  node = write_remote (&p, "b.txt", "new from the server");
  plan = make_plan (&p, &remote);
  find_action (plan, YP_SYNC_ACTION_DOWNLOAD, "b.txt");
  edit_local (&p, "b.txt", "edited here meanwhile");
  execute (&p, plan, remote);
  g_assert_cmpint (outcome_of (&p, "b.txt"), ==, YP_SYNC_OUTCOME_DEFERRED);
  assert_local (&p, "b.txt", "edited here meanwhile");
  after = base_item (&p, "b.txt");
  g_assert_cmpint (after->remote_version, ==, before->remote_version);
  g_assert_cmpint (after->mtime_ns, ==, before->mtime_ns);
  pair_clear (&p);
}
/* ------------------------------------------------------------------------
 * Resuming
 * ------------------------------------------------------------------------ */

/* Chunk PUTs the server logged for UPLOAD_ID. */
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

/* Cancelled midway, a run leaves the upload's id in the state; a new
 * executor (as after a restart) resumes it: no new upload, no chunk the
 * server had already acknowledged. */
static void
test_resume_upload (Fixture       *f,
                    gconstpointer  data)
{
  const gsize size = 24 * MIB;
  Pair p = { 0 };
  char sha[65];
  g_autofree char *file = NULL;
  g_autoptr(YpSyncPlan) plan = NULL;
  g_autoptr(YpSyncTree) remote = NULL;
  g_autoptr(YpRateLimiter) limiter = yp_rate_limiter_new (8 * MIB);
  g_autoptr(YpSyncUpload) upload = NULL;
  g_autoptr(GPtrArray) puts = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(YpNode) node = NULL;
  g_autofree char *upload_id = NULL;
  guint before, starts;
  guint64 lowest = G_MAXUINT64, highest = 0;

  pair_init (&p, f);
  yp_client_set_chunk_size (f->client, MIB);
  g_free (make_file (p.local, "big.bin", size, 7, sha));
  plan = make_plan (&p, &remote);
  find_action (plan, YP_SYNC_ACTION_UPLOAD, "big.bin");

  yp_sync_executor_set_rate_limiter (p.executor, limiter);
  p.cancel_at = 8 * MIB;
  g_assert_false (yp_sync_executor_run_sync (p.executor, plan, remote, p.cancellable, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&error);
  upload = yp_sync_state_lookup_upload_sync (p.state, "big.bin", &error);
  g_assert_no_error (error);
  g_assert_nonnull (upload);
  g_assert_cmpstr (upload->sha256, ==, sha);
  upload_id = g_strdup (upload->upload_id);
  g_assert_null (stat_remote (&p, "big.bin"));
  starts = logged_requests (f, "POST /api/v1/uploads HTTP");
  g_assert_cmpuint (starts, ==, 1);
  puts = logged_puts_of (f, upload_id);
  before = puts->len;
  g_assert_cmpuint (before, >, 0);
  for (guint i = 0; i < before; i++)
    highest = MAX (highest, line_offset (g_ptr_array_index (puts, i)));
  g_assert_cmpuint (highest, >=, 4 * MIB);
  g_clear_pointer (&puts, g_ptr_array_unref);

  /* a new executor, as after a restart, without a limit */
  g_clear_object (&p.executor);
  p.executor = new_executor (&p);
  p.cancel_at = 0;
  execute (&p, plan, remote);
  g_assert_cmpint (outcome_of (&p, "big.bin"), ==, YP_SYNC_OUTCOME_DONE);
  node = stat_remote (&p, "big.bin");
  g_assert_nonnull (node);
  g_assert_cmpstr (yp_node_get_sha256 (node), ==, sha);
  assert_base_matches (&p, "big.bin");
  g_clear_pointer (&upload, yp_sync_upload_free);
  upload = yp_sync_state_lookup_upload_sync (p.state, "big.bin", &error);
  g_assert_no_error (error);
  g_assert_null (upload);

  g_assert_cmpuint (logged_requests (f, "POST /api/v1/uploads HTTP"), ==, starts);
  puts = logged_puts_of (f, upload_id);
  g_assert_cmpuint (puts->len, >, before);
  for (guint i = before; i < puts->len; i++)
    lowest = MIN (lowest, line_offset (g_ptr_array_index (puts, i)));
  /* at most the chunk cancelled midway is sent again */
  g_assert_cmpuint (lowest, >=, highest);
  g_assert_cmpuint (lowest, <, size);
  pair_clear (&p);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GError) error = NULL;
  /* the pairs' databases; not G_TEST_OPTION_ISOLATE_DIRS, which hides the
   * GSettings schemas the client's HTTP stack reads */
  g_autofree char *data_home = g_dir_make_tmp ("yp-sync-executor-XXXXXX", &error);
  int status;

  g_assert_no_error (error);
  g_setenv ("XDG_DATA_HOME", data_home, TRUE);
  g_test_init (&argc, &argv, NULL);

  fixture_add ("/yunpan/sync/executor/upload/new", test_upload_new);
  fixture_add ("/yunpan/sync/executor/upload/over-version", test_upload_over_version);
  fixture_add ("/yunpan/sync/executor/download/new", test_download_new);
  fixture_add ("/yunpan/sync/executor/download/changed-since-listed", test_download_changed_since_listed);
  fixture_add ("/yunpan/sync/executor/download/several-at-once", test_download_several_at_once);
  fixture_add ("/yunpan/sync/executor/download/over-unchanged", test_download_over_unchanged);
  fixture_add ("/yunpan/sync/executor/download/local-edited", test_download_local_edited);
  fixture_add ("/yunpan/sync/executor/resume-upload", test_resume_upload);

  status = g_test_run ();
  remove_tree (data_home);
  return status;
}

