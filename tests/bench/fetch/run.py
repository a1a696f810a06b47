#!/usr/bin/python3
"""Fetch benchmark: N distinct feed URLs served by nginx on 127.0.0.1 ... 127.0.0.H, fetched by
chuhai's poller (tests/bench/fetch/fetch_bench), by curl (the transport floor) and by newsboat.

    /usr/bin/python3 tests/bench/fetch/run.py --n 1000 [--repeat 5] [--bench build/tests/bench/fetch/fetch_bench]
    /usr/bin/python3 tests/bench/fetch/run.py --n 1000 --setup-only   # just the served URLs, for reuse

The URLs point at the files of ../shared/corpus/realworld/ in turn (symbolic links, so nginx
sends each file's real ETag and Last-Modified). nginx runs with one worker, gzip off (every client
moves the same bytes) and no access log. Each tool runs --repeat times; the script prints
medians, ratios and a Markdown table for docs/performance.md.

--setup-only prints "URLS <file>", "CURL_CONFIG <file>", "NEWSBOAT_URLS <file>" and "PORT <n>"
and keeps nginx up until stdin reaches EOF or SIGINT/SIGTERM, so other harnesses (the full
pipeline run) can use the same URLs.
"""

import argparse
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))
sys.path.insert(0, os.path.join(ROOT, "tests", "servers"))
from nginx_server import NginxServer  # noqa: E402

DEFAULT_CORPUS = os.path.join(os.path.dirname(ROOT), "shared", "corpus", "realworld")


def build_site(workdir, corpus, n):
    files = sorted(f for f in os.listdir(corpus)
                   if os.path.isfile(os.path.join(corpus, f)) and f not in ("MANIFEST.tsv", "README.md"))
    if not files:
        raise SystemExit("no feeds in " + corpus)
    www = os.path.join(workdir, "www")
    os.makedirs(www)
    names = []
    total = 0
    for i in range(n):
        source = os.path.join(corpus, files[i % len(files)])
        extension = os.path.splitext(source)[1] or ".xml"
        name = "feed-%05d%s" % (i, extension)
        os.symlink(source, os.path.join(www, name))
        total += os.path.getsize(source)
        names.append(name)
    return www, names, total


def write_lists(workdir, nginx, names, hosts):
    urls = [nginx.url(name, host=1 + i % hosts) for i, name in enumerate(names)]
    paths = {
        "urls": os.path.join(workdir, "urls.txt"),
        "curl": os.path.join(workdir, "curl.cfg"),
        "newsboat_urls": os.path.join(workdir, "newsboat-urls"),
        "newsboat_config": os.path.join(workdir, "newsboat-config"),
    }
    with open(paths["urls"], "w") as f:
        f.write("\n".join(urls) + "\n")
    with open(paths["newsboat_urls"], "w") as f:
        f.write("\n".join(urls) + "\n")
    with open(paths["curl"], "w") as f:
        for url in urls:
            f.write('url = "%s"\noutput = "/dev/null"\n' % url)
    with open(paths["newsboat_config"], "w") as f:
        f.write("reload-threads 50\n")
    return paths


