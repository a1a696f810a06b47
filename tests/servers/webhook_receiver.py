#!/usr/bin/python3
"""A webhook receiver for chuhai's tests, on 127.0.0.1 and a free port.

It records every request (method, path, headers, body) as one JSON line in --log, checks the
X-Chuhai-Signature header the way docs/digests.md tells receivers to (HMAC-SHA256 over
"<t>.<body>", constant-time comparison, timestamp within --tolerance seconds), and notes
whether the Idempotency-Key was already delivered.

What it answers:
  POST /status/<code>   that status code
  POST /delay/<s>/...   waits s seconds first (for client timeouts)
  otherwise             the next code of --responses (comma-separated), then 200 forever
A 429 or 503 carries "Retry-After: <--retry-after>" when that is given. With --reject-invalid,
a request whose signature is not valid gets 401 and a repeated Idempotency-Key gets 200 without
being counted again, as a careful receiver would.

It prints "PORT <n>" once it listens, and stops on SIGTERM/SIGINT or at end of file on stdin.
"""

import argparse
import hashlib
import hmac
import json
import os
import signal
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def check_signature(secret, header, body, tolerance):
    if secret is None:
        return "unchecked"
    if header is None:
        return "absent"
    try:
        fields = dict(part.split("=", 1) for part in header.split(","))
        timestamp = int(fields["t"])
        received = fields["v1"]
    except (ValueError, KeyError):
        return "malformed"
    expected = hmac.new(secret, str(timestamp).encode() + b"." + body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, received):
        return "mismatch"
    if abs(time.time() - timestamp) > tolerance:
        return "stale"
    return "valid"


class State:
    def __init__(self, args):
        self.args = args
        self.lock = threading.Lock()
        self.responses = [int(c) for c in args.responses.split(",") if c] if args.responses else []
        self.delivered_keys = set()
        self.secret = None
        if args.secret_file:
            with open(args.secret_file, "rb") as f:
                self.secret = f.read().rstrip(b"\n")


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):  # keep the test output quiet
        pass

    def do_POST(self):
        state = self.server.state
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length)
        parts = [p for p in self.path.split("/") if p]
        if len(parts) >= 2 and parts[0] == "delay":
            time.sleep(float(parts[1]))
        signature = check_signature(
            state.secret, self.headers.get("X-Chuhai-Signature"), body, state.args.tolerance
        )
        key = self.headers.get("Idempotency-Key")
        with state.lock:
            duplicate = key is not None and key in state.delivered_keys
            if len(parts) >= 2 and parts[0] == "status":
                status = int(parts[1])
            elif state.responses:
                status = state.responses.pop(0)
            else:
                status = 200
            if state.args.reject_invalid and signature != "valid":
                status = 401
            if 200 <= status < 300 and key is not None:
                state.delivered_keys.add(key)
            record = {
                "method": self.command,
                "path": self.path,
                "headers": {k.lower(): v for k, v in self.headers.items()},
                "body": body.decode("utf-8", "replace"),
                "signature": signature,
                "duplicate": duplicate,
                "status": status,
            }
            with open(state.args.log, "a", encoding="utf-8") as out:
                out.write(json.dumps(record) + "\n")
        reply = json.dumps({"status": status, "duplicate": duplicate}).encode()
        if state.args.reply_bytes:
            reply = b"x" * state.args.reply_bytes
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(reply)))
        if status in (429, 503) and state.args.retry_after:
            self.send_header("Retry-After", state.args.retry_after)
        if 300 <= status < 400:
            self.send_header("Location", "http://127.0.0.1:9/elsewhere")
        self.end_headers()
        self.wfile.write(reply)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--log", required=True, help="append one JSON line per request here")
    parser.add_argument("--secret-file", help="verify signatures with this secret")
    parser.add_argument("--responses", default="", help="status codes to answer, in order")
    parser.add_argument("--retry-after", help="Retry-After value for 429 and 503")
    parser.add_argument("--tolerance", type=float, default=300.0)
    parser.add_argument("--reject-invalid", action="store_true")
    parser.add_argument("--reply-bytes", type=int, default=0, help="answer with this many bytes")
    args = parser.parse_args()

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    server.state = State(args)
    print(f"PORT {server.server_address[1]}", flush=True)

    threading.Thread(target=server.serve_forever, daemon=True).start()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())

    def watch_stdin():
        # os.read on the raw descriptor: a daemon thread blocked in sys.stdin's buffered
        # reader would abort the interpreter at exit.
        try:
            while os.read(0, 4096):
                pass
        except OSError:
            pass
        stop.set()

    threading.Thread(target=watch_stdin, daemon=True).start()
    stop.wait()
    server.shutdown()
    server.server_close()
    sys.stdout.flush()
    os._exit(0)


if __name__ == "__main__":
    main()
