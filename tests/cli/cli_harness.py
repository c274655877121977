"""Test harness for black-box tests of yunpan-cli.

Each test class gets a real server (tests/server/yunpan_instance.py), a real
gnome-keyring on the private session bus that `dbus-run-session` (the meson
test command) gives the test, and a temporary HOME with every XDG folder in
it. The CLI runs as a user would run it: in its own session without a
controlling terminal (so a password prompt fails at once instead of hanging
the test), passwords on standard input.
"""

import hashlib
import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import tempfile
import time
import unittest

from yunpan_instance import (DEFAULT_PASSWORD, MIB, Instance, child_pids, read_proc_stat,
                             write_pseudo_random_file)

__all__ = ["CliTestCase", "Keyring", "MIB", "PASSWORD", "file_sha256", "parse_access_log",
           "write_pseudo_random_file"]

PASSWORD = DEFAULT_PASSWORD
KEYRING_PASSWORD = b"test"
CLI_TIMEOUT = 600

# log_format yunpan in server/run/nginx.conf.in:
#   $remote_addr [$time_local] "$request" $status $request_length $bytes_sent $request_time
LOG_LINE = re.compile(rb'^(\S+) \[([^\]]*)\] "([^"]*)" (\d+) (\d+) (\d+) (\S+)$')


def file_sha256(path):
    """Hex SHA-256 of the file at PATH, read in blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while True:
            block = f.read(MIB)
            if not block:
                return digest.hexdigest()
            digest.update(block)


def parse_access_log(data):
    """The access log's lines as dicts: method, target, status, request_length, bytes_sent."""
    entries = []
    for line in data.splitlines():
        m = LOG_LINE.match(line)
        if not m:
            continue
        request = m.group(3).decode("utf-8", "replace").split(" ")
        entries.append({
            "method": request[0] if request else "",
            "target": request[1] if len(request) > 1 else "",
            "status": int(m.group(4)),
            "request_length": int(m.group(5)),
            "bytes_sent": int(m.group(6)),
        })
    return entries


