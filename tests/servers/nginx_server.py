#!/usr/bin/python3
"""Runs the Debian nginx on 127.0.0.1 (and optionally 127.0.0.2 ... 127.0.0.N) at a free port, from
its own configuration in a fresh temporary folder, serving one folder of files with real ETag,
Last-Modified, conditional GET (304) and gzip.

As a module (Python integration tests):

    from nginx_server import NginxServer
    with NginxServer(root="/path/to/feeds") as nginx:
        url = nginx.url("feed.xml")          # http://127.0.0.1:PORT/feed.xml

As a program (C++ tests, benchmarks):

    /usr/bin/python3 nginx_server.py --root DIR [--hosts N] [--workers N] [--no-access-log]
                                     [--no-gzip]

prints "PORT <n>" and "PREFIX <dir>" on stdout once nginx answers, and stops nginx and removes the
folder when stdin reaches EOF (pass --ignore-stdin to wait for SIGTERM/SIGINT only).
"""

import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

NGINX = "/usr/sbin/nginx"

CONFIG = """\
worker_processes {workers};
worker_rlimit_nofile 65536;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
{user}
events {{
    worker_connections 8192;
}}
http {{
    {access_log}
    client_body_temp_path {prefix}/tmp/body;
    proxy_temp_path {prefix}/tmp/proxy;
    fastcgi_temp_path {prefix}/tmp/fastcgi;
    uwsgi_temp_path {prefix}/tmp/uwsgi;
    scgi_temp_path {prefix}/tmp/scgi;
    types {{
        application/rss+xml rss;
        application/atom+xml atom;
        application/rdf+xml rdf;
        application/xml xml opml;
        application/feed+json json;
        text/plain txt;
    }}
    default_type application/octet-stream;
    sendfile on;
    tcp_nopush on;
    keepalive_timeout 65;
    keepalive_requests 100000;
    {open_file_cache}
    gzip {gzip};
    gzip_min_length 256;
    gzip_types application/rss+xml application/atom+xml application/rdf+xml application/xml
               application/feed+json text/plain;
    server {{
{listen}
        root {root};
        location / {{ }}
    }}
}}
"""


def _free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class NginxServer:
    def __init__(self, root, hosts=1, workers=1, access_log=True, gzip=True, file_cache=False):
        if not 1 <= hosts <= 254:
            raise ValueError("hosts must be within 1..254")
        self.root = os.path.abspath(root)
        self.hosts = hosts
        self.workers = workers
        self.access_log = access_log
        self.gzip = gzip
        # nginx's open-file cache keeps a file's size and mtime for a minute: right for the
        # benchmarks, wrong for tests that change a feed between two polls.
        self.file_cache = file_cache
        self.prefix = None
        self.port = None
        self._process = None

    # The nginx port is chosen by binding port 0 and releasing it; another process may grab it in
    # between, so a start that fails with "Address already in use" is retried on a new port.
    def start(self, attempts=8):
        self.prefix = tempfile.mkdtemp(prefix="chuhai-nginx-")
        os.makedirs(os.path.join(self.prefix, "tmp"))
        try:
            for _ in range(attempts):
                if self._try_start(_free_port()):
                    return self
            raise RuntimeError("nginx did not start: " + self._error_log())
        except BaseException:
            self.stop()
            raise

    def _try_start(self, port):
        listen = "\n".join("        listen 127.0.0.%d:%d;" % (i, port)
                           for i in range(1, self.hosts + 1))
        config = CONFIG.format(
            workers=self.workers, prefix=self.prefix, root=self.root, listen=listen,
            gzip="on" if self.gzip else "off",
            open_file_cache="open_file_cache max=50000 inactive=60s;" if self.file_cache else "",
            user="user root;" if os.geteuid() == 0 else "",
            access_log=("access_log %s/access.log;" % self.prefix) if self.access_log
            else "access_log off;")
        config_path = os.path.join(self.prefix, "nginx.conf")
        with open(config_path, "w") as f:
            f.write(config)
        error_log = os.path.join(self.prefix, "error.log")
        if os.path.exists(error_log):
            os.remove(error_log)
        self._process = subprocess.Popen(
            [NGINX, "-p", self.prefix, "-c", config_path, "-e", error_log, "-g", "daemon off;"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                self._process = None
                if "Address already in use" in self._error_log():
                    return False
                raise RuntimeError("nginx exited: " + self._error_log())
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    self.port = port
                    return True
            except OSError:
                time.sleep(0.02)
        raise RuntimeError("nginx did not answer within 10 s: " + self._error_log())

    def _error_log(self):
        try:
            with open(os.path.join(self.prefix, "error.log")) as f:
                return f.read()[-2000:]
        except OSError:
            return "(no error log)"

    def url(self, path, host=1):
        return "http://127.0.0.%d:%d/%s" % (host, self.port, path.lstrip("/"))

    def access_log_path(self):
        return os.path.join(self.prefix, "access.log")

    def stop(self):
        if self._process is not None:
            self._process.send_signal(signal.SIGQUIT)  # graceful: finish requests, then exit
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
            self._process = None
        if self.prefix:
            shutil.rmtree(self.prefix, ignore_errors=True)
            self.prefix = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


def main():
    parser = argparse.ArgumentParser(description="nginx on loopback for tests and benchmarks")
    parser.add_argument("--root", required=True, help="folder to serve")
    parser.add_argument("--hosts", type=int, default=1, help="listen on 127.0.0.1..127.0.0.N")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--no-access-log", action="store_true")
    parser.add_argument("--no-gzip", action="store_true", help="send every body as it is")
    parser.add_argument("--ignore-stdin", action="store_true")
    args = parser.parse_args()

    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    signal.signal(signal.SIGINT, lambda *_: done.set())
    server = NginxServer(args.root, hosts=args.hosts, workers=args.workers,
                         access_log=not args.no_access_log, gzip=not args.no_gzip)
    server.start()
    try:
        print("PORT %d" % server.port, flush=True)
        print("PREFIX %s" % server.prefix, flush=True)
        if not args.ignore_stdin:
            def watch_stdin():
                try:
                    while sys.stdin.buffer.read(4096):
                        pass
                except OSError:
                    pass
                done.set()
            threading.Thread(target=watch_stdin, daemon=True).start()
        while not done.wait(0.5):
            pass
    finally:
        server.stop()


if __name__ == "__main__":
    main()
