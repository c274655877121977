"""yunpan-cli sync: the sync engine run by two clients, each with its own
XDG data folder (its own pair state), against a real server.

Each test has its own remote folder and two clients A and B on it, and
syncs them with `sync --once` in a chosen order, so that each scenario
says which side the server saw first.
"""

import os
import random
import shutil
import signal
import time
import unittest

from sync_harness import SyncTestCase, temporaries
from yunpan_instance import main, write_pseudo_random_file


def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def write(path, text):
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


class SyncTest(SyncTestCase):

    def test_two_clients_round_trip(self):
        a, b = self.clients("a", "b")
        a.write("hello.txt", "hello")
        a.write("sub/x.txt", "x")
        a.sync()
        b.sync()
        self.assertEqual(read(b.path("sub", "x.txt")), "x")
        os.rename(b.path("sub"), b.path("sub2"))
        write(b.path("hello.txt"), "hello from b")
        b.sync()
        a.sync()
        self.assertEqual(read(a.path("sub2", "x.txt")), "x")
        self.assertEqual(read(a.path("hello.txt")), "hello from b")
        r = a.sync()
        self.assertIn("0 uploaded, 0 downloaded", r.stdout)

    # -- one side changes, the other follows ------------------------------------

    def one_way(self, src, dst):
        """Every kind of change made on SRC reaches DST."""
        src.write("new.txt", "new")
        src.write("f/in.txt", "in")
        os.makedirs(src.path("empty"))
        src.sync()
        dst.sync()
        self.assertEqual(dst.read("new.txt"), b"new")
        self.assertEqual(dst.read("f/in.txt"), b"in")
        self.assertTrue(os.path.isdir(dst.path("empty")))

        src.write("new.txt", "edited")                       # edit
        os.rename(src.path("f/in.txt"), src.path("f/renamed.txt"))   # file rename
        os.makedirs(src.path("g"))
        src.write("moved.txt", "moved")
        src.sync()
        dst.sync()
        os.rename(src.path("moved.txt"), src.path("g/moved.txt"))  # file move
        os.rename(src.path("f"), src.path("f2"))                   # folder rename
        os.rename(src.path("empty"), src.path("g/empty"))          # folder move
        src.sync()
        r = dst.sync()
        self.assertIn("moved", r.stdout)
        tree = self.assert_same_trees(src, dst)
        self.assertEqual(tree, {"new.txt": b"edited", "f2": None, "f2/renamed.txt": b"in",
                                "g": None, "g/moved.txt": b"moved", "g/empty": None})

        os.unlink(src.path("new.txt"))                      # file delete
        shutil.rmtree(src.path("f2"))                       # folder delete
        src.sync()
        r = dst.sync()
        self.assertIn("deleted", r.stdout)
        self.assertEqual(self.assert_same_trees(src, dst),
                         {"g": None, "g/moved.txt": b"moved", "g/empty": None})

    def test_changes_a_to_b(self):
        a, b = self.clients("a", "b")
        a.sync()
        b.sync()
        self.one_way(a, b)

    def test_changes_b_to_a(self):
        a, b = self.clients("a", "b")
        a.sync()
        b.sync()
        self.one_way(b, a)

    def test_renames_move_not_copy(self):
        """A rename is sent as a move: nothing is uploaded again."""
        a, b = self.clients("a", "b")
        a.write("d/big.bin", os.urandom(256 * 1024))
        a.sync()
        b.sync()
        os.rename(a.path("d"), a.path("e"))
        r = a.sync()
        self.assertIn("moved d to e (on the server)", r.stdout)
        self.assertIn("0 uploaded, 0 downloaded", r.stdout)
        r = b.sync()
        self.assertIn("moved d to e (here)", r.stdout)
        self.assertIn("0 uploaded, 0 downloaded", r.stdout)
        self.assert_same_trees(a, b)

    def test_case_only_rename(self):
        a, b = self.clients("a", "b")
        a.write("a.txt", "case")
        a.sync()
        b.sync()
        os.rename(a.path("a.txt"), a.path("A.txt"))
        a.sync()
        b.sync()
        self.assertEqual(sorted(os.listdir(b.root)), ["A.txt"])
        self.assertEqual(b.read("A.txt"), b"case")
        self.assert_same_trees(a, b)

    # -- both sides --------------------------------------------------------------

    def test_both_edit_same_file_conflict(self):
        a, b = self.clients("a", "b")
        a.write("doc.txt", "base")
        a.sync()
        b.sync()
        a.write("doc.txt", "from a")
        b.write("doc.txt", "from b")
        a.sync()
        r = b.sync()
        self.assertIn("conflict doc.txt: both sides changed it; your version is kept as ",
                      r.stdout)
        a.sync()
        b.sync()
        tree = self.assert_same_trees(a, b)
        # the server's version (a's, which came first) keeps the name
        self.assertEqual(tree["doc.txt"], b"from a")
        copies = self.conflict_copies(tree, "doc")
        self.assertEqual(list(copies.values()), [b"from b"], tree)
        name = os.path.basename(next(iter(copies)))
        self.assertRegex(name, r"^doc \(conflict \d{4}-\d{2}-\d{2} \d{6} from b\)\.txt$")

    def test_both_create_same_name(self):
        a, b = self.clients("a", "b")
        a.sync()
        b.sync()
        a.write("same.txt", "a made it")
        b.write("same.txt", "b made it")
        a.sync()
        b.sync()
        a.sync()
        tree = self.assert_same_trees(a, b)
        self.assertEqual(sorted(d for d in tree.values()), [b"a made it", b"b made it"])

    def edit_against_delete(self, editor_first):
        a, b = self.clients("a", "b")
        a.write("x.txt", "base")
        a.sync()
        b.sync()
        a.write("x.txt", "edited by a")
        os.unlink(b.path("x.txt"))
        order = [a, b] if editor_first else [b, a]
        self.settle(*order)
        tree = self.assert_same_trees(a, b)
        self.assertEqual(tree, {"x.txt": b"edited by a"})

    def test_edit_wins_over_delete_edit_synced_first(self):
        self.edit_against_delete(editor_first=True)

    def test_edit_wins_over_delete_delete_synced_first(self):
        self.edit_against_delete(editor_first=False)

    def folder_delete_against_new_file(self, deleter_first):
        a, b = self.clients("a", "b")
        a.write("d/old.txt", "old")
        a.write("d/sub/older.txt", "older")
        a.sync()
        b.sync()
        shutil.rmtree(a.path("d"))
        b.write("d/sub/new.txt", "new from b")
        order = [a, b] if deleter_first else [b, a]
        self.settle(*order)
        tree = self.assert_same_trees(a, b)
        self.assertEqual(tree.get("d/sub/new.txt"), b"new from b", tree)
        self.assertNotIn("d/old.txt", tree)

    def test_folder_deleted_new_file_inside_survives_delete_first(self):
        self.folder_delete_against_new_file(deleter_first=True)

    def test_folder_deleted_new_file_inside_survives_add_first(self):
        self.folder_delete_against_new_file(deleter_first=False)

    def test_both_rename_same_file_differently(self):
        """Both sides renamed one file: it ends under one name, once."""
        a, b = self.clients("a", "b")
        a.write("f.txt", "renamed twice")
        a.sync()
        b.sync()
        os.rename(a.path("f.txt"), a.path("g.txt"))
        os.makedirs(b.path("x"))
        os.rename(b.path("f.txt"), b.path("x", "h.txt"))
        a.sync()
        b.sync(check=False)
        a.sync(check=False)
        b.sync()
        tree = self.assert_same_trees(a, b)
        files = [p for p, d in tree.items() if d is not None]
        self.assertEqual(len(files), 1, tree)
        self.assertEqual(tree[files[0]], b"renamed twice")

    def test_both_rename_same_folder_differently(self):
        a, b = self.clients("a", "b")
        a.write("y/in.txt", "in y")
        a.sync()
        b.sync()
        os.rename(a.path("y"), a.path("z"))
        os.rename(b.path("y"), b.path("sub"))
        a.sync()
        b.sync(check=False)
        a.sync(check=False)
        b.sync()
        tree = self.assert_same_trees(a, b)
        files = [p for p, d in tree.items() if d is not None]
        self.assertEqual([tree[p] for p in files], [b"in y"], tree)

    def test_new_folder_and_renamed_folder_same_name(self):
        """A makes folder sub while B renames folder z to sub: both end up synced."""
        a, b = self.clients("a", "b")
        a.write("z/in.txt", "in z")
        a.sync()
        b.sync()
        os.makedirs(a.path("sub"))
        a.write("sub/new.txt", "new in a's sub")
        os.rename(b.path("z"), b.path("sub"))
        a.sync()
        b.sync(check=False)
        a.sync(check=False)
        b.sync()
        tree = self.assert_same_trees(a, b)
        contents = sorted(d for d in tree.values() if d is not None)
        self.assertEqual(contents, [b"in z", b"new in a's sub"], tree)

    def test_file_and_folder_created_with_same_name(self):
        a, b = self.clients("a", "b")
        a.sync()
        b.sync()
        a.write("n", "a file")
        b.write("n/inside.txt", "in a folder")
        a.sync()
        b.sync(check=False)
        a.sync(check=False)
        b.sync()
        tree = self.assert_same_trees(a, b)
        contents = sorted(d for d in tree.values() if d is not None)
        self.assertEqual(contents, [b"a file", b"in a folder"], tree)

    def rename_against_delete(self, renamer_first):
        """A renames folder d, B deletes it: the rename wins, restored at e."""
        a, b = self.clients("a", "b")
        a.write("d/one.txt", "one")
        a.write("d/sub/two.txt", "two")
        a.sync()
        b.sync()
        os.rename(a.path("d"), a.path("e"))
        shutil.rmtree(b.path("d"))
        order = [a, b] if renamer_first else [b, a]
        for c in order:
            c.sync(check=False)
        self.settle(*order)
        self.assertEqual(self.assert_same_trees(a, b),
                         {"e": None, "e/one.txt": b"one", "e/sub": None,
                          "e/sub/two.txt": b"two"})

    def test_folders_moved_into_each_other(self):
        """A moves y into x while B moves x into y: a cycle. Both sides end
        with one of the moves, holding every file, in sync from then on.
        B's y is a folder the sync made again (B deleted it while A moved a
        file in)."""
        a, b = self.clients("a", "b")
        a.write("two.txt", "two")
        os.makedirs(a.path("y"))
        a.sync()
        b.sync()
        os.makedirs(a.path("x"))
        # y comes back on B, as a folder made again here
        os.rename(a.path("two.txt"), a.path("y/two.txt"))
        shutil.rmtree(b.path("y"))
        a.sync()
        b.sync()
        a.write("x/new-in-x.txt", "new in x")
        os.rename(a.path("y"), a.path("x/m"))
        b.write("y/new-in-y.txt", "new in y")
        os.rename(b.path("x"), b.path("y/n"))
        a.sync()
        b.sync()
        self.settle(a, b)
        tree = self.assert_same_trees(a, b)
        self.assertEqual(sorted(d for d in tree.values() if d is not None),
                         [b"new in x", b"new in y", b"two"], tree)
        b.write("y/n/three.txt" if "y/n" in tree else "x/m/three.txt", "three")
        self.settle(b, a)
        self.assertEqual(sorted(d for d in self.assert_same_trees(a, b).values()
                                if d is not None),
                         [b"new in x", b"new in y", b"three", b"two"])

    def test_folder_rename_wins_over_delete_rename_first(self):
        self.rename_against_delete(renamer_first=True)

    def test_folder_rename_wins_over_delete_delete_first(self):
        self.rename_against_delete(renamer_first=False)

    def test_file_rename_wins_over_delete(self):
        """A renames a file, B deletes it: restored on B at the new name, and
        B's later edit of it still syncs."""
        a, b = self.clients("a", "b")
        a.write("old.txt", "kept")
        a.sync()
        b.sync()
        os.rename(a.path("old.txt"), a.path("new.txt"))
        os.unlink(b.path("old.txt"))
        a.sync()
        b.sync(check=False)
        a.sync(check=False)
        b.sync()
        self.assertEqual(self.assert_same_trees(a, b), {"new.txt": b"kept"})
        b.write("new.txt", "edited after the restore")
        b.sync()
        a.sync()
        self.assertEqual(a.read("new.txt"), b"edited after the restore")

    def test_moved_with_its_folder_and_renamed_against_edit(self):
        """A moves folder z to w and renames the file in it; B edits the file."""
        a, b = self.clients("a", "b")
        a.write("z/f.txt", "base")
        a.sync()
        b.sync()
        os.rename(a.path("z"), a.path("w"))
        os.rename(a.path("w", "f.txt"), a.path("w", "g.txt"))
        b.write("z/f.txt", "edited by b")
        a.sync()
        b.sync(check=False)
        a.sync(check=False)
        b.sync()
        self.assertEqual(self.assert_same_trees(a, b), {"w": None, "w/g.txt": b"edited by b"})

    def test_server_edited_directly(self):
        """Changes made with put/mv/rm/mkdir reach both clients."""
        a, b = self.clients("a", "b")
        a.write("one.txt", "one")
        a.write("d/two.txt", "two")
        self.settle(a, b)
        src = self.work_path("server-edit.txt")
        write(src, "put by cli")
        r = self.cli_ok("put", "--replace", src, a.remote + "/one.txt")
        self.cli_ok("mv", a.remote + "/d", a.remote + "/e")
        self.cli_ok("mkdir", a.remote + "/made")
        self.cli_ok("put", src, a.remote + "/made/p.txt")
        self.settle(a, b)
        tree = self.assert_same_trees(a, b)
        self.assertEqual(tree, {"one.txt": b"put by cli", "e": None, "e/two.txt": b"two",
                                "made": None, "made/p.txt": b"put by cli"}, r.stdout)
        self.cli_ok("rm", a.remote + "/e")
        self.settle(a, b)
        self.assertNotIn("e", self.assert_same_trees(a, b))

    # -- what is not synced --------------------------------------------------------

    def test_symlinks_skipped_and_reported(self):
        a, b = self.clients("a", "b")
        a.write("real.txt", "real")
        os.symlink("real.txt", a.path("link.txt"))
        os.symlink("/etc", a.path("linkdir"))
        r = a.sync(check=False)
        self.assertIn("link.txt", r.stderr, self.describe(a.args(), r))
        self.assertIn("linkdir", r.stderr)
        b.sync(check=False)
        self.assertEqual(sorted(os.listdir(b.root)), ["real.txt"])
        self.assertTrue(os.path.islink(a.path("link.txt")), "the symlink itself was touched")

    def test_ignored_and_temporary_files_not_uploaded(self):
        a, b = self.clients("a", "b")
        write(a.path(".yunpan-ignore"), "# build output\n*.log\nbuild/\n/top-only.txt\n")
        a.write("keep.txt", "keep")
        a.write("x.log", "log")
        a.write("d/y.log", "log")
        a.write("build/out.o", "obj")
        a.write("top-only.txt", "ignored at the root")
        a.write("d/top-only.txt", "synced below it")
        a.write(".notes.txt.swp", "vim")
        a.write("~$report.docx", "word lock")
        a.sync()
        b.sync()
        self.assertEqual(b.tree(), {"keep.txt": b"keep", "d": None,
                                    "d/top-only.txt": b"synced below it"})
        listing = self.cli_ok("ls", a.remote).stdout
        self.assertNotIn("x.log", listing)
        self.assertNotIn(".swp", listing)
        self.assertNotIn("~$", listing)
        self.assertNotIn(".yunpan-ignore", listing)

    # -- one pair, one program -------------------------------------------------------

    def test_second_sync_on_same_pair_refused(self):
        a, = self.clients("a")
        a.write("f.txt", "f")
        proc = a.start()
        try:
            # the running one holds the lock from its start; give it that moment
            waited = self.wait_for(lambda: "uploaded f.txt" in a.output(proc), 30)
            self.assertIsNotNone(waited, a.output(proc))
            r = a.sync(check=False)
            self.assertNotEqual(r.returncode, 0, self.describe(a.args(), r))
            self.assertIn("already being synced", r.stderr)
            self.assertIn(str(proc.pid), r.stderr)
            self.assertIsNone(proc.poll(), "the first program stopped")
        finally:
            a.stop(proc)
        # once it stopped, the pair is free again
        a.sync()

    # -- the running engine -------------------------------------------------------

    def test_running_engine_picks_up_changes(self):
        a, b = self.clients("a", "b")
        a.write("start.txt", "start")
        a.sync()
        b.sync()
        proc = a.start()
        try:
            self.assertIsNotNone(self.wait_for(lambda: os.path.exists(
                os.path.join(a.env["XDG_DATA_HOME"], "yunpan")), 10))
            time.sleep(1.5)     # the first pass, and the push stream connected
            a.write("local.txt", "made here")
            waited = self.wait_for(
                lambda: "local.txt" in self.cli("ls", a.remote).stdout, 15, step=0.2)
            print(f"\nlocal change on the server after {waited} s", flush=True)
            self.assertIsNotNone(waited, a.output(proc))
            self.assertLess(waited, 5.0, "a local change took too long")

            src = self.work_path("remote-change.txt")
            write(src, "made on the server")
            started = time.monotonic()
            self.cli_ok("put", src, a.remote + "/remote.txt")
            waited = self.wait_for(lambda: os.path.exists(a.path("remote.txt")), 15)
            total = time.monotonic() - started
            print(f"remote change here after {total:.2f} s", flush=True)
            self.assertIsNotNone(waited, a.output(proc))
            self.assertLess(total, 2.5, "a remote change took too long: no push?")
            self.assertIsNotNone(self.wait_for(
                lambda: a.read("remote.txt") == b"made on the server", 5))
        finally:
            self.assertIn(a.stop(proc), (0, 130), a.output(proc))

    def test_file_edited_while_uploading(self):
        a, b = self.clients("a", "b")
        big = a.path("big.bin")
        write_pseudo_random_file(big, 64 * 1024 * 1024, seed=1)
        proc = a.start()
        final = None
        try:
            # rewrite it while the upload runs, in place, several times
            time.sleep(0.3)
            early = "uploaded big.bin" in a.output(proc)
            for seed in range(2, 6):
                write_pseudo_random_file(big, 64 * 1024 * 1024, seed=seed)
                time.sleep(0.2)
            final = a.read("big.bin")
            time.sleep(1)
            print(a.output(proc), flush=True)
        finally:
            a.stop(proc)
        print(f"\nfirst upload done before the rewrites: {early}", flush=True)
        a.sync()
        a.sync()
        b.sync()
        self.assertEqual(b.read("big.bin"), final)
        self.assert_no_temporaries(a, b)

    # -- many files, and a crash ------------------------------------------------------

    def make_many(self, client, count, folders, seed):
        rng = random.Random(seed)
        for i in range(count):
            rel = f"d{i % folders:03d}/f{i:05d}.txt"
            client.write(rel, rng.randbytes(rng.randint(1024, 4096)))

    @unittest.skipIf(os.environ.get("YP_SANITIZE") == "1",
                     "runs once, in the plain build: the sanitizer build adds minutes, not checks")
    def test_ten_thousand_files_first_sync(self):
        a, b = self.clients("a", "b")
        self.make_many(a, 10000, 100, seed=10)
        r = a.sync(timeout=1800)
        print(f"\n10,000 files: first upload {r.elapsed:.1f} s", flush=True)
        self.assertIn("10000 uploaded", r.stdout)
        # about 25 s up and 80 s down on two cores; far more means the
        # per-file cost grew
        self.assertLess(r.elapsed, 600)
        r = b.sync(timeout=1800)
        print(f"10,000 files: first download {r.elapsed:.1f} s", flush=True)
        self.assertIn("10000 downloaded", r.stdout)
        self.assertLess(r.elapsed, 600)
        self.assert_same_trees(a, b)
        r = a.sync()
        print(f"10,000 files: nothing to do {r.elapsed:.1f} s", flush=True)
        self.assertIn("0 uploaded, 0 downloaded", r.stdout)

    def test_restart_after_kill_mid_sync(self):
        a, b = self.clients("a", "b")
        self.make_many(a, 3000, 30, seed=11)
        a.write("large.bin", os.urandom(16 * 1024 * 1024))
        proc = a.start()
        try:
            waited = self.wait_for(lambda: a.output(proc).count("uploaded") >= 50, 60)
            self.assertIsNotNone(waited, a.output(proc))
        finally:
            a.stop(proc, sig=signal.SIGKILL)
        done = a.output(proc).count("\nuploaded") + 1
        print(f"\nkilled after about {done} uploads", flush=True)
        self.assertLess(done, 3001, "the sync finished before the kill: nothing tested")
        r = a.sync(timeout=1800)
        r = b.sync(timeout=1800)
        self.assertIn("3001 downloaded", r.stdout)
        self.assert_same_trees(a, b)
        self.assert_no_temporaries(a, b)
        self.assertEqual(temporaries(os.path.join(a.env["XDG_DATA_HOME"])), [])
        r = a.sync()
        self.assertIn("0 uploaded, 0 downloaded", r.stdout)


if __name__ == "__main__":
    main()
