"""scripts/mailjet_probe.py against the sandbox in every reading: it must name each one,
clean up after itself, and never print the secret."""

import re
import subprocess
import sys
from pathlib import Path

import pytest
from mailjet_rest import Client

from mailjet_sandbox.testing import SandboxProcess

ROOT = Path(__file__).resolve().parent.parent
PROBE = ROOT / "scripts" / "mailjet_probe.py"
KEY = "probe-key"
SECRET = "probe-secret-never-print-me"
LINE = re.compile(r"^probe ([a-z-]+): (.+)$")
DOCUMENTED = {
    "partial_error_status": "Error",
    "error_file_shape": "list",
    "list_delete": "soft",
    "contact_list_filter": "subscribed",
}
# switch value -> the probe lines it must produce
EXPECTED_LINES = {
    "partial_error_status": lambda v: {"partial-error-status": v},
    "error_file_shape": lambda v: {"error-file-shape": v},
    "list_delete": lambda v: {
        "list-delete": v,
        "deleted-list-name": "reserved" if v == "soft" else "free",
        "list-reinstate": "works" if v == "soft" else None,
    },
    "contact_list_filter": lambda v: {"contact-list-filter": v},
}
VARIANTS = [
    (name, value)
    for name, values in {
        "partial_error_status": ("Error", "Completed"),
        "error_file_shape": ("list", "data", "csv"),
        "list_delete": ("soft", "hard"),
        "contact_list_filter": ("subscribed", "all"),
    }.items()
    for value in values
]


@pytest.fixture(scope="module")
def probe_sandbox():
    with SandboxProcess(api_key=KEY, api_secret=SECRET, readings=DOCUMENTED) as sb:
        yield sb


def run_probe(sandbox, *extra, secret=SECRET):
    result = subprocess.run(
        [sys.executable, str(PROBE), "--api-key", KEY, "--api-secret", secret]
        + ["--api-url", sandbox.url, "--poll-interval", "0.01", *extra],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    found = {}
    for line in result.stdout.splitlines():
        match = LINE.match(line)
        if match:
            found[match.group(1)] = match.group(2)
    return result, found


def summary(result):
    return result.stdout.strip().splitlines()[-1]


@pytest.mark.parametrize("name,value", VARIANTS, ids=[f"{n}={v}" for n, v in VARIANTS])
def test_probe_names_each_variant_of_the_sandbox(probe_sandbox, name, value):
    probe_sandbox.reset()
    readings = {**DOCUMENTED, name: value}
    probe_sandbox.config(**readings)
    result, found = run_probe(probe_sandbox)
    assert result.returncode == 0, result.stderr
    expected = {
        line: variant
        for reading, chosen in readings.items()
        for line, variant in EXPECTED_LINES[reading](chosen).items()
    }
    assert {line: found.get(line) for line in expected} == expected
    assert found["partial-job-valid-contacts"] == "applied"
    assert found["subscriber-count"] == "all-members"
    assert summary(result) == f"probe: {len(found)} identified, 0 unknown"
    assert SECRET not in result.stdout + result.stderr


@pytest.mark.parametrize("list_delete", ["soft", "hard"])
def test_probe_deletes_what_it_created(probe_sandbox, list_delete):
    probe_sandbox.reset()
    probe_sandbox.config(list_delete=list_delete)
    result, _ = run_probe(probe_sandbox)
    assert result.returncode == 0
    name = re.search(r"throwaway list (ems-mailjet-probe-\S+)", result.stdout).group(1)
    with Client(auth=(KEY, SECRET), api_url=probe_sandbox.url, timeout=5) as mj:
        lists = mj.contactslist.get().json()["Data"]
    if list_delete == "hard":
        assert lists == []
    else:  # Mailjet keeps a deleted list: the probe's own, marked deleted, nothing else
        assert [(lst["Name"], lst["IsDeleted"]) for lst in lists] == [(name, True)]
    assert f"deleted the throwaway list {name}" in result.stdout


def test_unreadable_or_missing_error_file_is_unknown_not_a_guess(probe_sandbox):
    probe_sandbox.reset()
    probe_sandbox.fault(kind="body", path="JSONError", body="<html><body>Oops</body></html>")
    result, found = run_probe(probe_sandbox)
    assert found["error-file-shape"].startswith("unknown")
    assert summary(result) == f"probe: {len(found) - 1} identified, 1 unknown"
    probe_sandbox.reset()
    probe_sandbox.fault(status=404, path="JSONError")
    result, found = run_probe(probe_sandbox)
    assert found["error-file-shape"] == "unknown (HTTP 404 for the file)"
    assert result.returncode == 0


def test_a_job_that_applied_nothing_is_reported(probe_sandbox):
    probe_sandbox.reset()
    probe_sandbox.config(partial_error_status="Completed")
    probe_sandbox.fault(kind="job_error")
    _, found = run_probe(probe_sandbox)
    assert found["partial-error-status"] == "Error"  # the whole job failed
    assert found["partial-job-valid-contacts"] == "not-applied"


def test_wrong_secret_is_refused_and_never_printed(probe_sandbox):
    wrong = "wrong-secret-also-never-printed"
    result, found = run_probe(probe_sandbox, secret=wrong)
    assert result.returncode == 2 and found == {}
    assert "refused the API key or secret" in result.stdout
    assert wrong not in result.stdout + result.stderr and SECRET not in result.stdout
