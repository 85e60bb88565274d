"""mailjet_sandbox: the readings of behaviour Mailjet does not document (partial job
status, error file shape, list deletion, contact list filter), the ``body`` fault, a
suspended webhook, SubscriberCount, statcounters ``Total`` and the job record."""

import csv
import io
import json
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest
from mailjet_rest import DoesNotExistError, ValidationError

from mailjet_sandbox.testing import SandboxError, SandboxProcess

ROOT = Path(__file__).resolve().parent.parent
DOCUMENTED = {
    "partial_error_status": "Error",
    "error_file_shape": "list",
    "list_delete": "soft",
    "contact_list_filter": "subscribed",
}


def new_list(mj, name):
    return mj.contactslist.create(data={"Name": name}).json()["Data"][0]["ID"]


def manage(mj, list_id, email, action):
    mj.contactslist_managecontact.create(id=list_id, data={"Email": email, "Action": action})


def finished_job(mj, list_id, contacts, action="addforce"):
    """Push contacts in one bulk job and poll it to its final record."""
    job = mj.contactslist_managemanycontacts.create(
        id=list_id, data={"Action": action, "Contacts": contacts}
    ).json()["Data"][0]["JobID"]
    for _ in range(10):
        rec = mj.contactslist_managemanycontacts.get(id=list_id, action_id=job).json()["Data"][0]
        if rec["Status"] in ("Completed", "Error"):
            return rec
    raise AssertionError("the job never finished")


def member_emails(mj, list_id):
    rows = mj.contact.get(filters={"ContactsList": list_id, "Limit": 0}).json()["Data"]
    return sorted(row["Email"] for row in rows)


