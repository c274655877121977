/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * yunpan-bench-sync-scan: times the sync engine's unchanged rescan of a
 * large tree against a bare nftw walk of the same tree, for
 * bench/sync-scan.sh.
 *
 *   yunpan-bench-sync-scan TREE [FILES] [RUNS] [THREADS]
 *
 * Makes TREE with FILES small files (100,000 by default) in folders of
 * 100 unless it is there already, scans it once without a base (every
 * file hashed, THREADS at once; 0, the default, is one a core), then
 * RUNS times (11 by default) times a pair: nftw with FTW_PHYS (which
 * lstats every entry itself) and yp_sync_scan_sync with the first scan
 * as the base, the first of each pair alternating. Prints each pair, the
 * median of the pairs' ratios (scan / walk), and the resident memory of
 * the process before and after it holds the base tree.
 */
#include <errno.h>
#include <ftw.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib/gstdio.h>

#include "yp-sync-scanner.h"

static guint walk_entries;

static int
count_entry (const char        *path,
             const struct stat *st,
             int                type,
             struct FTW        *ftw)
{
  walk_entries++;
  return 0;
}

static double
time_walk (const char *root)
{
  gint64 start = g_get_monotonic_time ();

  walk_entries = 0;
  if (nftw (root, count_entry, 64, FTW_PHYS) != 0)
    g_error ("nftw: %s", g_strerror (errno));
  return (double) (g_get_monotonic_time () - start) / G_USEC_PER_SEC;
}

/* The time to make the tree; the time to free it goes to FREED (when not
 * NULL), since an engine keeps the tree and lets the old one go later. */
static double
time_scan (const char         *root,
           YpSyncTree         *base,
           YpSyncScanOptions  *options,
           YpSyncTree        **out,
           double             *freed)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) problems = NULL;
  gint64 start = g_get_monotonic_time ();
  YpSyncTree *tree = yp_sync_scan_sync (root, base, NULL, options, NULL, &problems, &error);
  double seconds = (double) (g_get_monotonic_time () - start) / G_USEC_PER_SEC;

  if (tree == NULL)
    g_error ("scan: %s", error->message);
  if (problems->len > 0)
    g_error ("scan: %u problems, the first: %s", problems->len,
             ((YpSyncProblem *) g_ptr_array_index (problems, 0))->error->message);
  if (out != NULL)
    *out = tree;
  else
    {
      start = g_get_monotonic_time ();
      yp_sync_tree_unref (tree);
      if (freed != NULL)
        *freed = (double) (g_get_monotonic_time () - start) / G_USEC_PER_SEC;
    }
  return seconds;
}

static void
make_tree (const char *root,
           guint       files)
{
  g_autofree char *done = g_strdup_printf ("%s.done-%u-v2", root, files);

  if (g_file_test (done, G_FILE_TEST_EXISTS))
    return;
  g_printerr ("making %u files under %s\n", files, root);
  for (guint i = 0; i < files; i++)
    {
      g_autofree char *folder = g_strdup_printf ("%s/d%03u/e%02u", root, i / 1000, i / 100 % 10);
      g_autofree char *path = g_strdup_printf ("%s/f%05u.txt", folder, i);
      gsize size = 1024 + (i * 7919) % 3072;
      g_autofree char *contents = NULL;
      g_autoptr(GError) error = NULL;

      if (i % 100 == 0 && g_mkdir_with_parents (folder, 0755) < 0)
        g_error ("mkdir %s: %s", folder, g_strerror (errno));
      /* 1 to 4 KiB, each different */
      contents = g_strnfill (size, 'a' + i % 26);
      memcpy (contents, &i, sizeof i);
      if (!g_file_set_contents (path, contents, (gssize) size, &error))
        g_error ("%s", error->message);
    }
  if (!g_file_set_contents (done, "", 0, NULL))
    g_error ("cannot write %s", done);
}

static guint64
rss_kib (void)
{
  g_autofree char *status = NULL;
  const char *line;

  if (!g_file_get_contents ("/proc/self/status", &status, NULL, NULL))
    return 0;
  line = strstr (status, "VmRSS:");
  return line != NULL ? g_ascii_strtoull (line + 6, NULL, 10) : 0;
}

static int
compare_doubles (const void *a,
                 const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return x < y ? -1 : x > y;
}

int
main (int   argc,
      char *argv[])
{
  const char *root;
  guint files = 100000, runs = 11;
  YpSyncScanOptions options = { 0, };
  g_autoptr(YpSyncTree) base = NULL;
  g_autofree double *ratios = NULL;
  g_autofree double *walks = NULL;
  g_autofree double *scans = NULL;
  g_autofree double *frees = NULL;
  guint64 rss_before, rss_after;
  double first;

  if (argc < 2)
    {
      g_printerr ("usage: %s TREE [FILES] [RUNS] [THREADS]\n", argv[0]);
      return 2;
    }
  root = argv[1];
  if (argc > 2)
    files = (guint) g_ascii_strtoull (argv[2], NULL, 10);
  if (argc > 3)
    runs = MAX (1, (guint) g_ascii_strtoull (argv[3], NULL, 10));
  if (argc > 4)
    options.n_threads = (guint) g_ascii_strtoull (argv[4], NULL, 10);

  make_tree (root, files);
  /* a first walk so that both sides find the inodes cached */
  time_walk (root);

  malloc_trim (0);
  rss_before = rss_kib ();
  first = time_scan (root, NULL, &options, &base, NULL);
  malloc_trim (0);
  rss_after = rss_kib ();
  printf ("first scan (every file hashed, %u threads): %.3f s, %u items\n",
          options.n_threads != 0 ? options.n_threads : g_get_num_processors (), first,
          yp_sync_tree_size (base));
  printf ("rss: %" G_GUINT64_FORMAT " KiB before, %" G_GUINT64_FORMAT " KiB holding the base tree "
          "(%.1f MiB, %.0f bytes an item)\n", rss_before, rss_after,
          (double) rss_after / 1024,
          (double) (rss_after - rss_before) * 1024 / MAX (1, yp_sync_tree_size (base)));

  ratios = g_new (double, runs);
  walks = g_new (double, runs);
  scans = g_new (double, runs);
  frees = g_new (double, runs);
  for (guint i = 0; i < runs; i++)
    {
      if (i % 2 == 0)
        {
          walks[i] = time_walk (root);
          scans[i] = time_scan (root, base, &options, NULL, &frees[i]);
        }
      else
        {
          scans[i] = time_scan (root, base, &options, NULL, &frees[i]);
          walks[i] = time_walk (root);
        }
      ratios[i] = scans[i] / walks[i];
      printf ("pair %2u: nftw %.3f s (%u entries), rescan %.3f s, ratio %.2f"
              " (then freeing the tree %.3f s)\n",
              i + 1, walks[i], walk_entries, scans[i], ratios[i], frees[i]);
    }
  qsort (ratios, runs, sizeof (double), compare_doubles);
  qsort (walks, runs, sizeof (double), compare_doubles);
  qsort (scans, runs, sizeof (double), compare_doubles);
  qsort (frees, runs, sizeof (double), compare_doubles);
  printf ("median: nftw %.3f s, rescan %.3f s (freeing %.3f s); "
          "median ratio of pairs %.2f (best %.2f)\n",
          walks[runs / 2], scans[runs / 2], frees[runs / 2], ratios[runs / 2], ratios[0]);
  return 0;
}
