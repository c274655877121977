"""Thumbnails: GET files/thumbnail (docs/protocol.md), made once per content.

Images are made here: PNGs with zlib, JPEGs with ImageMagick's convert.
"""

import fcntl
import glob
import os
import shutil
import struct
import subprocess
import tempfile
import time
import unittest
import zlib

from yunpan_instance import Instance, ServerTestCase, main, sha256_hex

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def png_chunk(kind, data):
    return (struct.pack(">I", len(data)) + kind + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xffffffff))


def make_png(width, height, idat=None):
    """An RGB PNG of WIDTH x HEIGHT with a gradient, or with IDAT as given."""
    if idat is None:
        rows = bytearray()
        for y in range(height):
            rows.append(0)
            for x in range(width):
                rows += bytes((x * 255 // max(width - 1, 1), y * 255 // max(height - 1, 1),
                               (x + y) & 0xff))
        idat = zlib.compress(bytes(rows), 9)
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (PNG_MAGIC + png_chunk(b"IHDR", ihdr) + png_chunk(b"IDAT", idat)
            + png_chunk(b"IEND", b""))


def png_size(data):
    """(width, height) from a PNG's IHDR."""
    assert data[:8] == PNG_MAGIC, data[:16]
    assert data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def make_jpeg(width, height):
    """A JPEG photo-like gradient of WIDTH x HEIGHT made by ImageMagick."""
    folder = tempfile.mkdtemp(prefix="yp-thumb-")
    try:
        path = os.path.join(folder, "in.jpg")
        subprocess.run(["convert", "-size", f"{width}x{height}",
                        "gradient:red-blue", "-quality", "90", path],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        with open(path, "rb") as f:
            return f.read()
    finally:
        shutil.rmtree(folder)


class ThumbnailTestCase(ServerTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.token, cls.user = cls.server.new_user("thumbs")
        cls.other_token, cls.other = cls.server.new_user("thumbs")

    def put(self, path, data, token=None):
        return self.server.upload_file(token or self.token, path, data)

    def thumbnail(self, token=None, headers=None, **query):
        return self.server.get("files/thumbnail", token or self.token, query=query,
                               headers=headers)

    def cache_files(self):
        root = os.path.join(self.server.data, "thumbnails")
        found = []
        for dirpath, _dirs, files in os.walk(root):
            found += [os.path.join(dirpath, name) for name in files]
        return sorted(found)

    def assert_thumbnail(self, resp, width, height):
        self.assertEqual(resp.status, 200, resp)
        self.assertEqual(resp.headers["Content-Type"], "image/png")
        self.assertEqual(png_size(resp.body), (width, height))
        self.assertEqual(resp.headers["X-Content-Type-Options"], "nosniff")
        return resp


class MakeTest(ThumbnailTestCase):

    def test_png_bounded_and_aspect_kept(self):
        node = self.put("/wide.png", make_png(400, 200))
        self.assert_thumbnail(self.thumbnail(id=node["id"], size=128), 128, 64)
        self.assert_thumbnail(self.thumbnail(id=node["id"], size=256), 256, 128)

    def test_jpeg_bounded_and_aspect_kept(self):
        node = self.put("/tall.jpg", make_jpeg(300, 600))
        resp = self.assert_thumbnail(self.thumbnail(id=node["id"], size=256), 128, 256)
        self.assertEqual(resp.headers["ETag"], f'"{node["sha256"]}-256"')
        self.assertIn("no-cache", resp.headers["Cache-Control"])

    def test_by_path(self):
        self.put("/bypath.png", make_png(40, 300))
        resp = self.assert_thumbnail(self.thumbnail(path="/bypath.png", size=128), 17, 128)
        self.assertEqual(resp.headers["X-Yunpan-Thumbnail"], "made")

    def test_small_image_is_not_enlarged(self):
        node = self.put("/small.png", make_png(50, 30))
        self.assert_thumbnail(self.thumbnail(id=node["id"], size=256), 50, 30)

    def test_second_request_from_cache(self):
        node = self.put("/cache.png", make_png(300, 300))
        first = self.assert_thumbnail(self.thumbnail(id=node["id"], size=128), 128, 128)
        self.assertEqual(first.headers["X-Yunpan-Thumbnail"], "made")
        path = os.path.join(self.server.data, "thumbnails", "128", node["sha256"][:2],
                            node["sha256"][2:4], node["sha256"] + ".png")
        self.assertTrue(os.path.isfile(path))
        mtime = os.stat(path).st_mtime_ns
        second = self.assert_thumbnail(self.thumbnail(id=node["id"], size=128), 128, 128)
        self.assertEqual(second.headers["X-Yunpan-Thumbnail"], "cached")
        self.assertEqual(second.body, first.body)
        self.assertEqual(os.stat(path).st_mtime_ns, mtime)
        # no temporary file stays beside it
        self.assertEqual([p for p in self.cache_files() if p.endswith(".tmp")], [])

    def test_same_content_of_another_user_is_cached(self):
        data = make_png(210, 70)
        mine = self.put("/shared.png", data)
        self.assertEqual(self.thumbnail(id=mine["id"], size=128)
                         .headers["X-Yunpan-Thumbnail"], "made")
        before = self.cache_files()
        theirs = self.put("/their-copy.png", data, token=self.other_token)
        resp = self.assert_thumbnail(self.thumbnail(self.other_token, id=theirs["id"],
                                                    size=128), 128, 43)
        self.assertEqual(resp.headers["X-Yunpan-Thumbnail"], "cached")
        self.assertEqual(self.cache_files(), before)

    def test_if_none_match_revalidates(self):
        node = self.put("/etag.png", make_png(100, 100))
        first = self.assert_thumbnail(self.thumbnail(id=node["id"], size=128), 100, 100)
        etag = first.headers["ETag"]
        for header in (etag, f"W/{etag}", f'"other", {etag}', "*"):
            with self.subTest(header=header):
                resp = self.thumbnail(id=node["id"], size=128,
                                      headers={"If-None-Match": header})
                self.assertEqual(resp.status, 304, resp)
                self.assertEqual(resp.headers["ETag"], etag)
                self.assertEqual(resp.body, b"")
        # another size or other content is another thumbnail
        resp = self.thumbnail(id=node["id"], size=256, headers={"If-None-Match": etag})
        self.assert_thumbnail(resp, 100, 100)
        resp = self.thumbnail(id=node["id"], size=128, headers={"If-None-Match": '"other"'})
        self.assert_thumbnail(resp, 100, 100)

    def test_other_user_cannot_revalidate(self):
        node = self.put("/etag-private.png", make_png(30, 30))
        etag = self.assert_thumbnail(self.thumbnail(id=node["id"], size=128), 30, 30) \
            .headers["ETag"]
        resp = self.thumbnail(self.other_token, id=node["id"], size=128,
                              headers={"If-None-Match": etag})
        self.assert_error(resp, 404, "not_found")

    def test_deleting_the_last_copy_forgets_the_thumbnail(self):
        node = self.put("/gone.png", make_png(120, 90))
        self.assert_thumbnail(self.thumbnail(id=node["id"], size=128), 120, 90)
        self.assert_thumbnail(self.thumbnail(id=node["id"], size=256), 120, 90)
        mine = [p for p in self.cache_files() if node["sha256"] in p]
        self.assertEqual(len(mine), 2)
        resp = self.server.delete(self.token, {"id": node["id"]})
        self.assertEqual(resp.status, 200, resp)
        self.assertEqual([p for p in self.cache_files() if node["sha256"] in p], [])

    def test_replaced_content_gets_a_new_thumbnail(self):
        node = self.put("/replace.png", make_png(100, 50))
        self.assert_thumbnail(self.thumbnail(id=node["id"], size=128), 100, 50)
        resp = self.server.upload(self.token, "/replace.png", make_png(60, 120),
                                  if_version=node["version"])
        self.assertEqual(resp.status, 201, resp)
        self.assert_thumbnail(self.thumbnail(id=node["id"], size=128), 60, 120)


class AuthorizationTest(ThumbnailTestCase):

    def test_another_users_node_is_not_found(self):
        node = self.put("/private.png", make_png(64, 64))
        self.assert_thumbnail(self.thumbnail(id=node["id"], size=128), 64, 64)
        resp = self.thumbnail(self.other_token, id=node["id"], size=128)
        self.assert_error(resp, 404, "not_found")
        resp = self.thumbnail(self.other_token, id=node["id"], size=256)
        self.assert_error(resp, 404, "not_found")

    def test_no_token(self):
        resp = self.server.get("files/thumbnail", query={"id": 1, "size": 128})
        self.assert_error(resp, 401, "unauthorized")

    def test_cache_not_reachable_directly(self):
        node = self.put("/direct.png", make_png(32, 32))
        self.assert_thumbnail(self.thumbnail(id=node["id"], size=128), 32, 32)
        sha = node["sha256"]
        resp = self.server.request("GET", f"/_thumbnails/128/{sha[:2]}/{sha[2:4]}/{sha}.png")
        self.assert_error(resp, 404, "not_found")


class BadInputTest(ThumbnailTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.image = cls.server.upload_file(cls.token, "/ok.png", make_png(20, 20))

    def test_bad_sizes(self):
        for size in ("0", "64", "127", "512", "-128", "abc", "128.0", "", "99999999999999999999"):
            with self.subTest(size=size):
                resp = self.thumbnail(id=self.image["id"], size=size)
                self.assert_error(resp, 400, "invalid_argument")

    def test_missing_size(self):
        self.assert_error(self.thumbnail(id=self.image["id"]), 400, "invalid_argument")

    def test_bad_ids(self):
        for node_id in ("abc", "0", "-1", "1.5", "99999999999999999999"):
            with self.subTest(id=node_id):
                self.assert_error(self.thumbnail(id=node_id, size=128), 400,
                                  "invalid_argument")

    def test_unknown_id(self):
        self.assert_error(self.thumbnail(id=2 ** 53, size=128), 404, "not_found")

    def test_id_and_path(self):
        resp = self.thumbnail(id=self.image["id"], path="/ok.png", size=128)
        self.assert_error(resp, 400, "invalid_argument")

    def test_folder(self):
        resp = self.server.post("files/mkdir", {"path": "/Pictures"}, self.token)
        self.assertEqual(resp.status, 201, resp)
        self.assert_error(self.thumbnail(path="/Pictures", size=128), 409, "is_a_folder")


class RefusedImageTest(ThumbnailTestCase):
    """Files that get no thumbnail get a clear error, fast, and no worker dies."""

    def setUp(self):
        self.workers = self.server.worker_pids()

    def tearDown(self):
        self.assertEqual(self.server.worker_pids(), self.workers, "a worker died")
        super().tearDown()

    def refused(self, name, data, status, code):
        node = self.put("/" + name, data)
        started = time.monotonic()
        resp = self.thumbnail(id=node["id"], size=256)
        took = time.monotonic() - started
        self.assert_error(resp, status, code)
        return resp, took

    def test_text_file(self):
        self.refused("notes.txt", b"just some words\n", 415, "not_an_image")

    def test_text_named_like_an_image(self):
        self.refused("fake.png", b"this is not a PNG at all\n" * 10, 415, "not_an_image")

    def test_empty_image(self):
        self.refused("empty.png", b"", 415, "not_an_image")

    def test_svg_is_not_rendered(self):
        svg = (b'<svg xmlns="http://www.w3.org/2000/svg" width="100" height="100">'
               b'<rect width="100" height="100" fill="red"/></svg>')
        self.refused("drawing.svg", svg, 415, "not_an_image")

    def test_decompression_bomb(self):
        # 50000 x 50000 pixels declared (7.5 GB decoded) in a few hundred bytes
        row = b"\x00" + b"\x00" * (50000 * 3)
        bomb = make_png(50000, 50000, idat=zlib.compress(row * 4, 9))
        self.assertLess(len(bomb), 2000)
        resp, took = self.refused("bomb.png", bomb, 422, "image_too_large")
        self.assertIn("50000", resp.body["error"]["message"])
        self.assertLess(took, 2.0)
        self.assertEqual([p for p in self.cache_files() if sha256_hex(bomb) in p], [])

    def test_truncated_png(self):
        whole = make_png(300, 300)
        self.refused("cut.png", whole[:len(whole) // 2], 415, "not_an_image")

    def test_corrupt_png_data(self):
        # a valid header and framing around deflate data that is garbage
        self.refused("garbage.png", make_png(200, 200, idat=os.urandom(4000)), 415,
                     "not_an_image")

    def test_truncated_jpeg(self):
        whole = make_jpeg(400, 300)
        self.refused("cut.jpg", whole[:len(whole) // 2], 415, "not_an_image")

    def test_the_server_still_makes_thumbnails(self):
        self.refused("again-bomb.png", make_png(60000, 1000, idat=zlib.compress(b"\0" * 10)),
                     422, "image_too_large")
        node = self.put("/after.png", make_png(10, 10))
        self.assert_thumbnail(self.thumbnail(id=node["id"], size=128), 10, 10)


class BusyTest(ThumbnailTestCase):
    """Thumbnails made at once are bounded across the workers."""

    def test_busy_slots_answer_503_at_once(self):
        cached = self.put("/before.png", make_png(40, 40))
        self.assert_thumbnail(self.thumbnail(id=cached["id"], size=128), 40, 40)
        new = self.put("/while-busy.png", make_png(80, 40))
        slots = glob.glob(os.path.join(self.server.data, "run", "thumbnail-slots",
                                       "hash-slot.*"))
        self.assertGreater(len(slots), 0)
        held = [open(path, "rb") for path in slots]
        try:
            for f in held:
                fcntl.flock(f, fcntl.LOCK_EX)
            resp = self.thumbnail(id=new["id"], size=128)
            err = self.assert_error(resp, 503, "unavailable")
            self.assertEqual(resp.headers["Retry-After"], "1")
            self.assertEqual(err["retry_after"], 1)
            # what is cached needs no slot
            self.assert_thumbnail(self.thumbnail(id=cached["id"], size=128), 40, 40)
        finally:
            for f in held:
                f.close()
        self.assert_thumbnail(self.thumbnail(id=new["id"], size=128), 80, 40)


class RestartTest(unittest.TestCase):
    """A crash may leave half-written thumbnails, or thumbnails of blobs
    that are gone; the next start removes them and keeps the rest."""

    def test_restart_sweeps_stale_thumbnails(self):
        data = tempfile.mkdtemp(prefix="yp-test-thumb-sweep-")
        self.addCleanup(shutil.rmtree, data, True)
        first = Instance(data_dir=data).start()
        try:
            token, _ = first.new_user("thumbsweep")
            node = first.upload_file(token, "/kept.png", make_png(90, 60))
            resp = first.get("files/thumbnail", token, query={"id": node["id"], "size": 128})
            self.assertEqual(resp.status, 200, resp)
        finally:
            first.stop()
        sha = node["sha256"]
        folder = os.path.join(data, "thumbnails", "128", sha[:2], sha[2:4])
        kept = os.path.join(folder, sha + ".png")
        half = os.path.join(folder, sha + ".png.0badc0de.tmp")
        gone_sha = "ab" + "cd" + "e" * 60
        gone = os.path.join(data, "thumbnails", "256", "ab", "cd", gone_sha + ".png")
        os.makedirs(os.path.dirname(gone), exist_ok=True)
        for path in (half, gone):
            with open(path, "wb") as f:
                f.write(b"\x89PNG half")

        second = Instance(data_dir=data).start()
        try:
            self.assertTrue(os.path.exists(kept), "a thumbnail of a stored blob was removed")
            self.assertFalse(os.path.exists(half), "a temporary file survived")
            self.assertFalse(os.path.exists(gone), "a thumbnail of a missing blob survived")
            resp = second.get("files/thumbnail", token, query={"id": node["id"], "size": 128})
            self.assertEqual(resp.status, 200, resp)
            self.assertEqual(resp.headers["X-Yunpan-Thumbnail"], "cached")
            self.assertEqual(png_size(resp.body), (90, 60))
        finally:
            second.stop()


if __name__ == "__main__":
    main()
