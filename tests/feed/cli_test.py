#!/usr/bin/python3
"""`chuhai feed parse`: output schema, stdin, exit statuses and error objects.

Usage: cli_test.py CHUHAI_BINARY FIXTURES_DIR
"""
import json
import subprocess
import sys

FAILURES = []


def check(condition, message):
    if not condition:
        FAILURES.append(message)
        print("FAIL: " + message)


def run(chuhai, *args, stdin=b""):
    done = subprocess.run([chuhai, "feed", "parse", *args], input=stdin, capture_output=True, timeout=60)
    return done.returncode, done.stdout.decode("utf-8"), done.stderr.decode("utf-8")


def main():
    chuhai, fixtures = sys.argv[1], sys.argv[2]
    basic = fixtures + "/feed/rss2_basic.xml"

    status, out, _ = run(chuhai, "--json", "--base-url", "https://news.example.com/feeds/rss.xml", basic)
    check(status == 0, "a good feed exits 0, got %d" % status)
    lines = out.splitlines()
    check(len(lines) == 1, "one line per input, got %d" % len(lines))
    obj = json.loads(lines[0])
    for key in ("source", "format", "encoding", "bozo", "error", "feed", "entries"):
        check(key in obj, "top-level key %r present" % key)
    check(obj["format"] == "rss2.0" and obj["encoding"] == "utf-8" and obj["bozo"] is False
          and obj["error"] is None, "format/encoding/bozo/error: %r" % {k: obj[k] for k in ("format", "encoding", "bozo", "error")})
    check(set(obj["feed"]) >= {"title", "link"}, "feed has title and link")
    entry = obj["entries"][0]
    for key in ("title", "link", "id", "published", "updated", "author", "summary", "content", "categories",
                "thumbnail"):
        check(key in entry, "entry key %r present" % key)
    check(entry["published"] == "2024-06-24T02:30:00Z", "published as RFC 3339 UTC: %r" % entry["published"])
    check(entry["updated"] is None, "a missing date is null")
    check(obj["entries"][1]["link"] == "https://news.example.com/a/2", "--base-url resolves links")

    with open(basic, "rb") as f:
        status, out, _ = run(chuhai, "--json", "-", stdin=f.read())
    check(status == 0 and json.loads(out)["source"] == "-", "'-' reads standard input")

    # Nothing listens on port 1: the URL is fetched and fails as that input's error.
    status, out, _ = run(chuhai, "--json", basic, "http://127.0.0.1:1/feed.xml", fixtures + "/feed/no-such-file.xml",
                         fixtures + "/feed/not_a_feed.html")
    lines = [json.loads(line) for line in out.splitlines()]
    check(status == 1, "any failed input makes the exit status 1, got %d" % status)
    check(len(lines) == 4, "every input prints its object, got %d" % len(lines))
    if len(lines) == 4:
        check(lines[0]["error"] is None, "the good input has no error")
        check("connect" in (lines[1]["error"] or ""), "an unreachable URL is its input's error: %r" % lines[1]["error"])
        check("no-such-file.xml" in (lines[2]["error"] or "") or lines[2]["error"], "a missing file is an error")
        check("HTML page" in (lines[3]["error"] or ""), "an HTML page is not a feed: %r" % lines[3]["error"])
        check(lines[3]["entries"] == [], "a failed input has no entries")

    status, _, err = run(chuhai, "--json", "--timezone", "Nowhere/Land", basic)
    check(status == 2, "an unknown timezone is a usage/config error (2), got %d: %s" % (status, err))

    status, out, _ = run(chuhai, "--json", "--content-type", "text/xml; charset=windows-1251",
                         fixtures + "/feed/rss_undefined_entities.xml")
    check(json.loads(out)["encoding"] == "windows-1251", "--content-type names the charset")
    check(json.loads(out)["bozo"] is True and json.loads(out)["bozo_reason"], "bozo comes with a reason")

    status, out, _ = run(chuhai, "--json", fixtures + "/feed/rss_media_rss_images.xml")
    thumbnails = [e["thumbnail"] for e in json.loads(out)["entries"]]
    check(thumbnails[:2] == ["https://img.example.com/1-thumb.jpg", "https://img.example.com/2-460.jpg"]
          and thumbnails[2] == "", "thumbnail: the media:thumbnail, else the widest image: %r" % thumbnails)

    status, out, _ = run(chuhai, basic)
    check(status == 0 and "Alibaba Cloud opens second data centre" in out, "text output lists the entries")

    print("%d passed, %d failed" % (1 if not FAILURES else 0, 1 if FAILURES else 0))
    return 1 if FAILURES else 0


if __name__ == "__main__":
    sys.exit(main())
