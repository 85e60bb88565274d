"""The gateway against the sandbox, through the real mailjet-rest client, fault by fault."""

import pytest
from conftest import SANDBOX_KEY, make_gateway

from ems_mailjet.services.errors import (
    MailjetAuthFailed,
    MailjetNotFound,
    MailjetRequestRejected,
    MailjetUnavailable,
)
from ems_mailjet.services.gateway import ADD, UNSUB, ListCounters, MailjetGateway, RetryPolicy
from ems_mailjet.services.records import PushContact

MMC = "contactslist/managemanycontacts"


def contacts(n, start=0, domain="example.com"):
    return [
        PushContact(f"user{i}@{domain}", f"User {i}", keys=(i,)) for i in range(start, start + n)
    ]


def members(sandbox, list_id):
    [lst] = (
        sandbox.state()["lists"]
        if list_id is None
        else [lst for lst in sandbox.state()["lists"] if lst["ID"] == list_id]
    )
    return {m["Email"]: m for m in lst["members"]}


def calls_by(sandbox, key):
    return sandbox.calls()["by"].get(key, 0)


# ------------------------------------------------------------------ lists (R4)
def test_R4_ensure_lists_costs_one_read_plus_one_call_per_change(sandbox, gateway):
    kept = gateway.create_list("Kept").id
    renamed = gateway.create_list("Old name").id
    before = sandbox.calls()["total"]
    result = gateway.ensure_lists(
        [
            ("a", "Kept", kept),
            ("b", "New name", renamed),
            ("c", "Brand new", None),
        ]
    )
    assert sandbox.calls()["total"] - before == 3  # GET all lists, PUT rename, POST create
    assert (result["a"].list_id, result["a"].created, result["a"].renamed) == (kept, False, False)
    assert (result["b"].list_id, result["b"].renamed) == (renamed, True)
    assert result["c"].created and result["c"].list_id not in (kept, renamed)
    names = {lst["Name"] for lst in sandbox.state()["lists"]}
    assert names == {"Kept", "New name", "Brand new"}


def test_R4_ensure_lists_finds_list_by_name_and_never_duplicates(sandbox, gateway):
    existing = gateway.create_list("Herbst-Newsletter").id
    first = gateway.ensure_lists([("x", "Herbst-Newsletter", None)])["x"]
    again = gateway.ensure_lists([("x", "Herbst-Newsletter", 999999)])["x"]  # stale id
    assert first.list_id == again.list_id == existing
    assert first.adopted and not first.created
    assert len(sandbox.state()["lists"]) == 1


def test_R4_two_campaigns_with_one_name_get_an_error_not_a_shared_list(gateway):
    result = gateway.ensure_lists([("a", "Same", None), ("b", "same ", None)])
    assert result["a"].created and result["a"].error is None
    assert result["b"].list_id is None
    assert (result["b"].error.code, result["b"].error.params) == (
        "list_name_taken",
        {"name": "same"},
    )


def test_R4_rename_onto_a_taken_name_is_reported_per_campaign(gateway):
    gateway.create_list("Taken")
    mine = gateway.create_list("Mine").id
    result = gateway.ensure_lists([("a", "Taken", mine), ("b", "Other", None)])
    assert result["a"].error.code == "mailjet_rejected"
    assert "already exists" in result["a"].error.params["detail"]
    assert result["b"].created


# ------------------------------------------------------------------ bulk push (D3)
def test_D3_100k_contacts_in_at_most_30_bulk_calls(sandbox, gateway, list_id):
    before = sandbox.calls()["total"]
    result = gateway.push(list_id, ADD, contacts(100_000))
    by = sandbox.calls()["by"]
    assert by[f"POST {MMC}"] <= 30
    assert len(result.succeeded) == 100_000 and not result.failed and not result.job_errors
    polls = by[f"GET {MMC}"]
    assert polls >= by[f"POST {MMC}"]  # every job polled to its end
    assert sandbox.calls()["total"] - before == by[f"POST {MMC}"] + polls
    [lst] = sandbox.state()["lists"]
    assert lst["SubscriberCount"] == 100_000


def test_D3_every_job_is_polled_to_its_final_state(sandbox, list_id):
    sandbox.control("POST", "config", {"job_polls": 3})
    with make_gateway(sandbox, chunk_size=2) as gw:
        result = gw.push(list_id, ADD, contacts(5))
    assert len(result.job_ids) == 3
    assert calls_by(sandbox, f"GET {MMC}") == 3 * 4  # Allocated, Importing ×2, Completed
    assert len(result.succeeded) == 5


