/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * yps-server.h: the options a worker runs with and opening its stores.
 *
 * yunpan-server's main and the fuzz targets (tests/fuzz/) open a server the
 * same way, so a fuzzer exercises exactly what a worker serves with.
 */
#ifndef YPS_SERVER_H
#define YPS_SERVER_H

#include <stdbool.h>
#include <signal.h>
#include <stdint.h>
#include <sys/types.h>

#include <glib.h>

#include "yps-guard.h"
#include "yps-request.h"

typedef struct {
    char   *data_dir;
    int     workers;
    int64_t upload_ttl;
    int64_t max_chunk;          /* the largest chunk an upload takes */
    int64_t token_ttl;
    int64_t quota;              /* default per-account quota in bytes; 0: none */
    int64_t instant_min_size;   /* cross-user instant upload from this size on */
    int64_t instant_budget;     /* cross-user challenges per account and hour */
    int64_t change_retention;   /* seconds the change log keeps an entry */
    int64_t proof_rate;         /* bytes a second a wrong proof's answer is held to */
    int     proof_slots;        /* proofs of possession checked at once */
    int     thumb_slots;        /* thumbnails made at once; 0: no bound */
    char   *set_quota;          /* USER=SIZE: set a quota and exit */
    char   *user;               /* started as root: the user to become */
    yps_guard_config_t guard;   /* sign-in limits, hashing slots, password strength */
    int64_t housekeeping_interval;  /* seconds between the master's chores */
    int64_t idempotency_ttl;        /* seconds an Idempotency-Key's answer is kept */
    int64_t idempotency_takeover;   /* seconds until an unanswered key may be taken over */
} yps_options_t;

/* Fills SRV from OPT and opens its metadata and blob stores under
 * opt->data_dir. On failure SRV may be half-open: close it anyway. */
bool yps_server_open(yps_server_t *srv, const yps_options_t *opt, GError **error);

/* Closes what yps_server_open opened; safe on a zeroed or half-open SRV. */
void yps_server_close(yps_server_t *srv);

/* fork() for the master's children (workers, housekeeping): in the child,
 * which gets SIGTERM should the master die and the default SIGTERM/SIGINT
 * actions with OLD_MASK restored, it returns 0; in the master the child's
 * pid, or -1. */
pid_t yps_fork_child(const sigset_t *old_mask);

#endif
