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

#define HASH_BUFFER (1024 * 1024)

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

gboolean
yp_hash_fd_sync (int            fd,
                 char           hex[65],
                 guint64       *size,
                 GCancellable  *cancellable,
                 GError       **error)
{
  g_autofree guint8 *buf = g_malloc (HASH_BUFFER);
  yp_sha256_t *ctx = yp_sha256_new ();
  gboolean ok = FALSE;
  guint64 total = 0;

  (void) posix_fadvise (fd, 0, 0, POSIX_FADV_SEQUENTIAL);
  for (;;)
    {
      gssize n = read (fd, buf, HASH_BUFFER);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          int saved = errno;

          g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                       _("Cannot read: %s"), g_strerror (saved));
          break;
        }
      if (n == 0)
        {
          yp_sha256_finish_hex (ctx, hex);
          if (size != NULL)
            *size = total;
          ok = TRUE;
          break;
        }
      yp_sha256_update (ctx, buf, (gsize) n);
      total += (guint64) n;
      /* a cancellation check per 16 MiB costs nothing measurable */
      if ((total & (16 * 1024 * 1024 - 1)) == 0
          && g_cancellable_set_error_if_cancelled (cancellable, error))
        break;
    }
  yp_sha256_free (ctx);
  return ok;
}

gboolean
yp_hash_file_sync (const char    *path,
                   char           hex[65],
                   guint64       *size,
                   GCancellable  *cancellable,
                   GError       **error)
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
  ok = yp_hash_fd_sync (fd, hex, size, cancellable, error);
  close (fd);
  return ok;
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
