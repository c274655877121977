/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "yunpan-client"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>

#include "yp-client-error.h"
#include "yp-client-private.h"
#include "yp-hash.h"
#include "yp-transfer-private.h"

/*
 * Downloads: the bytes go to a hidden file beside the target, or in the
 * staging folder the caller chose; after an interruption the download
 * resumes with an HTTP Range request from what is already there. Only
 * content whose SHA-256 matches the server's is made durable (fsync) and
 * renamed over the target, so the target is either the old file or the
 * complete new one, never a torn mix; and only over a target that is still
 * what the caller expects, so a local edit made meanwhile is never lost.
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
  char         *etag;
  const YpDownloadOptions *options;
} Download;

/* The ETag of the answer the part file's bytes came from, kept with them so
 * that a resume asks for the rest of that content only (If-Range). */
#define PART_ETAG_XATTR "user.yunpan.etag"

/* The options of a download, with the strings it owns. */
typedef struct
{
  YpDownloadOptions  options;
  char              *expected_sha256;
  char              *staging_dir;
} OwnedOptions;

static const YpDownloadOptions default_options;

static void
owned_options_free (gpointer data)
{
  OwnedOptions *owned = data;

  g_free (owned->expected_sha256);
  g_free (owned->staging_dir);
  g_free (owned);
}

static GQuark
options_quark (void)
{
  return g_quark_from_static_string ("yp-download-options");
}

YpTransfer *
yp_transfer_new_download_full (const char              *remote_path,
                               const char              *local_path,
                               const YpDownloadOptions *options)
{
  YpTransfer *self = yp_transfer_new_download (remote_path, local_path);
  OwnedOptions *owned;

  if (self == NULL || options == NULL)
    return self;
  owned = g_new0 (OwnedOptions, 1);
  owned->options = *options;
  /* the server's hashes are lower case; the caller's may not be */
  if (options->expected_sha256 != NULL)
    owned->expected_sha256 = g_ascii_strdown (options->expected_sha256, -1);
  owned->staging_dir = g_strdup (options->staging_dir);
  owned->options.expected_sha256 = owned->expected_sha256;
  owned->options.staging_dir = owned->staging_dir;
  g_object_set_qdata_full (G_OBJECT (self), options_quark (), owned, owned_options_free);
  return self;
}

static const YpDownloadOptions *
get_options (YpTransfer *transfer)
{
  OwnedOptions *owned = g_object_get_qdata (G_OBJECT (transfer), options_quark ());

  return owned != NULL ? &owned->options : &default_options;
}

static gint64
mtime_ns (const struct stat *st)
{
  return (gint64) st->st_mtim.tv_sec * G_GINT64_CONSTANT (1000000000) + st->st_mtim.tv_nsec;
}

gboolean
yp_download_options_set_local_identity (YpDownloadOptions  *options,
                                        const char         *path,
                                        GError            **error)
{
  struct stat st;

  g_return_val_if_fail (options != NULL && path != NULL, FALSE);

  if (g_lstat (path, &st) != 0)
    return _yp_set_io_error (error, errno, "stat", path);
  options->target = YP_DOWNLOAD_TARGET_IDENTITY;
  options->local_size = (guint64) st.st_size;
  options->local_mtime_ns = mtime_ns (&st);
  options->local_inode = (guint64) st.st_ino;
  return TRUE;
}

static void
download_clear (Download *dl)
{
  if (dl->fd >= 0)
    close (dl->fd);
  g_clear_pointer (&dl->hash, yp_sha256_free);
  g_clear_pointer (&dl->part_path, g_free);
  g_clear_pointer (&dl->etag, g_free);
  g_clear_object (&dl->node);
}

/* In a staging folder many targets meet: the name comes from the whole
 * target path, and stays short whatever its length. */
static char *
part_path_for (const char *target,
               const char *staging_dir)
{
  g_autofree char *dir = NULL;
  g_autofree char *base = NULL;
  g_autofree char *hidden = NULL;

  if (staging_dir != NULL)
    {
      g_autofree char *sum = g_compute_checksum_for_string (G_CHECKSUM_SHA256, target, -1);

      hidden = g_strdup_printf ("%s.yunpan-part", sum);
      return g_build_filename (staging_dir, hidden, NULL);
    }
  dir = g_path_get_dirname (target);
  base = g_path_get_basename (target);
  hidden = g_strdup_printf (".%s.yunpan-part", base);
  return g_build_filename (dir, hidden, NULL);
}

