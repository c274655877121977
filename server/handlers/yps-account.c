/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * yps-account.c: registration, sign-in, password change, sessions, and who
 * may subscribe to which event channel. Every password check goes through
 * the guard (auth/yps-guard.h) first.
 */
#include <stdio.h>
#include <string.h>

#include "yp-name.h"
#include "yps-auth.h"
#include "yps-guard.h"
#include "yps-handlers.h"
#include "yps-notify.h"
#include "yps-pwquality.h"

static JsonObject *
yps_user_json(int64_t id, const char *username)
{
    JsonObject *o = json_object_new();

    json_object_set_int_member(o, "id", id);
    json_object_set_string_member(o, "username", username);
    return o;
}

yp_status_t
yps_handle_health(yps_req_t *r)
{
    JsonObject *reply;
    yp_status_t st = r->srv->meta->ops->ping(r->srv->meta);

    if (st != YP_STATUS_OK) {
        return yps_fail(r, YP_STATUS_UNAVAILABLE, "The metadata store does not answer");
    }
    reply = yps_reply(r, 200);
    json_object_set_string_member(reply, "status", "ok");
    json_object_set_string_member(reply, "service", "yunpan");
    json_object_set_int_member(reply, "api", YP_API_VERSION);
    return YP_STATUS_OK;
}

static int64_t
yps_now(void)
{
    return g_get_real_time() / G_USEC_PER_SEC;
}

static yp_status_t
yps_read_credentials(yps_req_t *r, const char **username, const char **password)
{
    yp_status_t st = yps_body_string(r, "username", true, username);

    return st != YP_STATUS_OK ? st : yps_body_string(r, "password", true, password);
}

/*
 * Turns a refusal of the guard into its error: RATE_LIMITED and UNAVAILABLE
 * say when to come back, in the Retry-After header and as "retry_after"
 * seconds in the error object.
 */
static yp_status_t
yps_fail_retry(yps_req_t *r, yp_status_t st, int64_t retry_after)
{
    retry_after = MAX(retry_after, 1);
    g_clear_pointer(&r->error_extra, json_object_unref);
    r->error_extra = json_object_new();
    json_object_set_int_member(r->error_extra, "retry_after", retry_after);
    if (st == YP_STATUS_RATE_LIMITED) {
        return yps_fail(r, st, "Too many failed attempts; retry in %" G_GINT64_FORMAT " s",
                        retry_after);
    }
    return yps_fail(r, st, "The server is busy checking passwords; retry in %" G_GINT64_FORMAT
                    " s", retry_after);
}

/* Length, then strength: a new password for USERNAME, before any hashing. */
static yp_status_t
yps_check_new_password(yps_req_t *r, const char *password, const char *username)
{
    size_t len = strlen(password);
    char why[256];

    if (len < YP_PASSWORD_MIN || len > YP_PASSWORD_MAX) {
        return YP_STATUS_WEAK_PASSWORD;
    }
    if (!yps_password_strong(password, username, r->srv->guard->cfg.password_min_bits, why,
                             sizeof(why))) {
        return yps_fail(r, YP_STATUS_WEAK_PASSWORD, "%s", why);
    }
    return YP_STATUS_OK;
}

yp_status_t
yps_handle_register(yps_req_t *r)
{
    char pwhash[crypto_pwhash_STRBYTES];
    const char *username = NULL, *password = NULL;
    int64_t user_id = 0, retry_after = 0;
    bool hashed;
    yp_status_t st;

    if ((st = yps_read_credentials(r, &username, &password)) != YP_STATUS_OK) {
        return st;
    }
    if (!yp_username_is_valid(username)) {
        return YP_STATUS_INVALID_USERNAME;
    }
    if ((st = yps_check_new_password(r, password, username)) != YP_STATUS_OK) {
        return st;
    }
    st = yps_guard_register_begin(r->srv->guard, yps_param(r, "REMOTE_ADDR"), yps_now(),
                                  &retry_after);
    if (st != YP_STATUS_OK) {
        return yps_fail_retry(r, st, retry_after);
    }
    hashed = yps_password_hash(password, pwhash);
    yps_guard_hash_end(r->srv->guard);
    if (!hashed) {
        return yps_fail(r, YP_STATUS_UNAVAILABLE, "Out of memory hashing the password");
    }
    st = r->srv->meta->ops->user_create(r->srv->meta, username, pwhash, &user_id);
    sodium_memzero(pwhash, sizeof(pwhash));
    if (st != YP_STATUS_OK) {
        return st;
    }
    json_object_set_object_member(yps_reply(r, 201), "user", yps_user_json(user_id, username));
    return YP_STATUS_OK;
}

