"""`chuhai demo` (what `make demo` runs): the bundled feeds served on loopback, polled twice by
the real fetcher, matched by the default rules, stored, and a digest printed with source names
and links; unrelated items stay out."""

import re

import harness


def main():
    f = harness.Failures()
    result = harness.run_chuhai("demo", check=0)
    out = result.stdout
    f.check(re.search(r"first poll:  3 sources: 3 ok \(0 not modified\), 0 failed; \d+ items: \d+ new", out)
            is not None, f"first poll summary:\n{out}")
    f.check(re.search(r"second poll: 3 sources: 3 ok \(3 not modified\), 0 failed; 0 items: 0 new", out)
            is not None, f"second poll: all 304, nothing new:\n{out}")
    for expected in [
        "Alibaba Cloud opens its second data centre in Mexico",
        "https://wire.example.com/2026/11/alibaba-cloud-mexico",  # tracking parameters dropped
        "Global Tech Wire",
        "Tencent Cloud's Frankfurt region",
        "https://review.example.org/2026/11/tencent-cloud-frankfurt",  # relative link, xml:base
        "Asia AI Review",
        "火山引擎在新加坡设立国际总部",
        "出海观察",
        "Huawei pitches Ascend AI chips",
    ]:
        f.check(expected in out, f"digest shows {expected!r}")
    # Two feeds carry the DeepSeek story under different links and headlines: one story, with
    # both sources.
    f.check(out.count("10 million downloads") == 1, f"the DeepSeek story once:\n{out}")
    f.check(re.search(r"(Asia AI Review and Global Tech Wire|Global Tech Wire and Asia AI Review)"
                      r" · first seen", out) is not None, "the DeepSeek story names both sources")
    for unrelated in ["Pixel phone", "football", "Typhoon", "大风蓝色预警"]:
        f.check(unrelated not in out, f"digest leaves out {unrelated!r}")
    f.check(re.search(r"^chuhai digest: demo$", out, re.M) is not None, "digest header")
    # The DeepSeek story two feeds tell in other words is one story with both sources.
    f.equal(len(re.findall(r"^ *\d+\. DeepSeek", out, re.M)), 1, "the DeepSeek story is listed once")
    f.check(re.search(r"Asia AI Review and Global Tech Wire|Global Tech Wire and Asia AI Review", out)
            is not None, "with both of its sources")
    # The header's count of topics is the sections below it, and their stories add up.
    sections = re.findall(r"^(\S+) \((\d+)\)\n=+$", out, re.M)
    header = re.search(r"^(\d+) stories in (\d+) topics$", out, re.M)
    f.check(header is not None and int(header.group(2)) == len(sections)
            and int(header.group(1)) == sum(int(n) for _, n in sections),
            f"'N stories in M topics' agrees with the sections {sections}")
    companies = re.search(r"^Companies\s+(.*(?:\n {11}\S.*)*)", out, re.M)
    f.check(companies is not None and "Saudi Arabia" not in companies.group(1)
            and "Southeast Asia" not in companies.group(1), "places are not counted as companies")
    # The shipped reference corpus is in a fresh database: stories about the subject name the
    # document they resemble.
    related = re.findall(r"^    Related: (.+)", out, re.M)
    f.check(len(related) >= 2 and any("Alibaba Cloud rides the east wind" in r for r in related),
            f"stories name their nearest corpus document:\n{related}")
    f.check(result.stderr.strip() == "", f"no warnings on the bundled feeds:\n{result.stderr}")
    f.finish()


if __name__ == "__main__":
    main()
