/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "yp-sync-error.h"

G_DEFINE_QUARK (yp-sync-error-quark, yp_sync_error)
