/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <gio/gio.h>

#include "yps-guard.h"
#include "yps-pwquality.h"

/* Seconds a client that found no hashing slot is asked to wait. */
#define YPS_GUARD_BUSY_RETRY 1

/* ------------------------------------------------------------------------
 * Configuration
 * ------------------------------------------------------------------------ */

void
yps_guard_config_init(yps_guard_config_t *cfg)
{
    /* an address (a household, an office behind NAT) may mistype more
     * often than one account's owner, but is held back longer */
    *cfg = (yps_guard_config_t) {
        .address = { .free = 20, .base = 1, .cap = 900, .forget = 12 * 3600 },
        .account = { .free = 5, .base = 1, .cap = 300, .forget = 12 * 3600 },
        .register_max = 100,
        .register_window = 3600,
        .hash_slots = -1,
        .password_min_bits = YPS_PASSWORD_MIN_BITS_DEFAULT,
        .trust_ttl = 30 * 24 * 3600,
    };
}

GOptionGroup *
yps_guard_option_group(yps_guard_config_t *cfg)
{
    GOptionEntry entries[] = {
        { "login-tries-account", 0, 0, G_OPTION_ARG_INT64, &cfg->account.free,
          "Failed sign-ins to one account before delays start (default 5)", "N" },
        { "login-tries-address", 0, 0, G_OPTION_ARG_INT64, &cfg->address.free,
          "Failed sign-ins from one address before delays start (default 20)", "N" },
        { "login-delay-max-account", 0, 0, G_OPTION_ARG_INT64, &cfg->account.cap,
          "Longest delay for one account, seconds (default 300)", "S" },
        { "login-delay-max-address", 0, 0, G_OPTION_ARG_INT64, &cfg->address.cap,
          "Longest delay for one address, seconds (default 900)", "S" },
        { "login-forget", 0, 0, G_OPTION_ARG_INT64, &cfg->account.forget,
          "Seconds after which failed sign-ins are forgotten (default 43200)", "S" },
        { "register-limit", 0, 0, G_OPTION_ARG_INT64, &cfg->register_max,
          "Registrations per address and window (default 100)", "N" },
        { "register-window", 0, 0, G_OPTION_ARG_INT64, &cfg->register_window,
          "The registration window, seconds (default 3600)", "S" },
        { "hash-slots", 0, 0, G_OPTION_ARG_INT, &cfg->hash_slots,
          "Password hashes in flight at once (default half the workers; 0: no bound)", "N" },
        { "password-min-bits", 0, 0, G_OPTION_ARG_DOUBLE, &cfg->password_min_bits,
          "Least zxcvbn strength of a new password, log2 of guesses (default 20)", "B" },
        { NULL },
    };
    GOptionGroup *group = g_option_group_new("guard", "Defences against guessing and floods:",
                                             "Show the options of the defences", NULL, NULL);

    g_option_group_add_entries(group, entries);
    return group;
}

bool
yps_guard_config_finish(yps_guard_config_t *cfg, int workers, GError **error)
{
    cfg->address.forget = cfg->account.forget;
    if (cfg->account.free < 1 || cfg->address.free < 1 || cfg->account.cap < 1
        || cfg->address.cap < 1 || cfg->account.forget < 1 || cfg->register_max < 1
        || cfg->register_window < 1 || cfg->hash_slots < -1 || cfg->hash_slots > 1024
        || cfg->password_min_bits < 0) {
        g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                    "--login-*, --register-*: at least 1; --hash-slots 0..1024; "
                    "--password-min-bits >= 0");
        return false;
    }
    if (cfg->hash_slots < 0) {
        /* --workers 0 (spawn-fcgi -F N): the number of processes is unknown */
        cfg->hash_slots = MAX(1, workers / 2);
    }
    return true;
}

/* ------------------------------------------------------------------------
 * Opening
 * ------------------------------------------------------------------------ */

