"""yunpan-cli on the file tree: ls, mkdir, mv, rm, changes; --json and exit statuses."""

import re

from cli_harness import CliTestCase
from yunpan_instance import main

USER = "filer"
LS_LINE = re.compile(r"^(file|folder)\s+(\d+|-)\s+(\d{4}-\d\d-\d\d \d\d:\d\d)\s+(.+)$")


class FilesTest(CliTestCase):

    signed_in = False

    def setUp(self):
        if not type(self).signed_in:
            self.sign_up(USER)
            type(self).signed_in = True

    def put_small(self, remote, data=b"hello\n"):
        local = self.work_path("small.txt")
        with open(local, "wb") as f:
            f.write(data)
        try:
            return self.cli_ok("put", local, remote)
        finally:
            self.remove(local)

    def ls_lines(self, *args):
        lines = self.cli_ok("ls", *args).stdout.splitlines()
        parsed = [LS_LINE.match(line) for line in lines]
        for line, m in zip(lines, parsed):
            self.assertIsNotNone(m, f"ls line not type/size/time/name: {line!r}")
        return [m.groups() for m in parsed]

    def test_mkdir_and_ls(self):
        self.assertIn("/Docs", self.cli_ok("mkdir", "/Docs").stdout)
        self.cli_ok("mkdir", "-p", "/Docs/a/b/c")
        self.assert_exit(self.cli("mkdir", "/Docs"), 5)
        self.cli_ok("mkdir", "-p", "/Docs")
        self.assert_exit(self.cli("mkdir", "/Nope/x"), 4)
        # a leading / may be left out
        self.cli_ok("mkdir", "Docs/d")
        self.put_small("/Docs/note.txt", b"12345")

        lines = self.ls_lines("/Docs")
        self.assertEqual([(t, n) for t, _s, _m, n in lines],
                         [("folder", "a/"), ("folder", "d/"), ("file", "note.txt")])
        self.assertEqual(lines[2][1], "5")

        doc = self.cli_json("ls", "/Docs/a")
        self.assertEqual(doc["folder"]["path"], "/Docs/a")
        self.assertEqual(doc["folder"]["type"], "folder")
        self.assertEqual(doc["total"], 1)
        self.assertEqual([e["name"] for e in doc["entries"]], ["b"])
        node = doc["entries"][0]
        for field in ("id", "parent_id", "name", "path", "type", "size", "category",
                      "created", "modified", "version"):
            self.assertIn(field, node)
        self.assertGreater(node["created"], 0)
        self.assertEqual(node["parent_id"], doc["folder"]["id"])

        doc = self.cli_json("mkdir", "/Docs/e")
        self.assertEqual(doc["node"]["path"], "/Docs/e")

    def test_ls_root_file_and_missing(self):
        self.put_small("/top.txt")
        names = [n for _t, _s, _m, n in self.ls_lines()]
        self.assertIn("top.txt", names)
        self.assertEqual([n for _t, _s, _m, n in self.ls_lines("/top.txt")], ["top.txt"])
        self.assert_exit(self.cli("ls", "/missing"), 4)
        doc = self.parse_json(self.assert_exit(self.cli("--json", "ls", "/missing"), 4))
        self.assertEqual(doc["error"]["code"], "not_found")
        self.assertEqual(doc["error"]["exit_status"], 4)
        # options after the command work too
        doc = self.parse_json(self.assert_exit(self.cli("ls", "/missing", "--json"), 4))
        self.assertEqual(doc["error"]["code"], "not_found")

    def test_ls_pages_through_big_folders(self):
        token = self.server.login(USER)
        self.cli_ok("mkdir", "/Big")
        for i in range(1005):
            resp = self.server.mkdir(token, f"/Big/d{i:04d}")
            self.assertEqual(resp.status, 201, resp)
        doc = self.cli_json("ls", "/Big")
        self.assertEqual(doc["total"], 1005)
        self.assertEqual(len(doc["entries"]), 1005)
        self.assertEqual(len(self.ls_lines("/Big")), 1005)

    def test_utf8_names(self):
        name = "\u62a5\u544a 2024 \u00fc"     # 报告 2024 ü
        self.cli_ok("mkdir", "/" + name)
        self.put_small(f"/{name}/\u732b.txt")
        self.assertIn(("folder", name + "/"),
                      [(t, n) for t, _s, _m, n in self.ls_lines("/")])
        doc = self.cli_json("ls", "/" + name)
        self.assertEqual(doc["entries"][0]["name"], "\u732b.txt")

    def test_mv(self):
        self.cli_ok("mkdir", "-p", "/Move/Into")
        self.put_small("/Move/a.txt")
        self.put_small("/Move/taken.txt")
        doc = self.cli_json("mv", "/Move/a.txt", "/Move/b.txt")
        self.assertEqual(doc["node"]["path"], "/Move/b.txt")
        # a TO ending in / is the folder to move into
        self.cli_ok("mv", "/Move/b.txt", "/Move/Into/")
        self.assertEqual(self.cli_json("ls", "/Move/Into")["entries"][0]["name"], "b.txt")
        self.assert_exit(self.cli("mv", "/Move/Into/b.txt", "/Move/taken.txt"), 5)
        self.assert_exit(self.cli("mv", "/Move/none.txt", "/Move/x.txt"), 4)
        self.assert_exit(self.cli("mv", "/Move", "/Move/Into/Move"), 1)

    def test_rm(self):
        self.cli_ok("mkdir", "-p", "/Gone/deep/er")
        self.put_small("/Gone/deep/f.txt")
        self.put_small("/gone.txt")
        self.assertIn("/gone.txt", self.cli_ok("rm", "/gone.txt").stdout)
        doc = self.cli_json("rm", "/Gone")
        self.assertEqual(doc["deleted"], "/Gone")
        self.assert_exit(self.cli("ls", "/Gone"), 4)
        self.assert_exit(self.cli("rm", "/Gone"), 4)
        self.assert_exit(self.cli("rm", "/"), 1)

    def test_changes(self):
        cursor = self.cli_json("whoami")["cursor"]
        self.cli_ok("mkdir", "/Feed")
        self.cli_ok("mv", "/Feed", "/Fed")
        self.cli_ok("rm", "/Fed")

        doc = self.cli_json("changes", "--since", str(cursor))
        ops = [(c["op"], c["node"]["path"]) for c in doc["changes"]]
        self.assertEqual(ops, [("create", "/Feed"), ("move", "/Fed"), ("delete", "/Fed")])
        self.assertEqual(doc["changes"][1]["old_path"], "/Feed")
        self.assertEqual(doc["cursor"], doc["changes"][-1]["cursor"])
        self.assertEqual(doc["latest"], doc["cursor"])
        cursors = [c["cursor"] for c in doc["changes"]]
        self.assertEqual(cursors, sorted(cursors))
        self.assertTrue(all(c > cursor for c in cursors))

        text = self.cli_ok("changes", "--since", str(cursor)).stdout.splitlines()
        self.assertEqual(len(text), 4, text)
        self.assertRegex(text[0], r"^\d+\tcreate\t/Feed$")
        self.assertRegex(text[1], r"^\d+\tmove\t/Feed -> /Fed$")
        self.assertRegex(text[2], r"^\d+\tdelete\t/Fed$")
        self.assertEqual(text[3], f"cursor {doc['cursor']}")

        # nothing new after the newest cursor; the whole feed from 0
        self.assertEqual(self.cli_json("changes", "--since", str(doc["cursor"]))["changes"], [])
        everything = self.cli_json("changes")["changes"]
        self.assertGreaterEqual(len(everything), 3)
        self.assert_exit(self.cli("changes", "--since", "-1"), 2)


if __name__ == "__main__":
    main()
