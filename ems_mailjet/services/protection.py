"""Bounce and spam protection, in plain Python.

* ``hold_back(plan, participants)``: an address that bounced hard, or that is on the ERP's
  blacklist, is never pushed as subscribed. The sync's plan keeps everything else (its
  unsubscribes included: unsubscribing such an address is always allowed).
* ``protection_events(decisions)``: what a webhook batch says about deliverability: the
  addresses that complained (spam), bounced hard, or whose message Mailjet blocked.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from .notes import Note
from .records import Participant, Plan

__all__ = ["BLACKLISTED", "HARD_BOUNCE", "ProtectionEvents", "hold_back", "protection_events"]

HARD_BOUNCE = "hard_bounce"
BLACKLISTED = "blacklisted"
_NOTE_OF = {HARD_BOUNCE: "push_held_back_bounce", BLACKLISTED: "push_held_back_blacklist"}


def hold_back(plan: Plan, participants: Iterable[Participant]) -> Plan:
    """Remove from ``plan.to_add`` every address one of whose participants must not be
    pushed (``Participant.push_blocked``), with a run-log line each. Changes ``plan``."""
    blocked = {p.key: p.push_blocked for p in participants if p.push_blocked}
    if not blocked:
        return plan
    kept = []
    for contact in plan.to_add:
        key = next((k for k in contact.keys if k in blocked), None)
        if key is None:
            kept.append(contact)
        else:
            plan.notes.append(Note(_NOTE_OF[blocked[key]], {"email": contact.email}, key))
    plan.to_add = kept
    return plan


@dataclass
class ProtectionEvents:
    """Addresses (normalised) a webhook batch reports, by what happened to them."""

    spam: set[str] = field(default_factory=set)
    hard_bounce: dict[str, str] = field(default_factory=dict)  # address → Mailjet's error
    blocked: dict[str, str] = field(default_factory=dict)  # address → Mailjet's error

    def __bool__(self) -> bool:
        return bool(self.spam or self.hard_bounce or self.blocked)


def protection_events(events: Iterable) -> ProtectionEvents:
    """From ``webhook.MailjetEvent`` values: spam complaints, hard bounces and blocked
    messages (a soft bounce is temporary and says nothing)."""
    found = ProtectionEvents()
    for event in events:
        if event.event == "spam":
            found.spam.add(event.email)
        elif event.event == "bounce" and event.hard_bounce:
            found.hard_bounce.setdefault(event.email, event.error)
        elif event.event == "blocked":
            found.blocked.setdefault(event.email, event.error)
    return found