# ------------------------------------------------------------------ command line and config
def test_documented_readings_are_the_defaults_of_the_command_line():
    proc = subprocess.Popen(
        [sys.executable, "-m", "mailjet_sandbox", "--api-key", "k", "--api-secret", "s"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        url = proc.stdout.readline().strip().rsplit(" ", 1)[-1]
        with urllib.request.urlopen(f"{url}_sandbox/config", timeout=10) as resp:
            config = json.loads(resp.read())
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=10)
    assert {name: config[name] for name in DOCUMENTED} == DOCUMENTED


def test_command_line_options_choose_the_other_readings_until_reset_brings_them_back():
    readings = {
        "partial_error_status": "Completed",
        "error_file_shape": "csv",
        "list_delete": "hard",
        "contact_list_filter": "all",
    }
    with SandboxProcess("k", "s", readings=readings) as sb:
        assert "--error-file-shape" in sb.command()
        assert {name: sb.control("GET", "config")[name] for name in readings} == readings
        sb.config(error_file_shape="data", list_delete="soft")
        assert sb.control("GET", "config")["error_file_shape"] == "data"
        sb.reset()
        assert {name: sb.control("GET", "config")[name] for name in readings} == readings


def test_readings_environment_variable_replaces_the_engine_readings(monkeypatch):
    monkeypatch.setenv("MAILJET_SANDBOX_READINGS", "")
    cmd = SandboxProcess("k", "s").command()
    assert not any(
        arg.startswith(("--partial", "--error-file", "--list", "--contact")) for arg in cmd
    )
    monkeypatch.setenv("MAILJET_SANDBOX_READINGS", "list_delete=soft, error_file_shape=csv")
    cmd = SandboxProcess("k", "s", readings={"error_file_shape": "data"}).command()
    assert cmd[-4:] == ["--error-file-shape", "data", "--list-delete", "soft"]


def test_a_bad_reading_is_refused_on_the_command_line():
    result = subprocess.run(
        [sys.executable, "-m", "mailjet_sandbox", "--api-key", "k", "--api-secret", "s"]
        + ["--list-delete", "sometimes"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 2 and "list_delete must be one of soft, hard" in result.stderr


def test_a_bad_reading_or_an_unknown_key_is_refused_by_config(sandbox):
    with pytest.raises(SandboxError, match="partial_error_status must be one of Error, Completed"):
        sandbox.config(partial_error_status="Aborted")
    with pytest.raises(SandboxError, match="unknown config keys"):
        sandbox.config(list_deletion="hard")
    # case-insensitive, answered in the canonical spelling
    assert sandbox.config(partial_error_status="completed")["partial_error_status"] == "Completed"


# ------------------------------------------------------------------ partial failures
@pytest.mark.parametrize("status", ["Error", "Completed"])
def test_partial_failure_ends_with_the_chosen_status_and_applies_the_valid_contacts(
    sandbox, mj, status
):
    sandbox.config(partial_error_status=status)
    list_id = new_list(mj, "Partial")
    rec = finished_job(mj, list_id, [{"Email": "ok@example.com"}, {"Email": "not-an-email"}])
    assert rec["Status"] == status and rec["Count"] == 1
    assert rec["ErrorFile"] and "1 contact(s) could not be imported" in rec["Error"]
    assert member_emails(mj, list_id) == ["ok@example.com"]


def test_a_job_without_refused_contacts_completes_under_either_reading(sandbox, mj):
    sandbox.config(partial_error_status="Error")
    list_id = new_list(mj, "Clean")
    rec = finished_job(mj, list_id, [{"Email": "a@example.com"}, {"Email": "b@example.com"}])
    assert (rec["Status"], rec["Count"], rec["Error"], rec["ErrorFile"]) == ("Completed", 2, "", "")


def test_a_failed_job_applies_nothing_under_either_reading(sandbox, mj):
    sandbox.config(partial_error_status="Completed")
    list_id = new_list(mj, "Broken")
    sandbox.fault(kind="job_error")
    rec = finished_job(mj, list_id, [{"Email": "a@example.com"}])
    assert (rec["Status"], rec["Count"]) == ("Error", 0)
    assert member_emails(mj, list_id) == []


@pytest.mark.parametrize("shape", ["list", "data", "csv"])
def test_error_file_has_the_chosen_shape(sandbox, mj, shape):
    sandbox.config(error_file_shape=shape)
    list_id = new_list(mj, "Errors")
    rec = finished_job(
        mj, list_id, [{"Email": "ok@example.com"}, {"Email": "bad@@example.com"}, {"Email": "x"}]
    )
    resp = mj.api_call("GET", f"{sandbox.url}v3/{rec['ErrorFile']}")
    if shape == "csv":
        assert resp.headers["Content-Type"] == "text/csv"
        rows = list(csv.DictReader(io.StringIO(resp.text)))
    else:
        body = resp.json()
        assert isinstance(body, list if shape == "list" else dict)
        rows = body if shape == "list" else body["Data"]
        if shape == "data":
            assert body["Count"] == body["Total"] == 2
    assert sorted(row["Email"] for row in rows) == ["bad@@example.com", "x"]
    assert all(row["Error"] for row in rows)


def test_job_record_names_its_lists_and_passes_through_in_progress(sandbox, mj):
    sandbox.config(job_polls=3)
    list_id = new_list(mj, "Slow")
    job = mj.contactslist_managemanycontacts.create(
        id=list_id, data={"Action": "unsub", "Contacts": [{"Email": "s@example.com"}]}
    ).json()["Data"][0]["JobID"]
    seen = []
    for _ in range(4):
        rec = mj.contactslist_managemanycontacts.get(id=list_id, action_id=job).json()["Data"][0]
        seen.append(rec["Status"])
        assert rec["ContactsLists"] == [{"Action": "unsub", "ListID": list_id}]
    assert seen == ["Allocated", "In Progress", "Importing", "Completed"]
    other = new_list(mj, "Other")
    many = mj.contact_managemanycontacts.create(
        data={
            "ContactsLists": [
                {"ListID": list_id, "Action": "addforce"},
                {"ListID": other, "Action": "addnoforce"},
            ],
            "Contacts": [{"Email": "m@example.com"}],
        }
    ).json()["Data"][0]["JobID"]
    rec = mj.contact_managemanycontacts.get(action_id=many).json()["Data"][0]
    assert rec["ContactsLists"] == [
        {"Action": "addforce", "ListID": list_id},
        {"Action": "addnoforce", "ListID": other},
    ]


# ------------------------------------------------------------------ deleted lists
def test_soft_deleted_list_keeps_members_and_name_and_can_be_reinstated(sandbox, mj):
    sandbox.config(list_delete="soft", contact_list_filter="subscribed")
    list_id = new_list(mj, "Archive")
    manage(mj, list_id, "keep@example.com", "addforce")
    manage(mj, list_id, "gone@example.com", "unsub")
    resp = mj.contactslist.delete(id=list_id)
    assert resp.status_code == 204 and resp.content == b""
    rec = mj.contactslist.get(id=list_id).json()["Data"][0]
    assert rec["IsDeleted"] is True and rec["SubscriberCount"] == 2
    listed = mj.contactslist.get().json()["Data"]
    assert [(r["ID"], r["IsDeleted"]) for r in listed] == [(list_id, True)]
    assert mj.contactslist.get(filters={"IsDeleted": "false"}).json()["Count"] == 0
    unsub = mj.listrecipient.get(filters={"ContactsList": list_id, "Unsub": "true"}).json()
    assert unsub["Count"] == 1  # the unsubscribe history is still there
    with pytest.raises(ValidationError) as err:
        new_list(mj, "archive")  # the name stays reserved
    assert "already exists" in json.loads(err.value.response_body)["ErrorMessage"]
    back = mj.contactslist.update(id=list_id, data={"IsDeleted": False})
    assert back.status_code == 200 and back.json()["Data"][0]["IsDeleted"] is False
    assert member_emails(mj, list_id) == ["keep@example.com"]


def test_hard_deleted_list_frees_its_name(sandbox, mj):
    sandbox.config(list_delete="hard")
    list_id = new_list(mj, "Archive")
    manage(mj, list_id, "keep@example.com", "addforce")
    mj.contactslist.delete(id=list_id)
    with pytest.raises(DoesNotExistError):
        mj.contactslist.get(id=list_id)
    assert mj.contactslist.get().json()["Count"] == 0
    assert new_list(mj, "Archive") != list_id


# ------------------------------------------------------------------ contact?ContactsList=
@pytest.mark.parametrize(
    "reading,expected",
    [
        ("subscribed", ["sub@example.com"]),
        ("all", ["inactive@example.com", "sub@example.com", "unsub@example.com"]),
    ],
)
def test_contact_list_filter_returns_the_chosen_members(sandbox, mj, reading, expected):
    list_id = new_list(mj, "Members")
    manage(mj, list_id, "sub@example.com", "addforce")
    manage(mj, list_id, "unsub@example.com", "unsub")
    manage(mj, list_id, "inactive@example.com", "addforce")
    row = mj.listrecipient.get(filters={"ContactEmail": "inactive@example.com"}).json()["Data"][0]
    mj.listrecipient.update(id=row["ID"], data={"IsActive": False})
    member_emails(mj, list_id)  # fills the query cache under the CLI reading
    sandbox.config(contact_list_filter=reading)
    assert member_emails(mj, list_id) == expected
    count = mj.contact.get(filters={"ContactsList": list_id, "countOnly": 1}).json()["Count"]
    assert count == len(expected)
    assert mj.contactslist.get(id=list_id).json()["Data"][0]["SubscriberCount"] == 3


# ------------------------------------------------------------------ the body fault
def test_body_fault_answers_200_with_the_given_text_and_applies_nothing(sandbox, mj):
    html = "<html><body>Maintenance</body></html>"
    sandbox.fault(kind="body", path="contactslist", method="POST", body=html)
    resp = mj.contactslist.create(data={"Name": "Lost"})
    assert resp.status_code == 200 and resp.text == html
    assert resp.headers["Content-Type"] == "text/html"
    assert mj.contactslist.get().json()["Count"] == 0
    assert sandbox.calls()["calls"][-2]["fault"] == "body"
    assert new_list(mj, "Lost")  # used up


def test_body_fault_on_the_error_file_and_with_apply(sandbox, mj):
    list_id = new_list(mj, "Odd")
    rec = finished_job(mj, list_id, [{"Email": "ok@example.com"}, {"Email": "broken"}])
    sandbox.fault(kind="body", path="JSONError", body="<html>oops</html>")
    resp = mj.api_call("GET", f"{sandbox.url}v3/{rec['ErrorFile']}")
    assert resp.status_code == 200 and resp.text == "<html>oops</html>"
    sandbox.fault(kind="body", path="contactslist", method="POST", body='{"odd": 1}', apply=True)
    resp = mj.contactslist.create(data={"Name": "Kept"})
    assert resp.json() == {"odd": 1} and resp.headers["Content-Type"] == "application/json"
    assert [r["Name"] for r in mj.contactslist.get().json()["Data"]] == ["Odd", "Kept"]


def test_body_fault_needs_a_text_body(sandbox):
    with pytest.raises(SandboxError, match="body must be a string"):
        sandbox.fault(kind="body", path="JSONError")


# ------------------------------------------------------------------ suspended webhooks
def test_dead_webhook_is_revived_only_by_a_new_url(sandbox, mj):
    rec = mj.eventcallbackurl.create(
        data={"EventType": "unsub", "Url": "https://erp.example.com/hook/token1", "Version": 2}
    ).json()["Data"][0]
    assert sandbox.webhook_status("unsub", "dead")["Status"] == "dead"
    assert mj.eventcallbackurl.get(id=rec["ID"]).json()["Data"][0]["Status"] == "dead"
    same = mj.eventcallbackurl.update(
        id=rec["ID"], data={"Url": rec["Url"], "Status": "alive", "Version": 2}
    )
    assert same.status_code == 304
    assert mj.eventcallbackurl.get(id=rec["ID"]).json()["Data"][0]["Status"] == "dead"
    assert mj.eventcallbackurl.get(filters={"Status": "dead"}).json()["Count"] == 1
    moved = mj.eventcallbackurl.update(
        id=rec["ID"], data={"Url": "https://erp.example.com/hook/token2"}
    )
    assert moved.status_code == 200 and moved.json()["Data"][0]["Status"] == "alive"


def test_webhook_status_control_errors(sandbox):
    with pytest.raises(SandboxError, match="404"):
        sandbox.webhook_status("unsub", "dead")
    with pytest.raises(SandboxError, match="alive"):
        sandbox.control("POST", "webhook_status", {"EventType": "unsub", "Status": "sleepy"})


# ------------------------------------------------------------------ statistics
def test_statcounters_total_counts_processed_mail_sent_counts_delivered(sandbox, mj):
    list_id = new_list(mj, "Stats")
    stats = {
        "MessageSentCount": 15,
        "MessageBlockedCount": 12,
        "MessageHardBouncedCount": 5,
        "MessageOpenedCount": 9,
    }
    sandbox.create_campaign(list_id, "Spring", stats)
    row = mj.statcounters.get(
        filters={
            "CounterSource": "List",
            "SourceId": list_id,
            "CounterTiming": "Message",
            "CounterResolution": "Lifetime",
        }
    ).json()["Data"][0]
    assert (row["Total"], row["MessageSentCount"]) == (32, 15)
