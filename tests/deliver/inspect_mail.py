#!/usr/bin/python3
"""Parses one e-mail message with Python's standard `email` package and prints what the deliver
tests check, as JSON: header names in order, decoded header values, the MIME structure with each
part's decoded text, the parser's defects, and raw line statistics (longest line, bare LF).

Python's parser is independent of chuhai's builder, so agreeing with it is evidence that the
message is standard, not just self-consistent.
"""

import email
import email.policy
import json
import sys


def main():
    with open(sys.argv[1], "rb") as f:
        raw = f.read()
    msg = email.message_from_bytes(raw, policy=email.policy.default)

    head, _, body = raw.partition(b"\r\n\r\n")
    lines = raw.split(b"\r\n")
    result = {
        "header_names": list(msg.keys()),
        "subject": str(msg["Subject"]) if msg["Subject"] is not None else None,
        "from": [a.addr_spec for a in msg["From"].addresses] if msg["From"] else [],
        "from_display": [a.display_name for a in msg["From"].addresses] if msg["From"] else [],
        "to": [a.addr_spec for a in msg["To"].addresses] if msg["To"] else [],
        "to_display": [a.display_name for a in msg["To"].addresses] if msg["To"] else [],
        "message_id": str(msg["Message-ID"]) if msg["Message-ID"] else None,
        "list_id": str(msg["List-Id"]) if msg["List-Id"] else None,
        "date": str(msg["Date"]) if msg["Date"] else None,
        "date_valid": msg["Date"] is not None and msg["Date"].datetime is not None,
        "content_type": msg.get_content_type(),
        "parts": [],
        "defects": [repr(d) for d in msg.defects],
        "max_header_line": max(len(l) for l in head.split(b"\r\n")),
        "max_body_line": max((len(l) for l in body.split(b"\r\n")), default=0),
        "max_line": max(len(l) for l in lines),
        "bare_lf": b"\n" in raw.replace(b"\r\n", b""),
        "bare_cr": b"\r" in raw.replace(b"\r\n", b""),
        "header_count": {},
    }
    for name in msg.keys():
        result["header_count"][name.lower()] = result["header_count"].get(name.lower(), 0) + 1
    for part in msg.walk():
        if part.is_multipart():
            result["defects"] += [repr(d) for d in part.defects if part is not msg]
            continue
        result["parts"].append(
            {
                "content_type": part.get_content_type(),
                "charset": part.get_content_charset(),
                "transfer_encoding": part.get("Content-Transfer-Encoding"),
                # Line ends as LF, whatever the transfer encoding carried.
                "text": part.get_content().replace("\r\n", "\n"),
                "defects": [repr(d) for d in part.defects],
            }
        )
    json.dump(result, sys.stdout, ensure_ascii=False)


if __name__ == "__main__":
    main()
