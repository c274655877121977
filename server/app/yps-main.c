/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * yunpan-server: the Yunpan FastCGI application.
 *
 * spawn-fcgi creates the socket and hands it over as descriptor 0. With
 * --workers N the process becomes a small master that forks N workers
 * accepting on that socket and replaces any worker that dies (a crash or a
 * kill -9 costs the requests in flight, never the service). With --workers 0
 * it serves in this process, for `spawn-fcgi -F N` deployments.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <fcgiapp.h>
#include <glib.h>

#include "yps-auth.h"
#include "yps-housekeeping.h"
#include "yps-router.h"
#include "yps-server.h"
#include "yps-thumbs.h"

#define YPS_WORKERS_MAX 256

/* "1073741824", "512m", "10G": bytes with an optional binary suffix. */
static bool
yps_parse_size(const char *text, int64_t *out)
{
    static const char units[] = "kmgt";
    char *end = NULL;
    guint64 v;
    const char *unit;

    if (text == NULL || !g_ascii_isdigit(*text)) {
        return false;
    }
    v = g_ascii_strtoull(text, &end, 10);
    if (*end != '\0') {
        unit = strchr(units, g_ascii_tolower(*end));
        if (unit == NULL || end[1] != '\0') {
            return false;
        }
        for (const char *u = units; u <= unit; u++) {
            if (v > G_MAXINT64 / 1024) {
                return false;
            }
            v *= 1024;
        }
    }
    if (v > G_MAXINT64) {
        return false;
    }
    *out = (int64_t) v;
    return true;
}

