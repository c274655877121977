/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "yunpan-gui"

#include "config.h"

#include <glib/gi18n.h>

#include "yp-sync-row.h"
#include "yp-sync-state.h"

struct _YpSyncRow
{
  GtkListBoxRow  parent_instance;

  /* template children */
  GtkLabel      *title_label;
  GtkLabel      *remote_label;
  GtkSpinner    *spinner;
  GtkLabel      *status_label;
  GtkLabel      *last_sync_label;
  GtkLabel      *detail_label;
  GtkWidget     *pause_button;
  GtkWidget     *resume_button;
  GtkWidget     *conflicts_box;
  GtkListBox    *conflicts_list;

  /* owned references */
  YpSyncManager *manager;
  YpSyncEngine  *engine;

  /* state: conflict copy → the path both sides changed, both relative to
   * the local folder; a copy, as the engine's list is replaced each pass */
  GHashTable    *conflicts;
};

G_DEFINE_FINAL_TYPE (YpSyncRow, yp_sync_row, GTK_TYPE_LIST_BOX_ROW)

enum {
  PROP_0,
  PROP_MANAGER,
  PROP_ENGINE,
  N_PROPS
};

enum {
  LAUNCH_FAILED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

/* ------------------------------------------------------------------------
 * Status
 * ------------------------------------------------------------------------ */

static char *
syncing_text (YpSyncEngine *engine)
{
  guint items = yp_sync_engine_get_items_left (engine);
  guint64 bytes = yp_sync_engine_get_bytes_left (engine);
  g_autofree char *size = NULL;

  if (items == 0)
    return g_strdup (_("Syncing…"));
  if (bytes == 0)
    return g_strdup_printf (ngettext ("Syncing %u item", "Syncing %u items", items), items);
  size = g_format_size (bytes);
  /* Translators: the second %s is an amount of data, like "12.3 MB" */
  return g_strdup_printf (ngettext ("Syncing %u item, %s left", "Syncing %u items, %s left",
                                    items),
                          items, size);
}

/* What the row says the pair is doing; a pause shows at once, before the
 * engine's thread confirms it. */
static char *
status_text (YpSyncEngine *engine)
{
  YpSyncStatus status = yp_sync_engine_get_status (engine);

  if (yp_sync_engine_get_paused (engine) && status != YP_SYNC_STATUS_ERROR
      && status != YP_SYNC_STATUS_SIGNED_OUT)
    return g_strdup (_("Paused"));

  switch (status)
    {
    case YP_SYNC_STATUS_STOPPED:
      return g_strdup (_("Stopped"));
    case YP_SYNC_STATUS_STARTING:
      return g_strdup (_("Starting…"));
    case YP_SYNC_STATUS_IDLE:
      return g_strdup (_("Up to date"));
    case YP_SYNC_STATUS_SCANNING:
      return g_strdup (_("Looking for changes…"));
    case YP_SYNC_STATUS_SYNCING:
      return syncing_text (engine);
    case YP_SYNC_STATUS_PAUSED:
      return g_strdup (_("Paused"));
    case YP_SYNC_STATUS_OFFLINE:
      return g_strdup (_("Offline, trying again"));
    case YP_SYNC_STATUS_ERROR:
      return g_strdup (_("Cannot sync"));
    case YP_SYNC_STATUS_SIGNED_OUT:
      return g_strdup (_("Signed out: sign in again to go on syncing"));
    default:
      g_assert_not_reached ();
    }
}

static gboolean
is_busy (YpSyncEngine *engine)
{
  YpSyncStatus status = yp_sync_engine_get_status (engine);

  return !yp_sync_engine_get_paused (engine)
         && (status == YP_SYNC_STATUS_STARTING || status == YP_SYNC_STATUS_SCANNING
             || status == YP_SYNC_STATUS_SYNCING);
}

static char *
last_sync_text (YpSyncEngine *engine)
{
  gint64 last_sync = yp_sync_engine_get_last_sync (engine);
  g_autoptr(GDateTime) time = NULL;
  g_autofree char *when = NULL;

  if (last_sync == 0)
    return NULL;
  time = g_date_time_new_from_unix_local (last_sync / G_USEC_PER_SEC);
  /* Translators: a time of day, see strftime(3) */
  when = g_date_time_format (time, _("%X"));
  /* Translators: %s is a time of day */
  return g_strdup_printf (_("· Last synced at %s"), when);
}

static void
update_status (YpSyncRow *self)
{
  g_autofree char *status = status_text (self->engine);
  g_autofree char *last_sync = last_sync_text (self->engine);
  const char *detail = yp_sync_engine_get_status_detail (self->engine);
  gboolean paused = yp_sync_engine_get_paused (self->engine);

  gtk_label_set_text (self->status_label, status);
  gtk_label_set_text (self->last_sync_label, last_sync != NULL ? last_sync : "");
  gtk_widget_set_visible (GTK_WIDGET (self->last_sync_label), last_sync != NULL);
  gtk_label_set_text (self->detail_label, detail != NULL ? detail : "");
  gtk_widget_set_visible (GTK_WIDGET (self->detail_label), detail != NULL);
  gtk_spinner_set_spinning (self->spinner, is_busy (self->engine));
  gtk_widget_set_visible (GTK_WIDGET (self->spinner), is_busy (self->engine));

  gtk_widget_set_visible (self->pause_button, !paused);
  gtk_widget_set_visible (self->resume_button, paused);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "sync.pause", !paused);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "sync.resume", paused);
}

