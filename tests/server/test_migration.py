"""Data from the first schema version, opened by this version.

The version-1 database is built here with sqlite3 from the exact SQL of the
first migration (checked against the server's source), holding what the
first version allowed and later ones do not: two names in one folder that
are equal in NFC, and uploads in progress without a lock file.
"""

import os
import re
import secrets
import shutil
import sqlite3
import stat
import tempfile
import time
import unittest
import unicodedata

from yunpan_instance import DEFAULT_PASSWORD, Instance, main, sha256_hex

# The first entry of yps_migrations in server/meta/sqlite/yps-sqlite.c.
SCHEMA_V1 = (
    "CREATE TABLE users ("
    "  id INTEGER PRIMARY KEY,"
    "  username TEXT NOT NULL UNIQUE COLLATE NOCASE,"
    "  pwhash TEXT NOT NULL,"
    "  created INTEGER NOT NULL,"
    "  cursor INTEGER NOT NULL DEFAULT 0,"
    "  root_id INTEGER);"
    "CREATE TABLE sessions ("
    "  token_hash BLOB PRIMARY KEY,"
    "  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
    "  created INTEGER NOT NULL,"
    "  expires INTEGER NOT NULL) WITHOUT ROWID;"
    "CREATE INDEX sessions_user ON sessions(user_id);"
    "CREATE TABLE blobs ("
    "  sha256 TEXT PRIMARY KEY,"
    "  size INTEGER NOT NULL,"
    "  created INTEGER NOT NULL) WITHOUT ROWID;"
    "CREATE TABLE nodes ("
    "  id INTEGER PRIMARY KEY,"
    "  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
    "  parent_id INTEGER REFERENCES nodes(id) ON DELETE CASCADE,"
    "  name TEXT NOT NULL,"
    "  is_folder INTEGER NOT NULL,"
    "  sha256 TEXT REFERENCES blobs(sha256),"
    "  size INTEGER NOT NULL DEFAULT 0,"
    "  category TEXT NOT NULL,"
    "  mtime INTEGER NOT NULL,"
    "  created INTEGER NOT NULL,"
    "  modified INTEGER NOT NULL,"
    "  version INTEGER NOT NULL,"
    "  downloads INTEGER NOT NULL DEFAULT 0,"
    "  UNIQUE (parent_id, name));"
    "CREATE INDEX nodes_user_category ON nodes(user_id, category);"
    "CREATE INDEX nodes_sha256 ON nodes(sha256);"
    "CREATE TABLE changes ("
    "  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
    "  cursor INTEGER NOT NULL,"
    "  op INTEGER NOT NULL,"
    "  node_id INTEGER NOT NULL,"
    "  parent_id INTEGER,"
    "  is_folder INTEGER NOT NULL,"
    "  name TEXT NOT NULL,"
    "  path TEXT NOT NULL,"
    "  old_path TEXT,"
    "  sha256 TEXT,"
    "  category TEXT NOT NULL,"
    "  size INTEGER NOT NULL,"
    "  mtime INTEGER NOT NULL,"
    "  created INTEGER NOT NULL,"
    "  modified INTEGER NOT NULL,"
    "  downloads INTEGER NOT NULL,"
    "  PRIMARY KEY (user_id, cursor)) WITHOUT ROWID;"
    "CREATE TABLE uploads ("
    "  id TEXT PRIMARY KEY,"
    "  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
    "  parent_id INTEGER NOT NULL,"
    "  name TEXT NOT NULL,"
    "  sha256 TEXT NOT NULL,"
    "  size INTEGER NOT NULL,"
    "  mtime INTEGER NOT NULL,"
    "  if_version INTEGER NOT NULL,"
    "  offset INTEGER NOT NULL DEFAULT 0,"
    "  expires INTEGER NOT NULL,"
    "  challenge TEXT) WITHOUT ROWID;"
    "CREATE INDEX uploads_expires ON uploads(expires);"
)

