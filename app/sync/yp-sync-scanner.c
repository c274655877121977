/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "yunpan-sync"

#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gi18n-lib.h>

#include "yp-hasher.h"
#include "yp-sync-error.h"
#include "yp-sync-scanner.h"

/* One file to hash: its item, with the stat of the walk until a hashing
 * thread fills in what it read. */
typedef struct
{
  YpSyncItem *item;
  GError     *error;
} HashJob;

/* The walk runs in a thread of its own, which spends its time in the
 * kernel (readdir, fstatat), and hands the items it makes in batches to
 * the calling thread, which compares them with the base and builds the
 * tree meanwhile: on two cores an unchanged rescan then takes little more
 * than the bare walk. */
#define BATCH_SIZE 256

/* ends the walker's batches */
static int end_of_walk;

typedef struct
{
  /* borrowed, read by every thread */
  YpSyncTree        *base;
  YpSyncIgnore      *ignore;
  GCancellable      *cancellable;
  YpSyncScanOptions *options;
  int                root_fd;
  GPtrArray         *paths;     /* NULL: the whole tree */

  /* the walker's until it ends, then the caller's */
  GPtrArray         *problems;  /* YpSyncProblem */
  GString           *path;      /* of the entry being walked */
  GPtrArray         *batch;     /* YpSyncItem, not pushed yet */
  int                walk_fd;

  /* shared */
  GAsyncQueue       *batches;   /* GPtrArray of YpSyncItem, then &end_of_walk */

  /* the caller's */
  YpSyncTree        *tree;
  GPtrArray         *jobs;      /* HashJob, read once the pool is done */
  GThreadPool       *pool;      /* created at the first file to hash */
} Scan;

YpSyncProblem *
yp_sync_problem_new (const char   *path,
                     const GError *error)
{
  YpSyncProblem *problem = g_new (YpSyncProblem, 1);

  problem->path = g_strdup (path);
  problem->error = g_error_copy (error);
  return problem;
}

void
yp_sync_problem_free (YpSyncProblem *problem)
{
  g_free (problem->path);
  g_error_free (problem->error);
  g_free (problem);
}

static void
hash_job_free (HashJob *job)
{
  g_clear_pointer (&job->item, yp_sync_item_unref);
  g_clear_error (&job->error);
  g_free (job);
}

static void
add_problem (Scan       *scan,
             const char *path,
             int         code,
             const char *format,
             ...) G_GNUC_PRINTF (4, 5);

static void
add_problem (Scan       *scan,
             const char *path,
             int         code,
             const char *format,
             ...)
{
  g_autoptr(GError) error = NULL;
  va_list args;

  va_start (args, format);
  error = g_error_new_valist (YP_SYNC_ERROR, code, format, args);
  va_end (args);
  g_ptr_array_add (scan->problems, yp_sync_problem_new (path, error));
}

static void
set_unreadable (GError     **error,
                const char  *path,
                int          saved_errno)
{
  g_set_error (error, YP_SYNC_ERROR, YP_SYNC_ERROR_UNREADABLE,
               _("Cannot read “%s”: %s"), path, g_strerror (saved_errno));
}

static void
item_set_stat (YpSyncItem        *item,
               const struct stat *st)
{
  item->device = st->st_dev;
  item->inode = st->st_ino;
  item->mtime_ns = (gint64) st->st_mtim.tv_sec * G_GINT64_CONSTANT (1000000000)
                   + st->st_mtim.tv_nsec;
  item->size = S_ISREG (st->st_mode) ? (guint64) st->st_size : 0;
}

/* Whether nothing of the file changed between A and B: ctime too, which a
 * write moves even when the writer puts the mtime back. */
static gboolean
same_stat (const struct stat *a,
           const struct stat *b)
{
  return a->st_dev == b->st_dev && a->st_ino == b->st_ino && a->st_size == b->st_size
         && a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec
         && a->st_ctim.tv_sec == b->st_ctim.tv_sec && a->st_ctim.tv_nsec == b->st_ctim.tv_nsec;
}

/* ---------------------------------------------------------------- hashing */

typedef enum
{
  HASH_DONE,
  HASH_FAILED,
  HASH_CHANGED,
} HashResult;

/* Hashes ITEM's file once, setting its stat to that of the bytes read.
 * CHANGED when the file (or what its path names) changed meanwhile. */
