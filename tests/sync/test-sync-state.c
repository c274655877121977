/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>
#include <sqlite3.h>

#include "yp-sync-error.h"
#include "yp-sync-state.h"

#define SERVER      "http://Example.org:80/"
#define USERNAME    "alice"
#define ROOT_ID     42
#define SHA_A       "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define CRASH_ITEMS 50000

/* ------------------------------------------------------------------------
 * Helpers
 * ------------------------------------------------------------------------ */

static char *
local_folder (void)
{
  char *path = g_build_filename (g_get_home_dir (), "Yunpan", NULL);

  g_assert_cmpint (g_mkdir_with_parents (path, 0700), ==, 0);
  return path;
}

static YpSyncPair *
pair_for (const char *local,
          const char *remote_path)
{
  return yp_sync_pair_new (SERVER, USERNAME, local, ROOT_ID, remote_path);
}

static YpSyncState *
open_state (void)
{
  g_autofree char *local = local_folder ();
  g_autoptr(YpSyncPair) pair = pair_for (local, "/Sync");
  g_autoptr(GError) error = NULL;
  YpSyncState *state = yp_sync_state_open_sync (pair, NULL, &error);

  g_assert_no_error (error);
  g_assert_nonnull (state);
  return state;
}

static char *
state_path (void)
{
  g_autofree char *local = local_folder ();
  g_autoptr(YpSyncPair) pair = pair_for (local, "/Sync");

  return yp_sync_state_dup_path_for_pair (pair);
}

static YpSyncItem *
full_item (const char *path)
{
  YpSyncItem *item = yp_sync_item_new (path, YP_SYNC_KIND_FILE);

  /* values that need all 64 bits, unsigned or negative */
  item->size = G_GUINT64_CONSTANT (5000000000);
  item->mtime_ns = G_GINT64_CONSTANT (-1234567890123456789);
  item->device = G_MAXUINT64 - 1;
  item->inode = (G_GUINT64_CONSTANT (1) << 63) | 5;
  g_strlcpy (item->sha256, SHA_A, sizeof item->sha256);
  item->remote_id = 9007;
  item->remote_version = 3;
  return item;
}

static void
assert_same_item (const YpSyncItem *a,
                  const YpSyncItem *b)
{
  g_assert_cmpstr (a->path, ==, b->path);
  g_assert_cmpint (a->kind, ==, b->kind);
  g_assert_cmpuint (a->size, ==, b->size);
  g_assert_cmpint (a->mtime_ns, ==, b->mtime_ns);
  g_assert_cmpuint (a->device, ==, b->device);
  g_assert_cmpuint (a->inode, ==, b->inode);
  g_assert_cmpstr (a->sha256, ==, b->sha256);
  g_assert_cmpint (a->remote_id, ==, b->remote_id);
  g_assert_cmpint (a->remote_version, ==, b->remote_version);
}

static void
put_paths (YpSyncState        *state,
           const char * const *paths)
{
  g_autoptr(GError) error = NULL;

  for (guint i = 0; paths[i] != NULL; i++)
    {
      g_autoptr(YpSyncItem) item = full_item (paths[i]);

      item->inode = i + 1;
      yp_sync_state_put_item_sync (state, item, &error);
      g_assert_no_error (error);
    }
}

/* The base's paths, sorted, joined by ",". */
static char *
base_paths (YpSyncState *state)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(YpSyncTree) tree = yp_sync_state_load_base_sync (state, &error);
  g_autoptr(GPtrArray) items = NULL;
  g_autoptr(GString) joined = g_string_new (NULL);

  g_assert_no_error (error);
  items = yp_sync_tree_dup_items (tree);
  for (guint i = 0; i < items->len; i++)
    {
      YpSyncItem *item = g_ptr_array_index (items, i);

      g_string_append_printf (joined, "%s%s", i > 0 ? "," : "", item->path);
    }
  return g_string_free (g_steal_pointer (&joined), FALSE);
}

