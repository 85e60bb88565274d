"""mailjet_sandbox, driven through the official mailjet-rest client: auth, envelope,
paging, sorting, filters, contacts, lists, listrecipient, error shapes."""

import json
import re

import pytest
from conftest import new_list
from mailjet_rest import (
    ApiError,
    Client,
    DoesNotExistError,
    MailjetApiError,
    MailjetAuthError,
    ValidationError,
)

RFC3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


def add(mj, list_id, emails, action="addnoforce"):
    """Members via the synchronous managecontact action."""
    for email in emails:
        mj.contactslist_managecontact.create(id=list_id, data={"Email": email, "Action": action})


def body(exc):
    return json.loads(exc.response_body)


# ------------------------------------------------------------------ auth
def test_wrong_secret_is_rejected_with_401(sandbox, mj):
    mj.contactslist.get()  # the right credentials work
    with Client(auth=(sandbox.api_key, "wrong-secret"), api_url=sandbox.url, timeout=5) as bad:
        with pytest.raises(MailjetAuthError) as err:
            bad.contactslist.get()
    assert err.value.status_code == 401
    payload = body(err.value)
    assert payload["StatusCode"] == 401
    assert "API key authentication/authorization failure" in payload["ErrorMessage"]
    assert re.fullmatch(r"[0-9a-f-]{36}", payload["ErrorIdentifier"])


def test_wrong_key_is_rejected_even_for_unknown_resources(sandbox):
    with Client(auth=("other-key", sandbox.api_secret), api_url=sandbox.url, timeout=5) as bad:
        with pytest.raises(MailjetAuthError):
            bad.api_call("GET", f"{sandbox.url}v3/REST/nosuchthing")


# ------------------------------------------------------------------ envelope and paging
def test_envelope_counts_describe_the_page_and_countonly_the_collection(mj):
    for i in range(15):
        new_list(mj, f"List {i:02d}")
    first = mj.contactslist.get().json()
    assert (first["Count"], first["Total"], len(first["Data"])) == (10, 10, 10)
    second = mj.contactslist.get(filters={"Offset": 10}).json()
    assert (second["Count"], second["Total"], len(second["Data"])) == (5, 5, 5)
    ids = [r["ID"] for r in first["Data"] + second["Data"]]
    assert ids == sorted(ids) and len(set(ids)) == 15
    counted = mj.contactslist.get(filters={"countOnly": 1}).json()
    assert counted == {"Count": 15, "Data": [], "Total": 15}


def test_limit_is_capped_at_1000_and_zero_means_1000(mj):
    list_id = new_list(mj, "Big")
    contacts = [{"Email": f"p{i}@example.com"} for i in range(1203)]
    job = mj.contactslist_managemanycontacts.create(
        id=list_id, data={"Action": "addforce", "Contacts": contacts}
    ).json()["Data"][0]["JobID"]
    assert job
    base = {"ContactsList": list_id}
    assert len(mj.listrecipient.get(filters={**base, "Limit": 0}).json()["Data"]) == 1000
    assert len(mj.listrecipient.get(filters={**base, "Limit": 5000}).json()["Data"]) == 1000
    assert len(mj.listrecipient.get(filters={**base, "Limit": 7}).json()["Data"]) == 7
    tail = mj.listrecipient.get(filters={**base, "Limit": 1000, "Offset": 1000}).json()
    assert tail["Count"] == tail["Total"] == 203
    assert mj.listrecipient.get(filters={**base, "countOnly": "true"}).json()["Count"] == 1203
    streamed = list(mj.listrecipient.stream(filters=base, chunk_size=500))
    assert len({r["ID"] for r in streamed}) == 1203


def test_negative_limit_is_a_validation_error(mj):
    with pytest.raises(ValidationError):
        mj.contactslist.get(filters={"Limit": -1})


