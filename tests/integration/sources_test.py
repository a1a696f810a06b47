"""`chuhai sources` through the real binary, against nginx and the scripted test server on
127.0.0.1: add, list (health at a glance: failing, gone, moved), remove, disable and enable, the
configuration file owning the URLs it lists, and OPML import and export."""

import json
import os
import sqlite3
import xml.etree.ElementTree as ET

import harness

RULES = os.path.join(harness.SOURCE_DIR, "rules")
OPML_FIXTURES = os.path.join(harness.FIXTURES, "fetch")


def listing(config, *extra):
    result = harness.run_chuhai("sources", "list", "--json", "--config", config, *extra, check=0)
    return {s["name"]: s for s in json.loads(result.stdout)}


def requests_of(server, path):
    return sum(1 for p in server.requests() if p == path)


def opml_feeds(text):
    """xmlUrl -> (title, category) of every feed outline."""
    root = ET.fromstring(text)
    return {o.get("xmlUrl"): (o.get("title"), o.get("category") or "")
            for o in root.iter("outline") if o.get("xmlUrl")}


def main():
    f = harness.Failures()
    with harness.scratch_dir() as tmp:
        www = os.path.join(tmp, "www")
        os.makedirs(www)
        for name in ("a", "b", "c", "d"):
            harness.write_rss(os.path.join(www, f"{name}.xml"), [
                {"title": f"Item one of {name}", "slug": f"{name}1", "text": "Nothing in particular."},
                {"title": f"Item two of {name}", "slug": f"{name}2", "text": "Nothing either."}],
                title=f"Feed {name}", host=f"{name}.example.test")
        db = os.path.join(tmp, "chuhai.db")
        with harness.Nginx(www) as nginx, harness.ScriptedServer() as scripted:
            config_path = os.path.join(tmp, "chuhai.yaml")
            config_sources = [{"url": nginx.url("a.xml"), "name": "Config Feed", "tags": ["config"]}]
            config = harness.write_config(config_path, db, RULES, config_sources)

            def sources(*args, check=0):
                return harness.run_chuhai("sources", *args, "--config", config, check=check)

            # -- add, and the first listing: nothing polled yet.
            added = sources("add", nginx.url("b.xml"), "--name", "CLI Feed", "--tags", "cli,media")
            f.check("added #" in added.stdout and "reload" in added.stdout,
                    f"add says what it did and that a running daemon needs a reload:\n{added.stdout}")
            sources("add", scripted.url("/status/410"), "--name", "Gone")
            sources("add", scripted.url("/status/500"), "--name", "Broken")
            moved_from = scripted.url("/redirect/301?to=" + nginx.url("c.xml"))
            sources("add", moved_from, "--name", "Mover")
            before = listing(config)
            f.equal(sorted(before), ["Broken", "CLI Feed", "Config Feed", "Gone", "Mover"], "sources listed")
            f.equal((before["CLI Feed"]["origin"], before["CLI Feed"]["tags"], before["CLI Feed"]["state"]),
                    ("cli", ["cli", "media"], "new"), "a CLI source before its first poll")
            f.equal((before["Config Feed"]["origin"], before["Config Feed"]["in_config"]), ("config", True),
                    "the configuration's source is listed beside them")

            # -- one poll: health at a glance.
            harness.run_chuhai("once", "--config", config, check=0)
            after = listing(config)
            for name in ("Config Feed", "CLI Feed"):
                f.equal(after[name]["state"], "ok", f"{name}: state after a good poll")
                f.check(after[name]["last_success"] is not None, f"{name}: last success recorded")
                f.equal(after[name]["last_items_seen"], 2, f"{name}: items seen")
            gone = after["Gone"]
            f.equal((gone["state"], gone["enabled"]), ("disabled", False), "410: the source is disabled")
            f.check("410" in (gone["disabled_reason"] or ""), f"410: the reason says so: {gone}")
            broken = after["Broken"]
            f.equal((broken["state"], broken["consecutive_failures"], broken["last_http_status"]),
                    ("failing", 1, 500), "500: failing, with its status")
            f.check("500" in (broken["last_error"] or ""), f"500: the last error names it: {broken}")
            mover = after["Mover"]
            f.equal(mover["url"], nginx.url("c.xml"), "301: the source now has the new URL")
            f.equal(mover["former_urls"], [moved_from], "301: the old URL is kept as a former URL")
            text = sources().stdout  # `chuhai sources` alone lists as text
            for expected in ("failing", "disabled: HTTP 410", "moved from", "5 sources: 1 failing, 1 disabled, 3 ok"):
                f.check(expected in text, f"the text listing shows {expected!r}:\n{text}")
            states = [line.split()[1] for line in text.splitlines() if line.startswith("#")]
            f.equal(states, ["failing", "disabled", "ok", "ok", "ok"], "trouble is listed first")

            # -- a disabled source is not polled; enabling it polls it again.
            harness.run_chuhai("once", "--config", config, check=0)
            f.equal(requests_of(scripted, "/status/410"), 1, "a source disabled by 410 is not polled")
            f.equal(listing(config)["Broken"]["consecutive_failures"], 2, "failures in a row are counted")
            enabled = sources("enable", f"#{listing(config)['Gone']['id']}")  # by id, as listed
            f.check("enabled" in enabled.stdout, f"enable says so:\n{enabled.stdout}")
            f.equal((listing(config)["Gone"]["enabled"], listing(config)["Gone"]["disabled_reason"]), (True, None),
                    "enable clears the disablement")
            harness.run_chuhai("once", "--config", config, check=0)
            f.equal(requests_of(scripted, "/status/410"), 2, "an enabled source is polled again")
            sources("disable", "Broken", "--reason", "on holiday")
            f.equal(listing(config)["Broken"]["disabled_reason"], "on holiday", "disabled by hand, with a reason")
            polls = requests_of(scripted, "/status/500")
            harness.run_chuhai("once", "--config", config, check=0)
            f.equal(requests_of(scripted, "/status/500"), polls, "a source disabled by hand is not polled")

            # -- the configuration file owns the URLs it lists.
            refused = sources("add", nginx.url("a.xml"), check=2)
            f.check("chuhai.yaml:4:" in refused.stderr and "configuration" in refused.stderr,
                    f"adding a configured URL is refused, naming FILE:LINE:COL:\n{refused.stderr}")
            refused = sources("remove", "Config Feed", check=2)
            f.check("chuhai.yaml:4:" in refused.stderr,
                    f"removing a configured source is refused, naming where it is:\n{refused.stderr}")
            for unknown in ("no-such-source", "999", "99999999999999999999999"):
                missing = sources("enable", unknown, check=2)
                f.check(f"no source with the id, URL or name '{unknown}'" in missing.stderr,
                        f"an unknown source is named:\n{missing.stderr}")
            bad = sources("add", "ftp://example.org/feed", check=2)
            f.check("http://" in bad.stderr, f"a URL that is not http(s) is refused:\n{bad.stderr}")

            # -- remove: not polled any more, its items stay.
            cli_id = listing(config)["CLI Feed"]["id"]
            sources("remove", "CLI Feed")
            f.check("CLI Feed" not in listing(config), "a removed source is not listed")
            f.equal(listing(config, "--all")["CLI Feed"]["state"], "removed", "--all lists it as removed")
            polls = nginx.read_access_log().count("/b.xml")
            harness.run_chuhai("once", "--config", config, check=0)
            f.equal(nginx.read_access_log().count("/b.xml"), polls, "a removed source is not polled")
            con = sqlite3.connect(db)
            f.equal(con.execute("SELECT count(*) FROM items WHERE source_id = ?", (cli_id,)).fetchone()[0], 2,
                    "the items of a removed source stay")
            con.close()
            sources("add", nginx.url("b.xml"), "--name", "CLI Feed")
            f.equal(listing(config)["CLI Feed"]["id"], cli_id, "adding it again restores the same source")

            # -- a URL added here and later listed in the file: the file wins, history stays.
            sources("add", nginx.url("d.xml"), "--name", "Was CLI")
            harness.run_chuhai("once", "--config", config, check=0)
            was = listing(config)["Was CLI"]
            harness.write_config(config_path, db, RULES,
                                 config_sources + [{"url": nginx.url("d.xml"), "name": "Now Config"}])
            now = listing(config)
            f.check("Was CLI" not in now and "Now Config" in now, f"the file's name wins: {sorted(now)}")
            if "Now Config" in now:
                taken = now["Now Config"]
                f.equal((taken["id"], taken["origin"], taken["last_success"]),
                        (was["id"], "config", was["last_success"]), "same source, now the file's, health kept")
            harness.write_config(config_path, db, RULES, config_sources)
            dropped = listing(config)["Now Config"]
            f.equal((dropped["state"], dropped["disabled_reason"]), ("disabled", "no longer in the configuration"),
                    "a source dropped from the file is disabled, and says why")
            refused = sources("enable", "Now Config", check=2)
            f.check("sources add" in refused.stderr, f"enabling it says how to keep it:\n{refused.stderr}")
            sources("remove", "Now Config")

            # -- OPML export, then import into another database: the same feeds and tags.
            exported = os.path.join(tmp, "export.opml")
            sources("export", exported)
            with open(exported) as opml:
                feeds = opml_feeds(opml.read())
            expected = {s["url"] for s in listing(config).values()}
            f.equal(set(feeds), expected, "every source is exported (removed and dropped ones aside)")
            f.equal(feeds.get(nginx.url("a.xml")), ("Config Feed", "config"), "the file's source with its tags")
            f.equal(opml_feeds(sources("export").stdout), feeds, "export without FILE writes standard output")

            other = harness.write_config(os.path.join(tmp, "other.yaml"), os.path.join(tmp, "other.db"), RULES, [])
            imported = harness.run_chuhai("sources", "import", exported, "--config", other, check=0)
            f.check(f"{len(feeds)} feeds, {len(feeds)} added" in imported.stdout, f"import counts:\n{imported.stdout}")
            again = harness.run_chuhai("sources", "import", exported, "--config", other, check=0)
            f.check(f"0 added, {len(feeds)} updated" in again.stdout, f"importing again adds nothing:\n{again.stdout}")
            copy = listing(other)
            f.equal({s["url"]: s["tags"] for s in copy.values()},
                    {url: [t for t in category.split(",") if t] for url, (_, category) in feeds.items()},
                    "URLs and tags survive export and import")
            f.equal({s["origin"] for s in copy.values()}, {"cli"}, "imported sources are the database's")

            nested = harness.run_chuhai("sources", "import", os.path.join(OPML_FIXTURES, "nested_folders.opml"),
                                        "--tags", "imported", "--config", other, check=0)
            f.check("3 feeds, 3 added" in nested.stdout, f"nested folders import:\n{nested.stdout}")
            f.equal(listing(other).get("机器之心", {}).get("tags"), ["AI", "China", "imported"],
                    "folders become tags, --tags adds more")
            broken = harness.run_chuhai("sources", "import", os.path.join(OPML_FIXTURES, "not_well_formed.opml"),
                                        "--config", other)
            f.check(broken.returncode == 1 and "not_well_formed.opml:" in broken.stderr,
                    f"a broken OPML file fails naming FILE:LINE (exit {broken.returncode}):\n{broken.stderr}")
    f.finish()


if __name__ == "__main__":
    main()
