"""Mailjet event webhooks (Event API), in plain Python: parse a POST body, decide.

Mailjet POSTs one event object per request (``Version 1``) or a JSON array of events
grouped over about a second (``Version 2``). The only protection is HTTPS with basic
credentials in the URL (there is no signature); the controller checks those. Events may
arrive twice and out of order (Mailjet retries every non-200 answer), so everything
here is idempotent: the same batch decided twice gives the same declines.

* ``parse_events(body)`` → ``ParsedEvents``: the events as ``MailjetEvent`` values, plus
  how many entries were skipped (no e-mail address, unknown event type, not an object).
  Raises ``ValueError`` when the body is not JSON or neither an object nor an array.
* ``decide(events, list_ids)`` → ``Decisions``: which address to decline in which list,
  since when (R7, D4). ``unsub`` declines the address in the list it left
  (``mj_list_id``); ``spam`` declines it in every list of the interface (a complaint is
  the strongest unsubscribe); a hard ``bounce`` and ``blocked`` are reported only;
  ``sent``, ``open``, ``click`` and soft bounces are ignored.

No ``odoo`` import here: the controller (``controllers/main.py``) applies the decisions.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .emails import normalize_email

__all__ = [
    "ACTION_EVENTS",
    "IGNORED_EVENTS",
    "KNOWN_EVENTS",
    "REGISTERED_EVENTS",
    "REPORTED_EVENTS",
    "Decisions",
    "MailjetEvent",
    "ParsedEvents",
    "WebhookDecline",
    "decide",
    "parse_events",
    "predates_consent",
]

UNSUB_EVENT = "unsub"
SPAM_EVENT = "spam"
BOUNCE_EVENT = "bounce"
BLOCKED_EVENT = "blocked"
ACTION_EVENTS = frozenset({UNSUB_EVENT, SPAM_EVENT})
REPORTED_EVENTS = frozenset({BOUNCE_EVENT, BLOCKED_EVENT})
# The events an interface asks Mailjet to post to its webhook.
REGISTERED_EVENTS = (UNSUB_EVENT, SPAM_EVENT, BOUNCE_EVENT, BLOCKED_EVENT)
IGNORED_EVENTS = frozenset({"sent", "open", "click"})
KNOWN_EVENTS = ACTION_EVENTS | REPORTED_EVENTS | IGNORED_EVENTS

_TRUE_TEXT = {"true", "1", "yes"}


@dataclass(frozen=True)
class MailjetEvent:
    """One Mailjet event, cleaned up.

    ``event`` is lower-cased, ``email`` normalised (``emails.normalize_email``),
    ``list_id`` the ``mj_list_id`` as an int (``None`` when absent), ``time`` an aware UTC
    datetime (the moment of receipt when Mailjet sent none), ``message_id`` Mailjet's
    int64 ``MessageID`` as exact text (never through a float), ``raw`` the object as sent.
    """

    event: str
    email: str
    time: datetime
    list_id: int | None = None
    message_id: str | None = None
    contact_id: int | None = None
    hard_bounce: bool = False
    blocked: bool = False
    error: str = ""
    source: str = ""
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def dedupe_key(self) -> tuple:
        return (self.event, self.message_id, self.time, self.email, self.list_id)


@dataclass
class ParsedEvents:
    """What ``parse_events`` made of one request body."""

    events: list[MailjetEvent] = field(default_factory=list)
    skipped: int = 0
    version: int = 2  # 1: one object was posted, 2: an array

    def __iter__(self):
        return iter(self.events)

    def __len__(self):
        return len(self.events)


@dataclass(frozen=True)
class WebhookDecline:
    """Decline ``email`` in the Mailjet list ``list_id``, effective ``when`` (UTC).

    ``reason`` is the event that decided it: ``"unsub"`` or ``"spam"``; ``event_key`` that
    event's ``MailjetEvent.dedupe_key``.
    """

    email: str
    list_id: int
    when: datetime
    reason: str
    event_key: tuple = field(default=(), compare=False)


@dataclass
class Decisions:
    """What a batch of events asks for; nothing here has been applied yet.

    * ``declines``: one per (address, list), the earliest event time kept.
    * ``reported``: hard bounces and blocked deliveries (counted, no state change).
    * ``ignored``: events that ask for nothing (sent, open, click, soft bounce, an
      ``unsub`` without a list id or for a list this interface does not have).
    * ``duplicates``: events already seen earlier in the same batch.
    """

    declines: list[WebhookDecline] = field(default_factory=list)
    reported: list[MailjetEvent] = field(default_factory=list)
    ignored: int = 0
    duplicates: int = 0

    @property
    def emails(self) -> set[str]:
        return {decline.email for decline in self.declines}


# ---------------------------------------------------------------------------- parsing
def _reject_constant(name: str):
    raise ValueError(f"{name} is not a JSON number")


def _load(body: bytes | str | None) -> Any:
    if body is None:
        body = b""
    if isinstance(body, (bytes, bytearray, memoryview)):
        try:
            text = bytes(body).decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ValueError("The request body is not UTF-8 text.") from None
    elif isinstance(body, str):
        text = body
    else:
        raise TypeError(f"Expected bytes or str, got {type(body).__name__}")
    if not text.strip():
        raise ValueError("The request body is empty; Mailjet sends a JSON object or array.")
    try:
        # Decimal for fractions: no value of the body ever goes through a float.
        return json.loads(text, parse_float=Decimal, parse_constant=_reject_constant)
    except ValueError as error:  # json.JSONDecodeError is a ValueError
        raise ValueError(f"The request body is not valid JSON: {error}") from None


def _as_int(value: Any) -> int | None:
    """An integer id from an int, an integral decimal or a digit string; else None."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, Decimal):
        return int(value) if value.is_finite() and value == value.to_integral_value() else None
    if isinstance(value, str):
        text = value.strip()
        if text.isdigit():
            return int(text)
        try:
            number = Decimal(text)
        except InvalidOperation:
            return None
        return _as_int(number)
    return None


