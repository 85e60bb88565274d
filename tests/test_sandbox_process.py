"""mailjet_sandbox as a process: command line, --port, --state, --latency-ms, --job-polls."""

import json
import re
import select
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from mailjet_rest import Client

from mailjet_sandbox.testing import SandboxProcess

ROOT = Path(__file__).resolve().parent.parent
LISTENING = re.compile(r"^mailjet-sandbox listening on http://127\.0\.0\.1:(\d+)/$")


def start_cli(*args):
    """Run the documented command line; return (process, first stdout line)."""
    cmd = [sys.executable, "-m", "mailjet_sandbox", *args]
    proc = subprocess.Popen(
        cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    ready, _, _ = select.select([proc.stdout], [], [], 15)
    line = proc.stdout.readline().rstrip("\n") if ready else ""
    return proc, line


def stop(proc):
    proc.send_signal(signal.SIGTERM)
    try:
        return proc.wait(timeout=5)
    finally:
        if proc.poll() is None:
            proc.kill()


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def client(url, key="cli-key", secret="cli-secret", **kw):
    return Client(auth=(key, secret), api_url=url, timeout=5, **kw)


def test_cli_port_zero_prints_the_real_port_and_serves():
    proc, line = start_cli(
        "--host",
        "127.0.0.1",
        "--port",
        "0",
        "--api-key",
        "cli-key",
        "--api-secret",
        "cli-secret",
        "--latency-ms",
        "0",
    )
    try:
        match = LISTENING.match(line)
        assert match, line
        port = int(match.group(1))
        assert port != 0
        with client(f"http://127.0.0.1:{port}/") as mj:
            assert mj.contactslist.create(data={"Name": "CLI"}).status_code == 201
    finally:
        assert stop(proc) == 0
    assert "cli-secret" not in proc.stderr.read()


def test_cli_explicit_port():
    port = free_port()
    proc, line = start_cli(
        "--host", "127.0.0.1", "--port", str(port), "--api-key", "k", "--api-secret", "s"
    )
    try:
        assert line == f"mailjet-sandbox listening on http://127.0.0.1:{port}/"
    finally:
        stop(proc)


def test_cli_refuses_an_unreadable_state_file(tmp_path):
    bad = tmp_path / "state.json"
    bad.write_text("{not json")
    proc, line = start_cli(
        "--port", "0", "--api-key", "k", "--api-secret", "s", "--state", str(bad)
    )
    assert line == ""
    assert proc.wait(timeout=10) == 2
    assert "cannot load state file" in proc.stderr.read()


def _wait_for(path, text, timeout=5.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists() and text in path.read_text():
            return
        time.sleep(0.05)
    raise AssertionError(f"{text!r} never reached {path}")


def test_state_file_survives_kill_and_restart(tmp_path):
    state = tmp_path / "sandbox-state.json"
    with SandboxProcess("k", "s", state_file=state) as sb, client(sb.url, "k", "s") as mj:
        list_id = mj.contactslist.create(data={"Name": "Persisted"}).json()["Data"][0]["ID"]
        job = mj.contactslist_managemanycontacts.create(
            id=list_id,
            data={
                "Action": "addforce",
                "Contacts": [{"Email": f"keep{i}@example.com"} for i in range(3)],
            },
        ).json()["Data"][0]["JobID"]
        sb.signup(list_id, "widget@example.com")
        sb.unsubscribe(list_id, "keep1@example.com")
        before = mj.listrecipient.get(filters={"ContactsList": list_id}).json()["Data"]
        # saved without any shutdown; the unsubscribe was the last change
        _wait_for(state, '"IsUnsubscribed":true')
        sb.process.kill()  # no chance to flush on exit
        sb.process.wait(timeout=5)
    assert json.loads(state.read_text())["format"] == 1
    assert [p.name for p in tmp_path.iterdir()] == [state.name]  # no temp files left
    with SandboxProcess("k", "s", state_file=state) as sb, client(sb.url, "k", "s") as mj:
        after = mj.listrecipient.get(filters={"ContactsList": list_id}).json()["Data"]
        assert after == before
        assert mj.contactslistsignup.get().json()["Data"][0]["Email"] == "widget@example.com"
        polled = mj.contactslist_managemanycontacts.get(id=list_id, action_id=job).json()
        assert polled["Data"][0]["Status"] in ("Importing", "Completed")
        newer = mj.contactslist.create(data={"Name": "Second"}).json()["Data"][0]["ID"]
        assert newer > list_id  # id sequences continue
        mj.contact.update(id="keep0@example.com", data={"Name": "Renamed"})
    # SIGTERM (the context manager's exit) flushes the last change
    saved = json.loads(state.read_text())
    assert any(c["Name"] == "Renamed" for c in saved["contacts"])


def test_latency_applies_to_api_calls_not_control_calls():
    with SandboxProcess("k", "s", latency_ms=400) as sb, client(sb.url, "k", "s") as mj:
        start = time.perf_counter()
        mj.contactslist.get()
        assert time.perf_counter() - start >= 0.4
        start = time.perf_counter()
        sb.calls()
        assert time.perf_counter() - start < 0.3


def test_job_polls_flag_sets_the_number_of_unfinished_polls():
    with SandboxProcess("k", "s", job_polls=3) as sb, client(sb.url, "k", "s") as mj:
        list_id = mj.contactslist.create(data={"Name": "Slow"}).json()["Data"][0]["ID"]
        data = {"Action": "addforce", "Contacts": [{"Email": "s@example.com"}]}
        job = mj.contactslist_managemanycontacts.create(id=list_id, data=data).json()
        job = job["Data"][0]["JobID"]
        statuses = [
            mj.contactslist_managemanycontacts.get(id=list_id, action_id=job).json()["Data"][0][
                "Status"
            ]
            for _ in range(5)
        ]
        assert statuses == ["Allocated", "In Progress", "Importing", "Completed", "Completed"]


@pytest.mark.parametrize(
    "polls,expected", [(0, ["Completed"]), (2, ["Allocated", "Importing", "Completed"])]
)
def test_job_polls_can_change_at_runtime_until_reset(sandbox, polls, expected):
    sandbox.control("POST", "config", {"job_polls": polls})
    with client(sandbox.url, sandbox.api_key, sandbox.api_secret) as mj:
        job = mj.contact_managemanycontacts.create(
            data={"Contacts": [{"Email": "r@example.com"}]}
        ).json()["Data"][0]["JobID"]
        seen = []
        while not seen or seen[-1] != "Completed":
            seen.append(
                mj.contact_managemanycontacts.get(action_id=job).json()["Data"][0]["Status"]
            )
        assert seen == expected
    sandbox.reset()
    assert sandbox.control("GET", "config")["job_polls"] == 1
