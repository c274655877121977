/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "yp-sync-error.h"
#include "yp-sync-scanner.h"

typedef struct
{
  char              *root;
  YpSyncScanOptions  options;

  /* what the hook saw, from the hashing threads */
  GMutex             lock;
  GHashTable        *reads;   /* path -> number of reads */
  void             (*action) (const char *full_path, guint attempt);
  char              *action_path;
} Fixture;

static void
count_read_hook (const char *path,
                 guint       attempt,
                 gpointer    user_data)
{
  Fixture *fixture = user_data;
  guint n;

  g_mutex_lock (&fixture->lock);
  n = GPOINTER_TO_UINT (g_hash_table_lookup (fixture->reads, path));
  g_hash_table_replace (fixture->reads, g_strdup (path), GUINT_TO_POINTER (n + 1));
  g_mutex_unlock (&fixture->lock);

  if (fixture->action != NULL && g_strcmp0 (path, fixture->action_path) == 0)
    {
      g_autofree char *full = g_build_filename (fixture->root, path, NULL);

      fixture->action (full, attempt);
    }
}

static guint
reads_of (Fixture    *fixture,
          const char *path)
{
  return GPOINTER_TO_UINT (g_hash_table_lookup (fixture->reads, path));
}

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  fixture->root = g_dir_make_tmp ("yp-scan-XXXXXX", NULL);
  g_assert_nonnull (fixture->root);
  g_mutex_init (&fixture->lock);
  fixture->reads = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  fixture->options.before_hash = count_read_hook;
  fixture->options.hook_data = fixture;
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  g_autofree char *quoted = g_shell_quote (fixture->root);
  g_autofree char *script = g_strdup_printf ("chmod -R u+rwx %s && rm -rf %s", quoted, quoted);
  const char *argv[] = { "sh", "-c", script, NULL };
  int status = -1;

  g_assert_true (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL,
                               NULL, NULL, &status, NULL));
  g_assert_true (g_spawn_check_wait_status (status, NULL));
  g_hash_table_unref (fixture->reads);
  g_mutex_clear (&fixture->lock);
  g_free (fixture->action_path);
  g_free (fixture->root);
}

static char *
path_in (Fixture    *fixture,
         const char *path)
{
  return g_build_filename (fixture->root, path, NULL);
}

static void
make_folder (Fixture    *fixture,
             const char *path)
{
  g_autofree char *full = path_in (fixture, path);

  g_assert_no_errno (g_mkdir_with_parents (full, 0755));
}

static void
write_file (Fixture    *fixture,
            const char *path,
            const char *contents)
{
  g_autofree char *full = path_in (fixture, path);
  g_autofree char *folder = g_path_get_dirname (full);
  g_autoptr(GError) error = NULL;

  g_assert_no_errno (g_mkdir_with_parents (folder, 0755));
  g_file_set_contents (full, contents, -1, &error);
  g_assert_no_error (error);
}

/* Writes PATH as a while ago, so that a scan reads it once: a file
 * written just now is read twice (see test_racy_reread). */
static void
write_old_file (Fixture    *fixture,
                const char *path,
                const char *contents)
{
  g_autofree char *full = path_in (fixture, path);
  gint64 then_us = g_get_real_time () - 10 * G_USEC_PER_SEC;
  struct timespec times[2] = {
    { .tv_nsec = UTIME_OMIT },
    { .tv_sec = then_us / G_USEC_PER_SEC, .tv_nsec = (then_us % G_USEC_PER_SEC) * 1000 },
  };

  write_file (fixture, path, contents);
  g_assert_no_errno (utimensat (AT_FDCWD, full, times, 0));
}

static void
make_symlink (Fixture    *fixture,
              const char *target,
              const char *path)
{
  g_autofree char *full = path_in (fixture, path);

  g_assert_no_errno (symlink (target, full));
}