/*
 * Checks USERNAME's PASSWORD under the guard: counted per address and per
 * account before any hashing, inside a hashing slot. On success *USER_ID,
 * *CANONICAL are filled, and with KEEP_SLOT the hashing slot stays held for
 * the caller's own hash (yps_guard_hash_end). Used by sign-in and by
 * password change.
 */
static yp_status_t
yps_verify_guarded(yps_req_t *r, const char *username, const char *password, bool keep_slot,
                   int64_t *user_id, char **canonical)
{
    yps_meta_t *meta = r->srv->meta;
    const char *address = yps_param(r, "REMOTE_ADDR");
    g_autofree char *pwhash = NULL;
    yps_guard_attempt_t attempt;
    int64_t retry_after = 0, now = yps_now();
    bool valid = yp_username_is_valid(username);
    yp_status_t st;

    /* a name that breaks the rules cannot exist: no hash to spend on it */
    st = yps_guard_login_begin(r->srv->guard, address, valid ? username : NULL, now, &attempt,
                               &retry_after);
    if (st != YP_STATUS_OK) {
        return yps_fail_retry(r, st, retry_after);
    }
    if (!valid) {
        yps_guard_login_end(r->srv->guard, &attempt, false, now);
        return YP_STATUS_INVALID_CREDENTIALS;
    }
    st = meta->ops->user_find(meta, username, user_id, canonical, &pwhash);
    if (st != YP_STATUS_OK && st != YP_STATUS_NOT_FOUND) {
        yps_guard_login_end(r->srv->guard, &attempt, false, now);
        return st;
    }
    /* unknown users cost a verification too */
    if (!yps_password_verify(pwhash, password) || st != YP_STATUS_OK) {
        yps_guard_login_end(r->srv->guard, &attempt, false, now);
        g_clear_pointer(canonical, g_free);
        return YP_STATUS_INVALID_CREDENTIALS;
    }
    attempt.keep_slot = keep_slot;
    yps_guard_login_end(r->srv->guard, &attempt, true, now);
    return YP_STATUS_OK;
}

yp_status_t
yps_handle_login(yps_req_t *r)
{
    yps_meta_t *meta = r->srv->meta;
    const char *username = NULL, *password = NULL;
    g_autofree char *canonical = NULL;
    char token[YPS_TOKEN_TEXT];
    uint8_t token_hash[32];
    int64_t user_id = 0, expires;
    JsonObject *reply;
    yp_status_t st;

    if ((st = yps_read_credentials(r, &username, &password)) != YP_STATUS_OK) {
        return st;
    }
    if ((st = yps_verify_guarded(r, username, password, false, &user_id, &canonical))
        != YP_STATUS_OK) {
        return st;
    }
    expires = yps_now() + r->srv->token_ttl;
    yps_token_new(token, token_hash);
    if ((st = meta->ops->session_create(meta, user_id, token_hash, expires)) != YP_STATUS_OK) {
        return st;
    }
    reply = yps_reply(r, 200);
    json_object_set_string_member(reply, "token", token);
    json_object_set_int_member(reply, "expires", expires);
    json_object_set_object_member(reply, "user", yps_user_json(user_id, canonical));
    sodium_memzero(token, sizeof(token));
    return YP_STATUS_OK;
}

