"""Push events through nginx/nchan: SSE, long-poll and channel authorization."""

import hashlib
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

    def __init__(self, port, path, token, extra_headers=""):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        auth = f"Authorization: Bearer {token}\r\n" if token is not None else ""
        self.sock.sendall((f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
                           f"Accept: text/event-stream\r\n{auth}{extra_headers}"
                           "\r\n").encode())
        self.buf = b""
        self.closed = False
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
            if self.closed or left <= 0 \
                    or not select.select([self.sock], [], [], left)[0]:
                return None
            try:
                chunk = self.sock.recv(65536)
            except OSError:
                chunk = b""
            if not chunk:
                self.closed = True
                return None
            self.buf += chunk
        line, _, self.buf = self.buf.partition(b"\n")
        line = line.rstrip(b"\r").decode()
        if line == "0":
            # the last chunk of the body: nchan has ended the stream
            self.closed = True
        return line

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

    def read_until_closed(self, timeout):
        """(closed, data of the events read meanwhile) within TIMEOUT s."""
        deadline = time.monotonic() + timeout
        data = []
        while not self.closed:
            got = self.next_data(max(0.0, deadline - time.monotonic()))
            if got is None:
                break
            data.append(got)
        return self.closed, data

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
                        f"u{self.other['id']}", "u", f"u{uid}%00",
                        f"u{uid}/../u{self.other['id']}", f"u{uid}/..%2Fu{self.other['id']}"):
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


class SessionStreamsTest(ServerTestCase):
    """A session's stream ends with that session, and the others stay.

    Each stream listens to the user's channel and to one of its own; ending
    a session ends only the streams it opened. Ending every stream of the
    user instead made the other devices reconnect, and a reconnect right
    after the channel was deleted sometimes heard nothing for minutes: the
    rounds below repeat the whole scenario to catch that.
    """

    ROUNDS = 10

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.token, cls.user = cls.server.new_user("sessions")

    def login(self):
        return self.server.login(self.user["username"])

    def subscribe(self, token, extra_headers=""):
        stream = EventStream(self.server.port, f"/api/v1/events/u{self.user['id']}", token,
                             extra_headers)
        self.addCleanup(stream.close)
        self.assertEqual(stream.status, 200)
        stream.read_until_closed(0.3)       # what nchan still buffers
        return stream

    def assert_hears(self, stream, version, deadline, what):
        """STREAM gets an event naming VERSION (or later) before DEADLINE."""
        cursor = 0
        while cursor < version:
            data = stream.next_data(max(0.0, deadline - time.monotonic()))
            self.assertIsNotNone(data, f"{what}: no event for cursor {version} in time "
                                       f"(its stream {'ended' if stream.closed else 'is open'})")
            cursor = json.loads(data)["cursor"]

    def test_logout_ends_only_that_sessions_stream(self):
        staying = self.subscribe(self.login())
        for i in range(self.ROUNDS):
            token = self.login()
            leaving = self.subscribe(token)
            self.assertEqual(self.server.post("account/logout", None, token).status, 200)
            version = self.server.mkdir(self.token, f"/Round{i}").body["node"]["version"]
            self.assert_hears(staying, version, time.monotonic() + 1.0,
                              f"round {i}, the other session")
            closed, data = leaving.read_until_closed(2)
            self.assertTrue(closed, f"round {i}: the signed-out session's stream stays open")
            self.assertNotIn(version, [json.loads(d)["cursor"] for d in data],
                             f"round {i}: the signed-out session heard an event")
            leaving.close()
        self.assertFalse(staying.closed)

    def test_session_channel_is_the_servers_choice(self):
        """A client cannot join another session's control channel: naming it
        in a header, as the application does to nginx, changes nothing."""
        token_b, token_c = self.login(), self.login()
        digest = hashlib.sha256(b"yunpan-events" + hashlib.sha256(token_b.encode()).digest())
        channel_b = "s" + digest.hexdigest()[:32]
        stream_b = self.subscribe(token_b)
        stream_c = self.subscribe(token_c, f"X-Yunpan-Session: {channel_b}\r\n")
        self.assertNotIn(channel_b, json.dumps(stream_c.headers))
        self.assertEqual(self.server.post("account/logout", None, token_b).status, 200)
        self.assertTrue(stream_b.read_until_closed(2)[0], "the signed-out stream stays open")
        version = self.server.mkdir(self.token, "/NotKicked").body["node"]["version"]
        self.assert_hears(stream_c, version, time.monotonic() + 1.0, "the other session")

    def test_every_session_hears_each_change(self):
        streams = [self.subscribe(self.login()) for _ in range(3)]
        for i in range(3):
            version = self.server.mkdir(self.token, f"/Everyone{i}").body["node"]["version"]
            deadline = time.monotonic() + 1.0
            for n, stream in enumerate(streams):
                self.assert_hears(stream, version, deadline, f"change {i}, session {n}")


if __name__ == "__main__":
    main()
