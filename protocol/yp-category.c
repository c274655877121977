/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <string.h>

#include <glib.h>

#include "yp-category.h"

static const struct {
    const char *category;
    const char *extensions[20];
} yp_categories[] = {
    { "document", { "txt", "md", "pdf", "doc", "docx", "odt", "rtf", "xls", "xlsx", "ods",
                    "csv", "ppt", "pptx", "odp", "epub", "tex", NULL } },
    { "image",    { "jpg", "jpeg", "png", "gif", "bmp", "webp", "svg", "tif", "tiff", "heic",
                    "ico", "raw", NULL } },
    { "video",    { "mp4", "mkv", "avi", "mov", "webm", "flv", "wmv", "m4v", "mpg", "mpeg",
                    "3gp", "ts", NULL } },
    { "audio",    { "mp3", "flac", "wav", "ogg", "oga", "opus", "m4a", "aac", "wma", "aiff",
                    NULL } },
    { "archive",  { "zip", "rar", "7z", "tar", "gz", "tgz", "bz2", "xz", "zst", "lz4", "iso",
                    NULL } },
};

const char *
yp_category_for_name(const char *name)
{
    const char *dot = name ? strrchr(name, '.') : NULL;

    /* ".bashrc" has no extension, "a." has an empty one */
    if (dot == NULL || dot == name || dot[1] == '\0') {
        return "other";
    }
    for (size_t i = 0; i < G_N_ELEMENTS(yp_categories); i++) {
        for (const char *const *ext = yp_categories[i].extensions; *ext; ext++) {
            if (g_ascii_strcasecmp(dot + 1, *ext) == 0) {
                return yp_categories[i].category;
            }
        }
    }
    return "other";
}

bool
yp_category_is_valid(const char *category)
{
    if (category == NULL) {
        return false;
    }
    if (strcmp(category, "other") == 0 || strcmp(category, "folder") == 0) {
        return true;
    }
    for (size_t i = 0; i < G_N_ELEMENTS(yp_categories); i++) {
        if (strcmp(category, yp_categories[i].category) == 0) {
            return true;
        }
    }
    return false;
}
