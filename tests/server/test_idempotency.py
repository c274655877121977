"""Idempotency-Key: a change sent again with its key is answered, not applied again.

docs/protocol.md ("Idempotency") is the contract: the first answer is kept
per user and key with the request's fingerprint; a repeat gets it back with
`Idempotent-Replayed: true`, another request under the same key gets 422
idempotency_key_reused, a repeat while the first runs gets 409
request_in_progress, answers of 5xx and 429 are not kept, and keys are
forgotten after their retention.
"""

import concurrent.futures
import fcntl
import glob
import os
import secrets
import signal
import sqlite3
import threading
import time

from yunpan_instance import (API, DEFAULT_PASSWORD, MIB, ServerTestCase, compute_proof,
                             main, retry_when_busy, sha256_hex)

REPLAYED = "Idempotent-Replayed"


def new_key():
    """A fresh key, as a client makes one per logical operation."""
    return secrets.token_urlsafe(18)


class IdempotencyTestCase(ServerTestCase):
    """One user per class; helpers for keyed requests and the change feed."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.token, cls.user = cls.server.new_user("idem")

    def keyed(self, method, endpoint, body, key, token=None):
        """METHOD API/ENDPOINT with BODY (a dict, or None) and Idempotency-Key KEY."""
        headers = {"Idempotency-Key": key}
        token = token or self.token
        if method == "POST":
            return self.server.post(endpoint, body, token, headers=headers)
        return self.server.request(method, f"{API}/{endpoint}", body=body, token=token,
                                   headers=headers)

    def cursor(self, token=None):
        return self.server.whoami(token or self.token).body["cursor"]

    def changes_since(self, since, token=None):
        resp = self.server.get("changes", token or self.token, {"since": since})
        self.assertEqual(resp.status, 200, resp)
        return [(c["op"], c["node"]["path"]) for c in resp.body["changes"]]

    def assert_first(self, resp, status):
        """RESP is a first answer: STATUS, not marked as replayed."""
        self.assertEqual(resp.status, status, resp)
        self.assertIsNone(resp.headers.get(REPLAYED), resp)

    def assert_replay_of(self, resp, first):
        """RESP replays FIRST: same status and body, marked as replayed."""
        self.assertEqual(resp.status, first.status, resp)
        self.assertEqual(resp.headers.get(REPLAYED), "true", resp)
        self.assertEqual(resp.raw, first.raw)
        self.assertEqual(resp.headers.get("Content-Type"), "application/json")


class RetryTest(IdempotencyTestCase):
    """Each keyed endpoint, retried with its key, answers the same and applies once."""

    def test_mkdir_retried(self):
        key, start = new_key(), self.cursor()
        first = self.keyed("POST", "files/mkdir", {"path": "/Mk"}, key)
        self.assert_first(first, 201)
        again = self.keyed("POST", "files/mkdir", {"path": "/Mk"}, key)
        self.assert_replay_of(again, first)
        self.assertEqual(self.changes_since(start), [("create", "/Mk")])
        # without its key the same request is a second one
        self.assert_error(self.server.mkdir(self.token, "/Mk"), 409, "exists")

    def test_move_retried(self):
        self.server.upload_file(self.token, "/mv-a.txt", b"move me")
        key, start = new_key(), self.cursor()
        body = {"path": "/mv-a.txt", "to_path": "/mv-b.txt"}
        first = self.keyed("POST", "files/move", body, key)
        self.assert_first(first, 200)
        self.assert_replay_of(self.keyed("POST", "files/move", body, key), first)
        self.assertEqual(self.changes_since(start), [("move", "/mv-b.txt")])
        self.assert_error(self.server.move(self.token, body), 404, "not_found")

    def test_delete_retried(self):
        node = self.server.upload_file(self.token, "/del.txt", b"delete me")
        key, start = new_key(), self.cursor()
        body = {"id": node["id"], "if_version": node["version"]}
        first = self.keyed("POST", "files/delete", body, key)
        self.assert_first(first, 200)
        self.assertEqual(first.body["id"], node["id"])
        self.assert_replay_of(self.keyed("POST", "files/delete", body, key), first)
        self.assertEqual(self.changes_since(start), [("delete", "/del.txt")])
        self.assert_error(self.server.delete(self.token, body), 404, "not_found")

    def test_upload_start_retried(self):
        data = b"one upload, not two"
        key, start = new_key(), self.cursor()
        body = {"path": "/up.txt", "size": len(data), "sha256": sha256_hex(data)}
        first = self.keyed("POST", "uploads", body, key)
        self.assert_first(first, 201)
        again = self.keyed("POST", "uploads", body, key)
        self.assert_replay_of(again, first)
        upload_id = first.body["upload"]["id"]
        self.assertEqual(again.body["upload"]["id"], upload_id)
        resp = self.server.put_chunk(self.token, upload_id, 0, data)
        self.assertEqual(resp.status, 201, resp)
        self.assertEqual(self.changes_since(start), [("create", "/up.txt")])
        self.assertEqual(self.server.download(self.token, path="/up.txt").raw, data)
        # the replay after the upload ended is still the start's answer
        self.assert_replay_of(self.keyed("POST", "uploads", body, key), first)

    def test_proof_retried(self):
        data = b"content this user already has"
        self.server.upload_file(self.token, "/proof-src.txt", data)
        started = self.server.start_upload(self.token, "/proof-copy.txt", data)
        self.assertEqual(started.status, 201, started)
        nonce = started.body["challenge"]["nonce"]
        upload_id = started.body["upload"]["id"]
        key, start = new_key(), self.cursor()
        body = {"proof": compute_proof(nonce, data)}
        first = self.keyed("POST", f"uploads/{upload_id}/proof", body, key)
        self.assert_first(first, 201)
        self.assertIs(first.body["instant"], True)
        self.assert_replay_of(self.keyed("POST", f"uploads/{upload_id}/proof", body, key),
                              first)
        self.assertEqual(self.changes_since(start), [("create", "/proof-copy.txt")])
        resp = self.server.post(f"uploads/{upload_id}/proof", body, self.token)
        self.assert_error(resp, 404, "not_found")

    def test_abandon_retried(self):
        up = self.server.start_upload(self.token, "/abandon.bin", b"abandoned").body["upload"]
        key = new_key()
        first = self.keyed("DELETE", f"uploads/{up['id']}", None, key)
        self.assert_first(first, 200)
        self.assert_replay_of(self.keyed("DELETE", f"uploads/{up['id']}", None, key), first)
        self.assert_error(self.server.get(f"uploads/{up['id']}", self.token), 404, "not_found")
        resp = self.server.request("DELETE", f"{API}/uploads/{up['id']}", token=self.token)
        self.assert_error(resp, 404, "not_found")

    def test_password_change_retried(self):
        token, user = self.server.new_user("pw")
        new_password = "violet staple orbit canyon"
        key = new_key()
        body = {"old_password": DEFAULT_PASSWORD, "new_password": new_password}

        def change():
            return retry_when_busy(lambda: self.keyed("POST", "account/password", body, key,
                                                      token))

        first = change()
        self.assert_first(first, 200)
        self.assert_replay_of(change(), first)
        self.assertEqual(self.server.login_response(user["username"], new_password).status,
                         200)
        # without its key the old password is wrong by now
        resp = retry_when_busy(lambda: self.server.post("account/password", body, token))
        self.assert_error(resp, 401, "invalid_credentials")

    def test_an_error_is_kept_too(self):
        """A 4xx is the answer: the repeat gets it even once it would succeed."""
        key = new_key()
        first = self.keyed("POST", "files/mkdir", {"path": "/Later/Kid"}, key)
        self.assert_error(first, 404, "not_found")
        self.assertIsNone(first.headers.get(REPLAYED))
        self.server.mkdir(self.token, "/Later")
        again = self.keyed("POST", "files/mkdir", {"path": "/Later/Kid"}, key)
        self.assert_replay_of(again, first)
        self.assert_error(self.server.stat(self.token, path="/Later/Kid"), 404, "not_found")

    def test_conflict_keeps_its_members(self):
        node = self.server.upload_file(self.token, "/cf.txt", b"c")
        key = new_key()
        body = {"id": node["id"], "if_version": node["version"] + 100, "to_name": "cf2.txt"}
        first = self.keyed("POST", "files/move", body, key)
        err = self.assert_error(first, 409, "conflict")
        self.assertEqual(err["version"], node["version"])
        self.assert_replay_of(self.keyed("POST", "files/move", body, key), first)


class KeyRulesTest(IdempotencyTestCase):

    def test_malformed_keys_are_refused(self):
        for key in ("", "a" * 65, "has space", "dot.ted", "sl/ash", "caf\u00e9", "a,b"):
            with self.subTest(key=key):
                resp = self.keyed("POST", "files/mkdir", {"path": "/BadKey"}, key)
                err = self.assert_error(resp, 400, "invalid_argument")
                self.assertIn("Idempotency-Key", err["message"])
        self.assert_error(self.server.stat(self.token, path="/BadKey"), 404, "not_found")

    def test_longest_and_shortest_keys(self):
        for i, key in enumerate(("a" * 64, "Z", "-", "_-09azAZ")):
            with self.subTest(key=key):
                body = {"path": f"/GoodKey{i}"}
                first = self.keyed("POST", "files/mkdir", body, key)
                self.assert_first(first, 201)
                self.assert_replay_of(self.keyed("POST", "files/mkdir", body, key), first)

    def test_keys_are_case_sensitive(self):
        key = "CaseKey" + new_key()
        first = self.keyed("POST", "files/mkdir", {"path": "/Case1"}, key)
        self.assert_first(first, 201)
        self.assert_first(self.keyed("POST", "files/mkdir", {"path": "/Case2"}, key.lower()),
                          201)
        self.assert_replay_of(self.keyed("POST", "files/mkdir", {"path": "/Case1"}, key), first)

    def test_same_key_for_another_request(self):
        key = new_key()
        self.assert_first(self.keyed("POST", "files/mkdir", {"path": "/Reuse1"}, key), 201)
        for method, endpoint, body in (("POST", "files/mkdir", {"path": "/Reuse2"}),
                                       ("POST", "files/mkdir", {"path": "/Reuse1",
                                                                "parents": True}),
                                       ("POST", "files/delete", {"path": "/Reuse1"})):
            with self.subTest(endpoint=endpoint, body=body):
                resp = self.keyed(method, endpoint, body, key)
                self.assert_error(resp, 422, "idempotency_key_reused")
        self.assert_error(self.server.stat(self.token, path="/Reuse2"), 404, "not_found")
        self.assertEqual(self.server.stat(self.token, path="/Reuse1").status, 200)

    def test_the_body_is_compared_as_sent(self):
        """The fingerprint is the body's bytes: the same JSON spelled
        otherwise is another request."""
        key = new_key()
        first = self.server.post("files/mkdir", b'{"path": "/Spelled"}', self.token,
                                 headers={"Idempotency-Key": key})
        self.assert_first(first, 201)
        again = self.server.post("files/mkdir", b'{"path":"/Spelled"}', self.token,
                                 headers={"Idempotency-Key": key})
        self.assert_error(again, 422, "idempotency_key_reused")

    def test_keys_are_per_user(self):
        other, _ = self.server.new_user("idem-other")
        key = new_key()
        mine = self.keyed("POST", "files/mkdir", {"path": "/Shared"}, key)
        self.assert_first(mine, 201)
        theirs = self.keyed("POST", "files/mkdir", {"path": "/Shared"}, key, other)
        self.assert_first(theirs, 201)
        self.assertNotEqual(theirs.body["node"]["id"], mine.body["node"]["id"])
        self.assertEqual(self.server.stat(other, path="/Shared").body["node"]["id"],
                         theirs.body["node"]["id"])
        # another request of theirs under it is no reuse of mine
        self.assert_first(self.keyed("POST", "files/mkdir", {"path": "/Theirs"}, new_key(),
                                     other), 201)
        self.assert_replay_of(self.keyed("POST", "files/mkdir", {"path": "/Shared"}, key,
                                         other), theirs)
        self.assert_replay_of(self.keyed("POST", "files/mkdir", {"path": "/Shared"}, key),
                              mine)

    def test_a_repeat_needs_the_session_still_valid(self):
        token, _ = self.server.new_user("idem-gone")
        key = new_key()
        self.assert_first(self.keyed("POST", "files/mkdir", {"path": "/G"}, key, token), 201)
        self.assertEqual(self.server.post("account/logout", None, token).status, 200)
        resp = self.keyed("POST", "files/mkdir", {"path": "/G"}, key, token)
        self.assert_error(resp, 401, "unauthorized")


class UnkeyedEndpointsTest(IdempotencyTestCase):
    """Sign-in and sign-out take no key: the header changes nothing there."""

    def test_login_makes_a_session_each_time(self):
        """A token is a secret: no answer holding one is kept."""
        _, user = self.server.new_user("idem-login")
        headers = {"Idempotency-Key": new_key()}
        body = {"username": user["username"], "password": DEFAULT_PASSWORD}
        first = retry_when_busy(lambda: self.server.post("account/login", body,
                                                         headers=headers))
        again = retry_when_busy(lambda: self.server.post("account/login", body,
                                                         headers=headers))
        for resp in (first, again):
            self.assert_first(resp, 200)
        self.assertNotEqual(first.body["token"], again.body["token"])
        for resp in (first, again):
            self.assertEqual(self.server.whoami(resp.body["token"]).status, 200)

    def test_logout_repeat_is_unauthorized(self):
        token, _ = self.server.new_user("idem-out")
        key = new_key()
        first = self.keyed("POST", "account/logout", None, key, token)
        self.assert_first(first, 200)
        self.assert_error(self.keyed("POST", "account/logout", None, key, token), 401,
                          "unauthorized")

    def test_reads_and_chunks_ignore_the_header(self):
        headers = {"Idempotency-Key": "not a valid key"}
        resp = self.server.get("files/list", self.token, headers=headers)
        self.assertEqual(resp.status, 200, resp)
        data = b"chunk"
        up = self.server.start_upload(self.token, "/chunked.txt", data).body["upload"]
        resp = self.server.request("PUT", f"{API}/uploads/{up['id']}", body=data,
                                   token=self.token, query={"offset": 0}, headers=headers)
        self.assertEqual(resp.status, 201, resp)


class ConcurrentDuplicatesTest(IdempotencyTestCase):
    """Duplicates that arrive together: one runs, the others wait for its answer."""

    THREADS = 8

    def send_together(self, send):
        barrier = threading.Barrier(self.THREADS)

        def one(_):
            barrier.wait()
            return send()

        with concurrent.futures.ThreadPoolExecutor(self.THREADS) as pool:
            return list(pool.map(one, range(self.THREADS)))

    def check_applied_once(self, results, status):
        """Exactly one first answer; the others replayed it or were told to wait."""
        firsts = [r for r in results if r.status == status and REPLAYED not in r.headers]
        self.assertEqual(len(firsts), 1, results)
        for resp in results:
            if resp is firsts[0]:
                continue
            if resp.status == 409:
                err = self.assert_error(resp, 409, "request_in_progress")
                self.assertEqual(resp.headers.get("Retry-After"), "1")
                self.assertEqual(err["retry_after"], 1)
            else:
                self.assert_replay_of(resp, firsts[0])
        return firsts[0]

    def test_concurrent_mkdir(self):
        key, start = new_key(), self.cursor()
        results = self.send_together(
            lambda: self.keyed("POST", "files/mkdir", {"path": "/Together"}, key))
        first = self.check_applied_once(results, 201)
        self.assertEqual(self.changes_since(start), [("create", "/Together")])
        self.assert_replay_of(self.keyed("POST", "files/mkdir", {"path": "/Together"}, key),
                              first)

    def test_concurrent_upload_start(self):
        data = b"started once"
        key = new_key()
        body = {"path": "/together.txt", "size": len(data), "sha256": sha256_hex(data)}
        results = self.send_together(lambda: self.keyed("POST", "uploads", body, key))
        first = self.check_applied_once(results, 201)
        upload_id = first.body["upload"]["id"]
        for resp in results:
            if resp.status == 201:
                self.assertEqual(resp.body["upload"]["id"], upload_id)
        self.assertEqual(self.server.put_chunk(self.token, upload_id, 0, data).status, 201)


class InProgressTest(IdempotencyTestCase):
    """A repeat while the first request still runs, and after its worker died.

    A wrong proof of possession is answered no sooner than its declared size
    read at --instant-proof-rate (MiB/s) takes: 8 s here, time enough to
    send the repeat, or to kill the worker that holds it.
    """

    TAKEOVER = 5
    HELD = 8
    INSTANCE_ARGS = ("--", "--instant-proof-rate", "1",
                     "--idempotency-takeover", str(TAKEOVER))

    def start_challenged(self, path):
        """An upload of HELD MiB of content nobody has, with its challenge."""
        resp = self.server.start_upload(self.token, path, size=self.HELD * MIB,
                                        sha256=sha256_hex(path.encode()))
        self.assertEqual(resp.status, 201, resp)
        self.assertIn("challenge", resp.body, resp)
        return resp.body["upload"]["id"]

    def wait_in_progress(self, send):
        """SEND() until it answers request_in_progress (the first has its key)."""
        deadline = time.monotonic() + self.HELD / 2
        while time.monotonic() < deadline:
            resp = send()
            if resp.status == 409 and resp.body["error"]["code"] == "request_in_progress":
                return resp
            time.sleep(0.05)
        self.fail(f"no request_in_progress: {resp!r}")

    def test_repeat_while_running(self):
        upload_id = self.start_challenged("/held.bin")
        key = new_key()

        def prove():
            return self.keyed("POST", f"uploads/{upload_id}/proof", {"proof": "7" * 64}, key)

        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            running = pool.submit(prove)
            time.sleep(0.5)
            busy = self.wait_in_progress(prove)
            first = running.result()
        err = self.assert_error(busy, 409, "request_in_progress")
        self.assertEqual(busy.headers.get("Retry-After"), "1")
        self.assertEqual(err["retry_after"], 1)
        self.assert_error(first, 403, "proof_failed")
        self.assertIsNone(first.headers.get(REPLAYED))
        # the repeat that waited gets the answer, not a second try
        self.assert_replay_of(prove(), first)

    def test_repeat_after_the_worker_died(self):
        upload_id = self.start_challenged("/killed.bin")
        key = new_key()

        def prove():
            return self.keyed("POST", f"uploads/{upload_id}/proof", {"proof": "8" * 64}, key)

        outcome = {}

        def first():
            try:
                outcome["resp"] = prove()
            except OSError as exc:
                outcome["error"] = exc

        sent = time.monotonic()
        thread = threading.Thread(target=first)
        thread.start()
        try:
            time.sleep(0.5)
            self.wait_in_progress(prove)
            for pid in self.server.worker_pids():
                os.kill(pid, signal.SIGKILL)
        finally:
            thread.join(60)
        if "resp" in outcome:
            self.assert_error(outcome["resp"], 503, "unavailable")
        self.assert_healthy(within=10)
        if time.monotonic() - sent < self.TAKEOVER - 1:
            # the reservation is young: its worker might still be running
            self.assert_error(prove(), 409, "request_in_progress")
        # reservations are timed in whole seconds: stale once more than TAKEOVER passed
        time.sleep(max(0.0, sent + self.TAKEOVER + 1.5 - time.monotonic()))
        taken = prove()
        # the dead request had spent the challenge: the repeat ran and says so
        self.assert_error(taken, 409, "no_challenge")
        self.assertIsNone(taken.headers.get(REPLAYED))
        self.assert_replay_of(prove(), taken)


class NotKeptTest(IdempotencyTestCase):
    """Answers that ask for a retry (5xx, 429) give the key back."""

    def test_unavailable_is_not_kept(self):
        """Every password-hashing slot taken: 503, and the repeat runs."""
        token, user = self.server.new_user("idem-busy")
        key = new_key()
        body = {"old_password": DEFAULT_PASSWORD, "new_password": "amber quiver lattice dune"}
        slots = []
        try:
            for path in glob.glob(os.path.join(self.server.data, "run", "hash-slot.*")):
                fd = os.open(path, os.O_RDWR)
                slots.append(fd)
                # blocks while a sign-in still hashes in it
                fcntl.flock(fd, fcntl.LOCK_EX)
            self.assertTrue(slots, "no hashing slots found")
            busy = self.keyed("POST", "account/password", body, key, token)
        finally:
            for fd in slots:
                os.close(fd)
        self.assert_error(busy, 503, "unavailable")
        first = retry_when_busy(lambda: self.keyed("POST", "account/password", body, key,
                                                   token))
        self.assert_first(first, 200)
        self.assert_replay_of(self.keyed("POST", "account/password", body, key, token), first)
        self.assertEqual(self.server.login_response(user["username"],
                                                    body["new_password"]).status, 200)

    def test_rate_limited_is_not_kept(self):
        """An account with 1000 uploads in progress gets 429 for the next."""
        token, _ = self.server.new_user("idem-full")
        data = b"x"

        def start(i):
            return self.server.start_upload(token, f"/many/{i}.bin", data)

        self.assertEqual(self.server.mkdir(token, "/many").status, 201)
        with concurrent.futures.ThreadPoolExecutor(4) as pool:
            started = list(pool.map(start, range(1000)))
        self.assertEqual({r.status for r in started}, {201}, started[:3])
        key = new_key()
        body = {"path": "/one-more.bin", "size": 1, "sha256": sha256_hex(data)}
        limited = self.keyed("POST", "uploads", body, key, token)
        self.assert_error(limited, 429, "rate_limited")
        resp = self.server.request("DELETE", f"{API}/uploads/{started[0].body['upload']['id']}",
                                   token=token)
        self.assertEqual(resp.status, 200, resp)
        first = self.keyed("POST", "uploads", body, key, token)
        self.assert_first(first, 201)
        self.assert_replay_of(self.keyed("POST", "uploads", body, key, token), first)


class RetentionTest(IdempotencyTestCase):
    """Keys are forgotten after --idempotency-ttl, and pruned by housekeeping."""

    TTL = 2
    INSTANCE_ARGS = ("--", "--idempotency-ttl", str(TTL), "--housekeeping-interval", "1")

    def stored_keys(self):
        db = sqlite3.connect(os.path.join(self.server.data, "yunpan.db"), timeout=10)
        try:
            return {row[0] for row in db.execute(
                "SELECT key FROM idempotency WHERE user_id = ?", (self.user["id"],))}
        finally:
            db.close()

    def test_expired_key_may_be_used_again(self):
        key = new_key()
        first = self.keyed("POST", "files/mkdir", {"path": "/Old"}, key)
        self.assert_first(first, 201)
        self.assert_replay_of(self.keyed("POST", "files/mkdir", {"path": "/Old"}, key), first)
        time.sleep(self.TTL + 1.5)
        self.assert_first(self.keyed("POST", "files/mkdir", {"path": "/New"}, key), 201)

    def test_housekeeping_prunes_kept_answers(self):
        key = new_key()
        self.assert_first(self.keyed("POST", "files/mkdir", {"path": "/Pruned"}, key), 201)
        self.assertIn(key, self.stored_keys())
        deadline = time.monotonic() + self.TTL + 10
        while key in self.stored_keys() and time.monotonic() < deadline:
            time.sleep(0.2)
        self.assertNotIn(key, self.stored_keys())
        self.assertIn("idempotency keys past retention forgotten", self.server.stderr_text())


if __name__ == "__main__":
    main()
