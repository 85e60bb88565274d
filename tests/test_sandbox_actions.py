"""mailjet_sandbox: the four subscription actions, sync endpoints and bulk jobs."""

import json
import time
import uuid

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mailjet_rest import Client, DoesNotExistError, ValidationError

from mailjet_sandbox.store import GDPR_PURGE_SECONDS, Store


def new_list(mj, name=None):
    name = name or f"list-{uuid.uuid4().hex[:8]}"
    return mj.contactslist.create(data={"Name": name}).json()["Data"][0]["ID"]


def manage(mj, list_id, email, action, **extra):
    return mj.contactslist_managecontact.create(
        id=list_id, data={"Email": email, "Action": action, **extra}
    ).json()["Data"][0]


def bulk(mj, list_id, action, contacts):
    resp = mj.contactslist_managemanycontacts.create(
        id=list_id, data={"Action": action, "Contacts": contacts}
    )
    assert resp.status_code == 201
    envelope = resp.json()
    assert envelope["Count"] == envelope["Total"] == 1 and set(envelope["Data"][0]) == {"JobID"}
    return envelope["Data"][0]["JobID"]


def wait(get_job, limit=10):
    """Poll until a terminal status; returns (statuses seen, final record)."""
    seen = []
    for _ in range(limit):
        rec = get_job().json()["Data"][0]
        seen.append(rec["Status"])
        if rec["Status"] in ("Completed", "Error"):
            return seen, rec
    raise AssertionError(f"job never finished: {seen}")


def membership(mj, list_id, email):
    """None if absent, else the listrecipient row."""
    rows = mj.listrecipient.get(filters={"ContactsList": list_id, "ContactEmail": email}).json()
    assert rows["Count"] <= 1
    return rows["Data"][0] if rows["Data"] else None


# ------------------------------------------------------------------ the four actions
def test_addforce_creates_contact_and_resubscribes(sandbox, mj):
    list_id = new_list(mj)
    manage(mj, list_id, "f@example.com", "addforce", Name="Force")
    assert mj.contact.get(id="f@example.com").json()["Data"][0]["Name"] == "Force"
    sandbox.unsubscribe(list_id, "f@example.com")
    assert membership(mj, list_id, "f@example.com")["IsUnsubscribed"] is True
    manage(mj, list_id, "f@example.com", "addforce")
    row = membership(mj, list_id, "f@example.com")
    assert row["IsUnsubscribed"] is False and row["UnsubscribedAt"] == ""


def test_addnoforce_adds_new_members_but_keeps_unsubscribed_ones(sandbox, mj):
    list_id = new_list(mj)
    manage(mj, list_id, "new@example.com", "addnoforce")
    assert membership(mj, list_id, "new@example.com")["IsUnsubscribed"] is False
    sandbox.unsubscribe(list_id, "new@example.com")
    before = membership(mj, list_id, "new@example.com")
    manage(mj, list_id, "new@example.com", "addnoforce")
    job = bulk(mj, list_id, "addnoforce", [{"Email": "new@example.com"}])
    wait(lambda: mj.contactslist_managemanycontacts.get(id=list_id, action_id=job))
    after = membership(mj, list_id, "new@example.com")
    assert after == before  # still unsubscribed, same row, same timestamps


def test_remove_deletes_the_row_and_unsub_marks_it(mj):
    list_id = new_list(mj)
    manage(mj, list_id, "r@example.com", "addforce")
    manage(mj, list_id, "u@example.com", "addforce")
    manage(mj, list_id, "r@example.com", "remove")
    assert membership(mj, list_id, "r@example.com") is None
    assert mj.contact.get(id="r@example.com").json()["Count"] == 1  # contact itself stays
    manage(mj, list_id, "u@example.com", "unsub")
    row = membership(mj, list_id, "u@example.com")
    assert row["IsUnsubscribed"] is True and row["UnsubscribedAt"] != ""
    manage(mj, list_id, "absent@example.com", "unsub")  # unsub of a non-member adds the row
    assert membership(mj, list_id, "absent@example.com")["IsUnsubscribed"] is True
    manage(mj, list_id, "never@example.com", "remove")  # remove of a non-member is a no-op
    assert membership(mj, list_id, "never@example.com") is None


