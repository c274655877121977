"""Batches: many uploads started, or many small files stored, in one request.

docs/protocol.md ("Batches") is the contract: every entry is validated and
authorized like the single request it stands for and answered on its own;
files/batch carries a one-line JSON manifest followed by the files' bytes,
hashes them itself and commits every good entry at once; limits are JSON
errors; an Idempotency-Key replays the first answer.
"""

import json
import os
import secrets
import shutil
import socket
import sqlite3
import tempfile
import unittest

from yunpan_instance import (API, JSON_TYPE, MIB, Instance, ServerTestCase, content, main,
                             sha256_hex)

REPLAYED = "Idempotent-Replayed"


def manifest_body(entries, blobs):
    """The files/batch body: the manifest line, then BLOBS concatenated."""
    return json.dumps({"entries": entries}).encode() + b"\n" + b"".join(blobs)


def file_entry(path, data, **extra):
    entry = {"path": path, "size": len(data), "sha256": sha256_hex(data)}
    entry.update(extra)
    return entry


class BatchTestCase(ServerTestCase):

    def files_batch(self, token, entries, blobs, key=None, body=None):
        headers = {"Content-Type": "application/octet-stream"}
        if key is not None:
            headers["Idempotency-Key"] = key
        if body is None:
            body = manifest_body(entries, blobs)
        return self.server.request("POST", f"{API}/files/batch", body=body, token=token,
                                   headers=headers)

    def store(self, token, files, key=None, **extra):
        """files/batch of FILES {path: bytes}; returns the entries' answers."""
        entries = [file_entry(p, d, **extra) for p, d in files.items()]
        resp = self.files_batch(token, entries, list(files.values()), key)
        body = self.assert_status(resp, 200)
        self.assertEqual(len(body["entries"]), len(files), resp)
        return body["entries"]

    def uploads_batch(self, token, entries, key=None):
        headers = {"Idempotency-Key": key} if key else None
        return self.server.post("uploads/batch", {"entries": entries}, token, headers=headers)

    def cursor(self, token):
        return self.server.whoami(token).body["cursor"]

    def changes_since(self, token, since):
        resp = self.server.get("changes", token, {"since": since, "limit": 1000})
        return self.assert_status(resp, 200)["changes"]

    def blob_files(self):
        found = []
        for top, _dirs, names in os.walk(os.path.join(self.server.data, "blobs")):
            found += [os.path.join(top, n) for n in names if n != ".lock"]
        return found

    def assert_entry_error(self, entry, code):
        self.assertIn("error", entry, entry)
        self.assertEqual(entry["error"]["code"], code, entry)
        self.assertIsInstance(entry["error"]["message"], str)
        self.assertNotIn("file", entry)


