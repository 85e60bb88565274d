"""The gateway: every call the engine makes to Mailjet, through the official client.

* Every call has a timeout (``timeout=(connect, read)``, default 5 s / 60 s).
* 429, 5xx, timeouts and dropped connections are retried with exponential backoff and
  jitter, a bounded number of times (``RetryPolicy``, implemented with tenacity); then
  ``MailjetUnavailable`` is raised. This is the only retry layer: the client's own https
  retries are switched off, so ``calls`` counts HTTP requests. 400, 401, 403 and 404 are
  never retried.
* A rejected key or secret becomes one ``MailjetAuthFailed``. The secret is handed to the
  client once and never kept, logged or shown.
* Bulk pushes use ``contactslist/{id}/managemanycontacts`` with ``addnoforce`` (accepted)
  or ``unsub`` (declined) only, in chunks (default 5,000), and every job is polled to its
  final state; per-contact errors are read from the job's error file, whatever the job's
  status, and reported, the rest of the contacts go on; when the file cannot be read,
  the list is read back. ``addforce`` is used in exactly one place,
  ``resubscribe_with_consent``; ``remove`` is never used.
* Lists are read with ``Limit=1000`` pages; counts with ``countOnly=1``.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import math
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import requests
from mailjet_rest import (
    ApiError,
    ApiRateLimitError,
    Client,
    DoesNotExistError,
    MailjetApiError,
    MailjetAuthError,
    MailjetNetworkError,
)
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential,
    wait_random,
)
from urllib3.util.retry import Retry

from .emails import normalize_email
from .errors import (
    MailjetAuthFailed,
    MailjetNotFound,
    MailjetRequestRejected,
    MailjetUnavailable,
)
from .notes import Note, Op
from .properties import datatype, json_value
from .records import ContactError, PushContact, Signup, parse_timestamp

__all__ = [
    "ADD",
    "UNSUB",
    "CampaignStatistics",
    "ContactRow",
    "EnsuredList",
    "ListCounters",
    "ListRecipientRow",
    "ListStatistics",
    "MailjetGateway",
    "MailjetList",
    "PushResult",
    "RetryPolicy",
]

_log = logging.getLogger(__name__)

DEFAULT_API_URL = "https://api.mailjet.com/"
PAGE_SIZE = 1000  # Mailjet's maximum Limit
DEFAULT_CHUNK_SIZE = 5000
ADD = "addnoforce"
UNSUB = "unsub"
ADD_FORCE = "addforce"  # re-subscribes: only with the customer's consent
_BULK_ACTIONS = (ADD, UNSUB)  # the only actions a bulk push may use
_FINAL_JOB_STATES = {"completed", "error", "abort"}
_JOB_ERROR_STATES = {"error", "abort"}


@dataclass(frozen=True)
class RetryPolicy:
    """Bounded exponential backoff with jitter for transient failures."""

    attempts: int = 5  # total tries per call, the first one included
    initial_wait: float = 0.5  # seconds before the first retry; doubles each time
    max_wait: float = 8.0  # ceiling of one wait
    jitter: float = 0.5  # up to this many seconds added at random to each wait


@dataclass(frozen=True)
class JobPolling:
    """How a bulk job is polled to its final state. The first wait grows with the
    contacts submitted (``per_1000`` seconds per 1,000, at least ``min_wait``, at most
    ``initial_wait``): the few contacts of a normal night are asked for soon, a large
    import is left to work; each later wait doubles, up to ``max_wait``."""

    initial_wait: float = 0.5
    max_wait: float = 5.0
    max_polls: int = 120
    timeout: float = 900.0  # seconds; after this the job counts as unfinished
    min_wait: float = 0.1
    per_1000: float = 0.1

    def first_wait(self, contacts: int) -> float:
        return min(self.initial_wait, max(self.min_wait, self.per_1000 * contacts / 1000))


@dataclass(frozen=True)
class MailjetList:
    id: int
    name: str
    address: str = ""
    subscriber_count: int = 0
    deleted: bool = False  # deleted in Mailjet, which keeps it (reinstatable)


@dataclass(frozen=True)
class EnsuredList:
    """The Mailjet list of one campaign after ``ensure_lists``."""

    ref: Any
    list_id: int | None
    name: str
    created: bool = False  # new and therefore empty
    renamed: bool = False
    adopted: bool = False  # found by name (the stored id was empty or stale)
    deleted: bool = False  # the stored list was deleted in Mailjet; nothing was created
    error: Note | None = None
    # Mailjet's SubscriberCount when the list was read (every member, unsubscribed and
    # excluded ones included); None for a list created in this run.
    subscriber_count: int | None = None


@dataclass(frozen=True)
class ListRecipientRow:
    contact_id: int
    unsubscribed: bool
    subscribed_at: datetime | None = None
    unsubscribed_at: datetime | None = None
    active: bool = True


@dataclass(frozen=True)
class ContactRow:
    id: int
    email: str
    name: str = ""
    excluded: bool = False


@dataclass(frozen=True)
class ListCounters:
    """How many contacts a list has, by subscription state."""

    total: int
    subscribed: int
    unsubscribed: int
    excluded: int

    @classmethod
    def from_counts(cls, total: int, unsubscribed: int, excluded: int) -> ListCounters:
        """The counters from Mailjet's three counts (members, unsubscribed, excluded)."""
        return cls(total, total - unsubscribed, unsubscribed, excluded)


@dataclass(frozen=True)
class ListStatistics:
    """Lifetime message counters of everything sent to one list.

    The one place where Mailjet's ``statcounters`` field names are read.
    """

    sent: int = 0
    opened: int = 0
    clicked: int = 0
    unsubscribed: int = 0
    bounced: int = 0  # hard and soft bounces
    spam: int = 0

    @classmethod
    def from_counters(cls, counters: dict[str, int]) -> ListStatistics:
        return cls(
            sent=counters.get("MessageSentCount", 0),
            opened=counters.get("MessageOpenedCount", 0),
            clicked=counters.get("MessageClickedCount", 0),
            unsubscribed=counters.get("MessageUnsubscribedCount", 0),
            bounced=counters.get("MessageHardBouncedCount", 0)
            + counters.get("MessageSoftBouncedCount", 0),
            spam=counters.get("MessageSpamCount", 0),
        )


@dataclass(frozen=True)
class CampaignStatistics:
    """One sent Mailjet campaign of a list, with its lifetime counters."""

    campaign_id: int
    subject: str
    sent_at: datetime | None
    counters: dict[str, int]


