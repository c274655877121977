/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "yunpan-client"

#include "config.h"

#include "yp-chunk-sizer.h"

void
yp_chunk_sizer_init (YpChunkSizer *sizer,
                     guint64       chosen,
                     guint64       server_max)
{
  server_max = MAX (server_max, 1);
  sizer->fixed = chosen > 0;
  sizer->max = sizer->fixed ? server_max : MIN (server_max, YP_CHUNK_SIZE_MAX);
  sizer->size = MIN (sizer->fixed ? chosen : YP_CHUNK_SIZE_START, sizer->max);
}

guint64
yp_chunk_sizer_get (const YpChunkSizer *sizer)
{
  return sizer->size;
}

void
yp_chunk_sizer_observe (YpChunkSizer *sizer,
                        guint64       bytes,
                        gint64        usec)
{
  double target;

  /* a short last chunk says little about the rate */
  if (sizer->fixed || usec <= 0 || bytes < sizer->size / 2)
    return;
  target = (double) bytes * YP_CHUNK_TARGET_USEC / (double) usec;
  /* grow by at most a doubling per chunk, as one fast chunk may have gone
   * into buffers; shrink at once when the line slowed down */
  target = MIN (target, 2.0 * (double) sizer->size);
  target = MIN (MAX (target, (double) YP_CHUNK_SIZE_MIN), (double) sizer->max);
  /* whole MiB, for readable logs */
  sizer->size = MAX ((guint64) target & ~(guint64) 0xfffff, MIN (sizer->max, 1024 * 1024));
}
