#!/usr/bin/python3
"""Runs `chuhai feed parse --json` over feedparser's test corpus and checks the Expect lines.

Each corpus file carries an `Expect:` Python expression about feedparser's result. This script
never imports feedparser: it reads the expression with the `ast` module, keeps the comparisons
about fields chuhai models (feed title/link/subtitle; entry title, link, id, published, updated,
author, summary, content, categories; encoding, version, bozo), maps them onto chuhai's JSON and
evaluates them itself. Text fields are compared as plain text (chuhai emits text for matching;
feedparser emits sanitised HTML), whitespace-collapsed. Files whose folder is excluded are
listed with the reason (docs/feeds.md keeps the same list).

Exit status: 0 when at least 90% of the applicable well-formed files pass and no ill-formed
file crashed or hung; 1 otherwise; 77 (skipped) when the corpus is missing.
"""
import argparse
import ast
import html
import html.parser
import json
import os
import re
import subprocess
import sys
import time
import urllib.parse
from collections import defaultdict
from datetime import datetime, timezone

SKIPPED = 77
DOCUMENT_SERVER = "http://127.0.0.1:8097/tests/"
BATCH = 200
TIMEOUT_SECONDS = 120

EXCLUDED_FOLDERS = {
    "wellformed/cdf": "Microsoft CDF is not a feed format chuhai reads",
}

TEXT_FIELDS = {"title", "summary", "content", "subtitle", "author"}


