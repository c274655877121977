/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "yunpan-sync"

#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>

#include "yp-sync-monitor.h"

/* How long the folder must be quiet before a burst is reported, and how
 * long a burst that never quiets down is held at most. */
#define QUIET_USEC     (200 * G_TIME_SPAN_MILLISECOND)
#define MAX_BURST_USEC (2 * G_TIME_SPAN_SECOND)

/* GIO holds back repeated CHANGED events of a file still open for 800 ms
 * by default: with the quiet period, no margin would be left in the
 * second between a write and its report. */
#define RATE_LIMIT_MSEC 100

/* What the events of a burst said about a path. */
typedef enum
{
  PENDING_BORN = 1 << 0,  /* its first event was a creation */
  PENDING_GONE = 1 << 1,  /* its last event was a removal */
} PendingFlags;

struct _YpSyncMonitor
{
  GObject       parent_instance;

  /* owned references */
  char         *root;
  GFile        *root_file;
  YpSyncIgnore *ignore;
  GMainContext *context;
  GCancellable *cancellable;  /* of the walks since the last start */
  GTree        *monitors;     /* pair path ("" for the root) -> GFileMonitor, sorted */
  GHashTable   *pending;      /* pair path -> PendingFlags */
  GSource      *flush_source;
  GPtrArray    *to_walk;      /* pair paths that appeared since the last walk began */
  GSource      *walk_source;

  /* state */
  int           probe_fd;     /* inotify, to learn why a watch cannot be made */
  gint64        burst_start;  /* monotonic time of the burst's first event, 0 for none */
  guint         n_walks;      /* walks in flight whose findings are reported */
  gboolean      overflow_pending;
  gboolean      overflowed;
};

G_DEFINE_FINAL_TYPE (YpSyncMonitor, yp_sync_monitor, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_N_WATCHED,
  PROP_OVERFLOWED,
  N_PROPS
};

enum {
  CHANGED,
  OVERFLOW,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

static void start_walk         (YpSyncMonitor     *self,
                                GPtrArray         *paths,
                                gboolean           report);
static void monitor_changed_cb (GFileMonitor      *monitor,
                                GFile             *file,
                                GFile             *other_file,
                                GFileMonitorEvent  event,
                                gpointer           user_data);

/* ------------------------------------------------------------ the burst */

static int
compare_paths (gconstpointer a,
               gconstpointer b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

static int
compare_keys (gconstpointer a,
              gconstpointer b,
              gpointer      user_data)
{
  return strcmp (a, b);
}

static void
flush (YpSyncMonitor *self)
{
  g_autoptr(GPtrArray) paths = g_ptr_array_new_with_free_func (g_free);
  GHashTableIter iter;
  gpointer key, value;
  gboolean overflow = self->overflow_pending;

  g_hash_table_iter_init (&iter, self->pending);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      PendingFlags flags = GPOINTER_TO_UINT (value);

      /* a temporary made and removed within the burst was never there */
      if ((flags & PENDING_BORN) && (flags & PENDING_GONE))
        continue;
      g_ptr_array_add (paths, g_strdup (key));
    }
  g_hash_table_remove_all (self->pending);
  self->burst_start = 0;
  self->overflow_pending = FALSE;

  if (overflow)
    {
      g_signal_emit (self, signals[OVERFLOW], 0);
      return;
    }
  if (paths->len == 0)
    return;
  g_ptr_array_sort (paths, compare_paths);
  g_ptr_array_add (paths, NULL);
  g_signal_emit (self, signals[CHANGED], 0, (char **) paths->pdata);
}

static gboolean
flush_cb (gpointer user_data)
{
  YpSyncMonitor *self = user_data;

  g_clear_pointer (&self->flush_source, g_source_unref);
  /* a new folder's walk may still find what was moved in with it */
  if ((self->n_walks > 0 || self->walk_source != NULL)
      && g_get_monotonic_time () < self->burst_start + MAX_BURST_USEC)
    return G_SOURCE_REMOVE;
  flush (self);
  return G_SOURCE_REMOVE;
}

/* Called at every event: the report waits for the folder to be quiet,
 * but not longer than MAX_BURST_USEC after the burst began. */
static void
schedule_flush (YpSyncMonitor *self)
{
  gint64 now = g_get_monotonic_time ();
  gint64 deadline;

  if (self->burst_start == 0)
    self->burst_start = now;
  deadline = MIN (now + QUIET_USEC, self->burst_start + MAX_BURST_USEC);

  if (self->flush_source != NULL)
    {
      g_source_destroy (self->flush_source);
      g_clear_pointer (&self->flush_source, g_source_unref);
    }
  self->flush_source = g_timeout_source_new ((guint) (MAX (deadline - now, 0) / 1000));
  g_source_set_static_name (self->flush_source, "[yunpan] sync monitor flush");
  g_source_set_callback (self->flush_source, flush_cb, self, NULL);
  g_source_attach (self->flush_source, self->context);
}

static void
report_overflow (YpSyncMonitor *self)
{
  self->overflow_pending = TRUE;
  if (!self->overflowed)
    {
      self->overflowed = TRUE;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_OVERFLOWED]);
    }
  schedule_flush (self);
}

