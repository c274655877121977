/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "yunpan-client"

#include "config.h"

#include <errno.h>
#include <fcntl.h>

#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>

#include "yp-client-error.h"
#include "yp-client-private.h"
#include "yp-hash.h"
#include "yp-hasher.h"
#include "yp-transfer-private.h"
#include "yp-upload-private.h"

/* The file being uploaded: opening and hashing it, and checking that it is
 * still the file that was hashed. */

static void
identity_from_stat (YpFileIdentity    *identity,
                    const struct stat *st)
{
  identity->device = (guint64) st->st_dev;
  identity->inode = (guint64) st->st_ino;
  identity->size = (guint64) st->st_size;
  identity->mtime_ns = (gint64) st->st_mtim.tv_sec * G_GINT64_CONSTANT (1000000000)
                       + st->st_mtim.tv_nsec;
}

guint64
_yp_upload_file_size (Upload *up)
{
  return (guint64) up->st.st_size;
}

gboolean
_yp_upload_set_changed_error (Upload  *up,
                              GError **error)
{
  g_set_error (error, YP_CLIENT_ERROR, YP_CLIENT_ERROR_CHANGED,
               _("“%s” changed while it was being uploaded"),
               yp_transfer_get_local_path (up->transfer));
  return FALSE;
}

/* Whether the open file still has the identity it had when it was hashed;
 * with AT_PATH, also whether the path still names that file, as an editor
 * that saves by renaming a new file over the old one replaces it. */
gboolean
_yp_upload_file_unchanged (Upload    *up,
                           gboolean   at_path,
                           GError   **error)
{
  YpFileIdentity now;
  struct stat st;

  if (fstat (up->fd, &st) != 0)
    return _yp_set_io_error (error, errno, "stat", yp_transfer_get_local_path (up->transfer));
  identity_from_stat (&now, &st);
  if (!yp_file_identity_equal (&now, &up->identity))
    return _yp_upload_set_changed_error (up, error);
  if (!at_path)
    return TRUE;
  if (g_stat (yp_transfer_get_local_path (up->transfer), &st) != 0)
    return _yp_upload_set_changed_error (up, error);
  identity_from_stat (&now, &st);
  if (!yp_file_identity_equal (&now, &up->identity))
    return _yp_upload_set_changed_error (up, error);
  return TRUE;
}

static void
hash_progress (guint64  hashed,
               gpointer data)
{
  Upload *up = data;

  _yp_transfer_set_done (up->transfer, MIN (hashed, (guint64) up->st.st_size));
}

/* SHA-256 of the open file, the bytes done growing as it goes. */
static gboolean
hash_file (Upload  *up,
           GError **error)
{
  /* the identity check after it catches a file that grew or shrank */
  return yp_hash_fd_sync_full (up->fd, up->sha256, NULL, hash_progress, up, up->cancellable,
                               error);
}

/* Whether the caller's hash can stand for the file's: only on the first
 * attempt (a restart follows a change) and for the very identity it was
 * computed from. */
gboolean
_yp_upload_known_hash_applies (Upload *up)
{
  return up->attempt == 1 && up->options->sha256 != NULL
         && yp_sha256_hex_is_valid (up->options->sha256)
         && yp_file_identity_equal (&up->identity, &up->options->identity);
}

gboolean
_yp_upload_open_and_hash (Upload  *up,
                          GError **error)
{
  const char *path = yp_transfer_get_local_path (up->transfer);

  up->fd = g_open (path, O_RDONLY | O_CLOEXEC, 0);
  if (up->fd < 0)
    return _yp_set_io_error (error, errno, "open", path);
  if (fstat (up->fd, &up->st) != 0)
    return _yp_set_io_error (error, errno, "stat", path);
  if (!S_ISREG (up->st.st_mode))
    {
      g_set_error (error, YP_CLIENT_ERROR, YP_CLIENT_ERROR_INVALID,
                   _("“%s” is not a regular file"), path);
      return FALSE;
    }
  identity_from_stat (&up->identity, &up->st);

  _yp_transfer_set_total (up->transfer, (guint64) up->st.st_size);
  if (_yp_upload_known_hash_applies (up))
    {
      g_strlcpy (up->sha256, up->options->sha256, sizeof up->sha256);
      return TRUE;
    }
  _yp_transfer_set_state_and_done (up->transfer, YP_TRANSFER_HASHING, 0);
  if (!hash_file (up, error))
    return FALSE;
  return _yp_upload_file_unchanged (up, FALSE, error);
}
