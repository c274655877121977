/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "yunpan-sync"

#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>

#include "yp-sync-ignore.h"

/* The engine's own files: its staging and state files, should any be left
 * in the folder. No user rule brings these back. */
static const char engine_patterns[] =
  ".yunpan-*\n"
  "*.yunpan-part\n";

/* What editors, office suites, browsers and file managers leave behind for
 * a moment or for good; syncing them only makes conflicts. */
static const char temporary_patterns[] =
  "*.swp\n"
  "*.swx\n"
  "*~\n"
  "~$*\n"
  ".~lock.*#\n"
  ".#*\n"
  "4913\n"
  ".DS_Store\n"
  "Thumbs.db\n"
  "desktop.ini\n"
  "*.part\n"
  "*.crdownload\n"
  "*.tmp\n";

/* Most patterns are a name, or a name with one "*" ("*.swp", ".yunpan-*",
 * ".~lock.*#"): those are matched as a prefix and a suffix without the
 * matcher, which a scan of a large tree runs for every entry and rule. */
typedef enum
{
  RULE_GLOB,
  RULE_LITERAL,
  RULE_ONE_STAR,
} RuleKind;

typedef struct
{
  char     *glob;         /* without "!", the anchoring "/" and the trailing "/" */
  RuleKind  kind;
  guint16   prefix_len;   /* RULE_ONE_STAR: the text before and after the "*" */
  guint16   suffix_len;
  guint     negated : 1;
  guint     folder_only : 1;
  guint     whole_path : 1;  /* matched against the whole path, else the name */
} Rule;

struct _YpSyncIgnore
{
  GArray *engine;  /* Rule */
  GArray *rules;   /* Rule: temporaries, then the user's */
};

G_DEFINE_BOXED_TYPE (YpSyncIgnore, yp_sync_ignore, yp_sync_ignore_ref, yp_sync_ignore_unref)

static void
rule_clear (gpointer data)
{
  Rule *rule = data;

  g_free (rule->glob);
}

/* ---------------------------------------------------------------- matching */

/* Matches the bracket expression at P (P[0] == '[') against C. Returns the
 * length of the expression, or 0 when it is not closed (then "[" is an
 * ordinary character, as in fnmatch). */
static gsize
match_class (const char *p,
             char        c,
             gboolean   *matched)
{
  const char *q = p + 1;
  gboolean negated = FALSE;
  gboolean found = FALSE;

  if (*q == '!' || *q == '^')
    {
      negated = TRUE;
      q++;
    }
  /* a "]" first is a member, not the end */
  if (*q == ']')
    {
      found = c == ']';
      q++;
    }
  while (*q != ']')
    {
      guchar lo, hi;

      if (*q == '\0')
        return 0;
      if (*q == '\\' && q[1] != '\0')
        q++;
      lo = hi = (guchar) *q++;
      if (q[0] == '-' && q[1] != ']' && q[1] != '\0')
        {
          q++;
          if (*q == '\\' && q[1] != '\0')
            q++;
          hi = (guchar) *q++;
        }
      if (lo <= (guchar) c && (guchar) c <= hi)
        found = TRUE;
    }
  *matched = c != '\0' && c != '/' && found != negated;
  return (gsize) (q + 1 - p);
}

static gboolean glob_match (const char *start,
                            const char *p,
                            const char *t);

/* "**" as a whole component; REST follows it: "" or "/...". */
static gboolean
match_globstar (const char *start,
                const char *rest,
                const char *t)
{
  if (*rest == '\0')
    return TRUE;
  rest++;
  /* zero folders, then after each "/" of the text */
  for (;;)
    {
      if (glob_match (start, rest, t))
        return TRUE;
      t = strchr (t, '/');
      if (t == NULL)
        return FALSE;
      t++;
    }
}

/* Whether text T matches pattern P, where "*" and "?" do not match "/".
 * START is where the pattern begins, to tell whether a "**" is a whole
 * component. */