/* ------------------------------------------------------------------------
 * Conflicts
 * ------------------------------------------------------------------------ */

static GtkWidget *
conflict_row_new (const YpSyncConflict *conflict)
{
  GtkWidget *row = adw_action_row_new ();
  GtkWidget *button = gtk_button_new_with_mnemonic (_("_Open Both"));
  g_autofree char *subtitle = NULL;

  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), conflict->path);
  /* Translators: %s is the path of a copy of a file */
  subtitle = g_strdup_printf (_("This computer’s version is kept as “%s”"), conflict->copy_path);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);

  gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
  gtk_actionable_set_action_name (GTK_ACTIONABLE (button), "sync.open-conflict");
  gtk_actionable_set_action_target_value (GTK_ACTIONABLE (button),
                                          g_variant_new_string (conflict->copy_path));
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), button);
  return row;
}

static void
update_conflicts (YpSyncRow *self)
{
  g_autoptr(GPtrArray) conflicts = yp_sync_engine_dup_conflicts (self->engine);
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->conflicts_list))) != NULL)
    gtk_list_box_remove (self->conflicts_list, child);
  g_hash_table_remove_all (self->conflicts);

  for (guint i = 0; i < conflicts->len; i++)
    {
      const YpSyncConflict *conflict = conflicts->pdata[i];

      g_hash_table_insert (self->conflicts, g_strdup (conflict->copy_path),
                           g_strdup (conflict->path));
      gtk_list_box_append (self->conflicts_list, conflict_row_new (conflict));
    }
  gtk_widget_set_visible (self->conflicts_box, conflicts->len > 0);
}

/* ------------------------------------------------------------------------
 * Opening files
 * ------------------------------------------------------------------------ */

static void
launch_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(YpSyncRow) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!g_app_info_launch_default_for_uri_finish (result, &error))
    {
      g_debug ("launching failed: %s", error->message);
      g_signal_emit (self, signals[LAUNCH_FAILED], 0, error->message);
    }
}

/* Opens RELATIVE (NULL: the folder itself) under the local folder with
 * the default app, through the portal when sandboxed. */
static void
launch_local (YpSyncRow  *self,
              const char *relative)
{
  const char *root = yp_sync_engine_get_local_path (self->engine);
  g_autofree char *path = g_build_filename (root, relative, NULL);
  g_autofree char *uri = g_filename_to_uri (path, NULL, NULL);
  g_autoptr(GdkAppLaunchContext) context = NULL;

  g_assert (uri != NULL);
  context = gdk_display_get_app_launch_context (gtk_widget_get_display (GTK_WIDGET (self)));
  g_app_info_launch_default_for_uri_async (uri, G_APP_LAUNCH_CONTEXT (context), NULL, launch_cb,
                                           g_object_ref (self));
}

/* ------------------------------------------------------------------------
 * Actions
 * ------------------------------------------------------------------------ */

