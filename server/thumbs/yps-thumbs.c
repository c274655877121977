/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * yps-thumbs.c: thumbnails with libvips, and their cache on disk.
 *
 * libvips shrinks while it loads (a JPEG is decoded at 1/2, 1/4 or 1/8 of
 * its size, a PNG streamed row by row), so a thumbnail costs little memory
 * whatever the image. What it cannot bound by itself is an image that
 * declares enormous dimensions, or a file so large that even streaming it
 * takes long: both are refused from the header, before any pixel is
 * decoded.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gio/gio.h>
#include <vips/vips.h>

#include "yps-blob.h"
#include "yps-thumbs.h"

/* ------------------------------------------------------------------------
 * Decoding
 * ------------------------------------------------------------------------ */

/*
 * The loaders an image may go through: the formats of the "image" category
 * that libvips reads by itself with bounded memory. SVG (an unbounded
 * renderer), TIFF (strips as large as the image), and BMP, ICO and camera
 * raw files (only through ImageMagick) are not read at all.
 */
static const char *const yps_thumb_loaders[] = {
    "VipsForeignLoadJpeg", "VipsForeignLoadPng", "VipsForeignLoadGif",
    "VipsForeignLoadNsgif", "VipsForeignLoadWebp", "VipsForeignLoadHeif",
};

bool
yps_thumb_size_valid(int64_t size)
{
    return size == YP_THUMBNAIL_SMALL || size == YP_THUMBNAIL_LARGE;
}

/*
 * libvips starts threads, so it is set up in each worker after the fork,
 * on the first thumbnail: one thread per worker (the workers already run in
 * parallel), no cache of operations (each content is decoded once, and a
 * cache would keep decoded images in memory), and no loader that libvips
 * itself calls unsafe for untrusted files.
 */
static bool
yps_thumb_vips_ready(void)
{
    static bool ready;

    if (!ready) {
        if (VIPS_INIT("yunpan-server") != 0) {
            return false;
        }
        vips_cache_set_max(0);
        vips_cache_set_max_mem(0);
        vips_concurrency_set(1);
        vips_block_untrusted_set(TRUE);
        ready = true;
    }
    return true;
}

static bool
yps_thumb_loader_allowed(const char *loader)
{
    for (size_t i = 0; i < G_N_ELEMENTS(yps_thumb_loaders); i++) {
        if (g_str_has_prefix(loader, yps_thumb_loaders[i])) {
            return true;
        }
    }
    return false;
}

static yp_status_t
yps_thumb_refuse(yp_status_t st, char *message, size_t message_len, const char *fmt, ...)
    G_GNUC_PRINTF(4, 5);

static yp_status_t
yps_thumb_refuse(yp_status_t st, char *message, size_t message_len, const char *fmt, ...)
{
    va_list ap;

    /* the reason libvips gives names the file: it stays in the debug log */
    g_debug("thumbnail refused: %s", vips_error_buffer());
    vips_error_clear();
    va_start(ap, fmt);
    g_vsnprintf(message, message_len, fmt, ap);
    va_end(ap);
    return st;
}

/* Reads only the header of PATH and checks the dimensions it declares. */
static yp_status_t
yps_thumb_check_header(const char *path, char *message, size_t message_len)
{
    VipsImage *header = vips_image_new_from_file(path, "access", VIPS_ACCESS_SEQUENTIAL,
                                                 "fail_on", VIPS_FAIL_ON_ERROR, NULL);
    int64_t width, height;

    if (header == NULL) {
        return yps_thumb_refuse(YP_STATUS_NOT_AN_IMAGE, message, message_len,
                                "The image's header cannot be read");
    }
    width = vips_image_get_width(header);
    height = vips_image_get_height(header);
    g_object_unref(header);
    if (width * height > YPS_THUMB_MAX_PIXELS) {
        return yps_thumb_refuse(YP_STATUS_IMAGE_TOO_LARGE, message, message_len,
                                "The image has %" G_GINT64_FORMAT " × %" G_GINT64_FORMAT
                                " pixels; thumbnails are made of at most %d megapixels",
                                width, height, YPS_THUMB_MAX_PIXELS / 1000000);
    }
    return YP_STATUS_OK;
}

