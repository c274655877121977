"""One server, many spellings: yunpan-cli finds the same session whichever
way the address is written, and the sessions that earlier versions saved
under the address as it was typed."""

import os
import shutil
import subprocess

from cli_harness import CliTestCase
from yunpan_instance import main

SCHEMA = "io.github.yunpan.Yunpan.Session"


class ServerAddressTest(CliTestCase):

    def spellings(self):
        """Other ways to write the test server's address."""
        url = self.server.url.rstrip("/")
        return [url + "/", url.replace("http://", "HTTP://") + "/", url + "/api/v1",
                url + "/api/v1/"]

    def test_every_spelling_finds_the_session(self):
        self.sign_up("speller", config="speller")
        for spelling in self.spellings():
            with self.subTest(server=spelling):
                doc = self.cli_json("--server", spelling, "whoami", config="speller")
                self.assertEqual(doc["user"]["username"], "speller")
                self.assertEqual(doc["server"], self.server.url.rstrip("/"))

    def test_sign_in_with_another_spelling(self):
        odd = self.server.url.rstrip("/").replace("http://", "HTTP://") + "/api/v1/"
        self.register("odd_speller", config="odd")
        self.login("odd_speller", config="odd", server=odd)
        with open(os.path.join(self.home, "config-odd", "yunpan", "account.ini")) as f:
            self.assertIn(f"server={self.server.url.rstrip('/')}\n", f.read())
        self.assertIsNotNone(self.keyring_token("odd_speller"))
        self.assertEqual(self.cli_json("whoami", config="odd")["user"]["username"],
                         "odd_speller")

    def secret_tool(self, *args, stdin=None):
        return subprocess.run(["secret-tool", *args], input=stdin, capture_output=True,
                              env=self.env, timeout=30)

    def test_session_of_an_earlier_version(self):
        """account.ini and the keyring item both under "HTTP://host:port/"."""
        if shutil.which("secret-tool") is None:
            self.skipTest("needs secret-tool (libsecret-tools)")
        self.register("veteran", config="veteran")
        token = self.server.login("veteran")
        old = self.server.url.rstrip("/").replace("http://", "HTTP://") + "/"
        folder = os.path.join(self.home, "config-veteran", "yunpan")
        os.makedirs(folder, exist_ok=True)
        with open(os.path.join(folder, "account.ini"), "w") as f:
            f.write(f"[Account]\nserver={old}\nusername=veteran\n")
        stored = self.secret_tool("store", "--label=Yunpan", "xdg:schema", SCHEMA,
                                  "server", old, "username", "veteran", stdin=token.encode())
        self.assertEqual(stored.returncode, 0, stored.stderr)

        doc = self.cli_json("whoami", config="veteran")
        self.assertEqual(doc["user"]["username"], "veteran")
        # the item moved to the normal spelling: one item, found by it
        self.assertEqual(self.keyring_token("veteran"), token)
        found = self.secret_tool("search", "--all", "username", "veteran")
        # secret-tool prints the attributes on stderr, the rest on stdout
        items = found.stdout.decode() + found.stderr.decode()
        self.assertEqual(items.count("attribute.server = "), 1, items)
        self.assertIn(f"attribute.server = {self.server.url.rstrip('/')}\n", items)
        self.cli_ok("logout", config="veteran")
        self.assertIsNone(self.keyring_token("veteran"))


if __name__ == "__main__":
    main()
