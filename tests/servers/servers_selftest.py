#!/usr/bin/python3
"""Checks that the test peers work when used from Python, the way integration tests use them:
nginx_server.NginxServer as a context manager (ETag, 304, gzip) and scripted_http_server.py as a
child process (PORT line, scripts, request log, exit when stdin closes)."""

import gzip
import json
import os
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from nginx_server import NginxServer  # noqa: E402

FEED = b'<?xml version="1.0"?><rss version="2.0"><channel><title>self test</title>' + \
    b"<item><title>x</title></item>" * 100 + b"</channel></rss>"


# Loopback only: never through a proxy from the environment.
OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def get(url, headers=None):
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with OPENER.open(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def check_nginx():
    with tempfile.TemporaryDirectory() as root:
        with open(os.path.join(root, "feed.rss"), "wb") as f:
            f.write(FEED)
        with NginxServer(root, hosts=2) as nginx:
            status, headers, body = get(nginx.url("feed.rss", host=2),
                                        {"Accept-Encoding": "gzip"})
            assert status == 200, status
            assert headers.get("Content-Encoding") == "gzip", headers
            assert gzip.decompress(body) == FEED
            etag = headers["ETag"]
            status, _, body = get(nginx.url("feed.rss"), {"If-None-Match": etag,
                                                          "Accept-Encoding": "gzip"})
            assert status == 304 and body == b"", (status, body)
            prefix = nginx.prefix
        assert not os.path.exists(prefix), "nginx's folder is removed on exit"


def check_scripted():
    server = subprocess.Popen([sys.executable, os.path.join(HERE, "scripted_http_server.py")],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        line = server.stdout.readline()
        assert line.startswith("PORT "), line
        base = "http://127.0.0.1:%d" % int(line.split()[1])
        status, headers, _ = get(base + "/status/429?retry-after=30")
        assert status == 429 and headers.get("Retry-After") == "30", (status, headers)
        status, _, body = get(base + "/text?body=hi")
        assert status == 200 and body == b"hi"
        status, _, body = get(base + "/requests")
        paths = [r["path"] for r in json.loads(body)]
        assert paths == ["/status/429?retry-after=30", "/text?body=hi"], paths
    finally:
        server.stdin.close()  # the server exits at EOF
        assert server.wait(timeout=10) == 0


if __name__ == "__main__":
    check_nginx()
    check_scripted()
    print("test servers ok")
