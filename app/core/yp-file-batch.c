/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "yunpan-client"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>

#include "yp-client-error.h"
#include "yp-client-private.h"
#include "yp-file-batch.h"

/*
 * Many small files in one request (POST files/batch): a one-line JSON
 * manifest, then the files' bytes one after the other. The body is built
 * in memory once (at most YP_FILE_BATCH_MAX_BYTES) so that every try of
 * the keyed call sends the very same bytes, which the server's
 * Idempotency-Key fingerprint requires.
 */

/* The server takes at most this for the manifest line. */
#define MANIFEST_MAX_BYTES (G_GUINT64_CONSTANT (1) << 20)

struct _YpFileBatchEntry
{
  gatomicrefcount  ref_count;

  char            *local_path;
  YpTarget         target;     /* its strings owned */
  gint64           if_version;
  char            *sha256;
  YpFileIdentity   identity;

  YpNode          *node;
  GError          *error;
};

G_DEFINE_BOXED_TYPE (YpFileBatchEntry, yp_file_batch_entry,
                     yp_file_batch_entry_ref, yp_file_batch_entry_unref)

YpFileBatchEntry *
yp_file_batch_entry_new (const char           *local_path,
                         const YpTarget       *target,
                         gint64                if_version,
                         const char           *sha256,
                         const YpFileIdentity *identity)
{
  YpFileBatchEntry *self;

  g_return_val_if_fail (local_path != NULL, NULL);
  g_return_val_if_fail (target != NULL, NULL);
  g_return_val_if_fail (sha256 != NULL, NULL);
  g_return_val_if_fail (identity != NULL, NULL);

  self = g_new0 (YpFileBatchEntry, 1);
  g_atomic_ref_count_init (&self->ref_count);
  self->local_path = g_strdup (local_path);
  self->target = (YpTarget) {
    .id = target->id,
    .path = g_strdup (target->path),
    .parent_id = target->parent_id,
    .name = g_strdup (target->name),
  };
  self->if_version = if_version;
  self->sha256 = g_strdup (sha256);
  self->identity = *identity;
  return self;
}

YpFileBatchEntry *
yp_file_batch_entry_ref (YpFileBatchEntry *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  g_atomic_ref_count_inc (&self->ref_count);
  return self;
}

void
yp_file_batch_entry_unref (YpFileBatchEntry *self)
{
  g_return_if_fail (self != NULL);

  if (!g_atomic_ref_count_dec (&self->ref_count))
    return;
  g_free (self->local_path);
  g_free ((char *) self->target.path);
  g_free ((char *) self->target.name);
  g_free (self->sha256);
  g_clear_object (&self->node);
  g_clear_error (&self->error);
  g_free (self);
}

const char *
yp_file_batch_entry_get_local_path (YpFileBatchEntry *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->local_path;
}

const YpTarget *
yp_file_batch_entry_get_target (YpFileBatchEntry *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return &self->target;
}

gint64
yp_file_batch_entry_get_if_version (YpFileBatchEntry *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return self->if_version;
}

const char *
yp_file_batch_entry_get_sha256 (YpFileBatchEntry *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->sha256;
}

guint64
yp_file_batch_entry_get_size (YpFileBatchEntry *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return self->identity.size;
}

gint64
yp_file_batch_entry_get_mtime (YpFileBatchEntry *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return self->identity.mtime_ns / G_GINT64_CONSTANT (1000000000);
}

const YpFileIdentity *
yp_file_batch_entry_get_identity (YpFileBatchEntry *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return &self->identity;
}

YpNode *
yp_file_batch_entry_get_node (YpFileBatchEntry *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->node;
}

const GError *
yp_file_batch_entry_get_error (YpFileBatchEntry *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->error;
}

gboolean
yp_file_batch_fits (guint   n_entries,
                    guint64 bytes)
{
  return n_entries <= YP_FILE_BATCH_MAX_ENTRIES
         && bytes + (guint64) n_entries * YP_FILE_BATCH_ENTRY_OVERHEAD
            <= YP_FILE_BATCH_MAX_BYTES;
}

static void
entry_reset (YpFileBatchEntry *entry)
{
  g_clear_object (&entry->node);
  g_clear_error (&entry->error);
}

static void
entry_take_error (YpFileBatchEntry *entry,
                  GError           *error)
{
  g_clear_error (&entry->error);
  entry->error = error;
}

/* ------------------------------------------------------------------------
 * Reading the files
 * ------------------------------------------------------------------------ */

static gboolean
fd_has_identity (int                   fd,
                 const YpFileIdentity *identity)
{
  struct stat st;
  YpFileIdentity now;

  if (fstat (fd, &st) != 0)
    return FALSE;
  now = (YpFileIdentity) {
    .device = (guint64) st.st_dev,
    .inode = (guint64) st.st_ino,
    .size = (guint64) st.st_size,
    .mtime_ns = (gint64) st.st_mtim.tv_sec * G_GINT64_CONSTANT (1000000000)
                + st.st_mtim.tv_nsec,
  };
  return yp_file_identity_equal (&now, identity);
}

