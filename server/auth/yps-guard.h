/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * yps-guard.h: the defences of sign-in, registration and password change
 * against guessing and floods, put together from the rate limiter
 * (yps-limits.h), the hashing slots (yps-hash-slots.h) and the password
 * checker (yps-pwquality.h).
 *
 * Every password check first counts an attempt for the client address and
 * for the account name, each with growing, capped delays (429 with
 * Retry-After, before any hashing), then takes a hashing slot (503 with
 * Retry-After when none is free). An address that has signed in to an
 * account before is not held back by that account's delays, so an attacker
 * elsewhere cannot lock the owner out of the devices they use; a password
 * change or a sign-out everywhere forgets those addresses.
 * docs/protocol.md ("Passwords, guessing and floods") states the policy.
 */
#ifndef YPS_GUARD_H
#define YPS_GUARD_H

#include <stdbool.h>
#include <stdint.h>

#include <glib.h>

#include "yp-protocol.h"
#include "yps-hash-slots.h"
#include "yps-limits.h"

typedef struct {
    yps_backoff_t address;          /* failed sign-ins per client address */
    yps_backoff_t account;          /* failed sign-ins per account name */
    int64_t       register_max;     /* registrations per address and window */
    int64_t       register_window;
    int           hash_slots;       /* -1: half the workers; 0: no bound */
    double        password_min_bits;
    int64_t       trust_ttl;        /* how long a sign-in vouches for its address */
} yps_guard_config_t;

typedef struct yps_guard_s {
    yps_guard_config_t  cfg;
    yps_limits_t       *limits;
    yps_hash_slots_t    slots;
} yps_guard_t;

/* One guarded password check, from begin to end. */
typedef struct {
    char address[80];       /* limiter key of the client address */
    char account[48];       /* limiter key of the account, "" when not counted */
    char trust[128];        /* mark key "this address signed in to this account" */
    bool slot;
    bool keep_slot;         /* on success, the caller hashes next and releases */
} yps_guard_attempt_t;

/* The defaults, and the command line options that change them. */
void          yps_guard_config_init(yps_guard_config_t *cfg);
GOptionGroup *yps_guard_option_group(yps_guard_config_t *cfg);
/* Checks CFG and resolves the default number of slots for WORKERS. */
bool          yps_guard_config_finish(yps_guard_config_t *cfg, int workers, GError **error);

/* Opens the limiter DATA_DIR/limits.db and the slots under DATA_DIR/run. */
yps_guard_t  *yps_guard_open(const yps_guard_config_t *cfg, const char *data_dir,
                             GError **error);
void          yps_guard_close(yps_guard_t *guard);

/* Before checking a password of USERNAME (NULL: a name that cannot exist,
 * counted for the address only, without hashing) sent from ADDRESS
 * (REMOTE_ADDR). RATE_LIMITED or UNAVAILABLE come with *RETRY_AFTER. */
yp_status_t   yps_guard_login_begin(yps_guard_t *guard, const char *address,
                                    const char *username, int64_t now,
                                    yps_guard_attempt_t *attempt, int64_t *retry_after);
/* After it: a right password takes the attempt back, forgets the account's
 * failures and remembers the address for the account. Releases the slot,
 * unless a successful ATTEMPT has keep_slot set (yps_guard_hash_end then). */
void          yps_guard_login_end(yps_guard_t *guard, yps_guard_attempt_t *attempt,
                                  bool success, int64_t now);

/* USERNAME's password changed, or its owner signed out everywhere: no
 * address is trusted for the account any more but ADDRESS (NULL: none),
 * which has just proved the password. */
void          yps_guard_forget_trust(yps_guard_t *guard, const char *username,
                                     const char *address, int64_t now);

/* Before hashing a new account's password: a hashing slot and one
 * registration of ADDRESS's window. yps_guard_hash_end releases the slot. */
yp_status_t   yps_guard_register_begin(yps_guard_t *guard, const char *address, int64_t now,
                                       int64_t *retry_after);
void          yps_guard_hash_end(yps_guard_t *guard);

/* The limiter key of a client address: IPv4 as it is, IPv6 by its /64,
 * which one subscriber usually holds whole. */
void          yps_guard_address_key(const char *address, char *key, size_t len);

#endif
