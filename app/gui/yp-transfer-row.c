/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "yunpan-gui"

#include "config.h"

#include <glib/gi18n.h>

#include "yp-transfer-row.h"

struct _YpTransferRow
{
  AdwBin          parent_instance;

  /* template children */
  GtkImage       *icon;
  GtkLabel       *name_label;
  GtkProgressBar *progress_bar;
  GtkLabel       *status_label;
  GtkWidget      *cancel_button;
  GtkWidget      *retry_button;

  /* owned references */
  YpTransfer     *transfer;
};

G_DEFINE_FINAL_TYPE (YpTransferRow, yp_transfer_row, ADW_TYPE_BIN)

enum {
  RETRY,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static gboolean
is_upload (YpTransfer *transfer)
{
  return yp_transfer_get_direction (transfer) == YP_TRANSFER_UPLOAD;
}

static char *
describe_running (YpTransfer *transfer)
{
  guint64 done = yp_transfer_get_bytes_done (transfer);
  guint64 total = yp_transfer_get_total_bytes (transfer);
  guint64 rate = yp_transfer_get_rate (transfer);
  g_autofree char *done_text = g_format_size (done);
  g_autofree char *total_text = g_format_size (total);
  g_autofree char *rate_text = NULL;
  g_autofree char *left_text = NULL;

  if (rate == 0 || total < done)
    /* Translators: bytes so far of the whole */
    return g_strdup_printf (_("%s of %s"), done_text, total_text);
  rate_text = g_format_size (rate);
  left_text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u second left",
                                            "%u seconds left",
                                            (guint) ((total - done) / rate)),
                               (guint) ((total - done) / rate));
  /* Translators: bytes so far of the whole, the rate, the time left */
  return g_strdup_printf (_("%s of %s — %s/s, %s"), done_text, total_text, rate_text, left_text);
}

char *
yp_transfer_row_describe (YpTransfer *transfer)
{
  switch (yp_transfer_get_state (transfer))
    {
    case YP_TRANSFER_QUEUED:
      return g_strdup (_("Queued"));
    case YP_TRANSFER_HASHING:
      return g_strdup (_("Hashing…"));
    case YP_TRANSFER_RUNNING:
      {
        g_autofree char *progress = describe_running (transfer);

        return g_strdup_printf (is_upload (transfer) ? _("Uploading: %s") : _("Downloading: %s"),
                                progress);
      }
    case YP_TRANSFER_DONE:
      if (is_upload (transfer) && yp_transfer_get_instant (transfer))
        return g_strdup (_("Instant upload: the server already had it"));
      return g_strdup (is_upload (transfer) ? _("Uploaded") : _("Downloaded"));
    case YP_TRANSFER_FAILED:
      {
        const GError *error = yp_transfer_get_error (transfer);

        /* Translators: why a transfer failed */
        return g_strdup_printf (_("Failed: %s"), error != NULL ? error->message : _("unknown"));
      }
    case YP_TRANSFER_CANCELLED:
      return g_strdup (_("Cancelled"));
    default:
      g_return_val_if_reached (g_strdup (""));
    }
}

static void
update (YpTransferRow *self)
{
  YpTransferState state = yp_transfer_get_state (self->transfer);
  guint64 total = yp_transfer_get_total_bytes (self->transfer);
  gboolean ended = state == YP_TRANSFER_DONE || state == YP_TRANSFER_FAILED
                   || state == YP_TRANSFER_CANCELLED;
  g_autofree char *status = yp_transfer_row_describe (self->transfer);

  gtk_label_set_text (self->status_label, status);
  gtk_progress_bar_set_fraction (self->progress_bar,
                                 state == YP_TRANSFER_DONE ? 1.0
                                 : total > 0 ? (double) yp_transfer_get_bytes_done (self->transfer) / total
                                             : 0.0);
  gtk_widget_set_visible (GTK_WIDGET (self->progress_bar), !ended);
  gtk_widget_set_visible (self->cancel_button, !ended);
  gtk_widget_set_visible (self->retry_button,
                          state == YP_TRANSFER_FAILED || state == YP_TRANSFER_CANCELLED);
  if (state == YP_TRANSFER_FAILED)
    gtk_widget_add_css_class (GTK_WIDGET (self->status_label), "error");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (self->status_label), "error");
}

void
yp_transfer_row_set_transfer (YpTransferRow *self,
                              YpTransfer    *transfer)
{
  const char *path;
  g_autofree char *name = NULL;

  g_return_if_fail (YP_IS_TRANSFER_ROW (self));

  if (self->transfer != NULL)
    g_signal_handlers_disconnect_by_data (self->transfer, self);
  g_set_object (&self->transfer, transfer);
  if (transfer == NULL)
    return;

  path = is_upload (transfer) ? yp_transfer_get_remote_path (transfer)
                              : yp_transfer_get_local_path (transfer);
  name = g_path_get_basename (path);
  gtk_label_set_text (self->name_label, name);
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->name_label), path);
  gtk_image_set_from_icon_name (self->icon, is_upload (transfer) ? "go-up-symbolic"
                                                                 : "go-down-symbolic");
  g_signal_connect_object (transfer, "notify", G_CALLBACK (update), self, G_CONNECT_SWAPPED);
  update (self);
}

YpTransfer *
yp_transfer_row_get_transfer (YpTransferRow *self)
{
  g_return_val_if_fail (YP_IS_TRANSFER_ROW (self), NULL);

  return self->transfer;
}

static void
cancel_clicked_cb (YpTransferRow *self)
{
  if (self->transfer != NULL)
    yp_transfer_cancel (self->transfer);
}

static void
retry_clicked_cb (YpTransferRow *self)
{
  if (self->transfer != NULL)
    g_signal_emit (self, signals[RETRY], 0, self->transfer);
}

static void
yp_transfer_row_dispose (GObject *object)
{
  yp_transfer_row_set_transfer (YP_TRANSFER_ROW (object), NULL);

  G_OBJECT_CLASS (yp_transfer_row_parent_class)->dispose (object);
}

static void
yp_transfer_row_class_init (YpTransferRowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = yp_transfer_row_dispose;

  signals[RETRY] = g_signal_new ("retry", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL,
                                 NULL, NULL, G_TYPE_NONE, 1, YP_TYPE_TRANSFER);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/yunpan/Yunpan/yp-transfer-row.ui");
  gtk_widget_class_bind_template_child (widget_class, YpTransferRow, icon);
  gtk_widget_class_bind_template_child (widget_class, YpTransferRow, name_label);
  gtk_widget_class_bind_template_child (widget_class, YpTransferRow, progress_bar);
  gtk_widget_class_bind_template_child (widget_class, YpTransferRow, status_label);
  gtk_widget_class_bind_template_child (widget_class, YpTransferRow, cancel_button);
  gtk_widget_class_bind_template_child (widget_class, YpTransferRow, retry_button);
  gtk_widget_class_bind_template_callback (widget_class, cancel_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, retry_clicked_cb);
}

static void
yp_transfer_row_init (YpTransferRow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

GtkWidget *
yp_transfer_row_new (void)
{
  return g_object_new (YP_TYPE_TRANSFER_ROW, NULL);
}