static gboolean
is_ignored (YpSyncMonitor *self,
            const char    *path)
{
  /* a watched path is a folder; for the others a walk finds out, and
   * drops a folder its rules match (ignore_found()) */
  return yp_sync_ignore_matches (self->ignore, path,
                                 g_tree_lookup (self->monitors, path) != NULL);
}

static void
note (YpSyncMonitor *self,
      const char    *path,
      PendingFlags   event)
{
  gpointer value;
  PendingFlags flags = 0;

  if (is_ignored (self, path))
    return;
  if (g_hash_table_lookup_extended (self->pending, path, NULL, &value))
    flags = GPOINTER_TO_UINT (value);
  else if (event & PENDING_BORN)
    flags = PENDING_BORN;

  if (event & PENDING_GONE)
    flags |= PENDING_GONE;
  else
    flags &= ~PENDING_GONE;
  g_hash_table_replace (self->pending, g_strdup (path), GUINT_TO_POINTER (flags));
  schedule_flush (self);
}

/* --------------------------------------------------------------- watches */

static void
monitor_free (gpointer data)
{
  GFileMonitor *monitor = data;

  /* a cancelled monitor may still have events queued for the context */
  g_signal_handlers_disconnect_matched (monitor, G_SIGNAL_MATCH_FUNC, 0, 0, NULL,
                                        monitor_changed_cb, NULL);
  g_file_monitor_cancel (monitor);
  g_object_unref (monitor);
}

/* Stops watching the folder PATH and every folder in it: those are the
 * paths that begin with PATH + "/", next to each other in the tree. */
static void
unwatch (YpSyncMonitor *self,
         const char    *path)
{
  g_autofree char *prefix = g_strconcat (path, "/", NULL);
  g_autoptr(GPtrArray) gone = g_ptr_array_new_with_free_func (g_free);

  if (g_tree_lookup (self->monitors, path) != NULL)
    g_ptr_array_add (gone, g_strdup (path));
  for (GTreeNode *node = g_tree_lower_bound (self->monitors, prefix);
       node != NULL && g_str_has_prefix (g_tree_node_key (node), prefix);
       node = g_tree_node_next (node))
    g_ptr_array_add (gone, g_strdup (g_tree_node_key (node)));
  if (gone->len == 0)
    return;
  for (guint i = 0; i < gone->len; i++)
    g_tree_remove (self->monitors, g_ptr_array_index (gone, i));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_WATCHED]);
}

/* The pair path of FILE, "" for the root; NULL outside the root. */
static char *
pair_path_of (YpSyncMonitor *self,
              GFile         *file)
{
  if (g_file_equal (file, self->root_file))
    return g_strdup ("");
  return g_file_get_relative_path (self->root_file, file);
}

static gboolean
walk_cb (gpointer user_data)
{
  YpSyncMonitor *self = user_data;
  g_autoptr(GPtrArray) paths = g_steal_pointer (&self->to_walk);

  g_clear_pointer (&self->walk_source, g_source_unref);
  start_walk (self, paths, TRUE);
  return G_SOURCE_REMOVE;
}