def test_remove_then_addnoforce_resubscribes_documented_pitfall(sandbox, mj):
    list_id = new_list(mj)
    manage(mj, list_id, "gone@example.com", "addnoforce")
    sandbox.unsubscribe(list_id, "gone@example.com")
    manage(mj, list_id, "gone@example.com", "remove")
    manage(mj, list_id, "gone@example.com", "addnoforce")
    row = membership(mj, list_id, "gone@example.com")
    assert row["IsUnsubscribed"] is False  # the unsubscribe was forgotten with the row


ACTIONS = ("addforce", "addnoforce", "remove", "unsub")
MODEL = {  # state after action, given state before: None (absent), "sub", "unsub"
    "addforce": lambda s: "sub",
    "addnoforce": lambda s: s or "sub",
    "remove": lambda s: None,
    "unsub": lambda s: "unsub",
}


def _apply(mj, how, list_id, email, action):
    if how == "managecontact":
        manage(mj, list_id, email, action)
    elif how == "managecontactslists":
        mj.contact_managecontactslists.create(
            id=email, data={"ContactsLists": [{"ListID": list_id, "Action": action}]}
        )
    elif how == "listjob":
        job = bulk(mj, list_id, action, [{"Email": email}])
        wait(lambda: mj.contactslist_managemanycontacts.get(id=list_id, action_id=job))
    else:
        job = mj.contact_managemanycontacts.create(
            data={
                "ContactsLists": [{"ListID": list_id, "Action": action}],
                "Contacts": [{"Email": email}],
            }
        ).json()["Data"][0]["JobID"]
        wait(lambda: mj.contact_managemanycontacts.get(action_id=job))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    steps=st.lists(
        st.tuples(
            st.sampled_from(ACTIONS),
            st.sampled_from(("managecontact", "managecontactslists", "listjob", "contactjob")),
        ),
        min_size=1,
        max_size=6,
    )
)
def test_every_endpoint_follows_the_subscription_state_machine(sandbox_server, steps):
    sb = sandbox_server
    sb.reset()  # session fixture: start each example clean (no leftover faults)
    with Client(auth=(sb.api_key, sb.api_secret), api_url=sb.url, timeout=5) as mj:
        list_id = new_list(mj)
        email = f"sm-{uuid.uuid4().hex[:10]}@example.com"
        mj.contact.create(data={"Email": email})
        state = None
        for action, how in steps:
            _apply(mj, how, list_id, email, action)
            state = MODEL[action](state)
            row = membership(mj, list_id, email)
            got = None if row is None else ("unsub" if row["IsUnsubscribed"] else "sub")
            assert got == state, (action, how)
            lists = mj.contact_getcontactslists.get(id=email).json()["Data"]
            mine = [r for r in lists if r["ListID"] == list_id]
            assert [r["IsUnsub"] for r in mine] == ([] if state is None else [state == "unsub"])


# ------------------------------------------------------------------ synchronous endpoints
def test_getcontactslists_reports_isunsub(sandbox, mj):
    a, b = new_list(mj, "GA"), new_list(mj, "GB")
    manage(mj, a, "g@example.com", "addforce")
    manage(mj, b, "g@example.com", "addforce")
    sandbox.unsubscribe(b, "g@example.com")
    rows = mj.contact_getcontactslists.get(id="g@example.com").json()["Data"]
    assert sorted((r["ListID"], r["IsUnsub"]) for r in rows) == [(a, False), (b, True)]
    assert all(set(r) == {"IsActive", "IsUnsub", "ListID", "SubscribedAt"} for r in rows)
    with pytest.raises(DoesNotExistError):
        mj.contact_getcontactslists.get(id="nobody@example.com")


