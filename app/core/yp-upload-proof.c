/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "yunpan-client"

#include "config.h"

#include <errno.h>
#include <unistd.h>

#include <glib/gi18n-lib.h>

#include "yp-client-error.h"
#include "yp-client-private.h"
#include "yp-hash.h"
#include "yp-upload-private.h"

/* The proof of possession: when the server offers a challenge, the proof
 * that the file is the one it already holds goes out on a job of its own,
 * while the bytes wait a little for it and then go out anyway. */

/* how long a proof may take before the bytes go out anyway: a right proof
 * of a file of a few MiB is answered well within it, and a wrong one is
 * held for size / 256 MiB/s, which the bytes should not wait for */
#define PROOF_GRACE_USEC    (200 * G_TIME_SPAN_MILLISECOND)
#define PROOF_BUFFER        (1024 * 1024)

/* SHA-256 (nonce ‖ content): one more pass over a file just hashed, mostly
 * from the page cache, and still far cheaper than sending it. */
static gboolean
compute_proof (Upload        *up,
               GCancellable  *cancellable,
               char           proof[65],
               GError       **error)
{
  g_autofree guint8 *buffer = g_malloc (PROOF_BUFFER);
  yp_sha256_t *ctx = yp_sha256_new ();
  guint64 position = 0;

  yp_sha256_update (ctx, up->nonce, sizeof up->nonce);
  while (position < _yp_upload_file_size (up))
    {
      gssize n;

      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        {
          yp_sha256_free (ctx);
          return FALSE;
        }
      do
        n = pread (up->fd, buffer, PROOF_BUFFER, (off_t) position);
      while (n < 0 && errno == EINTR);
      if (n <= 0)
        {
          yp_sha256_free (ctx);
          if (n < 0)
            return _yp_set_io_error (error, errno, "read",
                                     yp_transfer_get_local_path (up->transfer));
          g_set_error (error, YP_CLIENT_ERROR, YP_CLIENT_ERROR_CHANGED,
                       _("The file became shorter while it was being uploaded"));
          return FALSE;
        }
      yp_sha256_update (ctx, buffer, (gsize) n);
      position += (guint64) n;
    }
  yp_sha256_finish_hex (ctx, proof);
  return TRUE;
}

/* The proof job: computes the proof and posts it. */
static JsonObject *
proof_send (gpointer       data,
            GCancellable  *cancellable,
            GError       **error)
{
  Upload *up = data;
  g_autoptr(JsonObject) body = json_object_new ();
  g_autofree char *api_path = g_strdup_printf ("/uploads/%s/proof", up->upload_id);
  char proof[65];

  if (!compute_proof (up, cancellable, proof, error))
    return NULL;
  /* a proof of other bytes than were hashed would be refused anyway; but a
   * file that changed is to be uploaded again, not sent as it was */
  if (!_yp_upload_file_unchanged (up, TRUE, error))
    return NULL;
  json_object_set_string_member (body, "proof", proof);
  return _yp_client_call (up->client, "POST", api_path, NULL, body, cancellable, error);
}

/* Starts judging the proof for CHALLENGE, if it is one. */
void
_yp_upload_proof_start (Upload     *up,
                        JsonObject *challenge)
{
  if (!yp_hex_decode (json_object_get_string_member_with_default (challenge, "nonce", ""),
                      up->nonce, sizeof up->nonce))
    return;
  up->proof_grace_end = g_get_monotonic_time () + PROOF_GRACE_USEC;
  up->proof = yp_upload_job_start ("yp-upload-proof", &up->signal, up->cancellable,
                                   proof_send, up);
}

/* Waits for the proof's answer (cancelling it first when CANCEL): returns
 * the new file if the proof was right. Any other answer means the bytes
 * have to be sent, which they are being. */
YpNode *
_yp_upload_proof_finish (Upload   *up,
                         gboolean  cancel)
{
  g_autoptr(JsonObject) reply = NULL;
  g_autoptr(GError) error = NULL;
  YpUploadJob *job;

  g_mutex_lock (&up->signal.mutex);
  job = g_steal_pointer (&up->proof);
  g_mutex_unlock (&up->signal.mutex);
  if (job == NULL)
    return NULL;
  if (cancel)
    yp_upload_job_cancel (job);
  reply = yp_upload_job_join (job, &error);
  if (reply == NULL)
    {
      g_debug ("upload %s: proof not accepted (%s)", up->upload_id, error->message);
      up->proof_changed |= g_error_matches (error, YP_CLIENT_ERROR, YP_CLIENT_ERROR_CHANGED);
      return NULL;
    }
  return _yp_upload_file_from_reply (reply);
}
