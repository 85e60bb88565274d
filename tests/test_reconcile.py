"""The reconciliation rules (services/reconcile.py), one by one, on plain values."""

from datetime import datetime, timedelta, timezone

from ems_mailjet.services.reconcile import reconcile
from ems_mailjet.services.records import (
    ACCEPTED,
    DECLINED,
    Checkpoint,
    MailjetView,
    Participant,
    Recipient,
    Signup,
)

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)


def p(key, email, state=ACCEPTED, synced=None, **kw):
    return Participant(key=key, email=email, state=state, synced_state=synced, **kw)


def emails(contacts):
    return [c.email for c in contacts]


def test_R9_new_erp_participant_is_pushed_with_addnoforce():
    plan = reconcile([p(1, "anna@example.com", name="Anna")], MailjetView())
    assert emails(plan.to_add) == ["anna@example.com"]
    assert plan.to_add[0].name == "Anna" and plan.to_add[0].keys == (1,)
    assert not plan.to_unsubscribe and not plan.to_decline


def test_no_change_plan_is_empty():
    participants = [
        p(1, "anna@example.com", ACCEPTED, ACCEPTED),
        p(2, "bernd@example.com", DECLINED, DECLINED),
    ]
    plan = reconcile(participants, MailjetView(), Checkpoint())
    assert plan.is_empty


def test_R7_mailjet_unsubscribe_declines_participant():
    view = MailjetView(
        recipients=(Recipient("anna@example.com", 77, unsubscribed=True, unsubscribed_at=T0),),
        unsubscribed_complete=True,
    )
    plan = reconcile([p(1, "anna@example.com", ACCEPTED, ACCEPTED)], view)
    assert [(d.key, d.when) for d in plan.to_decline] == [(1, T0)]
    assert plan.mark_synced == {1: DECLINED}
    assert plan.contact_ids == {1: 77}
    assert not plan.to_add and not plan.to_unsubscribe  # nothing to push back


def test_D4_erp_decline_is_pushed_as_unsub_never_remove():
    plan = reconcile([p(1, "anna@example.com", DECLINED, ACCEPTED)], MailjetView())
    assert emails(plan.to_unsubscribe) == ["anna@example.com"]
    assert not plan.to_add


def test_D4_declined_never_in_mailjet_is_recorded_as_unsubscribed():
    plan = reconcile([p(1, "anna@example.com", DECLINED)], MailjetView(complete=True))
    assert emails(plan.to_unsubscribe) == ["anna@example.com"]


def test_D4_unsubscribe_wins_conflict_erp_declined_but_signed_up_again():
    """The ERP declined (and Mailjet confirmed); then a widget signup re-subscribed."""
    view = MailjetView(signups=(Signup("anna@example.com", 77, T0, id=1),))
    plan = reconcile([p(1, "anna@example.com", DECLINED, DECLINED)], view, Checkpoint())
    assert emails(plan.to_unsubscribe) == ["anna@example.com"]
    assert not plan.to_add
    assert [n.code for n in plan.notes] == ["resignup_kept_declined"]


def test_D4_unsubscribe_wins_conflict_both_sides_changed():
    """Accepted in the ERP while Mailjet got an unsubscribe: the unsubscribe wins."""
    view = MailjetView(
        recipients=(Recipient("anna@example.com", 77, unsubscribed=True),),
        unsubscribed_complete=True,
    )
    plan = reconcile([p(1, "anna@example.com", ACCEPTED, None)], view)
    assert [d.key for d in plan.to_decline] == [1]
    assert not plan.to_add


def test_R8_push_never_resubscribes_unsubscribed():
    """A participant switched back to accepted by hand, after Mailjet confirmed the
    unsubscribe, is not pushed: it is declined again (consent action needed)."""
    plan = reconcile([p(1, "anna@example.com", ACCEPTED, DECLINED)], MailjetView())
    assert not plan.to_add
    assert [d.key for d in plan.to_decline] == [1]
    assert "consent" in plan.to_decline[0].reason


def test_R8_final_even_when_mailjet_no_longer_lists_it_unsubscribed():
    view = MailjetView(complete=True, unsubscribed_complete=True)  # removed in Mailjet
    plan = reconcile([p(1, "anna@example.com", ACCEPTED, DECLINED)], view)
    assert not plan.to_add
    assert emails(plan.to_unsubscribe) == ["anna@example.com"]
    assert [d.key for d in plan.to_decline] == [1]


def test_R8_resubscribed_on_both_sides_is_accepted():
    """Mailjet shows the address subscribed again (consent given there) and the ERP
    agrees: nothing is forced either way."""
    view = MailjetView(recipients=(Recipient("anna@example.com", 77),), complete=True)
    plan = reconcile([p(1, "anna@example.com", ACCEPTED, DECLINED)], view)
    assert plan.mark_synced == {1: ACCEPTED}
    assert not plan.to_decline and not plan.to_add and not plan.to_unsubscribe