yp_status_t
yps_handle_logout(yps_req_t *r)
{
    yp_status_t st = r->srv->meta->ops->session_delete(r->srv->meta, r->token_hash);

    if (st != YP_STATUS_OK) {
        return st;
    }
    /* the streams this token opened end; the user's other streams stay */
    yps_notify_end_session(r->srv->publish_socket, r->token_hash);
    yps_reply(r, 200);
    return YP_STATUS_OK;
}

/* Ends the event streams of the sessions whose token hashes ENDED holds. */
static void
yps_end_streams(yps_req_t *r, GArray *ended)
{
    yps_notify_end_sessions(r->srv->publish_socket, (const uint8_t *) ended->data, ended->len);
}

yp_status_t
yps_handle_logout_all(yps_req_t *r)
{
    g_autoptr(GArray) ended = g_array_new(FALSE, FALSE, 32);
    yp_status_t st = r->srv->meta->ops->session_delete_user(r->srv->meta, r->user_id, NULL,
                                                            ended);

    if (st != YP_STATUS_OK) {
        return st;
    }
    yps_end_streams(r, ended);
    yps_guard_forget_trust(r->srv->guard, r->username, NULL, yps_now());
    yps_reply(r, 200);
    return YP_STATUS_OK;
}

/*
 * POST account/password: the old password is checked under the same limits
 * as a sign-in, the new one for strength before anything is counted; then
 * the new hash replaces the old and every other session ends.
 */
yp_status_t
yps_handle_password(yps_req_t *r)
{
    const char *old_password = NULL, *new_password = NULL;
    g_autofree char *canonical = NULL;
    g_autoptr(GArray) ended = g_array_new(FALSE, FALSE, 32);
    char pwhash[crypto_pwhash_STRBYTES];
    int64_t user_id = 0;
    bool hashed;
    yp_status_t st;

    if ((st = yps_body_string(r, "old_password", true, &old_password)) != YP_STATUS_OK
        || (st = yps_body_string(r, "new_password", true, &new_password)) != YP_STATUS_OK
        || (st = yps_check_new_password(r, new_password, r->username)) != YP_STATUS_OK) {
        return st;
    }
    if ((st = yps_verify_guarded(r, r->username, old_password, true, &user_id, &canonical))
        != YP_STATUS_OK) {
        return st == YP_STATUS_INVALID_CREDENTIALS
               ? yps_fail(r, st, "The old password is wrong") : st;
    }
    /* the slot of the verification is still held for the new hash */
    hashed = user_id == r->user_id && yps_password_hash(new_password, pwhash);
    yps_guard_hash_end(r->srv->guard);
    if (user_id != r->user_id) {
        return YP_STATUS_UNAUTHORIZED;
    }
    if (!hashed) {
        return yps_fail(r, YP_STATUS_UNAVAILABLE, "Out of memory hashing the password");
    }
    st = r->srv->meta->ops->user_set_password(r->srv->meta, r->user_id, pwhash, r->token_hash,
                                              ended);
    sodium_memzero(pwhash, sizeof(pwhash));
    if (st != YP_STATUS_OK) {
        return st;
    }
    /* the other sessions' streams end; this session's stream hears on */
    yps_end_streams(r, ended);
    yps_guard_forget_trust(r->srv->guard, r->username, yps_param(r, "REMOTE_ADDR"), yps_now());
    yps_reply(r, 200);
    return YP_STATUS_OK;
}

yp_status_t
yps_handle_whoami(yps_req_t *r)
{
    yps_usage_t usage = { 0 };
    int64_t root_id, cursor, quota;
    JsonObject *reply;
    yp_status_t st = r->srv->meta->ops->user_state(r->srv->meta, r->user_id, &root_id, &cursor);

    if (st != YP_STATUS_OK
        || (st = r->srv->meta->ops->user_usage(r->srv->meta, r->user_id, &usage))
           != YP_STATUS_OK) {
        return st;
    }
    quota = usage.quota >= 0 ? usage.quota : r->srv->default_quota;
    reply = yps_reply(r, 200);
    json_object_set_int_member(reply, "used", usage.used);
    if (quota > 0) {
        json_object_set_int_member(reply, "quota", quota);
    } else {
        json_object_set_null_member(reply, "quota");
    }
    json_object_set_object_member(reply, "user", yps_user_json(r->user_id, r->username));
    json_object_set_int_member(reply, "root_id", root_id);
    json_object_set_int_member(reply, "cursor", cursor);
    json_object_set_int_member(reply, "expires", r->token_expires);
    return YP_STATUS_OK;
}