static gboolean
set_changed (GError     **error,
             const char  *path)
{
  g_set_error (error, YP_CLIENT_ERROR, YP_CLIENT_ERROR_CHANGED,
               _("“%s” changed after it was hashed"), path);
  return FALSE;
}

/*
 * Appends the file of ENTRY to BODY, provided it still is the file that
 * was hashed, before and after the read: a write meanwhile changes its
 * modification time. On failure BODY is left as it was.
 */
static gboolean
append_file (GByteArray        *body,
             YpFileBatchEntry  *entry,
             GError           **error)
{
  guint start = body->len;
  guint64 size = entry->identity.size;
  guint64 done = 0;
  int fd = g_open (entry->local_path, O_RDONLY | O_CLOEXEC, 0);

  if (fd < 0)
    return _yp_set_io_error (error, errno, "open", entry->local_path);
  if (!fd_has_identity (fd, &entry->identity))
    {
      g_close (fd, NULL);
      return set_changed (error, entry->local_path);
    }
  g_byte_array_set_size (body, start + (guint) size);
  while (done < size)
    {
      gssize n = read (fd, body->data + start + done, size - done);

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        break;
      done += (guint64) n;
    }
  if (done < size || !fd_has_identity (fd, &entry->identity))
    {
      g_close (fd, NULL);
      g_byte_array_set_size (body, start);
      return set_changed (error, entry->local_path);
    }
  g_close (fd, NULL);
  return TRUE;
}

/* ------------------------------------------------------------------------
 * The request
 * ------------------------------------------------------------------------ */

static JsonObject *
manifest_entry (YpFileBatchEntry *entry)
{
  JsonObject *object = json_object_new ();

  if (entry->target.path != NULL)
    json_object_set_string_member (object, "path", entry->target.path);
  else
    {
      json_object_set_int_member (object, "parent_id", entry->target.parent_id);
      json_object_set_string_member (object, "name", entry->target.name);
    }
  json_object_set_int_member (object, "size", (gint64) entry->identity.size);
  json_object_set_string_member (object, "sha256", entry->sha256);
  json_object_set_int_member (object, "mtime", yp_file_batch_entry_get_mtime (entry));
  if (entry->if_version != YP_VERSION_NONE)
    json_object_set_int_member (object, "if_version", entry->if_version);
  return object;
}

/* Why ENTRY cannot be sent at all, before any file is read. */
static gboolean
entry_check (YpFileBatchEntry  *entry,
             GError           **error)
{
  const YpTarget *t = &entry->target;
  gboolean by_path = t->path != NULL;
  gboolean by_child = t->parent_id > 0 && t->name != NULL;

  if (t->id > 0 || by_path == by_child)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   _("A new file is named by its path, or by its folder's id and a name"));
      return FALSE;
    }
  if (entry->identity.size > YP_FILE_BATCH_MAX_FILE_SIZE)
    {
      *error = yp_client_error_new_from_server (yp_status_http (YP_STATUS_TOO_LARGE),
                                                YP_STATUS_TOO_LARGE, 0, -1, -1, -1, -1,
                                                _("The file is too large for a batch; "
                                                  "upload it on its own"));
      return FALSE;
    }
  return TRUE;
}

static GBytes *
batch_too_big (GError  **error,
               guint     n_files,
               guint64   bytes)
{
  g_set_error (error, YP_CLIENT_ERROR, YP_CLIENT_ERROR_INVALID,
               _("Too many files, or too many bytes, for one batch (%u files, %"
                 G_GUINT64_FORMAT " bytes)"), n_files, bytes);
  return NULL;
}

/*
 * Builds the body from ENTRIES: every entry that cannot be sent gets its
 * error; the others are added to SENT, in the body's order. NULL when the
 * body would break the server's limits.
 */
