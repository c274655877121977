/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "yunpan-client"

#include "yp-node.h"

/**
 * YpNode:
 *
 * A file or folder as the server last described it. Immutable: a change on
 * the server gives a new node with a new version.
 */
struct _YpNode
{
  GObject parent_instance;

  gint64   id;
  gint64   parent_id;
  char    *name;
  char    *path;
  char    *sha256;
  char    *category;
  gboolean is_folder;
  gint64   size;
  gint64   mtime;
  gint64   created;
  gint64   modified;
  gint64   version;
  gint64   downloads;
};

G_DEFINE_FINAL_TYPE (YpNode, yp_node, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_ID,
  PROP_PARENT_ID,
  PROP_NAME,
  PROP_PATH,
  PROP_IS_FOLDER,
  PROP_SIZE,
  PROP_SHA256,
  PROP_CATEGORY,
  PROP_MTIME,
  PROP_CREATED,
  PROP_MODIFIED,
  PROP_VERSION,
  PROP_DOWNLOADS,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
yp_node_finalize (GObject *object)
{
  YpNode *self = YP_NODE (object);

  g_clear_pointer (&self->name, g_free);
  g_clear_pointer (&self->path, g_free);
  g_clear_pointer (&self->sha256, g_free);
  g_clear_pointer (&self->category, g_free);

  G_OBJECT_CLASS (yp_node_parent_class)->finalize (object);
}

static void
yp_node_get_property (GObject    *object,
                      guint       prop_id,
                      GValue     *value,
                      GParamSpec *pspec)
{
  YpNode *self = YP_NODE (object);

  switch (prop_id)
    {
    case PROP_ID:
      g_value_set_int64 (value, self->id);
      break;
    case PROP_PARENT_ID:
      g_value_set_int64 (value, self->parent_id);
      break;
    case PROP_NAME:
      g_value_set_string (value, self->name);
      break;
    case PROP_PATH:
      g_value_set_string (value, self->path);
      break;
    case PROP_IS_FOLDER:
      g_value_set_boolean (value, self->is_folder);
      break;
    case PROP_SIZE:
      g_value_set_int64 (value, self->size);
      break;
    case PROP_SHA256:
      g_value_set_string (value, self->sha256);
      break;
    case PROP_CATEGORY:
      g_value_set_string (value, self->category);
      break;
    case PROP_MTIME:
      g_value_set_int64 (value, self->mtime);
      break;
    case PROP_CREATED:
      g_value_set_int64 (value, self->created);
      break;
    case PROP_MODIFIED:
      g_value_set_int64 (value, self->modified);
      break;
    case PROP_VERSION:
      g_value_set_int64 (value, self->version);
      break;
    case PROP_DOWNLOADS:
      g_value_set_int64 (value, self->downloads);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

/* Every field is a property so that a list row or a sort can bind to it;
 * a node never changes, so none of them is ever notified. */
static GParamSpec *
int64_property (const char *name)
{
  return g_param_spec_int64 (name, NULL, NULL, G_MININT64, G_MAXINT64, 0,
                             G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
}

static GParamSpec *
string_property (const char *name)
{
  return g_param_spec_string (name, NULL, NULL, NULL, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
}

static void
yp_node_class_init (YpNodeClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = yp_node_finalize;
  object_class->get_property = yp_node_get_property;

  properties[PROP_ID] = int64_property ("id");
  properties[PROP_PARENT_ID] = int64_property ("parent-id");
  properties[PROP_NAME] = string_property ("name");
  properties[PROP_PATH] = string_property ("path");
  properties[PROP_IS_FOLDER] =
    g_param_spec_boolean ("is-folder", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_SIZE] = int64_property ("size");
  properties[PROP_SHA256] = string_property ("sha256");
  properties[PROP_CATEGORY] = string_property ("category");
  properties[PROP_MTIME] = int64_property ("mtime");
  properties[PROP_CREATED] = int64_property ("created");
  properties[PROP_MODIFIED] = int64_property ("modified");
  properties[PROP_VERSION] = int64_property ("version");
  properties[PROP_DOWNLOADS] = int64_property ("downloads");

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
yp_node_init (YpNode *self)
{
}

static gint64
member_int (JsonObject *object,
            const char *name)
{
  JsonNode *node = json_object_get_member (object, name);

  return node && json_node_get_value_type (node) == G_TYPE_INT64 ? json_node_get_int (node) : 0;
}

static char *
member_string (JsonObject *object,
               const char *name)
{
  JsonNode *node = json_object_get_member (object, name);

  return node && json_node_get_value_type (node) == G_TYPE_STRING
    ? g_strdup (json_node_get_string (node)) : NULL;
}

/**
 * yp_node_new_from_json:
 * @object: a node object of the protocol
 *
 * Returns: (transfer full) (nullable): the node, or %NULL when @object is not one
 */
YpNode *
yp_node_new_from_json (JsonObject *object)
{
  YpNode *self;
  g_autofree char *type = NULL;

  g_return_val_if_fail (object != NULL, NULL);

  type = member_string (object, "type");
  if (type == NULL || member_int (object, "id") <= 0)
    return NULL;

  self = g_object_new (YP_TYPE_NODE, NULL);
  self->id = member_int (object, "id");
  self->parent_id = member_int (object, "parent_id");
  self->name = member_string (object, "name");
  self->path = member_string (object, "path");
  self->sha256 = member_string (object, "sha256");
  self->category = member_string (object, "category");
  self->is_folder = g_strcmp0 (type, "folder") == 0;
  self->size = member_int (object, "size");
  self->mtime = member_int (object, "mtime");
  self->created = member_int (object, "created");
  self->modified = member_int (object, "modified");
  self->version = member_int (object, "version");
  self->downloads = member_int (object, "downloads");
  return self;
}

const char *
yp_node_get_name (YpNode *self)
{
  g_return_val_if_fail (YP_IS_NODE (self), NULL);

  return self->name;
}

const char *
yp_node_get_path (YpNode *self)
{
  g_return_val_if_fail (YP_IS_NODE (self), NULL);

  return self->path;
}

const char *
yp_node_get_sha256 (YpNode *self)
{
  g_return_val_if_fail (YP_IS_NODE (self), NULL);

  return self->sha256;
}

const char *
yp_node_get_category (YpNode *self)
{
  g_return_val_if_fail (YP_IS_NODE (self), NULL);

  return self->category;
}

gint64
yp_node_get_id (YpNode *self)
{
  g_return_val_if_fail (YP_IS_NODE (self), 0);

  return self->id;
}

gint64
yp_node_get_parent_id (YpNode *self)
{
  g_return_val_if_fail (YP_IS_NODE (self), 0);

  return self->parent_id;
}

gboolean
yp_node_is_folder (YpNode *self)
{
  g_return_val_if_fail (YP_IS_NODE (self), FALSE);

  return self->is_folder;
}

gint64
yp_node_get_size (YpNode *self)
{
  g_return_val_if_fail (YP_IS_NODE (self), 0);

  return self->size;
}

gint64
yp_node_get_mtime (YpNode *self)
{
  g_return_val_if_fail (YP_IS_NODE (self), 0);

  return self->mtime;
}

gint64
yp_node_get_created (YpNode *self)
{
  g_return_val_if_fail (YP_IS_NODE (self), 0);

  return self->created;
}

gint64
yp_node_get_modified (YpNode *self)
{
  g_return_val_if_fail (YP_IS_NODE (self), 0);

  return self->modified;
}

gint64
yp_node_get_version (YpNode *self)
{
  g_return_val_if_fail (YP_IS_NODE (self), 0);

  return self->version;
}

gint64
yp_node_get_downloads (YpNode *self)
{
  g_return_val_if_fail (YP_IS_NODE (self), 0);

  return self->downloads;
}
