/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/**
 * YpTarget:
 * @id: the node's id (> 0), stable across renames and moves
 * @path: the node's absolute path
 * @parent_id: with @name, the node called @name in the folder @parent_id
 * @name: see @parent_id
 *
 * The node a call acts on: by id, by path, or by name in a parent folder.
 * Set exactly one of the three; the macros below make one in place:
 *
 * |[<!-- language="C" -->
 * yp_client_stat_sync (client, YP_TARGET_ID (42), NULL, &error);
 * yp_client_mkdir_sync (client, YP_TARGET_CHILD (7, "2024"), FALSE, NULL, &error);
 * ]|
 *
 * Calls that act on an existing node (list, stat, move, delete) take an id
 * or a path; calls that name a new one (mkdir, a move's destination, an
 * upload) take a path or a parent id and name.
 */
typedef struct
{
  gint64      id;
  const char *path;
  gint64      parent_id;
  const char *name;
} YpTarget;

#define YP_TARGET_ID(node_id)        (&(const YpTarget) { .id = (node_id) })
#define YP_TARGET_PATH(node_path)    (&(const YpTarget) { .path = (node_path) })
#define YP_TARGET_CHILD(parent, child) \
  (&(const YpTarget) { .parent_id = (parent), .name = (child) })

G_END_DECLS
