"""A night with the run's account-wide overview (``survey``): one call per quiet list, and
every change on either side still found (the cheap answer falls back to the list's reads)."""

import pytest
from conftest import make_gateway
from doubles import InMemoryParticipants

from ems_mailjet.services import gateway as gateway_module
from ems_mailjet.services.records import ACCEPTED, DECLINED
from ems_mailjet.services.sync import (
    PendingList,
    finish_lists,
    start_list,
    summarize,
    survey,
    sync_list,
)

WRITE_METHODS = ("POST", "PUT", "DELETE")
LISTS = 4
PEOPLE = 60
# the three reads of all lists, then one count and one page of every list's unsubscribes
QUIET_NIGHT_CALLS = 5


class CountingStore(InMemoryParticipants):
    """Counts how often the engine loads every participant."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.loads = 0

    def participants(self):
        self.loads += 1
        return super().participants()


class SummarisingStore(CountingStore):
    """Answers ``summary`` without a full load, as the Odoo store does with SQL."""

    def summary(self, excluded_emails):
        return summarize(InMemoryParticipants.participants(self), excluded_emails)


def night(gateway, campaigns):
    """What an interface's run does: one read of all lists, the overview, each list."""
    ensured = gateway.ensure_lists(
        [(n, name, list_id) for n, (name, list_id, _store) in enumerate(campaigns)]
    )
    wanted = [
        (ensured[n].list_id, ensured[n].subscriber_count, store.get_checkpoint())
        for n, (_name, _id, store) in enumerate(campaigns)
        if not ensured[n].created
    ]
    overview = survey(gateway, wanted)
    reports = []
    for n, (_name, _id, store) in enumerate(campaigns):
        target = ensured[n]
        part = overview.for_list(target.list_id, store.get_checkpoint(), created=target.created)
        reports.append(
            sync_list(gateway, target.list_id, store, known_empty=target.created, overview=part)
        )
    return reports


def members(sandbox, list_id):
    lists = sandbox.control("GET", "state", query=f"list={list_id}")["lists"]
    return {m["Email"]: m["IsUnsubscribed"] for m in lists[0]["members"]}


def agree(sandbox, list_id, store):
    """Both sides hold the same addresses, declined exactly where unsubscribed."""
    erp = {p.email.lower(): p.state == DECLINED for p in InMemoryParticipants.participants(store)}
    assert erp == members(sandbox, list_id)
    for p in InMemoryParticipants.participants(store):
        assert p.synced_state == p.state, p


@pytest.fixture
def synced(sandbox, gateway):
    """Four lists of 60 (every seventh declined), synced once and then once more."""
    campaigns = []
    for n in range(LISTS):
        store = SummarisingStore()
        for i in range(PEOPLE):
            store.add(f"p{i}.c{n}@example.com", state=DECLINED if i % 7 == 0 else ACCEPTED)
        campaigns.append((f"Campaign {n}", None, store))
    first = night(gateway, campaigns)
    campaigns = [(name, first[n].list_id, s) for n, (name, _i, s) in enumerate(campaigns)]
    night(gateway, campaigns)
    return campaigns


def test_D3_quiet_night_costs_five_calls_whatever_the_number_of_lists(sandbox, gateway, synced):
    writes = [store.writes for _n, _i, store in synced]
    loads = [store.loads for _n, _i, store in synced]
    before = sandbox.calls()["total"]
    reports = night(gateway, synced)
    calls = sandbox.calls()["calls"][before:]
    # all lists, all signups, all excluded contacts, then the unsubscribed members of every
    # list at once: one count and one page (36 rows), instead of one count per list
    assert [c["resource"] for c in calls] == [
        "contactslist",
        "contactslistsignup",
        "contact",
        "listrecipient",
        "listrecipient",
    ]
    assert not [c for c in calls if c["method"] in WRITE_METHODS]
    assert [store.writes for _n, _i, store in synced] == writes
    assert [store.loads for _n, _i, store in synced] == loads  # no participant loaded
    assert not any(r.changed or r.errors for r in reports)
    counters = reports[0].counters
    assert (counters.total, counters.unsubscribed, counters.excluded) == (PEOPLE, 9, 0)