USERNAME = "alice"
NFC = unicodedata.normalize("NFC", "caf\u00e9.txt")
NFD = unicodedata.normalize("NFD", NFC)
FOLDER_NFC = unicodedata.normalize("NFC", "R\u00e9sum\u00e9")
FOLDER_NFD = unicodedata.normalize("NFD", FOLDER_NFC)
SPARE_NFC = unicodedata.normalize("NFC", "na\u00efve.txt")
SPARE_NFD = unicodedata.normalize("NFD", SPARE_NFC)
SPARE_FOLDER_NFC = unicodedata.normalize("NFC", "\u00dcber")
SPARE_FOLDER_NFD = unicodedata.normalize("NFD", SPARE_FOLDER_NFC)
CURSOR_V1 = 20
ROOT, DOCS, FIRST, TWIN, TAKEN, FOLDER, FOLDER_TWIN, INNER = 1, 2, 3, 4, 5, 6, 7, 8
# twins of their own for the test that takes the freed spellings
SPARE, SPARE_FIRST, SPARE_TWIN, SPARE_FOLDER, SPARE_FOLDER_TWIN = 9, 10, 11, 12, 13
# twins whose names leave no room for " (2)"
LONG, LONG_FIRST, LONG_TWIN = 14, 15, 16
LONG_NFC = "x" * 245 + "\u00e9.txt"
LONG_NFD = unicodedata.normalize("NFD", LONG_NFC)     # 252 bytes
RENAMES = 5
CONTENT = {
    FIRST: b"composed spelling\n",
    TWIN: b"decomposed spelling, a different file\n" * 3,
    TAKEN: b"already called (2)\n" * 5,
    INNER: b"inside the twin folder\n" * 7,
}
RESUMED = bytes(range(256)) * 12          # 3072 bytes, 1000 of them sent before
RESUMED_SENT = 1000
FRESH = b"an upload started, not one byte sent yet\n" * 4


def schema_v1_from_source():
    """The SQL of the first migration, read from the server's source."""
    path = os.path.join(os.environ["YP_SOURCE_ROOT"], "server", "meta", "sqlite",
                        "yps-sqlite.c")
    with open(path, encoding="utf-8") as f:
        text = f.read()
    start = text.index("yps_migrations[] = {")
    sql = []
    for line in text[start:].splitlines()[1:]:
        m = re.fullmatch(r'\s*"(.*)"(,?)', line)
        if not m:
            break
        sql.append(m.group(1))
        if m.group(2):
            break
    return "".join(sql)


def pwhash_of_new_account():
    """A password hash the server accepts, made by the server itself."""
    with Instance() as scratch:
        resp = scratch.register(USERNAME)
        if resp.status != 201:
            raise AssertionError(f"register failed: {resp!r}")
        db = sqlite3.connect(f"file:{os.path.join(scratch.data, 'yunpan.db')}?mode=ro",
                             uri=True)
        try:
            return db.execute("SELECT pwhash FROM users WHERE username = ?",
                              (USERNAME,)).fetchone()[0]
        finally:
            db.close()


def put_blob(data_dir, content):
    sha = sha256_hex(content)
    folder = os.path.join(data_dir, "blobs", sha[:2], sha[2:4])
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, sha), "wb") as f:
        f.write(content)
    return sha


