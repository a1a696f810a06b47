#!/usr/bin/python3
"""A scriptable HTTP test server for the fetch stage: every misbehaviour a feed server shows.

Run: /usr/bin/python3 scripted_http_server.py [--root DIR] [--tls]
It binds 127.0.0.1 on a free port (port 0), prints "PORT <n>" on stdout, and serves until stdin
reaches EOF or it gets SIGTERM/SIGINT, so a test that dies still takes its server with it (give it
a pipe as stdin, or pass --ignore-stdin).

Each request is scripted by its path and query string, so tests need no shared state:

  /file/<rel>?encoding=gzip|deflate|br|zstd&etag=E&last-modified=LM&cache-control=CC
             &expires=X&type=T      <rel> under --root; 304 when If-None-Match / If-Modified-Since
                                    match the given validators
  /text?body=B&etag=E&...          like /file with an inline body
  /status/<code>?retry-after=R&body=B     any status
  /redirect/<code>?to=URL          a redirect (to may be a path)
  /chain/<n>?code=C                n redirects (status C, default 302) ending at a small feed
  /loop/<a|b>                      a -> b -> a with 301
  /trickle?bytes=N&interval=S      Content-Length N, one byte every S seconds
  /delay?seconds=S                 waits S seconds, then a small feed (tracks concurrency)
  /hang                            reads the request and never answers (until the client leaves)
  /endless                         a chunked body that never ends
  /gzip-bomb?mb=N                  gzip of N MiB of zeros (default 1024), streamed as produced
  /huge-headers?kb=N               N KiB of response headers
  /big-content-length              declares a 1 TB body
  /reset                           connection reset (RST) instead of a response
  /reset-mid-body                  promises 100000 bytes, sends 1000, then resets
  /requests                        JSON list of the requests seen so far (not this one)
  /stats                           JSON {"active": n, "max_active": n} for /delay requests
  absolute-form requests (proxy use) are logged and answered 200 "proxied <url>"
"""

import argparse
import ctypes
import ctypes.util
import gzip
import json
import os
import shutil
import signal
import socket
import ssl
import struct
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SMALL_FEED = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n'
    b'<rss version="2.0"><channel><title>scripted</title>'
    b"<item><title>one</title><guid>scripted-1</guid></item></channel></rss>\n"
)

_log_lock = threading.Lock()
_requests = []
_MAX_LOGGED = 10000
_active = 0
_max_active = 0


