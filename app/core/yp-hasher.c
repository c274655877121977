/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "yunpan-client"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>

#include "yp-hash.h"
#include "yp-hasher.h"

/* The file is read through a buffer small enough to stay in the core's L2
 * cache between the kernel's copy into it and the hash reading it back, and
 * large enough that the read calls cost little: 64 KiB to 1 MiB measured
 * the same here, and 8 KiB (openssl's) cost half again as much system
 * time. A whole number of buffers makes a progress step, so that no read
 * is cut short for one. */
#define HASH_BUFFER (128 * 1024)

G_STATIC_ASSERT (YP_HASH_PROGRESS_STEP % HASH_BUFFER == 0);

/**
 * YpHasher:
 *
 * Hashes files with SHA-256 in worker threads, as many at once as there are
 * cores: hashing is CPU-bound, so more threads would only contend.
 */
struct _YpHasher
{
  GObject      parent_instance;

  GThreadPool *pool;
};

G_DEFINE_FINAL_TYPE (YpHasher, yp_hasher, G_TYPE_OBJECT)

typedef struct
{
  GFile   *file;
  guint64  size;
} HashJob;

static void
hash_job_free (HashJob *job)
{
  g_clear_object (&job->file);
  g_free (job);
}

typedef struct
{
  YpHashProgressFunc func;
  gpointer           data;
  guint64            reported;
  guint64            next;
} Progress;

static void
progress_init (Progress           *progress,
               YpHashProgressFunc  func,
               gpointer            data)
{
  progress->func = func;
  progress->data = data;
  progress->reported = G_MAXUINT64;
  progress->next = YP_HASH_PROGRESS_STEP;
}

/* Whether HASHED reached the next step: then it is reported and the
 * caller checks its cancellable. */
static gboolean
progress_step (Progress *progress,
               guint64   hashed)
{
  if (hashed < progress->next)
    return FALSE;
  progress->next += YP_HASH_PROGRESS_STEP;
  progress->reported = hashed;
  if (progress->func != NULL)
    progress->func (hashed, progress->data);
  return TRUE;
}

/* The last report is the size, even when the end falls between steps. */
static void
progress_end (Progress *progress,
              guint64   hashed)
{
  if (progress->func != NULL && progress->reported != hashed)
    progress->func (hashed, progress->data);
}

static void
set_read_error (GError **error)
{
  int saved = errno;

  g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
               _("Cannot read: %s"), g_strerror (saved));
}

gboolean
yp_hash_fd_sync_full (int                  fd,
                      char                 hex[65],
                      guint64             *size,
                      YpHashProgressFunc   progress_func,
                      gpointer             progress_data,
                      GCancellable        *cancellable,
                      GError             **error)
{
  g_autofree guint8 *buf = NULL;
  yp_sha256_t *ctx;
  Progress progress;
  guint64 total = 0;
  gboolean ok = FALSE;

  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return FALSE;

  buf = g_malloc (HASH_BUFFER);
  ctx = yp_sha256_new ();
  progress_init (&progress, progress_func, progress_data);
  (void) posix_fadvise (fd, 0, 0, POSIX_FADV_SEQUENTIAL);
  for (;;)
    {
      /* a read never crosses a step, so that short reads (a pipe) still
       * report and check on every step */
      gssize n = read (fd, buf, MIN (HASH_BUFFER, progress.next - total));

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          set_read_error (error);
          break;
        }
      if (n == 0)
        {
          yp_sha256_finish_hex (ctx, hex);
          if (size != NULL)
            *size = total;
          progress_end (&progress, total);
          ok = TRUE;
          break;
        }
      yp_sha256_update (ctx, buf, (gsize) n);
      total += (guint64) n;
      if (progress_step (&progress, total)
          && g_cancellable_set_error_if_cancelled (cancellable, error))
        break;
    }
  yp_sha256_free (ctx);
  return ok;
}