/* One walk for the paths of one batch of events: a hundred files saved
 * at once are not a hundred threads. */
static void
queue_walk (YpSyncMonitor *self,
            const char    *path)
{
  if (self->to_walk == NULL)
    self->to_walk = g_ptr_array_new_with_free_func (g_free);
  g_ptr_array_add (self->to_walk, g_strdup (path));
  if (self->walk_source != NULL)
    return;
  self->walk_source = g_idle_source_new ();
  g_source_set_static_name (self->walk_source, "[yunpan] sync monitor walk");
  g_source_set_callback (self->walk_source, walk_cb, self, NULL);
  g_source_attach (self->walk_source, self->context);
}

static void
appeared (YpSyncMonitor *self,
          const char    *path)
{
  note (self, path, PENDING_BORN);
  /* it may be a folder, with content already */
  if (!is_ignored (self, path))
    queue_walk (self, path);
}

static void
went (YpSyncMonitor *self,
      const char    *path)
{
  note (self, path, PENDING_GONE);
  unwatch (self, path);
}

static void
monitor_changed_cb (GFileMonitor      *monitor,
                    GFile             *file,
                    GFile             *other_file,
                    GFileMonitorEvent  event,
                    gpointer           user_data)
{
  YpSyncMonitor *self = user_data;
  g_autofree char *path = pair_path_of (self, file);
  g_autofree char *other = other_file != NULL ? pair_path_of (self, other_file) : NULL;

  if (path == NULL)
    return;
  if (*path == '\0')
    {
      /* the root itself went away or was replaced: nothing is watched */
      if (event == G_FILE_MONITOR_EVENT_DELETED || event == G_FILE_MONITOR_EVENT_RENAMED
          || event == G_FILE_MONITOR_EVENT_MOVED_OUT || event == G_FILE_MONITOR_EVENT_UNMOUNTED)
        report_overflow (self);
      return;
    }

  switch (event)
    {
    case G_FILE_MONITOR_EVENT_CHANGED:
    case G_FILE_MONITOR_EVENT_ATTRIBUTE_CHANGED:
      note (self, path, 0);
      break;

    case G_FILE_MONITOR_EVENT_CREATED:
    case G_FILE_MONITOR_EVENT_MOVED_IN:
      appeared (self, path);
      break;

    case G_FILE_MONITOR_EVENT_DELETED:
    case G_FILE_MONITOR_EVENT_MOVED_OUT:
      went (self, path);
      break;

    case G_FILE_MONITOR_EVENT_RENAMED:
      went (self, path);
      if (other != NULL && *other != '\0')
        appeared (self, other);
      break;

    case G_FILE_MONITOR_EVENT_UNMOUNTED:
      report_overflow (self);
      break;

    case G_FILE_MONITOR_EVENT_CHANGES_DONE_HINT:
    case G_FILE_MONITOR_EVENT_PRE_UNMOUNT:
    case G_FILE_MONITOR_EVENT_MOVED:
    default:
      /* a hint follows a change already noted; MOVED needs no WATCH_MOVES */
      break;
    }
}

/* Whether a watch can be made on FULL, asked of the kernel before GIO
 * is: GIO makes a monitor even when the watch fails, and then silently
 * waits for the folder to "appear". Returns FALSE for a folder that is
 * gone (nothing to watch) and for one that cannot be watched (then
 * reports an overflow). */
static gboolean
can_watch (YpSyncMonitor *self,
           const char    *full)
{
  int wd;

  if (self->probe_fd < 0)
    return TRUE;
  wd = inotify_add_watch (self->probe_fd, full, IN_ONLYDIR | IN_DONT_FOLLOW | IN_DELETE_SELF);
  if (wd >= 0)
    {
      inotify_rm_watch (self->probe_fd, wd);
      return TRUE;
    }
  if (errno != ENOENT && errno != ENOTDIR)
    {
      g_debug ("Cannot watch %s: %s", full, g_strerror (errno));
      report_overflow (self);
    }
  return FALSE;
}