static gboolean
glob_match (const char *start,
            const char *p,
            const char *t)
{
  while (*p != '\0')
    {
      gboolean matched;
      gsize len;

      switch (*p)
        {
        case '?':
          if (*t == '\0' || *t == '/')
            return FALSE;
          p++;
          t++;
          continue;

        case '*':
          if (p[1] == '*' && (p == start || p[-1] == '/') && (p[2] == '\0' || p[2] == '/'))
            return match_globstar (start, p + 2, t);
          while (*p == '*')
            p++;
          for (;;)
            {
              if (glob_match (start, p, t))
                return TRUE;
              if (*t == '\0' || *t == '/')
                return FALSE;
              t++;
            }

        case '[':
          len = match_class (p, *t, &matched);
          if (len == 0)
            break;
          if (!matched)
            return FALSE;
          p += len;
          t++;
          continue;

        case '\\':
          if (p[1] != '\0')
            p++;
          break;

        default:
          break;
        }
      if (*p != *t)
        return FALSE;
      p++;
      t++;
    }
  return *t == '\0';
}

static gboolean
rule_matches (const Rule *rule,
              const char *path,
              gsize       path_len,
              const char *name,
              gsize       name_len,
              gboolean    is_folder)
{
  const char *text = rule->whole_path ? path : name;
  gsize len = rule->whole_path ? path_len : name_len;

  if (rule->folder_only && !is_folder)
    return FALSE;
  switch (rule->kind)
    {
    case RULE_LITERAL:
      return strcmp (rule->glob, text) == 0;

    case RULE_ONE_STAR:
      return len >= (gsize) rule->prefix_len + rule->suffix_len
             && memcmp (text, rule->glob, rule->prefix_len) == 0
             && memcmp (text + len - rule->suffix_len, rule->glob + rule->prefix_len + 1,
                        rule->suffix_len) == 0
             && memchr (text + rule->prefix_len, '/',
                        len - rule->prefix_len - rule->suffix_len) == NULL;

    case RULE_GLOB:
    default:
      return glob_match (rule->glob, rule->glob, text);
    }
}

/* ---------------------------------------------------------------- parsing */

static gboolean
escaped_at (const char *line,
            gsize       i)
{
  gsize backslashes = 0;

  while (i > backslashes && line[i - backslashes - 1] == '\\')
    backslashes++;
  return backslashes % 2 == 1;
}

/* Parses one line of an ignore file into RULE; FALSE for a comment, a
 * blank line or a pattern that can match nothing. */
static gboolean
parse_rule (const char *line,
            Rule       *rule)
{
  g_autofree char *text = g_strdup (line);
  gsize len = strlen (text);
  char *glob = text;

  *rule = (Rule) { NULL, };
  if (len > 0 && text[len - 1] == '\r')
    text[--len] = '\0';
  /* trailing spaces are dropped unless escaped, as in git */
  while (len > 0 && text[len - 1] == ' ' && !escaped_at (text, len - 1))
    text[--len] = '\0';
  if (len == 0 || text[0] == '#')
    return FALSE;
  if (glob[0] == '!')
    {
      rule->negated = TRUE;
      glob++;
    }
  len = strlen (glob);
  if (len > 0 && glob[len - 1] == '/')
    {
      rule->folder_only = TRUE;
      glob[--len] = '\0';
    }
  rule->whole_path = strchr (glob, '/') != NULL;
  if (glob[0] == '/')
    glob++;
  if (glob[0] == '\0')
    return FALSE;
  rule->glob = g_strdup (glob);
  len = strlen (glob);
  if (strpbrk (glob, "*?[\\") == NULL)
    rule->kind = RULE_LITERAL;
  else if (strpbrk (glob, "?[\\") == NULL && strchr (glob, '*') == strrchr (glob, '*')
           && len < G_MAXUINT16)
    {
      rule->kind = RULE_ONE_STAR;
      rule->prefix_len = (guint16) (strchr (glob, '*') - glob);
      rule->suffix_len = (guint16) (len - rule->prefix_len - 1);
    }
  return TRUE;
}

