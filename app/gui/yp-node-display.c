/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "yunpan-gui"

#include "config.h"

#include <string.h>

#include <glib/gi18n.h>

#include "yp-node-display.h"

GIcon *
yp_node_display_dup_icon (YpNode   *node,
                          gboolean  symbolic)
{
  g_autofree char *type = NULL;

  if (yp_node_is_folder (node))
    return g_themed_icon_new (symbolic ? "folder-symbolic" : "folder");

  /* by name only: the content is on the server */
  type = g_content_type_guess (yp_node_get_name (node), NULL, 0, NULL);
  return symbolic ? g_content_type_get_symbolic_icon (type) : g_content_type_get_icon (type);
}

char *
yp_node_display_dup_size (YpNode *node)
{
  if (yp_node_is_folder (node))
    return g_strdup ("");
  return g_format_size (yp_node_get_size (node));
}

char *
yp_node_display_dup_time (gint64 unix_time,
                          gint64 now)
{
  g_autoptr(GDateTime) time = g_date_time_new_from_unix_local (unix_time);
  g_autoptr(GDateTime) today = g_date_time_new_from_unix_local (now);

  if (time == NULL || today == NULL)
    return g_strdup ("");
  if (g_date_time_get_year (time) == g_date_time_get_year (today)
      && g_date_time_get_day_of_year (time) == g_date_time_get_day_of_year (today))
    /* Translators: the time of a change made today, see g_date_time_format() */
    return g_date_time_format (time, _("%H:%M"));
  if (g_date_time_get_year (time) == g_date_time_get_year (today))
    /* Translators: the date of a change made this year, see g_date_time_format() */
    return g_date_time_format (time, _("%-d %b %H:%M"));
  /* Translators: the date of an older change, see g_date_time_format() */
  return g_date_time_format (time, _("%-d %b %Y"));
}

char *
yp_node_display_dup_type (YpNode *node)
{
  g_autofree char *type = NULL;

  if (yp_node_is_folder (node))
    return g_strdup (_("Folder"));
  type = g_content_type_guess (yp_node_get_name (node), NULL, 0, NULL);
  return g_content_type_get_description (type);
}

gboolean
yp_node_display_has_thumbnail (YpNode *node)
{
  return !yp_node_is_folder (node) && g_strcmp0 (yp_node_get_category (node), "image") == 0
         && yp_node_get_size (node) > 0;
}

/* The collation key of the name, made once per node: sorting 10,000 names
 * compares each many times. */
static const char *
name_key (YpNode *node)
{
  static GQuark quark;
  const char *key;

  if (quark == 0)
    quark = g_quark_from_static_string ("yp-name-collate-key");
  key = g_object_get_qdata (G_OBJECT (node), quark);
  if (key == NULL)
    {
      char *made = g_utf8_collate_key_for_filename (yp_node_get_name (node), -1);

      g_object_set_qdata_full (G_OBJECT (node), quark, made, g_free);
      key = made;
    }
  return key;
}

int
yp_node_display_compare_name (YpNode *a,
                              YpNode *b)
{
  int order = strcmp (name_key (a), name_key (b));

  if (order == 0)
    order = g_strcmp0 (yp_node_get_name (a), yp_node_get_name (b));
  return order;
}

static int
compare_then_by_name (gint64  x,
                      gint64  y,
                      YpNode *a,
                      YpNode *b)
{
  return x < y ? -1 : x > y ? 1 : yp_node_display_compare_name (a, b);
}

int
yp_node_display_compare_size (YpNode *a,
                              YpNode *b)
{
  return compare_then_by_name (yp_node_get_size (a), yp_node_get_size (b), a, b);
}

int
yp_node_display_compare_modified (YpNode *a,
                                  YpNode *b)
{
  return compare_then_by_name (yp_node_get_modified (a), yp_node_get_modified (b), a, b);
}

int
yp_node_display_compare_downloads (YpNode *a,
                                   YpNode *b)
{
  return compare_then_by_name (yp_node_get_downloads (a), yp_node_get_downloads (b), a, b);
}
