"""The metrics a real `chuhai run` exports on 127.0.0.1, polling real feeds from nginx and the
scripted test server: chuhai_matches_total counts only newly stored matches (not the duplicates
every later fetch of a feed repeats), chuhai_sources{state} follows the sources' health, a
refused rule reload is counted when it happens, not at the end of some later cycle, and polls,
poll errors by kind, new items and the event-loop lag agree with what the servers saw."""

import os
import re
import shutil
import sqlite3
import time
import urllib.request

import harness

RULES = os.path.join(harness.SOURCE_DIR, "rules")
OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback only

MATCHING = {"title": "Alibaba Cloud opens a data centre in Mexico", "slug": "m1",
            "text": "The Mexican cloud region will serve Latin American customers with Qwen models."}
MATCHING_TOO = {"title": "Huawei Cloud launches a region in Saudi Arabia", "slug": "m2",
                "text": "Huawei Cloud brings its Ascend AI computing to Riyadh customers."}
UNRELATED = {"title": "A bicycle shop opens in Leeds", "slug": "u1", "text": "Bicycles, repairs and coffee."}

def scrape(port):
    """{(name, frozenset of label pairs): value} from /metrics; {} while nothing listens yet."""
    try:
        with OPENER.open(f"http://127.0.0.1:{port}/metrics", timeout=10) as response:
            text = response.read().decode()
    except OSError:
        return {}
    samples = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = re.match(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$', line)
        if not m:
            continue
        labels = frozenset(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', m.group(2) or ""))
        samples[(m.group(1), labels)] = float(m.group(3))
    return samples


def value(samples, name, **labels):
    return samples.get((name, frozenset(labels.items())), 0.0)


def family(samples, name, label):
    return {dict(labels)[label]: v for (n, labels), v in samples.items() if n == name and v}


def config_extra(port, interval):
    return (f"fetch:\n  interval: {interval}\n  min_interval: 1s\n  first_poll_spread: 0s\n  jitter: 0\n"
            f"metrics:\n  enabled: true\n  listen: 127.0.0.1:{port}\n")


def query(db, sql):
    """The rows of `sql`, or [] while the daemon has not created the database yet (read-only, so
    that this never creates an empty file under the daemon's feet)."""
    try:
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    except sqlite3.OperationalError:
        return []
    try:
        return con.execute(sql).fetchall()
    except sqlite3.OperationalError:
        return []
    finally:
        con.close()


def matches_in_store(db):
    """Items with a match of each topic, as stored (rules with a positive score name topics)."""
    return dict(query(db, "SELECT topic, count(DISTINCT item_id) FROM matches WHERE score > 0 GROUP BY topic"))


def item_count(db):
    rows = query(db, "SELECT count(*) FROM items")
    return rows[0][0] if rows else 0


def wait_for_cycles(port, count, timeout=20):
    harness.wait_until(lambda: value(scrape(port), "chuhai_cycles_total") >= count, timeout,
                       f"{count} cycles")


def check_matches(f, tmp, nginx, www):
    """Every second a cycle fetches the feed; only new items may add to chuhai_matches_total."""
    feed = os.path.join(www, "feed.xml")
    items = [MATCHING]
    harness.write_rss(feed, items)
    db = os.path.join(tmp, "matches.db")
    port = harness.free_port()
    config = harness.write_config(os.path.join(tmp, "matches.yaml"), db, RULES,
                                  [{"url": nginx.url("feed.xml"), "name": "Wire"}],
                                  extra=config_extra(port, "1s"))
    with harness.Daemon(config, os.path.join(tmp, "matches.log")) as daemon:
        try:
            harness.wait_until(lambda: item_count(db) == 1, 15, "the first item stored")
            wait_for_cycles(port, 1)
            first = family(scrape(port), "chuhai_matches_total", "topic")
            f.check(first, "the matching item is counted under its topics")
            f.equal(first, matches_in_store(db), "chuhai_matches_total after the first item")

            # The feed changes: the matching item comes again (a duplicate), with a new one that
            # matches nothing. Several cycles fetch it in full.
            items.append(UNRELATED)
            harness.write_rss(feed, items)
            harness.wait_until(lambda: item_count(db) == 2, 15, "the unrelated item stored")
            cycles = value(scrape(port), "chuhai_cycles_total")
            wait_for_cycles(port, cycles + 2)
            samples = scrape(port)
            f.equal(family(samples, "chuhai_matches_total", "topic"), first,
                    "a duplicate's matches are not counted again")
            f.check(value(samples, "chuhai_items_total", status="duplicate") >= 1,
                    "the fetch with the duplicate was counted as such")

            items.append(MATCHING_TOO)
            harness.write_rss(feed, items)
            harness.wait_until(lambda: item_count(db) == 3, 15, "the second matching item stored")
            cycles = value(scrape(port), "chuhai_cycles_total")
            wait_for_cycles(port, cycles + 1)
            f.equal(family(scrape(port), "chuhai_matches_total", "topic"), matches_in_store(db),
                    "chuhai_matches_total follows the matches stored")
        except AssertionError as e:
            f.check(False, f"{e}\n--- daemon log\n{daemon.log_text()}")
        f.equal(daemon.stop(), 0, "exit status after SIGTERM")


def check_sources_and_reloads(f, tmp, nginx, scripted, www):
    """Sources polled once an hour: after the first cycle nothing else happens, so whatever
    changes on /metrics changed when it happened."""
    harness.write_rss(os.path.join(www, "quiet.xml"), [UNRELATED])
    rules = os.path.join(tmp, "rules")
    shutil.copytree(RULES, rules)
    db = os.path.join(tmp, "sources.db")
    port = harness.free_port()
    config = harness.write_config(os.path.join(tmp, "sources.yaml"), db, rules, [
        {"url": nginx.url("quiet.xml"), "name": "Fine"},
        {"url": scripted.url("/status/500"), "name": "Broken"},
        {"url": scripted.url("/status/410"), "name": "Gone"},
        {"url": nginx.url("off.xml"), "name": "Off", "enabled": "false"},
    ], extra=config_extra(port, "1h"))
    # A source disabled by hand before the daemon starts.
    harness.run_chuhai("sources", "add", nginx.url("held.xml"), "--name", "Held", "--config", config, check=0)
    harness.run_chuhai("sources", "disable", "Held", "--config", config, check=0)
    with harness.Daemon(config, os.path.join(tmp, "sources.log")) as daemon:
        try:
            wait_for_cycles(port, 1)
            f.check("running: 3 sources to poll" in daemon.log_text(),
                    f"the start-up line counts the sources polled (Held and Off are not):\n{daemon.log_text()}")
            samples = scrape(port)
            f.equal({state: value(samples, "chuhai_sources", state=state) for state in ("ok", "failing", "disabled")},
                    {"ok": 1, "failing": 1, "disabled": 3},
                    "chuhai_sources after the first cycle: Fine ok; Broken failing; Gone, Off, Held disabled")
            cycles = value(samples, "chuhai_cycles_total")

            with open(os.path.join(rules, "zz-broken.yaml"), "w") as out:
                out.write(harness.BROKEN_RULE)
            harness.wait_until(
                lambda: value(scrape(port), "chuhai_rule_reloads_total", outcome="refused") == 1, 10,
                f"the refused reload counted\n{daemon.log_text()}")
            samples = scrape(port)
            f.equal(value(samples, "chuhai_cycles_total"), cycles,
                    "no cycle ended meanwhile: the refusal was counted as it happened")
            f.equal(value(samples, "chuhai_rule_reloads_total", outcome="ok"), 0, "nothing was accepted")
            os.remove(os.path.join(rules, "zz-broken.yaml"))
            with open(os.path.join(rules, "zz-fine.yaml"), "w") as out:
                out.write(harness.BROKEN_RULE.replace("anny", "any"))
            harness.wait_until(
                lambda: value(scrape(port), "chuhai_rule_reloads_total", outcome="ok") == 1, 10,
                "the fixed rules counted as reloaded")
        except AssertionError as e:
            f.check(False, f"{e}\n--- daemon log\n{daemon.log_text()}")
        f.equal(daemon.stop(), 0, "exit status after SIGTERM")


def nginx_statuses(nginx, path):
    """The status of every request for `path` nginx has logged so far, in order."""
    return [int(code) for code in re.findall(r'"GET ' + re.escape(path) + r'[^"]*" (\d{3}) ', nginx.read_access_log())]


def check_polls(f, tmp, nginx, scripted, www):
    """chuhai_polls_total, chuhai_poll_errors_total, chuhai_items_total{status="new"} and the
    event-loop lag of a daemon polling, every second, a feed that answers 200 then 304, a source
    that answers 500 and one that answers 404: every poll is counted once, under the outcome and
    error kind the servers' own logs show."""
    harness.write_rss(os.path.join(www, "polls.xml"), [MATCHING, UNRELATED])
    db = os.path.join(tmp, "polls.db")
    port = harness.free_port()
    config = harness.write_config(os.path.join(tmp, "polls.yaml"), db, RULES, [
        {"url": nginx.url("polls.xml"), "name": "Fine"},
        {"url": scripted.url("/status/500?polls"), "name": "Broken"},
        {"url": scripted.url("/status/404?polls"), "name": "Missing"},
    ], extra=config_extra(port, "1s").replace("fetch:\n", "fetch:\n  max_backoff: 2s\n  backoff_jitter: 0\n"))

    def scripted_requests(path):
        return sum(1 for r in scripted.request_log() if r["path"] == path)

    with harness.Daemon(config, os.path.join(tmp, "polls.log")) as daemon:
        try:
            harness.wait_until(lambda: len(nginx_statuses(nginx, "/polls.xml")) >= 3
                               and scripted_requests("/status/500?polls") >= 2
                               and scripted_requests("/status/404?polls") >= 2, 30,
                               "several polls of every source")
            # The servers log a request before the daemon counts its poll, so a poll counted in
            # the scrape is in the logs read after it; at most one poll per source may be in
            # flight, logged before the scrape but not yet counted.
            fine_before = nginx_statuses(nginx, "/polls.xml")
            broken_before = scripted_requests("/status/500?polls")
            missing_before = scripted_requests("/status/404?polls")
            samples = scrape(port)
            time.sleep(0.5)
            fine_after = nginx_statuses(nginx, "/polls.xml")
            broken_after = scripted_requests("/status/500?polls")
            missing_after = scripted_requests("/status/404?polls")

            def within(counted, before, after, what):
                f.check(before - 1 <= counted <= after,
                        f"{what}: {counted} counted, the server saw {before} then {after}")

            f.equal(fine_after[0], 200, "nginx answered the first poll in full")
            f.check(304 in fine_after, f"and later ones with 304: {fine_after}")
            f.equal(value(samples, "chuhai_polls_total", outcome="ok"), 1.0,
                    "one poll with a body: the first")
            within(value(samples, "chuhai_polls_total", outcome="not_modified"),
                   fine_before.count(304), fine_after.count(304), "polls answered 304")
            within(value(samples, "chuhai_poll_errors_total", kind="http_5xx"), broken_before, broken_after,
                   "polls answered 500")
            within(value(samples, "chuhai_poll_errors_total", kind="http_4xx"), missing_before, missing_after,
                   "polls answered 404")
            f.equal(value(samples, "chuhai_polls_total", outcome="error"),
                    value(samples, "chuhai_poll_errors_total", kind="http_5xx")
                    + value(samples, "chuhai_poll_errors_total", kind="http_4xx"),
                    "every failed poll has its error kind, once")
            f.equal(set(family(samples, "chuhai_poll_errors_total", "kind")), {"http_5xx", "http_4xx"},
                    "no other error kind")
            f.equal(value(samples, "chuhai_items_total", status="new"), 2.0,
                    "the feed's two items are new once, however often it is polled")
            f.equal(item_count(db), 2, "and both are stored")
            lag = value(samples, "chuhai_event_loop_lag_seconds")
            lag_max = value(samples, "chuhai_event_loop_lag_max_seconds")
            f.check(("chuhai_event_loop_lag_seconds", frozenset()) in samples, "the loop lag is exported")
            # A timer never fires before it is due, so a probe that ran measured some lag.
            f.check(0 <= lag < 5 and 0 < lag_max < 5, f"loop lag {lag} s, at most {lag_max} s: measured, and small")
        except AssertionError as e:
            f.check(False, f"{e}\n--- daemon log\n{daemon.log_text()}")
        f.equal(daemon.stop(), 0, "exit status after SIGTERM")


def main():
    f = harness.Failures()
    with harness.scratch_dir() as tmp:
        www = os.path.join(tmp, "www")
        os.makedirs(www)
        with harness.Nginx(www) as nginx, harness.ScriptedServer() as scripted:
            check_matches(f, tmp, nginx, www)
            check_sources_and_reloads(f, tmp, nginx, scripted, www)
            check_polls(f, tmp, nginx, scripted, www)
    f.finish()


if __name__ == "__main__":
    main()
