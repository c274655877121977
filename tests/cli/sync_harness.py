"""Helpers for the sync tests: two clients on one remote folder.

A client is a local folder plus its own XDG_DATA_HOME (so its own pair
state, as on another computer) and its own host name for conflict copies.
Both clients share the signed-in user of the test class.
"""

import os
import re
import signal
import subprocess
import time

from cli_harness import CliTestCase

__all__ = ["Client", "SyncTestCase", "local_tree", "temporaries", "CONFLICT_NAME"]

# what the engine names a conflict copy: NAME (conflict YYYY-MM-DD HHMMSS from HOST).EXT
CONFLICT_NAME = re.compile(r"^(?P<stem>.*) \(conflict \d{4}-\d{2}-\d{2} \d{6} from "
                           r"(?P<host>[^)]*)\)(?P<ext>(\.[^.]*)?)$")

# the engine's own names: never synced, never part of the compared tree
ENGINE_OWN = re.compile(r"^\.yunpan-|\.yunpan-part$")


def local_tree(root):
    """{relative path: bytes} for files, {relative path: None} for folders.

    Leaves out the engine's own names (its ignore file, its staging
    folder), which are not part of what is synced.
    """
    tree = {}
    for folder, dirs, files in os.walk(root):
        rel_folder = os.path.relpath(folder, root)
        dirs[:] = [d for d in dirs if not ENGINE_OWN.search(d)]
        for d in dirs:
            tree[os.path.normpath(os.path.join(rel_folder, d))] = None
        for f in files:
            if ENGINE_OWN.search(f):
                continue
            path = os.path.join(folder, f)
            if os.path.islink(path):
                continue
            with open(path, "rb") as fh:
                tree[os.path.normpath(os.path.join(rel_folder, f))] = fh.read()
    return tree


def temporaries(root):
    """Paths under ROOT that a finished sync must not leave behind."""
    found = []
    for folder, dirs, files in os.walk(root):
        for name in dirs + files:
            if name.endswith(".yunpan-part") or name == ".yunpan-staging" \
                    or name.startswith(".yunpan-tmp"):
                found.append(os.path.join(folder, name))
    return found


class Client:
    """One computer: a local folder, its pair state, its host name."""

    def __init__(self, test, name, remote):
        self.test = test
        self.name = name
        self.remote = remote
        self.root = test.work_path(f"{test.id().rsplit('.', 1)[-1]}-{name}")
        self.env = {"XDG_DATA_HOME": os.path.join(test.home, "data-" + os.path.basename(self.root))}
        os.makedirs(self.root, exist_ok=True)

    def path(self, *parts):
        return os.path.join(self.root, *parts)

    def write(self, rel, data):
        if isinstance(data, str):
            data = data.encode()
        full = self.path(rel)
        os.makedirs(os.path.dirname(full), exist_ok=True)
        with open(full, "wb") as f:
            f.write(data)

    def read(self, rel):
        with open(self.path(rel), "rb") as f:
            return f.read()

    def args(self, once=True, json=False):
        return [*(["--json"] if json else []), "sync", *(["--once"] if once else []),
                "--host", self.name, self.root, self.remote]

    def sync(self, check=True, json=False, **kwargs):
        """One `sync --once`; with CHECK, asserts it ended "In sync."."""
        started = time.monotonic()
        result = self.test.cli(*self.args(json=json), env=self.env, **kwargs)
        result.elapsed = time.monotonic() - started
        if os.environ.get("YP_SYNC_VERBOSE"):
            print(f"\n[{self.name}] sync exit {result.returncode} ({result.elapsed:.2f} s)\n"
                  f"{result.stdout}{result.stderr}", end="", flush=True)
        if check:
            self.test.assertEqual(result.returncode, 0,
                                  f"[{self.name}] " + self.test.describe(self.args(), result))
            if not json:
                self.test.assertIn("In sync.", result.stdout)
        return result

    def start(self, **extra_env):
        """A running `sync` (no --once) in the background; stop with stop()."""
        env = self.test.cli_env(None, **extra_env)
        env.update(self.env)
        log = open(os.path.join(self.test.base, f"{os.path.basename(self.root)}.log"), "w+b")
        proc = subprocess.Popen([self.test.cli_path, *self.args(once=False)], stdout=log,
                                stderr=subprocess.STDOUT, env=env, start_new_session=True)
        proc.log = log
        self.test.addCleanup(log.close)
        self.test.addCleanup(self.stop, proc, signal.SIGKILL)
        return proc

    @staticmethod
    def output(proc):
        proc.log.flush()
        proc.log.seek(0)
        return proc.log.read().decode("utf-8", "replace")

    @staticmethod
    def stop(proc, sig=signal.SIGTERM, timeout=60):
        if proc.poll() is None:
            proc.send_signal(sig)
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        return proc.returncode

    def tree(self):
        return local_tree(self.root)


class SyncTestCase(CliTestCase):
    """One user, signed in once; each test makes its own clients and remote folder."""

    username = "syncer"
    _signed_up = False

    def setUp(self):
        cls = type(self)
        if not cls._signed_up:
            self.sign_up(self.username)
            cls._signed_up = True

    def clients(self, *names):
        remote = "/" + self.id().rsplit(".", 1)[-1]
        return [Client(self, n, remote) for n in names]

    def settle(self, *clients, rounds=2):
        """Syncs the clients in turn, ROUNDS times (A, B, A, B)."""
        for _ in range(rounds):
            for c in clients:
                c.sync()

    def assert_same_trees(self, a, b, msg=""):
        ta, tb = a.tree(), b.tree()
        if ta != tb:
            only_a = sorted(set(ta) - set(tb))
            only_b = sorted(set(tb) - set(ta))
            differ = sorted(p for p in set(ta) & set(tb) if ta[p] != tb[p])
            self.fail(f"{msg}trees differ: only in {a.name}: {only_a}; only in {b.name}: "
                      f"{only_b}; different content: {differ}")
        return ta

    def assert_no_temporaries(self, *clients):
        for c in clients:
            self.assertEqual(temporaries(c.root), [], f"temporary files left in {c.name}")

    def conflict_copies(self, tree, stem=None):
        out = {}
        for path, data in tree.items():
            m = CONFLICT_NAME.match(os.path.basename(path))
            if m and data is not None and (stem is None or m.group("stem") == stem):
                out[path] = data
        return out

    def wait_for(self, predicate, timeout, step=0.05):
        """Seconds until PREDICATE() was true, or None after TIMEOUT."""
        started = time.monotonic()
        while time.monotonic() - started < timeout:
            if predicate():
                return time.monotonic() - started
            time.sleep(step)
        return None