static gboolean
set_appeared_error (const char  *target,
                    GError     **error)
{
  g_set_error (error, YP_CLIENT_ERROR, YP_CLIENT_ERROR_EXISTS,
               _("“%s” appeared on this computer during the download; it was left as it is"),
               target);
  return FALSE;
}

/* Whether the target is still what the caller saw; checked before the
 * download starts and again right before the rename. */
static gboolean
check_target (Download  *dl,
              GError   **error)
{
  const char *target = yp_transfer_get_local_path (dl->transfer);
  struct stat st;

  switch (dl->options->target)
    {
    case YP_DOWNLOAD_TARGET_ANY:
      return TRUE;
    case YP_DOWNLOAD_TARGET_ABSENT:
      if (g_lstat (target, &st) != 0 && errno == ENOENT)
        return TRUE;
      return set_appeared_error (target, error);
    case YP_DOWNLOAD_TARGET_IDENTITY:
    default:
      if (g_lstat (target, &st) == 0
          && (guint64) st.st_size == dl->options->local_size
          && mtime_ns (&st) == dl->options->local_mtime_ns
          && (guint64) st.st_ino == dl->options->local_inode)
        return TRUE;
      g_set_error (error, YP_CLIENT_ERROR, YP_CLIENT_ERROR_CHANGED,
                   _("“%s” changed on this computer during the download; it was left as it is"),
                   target);
      return FALSE;
    }
}

/* Where the target must be absent the kernel checks it in the rename
 * itself; a file system without RENAME_NOREPLACE still refuses a link()
 * over an existing name. */
static gboolean
rename_into_place (Download  *dl,
                   GError   **error)
{
  const char *target = yp_transfer_get_local_path (dl->transfer);

  if (dl->options->target != YP_DOWNLOAD_TARGET_ABSENT)
    {
      if (!check_target (dl, error))
        return FALSE;
      if (g_rename (dl->part_path, target) != 0)
        return _yp_set_io_error (error, errno, "rename to", target);
      return TRUE;
    }
  if (renameat2 (AT_FDCWD, dl->part_path, AT_FDCWD, target, RENAME_NOREPLACE) == 0)
    return TRUE;
  if (errno == EINVAL || errno == ENOSYS)
    {
      if (link (dl->part_path, target) == 0)
        {
          (void) g_unlink (dl->part_path);
          return TRUE;
        }
    }
  if (errno == EEXIST)
    return set_appeared_error (target, error);
  return _yp_set_io_error (error, errno, "rename to", target);
}

static void
sync_folder (const char *path)
{
  g_autofree char *dir = g_path_get_dirname (path);
  int dir_fd = g_open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);

  if (dir_fd >= 0)
    {
      (void) fsync (dir_fd);
      close (dir_fd);
    }
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

/* A part file without one (a file system without user attributes) is
 * resumed unconditionally; the hash check still catches stale bytes. */
static void
load_part_etag (Download *dl)
{
  char buf[256];
  gssize n = fgetxattr (dl->fd, PART_ETAG_XATTR, buf, sizeof buf - 1);

  g_clear_pointer (&dl->etag, g_free);
  if (n > 0)
    dl->etag = g_strndup (buf, (gsize) n);
}