/* Watches the folder PATH. Returns whether a new watch was made. */
static gboolean
watch (YpSyncMonitor *self,
       const char    *path)
{
  g_autofree char *full = g_build_filename (self->root, path, NULL);
  g_autoptr(GFile) file = NULL;
  g_autoptr(GError) error = NULL;
  GFileMonitor *monitor;

  if (g_tree_lookup (self->monitors, path) != NULL || !can_watch (self, full))
    return FALSE;
  file = g_file_new_for_path (full);
  monitor = g_file_monitor_directory (file, G_FILE_MONITOR_WATCH_MOVES, NULL, &error);
  if (monitor == NULL)
    {
      g_debug ("Cannot watch %s: %s", full, error->message);
      report_overflow (self);
      return FALSE;
    }
  g_file_monitor_set_rate_limit (monitor, RATE_LIMIT_MSEC);
  g_signal_connect (monitor, "changed", G_CALLBACK (monitor_changed_cb), self);
  g_tree_insert (self->monitors, g_strdup (path), monitor);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_WATCHED]);
  return TRUE;
}

/* ----------------------------------------------------------------- walks */

/* A walk, in a worker thread, of paths that appeared: which are folders
 * to watch and what is in them. */
typedef struct
{
  /* the input */
  char         *root;
  YpSyncIgnore *ignore;
  GPtrArray    *paths;
  gboolean      report;

  /* the findings */
  GPtrArray    *folders;  /* pair paths */
  GPtrArray    *files;
  GPtrArray    *ignored;  /* folders that only the walk knew to be ignored */
} Walk;

static void
walk_free (Walk *walk)
{
  g_free (walk->root);
  yp_sync_ignore_unref (walk->ignore);
  g_ptr_array_unref (walk->paths);
  g_ptr_array_unref (walk->folders);
  g_ptr_array_unref (walk->files);
  g_ptr_array_unref (walk->ignored);
  g_free (walk);
}

static char *
child_path (const char *folder,
            const char *name)
{
  return *folder == '\0' ? g_strdup (name) : g_strconcat (folder, "/", name, NULL);
}

/* Adds what is in the folder PATH (which is not ignored) to the findings. */
static void
walk_folder (Walk         *walk,
             const char   *path,
             GCancellable *cancellable)
{
  g_autofree char *full = g_build_filename (walk->root, path, NULL);
  g_autoptr(GDir) dir = g_dir_open (full, 0, NULL);
  const char *name;

  /* a folder gone meanwhile has its own events */
  if (dir == NULL)
    return;
  while ((name = g_dir_read_name (dir)) != NULL && !g_cancellable_is_cancelled (cancellable))
    {
      g_autofree char *child = child_path (path, name);
      g_autofree char *child_full = g_build_filename (full, name, NULL);
      GStatBuf st;
      gboolean is_folder;

      if (g_lstat (child_full, &st) != 0)
        continue;
      is_folder = S_ISDIR (st.st_mode);
      if (yp_sync_ignore_matches_entry (walk->ignore, child, is_folder))
        continue;
      if (!is_folder)
        {
          g_ptr_array_add (walk->files, g_steal_pointer (&child));
          continue;
        }
      g_ptr_array_add (walk->folders, g_strdup (child));
      walk_folder (walk, child, cancellable);
    }
}

static void
walk_thread (GTask        *task,
             gpointer      source_object,
             gpointer      task_data,
             GCancellable *cancellable)
{
  Walk *walk = task_data;

  for (guint i = 0; i < walk->paths->len && !g_cancellable_is_cancelled (cancellable); i++)
    {
      const char *path = g_ptr_array_index (walk->paths, i);
      g_autofree char *full = g_build_filename (walk->root, path, NULL);
      GStatBuf st;

      if (g_lstat (full, &st) != 0 || !S_ISDIR (st.st_mode))
        continue;
      if (*path != '\0' && yp_sync_ignore_matches (walk->ignore, path, TRUE))
        {
          g_ptr_array_add (walk->ignored, g_strdup (path));
          continue;
        }
      g_ptr_array_add (walk->folders, g_strdup (path));
      walk_folder (walk, path, cancellable);
    }
  g_task_return_boolean (task, TRUE);
}

