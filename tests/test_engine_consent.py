"""Double opt-in signups, proof of consent and erasure in Mailjet, against the sandbox."""

from datetime import datetime, timedelta, timezone

import pytest
from doubles import InMemoryParticipants
from mailjet_rest import DoesNotExistError

from ems_mailjet.services.reconcile import reconcile
from ems_mailjet.services.records import (
    ACCEPTED,
    DECLINED,
    MailjetView,
    Signup,
    is_erased_contact,
)
from ems_mailjet.services.sync import sync_list

DAY = 24 * 3600


def members(sandbox, list_id):
    lists = sandbox.control("GET", "state", query=f"list={list_id}")["lists"]
    return {
        m["Email"]: ("unsubscribed" if m["IsUnsubscribed"] else "subscribed")
        for m in lists[0]["members"]
    }


def test_pending_signup_is_no_participant_until_confirmed_a_day_later(sandbox, gateway, list_id):
    erp = InMemoryParticipants()
    sandbox.signup(list_id, "early@example.com", "Early")  # confirmed, moves the checkpoint
    sandbox.signup(list_id, "dora@example.com", "Dora", Confirmed=False, SignupIp="203.0.113.7")
    first = sync_list(gateway, list_id, erp)
    assert erp.find("dora@example.com") is None
    assert first.new_signups == 1 and first.errors == 0
    # later signups move the checkpoint past Dora's signup time
    sandbox.advance_clock(3600)
    sandbox.signup(list_id, "late@example.com", "Late")
    second = sync_list(gateway, list_id, erp, full=True)
    assert erp.find("dora@example.com") is None
    assert second.new_signups == 1 and second.pushed == 0

    sandbox.advance_clock(DAY)
    sandbox.confirm(list_id, "dora@example.com", confirm_ip="198.51.100.9")
    third = sync_list(gateway, list_id, erp)
    dora = erp.find("dora@example.com")
    assert dora is not None and third.new_signups == 1
    assert (dora.state, dora.name, dora.source) == (ACCEPTED, "Dora", "mailjet")
    assert (dora.signup_ip, dora.confirm_ip) == ("203.0.113.7", "198.51.100.9")
    assert dora.confirmed_at is not None
    assert third.pushed == 0


def test_pending_signup_never_confirmed_is_never_pushed(sandbox, gateway, list_id):
    erp = InMemoryParticipants()
    erp.add("anna@example.com")
    sandbox.signup(list_id, "ghost@example.com", Confirmed=False)
    for _run in range(2):
        report = sync_list(gateway, list_id, erp, full=True)
        assert report.errors == 0
        assert report.pushed == 0 or erp.find("anna@example.com").synced_state
    assert erp.find("ghost@example.com") is None
    assert "ghost@example.com" not in members(sandbox, list_id)


def test_confirmed_then_unsubscribed_before_the_run_arrives_declined(sandbox, gateway, list_id):
    erp = InMemoryParticipants()
    sync_list(gateway, list_id, erp)
    sandbox.signup(list_id, "eva@example.com", Confirmed=False)
    sandbox.confirm(list_id, "eva@example.com")
    sandbox.unsubscribe(list_id, "eva@example.com")
    sync_list(gateway, list_id, erp)
    eva = erp.find("eva@example.com")
    assert (eva.state, eva.synced_state) == (DECLINED, DECLINED)


def test_signup_name_is_carried(sandbox, gateway, list_id):
    erp = InMemoryParticipants()
    sync_list(gateway, list_id, erp)
    sandbox.signup(list_id, "fritz@example.com", "Fritz Faller")
    sync_list(gateway, list_id, erp)
    assert erp.find("fritz@example.com").name == "Fritz Faller"


