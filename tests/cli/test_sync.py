"""yunpan-cli sync: the sync engine run by two clients, each with its own
XDG data folder (its own pair state), against a real server."""

import os

from cli_harness import CliTestCase
from yunpan_instance import main


def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def write(path, text):
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


class SyncTest(CliTestCase):

    def test_two_clients_round_trip(self):
        self.sign_up("syncer")
        a, b = self.work_path("A"), self.work_path("B")
        os.makedirs(a)
        write(os.path.join(a, "hello.txt"), "hello")
        os.makedirs(os.path.join(a, "sub"))
        write(os.path.join(a, "sub", "x.txt"), "x")
        envA = {"XDG_DATA_HOME": os.path.join(self.home, "data-a")}
        envB = {"XDG_DATA_HOME": os.path.join(self.home, "data-b")}
        self.cli_ok("sync", "--once", "--host", "a", a, "/S", env=envA)
        self.cli_ok("sync", "--once", "--host", "b", b, "/S", env=envB)
        self.assertEqual(read(os.path.join(b, "sub", "x.txt")), "x")
        os.rename(os.path.join(b, "sub"), os.path.join(b, "sub2"))
        write(os.path.join(b, "hello.txt"), "hello from b")
        self.cli_ok("sync", "--once", "--host", "b", b, "/S", env=envB)
        self.cli_ok("sync", "--once", "--host", "a", a, "/S", env=envA)
        self.assertEqual(read(os.path.join(a, "sub2", "x.txt")), "x")
        self.assertEqual(read(os.path.join(a, "hello.txt")), "hello from b")
        r = self.cli_ok("sync", "--once", "--host", "a", a, "/S", env=envA)
        self.assertIn("0 uploaded, 0 downloaded", r.stdout)
        self.assertIn("In sync.", r.stdout)


if __name__ == "__main__":
    main()