def timed(command, env=None):
    """Runs command under /usr/bin/time; returns (wall s, cpu s, peak RSS MB, stdout)."""
    with tempfile.NamedTemporaryFile("r", suffix=".time") as timing:
        result = subprocess.run(["/usr/bin/time", "-f", "%e %U %S %M", "-o", timing.name] + command,
                                env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        if result.returncode != 0:
            raise RuntimeError("%s failed (%d): %s" % (command[0], result.returncode,
                                                       result.stderr[-2000:]))
        wall, user, system, rss_kb = timing.read().split()[-4:]
        return float(wall), float(user) + float(system), int(rss_kb) / 1024.0, result.stdout


def parse_bench(stdout):
    lines = {}
    for line in stdout.splitlines():
        fields = dict(item.split("=", 1) for item in line.split())
        if "cycle" in fields:
            lines[int(fields["cycle"])] = fields
        elif "idle_seconds" in fields:
            lines["idle"] = fields
    return lines


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--hosts", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--newsboat-repeat", type=int, default=None)
    parser.add_argument("--corpus", default=DEFAULT_CORPUS)
    parser.add_argument("--bench", default=os.path.join(ROOT, "build", "bench", "fetch", "fetch_bench"))
    parser.add_argument("--skip-newsboat", action="store_true")
    parser.add_argument("--setup-only", action="store_true")
    args = parser.parse_args()

    workdir = tempfile.mkdtemp(prefix="chuhai-fetch-bench-")
    nginx = None
    try:
        www, names, total_bytes = build_site(workdir, args.corpus, args.n)
        nginx = NginxServer(www, hosts=args.hosts, workers=1, access_log=False, gzip=False, file_cache=True).start()
        paths = write_lists(workdir, nginx, names, args.hosts)
        if args.setup_only:
            print("URLS %s\nCURL_CONFIG %s\nNEWSBOAT_URLS %s\nPORT %d" % (
                paths["urls"], paths["curl"], paths["newsboat_urls"], nginx.port), flush=True)
            done = threading.Event()
            signal.signal(signal.SIGTERM, lambda *_: done.set())
            signal.signal(signal.SIGINT, lambda *_: done.set())
            threading.Thread(target=lambda: (sys.stdin.read(), done.set()), daemon=True).start()
            while not done.wait(0.5):
                pass
            return

        print("N=%d URLs over %d hosts, %.1f MB of feeds, corpus %s" % (
            args.n, args.hosts, total_bytes / 1e6, args.corpus), flush=True)
        results = {key: [] for key in ("curl_wall", "curl_cpu", "curl_rss",
                                       "cold_wall", "cold_cpu", "warm_wall", "warm_cpu",
                                       "chuhai_rss", "idle_cpu", "idle_handlers",
                                       "nb_cold_wall", "nb_cold_cpu", "nb_cold_rss",
                                       "nb_warm_wall", "nb_warm_cpu", "nb_warm_rss")}
        newsboat_repeat = args.repeat if args.newsboat_repeat is None else args.newsboat_repeat
        for run in range(args.repeat):
            wall, cpu, rss, _ = timed(["curl", "-Z", "--parallel-max", "50", "-s", "-K", paths["curl"]])
            results["curl_wall"].append(wall)
            results["curl_cpu"].append(cpu)
            results["curl_rss"].append(rss)

            _, _, rss, out = timed([args.bench, paths["urls"], "--cycles", "2", "--idle-seconds", "2"])
            lines = parse_bench(out)
            cold, warm = lines[1], lines[2]
            if int(cold["updated"]) != args.n or int(warm["not_modified"]) != args.n:
                raise RuntimeError("unexpected cycle results: %s" % out)
            results["cold_wall"].append(float(cold["wall_ms"]) / 1000)
            results["cold_cpu"].append(float(cold["cpu_ms"]) / 1000)
            results["warm_wall"].append(float(warm["wall_ms"]) / 1000)
            results["warm_cpu"].append(float(warm["cpu_ms"]) / 1000)
            results["chuhai_rss"].append(rss)
            results["idle_cpu"].append(float(lines["idle"]["cpu_ms"]) / 1000)
            results["idle_handlers"].append(int(lines["idle"]["handlers"]))

            if not args.skip_newsboat and run < newsboat_repeat:
                home = os.path.join(workdir, "home")
                shutil.rmtree(home, ignore_errors=True)
                os.makedirs(home)
                env = dict(os.environ, HOME=home)
                command = ["newsboat", "-u", paths["newsboat_urls"], "-c",
                           os.path.join(home, "cache.db"), "-C", paths["newsboat_config"],
                           "-x", "reload"]
                for kind in ("cold", "warm"):
                    wall, cpu, rss, _ = timed(command, env)
                    results["nb_%s_wall" % kind].append(wall)
                    results["nb_%s_cpu" % kind].append(cpu)
                    results["nb_%s_rss" % kind].append(rss)
            print("run %d done" % (run + 1), flush=True)

        med = {k: statistics.median(v) for k, v in results.items() if v}
        print()
        print("| N = %d (%d hosts, %.0f MB) | wall s | CPU s | peak RSS MB |" % (
            args.n, args.hosts, total_bytes / 1e6))
        print("|---|---|---|---|")
        print("| curl -Z --parallel-max 50 (floor) | %.2f | %.2f | %.0f |" % (
            med["curl_wall"], med["curl_cpu"], med["curl_rss"]))
        print("| chuhai cold cycle (fetch only) | %.2f | %.2f | %.0f |" % (
            med["cold_wall"], med["cold_cpu"], med["chuhai_rss"]))
        print("| chuhai warm cycle (all 304) | %.2f | %.2f | (same process) |" % (
            med["warm_wall"], med["warm_cpu"]))
        if "nb_cold_wall" in med:
            print("| newsboat -x reload, cold | %.2f | %.2f | %.0f |" % (
                med["nb_cold_wall"], med["nb_cold_cpu"], med["nb_cold_rss"]))
            print("| newsboat -x reload, warm | %.2f | %.2f | %.0f |" % (
                med["nb_warm_wall"], med["nb_warm_cpu"], med["nb_warm_rss"]))
        print()
        print("medians of %d runs (newsboat: %d)" % (args.repeat, 0 if args.skip_newsboat else newsboat_repeat))
        print("warm / curl floor: %.2fx" % (med["warm_wall"] / med["curl_wall"]))
        print("cold / curl floor: %.2fx" % (med["cold_wall"] / med["curl_wall"]))
        if "nb_cold_wall" in med:
            print("newsboat cold / chuhai cold: %.1fx" % (med["nb_cold_wall"] / med["cold_wall"]))
        print("idle 2 s after the cycles: %d handlers, %.3f s CPU" % (
            med["idle_handlers"], med["idle_cpu"]))
    finally:
        if nginx is not None:
            nginx.stop()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
