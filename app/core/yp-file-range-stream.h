/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "yp-rate-limiter.h"

G_BEGIN_DECLS

#define YP_TYPE_FILE_RANGE_STREAM (yp_file_range_stream_get_type ())

G_DECLARE_FINAL_TYPE (YpFileRangeStream, yp_file_range_stream, YP, FILE_RANGE_STREAM, GInputStream)

/* Called in the reading thread with the number of bytes just read. */
typedef void (*YpFileRangeProgress) (guint64  bytes,
                                     gpointer user_data);

/* LENGTH bytes of FD from OFFSET (pread: the fd's offset is untouched),
 * paced by LIMITER (may be NULL), each block reported to PROGRESS (may be
 * NULL) as it is read. A file that ends early is YP_CLIENT_ERROR_CHANGED. */
GInputStream *yp_file_range_stream_new (int                  fd,
                                        goffset              offset,
                                        goffset              length,
                                        YpRateLimiter       *limiter,
                                        YpFileRangeProgress  progress,
                                        gpointer             progress_data);

G_END_DECLS
