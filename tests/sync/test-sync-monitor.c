/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "yp-sync-monitor.h"

/* A change must be reported within this long of the last write. */
#define LATENCY_USEC G_TIME_SPAN_SECOND

typedef struct
{
  char          *root;
  char          *outside;   /* a folder beside the root, to move things in from */
  YpSyncMonitor *monitor;
  GMainLoop     *loop;

  GPtrArray     *reports;   /* GStrv, one per YpSyncMonitor::changed */
  GArray        *times;     /* gint64, when each report came */
  guint          overflows;
  gboolean       quit_on_report;
} Fixture;

static void
changed_cb (YpSyncMonitor *monitor,
            char         **paths,
            gpointer       user_data)
{
  Fixture *fixture = user_data;
  gint64 now = g_get_monotonic_time ();

  g_ptr_array_add (fixture->reports, g_strdupv (paths));
  g_array_append_val (fixture->times, now);
  if (fixture->quit_on_report)
    g_main_loop_quit (fixture->loop);
}

static void
overflow_cb (YpSyncMonitor *monitor,
             gpointer       user_data)
{
  Fixture *fixture = user_data;

  fixture->overflows++;
}

static void
remove_tree (const char *path)
{
  g_autofree char *quoted = g_shell_quote (path);
  g_autofree char *script = g_strdup_printf ("rm -rf %s", quoted);
  const char *argv[] = { "sh", "-c", script, NULL };
  int status = -1;

  g_assert_true (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL,
                               NULL, NULL, &status, NULL));
  g_assert_true (g_spawn_check_wait_status (status, NULL));
}

static char *
path_in (Fixture    *fixture,
         const char *path)
{
  return g_build_filename (fixture->root, path, NULL);
}

static void
make_folder (const char *full)
{
  g_assert_no_errno (g_mkdir_with_parents (full, 0755));
}

/* Writes as most programs do: a temporary beside it, renamed over it. */
static void
write_at (const char *full,
          const char *contents)
{
  g_autofree char *folder = g_path_get_dirname (full);
  g_autoptr(GError) error = NULL;

  make_folder (folder);
  g_file_set_contents (full, contents, -1, &error);
  g_assert_no_error (error);
}

static void
write_file (Fixture    *fixture,
            const char *path,
            const char *contents)
{
  g_autofree char *full = path_in (fixture, path);

  write_at (full, contents);
}

/* Writes in place, as `echo > file` does. */
static void
write_in_place (Fixture    *fixture,
                const char *path,
                const char *contents)
{
  g_autofree char *full = path_in (fixture, path);
  FILE *file = fopen (full, "w");

  g_assert_nonnull (file);
  g_assert_cmpint (fputs (contents, file), >=, 0);
  g_assert_cmpint (fclose (file), ==, 0);
}

static void
rename_in (Fixture    *fixture,
           const char *from,
           const char *to)
{
  g_autofree char *full_from = path_in (fixture, from);
  g_autofree char *full_to = path_in (fixture, to);

  g_assert_no_errno (g_rename (full_from, full_to));
}

static gboolean
quit_cb (gpointer user_data)
{
  g_main_loop_quit (user_data);
  return G_SOURCE_REMOVE;
}

/* Runs the main loop for MSEC, or until a report when QUIT_ON_REPORT. */
static void
run_for (Fixture  *fixture,
         guint     msec,
         gboolean  quit_on_report)
{
  GSource *timeout = g_timeout_source_new (msec);

  g_source_set_callback (timeout, quit_cb, fixture->loop, NULL);
  g_source_attach (timeout, NULL);
  fixture->quit_on_report = quit_on_report;
  g_main_loop_run (fixture->loop);
  fixture->quit_on_report = FALSE;
  g_source_destroy (timeout);
  g_source_unref (timeout);
}

/* Waits for the watches to become N_WATCHED, the walks being threads. */
static void
wait_watched (Fixture *fixture,
              guint    n_watched)
{
  for (guint i = 0; i < 100 && yp_sync_monitor_get_n_watched (fixture->monitor) != n_watched; i++)
    run_for (fixture, 20, FALSE);
  g_assert_cmpuint (yp_sync_monitor_get_n_watched (fixture->monitor), ==, n_watched);
}

