/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * yps-blob.c: what every blob backend gets without implementing it.
 *
 * A group put lets a backend share its disk syncs across many blobs; one
 * that has none still stores the group, each blob through its own put.
 */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include <gio/gio.h>

#include "yps-blob.h"

/* ITEM through put, from a file in STAGING that holds its bytes and has no
 * name, so that a crash leaves nothing there. */
static bool
yps_blob_put_one(yps_blob_t *blob, yps_blob_item_t *item, const char *staging, GError **error)
{
    int fd = open(staging, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
    int previous = -1;
    bool ok;

    if (fd < 0 || !yps_write_all(fd, item->data, item->len)
        || lseek(fd, 0, SEEK_SET) != 0) {
        int err = errno;

        if (fd >= 0) {
            close(fd);
        }
        g_set_error(error, G_IO_ERROR, g_io_error_from_errno(err), "stage %s: %s",
                    item->sha256, g_strerror(err));
        return false;
    }
    ok = blob->ops->put(blob, fd, item->sha256, &item->added, &previous, error);
    /* a group put has no one to hand the replaced file to */
    if (previous >= 0) {
        close(previous);
    }
    close(fd);
    return ok;
}

bool
yps_blob_put_many(yps_blob_t *blob, yps_blob_item_t *items, size_t n, const char *staging,
                  GError **error)
{
    if (blob->ops->put_many != NULL) {
        return blob->ops->put_many(blob, items, n, error);
    }
    for (size_t i = 0; i < n; i++) {
        if (!yps_blob_put_one(blob, &items[i], staging, error)) {
            return false;
        }
    }
    return true;
}