static GBytes *
build_body (GPtrArray  *entries,
            GPtrArray  *sent,
            GError    **error)
{
  g_autoptr(GByteArray) files = g_byte_array_new ();
  g_autoptr(JsonArray) manifest = json_array_new ();
  g_autoptr(JsonObject) root_object = json_object_new ();
  g_autoptr(JsonNode) root = json_node_new (JSON_NODE_OBJECT);
  g_autofree char *line = NULL;
  GByteArray *body;
  gsize line_len;

  /* before any file is read: a batch that cannot fit is refused cheaply */
  if (entries->len > YP_FILE_BATCH_MAX_ENTRIES)
    return batch_too_big (error, entries->len, 0);
  for (guint i = 0; i < entries->len; i++)
    {
      YpFileBatchEntry *entry = g_ptr_array_index (entries, i);
      GError *entry_error = NULL;

      entry_reset (entry);
      if (entry_check (entry, &entry_error)
          && files->len + entry->identity.size > YP_FILE_BATCH_MAX_BYTES)
        return batch_too_big (error, sent->len + 1, files->len + entry->identity.size);
      if (entry_error != NULL || !append_file (files, entry, &entry_error))
        {
          entry_take_error (entry, entry_error);
          continue;
        }
      json_array_add_object_element (manifest, manifest_entry (entry));
      g_ptr_array_add (sent, yp_file_batch_entry_ref (entry));
    }

  json_object_set_array_member (root_object, "entries", json_array_ref (manifest));
  json_node_set_object (root, root_object);
  line = json_to_string (root, FALSE);
  line_len = strlen (line) + 1;
  if (sent->len > YP_FILE_BATCH_MAX_ENTRIES || line_len > MANIFEST_MAX_BYTES
      || line_len + files->len > YP_FILE_BATCH_MAX_BYTES)
    return batch_too_big (error, sent->len, line_len + files->len);

  body = g_byte_array_sized_new ((guint) (line_len + files->len));
  g_byte_array_append (body, (const guint8 *) line, (guint) line_len - 1);
  g_byte_array_append (body, (const guint8 *) "\n", 1);
  g_byte_array_append (body, files->data, files->len);
  return g_byte_array_free_to_bytes (body);
}

/* The error the server answered for one entry, as the single request's
 * answer would have been turned into one. */
static GError *
entry_error_new (JsonObject *err)
{
  const char *code = json_object_get_string_member_with_default (err, "code", NULL);
  const char *message = json_object_get_string_member_with_default (err, "message", NULL);
  yp_status_t status = code ? yp_status_from_code (code) : YP_STATUS_COUNT;

  return yp_client_error_new_from_server (yp_status_http (status), status, 0,
                                          json_object_get_int_member_with_default (err, "version", -1),
                                          json_object_get_int_member_with_default (err, "offset", -1),
                                          json_object_get_int_member_with_default (err, "used", -1),
                                          json_object_get_int_member_with_default (err, "quota", -1),
                                          message ? message : _("The server refused the file"));
}

/* Hands each answer of REPLY to the entry it is for (DATA: the entries
 * sent). */
static gpointer
batch_reply (YpClient    *client,
             JsonObject  *reply,
             gpointer     data,
             GError     **error)
{
  GPtrArray *sent = data;
  JsonArray *answers = _yp_json_array (reply, "entries");

  if (answers == NULL || json_array_get_length (answers) != sent->len)
    {
      g_set_error (error, YP_CLIENT_ERROR, YP_CLIENT_ERROR_SERVER,
                   _("The server answered a batch of %u files with something else"), sent->len);
      return NULL;
    }
  for (guint i = 0; i < sent->len; i++)
    {
      YpFileBatchEntry *entry = g_ptr_array_index (sent, i);
      JsonNode *node = json_array_get_element (answers, i);
      JsonObject *answer = JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
      JsonObject *file = _yp_json_object (answer, "file");
      JsonObject *err = _yp_json_object (answer, "error");

      if (file != NULL)
        entry->node = yp_node_new_from_json (file);
      else if (err != NULL)
        entry_take_error (entry, entry_error_new (err));
      else
        entry_take_error (entry, g_error_new (YP_CLIENT_ERROR, YP_CLIENT_ERROR_SERVER,
                                              _("The server gave no answer for “%s”"),
                                              entry->local_path));
    }
  return YP_CALL_OK;
}

gboolean
yp_client_store_files_sync (YpClient      *self,
                            GPtrArray     *entries,
                            GCancellable  *cancellable,
                            GError       **error)
{
  g_autoptr(GPtrArray) sent = NULL;
  g_autoptr(GBytes) body = NULL;
  YpCall *call;

  g_return_val_if_fail (YP_IS_CLIENT (self), FALSE);
  g_return_val_if_fail (entries != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  sent = g_ptr_array_new_with_free_func ((GDestroyNotify) yp_file_batch_entry_unref);
  body = build_body (entries, sent, error);
  if (body == NULL)
    return FALSE;
  if (sent->len == 0)
    return TRUE;

  call = _yp_call_new (self, "POST", "/files/batch");
  _yp_call_set_flags (call, YP_CALL_KEYED);
  _yp_call_set_request_bytes (call, "application/octet-stream", body);
  _yp_call_set_reply (call, batch_reply, NULL);
  _yp_call_set_data (call, g_ptr_array_ref (sent), (GDestroyNotify) g_ptr_array_unref);
  if (_yp_call_run_sync (call, cancellable, error) == NULL)
    {
      /* nothing was stored: no entry keeps half an outcome */
      for (guint i = 0; i < sent->len; i++)
        entry_reset (g_ptr_array_index (sent, i));
      return FALSE;
    }
  return TRUE;
}