# ------------------------------------------------------------------ sorting
def test_sort_ascending_and_descending(mj):
    list_id = new_list(mj, "Sorting")
    emails = ["carol@example.com", "alice@example.com", "bob@example.com"]
    for email, name in zip(emails, ["Zed", "Mia", "Abe"], strict=True):
        mj.contactslist_managecontact.create(
            id=list_id, data={"Email": email, "Name": name, "Action": "addforce"}
        )
    ids = [r["ID"] for r in mj.contact.get().json()["Data"]]
    assert ids == sorted(ids)
    desc = [r["ID"] for r in mj.contact.get(filters={"Sort": "ID DESC"}).json()["Data"]]
    assert desc == sorted(ids, reverse=True)
    by_email = [r["Email"] for r in mj.contact.get(filters={"Sort": "Email"}).json()["Data"]]
    assert by_email == sorted(emails)
    by_name = [r["Name"] for r in mj.contact.get(filters={"Sort": "Name DESC"}).json()["Data"]]
    assert by_name == ["Zed", "Mia", "Abe"]
    rows = mj.listrecipient.get(filters={"ContactsList": list_id, "Sort": "ID DESC"}).json()
    assert [r["ID"] for r in rows["Data"]] == sorted((r["ID"] for r in rows["Data"]), reverse=True)


def test_sort_on_timestamps_follows_the_clock(sandbox, mj):
    list_id = new_list(mj, "Timeline")
    add(mj, list_id, ["old@example.com", "new@example.com"])
    sandbox.advance_clock(3600)
    sandbox.unsubscribe(list_id, "new@example.com")
    sandbox.advance_clock(3600)
    sandbox.unsubscribe(list_id, "old@example.com")
    rows = mj.listrecipient.get(
        filters={"ContactsList": list_id, "Sort": "UnsubscribedAt DESC"}
    ).json()["Data"]
    assert [r["UnsubscribedAt"] for r in rows] == sorted(
        (r["UnsubscribedAt"] for r in rows), reverse=True
    )
    assert rows[0]["UnsubscribedAt"] > rows[1]["UnsubscribedAt"] > rows[0]["SubscribedAt"]


def test_sort_on_an_unsupported_property_is_rejected(mj):
    with pytest.raises(ValidationError):
        mj.contact.get(filters={"Sort": "Nonsense"})
    with pytest.raises(ValidationError):
        mj.contact.get(filters={"Sort": "ID SIDEWAYS"})


# ------------------------------------------------------------------ filters
def test_filter_names_are_case_insensitive_and_booleans_lenient(mj):
    list_id = new_list(mj, "Case")
    other = new_list(mj, "Other")
    add(mj, list_id, ["a@example.com", "b@example.com", "c@example.com"])
    add(mj, other, ["z@example.com"])
    mj.contactslist_managecontact.create(
        id=list_id, data={"Email": "b@example.com", "Action": "unsub"}
    )
    for name in ("ContactsList", "contactslist", "CONTACTSLIST"):
        assert mj.listrecipient.get(filters={name: list_id}).json()["Count"] == 3
    for true in ("true", "True", "1", True):
        rows = mj.listrecipient.get(filters={"contactslist": list_id, "unsub": true}).json()
        assert rows["Count"] == 1, true
    for false in ("false", "False", "0", False):
        rows = mj.listrecipient.get(filters={"ContactsList": list_id, "Unsub": false}).json()
        assert rows["Count"] == 2, false
    assert mj.listrecipient.get(filters={"limit": 2, "CountOnly": 1}).json()["Count"] == 4
    with pytest.raises(ValidationError):
        mj.listrecipient.get(filters={"Unsub": "maybe"})


def test_unknown_filters_are_ignored_like_mailjet_and_logged(sandbox, mj):
    first, second = new_list(mj, "One"), new_list(mj, "Two")
    add(mj, first, ["x@example.com"])
    add(mj, second, ["y@example.com"])
    rows = mj.listrecipient.get(filters={"ContactList": first}).json()  # typo: no "s"
    assert rows["Count"] == 2  # the typo filtered nothing
    last = sandbox.calls()["calls"][-1]
    assert last["ignored_params"] == ["ContactList"]


def test_listrecipient_filters(mj):
    list_a, list_b = new_list(mj, "A"), new_list(mj, "B")
    add(mj, list_a, ["m@example.com", "n@example.com"])
    add(mj, list_b, ["m@example.com"])
    m_id = mj.contact.get(id="m@example.com").json()["Data"][0]["ID"]
    by_email = mj.listrecipient.get(filters={"ContactEmail": "M@example.com"}).json()["Data"]
    assert sorted(r["ListID"] for r in by_email) == sorted([list_a, list_b])
    by_contact = mj.listrecipient.get(filters={"Contact": m_id, "ContactsList": list_b}).json()
    assert [(r["ContactID"], r["ListID"]) for r in by_contact["Data"]] == [(m_id, list_b)]
    one = mj.listrecipient.get(
        filters={"ContactEmail": "m@example.com", "ContactsList": list_a}
    ).json()
    assert one["Count"] == 1 and one["Data"][0]["ListName"] == "A"
    assert mj.listrecipient.get(filters={"ContactEmail": "nobody@example.com"}).json()["Count"] == 0


