"""`chuhai feed parse URL` against the scripted test server on 127.0.0.1: fetched the way the
daemon fetches (User-Agent with the configured contact URL, redirects, the size limit of
--config), parsed with the charset of the response's Content-Type, failures reported per input
with exit status 1."""

import json
import os
import urllib.parse

import harness

RULES = os.path.join(harness.SOURCE_DIR, "rules")

# windows-1252 bytes under a declaration that says UTF-8: only the HTTP charset decodes them.
LATIN_FEED = ('<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel><title>Caf\u00e9 Wire</title>'
              '<link>https://cafe.example.test/</link><description>d</description>'
              '<item><title>Na\u00efve caf\u00e9 in Z\u00fcrich</title><link>/story-1</link><guid>s1</guid></item>'
              '</channel></rss>\n').encode("windows-1252")


def parse(*args, check=None):
    result = harness.run_chuhai("feed", "parse", "--json", *args, check=check)
    return result, [json.loads(line) for line in result.stdout.splitlines() if line.strip()]


def main():
    f = harness.Failures()
    with harness.scratch_dir() as tmp:
        root = os.path.join(tmp, "files")
        os.makedirs(root)
        with open(os.path.join(root, "latin.xml"), "wb") as out:
            out.write(LATIN_FEED)
        harness.write_rss(os.path.join(root, "big.xml"),
                          [{"title": f"Item {i}", "slug": f"i{i}", "text": "x" * 200} for i in range(40)])
        with harness.ScriptedServer(root=root) as server:
            latin = server.url("/file/latin.xml?type=" + urllib.parse.quote("application/rss+xml; charset=windows-1252"))

            # The charset of the Content-Type decides, and relative links resolve against the URL.
            result, docs = parse(latin, check=0)
            doc = docs[0]
            f.equal((doc["source"], doc["error"], doc["format"], doc["encoding"]),
                    (latin, None, "rss2.0", "windows-1252"), "a URL is fetched and parsed")
            f.equal(doc["entries"][0]["title"] if doc["entries"] else None, "Na\u00efve caf\u00e9 in Z\u00fcrich",
                    "decoded with the HTTP charset")
            f.check(doc["entries"] and doc["entries"][0]["link"].startswith(f"http://127.0.0.1:{server.port}/"),
                    f"relative links resolve against the fetched URL: {doc['entries']}")
            # The same bytes from a file, without the Content-Type, decode otherwise: the charset
            # above came from HTTP.
            _, local = parse(os.path.join(root, "latin.xml"), check=0)
            f.check(local[0]["encoding"] != "windows-1252" or local[0]["bozo"],
                    f"control: the file alone is not read as windows-1252 cleanly: {local[0]['encoding']}")

            # Fetched like the daemon: its User-Agent with the configured contact URL.
            config = harness.write_config(os.path.join(tmp, "chuhai.yaml"), os.path.join(tmp, "db"), RULES, [],
                                          extra="fetch:\n  contact_url: https://monitor.example.test/about\n"
                                                "  max_body_size: 4KiB\n")
            redirected = server.url("/redirect/301?to=/file/latin.xml")
            _, docs = parse(redirected, "--config", config, check=0)
            f.equal(docs[0]["error"], None, "a redirect is followed")
            agents = [r["headers"].get("user-agent", "") for r in server.request_log() if r["path"].startswith("/file/")]
            f.check(agents and "chuhai/" in agents[-1] and "https://monitor.example.test/about" in agents[-1],
                    f"the daemon's User-Agent with the contact URL: {agents}")

            # The configured size limit holds; each failing input is reported, the others parse.
            result, docs = parse(server.url("/file/big.xml"), server.url("/status/404"),
                                 "http://127.0.0.1:1/feed.xml", latin, "--config", config)
            f.equal(result.returncode, 1, "exit status when some inputs failed")
            errors = [d["error"] or "" for d in docs]
            f.check(len(errors) == 4 and "too_large" in errors[0], f"the size limit of --config applies: {errors}")
            f.check(len(errors) == 4 and "HTTP 404" in errors[1], f"a 404 is that input's error: {errors}")
            f.check(len(errors) == 4 and "connect" in errors[2], f"a refused connection is that input's error: {errors}")
            f.check(len(errors) == 4 and errors[3] == "", f"the last input still parses: {errors}")
            default_limit, _ = parse(server.url("/file/big.xml"), check=0)  # the default limit is 20 MiB

            # --log-level applies to `feed`: the fetch is logged at debug level.
            debug = harness.run_chuhai("--log-level", "debug", "feed", "parse", latin, check=0)
            quiet = harness.run_chuhai("feed", "parse", latin, check=0)
            f.check("HTTP 200" in debug.stderr and "HTTP 200" not in quiet.stderr,
                    f"--log-level debug logs the fetch:\n{debug.stderr}\n---\n{quiet.stderr}")
            text = harness.run_chuhai("feed", "parse", server.url("/status/500"), check=1)
            f.check("HTTP 500" in text.stderr, f"without --json the error goes to stderr:\n{text.stderr}")
    f.finish()


if __name__ == "__main__":
    main()
