"""In-memory stand-ins for both sides of the engine, for the plain tests.

* ``InMemoryParticipants`` implements ``sync.ParticipantStore`` over a dict.
* ``InMemoryMailjet`` implements ``sync.MailjetPort`` over a model of Mailjet's
  subscription state machine per (address, list)::

      absent --addnoforce/addforce--> subscribed --unsub--> unsubscribed
      unsubscribed --addnoforce--> unsubscribed (unchanged)
      unsubscribed --addforce--> subscribed
      absent --unsub--> unsubscribed
      any --remove--> absent

  It counts calls like the real API would be charged (one per count, one per page of
  1,000, one per bulk chunk and one per job poll) and logs every action applied.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from ems_mailjet.services.emails import extract_email, is_valid_email, normalize_email
from ems_mailjet.services.errors import MailjetNotFound
from ems_mailjet.services.gateway import ContactRow, ListRecipientRow, PushResult
from ems_mailjet.services.matching import EmployeeRecord, PartnerRecord
from ems_mailjet.services.notes import Op
from ems_mailjet.services.records import (
    ACCEPTED,
    DECLINED,
    Checkpoint,
    ContactError,
    Decline,
    Key,
    NewParticipant,
    Participant,
    PushContact,
    Signup,
)

__all__ = ["InMemoryMailjet", "InMemoryParticipants"]

EPOCH = datetime(2026, 1, 1, tzinfo=timezone.utc)


# ---------------------------------------------------------------------- ERP side
@dataclass
class StoredParticipant:
    key: int
    email: str
    name: str = ""
    state: str = ACCEPTED
    declined_at: datetime | None = None
    synced_state: str | None = None
    mailjet_contact_id: int | None = None
    excluded: bool = False
    source: str = "erp"
    match_kind: str | None = None
    match_id: int | None = None
    ambiguous: bool = False
    decline_reason: str = ""
    suppressed: bool = False
    signup_ip: str = ""
    confirm_ip: str = ""
    confirmed_at: datetime | None = None
    refused_email: str = ""
    refused_reason: str = ""

    def snapshot(self) -> Participant:
        return Participant(
            key=self.key,
            email=self.email,
            name=self.name,
            state=self.state,
            declined_at=self.declined_at,
            synced_state=self.synced_state,
            mailjet_contact_id=self.mailjet_contact_id,
            excluded=self.excluded,
            suppressed=self.suppressed,
            refused_email=self.refused_email,
        )


class InMemoryParticipants:
    """One campaign's participants in a dict; ``writes`` counts changes made by the sync."""

    def __init__(
        self,
        employees: Iterable[EmployeeRecord] = (),
        partners: Iterable[PartnerRecord] = (),
    ) -> None:
        self.rows: dict[int, StoredParticipant] = {}
        self.employees = list(employees)
        self.partners = list(partners)
        self.checkpoint: Checkpoint | None = None
        self.writes = 0
        self._keys = itertools.count(1)

    # -- what a user does in the ERP
    def add(self, email: str, name: str = "", state: str = ACCEPTED) -> int:
        """Add a participant by hand; an address already there is not added twice."""
        email = normalize_email(email)
        existing = self.find(email)
        if existing is not None:
            return existing.key
        key = next(self._keys)
        self.rows[key] = StoredParticipant(
            key=key,
            email=email,
            name=name,
            state=state,
            declined_at=EPOCH if state == DECLINED else None,
        )
        return key

    def set_state(self, key: int, state: str) -> None:
        """A user switches a participant between accepted and declined."""
        row = self.rows[key]
        row.state = state
        row.declined_at = EPOCH if state == DECLINED else None

    def find(self, email: str) -> StoredParticipant | None:
        email = normalize_email(email)
        return next((r for r in self.rows.values() if r.email == email), None)

    # -- ParticipantStore
    def maps_properties(self) -> bool:
        """This double keeps no contact properties."""
        return False

    def participants(self) -> list[Participant]:
        return [row.snapshot() for row in self.rows.values()]

    def get_checkpoint(self) -> Checkpoint | None:
        return self.checkpoint

    def set_checkpoint(self, checkpoint: Checkpoint) -> None:
        if checkpoint != self.checkpoint:
            self.checkpoint = checkpoint
            self.writes += 1

    def decline(self, declines: Sequence[Decline]) -> None:
        for d in declines:
            row = self.rows[d.key]
            if row.state != DECLINED:
                row.state = DECLINED
                row.declined_at = d.when or EPOCH
                row.decline_reason = d.reason
                self.writes += 1

    def add_participants(self, new: Sequence[NewParticipant]) -> dict[str, Key]:
        created = {}
        for n in new:
            if self.find(n.email) is not None:
                continue
            key = next(self._keys)
            created[normalize_email(n.email)] = key
            self.rows[key] = StoredParticipant(
                key=key,
                email=normalize_email(n.email),
                name=n.name,
                state=n.state,
                declined_at=n.declined_at if n.state == DECLINED else None,
                synced_state=n.state,
                mailjet_contact_id=n.contact_id,
                excluded=n.excluded,
                source="mailjet",
                match_kind=n.match_kind,
                match_id=n.match_id,
                ambiguous=n.ambiguous,
                signup_ip=n.signup_ip,
                confirm_ip=n.confirm_ip,
                confirmed_at=n.confirmed_at,
            )
            self.writes += 1
        return created

    def erased_in_mailjet(self, erased: Mapping[Key, str]) -> None:
        for key in erased:
            self._set(key, "suppressed", True)

    def mark_synced(self, states: Mapping[Key, str]) -> None:
        for key, state in states.items():
            self._set(key, "synced_state", state)

    def set_contact_ids(self, ids: Mapping[Key, int]) -> None:
        for key, contact_id in ids.items():
            self._set(key, "mailjet_contact_id", contact_id)

    def set_exclusions(self, flags: Mapping[Key, bool]) -> None:
        for key, flag in flags.items():
            self._set(key, "excluded", flag)

    def mark_refused(self, refusals: Mapping[Key, tuple[str, str]]) -> None:
        for key, (email, reason) in refusals.items():
            self._set(key, "refused_email", email)
            self.rows[key].refused_reason = reason

    def try_again(self, key: int) -> None:
        """A user asks to send a refused address again."""
        self.rows[key].refused_email = ""

    def match_records(
        self, emails: Collection[str]
    ) -> tuple[list[EmployeeRecord], list[PartnerRecord]]:
        wanted = set(emails)
        employees = [
            e
            for e in self.employees
            if {extract_email(e.work_email), extract_email(e.private_email)} & wanted
        ]
        partners = [p for p in self.partners if extract_email(p.email) in wanted]
        return employees, partners

    def _set(self, key: Key, attribute: str, value: Any) -> None:
        row = self.rows[key]
        if getattr(row, attribute) != value:
            setattr(row, attribute, value)
            self.writes += 1


