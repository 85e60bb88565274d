"""Plain value objects passed between the ERP side, the engine and Mailjet.

No behaviour lives here; the rules are in ``reconcile.py``.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Literal

from .notes import Note

__all__ = [
    "ACCEPTED",
    "DECLINED",
    "Checkpoint",
    "ContactError",
    "Decline",
    "MailjetView",
    "NewParticipant",
    "Participant",
    "Plan",
    "PushContact",
    "Recipient",
    "Signup",
    "external_id",
    "is_erased_contact",
    "parse_timestamp",
    "stored_id",
]

ACCEPTED = "accepted"
DECLINED = "declined"
State = Literal["accepted", "declined"]
Key = Hashable


@dataclass(frozen=True)
class Participant:
    """One participant of a campaign as the ERP has it (a snapshot, read-only).

    ``synced_state`` is the state Mailjet last confirmed for this participant: ``None``
    (never confirmed), ``"accepted"`` (subscribed there) or ``"declined"`` (unsubscribed
    there). A participant whose ``state`` equals its ``synced_state`` needs no push.
    """

    key: Key
    email: str
    name: str = ""
    state: State = ACCEPTED
    declined_at: datetime | None = None
    synced_state: State | None = None
    mailjet_contact_id: int | None = None
    excluded: bool = False
    suppressed: bool = False  # the address was erased: never sent to Mailjet again
    refused_email: str = ""  # the address Mailjet last refused; not sent again as is
    # Why the address must not be pushed as subscribed: "hard_bounce" (it bounced
    # permanently), "blacklisted" (on the ERP's blacklist), or "" (nothing against it).
    push_blocked: str = ""
    # Contact properties (Mailjet name → typed value) when the interface maps any, and
    # the fingerprint of the values Mailjet last confirmed.
    properties: Mapping[str, Any] | None = field(default=None, compare=False)
    properties_synced: str = ""


def evolve(record: Any, **changes: Any) -> Any:
    """``dataclasses.replace`` for a ``Participant`` or a ``PushContact`` (records
    without ``__post_init__``), without running their ``__init__`` again: a sync of a
    million participants replaces about that many of each, and this costs a seventh."""
    new = object.__new__(type(record))
    new.__dict__.update(record.__dict__, **changes)
    return new


@dataclass(frozen=True)
class Recipient:
    """One member of a Mailjet contact list (listrecipient joined with its contact)."""

    email: str
    contact_id: int | None = None
    unsubscribed: bool = False
    unsubscribed_at: datetime | None = None
    subscribed_at: datetime | None = None
    excluded: bool | None = None  # None: not read in this run
    name: str = ""

    @property
    def erased(self) -> bool:
        return is_erased_contact(self.email, self.name)


@dataclass(frozen=True)
class Signup:
    """A widget / subscription-form signup (``contactslistsignup`` row).

    With double opt-in a signup is *pending* until the recipient clicks the confirmation
    link (``ConfirmAt`` empty): it is not a subscription yet. A signup counts from the
    moment it was confirmed (``handled_at``); the checkpoint follows that moment, so a
    signup confirmed days later is still new.
    """

    email: str
    contact_id: int | None = None
    signup_at: datetime | None = None
    raw_signup_at: Any = None  # as Mailjet sent it
    id: int | None = None  # the contactslistsignup row id
    confirmed: bool = True
    confirm_at: datetime | None = None
    raw_confirm_at: Any = None  # as Mailjet sent it; handed back as ``MinConfirmAt``
    signup_ip: str = ""
    confirm_ip: str = ""

    @property
    def handled_at(self) -> datetime | None:
        """When the signup became a subscription (its confirmation, else its signup)."""
        return self.confirm_at or self.signup_at

    @property
    def raw_handled_at(self) -> Any:
        return self.raw_confirm_at if self.confirm_at else self.raw_signup_at

    @property
    def erased(self) -> bool:
        return is_erased_contact(self.email)


@dataclass(frozen=True)
class MailjetView:
    """What a pull learned about one Mailjet list.

    Mailjet is read only as far as needed, so the view says how complete it is:

    * ``complete``: ``recipients`` holds every member of the list; an address not in it
      is not on the list.
    * ``unsubscribed_complete``: ``recipients`` holds at least every *unsubscribed*
      member; an address not in it is not unsubscribed there.
    * ``excluded_emails``: the complete set of list members excluded from marketing
      (``IsExcludedFromCampaigns``), or ``None`` when exclusions were not read.
    * ``signups``: widget signups, those not newer than the checkpoint are ignored.
    * ``erased_emails``: addresses Mailjet confirmed once that no contact has any more
      (erased under the GDPR; Mailjet deletes contacts in no other way).
    * ``contact_ids``: the contact id of every address of the account (normalised), when
      the pull read them all; participants learn their ids from it.

    Anything the view does not say is taken from the participants' ``synced_state``.
    """

    recipients: tuple[Recipient, ...] = ()
    signups: tuple[Signup, ...] = ()
    complete: bool = False
    unsubscribed_complete: bool = False
    excluded_emails: frozenset[str] | None = None
    erased_emails: frozenset[str] = frozenset()  # addresses whose contact Mailjet erased
    contact_ids: Mapping[str, int] | None = None

    def __post_init__(self) -> None:
        if self.complete and self.excluded_emails is None:
            flagged = [r for r in self.recipients if r.excluded is not None]
            if len(flagged) == len(self.recipients):
                object.__setattr__(
                    self, "excluded_emails", frozenset(r.email for r in flagged if r.excluded)
                )


@dataclass(frozen=True)
class Checkpoint:
    """Where the previous run stopped reading Mailjet's signups (stored by the ERP).

    ``signups_after`` is the newest ``SignupAt`` handled; ``seen_ids`` the signup rows
    handled at exactly that second (Mailjet timestamps have one-second resolution, so a
    later signup in the same second must still count as new).
    """

    signups_after: datetime | None = None
    raw_signups_after: Any = None  # the SignupAt value to send back as MinSignupAt
    seen_ids: frozenset[int] = frozenset()

    def is_new(self, signup: Signup) -> bool:
        at = signup.handled_at
        if self.signups_after is None or at is None:
            return True
        if at != self.signups_after:
            return at > self.signups_after
        return signup.id is None or signup.id not in self.seen_ids

    def after_signups(self, signups: Iterable[Signup]) -> Checkpoint:
        """This checkpoint moved past the given confirmed signups (a pending one is not
        handled yet: it comes back once it is confirmed)."""
        latest, raw, seen = self.signups_after, self.raw_signups_after, set(self.seen_ids)
        for signup in signups:
            at = signup.handled_at
            if at is None or not signup.confirmed:
                continue
            if latest is None or at > latest:
                latest, raw, seen = at, signup.raw_handled_at, set()
            if at == latest and signup.id is not None:
                seen.add(signup.id)
        return Checkpoint(latest, raw, frozenset(seen))

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form, for the ERP to store."""
        return {
            "signups_after": self.signups_after.isoformat() if self.signups_after else None,
            "raw_signups_after": self.raw_signups_after,
            "seen_ids": sorted(self.seen_ids),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> Checkpoint | None:
        if not data:
            return None
        return cls(
            signups_after=parse_timestamp(data.get("signups_after")),
            raw_signups_after=data.get("raw_signups_after"),
            seen_ids=frozenset(int(i) for i in data.get("seen_ids") or ()),
        )


@dataclass(frozen=True)
class PushContact:
    """One contact to send to Mailjet, and the participants it stands for."""

    email: str
    name: str = ""
    keys: tuple[Key, ...] = ()
    properties: Mapping[str, Any] | None = field(default=None, compare=False)


@dataclass(frozen=True)
class Decline:
    key: Key
    when: datetime | None
    reason: str = ""


@dataclass(frozen=True)
class NewParticipant:
    """A contact found in Mailjet that the ERP campaign does not have yet."""

    email: str
    name: str = ""
    state: State = ACCEPTED
    contact_id: int | None = None
    subscribed_at: datetime | None = None
    declined_at: datetime | None = None
    excluded: bool = False
    # Proof of consent from the widget signup (empty for a contact added in Mailjet):
    signup_at: datetime | None = None
    signup_ip: str = ""
    confirmed_at: datetime | None = None
    confirm_ip: str = ""
    # Filled in by the orchestrator from the match index:
    match_kind: str | None = None
    match_id: int | None = None
    match_ref: str | None = None
    ambiguous: bool = False
    candidate_count: int = 0

    @property
    def synced_state(self) -> State:
        return self.state


@dataclass(frozen=True)
class ContactError:
    email: str
    message: str


@dataclass
class Plan:
    """What one sync will change. Applying it twice changes nothing more than once."""

    to_add: list[PushContact] = field(default_factory=list)  # Mailjet: addnoforce
    to_unsubscribe: list[PushContact] = field(default_factory=list)  # Mailjet: unsub
    to_decline: list[Decline] = field(default_factory=list)  # ERP: decline
    new_participants: list[NewParticipant] = field(default_factory=list)  # ERP: create
    mark_synced: dict[Key, State] = field(default_factory=dict)  # ERP: no push needed
    contact_ids: dict[Key, int] = field(default_factory=dict)  # ERP: learn Mailjet ids
    exclusions: dict[Key, bool] = field(default_factory=dict)  # ERP: excluded flag
    erased: dict[Key, str] = field(default_factory=dict)  # ERP: erased in Mailjet (address)
    invalid: list[Note] = field(default_factory=list)  # unusable addresses, never pushed
    notes: list[Note] = field(default_factory=list)
    checkpoint: Checkpoint | None = None

    @property
    def erp_changes(self) -> int:
        return (
            len(self.to_decline)
            + len(self.new_participants)
            + len(self.mark_synced)
            + len(self.contact_ids)
            + len(self.exclusions)
            + len(self.erased)
        )

    @property
    def mailjet_changes(self) -> int:
        return len(self.to_add) + len(self.to_unsubscribe)

    @property
    def is_empty(self) -> bool:
        return not (self.erp_changes or self.mailjet_changes)


def parse_timestamp(value: Any) -> datetime | None:
    """Mailjet timestamps (RFC 3339 text, Unix seconds, or ``""``) as aware datetimes."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return datetime.fromtimestamp(value, tz=timezone.utc)
    text = str(value).strip()
    if not text:
        return None
    if text.lstrip("-").replace(".", "", 1).isdigit():
        return datetime.fromtimestamp(float(text), tz=timezone.utc)
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


ERASED_DOMAIN = "@domain.invalid"
ERASED_NAME = "Anonymized"


def is_erased_contact(email: str, name: str = "") -> bool:
    """A contact Mailjet anonymised after a GDPR delete (``<hash>@domain.invalid``,
    name ``Anonymized``); it reads back like that until it is purged 30 days later."""
    return (email or "").strip().lower().endswith(ERASED_DOMAIN) or name == ERASED_NAME


def external_id(value: Any) -> int | None:
    """A Mailjet id (list, contact) as the ERP stores it (text) → int, or None if unset
    or not a positive number."""
    text = str(value or "").strip()
    return int(text) if text.isdigit() and int(text) > 0 else None


def stored_id(value: int | None) -> str | bool:
    """A Mailjet id as the ERP stores it (text, or False for none)."""
    return str(value) if value else False
