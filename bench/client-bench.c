/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * yunpan-bench-client: times the client library's hashing and upload, for
 * bench/client.sh, which sets them against `openssl dgst` and curl on the
 * same file in the same run.
 *
 *   yunpan-bench-client hash FILE
 *   yunpan-bench-client upload URL USERNAME PASSWORD FILE REMOTE [CHUNK_BYTES]
 *
 * Prints the seconds taken on stdout. An upload sizes its chunks as an
 * application's does unless CHUNK_BYTES is given (to compare sizes).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "yp-client.h"
#include "yp-hasher.h"

static void
count_report (guint64  hashed,
              gpointer user_data)
{
  guint *reports = user_data;

  (*reports)++;
}

/* Hashes as an application does, with progress reports and a cancellable,
 * so that what they cost is in the time. */
static int
bench_hash (const char *path)
{
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GError) error = NULL;
  gint64 start = g_get_monotonic_time ();
  guint64 size = 0;
  guint reports = 0;
  char hex[65];

  if (!yp_hash_file_sync_full (path, hex, &size, count_report, &reports, cancellable, &error))
    {
      g_printerr ("hash: %s\n", error->message);
      return 1;
    }
  g_assert (reports >= size / YP_HASH_PROGRESS_STEP);
  printf ("%.3f\n", (double) (g_get_monotonic_time () - start) / G_USEC_PER_SEC);
  return 0;
}

static int
bench_upload (const char *url,
              const char *username,
              const char *password,
              const char *path,
              const char *remote,
              guint64     chunk_size)
{
  g_autoptr(YpClient) client = yp_client_new (url);
  g_autoptr(YpTransfer) transfer = yp_transfer_new_upload (path, remote, 0);
  g_autoptr(GError) error = NULL;
  gint64 start;

  if (!yp_client_login_sync (client, username, password, NULL, &error))
    {
      g_printerr ("login: %s\n", error->message);
      return 1;
    }
  if (chunk_size > 0)
    yp_client_set_chunk_size (client, chunk_size);
  start = g_get_monotonic_time ();
  if (!yp_client_upload_sync (client, transfer, &error))
    {
      g_printerr ("upload: %s\n", error->message);
      return 1;
    }
  if (yp_transfer_get_instant (transfer))
    {
      g_printerr ("upload: the server already had the content; use fresh data\n");
      return 1;
    }
  printf ("%.3f\n", (double) (g_get_monotonic_time () - start) / G_USEC_PER_SEC);
  return 0;
}

int
main (int    argc,
      char **argv)
{
  if (argc == 3 && strcmp (argv[1], "hash") == 0)
    return bench_hash (argv[2]);
  if ((argc == 7 || argc == 8) && strcmp (argv[1], "upload") == 0)
    return bench_upload (argv[2], argv[3], argv[4], argv[5], argv[6],
                         argc == 8 ? g_ascii_strtoull (argv[7], NULL, 10) : 0);
  g_printerr ("usage: %s hash FILE | upload URL USERNAME PASSWORD FILE REMOTE [CHUNK_BYTES]\n",
              argv[0]);
  return 2;
}