class FilesBatchTest(BatchTestCase):

    def setUp(self):
        self.token, self.user = self.server.new_user("batch")

    def test_hundred_files_are_stored_and_read_back(self):
        files = {f"/many/f{i:03}.txt": content(1024 + 37 * i, seed=i, tag="hundred")
                 for i in range(100)}
        self.server.mkdir(self.token, "/many")
        answers = self.store(self.token, files)
        for (path, data), entry in zip(files.items(), answers):
            self.assertIn("file", entry, entry)
            node = entry["file"]
            self.assertEqual((node["path"], node["size"], node["sha256"], node["type"]),
                             (path, len(data), sha256_hex(data), "file"))
            resp = self.server.download(self.token, path=path)
            self.assertEqual(resp.status, 200)
            self.assertEqual(resp.body, data, path)
        self.assertEqual(self.server.list(self.token, path="/many").body["total"], 100)

    def test_change_feed_has_one_entry_per_stored_file(self):
        since = self.cursor(self.token)
        files = {f"/feed{i}.md": content(2000, seed=i, tag="feed") for i in range(20)}
        bad = {"/feed-bad.md": b"wrong"}
        entries = [file_entry(p, d) for p, d in files.items()]
        entries.append(file_entry("/feed-bad.md", b"other"))
        resp = self.files_batch(self.token, entries, list(files.values()) + [b"wrong"])
        self.assertEqual(self.assert_status(resp, 200)["entries"][-1]["error"]["code"],
                         "hash_mismatch")
        changes = self.changes_since(self.token, since)
        self.assertEqual([c["op"] for c in changes], ["create"] * len(files))
        self.assertEqual([c["node"]["path"] for c in changes], list(files))
        self.assertEqual(len({c["cursor"] for c in changes}), len(files))
        self.assertEqual(self.cursor(self.token), since + len(files))
        self.assertNotIn("/feed-bad.md", [c["node"]["path"] for c in changes])
        del bad

    def test_entry_errors_do_not_stop_the_others(self):
        other_token, _ = self.server.new_user("other")
        foreign = self.server.mkdir(other_token, "/theirs").body["node"]["id"]
        mine = self.server.mkdir(self.token, "/mix").body["node"]
        old = self.server.upload_file(self.token, "/mix/old.txt", b"old")
        self.server.upload_file(self.token, "/mix/taken.txt", b"taken")
        good = [b"good one", b"good two", b"replaced"]
        wrong = b"these bytes are not the declared ones"
        entries = [
            file_entry("/mix/a.txt", good[0]),
            file_entry("/mix/taken.txt", b"exists"),
            file_entry("/mix/old.txt", b"conflict", if_version=old["version"] + 1000),
            {"parent_id": mine["id"], "name": "bad/name", "size": 3,
             "sha256": sha256_hex(b"bad")},
            {"path": "/mix/wrong.txt", "size": len(wrong), "sha256": sha256_hex(b"x")},
            {"parent_id": 2 ** 40, "name": "lost.txt", "size": 4,
             "sha256": sha256_hex(b"lost")},
            {"parent_id": foreign, "name": "stolen.txt", "size": 6,
             "sha256": sha256_hex(b"stolen")},
            {"path": "/nowhere/x.txt", "size": 2, "sha256": sha256_hex(b"nw")},
            file_entry("/mix/b.txt", good[1]),
            file_entry("/mix/old.txt", good[2], if_version=old["version"]),
            {"parent_id": mine["id"], "name": "c.txt", "size": 1, "sha256": "XYZ"},
        ]
        blobs = [good[0], b"exists", b"conflict", b"bad", wrong, b"lost", b"stolen", b"nw",
                 good[1], good[2], b"c"]
        before = set(self.blob_files())
        resp = self.files_batch(self.token, entries, blobs)
        answers = self.assert_status(resp, 200)["entries"]
        self.assertEqual(answers[0]["file"]["path"], "/mix/a.txt")
        self.assert_entry_error(answers[1], "exists")
        self.assert_entry_error(answers[2], "conflict")
        self.assertEqual(answers[2]["error"]["version"], old["version"])
        self.assert_entry_error(answers[3], "invalid_name")
        self.assert_entry_error(answers[4], "hash_mismatch")
        self.assert_entry_error(answers[5], "not_found")
        self.assert_entry_error(answers[6], "not_found")
        self.assert_entry_error(answers[7], "not_found")
        self.assertEqual(answers[8]["file"]["path"], "/mix/b.txt")
        self.assertEqual(answers[9]["file"]["sha256"], sha256_hex(good[2]))
        self.assert_entry_error(answers[10], "invalid_argument")
        self.assertEqual(self.server.download(self.token, path="/mix/taken.txt").body, b"taken")
        self.assertEqual(self.server.download(self.token, path="/mix/old.txt").body, good[2])
        self.assertEqual(self.server.stat(self.token, path="/mix/wrong.txt").status, 404)
        names = sorted(e["name"] for e in self.server.list(self.token, path="/mix")
                       .body["entries"])
        self.assertEqual(names, ["a.txt", "b.txt", "old.txt", "taken.txt"])
        self.assertEqual(self.server.list(other_token, path="/theirs").body["total"], 0)
        # the refused entries left no blob and no temporary file behind
        added = {os.path.basename(p) for p in set(self.blob_files()) - before}
        self.assertEqual(added, {sha256_hex(g) for g in good[:2]} | {sha256_hex(good[2])})

    def test_empty_batch_and_empty_file(self):
        resp = self.files_batch(self.token, [], [])
        self.assertEqual(self.assert_status(resp, 200), {"entries": []})
        answers = self.store(self.token, {"/empty.txt": b""})
        self.assertEqual(answers[0]["file"]["size"], 0)
        self.assertEqual(self.server.download(self.token, path="/empty.txt").body, b"")

    def test_malformed_manifests_are_json_errors(self):
        data = b"abc"
        entry = file_entry("/m.txt", data)
        cases = [
            (b"", 400, "invalid_json"),
            (json.dumps({"entries": [entry]}).encode() + data, 400, "invalid_json"),
            (b"{not json\n" + data, 400, "invalid_json"),
            (b"[1, 2]\n", 400, "invalid_json"),
            (b"\xff\xfe\n", 400, "invalid_json"),
            (b'{"entries": {"a": 1}}\n', 400, "invalid_argument"),
            (json.dumps({"entries": [{"path": "/m.txt", "sha256": entry["sha256"]}]})
             .encode() + b"\n" + data, 400, "invalid_argument"),
            (json.dumps({"entries": [dict(entry, size=-1)]}).encode() + b"\n", 400,
             "invalid_argument"),
            (json.dumps({"entries": ["x"]}).encode() + b"\n", 400, "invalid_argument"),
            (manifest_body([entry], [data + b"more"]), 400, "bad_request"),
            (manifest_body([entry], [data[:2]]), 400, "bad_request"),
            (json.dumps({"entries": [dict(entry, path="/m\\u0000.txt")]})
             .replace("\\\\u0000", "\\u0000").encode() + b"\n" + data, 400, "invalid_json"),
        ]
        for body, status, code in cases:
            with self.subTest(body=body[:60]):
                self.assert_error(self.files_batch(self.token, None, None, body=body),
                                  status, code)
        self.assertEqual(self.server.stat(self.token, path="/m.txt").status, 404)

    def test_limits_are_json_errors(self):
        too_many = [file_entry(f"/n{i}", b"") for i in range(1001)]
        self.assert_error(self.files_batch(self.token, too_many, []), 413, "too_large")
        big = content(MIB + 1, tag="big")
        answers = self.store(self.token, {"/big.bin": big, "/small.bin": b"small"})
        self.assert_entry_error(answers[0], "too_large")
        self.assertEqual(answers[1]["file"]["size"], 5)
        self.assertEqual(self.server.stat(self.token, path="/big.bin").status, 404)
        at_limit = [file_entry(f"/k{i}", b"") for i in range(1000)]
        self.assertEqual(len(self.assert_status(self.files_batch(self.token, at_limit, []),
                                                200)["entries"]), 1000)

    def test_body_beyond_the_limit_is_refused_before_it_is_read(self):
        with socket.create_connection(("127.0.0.1", self.server.port), timeout=30) as sock:
            sock.sendall((f"POST {API}/files/batch HTTP/1.1\r\nHost: x\r\n"
                          f"Authorization: Bearer {self.token}\r\n"
                          f"Content-Length: {64 * MIB + 1}\r\n\r\n").encode())
            raw = b""
            while b"\r\n\r\n" not in raw or not raw.rstrip().endswith(b"}"):
                chunk = sock.recv(65536)
                if not chunk:
                    break
                raw += chunk
        head, _, body = raw.partition(b"\r\n\r\n")
        self.assertTrue(head.startswith(b"HTTP/1.1 413"), raw)
        self.assertIn(b"content-type: " + JSON_TYPE.encode(), head.lower())
        self.assertEqual(json.loads(body)["error"]["code"], "too_large")

    def test_needs_a_session_before_the_body_is_read(self):
        resp = self.files_batch(None, [], [])
        self.assert_error(resp, 401, "unauthorized")
        self.assert_error(self.files_batch("bogus", [], []), 401, "unauthorized")
        self.assert_error(self.uploads_batch("bogus", []), 401, "unauthorized")
        self.assert_error(self.server.request("GET", f"{API}/files/batch", token=self.token),
                          405, "method_not_allowed")
        # refused from the headers alone: the declared body is never awaited
        with socket.create_connection(("127.0.0.1", self.server.port), timeout=10) as sock:
            sock.sendall((f"POST {API}/files/batch HTTP/1.1\r\nHost: x\r\n"
                          f"Authorization: Bearer bogus\r\n"
                          f"Content-Length: {32 * MIB}\r\n\r\n").encode())
            sock.sendall(b"x" * 1000)
            head = sock.recv(65536)
        self.assertTrue(head.startswith(b"HTTP/1.1 401"), head)

    def test_idempotency_key_replays_and_stores_nothing_twice(self):
        files = {f"/idem/{i}.txt": content(3000, seed=i, tag="idem") for i in range(50)}
        self.server.mkdir(self.token, "/idem")
        key = secrets.token_urlsafe(12)
        entries = [file_entry(p, d) for p, d in files.items()]
        first = self.files_batch(self.token, entries, list(files.values()), key)
        self.assert_status(first, 200)
        cursor = self.cursor(self.token)
        again = self.files_batch(self.token, entries, list(files.values()), key)
        self.assertEqual(again.status, 200)
        self.assertEqual(again.headers.get(REPLAYED), "true")
        self.assertEqual(again.body, first.body)
        self.assertEqual(self.cursor(self.token), cursor)
        self.assertEqual(self.server.list(self.token, path="/idem").body["total"], 50)
        # another body under the same key is refused, whatever it holds
        other = self.files_batch(self.token, entries[:1], [files["/idem/0.txt"]], key)
        self.assert_error(other, 422, "idempotency_key_reused")

    def test_thousand_entries_replay_byte_for_byte(self):
        # an answer far past the 64 KiB that other requests' answers stay under
        files = {f"/thousand/{i:04}.txt": content(40, seed=i, tag="thousand")
                 for i in range(1000)}
        self.server.mkdir(self.token, "/thousand")
        since = self.cursor(self.token)
        key = secrets.token_urlsafe(12)
        entries = [file_entry(p, d) for p, d in files.items()]
        first = self.files_batch(self.token, entries, list(files.values()), key)
        self.assertTrue(all("file" in e for e in self.assert_status(first, 200)["entries"]))
        self.assertGreater(len(first.raw), 64 * 1024)
        cursor, blobs = self.cursor(self.token), sorted(self.blob_files())
        again = self.files_batch(self.token, entries, list(files.values()), key)
        self.assertEqual(again.status, 200)
        self.assertEqual(again.headers.get(REPLAYED), "true")
        self.assertEqual(again.raw, first.raw)
        self.assertEqual(self.cursor(self.token), cursor)
        self.assertEqual(len(self.changes_since(self.token, since)), 1000)
        self.assertEqual(sorted(self.blob_files()), blobs)
        self.assertEqual(self.server.list(self.token, path="/thousand").body["total"], 1000)

    def test_entry_failing_after_its_writes_leaves_nothing(self):
        # Data from before the name keys can hold a name whose key does not
        # match it (the migration suffixes clashing keys): the lookup by key
        # finds the name free, and only the insert, after the cursor moved
        # and the blob was recorded, finds it taken.
        self.server.upload_file(self.token, "/legacy.txt", b"legacy")
        db = sqlite3.connect(os.path.join(self.server.data, "yunpan.db"), timeout=10)
        try:
            with db:
                db.execute("UPDATE nodes SET name_key = name_key || '/1' WHERE user_id = ?"
                           " AND name = 'legacy.txt'", (self.user["id"],))
        finally:
            db.close()
        since = self.cursor(self.token)
        clash = b"bytes for a name that is taken"
        answers = self.store(self.token, {"/fresh.txt": b"fresh", "/legacy.txt": clash})
        self.assertIn("file", answers[0], answers)
        self.assert_entry_error(answers[1], "exists")
        self.assertEqual(self.cursor(self.token), since + 1)
        self.assertEqual([c["node"]["path"] for c in self.changes_since(self.token, since)],
                         ["/fresh.txt"])
        root = self.server.list(self.token, path="/").body["entries"]
        listed = {e["name"]: e["sha256"] for e in root}
        self.assertEqual(listed["legacy.txt"], sha256_hex(b"legacy"))
        self.assertNotIn(sha256_hex(clash), [os.path.basename(p) for p in self.blob_files()])