def test_listrecipient_rows_look_like_mailjet(sandbox, mj):
    list_id = new_list(mj, "Shape")
    add(mj, list_id, ["shape@example.com"])
    row = mj.listrecipient.get(filters={"ContactsList": list_id}).json()["Data"][0]
    assert set(row) == {
        "ID",
        "ContactID",
        "ListID",
        "ListName",
        "IsActive",
        "IsUnsubscribed",
        "SubscribedAt",
        "UnsubscribedAt",
    }
    assert row["IsActive"] is True and row["IsUnsubscribed"] is False
    assert isinstance(row["ID"], int) and isinstance(row["ContactID"], int)
    assert RFC3339.match(row["SubscribedAt"]) and row["UnsubscribedAt"] == ""
    sandbox.unsubscribe(list_id, "shape@example.com")
    row = mj.listrecipient.get(id=row["ID"]).json()["Data"][0]
    assert row["IsUnsubscribed"] is True and RFC3339.match(row["UnsubscribedAt"])


# ------------------------------------------------------------------ contacts
def test_contact_by_email_with_dots_and_plus(sandbox, mj):
    email = "first.last+tag@mail.example.com"
    created = mj.contact.create(data={"Email": email, "Name": "F L"})
    assert created.status_code == 201
    contact = created.json()["Data"][0]
    got = mj.contact.get(id=email).json()
    assert got["Count"] == 1 and got["Data"][0]["ID"] == contact["ID"]
    assert mj.contact.get(id=contact["ID"]).json()["Data"][0]["Email"] == email
    path = sandbox.calls()["calls"][-2]["path"]
    assert "%2B" in path and "%40" in path  # sent percent-encoded, decoded by the sandbox
    assert contact["UnsubscribedAt"] == "" and contact["IsExcludedFromCampaigns"] is False
    assert RFC3339.match(contact["CreatedAt"])
    with pytest.raises(DoesNotExistError) as err:
        mj.contact.get(id="first.last@mail.example.com")
    assert body(err.value) == {
        "ErrorInfo": "",
        "ErrorMessage": "Object not found",
        "StatusCode": 404,
    }


def test_duplicate_contact_is_mj18(mj):
    mj.contact.create(data={"Email": "dup@example.com"})
    with pytest.raises(ValidationError) as err:
        mj.contact.create(data={"Email": "dup@example.com"})
    assert err.value.status_code == 400
    assert body(err.value) == {
        "ErrorInfo": "",
        "ErrorMessage": 'MJ18 A Contact resource with value "dup@example.com" for Email '
        "already exists.",
        "StatusCode": 400,
    }


def test_contact_create_validation(mj):
    with pytest.raises(ValidationError) as err:
        mj.contact.create(data={"Email": "not-an-address"})
    assert "Email" in body(err.value)["ErrorMessage"]
    with pytest.raises(ValidationError) as err:
        mj.contact.create(data={"Email": "ok@example.com", "Contacts": []})
    assert (
        body(err.value)["ErrorMessage"]
        == 'Invalid json input: object ""->"TContact" has no property "Contacts"'
    )
    with pytest.raises(ValidationError) as err:
        mj.contact.create(data={"Email": "ok@example.com", "LastActivityAt": "2020-01-01"})
    assert body(err.value)["ErrorMessage"].startswith("MJ19 ")


def test_put_that_changes_nothing_is_304_without_body(mj):
    mj.contact.create(data={"Email": "same@example.com", "Name": "Same"})
    unchanged = mj.contact.update(id="same@example.com", data={"Name": "Same"})
    assert unchanged.status_code == 304 and unchanged.content == b""
    changed = mj.contact.update(id="same@example.com", data={"Name": "Other"})
    assert changed.status_code == 200 and changed.json()["Data"][0]["Name"] == "Other"
    list_id = new_list(mj, "Named")
    assert mj.contactslist.update(id=list_id, data={"Name": "Named"}).status_code == 304
    assert mj.contactslist.update(id=list_id, data={"Name": "Renamed"}).status_code == 200


