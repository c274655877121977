/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

#define YP_TYPE_NODE (yp_node_get_type ())

G_DECLARE_FINAL_TYPE (YpNode, yp_node, YP, NODE, GObject)

/*
 * What a change expects of the node it acts on, as an "if_version" argument
 * (every call that takes one means the same by it):
 * - %YP_VERSION_ANY: whatever is there, if anything: unconditional;
 * - %YP_VERSION_NONE: nothing: create only (uploads; a call that acts on an
 *   existing node, such as move or delete, refuses it as invalid);
 * - a version N > 0: exactly version N of the node, else the call fails
 *   with %YP_CLIENT_ERROR_CONFLICT and nothing changes.
 */
#define YP_VERSION_ANY  ((gint64) -1)
#define YP_VERSION_NONE ((gint64) 0)

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
