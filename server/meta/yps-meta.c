/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * yps-meta.c: what every metadata backend shares: freeing the records the
 * operations fill.
 */
#include <string.h>

#include "yps-meta.h"

void
yps_node_clear(yps_node_t *node)
{
    g_clear_pointer(&node->name, g_free);
    g_clear_pointer(&node->path, g_free);
    g_clear_pointer(&node->sha256, g_free);
    g_clear_pointer(&node->category, g_free);
    memset(node, 0, sizeof(*node));
}

void
yps_node_free(yps_node_t *node)
{
    yps_node_clear(node);
    g_free(node);
}

void
yps_upload_clear(yps_upload_t *upload)
{
    g_clear_pointer(&upload->name, g_free);
    g_clear_pointer(&upload->challenge, g_free);
    memset(upload, 0, sizeof(*upload));
}

void
yps_change_free(yps_change_t *change)
{
    yps_node_clear(&change->node);
    g_free(change->old_path);
    g_free(change);
}

void
yps_idem_answer_clear(yps_idem_answer_t *answer)
{
    g_clear_pointer(&answer->body, g_free);
    answer->http = 0;
}
