"""Accounts: register, login, logout, whoami, tokens and the health check."""

import glob
import json
import os
import select
import time

from test_events import EventStream
from yunpan_instance import API, DEFAULT_PASSWORD, ServerTestCase, is_base64url, main

PASSWORD = "correct horse battery"


class HealthTest(ServerTestCase):
    """The health endpoint needs no token and names the service."""

    def test_health(self):
        resp = self.server.health()
        self.assertEqual(resp.status, 200, resp)
        self.assertEqual(resp.body, {"status": "ok", "service": "yunpan", "api": 1})

    def test_health_ignores_a_bad_token(self):
        resp = self.server.get("health", token="garbage")
        self.assertEqual(resp.status, 200, resp)


class RegisterTest(ServerTestCase):
    """Username and password rules; each bad one is refused before hashing."""

    def test_register_returns_user(self):
        resp = self.server.register("Reg_user.1-a", PASSWORD)
        self.assertEqual(resp.status, 201, resp)
        user = resp.body["user"]
        self.assertIsInstance(user["id"], int)
        self.assertEqual(user["username"], "Reg_user.1-a")

    def test_username_length_bounds(self):
        for name in ("ab", "a" * 33, ""):
            with self.subTest(name=name):
                self.assert_error(self.server.register(name, PASSWORD), 400,
                                  "invalid_username")
        for name in ("q7z", "b" * 32):
            with self.subTest(name=name):
                self.assertEqual(self.server.register(name, PASSWORD).status, 201)

    def test_username_bad_characters(self):
        for name in ("a b", "a/b", "a@b", "a:b", "ab\u00e4c", "abc\n", "ab'c",
                     "ab\"c", "a%bc", "abc\x00", "a\\bc", "ab;c", "\u00e4bc"):
            with self.subTest(name=name):
                # A NUL may be refused by the JSON layer before the name rules.
                codes = {"invalid_username"} | ({"invalid_json"} if "\x00" in name
                                                else set())
                self.assert_error(self.server.register(name, PASSWORD), 400, codes)

    def test_username_must_start_with_letter_or_digit(self):
        for name in (".abc", "_abc", "-abc", "..abc"):
            with self.subTest(name=name):
                self.assert_error(self.server.register(name, PASSWORD), 400,
                                  "invalid_username")

    def test_username_taken_case_insensitively(self):
        self.assertEqual(self.server.register("Case_Taken", PASSWORD).status, 201)
        for name in ("case_taken", "CASE_TAKEN", "Case_Taken"):
            with self.subTest(name=name):
                self.assert_error(self.server.register(name, PASSWORD), 409,
                                  "username_taken")

    def test_password_length_in_bytes(self):
        for password in ("", "1234567", "\u5bc6\u7801"):   # 0, 7 and 6 bytes
            with self.subTest(password=password):
                self.assert_error(self.server.register("weakpw", password), 400,
                                  "weak_password")
        self.assert_error(self.server.register("weakpw", "x" * 1025), 400,
                          "weak_password")
        # Three CJK characters are 9 bytes: long enough.
        self.assertEqual(self.server.register("cjkpw", "\u5bc6\u7801\u5bc6").status, 201)

    def test_longest_password_accepted(self):
        password = "p" * 1024
        self.assertEqual(self.server.register("longpw", password).status, 201)
        self.assertIsInstance(self.server.login("longpw", password), str)

    def test_non_utf8_body_is_invalid_json(self):
        for raw in (b'{"username":"bad\xffname","password":"correct horse"}',
                    b'{"username":"badutf","password":"correct\xc3horse"}',
                    b'{"username":"badutf","password":"\xc0\xafcorrect horse"}'):
            with self.subTest(raw=raw):
                self.assert_error(self.server.post("account/register", raw), 400,
                                  "invalid_json")

    def test_lone_surrogate_escape_refused(self):
        """JSON escapes that decode to no valid UTF-8 must not be stored."""
        resp = self.server.post("account/register",
                                b'{"username":"surr","password":"abcdefgh\\ud800"}')
        self.assert_error(resp, 400, {"invalid_json", "weak_password", "invalid_argument"})
        resp = self.server.post("account/register",
                                b'{"username":"s\\udc80rr","password":"abcdefgh"}')
        self.assert_error(resp, 400, {"invalid_json", "invalid_username",
                                      "invalid_argument"})

    def test_missing_or_wrong_type_fields(self):
        for body in ({}, {"username": "nopass"}, {"password": PASSWORD},
                     {"username": 12345, "password": PASSWORD},
                     {"username": "numpw", "password": 12345678},
                     {"username": None, "password": PASSWORD},
                     {"username": ["a"], "password": PASSWORD}):
            with self.subTest(body=body):
                self.assert_error(self.server.post("account/register", body), 400,
                                  {"invalid_argument", "bad_request"})

    def test_sql_injection_usernames_are_rejected_as_names(self):
        for name in ("a' OR '1'='1", "x'; DROP TABLE users;--", 'a" OR 1=1 --'):
            with self.subTest(name=name):
                self.assert_error(self.server.register(name, PASSWORD), 400,
                                  "invalid_username")


