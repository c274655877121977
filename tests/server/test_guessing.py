"""Password guessing and login floods: rate limits, delays and hashing slots.

The clients here bind loopback addresses of their own (127.0.0.x) so that
the server sees several client addresses; nginx itself listens on
127.0.0.1 only.
"""

import fcntl
import os
import secrets
import statistics
import threading
import time

from yunpan_instance import (API, DEFAULT_PASSWORD, Instance, ServerTestCase, login_from,
                             main, request_from)

# The 429s must come before any hashing: one Argon2id takes ~145 ms here.
FAST = 0.1


def retry_after(test, resp):
    """RESP is 429 rate_limited (or 503) with matching Retry-After header and
    retry_after member; returns the seconds."""
    err = test.assert_error(resp, resp.status, {"rate_limited", "unavailable"})
    header = resp.headers.get("Retry-After")
    test.assertIsNotNone(header, f"no Retry-After: {resp!r}")
    test.assertEqual(int(header), err.get("retry_after"), resp)
    test.assertGreaterEqual(err["retry_after"], 1, resp)
    return err["retry_after"]


class GuessingTest(ServerTestCase):
    """Per-account and per-address delays, with small limits for speed."""

    ACCOUNT_TRIES, ADDRESS_TRIES, CAP = 3, 6, 4
    INSTANCE_ARGS = ("--", "--login-tries-account", str(ACCOUNT_TRIES),
                     "--login-tries-address", str(ADDRESS_TRIES),
                     "--login-delay-max-account", str(CAP),
                     "--login-delay-max-address", str(CAP))

    def new_account(self):
        name = f"g{secrets.token_hex(4)}"
        self.assertEqual(self.server.register(name).status, 201)
        return name

    def test_200_wrong_passwords_then_the_right_one_is_refused(self):
        name = self.new_account()
        statuses, limited_times = [], []
        for i in range(200):
            started = time.monotonic()
            resp = login_from(self.server, "127.0.0.11", name, f"wrong guess {i}")
            statuses.append(resp.status)
            if resp.status == 429:
                limited_times.append(time.monotonic() - started)
                retry_after(self, resp)
            else:
                self.assert_error(resp, 401, "invalid_credentials")
        answered = statuses.count(401)
        self.assertLessEqual(answered, self.ACCOUNT_TRIES + 1, statuses[:20])
        self.assertEqual(statuses.count(429), 200 - answered)
        # refused before hashing: far quicker than one Argon2id
        self.assertLess(statistics.median(limited_times), FAST,
                        f"429s took {statistics.median(limited_times):.3f} s (median)")
        resp = login_from(self.server, "127.0.0.11", name)
        wait = retry_after(self, resp)
        self.assertEqual(resp.status, 429)
        # the delays are capped: the owner gets in once it has passed
        self.assertLessEqual(wait, self.CAP)
        time.sleep(wait + 0.2)
        self.assertEqual(login_from(self.server, "127.0.0.12", name).status, 200)

    def test_delays_grow_and_stop_at_the_cap(self):
        """A new address for every guess, as from a botnet: the account's
        own delays still grow, up to the cap."""
        name = self.new_account()
        waits = []
        deadline = time.monotonic() + 40
        for i in range(100):
            if len(waits) == 4 or time.monotonic() > deadline:
                break
            resp = login_from(self.server, f"127.0.1.{i + 1}", name, "not it at all")
            if resp.status == 429:
                waits.append(retry_after(self, resp))
                time.sleep(waits[-1] + 0.1)
            else:
                self.assert_error(resp, 401, "invalid_credentials")
        # delays 1, 2, 4, 4 s; Retry-After counts whole seconds left, so
        # each may read one less
        self.assertEqual(len(waits), 4, waits)
        self.assertLessEqual(waits[0], 2, waits)
        self.assertGreaterEqual(waits[-1], self.CAP - 1, waits)
        self.assertGreater(max(waits), waits[0], waits)
        self.assertLessEqual(max(waits), self.CAP, waits)

    def test_owner_at_a_known_address_is_not_locked_out(self):
        name = self.new_account()
        self.assertEqual(login_from(self.server, "127.0.0.21", name).status, 200)
        for i in range(self.ACCOUNT_TRIES + 3):
            login_from(self.server, "127.0.0.22", name, f"attacker {i}")
        resp = login_from(self.server, "127.0.0.23", name)
        self.assertEqual(resp.status, 429, "the account is not held back: "
                         f"{resp!r}")
        # where the owner signed in before, the account's delay does not apply
        resp = login_from(self.server, "127.0.0.21", name)
        self.assertEqual(resp.status, 200, resp)

    def hold_back(self, name, source):
        """Wrong passwords for NAME from SOURCE, waiting out each delay, until
        the account's delay is at the cap: the caller has seconds, not a
        fraction of one, before it expires."""
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            resp = login_from(self.server, source, name, "an attacker's guess")
            if resp.status != 429:
                self.assert_error(resp, 401, "invalid_credentials")
                continue
            wait = retry_after(self, resp)
            if wait >= self.CAP - 1:
                return
            time.sleep(wait + 0.1)
        self.fail("the account's delay never reached the cap")

    def change_password(self, source, name, new_password):
        token = login_from(self.server, source, name).body["token"]
        resp = request_from(self.server, source, "POST", f"{API}/account/password",
                            {"old_password": DEFAULT_PASSWORD,
                             "new_password": new_password}, token)
        self.assertEqual(resp.status, 200, resp)

    def test_password_change_forgets_trusted_addresses(self):
        """An address that signed in before the password changed (perhaps an
        intruder's) skips the account's delays no more; the address that
        changed it still does."""
        name, new_password = self.new_account(), "a brand new passphrase"
        self.assertEqual(login_from(self.server, "127.0.0.51", name).status, 200)
        self.change_password("127.0.0.52", name, new_password)
        self.hold_back(name, "127.0.0.53")
        resp = login_from(self.server, "127.0.0.51", name, new_password)
        self.assertEqual(resp.status, 429, f"an address of the old password is trusted: "
                         f"{resp!r}")
        retry_after(self, resp)
        resp = login_from(self.server, "127.0.0.52", name, new_password)
        self.assertEqual(resp.status, 200, resp)

    def test_logout_all_forgets_trusted_addresses(self):
        name = self.new_account()
        token = login_from(self.server, "127.0.0.54", name).body["token"]
        resp = request_from(self.server, "127.0.0.54", "POST", f"{API}/account/logout-all",
                            {}, token)
        self.assertEqual(resp.status, 200, resp)
        self.hold_back(name, "127.0.0.55")
        resp = login_from(self.server, "127.0.0.54", name)
        self.assertEqual(resp.status, 429, f"an address signed out everywhere is trusted: "
                         f"{resp!r}")

    def test_one_address_guessing_many_accounts(self):
        victim = self.new_account()
        for i in range(self.ADDRESS_TRIES + 2):
            login_from(self.server, "127.0.0.31", f"nobody{i}x", "some password")
        resp = login_from(self.server, "127.0.0.31", victim)
        retry_after(self, resp)
        self.assertEqual(resp.status, 429)
        self.assertEqual(login_from(self.server, "127.0.0.32", victim).status, 200)

    def test_malformed_usernames_count_for_the_address(self):
        for i in range(self.ADDRESS_TRIES + 2):
            resp = login_from(self.server, "127.0.0.33", f"' OR 1=1 -- {i}", "x")
        self.assertEqual(resp.status, 429, resp)

    def test_password_change_is_limited_like_a_sign_in(self):
        name = self.new_account()
        token = login_from(self.server, "127.0.0.41", name).body["token"]
        path = f"{API}/account/password"
        statuses = []
        for i in range(self.ACCOUNT_TRIES + 3):
            resp = request_from(self.server, "127.0.0.42", "POST", path,
                                {"old_password": f"guess {i}",
                                 "new_password": "a brand new passphrase"}, token)
            statuses.append(resp.status)
        self.assertIn(401, statuses)
        self.assertEqual(statuses[-1], 429, statuses)
        retry_after(self, resp)


