"""Uploads with two chunks in flight, and the running hash kept between chunks."""

import os
import signal
import socket
import sqlite3
import threading
import time

from yunpan_instance import API, MIB, ServerTestCase, child_pids, main, sha256_hex
from yunpan_instance import content as shared_content


def content(n, seed=0):
    """N deterministic bytes that differ from every other test's content."""
    return shared_content(n, seed, tag="pipeline ")


class PipelineTestCase(ServerTestCase):
    """An instance whose chunks are at most 1 MiB, so that small files have several."""

    INSTANCE_ARGS = ("--max-chunk", "1m")

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.token, cls.user = cls.server.new_user("pipe")

    def start(self, path, data):
        resp = self.server.start_upload(self.token, path, data)
        self.assertEqual(resp.status, 201, resp)
        return resp.body["upload"]

    def put(self, upload_id, offset, data):
        return self.server.put_chunk(self.token, upload_id, offset, data)

    def offset_of(self, upload_id):
        resp = self.server.request("GET", f"{API}/uploads/{upload_id}", token=self.token)
        self.assertEqual(resp.status, 200, resp)
        return resp.body["upload"]["offset"]

    def assert_stored(self, path, data):
        self.assertEqual(self.server.download(self.token, path=path).raw, data)
        self.assertEqual(self.server.part_files(), [])


