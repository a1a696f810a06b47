"""`chuhai once`, twice, against nginx serving fixture feeds: items stored with provenance, no
duplicates on the second poll (conditional GET), failures named in the log and counted, and what
was stored survives a source going bad.

The issue-2 end-to-end path: fetch (libcurl over loopback) -> parse -> rules -> SQLite.
"""

import os
import re
import shutil
import sqlite3

import harness

FEEDS = os.path.join(harness.FIXTURES, "integration", "feeds")
RULES = os.path.join(harness.SOURCE_DIR, "rules")


def summary_numbers(stdout):
    m = re.search(r"(\d+) sources: (\d+) ok \((\d+) not modified\), (\d+) failed.*?; (\d+) items: (\d+) new, "
                  r"(\d+) duplicate, (\d+) revised; (\d+) matched", stdout)
    assert m, f"no summary line in: {stdout!r}"
    keys = ["sources", "ok", "not_modified", "failed", "items", "new", "duplicate", "revised", "matched"]
    return dict(zip(keys, map(int, m.groups())))


def main():
    f = harness.Failures()
    with harness.scratch_dir() as tmp:
        docroot = os.path.join(tmp, "www")
        shutil.copytree(FEEDS, docroot)
        with harness.Nginx(docroot) as nginx:
            db = os.path.join(tmp, "state", "chuhai.db")
            os.makedirs(os.path.dirname(db))
            config = harness.write_config(os.path.join(tmp, "chuhai.yaml"), db, RULES, [
                {"url": nginx.url("wire_rss2_mixed.xml"), "name": "Wire", "tags": ["media"]},
                {"url": nginx.url("review_atom_mixed.xml"), "name": "Review"},
                {"url": nginx.url("homepage_not_a_feed.html"), "name": "Homepage"},
                {"url": nginx.url("missing.xml"), "name": "Gone Feed"},
            ])

            first = harness.run_chuhai("once", "--config", config, check=0)
            n = summary_numbers(first.stdout)
            f.equal(n["sources"], 4, "first poll: sources")
            f.equal(n["ok"], 2, "first poll: sources ok")
            f.equal(n["failed"], 2, "first poll: sources failed")
            f.equal(n["items"], 8, "first poll: items seen")
            f.equal(n["new"], 7, "first poll: new items (the shared URL is one item)")
            f.equal(n["duplicate"], 1, "first poll: the second sighting of the shared item")
            f.check(n["matched"] >= 4, f"first poll: at least the 4 relevant items matched, got {n['matched']}")
            f.check(re.search(r"Homepage.*not a feed", first.stderr) is not None,
                    f"the HTML page is reported as not a feed, naming the source:\n{first.stderr}")
            f.check(re.search(r"Gone Feed.*404", first.stderr) is not None,
                    f"the 404 is reported naming the source:\n{first.stderr}")

            con = sqlite3.connect(db)
            # The news, not the reference corpus chuhai imports into a new database.
            news = "FROM items i JOIN sources src ON src.id = i.source_id WHERE src.kind = 'feed'"
            rows = con.execute(f"SELECT i.title, i.canonical_url, i.first_seen, i.source_id {news}").fetchall()
            titles = sorted(r[0] for r in rows)
            f.equal(len(rows), 7, "items stored")
            f.equal(len({r[1] for r in rows}), 7, "distinct canonical URLs")
            f.check(all(r[2] > 0 for r in rows), "every item has its first-seen time")
            shared = con.execute(
                "SELECT i.canonical_url, count(*) FROM items i JOIN sightings s ON s.item_id = i.id "
                "WHERE i.title LIKE 'Tencent Cloud launches%' GROUP BY i.id").fetchall()
            f.equal(shared, [("https://shared.example.test/tencent-frankfurt", 2)],
                    "the shared item: tracking parameters dropped, two sources")
            fetches = con.execute(
                "SELECT s.name, f.requested_url, f.http_status, f.outcome, f.etag FROM fetches f "
                "JOIN sources s ON s.id = f.source_id ORDER BY s.name").fetchall()
            by_name = {r[0]: r for r in fetches}
            f.equal(by_name["Wire"][2], 200, "Wire fetched with 200")
            f.check(bool(by_name["Wire"][4]), "the Wire fetch kept nginx's ETag for provenance")
            f.equal(by_name["Wire"][1], nginx.url("wire_rss2_mixed.xml"), "the requested URL is recorded")
            f.equal(by_name["Gone Feed"][2:4], (404, "failed"), "the 404 is recorded")
            f.equal(by_name["Homepage"][3], "failed", "the HTML page is recorded as failed")
            matched = {r[0] for r in con.execute(
                "SELECT DISTINCT i.title FROM items i JOIN matches m ON m.item_id = i.id")}
            for title in titles:
                relevant = not any(w in title for w in ("bicycle", "Orchestra", "bakery"))
                f.equal(title in matched, relevant, f"matched: {title}")
            health = dict(con.execute("SELECT name, consecutive_failures FROM sources").fetchall())
            f.equal(health.get("Gone Feed"), 1, "the failing source's health counts the failure")
            f.equal(health.get("Wire"), 0, "a healthy source has no failures")
            con.close()

            # The second poll: nginx answers 304 to the stored validators, nothing is stored twice.
            second = harness.run_chuhai("once", "--config", config, check=0)
            n = summary_numbers(second.stdout)
            f.equal(n["not_modified"], 2, "second poll: both feeds not modified")
            f.equal(n["new"], 0, "second poll: nothing new")
            access = nginx.read_access_log()
            f.check(re.search(r'"GET /wire_rss2_mixed.xml HTTP/1.1" 304', access) is not None,
                    "nginx answered the conditional GET with 304")

            # A feed that turns into garbage loses nothing stored earlier.
            broken = os.path.join(docroot, "wire_rss2_mixed.xml")
            with open(broken, "w") as out:
                out.write("<html><body>maintenance</body></html>")
            later = os.stat(broken).st_mtime + 60  # Last-Modified has whole seconds: make it differ
            os.utime(broken, (later, later))
            third = harness.run_chuhai("once", "--config", config, check=0)
            n = summary_numbers(third.stdout)
            f.equal(n["failed"], 3, "third poll: the broken feed counts as failed")
            con = sqlite3.connect(db)
            f.equal(con.execute(f"SELECT count(*) {news}").fetchone()[0], 7, "no item lost")
            f.equal(con.execute(f"SELECT count(*) {news} GROUP BY i.canonical_url HAVING count(*) > 1").fetchall(),
                    [], "no item stored twice")
            f.equal(con.execute("PRAGMA integrity_check").fetchone()[0], "ok", "integrity")
            con.close()
    f.finish()


if __name__ == "__main__":
    main()
