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
