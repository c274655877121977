/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "yunpan-client"

#include "config.h"

#include "yp-folder-model.h"

/**
 * YpFolderModel:
 *
 * The entries of one server folder as a #GListModel of #YpNode, for a list
 * view: it lists the folder page by page with yp_client_list_async() in the
 * thread-default main context of its creator, never blocking it, and grows
 * as the pages arrive (#GListModel::items-changed appends each page). The
 * folder's size is known as #YpFolderModel:total once the first page is in,
 * so a view can say "1,000 of 2,500" while the rest comes; there are no
 * placeholder items.
 *
 * Every page after the first names the folder by its id, so that a rename
 * meanwhile does not break the listing. An entry added or removed between
 * two pages shifts the offsets of the following ones, so an entry may be
 * listed twice or not at all: when the total the server reports changes
 * between pages, the model lists the folder once more from the start after
 * its last page (once per load, so a folder that keeps changing cannot keep
 * it loading forever).
 *
 * yp_folder_model_reload() starts over; the entries loaded so far stay until
 * the first new page replaces them all at once, so a view does not flash
 * empty. A failure keeps what was loaded and sets #YpFolderModel:error.
 * Disposing the model cancels the request in flight: a closed view gets no
 * callback after it is gone.
 *
 * Call it only from the thread-default main context it was made in.
 */
struct _YpFolderModel
{
  GObject        parent_instance;

  /* owned references */
  YpClient      *client;
  GPtrArray     *items;
  YpNode        *folder;
  GError        *error;
  /* of the load under way; NULL when none */
  GCancellable  *cancellable;

  /* what to list: the target as given, and its id once known */
  gint64         target_id;
  char          *target_path;
  gint64         target_parent_id;
  char          *target_name;
  YpSort         sort;
  gboolean       descending;
  char          *category;
  gboolean       recursive;
  guint          page_size;

  /* state of the load under way */
  gboolean       loading;
  guint          total;
  gint64         next_offset;
  gint64         folder_id;
  gboolean       total_changed;
  gboolean       listed_again;
};

static void yp_folder_model_list_model_init (GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (YpFolderModel, yp_folder_model, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL,
                                                      yp_folder_model_list_model_init))

enum {
  PROP_0,
  PROP_LOADING,
  PROP_N_LOADED,
  PROP_TOTAL,
  PROP_ERROR,
  PROP_FOLDER,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* What a request's callback needs: the model is borrowed, and only touched
 * while the load's cancellable is not cancelled (the model cancels it when
 * it is disposed or starts another load). */
typedef struct
{
  YpFolderModel *self;
  GCancellable  *cancellable;
} PageRequest;

static void
page_request_free (PageRequest *request)
{
  g_clear_object (&request->cancellable);
  g_free (request);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PageRequest, page_request_free)

static GType
yp_folder_model_get_item_type (GListModel *model)
{
  return YP_TYPE_NODE;
}

static guint
yp_folder_model_get_n_items (GListModel *model)
{
  return YP_FOLDER_MODEL (model)->items->len;
}

static gpointer
yp_folder_model_get_item (GListModel *model,
                          guint       position)
{
  YpFolderModel *self = YP_FOLDER_MODEL (model);

  if (position >= self->items->len)
    return NULL;
  return g_object_ref (g_ptr_array_index (self->items, position));
}

static void
yp_folder_model_list_model_init (GListModelInterface *iface)
{
  iface->get_item_type = yp_folder_model_get_item_type;
  iface->get_n_items = yp_folder_model_get_n_items;
  iface->get_item = yp_folder_model_get_item;
}

static void
cancel_load (YpFolderModel *self)
{
  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
}

static void
yp_folder_model_dispose (GObject *object)
{
  YpFolderModel *self = YP_FOLDER_MODEL (object);

  cancel_load (self);
  g_clear_object (&self->client);
  g_clear_object (&self->folder);

  G_OBJECT_CLASS (yp_folder_model_parent_class)->dispose (object);
}

static void
yp_folder_model_finalize (GObject *object)
{
  YpFolderModel *self = YP_FOLDER_MODEL (object);

  g_clear_pointer (&self->items, g_ptr_array_unref);
  g_clear_error (&self->error);
  g_clear_pointer (&self->target_path, g_free);
  g_clear_pointer (&self->target_name, g_free);
  g_clear_pointer (&self->category, g_free);

  G_OBJECT_CLASS (yp_folder_model_parent_class)->finalize (object);
}

