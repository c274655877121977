/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * yps-request.h: one FastCGI request and its reply.
 *
 * Handlers read the query, the JSON body and the caller through the helpers
 * here, which validate types and bounds and name the offending field in the
 * error message; they answer by filling r->reply (a JSON object) or by
 * returning an error status.
 */
#ifndef YPS_REQUEST_H
#define YPS_REQUEST_H

#include <stdbool.h>
#include <stdint.h>

#include <fcgiapp.h>
#include <json-glib/json-glib.h>

#include "yp-protocol.h"
#include "yps-blob.h"
#include "yps-hash-slots.h"
#include "yps-limits.h"
#include "yps-meta.h"

typedef void (*yps_deferred_fn_t)(void *data);

typedef struct {
    char         *data_dir;
    char         *uploads_dir;
    char         *publish_socket;
    int64_t       upload_ttl;
    int64_t       max_chunk;        /* bytes a chunk may have (nginx's limit too) */
    int64_t       token_ttl;
    int64_t       default_quota;    /* bytes per account unless it has its own; 0: none */
    int64_t       instant_min_size; /* smaller files dedupe only against their owner's */
    int64_t       instant_budget;   /* cross-user challenges per account and hour; 0: none */
    int64_t       change_retention; /* seconds the change log keeps an entry */
    int64_t       proof_rate;       /* bytes a second: how late a wrong proof is answered */
    int64_t       idempotency_ttl;  /* seconds an Idempotency-Key's answer is kept */
    int64_t       idempotency_takeover; /* seconds before an unanswered key may be retried */
    yps_hash_slots_t proof_slots;   /* bounds the proofs checked at once */
    yps_hash_slots_t thumb_slots;   /* bounds the thumbnails made at once */
    yps_meta_t   *meta;
    yps_blob_t   *blob;
    yps_limits_t *limits;
    struct yps_guard_s *guard;      /* sign-in defences (auth/yps-guard.h) */
    GArray       *deferred;         /* yps_deferred_t: work for after the reply */
} yps_server_t;

typedef struct {
    yps_server_t *srv;
    FCGX_Request *fcgi;
    const char   *method;
    const char   *uri;
    const char   *arg;          /* the '*' segment of the route, if any */
    char         *owned_name;   /* a name a helper had to copy out of its path */
    GHashTable   *query;
    JsonParser   *parser;
    JsonObject   *body;
    char         *body_text;    /* the JSON body as it came, for its fingerprint */
    size_t        body_len;

    /* the caller, for authenticated routes */
    int64_t       user_id;
    char         *username;
    int64_t       token_expires;
    uint8_t       token_hash[32];

    /* the Idempotency-Key this request holds (key "" when none), and the
     * answer kept for it when it is a repeat (replay.http 0 when not) */
    yps_idem_t    idem;
    yps_idem_answer_t replay;

    /* the reply */
    int           http_status;
    JsonObject   *reply;
    GString      *headers;      /* extra header lines, each ending in \r\n */
    bool          no_body;
    char          message[512];
    JsonObject   *error_extra;
} yps_req_t;

/* Records MESSAGE (printf-style) for the error reply and returns STATUS. */
yp_status_t yps_fail(yps_req_t *r, yp_status_t status, const char *fmt, ...) G_GNUC_PRINTF(3, 4);

const char *yps_param(yps_req_t *r, const char *name);

/* The reply object, created with HTTP status HTTP (200, 201). */
JsonObject *yps_reply(yps_req_t *r, int http);

/* For nginx's auth_request checks before a body is read: the answer to the
 * check, 204 when ADMITTED is OK (go ahead), else 403; and, asked again from
 * the refused location, ADMITTED as the real error, or 503 with message
 * RETRY when the request passes by now. */
yp_status_t yps_auth_request_answer(yps_req_t *r, yp_status_t admitted);
yp_status_t yps_auth_request_refused(yps_req_t *r, yp_status_t admitted, const char *retry);

/* Query parameters. A missing one leaves *OUT untouched and is OK unless
 * REQUIRED. */
yp_status_t yps_query_string(yps_req_t *r, const char *name, const char **out);
yp_status_t yps_query_int(yps_req_t *r, const char *name, int64_t min, int64_t max,
                          int64_t *out, bool *present);

/* JSON body members; null counts as missing. */
yp_status_t yps_body_string(yps_req_t *r, const char *name, bool required, const char **out);
yp_status_t yps_body_int(yps_req_t *r, const char *name, bool required, int64_t min,
                         int64_t max, int64_t *out, bool *present);
yp_status_t yps_body_bool(yps_req_t *r, const char *name, bool *out);
bool        yps_body_has(yps_req_t *r, const char *name);

/* Reads and parses the JSON body (at most YP_JSON_BODY_MAX bytes). */
yp_status_t yps_read_json_body(yps_req_t *r);
/* True when the JSON text escapes a NUL ("\u0000"), which json-glib would
 * silently cut the string at; for handlers that read their bodies
 * themselves. */
bool yps_json_has_nul_escape(const char *text);

/* Runs FN(DATA) once the reply has gone out (the worker calls
 * yps_run_deferred after finishing the request): work the client must not
 * wait for, or must not be able to time. */
void        yps_defer(yps_req_t *r, yps_deferred_fn_t fn, void *data);
void        yps_run_deferred(yps_server_t *srv);

/* The JSON text of the reply for STATUS, NULL when it has no body; *HTTP
 * gets its HTTP status. */
char       *yps_reply_text(yps_req_t *r, yp_status_t status, int *http);

/* Writes a reply of status HTTP with BODY (JSON text, or NULL) to the
 * FastCGI stream. STATUS chooses the headers that go with it: r->headers
 * on success, Retry-After on an error that says when to come back. */
void        yps_respond_text(yps_req_t *r, yp_status_t status, int http, const char *body);

/* Writes the reply for STATUS: yps_reply_text, then yps_respond_text. */
void        yps_respond(yps_req_t *r, yp_status_t status);

void        yps_req_clear(yps_req_t *r);

#endif
