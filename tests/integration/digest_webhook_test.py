"""A webhook digest retried through the outbox: the receiver (tests/servers/webhook_receiver.py,
which checks the HMAC signature like docs/digests.md tells receivers to) answers 429 with a
Retry-After first; `chuhai once` records the digest and keeps it; the next `once` sends the same
body with the same Idempotency-Key, freshly signed, and it is delivered once.
"""

import json
import os

import digest_support as ds
import harness

RULES = os.path.join(harness.SOURCE_DIR, "rules")
SECRET = "whsec-integration-0123456789"

ITEMS = [ds.ALIBABA_RIYADH, ds.HUAWEI_MALAYSIA]


def main():
    f = harness.Failures()
    with harness.scratch_dir() as tmp:
        www = os.path.join(tmp, "www")
        os.makedirs(www)
        harness.write_rss_entries(os.path.join(www, "wire.xml"), "Wire", ITEMS)
        secret = harness.write_private(os.path.join(tmp, "webhook-secret"), SECRET + "\n")
        log = os.path.join(tmp, "requests.jsonl")
        with harness.Nginx(www) as nginx, \
                harness.Peer("webhook_receiver.py", "--log", log, "--secret-file", secret,
                             "--responses", "429", "--retry-after", "1", "--reject-invalid") as hook:
            config = harness.write_config(
                os.path.join(tmp, "chuhai.yaml"), os.path.join(tmp, "chuhai.db"), RULES,
                [{"url": nginx.url("wire.xml"), "name": "Wire"}],
                extra=f"""digests:
  - name: team-hook
    schedule: immediate
    webhook:
      url: http://127.0.0.1:{hook.port}/hooks/chuhai
      kind: json
      secret_file: {secret}
      timeout: 10s
delivery:
  retry: {{initial_delay: 1s, max_delay: 1s, jitter: 0}}
""")
            first = harness.run_chuhai("once", "--config", config, check=0)
            f.equal(ds.digest_summary(first.stdout), (1, 0, 1, 0), "429: recorded, waiting for a retry")
            f.check("temporary failure" in first.stdout and "429" in first.stdout,
                    f"the 429 is reported:\n{first.stdout}")
            f.check(SECRET not in first.stdout + first.stderr, "the secret is never logged")

            ds.wait_for_retries(os.path.join(tmp, "chuhai.db"))  # Retry-After: 1
            second = harness.run_chuhai("once", "--config", config, check=0)
            f.equal(ds.digest_summary(second.stdout), (0, 1, 0, 0), "the retry is delivered")

            seen = ds.webhook_requests(log)
            f.equal([r["status"] for r in seen], [429, 200], "the receiver answered 429, then 200")
            if len(seen) == 2:
                keys = [r["headers"].get("idempotency-key") for r in seen]
                f.check(keys[0] and keys[0] == keys[1], f"the same Idempotency-Key on both: {keys}")
                f.equal([r["signature"] for r in seen], ["valid", "valid"], "both requests are signed")
                stamps = [r["headers"]["x-chuhai-signature"].split(",")[0] for r in seen]
                f.check(stamps[0] != stamps[1], f"signed again, with a fresh timestamp: {stamps}")
                f.equal(seen[0]["body"], seen[1]["body"], "the retry sends the recorded body")
                f.equal([r["duplicate"] for r in seen], [False, False],
                        "the receiver saw no delivered duplicate")
                body = json.loads(seen[1]["body"])
                f.equal(body["schema"], "chuhai.digest", "the generic JSON schema")
                f.equal(body["version"], 1, "its version")
                f.equal(body["id"], keys[0], "the idempotency key is the digest id")
                titles = [s["title"] for t in body["topics"] for s in t["stories"]]
                f.equal(sorted(titles), sorted(i["title"] for i in ITEMS), "both stories")
                f.equal(sum(c["current"] for c in body["counts"]["topics"]), len(titles),
                        "topic counts add up to the stories")
                companies = {c["name"] for c in body["counts"]["companies"]}
                f.check("Alibaba Cloud" in companies and "Saudi Arabia" not in companies,
                        f"companies, not places: {companies}")
                links = {i["title"]: i["link"] for i in ITEMS}
                f.check(all(s["sources"] == [{"name": "Wire", "link": links[s["title"]]}]
                            for t in body["topics"] for s in t["stories"]),
                        "each story names its source with its link")

            third = harness.run_chuhai("once", "--config", config, check=0)
            f.equal(ds.digest_summary(third.stdout), (0, 0, 0, 0), "nothing left")
            f.equal(len(ds.webhook_requests(log)), 2, "nothing sent again")
    f.finish()


if __name__ == "__main__":
    main()
