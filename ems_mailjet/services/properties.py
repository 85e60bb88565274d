"""Contact properties for personalisation (``[[data:firstname]]``), in plain Python.

The interface maps Mailjet property names to values of the participant, its partner or
its employee. The values travel in the bulk pushes (``Properties``), and only when they
changed since Mailjet last confirmed them: each participant keeps a fingerprint of the
values Mailjet confirmed (``Participant.properties_synced``), so a sync with no changes
still pushes nothing.

* ``with_property_updates(plan, participants)``: give the contacts the plan pushes their
  properties, and push (``addnoforce``, which never re-subscribes) the subscribed
  participants whose values changed.
* ``fingerprint(values)``: the stored fingerprint of a set of values.
* ``datatype(value)``: Mailjet's ``Datatype`` for a typed value (``contactmetadata``).
* ``confirmed_fingerprints(contacts)``: what to store once Mailjet confirmed a push.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any

from .emails import InvalidEmail, validate_email
from .records import ACCEPTED, Key, Participant, Plan, PushContact, evolve

__all__ = ["confirmed_fingerprints", "datatype", "fingerprint", "with_property_updates"]


def datatype(value: Any) -> str:
    """Mailjet's property type for a value: bool, int, float, datetime or str."""
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    if isinstance(value, (datetime, date)):
        return "datetime"
    return "str"


def json_value(value: Any) -> Any:
    """A property value as it goes into the request body."""
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    return value


# ``json.dumps(..., sort_keys=True)``, without making a new encoder for each call.
_SORTED_JSON = json.JSONEncoder(sort_keys=True).encode


def fingerprint(values: Mapping[str, Any] | None) -> str:
    """A short, stable fingerprint of property values ("" for none)."""
    if not values:
        return ""
    text = _SORTED_JSON({k: json_value(v) for k, v in values.items()})
    return hashlib.sha1(text.encode(), usedforsecurity=False).hexdigest()[:16]


def with_property_updates(plan: Plan, participants: Iterable[Participant]) -> Plan:
    """Attach properties to the plan's pushes and push changed values of subscribed
    participants. Changes ``plan``; an address that must not be pushed is left alone."""
    people = [p for p in participants if p.properties is not None]
    if not people:
        return plan
    by_key: dict[Key, Participant] = {p.key: p for p in people}
    pushed = {k for c in plan.to_add + plan.to_unsubscribe for k in c.keys}
    plan.to_add = [_with_properties(c, by_key) for c in plan.to_add]
    for p in people:
        if p.key in pushed or p.push_blocked or p.state != ACCEPTED:
            continue
        if plan.mark_synced.get(p.key, p.synced_state) != ACCEPTED:
            continue
        if fingerprint(p.properties) == p.properties_synced:
            continue
        try:
            email = validate_email(p.email)
        except InvalidEmail:
            continue
        plan.to_add.append(PushContact(email, p.name, (p.key,), dict(p.properties)))
    plan.to_add.sort(key=lambda c: c.email)
    return plan


def _with_properties(contact: PushContact, by_key: Mapping[Key, Participant]) -> PushContact:
    for key in contact.keys:
        person = by_key.get(key)
        if person is not None:
            return evolve(contact, properties=dict(person.properties))
    return contact


def confirmed_fingerprints(contacts: Iterable[PushContact]) -> dict[Key, str]:
    """Participant key → fingerprint of the values Mailjet confirmed for it."""
    return {
        key: fingerprint(c.properties)
        for c in contacts
        if c.properties is not None
        for key in c.keys
    }