def test_managecontactslists_applies_and_validates(mj):
    a, b = new_list(mj, "MA"), new_list(mj, "MB")
    mj.contact.create(data={"Email": "multi@example.com"})
    resp = mj.contact_managecontactslists.create(
        id="multi@example.com",
        data={
            "ContactsLists": [
                {"ListID": a, "Action": "addnoforce"},
                {"ListID": b, "Action": "unsub"},
            ]
        },
    )
    assert resp.status_code == 201
    assert resp.json()["Data"][0]["ContactsLists"] == [
        {"Action": "addnoforce", "ListID": a},
        {"Action": "unsub", "ListID": b},
    ]
    assert membership(mj, b, "multi@example.com")["IsUnsubscribed"] is True
    with pytest.raises(ValidationError) as err:
        mj.contact_managecontactslists.create(
            id="multi@example.com",
            data={
                "ContactsLists": [
                    {"ListID": 999999999, "Action": "addnoforce"},
                    {"ListID": a, "Action": "bogus"},
                ]
            },
        )
    errors = json.loads(err.value.response_body)["ErrorMessage"]["ContactsLists"]
    assert [e["Error"] for e in errors] == [
        "listID missing or not valid",
        "action missing or not valid",
    ]
    with pytest.raises(DoesNotExistError):
        mj.contact_managecontactslists.create(
            id="ghost@example.com", data={"ContactsLists": [{"ListID": a, "Action": "addforce"}]}
        )


def test_managecontact_upserts_and_requires_defined_properties(mj):
    list_id = new_list(mj)
    with pytest.raises(ValidationError) as err:
        manage(mj, list_id, "p@example.com", "addnoforce", Properties={"city": "Berlin"})
    payload = json.loads(err.value.response_body)
    assert payload["ErrorMessage"] == "Object properties invalid"
    assert payload["ErrorInfo"] == {"Properties": [{"city": "Property not defined"}]}
    assert membership(mj, list_id, "p@example.com") is None  # nothing applied
    mj.contactmetadata.create(data={"Datatype": "str", "Name": "city", "NameSpace": "static"})
    done = manage(
        mj, list_id, "p@example.com", "addnoforce", Name="Pat", Properties={"city": "Berlin"}
    )
    assert done["Properties"] == {"city": "Berlin"} and done["Name"] == "Pat"
    data = mj.contactdata.get(id=done["ContactID"]).json()["Data"][0]["Data"]
    assert data == [{"Name": "city", "Value": "Berlin"}]
    with pytest.raises(ValidationError):
        manage(mj, list_id, "p@example.com", "subscribe")  # not an action


# ------------------------------------------------------------------ bulk jobs
def test_list_job_lifecycle_default_one_poll_importing(mj):
    list_id = new_list(mj)
    job = bulk(mj, list_id, "addnoforce", [{"Email": f"b{i}@example.com"} for i in range(3)])
    first = mj.contactslist_managemanycontacts.get(id=list_id, action_id=job).json()["Data"][0]
    assert first["Status"] == "Importing" and first["JobEnd"] == ""
    assert set(first) == {
        "Status",
        "JobStart",
        "JobEnd",
        "Count",
        "Error",
        "ErrorFile",
        "ContactsLists",
    }
    assert first["ContactsLists"] == [{"Action": "addnoforce", "ListID": list_id}]
    second = mj.contactslist_managemanycontacts.get(id=list_id, action_id=job).json()["Data"][0]
    assert second["Status"] == "Completed" and second["Count"] == 3
    assert second["Error"] == "" and second["ErrorFile"] == "" and second["JobEnd"] != ""
    assert (
        mj.listrecipient.get(filters={"ContactsList": list_id, "countOnly": 1}).json()["Count"] == 3
    )


def test_bulk_deduplicates_and_overwrites_name_and_properties(mj):
    list_id = new_list(mj)
    mj.contactmetadata.create(data={"Datatype": "int", "Name": "age", "NameSpace": "static"})
    manage(mj, list_id, "same@example.com", "addforce", Name="Old", Properties={"age": 30})
    job = bulk(
        mj,
        list_id,
        "addnoforce",
        [
            {"Email": "same@example.com", "Name": "First"},
            {"Email": "SAME@example.com", "Name": "Second", "Properties": {"age": 41}},
        ],
    )
    _, rec = wait(lambda: mj.contactslist_managemanycontacts.get(id=list_id, action_id=job))
    assert rec["Count"] == 1
    contact = mj.contact.get(id="same@example.com").json()["Data"][0]
    assert contact["Name"] == "Second"
    data = mj.contactdata.get(id=contact["ID"]).json()["Data"][0]["Data"]
    assert data == [{"Name": "age", "Value": "41"}]
    assert mj.listrecipient.get(filters={"ContactsList": list_id}).json()["Count"] == 1


