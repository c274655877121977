/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The remote tree against a real server: the first listing, a listing
 * while the tree changes, and the change feed applied after many kinds of
 * change, each compared with a fresh listing.
 */
#include <string.h>

#include "yp-sync-remote.h"
#include "yp-sync-test-trees.h"
/* tests/client's fixture: a real server and a signed-in client per case */
#include "yp-test-fixture.h"

static gint64
make_folder (YpClient   *client,
             const char *path)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(YpNode) node = yp_client_mkdir_sync (client, YP_TARGET_PATH (path), TRUE, NULL,
                                                 &error);

  g_assert_no_error (error);
  return yp_node_get_id (node);
}

/* Uploads LEN bytes made from SEED to REMOTE, replacing what is there;
 * SHA256 (nullable) gets their hash. */
static void
put_file (Fixture    *f,
          const char *remote,
          gsize       len,
          guint32     seed,
          char        sha256[65])
{
  g_autofree char *local = make_file (f->dir, "upload", len, seed, sha256);
  g_autoptr(GError) error = NULL;
  g_autoptr(YpTransfer) transfer = NULL;

  transfer = yp_transfer_new_upload (local, remote, YP_VERSION_ANY);
  yp_client_upload_sync (f->client, transfer, &error);
  g_assert_no_error (error);
}

static void
move (YpClient   *client,
      const char *from,
      const char *to)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(YpNode) node = yp_client_move_sync (client, YP_TARGET_PATH (from),
                                                YP_TARGET_PATH (to), YP_VERSION_ANY, NULL,
                                                &error);

  g_assert_no_error (error);
}

static void
delete (YpClient   *client,
        const char *path)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (yp_client_delete_sync (client, YP_TARGET_PATH (path), YP_VERSION_ANY, NULL,
                                        NULL, &error));
  g_assert_no_error (error);
}

static YpSyncTree *
list (YpClient *client,
      gint64    root_id,
      gint64   *cursor)
{
  g_autoptr(GError) error = NULL;
  YpSyncTree *tree = yp_sync_remote_list_sync (client, root_id, NULL, NULL, cursor, &error);

  g_assert_no_error (error);
  g_assert_nonnull (tree);
  return tree;
}

/* Reads the feed from CURSOR to its end into TREE, in small pages; returns
 * whether a folder came in whose content must be listed. */
static gboolean
apply_feed (YpClient    *client,
            YpSyncTree  *tree,
            gint64       root_id,
            char       **root_path,
            gint64       cursor)
{
  gboolean needs_listing = FALSE;
  gboolean more = TRUE;

  while (more)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(YpChanges) changes = yp_client_changes_sync (client, cursor, 7, NULL, &error);

      g_assert_no_error (error);
      yp_sync_remote_apply_changes (tree, root_id, root_path, changes, &needs_listing);
      cursor = changes->cursor;
      more = changes->has_more;
    }
  return needs_listing;
}

/*
 * 2,500 entries: /Pair/big with 1,079 files (more than one page) and 20
 * folders of 5 folders of 13 files each.
 */
static gint64
make_sample (Fixture    *f,
             GHashTable *hashes)
{
  gint64 root_id = make_folder (f->client, "/Pair");
  guint seed = 0;

  make_folder (f->client, "/Pair/big");
  for (guint i = 0; i < 1079; i++)
    {
      g_autofree char *path = g_strdup_printf ("/Pair/big/f%04u.txt", i);
      char sha256[65];

      put_file (f, path, i % 7, ++seed, sha256);
      g_hash_table_insert (hashes, g_strdup (path + strlen ("/Pair/")), g_strdup (sha256));
    }
  for (guint i = 0; i < 20; i++)
    for (guint j = 0; j < 5; j++)
      {
        g_autofree char *folder = g_strdup_printf ("/Pair/d%02u/s%u", i, j);

        make_folder (f->client, folder);
        for (guint k = 0; k < 13; k++)
          {
            g_autofree char *path = g_strdup_printf ("%s/g%02u", folder, k);
            char sha256[65];

            put_file (f, path, 3 + k, ++seed, sha256);
            g_hash_table_insert (hashes, g_strdup (path + strlen ("/Pair/")), g_strdup (sha256));
          }
      }
  return root_id;
}