def test_D3_more_pages_of_unsubscribes_than_lists_fall_back_to_one_count_per_list(
    sandbox, gateway, synced, monkeypatch
):
    # 36 unsubscribed rows in pages of 5 are 8 pages: more calls than the 4 lists' counts
    monkeypatch.setattr(gateway_module, "PAGE_SIZE", 5)
    before = sandbox.calls()["total"]
    reports = night(gateway, synced)
    calls = sandbox.calls()["calls"][before:]
    # the three reads of all lists, the one count that rules the read out, one per list
    assert len(calls) == 3 + 1 + LISTS, [c["resource"] for c in calls]
    assert not any(r.changed or r.errors for r in reports)
    assert reports[0].counters.unsubscribed == 9


def test_D3_an_unsubscribe_filter_mailjet_ignores_costs_pages_not_truth(
    sandbox, gateway, synced, monkeypatch
):
    """If Mailjet ignored ``Unsub`` without a list, every member comes back: the rows say
    themselves whether they are unsubscribed, so the night stays right."""
    pages = gateway._pages

    def unfiltered(endpoint, what, filters=None, **kwargs):
        if endpoint == "listrecipient" and filters and "ContactsList" not in filters:
            filters = {k: v for k, v in filters.items() if k != "Unsub"}
        return pages(endpoint, what, filters, **kwargs)

    monkeypatch.setattr(gateway, "_pages", unfiltered)
    name, list_id, store = synced[1]
    with make_gateway(sandbox) as gw:
        gw._client.contactslist_managecontact.create(
            id=list_id, data={"Email": "p1.c1@example.com", "Action": "unsub"}
        )
    reports = night(gateway, synced)
    assert reports[1].declined_from_mailjet == 1
    assert not any(r.changed for n, r in enumerate(reports) if n != 1)
    agree(sandbox, list_id, store)


def test_D3_the_summary_is_computed_from_participants_without_a_summary_method(
    sandbox, gateway, synced
):
    store = synced[0][2]
    plain = CountingStore()
    for p in InMemoryParticipants.participants(store):
        plain.add(p.email, state=p.state)
    plain.mark_synced({p.key: p.state for p in InMemoryParticipants.participants(plain)})
    campaigns = [(synced[0][0], synced[0][1], plain)]
    before = sandbox.calls()["total"]
    (report,) = night(gateway, campaigns)
    assert sandbox.calls()["total"] - before == 4
    assert not report.changed and not report.errors


def _remove(sandbox, list_id, email):
    with make_gateway(sandbox) as gw:
        gw._client.contactslist_managecontact.create(
            id=list_id, data={"Email": email, "Action": "remove"}
        )


def _add_in_mailjet(sandbox, list_id, email):
    with make_gateway(sandbox) as gw:
        gw._client.contactslist_managecontact.create(
            id=list_id, data={"Email": email, "Action": "addforce"}
        )


CHANGES = {
    "unsubscribe in Mailjet": lambda sb, lst, store: sb.unsubscribe(lst, "p3.c1@example.com"),
    "widget signup": lambda sb, lst, store: sb.signup(lst, "new@example.com"),
    "signup of a declined address": lambda sb, lst, store: sb.signup(lst, "p7.c1@example.com"),
    "exclusion": lambda sb, lst, store: sb.exclude("p4.c1@example.com"),
    "exclusion of an address on no list": lambda sb, lst, store: sb.exclude("x@example.com"),
    "removed in Mailjet": lambda sb, lst, store: _remove(sb, lst, "p5.c1@example.com"),
    "added in Mailjet": lambda sb, lst, store: _add_in_mailjet(sb, lst, "added@example.com"),
    "re-subscribed in Mailjet": lambda sb, lst, store: _add_in_mailjet(
        sb, lst, "p14.c1@example.com"
    ),
    "new participant in the ERP": lambda sb, lst, store: store.add("erp@example.com"),
    "decline in the ERP": lambda sb, lst, store: store.set_state(
        store.find("p2.c1@example.com").key, DECLINED
    ),
}


