"""The orchestrator: one sync of one campaign's participants with one Mailjet list.

    pull (counts, signups, and only what changed) → reconcile → apply to the ERP
    → push to Mailjet (bulk, chunked, polled) → mark what Mailjet confirmed → RunReport

The ERP side is reached through a ``ParticipantStore`` (the Odoo models implement it;
the tests bring an in-memory one) and Mailjet through a ``MailjetPort``
(``gateway.MailjetGateway``). The Odoo side loops over the lists of an interface and
calls ``sync_list`` once per list; what happened comes back as a ``RunReport`` whose
lines are ``notes.Note`` codes, never sentences.

Reading Mailjet cheaply. A run first asks three ``countOnly`` questions (members,
unsubscribed members, excluded members) and reads the signups since the checkpoint. In
steady state every list member is a participant whose ``synced_state`` says what Mailjet
has, so these numbers can be predicted from the participants; only when a prediction is
wrong does the run page through Mailjet (``Limit=1000``):

* members ≠ prediction → read every contact of the list and its unsubscribed rows
  (a complete view: additions or removals made in Mailjet itself);
* unsubscribed ≠ prediction, or a widget signup of an address Mailjet had unsubscribed
  (it may have re-subscribed it and so hidden another unsubscribe from the count) → read
  the unsubscribed rows and resolve their contact ids to addresses (ids the ERP stores;
  otherwise one call per unknown id or, when cheaper, the list's contacts);
* excluded ≠ prediction → read the list's excluded contacts.

A run that finds nothing to do therefore costs four calls and writes nothing on either
side. Pushes go only to participants whose state differs from ``synced_state``; they are
marked synced once Mailjet's job confirmed them, so a run cut short (crash, outage,
end of the window) is finished by the next one (D7).
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Protocol, runtime_checkable

from .emails import InvalidEmail, normalize_email, validate_email
from .errors import MailjetAuthFailed, MailjetError, MailjetNotFound
from .gateway import ADD, UNSUB, ContactRow, ListCounters, ListRecipientRow, PushResult
from .matching import EmployeeRecord, MatchIndex, PartnerRecord
from .notes import ERROR, Note
from .reconcile import reconcile
from .records import (
    ACCEPTED,
    DECLINED,
    Checkpoint,
    Decline,
    Key,
    MailjetView,
    NewParticipant,
    Participant,
    Plan,
    PushContact,
    Recipient,
    Signup,
)

__all__ = [
    "MailjetPort",
    "ParticipantStore",
    "RunReport",
    "pull",
    "sync_list",
]

_log = logging.getLogger(__name__)

PULL_NONE = "counts only"
PULL_UNSUBSCRIBED = "unsubscribed members"
PULL_FULL = "all members"
PULL_NEW_LIST = "new list"


@runtime_checkable
class ParticipantStore(Protocol):
    """The ERP side of one campaign, as the engine needs it.

    Every write sets values (never toggles), so repeating one changes nothing.
    """

    def participants(self) -> Iterable[Participant]:
        """Snapshots of all participants of the campaign (declined ones included)."""

    def get_checkpoint(self) -> Checkpoint | None: ...

    def set_checkpoint(self, checkpoint: Checkpoint) -> None: ...

    def decline(self, declines: Sequence[Decline]) -> None:
        """Set these participants to declined (``when`` None: now), keep their reason."""

    def add_participants(self, new: Sequence[NewParticipant]) -> Mapping[str, Key]:
        """Create participants found in Mailjet; skip an address the campaign already has.

        Each carries its state, ``synced_state`` (= state), Mailjet contact id and match.
        Never creates partners or employees (R12). Returns the new participants' keys by
        address.
        """

    def mark_synced(self, states: Mapping[Key, str]) -> None:
        """Record the state Mailjet confirmed (``"accepted"`` / ``"declined"``)."""

    def set_contact_ids(self, ids: Mapping[Key, int]) -> None: ...

    def set_exclusions(self, flags: Mapping[Key, bool]) -> None:
        """Whether each participant is excluded from marketing in Mailjet (global flag)."""

    def match_records(
        self, emails: Collection[str]
    ) -> tuple[Iterable[EmployeeRecord], Iterable[PartnerRecord]]:
        """Employees and partners that may use one of these (normalised) addresses.

        Returning more records than needed is fine (only addresses are compared).
        """


class MailjetPort(Protocol):
    """The Mailjet calls a sync makes (``MailjetGateway`` implements them)."""

    calls: int

    def count_members(self, list_id: int, unsubscribed: bool | None = None) -> int: ...

    def count_excluded(self, list_id: int) -> int: ...

    def recipients(
        self, list_id: int, unsubscribed: bool | None = None
    ) -> list[ListRecipientRow]: ...

    def contacts(self, list_id: int, excluded: bool | None = None) -> list[ContactRow]: ...

    def contact(self, contact_id: int) -> ContactRow: ...

    def signups(self, list_id: int, since: Any = None) -> list[Signup]: ...

    def push(self, list_id: int, action: str, contacts: Sequence[PushContact]) -> PushResult: ...


@dataclass
class RunReport:
    """What one sync of one list did; counts of contacts/participants, not of calls."""

    list_id: int | None = None
    pushed: int = 0  # accepted participants added (ADD) and confirmed
    unsubscribed_in_mailjet: int = 0  # declined participants unsubscribed (UNSUB), confirmed
    declined_from_mailjet: int = 0  # ERP participants declined because of an unsubscribe
    new_signups: int = 0  # participants created from Mailjet contacts (R10)
    matched: int = 0  # ... of which linked to one employee or partner (R11)
    unmatched: int = 0  # ... kept with the address only (R12)
    ambiguous: int = 0  # ... with several candidates, not linked
    errors: int = 0  # len(error_lines)
    error_lines: list[Note] = field(default_factory=list)  # the error-level lines
    notes: list[Note] = field(default_factory=list)  # the other lines
    marked_synced: int = 0  # participants confirmed without a push
    api_calls: int = 0
    pull: str = PULL_NONE  # how much of Mailjet was read
    counters: ListCounters | None = None  # R5, as Mailjet counted at the end of the run
    list_created: bool = False
    aborted: bool = False  # stopped by an error; the next run finishes the job
    duration: float = 0.0  # seconds

    def add(self, line: Note) -> None:
        if line.level == ERROR:
            self.error_lines.append(line)
            self.errors = len(self.error_lines)
        else:
            self.notes.append(line)

    @property
    def lines(self) -> list[Note]:
        """Everything this list's sync has to say: errors first, then the rest."""
        return self.error_lines + self.notes

    @property
    def changed(self) -> bool:
        return bool(
            self.pushed
            or self.unsubscribed_in_mailjet
            or self.declined_from_mailjet
            or self.new_signups
            or self.marked_synced
        )


