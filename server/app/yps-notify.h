/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * yps-notify.h: wake-ups for sync clients.
 *
 * After a mutation commits, the worker publishes {"cursor":N} to the user's
 * nchan channel through nginx's publisher socket. Delivery is best effort:
 * clients always read the change feed after (re)connecting, so a lost
 * message only delays them until their next reconnect.
 *
 * When sessions end (logout, sign out everywhere, a new password, expiry)
 * the worker deletes the user's channel instead: nchan then ends every
 * open stream of that user, so a revoked token stops hearing at once. The
 * user's other devices reconnect and are authorized afresh.
 */
#ifndef YPS_NOTIFY_H
#define YPS_NOTIFY_H

#include <stdbool.h>
#include <stdint.h>

bool yps_notify_publish(const char *socket_path, int64_t user_id, int64_t cursor);

/* Ends every subscriber of user USER_ID's channel (DELETE /pub/u<id>). */
bool yps_notify_close(const char *socket_path, int64_t user_id);

#endif
