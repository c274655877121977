/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * yps-batch-private.h: the batch endpoints (yps-batch.c), for the router.
 */
#ifndef YPS_BATCH_PRIVATE_H
#define YPS_BATCH_PRIVATE_H

#include "yps-handlers.h"

/* POST uploads/batch: many upload starts in one request. */
yp_status_t yps_handle_uploads_batch(yps_req_t *r);
/* POST files/batch: many small files, bytes included, committed at once. */
yp_status_t yps_handle_files_batch(yps_req_t *r);
/* nginx's auth_request before it reads a files/batch body, and the real
 * answer when it refused */
yp_status_t yps_handle_batch_auth(yps_req_t *r);
yp_status_t yps_handle_batch_refused(yps_req_t *r);

#endif
