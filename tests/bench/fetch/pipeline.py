#!/usr/bin/python3
"""Full-pipeline poll benchmark: the real `chuhai once` (fetch, parse, match, store) over N distinct
feed URLs served by nginx on 127.0.0.1 ... 127.0.0.H, beside curl (the transport floor) and
newsboat (`newsboat -x reload`) on the same URLs, and `chuhai run` idle between polls.

    /usr/bin/python3 tests/bench/fetch/pipeline.py --n 1000 --repeat 3
    /usr/bin/python3 tests/bench/fetch/pipeline.py --n 10000 --repeat 3

Each run, in this order: curl -Z --parallel-max 50 over every URL; `chuhai once` on a fresh
database (cold: every source new, 200s) and again (warm: conditional GET, 304s); newsboat with an
empty cache and again. Wall and CPU seconds and peak RSS come from /usr/bin/time. After the runs,
`chuhai run` starts on the last database (every source polled minutes ago, so none is due) and its
CPU time over --idle-seconds is read from /proc, from --idle-delay seconds after it said it runs.
The script prints medians, the ratios the goals are stated in, and Markdown tables for
docs/performance.md.

The URLs, nginx's setup and the curl and newsboat commands are tests/bench/fetch/run.py's (see there).
newsboat comes from Debian; it is installed when missing (as root) or skipped with a note.
"""

import argparse
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import run as fetch_run  # noqa: E402  (tests/bench/fetch/run.py: the served URLs and the peers)

ROOT = fetch_run.ROOT
SUMMARY = re.compile(r"(\d+) sources: (\d+) ok \((\d+) not modified\), (\d+) failed.*?; (\d+) items: (\d+) new")


def ensure_newsboat():
    if shutil.which("newsboat"):
        return True
    if os.geteuid() == 0 and shutil.which("apt-get"):
        print("installing newsboat (Debian package)", flush=True)
        quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
        subprocess.run(["apt-get", "update"], **quiet)
        subprocess.run(["apt-get", "install", "-y", "--no-install-recommends", "newsboat"], **quiet)
    if shutil.which("newsboat"):
        return True
    print("newsboat is not installed and cannot be installed here: skipped", flush=True)
    return False


def write_config(path, database, rules, urls, extra=""):
    with open(path, "w") as out:
        out.write(f"database: {database}\nrules: {rules}\n{extra}sources:\n")
        for i, url in enumerate(urls):
            out.write(f"  - url: {url}\n    name: feed-{i:05d}\n")


def cycle(chuhai, config, env):
    wall, cpu, rss, stdout = fetch_run.timed([chuhai, "once", "--config", config], env)
    m = SUMMARY.search(stdout)
    if not m:
        raise RuntimeError("no summary line from chuhai once: " + stdout[-2000:])
    sources, ok, not_modified, failed, items, new = map(int, m.groups())
    return {"wall": wall, "cpu": cpu, "rss": rss, "sources": sources, "ok": ok,
            "not_modified": not_modified, "failed": failed, "items": items, "new": new}


