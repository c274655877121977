/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * yunpan-server-run: runs a whole Yunpan instance in the foreground.
 *
 * It writes nginx.conf from the template into DATA/run, starts the FastCGI
 * application through spawn-fcgi and nginx in the foreground, waits until
 * the health endpoint answers, prints the URL, and on SIGINT or SIGTERM stops
 * both and removes the sockets. Every child gets SIGTERM should this process
 * die first, so no process outlives the instance.
 *
 * Started as root it hands the data folder to an unprivileged user and runs
 * the application and nginx's workers as that user; only nginx's master
 * stays root, to bind the port and open its logs.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <grp.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/resource.h>
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
    char   *user;
    char   *origin;
    int     header_timeout;
    char  **server_args;    /* after "--": passed on to yunpan-server */
} yps_run_options_t;

typedef struct {
    yps_run_options_t opt;
    char  *run_dir;
    char  *log_dir;
    char  *fcgi_socket;
    bool   as_root;     /* started as root: drop to USER/GROUP */
    char  *user;
    char  *group;
    uid_t  uid;
    gid_t  gid;
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

/* True when TEXT is non-empty and made only of characters in ALLOWED. These
 * values are pasted into nginx.conf, so nothing else may get through. */
static bool
yps_valid_token(const char *text, const char *allowed)
{
    return *text != '\0' && strspn(text, allowed) == strlen(text);
}

/* An nginx size: digits with an optional k, m or g. */
static bool
yps_valid_size(const char *text)
{
    size_t digits = strspn(text, "0123456789");

    return digits > 0 && (text[digits] == '\0'
                          || (strchr("kKmMgG", text[digits]) && text[digits + 1] == '\0'));
}

/* An origin as browsers send it: http(s)://host[:port], no path. */
static bool
yps_valid_origin(const char *origin)
{
    const char *host = NULL;

    if (g_str_has_prefix(origin, "https://")) {
        host = origin + 8;
    } else if (g_str_has_prefix(origin, "http://")) {
        host = origin + 7;
    }
    return host != NULL
           && yps_valid_token(host, "abcdefghijklmnopqrstuvwxyz"
                                    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-:[]");
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
          "Largest upload chunk nginx accepts (default 256m)", "SIZE" },
        { "user", 'u', 0, G_OPTION_ARG_STRING, &opt->user,
          "When started as root, run as this user (default yunpan, else nobody)", "NAME" },
        { "origin", 0, 0, G_OPTION_ARG_STRING, &opt->origin,
          "The site's origin for the event stream's CORS (default http://LISTEN:PORT)", "URL" },
        { "header-timeout", 0, 0, G_OPTION_ARG_INT, &opt->header_timeout,
          "Seconds a client has to send its request headers (default 10)", "S" },
        { G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_STRING_ARRAY, &opt->server_args,
          NULL, "[-- YUNPAN-SERVER-OPTION…]" },
        { NULL },
    };
    g_autoptr(GOptionContext) ctx = g_option_context_new("- run a Yunpan server in the foreground");
    g_autoptr(GError) error = NULL;

    opt->port = 8765;
    opt->workers = 4;
    opt->upload_ttl = 86400;
    opt->header_timeout = 10;
    g_option_context_add_main_entries(ctx, entries, NULL);
    if (!g_option_context_parse(ctx, &argc, &argv, &error)) {
        yps_die("%s", error->message);
    }
    if (opt->port < 0 || opt->port > 65535 || opt->workers < 1 || opt->workers > 256
        || opt->upload_ttl < 1 || opt->header_timeout < 1 || opt->header_timeout > 300) {
        yps_die("--port 0..65535, --workers 1..256, --upload-ttl >= 1, --header-timeout 1..300");
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
    /* Every chunk is written to disk before the application sees it; with
     * the auth subrequest only a signed-in owner of the upload gets that far,
     * but one request still must not be able to fill the disk, and clients
     * resume per chunk anyway. 256m is the client library's chunk size. */
    if (opt->max_chunk == NULL) {
        opt->max_chunk = g_strdup("256m");
    }
    if (!yps_valid_token(opt->listen, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                      "0123456789.-")
        || !yps_valid_size(opt->max_chunk)) {
        yps_die("--listen takes an IPv4 address or a host name, --max-chunk a size such as 256m");
    }
    if (opt->origin != NULL && !yps_valid_origin(opt->origin)) {
        yps_die("--origin takes scheme://host[:port], e.g. https://disk.example.org");
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
 * The service user
 * ------------------------------------------------------------------------ */

/*
 * Decides who the application and nginx's workers run as. Started as root:
 * --user, else "yunpan" when that account exists, else "nobody" (with a
 * notice, since nobody may be shared with other services). Not root: the
 * processes simply stay the current user, and --user can only name it.
 */
static void
yps_choose_user(yps_instance_t *inst)
{
    const char *name = inst->opt.user;
    struct passwd *pw;
    struct group *gr;

    inst->as_root = geteuid() == 0;
    if (!inst->as_root) {
        pw = getpwuid(geteuid());
        if (name != NULL && (pw == NULL || strcmp(pw->pw_name, name) != 0)) {
            yps_die("--user %s needs root (the server already runs as the current user)", name);
        }
        return;
    }
    if (name == NULL) {
        name = getpwnam("yunpan") != NULL ? "yunpan" : "nobody";
        if (strcmp(name, "nobody") == 0) {
            fprintf(stderr, "yunpan-server-run: no user \"yunpan\"; running as nobody "
                    "(create one or pass --user)\n");
        }
    }
    pw = getpwnam(name);
    if (pw == NULL) {
        yps_die("no such user: %s", name);
    }
    if (pw->pw_uid == 0) {
        yps_die("refusing to serve as root; pass --user with an unprivileged account");
    }
    gr = getgrgid(pw->pw_gid);
    if (gr == NULL) {
        yps_die("user %s has no primary group", name);
    }
    inst->uid = pw->pw_uid;
    inst->gid = pw->pw_gid;
    inst->user = g_strdup(pw->pw_name);
    inst->group = g_strdup(gr->gr_name);
}

static uid_t yps_own_uid;
static gid_t yps_own_gid;

/* Gives one entry to the service user and takes away group and other
 * permissions. Symlinks are never followed: the folder's contents are the
 * service user's to change, and root must not be led elsewhere. */
static void
yps_own_entry(const char *path, const struct stat *st)
{
    if (st->st_uid != yps_own_uid || st->st_gid != yps_own_gid) {
        if (lchown(path, yps_own_uid, yps_own_gid) != 0) {
            yps_die("cannot give %s to the service user: %s", path, g_strerror(errno));
        }
    }
    if (!S_ISLNK(st->st_mode) && !S_ISSOCK(st->st_mode) && (st->st_mode & 077) != 0
        && fchmodat(AT_FDCWD, path, st->st_mode & 07700, AT_SYMLINK_NOFOLLOW) != 0) {
        yps_die("cannot restrict %s: %s", path, g_strerror(errno));
    }
}

static int
yps_own_walk_cb(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    (void) type;
    (void) ftw;
    yps_own_entry(path, st);
    return 0;
}

/*
 * Makes PATH the service user's. A subtree whose top has the wrong owner
 * (a folder made by root, or data from an instance that ran as someone
 * else) is walked whole; one that is already right is only looked into
 * DEPTH levels deep, so a large blob tree (blobs/ab/cd/...) costs a few
 * thousand lstat calls at start, never one per blob.
 */
static void
yps_own_tree(const char *path, int depth)
{
    g_autoptr(GDir) dir = NULL;
    const char *name;
    struct stat st;

    if (lstat(path, &st) != 0) {
        return;
    }
    if (st.st_uid != yps_own_uid || st.st_gid != yps_own_gid) {
        if (nftw(path, yps_own_walk_cb, 16, FTW_PHYS) != 0) {
            yps_die("cannot walk %s: %s", path, g_strerror(errno));
        }
        return;
    }
    yps_own_entry(path, &st);
    if (!S_ISDIR(st.st_mode) || depth == 0 || (dir = g_dir_open(path, 0, NULL)) == NULL) {
        return;
    }
    while ((name = g_dir_read_name(dir)) != NULL) {
        g_autofree char *child = g_build_filename(path, name, NULL);

        yps_own_tree(child, depth - 1);
    }
}

/* True when the service user can enter and write DIR: every parent folder
 * must let it through, which chown inside DIR cannot fix. */
static bool
yps_user_reaches(const yps_instance_t *inst, const char *dir)
{
    pid_t pid = fork();
    int status;

    if (pid < 0) {
        yps_die("fork: %s", g_strerror(errno));
    }
    if (pid == 0) {
        if (setgroups(0, NULL) != 0 || setgid(inst->gid) != 0 || setuid(inst->uid) != 0) {
            _exit(2);
        }
        _exit(access(dir, R_OK | W_OK | X_OK) == 0 ? 0 : 1);
    }
    return waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

/*
 * Hands the data folder to the service user before anything runs as it.
 * Depth 3 reaches DATA/blobs/ab/cd: fan-out folders a root-run tool created
 * are found, and blobs themselves are only visited under a wrong owner.
 */
static void
yps_own_data(const yps_instance_t *inst)
{
    if (!inst->as_root) {
        return;
    }
    yps_own_uid = inst->uid;
    yps_own_gid = inst->gid;
    yps_own_tree(inst->opt.data_dir, 3);
    if (!yps_user_reaches(inst, inst->opt.data_dir)) {
        yps_die("user %s cannot reach %s: every folder above it must be searchable (x) "
                "by that user", inst->user, inst->opt.data_dir);
    }
}

/*
 * nginx's master runs as root and writes its logs and pid file in folders
 * the service user owns. Anything there that is not a plain file of its own
 * (a symlink or hard link the service user planted to make root append to
 * another file) is removed first; nginx then creates a fresh one.
 */
static void
yps_clear_root_files(const yps_instance_t *inst)
{
    const char *files[][2] = {
        { inst->log_dir, "error.log" }, { inst->log_dir, "access.log" },
        { inst->run_dir, "nginx.pid" },
    };

    if (!inst->as_root) {
        return;
    }
    for (size_t i = 0; i < G_N_ELEMENTS(files); i++) {
        g_autofree char *path = g_build_filename(files[i][0], files[i][1], NULL);
        struct stat st;

        if (lstat(path, &st) == 0 && (!S_ISREG(st.st_mode) || st.st_nlink != 1)
            && unlink(path) != 0) {
            yps_die("cannot remove %s: %s", path, g_strerror(errno));
        }
    }
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

/*
 * The descriptors each nginx worker may open: two per connection (a proxied
 * request holds the client's and the application's), so twice
 * worker_connections in the template. The limit is raised here where the
 * system allows it (children inherit it); otherwise nginx gets what the
 * hard limit allows, since asking for more only makes it log an alert.
 */
static unsigned long
yps_worker_nofile(void)
{
    const rlim_t wanted = 32768;
    struct rlimit lim;

    if (getrlimit(RLIMIT_NOFILE, &lim) != 0) {
        return 1024;
    }
    if (lim.rlim_max != RLIM_INFINITY && lim.rlim_max < wanted) {
        struct rlimit more = { .rlim_cur = wanted, .rlim_max = wanted };

        if (setrlimit(RLIMIT_NOFILE, &more) == 0) {
            lim = more;
        }
    }
    return (unsigned long) (lim.rlim_max == RLIM_INFINITY ? wanted : MIN(wanted, lim.rlim_max));
}

static void
yps_write_nginx_conf(yps_instance_t *inst)
{
    g_autofree char *template_path = yps_find_part("nginx.conf.in", YPS_PKGDATADIR);
    g_autofree char *conf_path = g_build_filename(inst->run_dir, "nginx.conf", NULL);
    g_autofree char *text = NULL;
    g_autoptr(GError) error = NULL;
    g_autofree char *port = g_strdup_printf("%d", inst->opt.port);
    g_autofree char *user = inst->as_root
                            ? g_strdup_printf("user %s %s;", inst->user, inst->group)
                            : g_strdup("");
    g_autofree char *origin = inst->opt.origin
                              ? g_strdup(inst->opt.origin)
                              : g_strdup_printf("http://%s:%d", inst->opt.listen, inst->opt.port);
    g_autofree char *header_timeout = g_strdup_printf("%ds", inst->opt.header_timeout);
    g_autofree char *nofile = g_strdup_printf("%lu", yps_worker_nofile());
    const char *vars[][2] = {
        { "@USER@", user },
        { "@ORIGIN@", origin },
        { "@HEADER_TIMEOUT@", header_timeout },
        { "@NOFILE@", nofile },
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
     * forks the workers and replaces any that die. As root it gives the 0600
     * socket to the service user (nginx's workers run as the same user), and
     * yunpan-server drops to that user itself once it runs: executed as
     * root, the program may live where the service user cannot reach (a
     * build folder under a private home). */
    GPtrArray *argv = g_ptr_array_new();
    const char *head[] = { spawn_fcgi, "-n", "-s", inst->fcgi_socket, "-M", "0600" };
    const char *owner[] = { "-U", inst->user, "-G", inst->group };
    const char *tail[] = { "--", server, "--data", inst->opt.data_dir, "--workers", workers,
                           "--upload-ttl", ttl, "--max-chunk", inst->opt.max_chunk };
    const char *drop[] = { "--user", inst->user };

    for (size_t i = 0; i < G_N_ELEMENTS(head); i++) {
        g_ptr_array_add(argv, (char *) head[i]);
    }
    for (size_t i = 0; inst->as_root && i < G_N_ELEMENTS(owner); i++) {
        g_ptr_array_add(argv, (char *) owner[i]);
    }
    for (size_t i = 0; i < G_N_ELEMENTS(tail); i++) {
        g_ptr_array_add(argv, (char *) tail[i]);
    }
    for (size_t i = 0; inst->as_root && i < G_N_ELEMENTS(drop); i++) {
        g_ptr_array_add(argv, (char *) drop[i]);
    }
    for (size_t i = 0; inst->opt.server_args && inst->opt.server_args[i]; i++) {
        g_ptr_array_add(argv, inst->opt.server_args[i]);
    }
    g_ptr_array_add(argv, NULL);

    unlink(inst->fcgi_socket);
    inst->app = yps_spawn((char **) argv->pdata);
    g_ptr_array_free(argv, TRUE);
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

    /* before anything is created: the database, blobs, logs and nginx's
     * temp files come out 0600/0700 whoever creates them */
    umask(077);
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

    yps_choose_user(&inst);
    yps_make_dirs(&inst);
    yps_lock_instance(&inst);
    yps_own_data(&inst);
    yps_clear_root_files(&inst);
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
