"""Uploads: chunks, offsets, hashes, resuming, expiry, crashes (instant upload: test_instant.py)."""

import os
import re
import signal
import socket
import sys
import threading
import time

from yunpan_instance import (API, MIB, FileBody, ServerTestCase, content, main, sha256_hex,
                             write_pseudo_random_file)


class UploadTestCase(ServerTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.token, cls.user = cls.server.new_user("up")

    def start(self, path, data, token=None, **extra):
        resp = self.server.start_upload(token or self.token, path, data, **extra)
        self.assertEqual(resp.status, 201, resp)
        return resp.body

    def get_upload(self, upload_id, token=None):
        return self.server.request("GET", f"{API}/uploads/{upload_id}",
                                   token=token or self.token)

    def assert_gone(self, path, token=None):
        self.assert_error(self.server.stat(token or self.token, path=path), 404,
                          "not_found")


class ChunkTest(UploadTestCase):

    def test_start_response(self):
        data = content(1000, seed=1)
        body = self.start("/start.bin", data)
        up = body["upload"]
        self.assertIsInstance(up["id"], str)
        self.assertTrue(up["id"])
        self.assertEqual(up["offset"], 0)
        self.assertEqual(up["size"], 1000)
        self.assertAlmostEqual(up["expires"], time.time() + 86400, delta=120)
        self.assertNotIn("challenge", body)
        self.assert_gone("/start.bin")
        self.assertEqual(self.get_upload(up["id"]).body["upload"], up)

    def test_chunked_upload(self):
        data = content(300_000, seed=2)
        up = self.start("/chunks.bin", data, mtime=1700000000)["upload"]
        offset = 0
        for size in (100_000, 150_000):
            resp = self.server.put_chunk(self.token, up["id"], offset,
                                         data[offset:offset + size])
            self.assertEqual(resp.status, 200, resp)
            offset += size
            self.assertEqual(resp.body["upload"]["offset"], offset)
            self.assertEqual(self.get_upload(up["id"]).body["upload"]["offset"], offset)
            self.assert_gone("/chunks.bin")
        resp = self.server.put_chunk(self.token, up["id"], offset, data[offset:])
        self.assertEqual(resp.status, 201, resp)
        self.assertIs(resp.body["instant"], False)
        node = self.assert_node(resp.body["file"], name="chunks.bin", size=len(data),
                                sha256=sha256_hex(data), mtime=1700000000)
        got = self.server.download(self.token, id=node["id"])
        self.assertEqual(got.status, 200, got)
        self.assertEqual(got.raw, data)
        self.assert_error(self.get_upload(up["id"]), 404, "not_found")
        self.assertNotIn(up["id"] + ".part", self.server.part_files())
        digest = sha256_hex(data)
        self.assertIn(f"{digest[:2]}/{digest[2:4]}/{digest}", self.server.blob_files())

    def test_upload_by_parent_and_name(self):
        folder = self.server.mkdir(self.token, "/ByParent").body["node"]
        data = content(10, seed=3)
        resp = self.server.upload(self.token, None, data, parent_id=folder["id"],
                                  name="p.txt")
        self.assertEqual(resp.status, 201, resp)
        self.assertEqual(resp.body["file"]["path"], "/ByParent/p.txt")

    def test_offset_mismatch(self):
        data = content(1000, seed=4)
        up = self.start("/offsets.bin", data)["upload"]
        err = self.assert_error(self.server.put_chunk(self.token, up["id"], 5, data[5:10]),
                                409, "offset_mismatch")
        self.assertEqual(err.get("offset"), 0)
        self.assertEqual(self.server.put_chunk(self.token, up["id"], 0, data[:400]).status,
                         200)
        for offset in (0, 399, 401, 1000):
            with self.subTest(offset=offset):
                resp = self.server.put_chunk(self.token, up["id"], offset, data[offset:][:10])
                err = self.assert_error(resp, 409, "offset_mismatch")
                self.assertEqual(err.get("offset"), 400)
        self.assertEqual(self.get_upload(up["id"]).body["upload"]["offset"], 400)
        resp = self.server.put_chunk(self.token, up["id"], 400, data[400:])
        self.assertEqual(resp.status, 201, resp)
        self.assertEqual(self.server.download(self.token, path="/offsets.bin").raw, data)

    def test_chunk_past_size(self):
        data = content(100, seed=5)
        up = self.start("/past.bin", data)["upload"]
        self.assert_error(self.server.put_chunk(self.token, up["id"], 0, data + b"x"), 413,
                          "too_large")
        self.assertEqual(self.server.put_chunk(self.token, up["id"], 0, data[:60]).status,
                         200)
        self.assert_error(self.server.put_chunk(self.token, up["id"], 60, data[60:] + b"!"),
                          413, "too_large")
        self.assertEqual(self.get_upload(up["id"]).body["upload"]["offset"], 60)
        self.assertEqual(self.server.put_chunk(self.token, up["id"], 60, data[60:]).status,
                         201)

    def test_empty_chunk_is_not_progress(self):
        data = content(50, seed=6)
        up = self.start("/emptychunk.bin", data)["upload"]
        resp = self.server.put_chunk(self.token, up["id"], 0, b"")
        if resp.status == 200:
            self.assertEqual(resp.body["upload"]["offset"], 0)
        else:
            self.assert_4xx_json(resp)
        self.assert_gone("/emptychunk.bin")
        self.server.request("DELETE", f"{API}/uploads/{up['id']}", token=self.token)

    def test_hash_mismatch(self):
        data = content(5000, seed=7)
        blobs_before = self.server.blob_files()
        up = self.start("/mismatch.bin", data, sha256=sha256_hex(b"something else"))["upload"]
        self.assertEqual(self.server.put_chunk(self.token, up["id"], 0, data[:2000]).status,
                         200)
        resp = self.server.put_chunk(self.token, up["id"], 2000, data[2000:])
        self.assert_error(resp, 422, "hash_mismatch")
        self.assert_gone("/mismatch.bin")
        self.assertEqual(self.server.blob_files(), blobs_before)
        self.assertNotIn(up["id"] + ".part", self.server.part_files())
        self.assert_error(self.get_upload(up["id"]), 404, "not_found")
        self.assertNotIn("mismatch.bin",
                         [e["name"] for e in self.server.list(self.token).body["entries"]])

    def test_empty_file(self):
        resp = self.server.start_upload(self.token, "/empty.txt", b"", mtime=1600000000)
        self.assertEqual(resp.status, 201, resp)
        self.assertIs(resp.body["instant"], True)
        self.assertNotIn("upload", resp.body)
        node = self.assert_node(resp.body["file"], size=0, sha256=sha256_hex(b""),
                                mtime=1600000000, path="/empty.txt")
        got = self.server.download(self.token, id=node["id"])
        self.assertEqual(got.status, 200, got)
        self.assertEqual(got.raw, b"")

    def test_empty_file_wrong_hash(self):
        resp = self.server.start_upload(self.token, "/empty-bad.txt", b"",
                                        sha256=sha256_hex(b"not empty"))
        self.assert_error_one_of(resp, [(422, "hash_mismatch"), (400, "invalid_argument")])
        self.assert_gone("/empty-bad.txt")

    def test_abandon(self):
        data = content(100, seed=8)
        up = self.start("/abandon.bin", data)["upload"]
        self.server.put_chunk(self.token, up["id"], 0, data[:10])
        resp = self.server.request("DELETE", f"{API}/uploads/{up['id']}", token=self.token)
        self.assertEqual(resp.status, 200, resp)
        self.assertEqual(resp.body, {})
        self.assert_error(self.get_upload(up["id"]), 404, "not_found")
        self.assert_error(self.server.put_chunk(self.token, up["id"], 10, data[10:]), 404,
                          "not_found")
        self.assertNotIn(up["id"] + ".part", self.server.part_files())
        self.assert_gone("/abandon.bin")
        # The name is free.
        self.assertEqual(self.server.upload(self.token, "/abandon.bin", data).status, 201)

    def test_unknown_upload(self):
        for method, body in (("GET", None), ("DELETE", None)):
            resp = self.server.request(method, f"{API}/uploads/doesnotexist",
                                       token=self.token, body=body)
            self.assert_error(resp, 404, "not_found")
        self.assert_error(self.server.put_chunk(self.token, "doesnotexist", 0, b"x"), 404,
                          "not_found")

    def test_destination_problems(self):
        self.server.upload_file(self.token, "/plainfile", b"f")
        data = content(10, seed=9)
        cases = [("/NoParent/x.bin", 404, "not_found"),
                 ("/plainfile/x.bin", 409, "not_a_folder"),
                 ("/plainfile", 409, "exists")]
        for path, status, code in cases:
            with self.subTest(path=path):
                self.assert_error(self.server.start_upload(self.token, path, data), status,
                                  code)

    def test_name_taken_before_finish(self):
        """Two uploads to one free name: the second to finish finds it taken."""
        a, b = content(64, seed=10), content(64, seed=11)
        up_a = self.start("/race.bin", a)["upload"]
        up_b = self.start("/race.bin", b)["upload"]
        self.assertEqual(self.server.put_chunk(self.token, up_a["id"], 0, a).status, 201)
        resp = self.server.put_chunk(self.token, up_b["id"], 0, b)
        self.assert_error(resp, 409, "exists")
        self.assertEqual(self.server.download(self.token, path="/race.bin").raw, a)

    def test_expiry_moves_with_chunks(self):
        data = content(100, seed=12)
        up = self.start("/expires.bin", data)["upload"]
        time.sleep(1.1)
        resp = self.server.put_chunk(self.token, up["id"], 0, data[:50])
        self.assertGreater(resp.body["upload"]["expires"], up["expires"])
        self.server.request("DELETE", f"{API}/uploads/{up['id']}", token=self.token)

    def test_proof_without_challenge(self):
        data = content(100, seed=13)
        up = self.start("/nochallenge.bin", data)["upload"]
        resp = self.server.post(f"uploads/{up['id']}/proof", {"proof": sha256_hex(data)},
                                self.token)
        self.assert_error(resp, 409, "no_challenge")
        self.assertEqual(self.server.put_chunk(self.token, up["id"], 0, data).status, 201)


class ResumeTest(UploadTestCase):

    def test_half_sent_chunk_is_not_acknowledged(self):
        data = content(1_000_000, seed=30)
        up = self.start("/resume.bin", data)["upload"]
        resp = self.server.put_chunk(self.token, up["id"], 0, data[:250_000])
        self.assertEqual(resp.status, 200, resp)
        self.send_partial_put(up["id"], 250_000, data[250_000:750_000], 250_000)
        time.sleep(1.0)
        resp = self.get_upload(up["id"])
        self.assertEqual(resp.status, 200, resp)
        self.assertEqual(resp.body["upload"]["offset"], 250_000)
        self.assert_gone("/resume.bin")
        resp = self.server.put_chunk(self.token, up["id"], 250_000, data[250_000:])
        self.assertEqual(resp.status, 201, resp)
        self.assertEqual(self.server.download(self.token, path="/resume.bin").raw, data)
        self.assertEqual(self.body_temp_files(), [])

    def body_temp_files(self):
        return [os.path.join(d, f) for d, _, files in
                os.walk(os.path.join(self.server.data, "tmp")) for f in files]

    def send_partial_put(self, upload_id, offset, chunk, sent):
        """Sends a PUT announcing len(CHUNK) bytes but only SENT of them."""
        sock = socket.create_connection(("127.0.0.1", self.server.port), timeout=10)
        try:
            head = (f"PUT {API}/uploads/{upload_id}?offset={offset} HTTP/1.1\r\n"
                    f"Host: 127.0.0.1:{self.server.port}\r\n"
                    f"Authorization: Bearer {self.token}\r\n"
                    "Content-Type: application/octet-stream\r\n"
                    f"Content-Length: {len(chunk)}\r\n\r\n")
            sock.sendall(head.encode() + chunk[:sent])
            time.sleep(0.3)
        finally:
            sock.close()


class SweepTest(UploadTestCase):
    """With --upload-ttl 2, an untouched upload is gone once another starts."""

    INSTANCE_ARGS = ("--upload-ttl", "2")

    def test_abandoned_upload_swept(self):
        data = content(1000, seed=40)
        up = self.start("/swept.bin", data)["upload"]
        self.assertAlmostEqual(up["expires"], time.time() + 2, delta=2)
        self.assertEqual(self.server.put_chunk(self.token, up["id"], 0, data[:300]).status,
                         200)
        self.assertIn(up["id"] + ".part", self.server.part_files())
        time.sleep(3.5)
        self.start("/trigger.bin", content(10, seed=41))
        self.assert_error(self.get_upload(up["id"]), 404, "not_found")
        self.assertNotIn(up["id"] + ".part", self.server.part_files())
        self.assert_error(self.server.put_chunk(self.token, up["id"], 300, data[300:]), 404,
                          "not_found")
        self.assert_gone("/swept.bin")


class WorkerKillTest(UploadTestCase):
    """kill -9 of every worker in the middle of a chunk of a 512 MiB upload."""

    SIZE = 512 * MIB
    FIRST = MIB
    # the last chunk (511 MiB) is above the default chunk limit of 256m
    INSTANCE_ARGS = ("--max-chunk", "1g")

    def setUp(self):
        self.path = os.path.join(self.server.base, "kill-upload.bin")
        self.addCleanup(lambda: os.path.exists(self.path) and os.unlink(self.path))
        self.digest = write_pseudo_random_file(self.path, self.SIZE, seed=50)

    def test_kill_workers_during_last_chunk(self):
        self.check_kill_and_resume("/killed.bin", self.SIZE - self.FIRST)

    def test_kill_workers_during_a_middle_chunk(self):
        """The running hash saved with the offset is the one resumed from."""
        self.check_kill_and_resume("/killed-middle.bin", 256 * MIB)

    def check_kill_and_resume(self, path, killed_length):
        up = self.server.start_upload(self.token, path, size=self.SIZE,
                                      sha256=self.digest).body["upload"]
        first = FileBody(self.path, 0, self.FIRST)
        self.addCleanup(first.close)
        resp = self.server.put_stream(self.token, up["id"], 0, first, self.FIRST)
        self.assertEqual(resp.status, 200, resp)
        outcome, killed = self.put_and_kill(up["id"], killed_length)
        self.assertTrue(killed, f"never saw a worker handle the chunk: {outcome}")
        print(f"\n  killed workers {killed}; client saw {outcome}", file=sys.stderr)
        self.check_client_saw_failure(outcome)
        # 503 is right while the master respawns workers: wait for health.
        self.assert_healthy(within=5)
        self.check_nothing_visible(path)
        # a killed worker in the middle of a disk write leaves only once the
        # write returns (SIGKILL waits for uninterruptible sleep)
        deadline = time.monotonic() + 10
        workers = self.server.worker_pids()
        while set(workers) & set(killed) and time.monotonic() < deadline:
            time.sleep(0.05)
            workers = self.server.worker_pids()
        self.assertTrue(workers, "no workers after the crash")
        self.assertFalse(set(workers) & set(killed), workers)
        resp = self.get_upload(up["id"])
        self.assertEqual(resp.status, 200, resp)
        self.assertEqual(resp.body["upload"]["offset"], self.FIRST,
                         "an unacknowledged chunk counted")
        rest = FileBody(self.path, self.FIRST, self.SIZE - self.FIRST)
        self.addCleanup(rest.close)
        resp = self.server.put_stream(self.token, up["id"], self.FIRST, rest,
                                      self.SIZE - self.FIRST)
        self.assertEqual(resp.status, 201, resp)
        got, digest, count = self.server.download_digest(self.token, path=path)
        self.assertEqual((got.status, count, digest), (200, self.SIZE, self.digest))
        self.assertEqual(self.server.part_files(), [])
        # the next test uploads the same content and expects no blob of it
        self.assertEqual(self.server.delete(self.token, {"path": path}).status, 200)

    def put_and_kill(self, upload_id, length):
        """Streams the last chunk in a thread and kills every worker seen on it.

        nginx may retry a PUT on a fresh connection (upstream keepalive), so
        the workers that pick the retried request up are killed too, until
        nginx gives up and answers the client.
        """
        outcome = {}
        body = FileBody(self.path, self.FIRST, length)

        def send():
            try:
                outcome["resp"] = self.server.put_stream(
                    self.token, upload_id, self.FIRST, body, length)
            except OSError as exc:   # includes http.client's RemoteDisconnected
                outcome["error"] = exc

        thread = threading.Thread(target=send)
        thread.start()
        killed = []
        try:
            body.sent.wait(300)
            deadline = time.monotonic() + 60
            while thread.is_alive() and time.monotonic() < deadline:
                workers = self.server.worker_pids()
                if any(self.handles_body(pid) for pid in workers):
                    for pid in workers:
                        try:
                            os.kill(pid, signal.SIGKILL)
                        except ProcessLookupError:
                            pass    # it died between the listing and now
                    killed += workers
                time.sleep(0.002)
        finally:
            thread.join(300)
            body.close()
        return outcome, killed

    def handles_body(self, pid):
        """True when PID has an upload, body temp file or blob open."""
        data = self.server.data
        wanted = tuple(os.path.join(data, d) + "/" for d in ("uploads", "tmp", "blobs"))
        try:
            fds = os.listdir(f"/proc/{pid}/fd")
        except OSError:
            return False
        for fd in fds:
            try:
                target = os.readlink(f"/proc/{pid}/fd/{fd}")
            except OSError:
                continue
            if target.startswith(wanted):
                return True
        return False

    def check_client_saw_failure(self, outcome):
        """A 503 unavailable JSON error, or the connection failed."""
        if "resp" in outcome:
            self.assert_error(outcome["resp"], 503, "unavailable")
        else:
            self.assertIn("error", outcome, "the request never finished")

    def check_nothing_visible(self, path):
        """No node, no blob, no nginx body file left by the killed request."""
        self.assert_gone(path)
        digest = self.digest
        self.assertNotIn(f"{digest[:2]}/{digest[2:4]}/{digest}", self.server.blob_files())
        deadline = time.monotonic() + 5
        while self.body_temp_files() and time.monotonic() < deadline:
            time.sleep(0.1)
        self.assertEqual(self.body_temp_files(), [], "nginx body file left in tmp/")
        for name in self.server.part_files():
            self.assertTrue(re.fullmatch(r"[A-Za-z0-9_-]+\.part", name), name)

    def body_temp_files(self):
        return [os.path.join(d, f) for d, _, files in
                os.walk(os.path.join(self.server.data, "tmp")) for f in files]


if __name__ == "__main__":
    main()
