/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "yp-session.h"
#include "yp-sync-manager.h"

G_BEGIN_DECLS

#define YP_TYPE_APPLICATION (yp_application_get_type ())

G_DECLARE_FINAL_TYPE (YpApplication, yp_application, YP, APPLICATION, AdwApplication)

YpApplication *yp_application_new         (void);
/* The account, shared by every window and the sync engines. */
YpSession     *yp_application_get_session (YpApplication *self);
/* The sync folders of the signed-in account, running with or without a
 * window. */
YpSyncManager *yp_application_get_sync_manager (YpApplication *self);

G_END_DECLS