def cpu_ticks(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime + stime, after the state field


def idle_cpu(chuhai, config, env, workdir, delay, seconds):
    """CPU seconds `chuhai run` uses over `seconds`, from `delay` seconds after it said it runs."""
    log_path = os.path.join(workdir, "run.log")
    with open(log_path, "w") as log:
        daemon = subprocess.Popen([chuhai, "run", "--config", config], stdout=log, stderr=log, env=env)
    try:
        deadline = time.monotonic() + 600
        while "running:" not in open(log_path).read():
            if daemon.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("chuhai run did not start: " + open(log_path).read()[-2000:])
            time.sleep(0.2)
        time.sleep(delay)
        before = cpu_ticks(daemon.pid)
        time.sleep(seconds)
        after = cpu_ticks(daemon.pid)
        polled = open(log_path).read().count("cycle:")
        return (after - before) / os.sysconf("SC_CLK_TCK"), polled
    finally:
        daemon.send_signal(signal.SIGTERM)
        try:
            daemon.wait(timeout=60)
        except subprocess.TimeoutExpired:
            daemon.kill()
            daemon.wait()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--hosts", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--corpus", default=fetch_run.DEFAULT_CORPUS)
    parser.add_argument("--chuhai", default=os.path.join(ROOT, "build", "daemon", "app", "chuhai"))
    parser.add_argument("--rules", default=os.path.join(ROOT, "rules"))
    parser.add_argument("--idle-seconds", type=int, default=60)
    parser.add_argument("--idle-delay", type=int, default=75,
                        help="seconds after start-up before the idle window (retention runs once a minute after start)")
    parser.add_argument("--skip-newsboat", action="store_true")
    parser.add_argument("--keep", help="keep the work folder here (databases, configs, logs)")
    args = parser.parse_args()

    newsboat = not args.skip_newsboat and ensure_newsboat()
    workdir = tempfile.mkdtemp(prefix="chuhai-pipeline-bench-")
    nginx = None
    env = dict(os.environ, no_proxy="*")
    env.pop("CHUHAI_CONFIG", None)
    try:
        www, names, total_bytes = fetch_run.build_site(workdir, args.corpus, args.n)
        nginx = fetch_run.NginxServer(www, hosts=args.hosts, workers=1, access_log=False, gzip=False,
                                      file_cache=True).start()
        paths = fetch_run.write_lists(workdir, nginx, names, args.hosts)
        with open(paths["urls"]) as f:
            urls = [line.strip() for line in f if line.strip()]
        print("N=%d URLs over %d hosts, %.1f MB of feeds, corpus %s, chuhai %s" % (
            args.n, args.hosts, total_bytes / 1e6, args.corpus, args.chuhai), flush=True)

        results = {}

        def add(key, value):
            results.setdefault(key, []).append(value)

        config = None
        for run in range(args.repeat):
            add("load", os.getloadavg()[0])
            wall, cpu, rss, _ = fetch_run.timed(["curl", "-Z", "--parallel-max", "50", "-s", "-K", paths["curl"]])
            add("curl_wall", wall)
            add("curl_cpu", cpu)
            add("curl_rss", rss)

            state = os.path.join(workdir, "chuhai-%d" % run)
            os.makedirs(state)
            config = os.path.join(state, "chuhai.yaml")
            write_config(config, os.path.join(state, "chuhai.db"), args.rules, urls)
            cold = cycle(args.chuhai, config, env)
            warm = cycle(args.chuhai, config, env)
            if cold["sources"] != args.n or warm["not_modified"] != cold["ok"]:
                raise RuntimeError("unexpected cycles: cold %s, warm %s" % (cold, warm))
            for kind, c in (("cold", cold), ("warm", warm)):
                for key in ("wall", "cpu", "rss"):
                    add("%s_%s" % (kind, key), c[key])
            add("cold_ok", cold["ok"])
            add("cold_items", cold["items"])
            add("cold_new", cold["new"])
            add("db_mb", os.path.getsize(os.path.join(state, "chuhai.db")) / 1e6)

            if newsboat:
                home = os.path.join(workdir, "home")
                shutil.rmtree(home, ignore_errors=True)
                os.makedirs(home)
                nb_env = dict(env, HOME=home)
                command = ["newsboat", "-u", paths["newsboat_urls"], "-c", os.path.join(home, "cache.db"),
                           "-C", paths["newsboat_config"], "-x", "reload"]
                for kind in ("cold", "warm"):
                    wall, cpu, rss, _ = fetch_run.timed(command, nb_env)
                    add("nb_%s_wall" % kind, wall)
                    add("nb_%s_cpu" % kind, cpu)
                    add("nb_%s_rss" % kind, rss)
            print("run %d: cold %.2f s (%.2f s CPU, %.0f MB), warm %.2f s; %d ok, %d items" % (
                run + 1, cold["wall"], cold["cpu"], cold["rss"], warm["wall"], cold["ok"], cold["items"]),
                flush=True)
            if run + 1 < args.repeat and not args.keep:
                shutil.rmtree(state, ignore_errors=True)

        idle = None
        if args.idle_seconds > 0:
            idle = idle_cpu(args.chuhai, config, env, workdir, args.idle_delay, args.idle_seconds)

        med = {k: statistics.median(v) for k, v in results.items()}
        print()
        print("| N = %s (%d hosts, %.0f MB of feeds) | wall s | CPU s | peak RSS MB |" % (
            format(args.n, ","), args.hosts, total_bytes / 1e6))
        print("|---|---|---|---|")
        print("| curl -Z --parallel-max 50 (floor) | %.2f | %.2f | %.0f |" % (
            med["curl_wall"], med["curl_cpu"], med["curl_rss"]))
        print("| chuhai once, cold (fetch, parse, match, store) | %.2f | %.2f | %.0f |" % (
            med["cold_wall"], med["cold_cpu"], med["cold_rss"]))
        print("| chuhai once, warm (all 304) | %.2f | %.2f | %.0f |" % (
            med["warm_wall"], med["warm_cpu"], med["warm_rss"]))
        if newsboat:
            print("| newsboat -x reload, cold | %.2f | %.2f | %.0f |" % (
                med["nb_cold_wall"], med["nb_cold_cpu"], med["nb_cold_rss"]))
            print("| newsboat -x reload, warm | %.2f | %.2f | %.0f |" % (
                med["nb_warm_wall"], med["nb_warm_cpu"], med["nb_warm_rss"]))
        print()
        print("medians of %d runs (1-minute load average at their starts: %s); cold cycle: %d sources "
              "ok, %d items, %d new; database %.0f MB" % (
                  args.repeat, ", ".join("%.1f" % x for x in results["load"]), med["cold_ok"],
                  med["cold_items"], med["cold_new"], med["db_mb"]))
        print("CPU seconds, newsboat cold / chuhai cold: %.1fx" % (
            med["nb_cold_cpu"] / med["cold_cpu"]) if newsboat else "")
        if newsboat:
            print("newsboat cold / chuhai cold: %.1fx (goal: at least 10x)" % (
                med["nb_cold_wall"] / med["cold_wall"]))
        print("chuhai warm / curl floor: %.2fx (goal: within 3x)" % (med["warm_wall"] / med["curl_wall"]))
        print("chuhai peak RSS: %.0f MB (goal: under %d MB)" % (
            max(med["cold_rss"], med["warm_rss"]), 80 if args.n <= 1000 else 150))
        if idle:
            print("chuhai run, idle: %.2f s CPU in %d s, %d cycles (goal: no CPU beyond timers)" % (
                idle[0], args.idle_seconds, idle[1]))
    finally:
        if nginx is not None:
            nginx.stop()
        if args.keep:
            shutil.copytree(workdir, args.keep, dirs_exist_ok=True, ignore=shutil.ignore_patterns("www"))
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
