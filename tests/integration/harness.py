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


def stop_child(process):
    """Ends a server started with its stdin on a pipe: closing the pipe asks it to exit; one that
    has not within 10 s is killed."""
    if process.poll() is None:
        process.stdin.close()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


class ScriptedServer:
    """tests/servers/scripted_http_server.py on 127.0.0.1 as a child process (HTTPS with
    tls=True): 404, 410, 500, redirects, hangs and inline feeds by URL (see its docstring), `root`
    served under /file/, and the log of the requests it saw. It exits when this object closes its
    stdin, so a test that dies takes it along."""

    def __init__(self, root=None, tls=False):
        command = ["/usr/bin/python3", os.path.join(SOURCE_DIR, "tests", "servers", "scripted_http_server.py")]
        if root:
            command += ["--root", root]
        if tls:
            command.append("--tls")
        self.scheme = "https" if tls else "http"
        self.process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        line = self.process.stdout.readline()
        if not line.startswith("PORT "):
            self.close()
            raise RuntimeError(f"the scripted server did not start: {line!r}")
        self.port = int(line.split()[1])

    def url(self, path, host="127.0.0.1"):
        return f"{self.scheme}://{host}:{self.port}{path}"

    def request_log(self):
        """Every request so far, in order: dicts with method, path (with the query string) and
        headers (names in lower case)."""
        context = ssl._create_unverified_context() if self.scheme == "https" else None
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}),
                                             urllib.request.HTTPSHandler(context=context))
        with opener.open(self.url("/requests"), timeout=10) as response:
            return json.load(response)

    def requests(self):
        """The paths (with query strings) requested so far, in order."""
        return [r["path"] for r in self.request_log()]

    def count(self, path):
        return self.requests().count(path)

    def close(self):
        stop_child(self.process)
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


class Daemon:
    """`chuhai run` in the background, its stderr and stdout in a log file; killed on exit if
    still running."""

    def __init__(self, config, log_path, args=(), env=None):
        full_env = dict(os.environ)
        full_env.pop("CHUHAI_CONFIG", None)
        full_env.update(env or {})
        self.log_path = log_path
        self.log = open(log_path, "w+")
        self.process = subprocess.Popen([BIN, *args, "run", "--config", config], stdout=self.log,
                                        stderr=self.log, env=full_env)

    def log_text(self):
        with open(self.log_path) as f:
            return f.read()

    def wait_for_log(self, text, timeout, what=None):
        wait_until(lambda: text in self.log_text(), timeout, what or f"{text!r} in the daemon's log")

    def signal(self, number):
        self.process.send_signal(number)

    def stop(self, timeout=10):
        """SIGTERM; returns the exit status."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=timeout)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self.log.close()


def write_config(path, database, rules, sources, extra="", shipped_corpus=False):
    """Writes a config with the given sources: a list of dicts with url and optionally name, tags,
    timezone, interval, enabled and insecure_skip_tls_verify. Without shipped_corpus the database
    holds only the news the test serves (the shipped corpus has tests of its own: demo_test.py
    and tests/app/reference_corpus_test.cc)."""
    lines = [f"database: {database}", f"rules: {rules}", "sources:" if sources else "sources: []"]
    for s in sources:
        lines.append(f"  - url: {s['url']}")
        if "name" in s:
            lines.append(f"    name: \"{s['name']}\"")
        if "tags" in s:
            lines.append(f"    tags: [{', '.join(s['tags'])}]")
        for key in ("timezone", "interval", "enabled", "insecure_skip_tls_verify"):
            if key in s:
                lines.append(f"    {key}: {s[key]}")
    # Last, so that the line numbers of the sources and of `extra` stay as the tests count them.
    tail = "" if shipped_corpus else "store:\n  shipped_corpus: false\n"
    if extra and not extra.endswith("\n"):
        extra += "\n"
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n" + extra + tail)
    return path


# A rule file with a typo ('anny' for 'any') on line 7, column 7: refused whole.
BROKEN_RULE = """rules:
  - id: broken-rule
    title: A typo
    topic: testing
    score: 1
    match:
      anny: ["zebracorn"]
"""

RSS_HEAD = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>{title}</title><link>https://{host}/</link>
<description>fixture</description>
"""
RSS_ITEM = """<item><title>{title}</title><link>https://{host}/{slug}</link><guid>{slug}</guid>
<description>{text}</description></item>
"""


