"""What recipients do with a sent campaign: ``POST /_sandbox/event``.

An event (``sent``, ``open``, ``click``, ``bounce``, ``spam``, ``blocked``) is recorded the
way Mailjet's statistics show it: the recipient's ``message`` row (one per campaign and
contact, its ``Status`` the furthest state reached) and the campaign's ``statcounters``.
When a callback URL is registered for that event type (``eventcallbackurl``, alive, not a
backup), the event is posted there as Mailjet does: a JSON array (Version 2) or one object
(Version 1), with the Basic credentials written in the registered URL.

The ``message`` resource is read with ``Campaign``, ``Contact``, ``FromTS``/``ToTS`` (on
``ArrivedAt``), ``ShowContactAlt`` (adds the address as ``ContactAlt``) and ``ShowSubject``.
"""

from __future__ import annotations

import base64
import json
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import unquote, urlsplit, urlunsplit

from . import resources
from .errors import Response, envelope, not_found
from .query import Collection, field_keys
from .util import rfc3339

EVENTS = ("sent", "open", "click", "bounce", "spam", "blocked")
DELIVERY_TIMEOUT = 10.0
_FIRST_MESSAGE_ID = 576460752303423488  # Mailjet message ids are large int64 values
# The furthest state a message reached; later events never move it back.
_RANK = {"sent": 1, "opened": 2, "clicked": 3}