class UploadsBatchTest(BatchTestCase):

    def setUp(self):
        self.token, self.user = self.server.new_user("ubatch")

    def test_hundred_starts_then_bytes(self):
        self.server.mkdir(self.token, "/up")
        data = {f"/up/{i}.bin": content(100 + i, seed=i, tag="starts") for i in range(99)}
        entries = [file_entry(p, d) for p, d in data.items()]
        entries.append(file_entry("/up/empty", b""))
        resp = self.uploads_batch(self.token, entries)
        answers = self.assert_status(resp, 200)["entries"]
        self.assertEqual(len(answers), 100)
        self.assertEqual(answers[-1]["instant"], True)
        self.assertEqual(answers[-1]["file"]["path"], "/up/empty")
        ids = set()
        for (path, blob), answer in zip(data.items(), answers):
            upload = answer["upload"]
            self.assertEqual((upload["offset"], upload["size"]), (0, len(blob)))
            ids.add(upload["id"])
            put = self.server.put_chunk(self.token, upload["id"], 0, blob)
            self.assertEqual(put.status, 201, put)
            self.assertEqual(self.server.download(self.token, path=path).body, blob)
        self.assertEqual(len(ids), 99)

    def test_own_content_gets_a_challenge(self):
        blob = b"already mine"
        self.server.upload_file(self.token, "/mine.txt", blob)
        answers = self.assert_status(self.uploads_batch(
            self.token, [file_entry("/copy.txt", blob), file_entry("/new.txt", b"fresh")]),
            200)["entries"]
        self.assertIn("nonce", answers[0]["challenge"])
        self.assertNotIn("challenge", answers[1])

    def test_entry_errors_do_not_stop_the_others(self):
        other_token, _ = self.server.new_user("uother")
        foreign = self.server.mkdir(other_token, "/theirs").body["node"]["id"]
        old = self.server.upload_file(self.token, "/old.txt", b"old")
        entries = [
            file_entry("/ok1.txt", b"one"),
            file_entry("/old.txt", b"exists"),
            file_entry("/old.txt", b"conflict", if_version=old["version"] + 5),
            {"path": "/a\u202eb.txt", "size": 1, "sha256": sha256_hex(b"n")},
            {"parent_id": foreign, "name": "x.txt", "size": 1, "sha256": sha256_hex(b"x")},
            {"parent_id": 2 ** 40, "name": "y.txt", "size": 1, "sha256": sha256_hex(b"y")},
            {"path": "/nowhere/z.txt", "size": 1, "sha256": sha256_hex(b"z")},
            {"path": "/e.txt", "size": 0, "sha256": sha256_hex(b"not empty")},
            "not an object",
            file_entry("/ok2.txt", b"two"),
        ]
        answers = self.assert_status(self.uploads_batch(self.token, entries), 200)["entries"]
        self.assertIn("upload", answers[0])
        self.assert_entry_error(answers[1], "exists")
        self.assert_entry_error(answers[2], "conflict")
        self.assertEqual(answers[2]["error"]["version"], old["version"])
        self.assert_entry_error(answers[3], "invalid_name")
        self.assert_entry_error(answers[4], "not_found")
        self.assert_entry_error(answers[5], "not_found")
        self.assert_entry_error(answers[6], "not_found")
        self.assert_entry_error(answers[7], "hash_mismatch")
        self.assert_entry_error(answers[8], "invalid_argument")
        self.assertIn("upload", answers[9])
        self.assertEqual(self.server.stat(self.token, path="/e.txt").status, 404)

    def test_empty_malformed_and_limits(self):
        self.assertEqual(self.assert_status(self.uploads_batch(self.token, []), 200),
                         {"entries": []})
        self.assert_error(self.server.post("uploads/batch", b"{bad", self.token), 400,
                          "invalid_json")
        self.assert_error(self.server.post("uploads/batch", {"entries": 3}, self.token), 400,
                          "invalid_argument")
        too_many = [file_entry(f"/t{i}", b"x") for i in range(1001)]
        self.assert_error(self.uploads_batch(self.token, too_many), 413, "too_large")
        huge = {"entries": [], "pad": "x" * (MIB + 10)}
        self.assert_error(self.server.post("uploads/batch", huge, self.token), 413,
                          "too_large")
        self.assertEqual(self.server.list(self.token).body["total"], 0)
        # a body beyond the 64 KiB of other requests is taken here
        many = [file_entry(f"/long-name-{i:04}-" + "n" * 100, b"") for i in range(600)]
        answers = self.assert_status(self.uploads_batch(self.token, many), 200)["entries"]
        self.assertTrue(all(a.get("instant") for a in answers))

    def test_idempotency_key_replays(self):
        key = secrets.token_urlsafe(12)
        entries = [file_entry(f"/k{i}.txt", b"k" * (i + 1)) for i in range(20)]
        first = self.assert_status(self.uploads_batch(self.token, entries, key), 200)
        again = self.uploads_batch(self.token, entries, key)
        self.assertEqual(again.headers.get(REPLAYED), "true")
        self.assertEqual(again.body, first)
        ids = [a["upload"]["id"] for a in first["entries"]]
        self.assertEqual(len(set(ids)), 20)
        for entry, upload_id in zip(entries, ids):
            self.assertEqual(self.server.get(f"uploads/{upload_id}", self.token).status, 200)


