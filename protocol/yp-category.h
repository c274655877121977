/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * yp-category.h: the category of a file, from its name's extension.
 */
#ifndef YP_CATEGORY_H
#define YP_CATEGORY_H

#include <stdbool.h>

/* "document", "image", "video", "audio", "archive" or "other". */
const char *yp_category_for_name(const char *name);

/* True for the categories above and "folder". */
bool yp_category_is_valid(const char *category);

#endif
