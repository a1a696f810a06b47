"""The rule commands on stored items: `chuhai explain ITEM_ID` and `chuhai rules backfill`.

`chuhai once` stores the fixture feeds (served by nginx on 127.0.0.1) under the default rules;
then a different rule set is re-applied to them: a dry run changes nothing and says what would
change per rule and per item, the real run replaces the matches under the new version and is
idempotent, and an item a digest already carried stays carried (it is never sent again).
"""

import json
import os
import shutil
import sqlite3

import harness

FEEDS = os.path.join(harness.FIXTURES, "integration", "feeds")
RULES = os.path.join(harness.SOURCE_DIR, "rules")

# Rules that differ from the default pack: the bakery matches now, DeepSeek by another rule, and
# the cloud and chip items no longer match.
NEW_RULES = """settings:
  threshold: 10
rules:
  - id: bread
    title: Bread
    topic: food
    score: 10
    match: bakery
  - id: deepseek
    title: DeepSeek
    topic: open-models
    score: 10
    match: DeepSeek
"""


def matches(db):
    con = sqlite3.connect(db)
    try:
        return sorted(con.execute(
            "SELECT item_id, rule_id, ruleset_version, score FROM matches").fetchall())
    finally:
        con.close()


def main():
    f = harness.Failures()
    with harness.scratch_dir() as tmp:
        docroot = os.path.join(tmp, "www")
        shutil.copytree(FEEDS, docroot)
        with harness.Nginx(docroot) as nginx:
            db = os.path.join(tmp, "chuhai.db")
            config = harness.write_config(os.path.join(tmp, "chuhai.yaml"), db, RULES, [
                {"url": nginx.url("wire_rss2_mixed.xml"), "name": "Wire", "tags": ["media"]},
                {"url": nginx.url("review_atom_mixed.xml"), "name": "Review"},
            ])
            harness.run_chuhai("corpus", "import", os.path.join(harness.SOURCE_DIR, "store",
                                                                "corpus"), "--config", config,
                               check=0)
            harness.run_chuhai("once", "--config", config, check=0)

        con = sqlite3.connect(db)
        ids = {title: item for item, title in con.execute(
            "SELECT i.id, i.title FROM items i JOIN sources s ON s.id = i.source_id "
            "WHERE s.kind = 'feed'")}
        con.close()

        def item_id(prefix):
            return next(item for title, item in ids.items() if title.startswith(prefix))

        deepseek = item_id("DeepSeek")
        alibaba = item_id("Alibaba Cloud opens")
        bakery = item_id("Local bakery")
        bicycle = item_id("City council")

        # -- explain ITEM_ID: the stored fields, the source's tags, the stored verdict
        text = harness.run_chuhai("explain", str(deepseek), "--config", config, check=0).stdout
        f.check(f"item {deepseek}: DeepSeek open-source model gains developers" in text, text)
        f.check("source: Wire (tags: media)" in text, f"source and tags:\n{text}")
        f.check("stored: matched by open-models-abroad" in text, f"stored verdict:\n{text}")
        f.check("verdict: MATCH" in text and "differently" not in text, text)
        report = json.loads(harness.run_chuhai("explain", str(deepseek), "--config", config,
                                               "--json", check=0).stdout)
        f.equal(report["item"]["source_tags"], ["media"], "explain --json: source tags")
        f.equal(report["item"]["stored_verdict_differs"], False, "explain --json: same verdict")
        f.check(report["item"]["corpus"] is not None, "the stored corpus similarity is shown")
        f.equal(report["result"]["matched"], True, "explain --json: verdict")
        missing = harness.run_chuhai("explain", "999999", "--config", config)
        f.equal(missing.returncode, 2, "explain of an unknown item: exit status")
        f.check("no item 999999" in missing.stderr, missing.stderr)

        # A digest already carried the Alibaba item on channel "daily"; retention dropped the
        # bicycle item's text.
        con = sqlite3.connect(db)
        con.execute("INSERT INTO digests (channel, period_start, period_end, message_id, payload,"
                    " status, next_attempt, created_at) VALUES ('daily', 0, 1, '<d1@test>', 'x',"
                    " 'sent', 0, 0)")
        con.execute("INSERT INTO digest_items (channel, item_id, digest_id) VALUES "
                    "('daily', ?, last_insert_rowid())", (alibaba,))
        # (Only the mark: changing the text itself fires the search index's triggers, which
        # need chuhai's tokenizer.)
        con.execute("UPDATE items SET text_dropped_at = 1 WHERE id = ?", (bicycle,))
        con.commit()
        con.close()

        new_rules = os.path.join(tmp, "new-rules")
        os.makedirs(new_rules)
        with open(os.path.join(new_rules, "rules.yaml"), "w") as out:
            out.write(NEW_RULES)

        # -- a dry run changes nothing and reports per rule and per item
        before = matches(db)
        dry = json.loads(harness.run_chuhai("rules", "backfill", "--rules", new_rules,
                                            "--config", config, "--dry-run", "--json",
                                            check=0).stdout)
        f.equal(matches(db), before, "a dry run changes no match")
        f.equal(dry["items"], 7, "dry run: every stored feed item is looked at")
        f.equal(dry["title_only"], 1, "dry run: the item whose text retention dropped")
        f.equal(dry["newly_matched"], 1, "dry run: the bakery item newly matches")
        f.equal(dry["no_longer_matched"], 3, "dry run: the cloud and chip items no longer match")
        f.equal(dry["rules_changed"], 1, "dry run: DeepSeek matches by another rule")
        f.equal(dry["unchanged"], 2, "dry run: unrelated items stay unmatched")
        f.equal(dry["no_longer_matched_already_sent"], 1, "dry run: the Alibaba item was sent")
        rules = {r["id"]: r for r in dry["rules"]}
        f.equal((rules["bread"]["added"], rules["bread"]["in_rules"]), (1, True), "rule bread")
        f.equal((rules["deepseek"]["added"], rules["deepseek"]["kept"]), (1, 0), "rule deepseek")
        f.equal((rules["open-models-abroad"]["removed"], rules["open-models-abroad"]["in_rules"]),
                (1, False), "a rule that is gone")
        f.equal([i["id"] for i in dry["newly_matched_items"]], [bakery], "listed: newly matched")
        gone = {i["id"]: i for i in dry["no_longer_matched_items"]}
        f.equal(gone.get(alibaba, {}).get("digest_channels"), ["daily"],
                "listed: the Alibaba item with the channel that carried it")

        text = harness.run_chuhai("rules", "backfill", "--rules", new_rules, "--config", config,
                                  "--dry-run", "--list", "1", check=0).stdout
        f.check(text.startswith("rules backfill --dry-run (nothing is changed)"), text)
        f.check("would newly match (1):" in text and "Local bakery wins" in text, text)
        f.check("would no longer match (3):" in text and "… and 2 more" in text, text)
        f.check("1 item that no longer matches was already sent; a digest is never recalled"
                in text, text)
        f.equal(matches(db), before, "a text dry run changes nothing either")

        # -- the real run replaces every stored match under the new version
        done = json.loads(harness.run_chuhai("rules", "backfill", "--rules", new_rules,
                                             "--config", config, "--json", check=0).stdout)
        f.equal(done["dry_run"], False, "backfill: not a dry run")
        f.equal(done["rewritten"], 5, "backfill: items whose matches were written")
        version = done["rules_version"]
        after = matches(db)
        f.equal({(item, rule) for item, rule, _, _ in after},
                {(bakery, "bread"), (deepseek, "deepseek")}, "only the new verdicts are stored")
        f.check(all(v == version for _, _, v, _ in after), f"all under {version}: {after}")
        con = sqlite3.connect(db)
        carried = con.execute("SELECT item_id FROM digest_items WHERE channel = 'daily'").fetchall()
        con.close()
        f.equal(carried, [(alibaba,)], "the outbox still holds what the channel carried")

        # -- idempotent: a second run writes nothing
        again = json.loads(harness.run_chuhai("rules", "backfill", "--rules", new_rules,
                                              "--config", config, "--json", check=0).stdout)
        f.equal((again["rewritten"], again["unchanged"]), (0, 7), "a second run changes nothing")
        f.equal(matches(db), after, "a second run leaves the matches as they are")

        # -- --since bounds the items; explain tells the stored verdict from the current one
        future = json.loads(harness.run_chuhai("rules", "backfill", "--rules", RULES, "--config",
                                               config, "--since", "2999-01-01T00:00:00Z",
                                               "--json", check=0).stdout)
        f.equal(future["items"], 0, "--since after every item: none looked at")
        bad = harness.run_chuhai("rules", "backfill", "--config", config, "--since", "soon")
        f.equal(bad.returncode, 2, "--since soon: usage error")
        text = harness.run_chuhai("explain", str(bakery), "--config", config, check=0).stdout
        f.check("stored: matched by bread 15 (rules " + version + ")" in text, text)
        f.check("the current rules decide differently" in text, text)
        text = harness.run_chuhai("explain", str(bicycle), "--config", config, check=0).stdout
        f.check("text: dropped by retention" in text, text)
    f.finish()


if __name__ == "__main__":
    main()