def _as_bool(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in _TRUE_TEXT
    if isinstance(value, Decimal):
        return value != 0
    return bool(value)


def _as_time(value: Any, default: datetime) -> datetime:
    """Unix seconds (int, decimal or digit string) as an aware UTC datetime."""
    if isinstance(value, bool) or value is None:
        return default
    if isinstance(value, str):
        try:
            value = Decimal(value.strip())
        except InvalidOperation:
            return default
    if isinstance(value, Decimal):
        if not value.is_finite():
            return default
        value = int(value)  # Mailjet sends whole seconds
    if not isinstance(value, int):
        return default
    try:
        return datetime.fromtimestamp(value, tz=timezone.utc)
    except (OverflowError, OSError, ValueError):
        return default


def _message_id(raw: Mapping[str, Any]) -> str | None:
    value = raw.get("MessageID")
    number = _as_int(value)
    if number is not None:
        return str(number)
    if isinstance(value, str) and value.strip():
        return value.strip()
    legacy = raw.get("mj_message_id")  # deprecated string id of ``sent`` events
    if isinstance(legacy, str) and legacy.strip():
        return legacy.strip()
    return None


def _event(raw: Mapping[str, Any], received_at: datetime) -> MailjetEvent | None:
    kind = raw.get("event")
    email = raw.get("email")
    if not isinstance(kind, str) or not isinstance(email, str):
        return None
    kind = kind.strip().lower()
    email = normalize_email(email)
    if kind not in KNOWN_EVENTS or "@" not in email:
        return None
    return MailjetEvent(
        event=kind,
        email=email,
        time=_as_time(raw.get("time"), received_at),
        list_id=_as_int(raw.get("mj_list_id")) or None,
        message_id=_message_id(raw),
        contact_id=_as_int(raw.get("mj_contact_id")) or None,
        hard_bounce=_as_bool(raw.get("hard_bounce")),
        blocked=_as_bool(raw.get("blocked")),
        error=str(raw.get("error") or ""),
        source=str(raw.get("source") or ""),
        raw=dict(raw),
    )


def parse_events(body: bytes | str | None, received_at: datetime | None = None) -> ParsedEvents:
    """The events of one webhook request body.

    A JSON object is one event (Version 1), a JSON array a batch (Version 2). Entries
    that are not objects, have no e-mail address or an unknown ``event`` type are skipped
    and counted in ``skipped``. An event without a usable ``time`` gets ``received_at``
    (default: now, UTC).

    :raises ValueError: the body is empty, not UTF-8, not JSON, or neither an object nor
        an array.
    """
    received_at = received_at or datetime.now(timezone.utc)
    if received_at.tzinfo is None:
        received_at = received_at.replace(tzinfo=timezone.utc)
    data = _load(body)
    if isinstance(data, dict):
        entries, version = [data], 1
    elif isinstance(data, list):
        entries, version = data, 2
    else:
        raise ValueError(
            "The request body must be a JSON object (one event) or an array of events, "
            f"not {type(data).__name__}."
        )
    parsed = ParsedEvents(version=version)
    for entry in entries:
        event = _event(entry, received_at) if isinstance(entry, dict) else None
        if event is None:
            parsed.skipped += 1
        else:
            parsed.events.append(event)
    return parsed


# --------------------------------------------------------------------------- deciding
def decide(events: Iterable[MailjetEvent], list_ids: Iterable[int | str]) -> Decisions:
    """Turn events into declines; a pure function (reads nothing, writes nothing).

    ``list_ids`` are the Mailjet list ids of the interface's newsletter campaigns: an
    ``unsub`` counts only for one of them, a ``spam`` complaint for all of them.
    Duplicates within the batch (same event, MessageID, time, address and list) count
    once. Per (address, list) the earliest event time is the decline date, whatever the
    order of arrival.
    """
    lists = sorted({number for number in map(_as_int, list_ids) if number})
    known = set(lists)
    decisions = Decisions()
    seen: set[tuple] = set()
    earliest: dict[tuple[str, int], WebhookDecline] = {}
    for event in events:
        if event.dedupe_key in seen:
            decisions.duplicates += 1
            continue
        seen.add(event.dedupe_key)
        if event.event == UNSUB_EVENT:
            targets = [event.list_id] if event.list_id in known else []
        elif event.event == SPAM_EVENT:
            targets = lists
        else:
            if event.event == BLOCKED_EVENT or (event.event == BOUNCE_EVENT and event.hard_bounce):
                decisions.reported.append(event)
            else:
                decisions.ignored += 1
            continue
        if not targets:
            decisions.ignored += 1
            continue
        for list_id in targets:
            key = (event.email, list_id)
            current = earliest.get(key)
            if current is None or event.time < current.when:
                earliest[key] = WebhookDecline(
                    event.email, list_id, event.time, event.event, event.dedupe_key
                )
    decisions.declines = sorted(earliest.values(), key=lambda d: (d.list_id, d.email, d.when))
    return decisions


def predates_consent(when: datetime, consent_date: date | None, tz: str | None) -> bool:
    """True when an unsubscribe of ``when`` is older than a later consent (D5).

    A participant re-subscribed with consent given on ``consent_date`` (a local date in
    ``tz``) must not be declined again by an old event that Mailjet delivers late. An
    event of the consent's own day still wins (D4: in doubt, the unsubscribe wins).
    """
    if not consent_date:
        return False
    try:
        zone = ZoneInfo(tz or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        zone = timezone.utc
    moment = when if when.tzinfo else when.replace(tzinfo=timezone.utc)
    return moment.astimezone(zone).date() < consent_date