def build_v1_data(data_dir, pwhash):
    """A data folder as version 1 left it; returns the two upload ids."""
    now = int(time.time()) - 3600
    os.makedirs(os.path.join(data_dir, "uploads"))
    db = sqlite3.connect(os.path.join(data_dir, "yunpan.db"))
    db.executescript(SCHEMA_V1)
    db.execute("PRAGMA user_version = 1")
    db.execute("INSERT INTO users (id, username, pwhash, created, cursor, root_id)"
               " VALUES (1, ?, ?, ?, ?, ?)", (USERNAME, pwhash, now, CURSOR_V1, ROOT))

    def node(nid, parent, name, content=None, version=1):
        sha = size = None
        if content is not None:
            sha, size = put_blob(data_dir, content), len(content)
            db.execute("INSERT OR IGNORE INTO blobs VALUES (?, ?, ?)", (sha, size, now))
        db.execute("INSERT INTO nodes (id, user_id, parent_id, name, is_folder, sha256, size,"
                   " category, mtime, created, modified, version)"
                   " VALUES (?, 1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                   (nid, parent, name, int(content is None), sha, size or 0,
                    "folder" if content is None else "document", now, now, now, version))

    node(ROOT, None, "")
    node(DOCS, ROOT, "docs", version=2)
    node(FIRST, DOCS, NFC, CONTENT[FIRST], version=3)
    node(TWIN, DOCS, NFD, CONTENT[TWIN], version=4)
    node(TAKEN, DOCS, "caf\u00e9 (2).txt", CONTENT[TAKEN], version=5)
    node(FOLDER, ROOT, FOLDER_NFC, version=6)
    node(FOLDER_TWIN, ROOT, FOLDER_NFD, version=7)
    node(INNER, FOLDER_TWIN, "inner.txt", CONTENT[INNER], version=8)
    node(SPARE, ROOT, "spare", version=9)
    node(SPARE_FIRST, SPARE, SPARE_NFC, CONTENT[FIRST], version=10)
    node(SPARE_TWIN, SPARE, SPARE_NFD, CONTENT[TWIN], version=11)
    node(SPARE_FOLDER, SPARE, SPARE_FOLDER_NFC, version=12)
    node(SPARE_FOLDER_TWIN, SPARE, SPARE_FOLDER_NFD, version=13)
    node(LONG, ROOT, "long", version=14)
    node(LONG_FIRST, LONG, LONG_NFC, CONTENT[FIRST], version=15)
    node(LONG_TWIN, LONG, LONG_NFD, CONTENT[TWIN], version=16)

    resumed, fresh = secrets.token_hex(16), secrets.token_hex(16)
    expires = int(time.time()) + 3600
    for uid, name, content, offset in ((resumed, "resumed.bin", RESUMED, RESUMED_SENT),
                                       (fresh, "fresh.txt", FRESH, 0)):
        db.execute("INSERT INTO uploads (id, user_id, parent_id, name, sha256, size, mtime,"
                   " if_version, offset, expires, challenge)"
                   " VALUES (?, 1, ?, ?, ?, ?, ?, 0, ?, ?, NULL)",
                   (uid, DOCS, name, sha256_hex(content), len(content), now, offset, expires))
    # version 1 wrote a .part with the first chunk and never a .lock
    with open(os.path.join(data_dir, "uploads", resumed + ".part"), "wb") as f:
        f.write(RESUMED[:RESUMED_SENT])
    db.commit()
    db.close()
    return resumed, fresh