def test_D3_pages_at_limit_1000(sandbox, gateway, list_id):
    gateway.push(list_id, ADD, contacts(2500))
    before = sandbox.calls()["total"]
    rows = gateway.recipients(list_id)
    found = gateway.contacts(list_id)
    assert len(rows) == len(found) == 2500
    assert sandbox.calls()["total"] - before == 6
    queries = [c["query"] for c in sandbox.calls()["calls"][-6:]]
    assert all("Limit=1000" in q for q in queries)


def test_D3_counts_use_count_only(sandbox, gateway, list_id):
    gateway.push(list_id, ADD, contacts(3))
    gateway.push(list_id, UNSUB, contacts(1))
    sandbox.exclude("user2@example.com")
    before = sandbox.calls()["total"]
    counters = ListCounters.from_counts(
        gateway.count_members(list_id),
        gateway.count_members(list_id, unsubscribed=True),
        gateway.count_excluded(list_id),
    )
    assert (counters.total, counters.subscribed, counters.unsubscribed, counters.excluded) == (
        3,
        2,
        1,
        1,
    )
    assert sandbox.calls()["total"] - before == 3
    assert all("countOnly=1" in c["query"] for c in sandbox.calls()["calls"][-3:])


def test_R8_bulk_push_uses_only_addnoforce_and_unsub(sandbox, gateway, list_id):
    gateway.push(list_id, ADD, contacts(2))
    sandbox.unsubscribe(list_id, "user0@example.com")
    gateway.push(list_id, ADD, contacts(2))  # addnoforce: stays unsubscribed
    gateway.push(list_id, UNSUB, contacts(1, start=1))
    state = members(sandbox, list_id)
    assert state["user0@example.com"]["IsUnsubscribed"]
    assert state["user1@example.com"]["IsUnsubscribed"]
    actions = {act for job in sandbox.state()["jobs"] for _lid, act in job["Actions"]}
    assert actions == {"addnoforce", "unsub"}
    with pytest.raises(ValueError):
        gateway.push(list_id, "addforce", contacts(1))
    with pytest.raises(ValueError):
        gateway.push(list_id, "remove", contacts(1))


def test_D5_resubscribe_with_consent_is_the_only_addforce(sandbox, gateway, list_id):
    gateway.push(list_id, ADD, contacts(1))
    sandbox.unsubscribe(list_id, "user0@example.com")
    contact_id = gateway.resubscribe_with_consent(list_id, "user0@example.com", "User 0")
    assert contact_id > 0
    assert not members(sandbox, list_id)["user0@example.com"]["IsUnsubscribed"]
    assert calls_by(sandbox, "POST contactslist/managecontact") == 1


# ------------------------------------------------------------------ per-contact errors
def test_per_contact_errors_are_reported_and_the_rest_goes_on(sandbox, gateway, list_id):
    sandbox.fault(
        kind="contact_errors",
        path="managemanycontacts",
        emails=["user3@example.com", "user7@example.com"],
    )
    result = gateway.push(list_id, ADD, contacts(10))
    assert sorted(e.email for e in result.failed) == ["user3@example.com", "user7@example.com"]
    assert all(e.message for e in result.failed)
    assert len(result.succeeded) == 8
    assert set(members(sandbox, list_id)) == {f"user{i}@example.com" for i in range(10)} - {
        "user3@example.com",
        "user7@example.com",
    }


def test_invalid_address_in_a_bulk_push_fails_alone(sandbox, gateway, list_id):
    batch = contacts(3) + [PushContact("not an address", keys=(99,))]
    result = gateway.push(list_id, ADD, batch)
    assert [e.email for e in result.failed] == ["not an address"]
    assert len(result.succeeded) == 3


def test_job_ending_in_error_is_reported_and_nothing_counts_as_pushed(sandbox, list_id):
    with make_gateway(sandbox, chunk_size=5) as gw:
        sandbox.fault(kind="job_error", path="managemanycontacts")
        result = gw.push(list_id, ADD, contacts(10))
    assert [n.code for n in result.job_errors] == ["job_failed"]
    assert len(result.succeeded) == 5  # the other chunk


