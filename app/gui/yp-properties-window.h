/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "yp-node.h"

G_BEGIN_DECLS

#define YP_TYPE_PROPERTIES_WINDOW (yp_properties_window_get_type ())

G_DECLARE_FINAL_TYPE (YpPropertiesWindow, yp_properties_window, YP, PROPERTIES_WINDOW, AdwWindow)

/* What the server knows of NODE: kind, size, SHA-256, dates, version. */
GtkWidget *yp_properties_window_new (GtkWindow *parent,
                                     YpNode    *node);

G_END_DECLS
