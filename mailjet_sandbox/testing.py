"""Start the sandbox as a subprocess and drive its control endpoints from tests.

with SandboxProcess(api_key="k", api_secret="s") as sb:
    mj = mailjet_rest.Client(auth=("k", "s"), api_url=sb.url, timeout=5)
"""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections import deque
from typing import Any

# The readings of undocumented Mailjet behaviour a sandbox started from here plays, where
# it should not play the sandbox's own default (the documented reading; see
# mailjet_sandbox/README.md). A test picks another through ``readings=``, or at run time
# through ``POST /_sandbox/config``. The environment variable MAILJET_SANDBOX_READINGS
# replaces this table for a whole test run: "" plays every documented reading,
# "list_delete=hard,contact_list_filter=all" those two and the documented other ones.
ENGINE_READINGS: dict[str, str] = {}
READINGS_ENV = "MAILJET_SANDBOX_READINGS"


def base_readings() -> dict[str, str]:
    """ENGINE_READINGS, or what MAILJET_SANDBOX_READINGS says instead."""
    text = os.environ.get(READINGS_ENV)
    if text is None:
        return dict(ENGINE_READINGS)
    pairs = [item.partition("=") for item in text.split(",") if item.strip()]
    return {name.strip(): value.strip() for name, _, value in pairs}


STARTUP_TIMEOUT = 15.0
CONTROL_TIMEOUT = 10.0
_MARKER = "mailjet-sandbox listening on "


class SandboxError(RuntimeError):
    """The sandbox did not start, or a control call failed."""