def test_R10_signup_becomes_new_participant():
    view = MailjetView(signups=(Signup("New@Example.com", 88, T0, id=5),))
    plan = reconcile([], view, Checkpoint())
    [new] = plan.new_participants
    assert (new.email, new.state, new.contact_id, new.synced_state) == (
        "new@example.com",
        ACCEPTED,
        88,
        ACCEPTED,
    )
    assert plan.checkpoint.signups_after == T0 and plan.checkpoint.seen_ids == {5}


def test_R10_signup_then_unsubscribe_is_new_declined_participant():
    view = MailjetView(
        recipients=(Recipient("new@example.com", 88, unsubscribed=True, unsubscribed_at=T0),),
        signups=(Signup("new@example.com", 88, T0 - timedelta(hours=1), id=5),),
        unsubscribed_complete=True,
    )
    [new] = reconcile([], view).new_participants
    assert (new.state, new.declined_at) == (DECLINED, T0)


def test_signups_not_newer_than_checkpoint_are_ignored():
    checkpoint = Checkpoint(signups_after=T0, seen_ids=frozenset({5}))
    view = MailjetView(
        signups=(
            Signup("old@example.com", 1, T0 - timedelta(seconds=1), id=4),
            Signup("seen@example.com", 2, T0, id=5),
            Signup("same-second@example.com", 3, T0, id=6),
            Signup("later@example.com", 4, T0 + timedelta(seconds=1), id=7),
        )
    )
    plan = reconcile([], view, checkpoint)
    assert emails(plan.new_participants) == ["later@example.com", "same-second@example.com"]
    assert plan.checkpoint.signups_after == T0 + timedelta(seconds=1)


def test_signup_of_unpushed_participant_needs_no_push():
    view = MailjetView(signups=(Signup("anna@example.com", 77, T0, id=1),))
    plan = reconcile([p(1, "anna@example.com")], view)
    assert not plan.to_add
    assert plan.mark_synced == {1: ACCEPTED}
    assert plan.contact_ids == {1: 77}


def test_complete_view_readds_participant_removed_in_mailjet():
    plan = reconcile([p(1, "anna@example.com", ACCEPTED, ACCEPTED)], MailjetView(complete=True))
    assert emails(plan.to_add) == ["anna@example.com"]


def test_complete_view_imports_mailjet_only_contacts_in_their_state():
    view = MailjetView(
        recipients=(
            Recipient("sub@example.com", 1, excluded=False),
            Recipient("unsub@example.com", 2, unsubscribed=True, unsubscribed_at=T0, excluded=True),
        ),
        complete=True,
    )
    plan = reconcile([], view)
    states = {n.email: (n.state, n.excluded) for n in plan.new_participants}
    assert states == {"sub@example.com": (ACCEPTED, False), "unsub@example.com": (DECLINED, True)}


def test_same_address_twice_is_one_mailjet_contact_and_declined_together():
    participants = [
        p(1, "anna@example.com", ACCEPTED, None),
        p(2, "ANNA@example.com ", DECLINED, None, declined_at=T0),
    ]
    plan = reconcile(participants, MailjetView())
    assert emails(plan.to_unsubscribe) == ["anna@example.com"]
    assert plan.to_unsubscribe[0].keys == (1, 2)
    assert [(d.key, d.when) for d in plan.to_decline] == [(1, T0)]


def test_invalid_address_is_reported_and_never_pushed():
    plan = reconcile([p(1, "not-an-address"), p(2, "ok@example.com")], MailjetView())
    assert emails(plan.to_add) == ["ok@example.com"]
    assert [e.params["email"] for e in plan.invalid] == ["not-an-address"]
    assert (plan.invalid[0].code, plan.invalid[0].key) == ("invalid_address", 1)
    assert plan.invalid[0].params["reason_code"] == "email_no_at"


def test_exclusions_follow_mailjet():
    participants = [
        p(1, "a@example.com", ACCEPTED, ACCEPTED),
        p(2, "b@example.com", ACCEPTED, ACCEPTED, excluded=True),
    ]
    view = MailjetView(excluded_emails=frozenset({"a@example.com"}))
    assert reconcile(participants, view).exclusions == {1: True, 2: False}
    assert reconcile(participants, MailjetView()).exclusions == {}


def test_reconcile_is_pure():
    participants = (p(1, "anna@example.com", DECLINED, ACCEPTED),)
    view = MailjetView(signups=(Signup("new@example.com", 5, T0, id=1),))
    first = reconcile(participants, view, None)
    second = reconcile(participants, view, None)
    assert first == second
    assert participants == (p(1, "anna@example.com", DECLINED, ACCEPTED),)


def test_checkpoint_round_trips_through_json_form():
    cp = Checkpoint(T0, "2026-03-01T12:00:00Z", frozenset({3, 4}))
    assert Checkpoint.from_dict(cp.to_dict()) == cp
    assert Checkpoint.from_dict(None) is None
