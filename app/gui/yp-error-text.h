/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* What to tell a person about ERROR, a failed sign-in or registration: one
 * sentence, translated, saying what to do. */
const char *yp_error_text_for_sign_in (const GError *error);

G_END_DECLS
