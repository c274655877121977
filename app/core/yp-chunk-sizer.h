/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/*
 * How many bytes the next chunk of an upload carries. A size the
 * application chose is kept (within the server's limit); otherwise chunks
 * start small and follow the measured rate, so that each takes a second or
 * two to send: few enough requests that their cost vanishes, short enough
 * that an interruption costs little to resend.
 */
typedef struct
{
  guint64 size;        /* of the next chunk */
  guint64 max;
  gboolean fixed;
} YpChunkSizer;

#define YP_CHUNK_SIZE_START   (8 * 1024 * 1024)
#define YP_CHUNK_SIZE_MIN     (4 * 1024 * 1024)
#define YP_CHUNK_SIZE_MAX     (64 * 1024 * 1024)
/* the sending time a chunk aims at */
#define YP_CHUNK_TARGET_USEC  (1500 * G_TIME_SPAN_MILLISECOND)

/* CHOSEN: the application's size, or 0; SERVER_MAX: the largest chunk the
 * server accepts. */
void    yp_chunk_sizer_init    (YpChunkSizer *sizer,
                                guint64       chosen,
                                guint64       server_max);
guint64 yp_chunk_sizer_get     (const YpChunkSizer *sizer);
/* A chunk of BYTES took USEC to send. */
void    yp_chunk_sizer_observe (YpChunkSizer *sizer,
                                guint64       bytes,
                                gint64        usec);

G_END_DECLS
