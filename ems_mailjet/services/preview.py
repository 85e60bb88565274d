"""The preview of the next sync: what it would do, decided exactly as the sync decides.

``preview_list`` runs the sync's own planning (``sync.plan_list``: the pull, then the
reconciliation) and stops there: nothing is applied in the ERP and nothing is pushed to
Mailjet, so the only calls are the reads a sync starts with. ``plan_lists`` says which
lists a sync would create or rename, from the one read of all lists that ``ensure_lists``
also makes, without creating or renaming anything.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from .emails import normalize_email
from .errors import MailjetAuthFailed, MailjetError
from .gateway import MailjetList
from .notes import Note
from .records import ACCEPTED, NewParticipant
from .sync import MailjetPort, ParticipantStore, _with_matches, plan_list

__all__ = ["ListDecision", "ListPreview", "plan_lists", "preview_list"]


@dataclass(frozen=True)
class ListDecision:
    """What a sync would do with one campaign's Mailjet list before syncing it."""

    ref: Any
    list_id: int | None
    name: str
    create: bool = False
    rename_from: str | None = None
    error: Note | None = None


@dataclass
class ListPreview:
    """What a sync of one list would change, with the addresses concerned."""

    list_id: int | None = None
    to_push: list[str] = field(default_factory=list)  # addnoforce
    property_updates: list[str] = field(default_factory=list)  # ... already subscribed there
    to_unsubscribe: list[str] = field(default_factory=list)  # unsub
    to_decline: list[tuple[str, str]] = field(default_factory=list)  # (address, reason)
    new_signups: list[NewParticipant] = field(default_factory=list)  # with their match
    marked_synced: int = 0  # participants Mailjet already agrees with
    notes: list[Note] = field(default_factory=list)  # invalid addresses and warnings
    error: Note | None = None  # Mailjet could not be read
    api_calls: int = 0
    pull: str = ""


def plan_lists(
    existing: Iterable[MailjetList], wanted: Iterable[tuple[Any, str, int | None]]
) -> dict[Any, ListDecision]:
    """The decisions of ``MailjetGateway.ensure_lists`` for ``wanted`` (``(ref, name,
    stored list id)``), made on the lists already read, without any call."""
    existing = list(existing)
    by_id = {lst.id: lst for lst in existing}
    by_name = {lst.name.strip().casefold(): lst for lst in existing}
    taken: set[str] = set()
    result: dict[Any, ListDecision] = {}
    for ref, name, list_id in wanted:
        name = (name or "").strip()
        folded = name.casefold()
        if not name:
            result[ref] = ListDecision(ref, list_id, name, error=Note("list_no_name"))
            continue
        if folded in taken:
            error = Note("list_name_taken", {"name": name})
            result[ref] = ListDecision(ref, None, name, error=error)
            continue
        taken.add(folded)
        current = by_id.get(int(list_id)) if list_id else None
        if current is None:
            current = by_name.get(folded)
        if current is None:
            result[ref] = ListDecision(ref, None, name, create=True)
        elif current.name != name:
            result[ref] = ListDecision(ref, current.id, name, rename_from=current.name)
            by_name.pop(current.name.strip().casefold(), None)
            by_name[folded] = current
        else:
            result[ref] = ListDecision(ref, current.id, name)
    return result


def preview_list(
    mailjet: MailjetPort, decision: ListDecision, store: ParticipantStore
) -> ListPreview:
    """What ``sync_list`` would do now with this list; reads only, writes nothing.

    A list the sync would create is new and empty, so it costs no call at all."""
    preview = ListPreview(list_id=decision.list_id)
    if decision.error:
        preview.error = decision.error
        return preview
    calls_before = mailjet.calls
    participants = list(store.participants())
    try:
        plan, _counters, preview.pull = plan_list(
            mailjet,
            decision.list_id or 0,
            participants,
            store.get_checkpoint(),
            known_empty=decision.create,
        )
    except MailjetAuthFailed:
        raise
    except MailjetError as exc:
        preview.error = exc.note()
        return preview
    finally:
        preview.api_calls = mailjet.calls - calls_before
    email_of = {p.key: normalize_email(p.email) for p in participants}
    preview.to_push = [c.email for c in plan.to_add]
    synced = {p.key for p in participants if p.synced_state == ACCEPTED}
    preview.property_updates = [
        c.email for c in plan.to_add if c.keys and all(k in synced for k in c.keys)
    ]
    preview.to_unsubscribe = [c.email for c in plan.to_unsubscribe]
    preview.to_decline = sorted((email_of.get(d.key, ""), d.reason) for d in plan.to_decline)
    if plan.new_participants:
        preview.new_signups = _with_matches(plan.new_participants, store)
    preview.marked_synced = len(plan.mark_synced)
    preview.notes = plan.invalid + plan.notes
    return preview


def addresses(preview: ListPreview) -> dict[str, Sequence[str]]:
    """The preview as lists of addresses, by what would happen to them."""
    return {
        "to_push": list(preview.to_push),
        "to_unsubscribe": list(preview.to_unsubscribe),
        "to_decline": [email for email, _reason in preview.to_decline],
        "new_signups": [n.email for n in preview.new_signups],
    }