static bool
yps_parse_options(int argc, char **argv, yps_options_t *opt)
{
    gint64 upload_ttl = 24 * 3600, token_ttl = 30 * 24 * 3600, budget = 60;
    gint64 retention = 90 * 24 * 3600, proof_rate = 256;
    gint proof_slots = -1;
    gint64 housekeeping = 60, idem_ttl = 24 * 3600, idem_takeover = 900;
    g_autofree char *quota = NULL, *instant_min = NULL, *max_chunk = NULL;
    GOptionEntry entries[] = {
        { "data", 'd', 0, G_OPTION_ARG_FILENAME, &opt->data_dir, "Data folder", "DIR" },
        { "workers", 'w', 0, G_OPTION_ARG_INT, &opt->workers,
          "Worker processes (0: serve in this process)", "N" },
        { "upload-ttl", 0, 0, G_OPTION_ARG_INT64, &upload_ttl,
          "Seconds an untouched upload is kept", "S" },
        { "token-ttl", 0, 0, G_OPTION_ARG_INT64, &token_ttl, "Seconds a session lasts", "S" },
        { "max-chunk", 0, 0, G_OPTION_ARG_STRING, &max_chunk,
          "Largest chunk of an upload (default 256m; nginx is given the same limit)", "SIZE" },
        { "quota", 0, 0, G_OPTION_ARG_STRING, &quota,
          "Space per account unless set for it (default 10g; 0: unlimited)", "SIZE" },
        { "instant-min-size", 0, 0, G_OPTION_ARG_STRING, &instant_min,
          "Smallest file that instant upload may match against other accounts' files "
          "(default 4m)", "SIZE" },
        { "instant-budget", 0, 0, G_OPTION_ARG_INT64, &budget,
          "Instant-upload challenges per account and hour that may match other accounts' "
          "files (default 60; 0: none)", "N" },
        { "instant-proof-rate", 0, 0, G_OPTION_ARG_INT64, &proof_rate,
          "MiB a second: a wrong proof of possession is answered no sooner than reading its "
          "file at this rate takes, so a cold blob cannot be told from none (default 256)",
          "R" },
        { "proof-slots", 0, 0, G_OPTION_ARG_INT, &proof_slots,
          "Proofs of possession checked at once across all workers (default a quarter of "
          "the workers, at least 1)", "N" },
        { "change-retention", 0, 0, G_OPTION_ARG_INT64, &retention,
          "Seconds the change log keeps an entry (default 90 days)", "S" },
        { "user", 'u', 0, G_OPTION_ARG_STRING, &opt->user,
          "Started as root, run as this user (and its primary group)", "NAME" },
        { "set-quota", 0, 0, G_OPTION_ARG_STRING, &opt->set_quota,
          "Set USER's quota (SIZE, or 'default') and exit", "USER=SIZE" },
        { "housekeeping-interval", 0, 0, G_OPTION_ARG_INT64, &housekeeping,
          "Seconds between pruning expired sessions and the like (default 60)", "S" },
        { "idempotency-ttl", 0, 0, G_OPTION_ARG_INT64, &idem_ttl,
          "Seconds the answer to an Idempotency-Key is kept for its repeats (default 24 h)",
          "S" },
        { "idempotency-takeover", 0, 0, G_OPTION_ARG_INT64, &idem_takeover,
          "Seconds after which a repeat may run a keyed request that never answered, its "
          "worker gone (default 900, the longest nginx waits for an answer)", "S" },
        { NULL },
    };
    g_autoptr(GOptionContext) ctx = g_option_context_new("- Yunpan FastCGI application");
    g_autoptr(GError) error = NULL;

    g_option_context_add_main_entries(ctx, entries, NULL);
    yps_guard_config_init(&opt->guard);
    g_option_context_add_group(ctx, yps_guard_option_group(&opt->guard));
    if (!g_option_context_parse(ctx, &argc, &argv, &error)) {
        fprintf(stderr, "yunpan-server: %s\n", error->message);
        return false;
    }
    if (opt->data_dir == NULL || opt->workers < 0 || opt->workers > YPS_WORKERS_MAX
        || upload_ttl < 1 || token_ttl < 1) {
        fprintf(stderr, "yunpan-server: --data DIR is required; --workers 0..%d; "
                "--upload-ttl >= 1; --token-ttl >= 1\n", YPS_WORKERS_MAX);
        return false;
    }
    opt->quota = (int64_t) 10 << 30;
    opt->instant_min_size = 4 << 20;
    opt->max_chunk = (int64_t) 256 << 20;
    if ((quota && !yps_parse_size(quota, &opt->quota))
        || (max_chunk && (!yps_parse_size(max_chunk, &opt->max_chunk) || opt->max_chunk < 1))
        || (instant_min && !yps_parse_size(instant_min, &opt->instant_min_size))
        || budget < 0 || retention < 1 || proof_rate < 1 || proof_slots < -1
        || proof_slots == 0 || proof_slots > 1024) {
        fprintf(stderr, "yunpan-server: --quota, --instant-min-size and --max-chunk take sizes "
                "such as 1073741824, 512m or 10g; --instant-budget >= 0; --change-retention >= 1; "
                "--instant-proof-rate >= 1; --proof-slots 1..1024\n");
        return false;
    }
    if (housekeeping < 1 || idem_ttl < 1 || idem_takeover < 1
        || !yps_guard_config_finish(&opt->guard, opt->workers, &error)) {
        fprintf(stderr, "yunpan-server: %s\n", error ? error->message
                : "--housekeeping-interval, --idempotency-ttl and --idempotency-takeover >= 1");
        return false;
    }
    opt->upload_ttl = upload_ttl;
    opt->token_ttl = token_ttl;
    opt->instant_budget = budget;
    opt->change_retention = retention;
    opt->proof_rate = proof_rate << 20;
    opt->proof_slots = proof_slots > 0 ? proof_slots : MAX(1, opt->workers / 4);
    /* a thumbnail's decoding may take a few hundred MiB (docs/security.md) */
    opt->thumb_slots = MAX(1, opt->workers / 4);
    opt->housekeeping_interval = housekeeping;
    opt->idempotency_ttl = idem_ttl;
    opt->idempotency_takeover = idem_takeover;
    /* a sign-in vouches for its address as long as its session lasts */
    opt->guard.trust_ttl = token_ttl;
    return true;
}

/* --set-quota USER=SIZE|default: an operator's change, made before (or
 * while) the server runs. */
static int
yps_set_quota(yps_server_t *srv, const char *spec)
{
    const char *eq = strchr(spec, '=');
    g_autofree char *user = eq ? g_strndup(spec, (gsize) (eq - spec)) : NULL;
    int64_t quota = -1;
    yp_status_t st;

    if (user == NULL || (strcmp(eq + 1, "default") != 0 && !yps_parse_size(eq + 1, &quota))) {
        fprintf(stderr, "yunpan-server: --set-quota USER=SIZE or USER=default\n");
        return 2;
    }
    st = srv->meta->ops->user_set_quota(srv->meta, user, quota);
    if (st != YP_STATUS_OK) {
        fprintf(stderr, "yunpan-server: %s: %s\n", user,
                st == YP_STATUS_NOT_FOUND ? "no such user" : yp_status_message(st));
        return 1;
    }
    return 0;
}

/* ------------------------------------------------------------------------
 * Worker
 * ------------------------------------------------------------------------ */

static int
yps_worker_main(const yps_options_t *opt)
{
    yps_server_t srv = { 0 };
    g_autoptr(GError) error = NULL;
    FCGX_Request request;

    signal(SIGPIPE, SIG_IGN);
    if (!yps_server_open(&srv, opt, &error)) {
        fprintf(stderr, "yunpan-server: %s\n", error->message);
        yps_server_close(&srv);
        return 1;
    }
    FCGX_InitRequest(&request, 0, 0);
    while (FCGX_Accept_r(&request) >= 0) {
        yps_dispatch(&srv, &request);
        FCGX_Finish_r(&request);
        yps_run_deferred(&srv);
    }
    yps_server_close(&srv);
    return 0;
}

