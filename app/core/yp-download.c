/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "yunpan-client"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>

#include "yp-client-error.h"
#include "yp-client-private.h"
#include "yp-hash.h"
#include "yp-transfer-private.h"

/*
 * Downloads: the bytes go to a hidden file beside the target; after an
 * interruption the download resumes with an HTTP Range request from what is
 * already there. Only content whose SHA-256 matches the server's is made
 * durable (fsync) and renamed over the target, so the target is either the
 * old file or the complete new one, never a torn mix.
 */

#define DOWNLOAD_BUFFER (1024 * 1024)

typedef struct
{
  YpClient     *client;
  YpTransfer   *transfer;
  GCancellable *cancellable;
  YpNode       *node;
  char         *part_path;
  int           fd;
  yp_sha256_t  *hash;
  guint64       done;
} Download;

static void
download_clear (Download *dl)
{
  if (dl->fd >= 0)
    close (dl->fd);
  g_clear_pointer (&dl->hash, yp_sha256_free);
  g_clear_pointer (&dl->part_path, g_free);
  g_clear_object (&dl->node);
}

static char *
part_path_for (const char *target)
{
  g_autofree char *dir = g_path_get_dirname (target);
  g_autofree char *base = g_path_get_basename (target);
  g_autofree char *hidden = g_strdup_printf (".%s.yunpan-part", base);

  return g_build_filename (dir, hidden, NULL);
}

/* Restarts the hash from byte 0 and feeds it what the part file holds. */
static gboolean
resume_hash (Download  *dl,
             GError   **error)
{
  g_autofree guint8 *buf = g_malloc (DOWNLOAD_BUFFER);
  struct stat st;
  guint64 size = (guint64) yp_node_get_size (dl->node);

  g_clear_pointer (&dl->hash, yp_sha256_free);
  dl->hash = yp_sha256_new ();
  dl->done = 0;
  if (fstat (dl->fd, &st) != 0)
    return _yp_set_io_error (error, errno, "stat", dl->part_path);
  if ((guint64) st.st_size > size && ftruncate (dl->fd, 0) != 0)
    return _yp_set_io_error (error, errno, "truncate", dl->part_path);

  while (dl->done < (guint64) st.st_size && dl->done < size)
    {
      gssize n = pread (dl->fd, buf, DOWNLOAD_BUFFER, (off_t) dl->done);

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        break;
      yp_sha256_update (dl->hash, buf, (gsize) n);
      dl->done += (guint64) n;
    }
  _yp_transfer_set_done (dl->transfer, dl->done);
  return TRUE;
}

static gboolean
restart_from_zero (Download  *dl,
                   GError   **error)
{
  if (ftruncate (dl->fd, 0) != 0)
    return _yp_set_io_error (error, errno, "truncate", dl->part_path);
  return resume_hash (dl, error);
}

static gboolean
write_all (Download     *dl,
           const guint8 *buf,
           gsize         len,
           GError      **error)
{
  while (len > 0)
    {
      gssize n = pwrite (dl->fd, buf, len, (off_t) dl->done);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return _yp_set_io_error (error, errno, "write", dl->part_path);
      yp_sha256_update (dl->hash, buf, (gsize) n);
      dl->done += (guint64) n;
      buf += n;
      len -= (gsize) n;
      _yp_transfer_add_done (dl->transfer, (guint64) n);
    }
  return TRUE;
}

/* Checks the status of the GET; may decide to start over from byte 0. */
static gboolean
check_response (Download      *dl,
                SoupMessage   *msg,
                GInputStream  *stream,
                GError       **error)
{
  guint status = soup_message_get_status (msg);
  const char *etag = soup_message_headers_get_one (soup_message_get_response_headers (msg),
                                                   "ETag");
  g_autofree char *expected = g_strdup_printf ("\"%s\"", yp_node_get_sha256 (dl->node));

  if (status == SOUP_STATUS_OK || status == SOUP_STATUS_PARTIAL_CONTENT)
    {
      if (etag != NULL && g_strcmp0 (etag, expected) != 0)
        {
          g_set_error (error, YP_CLIENT_ERROR, YP_CLIENT_ERROR_CONFLICT,
                       _("“%s” changed on the server during the download"),
                       yp_transfer_get_remote_path (dl->transfer));
          return FALSE;
        }
      /* a full answer to a range request: the server ignored the range */
      if (status == SOUP_STATUS_OK && dl->done > 0)
        return restart_from_zero (dl, error);
      return TRUE;
    }
  else
    {
      g_autoptr(GBytes) body = g_input_stream_read_bytes (stream, 64 * 1024, NULL, NULL);
      g_autoptr(JsonObject) ignored = _yp_client_parse_response (msg, body, error);

      return FALSE;
    }
}

