"""What yunpan-cli says when something goes wrong.

Each failure a new user runs into must say what went wrong in the user's
terms (no protocol field names) and, on the next line, what to do next; the
exit status keeps its meaning, and --json carries the same text.
"""

import os

from cli_harness import PASSWORD, CliTestCase
from yunpan_instance import main

USER = "messenger"
JARGON = ("if_version", "409", "offset", "404", "not_found", "endpoint")


class MessagesTest(CliTestCase):

    signed_in = False

    def setUp(self):
        if not type(self).signed_in:
            self.sign_up(USER)
            type(self).signed_in = True
        self.local = self.work_path("note.txt")
        with open(self.local, "wb") as f:
            f.write(b"a note\n")

    def tearDown(self):
        self.remove(self.local)

    def assert_says(self, result, status, message, hint, args=()):
        """Exit STATUS; the first line of stderr holds MESSAGE, the second HINT."""
        self.assert_exit(result, status, args)
        lines = result.stderr.splitlines()
        self.assertGreaterEqual(len(lines), 2, f"no hint: {result.stderr!r}")
        self.assertIn(message, lines[0], result.stderr)
        self.assertIn(hint, lines[1], result.stderr)
        for word in JARGON:
            self.assertNotIn(word, result.stderr, f"protocol jargon in {result.stderr!r}")
        return result

    def error_doc(self, *args, status, **kwargs):
        doc = self.parse_json(self.assert_exit(self.cli("--json", *args, **kwargs), status, args))
        self.assertEqual(doc["error"]["exit_status"], status)
        return doc["error"]

    # -- folders that are not there -----------------------------------------

    def test_put_into_missing_folder(self):
        result = self.cli("put", self.local, "/No/Such/a.txt")
        self.assert_says(result, 4, "“/No/Such” does not exist", "--parents")
        self.assertIn("yunpan-cli mkdir -p /No/Such", result.stderr)
        error = self.error_doc("put", self.local, "/No/Such/a.txt", status=4)
        self.assertEqual(error["code"], "not_found")
        self.assertEqual(error["message"], "“/No/Such” does not exist")
        self.assertIn("--parents", error["hint"])
        # nothing was created on the way
        self.assert_exit(self.cli("ls", "/No"), 4)

    def test_put_parents(self):
        self.cli_ok("put", "--parents", self.local, "/Deep/er/still/a.txt")
        doc = self.cli_json("ls", "/Deep/er/still")
        self.assertEqual([e["name"] for e in doc["entries"]], ["a.txt"])
        # -p, into folders that exist now, and with a trailing slash
        self.cli_ok("put", "-p", self.local, "/Deep/er/b.txt")
        self.cli_ok("put", "-p", self.local, "/Deep/new/")
        self.assertEqual([e["name"] for e in self.cli_json("ls", "/Deep/new")["entries"]],
                         ["note.txt"])
        # at the top, there is nothing to create
        self.cli_ok("put", "-p", self.local, "/top-p.txt")
        self.assertIn("--parents", self.cli_ok("put", "--help").stdout)
        # a file in the way is no folder to create
        result = self.cli("put", "-p", self.local, "/top-p.txt/c.txt")
        self.assert_says(result, 1, "is a file", "A file cannot hold")

    def test_mkdir_missing_parent(self):
        result = self.cli("mkdir", "/Absent/child")
        self.assert_says(result, 4, "“/Absent” does not exist", "-p (--parents)")

    def test_missing_path(self):
        for args in (["ls", "/nothing-here"], ["rm", "/nothing-here"],
                     ["get", "/nothing-here", self.work_path("x")],
                     ["mv", "/nothing-here", "/elsewhere"]):
            with self.subTest(args=args):
                self.assert_says(self.cli(*args), 4, "“/nothing-here” does not exist",
                                 "yunpan-cli ls", args)

    def test_mv_into_missing_folder(self):
        self.cli_ok("put", self.local, "/mv-me.txt")
        result = self.cli("mv", "/mv-me.txt", "/Nowhere/")
        self.assert_says(result, 4, "“/Nowhere” does not exist", "yunpan-cli mkdir -p /Nowhere")

    def test_get_into_missing_local_folder(self):
        self.cli_ok("put", self.local, "/get-me.txt")
        target = os.path.join(self.work, "no-such-dir", "x")
        result = self.cli("get", "/get-me.txt", target)
        self.assert_says(result, 4, os.path.join(self.work, "no-such-dir"), "Create that folder")
        self.assertNotIn(".yunpan-part", result.stderr)

    # -- names that are taken ---------------------------------------------

    def test_name_clash(self):
        self.cli_ok("put", self.local, "/clash.txt")
        result = self.cli("put", self.local, "/clash.txt")
        self.assert_says(result, 5, "“/clash.txt” already exists", "--replace")
        error = self.error_doc("put", self.local, "/clash.txt", status=5)
        self.assertEqual(error["code"], "conflict")
        self.assertEqual(error["server_code"], "exists")
        self.assertNotIn("if_version", error["message"])
        self.assertIn("--replace", error["hint"])

        # and --replace does what the hint says
        with open(self.local, "wb") as f:
            f.write(b"a longer, newer note\n")
        self.cli_ok("put", "--replace", self.local, "/clash.txt")
        back = self.work_path("clash-back.txt")
        try:
            self.cli_ok("get", "/clash.txt", back)
            with open(back, "rb") as f:
                self.assertEqual(f.read(), b"a longer, newer note\n")
        finally:
            self.remove(back)

    def test_mkdir_and_mv_clash(self):
        self.cli_ok("mkdir", "/Taken")
        self.assert_says(self.cli("mkdir", "/Taken"), 5, "“/Taken” already exists",
                         "another name")
        self.cli_ok("put", self.local, "/loose.txt")
        result = self.cli("mv", "/loose.txt", "/Taken")
        self.assert_says(result, 5, "“/Taken” already exists",
                         "end the destination with a slash")

    # -- a folder where a file is expected, and the other way round -------------

    def test_folder_where_a_file_is_expected(self):
        self.cli_ok("mkdir", "/Shelf")
        for args, status in ((["put", self.local, "/Shelf"], 1),
                             (["put", "--replace", self.local, "/Shelf"], 5)):
            with self.subTest(args=args):
                self.assert_says(self.cli(*args), status, "“/Shelf” is a folder",
                                 "yunpan-cli put FILE /Shelf/", args)
        result = self.cli("get", "/Shelf", self.work_path("shelf"))
        self.assert_says(result, 1, "“/Shelf” is a folder", "yunpan-cli ls /Shelf")

    def test_file_where_a_folder_is_expected(self):
        self.cli_ok("put", self.local, "/plain.txt")
        for args in (["put", self.local, "/plain.txt/inner.txt"], ["ls", "/plain.txt/x"],
                     ["mkdir", "/plain.txt/sub"]):
            with self.subTest(args=args):
                self.assert_says(self.cli(*args), 1, "/plain.txt is a file",
                                 "A file cannot hold files or folders", args)

    # -- typing mistakes ----------------------------------------------------

    def test_bad_path_syntax(self):
        for path in ("/a//b", "/a/../b", "/a/./b", "/a\x01b"):
            for args in (["mkdir", path], ["ls", path], ["put", self.local, path]):
                with self.subTest(args=args):
                    result = self.cli(*args)
                    self.assert_says(result, 2, "is not a valid remote path", "/Photos/cat.jpg",
                                     args)
        self.assertEqual(self.error_doc("ls", "/a//b", status=2)["code"], "usage")

    # -- accounts ---------------------------------------------------------

    def test_wrong_password(self):
        result = self.cli("--server", self.server.url, "login", "--password-stdin", USER,
                          stdin="not the password\n", config="wrong")
        self.assert_says(result, 1, "Wrong username or password", "yunpan-cli register")

    def test_username_taken(self):
        result = self.cli("--server", self.server.url, "register", "--password-stdin", USER,
                          stdin=PASSWORD + "\n", config="taken")
        self.assert_says(result, 5, "That username is taken", "yunpan-cli login")

    def test_not_signed_in(self):
        result = self.cli("ls", config="nobody-here")
        self.assert_says(result, 3, "Not signed in to", "yunpan-cli login USERNAME")
        error = self.error_doc("ls", config="nobody-here", status=3)
        self.assertEqual(error["code"], "not_signed_in")
        self.assertIn("yunpan-cli login", error["hint"])

    def test_session_ended(self):
        self.sign_up("ended_msg", config="ended")
        token = self.keyring_token("ended_msg")
        if token is None:
            self.skipTest("needs secret-tool (libsecret-tools) to read the token")
        self.assertEqual(self.server.post("account/logout", {}, token).status, 200)
        result = self.cli("ls", config="ended")
        self.assert_says(result, 3, "has ended", "yunpan-cli login USERNAME")
        self.assertIn(self.server.url.rstrip("/"), result.stderr)

    # -- the server --------------------------------------------------------

    def test_server_unreachable(self):
        for server, hint in (("http://127.0.0.1:9", "is running"),
                             ("http://no-such-host.invalid", "spelling"),
                             (self.server.url.replace("http://", "https://"), "http://")):
            with self.subTest(server=server):
                result = self.cli("--server", server, "login", "--password-stdin", USER,
                                  stdin=PASSWORD + "\n", config="unreachable")
                self.assert_says(result, 6, server.rstrip("/"), hint)
                self.assertIn("--server", result.stderr.splitlines()[1])
                self.assertIn(server.rstrip("/"), result.stderr.splitlines()[1])
        error = self.error_doc("--server", "http://127.0.0.1:9", "register", "--password-stdin",
                               "someone", stdin=PASSWORD + "\n", config="unreachable",
                               status=6)
        self.assertEqual(error["code"], "unreachable")
        self.assertIn("--server", error["hint"])


class QuotaMessageTest(CliTestCase):

    server_args = ("--quota", "1k")

    def test_over_quota(self):
        self.sign_up("tight")
        local = self.work_path("big.bin")
        with open(local, "wb") as f:
            f.write(os.urandom(4096))
        try:
            result = self.cli("put", local, "/big.bin")
            self.assert_exit(result, 1)
            lines = result.stderr.splitlines()
            self.assertIn("not enough space", lines[0])
            self.assertIn("yunpan-cli rm", lines[1])
            doc = self.parse_json(self.assert_exit(self.cli("--json", "put", local, "/big.bin"),
                                                   1))
            self.assertEqual(doc["error"]["server_code"], "quota_exceeded")
            self.assertIn("yunpan-cli rm", doc["error"]["hint"])
        finally:
            self.remove(local)


if __name__ == "__main__":
    main()