/* Shrinks PATH (on load where the format allows) and encodes it as PNG. */
static yp_status_t
yps_thumb_encode(const char *path, int size, void **out, size_t *len, char *message,
                 size_t message_len)
{
    VipsImage *thumb = NULL, *ready = NULL;
    VipsInterpretation want;
    int failed;

    if (vips_thumbnail(path, &thumb, size, "height", size, "size", VIPS_SIZE_DOWN,
                       "fail_on", VIPS_FAIL_ON_ERROR, NULL) != 0) {
        return yps_thumb_refuse(YP_STATUS_NOT_AN_IMAGE, message, message_len,
                                "The image cannot be decoded");
    }
    /* 8 bits per sample in sRGB (or grey), whatever came in: CMYK, 16 bits */
    want = vips_image_get_bands(thumb) < 3 ? VIPS_INTERPRETATION_B_W
                                           : VIPS_INTERPRETATION_sRGB;
    failed = vips_colourspace(thumb, &ready, want, NULL);
    g_object_unref(thumb);
    /* decoding happens here, row by row, so a damaged file fails here */
    failed = failed || vips_pngsave_buffer(ready, out, len, "compression", 6, "strip", TRUE,
                                           NULL);
    if (ready != NULL) {
        g_object_unref(ready);
    }
    if (failed) {
        return yps_thumb_refuse(YP_STATUS_NOT_AN_IMAGE, message, message_len,
                                "The image cannot be decoded (damaged or truncated)");
    }
    return YP_STATUS_OK;
}

yp_status_t
yps_thumb_make(int fd, int size, void **out, size_t *len, char *message, size_t message_len)
{
    char path[64];
    struct stat st;
    const char *loader;
    yp_status_t status;

    *out = NULL;
    *len = 0;
    if (fstat(fd, &st) != 0) {
        g_snprintf(message, message_len, "stat: %s", g_strerror(errno));
        return YP_STATUS_INTERNAL;
    }
    if (st.st_size == 0) {
        g_snprintf(message, message_len, "The file is empty");
        return YP_STATUS_NOT_AN_IMAGE;
    }
    if (st.st_size > YPS_THUMB_MAX_BYTES) {
        g_snprintf(message, message_len, "Thumbnails are made of files of at most %d MiB",
                   YPS_THUMB_MAX_BYTES / (1024 * 1024));
        return YP_STATUS_IMAGE_TOO_LARGE;
    }
    if (!yps_thumb_vips_ready()) {
        g_snprintf(message, message_len, "libvips: %s", vips_error_buffer());
        vips_error_clear();
        return YP_STATUS_INTERNAL;
    }
    /* a name of its own for the open file, whatever backend gave it */
    snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
    loader = vips_foreign_find_load(path);
    if (loader == NULL || !yps_thumb_loader_allowed(loader)) {
        return yps_thumb_refuse(YP_STATUS_NOT_AN_IMAGE, message, message_len,
                                "Thumbnails are made of JPEG, PNG, GIF, WebP and HEIF "
                                "images only");
    }
    if ((status = yps_thumb_check_header(path, message, message_len)) != YP_STATUS_OK) {
        return status;
    }
    return yps_thumb_encode(path, size, out, len, message, message_len);
}

/* ------------------------------------------------------------------------
 * The cache
 * ------------------------------------------------------------------------ */

static const int yps_thumb_sizes[] = { YP_THUMBNAIL_SMALL, YP_THUMBNAIL_LARGE };

char *
yps_thumb_path(const char *data_dir, const char *sha256, int size)
{
    return g_strdup_printf("%s/thumbnails/%d/%.2s/%.2s/%s.png", data_dir, size, sha256,
                           sha256 + 2, sha256);
}

char *
yps_thumb_accel_uri(const char *sha256, int size)
{
    return g_strdup_printf("/_thumbnails/%d/%.2s/%.2s/%s.png", size, sha256, sha256 + 2,
                           sha256);
}