static void
yp_folder_model_get_property (GObject    *object,
                              guint       prop_id,
                              GValue     *value,
                              GParamSpec *pspec)
{
  YpFolderModel *self = YP_FOLDER_MODEL (object);

  switch (prop_id)
    {
    case PROP_LOADING:
      g_value_set_boolean (value, self->loading);
      break;
    case PROP_N_LOADED:
      g_value_set_uint (value, self->items->len);
      break;
    case PROP_TOTAL:
      g_value_set_uint (value, self->total);
      break;
    case PROP_ERROR:
      g_value_set_boxed (value, self->error);
      break;
    case PROP_FOLDER:
      g_value_set_object (value, self->folder);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
yp_folder_model_class_init (YpFolderModelClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = yp_folder_model_dispose;
  object_class->finalize = yp_folder_model_finalize;
  object_class->get_property = yp_folder_model_get_property;

  /**
   * YpFolderModel:loading:
   *
   * Whether pages are still being requested.
   */
  properties[PROP_LOADING] =
    g_param_spec_boolean ("loading", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * YpFolderModel:n-loaded:
   *
   * The entries in the model so far: its number of items.
   */
  properties[PROP_N_LOADED] =
    g_param_spec_uint ("n-loaded", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * YpFolderModel:total:
   *
   * The folder's entries as the server last counted them; 0 until the
   * first page arrives.
   */
  properties[PROP_TOTAL] =
    g_param_spec_uint ("total", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * YpFolderModel:error:
   *
   * Why the last load stopped (a #YpClientError), or %NULL.
   */
  properties[PROP_ERROR] =
    g_param_spec_boxed ("error", NULL, NULL, G_TYPE_ERROR,
                        G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * YpFolderModel:folder:
   *
   * The folder listed, as the server described it with the last first
   * page; %NULL until then.
   */
  properties[PROP_FOLDER] =
    g_param_spec_object ("folder", NULL, NULL, YP_TYPE_NODE,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
yp_folder_model_init (YpFolderModel *self)
{
  self->items = g_ptr_array_new_with_free_func (g_object_unref);
}

static void
set_loading (YpFolderModel *self,
             gboolean       loading)
{
  if (self->loading == loading)
    return;
  self->loading = loading;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LOADING]);
}

static void
set_total (YpFolderModel *self,
           gint64         total)
{
  guint clamped = (guint) CLAMP (total, 0, G_MAXUINT);

  if (self->total == clamped)
    return;
  self->total = clamped;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TOTAL]);
}

static void
set_error (YpFolderModel *self,
           GError        *error)
{
  if (self->error == NULL && error == NULL)
    return;
  g_clear_error (&self->error);
  self->error = error;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ERROR]);
}

static void list_page_cb (GObject      *source,
                          GAsyncResult *result,
                          gpointer      user_data);

static void
request_page (YpFolderModel *self)
{
  YpListOptions options = {
    .sort = self->sort,
    .descending = self->descending,
    .offset = self->next_offset,
    .limit = self->page_size,
    .category = self->category,
    .recursive = self->recursive,
  };
  YpTarget target = {
    .id = self->target_id,
    .path = self->target_path,
    .parent_id = self->target_parent_id,
    .name = self->target_name,
  };
  PageRequest *request = g_new0 (PageRequest, 1);

  if (self->folder_id > 0)
    target = (YpTarget) { .id = self->folder_id };
  request->self = self;
  request->cancellable = g_object_ref (self->cancellable);
  yp_client_list_async (self->client, &target, &options, self->cancellable, list_page_cb,
                        request);
}

static void
start_load (YpFolderModel *self)
{
  cancel_load (self);
  self->cancellable = g_cancellable_new ();
  self->next_offset = 0;
  self->folder_id = 0;
  self->total_changed = FALSE;
  set_error (self, NULL);
  set_loading (self, TRUE);
  request_page (self);
}

static void
finish_load (YpFolderModel *self,
             GError        *error)
{
  g_clear_object (&self->cancellable);
  if (error != NULL)
    set_error (self, error);
  set_loading (self, FALSE);
}

/* The first page of a load replaces everything at once; the others append. */
static void
add_page (YpFolderModel *self,
          YpListing     *listing)
{
  guint position = self->next_offset == 0 ? 0 : self->items->len;
  guint removed = self->items->len - position;

  g_ptr_array_set_size (self->items, position);
  for (guint i = 0; i < listing->entries->len; i++)
    g_ptr_array_add (self->items, g_object_ref (g_ptr_array_index (listing->entries, i)));
  self->next_offset += listing->entries->len;
  if (removed > 0 || listing->entries->len > 0)
    {
      g_list_model_items_changed (G_LIST_MODEL (self), position, removed, listing->entries->len);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_LOADED]);
    }
}

static void
handle_page (YpFolderModel *self,
             YpListing     *listing,
             GCancellable  *cancellable)
{
  gboolean first = self->next_offset == 0;
  gboolean last;

  if (first)
    {
      self->folder_id = yp_node_get_id (listing->folder);
      g_set_object (&self->folder, listing->folder);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_FOLDER]);
    }
  else if (listing->total != self->total)
    {
      self->total_changed = TRUE;
    }
  set_total (self, listing->total);
  last = listing->entries->len < self->page_size
    || self->next_offset + listing->entries->len >= listing->total;
  add_page (self, listing);

  /* a handler of the signals above may have reloaded the model */
  if (g_cancellable_is_cancelled (cancellable))
    return;
  if (!last)
    request_page (self);
  else if (self->total_changed && !self->listed_again)
    {
      g_debug ("folder model: %s changed while it was listed; listing it again",
               yp_node_get_path (self->folder));
      self->listed_again = TRUE;
      start_load (self);
    }
  else
    finish_load (self, NULL);
}

