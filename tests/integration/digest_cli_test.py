"""The digest commands and `chuhai status` with the real binary:

- `digest preview` renders without recording or sending (and names an unknown channel, exit 2);
- `digest test` reports the server's answer (250 from aiosmtpd with STARTTLS and AUTH; 535 for a
  wrong password, exit 1; a signed test body for a webhook; a `password_credential:` found in a
  credential store when run outside systemd, and the places tried when it is nowhere);
- `digest send --now` sends what is new at once; without --now nothing is due yet;
- `status` before any daemon, while `chuhai run` runs (and delivers a webhook digest by itself
  after a poll cycle), and after SIGTERM stopped it.
"""

import json
import os
import signal
import sqlite3
import subprocess
import time
import urllib.request

import digest_support as ds
import harness

RULES = os.path.join(harness.SOURCE_DIR, "rules")
PASSWORD = "digest-cli-password"

FIRST = [ds.ALIBABA_RIYADH]
LATER = [ds.HUAWEI_MALAYSIA]


def status_json(config):
    result = harness.run_chuhai("status", "--json", "--config", config, check=0)
    return json.loads(result.stdout)


def count_digests(db, channel):
    con = sqlite3.connect(db)
    try:
        return con.execute("SELECT count(*) FROM digests WHERE channel = ?", (channel,)).fetchone()[0]
    finally:
        con.close()


