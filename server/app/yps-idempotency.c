/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <string.h>

#include <sodium.h>

#include "yps-idempotency.h"

#define YPS_IDEM_KEY_MAX 64

/* 1 to 64 of A-Z a-z 0-9 - _: what a client's random key is made of, and
 * nothing a log line or a header could be confused by. */
static bool
yps_idem_key_valid(const char *key)
{
    size_t n = 0;

    for (; key[n] != '\0'; n++) {
        if (n == YPS_IDEM_KEY_MAX || (!g_ascii_isalnum(key[n]) && key[n] != '-'
                                      && key[n] != '_')) {
            return false;
        }
    }
    return n > 0;
}

/*
 * The body's part of the fingerprint. A body that holds passwords is
 * digested with HMAC keyed by the session's token, which the store never
 * sees (it keeps the token's SHA-256): a plain SHA-256 of it would let
 * whoever reads the database test password guesses at SHA-256's speed
 * instead of Argon2id's.
 */
static void
yps_idem_body_digest(yps_req_t *r, bool secret_body, uint8_t out[32])
{
    const unsigned char *body = (const unsigned char *) (r->body_text ? r->body_text : "");
    const char *auth = yps_param(r, "HTTP_AUTHORIZATION");
    crypto_auth_hmacsha256_state hmac;

    if (!secret_body || auth == NULL || strlen(auth) < 7) {
        crypto_hash_sha256(out, body, r->body_len);
        return;
    }
    /* authenticated: "Bearer <token>" */
    crypto_auth_hmacsha256_init(&hmac, (const unsigned char *) auth + 7, strlen(auth + 7));
    crypto_auth_hmacsha256_update(&hmac, body, r->body_len);
    crypto_auth_hmacsha256_final(&hmac, out);
    sodium_memzero(&hmac, sizeof(hmac));
}

static void
yps_idem_hash_field(crypto_hash_sha256_state *h, const char *field)
{
    /* with its NUL, so that no two lists of fields hash alike */
    crypto_hash_sha256_update(h, (const unsigned char *) field, strlen(field) + 1);
}

/* What makes two requests the same request: method, path, query, body. */
static void
yps_idem_fingerprint(yps_req_t *r, bool secret_body, uint8_t out[32])
{
    const char *query = yps_param(r, "QUERY_STRING");
    crypto_hash_sha256_state h;
    uint8_t body[32];

    yps_idem_body_digest(r, secret_body, body);
    crypto_hash_sha256_init(&h);
    yps_idem_hash_field(&h, r->method);
    yps_idem_hash_field(&h, r->uri);
    yps_idem_hash_field(&h, query ? query : "");
    crypto_hash_sha256_update(&h, body, sizeof(body));
    crypto_hash_sha256_final(&h, out);
}

yp_status_t
yps_idempotency_begin(yps_req_t *r, bool secret_body)
{
    yps_server_t *srv = r->srv;
    const char *key = yps_param(r, "HTTP_IDEMPOTENCY_KEY");
    int64_t now = g_get_real_time() / G_USEC_PER_SEC;
    yp_status_t st;

    if (key == NULL) {
        return YP_STATUS_OK;
    }
    if (!yps_idem_key_valid(key)) {
        return yps_fail(r, YP_STATUS_INVALID_ARGUMENT,
                        "Idempotency-Key: 1 to %d letters, digits, '-' or '_'", YPS_IDEM_KEY_MAX);
    }
    r->idem.user_id = r->user_id;
    g_strlcpy(r->idem.key, key, sizeof(r->idem.key));
    randombytes_buf(&r->idem.owner, sizeof(r->idem.owner));
    yps_idem_fingerprint(r, secret_body, r->idem.fingerprint);
    st = srv->meta->ops->idem_reserve(srv->meta, &r->idem, now, now - srv->idempotency_ttl,
                                      now - srv->idempotency_takeover, &r->replay);
    if (st != YP_STATUS_OK || r->replay.http != 0) {
        /* nothing reserved: nothing to keep afterwards */
        r->idem.key[0] = '\0';
    }
    if (st == YP_STATUS_REQUEST_IN_PROGRESS) {
        r->error_extra = json_object_new();
        json_object_set_int_member(r->error_extra, "retry_after", 1);
    }
    return st;
}

void
yps_idempotency_end(yps_req_t *r, int http, const char *body)
{
    yps_meta_t *meta = r->srv->meta;
    const char *lost = NULL;
    yp_status_t st;

    if (r->idem.key[0] == '\0') {
        return;
    }
    if (http >= 500 || http == 429) {
        /* the server failed, or asked to be asked again later: the repeat
         * is the retry these answers call for */
        st = meta->ops->idem_release(meta, &r->idem);
    } else if (body != NULL && strlen(body) > YPS_IDEM_ANSWER_MAX) {
        lost = "too large to keep";
        st = meta->ops->idem_release(meta, &r->idem);
    } else {
        st = meta->ops->idem_answer(meta, &r->idem, http, body);
        lost = st == YP_STATUS_NOT_FOUND ? "taken over by a retry meanwhile" : NULL;
    }
    if (lost != NULL || (st != YP_STATUS_OK && st != YP_STATUS_NOT_FOUND)) {
        g_warning("%s %s of user %" G_GINT64_FORMAT ": the answer (%d) to its Idempotency-Key"
                  " is not kept: %s", r->method, r->uri, r->user_id, http,
                  lost ? lost : yp_status_message(st));
    }
}

void
yps_idempotency_replay(yps_req_t *r)
{
    if (r->headers == NULL) {
        r->headers = g_string_new(NULL);
    }
    g_string_append(r->headers, "Idempotent-Replayed: true\r\n");
    /* the repeat itself succeeded, whatever status it replays */
    yps_respond_text(r, YP_STATUS_OK, r->replay.http, r->replay.body);
}
