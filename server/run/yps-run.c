/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * yunpan-server-run: runs a whole Yunpan instance in the foreground.
 *
 * It writes nginx.conf from the template into DATA/run, starts the FastCGI
 * application through spawn-fcgi and nginx in the foreground, waits until
 * the health endpoint answers, prints the URL, and on SIGINT or SIGTERM stops
 * both and removes the sockets. Every child gets SIGTERM should this process
 * die first, so no process outlives the instance.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <glib.h>

#include "config.h"

typedef struct {
    char   *data_dir;
    char   *listen;
    int     port;
    int     workers;
    gint64  upload_ttl;
    char   *max_chunk;
} yps_run_options_t;

typedef struct {
    yps_run_options_t opt;
    char  *run_dir;
    char  *log_dir;
    char  *fcgi_socket;
    pid_t  app;
    pid_t  nginx;
} yps_instance_t;

static void G_GNUC_PRINTF(1, 2) G_GNUC_NORETURN
yps_die(const char *fmt, ...)
{
    va_list ap;

    fputs("yunpan-server-run: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(1);
}

static void
yps_parse_options(int argc, char **argv, yps_run_options_t *opt)
{
    GOptionEntry entries[] = {
        { "data", 'd', 0, G_OPTION_ARG_FILENAME, &opt->data_dir,
          "Data folder (default: $XDG_DATA_HOME/yunpan-server)", "DIR" },
        { "listen", 'l', 0, G_OPTION_ARG_STRING, &opt->listen,
          "Address to listen on (default 127.0.0.1)", "ADDR" },
        { "port", 'p', 0, G_OPTION_ARG_INT, &opt->port,
          "Port (default 8765; 0 picks a free one)", "PORT" },
        { "workers", 'w', 0, G_OPTION_ARG_INT, &opt->workers,
          "FastCGI worker processes (default 4)", "N" },
        { "upload-ttl", 0, 0, G_OPTION_ARG_INT64, &opt->upload_ttl,
          "Seconds an untouched upload is kept (default 86400)", "S" },
        { "max-chunk", 0, 0, G_OPTION_ARG_STRING, &opt->max_chunk,
          "Largest upload chunk nginx accepts (default 8g)", "SIZE" },
        { NULL },
    };
    g_autoptr(GOptionContext) ctx = g_option_context_new("- run a Yunpan server in the foreground");
    g_autoptr(GError) error = NULL;

    opt->port = 8765;
    opt->workers = 4;
    opt->upload_ttl = 86400;
    g_option_context_add_main_entries(ctx, entries, NULL);
    if (!g_option_context_parse(ctx, &argc, &argv, &error)) {
        yps_die("%s", error->message);
    }
    if (opt->port < 0 || opt->port > 65535 || opt->workers < 1 || opt->workers > 256
        || opt->upload_ttl < 1) {
        yps_die("--port 0..65535, --workers 1..256, --upload-ttl >= 1");
    }
    if (opt->data_dir == NULL) {
        opt->data_dir = g_build_filename(g_get_user_data_dir(), "yunpan-server", NULL);
    }
    if (!g_path_is_absolute(opt->data_dir)) {
        g_autofree char *cwd = g_get_current_dir();
        char *abs = g_build_filename(cwd, opt->data_dir, NULL);

        g_free(opt->data_dir);
        opt->data_dir = abs;
    }
    if (opt->listen == NULL) {
        opt->listen = g_strdup("127.0.0.1");
    }
    if (opt->max_chunk == NULL) {
        opt->max_chunk = g_strdup("8g");
    }
}

/* ------------------------------------------------------------------------
 * Finding our parts
 * ------------------------------------------------------------------------ */

/* FILE next to this executable (a build tree), else in INSTALLED_DIR. */
static char *
yps_find_part(const char *file, const char *installed_dir)
{
    g_autofree char *self = g_file_read_link("/proc/self/exe", NULL);
    g_autofree char *here = self ? g_path_get_dirname(self) : NULL;
    char *path = here ? g_build_filename(here, file, NULL) : NULL;

    if (path && g_file_test(path, G_FILE_TEST_EXISTS)) {
        return path;
    }
    g_free(path);
    path = g_build_filename(installed_dir, file, NULL);
    if (!g_file_test(path, G_FILE_TEST_EXISTS)) {
        yps_die("cannot find %s (looked next to this program and in %s)", file, installed_dir);
    }
    return path;
}

static char *
yps_find_program(const char *name)
{
    char *path = g_find_program_in_path(name);
    g_autofree char *sbin = g_build_filename("/usr/sbin", name, NULL);

    if (path == NULL && g_file_test(sbin, G_FILE_TEST_IS_EXECUTABLE)) {
        path = g_strdup(sbin);
    }
    if (path == NULL) {
        yps_die("%s is not installed (on Debian: apt-get install %s)", name,
                strcmp(name, "nginx") == 0 ? "nginx libnginx-mod-nchan" : name);
    }
    return path;
}

static int
yps_free_port(const char *address)
{
    struct sockaddr_in addr = { .sin_family = AF_INET };
    socklen_t len = sizeof(addr);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int port;

    if (fd < 0 || inet_pton(AF_INET, address, &addr.sin_addr) != 1
        || bind(fd, (struct sockaddr *) &addr, sizeof(addr)) != 0
        || getsockname(fd, (struct sockaddr *) &addr, &len) != 0) {
        yps_die("cannot find a free port on %s: %s", address, g_strerror(errno));
    }
    port = ntohs(addr.sin_port);
    close(fd);
    return port;
}

/* ------------------------------------------------------------------------
 * The instance
 * ------------------------------------------------------------------------ */

static void
yps_make_dirs(yps_instance_t *inst)
{
    const char *subdirs[] = { "run", "log", "tmp", "blobs", "uploads" };

    for (size_t i = 0; i < G_N_ELEMENTS(subdirs); i++) {
        g_autofree char *dir = g_build_filename(inst->opt.data_dir, subdirs[i], NULL);

        if (g_mkdir_with_parents(dir, 0700) != 0) {
            yps_die("cannot create %s: %s", dir, g_strerror(errno));
        }
    }
}

/* Holds DATA/run/instance.lock for the life of the process: two instances on
 * one data folder would fight over the sockets. */
static void
yps_lock_instance(yps_instance_t *inst)
{
    g_autofree char *path = g_build_filename(inst->run_dir, "instance.lock", NULL);
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);

    if (fd < 0) {
        yps_die("cannot open %s: %s", path, g_strerror(errno));
    }
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        yps_die("another instance is already running on %s", inst->opt.data_dir);
    }
    /* the descriptor stays open, and locked, until exit */
}

