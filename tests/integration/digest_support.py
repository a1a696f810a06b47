"""What the digest integration tests share: feed items about Chinese AI companies abroad that
the default rule pack matches (and one it does not), and readers for what `chuhai once` prints
and the webhook receiver records."""

import json
import os
import re


def item(guid, title, link, description, title_xml=None):
    entry = {"guid": guid, "title": title, "link": link, "description": description}
    if title_xml is not None:
        entry["title_xml"] = title_xml
    return entry


ALIBABA_RIYADH = item(
    "wire-1", "Alibaba Cloud opens a data centre in Saudi Arabia for AI customers",
    "https://wire.example.test/alibaba-cloud-riyadh",
    "The new cloud region near Riyadh will host Qwen models for companies across the Gulf.")
TENCENT_FRANKFURT = "Tencent Cloud launches Hunyuan models in its Frankfurt region"
TENCENT_TEXT = "European customers can now run Hunyuan inside the EU, Tencent Cloud said."
# Text that is markup once unescaped: a digest must keep it text.
DEEPSEEK_SCRIPT = item(
    "wire-3", "", "https://wire.example.test/deepseek-sea",
    "Startups in Indonesia and Vietnam are building on DeepSeek's open weights.",
    title_xml="&amp;lt;script&amp;gt;alert('digest')&amp;lt;/script&amp;gt; DeepSeek open-source "
              "model gains developers in Southeast Asia")
BICYCLE_LANES = item("wire-4", "City council approves new bicycle lanes",
                     "https://wire.example.test/bicycle-lanes", "The lanes will be built next spring.")
HUAWEI_MALAYSIA = item(
    "review-2", "Huawei offers Ascend AI chips to Malaysian data centres",
    "https://review.example.test/huawei-ascend-malaysia",
    "Huawei is selling Ascend training clusters to operators in Malaysia despite US export controls.")
ZHIPU_SAUDI = item(
    "wire-5", "Zhipu signs agreement with Saudi Arabia to build GLM data centre",
    "https://wire.example.test/zhipu-saudi",
    "The partnership with a Saudi government fund covers a sovereign AI cloud running GLM models "
    "in Riyadh.")
VOLCANO_SINGAPORE = item(
    "wire-6", "火山引擎在新加坡设立国际总部 向东南亚企业提供豆包大模型",
    "https://wire.example.test/volcano-singapore", "字节跳动旗下火山引擎表示，将在新加坡组建团队，加快出海步伐。")


def digest_summary(stdout):
    """(built, delivered, waiting, failed) from the "digests: ..." line of `chuhai once`."""
    m = re.search(r"digests: (\d+) built, (\d+) delivered, (\d+) waiting to be retried, (\d+) failed",
                  stdout)
    assert m, f"no digest summary in: {stdout!r}"
    return tuple(map(int, m.groups()))


def webhook_requests(log):
    """What tests/servers/webhook_receiver.py recorded, one dict per request."""
    if not os.path.exists(log):
        return []
    with open(log, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def wait_for_retries(db):
    """Sleeps until every pending digest's next attempt has come (times are whole seconds)."""
    import sqlite3
    import time
    con = sqlite3.connect(db)
    try:
        latest = con.execute("SELECT max(next_attempt) FROM digests WHERE status = 'pending'").fetchone()[0]
    finally:
        con.close()
    if latest is not None:
        time.sleep(max(0.0, latest + 1 - time.time()))