static char *
sha256_of (const char *contents)
{
  return g_compute_checksum_for_string (G_CHECKSUM_SHA256, contents, -1);
}

static YpSyncTree *
scan (Fixture      *fixture,
      YpSyncTree   *base,
      YpSyncIgnore *ignore,
      GPtrArray   **problems)
{
  g_autoptr(GError) error = NULL;
  YpSyncTree *tree;

  g_hash_table_remove_all (fixture->reads);
  tree = yp_sync_scan_sync (fixture->root, base, ignore, &fixture->options, NULL, problems, &error);
  g_assert_no_error (error);
  g_assert_nonnull (tree);
  return tree;
}

static void
assert_paths (YpSyncTree *tree,
              const char *const *paths)
{
  g_autoptr(GPtrArray) items = yp_sync_tree_dup_items (tree);
  g_autoptr(GString) got = g_string_new (NULL);
  g_autofree char *expected = g_strjoinv (" ", (char **) paths);

  for (guint i = 0; i < items->len; i++)
    g_string_append_printf (got, "%s%s", i > 0 ? " " : "",
                            ((YpSyncItem *) g_ptr_array_index (items, i))->path);
  g_assert_cmpstr (got->str, ==, expected);
}

static void
assert_problem (GPtrArray  *problems,
                guint       index,
                const char *path,
                int         code)
{
  YpSyncProblem *problem;

  g_assert_cmpuint (index, <, problems->len);
  problem = g_ptr_array_index (problems, index);
  g_assert_cmpstr (problem->path, ==, path);
  g_assert_error (problem->error, YP_SYNC_ERROR, code);
}

static void
assert_file_item (Fixture    *fixture,
                  YpSyncTree *tree,
                  const char *path,
                  const char *contents)
{
  YpSyncItem *item = yp_sync_tree_lookup (tree, path);
  g_autofree char *full = path_in (fixture, path);
  g_autofree char *sha = sha256_of (contents);
  GStatBuf st;

  g_assert_nonnull (item);
  g_assert_no_errno (g_lstat (full, &st));
  g_assert_cmpint (item->kind, ==, YP_SYNC_KIND_FILE);
  g_assert_cmpuint (item->size, ==, strlen (contents));
  g_assert_cmpstr (item->sha256, ==, sha);
  g_assert_cmpuint (item->inode, ==, st.st_ino);
  g_assert_cmpuint (item->device, ==, st.st_dev);
  g_assert_cmpint (item->mtime_ns, ==,
                   (gint64) st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec);
}

static void
test_nested (Fixture       *fixture,
             gconstpointer  data)
{
  const char *paths[] = { "a", "a/b", "a/b/c.txt", "a/b/d", "a/x.bin", "empty", "top.txt", NULL };
  g_autoptr(YpSyncTree) tree = NULL;
  g_autoptr(GPtrArray) problems = NULL;
  YpSyncItem *folder;
  g_autofree char *full = path_in (fixture, "a/b");
  GStatBuf st;

  make_folder (fixture, "a/b/d");
  write_old_file (fixture, "a/b/c.txt", "hello");
  write_old_file (fixture, "a/x.bin", "\x01\x02\x03 binary");
  write_old_file (fixture, "empty", "");
  write_old_file (fixture, "top.txt", "top of the tree\n");

  tree = scan (fixture, NULL, NULL, &problems);
  assert_paths (tree, paths);
  g_assert_cmpuint (problems->len, ==, 0);
  assert_file_item (fixture, tree, "a/b/c.txt", "hello");
  assert_file_item (fixture, tree, "a/x.bin", "\x01\x02\x03 binary");
  assert_file_item (fixture, tree, "empty", "");
  assert_file_item (fixture, tree, "top.txt", "top of the tree\n");

  folder = yp_sync_tree_lookup (tree, "a/b");
  g_assert_no_errno (g_lstat (full, &st));
  g_assert_cmpint (folder->kind, ==, YP_SYNC_KIND_FOLDER);
  g_assert_cmpuint (folder->inode, ==, st.st_ino);
  g_assert_cmpuint (folder->size, ==, 0);
  g_assert_cmpstr (folder->sha256, ==, "");
  /* the root is not an item */
  g_assert_null (yp_sync_tree_lookup (tree, ""));
  g_assert_cmpuint (reads_of (fixture, "a/b/c.txt"), ==, 1);
}

