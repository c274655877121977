#!/usr/bin/env python3
"""Sync engine benchmarks through `yunpan-cli sync`, each against a baseline
measured in the same run (see docs/benchmarks.md, "Sync engine: first sync,
latency, idle memory"). Run it through bench/sync-engine.sh, which gives it
the session bus the keyring needs.

  first    first sync of many small files (`sync --once`) vs one curl process
           PUTting the same files to a plain nginx over one kept-alive
           connection
  latency  a running `sync` of client A and of client B on one remote folder:
           a file written in A until the server has it, and a server change
           (`yunpan-cli put`) until A's folder has it, vs a bare
           `yunpan-cli put` of the same file
  idle     the resident memory of an idle `sync` that tracks many files, vs
           the same engine on an empty pair and vs `yunpan-cli whoami`

Everything lives in one temporary folder under /var/tmp, removed on exit
with every process this started. Traffic is loopback only.
"""

import argparse
import os
import pty
import random
import re
import select
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.dirname(HERE)
sys.path[:0] = [os.path.join(SRC, "tests", "server"), os.path.join(SRC, "tests", "cli")]

USER = "bench"
PASSWORD = "bench sturdy lantern 42"


def note(*args):
    print("sync-bench:", *args, file=sys.stderr, flush=True)


def out(*args):
    print(*args, flush=True)


def machine():
    model = "?"
    with open("/proc/cpuinfo", encoding="utf-8") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    with open("/proc/loadavg", encoding="utf-8") as f:
        load = " ".join(f.read().split()[:3])
    return f"{os.cpu_count()} cores, {model}, load average {load}"


def quantile(values, q):
    """The q-quantile by nearest rank (p95 of 50 values is the 48th)."""
    s = sorted(values)
    return s[min(len(s) - 1, max(0, int(round(q * len(s) + 0.5)) - 1))]


def make_tree(root, files, folders, lo, hi, seed):
    rng = random.Random(seed)
    per = (files + folders - 1) // folders
    made = 0
    for d in range(folders):
        sub = os.path.join(root, f"d{d:04d}")
        os.makedirs(sub, exist_ok=True)
        for i in range(min(per, files - made)):
            with open(os.path.join(sub, f"f{i:04d}.bin"), "wb") as f:
                f.write(rng.randbytes(rng.randint(lo, hi)))
            made += 1
    return made


def tree_files(root):
    found = {}
    for dirpath, _, names in os.walk(root):
        for n in names:
            p = os.path.join(dirpath, n)
            found[os.path.relpath(p, root)] = p
    return found


def same_trees(a, b):
    fa, fb = tree_files(a), tree_files(b)
    if fa.keys() != fb.keys():
        return False, f"{len(fa)} files against {len(fb)}"
    for rel, p in fa.items():
        with open(p, "rb") as x, open(fb[rel], "rb") as y:
            if x.read() != y.read():
                return False, f"{rel} differs"
    return True, f"{len(fa)} files, identical"


def rss_kib(pid):
    got = {}
    with open(f"/proc/{pid}/status", encoding="utf-8") as f:
        for line in f:
            k, _, v = line.partition(":")
            if k in ("VmRSS", "VmHWM", "RssAnon", "RssFile"):
                got[k] = int(v.split()[0])
    return got


def cpu_ticks(pid):
    with open(f"/proc/{pid}/stat", encoding="utf-8") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


