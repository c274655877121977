/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include <glib.h>

#include "yps-notify.h"

static bool
yps_write_all(int fd, const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, buf, len);

        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            return false;
        }
        buf += n;
        len -= (size_t) n;
    }
    return true;
}

/*
 * Sends one HTTP/1.0 request METHOD /pub/u<USER_ID> with BODY (NULL: none)
 * to nginx's publisher socket and returns the reply's status code, or 0
 * when nginx could not be reached. Waits at most a second each way, so a
 * stuck nginx delays a request, never hangs it.
 */
static int
yps_notify_send(const char *socket_path, const char *method, int64_t user_id,
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
                   "%s /pub/u%" G_GINT64_FORMAT " HTTP/1.0\r\nHost: localhost\r\n"
                   "%sContent-Length: %zu\r\n\r\n%s", method, user_id,
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
    char body[64];
    int code;

    snprintf(body, sizeof(body), "{\"cursor\":%" G_GINT64_FORMAT "}", cursor);
    code = yps_notify_send(socket_path, "POST", user_id, body);
    if (code < 200 || code > 299) {
        g_message("publishing cursor %" G_GINT64_FORMAT " for user %" G_GINT64_FORMAT
                  " failed (%d)", cursor, user_id, code);
        return false;
    }
    return true;
}

bool
yps_notify_close(const char *socket_path, int64_t user_id)
{
    int code = yps_notify_send(socket_path, "DELETE", user_id, NULL);

    /* 404: nobody was subscribed, which is just as closed */
    if ((code < 200 || code > 299) && code != 404) {
        g_message("closing the event channel of user %" G_GINT64_FORMAT " failed (%d)",
                  user_id, code);
        return false;
    }
    return true;
}
