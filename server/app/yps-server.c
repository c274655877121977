/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <errno.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <gio/gio.h>

#include "yps-server.h"

/* The proofs of possession checked at once, or the thumbnails made at
 * once: the same kind of slots as for password hashing, N of them in the
 * folder run/NAME of their own. */
static bool
yps_slots_open(yps_hash_slots_t *slots, const yps_options_t *opt, const char *name, int n,
               GError **error)
{
    g_autofree char *dir = g_build_filename(opt->data_dir, "run", name, NULL);

    if (g_mkdir_with_parents(dir, 0700) != 0) {
        g_set_error(error, G_IO_ERROR, g_io_error_from_errno(errno), "mkdir %s: %s", dir,
                    g_strerror(errno));
        return false;
    }
    return yps_hash_slots_open(slots, dir, n, error);
}

bool
yps_server_open(yps_server_t *srv, const yps_options_t *opt, GError **error)
{
    g_autofree char *db = g_build_filename(opt->data_dir, "yunpan.db", NULL);
    g_autofree char *blobs = g_build_filename(opt->data_dir, "blobs", NULL);

    srv->data_dir = g_strdup(opt->data_dir);
    srv->uploads_dir = g_build_filename(opt->data_dir, "uploads", NULL);
    srv->publish_socket = g_build_filename(opt->data_dir, "run", "publish.sock", NULL);
    srv->upload_ttl = opt->upload_ttl;
    srv->token_ttl = opt->token_ttl;
    srv->default_quota = opt->quota;
    srv->instant_min_size = opt->instant_min_size;
    srv->instant_budget = opt->instant_budget;
    srv->change_retention = opt->change_retention;
    srv->proof_rate = opt->proof_rate;
    srv->max_chunk = opt->max_chunk;
    srv->idempotency_ttl = opt->idempotency_ttl;
    srv->idempotency_takeover = opt->idempotency_takeover;
    srv->proof_slots.held = -1;
    srv->thumb_slots.held = -1;
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
    if (srv->blob == NULL) {
        return false;
    }
    srv->guard = yps_guard_open(&opt->guard, opt->data_dir, error);
    srv->limits = srv->guard ? srv->guard->limits : NULL;
    return srv->guard != NULL
           && yps_slots_open(&srv->proof_slots, opt, "proof-slots", opt->proof_slots, error)
           && yps_slots_open(&srv->thumb_slots, opt, "thumbnail-slots", opt->thumb_slots,
                             error);
}

void
yps_server_close(yps_server_t *srv)
{
    yps_run_deferred(srv);
    if (srv->meta) {
        srv->meta->ops->close(srv->meta);
    }
    if (srv->blob) {
        srv->blob->ops->close(srv->blob);
    }
    yps_guard_close(srv->guard);
    srv->guard = NULL;
    srv->limits = NULL;
    yps_hash_slots_close(&srv->proof_slots);
    yps_hash_slots_close(&srv->thumb_slots);
    if (srv->deferred) {
        g_array_free(srv->deferred, TRUE);
    }
    g_free(srv->data_dir);
    g_free(srv->uploads_dir);
    g_free(srv->publish_socket);
}

pid_t
yps_fork_child(const sigset_t *old_mask)
{
    pid_t master = getpid();
    pid_t pid = fork();

    if (pid != 0) {
        return pid;
    }
    /* a child must not outlive its master, whatever killed the master */
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != master) {
        _exit(0);
    }
    signal(SIGTERM, SIG_DFL);
    signal(SIGINT, SIG_DFL);
    sigprocmask(SIG_SETMASK, old_mask, NULL);
    return 0;
}