/* Puts CONTENTS (of the same size) in the file at PATH keeping its inode
 * and modification time, as a tool that restores mtimes would. */
static void
rewrite_keeping_stat (Fixture    *fixture,
                      const char *path,
                      const char *contents)
{
  g_autofree char *full = path_in (fixture, path);
  struct timespec times[2];
  GStatBuf st;
  int fd;

  g_assert_no_errno (g_lstat (full, &st));
  g_assert_cmpuint (st.st_size, ==, strlen (contents));
  fd = open (full, O_WRONLY);
  g_assert_cmpint (fd, >=, 0);
  g_assert_cmpint (write (fd, contents, strlen (contents)), ==, (gssize) strlen (contents));
  g_assert_no_errno (close (fd));
  times[0] = st.st_atim;
  times[1] = st.st_mtim;
  g_assert_no_errno (utimensat (AT_FDCWD, full, times, 0));
}

static void
test_unchanged_not_read (Fixture       *fixture,
                         gconstpointer  data)
{
  g_autoptr(YpSyncTree) base = NULL;
  g_autoptr(YpSyncTree) again = NULL;
  g_autoptr(YpSyncTree) fresh = NULL;
  g_autoptr(GPtrArray) problems = NULL;
  g_autofree char *full = path_in (fixture, "dir/same.txt");
  g_autofree char *old_sha = sha256_of ("old content");
  g_autofree char *new_sha = sha256_of ("new content");

  make_folder (fixture, "dir");
  write_old_file (fixture, "keep", "x");
  write_old_file (fixture, "dir/same.txt", "old content");
  base = scan (fixture, NULL, NULL, NULL);
  g_assert_cmpuint (reads_of (fixture, "dir/same.txt"), ==, 1);

  /* the bytes change behind the stat's back, and (when that stops us)
   * the file becomes unreadable: a rescan with the base must not see
   * either, because it does not read the file */
  rewrite_keeping_stat (fixture, "dir/same.txt", "new content");
  g_assert_no_errno (g_chmod (full, 0));

  again = scan (fixture, base, NULL, &problems);
  g_assert_cmpuint (problems->len, ==, 0);
  g_assert_cmpuint (reads_of (fixture, "dir/same.txt"), ==, 0);
  g_assert_cmpuint (reads_of (fixture, "keep"), ==, 0);
  g_assert_cmpstr (yp_sync_tree_lookup (again, "dir/same.txt")->sha256, ==, old_sha);
  g_assert_true (yp_sync_item_same_stat (yp_sync_tree_lookup (again, "dir/same.txt"),
                                         yp_sync_tree_lookup (base, "dir/same.txt")));

  /* without the base it is read */
  g_assert_no_errno (g_chmod (full, 0644));
  fresh = scan (fixture, NULL, NULL, NULL);
  g_assert_cmpstr (yp_sync_tree_lookup (fresh, "dir/same.txt")->sha256, ==, new_sha);
}