static void
add_patterns (GArray     *rules,
              const char *text)
{
  g_auto(GStrv) lines = g_strsplit (text, "\n", -1);

  for (guint i = 0; lines[i] != NULL; i++)
    {
      Rule rule;

      if (parse_rule (lines[i], &rule))
        g_array_append_val (rules, rule);
    }
}

/* ---------------------------------------------------------------- public */

static GArray *
rules_new (void)
{
  GArray *rules = g_array_new (FALSE, FALSE, sizeof (Rule));

  g_array_set_clear_func (rules, rule_clear);
  return rules;
}

YpSyncIgnore *
yp_sync_ignore_new (void)
{
  YpSyncIgnore *self = g_atomic_rc_box_new0 (YpSyncIgnore);

  self->engine = rules_new ();
  self->rules = rules_new ();
  add_patterns (self->engine, engine_patterns);
  add_patterns (self->rules, temporary_patterns);
  return self;
}

YpSyncIgnore *
yp_sync_ignore_new_from_file (const char  *path,
                              GError     **error)
{
  g_autoptr(YpSyncIgnore) self = yp_sync_ignore_new ();
  g_autoptr(GError) local_error = NULL;
  g_autofree char *text = NULL;

  g_return_val_if_fail (path != NULL, NULL);

  if (!g_file_get_contents (path, &text, NULL, &local_error))
    {
      if (g_error_matches (local_error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        return g_steal_pointer (&self);
      g_propagate_prefixed_error (error, g_steal_pointer (&local_error),
                                  _("Cannot read the ignore file: "));
      return NULL;
    }
  add_patterns (self->rules, text);
  return g_steal_pointer (&self);
}

YpSyncIgnore *
yp_sync_ignore_ref (YpSyncIgnore *self)
{
  return g_atomic_rc_box_acquire (self);
}

static void
ignore_clear (YpSyncIgnore *self)
{
  g_array_unref (self->rules);
  g_array_unref (self->engine);
}

void
yp_sync_ignore_unref (YpSyncIgnore *self)
{
  g_atomic_rc_box_release_full (self, (GDestroyNotify) ignore_clear);
}

void
yp_sync_ignore_add_patterns (YpSyncIgnore *self,
                             const char   *text)
{
  g_return_if_fail (self != NULL);
  g_return_if_fail (text != NULL);

  add_patterns (self->rules, text);
}

gboolean
yp_sync_ignore_matches_entry (YpSyncIgnore *self,
                              const char   *path,
                              gboolean      is_folder)
{
  const char *slash = strrchr (path, '/');
  const char *name = slash != NULL ? slash + 1 : path;
  gsize path_len = strlen (path);
  gsize name_len = path_len - (gsize) (name - path);

  for (guint i = 0; i < self->engine->len; i++)
    if (rule_matches (&g_array_index (self->engine, Rule, i), path, path_len, name, name_len,
                      is_folder))
      return TRUE;
  /* the last rule that matches decides */
  for (guint i = self->rules->len; i > 0; i--)
    {
      const Rule *rule = &g_array_index (self->rules, Rule, i - 1);

      if (rule_matches (rule, path, path_len, name, name_len, is_folder))
        return !rule->negated;
    }
  return FALSE;
}

gboolean
yp_sync_ignore_matches (YpSyncIgnore *self,
                        const char   *path,
                        gboolean      is_folder)
{
  g_autofree char *prefix = NULL;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (path != NULL, FALSE);

  prefix = g_strdup (path);
  for (char *slash = strchr (prefix, '/'); slash != NULL; slash = strchr (slash + 1, '/'))
    {
      gboolean ignored;

      *slash = '\0';
      ignored = yp_sync_ignore_matches_entry (self, prefix, TRUE);
      *slash = '/';
      if (ignored)
        return TRUE;
    }
  return yp_sync_ignore_matches_entry (self, path, is_folder);
}