static void
start (Fixture *fixture,
       guint    n_watched)
{
  yp_sync_monitor_start (fixture->monitor);
  wait_watched (fixture, n_watched);
  /* nothing from before the start */
  run_for (fixture, 400, FALSE);
  g_assert_cmpuint (fixture->reports->len, ==, 0);
}

/* The paths of every report, joined by " ", reports joined by " | ". */
static char *
reports_text (Fixture *fixture)
{
  g_autoptr(GString) text = g_string_new (NULL);

  for (guint i = 0; i < fixture->reports->len; i++)
    {
      g_autofree char *paths = g_strjoinv (" ", g_ptr_array_index (fixture->reports, i));

      if (i > 0)
        g_string_append (text, " | ");
      g_string_append (text, paths);
    }
  return g_string_free (g_steal_pointer (&text), FALSE);
}

/* Waits for one report and a while more, then checks there was one, made
 * of EXPECTED, no later than LATENCY_USEC after WRITTEN. */
static void
assert_one_report (Fixture    *fixture,
                   gint64      written,
                   const char *expected)
{
  g_autofree char *text = NULL;

  run_for (fixture, 3000, TRUE);
  run_for (fixture, 500, FALSE);
  text = reports_text (fixture);
  g_assert_cmpstr (text, ==, expected);
  g_assert_cmpint (g_array_index (fixture->times, gint64, 0) - written, <, LATENCY_USEC);
  g_assert_cmpuint (fixture->overflows, ==, 0);
}

static gboolean
report_has (Fixture    *fixture,
            const char *path)
{
  for (guint i = 0; i < fixture->reports->len; i++)
    if (g_strv_contains (g_ptr_array_index (fixture->reports, i), path))
      return TRUE;
  return FALSE;
}

static void
clear_reports (Fixture *fixture)
{
  g_ptr_array_set_size (fixture->reports, 0);
  g_array_set_size (fixture->times, 0);
}

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  const char *patterns = data;
  g_autoptr(YpSyncIgnore) ignore = yp_sync_ignore_new ();

  fixture->root = g_dir_make_tmp ("yp-monitor-XXXXXX", NULL);
  g_assert_nonnull (fixture->root);
  fixture->outside = g_dir_make_tmp ("yp-monitor-out-XXXXXX", NULL);
  g_assert_nonnull (fixture->outside);
  if (patterns != NULL)
    yp_sync_ignore_add_patterns (ignore, patterns);
  fixture->monitor = yp_sync_monitor_new (fixture->root, ignore);
  fixture->loop = g_main_loop_new (NULL, FALSE);
  fixture->reports = g_ptr_array_new_with_free_func ((GDestroyNotify) g_strfreev);
  fixture->times = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_signal_connect (fixture->monitor, "changed", G_CALLBACK (changed_cb), fixture);
  g_signal_connect (fixture->monitor, "overflow", G_CALLBACK (overflow_cb), fixture);
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  yp_sync_monitor_stop (fixture->monitor);
  g_assert_cmpuint (yp_sync_monitor_get_n_watched (fixture->monitor), ==, 0);
  /* the walks in flight hold the monitor until they return */
  for (guint i = 0; i < 50 && G_OBJECT (fixture->monitor)->ref_count > 1; i++)
    run_for (fixture, 20, FALSE);
  g_assert_finalize_object (fixture->monitor);
  remove_tree (fixture->root);
  remove_tree (fixture->outside);
  g_main_loop_unref (fixture->loop);
  g_ptr_array_unref (fixture->reports);
  g_array_unref (fixture->times);
  g_free (fixture->outside);
  g_free (fixture->root);
}

/* ----------------------------------------------------------------- tests */

static void
test_create (Fixture       *fixture,
             gconstpointer  data)
{
  start (fixture, 1);
  /* through a temporary, which is gone by the report */
  write_file (fixture, "a.txt", "one");
  assert_one_report (fixture, g_get_monotonic_time (), "a.txt");
}

static void
test_editor_save (Fixture       *fixture,
                  gconstpointer  data)
{
  g_autofree char *swap = path_in (fixture, ".a.txt.swp");

  write_file (fixture, "a.txt", "one");
  start (fixture, 1);

  write_in_place (fixture, ".a.txt.swp", "swap");
  write_in_place (fixture, "a.txt.tmp", "two");
  rename_in (fixture, "a.txt.tmp", "a.txt");
  g_assert_no_errno (g_unlink (swap));
  assert_one_report (fixture, g_get_monotonic_time (), "a.txt");
}