static void
test_changed_rehashed (Fixture       *fixture,
                       gconstpointer  data)
{
  g_autoptr(YpSyncTree) base = NULL;
  g_autoptr(YpSyncTree) again = NULL;
  g_autoptr(YpSyncTree) touched = NULL;
  g_autofree char *full = path_in (fixture, "b.txt");
  g_autofree char *sha_b = sha256_of ("bbbb");

  write_old_file (fixture, "a.txt", "aaaa");
  write_old_file (fixture, "b.txt", "bbbb");
  write_old_file (fixture, "c.txt", "cccc");
  base = scan (fixture, NULL, NULL, NULL);

  write_old_file (fixture, "a.txt", "aaaa, edited");
  /* only the time moves: read again, same hash */
  {
    struct timespec times[2] = { { 0, UTIME_OMIT }, { 1000000000, 123 } };

    g_assert_no_errno (utimensat (AT_FDCWD, full, times, 0));
  }
  again = scan (fixture, base, NULL, NULL);
  assert_file_item (fixture, again, "a.txt", "aaaa, edited");
  assert_file_item (fixture, again, "b.txt", "bbbb");
  g_assert_cmpint (yp_sync_tree_lookup (again, "b.txt")->mtime_ns, ==,
                   G_GINT64_CONSTANT (1000000000000000123));
  g_assert_cmpuint (reads_of (fixture, "a.txt"), ==, 1);
  g_assert_cmpuint (reads_of (fixture, "b.txt"), ==, 1);
  g_assert_cmpuint (reads_of (fixture, "c.txt"), ==, 0);

  /* a file replaced by another (a new inode, as an editor's save makes)
   * with the same size and time is read again too */
  {
    g_autofree char *c = path_in (fixture, "c.txt");
    g_autofree char *tmp = path_in (fixture, "c.new");
    struct timespec times[2];
    GStatBuf st;

    g_assert_no_errno (g_lstat (c, &st));
    write_old_file (fixture, "c.new", "CCCC");
    times[0] = st.st_atim;
    times[1] = st.st_mtim;
    g_assert_no_errno (utimensat (AT_FDCWD, tmp, times, 0));
    g_assert_no_errno (g_rename (tmp, c));
  }
  touched = scan (fixture, again, NULL, NULL);
  assert_file_item (fixture, touched, "c.txt", "CCCC");
  g_assert_cmpuint (reads_of (fixture, "c.txt"), ==, 1);
  g_assert_cmpstr (yp_sync_tree_lookup (touched, "b.txt")->sha256, ==, sha_b);
}

static void
test_symlinks (Fixture       *fixture,
               gconstpointer  data)
{
  const char *paths[] = { "real", "real/f.txt", NULL };
  g_autoptr(YpSyncTree) tree = NULL;
  g_autoptr(GPtrArray) problems = NULL;

  make_folder (fixture, "real");
  write_old_file (fixture, "real/f.txt", "f");
  make_symlink (fixture, "real/f.txt", "file-link");
  make_symlink (fixture, "real", "folder-link");
  make_symlink (fixture, ".", "real/self");
  make_symlink (fixture, "loop-b", "loop-a");
  make_symlink (fixture, "loop-a", "loop-b");
  make_symlink (fixture, "nowhere", "dangling");
  make_symlink (fixture, "/etc/passwd", "outside");

  tree = scan (fixture, NULL, NULL, &problems);
  assert_paths (tree, paths);
  /* each link once, none followed */
  g_assert_cmpuint (problems->len, ==, 7);
  assert_problem (problems, 0, "dangling", YP_SYNC_ERROR_SYMLINK);
  assert_problem (problems, 1, "file-link", YP_SYNC_ERROR_SYMLINK);
  assert_problem (problems, 2, "folder-link", YP_SYNC_ERROR_SYMLINK);
  assert_problem (problems, 3, "loop-a", YP_SYNC_ERROR_SYMLINK);
  assert_problem (problems, 4, "loop-b", YP_SYNC_ERROR_SYMLINK);
  assert_problem (problems, 5, "outside", YP_SYNC_ERROR_SYMLINK);
  assert_problem (problems, 6, "real/self", YP_SYNC_ERROR_SYMLINK);
}