static void
pause_activated (GtkWidget  *widget,
                 const char *action_name,
                 GVariant   *parameter)
{
  yp_sync_engine_pause (YP_SYNC_ROW (widget)->engine);
}

static void
resume_activated (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *parameter)
{
  yp_sync_engine_resume (YP_SYNC_ROW (widget)->engine);
}

static void
sync_now_activated (GtkWidget  *widget,
                    const char *action_name,
                    GVariant   *parameter)
{
  yp_sync_engine_sync_now (YP_SYNC_ROW (widget)->engine);
}

static void
open_folder_activated (GtkWidget  *widget,
                       const char *action_name,
                       GVariant   *parameter)
{
  launch_local (YP_SYNC_ROW (widget), NULL);
}

/* Both versions, so that the person can compare them and keep one. */
static void
open_conflict_activated (GtkWidget  *widget,
                         const char *action_name,
                         GVariant   *parameter)
{
  YpSyncRow *self = YP_SYNC_ROW (widget);
  const char *copy_path = g_variant_get_string (parameter, NULL);
  const char *path = g_hash_table_lookup (self->conflicts, copy_path);

  if (path == NULL)
    return;
  launch_local (self, path);
  launch_local (self, copy_path);
}

static void
remove_response_cb (AdwMessageDialog *dialog,
                    const char       *response,
                    YpSyncRow        *self)
{
  /* removing the pair removes this row from its list */
  g_autoptr(YpSyncRow) keep = g_object_ref (self);

  if (g_strcmp0 (response, "remove") == 0)
    yp_sync_manager_remove_pair (self->manager, self->engine);
}

/* "~/Documents" for a folder under the home folder, as a person reads it. */
static char *
display_name (YpSyncEngine *engine)
{
  const char *path = yp_sync_engine_get_local_path (engine);
  g_autofree char *home = g_canonicalize_filename (g_get_home_dir (), NULL);
  gsize len = strlen (home);
  g_autofree char *shown = NULL;

  if (len > 1 && g_str_has_prefix (path, home) && (path[len] == '/' || path[len] == '\0'))
    {
      shown = g_filename_display_name (path + len);
      return g_strconcat ("~", shown, NULL);
    }
  return g_filename_display_name (path);
}

