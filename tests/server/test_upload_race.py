"""Concurrent chunks for one upload, and blobs that do not hold what their
name says.

The attack replayed here: two PUTs at once for the same upload and offset,
one with the genuine last chunk and one with other bytes, used to make the
server hash one file and store another under the verified SHA-256. Every
user who later got that content instantly downloaded the attacker's bytes.
"""

import concurrent.futures
import hashlib
import os
import random
import sqlite3
import threading
import time

from yunpan_instance import MIB, ServerTestCase, main, sha256_hex


def blob_problems(data_dir):
    """Blob files whose bytes do not hash to their name."""
    bad = []
    root = os.path.join(data_dir, "blobs")
    for dirpath, _dirs, files in os.walk(root):
        for name in files:
            if name == ".lock":
                continue
            with open(os.path.join(dirpath, name), "rb") as f:
                digest = hashlib.sha256(f.read()).hexdigest()
            if digest != name:
                bad.append((name, digest))
    return bad


class ChunkRaceTest(ServerTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.token, _ = cls.server.new_user("race")

    def put_all_at_once(self, upload_id, chunks):
        """Sends every (offset, body) of CHUNKS at the same moment."""
        barrier = threading.Barrier(len(chunks))

        def put(chunk):
            barrier.wait()
            return self.server.put_chunk(self.token, upload_id, *chunk)

        with concurrent.futures.ThreadPoolExecutor(len(chunks)) as pool:
            return list(pool.map(put, chunks))

    def test_concurrent_puts_never_store_unverified_bytes(self):
        rng = random.Random(7)
        workers = sorted(self.server.worker_pids())
        for round_no in range(12):
            with self.subTest(round=round_no):
                size = rng.randrange(MIB // 2, 3 * MIB)
                genuine = rng.randbytes(size)
                path = f"/race-{round_no}.bin"
                resp = self.server.start_upload(self.token, path, genuine)
                self.assertEqual(resp.status, 201, resp)
                upload_id = resp.body["upload"]["id"]
                split = rng.randrange(1, size)
                if round_no % 2:
                    # the contest is for the last chunk
                    self.assertEqual(self.server.put_chunk(self.token, upload_id, 0,
                                                           genuine[:split]).status, 200)
                    at, rest = split, genuine[split:]
                else:
                    at, rest = 0, genuine
                chunks = [(at, rest)]
                chunks += [(at, rng.randbytes(len(rest))) for _ in range(4)]
                chunks += [(at, rng.randbytes(rng.randrange(1, len(rest) + 1)))
                           for _ in range(3)]
                rng.shuffle(chunks)
                answers = self.put_all_at_once(upload_id, chunks)
                for a in answers:
                    self.assertLess(a.status, 500, a)
                node = self.server.stat(self.token, path=path)
                if node.status == 200:
                    # whatever won, the file is what was verified: the genuine bytes
                    self.assertEqual(node.body["node"]["sha256"], sha256_hex(genuine))
                    self.assertEqual(self.server.download(self.token, path=path).raw, genuine)
                self.assertEqual(blob_problems(self.server.data), [])
        self.assertEqual(sorted(self.server.worker_pids()), workers, "a worker died")
        self.assertNotIn("killed by signal", self.server.stderr_text())

    def test_interleaved_uploads_of_shared_content(self):
        """Two accounts uploading the same new content at once, while a third
        races wrong bytes into its own upload of it: one blob, genuine."""
        other, _ = self.server.new_user("race2")
        genuine = random.Random(9).randbytes(2 * MIB + 5)
        starts = [(tok, self.server.start_upload(tok, "/shared.bin", genuine))
                  for tok in (self.token, other, self.token)]
        barrier = threading.Barrier(3)

        def send(i):
            tok, resp = starts[i]
            body = genuine if i < 2 else bytes(len(genuine))
            barrier.wait()
            return self.server.put_chunk(tok, resp.body["upload"]["id"], 0, body)

        with concurrent.futures.ThreadPoolExecutor(3) as pool:
            answers = list(pool.map(send, range(3)))
        statuses = sorted(a.status for a in answers)
        self.assertIn(201, statuses, answers)
        self.assertTrue(all(s < 500 for s in statuses), answers)
        for tok in (self.token, other):
            self.assertEqual(self.server.download(tok, path="/shared.bin").raw, genuine)
        self.assertEqual(blob_problems(self.server.data), [])


class BlobRepairTest(ServerTestCase):
    """A stored blob that holds other bytes is replaced by the next verified
    upload of that content, and the operator is told."""

    def test_damaged_blob_is_repaired_and_reported(self):
        alice, _ = self.server.new_user("alice")
        bob, _ = self.server.new_user("bob")
        genuine = random.Random(11).randbytes(MIB + 17)
        digest = sha256_hex(genuine)
        self.server.upload_file(alice, "/doc.bin", genuine)
        blob = os.path.join(self.server.data, "blobs", digest[:2], digest[2:4], digest)
        with open(blob, "r+b") as f:
            f.write(b"planted bytes")
        self.assertEqual(len(blob_problems(self.server.data)), 1)

        resp = self.server.upload(bob, "/doc.bin", genuine)
        self.assertEqual(resp.status, 201, resp)
        self.assertIs(resp.body["instant"], False)
        self.assertEqual(blob_problems(self.server.data), [])
        self.assertEqual(self.server.download(alice, path="/doc.bin").raw, genuine)
        deadline = time.monotonic() + 5
        while "held other bytes" not in self.server.stderr_text() \
                and time.monotonic() < deadline:
            time.sleep(0.1)
        self.assertIn(f"blob {digest} held other bytes", self.server.stderr_text())

    def test_identical_reupload_reports_nothing(self):
        carol, _ = self.server.new_user("carol")
        dave, _ = self.server.new_user("dave")
        data = random.Random(12).randbytes(300_000)
        self.server.upload_file(carol, "/same.bin", data)
        self.server.upload_file(dave, "/same.bin", data)
        time.sleep(0.3)
        self.assertNotIn(f"blob {sha256_hex(data)}", self.server.stderr_text())
        self.assertEqual(blob_problems(self.server.data), [])


class CommitFailureTest(ServerTestCase):
    """The store links the verified staging file's inode as the blob; if the
    metadata commit then fails, no later chunk may write into that inode.
    A trigger makes the commit fail, as a full disk or a constraint would."""

    def inject(self, sql):
        db = sqlite3.connect(os.path.join(self.server.data, "yunpan.db"), timeout=15)
        try:
            db.execute(sql)
            db.commit()
        finally:
            db.close()

    def test_failed_commit_leaves_no_writable_blob(self):
        victim, _ = self.server.new_user("victim")
        attacker, _ = self.server.new_user("attacker")
        genuine = random.Random(21).randbytes(2 * MIB + 9)
        self.server.upload_file(victim, "/report.bin", genuine)
        self.inject("CREATE TRIGGER fail_boom BEFORE INSERT ON nodes WHEN NEW.name = 'boom.bin'"
                    " BEGIN SELECT RAISE(FAIL, 'injected failure'); END")
        self.addCleanup(self.inject, "DROP TRIGGER IF EXISTS fail_boom")

        upload = self.server.start_upload(attacker, "/boom.bin", genuine).body["upload"]
        half = len(genuine) // 2
        self.assertEqual(self.server.put_chunk(attacker, upload["id"], 0,
                                               genuine[:half]).status, 200)
        resp = self.server.put_chunk(attacker, upload["id"], half, genuine[half:])
        self.assert_error(resp, 500, "internal")
        # the same chunk again, with other bytes: the session is gone
        evil = b"EVIL" * ((len(genuine) - half) // 4 + 1)
        resp = self.server.put_chunk(attacker, upload["id"], half, evil[:len(genuine) - half])
        self.assert_error(resp, 404, "not_found")
        self.assertEqual(blob_problems(self.server.data), [])
        self.assertEqual(self.server.download(victim, path="/report.bin").raw, genuine)


if __name__ == "__main__":
    main()
