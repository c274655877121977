"""The file tree: mkdir, list, stat, move, delete, versions and conditions."""

import time

from yunpan_instance import ServerTestCase, main, sha256_hex


class FilesTestCase(ServerTestCase):
    """One user per class; each test works in its own folder."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.token, cls.user = cls.server.new_user("files")
        cls.root_id = cls.server.whoami(cls.token).body["root_id"]

    def mkdir(self, path, status=201, **extra):
        body = {"path": path}
        body.update(extra)
        resp = self.server.post("files/mkdir", body, self.token)
        self.assertEqual(resp.status, status, resp)
        return resp.body["node"]

    def put(self, path, data=b"x", **extra):
        return self.server.upload_file(self.token, path, data, **extra)

    def stat(self, **target):
        return self.server.stat(self.token, **target)

    def node(self, **target):
        resp = self.stat(**target)
        self.assertEqual(resp.status, 200, resp)
        return resp.body["node"]

    def listing(self, **query):
        resp = self.server.list(self.token, **query)
        self.assertEqual(resp.status, 200, resp)
        return resp.body


class MkdirTest(FilesTestCase):

    def test_mkdir_by_path(self):
        node = self.mkdir("/Mk")
        self.assert_node(node, type="folder", name="Mk", path="/Mk",
                         parent_id=self.root_id, size=0, category="folder")
        self.assertEqual(self.node(path="/Mk")["id"], node["id"])
        self.assertEqual(self.node(id=node["id"])["path"], "/Mk")

    def test_mkdir_trailing_slash(self):
        node = self.mkdir("/MkSlash/")
        self.assertEqual(node["path"], "/MkSlash")

    def test_mkdir_by_parent_and_name(self):
        parent = self.mkdir("/MkParent")
        resp = self.server.post("files/mkdir", {"parent_id": parent["id"], "name": "Kid"},
                                self.token)
        self.assertEqual(resp.status, 201, resp)
        self.assert_node(resp.body["node"], path="/MkParent/Kid", name="Kid",
                         parent_id=parent["id"])

    def test_mkdir_exists(self):
        self.mkdir("/MkTwice")
        self.assert_error(self.server.mkdir(self.token, "/MkTwice"), 409, "exists")
        self.put("/MkFile.txt")
        self.assert_error(self.server.mkdir(self.token, "/MkFile.txt"), 409, "exists")

    def test_mkdir_missing_parent(self):
        self.assert_error(self.server.mkdir(self.token, "/MkNo/Such"), 404, "not_found")
        resp = self.server.post("files/mkdir", {"parent_id": 987654321, "name": "x"},
                                self.token)
        self.assert_error(resp, 404, "not_found")
        self.assert_error(self.stat(path="/MkNo"), 404, "not_found")

    def test_mkdir_under_a_file(self):
        f = self.put("/MkUnder.txt")
        self.assert_error(self.server.mkdir(self.token, "/MkUnder.txt/x"), 409,
                          "not_a_folder")
        resp = self.server.post("files/mkdir", {"parent_id": f["id"], "name": "x"},
                                self.token)
        self.assert_error(resp, 409, "not_a_folder")

    def test_mkdir_parents(self):
        node = self.mkdir("/MkP/a/b/c", parents=True)
        self.assertEqual(node["path"], "/MkP/a/b/c")
        b = self.node(path="/MkP/a/b")
        self.assertEqual(node["parent_id"], b["id"])
        resp = self.server.mkdir(self.token, "/MkP/a/b/c", parents=True)
        self.assertEqual(resp.status, 200, resp)
        self.assertEqual(resp.body["node"]["id"], node["id"])
        self.assertEqual(resp.body["node"]["version"], node["version"])

    def test_mkdir_parents_through_a_file(self):
        self.put("/MkPF.txt")
        self.assert_error(self.server.mkdir(self.token, "/MkPF.txt/a/b", parents=True),
                          409, "not_a_folder")

    def test_mkdir_root(self):
        self.assert_error_one_of(self.server.mkdir(self.token, "/"),
                                 [(409, "exists"), (400, "invalid_path")])
        resp = self.server.mkdir(self.token, "/", parents=True)
        if resp.status != 200:
            self.assert_error_one_of(resp, [(409, "exists"), (400, "invalid_path")])
        self.assertEqual(self.node(path="/")["id"], self.root_id)


class StatTest(FilesTestCase):

    def test_stat_root(self):
        root = self.node(path="/")
        self.assert_node(root, type="folder", id=self.root_id, parent_id=None,
                         name="", path="/")
        self.assertEqual(self.node(id=self.root_id), root)

    def test_stat_file_fields(self):
        data = b"hello stat"
        self.mkdir("/St")
        f = self.put("/St/Doc.PDF", data, mtime=1234567890)
        self.assert_node(f, type="file", name="Doc.PDF", path="/St/Doc.PDF",
                         size=len(data), sha256=sha256_hex(data), category="document",
                         mtime=1234567890, downloads=0)
        self.assertLessEqual(abs(f["created"] - time.time()), 120)
        self.assertEqual(self.node(id=f["id"]), f)
        self.assertEqual(self.node(path="/St/Doc.PDF"), f)

    def test_stat_missing(self):
        self.assert_error(self.stat(path="/NoSuchThing"), 404, "not_found")
        self.assert_error(self.stat(id=2 ** 40), 404, "not_found")
        for bad_id in (0, -1):
            self.assert_error_one_of(self.stat(id=bad_id),
                                     [(404, "not_found"), (400, "invalid_argument")])

    def test_stat_through_a_file(self):
        self.put("/StThrough.txt")
        self.assert_error_one_of(self.stat(path="/StThrough.txt/x"),
                                 [(404, "not_found"), (409, "not_a_folder")])

    def test_categories(self):
        self.mkdir("/Cat")
        cases = {"a.JPG": "image", "b.jpeg": "image", "c.txt": "document",
                 "d.Mp3": "audio", "e.mkv": "video", "f.tar": "archive", "g.gz": "archive",
                 "h.xyz": "other", "noext": "other", "i.": "other",
                 "j.png.exe": "other", "k.tar.gz": "archive", "l.heic": "image",
                 "m.ZST": "archive", "n.Md": "document"}
        for name, category in cases.items():
            with self.subTest(name=name):
                f = self.put(f"/Cat/{name}", name.encode())
                self.assertEqual(f["category"], category, f)


class ListTest(FilesTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        s = cls.server
        s.mkdir(cls.token, "/L")
        for name in ("zeta", "Alpha", "mid"):
            s.mkdir(cls.token, f"/L/{name}")
        # sizes are distinct except b.txt and c.txt (tie broken by name).
        cls.files = {"d.jpg": 50, "b.txt": 20, "c.txt": 20, "a.mp3": 70, "e.png": 5}
        for name, size in cls.files.items():
            s.upload_file(cls.token, f"/L/{name}", name.encode().ljust(size, b"."))
        s.mkdir(cls.token, "/L/mid/deep", parents=True)
        s.mkdir(cls.token, "/L/mid/album.jpg")   # a folder: never in a category
        s.upload_file(cls.token, "/L/mid/deep/nested.gif", b"gif")
        s.upload_file(cls.token, "/L/mid/nested.txt", b"txt")

    def names(self, body):
        return [e["name"] for e in body["entries"]]

    def check_folders_first(self, body):
        types = [e["type"] for e in body["entries"]]
        self.assertEqual(types, sorted(types, key=lambda t: t != "folder"), body)

    def test_default_listing(self):
        body = self.listing(path="/L")
        self.assert_node(body["folder"], path="/L")
        self.assertEqual(body["total"], 8)
        self.assertEqual(body["offset"], 0)
        self.assertEqual(body["limit"], 200)
        self.check_folders_first(body)
        folders = [e["name"] for e in body["entries"] if e["type"] == "folder"]
        files = [e["name"] for e in body["entries"] if e["type"] == "file"]
        self.assertEqual(sorted(folders), ["Alpha", "mid", "zeta"])
        self.assertEqual(files, ["a.mp3", "b.txt", "c.txt", "d.jpg", "e.png"])
        for entry in body["entries"]:
            self.assert_node(entry)
            self.assertEqual(entry["parent_id"], body["folder"]["id"])

    def test_default_target_is_root(self):
        body = self.listing()
        self.assertEqual(body["folder"]["path"], "/")
        self.assertIn("L", self.names(body))
        self.assertEqual(self.listing(id=self.root_id)["entries"], body["entries"])

    def test_list_by_id(self):
        folder = self.node(path="/L")
        self.assertEqual(self.names(self.listing(id=folder["id"])),
                         self.names(self.listing(path="/L")))

    def test_sort_name_desc_keeps_folders_first(self):
        body = self.listing(path="/L", sort="name", order="desc")
        self.check_folders_first(body)
        files = [e["name"] for e in body["entries"] if e["type"] == "file"]
        self.assertEqual(files, ["e.png", "d.jpg", "c.txt", "b.txt", "a.mp3"])
        folders = [e["name"] for e in body["entries"] if e["type"] == "folder"]
        self.assertEqual(folders, ["zeta", "mid", "Alpha"])

    def test_sort_size(self):
        body = self.listing(path="/L", sort="size")
        self.check_folders_first(body)
        files = [e["name"] for e in body["entries"] if e["type"] == "file"]
        self.assertEqual(files, ["e.png", "b.txt", "c.txt", "d.jpg", "a.mp3"])
        body = self.listing(path="/L", sort="size", order="desc")
        self.check_folders_first(body)
        files = [e["name"] for e in body["entries"] if e["type"] == "file"]
        self.assertEqual(files[0], "a.mp3")
        self.assertEqual(files[1], "d.jpg")
        self.assertEqual(set(files[2:4]), {"b.txt", "c.txt"})
        self.assertEqual(files[4], "e.png")

    def test_sort_downloads(self):
        for name, count in (("d.jpg", 2), ("c.txt", 1)):
            for _ in range(count):
                resp = self.server.download(self.token, path=f"/L/{name}")
                self.assertEqual(resp.status, 200, resp)
        body = self.listing(path="/L", sort="downloads", order="desc")
        self.check_folders_first(body)
        files = [e for e in body["entries"] if e["type"] == "file"]
        self.assertEqual([f["name"] for f in files[:2]], ["d.jpg", "c.txt"])
        self.assertEqual([f["downloads"] for f in files[:2]], [2, 1])
        body = self.listing(path="/L", sort="downloads")
        files = [e["name"] for e in body["entries"] if e["type"] == "file"]
        self.assertEqual(files, ["a.mp3", "b.txt", "e.png", "c.txt", "d.jpg"])

    def test_paging(self):
        full = self.listing(path="/L")["entries"]
        pages = []
        for offset in (0, 3, 6):
            body = self.listing(path="/L", offset=offset, limit=3)
            self.assertEqual(body["total"], 8)
            self.assertEqual(body["offset"], offset)
            self.assertEqual(body["limit"], 3)
            pages.extend(body["entries"])
        self.assertEqual([e["id"] for e in pages], [e["id"] for e in full])
        body = self.listing(path="/L", offset=100, limit=3)
        self.assertEqual(body["entries"], [])
        self.assertEqual(body["total"], 8)
        self.assertEqual(len(self.listing(path="/L", limit=1000)["entries"]), 8)

    def test_bad_paging_arguments(self):
        for query in ({"limit": 0}, {"limit": 1001}, {"limit": -1}, {"offset": -1},
                      {"limit": "abc"}, {"offset": "1x"}, {"sort": "color"},
                      {"order": "up"}, {"category": "music"}, {"limit": ""},
                      {"limit": "99999999999999999999999"}):
            with self.subTest(query=query):
                resp = self.server.list(self.token, path="/L", **query)
                self.assert_error(resp, 400, "invalid_argument")

    def test_category_filter(self):
        body = self.listing(path="/L", category="image")
        self.assertEqual(self.names(body), ["d.jpg", "e.png"])
        self.assertEqual(body["total"], 2)
        body = self.listing(path="/L", category="document")
        self.assertEqual(self.names(body), ["b.txt", "c.txt"])
        self.assertEqual(self.names(self.listing(path="/L", category="video")), [])

    def test_recursive_category(self):
        body = self.listing(path="/", category="image", recursive=1)
        names = sorted(self.names(body))
        self.assertEqual(names, ["d.jpg", "e.png", "nested.gif"])
        self.assertEqual(body["total"], 3)
        paths = {e["path"] for e in body["entries"]}
        self.assertIn("/L/mid/deep/nested.gif", paths)
        body = self.listing(path="/L/mid", category="document", recursive=1)
        self.assertIn("nested.txt", self.names(body))

    def test_list_a_file(self):
        self.assert_error(self.server.list(self.token, path="/L/b.txt"), 409,
                          "not_a_folder")

    def test_list_missing(self):
        self.assert_error(self.server.list(self.token, path="/Nope"), 404, "not_found")


class SortModifiedTest(FilesTestCase):
    """Modification times have one-second resolution: files made 1.1 s apart."""

    def test_sort_modified(self):
        self.mkdir("/SM")
        for name in ("b-old.txt", "a-mid.txt", "c-new.txt"):
            self.put(f"/SM/{name}", name.encode())
            time.sleep(1.1)
        self.mkdir("/SM/folder")
        body = self.listing(path="/SM", sort="modified")
        self.assertEqual([e["name"] for e in body["entries"]],
                         ["folder", "b-old.txt", "a-mid.txt", "c-new.txt"])
        body = self.listing(path="/SM", sort="modified", order="desc")
        self.assertEqual([e["name"] for e in body["entries"]],
                         ["folder", "c-new.txt", "a-mid.txt", "b-old.txt"])


class MoveTest(FilesTestCase):

    def test_rename_with_to_path(self):
        f = self.put("/mv1.txt", b"one")
        resp = self.server.move(self.token, {"path": "/mv1.txt", "to_path": "/mv1b.txt"})
        self.assertEqual(resp.status, 200, resp)
        moved = resp.body["node"]
        self.assertEqual(moved["id"], f["id"])
        self.assertEqual(moved["path"], "/mv1b.txt")
        self.assertGreater(moved["version"], f["version"])
        self.assert_error(self.stat(path="/mv1.txt"), 404, "not_found")
        self.assertEqual(self.node(id=f["id"])["name"], "mv1b.txt")

    def test_move_with_parent_id_and_name(self):
        dest = self.mkdir("/MvDest")
        f = self.put("/mv2.txt", b"two")
        resp = self.server.move(self.token, {"id": f["id"], "to_parent_id": dest["id"],
                                             "to_name": "renamed.txt"})
        self.assertEqual(resp.status, 200, resp)
        self.assertEqual(resp.body["node"]["path"], "/MvDest/renamed.txt")
        self.assertEqual(resp.body["node"]["parent_id"], dest["id"])

    def test_move_keeps_name_or_parent(self):
        dest = self.mkdir("/MvKeep")
        f = self.put("/mv3.txt", b"three")
        resp = self.server.move(self.token, {"id": f["id"], "to_parent_id": dest["id"]})
        self.assertEqual(resp.status, 200, resp)
        self.assertEqual(resp.body["node"]["path"], "/MvKeep/mv3.txt")
        resp = self.server.move(self.token, {"id": f["id"], "to_name": "mv3b.txt"})
        self.assertEqual(resp.status, 200, resp)
        self.assertEqual(resp.body["node"]["path"], "/MvKeep/mv3b.txt")

    def test_move_folder_moves_descendants(self):
        self.mkdir("/MvTree/sub", parents=True)
        f = self.put("/MvTree/sub/leaf.txt", b"leaf")
        resp = self.server.move(self.token, {"path": "/MvTree", "to_path": "/MvTree2"})
        self.assertEqual(resp.status, 200, resp)
        self.assertEqual(self.node(id=f["id"])["path"], "/MvTree2/sub/leaf.txt")
        self.assertEqual(self.node(path="/MvTree2/sub/leaf.txt")["id"], f["id"])
        self.assert_error(self.stat(path="/MvTree/sub/leaf.txt"), 404, "not_found")
        self.assertEqual(self.server.download(self.token, id=f["id"]).body, b"leaf")

    def test_move_into_own_descendant(self):
        top = self.mkdir("/MvLoop/a/b", parents=True)
        loop = self.node(path="/MvLoop")
        for body in ({"path": "/MvLoop", "to_path": "/MvLoop/a/b/MvLoop"},
                     {"path": "/MvLoop", "to_parent_id": top["id"]},
                     {"path": "/MvLoop", "to_parent_id": loop["id"]},
                     {"path": "/MvLoop", "to_path": "/MvLoop/x"}):
            with self.subTest(body=body):
                self.assert_error(self.server.move(self.token, body), 400, "invalid_move")
        self.assertEqual(self.node(path="/MvLoop")["version"], loop["version"])
        self.assertEqual(self.node(path="/MvLoop/a/b")["id"], top["id"])

    def test_root_cannot_move_or_be_deleted(self):
        for body in ({"path": "/", "to_path": "/x"}, {"id": self.root_id, "to_name": "x"}):
            with self.subTest(body=body):
                self.assert_error(self.server.move(self.token, body), 400, "invalid_move")
        for body in ({"path": "/"}, {"id": self.root_id}):
            with self.subTest(body=body):
                self.assert_error(self.server.delete(self.token, body), 400, "invalid_move")
        self.assertEqual(self.node(path="/")["id"], self.root_id)

    def test_move_onto_existing_name(self):
        self.put("/MvA.txt", b"a")
        self.put("/MvB.txt", b"b")
        self.mkdir("/MvDir")
        for to in ("/MvB.txt", "/MvDir"):
            with self.subTest(to=to):
                self.assert_error(self.server.move(self.token, {"path": "/MvA.txt",
                                                                "to_path": to}),
                                  409, "exists")
        self.assertEqual(self.server.download(self.token, path="/MvB.txt").body, b"b")

    def test_move_to_missing_or_file_parent(self):
        f = self.put("/MvC.txt", b"c")
        self.assert_error(self.server.move(self.token, {"path": "/MvC.txt",
                                                        "to_path": "/Nope/MvC.txt"}),
                          404, "not_found")
        self.assert_error(self.server.move(self.token, {"path": "/MvC.txt",
                                                        "to_parent_id": 2 ** 40}),
                          404, "not_found")
        g = self.put("/MvD.txt", b"d")
        self.assert_error(self.server.move(self.token, {"id": f["id"],
                                                        "to_parent_id": g["id"]}),
                          409, "not_a_folder")
        self.assert_error(self.server.move(self.token, {"id": f["id"],
                                                        "to_path": "/MvD.txt/x"}),
                          409, "not_a_folder")
        self.assertEqual(self.node(id=f["id"])["path"], "/MvC.txt")

    def test_move_missing_source(self):
        self.assert_error(self.server.move(self.token, {"path": "/NoSrc", "to_path": "/x"}),
                          404, "not_found")

    def test_move_if_version(self):
        f = self.put("/MvV.txt", b"v")
        resp = self.server.move(self.token, {"id": f["id"], "if_version": f["version"] + 1000,
                                             "to_name": "MvV2.txt"})
        err = self.assert_error(resp, 409, "conflict")
        self.assertEqual(err.get("version"), f["version"])
        self.assertEqual(self.node(id=f["id"]), f)
        resp = self.server.move(self.token, {"id": f["id"], "if_version": f["version"],
                                             "to_name": "MvV2.txt"})
        self.assertEqual(resp.status, 200, resp)
        self.assertNotEqual(resp.body["node"]["version"], f["version"])


class DeleteTest(FilesTestCase):

    def test_delete_file(self):
        f = self.put("/del.txt", b"bye")
        resp = self.server.delete(self.token, {"path": "/del.txt"})
        self.assertEqual(resp.status, 200, resp)
        self.assertEqual(resp.body["id"], f["id"])
        self.assertIsInstance(resp.body["cursor"], int)
        self.assertGreater(resp.body["cursor"], f["version"])
        self.assert_error(self.stat(id=f["id"]), 404, "not_found")
        self.assert_error(self.server.download(self.token, id=f["id"]), 404, "not_found")
        self.assert_error(self.server.delete(self.token, {"id": f["id"]}), 404, "not_found")

    def test_delete_folder_recursively(self):
        self.mkdir("/DelTree/a/b", parents=True)
        kids = [self.put("/DelTree/a/b/f.txt", b"1"), self.put("/DelTree/g.txt", b"2"),
                self.node(path="/DelTree/a"), self.node(path="/DelTree/a/b")]
        resp = self.server.delete(self.token, {"path": "/DelTree"})
        self.assertEqual(resp.status, 200, resp)
        for kid in kids:
            with self.subTest(kid=kid["path"]):
                self.assert_error(self.stat(id=kid["id"]), 404, "not_found")
                self.assert_error(self.stat(path=kid["path"]), 404, "not_found")
        self.assertNotIn("DelTree", [e["name"] for e in self.listing()["entries"]])
        # The name is free again.
        self.mkdir("/DelTree")

    def test_delete_if_version(self):
        f = self.put("/delv.txt", b"v")
        resp = self.server.delete(self.token, {"id": f["id"],
                                               "if_version": f["version"] + 1000})
        err = self.assert_error(resp, 409, "conflict")
        self.assertEqual(err.get("version"), f["version"])
        self.assertEqual(self.node(id=f["id"]), f)
        resp = self.server.delete(self.token, {"id": f["id"], "if_version": f["version"]})
        self.assertEqual(resp.status, 200, resp)


class VersionTest(FilesTestCase):

    def test_versions_change_on_every_change(self):
        f = self.put("/ver.txt", b"1")
        seen = [f["version"]]
        resp = self.server.upload(self.token, "/ver.txt", b"22", if_version=f["version"])
        self.assertEqual(resp.status, 201, resp)
        g = resp.body["file"]
        self.assertEqual(g["id"], f["id"])
        seen.append(g["version"])
        resp = self.server.move(self.token, {"id": f["id"], "to_name": "ver2.txt"})
        seen.append(resp.body["node"]["version"])
        self.assertEqual(len(set(seen)), 3, seen)
        self.assertEqual(seen, sorted(seen))

    def test_folder_version_ignores_contents(self):
        d = self.mkdir("/VerDir")
        self.put("/VerDir/f.txt", b"f")
        self.mkdir("/VerDir/sub")
        self.server.delete(self.token, {"path": "/VerDir/f.txt"})
        self.assertEqual(self.node(id=d["id"])["version"], d["version"])

    def test_upload_over_if_version(self):
        f = self.put("/over.txt", b"original")
        resp = self.server.upload(self.token, "/over.txt", b"replacement",
                                  if_version=f["version"] + 7)
        err = self.assert_error(resp, 409, "conflict")
        self.assertEqual(err.get("version"), f["version"])
        self.assertEqual(self.node(id=f["id"]), f)
        self.assertEqual(self.server.download(self.token, id=f["id"]).body, b"original")
        resp = self.server.upload(self.token, "/over.txt", b"replacement")
        self.assert_error(resp, 409, "exists")
        resp = self.server.upload(self.token, "/over.txt", b"replacement",
                                  if_version=f["version"])
        self.assertEqual(resp.status, 201, resp)
        new = resp.body["file"]
        self.assertEqual(new["id"], f["id"])
        self.assertEqual(new["sha256"], sha256_hex(b"replacement"))
        self.assertEqual(new["size"], len(b"replacement"))
        self.assertGreater(new["version"], f["version"])
        self.assertEqual(self.server.download(self.token, id=f["id"]).body, b"replacement")

    def test_upload_over_a_folder(self):
        d = self.mkdir("/OverDir")
        resp = self.server.upload(self.token, "/OverDir", b"data", if_version=d["version"])
        self.assert_error(resp, 409, "is_a_folder")
        resp = self.server.upload(self.token, "/OverDir", b"data")
        self.assert_error(resp, 409, {"exists", "is_a_folder"})

    def test_upload_if_version_to_missing_file(self):
        resp = self.server.upload(self.token, "/NoOver.txt", b"data", if_version=3)
        self.assert_error_one_of(resp, [(404, "not_found"), (409, "conflict")])
        self.assert_error(self.stat(path="/NoOver.txt"), 404, "not_found")

    def test_download_a_folder(self):
        self.mkdir("/DlDir")
        self.assert_error(self.server.download(self.token, path="/DlDir"), 409, "is_a_folder")
        self.assert_error(self.server.download(self.token, path="/"), 409, "is_a_folder")


if __name__ == "__main__":
    main()