static void
save_part_etag (Download   *dl,
                const char *etag)
{
  if (etag == NULL || g_strcmp0 (etag, dl->etag) == 0)
    return;
  g_free (dl->etag);
  dl->etag = g_strdup (etag);
  if (fsetxattr (dl->fd, PART_ETAG_XATTR, etag, strlen (etag), 0) != 0)
    g_debug ("cannot keep the ETag of %s: %s", dl->part_path, g_strerror (errno));
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
      /* a full answer to a range request: the content changed since the
       * part file's bytes came (If-Range), or the server ignored the range */
      if (status == SOUP_STATUS_OK && dl->done > 0 && !restart_from_zero (dl, error))
        return FALSE;
      save_part_etag (dl, etag);
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

  /* a part file kept complete needs no bytes; the hash check at the
   * commit decides whether it is the file */
  if (dl->done > 0 && dl->done == size)
    return TRUE;
  if (dl->done > 0)
    {
      g_autofree char *range = g_strdup_printf ("bytes=%" G_GUINT64_FORMAT "-", dl->done);

      soup_message_headers_replace (soup_message_get_request_headers (msg), "Range", range);
      if (dl->etag != NULL)
        soup_message_headers_replace (soup_message_get_request_headers (msg), "If-Range",
                                      dl->etag);
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
  struct timespec times[2] = { { .tv_nsec = UTIME_OMIT } };
  char actual[65];

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
  if (!rename_into_place (dl, error))
    return FALSE;
  /* the rename is durable once the folder holding the new name is; the
   * journal commits the whole rename, the staging folder's side with it */
  sync_folder (target);
  return TRUE;
}

/* A complete part file needs no request, unless it holds other content
 * than the server has now. */
static gboolean
check_complete_part (Download  *dl,
                     GError   **error)
{
  g_autofree char *current = g_strdup_printf ("\"%s\"", yp_node_get_sha256 (dl->node));

  if (dl->done == 0)
    return TRUE;
  load_part_etag (dl);
  if (dl->done == (guint64) yp_node_get_size (dl->node)
      && dl->etag != NULL && g_strcmp0 (dl->etag, current) != 0)
    return restart_from_zero (dl, error);
  return TRUE;
}

/* The remote file must be the one the caller expects. */
static gboolean
check_remote (Download  *dl,
              GError   **error)
{
  const YpDownloadOptions *options = dl->options;

  if ((options->expected_sha256 != NULL
       && g_strcmp0 (options->expected_sha256, yp_node_get_sha256 (dl->node)) != 0)
      || (options->expected_version != 0
          && options->expected_version != yp_node_get_version (dl->node)))
    {
      g_set_error (error, YP_CLIENT_ERROR, YP_CLIENT_ERROR_CONFLICT,
                   _("“%s” changed on the server since it was listed"),
                   yp_transfer_get_remote_path (dl->transfer));
      return FALSE;
    }
  return TRUE;
}

/* The node as the caller listed it, when it says enough of it; NULL:
 * the server is asked. */
static YpNode *
known_node (const YpDownloadOptions *options,
            const char              *remote)
{
  g_autoptr(JsonObject) object = NULL;
  g_autofree char *name = NULL;

  if (options->known_id <= 0 || options->expected_sha256 == NULL
      || options->expected_version <= 0)
    return NULL;
  name = g_path_get_basename (remote);
  object = json_object_new ();
  json_object_set_int_member (object, "id", options->known_id);
  json_object_set_string_member (object, "type", "file");
  json_object_set_string_member (object, "name", name);
  json_object_set_string_member (object, "path", remote);
  json_object_set_string_member (object, "sha256", options->expected_sha256);
  json_object_set_int_member (object, "size", (gint64) options->known_size);
  json_object_set_int_member (object, "mtime", options->known_mtime);
  json_object_set_int_member (object, "version", options->expected_version);
  return yp_node_new_from_json (object);
}

static gboolean
download_run (Download  *dl,
              GError   **error)
{
  YpRetryPolicy policy = _yp_client_get_retry_policy (dl->client);
  const char *remote = yp_transfer_get_remote_path (dl->transfer);

  dl->node = known_node (dl->options, remote);
  if (dl->node == NULL)
    dl->node = yp_client_stat_sync (dl->client, YP_TARGET_PATH (remote), dl->cancellable,
                                    error);
  if (dl->node == NULL)
    return FALSE;
  if (yp_node_is_folder (dl->node))
    {
      g_set_error (error, YP_CLIENT_ERROR, YP_CLIENT_ERROR_INVALID,
                   _("“%s” is a folder"), remote);
      return FALSE;
    }

  if (!check_remote (dl, error) || !check_target (dl, error))
    return FALSE;

  dl->part_path = part_path_for (yp_transfer_get_local_path (dl->transfer),
                                 dl->options->staging_dir);
  /* the finished file gets the mode any new file of the user would */
  dl->fd = g_open (dl->part_path, O_RDWR | O_CREAT | O_CLOEXEC, 0666);
  if (dl->fd < 0)
    return _yp_set_io_error (error, errno, "create", dl->part_path);

  _yp_transfer_set_total (dl->transfer, (guint64) yp_node_get_size (dl->node));
  _yp_transfer_set_state (dl->transfer, YP_TRANSFER_RUNNING);
  if (!resume_hash (dl, error))
    return FALSE;
  if (!check_complete_part (dl, error))
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
      if (!_yp_sleep_cancellable (yp_retry_policy_delay_for_error (&policy, failures,
                                                                   local_error, NULL),
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
    .options = get_options (transfer),
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
