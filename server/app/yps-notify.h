/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * yps-notify.h: wake-ups for sync clients.
 *
 * After a mutation commits, the worker publishes {"cursor":N} to the user's
 * nchan channel through nginx's publisher socket. Delivery is best effort:
 * clients always read the change feed after (re)connecting, so a lost
 * message only delays them until their next reconnect.
 */
#ifndef YPS_NOTIFY_H
#define YPS_NOTIFY_H

#include <stdbool.h>
#include <stdint.h>

bool yps_notify_publish(const char *socket_path, int64_t user_id, int64_t cursor);

#endif