bool
yps_thumb_stage(const char *path, const void *data, size_t len, char **temp, GError **error)
{
    g_autofree char *dir = g_path_get_dirname(path);
    int fd, err;

    *temp = NULL;
    if (g_mkdir_with_parents(dir, 0700) != 0) {
        return yps_set_errno(error, errno, "mkdir", dir);
    }
    /* a name the start-up sweep removes should the worker die now */
    *temp = g_strdup_printf("%s.%08x.tmp", path, g_random_int());
    fd = open(*temp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
        err = errno;
        g_clear_pointer(temp, g_free);
        return yps_set_errno(error, err, "open", path);
    }
    /* the data is on disk before the name is: never a torn thumbnail */
    if (!yps_write_all(fd, data, len) || fdatasync(fd) != 0) {
        err = errno;
        close(fd);
        yps_thumb_discard(*temp);
        g_clear_pointer(temp, g_free);
        return yps_set_errno(error, err, "write", path);
    }
    close(fd);
    return true;
}

bool
yps_thumb_publish(const char *temp, const char *path, GError **error)
{
    g_autofree char *dir = g_path_get_dirname(path);

    if (rename(temp, path) != 0) {
        int err = errno;

        yps_thumb_discard(temp);
        return yps_set_errno(error, err, "rename", path);
    }
    /* losing the entry in a crash would only mean making it again; the
     * sync is what makes a thumbnail that was served stay served */
    return yps_fsync_path(dir, error);
}

void
yps_thumb_discard(const char *temp)
{
    if (temp != NULL && unlink(temp) != 0 && errno != ENOENT) {
        g_warning("unlink %s: %s", temp, g_strerror(errno));
    }
}

void
yps_thumb_forget(const char *data_dir, const char *sha256)
{
    for (size_t i = 0; i < G_N_ELEMENTS(yps_thumb_sizes); i++) {
        g_autofree char *path = yps_thumb_path(data_dir, sha256, yps_thumb_sizes[i]);

        if (unlink(path) != 0 && errno != ENOENT) {
            /* the start-up sweep removes it then */
            g_warning("unlink %s: %s", path, g_strerror(errno));
        }
    }
}

/* Whether NAME in a leaf folder is a finished thumbnail of a blob that is
 * still referenced. */
static bool
yps_thumb_keep(const char *name, bool (*referenced)(const char *sha256, void *data), void *data)
{
    char sha256[YP_SHA256_HEX_LEN + 1];

    if (strlen(name) != YP_SHA256_HEX_LEN + 4 || !g_str_has_suffix(name, ".png")) {
        return false;
    }
    memcpy(sha256, name, YP_SHA256_HEX_LEN);
    sha256[YP_SHA256_HEX_LEN] = '\0';
    return referenced(sha256, data);
}

unsigned
yps_thumb_sweep(const char *data_dir, bool (*referenced)(const char *sha256, void *data),
                void *data)
{
    unsigned removed = 0;

    for (size_t i = 0; i < G_N_ELEMENTS(yps_thumb_sizes); i++) {
        g_autofree char *root = g_strdup_printf("%s/thumbnails/%d", data_dir,
                                                yps_thumb_sizes[i]);
        g_autoptr(GDir) top = g_dir_open(root, 0, NULL);
        const char *a, *b, *name;

        while (top && (a = g_dir_read_name(top)) != NULL) {
            g_autofree char *level1 = g_build_filename(root, a, NULL);
            g_autoptr(GDir) mid = g_dir_open(level1, 0, NULL);

            while (mid && (b = g_dir_read_name(mid)) != NULL) {
                g_autofree char *level2 = g_build_filename(level1, b, NULL);
                g_autoptr(GDir) leaf = g_dir_open(level2, 0, NULL);

                while (leaf && (name = g_dir_read_name(leaf)) != NULL) {
                    g_autofree char *path = g_build_filename(level2, name, NULL);

                    if (!yps_thumb_keep(name, referenced, data) && unlink(path) == 0) {
                        removed++;
                    }
                }
            }
        }
    }
    return removed;
}