static void
test_many_files (Fixture       *fixture,
                 gconstpointer  data)
{
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  gint64 written;

  start (fixture, 1);
  for (guint i = 0; i < 100; i++)
    {
      g_autofree char *name = g_strdup_printf ("f%03u", i);

      write_file (fixture, name, name);
    }
  written = g_get_monotonic_time ();
  /* a burst is held 2 s at most: two reports at most, then quiet */
  run_for (fixture, 3000, TRUE);
  run_for (fixture, 3000, FALSE);

  g_assert_cmpuint (fixture->reports->len, >=, 1);
  g_assert_cmpuint (fixture->reports->len, <=, 2);
  g_hash_table_remove_all (seen);
  for (guint i = 0; i < fixture->reports->len; i++)
    for (char **p = g_ptr_array_index (fixture->reports, i); *p != NULL; p++)
      g_hash_table_add (seen, *p);
  g_assert_cmpuint (g_hash_table_size (seen), ==, 100);
  for (guint i = 0; i < 100; i++)
    {
      g_autofree char *name = g_strdup_printf ("f%03u", i);

      g_assert_true (g_hash_table_contains (seen, name));
    }
  g_assert_cmpint (g_array_index (fixture->times, gint64, fixture->times->len - 1) - written,
                   <, LATENCY_USEC);
}

static void
test_mkdir_parents (Fixture       *fixture,
                    gconstpointer  data)
{
  g_autofree char *c = path_in (fixture, "a/b/c");
  gint64 written;

  start (fixture, 1);
  make_folder (c);
  write_file (fixture, "a/b/c/f.txt", "f");
  written = g_get_monotonic_time ();
  run_for (fixture, 3000, TRUE);
  run_for (fixture, 500, FALSE);
  {
    g_autofree char *text = reports_text (fixture);

    g_assert_cmpstr (text, ==, "a a/b a/b/c a/b/c/f.txt");
  }
  g_assert_cmpint (g_array_index (fixture->times, gint64, 0) - written, <, LATENCY_USEC);
  wait_watched (fixture, 4);

  /* the new folders are watched */
  clear_reports (fixture);
  write_file (fixture, "a/b/c/g.txt", "g");
  assert_one_report (fixture, g_get_monotonic_time (), "a/b/c/g.txt");
}

static void
test_move_in (Fixture       *fixture,
              gconstpointer  data)
{
  g_autofree char *tree = g_build_filename (fixture->outside, "x", NULL);
  g_autofree char *deep = g_build_filename (tree, "y", "z.txt", NULL);
  g_autofree char *top = g_build_filename (tree, "w.txt", NULL);
  g_autofree char *into = path_in (fixture, "x");

  g_autofree char *swap = g_build_filename (tree, "y", "z.txt.swp", NULL);
  g_autofree char *staged = g_build_filename (tree, "y", ".yunpan-stage", "part", NULL);

  write_at (deep, "z");
  write_at (top, "w");
  /* ignored in the tree moved in: neither reported nor watched */
  write_at (swap, "swap");
  write_at (staged, "part");
  start (fixture, 1);

  g_assert_no_errno (g_rename (tree, into));
  assert_one_report (fixture, g_get_monotonic_time (), "x x/w.txt x/y x/y/z.txt");
  wait_watched (fixture, 3);

  clear_reports (fixture);
  write_file (fixture, "x/y/new.txt", "new");
  assert_one_report (fixture, g_get_monotonic_time (), "x/y/new.txt");
}

