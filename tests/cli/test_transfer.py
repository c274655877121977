"""yunpan-cli put and get: byte-exact round trips from empty to 300 MiB, instant
upload (秒传) seen from the server's access log, chunking, rate limits, the
progress bar on a terminal and the errors of both commands."""

import os
import pty
import re
import signal
import subprocess
import time

from cli_harness import MIB, CliTestCase, file_sha256, write_pseudo_random_file
from yunpan_instance import main

USER = "mover"
ROUND_TRIPS = [("empty", 0), ("small", 4097), ("one-mib", MIB), ("big", 300 * MIB)]


class TransferTest(CliTestCase):

    signed_in = False

    def setUp(self):
        if not type(self).signed_in:
            self.sign_up(USER)
            type(self).signed_in = True

    def make_file(self, name, size, seed):
        path = self.work_path(name)
        self.addCleanup(self.remove, path)
        return path, write_pseudo_random_file(path, size, seed=seed)

    def test_round_trips(self):
        self.cli_ok("mkdir", "/rt")
        for seed, (name, size) in enumerate(ROUND_TRIPS, start=100):
            with self.subTest(name=name, size=size):
                local, digest = self.make_file(name + ".bin", size, seed)
                back = self.work_path(name + ".back")
                self.addCleanup(self.remove, back)

                out = self.cli_ok("put", local, f"/rt/{name}.bin").stdout
                if size == 0:
                    # the server creates empty files at once, as instant uploads
                    self.assertIn("instant upload (秒传)", out)
                else:
                    self.assertIn(f"uploaded {size} bytes", out)

                node = self.cli_json("ls", f"/rt/{name}.bin")["entries"][0]
                self.assertEqual((node["size"], node["sha256"]), (size, digest))

                out = self.cli_ok("get", f"/rt/{name}.bin", back).stdout
                self.assertIn(f"downloaded {size} bytes", out)
                self.assertEqual(os.path.getsize(back), size)
                self.assertEqual(file_sha256(back), digest)
                self.remove(local, back)

    def test_instant_upload_by_a_second_user(self):
        size = 32 * MIB
        local, digest = self.make_file("shared.bin", size, 7)
        out = self.cli_ok("put", local, "/original.bin").stdout
        self.assertIn(f"uploaded {size} bytes", out)

        self.sign_up("second", config="second")
        offset = self.access_log_size()
        out = self.cli_ok("put", local, "/copy.bin", config="second").stdout
        self.assertIn("instant upload (秒传)", out)
        entries = self.access_log_since(offset)

        # the server's view: it was asked to start an upload and got a proof,
        # never the bytes
        self.assertTrue(entries, "nothing in the access log")
        methods = [(e["method"], e["target"].split("?")[0]) for e in entries]
        self.assertIn(("POST", "/api/v1/uploads"), methods)
        self.assertTrue(any(m == "POST" and t.endswith("/proof") for m, t in methods), methods)
        self.assertNotIn("PUT", [m for m, _t in methods], entries)
        sent = sum(e["request_length"] for e in entries)
        self.assertLess(sent, 64 * 1024, f"{sent} request bytes for an instant upload")
        self.assertLess(sent * 100, size)

        doc = self.cli_json("put", local, "/copy2.bin", config="second")
        self.assertIs(doc["instant"], True)
        self.assertEqual(doc["bytes_sent"], 0)
        self.assertEqual(doc["size"], size)
        self.assertEqual(doc["node"]["sha256"], digest)
        self.assertEqual(doc["node"]["path"], "/copy2.bin")

        back = self.work_path("shared.back")
        self.addCleanup(self.remove, back)
        doc = self.cli_json("get", "/copy.bin", back, config="second")
        self.assertEqual(doc["size"], size)
        self.assertEqual(doc["local"], back)
        self.assertEqual(file_sha256(back), digest)

    def test_chunk_size_from_the_environment(self):
        size = 5 * MIB + 3
        local, digest = self.make_file("chunked.bin", size, 11)
        offset = self.access_log_size()
        doc = self.cli_json("put", local, "/chunked.bin", YUNPAN_CHUNK_SIZE="1M")
        self.assertIs(doc["instant"], False)
        self.assertEqual(doc["node"]["sha256"], digest)
        puts = [e for e in self.access_log_since(offset) if e["method"] == "PUT"]
        self.assertEqual(len(puts), 6, puts)
        # two chunks in flight: by offset, as two answers may be logged in
        # either order
        puts.sort(key=lambda e: int(re.search(r"offset=(\d+)", e["target"]).group(1)))
        offsets = [int(re.search(r"offset=(\d+)", e["target"]).group(1)) for e in puts]
        self.assertEqual(offsets, [i * MIB for i in range(6)])
        self.assertEqual([e["status"] for e in puts], [200] * 5 + [201])

    def test_rate_limit_and_progress_bar(self):
        size = 6 * MIB
        local, digest = self.make_file("slow.bin", size, 12)

        # stderr on a terminal: a progress bar with percent, rate and ETA
        master, slave = pty.openpty()
        started = time.monotonic()
        try:
            proc = subprocess.Popen([self.cli_path, "put", "--limit-rate", "2M", local,
                                     "/slow.bin"], stdin=subprocess.DEVNULL,
                                    stdout=subprocess.PIPE, stderr=slave,
                                    env=self.cli_env(), start_new_session=True)
        finally:
            os.close(slave)
        drawn = b""
        while True:
            try:
                chunk = os.read(master, 4096)
            except OSError:
                break
            if not chunk:
                break
            drawn += chunk
        os.close(master)
        out, _ = proc.communicate(timeout=120)
        elapsed = time.monotonic() - started
        self.assertEqual(proc.returncode, 0, drawn)
        self.assertIn(f"uploaded {size} bytes".encode(), out)
        # 6 MiB at 2 MiB/s: about 3 s (the limiter lets a short burst through at once)
        self.assertGreater(elapsed, 2, "the upload went faster than --limit-rate")
        self.assertLess(elapsed, 8, "the upload went far slower than --limit-rate")
        self.assertIn(b"\r", drawn)
        self.assertRegex(drawn, rb"\d+%")
        self.assertIn(b"ETA", drawn)
        self.assertRegex(drawn, rb"MiB/s|KiB/s")
        self.assertIn(b"slow.bin", drawn)

        # not a terminal: no bar, nothing on stderr
        back = self.work_path("slow.back")
        self.addCleanup(self.remove, back)
        started = time.monotonic()
        result = self.cli_ok("get", "--limit-rate", "2M", "/slow.bin", back)
        elapsed = time.monotonic() - started
        self.assertGreater(elapsed, 2, "the download went faster than --limit-rate")
        self.assertLess(elapsed, 8, "the download went far slower than --limit-rate")
        self.assertEqual(result.stderr, "")
        self.assertEqual(file_sha256(back), digest)

    def test_interrupt(self):
        size = 64 * MIB
        local, _digest = self.make_file("interrupted.bin", size, 15)
        offset = self.access_log_size()
        proc = subprocess.Popen([self.cli_path, "put", "--limit-rate", "4M", local,
                                 "/interrupted.bin"], stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                env=self.cli_env(YUNPAN_CHUNK_SIZE="4M"),
                                start_new_session=True, text=True)
        try:
            deadline = time.monotonic() + 60
            while not any(e["method"] == "PUT" for e in self.access_log_since(offset, 0)):
                self.assertIsNone(proc.poll(), "the upload ended before it could be interrupted")
                self.assertLess(time.monotonic(), deadline, "no chunk arrived")
                time.sleep(0.05)
            proc.send_signal(signal.SIGINT)
            _out, err = proc.communicate(timeout=60)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.communicate()
        self.assertEqual(proc.returncode, 130, err)
        self.assertTrue(err.startswith("yunpan-cli: "), err)
        # the unfinished upload was abandoned on the server, and no file appeared
        deletes = [e for e in self.access_log_since(offset)
                   if e["method"] == "DELETE" and e["target"].startswith("/api/v1/uploads/")]
        self.assertEqual(len(deletes), 1)
        self.assert_exit(self.cli("ls", "/interrupted.bin"), 4)

    def test_put_and_get_errors(self):
        local, digest = self.make_file("err.bin", 1000, 13)
        self.assert_exit(self.cli("put", self.work_path("no-such-file"), "/x.bin"), 4)
        self.assert_exit(self.cli("put", self.work, "/x.bin"), 1)
        self.assert_exit(self.cli("put", local, "/no/such/folder/x.bin"), 4)
        self.cli_ok("put", local, "/err.bin")
        self.assert_exit(self.cli("put", local, "/err.bin"), 5)
        doc = self.parse_json(self.assert_exit(self.cli("--json", "put", local, "/err.bin"), 5))
        self.assertEqual(doc["error"]["code"], "conflict")

        # --replace puts new content over the old file
        other, other_digest = self.make_file("err2.bin", 2000, 14)
        self.cli_ok("put", "--replace", other, "/err.bin")
        node = self.cli_json("ls", "/err.bin")["entries"][0]
        self.assertEqual((node["size"], node["sha256"]), (2000, other_digest))

        # a REMOTE ending in / keeps the local name; a LOCAL folder gets the remote name
        self.cli_ok("mkdir", "/into")
        self.cli_ok("put", local, "/into/")
        self.assertEqual(self.cli_json("ls", "/into")["entries"][0]["name"], "err.bin")
        fetched = os.path.join(self.work, "err.bin")
        self.remove(local)
        self.cli_ok("get", "/into/err.bin", self.work)
        self.assertEqual(file_sha256(fetched), digest)

        self.assert_exit(self.cli("get", "/missing.bin", self.work_path("m")), 4)
        self.assertFalse(os.path.exists(self.work_path("m")))
        self.assert_exit(self.cli("get", "/into", self.work_path("folder")), 1)
        self.assert_exit(self.cli("get", "/err.bin", "/nonexistent-dir/x"), 4)


if __name__ == "__main__":
    main()
