"""Test harness for black-box tests of the Yunpan server.

Starts one server instance (nginx + the FastCGI application) through the run
command built by meson, talks to it over loopback HTTP only, and checks at
shutdown that nothing was left running and that the sanitizers stayed quiet.
The tests are written against docs/protocol.md, not against the code.
"""

import base64
import glob
import hashlib
import http.client
import itertools
import json
import os
import random
import secrets
import select
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.parse

API = "/api/v1"
START_TIMEOUT = 30
STOP_TIMEOUT = 15
DEFAULT_PASSWORD = "correct horse battery"
JSON_TYPE = "application/json"
MIB = 1024 * 1024
_user_counter = itertools.count(1)


class Response(tuple):
    """(status, headers, body): body is a dict/list for JSON, else bytes.

    A tuple so tests can unpack it, with names so they need not.
    """

    def __new__(cls, status, headers, body, raw):
        self = super().__new__(cls, (status, headers, body))
        self.raw = raw
        return self

    status = property(lambda self: self[0])
    headers = property(lambda self: self[1])
    body = property(lambda self: self[2])

    def __repr__(self):
        shown = self.raw if len(self.raw) <= 600 else self.raw[:600] + b"..."
        return f"<Response {self.status} {shown!r}>"


def sha256_hex(data):
    """Lower-case hex SHA-256 of DATA, as the protocol writes hashes."""
    return hashlib.sha256(data).hexdigest()


def content(n, seed=0, tag=""):
    """N deterministic bytes; another SEED or TAG gives other content."""
    out = bytearray()
    i = 0
    while len(out) < n:
        out += sha256_hex(f"{tag}{seed}:{i}".encode()).encode()
        i += 1
    return bytes(out[:n])


def compute_proof(nonce_hex, data):
    """Proof of possession per docs/protocol.md, step 2a.

    proof = SHA-256(nonce raw bytes || the whole content)
    """
    return hashlib.sha256(bytes.fromhex(nonce_hex) + data).hexdigest()


