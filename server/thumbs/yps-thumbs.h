/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * yps-thumbs.h: thumbnails of images, made once per content and kept on
 * disk.
 *
 * A thumbnail is named by the SHA-256 of the blob it was made from and its
 * size, so every node that holds the same content, whoever owns it, shares
 * one cache entry: DATA/thumbnails/<size>/ab/cd/<sha256>.png. Who may see a
 * thumbnail is the handler's business (yps-thumbnail.c); this module only
 * decodes, within limits, and keeps the files.
 */
#ifndef YPS_THUMBS_H
#define YPS_THUMBS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <glib.h>

#include "yp-protocol.h"

/* Limits on what is decoded at all, so that a hostile image cannot make a
 * worker exhaust its memory or its time (docs/security.md). */
#define YPS_THUMB_MAX_BYTES     (50 * 1024 * 1024)      /* of the stored file */
#define YPS_THUMB_MAX_PIXELS    (50 * 1000 * 1000)      /* width × height, as declared */

/* True when SIZE is one of the protocol's bounding boxes. */
bool        yps_thumb_size_valid(int64_t size);

/*
 * Makes the thumbnail of the image in the open file FD: at most SIZE pixels
 * wide and high, the aspect kept, never enlarged, as PNG in *OUT (g_free)
 * of *LEN bytes. Returns OK, NOT_AN_IMAGE (no format it reads, or the bytes
 * do not decode), IMAGE_TOO_LARGE (over the limits above, refused before
 * any pixel is decoded) or INTERNAL; MESSAGE gets a reason fit for the
 * client (no server paths). Called by the thumbnail handler in a worker.
 */
yp_status_t yps_thumb_make(int fd, int size, void **out, size_t *len, char *message,
                           size_t message_len);

/* Where the thumbnail of SHA256 at SIZE lives under DATA_DIR, and the URI
 * of the nginx internal location that serves it. */
char       *yps_thumb_path(const char *data_dir, const char *sha256, int size);
char       *yps_thumb_accel_uri(const char *sha256, int size);

/* Writes DATA to a temporary file beside PATH and syncs it; *TEMP gets its
 * name. yps_thumb_publish then renames it into place (and syncs the folder),
 * yps_thumb_discard removes it. */
bool        yps_thumb_stage(const char *path, const void *data, size_t len, char **temp,
                            GError **error);
bool        yps_thumb_publish(const char *temp, const char *path, GError **error);
void        yps_thumb_discard(const char *temp);

/* Removes every thumbnail of SHA256: its blob is gone. */
void        yps_thumb_forget(const char *data_dir, const char *sha256);

/* Removes temporary files a crash left and thumbnails of blobs for which
 * REFERENCED returns false; returns how many files went. At start, before
 * any worker runs. */
unsigned    yps_thumb_sweep(const char *data_dir,
                            bool (*referenced)(const char *sha256, void *data), void *data);

#endif