static void
list_page_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(PageRequest) request = user_data;
  g_autoptr(YpListing) listing = NULL;
  g_autoptr(GError) error = NULL;
  YpFolderModel *self = request->self;

  listing = yp_client_list_finish (YP_CLIENT (source), result, &error);
  /* disposed or reloaded meanwhile: the model may be gone, and this page
   * belongs to a load nobody wants any more */
  if (g_cancellable_is_cancelled (request->cancellable))
    return;

  /* a handler may drop the last reference to the model */
  g_object_ref (self);
  g_object_freeze_notify (G_OBJECT (self));
  if (listing == NULL)
    finish_load (self, g_steal_pointer (&error));
  else
    handle_page (self, listing, request->cancellable);
  g_object_thaw_notify (G_OBJECT (self));
  g_object_unref (self);
}

/**
 * yp_folder_model_new:
 * @client: a signed-in client
 * @folder: the folder to list, by id or by path (copied)
 * @options: (nullable): the order and filter; its offset and limit are not used
 * @page_size: entries per request, 0 for %YP_FOLDER_MODEL_PAGE_SIZE; at
 *   most %YP_FOLDER_MODEL_PAGE_SIZE_MAX
 *
 * Returns: (transfer full): the model, already loading its first page
 */
YpFolderModel *
yp_folder_model_new (YpClient            *client,
                     const YpTarget      *folder,
                     const YpListOptions *options,
                     guint                page_size)
{
  YpFolderModel *self;

  g_return_val_if_fail (YP_IS_CLIENT (client), NULL);
  g_return_val_if_fail (folder != NULL, NULL);
  g_return_val_if_fail (page_size <= YP_FOLDER_MODEL_PAGE_SIZE_MAX, NULL);

  self = g_object_new (YP_TYPE_FOLDER_MODEL, NULL);
  self->client = g_object_ref (client);
  self->target_id = folder->id;
  self->target_path = g_strdup (folder->path);
  self->target_parent_id = folder->parent_id;
  self->target_name = g_strdup (folder->name);
  if (options != NULL)
    {
      self->sort = options->sort;
      self->descending = options->descending;
      self->category = g_strdup (options->category);
      self->recursive = options->recursive;
    }
  self->page_size = page_size > 0 ? page_size : YP_FOLDER_MODEL_PAGE_SIZE;
  start_load (self);
  return self;
}

/**
 * yp_folder_model_reload:
 *
 * Lists the folder again from the start, as it was named when the model
 * was made; a load under way is cancelled.
 */
void
yp_folder_model_reload (YpFolderModel *self)
{
  g_return_if_fail (YP_IS_FOLDER_MODEL (self));

  self->listed_again = FALSE;
  start_load (self);
}

gboolean
yp_folder_model_get_loading (YpFolderModel *self)
{
  g_return_val_if_fail (YP_IS_FOLDER_MODEL (self), FALSE);

  return self->loading;
}

guint
yp_folder_model_get_n_loaded (YpFolderModel *self)
{
  g_return_val_if_fail (YP_IS_FOLDER_MODEL (self), 0);

  return self->items->len;
}

guint
yp_folder_model_get_total (YpFolderModel *self)
{
  g_return_val_if_fail (YP_IS_FOLDER_MODEL (self), 0);

  return self->total;
}

/**
 * yp_folder_model_get_error:
 *
 * Returns: (nullable): why the last load stopped, or %NULL
 */
const GError *
yp_folder_model_get_error (YpFolderModel *self)
{
  g_return_val_if_fail (YP_IS_FOLDER_MODEL (self), NULL);

  return self->error;
}

/**
 * yp_folder_model_get_folder:
 *
 * Returns: (transfer none) (nullable): the folder, once a first page arrived
 */
YpNode *
yp_folder_model_get_folder (YpFolderModel *self)
{
  g_return_val_if_fail (YP_IS_FOLDER_MODEL (self), NULL);

  return self->folder;
}
