"""Instant upload (秒传): the proof of possession, and what it must not reveal.

The attacks these tests replay: a hash alone claiming the content; knowing
all of a document but the PIN in it; telling from the answer to "start", or
from how long a wrong proof takes, whether anyone's copy exists; trying many
candidates in a row; several proofs sent at once for one challenge.
"""

import concurrent.futures
import hashlib
import os
import statistics
import time

from yunpan_instance import (API, MIB, ServerTestCase, compute_proof, main, sha256_hex)

# the server's default: smaller files are matched only against the caller's own
INSTANT_MIN = 4 * MIB


def content(n, seed):
    """N deterministic bytes, different for every SEED."""
    block = hashlib.sha256(f"instant:{seed}".encode()).digest() * 2048   # 64 KiB
    out = bytearray()
    i = 0
    while len(out) < n:
        out += hashlib.sha256(block[:32] + i.to_bytes(8, "little")).digest() + block[32:]
        i += 1
    return bytes(out[:n])


class InstantTestCase(ServerTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.owner, _ = cls.server.new_user("owner")

    def start(self, token, path, data=None, size=None, sha256=None, **extra):
        resp = self.server.start_upload(token, path, data, size=size, sha256=sha256, **extra)
        self.assertEqual(resp.status, 201, resp)
        return resp.body

    def prove(self, token, upload, proof):
        return self.server.post(f"uploads/{upload['id']}/proof", {"proof": proof}, token)

    def assert_gone(self, token, path):
        self.assert_error(self.server.stat(token, path=path), 404, "not_found")

    def stored_elsewhere(self, seed, size=INSTANT_MIN + 1000):
        """Content of SIZE bytes that the owner holds; returns it."""
        data = content(size, seed)
        self.server.upload_file(self.owner, f"/stored-{seed}.bin", data)
        return data


class ProofTest(InstantTestCase):
    """The proof is SHA-256(nonce ‖ every byte); nothing less passes."""

    def test_whole_content_proof_gives_the_file(self):
        data = self.stored_elsewhere(1)
        token, _ = self.server.new_user("inst")
        body = self.start(token, "/copy.bin", data)
        ch = body["challenge"]
        self.assertEqual(sorted(ch), ["nonce"], ch)
        self.assertRegex(ch["nonce"], r"^[0-9a-f]{32}$")
        resp = self.prove(token, body["upload"], compute_proof(ch["nonce"], data))
        self.assertEqual(resp.status, 201, resp)
        self.assertIs(resp.body["instant"], True)
        self.assert_node(resp.body["file"], path="/copy.bin", size=len(data),
                         sha256=sha256_hex(data))
        self.assertEqual(self.server.download(token, path="/copy.bin").raw, data)
        self.assert_error(self.server.request("GET", f"{API}/uploads/{body['upload']['id']}",
                                              token=token), 404, "not_found")

    def test_knowing_all_but_a_secret_is_worth_nothing(self):
        """A document whose only unknown is a 4-digit PIN in its middle."""
        head, tail = content(INSTANT_MIN, 2), content(600_000, 3)
        secret = head + b"PIN=4711;" + tail
        self.server.upload_file(self.owner, "/letter.txt", secret)
        thief, _ = self.server.new_user("thief")
        for guess in ("0000", "4710", "4712", "9999"):
            with self.subTest(guess=guess):
                candidate = head + f"PIN={guess};".encode() + tail
                # the thief knows the real hash and every other byte
                body = self.start(thief, "/loot.txt", size=len(secret),
                                  sha256=sha256_hex(secret))
                ch = body["challenge"]
                resp = self.prove(thief, body["upload"], compute_proof(ch["nonce"], candidate))
                self.assert_error(resp, 403, "proof_failed")
                self.assertNotIn("file", resp.body)
        self.assertEqual(self.server.list(thief).body["total"], 0)

    def test_hash_alone_never_yields_the_file(self):
        data = self.stored_elsewhere(4)
        digest = sha256_hex(data)
        thief, _ = self.server.new_user("hashonly")
        for guess in (digest, sha256_hex(bytes.fromhex(digest)), "0" * 64):
            with self.subTest(guess=guess[:8]):
                body = self.start(thief, "/loot.bin", size=len(data), sha256=digest)
                ch = body["challenge"]
                for proof in (guess, compute_proof(ch["nonce"], b"")):
                    resp = self.prove(thief, body["upload"], proof)
                    self.assertIn(resp.status, (403, 409), resp)
                    self.assertNotIn("file", resp.body)
                resp = self.server.put_chunk(thief, body["upload"]["id"], 0,
                                             content(len(data), 99))
                self.assert_error(resp, 422, "hash_mismatch")
        self.assertEqual(self.server.list(thief).body["total"], 0)

    def test_one_changed_byte_fails(self):
        data = self.stored_elsewhere(5)
        body = self.start(self.owner, "/near.bin", data)
        near = bytearray(data)
        near[-1] ^= 1
        resp = self.prove(self.owner, body["upload"],
                          compute_proof(body["challenge"]["nonce"], bytes(near)))
        self.assert_error(resp, 403, "proof_failed")
        self.assert_gone(self.owner, "/near.bin")

    def test_wrong_proof_spends_the_challenge_then_bytes_work(self):
        data = self.stored_elsewhere(6)
        body = self.start(self.owner, "/wrong.bin", data)
        self.assert_error(self.prove(self.owner, body["upload"], "0" * 64), 403, "proof_failed")
        right = compute_proof(body["challenge"]["nonce"], data)
        self.assert_error(self.prove(self.owner, body["upload"], right), 409, "no_challenge")
        resp = self.server.put_chunk(self.owner, body["upload"]["id"], 0, data)
        self.assertEqual(resp.status, 201, resp)
        self.assertIs(resp.body["instant"], False)

    def test_proofs_do_not_replay(self):
        data = self.stored_elsewhere(7)
        first = self.start(self.owner, "/replay1.bin", data)
        second = self.start(self.owner, "/replay2.bin", data)
        self.assertNotEqual(first["challenge"]["nonce"], second["challenge"]["nonce"])
        proof1 = compute_proof(first["challenge"]["nonce"], data)
        self.assert_error(self.prove(self.owner, second["upload"], proof1), 403,
                          "proof_failed")
        self.assertEqual(self.prove(self.owner, first["upload"], proof1).status, 201)

    def test_upload_over_by_proof(self):
        data = self.stored_elsewhere(8)
        old = self.server.upload_file(self.owner, "/over.bin", b"old")
        body = self.start(self.owner, "/over.bin", data, if_version=old["version"])
        resp = self.prove(self.owner, body["upload"], compute_proof(body["challenge"]["nonce"],
                                                                    data))
        self.assertEqual(resp.status, 201, resp)
        self.assertEqual(resp.body["file"]["id"], old["id"])
        self.assertEqual(self.server.download(self.owner, id=old["id"]).raw, data)

    def test_parallel_wrong_proofs_get_one_try(self):
        data = self.stored_elsewhere(9)
        body = self.start(self.owner, "/race.bin", data)
        with concurrent.futures.ThreadPoolExecutor(16) as pool:
            answers = list(pool.map(
                lambda i: self.prove(self.owner, body["upload"], f"{i:064x}"), range(16)))
        codes = sorted((a.status, a.body["error"]["code"]) for a in answers)
        self.assertEqual(codes.count((403, "proof_failed")), 1, codes)
        self.assertEqual(codes.count((409, "no_challenge")), 15, codes)

    def test_staging_file_goes_when_proof_completes(self):
        """Bytes sent before a successful proof leave nothing behind."""
        data = self.stored_elsewhere(10)
        body = self.start(self.owner, "/half.bin", data)
        upload = body["upload"]
        self.assertEqual(self.server.put_chunk(self.owner, upload["id"], 0,
                                               data[:MIB]).status, 200)
        self.assertIn(upload["id"] + ".part", self.server.part_files())
        resp = self.prove(self.owner, upload, compute_proof(body["challenge"]["nonce"], data))
        self.assertEqual(resp.status, 201, resp)
        left = [f for f in os.listdir(os.path.join(self.server.data, "uploads"))
                if f.startswith(upload["id"])]
        self.assertEqual(left, [])


class OracleTest(InstantTestCase):
    """Nothing before a right proof tells whether anyone holds the content."""

    def test_start_looks_the_same_for_stored_and_unknown_content(self):
        stored = self.stored_elsewhere(20)
        unknown = content(len(stored), 21)
        prober, _ = self.server.new_user("prober")
        a = self.start(prober, "/a.bin", stored)
        b = self.start(prober, "/b.bin", unknown)
        self.assertEqual(sorted(a), sorted(b))
        self.assertEqual(sorted(a["challenge"]), sorted(b["challenge"]))
        self.assertEqual(sorted(a["upload"]), sorted(b["upload"]))
        for body in (a, b):
            resp = self.prove(prober, body["upload"], "1" * 64)
            self.assert_error(resp, 403, "proof_failed")
            self.assertEqual(sorted(resp.body["error"]), ["code", "message"])
        self.assertEqual(*(self.prove(prober, body["upload"], "1" * 64).body
                           for body in (a, b)))

    def test_wrong_proofs_take_as_long_either_way(self):
        """The server hashes a stored blob to check a proof; for unknown
        content it must take as long, even when the blob is read cold from
        disk: a wrong answer waits for the time reading the declared size at
        --instant-proof-rate (256 MiB/s by default) takes."""
        size = 48 * MIB
        deadline = size / (256 * MIB)
        stored = self.stored_elsewhere(22, size)
        digest = sha256_hex(stored)
        blob = os.path.join(self.server.data, "blobs", digest[:2], digest[2:4], digest)
        prober, _ = self.server.new_user("timer")
        times = {"stored": [], "unknown": []}
        digests = {"stored": digest, "unknown": sha256_hex(b"unknown" * 9)}
        for _ in range(5):
            for kind in ("stored", "unknown"):
                body = self.start(prober, f"/t-{kind}.bin", size=size, sha256=digests[kind])
                if kind == "stored":
                    with open(blob, "rb") as f:     # cold: out of the page cache
                        os.posix_fadvise(f.fileno(), 0, 0, os.POSIX_FADV_DONTNEED)
                t0 = time.monotonic()
                resp = self.prove(prober, body["upload"], "2" * 64)
                times[kind].append(time.monotonic() - t0)
                self.assert_error(resp, 403, "proof_failed")
                self.server.request("DELETE", f"{API}/uploads/{body['upload']['id']}",
                                    token=prober)
        for kind in times:
            self.assertGreaterEqual(min(times[kind]), deadline * 0.95, (kind, times))
        stored_t, unknown_t = (statistics.median(times[k]) for k in ("stored", "unknown"))
        self.assertLess(max(stored_t, unknown_t) / min(stored_t, unknown_t), 1.3,
                        f"median wrong-proof time: stored {stored_t:.3f} s, "
                        f"unknown {unknown_t:.3f} s")

    def test_small_files_match_only_the_callers_own(self):
        """Below the threshold, another account's copy is never offered."""
        small = content(50_000, 23)
        self.server.upload_file(self.owner, "/small.txt", small)
        prober, _ = self.server.new_user("small")
        body = self.start(prober, "/small.txt", small)
        self.assertNotIn("challenge", body)
        # the same answer as for content nobody has
        self.assertNotIn("challenge", self.start(prober, "/other.txt", content(50_000, 24)))
        # the owner copying their own small file gets it instantly
        own = self.start(self.owner, "/small-copy.txt", small)
        resp = self.prove(self.owner, own["upload"], compute_proof(own["challenge"]["nonce"],
                                                                   small))
        self.assertEqual(resp.status, 201, resp)
        self.assertIs(resp.body["instant"], True)


class ProofSlotTest(InstantTestCase):
    """Each proof reads up to a whole file: a bounded number run at once, and
    the rest are told at once to send the bytes instead."""

    INSTANCE_ARGS = ("--", "--proof-slots", "1", "--instant-proof-rate", "16")

    def test_busy_proofs_are_turned_away_at_once(self):
        size = 32 * MIB      # held for 2 s at 16 MiB/s
        first, _ = self.server.new_user("slow")
        second, _ = self.server.new_user("turned")
        a = self.start(first, "/a.bin", size=size, sha256=sha256_hex(b"a"))
        b = self.start(second, "/b.bin", size=size, sha256=sha256_hex(b"b"))
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            slow = pool.submit(self.prove, first, a["upload"], "3" * 64)
            time.sleep(0.5)
            t0 = time.monotonic()
            resp = self.prove(second, b["upload"], "4" * 64)
            elapsed = time.monotonic() - t0
            health = self.server.health()
            self.assert_error(slow.result(), 403, "proof_failed")
        self.assert_error(resp, 409, "no_challenge")
        self.assertIn("busy", resp.body["error"]["message"])
        self.assertLess(elapsed, 1.0)
        self.assertEqual(health.status, 200)
        # the challenge was spent; the bytes still go up
        self.assert_error(self.prove(second, b["upload"], "4" * 64), 409, "no_challenge")


    def test_bytes_are_applied_while_a_wrong_proof_waits(self):
        """A wrong answer waits outside the upload's lock: the client may
        send the bytes meanwhile and get its file before the answer."""
        size = 48 * MIB      # the wrong answer is held for 3 s at 16 MiB/s
        data = content(size, 50)
        token, _ = self.server.new_user("overlap")
        body = self.start(token, "/overlap.bin", data)
        done = {}

        def prove():
            resp = self.prove(token, body["upload"], "5" * 64)
            done["proof"] = time.monotonic()
            return resp

        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            proof = pool.submit(prove)
            time.sleep(0.3)
            resp = self.server.put_chunk(token, body["upload"]["id"], 0, data)
            done["bytes"] = time.monotonic()
            self.assertEqual(resp.status, 201, resp)
            self.assertIn(proof.result().status, (403, 404), proof.result())
        self.assertLess(done["bytes"], done["proof"] - 0.5, done)
        self.assertEqual(self.server.download(token, path="/overlap.bin").raw, data)


class ProofJudgingTest(InstantTestCase):
    """Judging a proof reads a whole file's worth of bytes, outside the
    upload's lock: chunks of the same upload are not held up meanwhile."""

    # a wrong proof for 4 GiB is judged (4 GiB of nothing hashed) in a few
    # seconds and held for 4 s in all
    INSTANCE_ARGS = ("--", "--instant-proof-rate", "1024")

    def test_chunks_are_applied_while_a_proof_is_judged(self):
        size = 4 << 30
        token, _ = self.server.new_user("judged")
        body = self.start(token, "/judged.bin", size=size, sha256=sha256_hex(b"judged"))
        self.assertIn("challenge", body)
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            proof = pool.submit(self.prove, token, body["upload"], "6" * 64)
            time.sleep(0.2)
            t0 = time.monotonic()
            resp = self.server.put_chunk(token, body["upload"]["id"], 0, content(MIB, 60))
            elapsed = time.monotonic() - t0
            judged = proof.result()
        self.assertEqual(resp.status, 200, resp)
        self.assertLess(elapsed, 1.0, "the chunk waited for the proof to be judged")
        self.assert_error(judged, 403, "proof_failed")


class BudgetTest(InstantTestCase):
    """A limited number of cross-account challenges per account and hour."""

    INSTANCE_ARGS = ("--", "--instant-budget", "3")

    def test_candidates_run_out(self):
        prober, _ = self.server.new_user("budget")
        size = INSTANT_MIN + 10
        offered = []
        for i in range(6):
            body = self.start(prober, f"/cand{i}.bin", size=size,
                              sha256=sha256_hex(f"candidate {i}".encode()))
            offered.append("challenge" in body)
        self.assertEqual(offered, [True] * 3 + [False] * 3)
        # without a challenge, the bytes still go up normally
        data = content(size, 30)
        resp = self.server.upload(prober, "/sent.bin", data)
        self.assertEqual(resp.status, 201, resp)
        self.assertIs(resp.body["instant"], False)
        # and the account's own content is not limited
        own = self.start(prober, "/sent-copy.bin", data)
        self.assertIn("challenge", own)


class ExpiryTest(InstantTestCase):
    """An expired upload is refused by every step, not only swept later."""

    INSTANCE_ARGS = ("--upload-ttl", "2")

    def test_expired_upload_is_refused(self):
        data = self.stored_elsewhere(40)
        body = self.start(self.owner, "/late.bin", data)
        upload = body["upload"]
        self.assertEqual(self.server.put_chunk(self.owner, upload["id"], 0, data[:1000]).status,
                         200)
        time.sleep(3.2)
        get = self.server.request("GET", f"{API}/uploads/{upload['id']}", token=self.owner)
        self.assert_error(get, 404, "not_found")
        self.assert_error(self.server.put_chunk(self.owner, upload["id"], 1000, data[1000:]),
                          404, "not_found")
        self.assert_error(self.prove(self.owner, upload,
                                     compute_proof(body["challenge"]["nonce"], data)),
                          404, "not_found")
        self.assert_gone(self.owner, "/late.bin")
        self.assertNotIn(upload["id"] + ".part", self.server.part_files())


if __name__ == "__main__":
    main()
