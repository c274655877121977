/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * yps-idempotency.h: Idempotency-Key, so that a client whose answer was
 * lost can send the same change again and get the first answer instead of
 * a second change.
 *
 * Before the handler runs, the key is reserved for the request's
 * fingerprint in a transaction of its own (the metadata store's
 * idem_reserve); after it, the answer is kept with the key. A repeat of an
 * answered request gets that answer with "Idempotent-Replayed: true" and
 * the handler does not run; a repeat while the first runs is told to come
 * back; a reservation left by a worker that died is taken over after
 * srv->idempotency_takeover seconds. Answers of the server's failures
 * (5xx) and of 429 are not kept: those requests are meant to be retried.
 * docs/protocol.md ("Idempotency") states the rules, docs/server.md the
 * window they leave after a crash.
 */
#ifndef YPS_IDEMPOTENCY_H
#define YPS_IDEMPOTENCY_H

#include <stdbool.h>

#include "yps-request.h"

/* The largest answer kept for a key: that of a batch of 1000 entries, each
 * a node with a path of up to 4 KiB, can pass 64 KiB by far. */
#define YPS_IDEM_ANSWER_MAX (1024 * 1024)

/* For an authenticated request whose body has been read: reserves its
 * Idempotency-Key, if it sent one, or fills r->replay with the answer kept
 * for it. SECRET_BODY: the body holds passwords, so only a digest keyed
 * with the session's token enters the fingerprint. An error status when
 * the key is malformed, used for another request, or still in use. */
yp_status_t yps_idempotency_begin(yps_req_t *r, bool secret_body);

/* After the handler: keeps the answer (status HTTP, JSON text BODY) for the
 * key R reserved, or gives the key back when the request must run again. */
void        yps_idempotency_end(yps_req_t *r, int http, const char *body);

/* Writes r->replay, the answer kept for a repeated request. */
void        yps_idempotency_replay(yps_req_t *r);

#endif
