/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

#include "yps-handlers.h"
#include "yps-housekeeping.h"
#include "yps-notify.h"

/* A chore: does its work as of NOW and counts what it did in *DONE. */
typedef yp_status_t (*yps_chore_fn_t)(yps_server_t *srv, int64_t now, int64_t *done);

typedef struct {
    const char     *what;       /* for the log: "<done> <what>" */
    yps_chore_fn_t  run;
} yps_chore_t;

/*
 * Forgets expired sessions and ends their event streams: nchan authorized
 * those streams when they opened and would keep them open. Only the
 * streams of the expired sessions end; the same users' other devices keep
 * theirs.
 */
static yp_status_t
yps_chore_sessions(yps_server_t *srv, int64_t now, int64_t *done)
{
    g_autoptr(GArray) ended = g_array_new(FALSE, FALSE, 32);
    yp_status_t st = srv->meta->ops->session_prune(srv->meta, now, ended);

    if (st != YP_STATUS_OK) {
        return st;
    }
    yps_notify_end_sessions(srv->publish_socket, (const uint8_t *) ended->data, ended->len);
    *done = ended->len;
    return YP_STATUS_OK;
}

static yp_status_t
yps_chore_limits(yps_server_t *srv, int64_t now, int64_t *done)
{
    return srv->limits->ops->prune(srv->limits, now, done);
}

/* Uploads nobody touched within their time, with their bytes. */
static yp_status_t
yps_chore_uploads(yps_server_t *srv, int64_t now, int64_t *done)
{
    *done = yps_uploads_sweep(srv, now);
    return YP_STATUS_OK;
}

/* The change log keeps what a sync client may still need; a client away
 * longer than the retention window gets cursor_expired and lists again. */
static yp_status_t
yps_chore_changes(yps_server_t *srv, int64_t now, int64_t *done)
{
    return srv->meta->ops->changes_prune(srv->meta, now - srv->change_retention, done);
}

/* Answers kept for Idempotency-Keys: a client retries within minutes, and
 * a key past its retention is forgotten at its next use anyway. */
static yp_status_t
yps_chore_idempotency(yps_server_t *srv, int64_t now, int64_t *done)
{
    return srv->meta->ops->idem_prune(srv->meta, now - srv->idempotency_ttl, done);
}

static const yps_chore_t yps_chores[] = {
    { "expired sessions ended", yps_chore_sessions },
    { "stale rate limiter entries removed", yps_chore_limits },
    { "expired uploads removed", yps_chore_uploads },
    { "change log entries past retention forgotten", yps_chore_changes },
    { "idempotency keys past retention forgotten", yps_chore_idempotency },
};

int
yps_housekeeping_run(yps_server_t *srv, int64_t now)
{
    int failed = 0;

    for (size_t i = 0; i < G_N_ELEMENTS(yps_chores); i++) {
        int64_t done = 0;
        yp_status_t st = yps_chores[i].run(srv, now, &done);

        if (st != YP_STATUS_OK) {
            fprintf(stderr, "yunpan-server: housekeeping: %s: %s\n", yps_chores[i].what,
                    yp_status_message(st));
            failed++;
        } else if (done > 0) {
            fprintf(stderr, "yunpan-server: housekeeping: %" G_GINT64_FORMAT " %s\n", done,
                    yps_chores[i].what);
        }
    }
    return failed;
}

pid_t
yps_housekeeping_spawn(const yps_options_t *opt, const sigset_t *old_mask)
{
    yps_server_t srv = { 0 };
    g_autoptr(GError) error = NULL;
    pid_t pid = yps_fork_child(old_mask);
    int failed;

    if (pid != 0) {
        return pid;
    }
    signal(SIGPIPE, SIG_IGN);
    if (!yps_server_open(&srv, opt, &error)) {
        fprintf(stderr, "yunpan-server: housekeeping: %s\n", error->message);
        yps_server_close(&srv);
        _exit(1);
    }
    failed = yps_housekeeping_run(&srv, g_get_real_time() / G_USEC_PER_SEC);
    yps_server_close(&srv);
    _exit(failed > 0 ? 1 : 0);
}
