"""HTTP front end and command line of the sandbox."""

from __future__ import annotations

import argparse
import signal
import socket
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from .app import READINGS, App, check_reading
from .errors import Response, status_response
from .persist import Persister

MAX_BODY = 64 * 1024 * 1024
_LOOPBACK_PREFIXES = ("127.", "::1", "::ffff:127.")


class Handler(BaseHTTPRequestHandler):
    """Routes ``/_sandbox/*`` to the control endpoints and everything else to the API."""

    protocol_version = "HTTP/1.1"
    server_version = "mailjet-sandbox"
    sys_version = ""
    server: SandboxServer

    def setup(self) -> None:
        super().setup()
        # Headers and body are separate writes on a keep-alive connection: without
        # TCP_NODELAY, Nagle + delayed ACK would add ~40 ms to every answer.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def do_GET(self) -> None:  # noqa: N802 - http.server naming
        self._handle("GET")

    def do_POST(self) -> None:  # noqa: N802
        self._handle("POST")

    def do_PUT(self) -> None:  # noqa: N802
        self._handle("PUT")

    def do_DELETE(self) -> None:  # noqa: N802
        self._handle("DELETE")

    def do_PATCH(self) -> None:  # noqa: N802
        self._handle("PATCH")

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        if self.server.verbose:
            sys.stderr.write(f"{self.address_string()} {format % args}\n")

    # ------------------------------------------------------------------
    def _read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    self.rfile.readline()
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            raise ValueError("request body too large")
        return self.rfile.read(length) if length else b""

    def _handle(self, method: str) -> None:
        try:
            body = self._read_body()
        except ValueError:
            self.close_connection = True
            self._send(status_response(400))
            return
        path, _, query = self.path.partition("?")
        if path == "/_sandbox" or path.startswith("/_sandbox/"):
            if not self.client_address[0].startswith(_LOOPBACK_PREFIXES):
                self._send(status_response(403))
                return
            self._send(self.server.app.handle_control(method, path, query, body))
            return
        self._api(method, path, query, body)

    def _api(self, method: str, path: str, query: str, body: bytes) -> None:
        app = self.server.app
        epoch = app.epoch
        if app.latency_ms:
            time.sleep(app.latency_ms / 1000.0)
        fault = app.take_request_fault(method, path) if epoch == app.epoch else None
        kind = fault["kind"] if fault else None
        if kind == "delay":
            time.sleep(fault["seconds"])
        if epoch != app.epoch:  # a reset happened while this call slept: forget it
            self._drop()
            return
        ignored: list[str] = []
        if kind == "status":
            resp = status_response(fault["status"])
        elif kind in ("drop", "body") and not fault["apply"]:
            resp = None
        else:
            resp, ignored = app.handle_api(
                method, path, query, self.headers.get("Authorization"), body
            )
        if kind == "body":  # 200 with exactly the given text, whatever happened
            resp = Response(200, fault["body"].encode("utf-8"), fault["content_type"])
        if kind == "drop":
            app.record(method, path, query, None, kind, ignored)
            self._drop()
            return
        app.record(method, path, query, resp.status, kind, ignored)
        self._send(resp)

    def _drop(self) -> None:
        """Close the connection without answering."""
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def _send(self, resp: Response) -> None:
        try:
            self.send_response(resp.status)
            if resp.status not in (204, 304):
                self.send_header("Content-Type", resp.content_type or "application/json")
                self.send_header("Content-Length", str(len(resp.body)))
            for name, value in resp.headers.items():
                self.send_header(name, value)
            self.end_headers()
            if resp.body and resp.status not in (204, 304):
                self.wfile.write(resp.body)
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the client gave up (e.g. its timeout fired)


class SandboxServer(ThreadingHTTPServer):
    """Threaded HTTP server carrying the App."""

    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], app: App, verbose: bool = False):
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        self.app = app
        self.verbose = verbose
        super().__init__(address, Handler)


def build_parser() -> argparse.ArgumentParser:
    """The command line."""
    p = argparse.ArgumentParser(
        prog="python -m mailjet_sandbox", description="Local stand-in for Mailjet's v3 REST API."
    )
    p.add_argument("--host", default="127.0.0.1", help="bind address (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=0, help="port; 0 picks a free one (default)")
    p.add_argument("--api-key", required=True, help="accepted Basic-auth user name")
    p.add_argument("--api-secret", required=True, help="accepted Basic-auth password")
    p.add_argument("--latency-ms", type=float, default=0.0, help="added to every API call")
    p.add_argument(
        "--job-polls",
        type=int,
        default=1,
        help="polls a bulk job reports Allocated/Importing before its final "
        "status (default 1: Importing, then Completed)",
    )
    p.add_argument(
        "--state", metavar="FILE", help="load state from FILE at start, save it there after changes"
    )
    p.add_argument(
        "--lenient-properties",
        action="store_true",
        help="accept contact properties not defined in contactmetadata",
    )
    _reading_option(
        p,
        "partial_error_status",
        "status of a bulk job in which some contacts were refused (it always has an ErrorFile "
        "and applies the valid contacts)",
    )
    _reading_option(
        p,
        "error_file_shape",
        'the JSON error file: [{"Email", "Error"}], {"Count", "Data", "Total"}, or CSV text',
    )
    _reading_option(
        p,
        "list_delete",
        "DELETE contactslist/{id}: soft keeps the list (IsDeleted, rows, name reserved), "
        "hard removes it",
    )
    _reading_option(
        p,
        "contact_list_filter",
        "what GET contact?ContactsList= returns: subscribed members only, or all members",
    )
    p.add_argument("--verbose", action="store_true", help="log each request to stderr")
    return p


def _reading_option(p: argparse.ArgumentParser, name: str, text: str) -> None:
    """``--partial-error-status Error|Completed`` etc.; the first value is the default."""
    values = READINGS[name]

    def parse(value: str) -> str:
        try:
            return check_reading(name, value)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    p.add_argument(
        "--" + name.replace("_", "-"),
        type=parse,
        default=values[0],
        metavar="|".join(values),
        help=f"{text} (default {values[0]})",
    )


def main(argv: list[str] | None = None) -> int:
    """Run the sandbox until SIGTERM/SIGINT."""
    args = build_parser().parse_args(argv)
    if args.job_polls < 0:
        raise SystemExit("--job-polls must be >= 0")
    app = App(
        args.api_key,
        args.api_secret,
        job_polls=args.job_polls,
        latency_ms=args.latency_ms,
        strict_properties=not args.lenient_properties,
        readings={name: getattr(args, name) for name in READINGS},
    )
    persister = None
    if args.state:
        persister = Persister(app.store, args.state)
        try:
            persister.load()
        except (OSError, ValueError, KeyError, TypeError) as exc:
            print(f"mailjet-sandbox: cannot load state file {args.state}: {exc}", file=sys.stderr)
            return 2
        app.persister = persister
        persister.start()
    server = SandboxServer((args.host, args.port), app, verbose=args.verbose)
    host = f"[{args.host}]" if ":" in args.host else args.host
    print(f"mailjet-sandbox listening on http://{host}:{server.server_address[1]}/", flush=True)

    def stop(_signum: int, _frame: Any) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        if persister is not None:
            persister.stop()
    return 0
