/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "yp-transfer.h"

G_BEGIN_DECLS

#define YP_TYPE_FILE_RANGE_STREAM (yp_file_range_stream_get_type ())

G_DECLARE_FINAL_TYPE (YpFileRangeStream, yp_file_range_stream, YP, FILE_RANGE_STREAM, GInputStream)

/* LENGTH bytes of FD from OFFSET (pread: the fd's offset is untouched),
 * counted into TRANSFER's progress and paced by its rate limiter. A file
 * that ends early is YP_CLIENT_ERROR_CHANGED. */
GInputStream *yp_file_range_stream_new (int         fd,
                                        goffset     offset,
                                        goffset     length,
                                        YpTransfer *transfer);

G_END_DECLS
