"""The orchestrator against the sandbox: two-way sync, call budgets, outages, invariants."""

import pytest
from conftest import SANDBOX_KEY, SANDBOX_SECRET, make_gateway
from doubles import InMemoryParticipants
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ems_mailjet.services.emails import is_valid_email, normalize_email
from ems_mailjet.services.gateway import MailjetGateway, RetryPolicy
from ems_mailjet.services.matching import EmployeeRecord, PartnerRecord
from ems_mailjet.services.records import ACCEPTED, DECLINED
from ems_mailjet.services.sync import sync_list

WRITE_METHODS = ("POST", "PUT", "DELETE")


GATEWAY_ATTEMPTS = 3  # the tests below count on three tries per call


def members(sandbox, list_id):
    lists = sandbox.control("GET", "state", query=f"list={list_id}")["lists"]
    return {
        m["Email"]: ("unsubscribed" if m["IsUnsubscribed"] else "subscribed")
        for m in lists[0]["members"]
    }


def calls_since(sandbox, before):
    return sandbox.calls()["calls"][before:]


def erp_with(*people, **kwargs):
    store = InMemoryParticipants(**kwargs)
    for email, state in people:
        store.add(email, name=email.split("@")[0].title(), state=state)
    return store


def sync_lists(gateway, campaigns):
    """What an interface's run does for its lists (``utm.campaign._mailjet_sync``): one
    read of all lists to ensure them, then ``sync_list`` per list. ``campaigns`` holds
    ``(name, stored list id, store)``; returns the reports in the same order."""
    ensured = gateway.ensure_lists(
        [(n, name, list_id) for n, (name, list_id, _store) in enumerate(campaigns)]
    )
    return [
        sync_list(gateway, ensured[n].list_id, store, known_empty=ensured[n].created)
        for n, (_name, _list_id, store) in enumerate(campaigns)
    ]


# ------------------------------------------------------------------ both directions
def test_R7_R9_R10_two_way_sync(sandbox, gateway, list_id):
    erp = erp_with(
        ("anna@example.com", ACCEPTED),
        ("bernd@example.com", DECLINED),
        ("carla@example.com", ACCEPTED),
    )
    first = sync_list(gateway, list_id, erp)
    assert (first.pushed, first.unsubscribed_in_mailjet, first.errors) == (2, 1, 0)
    assert members(sandbox, list_id) == {
        "anna@example.com": "subscribed",
        "bernd@example.com": "unsubscribed",
        "carla@example.com": "subscribed",
    }

    sandbox.unsubscribe(list_id, "anna@example.com")  # R7
    sandbox.signup(list_id, "Dora@Example.com", "Dora")  # R10
    erp.add("emil@example.com")  # R9
    second = sync_list(gateway, list_id, erp)
    assert (second.declined_from_mailjet, second.new_signups, second.pushed) == (1, 1, 1)
    assert erp.find("anna@example.com").state == DECLINED
    dora = erp.find("dora@example.com")
    assert (dora.state, dora.synced_state, dora.source) == (ACCEPTED, ACCEPTED, "mailjet")
    assert dora.mailjet_contact_id
    assert members(sandbox, list_id)["emil@example.com"] == "subscribed"
    assert members(sandbox, list_id)["anna@example.com"] == "unsubscribed"


def test_R8_push_never_resubscribes_unsubscribed(sandbox, gateway, list_id):
    """Someone unsubscribed in Mailjet is entered again in the ERP as accepted: the sync
    keeps them unsubscribed in Mailjet and declines the participant."""
    sandbox.signup(list_id, "anna@example.com")
    sandbox.unsubscribe(list_id, "anna@example.com")
    erp = erp_with(("anna@example.com", ACCEPTED))
    report = sync_list(gateway, list_id, erp)
    assert members(sandbox, list_id) == {"anna@example.com": "unsubscribed"}
    assert erp.find("anna@example.com").state == DECLINED
    assert report.pushed == 0


