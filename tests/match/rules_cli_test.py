#!/usr/bin/env python3
"""`chuhai rules check`, `chuhai rules test` and `chuhai explain` through the real binary.

Run by ctest with CHUHAI_BIN (the binary) and CHUHAI_SOURCE_DIR (the project) in the
environment. Uses only the standard library.
"""
import json
import os
import re
import subprocess
import sys
import tempfile
import unittest

BIN = os.environ["CHUHAI_BIN"]
SOURCE = os.environ["CHUHAI_SOURCE_DIR"]
RULES = os.path.join(SOURCE, "rules")
FIXTURES = os.path.join(SOURCE, "tests", "fixtures", "match")


def chuhai(*args, env=None):
    environment = dict(os.environ)
    environment["CHUHAI_CONFIG"] = "/nonexistent/chuhai.yaml"
    environment.update(env or {})
    return subprocess.run([BIN, *args], capture_output=True, text=True, timeout=120,
                          env=environment)


class RulesCheck(unittest.TestCase):
    def test_default_pack_is_clean(self):
        result = chuhai("rules", "check", RULES)
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        self.assertRegex(result.stdout, r"^ok: \d+ rules")

    def test_every_error_as_file_line_col_and_exit_2(self):
        broken = os.path.join(FIXTURES, "broken-rules")
        result = chuhai("rules", "check", broken)
        self.assertEqual(result.returncode, 2, result.stdout + result.stderr)
        lines = result.stdout.splitlines()
        errors = [line for line in lines if re.match(r"^.+\.yaml:\d+:\d+: ", line)]
        self.assertEqual(len(errors), 4, result.stdout)
        self.assertIn(broken + "/cloud.yaml:7:11: unknown key 'anny' in a condition "
                      "(did you mean 'any'?)", lines)
        self.assertEqual(lines[-1], "4 errors, 0 warnings")

    def test_missing_rules_directory_is_a_usage_error(self):
        result = chuhai("rules", "check")
        self.assertEqual(result.returncode, 2)
        self.assertIn("no rules directory", result.stderr)

    def test_rules_directory_from_the_config_file(self):
        with tempfile.TemporaryDirectory() as tmp:
            config = os.path.join(tmp, "chuhai.yaml")
            os.symlink(RULES, os.path.join(tmp, "my-rules"))
            with open(config, "w") as f:
                f.write("rules: my-rules\n")
            result = chuhai("rules", "check", env={"CHUHAI_CONFIG": config})
            self.assertEqual(result.returncode, 0, result.stdout + result.stderr)


class RulesTest(unittest.TestCase):
    def test_json_with_labels_reaches_the_goals(self):
        result = chuhai("rules", "test", "--rules", RULES, "--corpus",
                        os.path.join(FIXTURES, "labelled"), "--labels",
                        os.path.join(FIXTURES, "labelled.tsv"), "--json")
        self.assertEqual(result.returncode, 0, result.stderr)
        report = json.loads(result.stdout)
        self.assertGreaterEqual(report["precision"], 0.9)
        self.assertGreaterEqual(report["recall"], 0.9)
        documents = {d["file"]: d for d in report["documents"]}
        self.assertGreaterEqual(len(documents), 80)
        doc = documents["en-tencent-cloud-mobily-deal.txt"]
        self.assertTrue(doc["matched"])
        self.assertIn("partnerships", doc["topics"])
        self.assertIn("partnerships-abroad", doc["rules"])
        self.assertFalse(documents["en-huawei-mate-phone-review.txt"]["matched"])

    def test_text_report_lists_misclassified_documents(self):
        with tempfile.TemporaryDirectory() as tmp:
            labels = os.path.join(tmp, "labels.tsv")
            with open(labels, "w") as f:  # deliberately wrong labels
                f.write("en-huawei-mate-phone-review.txt\t1\nen-kling-opens-worldwide.txt\t0\n")
            result = chuhai("rules", "test", "--rules", RULES, "--corpus",
                            os.path.join(FIXTURES, "labelled"), "--labels", labels)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("false positive: en-kling-opens-worldwide.txt", result.stdout)
        self.assertIn("false negative: en-huawei-mate-phone-review.txt", result.stdout)
        self.assertIn("precision 0.000", result.stdout)
        self.assertRegex(result.stdout, r"(?m)^MATCH .* en-kling-opens-worldwide\.txt")

    def test_broken_rules_stop_with_exit_2(self):
        result = chuhai("rules", "test", "--rules", os.path.join(FIXTURES, "broken-rules"),
                        "--corpus", os.path.join(FIXTURES, "labelled"))
        self.assertEqual(result.returncode, 2)
        self.assertIn("cloud.yaml:7:11", result.stderr)


FEEDS = os.path.join(SOURCE, "tests", "fixtures", "integration", "feeds")

# A rule that holds on corpus similarity alone, so that tests see which corpus was measured.
SIMILARITY_RULES = """settings:
  threshold: 5
rules:
  - id: like-the-corpus
    topic: corpus
    score: 5
    match:
      similar_to_corpus: 0.08
"""

