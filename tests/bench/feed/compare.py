#!/usr/bin/python3
"""Parse throughput of chuhai against Python's feedparser on the same files.

Runs Debian's python3-feedparser (this script must run under /usr/bin/python3) over every
file of the corpus folder, a few rounds, and bench_feed over the same folder; prints both and
the ratio. Both sides are timed in CPU time (the machine is shared with compilers). Usage:

    /usr/bin/python3 tests/bench/feed/compare.py build/tests/bench/feed/bench_feed [FOLDER] [--rounds N]
"""
import json
import os
import statistics
import subprocess
import sys
import time

import feedparser  # noqa: E402 - a benchmark peer, never used by tests


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    rounds = 3
    if "--rounds" in sys.argv:
        rounds = int(sys.argv[sys.argv.index("--rounds") + 1])
        args = [a for a in args if a != str(rounds)]
    bench = args[0]
    here = os.path.dirname(os.path.abspath(__file__))
    folder = args[1] if len(args) > 1 else os.path.join(here, "..", "..", "..", "..", "shared", "corpus", "realworld")
    files = sorted(os.path.join(folder, f) for f in os.listdir(folder) if f not in ("MANIFEST.tsv", "README.md"))
    blobs = [open(f, "rb").read() for f in files]
    total = sum(len(b) for b in blobs)
    entries = 0
    seconds = []
    for _ in range(rounds):
        start = time.process_time()
        entries = sum(len(feedparser.parse(b).entries) for b in blobs)
        seconds.append(time.process_time() - start)
    feedparser_seconds = statistics.median(seconds)
    feedparser_mbps = total / 1e6 / feedparser_seconds

    ours = json.loads(subprocess.run([bench, "--json", folder], capture_output=True, check=True).stdout)
    print("files: %d, %.2f MB" % (len(files), total / 1e6))
    print("%-36s %9s %12s" % ("", "MB/s", "entries/s"))
    print("%-36s %9.2f %12.0f" % ("feedparser %s (median of %d)" % (feedparser.__version__, rounds),
                                  feedparser_mbps, entries / feedparser_seconds))
    print("%-36s %9.2f %12.0f" % ("chuhai parse+normalise", ours["chuhai_mbps"], ours["chuhai_entries_per_s"]))
    print("%-36s %9.2f" % ("raw pugixml (XML files)", ours["pugixml_xml_mbps"]))
    print("chuhai / feedparser: %.0fx   chuhai / raw pugixml (XML files): %.0f%%" % (
        ours["chuhai_mbps"] / feedparser_mbps, 100 * ours["chuhai_xml_mbps"] / ours["pugixml_xml_mbps"]))
    print("html_to_text %.0f MB/s, gumbo %.0f MB/s on %d bodies" % (
        ours["html_to_text_mbps"], ours["gumbo_text_mbps"], ours["html_bodies"]))


if __name__ == "__main__":
    main()