def test_exclusion_flag_via_put_and_filter(mj):
    mj.contact.create(data={"Email": "in@example.com"})
    mj.contact.create(data={"Email": "out@example.com"})
    resp = mj.contact.update(id="out@example.com", data={"IsExcludedFromCampaigns": True})
    assert resp.json()["Data"][0]["IsExcludedFromCampaigns"] is True
    assert RFC3339.match(resp.json()["Data"][0]["ExclusionFromCampaignsUpdatedAt"])
    excluded = mj.contact.get(filters={"IsExcludedFromCampaigns": "true"}).json()["Data"]
    assert [c["Email"] for c in excluded] == ["out@example.com"]


def test_contact_filter_by_list(mj):
    list_id = new_list(mj, "Members")
    add(mj, list_id, ["member@example.com"])
    mj.contact.create(data={"Email": "outsider@example.com"})
    members = mj.contact.get(filters={"ContactsList": list_id}).json()["Data"]
    assert [c["Email"] for c in members] == ["member@example.com"]


# ------------------------------------------------------------------ lists
def test_contactslist_fields_and_lookup_by_address(mj):
    created = mj.contactslist.create(data={"Name": "Newsletter"})
    assert created.status_code == 201
    rec = created.json()["Data"][0]
    assert set(rec) == {"ID", "Name", "Address", "CreatedAt", "IsDeleted", "SubscriberCount"}
    assert rec["IsDeleted"] is False and rec["SubscriberCount"] == 0
    assert RFC3339.match(rec["CreatedAt"])
    assert mj.contactslist.get(id=rec["Address"]).json()["Data"][0]["ID"] == rec["ID"]
    add(mj, rec["ID"], ["s1@example.com", "s2@example.com"])
    mj.contactslist_managecontact.create(
        id=rec["ID"], data={"Email": "s2@example.com", "Action": "unsub"}
    )
    # Mailjet's SubscriberCount includes unsubscribed (and excluded) members.
    assert mj.contactslist.get(id=rec["ID"]).json()["Data"][0]["SubscriberCount"] == 2
    named = mj.contactslist.get(filters={"Name": "newsletter"}).json()["Data"]
    assert [r["ID"] for r in named] == [rec["ID"]]


def test_duplicate_list_name_is_rejected(mj):
    new_list(mj, "Events")
    with pytest.raises(ValidationError) as err:
        new_list(mj, "Events")
    assert "already exists" in body(err.value)["ErrorMessage"]


def test_hard_deleted_list_is_gone(sandbox, mj):
    sandbox.config(list_delete="hard")
    list_id = new_list(mj, "Doomed")
    add(mj, list_id, ["d@example.com"])
    resp = mj.contactslist.delete(id=list_id)
    assert resp.status_code == 204 and resp.content == b""
    with pytest.raises(DoesNotExistError):
        mj.contactslist.get(id=list_id)
    assert mj.listrecipient.get(filters={"ContactsList": list_id}).json()["Count"] == 0
    assert mj.contact_getcontactslists.get(id="d@example.com").json()["Data"] == []
    with pytest.raises(DoesNotExistError):
        mj.contactslist_managemanycontacts.create(
            id=list_id, data={"Action": "addnoforce", "Contacts": [{"Email": "d@example.com"}]}
        )


# ------------------------------------------------------------------ routing errors
def test_unknown_resource_is_400(sandbox, mj):
    with pytest.raises(ValidationError) as err:
        mj.api_call("GET", f"{sandbox.url}v3/REST/contacts")
    assert body(err.value)["ErrorMessage"] == 'Unknown resource: "contacts"'


def test_method_not_allowed_is_405(sandbox, mj):
    mj.contact.create(data={"Email": "keep@example.com"})
    with pytest.raises(ApiError) as err:
        mj.contact.delete(id="keep@example.com")  # no DELETE on contact in v3
    assert not isinstance(err.value, MailjetApiError)  # mailjet-rest: 405 is a generic ApiError
    assert "405" in str(err.value)
    assert sandbox.calls()["calls"][-1]["status"] == 405


def test_v31_contact_resources_do_not_exist(sandbox):
    with Client(
        auth=(sandbox.api_key, sandbox.api_secret), api_url=sandbox.url, version="v3.1", timeout=5
    ) as v31:
        with pytest.raises(DoesNotExistError):
            v31.contactslist.get()