static void
test_ignored (Fixture       *fixture,
              gconstpointer  data)
{
  const char *paths[] = { "docs", "docs/a.txt", "keep.log", "src", "src/main.c", NULL };
  g_autoptr(YpSyncIgnore) ignore = yp_sync_ignore_new ();
  g_autoptr(YpSyncTree) tree = NULL;
  g_autoptr(GPtrArray) problems = NULL;

  yp_sync_ignore_add_patterns (ignore, "node_modules/\n*.log\n!keep.log\n/docs/private\n");
  make_folder (fixture, "src/node_modules/pkg");
  make_folder (fixture, "docs/private/deep");
  write_old_file (fixture, "src/main.c", "int main;");
  write_old_file (fixture, "src/.main.c.swp", "swap");
  write_old_file (fixture, "src/debug.log", "log");
  write_old_file (fixture, "keep.log", "kept");
  write_old_file (fixture, ".DS_Store", "mac");
  write_old_file (fixture, "docs/a.txt", "a");
  write_old_file (fixture, "docs/private/deep/secret", "s");
  make_folder (fixture, ".yunpan-staging");
  write_old_file (fixture, ".yunpan-staging/x.yunpan-part", "partial");
  write_old_file (fixture, "src/node_modules/pkg/index.js", "js");
  /* were an ignored folder entered, these would be reported */
  make_symlink (fixture, "nowhere", "src/node_modules/pkg/link");
  make_symlink (fixture, "nowhere", "docs/private/link");
  make_symlink (fixture, "nowhere", ".yunpan-staging/link");

  tree = scan (fixture, NULL, ignore, &problems);
  assert_paths (tree, paths);
  g_assert_cmpuint (problems->len, ==, 0);

  /* without rules of the user's, the built-in ones still hold */
  g_clear_pointer (&tree, yp_sync_tree_unref);
  g_clear_pointer (&problems, g_ptr_array_unref);
  tree = scan (fixture, NULL, NULL, &problems);
  g_assert_nonnull (yp_sync_tree_lookup (tree, "src/debug.log"));
  g_assert_null (yp_sync_tree_lookup (tree, ".DS_Store"));
  g_assert_null (yp_sync_tree_lookup (tree, ".yunpan-staging"));
  g_assert_null (yp_sync_tree_lookup (tree, "src/.main.c.swp"));
  g_assert_cmpuint (problems->len, ==, 2);
  assert_problem (problems, 0, "docs/private/link", YP_SYNC_ERROR_SYMLINK);
  assert_problem (problems, 1, "src/node_modules/pkg/link", YP_SYNC_ERROR_SYMLINK);
}

static void
test_unreadable (Fixture       *fixture,
                 gconstpointer  data)
{
  const char *paths[] = { "ok.txt", "sub", "sub/ok.txt", NULL };
  g_autoptr(YpSyncTree) tree = NULL;
  g_autoptr(GPtrArray) problems = NULL;
  g_autofree char *file = path_in (fixture, "locked.txt");
  g_autofree char *folder = path_in (fixture, "sub/locked");

  if (geteuid () == 0)
    {
      g_test_skip ("permissions do not stop root; see /yunpan/sync/scanner/not-regular");
      return;
    }
  write_old_file (fixture, "ok.txt", "ok");
  write_old_file (fixture, "locked.txt", "locked");
  make_folder (fixture, "sub/locked");
  write_old_file (fixture, "sub/ok.txt", "ok");
  write_old_file (fixture, "sub/locked/inside", "inside");
  g_assert_no_errno (g_chmod (file, 0));
  g_assert_no_errno (g_chmod (folder, 0));

  tree = scan (fixture, NULL, NULL, &problems);
  assert_paths (tree, paths);
  g_assert_cmpuint (problems->len, ==, 2);
  assert_problem (problems, 0, "locked.txt", YP_SYNC_ERROR_UNREADABLE);
  assert_problem (problems, 1, "sub/locked", YP_SYNC_ERROR_UNREADABLE);
}

