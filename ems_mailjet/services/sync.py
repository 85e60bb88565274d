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

Without an overview a list that finds nothing to do costs these four calls. After a push
the list's counters are what the participants now predict (``recount`` asks Mailjet
instead, two calls); the next run's counts check them.

All lists at once (``survey``, once per run). The read of all lists already carries each
list's ``SubscriberCount`` (every member); one paged read of ``contactslistsignup``
filtered by time alone holds the signups of every list since the oldest checkpoint; one
paged read holds every contact excluded from campaigns; and, while its pages are fewer
than the lists, one paged read of ``listrecipient`` filtered by ``Unsub`` alone holds the
unsubscribed members of every list. With that ``Overview`` a list is
*quiet* when its participants, summed up by the store in one aggregate query
(``Summary``), predict the SubscriberCount, no signup is new, no exclusion flag differs and
nothing waits to be pushed; then the number of its unsubscribed members decides (from the
read of all lists, else one count). Equal: nothing changed, no participant is loaded,
nothing is written (no call at all, or one).
Different, or any condition unmet: the list is synced as above, the overview standing in
for the reads it makes redundant (the signups, the excluded contacts, and the member count
when the SubscriberCount equals the prediction; otherwise the list is counted itself).

Pushes go only to participants whose state differs from ``synced_state``; they are
marked synced once Mailjet's job confirmed them, so a run cut short (crash, outage,
end of the window) is finished by the next one. The unsubscribe and the add jobs of
a list are submitted before either is polled, so their waits overlap.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Protocol, runtime_checkable

from .emails import InvalidEmail, normalize_email, validate_email
from .errors import MailjetAuthFailed, MailjetError, MailjetNotFound
from .gateway import ADD, UNSUB, ContactRow, ListCounters, ListRecipientRow, PushResult
from .matching import EmployeeRecord, MatchIndex, PartnerRecord
from .notes import ERROR, Note
from .properties import confirmed_fingerprints, fingerprint, with_property_updates
from .protection import hold_back
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
    evolve,
)

__all__ = [
    "ListOverview",
    "MailjetPort",
    "Overview",
    "ParticipantStore",
    "PendingList",
    "RunReport",
    "finish_lists",
    "poll_lists_once",
    "plan_list",
    "pull",
    "start_list",
    "summarize",
    "survey",
    "sync_list",
]

_log = logging.getLogger(__name__)