def test_R8_manual_switch_back_is_not_pushed(sandbox, gateway, list_id):
    erp = erp_with(("anna@example.com", DECLINED))
    sync_list(gateway, list_id, erp)
    row = erp.find("anna@example.com")
    erp.set_state(row.key, ACCEPTED)  # by hand, without the consent action
    report = sync_list(gateway, list_id, erp)
    assert erp.find("anna@example.com").state == DECLINED
    assert members(sandbox, list_id) == {"anna@example.com": "unsubscribed"}
    assert report.pushed == 0 and report.declined_from_mailjet == 1


def test_D4_sync_never_uses_addforce_or_remove(sandbox, gateway, list_id):
    erp = erp_with(("a@example.com", ACCEPTED), ("b@example.com", DECLINED))
    sync_list(gateway, list_id, erp)
    sandbox.unsubscribe(list_id, "a@example.com")
    sandbox.signup(list_id, "b@example.com")  # re-signup of a declined participant
    erp.add("c@example.com")
    report = sync_list(gateway, list_id, erp)
    assert [n.params["email"] for n in report.notes if n.code == "resignup_kept_declined"] == [
        "b@example.com"
    ]
    actions = {act for job in sandbox.state()["jobs"] for _lid, act in job["Actions"]}
    assert actions <= {"addnoforce", "unsub"}
    assert not any(
        c["resource"] == "contactslist/managecontact" or c["method"] == "DELETE"
        for c in sandbox.calls()["calls"]
    )
    assert members(sandbox, list_id) == {
        "a@example.com": "unsubscribed",
        "b@example.com": "unsubscribed",
        "c@example.com": "subscribed",
    }


def test_R11_R12_new_signups_matched_never_creating_partners(sandbox, gateway, list_id):
    employees = [
        EmployeeRecord(
            1,
            work_email="anna@firma.de",
            private_email="anna.privat@example.com",
            work_contact_partner_id=11,
        )
    ]
    partners = [
        PartnerRecord(11, email="anna@firma.de"),
        PartnerRecord(20, email="kunde@example.com", ref="K-20"),
        PartnerRecord(30, email="twice@example.com"),
        PartnerRecord(31, email="twice@example.com"),
    ]
    erp = InMemoryParticipants(employees=employees, partners=partners)
    for email in (
        "anna.privat@example.com",
        "anna@firma.de",
        "kunde@example.com",
        "twice@example.com",
        "nobody@example.com",
    ):
        sandbox.signup(list_id, email)
    report = sync_list(gateway, list_id, erp)
    assert (report.new_signups, report.matched, report.ambiguous, report.unmatched) == (5, 3, 1, 1)
    found = {r.email: (r.match_kind, r.match_id, r.ambiguous) for r in erp.rows.values()}
    assert found == {
        "anna.privat@example.com": ("employee", 1, False),
        "anna@firma.de": ("employee", 1, False),
        "kunde@example.com": ("partner", 20, False),
        "twice@example.com": (None, None, True),
        "nobody@example.com": (None, None, False),
    }
    assert erp.partners == partners and erp.employees == employees  # R12


def test_exclusions_are_pulled(sandbox, gateway, list_id):
    erp = erp_with(("a@example.com", ACCEPTED), ("b@example.com", ACCEPTED))
    sync_list(gateway, list_id, erp)
    sandbox.exclude("b@example.com")
    report = sync_list(gateway, list_id, erp)
    assert erp.find("b@example.com").excluded and not erp.find("a@example.com").excluded
    assert report.counters.excluded == 1


def test_invalid_erp_address_is_reported_never_sent(sandbox, gateway, list_id):
    erp = erp_with(("ok@example.com", ACCEPTED))
    erp.add("kaputt@localhost")
    report = sync_list(gateway, list_id, erp)
    assert report.pushed == 1 and report.errors == 1
    [line] = report.error_lines
    assert (line.code, line.params["email"]) == ("invalid_address", "kaputt@localhost")
    assert line.key == erp.find("kaputt@localhost").key
    assert set(members(sandbox, list_id)) == {"ok@example.com"}


