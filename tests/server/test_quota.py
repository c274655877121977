"""Per-account quotas: the disk cannot be filled by one account."""

import concurrent.futures
import os
import subprocess

from yunpan_instance import ServerTestCase, main

QUOTA = 1024 * 1024


class QuotaTest(ServerTestCase):

    INSTANCE_ARGS = ("--", "--quota", "1m")

    def setUp(self):
        self.token, self.user = self.server.new_user("quota")

    def usage(self):
        body = self.server.whoami(self.token).body
        return body["used"], body["quota"]

    def test_whoami_shows_usage(self):
        self.assertEqual(self.usage(), (0, QUOTA))
        self.server.upload_file(self.token, "/a.bin", b"x" * 1000)
        self.assertEqual(self.usage(), (1000, QUOTA))

    def test_declared_size_beyond_quota_is_refused_at_start(self):
        before = sorted(os.listdir(os.path.join(self.server.data, "uploads")))
        for size in (QUOTA + 1, 2 ** 40, 2 ** 53):
            with self.subTest(size=size):
                resp = self.server.start_upload(self.token, "/big.bin", size=size,
                                                sha256="ab" * 32)
                err = self.assert_error(resp, 507, "quota_exceeded")
                self.assertEqual(err["quota"], QUOTA)
        resp = self.server.start_upload(self.token, "/big.bin", size=2 ** 53 + 1,
                                        sha256="ab" * 32)
        self.assert_error(resp, 400, "invalid_argument")
        self.assertEqual(sorted(os.listdir(os.path.join(self.server.data, "uploads"))), before)

    def test_uploads_in_progress_hold_their_space(self):
        first = self.server.start_upload(self.token, "/one.bin", size=600_000,
                                         sha256="cd" * 32)
        self.assertEqual(first.status, 201, first)
        second = self.server.start_upload(self.token, "/two.bin", size=600_000,
                                          sha256="ef" * 32)
        err = self.assert_error(second, 507, "quota_exceeded")
        self.assertEqual(err["reserved"], 600_000)
        upload_id = first.body["upload"]["id"]
        self.server.request("DELETE", f"/api/v1/uploads/{upload_id}", token=self.token)
        self.assertEqual(self.server.start_upload(self.token, "/two.bin", size=600_000,
                                                  sha256="ef" * 32).status, 201)

    def test_parallel_starts_cannot_share_the_last_space(self):
        def start(i):
            return self.server.start_upload(self.token, f"/par{i}.bin", size=600_000,
                                            sha256=f"{i:064x}").status

        with concurrent.futures.ThreadPoolExecutor(16) as pool:
            statuses = list(pool.map(start, range(16)))
        self.assertEqual(statuses.count(201), 1, statuses)
        self.assertEqual(statuses.count(507), 15, statuses)

    def test_uploads_in_progress_are_bounded(self):
        token, _ = self.server.new_user("many")

        def start(i):
            return self.server.start_upload(token, f"/m{i}.bin", size=1,
                                            sha256=f"{i:064x}").status

        with concurrent.futures.ThreadPoolExecutor(4) as pool:
            statuses = list(pool.map(start, range(1000)))
        self.assertEqual(statuses, [201] * 1000)
        resp = self.server.start_upload(token, "/one-more.bin", size=1, sha256="f" * 64)
        self.assert_error(resp, 429, "rate_limited")

    def test_replacing_counts_only_the_difference(self):
        node = self.server.upload_file(self.token, "/grow.bin", b"a" * 700_000)
        resp = self.server.upload(self.token, "/grow.bin", b"b" * 900_000,
                                  if_version=node["version"])
        self.assertEqual(resp.status, 201, resp)
        self.assertEqual(self.usage()[0], 900_000)

    def test_delete_frees_space(self):
        self.server.mkdir(self.token, "/d")
        self.server.upload_file(self.token, "/d/a.bin", b"a" * 400_000)
        self.server.upload_file(self.token, "/d/b.bin", b"b" * 400_000)
        self.assertEqual(self.usage()[0], 800_000)
        self.assert_error(self.server.start_upload(self.token, "/c.bin", b"c" * 400_000),
                          507, "quota_exceeded")
        self.assertEqual(self.server.delete(self.token, {"path": "/d"}).status, 200)
        self.assertEqual(self.usage()[0], 0)
        self.server.upload_file(self.token, "/c.bin", b"c" * 400_000)

    def set_quota(self, spec):
        server_bin = os.path.join(os.path.dirname(os.environ["YP_SERVER_RUN"]),
                                  "yunpan-server")
        return subprocess.run([server_bin, "--data", self.server.data, "--set-quota", spec],
                              capture_output=True, timeout=30)

    def test_quota_checked_again_at_commit(self):
        """A quota lowered while the bytes travel is what the commit obeys."""
        started = self.server.start_upload(self.token, "/late.bin", b"z" * 600_000)
        self.assertEqual(started.status, 201, started)
        name = self.user["username"]
        self.assertEqual(self.set_quota(f"{name}=500000").returncode, 0)
        resp = self.server.put_chunk(self.token, started.body["upload"]["id"], 0,
                                     b"z" * 600_000)
        self.assert_error(resp, 507, "quota_exceeded")
        self.assert_error(self.server.stat(self.token, path="/late.bin"), 404, "not_found")
        self.assertEqual(self.usage(), (0, 500_000))
        self.assertEqual(self.set_quota(f"{name}=default").returncode, 0)

    def test_own_quota_set_by_the_operator(self):
        """yunpan-server --set-quota changes one account, even while it runs."""
        name = self.user["username"]
        proc = self.set_quota(f"{name}=3m")
        self.assertEqual(proc.returncode, 0, proc)
        self.assertEqual(self.usage(), (0, 3 * QUOTA))
        self.server.upload_file(self.token, "/two-megs.bin", b"t" * (2 * QUOTA))
        proc = self.set_quota("nobody_here=1m")
        self.assertNotEqual(proc.returncode, 0)
        self.assertIn(b"no such user", proc.stderr)
        proc = self.set_quota(f"{name}=default")
        self.assertEqual(proc.returncode, 0, proc)
        self.assertEqual(self.usage()[1], QUOTA)


class UnlimitedTest(ServerTestCase):

    INSTANCE_ARGS = ("--", "--quota", "0")

    def test_zero_means_unlimited(self):
        token, _ = self.server.new_user("free")
        body = self.server.whoami(token).body
        self.assertIsNone(body["quota"])
        resp = self.server.start_upload(token, "/huge.bin", size=2 ** 50, sha256="ab" * 32)
        self.assertEqual(resp.status, 201, resp)


if __name__ == "__main__":
    main()
