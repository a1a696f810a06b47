"""Digests by e-mail from the real binary: `chuhai once` polls nginx, builds the digest and sends
it to an SMTP server on 127.0.0.1 (aiosmtpd with STARTTLS required, a self-signed certificate
trusted through ca_file, AUTH with the password read from a file). The message the server
received is parsed with Python's email package and checked: MIME structure, headers, escaping of
hostile feed text, every source of a story with its own link, topics that add up, companies and
not places, and the password nowhere in the log.

Then the mail server is down for a run and up for the next: nothing is lost, nothing is sent
twice.
"""

import os
import re

import digest_support as ds
import harness

RULES = os.path.join(harness.SOURCE_DIR, "rules")
PASSWORD = "correct-horse-battery-staple"

WIRE = [
    ds.ALIBABA_RIYADH,
    # The article both feeds carry, each at its own address.
    ds.item("wire-2", ds.TENCENT_FRANKFURT, "https://wire.example.test/2026/11/tencent-frankfurt",
            ds.TENCENT_TEXT),
    ds.DEEPSEEK_SCRIPT,
    ds.BICYCLE_LANES,
]
REVIEW = [
    ds.item("review-1", ds.TENCENT_FRANKFURT, "https://review.example.test/tencent-cloud-frankfurt-hunyuan",
            ds.TENCENT_TEXT),
    # A title that tries to add a header to the mail.
    dict(ds.HUAWEI_MALAYSIA,
         title_xml="Huawei offers Ascend AI chips to Malaysian data centres&#13;&#10;Bcc: evil@example.org"),
]
LATER = [ds.ZHIPU_SAUDI, ds.VOLCANO_SINGAPORE]
MATCHED_FIRST = ["Alibaba Cloud opens a data centre", "Tencent Cloud launches Hunyuan models",
                 "DeepSeek open-source model gains", "Huawei offers Ascend AI chips"]
MATCHED_LATER = ["Zhipu signs agreement", "火山引擎在新加坡设立国际总部"]


def channel_config(port, password_file, cert):
    return f"""digests:
  - name: daily
    schedule: immediate
    email:
      from: "chuhai digest <digest@example.org>"
      to: ["Alice <alice@example.com>", bob@example.net]
      smtp:
        url: smtp://127.0.0.1:{port}
        username: digest-bot
        password_file: {password_file}
        ca_file: {cert}
        timeout: 10s
delivery:
  retry: {{initial_delay: 1s, max_delay: 1s, jitter: 0}}
"""


def smtp_args(maildir, cert, key, password_file, port=None):
    args = ["--maildir", maildir, "--cert", cert, "--key", key, "--starttls",
            "--user", "digest-bot", "--password-file", password_file]
    if port:
        args += ["--port", port]
    return args




def check_message(f, message, envelope):
    text, html = harness.mail_parts(message)
    f.equal(message.get_content_type(), "multipart/alternative", "the digest is multipart/alternative")
    f.equal([p.get_content_type() for p in message.iter_parts()], ["text/plain", "text/html"],
            "a plain part, then an HTML part")
    f.check(all(p.get_content_charset() == "utf-8" for p in message.iter_parts()), "both parts are UTF-8")
    f.equal(message["From"].addresses[0].addr_spec, "digest@example.org", "From")
    f.equal(sorted(a.addr_spec for a in message["To"].addresses), ["alice@example.com", "bob@example.net"], "To")
    f.equal(sorted(envelope["rcpt_tos"]), ["alice@example.com", "bob@example.net"],
            "the envelope's recipients: no Bcc smuggled in")
    f.check(envelope["tls"], "STARTTLS was used")
    f.check(envelope["authenticated"] and envelope["auth_login"] == "digest-bot", "AUTH as digest-bot")
    f.check(message["Bcc"] is None and "evil@example.org" not in str(message["To"]),
            "a feed title cannot add a header")
    digest_id = str(message["X-Chuhai-Digest"])
    f.equal(str(message["Message-ID"]), f"<{digest_id}@example.org>", "Message-ID from the digest id")
    f.check(str(message["List-Id"]).endswith(".digest.example.org>"), f"List-Id: {message['List-Id']}")
    subject = re.fullmatch(r"chuhai digest: daily, \d{4}-\d\d-\d\d \((\d+) stor(?:y|ies)\)", str(message["Subject"]))
    f.check(subject is not None, f"subject: {message['Subject']}")
    stories = int(subject.group(1)) if subject else -1

    # Escaping: the script tag is text in both parts, never markup.
    f.check("<script" not in html.lower(), "no script element in the HTML")
    if "DeepSeek open-source model gains" in text:
        f.check("&lt;script&gt;alert(" in html, "the title's markup is escaped in the HTML")
        f.check("<script>alert('digest')</script>" in text, "the plain part shows the title as it is")
    # Topics: sections in the text, adding up to the stories, and the header says so.
    sections = re.findall(r"^(\S+) \((\d+)\)\n=+$", text, re.M)
    f.check(len(sections) >= 1, f"topic sections in the text:\n{text}")
    f.equal(sum(int(n) for _, n in sections), stories, "the sections hold every story")
    f.check(f"{stories} stories in {len(sections)} topic" in text, "the header counts the sections")
    topics_line = re.search(r"^Topics\s+(.*)$", text, re.M)
    f.check(topics_line is not None and all(name in topics_line.group(1) for name, _ in sections),
            "every section is in the header's topic counts")
    companies = re.search(r"^Companies\s+(.*(?:\n {11}\S.*)*)", text, re.M)
    f.check(companies is not None and "Alibaba Cloud" in companies.group(1)
            and "Saudi Arabia" not in companies.group(1) and "Malaysia" not in companies.group(1),
            f"companies, not places, are counted:\n{companies.group(0) if companies else text}")
    return digest_id, stories, text, html