def test_a_400_on_the_whole_request_is_split_until_the_bad_contact_is_found(sandbox, list_id):
    with make_gateway(sandbox) as gw:
        # Refused: all four, then user0+user1, then user0 alone.
        sandbox.fault(kind="status", status=400, path="managemanycontacts", count=3)
        result = gw.push(list_id, ADD, contacts(4))
    assert [e.email for e in result.failed] == ["user0@example.com"]
    assert result.failed[0].message  # Mailjet's own reason
    assert len(result.succeeded) == 3
    assert calls_by(sandbox, f"POST {MMC}") == 5


@pytest.mark.parametrize(("size", "first"), [(20, 0.1), (2500, 0.25), (5000, 0.5)])
def test_D3_the_first_poll_of_a_job_comes_sooner_the_fewer_its_contacts(
    sandbox, list_id, size, first
):
    """A normal night's few contacts are asked for after a tenth of a second, a large
    import after up to half a second (the default policy); later waits double."""
    sandbox.control("POST", "config", {"job_polls": 2})
    waits = []
    with make_gateway(sandbox, sleep=waits.append) as gw:
        result = gw.push(list_id, ADD, contacts(size))
    assert len(result.succeeded) == size
    assert waits == pytest.approx([first, 2 * first])


def test_D3_jobs_polled_once_before_are_settled_after_what_is_left_of_the_wait(
    sandbox, list_id, monkeypatch
):
    """``poll_once`` is the first round: ``settle_many`` goes on with the second after
    what is left of the first wait (nothing, when the caller worked that long), then
    doubles as before; each job is polled no more often than by ``settle_many`` alone."""
    sandbox.control("POST", "config", {"job_polls": 2})
    clock = [1000.0]
    monkeypatch.setattr("ems_mailjet.services.gateway.time.monotonic", lambda: clock[0])
    waits = []
    with make_gateway(sandbox, sleep=waits.append) as gw:
        submission = gw.submit_many(list_id, [(ADD, contacts(20))])
        before = calls_by(sandbox, f"GET {MMC}")
        gw.poll_once([submission])
        assert calls_by(sandbox, f"GET {MMC}") == before + 1
        clock[0] += 0.04  # the caller's work: less than the first wait (0.1 s)
        [[result]] = gw.settle_many([submission])
    assert len(result.succeeded) == 20
    assert waits == pytest.approx([0.06, 0.2])
    assert calls_by(sandbox, f"GET {MMC}") == before + 3  # Allocated, Importing, Completed
    assert submission.calls == 1 + 3  # the POST and its polls


@pytest.mark.parametrize("status", [404, 503])
def test_trouble_in_the_first_poll_round_is_met_and_reported_when_settling(
    sandbox, list_id, status
):
    """A refused or unanswered first poll does not stop the run between two lists: the
    jobs are polled again when they are settled, and what Mailjet did is known then."""
    with make_gateway(sandbox, sleep=lambda _s: None) as gw:
        submission = gw.submit_many(list_id, [(ADD, contacts(3))])
        # a 404 once; a 503 as often as the gateway tries one call
        count = gw.retry.attempts if status == 503 else 1
        sandbox.fault(
            kind="status", status=status, path="managemanycontacts", method="GET", count=count
        )
        gw.poll_once([submission])
        assert submission.polled_at is None
        [[result]] = gw.settle_many([submission])
    assert len(result.succeeded) == 3 and result.interrupted is None


# ------------------------------------------------------------------ retries
@pytest.mark.parametrize("status", [429, 500, 502, 503])
def test_transient_status_is_retried_with_backoff(sandbox, status):
    waits = []
    with make_gateway(sandbox, sleep=waits.append) as gw:
        sandbox.fault(kind="status", status=status, path="contactslist", count=2)
        assert gw.lists() == []
    assert sandbox.calls()["total"] == 3
    assert len(waits) == 2 and all(w > 0 for w in waits)


def test_backoff_is_exponential_with_jitter_and_bounded(sandbox):
    waits = []
    policy = RetryPolicy(attempts=5, initial_wait=1.0, max_wait=4.0, jitter=0.5)
    with make_gateway(sandbox, sleep=waits.append, retry=policy) as gw:
        sandbox.fault(kind="status", status=503, path="contactslist", count=99)
        with pytest.raises(MailjetUnavailable) as info:
            gw.lists()
    assert sandbox.calls()["total"] == 5
    assert len(waits) == 4
    for wait, base in zip(waits, (1, 2, 4, 4), strict=True):
        assert base <= wait <= base + 0.5
    assert info.value.code == "mailjet_unavailable"
    assert info.value.params == {
        "op": "lists",
        "attempts": 5,
        "cause": "http_status",
        "status": 503,
    }