def test_contact_erased_in_mailjet_is_declined_suppressed_and_never_pushed_again(
    sandbox, gateway, list_id
):
    erp = InMemoryParticipants()
    erp.add("anna@example.com", "Anna")
    erp.add("bernd@example.com", "Bernd")
    sync_list(gateway, list_id, erp)
    sandbox.gdpr_delete("anna@example.com")

    report = sync_list(gateway, list_id, erp, full=True)
    anna = erp.find("anna@example.com")
    assert (anna.state, anna.suppressed, anna.decline_reason) == (
        DECLINED,
        True,
        "erased in Mailjet",
    )
    assert report.errors == 0
    assert [n.code for n in report.notes] == ["erased_in_mailjet"]
    assert all(not is_erased_contact(n.params.get("email", "")) for n in report.notes)
    # neither a partial nor a full run, nor the purge 30 days later, brings it back
    for days, full in ((0, False), (31, False), (0, True)):
        sandbox.advance_clock(days * DAY)
        sync_list(gateway, list_id, erp, full=full)
        assert "anna@example.com" not in members(sandbox, list_id)
        assert gateway.find_contact("anna@example.com") is None
    assert erp.find("bernd@example.com").state == ACCEPTED


def test_gateway_deletes_a_contact_through_v4(sandbox, gateway, list_id):
    sandbox.signup(list_id, "gdpr@example.com", "Gerda")
    contact = gateway.find_contact("gdpr@example.com")
    assert contact is not None
    assert gateway.delete_contact(contact.id) is True
    erased = gateway.contact(contact.id)
    assert is_erased_contact(erased.email, erased.name)
    assert gateway.find_contact("gdpr@example.com") is None
    assert gateway.delete_contact(contact.id) is False  # already erased


def test_reconcile_ignores_pending_signups_and_keeps_the_checkpoint_before_them():
    t0 = datetime(2026, 5, 1, tzinfo=timezone.utc)
    pending = Signup("p@example.com", 1, signup_at=t0, id=1, confirmed=False)
    done = Signup("d@example.com", 2, signup_at=t0 + timedelta(hours=1), id=2)
    plan = reconcile([], MailjetView(signups=(pending, done)), None)
    assert [n.email for n in plan.new_participants] == ["d@example.com"]
    assert plan.to_add == []
    # once confirmed (a day later) the same row is new, although signed up before
    confirmed = Signup(
        "p@example.com",
        1,
        signup_at=t0,
        id=1,
        confirm_at=t0 + timedelta(days=1),
        signup_ip="203.0.113.7",
        confirm_ip="198.51.100.9",
    )
    assert plan.checkpoint.is_new(confirmed)
    later = reconcile([], MailjetView(signups=(confirmed,)), plan.checkpoint)
    (dora,) = later.new_participants
    assert (dora.email, dora.signup_ip, dora.confirm_ip) == (
        "p@example.com",
        "203.0.113.7",
        "198.51.100.9",
    )
    assert dora.confirmed_at == t0 + timedelta(days=1)


def test_sandbox_models_pending_signups_and_gdpr_delete(sandbox, mj, list_id):
    sandbox.signup(list_id, "p@example.com", Confirmed=False, SignupIp="203.0.113.7")
    (row,) = mj.contactslistsignup.get(filters={"ContactsList": list_id}).json()["Data"]
    assert (row["ConfirmAt"], row["ConfirmIp"], row["SignupIp"]) == (0, "", "203.0.113.7")
    contact = mj.contact.get(id="p@example.com").json()["Data"][0]
    assert contact["IsOptInPending"] is True
    count = {"ContactsList": list_id, "countOnly": 1}
    assert mj.listrecipient.get(filters=count).json()["Count"] == 0
    sandbox.confirm(list_id, "p@example.com", "198.51.100.9")
    assert mj.listrecipient.get(filters=count).json()["Count"] == 1
    assert mj.contact.get(id=contact["ID"]).json()["Data"][0]["IsOptInPending"] is False

    url = f"{sandbox.url.rstrip('/')}/v4/contacts/{contact['ID']}"
    assert mj.api_call("DELETE", url).status_code == 200
    erased = mj.contact.get(id=contact["ID"]).json()["Data"][0]
    assert erased["Name"] == "Anonymized" and erased["Email"].endswith("@domain.invalid")
    with pytest.raises(DoesNotExistError):
        mj.api_call("DELETE", url)
    assert mj.listrecipient.get(filters=count).json()["Count"] == 1  # still a member
    sandbox.advance_clock(31 * DAY)
    assert mj.listrecipient.get(filters=count).json()["Count"] == 0
    with pytest.raises(DoesNotExistError):
        mj.contact.get(id=contact["ID"])
