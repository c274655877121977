/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

#include "yp-node.h"

G_BEGIN_DECLS

/* How a node is shown: the same in the list, the grid and its properties. */
GIcon *yp_node_display_dup_icon      (YpNode *node,
                                      gboolean symbolic);
/* "" for folders */
char  *yp_node_display_dup_size      (YpNode *node);
/* Today's times by the clock, this year's by day and month, older by date. */
char  *yp_node_display_dup_time      (gint64  unix_time,
                                      gint64  now);
char  *yp_node_display_dup_type      (YpNode *node);
/* Whether a thumbnail is worth asking for. */
gboolean yp_node_display_has_thumbnail (YpNode *node);

/* By KEY, ties by name; folders first is the caller's. */
int    yp_node_display_compare_name      (YpNode *a,
                                          YpNode *b);
int    yp_node_display_compare_size      (YpNode *a,
                                          YpNode *b);
int    yp_node_display_compare_modified  (YpNode *a,
                                          YpNode *b);
int    yp_node_display_compare_downloads (YpNode *a,
                                          YpNode *b);

G_END_DECLS
