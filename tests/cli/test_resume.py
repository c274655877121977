"""yunpan-cli resumes transfers whose connection dies midway.

A 300 MiB put (8 MiB chunks, rate-limited so that it takes seconds) and a
300 MiB get run while the test SIGKILLs nginx's worker processes: every
connection they hold dies at once, as when a server restarts or a network
drops, and the nginx master starts fresh workers. The CLI must finish with
byte-exact content, and the server's access log must show that it continued
where it stood instead of starting over.
"""

import os
import re
import subprocess
import time

from cli_harness import MIB, CliTestCase, file_sha256, write_pseudo_random_file
from yunpan_instance import main

USER = "resumer"
SIZE = 300 * MIB
CHUNK = 8 * MIB
RATE = "40M"
UPLOAD_TARGET = re.compile(r"^/api/v1/uploads/([0-9a-f]{32})(?:\?offset=(\d+))?$")


class ResumeTest(CliTestCase):

    signed_in = False

    def setUp(self):
        if not type(self).signed_in:
            self.sign_up(USER)
            type(self).signed_in = True

    def make_big_file(self, seed):
        """A 300 MiB file of its own for each test: content the server already
        holds would go up as an instant upload, with nothing to cut."""
        path = self.work_path(f"big-{seed}.bin")
        self.addCleanup(self.remove, path)
        return path, write_pseudo_random_file(path, SIZE, seed=seed)

    def start_cli(self, *args, **extra_env):
        proc = subprocess.Popen([self.cli_path, *args], stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                env=self.cli_env(**extra_env), start_new_session=True)
        self.addCleanup(self.stop_cli, proc)
        return proc

    @staticmethod
    def stop_cli(proc):
        if proc.poll() is None:
            proc.kill()
        proc.communicate()

    def finish_cli(self, proc, args):
        out, err = proc.communicate(timeout=600)
        self.assertEqual(proc.returncode, 0,
                         f"yunpan-cli {' '.join(args)} exited {proc.returncode}\n"
                         f"--- stdout ---\n{out.decode()}\n--- stderr ---\n{err.decode()}")
        return out.decode()

    def wait_until(self, proc, condition, what, timeout=180):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                self.fail(f"the CLI finished before {what} (exit {proc.returncode}); "
                          "the cut would come too late")
            if condition():
                return
            time.sleep(0.02)
        self.fail(f"timed out waiting until {what}")

    def body_in_flight(self):
        """Whether nginx is receiving a request body (client_body_in_file_only
        writes it to DATA/tmp/body until the request is complete)."""
        for dirpath, _dirs, files in os.walk(os.path.join(self.server.data, "tmp", "body")):
            for name in files:
                try:
                    if 0 < os.path.getsize(os.path.join(dirpath, name)) < CHUNK:
                        return True
                except FileNotFoundError:
                    pass
        return False

    def test_upload_resumes(self):
        local, digest = self.make_big_file(42)
        offset = self.access_log_size()
        args = ["put", "--limit-rate", RATE, local, "/resumed-upload.bin"]
        proc = self.start_cli(*args, YUNPAN_CHUNK_SIZE=str(CHUNK))

        def acked_puts():
            return [e for e in self.access_log_since(offset, settle=0)
                    if e["method"] == "PUT" and e["status"] == 200]

        # a few chunks acknowledged, the next one on its way: cut
        self.wait_until(proc, lambda: len(acked_puts()) >= 3 and self.body_in_flight(),
                        "a chunk was in flight")
        acked_at_cut = len(acked_puts())
        self.kill_nginx_workers()
        out = self.finish_cli(proc, args)
        self.assertIn(f"uploaded {SIZE} bytes", out)

        entries = self.access_log_since(offset)
        starts = [e for e in entries
                  if e["method"] == "POST" and e["target"] == "/api/v1/uploads"]
        self.assertEqual(len(starts), 1, "the upload started over")

        puts, queries = [], []
        for e in entries:
            m = UPLOAD_TARGET.match(e["target"])
            if m and e["method"] == "PUT":
                puts.append((m.group(1), int(m.group(2)), e))
            elif m and e["method"] == "GET":
                queries.append(e)
        self.assertEqual(len({upload_id for upload_id, _o, _e in puts}), 1, puts)
        self.assertGreater(len(puts), acked_at_cut + 1)

        # After the cut the unacknowledged chunk went again from its offset:
        # by libsoup re-sending it, or after asking GET /uploads/{id} where
        # the upload stands (either is fine; a new upload or offset 0 is not).
        self.assertTrue(all(q["status"] == 200 for q in queries), queries)
        # Two chunks are in flight at a time, so two answers may be logged
        # in either order: by offset, they follow each other from 0, once each.
        acked = sorted(((o, e) for _id, o, e in puts if e["status"] in (200, 201)),
                       key=lambda acked_put: acked_put[0])
        self.assertEqual([o for o, _e in acked], list(range(0, SIZE, CHUNK)),
                         "acknowledged chunks do not follow each other from 0")
        self.assertEqual(acked[-1][1]["status"], 201)
        total = sum(e["request_length"] for _id, _o, e in puts)
        self.assertGreater(total, SIZE)
        self.assertLess(total, 2 * SIZE, "the upload sent the file twice")

        node = self.cli_json("ls", "/resumed-upload.bin")["entries"][0]
        self.assertEqual((node["size"], node["sha256"]), (SIZE, digest))

    def test_download_resumes(self):
        local, digest = self.make_big_file(43)
        self.cli_ok("put", local, "/download-me.bin")
        self.remove(local)
        folder = os.path.join(self.work, "download")
        os.makedirs(folder, exist_ok=True)
        target = os.path.join(folder, "back.bin")
        self.addCleanup(self.remove, target)

        def received():
            total = 0
            for name in os.listdir(folder):
                try:
                    total += os.path.getsize(os.path.join(folder, name))
                except FileNotFoundError:
                    pass
            return total

        offset = self.access_log_size()
        args = ["get", "--limit-rate", RATE, "/download-me.bin", target]
        proc = self.start_cli(*args)
        self.wait_until(proc, lambda: received() >= 60 * MIB, "60 MiB had arrived")
        at_cut = received()
        self.kill_nginx_workers()
        out = self.finish_cli(proc, args)
        self.assertIn(f"downloaded {SIZE} bytes", out)
        self.assertEqual(os.listdir(folder), ["back.bin"], "a partial file was left behind")
        self.assertEqual(os.path.getsize(target), SIZE)
        self.assertEqual(file_sha256(target), digest)

        downloads = [e for e in self.access_log_since(offset)
                     if e["method"] == "GET" and e["target"].startswith("/api/v1/files/download")]
        # the request that was cut is not logged (its worker died); what
        # follows are Range requests from where the file stood
        ranged = [e for e in downloads if e["status"] == 206]
        self.assertTrue(ranged, f"no Range request after the cut: {downloads}")
        self.assertLess(ranged[0]["bytes_sent"], SIZE - at_cut + 64 * 1024,
                        "the resumed request fetched bytes the CLI already had")
        total = sum(e["bytes_sent"] for e in downloads)
        self.assertLess(total, 2 * SIZE, "the download fetched the file twice")


if __name__ == "__main__":
    main()
