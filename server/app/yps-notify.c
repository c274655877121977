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

bool
yps_notify_publish(const char *socket_path, int64_t user_id, int64_t cursor)
{
    struct sockaddr_un addr = { .sun_family = AF_UNIX };
    struct timeval timeout = { .tv_sec = 1 };
    char body[64], request[256], status[32] = "";
    int body_len, len, fd;
    ssize_t got;
    bool ok;

    if (socket_path == NULL || strlen(socket_path) >= sizeof(addr.sun_path)) {
        return false;
    }
    strcpy(addr.sun_path, socket_path);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return false;
    }
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof(timeout));
    body_len = snprintf(body, sizeof(body), "{\"cursor\":%" G_GINT64_FORMAT "}", cursor);
    len = snprintf(request, sizeof(request),
                   "POST /pub/u%" G_GINT64_FORMAT " HTTP/1.0\r\nHost: localhost\r\n"
                   "Content-Type: application/json\r\nContent-Length: %d\r\n\r\n%s",
                   user_id, body_len, body);
    ok = connect(fd, (struct sockaddr *) &addr, sizeof(addr)) == 0
         && yps_write_all(fd, request, (size_t) len);
    if (ok) {
        /* only the status line matters: "HTTP/1.1 201 Created" or 202 */
        got = read(fd, status, sizeof(status) - 1);
        ok = got > 12 && strncmp(status + 8, " 20", 3) == 0;
    }
    close(fd);
    if (!ok) {
        g_message("publishing cursor %" G_GINT64_FORMAT " for user %" G_GINT64_FORMAT " failed",
                  cursor, user_id);
    }
    return ok;
}