static void
walk_done_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  YpSyncMonitor *self = YP_SYNC_MONITOR (object);
  GTask *task = G_TASK (result);
  Walk *walk = g_task_get_task_data (task);
  g_autoptr(GPtrArray) watched = g_ptr_array_new_with_free_func (g_free);

  /* stopped meanwhile: the walk belongs to the watches that are gone */
  if (g_cancellable_is_cancelled (g_task_get_cancellable (task)))
    return;
  if (walk->report)
    self->n_walks--;

  for (guint i = 0; i < walk->ignored->len; i++)
    g_hash_table_remove (self->pending, g_ptr_array_index (walk->ignored, i));
  for (guint i = 0; i < walk->folders->len; i++)
    {
      const char *path = g_ptr_array_index (walk->folders, i);

      if (watch (self, path))
        g_ptr_array_add (watched, g_strdup (path));
    }
  if (walk->report)
    {
      for (guint i = 0; i < walk->folders->len; i++)
        if (*(const char *) g_ptr_array_index (walk->folders, i) != '\0')
          note (self, g_ptr_array_index (walk->folders, i), PENDING_BORN);
      for (guint i = 0; i < walk->files->len; i++)
        note (self, g_ptr_array_index (walk->files, i), PENDING_BORN);
    }

  /* what appeared in a folder after the walk listed it and before it was
   * watched has no event: list the new watches once more */
  if (watched->len > 0)
    start_walk (self, watched, walk->report);
  else if (g_hash_table_size (self->pending) > 0 || self->overflow_pending)
    schedule_flush (self);
}

static void
start_walk (YpSyncMonitor *self,
            GPtrArray     *paths,
            gboolean       report)
{
  g_autoptr(GTask) task = g_task_new (self, self->cancellable, walk_done_cb, NULL);
  Walk *walk = g_new0 (Walk, 1);

  walk->root = g_strdup (self->root);
  walk->ignore = yp_sync_ignore_ref (self->ignore);
  walk->paths = g_ptr_array_ref (paths);
  walk->report = report;
  walk->folders = g_ptr_array_new_with_free_func (g_free);
  walk->files = g_ptr_array_new_with_free_func (g_free);
  walk->ignored = g_ptr_array_new_with_free_func (g_free);
  g_task_set_source_tag (task, start_walk);
  g_task_set_task_data (task, walk, (GDestroyNotify) walk_free);
  if (report)
    self->n_walks++;
  g_task_run_in_thread (task, walk_thread);
}

/* ---------------------------------------------------------------- object */

static void
yp_sync_monitor_dispose (GObject *object)
{
  YpSyncMonitor *self = YP_SYNC_MONITOR (object);

  yp_sync_monitor_stop (self);

  G_OBJECT_CLASS (yp_sync_monitor_parent_class)->dispose (object);
}

static void
yp_sync_monitor_finalize (GObject *object)
{
  YpSyncMonitor *self = YP_SYNC_MONITOR (object);

  if (self->probe_fd >= 0)
    close (self->probe_fd);
  g_clear_pointer (&self->monitors, g_tree_unref);
  g_clear_pointer (&self->pending, g_hash_table_unref);
  g_clear_pointer (&self->ignore, yp_sync_ignore_unref);
  g_clear_pointer (&self->context, g_main_context_unref);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->root_file);
  g_free (self->root);

  G_OBJECT_CLASS (yp_sync_monitor_parent_class)->finalize (object);
}