/* A burst that never quiets down is still reported, every 2 s or so. */
static void
test_steady_writes (Fixture       *fixture,
                    gconstpointer  data)
{
  gint64 first, last;

  start (fixture, 1);
  first = g_get_monotonic_time ();
  for (guint i = 0; i < 30; i++)
    {
      g_autofree char *contents = g_strdup_printf ("%u", i);

      write_in_place (fixture, "log.txt", contents);
      run_for (fixture, 100, FALSE);
    }
  last = g_get_monotonic_time ();
  g_assert_cmpuint (fixture->reports->len, >=, 1);
  g_assert_cmpint (g_array_index (fixture->times, gint64, 0) - first,
                   <, 2500 * G_TIME_SPAN_MILLISECOND);
  run_for (fixture, 1500, FALSE);
  g_assert_cmpint (g_array_index (fixture->times, gint64, fixture->times->len - 1) - last,
                   <, LATENCY_USEC);
  for (guint i = 0; i < fixture->reports->len; i++)
    {
      g_autofree char *paths = g_strjoinv (" ", g_ptr_array_index (fixture->reports, i));

      g_assert_cmpstr (paths, ==, "log.txt");
    }
}

static void
test_remove_tree (Fixture       *fixture,
                  gconstpointer  data)
{
  g_autofree char *d = path_in (fixture, "d");

  write_file (fixture, "d/e/f/one.txt", "1");
  write_file (fixture, "d/two.txt", "2");
  write_file (fixture, "kept.txt", "kept");
  start (fixture, 4);

  remove_tree (d);
  run_for (fixture, 3000, TRUE);
  run_for (fixture, 500, FALSE);
  g_assert_cmpuint (fixture->reports->len, ==, 1);
  g_assert_true (report_has (fixture, "d"));
  for (char **p = g_ptr_array_index (fixture->reports, 0); *p != NULL; p++)
    g_assert_true (g_str_equal (*p, "d") || g_str_has_prefix (*p, "d/"));
  g_assert_cmpuint (yp_sync_monitor_get_n_watched (fixture->monitor), ==, 1);
  g_assert_cmpuint (fixture->overflows, ==, 0);
}

static void
test_ignored (Fixture       *fixture,
              gconstpointer  data)
{
  g_autofree char *build = path_in (fixture, "build");
  g_autofree char *stage = path_in (fixture, ".yunpan-stage");

  start (fixture, 1);
  write_in_place (fixture, "a.txt.swp", "swap");
  write_file (fixture, ".yunpan-state", "state");
  make_folder (stage);
  write_file (fixture, ".yunpan-stage/part", "part");
  /* a folder ignored as a folder only: the walk tells */
  make_folder (build);
  write_file (fixture, "build/out.o", "out");
  run_for (fixture, 1500, FALSE);
  g_assert_cmpuint (fixture->reports->len, ==, 0);
  /* and ignored folders are not watched */
  g_assert_cmpuint (yp_sync_monitor_get_n_watched (fixture->monitor), ==, 1);
  write_file (fixture, "build/later.o", "later");
  run_for (fixture, 1000, FALSE);
  g_assert_cmpuint (fixture->reports->len, ==, 0);
  g_assert_cmpuint (fixture->overflows, ==, 0);
}

static void
test_rename (Fixture       *fixture,
             gconstpointer  data)
{
  write_file (fixture, "a.txt", "a");
  write_file (fixture, "old/inside.txt", "in");
  write_file (fixture, "old/sub/deep.txt", "deep");
  start (fixture, 3);

  rename_in (fixture, "a.txt", "b.txt");
  assert_one_report (fixture, g_get_monotonic_time (), "a.txt b.txt");

  /* a folder: both names, and the watches follow the new one */
  clear_reports (fixture);
  rename_in (fixture, "old", "new");
  assert_one_report (fixture, g_get_monotonic_time (),
                     "new new/inside.txt new/sub new/sub/deep.txt old");
  wait_watched (fixture, 3);
  clear_reports (fixture);
  write_file (fixture, "new/more.txt", "more");
  assert_one_report (fixture, g_get_monotonic_time (), "new/more.txt");
}

static void
test_stop (Fixture       *fixture,
           gconstpointer  data)
{
  start (fixture, 1);
  write_file (fixture, "a.txt", "a");
  yp_sync_monitor_stop (fixture->monitor);
  run_for (fixture, 1000, FALSE);
  g_assert_cmpuint (fixture->reports->len, ==, 0);

  /* and again */
  start (fixture, 1);
  write_file (fixture, "b.txt", "b");
  assert_one_report (fixture, g_get_monotonic_time (), "b.txt");
}

