"""`chuhai run` and the fetch stage's lifecycle, through the real binary:

- SIGHUP applies changed fetch settings at once: a source polled hourly is polled again within
  seconds after the interval is shortened, and the log names the keys that changed;
- SIGTERM while a transfer hangs ends the daemon with status 0 within fetch.stop_grace plus the
  documented margin, the hanging transfer aborted after the grace and recorded as cancelled.
"""

import os
import signal
import sqlite3
import subprocess
import time

import harness

FEEDS = os.path.join(harness.FIXTURES, "integration", "feeds")
RULES = os.path.join(harness.SOURCE_DIR, "rules")
STOP_GRACE = 2  # seconds: fetch.stop_grace below
STOP_MARGIN = 5  # seconds: the daemon abandons outstanding work this long after the grace


def config_text(db, sources, interval):
    lines = [f"database: {db}", f"rules: {RULES}",
             "fetch:", f"  interval: {interval}", "  min_interval: 1s", "  first_poll_spread: 0s",
             "  jitter: 0", f"  stop_grace: {STOP_GRACE}s", "sources:"]
    for name, url in sources:
        lines += [f"  - url: {url}", f"    name: \"{name}\""]
    return "\n".join(lines) + "\n"


def main():
    f = harness.Failures()
    with harness.scratch_dir() as tmp, harness.ScriptedServer(root=FEEDS) as server:
        db = os.path.join(tmp, "chuhai.db")
        config = os.path.join(tmp, "chuhai.yaml")
        feed_path = "/file/wire_rss2_mixed.xml?etag=%22wire-1%22"
        feed = ("Wire", server.url(feed_path))
        with open(config, "w") as out:
            out.write(config_text(db, [feed], "1h"))
        log_path = os.path.join(tmp, "daemon.log")
        log = open(log_path, "w+")
        env = dict(os.environ, no_proxy="*")
        env.pop("CHUHAI_CONFIG", None)
        daemon = subprocess.Popen([harness.BIN, "run", "--config", config], stdout=log, stderr=log, env=env)
        try:
            harness.wait_until(lambda: server.count(feed_path) == 1, 10, "the first poll")
            time.sleep(1.5)
            f.equal(server.count(feed_path), 1, "polled once an hour: no second poll yet")

            # A shorter interval applies at once, to a source already scheduled an hour away.
            with open(config, "w") as out:
                out.write(config_text(db, [feed], "1s"))
            daemon.send_signal(signal.SIGHUP)
            harness.wait_until(lambda: server.count(feed_path) >= 2, 10, "a poll under the reloaded interval")
            text = open(log_path).read()
            f.check("reload: fetch settings applied (interval)" in text,
                    f"the reload names the changed fetch key:\n{text}")

            # A hanging source, then SIGTERM while its transfer is running.
            with open(config, "w") as out:
                out.write(config_text(db, [feed, ("Hanging Feed", server.url("/hang"))], "1h"))
            daemon.send_signal(signal.SIGHUP)
            harness.wait_until(lambda: server.count("/hang") == 1, 10, "the hanging transfer to start")
            started = time.monotonic()
            daemon.send_signal(signal.SIGTERM)
            status = daemon.wait(timeout=STOP_GRACE + STOP_MARGIN + 10)
            took = time.monotonic() - started
            f.equal(status, 0, "exit status after SIGTERM")
            f.check(STOP_GRACE - 0.5 <= took < STOP_GRACE + STOP_MARGIN,
                    f"stopped after the grace of {STOP_GRACE} s and within the bound: {took:.1f} s")
            text = open(log_path).read()
            f.check("aborting 1 transfers still running after the grace period" in text,
                    f"the hanging transfer is aborted after the grace:\n{text}")
            con = sqlite3.connect(db)
            try:
                row = con.execute("SELECT last_error FROM sources WHERE name = 'Hanging Feed'").fetchone()
            finally:
                con.close()
            f.check(row is not None and "cancelled" in (row[0] or ""),
                    f"the aborted attempt is recorded with the source: {row}")
        except AssertionError as e:
            f.check(False, str(e))
        finally:
            if daemon.poll() is None:
                daemon.kill()
                daemon.wait()
            if f.messages:
                log.seek(0)
                print("--- daemon log\n" + log.read())
            log.close()
    f.finish()


if __name__ == "__main__":
    main()
