/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "yunpan-gui"

#include "config.h"

#include <glib/gi18n.h>

#include "yp-error-text.h"
#include "yp-sign-in-page.h"

struct _YpSignInPage
{
  AdwBin          parent_instance;

  /* template children */
  AdwEntryRow    *server_row;
  AdwEntryRow    *username_row;
  AdwEntryRow    *password_row;
  GtkLabel       *error_label;
  GtkButton      *sign_in_button;
  GtkButton      *register_button;
  GtkSpinner     *spinner;

  /* owned references */
  YpSession      *session;
  GCancellable   *cancellable;
};

G_DEFINE_FINAL_TYPE (YpSignInPage, yp_sign_in_page, ADW_TYPE_BIN)

enum {
  PROP_0,
  PROP_SESSION,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
set_busy (YpSignInPage *self,
          gboolean      busy)
{
  gtk_widget_set_sensitive (GTK_WIDGET (self->sign_in_button), !busy);
  gtk_widget_set_sensitive (GTK_WIDGET (self->register_button), !busy);
  gtk_spinner_set_spinning (self->spinner, busy);
}

static void
show_error (YpSignInPage *self,
            const char   *text)
{
  gtk_label_set_text (self->error_label, text);
  gtk_widget_set_visible (GTK_WIDGET (self->error_label), text != NULL);
}

static void
sign_in_done_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(YpSignInPage) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!yp_session_sign_in_finish (YP_SESSION (source), result, &error))
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
      g_debug ("Sign-in failed: %s", error->message);
      set_busy (self, FALSE);
      show_error (self, yp_error_text_for_sign_in (error));
      return;
    }

  set_busy (self, FALSE);
  /* the password is not kept once it did its job */
  gtk_editable_set_text (GTK_EDITABLE (self->password_row), "");
}

static void
start (YpSignInPage *self,
       gboolean      register_first)
{
  const char *server = gtk_editable_get_text (GTK_EDITABLE (self->server_row));
  const char *username = gtk_editable_get_text (GTK_EDITABLE (self->username_row));
  const char *password = gtk_editable_get_text (GTK_EDITABLE (self->password_row));

  if (*server == '\0')
    {
      show_error (self, _("Enter the address of your server."));
      gtk_widget_grab_focus (GTK_WIDGET (self->server_row));
      return;
    }
  if (*username == '\0')
    {
      show_error (self, _("Enter your username."));
      gtk_widget_grab_focus (GTK_WIDGET (self->username_row));
      return;
    }

  show_error (self, NULL);
  set_busy (self, TRUE);
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();
  yp_session_sign_in_async (self->session, server, username, password, register_first,
                            self->cancellable, sign_in_done_cb, g_object_ref (self));
}

static void
sign_in_clicked_cb (YpSignInPage *self)
{
  start (self, FALSE);
}

static void
register_clicked_cb (YpSignInPage *self)
{
  start (self, TRUE);
}

static void
yp_sign_in_page_dispose (GObject *object)
{
  YpSignInPage *self = YP_SIGN_IN_PAGE (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->session);

  G_OBJECT_CLASS (yp_sign_in_page_parent_class)->dispose (object);
}

static void
yp_sign_in_page_set_property (GObject      *object,
                              guint         prop_id,
                              const GValue *value,
                              GParamSpec   *pspec)
{
  YpSignInPage *self = YP_SIGN_IN_PAGE (object);

  switch (prop_id)
    {
    case PROP_SESSION:
      self->session = g_value_dup_object (value);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
yp_sign_in_page_class_init (YpSignInPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = yp_sign_in_page_dispose;
  object_class->set_property = yp_sign_in_page_set_property;

  properties[PROP_SESSION] =
    g_param_spec_object ("session", NULL, NULL, YP_TYPE_SESSION,
                         G_PARAM_WRITABLE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/yunpan/Yunpan/yp-sign-in-page.ui");
  gtk_widget_class_bind_template_child (widget_class, YpSignInPage, server_row);
  gtk_widget_class_bind_template_child (widget_class, YpSignInPage, username_row);
  gtk_widget_class_bind_template_child (widget_class, YpSignInPage, password_row);
  gtk_widget_class_bind_template_child (widget_class, YpSignInPage, error_label);
  gtk_widget_class_bind_template_child (widget_class, YpSignInPage, sign_in_button);
  gtk_widget_class_bind_template_child (widget_class, YpSignInPage, register_button);
  gtk_widget_class_bind_template_child (widget_class, YpSignInPage, spinner);
  gtk_widget_class_bind_template_callback (widget_class, sign_in_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, register_clicked_cb);
}

static void
yp_sign_in_page_init (YpSignInPage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

GtkWidget *
yp_sign_in_page_new (YpSession *session)
{
  g_return_val_if_fail (YP_IS_SESSION (session), NULL);

  return g_object_new (YP_TYPE_SIGN_IN_PAGE, "session", session, NULL);
}

void
yp_sign_in_page_set_server (YpSignInPage *self,
                            const char   *server)
{
  g_return_if_fail (YP_IS_SIGN_IN_PAGE (self));

  gtk_editable_set_text (GTK_EDITABLE (self->server_row), server != NULL ? server : "");
}
