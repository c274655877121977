/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "yunpan-cli"

#include "config.h"

#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <glib/gi18n.h>

#include "yp-cli-progress.h"

/*
 * A one-line progress bar for a transfer on a terminal:
 *
 *   cat.jpg  [=========>         ]  45%  12.0 MiB/26.6 MiB  3.1 MiB/s  ETA 0:05
 *
 * redrawn from the transfer's notify::bytes-done, ::total-bytes, ::rate and
 * ::state, which YpTransfer emits in the main context at most ten times a
 * second. Only put/get create one, and only when stderr is a terminal.
 */

#define REDRAW_INTERVAL_US (G_USEC_PER_SEC / 10)
#define MIN_BAR_WIDTH      10

struct _YpCliProgress
{
  YpTransfer *transfer;
  int         fd;
  char       *label;
  gint64      last_draw;
  gboolean    drawn;
  gulong      notify_ids[4];
};

static int
terminal_width (int fd)
{
  struct winsize size;

  if (ioctl (fd, TIOCGWINSZ, &size) == 0 && size.ws_col > 0)
    return size.ws_col;
  return 80;
}

/* Columns TEXT takes on a terminal: CJK characters take two. */
static int
text_width (const char *text)
{
  int width = 0;

  for (const char *p = text; *p; p = g_utf8_next_char (p))
    width += g_unichar_iswide (g_utf8_get_char (p)) ? 2 : 1;
  return width;
}

/* TEXT cut to at most MAX columns, with "…" when cut. */
static char *
truncate_text (const char *text,
               int         max)
{
  g_autoptr(GString) out = g_string_new (NULL);
  int width = 0;

  if (text_width (text) <= max)
    return g_strdup (text);
  for (const char *p = text; *p; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);
      int w = g_unichar_iswide (c) ? 2 : 1;

      if (width + w > max - 1)
        break;
      g_string_append_unichar (out, c);
      width += w;
    }
  g_string_append (out, "…");
  return g_string_free (g_steal_pointer (&out), FALSE);
}

static char *
format_eta (guint64 seconds)
{
  if (seconds >= 100 * 3600)
    return g_strdup ("--:--");
  if (seconds >= 3600)
    return g_strdup_printf ("%u:%02u:%02u", (guint) (seconds / 3600),
                            (guint) (seconds / 60 % 60), (guint) (seconds % 60));
  return g_strdup_printf ("%u:%02u", (guint) (seconds / 60), (guint) (seconds % 60));
}

static void
write_all (int         fd,
           const char *data,
           gsize       len)
{
  while (len > 0)
    {
      gssize n = write (fd, data, len);

      if (n <= 0)
        return;
      data += n;
      len -= (gsize) n;
    }
}

static void
clear_line (YpCliProgress *self)
{
  static const char clear[] = "\r\033[K";

  if (self->drawn)
    write_all (self->fd, clear, sizeof clear - 1);
  self->drawn = FALSE;
}

static void
draw (YpCliProgress *self)
{
  YpTransferState state = yp_transfer_get_state (self->transfer);
  guint64 done = yp_transfer_get_bytes_done (self->transfer);
  guint64 total = yp_transfer_get_total_bytes (self->transfer);
  guint64 rate = yp_transfer_get_rate (self->transfer);
  g_autoptr(GString) line = g_string_new ("\r");
  g_autofree char *tail = NULL;
  g_autofree char *label = NULL;
  int columns = terminal_width (self->fd) - 1;
  int percent = total > 0 ? (int) (MIN (done, total) * 100 / total) : 0;
  int bar_width;

  if (state >= YP_TRANSFER_DONE)
    {
      clear_line (self);
      return;
    }

  if (state == YP_TRANSFER_QUEUED)
    tail = g_strdup (_("waiting"));
  else if (state == YP_TRANSFER_HASHING)
    /* hashing reports no progress of its own: say what happens, not 0 % */
    tail = g_strdup (_("computing the SHA-256…"));
  else
    {
      g_autofree char *done_text = g_format_size_full (done, G_FORMAT_SIZE_IEC_UNITS);
      g_autofree char *total_text = g_format_size_full (total, G_FORMAT_SIZE_IEC_UNITS);
      g_autofree char *rate_text = g_format_size_full (rate, G_FORMAT_SIZE_IEC_UNITS);
      g_autofree char *eta = rate > 0 && total > done ? format_eta ((total - done) / rate)
                                                       : g_strdup ("--:--");

      tail = g_strdup_printf (_("%3d%%  %s/%s  %s/s  ETA %s"), percent, done_text, total_text,
                              rate_text, eta);
    }

  /* the numbers first, then the name (at most a quarter of the line), then
   * the bar gets what is left, or is left out on a narrow terminal */
  label = truncate_text (self->label, CLAMP (columns / 4, 8, 40));
  bar_width = columns - text_width (label) - text_width (tail) - 6;
  g_string_append (line, label);
  g_string_append (line, "  ");
  if (state == YP_TRANSFER_RUNNING && bar_width >= MIN_BAR_WIDTH)
    {
      int filled = bar_width * percent / 100;

      g_string_append_c (line, '[');
      for (int i = 0; i < bar_width; i++)
        g_string_append_c (line, i < filled ? '=' : i == filled ? '>' : ' ');
      g_string_append (line, "]  ");
    }
  g_string_append (line, tail);
  g_string_append (line, "\033[K");

  write_all (self->fd, line->str, line->len);
  self->drawn = TRUE;
  self->last_draw = g_get_monotonic_time ();
}

static void
transfer_notify_cb (YpTransfer    *transfer,
                    GParamSpec    *pspec,
                    YpCliProgress *self)
{
  /* one notification brings several properties at once: draw once */
  if (g_str_equal (pspec->name, "state")
      || g_get_monotonic_time () - self->last_draw >= REDRAW_INTERVAL_US)
    draw (self);
}

/**
 * yp_cli_progress_new:
 * @transfer: the transfer to follow
 * @fd: a terminal to draw on (stderr)
 *
 * Returns: (transfer full): the bar; freeing it erases it
 */
YpCliProgress *
yp_cli_progress_new (YpTransfer *transfer,
                     int         fd)
{
  static const char *const properties[] = { "bytes-done", "total-bytes", "rate", "state" };
  YpCliProgress *self = g_new0 (YpCliProgress, 1);
  const char *path = yp_transfer_get_direction (transfer) == YP_TRANSFER_UPLOAD
    ? yp_transfer_get_local_path (transfer) : yp_transfer_get_remote_path (transfer);

  self->transfer = g_object_ref (transfer);
  self->fd = fd;
  self->label = g_path_get_basename (path);
  for (guint i = 0; i < G_N_ELEMENTS (properties); i++)
    {
      g_autofree char *signal = g_strconcat ("notify::", properties[i], NULL);

      self->notify_ids[i] = g_signal_connect (transfer, signal,
                                              G_CALLBACK (transfer_notify_cb), self);
    }
  draw (self);
  return self;
}

void
yp_cli_progress_free (YpCliProgress *self)
{
  for (guint i = 0; i < G_N_ELEMENTS (self->notify_ids); i++)
    g_clear_signal_handler (&self->notify_ids[i], self->transfer);
  clear_line (self);
  g_clear_object (&self->transfer);
  g_free (self->label);
  g_free (self);
}