SIMILAR_DOCUMENT = """Alibaba Cloud rides the east wind of Chinese enterprises going abroad

At its summit on Chinese enterprises going global, Alibaba Cloud said it would add data centres
abroad for Chinese carmakers and AI companies expanding overseas, with Qwen models for customers.
"""

UNRELATED_DOCUMENT = """Local bakery wins national bread prize

The bakery on the corner won the national prize for its sourdough loaf this weekend.
"""


def write(path, text):
    with open(path, "w") as f:
        f.write(text)
    return path


class RulesTestFeedsAndCorpus(unittest.TestCase):
    def test_feed_files_are_read_entry_by_entry(self):
        with tempfile.TemporaryDirectory() as tmp:
            corpus = os.path.join(tmp, "corpus")
            os.makedirs(corpus)
            with open(os.path.join(FEEDS, "wire_rss2_mixed.xml"), "rb") as f:
                feed = f.read()
            with open(os.path.join(corpus, "wire.xml"), "wb") as f:
                f.write(feed)
            write(os.path.join(corpus, "page.json"), '{"not": "a feed"}')
            write(os.path.join(corpus, "bakery.txt"), UNRELATED_DOCUMENT)
            labels = write(os.path.join(tmp, "labels.tsv"),
                           "wire.xml#1\t1\nwire.xml#3\t1\nwire.xml#4\t0\nbakery.txt\t0\n")
            result = chuhai("rules", "test", "--rules", RULES, "--corpus", corpus,
                            "--labels", labels, "--json")
            self.assertEqual(result.returncode, 0, result.stderr)
            report = json.loads(result.stdout)
            documents = {d["file"]: d for d in report["documents"]}
            self.assertEqual(sorted(documents),
                             ["bakery.txt"] + ["wire.xml#%d" % n for n in range(1, 6)])
            self.assertEqual(documents["wire.xml#3"]["title"],
                             "DeepSeek open-source model gains developers in Southeast Asia")
            self.assertTrue(documents["wire.xml#3"]["matched"])
            self.assertIn("open-models", documents["wire.xml#3"]["topics"])
            self.assertFalse(documents["wire.xml#4"]["matched"])
            self.assertEqual(report["precision"], 1.0)
            self.assertEqual(report["recall"], 1.0)
            # A file with a feed's extension that is no feed is skipped with the reason.
            self.assertEqual(len(report["skipped"]), 1)
            self.assertTrue(report["skipped"][0].startswith("page.json: not a feed"),
                            report["skipped"])
            self.assertIn("skipped page.json: not a feed", result.stderr)

            text = chuhai("rules", "test", "--rules", RULES, "--corpus", corpus)
            self.assertEqual(text.returncode, 0, text.stderr)
            self.assertRegex(text.stdout, r'(?m)^MATCH .* wire\.xml#3 "DeepSeek open-source')
            self.assertNotIn("not read by this build", text.stdout + text.stderr)

    def run_similarity_test(self, tmp, *extra):
        rules = os.path.join(tmp, "rules")
        os.makedirs(rules, exist_ok=True)
        write(os.path.join(rules, "rules.yaml"), SIMILARITY_RULES)
        corpus = os.path.join(tmp, "docs")
        os.makedirs(corpus, exist_ok=True)
        write(os.path.join(corpus, "similar.txt"), SIMILAR_DOCUMENT)
        write(os.path.join(corpus, "unrelated.txt"), UNRELATED_DOCUMENT)
        result = chuhai("rules", "test", "--rules", rules, "--corpus", corpus, "--json", *extra)
        self.assertEqual(result.returncode, 0, result.stderr)
        report = json.loads(result.stdout)
        return report, {d["file"]: d for d in report["documents"]}

    def test_similarity_to_the_shipped_corpus_by_default(self):
        with tempfile.TemporaryDirectory() as tmp:
            report, documents = self.run_similarity_test(tmp)
        self.assertEqual(report["corpus"]["origin"], "shipped")
        self.assertGreaterEqual(report["corpus"]["documents"], 4)
        self.assertGreater(documents["similar.txt"]["similarity"], 0.08)
        self.assertLess(documents["unrelated.txt"]["similarity"], 0.08)
        self.assertEqual(documents["similar.txt"]["rules"], ["like-the-corpus"])
        self.assertEqual(documents["unrelated.txt"]["rules"], [])

    def test_similarity_to_the_configured_databases_corpus(self):
        with tempfile.TemporaryDirectory() as tmp:
            database = os.path.join(tmp, "chuhai.db")
            config = write(os.path.join(tmp, "chuhai.yaml"),
                           "database: %s\nrules: %s\n" % (database, RULES))
            # No database yet: no corpus, as the daemon would start; the test creates nothing.
            report, documents = self.run_similarity_test(tmp, "--config", config)
            self.assertEqual(report["corpus"]["origin"], "none")
            self.assertIn("does not exist", report["corpus"]["description"])
            self.assertIsNone(documents["similar.txt"]["similarity"])
            self.assertEqual(documents["similar.txt"]["rules"], [])
            self.assertFalse(os.path.exists(database))

            # A corpus of one bakery document: now the bakery is the similar one.
            seed = os.path.join(tmp, "seed")
            os.makedirs(seed)
            write(os.path.join(seed, "bread.txt"), UNRELATED_DOCUMENT)
            imported = chuhai("corpus", "import", seed, "--config", config)
            self.assertEqual(imported.returncode, 0, imported.stderr)
            report, documents = self.run_similarity_test(tmp, "--config", config)
            self.assertEqual(report["corpus"]["origin"], "database")
            self.assertEqual(report["corpus"]["documents"], 1)
            self.assertGreater(documents["unrelated.txt"]["similarity"], 0.9)
            self.assertEqual(documents["unrelated.txt"]["rules"], ["like-the-corpus"])
            self.assertEqual(documents["similar.txt"]["rules"], [])

            text = chuhai("rules", "test", "--rules", os.path.join(tmp, "rules"), "--corpus",
                          os.path.join(tmp, "docs"), "--db", database)
            self.assertEqual(text.returncode, 0, text.stderr)
            self.assertIn("corpus similarity (sim) against the corpus imported in " + database,
                          text.stdout)

    def test_explain_measures_similarity_the_same_way(self):
        with tempfile.TemporaryDirectory() as tmp:
            rules = os.path.join(tmp, "rules")
            os.makedirs(rules)
            write(os.path.join(rules, "rules.yaml"), SIMILARITY_RULES)
            document = write(os.path.join(tmp, "similar.txt"), SIMILAR_DOCUMENT)
            result = chuhai("explain", document, "--rules", rules)
            self.assertEqual(result.returncode, 0, result.stderr)
            self.assertIn("verdict: MATCH", result.stdout)
            self.assertRegex(result.stdout,
                             r"corpus similarity: 0\.\d+ \(nearest: \"Alibaba Cloud rides")
            self.assertRegex(result.stdout, r"\[\+\] similar to the seed corpus >= 0\.08  "
                                            r"\(similarity 0\.\d+\)")
            report = json.loads(chuhai("explain", document, "--rules", rules, "--json").stdout)
            self.assertEqual(report["document"]["corpus"]["origin"], "shipped")
            self.assertTrue(report["result"]["matched"])

    def test_explain_an_entry_of_a_feed_file(self):
        feed = os.path.join(FEEDS, "wire_rss2_mixed.xml")
        result = chuhai("explain", feed + "#3", "--rules", RULES)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("title: DeepSeek open-source model gains developers in Southeast Asia",
                      result.stdout)
        self.assertIn("verdict: MATCH", result.stdout)
        several = chuhai("explain", feed, "--rules", RULES)
        self.assertEqual(several.returncode, 2)
        self.assertIn("the feed has 5 entries: name one as FILE#N", several.stderr)
        beyond = chuhai("explain", feed + "#9", "--rules", RULES)
        self.assertEqual(beyond.returncode, 2)
        self.assertIn("not 9", beyond.stderr)


