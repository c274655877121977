/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <gio/gio.h>

#include "yps-hash-slots.h"

bool
yps_hash_slots_open(yps_hash_slots_t *slots, const char *dir, int n, GError **error)
{
    slots->n = 0;
    slots->held = -1;
    slots->fds = n > 0 ? g_new(int, n) : NULL;
    for (int i = 0; i < n; i++) {
        g_autofree char *name = g_strdup_printf("hash-slot.%d", i);
        g_autofree char *path = g_build_filename(dir, name, NULL);
        int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);

        if (fd < 0) {
            g_set_error(error, G_IO_ERROR, g_io_error_from_errno(errno), "open %s: %s", path,
                        g_strerror(errno));
            return false;
        }
        slots->fds[slots->n++] = fd;
    }
    return true;
}

void
yps_hash_slots_close(yps_hash_slots_t *slots)
{
    for (int i = 0; i < slots->n; i++) {
        close(slots->fds[i]);
    }
    g_clear_pointer(&slots->fds, g_free);
    slots->n = 0;
    slots->held = -1;
}

/*
 * Tries the slots from a random one on, so that workers do not all contend
 * for slot 0 first; each try is one non-blocking flock.
 */
bool
yps_hash_slot_acquire(yps_hash_slots_t *slots)
{
    int start;

    if (slots->fds == NULL) {
        return true;
    }
    g_assert(slots->held < 0);
    start = g_random_int_range(0, slots->n);
    for (int k = 0; k < slots->n; k++) {
        int i = (start + k) % slots->n;

        if (flock(slots->fds[i], LOCK_EX | LOCK_NB) == 0) {
            slots->held = i;
            return true;
        }
    }
    return false;
}

void
yps_hash_slot_release(yps_hash_slots_t *slots)
{
    if (slots->held >= 0) {
        flock(slots->fds[slots->held], LOCK_UN);
        slots->held = -1;
    }
}
