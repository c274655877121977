/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

#define YP_TYPE_NODE (yp_node_get_type ())

G_DECLARE_FINAL_TYPE (YpNode, yp_node, YP, NODE, GObject)

YpNode     *yp_node_new_from_json  (JsonObject *object);
gint64      yp_node_get_id         (YpNode     *self);
gint64      yp_node_get_parent_id  (YpNode     *self);
const char *yp_node_get_name       (YpNode     *self);
const char *yp_node_get_path       (YpNode     *self);
gboolean    yp_node_is_folder      (YpNode     *self);
gint64      yp_node_get_size       (YpNode     *self);
const char *yp_node_get_sha256     (YpNode     *self);
const char *yp_node_get_category   (YpNode     *self);
gint64      yp_node_get_mtime      (YpNode     *self);
gint64      yp_node_get_created    (YpNode     *self);
gint64      yp_node_get_modified   (YpNode     *self);
gint64      yp_node_get_version    (YpNode     *self);
gint64      yp_node_get_downloads  (YpNode     *self);

G_END_DECLS