class LoginTest(ServerTestCase):
    """Login, sessions and the Authorization header."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.name = "login_user"
        resp = cls.server.register(cls.name, PASSWORD)
        assert resp.status == 201, resp

    def test_login_response(self):
        resp = self.server.login_response(self.name, PASSWORD)
        self.assertEqual(resp.status, 200, resp)
        body = resp.body
        self.assertGreater(body["expires"], time.time())
        self.assertEqual(body["user"]["username"], self.name)
        self.assertTrue(len(body["token"]) >= 43 and is_base64url(body["token"]),
                        body["token"])

    def test_wrong_password(self):
        self.assert_error(self.server.login_response(self.name, PASSWORD + "x"), 401,
                          "invalid_credentials")
        self.assert_error(self.server.login_response(self.name, PASSWORD.upper()), 401,
                          "invalid_credentials")

    def test_unknown_user_with_empty_password(self):
        self.assert_error(self.server.login_response("nobody_here", ""), 401,
                          "invalid_credentials")
        self.assert_error(self.server.login_response("nobody_here", PASSWORD), 401,
                          "invalid_credentials")

    def test_missing_fields(self):
        for body in ({}, {"username": self.name}, {"password": PASSWORD},
                     {"username": self.name, "password": 5}):
            with self.subTest(body=body):
                self.assert_error(self.server.post("account/login", body), 400,
                                  {"invalid_argument", "bad_request"})

    def test_sql_injection_is_plain_data(self):
        attempts = [
            ("' OR '1'='1", "' OR '1'='1"),
            ("login_user' --", "anything"),
            ("login_user'/*", "*/ OR 1=1 --"),
            (self.name, "' OR '1'='1"),
            (self.name, "x' OR password IS NOT NULL --"),
            ("\" OR \"\"=\"", "\" OR \"\"=\""),
            ("%", "%"), ("_", "________"),
        ]
        for username, password in attempts:
            with self.subTest(username=username, password=password):
                resp = self.server.login_response(username, password)
                self.assert_error(resp, 401, "invalid_credentials")
        # The users table is still there: a normal login works.
        self.assertTrue(self.server.login(self.name, PASSWORD))

    def test_two_logins_two_valid_tokens(self):
        t1 = self.server.login(self.name, PASSWORD)
        t2 = self.server.login(self.name, PASSWORD)
        self.assertNotEqual(t1, t2)
        for token in (t1, t2):
            self.assertRegex(token, r"^[A-Za-z0-9_-]{43,}$")
            resp = self.server.whoami(token)
            self.assertEqual(resp.status, 200, resp)
            self.assertEqual(resp.body["user"]["username"], self.name)

    def test_whoami_fields(self):
        token = self.server.login(self.name, PASSWORD)
        body = self.assert_status(self.server.whoami(token), 200)
        self.assertEqual(body["user"]["username"], self.name)
        self.assertIsInstance(body["user"]["id"], int)
        self.assertIsInstance(body["root_id"], int)
        self.assertIsInstance(body["cursor"], int)
        self.assertGreater(body["expires"], time.time())
        root = self.assert_status(self.server.stat(token, path="/"), 200)["node"]
        self.assertEqual(root["id"], body["root_id"])

    def test_logout_revokes_only_that_token(self):
        t1 = self.server.login(self.name, PASSWORD)
        t2 = self.server.login(self.name, PASSWORD)
        resp = self.server.post("account/logout", None, t1)
        self.assertEqual(resp.status, 200, resp)
        self.assertEqual(resp.body, {})
        self.assert_error(self.server.whoami(t1), 401, "unauthorized")
        self.assert_error(self.server.post("account/logout", None, t1), 401,
                          "unauthorized")
        self.assertEqual(self.server.whoami(t2).status, 200)

    def test_logout_needs_token(self):
        self.assert_error(self.server.post("account/logout", None), 401, "unauthorized")

    def test_bad_authorization_headers(self):
        token = self.server.login(self.name, PASSWORD)
        bad = [
            None, "", "Bearer", "Bearer ", "Bearer garbage", f"Basic {token}",
            f"Bearer {token}x", f"Bearer {token[:-1]}", f"Bearer {token[::-1]}",
            "Bearer " + "A" * 43, "Bearer " + "A" * 5000, f"Token {token}",
            "Bearer ' OR '1'='1", "Bearer \x01\x02",
        ]
        for value in bad:
            with self.subTest(header=value):
                headers = {} if value is None else {"Authorization": value}
                resp = self.server.request("GET", "/api/v1/account/whoami",
                                           headers=headers)
                self.assert_error(resp, 401, "unauthorized")

    def test_endpoints_need_a_token(self):
        for method, endpoint in (("GET", "files/list"), ("GET", "files/stat"),
                                 ("POST", "files/mkdir"), ("POST", "files/move"),
                                 ("POST", "files/delete"), ("GET", "files/download"),
                                 ("POST", "uploads"), ("GET", "changes"),
                                 ("GET", "account/whoami")):
            with self.subTest(endpoint=endpoint):
                body = {"path": "/x"} if method == "POST" else None
                resp = self.server.request(method, f"/api/v1/{endpoint}", body=body)
                self.assert_error(resp, 401, "unauthorized")


class SecretsAtRestTest(ServerTestCase):
    """The server keeps only hashes: no password or token bytes on disk."""

    def test_password_and_token_not_stored(self):
        password = "Zq9-unique-secret-P4ssw0rd"
        self.assertEqual(self.server.register("secret_user", password).status, 201)
        token = self.server.login("secret_user", password)
        self.assertEqual(self.server.whoami(token).status, 200)
        # A failed login must not log the attempted password either.
        wrong = "Wr0ng-unique-attempt-9x"
        self.server.login_response("secret_user", wrong)
        self.server.post("account/logout", None, token)
        time.sleep(0.5)
        files = [p for p in glob.glob(os.path.join(self.server.data, "**"), recursive=True)
                 if os.path.isfile(p) and not p.endswith((".sock", ".pid"))]
        self.assertTrue(any(p.endswith("yunpan.db") for p in files), files)
        needles = [password.encode(), wrong.encode(), token.encode()]
        for path in files:
            with open(path, "rb") as f:
                data = f.read()
            for needle in needles:
                with self.subTest(path=path, needle=needle[:6]):
                    self.assertNotIn(needle, data)

    def test_access_log_records_requests(self):
        self.server.get("health", query={"probe": "access-log-check"})
        time.sleep(0.2)
        log = self.server.access_log()
        self.assertRegex(log.decode("utf-8", "replace"),
                         r'"GET /api/v1/health\?probe=access-log-check HTTP/1\.1"')


# -- password quality, password change, signing out everywhere, streams ------

NEW_PASSWORD = "another quite good passphrase"


class PasswordQualityTest(ServerTestCase):
    """zxcvbn refuses guessable passwords, saying why, before any hashing."""

    def test_common_passwords_refused(self):
        for password in ("password1", "12345678", "qwertyuiop", "iloveyou", "passw0rd",
                         "abcdefgh", "aaaaaaaaaa", "letmein123", "monkey123"):
            with self.subTest(password=password):
                err = self.assert_error(self.server.register("weakling", password), 400,
                                        "weak_password")
                self.assertIn("too easy to guess", err["message"])

    def test_reason_names_the_username(self):
        err = self.assert_error(self.server.register("zebulon77", "zebulon77zebulon77"),
                                400, "weak_password")
        self.assertIn("username", err["message"])

    def test_passphrases_accepted(self):
        for i, password in enumerate((DEFAULT_PASSWORD, "Tr0ub4dor&3x", "x7#kLp2q!")):
            with self.subTest(password=password):
                self.assertEqual(self.server.register(f"strong{i}", password).status, 201)


def read_until_closed(stream, timeout):
    """(closed, data lines) of STREAM within TIMEOUT seconds."""
    deadline = time.monotonic() + timeout
    data = []
    while time.monotonic() < deadline:
        if not select.select([stream.sock], [], [], deadline - time.monotonic())[0]:
            break
        try:
            chunk = stream.sock.recv(65536)
        except OSError:
            return True, data
        if not chunk:
            return True, data
        stream.buf += chunk
        while b"\n" in stream.buf:
            line, _, stream.buf = stream.buf.partition(b"\n")
            if line.startswith(b"data:"):
                data.append(line[5:].strip().decode())
    return False, data


class SessionsTest(ServerTestCase):
    """Password change, logout-all, and event streams that end with their session."""

    def setUp(self):
        self.name = f"sess{time.monotonic_ns() % 10**9}"
        self.assertEqual(self.server.register(self.name).status, 201)
        self.uid = self.server.whoami(self.server.login(self.name)).body["user"]["id"]

    def subscribe(self, token):
        stream = EventStream(self.server.port, f"{API}/events/u{self.uid}", token)
        self.addCleanup(stream.close)
        self.assertEqual(stream.status, 200)
        read_until_closed(stream, 0.3)      # what nchan still buffers
        return stream

    def change_password(self, token, old, new):
        return self.server.post("account/password",
                                {"old_password": old, "new_password": new}, token)

    def test_password_change_signs_out_the_other_sessions(self):
        t1, t2 = self.server.login(self.name), self.server.login(self.name)
        resp = self.change_password(t1, DEFAULT_PASSWORD, NEW_PASSWORD)
        self.assertEqual(resp.status, 200, resp)
        self.assertEqual(resp.body, {})
        self.assertEqual(self.server.whoami(t1).status, 200)
        self.assert_error(self.server.whoami(t2), 401, "unauthorized")
        self.assert_error(self.server.login_response(self.name), 401, "invalid_credentials")
        self.assertEqual(self.server.login_response(self.name, NEW_PASSWORD).status, 200)

    def test_password_change_refusals(self):
        token = self.server.login(self.name)
        err = self.assert_error(self.change_password(token, "not the old one", NEW_PASSWORD),
                                401, "invalid_credentials")
        self.assertIn("old password", err["message"])
        self.assert_error(self.change_password(token, DEFAULT_PASSWORD, "password1"), 400,
                          "weak_password")
        self.assert_error(self.change_password(token, DEFAULT_PASSWORD, "short"), 400,
                          "weak_password")
        for body in ({}, {"old_password": DEFAULT_PASSWORD}, {"new_password": NEW_PASSWORD},
                     {"old_password": 1, "new_password": NEW_PASSWORD}):
            with self.subTest(body=body):
                self.assert_error(self.server.post("account/password", body, token), 400,
                                  "invalid_argument")
        self.assert_error(self.server.post("account/password",
                                           {"old_password": DEFAULT_PASSWORD,
                                            "new_password": NEW_PASSWORD}), 401,
                          "unauthorized")
        # nothing changed
        self.assertEqual(self.server.whoami(token).status, 200)
        self.assertEqual(self.server.login_response(self.name).status, 200)

    def test_logout_all_revokes_every_session(self):
        tokens = [self.server.login(self.name) for _ in range(3)]
        resp = self.server.post("account/logout-all", None, tokens[0])
        self.assertEqual(resp.status, 200, resp)
        for token in tokens:
            self.assert_error(self.server.whoami(token), 401, "unauthorized")
        self.assert_error(self.server.post("account/logout-all", None, tokens[0]), 401,
                          "unauthorized")

    def test_logout_ends_the_event_stream(self):
        token_a, token_b = self.server.login(self.name), self.server.login(self.name)
        stream = self.subscribe(token_a)
        self.assertEqual(self.server.post("account/logout", None, token_a).status, 200)
        node = self.server.mkdir(token_b, "/AfterLogout").body["node"]
        closed, data = read_until_closed(stream, 3)
        self.assertTrue(closed, "the stream of a signed-out token stays open")
        cursors = [json.loads(d)["cursor"] for d in data if d.startswith("{")]
        self.assertNotIn(node["version"], cursors, "a signed-out token heard an event")
        again = EventStream(self.server.port, f"{API}/events/u{self.uid}", token_a)
        self.addCleanup(again.close)
        self.assertIn(again.status, (401, 403))

    def test_logout_all_and_password_change_end_streams(self):
        for action in ("logout-all", "password"):
            with self.subTest(action=action):
                token = self.server.login(self.name, self.password_now())
                other = self.server.login(self.name, self.password_now())
                stream = self.subscribe(other)
                if action == "logout-all":
                    resp = self.server.post("account/logout-all", None, token)
                else:
                    new = NEW_PASSWORD if self.password_now() == DEFAULT_PASSWORD \
                        else DEFAULT_PASSWORD
                    resp = self.change_password(token, self.password_now(), new)
                    self._password = new
                self.assertEqual(resp.status, 200, resp)
                self.assertTrue(read_until_closed(stream, 3)[0], action)

    def password_now(self):
        return getattr(self, "_password", DEFAULT_PASSWORD)

    def test_password_change_keeps_the_changing_sessions_stream(self):
        """Only the sessions that end lose their streams."""
        token, other = self.server.login(self.name), self.server.login(self.name)
        mine, theirs = self.subscribe(token), self.subscribe(other)
        resp = self.change_password(token, DEFAULT_PASSWORD, NEW_PASSWORD)
        self.assertEqual(resp.status, 200, resp)
        self.assertTrue(read_until_closed(theirs, 3)[0], "the other session's stream stays open")
        version = self.server.mkdir(token, "/AfterPasswordChange").body["node"]["version"]
        deadline = time.monotonic() + 1.0
        cursor = 0
        while cursor < version:
            data = mine.next_data(max(0.0, deadline - time.monotonic()))
            self.assertIsNotNone(data, "the changing session's stream heard nothing within 1 s")
            cursor = json.loads(data)["cursor"]

    def test_logout_all_ends_every_stream(self):
        tokens = [self.server.login(self.name) for _ in range(3)]
        streams = [self.subscribe(token) for token in tokens]
        self.assertEqual(self.server.post("account/logout-all", None, tokens[1]).status, 200)
        for n, stream in enumerate(streams):
            self.assertTrue(read_until_closed(stream, 3)[0], f"stream {n} stays open")


class SessionExpiryTest(ServerTestCase):
    """Expired sessions are pruned by housekeeping, and their streams end."""

    INSTANCE_ARGS = ("--", "--token-ttl", "3", "--housekeeping-interval", "1")

    def test_expired_session_is_pruned_and_its_stream_ends(self):
        name = "expiring_user"
        self.assertEqual(self.server.register(name).status, 201)
        resp = self.server.login_response(name)
        token, uid = resp.body["token"], resp.body["user"]["id"]
        stream = EventStream(self.server.port, f"{API}/events/u{uid}", token)
        self.addCleanup(stream.close)
        self.assertEqual(stream.status, 200)
        closed, _ = read_until_closed(stream, 8)
        self.assertTrue(closed, "the stream of an expired session stays open")
        # pruned, not merely expired: the store no longer knows the token
        self.assert_error(self.server.whoami(token), 401, "unauthorized")


if __name__ == "__main__":
    main()
