/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "yunpan-client"

#include "config.h"

#include <errno.h>
#include <unistd.h>

#include <glib/gi18n-lib.h>

#include "yp-client-error.h"
#include "yp-file-range-stream.h"
#include "yp-transfer-private.h"

/**
 * YpFileRangeStream:
 *
 * The body of one upload chunk, read straight from the local file so that
 * no file is ever held in memory whole.
 */
struct _YpFileRangeStream
{
  GInputStream  parent_instance;

  int           fd;
  goffset       position;
  goffset       remaining;
  YpTransfer   *transfer;
};

G_DEFINE_FINAL_TYPE (YpFileRangeStream, yp_file_range_stream, G_TYPE_INPUT_STREAM)

static gssize
yp_file_range_stream_read (GInputStream  *stream,
                           void          *buffer,
                           gsize          count,
                           GCancellable  *cancellable,
                           GError       **error)
{
  YpFileRangeStream *self = YP_FILE_RANGE_STREAM (stream);
  YpRateLimiter *limiter = _yp_transfer_get_limiter (self->transfer);
  gssize n;

  count = (gsize) MIN ((goffset) count, self->remaining);
  if (count == 0)
    return 0;
  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return -1;
  if (limiter != NULL && !yp_rate_limiter_consume (limiter, count, cancellable, error))
    return -1;

  do
    n = pread (self->fd, buffer, count, self->position);
  while (n < 0 && errno == EINTR);

  if (n < 0)
    {
      int saved = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved), "%s", g_strerror (saved));
      return -1;
    }
  if (n == 0)
    {
      g_set_error (error, YP_CLIENT_ERROR, YP_CLIENT_ERROR_CHANGED,
                   _("The file became shorter while it was being uploaded"));
      return -1;
    }
  self->position += n;
  self->remaining -= n;
  _yp_transfer_add_done (self->transfer, (guint64) n);
  _yp_transfer_add_sent (self->transfer, (guint64) n);
  return n;
}

static gboolean
yp_file_range_stream_close (GInputStream  *stream,
                            GCancellable  *cancellable,
                            GError       **error)
{
  /* the fd belongs to the upload, which closes it */
  return TRUE;
}

static void
yp_file_range_stream_finalize (GObject *object)
{
  g_clear_object (&YP_FILE_RANGE_STREAM (object)->transfer);

  G_OBJECT_CLASS (yp_file_range_stream_parent_class)->finalize (object);
}

static void
yp_file_range_stream_class_init (YpFileRangeStreamClass *klass)
{
  GInputStreamClass *stream_class = G_INPUT_STREAM_CLASS (klass);

  G_OBJECT_CLASS (klass)->finalize = yp_file_range_stream_finalize;
  stream_class->read_fn = yp_file_range_stream_read;
  stream_class->close_fn = yp_file_range_stream_close;
}

static void
yp_file_range_stream_init (YpFileRangeStream *self)
{
}

GInputStream *
yp_file_range_stream_new (int         fd,
                          goffset     offset,
                          goffset     length,
                          YpTransfer *transfer)
{
  YpFileRangeStream *self = g_object_new (YP_TYPE_FILE_RANGE_STREAM, NULL);

  self->fd = fd;
  self->position = offset;
  self->remaining = length;
  self->transfer = g_object_ref (transfer);
  return G_INPUT_STREAM (self);
}
