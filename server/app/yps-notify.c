/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include <glib.h>
#include <sodium.h>

#include "yps-blob.h"
#include "yps-notify.h"

/* Hashed with the token hash into a session's control channel name, so the
 * name serves no other purpose. */
static const char yps_session_channel_label[] = "yunpan-events";

/*
 * Sends one HTTP/1.0 request METHOD /pub/<CHANNEL> with BODY (NULL: none)
 * to nginx's publisher socket and returns the reply's status code, or 0
 * when nginx could not be reached. Waits at most a second each way, so a
 * stuck nginx delays a request, never hangs it.
 */
static int
yps_notify_send(const char *socket_path, const char *method, const char *channel,
                const char *body)
{
    struct sockaddr_un addr = { .sun_family = AF_UNIX };
    struct timeval timeout = { .tv_sec = 1 };
    char request[256], status[32] = "";
    int len, fd, code = 0;
    ssize_t got;

    if (socket_path == NULL || strlen(socket_path) >= sizeof(addr.sun_path)) {
        return 0;
    }
    strcpy(addr.sun_path, socket_path);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return 0;
    }
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof(timeout));
    len = snprintf(request, sizeof(request),
                   "%s /pub/%s HTTP/1.0\r\nHost: localhost\r\n"
                   "%sContent-Length: %zu\r\n\r\n%s", method, channel,
                   body ? "Content-Type: application/json\r\n" : "",
                   body ? strlen(body) : 0, body ? body : "");
    if (len > 0 && (size_t) len < sizeof(request)
        && connect(fd, (struct sockaddr *) &addr, sizeof(addr)) == 0
        && yps_write_all(fd, request, (size_t) len)) {
        /* only the status line matters: "HTTP/1.1 201 Created" */
        got = read(fd, status, sizeof(status) - 1);
        if (got > 12 && sscanf(status + 8, " %3d", &code) != 1) {
            code = 0;
        }
    }
    close(fd);
    return code;
}

bool
yps_notify_publish(const char *socket_path, int64_t user_id, int64_t cursor)
{
    char body[64], channel[32];
    int code;

    snprintf(channel, sizeof(channel), "u%" G_GINT64_FORMAT, user_id);
    snprintf(body, sizeof(body), "{\"cursor\":%" G_GINT64_FORMAT "}", cursor);
    code = yps_notify_send(socket_path, "POST", channel, body);
    if (code < 200 || code > 299) {
        g_message("publishing cursor %" G_GINT64_FORMAT " for user %" G_GINT64_FORMAT
                  " failed (%d)", cursor, user_id, code);
        return false;
    }
    return true;
}

/*
 * The control channel name: "s" and the first 16 bytes, in hex, of
 * SHA-256("yunpan-events" || TOKEN_HASH). The events authorization and
 * every place that ends a session know the token hash, so both sides
 * derive the same name without storing it. Nobody can subscribe to a name
 * of their choosing (nginx takes it from the authorization's answer), and
 * only the local publisher socket can delete one; 128 bits keep names of
 * different sessions apart.
 */
void
yps_notify_session_channel(const uint8_t token_hash[32], char channel[YPS_SESSION_CHANNEL_SIZE])
{
    crypto_hash_sha256_state state;
    uint8_t digest[crypto_hash_sha256_BYTES];

    crypto_hash_sha256_init(&state);
    crypto_hash_sha256_update(&state, (const uint8_t *) yps_session_channel_label,
                              sizeof(yps_session_channel_label) - 1);
    crypto_hash_sha256_update(&state, token_hash, 32);
    crypto_hash_sha256_final(&state, digest);
    channel[0] = 's';
    sodium_bin2hex(channel + 1, YPS_SESSION_CHANNEL_SIZE - 1, digest,
                   (YPS_SESSION_CHANNEL_SIZE - 2) / 2);
}

bool
yps_notify_end_session(const char *socket_path, const uint8_t token_hash[32])
{
    char channel[YPS_SESSION_CHANNEL_SIZE];
    int code;

    yps_notify_session_channel(token_hash, channel);
    code = yps_notify_send(socket_path, "DELETE", channel, NULL);
    /* 404: the session had no stream open, which is just as ended */
    if ((code < 200 || code > 299) && code != 404) {
        g_message("ending the event streams of a session failed (%d)", code);
        return false;
    }
    return true;
}

void
yps_notify_end_sessions(const char *socket_path, const uint8_t *token_hashes, unsigned count)
{
    for (unsigned i = 0; i < count; i++) {
        yps_notify_end_session(socket_path, token_hashes + (size_t) i * 32);
    }
}
