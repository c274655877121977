/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "yunpan-gui"

#include "config.h"

#include <glib/gi18n.h>

#include "yp-files-page-private.h"
#include "yp-node-display.h"

/*
 * The cells of the list's columns and of the grid. Each is made once and
 * bound to whichever node scrolls into it, so binding stays cheap: no
 * request, no I/O, only labels and icons (thumbnails arrive later).
 */

#define LIST_ICON_SIZE 24
#define GRID_ICON_SIZE 64

/* A right click selects the item under it, as file managers do, and opens
 * the item menu there. */
static void
secondary_pressed_cb (GtkGestureClick *gesture,
                      int              n_press,
                      double           x,
                      double           y,
                      GtkListItem     *item)
{
  GtkWidget *cell = gtk_event_controller_get_widget (GTK_EVENT_CONTROLLER (gesture));
  YpFilesPage *self = YP_FILES_PAGE (gtk_widget_get_ancestor (cell, YP_TYPE_FILES_PAGE));
  guint position = gtk_list_item_get_position (item);
  graphene_point_t point;

  if (self == NULL || position == GTK_INVALID_LIST_POSITION)
    return;
  if (!gtk_selection_model_is_selected (GTK_SELECTION_MODEL (self->selection), position))
    gtk_selection_model_select_item (GTK_SELECTION_MODEL (self->selection), position, TRUE);
  if (!gtk_widget_compute_point (cell, GTK_WIDGET (self), &GRAPHENE_POINT_INIT (x, y), &point))
    return;
  gtk_popover_set_pointing_to (GTK_POPOVER (self->item_popover),
                               &(GdkRectangle) { (int) point.x, (int) point.y, 1, 1 });
  gtk_popover_popup (GTK_POPOVER (self->item_popover));
}

static void
add_secondary_click (GtkWidget   *cell,
                     GtkListItem *item)
{
  GtkGesture *click = gtk_gesture_click_new ();

  gtk_gesture_single_set_button (GTK_GESTURE_SINGLE (click), GDK_BUTTON_SECONDARY);
  g_signal_connect (click, "pressed", G_CALLBACK (secondary_pressed_cb), item);
  gtk_widget_add_controller (cell, GTK_EVENT_CONTROLLER (click));
}

static GtkWidget *
cell_label_new (float xalign)
{
  GtkWidget *label = gtk_label_new (NULL);

  gtk_label_set_xalign (GTK_LABEL (label), xalign);
  gtk_label_set_ellipsize (GTK_LABEL (label), PANGO_ELLIPSIZE_END);
  return label;
}

static void
set_icon (GtkImage *image,
          YpNode   *node)
{
  g_autoptr(GIcon) icon = yp_node_display_dup_icon (node, FALSE);

  gtk_image_set_from_gicon (image, icon);
}

/* -- the name column: icon and name -------------------------------------- */

static void
setup_name_cb (GtkSignalListItemFactory *factory,
               GtkListItem              *item)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 10);
  GtkWidget *image = gtk_image_new ();
  GtkWidget *label = cell_label_new (0.0);

  gtk_image_set_pixel_size (GTK_IMAGE (image), LIST_ICON_SIZE);
  gtk_label_set_ellipsize (GTK_LABEL (label), PANGO_ELLIPSIZE_MIDDLE);
  gtk_box_append (GTK_BOX (box), image);
  gtk_box_append (GTK_BOX (box), label);
  add_secondary_click (box, item);
  gtk_list_item_set_child (item, box);
}

static void
bind_name_cb (GtkSignalListItemFactory *factory,
              GtkListItem              *item)
{
  YpNode *node = gtk_list_item_get_item (item);
  GtkWidget *box = gtk_list_item_get_child (item);
  GtkWidget *image = gtk_widget_get_first_child (box);

  set_icon (GTK_IMAGE (image), node);
  gtk_label_set_text (GTK_LABEL (gtk_widget_get_next_sibling (image)), yp_node_get_name (node));
}

/* -- the other columns: a label each ------------------------------------- */

static void
setup_number_cb (GtkSignalListItemFactory *factory,
                 GtkListItem              *item)
{
  GtkWidget *label = cell_label_new (1.0);

  gtk_widget_add_css_class (label, "numeric");
  gtk_widget_add_css_class (label, "dim-label");
  add_secondary_click (label, item);
  gtk_list_item_set_child (item, label);
}

static void
setup_text_cb (GtkSignalListItemFactory *factory,
               GtkListItem              *item)
{
  GtkWidget *label = cell_label_new (0.0);

  gtk_widget_add_css_class (label, "dim-label");
  add_secondary_click (label, item);
  gtk_list_item_set_child (item, label);
}