/* ------------------------------------------------------------------------
 * Start-up
 * ------------------------------------------------------------------------ */

static bool
yps_blob_referenced(const char *sha256, void *data)
{
    yps_meta_t *meta = data;
    int64_t size;

    /* on a lookup error, keep the file */
    return meta->ops->blob_find(meta, sha256, &size) != YP_STATUS_NOT_FOUND;
}

/*
 * Every upload needs its lock file, which requests open without O_CREAT (so
 * that a waiter on an ended session finds nothing). Uploads started by a
 * version without lock files have none: one is made for each, or the upload
 * could be read but never continued. Nothing else runs yet, so an existing
 * file is one some upload made.
 */
static unsigned
yps_make_missing_locks(yps_server_t *srv)
{
    g_autoptr(GPtrArray) ids = g_ptr_array_new_with_free_func(g_free);
    unsigned made = 0;

    if (srv->meta->ops->upload_ids(srv->meta, ids) != YP_STATUS_OK) {
        return 0;
    }
    for (guint i = 0; i < ids->len; i++) {
        g_autofree char *path = g_strdup_printf("%s/%s.lock", srv->uploads_dir,
                                                (const char *) g_ptr_array_index(ids, i));
        int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);

        if (fd >= 0) {
            close(fd);
            made++;
        } else if (errno != EEXIST) {
            fprintf(stderr, "yunpan-server: cannot create %s: %s\n", path, g_strerror(errno));
        }
    }
    return made;
}

/*
 * Before any worker runs, nothing is half-stored: blob files without a row,
 * staging files without an upload and thumbnails half written or of blobs
 * gone are what a crash left behind; uploads without a lock file are what
 * an older version left.
 */
static void
yps_sweep_leftovers(yps_server_t *srv)
{
    g_autoptr(GDir) dir = g_dir_open(srv->uploads_dir, 0, NULL);
    unsigned blobs = 0, parts = 0, thumbs, locks;
    const char *name;

    srv->blob->ops->sweep(srv->blob, yps_blob_referenced, srv->meta, &blobs);
    thumbs = yps_thumb_sweep(srv->data_dir, yps_blob_referenced, srv->meta);
    while (dir && (name = g_dir_read_name(dir)) != NULL) {
        g_autofree char *id = g_str_has_suffix(name, ".part") || g_str_has_suffix(name, ".lock")
                              ? g_strndup(name, strlen(name) - 5) : NULL;
        g_autofree char *path = g_build_filename(srv->uploads_dir, name, NULL);

        if (id != NULL && srv->meta->ops->upload_find(srv->meta, id) != YP_STATUS_NOT_FOUND) {
            continue;
        }
        if (unlink(path) == 0) {
            parts++;
        }
    }
    if (blobs + parts + thumbs > 0) {
        fprintf(stderr, "yunpan-server: removed %u unreferenced blobs, %u stale upload "
                "files and %u stale thumbnails\n", blobs, parts, thumbs);
    }
    if ((locks = yps_make_missing_locks(srv)) > 0) {
        fprintf(stderr, "yunpan-server: made the missing lock files of %u uploads\n", locks);
    }
}

/* ------------------------------------------------------------------------
 * Master
 * ------------------------------------------------------------------------ */

static pid_t
yps_spawn_worker(const yps_options_t *opt, const sigset_t *old_mask)
{
    pid_t pid = yps_fork_child(old_mask);

    if (pid != 0) {
        return pid;
    }
    _exit(yps_worker_main(opt));
}

static void
yps_write_pid_file(const yps_options_t *opt)
{
    g_autofree char *path = g_build_filename(opt->data_dir, "run", "yunpan-server.pid", NULL);
    g_autofree char *text = g_strdup_printf("%d\n", (int) getpid());

    if (!g_file_set_contents(path, text, -1, NULL)) {
        fprintf(stderr, "yunpan-server: cannot write %s\n", path);
    }
}

/* Waits for a signal in MASK until DEADLINE (monotonic µs); -1 on timeout. */
static int
yps_wait_signal(const sigset_t *mask, gint64 deadline)
{
    gint64 left = MAX(deadline - g_get_monotonic_time(), 0);
    struct timespec timeout = { .tv_sec = left / G_USEC_PER_SEC,
                                .tv_nsec = (left % G_USEC_PER_SEC) * 1000 };

    return sigtimedwait(mask, NULL, &timeout);
}

