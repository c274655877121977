/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "yunpan-gui"

#include "config.h"

#include <string.h>

#include <adwaita.h>
#include <glib/gi18n.h>

#include "yp-name-dialog.h"
#include "yp-name.h"

static void
entry_changed_cb (GtkEditable      *entry,
                  AdwMessageDialog *dialog)
{
  const char *name = gtk_editable_get_text (entry);
  gboolean valid = yp_name_is_valid (name, strlen (name));

  adw_message_dialog_set_response_enabled (dialog, "accept", valid);
  if (valid || *name == '\0')
    gtk_widget_remove_css_class (GTK_WIDGET (entry), "error");
  else
    gtk_widget_add_css_class (GTK_WIDGET (entry), "error");
}

static void
response_cb (AdwMessageDialog *dialog,
             const char       *response,
             GTask            *task)
{
  GtkEditable *entry = GTK_EDITABLE (adw_message_dialog_get_extra_child (dialog));

  if (g_strcmp0 (response, "accept") == 0)
    g_task_return_pointer (task, g_strdup (gtk_editable_get_text (entry)), g_free);
  else
    g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CANCELLED, "%s",
                             _("The dialog was dismissed"));
  g_object_unref (task);
}

/* Selects the name without its extension, as file managers do. */
static void
select_stem (GtkEditable *entry,
             const char  *initial)
{
  const char *dot = strrchr (initial, '.');
  int end = dot != NULL && dot != initial ? (int) g_utf8_pointer_to_offset (initial, dot) : -1;

  gtk_editable_select_region (entry, 0, end);
}

void
yp_name_dialog_ask_async (GtkWindow           *parent,
                          const char          *heading,
                          const char          *initial,
                          const char          *accept_label,
                          GAsyncReadyCallback  callback,
                          gpointer             user_data)
{
  GtkWidget *dialog = adw_message_dialog_new (parent, heading, NULL);
  GtkWidget *entry = gtk_entry_new ();
  GTask *task = g_task_new (dialog, NULL, callback, user_data);

  g_task_set_source_tag (task, yp_name_dialog_ask_async);
  gtk_entry_set_activates_default (GTK_ENTRY (entry), TRUE);
  gtk_editable_set_text (GTK_EDITABLE (entry), initial != NULL ? initial : "");
  adw_message_dialog_set_extra_child (ADW_MESSAGE_DIALOG (dialog), entry);
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "cancel", _("_Cancel"),
                                    "accept", accept_label,
                                    NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "accept",
                                              ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "accept");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  g_signal_connect (entry, "changed", G_CALLBACK (entry_changed_cb), dialog);
  g_signal_connect (dialog, "response", G_CALLBACK (response_cb), task);
  entry_changed_cb (GTK_EDITABLE (entry), ADW_MESSAGE_DIALOG (dialog));

  gtk_window_present (GTK_WINDOW (dialog));
  gtk_widget_grab_focus (entry);
  if (initial != NULL)
    select_stem (GTK_EDITABLE (entry), initial);
}

char *
yp_name_dialog_ask_finish (GAsyncResult  *result,
                           GError       **error)
{
  g_return_val_if_fail (G_IS_TASK (result), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}