class RegistrationLimitTest(ServerTestCase):
    """Registrations per address and window (--register-limit)."""

    INSTANCE_ARGS = ("--", "--register-limit", "3")

    def register_from(self, source, name):
        return request_from(self.server, source, "POST", f"{API}/account/register",
                            {"username": name, "password": DEFAULT_PASSWORD})

    def test_registrations_per_address(self):
        for i in range(3):
            self.assertEqual(self.register_from("127.0.0.61", f"reg{i}a").status, 201)
        resp = self.register_from("127.0.0.61", "reg3a")
        self.assertEqual(resp.status, 429, resp)
        self.assertGreater(retry_after(self, resp), 3000)
        self.assertEqual(self.register_from("127.0.0.62", "reg3a").status, 201)

    def test_weak_passwords_do_not_use_up_the_window(self):
        for i in range(5):
            resp = request_from(self.server, "127.0.0.63", "POST", f"{API}/account/register",
                                {"username": f"weak{i}", "password": "password1"})
            self.assert_error(resp, 400, "weak_password")
        self.assertEqual(self.register_from("127.0.0.63", "strong0").status, 201)


class HashSlotsTest(ServerTestCase):
    """With every hashing slot taken, password work is refused at once."""

    INSTANCE_ARGS = ("--workers", "4")

    def hold_all_slots(self):
        run = os.path.join(self.server.data, "run")
        files = [open(os.path.join(run, f), "rb") for f in sorted(os.listdir(run))
                 if f.startswith("hash-slot.")]
        self.assertEqual(len(files), 2, "half of 4 workers")
        for f in files:
            # the workers release theirs within one hash
            deadline = time.monotonic() + 5
            while True:
                try:
                    fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    self.assertLess(time.monotonic(), deadline)
                    time.sleep(0.01)
            self.addCleanup(f.close)
        return files

    def test_busy_slots_answer_503_with_retry_after(self):
        name = f"slots{secrets.token_hex(3)}"
        self.assertEqual(self.server.register(name).status, 201)
        files = self.hold_all_slots()
        for endpoint, body in (("account/login", {"username": name,
                                                  "password": DEFAULT_PASSWORD}),
                               ("account/register", {"username": name + "b",
                                                     "password": DEFAULT_PASSWORD})):
            with self.subTest(endpoint=endpoint):
                # no slot, no hash: the 503 itself shows nothing was hashed
                resp = self.server.post(endpoint, body)
                self.assertEqual(resp.status, 503, resp)
                retry_after(self, resp)
        # nothing was counted against the account or the address
        for f in files:
            f.close()
        self.assertEqual(self.server.login_response(name).status, 200)
        self.assertEqual(self.server.register(name + "b").status, 201)


