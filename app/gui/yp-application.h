/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define YP_TYPE_APPLICATION (yp_application_get_type ())

G_DECLARE_FINAL_TYPE (YpApplication, yp_application, YP, APPLICATION, AdwApplication)

YpApplication *yp_application_new (void);

G_END_DECLS
