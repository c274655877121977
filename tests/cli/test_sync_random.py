"""yunpan-cli sync, randomized: two clients and the server edited at random.

Each round applies random operations to client A's folder, to client B's
folder and sometimes to the server directly (yunpan-cli put/mv/rm/mkdir):
create, edit, delete, rename and move of files and folders, nested, with
names drawn from small pools so that both sides often touch the same path,
and often want one name for two folders of different origin, or for a file
and a folder.
Then A, B, A, B run `sync --once`. After every round:

  - A and B hold identical trees (same paths, same bytes), and the last
    syncs of A and of B both ended "In sync." (nothing skipped for good);
  - every content a side wrote in that round and still held when the
    syncs began is present somewhere (under its name, another name, or as
    a conflict copy): edit beats delete, a new file survives the delete of
    its folder, a conflict keeps both versions, so nothing the other side
    did may remove it. A content the same side overwrote or deleted before
    syncing is not required;
  - no temporary file of the engine is left in either folder.

Every write is unique (it starts with its own tag), so content identifies
what was written. The seed is printed at the start and in every failure.

The suite runs seeds 1 and 14 for 25 rounds, so that its result is the
same at every run (14 moves two folders into each other on two sides, a
cycle whose record the sync once failed to move back); YP_SYNC_SEED takes
a comma-separated list, and "random" draws one. Run longer, another seed,
or replay a failure (one command, from the source folder):

  YP_SYNC_SEED=1234 YP_SYNC_ROUNDS=200 \
    meson test -C build cli-sync-random -v --timeout-multiplier 20
"""

import os
import random
import shutil
import sys

from sync_harness import SyncTestCase, temporaries
from yunpan_instance import main

SEEDS = [random.SystemRandom().randrange(1 << 32) if s == "random" else int(s)
         for s in (os.environ.get("YP_SYNC_SEED") or "1,14").split(",")]
ROUNDS = int(os.environ.get("YP_SYNC_ROUNDS") or 25)

FILE_NAMES = ["a.txt", "b.txt", "c.md", "d.bin", "E.txt", "notes"]
FOLDER_NAMES = ["x", "y", "z", "sub"]
MAX_DEPTH = 3


# the names folders are moved to: those new folders take too
MOVED_FOLDER_NAMES = FOLDER_NAMES + ["m", "n"]


class World:
    """What the generator knows of one side: its files and folders."""

    def __init__(self, tree):
        self.files = {p: d for p, d in tree.items() if d is not None}
        self.folders = {p for p, d in tree.items() if d is None}

    def taken(self, path):
        return path in self.files or path in self.folders

    def under(self, folder):
        prefix = folder + "/"
        return [p for p in list(self.files) + list(self.folders) if p.startswith(prefix)]

    def depth(self, path):
        return 0 if path == "" else path.count("/") + 1


def join(folder, name):
    return f"{folder}/{name}" if folder else name