# ------------------------------------------------------------------ errors and resuming (D7)
def test_D7_job_error_is_reported_and_retried_next_run(sandbox, gateway, list_id):
    erp = erp_with(*((f"u{i}@example.com", ACCEPTED) for i in range(5)))
    sandbox.fault(kind="job_error", path="managemanycontacts")
    first = sync_list(gateway, list_id, erp)
    assert first.errors == 1 and first.error_lines[0].code == "job_failed" and first.pushed == 0
    assert all(r.synced_state is None for r in erp.rows.values())
    second = sync_list(gateway, list_id, erp)
    assert second.pushed == 5 and second.errors == 0
    assert len(members(sandbox, list_id)) == 5


def test_per_contact_errors_do_not_stop_the_rest(sandbox, gateway, list_id):
    erp = erp_with(*((f"u{i}@example.com", ACCEPTED) for i in range(5)))
    sandbox.fault(kind="contact_errors", path="managemanycontacts", emails=["u2@example.com"])
    report = sync_list(gateway, list_id, erp)
    assert report.pushed == 4 and report.errors == 1
    [line] = report.error_lines
    assert (line.code, line.params["email"]) == ("contact_refused", "u2@example.com")
    assert line.key == erp.find("u2@example.com").key
    assert erp.find("u2@example.com").synced_state is None
    assert erp.find("u2@example.com").refused_reason
    # Not sent again every night: only after the user asks (or the address changed).
    again = sync_list(gateway, list_id, erp)
    assert again.pushed == 0 and again.errors == 0
    erp.try_again(erp.find("u2@example.com").key)
    assert sync_list(gateway, list_id, erp).pushed == 1


def test_D7_outage_mid_run_leaves_nothing_the_next_run_cannot_finish(sandbox, list_id):
    """Mailjet stops answering while the jobs are polled: they did run, but the ERP
    cannot know. The next run finds them in Mailjet and only marks them synced."""
    erp = erp_with(*((f"u{i}@example.com", ACCEPTED) for i in range(10)))
    with make_gateway(sandbox, attempts=GATEWAY_ATTEMPTS, chunk_size=4) as gw:
        sandbox.fault(kind="status", status=503, path="managemanycontacts", method="GET", count=3)
        first = sync_list(gw, list_id, erp)
        last = first.error_lines[-1]
        assert first.aborted and (last.code, last.params["attempts"]) == ("mailjet_unavailable", 3)
        assert all(r.synced_state is None for r in erp.rows.values())
        second = sync_list(gw, list_id, erp)
        assert not second.aborted and second.pushed == 0 and second.marked_synced == 10
        third = sync_list(gw, list_id, erp)
    assert not third.changed and third.api_calls == 4
    assert len(members(sandbox, list_id)) == 10
    assert len(erp.rows) == 10
    assert all(r.synced_state == ACCEPTED for r in erp.rows.values())


def test_D7_outage_between_chunks_keeps_what_mailjet_confirmed(sandbox, list_id):
    """The first chunk went through, then Mailjet stopped answering: the first chunk is
    still polled and marked, the rest is sent by the next run."""

    class Gateway(MailjetGateway):
        submitted = 0

        def _submit(self, *args):
            jobs = super()._submit(*args)
            Gateway.submitted += 1
            if Gateway.submitted == 1:
                sandbox.fault(
                    kind="status", status=503, path="managemanycontacts", method="POST", count=3
                )
            return jobs

    erp = erp_with(*((f"u{i}@example.com", ACCEPTED) for i in range(10)))
    with Gateway(
        SANDBOX_KEY,
        SANDBOX_SECRET,
        api_url=sandbox.url,
        chunk_size=4,
        sleep=lambda _s: None,
        retry=RetryPolicy(attempts=3),
    ) as gw:
        first = sync_list(gw, list_id, erp)
        assert first.aborted and first.pushed == 4
        assert sum(r.synced_state == ACCEPTED for r in erp.rows.values()) == 4
        second = sync_list(gw, list_id, erp)
    assert second.pushed == 6 and not second.aborted
    assert len(members(sandbox, list_id)) == 10


def test_D8_bad_credentials_stop_the_run_with_one_clear_error(sandbox, gateway, list_id):
    from ems_mailjet.services.errors import MailjetAuthFailed

    erp = erp_with(("a@example.com", ACCEPTED))
    sandbox.revoke()
    with pytest.raises(MailjetAuthFailed):
        sync_list(gateway, list_id, erp)
    assert erp.writes == 0