class EventError(ValueError):
    """A bad event request (answered 400/404 by the control endpoint)."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


def _messages(store: Any) -> dict[int, dict]:
    if not hasattr(store, "messages"):
        store.messages = {}
    return store.messages


def _message(store: Any, campaign: dict, contact: dict) -> tuple[dict, bool]:
    """The message of ``campaign`` to ``contact``; created (as sent) when missing."""
    messages = _messages(store)
    for rec in messages.values():
        if rec["CampaignID"] == campaign["ID"] and rec["ContactID"] == contact["ID"]:
            return rec, False
    mid = _FIRST_MESSAGE_ID + len(messages) + 1
    rec = {
        "ID": mid,
        "ArrivedAt": store.now(),
        "CampaignID": campaign["ID"],
        "ContactID": contact["ID"],
        "ContactAlt": contact["Email"],
        "Subject": campaign["Subject"],
        "Status": "sent",
        "StatePermanent": False,
        "IsOpenTracked": True,
        "IsClickTracked": True,
        "opened": False,
        "clicked": False,
    }
    messages[mid] = rec
    campaign["stats"]["MessageSentCount"] += 1
    return rec, True


def record_event(store: Any, data: dict) -> tuple[dict, dict]:
    """Apply one event; returns (the message row, the event as Mailjet would post it)."""
    kind = str(data.get("Event") or "").strip().lower()
    if kind not in EVENTS:
        raise EventError(400, f"Event must be one of {', '.join(EVENTS)}")
    email = str(data.get("Email") or "").strip().lower()
    if "@" not in email:
        raise EventError(400, "Email is required")
    campaign = store.find_campaign(data.get("CampaignID", ""))
    if campaign is None:
        raise EventError(404, f"no campaign {data.get('CampaignID')!r}")
    contact = store.find_contact(email) or store.create_contact(email)
    message, _new = _message(store, campaign, contact)
    stats = campaign["stats"]
    now = store.now()
    payload: dict[str, Any] = {
        "event": kind,
        "time": now,
        "MessageID": message["ID"],
        "Message_GUID": f"sandbox-{message['ID']}",
        "email": email,
        "mj_campaign_id": campaign["ID"],
        "mj_contact_id": contact["ID"],
        "customcampaign": campaign.get("CustomValue", ""),
        "CustomID": "",
        "Payload": "",
    }
    if kind == "open":
        stats["EventOpenedCount"] += 1
        if not message["opened"]:
            message["opened"] = True
            stats["MessageOpenedCount"] += 1
        _advance(message, "opened")
        payload.update(ip="127.0.0.1", geo="DE", agent="sandbox")
    elif kind == "click":
        stats["EventClickedCount"] += 1
        if not message["clicked"]:
            message["clicked"] = True
            stats["MessageClickedCount"] += 1
        _advance(message, "clicked")
        payload.update(url=str(data.get("Url") or ""), ip="127.0.0.1", geo="DE", agent="sandbox")
    elif kind == "bounce":
        hard = bool(data.get("HardBounce", True))
        stats["MessageHardBouncedCount" if hard else "MessageSoftBouncedCount"] += 1
        message["Status"] = "hardbounced" if hard else "softbounced"
        message["StatePermanent"] = hard
        payload.update(
            blocked=False,
            hard_bounce=hard,
            error_related_to="recipient",
            error="user unknown" if hard else "mailbox full",
            comment="",
        )
    elif kind == "spam":
        stats["MessageSpamCount"] += 1
        stats["EventSpamCount"] += 1
        message["Status"] = "spam"
        payload.update(source="JMRPP")
    elif kind == "blocked":
        stats["MessageBlockedCount"] += 1
        message["Status"] = "blocked"
        payload.update(error_related_to="recipient", error="preblocked")
    store.touch()
    return message, payload


def _advance(message: dict, status: str) -> None:
    if _RANK.get(message["Status"], 99) < _RANK[status]:
        message["Status"] = status


def deliver(store: Any, kind: str, payload: dict) -> list[dict]:
    """Post the event to the callback URL registered for its type, as Mailjet does."""
    results = []
    for rec in list(store.callbacks.values()):
        if rec["EventType"] != kind or rec["IsBackup"] or rec["Status"] != "alive":
            continue
        parts = urlsplit(rec["Url"])
        netloc = parts.hostname or ""
        if parts.port:
            netloc += f":{parts.port}"
        url = urlunsplit((parts.scheme, netloc, parts.path, parts.query, ""))
        body = json.dumps([payload] if rec["Version"] == 2 else payload).encode()
        request = urllib.request.Request(url, data=body, method="POST")
        request.add_header("Content-Type", "application/json")
        if parts.username is not None:
            pair = f"{unquote(parts.username)}:{unquote(parts.password or '')}"
            request.add_header("Authorization", "Basic " + base64.b64encode(pair.encode()).decode())
        try:
            with urllib.request.urlopen(request, timeout=DELIVERY_TIMEOUT) as answer:  # noqa: S310
                status = answer.status
        except urllib.error.HTTPError as exc:
            status = exc.code
        except OSError as exc:
            results.append({"Url": url, "Status": None, "Error": str(exc)})
            continue
        results.append({"Url": url, "Status": status})
    return results


# ----------------------------------------------------------------------- message
def _render(rec: dict, show_alt: bool = False, show_subject: bool = False) -> dict:
    hidden = ("opened", "clicked", "ContactAlt", "Subject")
    row = {k: v for k, v in rec.items() if k not in hidden}
    row["ArrivedAt"] = rfc3339(rec["ArrivedAt"])
    if show_alt:
        row["ContactAlt"] = rec["ContactAlt"]
    if show_subject:
        row["Subject"] = rec["Subject"]
    return row


def _select_messages(store: Any, f: dict) -> list[dict]:
    return [
        _render(rec, bool(f.get("ShowContactAlt")), bool(f.get("ShowSubject")))
        for rec in _messages(store).values()
        if ("Campaign" not in f or rec["CampaignID"] == f["Campaign"])
        and ("Contact" not in f or rec["ContactID"] == f["Contact"])
        and ("FromTS" not in f or rec["ArrivedAt"] >= f["FromTS"])
        and ("ToTS" not in f or rec["ArrivedAt"] <= f["ToTS"])
    ]


MESSAGES = Collection(
    "message",
    {
        "Campaign": "int",
        "Contact": "int",
        "FromTS": "ts",
        "ToTS": "ts",
        "ShowContactAlt": "bool",
        "ShowSubject": "bool",
    },
    _select_messages,
    resources.render_plain,
    field_keys(("ID", "ArrivedAt", "CampaignID", "ContactID")),
)


def message_route(req: resources.Request, segs: list[str]) -> Response:
    """message[/{id}] (read-only)."""
    if not segs:
        return resources.dispatch(req, {"GET": lambda: req.listing(MESSAGES)})
    if len(segs) > 1 or not segs[0].isdigit():
        raise not_found()

    def get() -> Response:
        rec = _messages(req.store).get(int(segs[0]))
        if rec is None:
            raise not_found()
        return envelope([_render(rec)])

    return resources.dispatch(req, {"GET": get})


resources.ROUTES["message"] = message_route
