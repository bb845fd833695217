"""Local stand-ins for the outside world the alerts talk to: an SMTP server that keeps every
message it is given, and an HTTP server that keeps every POST (a webhook receiver, or the
Telegram Bot API). Each runs in a thread on a free loopback port."""

from __future__ import annotations

import socketserver
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Mail:
    sender: str
    recipients: list[str]
    message: Message


@dataclass
class Sink:
    mails: list[Mail] = field(default_factory=list)
    posts: list[tuple[str, dict[str, str], bytes]] = field(default_factory=list)


class _Smtp(socketserver.StreamRequestHandler):
    """Just enough of RFC 5321 for smtplib: EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP, QUIT."""

    def _say(self, line: str) -> None:
        self.wfile.write((line + "\r\n").encode())

    def handle(self) -> None:
        sink: Sink = self.server.sink  # type: ignore[attr-defined]
        self._say("220 sink ready")
        sender, rcpts = "", []
        while True:
            raw = self.rfile.readline()
            if not raw:
                return
            verb = raw.decode(errors="replace").strip().split(" ", 1)[0].upper()
            if verb in ("EHLO", "HELO"):
                self._say("250 sink")
            elif verb == "MAIL":
                sender, rcpts = raw.decode().split(":", 1)[1].strip().strip("<>"), []
                self._say("250 ok")
            elif verb == "RCPT":
                rcpts.append(raw.decode().split(":", 1)[1].strip().strip("<>"))
                self._say("250 ok")
            elif verb == "DATA":
                self._say("354 end with .")
                lines = []
                while (line := self.rfile.readline()) not in (b".\r\n", b".\n", b""):
                    lines.append(line[1:] if line.startswith(b"..") else line)
                sink.mails.append(Mail(sender, rcpts, message_from_bytes(b"".join(lines))))
                self._say("250 queued")
            elif verb == "QUIT":
                self._say("221 bye")
                return
            else:
                self._say("250 ok")


class _Http(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        sink: Sink = self.server.sink  # type: ignore[attr-defined]
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        sink.posts.append((self.path, {k.lower(): v for k, v in self.headers.items()}, body))
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b'{"ok": true}')

    def log_message(self, *args: object) -> None:
        return


@contextmanager
def sinks() -> Iterator[tuple[Sink, int, int]]:
    """The sink, the SMTP port and the HTTP port, for the duration of the block."""
    sink = Sink()
    smtp = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _Smtp)
    http = ThreadingHTTPServer(("127.0.0.1", 0), _Http)
    smtp.sink = http.sink = sink  # type: ignore[attr-defined]
    threads = [threading.Thread(target=s.serve_forever, daemon=True) for s in (smtp, http)]
    for t in threads:
        t.start()
    try:
        yield sink, smtp.server_address[1], http.server_address[1]
    finally:
        for s in (smtp, http):
            s.shutdown()
            s.server_close()
