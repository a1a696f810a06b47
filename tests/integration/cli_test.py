"""The chuhai command line as a user meets it: --help and --version; every subcommand, found by
walking the help output, has a --help that exits 0; the documented exit statuses (0 success,
1 runtime failure, 2 usage or configuration error) on representative failures; unknown
subcommands and options named as such; --log-level checked and applied for every subcommand."""

import os
import re

import harness

RULES = os.path.join(harness.SOURCE_DIR, "rules")
FEED = os.path.join(harness.FIXTURES, "integration", "feeds", "wire_rss2_mixed.xml")


def subcommands(help_text):
    """The names listed under 'Subcommands:' in CLI11's help output."""
    names = []
    in_section = False
    for line in help_text.splitlines():
        if line.startswith("Subcommands:"):
            in_section = True
            continue
        if in_section:
            m = re.match(r"^  (\S+)\s", line)
            if not m:
                if line.strip() and not line.startswith(" "):
                    break
                continue
            names.append(m.group(1))
    return names


def walk(f, path, seen):
    """--help of `path` and of every subcommand below it."""
    result = harness.run_chuhai(*path, "--help")
    f.equal(result.returncode, 0, f"chuhai {' '.join(path)} --help: exit status")
    f.check(result.stdout.startswith("") and "Usage: chuhai" in result.stdout,
            f"chuhai {' '.join(path)} --help prints a usage line:\n{result.stdout}")
    seen.append(" ".join(path))
    for name in subcommands(result.stdout):
        walk(f, [*path, name], seen)


def main():
    f = harness.Failures()
    seen = []
    walk(f, [], seen)
    # The walk must really have walked: these exist, with their own subcommands.
    for expected in ("once", "run", "demo", "feed parse", "sources list", "sources add", "sources remove",
                     "sources enable", "sources disable", "sources import", "sources export", "rules check",
                     "corpus import", "search", "items", "backup"):
        f.check(expected in seen, f"the help walk reached `chuhai {expected}`: {seen}")

    version = harness.run_chuhai("--version", check=0)
    f.check(re.fullmatch(r"chuhai \d+\.\d+\.\d+\S*\n", version.stdout) is not None,
            f"--version prints 'chuhai X.Y.Z': {version.stdout!r}")
    top = harness.run_chuhai("--help", check=0)
    f.check("Exit status: 0 success, 1 runtime failure, 2 usage or configuration error" in top.stdout,
            "--help documents the exit statuses")

    # -- 2: usage and configuration errors, each named.
    unknown = harness.run_chuhai("bogus", check=2)
    f.check("unknown subcommand 'bogus'" in unknown.stderr and "once" in unknown.stderr,
            f"an unknown subcommand is named, with the choices:\n{unknown.stderr}")
    f.check("required" not in unknown.stderr, f"...not called missing:\n{unknown.stderr}")
    nested = harness.run_chuhai("feed", "bogus", check=2)
    f.check("chuhai feed: unknown subcommand 'bogus'" in nested.stderr and "parse" in nested.stderr,
            f"an unknown nested subcommand is named:\n{nested.stderr}")
    missing = harness.run_chuhai(check=2)
    f.check("a subcommand is required" in missing.stderr, f"no subcommand at all:\n{missing.stderr}")
    option = harness.run_chuhai("--bogus", check=2)
    f.check("unknown option '--bogus'" in option.stderr, f"an unknown option is named:\n{option.stderr}")
    harness.run_chuhai("once", "--bogus", check=2)
    for args in (["--log-level", "bogus", "rules", "check", RULES],
                 ["--log-level", "bogus", "feed", "parse", FEED],
                 ["rules", "check", RULES, "--log-level", "loud"]):
        bad = harness.run_chuhai(*args, check=2)
        f.check("unknown log level" in bad.stderr, f"{args}: a bad --log-level is refused:\n{bad.stderr}")

    with harness.scratch_dir() as tmp:
        no_config = harness.run_chuhai("once", "--config", os.path.join(tmp, "missing.yaml"), check=2)
        f.check("missing.yaml" in no_config.stderr, f"a missing config is named:\n{no_config.stderr}")
        bad_config = os.path.join(tmp, "bad.yaml")
        with open(bad_config, "w") as out:
            out.write(f"database: {tmp}/db\nrules: {RULES}\nsources:\n  - url: https://a.example/\n    tags: 5\n")
        wrong = harness.run_chuhai("once", "--config", bad_config, check=2)
        f.check("bad.yaml:5:11" in wrong.stderr and "must be a list" in wrong.stderr,
                f"a scalar for a list is a config error with FILE:LINE:COL:\n{wrong.stderr}")
        quiet = harness.run_chuhai("--log-level", "off", "once", "--config", bad_config, check=2)
        f.check("bad.yaml:5:11" in quiet.stderr, f"the fatal error shows even with --log-level off:\n{quiet.stderr}")
        harness.run_chuhai("search", "--db", os.path.join(tmp, "db"), check=2)  # QUERY is required

        # -- 1: runtime failures.
        harness.run_chuhai("feed", "parse", os.path.join(tmp, "no-such-feed.xml"), check=1)
        good = harness.write_config(os.path.join(tmp, "good.yaml"), os.path.join(tmp, "db.sqlite"), RULES, [])
        # A mistyped database path: an error naming it, and no empty database left behind.
        typo = os.path.join(tmp, "typo.db")
        for args in (["search", "qwen"], ["items"], ["db", "check"], ["corpus", "list"],
                     ["backup", os.path.join(tmp, "copy.db")], ["explain", "1", "--rules", RULES]):
            missing_db = harness.run_chuhai(*args, "--db", typo, check=1)
            f.check("typo.db" in missing_db.stderr and "no such database file" in missing_db.stderr,
                    f"{args[0]} names the missing database:\n{missing_db.stderr}")
            f.check(not os.path.exists(typo), f"{args[0]} created {typo}")

        # -- 0, and --log-level applied where no configuration is read.
        harness.run_chuhai("rules", "check", RULES, check=0)
        harness.run_chuhai("feed", "parse", FEED, check=0)
        harness.run_chuhai("once", "--config", good, check=0)
        harness.run_chuhai("backup", os.path.join(tmp, "no-such-dir", "copy.db"), "--config", good, check=1)
        # Nothing listens on port 1: the poll fails with a warning, which --log-level can hide,
        # before or after the subcommand.
        refused = harness.write_config(os.path.join(tmp, "refused.yaml"), os.path.join(tmp, "db.sqlite"), RULES,
                                       [{"url": "http://127.0.0.1:1/feed.xml", "name": "Nobody Home"}])
        loud = harness.run_chuhai("once", "--config", refused, check=0)
        f.check("Nobody Home" in loud.stderr, f"the failed poll is logged:\n{loud.stderr}")
        for args in (["--log-level", "error", "once", "--config", refused],
                     ["once", "--config", refused, "--log-level", "error"]):
            hushed = harness.run_chuhai(*args, check=0)
            f.check("Nobody Home" not in hushed.stderr, f"{args}: --log-level error hides the warning:\n{hushed.stderr}")
        silent = harness.run_chuhai("--log-level", "off", "feed", "parse", os.path.join(tmp, "nothing.xml"), check=1)
        f.check("nothing.xml" in silent.stderr, "a failed input is still reported on stderr")
    f.finish()


if __name__ == "__main__":
    main()