static void
yps_write_nginx_conf(yps_instance_t *inst)
{
    g_autofree char *template_path = yps_find_part("nginx.conf.in", YPS_PKGDATADIR);
    g_autofree char *conf_path = g_build_filename(inst->run_dir, "nginx.conf", NULL);
    g_autofree char *text = NULL;
    g_autoptr(GError) error = NULL;
    g_autofree char *port = g_strdup_printf("%d", inst->opt.port);
    const char *vars[][2] = {
        { "@USER@", geteuid() == 0 ? "user root;" : "" },
        { "@DATA@", inst->opt.data_dir },
        { "@RUN@", inst->run_dir },
        { "@LOG@", inst->log_dir },
        { "@LISTEN@", inst->opt.listen },
        { "@PORT@", port },
        { "@MAX_CHUNK@", inst->opt.max_chunk },
        { "@NCHAN_MODULE@", YPS_NCHAN_MODULE },
    };
    GString *conf;

    if (!g_file_get_contents(template_path, &text, NULL, &error)) {
        yps_die("%s", error->message);
    }
    conf = g_string_new(text);
    for (size_t i = 0; i < G_N_ELEMENTS(vars); i++) {
        g_string_replace(conf, vars[i][0], vars[i][1], 0);
    }
    if (!g_file_set_contents(conf_path, conf->str, (gssize) conf->len, &error)) {
        yps_die("%s", error->message);
    }
    g_string_free(conf, TRUE);
}

static pid_t
yps_spawn(char **argv)
{
    pid_t parent = getpid();
    pid_t pid = fork();

    if (pid < 0) {
        yps_die("fork: %s", g_strerror(errno));
    }
    if (pid == 0) {
        sigset_t none;

        prctl(PR_SET_PDEATHSIG, SIGTERM);
        if (getppid() != parent) {
            _exit(1);
        }
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        execv(argv[0], argv);
        fprintf(stderr, "yunpan-server-run: cannot run %s: %s\n", argv[0], g_strerror(errno));
        _exit(127);
    }
    return pid;
}

static void
yps_start_app(yps_instance_t *inst)
{
    g_autofree char *spawn_fcgi = yps_find_program("spawn-fcgi");
    g_autofree char *server = yps_find_part("yunpan-server", YPS_BINDIR);
    g_autofree char *workers = g_strdup_printf("%d", inst->opt.workers);
    g_autofree char *ttl = g_strdup_printf("%" G_GINT64_FORMAT, inst->opt.upload_ttl);
    /* -n: spawn-fcgi binds the socket and becomes yunpan-server, whose master
     * forks the workers and replaces any that die */
    char *argv[] = {
        spawn_fcgi, "-n", "-s", inst->fcgi_socket, "-M", "0600", "--",
        server, "--data", inst->opt.data_dir, "--workers", workers, "--upload-ttl", ttl, NULL,
    };

    unlink(inst->fcgi_socket);
    inst->app = yps_spawn(argv);
}

