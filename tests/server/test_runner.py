"""The run command: start-up, clean shutdown on SIGTERM/SIGINT, one per folder."""

import os
import shutil
import signal
import subprocess
import tempfile
import unittest

from yunpan_instance import Instance, main, read_proc_stat


class RunnerTest(unittest.TestCase):

    def check_instance(self, server):
        resp = server.health()
        self.assertEqual(resp.status, 200, resp)
        self.assertTrue(server.worker_pids(), "no application workers")
        self.assertTrue(server.nginx_pid(), "no nginx pid file")
        for name in ("yunpan.db", "blobs", "uploads", "run", "tmp", "log"):
            self.assertTrue(os.path.exists(os.path.join(server.data, name)), name)
        self.assertTrue(os.path.exists(os.path.join(server.data, "log", "access.log")))

    def stop_and_check(self, sig):
        server = Instance().start()
        try:
            self.check_instance(server)
            pids = dict(server.server_pids())
            self.assertGreaterEqual(len(pids), 4, f"expected runner, master, workers, "
                                                  f"nginx: {pids}")
        except BaseException:
            server.stop()
            raise
        server.stop(sig)             # asserts exit 0 and no stray process
        for pid, started in pids.items():
            stat = read_proc_stat(pid)
            self.assertFalse(stat and stat[0] != "Z" and stat[1] == started,
                             f"process {pid} survived")

    def test_sigterm(self):
        self.stop_and_check(signal.SIGTERM)

    def test_sigint(self):
        self.stop_and_check(signal.SIGINT)

    def test_restart_sweeps_crash_leftovers(self):
        """A blob stored but never committed, and staging files without an
        upload, are what a crash leaves; the next start removes them and
        nothing that is referenced."""
        data = tempfile.mkdtemp(prefix="yp-test-sweep-")
        self.addCleanup(shutil.rmtree, data, True)
        first = Instance(data_dir=data).start()
        try:
            token, _ = first.new_user("sweep")
            first.upload_file(token, "/kept.txt", b"referenced content")
        finally:
            first.stop()
        orphan_sha = "ab" + "cd" + "e" * 60
        orphan = os.path.join(data, "blobs", "ab", "cd", orphan_sha)
        os.makedirs(os.path.dirname(orphan), exist_ok=True)
        with open(orphan, "wb") as f:
            f.write(b"never committed")
        stale = [os.path.join(data, "uploads", name)
                 for name in ("0123456789abcdef0123456789abcdef.part", "empty-00c0ffee.part")]
        for path in stale:
            with open(path, "wb") as f:
                f.write(b"partial")
        kept = [os.path.join(root, name) for root, _, names in
                os.walk(os.path.join(data, "blobs")) for name in names
                if name != ".lock" and name != orphan_sha]
        self.assertEqual(len(kept), 1, kept)

        second = Instance(data_dir=data).start()
        try:
            self.assertFalse(os.path.exists(orphan), "unreferenced blob survived")
            for path in stale:
                self.assertFalse(os.path.exists(path), f"{path} survived")
            self.assertTrue(os.path.exists(kept[0]), "a referenced blob was removed")
            self.assertEqual(second.download(token, path="/kept.txt").raw, b"referenced content")
        finally:
            second.stop()

    def test_restart_keeps_data(self):
        data = tempfile.mkdtemp(prefix="yp-test-restart-")
        self.addCleanup(shutil.rmtree, data, True)
        first = Instance(data_dir=data).start()
        try:
            token, _ = first.new_user("restart")
            first.upload_file(token, "/kept.txt", b"kept across restarts")
        finally:
            first.stop()
        second = Instance(data_dir=data).start()
        try:
            self.assertEqual(second.whoami(token).status, 200)
            self.assertEqual(second.download(token, path="/kept.txt").raw,
                             b"kept across restarts")
        finally:
            second.stop()

    def test_second_instance_on_same_folder_refused(self):
        first = Instance().start()
        try:
            proc = subprocess.run(first.command(), capture_output=True, timeout=30,
                                  stdin=subprocess.DEVNULL)
            self.assertNotEqual(proc.returncode, 0, proc)
            self.assertNotIn(b"Yunpan server running at", proc.stdout)
            message = (proc.stderr + proc.stdout).decode("utf-8", "replace").lower()
            self.assertTrue(any(w in message for w in ("already", "in use", "running",
                                                       "lock")),
                            f"unclear message: {message!r}")
            self.check_instance(first)
            token, _ = first.new_user("still")
            self.assertEqual(first.mkdir(token, "/StillServing").status, 201)
        finally:
            first.stop()

    def test_bad_arguments(self):
        run = os.environ["YP_SERVER_RUN"]
        data = tempfile.mkdtemp(prefix="yp-test-args-")
        self.addCleanup(shutil.rmtree, data, True)
        # Not run without --data: the command may have a default data folder.
        for args in (["--data"], ["--data", data, "--port", "x"],
                     ["--data", data, "--bogus"]):
            with self.subTest(args=args):
                proc = subprocess.run([run, *args], capture_output=True, timeout=30,
                                      stdin=subprocess.DEVNULL)
                self.assertNotEqual(proc.returncode, 0, proc)
                self.assertNotIn(b"running at", proc.stdout)
                self.assertTrue(proc.stderr.strip(), "no message on stderr")

    def test_workers_option(self):
        server = Instance(["--workers", "3"]).start()
        try:
            self.assertEqual(len(server.worker_pids()), 3)
            self.assertEqual(server.health().status, 200)
        finally:
            server.stop()


if __name__ == "__main__":
    main()
