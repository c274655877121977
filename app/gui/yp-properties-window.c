/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "yunpan-gui"

#include "config.h"

#include <glib/gi18n.h>

#include "yp-node-display.h"
#include "yp-properties-window.h"

struct _YpPropertiesWindow
{
  AdwWindow            parent_instance;

  /* template children */
  AdwWindowTitle      *title;
  GtkImage            *icon;
  AdwPreferencesGroup *group;
};

G_DEFINE_FINAL_TYPE (YpPropertiesWindow, yp_properties_window, ADW_TYPE_WINDOW)

/* A row whose value can be selected and copied, as a hash must be. */
static void
add_row (YpPropertiesWindow *self,
         const char         *title,
         const char         *value)
{
  GtkWidget *row = adw_action_row_new ();
  GtkWidget *label = gtk_label_new (value);

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  gtk_label_set_selectable (GTK_LABEL (label), TRUE);
  gtk_label_set_wrap (GTK_LABEL (label), TRUE);
  gtk_label_set_wrap_mode (GTK_LABEL (label), PANGO_WRAP_CHAR);
  gtk_label_set_xalign (GTK_LABEL (label), 1.0);
  gtk_label_set_max_width_chars (GTK_LABEL (label), 34);
  gtk_widget_add_css_class (label, "dim-label");
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), label);
  adw_preferences_group_add (self->group, row);
}

static char *
full_time (gint64 unix_time)
{
  g_autoptr(GDateTime) time = g_date_time_new_from_unix_local (unix_time);

  /* Translators: a full date and time, see g_date_time_format() */
  return time != NULL ? g_date_time_format (time, _("%-d %B %Y, %H:%M:%S")) : g_strdup ("");
}

static void
show_node (YpPropertiesWindow *self,
           YpNode             *node)
{
  g_autoptr(GIcon) icon = yp_node_display_dup_icon (node, FALSE);
  g_autofree char *type = yp_node_display_dup_type (node);
  g_autofree char *created = full_time (yp_node_get_created (node));
  g_autofree char *modified = full_time (yp_node_get_modified (node));
  g_autofree char *version = g_strdup_printf ("%" G_GINT64_FORMAT, yp_node_get_version (node));

  adw_window_title_set_subtitle (self->title, yp_node_get_name (node));
  gtk_image_set_from_gicon (self->icon, icon);
  add_row (self, _("Name"), yp_node_get_name (node));
  add_row (self, _("Kind"), type);
  add_row (self, _("Location"), yp_node_get_path (node));
  if (!yp_node_is_folder (node))
    {
      g_autofree char *size = g_format_size_full (yp_node_get_size (node),
                                                  G_FORMAT_SIZE_LONG_FORMAT);
      g_autofree char *downloads = g_strdup_printf ("%" G_GINT64_FORMAT,
                                                    yp_node_get_downloads (node));

      add_row (self, _("Size"), size);
      add_row (self, _("SHA-256"), yp_node_get_sha256 (node));
      add_row (self, _("Downloads"), downloads);
    }
  add_row (self, _("Created"), created);
  add_row (self, _("Modified"), modified);
  add_row (self, _("Version"), version);
}

static void
yp_properties_window_class_init (YpPropertiesWindowClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/yunpan/Yunpan/yp-properties-window.ui");
  gtk_widget_class_bind_template_child (widget_class, YpPropertiesWindow, title);
  gtk_widget_class_bind_template_child (widget_class, YpPropertiesWindow, icon);
  gtk_widget_class_bind_template_child (widget_class, YpPropertiesWindow, group);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
yp_properties_window_init (YpPropertiesWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

GtkWidget *
yp_properties_window_new (GtkWindow *parent,
                          YpNode    *node)
{
  YpPropertiesWindow *self;

  g_return_val_if_fail (YP_IS_NODE (node), NULL);

  self = g_object_new (YP_TYPE_PROPERTIES_WINDOW, "transient-for", parent, NULL);
  show_node (self, node);
  return GTK_WIDGET (self);
}
