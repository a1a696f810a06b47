"""`chuhai run` as systemd runs it: NOTIFY_SOCKET gets READY=1, STATUS= after a cycle and
WATCHDOG=1 pings; SIGTERM ends it with status 0 within 5 s.

SIGHUP, in ways only SIGHUP can explain (the rules folder in force is watched, so editing it would
reload without any signal; here the configuration names another folder instead):
  - a new rules folder takes effect, logged by the reload path, and matches the next item;
  - a folder with a broken rule file is refused with FILE:LINE:COL and the rules in force stay;
  - a broken configuration is refused with FILE:LINE:COL and the running one stays;
  - a source added with `chuhai sources add` meanwhile is polled after the next SIGHUP, and one
    disabled by a 410 and enabled again with `chuhai sources enable` is polled again;
  - schedules and health survive: sources polled once an hour are not polled again, their
    failures are not forgotten.
"""

import os
import shutil
import signal
import socket
import sqlite3
import time

import harness

RULES = os.path.join(harness.SOURCE_DIR, "rules")

WATCH_RULE = """rules:
  - id: zebracorn-watch
    title: The zebracorn test rule
    topic: testing
    score: 100
    match:
      any: ["zebracorn"]
"""

class Notifications:
    """The datagram socket systemd would listen on."""

    def __init__(self, path):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(path)
        self.messages = []

    def wait_for(self, predicate, timeout, what, after=0):
        """The first message from index `after` on that satisfies `predicate`."""
        deadline = time.monotonic() + timeout
        for m in self.messages[after:]:
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
        raise AssertionError(f"no notification {what} within {timeout}s; got {self.messages[after:]}")


def query(db, sql, args=()):
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return con.execute(sql, args).fetchall()
    finally:
        con.close()


def matched_rules(db, slug):
    return {r[0] for r in query(
        db, "SELECT m.rule_id FROM matches m JOIN items i ON i.id = m.item_id WHERE i.link LIKE ?",
        (f"%/{slug}",))}


def health(db, name):
    """(last attempt, last success, consecutive failures) of a source as stored."""
    rows = query(db, "SELECT last_attempt, last_success, consecutive_failures FROM sources "
                     "WHERE name = ?", (name,))
    return rows[0] if rows else None