def _compress(data, encoding):
    if encoding == "gzip":
        return gzip.compress(data)
    if encoding == "deflate":
        return zlib.compress(data)  # HTTP "deflate" is the zlib format
    if encoding == "br":
        lib = ctypes.CDLL(ctypes.util.find_library("brotlienc") or "libbrotlienc.so.1")
        out_size = ctypes.c_size_t(len(data) + 1024)
        out = ctypes.create_string_buffer(out_size.value)
        ok = lib.BrotliEncoderCompress(11, 22, 0, ctypes.c_size_t(len(data)), data,
                                       ctypes.byref(out_size), out)
        if not ok:
            raise RuntimeError("brotli compression failed")
        return out.raw[: out_size.value]
    if encoding == "zstd":
        lib = ctypes.CDLL(ctypes.util.find_library("zstd") or "libzstd.so.1")
        lib.ZSTD_compressBound.restype = ctypes.c_size_t
        lib.ZSTD_compress.restype = ctypes.c_size_t
        lib.ZSTD_isError.restype = ctypes.c_uint
        bound = lib.ZSTD_compressBound(ctypes.c_size_t(len(data)))
        out = ctypes.create_string_buffer(bound)
        written = lib.ZSTD_compress(out, ctypes.c_size_t(bound), data,
                                    ctypes.c_size_t(len(data)), 3)
        if lib.ZSTD_isError(ctypes.c_size_t(written)):
            raise RuntimeError("zstd compression failed")
        return out.raw[:written]
    raise ValueError("unknown encoding " + encoding)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "scripted/1"
    root = None

    def log_message(self, format, *args):  # quiet: tests read /requests instead
        pass

    # -- helpers ---------------------------------------------------------------------------
    def _send(self, status, body=b"", headers=None, head_only=False):
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        if status not in (204, 304):
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if status not in (204, 304) and not head_only:
            self.wfile.write(body)

    def _reset(self):
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.connection.close()
        self.close_connection = True

    def _serve_bytes(self, body, query):
        etag = query.get("etag")
        last_modified = query.get("last-modified")
        headers = {"Content-Type": query.get("type", "application/rss+xml")}
        if etag:
            headers["ETag"] = etag
        if last_modified:
            headers["Last-Modified"] = last_modified
        for name in ("cache-control", "expires", "date"):
            if name in query:
                headers[name.title()] = query[name]
        match_etag = etag and self.headers.get("If-None-Match") == etag
        match_lm = last_modified and self.headers.get("If-Modified-Since") == last_modified
        if match_etag or (match_lm and not self.headers.get("If-None-Match")):
            self._send(304, headers=headers)
            return
        encoding = query.get("encoding")
        if encoding:
            try:
                body = _compress(body, encoding)
            except OSError as error:
                self._send(501, str(error).encode())
                return
            headers["Content-Encoding"] = encoding
        self._send(200, body, headers)

    # -- dispatch --------------------------------------------------------------------------
    def do_GET(self):
        global _active, _max_active
        parsed = urllib.parse.urlsplit(self.path)
        query = dict(urllib.parse.parse_qsl(parsed.query, keep_blank_values=True))
        path = parsed.path
        if path != "/requests" and path != "/stats":
            with _log_lock:
                _requests.append({
                    "method": self.command,
                    "path": self.path,
                    "headers": {k.lower(): v for k, v in self.headers.items()},
                })
                del _requests[:-_MAX_LOGGED]
        try:
            self._dispatch(parsed, path, query)
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError):
            self.close_connection = True

    def _dispatch(self, parsed, path, query):
        global _active, _max_active
        if parsed.scheme in ("http", "https"):
            self._send(200, ("proxied " + self.path).encode(), {"Content-Type": "text/plain"})
        elif path == "/requests":
            with _log_lock:
                body = json.dumps(_requests).encode()
            self._send(200, body, {"Content-Type": "application/json"})
        elif path == "/stats":
            with _log_lock:
                body = json.dumps({"active": _active, "max_active": _max_active}).encode()
            self._send(200, body, {"Content-Type": "application/json"})
        elif path.startswith("/file/"):
            rel = urllib.parse.unquote(path[len("/file/"):])
            full = os.path.realpath(os.path.join(self.root or "", rel))
            if not self.root or not full.startswith(os.path.realpath(self.root) + os.sep) \
                    or not os.path.isfile(full):
                self._send(404, b"no such file")
                return
            with open(full, "rb") as f:
                self._serve_bytes(f.read(), query)
        elif path == "/text":
            self._serve_bytes(query.get("body", "").encode(), query)
        elif path.startswith("/status/"):
            code = int(path[len("/status/"):])
            headers = {"Content-Type": "text/plain"}
            if "retry-after" in query:
                headers["Retry-After"] = query["retry-after"]
            if "location" in query:
                headers["Location"] = query["location"]
            self._send(code, query.get("body", "status %d" % code).encode(), headers)
        elif path.startswith("/redirect/"):
            code = int(path[len("/redirect/"):])
            self._send(code, b"moved", {"Location": query.get("to", "/")})
        elif path.startswith("/chain/"):
            left = int(path[len("/chain/"):])
            code = int(query.get("code", "302"))
            if left <= 0:
                self._send(200, SMALL_FEED, {"Content-Type": "application/rss+xml"})
            else:
                self._send(code, b"", {"Location": "/chain/%d?code=%d" % (left - 1, code)})
        elif path.startswith("/loop/"):
            other = "b" if path.endswith("/a") else "a"
            self._send(301, b"", {"Location": "/loop/" + other})
        elif path == "/trickle":
            total = int(query.get("bytes", "1000"))
            interval = float(query.get("interval", "0.2"))
            self.send_response(200)
            self.send_header("Content-Type", "application/rss+xml")
            self.send_header("Content-Length", str(total))
            self.end_headers()
            self.wfile.flush()
            for _ in range(total):
                self.wfile.write(b"x")
                self.wfile.flush()
                time.sleep(interval)
        elif path == "/delay":
            with _log_lock:
                _active += 1
                _max_active = max(_max_active, _active)
            try:
                time.sleep(float(query.get("seconds", "0.3")))
                self._serve_bytes(SMALL_FEED, query)
            finally:
                with _log_lock:
                    _active -= 1
        elif path == "/hang":
            self.close_connection = True
            self.connection.settimeout(30)
            try:
                while self.connection.recv(4096):
                    pass
            except OSError:
                pass
        elif path == "/endless":
            self.send_response(200)
            self.send_header("Content-Type", "application/rss+xml")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            chunk = b"<item>" + b"x" * 65530 + b"</item>"
            framed = b"%x\r\n" % len(chunk) + chunk + b"\r\n"
            while True:
                self.wfile.write(framed)
        elif path == "/gzip-bomb":
            megabytes = int(query.get("mb", "1024"))
            self.send_response(200)
            self.send_header("Content-Type", "application/rss+xml")
            self.send_header("Content-Encoding", "gzip")
            self.end_headers()
            self.close_connection = True  # close-delimited body
            compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
            zeros = b"\0" * (1 << 20)
            for _ in range(megabytes):
                data = compressor.compress(zeros)
                if data:
                    self.wfile.write(data)
            self.wfile.write(compressor.flush())
        elif path == "/huge-headers":
            kilobytes = int(query.get("kb", "1024"))
            self.send_response(200)
            for i in range(kilobytes):
                self.send_header("X-Filler-%d" % i, "y" * 1000)
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif path == "/big-content-length":
            self.send_response(200)
            self.send_header("Content-Length", str(10 ** 12))
            self.end_headers()
            self.wfile.write(b"x" * 1000)
            self.close_connection = True
        elif path == "/reset":
            self._reset()
        elif path == "/reset-mid-body":
            self.send_response(200)
            self.send_header("Content-Length", "100000")
            self.end_headers()
            self.wfile.write(b"x" * 1000)
            self.wfile.flush()
            time.sleep(0.05)
            self._reset()
        else:
            self._send(404, b"unknown script")


