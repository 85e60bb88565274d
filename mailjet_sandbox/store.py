"""In-memory Mailjet account: lists, contacts, list memberships, jobs, signups, campaigns.

All methods expect the caller to hold ``Store.lock``. Every change to what a query can
return bumps ``Store.version`` (the query-cache key) and ``Store.dirty`` (what
``--state`` persistence watches).
"""

from __future__ import annotations

import hashlib
import threading
import time
from typing import Any

from .errors import bad_request
from .util import list_address, parse_bool, parse_int, parse_ts, rfc3339, valid_email

ACTIONS = ("addforce", "addnoforce", "remove", "unsub")
EVENT_TYPES = ("sent", "open", "click", "bounce", "spam", "blocked", "unsub")
DATATYPES = ("str", "int", "float", "bool", "datetime")
COUNTERS = (
    "EventClickDelay",
    "EventClickedCount",
    "EventOpenDelay",
    "EventOpenedCount",
    "EventSpamCount",
    "EventUnsubscribedCount",
    "EventWorkflowExitedCount",
    "MessageBlockedCount",
    "MessageClickedCount",
    "MessageDeferredCount",
    "MessageHardBouncedCount",
    "MessageOpenedCount",
    "MessageQueuedCount",
    "MessageSentCount",
    "MessageSoftBouncedCount",
    "MessageSpamCount",
    "MessageUnsubscribedCount",
    "MessageWorkFlowExitedCount",
)
# Distinct id ranges per kind, so a list id used as a contact id (etc.) is a visible bug.
_SEQ_START = {
    "list": 10000,
    "contact": 1000000,
    "recipient": 5000000,
    "job": 35800,
    "signup": 700000,
    "campaign": 7000000,
    "callback": 340000,
    "metadata": 100,
}
APIKEY_ID = 123456
GDPR_PURGE_SECONDS = 30 * 24 * 3600  # an erased contact is purged 30 days later


