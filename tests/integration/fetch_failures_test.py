"""`chuhai once`, twice, against the scripted test server: what a misbehaving feed server does to
the sources that live on it, end to end through the real binary and its SQLite file.

- 301 and 308 rename the stored URL (the old one stays an alias) and the next poll goes straight
  to the new address, although the configuration still names the old one;
- 410 disables the source, says so, and it is not polled again;
- 429 with Retry-After pauses the whole host across a restart: another source on the same host is
  skipped, sources on another host are polled;
- 500 backs off, one interval and then two (with the configured jitter);
- a feed's <ttl> still spaces its polls after a 304, in a new process;
- a source with TLS verification turned off is warned about at every poll, also after a 301 moved
  it (the opt-out belongs to the source, not to its first URL);
- every log line names its source.

The scripted server listens on 127.0.0.1 only; "localhost" reaches the same server as another host
name, which is what per-host limits and Retry-After are keyed by.
"""

import os
import re
import sqlite3
import time

import harness

FEEDS = os.path.join(harness.FIXTURES, "integration", "feeds")
RULES = os.path.join(harness.SOURCE_DIR, "rules")
INTERVAL = 600  # seconds; fetch.interval below
BACKOFF_JITTER = 0.25  # the default fetch.backoff_jitter


def summary(stdout):
    m = re.search(r"(\d+) sources: (\d+) ok \((\d+) not modified\), (\d+) failed(?:, (\d+) skipped)?", stdout)
    assert m, f"no summary line in: {stdout!r}"
    return {"sources": int(m[1]), "ok": int(m[2]), "not_modified": int(m[3]), "failed": int(m[4]),
            "skipped": int(m[5] or 0)}


def sources(db):
    con = sqlite3.connect(db)
    con.row_factory = sqlite3.Row
    try:
        rows = con.execute("SELECT * FROM sources").fetchall()
        aliases = con.execute("SELECT source_id, url FROM source_aliases").fetchall()
    finally:
        con.close()
    by_name = {r["name"]: dict(r) for r in rows}
    for row in by_name.values():
        row["aliases"] = sorted(a[1] for a in aliases if a[0] == row["id"])
    return by_name


def delay(row):
    """Seconds from the last attempt to the planned next poll."""
    return row["next_poll"] - row["last_attempt"]