static void
yps_start_nginx(yps_instance_t *inst)
{
    g_autofree char *nginx = yps_find_program("nginx");
    g_autofree char *conf = g_build_filename(inst->run_dir, "nginx.conf", NULL);
    g_autofree char *error_log = g_build_filename(inst->log_dir, "error.log", NULL);
    g_autofree char *prefix = g_strconcat(inst->run_dir, "/", NULL);
    g_autofree char *publish = g_build_filename(inst->run_dir, "publish.sock", NULL);
    char *argv[] = {
        nginx, "-p", prefix, "-c", conf, "-e", error_log, "-g", "daemon off;", NULL,
    };

    unlink(publish);
    inst->nginx = yps_spawn(argv);
}

/* True once GET /api/v1/health answers 200 through nginx. */
static bool
yps_healthy(const yps_instance_t *inst)
{
    struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = htons(inst->opt.port) };
    struct timeval timeout = { .tv_sec = 2 };
    static const char request[] = "GET /api/v1/health HTTP/1.0\r\nHost: localhost\r\n\r\n";
    char reply[32] = "";
    bool ok = false;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

    if (strcmp(inst->opt.listen, "0.0.0.0") == 0
        || inet_pton(AF_INET, inst->opt.listen, &addr.sin_addr) != 1) {
        inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
    }
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
    if (connect(fd, (struct sockaddr *) &addr, sizeof(addr)) == 0
        && write(fd, request, sizeof(request) - 1) == (ssize_t) sizeof(request) - 1
        && read(fd, reply, sizeof(reply) - 1) > 12) {
        ok = strncmp(reply + 8, " 200", 4) == 0;
    }
    close(fd);
    return ok;
}

/* Reaps children; returns the name of one that has exited, or NULL. */
static const char *
yps_reap(yps_instance_t *inst)
{
    const char *gone = NULL;
    pid_t pid;

    while ((pid = waitpid(-1, NULL, WNOHANG)) > 0) {
        if (pid == inst->app) {
            inst->app = 0;
            gone = "the FastCGI application";
        } else if (pid == inst->nginx) {
            inst->nginx = 0;
            gone = "nginx";
        }
    }
    return gone;
}

static void
yps_wait_ready(yps_instance_t *inst)
{
    for (int i = 0; i < 600; i++) {
        const char *gone = yps_reap(inst);

        if (gone) {
            yps_die("%s stopped while starting; see %s/error.log", gone, inst->log_dir);
        }
        if (yps_healthy(inst)) {
            return;
        }
        g_usleep(50 * 1000);
    }
    yps_die("the instance did not become healthy in 30 s; see %s/error.log", inst->log_dir);
}

/* Stops PID with SIG, and with SIGKILL if it is still there after 10 s. */
static void
yps_stop_child(pid_t pid, int sig)
{
    if (pid <= 0) {
        return;
    }
    kill(pid, sig);
    for (int i = 0; i < 200; i++) {
        pid_t got = waitpid(pid, NULL, WNOHANG);

        if (got == pid || (got < 0 && errno == ECHILD)) {
            return;
        }
        g_usleep(50 * 1000);
    }
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
}

static void
yps_stop(yps_instance_t *inst)
{
    g_autofree char *publish = g_build_filename(inst->run_dir, "publish.sock", NULL);

    /* nginx first, so no request reaches a stopping application */
    yps_stop_child(inst->nginx, SIGTERM);
    yps_stop_child(inst->app, SIGTERM);
    unlink(inst->fcgi_socket);
    unlink(publish);
}

int
main(int argc, char **argv)
{
    yps_instance_t inst = { 0 };
    sigset_t mask;
    int sig, rc = 0;

    yps_parse_options(argc, argv, &inst.opt);
    inst.run_dir = g_build_filename(inst.opt.data_dir, "run", NULL);
    inst.log_dir = g_build_filename(inst.opt.data_dir, "log", NULL);
    inst.fcgi_socket = g_build_filename(inst.run_dir, "fcgi.sock", NULL);

    sigemptyset(&mask);
    sigaddset(&mask, SIGINT);
    sigaddset(&mask, SIGTERM);
    sigaddset(&mask, SIGCHLD);
    sigaddset(&mask, SIGHUP);
    sigprocmask(SIG_BLOCK, &mask, NULL);

    yps_make_dirs(&inst);
    yps_lock_instance(&inst);
    if (inst.opt.port == 0) {
        inst.opt.port = yps_free_port(inst.opt.listen);
    }
    yps_write_nginx_conf(&inst);
    yps_start_app(&inst);
    yps_start_nginx(&inst);
    yps_wait_ready(&inst);

    printf("Yunpan server running at http://%s:%d/\n", inst.opt.listen, inst.opt.port);
    printf("Data in %s; press Ctrl-C to stop.\n", inst.opt.data_dir);
    fflush(stdout);

    while ((sig = sigwaitinfo(&mask, NULL)) == SIGCHLD || (sig < 0 && errno == EINTR)) {
        const char *gone = yps_reap(&inst);

        if (gone) {
            fprintf(stderr, "yunpan-server-run: %s stopped unexpectedly; stopping\n", gone);
            rc = 1;
            break;
        }
    }
    yps_stop(&inst);
    return rc;
}
