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
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <fcgiapp.h>
#include <glib.h>

#include "yps-auth.h"
#include "yps-router.h"

#define YPS_WORKERS_MAX 256

typedef struct {
    char   *data_dir;
    int     workers;
    int64_t upload_ttl;
    int64_t token_ttl;
} yps_options_t;

static bool
yps_parse_options(int argc, char **argv, yps_options_t *opt)
{
    gint64 upload_ttl = 24 * 3600, token_ttl = 30 * 24 * 3600;
    GOptionEntry entries[] = {
        { "data", 'd', 0, G_OPTION_ARG_FILENAME, &opt->data_dir, "Data folder", "DIR" },
        { "workers", 'w', 0, G_OPTION_ARG_INT, &opt->workers,
          "Worker processes (0: serve in this process)", "N" },
        { "upload-ttl", 0, 0, G_OPTION_ARG_INT64, &upload_ttl,
          "Seconds an untouched upload is kept", "S" },
        { "token-ttl", 0, 0, G_OPTION_ARG_INT64, &token_ttl, "Seconds a session lasts", "S" },
        { NULL },
    };
    g_autoptr(GOptionContext) ctx = g_option_context_new("- Yunpan FastCGI application");
    g_autoptr(GError) error = NULL;

    g_option_context_add_main_entries(ctx, entries, NULL);
    if (!g_option_context_parse(ctx, &argc, &argv, &error)) {
        fprintf(stderr, "yunpan-server: %s\n", error->message);
        return false;
    }
    if (opt->data_dir == NULL || opt->workers < 0 || opt->workers > YPS_WORKERS_MAX
        || upload_ttl < 1 || token_ttl < 60) {
        fprintf(stderr, "yunpan-server: --data DIR is required; --workers 0..%d; "
                "--upload-ttl >= 1; --token-ttl >= 60\n", YPS_WORKERS_MAX);
        return false;
    }
    opt->upload_ttl = upload_ttl;
    opt->token_ttl = token_ttl;
    return true;
}

/* ------------------------------------------------------------------------
 * Worker
 * ------------------------------------------------------------------------ */

static bool
yps_server_open(yps_server_t *srv, const yps_options_t *opt, GError **error)
{
    g_autofree char *db = g_build_filename(opt->data_dir, "yunpan.db", NULL);
    g_autofree char *blobs = g_build_filename(opt->data_dir, "blobs", NULL);

    srv->data_dir = g_strdup(opt->data_dir);
    srv->uploads_dir = g_build_filename(opt->data_dir, "uploads", NULL);
    srv->publish_socket = g_build_filename(opt->data_dir, "run", "publish.sock", NULL);
    srv->upload_ttl = opt->upload_ttl;
    srv->token_ttl = opt->token_ttl;
    if (g_mkdir_with_parents(srv->uploads_dir, 0700) != 0) {
        g_set_error(error, G_IO_ERROR, g_io_error_from_errno(errno), "mkdir %s: %s",
                    srv->uploads_dir, g_strerror(errno));
        return false;
    }
    srv->meta = yps_meta_sqlite_open(db, error);
    if (srv->meta == NULL) {
        return false;
    }
    srv->blob = yps_blob_fs_open(blobs, error);
    return srv->blob != NULL;
}

static void
yps_server_close(yps_server_t *srv)
{
    if (srv->meta) {
        srv->meta->ops->close(srv->meta);
    }
    if (srv->blob) {
        srv->blob->ops->close(srv->blob);
    }
    g_free(srv->data_dir);
    g_free(srv->uploads_dir);
    g_free(srv->publish_socket);
}

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
 * Before any worker runs, nothing is half-stored: blob files without a row
 * and staging files without an upload are what a crash left behind.
 */
static void
yps_sweep_leftovers(yps_server_t *srv)
{
    g_autoptr(GDir) dir = g_dir_open(srv->uploads_dir, 0, NULL);
    unsigned blobs = 0, parts = 0;
    const char *name;

    srv->blob->ops->sweep(srv->blob, yps_blob_referenced, srv->meta, &blobs);
    while (dir && (name = g_dir_read_name(dir)) != NULL) {
        g_autofree char *id = g_str_has_suffix(name, ".part")
                              ? g_strndup(name, strlen(name) - 5) : NULL;
        g_autofree char *path = g_build_filename(srv->uploads_dir, name, NULL);

        if (id != NULL && srv->meta->ops->upload_find(srv->meta, id) != YP_STATUS_NOT_FOUND) {
            continue;
        }
        if (unlink(path) == 0) {
            parts++;
        }
    }
    if (blobs + parts > 0) {
        fprintf(stderr, "yunpan-server: removed %u unreferenced blobs and %u stale upload "
                "files\n", blobs, parts);
    }
}

/* ------------------------------------------------------------------------
 * Master
 * ------------------------------------------------------------------------ */

static pid_t
yps_spawn_worker(const yps_options_t *opt, const sigset_t *old_mask)
{
    pid_t master = getpid();
    pid_t pid = fork();

    if (pid != 0) {
        return pid;
    }
    /* a worker must not outlive its master, whatever killed the master */
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != master) {
        _exit(0);
    }
    signal(SIGTERM, SIG_DFL);
    signal(SIGINT, SIG_DFL);
    sigprocmask(SIG_SETMASK, old_mask, NULL);
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

/* Replaces workers that die until SIGTERM or SIGINT, then stops them all. */
static int
yps_master_main(const yps_options_t *opt)
{
    pid_t workers[YPS_WORKERS_MAX] = { 0 };
    sigset_t mask, old_mask;
    time_t window = time(NULL);
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
        int sig = sigwaitinfo(&mask, NULL);
        pid_t pid;
        int status;

        if (sig == SIGTERM || sig == SIGINT) {
            break;
        }
        while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
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
    while (waitpid(-1, NULL, 0) > 0 || errno == EINTR) {
    }
    return 0;
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
    yps_sweep_leftovers(&srv);
    yps_server_close(&srv);

    rc = opt.workers == 0 ? yps_worker_main(&opt) : yps_master_main(&opt);
    g_free(opt.data_dir);
    return rc;
}