class TextExtractor(html.parser.HTMLParser):
    """HTML → words, the way chuhai's html_to_text() is specified: script/style dropped."""

    DROPPED = {"script", "style", "noscript", "iframe", "template"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts = []
        self.dropping = 0

    def handle_starttag(self, tag, attrs):
        if tag in self.DROPPED:
            self.dropping += 1
        self.parts.append(" ")

    def handle_endtag(self, tag):
        if tag in self.DROPPED and self.dropping:
            self.dropping -= 1
        self.parts.append(" ")

    def handle_data(self, data):
        if not self.dropping:
            self.parts.append(data)


def as_text(value):
    extractor = TextExtractor()
    try:
        extractor.feed(value)
        extractor.close()
        text = "".join(extractor.parts)
    except Exception:  # noqa: BLE001 - a value html.parser cannot read is compared as is
        text = value
    return " ".join(text.replace("\u00a0", " ").split())


def collapse(value):
    return " ".join(str(value).replace("\u00a0", " ").split())


def read_header(raw):
    """The header comment's fields; UTF-16/32 files carry it encoded too."""
    for encoding in ("utf-8", "utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-le", "utf-32-be"):
        try:
            text = raw.decode(encoding)
        except UnicodeDecodeError:
            continue
        if "Expect:" in text:
            fields = defaultdict(list)
            for line in text.splitlines():
                m = re.match(r"\s*(Description|Expect|Header|SkipUnless):\s*(.*)$", line)
                if m:
                    fields[m.group(1)].append(m.group(2).strip())
            return fields
    return None


def literal(node):
    """A constant, or string concatenation of constants, or a tuple of them."""
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return literal(node.left) + literal(node.right)
    if isinstance(node, ast.Tuple):
        return tuple(literal(e) for e in node.elts)
    if isinstance(node, ast.List):
        return [literal(e) for e in node.elts]
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return -literal(node.operand)
    raise ValueError("not a literal")


def subscript_path(node):
    path = []
    while isinstance(node, ast.Subscript):
        key = node.slice
        path.append(literal(key))
        node = node.value
    if isinstance(node, ast.Name):
        path.append(node.id)
    else:
        raise ValueError("not a path")
    return list(reversed(path))


VERSIONS = {
    "rss090": "rss0.9x", "rss091n": "rss0.9x", "rss091u": "rss0.9x", "rss092": "rss0.9x",
    "rss093": "rss0.9x", "rss094": "rss0.9x", "rss20": "rss2.0", "rss10": "rss1.0",
    "atom10": "atom1.0", "atom03": "atom0.3",
}

ENCODING_FAMILIES = [
    {"iso-8859-1", "latin-1", "latin1", "us-ascii", "ascii", "windows-1252", "cp1252"},
    {"gb2312", "gbk", "gb18030"},
    {"utf-16", "utf-16le", "utf-16be", "utf-16-le", "utf-16-be"},
    {"utf-32", "utf-32le", "utf-32be", "utf-32-le", "utf-32-be"},
    {"utf-8", "utf8"},
]


def same_encoding(expected, actual):
    e, a = expected.lower().replace("_", "-"), (actual or "").lower()
    if e == a:
        return True
    return any(e in family and a in family for family in ENCODING_FAMILIES)


def entry_field(entries, index, name):
    if index >= len(entries):
        return None
    return entries[index].get(name)


def map_clause(path):
    """Returns a function(result) -> value for a path chuhai models, or None."""
    if path == ["bozo"]:
        return lambda r: r.get("bozo")
    if path == ["encoding"]:
        return lambda r: r.get("encoding")
    if path == ["version"]:
        return lambda r: r.get("format")
    if len(path) >= 2 and path[0] == "feed":
        key = path[1:]
        if key in (["title"], ["title_detail", "value"]):
            return ("text", lambda r: (r.get("feed") or {}).get("title"))
        if key in (["link"],):
            return ("url", lambda r: (r.get("feed") or {}).get("url"))
        if key in (["subtitle"], ["tagline"], ["description"], ["subtitle_detail", "value"],
                   ["tagline_detail", "value"]):
            return ("text", lambda r: (r.get("feed") or {}).get("subtitle"))
        return None
    if len(path) >= 3 and path[0] == "entries" and isinstance(path[1], int):
        i, key = path[1], path[2:]
        def field(name, kind="text"):
            return (kind, lambda r: entry_field(r.get("entries") or [], i, name))
        if key in (["title"], ["title_detail", "value"]):
            return field("title")
        if key == ["link"]:
            return field("url", "url")
        if key == ["id"]:
            return field("id", "plain")
        if key in (["summary"], ["description"], ["summary_detail", "value"]):
            # feedparser fills summary from content when an entry has only content.
            def summary_or_content(r):
                summary = entry_field(r.get("entries") or [], i, "summary")
                return summary or entry_field(r.get("entries") or [], i, "content")
            return ("text", summary_or_content)
        if key == ["content", 0, "value"]:
            return field("content")
        if key in (["author"], ["author_detail", "name"]):
            return field("author", "author")
        if key in (["published_parsed"], ["updated_parsed"], ["created_parsed"]):
            name = "updated" if key[0] == "updated_parsed" else "published"
            return (name + "_parsed", lambda r: entry_field(r.get("entries") or [], i, name))
        if len(key) == 3 and key[0] == "tags" and isinstance(key[1], int) and key[2] == "term":
            j = key[1]
            return ("plain", lambda r: (entry_field(r.get("entries") or [], i, "categories") or [None] * (j + 1))[j]
                    if len(entry_field(r.get("entries") or [], i, "categories") or []) > j else None)
        if key == ["category"]:
            return ("plain", lambda r: ((entry_field(r.get("entries") or [], i, "categories") or [None])[0]))
        return None
    return None


def parse_expect(expression):
    """[(kind, clause)] where kind is 'bozo', 'field' or 'unmapped'."""
    tree = ast.parse(expression.strip(), mode="eval").body
    parts = tree.values if isinstance(tree, ast.BoolOp) and isinstance(tree.op, ast.And) else [tree]
    clauses = []
    for part in parts:
        if isinstance(part, ast.Name) and part.id == "bozo":
            clauses.append(("bozo", True))
        elif isinstance(part, ast.UnaryOp) and isinstance(part.op, ast.Not) and \
                isinstance(part.operand, ast.Name) and part.operand.id == "bozo":
            clauses.append(("bozo", False))
        elif isinstance(part, ast.Compare) and len(part.ops) == 1 and isinstance(part.ops[0], ast.Eq):
            try:
                path = subscript_path(part.left)
                expected = literal(part.comparators[0])
            except (ValueError, AttributeError):
                clauses.append(("unmapped", ast.unparse(part)))
                continue
            mapped = map_clause(path)
            if mapped is None or path == ["bozo"]:
                clauses.append(("unmapped", ast.unparse(part)))
            elif callable(mapped):
                clauses.append(("field", (path, "plain" if path != ["encoding"] and path != ["version"] else path[0], mapped, expected)))
            else:
                kind, getter = mapped
                clauses.append(("field", (path, kind, getter, expected)))
        else:
            clauses.append(("unmapped", ast.unparse(part)))
    return clauses


def check_field(kind, actual, expected):
    if kind == "encoding":
        return isinstance(expected, str) and same_encoding(expected, actual)
    if kind == "version":
        if expected in ("", "rss"):
            return None  # feedparser's "unknown version": nothing chuhai models
        return VERSIONS.get(expected) == actual
    if kind.endswith("_parsed"):
        if not isinstance(expected, tuple) or len(expected) < 6:
            return None
        if actual is None:
            return False
        t = datetime.strptime(actual, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
        return tuple(expected[:6]) == (t.year, t.month, t.day, t.hour, t.minute, t.second)
    if not isinstance(expected, str):
        return None
    if actual is None:
        actual = ""
    if kind == "text":
        # Equal as plain text, or equal as written (text constructs that hold '<').
        return as_text(expected) == collapse(actual) or collapse(expected) == collapse(actual)
    if kind == "author":
        # chuhai keeps the name; feedparser writes "name (email)" or splits it.
        name = re.sub(r"\s*[(<][^()<>]*@[^()<>]*[)>]\s*$", "", expected).strip()
        m = re.match(r"^\s*\S+@\S+\s*\((.*)\)\s*$", expected)
        if m:
            name = m.group(1).strip()
        return collapse(actual) in (collapse(expected), name)
    if kind == "url":
        return expected.strip() == actual
    return collapse(expected) == collapse(actual)


def run_batch(chuhai, files, options):
    content_type, base_url = options
    command = [chuhai, "feed", "parse", "--json"]
    if content_type:
        command += ["--content-type", content_type]
    if base_url:
        command += ["--base-url", base_url]
    command += files
    started = time.monotonic()
    try:
        done = subprocess.run(command, capture_output=True, timeout=TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired:
        return None, "hang (> %ds)" % TIMEOUT_SECONDS
    if done.returncode not in (0, 1):
        return None, "exit status %d: %s" % (done.returncode, done.stderr.decode(errors="replace")[-400:])
    results = {}
    for line in done.stdout.decode("utf-8", errors="replace").splitlines():
        obj = json.loads(line)
        results[obj["source"]] = obj
    del started
    return results, None


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--chuhai", required=True)
    parser.add_argument("--corpus", default=os.path.join(os.environ.get("CHUHAI_SHARED_DIR", ""), "corpus", "feedparser"))
    parser.add_argument("--quiet", action="store_true", help="print only failures and the summary")
    args = parser.parse_args()
    if not os.path.isdir(args.corpus):
        print("SKIPPED: feedparser corpus not found at %s" % args.corpus)
        return SKIPPED

    cases = []
    for root, _, names in os.walk(args.corpus):
        for name in sorted(names):
            if name.startswith(("README", "LICENSE")):
                continue
            path = os.path.join(root, name)
            folder = os.path.relpath(root, args.corpus)
            with open(path, "rb") as f:
                header = read_header(f.read())
            content_type, base_url = "", ""
            if header:
                for h in header.get("Header", []):
                    k, _, v = h.partition(":")
                    if k.strip().lower() == "content-type":
                        content_type = v.strip()
                    elif k.strip().lower() == "content-location":
                        base_url = v.strip()
                if name.startswith("http_"):
                    # The URL feedparser's own test server serves the file from.
                    document_url = DOCUMENT_SERVER + os.path.relpath(path, args.corpus)
                    base_url = urllib.parse.urljoin(document_url, base_url) if base_url else document_url
            cases.append((path, folder, header, (content_type, base_url)))

    groups = defaultdict(list)
    for path, folder, header, options in cases:
        groups[options].append(path)
    results, failures_to_run = {}, {}
    for content_type, files in groups.items():  # content_type: (content type, base URL)
        for start in range(0, len(files), BATCH):
            batch = files[start:start + BATCH]
            got, problem = run_batch(args.chuhai, batch, content_type)
            if got is None:
                # Find which file(s) crashed or hung, one by one.
                for path in batch:
                    one, one_problem = run_batch(args.chuhai, [path], content_type)
                    if one is None:
                        failures_to_run[path] = one_problem
                    else:
                        results.update(one)
            else:
                results.update(got)

    counts = defaultdict(int)
    per_folder = defaultdict(lambda: [0, 0])
    failed_lines, crashes, passed_lines = [], [], []
    for path, folder, header, content_type in sorted(cases):
        rel = os.path.relpath(path, args.corpus)
        top = "/".join(folder.split("/")[:2])
        if path in failures_to_run:
            crashes.append("%s: %s" % (rel, failures_to_run[path]))
            counts["crashed"] += 1
            continue
        result = results.get(path)
        if result is None:
            crashes.append("%s: no output" % rel)
            counts["crashed"] += 1
            continue
        if top in EXCLUDED_FOLDERS:
            counts["excluded"] += 1
            continue
        if not header or not header.get("Expect"):
            counts["no_expect"] += 1
            continue
        if header.get("SkipUnless"):
            pass  # codecs chuhai's ICU has; evaluated like the others
        try:
            clauses = parse_expect(header["Expect"][0])
        except SyntaxError:
            counts["unreadable_expect"] += 1
            continue
        expects_bozo = any(kind == "bozo" and value for kind, value in clauses)
        ill_formed = expects_bozo or folder.startswith("illformed")
        fields = [c for kind, c in clauses if kind == "field"]
        outcomes = []
        for path_, kind, getter, expected in fields:
            try:
                actual = getter(result)
            except (IndexError, KeyError, TypeError):
                actual = None
            ok = check_field(kind, actual, expected)
            if ok is None:
                continue
            outcomes.append((ok, path_, expected, actual))
        bozo_clauses = [value for kind, value in clauses if kind == "bozo"]
        if result.get("error"):
            outcomes.append((False, ["error"], None, result["error"]))
        if ill_formed:
            counts["illformed"] += 1
            # Ill-formed: must not crash (checked above) and must yield feedparser's fields.
            if all(ok for ok, *_ in outcomes):
                counts["illformed_pass"] += 1
            else:
                failed_lines.append("FAIL (ill-formed) %s: %s" % (rel, describe(outcomes)))
            continue
        if not outcomes:
            counts["bozo_only"] += 1
            if bozo_clauses and result.get("bozo") is True:
                failed_lines.append("NOTE %s: expected not bozo, got bozo (%s)" % (rel, result.get("bozo_reason")))
                counts["bozo_only_mismatch"] += 1
            continue
        counts["applicable"] += 1
        per_folder[top][0] += 1
        if all(ok for ok, *_ in outcomes):
            counts["pass"] += 1
            per_folder[top][1] += 1
            passed_lines.append("PASS %s" % rel)
        else:
            failed_lines.append("FAIL %s: %s" % (rel, describe(outcomes)))

    if not args.quiet:
        for line in passed_lines:
            print(line)
    for line in failed_lines:
        print(line)
    for line in crashes:
        print("CRASH/HANG %s" % line)
    print()
    print("per folder (applicable well-formed files: passed/total):")
    for folder in sorted(per_folder):
        total, passed = per_folder[folder]
        print("  %-28s %4d/%-4d" % (folder, passed, total))
    for folder, reason in EXCLUDED_FOLDERS.items():
        print("  excluded %s: %s" % (folder, reason))
    applicable, passed = counts["applicable"], counts["pass"]
    rate = 100.0 * passed / applicable if applicable else 0.0
    print("files: %d; applicable well-formed: %d, passed %d (%.1f%%); only bozo/unmapped clauses: %d "
          "(bozo mismatches: %d); ill-formed: %d (yielding feedparser's fields: %d); excluded: %d; "
          "without Expect: %d; crashed or hung: %d" % (
              len(cases), applicable, passed, rate, counts["bozo_only"], counts["bozo_only_mismatch"],
              counts["illformed"], counts["illformed_pass"], counts["excluded"], counts["no_expect"],
              counts["crashed"]))
    print("%d passed, %d failed" % (passed, applicable - passed))
    if counts["crashed"] or rate < 90.0:
        return 1
    return 0


def describe(outcomes):
    bad = [(p, e, a) for ok, p, e, a in outcomes if not ok]
    return "; ".join("%s expected %r got %r" % ("/".join(map(str, p)), e, a) for p, e, a in bad[:3])


if __name__ == "__main__":
    sys.exit(main())