static void
yp_sync_monitor_get_property (GObject    *object,
                              guint       prop_id,
                              GValue     *value,
                              GParamSpec *pspec)
{
  YpSyncMonitor *self = YP_SYNC_MONITOR (object);

  switch (prop_id)
    {
    case PROP_N_WATCHED:
      g_value_set_uint (value, yp_sync_monitor_get_n_watched (self));
      break;
    case PROP_OVERFLOWED:
      g_value_set_boolean (value, self->overflowed);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
yp_sync_monitor_class_init (YpSyncMonitorClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = yp_sync_monitor_dispose;
  object_class->finalize = yp_sync_monitor_finalize;
  object_class->get_property = yp_sync_monitor_get_property;

  /**
   * YpSyncMonitor:n-watched:
   *
   * How many folders are watched, the root included: each costs one of
   * the user's inotify watches (fs.inotify.max_user_watches).
   */
  properties[PROP_N_WATCHED] =
    g_param_spec_uint ("n-watched", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * YpSyncMonitor:overflowed:
   *
   * Whether a change may have been missed since the last start.
   */
  properties[PROP_OVERFLOWED] =
    g_param_spec_boolean ("overflowed", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * YpSyncMonitor::changed:
   * @paths: the pair paths touched in one burst, sorted, each once; a
   *   rename names both the old and the new path
   *
   * Something changed at @paths (under them, for folders): scan them.
   */
  signals[CHANGED] =
    g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRV);

  /**
   * YpSyncMonitor::overflow:
   *
   * A change may have been missed (a folder could not be watched, the
   * root went away): scan everything. Emitted instead of
   * #YpSyncMonitor::changed for the burst it happened in.
   */
  signals[OVERFLOW] =
    g_signal_new ("overflow", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
yp_sync_monitor_init (YpSyncMonitor *self)
{
  self->monitors = g_tree_new_full (compare_keys, NULL, g_free, monitor_free);
  self->pending = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->probe_fd = inotify_init1 (IN_CLOEXEC | IN_NONBLOCK);
}

YpSyncMonitor *
yp_sync_monitor_new (const char   *root,
                     YpSyncIgnore *ignore)
{
  YpSyncMonitor *self;

  g_return_val_if_fail (root != NULL, NULL);

  self = g_object_new (YP_TYPE_SYNC_MONITOR, NULL);
  self->root = g_strdup (root);
  self->root_file = g_file_new_for_path (root);
  self->ignore = ignore != NULL ? yp_sync_ignore_ref (ignore) : yp_sync_ignore_new ();
  self->context = g_main_context_ref_thread_default ();
  return self;
}

void
yp_sync_monitor_start (YpSyncMonitor *self)
{
  g_autoptr(GPtrArray) root = g_ptr_array_new_with_free_func (g_free);

  g_return_if_fail (YP_IS_SYNC_MONITOR (self));

  yp_sync_monitor_stop (self);
  self->cancellable = g_cancellable_new ();
  if (self->overflowed)
    {
      self->overflowed = FALSE;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_OVERFLOWED]);
    }
  /* the root first, so that nothing made during the walk goes unseen */
  if (!watch (self, ""))
    {
      report_overflow (self);
      return;
    }
  g_ptr_array_add (root, g_strdup (""));
  start_walk (self, root, FALSE);
}

void
yp_sync_monitor_stop (YpSyncMonitor *self)
{
  g_return_if_fail (YP_IS_SYNC_MONITOR (self));

  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  if (self->flush_source != NULL)
    {
      g_source_destroy (self->flush_source);
      g_clear_pointer (&self->flush_source, g_source_unref);
    }
  if (self->walk_source != NULL)
    {
      g_source_destroy (self->walk_source);
      g_clear_pointer (&self->walk_source, g_source_unref);
    }
  g_clear_pointer (&self->to_walk, g_ptr_array_unref);
  g_hash_table_remove_all (self->pending);
  self->burst_start = 0;
  self->n_walks = 0;
  self->overflow_pending = FALSE;
  if (g_tree_nnodes (self->monitors) > 0)
    {
      g_tree_remove_all (self->monitors);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_WATCHED]);
    }
}

guint
yp_sync_monitor_get_n_watched (YpSyncMonitor *self)
{
  g_return_val_if_fail (YP_IS_SYNC_MONITOR (self), 0);

  return (guint) g_tree_nnodes (self->monitors);
}

gboolean
yp_sync_monitor_get_overflowed (YpSyncMonitor *self)
{
  g_return_val_if_fail (YP_IS_SYNC_MONITOR (self), FALSE);

  return self->overflowed;
}
