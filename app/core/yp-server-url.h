/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

char *yp_server_url_normalize (const char *url);

G_END_DECLS