class RandomSyncTest(SyncTestCase):

    def setUp(self):
        super().setUp()
        self.seed = None
        self.rng = None
        self.counter = 0
        self.log = []

    def fail_here(self, round_no, why):
        recent = "\n  ".join(self.log[-60:])
        self.fail(f"YP_SYNC_SEED={self.seed} round {round_no}: {why}\nlast operations:\n  {recent}")

    def new_content(self, side, round_no):
        self.counter += 1
        tag = f"[{self.seed}:{round_no}:{side}:{self.counter}]\n".encode()
        return tag + self.rng.randbytes(self.rng.randint(0, 3000))

    # -- operations on a local folder ----------------------------------------

    def local_op(self, client, world, round_no, written):
        rng = self.rng
        folders = [""] + sorted(world.folders)
        files = sorted(world.files)
        kind = rng.choices(["create", "edit", "delete", "move_file", "mkdir", "rmdir",
                            "move_folder"], weights=[30, 25, 8, 12, 10, 5, 10])[0]
        root = client.root
        if kind == "create" or (kind in ("edit", "delete", "move_file") and not files):
            parent = rng.choice(folders)
            path = join(parent, rng.choice(FILE_NAMES))
            if world.taken(path):
                return
            data = self.new_content(client.name, round_no)
            client.write(path, data)
            world.files[path] = data
            written.add(data)
            self.log.append(f"{client.name}: create {path}")
        elif kind == "edit":
            path = rng.choice(files)
            data = self.new_content(client.name, round_no)
            if rng.random() < 0.3:
                # as editors save: a new file renamed over the old one
                tmp = os.path.join(root, os.path.dirname(path), ".save-tmp")
                with open(tmp, "wb") as f:
                    f.write(data)
                os.replace(tmp, os.path.join(root, path))
            else:
                client.write(path, data)
            world.files[path] = data
            written.add(data)
            self.log.append(f"{client.name}: edit {path}")
        elif kind == "delete":
            path = rng.choice(files)
            os.unlink(os.path.join(root, path))
            del world.files[path]
            self.log.append(f"{client.name}: delete {path}")
        elif kind == "move_file":
            path = rng.choice(files)
            parent = rng.choice(folders)
            name = rng.choice(FILE_NAMES + [os.path.basename(path)])
            target = join(parent, name)
            if world.taken(target):
                return
            os.rename(os.path.join(root, path), os.path.join(root, target))
            world.files[target] = world.files.pop(path)
            self.log.append(f"{client.name}: move {path} -> {target}")
        elif kind == "mkdir" or (kind in ("rmdir", "move_folder") and len(folders) == 1):
            parent = rng.choice(folders)
            path = join(parent, rng.choice(FOLDER_NAMES))
            if world.taken(path) or world.depth(path) > MAX_DEPTH:
                return
            os.mkdir(os.path.join(root, path))
            world.folders.add(path)
            self.log.append(f"{client.name}: mkdir {path}")
        elif kind == "rmdir":
            path = rng.choice(folders[1:])
            shutil.rmtree(os.path.join(root, path))
            for p in world.under(path):
                world.files.pop(p, None)
                world.folders.discard(p)
            world.folders.discard(path)
            self.log.append(f"{client.name}: rmtree {path}")
        else:
            path = rng.choice(folders[1:])
            parent = rng.choice([f for f in folders if f != path and not f.startswith(path + "/")])
            target = join(parent, rng.choice(MOVED_FOLDER_NAMES))
            inner = max([world.depth(p) for p in world.under(path)] + [world.depth(path)])
            if world.taken(target) or world.depth(target) + inner - world.depth(path) > MAX_DEPTH:
                return
            os.rename(os.path.join(root, path), os.path.join(root, target))
            self.move_in_world(world, path, target)
            self.log.append(f"{client.name}: move folder {path} -> {target}")

    @staticmethod
    def move_in_world(world, path, target):
        for p in sorted(world.under(path)):
            new = target + p[len(path):]
            if p in world.files:
                world.files[new] = world.files.pop(p)
            else:
                world.folders.discard(p)
                world.folders.add(new)
        world.folders.discard(path)
        world.folders.add(target)

    # -- operations on the server, through the CLI ---------------------------------

    def server_op(self, remote, world, round_no, written):
        rng = self.rng
        folders = [""] + sorted(world.folders)
        files = sorted(world.files)
        kind = rng.choice(["put", "replace", "rm", "mv", "mkdir"])
        rpath = (lambda p: f"{remote}/{p}" if p else remote)
        if kind == "put" or (kind == "replace" and not files):
            path = join(rng.choice(folders), rng.choice(FILE_NAMES))
            if world.taken(path):
                return
            data = self.new_content("server", round_no)
            src = self.work_path("server-op.bin")
            with open(src, "wb") as f:
                f.write(data)
            self.cli_ok("put", src, rpath(path))
            world.files[path] = data
            written.add(data)
        elif kind == "replace":
            path = rng.choice(files)
            data = self.new_content("server", round_no)
            src = self.work_path("server-op.bin")
            with open(src, "wb") as f:
                f.write(data)
            self.cli_ok("put", "--replace", src, rpath(path))
            world.files[path] = data
            written.add(data)
        elif kind == "rm":
            choices = files + folders[1:]
            if not choices:
                return
            path = rng.choice(choices)
            self.cli_ok("rm", rpath(path))
            for p in world.under(path):
                world.files.pop(p, None)
                world.folders.discard(p)
            world.files.pop(path, None)
            world.folders.discard(path)
        elif kind == "mv":
            choices = files + folders[1:]
            if not choices:
                return
            path = rng.choice(choices)
            parent = rng.choice([f for f in folders if f != path and not f.startswith(path + "/")])
            pool = FILE_NAMES if path in world.files else MOVED_FOLDER_NAMES
            target = join(parent, rng.choice(pool))
            inner = max([world.depth(p) for p in world.under(path)] + [world.depth(path)])
            if world.taken(target) or world.depth(target) + inner - world.depth(path) > MAX_DEPTH:
                return
            self.cli_ok("mv", rpath(path), rpath(target))
            if path in world.files:
                world.files[target] = world.files.pop(path)
            else:
                self.move_in_world(world, path, target)
            path = f"{path} -> {target}"   # for the log
        else:
            path = join(rng.choice(folders), rng.choice(FOLDER_NAMES))
            if world.taken(path) or world.depth(path) > MAX_DEPTH:
                return
            self.cli_ok("mkdir", rpath(path))
            world.folders.add(path)
        self.log.append(f"server: {kind} {path}")

    # -- the test ----------------------------------------------------------------

    def run_rounds(self, seed):
        print(f"\nYP_SYNC_SEED={seed} YP_SYNC_ROUNDS={ROUNDS}", file=sys.stderr, flush=True)
        self.seed = seed
        self.rng = random.Random(seed)
        a, b = self.clients("a", "b")
        a.sync()
        b.sync()
        for round_no in range(1, ROUNDS + 1):
            self.log.append(f"-- round {round_no}")
            base = self.assert_same_trees(a, b, f"YP_SYNC_SEED={self.seed} round {round_no}: ")
            worlds = {"a": World(a.tree()), "b": World(b.tree()), "server": World(base)}
            written = {"a": set(), "b": set(), "server": set()}
            for client in (a, b):
                for _ in range(self.rng.randint(0, 6)):
                    self.local_op(client, worlds[client.name], round_no, written[client.name])
            if self.rng.random() < 0.4:
                for _ in range(self.rng.randint(1, 3)):
                    self.server_op(a.remote, worlds["server"], round_no, written["server"])

            # what must survive: written this round, still held when syncing starts
            must = set()
            for side, contents in written.items():
                live = set(worlds[side].files.values())
                must |= contents & live
            if set(World(a.tree()).files.values()) != set(worlds["a"].files.values()) or \
                    set(World(b.tree()).files.values()) != set(worlds["b"].files.values()):
                self.fail_here(round_no, "the generator's model is wrong (a test bug)")

            results = []
            for client in (a, b, a, b):
                r = client.sync(check=False)
                results.append(r)
                self.log.append(f"{client.name}: sync exit {r.returncode}: "
                                + " | ".join(r.stdout.strip().splitlines()[:-2])
                                + (f" | stderr: {r.stderr.strip()}" if r.stderr.strip() else ""))
                if r.returncode not in (0, 1):
                    self.fail_here(round_no, f"sync of {client.name} exited {r.returncode}: "
                                             f"{r.stderr}")
            ta, tb = a.tree(), b.tree()
            if ta != tb:
                only_a = sorted(set(ta) - set(tb))
                only_b = sorted(set(tb) - set(ta))
                differ = sorted(p for p in set(ta) & set(tb) if ta[p] != tb[p])
                self.fail_here(round_no, f"A and B differ after A, B, A, B: only in A "
                                         f"{only_a}, only in B {only_b}, content differs "
                                         f"{differ}")
            for client, r in ((a, results[-2]), (b, results[-1])):
                if "In sync." not in r.stdout:
                    self.fail_here(round_no, f"the last sync of {client.name} did not end in "
                                             f"sync:\n{r.stdout}{r.stderr}")
            present = {d for d in ta.values() if d is not None}
            lost = [d.split(b"\n", 1)[0].decode() for d in must - present]
            if lost:
                self.fail_here(round_no, f"contents lost: {sorted(lost)}")
            left = temporaries(a.root) + temporaries(b.root)
            if left:
                self.fail_here(round_no, f"temporary files left: {left}")
        print(f"{ROUNDS} rounds, {self.counter} contents written, final tree of "
              f"{len(a.tree())} entries", file=sys.stderr, flush=True)


def seed_test(seed):
    def test(self):
        self.run_rounds(seed)
    test.__doc__ = f"{ROUNDS} random rounds from seed {seed}"
    return test


for _seed in SEEDS:
    setattr(RandomSyncTest, f"test_seed_{_seed}", seed_test(_seed))


if __name__ == "__main__":
    main()
