"""A crash between sending a digest and marking it sent. The SMTP server stores the message and
then holds back its "250" (--stall-first-data); the test kills `chuhai once` with SIGKILL at
that moment: the message was delivered, chuhai never learnt it. The next run within the
attempt's lease leaves the digest alone (the dead attempt may have been alive); after the lease
it is sent again — the same bytes, the same Message-ID — exactly once more.
"""

import os
import signal
import sqlite3
import subprocess
import time

import digest_support as ds
import harness

RULES = os.path.join(harness.SOURCE_DIR, "rules")
TIMEOUT = 2  # the channel's SMTP timeout; the lease is this plus 10 s


def main():
    f = harness.Failures()
    with harness.scratch_dir() as tmp:
        www = os.path.join(tmp, "www")
        os.makedirs(www)
        harness.write_rss_entries(os.path.join(www, "wire.xml"), "Wire", [ds.ZHIPU_SAUDI])
        maildir = os.path.join(tmp, "mail")
        db = os.path.join(tmp, "chuhai.db")
        with harness.Nginx(www) as nginx, \
                harness.Peer("smtp_server.py", "--maildir", maildir, "--stall-first-data", "60") as smtp:
            config = harness.write_config(
                os.path.join(tmp, "chuhai.yaml"), db, RULES, [{"url": nginx.url("wire.xml"), "name": "Wire"}],
                extra=f"""digests:
  - name: crash
    schedule: immediate
    email:
      from: digest@example.org
      to: alice@example.com
      smtp:
        url: smtp://127.0.0.1:{smtp.port}
        starttls: none
        timeout: {TIMEOUT}s
""")
            env = dict(os.environ)
            env.pop("CHUHAI_CONFIG", None)
            victim = subprocess.Popen([harness.BIN, "once", "--config", config],
                                      stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
            envelopes = os.path.join(maildir, "envelopes.jsonl")
            try:
                harness.wait_until(lambda: os.path.exists(envelopes) and os.path.getsize(envelopes) > 0,
                                   30, "the server to store the digest")
            finally:
                victim.send_signal(signal.SIGKILL)
                victim.wait()
            killed_at = time.monotonic()

            con = sqlite3.connect(db)
            row = con.execute("SELECT status, attempts, message_id FROM digests").fetchall()
            con.close()
            f.equal(len(row), 1, "the digest was recorded before it was sent")
            f.equal(row[0][:2] if row else None, ("pending", 0), "and never marked: still pending")

            early = harness.run_chuhai("once", "--config", config, check=0)
            f.check("0 delivered" in early.stdout, f"within the lease nothing is resent:\n{early.stdout}")
            f.equal(len(harness.read_maildir(maildir)[0]), 1, "one copy so far")

            # After the lease (timeout + 10 s from the claim), the next run sends it again.
            time.sleep(max(0.0, TIMEOUT + 10 + 1 - (time.monotonic() - killed_at)))
            late = harness.run_chuhai("once", "--config", config, check=0)
            f.check("1 delivered" in late.stdout, f"after the lease it is sent again:\n{late.stdout}")
            messages, envelopes_seen = harness.read_maildir(maildir)
            f.equal(len(messages), 2, "exactly one extra copy")
            if len(messages) == 2:
                f.equal(str(messages[0]["Message-ID"]), str(messages[1]["Message-ID"]),
                        "the resend carries the same Message-ID")
                f.equal(str(messages[0]["Message-ID"]), row[0][2] if row else None,
                        "the Message-ID recorded in the outbox")
                f.equal(messages[0].as_bytes(), messages[1].as_bytes(), "the very same bytes")
            con = sqlite3.connect(db)
            f.equal(con.execute("SELECT status FROM digests").fetchall(), [("sent",)], "now marked sent")
            con.close()

            final = harness.run_chuhai("once", "--config", config, check=0)
            f.check("0 delivered" in final.stdout, "nothing more is sent")
            f.equal(len(harness.read_maildir(maildir)[0]), 2, "still two copies")
    f.finish()


if __name__ == "__main__":
    main()
