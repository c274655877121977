/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * yps-router.h: maps method + path to a handler, authenticates, parses the
 * query and JSON body, and writes the reply.
 */
#ifndef YPS_ROUTER_H
#define YPS_ROUTER_H

#include "yps-request.h"

void yps_dispatch(yps_server_t *srv, FCGX_Request *fcgi);

#endif