class SandboxProcess:
    """Context manager running ``python -m mailjet_sandbox --port 0 ...`` in a subprocess."""

    def __init__(
        self,
        api_key: str,
        api_secret: str,
        latency_ms: float = 0,
        job_polls: int | None = None,
        state_file: str | os.PathLike | None = None,
        readings: dict[str, str] | None = None,
    ):
        self.api_key = api_key
        self.api_secret = api_secret
        self.latency_ms = latency_ms
        self.job_polls = job_polls
        self.state_file = os.fspath(state_file) if state_file is not None else None
        # e.g. {"partial_error_status": "Completed"}: --partial-error-status Completed
        self.readings = {**base_readings(), **(readings or {})}
        self.url = ""
        self.process: subprocess.Popen | None = None
        self._stderr: deque[str] = deque(maxlen=200)

    # ------------------------------------------------------------- lifecycle
    def command(self) -> list[str]:
        """The exact command line used."""
        cmd = [
            sys.executable,
            "-m",
            "mailjet_sandbox",
            "--host",
            "127.0.0.1",
            "--port",
            "0",
            "--api-key",
            self.api_key,
            "--api-secret",
            self.api_secret,
        ]
        if self.latency_ms:
            cmd += ["--latency-ms", str(self.latency_ms)]
        if self.job_polls is not None:
            cmd += ["--job-polls", str(self.job_polls)]
        if self.state_file:
            cmd += ["--state", self.state_file]
        for name, value in sorted(self.readings.items()):
            cmd += ["--" + name.replace("_", "-"), value]
        return cmd

    def start(self) -> SandboxProcess:
        """Start the process and wait (15 s at most) for its "listening on" line."""
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        self.process = subprocess.Popen(
            self.command(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        lines: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._pump, args=(self.process.stdout, lines), daemon=True).start()
        threading.Thread(target=self._pump, args=(self.process.stderr, None), daemon=True).start()
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while True:
            remaining = deadline - time.monotonic()
            try:
                line = lines.get(timeout=max(remaining, 0.01))
            except queue.Empty:
                line = ""
            if line and line.startswith(_MARKER):
                self.url = line[len(_MARKER) :].strip()
                return self
            if line is None or remaining <= 0:
                self.stop()
                raise SandboxError("mailjet sandbox did not start: " + " | ".join(self._stderr))

    def _pump(self, stream: Any, lines: queue.Queue | None) -> None:
        for raw in stream:
            if lines is not None:
                lines.put(raw.rstrip("\n"))
            else:
                self._stderr.append(raw.rstrip("\n"))
        if lines is not None:
            lines.put(None)

    def stop(self) -> None:
        """Terminate the process (SIGTERM lets it save --state), kill after 5 s."""
        proc, self.process = self.process, None
        if proc is None:
            return
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)

    def __enter__(self) -> SandboxProcess:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ------------------------------------------------------------- control calls
    def control(self, method: str, name: str, body: Any = None, query: str = "") -> Any:
        """Call ``/_sandbox/<name>``; returns the decoded JSON answer."""
        if not self.url:
            raise SandboxError("sandbox is not running")
        data = json.dumps(body).encode() if body is not None else None
        url = f"{self.url}_sandbox/{name}" + (f"?{query}" if query else "")
        req = urllib.request.Request(
            url, data=data, method=method, headers={"Content-Type": "application/json"}
        )
        try:
            with urllib.request.urlopen(req, timeout=CONTROL_TIMEOUT) as resp:
                return json.loads(resp.read() or b"null")
        except urllib.error.HTTPError as exc:
            detail = exc.read().decode(errors="replace")
            raise SandboxError(f"{method} /_sandbox/{name} -> {exc.code}: {detail}") from None

    def reset(self) -> None:
        """Empty state, faults and call log; credentials valid again."""
        self.control("POST", "reset", {})

    def signup(self, list_id: int, email: str, name: str = "", **extra: Any) -> dict:
        """Someone signs up through the widget (``Confirmed=False``: double opt-in, pending;
        ``SignupIp`` / ``ConfirmIp`` optional)."""
        body = {"ListID": list_id, "Email": email, "Name": name, **extra}
        return self.control("POST", "signup", body)

    def confirm(self, list_id: int, email: str, confirm_ip: str = "") -> dict:
        """The recipient clicks the confirmation link of a pending signup."""
        body = {"ListID": list_id, "Email": email}
        if confirm_ip:
            body["ConfirmIp"] = confirm_ip
        return self.control("POST", "confirm", body)

    def gdpr_delete(self, email: str) -> dict:
        """What Mailjet does after a GDPR delete of the contact with this address."""
        return self.control("POST", "gdpr_delete", {"Email": email})

    def unsubscribe(self, list_id: int, email: str) -> dict:
        """A recipient clicks the unsubscribe link of a list."""
        return self.control("POST", "unsubscribe", {"ListID": list_id, "Email": email})

    def exclude(self, email: str) -> dict:
        """Exclude an address from all campaigns."""
        return self.control("POST", "exclude", {"Email": email})

    def fault(self, **spec: Any) -> None:
        """Queue a fault (see README: kind, method, path, count, status, seconds, emails)."""
        self.control("POST", "faults", spec)

    def calls(self) -> dict:
        """``{"total", "by", "calls"}`` of API calls since the last reset."""
        return self.control("GET", "calls")

    def state(self) -> dict:
        """Lists with members (and e-mails), contacts, jobs, campaigns, callbacks."""
        return self.control("GET", "state")

    def advance_clock(self, seconds: float) -> int:
        """Move Mailjet's clock forward; returns the new Unix time."""
        return self.control("POST", "clock", {"advance_s": seconds})["now"]

    def create_campaign(self, list_id: int, subject: str, stats: dict) -> int:
        """A sent campaign with lifetime statcounters; returns its campaign ID."""
        body = {"ListID": list_id, "Subject": subject, "stats": stats}
        return self.control("POST", "campaign", body)["ID"]

    def config(self, **settings: Any) -> dict:
        """Change runtime settings until the next reset (``partial_error_status="Error"``,
        ``job_polls=3``, ...); returns all of them."""
        return self.control("POST", "config", settings)

    def webhook_status(self, event_type: str, status: str, is_backup: bool = False) -> dict:
        """Mailjet suspends (``"dead"``) or revives a webhook registration."""
        body = {"EventType": event_type, "Status": status, "IsBackup": is_backup}
        return self.control("POST", "webhook_status", body)

    def revoke(self) -> None:
        """Make the API credentials invalid until the next reset."""
        self.control("POST", "revoke", {})