static void
remove_activated (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *parameter)
{
  YpSyncRow *self = YP_SYNC_ROW (widget);
  GtkRoot *root = gtk_widget_get_root (widget);
  g_autofree char *name = display_name (self->engine);
  AdwMessageDialog *dialog;

  dialog = ADW_MESSAGE_DIALOG (adw_message_dialog_new (GTK_IS_WINDOW (root) ? GTK_WINDOW (root)
                                                                            : NULL,
                                                       NULL, NULL));
  /* Translators: %s is a folder on this computer */
  adw_message_dialog_format_heading (dialog, _("Stop Syncing “%s”?"), name);
  adw_message_dialog_format_body (dialog,
                                  _("The files stay where they are, in the folder on this "
                                    "computer and in “%s” on the server. Only the syncing "
                                    "stops."),
                                  yp_sync_engine_get_remote_path (self->engine));
  adw_message_dialog_add_responses (dialog, "cancel", _("_Cancel"), "remove",
                                    _("_Stop Syncing"), NULL);
  adw_message_dialog_set_response_appearance (dialog, "remove", ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_default_response (dialog, "cancel");
  adw_message_dialog_set_close_response (dialog, "cancel");
  g_signal_connect_object (dialog, "response", G_CALLBACK (remove_response_cb), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

/* ------------------------------------------------------------------------
 * Object
 * ------------------------------------------------------------------------ */

static void
yp_sync_row_constructed (GObject *object)
{
  YpSyncRow *self = YP_SYNC_ROW (object);
  g_autofree char *name = NULL;
  g_autofree char *remote = NULL;

  G_OBJECT_CLASS (yp_sync_row_parent_class)->constructed (object);

  g_assert (self->manager != NULL && self->engine != NULL);
  name = display_name (self->engine);
  gtk_label_set_text (self->title_label, name);
  /* Translators: %s is a folder's path on the server, like "/Photos" */
  remote = g_strdup_printf (_("Synced with %s on the server"),
                            yp_sync_engine_get_remote_path (self->engine));
  gtk_label_set_text (self->remote_label, remote);

  g_signal_connect_object (self->engine, "notify", G_CALLBACK (update_status), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (self->engine, "pass-finished", G_CALLBACK (update_conflicts), self,
                           G_CONNECT_SWAPPED);
  update_status (self);
  update_conflicts (self);
}

static void
yp_sync_row_dispose (GObject *object)
{
  YpSyncRow *self = YP_SYNC_ROW (object);

  g_clear_object (&self->engine);
  g_clear_object (&self->manager);
  g_clear_pointer (&self->conflicts, g_hash_table_unref);

  G_OBJECT_CLASS (yp_sync_row_parent_class)->dispose (object);
}

static void
yp_sync_row_set_property (GObject      *object,
                          guint         prop_id,
                          const GValue *value,
                          GParamSpec   *pspec)
{
  YpSyncRow *self = YP_SYNC_ROW (object);

  switch (prop_id)
    {
    case PROP_MANAGER:
      self->manager = g_value_dup_object (value);
      break;

    case PROP_ENGINE:
      self->engine = g_value_dup_object (value);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
yp_sync_row_class_init (YpSyncRowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  const GParamFlags flags = G_PARAM_WRITABLE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS;

  object_class->constructed = yp_sync_row_constructed;
  object_class->dispose = yp_sync_row_dispose;
  object_class->set_property = yp_sync_row_set_property;

  properties[PROP_MANAGER] =
    g_param_spec_object ("manager", NULL, NULL, YP_TYPE_SYNC_MANAGER, flags);
  properties[PROP_ENGINE] = g_param_spec_object ("engine", NULL, NULL, YP_TYPE_SYNC_ENGINE, flags);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /* YpSyncRow::launch-failed: (message) a folder or file could not be opened */
  signals[LAUNCH_FAILED] =
    g_signal_new ("launch-failed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                  NULL, G_TYPE_NONE, 1, G_TYPE_STRING);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/yunpan/Yunpan/yp-sync-row.ui");
  gtk_widget_class_bind_template_child (widget_class, YpSyncRow, title_label);
  gtk_widget_class_bind_template_child (widget_class, YpSyncRow, remote_label);
  gtk_widget_class_bind_template_child (widget_class, YpSyncRow, spinner);
  gtk_widget_class_bind_template_child (widget_class, YpSyncRow, status_label);
  gtk_widget_class_bind_template_child (widget_class, YpSyncRow, last_sync_label);
  gtk_widget_class_bind_template_child (widget_class, YpSyncRow, detail_label);
  gtk_widget_class_bind_template_child (widget_class, YpSyncRow, pause_button);
  gtk_widget_class_bind_template_child (widget_class, YpSyncRow, resume_button);
  gtk_widget_class_bind_template_child (widget_class, YpSyncRow, conflicts_box);
  gtk_widget_class_bind_template_child (widget_class, YpSyncRow, conflicts_list);

  gtk_widget_class_install_action (widget_class, "sync.pause", NULL, pause_activated);
  gtk_widget_class_install_action (widget_class, "sync.resume", NULL, resume_activated);
  gtk_widget_class_install_action (widget_class, "sync.sync-now", NULL, sync_now_activated);
  gtk_widget_class_install_action (widget_class, "sync.open-folder", NULL,
                                   open_folder_activated);
  gtk_widget_class_install_action (widget_class, "sync.open-conflict", "s",
                                   open_conflict_activated);
  gtk_widget_class_install_action (widget_class, "sync.remove", NULL, remove_activated);
}

static void
yp_sync_row_init (YpSyncRow *self)
{
  self->conflicts = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  gtk_widget_init_template (GTK_WIDGET (self));
}

GtkWidget *
yp_sync_row_new (YpSyncManager *manager,
                 YpSyncEngine  *engine)
{
  g_return_val_if_fail (YP_IS_SYNC_MANAGER (manager), NULL);
  g_return_val_if_fail (YP_IS_SYNC_ENGINE (engine), NULL);

  return g_object_new (YP_TYPE_SYNC_ROW, "manager", manager, "engine", engine, NULL);
}

YpSyncEngine *
yp_sync_row_get_engine (YpSyncRow *self)
{
  g_return_val_if_fail (YP_IS_SYNC_ROW (self), NULL);

  return self->engine;
}
