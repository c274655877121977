"""A 1 GiB file: one streamed PUT, a hashed full download and Range requests.

Also the download headers (ETag, Accept-Ranges, Content-Disposition for a
UTF-8 name) and the download counter.
"""

import os
import urllib.parse

from yunpan_instance import (MIB, FileBody, ServerTestCase, main, read_range, sha256_hex,
                             write_pseudo_random_file)

GIB = 1024 * MIB
UTF8_NAME = "\u62a5\u544a 2024 \u00fc.txt"     # 报告 2024 ü.txt


class LargeFileTest(ServerTestCase):

    # one 1 GiB chunk, above the default chunk limit of 256m
    INSTANCE_ARGS = ("--max-chunk", "1g")

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.token, _ = cls.server.new_user("large")
        cls.path = os.path.join(cls.server.base, "large.bin")
        try:
            cls.digest = write_pseudo_random_file(cls.path, GIB, seed=7)
            cls.node = cls.upload_large()
        except BaseException:
            cls.remove_file()
            cls.tearDownClass()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.remove_file()
        super().tearDownClass()

    @classmethod
    def remove_file(cls):
        if os.path.exists(cls.path):
            os.unlink(cls.path)

    @classmethod
    def upload_large(cls):
        s = cls.server
        resp = s.start_upload(cls.token, "/" + UTF8_NAME, size=GIB, sha256=cls.digest)
        assert resp.status == 201, resp
        body = FileBody(cls.path, 0, GIB)
        try:
            resp = s.put_stream(cls.token, resp.body["upload"]["id"], 0, body, GIB)
        finally:
            body.close()
        assert resp.status == 201, f"1 GiB PUT failed: {resp!r}"
        return resp.body["file"]

    def test_node(self):
        self.assert_node(self.node, size=GIB, sha256=self.digest, name=UTF8_NAME,
                         category="document")
        self.assertIs(self.server.stat(self.token, id=self.node["id"]).status, 200)

    def test_full_download(self):
        before = self.server.stat(self.token, id=self.node["id"]).body["node"]["downloads"]
        resp, digest, count = self.server.download_digest(self.token, id=self.node["id"])
        self.assertEqual(resp.status, 200, resp)
        self.assertEqual(count, GIB)
        self.assertEqual(digest, self.digest)
        self.assertEqual(resp.headers["Content-Length"], str(GIB))
        self.assertEqual(resp.headers["ETag"], f'"{self.digest}"')
        self.assertEqual(resp.headers["Accept-Ranges"], "bytes")
        after = self.server.stat(self.token, id=self.node["id"]).body["node"]["downloads"]
        self.assertEqual(after, before + 1)

    def test_ranges(self):
        cases = [("bytes=0-99", 0, 100), ("bytes=0-0", 0, 1),
                 (f"bytes={GIB // 2 - 7}-{GIB // 2 + 4 * MIB}", GIB // 2 - 7, 4 * MIB + 8),
                 (f"bytes={GIB - 1000}-", GIB - 1000, 1000),
                 (f"bytes={GIB - 10}-{GIB + 50}", GIB - 10, 10),
                 ("bytes=-100", GIB - 100, 100), (f"bytes={MIB - 3}-{MIB + 2}", MIB - 3, 6)]
        for header, offset, length in cases:
            with self.subTest(range=header):
                resp = self.server.download(self.token, id=self.node["id"],
                                            headers={"Range": header})
                self.assertEqual(resp.status, 206, resp)
                self.assertEqual(len(resp.raw), length)
                self.assertEqual(resp.raw, read_range(self.path, offset, length))
                self.assertEqual(resp.headers["Content-Range"],
                                 f"bytes {offset}-{offset + length - 1}/{GIB}")

    def test_unsatisfiable_range(self):
        resp = self.server.download(self.token, id=self.node["id"],
                                    headers={"Range": f"bytes={GIB}-"})
        self.assertEqual(resp.status, 416, resp)


class DownloadHeadersTest(ServerTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.token, _ = cls.server.new_user("headers")

    def test_content_disposition_utf8(self):
        data = "UTF-8 名字".encode()
        self.server.upload_file(self.token, "/" + UTF8_NAME, data)
        resp = self.server.download(self.token, path="/" + UTF8_NAME)
        self.assertEqual(resp.status, 200, resp)
        self.assertEqual(resp.raw, data)
        cd = resp.headers["Content-Disposition"]
        self.assertTrue(cd.startswith("attachment;"), cd)
        self.assertIn("filename*=UTF-8''%E6%8A%A5%E5%91%8A%202024%20%C3%BC.txt", cd)
        fallback = cd.split('filename="', 1)[1].split('"', 1)[0]
        self.assertTrue(fallback and fallback.isascii(), cd)
        encoded = cd.split("filename*=UTF-8''", 1)[1].split(";")[0].strip()
        self.assertEqual(urllib.parse.unquote(encoded, errors="strict"), UTF8_NAME)

    def test_content_disposition_hostile_names(self):
        """Quotes, semicolons and CR/LF-free oddities cannot break the header."""
        for name in ('quo"te;x=1.txt', "back\\slash.txt", "pct%20name.txt", "a,b;c.txt"):
            with self.subTest(name=name):
                self.server.upload_file(self.token, "/" + name, b"n")
                resp = self.server.download(self.token, path="/" + name)
                self.assertEqual(resp.status, 200, resp)
                cd = resp.headers["Content-Disposition"]
                encoded = cd.split("filename*=UTF-8''", 1)[1].split(";")[0].strip()
                self.assertEqual(urllib.parse.unquote(encoded), name, cd)
                self.assertEqual(len(resp.headers.get_all("Content-Disposition")), 1)

    def test_etag_and_download_count(self):
        data = b"count me"
        f = self.server.upload_file(self.token, "/count.txt", data)
        self.assertEqual(f["downloads"], 0)
        for expected in (1, 2):
            resp = self.server.download(self.token, id=f["id"])
            self.assertEqual(resp.status, 200, resp)
            self.assertEqual(resp.headers["ETag"], f'"{sha256_hex(data)}"')
            node = self.server.stat(self.token, id=f["id"]).body["node"]
            self.assertEqual(node["downloads"], expected)
        # A refused download does not count, nor does resuming one.
        self.server.download(self.token + "x", id=f["id"])
        resumed = self.server.download(self.token, headers={"Range": "bytes=3-"}, id=f["id"])
        self.assertEqual(resumed.status, 206, resumed)
        self.assertEqual(resumed.raw, data[3:])
        self.assertEqual(self.server.stat(self.token, id=f["id"]).body["node"]["downloads"],
                         2)

    def test_download_is_not_json(self):
        data = b'{"looks": "like json"}'
        self.server.upload_file(self.token, "/fake.json", data)
        resp = self.server.download(self.token, path="/fake.json")
        self.assertEqual(resp.status, 200, resp)
        self.assertEqual(resp.raw, data)


if __name__ == "__main__":
    main()