yps_guard_t *
yps_guard_open(const yps_guard_config_t *cfg, const char *data_dir, GError **error)
{
    g_autofree char *db = g_build_filename(data_dir, "limits.db", NULL);
    g_autofree char *run = g_build_filename(data_dir, "run", NULL);
    yps_guard_t *guard = g_new0(yps_guard_t, 1);

    guard->cfg = *cfg;
    guard->slots.held = -1;
    if (g_mkdir_with_parents(run, 0700) != 0) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "mkdir %s: %s", run,
                    g_strerror(errno));
        yps_guard_close(guard);
        return NULL;
    }
    guard->limits = yps_limits_sqlite_open(db, error);
    if (guard->limits == NULL
        || !yps_hash_slots_open(&guard->slots, run, MAX(cfg->hash_slots, 0), error)) {
        yps_guard_close(guard);
        return NULL;
    }
    return guard;
}

void
yps_guard_close(yps_guard_t *guard)
{
    if (guard == NULL) {
        return;
    }
    if (guard->limits) {
        guard->limits->ops->close(guard->limits);
    }
    yps_hash_slots_close(&guard->slots);
    g_free(guard);
}

/* ------------------------------------------------------------------------
 * Keys
 * ------------------------------------------------------------------------ */

void
yps_guard_address_key(const char *address, char *key, size_t len)
{
    struct in6_addr a6;

    if (address == NULL || *address == '\0') {
        /* no address (not behind nginx): one shared bucket */
        snprintf(key, len, "a:-");
    } else if (strchr(address, ':') != NULL && inet_pton(AF_INET6, address, &a6) == 1
               && !IN6_IS_ADDR_V4MAPPED(&a6)) {
        snprintf(key, len, "a:%02x%02x:%02x%02x:%02x%02x:%02x%02x::/64",
                 a6.s6_addr[0], a6.s6_addr[1], a6.s6_addr[2], a6.s6_addr[3],
                 a6.s6_addr[4], a6.s6_addr[5], a6.s6_addr[6], a6.s6_addr[7]);
    } else if (strchr(address, ':') != NULL && inet_pton(AF_INET6, address, &a6) == 1) {
        snprintf(key, len, "a:%u.%u.%u.%u", a6.s6_addr[12], a6.s6_addr[13], a6.s6_addr[14],
                 a6.s6_addr[15]);
    } else {
        snprintf(key, len, "a:%.64s", address);
    }
}

/* ------------------------------------------------------------------------
 * Sign-in
 * ------------------------------------------------------------------------ */

/* The mark key "ADDRESS_KEY (a limiter key, "a:..." of which the "a:" is
 * dropped) signed in to USERNAME", or with ADDRESS_KEY NULL the prefix of
 * every such key of USERNAME: ':' cannot be part of a username, so
 * "t:alice:" is alice's alone. */
static void
yps_guard_trust_key(const char *username, const char *address_key, char *key, size_t len)
{
    g_autofree char *name = g_ascii_strdown(username, -1);

    snprintf(key, len, "t:%s:%s", name, address_key ? address_key + 2 : "");
}

/* Counts the account's attempt unless ADDRESS vouches for it. */
static yp_status_t
yps_guard_count_account(yps_guard_t *guard, yps_guard_attempt_t *a, const char *username,
                        int64_t now, int64_t *retry_after)
{
    yps_limits_t *l = guard->limits;
    g_autofree char *name = g_ascii_strdown(username, -1);
    bool trusted = false;
    yp_status_t st;

    yps_guard_trust_key(username, a->address, a->trust, sizeof(a->trust));
    if ((st = l->ops->marked(l, a->trust, now, &trusted)) != YP_STATUS_OK) {
        return st;
    }
    if (trusted) {
        return YP_STATUS_OK;
    }
    snprintf(a->account, sizeof(a->account), "u:%s", name);
    st = l->ops->attempt(l, a->account, now, &guard->cfg.account, retry_after);
    if (st != YP_STATUS_OK) {
        a->account[0] = '\0';
    }
    return st;
}

/*
 * Called by the sign-in and password-change handlers before they look at the
 * password. The address is counted first, then the account, then a slot is
 * taken; whatever was counted is taken back when a later step refuses, since
 * no password was tried.
 */
