"""mailjet_sandbox: control endpoints (signup, unsubscribe, exclude, clock, campaigns,
revoke, reset, call log), fault injection, statcounters, eventcallbackurl."""

import json
import re
import time
from datetime import datetime, timezone

import pytest
from conftest import new_list
from mailjet_rest import (
    ApiError,
    ApiRateLimitError,
    Client,
    CriticalApiError,
    DoesNotExistError,
    MailjetApiError,
    MailjetAuthError,
    MailjetNetworkError,
    ValidationError,
)
from mailjet_rest import TimeoutError as MailjetTimeoutError

from mailjet_sandbox.testing import SandboxError


def rfc3339(ts):
    return datetime.fromtimestamp(ts, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


# ------------------------------------------------------------------ widget signups
def test_signup_creates_member_and_signup_row(sandbox, mj):
    list_id = new_list(mj, "Widget")
    result = sandbox.signup(list_id, "Fan@Example.com", "Fan")
    contact = mj.contact.get(id="fan@example.com").json()["Data"][0]
    assert contact["Name"] == "Fan" and contact["ID"] == result["ContactID"]
    row = mj.listrecipient.get(filters={"ContactsList": list_id}).json()["Data"][0]
    assert row["ContactID"] == contact["ID"] and row["IsUnsubscribed"] is False
    signup = mj.contactslistsignup.get(filters={"ContactsList": list_id}).json()["Data"][0]
    assert signup["Email"] == "fan@example.com" and signup["Source"] == "widget"
    assert signup["ListID"] == list_id and signup["ContactID"] == contact["ID"]
    assert isinstance(signup["SignupAt"], int) and signup["SignupAt"] == signup["ConfirmAt"]
    assert abs(signup["SignupAt"] - time.time()) < 60


def test_signup_time_filters_accept_unix_and_rfc3339(sandbox, mj):
    list_id, other = new_list(mj, "Signups"), new_list(mj, "Elsewhere")
    t0 = sandbox.signup(list_id, "early@example.com")["SignupAt"]
    sandbox.advance_clock(600)
    t1 = sandbox.signup(list_id, "late@example.com")["SignupAt"]
    sandbox.signup(other, "other@example.com")
    assert t1 - t0 >= 600

    def emails(**filters):
        rows = mj.contactslistsignup.get(filters={"ContactsList": list_id, **filters}).json()
        return sorted(r["Email"] for r in rows["Data"])

    assert emails() == ["early@example.com", "late@example.com"]
    assert emails(MinSignupAt=t0 + 300) == ["late@example.com"]
    assert emails(MaxSignupAt=t0 + 300) == ["early@example.com"]
    assert emails(MinConfirmAt=rfc3339(t0 + 300)) == ["late@example.com"]
    assert emails(MaxConfirmAt=rfc3339(t0)) == ["early@example.com"]  # bounds are inclusive
    assert emails(minsignupat=t1 + 1) == []
    assert emails(Email="late@example.com") == ["late@example.com"]
    with pytest.raises(ValidationError):
        emails(MinSignupAt="yesterday")


def test_signup_resubscribes_an_unsubscribed_member(sandbox, mj):
    list_id = new_list(mj, "Back")
    sandbox.signup(list_id, "back@example.com")
    sandbox.unsubscribe(list_id, "back@example.com")
    sandbox.signup(list_id, "back@example.com")
    row = mj.listrecipient.get(filters={"ContactsList": list_id}).json()["Data"]
    assert [r["IsUnsubscribed"] for r in row] == [False]
    assert mj.contactslistsignup.get(filters={"ContactsList": list_id}).json()["Count"] == 2


def test_unsubscribe_link_and_exclusion(sandbox, mj):
    list_id = new_list(mj, "Unsub")
    for email in ("stay@example.com", "leave@example.com"):
        sandbox.signup(list_id, email)
    sandbox.advance_clock(120)
    sandbox.unsubscribe(list_id, "leave@example.com")
    gone = mj.listrecipient.get(filters={"ContactsList": list_id, "Unsub": "true"}).json()["Data"]
    assert len(gone) == 1 and gone[0]["UnsubscribedAt"] > gone[0]["SubscribedAt"]
    leave_id = mj.contact.get(id="leave@example.com").json()["Data"][0]["ID"]
    assert gone[0]["ContactID"] == leave_id
    assert mj.contact.get(id=leave_id).json()["Data"][0]["IsExcludedFromCampaigns"] is False
    sandbox.exclude("stay@example.com")
    stay = mj.contact.get(id="stay@example.com").json()["Data"][0]
    assert stay["IsExcludedFromCampaigns"] is True
    with pytest.raises(SandboxError):
        sandbox.unsubscribe(list_id, "stranger@example.com")


def test_clock_moves_mailjet_timestamps(sandbox, mj):
    first = mj.contact.create(data={"Email": "t1@example.com"}).json()["Data"][0]["CreatedAt"]
    sandbox.advance_clock(86400 * 3)
    later = mj.contact.create(data={"Email": "t2@example.com"}).json()["Data"][0]["CreatedAt"]
    delta = datetime.fromisoformat(later.replace("Z", "+00:00")) - datetime.fromisoformat(
        first.replace("Z", "+00:00")
    )
    assert 3 * 86400 <= delta.total_seconds() < 3 * 86400 + 60


# ------------------------------------------------------------------ campaigns and stats
def test_statcounters_for_campaigns_and_lists(sandbox, mj):
    news, other = new_list(mj, "News"), new_list(mj, "Other")
    c1 = sandbox.create_campaign(news, "March", {"MessageSentCount": 100, "MessageOpenedCount": 40})
    sandbox.create_campaign(news, "April", {"MessageSentCount": 50, "MessageClickedCount": 5})
    sandbox.create_campaign(other, "Elsewhere", {"MessageSentCount": 999})
    base = {"CounterTiming": "Message", "CounterResolution": "Lifetime"}
    row = mj.statcounters.get(filters={**base, "CounterSource": "Campaign", "SourceId": c1}).json()[
        "Data"
    ]
    assert len(row) == 1
    assert (
        row[0]["SourceID"],
        row[0]["MessageSentCount"],
        row[0]["MessageOpenedCount"],
        row[0]["MessageClickedCount"],
    ) == (c1, 100, 40, 0)
    total = mj.statcounters.get(filters={**base, "CounterSource": "List", "SourceId": news}).json()[
        "Data"
    ][0]
    assert (
        total["MessageSentCount"],
        total["MessageOpenedCount"],
        total["MessageClickedCount"],
    ) == (150, 40, 5)
    assert (
        mj.statcounters.get(filters={**base, "CounterSource": "Campaign", "SourceId": 1}).json()[
            "Data"
        ]
        == []
    )
    with pytest.raises(ValidationError):
        mj.statcounters.get(filters={"CounterSource": "Campaign", "SourceId": c1})
    campaign = mj.campaign.get(id=c1).json()["Data"][0]
    assert campaign["ListID"] == news and campaign["Subject"] == "March"
    assert [
        c["Subject"] for c in mj.campaign.get(filters={"ContactsList": news}).json()["Data"]
    ] == ["March", "April"]


def test_campaign_lookup_by_draft_id(sandbox, mj):
    list_id = new_list(mj, "Drafts")
    cid = sandbox.control(
        "POST", "campaign", {"ListID": list_id, "Subject": "D", "NewsLetterID": 77, "stats": {}}
    )["ID"]
    assert mj.campaign.get(id="mj.nl=77").json()["Data"][0]["ID"] == cid
    with pytest.raises(DoesNotExistError):
        mj.campaign.get(id="mj.nl=78")


# ------------------------------------------------------------------ eventcallbackurl
def test_eventcallbackurl_lifecycle(mj):
    created = mj.eventcallbackurl.create(
        data={"EventType": "unsub", "Url": "https://u:p@example.com/hook", "Version": 2}
    )
    assert created.status_code == 201
    rec = created.json()["Data"][0]
    assert set(rec) == {"APIKeyID", "EventType", "ID", "IsBackup", "Status", "Url", "Version"}
    assert (rec["IsBackup"], rec["Status"], rec["Version"]) == (False, "alive", 2)
    with pytest.raises(ValidationError):  # one registration per EventType + IsBackup
        mj.eventcallbackurl.create(data={"EventType": "unsub", "Url": "https://x.example.com/"})
    backup = mj.eventcallbackurl.create(
        data={"EventType": "unsub", "IsBackup": True, "Url": "https://backup.example.com/"}
    )
    assert backup.status_code == 201
    with pytest.raises(ValidationError):
        mj.eventcallbackurl.create(
            data={"EventType": "open", "Url": "https://a.example.com/", "Version": 3}
        )
    with pytest.raises(ValidationError):
        mj.eventcallbackurl.create(data={"EventType": "opened", "Url": "https://a.example.com/"})
    assert mj.eventcallbackurl.get(id="unsub|false").json()["Data"][0]["ID"] == rec["ID"]
    assert mj.eventcallbackurl.update(id=rec["ID"], data={"Version": 2}).status_code == 304
    moved = mj.eventcallbackurl.update(id=rec["ID"], data={"Url": "https://new.example.com/"})
    assert moved.status_code == 200 and moved.json()["Data"][0]["Url"] == "https://new.example.com/"
    listed = mj.eventcallbackurl.get(filters={"EventType": "unsub"}).json()
    assert listed["Count"] == 2
    assert mj.eventcallbackurl.get(filters={"Backup": "true"}).json()["Count"] == 1
    deleted = mj.eventcallbackurl.delete(id=rec["ID"])
    assert deleted.status_code == 204 and deleted.content == b""
    with pytest.raises(DoesNotExistError):
        mj.eventcallbackurl.get(id=rec["ID"])


# ------------------------------------------------------------------ faults
def test_429_fault_has_html_body_and_no_retry_after(sandbox, mj):
    sandbox.fault(status=429, path="contactslist")
    mj.contact.get()  # does not match the path: answered normally
    with pytest.raises(ApiRateLimitError) as err:
        mj.contactslist.get()
    assert err.value.status_code == 429
    assert err.value.response_body.startswith("<html><body><h1>429 Too Many Requests</h1>")
    response = err.value.__cause__.response
    assert "Retry-After" not in response.headers
    assert response.headers["Content-Type"].startswith("text/html")
    assert mj.contactslist.get().status_code == 200  # count defaults to 1


@pytest.mark.parametrize("status", [500, 503])
def test_5xx_faults_are_generic_api_errors(sandbox, mj, status):
    sandbox.fault(kind="status", status=status, method="POST", count=2)
    assert mj.contactslist.get().status_code == 200  # GET does not match
    for _ in range(2):
        with pytest.raises(ApiError) as err:
            mj.contactslist.create(data={"Name": f"L{status}"})
        assert not isinstance(err.value, MailjetApiError)
        assert str(status) in str(err.value)
    response = err.value.__cause__.response
    if status == 500:
        assert re.fullmatch(r"[0-9a-f-]{36}", response.json()["ErrorIdentifier"])
    assert mj.contactslist.create(data={"Name": f"L{status}"}).status_code == 201
    assert mj.contactslist.get().json()["Count"] == 1  # the faulted POSTs changed nothing


def test_delay_fault_past_the_client_timeout(sandbox):
    with Client(auth=(sandbox.api_key, sandbox.api_secret), api_url=sandbox.url, timeout=1) as mj:
        sandbox.fault(kind="delay", seconds=1.4, path="contactslist")
        start = time.perf_counter()
        with pytest.raises(MailjetTimeoutError):
            mj.contactslist.get()
        assert 0.9 < time.perf_counter() - start
        sandbox.fault(kind="delay", seconds=0.3)
        start = time.perf_counter()
        assert mj.contactslist.get().status_code == 200  # slow but within the timeout
        assert time.perf_counter() - start >= 0.3


def test_drop_fault_closes_the_connection(sandbox, mj):
    sandbox.fault(kind="drop", method="GET")
    with pytest.raises(CriticalApiError) as err:
        mj.contactslist.get()
    assert isinstance(err.value, MailjetNetworkError)
    assert mj.contactslist.get().status_code == 200
    last = sandbox.calls()["calls"][-2]
    assert (last["fault"], last["status"]) == ("drop", None)


def test_drop_after_applying_makes_a_retry_hit_mj18(sandbox, mj):
    sandbox.fault(kind="drop", method="POST", path="/contact", apply=True)
    with pytest.raises(CriticalApiError):
        mj.contact.create(data={"Email": "lost-answer@example.com"})
    with pytest.raises(ValidationError) as err:  # the first attempt had succeeded
        mj.contact.create(data={"Email": "lost-answer@example.com"})
    assert "MJ18" in json.loads(err.value.response_body)["ErrorMessage"]


def test_invalid_fault_specs_are_rejected(sandbox):
    with pytest.raises(SandboxError):
        sandbox.fault(kind="explode")
    with pytest.raises(SandboxError):
        sandbox.fault(kind="status", status=200)
    with pytest.raises(SandboxError):
        sandbox.fault(kind="delay")
    assert sandbox.control("GET", "faults")["pending"] == []


# ------------------------------------------------------------------ revoke, reset, calls
def test_revoked_credentials_fail_until_reset(sandbox, mj):
    mj.contactslist.get()
    sandbox.revoke()
    with pytest.raises(MailjetAuthError) as err:
        mj.contactslist.get()
    assert err.value.status_code == 401
    sandbox.reset()
    assert mj.contactslist.get().status_code == 200


def test_reset_forgets_state_faults_and_calls(sandbox, mj):
    list_id = new_list(mj, "Temporary")
    sandbox.signup(list_id, "temp@example.com")
    sandbox.fault(status=500)
    sandbox.reset()
    assert sandbox.calls()["total"] == 0
    assert mj.contactslist.get().json()["Count"] == 0  # no fault left, no list left
    assert sandbox.state()["contacts"] == []


def test_calls_are_counted_by_method_and_resource(sandbox, mj):
    list_id = new_list(mj, "Counted")
    mj.contactslist.get(id=list_id)
    contacts = [{"Email": "c.d@example.com"}]
    job = mj.contactslist_managemanycontacts.create(
        id=list_id, data={"Action": "addforce", "Contacts": contacts}
    ).json()["Data"][0]["JobID"]
    for _ in range(2):
        mj.contactslist_managemanycontacts.get(id=list_id, action_id=job)
    mj.contact.get(id="c.d@example.com")
    sandbox.fault(status=429)
    with pytest.raises(ApiRateLimitError):
        mj.listrecipient.get(filters={"ContactsList": list_id})
    sandbox.state()  # control calls are not counted
    calls = sandbox.calls()
    assert calls["total"] == 7
    assert calls["by"] == {
        "POST contactslist": 1,
        "GET contactslist": 1,
        "POST contactslist/managemanycontacts": 1,
        "GET contactslist/managemanycontacts": 2,
        "GET contact": 1,
        "GET listrecipient": 1,
    }
    last = calls["calls"][-1]
    assert {k: last[k] for k in ("method", "resource", "path", "status", "fault")} == {
        "method": "GET",
        "resource": "listrecipient",
        "path": "/v3/REST/listrecipient",
        "status": 429,
        "fault": "status",
    }
    assert [c["status"] for c in calls["calls"][:3]] == [201, 200, 201]


def test_state_dump_lists_members_with_emails(sandbox, mj):
    list_id = new_list(mj, "Dump")
    sandbox.signup(list_id, "one@example.com")
    sandbox.unsubscribe(list_id, "one@example.com")
    (lst,) = sandbox.state()["lists"]
    assert lst["ID"] == list_id and lst["SubscriberCount"] == 1  # unsubscribed members count
    assert [(m["Email"], m["IsUnsubscribed"]) for m in lst["members"]] == [
        ("one@example.com", True)
    ]
