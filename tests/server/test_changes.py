"""The change feed: cursors, operations, paging and its bounds."""

import time

from yunpan_instance import ServerTestCase, main


class ChangesTest(ServerTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.token, cls.user = cls.server.new_user("changes")

    def changes(self, token=None, **query):
        resp = self.server.get("changes", token or self.token, query)
        self.assertEqual(resp.status, 200, resp)
        return resp.body

    def latest(self):
        return self.server.whoami(self.token).body["cursor"]

    def test_operations_in_order(self):
        start = self.latest()
        folder = self.server.mkdir(self.token, "/Feed").body["node"]
        f = self.server.upload_file(self.token, "/Feed/a.txt", b"one")
        g = self.server.upload(self.token, "/Feed/a.txt", b"two",
                               if_version=f["version"]).body["file"]
        moved = self.server.move(self.token, {"id": f["id"], "to_path": "/Feed/b.txt"})
        moved = moved.body["node"]
        deleted = self.server.delete(self.token, {"id": f["id"]}).body
        body = self.changes(since=start)
        ops = [(c["op"], c["node"]["id"]) for c in body["changes"]]
        self.assertEqual(ops, [("create", folder["id"]), ("create", f["id"]),
                               ("modify", f["id"]), ("move", f["id"]),
                               ("delete", f["id"])])
        cursors = [c["cursor"] for c in body["changes"]]
        self.assertEqual(cursors, sorted(set(cursors)), "cursors must strictly increase")
        self.assertGreater(cursors[0], start)
        self.assertEqual(body["cursor"], cursors[-1])
        self.assertEqual(body["latest"], cursors[-1])
        self.assertIs(body["has_more"], False)
        by_op = {c["op"]: c for c in body["changes"][1:]}
        self.assertEqual(body["changes"][0]["node"]["path"], "/Feed")
        self.assertEqual(by_op["create"]["node"]["path"], "/Feed/a.txt")
        self.assertEqual(by_op["modify"]["node"]["sha256"], g["sha256"])
        self.assertEqual(by_op["move"]["node"]["path"], "/Feed/b.txt")
        self.assertEqual(by_op["move"]["old_path"], "/Feed/a.txt")
        self.assertEqual(by_op["delete"]["node"]["path"], "/Feed/b.txt")
        self.assertEqual(by_op["delete"]["node"]["type"], "file")
        self.assertEqual(by_op["delete"]["cursor"], deleted["cursor"])
        # A node's version is the cursor of the change that last touched it.
        self.assertEqual(folder["version"], cursors[0])
        self.assertEqual(f["version"], cursors[1])
        self.assertEqual(g["version"], cursors[2])
        self.assertEqual(moved["version"], cursors[3])
        self.assertEqual(self.latest(), cursors[-1])

    def test_folder_delete_is_one_change(self):
        self.server.mkdir(self.token, "/Gone/a/b", parents=True)
        self.server.upload_file(self.token, "/Gone/a/b/f.txt", b"f")
        start = self.latest()
        self.server.delete(self.token, {"path": "/Gone"})
        body = self.changes(since=start)
        self.assertEqual([(c["op"], c["node"]["path"]) for c in body["changes"]],
                         [("delete", "/Gone")])

    def test_mkdir_parents_creates_each_folder(self):
        start = self.latest()
        self.server.mkdir(self.token, "/P1/P2/P3", parents=True)
        body = self.changes(since=start)
        self.assertEqual([(c["op"], c["node"]["path"]) for c in body["changes"]],
                         [("create", "/P1"), ("create", "/P1/P2"), ("create", "/P1/P2/P3")])

    def test_failed_requests_add_nothing(self):
        f = self.server.upload_file(self.token, "/nochange.txt", b"n")
        start = self.latest()
        self.server.mkdir(self.token, "/nochange.txt")
        self.server.move(self.token, {"id": f["id"], "if_version": f["version"] + 99,
                                      "to_name": "x"})
        self.server.delete(self.token, {"id": f["id"], "if_version": f["version"] + 99})
        self.server.upload(self.token, "/bad-hash.bin", b"abc", sha256="0" * 64)
        self.assertEqual(self.changes(since=start)["changes"], [])
        self.assertEqual(self.latest(), start)

    def test_paging(self):
        start = self.latest()
        for i in range(5):
            self.server.mkdir(self.token, f"/Page{i}")
        seen, since, rounds = [], start, 0
        while True:
            body = self.changes(since=since, limit=2)
            self.assertLessEqual(len(body["changes"]), 2)
            seen += body["changes"]
            rounds += 1
            if body["changes"]:
                self.assertEqual(body["cursor"], body["changes"][-1]["cursor"])
            self.assertGreaterEqual(body["latest"], body["cursor"])
            if not body["has_more"]:
                break
            self.assertEqual(len(body["changes"]), 2)
            since = body["cursor"]
            self.assertLess(rounds, 10)
        self.assertEqual(rounds, 3)
        self.assertEqual([c["node"]["name"] for c in seen], [f"Page{i}" for i in range(5)])

    def test_since_beyond_latest(self):
        latest = self.latest()
        for since in (latest, latest + 1, latest + 10 ** 6):
            with self.subTest(since=since):
                body = self.changes(since=since)
                self.assertEqual(body["changes"], [])
                self.assertIs(body["has_more"], False)
                self.assertEqual(body["latest"], latest)

    def test_default_since_is_everything(self):
        self.server.mkdir(self.token, "/DefaultSince")
        body = self.changes(limit=1000)
        self.assertTrue(body["changes"])
        self.assertEqual(body["changes"], self.changes(since=0, limit=1000)["changes"])

    def test_whoami_cursor_is_latest(self):
        self.server.mkdir(self.token, "/WhoamiCursor")
        self.assertEqual(self.latest(), self.changes(since=0, limit=1)["latest"])

    def test_bad_arguments(self):
        for query in ({"since": -1}, {"since": "abc"}, {"since": "1.5"}, {"limit": 0},
                      {"limit": 1001}, {"limit": "x"}, {"since": ""},
                      {"since": "99999999999999999999999"}):
            with self.subTest(query=query):
                resp = self.server.get("changes", self.token, query)
                self.assert_error(resp, 400, "invalid_argument")

    def test_feeds_are_per_user(self):
        token, _ = self.server.new_user("otherfeed")
        start = self.server.whoami(token).body["cursor"]
        self.server.mkdir(self.token, "/NotForOther")
        body = self.changes(token, since=start)
        self.assertEqual(body["changes"], [])
        self.server.mkdir(token, "/Mine")
        body = self.changes(token, since=start)
        self.assertEqual([c["node"]["path"] for c in body["changes"]], ["/Mine"])


class RetentionTest(ServerTestCase):
    """Entries older than --change-retention are forgotten; a client whose
    cursor falls before them is told to list again, never given a feed with
    a hole in it."""

    INSTANCE_ARGS = ("--", "--change-retention", "2", "--housekeeping-interval", "1")

    def test_cursor_expires_past_retention(self):
        token, _ = self.server.new_user("retain")
        start = self.server.whoami(token).body["cursor"]
        self.assertEqual(self.server.mkdir(token, "/old").status, 201)
        seen = self.server.whoami(token).body["cursor"]
        self.assertEqual(self.server.get("changes", token, {"since": start}).status, 200)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            resp = self.server.get("changes", token, {"since": start})
            if resp.status != 200:
                break
            time.sleep(0.5)
        self.assert_error(resp, 410, "cursor_expired")
        # a client that had seen everything before the prune goes on
        self.assertEqual(self.server.mkdir(token, "/new").status, 201)
        resp = self.server.get("changes", token, {"since": seen})
        self.assertEqual(resp.status, 200, resp)
        self.assertEqual([c["node"]["path"] for c in resp.body["changes"]], ["/new"])


if __name__ == "__main__":
    main()