# ---------------------------------------------------------------------- one list
def sync_list(
    mailjet: MailjetPort,
    list_id: int,
    store: ParticipantStore,
    *,
    full: bool = False,
    known_empty: bool = False,
    recount: bool = True,
) -> RunReport:
    """Sync one list both ways; never raises for Mailjet trouble except bad credentials.

    ``full`` reads the whole list even when the counts agree (a periodic safety net);
    ``known_empty`` skips reading a list this run just created. ``recount`` re-reads the
    R5 counters after a push (three calls) so that ``report.counters`` is exact.
    """
    started = time.monotonic()
    calls_before = mailjet.calls
    report = RunReport(list_id=list_id, list_created=known_empty)
    try:
        _run(mailjet, list_id, store, report, full=full, known_empty=known_empty, recount=recount)
    except MailjetAuthFailed:
        raise
    except MailjetError as exc:
        report.aborted = True
        report.add(exc.note())
        _log.warning("Mailjet sync of list %s stopped: %s", list_id, exc)
    finally:
        report.api_calls = mailjet.calls - calls_before
        report.duration = time.monotonic() - started
    return report


def _run(mailjet, list_id, store, report, *, full, known_empty, recount) -> None:
    participants = list(store.participants())
    checkpoint = store.get_checkpoint()

    view, counters, report.pull = pull(
        mailjet, list_id, participants, checkpoint, full=full, known_empty=known_empty
    )
    report.counters = counters
    plan = reconcile(participants, view, checkpoint)
    for line in plan.invalid + plan.notes:
        report.add(line)

    created = _apply_to_erp(plan, store, report)
    if plan.checkpoint is not None and plan.checkpoint != checkpoint:
        store.set_checkpoint(plan.checkpoint)

    # Unsubscribes first: if the run is cut short, the safe half is done.
    pushed = False
    confirmed_states: dict[Key, str] = dict(plan.mark_synced)
    for action, contacts, state in (
        (UNSUB, plan.to_unsubscribe, DECLINED),
        (ADD, plan.to_add, ACCEPTED),
    ):
        if not contacts:
            continue
        result = mailjet.push(list_id, action, contacts)
        pushed = pushed or bool(result.succeeded)
        confirmed = {key: state for c in result.succeeded for key in c.keys}
        if confirmed:
            store.mark_synced(confirmed)
            confirmed_states.update(confirmed)
        count = len(result.succeeded)
        if action == UNSUB:
            report.unsubscribed_in_mailjet += count
        else:
            report.pushed += count
        keys_of = {c.email: c.keys for c in contacts}
        for problem in result.failed:
            keys = keys_of.get(problem.email) or (None,)
            params = {"email": problem.email, "detail": problem.message}
            report.add(Note("contact_refused", params, keys[0]))
        for line in result.job_errors:
            report.add(line)
        if result.interrupted:
            # What Mailjet confirmed is marked; the rest is sent again next run.
            raise result.interrupted

    if pushed and recount:
        if known_empty:
            # A list this run created holds exactly what Mailjet just confirmed; only the
            # account-wide exclusion flag has to be asked. A wrong guess (a job applied in
            # part) shows in the next run's counts, which then read the list.
            unsubscribed = report.unsubscribed_in_mailjet
            total = report.pushed + unsubscribed
        else:
            total = mailjet.count_members(list_id)
            unsubscribed = mailjet.count_members(list_id, unsubscribed=True)
        excluded = mailjet.count_excluded(list_id)
        report.counters = ListCounters.from_counts(total, unsubscribed, excluded)
        after = _after_run(participants, plan, confirmed_states, created)
        _refresh_exclusions(mailjet, list_id, store, excluded, after)