@pytest.mark.parametrize("status", ["Error", "Completed"])
def test_invalid_addresses_are_per_contact_errors_the_rest_is_applied(sandbox, mj, status):
    sandbox.config(partial_error_status=status, error_file_shape="list")
    list_id = new_list(mj)
    job = bulk(
        mj,
        list_id,
        "addforce",
        [
            {"Email": "good@example.com"},
            {"Email": "no-at-sign"},
            {"Email": "two@@example.com"},
            {"Email": "fine@example.org", "Properties": {"undefined_prop": "x"}},
        ],
    )
    _, rec = wait(lambda: mj.contactslist_managemanycontacts.get(id=list_id, action_id=job))
    assert rec["Status"] == status and rec["Count"] == 1
    assert rec["Error"]
    assert rec["ErrorFile"] == f"DATA/batchjob/{job}/JSONError/application:json/LAST"
    errors = mj.api_call("GET", f"{sandbox.url}v3/{rec['ErrorFile']}").json()
    assert sorted(e["Email"] for e in errors) == [
        "fine@example.org",
        "no-at-sign",
        "two@@example.com",
    ]
    assert all(set(e) == {"Email", "Error"} and e["Error"] for e in errors)
    assert membership(mj, list_id, "good@example.com") is not None
    assert membership(mj, list_id, "fine@example.org") is None


@pytest.mark.parametrize("status", ["Error", "Completed"])
def test_contact_errors_fault_rejects_the_named_addresses(sandbox, mj, status):
    sandbox.config(partial_error_status=status, error_file_shape="list")
    list_id = new_list(mj)
    sandbox.fault(kind="contact_errors", emails=["Reject@example.com"])
    job = bulk(
        mj, list_id, "addforce", [{"Email": "reject@example.com"}, {"Email": "accept@example.com"}]
    )
    _, rec = wait(lambda: mj.contactslist_managemanycontacts.get(id=list_id, action_id=job))
    assert rec["Status"] == status and rec["Count"] == 1
    errors = mj.api_call("GET", f"{sandbox.url}v3/{rec['ErrorFile']}").json()
    assert [e["Email"] for e in errors] == ["reject@example.com"]
    assert membership(mj, list_id, "reject@example.com") is None
    assert membership(mj, list_id, "accept@example.com") is not None


def test_job_error_fault_fails_the_whole_job_and_applies_nothing(sandbox, mj):
    list_id = new_list(mj)
    sandbox.fault(kind="job_error")
    job = bulk(mj, list_id, "addforce", [{"Email": "x1@example.com"}, {"Email": "x2@example.com"}])
    seen, rec = wait(lambda: mj.contactslist_managemanycontacts.get(id=list_id, action_id=job))
    assert seen == ["Importing", "Error"]
    assert rec["Error"] and rec["Count"] == 0
    assert mj.listrecipient.get(filters={"ContactsList": list_id}).json()["Count"] == 0
    with pytest.raises(DoesNotExistError):
        mj.contact.get(id="x1@example.com")
    job2 = bulk(mj, list_id, "addforce", [{"Email": "x1@example.com"}])  # fault was used up
    _, rec2 = wait(lambda: mj.contactslist_managemanycontacts.get(id=list_id, action_id=job2))
    assert rec2["Status"] == "Completed"