class Store:
    """The whole sandbox account state (one instance per server)."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.version = 0  # bumped when a query could answer differently (cache key)
        self.dirty = 0  # bumped on any change worth persisting
        # How undocumented behaviour is played (app.READINGS; set by the App).
        self.readings: dict[str, str] = {"list_delete": "soft", "contact_list_filter": "subscribed"}
        self.clear()

    # ----------------------------------------------------------------- basics
    def clear(self) -> None:
        """Forget everything (ids restart, clock back to real time)."""
        self.seq = dict(_SEQ_START)
        self.clock_offset = 0.0
        self.lists: dict[int, dict] = {}
        self.list_names: dict[str, int] = {}
        self.list_addresses: dict[str, int] = {}
        self.contacts: dict[int, dict] = {}
        self.emails: dict[str, int] = {}
        # Ids of the GDPR-deleted (anonymised) contacts, which ``purge_erased`` looks at
        # on every call: scanning all contacts instead cost 70 ms a call at 1,000,000.
        self.anonymised: set[int] = set()
        self.properties: dict[int, dict[str, Any]] = {}
        self.recipients: dict[int, dict] = {}
        self.members: dict[int, dict[int, int]] = {}  # list id -> {contact id: recipient id}
        self.memberships: dict[int, dict[int, int]] = {}  # contact id -> {list id: recipient id}
        self.jobs: dict[int, dict] = {}
        self.signups: dict[int, dict] = {}
        self.campaigns: dict[int, dict] = {}
        self.callbacks: dict[int, dict] = {}
        self.metadata: dict[int, dict] = {}
        self.metadata_names: dict[str, int] = {}
        self.messages: dict[int, dict] = {}  # sent campaign messages (events.py)
        self.query_cache: dict[tuple, tuple[int, list]] = {}
        self.touch()

    def touch(self) -> None:
        """Record that the state changed."""
        self.version += 1
        self.dirty += 1

    def now(self) -> int:
        """Mailjet's clock (real time plus the offset set through /_sandbox/clock)."""
        return int(time.time() + self.clock_offset)

    def next_id(self, kind: str) -> int:
        """Next id of one kind."""
        self.seq[kind] += 1
        return self.seq[kind]

    # ----------------------------------------------------------------- lists
    def find_list(self, key: object) -> dict | None:
        """A list by numeric id or by its ``Address``."""
        text = str(key)
        if text.isdigit():
            return self.lists.get(int(text))
        lid = self.list_addresses.get(text.lower())
        return self.lists.get(lid) if lid else None

    def check_list_name(self, name: object, own_id: int | None = None) -> str:
        """Validate a list name: non-empty string, unique (case-insensitively)."""
        if not isinstance(name, str) or not name.strip():
            raise bad_request('MJ03 A non-empty value is required for "Name"')
        other = self.list_names.get(name.strip().lower())
        if other is not None and other != own_id:
            raise bad_request(
                f'MJ18 A ContactsList resource with value "{name}" for Name already exists.'
            )
        return name

    def create_list(self, name: str) -> dict:
        """A new, empty list."""
        self.check_list_name(name)
        lid = self.next_id("list")
        rec = {
            "ID": lid,
            "Name": name,
            "Address": list_address(lid),
            "CreatedAt": self.now(),
            "IsDeleted": False,
            "SubscriberCount": 0,
        }
        self._index_list(rec)
        self.touch()
        return rec

    def _index_list(self, rec: dict) -> None:
        self.lists[rec["ID"]] = rec
        self.list_names[rec["Name"].strip().lower()] = rec["ID"]
        self.list_addresses[rec["Address"]] = rec["ID"]
        self.members.setdefault(rec["ID"], {})

    def rename_list(self, rec: dict, name: str) -> None:
        """Change a list's name (uniqueness checked)."""
        self.check_list_name(name, rec["ID"])
        del self.list_names[rec["Name"].strip().lower()]
        rec["Name"] = name
        self.list_names[name.strip().lower()] = rec["ID"]
        self.touch()

    def soft_delete_list(self, rec: dict) -> None:
        """Mark a list deleted: it keeps its rows and its name, and can be reinstated."""
        if not rec["IsDeleted"]:
            rec["IsDeleted"] = True
            self.touch()

    def delete_list(self, rec: dict) -> None:
        """Hard delete: the list and all its listrecipient rows disappear."""
        lid = rec["ID"]
        for cid, rid in self.members.pop(lid, {}).items():
            self.recipients.pop(rid, None)
            self.memberships.get(cid, {}).pop(lid, None)
        self.lists.pop(lid, None)
        self.list_names.pop(rec["Name"].strip().lower(), None)
        self.list_addresses.pop(rec["Address"], None)
        self.touch()

    # ----------------------------------------------------------------- contacts
    def find_contact(self, key: object) -> dict | None:
        """A contact by numeric id or by e-mail (case-insensitive)."""
        text = str(key).strip()
        if text.isdigit():
            return self.contacts.get(int(text))
        cid = self.emails.get(text.lower())
        return self.contacts.get(cid) if cid else None

    def create_contact(self, email: str, name: str = "", excluded: bool = False) -> dict:
        """A new contact; the caller has validated the address and checked it is new."""
        now = self.now()
        cid = self.next_id("contact")
        rec = {
            "ID": cid,
            "Email": email.strip().lower(),
            "Name": name or "",
            "IsExcludedFromCampaigns": bool(excluded),
            "ExclusionFromCampaignsUpdatedAt": now if excluded else 0,
            "CreatedAt": now,
            "LastActivityAt": 0,
            "LastUpdateAt": now,
            "DeliveredCount": 0,
            "IsOptInPending": False,
            "IsSpamComplaining": False,
            "UnsubscribedAt": 0,
            "UnsubscribedBy": "",
        }
        self._index_contact(rec)
        self.touch()
        return rec

    def _index_contact(self, rec: dict) -> None:
        self.contacts[rec["ID"]] = rec
        self.emails[rec["Email"]] = rec["ID"]
        if rec.get("AnonymizedAt"):
            self.anonymised.add(rec["ID"])

    def update_contact(self, rec: dict, name: Any = None, excluded: Any = None) -> bool:
        """Set Name / IsExcludedFromCampaigns when given; True if anything changed."""
        changed = False
        if name is not None and name != rec["Name"]:
            rec["Name"] = name
            changed = True
        if excluded is not None and bool(excluded) != rec["IsExcludedFromCampaigns"]:
            rec["IsExcludedFromCampaigns"] = bool(excluded)
            rec["ExclusionFromCampaignsUpdatedAt"] = self.now()
            changed = True
        if changed:
            rec["LastUpdateAt"] = self.now()
            self.touch()
        return changed

    def upsert_contact(
        self, email: str, name: Any = None, excluded: Any = None, props: dict | None = None
    ) -> dict:
        """Create or update a contact by e-mail (bulk/managecontact semantics)."""
        rec = self.find_contact(email)
        if rec is None:
            rec = self.create_contact(email, name or "", bool(excluded))
        else:
            self.update_contact(rec, name, excluded)
        if props:
            self.set_properties(rec["ID"], props)
        return rec

    # ----------------------------------------------------------------- properties
    def create_metadata(self, name: str, datatype: str, namespace: str) -> dict:
        """Define a contact property."""
        mid = self.next_id("metadata")
        rec = {"ID": mid, "Name": name, "Datatype": datatype, "NameSpace": namespace}
        self.metadata[mid] = rec
        self.metadata_names[name.lower()] = mid
        self.touch()
        return rec

    def find_metadata(self, key: object) -> dict | None:
        """A property definition by id or name."""
        text = str(key)
        if text.isdigit():
            return self.metadata.get(int(text))
        mid = self.metadata_names.get(text.lower())
        return self.metadata.get(mid) if mid else None

    def check_properties(self, props: object, strict: bool) -> tuple[dict, list[dict]]:
        """Coerce property values; return (clean values, ``[{name: error}]`` problems)."""
        if not isinstance(props, dict):
            return {}, [{"Properties": "Properties must be an object"}]
        clean: dict[str, Any] = {}
        problems: list[dict] = []
        for name, value in props.items():
            meta = self.metadata.get(self.metadata_names.get(str(name).lower(), 0))
            if meta is None:
                if strict:
                    problems.append({name: "Property not defined"})
                else:
                    clean[name] = value
                continue
            if value is None:
                clean[meta["Name"]] = None
                continue
            try:
                clean[meta["Name"]] = _coerce(value, meta["Datatype"])
            except (TypeError, ValueError):
                problems.append({name: "Property type does not match definition"})
        return clean, problems

    def set_properties(self, cid: int, clean: dict) -> bool:
        """Apply checked values (``None`` unassigns); True if anything changed."""
        cur = self.properties.setdefault(cid, {})
        changed = False
        for name, value in clean.items():
            if value is None:
                changed |= cur.pop(name, None) is not None
            elif cur.get(name, _MISSING) != value:
                cur[name] = value
                changed = True
        if changed:
            self.touch()
        return changed

    # ----------------------------------------------------------------- memberships
    def recipient(self, cid: int, lid: int) -> dict | None:
        """The listrecipient row of (contact, list), if any."""
        rid = self.members.get(lid, {}).get(cid)
        return self.recipients.get(rid) if rid else None

    def add_row(self, cid: int, lid: int, unsub: bool) -> dict:
        """Create a listrecipient row."""
        now = self.now()
        rid = self.next_id("recipient")
        row = {
            "ID": rid,
            "ContactID": cid,
            "ListID": lid,
            "IsActive": True,
            "IsUnsubscribed": unsub,
            "SubscribedAt": now,
            "UnsubscribedAt": now if unsub else 0,
        }
        self.recipients[rid] = row
        self.members[lid][cid] = rid
        self.memberships.setdefault(cid, {})[lid] = rid
        self._count(row, +1)
        self.touch()
        return row

    def remove_row(self, row: dict) -> None:
        """Delete a listrecipient row (the membership is gone, unsubscribe history too)."""
        self._count(row, -1)
        self.recipients.pop(row["ID"], None)
        self.members.get(row["ListID"], {}).pop(row["ContactID"], None)
        self.memberships.get(row["ContactID"], {}).pop(row["ListID"], None)
        self.touch()

    def update_row(self, row: dict, active: bool | None = None, unsub: bool | None = None) -> bool:
        """Change IsActive / IsUnsubscribed; re-subscribing sets SubscribedAt and clears
        UnsubscribedAt, unsubscribing sets UnsubscribedAt. True if anything changed."""
        before = dict(row)
        self._count(row, -1)
        now = self.now()
        if unsub is not None and unsub != row["IsUnsubscribed"]:
            row["IsUnsubscribed"] = unsub
            if unsub:
                row["UnsubscribedAt"] = now
            else:
                row["UnsubscribedAt"] = 0
                row["SubscribedAt"] = now
        if active is not None:
            row["IsActive"] = active
        self._count(row, +1)
        if row != before:
            self.touch()
            return True
        return False

    def _count(self, row: dict, sign: int) -> None:
        # SubscriberCount counts every member: unsubscribed and excluded ones included.
        self.lists[row["ListID"]]["SubscriberCount"] += sign

    def apply_action(self, cid: int, lid: int, action: str) -> None:
        """One of the four Mailjet subscription actions on (contact, list)."""
        row = self.recipient(cid, lid)
        if action == "remove":
            if row is not None:
                self.remove_row(row)
        elif row is None:
            self.add_row(cid, lid, unsub=(action == "unsub"))
        elif action == "addforce":
            self.update_row(row, active=True, unsub=False)
        elif action == "addnoforce":
            self.update_row(row, active=True)
        elif action == "unsub":
            self.update_row(row, unsub=True)
        else:
            raise ValueError(action)

    # ----------------------------------------------------------------- signups
    def add_signup(
        self,
        cid: int,
        lid: int,
        email: str,
        ip: str = "127.0.0.1",
        confirmed: bool = True,
        confirm_ip: str | None = None,
    ) -> dict:
        """A ``contactslistsignup`` row as written by the subscription widget.

        A double opt-in signup that is not confirmed yet has ``ConfirmAt`` 0 and an empty
        ``ConfirmIp`` (``confirm_signup`` fills them in)."""
        now = self.now()
        sid = self.next_id("signup")
        row = {
            "ID": sid,
            "ContactID": cid,
            "ListID": lid,
            "Email": email,
            "SignupAt": now,
            "ConfirmAt": now if confirmed else 0,
            "SignupIp": ip,
            "ConfirmIp": (confirm_ip or ip) if confirmed else "",
            "Source": "widget",
            "SourceId": 0,
            "SignupKey": f"{sid:x}{cid:x}{now:x}",
        }
        self.signups[sid] = row
        self.touch()
        return row

    def pending_signup(self, cid: int, lid: int) -> dict | None:
        """The newest unconfirmed signup of (contact, list), if any."""
        rows = [
            r
            for r in self.signups.values()
            if r["ContactID"] == cid and r["ListID"] == lid and not r["ConfirmAt"]
        ]
        return max(rows, key=lambda r: r["ID"]) if rows else None

    def confirm_signup(self, row: dict, ip: str | None = None) -> None:
        """The recipient clicked the confirmation link of a double opt-in signup."""
        row["ConfirmAt"] = self.now()
        row["ConfirmIp"] = ip or row["SignupIp"]
        self.touch()

    # ----------------------------------------------------------------- GDPR delete
    def gdpr_delete(self, rec: dict) -> None:
        """``DELETE /v4/contacts/{id}``: the contact keeps its id and memberships but reads
        back anonymised (``<hash>@domain.invalid``, name ``Anonymized``) until it is purged
        30 days later; its signup rows are anonymised too."""
        if rec.get("AnonymizedAt"):
            return
        token = hashlib.sha1(f"{rec['ID']}:{rec['Email']}".encode()).hexdigest()
        anonymous = f"\\x{token}@domain.invalid"
        self.emails.pop(rec["Email"], None)
        for row in self.signups.values():
            if row["ContactID"] == rec["ID"]:
                row["Email"] = anonymous
                row["SignupIp"] = row["ConfirmIp"] = ""
        rec["Email"] = anonymous
        rec["Name"] = "Anonymized"
        rec["AnonymizedAt"] = self.now()
        rec["LastUpdateAt"] = self.now()
        self.anonymised.add(rec["ID"])
        self.emails[anonymous] = rec["ID"]
        self.properties.pop(rec["ID"], None)
        self.touch()

    def purge_erased(self) -> None:
        """Remove anonymised contacts (and their memberships) 30 days after the delete."""
        if not self.anonymised:
            return
        limit = self.now() - GDPR_PURGE_SECONDS
        due = [self.contacts[cid] for cid in self.anonymised if cid in self.contacts]
        for rec in [c for c in due if 0 < c.get("AnonymizedAt", 0) <= limit]:
            self.anonymised.discard(rec["ID"])
            for rid in list(self.memberships.get(rec["ID"], {}).values()):
                row = self.recipients.get(rid)
                if row is not None:
                    self.remove_row(row)
            self.memberships.pop(rec["ID"], None)
            for sid in [s for s, r in self.signups.items() if r["ContactID"] == rec["ID"]]:
                self.signups.pop(sid)
            self.emails.pop(rec["Email"], None)
            self.contacts.pop(rec["ID"], None)
            self.touch()

    # ----------------------------------------------------------------- campaigns
    def create_campaign(self, lid: int, subject: str, stats: dict, extra: dict) -> dict:
        """A sent campaign with its lifetime counters."""
        now = self.now()
        cid = self.next_id("campaign")
        newsletter = int(extra.get("NewsLetterID") or 0)
        sent_at = parse_ts(extra["SendStartAt"]) if extra.get("SendStartAt") else now
        rec = {
            "ID": cid,
            "CampaignType": 2,
            "ClickTracked": True,
            "CreatedAt": sent_at,
            "CustomValue": f"mj.nl={newsletter}" if newsletter else "",
            "FirstMessageID": 0,
            "FromEmail": extra.get("FromEmail", "news@example.com"),
            "FromID": 0,
            "FromName": extra.get("FromName", ""),
            "HasHtmlCount": 1,
            "HasTxtCount": 1,
            "IsDeleted": False,
            "IsStarred": False,
            "ListID": lid,
            "NewsLetterID": newsletter,
            "OpenTracked": True,
            "SegmentationID": 0,
            "SendEndAt": sent_at,
            "SendStartAt": sent_at,
            "SpamassScore": 0,
            "Status": 2,
            "Subject": subject,
            "UnsubscribeTrackedCount": int(stats.get("MessageUnsubscribedCount", 0)),
            "stats": {k: int(stats.get(k, 0)) for k in COUNTERS},
        }
        self.campaigns[cid] = rec
        self.touch()
        return rec

    def find_campaign(self, key: object) -> dict | None:
        """A campaign by id or by ``mj.nl=<draft id>``."""
        text = str(key).strip()
        if text.isdigit():
            return self.campaigns.get(int(text))
        if text.lower().startswith("mj.nl="):
            for rec in self.campaigns.values():
                if rec["CustomValue"] and rec["CustomValue"].lower() == text.lower():
                    return rec
        return None

    # ----------------------------------------------------------------- persistence
    def dump(self) -> dict:
        """Everything needed to rebuild the state, as JSON-able data."""
        return {
            "format": 1,
            "seq": self.seq,
            "clock_offset": self.clock_offset,
            "lists": list(self.lists.values()),
            "contacts": list(self.contacts.values()),
            "properties": [[cid, p] for cid, p in self.properties.items() if p],
            "recipients": list(self.recipients.values()),
            "jobs": list(self.jobs.values()),
            "signups": list(self.signups.values()),
            "campaigns": list(self.campaigns.values()),
            "callbacks": list(self.callbacks.values()),
            "metadata": list(self.metadata.values()),
        }

    def load(self, data: dict) -> None:
        """Replace the state with a ``dump()``."""
        self.clear()
        self.seq.update(data.get("seq", {}))
        self.clock_offset = float(data.get("clock_offset", 0.0))
        for rec in data.get("lists", []):
            rec["SubscriberCount"] = 0
            self._index_list(rec)
        for rec in data.get("contacts", []):
            self._index_contact(rec)
        for cid, props in data.get("properties", []):
            self.properties[int(cid)] = props
        for row in sorted(data.get("recipients", []), key=lambda r: r["ID"]):
            self.recipients[row["ID"]] = row
            self.members[row["ListID"]][row["ContactID"]] = row["ID"]
            self.memberships.setdefault(row["ContactID"], {})[row["ListID"]] = row["ID"]
            self._count(row, +1)
        for name, target in (
            ("jobs", self.jobs),
            ("signups", self.signups),
            ("campaigns", self.campaigns),
            ("callbacks", self.callbacks),
            ("metadata", self.metadata),
        ):
            for rec in data.get(name, []):
                target[rec["ID"]] = rec
        for rec in self.metadata.values():
            self.metadata_names[rec["Name"].lower()] = rec["ID"]
        self.touch()

    # ----------------------------------------------------------------- views
    def snapshot(self, list_id: int | None = None) -> dict:
        """Readable dump for test assertions (``GET /_sandbox/state``)."""
        lists = []
        for rec in self.lists.values():
            if list_id is not None and rec["ID"] != list_id:
                continue
            members = []
            for cid, rid in self.members[rec["ID"]].items():
                row = self.recipients[rid]
                members.append(
                    {
                        "ContactID": cid,
                        "Email": self.contacts[cid]["Email"],
                        "ListRecipientID": rid,
                        "IsActive": row["IsActive"],
                        "IsUnsubscribed": row["IsUnsubscribed"],
                        "SubscribedAt": rfc3339(row["SubscribedAt"]),
                        "UnsubscribedAt": rfc3339(row["UnsubscribedAt"]),
                    }
                )
            lists.append(
                {
                    "ID": rec["ID"],
                    "Name": rec["Name"],
                    "Address": rec["Address"],
                    "SubscriberCount": rec["SubscriberCount"],
                    "members": members,
                }
            )
        contacts = (
            []
            if list_id is not None
            else [
                {
                    "ID": c["ID"],
                    "Email": c["Email"],
                    "Name": c["Name"],
                    "IsExcludedFromCampaigns": c["IsExcludedFromCampaigns"],
                    "Properties": self.properties.get(c["ID"], {}),
                }
                for c in self.contacts.values()
            ]
        )
        return {
            "now": self.now(),
            "lists": lists,
            "contacts": contacts,
            "jobs": [{k: v for k, v in j.items() if k != "Errors"} for j in self.jobs.values()],
            "signups": len(self.signups),
            "campaigns": [
                {"ID": c["ID"], "ListID": c["ListID"], "Subject": c["Subject"]}
                for c in self.campaigns.values()
            ],
            "eventcallbackurls": list(self.callbacks.values()),
        }


_MISSING = object()


def _coerce(value: Any, datatype: str) -> Any:
    """A property value converted to its declared type (ValueError/TypeError if it isn't)."""
    if isinstance(value, (dict, list)):
        raise TypeError("not a scalar")
    if datatype == "str":
        return value if isinstance(value, str) else str(value)
    if datatype == "int":
        return parse_int(value)
    if datatype == "float":
        if isinstance(value, bool):
            raise TypeError("bool")
        return float(value)
    if datatype == "bool":
        return parse_bool(value)
    return rfc3339(parse_ts(value))


def email_error(email: object) -> str | None:
    """Why an e-mail address is unusable, or None."""
    if not isinstance(email, str) or not email.strip():
        return "Email is required"
    if not valid_email(email.strip()):
        return f'Invalid email address: "{email}"'
    return None