@pytest.mark.parametrize("change", sorted(CHANGES))
def test_D3_every_change_is_found_despite_the_cheap_answer(sandbox, gateway, synced, change):
    _name, list_id, store = synced[1]
    CHANGES[change](sandbox, list_id, store)
    reports = night(gateway, synced)
    assert not any(r.errors for r in reports)
    for _n, lst, s in synced:
        agree(sandbox, lst, s)
    if change == "exclusion of an address on no list":
        # not a change of any list: every list stays at its one count
        assert [r.pull for r in reports] == ["one count"] * LISTS
    else:
        assert reports[1].pull != "one count"  # the list's own reads were made
        quiet = [r.pull for n, r in enumerate(reports) if n != 1]
        assert quiet == ["one count"] * (LISTS - 1)
    if change == "exclusion":
        assert store.find("p4.c1@example.com").excluded
    # the night after is quiet again
    before = sandbox.calls()["total"]
    again = night(gateway, synced)
    assert [r.pull for r in again] == ["one count"] * LISTS
    assert sandbox.calls()["total"] - before == QUIET_NIGHT_CALLS


def test_D3_a_resubscribe_and_an_unsubscribe_in_two_lists_are_both_found(sandbox, gateway, synced):
    """Counted over all lists they cancel out; counted per list they do not."""
    _n0, list_a, store_a = synced[0]
    _n1, list_b, store_b = synced[1]
    _add_in_mailjet(sandbox, list_a, "p7.c0@example.com")  # was unsubscribed
    sandbox.unsubscribe(list_b, "p3.c1@example.com")
    reports = night(gateway, synced)
    assert reports[0].pull != "one count" and reports[1].pull != "one count"
    assert store_b.find("p3.c1@example.com").state == DECLINED
    # the unsubscribe is final: Mailjet is told again (D4)
    assert members(sandbox, list_a)["p7.c0@example.com"] is True
    agree(sandbox, list_a, store_a)
    agree(sandbox, list_b, store_b)


def test_R10_signups_are_read_once_for_all_lists_and_the_checkpoints_move_on(
    sandbox, gateway, synced
):
    lists = [lst for _n, lst, _s in synced]
    sandbox.signup(lists[0], "first@example.com")
    night(gateway, synced)
    sandbox.advance_clock(5)
    sandbox.signup(lists[2], "second@example.com")
    before = sandbox.calls()["total"]
    reports = night(gateway, synced)
    by = [c["resource"] for c in sandbox.calls()["calls"][before:]]
    assert by.count("contactslistsignup") == 1
    assert reports[2].new_signups == 1 and synced[2][2].find("second@example.com")
    assert not any(r.new_signups for n, r in enumerate(reports) if n != 2)
    # every list's checkpoint is now past both signups: the next read starts there
    before = sandbox.calls()["total"]
    again = night(gateway, synced)
    assert [r.pull for r in again] == ["one count"] * LISTS
    signup_reads = [c for c in sandbox.calls()["calls"][before:] if "signup" in c["resource"]]
    assert len(signup_reads) == 1 and "MinConfirmAt" in signup_reads[0]["query"]


def test_a_new_list_shows_addresses_mailjet_already_excludes(sandbox, gateway):
    sandbox.exclude("p2.c0@example.com")
    store = SummarisingStore()
    for i in range(5):
        store.add(f"p{i}.c0@example.com")
    before = sandbox.calls()["total"]
    (report,) = night(gateway, [("Campaign 0", None, store)])
    calls = [c["resource"] for c in sandbox.calls()["calls"][before:]]
    assert "contact" in calls and calls.count("contact") == 1  # the one read of all excluded
    assert [p.email for p in store.participants() if p.excluded] == ["p2.c0@example.com"]
    assert report.counters.excluded == 1 and report.pushed == 5