def _self_signed_context(workdir):
    cert = os.path.join(workdir, "cert.pem")
    key = os.path.join(workdir, "key.pem")
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
         "-keyout", key, "-out", cert],
        check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    return context


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def handle_error(self, request, client_address):
        pass  # clients that go away mid-response are the point of most scripts


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--root", help="folder served under /file/")
    parser.add_argument("--tls", action="store_true", help="HTTPS with a fresh self-signed cert")
    parser.add_argument("--ignore-stdin", action="store_true",
                        help="do not exit at EOF on stdin (then only a signal stops it)")
    args = parser.parse_args()
    Handler.root = args.root

    server = Server(("127.0.0.1", 0), Handler)
    workdir = tempfile.mkdtemp(prefix="chuhai-scripted-")
    try:
        if args.tls:
            context = _self_signed_context(workdir)
            server.socket = context.wrap_socket(server.socket, server_side=True)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()

        def stop(*_):
            server.shutdown()

        signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=stop).start())
        signal.signal(signal.SIGINT, lambda *_: threading.Thread(target=stop).start())
        print("PORT %d" % server.server_address[1], flush=True)

        def watch_stdin():
            try:
                while sys.stdin.buffer.read(4096):
                    pass
            except OSError:
                pass
            stop()

        if not args.ignore_stdin:
            threading.Thread(target=watch_stdin, daemon=True).start()
        thread.join()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
        server.server_close()


if __name__ == "__main__":
    main()
