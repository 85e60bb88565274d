"""Who opened, who clicked: Mailjet's per-recipient activity, in plain Python.

Two sources feed the same rows (one per participant and Mailjet message):

* the webhook, in real time: ``activity_events`` picks the ``sent``, ``open``, ``click``,
  ``bounce`` and ``spam`` events of a batch;
* the nightly read, as the safety net: ``message_activity`` reads the ``message`` rows of
  a mailing (``Status`` is the furthest state a message reached).

A row records *whether* a mailing was opened or clicked (and the last time the webhook
saw it), so a retried event or a second source never counts twice. The nightly read
costs at most ``activity_budget(participants)`` calls per list and run (one per 1,000
participants) and none when Mailjet's counters did not move since the last read.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .emails import normalize_email
from .records import parse_timestamp

__all__ = [
    "ACTIVITY_EVENTS",
    "ActivityEvent",
    "MessageActivity",
    "activity_budget",
    "activity_events",
    "message_activity",
]

ACTIVITY_EVENTS = frozenset({"sent", "open", "click", "bounce", "spam"})
_OPENED = {"opened", "clicked"}
_NOT_DELIVERED = {"hardbounced", "softbounced", "bounce", "blocked"}


@dataclass(frozen=True)
class ActivityEvent:
    """One webhook event about one message."""

    kind: str  # sent, open, click, bounce, spam
    email: str
    message_id: str
    mailjet_campaign_id: str | None
    time: datetime
    url: str = ""


@dataclass(frozen=True)
class MessageActivity:
    """One ``message`` row: what its recipient did, as far as Mailjet knows."""

    email: str
    message_id: str
    mailjet_campaign_id: str | None
    sent_at: datetime | None
    opened: bool
    clicked: bool
    bounced: bool
    hard_bounce: bool
    spam: bool


def activity_budget(participants: int) -> int:
    """The calls the nightly read may make for a list of that size (one per 1,000)."""
    return max(1, math.ceil(participants / 1000))


def activity_events(events: Iterable[Any]) -> list[ActivityEvent]:
    """The events of a webhook batch (``webhook.MailjetEvent``) that tell about a
    message; those without a MessageID cannot be told apart and are left out."""
    found = []
    for event in events:
        if event.event not in ACTIVITY_EVENTS or not event.message_id:
            continue
        raw = event.raw or {}
        campaign = raw.get("mj_campaign_id")
        found.append(
            ActivityEvent(
                kind=event.event,
                email=event.email,
                message_id=str(event.message_id),
                mailjet_campaign_id=str(campaign) if campaign not in (None, "", 0) else None,
                time=event.time,
                url=str(raw.get("url") or ""),
            )
        )
    return found


def message_activity(rows: Iterable[Mapping[str, Any]]) -> list[MessageActivity]:
    """``message`` rows read with ``ShowContactAlt`` as activity (rows without an
    address are left out)."""
    found = []
    for row in rows:
        email = normalize_email(str(row.get("ContactAlt") or ""))
        if "@" not in email or not row.get("ID"):
            continue
        status = str(row.get("Status") or "").strip().lower()
        campaign = row.get("CampaignID")
        found.append(
            MessageActivity(
                email=email,
                message_id=str(row["ID"]),
                mailjet_campaign_id=str(campaign) if campaign else None,
                sent_at=parse_timestamp(row.get("ArrivedAt")),
                opened=status in _OPENED,
                clicked=status == "clicked",
                bounced=status in _NOT_DELIVERED,
                hard_bounce=status == "hardbounced",
                spam=status == "spam",
            )
        )
    return found