/* Replaces workers that die until SIGTERM or SIGINT, then stops them all;
 * starts the housekeeping child every opt->housekeeping_interval seconds. */
static int
yps_master_main(const yps_options_t *opt)
{
    pid_t workers[YPS_WORKERS_MAX] = { 0 };
    sigset_t mask, old_mask;
    time_t window = time(NULL);
    gint64 chores = g_get_monotonic_time() + opt->housekeeping_interval * G_USEC_PER_SEC;
    pid_t housekeeper = 0;
    int respawns = 0;

    sigemptyset(&mask);
    sigaddset(&mask, SIGCHLD);
    sigaddset(&mask, SIGTERM);
    sigaddset(&mask, SIGINT);
    sigprocmask(SIG_BLOCK, &mask, &old_mask);
    yps_write_pid_file(opt);

    for (int i = 0; i < opt->workers; i++) {
        workers[i] = yps_spawn_worker(opt, &old_mask);
    }
    for (;;) {
        int sig = yps_wait_signal(&mask, chores);
        pid_t pid;
        int status;

        if (sig == SIGTERM || sig == SIGINT) {
            break;
        }
        if (sig < 0 && g_get_monotonic_time() >= chores) {
            /* the last round still running means it is slow: skip one */
            if (housekeeper <= 0) {
                housekeeper = yps_housekeeping_spawn(opt, &old_mask);
            }
            chores = g_get_monotonic_time() + opt->housekeeping_interval * G_USEC_PER_SEC;
        }
        while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
            if (pid == housekeeper) {
                housekeeper = 0;
                continue;
            }
            for (int i = 0; i < opt->workers; i++) {
                if (workers[i] != pid) {
                    continue;
                }
                fprintf(stderr, "yunpan-server: worker %d %s %d; starting another\n", (int) pid,
                        WIFSIGNALED(status) ? "killed by signal" : "exited with",
                        WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
                if (time(NULL) - window > 10) {
                    window = time(NULL);
                    respawns = 0;
                }
                if (++respawns > 4 * opt->workers) {
                    /* a crash loop: slow down instead of spinning */
                    sleep(1);
                }
                workers[i] = yps_spawn_worker(opt, &old_mask);
                break;
            }
        }
    }
    for (int i = 0; i < opt->workers; i++) {
        if (workers[i] > 0) {
            kill(workers[i], SIGTERM);
        }
    }
    if (housekeeper > 0) {
        kill(housekeeper, SIGTERM);
    }
    while (waitpid(-1, NULL, 0) > 0 || errno == EINTR) {
    }
    return 0;
}

/*
 * --user: a server started as root (by spawn-fcgi, or by hand) becomes the
 * service user before it opens anything, for good: the saved ids go too.
 * Without root there is nothing to drop.
 */
static bool
yps_drop_privileges(const char *user)
{
    struct passwd *pw;

    if (user == NULL || geteuid() != 0) {
        return true;
    }
    pw = getpwnam(user);
    if (pw == NULL || pw->pw_uid == 0) {
        fprintf(stderr, "yunpan-server: --user %s: %s\n", user,
                pw == NULL ? "no such user" : "that is root");
        return false;
    }
    if (initgroups(pw->pw_name, pw->pw_gid) != 0 || setgid(pw->pw_gid) != 0
        || setuid(pw->pw_uid) != 0 || setuid(0) == 0) {
        fprintf(stderr, "yunpan-server: cannot become %s: %s\n", user, g_strerror(errno));
        return false;
    }
    return true;
}

int
main(int argc, char **argv)
{
    yps_options_t opt = { 0 };
    yps_server_t srv = { 0 };
    g_autoptr(GError) error = NULL;
    int rc;

    if (!yps_parse_options(argc, argv, &opt)) {
        return 2;
    }
    if (!yps_drop_privileges(opt.user)) {
        return 1;
    }
    if (!yps_auth_init() || FCGX_Init() != 0) {
        fprintf(stderr, "yunpan-server: cannot initialize libsodium or libfcgi\n");
        return 1;
    }
    /* migrate and sweep once, before any worker opens the database */
    if (!yps_server_open(&srv, &opt, &error)) {
        fprintf(stderr, "yunpan-server: %s\n", error->message);
        yps_server_close(&srv);
        return 1;
    }
    if (opt.set_quota != NULL) {
        rc = yps_set_quota(&srv, opt.set_quota);
        yps_server_close(&srv);
        return rc;
    }
    yps_sweep_leftovers(&srv);
    yps_server_close(&srv);

    rc = opt.workers == 0 ? yps_worker_main(&opt) : yps_master_main(&opt);
    g_free(opt.data_dir);
    return rc;
}