def main():
    f = harness.Failures()
    with harness.scratch_dir() as tmp:
        www = os.path.join(tmp, "www")
        os.makedirs(www)
        feed = os.path.join(www, "feed.xml")
        items = [{"title": "Alibaba Cloud opens a data centre in Mexico", "slug": "a1",
                  "text": "The Mexican cloud region will serve Latin American customers with Qwen models."}]
        harness.write_rss(feed, items, title="Daemon Fixture", host="daemon.example.test")
        harness.write_rss(os.path.join(www, "steady.xml"), [{"title": "Steady", "slug": "s1", "text": "s"}])
        harness.write_rss(os.path.join(www, "later.xml"), [{"title": "Added later", "slug": "l1", "text": "l"}])
        rules_in_force = os.path.join(tmp, "rules")
        shutil.copytree(RULES, rules_in_force)
        db = os.path.join(tmp, "chuhai.db")
        with harness.Nginx(www) as nginx, harness.ScriptedServer() as scripted:
            config_path = os.path.join(tmp, "chuhai.yaml")
            sources = [{"url": nginx.url("feed.xml"), "name": "Daemon Feed"},
                       {"url": nginx.url("steady.xml"), "name": "Steady", "interval": "1h"},
                       {"url": nginx.url("missing.xml"), "name": "Missing", "interval": "1h"},
                       {"url": scripted.url("/status/410"), "name": "Gone", "interval": "1h"}]
            extra = "fetch:\n  interval: 1s\n  min_interval: 1s\n  first_poll_spread: 0s\n  jitter: 0\n"

            def write_config(rules, text_after=""):
                return harness.write_config(config_path, db, rules, sources, extra=extra + text_after)

            config = write_config(rules_in_force)
            notify = Notifications(os.path.join(tmp, "notify.sock"))
            env = {"NOTIFY_SOCKET": os.path.join(tmp, "notify.sock"), "WATCHDOG_USEC": "1000000"}
            with harness.Daemon(config, os.path.join(tmp, "daemon.log"), env=env) as daemon:
                def count(text):
                    return daemon.log_text().count(text)

                def hangup():
                    """SIGHUP, and wait until the daemon says it is done reloading."""
                    seen = len(notify.messages)
                    daemon.signal(signal.SIGHUP)
                    notify.wait_for(lambda m: "RELOADING=1" in m, 5, "RELOADING=1", after=seen)
                    notify.wait_for(lambda m: "READY=1" in m, 5, "READY=1 after the reload", after=seen)

                def publish(title, slug, text):
                    items.append({"title": title, "slug": slug, "text": text})
                    harness.write_rss(feed, items, title="Daemon Fixture", host="daemon.example.test")

                try:
                    notify.wait_for(lambda m: "READY=1" in m, 10, "READY=1")
                    notify.wait_for(lambda m: "WATCHDOG=1" in m, 3, "WATCHDOG=1")
                    notify.wait_for(lambda m: m.startswith("STATUS=") and "sources" in m, 10, "a STATUS after a cycle")
                    harness.wait_until(lambda: matched_rules(db, "a1"), 10, "the first item stored and matched")
                    harness.wait_until(lambda: health(db, "Missing") and health(db, "Missing")[2] == 1, 10,
                                       "the missing feed's failure recorded")
                    steady_before = health(db, "Steady")
                    missing_before = health(db, "Missing")
                    f.check(steady_before[1] is not None, f"the steady feed was polled: {steady_before}")

                    # 0. A source the daemon disabled after a 410, enabled again by hand.
                    harness.wait_until(lambda: query(db, "SELECT 1 FROM sources WHERE name = 'Gone' "
                                                         "AND disabled_reason IS NOT NULL"), 10,
                                       "the 410 recorded as a disablement")
                    harness.run_chuhai("sources", "enable", "Gone", "--config", config, check=0)

                    # 1. Another rules folder with one more rule: only SIGHUP can bring it in.
                    rules_new = os.path.join(tmp, "rules-new")
                    shutil.copytree(rules_in_force, rules_new)
                    with open(os.path.join(rules_new, "topics", "zz-test.yaml"), "w") as out:
                        out.write(WATCH_RULE)
                    write_config(rules_new)
                    hangup()
                    switched = f"reload: rules folder switched from {rules_in_force} to {rules_new}"
                    f.check(count(switched) == 1, f"the reload logs the new folder:\n{daemon.log_text()}")
                    harness.wait_until(lambda: scripted.requests().count("/status/410") == 2, 10,
                                       "the source enabled again polled again after the SIGHUP")
                    publish("Zebracorn sighting reported", "z1", "A zebracorn was seen.")
                    harness.wait_until(lambda: "zebracorn-watch" in matched_rules(db, "z1"), 15,
                                       "the new folder's rule to match the next item")

                    # 1b. A rule file saved in the folder in force, no signal: the watcher loads it
                    # and the next item is matched by it.
                    reloads = count("rules: reloaded")
                    with open(os.path.join(rules_new, "topics", "zz-unicornfish.yaml"), "w") as out:
                        out.write(WATCH_RULE.replace("zebracorn", "unicornfish"))
                    harness.wait_until(lambda: count("rules: reloaded") > reloads, 10,
                                       "the saved rule file loaded by the watcher")
                    publish("Unicornfish sighting reported", "u1", "A unicornfish was seen.")
                    harness.wait_until(lambda: "unicornfish-watch" in matched_rules(db, "u1"), 15,
                                       "the saved rule to match the next item without a SIGHUP")

                    # 2. A folder with a broken rule file: refused whole, the rules in force stay.
                    rules_broken = os.path.join(tmp, "rules-broken")
                    shutil.copytree(rules_new, rules_broken)
                    with open(os.path.join(rules_broken, "topics", "zz-broken.yaml"), "w") as out:
                        out.write(harness.BROKEN_RULE)
                    write_config(rules_broken)
                    hangup()
                    log = daemon.log_text()
                    f.check(f"reload: the rules in {rules_broken} are refused" in log,
                            f"the broken folder is refused by the reload:\n{log}")
                    f.check("zz-broken.yaml:7:" in log, f"the refusal names FILE:LINE:COL:\n{log}")
                    publish("Second zebracorn sighting", "z2", "Another zebracorn.")
                    harness.wait_until(lambda: "zebracorn-watch" in matched_rules(db, "z2"), 15,
                                       "the rules in force to keep matching")

                    # 3. A broken configuration: refused, the running one stays.
                    write_config(rules_new, text_after="sourcez: []\n")
                    broken_line = open(config_path).read().splitlines().index("sourcez: []") + 1
                    hangup()
                    log = daemon.log_text()
                    f.check("reload: configuration refused" in log and f"chuhai.yaml:{broken_line}:1" in log,
                            f"the broken configuration is refused with FILE:LINE:COL:\n{log}")
                    publish("Third zebracorn sighting", "z3", "Yet another zebracorn.")
                    harness.wait_until(lambda: "zebracorn-watch" in matched_rules(db, "z3"), 15,
                                       "polling and matching to go on with the running configuration")

                    # 4. A source added from the command line is polled after the next SIGHUP.
                    write_config(rules_new)
                    harness.run_chuhai("sources", "add", nginx.url("later.xml"), "--name", "Later",
                                       "--config", config, check=0)
                    hangup()
                    harness.wait_until(lambda: query(db, "SELECT 1 FROM items WHERE link LIKE '%/l1'"), 10,
                                       "the source added with `chuhai sources add` polled")

                    # 5. Four reloads later: the hourly sources were not polled again, and their
                    # health is what it was.
                    access = nginx.read_access_log()
                    f.equal(access.count("/steady.xml"), 1, "the hourly feed was polled once, reloads or not")
                    f.equal(access.count("/missing.xml"), 1, "the failing hourly feed was not retried early")
                    f.equal(health(db, "Steady"), steady_before, "the hourly feed's health is kept")
                    f.equal(health(db, "Missing"), missing_before, "the failing feed's failures are kept")
                    f.check(daemon.process.poll() is None, "the daemon keeps running after bad edits")

                    # SIGTERM: status 0 within 5 s.
                    started = time.monotonic()
                    status = daemon.stop()
                    elapsed = time.monotonic() - started
                    f.equal(status, 0, "exit status after SIGTERM")
                    f.check(elapsed < 5, f"stopped within 5 s (took {elapsed:.1f} s)")
                    f.check(any("STOPPING=1" in m for m in notify.messages) or
                            notify.wait_for(lambda m: "STOPPING=1" in m, 1, "STOPPING=1"), "STOPPING=1 sent")
                except AssertionError as e:
                    f.check(False, str(e))
                if f.messages:
                    print("--- daemon log\n" + daemon.log_text())
    f.finish()


if __name__ == "__main__":
    main()