def test_D3_hidden_unsubscribed_members_are_resolved_with_one_read_of_all_contacts(
    sandbox, gateway, list_id
):
    """The list's contact listing leaves unsubscribed members out and the ERP knows no
    contact ids after a bulk push: one paged read of every contact's address, not one
    call per member."""
    store = InMemoryParticipants()
    for i in range(40):
        store.add(f"p{i}@example.com")
    sync_list(gateway, list_id, store)
    for i in range(10):
        sandbox.unsubscribe(list_id, f"p{i}@example.com")
    before = sandbox.calls()["total"]
    report = sync_list(gateway, list_id, store)
    paths = [c["path"] for c in sandbox.calls()["calls"][before:]]
    assert report.declined_from_mailjet == 10 and not report.errors
    assert not [p for p in paths if p.rstrip("/").split("/")[-1].isdigit() and "/contact/" in p]
    assert all(store.find(f"p{i}@example.com").state == DECLINED for i in range(10))
    agree(sandbox, list_id, store)


def test_D3_a_list_read_in_full_asks_for_no_exclusions_the_night_already_read(
    sandbox, gateway, synced
):
    """The list's contact listing leaves unsubscribed members out (one reading of an
    undocumented corner): their exclusion flags come from the night's read of every
    excluded contact, not from a second read per list."""
    sandbox.config(contact_list_filter="subscribed")
    name, list_id, store = synced[2]
    _add_in_mailjet(sandbox, list_id, "stranger@example.com")  # the list is read in full
    before = sandbox.calls()["total"]
    reports = night(gateway, synced)
    excluded_reads = [
        c
        for c in sandbox.calls()["calls"][before:]
        if c["resource"] == "contact" and "IsExcludedFromCampaigns" in (c["query"] or "")
    ]
    assert reports[2].pull == "all members" and reports[2].new_signups == 1
    assert len(excluded_reads) == 1  # the night's own
    agree(sandbox, list_id, store)


def test_D3_the_jobs_of_many_lists_are_polled_together_with_one_wait(sandbox):
    """A run submits each list's jobs, goes on with the next list, and polls the jobs of
    many lists together: one wait between rounds for all of them, not one per list; and
    each list ends exactly as if it had been synced on its own."""
    waits = []
    stores = []
    calls_before = sandbox.calls()["total"]
    with make_gateway(sandbox, sleep=waits.append) as gw:
        ensured = gw.ensure_lists([(n, f"Campaign {n}", None) for n in range(LISTS)])
        pending = []
        for n in range(LISTS):
            store = InMemoryParticipants()
            for i in range(30):
                store.add(f"p{i}.c{n}@example.com", state=DECLINED if i % 5 == 0 else ACCEPTED)
            stores.append(store)
            started = start_list(gw, ensured[n].list_id, store, known_empty=True)
            assert isinstance(started, PendingList)
            assert store.find(f"p1.c{n}@example.com").synced_state is None  # not yet
            pending.append(started)
        polls_before = sandbox.calls()["by"].get("GET contactslist/managemanycontacts", 0)
        reports = finish_lists(gw, pending)
        polls = sandbox.calls()["by"]["GET contactslist/managemanycontacts"] - polls_before
    assert len(waits) == 1  # one round said "not yet" for every job, then all were final
    assert polls == 2 * 2 * LISTS  # two jobs per list, each polled twice
    # every call of the lists' syncs is counted in one list's report: its two submits, its
    # share of the polls (and, for the first, the read of the contact properties)
    lists_read = 1
    calls = sandbox.calls()["total"] - calls_before - lists_read - LISTS  # - lists created
    assert sum(r.api_calls for r in reports) == calls
    assert all(r.api_calls in (6, 7) for r in reports)
    for n, report in enumerate(reports):
        assert (report.pushed, report.unsubscribed_in_mailjet, report.errors) == (24, 6, 0)
        agree(sandbox, ensured[n].list_id, stores[n])


