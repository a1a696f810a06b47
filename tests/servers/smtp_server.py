#!/usr/bin/python3
"""An SMTP server for chuhai's tests, on 127.0.0.1 and a free port.

Built on aiosmtpd's Controller (Debian's python3-aiosmtpd; run it with /usr/bin/python3). It can
require STARTTLS, speak TLS from the first byte (smtps), require AUTH, and answer RCPT or DATA
with a failure code. Every accepted message is stored byte for byte in a Maildir, and one JSON
line per message (envelope, whether TLS and AUTH were used) is appended to DIR/envelopes.jsonl.

It prints "PORT <n>" on stdout once it listens, and stops on SIGTERM/SIGINT or when its stdin
reaches end of file (the test that started it has gone), so it never outlives a test.

--stall-first-data S stores the first message and then waits S seconds before answering it: the
client has handed the message over but does not know yet, which is where a test kills it to see
what a crash between "sent" and "marked sent" does.
"""

import argparse
import asyncio
import json
import logging
import mailbox
import os
import signal
import socket
import ssl
import sys
import threading
import warnings

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


class FreePortController(Controller):
    """A Controller that serves on a socket bound beforehand to port 0 (a free port)."""

    def __init__(self, handler, sock, **kwargs):
        self._listening_socket = sock
        super().__init__(handler, hostname="127.0.0.1", port=sock.getsockname()[1], **kwargs)

    def _create_server(self):
        return self.loop.create_server(
            self._factory_invoker, sock=self._listening_socket, ssl=self.ssl_context
        )


class RecordingHandler:
    def __init__(self, maildir_path, fail_rcpt, fail_data, stall_first_data=0.0):
        self.maildir = mailbox.Maildir(maildir_path, create=True)
        self.envelopes = os.path.join(maildir_path, "envelopes.jsonl")
        self.fail_rcpt = fail_rcpt
        self.fail_data = fail_data
        self.stall_first_data = stall_first_data
        self.lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.fail_rcpt:
            return reply_for(self.fail_rcpt, "recipient rejected by test server")
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.fail_data:
            return reply_for(self.fail_data, "message refused by test server")
        content = envelope.original_content or envelope.content
        with self.lock:
            # Raw bytes are stored as they are; a Message object would be re-serialised.
            key = self.maildir.add(content)
            record = {
                "key": key,
                "mail_from": envelope.mail_from,
                "rcpt_tos": envelope.rcpt_tos,
                # session.ssl is only set by STARTTLS; implicit TLS shows on the transport.
                "tls": session.ssl is not None
                or server.transport.get_extra_info("ssl_object") is not None,
                "authenticated": bool(session.authenticated),
                "auth_login": (
                    session.auth_data.login.decode("utf-8", "replace")
                    if isinstance(session.auth_data, LoginPassword)
                    else None
                ),
                "size": len(content),
            }
            with open(self.envelopes, "a", encoding="utf-8") as out:
                out.write(json.dumps(record) + "\n")
            stall, self.stall_first_data = self.stall_first_data, 0.0
        if stall:
            await asyncio.sleep(stall)
        return "250 2.0.0 Ok: queued as " + key


def reply_for(code, text):
    enhanced = {4: "4.3.0", 5: "5.7.1"}.get(code // 100, "5.0.0")
    return f"{code} {enhanced} {text}"


class PasswordAuthenticator:
    def __init__(self, user, password):
        self.user = user.encode()
        self.password = password.encode()

    def __call__(self, server, session, envelope, mechanism, auth_data):
        if not isinstance(auth_data, LoginPassword):
            return AuthResult(success=False, handled=False)
        ok = auth_data.login == self.user and auth_data.password == self.password
        return AuthResult(success=ok, handled=False, auth_data=auth_data)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--maildir", required=True)
    parser.add_argument("--cert", help="PEM certificate (STARTTLS or implicit TLS)")
    parser.add_argument("--key", help="PEM private key of --cert")
    parser.add_argument("--starttls", action="store_true", help="offer and require STARTTLS")
    parser.add_argument("--implicit-tls", action="store_true", help="TLS from the first byte")
    parser.add_argument("--user", help="require AUTH as this user")
    parser.add_argument("--password-file", help="the password --user must give")
    parser.add_argument("--fail-rcpt", type=int, help="answer RCPT TO with this code")
    parser.add_argument("--fail-data", type=int, help="answer the message with this code")
    parser.add_argument("--port", type=int, default=0, help="listen on this port (default: free)")
    parser.add_argument("--stall-first-data", type=float, default=0.0,
                        help="store the first message, then wait this long before answering")
    args = parser.parse_args()
    # aiosmtpd logs a deprecation notice per AUTH and a traceback per aborted TLS handshake
    # (which some tests cause on purpose); the tests read outcomes, not this log.
    logging.getLogger("mail.log").setLevel(logging.CRITICAL)
    # aiosmtpd cannot tell that implicit TLS protects AUTH and warns about it.
    warnings.filterwarnings("ignore", message="Requiring AUTH while not requiring TLS")

    tls_context = None
    if args.starttls or args.implicit_tls:
        tls_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        tls_context.load_cert_chain(args.cert, args.key)

    smtp_options = {"server_hostname": "chuhai-test-smtp"}
    if args.starttls:
        smtp_options.update(tls_context=tls_context, require_starttls=True)
    if args.user:
        with open(args.password_file, encoding="utf-8") as f:
            password = f.read().rstrip("\n")
        smtp_options.update(
            authenticator=PasswordAuthenticator(args.user, password),
            auth_required=True,
            # AUTH only after STARTTLS; with implicit TLS the whole session is encrypted, and
            # without TLS at all (a local relay) clear text is the point of the test.
            auth_require_tls=args.starttls,
        )

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", args.port))
    sock.listen(16)
    handler = RecordingHandler(args.maildir, args.fail_rcpt, args.fail_data, args.stall_first_data)
    controller = FreePortController(
        handler,
        sock,
        ssl_context=tls_context if args.implicit_tls else None,
        **smtp_options,
    )
    controller.start()
    print(f"PORT {sock.getsockname()[1]}", flush=True)

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())

    def watch_stdin():
        # os.read on the raw descriptor: a daemon thread blocked in sys.stdin's buffered
        # reader would abort the interpreter at exit.
        try:
            while os.read(0, 4096):
                pass
        except OSError:
            pass
        stop.set()

    threading.Thread(target=watch_stdin, daemon=True).start()
    stop.wait()
    controller.stop()
    sys.stdout.flush()
    os._exit(0)


if __name__ == "__main__":
    main()
