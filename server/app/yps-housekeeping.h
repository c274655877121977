/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * yps-housekeeping.h: the master's periodic chores.
 *
 * Every --housekeeping-interval seconds the master forks a short-lived
 * child that opens the stores, runs each task of a table once and exits, so
 * the master itself never holds a SQLite connection across a fork and a
 * slow chore never delays replacing a dead worker. Adding a chore is one
 * entry in the table in yps-housekeeping.c.
 */
#ifndef YPS_HOUSEKEEPING_H
#define YPS_HOUSEKEEPING_H

#include <signal.h>
#include <stdint.h>
#include <sys/types.h>

#include "yps-server.h"

/* Forks the child that runs every task once; its pid, or -1. OLD_MASK is
 * the signal mask to restore in the child. */
pid_t yps_housekeeping_spawn(const yps_options_t *opt, const sigset_t *old_mask);

/* Runs every task once against SRV's open stores, as of NOW; returns how
 * many failed. The child's body, callable on its own. */
int   yps_housekeeping_run(yps_server_t *srv, int64_t now);

#endif