# ------------------------------------------------------------------ call budgets (D3)
def test_D3_initial_sync_of_20_lists_of_5000_within_200_calls(sandbox, gateway):
    campaigns = []
    for n in range(20):
        erp = InMemoryParticipants()
        for i in range(5000):
            erp.add(f"p{i}.c{n}@example.com")
        campaigns.append((f"Campaign {n}", None, erp))
    before = sandbox.calls()["total"]
    reports = sync_lists(gateway, campaigns)
    used = sandbox.calls()["total"] - before
    assert used <= 200, sandbox.calls()["by"]
    assert all(r.pushed == 5000 and not r.errors for r in reports)
    assert sum(lst["SubscriberCount"] for lst in sandbox.state()["lists"]) == 100_000
    # The 20 lists were found with one read of all lists, not one call per list.
    assert sandbox.calls()["by"]["GET contactslist"] == 1


def test_D3_no_change_sync_costs_at_most_5_calls_per_list_and_writes_nothing(sandbox, gateway):
    campaigns = []
    for n in range(3):
        erp = erp_with(
            *((f"p{i}.c{n}@example.com", DECLINED if i % 7 == 0 else ACCEPTED) for i in range(2500))
        )
        campaigns.append((f"Campaign {n}", None, erp))
    first = sync_lists(gateway, campaigns)
    lists = [r.list_id for r in first]
    sandbox.signup(lists[0], "widget@example.com")
    sandbox.unsubscribe(lists[1], "p1.c1@example.com")
    again = [(name, lists[n], store) for n, (name, _id, store) in enumerate(campaigns)]
    sync_lists(gateway, again)

    writes = [store.writes for _name, _id, store in campaigns]
    before = sandbox.calls()["total"]
    reports = sync_lists(gateway, again)
    new_calls = calls_since(sandbox, before)
    per_list = [r.api_calls for r in reports]
    assert max(per_list) <= 5, per_list
    assert len(new_calls) <= 1 + 5 * len(campaigns)  # + the one read of all lists
    assert not [c for c in new_calls if c["method"] in WRITE_METHODS]
    assert [store.writes for _name, _id, store in campaigns] == writes
    assert not any(r.changed for r in reports)


def test_D3_first_unsubscribe_costs_a_page_not_a_call_per_contact(sandbox, gateway, list_id):
    erp = erp_with(*((f"p{i}@example.com", ACCEPTED) for i in range(3000)))
    sync_list(gateway, list_id, erp)
    for i in (5, 6, 7):
        sandbox.unsubscribe(list_id, f"p{i}@example.com")
    report = sync_list(gateway, list_id, erp)
    assert report.declined_from_mailjet == 3
    # 4 counts/signups + 1 page of unsubscribed rows + 3 contact look-ups (ids unknown yet)
    assert report.api_calls <= 8


