/* yunpan-bench-fcgi-fixed: the smallest useful FastCGI responder.
 *
 * The baseline for the request-rate benchmark (bench/run.sh): it accepts
 * requests on the socket inherited from spawn-fcgi (fd 0) and answers every one
 * with the same small JSON object, shaped and sized like the answer of
 * `GET /api/v1/files/list?path=/` for an empty root folder. No parsing, no
 * database, no authentication: whatever Yunpan spends beyond this is the cost
 * of its own work.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include <fcgiapp.h>
#include <stdio.h>
#include <string.h>

static const char body[] =
  "{\"folder\":{\"id\":1,\"parent_id\":null,\"name\":\"\",\"path\":\"/\","
  "\"type\":\"folder\",\"size\":0,\"category\":\"folder\",\"mtime\":1732620000,"
  "\"created\":1732620000,\"modified\":1732620000,\"version\":1,\"downloads\":0},"
  "\"entries\":[],\"total\":0,\"offset\":0,\"limit\":200}";

int
main (void)
{
  FCGX_Request request;
  char head[256];
  size_t body_len = sizeof body - 1;
  int head_len;

  if (FCGX_Init () != 0)
    {
      fprintf (stderr, "yunpan-bench-fcgi-fixed: FCGX_Init failed\n");
      return 1;
    }
  if (FCGX_InitRequest (&request, 0, 0) != 0)
    {
      fprintf (stderr, "yunpan-bench-fcgi-fixed: FCGX_InitRequest failed\n");
      return 1;
    }

  /* FCGX_FPrintF has its own printf without %zu: format the head ourselves. */
  head_len = snprintf (head, sizeof head,
                       "Status: 200 OK\r\n"
                       "Content-Type: application/json\r\n"
                       "Content-Length: %zu\r\n"
                       "Cache-Control: no-store\r\n"
                       "\r\n",
                       body_len);
  if (head_len < 0 || (size_t) head_len >= sizeof head)
    return 1;

  while (FCGX_Accept_r (&request) >= 0)
    {
      FCGX_PutStr (head, head_len, request.out);
      FCGX_PutStr (body, (int) body_len, request.out);
      FCGX_Finish_r (&request);
    }

  return 0;
}
