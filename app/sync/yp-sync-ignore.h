/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

/*
 * Which paths of a pair are not synced, on either side: the same rules are
 * applied to local and to remote paths, so that what one side does not
 * sync is never read as deleted on the other.
 *
 * Three sets of rules, in this order:
 *
 *  - the engine's own files (anything named `.yunpan-*` or `*.yunpan-part`):
 *    always ignored, no user rule can bring them back;
 *  - common temporaries (`*.swp`, `~$*`, `.~lock.*#`, `.DS_Store`, `*.part`,
 *    vim's `4913`, ...): ignored unless a user rule says `!pattern`;
 *  - the pair's ignore file, one pattern a line as in gitignore: `#`
 *    comments and blank lines, `!` to bring a path back, a trailing `/`
 *    for folders only, a `/` at the start or in the middle anchors the
 *    pattern at the pair's root (else it matches a name at any depth),
 *    `*` and `?` (not across `/`), `[abc]`, `[a-z]`, `[!a]`, and `**` as a
 *    whole component, which crosses folders: first, any folder; last,
 *    everything inside; in the middle, zero or more folders. `\` escapes
 *    the next character.
 *
 * Among the last two sets the last matching rule wins. As in git, nothing
 * inside an ignored folder can be brought back.
 *
 * Paths are pair paths (YpSyncItem): "a/b/c", no leading or trailing "/".
 * Reference-counted; not changed once shared, so any thread may match.
 */
typedef struct _YpSyncIgnore YpSyncIgnore;

#define YP_TYPE_SYNC_IGNORE (yp_sync_ignore_get_type ())

GType         yp_sync_ignore_get_type       (void) G_GNUC_CONST;
/* Only the built-in rules. */
YpSyncIgnore *yp_sync_ignore_new            (void);
/* The built-in rules and those of the ignore file at PATH; a missing file
 * holds no rules. */
YpSyncIgnore *yp_sync_ignore_new_from_file  (const char    *path,
                                             GError       **error);
YpSyncIgnore *yp_sync_ignore_ref            (YpSyncIgnore  *self);
void          yp_sync_ignore_unref          (YpSyncIgnore  *self);
/* Appends the patterns of TEXT (the contents of an ignore file) after the
 * rules SELF has. Only before SELF is shared. */
void          yp_sync_ignore_add_patterns   (YpSyncIgnore  *self,
                                             const char    *text);
/* Whether PATH (a folder when IS_FOLDER) is not synced: it, or a folder
 * it is in, matches. */
gboolean      yp_sync_ignore_matches        (YpSyncIgnore  *self,
                                             const char    *path,
                                             gboolean       is_folder);
/* The same for a walk that does not enter ignored folders: the folders
 * PATH is in are known not to be ignored, and are not matched again. */
gboolean      yp_sync_ignore_matches_entry  (YpSyncIgnore  *self,
                                             const char    *path,
                                             gboolean       is_folder);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (YpSyncIgnore, yp_sync_ignore_unref)

G_END_DECLS