def test_contact_managemanycontacts_many_lists_and_exclusion(mj):
    a, b = new_list(mj, "CA"), new_list(mj, "CB")
    resp = mj.contact_managemanycontacts.create(
        data={
            "ContactsLists": [
                {"ListID": a, "Action": "addforce"},
                {"ListID": b, "Action": "unsub"},
            ],
            "Contacts": [
                {"Email": "cm@example.com", "Name": "CM", "IsExcludedFromCampaigns": True}
            ],
        }
    )
    assert resp.status_code == 201
    job = resp.json()["Data"][0]["JobID"]
    seen, rec = wait(lambda: mj.contact_managemanycontacts.get(action_id=job))
    assert seen == ["Importing", "Completed"] and rec["Count"] == 1
    assert membership(mj, a, "cm@example.com")["IsUnsubscribed"] is False
    assert membership(mj, b, "cm@example.com")["IsUnsubscribed"] is True
    assert mj.contact.get(id="cm@example.com").json()["Data"][0]["IsExcludedFromCampaigns"] is True
    only_contacts = mj.contact_managemanycontacts.create(
        data={"Contacts": [{"Email": "global@example.com"}]}
    ).json()["Data"][0]["JobID"]
    wait(lambda: mj.contact_managemanycontacts.get(action_id=only_contacts))
    assert mj.contact_getcontactslists.get(id="global@example.com").json()["Data"] == []


def test_wrong_poll_urls_are_404(sandbox, mj):
    list_id, other = new_list(mj), new_list(mj)
    list_job = bulk(mj, list_id, "addforce", [{"Email": "w@example.com"}])
    contact_job = mj.contact_managemanycontacts.create(
        data={"Contacts": [{"Email": "w2@example.com"}]}
    ).json()["Data"][0]["JobID"]
    base = f"{sandbox.url}v3/REST"
    with pytest.raises(DoesNotExistError):  # the order once shown in Mailjet's reference
        mj.api_call("GET", f"{base}/contact/{contact_job}/managemanycontacts")
    with pytest.raises(DoesNotExistError):  # a list job is not a contact job
        mj.contact_managemanycontacts.get(action_id=list_job)
    with pytest.raises(DoesNotExistError):  # nor a job of another list
        mj.contactslist_managemanycontacts.get(id=other, action_id=list_job)
    assert mj.contact_managemanycontacts.get(action_id=contact_job).status_code == 200
    assert mj.contactslist_managemanycontacts.get(id=list_id, action_id=list_job).status_code == 200


def test_bulk_payload_validation_is_synchronous(mj):
    list_id = new_list(mj)
    with pytest.raises(ValidationError):
        mj.contactslist_managemanycontacts.create(
            id=list_id, data={"Action": "subscribe", "Contacts": [{"Email": "a@example.com"}]}
        )
    with pytest.raises(ValidationError):
        mj.contactslist_managemanycontacts.create(id=list_id, data={"Action": "addforce"})
    with pytest.raises(ValidationError) as err:
        mj.contactslist_managemanycontacts.create(
            id=list_id, data={"Action": "addforce", "Contacts": [{"Mail": "a@example.com"}]}
        )
    assert 'has no property "Mail"' in json.loads(err.value.response_body)["ErrorMessage"]


def test_5000_contact_job_is_fast_and_pages_stay_consistent(mj):
    list_id = new_list(mj)
    contacts = [{"Email": f"perf{i}@example.com", "Name": f"P {i}"} for i in range(5000)]
    start = time.perf_counter()
    job = bulk(mj, list_id, "addnoforce", contacts)
    elapsed = time.perf_counter() - start
    assert elapsed < 1.0, elapsed
    wait(lambda: mj.contactslist_managemanycontacts.get(id=list_id, action_id=job))
    seen = [r["ContactID"] for r in mj.listrecipient.stream(filters={"ContactsList": list_id})]
    assert len(seen) == len(set(seen)) == 5000


def test_an_erased_contact_is_purged_30_days_later_also_after_a_restart():
    """The sandbox purges a GDPR-deleted contact 30 days after the delete, whether it
    was erased in this process or loaded from a saved state, and not a day earlier."""
    store = Store()
    kept, erased = store.create_contact("kept@example.com"), store.create_contact("x@example.com")
    store.gdpr_delete(erased)
    store.clock_offset = GDPR_PURGE_SECONDS - 60
    store.purge_erased()
    assert erased["ID"] in store.contacts
    reloaded = Store()
    reloaded.load(store.dump())
    for each in (store, reloaded):
        each.clock_offset = GDPR_PURGE_SECONDS + 60
        each.purge_erased()
        assert set(each.contacts) == {kept["ID"]}
