"""Isolation between users: B can neither see nor touch anything of A's.

Every attempt must look exactly like a node that does not exist (404
not_found), and A's data must be unchanged afterwards.
"""

import http.client

from yunpan_instance import ServerTestCase, compute_proof, main, sha256_hex

A_SECRET = b"alice's private bytes " * 100


class IsolationTest(ServerTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        s = cls.server
        cls.a_token, cls.a_user = s.new_user("alice")
        cls.b_token, cls.b_user = s.new_user("bob")
        s.mkdir(cls.a_token, "/Private/Inner", parents=True)
        cls.a_file = s.upload_file(cls.a_token, "/Private/secret.txt", A_SECRET)
        cls.a_folder = s.stat(cls.a_token, path="/Private").body["node"]
        cls.a_inner = s.stat(cls.a_token, path="/Private/Inner").body["node"]
        cls.a_root = s.whoami(cls.a_token).body["root_id"]
        s.mkdir(cls.b_token, "/Mine")
        cls.b_root = s.whoami(cls.b_token).body["root_id"]
        cls.b_folder = s.stat(cls.b_token, path="/Mine").body["node"]

    def setUp(self):
        self.snapshot = self.a_tree()

    def tearDown(self):
        self.assertEqual(self.a_tree(), self.snapshot, "A's data changed")
        super().tearDown()

    def a_tree(self):
        """A's whole tree plus the secret's bytes, to prove nothing changed."""
        s = self.server
        listing = s.list(self.a_token, path="/", category="document", recursive=1)
        nodes = [s.stat(self.a_token, id=n["id"]).body for n in
                 (self.a_file, self.a_folder, self.a_inner)]
        for n in nodes:
            n.get("node", {}).pop("downloads", None)
        return (listing.body["total"], nodes,
                [e["name"] for e in s.list(self.a_token, path="/Private").body["entries"]],
                s.download(self.a_token, id=self.a_file["id"]).body == A_SECRET)

    def b_targets(self):
        """A's nodes as B could name them: by A's ids."""
        return [{"id": self.a_file["id"]}, {"id": self.a_folder["id"]},
                {"id": self.a_inner["id"]}, {"id": self.a_root}]

    def test_stat_and_list(self):
        for target in self.b_targets() + [{"path": "/Private"},
                                          {"path": "/Private/secret.txt"}]:
            with self.subTest(target=target):
                self.assert_error(self.server.stat(self.b_token, **target), 404,
                                  "not_found")
        for target in ({"id": self.a_folder["id"]}, {"id": self.a_root},
                       {"id": self.a_inner["id"]}, {"path": "/Private"}):
            with self.subTest(target=target):
                self.assert_error(self.server.list(self.b_token, **target), 404,
                                  "not_found")

    def test_a_file_id_is_like_a_missing_one(self):
        """Another user's id and a never-used id get the identical answer."""
        other = self.server.stat(self.b_token, id=self.a_file["id"])
        missing = self.server.stat(self.b_token, id=2 ** 40)
        self.assertEqual((other.status, other.body), (missing.status, missing.body))

    def test_download(self):
        for target in (self.b_targets()[0], {"path": "/Private/secret.txt"}):
            with self.subTest(target=target):
                resp = self.server.download(self.b_token, **target)
                self.assert_error(resp, 404, "not_found")
                self.assertNotIn(b"alice's private", resp.raw)
                resp = self.server.download(self.b_token, headers={"Range": "bytes=0-10"},
                                            **target)
                self.assert_error(resp, 404, "not_found")

    def test_download_count_untouched(self):
        before = self.server.stat(self.a_token, id=self.a_file["id"]).body["node"]
        self.server.download(self.b_token, id=self.a_file["id"])
        after = self.server.stat(self.a_token, id=self.a_file["id"]).body["node"]
        self.assertEqual(after["downloads"], before["downloads"])

    def test_move_and_rename(self):
        for target in self.b_targets():
            for dest in ({"to_name": "stolen"}, {"to_parent_id": self.b_root},
                         {"to_path": "/stolen"}):
                with self.subTest(target=target, dest=dest):
                    resp = self.server.move(self.b_token, {**target, **dest})
                    self.assert_error(resp, 404, "not_found")
        # B's own node cannot be moved into A's folder either.
        for dest in ({"to_parent_id": self.a_folder["id"]},
                     {"to_parent_id": self.a_root, "to_name": "planted"}):
            with self.subTest(dest=dest):
                resp = self.server.move(self.b_token, {"id": self.b_folder["id"], **dest})
                self.assert_error(resp, 404, "not_found")
        self.assertEqual(self.server.stat(self.b_token, path="/Mine").status, 200)

    def test_delete(self):
        for target in self.b_targets()[:3]:
            with self.subTest(target=target):
                resp = self.server.delete(self.b_token, target)
                self.assert_error(resp, 404, "not_found")
                resp = self.server.delete(self.b_token,
                                          {**target, "if_version": self.a_file["version"]})
                self.assert_error(resp, 404, "not_found")
        resp = self.server.delete(self.b_token, {"id": self.a_root})
        self.assert_error_one_of(resp, [(404, "not_found")])

    def test_mkdir_in_a_folder(self):
        for parent in (self.a_folder["id"], self.a_root, self.a_inner["id"]):
            with self.subTest(parent=parent):
                resp = self.server.post("files/mkdir", {"parent_id": parent, "name": "x"},
                                        self.b_token)
                self.assert_error(resp, 404, "not_found")

    def test_upload_into_or_over(self):
        data = b"bob's overwrite"
        resp = self.server.start_upload(self.b_token, None, data,
                                        parent_id=self.a_folder["id"], name="secret.txt",
                                        if_version=self.a_file["version"])
        self.assert_error(resp, 404, "not_found")
        resp = self.server.start_upload(self.b_token, None, data,
                                        parent_id=self.a_folder["id"], name="new.txt")
        self.assert_error(resp, 404, "not_found")
        resp = self.server.start_upload(self.b_token, None, data,
                                        parent_id=self.a_root, name="new.txt")
        self.assert_error(resp, 404, "not_found")

    def test_upload_session(self):
        data = b"alice's pending upload" * 10
        resp = self.server.start_upload(self.a_token, "/pending.txt", data)
        self.assertEqual(resp.status, 201, resp)
        upload_id = resp.body["upload"]["id"]
        path = f"/api/v1/uploads/{upload_id}"
        self.assert_error(self.server.request("GET", path, token=self.b_token), 404,
                          "not_found")
        self.assert_error(self.server.put_chunk(self.b_token, upload_id, 0, data), 404,
                          "not_found")
        self.assert_error(self.server.post(f"uploads/{upload_id}/proof", {"proof": "0" * 64},
                                           self.b_token), 404, "not_found")
        self.assert_error(self.server.request("DELETE", path, token=self.b_token), 404,
                          "not_found")
        # A's upload is intact and still at offset 0.
        resp = self.server.request("GET", path, token=self.a_token)
        self.assertEqual(resp.status, 200, resp)
        self.assertEqual(resp.body["upload"]["offset"], 0)
        self.assertEqual(self.server.put_chunk(self.a_token, upload_id, 0, data).status, 201)
        self.snapshot = self.a_tree()
        self.server.delete(self.a_token, {"path": "/pending.txt"})
        self.snapshot = self.a_tree()

    def test_event_channel(self):
        for headers in ({"Accept": "text/event-stream"}, {}):
            with self.subTest(headers=headers):
                status = self.event_status(self.b_token, self.a_user["id"], headers)
                self.assertEqual(status, 403)

    def event_status(self, token, user_id, headers):
        conn = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=5)
        try:
            conn.request("GET", f"/api/v1/events/u{user_id}",
                         headers={"Authorization": f"Bearer {token}", **headers})
            return conn.getresponse().status
        finally:
            conn.close()

    def test_changes_do_not_leak(self):
        resp = self.server.get("changes", self.b_token, {"since": 0, "limit": 1000})
        self.assertEqual(resp.status, 200, resp)
        ids = {c["node"]["id"] for c in resp.body["changes"]}
        self.assertFalse(ids & {self.a_file["id"], self.a_folder["id"], self.a_inner["id"]})
        paths = {c["node"].get("path") for c in resp.body["changes"]}
        self.assertNotIn("/Private", paths)

    def test_shared_content_survives_other_users_delete(self):
        shared = b"same bytes in two trees " * 500
        self.server.upload_file(self.a_token, "/shared.bin", shared)
        b_file = self.server.upload_file(self.b_token, "/shared.bin", shared)
        resp = self.server.delete(self.b_token, {"id": b_file["id"]})
        self.assertEqual(resp.status, 200, resp)
        resp = self.server.download(self.a_token, path="/shared.bin")
        self.assertEqual(resp.status, 200, resp)
        self.assertEqual(sha256_hex(resp.raw), sha256_hex(shared))
        self.assertEqual(resp.raw, shared)
        self.server.delete(self.a_token, {"path": "/shared.bin"})
        self.snapshot = self.a_tree()

    def test_instant_upload_shared_content_survives(self):
        """B gets the content by proof, deletes it; A's copy stays intact."""
        shared = b"instant shared " * 3000
        self.server.upload_file(self.a_token, "/inst.bin", shared)
        resp = self.server.upload(self.b_token, "/inst.bin", shared, answer_challenge=True)
        self.assertEqual(resp.status, 201, resp)
        self.server.delete(self.b_token, {"path": "/inst.bin"})
        self.assertEqual(self.server.download(self.a_token, path="/inst.bin").raw, shared)
        self.server.delete(self.a_token, {"path": "/inst.bin"})
        self.snapshot = self.a_tree()

    def test_paths_are_per_user(self):
        """The same path names different nodes in different trees."""
        resp = self.server.mkdir(self.b_token, "/Private")
        self.assertEqual(resp.status, 201, resp)
        self.assertNotEqual(resp.body["node"]["id"], self.a_folder["id"])
        self.assertEqual(self.server.list(self.b_token, path="/Private").body["total"], 0)
        self.server.delete(self.b_token, {"path": "/Private"})

    def test_proof_for_other_users_upload_cannot_finish_it(self):
        data = b"a second pending upload" * 5
        resp = self.server.start_upload(self.a_token, "/pending2.txt", data)
        upload_id = resp.body["upload"]["id"]
        proof = compute_proof("00" * 16, data)
        self.assert_error(self.server.post(f"uploads/{upload_id}/proof", {"proof": proof},
                                           self.b_token), 404, "not_found")
        self.assertEqual(self.server.request("DELETE", f"/api/v1/uploads/{upload_id}",
                                             token=self.a_token).status, 200)


if __name__ == "__main__":
    main()