/* The root itself removed: nothing left to watch, scan everything. */
static void
test_root_removed (Fixture       *fixture,
                   gconstpointer  data)
{
  write_file (fixture, "a.txt", "a");
  start (fixture, 1);

  remove_tree (fixture->root);
  run_for (fixture, 1500, FALSE);
  g_assert_cmpuint (fixture->overflows, ==, 1);
  g_assert_cmpuint (fixture->reports->len, ==, 0);
  g_assert_true (yp_sync_monitor_get_overflowed (fixture->monitor));
  g_assert_no_errno (g_mkdir (fixture->root, 0700));
}

/* With open() and write() only, so that a fork()ed child may call it. */
static gboolean
write_proc (const char *path,
            const char *text)
{
  int fd = open (path, O_WRONLY | O_CLOEXEC);
  gboolean written;

  if (fd < 0)
    return FALSE;
  written = write (fd, text, strlen (text)) == (gssize) strlen (text);
  return close (fd) == 0 && written;
}

/* Moves the calling process, which must have one thread, into a user
 * namespace of its own with room for LIMIT inotify watches (the limit
 * counts per namespace). */
static gboolean
limit_watches (const char *limit)
{
  char uid_map[32];

  g_snprintf (uid_map, sizeof uid_map, "0 %u 1", (guint) getuid ());
  return unshare (CLONE_NEWUSER) == 0
         && write_proc ("/proc/self/uid_map", uid_map)
         && write_proc ("/proc/sys/user/max_inotify_watches", limit);
}

/* Whether this machine lets a process do limit_watches(). */
static gboolean
can_limit_watches (void)
{
  pid_t pid = fork ();
  int status = -1;

  g_assert_cmpint (pid, >=, 0);
  if (pid == 0)
    _exit (limit_watches ("4") ? 0 : 1);
  g_assert_cmpint (waitpid (pid, &status, 0), ==, pid);
  return WIFEXITED (status) && WEXITSTATUS (status) == 0;
}

/* Out of inotify watches: an overflow, and the watches made still work. */
static void
test_watch_limit (void)
{
  Fixture fixture = { 0 };

  if (!g_test_subprocess ())
    {
      if (!can_limit_watches ())
        {
          g_test_skip ("no user namespace with an inotify limit of its own");
          return;
        }
      g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_INHERIT_STDERR);
      g_test_trap_assert_passed ();
      return;
    }
  /* before anything makes a thread or an inotify instance */
  g_assert_true (limit_watches ("4"));

  fixture_set_up (&fixture, NULL);
  for (guint i = 0; i < 6; i++)
    {
      g_autofree char *path = g_strdup_printf ("d%u/f.txt", i);

      write_file (&fixture, path, "f");
    }
  yp_sync_monitor_start (fixture.monitor);
  run_for (&fixture, 1000, FALSE);
  g_assert_cmpuint (fixture.overflows, ==, 1);
  g_assert_true (yp_sync_monitor_get_overflowed (fixture.monitor));
  g_assert_cmpuint (yp_sync_monitor_get_n_watched (fixture.monitor), >=, 1);
  g_assert_cmpuint (yp_sync_monitor_get_n_watched (fixture.monitor), <, 7);
  g_assert_cmpuint (fixture.reports->len, ==, 0);

  fixture.overflows = 0;
  write_file (&fixture, "later.txt", "later");
  assert_one_report (&fixture, g_get_monotonic_time (), "later.txt");
  fixture_tear_down (&fixture, NULL);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func, data) \
  g_test_add ("/yunpan/sync/monitor/" path, Fixture, data, fixture_set_up, func, fixture_tear_down)

  ADD ("create", test_create, NULL);
  ADD ("editor-save", test_editor_save, NULL);
  ADD ("many-files", test_many_files, NULL);
  ADD ("mkdir-parents", test_mkdir_parents, NULL);
  ADD ("move-in", test_move_in, NULL);
  ADD ("steady-writes", test_steady_writes, NULL);
  ADD ("remove-tree", test_remove_tree, NULL);
  ADD ("ignored", test_ignored, "build/\n");
  ADD ("rename", test_rename, NULL);
  ADD ("stop", test_stop, NULL);
  ADD ("root-removed", test_root_removed, NULL);
  g_test_add_func ("/yunpan/sync/monitor/watch-limit", test_watch_limit);

#undef ADD

  return g_test_run ();
}