/* The first column of the first row PRAGMA gives, read without the state. */
static char *
read_pragma (const char *path,
             const char *pragma)
{
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;
  char *value;

  g_assert_cmpint (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_prepare_v2 (db, pragma, -1, &stmt, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  value = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
  sqlite3_finalize (stmt);
  sqlite3_close (db);
  return value;
}

static int
read_user_version (const char *path)
{
  g_autofree char *version = read_pragma (path, "PRAGMA user_version");

  return atoi (version);
}

static goffset
file_size (const char *path)
{
  GStatBuf st;

  return g_stat (path, &st) == 0 ? st.st_size : 0;
}

/* ------------------------------------------------------------------------
 * Children: the test binary run again with an argument
 * ------------------------------------------------------------------------ */

static const char *test_binary;

static GSubprocess *
spawn_child (const char *mode,
             GError    **error)
{
  g_autoptr(GSubprocessLauncher) launcher =
    g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  g_autofree char *local = local_folder ();

  /* the child does not run g_test_init(): it is given the test's folders */
  g_subprocess_launcher_setenv (launcher, "HOME", g_get_home_dir (), TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_DATA_HOME", g_get_user_data_dir (), TRUE);
  return g_subprocess_launcher_spawn (launcher, error, test_binary, mode, local, NULL);
}

static YpSyncState *
child_open (const char *local)
{
  g_autoptr(YpSyncPair) pair = pair_for (local, "/Sync");
  g_autoptr(GError) error = NULL;
  YpSyncState *state = yp_sync_state_open_sync (pair, NULL, &error);

  if (state == NULL)
    {
      g_printerr ("child: %s\n", error->message);
      exit (1);
    }
  return state;
}

/* Holds the lock until its standard input closes, which it also does when
 * the test dies, so that no child outlives it. */
static int
child_hold (const char *local)
{
  g_autoptr(YpSyncState) state = child_open (local);
  char buf[64];

  g_print ("locked\n");
  fflush (stdout);
  while (read (STDIN_FILENO, buf, sizeof buf) > 0)
    ;
  return 0;
}

static void
child_check (gboolean  ok,
             GError   *error)
{
  if (!ok)
    {
      g_printerr ("child: %s\n", error->message);
      exit (1);
    }
}

/* A batch as the engine applies one: removes what the previous commit
 * put, adds many items, moves the cursor; then dies at once, before or
 * after its commit. */
static int
child_crash (const char *local,
             gboolean    commit)
{
  YpSyncState *state = child_open (local);
  GError *error = NULL;

  child_check (yp_sync_state_begin_sync (state, &error), error);
  child_check (yp_sync_state_remove_item_sync (state, "old", &error), error);
  for (guint i = 0; i < CRASH_ITEMS; i++)
    {
      g_autofree char *path = g_strdup_printf ("new/%05u", i);
      g_autoptr(YpSyncItem) item = full_item (path);

      child_check (yp_sync_state_put_item_sync (state, item, &error), error);
    }
  yp_sync_state_set_cursor (state, 20);
  if (commit)
    child_check (yp_sync_state_commit_sync (state, &error), error);
  kill (getpid (), SIGKILL);
  return 1;
}

static GSubprocess *
wait_locked_child (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSubprocess) child = spawn_child ("--hold", &error);
  g_autoptr(GDataInputStream) out = NULL;
  g_autofree char *line = NULL;

  g_assert_no_error (error);
  out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (child));
  line = g_data_input_stream_read_line (out, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (line, ==, "locked");
  return g_steal_pointer (&child);
}

static void
assert_killed (GSubprocess *child)
{
  g_autoptr(GError) error = NULL;

  g_subprocess_wait (child, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_if_signaled (child));
  g_assert_cmpint (g_subprocess_get_term_sig (child), ==, SIGKILL);
}

/* ------------------------------------------------------------------------
 * Tests
 * ------------------------------------------------------------------------ */

static void
test_round_trip (void)
{
  g_autoptr(YpSyncItem) folder = yp_sync_item_new ("a", YP_SYNC_KIND_FOLDER);
  g_autoptr(YpSyncItem) file = full_item ("a/b é.txt");
  g_autoptr(YpSyncItem) empty = yp_sync_item_new ("c", YP_SYNC_KIND_FILE);
  g_autoptr(YpSyncState) state = open_state ();
  g_autoptr(YpSyncTree) tree = NULL;
  g_autoptr(GError) error = NULL;
  YpSyncPair *pair;

  folder->remote_id = 7;
  g_assert_cmpint (yp_sync_state_get_cursor (state), ==, 0);
  g_assert_true (yp_sync_state_begin_sync (state, &error));
  g_assert_true (yp_sync_state_put_item_sync (state, folder, &error));
  g_assert_true (yp_sync_state_put_item_sync (state, file, &error));
  g_assert_true (yp_sync_state_put_item_sync (state, empty, &error));
  yp_sync_state_set_cursor (state, 17);
  g_assert_true (yp_sync_state_commit_sync (state, &error));
  g_assert_no_error (error);
  g_assert_cmpint (yp_sync_state_get_cursor (state), ==, 17);
  g_clear_object (&state);

  state = open_state ();
  g_assert_cmpint (yp_sync_state_get_cursor (state), ==, 17);
  tree = yp_sync_state_load_base_sync (state, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (yp_sync_tree_size (tree), ==, 3);
  assert_same_item (yp_sync_tree_lookup (tree, "a"), folder);
  assert_same_item (yp_sync_tree_lookup (tree, "a/b é.txt"), file);
  assert_same_item (yp_sync_tree_lookup (tree, "c"), empty);
  g_assert_true (yp_sync_tree_lookup_remote (tree, 9007) == yp_sync_tree_lookup (tree, "a/b é.txt"));

  pair = yp_sync_state_get_pair (state);
  g_assert_cmpstr (pair->server, ==, "http://example.org");
  g_assert_cmpstr (pair->username, ==, USERNAME);
  g_assert_cmpint (pair->remote_root_id, ==, ROOT_ID);
  g_assert_cmpstr (pair->remote_path, ==, "/Sync");
}

static void
test_remove_move (void)
{
  const char *paths[] = { "a", "a/x", "a/y", "a/y/z", "a b", "ab", "a0", NULL };
  g_autoptr(YpSyncState) state = open_state ();
  g_autoptr(YpSyncTree) tree = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *moved = NULL, *removed = NULL;

  g_assert_true (yp_sync_state_begin_sync (state, &error));
  put_paths (state, paths);
  g_assert_true (yp_sync_state_move_item_sync (state, "a", "m/n", &error));
  g_assert_no_error (error);
  g_assert_true (yp_sync_state_commit_sync (state, &error));

  moved = base_paths (state);
  g_assert_cmpstr (moved, ==, "a b,a0,ab,m/n,m/n/x,m/n/y,m/n/y/z");
  tree = yp_sync_state_load_base_sync (state, &error);
  /* a move keeps what it does not rename */
  g_assert_cmpuint (yp_sync_tree_lookup (tree, "m/n/y/z")->inode, ==, 4);

  /* nothing is overwritten by a move */
  g_assert_false (yp_sync_state_move_item_sync (state, "ab", "m/n", &error));
  g_assert_error (error, YP_SYNC_ERROR, YP_SYNC_ERROR_FAILED);
  g_clear_error (&error);
  g_assert_false (yp_sync_state_move_item_sync (state, "ab", "m", &error));
  g_assert_error (error, YP_SYNC_ERROR, YP_SYNC_ERROR_FAILED);
  g_clear_error (&error);

  g_assert_true (yp_sync_state_remove_item_sync (state, "m/n", &error));
  removed = base_paths (state);
  g_assert_cmpstr (removed, ==, "a b,a0,ab");
}

static void
test_rollback (void)
{
  const char *first[] = { "kept", NULL };
  const char *second[] = { "dropped", NULL };
  g_autoptr(YpSyncState) state = open_state ();
  g_autoptr(GError) error = NULL;
  g_autofree char *after = NULL, *reopened = NULL;

  g_assert_true (yp_sync_state_begin_sync (state, &error));
  put_paths (state, first);
  yp_sync_state_set_cursor (state, 5);
  g_assert_true (yp_sync_state_commit_sync (state, &error));

  g_assert_true (yp_sync_state_begin_sync (state, &error));
  g_assert_true (yp_sync_state_in_batch (state));
  put_paths (state, second);
  g_assert_true (yp_sync_state_remove_item_sync (state, "kept", &error));
  yp_sync_state_set_cursor (state, 9);
  yp_sync_state_rollback_sync (state);
  g_assert_false (yp_sync_state_in_batch (state));
  after = base_paths (state);
  g_assert_cmpstr (after, ==, "kept");
  g_assert_cmpint (yp_sync_state_get_cursor (state), ==, 5);

  /* a batch still open when the state goes away is dropped too */
  g_assert_true (yp_sync_state_begin_sync (state, &error));
  put_paths (state, second);
  yp_sync_state_set_cursor (state, 11);
  g_clear_object (&state);
  state = open_state ();
  reopened = base_paths (state);
  g_assert_cmpstr (reopened, ==, "kept");
  g_assert_cmpint (yp_sync_state_get_cursor (state), ==, 5);
}

static void
test_schema_empty_file (void)
{
  g_autofree char *path = state_path ();
  g_autofree char *dir = g_path_get_dirname (path);
  g_autoptr(YpSyncState) state = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *journal = NULL;

  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  g_assert_true (g_file_set_contents (path, "", 0, &error));
  state = open_state ();
  g_clear_object (&state);
  g_assert_cmpint (read_user_version (path), ==, YP_SYNC_STATE_SCHEMA_VERSION);
  journal = read_pragma (path, "PRAGMA journal_mode");
  g_assert_cmpstr (journal, ==, "wal");
  /* opened again: nothing to migrate, and the pair is recognised */
  state = open_state ();
}

static void
test_schema_newer (void)
{
  g_autofree char *path = state_path ();
  g_autofree char *dir = g_path_get_dirname (path);
  g_autofree char *local = local_folder ();
  g_autoptr(YpSyncPair) pair = pair_for (local, "/Sync");
  g_autoptr(YpSyncState) state = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *bump = g_strdup_printf ("PRAGMA user_version = %d",
                                           YP_SYNC_STATE_SCHEMA_VERSION + 1);
  sqlite3 *db = NULL;

  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  g_assert_cmpint (sqlite3_open (path, &db), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (db, bump, NULL, NULL, NULL), ==, SQLITE_OK);
  sqlite3_close (db);

  state = yp_sync_state_open_sync (pair, NULL, &error);
  g_assert_null (state);
  g_assert_error (error, YP_SYNC_ERROR, YP_SYNC_ERROR_STATE);
  g_assert_nonnull (strstr (error->message, "newer version of Yunpan"));
  /* and left as it was */
  g_assert_cmpint (read_user_version (path), ==, YP_SYNC_STATE_SCHEMA_VERSION + 1);
}

static void
test_schema_damaged (void)
{
  g_autofree char *path = state_path ();
  g_autofree char *dir = g_path_get_dirname (path);
  g_autofree char *local = local_folder ();
  g_autoptr(YpSyncPair) pair = pair_for (local, "/Sync");
  g_autoptr(YpSyncState) state = NULL;
  g_autoptr(GError) error = NULL;
  char garbage[4096];

  memset (garbage, 'x', sizeof garbage);
  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  g_assert_true (g_file_set_contents (path, garbage, sizeof garbage, &error));
  state = yp_sync_state_open_sync (pair, NULL, &error);
  g_assert_null (state);
  g_assert_error (error, YP_SYNC_ERROR, YP_SYNC_ERROR_STATE);
  g_assert_nonnull (strstr (error->message, path));
}

/* A database copied to another pair's name is not taken for that pair's. */
static void
test_other_pair (void)
{
  g_autofree char *local = local_folder ();
  g_autofree char *other_local = g_build_filename (g_get_home_dir (), "Other", NULL);
  g_autoptr(YpSyncPair) other = pair_for (other_local, "/Sync");
  g_autofree char *other_path = yp_sync_state_dup_path_for_pair (other);
  g_autofree char *path = state_path ();
  g_autofree char *contents = NULL;
  g_autoptr(YpSyncState) state = open_state ();
  g_autoptr(GError) error = NULL;
  gsize len;

  g_clear_object (&state);
  g_assert_true (g_file_get_contents (path, &contents, &len, &error));
  g_assert_true (g_file_set_contents (other_path, contents, len, &error));
  state = yp_sync_state_open_sync (other, NULL, &error);
  g_assert_null (state);
  g_assert_error (error, YP_SYNC_ERROR, YP_SYNC_ERROR_STATE);
  g_assert_nonnull (strstr (error->message, "another pair"));
}

static void
test_remote_renamed (void)
{
  const char *paths[] = { "kept", NULL };
  g_autofree char *local = local_folder ();
  g_autoptr(YpSyncPair) renamed = pair_for (local, "/Renamed");
  g_autoptr(YpSyncState) state = open_state ();
  g_autoptr(GError) error = NULL;
  g_autofree char *kept = NULL;

  put_paths (state, paths);
  g_clear_object (&state);
  state = yp_sync_state_open_sync (renamed, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (yp_sync_state_get_pair (state)->remote_path, ==, "/Renamed");
  kept = base_paths (state);
  g_assert_cmpstr (kept, ==, "kept");
  g_clear_object (&state);
  state = yp_sync_state_open_sync (renamed, NULL, &error);
  g_assert_cmpstr (yp_sync_state_get_pair (state)->remote_path, ==, "/Renamed");
}

static void
test_pair_id (void)
{
  g_autofree char *local = local_folder ();
  g_autofree char *spelled = g_build_filename (g_get_home_dir (), ".", "Yunpan/", NULL);
  g_autofree char *link = g_build_filename (g_get_home_dir (), "Link", NULL);
  g_autoptr(YpSyncPair) pair = pair_for (local, "/Sync");
  g_autoptr(YpSyncPair) same = yp_sync_pair_new ("http://EXAMPLE.org/api/v1/", USERNAME,
                                                 spelled, ROOT_ID, "/Elsewhere");
  g_autoptr(YpSyncPair) linked = NULL;
  g_autoptr(YpSyncPair) other_root = yp_sync_pair_new (SERVER, USERNAME, local, ROOT_ID + 1,
                                                       "/Sync");
  g_autoptr(YpSyncPair) other_user = yp_sync_pair_new (SERVER, "bob", local, ROOT_ID, "/Sync");
  g_autofree char *id = yp_sync_pair_dup_id (pair);
  g_autofree char *same_id = yp_sync_pair_dup_id (same);
  g_autofree char *linked_id = NULL;
  g_autofree char *root_id = yp_sync_pair_dup_id (other_root);
  g_autofree char *user_id = yp_sync_pair_dup_id (other_user);
  g_autofree char *display = yp_sync_pair_dup_display_name (pair);

  g_assert_cmpint (symlink (local, link), ==, 0);
  linked = pair_for (link, "/Sync");
  linked_id = yp_sync_pair_dup_id (linked);

  g_assert_cmpuint (strlen (id), ==, YP_SYNC_PAIR_ID_LENGTH);
  g_assert_cmpuint (strspn (id, "0123456789abcdef"), ==, YP_SYNC_PAIR_ID_LENGTH);
  g_assert_cmpstr (id, ==, same_id);
  g_assert_cmpstr (id, ==, linked_id);
  g_assert_cmpstr (id, !=, root_id);
  g_assert_cmpstr (id, !=, user_id);
  g_assert_cmpstr (display, ==, "~/Yunpan");
}

static void
test_lock_same_process (void)
{
  g_autofree char *local = local_folder ();
  g_autoptr(YpSyncPair) pair = pair_for (local, "/Sync");
  g_autoptr(YpSyncState) first = open_state ();
  g_autoptr(YpSyncState) second = NULL;
  g_autoptr(GError) error = NULL;

  second = yp_sync_state_open_sync (pair, NULL, &error);
  g_assert_null (second);
  g_assert_error (error, YP_SYNC_ERROR, YP_SYNC_ERROR_LOCKED);
  g_assert_nonnull (strstr (error->message, "“~/Yunpan” is already being synced by another"));
  g_clear_error (&error);

  g_clear_object (&first);
  second = yp_sync_state_open_sync (pair, NULL, &error);
  g_assert_no_error (error);
}

static void
test_lock_other_process (void)
{
  g_autofree char *local = local_folder ();
  g_autoptr(YpSyncPair) pair = pair_for (local, "/Sync");
  g_autoptr(GSubprocess) child = wait_locked_child ();
  g_autoptr(YpSyncState) state = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *expected = g_strdup_printf ("(process %s)", g_subprocess_get_identifier (child));

  state = yp_sync_state_open_sync (pair, NULL, &error);
  g_assert_null (state);
  g_assert_error (error, YP_SYNC_ERROR, YP_SYNC_ERROR_LOCKED);
  g_assert_nonnull (strstr (error->message, "“~/Yunpan” is already being synced by another"));
  g_assert_nonnull (strstr (error->message, expected));
  g_clear_error (&error);

  /* the holder dies without a chance to clean up: its lock goes with it */
  g_subprocess_force_exit (child);
  assert_killed (child);
  state = yp_sync_state_open_sync (pair, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (state);
}

/* Puts old/0 .. old/99 and cursor 10, then lets a child apply a big batch
 * and die. */
static void
run_crash (const char *mode)
{
  g_autoptr(YpSyncState) state = open_state ();
  g_autofree char *path = g_strdup (yp_sync_state_get_path (state));
  g_autofree char *wal = g_strconcat (path, "-wal", NULL);
  g_autoptr(GSubprocess) child = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_true (yp_sync_state_begin_sync (state, &error));
  for (guint i = 0; i < 100; i++)
    {
      g_autofree char *item_path = g_strdup_printf ("old/%u", i);
      g_autoptr(YpSyncItem) item = full_item (item_path);

      g_assert_true (yp_sync_state_put_item_sync (state, item, &error));
    }
  yp_sync_state_set_cursor (state, 10);
  g_assert_true (yp_sync_state_commit_sync (state, &error));
  g_clear_object (&state);

  child = spawn_child (mode, &error);
  g_assert_no_error (error);
  assert_killed (child);
  /* the batch's pages did reach the log before the kill: what follows
   * tests recovery, not a batch that only ever lived in memory */
  g_test_message ("log after the kill: %" G_GOFFSET_FORMAT " bytes", file_size (wal));
  g_assert_cmpint (file_size (wal), >, 1024 * 1024);
}

static void
test_crash_before_commit (void)
{
  g_autoptr(YpSyncState) state = NULL;
  g_autoptr(YpSyncTree) tree = NULL;
  g_autoptr(YpSyncItem) expected = full_item ("old/0");
  g_autoptr(GError) error = NULL;

  run_crash ("--crash");
  state = open_state ();
  g_assert_cmpint (yp_sync_state_get_cursor (state), ==, 10);
  tree = yp_sync_state_load_base_sync (state, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (yp_sync_tree_size (tree), ==, 100);
  g_assert_null (yp_sync_tree_lookup (tree, "new/00000"));
  assert_same_item (yp_sync_tree_lookup (tree, "old/0"), expected);
}

static void
test_crash_after_commit (void)
{
  g_autoptr(YpSyncState) state = NULL;
  g_autoptr(YpSyncTree) tree = NULL;
  g_autoptr(GError) error = NULL;

  run_crash ("--crash-committed");
  state = open_state ();
  g_assert_cmpint (yp_sync_state_get_cursor (state), ==, 20);
  tree = yp_sync_state_load_base_sync (state, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (yp_sync_tree_size (tree), ==, CRASH_ITEMS);
  g_assert_null (yp_sync_tree_lookup (tree, "old/0"));
  g_assert_nonnull (yp_sync_tree_lookup (tree, "new/49999"));
}

static void
test_uploads (void)
{
  YpFileIdentity identity = { 1, 2, 3, G_GINT64_CONSTANT (1700000000123456789) };
  g_autoptr(YpSyncUpload) b = yp_sync_upload_new ("b.bin", "up-b", &identity, SHA_A);
  g_autoptr(YpSyncUpload) a = yp_sync_upload_new ("a.bin", "up-a", &identity, NULL);
  g_autoptr(YpSyncUpload) found = NULL;
  g_autoptr(YpSyncState) state = open_state ();
  g_autoptr(GPtrArray) all = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_true (yp_sync_state_put_upload_sync (state, b, &error));
  g_assert_true (yp_sync_state_put_upload_sync (state, a, &error));
  g_clear_object (&state);

  state = open_state ();
  found = yp_sync_state_lookup_upload_sync (state, "b.bin", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (found->upload_id, ==, "up-b");
  g_assert_cmpstr (found->sha256, ==, SHA_A);
  g_assert_true (yp_file_identity_equal (&found->identity, &identity));
  g_clear_pointer (&found, yp_sync_upload_free);
  g_assert_null (yp_sync_state_lookup_upload_sync (state, "c.bin", &error));
  g_assert_no_error (error);

  all = yp_sync_state_dup_uploads_sync (state, &error);
  g_assert_cmpuint (all->len, ==, 2);
  g_assert_cmpstr (((YpSyncUpload *) g_ptr_array_index (all, 0))->path, ==, "a.bin");
  g_assert_cmpstr (((YpSyncUpload *) g_ptr_array_index (all, 0))->sha256, ==, "");

  g_assert_true (yp_sync_state_remove_upload_sync (state, "b.bin", &error));
  g_assert_null (yp_sync_state_lookup_upload_sync (state, "b.bin", &error));
  g_assert_no_error (error);
}

static void
test_activity (void)
{
  g_autoptr(YpSyncState) state = open_state ();
  g_autoptr(GPtrArray) entries = NULL;
  g_autoptr(GError) error = NULL;
  guint total = YP_SYNC_STATE_ACTIVITY_MAX + 10;
  YpSyncActivity *newest, *oldest;

  for (guint i = 0; i < total; i++)
    {
      g_autofree char *path = g_strdup_printf ("p%u", i);

      g_assert_true (yp_sync_state_add_activity_sync (state, i % 2 ? YP_SYNC_ACTIVITY_MOVE_LOCAL
                                                                   : YP_SYNC_ACTIVITY_UPLOAD,
                                                      path, i % 2 ? "moved/here" : NULL,
                                                      1000 + i, &error));
    }
  g_clear_object (&state);

  state = open_state ();
  entries = yp_sync_state_dup_activity_sync (state, G_MAXUINT, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (entries->len, ==, YP_SYNC_STATE_ACTIVITY_MAX);
  newest = g_ptr_array_index (entries, 0);
  oldest = g_ptr_array_index (entries, entries->len - 1);
  g_assert_cmpstr (newest->path, ==, "p509");
  g_assert_cmpint (newest->kind, ==, YP_SYNC_ACTIVITY_MOVE_LOCAL);
  g_assert_cmpstr (newest->detail, ==, "moved/here");
  g_assert_cmpint (newest->time_us, ==, 1000 + total - 1);
  g_assert_cmpstr (oldest->path, ==, "p10");
  g_assert_cmpint (oldest->kind, ==, YP_SYNC_ACTIVITY_UPLOAD);
  g_assert_null (oldest->detail);
  g_clear_pointer (&entries, g_ptr_array_unref);

  entries = yp_sync_state_dup_activity_sync (state, 3, &error);
  g_assert_cmpuint (entries->len, ==, 3);
}

static void
test_conflicts (void)
{
  g_autoptr(YpSyncState) state = open_state ();
  g_autoptr(GPtrArray) conflicts = NULL;
  g_autoptr(GError) error = NULL;
  YpSyncConflict *conflict;

  g_assert_true (yp_sync_state_add_conflict_sync (state, "a.txt",
                                                  "a (conflict 2026-12-02 061500 from pc).txt",
                                                  100, &error));
  g_assert_true (yp_sync_state_add_conflict_sync (state, "b.txt", "b (conflict).txt", 200,
                                                  &error));
  /* found again after a restart: still one conflict */
  g_assert_true (yp_sync_state_add_conflict_sync (state, "b.txt", "b (conflict).txt", 300,
                                                  &error));
  g_clear_object (&state);

  state = open_state ();
  conflicts = yp_sync_state_dup_conflicts_sync (state, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (conflicts->len, ==, 2);
  conflict = g_ptr_array_index (conflicts, 0);
  g_assert_cmpstr (conflict->path, ==, "a.txt");
  g_assert_cmpstr (conflict->copy_path, ==, "a (conflict 2026-12-02 061500 from pc).txt");
  g_assert_cmpint (conflict->time_us, ==, 100);
  g_clear_pointer (&conflicts, g_ptr_array_unref);

  g_assert_true (yp_sync_state_remove_conflict_sync (state, "b (conflict).txt", &error));
  conflicts = yp_sync_state_dup_conflicts_sync (state, &error);
  g_assert_cmpuint (conflicts->len, ==, 1);
}

static void
assert_refused (const char *local)
{
  g_autoptr(YpSyncPair) pair = pair_for (local, "/Sync");
  g_autoptr(YpSyncState) state = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_cmpint (g_mkdir_with_parents (local, 0700), ==, 0);
  state = yp_sync_state_open_sync (pair, NULL, &error);
  g_assert_null (state);
  g_assert_error (error, YP_SYNC_ERROR, YP_SYNC_ERROR_STATE);
}

static void
test_outside_folder (void)
{
  g_autoptr(YpSyncState) state = open_state ();
  g_autofree char *local = local_folder ();
  g_autofree char *state_dir = g_build_filename (g_get_user_data_dir (), "yunpan", "sync", NULL);
  g_autofree char *state_parent = g_path_get_dirname (g_get_user_data_dir ());
  g_autofree char *inside = g_build_filename (state_dir, "inside", NULL);
  g_autofree char *dir = g_path_get_dirname (yp_sync_state_get_path (state));
  g_autoptr(GDir) listing = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_cmpstr (dir, ==, state_dir);
  listing = g_dir_open (local, 0, &error);
  g_assert_no_error (error);
  g_assert_null (g_dir_read_name (listing));

  /* a folder that holds the state, or lies inside its folder */
  assert_refused (g_get_user_data_dir ());
  assert_refused (state_parent);
  assert_refused (inside);
}

int
main (int   argc,
      char *argv[])
{
  if (argc == 3 && strcmp (argv[1], "--hold") == 0)
    return child_hold (argv[2]);
  if (argc == 3 && strcmp (argv[1], "--crash") == 0)
    return child_crash (argv[2], FALSE);
  if (argc == 3 && strcmp (argv[1], "--crash-committed") == 0)
    return child_crash (argv[2], TRUE);

  test_binary = argv[0];
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/yunpan/sync/state/round-trip", test_round_trip);
  g_test_add_func ("/yunpan/sync/state/remove-move", test_remove_move);
  g_test_add_func ("/yunpan/sync/state/rollback", test_rollback);
  g_test_add_func ("/yunpan/sync/state/schema/empty-file", test_schema_empty_file);
  g_test_add_func ("/yunpan/sync/state/schema/newer", test_schema_newer);
  g_test_add_func ("/yunpan/sync/state/schema/damaged", test_schema_damaged);
  g_test_add_func ("/yunpan/sync/state/other-pair", test_other_pair);
  g_test_add_func ("/yunpan/sync/state/remote-renamed", test_remote_renamed);
  g_test_add_func ("/yunpan/sync/state/pair-id", test_pair_id);
  g_test_add_func ("/yunpan/sync/state/lock/same-process", test_lock_same_process);
  g_test_add_func ("/yunpan/sync/state/lock/other-process", test_lock_other_process);
  g_test_add_func ("/yunpan/sync/state/crash/before-commit", test_crash_before_commit);
  g_test_add_func ("/yunpan/sync/state/crash/after-commit", test_crash_after_commit);
  g_test_add_func ("/yunpan/sync/state/uploads", test_uploads);
  g_test_add_func ("/yunpan/sync/state/activity", test_activity);
  g_test_add_func ("/yunpan/sync/state/conflicts", test_conflicts);
  g_test_add_func ("/yunpan/sync/state/outside-folder", test_outside_folder);

  return g_test_run ();
}
