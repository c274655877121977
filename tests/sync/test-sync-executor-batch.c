/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The executor's small uploads against a real server: a first sync of
 * many small files goes in a few files/batch requests instead of one
 * upload each, every file ends up on the server and in the base, and a
 * file whose upload is refused is deferred alone.
 */
#include <string.h>

#include <glib/gstdio.h>

#include "yp-client-error.h"
#include "yp-file-batch.h"
#include "yp-sync-test-fixture.h"

#define BATCH_REQUEST  "POST " YP_API_PREFIX "/files/batch "
#define UPLOAD_REQUEST "POST " YP_API_PREFIX "/uploads "

static char *
file_name (guint i)
{
  return g_strdup_printf ("%s%04u.txt", i < 100 ? "" : i < 200 ? "docs/" : "docs/notes/", i);
}

static char *
file_contents (guint i)
{
  return g_strdup_printf ("file %u %s", i, i % 7 ? "" : "with a longer line of text");
}

static guint
requests (Pair       *p,
          const char *needle)
{
  log_barrier (p->f);
  return logged_requests (p->f, needle);
}

/* 300 small files, a third of them in each of three folders, the deeper
 * two new as well: the folders are made as the plan comes to them, and a
 * new folder does not end the batch, so all the files go in one request. */
static void
test_first_sync_in_few_requests (Fixture       *f,
                                 gconstpointer  data)
{
  Pair p = { 0 };
  g_autofree char *docs = NULL, *notes = NULL;
  g_autoptr(YpSyncTree) base = NULL;
  guint batches;

  pair_init (&p, f);
  docs = local_path (&p, "docs");
  notes = local_path (&p, "docs/notes");
  g_assert_cmpint (g_mkdir (docs, 0700), ==, 0);
  g_assert_cmpint (g_mkdir (notes, 0700), ==, 0);
  for (guint i = 0; i < 300; i++)
    {
      g_autofree char *name = file_name (i);
      g_autofree char *contents = file_contents (i);

      write_local (&p, name, contents);
    }

  sync_pass (&p);
  batches = requests (&p, BATCH_REQUEST);
  g_test_message ("300 files in %u batch requests", batches);
  g_assert_cmpuint (batches, ==, 1);
  g_assert_cmpuint (requests (&p, UPLOAD_REQUEST), ==, 0);

  g_assert_cmpuint (p.items_done, ==, 302);
  g_assert_cmpuint (p.bytes_done, ==, p.bytes_total);
  for (guint i = 0; i < 300; i++)
    {
      g_autofree char *name = file_name (i);

      g_assert_cmpint (outcome_of (&p, name), ==, YP_SYNC_OUTCOME_DONE);
      assert_base_matches (&p, name);
    }
  for (guint i = 0; i < 300; i += 37)
    {
      g_autofree char *name = file_name (i);
      g_autofree char *contents = file_contents (i);

      assert_remote (&p, name, contents);
    }
  base = base_tree (&p);
  g_assert_cmpuint (yp_sync_tree_size (base), ==, 302);
  assert_in_sync (&p);
  pair_clear (&p);
}

/* The batch holds at most the executor's limit; a file over the per-file
 * limit is uploaded on its own, between the batches. */
static void
test_limit_and_big_file (Fixture       *f,
                         gconstpointer  data)
{
  Pair p = { 0 };
  g_autofree char *big = g_strnfill (YP_FILE_BATCH_MAX_FILE_SIZE + 1, 'x');

  pair_init (&p, f);
  yp_sync_executor_set_upload_batch_limit (p.executor, 40);
  for (guint i = 0; i < 100; i++)
    {
      g_autofree char *name = file_name (i);
      g_autofree char *contents = file_contents (i);

      write_local (&p, name, contents);
    }
  write_local (&p, "0050.big", big);

  sync_pass (&p);
  /* 40 + 40 + 20 around one upload, wherever it falls in the plan */
  g_assert_cmpuint (requests (&p, BATCH_REQUEST), >=, 3);
  g_assert_cmpuint (requests (&p, BATCH_REQUEST), <=, 4);
  g_assert_cmpuint (requests (&p, UPLOAD_REQUEST), ==, 1);
  g_assert_cmpint (outcome_of (&p, "0050.big"), ==, YP_SYNC_OUTCOME_DONE);
  assert_base_matches (&p, "0050.big");
  for (guint i = 0; i < 100; i++)
    {
      g_autofree char *name = file_name (i);

      g_assert_cmpint (outcome_of (&p, name), ==, YP_SYNC_OUTCOME_DONE);
      assert_base_matches (&p, name);
    }
  assert_in_sync (&p);
  pair_clear (&p);
}