@dataclass
class PushResult:
    """The outcome of one bulk push (one action, all its chunks)."""

    action: str
    submitted: int = 0
    succeeded: list[PushContact] = field(default_factory=list)
    failed: list[ContactError] = field(default_factory=list)
    job_errors: list[Note] = field(default_factory=list)
    job_ids: list[int] = field(default_factory=list)
    interrupted: MailjetUnavailable | None = None  # Mailjet became unavailable part-way


@dataclass
class Submission:
    """The jobs of one list submitted by ``submit_many`` and not yet polled."""

    list_id: int
    results: list[PushResult]
    jobs: list[tuple[int, list[PushContact], PushResult]] = field(default_factory=list)
    calls: int = 0  # the calls made for this list's jobs (its share of the polls included)
    # After ``poll_once``: each job as read then, and when (``time.monotonic``).
    last: dict[int, dict] = field(default_factory=dict)
    polled_at: float | None = None


def _share_calls(submissions: Sequence[Submission], calls: int) -> None:
    """Polls made for several lists at once, shared out by their number of jobs."""
    weights = [len(sub.jobs) for sub in submissions]
    total = sum(weights)
    if not total:
        return
    given = 0
    for sub, weight in zip(submissions, weights, strict=True):
        share = calls * weight // total
        sub.calls += share
        given += share
    for sub in submissions:  # the remainder, one each, to the first lists with jobs
        if given >= calls:
            break
        if sub.jobs:
            sub.calls += 1
            given += 1