def test_D7_an_outage_while_many_lists_are_polled_keeps_what_each_had_confirmed(sandbox):
    with make_gateway(sandbox) as gw:
        ensured = gw.ensure_lists([(n, f"Campaign {n}", None) for n in range(2)])
        stores, pending = [], []
        for n in range(2):
            store = InMemoryParticipants()
            for i in range(5):
                store.add(f"p{i}.c{n}@example.com")
            stores.append(store)
            pending.append(start_list(gw, ensured[n].list_id, store, known_empty=True))
        sandbox.fault(kind="status", status=503, path="managemanycontacts", count=99)
        reports = finish_lists(gw, pending)
    assert all(r.aborted and r.errors == 1 for r in reports)
    assert all(p.synced_state is None for s in stores for p in s.participants())
    # the next night sends them again and ends with both sides agreeing
    with make_gateway(sandbox) as gw:
        for n in range(2):
            assert not sync_list(gw, ensured[n].list_id, stores[n]).errors
            agree(sandbox, ensured[n].list_id, stores[n])


def _contact_reads(calls):
    """The calls that read contacts: "list" (a list's), "all" (the account's map), "one"."""
    kinds = []
    for c in calls:
        if c["resource"] != "contact" or "IsExcludedFromCampaigns" in (c["query"] or ""):
            continue
        if c["path"].rstrip("/") != "/v3/REST/contact":
            kinds.append("one")
        elif "countOnly" in (c["query"] or ""):
            kinds.append("count")
        else:
            kinds.append("list" if "ContactsList" in (c["query"] or "") else "all")
    return kinds


def test_D3_unknown_unsubscribes_of_many_lists_cost_one_read_of_all_contacts_then_none(
    sandbox, gateway, synced
):
    """After a bulk push the ERP knows no contact ids. The first unsubscribes of every
    list are resolved with one paged read of all contacts (not a read of each list), and
    every participant learns its id from it: the next unsubscribe costs no contact read.
    The same read names the night's widget signups."""
    for n in range(LISTS):
        for i in (1, 2):
            sandbox.unsubscribe(synced[n][1], f"p{i}.c{n}@example.com")
    sandbox.signup(synced[2][1], "fritz@example.com", "Fritz Faller")
    before = sandbox.calls()["total"]
    reports = night(gateway, synced)
    assert [r.declined_from_mailjet for r in reports] == [2] * LISTS
    assert _contact_reads(sandbox.calls()["calls"][before:]) == ["count", "all"]
    assert synced[2][2].find("fritz@example.com").name == "Fritz Faller"
    for _name, list_id, store in synced:
        assert all(p.mailjet_contact_id for p in InMemoryParticipants.participants(store))
        agree(sandbox, list_id, store)
    sandbox.unsubscribe(synced[3][1], "p3.c3@example.com")
    before = sandbox.calls()["total"]
    with make_gateway(sandbox) as fresh:
        reports = night(fresh, synced)
    assert [r.declined_from_mailjet for r in reports] == [0, 0, 0, 1]
    assert _contact_reads(sandbox.calls()["calls"][before:]) == []
    agree(sandbox, synced[3][1], synced[3][2])


def test_D3_unknown_unsubscribes_spread_over_lists_switch_to_one_read_of_all_contacts(
    sandbox, gateway, synced, monkeypatch
):
    """Each list alone has fewer unknown unsubscribed contacts than the account has pages
    of contacts, so the first list asks for them one by one; once the run has spent as many
    calls as that read costs, it reads every contact's address once and the other lists
    resolve theirs from it (never much more than twice the cheaper way)."""
    sandbox.config(contact_list_filter="subscribed")  # unsubscribed members left unlisted
    monkeypatch.setattr(gateway_module, "PAGE_SIZE", 20)  # 240 contacts: 13 pages
    for n in range(LISTS):
        sandbox.unsubscribe(synced[n][1], f"p1.c{n}@example.com")
    before = sandbox.calls()["total"]
    reports = night(gateway, synced)
    reads = _contact_reads(sandbox.calls()["calls"][before:])
    assert [r.declined_from_mailjet for r in reports] == [1] * LISTS
    assert reads.count("one") == 10  # the first list's 9 declined and 1 new, one by one
    assert reads.count("all") == 13  # then the whole account once, for the other lists
    for _name, list_id, store in synced:
        agree(sandbox, list_id, store)
