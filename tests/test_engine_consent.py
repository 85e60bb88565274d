"""Double opt-in signups, proof of consent and erasure in Mailjet, against the sandbox."""

from conftest import make_gateway  # noqa: F401  (fixtures come from conftest)
from doubles import InMemoryParticipants

from ems_mailjet.services.records import ACCEPTED, DECLINED, is_erased_contact
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