static void
test_not_regular (Fixture       *fixture,
                  gconstpointer  data)
{
  const char *paths[] = { "a.txt", "m", "z", "z/b.txt", NULL };
  g_autoptr(YpSyncTree) tree = NULL;
  g_autoptr(GPtrArray) problems = NULL;
  g_autofree char *fifo = path_in (fixture, "m/fifo");

  write_old_file (fixture, "a.txt", "a");
  write_old_file (fixture, "z/b.txt", "b");
  make_folder (fixture, "m");
  g_assert_no_errno (mkfifo (fifo, 0644));

  /* a FIFO that nobody writes would block a reader forever */
  tree = scan (fixture, NULL, NULL, &problems);
  assert_paths (tree, paths);
  g_assert_cmpuint (problems->len, ==, 1);
  assert_problem (problems, 0, "m/fifo", YP_SYNC_ERROR_UNREADABLE);
}

static void
remove_file (const char *full_path,
             guint       attempt)
{
  g_assert_no_errno (g_unlink (full_path));
}

static void
test_vanished (Fixture       *fixture,
               gconstpointer  data)
{
  const char *paths[] = { "a.txt", "c.txt", NULL };
  g_autoptr(YpSyncTree) tree = NULL;
  g_autoptr(GPtrArray) problems = NULL;

  write_old_file (fixture, "a.txt", "a");
  write_old_file (fixture, "b.txt", "b");
  write_old_file (fixture, "c.txt", "c");
  fixture->action = remove_file;
  fixture->action_path = g_strdup ("b.txt");

  tree = scan (fixture, NULL, NULL, &problems);
  assert_paths (tree, paths);
  g_assert_cmpuint (problems->len, ==, 1);
  assert_problem (problems, 0, "b.txt", YP_SYNC_ERROR_UNREADABLE);
  g_assert_cmpuint (reads_of (fixture, "b.txt"), ==, 1);
}

static void
append (const char *full_path)
{
  /* in place, so that only the size and times tell */
  int fd = open (full_path, O_WRONLY | O_APPEND);

  g_assert_cmpint (fd, >=, 0);
  g_assert_cmpint (write (fd, "+", 1), ==, 1);
  g_assert_no_errno (close (fd));
}

static void
append_once (const char *full_path,
             guint       attempt)
{
  if (attempt == 1)
    append (full_path);
}

static void
append_always (const char *full_path,
               guint       attempt)
{
  append (full_path);
}

static void
test_changed_while_read (Fixture       *fixture,
                         gconstpointer  data)
{
  g_autoptr(YpSyncTree) tree = NULL;
  g_autoptr(GPtrArray) problems = NULL;

  write_old_file (fixture, "log.txt", "line");
  write_old_file (fixture, "other.txt", "other");
  fixture->action = append_once;
  fixture->action_path = g_strdup ("log.txt");

  /* read again once, and what is recorded is what the last read saw; the
   * append made its mtime of just now, so that read is repeated too */
  tree = scan (fixture, NULL, NULL, &problems);
  g_assert_cmpuint (problems->len, ==, 0);
  g_assert_cmpuint (reads_of (fixture, "log.txt"), ==, 3);
  assert_file_item (fixture, tree, "log.txt", "line+");

  /* a file that never holds still is left for the next pass */
  g_clear_pointer (&tree, yp_sync_tree_unref);
  g_clear_pointer (&problems, g_ptr_array_unref);
  fixture->action = append_always;
  tree = scan (fixture, NULL, NULL, &problems);
  g_assert_cmpuint (reads_of (fixture, "log.txt"), ==, 2);
  g_assert_null (yp_sync_tree_lookup (tree, "log.txt"));
  assert_file_item (fixture, tree, "other.txt", "other");
  g_assert_cmpuint (problems->len, ==, 1);
  assert_problem (problems, 0, "log.txt", YP_SYNC_ERROR_UNREADABLE);
}

/* A pass woken by the monitor scans only the paths it names: each with
 * what is under it, as the full walk sees them, and nothing else. */