/* Edits over the base's versions go in one batch: the file another device
 * wrote meanwhile, and the one saved again after the plan was made, are
 * deferred and overwrite nothing; the others are done. */
static void
test_conflict_deferred_alone (Fixture       *f,
                              gconstpointer  data)
{
  Pair p = { 0 };
  g_autoptr(YpSyncPlan) plan = NULL;
  g_autoptr(YpSyncTree) remote = NULL;
  g_autoptr(YpSyncItem) before = NULL, after = NULL, d_before = NULL, resaved = NULL;
  g_autoptr(YpNode) theirs = NULL;
  guint batches;

  pair_init (&p, f);
  write_local (&p, "a.txt", "a one");
  write_local (&p, "b.txt", "b one");
  write_local (&p, "c.txt", "c one");
  write_local (&p, "d.txt", "d one");
  sync_pass (&p);
  batches = requests (&p, BATCH_REQUEST);
  g_assert_cmpuint (batches, ==, 1);

  edit_local (&p, "a.txt", "a two");
  edit_local (&p, "b.txt", "b two");
  edit_local (&p, "c.txt", "c two");
  edit_local (&p, "d.txt", "d two");
  plan = make_plan (&p, &remote);
  for (guint i = 0; i < 4; i++)
    {
      const char *name = (const char *[]) { "a.txt", "b.txt", "c.txt", "d.txt" }[i];

      g_assert_cmpint (find_action (plan, YP_SYNC_ACTION_UPLOAD, name)->if_version, >, 0);
    }
  theirs = write_remote (&p, "b.txt", "b theirs");
  before = base_item (&p, "b.txt");
  d_before = base_item (&p, "d.txt");
  write_local (&p, "d.txt", "d three, saved again");
  execute (&p, plan, remote);

  g_assert_cmpuint (requests (&p, BATCH_REQUEST), ==, batches + 1);
  g_assert_cmpint (outcome_of (&p, "a.txt"), ==, YP_SYNC_OUTCOME_DONE);
  g_assert_cmpint (outcome_of (&p, "b.txt"), ==, YP_SYNC_OUTCOME_DEFERRED);
  g_assert_cmpint (outcome_of (&p, "c.txt"), ==, YP_SYNC_OUTCOME_DONE);
  g_assert_cmpint (outcome_of (&p, "d.txt"), ==, YP_SYNC_OUTCOME_DEFERRED);
  assert_remote (&p, "a.txt", "a two");
  assert_remote (&p, "b.txt", "b theirs");
  assert_remote (&p, "c.txt", "c two");
  assert_remote (&p, "d.txt", "d one");
  assert_local (&p, "b.txt", "b two");
  assert_base_matches (&p, "a.txt");
  assert_base_matches (&p, "c.txt");
  after = base_item (&p, "b.txt");
  g_assert_cmpint (after->remote_version, ==, before->remote_version);
  g_assert_cmpstr (after->sha256, ==, before->sha256);
  resaved = base_item (&p, "d.txt");
  g_assert_cmpint (resaved->remote_version, ==, d_before->remote_version);
  g_assert_cmpstr (resaved->sha256, ==, d_before->sha256);
  pair_clear (&p);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GError) error = NULL;
  /* the pairs' databases; not G_TEST_OPTION_ISOLATE_DIRS, which hides the
   * GSettings schemas the client's HTTP stack reads */
  g_autofree char *data_home = g_dir_make_tmp ("yp-sync-executor-batch-XXXXXX", &error);
  int status;

  g_assert_no_error (error);
  g_setenv ("XDG_DATA_HOME", data_home, TRUE);
  g_test_init (&argc, &argv, NULL);

  fixture_add ("/yunpan/sync/executor/batch/first-sync", test_first_sync_in_few_requests);
  fixture_add ("/yunpan/sync/executor/batch/limit-and-big-file", test_limit_and_big_file);
  fixture_add ("/yunpan/sync/executor/batch/conflict-deferred-alone",
               test_conflict_deferred_alone);

  status = g_test_run ();
  remove_tree (data_home);
  return status;
}
