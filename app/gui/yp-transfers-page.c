/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "yunpan-gui"

#include "config.h"

#include <glib/gi18n.h>

#include "yp-transfer-row.h"
#include "yp-transfers-page.h"

struct _YpTransfersPage
{
  AdwBin           parent_instance;

  /* template children */
  GtkStack        *stack;
  GtkLabel        *summary_label;
  GtkListView     *list_view;

  /* owned references */
  YpTransferQueue *queue;

  /* state: where the batch under way began in the queue's list */
  guint            batch_start;
  gboolean         batch_running;
};

G_DEFINE_FINAL_TYPE (YpTransfersPage, yp_transfers_page, ADW_TYPE_BIN)

static void
show_toast (YpTransfersPage *self,
            const char      *message)
{
  GtkWidget *overlay = gtk_widget_get_ancestor (GTK_WIDGET (self), ADW_TYPE_TOAST_OVERLAY);

  g_debug ("%s", message);
  if (overlay != NULL)
    adw_toast_overlay_add_toast (ADW_TOAST_OVERLAY (overlay), adw_toast_new (message));
}

/* Says how the batch went, once nothing is left to do. */
static void
finish_batch (YpTransfersPage *self)
{
  GListModel *transfers = yp_transfer_queue_get_transfers (self->queue);
  guint n = g_list_model_get_n_items (transfers);
  guint done = 0, failed = 0;
  g_autofree char *message = NULL;

  for (guint i = self->batch_start; i < n; i++)
    {
      g_autoptr(YpTransfer) transfer = g_list_model_get_item (transfers, i);

      done += yp_transfer_get_state (transfer) == YP_TRANSFER_DONE;
      failed += yp_transfer_get_state (transfer) == YP_TRANSFER_FAILED;
    }
  self->batch_running = FALSE;
  self->batch_start = n;
  if (done + failed == 0)
    return;
  if (failed == 0)
    message = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u transfer finished",
                                            "%u transfers finished", done), done);
  else
    message = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u transfer failed",
                                            "%u transfers failed", failed), failed);
  show_toast (self, message);
}

static void
update (YpTransfersPage *self)
{
  GListModel *transfers = yp_transfer_queue_get_transfers (self->queue);
  guint left = yp_transfer_queue_get_items_left (self->queue);
  g_autofree char *summary = NULL;

  gtk_stack_set_visible_child_name (self->stack,
                                    g_list_model_get_n_items (transfers) > 0 ? "list" : "empty");
  if (left > 0)
    {
      g_autofree char *bytes = g_format_size (yp_transfer_queue_get_bytes_left (self->queue));

      /* Translators: transfers not finished yet, and the bytes they have left */
      summary = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u transfer left, %s",
                                              "%u transfers left, %s", left),
                                 left, bytes);
      self->batch_running = TRUE;
    }
  else if (self->batch_running)
    finish_batch (self);
  gtk_label_set_text (self->summary_label, summary != NULL ? summary : _("All done"));
}

void
yp_transfers_page_retry (YpTransfersPage *self,
                         YpTransfer      *transfer)
{
  g_autoptr(YpTransfer) again = NULL;

  g_return_if_fail (YP_IS_TRANSFERS_PAGE (self));

  if (yp_transfer_get_direction (transfer) == YP_TRANSFER_UPLOAD)
    again = yp_transfer_new_upload (yp_transfer_get_local_path (transfer),
                                    yp_transfer_get_remote_path (transfer),
                                    yp_transfer_get_if_version (transfer));
  else
    {
      /* never over a local file that appeared meanwhile */
      YpDownloadOptions options = { .target = YP_DOWNLOAD_TARGET_ABSENT };

      again = yp_transfer_new_download_full (yp_transfer_get_remote_path (transfer),
                                             yp_transfer_get_local_path (transfer), &options);
    }
  yp_transfer_queue_add (self->queue, again);
}