class BatchQuotaTest(BatchTestCase):

    INSTANCE_ARGS = ("--", "--quota", "1m")

    def test_files_batch_counts_the_quota_across_entries(self):
        token, _ = self.server.new_user("fquota")
        files = {f"/q{i}.bin": content(400_000, seed=i, tag="quota") for i in range(3)}
        answers = self.store(token, files)
        self.assertIn("file", answers[0])
        self.assertIn("file", answers[1])
        self.assert_entry_error(answers[2], "quota_exceeded")
        self.assertEqual(self.server.whoami(token).body["used"], 800_000)
        self.assertEqual(self.server.stat(token, path="/q2.bin").status, 404)

    def test_uploads_batch_counts_the_quota_across_entries(self):
        token, _ = self.server.new_user("uquota")
        entries = [{"path": f"/u{i}.bin", "size": 400_000, "sha256": f"{i:064x}"}
                   for i in range(3)]
        answers = self.assert_status(self.uploads_batch(token, entries), 200)["entries"]
        self.assertIn("upload", answers[0])
        self.assertIn("upload", answers[1])
        self.assert_entry_error(answers[2], "quota_exceeded")
        self.assertEqual(answers[2]["error"]["reserved"], 800_000)


class BatchCrashTest(unittest.TestCase):
    """What a crash in the middle of a batch leaves is gone after a restart."""

    def test_leftover_blob_files_are_swept(self):
        data = tempfile.mkdtemp(prefix="yp-test-batch-")
        self.addCleanup(shutil.rmtree, data, True)
        kept = b"committed before the crash"
        with Instance(data_dir=data) as server:
            token, user = server.new_user("crash")
            resp = server.request("POST", f"{API}/files/batch", token=token,
                                  body=manifest_body([file_entry("/kept.txt", kept)], [kept]))
            self.assertIn("file", resp.body["entries"][0], resp)
        # a crash before the rename leaves a temporary file beside the blob's
        # place; one after the rename but before the commit, a blob no row names
        planted = []
        for blob, suffix in ((b"written, not renamed", ".1a2b3c4d.tmp"),
                             (b"renamed, not committed", "")):
            sha = sha256_hex(blob)
            folder = os.path.join(data, "blobs", sha[:2], sha[2:4])
            os.makedirs(folder, exist_ok=True)
            planted.append(os.path.join(folder, sha + suffix))
            with open(planted[-1], "wb") as f:
                f.write(blob)
        with Instance(data_dir=data) as server:
            for path in planted:
                self.assertFalse(os.path.exists(path), path)
            token = server.login(user["username"])
            self.assertEqual(server.download(token, path="/kept.txt").body, kept)


if __name__ == "__main__":
    main()