/* One GET from dl->done to the end; FALSE with ERROR on any failure. */
static gboolean
fetch (Download  *dl,
       GError   **error)
{
  g_autofree char *query = _yp_query_path (yp_transfer_get_remote_path (dl->transfer));
  g_autoptr(SoupMessage) msg = _yp_client_new_message (dl->client, "GET", "/files/download",
                                                       query);
  g_autoptr(GInputStream) stream = NULL;
  g_autofree guint8 *buf = g_malloc (DOWNLOAD_BUFFER);
  YpRateLimiter *limiter = _yp_transfer_get_limiter (dl->transfer);
  guint64 size = (guint64) yp_node_get_size (dl->node);

  if (dl->done > 0)
    {
      g_autofree char *range = g_strdup_printf ("bytes=%" G_GUINT64_FORMAT "-", dl->done);

      soup_message_headers_replace (soup_message_get_request_headers (msg), "Range", range);
    }
  stream = soup_session_send (_yp_client_get_session (dl->client), msg, dl->cancellable, error);
  if (stream == NULL)
    {
      _yp_client_network_error (dl->client, error);
      return FALSE;
    }
  if (!check_response (dl, msg, stream, error))
    return FALSE;

  while (dl->done < size)
    {
      gsize want = (gsize) MIN ((guint64) DOWNLOAD_BUFFER, size - dl->done);
      gssize n;

      n = g_input_stream_read (stream, buf, want, dl->cancellable, error);
      if (n < 0)
        {
          _yp_client_network_error (dl->client, error);
          return FALSE;
        }
      if (n == 0)
        {
          g_set_error (error, YP_CLIENT_ERROR, YP_CLIENT_ERROR_NETWORK,
                       _("The connection closed before the download was complete"));
          return FALSE;
        }
      /* a read returns what has arrived, often far less than WANT: pay for
       * what came, or the limit throttles to a fraction of itself */
      if (limiter != NULL
          && !yp_rate_limiter_consume (limiter, (gsize) n, dl->cancellable, error))
        return FALSE;
      if (!write_all (dl, buf, (gsize) n, error))
        return FALSE;
    }
  return TRUE;
}

/* Verifies, makes durable and moves the complete part file into place. */
static gboolean
commit_download (Download  *dl,
                 GError   **error)
{
  const char *target = yp_transfer_get_local_path (dl->transfer);
  g_autofree char *dir = g_path_get_dirname (target);
  struct timespec times[2] = { { .tv_nsec = UTIME_OMIT } };
  char actual[65];
  int dir_fd;

  yp_sha256_finish_hex (dl->hash, actual);
  g_clear_pointer (&dl->hash, yp_sha256_free);
  if (g_strcmp0 (actual, yp_node_get_sha256 (dl->node)) != 0)
    {
      g_unlink (dl->part_path);
      g_set_error (error, YP_CLIENT_ERROR, YP_CLIENT_ERROR_HASH_MISMATCH,
                   _("The downloaded content of “%s” does not match its SHA-256"),
                   yp_transfer_get_remote_path (dl->transfer));
      return FALSE;
    }
  times[1].tv_sec = yp_node_get_mtime (dl->node);
  times[1].tv_nsec = 0;
  if (times[1].tv_sec > 0)
    (void) futimens (dl->fd, times);
  if (fsync (dl->fd) != 0)
    return _yp_set_io_error (error, errno, "sync", dl->part_path);
  if (g_rename (dl->part_path, target) != 0)
    return _yp_set_io_error (error, errno, "rename to", target);
  dir_fd = g_open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
  if (dir_fd >= 0)
    {
      (void) fsync (dir_fd);
      close (dir_fd);
    }
  return TRUE;
}

static gboolean
download_run (Download  *dl,
              GError   **error)
{
  YpRetryPolicy policy = _yp_client_get_retry_policy (dl->client);
  const char *remote = yp_transfer_get_remote_path (dl->transfer);

  dl->node = yp_client_stat_sync (dl->client, remote, dl->cancellable, error);
  if (dl->node == NULL)
    return FALSE;
  if (yp_node_is_folder (dl->node))
    {
      g_set_error (error, YP_CLIENT_ERROR, YP_CLIENT_ERROR_INVALID,
                   _("“%s” is a folder"), remote);
      return FALSE;
    }

  dl->part_path = part_path_for (yp_transfer_get_local_path (dl->transfer));
  /* the finished file gets the mode any new file of the user would */
  dl->fd = g_open (dl->part_path, O_RDWR | O_CREAT | O_CLOEXEC, 0666);
  if (dl->fd < 0)
    return _yp_set_io_error (error, errno, "create", dl->part_path);

  _yp_transfer_set_total (dl->transfer, (guint64) yp_node_get_size (dl->node));
  _yp_transfer_set_state (dl->transfer, YP_TRANSFER_RUNNING);
  if (!resume_hash (dl, error))
    return FALSE;

  for (guint failures = 0;;)
    {
      g_autoptr(GError) local_error = NULL;

      if (fetch (dl, &local_error))
        return commit_download (dl, error);
      if (!yp_retry_policy_should_retry (&policy, ++failures, local_error))
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return FALSE;
        }
      g_debug ("download of %s interrupted at %" G_GUINT64_FORMAT " (%s); resuming", remote,
               dl->done, local_error->message);
      if (!_yp_sleep_cancellable (yp_retry_policy_delay_ms (&policy, failures, NULL),
                                  dl->cancellable, error))
        return FALSE;
    }
}

gboolean
yp_client_download_sync (YpClient    *self,
                         YpTransfer  *transfer,
                         GError     **error)
{
  g_autoptr(GError) local_error = NULL;
  Download dl = {
    .client = self,
    .transfer = transfer,
    .cancellable = yp_transfer_get_cancellable (transfer),
    .fd = -1,
  };
  gboolean ok;

  g_return_val_if_fail (YP_IS_CLIENT (self), FALSE);
  g_return_val_if_fail (YP_IS_TRANSFER (transfer), FALSE);
  g_return_val_if_fail (yp_transfer_get_direction (transfer) == YP_TRANSFER_DOWNLOAD, FALSE);

  ok = download_run (&dl, &local_error);
  _yp_transfer_finish (transfer, ok ? dl.node : NULL, local_error);
  download_clear (&dl);
  if (!ok)
    g_propagate_error (error, g_steal_pointer (&local_error));
  return ok;
}
