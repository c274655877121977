/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * yps-notify.h: wake-ups for sync clients, and the end of a session's
 * event streams.
 *
 * After a mutation commits, the worker publishes {"cursor":N} to the user's
 * nchan channel u<id> through nginx's publisher socket. Delivery is best
 * effort: clients always read the change feed after (re)connecting, so a
 * lost message only delays them until their next reconnect.
 *
 * Every event stream also listens to a control channel of its own session
 * (nchan multiplexing), named from the token hash on the server side only
 * (yps_notify_session_channel): nginx takes the name from the events
 * authorization's answer, never from the client. When a session ends
 * (logout, sign out everywhere, a new password, expiry) the worker deletes
 * that control channel, and nchan ends the streams subscribed to it: a
 * revoked token stops hearing at once, while the user's other devices keep
 * their streams and are not disturbed at all.
 */
#ifndef YPS_NOTIFY_H
#define YPS_NOTIFY_H

#include <stdbool.h>
#include <stdint.h>

/* "s" and 32 hex digits, with the NUL */
#define YPS_SESSION_CHANNEL_SIZE 34

bool yps_notify_publish(const char *socket_path, int64_t user_id, int64_t cursor);

/* The control channel of the session whose token hashes to TOKEN_HASH. */
void yps_notify_session_channel(const uint8_t token_hash[32],
                                char channel[YPS_SESSION_CHANNEL_SIZE]);

/* Ends the event streams of the session TOKEN_HASH names (DELETE of its
 * control channel); the user's other streams are untouched. */
bool yps_notify_end_session(const char *socket_path, const uint8_t token_hash[32]);

/* The same for each of COUNT sessions, TOKEN_HASHES holding 32 bytes each. */
void yps_notify_end_sessions(const char *socket_path, const uint8_t *token_hashes,
                             unsigned count);

#endif