def first_run(f, tmp, nginx_url):
    cert, key = harness.make_certificate(tmp)
    password_file = harness.write_private(os.path.join(tmp, "smtp-password"), PASSWORD + "\n")
    maildir = os.path.join(tmp, "mail")
    with harness.Peer("smtp_server.py", *smtp_args(maildir, cert, key, password_file)) as smtp:
        config = harness.write_config(
            os.path.join(tmp, "chuhai.yaml"), os.path.join(tmp, "chuhai.db"), RULES,
            [{"url": nginx_url("wire.xml"), "name": "Wire"}, {"url": nginx_url("review.xml"), "name": "Review"}],
            extra=channel_config(smtp.port, password_file, cert))
        run = harness.run_chuhai("--log-level", "debug", "once", "--config", config, check=0)
        f.equal(ds.digest_summary(run.stdout), (1, 1, 0, 0), "one digest built and delivered")
        f.check(PASSWORD not in run.stdout + run.stderr, "the password is never logged")
        messages, envelopes = harness.read_maildir(maildir)
        f.equal(len(messages), 1, "the server received one message")
        if not messages:
            return
        digest_id, stories, text, html = check_message(f, messages[0], envelopes[0])
        f.equal(stories, 4, "the four relevant items are four stories")
        for title in MATCHED_FIRST:
            f.equal(text.count(title), 1, f"'{title}' appears once")
        f.check("bicycle" not in text, "the unrelated item is not in the digest")
        # The article both feeds carry, each at its own address: one story, both sources, each
        # linked to its own copy.
        f.check(re.search(r"Wire and Review|Review and Wire", text) is not None,
                "the shared story names both sources")
        for link in ("https://wire.example.test/2026/11/tencent-frankfurt",
                     "https://review.example.test/tencent-cloud-frankfurt-hunyuan"):
            f.check(link in html, f"the HTML links each source's own URL: {link}")

        again = harness.run_chuhai("once", "--config", config, check=0)
        f.equal(ds.digest_summary(again.stdout)[:2], (0, 0), "nothing new: nothing built or sent")
        f.equal(len(harness.read_maildir(maildir)[0]), 1, "still one message")


def server_down_then_up(f, tmp, nginx_url, www):
    cert, key = harness.make_certificate(tmp)
    password_file = harness.write_private(os.path.join(tmp, "smtp-password"), PASSWORD + "\n")
    maildir = os.path.join(tmp, "mail")
    port = harness.free_port()
    config = harness.write_config(
        os.path.join(tmp, "chuhai.yaml"), os.path.join(tmp, "chuhai.db"), RULES,
        [{"url": nginx_url("wire.xml"), "name": "Wire"}, {"url": nginx_url("review.xml"), "name": "Review"}],
        extra=channel_config(port, password_file, cert))
    down = harness.run_chuhai("once", "--config", config, check=0)
    f.equal(ds.digest_summary(down.stdout), (1, 0, 1, 0), "server down: built, waiting for a retry")
    f.check("temporary failure" in down.stdout, f"the attempt is reported:\n{down.stdout}")

    # News arrives meanwhile; then the server comes up.
    harness.write_rss_entries(os.path.join(www, "wire.xml"), "Wire", WIRE + LATER)
    with harness.Peer("smtp_server.py", *smtp_args(maildir, cert, key, password_file, port)):
        ds.wait_for_retries(os.path.join(tmp, "chuhai.db"))
        up = harness.run_chuhai("once", "--config", config, check=0)
        f.equal(ds.digest_summary(up.stdout), (1, 2, 0, 0), "server up: the waiting digest and the new one")
        messages, envelopes = harness.read_maildir(maildir)
        f.equal(len(messages), 2, "two messages received")
        ids = [str(m["X-Chuhai-Digest"]) for m in messages]
        f.equal(len(set(ids)), 2, "two different digests")
        texts = [harness.mail_parts(m)[0] for m in messages]
        for title in MATCHED_FIRST + MATCHED_LATER:
            f.equal(sum(t.count(title) for t in texts), 1, f"'{title}' is in exactly one message")
        f.check(all(t in texts[0] for t in MATCHED_FIRST), "the first digest holds the first items")
        f.check(all(t in texts[1] for t in MATCHED_LATER), "the second holds what came while down")
        for message, envelope in zip(messages, envelopes):
            check_message(f, message, envelope)

        last = harness.run_chuhai("once", "--config", config, check=0)
        f.equal(ds.digest_summary(last.stdout)[:3], (0, 0, 0), "nothing left to send")
        f.equal(len(harness.read_maildir(maildir)[0]), 2, "nothing sent twice")


def main():
    f = harness.Failures()
    for case in (first_run, server_down_then_up):
        with harness.scratch_dir() as tmp:
            www = os.path.join(tmp, "www")
            os.makedirs(www)
            harness.write_rss_entries(os.path.join(www, "wire.xml"), "Wire", WIRE)
            harness.write_rss_entries(os.path.join(www, "review.xml"), "Review", REVIEW)
            with harness.Nginx(www) as nginx:
                if case is first_run:
                    case(f, tmp, nginx.url)
                else:
                    case(f, tmp, nginx.url, www)
    f.finish()


if __name__ == "__main__":
    main()