static void
test_listing (Fixture       *f,
              gconstpointer  data)
{
  g_autoptr(GHashTable) hashes = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_autoptr(YpSyncTree) tree = NULL;
  g_autoptr(YpSyncIgnore) ignore = yp_sync_ignore_new ();
  g_autoptr(YpSyncTree) filtered = NULL;
  g_autoptr(GPtrArray) items = NULL;
  g_autoptr(GError) error = NULL;
  gint64 root_id, cursor = -1, latest = 0;
  guint files = 0;

  root_id = make_sample (f, hashes);
  /* outside the root */
  put_file (f, "/elsewhere.txt", 5, 99, NULL);
  g_assert_true (yp_client_whoami_sync (f->client, &latest, NULL, &error));

  tree = list (f->client, root_id, &cursor);
  g_assert_cmpint (cursor, ==, latest);
  g_assert_cmpuint (yp_sync_tree_size (tree), ==, 2500);
  items = yp_sync_tree_dup_items (tree);
  for (guint i = 0; i < items->len; i++)
    {
      YpSyncItem *item = g_ptr_array_index (items, i);
      g_autofree char *absolute = g_strconcat ("/Pair/", item->path, NULL);
      g_autoptr(YpNode) node = NULL;

      g_assert_cmpint (item->remote_id, >, 0);
      g_assert_cmpint (item->remote_version, >, 0);
      if (item->kind == YP_SYNC_KIND_FOLDER)
        {
          g_assert_null (g_hash_table_lookup (hashes, item->path));
          continue;
        }
      files++;
      g_assert_cmpstr (item->sha256, ==, g_hash_table_lookup (hashes, item->path));
      if (i % 97 != 0)
        continue;
      /* the rest against the node itself */
      node = yp_client_stat_sync (f->client, YP_TARGET_PATH (absolute), NULL, &error);
      g_assert_no_error (error);
      g_assert_cmpint (item->remote_id, ==, yp_node_get_id (node));
      g_assert_cmpint (item->remote_version, ==, yp_node_get_version (node));
      g_assert_cmpuint (item->size, ==, yp_node_get_size (node));
      g_assert_cmpint (yp_node_get_mtime (node), >, 0);
      g_assert_cmpint (item->mtime_ns, ==, yp_node_get_mtime (node) * G_GINT64_CONSTANT (1000000000));
    }
  g_assert_cmpuint (files, ==, g_hash_table_size (hashes));
  g_assert_nonnull (yp_sync_tree_lookup (tree, "d19/s4/g12"));
  g_assert_nonnull (yp_sync_tree_lookup (tree, "big/f1078.txt"));

  /* what the ignore rules match is left out, folders with their content */
  yp_sync_ignore_add_patterns (ignore, "s3/\n/big/f00*\n");
  filtered = yp_sync_remote_list_sync (f->client, root_id, ignore, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (yp_sync_tree_size (filtered), ==, 2500 - 20 * 14 - 100);
  g_assert_null (yp_sync_tree_lookup (filtered, "d00/s3"));
  g_assert_null (yp_sync_tree_lookup (filtered, "big/f0099.txt"));
  g_assert_nonnull (yp_sync_tree_lookup (filtered, "big/f0100.txt"));
}

typedef struct
{
  YpClient    *client;
  gint64       root_id;
  gint64       cursor;
  YpSyncTree  *tree;
  gint         done;
} Listing;

static gpointer
list_thread (gpointer data)
{
  Listing *listing = data;

  listing->tree = list (listing->client, listing->root_id, &listing->cursor);
  g_atomic_int_set (&listing->done, 1);
  return NULL;
}

/* Changes made while the tree is listed, in folders listed already and in
 * folders not listed yet, are there once the feed is applied from the
 * listing's cursor. */
static void
test_listing_while_changing (Fixture       *f,
                             gconstpointer  data)
{
  g_autoptr(GHashTable) hashes = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_autoptr(YpClient) other = yp_client_new (f->server->url);
  g_autoptr(YpSyncTree) fresh = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *root_path = g_strdup ("/Pair");
  Listing listing = { .client = f->client };
  GThread *thread;
  guint made = 0;

  listing.root_id = make_sample (f, hashes);
  g_assert_true (yp_client_login_sync (other, "alice", PASSWORD, NULL, &error));
  g_assert_no_error (error);

  thread = g_thread_new ("list", list_thread, &listing);
  while (!g_atomic_int_get (&listing.done) && made < 200)
    {
      g_autofree char *from = g_strdup_printf ("/Pair/d%02u/s%u/g00", made % 20, made / 20 % 5);
      g_autofree char *to = g_strdup_printf ("/Pair/d%02u/late%u", (made + 7) % 20, made);
      g_autofree char *folder = g_strdup_printf ("/Pair/d%02u/new%u", 19 - made % 20, made);

      if (made / 20 % 5 == made % 5 && made < 100)
        move (other, from, to);
      else
        make_folder (other, folder);
      made++;
    }
  g_thread_join (thread);
  g_test_message ("%u changes while listing", made);
  g_assert_cmpuint (made, >, 1);

  g_assert_false (apply_feed (f->client, listing.tree, listing.root_id, &root_path,
                              listing.cursor));
  fresh = list (f->client, listing.root_id, NULL);
  assert_same_tree (listing.tree, fresh);
  yp_sync_tree_unref (listing.tree);
}

/*
 * Thirty changes of every kind after a listing, read from the feed and
 * applied: the tree is the one a fresh listing gives, but for the content
 * of the folder moved in last, which the engine lists.
 */
static void
test_feed (Fixture       *f,
           gconstpointer  data)
{
  g_autoptr(YpSyncTree) tree = NULL;
  g_autoptr(YpSyncTree) fresh = NULL;
  g_autoptr(GPtrArray) items = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *root_path = g_strdup ("/Pair");
  gint64 root_id, cursor = 0;
  guint count = 0;

  root_id = make_folder (f->client, "/Pair");
  make_folder (f->client, "/Pair/A/B");
  put_file (f, "/Pair/A/a.txt", 10, 1, NULL);
  put_file (f, "/Pair/A/B/b.txt", 11, 2, NULL);
  put_file (f, "/Pair/top.txt", 12, 3, NULL);
  make_folder (f->client, "/Out/Full/Deep");
  put_file (f, "/Out/Full/Deep/x.txt", 13, 4, NULL);
  put_file (f, "/Out/o.txt", 14, 5, NULL);
  make_folder (f->client, "/Out/Empty");
  tree = list (f->client, root_id, &cursor);
  g_assert_cmpuint (yp_sync_tree_size (tree), ==, 5);

  put_file (f, "/Pair/new.txt", 20, 6, NULL);                 /* create */
  make_folder (f->client, "/Pair/C");                         /* create a folder */
  put_file (f, "/Pair/C/c.txt", 21, 7, NULL);                 /* in it */
  put_file (f, "/Pair/top.txt", 22, 8, NULL);                 /* edit */
  put_file (f, "/Pair/A/B/b.txt", 23, 9, NULL);               /* edit deeper */
  move (f->client, "/Pair/new.txt", "/Pair/renamed.txt");     /* rename */
  move (f->client, "/Pair/A", "/Pair/C/A2");                  /* move a folder */
  put_file (f, "/Pair/C/A2/B/b2.txt", 24, 10, NULL);          /* in the moved one */
  move (f->client, "/Pair/C/A2/B", "/Pair/B");                /* out of it again */
  delete (f->client, "/Pair/C/A2/a.txt");                     /* delete */
  move (f->client, "/Pair/top.txt", "/Out/top.txt");          /* a file out */
  move (f->client, "/Out/o.txt", "/Pair/B/o.txt");            /* a file in */
  put_file (f, "/Pair/B/o.txt", 25, 11, NULL);                /* edit what came in */
  move (f->client, "/Out/Empty", "/Pair/Empty");              /* an empty folder in */
  make_folder (f->client, "/Pair/Empty/Sub");                 /* in it */
  move (f->client, "/Pair/C", "/Out/C");                      /* a folder out */
  put_file (f, "/Out/C/c2.txt", 26, 12, NULL);                /* outside: not seen */
  move (f->client, "/Out/C/A2", "/Pair/A3");                  /* back in, emptied */
  delete (f->client, "/Pair/A3");                             /* and deleted */
  put_file (f, "/Pair/B/b3.txt", 27, 13, NULL);
  move (f->client, "/Pair/B/b3.txt", "/Pair/Empty/Sub/b3.txt");
  put_file (f, "/Pair/Empty/Sub/b3.txt", 28, 14, NULL);
  move (f->client, "/Pair/renamed.txt", "/Pair/Empty/r.txt");
  delete (f->client, "/Pair/Empty/r.txt");
  make_folder (f->client, "/Pair/D/E");                       /* two folders */
  move (f->client, "/Pair/D", "/Pair/B/D");
  put_file (f, "/Out/x2.txt", 29, 15, NULL);                  /* outside */
  move (f->client, "/Out/x2.txt", "/Pair/B/D/E/x2.txt");      /* in, deep */
  move (f->client, "/Pair", "/Renamed");                      /* the root renamed */
  move (f->client, "/Out/Full", "/Renamed/Full");             /* a full folder in */

  {
    g_autoptr(YpChanges) all = yp_client_changes_sync (f->client, cursor, 1000, NULL, &error);

    g_assert_no_error (error);
    count = all->changes->len;
  }
  g_assert_cmpuint (count, >=, 30);

  g_assert_true (apply_feed (f->client, tree, root_id, &root_path, cursor));
  g_assert_cmpstr (root_path, ==, "/Renamed");

  /* the folder that came in full is there, empty until listed */
  fresh = list (f->client, root_id, NULL);
  g_assert_nonnull (yp_sync_tree_lookup (tree, "Full"));
  g_assert_null (yp_sync_tree_lookup (tree, "Full/Deep"));
  g_assert_nonnull (yp_sync_tree_lookup (fresh, "Full/Deep/x.txt"));
  items = yp_sync_tree_dup_items (fresh);
  for (guint i = 0; i < items->len; i++)
    {
      YpSyncItem *item = g_ptr_array_index (items, i);

      if (yp_sync_path_is_under (item->path, "Full"))
        yp_sync_tree_remove (fresh, item->path);
    }
  assert_same_tree (tree, fresh);
  g_assert_nonnull (yp_sync_tree_lookup (tree, "B/D/E/x2.txt"));
  g_assert_nonnull (yp_sync_tree_lookup (tree, "Empty/Sub/b3.txt"));
  g_assert_null (yp_sync_tree_lookup (tree, "top.txt"));

  /* applying the feed again changes nothing */
  apply_feed (f->client, tree, root_id, &root_path, cursor);
  assert_same_tree (tree, fresh);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  fixture_add ("/yunpan/sync/remote-server/listing", test_listing);
  fixture_add ("/yunpan/sync/remote-server/listing-while-changing", test_listing_while_changing);
  fixture_add ("/yunpan/sync/remote-server/feed", test_feed);

  return g_test_run ();
}