static void
test_paths (Fixture       *fixture,
            gconstpointer  data)
{
  g_autoptr(YpSyncTree) base = NULL;
  g_autoptr(YpSyncTree) tree = NULL;
  g_autoptr(GPtrArray) problems = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(YpSyncIgnore) ignore = yp_sync_ignore_new ();
  const char *asked[] = { "a/x.txt", "a", "c.txt", "gone/q.txt", "link/f.txt", "link",
                          "b/new.txt", "b/.~lock.doc#", "tmp/inside.txt", NULL };
  const char *expected[] = { "a", "a/x.txt", "a/y.txt", "b/new.txt", "c.txt", NULL };

  write_old_file (fixture, "a/x.txt", "x");
  write_old_file (fixture, "a/y.txt", "y");
  write_old_file (fixture, "b/z.txt", "z");
  write_old_file (fixture, "c.txt", "c");
  write_old_file (fixture, "real/f.txt", "f");
  make_symlink (fixture, "real", "link");
  yp_sync_ignore_add_patterns (ignore, "tmp/\n");
  write_old_file (fixture, "tmp/inside.txt", "ignored");
  base = scan (fixture, NULL, ignore, NULL);

  write_old_file (fixture, "b/new.txt", "new");
  write_old_file (fixture, "b/.~lock.doc#", "temporary");
  g_hash_table_remove_all (fixture->reads);
  tree = yp_sync_scan_paths_sync (fixture->root, asked, base, ignore, &fixture->options, NULL,
                                  &problems, &error);
  g_assert_no_error (error);
  assert_paths (tree, expected);
  /* the link itself is a problem, as in the full walk; nothing behind it */
  g_assert_cmpuint (problems->len, ==, 1);
  assert_problem (problems, 0, "link", YP_SYNC_ERROR_SYMLINK);
  /* what the base vouches for is not read again */
  g_assert_cmpuint (reads_of (fixture, "a/x.txt"), ==, 0);
  g_assert_cmpuint (reads_of (fixture, "b/new.txt"), ==, 1);
  g_assert_cmpuint (g_hash_table_size (fixture->reads), ==, 1);
}

static guint racy_reads;

/* After the first read, the file changes within the same step of the
 * file system's clock: the stat stays as it was. */
static void
rewrite_after_first_read (const char *full_path,
                          guint       attempt)
{
  struct timespec times[2];
  GStatBuf st;
  int fd;

  if (++racy_reads != 2)
    return;
  g_assert_no_errno (g_lstat (full_path, &st));
  fd = open (full_path, O_WRONLY);
  g_assert_cmpint (fd, >=, 0);
  g_assert_cmpint (write (fd, "v2", 2), ==, 2);
  g_assert_no_errno (close (fd));
  times[0] = st.st_atim;
  times[1] = st.st_mtim;
  g_assert_no_errno (utimensat (AT_FDCWD, full_path, times, 0));
}

/* A file whose mtime is of just now may still change without its stat
 * showing it, and a base that recorded the first read would trust that
 * hash for good: it is read again once the clock has moved on. */
static void
test_racy_reread (Fixture       *fixture,
                  gconstpointer  data)
{
  g_autoptr(YpSyncTree) tree = NULL;
  g_autoptr(GPtrArray) problems = NULL;

  racy_reads = 0;
  write_file (fixture, "fresh.txt", "v1");
  write_old_file (fixture, "old.txt", "old");
  fixture->action = rewrite_after_first_read;
  fixture->action_path = g_strdup ("fresh.txt");

  tree = scan (fixture, NULL, NULL, &problems);
  g_assert_cmpuint (problems->len, ==, 0);
  g_assert_cmpuint (reads_of (fixture, "fresh.txt"), >=, 2);
  g_assert_cmpuint (reads_of (fixture, "old.txt"), ==, 1);
  assert_file_item (fixture, tree, "fresh.txt", "v2");
}