def flood_latencies(server, token, threads=16, seconds=4.0):
    """Whoami latencies while THREADS clients send bogus sign-ins non-stop;
    also returns how the flood's requests were answered."""
    stop = threading.Event()
    answers = {}
    lock = threading.Lock()

    def attacker(n):
        i = 0
        while not stop.is_set():
            resp = server.post("account/login", {"username": f"flood{n}x{i}",
                                                 "password": "bogus password"})
            with lock:
                answers[resp.status] = answers.get(resp.status, 0) + 1
            i += 1

    workers = [threading.Thread(target=attacker, args=(n,)) for n in range(threads)]
    for w in workers:
        w.start()
    latencies = []
    try:
        time.sleep(0.5)
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline and len(latencies) < 200:
            started = time.monotonic()
            resp = server.whoami(token)
            latencies.append(time.monotonic() - started)
            assert resp.status == 200, resp
            time.sleep(0.05)
    finally:
        stop.set()
        for w in workers:
            w.join(30)
    return latencies, answers


class LoginFloodTest(ServerTestCase):
    """16 parallel bogus sign-ins must not starve signed-in users.

    The per-address limits are lifted here so that only the hashing slots
    stand between the flood and the workers (as with an attacker who has
    many addresses); a second instance without slots shows the difference.
    """

    LOOSE = ("--login-tries-account", "1000000", "--login-tries-address", "1000000")
    INSTANCE_ARGS = ("--workers", "4", "--", *LOOSE)
    MEDIAN_BOUND, MAX_BOUND = 0.15, 0.6

    def test_whoami_stays_fast_during_a_login_flood(self):
        token, _ = self.server.new_user("flood")
        latencies, answers = flood_latencies(self.server, token)
        median, worst = statistics.median(latencies), max(latencies)
        print(f"\nbounded: whoami median {median * 1000:.1f} ms, max {worst * 1000:.1f} ms "
              f"over {len(latencies)}; flood answers {answers}")
        self.assertGreater(answers.get(503, 0), 0, answers)
        # 429: nginx's own per-address connection limit may refuse a few
        self.assertEqual(set(answers) - {401, 429, 503}, set(), answers)
        self.assertLess(median, self.MEDIAN_BOUND)
        self.assertLess(worst, self.MAX_BOUND)

        with Instance(("--workers", "4", "--", *self.LOOSE, "--hash-slots", "0")) as free:
            token, _ = free.new_user("flood")
            latencies, answers = flood_latencies(free, token)
        unbounded = statistics.median(latencies)
        print(f"unbounded: whoami median {unbounded * 1000:.1f} ms, "
              f"max {max(latencies) * 1000:.1f} ms; flood answers {answers}")
        # the same test fails without the bound
        self.assertGreater(unbounded, self.MEDIAN_BOUND)


if __name__ == "__main__":
    main()
