"""The preview of the next sync: the sync's own plan, nothing applied, only reads."""

from doubles import InMemoryMailjet, InMemoryParticipants

from ems_mailjet.services.preview import ListDecision, addresses, plan_lists, preview_list
from ems_mailjet.services.records import DECLINED
from ems_mailjet.services.sync import sync_list

LIST = 7


def _synced_campaign():
    mailjet, store = InMemoryMailjet(), InMemoryParticipants()
    for email in ("a@example.com", "b@example.com", "c@example.com"):
        store.add(email)
    sync_list(mailjet, LIST, store)
    return mailjet, store


def test_preview_shows_what_the_sync_then_does_and_changes_nothing():
    mailjet, store = _synced_campaign()
    store.add("new@example.com")
    store.set_state(store.find("b@example.com").key, DECLINED)
    mailjet.apply(LIST, "c@example.com", "unsub")
    mailjet.signup(LIST, "widget@example.com", "Widget")
    writes, actions = (store.writes, mailjet.writes), list(mailjet.actions)
    before = [p for p in store.participants()]

    preview = preview_list(mailjet, ListDecision("x", LIST, "List"), store)

    assert addresses(preview) == {
        "to_push": ["new@example.com"],
        "to_unsubscribe": ["b@example.com"],
        "to_decline": ["c@example.com"],
        "new_signups": ["widget@example.com"],
    }
    assert (store.writes, mailjet.writes) == writes
    assert mailjet.actions == actions
    assert store.participants() == before
    report = sync_list(mailjet, LIST, store)
    assert (report.pushed, report.unsubscribed_in_mailjet) == (1, 1)
    assert (report.declined_from_mailjet, report.new_signups) == (1, 1)
    again = preview_list(mailjet, ListDecision("x", LIST, "List"), store)
    assert not any(addresses(again).values())


def test_preview_of_a_list_to_create_costs_no_call():
    mailjet, store = InMemoryMailjet(), InMemoryParticipants()
    store.add("a@example.com")
    store.add("gone@example.com", state=DECLINED)
    preview = preview_list(mailjet, ListDecision("x", None, "List", create=True), store)
    assert preview.to_push == ["a@example.com"]
    assert preview.to_unsubscribe == ["gone@example.com"]
    assert mailjet.calls == 0 and preview.api_calls == 0


def test_plan_lists_decides_as_ensure_lists_does(gateway):
    kept = gateway.create_list("Kept").id
    renamed = gateway.create_list("Old name").id
    gateway.create_list("Found by name")
    wanted = [
        ("kept", "Kept", kept),
        ("renamed", "New name", renamed),
        ("adopted", "Found by name", None),
        ("new", "Brand new", None),
        ("twin", "brand new ", None),
        ("nameless", "  ", None),
    ]
    planned = plan_lists(gateway.lists(), wanted)
    ensured = gateway.ensure_lists(wanted)
    for ref, _name, _list_id in wanted:
        plan, done = planned[ref], ensured[ref]
        assert plan.create == done.created, ref
        assert bool(plan.rename_from) == done.renamed, ref
        assert (plan.error and plan.error.code) == (done.error and done.error.code), ref
        if not plan.create:
            assert plan.list_id == done.list_id, ref
    assert planned["renamed"].rename_from == "Old name"


def test_bounced_or_blacklisted_address_is_held_back_but_may_be_unsubscribed():
    from ems_mailjet.services.protection import BLACKLISTED, HARD_BOUNCE, hold_back
    from ems_mailjet.services.reconcile import reconcile
    from ems_mailjet.services.records import MailjetView, Participant

    people = [
        Participant(1, "ok@example.com"),
        Participant(2, "bounced@example.com", push_blocked=HARD_BOUNCE),
        Participant(3, "listed@example.com", push_blocked=BLACKLISTED),
        Participant(4, "gone@example.com", state=DECLINED, push_blocked=HARD_BOUNCE),
    ]
    plan = hold_back(reconcile(people, MailjetView(complete=True)), people)
    assert [c.email for c in plan.to_add] == ["ok@example.com"]
    assert [c.email for c in plan.to_unsubscribe] == ["gone@example.com"]
    assert {(n.code, n.key) for n in plan.notes} == {
        ("push_held_back_bounce", 2),
        ("push_held_back_blacklist", 3),
    }


def test_message_rows_become_activity_and_the_budget_is_one_call_per_thousand():
    from ems_mailjet.services.engagement import activity_budget, message_activity

    rows = [
        {"ID": 1, "ContactAlt": "A@Example.com", "Status": "clicked", "CampaignID": 9},
        {"ID": 2, "ContactAlt": "b@example.com", "Status": "opened"},
        {"ID": 3, "ContactAlt": "c@example.com", "Status": "hardbounced"},
        {"ID": 4, "ContactAlt": "d@example.com", "Status": "spam"},
        {"ID": 5, "Status": "sent"},  # no address: left out
    ]
    found = {a.email: a for a in message_activity(rows)}
    assert set(found) == {"a@example.com", "b@example.com", "c@example.com", "d@example.com"}
    assert found["a@example.com"].opened and found["a@example.com"].clicked
    assert found["b@example.com"].opened and not found["b@example.com"].clicked
    assert found["c@example.com"].bounced and found["c@example.com"].hard_bounce
    assert found["d@example.com"].spam
    assert [activity_budget(n) for n in (0, 999, 1000, 1001, 25_000)] == [1, 1, 1, 2, 25]


def test_changed_properties_are_pushed_once_and_unchanged_ones_never():
    from ems_mailjet.services.properties import fingerprint, with_property_updates
    from ems_mailjet.services.reconcile import reconcile
    from ems_mailjet.services.records import ACCEPTED, MailjetView, Participant

    values = {"firstname": "Erika"}
    same = Participant(
        1,
        "same@example.com",
        synced_state=ACCEPTED,
        properties=values,
        properties_synced=fingerprint(values),
    )
    renamed = Participant(
        2,
        "renamed@example.com",
        synced_state=ACCEPTED,
        properties={"firstname": "Erik"},
        properties_synced=fingerprint(values),
    )
    gone = Participant(3, "gone@example.com", state=DECLINED, synced_state=DECLINED, properties={})
    people = [same, renamed, gone]
    plan = with_property_updates(reconcile(people, MailjetView()), people)
    assert [(c.email, c.properties) for c in plan.to_add] == [
        ("renamed@example.com", {"firstname": "Erik"})
    ]
    assert not plan.to_unsubscribe