def _after_run(
    participants: Sequence[Participant],
    plan: Plan,
    confirmed: Mapping[Key, str],
    created: Mapping[str, Key],
) -> list[Participant]:
    """The participants as this run left them, without reading them again: what was
    read, with the states Mailjet confirmed, the exclusions learnt and the newcomers."""
    after = []
    for p in participants:
        synced = confirmed.get(p.key, p.synced_state)
        excluded = plan.exclusions.get(p.key, p.excluded)
        if synced != p.synced_state or excluded != p.excluded:
            p = replace(p, synced_state=synced, excluded=excluded)
        after.append(p)
    for n in plan.new_participants:
        if n.email in created:
            after.append(
                Participant(
                    key=created[n.email],
                    email=n.email,
                    name=n.name,
                    state=n.state,
                    synced_state=n.synced_state,
                    mailjet_contact_id=n.contact_id,
                    excluded=n.excluded,
                )
            )
    return after


def _refresh_exclusions(
    mailjet, list_id, store, excluded_count: int, participants: Sequence[Participant]
) -> None:
    """A contact pushed to the list may already be excluded from marketing in Mailjet
    (a global flag): when the count says so, read the excluded members once."""
    if excluded_count == len(_ErpKnowledge(participants).excluded):
        return
    excluded = {normalize_email(r.email) for r in mailjet.contacts(list_id, excluded=True)}
    flags = {}
    for p in participants:
        flag = normalize_email(p.email) in excluded
        if p.synced_state is not None and p.excluded != flag:
            flags[p.key] = flag
    if flags:
        store.set_exclusions(flags)


def _apply_to_erp(plan: Plan, store: ParticipantStore, report: RunReport) -> Mapping[str, Key]:
    """Pull before push: Mailjet's news reach the ERP before anything is sent. Returns
    the keys of the participants created, by address."""
    created: Mapping[str, Key] = {}
    if plan.new_participants:
        new = _with_matches(plan.new_participants, store)
        created = store.add_participants(new) or {}
        report.new_signups = len(new)
        report.matched = sum(1 for n in new if n.match_id is not None)
        report.ambiguous = sum(1 for n in new if n.ambiguous)
        report.unmatched = report.new_signups - report.matched - report.ambiguous
        for n in new:
            if n.ambiguous:
                params = {"email": n.email, "count": n.candidate_count}
                report.add(Note("ambiguous_match", params, created.get(n.email)))
    if plan.to_decline:
        store.decline(plan.to_decline)
        report.declined_from_mailjet = len(plan.to_decline)
    if plan.mark_synced:
        store.mark_synced(plan.mark_synced)
        report.marked_synced = len(plan.mark_synced)
    if plan.contact_ids:
        store.set_contact_ids(plan.contact_ids)
    if plan.exclusions:
        store.set_exclusions(plan.exclusions)
    return created


def _with_matches(new: Sequence[NewParticipant], store: ParticipantStore) -> list[NewParticipant]:
    """R11: link each new participant to its one employee or partner, if any."""
    emails = sorted({n.email for n in new})
    employees, partners = store.match_records(emails)
    index = MatchIndex.build(employees, partners)
    matched = []
    for n in new:
        m = index.match(n.email)
        matched.append(
            replace(
                n,
                match_kind=m.kind,
                match_id=m.record_id,
                match_ref=m.ref,
                ambiguous=m.ambiguous,
                candidate_count=m.candidate_count,
            )
        )
    return matched