class Bench:
    def __init__(self, build, base):
        self.build = build
        self.base = base
        self.cli_path = os.path.join(build, "app", "cli", "yunpan-cli")
        self.home = os.path.join(base, "home")
        for sub in ("config", "data", "cache", "run"):
            os.makedirs(os.path.join(self.home, sub), mode=0o700, exist_ok=True)
        self.env = {k: v for k, v in os.environ.items()
                    if k not in ("DISPLAY", "WAYLAND_DISPLAY", "YUNPAN_CHUNK_SIZE",
                                 "G_MESSAGES_DEBUG", "G_DEBUG")}
        self.env.update({
            "HOME": self.home,
            "XDG_CONFIG_HOME": os.path.join(self.home, "config"),
            "XDG_DATA_HOME": os.path.join(self.home, "data"),
            "XDG_CACHE_HOME": os.path.join(self.home, "cache"),
            "XDG_RUNTIME_DIR": os.path.join(self.home, "run"),
            "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8", "TZ": "UTC",
        })
        self.server = None
        self.keyring = None
        self.procs = []
        self.nginx = None
        self.trim_check = False
        self.child = None

    # -- processes ------------------------------------------------------

    def cli_env(self, data=None, config=None):
        env = dict(self.env)
        if data:
            env["XDG_DATA_HOME"] = os.path.join(self.home, "data-" + data)
        if config:
            env["XDG_CONFIG_HOME"] = os.path.join(self.home, "config-" + config)
        return env

    def cli(self, *args, data=None, config=None, stdin=None, check=True):
        r = subprocess.run([self.cli_path, *args], input=stdin, capture_output=True,
                           env=self.cli_env(data, config), encoding="utf-8",
                           errors="replace", start_new_session=True, timeout=3600)
        if check and r.returncode != 0:
            raise RuntimeError(f"yunpan-cli {' '.join(args)} exited {r.returncode}:\n"
                               f"{r.stdout[-2000:]}\n{r.stderr[-2000:]}")
        return r

    def peak_kib(self, *args, data=None, config=None):
        """Runs the CLI and returns (seconds, its peak RSS in KiB) from wait4."""
        t0 = time.monotonic()
        pid = os.fork()
        if pid == 0:
            try:
                os.setsid()
                fd = os.open(os.devnull, os.O_RDWR)
                for n in (0, 1):
                    os.dup2(fd, n)
                os.execve(self.cli_path, [self.cli_path, *args], self.cli_env(data, config))
            finally:
                os._exit(127)
        self.child = pid
        _, status, usage = os.wait4(pid, 0)
        self.child = None
        t1 = time.monotonic()
        if os.waitstatus_to_exitcode(status) != 0:
            raise RuntimeError(f"yunpan-cli {' '.join(args)} failed ({status})")
        self.last_cpu = usage.ru_utime + usage.ru_stime
        return t1 - t0, usage.ru_maxrss

    def daemon(self, local, remote, data, host):
        """A `yunpan-cli sync` without --once, its output on a pty (line-buffered,
        as in a terminal); returns (Popen, master fd)."""
        master, slave = pty.openpty()
        p = subprocess.Popen([self.cli_path, "sync", "--host", host, local, remote],
                             stdin=subprocess.DEVNULL, stdout=slave, stderr=slave,
                             env=self.cli_env(data), start_new_session=True)
        os.close(slave)
        self.procs.append(p)
        return p, master

    @staticmethod
    def drain(*masters):
        """Reads what the engines printed, so that a full pty never blocks them."""
        for m in masters:
            try:
                while select.select([m], [], [], 0)[0] and os.read(m, 65536):
                    pass
            except OSError:
                pass

    def stop_daemon(self, p, master):
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
            try:
                p.wait(30)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        try:
            while select.select([master], [], [], 0)[0] and os.read(master, 65536):
                pass
        except OSError:
            pass
        os.close(master)

    # -- services -------------------------------------------------------

    def start(self):
        from cli_harness import Keyring
        from yunpan_instance import Instance
        os.environ["YP_SERVER_RUN"] = os.path.join(self.build, "server", "yunpan-server-run")
        self.keyring = Keyring(self.env, os.path.join(self.base, "keyring.log")).start()
        self.server = Instance(extra_args=["--", "--quota", "0"]).start()
        self.cli("--server", self.server.url, "register", "--password-stdin", USER,
                 stdin=PASSWORD + "\n")
        self.cli("--server", self.server.url, "login", "--password-stdin", USER,
                 stdin=PASSWORD + "\n")
        # the writer of server-side changes: another sign-in, as on another computer
        self.cli("--server", self.server.url, "login", "--password-stdin", USER,
                 stdin=PASSWORD + "\n", config="writer")
        self.token = self.server.login(USER, PASSWORD)

    def stop(self):
        if self.child is not None:
            try:
                os.kill(self.child, signal.SIGKILL)
                os.waitpid(self.child, 0)
            except OSError:
                pass
        for p in self.procs:
            if p.poll() is None:
                p.kill()
                p.wait()
        if self.nginx is not None and self.nginx.poll() is None:
            self.nginx.send_signal(signal.SIGQUIT)
            try:
                self.nginx.wait(10)
            except subprocess.TimeoutExpired:
                self.nginx.kill()
                self.nginx.wait()
        try:
            if self.server is not None:
                self.server.stop()
        finally:
            if self.keyring is not None:
                self.keyring.stop()

    def start_nginx(self):
        n = os.path.join(self.base, "ngx")
        for sub in ("www/put", "body", "tmp", "logs"):
            os.makedirs(os.path.join(n, sub), exist_ok=True)
        import socket
        s = socket.socket()
        s.bind(("127.0.0.2", 0))
        port = s.getsockname()[1]
        s.close()
        user = "user root;" if os.geteuid() == 0 else ""
        conf = os.path.join(n, "nginx.conf")
        with open(conf, "w", encoding="utf-8") as f:
            f.write(f"""{user}
worker_processes 2;
pid {n}/nginx.pid;
error_log {n}/logs/error.log warn;
events {{ worker_connections 1024; }}
http {{
  access_log off;
  keepalive_requests 100000;
  client_body_temp_path {n}/body 1 2;
  fastcgi_temp_path {n}/tmp/fastcgi;
  proxy_temp_path {n}/tmp/proxy;
  uwsgi_temp_path {n}/tmp/uwsgi;
  scgi_temp_path {n}/tmp/scgi;
  server {{
    listen 127.0.0.2:{port};
    root {n}/www;
    location /put/ {{
      dav_methods PUT;
      create_full_put_path on;
      client_max_body_size 0;
    }}
  }}
}}
""")
        self.nginx = subprocess.Popen(["nginx", "-p", n, "-c", conf, "-e", f"{n}/logs/error.log",
                                       "-g", "daemon off;"], stdout=subprocess.DEVNULL,
                                      stderr=subprocess.DEVNULL, start_new_session=True)
        import urllib.request
        for _ in range(100):
            try:
                urllib.request.urlopen(f"http://127.0.0.2:{port}/", timeout=1)
            except urllib.error.HTTPError:
                break  # it answers (403/404)
            except OSError:
                time.sleep(0.1)
        return f"http://127.0.0.2:{port}", os.path.join(n, "www", "put")

    def access_log(self):
        return os.path.join(self.server.data, "log", "access.log")

    def log_offset(self):
        try:
            return os.path.getsize(self.access_log())
        except OSError:
            return 0

    def server_requests(self, offset, end):
        """The server's requests after OFFSET in its access log, by kind:
        {kind: [request_time, ...]} (log_format yunpan, server/run/nginx.conf.in)."""
        kinds = {}
        line_re = re.compile(r'^\S+ \[[^\]]*\] "(\S+) (\S+)[^"]*" (\d+) \d+ \d+ (\S+)$')
        with open(self.access_log(), "rb") as f:
            f.seek(offset)
            for raw in f.read(end - offset).splitlines():
                m = line_re.match(raw.decode("utf-8", "replace").strip())
                if not m:
                    continue
                path = m.group(2).split("?", 1)[0]
                path = re.sub(r"^(/api/v1/uploads/)[^/]+", r"\1ID", path)
                kinds.setdefault(f"{m.group(1)} {path} {m.group(3)}", []).append(
                    float(m.group(4)))
        return kinds

    def print_requests(self, offset, end, wall):
        kinds = self.server_requests(offset, end)
        total = sum(sum(v) for v in kinds.values())
        out(f"  server requests meanwhile (access log): {sum(len(v) for v in kinds.values())},"
            f" {total:.1f} s of request time in all ({100 * total / wall:.0f} % of the wall time)")
        for k, v in sorted(kinds.items(), key=lambda kv: -len(kv[1])):
            out(f"    {len(v):7d} x {k:40s} median {1000 * statistics.median(v):5.1f} ms"
                f"  total {sum(v):6.1f} s")

    def server_has(self, path, size):
        r = self.server.stat(self.token, path=path)
        return r.status == 200 and r.body.get("node", {}).get("size") == size

    # -- 1. first sync ----------------------------------------------------

    def first(self, files, folders):
        out(f"== 1. first sync of {files} files of 1-4 KiB in {folders} folders")
        tree = os.path.join(self.base, "first")
        note(f"making the tree ({files} files, not timed)")
        make_tree(tree, files, folders, 1024, 4096, seed=1)
        total = sum(os.path.getsize(p) for p in tree_files(tree).values())
        out(f"tree: {tree}, {files} files, {total / 1048576:.1f} MiB")
        url, put_root = self.start_nginx()

        # curl: one process, one kept-alive connection, one PUT a file
        cfg = os.path.join(self.base, "curl.cfg")
        with open(cfg, "w", encoding="utf-8") as f:
            f.write('header = "Expect:"\nsilent\nshow-error\nwrite-out = "%{http_code}\\n"\n'
                    'output = "/dev/null"\n')
            for rel in sorted(tree_files(tree)):
                f.write(f'upload-file = "{os.path.join(tree, rel)}"\n'
                        f'url = "{url}/put/{rel}"\noutput = "/dev/null"\n')
        out(f"baseline: curl -K curl.cfg (upload-file/url pairs, {files} PUTs, one connection)"
            f" to nginx {url}/put/ (dav_methods PUT; create_full_put_path on)")
        out(f"yunpan:   yunpan-cli sync --once --host a {tree} /first")
        os.sync()
        t0 = time.monotonic()
        r = subprocess.run(["curl", "-K", cfg], capture_output=True, text=True)
        curl_s = time.monotonic() - t0
        codes = r.stdout.split()
        ok = sum(1 for c in codes if c in ("201", "204"))
        if r.returncode != 0 or ok != files:
            raise RuntimeError(f"curl: rc {r.returncode}, {ok} of {files} stored: {r.stderr[-500:]}")
        stored = len(tree_files(put_root))

        os.sync()
        offset = self.log_offset()
        yp_s, peak = self.peak_kib("sync", "--once", "--host", "a", tree, "/first", data="a")
        yp_cpu = self.last_cpu
        end = self.log_offset()
        # complete? the server's listing of one folder, and a second client
        check = os.path.join(self.base, "first-check")
        os.makedirs(check)
        b_s, _ = self.peak_kib("sync", "--once", "--host", "b", check, "/first", data="b")
        same, why = same_trees(tree, check)
        if not same:
            raise RuntimeError(f"the second client's copy differs: {why}")
        out(f"curl PUTs:             {curl_s:8.2f} s  ({files / curl_s:6.0f} files/s; {stored} files stored)")
        out(f"yunpan-cli sync --once:{yp_s:8.2f} s  ({files / yp_s:6.0f} files/s; peak RSS "
            f"{peak / 1024:.1f} MiB; {yp_cpu:.1f} s of CPU)")
        out(f"  ratio curl time / sync time: {curl_s / yp_s:.2f}  (aim >= 1.0)")
        self.print_requests(offset, end, yp_s)
        out(f"check: a second client's sync --once into an empty folder took {b_s:.2f} s"
            f" ({files / b_s:.0f} files/s): {why}")
        out()

    # -- 2. latency -------------------------------------------------------

    def wait_for(self, cond, timeout=60, step=0.005):
        deadline = time.monotonic() + timeout
        while not cond():
            if time.monotonic() > deadline:
                return None
            time.sleep(step)
        return time.monotonic()

    @staticmethod
    def local_has(path, data):
        try:
            with open(path, "rb") as f:
                return f.read() == data
        except OSError:
            return False

    def latency(self, changes):
        out(f"== 2. latency of {changes} changes each way, two running engines on /lat")
        la, lb = os.path.join(self.base, "lat-a"), os.path.join(self.base, "lat-b")
        os.makedirs(la)
        os.makedirs(lb)
        srcs = os.path.join(self.base, "lat-src")
        os.makedirs(srcs)
        self.cli("mkdir", "/lat")
        self.cli("mkdir", "/bare")
        self.cli("sync", "--once", "--host", "a", la, "/lat", data="la")
        self.cli("sync", "--once", "--host", "b", lb, "/lat", data="lb")
        a = self.daemon(la, "/lat", "la", "a")
        b = self.daemon(lb, "/lat", "lb", "b")
        out(f"engines:  yunpan-cli sync --host a {la} /lat;  yunpan-cli sync --host b {lb} /lat")
        out("up:       write FILE in A (2 KiB), until GET /api/v1/files/stat answers its size"
            " (polled every 5 ms), and until B's folder has it")
        out("down:     yunpan-cli put FILE /lat/NAME (another sign-in), from its exit until"
            " A's folder has it (polled every 5 ms)")
        out("baseline: yunpan-cli put FILE /bare/NAME (as large, other bytes), the whole process;"
            " 1 s of quiet before each change")
        time.sleep(3)
        rng = random.Random(2)
        up, up_b, down, down_all, bare = [], [], [], [], []
        try:
            for i in range(changes):
                self.drain(a[1], b[1])
                # baseline: a file of the same size by a bare put (other
                # bytes, so that neither side is an instant upload)
                name = f"up{i:03d}.bin"
                src = os.path.join(srcs, name)
                with open(src, "wb") as f:
                    f.write(rng.randbytes(2048))
                t0 = time.monotonic()
                self.cli("put", src, f"/bare/{name}", config="writer")
                bare.append(time.monotonic() - t0)
                # the put's change wakes both engines: let their passes end
                # so that the write below is found by the monitor alone
                time.sleep(1)
                data = rng.randbytes(2048)
                # up: a file written in A
                t0 = time.monotonic()
                with open(os.path.join(la, name), "wb") as f:
                    f.write(data)
                t1 = self.wait_for(lambda: self.server_has(f"/lat/{name}", len(data)), step=0.005)
                t2 = self.wait_for(lambda: self.local_has(os.path.join(lb, name), data))
                if t1 is None or t2 is None:
                    raise RuntimeError(f"{name} did not arrive within 60 s")
                up.append(t1 - t0)
                up_b.append(t2 - t0)
                time.sleep(1)
                # down: a server-side change
                data = rng.randbytes(2048)
                name = f"down{i:03d}.bin"
                src = os.path.join(srcs, name)
                with open(src, "wb") as f:
                    f.write(data)
                t0 = time.monotonic()
                self.cli("put", src, f"/lat/{name}", config="writer")
                t1 = time.monotonic()
                t2 = self.wait_for(lambda: self.local_has(os.path.join(la, name), data))
                if t2 is None or not self.wait_for(
                        lambda: self.local_has(os.path.join(lb, name), data)):
                    raise RuntimeError(f"{name} did not arrive within 60 s")
                down.append(t2 - t1)
                down_all.append(t2 - t0)
        finally:
            self.stop_daemon(*a)
            self.stop_daemon(*b)

        def row(label, v):
            out(f"{label:44s} median {statistics.median(v):6.3f} s   p95 {quantile(v, 0.95):6.3f} s"
                f"   min {min(v):6.3f} s   max {max(v):6.3f} s")
        row("bare yunpan-cli put (baseline)", bare)
        row("up: written in A -> on the server", up)
        row("up: written in A -> in B's folder", up_b)
        row("down: put exited -> in A's folder", down)
        row("down: put started -> in A's folder", down_all)
        mb = statistics.median(bare)
        out(f"  ratio bare put / up latency (median): {mb / statistics.median(up):.2f};"
            f" bare put / down latency (median): {mb / statistics.median(down):.2f}"
            "  (aim: median and p95 <= 2 s)")
        out()

    # -- 3. idle memory ---------------------------------------------------

    def idle_rss(self, local, remote, data, quiet_s):
        """Starts a non-once sync; once it printed nothing for QUIET_S and its
        CPU time stood still for 2 s, returns (seconds to idle, status dict)."""
        p, master = self.daemon(local, remote, data, "a")
        t0 = time.monotonic()
        last_out = t0
        last_cpu, cpu_at = cpu_ticks(p.pid), t0
        lines = 0
        try:
            while True:
                r, _, _ = select.select([master], [], [], 0.2)
                now = time.monotonic()
                if r:
                    try:
                        chunk = os.read(master, 65536)
                    except OSError:
                        chunk = b""
                    if chunk:
                        lines += chunk.count(b"\n")
                        last_out = now
                if p.poll() is not None:
                    raise RuntimeError(f"sync exited {p.returncode}")
                c = cpu_ticks(p.pid)
                if c != last_cpu:
                    last_cpu, cpu_at = c, now
                if now - last_out >= quiet_s and now - cpu_at >= 2:
                    st = rss_kib(p.pid)
                    st["lines"] = lines
                    if self.trim_check:
                        st["trimmed"] = self.trimmed_rss(p.pid)
                    return now - t0, st
                if now - t0 > 1800:
                    raise RuntimeError("the engine did not go idle in 30 min")
        finally:
            self.stop_daemon(p, master)

    @staticmethod
    def trimmed_rss(pid):
        """VmRSS after malloc_trim (0) in the idle process (through gdb): how
        much of the resident set is memory freed but kept by malloc."""
        r = subprocess.run(["gdb", "-p", str(pid), "-batch", "-nx",
                            "-ex", "call (int) malloc_trim (0)"],
                           capture_output=True, text=True, timeout=120)
        if r.returncode != 0:
            return None
        return rss_kib(pid)["VmRSS"]

    def idle(self, files, folders):
        out(f"== 3. idle memory of an engine tracking {files} files in {folders} folders")
        tree = os.path.join(self.base, "mem")
        note(f"making the tree ({files} files, not timed)")
        make_tree(tree, files, folders, 16, 64, seed=3)
        empty = os.path.join(self.base, "mem-empty")
        os.makedirs(empty)
        self.cli("mkdir", "/mem-empty")
        self.cli("sync", "--once", "--host", "a", empty, "/mem-empty", data="me")
        _, whoami_peak = self.peak_kib("whoami")
        t_empty, st_empty = self.idle_rss(empty, "/mem-empty", "me", 10)
        out(f"first sync: yunpan-cli sync --once --host a {tree} /mem")
        offset = self.log_offset()
        first_s, first_peak = self.peak_kib("sync", "--once", "--host", "a", tree, "/mem",
                                            data="m")
        out(f"  {first_s:.1f} s ({files / first_s:.0f} files/s), peak RSS {first_peak / 1024:.1f} MiB,"
            f" {self.last_cpu:.1f} s of CPU")
        self.print_requests(offset, self.log_offset(), first_s)
        out(f"idle:       yunpan-cli sync --host a {tree} /mem, until no output for 10 s and"
            " no CPU time for 2 s, then /proc/PID/status")
        t_idle, st = self.idle_rss(tree, "/mem", "m", 10)
        mib = lambda k: k / 1024  # noqa: E731
        out(f"yunpan-cli whoami (baseline)        peak RSS {mib(whoami_peak):6.1f} MiB")
        out(f"sync, empty pair, idle (baseline)   VmRSS {mib(st_empty['VmRSS']):6.1f} MiB"
            f"  VmHWM {mib(st_empty['VmHWM']):6.1f} MiB  (anon {mib(st_empty['RssAnon']):.1f},"
            f" file {mib(st_empty['RssFile']):.1f}; idle after {t_empty:.1f} s)")
        out(f"sync, {files} files, idle        VmRSS {mib(st['VmRSS']):6.1f} MiB"
            f"  VmHWM {mib(st['VmHWM']):6.1f} MiB  (anon {mib(st['RssAnon']):.1f},"
            f" file {mib(st['RssFile']):.1f}; idle after {t_idle:.1f} s, {st['lines']} lines)")
        for label, got in (("empty pair", st_empty), (f"{files} files", st)):
            if got.get("trimmed"):
                out(f"  after malloc_trim (0) in the idle process (gdb), {label}:"
                    f" VmRSS {mib(got['trimmed']):.1f} MiB")
        per = (st["VmRSS"] - st_empty["VmRSS"]) * 1024 / (files + folders)
        out(f"  over the empty pair: {mib(st['VmRSS'] - st_empty['VmRSS']):.1f} MiB,"
            f" {per:.0f} bytes an entry  (aim: VmRSS <= 40 MiB)")
        out()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("build")
    ap.add_argument("parts", nargs="*", metavar="first|latency|idle")
    ap.add_argument("--first-files", type=int, default=10000)
    ap.add_argument("--changes", type=int, default=50)
    ap.add_argument("--idle-files", type=int, default=100000)
    ap.add_argument("--trim-check", action="store_true",
                    help="also read the idle VmRSS after malloc_trim (0), through gdb")
    a = ap.parse_args()
    a.parts = a.parts or ["first", "latency", "idle"]
    for part in a.parts:
        if part not in ("first", "latency", "idle"):
            ap.error(f"unknown part {part!r}")
    build = os.path.abspath(a.build)
    if not os.environ.get("DBUS_SESSION_BUS_ADDRESS"):
        sys.exit("no session bus: run bench/sync-engine.sh")
    base = tempfile.mkdtemp(prefix="yp-bench-sync-", dir="/var/tmp")
    os.chmod(base, 0o711)
    bench = Bench(build, base)
    bench.trim_check = a.trim_check
    out("== Yunpan sync engine benchmarks")
    out(f"date:    {time.strftime('%Y-%m-%d %H:%M:%S UTC', time.gmtime())}")
    out(f"machine: {machine()}")
    try:
        bench.start()
        out(f"server:  {bench.server.url} (yunpan-server-run --port 0 -- --quota 0)")
        out()
        if "first" in a.parts:
            bench.first(a.first_files, max(1, a.first_files // 100))
        if "latency" in a.parts:
            bench.latency(a.changes)
        if "idle" in a.parts:
            bench.idle(a.idle_files, max(1, a.idle_files // 100))
        out(f"machine at the end: {machine()}")
    finally:
        bench.stop()
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
