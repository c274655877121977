/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The blob store's group put, on the folder backend and through the
 * fallback that backends without one get: every blob lands whole under its
 * name, "added" tells new content from content already stored, and no
 * staging file is left behind.
 */
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <glib.h>

#include "yp-hash.h"
#include "yps-blob.h"

typedef struct {
    char       *top;
    char       *root;       /* the store's folder */
    char       *staging;    /* beside it, as the uploads' folder is */
    yps_blob_t *blob;
} Fixture;

static void
fixture_set_up(Fixture *f, gconstpointer data)
{
    g_autoptr(GError) error = NULL;

    f->top = g_dir_make_tmp("yp-test-blob-XXXXXX", &error);
    g_assert_no_error(error);
    f->root = g_build_filename(f->top, "blobs", NULL);
    f->staging = g_build_filename(f->top, "uploads", NULL);
    g_assert_cmpint(g_mkdir_with_parents(f->staging, 0700), ==, 0);
    f->blob = yps_blob_fs_open(f->root, &error);
    g_assert_no_error(error);
}

static int
remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    return remove(path);
}

static void
fixture_tear_down(Fixture *f, gconstpointer data)
{
    f->blob->ops->close(f->blob);
    g_assert_cmpint(nftw(f->top, remove_one, 8, FTW_DEPTH | FTW_PHYS), ==, 0);
    g_free(f->top);
    g_free(f->root);
    g_free(f->staging);
}

/* The files under DIR but the store's lock: blobs and any staging file. */
static unsigned
count_files(const char *dir)
{
    g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
    const char *name;
    unsigned n = 0;

    while (d && (name = g_dir_read_name(d)) != NULL) {
        g_autofree char *path = g_build_filename(dir, name, NULL);

        if (g_file_test(path, G_FILE_TEST_IS_DIR)) {
            n += count_files(path);
        } else if (strcmp(name, ".lock") != 0) {
            n++;
        }
    }
    return n;
}

static char *
hex_of(const char *data, size_t len)
{
    yp_sha256_t *hash = yp_sha256_new();
    char hex[65];

    yp_sha256_update(hash, data, len);
    yp_sha256_finish_hex(hash, hex);
    yp_sha256_free(hash);
    return g_strdup(hex);
}

/* Puts three blobs, one of them twice in the group and one stored before,
 * and reads each back through the store. */
static void
check_put_many(Fixture *f)
{
    const char *data[] = { "first", "second", "", "first" };
    yps_blob_item_t items[G_N_ELEMENTS(data)];
    g_autofree char *shas[G_N_ELEMENTS(data)] = { NULL };
    g_autoptr(GError) error = NULL;
    bool added;
    int previous = -1;
    int fd;

    for (size_t i = 0; i < G_N_ELEMENTS(data); i++) {
        shas[i] = hex_of(data[i], strlen(data[i]));
        items[i] = (yps_blob_item_t) { .sha256 = shas[i], .data = data[i],
                                       .len = strlen(data[i]) };
    }
    /* "second" is there already */
    fd = open(f->staging, O_TMPFILE | O_RDWR, 0600);
    g_assert_cmpint(write(fd, "second", 6), ==, 6);
    f->blob->ops->put(f->blob, fd, shas[1], &added, &previous, &error);
    g_assert_no_error(error);
    close(fd);

    yps_blob_put_many(f->blob, items, G_N_ELEMENTS(items), f->staging, &error);
    g_assert_no_error(error);
    g_assert_true(items[0].added);
    g_assert_false(items[1].added);
    g_assert_true(items[2].added);
    g_assert_cmpuint(count_files(f->root), ==, 3);
    g_assert_cmpuint(count_files(f->staging), ==, 0);
    for (size_t i = 0; i < G_N_ELEMENTS(data); i++) {
        char buf[16] = { 0 };

        fd = f->blob->ops->open(f->blob, shas[i], &error);
        g_assert_no_error(error);
        g_assert_cmpint(read(fd, buf, sizeof(buf)), ==, (int) strlen(data[i]));
        g_assert_cmpstr(buf, ==, data[i]);
        close(fd);
    }
}

static void
test_put_many_fs(Fixture *f, gconstpointer data)
{
    g_assert_nonnull(f->blob->ops->put_many);
    check_put_many(f);
}

/* A group big enough to sync the file system instead of each file: every
 * blob is in place, readable, and no temporary file is left. */
static void
test_put_many_big(Fixture *f, gconstpointer data)
{
    enum { N = 200 };
    yps_blob_item_t items[N];
    g_autofree char *contents[N] = { NULL };
    g_autofree char *shas[N] = { NULL };
    g_autoptr(GError) error = NULL;

    for (size_t i = 0; i < N; i++) {
        contents[i] = g_strdup_printf("blob number %zu", i);
        shas[i] = hex_of(contents[i], strlen(contents[i]));
        items[i] = (yps_blob_item_t) { .sha256 = shas[i], .data = contents[i],
                                       .len = strlen(contents[i]) };
    }
    yps_blob_put_many(f->blob, items, N, f->staging, &error);
    g_assert_no_error(error);
    g_assert_cmpuint(count_files(f->root), ==, N);
    g_assert_cmpuint(count_files(f->staging), ==, 0);
    for (size_t i = 0; i < N; i++) {
        char buf[32] = { 0 };
        int fd = f->blob->ops->open(f->blob, shas[i], &error);

        g_assert_no_error(error);
        g_assert_true(items[i].added);
        g_assert_cmpint(read(fd, buf, sizeof(buf)), ==, (int) strlen(contents[i]));
        g_assert_cmpstr(buf, ==, contents[i]);
        close(fd);
    }
}

static void
test_put_many_fallback(Fixture *f, gconstpointer data)
{
    /* the same store, as a backend that has only put */
    yps_blob_ops_t ops = *f->blob->ops;
    const yps_blob_ops_t *own = f->blob->ops;

    ops.put_many = NULL;
    f->blob->ops = &ops;
    check_put_many(f);
    f->blob->ops = own;
}

int
main(int argc, char *argv[])
{
    g_test_init(&argc, &argv, NULL);
    g_test_add("/yunpan/server/blob/put-many/fs", Fixture, NULL, fixture_set_up,
               test_put_many_fs, fixture_tear_down);
    g_test_add("/yunpan/server/blob/put-many/big", Fixture, NULL, fixture_set_up,
               test_put_many_big, fixture_tear_down);
    g_test_add("/yunpan/server/blob/put-many/fallback", Fixture, NULL, fixture_set_up,
               test_put_many_fallback, fixture_tear_down);
    return g_test_run();
}