def test_timeout_is_retried(sandbox):
    with make_gateway(sandbox, timeout=(2, 0.3)) as gw:
        sandbox.fault(kind="delay", seconds=1.0, path="contactslist", count=1)
        assert gw.lists() == []
        assert gw.calls == 2


def test_dropped_connection_is_retried(sandbox, gateway):
    sandbox.fault(kind="drop", path="contactslist", count=2)
    assert gateway.lists() == []
    assert sandbox.calls()["total"] == 3


def test_retried_bulk_post_that_had_succeeded_is_harmless(sandbox, gateway, list_id):
    """The connection drops after Mailjet applied the job: the retry makes a second job
    with the same contacts, which changes nothing (addnoforce/unsub are idempotent)."""
    gateway.push(list_id, ADD, contacts(3))
    sandbox.unsubscribe(list_id, "user1@example.com")
    sandbox.fault(kind="drop", path="managemanycontacts", method="POST", apply=True)
    result = gateway.push(list_id, ADD, contacts(3))
    assert len(result.succeeded) == 3
    state = members(sandbox, list_id)
    assert len(state) == 3 and state["user1@example.com"]["IsUnsubscribed"]
    assert calls_by(sandbox, f"POST {MMC}") == 3


def test_client_errors_are_not_retried(sandbox, gateway):
    with pytest.raises(MailjetNotFound):
        gateway.contact(424242)
    with pytest.raises(MailjetRequestRejected) as info:
        gateway.create_list("")
    assert info.value.status == 400
    assert sandbox.calls()["total"] == 2


def test_every_call_has_a_timeout(sandbox):
    with make_gateway(sandbox) as gw:
        assert gw._client.config.timeout == (5.0, 60.0)
    with make_gateway(sandbox, timeout=(1, 2)) as gw:
        assert gw._client.config.timeout == (1.0, 2.0)


# ------------------------------------------------------------------ credentials (D8)
def test_D8_rejected_credentials_become_one_clear_error(sandbox):
    sandbox.revoke()
    with make_gateway(sandbox) as gw:
        with pytest.raises(MailjetAuthFailed) as info:
            gw.check_credentials()
    assert (info.value.code, info.value.params) == ("auth_failed", {"status": 401})
    assert info.value.__cause__ is None and info.value.__suppress_context__
    assert sandbox.calls()["total"] == 1  # not retried


def test_D8_wrong_secret(sandbox):
    with MailjetGateway(SANDBOX_KEY, "wrong", api_url=sandbox.url) as gw:
        with pytest.raises(MailjetAuthFailed):
            gw.lists()


def test_empty_credentials_are_rejected_before_any_call():
    with pytest.raises(MailjetAuthFailed):
        MailjetGateway("key", "  ")


# ------------------------------------------------------------------ reading (R5, R10, D6)
def test_R10_signups_since_checkpoint(sandbox, gateway, list_id):
    first = sandbox.signup(list_id, "early@example.com")
    sandbox.advance_clock(60)
    sandbox.signup(list_id, "Late@Example.com", "Late")
    everything = gateway.signups(list_id)
    later = gateway.signups(list_id, since=first["SignupAt"] + 1)
    assert [s.email for s in everything] == ["early@example.com", "late@example.com"]
    assert [s.email for s in later] == ["late@example.com"]
    assert later[0].contact_id and later[0].signup_at and later[0].id


def test_R5_D6_campaign_statistics(sandbox, gateway, list_id):
    campaign = sandbox.create_campaign(
        list_id,
        "Herbst",
        {"MessageSentCount": 100, "MessageOpenedCount": 40, "MessageUnsubscribedCount": 2},
    )
    [stats] = gateway.campaign_statistics(list_id)
    assert (stats.campaign_id, stats.subject) == (campaign, "Herbst")
    assert stats.counters["MessageSentCount"] == 100
    assert stats.counters["MessageOpenedCount"] == 40
    assert stats.counters["MessageUnsubscribedCount"] == 2
    assert stats.sent_at is not None


