"""The modelled Mailjet v3 REST resources and their routing.

Paths arrive split into percent-decoded segments after ``/v3/REST/`` (or ``/v3/DATA/``).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from . import bulk, payload, query
from .errors import (
    MailjetError,
    Response,
    bad_request,
    empty,
    envelope,
    method_not_allowed,
    not_found,
)
from .query import Collection, field_keys
from .store import APIKEY_ID, COUNTERS, DATATYPES, EVENT_TYPES, email_error
from .util import parse_bool, rfc3339

# Real Mailjet resources this sandbox does not model: answered 501, not "Unknown resource".
UNMODELLED = frozenset(
    """
aggregategraphstatistics apikey apikeyaccess apikeytotals axtesting batchjob bouncestatistics
campaigndraft campaigngraphstatistics campaignoverview campaignstatistics clickstatistics
contactfilter contacthistorydata contactstatistics csvimport dns domainstatistics
geostatistics graphstatistics listrecipientstatistics liststatistics message messagehistory
messageinformation messagesentstatistics messagestate messagestatistics metasender
myprofile newsletter openinformation openstatistics parseroute preferences sender
senderstatistics statistics template templates toplinkclicked trigger user
useragentstatistics widget widgetcustomvalue
""".split()
)

_UNSET = object()


class Request:
    """One authenticated REST/DATA call."""

    def __init__(
        self,
        app: Any,
        method: str,
        raw_path: str,
        segments: list[str],
        params: dict[str, tuple[str, str]],
        body: bytes,
    ):
        self.app = app
        self.store = app.store
        self.method = method
        self.raw_path = raw_path
        self.segments = segments
        self.params = params
        self.body = body
        self.ignored: list[str] = []
        self._json: Any = _UNSET

    def json(self) -> Any:
        """The parsed JSON body (400 if it is not JSON); ``{}`` when empty."""
        if self._json is _UNSET:
            if not self.body.strip():
                self._json = {}
            else:
                try:
                    self._json = json.loads(self.body)
                except ValueError as exc:
                    raise bad_request(f"Invalid json input: {exc}") from None
        return self._json

    def listing(self, coll: Collection) -> Response:
        """A collection GET with paging, sorting and filters."""
        resp, self.ignored = query.run(self.store, coll, self.params)
        return resp


def dispatch(req: Request, table: dict[str, Callable[[], Response]]) -> Response:
    """Call the handler for the request method, 405 if there is none."""
    handler = table.get(req.method)
    if handler is None:
        raise method_not_allowed()
    return handler()


def unmodelled(what: str) -> MailjetError:
    """501 for real Mailjet features the sandbox does not implement."""
    return MailjetError(501, f'"{what}" is not modelled by mailjet_sandbox')


# ================================================================= renderers
def render_list(_store: Any, rec: dict) -> dict:
    """A contactslist row."""
    return {
        "Address": rec["Address"],
        "CreatedAt": rfc3339(rec["CreatedAt"]),
        "ID": rec["ID"],
        "IsDeleted": rec["IsDeleted"],
        "Name": rec["Name"],
        "SubscriberCount": rec["SubscriberCount"],
    }


_CONTACT_TS = (
    "CreatedAt",
    "ExclusionFromCampaignsUpdatedAt",
    "LastActivityAt",
    "LastUpdateAt",
    "UnsubscribedAt",
)


def render_contact(_store: Any, rec: dict) -> dict:
    """A contact row (timestamps RFC3339 or "")."""
    out = {k: v for k, v in rec.items() if k != "AnonymizedAt"}  # sandbox bookkeeping
    for name in _CONTACT_TS:
        out[name] = rfc3339(rec[name])
    return out


def render_recipient(store: Any, row: dict) -> dict:
    """A listrecipient row: no e-mail, as in real Mailjet."""
    return {
        "ContactID": row["ContactID"],
        "ID": row["ID"],
        "IsActive": row["IsActive"],
        "IsUnsubscribed": row["IsUnsubscribed"],
        "ListID": row["ListID"],
        "ListName": store.lists[row["ListID"]]["Name"],
        "SubscribedAt": rfc3339(row["SubscribedAt"]),
        "UnsubscribedAt": rfc3339(row["UnsubscribedAt"]),
    }


def render_plain(_store: Any, rec: dict) -> dict:
    """Records stored exactly as rendered (signups, callbacks, metadata)."""
    return dict(rec)


def render_campaign(_store: Any, rec: dict) -> dict:
    """A campaign row (without the internal counters)."""
    out = {k: v for k, v in rec.items() if k != "stats"}
    for name in ("CreatedAt", "SendEndAt", "SendStartAt"):
        out[name] = rfc3339(rec[name])
    return out


# ================================================================= selections
def select_lists(store: Any, f: dict) -> list[dict]:
    """contactslist filters: Name, Address, IsDeleted, ExcludeID."""
    return [
        rec
        for rec in store.lists.values()
        if ("Name" not in f or rec["Name"].strip().lower() == f["Name"])
        and ("Address" not in f or rec["Address"] == f["Address"])
        and ("IsDeleted" not in f or rec["IsDeleted"] == f["IsDeleted"])
        and ("ExcludeID" not in f or rec["ID"] != f["ExcludeID"])
    ]


def select_contacts(store: Any, f: dict) -> list[dict]:
    """contact filters: ContactsList (subscribed members only, or every member, as the
    ``contact_list_filter`` reading says), IsExcludedFromCampaigns."""
    if "ContactsList" in f:
        members = store.members.get(f["ContactsList"], {})
        if store.readings["contact_list_filter"] == "subscribed":
            members = {
                cid: rid
                for cid, rid in members.items()
                if store.recipients[rid]["IsActive"] and not store.recipients[rid]["IsUnsubscribed"]
            }
        recs = [store.contacts[c] for c in sorted(members)]
    else:
        recs = list(store.contacts.values())
    if "IsExcludedFromCampaigns" in f:
        recs = [r for r in recs if r["IsExcludedFromCampaigns"] == f["IsExcludedFromCampaigns"]]
    return recs


def _recipient_candidates(store: Any, f: dict) -> list[dict]:
    if "Contact" in f or "ContactEmail" in f:
        cid = f.get("Contact")
        if "ContactEmail" in f:
            rec = store.find_contact(f["ContactEmail"])
            by_email = rec["ID"] if rec else None
            cid = by_email if cid is None or cid == by_email else None
        rids = sorted(store.memberships.get(cid, {}).values()) if cid else []
        return [store.recipients[r] for r in rids]
    if "ContactsList" in f:
        return [store.recipients[r] for r in store.members.get(f["ContactsList"], {}).values()]
    return list(store.recipients.values())


def select_recipients(store: Any, f: dict) -> list[dict]:
    """listrecipient filters: ContactsList, Unsub, Contact, ContactEmail, Active, ListName."""
    rows = _recipient_candidates(store, f)
    if "ContactsList" in f:
        rows = [r for r in rows if r["ListID"] == f["ContactsList"]]
    if "Unsub" in f:
        rows = [r for r in rows if r["IsUnsubscribed"] == f["Unsub"]]
    if "Active" in f:
        rows = [r for r in rows if r["IsActive"] == f["Active"]]
    if "ListName" in f:
        name = f["ListName"]
        rows = [r for r in rows if store.lists[r["ListID"]]["Name"].strip().lower() == name]
    return rows


_SIGNUP_TESTS = {
    "ContactsList": lambda r, v: r["ListID"] == v,
    "Contact": lambda r, v: r["ContactID"] == v,
    "Email": lambda r, v: r["Email"] == v,
    "Source": lambda r, v: r["Source"].lower() == v,
    "SourceId": lambda r, v: r["SourceId"] == v,
    "MinSignupAt": lambda r, v: r["SignupAt"] >= v,
    "MaxSignupAt": lambda r, v: r["SignupAt"] <= v,
    "MinConfirmAt": lambda r, v: r["ConfirmAt"] >= v,
    "MaxConfirmAt": lambda r, v: r["ConfirmAt"] <= v,
}


def select_signups(store: Any, f: dict) -> list[dict]:
    """contactslistsignup filters; Min*/Max* bounds are inclusive."""
    tests = [(_SIGNUP_TESTS[k], v) for k, v in f.items()]
    return [r for r in store.signups.values() if all(t(r, v) for t, v in tests)]


def select_campaigns(store: Any, f: dict) -> list[dict]:
    """campaign filters: ContactsList, NewsLetter, FromTS/ToTS (on SendStartAt), IsDeleted."""
    return [
        c
        for c in store.campaigns.values()
        if ("ContactsList" not in f or c["ListID"] == f["ContactsList"])
        and ("NewsLetter" not in f or c["NewsLetterID"] == f["NewsLetter"])
        and ("FromTS" not in f or c["SendStartAt"] >= f["FromTS"])
        and ("ToTS" not in f or c["SendStartAt"] <= f["ToTS"])
        and ("IsDeleted" not in f or c["IsDeleted"] == f["IsDeleted"])
    ]


def select_callbacks(store: Any, f: dict) -> list[dict]:
    """eventcallbackurl filters: EventType, Backup/IsBackup, Status, Version."""
    backup = f.get("Backup", f.get("IsBackup"))
    return [
        c
        for c in store.callbacks.values()
        if ("EventType" not in f or c["EventType"] == f["EventType"])
        and (backup is None or c["IsBackup"] == backup)
        and ("Status" not in f or c["Status"].lower() == f["Status"])
        and ("Version" not in f or c["Version"] == f["Version"])
    ]


def select_metadata(store: Any, f: dict) -> list[dict]:
    """contactmetadata filters: Datatype, NameSpace."""
    return [
        m
        for m in store.metadata.values()
        if ("Datatype" not in f or m["Datatype"] == f["Datatype"])
        and ("NameSpace" not in f or m["NameSpace"] == f["NameSpace"])
    ]


def _listname_key(store: Any, row: dict) -> str:
    return store.lists[row["ListID"]]["Name"].lower()


CONTACTSLISTS = Collection(
    "contactslist",
    {"Name": "lower", "Address": "lower", "IsDeleted": "bool", "ExcludeID": "int"},
    select_lists,
    render_list,
    field_keys(("ID", "Name", "Address", "CreatedAt", "IsDeleted", "SubscriberCount")),
)
CONTACTS = Collection(
    "contact",
    {"ContactsList": "int", "IsExcludedFromCampaigns": "bool"},
    select_contacts,
    render_contact,
    field_keys(
        (
            "ID",
            "Email",
            "Name",
            "CreatedAt",
            "LastUpdateAt",
            "LastActivityAt",
            "IsExcludedFromCampaigns",
            "ExclusionFromCampaignsUpdatedAt",
            "DeliveredCount",
            "UnsubscribedAt",
        )
    ),
)
RECIPIENTS = Collection(
    "listrecipient",
    {
        "ContactsList": "int",
        "Unsub": "bool",
        "Contact": "int",
        "ContactEmail": "lower",
        "Active": "bool",
        "ListName": "lower",
        "IgnoreDeleted": "bool",
    },
    select_recipients,
    render_recipient,
    {
        **field_keys(
            (
                "ID",
                "ContactID",
                "ListID",
                "IsActive",
                "IsUnsubscribed",
                "SubscribedAt",
                "UnsubscribedAt",
            )
        ),
        "ListName": _listname_key,
    },
)
SIGNUPS = Collection(
    "contactslistsignup",
    {
        "ContactsList": "int",
        "Contact": "int",
        "Email": "lower",
        "MinSignupAt": "ts",
        "MaxSignupAt": "ts",
        "MinConfirmAt": "ts",
        "MaxConfirmAt": "ts",
        "Source": "lower",
        "SourceId": "int",
    },
    select_signups,
    render_plain,
    field_keys(("ID", "ContactID", "ListID", "Email", "SignupAt", "ConfirmAt")),
)
CAMPAIGNS = Collection(
    "campaign",
    {"ContactsList": "int", "NewsLetter": "int", "FromTS": "ts", "ToTS": "ts", "IsDeleted": "bool"},
    select_campaigns,
    render_campaign,
    field_keys(("ID", "CreatedAt", "SendStartAt", "SendEndAt", "Subject", "ListID")),
)
CALLBACKS = Collection(
    "eventcallbackurl",
    {
        "EventType": "lower",
        "Backup": "bool",
        "IsBackup": "bool",
        "Status": "lower",
        "Version": "int",
    },
    select_callbacks,
    render_plain,
    field_keys(("ID", "EventType", "IsBackup", "Status", "Version")),
)
METADATA = Collection(
    "contactmetadata",
    {"Datatype": "lower", "NameSpace": "lower"},
    select_metadata,
    render_plain,
    field_keys(("ID", "Name", "Datatype", "NameSpace")),
)


# ================================================================= contactslist
def _list(req: Request, key: str) -> dict:
    rec = req.store.find_list(key)
    if rec is None:
        raise not_found()
    return rec


def contactslist_create(req: Request) -> Response:
    """POST contactslist ``{"Name"}`` -> 201; duplicate name -> 400 MJ18."""
    body = payload.fields(
        req.json(),
        "TContactsList",
        ("Name", "IsDeleted"),
        ("ID", "Address", "CreatedAt", "SubscriberCount"),
    )
    rec = req.store.create_list(body.get("Name"))
    if body.get("IsDeleted") is not None:
        rec["IsDeleted"] = payload.boolean("IsDeleted", body["IsDeleted"])
    return envelope([render_list(req.store, rec)], status=201)


def contactslist_update(req: Request, key: str) -> Response:
    """PUT contactslist/{id}: Name, IsDeleted; 304 if nothing changes."""
    rec = _list(req, key)
    body = payload.fields(
        req.json(),
        "TContactsList",
        ("Name", "IsDeleted"),
        ("ID", "Address", "CreatedAt", "SubscriberCount"),
    )
    changed = False
    if "Name" in body and body["Name"] != rec["Name"]:
        req.store.rename_list(rec, body["Name"])
        changed = True
    if "IsDeleted" in body:
        flag = payload.boolean("IsDeleted", body["IsDeleted"])
        if flag != rec["IsDeleted"]:
            rec["IsDeleted"] = flag
            req.store.touch()
            changed = True
    return envelope([render_list(req.store, rec)]) if changed else empty(304)


def contactslist_delete(req: Request, key: str) -> Response:
    """DELETE contactslist/{id}, 204 without body. Soft (``list_delete``, the default):
    ``IsDeleted`` is set, rows and name stay, the list is still listed and can be
    reinstated with ``PUT {"IsDeleted": false}``. Hard: the list is gone (then 404)."""
    rec = _list(req, key)
    if req.store.readings["list_delete"] == "hard":
        req.store.delete_list(rec)
    else:
        req.store.soft_delete_list(rec)
    return empty(204)


def managecontact(req: Request, key: str) -> Response:
    """POST contactslist/{id}/managecontact: upsert one contact and apply Action."""
    lst = _list(req, key)
    body = payload.fields(
        req.json(), "TContactsListManageContact", ("Email", "Name", "Action", "Properties")
    )
    problem = email_error(body.get("Email"))
    if problem:
        raise bad_request(f"MJ08 Property Email is invalid: {problem}")
    act = payload.action(body.get("Action"))
    name = body.get("Name")
    if name is not None:
        payload.string("Name", name)
    clean, problems = req.store.check_properties(
        body.get("Properties") or {}, req.app.strict_properties
    )
    if problems:
        raise bad_request("Object properties invalid", {"Properties": problems})
    rec = req.store.upsert_contact(body["Email"], name, None, clean)
    req.store.apply_action(rec["ID"], lst["ID"], act)
    return envelope(
        [
            {
                "Action": act,
                "ContactID": rec["ID"],
                "Email": rec["Email"],
                "Name": rec["Name"],
                "Properties": req.store.properties.get(rec["ID"], {}),
            }
        ],
        status=201,
    )


def contactslist_route(req: Request, segs: list[str]) -> Response:
    """contactslist[/{id|address}[/managecontact|/managemanycontacts[/{JobID}]]]."""
    if not segs:
        return dispatch(
            req,
            {"GET": lambda: req.listing(CONTACTSLISTS), "POST": lambda: contactslist_create(req)},
        )
    key = segs[0]
    if len(segs) == 1:
        return dispatch(
            req,
            {
                "GET": lambda: envelope([render_list(req.store, _list(req, key))]),
                "PUT": lambda: contactslist_update(req, key),
                "DELETE": lambda: contactslist_delete(req, key),
            },
        )
    action = segs[1].lower()
    if action == "managecontact" and len(segs) == 2:
        return dispatch(req, {"POST": lambda: managecontact(req, key)})
    if action == "managemanycontacts" and len(segs) == 2:
        return dispatch(
            req,
            {
                "POST": lambda: bulk.create_list_job(req, _list(req, key)),
                "GET": lambda: bulk.list_jobs(req, "list", _list(req, key)["ID"]),
            },
        )
    if action == "managemanycontacts" and len(segs) == 3:
        return dispatch(
            req,
            {
                "GET": lambda: bulk.poll(
                    req, bulk.find_job(req.store, segs[2], "list", _list(req, key)["ID"])
                )
            },
        )
    if action in ("importlist", "verify") and len(segs) == 2:
        raise unmodelled(f"contactslist/{{id}}/{action}")
    raise not_found()


# ================================================================= contact
def _contact(req: Request, key: str) -> dict:
    rec = req.store.find_contact(key)
    if rec is None:
        raise not_found()
    return rec


_CONTACT_RO = (
    "ID",
    "CreatedAt",
    "DeliveredCount",
    "ExclusionFromCampaignsUpdatedAt",
    "IsOptInPending",
    "IsSpamComplaining",
    "LastActivityAt",
    "LastUpdateAt",
    "UnsubscribedAt",
    "UnsubscribedBy",
)


def contact_create(req: Request) -> Response:
    """POST contact: 201; an existing e-mail -> 400 MJ18."""
    body = payload.fields(
        req.json(), "TContact", ("Email", "Name", "IsExcludedFromCampaigns"), _CONTACT_RO
    )
    problem = email_error(body.get("Email"))
    if problem:
        raise bad_request(f"MJ08 Property Email is invalid: {problem}")
    email = body["Email"].strip()
    if req.store.find_contact(email) is not None:
        raise bad_request(f'MJ18 A Contact resource with value "{email}" for Email already exists.')
    name = payload.string("Name", body["Name"]) if body.get("Name") is not None else ""
    excluded = payload.boolean(
        "IsExcludedFromCampaigns", body.get("IsExcludedFromCampaigns", False)
    )
    rec = req.store.create_contact(email, name, excluded)
    return envelope([render_contact(req.store, rec)], status=201)


def contact_update(req: Request, key: str) -> Response:
    """PUT contact/{id|email}: Name, IsExcludedFromCampaigns; 304 if nothing changes."""
    rec = _contact(req, key)
    body = payload.fields(
        req.json(), "TContact", ("Email", "Name", "IsExcludedFromCampaigns"), _CONTACT_RO
    )
    if "Email" in body and str(body["Email"]).strip().lower() != rec["Email"]:
        raise bad_request('MJ19 Setting a value for property "Email" is not allowed')
    name = payload.string("Name", body["Name"]) if body.get("Name") is not None else None
    excluded = None
    if "IsExcludedFromCampaigns" in body:
        excluded = payload.boolean("IsExcludedFromCampaigns", body["IsExcludedFromCampaigns"])
    if not req.store.update_contact(rec, name, excluded):
        return empty(304)
    return envelope([render_contact(req.store, rec)])


def getcontactslists(req: Request, key: str) -> Response:
    """GET contact/{id|email}/getcontactslists (note ``IsUnsub``)."""
    rec = _contact(req, key)
    rows = []
    for rid in sorted(req.store.memberships.get(rec["ID"], {}).values()):
        row = req.store.recipients[rid]
        rows.append(
            {
                "IsActive": row["IsActive"],
                "IsUnsub": row["IsUnsubscribed"],
                "ListID": row["ListID"],
                "SubscribedAt": rfc3339(row["SubscribedAt"]),
            }
        )
    return envelope(rows)


def managecontactslists(req: Request, key: str) -> Response:
    """POST contact/{id|email}/managecontactslists ``{"ContactsLists": [...]}`` (sync)."""
    rec = _contact(req, key)
    body = payload.fields(req.json(), "TContactManageContactsLists", ("ContactsLists",))
    actions = bulk.parse_list_actions(req.store, body.get("ContactsLists"))
    for lid, act in actions:
        req.store.apply_action(rec["ID"], lid, act)
    echoed = [{"Action": act, "ListID": lid} for lid, act in actions]
    return envelope([{"ContactsLists": echoed}], status=201)


def contact_route(req: Request, segs: list[str]) -> Response:
    """contact[/{id|email}[/getcontactslists|/managecontactslists]], contact/managemanycontacts."""
    if not segs:
        return dispatch(
            req, {"GET": lambda: req.listing(CONTACTS), "POST": lambda: contact_create(req)}
        )
    if segs[0].lower() == "managemanycontacts":
        if len(segs) == 1:
            return dispatch(
                req,
                {
                    "POST": lambda: bulk.create_contact_job(req),
                    "GET": lambda: bulk.list_jobs(req, "contact"),
                },
            )
        if len(segs) == 2:
            return dispatch(
                req, {"GET": lambda: bulk.poll(req, bulk.find_job(req.store, segs[1], "contact"))}
            )
        raise not_found()
    key = segs[0]
    if len(segs) == 1:
        return dispatch(
            req,
            {
                "GET": lambda: envelope([render_contact(req.store, _contact(req, key))]),
                "PUT": lambda: contact_update(req, key),
            },
        )
    action = segs[1].lower()
    if action == "getcontactslists" and len(segs) == 2:
        return dispatch(req, {"GET": lambda: getcontactslists(req, key)})
    if action == "managecontactslists" and len(segs) == 2:
        return dispatch(req, {"POST": lambda: managecontactslists(req, key)})
    raise not_found()  # includes the wrong poll URL contact/{JobID}/managemanycontacts


# ================================================================= listrecipient
def _recipient(req: Request, key: str) -> dict:
    row = req.store.recipients.get(int(key)) if key.isdigit() else None
    if row is None:
        raise not_found()
    return row


_RECIPIENT_RO = ("ID", "ListName", "SubscribedAt", "UnsubscribedAt")


def recipient_create(req: Request) -> Response:
    """POST listrecipient ``{ContactID|ContactALT, ListID|ListALT, IsUnsubscribed?}``."""
    body = payload.fields(
        req.json(),
        "TListRecipient",
        ("ContactID", "ContactALT", "ListID", "ListALT", "IsUnsubscribed", "IsActive"),
        _RECIPIENT_RO,
    )
    contact = req.store.find_contact(body.get("ContactID", body.get("ContactALT", "")))
    if contact is None:
        raise bad_request("MJ08 Property ContactID is invalid: contact not found")
    lst = req.store.find_list(body.get("ListID", body.get("ListALT", "")))
    if lst is None:
        raise bad_request("MJ08 Property ListID is invalid: list not found")
    if req.store.recipient(contact["ID"], lst["ID"]) is not None:
        raise bad_request(
            f'MJ18 A ListRecipient resource with value "{contact["ID"]}|{lst["ID"]}" '
            "for ContactID|ListID already exists."
        )
    unsub = payload.boolean("IsUnsubscribed", body.get("IsUnsubscribed", False))
    row = req.store.add_row(contact["ID"], lst["ID"], unsub)
    if "IsActive" in body:
        req.store.update_row(row, active=payload.boolean("IsActive", body["IsActive"]))
    return envelope([render_recipient(req.store, row)], status=201)


def recipient_update(req: Request, key: str) -> Response:
    """PUT listrecipient/{id}: IsUnsubscribed, IsActive; 304 if nothing changes."""
    row = _recipient(req, key)
    body = payload.fields(
        req.json(),
        "TListRecipient",
        ("IsUnsubscribed", "IsActive"),
        ("ContactID", "ListID") + _RECIPIENT_RO,
    )
    unsub = (
        payload.boolean("IsUnsubscribed", body["IsUnsubscribed"])
        if "IsUnsubscribed" in body
        else None
    )
    active = payload.boolean("IsActive", body["IsActive"]) if "IsActive" in body else None
    if not req.store.update_row(row, active=active, unsub=unsub):
        return empty(304)
    return envelope([render_recipient(req.store, row)])


def recipient_route(req: Request, segs: list[str]) -> Response:
    """listrecipient[/{id}]."""
    if not segs:
        return dispatch(
            req, {"GET": lambda: req.listing(RECIPIENTS), "POST": lambda: recipient_create(req)}
        )
    if len(segs) > 1:
        raise not_found()
    key = segs[0]

    def delete() -> Response:
        req.store.remove_row(_recipient(req, key))
        return empty(204)

    return dispatch(
        req,
        {
            "GET": lambda: envelope([render_recipient(req.store, _recipient(req, key))]),
            "PUT": lambda: recipient_update(req, key),
            "DELETE": delete,
        },
    )


# ================================================================= read-only collections
def _by_id(mapping: dict, key: str) -> dict:
    rec = mapping.get(int(key)) if key.isdigit() else None
    if rec is None:
        raise not_found()
    return rec


def v4_contacts(req: Request) -> Response:
    """``DELETE /v4/contacts/{id}`` (GDPR erasure): 200, the contact is anonymised at once
    and purged 30 days later. Nothing else of the v4 API is modelled."""
    if len(req.segments) != 1 or req.method != "DELETE":
        raise unmodelled("v4/contacts")
    key = req.segments[0]
    rec = req.store.contacts.get(int(key)) if key.isdigit() else None
    if rec is None or rec.get("AnonymizedAt"):
        raise not_found()
    req.store.gdpr_delete(rec)
    return empty(200)


def signup_route(req: Request, segs: list[str]) -> Response:
    """contactslistsignup[/{id}] (read-only)."""
    if not segs:
        return dispatch(req, {"GET": lambda: req.listing(SIGNUPS)})
    if len(segs) > 1:
        raise not_found()
    return dispatch(req, {"GET": lambda: envelope([dict(_by_id(req.store.signups, segs[0]))])})


def campaign_route(req: Request, segs: list[str]) -> Response:
    """campaign[/{id|mj.nl=<draft id>}] (read-only)."""
    if not segs:
        return dispatch(req, {"GET": lambda: req.listing(CAMPAIGNS)})
    if len(segs) > 1:
        raise not_found()

    def get() -> Response:
        rec = req.store.find_campaign(segs[0])
        if rec is None:
            raise not_found()
        return envelope([render_campaign(req.store, rec)])

    return dispatch(req, {"GET": get})


# ================================================================= statcounters
# Mailjet's statcounters "Total" is the number of processed messages: delivered
# ("MessageSentCount") plus blocked, bounced, queued and deferred ones.
_PROCESSED = (
    "MessageSentCount",
    "MessageBlockedCount",
    "MessageSoftBouncedCount",
    "MessageHardBouncedCount",
    "MessageQueuedCount",
    "MessageDeferredCount",
)


def _counter_row(source_id: int, stats: dict) -> dict:
    total = sum(stats.get(name, 0) for name in _PROCESSED)
    return {"APIKeyID": APIKEY_ID, **stats, "SourceID": source_id, "Timeslice": "", "Total": total}


_REQUIRED_COUNTER_FILTERS = {
    "countersource": "CounterSource",
    "countertiming": "CounterTiming",
    "counterresolution": "CounterResolution",
}


def statcounters(req: Request) -> Response:
    """GET statcounters: CounterSource List|Campaign|APIKey, CounterResolution Lifetime."""
    f = {k: v for k, (_sent, v) in req.params.items()}
    for low, name in _REQUIRED_COUNTER_FILTERS.items():
        if not f.get(low):
            raise bad_request(f'Filter "{name}" is required')
    source = f["countersource"].strip().lower()
    if f["counterresolution"].strip().lower() != "lifetime":
        raise unmodelled(f"CounterResolution={f['counterresolution']}")
    if f["countertiming"].strip().lower() not in ("message", "event"):
        raise bad_request('Invalid value for filter "CounterTiming"')
    campaigns = list(req.store.campaigns.values())
    if source == "apikey":
        source_id = APIKEY_ID
    elif source in ("list", "campaign"):
        try:
            source_id = int(f.get("sourceid", ""))
        except ValueError:
            raise bad_request('Filter "SourceId" is required and must be an integer') from None
        field = "ListID" if source == "list" else "ID"
        campaigns = [c for c in campaigns if c[field] == source_id]
        exists = req.store.lists if source == "list" else req.store.campaigns
        if source_id not in exists:
            return envelope([])
    else:
        raise bad_request('Invalid value for filter "CounterSource"')
    totals = {k: sum(c["stats"][k] for c in campaigns) for k in COUNTERS}
    return envelope([_counter_row(source_id, totals)])


def statcounters_route(req: Request, segs: list[str]) -> Response:
    """statcounters (GET only)."""
    if segs:
        raise not_found()
    return dispatch(req, {"GET": lambda: statcounters(req)})


# ================================================================= eventcallbackurl
def _callback(req: Request, key: str) -> dict:
    if "|" in key:
        etype, _, backup = key.partition("|")
        try:
            flag = parse_bool(backup)
        except ValueError:
            raise not_found() from None
        for rec in req.store.callbacks.values():
            if rec["EventType"] == etype.lower() and rec["IsBackup"] == flag:
                return rec
        raise not_found()
    return _by_id(req.store.callbacks, key)


def _callback_values(body: dict, current: dict) -> dict:
    out = dict(current)
    if "EventType" in body:
        etype = str(body["EventType"]).strip().lower()
        if etype not in EVENT_TYPES:
            raise bad_request(f'MJ08 Property EventType is invalid: "{body["EventType"]}"')
        out["EventType"] = etype
    if "Url" in body:
        url = payload.string("Url", body["Url"]).strip()
        if not url.lower().startswith(("http://", "https://")):
            raise bad_request("MJ08 Property Url is invalid: an http(s) URL is expected")
        out["Url"] = url
    if "Version" in body:
        version = payload.integer("Version", body["Version"])
        if version not in (1, 2):
            raise bad_request("MJ08 Property Version is invalid: must be 1 or 2")
        out["Version"] = version
    if "IsBackup" in body:
        out["IsBackup"] = payload.boolean("IsBackup", body["IsBackup"])
    if "Status" in body:
        status = payload.string("Status", body["Status"]).strip().lower()
        if status not in ("alive", "dead"):
            raise bad_request("MJ08 Property Status is invalid: alive or dead")
        out["Status"] = status
    return out


def _check_callback_unique(req: Request, rec: dict) -> None:
    for other in req.store.callbacks.values():
        if (
            other["ID"] != rec.get("ID")
            and other["EventType"] == rec["EventType"]
            and other["IsBackup"] == rec["IsBackup"]
        ):
            value = f"{rec['EventType']}|{str(rec['IsBackup']).lower()}"
            raise bad_request(
                f'MJ18 A EventCallbackUrl resource with value "{value}" '
                "for EventType|IsBackup already exists."
            )


_CALLBACK_FIELDS = ("EventType", "Url", "Version", "IsBackup", "Status")


def callback_create(req: Request) -> Response:
    """POST eventcallbackurl: one registration per EventType + IsBackup."""
    body = payload.fields(req.json(), "TEventCallbackUrl", _CALLBACK_FIELDS, ("ID", "APIKeyID"))
    for name in ("EventType", "Url"):
        if not body.get(name):
            raise bad_request(f'MJ03 A non-empty value is required for "{name}"')
    rec = _callback_values(
        body,
        {
            "APIKeyID": APIKEY_ID,
            "EventType": "",
            "IsBackup": False,
            "Status": "alive",
            "Url": "",
            "Version": 1,
        },
    )
    _check_callback_unique(req, rec)
    rec["ID"] = req.store.next_id("callback")
    req.store.callbacks[rec["ID"]] = rec
    req.store.touch()
    return envelope([dict(rec)], status=201)


def callback_update(req: Request, key: str) -> Response:
    """PUT eventcallbackurl/{id}; 304 if nothing changes."""
    rec = _callback(req, key)
    body = payload.fields(req.json(), "TEventCallbackUrl", _CALLBACK_FIELDS, ("ID", "APIKeyID"))
    new = _callback_values(body, rec)
    if rec["Status"] == "dead":
        # A suspended URL is reactivated only by a new URL, not by setting Status.
        if new["Url"] == rec["Url"]:
            new["Status"] = "dead"
        elif "Status" not in body:
            new["Status"] = "alive"
    if new == rec:
        return empty(304)
    _check_callback_unique(req, new)
    rec.update(new)
    req.store.touch()
    return envelope([dict(rec)])


def callback_route(req: Request, segs: list[str]) -> Response:
    """eventcallbackurl[/{id|EventType|IsBackup}]."""
    if not segs:
        return dispatch(
            req, {"GET": lambda: req.listing(CALLBACKS), "POST": lambda: callback_create(req)}
        )
    if len(segs) > 1:
        raise not_found()
    key = segs[0]

    def delete() -> Response:
        rec = _callback(req, key)
        del req.store.callbacks[rec["ID"]]
        req.store.touch()
        return empty(204)

    return dispatch(
        req,
        {
            "GET": lambda: envelope([dict(_callback(req, key))]),
            "PUT": lambda: callback_update(req, key),
            "DELETE": delete,
        },
    )


# ================================================================= properties
def metadata_create(req: Request) -> Response:
    """POST contactmetadata ``{"Datatype", "Name", "NameSpace"}``."""
    body = payload.fields(
        req.json(), "TContactMetaData", ("Datatype", "Name", "NameSpace"), ("ID",)
    )
    name = payload.string("Name", body.get("Name", "")).strip()
    if not name:
        raise bad_request('MJ03 A non-empty value is required for "Name"')
    datatype = str(body.get("Datatype", "")).lower()
    if datatype not in DATATYPES:
        raise bad_request(f"MJ08 Property Datatype is invalid: one of {', '.join(DATATYPES)}")
    namespace = str(body.get("NameSpace", "static")).lower()
    if namespace not in ("static", "historic"):
        raise bad_request("MJ08 Property NameSpace is invalid: static or historic")
    if req.store.find_metadata(name) is not None:
        raise bad_request(
            f'MJ18 A ContactMetaData resource with value "{name}" for Name already exists.'
        )
    rec = req.store.create_metadata(name, datatype, namespace)
    return envelope([dict(rec)], status=201)


def metadata_route(req: Request, segs: list[str]) -> Response:
    """contactmetadata[/{id|name}]."""
    if not segs:
        return dispatch(
            req, {"GET": lambda: req.listing(METADATA), "POST": lambda: metadata_create(req)}
        )

    def get() -> Response:
        rec = req.store.find_metadata(segs[0]) if len(segs) == 1 else None
        if rec is None:
            raise not_found()
        return envelope([dict(rec)])

    return dispatch(req, {"GET": get})


def _contactdata(req: Request, cid: int) -> dict:
    props = req.store.properties.get(cid, {})
    data = [{"Name": k, "Value": _as_text(v)} for k, v in sorted(props.items())]
    return {"ContactID": cid, "Data": data, "ID": cid}


def _as_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def contactdata_update(req: Request, key: str) -> Response:
    """PUT contactdata/{contact id} ``{"Data": [{"Name", "Value"}]}``; 304 if unchanged."""
    rec = _by_id(req.store.contacts, key)
    body = payload.fields(req.json(), "TContactData", ("Data",), ("ID", "ContactID"))
    items = body.get("Data")
    if not isinstance(items, list):
        raise bad_request("MJ08 Property Data is invalid: an array is expected")
    props = {}
    for item in items:
        if not isinstance(item, dict) or "Name" not in item:
            raise bad_request("MJ08 Property Data is invalid: items need Name and Value")
        props[item["Name"]] = item.get("Value", item.get("value"))
    clean, problems = req.store.check_properties(props, req.app.strict_properties)
    for problem in problems:
        for name, text in problem.items():
            if text == "Property not defined":
                raise bad_request(f'Invalid key name: "{name}"')
    if problems:
        raise bad_request("Object properties invalid", {"Properties": problems})
    if not req.store.set_properties(rec["ID"], clean):
        return empty(304)
    return envelope([_contactdata(req, rec["ID"])])


def contactdata_route(req: Request, segs: list[str]) -> Response:
    """contactdata/{contact id} (GET, PUT)."""
    if not segs:
        raise unmodelled("contactdata collection")
    if len(segs) > 1:
        raise not_found()
    key = segs[0]
    return dispatch(
        req,
        {
            "GET": lambda: envelope([_contactdata(req, _by_id(req.store.contacts, key)["ID"])]),
            "PUT": lambda: contactdata_update(req, key),
        },
    )


# ================================================================= entry points
ROUTES: dict[str, Callable[[Request, list[str]], Response]] = {
    "contactslist": contactslist_route,
    "contact": contact_route,
    "listrecipient": recipient_route,
    "contactslistsignup": signup_route,
    "campaign": campaign_route,
    "statcounters": statcounters_route,
    "eventcallbackurl": callback_route,
    "contactmetadata": metadata_route,
    "contactdata": contactdata_route,
}


def handle_rest(req: Request) -> Response:
    """Route /v3/REST/<resource>/..."""
    if not req.segments:
        raise MailjetError(400, 'Unknown resource: ""', "Bad Request")
    name = req.segments[0].lower()
    route = ROUTES.get(name)
    if route is not None:
        return route(req, req.segments[1:])
    if name in UNMODELLED:
        raise unmodelled(name)
    raise MailjetError(400, f'Unknown resource: "{req.segments[0]}"', "Bad Request")


def handle_data(req: Request) -> Response:
    """Route /v3/DATA/...: only the bulk-job JSON error file is modelled."""
    segs = [s.lower() for s in req.segments]
    if (
        len(segs) == 5
        and segs[0] == "batchjob"
        and segs[2] == "jsonerror"
        and segs[3] == "application:json"
        and segs[4] == "last"
    ):
        return dispatch(req, {"GET": lambda: bulk.json_errors(req, req.segments[1])})
    if segs and segs[0] in ("batchjob", "contactslist"):
        raise unmodelled("/v3/DATA/" + "/".join(req.segments))
    raise not_found()