# ------------------------------------------------------------------ property, end to end
POOL = [
    "anna@example.com",
    " ANNA@example.com",
    "bernd@example.com",
    "carla@bücher.de",
    "dora@example.org",
]
OPS = st.lists(
    st.one_of(
        st.tuples(st.just("erp_add"), st.sampled_from(POOL), st.sampled_from([ACCEPTED, DECLINED])),
        st.tuples(st.just("erp_decline"), st.sampled_from(POOL)),
        st.tuples(st.just("mailjet_unsubscribe"), st.sampled_from(POOL)),
        st.tuples(st.just("widget_signup"), st.sampled_from(POOL)),
        st.tuples(st.just("sync")),
    ),
    max_size=12,
)


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(ops=OPS)
def test_D4_D7_interleavings_against_the_sandbox(sandbox_server, ops):
    sandbox = sandbox_server
    sandbox.reset()
    with make_gateway(sandbox, attempts=GATEWAY_ATTEMPTS) as gw:
        list_id = gw.create_list("Property").id
        erp = InMemoryParticipants()
        pending, final = set(), set()  # Mailjet unsubscribes not yet / already synced
        for op in ops:
            kind, *args = op
            email = normalize_email(args[0]) if args else ""
            if kind == "erp_add":
                erp.add(email, state=args[1])
            elif kind == "erp_decline" and erp.find(email):
                erp.set_state(erp.find(email).key, DECLINED)
            elif kind == "mailjet_unsubscribe" and members(sandbox, list_id).get(email) == (
                "subscribed"
            ):
                sandbox.unsubscribe(list_id, email)
                pending.add(email)
            elif kind == "widget_signup" and is_valid_email(email):
                sandbox.signup(list_id, email)
                pending.discard(email)  # the person's latest word, not yet synced
            elif kind == "sync":
                final |= pending | {r.email for r in erp.rows.values() if r.state == DECLINED}
                pending.clear()
                sync_list(gw, list_id, erp)
        final |= pending | {r.email for r in erp.rows.values() if r.state == DECLINED}
        sync_list(gw, list_id, erp)
        state = members(sandbox, list_id)
        assert set(state) == {r.email for r in erp.rows.values()}
        for r in erp.rows.values():
            assert state[r.email] == ("subscribed" if r.state == ACCEPTED else "unsubscribed")
        for email in final:
            assert state[email] == "unsubscribed"
        writes, before = erp.writes, sandbox.calls()["total"]
        assert not sync_list(gw, list_id, erp).changed
        assert erp.writes == writes
        assert sandbox.calls()["total"] - before <= 4


# ------------------------------------------------------------------ reading the ERP once
class CountingParticipants(InMemoryParticipants):
    reads = 0

    def participants(self):
        self.reads += 1
        return super().participants()


def test_a_push_does_not_read_the_participants_a_second_time(sandbox, gateway, list_id):
    erp = CountingParticipants()
    for i in range(3):
        erp.add(f"p{i}@example.com")
    sandbox.signup(list_id, "new@example.com")
    sandbox.exclude("p1@example.com")
    report = sync_list(gateway, list_id, erp)
    assert report.pushed == 3 and report.new_signups == 1
    assert erp.reads == 1
    # ... and the exclusion found by the count after the push still reaches the ERP.
    assert erp.find("p1@example.com").excluded
    assert report.counters.excluded == 1


def test_R11_a_signup_linked_to_a_partner_costs_no_call_for_its_name(sandbox, gateway, list_id):
    """A participant linked to a partner or employee shows that record's name; Mailjet is
    asked for the contact's name only for a signup linked to nobody."""
    erp = InMemoryParticipants(partners=[PartnerRecord(20, email="kunde@example.com")])
    sync_list(gateway, list_id, erp)
    sandbox.signup(list_id, "kunde@example.com", "Kunde aus Mailjet")
    sandbox.signup(list_id, "fritz@example.com", "Fritz Faller")
    before = sandbox.calls()["total"]
    report = sync_list(gateway, list_id, erp)
    asked = [
        c for c in sandbox.calls()["calls"][before:] if c["path"].startswith("/v3/REST/contact/")
    ]
    assert (report.new_signups, report.matched) == (2, 1)
    assert len(asked) == 1
    assert erp.find("fritz@example.com").name == "Fritz Faller"


def test_D3_counters_after_a_push_are_predicted_without_counting_again(sandbox, gateway, list_id):
    erp = InMemoryParticipants()
    for i in range(6):
        erp.add(f"p{i}@example.com", state=DECLINED if i == 0 else ACCEPTED)
    sync_list(gateway, list_id, erp)
    erp.add("late@example.com")
    erp.set_state(erp.find("p1@example.com").key, DECLINED)
    before = sandbox.calls()["total"]
    report = sync_list(gateway, list_id, erp, recount=False)
    calls = sandbox.calls()["calls"][before:]
    first_post = next(n for n, c in enumerate(calls) if c["method"] == "POST")
    counted_after = [c for c in calls[first_post:] if c["resource"] == "listrecipient"]
    recounted = sync_list(gateway, list_id, erp)  # nothing left to push: Mailjet's counts
    assert (report.pushed, report.unsubscribed_in_mailjet) == (1, 1)
    assert counted_after == []
    assert report.counters == recounted.counters
    assert (report.counters.total, report.counters.unsubscribed) == (7, 2)