def test_R14_D6_list_statistics_in_one_call(sandbox, gateway, list_id):
    sandbox.create_campaign(list_id, "One", {"MessageSentCount": 10, "MessageOpenedCount": 4})
    sandbox.create_campaign(list_id, "Two", {"MessageSentCount": 5, "MessageClickedCount": 1})
    before = sandbox.calls()["total"]
    stats = gateway.list_statistics(list_id)
    assert sandbox.calls()["total"] - before == 1
    assert stats.sent == 15
    assert stats.opened == 4 and stats.clicked == 1


READING_VARIANTS = [
    {"partial_error_status": status, "error_file_shape": shape}
    for status in ("Error", "Completed")
    for shape in ("list", "data", "csv")
]


@pytest.mark.parametrize("reading", READING_VARIANTS, ids=lambda r: "-".join(r.values()))
@pytest.mark.parametrize("contact_filter", ["subscribed", "all"])
@pytest.mark.parametrize("action", [ADD, UNSUB])
def test_one_refused_address_never_holds_back_the_others_whatever_mailjet_reports(
    sandbox, gateway, list_id, reading, contact_filter, action
):
    sandbox.config(contact_list_filter=contact_filter, **reading)
    sandbox.fault(kind="contact_errors", path="managemanycontacts", emails=["user3@example.com"])
    result = gateway.push(list_id, action, contacts(6))
    assert [e.email for e in result.failed] == ["user3@example.com"]
    assert len(result.succeeded) == 5 and not result.job_errors


@pytest.mark.parametrize("contact_filter", ["subscribed", "all"])
@pytest.mark.parametrize(
    "fault",
    [
        {"kind": "body", "path": "JSONError", "body": "<html><body>Oops</body></html>"},
        {"kind": "body", "path": "JSONError", "body": '{"Something": "else"}'},
        {"kind": "status", "status": 404, "path": "JSONError"},
        {"kind": "status", "status": 503, "path": "JSONError", "count": 50},
    ],
    ids=["html", "unknown-json", "404", "503"],
)
@pytest.mark.parametrize("action", [ADD, UNSUB])
def test_an_unreadable_error_file_is_settled_by_reading_the_list_back(
    sandbox, gateway, list_id, fault, contact_filter, action
):
    sandbox.config(contact_list_filter=contact_filter)
    with make_gateway(sandbox, chunk_size=1000) as gw:
        gw.push(list_id, ADD, contacts(1500, start=100))  # a list of more than one page
        sandbox.fault(**fault)
        sandbox.fault(
            kind="contact_errors", path="managemanycontacts", emails=["user3@example.com"]
        )
        before = sandbox.calls()["total"]
        result = gw.push(list_id, action, contacts(6))
        calls = sandbox.calls()["total"] - before
    # Never "all succeeded", never "all failed", and the push goes on.
    assert [e.email for e in result.failed] == ["user3@example.com"]
    assert len(result.succeeded) == 5 and result.interrupted is None
    # listrecipient and contact pages (one call per 1,000 members each), and one call per
    # address the contact listing may hide (unsubscribed members).
    hidden = 6 if action == UNSUB and contact_filter == "subscribed" else 1
    assert calls <= 2 + 2 * 2 + hidden + (fault.get("count") or 1) + 1


def test_a_job_that_applied_nothing_is_reported_and_sent_again(sandbox, list_id):
    with make_gateway(sandbox) as gw:
        sandbox.config(partial_error_status="Error")
        sandbox.fault(kind="job_error", path="managemanycontacts")
        result = gw.push(list_id, UNSUB, contacts(4))
    assert [n.code for n in result.job_errors] == ["job_failed"]
    assert not result.succeeded and not result.failed


def test_the_read_of_every_contact_keeps_the_names_of_the_nights_signups_only(sandbox, list_id):
    """The run's read of every contact names the widget signups read before it; it keeps
    no other name (a million of them would be memory for nothing): asked for one, it says
    it does not know, and the engine reads that contact."""
    sandbox.signup(list_id, "fritz@example.com", "Fritz Faller")
    with make_gateway(sandbox) as gw:
        gw.push(list_id, ADD, contacts(3))
        [fritz] = gw.all_signups()[list_id]
        emails = gw.contact_emails()
        assert len(emails) == 4
        assert gw.contact_name_if_read(fritz.contact_id) == "Fritz Faller"
        other = next(cid for cid, email in emails.items() if email == "user1@example.com")
        assert gw.contact_name_if_read(other) is None
        assert gw.contact(other).name == "User 1"
