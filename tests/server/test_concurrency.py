"""Many clients at once against few workers: nobody waits for a timeout.

A worker serves one FastCGI connection at a time. With upstream keepalive,
nginx kept idle connections to every worker, and a request on a new
connection sat in the socket's backlog until nginx's keepalive timeout (60 s)
freed a worker. This test sends concurrent requests from separate
connections and requires each to finish quickly.
"""

import threading
import time
import unittest

from yunpan_instance import Instance, main

CLIENTS = 12
REQUESTS_EACH = 15
SLOWEST_ALLOWED = 5.0


class ConcurrencyTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.server = Instance(extra_args=("--workers", "2")).start()
        cls.token, _ = cls.server.new_user("busy")

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()

    def test_concurrent_clients_never_stall(self):
        latencies, failures = [], []
        lock = threading.Lock()

        def client(n):
            for i in range(REQUESTS_EACH):
                start = time.monotonic()
                if i % 3 == 0:
                    resp = self.server.mkdir(self.token, f"/c{n}-{i}")
                    ok = resp.status == 201
                else:
                    resp = self.server.list(self.token, path="/")
                    ok = resp.status == 200
                with lock:
                    latencies.append(time.monotonic() - start)
                    if not ok:
                        failures.append(resp)

        threads = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
        self.assertFalse(any(t.is_alive() for t in threads), "clients still waiting")
        self.assertEqual(failures, [])
        self.assertEqual(len(latencies), CLIENTS * REQUESTS_EACH)
        self.assertLess(max(latencies), SLOWEST_ALLOWED,
                        f"slowest request took {max(latencies):.1f} s")


if __name__ == "__main__":
    main()