yp_status_t
yps_authenticate(yps_req_t *r)
{
    const char *header = yps_param(r, "HTTP_AUTHORIZATION");
    yp_status_t st;

    if (header == NULL || g_ascii_strncasecmp(header, "Bearer ", 7) != 0) {
        return yps_fail(r, YP_STATUS_UNAUTHORIZED, "Send Authorization: Bearer <token>");
    }
    if (!yps_token_hash(header + 7, r->token_hash)) {
        return YP_STATUS_UNAUTHORIZED;
    }
    st = r->srv->meta->ops->session_find(r->srv->meta, r->token_hash, yps_now(), &r->user_id,
                                         &r->username, &r->token_expires);
    if (st == YP_STATUS_TOKEN_EXPIRED) {
        /* the store has just forgotten it, so housekeeping will not see it:
         * end the streams it may hold now */
        yps_notify_end_session(r->srv->publish_socket, r->token_hash);
    }
    return st == YP_STATUS_NOT_FOUND ? YP_STATUS_UNAUTHORIZED : st;
}

/*
 * Whether the caller may subscribe to the channel in YP_ORIGINAL_URI
 * (/api/v1/events/<channel>): only the owner of channel u<id> may.
 */
static yp_status_t
yps_events_admit(yps_req_t *r)
{
    const char *uri = yps_param(r, "YP_ORIGINAL_URI");
    static const char prefix[] = YP_API_PREFIX "/events/";
    char expected[32];
    const char *channel;
    size_t channel_len;
    yp_status_t st;

    if ((st = yps_authenticate(r)) != YP_STATUS_OK) {
        return st;
    }
    if (uri == NULL || strncmp(uri, prefix, sizeof(prefix) - 1) != 0) {
        return YP_STATUS_FORBIDDEN;
    }
    channel = uri + sizeof(prefix) - 1;
    channel_len = strcspn(channel, "?");
    snprintf(expected, sizeof(expected), "u%" G_GINT64_FORMAT, r->user_id);
    if (channel_len != strlen(expected) || strncmp(channel, expected, channel_len) != 0) {
        return yps_fail(r, YP_STATUS_FORBIDDEN, "Not your event channel");
    }
    return YP_STATUS_OK;
}

/*
 * nginx asks this (auth_request to an internal location) before it lets a
 * client subscribe to an event channel. Allowed, the answer names the
 * session's control channel in X-Yunpan-Session: nginx subscribes the
 * stream to it as well as to u<id>, so ending this session can end this
 * stream alone (yps-notify.h). The client never names that channel.
 *
 * auth_request passes only 2xx, 401 and 403, and 403 is nginx's own refusal
 * in that location (a foreign Origin): every refusal here is a 401, and
 * nginx then asks again with YP_INTERNAL=events-refused, which gets the
 * real error (401, 403, 503, ...) for the client.
 */
yp_status_t
yps_handle_events_auth(yps_req_t *r)
{
    const char *internal = yps_param(r, "YP_INTERNAL");
    char channel[YPS_SESSION_CHANNEL_SIZE];
    yp_status_t st = yps_events_admit(r);

    if (internal != NULL && strcmp(internal, "events-refused") == 0) {
        /* it changed between the two looks: let the client ask again */
        return st == YP_STATUS_OK
               ? yps_fail(r, YP_STATUS_UNAVAILABLE, "The session changed; retry") : st;
    }
    if (st != YP_STATUS_OK) {
        return YP_STATUS_UNAUTHORIZED;
    }
    yps_notify_session_channel(r->token_hash, channel);
    r->headers = g_string_new(NULL);
    g_string_append_printf(r->headers, "X-Yunpan-Session: %s\r\n", channel);
    r->no_body = true;
    yps_reply(r, 204);
    return YP_STATUS_OK;
}