gboolean
yp_hash_fd_sync (int            fd,
                 char           hex[65],
                 guint64       *size,
                 GCancellable  *cancellable,
                 GError       **error)
{
  return yp_hash_fd_sync_full (fd, hex, size, NULL, NULL, cancellable, error);
}

gboolean
yp_hash_file_sync_full (const char          *path,
                        char                 hex[65],
                        guint64             *size,
                        YpHashProgressFunc   progress,
                        gpointer             progress_data,
                        GCancellable        *cancellable,
                        GError             **error)
{
  int fd = g_open (path, O_RDONLY | O_CLOEXEC, 0);
  gboolean ok;

  if (fd < 0)
    {
      int saved = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                   _("Cannot open “%s”: %s"), path, g_strerror (saved));
      return FALSE;
    }
  ok = yp_hash_fd_sync_full (fd, hex, size, progress, progress_data, cancellable, error);
  close (fd);
  return ok;
}

gboolean
yp_hash_file_sync (const char    *path,
                   char           hex[65],
                   guint64       *size,
                   GCancellable  *cancellable,
                   GError       **error)
{
  return yp_hash_file_sync_full (path, hex, size, NULL, NULL, cancellable, error);
}

static void
hash_in_pool (gpointer data,
              gpointer user_data)
{
  g_autoptr(GTask) task = data;
  HashJob *job = g_task_get_task_data (task);
  g_autofree char *path = g_file_get_path (job->file);
  char hex[65];
  GError *error = NULL;

  if (path == NULL)
    g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                             _("Only local files can be hashed"));
  else if (yp_hash_file_sync (path, hex, &job->size, g_task_get_cancellable (task), &error))
    g_task_return_pointer (task, g_strdup (hex), g_free);
  else
    g_task_return_error (task, error);
}

static void
yp_hasher_finalize (GObject *object)
{
  YpHasher *self = YP_HASHER (object);

  /* let queued jobs finish: their tasks hold references to callers */
  g_thread_pool_free (self->pool, FALSE, TRUE);

  G_OBJECT_CLASS (yp_hasher_parent_class)->finalize (object);
}

static void
yp_hasher_class_init (YpHasherClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = yp_hasher_finalize;
}

static void
yp_hasher_init (YpHasher *self)
{
}

YpHasher *
yp_hasher_new (guint max_threads)
{
  YpHasher *self = g_object_new (YP_TYPE_HASHER, NULL);

  self->pool = g_thread_pool_new (hash_in_pool, self,
                                  max_threads ? (gint) max_threads
                                              : (gint) g_get_num_processors (),
                                  FALSE, NULL);
  return self;
}

/**
 * yp_hasher_get_default:
 *
 * Returns: (transfer none): the process's hasher, one thread per core
 */
YpHasher *
yp_hasher_get_default (void)
{
  static gsize hasher;

  if (g_once_init_enter (&hasher))
    g_once_init_leave (&hasher, (gsize) yp_hasher_new (0));
  return (YpHasher *) hasher;
}

void
yp_hasher_hash_async (YpHasher            *self,
                      GFile               *file,
                      GCancellable        *cancellable,
                      GAsyncReadyCallback  callback,
                      gpointer             user_data)
{
  GTask *task;
  HashJob *job;

  g_return_if_fail (YP_IS_HASHER (self));
  g_return_if_fail (G_IS_FILE (file));

  job = g_new0 (HashJob, 1);
  job->file = g_object_ref (file);
  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, yp_hasher_hash_async);
  g_task_set_task_data (task, job, (GDestroyNotify) hash_job_free);
  g_thread_pool_push (self->pool, task, NULL);
}

/**
 * yp_hasher_hash_finish:
 *
 * Returns: (transfer full): the SHA-256 as 64 hex digits
 */
char *
yp_hasher_hash_finish (YpHasher      *self,
                       GAsyncResult  *result,
                       guint64       *size,
                       GError       **error)
{
  HashJob *job;

  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  job = g_task_get_task_data (G_TASK (result));
  if (size != NULL)
    *size = job->size;
  return g_task_propagate_pointer (G_TASK (result), error);
}