def main():
    f = harness.Failures()
    with harness.scratch_dir() as tmp:
        www = os.path.join(tmp, "www")
        os.makedirs(www)
        feed = harness.write_rss_entries(os.path.join(www, "wire.xml"), "Wire", FIRST)
        cert, key = harness.make_certificate(tmp)
        password = harness.write_private(os.path.join(tmp, "smtp-password"), PASSWORD + "\n")
        wrong = harness.write_private(os.path.join(tmp, "wrong-password"), "not-the-password\n")
        maildir = os.path.join(tmp, "mail")
        log = os.path.join(tmp, "requests.jsonl")
        db = os.path.join(tmp, "chuhai.db")
        with harness.Nginx(www) as nginx, \
                harness.Peer("smtp_server.py", "--maildir", maildir, "--cert", cert, "--key", key,
                             "--starttls", "--user", "digest-bot", "--password-file", password) as smtp, \
                harness.Peer("webhook_receiver.py", "--log", log) as hook:
            metrics_port = harness.free_port()
            smtp_section = f"""      smtp:
        url: smtp://127.0.0.1:{smtp.port}
        username: digest-bot
        ca_file: {cert}
"""
            config = harness.write_config(
                os.path.join(tmp, "chuhai.yaml"), db, RULES, [{"url": nginx.url("wire.xml"), "name": "Wire"}],
                extra=f"""metrics:
  enabled: true
  listen: 127.0.0.1:{metrics_port}
fetch:
  interval: 1s
  min_interval: 1s
  first_poll_spread: 0s
  jitter: 0
digests:
  - name: mail
    schedule: weekly mon 08:00
    email:
      from: digest@example.org
      to: alice@example.com
{smtp_section}        password_file: {password}
  - name: badmail
    schedule: weekly mon 08:00
    email:
      from: digest@example.org
      to: alice@example.com
{smtp_section}        password_file: {wrong}
  - name: hook
    schedule: immediate
    webhook:
      url: http://127.0.0.1:{hook.port}/hook
""")
            # Read-only commands do not create a database.
            none = harness.run_chuhai("status", "--config", config, check=1)
            f.check("no database yet" in none.stderr, f"status before any run:\n{none.stderr}")
            f.check(not os.path.exists(db), "status created no database")

            harness.run_chuhai("once", "--config", config, check=0)
            f.equal(len(ds.webhook_requests(log)), 1, "once sent the webhook digest")
            status = status_json(config)
            f.equal(status["daemon"]["state"], "never started", "no daemon yet")
            f.equal(status["last_cycle"]["by"], "once", "the last cycle was a once")
            f.equal(status["today"]["matched"], 1, "one item matched today")
            channels = {c["name"]: c for c in status["digests"]["channels"]}
            f.check(channels["mail"]["next_due"] is not None, "the weekly channel's next digest")
            f.check(channels["hook"]["next_due"] is None, "the immediate channel follows cycles")

            # Preview: rendered, nothing recorded.
            html = os.path.join(tmp, "preview.html")
            text = os.path.join(tmp, "preview.txt")
            before = status_json(config)["digests"]["channels"]
            preview = harness.run_chuhai("digest", "preview", "--channel", "mail", "--html", html,
                                         "--text", text, "--config", config, check=0)
            f.check("1 story," in preview.stdout, f"preview summary:\n{preview.stdout}")
            with open(text, encoding="utf-8") as t:
                f.check("Alibaba Cloud opens a data centre" in t.read(), "the text preview has the story")
            with open(html, encoding="utf-8") as h:
                f.check("<table" in h.read(), "the HTML preview is the mail's HTML")
            stdout_preview = harness.run_chuhai("digest", "preview", "--channel", "mail", "--config", config,
                                                check=0)
            f.check(stdout_preview.stdout.startswith("chuhai digest: mail"), "without files: text on stdout")
            f.equal(count_digests(db, "mail"), 0, "a preview records no digest")
            f.equal(status_json(config)["digests"]["channels"], before, "nor moves the channel on")
            unknown = harness.run_chuhai("digest", "preview", "--channel", "evening", "--config", config, check=2)
            f.check("channels: mail, badmail, hook" in unknown.stderr, f"unknown channel:\n{unknown.stderr}")

            # Test messages.
            ok = harness.run_chuhai("digest", "test", "--channel", "mail", "--config", config, check=0)
            f.check("delivered (250" in ok.stdout, f"the server's answer:\n{ok.stdout}")
            messages, envelopes = harness.read_maildir(maildir)
            f.check(any(str(m["Subject"]) == "chuhai test message for channel mail" for m in messages),
                    "the test mail arrived")
            f.check(envelopes and envelopes[-1]["tls"] and envelopes[-1]["authenticated"],
                    "through STARTTLS and AUTH")
            bad = harness.run_chuhai("digest", "test", "--channel", "badmail", "--config", config, check=1)
            f.check("permanent failure" in bad.stdout and "535" in bad.stdout,
                    f"a wrong password is reported:\n{bad.stdout}")
            f.check("not-the-password" not in bad.stdout + bad.stderr, "and never shown")
            hooked = harness.run_chuhai("digest", "test", "--channel", "hook", "--config", config, check=0)
            f.check("delivered (200 " in hooked.stdout, f"webhook test:\n{hooked.stdout}")
            f.equal(json.loads(ds.webhook_requests(log)[-1]["body"]).get("schema"), "chuhai.test", "a test body")

            # A systemd credential outside the service (`sudo chuhai digest test` as the docs
            # say): no $CREDENTIALS_DIRECTORY, so the credential stores are searched, in order.
            etc_store = os.path.join(tmp, "etc-credstore")
            run_store = os.path.join(tmp, "run-credstore")
            os.makedirs(etc_store)
            os.makedirs(run_store)
            harness.write_private(os.path.join(run_store, "chuhai.smtp-password"), PASSWORD + "\n")
            cred_config = harness.write_config(
                os.path.join(tmp, "credential.yaml"), os.path.join(tmp, "credential.db"), RULES, [],
                extra=f"""digests:
  - name: credmail
    schedule: weekly mon 08:00
    filters:
      topics: [infrastucture]
    email:
      from: digest@example.org
      to: alice@example.com
{smtp_section}        password_credential: chuhai.smtp-password
""")
            stores = {"CHUHAI_CREDSTORE_PATH": f"{etc_store}:{run_store}", "CREDENTIALS_DIRECTORY": ""}
            cred = harness.run_chuhai("digest", "test", "--channel", "credmail", "--config", cred_config,
                                      env=stores, check=0)
            f.check("delivered (250" in cred.stdout, f"the credential from the second store:\n{cred.stdout}")
            messages, envelopes = harness.read_maildir(maildir)
            f.check(any(str(m["Subject"]) == "chuhai test message for channel credmail" for m in messages),
                    "the test mail sent with the stored credential arrived")
            f.check(envelopes and envelopes[-1]["authenticated"], "authenticated with the stored credential")
            # The mistyped topic is valid configuration, but every command that meets the rules
            # says the channel names a topic no rule has, and where the channel is.
            once = harness.run_chuhai("once", "--config", cred_config, env=stores, check=0)
            preview = harness.run_chuhai("digest", "preview", "--channel", "credmail", "--config", cred_config,
                                         check=0)
            for what, output in (("once", once.stderr), ("digest preview", preview.stderr)):
                f.check(f"{cred_config}:5:5: digest channel 'credmail' filters on topic 'infrastucture'" in output,
                        f"{what} warns about the unknown topic:\n{output}")
            missing = harness.run_chuhai("digest", "test", "--channel", "credmail", "--config", cred_config,
                                         env={**stores, "CHUHAI_CREDSTORE_PATH": etc_store}, check=2)
            f.check(os.path.join(etc_store, "chuhai.smtp-password") in missing.stderr
                    and "$CREDENTIALS_DIRECTORY" in missing.stderr,
                    f"a missing credential names the places tried:\n{missing.stderr}")

            # Send: nothing due by the schedule; --now sends what is new.
            not_due = harness.run_chuhai("digest", "send", "--channel", "mail", "--config", config, check=0)
            f.check("no digest due" in not_due.stdout, f"without --now:\n{not_due.stdout}")
            now = harness.run_chuhai("digest", "send", "--channel", "mail", "--now", "--config", config, check=0)
            f.check("1 built, 1 delivered" in now.stdout, f"send --now:\n{now.stdout}")
            digests = [m for m in harness.read_maildir(maildir)[0] if m["X-Chuhai-Digest"]]
            f.equal(len(digests), 1, "the digest mail arrived")
            again = harness.run_chuhai("digest", "send", "--channel", "mail", "--now", "--config", config,
                                       check=0)
            f.check("0 built" in again.stdout, "nothing new the second time")

            for sub in ("preview", "send", "test"):
                h = harness.run_chuhai("digest", sub, "--help", check=0)
                f.check("--channel" in h.stdout, f"digest {sub} --help")
            f.check("--json" in harness.run_chuhai("status", "--help", check=0).stdout, "status --help")

            # The daemon: status while it runs, its own delivery after a cycle, status after.
            env = dict(os.environ)
            env.pop("CHUHAI_CONFIG", None)
            daemon_log = open(os.path.join(tmp, "daemon.log"), "w+")
            daemon = subprocess.Popen([harness.BIN, "run", "--config", config], stdout=daemon_log,
                                      stderr=daemon_log, env=env)
            try:
                harness.wait_until(lambda: status_json(config)["daemon"]["running"], 20, "status: running")
                running = harness.run_chuhai("status", "--config", config, check=0)
                f.check(f"running (pid {daemon.pid}" in running.stdout, f"status while running:\n{running.stdout}")
                harness.write_rss_entries(feed, "Wire", FIRST + LATER)
                harness.wait_until(lambda: len(ds.webhook_requests(log)) >= 3, 30, "the daemon's own webhook digest")
                last = json.loads(ds.webhook_requests(log)[-1]["body"])
                f.equal([s["title"] for t in last["topics"] for s in t["stories"]],
                        [LATER[0]["title"]], "the daemon sent only what was new")
                harness.wait_until(lambda: status_json(config)["last_cycle"]["by"] == "run", 10,
                                   "a cycle recorded by run")
                opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
                with opener.open(f"http://127.0.0.1:{metrics_port}/metrics", timeout=10) as response:
                    metrics = response.read().decode()
                f.check('chuhai_digest_deliveries_total{channel="hook"} 1' in metrics,
                        "the daemon counts its delivery in /metrics")
            finally:
                started = time.monotonic()
                daemon.send_signal(signal.SIGTERM)
                code = daemon.wait(timeout=30)
                daemon_log.seek(0)
                output = daemon_log.read()
            f.equal(code, 0, "SIGTERM ends the daemon with status 0")
            f.check(time.monotonic() - started < 5, "within 5 seconds")
            stopped = status_json(config)
            f.equal(stopped["daemon"]["state"], "stopped", f"status after SIGTERM\n{output[-2000:]}")
            f.equal(stopped["daemon"]["pid"], daemon.pid, "the daemon's pid")
            text_status = harness.run_chuhai("status", "--config", config, check=0).stdout
            f.check("stopped (pid" in text_status, f"text status after the stop:\n{text_status}")
            f.check(PASSWORD not in output, "the password is not in the daemon's log")
    f.finish()


if __name__ == "__main__":
    main()
