/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * yps-blob-fs.c: blobs as files in a content-addressed folder.
 *
 * A blob becomes visible to the metadata store only after its file and its
 * folder entry are on disk, so a crash can leave an unreferenced file (swept
 * later) but never a reference to missing bytes.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gio/gio.h>

#include "yps-blob.h"

typedef struct {
    yps_blob_t  base;
    char       *root;
    int         lock_fd;
} yps_blob_fs_t;

#define YPS_BLOB_FS(b) ((yps_blob_fs_t *) (b))

bool
yps_set_errno(GError **error, int err, const char *what, const char *path)
{
    g_set_error(error, G_IO_ERROR, g_io_error_from_errno(err), "%s %s: %s", what, path,
                g_strerror(err));
    return false;
}

bool
yps_fsync_path(const char *path, GError **error)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);

    if (fd < 0) {
        return yps_set_errno(error, errno, "open", path);
    }
    if (fsync(fd) != 0) {
        int err = errno;
        close(fd);
        return yps_set_errno(error, err, "fsync", path);
    }
    close(fd);
    return true;
}

bool
yps_write_all(int fd, const void *data, size_t len)
{
    const char *p = data;

    while (len > 0) {
        ssize_t n = write(fd, p, len);

        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            return false;
        }
        p += n;
        len -= (size_t) n;
    }
    return true;
}

static char *
yps_blob_fs_path(yps_blob_fs_t *fs, const char *sha256)
{
    return g_strdup_printf("%s/%.2s/%.2s/%s", fs->root, sha256, sha256 + 2, sha256);
}

static bool
yps_blob_fs_lock(yps_blob_t *blob, GError **error)
{
    yps_blob_fs_t *fs = YPS_BLOB_FS(blob);

    while (flock(fs->lock_fd, LOCK_EX) != 0) {
        if (errno != EINTR) {
            return yps_set_errno(error, errno, "lock", fs->root);
        }
    }
    return true;
}

static void
yps_blob_fs_unlock(yps_blob_t *blob)
{
    flock(YPS_BLOB_FS(blob)->lock_fd, LOCK_UN);
}

/* Gives the inode behind FD the name PATH (which must not exist). */
static bool
yps_link_fd(int fd, const char *path, GError **error)
{
    char proc[64];

    snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
    if (linkat(AT_FDCWD, proc, AT_FDCWD, path, AT_SYMLINK_FOLLOW) != 0) {
        return yps_set_errno(error, errno, "link", path);
    }
    return true;
}

static bool
yps_blob_fs_put(yps_blob_t *blob, int fd, const char *sha256, bool *added, int *previous,
                GError **error)
{
    yps_blob_fs_t *fs = YPS_BLOB_FS(blob);
    g_autofree char *target = yps_blob_fs_path(fs, sha256);
    g_autofree char *dir = g_path_get_dirname(target);
    g_autofree char *parent = g_path_get_dirname(dir);
    g_autofree char *temp = NULL;
    int old;

    *added = false;
    *previous = -1;
    if (g_mkdir_with_parents(dir, 0700) != 0) {
        return yps_set_errno(error, errno, "mkdir", dir);
    }
    if (fsync(fd) != 0) {
        return yps_set_errno(error, errno, "fsync", target);
    }
    /* link the verified inode itself, never a path someone could swap */
    temp = g_strdup_printf("%s.%08x.tmp", target, g_random_int());
    if (!yps_link_fd(fd, temp, error)) {
        return false;
    }
    old = open(target, O_RDONLY | O_CLOEXEC);
    if (old < 0 && errno != ENOENT) {
        /* it may exist: never report as new a blob others refer to */
        int err = errno;

        unlink(temp);
        return yps_set_errno(error, err, "open", target);
    }
    if (rename(temp, target) != 0) {
        int err = errno;

        unlink(temp);
        if (old >= 0) {
            close(old);
        }
        return yps_set_errno(error, err, "rename", target);
    }
    if (!yps_fsync_path(dir, error) || !yps_fsync_path(parent, error)) {
        if (old >= 0) {
            close(old);
        }
        return false;
    }
    *added = old < 0;
    *previous = old;
    return true;
}

/* ------------------------------------------------------------------------
 * A group of blobs, with one sync per folder
 * ------------------------------------------------------------------------ */

typedef struct {
    char *temp;     /* the blob's bytes under a name the sweep removes */
    char *target;
    int   fd;
} yps_staged_t;

