"""Push events through nginx/nchan: SSE, long-poll and channel authorization."""

import http.client
import json
import select
import socket
import time

from yunpan_instance import ServerTestCase, main

EPOCH = "Thu, 01 Jan 1970 00:00:00 GMT"


class EventStream:
    """A minimal Server-Sent Events reader on a raw socket.

    A raw socket (not http.client) so that waiting with a timeout leaves the
    stream usable. Chunk-size lines of a chunked body are skipped: they are
    bare hex and never start with "data:".
    """

    def __init__(self, port, path, token):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        auth = f"Authorization: Bearer {token}\r\n" if token is not None else ""
        self.sock.sendall((f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
                           f"Accept: text/event-stream\r\n{auth}\r\n").encode())
        self.buf = b""
        while b"\r\n\r\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                break
            self.buf += chunk
        head, _, self.buf = self.buf.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        self.status = int(lines[0].split()[1])
        self.headers = {k.strip().lower(): v.strip() for k, _, v in
                        (line.partition(":") for line in lines[1:])}

    def _line(self, deadline):
        while b"\n" not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self.sock], [], [], left)[0]:
                return None
            chunk = self.sock.recv(65536)
            if not chunk:
                return None
            self.buf += chunk
        line, _, self.buf = self.buf.partition(b"\n")
        return line.rstrip(b"\r").decode()

    def next_data(self, timeout):
        """The next event's data (str), or None when none came in TIMEOUT s."""
        deadline = time.monotonic() + timeout
        data = []
        while True:
            line = self._line(deadline)
            if line is None:
                return None
            if line.startswith("data:"):
                data.append(line[5:].lstrip())
            elif line == "" and data:
                return "\n".join(data)

    def close(self):
        self.sock.close()


class EventsTest(ServerTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.token, cls.user = cls.server.new_user("events")
        cls.other_token, cls.other = cls.server.new_user("eventsb")

    def channel(self, user=None):
        return f"/api/v1/events/u{(user or self.user)['id']}"

    def subscribe(self, token=None, user=None):
        stream = EventStream(self.server.port, self.channel(user),
                             self.token if token is None else token)
        self.addCleanup(stream.close)
        return stream

    def test_sse_delivers_cursor_within_a_second(self):
        stream = self.subscribe()
        self.assertEqual(stream.status, 200)
        self.assertIn("text/event-stream", stream.headers.get("content-type", ""))
        time.sleep(0.2)
        started = time.monotonic()
        node = self.server.mkdir(self.token, "/EventDir").body["node"]
        cursor = None
        while cursor is None or cursor < node["version"]:
            data = stream.next_data(timeout=max(0.0, started + 1.0 - time.monotonic()))
            self.assertIsNotNone(data, "no event within 1 s of the mkdir")
            cursor = json.loads(data)["cursor"]
        self.assertEqual(cursor, node["version"])
        self.assertEqual(cursor, self.server.whoami(self.token).body["cursor"])

    def test_events_follow_each_change(self):
        stream = self.subscribe()
        self.assertEqual(stream.status, 200)
        time.sleep(0.2)
        versions = [self.server.mkdir(self.token, f"/Ev{i}").body["node"]["version"]
                    for i in range(3)]
        got = []
        while not got or got[-1] < versions[-1]:
            data = stream.next_data(timeout=2)
            self.assertIsNotNone(data, f"events stopped at {got}, expected {versions}")
            got.append(json.loads(data)["cursor"])
        self.assertEqual(got, sorted(got))

    def test_no_event_for_other_users_change(self):
        stream = self.subscribe()
        self.assertEqual(stream.status, 200)
        # Skip the messages nchan still buffers from earlier tests.
        while stream.next_data(timeout=0.5) is not None:
            pass
        self.server.mkdir(self.other_token, "/OtherUsersDir")
        self.assertIsNone(stream.next_data(timeout=1.0))

    def test_other_users_channel_forbidden(self):
        stream = self.subscribe(token=self.other_token)
        self.assertEqual(stream.status, 403)
        self.assertEqual(self.longpoll(self.other_token, self.channel()).status, 403)

    def test_without_valid_token(self):
        for token in ("", "garbage", self.token + "x"):
            with self.subTest(token=token):
                conn = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=5)
                headers = {"Accept": "text/event-stream"}
                if token:
                    headers["Authorization"] = f"Bearer {token}"
                conn.request("GET", self.channel(), headers=headers)
                status = conn.getresponse().status
                conn.close()
                self.assertIn(status, (401, 403))

    def test_revoked_token_cannot_subscribe(self):
        token = self.server.login(self.user["username"])
        self.server.post("account/logout", None, token)
        self.assertIn(self.longpoll(token, self.channel()).status, (401, 403))

    def test_channel_names_are_strict(self):
        """Only u<own id> is reachable; lookalikes never authorize."""
        uid = self.user["id"]
        for channel in (f"u{uid}x", f"u0{uid}", f"U{uid}", f"{uid}", f"u{uid}/x",
                        f"u{self.other['id']}", "u", f"u{uid}%00"):
            with self.subTest(channel=channel):
                conn = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=5)
                conn.request("GET", f"/api/v1/events/{channel}",
                             headers={"Authorization": f"Bearer {self.token}",
                                      "Accept": "text/event-stream"})
                status = conn.getresponse().status
                conn.close()
                self.assertIn(status, (400, 403, 404), channel)

    def test_longpoll_gets_buffered_message(self):
        node = self.server.mkdir(self.token, "/LongPoll").body["node"]
        time.sleep(0.3)
        resp = self.longpoll(self.token, self.channel())
        self.assertEqual(resp.status, 200, resp.raw)
        self.assertGreaterEqual(json.loads(resp.raw)["cursor"], 1)
        # Walk the buffer to the newest message: it names the mkdir's cursor.
        last = json.loads(resp.raw)["cursor"]
        headers = {"If-Modified-Since": resp.headers["Last-Modified"],
                   "If-None-Match": resp.headers.get("Etag", "")}
        while last < node["version"]:
            resp = self.longpoll(self.token, self.channel(), headers, timeout=3)
            self.assertEqual(resp.status, 200, resp.raw)
            last = json.loads(resp.raw)["cursor"]
            headers = {"If-Modified-Since": resp.headers["Last-Modified"],
                       "If-None-Match": resp.headers.get("Etag", "")}
        self.assertEqual(last, node["version"])

    def longpoll(self, token, path, headers=None, timeout=5):
        headers = headers or {"If-Modified-Since": EPOCH}
        conn = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=timeout)
        try:
            conn.request("GET", path, headers={"Authorization": f"Bearer {token}",
                                               **headers})
            resp = conn.getresponse()
            resp.raw = resp.read()
            return resp
        finally:
            conn.close()


if __name__ == "__main__":
    main()
