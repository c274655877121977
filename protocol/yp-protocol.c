/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <string.h>

#include "yp-protocol.h"

static const struct {
    int         http;
    const char *code;
    const char *message;
} yp_statuses[] = {
#define YP_ERROR_ROW(e, status, code, msg) { status, code, msg },
    YP_ERRORS(YP_ERROR_ROW)
#undef YP_ERROR_ROW
};

int
yp_status_http(yp_status_t status)
{
    return status < YP_STATUS_COUNT ? yp_statuses[status].http : 500;
}

const char *
yp_status_code(yp_status_t status)
{
    return status < YP_STATUS_COUNT ? yp_statuses[status].code : "internal";
}

const char *
yp_status_message(yp_status_t status)
{
    return status < YP_STATUS_COUNT ? yp_statuses[status].message : "The server failed";
}

yp_status_t
yp_status_from_code(const char *code)
{
    for (int i = 0; i < YP_STATUS_COUNT; i++) {
        if (strcmp(yp_statuses[i].code, code) == 0) {
            return (yp_status_t) i;
        }
    }
    return YP_STATUS_COUNT;
}
