#!/usr/bin/python3
"""The peer for BM_PrepareEmail: Python's standard email package building the same kind of
message (multipart/alternative, UTF-8 text and HTML, encoded subject) from bodies of the same
size. Run as
    build/tests/bench/digest/digest_bench --write-parts=/tmp
    /usr/bin/python3 tests/bench/digest/mime_peer.py /tmp/digest.txt /tmp/digest.html
Prints the median CPU time (time.process_time, like Google Benchmark's CPU column) of 7 runs.
"""

import statistics
import sys
import time
from email.message import EmailMessage
from email.policy import SMTP


def build(text, html):
    msg = EmailMessage(policy=SMTP)
    msg["From"] = "chuhai <digest@example.org>"
    msg["To"] = "alice@example.com"
    msg["Subject"] = "chuhai digest: daily-en, 2025-07-02 (50 stories)"
    msg["Message-ID"] = "<daily-en-20250701t000000z@example.org>"
    msg.set_content(text)
    msg.add_alternative(html, subtype="html")
    return msg.as_bytes()


def main():
    text = open(sys.argv[1], encoding="utf-8").read()
    html = open(sys.argv[2], encoding="utf-8").read()
    runs = []
    for _ in range(7):
        n = 0
        start = time.process_time()
        while time.process_time() - start < 0.5:
            build(text, html)
            n += 1
        runs.append((time.process_time() - start) / n)
    size = len(build(text, html))
    print(f"python email: {statistics.median(runs) * 1e6:.0f} us CPU per message, {size} bytes")


if __name__ == "__main__":
    main()