static HashResult
hash_once (Scan        *scan,
           YpSyncItem  *item,
           guint        attempt,
           GError     **error)
{
  g_autoptr(GError) local_error = NULL;
  struct stat before, after, now;
  guint64 size = 0;
  gboolean hashed;
  int fd;

  /* NONBLOCK: should the path have become a FIFO since the walk, opening
   * it must not wait for a writer */
  fd = openat (scan->root_fd, item->path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
  if (fd < 0 && errno == ELOOP)
    {
      g_set_error (error, YP_SYNC_ERROR, YP_SYNC_ERROR_SYMLINK,
                   _("“%s” is a symbolic link, which is not synced"), item->path);
      return HASH_FAILED;
    }
  if (fd < 0 || fstat (fd, &before) < 0)
    {
      set_unreadable (error, item->path, errno);
      if (fd >= 0)
        close (fd);
      return HASH_FAILED;
    }
  if (!S_ISREG (before.st_mode))
    {
      close (fd);
      g_set_error (error, YP_SYNC_ERROR, YP_SYNC_ERROR_UNREADABLE,
                   _("“%s” is not a regular file or folder"), item->path);
      return HASH_FAILED;
    }
  item_set_stat (item, &before);

  if (scan->options->before_hash != NULL)
    scan->options->before_hash (item->path, attempt, scan->options->hook_data);

  hashed = yp_hash_fd_sync (fd, item->sha256, &size, scan->cancellable, &local_error);
  if (hashed && fstat (fd, &after) < 0)
    {
      set_unreadable (error, item->path, errno);
      close (fd);
      return HASH_FAILED;
    }
  close (fd);
  if (!hashed)
    {
      if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_propagate_error (error, g_steal_pointer (&local_error));
      else
        g_set_error (error, YP_SYNC_ERROR, YP_SYNC_ERROR_UNREADABLE, _("Cannot read “%s”: %s"),
                     item->path, local_error->message);
      return HASH_FAILED;
    }

  /* the path must still name the bytes read: an editor's save replaces
   * the file under the same name */
  if (fstatat (scan->root_fd, item->path, &now, AT_SYMLINK_NOFOLLOW) < 0)
    {
      if (errno != ENOENT)
        {
          set_unreadable (error, item->path, errno);
          return HASH_FAILED;
        }
      g_set_error (error, YP_SYNC_ERROR, YP_SYNC_ERROR_UNREADABLE,
                   _("“%s” vanished while it was read"), item->path);
      return HASH_FAILED;
    }
  if (!same_stat (&before, &after) || !same_stat (&before, &now) || size != item->size)
    return HASH_CHANGED;
  return HASH_DONE;
}

/*
 * A file's modification time moves in steps of the kernel's coarse clock
 * (a tick: 10 ms at most on Linux's own file systems). A write in the same
 * step as our read would leave size, mtime and inode as they were, and
 * every later scan would trust the stale hash ("racily clean", as git
 * says). So a file read less than this after its mtime is read once more
 * when the step is surely over: any write after that read moves its mtime.
 */
#define RACY_MARGIN_US (50 * G_TIME_SPAN_MILLISECOND)

/* How long to wait before reading ITEM again; 0 when its hash can be
 * trusted as it is. */
static gint64
racy_wait_us (const YpSyncItem *item)
{
  gint64 age_us = g_get_real_time () - item->mtime_ns / 1000;

  if (age_us >= RACY_MARGIN_US)
    return 0;
  /* an mtime in the future (a skewed clock) waits one margin, not more */
  return RACY_MARGIN_US - MAX (age_us, 0);
}

static void
hash_job_run (gpointer data,
              gpointer user_data)
{
  HashJob *job = data;
  Scan *scan = user_data;
  gboolean reread = FALSE;

  if (g_cancellable_set_error_if_cancelled (scan->cancellable, &job->error))
    return;
  /* a file that changes while it is read gets a second read, then is left
   * for the next pass */
  for (guint attempt = 1; attempt <= 2; attempt++)
    {
      HashResult result = hash_once (scan, job->item, attempt, &job->error);
      gint64 wait_us;

      if (result == HASH_DONE && !reread && (wait_us = racy_wait_us (job->item)) > 0)
        {
          g_usleep (wait_us);
          reread = TRUE;
          attempt--;
          continue;
        }
      if (result != HASH_CHANGED)
        return;
    }
  g_set_error (&job->error, YP_SYNC_ERROR, YP_SYNC_ERROR_UNREADABLE,
               _("“%s” kept changing while it was read"), job->item->path);
}

static void
queue_hash (Scan       *scan,
            YpSyncItem *item)
{
  HashJob *job = g_new0 (HashJob, 1);

  job->item = yp_sync_item_ref (item);
  g_ptr_array_add (scan->jobs, job);
  if (scan->pool == NULL)
    {
      guint n = scan->options->n_threads;

      if (n == 0)
        n = MAX (1, g_get_num_processors ());
      scan->pool = g_thread_pool_new (hash_job_run, scan, (int) n, FALSE, NULL);
    }
  g_thread_pool_push (scan->pool, job, NULL);
}

/* ---------------------------------------------------------------- walking */

static void walk_folder (Scan *scan,
                         int   fd);

/* In the caller's thread: ITEM (taken) goes into the tree, or to be
 * hashed when it is a file the base does not vouch for. */
static void
consume_item (Scan       *scan,
              YpSyncItem *item)
{
  YpSyncItem *known;

  if (item->kind == YP_SYNC_KIND_FILE)
    {
      known = scan->base != NULL ? yp_sync_tree_lookup (scan->base, item->path) : NULL;
      if (known == NULL || known->sha256[0] == '\0' || !yp_sync_item_same_stat (item, known))
        {
          queue_hash (scan, item);
          yp_sync_item_unref (item);
          return;
        }
      memcpy (item->sha256, known->sha256, sizeof item->sha256);
    }
  yp_sync_tree_add (scan->tree, item);
  yp_sync_item_unref (item);
}

static void
push_batch (Scan *scan)
{
  if (scan->batch->len == 0)
    return;
  g_async_queue_push (scan->batches, g_steal_pointer (&scan->batch));
  scan->batch = g_ptr_array_sized_new (BATCH_SIZE);
}

static void
walk_item (Scan              *scan,
           YpSyncKind         kind,
           const struct stat *st)
{
  YpSyncItem *item = yp_sync_item_new (scan->path->str, kind);

  item_set_stat (item, st);
  g_ptr_array_add (scan->batch, item);
  if (scan->batch->len == BATCH_SIZE)
    push_batch (scan);
}

static void
scan_folder (Scan              *scan,
             int                parent_fd,
             const char        *name,
             const struct stat *st)
{
  int fd = openat (parent_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

  if (fd < 0)
    {
      add_problem (scan, scan->path->str, YP_SYNC_ERROR_UNREADABLE,
                   _("Cannot open the folder “%s”: %s"), scan->path->str, g_strerror (errno));
      return;
    }
  walk_item (scan, YP_SYNC_KIND_FOLDER, st);
  walk_folder (scan, fd);
}

static void
scan_entry (Scan       *scan,
            int         parent_fd,
            const char *name)
{
  struct stat st;

  if (fstatat (parent_fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
    {
      int saved = errno;

      if (saved == ENOENT)
        add_problem (scan, scan->path->str, YP_SYNC_ERROR_UNREADABLE,
                     _("“%s” vanished while the folder was read"), scan->path->str);
      else
        add_problem (scan, scan->path->str, YP_SYNC_ERROR_UNREADABLE,
                     _("Cannot read “%s”: %s"), scan->path->str, g_strerror (saved));
      return;
    }
  if (yp_sync_ignore_matches_entry (scan->ignore, scan->path->str, S_ISDIR (st.st_mode)))
    return;

  if (S_ISREG (st.st_mode))
    walk_item (scan, YP_SYNC_KIND_FILE, &st);
  else if (S_ISDIR (st.st_mode))
    scan_folder (scan, parent_fd, name, &st);
  else if (S_ISLNK (st.st_mode))
    add_problem (scan, scan->path->str, YP_SYNC_ERROR_SYMLINK,
                 _("“%s” is a symbolic link, which is not synced"), scan->path->str);
  else
    add_problem (scan, scan->path->str, YP_SYNC_ERROR_UNREADABLE,
                 _("“%s” is not a regular file or folder"), scan->path->str);
}

/* Walks the open folder FD (taken), whose path is scan->path. */
static void
walk_folder (Scan *scan,
             int   fd)
{
  gsize len = scan->path->len;
  DIR *dir = fdopendir (fd);
  struct dirent *entry;

  if (dir == NULL)
    {
      add_problem (scan, scan->path->str, YP_SYNC_ERROR_UNREADABLE,
                   _("Cannot open the folder “%s”: %s"), scan->path->str, g_strerror (errno));
      close (fd);
      return;
    }
  for (;;)
    {
      const char *name;

      if (g_cancellable_is_cancelled (scan->cancellable))
        break;
      errno = 0;
      entry = readdir (dir);
      if (entry == NULL)
        {
          if (errno != 0)
            add_problem (scan, scan->path->str, YP_SYNC_ERROR_UNREADABLE,
                         _("Cannot read the folder “%s”: %s"), scan->path->str,
                         g_strerror (errno));
          break;
        }
      name = entry->d_name;
      if (name[0] == '.' && (name[1] == '\0' || (name[1] == '.' && name[2] == '\0')))
        continue;
      if (len > 0)
        g_string_append_c (scan->path, '/');
      g_string_append (scan->path, name);
      scan_entry (scan, fd, name);
      g_string_truncate (scan->path, len);
    }
  closedir (dir);
}

/* ---------------------------------------------------------------- the pass */

static int
compare_problems (gconstpointer a,
                  gconstpointer b)
{
  const YpSyncProblem *x = *(YpSyncProblem **) a, *y = *(YpSyncProblem **) b;

  return strcmp (x->path, y->path);
}

/* Whether the folders above PATH are real folders the rules do not
 * ignore: a partial scan must not enter a link or an ignored folder that
 * the full walk would not. A path whose folders are gone is absent. */
static gboolean
ancestors_walkable (Scan       *scan,
                    const char *path)
{
  g_autofree char *prefix = g_strdup (path);

  for (char *slash = strchr (prefix, '/'); slash != NULL; slash = strchr (slash + 1, '/'))
    {
      struct stat st;

      *slash = '\0';
      if (fstatat (scan->root_fd, prefix, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISDIR (st.st_mode)
          || yp_sync_ignore_matches (scan->ignore, prefix, TRUE))
        return FALSE;
      *slash = '/';
    }
  return TRUE;
}

/* Walks PATH and, when it is a folder, everything under it, as the full
 * walk would see it. */
static void
walk_path (Scan       *scan,
           const char *path)
{
  g_autofree char *parent = g_path_get_dirname (path);
  g_autofree char *name = g_path_get_basename (path);
  int parent_fd;

  if (!ancestors_walkable (scan, path))
    return;
  parent_fd = g_str_equal (parent, ".")
    ? dup (scan->root_fd)
    : openat (scan->root_fd, parent, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (parent_fd < 0)
    return;
  g_string_assign (scan->path, path);
  scan_entry (scan, parent_fd, name);
  close (parent_fd);
}

static gpointer
walk_thread (gpointer data)
{
  Scan *scan = data;

  if (scan->paths == NULL)
    walk_folder (scan, scan->walk_fd);
  else
    {
      close (scan->walk_fd);
      for (guint i = 0; i < scan->paths->len; i++)
        walk_path (scan, scan->paths->pdata[i]);
    }
  push_batch (scan);
  g_async_queue_push (scan->batches, &end_of_walk);
  return NULL;
}

/* Walks in a thread of its own while this one takes what it finds. */
static void
walk (Scan *scan)
{
  GThread *walker = g_thread_new ("yp-sync-walk", walk_thread, scan);
  gpointer batch;

  while ((batch = g_async_queue_pop (scan->batches)) != &end_of_walk)
    {
      GPtrArray *items = batch;

      for (guint i = 0; i < items->len; i++)
        consume_item (scan, g_ptr_array_index (items, i));
      /* the items were taken */
      g_ptr_array_unref (items);
    }
  g_thread_join (walker);
}

/* Waits for the hashing threads, then adds what they hashed. */
static void
collect_hashes (Scan *scan)
{
  if (scan->pool != NULL)
    {
      g_thread_pool_free (scan->pool, FALSE, TRUE);
      scan->pool = NULL;
    }
  for (guint i = 0; i < scan->jobs->len; i++)
    {
      HashJob *job = g_ptr_array_index (scan->jobs, i);

      if (job->error == NULL)
        yp_sync_tree_add (scan->tree, job->item);
      else if (!g_error_matches (job->error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_ptr_array_add (scan->problems, yp_sync_problem_new (job->item->path, job->error));
    }
}

static void
scan_clear (Scan *scan)
{
  if (scan->pool != NULL)
    g_thread_pool_free (scan->pool, FALSE, TRUE);
  g_clear_pointer (&scan->jobs, g_ptr_array_unref);
  g_clear_pointer (&scan->problems, g_ptr_array_unref);
  g_clear_pointer (&scan->tree, yp_sync_tree_unref);
  g_clear_pointer (&scan->batch, g_ptr_array_unref);
  g_clear_pointer (&scan->batches, g_async_queue_unref);
  if (scan->path != NULL)
    g_string_free (scan->path, TRUE);
  if (scan->root_fd >= 0)
    close (scan->root_fd);
}

static YpSyncTree *
scan_sync (const char         *root,
           GPtrArray          *paths,
           YpSyncTree         *base,
           YpSyncIgnore       *ignore,
           YpSyncScanOptions  *options,
           GCancellable       *cancellable,
           GPtrArray         **problems,
           GError            **error)
{
  g_autoptr(YpSyncIgnore) builtin = NULL;
  YpSyncScanOptions defaults = { 0, };
  Scan scan = { 0, };
  YpSyncProblem *first;
  YpSyncTree *tree;
  int fd;

  g_return_val_if_fail (root != NULL, NULL);
  g_return_val_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (ignore == NULL)
    ignore = builtin = yp_sync_ignore_new ();
  /* the root is the folder the user chose, even through a link */
  fd = open (root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    {
      int saved = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                   _("Cannot open the folder “%s”: %s"), root, g_strerror (saved));
      return NULL;
    }

  scan.base = base;
  scan.paths = paths;
  scan.ignore = ignore;
  scan.cancellable = cancellable;
  scan.options = options != NULL ? options : &defaults;
  scan.tree = yp_sync_tree_new ();
  scan.problems = g_ptr_array_new_with_free_func ((GDestroyNotify) yp_sync_problem_free);
  scan.jobs = g_ptr_array_new_with_free_func ((GDestroyNotify) hash_job_free);
  scan.path = g_string_new (NULL);
  scan.batch = g_ptr_array_sized_new (BATCH_SIZE);
  scan.batches = g_async_queue_new ();
  scan.walk_fd = fd;
  scan.root_fd = dup (fd);
  if (scan.root_fd < 0)
    {
      int saved = errno;

      close (fd);
      scan_clear (&scan);
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                   _("Cannot open the folder “%s”: %s"), root, g_strerror (saved));
      return NULL;
    }

  walk (&scan);
  collect_hashes (&scan);

  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    {
      scan_clear (&scan);
      return NULL;
    }
  g_ptr_array_sort (scan.problems, compare_problems);
  first = scan.problems->len > 0 ? g_ptr_array_index (scan.problems, 0) : NULL;
  /* a root that could not be listed to the end would look emptied */
  if (first != NULL && first->path[0] == '\0')
    {
      g_propagate_error (error, g_error_copy (first->error));
      scan_clear (&scan);
      return NULL;
    }
  if (problems != NULL)
    *problems = g_steal_pointer (&scan.problems);
  tree = g_steal_pointer (&scan.tree);
  scan_clear (&scan);
  return tree;
}

YpSyncTree *
yp_sync_scan_sync (const char         *root,
                   YpSyncTree         *base,
                   YpSyncIgnore       *ignore,
                   YpSyncScanOptions  *options,
                   GCancellable       *cancellable,
                   GPtrArray         **problems,
                   GError            **error)
{
  return scan_sync (root, NULL, base, ignore, options, cancellable, problems, error);
}

static int
compare_paths (gconstpointer a,
               gconstpointer b)
{
  return strcmp (*(const char **) a, *(const char **) b);
}

/* PATHS sorted, without those under another one of them. */
static GPtrArray *
outermost_paths (const char *const *paths)
{
  g_autoptr(GPtrArray) sorted = g_ptr_array_new ();
  GPtrArray *outermost = g_ptr_array_new ();

  for (guint i = 0; paths[i] != NULL; i++)
    g_ptr_array_add (sorted, (gpointer) paths[i]);
  g_ptr_array_sort (sorted, compare_paths);
  for (guint i = 0; i < sorted->len; i++)
    {
      const char *path = sorted->pdata[i];

      if (outermost->len > 0
          && yp_sync_path_is_under (path, outermost->pdata[outermost->len - 1]))
        continue;
      g_ptr_array_add (outermost, (gpointer) path);
    }
  return outermost;
}

YpSyncTree *
yp_sync_scan_paths_sync (const char         *root,
                         const char *const  *paths,
                         YpSyncTree         *base,
                         YpSyncIgnore       *ignore,
                         YpSyncScanOptions  *options,
                         GCancellable       *cancellable,
                         GPtrArray         **problems,
                         GError            **error)
{
  g_autoptr(GPtrArray) outermost = NULL;

  g_return_val_if_fail (paths != NULL, NULL);

  outermost = outermost_paths (paths);
  return scan_sync (root, outermost, base, ignore, options, cancellable, problems, error);
}
