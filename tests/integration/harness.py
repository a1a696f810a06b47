"""Shared pieces of chuhai's integration tests: the real binary, real servers on 127.0.0.1.

Every test script imports this module, gets the paths from the environment ctest sets
(CHUHAI_BIN, CHUHAI_SOURCE_DIR, CHUHAI_SHARED_DIR, CHUHAI_BUILD_DIR) and exits 77 to report a
skip.
"""

import contextlib
import json
import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.request

BIN = os.environ.get("CHUHAI_BIN", "")
SOURCE_DIR = os.environ.get("CHUHAI_SOURCE_DIR", os.path.abspath(os.path.join(os.path.dirname(__file__), "../..")))
SHARED_DIR = os.environ.get("CHUHAI_SHARED_DIR", os.path.join(SOURCE_DIR, "..", "shared"))
FIXTURES = os.path.join(SOURCE_DIR, "tests", "fixtures")
SKIP = 77


def skip(reason):
    print(f"SKIP: {reason}")
    sys.exit(SKIP)


def free_port():
    """A port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.settimeout(0.2)
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port} after {timeout}s")


def wait_until(predicate, timeout, what):
    """Polls `predicate` every 0.1 s; raises AssertionError naming `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


@contextlib.contextmanager
def scratch_dir(prefix="chuhai-it-"):
    path = tempfile.mkdtemp(prefix=prefix)
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


sys.path.insert(0, os.path.join(SOURCE_DIR, "tests", "servers"))
from nginx_server import NginxServer  # noqa: E402  (tests/servers, shared with the C++ tests)


class Nginx(NginxServer):
    """nginx serving `docroot` on 127.0.0.1 with real ETag, Last-Modified and gzip."""

    def __init__(self, docroot):
        if not os.path.exists("/usr/sbin/nginx"):
            skip("nginx is not installed")
        super().__init__(root=docroot)
        self.start()

    def read_access_log(self):
        with open(self.access_log_path()) as f:
            return f.read()


class Scripted:
    """tests/servers/scripted_http_server.py on 127.0.0.1 (HTTPS with tls=True): a feed server that
    misbehaves as each request's path says (see the script's docstring). `root` is served under
    /file/."""

    def __init__(self, root=None, tls=False):
        argv = ["/usr/bin/python3", os.path.join(SOURCE_DIR, "tests", "servers", "scripted_http_server.py")]
        if root:
            argv += ["--root", root]
        if tls:
            argv.append("--tls")
        self.scheme = "https" if tls else "http"
        self.process = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        line = self.process.stdout.readline()
        if not line.startswith("PORT "):
            self.close()
            raise RuntimeError(f"the scripted server did not start: {line!r}")
        self.port = int(line.split()[1])

    def url(self, path, host="127.0.0.1"):
        return f"{self.scheme}://{host}:{self.port}{path}"

    def requests(self):
        """Every request seen so far, oldest first: dicts with method, path and headers."""
        context = ssl._create_unverified_context() if self.scheme == "https" else None
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}),
                                             urllib.request.HTTPSHandler(context=context))
        with opener.open(self.url("/requests"), timeout=10) as response:
            return json.load(response)

    def count(self, path):
        return sum(1 for r in self.requests() if r["path"] == path)

    def close(self):
        if self.process.poll() is None:
            self.process.stdin.close()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process.stdout.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def run_chuhai(*args, timeout=120, check=None, env=None):
    """Runs the real binary; returns CompletedProcess with text stdout/stderr.

    `check` is the expected exit status (None: don't check)."""
    if not BIN:
        raise RuntimeError("CHUHAI_BIN is not set (run through ctest)")
    full_env = dict(os.environ)
    full_env.pop("CHUHAI_CONFIG", None)
    if env:
        full_env.update(env)
    result = subprocess.run([BIN, *args], capture_output=True, text=True, timeout=timeout, env=full_env)
    if check is not None and result.returncode != check:
        raise AssertionError(
            f"chuhai {' '.join(args)} exited {result.returncode}, expected {check}\n"
            f"--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}")
    return result


def write_config(path, database, rules, sources, extra=""):
    """Writes a config with the given sources: a list of dicts with url and optionally name, tags,
    timezone, interval and insecure_skip_tls_verify."""
    lines = [f"database: {database}", f"rules: {rules}", "sources:"]
    for s in sources:
        lines.append(f"  - url: {s['url']}")
        if "name" in s:
            lines.append(f"    name: \"{s['name']}\"")
        if "tags" in s:
            lines.append(f"    tags: [{', '.join(s['tags'])}]")
        for key in ("timezone", "interval", "insecure_skip_tls_verify"):
            if key in s:
                lines.append(f"    {key}: {s[key]}")
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n" + extra)
    return path


class Failures:
    """Collects failed checks so one run reports all of them."""

    def __init__(self):
        self.messages = []

    def check(self, condition, message):
        if not condition:
            self.messages.append(message)
            print(f"FAIL: {message}")
        return condition

    def equal(self, actual, expected, what):
        return self.check(actual == expected, f"{what}: expected {expected!r}, got {actual!r}")

    def finish(self):
        if self.messages:
            print(f"{len(self.messages)} check(s) failed")
            sys.exit(1)
        print("all checks passed")
        sys.exit(0)