static void
test_many_threads (Fixture       *fixture,
                   gconstpointer  data)
{
  g_autoptr(YpSyncTree) one = NULL;
  g_autoptr(YpSyncTree) many = NULL;
  g_autoptr(GPtrArray) items = NULL;

  for (guint i = 0; i < 300; i++)
    {
      g_autofree char *path = g_strdup_printf ("d%u/f%u", i % 7, i);
      g_autofree char *contents = g_strdup_printf ("file number %u", i);
      g_autofree char *folder = g_strdup_printf ("d%u", i % 7);

      make_folder (fixture, folder);
      write_old_file (fixture, path, contents);
    }
  fixture->options.n_threads = 1;
  one = scan (fixture, NULL, NULL, NULL);
  fixture->options.n_threads = 4;
  many = scan (fixture, NULL, NULL, NULL);

  g_assert_cmpuint (yp_sync_tree_size (one), ==, 307);
  g_assert_cmpuint (yp_sync_tree_size (many), ==, 307);
  items = yp_sync_tree_dup_items (one);
  for (guint i = 0; i < items->len; i++)
    {
      YpSyncItem *a = g_ptr_array_index (items, i);
      YpSyncItem *b = yp_sync_tree_lookup (many, a->path);

      g_assert_nonnull (b);
      g_assert_true (yp_sync_item_same_stat (a, b));
      g_assert_cmpstr (a->sha256, ==, b->sha256);
    }
}

static void
cancel_hook (const char *path,
             guint       attempt,
             gpointer    user_data)
{
  g_cancellable_cancel (user_data);
}

static void
test_cancelled (Fixture       *fixture,
                gconstpointer  data)
{
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  YpSyncScanOptions options = { .before_hash = cancel_hook, .hook_data = cancellable };
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) problems = NULL;
  YpSyncTree *tree;

  for (guint i = 0; i < 50; i++)
    {
      g_autofree char *path = g_strdup_printf ("f%u", i);

      write_old_file (fixture, path, "x");
    }
  /* cancelled while it hashes */
  tree = yp_sync_scan_sync (fixture->root, NULL, NULL, &options, cancellable, &problems, &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_null (tree);
  g_assert_null (problems);
  g_clear_error (&error);

  /* cancelled before it starts */
  tree = yp_sync_scan_sync (fixture->root, NULL, NULL, NULL, cancellable, NULL, &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_null (tree);
}

static void
test_missing_root (Fixture       *fixture,
                   gconstpointer  data)
{
  g_autofree char *missing = path_in (fixture, "not-there");
  g_autofree char *file = path_in (fixture, "file");
  g_autoptr(GError) error = NULL;
  YpSyncTree *tree;

  /* never an empty tree, which would read as "everything deleted" */
  tree = yp_sync_scan_sync (missing, NULL, NULL, NULL, NULL, NULL, &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  g_assert_null (tree);
  g_clear_error (&error);

  write_old_file (fixture, "file", "x");
  tree = yp_sync_scan_sync (file, NULL, NULL, NULL, NULL, NULL, &error);
  g_assert_nonnull (error);
  g_assert_null (tree);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(name, func) \
  g_test_add ("/yunpan/sync/scanner/" name, Fixture, NULL, fixture_set_up, func, fixture_tear_down)

  ADD ("nested", test_nested);
  ADD ("unchanged-not-read", test_unchanged_not_read);
  ADD ("changed-rehashed", test_changed_rehashed);
  ADD ("symlinks", test_symlinks);
  ADD ("ignored", test_ignored);
  ADD ("unreadable", test_unreadable);
  ADD ("not-regular", test_not_regular);
  ADD ("vanished", test_vanished);
  ADD ("changed-while-read", test_changed_while_read);
  ADD ("racy-reread", test_racy_reread);
  ADD ("paths", test_paths);
  ADD ("many-threads", test_many_threads);
  ADD ("cancelled", test_cancelled);
  ADD ("missing-root", test_missing_root);

  return g_test_run ();
}