static void
retry_cb (YpTransferRow   *row,
          YpTransfer      *transfer,
          YpTransfersPage *self)
{
  yp_transfers_page_retry (self, transfer);
}

static void
setup_row_cb (GtkSignalListItemFactory *factory,
              GtkListItem              *item,
              YpTransfersPage          *self)
{
  GtkWidget *row = yp_transfer_row_new ();

  g_signal_connect_object (row, "retry", G_CALLBACK (retry_cb), self, 0);
  gtk_list_item_set_activatable (item, FALSE);
  gtk_list_item_set_child (item, row);
}

static void
bind_row_cb (GtkSignalListItemFactory *factory,
             GtkListItem              *item)
{
  yp_transfer_row_set_transfer (YP_TRANSFER_ROW (gtk_list_item_get_child (item)),
                                gtk_list_item_get_item (item));
}

static void
unbind_row_cb (GtkSignalListItemFactory *factory,
               GtkListItem              *item)
{
  yp_transfer_row_set_transfer (YP_TRANSFER_ROW (gtk_list_item_get_child (item)), NULL);
}

static void
clear_finished_action (GtkWidget  *widget,
                       const char *action_name,
                       GVariant   *parameter)
{
  YpTransfersPage *self = YP_TRANSFERS_PAGE (widget);

  yp_transfer_queue_remove_finished (self->queue);
  self->batch_start = g_list_model_get_n_items (yp_transfer_queue_get_transfers (self->queue));
  update (self);
}

static void
set_queue (YpTransfersPage *self,
           YpTransferQueue *queue)
{
  GListModel *transfers = yp_transfer_queue_get_transfers (queue);
  g_autoptr(GtkListItemFactory) factory = gtk_signal_list_item_factory_new ();

  self->queue = g_object_ref (queue);
  g_signal_connect (factory, "setup", G_CALLBACK (setup_row_cb), self);
  g_signal_connect (factory, "bind", G_CALLBACK (bind_row_cb), NULL);
  g_signal_connect (factory, "unbind", G_CALLBACK (unbind_row_cb), NULL);
  gtk_list_view_set_factory (self->list_view, factory);
  gtk_list_view_set_model (self->list_view, GTK_SELECTION_MODEL (gtk_no_selection_new (
                             g_object_ref (transfers))));
  g_signal_connect_object (transfers, "items-changed", G_CALLBACK (update), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (queue, "notify::items-left", G_CALLBACK (update), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (queue, "notify::bytes-left", G_CALLBACK (update), self,
                           G_CONNECT_SWAPPED);
  update (self);
}

static void
yp_transfers_page_dispose (GObject *object)
{
  YpTransfersPage *self = YP_TRANSFERS_PAGE (object);

  if (self->list_view != NULL)
    gtk_list_view_set_model (self->list_view, NULL);
  g_clear_object (&self->queue);

  G_OBJECT_CLASS (yp_transfers_page_parent_class)->dispose (object);
}

static void
yp_transfers_page_class_init (YpTransfersPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = yp_transfers_page_dispose;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/yunpan/Yunpan/yp-transfers-page.ui");
  gtk_widget_class_bind_template_child (widget_class, YpTransfersPage, stack);
  gtk_widget_class_bind_template_child (widget_class, YpTransfersPage, summary_label);
  gtk_widget_class_bind_template_child (widget_class, YpTransfersPage, list_view);
  gtk_widget_class_install_action (widget_class, "transfers.clear-finished", NULL,
                                   clear_finished_action);
}

static void
yp_transfers_page_init (YpTransfersPage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

GtkWidget *
yp_transfers_page_new (YpTransferQueue *queue)
{
  YpTransfersPage *self;

  g_return_val_if_fail (YP_IS_TRANSFER_QUEUE (queue), NULL);

  self = g_object_new (YP_TYPE_TRANSFERS_PAGE, NULL);
  set_queue (self, queue);
  return GTK_WIDGET (self);
}