static void
bind_size_cb (GtkSignalListItemFactory *factory,
              GtkListItem              *item)
{
  g_autofree char *text = yp_node_display_dup_size (gtk_list_item_get_item (item));

  gtk_label_set_text (GTK_LABEL (gtk_list_item_get_child (item)), text);
}

static void
bind_modified_cb (GtkSignalListItemFactory *factory,
                  GtkListItem              *item)
{
  YpNode *node = gtk_list_item_get_item (item);
  g_autofree char *text = yp_node_display_dup_time (yp_node_get_modified (node),
                                                    g_get_real_time () / G_USEC_PER_SEC);

  gtk_label_set_text (GTK_LABEL (gtk_list_item_get_child (item)), text);
}

static void
bind_downloads_cb (GtkSignalListItemFactory *factory,
                   GtkListItem              *item)
{
  YpNode *node = gtk_list_item_get_item (item);
  g_autofree char *text = NULL;

  if (!yp_node_is_folder (node))
    text = g_strdup_printf ("%" G_GINT64_FORMAT, yp_node_get_downloads (node));
  gtk_label_set_text (GTK_LABEL (gtk_list_item_get_child (item)), text != NULL ? text : "");
}

/* -- the grid: a big icon over the name ---------------------------------- */

static void
setup_tile_cb (GtkSignalListItemFactory *factory,
               GtkListItem              *item)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
  GtkWidget *image = gtk_image_new ();
  GtkWidget *label = gtk_label_new (NULL);

  gtk_widget_set_size_request (box, 112, -1);
  gtk_widget_set_margin_top (box, 6);
  gtk_widget_set_margin_bottom (box, 6);
  gtk_image_set_pixel_size (GTK_IMAGE (image), GRID_ICON_SIZE);
  gtk_label_set_wrap (GTK_LABEL (label), TRUE);
  gtk_label_set_wrap_mode (GTK_LABEL (label), PANGO_WRAP_WORD_CHAR);
  gtk_label_set_lines (GTK_LABEL (label), 2);
  gtk_label_set_ellipsize (GTK_LABEL (label), PANGO_ELLIPSIZE_MIDDLE);
  gtk_label_set_justify (GTK_LABEL (label), GTK_JUSTIFY_CENTER);
  gtk_label_set_max_width_chars (GTK_LABEL (label), 14);
  gtk_box_append (GTK_BOX (box), image);
  gtk_box_append (GTK_BOX (box), label);
  add_secondary_click (box, item);
  gtk_list_item_set_child (item, box);
}

/* -- set-up -------------------------------------------------------------- */

static void
set_factory (GtkColumnViewColumn *column,
             GCallback            setup,
             GCallback            bind)
{
  g_autoptr(GtkListItemFactory) factory = gtk_signal_list_item_factory_new ();

  g_signal_connect (factory, "setup", setup, NULL);
  g_signal_connect (factory, "bind", bind, NULL);
  gtk_column_view_column_set_factory (column, factory);
}

static void
set_sorter (GtkColumnViewColumn *column,
            int                (*compare) (YpNode *a, YpNode *b))
{
  g_autoptr(GtkSorter) sorter =
    GTK_SORTER (gtk_custom_sorter_new ((GCompareDataFunc) (void (*) (void)) compare, NULL, NULL));

  gtk_column_view_column_set_sorter (column, sorter);
}

void
_yp_files_page_setup_cells (YpFilesPage *self)
{
  g_autoptr(GtkListItemFactory) tiles = gtk_signal_list_item_factory_new ();

  set_factory (self->name_column, G_CALLBACK (setup_name_cb), G_CALLBACK (bind_name_cb));
  set_factory (self->size_column, G_CALLBACK (setup_number_cb), G_CALLBACK (bind_size_cb));
  set_factory (self->modified_column, G_CALLBACK (setup_text_cb), G_CALLBACK (bind_modified_cb));
  set_factory (self->downloads_column, G_CALLBACK (setup_number_cb),
               G_CALLBACK (bind_downloads_cb));

  set_sorter (self->name_column, yp_node_display_compare_name);
  set_sorter (self->size_column, yp_node_display_compare_size);
  set_sorter (self->modified_column, yp_node_display_compare_modified);
  set_sorter (self->downloads_column, yp_node_display_compare_downloads);

  g_signal_connect (tiles, "setup", G_CALLBACK (setup_tile_cb), NULL);
  g_signal_connect (tiles, "bind", G_CALLBACK (bind_name_cb), NULL);
  gtk_grid_view_set_factory (self->grid_view, tiles);
}