class MigrationTest(unittest.TestCase):
    """One version-1 data folder, opened once by this version."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="yp-test-migration-")
        cls.data = os.path.join(cls.tmp, "data")
        os.chmod(cls.tmp, 0o711)
        os.makedirs(cls.data)
        cls.resumed, cls.fresh = build_v1_data(cls.data, pwhash_of_new_account())
        cls.server = Instance(data_dir=cls.data).start()
        cls.token = cls.server.login(USERNAME, DEFAULT_PASSWORD)
        cls.used_at_start = cls.server.whoami(cls.token).body["used"]

    @classmethod
    def tearDownClass(cls):
        try:
            cls.server.stop()
        finally:
            shutil.rmtree(cls.tmp, ignore_errors=True)

    def tearDown(self):
        self.assertEqual(self.server.health().status, 200)

    def stat(self, path):
        return self.server.stat(self.token, path=path)

    def test_schema_copy_is_the_first_migration(self):
        self.assertEqual(SCHEMA_V1, schema_v1_from_source())

    def test_later_twin_has_a_name_of_its_own(self):
        """The later twin takes the first free "<stem> (n)<ext>" in its own
        spelling (here 3, since "café (2).txt" exists); both are reachable."""
        for spelling in (NFC, NFD):
            resp = self.stat(f"/docs/{spelling}")
            self.assertEqual(resp.status, 200, resp)
            self.assertEqual(resp.body["node"]["id"], FIRST)
        resp = self.stat("/docs/caf\u00e9 (2).txt")
        self.assertEqual((resp.status, resp.body["node"]["id"]), (200, TAKEN), resp)
        renamed = unicodedata.normalize("NFD", "caf\u00e9 (3).txt")
        for spelling in (renamed, unicodedata.normalize("NFC", renamed)):
            resp = self.stat(f"/docs/{spelling}")
            self.assertEqual(resp.status, 200, resp)
            node = resp.body["node"]
            self.assertEqual((node["id"], node["name"]), (TWIN, renamed))
            self.assertEqual(node["category"], "document")
        self.assertEqual(self.server.download(self.token, id=TWIN).raw, CONTENT[TWIN])
        listed = self.server.list(self.token, path="/docs").body["entries"]
        keys = [unicodedata.normalize("NFC", e["name"]) for e in listed]
        self.assertEqual(len(keys), len(set(keys)), listed)

    def test_long_twin_is_shortened_to_fit(self):
        """The stem gives way, at a character boundary, to keep the name
        within 255 bytes; the extension stays."""
        # room for 247 bytes of stem would cut the accent (bytes 247-248) in two
        renamed = "x" * 245 + "e (2).txt"
        self.assertEqual(len(renamed.encode()), 254)
        resp = self.stat(f"/long/{renamed}")
        self.assertEqual(resp.status, 200, resp)
        self.assertEqual((resp.body["node"]["id"], resp.body["node"]["name"]),
                         (LONG_TWIN, renamed))
        self.assertEqual(self.stat(f"/long/{LONG_NFD}").body["node"]["id"], LONG_FIRST)

    def test_twin_folder_and_its_contents_are_reachable(self):
        renamed = FOLDER_NFD + " (2)"
        resp = self.stat(f"/{renamed}")
        self.assertEqual((resp.status, resp.body["node"]["id"]), (200, FOLDER_TWIN), resp)
        self.assertEqual(self.server.download(self.token, path=f"/{renamed}/inner.txt").raw,
                         CONTENT[INNER])
        self.assertEqual(self.stat(f"/{FOLDER_NFD}").body["node"]["id"], FOLDER)

    def test_renames_are_in_the_change_log(self):
        """A synced client learns of each rename as a move."""
        resp = self.server.get("changes", self.token, {"since": CURSOR_V1})
        self.assertEqual(resp.status, 200, resp)
        renames = [c for c in resp.body["changes"] if c["cursor"] <= CURSOR_V1 + RENAMES]
        self.assertEqual([c["op"] for c in renames], ["move"] * RENAMES, resp.body)
        moves = {c["node"]["id"]: c for c in renames}
        self.assertEqual(set(moves),
                         {TWIN, FOLDER_TWIN, SPARE_TWIN, SPARE_FOLDER_TWIN, LONG_TWIN})
        self.assertEqual(moves[TWIN]["old_path"], f"/docs/{NFD}")
        self.assertEqual(moves[TWIN]["node"]["path"],
                         "/docs/" + unicodedata.normalize("NFD", "caf\u00e9 (3).txt"))
        self.assertEqual(moves[FOLDER_TWIN]["old_path"], f"/{FOLDER_NFD}")
        self.assertEqual(moves[FOLDER_TWIN]["node"]["path"], f"/{FOLDER_NFD} (2)")

    def test_freed_spelling_can_be_taken(self):
        """Once the first twin is gone, its spellings are free for a new file,
        a folder and a move, which answer 201/200 or 409 exists, never 500."""
        resp = self.server.move(self.token, {"id": SPARE_FIRST, "to_path": "/first.txt"})
        self.assertEqual(resp.status, 200, resp)
        node = self.server.upload_file(self.token, f"/spare/{SPARE_NFD}", b"new, old name")
        self.assertEqual(node["name"], SPARE_NFD)
        resp = self.server.move(self.token, {"id": SPARE_FIRST,
                                             "to_path": f"/spare/{SPARE_NFC}"})
        self.assertEqual((resp.status, resp.body["error"]["code"]), (409, "exists"), resp)
        self.assertEqual(self.server.delete(self.token, {"id": node["id"]}).status, 200)
        resp = self.server.move(self.token, {"id": SPARE_FIRST,
                                             "to_path": f"/spare/{SPARE_NFD}"})
        self.assertEqual(resp.status, 200, resp)

        resp = self.server.move(self.token, {"id": SPARE_FOLDER, "to_path": "/old folder"})
        self.assertEqual(resp.status, 200, resp)
        resp = self.server.mkdir(self.token, f"/spare/{SPARE_FOLDER_NFD}")
        self.assertEqual(resp.status, 201, resp)
        resp = self.server.mkdir(self.token, f"/spare/{SPARE_FOLDER_NFC}")
        self.assertEqual((resp.status, resp.body["error"]["code"]), (409, "exists"), resp)
        self.assertEqual(self.stat(f"/spare/{SPARE_FOLDER_NFD} (2)").body["node"]["id"],
                         SPARE_FOLDER_TWIN)

    def test_old_uploads_continue(self):
        """Uploads that version 1 started get a lock file at start and can be
        finished; the usage counter follows."""
        resp = self.server.get(f"uploads/{self.resumed}", self.token)
        self.assertEqual((resp.status, resp.body["upload"]["offset"]), (200, RESUMED_SENT), resp)
        used = self.server.whoami(self.token).body["used"]

        resp = self.server.put_chunk(self.token, self.resumed, RESUMED_SENT,
                                     RESUMED[RESUMED_SENT:])
        self.assertEqual(resp.status, 201, resp)
        self.assertEqual(resp.body["file"]["sha256"], sha256_hex(RESUMED))
        # the one without even a .part got its lock file too
        lock = os.path.join(self.data, "uploads", self.fresh + ".lock")
        self.assertTrue(os.path.exists(lock), "no lock file for the upload without bytes")
        self.assertEqual(stat.S_IMODE(os.stat(lock).st_mode), 0o600)
        resp = self.server.put_chunk(self.token, self.fresh, 0, FRESH)
        self.assertEqual(resp.status, 201, resp)
        self.assertEqual(self.server.download(self.token, path="/docs/resumed.bin").raw, RESUMED)
        self.assertEqual(self.server.download(self.token, path="/docs/fresh.txt").raw, FRESH)
        self.assertEqual(self.server.whoami(self.token).body["used"],
                         used + len(RESUMED) + len(FRESH))

    def test_usage_counts_every_old_file(self):
        spare = 2 * (len(CONTENT[FIRST]) + len(CONTENT[TWIN]))
        self.assertEqual(self.used_at_start, sum(len(c) for c in CONTENT.values()) + spare)


class DisagreeingKeyTest(unittest.TestCase):
    """A row whose key disagrees with its name (damaged data) still holds the
    name under UNIQUE (parent_id, name): taking that name is 409, not 500."""

    def test_name_held_by_the_old_constraint_is_exists(self):
        tmp = tempfile.mkdtemp(prefix="yp-test-migration-")
        self.addCleanup(shutil.rmtree, tmp, True)
        os.chmod(tmp, 0o711)
        data = os.path.join(tmp, "data")
        with Instance(data_dir=data) as server:
            token, user = server.new_user("key")
            server.upload_file(token, "/held.txt", b"held")
            server.mkdir(token, "/dir")
            moved = server.upload_file(token, "/moved.txt", b"moved")
        db = sqlite3.connect(os.path.join(data, "yunpan.db"))
        db.execute("UPDATE nodes SET name_key = 'something else' WHERE name = 'held.txt'")
        db.commit()
        db.close()
        with Instance(data_dir=data) as server:
            token = server.login(user["username"])
            attempts = (
                server.mkdir(token, "/held.txt"),
                server.upload(token, "/held.txt", b"other"),
                server.move(token, {"id": moved["id"], "to_path": "/held.txt"}),
            )
            for resp in attempts:
                self.assertEqual((resp.status, resp.body["error"]["code"]), (409, "exists"),
                                 resp)


if __name__ == "__main__":
    main()