class MailjetGateway:
    """Mailjet for the engine. One instance per interface and run; not thread-safe."""

    def __init__(
        self,
        api_key: str,
        api_secret: str,
        *,
        api_url: str | None = None,
        timeout: float | tuple[float, float] = (5.0, 60.0),
        retry: RetryPolicy | None = None,
        polling: JobPolling | None = None,
        chunk_size: int = DEFAULT_CHUNK_SIZE,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if not (api_key or "").strip() or not (api_secret or "").strip():
            raise MailjetAuthFailed(401)
        self._client = Client(
            auth=(api_key.strip(), api_secret.strip()),
            api_url=api_url or DEFAULT_API_URL,
            timeout=timeout,
        )
        # One retry layer: over https the client would retry inside each of our attempts
        # (up to four requests each, POSTs too, a persistent 429 ending as "no answer").
        # Its adapter sends each request once; the gateway's policy is the only one.
        self._client.session.get_adapter("https://").max_retries = Retry(0, read=False)
        self._key_hint = _mask(api_key.strip())
        self.api_url = self._client.config.api_url
        self.retry = retry or RetryPolicy()
        self.polling = polling or JobPolling()
        self.chunk_size = max(1, int(chunk_size))
        self._sleep = sleep
        self.calls = 0  # HTTP requests sent, retries included
        self._property_names: set[str] | None = None  # contactmetadata, once read
        self._contact_emails: dict[int, str] | None = None
        self._contact_ids: dict[str, int] | None = None
        self._contact_names: dict[int, str] = {}
        # Contacts of the widget signups read so far: the only names the run may need
        # from its read of every contact, so the only ones that read keeps.
        self._signup_contacts: set[int] = set()
        self._names_kept: frozenset[int] = frozenset()
        self.single_contact_reads = 0  # ``contact`` calls this run (one id each)
        self._contact_count: int | None = None

    def __repr__(self) -> str:
        return f"<MailjetGateway url={self.api_url!r} key={self._key_hint!r}>"

    __str__ = __repr__

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> MailjetGateway:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ lists
    def check_credentials(self) -> None:
        """One cheap call; raises ``MailjetAuthFailed`` when the key or secret is wrong."""
        self._get("contactslist", Op("lists"), filters={"countOnly": 1})

    def lists(self, include_deleted: bool = False) -> list[MailjetList]:
        """Every contact list of the account (pages of 1,000); lists deleted in Mailjet
        (which keeps them, reinstatable) only when asked for."""
        return [
            MailjetList(
                id=int(row["ID"]),
                name=row.get("Name", ""),
                address=row.get("Address", ""),
                subscriber_count=int(row.get("SubscriberCount") or 0),
                deleted=bool(row.get("IsDeleted")),
            )
            for row in self._pages("contactslist", Op("lists"))
            if include_deleted or not row.get("IsDeleted")
        ]

    def reinstate_list(self, list_id: int) -> None:
        """Undo a deletion made in Mailjet (``IsDeleted`` false); raises
        ``MailjetNotFound`` when Mailjet no longer has the list at all."""
        what = Op("reinstate_list", {"list_id": list_id})
        self._put("contactslist", what, list_id, {"IsDeleted": False})

    def new_list(self, name: str, deleted_id: int | None = None) -> MailjetList:
        """A new, empty list with this name, in place of a deleted one. Mailjet may keep
        a deleted list's name reserved, so the deleted list is renamed out of the way
        first (its history stays in Mailjet, under "<name> (deleted <id>)")."""
        if deleted_id:
            for old in self.lists(include_deleted=True):
                if old.id == int(deleted_id) and old.name.strip().casefold() == name.casefold():
                    self.rename_list(old.id, f"{name} (deleted {old.id})")
        return self.create_list(name)

    def create_list(self, name: str) -> MailjetList:
        row = self._first(
            self._post("contactslist", Op("create_list", {"name": name}), data={"Name": name})
        )
        return MailjetList(id=int(row["ID"]), name=row.get("Name", name))

    def rename_list(self, list_id: int, name: str) -> None:
        what = Op("rename_list", {"list_id": list_id, "name": name})
        self._put("contactslist", what, list_id, {"Name": name})

    def ensure_lists(self, wanted: Iterable[tuple[Any, str, int | None]]) -> dict[Any, EnsuredList]:
        """Make sure each campaign has its list, named as in the ERP.

        ``wanted`` holds ``(ref, name, stored list id or None)``. Costs one paged read of
        all lists plus one call per list created or renamed. A list is found by its stored
        id, else by its name; otherwise it is created. Problems are reported per campaign
        (``EnsuredList.error``), they do not stop the others.
        """
        everything = self.lists(include_deleted=True)
        by_id = {lst.id: lst for lst in everything}
        by_name = {lst.name.strip().casefold(): lst for lst in everything if not lst.deleted}
        taken: dict[str, Any] = {}
        result: dict[Any, EnsuredList] = {}
        for ref, name, list_id in wanted:
            name = (name or "").strip()
            folded = name.casefold()
            if not name:
                result[ref] = EnsuredList(ref, list_id, name, error=Note("list_no_name"))
                continue
            if folded in taken:
                result[ref] = EnsuredList(
                    ref,
                    None,
                    name,
                    error=Note("list_name_taken", {"name": name}),
                )
                continue
            taken[folded] = ref
            try:
                result[ref] = self._ensure_one(ref, name, list_id, by_id, by_name)
            except (MailjetRequestRejected, MailjetNotFound) as exc:
                result[ref] = EnsuredList(ref, list_id, name, error=exc.note())
        return result

    def _ensure_one(self, ref, name, list_id, by_id, by_name) -> EnsuredList:
        current = by_id.get(int(list_id)) if list_id else None
        adopted = False
        if current is not None and current.deleted:
            # Deleted in Mailjet, which keeps it with its unsubscribes: a user decides
            # between reinstating it and starting a new list; nothing is created here.
            note = Note("list_deleted", {"list_id": current.id, "name": current.name})
            return EnsuredList(ref, current.id, name, deleted=True, error=note)
        if current is None:
            current = by_name.get(name.casefold())
            adopted = current is not None
        if current is None and list_id:
            # The list is gone altogether (or belongs to another Mailjet account).
            note = Note("list_deleted", {"list_id": int(list_id), "name": name})
            return EnsuredList(ref, int(list_id), name, deleted=True, error=note)
        if current is None:
            created = self.create_list(name)
            by_id[created.id] = created
            by_name[name.casefold()] = created
            return EnsuredList(ref, created.id, created.name, created=True)
        if current.name != name:
            self.rename_list(current.id, name)
            by_name.pop(current.name.strip().casefold(), None)
            by_name[name.casefold()] = current
            return EnsuredList(
                ref,
                current.id,
                name,
                renamed=True,
                adopted=adopted,
                subscriber_count=current.subscriber_count,
            )
        return EnsuredList(
            ref, current.id, name, adopted=adopted, subscriber_count=current.subscriber_count
        )

    # ------------------------------------------------------------------ reading
    def count_members(self, list_id: int, unsubscribed: bool | None = None) -> int:
        """Members of a list (all, or only (un)subscribed ones), with one countOnly call."""
        filters: dict[str, Any] = {"ContactsList": list_id, "countOnly": 1}
        if unsubscribed is not None:
            filters["Unsub"] = _bool(unsubscribed)
        return self._count("listrecipient", Op("count_members", {"list_id": list_id}), filters)

    def count_excluded(self, list_id: int) -> int:
        """Members of a list excluded from all marketing e-mail, with one countOnly call."""
        filters = {"ContactsList": list_id, "IsExcludedFromCampaigns": "true", "countOnly": 1}
        return self._count("contact", Op("count_excluded", {"list_id": list_id}), filters)

    def recipients(self, list_id: int, unsubscribed: bool | None = None) -> list[ListRecipientRow]:
        """The listrecipient rows of a list (pages of 1,000). They carry no e-mail."""
        filters: dict[str, Any] = {"ContactsList": list_id}
        if unsubscribed is not None:
            filters["Unsub"] = _bool(unsubscribed)
        what = Op("list_members", {"list_id": list_id})
        return [_recipient_row(row) for row in self._pages("listrecipient", what, filters)]

    def all_unsubscribed(self, max_calls: int) -> dict[int, list[ListRecipientRow]] | None:
        """The unsubscribed rows of every list of the account, by list id: one count, then
        pages of 1,000 filtered by ``Unsub`` alone. None (after the count) when the read
        would take more than ``max_calls`` calls. Rows are kept only when they say
        ``IsUnsubscribed`` themselves, so a filter Mailjet ignored costs pages, not truth."""
        filters: dict[str, Any] = {"Unsub": "true"}
        what = Op("all_unsubscribed")
        count = self._count("listrecipient", what, dict(filters, countOnly=1))
        if 1 + math.ceil(count / PAGE_SIZE) > max_calls:
            return None
        by_list: dict[int, list[ListRecipientRow]] = {}
        for row in self._pages("listrecipient", what, filters):
            list_id = _int_or_none(row.get("ListID") or row.get("ContactsList"))
            if list_id is None or not row.get("IsUnsubscribed"):
                continue
            by_list.setdefault(list_id, []).append(_recipient_row(row))
        return by_list

    def contacts(self, list_id: int, excluded: bool | None = None) -> list[ContactRow]:
        """The contacts of a list with their e-mail (pages of 1,000)."""
        filters: dict[str, Any] = {"ContactsList": list_id}
        if excluded is not None:
            filters["IsExcludedFromCampaigns"] = _bool(excluded)
        what = Op("list_contacts", {"list_id": list_id})
        return [_contact_row(row) for row in self._pages("contact", what, filters)]

    def excluded_contacts(self) -> list[ContactRow]:
        """Every contact of the account excluded from marketing (pages of 1,000)."""
        filters = {"IsExcludedFromCampaigns": "true"}
        return [_contact_row(row) for row in self._pages("contact", Op("excluded"), filters)]

    @property
    def page_size(self) -> int:
        """Rows per page of a paged read (Mailjet's maximum ``Limit``)."""
        return PAGE_SIZE

    def contact(self, contact_id: int) -> ContactRow:
        """One contact by id (one call; counted in ``single_contact_reads``)."""
        self.single_contact_reads += 1
        body = self._get("contact", Op("contact", {"contact_id": contact_id}), id=contact_id)
        return _contact_row(self._first(body))

    def signups(self, list_id: int, since: Any = None) -> list[Signup]:
        """Widget signups of a list, those confirmed from ``since`` (a ``ConfirmAt``
        value) on. Without ``since`` every signup, pending double opt-in ones (no
        ``ConfirmAt`` yet) included; the engine ignores those until they are confirmed."""
        filters: dict[str, Any] = {"ContactsList": list_id}
        if since not in (None, ""):
            filters["MinConfirmAt"] = since
        rows = self._pages("contactslistsignup", Op("signups", {"list_id": list_id}), filters)
        return self._noted([_signup(row) for row in rows])

    def _noted(self, signups: list[Signup]) -> list[Signup]:
        self._signup_contacts.update(s.contact_id for s in signups if s.contact_id)
        return signups

    def count_contacts(self) -> int:
        """Contacts of the whole account (one countOnly call, once per gateway)."""
        if self._contact_count is None:
            self._contact_count = self._count("contact", Op("contact_emails"), {"countOnly": 1})
        return self._contact_count

    def contact_emails(self) -> dict[int, str]:
        """Contact id → address of every contact of the account, read once per gateway
        (pages of 1,000): cheaper than one call per contact when many are unknown."""
        if self._contact_emails is None:
            emails, names, wanted = {}, {}, frozenset(self._signup_contacts)
            for row in self._pages("contact", Op("contact_emails")):
                contact_id = int(row["ID"])
                emails[contact_id] = str(row.get("Email") or "")
                if row.get("Name") and contact_id in wanted:
                    names[contact_id] = str(row["Name"])
            self._contact_emails, self._contact_names = emails, names
            self._names_kept = wanted
        return self._contact_emails

    def contact_name_if_read(self, contact_id: int) -> str | None:
        """The contact's name from the run's read of every contact (``contact_emails``),
        "" when it has none; None when that read was not made, does not know the id, or
        kept no name for it (it keeps those of the signups read before it)."""
        if self._contact_emails is None or contact_id not in self._contact_emails:
            return None
        if contact_id not in self._names_kept:
            return None
        return self._contact_names.get(contact_id, "")

    def contact_emails_loaded(self) -> bool:
        return self._contact_emails is not None

    def contact_ids_by_email(self) -> dict[str, int]:
        """``contact_emails`` the other way round: normalised address → contact id."""
        if self._contact_ids is None:
            ids = {}
            for contact_id, email in self.contact_emails().items():
                if email:
                    key = normalize_email(email)
                    # the address itself when it is normal already: one string, not two
                    ids[email if key == email else key] = contact_id
            self._contact_ids = ids
        return self._contact_ids

    def all_signups(self, since: Any = None) -> dict[int, list[Signup]]:
        """Widget signups of every list, by list id, as ``signups`` reads them for one:
        one paged read filtered by time alone instead of one read per list."""
        filters: dict[str, Any] = {}
        if since not in (None, ""):
            filters["MinConfirmAt"] = since
        by_list: dict[int, list[Signup]] = {}
        for row in self._pages("contactslistsignup", Op("all_signups"), filters):
            list_id = _int_or_none(row.get("ListID") or row.get("ContactsList"))
            if list_id is not None:
                by_list.setdefault(list_id, []).append(_signup(row))
        self._noted([signup for rows in by_list.values() for signup in rows])
        return by_list

    def find_contact(self, email: str) -> ContactRow | None:
        """The contact with this address, or None when Mailjet has none."""
        try:
            body = self._get("contact", Op("contact", {"contact_id": email}), id=email)
        except MailjetNotFound:
            return None
        row = self._first(body)
        return _contact_row(row) if row.get("ID") else None

    def delete_contact(self, contact_id: int) -> bool:
        """GDPR erasure: ``DELETE /v4/contacts/{id}``. Mailjet anonymises the contact at once
        and purges it 30 days later. False when Mailjet no longer has the contact.

        The v4 URL is not in mailjet-rest's route table (and its name ``contacts`` is
        refused as a typo of ``contact``), so it is sent with ``Client.api_call``."""
        url = f"{self.api_url}v4/contacts/{int(contact_id)}"
        try:
            self._call(
                Op("delete_contact", {"contact_id": contact_id}),
                lambda: self._client.api_call("DELETE", url),
            )
        except MailjetNotFound:
            return False
        return True

    def list_statistics(self, list_id: int) -> ListStatistics:
        """Lifetime message counters of everything sent to a list (one call)."""
        counters = self._statcounters("List", list_id, Op("list_statistics", {"list_id": list_id}))
        return ListStatistics.from_counters(counters)

    def _statcounters(self, source: str, source_id: int, what: Op) -> dict[str, int]:
        body = self._get(
            "statcounters",
            what,
            filters={
                "CounterSource": source,
                "CounterTiming": "Message",
                "CounterResolution": "Lifetime",
                "SourceId": source_id,
            },
        )
        data = body.get("Data") or [{}]
        return {
            k: int(v)
            for k, v in data[0].items()
            if isinstance(v, (int, float))
            and not isinstance(v, bool)
            and k.endswith(("Count", "Delay"))
        }

    def campaign_statistics(self, list_id: int) -> list[CampaignStatistics]:
        """The sent campaigns of a list and their lifetime counters.

        One paged read of the campaigns plus one ``statcounters`` call per campaign.
        """
        stats = []
        campaigns = self._pages(
            "campaign", Op("list_campaigns", {"list_id": list_id}), {"ContactsList": list_id}
        )
        for row in campaigns:
            campaign_id = int(row["ID"])
            counters = self._statcounters(
                "Campaign", campaign_id, Op("campaign_statistics", {"campaign_id": campaign_id})
            )
            stats.append(
                CampaignStatistics(
                    campaign_id=campaign_id,
                    subject=row.get("Subject", ""),
                    sent_at=parse_timestamp(row.get("SendStartAt") or row.get("CreatedAt")),
                    counters=counters,
                )
            )
        return stats

    def ensure_property_definitions(self, contacts: Sequence[PushContact]) -> None:
        """Create the contact properties (``contactmetadata``, typed) that the contacts
        carry and Mailjet does not define yet. One read per gateway, only when a push
        carries properties; then one call per missing definition."""
        wanted: dict[str, str] = {}
        for contact in contacts:
            for name, value in (contact.properties or {}).items():
                if name not in wanted:
                    wanted[name] = datatype(value)
        if not wanted:
            return
        if self._property_names is None:
            self._property_names = {
                str(row.get("Name", "")).lower()
                for row in self._pages("contactmetadata", Op("properties"))
            }
        for name, kind in sorted(wanted.items()):
            if name.lower() in self._property_names:
                continue
            data = {"Datatype": kind, "Name": name, "NameSpace": "static"}
            self._post("contactmetadata", Op("create_property", {"name": name}), data=data)
            self._property_names.add(name.lower())

    def campaign_messages(self, campaign_id: int, max_calls: int) -> tuple[list[dict], bool]:
        """The messages of one sent campaign with their recipients' addresses
        (``ContactAlt``), at most ``max_calls`` pages of 1,000; returns (rows, complete)."""
        what = Op("campaign_messages", {"campaign_id": campaign_id})
        rows: list[dict] = []
        for page in range(max(0, max_calls)):
            filters = {
                "Campaign": campaign_id,
                "ShowContactAlt": "true",
                "Limit": PAGE_SIZE,
                "Offset": page * PAGE_SIZE,
            }
            data = self._get("message", what, filters=filters).get("Data") or []
            rows.extend(data)
            if len(data) < PAGE_SIZE:
                return rows, True
        return rows, False

    # ------------------------------------------------------------------ writing
    def push(self, list_id: int, action: str, contacts: Sequence[PushContact]) -> PushResult:
        """Send contacts in chunks, then poll every job to its final state.

        All chunks are submitted first, then polled, so Mailjet works on them in
        parallel. A contact Mailjet refused is in ``failed``; a job that applied
        nothing puts its whole chunk in ``job_errors`` and none of it in ``succeeded``
        (a job in ``Error`` that applied most of its chunk is read contact by contact).
        If Mailjet becomes unavailable part-way, the jobs already submitted are still
        polled, the result says so in ``interrupted`` and holds what was confirmed.
        """
        return self.push_many(list_id, [(action, contacts)])[0]

    def push_many(
        self, list_id: int, batches: Sequence[tuple[str, Sequence[PushContact]]]
    ) -> list[PushResult]:
        """``push`` for several actions on one list: every chunk of every batch is
        submitted (in order) before the jobs are polled together, so their waits overlap.
        Once Mailjet is unavailable nothing more is submitted; the later batches come
        back empty with ``interrupted`` set."""
        return self.settle_many([self.submit_many(list_id, batches)])[0]

    def submit_many(
        self, list_id: int, batches: Sequence[tuple[str, Sequence[PushContact]]]
    ) -> Submission:
        """The first half of ``push_many``: submit every chunk, poll nothing. The jobs are
        polled (with those of other lists) by ``settle_many``."""
        for action, _contacts in batches:
            if action not in _BULK_ACTIONS:
                raise ValueError(f"bulk pushes use only {_BULK_ACTIONS}, not {action!r}")
        calls_before = self.calls
        submission = Submission(
            list_id, [PushResult(action=a, submitted=len(c)) for a, c in batches]
        )
        interrupted: MailjetUnavailable | None = None
        try:
            self.ensure_property_definitions([c for _action, cs in batches for c in cs])
        except MailjetUnavailable as exc:
            interrupted = exc
        for (action, contacts), result in zip(batches, submission.results, strict=True):
            if interrupted is not None:
                result.interrupted = interrupted
                continue
            try:
                for start in range(0, len(contacts), self.chunk_size):
                    chunk = list(contacts[start : start + self.chunk_size])
                    submitted = self._submit(list_id, action, chunk, result)
                    submission.jobs.extend((job_id, part, result) for job_id, part in submitted)
            except MailjetUnavailable as exc:
                interrupted = result.interrupted = exc
        submission.calls = self.calls - calls_before
        return submission

    def poll_once(self, submissions: Sequence[Submission]) -> None:
        """The first round of ``settle_many``'s polls, now: the caller does other work
        (starts more lists) before it settles them, and that work is their first wait.
        Mailjet trouble here (but refused credentials) is left for ``settle_many`` to
        meet and report."""
        calls_before = self.calls
        for sub in submissions:
            for job_id, _chunk, _result in sub.jobs:
                what = Op("job_state", {"job_id": job_id})
                try:
                    sub.last[job_id] = self._first(
                        self._get(
                            "contactslist_managemanycontacts",
                            what,
                            id=sub.list_id,
                            action_id=job_id,
                        )
                    )
                except (MailjetUnavailable, MailjetRequestRejected):
                    # settle_many polls again and reports it (a list may have gone)
                    _share_calls(submissions, self.calls - calls_before)
                    return
            sub.polled_at = time.monotonic()
        _share_calls(submissions, self.calls - calls_before)

    def settle_many(self, submissions: Sequence[Submission]) -> list[list[PushResult]]:
        """Poll the jobs of every submission together (one wait between rounds, sized to
        all their contacts), then read each job's outcome; the results of each
        submission, in order. Calls are counted into each submission's ``calls``. When
        ``poll_once`` polled them all before, that was the first round: only what is
        left of its wait is waited."""
        last: dict[int, dict] = {}
        for sub in submissions:
            last.update(sub.last)
        jobs = [
            (sub, job_id, chunk, result)
            for sub in submissions
            for job_id, chunk, result in sub.jobs
        ]
        polled = [
            (sub.list_id, job_id)
            for sub, job_id, _chunk, _result in jobs
            if _job_status(last.get(job_id, {})) not in _FINAL_JOB_STATES
        ]
        primed = [sub.polled_at for sub in submissions if sub.jobs]
        primed_at = max(primed) if primed and None not in primed else None
        calls_before = self.calls
        interrupted: MailjetUnavailable | None = None
        try:
            first_wait = self.polling.first_wait(sum(len(chunk) for _s, _j, chunk, _r in jobs))
            if polled:
                self._poll_jobs(polled, last, first_wait, primed_at)
        except MailjetUnavailable as exc:
            # What was read final still counts; the rest is sent again next run.
            interrupted = exc
            jobs = [j for j in jobs if _job_status(last.get(j[1], {})) in _FINAL_JOB_STATES]
        _share_calls(submissions, self.calls - calls_before)
        for sub, job_id, chunk, result in jobs:
            before = self.calls
            try:
                self._finish_job(sub.list_id, job_id, last[job_id], chunk, result)
            except MailjetUnavailable as exc:
                interrupted = exc
                break
            finally:
                sub.calls += self.calls - before
        if interrupted is not None:
            for sub in submissions:
                for result in sub.results:
                    result.interrupted = result.interrupted or interrupted
        return [sub.results for sub in submissions]

    def _submit(self, list_id, action, chunk, result) -> list[tuple[int, list[PushContact]]]:
        """POST one chunk; if Mailjet refuses the whole request (400), split it in halves
        until the refused contacts are isolated, so one bad address never stops the rest."""
        payload = {
            "Action": action,
            "Contacts": [
                {"Email": c.email, "Name": c.name} if c.name else {"Email": c.email} for c in chunk
            ],
        }
        for contact, row in zip(chunk, payload["Contacts"], strict=True):
            if contact.properties:
                row["Properties"] = {k: json_value(v) for k, v in contact.properties.items()}
        try:
            # A retried POST whose first attempt reached Mailjet creates a second job with
            # the same contacts. That is harmless: addnoforce and unsub are idempotent.
            body = self._post(
                "contactslist_managemanycontacts",
                Op("push", {"action": action, "count": len(chunk), "list_id": list_id}),
                id=list_id,
                data=payload,
            )
        except MailjetNotFound:
            raise
        except MailjetRequestRejected as exc:
            if len(chunk) == 1:
                result.failed.append(ContactError(chunk[0].email, exc.detail))
                return []
            half = len(chunk) // 2
            return self._submit(list_id, action, chunk[:half], result) + self._submit(
                list_id, action, chunk[half:], result
            )
        job_id = int(self._first(body)["JobID"])
        result.job_ids.append(job_id)
        return [(job_id, chunk)]

    def _finish_job(self, list_id, job_id, job: dict, chunk, result: PushResult) -> None:
        """The outcome of one job (``job``: as last polled), contact by contact.

        The error file is read whenever the job names one (or reports an error), whatever
        its status: Mailjet may end a job in ``Error`` although it applied every contact
        but the refused ones. When the file cannot be read or understood, or the job
        failed without one, the list itself is read back to see what was applied.
        """
        status = str(job.get("Status", "")).lower()
        params = {"job_id": job_id, "action": result.action, "count": len(chunk)}
        if status not in _FINAL_JOB_STATES:
            result.job_errors.append(Note("job_unfinished", params))
            return
        refused: dict[str, str] | None = {}
        if job.get("ErrorFile") or job.get("Error") or status in _JOB_ERROR_STATES:
            refused = self._job_contact_errors(job_id, str(job.get("Error") or ""), job)
            if not refused:
                # Errors reported, but the file is unreadable, absent or names nobody:
                # the list itself tells what was applied.
                self._establish_from_list(list_id, job, chunk, result, params)
                return
        for contact in chunk:
            if contact.email in refused:
                result.failed.append(ContactError(contact.email, refused[contact.email]))
            else:
                result.succeeded.append(contact)

    def _establish_from_list(self, list_id, job, chunk, result: PushResult, params) -> None:
        """What a job applied, read back from the list (see ``_applied`` for the cost). A
        contact found as the action wanted succeeded; when Mailjet applied part of the
        chunk, the others were refused; when it applied none, the job failed and the
        chunk is sent again next run; a contact whose state stays unknown is sent again
        next run too."""
        applied, unknown = self._applied(list_id, result.action, chunk)
        detail = str(job.get("Error") or job.get("Status") or "")
        if not applied:
            params = dict(params, detail=detail or "error")
            result.job_errors.append(Note("job_failed", params))
            return
        for contact in chunk:
            if contact.email in applied:
                result.succeeded.append(contact)
            elif contact.email not in unknown:
                result.failed.append(ContactError(contact.email, detail or "not applied"))
        if unknown:
            params = dict(params, count=len(unknown))
            result.job_errors.append(Note("job_unconfirmed", params))

    def _applied(self, list_id, action, chunk) -> tuple[set[str], set[str]]:
        """(addresses of the chunk the list shows as the action wanted, addresses whose
        state could not be established).

        listrecipient rows carry no address, so the list's contacts are read too (one
        call per 1,000 members each). Mailjet may leave unsubscribed members out of the
        contacts; an address of the chunk not found there is then looked up on its own
        (``listrecipient?ContactEmail=``, one call each) when there are few such
        addresses, else its outcome stays unknown.
        """
        rows = {r.contact_id: r for r in self.recipients(list_id)}
        email_of = {c.id: c.email.strip().lower() for c in self.contacts(list_id)}
        state = {email_of[cid]: row.unsubscribed for cid, row in rows.items() if cid in email_of}
        hidden = len(rows) - len(state)
        missing = [c.email for c in chunk if c.email not in state]
        unknown: set[str] = set()
        if hidden and missing:
            if len(missing) <= max(10, -(-len(rows) // PAGE_SIZE)):
                for email in missing:
                    found = self._recipient_of(list_id, email)
                    if found is not None:
                        state[email] = found
            else:
                unknown = set(missing)
        applied = {
            c.email for c in chunk if c.email in state and (action != UNSUB or state[c.email])
        }
        return applied, unknown - applied

    def _recipient_of(self, list_id: int, email: str) -> bool | None:
        """Whether ``email`` is an unsubscribed (True) or subscribed (False) member of the
        list, or None when it is not a member (one call)."""
        body = self._get(
            "listrecipient",
            Op("list_members", {"list_id": list_id}),
            filters={"ContactsList": list_id, "ContactEmail": email},
        )
        rows = body.get("Data") or []
        return bool(rows[0].get("IsUnsubscribed")) if rows else None

    def _poll_jobs(
        self,
        jobs: Sequence[tuple[int, int]],
        last: dict[int, dict],
        first_wait: float | None = None,
        primed_at: float | None = None,
    ) -> None:
        """Poll the jobs (``(list id, job id)``) in turn until each is final (or the polling
        policy gives up): one wait between rounds, whatever the number of jobs. ``last``
        receives each job as last read (also when a ``MailjetUnavailable`` stops it).
        ``primed_at``: when they were polled the first time (``poll_once``); this goes
        on with the second round, after what is left of the first wait."""
        polling = self.polling
        pending = list(jobs)
        wait = polling.initial_wait if first_wait is None else first_wait
        started, first = time.monotonic(), 1
        if primed_at is not None:
            started, first = primed_at, 2
            left = min(polling.max_wait, wait) - (time.monotonic() - primed_at)
            if left > 0:
                self._sleep(left)
        for attempt in range(first, polling.max_polls + 1):
            still = []
            for list_id, job_id in pending:
                last[job_id] = self._first(
                    self._get(
                        "contactslist_managemanycontacts",
                        Op("job_state", {"job_id": job_id}),
                        id=list_id,
                        action_id=job_id,
                    )
                )
                if _job_status(last[job_id]) not in _FINAL_JOB_STATES:
                    still.append((list_id, job_id))
            pending = still
            if not pending or time.monotonic() - started >= polling.timeout:
                return
            if attempt < polling.max_polls:
                self._sleep(min(polling.max_wait, wait * 2 ** (attempt - 1)))

    def _job_contact_errors(self, job_id: int, summary: str, job: dict) -> dict[str, str] | None:
        """E-mail → reason, from the job's error file (``ErrorFile``, a path under
        ``<api_url>v3/``, by default ``DATA/batchjob/{id}/JSONError/application:json/LAST``).
        None when the file cannot be read or understood."""
        path = str(job.get("ErrorFile") or "").lstrip("/")
        if path.startswith(("http://", "https://")):
            url = path
        elif path:
            url = f"{self.api_url}v3/{path.removeprefix('v3/')}"
        else:
            url = f"{self.api_url}v3/DATA/batchjob/{job_id}/JSONError/application:json/LAST"
        what = Op("job_errors", {"job_id": job_id})
        try:
            text = self._call_raw(what, lambda: self._client.api_call("GET", url))
        except (MailjetRequestRejected, MailjetNotFound, MailjetUnavailable):
            return None
        return _parse_contact_errors(text, summary)

    def register_event_callbacks(
        self, url: str, event_types: Iterable[str], version: int = 2
    ) -> list[int]:
        """Point Mailjet's Event API (``eventcallbackurl``) at ``url`` for these events.

        One registration per event type (the non-backup one): created, or updated when
        it exists. The URL carries the webhook's own credentials, never the API secret;
        it is not put into messages or logs. Returns the registration ids.
        """
        existing = {
            str(row.get("EventType", "")).lower(): row
            for row in self._pages("eventcallbackurl", Op("event_callbacks"))
            if not row.get("IsBackup")
        }
        ids = []
        for event_type in event_types:
            data = {
                "EventType": event_type,
                "Url": url,
                "Version": version,
                "IsBackup": False,
                "Status": "alive",
            }
            row = existing.get(event_type.lower())
            what = Op("event_callback", {"event_type": event_type})
            if row:
                self._put("eventcallbackurl", what, row["ID"], data)
                ids.append(int(row["ID"]))
            else:
                ids.append(int(self._first(self._post("eventcallbackurl", what, data=data))["ID"]))
        return ids

    def event_callback_status(self, url: str, event_types: Iterable[str]) -> str:
        """How Mailjet holds this webhook (one call): ``"none"`` when no registration of
        these event types points at ``url``, ``"dead"`` when Mailjet suspended one of
        them (it then posts nothing until the URL changes), else ``"alive"``."""
        wanted = {e.lower() for e in event_types}
        rows = [
            row
            for row in self._get(
                "eventcallbackurl", Op("event_callbacks"), filters={"Limit": 100}
            ).get("Data", [])
            if not row.get("IsBackup")
            and str(row.get("EventType", "")).lower() in wanted
            and row.get("Url") == url
        ]
        if not rows:
            return "none"
        if any(str(row.get("Status", "")).lower() == "dead" for row in rows):
            return "dead"
        return "alive"

    def resubscribe_with_consent(self, list_id: int, email: str, name: str = "") -> int:
        """Re-subscribe one contact that gave consent (``addforce``).

        This is the only call of the engine that can re-subscribe an unsubscribed
        contact; the sync never uses it. Returns the Mailjet contact id.
        """
        data = {"Email": email, "Action": ADD_FORCE}
        if name:
            data["Name"] = name
        body = self._post(
            "contactslist_managecontact", Op("resubscribe", {"email": email}), id=list_id, data=data
        )
        return int(self._first(body).get("ContactID") or 0)

    # ------------------------------------------------------------------ plumbing
    def _get(self, endpoint: str, what: Op, **kwargs: Any) -> dict:
        return self._call(what, lambda: getattr(self._client, endpoint).get(**kwargs))

    def _post(self, endpoint: str, what: Op, **kwargs: Any) -> dict:
        headers = _operation_key()
        return self._call(
            what, lambda: getattr(self._client, endpoint).create(headers=headers, **kwargs)
        )

    def _put(self, endpoint: str, what: Op, record_id: Any, data: dict) -> dict:
        headers = _operation_key()
        resource = getattr(self._client, endpoint)
        return self._call(what, lambda: resource.update(id=record_id, data=data, headers=headers))

    def _count(self, endpoint: str, what: Op, filters: dict[str, Any]) -> int:
        body = self._get(endpoint, what, filters=filters)
        return int(body.get("Count") or 0)

    def _pages(
        self, endpoint: str, what: Op, filters: dict[str, Any] | None = None
    ) -> Iterator[dict]:
        """All rows of a collection, ``Limit=1000`` per call, until a short page."""
        offset = 0
        while True:
            page_filters = dict(filters or {}, Limit=PAGE_SIZE, Offset=offset)
            body = self._get(endpoint, what, filters=page_filters)
            rows = body.get("Data") or []
            yield from rows
            if len(rows) < PAGE_SIZE:
                return
            offset += PAGE_SIZE

    @staticmethod
    def _first(body: dict) -> dict:
        data = body.get("Data") or [{}]
        return data[0]

    def _call_raw(self, what: Op, send: Callable[[], requests.Response]) -> str:
        """Like ``_call``, for an answer that need not be JSON: its text."""
        return self._call(what, send, lambda response: response.text)

    def _call(
        self,
        what: Op,
        send: Callable[[], requests.Response],
        read: Callable[[requests.Response], Any] | None = None,
    ) -> Any:
        """One API call, retried on transient failures, mapped to the engine's errors."""
        policy = self.retry

        def attempt() -> Any:
            self.calls += 1
            response = send()
            if read is not None:
                return read(response)
            if response.status_code == 304 or not response.content:
                return {}
            return response.json()

        retrying = Retrying(
            retry=retry_if_exception(_is_transient),
            stop=stop_after_attempt(policy.attempts),
            wait=wait_exponential(multiplier=policy.initial_wait, max=policy.max_wait)
            + wait_random(0, policy.jitter),
            sleep=self._sleep,
            before_sleep=lambda state: _log_retry(what, state, policy.attempts),
            reraise=True,
        )
        try:
            return retrying(attempt)
        except MailjetAuthError as exc:
            raise MailjetAuthFailed(exc.status_code or 401) from None
        except DoesNotExistError:
            raise MailjetNotFound(what) from None
        except (MailjetApiError, ApiError, requests.JSONDecodeError) as exc:
            if isinstance(exc, requests.JSONDecodeError) or _is_transient(exc):
                raise MailjetUnavailable(
                    what, attempts=policy.attempts, cause=_cause(exc), status=_status(exc)
                ) from exc
            raise MailjetRequestRejected(what, _mailjet_message(exc), _status(exc) or 400) from exc


# ---------------------------------------------------------------------- helpers
def _operation_key() -> dict[str, str]:
    """The ``Idempotency-Key`` of one operation, the same for each of its retries.

    mailjet-rest would otherwise send a SHA-256 of the whole payload, computed with a
    deep copy of it on every attempt (1.8 s of a profiled 100,000-contact initial sync), and
    two different operations with the same payload (a push sent again on a later night)
    would share a key: were Mailjet ever to honour the header, it would drop the second.
    Mailjet documents no such header, so today it is ignored either way."""
    return {"Idempotency-Key": uuid.uuid4().hex}


def _is_transient(exc: BaseException) -> bool:
    """429, 5xx, timeouts and dropped connections are worth another try."""
    if isinstance(exc, (ApiRateLimitError, MailjetNetworkError)):
        return True
    if isinstance(exc, (MailjetAuthError, DoesNotExistError)):
        return False
    if isinstance(exc, ApiError):
        status = _status(exc)
        # mailjet-rest raises a bare ApiError for 5xx (and, over https, after its own
        # retries, without any status): both mean "try again later".
        return status is None or status == 429 or status >= 500
    return False


def _status(exc: BaseException) -> int | None:
    status = getattr(exc, "status_code", None)
    if status:
        return int(status)
    response = getattr(exc.__cause__, "response", None)
    return getattr(response, "status_code", None)


def _cause(exc: BaseException) -> str:
    """Why Mailjet counts as unavailable, as one of ``notes.CAUSES``."""
    status = _status(exc)
    if status == 429:
        return "rate_limit"
    if status:
        return "http_status"
    if isinstance(exc, MailjetNetworkError):
        return "timeout" if "timed out" in str(exc).lower() else "connection_failed"
    if isinstance(exc, requests.JSONDecodeError):
        return "unreadable_answer"
    return "no_answer"


def _mailjet_message(exc: BaseException) -> str:
    body = getattr(exc, "response_body", "") or ""
    try:
        message = json.loads(body).get("ErrorMessage") or body
    except (ValueError, AttributeError):
        message = body or str(exc)
    return str(message)[:500]


def _log_retry(what: Op, state: RetryCallState, attempts: int) -> None:
    exc = state.outcome.exception() if state.outcome else None
    wait = state.next_action.sleep if state.next_action else 0.0
    _log.warning(
        "Mailjet: %s failed (%s); attempt %d of %d, retrying in %.1f s",
        what,
        _cause(exc) if exc else "?",
        state.attempt_number,
        attempts,
        wait,
    )


def _parse_contact_errors(text: Any, summary: str) -> dict[str, str] | None:
    """Tolerant reader of a job's error file (JSON list, ``{"Data": [...]}`` or CSV with
    a header): e-mail → reason. None when no refused address can be made out."""
    body = text
    if isinstance(text, (str, bytes)):
        try:
            body = json.loads(text)
        except ValueError:
            return _parse_csv_errors(str(text), summary)
    rows = body
    if isinstance(body, dict):
        rows = body.get("Data") or body.get("Errors") or body.get("errors") or []
    found: dict[str, str] = {}
    for row in rows if isinstance(rows, list) else []:
        if not isinstance(row, dict):
            continue
        email = _pick(row, "Email", "email", "ContactAlt", "ContactALT", "Contact", "contact")
        if isinstance(email, dict):
            email = _pick(email, "Email", "email")
        reason = _pick(row, "Error", "error", "ErrorMessage", "Message", "message", "Reason")
        if email:
            found[str(email).strip().lower()] = str(reason or summary or "refused by Mailjet")
    return found or None


def _parse_csv_errors(text: str, summary: str) -> dict[str, str] | None:
    """A CSV error file: the column whose header names an e-mail, and the error column."""
    try:
        rows = list(csv.reader(io.StringIO(text.strip())))
    except csv.Error:
        return None
    if len(rows) < 2:
        return None
    header = [h.strip().lower() for h in rows[0]]
    email_col = next((i for i, h in enumerate(header) if "email" in h or h == "contact"), None)
    error_col = next(
        (i for i, h in enumerate(header) if h in ("error", "errors", "reason", "message")), None
    )
    if email_col is None:
        return None
    found = {}
    for row in rows[1:]:
        if len(row) > email_col and "@" in row[email_col]:
            reason = row[error_col] if error_col is not None and len(row) > error_col else ""
            found[row[email_col].strip().lower()] = reason or summary or "refused by Mailjet"
    return found or None


def _pick(row: dict, *names: str) -> Any:
    for name in names:
        if row.get(name):
            return row[name]
    return None


def _job_status(job: dict) -> str:
    return str(job.get("Status", "")).lower()


def _signup(row: dict) -> Signup:
    confirm_at = parse_timestamp(row.get("ConfirmAt") or None)
    if confirm_at is not None and confirm_at.year <= 1970:
        confirm_at = None  # Mailjet's "not confirmed yet"
    return Signup(
        email=row.get("Email", ""),
        contact_id=_int_or_none(row.get("ContactID") or row.get("Contact")),
        signup_at=parse_timestamp(row.get("SignupAt")),
        raw_signup_at=row.get("SignupAt"),
        id=_int_or_none(row.get("ID")),
        confirmed=confirm_at is not None,
        confirm_at=confirm_at,
        raw_confirm_at=row.get("ConfirmAt") if confirm_at else None,
        signup_ip=str(row.get("SignupIp") or ""),
        confirm_ip=str(row.get("ConfirmIp") or "") if confirm_at else "",
    )


def _recipient_row(row: dict) -> ListRecipientRow:
    return ListRecipientRow(
        contact_id=int(row["ContactID"]),
        unsubscribed=bool(row.get("IsUnsubscribed")),
        subscribed_at=parse_timestamp(row.get("SubscribedAt")),
        unsubscribed_at=parse_timestamp(row.get("UnsubscribedAt")),
        active=row.get("IsActive", True) is not False,
    )


def _contact_row(row: dict) -> ContactRow:
    return ContactRow(
        id=int(row["ID"]),
        email=str(row.get("Email", "")),
        name=str(row.get("Name") or ""),
        excluded=bool(row.get("IsExcludedFromCampaigns")),
    )


def _bool(value: bool) -> str:
    return "true" if value else "false"


def _int_or_none(value: Any) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def _mask(key: str) -> str:
    return f"{key[:4]}…" if len(key) > 4 else "…"