def write_rss(path, items, title="Fixture Feed", host="fixture.example.test"):
    """Writes an RSS 2.0 feed of `items` (dicts with title, slug, text) for nginx to serve, and
    moves its modification time on so that nginx's whole-second Last-Modified changes too."""
    body = RSS_HEAD.format(title=title, host=host) + \
        "".join(RSS_ITEM.format(host=host, **i) for i in items) + "</channel></rss>\n"
    before = os.stat(path).st_mtime if os.path.exists(path) else time.time()
    with open(path, "w") as out:
        out.write(body)
    later = max(time.time(), before) + 2
    os.utime(path, (later, later))


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


SERVERS = os.path.join(SOURCE_DIR, "tests", "servers")
DEBIAN_PYTHON = "/usr/bin/python3"


class Peer:
    """A test server from tests/servers/ (smtp_server.py, webhook_receiver.py) run with Debian's
    Python: it prints "PORT n" once it listens and exits when its stdin closes, so it never
    outlives the test. Use as a context manager."""

    def __init__(self, script, *args):
        if not os.path.exists(DEBIAN_PYTHON):
            skip(f"{DEBIAN_PYTHON} is not installed")
        self.process = subprocess.Popen([DEBIAN_PYTHON, os.path.join(SERVERS, script), *map(str, args)],
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        line = self.process.stdout.readline()
        if not line.startswith("PORT "):
            self.stop()
            if "aiosmtpd" in script or script == "smtp_server.py":
                skip(f"{script} did not start (is python3-aiosmtpd installed?)")
            raise RuntimeError(f"{script} did not start: {line!r}")
        self.port = int(line.split()[1])

    def stop(self):
        stop_child(self.process)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def make_certificate(folder):
    """A self-signed certificate for 127.0.0.1 and localhost; returns (cert, key) paths."""
    cert = os.path.join(folder, "cert.pem")
    key = os.path.join(folder, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
                    "-keyout", key, "-out", cert], check=True, capture_output=True)
    return cert, key


def write_private(path, text):
    """A file only its owner can read, as a password file must be."""
    with open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as f:
        f.write(text)
    return path


def write_rss_entries(path, title, items):
    """An RSS 2.0 feed of `items` (dicts with title, link, guid, description; text is escaped
    here, `title_xml` is inserted as it is). Its modification time moves on by a minute each time
    it is written, so that nginx's Last-Modified (whole seconds) always shows the change."""
    from xml.sax.saxutils import escape
    parts = ['<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0"><channel>',
             f"<title>{escape(title)}</title><link>https://{title.lower()}.example.test/</link>",
             "<description>integration fixture</description>"]
    for item in items:
        item_title = item.get("title_xml", escape(item.get("title", "")))
        parts.append(f"<item><title>{item_title}</title><link>{escape(item['link'])}</link>"
                     f"<guid isPermaLink=\"false\">{escape(item['guid'])}</guid>"
                     f"<description>{escape(item.get('description', ''))}</description></item>")
    parts.append("</channel></rss>\n")
    previous = os.path.getmtime(path) if os.path.exists(path) else time.time()
    with open(path, "w", encoding="utf-8") as out:
        out.write("\n".join(parts))
    later = max(previous, time.time()) + 60
    os.utime(path, (later, later))
    return path


def read_maildir(folder):
    """The messages an smtp_server.py stored, parsed with Python's email package (oldest first),
    and its envelope records."""
    import email
    import email.policy
    import json
    import mailbox
    if not os.path.isdir(folder):
        return [], []
    box = mailbox.Maildir(folder, create=False)
    envelopes = []
    path = os.path.join(folder, "envelopes.jsonl")
    if os.path.exists(path):
        with open(path, encoding="utf-8") as f:
            envelopes = [json.loads(line) for line in f if line.strip()]
    by_key = {}
    for key in box.keys():
        with box.get_file(key) as f:
            by_key[key] = email.message_from_bytes(f.read(), policy=email.policy.default)
    messages = [by_key[e["key"]] for e in envelopes if e["key"] in by_key]
    return messages, envelopes


def mail_parts(message):
    """(plain text, HTML) of a multipart/alternative message, with LF line ends."""
    text = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    def content(part):
        return part.get_content().replace("\r\n", "\n") if part else ""
    return content(text), content(html)