static void
yps_staged_clear(yps_staged_t *s)
{
    if (s->fd >= 0) {
        close(s->fd);
    }
    if (s->temp) {
        unlink(s->temp);
    }
    g_free(s->temp);
    g_free(s->target);
}

/* Writes ITEM's bytes to a temporary file beside its place (a name that is
 * no SHA-256, which the start-up sweep removes); FOLDERS gets every folder
 * that may get a new entry. */
static bool
yps_blob_fs_stage(yps_blob_fs_t *fs, yps_blob_item_t *item, yps_staged_t *s,
                  GHashTable *folders, GError **error)
{
    g_autofree char *dir = NULL;

    s->target = yps_blob_fs_path(fs, item->sha256);
    s->temp = g_strdup_printf("%s.%08x.tmp", s->target, g_random_int());
    dir = g_path_get_dirname(s->target);
    if (g_mkdir_with_parents(dir, 0700) != 0) {
        return yps_set_errno(error, errno, "mkdir", dir);
    }
    item->added = access(s->target, F_OK) != 0;
    s->fd = open(s->temp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (s->fd < 0 || !yps_write_all(s->fd, item->data, item->len)) {
        return yps_set_errno(error, errno, "write", s->temp);
    }
    g_hash_table_add(folders, g_strdup(dir));
    g_hash_table_add(folders, g_path_get_dirname(dir));
    g_hash_table_add(folders, g_strdup(fs->root));
    return true;
}

static bool
yps_blob_fs_sync_folders(GHashTable *folders, GError **error)
{
    GHashTableIter iter;
    gpointer path;

    g_hash_table_iter_init(&iter, folders);
    while (g_hash_table_iter_next(&iter, &path, NULL)) {
        if (!yps_fsync_path(path, error)) {
            return false;
        }
    }
    return true;
}

/* From this many blobs on, a group syncs the whole file system twice
 * instead of each file and folder: a batch of small files spreads over as
 * many new fan-out folders as it has files, and each sync waits for the
 * disk. */
#define YPS_BLOB_SYNCFS_MIN 32

/* The data written so far, or the renames done so far, on the blobs' file
 * system (syncfs(2) reports write-back errors since Linux 5.8). */
static bool
yps_blob_fs_syncfs(yps_blob_fs_t *fs, GError **error)
{
    int fd = open(fs->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int err;

    if (fd < 0) {
        return yps_set_errno(error, errno, "open", fs->root);
    }
    err = syncfs(fd) == 0 ? 0 : errno;
    close(fd);
    return err == 0 || yps_set_errno(error, err, "syncfs", fs->root);
}

/* Each staged file's data reaches the disk, before any is renamed. */
static bool
yps_blob_fs_sync_staged(yps_blob_fs_t *fs, yps_staged_t *staged, size_t n, GError **error)
{
    if (n >= YPS_BLOB_SYNCFS_MIN) {
        return yps_blob_fs_syncfs(fs, error);
    }
    for (size_t i = 0; i < n; i++) {
        if (fdatasync(staged[i].fd) != 0) {
            return yps_set_errno(error, errno, "fdatasync", staged[i].temp);
        }
    }
    return true;
}

/*
 * Every file is written first, then their data is synced (each file's, or
 * for a big group the file system's once), then each is renamed over its
 * place, and the folders that changed are synced (each once, or the file
 * system once): a file's rename reaches the disk only after its data, and N
 * blobs cost N data syncs and a few folder syncs, or two syncs, instead of
 * 3N.
 */
static bool
yps_blob_fs_put_many(yps_blob_t *blob, yps_blob_item_t *items, size_t n, GError **error)
{
    yps_blob_fs_t *fs = YPS_BLOB_FS(blob);
    g_autoptr(GHashTable) folders = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    g_autofree yps_staged_t *staged = g_new0(yps_staged_t, n);
    bool ok = true;

    for (size_t i = 0; i < n; i++) {
        staged[i].fd = -1;
    }
    for (size_t i = 0; i < n && ok; i++) {
        ok = yps_blob_fs_stage(fs, &items[i], &staged[i], folders, error);
    }
    ok = ok && yps_blob_fs_sync_staged(fs, staged, n, error);
    for (size_t i = 0; i < n && ok; i++) {
        if (rename(staged[i].temp, staged[i].target) != 0) {
            ok = yps_set_errno(error, errno, "rename", staged[i].target);
        } else {
            g_clear_pointer(&staged[i].temp, g_free);
        }
    }
    if (n >= YPS_BLOB_SYNCFS_MIN) {
        ok = ok && yps_blob_fs_syncfs(fs, error);
    } else {
        ok = ok && yps_blob_fs_sync_folders(folders, error);
    }
    for (size_t i = 0; i < n; i++) {
        yps_staged_clear(&staged[i]);
    }
    return ok;
}

static bool
yps_blob_fs_remove(yps_blob_t *blob, const char *sha256, GError **error)
{
    g_autofree char *target = yps_blob_fs_path(YPS_BLOB_FS(blob), sha256);

    if (unlink(target) != 0 && errno != ENOENT) {
        return yps_set_errno(error, errno, "unlink", target);
    }
    return true;
}

static int
yps_blob_fs_open_blob(yps_blob_t *blob, const char *sha256, GError **error)
{
    g_autofree char *target = yps_blob_fs_path(YPS_BLOB_FS(blob), sha256);
    int fd = open(target, O_RDONLY | O_CLOEXEC);

    if (fd < 0) {
        yps_set_errno(error, errno, "open", target);
    }
    return fd;
}

static char *
yps_blob_fs_accel_uri(yps_blob_t *blob, const char *sha256)
{
    return g_strdup_printf("/_blobs/%.2s/%.2s/%s", sha256, sha256 + 2, sha256);
}

/* Walks ROOT/ab/cd/<sha256> and unlinks the files nobody refers to: what a
 * crash between storing a blob and committing its row leaves behind. */
static void
yps_blob_fs_sweep(yps_blob_t *blob, bool (*referenced)(const char *sha256, void *data),
                  void *data, unsigned *removed)
{
    yps_blob_fs_t *fs = YPS_BLOB_FS(blob);
    g_autoptr(GDir) top = g_dir_open(fs->root, 0, NULL);
    const char *a, *b, *name;

    *removed = 0;
    while (top && (a = g_dir_read_name(top)) != NULL) {
        g_autofree char *level1 = g_build_filename(fs->root, a, NULL);
        g_autoptr(GDir) mid = strlen(a) == 2 ? g_dir_open(level1, 0, NULL) : NULL;

        while (mid && (b = g_dir_read_name(mid)) != NULL) {
            g_autofree char *level2 = g_build_filename(level1, b, NULL);
            g_autoptr(GDir) leaf = g_dir_open(level2, 0, NULL);

            while (leaf && (name = g_dir_read_name(leaf)) != NULL) {
                g_autofree char *path = g_build_filename(level2, name, NULL);

                if (!referenced(name, data) && unlink(path) == 0) {
                    (*removed)++;
                }
            }
        }
    }
}

static void
yps_blob_fs_close(yps_blob_t *blob)
{
    yps_blob_fs_t *fs = YPS_BLOB_FS(blob);

    if (fs->lock_fd >= 0) {
        close(fs->lock_fd);
    }
    g_free(fs->root);
    g_free(fs);
}

static const yps_blob_ops_t yps_blob_fs_ops = {
    .name = "fs",
    .close = yps_blob_fs_close,
    .lock = yps_blob_fs_lock,
    .unlock = yps_blob_fs_unlock,
    .put = yps_blob_fs_put,
    .put_many = yps_blob_fs_put_many,
    .remove = yps_blob_fs_remove,
    .open = yps_blob_fs_open_blob,
    .accel_uri = yps_blob_fs_accel_uri,
    .sweep = yps_blob_fs_sweep,
};

yps_blob_t *
yps_blob_fs_open(const char *root, GError **error)
{
    yps_blob_fs_t *fs = g_new0(yps_blob_fs_t, 1);
    g_autofree char *lock_path = g_build_filename(root, ".lock", NULL);

    fs->base.ops = &yps_blob_fs_ops;
    fs->root = g_strdup(root);
    fs->lock_fd = -1;
    if (g_mkdir_with_parents(root, 0700) != 0) {
        yps_set_errno(error, errno, "mkdir", root);
        yps_blob_fs_close(&fs->base);
        return NULL;
    }
    fs->lock_fd = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fs->lock_fd < 0) {
        yps_set_errno(error, errno, "open", lock_path);
        yps_blob_fs_close(&fs->base);
        return NULL;
    }
    return &fs->base;
}