yp_status_t
yps_guard_login_begin(yps_guard_t *guard, const char *address, const char *username,
                      int64_t now, yps_guard_attempt_t *a, int64_t *retry_after)
{
    yps_limits_t *l = guard->limits;
    yp_status_t st;

    memset(a, 0, sizeof(*a));
    *retry_after = 0;
    yps_guard_address_key(address, a->address, sizeof(a->address));
    if ((st = l->ops->attempt(l, a->address, now, &guard->cfg.address, retry_after))
        != YP_STATUS_OK) {
        a->address[0] = '\0';
        return st;
    }
    if (username == NULL) {
        return YP_STATUS_OK;
    }
    if ((st = yps_guard_count_account(guard, a, username, now, retry_after)) != YP_STATUS_OK) {
        l->ops->refund(l, a->address, now, false);
        a->address[0] = '\0';
        return st;
    }
    if (!yps_hash_slot_acquire(&guard->slots)) {
        l->ops->refund(l, a->address, now, false);
        if (a->account[0]) {
            l->ops->refund(l, a->account, now, false);
        }
        memset(a, 0, sizeof(*a));
        *retry_after = YPS_GUARD_BUSY_RETRY;
        return YP_STATUS_UNAVAILABLE;
    }
    a->slot = true;
    return YP_STATUS_OK;
}

void
yps_guard_login_end(yps_guard_t *guard, yps_guard_attempt_t *a, bool success, int64_t now)
{
    yps_limits_t *l = guard->limits;

    if (a->slot && !(success && a->keep_slot)) {
        yps_hash_slot_release(&guard->slots);
    }
    a->slot = false;
    if (!success) {
        return;
    }
    /* a right password is no failure; the owner's earlier typos do not
     * matter any more, but the address keeps the failures it had, or one
     * valid account would wipe an attacker's record */
    if (a->address[0]) {
        l->ops->refund(l, a->address, now, false);
    }
    if (a->account[0]) {
        l->ops->refund(l, a->account, now, true);
    }
    if (a->trust[0]) {
        l->ops->mark(l, a->trust, now + guard->cfg.trust_ttl);
    }
}

/*
 * Called by the password-change and sign-out-everywhere handlers: every
 * address that signed in with the old password stops vouching for the
 * account, since one of them may be an intruder's who is now shut out.
 * ADDRESS (REMOTE_ADDR; NULL for none) has just proved the password and
 * stays trusted. A store that fails is logged by the limiter; the change
 * itself stands.
 */
void
yps_guard_forget_trust(yps_guard_t *guard, const char *username, const char *address,
                       int64_t now)
{
    yps_limits_t *l = guard->limits;
    char prefix[128], key[80], trust[128];

    yps_guard_trust_key(username, NULL, prefix, sizeof(prefix));
    if (l->ops->unmark(l, prefix) != YP_STATUS_OK || address == NULL) {
        return;
    }
    yps_guard_address_key(address, key, sizeof(key));
    yps_guard_trust_key(username, key, trust, sizeof(trust));
    l->ops->mark(l, trust, now + guard->cfg.trust_ttl);
}

/* ------------------------------------------------------------------------
 * Registration
 * ------------------------------------------------------------------------ */

yp_status_t
yps_guard_register_begin(yps_guard_t *guard, const char *address, int64_t now,
                         int64_t *retry_after)
{
    yps_limits_t *l = guard->limits;
    char key[96], addr[80];
    yp_status_t st;

    *retry_after = 0;
    if (!yps_hash_slot_acquire(&guard->slots)) {
        *retry_after = YPS_GUARD_BUSY_RETRY;
        return YP_STATUS_UNAVAILABLE;
    }
    yps_guard_address_key(address, addr, sizeof(addr));
    snprintf(key, sizeof(key), "r:%s", addr + 2);
    st = l->ops->hit(l, key, now, guard->cfg.register_window, guard->cfg.register_max,
                     retry_after);
    if (st != YP_STATUS_OK) {
        yps_hash_slot_release(&guard->slots);
    }
    return st;
}

void
yps_guard_hash_end(yps_guard_t *guard)
{
    yps_hash_slot_release(&guard->slots);
}