def main():
    f = harness.Failures()
    with harness.scratch_dir() as tmp, \
            harness.ScriptedServer(root=FEEDS) as plain, \
            harness.ScriptedServer(root=FEEDS, tls=True) as tls:
        other = "localhost"  # the same server under another host name
        moved_301 = plain.url("/file/wire_rss2_mixed.xml", host=other)
        moved_308 = plain.url("/file/review_atom_mixed.xml", host=other)
        insecure_target = tls.url("/file/review_atom_mixed.xml", host=other)
        configured = {
            "Moved 301": plain.url("/redirect/301?to=" + moved_301, host=other),
            "Moved 308": plain.url("/redirect/308?to=/file/review_atom_mixed.xml", host=other),
            "Gone Feed": plain.url("/status/410", host=other),
            "Broken Feed": plain.url("/status/500", host=other),
            "Hourly Feed": plain.url("/file/ttl_sixty_minutes.xml?etag=%22hourly-1%22", host=other),
            "Throttled Feed": plain.url("/status/429?retry-after=3600"),
            "Neighbour Feed": plain.url("/file/wire_rss2_mixed.xml?n=neighbour"),
            "Insecure Feed": tls.url("/redirect/301?to=/file/review_atom_mixed.xml", host=other),
        }
        entries = [{"url": url, "name": name} for name, url in configured.items()]
        entries[-1]["insecure_skip_tls_verify"] = "true"
        db = os.path.join(tmp, "chuhai.db")
        config = harness.write_config(
            os.path.join(tmp, "chuhai.yaml"), db, RULES, entries,
            extra=f"fetch:\n  interval: {INTERVAL}s\n  connect_timeout: 5s\n  timeout: 20s\n")
        env = {"no_proxy": "*"}

        # -- first poll ------------------------------------------------------------------------
        started = time.time()
        first = harness.run_chuhai("once", "--config", config, check=0, env=env)
        log = first.stderr
        n = summary(first.stdout)
        f.equal(n["sources"], 8, "first poll: every source polled")
        f.equal(n["failed"], 3, "first poll: 410, 429 and 500 failed")
        rows = sources(db)

        for name, target in (("Moved 301", moved_301), ("Moved 308", moved_308)):
            f.check(f"{name}: moved permanently to {target}" in log,
                    f"the move of {name} is logged with its name:\n{log}")
            f.equal(rows[name]["url"], target, f"{name}: the stored URL is the new one")
            f.equal(rows[name]["aliases"], [configured[name]], f"{name}: the old URL is an alias")
            f.equal(rows[name]["consecutive_failures"], 0, f"{name}: healthy")

        f.check(re.search(r"Gone Feed: HTTP 410 Gone from \S+; the source is disabled", log) is not None,
                f"the 410 is logged naming the source:\n{log}")
        f.check("410 Gone" in (rows["Gone Feed"]["disabled_reason"] or ""),
                f"the 410 disables the source: {rows['Gone Feed']['disabled_reason']!r}")

        f.check(re.search(r"Throttled Feed: HTTP 429 with Retry-After; host 127\.0\.0\.1 paused until", log)
                is not None, f"the 429 pauses the host, logged naming the source:\n{log}")
        retry_until = rows["Throttled Feed"]["retry_after_until"] or 0
        f.check(started + 3500 < retry_until < time.time() + 3700,
                f"Retry-After stored with the source: {retry_until - started:.0f} s")

        f.check(re.search(r"Broken Feed: HTTP 500 from ", log) is not None,
                f"the 500 is logged naming the source:\n{log}")
        broken = rows["Broken Feed"]
        f.equal(broken["consecutive_failures"], 1, "one failure counted")
        f.check((1 - BACKOFF_JITTER) * INTERVAL - 2 <= delay(broken) <= (1 + BACKOFF_JITTER) * INTERVAL + 2,
                f"first backoff step is one interval with jitter: {delay(broken)} s")

        hourly = rows["Hourly Feed"]
        f.equal(hourly.get("ttl_minutes"), 60, "the feed's <ttl> is stored")
        f.check(delay(hourly) >= 0.9 * 3600 - 2, f"<ttl> 60 spaces the polls: {delay(hourly)} s")

        f.equal(log.count("Insecure Feed: TLS certificate verification is OFF"), 1,
                f"the opt-out is logged at the poll:\n{log}")
        f.equal(rows["Insecure Feed"]["url"], insecure_target, "the insecure source moved")
        f.equal(rows["Insecure Feed"]["consecutive_failures"], 0, "the insecure source was fetched")

        # -- second poll, a new process ----------------------------------------------------------
        second = harness.run_chuhai("once", "--config", config, check=0, env=env)
        log = second.stderr
        n = summary(second.stdout)
        f.equal(n["skipped"], 2, "second poll: both sources of the paused host skipped")
        f.equal(n["sources"], 7, "second poll: the 7 enabled sources (5 polled, 2 skipped)")
        for name in ("Throttled Feed", "Neighbour Feed"):
            f.check(re.search(rf"{name}: skipped, its host asked to retry after", log) is not None,
                    f"{name}: the skip is logged naming the source:\n{log}")
        f.check("Gone Feed" not in log, f"the disabled source is left alone:\n{log}")

        paths = plain.requests()
        f.equal(paths.count("/redirect/301?to=" + moved_301), 1, "the old 301 address asked once")
        f.equal(paths.count("/file/wire_rss2_mixed.xml"), 2, "then the new address, directly")
        f.equal(paths.count("/redirect/308?to=/file/review_atom_mixed.xml"), 1, "the old 308 address asked once")
        f.equal(paths.count("/file/review_atom_mixed.xml"), 2, "then the 308's new address, directly")
        f.equal(paths.count("/status/410"), 1, "a source gone is not polled again")
        f.equal(paths.count("/status/429?retry-after=3600"), 1, "the paused host is not asked again")
        f.equal(paths.count("/file/wire_rss2_mixed.xml?n=neighbour"), 1,
                "another source on the paused host is not polled either")
        f.equal(paths.count("/status/500"), 2, "a source on another host is polled")
        f.equal(paths.count("/file/ttl_sixty_minutes.xml?etag=%22hourly-1%22"), 2, "the hourly feed polled")

        rows = sources(db)
        broken = rows["Broken Feed"]
        f.equal(broken["consecutive_failures"], 2, "two failures counted")
        f.check(2 * (1 - BACKOFF_JITTER) * INTERVAL - 2 <= delay(broken) <= 2 * (1 + BACKOFF_JITTER) * INTERVAL + 2,
                f"second backoff step is two intervals with jitter: {delay(broken)} s")
        hourly = rows["Hourly Feed"]
        f.equal(hourly["last_status"], 304, "the hourly feed answered 304")
        f.check(delay(hourly) >= 0.9 * 3600 - 2,
                f"after a 304, in a new process, <ttl> 60 still spaces the polls: {delay(hourly)} s")

        f.equal(log.count("Insecure Feed: TLS certificate verification is OFF"), 1,
                f"the opt-out is logged at every poll, also at the moved URL:\n{log}")
        f.equal(rows["Insecure Feed"]["consecutive_failures"], 0,
                f"the moved insecure source is still fetched without verification: "
                f"{rows['Insecure Feed']['last_error']}")
        tls_paths = tls.requests()
        f.equal(tls_paths.count("/file/review_atom_mixed.xml"), 2, "the insecure source's new URL, twice")
    f.finish()


if __name__ == "__main__":
    main()
