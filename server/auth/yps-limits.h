/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * yps-limits.h: the rate limiter interface.
 *
 * Small counters shared by every worker process, keyed by strings such as
 * "a:203.0.113.7" (a client address) or "u:alice" (an account name). The
 * embedded backend keeps them in a SQLite file of their own
 * (yps-limits-sqlite.c); Redis implements the same table of operations for
 * several hosts. Losing this state costs nothing but a fresh start for an
 * attacker, so backends may trade durability for speed.
 *
 * Three primitives:
 *  - attempt/refund: growing delays after failures (password guessing);
 *    an attempt is counted before the work it guards, so parallel requests
 *    cannot all slip through before the first failure is recorded;
 *  - hit: a count per fixed window (registrations);
 *  - mark/marked/unmark: a remembered fact with an expiry (an address that
 *    signed in to an account before), forgotten early by key prefix (every
 *    address of one account, when its password changes).
 */
#ifndef YPS_LIMITS_H
#define YPS_LIMITS_H

#include <stdbool.h>
#include <stdint.h>

#include <glib.h>

#include "yp-protocol.h"

/* Growing delays: the first FREE attempts within FORGET seconds go
 * unhindered; attempt FREE + k then waits BASE * 2^k seconds, at most CAP. */
typedef struct {
    int64_t free;
    int64_t base;
    int64_t cap;
    int64_t forget;
} yps_backoff_t;

typedef struct yps_limits_s yps_limits_t;

typedef struct {
    const char *name;

    void        (*close)(yps_limits_t *limits);
    /* Counts one attempt by KEY, atomically with the check that it may be
     * made now: RATE_LIMITED (nothing counted) with *RETRY_AFTER seconds
     * when KEY must still wait. */
    yp_status_t (*attempt)(yps_limits_t *limits, const char *key, int64_t now,
                           const yps_backoff_t *policy, int64_t *retry_after);
    /* Takes back one attempt of KEY that turned out not to be a failure
     * (a right password, or work that never ran). CLEAR forgets KEY. */
    yp_status_t (*refund)(yps_limits_t *limits, const char *key, int64_t now, bool clear);
    /* Counts one event of KEY in the current window of WINDOW seconds:
     * RATE_LIMITED (not counted) with *RETRY_AFTER once MAX are in. */
    yp_status_t (*hit)(yps_limits_t *limits, const char *key, int64_t now, int64_t window,
                       int64_t max, int64_t *retry_after);
    yp_status_t (*mark)(yps_limits_t *limits, const char *key, int64_t expires);
    yp_status_t (*marked)(yps_limits_t *limits, const char *key, int64_t now, bool *found);
    /* Forgets every mark whose key starts with PREFIX (not empty). */
    yp_status_t (*unmark)(yps_limits_t *limits, const char *prefix);
    /* Forgets whatever no longer matters at NOW; *REMOVED counts it. */
    yp_status_t (*prune)(yps_limits_t *limits, int64_t now, int64_t *removed);
} yps_limits_ops_t;

struct yps_limits_s {
    const yps_limits_ops_t *ops;
};

/* Opens (creating) the limiter file at PATH. */
yps_limits_t *yps_limits_sqlite_open(const char *path, GError **error);

/* The delay that follows the FAILURES-th attempt under POLICY (0: none). */
int64_t yps_backoff_delay(const yps_backoff_t *policy, int64_t failures);

#endif