class Explain(unittest.TestCase):
    def test_text_shows_verdicts_terms_and_positions(self):
        document = os.path.join(FIXTURES, "labelled", "en-tencent-cloud-mobily-deal.txt")
        result = chuhai("explain", document, "--rules", RULES)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("verdict: MATCH", result.stdout)
        self.assertRegex(result.stdout, r"\[\+\] partnerships-abroad  \+\d+")
        self.assertIn('title[0,13) "Tencent Cloud"', result.stdout)
        self.assertIn("mentions: chinese_cloud_providers: Tencent Cloud x2; "
                      "overseas_places: Saudi Arabia x2 Riyadh x1", result.stdout)

    def test_json_explains_a_negative(self):
        document = os.path.join(FIXTURES, "labelled", "zh-byd-thailand-plant.txt")
        result = chuhai("explain", document, "--rules", RULES, "--json")
        self.assertEqual(result.returncode, 0, result.stderr)
        report = json.loads(result.stdout)
        self.assertFalse(report["result"]["matched"])
        verdicts = {r["id"]: r for r in report["rules"]}
        self.assertTrue(verdicts["factory-abroad"]["held"])
        self.assertEqual(verdicts["ai-chips-global-race"]["note"], "none of its key terms occurs")
        # Places occur, but no cloud provider: the rule's key term.
        self.assertEqual(verdicts["cloud-abroad"]["note"], "none of its key terms occurs")
        self.assertEqual(verdicts["chinese-ai-enters-a-market"]["note"], "none of its key terms occurs")

    def test_unreadable_document_fails(self):
        result = chuhai("explain", "/nonexistent/doc.txt", "--rules", RULES)
        self.assertEqual(result.returncode, 1)
        self.assertIn("/nonexistent/doc.txt", result.stderr)


if __name__ == "__main__":
    sys.exit(0 if unittest.main(exit=False, verbosity=2).result.wasSuccessful() else 1)
