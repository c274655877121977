/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * yps-account.c: registration, sign-in, sessions, and who may subscribe to
 * which event channel.
 */
#include <stdio.h>
#include <string.h>

#include "yp-name.h"
#include "yps-auth.h"
#include "yps-handlers.h"

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

static yp_status_t
yps_read_credentials(yps_req_t *r, const char **username, const char **password)
{
    yp_status_t st = yps_body_string(r, "username", true, username);

    return st != YP_STATUS_OK ? st : yps_body_string(r, "password", true, password);
}

yp_status_t
yps_handle_register(yps_req_t *r)
{
    char pwhash[crypto_pwhash_STRBYTES];
    const char *username = NULL, *password = NULL;
    int64_t user_id = 0;
    size_t pwlen;
    yp_status_t st;

    if ((st = yps_read_credentials(r, &username, &password)) != YP_STATUS_OK) {
        return st;
    }
    if (!yp_username_is_valid(username)) {
        return YP_STATUS_INVALID_USERNAME;
    }
    pwlen = strlen(password);
    if (pwlen < YP_PASSWORD_MIN || pwlen > YP_PASSWORD_MAX) {
        return YP_STATUS_WEAK_PASSWORD;
    }
    if (!yps_password_hash(password, pwhash)) {
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

yp_status_t
yps_handle_login(yps_req_t *r)
{
    yps_meta_t *meta = r->srv->meta;
    const char *username = NULL, *password = NULL;
    g_autofree char *canonical = NULL, *pwhash = NULL;
    char token[YPS_TOKEN_TEXT];
    uint8_t token_hash[32];
    int64_t user_id = 0, expires;
    JsonObject *reply;
    yp_status_t st;

    if ((st = yps_read_credentials(r, &username, &password)) != YP_STATUS_OK) {
        return st;
    }
    st = meta->ops->user_find(meta, username, &user_id, &canonical, &pwhash);
    if (st != YP_STATUS_OK && st != YP_STATUS_NOT_FOUND) {
        return st;
    }
    /* unknown users cost a verification too */
    if (!yps_password_verify(pwhash, password) || st != YP_STATUS_OK) {
        return YP_STATUS_INVALID_CREDENTIALS;
    }
    expires = g_get_real_time() / G_USEC_PER_SEC + r->srv->token_ttl;
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

    if (st == YP_STATUS_OK) {
        yps_reply(r, 200);
    }
    return st;
}

yp_status_t
yps_handle_whoami(yps_req_t *r)
{
    int64_t root_id, cursor;
    JsonObject *reply;
    yp_status_t st = r->srv->meta->ops->user_state(r->srv->meta, r->user_id, &root_id, &cursor);

    if (st != YP_STATUS_OK) {
        return st;
    }
    reply = yps_reply(r, 200);
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
    st = r->srv->meta->ops->session_find(r->srv->meta, r->token_hash,
                                         g_get_real_time() / G_USEC_PER_SEC, &r->user_id,
                                         &r->username, &r->token_expires);
    return st == YP_STATUS_NOT_FOUND ? YP_STATUS_UNAUTHORIZED : st;
}

/*
 * nginx's nchan asks this (an internal location) before it lets a client
 * subscribe to /api/v1/events/<channel>: only the owner of channel u<id> may.
 */
yp_status_t
yps_handle_events_auth(yps_req_t *r)
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
    yps_reply(r, 200);
    return YP_STATUS_OK;
}
