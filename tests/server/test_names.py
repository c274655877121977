"""Name and path rules, and that hostile names never escape the blob store."""

import hashlib
import os
import re

from yunpan_instance import ServerTestCase, main, sha256_hex

NAME_OR_PATH = [(400, "invalid_path"), (400, "invalid_name")]


def name_codes(text):
    """Codes that may refuse TEXT as a name: a NUL inside a JSON string may
    also be refused by the JSON layer (invalid_json) before any name check."""
    return {"invalid_name", "invalid_json"} if "\x00" in text else {"invalid_name"}


def path_errors(text, query=False):
    """(status, code) pairs that may refuse TEXT as a path (see name_codes).

    In a query string, a NUL may make the whole query bad_request.
    """
    if "\x00" not in text:
        return NAME_OR_PATH
    return NAME_OR_PATH + [(400, "bad_request" if query else "invalid_json")]


BAD_NAMES = [".", "..", "", "a/b", "/", "a\x00b", "\x00", "\x01", "a\x1fb", "\x7f",
             "a\nb", "tab\there", "x" * 256, "\u00e9" * 128, "\u62a5" * 85 + "x",
             # invisible characters that make a name show as another
             "invoice\u202efdp.exe", "\u200b", "a\u200bb", "x\u2066y\u2069", "\ufeffbom",
             "mark\u200f", "join\u2060t",
             # C1 controls (U+009B is an 8-bit CSI a terminal may act on)
             "csi\x9b31m", "next\x85line", "\x80", "\x9f",
             # other format characters, separators and invisible letters
             "soft\u00adhyphen", "arabic\u061cmark", "line\u2028sep", "para\u2029sep",
             "mongolian\u180e", "cgj\u034f", "anno\ufff9x\ufffb", "tag\U000e0041",
             "\U000e0000", "\U000e007f", "\u3164", "\u115f\u1160", "half\uffa0"]
GOOD_NAMES = ["...", ".hidden", "a\\b", "..%2f..%2fetc", "%2e%2e", "\u62a5\u544a 2024",
              "x" * 255, "\u00e9" * 127 + "x", "  spaced  ", "semi;colon", "q?x=1&y",
              "hash#frag", "quote\"name'", "<b>tag<b>",
              "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645", "\U0001f469\u200d\U0001f4bb",
              # variation selectors, combining marks, private use, unassigned
              "\u2764\ufe0f \u263a\ufe0e", "cafe\u0301", "\u0915\u094d\u200d\u0937",
              "\ue000 private", "\u0378 unassigned", "nbsp\u00a0here"]