# ---------------------------------------------------------------------- pull
def pull(
    mailjet: MailjetPort,
    list_id: int,
    participants: Sequence[Participant],
    checkpoint: Checkpoint | None,
    *,
    full: bool = False,
    known_empty: bool = False,
) -> tuple[MailjetView, ListCounters | None, str]:
    """Read as little of the list as tells what changed; see the module docstring."""
    if known_empty:
        return MailjetView(complete=True, excluded_emails=frozenset()), None, PULL_NEW_LIST

    known = _ErpKnowledge(participants)
    total = mailjet.count_members(list_id)
    unsubscribed = mailjet.count_members(list_id, unsubscribed=True)
    excluded = mailjet.count_excluded(list_id)
    counters = ListCounters.from_counts(total, unsubscribed, excluded)
    since = checkpoint.raw_signups_after if checkpoint else None
    signups = tuple(mailjet.signups(list_id, since=since))
    fresh = [s for s in signups if checkpoint is None or checkpoint.is_new(s)]
    newcomers = {normalize_email(s.email) for s in fresh} - known.members

    if full or total != len(known.members) + len(newcomers):
        view = _read_everything(mailjet, list_id, signups)
        return view, counters, PULL_FULL

    view = MailjetView(signups=signups)
    how = PULL_NONE
    # A widget signup of an address Mailjet had unsubscribed may have re-subscribed it,
    # which would hide another unsubscribe from the count: read the rows then as well.
    resignups = {normalize_email(s.email) for s in fresh} & known.unsubscribed
    if unsubscribed != len(known.unsubscribed) or resignups:
        view = _read_unsubscribed(mailjet, list_id, known, signups, total)
        how = PULL_FULL if view.complete else PULL_UNSUBSCRIBED
    if not view.complete and excluded != len(known.excluded):
        rows = mailjet.contacts(list_id, excluded=True)
        view = replace(view, excluded_emails=frozenset(normalize_email(r.email) for r in rows))
    return view, counters, how


class _ErpKnowledge:
    """What the participants say Mailjet has (distinct valid addresses)."""

    def __init__(self, participants: Sequence[Participant]) -> None:
        self.members: set[str] = set()
        self.unsubscribed: set[str] = set()
        self.excluded: set[str] = set()
        self.email_of_contact: dict[int, str] = {}
        for p in participants:
            try:
                email = validate_email(p.email)
            except InvalidEmail:
                continue
            if p.mailjet_contact_id:
                self.email_of_contact[p.mailjet_contact_id] = email
            if p.synced_state is None:
                continue
            self.members.add(email)
            if p.synced_state == DECLINED:
                self.unsubscribed.add(email)
            if p.excluded:
                self.excluded.add(email)


def _read_everything(
    mailjet: MailjetPort, list_id: int, signups: tuple[Signup, ...]
) -> MailjetView:
    """Every member with its state: the list's contacts plus its unsubscribed rows."""
    contacts = mailjet.contacts(list_id)
    unsub_rows = {r.contact_id: r for r in mailjet.recipients(list_id, unsubscribed=True)}
    return _complete_view(contacts, unsub_rows, signups)


def _complete_view(
    contacts: Sequence[ContactRow],
    unsub_rows: Mapping[int, ListRecipientRow],
    signups: tuple[Signup, ...],
) -> MailjetView:
    recipients = []
    for c in contacts:
        row = unsub_rows.get(c.id)
        recipients.append(
            Recipient(
                email=normalize_email(c.email),
                contact_id=c.id,
                unsubscribed=row is not None and row.unsubscribed,
                unsubscribed_at=row.unsubscribed_at if row else None,
                subscribed_at=row.subscribed_at if row else None,
                excluded=c.excluded,
                name=c.name,
            )
        )
    return MailjetView(
        recipients=tuple(recipients),
        signups=signups,
        complete=True,
        unsubscribed_complete=True,
    )


def _read_unsubscribed(
    mailjet: MailjetPort,
    list_id: int,
    known: _ErpKnowledge,
    signups: tuple[Signup, ...],
    total: int,
) -> MailjetView:
    """The unsubscribed members, with their addresses resolved as cheaply as possible."""
    rows = {r.contact_id: r for r in mailjet.recipients(list_id, unsubscribed=True)}
    email_of = dict(known.email_of_contact)
    for s in signups:
        if s.contact_id:
            email_of.setdefault(s.contact_id, normalize_email(s.email))
    unknown = [cid for cid in rows if cid not in email_of]
    pages = max(1, math.ceil(total / 1000))
    if len(unknown) > pages:
        # Cheaper to read the whole list's contacts, and then the view is complete.
        return _complete_view(mailjet.contacts(list_id), rows, signups)
    for cid in unknown:
        try:
            email_of[cid] = normalize_email(mailjet.contact(cid).email)
        except MailjetNotFound:
            _log.warning("Mailjet contact %s of list %s no longer exists", cid, list_id)
    recipients = tuple(
        Recipient(
            email=email_of[cid],
            contact_id=cid,
            unsubscribed=True,
            unsubscribed_at=row.unsubscribed_at,
            subscribed_at=row.subscribed_at,
        )
        for cid, row in rows.items()
        if cid in email_of and row.unsubscribed
    )
    return MailjetView(recipients=recipients, signups=signups, unsubscribed_complete=True)