# ---------------------------------------------------------------------- Mailjet side
@dataclass
class _Member:
    unsubscribed: bool
    subscribed_at: datetime
    unsubscribed_at: datetime | None = None


@dataclass
class _Contact:
    id: int
    email: str
    name: str = ""
    excluded: bool = False


@dataclass
class InMemoryMailjet:
    """Mailjet's lists, contacts and signups, with the subscription state machine."""

    chunk_size: int = 5000
    polls_per_job: int = 1
    page_size: int = 1000
    calls: int = 0
    writes: int = 0  # bulk chunks submitted
    actions: list[tuple[str, int, str]] = field(default_factory=list)  # every change
    pushed: list[tuple[str, int, str]] = field(default_factory=list)  # by bulk pushes
    refuse: set[str] = field(default_factory=set)  # addresses a job reports as errors
    contacts_by_email: dict[str, _Contact] = field(default_factory=dict)
    members: dict[int, dict[str, _Member]] = field(default_factory=dict)
    signup_rows: dict[int, list[Signup]] = field(default_factory=dict)
    now: datetime = EPOCH

    _ids: Any = field(default_factory=lambda: itertools.count(1000001))

    # -- what happens in Mailjet without the ERP
    def tick(self, seconds: int = 1) -> None:
        self.now += timedelta(seconds=seconds)

    def apply(self, list_id: int, email: str, action: str, name: str = "") -> None:
        """One subscription action on (address, list) — the state machine."""
        email = normalize_email(email)
        self.actions.append((action, list_id, email))
        contact = self._contact(email, name)
        members = self.members.setdefault(list_id, {})
        member = members.get(contact.email)
        if action == "remove":
            members.pop(contact.email, None)
        elif member is None:
            unsub = action == "unsub"
            members[contact.email] = _Member(unsub, self.now, self.now if unsub else None)
        elif action == "addforce" and member.unsubscribed:
            members[contact.email] = _Member(False, self.now)
        elif action == "unsub" and not member.unsubscribed:
            member.unsubscribed, member.unsubscribed_at = True, self.now
        elif action not in ("addforce", "addnoforce", "unsub"):
            raise ValueError(action)

    def signup(self, list_id: int, email: str, name: str = "") -> None:
        """A widget signup: subscribes (even an unsubscribed member) and writes a row."""
        self.apply(list_id, email, "addforce", name)
        contact = self.contacts_by_email[normalize_email(email)]
        rows = self.signup_rows.setdefault(list_id, [])
        rows.append(
            Signup(
                email=contact.email,
                contact_id=contact.id,
                signup_at=self.now,
                raw_signup_at=self.now.isoformat(),
                id=len(rows) + 1,
            )
        )

    def unsubscribe(self, list_id: int, email: str) -> None:
        """The recipient clicks the unsubscribe link."""
        if normalize_email(email) in self.members.get(list_id, {}):
            self.apply(list_id, email, "unsub")

    def exclude(self, email: str, excluded: bool = True) -> None:
        self._contact(normalize_email(email)).excluded = excluded

    def state_of(self, list_id: int, email: str) -> str:
        member = self.members.get(list_id, {}).get(normalize_email(email))
        if member is None:
            return "absent"
        return "unsubscribed" if member.unsubscribed else "subscribed"

    def _contact(self, email: str, name: str = "") -> _Contact:
        contact = self.contacts_by_email.get(email)
        if contact is None:
            contact = _Contact(next(self._ids), email, name)
            self.contacts_by_email[email] = contact
        elif name:
            contact.name = name
        return contact

    # -- MailjetPort
    def count_members(self, list_id: int, unsubscribed: bool | None = None) -> int:
        self.calls += 1
        return len(self._members(list_id, unsubscribed))

    def count_excluded(self, list_id: int) -> int:
        self.calls += 1
        return sum(1 for c in self._list_contacts(list_id) if c.excluded)

    def recipients(self, list_id: int, unsubscribed: bool | None = None) -> list[ListRecipientRow]:
        rows = [
            ListRecipientRow(
                contact_id=self.contacts_by_email[email].id,
                unsubscribed=m.unsubscribed,
                subscribed_at=m.subscribed_at,
                unsubscribed_at=m.unsubscribed_at,
            )
            for email, m in self._members(list_id, unsubscribed).items()
        ]
        self._charge_pages(len(rows))
        return rows

    def excluded_contacts(self) -> list[ContactRow]:
        rows = [
            ContactRow(c.id, c.email, c.name, c.excluded)
            for c in self.contacts_by_email.values()
            if c.excluded
        ]
        self._charge_pages(len(rows))
        return rows

    def contacts(self, list_id: int, excluded: bool | None = None) -> list[ContactRow]:
        rows = [
            ContactRow(c.id, c.email, c.name, c.excluded)
            for c in self._list_contacts(list_id)
            if excluded is None or c.excluded == excluded
        ]
        self._charge_pages(len(rows))
        return rows

    def contact(self, contact_id: int) -> ContactRow:
        self.calls += 1
        for c in self.contacts_by_email.values():
            if c.id == contact_id:
                return ContactRow(c.id, c.email, c.name, c.excluded)
        raise MailjetNotFound(Op("contact", {"contact_id": contact_id}))

    def find_contact(self, email: str) -> ContactRow | None:
        self.calls += 1
        c = self.contacts_by_email.get(normalize_email(email))
        return ContactRow(c.id, c.email, c.name, c.excluded) if c else None

    def signups(self, list_id: int, since: Any = None) -> list[Signup]:
        rows = list(self.signup_rows.get(list_id, []))
        if since:
            floor = datetime.fromisoformat(since)
            rows = [s for s in rows if s.signup_at and s.signup_at >= floor]
        self._charge_pages(len(rows))
        return rows

    def push(self, list_id: int, action: str, contacts: Sequence[PushContact]) -> PushResult:
        if action not in ("addnoforce", "unsub"):
            raise ValueError(action)
        result = PushResult(action=action, submitted=len(contacts))
        for start in range(0, len(contacts), self.chunk_size):
            self.calls += 1 + self.polls_per_job
            self.writes += 1
            for c in contacts[start : start + self.chunk_size]:
                if c.email in self.refuse or not is_valid_email(c.email):
                    result.failed.append(ContactError(c.email, "refused by Mailjet"))
                    continue
                self.apply(list_id, c.email, action, c.name)
                self.pushed.append((action, list_id, c.email))
                result.succeeded.append(c)
        return result

    # -- helpers
    def _members(self, list_id: int, unsubscribed: bool | None) -> dict[str, _Member]:
        return {
            email: m
            for email, m in self.members.get(list_id, {}).items()
            if unsubscribed is None or m.unsubscribed == unsubscribed
        }

    def _list_contacts(self, list_id: int) -> list[_Contact]:
        return [self.contacts_by_email[e] for e in self.members.get(list_id, {})]

    def _charge_pages(self, rows: int) -> None:
        self.calls += max(1, math.ceil(rows / self.page_size))

    def snapshot(self, list_id: int) -> dict[str, tuple[str, bool]]:
        """Address → (state, excluded), for comparing before/after."""
        return {
            email: (self.state_of(list_id, email), self.contacts_by_email[email].excluded)
            for email in self.members.get(list_id, {})
        }