class NamesTestCase(ServerTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.token, _ = cls.server.new_user("names")
        cls.root_id = cls.server.whoami(cls.token).body["root_id"]

    def mkdir_named(self, parent_id, name):
        return self.server.post("files/mkdir", {"parent_id": parent_id, "name": name},
                                self.token)


class NameRulesTest(NamesTestCase):

    def test_bad_names_in_mkdir(self):
        for name in BAD_NAMES:
            with self.subTest(name=name[:20], length=len(name.encode())):
                self.assert_error(self.mkdir_named(self.root_id, name), 400,
                                  name_codes(name))

    def test_bad_names_in_upload(self):
        for name in BAD_NAMES:
            with self.subTest(name=name[:20]):
                resp = self.server.start_upload(self.token, None, b"data",
                                                parent_id=self.root_id, name=name)
                self.assert_error(resp, 400, name_codes(name))

    def test_bad_names_in_move(self):
        f = self.server.upload_file(self.token, "/to-rename.txt", b"r")
        for name in BAD_NAMES:
            with self.subTest(name=name[:20]):
                resp = self.server.move(self.token, {"id": f["id"], "to_name": name})
                self.assert_error(resp, 400, name_codes(name))
        self.assertEqual(self.server.stat(self.token, id=f["id"]).body["node"]["name"],
                         "to-rename.txt")

    def test_good_names(self):
        parent = self.server.mkdir(self.token, "/good").body["node"]
        for name in GOOD_NAMES:
            with self.subTest(name=name[:20]):
                resp = self.mkdir_named(parent["id"], name)
                self.assertEqual(resp.status, 201, resp)
                self.assertEqual(resp.body["node"]["name"], name)
                self.assertEqual(resp.body["node"]["path"], "/good/" + name)
                again = self.server.stat(self.token, path="/good/" + name)
                self.assertEqual(again.status, 200, again)
                self.assertEqual(again.body["node"]["id"], resp.body["node"]["id"])

    def test_255_byte_file_name(self):
        name = "\u00e9" * 126 + "abc"        # 255 bytes
        self.assertEqual(len(name.encode()), 255)
        f = self.server.upload_file(self.token, "/" + name, b"long name")
        self.assertEqual(f["name"], name)
        self.assertEqual(self.server.download(self.token, path="/" + name).body,
                         b"long name")


class UnicodeNamesTest(NamesTestCase):
    """Names are compared in NFC: two spellings of one name cannot coexist."""

    COMPOSED = "caf\u00e9"          # é as one code point
    DECOMPOSED = "cafe\u0301"       # e + combining acute accent

    def test_spellings_of_one_name_collide(self):
        self.assertEqual(self.server.mkdir(self.token, f"/{self.COMPOSED}").status, 201)
        self.assert_error(self.server.mkdir(self.token, f"/{self.DECOMPOSED}"), 409, "exists")
        # the other spelling names the same node: a folder
        self.assert_error(self.server.upload(self.token, f"/{self.DECOMPOSED}", b"x"), 409,
                          "is_a_folder")
        # either spelling finds the folder, which keeps its own spelling
        for spelling in (self.COMPOSED, self.DECOMPOSED):
            resp = self.server.stat(self.token, path=f"/{spelling}")
            self.assertEqual(resp.status, 200, resp)
            self.assertEqual(resp.body["node"]["name"], self.COMPOSED)
        names = [e["name"] for e in self.server.list(self.token).body["entries"]]
        self.assertEqual(names.count(self.COMPOSED) + names.count(self.DECOMPOSED), 1, names)

    def test_files_and_moves_collide_too(self):
        self.server.mkdir(self.token, "/u")
        self.server.upload_file(self.token, f"/u/{self.DECOMPOSED}.txt", b"nfd")
        self.assert_error(self.server.upload(self.token, f"/u/{self.COMPOSED}.txt", b"nfc"),
                          409, "exists")
        other = self.server.upload_file(self.token, "/u/other.txt", b"other")
        resp = self.server.move(self.token, {"id": other["id"],
                                             "to_path": f"/u/{self.COMPOSED}.txt"})
        self.assert_error(resp, 409, "exists")

    def test_respelling_a_name_is_a_rename(self):
        node = self.server.upload_file(self.token, f"/{self.DECOMPOSED}.md", b"respell")
        resp = self.server.move(self.token, {"id": node["id"],
                                             "to_path": f"/{self.COMPOSED}.md"})
        self.assertEqual(resp.status, 200, resp)
        self.assertEqual(resp.body["node"]["name"], f"{self.COMPOSED}.md")
        self.assertEqual(self.server.download(self.token, path=f"/{self.DECOMPOSED}.md").raw,
                         b"respell")

    def test_case_still_matters(self):
        self.assertEqual(self.server.mkdir(self.token, "/CAF\u00c9").status, 201)
        self.assertEqual(self.server.mkdir(self.token, "/caf\u00c9").status, 201)


class PathRulesTest(NamesTestCase):

    def test_structurally_bad_paths(self):
        for path in ("a", "", "a/b", "//", "//a", "/a//b", "Photos/", "\\a", " /a"):
            with self.subTest(path=path):
                self.assert_error(self.server.mkdir(self.token, path), 400, "invalid_path")
                self.assert_error(self.server.stat(self.token, path=path), 400,
                                  "invalid_path")

    def test_bad_components(self):
        for path in ("/.", "/..", "/a/../b", "/a/./b", "/..//etc", "/../../etc/passwd",
                     "/a\x00b", "/a\x01", "/a\x7f", "/a\nb", "/" + "x" * 256,
                     "/ok/" + "\u00e9" * 128):
            with self.subTest(path=path[:30]):
                self.assert_error_one_of(self.server.mkdir(self.token, path),
                                         path_errors(path))
                self.assert_error_one_of(self.server.stat(self.token, path=path),
                                         path_errors(path, query=True))
                self.assert_error_one_of(self.server.download(self.token, path=path),
                                         path_errors(path, query=True))
                self.assert_error_one_of(
                    self.server.start_upload(self.token, path, b"x"), path_errors(path))

    def test_percent_encoded_query_paths(self):
        for raw in ("path=%2F..%2F..%2Fetc%2Fpasswd", "path=/%00", "path=/a%00b",
                    "path=/%FF", "path=/%C0%AF", "path=/a%ED%A0%80", "path=/%C3",
                    "path=%2F%2E%2E", "path=/a/%2E%2E/b", "path=/%E2%82"):
            with self.subTest(query=raw):
                # A query string that is not UTF-8 may be refused as a whole.
                allowed = NAME_OR_PATH + [(400, "bad_request")]
                resp = self.server.get("files/stat", self.token, query=raw)
                self.assert_error_one_of(resp, allowed)
                resp = self.server.get("files/download", self.token, query=raw)
                self.assert_error_one_of(resp, allowed)

    def test_invalid_utf8_in_json(self):
        for raw in (b'{"path":"/\xff"}', b'{"path":"/a\xc0\xafb"}',
                    b'{"path":"/\xed\xa0\x80"}'):
            with self.subTest(raw=raw):
                resp = self.server.post("files/mkdir", raw, self.token)
                self.assert_error_one_of(resp, NAME_OR_PATH + [(400, "invalid_json")])
        for raw in (b'{"path":"/a\\ud800"}', b'{"path":"/\\udfff"}',
                    b'{"path":"/a\\u0000b"}', b'{"path":"/a\\u002f..\\u002fb"}'):
            with self.subTest(raw=raw):
                resp = self.server.post("files/mkdir", raw, self.token)
                self.assert_error_one_of(resp, NAME_OR_PATH + [(400, "invalid_json")])

    def test_depth_limit(self):
        deep = "".join(f"/d{i}" for i in range(64))
        resp = self.server.mkdir(self.token, deep, parents=True)
        self.assertEqual(resp.status, 201, resp)
        self.assertEqual(resp.body["node"]["path"], deep)
        too_deep = deep + "/d64"
        self.assert_error(self.server.mkdir(self.token, too_deep), 400, "invalid_path")
        self.assert_error(self.server.mkdir(self.token, too_deep, parents=True), 400,
                          "invalid_path")
        self.assert_error(self.server.stat(self.token, path=too_deep), 400, "invalid_path")
        resp = self.server.start_upload(self.token, too_deep, b"x")
        self.assert_error(resp, 400, "invalid_path")

    def test_length_limit(self):
        longest = "".join("/" + chr(ord("a") + i) * 255 for i in range(16))
        self.assertEqual(len(longest), 4096)
        resp = self.server.mkdir(self.token, longest, parents=True)
        self.assertEqual(resp.status, 201, resp)
        self.assertEqual(self.server.stat(self.token, path=longest).status, 200)
        too_long = "".join("/" + chr(ord("a") + i) * 240 for i in range(17))
        self.assertEqual(len(too_long), 4097)
        self.assert_error(self.server.mkdir(self.token, too_long, parents=True), 400,
                          "invalid_path")
        self.assert_error(self.server.stat(self.token, path=too_long), 400,
                          "invalid_path")

    def test_move_into_too_deep_place(self):
        """Moving a subtree must not create paths past the depth limit."""
        base = "".join(f"/m{i}" for i in range(60))
        self.assertEqual(self.server.mkdir(self.token, base, parents=True).status, 201)
        sub = "/sub" + "".join(f"/s{i}" for i in range(9))
        self.assertEqual(self.server.mkdir(self.token, sub, parents=True).status, 201)
        resp = self.server.move(self.token, {"path": "/sub", "to_path": base + "/sub"})
        if resp.status == 200:
            leaf = resp.body["node"]["path"] + "".join(f"/s{i}" for i in range(9))
            self.fail(f"move created a {leaf.count('/')}-component path: {resp!r}")
        self.assert_error_one_of(resp, [(400, "invalid_path"), (400, "invalid_move")])


class StoreConfinementTest(NamesTestCase):
    """Hostile-looking names are plain names: the store stays content-addressed."""

    HOSTILE = ["..%2f..%2fetc", "..%2F..%2Fpasswd", "..\\..\\win.ini", "%2e%2e%2f",
               "....//....", "~root", "$(touch pwned)", "`id`", "passwd\u2215..",
               "\u2025", "con", "nul.txt", "-rf"]

    def test_hostile_names_stay_names(self):
        before = self.layout_outside_store()
        for i, name in enumerate(self.HOSTILE):
            if "/" in name:
                continue
            with self.subTest(name=name):
                data = f"hostile {i}".encode()
                f = self.server.upload_file(self.token, "/" + name, data)
                self.assertEqual(f["name"], name)
                self.assertEqual(f["path"], "/" + name)
                self.assertEqual(self.server.download(self.token, path="/" + name).body,
                                 data)
                self.server.post("files/mkdir", {"parent_id": self.root_id,
                                                 "name": name + ".d"}, self.token)
        self.check_blob_store()
        self.assertEqual(self.layout_outside_store(), before)
        self.assertFalse(os.path.exists(os.path.join(self.server.base, "pwned")))

    def layout_outside_store(self):
        """Top-level entries of the data folder and of its parent."""
        data = self.server.data
        return (sorted(os.listdir(data)), sorted(os.listdir(os.path.dirname(data))))

    def check_blob_store(self):
        """Every blob is DIR/blobs/ab/cd/<sha256> and hashes to its name."""
        allowed_top = {"yunpan.db", "yunpan.db-wal", "yunpan.db-shm", "yunpan.db-journal",
                       "limits.db", "limits.db-wal", "limits.db-shm", "limits.db-journal",
                       "blobs", "uploads", "run", "tmp", "log"}
        self.assertLessEqual(set(os.listdir(self.server.data)), allowed_top)
        # Hidden files at the top (e.g. a lock file) are the store's own.
        blobs = {b for b in self.server.blob_files() if not b.startswith(".")}
        self.assertTrue(blobs)
        for rel in blobs:
            m = re.fullmatch(r"([0-9a-f]{2})/([0-9a-f]{2})/([0-9a-f]{64})", rel)
            self.assertIsNotNone(m, f"unexpected file in blobs: {rel}")
            self.assertTrue(m.group(3).startswith(m.group(1) + m.group(2)), rel)
            with open(os.path.join(self.server.data, "blobs", rel), "rb") as f:
                self.assertEqual(hashlib.sha256(f.read()).hexdigest(), m.group(3), rel)

    def test_raw_traversal_requests(self):
        """Paths in the request line never reach files outside the API."""
        data = b"secret blob bytes for the traversal test"
        self.server.upload_file(self.token, "/blob.bin", data)
        digest = sha256_hex(data)
        blob = f"{digest[:2]}/{digest[2:4]}/{digest}"
        targets = [f"/_blobs/{blob}", f"/blobs/{blob}", f"/api/v1/../_blobs/{blob}",
                   f"/api/v1/files/download/../../../_blobs/{blob}",
                   f"/api/v1/%2e%2e/%2e%2e/_blobs/{blob}", "/api/v1/../../../../etc/passwd",
                   "/api/v1/files/download/..%2f..%2f..%2fetc%2fpasswd",
                   f"/{blob}", "/yunpan.db", "/run/nginx.conf", "/log/access.log",
                   "/../yunpan.db", "/api/v1/..%2f..%2fyunpan.db"]
        for target in targets:
            for token in (None, self.token):
                with self.subTest(target=target, token=bool(token)):
                    resp = self.server.request("GET", target, token=token)
                    self.assertNotEqual(resp.status, 200, resp)
                    self.assertLess(resp.status, 500, resp)
                    self.assertNotIn(data, resp.raw)
                    self.assertNotIn(b"root:", resp.raw)
                    self.assertNotIn(b"SQLite format", resp.raw)
                    self.assertNotIn(b"server {", resp.raw)


if __name__ == "__main__":
    main()
