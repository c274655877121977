"""The nginx edge: JSON errors from nginx itself, security headers, slow
clients and floods, the event stream's origin, uploads refused before their
body is read, and the processes' users and file permissions.

Requests that no HTTP library would send go over raw sockets. Flood and
connection-limit tests connect from 127.0.0.2 (the server listens on
127.0.0.1), so the health checks from 127.0.0.1 stand for other clients.
"""

import json
import os
import resource
import select
import shutil
import socket
import stat
import subprocess
import tempfile
import time
import unittest
from unittest import mock

from yunpan_instance import API, Instance, ServerTestCase, child_pids, main, sha256_hex

SECURITY_HEADERS = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
    "content-security-policy": "default-src 'none'; frame-ancestors 'none'",
}
FLOOD_SOURCE = "127.0.0.2"
HEADER_TIMEOUT = 4      # --header-timeout of the flood instance
CONN_LIMIT = 64         # limit_conn per address in nginx.conf.in
BODY_TIMEOUT = 30       # client_body_timeout in nginx.conf.in
MIB = 1024 * 1024


class RawResponse:
    """A parsed HTTP/1.1 response read from a raw socket."""

    def __init__(self, raw):
        self.raw = raw
        head, _, self.body_bytes = raw.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        parts = lines[0].split(" ", 2)
        self.status = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else None
        self.headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            self.headers[name.strip().lower()] = value.strip()

    def json(self):
        try:
            return json.loads(self.body_bytes)
        except ValueError:
            return None

    def __repr__(self):
        return f"<RawResponse {self.raw[:600]!r}>"


def connect(port, source=None, timeout=10):
    """A TCP connection to 127.0.0.1:PORT, from SOURCE when given."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.settimeout(timeout)
    if source:
        sock.bind((source, 0))
    sock.connect(("127.0.0.1", port))
    return sock


def read_response(sock, timeout=10):
    """Reads one response (headers + Content-Length body) or until EOF."""
    deadline = time.monotonic() + timeout
    buf = b""
    while True:
        if b"\r\n\r\n" in buf:
            resp = RawResponse(buf)
            length = resp.headers.get("content-length")
            if length is not None and len(resp.body_bytes) >= int(length):
                return resp
        left = deadline - time.monotonic()
        if left <= 0:
            raise AssertionError(f"no complete response in {timeout} s: {buf[:300]!r}")
        sock.settimeout(left)
        try:
            chunk = sock.recv(65536)
        except ConnectionResetError:
            chunk = b""
        if not chunk:
            return RawResponse(buf)
        buf += chunk


def exchange(port, data, source=None, timeout=10):
    """Sends DATA on a fresh connection and returns the response."""
    sock = connect(port, source, timeout)
    try:
        sock.sendall(data)
        return read_response(sock, timeout)
    finally:
        sock.close()


def closed_without_data(sock):
    """True when SOCK was closed by the peer (FIN or RST) and sent nothing."""
    try:
        sock.setblocking(False)
        return sock.recv(4096) == b""
    except ConnectionResetError:
        return True
    except BlockingIOError:
        return False


def raise_fd_limit():
    """Raises this process's descriptor limit to its hard limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return hard


class EdgeAssertions:
    """Checks shared by the classes below."""

    def assert_security_headers(self, headers, what):
        got = {k.lower(): v for k, v in headers.items()}
        for name, value in SECURITY_HEADERS.items():
            self.assertEqual(got.get(name), value, f"{name} on {what}: {headers}")

    def assert_raw_error(self, resp, status, code):
        """RESP is the protocol's JSON error, with the security headers."""
        self.assertEqual(resp.status, status, resp)
        self.assertNotIn(b"<html", resp.raw.lower(), resp)
        self.assertEqual(resp.headers.get("content-type", "").split(";")[0],
                         "application/json", resp)
        body = resp.json()
        self.assertIsInstance(body, dict, resp)
        self.assertEqual(body.get("error", {}).get("code"), code, resp)
        self.assertIsInstance(body["error"].get("message"), str, resp)
        self.assert_security_headers(resp.headers, f"{status} {code}")


# ------------------------------------------------------------------------
# Errors nginx answers by itself
# ------------------------------------------------------------------------

