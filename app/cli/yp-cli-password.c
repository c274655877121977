/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "yunpan-cli"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <glib/gi18n.h>
#include <glib/gstdio.h>

#include "yp-cli.h"

/*
 * Passwords: from the terminal without echo, or from the first line of
 * standard input (--password-stdin). Never from an argument, where other
 * users could read it in the process list. Buffers that held a password are
 * wiped before they are freed.
 */

#define MAX_PASSWORD 1024   /* the protocol's limit, in bytes */

void
yp_cli_secret_free (YpCliSecret *secret)
{
  if (secret == NULL)
    return;
  explicit_bzero (secret, strlen (secret));
  g_free (secret);
}

/* Strips the line end; FALSE when the line was longer than MAX_PASSWORD. */
static gboolean
chomp (char  *line,
       gsize  len)
{
  if (len > 0 && line[len - 1] == '\n')
    line[--len] = '\0';
  else if (len >= MAX_PASSWORD + 1)
    return FALSE;
  if (len > 0 && line[len - 1] == '\r')
    line[--len] = '\0';
  return TRUE;
}

static YpCliSecret *
read_password_stdin (GError **error)
{
  char line[MAX_PASSWORD + 2];
  YpCliSecret *secret;
  gsize len = 0;
  char c;

  /* byte by byte with read(): nothing after the first line is consumed, and
   * no copy of the password is left in a stdio buffer */
  while (len < sizeof line - 1)
    {
      gssize n = read (STDIN_FILENO, &c, 1);

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        break;
      line[len++] = c;
      if (c == '\n')
        break;
    }
  line[len] = '\0';

  if (!chomp (line, len))
    {
      explicit_bzero (line, sizeof line);
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   _("The password on standard input is longer than %d bytes"), MAX_PASSWORD);
      return NULL;
    }
  if (line[0] == '\0')
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   _("--password-stdin: no password on the first line of standard input"));
      return NULL;
    }
  secret = g_strdup (line);
  explicit_bzero (line, sizeof line);
  return secret;
}

/* ------------------------------------------------------------------------
 * The terminal, with echo off while the password is typed
 * ------------------------------------------------------------------------ */

/* what a signal handler needs to give the terminal its echo back */
static int tty_fd = -1;
static struct termios tty_saved;
static volatile sig_atomic_t tty_modified;

static void
restore_tty (void)
{
  if (tty_modified)
    {
      tcsetattr (tty_fd, TCSAFLUSH, &tty_saved);
      tty_modified = 0;
    }
}

/* Ctrl-C at the prompt must not leave the terminal without echo. */
static void
restore_tty_and_die (int signum)
{
  restore_tty ();
  if (tty_fd >= 0)
    (void) !write (tty_fd, "\n", 1);
  signal (signum, SIG_DFL);
  raise (signum);
}

static YpCliSecret *
prompt_once (FILE        *tty,
             const char  *prompt,
             GError     **error)
{
  static const int signals[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT };
  struct sigaction action = { 0 }, saved_actions[G_N_ELEMENTS (signals)];
  struct termios quiet;
  char line[MAX_PASSWORD + 2];
  YpCliSecret *secret = NULL;
  gboolean got_line;

  if (tcgetattr (tty_fd, &tty_saved) != 0)
    {
      int saved_errno = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                   _("Cannot set up the terminal: %s"), g_strerror (saved_errno));
      return NULL;
    }

  action.sa_handler = restore_tty_and_die;
  sigemptyset (&action.sa_mask);
  for (guint i = 0; i < G_N_ELEMENTS (signals); i++)
    sigaction (signals[i], &action, &saved_actions[i]);

  quiet = tty_saved;
  quiet.c_lflag &= ~(tcflag_t) ECHO;
  quiet.c_lflag |= ECHONL;
  tty_modified = 1;
  tcsetattr (tty_fd, TCSAFLUSH, &quiet);

  fputs (prompt, tty);
  fflush (tty);
  got_line = fgets (line, sizeof line, tty) != NULL;

  restore_tty ();
  for (guint i = 0; i < G_N_ELEMENTS (signals); i++)
    sigaction (signals[i], &saved_actions[i], NULL);

  if (!got_line)
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, _("No password given"));
  else if (!chomp (line, strlen (line)))
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                 _("The password is longer than %d bytes"), MAX_PASSWORD);
  else
    secret = g_strdup (line);
  explicit_bzero (line, sizeof line);
  return secret;
}

static YpCliSecret *
read_password_tty (const char  *prompt,
                   gboolean     confirm,
                   GError     **error)
{
  g_autoptr(YpCliSecret) first = NULL;
  g_autoptr(YpCliSecret) again = NULL;
  FILE *tty;

  /* the controlling terminal, like ssh and sudo: stdin may be a pipe of data */
  tty_fd = g_open ("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC, 0);
  if (tty_fd < 0 || (tty = fdopen (tty_fd, "r+")) == NULL)
    {
      if (tty_fd >= 0)
        close (tty_fd);
      tty_fd = -1;
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
                   _("No terminal to ask for the password on; "
                     "give it on standard input with --password-stdin"));
      return NULL;
    }
  /* unbuffered, so no copy of the password stays in stdio's buffer */
  setvbuf (tty, NULL, _IONBF, 0);

  first = prompt_once (tty, prompt, error);
  if (first != NULL && confirm)
    {
      again = prompt_once (tty, _("Repeat the password: "), error);
      if (again != NULL && strcmp (first, again) != 0)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, _("The passwords differ"));
          g_clear_pointer (&first, yp_cli_secret_free);
        }
      else if (again == NULL)
        g_clear_pointer (&first, yp_cli_secret_free);
    }

  fclose (tty);
  tty_fd = -1;
  return g_steal_pointer (&first);
}

/**
 * yp_cli_read_password:
 * @prompt: what to ask on the terminal
 * @from_stdin: read the first line of standard input instead
 * @confirm: on the terminal, ask twice (for a new password)
 *
 * Returns: (transfer full) (nullable): the password; free with
 *   yp_cli_secret_free(), which wipes it
 */
YpCliSecret *
yp_cli_read_password (const char  *prompt,
                      gboolean     from_stdin,
                      gboolean     confirm,
                      GError     **error)
{
  if (from_stdin)
    return read_password_stdin (error);
  return read_password_tty (prompt, confirm, error);
}