def write_pseudo_random_file(path, size, seed=1):
    """Writes SIZE deterministic pseudo-random bytes to PATH; returns the sha256.

    One random 1 MiB block is repeated with the block number mixed into its
    first and middle bytes, so any misplaced block changes the hash and the
    file never needs to be held in memory.
    """
    block = random.Random(seed).randbytes(MIB)
    digest = hashlib.sha256()
    with open(path, "wb") as f:
        for i in range((size + MIB - 1) // MIB):
            tag = struct.pack("<QQ", i, seed)
            data = tag + block[16:MIB // 2] + tag + block[MIB // 2 + 16:]
            data = data[:min(MIB, size - i * MIB)]
            f.write(data)
            digest.update(data)
    return digest.hexdigest()


def read_range(path, offset, length):
    """LENGTH bytes of the file at PATH from OFFSET."""
    with open(path, "rb") as f:
        f.seek(offset)
        return f.read(length)


class FileBody:
    """A file-like request body of LENGTH bytes from OFFSET of PATH.

    http.client streams it in blocks; `sent` is set once the last byte has
    been handed to the socket, so a test can act while the server works.
    """

    def __init__(self, path, offset, length):
        self._f = open(path, "rb")
        self._f.seek(offset)
        self._left = length
        self.sent = threading.Event()

    def read(self, n=-1):
        n = self._left if n < 0 else min(n, self._left)
        data = self._f.read(n) if n > 0 else b""
        self._left -= len(data)
        if not data:
            self.sent.set()
        return data

    def close(self):
        self._f.close()


def encode_query(query):
    """Encodes a query dict (UTF-8, percent-encoded) or passes a str as is.

    Tests of malformed input need to hand-craft the raw query string.
    """
    if query is None:
        return ""
    if isinstance(query, str):
        return query
    return urllib.parse.urlencode(query, quote_via=urllib.parse.quote)


def read_proc_stat(pid):
    """(state, start time) of PID, or None when it does not exist.

    The start time lets a test tell a recycled pid from the original process.
    """
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            data = f.read()
    except (FileNotFoundError, ProcessLookupError):
        return None
    fields = data[data.rindex(b")") + 2:].split()
    return fields[0].decode(), int(fields[19])


def child_pids(pid):
    """Direct children of PID, from every thread's children file."""
    found = set()
    for task in glob.glob(f"/proc/{pid}/task/*/children"):
        try:
            with open(task) as f:
                found.update(int(p) for p in f.read().split())
        except OSError:
            pass
    return found


def read_pid_file(path):
    """The pid written in PATH, or None when missing or empty."""
    try:
        with open(path) as f:
            text = f.read().strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None


class Instance:
    """One running server on its own temporary data folder.

    Use as a context manager, or start()/stop() from setUpClass and
    tearDownClass so that a whole test class shares one instance (password
    hashing is deliberately slow, so tests create few users).
    """

    def __init__(self, extra_args=(), data_dir=None):
        self.run_command = os.environ.get("YP_SERVER_RUN")
        if not self.run_command:
            raise RuntimeError("YP_SERVER_RUN is not set (meson sets it)")
        self.extra_args = list(extra_args)
        self.base = tempfile.mkdtemp(prefix="yp-test-")
        # started as root, the server runs as an unprivileged user, which
        # must be able to pass through to the data folder
        os.chmod(self.base, 0o711)
        self.data = data_dir or os.path.join(self.base, "data")
        os.makedirs(self.data, exist_ok=True)
        self.stderr_path = os.path.join(self.base, "runner.stderr")
        self.proc = None
        self.url = None
        self.port = None
        self.failed = False
        self.sanitize = os.environ.get("YP_SANITIZE") == "1"
        self._known = {}

    # -- life cycle -------------------------------------------------------

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is not None:
            self.failed = True
        self.stop()
        return False

    def _environment(self):
        env = dict(os.environ)
        if self.sanitize:
            log = os.path.join(self.data, "log")
            os.makedirs(log, exist_ok=True)
            env["ASAN_OPTIONS"] = (f"log_path={log}/asan:abort_on_error=1:"
                                   "detect_leaks=0")
            env["UBSAN_OPTIONS"] = (f"log_path={log}/ubsan:print_stacktrace=1:"
                                    "halt_on_error=1")
        return env

    def command(self):
        """The argv that starts this instance (port 0: a free port)."""
        return [self.run_command, "--data", self.data, "--port", "0",
                *self.extra_args]

    def start(self):
        """Starts the run command and waits for its URL line."""
        self._stderr = open(self.stderr_path, "wb")
        self.proc = subprocess.Popen(self.command(), stdout=subprocess.PIPE,
                                     stderr=self._stderr, stdin=subprocess.DEVNULL,
                                     env=self._environment())
        line = self._read_url_line()
        prefix = "Yunpan server running at "
        if not line.startswith(prefix):
            self._abort(f"unexpected first line {line!r}")
        self.url = line[len(prefix):].strip()
        parsed = urllib.parse.urlsplit(self.url)
        if parsed.hostname != "127.0.0.1" or not parsed.port:
            self._abort(f"URL is not a 127.0.0.1 URL with a port: {self.url!r}")
        self.port = parsed.port
        self._remember_processes()
        return self

    def _read_url_line(self):
        deadline = time.monotonic() + START_TIMEOUT
        buf = b""
        fd = self.proc.stdout.fileno()
        while b"\n" not in buf:
            left = deadline - time.monotonic()
            if left <= 0:
                self._abort(f"no URL line within {START_TIMEOUT} s")
            ready, _, _ = select.select([fd], [], [], left)
            if ready:
                chunk = os.read(fd, 4096)
                if not chunk:
                    self._abort("the run command exited before printing its URL")
                buf += chunk
        return buf.split(b"\n", 1)[0].decode("utf-8", "replace")

    def _abort(self, why):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        raise RuntimeError(f"server did not start: {why}\n{self.stderr_text()}")

    def stderr_text(self):
        try:
            with open(self.stderr_path, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def server_pids(self):
        """{pid: start time} of the runner, app master, workers and nginx."""
        pids = {self.proc.pid}
        master = read_pid_file(os.path.join(self.data, "run", "yunpan-server.pid"))
        nginx = read_pid_file(os.path.join(self.data, "run", "nginx.pid"))
        for pid in (master, nginx):
            if pid:
                pids.add(pid)
                pids.update(child_pids(pid))
        result = {}
        for pid in pids:
            stat = read_proc_stat(pid)
            if stat and stat[0] != "Z":
                result[pid] = stat[1]
        return result

    def _remember_processes(self):
        self._known.update(self.server_pids())

    def master_pid(self):
        return read_pid_file(os.path.join(self.data, "run", "yunpan-server.pid"))

    def nginx_pid(self):
        return read_pid_file(os.path.join(self.data, "run", "nginx.pid"))

    def worker_pids(self):
        """The application's live worker processes (children of its master).

        Zombies (killed, not yet reaped) are not workers.
        """
        master = self.master_pid()
        if not master:
            return []
        return sorted(pid for pid in child_pids(master)
                      if (read_proc_stat(pid) or ("Z",))[0] != "Z")

    def stray_processes(self):
        """Recorded processes that still run (zombies count as gone)."""
        left = []
        for pid, started in self._known.items():
            stat = read_proc_stat(pid)
            if stat and stat[0] != "Z" and stat[1] == started:
                left.append(pid)
        return sorted(left)

    def stop(self, sig=signal.SIGTERM):
        """Stops the instance and checks it stopped cleanly.

        Raises AssertionError on a non-zero exit, processes left running or
        sanitizer reports; the data folder is kept only when YP_KEEP is set
        and something failed.
        """
        if self.proc is None:
            return
        problems = []
        try:
            if self.proc.poll() is None:
                self._remember_processes()
                self.proc.send_signal(sig)
            try:
                code = self.proc.wait(STOP_TIMEOUT)
                if code != 0:
                    problems.append(f"run command exited with {code}")
            except subprocess.TimeoutExpired:
                problems.append(f"run command still running {STOP_TIMEOUT} s "
                                "after the signal")
            problems.extend(self._check_no_strays())
            problems.extend(self._sanitizer_reports())
        finally:
            self._kill_leftovers()
            self.proc.stdout.close()
            self._stderr.close()
            self.proc = None
        if problems:
            self.failed = True
        self._cleanup()
        if problems:
            raise AssertionError("unclean shutdown:\n" + "\n".join(problems)
                                 + "\n--- runner stderr ---\n" + self.stderr_text())

    def _check_no_strays(self):
        deadline = time.monotonic() + 2
        while self.stray_processes() and time.monotonic() < deadline:
            time.sleep(0.05)
        strays = self.stray_processes()
        if not strays:
            return []
        described = []
        for pid in strays:
            try:
                with open(f"/proc/{pid}/cmdline", "rb") as f:
                    cmd = f.read().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                cmd = "?"
            described.append(f"{pid}: {cmd}")
        return ["processes left running: " + "; ".join(described)]

    def _sanitizer_reports(self):
        found = []
        for path in sorted(glob.glob(os.path.join(self.data, "log", "asan*"))
                           + glob.glob(os.path.join(self.data, "log", "ubsan*"))):
            with open(path, "rb") as f:
                text = f.read().decode("utf-8", "replace")
            found.append(f"sanitizer report {path}:\n{text}")
        return found

    def _kill_leftovers(self):
        """Kills, by pid, whatever of ours survived (so later tests run)."""
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        for pid in self.stray_processes():
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

    def _cleanup(self):
        if self.failed and os.environ.get("YP_KEEP"):
            print(f"keeping {self.base} (YP_KEEP)", file=sys.stderr)
            return
        shutil.rmtree(self.base, ignore_errors=True)

    # -- HTTP -------------------------------------------------------------

    def connect(self, timeout=60):
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)

    def request(self, method, path, body=None, token=None, headers=None,
                query=None, timeout=60):
        """One request on a fresh connection; returns a Response.

        BODY: dict/list is sent as JSON, bytes as they are. PATH is the full
        URL path; QUERY a dict or a raw query string.
        """
        all_headers = {}
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
            all_headers["Content-Type"] = JSON_TYPE
        elif isinstance(body, bytes):
            all_headers["Content-Type"] = "application/octet-stream"
        if token is not None:
            all_headers["Authorization"] = f"Bearer {token}"
        all_headers.update(headers or {})
        qs = encode_query(query)
        target = path + ("?" + qs if qs else "")
        conn = self.connect(timeout)
        try:
            conn.request(method, target, body=body, headers=all_headers)
            resp = conn.getresponse()
            raw = resp.read()
            return Response(resp.status, resp.headers, _parse_body(resp, raw), raw)
        finally:
            conn.close()

    def get(self, endpoint, token=None, query=None, headers=None):
        """GET API/ENDPOINT (ENDPOINT without the /api/v1 prefix)."""
        return self.request("GET", f"{API}/{endpoint}", token=token,
                            query=query, headers=headers)

    def post(self, endpoint, body=None, token=None, headers=None):
        """POST API/ENDPOINT with a JSON body (dict) or raw JSON bytes."""
        hdrs = {"Content-Type": JSON_TYPE}
        hdrs.update(headers or {})
        return self.request("POST", f"{API}/{endpoint}", body=body, token=token,
                            headers=hdrs)

    def health(self):
        return self.get("health")

    # -- accounts ---------------------------------------------------------

    def register(self, username, password=DEFAULT_PASSWORD):
        return retry_when_busy(lambda: self.post(
            "account/register", {"username": username, "password": password}))

    def login_response(self, username, password=DEFAULT_PASSWORD):
        return retry_when_busy(lambda: self.post(
            "account/login", {"username": username, "password": password}))

    def login(self, username, password=DEFAULT_PASSWORD):
        """Logs in and returns the token (asserts success)."""
        resp = self.login_response(username, password)
        if resp.status != 200:
            raise AssertionError(f"login of {username!r} failed: {resp!r}")
        return resp.body["token"]

    def new_user(self, prefix="u"):
        """Registers and logs in a fresh user; returns (token, user dict)."""
        name = f"{prefix}{next(_user_counter)}_{secrets.token_hex(3)}"
        resp = self.register(name)
        if resp.status != 201:
            raise AssertionError(f"register {name!r} failed: {resp!r}")
        return self.login(name), resp.body["user"]

    def whoami(self, token):
        return self.get("account/whoami", token)

    # -- files --------------------------------------------------------------

    def mkdir(self, token, path, parents=False):
        body = {"path": path}
        if parents:
            body["parents"] = True
        return self.post("files/mkdir", body, token)

    def stat(self, token, **target):
        return self.get("files/stat", token, target)

    def list(self, token, **query):
        return self.get("files/list", token, query)

    def download(self, token, headers=None, **target):
        return self.get("files/download", token, target, headers=headers)

    def move(self, token, body):
        return self.post("files/move", body, token)

    def delete(self, token, body):
        return self.post("files/delete", body, token)

    # -- uploads --------------------------------------------------------------

    def start_upload(self, token, path, data=None, size=None, sha256=None,
                     **extra):
        """POST /uploads for DATA (or an explicit size/sha256)."""
        body = {"path": path} if path is not None else {}
        body["size"] = len(data) if size is None else size
        body["sha256"] = sha256_hex(data) if sha256 is None else sha256
        body.update(extra)
        return self.post("uploads", body, token)

    def put_chunk(self, token, upload_id, offset, chunk):
        return self.request("PUT", f"{API}/uploads/{upload_id}", body=chunk,
                            token=token, query={"offset": offset})

    def put_stream(self, token, upload_id, offset, body, length, timeout=900):
        """PUT LENGTH bytes read from BODY (e.g. a FileBody) without buffering."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout,
                                          blocksize=MIB)
        try:
            conn.request("PUT", f"{API}/uploads/{upload_id}?offset={offset}", body=body,
                         headers={"Authorization": f"Bearer {token}",
                                  "Content-Type": "application/octet-stream",
                                  "Content-Length": str(length)})
            resp = conn.getresponse()
            raw = resp.read()
            return Response(resp.status, resp.headers, _parse_body(resp, raw), raw)
        finally:
            conn.close()

    def download_digest(self, token, headers=None, timeout=900, **target):
        """Streams a download; returns (Response with body only on error,
        sha256 hex of the body, number of body bytes)."""
        all_headers = {"Authorization": f"Bearer {token}", **(headers or {})}
        conn = self.connect(timeout)
        try:
            conn.request("GET", f"{API}/files/download?{encode_query(target)}",
                         headers=all_headers)
            resp = conn.getresponse()
            digest, count = hashlib.sha256(), 0
            raw = b""
            while True:
                chunk = resp.read(MIB)
                if not chunk:
                    break
                digest.update(chunk)
                count += len(chunk)
                if count <= 4096:
                    raw += chunk
            body = _parse_body(resp, raw) if resp.status >= 400 else b""
            return Response(resp.status, resp.headers, body, raw), digest.hexdigest(), count
        finally:
            conn.close()

    def upload(self, token, path, data, chunk=None, answer_challenge=False,
               **extra):
        """Start + PUT(s); returns the last Response.

        Challenges are ignored (bytes are sent) unless ANSWER_CHALLENGE, in
        which case the proof is sent instead of the bytes.
        """
        resp = self.start_upload(token, path, data, **extra)
        if resp.status != 201 or "upload" not in resp.body:
            return resp
        upload_id = resp.body["upload"]["id"]
        if answer_challenge and resp.body.get("challenge"):
            ch = resp.body["challenge"]
            return self.post(f"uploads/{upload_id}/proof",
                             {"proof": compute_proof(ch["nonce"], data)}, token)
        chunk = chunk or max(len(data), 1)
        offset = 0
        while True:
            resp = self.put_chunk(token, upload_id, offset, data[offset:offset + chunk])
            offset += chunk
            if resp.status != 200 or offset >= len(data):
                return resp

    def upload_file(self, token, path, data, **extra):
        """Uploads DATA and returns the new file node (asserts success)."""
        resp = self.upload(token, path, data, **extra)
        if resp.status != 201:
            raise AssertionError(f"upload of {path!r} failed: {resp!r}")
        return resp.body["file"]

    # -- data folder ------------------------------------------------------

    def access_log(self):
        with open(os.path.join(self.data, "log", "access.log"), "rb") as f:
            return f.read()

    def blob_files(self):
        """Every file under DIR/blobs (relative paths)."""
        return _walk_files(os.path.join(self.data, "blobs"))

    def part_files(self):
        return sorted(f for f in os.listdir(os.path.join(self.data, "uploads"))
                      if f.endswith(".part"))


def _walk_files(root):
    found = set()
    for dirpath, _dirs, files in os.walk(root):
        for name in files:
            found.add(os.path.relpath(os.path.join(dirpath, name), root))
    return found


def _parse_body(resp, raw):
    ctype = resp.getheader("Content-Type", "")
    if ctype.split(";")[0].strip() == JSON_TYPE:
        try:
            return json.loads(raw)
        except ValueError:
            return raw
    return raw


def is_base64url(text):
    """True when TEXT is unpadded base64url."""
    try:
        base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except ValueError:
        return False
    return all(c.isalnum() or c in "-_" for c in text)


class ServerTestCase(unittest.TestCase):
    """Base class: one server instance shared by every test of the class.

    INSTANCE_ARGS are extra run-command arguments. Each test checks that
    the instance is still healthy afterwards, since a crash caused by one
    request must not go unnoticed.
    """

    INSTANCE_ARGS = ()
    CHECK_HEALTH_AFTER_EACH = True
    server = None

    @classmethod
    def setUpClass(cls):
        cls.server = Instance(cls.INSTANCE_ARGS).start()

    @classmethod
    def tearDownClass(cls):
        if cls.server is not None:
            server, cls.server = cls.server, None
            server.stop()

    def run(self, result=None):
        """Marks the instance as failed (for YP_KEEP) when this test fails."""
        result = result if result is not None else self.defaultTestResult()
        before = len(result.failures) + len(result.errors)
        outcome = super().run(result)
        if self.server is not None and len(result.failures) + len(result.errors) > before:
            self.server.failed = True
        return outcome

    def tearDown(self):
        if self.CHECK_HEALTH_AFTER_EACH and self.server is not None:
            self.assert_healthy()

    # -- assertions ----------------------------------------------------------

    def assert_healthy(self, within=5.0):
        """The health endpoint answers 200 ok within WITHIN seconds."""
        deadline = time.monotonic() + within
        last = None
        while time.monotonic() < deadline:
            try:
                last = self.server.health()
                if last.status == 200 and isinstance(last.body, dict) \
                        and last.body.get("status") == "ok":
                    return
            except OSError as exc:
                last = exc
            time.sleep(0.1)
        self.fail(f"server not healthy: {last!r}")

    def assert_error(self, resp, status, code):
        """RESP is a JSON error {"error":{"code":CODE,"message":str}} with STATUS.

        CODE may be a set of acceptable codes where the contract allows more
        than one.
        """
        self.assertEqual(resp.status, status, f"wrong status: {resp!r}")
        ctype = resp.headers.get("Content-Type", "")
        self.assertEqual(ctype.split(";")[0].strip(), JSON_TYPE,
                         f"error is not JSON: {resp!r}")
        self.assertIsInstance(resp.body, dict, f"error body is not an object: {resp!r}")
        err = resp.body.get("error")
        self.assertIsInstance(err, dict, f"no error object: {resp!r}")
        codes = {code} if isinstance(code, str) else set(code)
        self.assertIn(err.get("code"), codes, f"wrong error code: {resp!r}")
        self.assertIsInstance(err.get("message"), str, f"no message: {resp!r}")
        return err

    def assert_error_one_of(self, resp, allowed):
        """Like assert_error where the contract allows several (status, code)."""
        if (resp.status, _any_code(resp)) not in allowed:
            self.fail(f"expected one of {allowed}: {resp!r}")
        return self.assert_error(resp, resp.status, _any_code(resp))

    def assert_status(self, resp, status):
        """RESP has STATUS and (for non-downloads) a JSON object body."""
        self.assertEqual(resp.status, status, f"unexpected response: {resp!r}")
        return resp.body

    def assert_4xx_json(self, resp):
        """Any client error with a well-formed JSON error body; never 5xx."""
        self.assertTrue(400 <= resp.status < 500, f"expected a 4xx: {resp!r}")
        return self.assert_error(resp, resp.status, _any_code(resp))

    def assert_node(self, node, **expected):
        """NODE has every field of the protocol and the EXPECTED values."""
        for field in ("id", "parent_id", "name", "path", "type", "size",
                      "category", "created", "modified", "version"):
            self.assertIn(field, node, f"node lacks {field}: {node}")
        self.assertIn(node["type"], ("file", "folder"))
        self.assertIsInstance(node["version"], int)
        self.assertGreater(node["version"], 0)
        if node["type"] == "folder":
            self.assertEqual(node["size"], 0)
            self.assertEqual(node["category"], "folder")
            self.assertNotIn("sha256", node)
        else:
            self.assertRegex(node["sha256"], r"^[0-9a-f]{64}$")
        for key, value in expected.items():
            self.assertEqual(node[key], value, f"node {key}: {node}")
        return node


def _any_code(resp):
    body = resp.body if isinstance(resp.body, dict) else {}
    err = body.get("error") if isinstance(body.get("error"), dict) else {}
    return err.get("code", "<missing>")


def main():
    """Runs the calling module's tests verbosely; non-zero exit on failure."""
    unittest.main(module="__main__", verbosity=2)


# -- guessing and flood defences ------------------------------------------

BUSY_RETRIES = 50


def retry_when_busy(send, retries=BUSY_RETRIES):
    """SEND() again while it answers 503 unavailable, at most RETRIES times.

    Every password hash takes one of a few slots shared by all workers; a
    sign-in that finds none free is refused at once with Retry-After.
    Parallel suites sign in at the same time, so the helpers wait briefly
    and try again instead of failing. The wait is short and jittered
    rather than the advertised second: the slots free up within ~150 ms.
    """
    resp = send()
    for _ in range(retries):
        if resp.status != 503:
            break
        time.sleep(random.uniform(0.05, 0.25))
        resp = send()
    return resp


def request_from(server, source, method, path, body=None, token=None, timeout=60):
    """One request to SERVER sent from the loopback address SOURCE.

    nginx listens on 127.0.0.1, but a client may bind any 127.x address as
    its own, so tests can play several clients that the server tells apart
    by REMOTE_ADDR.
    """
    headers = {}
    if isinstance(body, (dict, list)):
        body = json.dumps(body).encode()
        headers["Content-Type"] = JSON_TYPE
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=timeout,
                                      source_address=(source, 0))
    try:
        conn.request(method, path, body=body, headers=headers)
        resp = conn.getresponse()
        raw = resp.read()
        return Response(resp.status, resp.headers, _parse_body(resp, raw), raw)
    finally:
        conn.close()


def login_from(server, source, username, password=DEFAULT_PASSWORD):
    """POST account/login from the loopback address SOURCE (no retries)."""
    return request_from(server, source, "POST", f"{API}/account/login",
                        {"username": username, "password": password})
