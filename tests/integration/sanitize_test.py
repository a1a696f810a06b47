"""Sanitised HTML for digests, computed for matched items only: `chuhai once` against nginx
serving a feed whose matched item carries a script, event handlers, styles, an external image,
an iframe and a javascript: link. The stored sanitised HTML (SQLite and `chuhai items --json`)
keeps the text and safe links and nothing else; the unmatched item is never sanitised.
"""

import json
import os
import shutil
import sqlite3

import harness

FEEDS = os.path.join(harness.FIXTURES, "integration", "sanitize")
RULES = os.path.join(harness.SOURCE_DIR, "rules")


def main():
    f = harness.Failures()
    with harness.scratch_dir() as tmp:
        docroot = os.path.join(tmp, "www")
        shutil.copytree(FEEDS, docroot)
        with harness.Nginx(docroot) as nginx:
            db = os.path.join(tmp, "chuhai.db")
            config = harness.write_config(os.path.join(tmp, "chuhai.yaml"), db, RULES, [
                {"url": nginx.url("matched_item_with_unsafe_html.xml"), "name": "Sanitize Wire"},
            ])
            harness.run_chuhai("once", "--config", config, check=0)

            con = sqlite3.connect(db)
            rows = dict(con.execute("SELECT item_key, sanitized_html FROM items").fetchall())
            matched = {r[0] for r in con.execute(
                "SELECT i.item_key FROM items i JOIN matches m ON m.item_id = i.id")}
            f.equal(sorted(rows), ["id:sanitize-1", "id:sanitize-2"], "both items stored")
            f.equal(matched, {"id:sanitize-1"}, "only the Alibaba item matched")

            clean = rows.get("id:sanitize-1") or ""
            f.check(clean != "", "the matched item has sanitised HTML")
            for kept in ("Qwen models", "<b>Qwen models</b>", "Map of the new region", "Click here",
                         'href="http://127.0.0.1:%d/reports/riyadh?page=2"' % nginx.port,
                         'rel="nofollow noopener noreferrer"'):
                f.check(kept in clean, "sanitised HTML keeps %r:\n%s" % (kept, clean))
            lowered = clean.lower()
            for gone in ("<script", "document.cookie", "<style", "display: none", "onclick", "onmouseover",
                         "onerror", "style=", "class=", "<img", "pixel.gif", "<iframe", "ads.example",
                         "javascript:", "utm_source", "target=", "#top"):
                f.check(gone not in lowered, "sanitised HTML has no %r:\n%s" % (gone, clean))
            f.equal(rows.get("id:sanitize-2"), None, "the unmatched item is never sanitised (NULL)")

            listed = harness.run_chuhai("items", "--config", config, "--json", check=0)
            by_title = {item["title"]: item for item in json.loads(listed.stdout)}
            alibaba = by_title.get("Alibaba Cloud opens a data centre in Saudi Arabia for AI customers", {})
            bicycle = by_title.get("City council approves new bicycle lanes", {})
            f.equal(alibaba.get("sanitized_html"), clean, "chuhai items --json shows the sanitised HTML")
            f.check("sanitized_html" in bicycle and bicycle["sanitized_html"] is None,
                    "chuhai items --json: null for the unmatched item: %r" % bicycle)
    f.finish()


if __name__ == "__main__":
    main()
