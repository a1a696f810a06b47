"""The real daemon killed with SIGKILL: `chuhai run` polls four feeds on a loopback nginx that
keep growing (two of them carry some of the same articles) and is killed at random moments,
several times. After each kill the database passes `chuhai db check`, holds no article twice and
no source's item twice, and the daemon starts again and reports READY=1; at the end every article
of every feed is stored exactly once, shared articles carry both feeds' sightings, and SIGTERM
ends the daemon with status 0. (tests/store/crash_test.cc kills a writer of the store itself 36
times.)"""

import os
import random
import shutil
import signal
import socket
import sqlite3
import subprocess
import time

import harness

RULES = os.path.join(harness.SOURCE_DIR, "rules")
FEEDS = 4
KILLS = 6

FEED_HEAD = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>Crash feed {n}</title><link>https://feed{n}.example.test/</link>
<description>fixture</description>
"""
ITEM = """<item><title>{title}</title><link>{link}</link><guid>{guid}</guid>
<description>{text}</description></item>
"""


def articles_of(feed, rounds):
    """The articles feed `feed` carries after `rounds` rounds: five new ones a round. Feed 1 also
    carries every third article of feed 0 under its own guid, the same link."""
    items = []
    for r in range(rounds + 1):
        for i in range(5):
            n = r * 5 + i
            items.append({"title": f"Feed {feed} article {n}: Alibaba Cloud region number {n} opens",
                          "link": f"https://news{feed}.example.test/a/{n}", "guid": f"f{feed}-{n}",
                          "text": f"Article {n} of feed {feed}, about cloud region {n} abroad."})
            if feed == 1 and n % 3 == 0:
                items.append({"title": f"Feed 0 article {n}: Alibaba Cloud region number {n} opens",
                              "link": f"https://news0.example.test/a/{n}", "guid": f"f1-copy-{n}",
                              "text": f"Article {n} of feed 0, about cloud region {n} abroad."})
    return items


def write_feeds(www, rounds):
    for feed in range(FEEDS):
        path = os.path.join(www, f"feed{feed}.xml")
        body = FEED_HEAD.format(n=feed) + "".join(ITEM.format(**i) for i in articles_of(feed, rounds))
        with open(path, "w") as out:
            out.write(body + "</channel></rss>\n")
        # nginx's Last-Modified has whole seconds: move it on so that the change is seen.
        later = time.time() + 10 * (rounds + 1)
        os.utime(path, (later, later))


def expected_links(rounds):
    return {a["link"] for feed in range(FEEDS) for a in articles_of(feed, rounds)}


def query(db, sql):
    con = sqlite3.connect(db, timeout=10)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def check_database(f, db, when):
    result = harness.run_chuhai("db", "check", "--db", db)
    f.check(result.returncode == 0, f"{when}: chuhai db check: {result.stdout}{result.stderr}")
    f.equal(query(db, "SELECT link, count(*) FROM items GROUP BY link HAVING count(*) > 1"), [],
            f"{when}: articles stored twice")
    f.equal(query(db, "SELECT source_id, item_key, count(*) FROM items "
                      "GROUP BY source_id, item_key HAVING count(*) > 1"), [],
            f"{when}: a source's items stored twice")
    f.equal(query(db, "SELECT count(*) FROM items i WHERE NOT EXISTS "
                      "(SELECT 1 FROM sightings g WHERE g.item_id = i.id)"), [(0,)],
            f"{when}: items without a sighting")


class Notifications:
    def __init__(self, path):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(path)

    def wait_for(self, text, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.sock.settimeout(max(0.05, deadline - time.monotonic()))
            try:
                if text in self.sock.recv(4096).decode():
                    return True
            except socket.timeout:
                break
        return False

    def drain(self):
        self.sock.setblocking(False)
        try:
            while True:
                self.sock.recv(4096)
        except BlockingIOError:
            pass
        self.sock.setblocking(True)


def main():
    f = harness.Failures()
    rng = random.Random(20250624)
    with harness.scratch_dir() as tmp:
        www = os.path.join(tmp, "www")
        os.makedirs(www)
        write_feeds(www, 0)
        rules = os.path.join(tmp, "rules")
        shutil.copytree(RULES, rules)
        db = os.path.join(tmp, "chuhai.db")
        notify_path = os.path.join(tmp, "notify.sock")
        notify = Notifications(notify_path)
        env = dict(os.environ, NOTIFY_SOCKET=notify_path)
        env.pop("CHUHAI_CONFIG", None)
        with harness.Nginx(www) as nginx:
            config = harness.write_config(
                os.path.join(tmp, "chuhai.yaml"), db, rules,
                [{"url": nginx.url(f"feed{n}.xml"), "name": f"Feed {n}"} for n in range(FEEDS)],
                extra="fetch:\n  interval: 1s\n  min_interval: 1s\n  first_poll_spread: 0s\n  jitter: 0\n")
            log = open(os.path.join(tmp, "daemon.log"), "w+")

            def start():
                notify.drain()
                daemon = subprocess.Popen([harness.BIN, "run", "--config", config],
                                          stdout=log, stderr=log, env=env)
                f.check(notify.wait_for("READY=1", 20), "the daemon starts again and reports READY=1")
                return daemon

            kills = 0
            for round_ in range(1, KILLS + 1):
                daemon = start()
                # Some kills land while a poll's items are being written, some between polls.
                time.sleep(rng.uniform(0.05, 2.5))
                daemon.send_signal(signal.SIGKILL)
                kills += daemon.wait(timeout=10) == -signal.SIGKILL
                check_database(f, db, f"after kill {round_}")
                print(f"kill {round_}: {query(db, 'SELECT count(*) FROM items')[0][0]} items, "
                      f"{query(db, 'SELECT count(*) FROM fetches')[0][0]} fetches stored")
                write_feeds(www, round_)
            f.equal(kills, KILLS, "kills that ended the daemon")

            # Once more, to the end: everything the feeds carry is stored exactly once.
            daemon = start()
            want = expected_links(KILLS)
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                have = {row[0] for row in query(db, "SELECT link FROM items")}
                if want <= have:
                    break
                time.sleep(0.2)
            have = {row[0] for row in query(db, "SELECT link FROM items")}
            f.equal(sorted(want - have), [], "articles never stored")
            f.equal(sorted(have - want), [], "articles no feed carries")
            shared = query(db, "SELECT count(*) FROM items i WHERE i.link LIKE 'https://news0.%' AND "
                               "(SELECT count(*) FROM sightings g WHERE g.item_id = i.id) = 2")
            f.equal(shared[0][0], len([a for a in articles_of(1, KILLS) if "news0." in a["link"]]),
                    "articles of feed 0 that feed 1 carries too, with both sightings")
            daemon.send_signal(signal.SIGTERM)
            f.equal(daemon.wait(timeout=20), 0, "exit status after SIGTERM")
            check_database(f, db, "at the end")
            log.seek(0)
            if f.messages:
                print("--- daemon log\n" + log.read())
            log.close()
    f.finish()


if __name__ == "__main__":
    main()
