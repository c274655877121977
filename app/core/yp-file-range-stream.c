/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "yunpan-client"

#include "config.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <glib/gi18n-lib.h>

#include "yp-client-error.h"
#include "yp-file-range-stream.h"

/**
 * YpFileRangeStream:
 *
 * The body of one upload chunk, read straight from the local file so that
 * no file is ever held in memory whole.
 */
/* libsoup splices the body through GLib's 8 KiB buffer: reading ahead in
 * large blocks saves a system call per 8 KiB, and reporting progress per
 * block keeps the transfer's lock out of the loop. */
#define READ_AHEAD (1024 * 1024)

struct _YpFileRangeStream
{
  GInputStream  parent_instance;

  int           fd;
  goffset       position;   /* of the next byte to read from the file */
  goffset       remaining;  /* bytes still to read from the file */
  YpRateLimiter        *limiter;
  YpFileRangeProgress   progress;
  gpointer              progress_data;

  guint8       *buffer;
  gsize         buffered;   /* bytes in buffer */
  gsize         consumed;   /* of those, handed out */
};

G_DEFINE_FINAL_TYPE (YpFileRangeStream, yp_file_range_stream, G_TYPE_INPUT_STREAM)

/* Refills the read-ahead buffer; FALSE with ERROR on failure. */
static gboolean
fill (YpFileRangeStream  *self,
      GCancellable       *cancellable,
      GError            **error)
{
  YpRateLimiter *limiter = self->limiter;
  gsize want = (gsize) MIN ((goffset) READ_AHEAD, self->remaining);
  gssize n;

  /* pace in smaller steps than the buffer, so a limit stays smooth */
  if (limiter != NULL)
    want = MIN (want, 64 * 1024);
  if (limiter != NULL && !yp_rate_limiter_consume (limiter, want, cancellable, error))
    return FALSE;

  do
    n = pread (self->fd, self->buffer, want, self->position);
  while (n < 0 && errno == EINTR);

  if (n < 0)
    {
      int saved = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved), "%s", g_strerror (saved));
      return FALSE;
    }
  if (n == 0)
    {
      g_set_error (error, YP_CLIENT_ERROR, YP_CLIENT_ERROR_CHANGED,
                   _("The file became shorter while it was being uploaded"));
      return FALSE;
    }
  self->position += n;
  self->remaining -= n;
  self->buffered = (gsize) n;
  self->consumed = 0;
  if (self->progress != NULL)
    self->progress ((guint64) n, self->progress_data);
  return TRUE;
}

static gssize
yp_file_range_stream_read (GInputStream  *stream,
                           void          *buffer,
                           gsize          count,
                           GCancellable  *cancellable,
                           GError       **error)
{
  YpFileRangeStream *self = YP_FILE_RANGE_STREAM (stream);

  if (self->consumed == self->buffered)
    {
      if (self->remaining == 0)
        return 0;
      if (g_cancellable_set_error_if_cancelled (cancellable, error)
          || !fill (self, cancellable, error))
        return -1;
    }
  count = MIN (count, self->buffered - self->consumed);
  memcpy (buffer, self->buffer + self->consumed, count);
  self->consumed += count;
  return (gssize) count;
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
  YpFileRangeStream *self = YP_FILE_RANGE_STREAM (object);

  g_clear_object (&self->limiter);
  g_clear_pointer (&self->buffer, g_free);

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
yp_file_range_stream_new (int                  fd,
                          goffset              offset,
                          goffset              length,
                          YpRateLimiter       *limiter,
                          YpFileRangeProgress  progress,
                          gpointer             progress_data)
{
  YpFileRangeStream *self = g_object_new (YP_TYPE_FILE_RANGE_STREAM, NULL);

  self->fd = fd;
  self->position = offset;
  self->remaining = length;
  self->limiter = limiter ? g_object_ref (limiter) : NULL;
  self->progress = progress;
  self->progress_data = progress_data;
  self->buffer = g_malloc (READ_AHEAD);
  return G_INPUT_STREAM (self);
}
