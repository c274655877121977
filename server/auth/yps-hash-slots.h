/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * yps-hash-slots.h: a bound on password hashing in flight across every
 * worker process.
 *
 * One Argon2id costs ~145 ms of a core and 64 MiB. Without a bound, a flood
 * of bogus sign-ins keeps every worker hashing while signed-in users wait in
 * the socket's backlog. Each slot is a file DIR/hash-slot.<i> locked with
 * flock(LOCK_EX | LOCK_NB): a worker that finds none free answers at once
 * (503 with Retry-After) instead of queueing, and a worker that dies lets
 * go of its slot with its descriptors.
 */
#ifndef YPS_HASH_SLOTS_H
#define YPS_HASH_SLOTS_H

#include <stdbool.h>

#include <glib.h>

typedef struct {
    int *fds;       /* one open file per slot, opened by this process */
    int  n;         /* 0: no bound */
    int  held;      /* the slot this process holds, or -1 */
} yps_hash_slots_t;

/* Opens N slot files under DIR (N 0: no bound). Call in each worker, after
 * fork: a lock belongs to an open file, which a fork would share. */
bool yps_hash_slots_open(yps_hash_slots_t *slots, const char *dir, int n, GError **error);
void yps_hash_slots_close(yps_hash_slots_t *slots);

/* Takes a free slot without waiting; false when all are busy. */
bool yps_hash_slot_acquire(yps_hash_slots_t *slots);
void yps_hash_slot_release(yps_hash_slots_t *slots);

#endif