class TwoInFlightTest(PipelineTestCase):

    def test_upload_says_how_large_a_chunk_may_be(self):
        up = self.start("/max.bin", content(10, seed=1))
        self.assertEqual(up["max_chunk"], MIB)
        self.server.request("DELETE", f"{API}/uploads/{up['id']}", token=self.token)

    def test_next_chunk_waits_for_the_one_before(self):
        """Chunk 1 arrives first; it is applied once chunk 0 has been."""
        data = content(2 * MIB + 12345, seed=2)
        up = self.start("/overtaken.bin", data)
        answers = {}

        def send_second():
            resp = self.put(up["id"], MIB, data[MIB:2 * MIB])
            answers["second"] = (resp, time.monotonic())

        second = threading.Thread(target=send_second)
        second.start()
        time.sleep(0.5)
        first = self.put(up["id"], 0, data[:MIB])
        first_at = time.monotonic()
        second.join(30)
        resp, second_at = answers["second"]
        self.assertEqual(first.status, 200, first)
        self.assertEqual(first.body["upload"]["offset"], MIB)
        self.assertEqual(resp.status, 200, resp)
        self.assertEqual(resp.body["upload"]["offset"], 2 * MIB)
        self.assertGreaterEqual(second_at, first_at - 0.05, "chunk 1 applied before chunk 0")
        resp = self.put(up["id"], 2 * MIB, data[2 * MIB:])
        self.assertEqual(resp.status, 201, resp)
        self.assert_stored("/overtaken.bin", data)

    def test_chunk_ahead_alone_is_refused_after_a_wait(self):
        data = content(2 * MIB, seed=3)
        up = self.start("/alone.bin", data)
        began = time.monotonic()
        err = self.assert_error(self.put(up["id"], MIB, data[MIB:]), 409, "offset_mismatch")
        waited = time.monotonic() - began
        self.assertEqual(err.get("offset"), 0)
        self.assertGreater(waited, 3, "answered before its predecessor could come")
        self.assertLess(waited, 20)
        self.assertEqual(self.offset_of(up["id"]), 0)
        self.assertEqual(self.put(up["id"], 0, data[:MIB]).status, 200)
        self.assertEqual(self.put(up["id"], MIB, data[MIB:]).status, 201)
        self.assert_stored("/alone.bin", data)

    def test_chunk_further_ahead_is_refused_at_once(self):
        data = content(3 * MIB, seed=4)
        up = self.start("/far.bin", data)
        for offset in (MIB + 1, 2 * MIB, 3 * MIB):
            with self.subTest(offset=offset):
                began = time.monotonic()
                err = self.assert_error(self.put(up["id"], offset, data[offset:][:10] or b"x"),
                                        409, "offset_mismatch")
                self.assertEqual(err.get("offset"), 0)
                self.assertLess(time.monotonic() - began, 2, "waited for a chunk out of reach")
        self.assertEqual(self.offset_of(up["id"]), 0)

    def test_chunk_larger_than_the_limit(self):
        data = content(MIB + 1, seed=5)
        up = self.start("/large-chunk.bin", data)
        self.assert_error(self.put(up["id"], 0, data), 413, "too_large")
        self.assertEqual(self.offset_of(up["id"]), 0)

    def test_retried_chunk_is_not_applied_twice(self):
        """The same chunk sent twice at once: one is applied, the other is out of turn."""
        data = content(MIB + 500, seed=6)
        up = self.start("/twice.bin", data)
        answers = []

        def send():
            answers.append(self.put(up["id"], 0, data[:MIB]))

        threads = [threading.Thread(target=send) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        statuses = sorted(r.status for r in answers)
        self.assertEqual(statuses, [200, 409], answers)
        self.assertEqual(self.offset_of(up["id"]), MIB)
        self.assertEqual(self.put(up["id"], MIB, data[MIB:]).status, 201)
        self.assert_stored("/twice.bin", data)


class CrashedNginxTest(PipelineTestCase):
    """nginx never forgets the connections a killed worker of it held: an
    upload whose two chunks were arriving then must still take chunks."""

    def test_chunks_after_nginx_workers_die(self):
        data = content(2 * MIB, seed=30)
        up = self.start("/after-crash.bin", data)
        socks = []
        try:
            for offset in (0, MIB):
                sock = socket.create_connection(("127.0.0.1", self.server.port), timeout=10)
                sock.sendall((f"PUT {API}/uploads/{up['id']}?offset={offset} HTTP/1.1\r\n"
                              f"Host: x\r\nAuthorization: Bearer {self.token}\r\n"
                              f"Content-Length: {MIB}\r\n\r\n").encode() + data[:1000])
                socks.append(sock)
            time.sleep(0.5)
            workers = child_pids(self.server.nginx_pid())
            self.assertTrue(workers, "no nginx workers")
            for pid in workers:
                os.kill(pid, signal.SIGKILL)
            deadline = time.monotonic() + 10
            while set(child_pids(self.server.nginx_pid())) & set(workers):
                self.assertLess(time.monotonic(), deadline, "nginx did not replace its workers")
                time.sleep(0.05)
        finally:
            for sock in socks:
                sock.close()
        resp = self.put_when_admitted(up["id"], 0, data[:MIB])
        self.assertEqual(resp.status, 200, resp)
        self.assertEqual(self.put_when_admitted(up["id"], MIB, data[MIB:]).status, 201)
        self.assert_stored("/after-crash.bin", data)

    def put_when_admitted(self, upload_id, offset, data):
        """nginx counts a request out of the limit only once it has freed it,
        which may be just after its answer reached the client: a chunk sent at
        once may be refused as busy for a moment, and is sent again as the
        client library does. A slot that stays taken fails the test."""
        deadline = time.monotonic() + 5
        while True:
            resp = self.put(upload_id, offset, data)
            if resp.status != 429 or time.monotonic() > deadline:
                return resp
            time.sleep(0.1)


class HashStateTest(PipelineTestCase):
    """The running hash lives in the upload's row; without it the server rehashes."""

    def set_state(self, upload_id, state):
        db = sqlite3.connect(os.path.join(self.server.data, "yunpan.db"), timeout=10)
        try:
            with db:
                db.execute("UPDATE uploads SET hash_state = ? WHERE id = ?", (state, upload_id))
        finally:
            db.close()

    def get_state(self, upload_id):
        db = sqlite3.connect(os.path.join(self.server.data, "yunpan.db"), timeout=10)
        try:
            row = db.execute("SELECT hash_state FROM uploads WHERE id = ?",
                             (upload_id,)).fetchone()
        finally:
            db.close()
        return row[0]

    def upload_with_state(self, path, seed, state_of):
        data = content(2 * MIB + 777, seed=seed)
        up = self.start(path, data)
        self.assertEqual(self.put(up["id"], 0, data[:MIB]).status, 200)
        saved = self.get_state(up["id"])
        self.assertEqual(len(saved), 106, "no hash state saved with the offset")
        self.set_state(up["id"], state_of(saved))
        self.assertEqual(self.put(up["id"], MIB, data[MIB:2 * MIB]).status, 200)
        resp = self.put(up["id"], 2 * MIB, data[2 * MIB:])
        self.assertEqual(resp.status, 201, resp)
        self.assert_stored(path, data)

    def test_state_saved_with_each_chunk(self):
        data = content(2 * MIB + 1, seed=10)
        up = self.start("/states.bin", data)
        self.assertIsNone(self.get_state(up["id"]))
        self.assertEqual(self.put(up["id"], 0, data[:MIB]).status, 200)
        first = self.get_state(up["id"])
        self.assertEqual(self.put(up["id"], MIB, data[MIB:2 * MIB]).status, 200)
        second = self.get_state(up["id"])
        self.assertNotEqual(first, second)
        self.assertEqual(self.put(up["id"], 2 * MIB, data[2 * MIB:]).status, 201)
        self.assert_stored("/states.bin", data)

    def test_missing_state_is_rebuilt(self):
        """An upload begun before the server kept hash states."""
        self.upload_with_state("/no-state.bin", 11, lambda saved: None)

    def test_damaged_state_is_rebuilt(self):
        for name, damage in (("version", lambda s: b"\x09" + s[1:]),
                             ("length", lambda s: s[:50]),
                             ("partial block", lambda s: s[:41] + b"\x3f" + s[42:]),
                             ("other length", lambda s: s[:33] + b"\0\0\0\0\0\0\0\x08"
                              + b"\x01" + s[42:])):
            with self.subTest(damage=name):
                self.upload_with_state(f"/damaged-{name}.bin", 12 + len(name), damage)

    def test_hash_mismatch_at_the_end_stores_nothing(self):
        data = content(2 * MIB, seed=20)
        claimed = sha256_hex(data[:-1] + b"?")
        resp = self.server.start_upload(self.token, "/liar.bin", size=len(data),
                                        sha256=claimed)
        self.assertEqual(resp.status, 201, resp)
        up = resp.body["upload"]
        blobs = self.server.blob_files()
        self.assertEqual(self.put(up["id"], 0, data[:MIB]).status, 200)
        self.assert_error(self.put(up["id"], MIB, data[MIB:]), 422, "hash_mismatch")
        self.assert_error(self.server.stat(self.token, path="/liar.bin"), 404, "not_found")
        self.assertEqual(self.server.blob_files(), blobs)
        self.assertEqual(self.server.part_files(), [])


class SlowProofTest(ServerTestCase):
    """A wrong proof held past nginx's usual 60 s still gets its answer."""

    # 1 MiB/s: a wrong proof for 62 MiB is held 62 s, as one for 15.5 GiB
    # is at the default 256 MiB/s
    INSTANCE_ARGS = ("--", "--instant-proof-rate", "1")
    SIZE = 62 * MIB

    def test_wrong_proof_answered_after_a_minute(self):
        token, _ = self.server.new_user("slowproof")
        resp = self.server.start_upload(token, "/slow.bin", size=self.SIZE,
                                        sha256=sha256_hex(b"slow proof"))
        self.assertEqual(resp.status, 201, resp)
        self.assertIn("challenge", resp.body)
        began = time.monotonic()
        resp = self.server.request("POST", f"{API}/uploads/{resp.body['upload']['id']}/proof",
                                   {"proof": "0" * 64}, token, timeout=120)
        waited = time.monotonic() - began
        self.assert_error(resp, 403, "proof_failed")
        self.assertGreater(waited, 61)


if __name__ == "__main__":
    main()
