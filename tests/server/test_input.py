"""Malformed input: every bad request is a 4xx JSON error, never a 5xx.

After each test the instance must still be healthy (checked by the base
class), so a request that crashes a worker fails the test that sent it.
"""

import json
import socket

from yunpan_instance import ServerTestCase, main, sha256_hex

JSON_ENDPOINTS = ["account/register", "account/login", "files/mkdir", "files/move",
                  "files/delete", "uploads"]


class InputTestCase(ServerTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.token, cls.user = cls.server.new_user("input")
        cls.server.mkdir(cls.token, "/Box")
        cls.file = cls.server.upload_file(cls.token, "/Box/f.txt", b"file")

    def post_raw(self, endpoint, raw, content_type="application/json"):
        return self.server.post(endpoint, raw, self.token,
                                headers={"Content-Type": content_type})


class MalformedJsonTest(InputTestCase):

    def test_not_json(self):
        for raw in (b"{", b"", b"not json", b'{"path": "/x",}',
                    b'{"path": "/x"} trailing', b"\x00\x01\x02", b'{"a":' * 1000,
                    b"[" * 60000, b'{"path":"/x"}\x00',
                    b'{"path":"/x" "name":"y"}', b"nan", b'{"path":NaN}',
                    b'{"path":"/x"}\x00garbage'):
            for endpoint in JSON_ENDPOINTS:
                with self.subTest(raw=raw[:20], endpoint=endpoint):
                    self.assert_error(self.post_raw(endpoint, raw), 400,
                                      {"invalid_json", "bad_request"})

    def test_single_quotes_are_tolerated_not_crashed(self):
        """json-glib accepts single-quoted strings; the protocol doc says so.

        Whatever it makes of them, the answer is a JSON reply below 500."""
        for endpoint in JSON_ENDPOINTS:
            with self.subTest(endpoint=endpoint):
                resp = self.post_raw(endpoint, b"{'bogus': 1}")
                self.assertLess(resp.status, 500, repr(resp))
                self.assertEqual(resp.headers.get("Content-Type", "").split(";")[0],
                                 "application/json")

    def test_json_non_object(self):
        for raw in (b"[]", b'["/x"]', b'"/x"', b"42", b"null", b"true", b"1.5"):
            for endpoint in JSON_ENDPOINTS:
                with self.subTest(raw=raw, endpoint=endpoint):
                    self.assert_error(self.post_raw(endpoint, raw), 400, "invalid_json")

    def test_deep_nesting_does_not_crash(self):
        raw = b'{"path":"/x","n":' + b"[" * 50000 + b"]" * 50000 + b"}"
        resp = self.post_raw("files/mkdir", raw)
        self.assert_4xx_json(resp)

    def test_duplicate_keys(self):
        resp = self.post_raw("files/mkdir", b'{"path":"/Dup1","path":"/Dup2"}')
        if resp.status != 201:
            self.assert_4xx_json(resp)

    def test_other_content_types(self):
        body = json.dumps({"path": "/CtypeX"}).encode()
        for ctype in ("text/plain", "application/x-www-form-urlencoded",
                      "multipart/form-data; boundary=x"):
            with self.subTest(ctype=ctype):
                resp = self.post_raw("files/mkdir", body, ctype)
                if resp.status == 201:
                    self.server.delete(self.token, {"path": "/CtypeX"})
                else:
                    self.assert_4xx_json(resp)

    def test_form_encoded_body(self):
        resp = self.post_raw("files/mkdir", b"path=%2FFormX",
                             "application/x-www-form-urlencoded")
        self.assert_4xx_json(resp)


class BrokenUnicodeTest(InputTestCase):
    """Escapes that json-glib decodes into bytes that are not UTF-8 (a lone
    surrogate): found by fuzzing the dispatcher."""

    def test_error_replies_stay_utf8(self):
        resp = self.post_raw("files/mkdir", b'{"path":"/a\\ud800b"x}')
        self.assert_error(resp, 400, "invalid_json")
        resp.raw.decode("utf-8")    # strict: raises on a broken message
        json.loads(resp.raw.decode("utf-8"))

    def test_strings_must_be_utf8(self):
        """Before: a password with a lone surrogate was hashed as raw bytes."""
        resp = self.server.post("account/register",
                                b'{"username":"surrogate1","password":"abc\\ud800defgh12"}')
        self.assert_error(resp, 400, "invalid_argument")
        resp = self.server.post("files/move",
                                b'{"path":"/Box/f.txt","to_name":"a\\udc00b"}', self.token)
        self.assert_error(resp, 400, "invalid_argument")
        self.assertEqual(self.server.stat(self.token, path="/Box/f.txt").status, 200)


class WrongTypesTest(InputTestCase):

    def test_mkdir_field_types(self):
        for body in ({"path": True}, {"path": 5}, {"path": None}, {"path": ["/x"]},
                     {"path": {"a": 1}}, {"parent_id": "1", "name": "x"},
                     {"parent_id": 1.5, "name": "x"}, {"parent_id": True, "name": "x"},
                     {"parent_id": None, "name": "x"}, {"name": "x"},
                     {"parent_id": self.file["parent_id"], "name": 7},
                     {"path": "/TypeX", "parents": "yes"}, {"path": "/TypeY", "parents": 1},
                     {}, {"unknown": "/x"}):
            with self.subTest(body=body):
                self.assert_error(self.server.post("files/mkdir", body, self.token), 400,
                                  {"invalid_argument", "bad_request", "invalid_path"})

    def test_both_id_and_path(self):
        resp = self.server.move(self.token, {"id": self.file["id"], "path": "/Box/f.txt",
                                             "to_name": "g.txt"})
        self.assert_error(resp, 400, {"bad_request", "invalid_argument"})
        resp = self.server.get("files/stat", self.token,
                               {"id": self.file["id"], "path": "/Box/f.txt"})
        self.assert_error(resp, 400, {"bad_request", "invalid_argument"})

    def test_query_id_types(self):
        for raw in ("id=abc", "id=1.5", "id=1e3", "id=", "id=-1", "id=0x10",
                    "id=99999999999999999999999", "id=%00", "id=1%00", "id=%201",
                    "id=1%20"):
            with self.subTest(query=raw):
                resp = self.server.get("files/stat", self.token, raw)
                self.assert_error_one_of(resp, [(400, "invalid_argument"),
                                                (400, "bad_request"), (404, "not_found")])

    def test_move_types(self):
        for body in ({"id": "1", "to_name": "x"}, {"id": 1.5, "to_name": "x"},
                     {"id": self.file["id"], "to_name": 5},
                     {"id": self.file["id"], "to_parent_id": "2"},
                     {"id": self.file["id"], "to_path": False},
                     {"id": self.file["id"], "if_version": "1", "to_name": "y"},
                     {"id": self.file["id"], "if_version": 1.5, "to_name": "y"},
                     {"id": self.file["id"], "if_version": -1, "to_name": "y"},
                     {"id": self.file["id"], "to_path": "/Box/z.txt", "to_name": "q"},
                     {"to_name": "x"}):
            with self.subTest(body=body):
                self.assert_4xx_json(self.server.move(self.token, body))
        self.assertEqual(self.server.stat(self.token, id=self.file["id"]).body["node"]["path"],
                         "/Box/f.txt")

    def test_delete_types(self):
        for body in ({"id": "1"}, {"id": [1]}, {"path": 1}, {}, {"id": 2 ** 64},
                     {"id": -5}, {"id": self.file["id"], "if_version": "x"}):
            with self.subTest(body=body):
                self.assert_4xx_json(self.server.delete(self.token, body))
        self.assertEqual(self.server.stat(self.token, id=self.file["id"]).status, 200)

    def test_upload_start_types(self):
        good = {"path": "/Box/u.txt", "size": 4, "sha256": sha256_hex(b"data")}
        bad = [{"size": "4"}, {"size": 4.5}, {"size": -1}, {"size": None}, {"size": True},
               {"size": 2 ** 64}, {"size": 10 ** 30}, {"size": 1e400},
               {"sha256": "ABC"}, {"sha256": sha256_hex(b"data").upper()},
               {"sha256": "g" * 64}, {"sha256": 5}, {"sha256": sha256_hex(b"x")[:-1]},
               {"mtime": "now"}, {"mtime": 1.5}, {"if_version": "3"}, {"path": 5}]
        for change in bad:
            body = {**good, **change}
            with self.subTest(change=change):
                raw = json.dumps(body).replace("Infinity", "1e400").encode()
                resp = self.post_raw("uploads", raw)
                self.assert_error(resp, 400, {"invalid_argument", "bad_request",
                                              "invalid_json", "invalid_path"})
        for field in ("size", "sha256"):
            body = dict(good)
            del body[field]
            with self.subTest(missing=field):
                self.assert_error(self.server.post("uploads", body, self.token), 400,
                                  {"invalid_argument", "bad_request"})
        self.assertEqual(self.server.stat(self.token, path="/Box/u.txt").status, 404)

    def test_huge_numbers(self):
        for raw in (b'{"id": 1e309}', b'{"id": 18446744073709551617}',
                    b'{"id": -9223372036854775809}', b'{"id": 9007199254740993}',
                    b'{"id": 1' + b"0" * 400 + b"}", b'{"id": -0}', b'{"id": 1E2}'):
            with self.subTest(raw=raw[:40]):
                self.assert_4xx_json(self.post_raw("files/delete", raw))
        self.assertEqual(self.server.stat(self.token, id=self.file["id"]).status, 200)

    def test_negative_and_huge_paging(self):
        for query in ({"offset": -1}, {"limit": -5}, {"offset": 2 ** 63},
                      {"offset": 2 ** 64 + 1}, {"limit": 2 ** 63}, {"since": -1}):
            with self.subTest(query=query):
                endpoint = "changes" if "since" in query else "files/list"
                resp = self.server.get(endpoint, self.token, query)
                if resp.status != 200:
                    self.assert_error(resp, 400, "invalid_argument")
                else:
                    self.assertEqual(resp.body.get("entries", []), [])

    def test_upload_put_offsets(self):
        data = b"abcdefgh"
        resp = self.server.start_upload(self.token, "/Box/offsets.bin", data)
        upload_id = resp.body["upload"]["id"]
        path = f"/api/v1/uploads/{upload_id}"
        for raw in ("offset=-1", "offset=abc", "offset=", "", "offset=1.5",
                    "offset=18446744073709551616", "offset=99999999999999999999"):
            with self.subTest(query=raw):
                resp = self.server.request("PUT", path, body=data[:2], token=self.token,
                                           query=raw)
                self.assert_error_one_of(resp, [(400, "invalid_argument"),
                                                (400, "bad_request"),
                                                (409, "offset_mismatch")])
        resp = self.server.request("GET", path, token=self.token)
        self.assertEqual(resp.body["upload"]["offset"], 0)
        self.server.request("DELETE", path, token=self.token)

    def test_bad_upload_ids(self):
        for upload_id in ("nonexistent", "0" * 64, "..", "%2e%2e", "..%2f..%2fyunpan.db",
                          "a" * 300, "%00", "1;DROP%20TABLE%20uploads", "%FF"):
            with self.subTest(upload_id=upload_id):
                path = f"/api/v1/uploads/{upload_id}"
                for method, body in (("GET", None), ("PUT", b"xx"), ("DELETE", None)):
                    resp = self.server.request(method, path, body=body, token=self.token,
                                               query={"offset": 0} if body else None)
                    self.assertLess(resp.status, 500, resp)
                    self.assertGreaterEqual(resp.status, 400, resp)
                resp = self.server.post(f"uploads/{upload_id}/proof", {"proof": "0" * 64},
                                        self.token)
                self.assertLess(resp.status, 500, resp)
                self.assertGreaterEqual(resp.status, 400, resp)

    def test_proof_body_types(self):
        data = b"proof-types"
        resp = self.server.start_upload(self.token, "/Box/proof.bin", data)
        upload_id = resp.body["upload"]["id"]
        for body in ({}, {"proof": 5}, {"proof": "zz"}, {"proof": None}, {"proof": ["a"]}):
            with self.subTest(body=body):
                resp = self.server.post(f"uploads/{upload_id}/proof", body, self.token)
                self.assert_4xx_json(resp)
        self.server.request("DELETE", f"/api/v1/uploads/{upload_id}", token=self.token)


class RoutingTest(InputTestCase):

    def test_unknown_endpoints(self):
        for path in ("/api/v1/nope", "/api/v1/files", "/api/v1/files/listx",
                     "/api/v1/files/list/extra", "/api/v1/",
                     "/api/v1/account", "/api/v1/uploads/x/y/z"):
            with self.subTest(path=path):
                resp = self.server.request("GET", path, token=self.token)
                self.assert_error(resp, 404, "not_found")

    def test_wrong_methods(self):
        cases = [("DELETE", "/api/v1/files/list"), ("POST", "/api/v1/files/list"),
                 ("GET", "/api/v1/files/mkdir"), ("PUT", "/api/v1/files/mkdir"),
                 ("GET", "/api/v1/account/login"), ("GET", "/api/v1/account/register"),
                 ("POST", "/api/v1/health"), ("GET", "/api/v1/uploads"),
                 ("PATCH", "/api/v1/files/move"), ("POST", "/api/v1/account/whoami"),
                 ("GET", "/api/v1/files/delete"), ("POST", "/api/v1/changes"),
                 ("POST", "/api/v1/files/download")]
        for method, path in cases:
            with self.subTest(method=method, path=path):
                body = {"path": "/x"} if method in ("POST", "PUT", "PATCH") else None
                resp = self.server.request(method, path, body=body, token=self.token)
                self.assert_error(resp, 405, "method_not_allowed")

    def test_head_and_options_are_not_5xx(self):
        for method in ("HEAD", "OPTIONS", "TRACE"):
            with self.subTest(method=method):
                resp = self.server.request(method, "/api/v1/files/list", token=self.token)
                self.assertLess(resp.status, 500, resp)


class BodySizeTest(InputTestCase):

    def test_json_body_over_64k(self):
        filler = "x" * (64 * 1024)
        for endpoint in JSON_ENDPOINTS:
            with self.subTest(endpoint=endpoint):
                raw = json.dumps({"path": "/Big", "pad": filler}).encode()
                self.assert_error(self.post_raw(endpoint, raw), 413, "too_large")

    def test_json_body_just_under_64k(self):
        raw = json.dumps({"path": "/Under64k"}).encode()
        raw = raw[:-1] + b', "pad": "' + b"y" * (64 * 1024 - len(raw) - 11) + b'"}'
        self.assertLessEqual(len(raw), 64 * 1024)
        resp = self.post_raw("files/mkdir", raw)
        if resp.status != 201:
            self.assert_error(resp, 400, {"invalid_argument", "bad_request"})

    def test_huge_body_without_reading_it(self):
        """A client announcing 1 GiB of JSON is refused early with JSON."""
        sock = socket.create_connection(("127.0.0.1", self.server.port), timeout=10)
        try:
            sock.sendall(b"POST /api/v1/files/mkdir HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                         b"Authorization: Bearer " + self.token.encode() + b"\r\n"
                         b"Content-Type: application/json\r\n"
                         b"Content-Length: 1073741824\r\nConnection: close\r\n\r\n"
                         b'{"path":"/x", "pad":"')
            reply = b""
            while b"\r\n\r\n" not in reply:
                chunk = sock.recv(65536)
                if not chunk:
                    break
                reply += chunk
        finally:
            sock.close()
        self.assertTrue(reply.startswith(b"HTTP/1.1 413"), reply[:200])
        self.assertIn(b"application/json", reply.split(b"\r\n\r\n")[0].lower())

    def test_long_query_and_header(self):
        resp = self.server.get("files/stat", self.token, {"path": "/" + "q" * 20000})
        self.assertLess(resp.status, 500, resp)
        self.assertGreaterEqual(resp.status, 400, resp)
        resp = self.server.request("GET", "/api/v1/health",
                                   headers={"X-Junk": "j" * 6000})
        self.assertLess(resp.status, 500, resp)


if __name__ == "__main__":
    main()
