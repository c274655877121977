"""yunpan-cli accounts: register, login, whoami, logout; where the session is kept.

The token must live in the keyring (the real gnome-keyring of this test) and
nowhere on disk in plain text; exit statuses 2, 3 and 7; --help everywhere.
"""

import hashlib
import os
import pty
import re
import select
import shutil
import time

from cli_harness import PASSWORD, CliTestCase
from yunpan_instance import main

COMMANDS = ["register", "login", "logout", "whoami", "ls", "mkdir", "put", "get", "rm", "mv",
            "changes", "sync"]
TOKEN_SHAPE = re.compile(rb"[A-Za-z0-9_-]{43}")


class AccountTest(CliTestCase):

    def files_under(self, root):
        for dirpath, _dirs, files in os.walk(root):
            for name in files:
                path = os.path.join(dirpath, name)
                if os.path.isfile(path) and not os.path.islink(path):
                    yield path

    def assert_token_not_on_disk(self, token=None):
        """No file under the temporary HOME (every XDG folder is in it) holds a
        live session token: neither TOKEN itself nor any token-shaped string
        whose SHA-256 the server has in its sessions table."""
        live = self.session_hashes()
        self.assertTrue(live, "the server has no session at all")
        checked = 0
        for path in self.files_under(self.home):
            with open(path, "rb") as f:
                data = f.read()
            checked += 1
            if token is not None:
                self.assertNotIn(token.encode(), data, f"the token is in {path}")
            for m in TOKEN_SHAPE.finditer(data):
                self.assertNotIn(hashlib.sha256(m.group(0)).digest(), live,
                                 f"a live session token is in {path}")
        self.assertGreater(checked, 0)

    def test_register_login_whoami_logout(self):
        out = self.register("alice_acc").stdout
        self.assertIn("alice_acc", out)
        # registering does not sign in
        self.assert_exit(self.cli("whoami"), 3)
        before = self.session_hashes()

        out = self.login("alice_acc").stdout
        self.assertIn("alice_acc", out)
        new_sessions = self.session_hashes() - before
        self.assertEqual(len(new_sessions), 1, "login created not exactly one session")

        # the account file names the server and user, never the token
        with open(os.path.join(self.home, "config", "yunpan", "account.ini")) as f:
            account = f.read()
        self.assertIn(self.server.url.rstrip("/"), account)
        self.assertIn("alice_acc", account)

        token = self.keyring_token("alice_acc")
        if shutil.which("secret-tool"):
            self.assertIsNotNone(token, "no token in the keyring")
            self.assertEqual({hashlib.sha256(token.encode()).digest()}, new_sessions,
                             "the keyring's token is not the session's")
        self.assert_token_not_on_disk(token)

        # whoami works from the keyring, without --server
        out = self.cli_ok("whoami").stdout
        self.assertIn("alice_acc", out)
        self.assertIn(self.server.url.rstrip("/"), out)
        doc = self.cli_json("whoami")
        self.assertEqual(doc["user"]["username"], "alice_acc")
        self.assertIsInstance(doc["user"]["id"], int)
        self.assertIsInstance(doc["cursor"], int)
        self.assertEqual(doc["server"], self.server.url.rstrip("/"))

        self.cli_ok("logout")
        # the server revoked the session, the keyring forgot it
        self.assertEqual(self.session_hashes() & new_sessions, set())
        self.assertIsNone(self.keyring_token("alice_acc"))
        result = self.assert_exit(self.cli("whoami"), 3)
        self.assertIn("login", result.stderr)
        self.assert_exit(self.cli("ls"), 3)
        self.assert_exit(self.cli("logout"), 3)

    def run_on_terminal(self, args, answers, config):
        """Runs the CLI with a pseudo-terminal as its controlling terminal,
        answering each prompt in ANSWERS (prompt bytes, reply); returns
        (everything the terminal showed, exit status)."""
        env = self.cli_env(config)
        pid, fd = pty.fork()
        if pid == 0:
            try:
                os.execve(self.cli_path, [self.cli_path, *args], env)
            finally:
                os._exit(127)
        shown = b""

        def read_until(done, timeout=30):
            nonlocal shown
            deadline = time.monotonic() + timeout
            while not done() and time.monotonic() < deadline:
                ready, _, _ = select.select([fd], [], [], 0.1)
                if ready:
                    try:
                        chunk = os.read(fd, 4096)
                    except OSError:
                        return
                    if not chunk:
                        return
                    shown += chunk

        try:
            for prompt, reply in answers:
                read_until(lambda: shown.endswith(prompt))
                self.assertTrue(shown.endswith(prompt), f"no prompt {prompt!r}: {shown!r}")
                os.write(fd, reply.encode() + b"\n")
            read_until(lambda: False, timeout=60)
        finally:
            _, status = os.waitpid(pid, 0)
            os.close(fd)
        return shown, os.waitstatus_to_exitcode(status)

    def test_password_prompt_on_a_terminal(self):
        shown, status = self.run_on_terminal(
            ["--server", self.server.url, "register", "kim_acc"],
            [(b"New password: ", PASSWORD), (b"Repeat the password: ", PASSWORD)], "kim")
        self.assertEqual(status, 0, shown)
        self.assertNotIn(PASSWORD.encode(), shown, "the password was echoed")
        shown, status = self.run_on_terminal(["--server", self.server.url, "login", "kim_acc"],
                                             [(b"Password: ", PASSWORD)], "kim")
        self.assertEqual(status, 0, shown)
        self.assertNotIn(PASSWORD.encode(), shown, "the password was echoed")
        self.assertIn(b"Signed in as kim_acc", shown)
        self.assertEqual(self.cli_json("whoami", config="kim")["user"]["username"], "kim_acc")
        # two different passwords for a new account: nothing registered
        shown, status = self.run_on_terminal(
            ["--server", self.server.url, "register", "lee_acc"],
            [(b"New password: ", PASSWORD), (b"Repeat the password: ", PASSWORD + "x")], "lee")
        self.assertEqual(status, 1, shown)
        self.assertIn(b"differ", shown)

    def test_wrong_password(self):
        self.register("bob_acc", config="bob")
        result = self.cli("--server", self.server.url, "login", "--password-stdin", "bob_acc",
                          stdin="not the password\n", config="bob")
        self.assert_exit(result, 1)
        self.assertIsNone(self.keyring_token("bob_acc"))
        self.assert_exit(self.cli("whoami", config="bob"), 3)

    def test_username_taken(self):
        self.register("carol_acc", config="carol")
        result = self.cli("--server", self.server.url, "register", "--password-stdin",
                          "Carol_acc", stdin=PASSWORD + "\n", config="carol")
        self.assert_exit(result, 5)

    def test_password_only_from_terminal_or_stdin(self):
        # an argument in its place is a usage error, not a password
        result = self.cli("--server", self.server.url, "login", "dave_acc", PASSWORD,
                          config="dave")
        self.assert_exit(result, 2)
        result = self.cli("--server", self.server.url, "login", "--password", PASSWORD,
                          "dave_acc", config="dave")
        self.assert_exit(result, 2)
        # no terminal (the CLI runs in a session of its own) and no --password-stdin
        result = self.cli("--server", self.server.url, "login", "dave_acc", stdin="",
                          config="dave")
        self.assert_exit(result, 2)
        self.assertIn("--password-stdin", result.stderr)
        # an empty first line is no password
        result = self.cli("--server", self.server.url, "register", "--password-stdin",
                          "dave_acc", stdin="\n" + PASSWORD + "\n", config="dave")
        self.assert_exit(result, 2)

    def test_session_revoked_on_the_server(self):
        self.sign_up("erin_acc", config="erin")
        sessions = self.session_hashes()
        self.cli_ok("whoami", config="erin")
        token = self.keyring_token("erin_acc")
        if token is None:
            self.skipTest("needs secret-tool (libsecret-tools) to read the token")
        resp = self.server.post("account/logout", {}, token)
        self.assertEqual(resp.status, 200, resp)
        self.assertLess(len(self.session_hashes()), len(sessions))
        result = self.assert_exit(self.cli("ls", config="erin"), 3)
        self.assertIn("login", result.stderr)
        doc = self.parse_json(self.assert_exit(self.cli("--json", "ls", config="erin"), 3))
        self.assertEqual(doc["error"]["code"], "not_signed_in")
        self.assertEqual(doc["error"]["exit_status"], 3)

    def test_login_again_replaces_the_session(self):
        self.sign_up("frank_acc", config="frank")
        first = self.session_hashes()
        self.register("gina_acc", config="frank")
        self.login("gina_acc", config="frank")
        # switching accounts ended frank's session: nobody could use it again
        self.assertIsNone(self.keyring_token("frank_acc"))
        self.assertEqual(self.cli_json("whoami", config="frank")["user"]["username"],
                         "gina_acc")
        self.assertEqual(len(self.session_hashes() - first), 1)
        self.assertEqual(len(first - self.session_hashes()), 1)

    def test_no_secret_service(self):
        # signed in, then the Secret Service is gone
        self.sign_up("hank_acc", config="hank")
        no_bus = {"DBUS_SESSION_BUS_ADDRESS": "disabled:"}
        sessions = self.session_hashes()
        for args in (["whoami"], ["ls", "/"], ["--server", self.server.url, "login",
                                               "--password-stdin", "hank_acc"]):
            with self.subTest(args=args):
                result = self.cli(*args, stdin=PASSWORD + "\n", config="hank", env=no_bus)
                self.assert_exit(result, 7, args)
                self.assertRegex(result.stderr, r"(?i)gnome-keyring|secret service")
        # the failed login did not leave a session behind on the server
        self.assertEqual(self.session_hashes(), sessions)
        doc = self.parse_json(self.cli("--json", "whoami", config="hank", env=no_bus))
        self.assertEqual(doc["error"]["code"], "no_keyring")

    def test_not_signed_in_anywhere(self):
        for args in (["whoami"], ["ls"], ["mkdir", "/x"], ["rm", "/x"], ["mv", "/a", "/b"],
                     ["changes"], ["get", "/a", self.work_path("a")], ["logout"]):
            with self.subTest(args=args):
                self.assert_exit(self.cli(*args, config="nobody"), 3, args)
        put = self.work_path("small-for-nobody")
        with open(put, "wb") as f:
            f.write(b"x")
        self.assert_exit(self.cli("put", put, "/x", config="nobody"), 3)
        # another server than the one signed in to is "not signed in" too
        self.sign_up("ivan_acc", config="ivan")
        other = "http://127.0.0.1:9"
        self.assert_exit(self.cli("--server", other, "whoami", config="ivan"), 3)

    def test_server_unreachable(self):
        result = self.cli("--server", "http://127.0.0.1:9", "register", "--password-stdin",
                          "judy_acc", stdin=PASSWORD + "\n", config="judy")
        self.assert_exit(result, 6)

    def test_help(self):
        result = self.cli_ok("--help")
        for command in COMMANDS:
            self.assertIn(command, result.stdout)
        self.assertIn("Exit status", result.stdout)
        for command in COMMANDS:
            with self.subTest(command=command):
                result = self.cli_ok(command, "--help")
                self.assertIn(f"yunpan-cli [OPTION…] {command}", result.stdout)
                self.assertIn("--server", result.stdout)
                # "help COMMAND" is --help: the command's own options too
                self.assertEqual(self.cli_ok("help", command).stdout, result.stdout)
        self.assertIn("--password-stdin", self.cli_ok("login", "--help").stdout)
        self.assertIn("--limit-rate", self.cli_ok("put", "--help").stdout)
        self.assertIn("--since", self.cli_ok("changes", "--help").stdout)
        self.assertIn("--once", self.cli_ok("help", "sync").stdout)
        self.assertRegex(self.cli_ok("--version").stdout, r"^yunpan-cli \d")

    def test_usage_errors(self):
        for args in ([], ["frobnicate"], ["ls", "/a", "/b"], ["mkdir"], ["put", "only-one"],
                     ["get", "/a"], ["mv", "/a"], ["rm"], ["changes", "--since", "x"],
                     ["changes", "extra"], ["--server", "ftp://example", "ls"],
                     ["--server", "not a url", "ls"], ["ls", "--no-such-option"],
                     ["put", "--limit-rate", "fast", "a", "/b"], ["help", "frobnicate"]):
            with self.subTest(args=args):
                self.assert_exit(self.cli(*args, config="usage"), 2, args)
        doc = self.parse_json(self.cli("--json", "frobnicate", config="usage"))
        self.assertEqual(doc["error"]["code"], "usage")
        result = self.cli("ls", config="usage", YUNPAN_CHUNK_SIZE="lots")
        self.assert_exit(result, 2)


if __name__ == "__main__":
    main()