class Keyring:
    """An unlocked gnome-keyring-daemon (secrets only) on the current session bus.

    Runs in the foreground so that the test owns its pid and stops it; the
    keyring files go to ENV's XDG_DATA_HOME.
    """

    def __init__(self, env, log_path):
        self.env = env
        self.log_path = log_path
        self.proc = None

    def start(self):
        if not os.environ.get("DBUS_SESSION_BUS_ADDRESS"):
            raise RuntimeError("no session bus: run the test under dbus-run-session")
        if shutil.which("gnome-keyring-daemon") is None:
            raise RuntimeError("gnome-keyring-daemon is not installed (apt-get install "
                               "gnome-keyring)")
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(
                ["gnome-keyring-daemon", "--foreground", "--unlock", "--components=secrets"],
                stdin=subprocess.PIPE, stdout=log, stderr=log, env=self.env)
        self.proc.stdin.write(KEYRING_PASSWORD)
        self.proc.stdin.close()
        # the name appears once the daemon serves the Secret Service API
        wait = subprocess.run(["gdbus", "wait", "--session", "--timeout", "15",
                               "org.freedesktop.secrets"], env=self.env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        if wait.returncode != 0 or self.proc.poll() is not None:
            self.stop()
            raise RuntimeError("gnome-keyring-daemon did not start: "
                               f"{wait.stderr.decode(errors='replace')}")
        return self

    def stop(self):
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None


class CliTestCase(unittest.TestCase):
    """Base class: a server, a keyring and a home folder shared by the class.

    `self.cli(...)` runs yunpan-cli; `config` names a separate
    XDG_CONFIG_HOME, so that two users can be signed in at once (as on two
    computers) while sharing the keyring.
    """

    server = None
    keyring = None
    base = None
    # options for yunpan-server (after the run command's "--"), e.g. a quota
    server_args = ()

    @classmethod
    def setUpClass(cls):
        cls.cli_path = os.environ.get("YP_CLI")
        if not cls.cli_path:
            raise RuntimeError("YP_CLI is not set (meson sets it)")
        cls.base = tempfile.mkdtemp(prefix="yp-cli-test-")
        cls.home = os.path.join(cls.base, "home")
        cls.work = os.path.join(cls.base, "work")
        for sub in ("home", "home/config", "home/data", "home/cache", "work"):
            os.makedirs(os.path.join(cls.base, sub), exist_ok=True)
        os.makedirs(os.path.join(cls.home, "run"), mode=0o700, exist_ok=True)
        cls.env = cls._base_env()
        try:
            cls.keyring = Keyring(cls.env, os.path.join(cls.base, "keyring.log")).start()
            cls.server = Instance(
                extra_args=["--", *cls.server_args] if cls.server_args else ()).start()
        except BaseException:
            cls.tearDownClass()
            raise

    @classmethod
    def _base_env(cls):
        env = {k: v for k, v in os.environ.items()
               if k not in ("DISPLAY", "WAYLAND_DISPLAY", "YUNPAN_CHUNK_SIZE",
                            "G_MESSAGES_DEBUG")}
        env.update({
            "HOME": cls.home,
            "XDG_CONFIG_HOME": os.path.join(cls.home, "config"),
            "XDG_DATA_HOME": os.path.join(cls.home, "data"),
            "XDG_CACHE_HOME": os.path.join(cls.home, "cache"),
            "XDG_RUNTIME_DIR": os.path.join(cls.home, "run"),
            "LANG": "C.UTF-8",
            "LC_ALL": "C.UTF-8",
            "TZ": "UTC",
        })
        # a critical warning in the CLI or the library is a bug: make it fatal
        # (unless the caller chose G_DEBUG, e.g. to see past one)
        env.setdefault("G_DEBUG", "fatal-criticals")
        return env

    @classmethod
    def tearDownClass(cls):
        try:
            if cls.server is not None:
                server, cls.server = cls.server, None
                server.stop()
        finally:
            if cls.keyring is not None:
                cls.keyring.stop()
                cls.keyring = None
            if cls.base is not None:
                shutil.rmtree(cls.base, ignore_errors=True)
                cls.base = None

    # -- running the CLI ----------------------------------------------------

    def cli_env(self, config=None, **extra):
        env = dict(self.env)
        if config is not None:
            env["XDG_CONFIG_HOME"] = os.path.join(self.home, "config-" + config)
        env.update({k: v for k, v in extra.items() if v is not None})
        for k, v in extra.items():
            if v is None:
                env.pop(k, None)
        return env

    def cli(self, *args, stdin=None, config=None, env=None, timeout=CLI_TIMEOUT, **extra_env):
        """Runs yunpan-cli ARGS; returns the CompletedProcess (text, UTF-8)."""
        full_env = self.cli_env(config, **extra_env)
        if env:
            full_env.update(env)
        return subprocess.run([self.cli_path, *args], input=stdin, capture_output=True,
                              env=full_env, timeout=timeout, encoding="utf-8",
                              errors="replace", start_new_session=True)

    def cli_ok(self, *args, **kwargs):
        """Runs the CLI and asserts exit status 0."""
        result = self.cli(*args, **kwargs)
        self.assertEqual(result.returncode, 0, self.describe(args, result))
        return result

    def cli_json(self, *args, **kwargs):
        """Runs the CLI with --json, asserts success; returns the parsed document."""
        result = self.cli_ok("--json", *args, **kwargs)
        return self.parse_json(result)

    def parse_json(self, result):
        try:
            return json.loads(result.stdout)
        except ValueError as exc:
            self.fail(f"stdout is not one JSON document ({exc}): {result.stdout!r}")

    def assert_exit(self, result, status, args=()):
        self.assertEqual(result.returncode, status, self.describe(args, result))
        if status != 0:
            self.assertTrue(result.stderr.startswith("yunpan-cli: ")
                            or "Usage" in result.stderr,
                            f"error message not in the yunpan-cli: form: {result.stderr!r}")
        return result

    @staticmethod
    def describe(args, result):
        return (f"yunpan-cli {' '.join(map(str, args))} exited {result.returncode}\n"
                f"--- stdout ---\n{result.stdout}\n--- stderr ---\n{result.stderr}")

    # -- accounts ---------------------------------------------------------

    def register(self, username, config=None):
        return self.cli_ok("--server", self.server.url, "register", "--password-stdin",
                           username, stdin=PASSWORD + "\n", config=config)

    def login(self, username, config=None, server=None):
        return self.cli_ok("--server", server or self.server.url, "login", "--password-stdin",
                           username, stdin=PASSWORD + "\n", config=config)

    def sign_up(self, username, config=None):
        """Registers USERNAME and signs in as it with the CLI."""
        self.register(username, config)
        return self.login(username, config)

    def keyring_token(self, username, server=None):
        """The token the keyring holds for USERNAME (secret-tool), or None."""
        if shutil.which("secret-tool") is None:
            return None
        result = subprocess.run(["secret-tool", "lookup", "server",
                                 (server or self.server.url).rstrip("/"),
                                 "username", username], capture_output=True, env=self.env,
                                timeout=30)
        return result.stdout.decode() if result.returncode == 0 and result.stdout else None

    # -- the server's view ------------------------------------------------------

    def session_hashes(self):
        """SHA-256 digests of every live session token, from the server's database."""
        db = os.path.join(self.server.data, "yunpan.db")
        conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10)
        try:
            return {bytes(row[0]) for row in conn.execute("SELECT token_hash FROM sessions")}
        finally:
            conn.close()

    def access_log_size(self):
        return len(self.server.access_log())

    def access_log_since(self, offset, settle=0.2):
        """Access log entries written after OFFSET bytes (see access_log_size).

        SETTLE: seconds to wait first, as nginx writes a line only once the
        response has been sent; 0 when polling.
        """
        time.sleep(settle)
        return parse_access_log(self.server.access_log()[offset:])

    def nginx_worker_pids(self):
        master = self.server.nginx_pid()
        return sorted(pid for pid in child_pids(master)
                      if (read_proc_stat(pid) or ("Z",))[0] != "Z")

    def kill_nginx_workers(self):
        """SIGKILLs nginx's workers: every connection they hold dies mid-flight.

        The master starts new workers at once, so the server stays up.
        """
        killed = self.nginx_worker_pids()
        self.assertTrue(killed, "no nginx worker to kill")
        for pid in killed:
            os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            fresh = set(self.nginx_worker_pids()) - set(killed)
            if fresh:
                return killed
            time.sleep(0.05)
        self.fail("nginx did not start new workers")

    # -- files ------------------------------------------------------------

    def work_path(self, name):
        return os.path.join(self.work, name)

    def remove(self, *paths):
        for path in paths:
            try:
                os.unlink(path)
            except FileNotFoundError:
                pass
