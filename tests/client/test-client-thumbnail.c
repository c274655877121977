/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Thumbnails against a real server: the PNG's bytes, blocking and not,
 * and the errors a caller tells apart.
 */
#include <string.h>

#include "yp-client-error.h"
#include "yp-client.h"
#include "yp-protocol.h"
#include "yp-test-fixture.h"

/* Uploads an image of WIDTH × HEIGHT made by ImageMagick as REMOTE; returns
 * its node id. */
static gint64
upload_image (Fixture    *f,
              const char *remote,
              guint       width,
              guint       height)
{
  g_autofree char *local = g_build_filename (f->dir, "image.png", NULL);
  g_autofree char *geometry = g_strdup_printf ("%ux%u", width, height);
  const char *argv[] = { "convert", "-size", geometry, "gradient:white-black", local, NULL };
  g_autoptr(GError) error = NULL;
  g_autoptr(YpTransfer) up = NULL;
  gint status = 0;

  g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL,
                &status, &error);
  g_assert_no_error (error);
  g_assert_true (g_spawn_check_wait_status (status, NULL));
  up = upload (f->client, local, remote, &error);
  g_assert_no_error (error);
  return yp_node_get_id (yp_transfer_get_node (up));
}

/* Fails unless BYTES are a PNG of WIDTH × HEIGHT. */
static void
assert_png (GBytes *bytes,
            guint   width,
            guint   height)
{
  gsize len = 0;
  const guint8 *data = g_bytes_get_data (bytes, &len);
  guint32 size[2];

  g_assert_cmpuint (len, >, 24);
  g_assert_cmpmem (data, 8, "\x89PNG\r\n\x1a\n", 8);
  memcpy (size, data + 16, sizeof size);
  g_assert_cmpuint (GUINT32_FROM_BE (size[0]), ==, width);
  g_assert_cmpuint (GUINT32_FROM_BE (size[1]), ==, height);
}

static void
test_thumbnail (Fixture       *f,
                gconstpointer  data)
{
  gint64 id = upload_image (f, "/wide.png", 400, 100);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GBytes) small = NULL, large = NULL;
  g_autoptr(GError) error = NULL;

  small = yp_client_thumbnail_sync (f->client, id, YP_THUMBNAIL_SMALL, NULL, &error);
  g_assert_no_error (error);
  assert_png (small, 128, 32);

  yp_client_thumbnail_async (f->client, id, YP_THUMBNAIL_LARGE, NULL, store_result, &result);
  large = yp_client_thumbnail_finish (f->client, wait_result (&result), &error);
  g_assert_no_error (error);
  assert_png (large, 256, 64);
}

static void
test_thumbnail_errors (Fixture       *f,
                       gconstpointer  data)
{
  g_autofree char *text = make_file (f->dir, "notes.txt", 100, 1, NULL);
  g_autoptr(YpTransfer) up = upload (f->client, text, "/notes.txt", NULL);
  gint64 image = upload_image (f, "/mine.png", 64, 64);
  g_autoptr(YpClient) bob = new_user (f->server, "bob");
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  /* not an image: the protocol's code reaches the caller */
  g_assert_null (yp_client_thumbnail_sync (f->client, yp_node_get_id (yp_transfer_get_node (up)),
                                           YP_THUMBNAIL_SMALL, NULL, &error));
  g_assert_error (error, YP_CLIENT_ERROR, YP_CLIENT_ERROR_INVALID);
  g_assert_cmpint (yp_client_error_get_status (error), ==, YP_STATUS_NOT_AN_IMAGE);
  g_clear_error (&error);

  /* another user's image is not found */
  yp_client_thumbnail_async (bob, image, YP_THUMBNAIL_SMALL, NULL, store_result, &result);
  g_assert_null (yp_client_thumbnail_finish (bob, wait_result (&result), &error));
  g_assert_error (error, YP_CLIENT_ERROR, YP_CLIENT_ERROR_NOT_FOUND);
  g_clear_error (&error);

  /* a size the protocol has not is refused before anything is sent */
  g_assert_null (yp_client_thumbnail_sync (f->client, image, 100, NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  g_assert_null (yp_client_thumbnail_sync (f->client, 0, YP_THUMBNAIL_SMALL, NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  fixture_add ("/yunpan/client/thumbnail/png", test_thumbnail);
  fixture_add ("/yunpan/client/thumbnail/errors", test_thumbnail_errors);
  return g_test_run ();
}