class NginxErrorsTest(EdgeAssertions, ServerTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.token, _ = cls.server.new_user("edge")

    def raw(self, data, **kw):
        return exchange(self.server.port, data, **kw)

    def test_nul_in_uri(self):
        resp = self.raw(b"GET /api/v1/health%00 HTTP/1.1\r\nHost: x\r\n\r\n")
        self.assert_raw_error(resp, 400, "bad_request")

    def test_request_line_too_long(self):
        resp = self.raw(b"GET /api/v1/health?" + b"a" * 9000 + b" HTTP/1.1\r\nHost: x\r\n\r\n")
        self.assert_raw_error(resp, 414, "uri_too_long")

    def test_malformed_request_lines(self):
        for line in (b"GET /api/v1/health HTTP/1.x", b"GE\x01T / HTTP/1.1", b"hello",
                     b"GET /api/v1/health HTTP/2.0", b"get /api/v1/health HTTP/1.1",
                     b"GET api/v1/health HTTP/1.1"):
            with self.subTest(line=line):
                self.assert_raw_error(self.raw(line + b"\r\nHost: x\r\n\r\n"), 400, "bad_request")

    def test_header_too_long(self):
        resp = self.raw(b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\nX-A: " + b"a" * 9000
                        + b"\r\n\r\n")
        self.assert_raw_error(resp, 431, "headers_too_large")

    def test_too_many_headers(self):
        headers = b"".join(b"X-H%d: %s\r\n" % (i, b"b" * 2000) for i in range(40))
        resp = self.raw(b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\n" + headers + b"\r\n")
        self.assert_raw_error(resp, 431, "headers_too_large")

    def test_http11_without_host(self):
        self.assert_raw_error(self.raw(b"GET /api/v1/health HTTP/1.1\r\n\r\n"), 400, "bad_request")

    def test_bad_content_length(self):
        for value in (b"abc", b"-1", b"1, 2"):
            with self.subTest(value=value):
                resp = self.raw(b"POST /api/v1/account/login HTTP/1.1\r\nHost: x\r\n"
                                b"Content-Length: " + value + b"\r\n\r\n")
                self.assert_raw_error(resp, 400, "bad_request")

    def test_length_and_chunked_together(self):
        resp = self.raw(b"POST /api/v1/account/login HTTP/1.1\r\nHost: x\r\n"
                        b"Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n")
        self.assert_raw_error(resp, 400, "bad_request")

    def test_unknown_transfer_coding(self):
        resp = self.raw(b"POST /api/v1/account/login HTTP/1.1\r\nHost: x\r\n"
                        b"Transfer-Encoding: gzip\r\n\r\n")
        self.assert_raw_error(resp, 400, "bad_request")

    def test_chunked_upload_put_needs_length(self):
        up = self.server.start_upload(self.token, "/chunked.bin", b"hello").body["upload"]
        resp = self.raw(f"PUT {API}/uploads/{up['id']}?offset=0 HTTP/1.1\r\nHost: x\r\n"
                        f"Authorization: Bearer {self.token}\r\nConnection: close\r\n"
                        "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n".encode())
        self.assert_raw_error(resp, 411, "length_required")
        # without any length at all, too
        resp = self.raw(f"PUT {API}/uploads/{up['id']}?offset=0 HTTP/1.1\r\nHost: x\r\n"
                        f"Authorization: Bearer {self.token}\r\nConnection: close\r\n"
                        "\r\n".encode())
        self.assert_raw_error(resp, 411, "length_required")

    def test_trace_method(self):
        resp = self.raw(b"TRACE /api/v1/health HTTP/1.1\r\nHost: x\r\n\r\n")
        self.assert_raw_error(resp, 405, "method_not_allowed")

    def test_unknown_paths(self):
        for method, path in (("GET", "/"), ("GET", "/index.html"), ("POST", "/nope"),
                             ("DELETE", "/api"), ("GET", "/_errors/internal"),
                             ("GET", "/_auth/events"), ("GET", "/_auth/upload"),
                             ("GET", "/_blobs/ab/cd/" + "0" * 64)):
            with self.subTest(method=method, path=path):
                resp = self.raw(f"{method} {path} HTTP/1.1\r\nHost: x\r\n"
                                "Connection: close\r\n\r\n".encode())
                self.assert_raw_error(resp, 404, "not_found")

    def test_unknown_methods(self):
        resp = self.raw(b"BREW /api/v1/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        self.assert_raw_error(resp, 405, "method_not_allowed")
        resp = self.raw(b"POST /api/v1/events/u1 HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n"
                        b"Connection: close\r\n\r\n")
        self.assert_raw_error(resp, 405, "method_not_allowed")

    def test_json_body_too_large(self):
        resp = self.raw(b"POST /api/v1/account/login HTTP/1.1\r\nHost: x\r\n"
                        b"Content-Length: 100000\r\nConnection: close\r\n\r\n")
        self.assert_raw_error(resp, 413, "too_large")

    def test_chunk_too_large(self):
        """The issue's 1 GiB PUT is over the chunk limit: refused unread."""
        up = self.server.start_upload(self.token, "/big.bin", size=2 << 30,
                                      sha256="0" * 64).body["upload"]
        resp = self.raw(f"PUT {API}/uploads/{up['id']}?offset=0 HTTP/1.1\r\nHost: x\r\n"
                        f"Authorization: Bearer {self.token}\r\n"
                        f"Content-Length: {1 << 30}\r\n\r\n".encode())
        self.assert_raw_error(resp, 413, "too_large")

    def test_download_range_and_preconditions(self):
        self.server.upload_file(self.token, "/range.txt", b"0123456789")
        target = f"{API}/files/download?path=/range.txt"
        auth = f"Authorization: Bearer {self.token}\r\nConnection: close\r\n"
        resp = self.raw(f"GET {target} HTTP/1.1\r\nHost: x\r\n{auth}"
                        "Range: bytes=100-\r\n\r\n".encode())
        self.assert_raw_error(resp, 416, "range_not_satisfiable")
        resp = self.raw(f"GET {target} HTTP/1.1\r\nHost: x\r\n{auth}"
                        "If-Match: \"other\"\r\n\r\n".encode())
        self.assert_raw_error(resp, 412, "precondition_failed")

    def test_internal_error_is_json(self):
        """nginx's own 500: it cannot create the temp file for a chunk."""
        data = b"x" * 1000
        up = self.server.start_upload(self.token, "/fails.bin", data).body["upload"]
        body_dir = os.path.join(self.server.data, "tmp", "body")
        mode = stat.S_IMODE(os.stat(body_dir).st_mode)
        os.chmod(body_dir, 0)
        try:
            resp = self.raw(f"PUT {API}/uploads/{up['id']}?offset=0 HTTP/1.1\r\nHost: x\r\n"
                            f"Authorization: Bearer {self.token}\r\nConnection: close\r\n"
                            f"Content-Length: {len(data)}\r\n\r\n".encode() + data)
        finally:
            os.chmod(body_dir, mode)
        self.assert_raw_error(resp, 500, "internal")
        self.assertEqual(self.server.put_chunk(self.token, up["id"], 0, data).status, 201)

    def test_application_down_is_json_503(self):
        """What a dead application leaves: a socket file nobody listens on
        (and, once cleaned up, no socket at all). nginx answers 503 JSON
        with Retry-After, and serves again once the application is back."""
        sock_path = os.path.join(self.server.data, "run", "fcgi.sock")
        away = sock_path + ".away"
        os.rename(sock_path, away)
        dead = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            resp = self.raw(b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            self.assert_raw_error(resp, 503, "unavailable")
            self.assertEqual(resp.headers.get("retry-after"), "1", resp)
            dead.bind(sock_path)        # bound, never listening: ECONNREFUSED
            os.chmod(sock_path, 0o777)
            resp = self.raw(b"GET /api/v1/files/list?path=/ HTTP/1.1\r\nHost: x\r\n"
                            b"Connection: close\r\n\r\n")
            self.assert_raw_error(resp, 503, "unavailable")
        finally:
            dead.close()
            if os.path.exists(sock_path):
                os.unlink(sock_path)
            os.rename(away, sock_path)
        self.assertEqual(self.server.health().status, 200)


# ------------------------------------------------------------------------
# Security headers on every kind of answer
# ------------------------------------------------------------------------

class SecurityHeadersTest(EdgeAssertions, ServerTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.token, cls.user = cls.server.new_user("headers")
        cls.server.upload_file(cls.token, "/page.html", b"<html><script>x</script></html>")

    def test_json_reply(self):
        self.assert_security_headers(self.server.health().headers, "health")
        self.assert_security_headers(self.server.whoami(self.token).headers, "whoami")

    def test_application_error(self):
        resp = self.server.whoami(None)
        self.assertEqual(resp.status, 401)
        self.assert_security_headers(resp.headers, "401 from the application")

    def test_nginx_error(self):
        resp = self.server.request("GET", "/nowhere")
        self.assertEqual(resp.status, 404)
        self.assert_security_headers(resp.headers, "nginx 404")

    def test_download(self):
        resp = self.server.download(self.token, path="/page.html")
        self.assertEqual(resp.status, 200)
        self.assert_security_headers(resp.headers, "download")
        # the location's own headers are still there
        self.assertEqual(resp.headers.get("ETag"),
                         '"%s"' % sha256_hex(b"<html><script>x</script></html>"))
        self.assertIn("private", resp.headers.get("Cache-Control", ""))
        resp = self.server.download(self.token, path="/page.html", headers={"Range": "bytes=0-3"})
        self.assertEqual(resp.status, 206)
        self.assert_security_headers(resp.headers, "ranged download")

    def test_event_stream(self):
        sock = connect(self.server.port)
        try:
            sock.sendall(f"GET {API}/events/u{self.user['id']} HTTP/1.1\r\nHost: x\r\n"
                         f"Accept: text/event-stream\r\nAuthorization: Bearer {self.token}\r\n"
                         "\r\n".encode())
            buf = b""
            while b"\r\n\r\n" not in buf:
                chunk = sock.recv(4096)
                self.assertTrue(chunk, buf)
                buf += chunk
            resp = RawResponse(buf)
        finally:
            sock.close()
        self.assertEqual(resp.status, 200, resp)
        self.assertIn("text/event-stream", resp.headers.get("content-type", ""))
        self.assert_security_headers(resp.headers, "event stream")


# ------------------------------------------------------------------------
# The event stream: origin, timeout, channel deletion
# ------------------------------------------------------------------------

class EventOriginTest(EdgeAssertions, ServerTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.token, cls.user = cls.server.new_user("origin")
        cls.own_origin = cls.server.url.rstrip("/")

    def open_stream(self, origin=None):
        sock = connect(self.server.port)
        extra = f"Origin: {origin}\r\n" if origin else ""
        sock.sendall(f"GET {API}/events/u{self.user['id']} HTTP/1.1\r\nHost: x\r\n"
                     f"Accept: text/event-stream\r\nAuthorization: Bearer {self.token}\r\n"
                     f"{extra}\r\n".encode())
        buf = b""
        while b"\r\n\r\n" not in buf:
            chunk = sock.recv(4096)
            if not chunk:
                break
            buf += chunk
        return sock, RawResponse(buf)

    def test_foreign_origin_not_echoed(self):
        sock, resp = self.open_stream("http://evil.example")
        sock.close()
        self.assertNotIn("access-control-allow-origin", resp.headers, resp)
        self.assertNotIn("evil.example", resp.raw.decode("latin-1"))
        self.assertNotEqual(resp.headers.get("access-control-allow-credentials"), "true")
        self.assertEqual(resp.status, 403, resp)

    def test_own_origin_allowed_without_credentials(self):
        sock, resp = self.open_stream(self.own_origin)
        sock.close()
        self.assertEqual(resp.status, 200, resp)
        self.assertEqual(resp.headers.get("access-control-allow-origin"), self.own_origin)
        self.assertNotEqual(resp.headers.get("access-control-allow-credentials"), "true", resp)

    def test_no_origin_allowed(self):
        sock, resp = self.open_stream()
        sock.close()
        self.assertEqual(resp.status, 200, resp)

    def test_subscriber_timeout_configured(self):
        with open(os.path.join(self.server.data, "run", "nginx.conf")) as f:
            self.assertRegex(f.read(), r"nchan_subscriber_timeout\s+300s;")

    def test_publisher_delete_ends_streams(self):
        sock, resp = self.open_stream()
        try:
            self.assertEqual(resp.status, 200, resp)
            pub = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            pub.settimeout(10)
            pub.connect(os.path.join(self.server.data, "run", "publish.sock"))
            pub.sendall(f"DELETE /pub/u{self.user['id']} HTTP/1.1\r\nHost: x\r\n"
                        "Connection: close\r\n\r\n".encode())
            answer = read_response(pub)
            pub.close()
            self.assertIn(answer.status, (200, 204), answer)
            deadline = time.monotonic() + 5
            ended = False
            while time.monotonic() < deadline and not ended:
                if select.select([sock], [], [], deadline - time.monotonic())[0]:
                    try:
                        data = sock.recv(65536)
                    except ConnectionResetError:
                        data = b""
                    # nchan ends a chunked stream with the 0-length chunk
                    ended = data == b"" or data.endswith(b"0\r\n\r\n")
            self.assertTrue(ended, "the stream stayed open after DELETE")
        finally:
            sock.close()


# ------------------------------------------------------------------------
# Uploads: refused before nginx reads the body
# ------------------------------------------------------------------------

class UploadAuthTest(EdgeAssertions, ServerTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.token, _ = cls.server.new_user("upauth")
        cls.other, _ = cls.server.new_user("upother")

    def tmp_usage(self):
        total = 0
        for root, _dirs, files in os.walk(os.path.join(self.server.data, "tmp")):
            for name in files:
                try:
                    total += os.lstat(os.path.join(root, name)).st_size
                except FileNotFoundError:
                    pass
        return total

    def put_until_answer(self, upload_id, token=None, declared=200 * MIB, limit=32 * MIB):
        """Sends a PUT declaring DECLARED bytes and streams zeros until the
        server answers; returns (response, bytes sent, peak size of tmp/)."""
        sock = connect(self.server.port)
        auth = f"Authorization: Bearer {token}\r\n" if token else ""
        sock.sendall(f"PUT {API}/uploads/{upload_id}?offset=0 HTTP/1.1\r\nHost: x\r\n{auth}"
                     f"Content-Length: {declared}\r\n\r\n".encode())
        block = b"\0" * 65536
        sent, peak, buf = 0, 0, b""
        deadline = time.monotonic() + 30
        try:
            while time.monotonic() < deadline and sent < limit:
                readable, writable, _ = select.select([sock], [sock], [], 1)
                if readable:
                    break
                if writable:
                    try:
                        sent += sock.send(block)
                    except (BrokenPipeError, ConnectionResetError):
                        break
                if sent % (4 * MIB) < 65536:
                    peak = max(peak, self.tmp_usage())
            resp = read_response(sock, 10)
        finally:
            sock.close()
        return resp, sent, max(peak, self.tmp_usage())

    def test_no_token_refused_before_the_body(self):
        resp, sent, peak = self.put_until_answer("0123456789abcdef0123456789abcdef")
        self.assert_raw_error(resp, 401, "unauthorized")
        self.assertLess(sent, 32 * MIB, "the answer waited for the body")
        self.assertLess(peak, 4 * MIB, "the refused body was written to disk")

    def test_other_users_upload_refused_before_the_body(self):
        up = self.server.start_upload(self.other, "/theirs.bin", size=200 * MIB,
                                      sha256="0" * 64).body["upload"]
        resp, sent, peak = self.put_until_answer(up["id"], token=self.token)
        self.assert_raw_error(resp, 404, "not_found")
        self.assertLess(sent, 32 * MIB)
        self.assertLess(peak, 4 * MIB)

    def test_refused_uploads_hold_no_worker(self):
        """Refused PUTs whose bodies trickle in leave the workers free."""
        socks = []
        try:
            for i in range(8):
                sock = connect(self.server.port)
                sock.sendall(f"PUT {API}/uploads/{i:032x}?offset=0 HTTP/1.1\r\nHost: x\r\n"
                             f"Content-Length: {MIB}\r\n\r\nx".encode())
                socks.append(sock)
            for sock in socks:
                self.assertEqual(read_response(sock, 10).status, 401)
            started = time.monotonic()
            for _ in range(8):
                self.assertEqual(self.server.health().status, 200)
            self.assertLess(time.monotonic() - started, 2.0)
        finally:
            for sock in socks:
                sock.close()

    def test_own_upload_and_its_other_methods(self):
        data = os.urandom(300000)
        up = self.server.start_upload(self.token, "/mine.bin", data).body["upload"]
        resp = self.server.put_chunk(self.token, up["id"], 0, data[:100000])
        self.assertEqual(resp.status, 200, resp)
        # GET and DELETE of an upload are not chunk PUTs: no length needed
        resp = self.server.request("GET", f"{API}/uploads/{up['id']}", token=self.token)
        self.assertEqual(resp.status, 200, resp)
        self.assertEqual(resp.body["upload"]["offset"], 100000)
        resp = self.server.put_chunk(self.token, up["id"], 100000, data[100000:])
        self.assertEqual(resp.status, 201, resp)
        up = self.server.start_upload(self.token, "/dropped.bin", data).body["upload"]
        resp = self.server.request("DELETE", f"{API}/uploads/{up['id']}", token=self.token)
        self.assertEqual(resp.status, 200, resp)

    def test_dot_segments_cannot_smuggle_a_body(self):
        """The check sees the URI as nginx normalized it, the same the PUT
        handler gets: "<own id>/../<their id>" is checked as theirs."""
        mine = self.server.start_upload(self.token, "/own.bin", size=200 * MIB,
                                        sha256="1" * 64).body["upload"]
        theirs = self.server.start_upload(self.other, "/their.bin", size=200 * MIB,
                                          sha256="2" * 64).body["upload"]
        resp, sent, peak = self.put_until_answer(f"{mine['id']}/../{theirs['id']}",
                                                 token=self.token)
        self.assert_raw_error(resp, 404, "not_found")
        self.assertLess(sent, 32 * MIB)
        self.assertLess(peak, 4 * MIB, "the smuggled body was written to disk")

    def test_three_bodies_in_flight_per_upload(self):
        """Bodies are written to disk before the application sees them; one
        upload may have three arriving at once, not more."""
        up = self.server.start_upload(self.token, "/flight.bin", size=100 * MIB,
                                      sha256="3" * 64).body["upload"]
        socks = []
        try:
            for _ in range(4):
                sock = connect(self.server.port)
                sock.sendall(f"PUT {API}/uploads/{up['id']}?offset=0 HTTP/1.1\r\nHost: x\r\n"
                             f"Authorization: Bearer {self.token}\r\n"
                             f"Content-Length: {100 * MIB}\r\n\r\nx".encode())
                socks.append(sock)
                time.sleep(0.3)
            self.assert_raw_error(read_response(socks[3], 10), 429, "rate_limited")
            for sock in socks[:3]:
                readable, _, _ = select.select([sock], [], [], 0.5)
                self.assertFalse(readable, "an admitted body was refused")
        finally:
            for sock in socks:
                sock.close()

    def test_wrong_offset_gets_the_real_error(self):
        data = b"y" * 5000
        up = self.server.start_upload(self.token, "/offset.bin", data).body["upload"]
        resp = self.server.put_chunk(self.token, up["id"], 10, data[10:])
        self.assert_error(resp, 409, "offset_mismatch")


# ------------------------------------------------------------------------
# Slow clients and floods
# ------------------------------------------------------------------------

class FloodTest(EdgeAssertions, ServerTestCase):
    """Thousands of connections that send one byte and stop."""

    INSTANCE_ARGS = ("--header-timeout", str(HEADER_TIMEOUT))
    COUNT = 9000        # more than the 8,400 of the report

    def health_time(self):
        started = time.monotonic()
        resp = exchange(self.server.port, b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\n"
                        b"Connection: close\r\n\r\n", timeout=5)
        self.assertEqual(resp.status, 200, resp)
        return time.monotonic() - started

    def test_one_byte_flood(self):
        hard = raise_fd_limit()
        count = min(self.COUNT, hard - 500)
        if count < 1000:
            self.skipTest(f"descriptor limit {hard} is too low for a flood")
        socks = []
        poller = select.poll()
        try:
            started = time.monotonic()
            for _ in range(count):
                sock = connect(self.server.port, FLOOD_SOURCE, timeout=5)
                sock.send(b"G")
                socks.append(sock)
                poller.register(sock.fileno(), select.POLLIN)
            opened = time.monotonic() - started
            self.assertLess(opened, HEADER_TIMEOUT, "opening took longer than the timeout")
            worst = max(self.health_time() for _ in range(5))
            self.assertLess(worst, 1.0, f"health check took {worst:.2f} s under the flood")

            # every flood connection is closed soon after the header timeout
            deadline = started + HEADER_TIMEOUT + 5
            ready = set()
            while len(ready) < count and time.monotonic() < deadline:
                for fd, _ev in poller.poll(200):
                    ready.add(fd)
                    poller.unregister(fd)
            closed_at = time.monotonic() - started
            self.assertEqual(len(ready), count,
                             f"{count - len(ready)} connections still open after "
                             f"{closed_at:.1f} s")
            talkative = [s for s in socks if not closed_without_data(s)]
            self.assertEqual(talkative, [], "nginx sent data on timed-out connections")
        finally:
            for sock in socks:
                sock.close()
        self.assertLess(self.health_time(), 1.0)

    def test_stalled_headers_closed_without_answer(self):
        """A client that stops mid-header gets no 408 page: nginx resets the
        connection after the header timeout, and sends nothing."""
        sock = connect(self.server.port, FLOOD_SOURCE)
        try:
            started = time.monotonic()
            sock.sendall(b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\n")
            sock.settimeout(HEADER_TIMEOUT + 5)
            with self.assertRaises(ConnectionResetError,
                                   msg="a timed-out connection is reset, not closed"):
                data = sock.recv(4096)
                self.fail(f"got {data!r} instead of a reset")
            elapsed = time.monotonic() - started
        finally:
            sock.close()
        self.assertGreater(elapsed, HEADER_TIMEOUT - 1)
        self.assertLess(elapsed, HEADER_TIMEOUT + 3)

    def test_stalled_body_closed(self):
        """A body that stops arriving is given up after client_body_timeout."""
        sock = connect(self.server.port, FLOOD_SOURCE, timeout=BODY_TIMEOUT + 10)
        try:
            started = time.monotonic()
            sock.sendall(b"POST /api/v1/account/login HTTP/1.1\r\nHost: x\r\n"
                         b"Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{")
            try:
                data = sock.recv(4096)
            except ConnectionResetError:
                data = b""
            elapsed = time.monotonic() - started
        finally:
            sock.close()
        self.assertEqual(data, b"", "a timed-out body got an answer")
        self.assertGreater(elapsed, BODY_TIMEOUT - 2)
        self.assertLess(elapsed, BODY_TIMEOUT + 5)


class ConnectionLimitTest(EdgeAssertions, ServerTestCase):
    """limit_conn per address, with request bodies that trickle in."""

    def slow_body(self, source):
        sock = connect(self.server.port, source)
        sock.sendall(b"POST /api/v1/account/login HTTP/1.1\r\nHost: x\r\n"
                     b"Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{")
        return sock

    def assert_waiting(self, socks):
        readable = select.select(socks, [], [], 0.5)[0]
        self.assertEqual(readable, [], "connections under the limit were answered")

    def test_limit_per_address(self):
        socks = []
        try:
            for _ in range(CONN_LIMIT):
                socks.append(self.slow_body(FLOOD_SOURCE))
            # a client under the limit (event streams, parallel transfers)
            # is never refused
            self.assert_waiting(socks)

            extra = self.slow_body(FLOOD_SOURCE)
            try:
                resp = read_response(extra, 5)
            finally:
                extra.close()
            self.assert_raw_error(resp, 429, "rate_limited")
            self.assertEqual(resp.headers.get("retry-after"), "1", resp)

            # another address is not affected
            mine = self.slow_body("127.0.0.1")
            try:
                self.assert_waiting([mine])
            finally:
                mine.close()
            self.assertEqual(self.server.health().status, 200)

            # a connection that ends frees its slot
            socks.pop().close()
            deadline = time.monotonic() + 5
            while True:
                again = self.slow_body(FLOOD_SOURCE)
                if not select.select([again], [], [], 0.5)[0]:
                    socks.append(again)
                    break
                again.close()
                self.assertLess(time.monotonic(), deadline, "the slot was not freed")
        finally:
            for sock in socks:
                sock.close()


# ------------------------------------------------------------------------
# Processes, users and permissions
# ------------------------------------------------------------------------

def process_uid(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("Uid:"):
                return int(line.split()[2])       # effective uid
    raise AssertionError(f"no Uid in /proc/{pid}/status")


def group_or_other_bits(root):
    """Entries under ROOT (sockets aside) with any group or other permission."""
    found = []
    for dirpath, dirs, files in os.walk(root):
        for name in [*dirs, *files]:
            path = os.path.join(dirpath, name)
            try:
                st = os.lstat(path)
            except FileNotFoundError:
                continue
            if stat.S_ISSOCK(st.st_mode) or stat.S_ISLNK(st.st_mode):
                continue
            if st.st_mode & 0o077:
                found.append(f"{os.path.relpath(path, root)} {stat.filemode(st.st_mode)}")
    st = os.stat(root)
    if st.st_mode & 0o077:
        found.append(f". {stat.filemode(st.st_mode)}")
    return found


class PermissionsTest(EdgeAssertions, ServerTestCase):
    """umask 077: whoever runs the server, its files are private."""

    def test_no_group_or_other_permissions(self):
        token, _ = self.server.new_user("perm")
        data = os.urandom(200000)
        self.server.upload_file(token, "/one.bin", data, chunk=70000)
        self.server.upload_file(token, "/two.txt", b"small")
        self.server.mkdir(token, "/Folder")
        self.assertEqual(self.server.download(token, path="/one.bin").raw, data)
        self.server.download(token, path="/two.txt", headers={"Range": "bytes=1-2"})
        self.assertEqual(group_or_other_bits(self.server.data), [])


@unittest.skipUnless(os.geteuid() == 0, "needs root: only a server started as root "
                     "changes users and owners")
class RootTest(EdgeAssertions, unittest.TestCase):

    def test_workers_are_unprivileged(self):
        with Instance() as server:
            workers = server.worker_pids()
            self.assertTrue(workers)
            nginx_workers = [p for p in server.server_pids()
                             if p != server.nginx_pid()
                             and p in child_pids(server.nginx_pid())]
            self.assertTrue(nginx_workers)
            for pid in [server.master_pid(), *workers, *nginx_workers]:
                with self.subTest(pid=pid):
                    self.assertNotEqual(process_uid(pid), 0)
            service_uid = process_uid(workers[0])
            for name in ("yunpan.db", "blobs", "uploads", "tmp", "log", "run"):
                self.assertEqual(os.stat(os.path.join(server.data, name)).st_uid,
                                 service_uid, name)
            token, _ = server.new_user("root")
            server.upload_file(token, "/x.bin", b"x" * 5000)
            self.assertEqual(server.download(token, path="/x.bin").raw, b"x" * 5000)
            self.assertEqual(group_or_other_bits(server.data), [])

    def test_data_made_by_root_is_handed_over(self):
        data = tempfile.mkdtemp(prefix="yp-test-own-")
        self.addCleanup(shutil.rmtree, data, True)
        fanout = os.path.join(data, "blobs", "ab", "cd")
        os.makedirs(fanout, mode=0o755)
        with open(os.path.join(data, "uploads-note"), "w") as f:
            f.write("left by root")
        os.chmod(os.path.join(data, "uploads-note"), 0o644)
        with Instance(data_dir=data) as server:
            uid = process_uid(server.worker_pids()[0])
            for path in (fanout, os.path.dirname(fanout), os.path.join(data, "uploads-note")):
                st = os.lstat(path)
                self.assertEqual(st.st_uid, uid, path)
                self.assertEqual(st.st_mode & 0o077, 0, path)

    def test_programs_in_a_private_folder(self):
        """A build folder only root can enter (a checkout under /root, a
        0700 temp folder) still gives an unprivileged server: it is executed
        as root and drops to the service user itself."""
        private = tempfile.mkdtemp(prefix="yp-test-bin-")          # 0700 root
        self.addCleanup(shutil.rmtree, private, True)
        built = os.path.dirname(os.environ["YP_SERVER_RUN"])
        for name in ("yunpan-server-run", "yunpan-server", "nginx.conf.in"):
            shutil.copy2(os.path.join(built, name), private)
        run = os.path.join(private, "yunpan-server-run")
        with mock.patch.dict(os.environ, {"YP_SERVER_RUN": run}):
            with Instance() as server:
                workers = server.worker_pids()
                self.assertTrue(workers)
                for pid in [server.master_pid(), *workers]:
                    self.assertNotEqual(process_uid(pid), 0)
                token, _ = server.new_user("private")
                server.upload_file(token, "/p.bin", b"p" * 4000)
                self.assertEqual(server.download(token, path="/p.bin").raw, b"p" * 4000)

    def test_unreachable_data_folder_refused(self):
        parent = tempfile.mkdtemp(prefix="yp-test-closed-")      # 0700 root
        self.addCleanup(shutil.rmtree, parent, True)
        data = os.path.join(parent, "data")
        proc = subprocess.run([os.environ["YP_SERVER_RUN"], "--data", data, "--port", "0"],
                              capture_output=True, timeout=30, stdin=subprocess.DEVNULL)
        self.assertNotEqual(proc.returncode, 0, proc)
        self.assertIn(b"cannot reach", proc.stderr, proc)

    def test_bad_users_refused(self):
        data = tempfile.mkdtemp(prefix="yp-test-user-")
        self.addCleanup(shutil.rmtree, data, True)
        for user in ("root", "no-such-user-yp"):
            with self.subTest(user=user):
                proc = subprocess.run([os.environ["YP_SERVER_RUN"], "--data", data,
                                       "--port", "0", "--user", user],
                                      capture_output=True, timeout=30, stdin=subprocess.DEVNULL)
                self.assertNotEqual(proc.returncode, 0, proc)
                self.assertNotIn(b"running at", proc.stdout)
                self.assertTrue(proc.stderr.strip())


class OptionsTest(unittest.TestCase):

    def test_bad_origin_refused(self):
        data = tempfile.mkdtemp(prefix="yp-test-origin-")
        self.addCleanup(shutil.rmtree, data, True)
        for origin in ("evil.example", 'https://a.example"; include /etc/x', "https://a/b",
                       "ftp://a.example"):
            with self.subTest(origin=origin):
                proc = subprocess.run([os.environ["YP_SERVER_RUN"], "--data", data,
                                       "--port", "0", "--origin", origin],
                                      capture_output=True, timeout=30, stdin=subprocess.DEVNULL)
                self.assertNotEqual(proc.returncode, 0, proc)
                self.assertIn(b"--origin", proc.stderr)

    def test_origin_option_sets_the_allowed_origin(self):
        with Instance(["--origin", "https://disk.example.org"]) as server:
            token, user = server.new_user("opt")
            for origin, status in (("https://disk.example.org", 200), (server.url.rstrip("/"), 403)):
                sock = connect(server.port)
                try:
                    sock.sendall(f"GET {API}/events/u{user['id']} HTTP/1.1\r\nHost: x\r\n"
                                 f"Accept: text/event-stream\r\nOrigin: {origin}\r\n"
                                 f"Authorization: Bearer {token}\r\n\r\n".encode())
                    buf = b""
                    while b"\r\n\r\n" not in buf:
                        chunk = sock.recv(4096)
                        if not chunk:
                            break
                        buf += chunk
                finally:
                    sock.close()
                resp = RawResponse(buf)
                with self.subTest(origin=origin):
                    self.assertEqual(resp.status, status, resp)


if __name__ == "__main__":
    main()
