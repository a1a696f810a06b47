"""`chuhai run` as systemd runs it: NOTIFY_SOCKET gets READY=1, STATUS= after a cycle and
WATCHDOG=1 pings; SIGHUP reloads (a changed rule takes effect on the next cycle, a broken rule
file is refused and the old rules stay); SIGTERM ends it with status 0 within 5 s."""

import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import time

import harness

RULES = os.path.join(harness.SOURCE_DIR, "rules")

FEED_HEAD = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>Daemon Fixture</title><link>https://daemon.example.test/</link>
<description>fixture</description>
"""
ITEM = """<item><title>{title}</title><link>https://daemon.example.test/{slug}</link><guid>{slug}</guid>
<description>{text}</description></item>
"""

WATCH_RULE = """rules:
  - id: zebracorn-watch
    title: The zebracorn test rule
    topic: testing
    score: 100
    match:
      any: ["zebracorn"]
"""

BROKEN_RULE = """rules:
  - id: broken-rule
    title: A typo
    topic: testing
    score: 1
    match:
      anny: ["zebracorn"]
"""


def write_feed(path, items):
    body = FEED_HEAD + "".join(ITEM.format(**i) for i in items) + "</channel></rss>\n"
    with open(path, "w") as out:
        out.write(body)
    # nginx's Last-Modified has whole seconds: move it on so that the change is seen.
    later = time.time() + len(items) * 10
    os.utime(path, (later, later))


class Notifications:
    """The datagram socket systemd would listen on."""

    def __init__(self, path):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(path)
        self.messages = []

    def wait_for(self, predicate, timeout, what):
        deadline = time.monotonic() + timeout
        for m in self.messages:
            if predicate(m):
                return m
        while time.monotonic() < deadline:
            self.sock.settimeout(max(0.05, deadline - time.monotonic()))
            try:
                data = self.sock.recv(4096).decode()
            except socket.timeout:
                break
            self.messages.append(data)
            if predicate(data):
                return data
        raise AssertionError(f"no notification {what} within {timeout}s; got {self.messages}")


def matched_rules(db, slug):
    con = sqlite3.connect(db)
    try:
        return {r[0] for r in con.execute(
            "SELECT m.rule_id FROM matches m JOIN items i ON i.id = m.item_id WHERE i.link LIKE ?",
            (f"%/{slug}",))}
    finally:
        con.close()


wait_until = harness.wait_until


def main():
    f = harness.Failures()
    with harness.scratch_dir() as tmp:
        www = os.path.join(tmp, "www")
        os.makedirs(www)
        feed = os.path.join(www, "feed.xml")
        items = [{"title": "Alibaba Cloud opens a data centre in Mexico", "slug": "a1",
                  "text": "The Mexican cloud region will serve Latin American customers with Qwen models."}]
        write_feed(feed, items)
        rules = os.path.join(tmp, "rules")
        shutil.copytree(RULES, rules)
        db = os.path.join(tmp, "chuhai.db")
        with harness.Nginx(www) as nginx:
            config = harness.write_config(
                os.path.join(tmp, "chuhai.yaml"), db, rules, [{"url": nginx.url("feed.xml"), "name": "Daemon Feed"}],
                extra="fetch:\n  interval: 1s\n  min_interval: 1s\n  first_poll_spread: 0s\n  jitter: 0\n")
            notify = Notifications(os.path.join(tmp, "notify.sock"))
            env = dict(os.environ, NOTIFY_SOCKET=os.path.join(tmp, "notify.sock"), WATCHDOG_USEC="1000000")
            env.pop("CHUHAI_CONFIG", None)
            log = open(os.path.join(tmp, "daemon.log"), "w+")
            daemon = subprocess.Popen([harness.BIN, "run", "--config", config], stdout=log, stderr=log, env=env)
            try:
                notify.wait_for(lambda m: "READY=1" in m, 10, "READY=1")
                notify.wait_for(lambda m: "WATCHDOG=1" in m, 3, "WATCHDOG=1")
                notify.wait_for(lambda m: m.startswith("STATUS=") and "sources" in m, 10, "a STATUS after a cycle")
                wait_until(lambda: matched_rules(db, "a1"), 10, "the first item stored and matched")

                # A new rule, then SIGHUP: the next item is matched by it.
                with open(os.path.join(rules, "topics", "zz-test.yaml"), "w") as out:
                    out.write(WATCH_RULE)
                daemon.send_signal(signal.SIGHUP)
                notify.wait_for(lambda m: "RELOADING=1" in m, 5, "RELOADING=1")
                wait_until(lambda: "zebracorn-watch" in open(log.name).read() or "reloaded" in open(log.name).read(),
                           5, "the rules reloaded")
                time.sleep(0.5)  # the watcher's debounce
                items.append({"title": "Zebracorn sighting reported", "slug": "z1", "text": "A zebracorn was seen."})
                write_feed(feed, items)
                wait_until(lambda: "zebracorn-watch" in matched_rules(db, "z1"), 15,
                           "the new rule to match the next item")

                # A broken rule file is refused whole; the rules in force stay.
                with open(os.path.join(rules, "topics", "zz-broken.yaml"), "w") as out:
                    out.write(BROKEN_RULE)
                daemon.send_signal(signal.SIGHUP)
                wait_until(lambda: "refused" in open(log.name).read(), 10, "the broken rules refused")
                log_text = open(log.name).read()
                f.check("zz-broken.yaml:7:" in log_text, f"the refusal names FILE:LINE:COL:\n{log_text}")
                items.append({"title": "Second zebracorn sighting", "slug": "z2", "text": "Another zebracorn."})
                write_feed(feed, items)
                wait_until(lambda: "zebracorn-watch" in matched_rules(db, "z2"), 15,
                           "the old rules to keep matching")
                f.check(daemon.poll() is None, "the daemon keeps running after a bad edit")

                # SIGTERM: status 0 within 5 s.
                started = time.monotonic()
                daemon.send_signal(signal.SIGTERM)
                status = daemon.wait(timeout=10)
                elapsed = time.monotonic() - started
                f.equal(status, 0, "exit status after SIGTERM")
                f.check(elapsed < 5, f"stopped within 5 s (took {elapsed:.1f} s)")
                f.check(any("STOPPING=1" in m for m in notify.messages) or
                        notify.wait_for(lambda m: "STOPPING=1" in m, 1, "STOPPING=1"), "STOPPING=1 sent")
            except AssertionError as e:
                f.check(False, str(e))
            finally:
                if daemon.poll() is None:
                    daemon.kill()
                    daemon.wait()
                log.seek(0)
                if f.messages:
                    print("--- daemon log\n" + log.read())
                log.close()
    f.finish()


if __name__ == "__main__":
    main()