PULL_NONE = "counts only"
PULL_UNSUBSCRIBED = "unsubscribed members"
PULL_FULL = "all members"
PULL_NEW_LIST = "new list"
PULL_QUIET = "one count"


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
        Never creates partners or employees. Returns the new participants' keys by
        address.
        """

    def mark_synced(self, states: Mapping[Key, str]) -> None:
        """Record the state Mailjet confirmed (``"accepted"`` / ``"declined"``)."""

    def set_contact_ids(self, ids: Mapping[Key, int]) -> None: ...

    def erased_in_mailjet(self, erased: Mapping[Key, str]) -> None:
        """These participants' contact was erased in Mailjet (GDPR): suppress their
        address (by key: the normalised address) so that it is never sent again."""

    def set_exclusions(self, flags: Mapping[Key, bool]) -> None:
        """Whether each participant is excluded from marketing in Mailjet (global flag)."""

    def mark_refused(self, refusals: Mapping[Key, tuple[str, str]]) -> None:
        """Mailjet refused these participants' addresses: ``(address, Mailjet's reason)``.
        The address is not sent again until it changes or a user asks to try again."""

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

    def excluded_contacts(self) -> list[ContactRow]: ...

    def signups(self, list_id: int, since: Any = None) -> list[Signup]: ...

    def find_contact(self, email: str) -> ContactRow | None: ...

    def push(self, list_id: int, action: str, contacts: Sequence[PushContact]) -> PushResult: ...


@dataclass
class RunReport:
    """What one sync of one list did; counts of contacts/participants, not of calls."""

    list_id: int | None = None
    pushed: int = 0  # accepted participants added (ADD) and confirmed
    unsubscribed_in_mailjet: int = 0  # declined participants unsubscribed (UNSUB), confirmed
    declined_from_mailjet: int = 0  # ERP participants declined because of an unsubscribe
    new_signups: int = 0  # participants created from Mailjet contacts
    matched: int = 0  # ... of which linked to one employee or partner
    unmatched: int = 0  # ... kept with the address only
    ambiguous: int = 0  # ... with several candidates, not linked
    errors: int = 0  # len(error_lines)
    error_lines: list[Note] = field(default_factory=list)  # the error-level lines
    notes: list[Note] = field(default_factory=list)  # the other lines
    marked_synced: int = 0  # participants confirmed without a push
    api_calls: int = 0
    pull: str = PULL_NONE  # how much of Mailjet was read
    counters: ListCounters | None = None  # as Mailjet counted at the end of the run
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
    overview: ListOverview | None = None,
) -> RunReport:
    """Sync one list both ways; never raises for Mailjet trouble except bad credentials.

    ``full`` reads the whole list even when the counts agree (a periodic safety net);
    ``known_empty`` skips reading a list this run just created. ``recount`` re-reads the
    list counters after a push (two calls) so that ``report.counters`` is Mailjet's own;
    without it they are what the participants now predict. ``overview`` is what
    the run's account-wide reads (``survey``) know of this list; with it a list on which
    nothing changed costs one call and no participant is loaded.
    """
    started = start_list(
        mailjet,
        list_id,
        store,
        full=full,
        known_empty=known_empty,
        recount=recount,
        overview=overview,
    )
    if isinstance(started, PendingList):
        return finish_lists(mailjet, [started])[0]
    return started


@dataclass
class PendingList:
    """A list whose jobs ``start_list`` submitted; ``finish_lists`` polls them (with other
    lists' jobs) and completes its sync. Its ``report`` is final only then."""

    report: RunReport
    submission: Any  # the gateway's ``Submission``
    complete: Callable[[Sequence[PushResult]], None]


def start_list(
    mailjet: MailjetPort,
    list_id: int,
    store: ParticipantStore,
    *,
    full: bool = False,
    known_empty: bool = False,
    recount: bool = True,
    overview: ListOverview | None = None,
) -> RunReport | PendingList:
    """``sync_list`` up to the push: pull, apply to the ERP, submit the jobs. Returns the
    finished report when nothing was submitted (or the gateway cannot defer its polls),
    else a ``PendingList`` for ``finish_lists``: the polls of many lists then share their
    waits. Never raises for Mailjet trouble except bad credentials."""
    started = time.monotonic()
    calls_before = mailjet.calls
    report = RunReport(list_id=list_id, list_created=known_empty)
    pending = None
    try:
        pending = _run(
            mailjet,
            list_id,
            store,
            report,
            full=full,
            known_empty=known_empty,
            recount=recount,
            overview=overview,
        )
    except MailjetAuthFailed:
        raise
    except MailjetError as exc:
        _stopped(report, exc)
    finally:
        report.api_calls = mailjet.calls - calls_before
        report.duration = time.monotonic() - started
    return pending or report


def poll_lists_once(mailjet: MailjetPort, pending: Sequence[PendingList]) -> None:
    """Poll the submitted jobs of these lists once now (``gateway.poll_once``), so that
    what the caller does before ``finish_lists`` serves as their first wait."""
    if not pending or not hasattr(mailjet, "poll_once"):
        return
    before = [p.submission.calls for p in pending]
    mailjet.poll_once([p.submission for p in pending])
    for p, calls in zip(pending, before, strict=True):
        p.report.api_calls += p.submission.calls - calls


def finish_lists(mailjet: MailjetPort, pending: Sequence[PendingList]) -> list[RunReport]:
    """Poll the submitted jobs of these lists together, then complete each list's sync
    (mark what Mailjet confirmed, the counters); their reports, in order. Never raises
    for Mailjet trouble except bad credentials."""
    if not pending:
        return []
    started = time.monotonic()
    calls_before = [p.submission.calls for p in pending]
    try:
        results = mailjet.settle_many([p.submission for p in pending])
    except MailjetAuthFailed:
        raise
    except MailjetError as exc:
        for p in pending:
            _stopped(p.report, exc)
        return [p.report for p in pending]
    waited = (time.monotonic() - started) / len(pending)
    for p, result, before in zip(pending, results, calls_before, strict=True):
        p.report.api_calls += p.submission.calls - before
        clock, calls = time.monotonic(), mailjet.calls
        try:
            p.complete(result)
        except MailjetAuthFailed:
            raise
        except MailjetError as exc:
            _stopped(p.report, exc)
        finally:
            p.report.api_calls += mailjet.calls - calls
            p.report.duration += waited + time.monotonic() - clock
    return [p.report for p in pending]


def _stopped(report: RunReport, exc: MailjetError) -> None:
    report.aborted = True
    report.add(exc.note())
    _log.warning("Mailjet sync of list %s stopped: %s", report.list_id, exc)


def _run(
    mailjet, list_id, store, report, *, full, known_empty, recount, overview
) -> PendingList | None:
    checkpoint = store.get_checkpoint()
    if overview is not None and not (full or known_empty):
        overview = _quiet_list(mailjet, list_id, store, checkpoint, overview, report)
        if overview is None:
            return None  # nothing changed on either side
    participants = list(store.participants())

    plan, report.counters, report.pull = plan_list(
        mailjet,
        list_id,
        participants,
        checkpoint,
        full=full,
        known_empty=known_empty,
        overview=overview,
    )
    for line in plan.invalid + plan.notes:
        report.add(line)
    _stamp_unchanged_properties(store, participants)

    created = _apply_to_erp(plan, store, report, mailjet)
    new_checkpoint = plan.checkpoint
    if overview is not None:
        new_checkpoint = overview.advance(new_checkpoint)
    if new_checkpoint is not None and new_checkpoint != checkpoint:
        store.set_checkpoint(new_checkpoint)

    confirmed_states: dict[Key, str] = dict(plan.mark_synced)
    # Unsubscribes first: if the run is cut short, the safe half is done. Both batches
    # are submitted before their jobs are polled, so the waits overlap.
    batches = [
        (action, contacts, state)
        for action, contacts, state in (
            (UNSUB, plan.to_unsubscribe, DECLINED),
            (ADD, plan.to_add, ACCEPTED),
        )
        if contacts
    ]

    def complete(results: Sequence[PushResult]) -> None:
        """Mark what Mailjet confirmed, then the list's counters after the push."""
        if not _take_results(store, plan, report, confirmed_states, batches, results):
            return
        after = _after_run(participants, plan, confirmed_states, created)
        known_after = None
        if known_empty:
            # A list this run created holds exactly what Mailjet just confirmed; only the
            # account-wide exclusion flag has to be asked. A wrong guess (a job applied in
            # part) shows in the next run's counts, which then read the list.
            unsubscribed = report.unsubscribed_in_mailjet
            total = report.pushed + unsubscribed
        elif recount:
            total = mailjet.count_members(list_id)
            unsubscribed = mailjet.count_members(list_id, unsubscribed=True)
        else:
            # What the list held before (as predicted, or as read) with what Mailjet just
            # confirmed; the next run's counts check it, and read the list if it is wrong.
            known_after = _ErpKnowledge(after)
            total, unsubscribed = len(known_after.members), len(known_after.unsubscribed)
        if overview is not None and overview.excluded_emails is not None:
            # The run knows every excluded address of the account, and reconcile flagged
            # each participant with it: no need to ask the list.
            excluded = len((known_after or _ErpKnowledge(after)).excluded)
        else:
            excluded = mailjet.count_excluded(list_id)
            _refresh_exclusions(mailjet, list_id, store, excluded, after)
        report.counters = ListCounters.from_counts(total, unsubscribed, excluded)

    if batches and hasattr(mailjet, "submit_many"):
        submission = mailjet.submit_many(list_id, [(a, c) for a, c, _s in batches])
        return PendingList(report, submission, complete)
    results = []
    for action, contacts, _state in batches:
        results.append(mailjet.push(list_id, action, contacts))
        if results[-1].interrupted:
            break
    complete(results)
    return None


def _take_results(store, plan, report, confirmed_states, batches, results) -> bool:
    """Mark what Mailjet confirmed of the pushed ``batches`` (added to
    ``confirmed_states``); whether anything was confirmed. Raises when Mailjet became
    unavailable, after marking what it confirmed."""
    pushed = False
    for (action, contacts, state), result in zip(batches, results, strict=False):
        pushed = pushed or bool(result.succeeded)
        confirmed = {key: state for c in result.succeeded for key in c.keys}
        if confirmed:
            _confirm(store, confirmed, result.succeeded)
            confirmed_states.update(confirmed)
        count = len(result.succeeded)
        if action == UNSUB:
            report.unsubscribed_in_mailjet += count
        else:
            report.pushed += count
        keys_of = {c.email: c.keys for c in contacts}
        refusals = {}
        for problem in result.failed:
            keys = keys_of.get(problem.email) or (None,)
            params = {"email": problem.email, "detail": problem.message}
            report.add(Note("contact_refused", params, keys[0]))
            refusals.update({k: (problem.email, problem.message) for k in keys if k is not None})
        if refusals and hasattr(store, "mark_refused"):
            store.mark_refused(refusals)
        for line in result.job_errors:
            report.add(line)
    for result in results:
        if result.interrupted:
            # What Mailjet confirmed is marked; the rest is sent again next run.
            raise result.interrupted
    return pushed


def _refused_addresses(participants: Sequence[Participant]) -> dict[Key, str]:
    """The participants whose current address Mailjet refused before."""
    refused = {}
    for p in participants:
        if p.refused_email and _normalized(p.refused_email) == _normalized(p.email):
            refused[p.key] = p.refused_email
    return refused


def _not_refused(contacts: Sequence[PushContact], refused: Mapping[Key, str]) -> list:
    """One refused address never holds back another, and is not sent every night: a
    contact all of whose participants Mailjet refused with this very address waits
    until the address changes or a user asks to try again."""
    if not refused:
        return list(contacts)
    return [c for c in contacts if not c.keys or not all(k in refused for k in c.keys)]


def _normalized(email: str) -> str:
    return normalize_email(email)


def _confirm(store, states: Mapping[Key, str], contacts) -> None:
    """Record the states Mailjet confirmed and, in stores that keep them, the property
    values it confirmed with them (in one write where the store can)."""
    fingerprints = confirmed_fingerprints(contacts)
    if hasattr(store, "mark_synced_with_properties"):
        store.mark_synced_with_properties(states, fingerprints)
        return
    store.mark_synced(states)
    if fingerprints and hasattr(store, "set_property_fingerprints"):
        store.set_property_fingerprints(fingerprints)


def _stamp_unchanged_properties(store, participants) -> None:
    """Property values checked and found as Mailjet confirmed them are stamped again, so
    an edit of a partner that changed none of them does not keep its list from being
    quiet the next night."""
    if not hasattr(store, "set_property_fingerprints"):
        return
    # Only participants without a stamp need one: a store that says which saves
    # comparing the values of all the others.
    waiting = getattr(store, "unstamped_properties", None)
    unchanged = {
        p.key: p.properties_synced
        for p in participants
        if (waiting is None or p.key in waiting)
        and p.properties is not None
        and p.properties_synced
        and fingerprint(p.properties) == p.properties_synced
    }
    if unchanged:
        # not a confirmation: only missing stamps are written
        store.set_property_fingerprints(unchanged, confirmed=False)


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
            p = evolve(p, synced_state=synced, excluded=excluded)
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
    known = _ErpKnowledge(participants)
    if excluded_count in (len(known.excluded), known.excluded_subscribed):
        return
    excluded = {normalize_email(r.email) for r in mailjet.contacts(list_id, excluded=True)}
    flags = {}
    for p in participants:
        flag = normalize_email(p.email) in excluded
        if p.synced_state is not None and p.excluded != flag:
            flags[p.key] = flag
    if flags:
        store.set_exclusions(flags)


def _apply_to_erp(
    plan: Plan, store: ParticipantStore, report: RunReport, mailjet: MailjetPort | None = None
) -> Mapping[str, Key]:
    """Pull before push: Mailjet's news reach the ERP before anything is sent. Returns
    the keys of the participants created, by address (``mailjet``: asked for the names of
    new participants linked to nobody)."""
    created: Mapping[str, Key] = {}
    if plan.new_participants:
        new = _with_matches(plan.new_participants, store)
        if mailjet is not None:
            new = _with_names(mailjet, new)
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
    if plan.erased:
        store.erased_in_mailjet(plan.erased)
    if plan.mark_synced:
        store.mark_synced(plan.mark_synced)
        report.marked_synced = len(plan.mark_synced)
    if plan.contact_ids:
        store.set_contact_ids(plan.contact_ids)
    if plan.exclusions:
        store.set_exclusions(plan.exclusions)
    return created


def _find_erased(
    mailjet: MailjetPort, view: MailjetView, participants: Sequence[Participant]
) -> MailjetView:
    """In a complete view, an address Mailjet had confirmed but no longer lists was either
    removed from the list or erased (GDPR delete: the contact reads back anonymised, then
    is purged). Ask Mailjet for the contact by address, one call per such address
    (usually none): without a contact, it was erased and must never be pushed again."""
    if not view.complete:
        return view
    listed = {normalize_email(r.email) for r in view.recipients}
    absent = set()
    for p in participants:
        if p.synced_state is None or p.suppressed:
            continue
        try:
            email = validate_email(p.email)
        except InvalidEmail:
            continue
        if email not in listed:
            absent.add(email)
    erased = {email for email in sorted(absent) if mailjet.find_contact(email) is None}
    return replace(view, erased_emails=frozenset(erased)) if erased else view


def _with_names(mailjet: MailjetPort, new: list[NewParticipant]) -> list[NewParticipant]:
    """A signup row carries no name: ask Mailjet for the contact's name, one call per new
    participant without one that is linked to no employee or partner (a linked one shows
    the name of its record; a full read brings the names with the contacts, and so does
    the run's read of every contact when it was made)."""
    read_before = getattr(mailjet, "contact_name_if_read", lambda _contact_id: None)
    named = []
    for n in new:
        if not n.name and n.contact_id and n.match_id is None:
            known = read_before(n.contact_id)
            if known is not None:
                named.append(replace(n, name=known))
                continue
            try:
                n = replace(n, name=mailjet.contact(n.contact_id).name or "")
            except MailjetNotFound:
                _log.info("Mailjet contact %s is gone; the signup keeps its address", n.contact_id)
        named.append(n)
    return named


def _with_matches(new: Sequence[NewParticipant], store: ParticipantStore) -> list[NewParticipant]:
    """Link each new participant to its one employee or partner, if any."""
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


# ---------------------------------------------------------------------- overview
@dataclass(frozen=True)
class Overview:
    """What a run's account-wide reads say about every list at once (``survey``)."""

    subscriber_counts: Mapping[int, int] = field(default_factory=dict)
    signups_read: bool = False
    signups_since: Checkpoint | None = None  # the read's start; None: every signup ever
    signups: Mapping[int, tuple[Signup, ...]] = field(default_factory=dict)
    high_water: Checkpoint | None = None  # past the newest signup read, of any list
    excluded_emails: frozenset[str] | None = None  # every excluded address (None: not read)
    # every list's unsubscribed rows (None: not read, each list counts its own)
    unsubscribed_rows: Mapping[int, tuple[ListRecipientRow, ...]] | None = None

    def covers(self, checkpoint: Checkpoint | None) -> bool:
        """Whether the signup read holds every signup after ``checkpoint``."""
        if not self.signups_read:
            return False
        if self.signups_since is None:
            return True
        return (
            checkpoint is not None
            and checkpoint.signups_after is not None
            and checkpoint.signups_after >= self.signups_since.signups_after
        )

    def for_list(
        self, list_id: int, checkpoint: Checkpoint | None, *, created: bool = False
    ) -> ListOverview:
        """This list's part; signups only when the read covers the list's checkpoint (a
        list created after the read has no signup before it)."""
        covered = created or self.covers(checkpoint)
        return ListOverview(
            subscriber_count=self.subscriber_counts.get(list_id),
            signups=tuple(self.signups.get(list_id, ())) if covered else None,
            high_water=self.high_water if covered else None,
            excluded_emails=self.excluded_emails,
            unsubscribed_rows=(
                None
                if self.unsubscribed_rows is None or created
                else tuple(self.unsubscribed_rows.get(list_id, ()))
            ),
        )


@dataclass(frozen=True)
class ListOverview:
    """One list's part of an ``Overview``; a None field is read from the list itself."""

    subscriber_count: int | None = None  # Mailjet's SubscriberCount: every member
    signups: tuple[Signup, ...] | None = None  # every signup since the list's checkpoint
    excluded_emails: frozenset[str] | None = None  # every excluded address of the account
    unsubscribed: int | None = None  # the list's unsubscribed members, counted this run
    # the list's unsubscribed rows, read with every list's (then ``unsubscribed`` is theirs)
    unsubscribed_rows: tuple[ListRecipientRow, ...] | None = None
    # the list has no signup up to here (covered by the read): its checkpoint may move on
    high_water: Checkpoint | None = None

    def advance(self, checkpoint: Checkpoint | None) -> Checkpoint | None:
        """``checkpoint`` moved past every signup the run read, of any list."""
        return _later(checkpoint, self.high_water)


def _later(a: Checkpoint | None, b: Checkpoint | None) -> Checkpoint | None:
    if b is None or b.signups_after is None:
        return a
    if a is None or a.signups_after is None or b.signups_after > a.signups_after:
        return b
    if b.signups_after == a.signups_after:
        return replace(a, seen_ids=a.seen_ids | b.seen_ids)
    return a


@dataclass(frozen=True)
class Summary:
    """What the participants of one list predict Mailjet holds (``summarize``)."""

    members: int  # participants Mailjet confirmed (their address is on the list)
    unsubscribed: int  # ... confirmed unsubscribed
    excluded: int  # ... flagged as excluded from campaigns
    pending: int  # participants whose state Mailjet has not confirmed yet
    exclusion_changes: int  # participants whose excluded flag differs from Mailjet's
    # Subscribed participants whose contact property values may have changed since Mailjet
    # confirmed them (never confirmed, or their partner or employee edited since).
    property_changes: int = 0


def survey(
    mailjet: Any,
    lists: Sequence[tuple[int, int | None, Checkpoint | None]],
) -> Overview:
    """Ask Mailjet about all lists at once. ``lists`` holds ``(list id, SubscriberCount
    from the lists read, checkpoint)`` of the lists that existed before this run. Reads
    the signups of every list since the oldest checkpoint (from the beginning when a list
    has none) with one paged call filtered by time alone, and every contact excluded from
    campaigns with one paged call. Raises ``MailjetError`` like any read."""
    counts = {list_id: count for list_id, count, _c in lists if count is not None}
    checkpoints = [c for _l, _n, c in lists]
    since = None
    if checkpoints and all(c is not None and c.signups_after is not None for c in checkpoints):
        since = min(checkpoints, key=lambda c: c.signups_after)
    found = mailjet.all_signups(since.raw_signups_after if since else None)
    signups = {list_id: tuple(rows) for list_id, rows in found.items()}
    high_water = Checkpoint().after_signups(s for rows in signups.values() for s in rows)
    excluded = frozenset(normalize_email(r.email) for r in mailjet.excluded_contacts())
    unsubscribed = None
    if len(lists) > 2 and hasattr(mailjet, "all_unsubscribed"):
        # Cheaper than one count per list only while the pages are fewer than the lists.
        found_rows = mailjet.all_unsubscribed(max_calls=len(lists) - 1)
        if found_rows is not None:
            unsubscribed = {list_id: tuple(rows) for list_id, rows in found_rows.items()}
    return Overview(counts, True, since, signups, high_water, excluded, unsubscribed)


def summarize(participants: Iterable[Participant], excluded_emails: Collection[str]) -> Summary:
    """``Summary`` of participants (addresses counted once); the Odoo store answers the
    same with one aggregate query."""
    participants = list(participants)
    members: set[str] = set()
    unsubscribed: set[str] = set()
    excluded: set[str] = set()
    pending = changes = 0
    for p in participants:
        email = normalize_email(p.email)
        if p.synced_state is not None:
            members.add(email)
            if p.synced_state == DECLINED:
                unsubscribed.add(email)
            if p.excluded:
                excluded.add(email)
        pending += p.synced_state != p.state
        changes += bool(p.excluded) != (email in excluded_emails)
    properties = len(with_property_updates(Plan(), participants).to_add)
    return Summary(len(members), len(unsubscribed), len(excluded), pending, changes, properties)


def _quiet_list(mailjet, list_id, store, checkpoint, overview, report):
    """The cheap answer for a list on which nothing may have changed: the participants
    predict Mailjet's SubscriberCount, there is no new signup, no exclusion changed and
    nothing waits to be pushed; then one count of the unsubscribed members tells whether
    Mailjet changed. Returns None when nothing changed (the report has the counters), or
    the overview (with that count) for the full sync when something may have."""
    if (
        overview.subscriber_count is None
        or overview.signups is None
        or overview.excluded_emails is None
    ):
        return overview
    if any(
        s.confirmed and not s.erased and (checkpoint is None or checkpoint.is_new(s))
        for s in overview.signups
    ):
        return overview
    summarize_store = getattr(store, "summary", None)
    if summarize_store is not None:
        summary = summarize_store(overview.excluded_emails)
    else:
        summary = summarize(store.participants(), overview.excluded_emails)
    if (
        summary.pending
        or summary.exclusion_changes
        or (overview.subscriber_count != summary.members)
        or summary.property_changes
    ):
        return overview
    if overview.unsubscribed_rows is not None:
        unsubscribed = len(overview.unsubscribed_rows)
    else:
        unsubscribed = mailjet.count_members(list_id, unsubscribed=True)
    if unsubscribed != summary.unsubscribed:
        return replace(overview, unsubscribed=unsubscribed)
    report.pull = PULL_QUIET
    report.counters = ListCounters.from_counts(summary.members, unsubscribed, summary.excluded)
    advanced = overview.advance(checkpoint)
    if advanced != checkpoint:
        store.set_checkpoint(advanced)
    return None


def plan_list(
    mailjet: MailjetPort,
    list_id: int,
    participants: Sequence[Participant],
    checkpoint: Checkpoint | None,
    *,
    full: bool = False,
    known_empty: bool = False,
    overview: ListOverview | None = None,
) -> tuple[Plan, ListCounters | None, str]:
    """What a sync of one list will change: the pull, the reconciliation, the contact
    properties that changed (``properties``), then the bounce and blacklist protection
    (``protection.hold_back``) and the addresses Mailjet refused before. Reads Mailjet
    and writes nothing; ``sync_list`` applies the plan, the preview shows it."""
    view, counters, how = pull(
        mailjet,
        list_id,
        participants,
        checkpoint,
        full=full,
        known_empty=known_empty,
        overview=overview,
    )
    view = _find_erased(mailjet, view, participants)
    plan = _learn_contact_ids(view, reconcile(participants, view, checkpoint), participants)
    plan = hold_back(with_property_updates(plan, participants), participants)
    # An address Mailjet refused is not sent again until it changes or a user asks.
    refused = _refused_addresses(participants)
    plan.to_unsubscribe = _not_refused(plan.to_unsubscribe, refused)
    plan.to_add = _not_refused(plan.to_add, refused)
    return plan, counters, how


# ---------------------------------------------------------------------- pull
def pull(
    mailjet: MailjetPort,
    list_id: int,
    participants: Sequence[Participant],
    checkpoint: Checkpoint | None,
    *,
    full: bool = False,
    known_empty: bool = False,
    overview: ListOverview | None = None,
) -> tuple[MailjetView, ListCounters | None, str]:
    """Read as little of the list as tells what changed; see the module docstring.

    With an ``overview`` its signups and excluded addresses replace the list's own reads,
    and its ``SubscriberCount`` replaces the member count when it equals the prediction
    (otherwise the list is counted: that number decides whether it is read in full).
    """
    overview = overview or ListOverview()
    if known_empty:
        # An address may already be excluded in Mailjet (a flag of the whole account).
        excluded_emails = overview.excluded_emails or frozenset()
        return MailjetView(complete=True, excluded_emails=excluded_emails), None, PULL_NEW_LIST

    known = _ErpKnowledge(participants)
    if overview.signups is not None:
        signups = overview.signups
    else:
        since = checkpoint.raw_signups_after if checkpoint else None
        signups = tuple(mailjet.signups(list_id, since=since))
    fresh = [
        s
        for s in signups
        if s.confirmed and not s.erased and (checkpoint is None or checkpoint.is_new(s))
    ]
    newcomers = {normalize_email(s.email) for s in fresh} - known.members
    expected = len(known.members) + len(newcomers)
    if overview.subscriber_count is not None and overview.subscriber_count == expected:
        total = overview.subscriber_count
    else:
        total = mailjet.count_members(list_id)
    if overview.unsubscribed is not None:
        unsubscribed = overview.unsubscribed
    elif overview.unsubscribed_rows is not None:
        unsubscribed = len(overview.unsubscribed_rows)
    else:
        unsubscribed = mailjet.count_members(list_id, unsubscribed=True)
    if overview.excluded_emails is not None:
        excluded_emails = overview.excluded_emails
        excluded = len((known.members | newcomers) & excluded_emails)
    else:
        excluded_emails = None
        excluded = mailjet.count_excluded(list_id)
    counters = ListCounters.from_counts(total, unsubscribed, excluded)

    if full or total != expected:
        view = _read_everything(
            mailjet, list_id, signups, known, overview.unsubscribed_rows, overview.excluded_emails
        )
        if excluded_emails is not None:
            view = replace(view, excluded_emails=excluded_emails)
        return view, counters, PULL_FULL

    view = MailjetView(signups=signups)
    how = PULL_NONE
    # A widget signup of an address Mailjet had unsubscribed may have re-subscribed it,
    # which would hide another unsubscribe from the count: read the rows then as well.
    resignups = {normalize_email(s.email) for s in fresh} & known.unsubscribed
    if unsubscribed != len(known.unsubscribed) or resignups:
        view = _read_unsubscribed(
            mailjet,
            list_id,
            known,
            signups,
            total,
            overview.unsubscribed_rows,
            overview.excluded_emails,
        )
        how = PULL_FULL if view.complete else PULL_UNSUBSCRIBED
    if excluded_emails is not None:
        view = replace(view, excluded_emails=excluded_emails)
    # Mailjet may count only subscribed members of a list: either count is as predicted.
    elif not view.complete and excluded not in (len(known.excluded), known.excluded_subscribed):
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
            if p.synced_state is None or p.suppressed:
                continue  # an erased contact leaves the list when Mailjet purges it
            self.members.add(email)
            if p.synced_state == DECLINED:
                self.unsubscribed.add(email)
            if p.excluded:
                self.excluded.add(email)
        self.excluded_subscribed = len(self.excluded - self.unsubscribed)


def _read_everything(
    mailjet: MailjetPort,
    list_id: int,
    signups: tuple[Signup, ...],
    known: _ErpKnowledge | None = None,
    unsubscribed_rows: Sequence[ListRecipientRow] | None = None,
    excluded_emails: Collection[str] | None = None,
) -> MailjetView:
    """Every member with its state: the list's contacts plus its unsubscribed rows (read
    now unless the run's read of every list's brought them)."""
    contacts = mailjet.contacts(list_id)
    if unsubscribed_rows is None:
        unsubscribed_rows = mailjet.recipients(list_id, unsubscribed=True)
    unsub_rows = {r.contact_id: r for r in unsubscribed_rows}
    listed = {c.id for c in contacts}
    hidden = [cid for cid, row in unsub_rows.items() if row.unsubscribed and cid not in listed]
    resolve = _resolver(mailjet, list_id, known, signups, hidden)
    view = _complete_view(contacts, unsub_rows, signups, resolve)
    return _with_exclusions_of_unlisted(mailjet, view, excluded_emails)


def _with_exclusions_of_unlisted(
    mailjet: MailjetPort, view: MailjetView, excluded_emails: Collection[str] | None = None
) -> MailjetView:
    """Members the list's contact listing left out carry no exclusion flag; the account's
    excluded contacts give it (``excluded_emails`` when the run read them, else read
    now: usually few)."""
    if all(r.excluded is not None for r in view.recipients):
        return view
    excluded = excluded_emails
    if excluded is None:
        excluded = {normalize_email(c.email) for c in mailjet.excluded_contacts()}
    recipients = tuple(
        r if r.excluded is not None else replace(r, excluded=r.email in excluded)
        for r in view.recipients
    )
    return replace(view, recipients=recipients, excluded_emails=None)


def _resolver(mailjet, list_id, known, signups, wanted=()):
    """Contact id → address: what the ERP and the signups know, else one call. When more
    of the ``wanted`` ids are unknown than the account has pages of contacts, the run's
    map of every contact's address (``contact_emails``, read once per run) answers."""
    email_of = dict(known.email_of_contact) if known else {}
    for s in signups:
        if s.contact_id:
            email_of.setdefault(s.contact_id, normalize_email(s.email))
    unknown = [cid for cid in wanted if cid not in email_of]
    if unknown and _account_map_pays(mailjet, len(unknown)):
        account = mailjet.contact_emails()
        for cid in unknown:
            if cid in account:
                email_of[cid] = normalize_email(account[cid])

    def resolve(contact_id: int) -> str | None:
        if contact_id not in email_of:
            try:
                email_of[contact_id] = normalize_email(mailjet.contact(contact_id).email)
            except MailjetNotFound:
                _log.warning("Mailjet contact %s of list %s no longer exists", contact_id, list_id)
                return None
        return email_of[contact_id]

    return resolve


def _account_map_pays(mailjet: MailjetPort, unknown: int) -> bool:
    """Whether the run's map of every contact's address (``contact_emails``) is the
    cheapest way to resolve ``unknown`` contact ids: it is read already, or its pages are
    fewer than the calls for one id at a time, counting those this run has made already
    (the map serves every later list too, so a run never pays much more than twice the
    cheaper of the two)."""
    if not hasattr(mailjet, "contact_emails"):
        return False
    if mailjet.contact_emails_loaded():
        return True
    spent = getattr(mailjet, "single_contact_reads", 0)
    return unknown + spent > mailjet.count_contacts() // getattr(mailjet, "page_size", 1000) + 1


def _learn_contact_ids(view: MailjetView, plan: Plan, participants) -> Plan:
    """When the pull resolved this list's unsubscribes with the map of every contact's
    address, the participants whose address Mailjet has learn their contact id from it,
    at no cost: a later unsubscribe of theirs is resolved without a call."""
    id_of = view.contact_ids
    if not id_of:
        return plan
    for p in participants:
        if p.key in plan.contact_ids:
            continue
        contact_id = id_of.get(normalize_email(p.email))
        if contact_id and contact_id != p.mailjet_contact_id:
            plan.contact_ids[p.key] = contact_id
    return plan


def _complete_view(
    contacts: Sequence[ContactRow],
    unsub_rows: Mapping[int, ListRecipientRow],
    signups: tuple[Signup, ...],
    resolve=None,
) -> MailjetView:
    """The complete view of a list. Mailjet may leave unsubscribed members out of a
    list's contacts; their unsubscribe rows are resolved to addresses (``resolve``)
    rather than dropped, so that no unsubscribe is lost."""
    recipients = []
    listed = set()
    for c in contacts:
        row = unsub_rows.get(c.id)
        listed.add(c.id)
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
    for cid, row in unsub_rows.items():
        if cid in listed or not row.unsubscribed or resolve is None:
            continue
        email = resolve(cid)
        if email:
            recipients.append(
                Recipient(
                    email=email,
                    contact_id=cid,
                    unsubscribed=True,
                    unsubscribed_at=row.unsubscribed_at,
                    subscribed_at=row.subscribed_at,
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
    unsubscribed_rows: Sequence[ListRecipientRow] | None = None,
    excluded_emails: Collection[str] | None = None,
) -> MailjetView:
    """The unsubscribed members, with their addresses resolved as cheaply as possible (the
    rows read now unless the run's read of every list's brought them)."""
    if unsubscribed_rows is None:
        unsubscribed_rows = mailjet.recipients(list_id, unsubscribed=True)
    rows = {r.contact_id: r for r in unsubscribed_rows}
    email_of = dict(known.email_of_contact)
    for s in signups:
        if s.contact_id:
            email_of.setdefault(s.contact_id, normalize_email(s.email))
    unknown = [cid for cid in rows if cid not in email_of]
    pages = max(1, math.ceil(total / 1000))
    learnt = None
    if len(unknown) > pages and _account_map_pays(mailjet, len(unknown)):
        # The run's map of every contact's address: read once, it serves every list,
        # and the participants learn their contact ids from it.
        account = mailjet.contact_emails()
        for cid in unknown:
            if cid in account:
                email_of[cid] = normalize_email(account[cid])
        unknown = [cid for cid in unknown if cid not in email_of]
        learnt = mailjet.contact_ids_by_email()
    if len(unknown) > pages:
        # Cheaper to read the whole list's contacts, and then the view is complete.
        contacts = mailjet.contacts(list_id)
        listed = {c.id for c in contacts}
        hidden = [cid for cid, row in rows.items() if row.unsubscribed and cid not in listed]
        resolve = _resolver(mailjet, list_id, known, signups, hidden)
        view = _complete_view(contacts, rows, signups, resolve)
        return _with_exclusions_of_unlisted(mailjet, view, excluded_emails)
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
    return MailjetView(
        recipients=recipients, signups=signups, unsubscribed_complete=True, contact_ids=learnt
    )
