"""Reconciliation: who ends up subscribed, decided once, as a pure function.

``reconcile(participants, view, checkpoint)`` compares the ERP campaign's participants
with what the pull learned about the Mailjet list and returns a ``Plan``. It reads
nothing and writes nothing; the orchestrator (``sync.py``) pulls before it and applies
the plan after it.

The rules, per e-mail address (participants are grouped by normalised address, since
Mailjet keeps one subscription per address and list):

1. Pull before push. Mailjet's unsubscribes and signups are read first and decided
   here, before anything is sent to Mailjet.
2. An unsubscribe in Mailjet wins (R7, D4). If Mailjet has the address unsubscribed,
   every participant with it becomes declined in the ERP; nothing is pushed.
   When this run did not read the address in Mailjet, the state Mailjet last confirmed
   (``synced_state``) stands for it.
3. A decline in the ERP wins (D4). If any participant with the address is declined,
   the address is unsubscribed in Mailjet with ``unsub`` (also after a widget
   re-signup) and the other participants with that address are declined too.
4. Unsubscribe is final (R8). Once Mailjet confirmed an unsubscribe, the sync never
   subscribes the address again: an ERP participant switched back to accepted is
   declined again, unless Mailjet itself shows the address subscribed again. Only the
   consent action (``MailjetGateway.resubscribe_with_consent``) re-subscribes.
5. A push never re-subscribes. Accepted participants are sent with ``addnoforce``,
   which leaves a contact that is unsubscribed in Mailjet unsubscribed. ``addforce``
   and ``remove`` are never planned: ``remove`` would erase Mailjet's memory of an
   unsubscribe, so declined participants are unsubscribed, never removed.
6. Only differences are pushed. A participant whose Mailjet state is already its ERP
   state (``synced_state``, or what the pull saw) is marked synced without a call.
7. Contacts only Mailjet has (widget signups, R10) become new participants, in the
   state Mailjet has them in. Signups not newer than the checkpoint are old news.
8. Invalid addresses are reported and never pushed.
9. Double opt-in: a widget signup that was not confirmed yet is no subscription. It is
   neither a participant nor pushed; it counts once it is confirmed.
10. Erasure. A contact Mailjet anonymised after a GDPR delete (``…@domain.invalid``,
    ``Anonymized``) is no address: the participants with its contact id are declined
    ("erased in Mailjet") and their address is suppressed. A suppressed address (erased
    in either system) is never sent to Mailjet again, neither added nor unsubscribed.

Applying a plan twice changes nothing more than applying it once: ``addnoforce`` and
``unsub`` are idempotent in Mailjet, and every ERP change sets a value rather than
toggling one.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from .emails import InvalidEmail, normalize_email, validate_email
from .notes import Note
from .records import (
    ACCEPTED,
    DECLINED,
    Checkpoint,
    Decline,
    MailjetView,
    NewParticipant,
    Participant,
    Plan,
    PushContact,
    Recipient,
    Signup,
)

__all__ = ["reconcile"]

# What Mailjet has for one address, as far as this run knows.
SUBSCRIBED = "subscribed"
UNSUBSCRIBED = "unsubscribed"
ABSENT = "absent"  # read, and not on the list
NOT_UNSUBSCRIBED = "not unsubscribed"  # read: subscribed or not on the list
UNKNOWN = "unknown"  # not read, never confirmed

REASON_MAILJET_UNSUB = "unsubscribed in Mailjet"
REASON_SAME_ADDRESS = "another participant with the same address is declined"
REASON_FINAL = "the unsubscribe is final; re-subscribing needs the consent action"
REASON_ERASED = "erased in Mailjet"


@dataclass(frozen=True)
class _Seen:
    """The Mailjet state of one address and whether this run actually read it."""

    state: str
    recipient: Recipient | None = None


def reconcile(
    participants: Iterable[Participant],
    view: MailjetView,
    checkpoint: Checkpoint | None = None,
) -> Plan:
    """Decide what one sync changes on each side. Pure: no I/O, inputs untouched."""
    plan = Plan()
    groups = _group_valid_participants(participants, plan)
    recipients = _mailjet_recipients(view, checkpoint)
    erased_ids = {r.contact_id for r in view.recipients if r.erased and r.contact_id}

    for email, group in groups.items():
        if email in view.erased_emails or any(p.mailjet_contact_id in erased_ids for p in group):
            _erased_in_mailjet(email, group, plan)
            continue
        if any(p.suppressed for p in group):
            continue  # rule 10: an erased address is never sent again
        seen = _mailjet_state(email, group, view, recipients)
        _decide(email, group, seen, view, plan)

    signups = _confirmed_signups(view, checkpoint)
    for email, recipient in recipients.items():
        if email not in groups:
            _new_participant(email, recipient, view, plan, signups.get(email))

    plan.checkpoint = (checkpoint or Checkpoint()).after_signups(view.signups)
    plan.to_add.sort(key=lambda c: c.email)
    plan.to_unsubscribe.sort(key=lambda c: c.email)
    plan.new_participants.sort(key=lambda n: n.email)
    return plan


def _decide(
    email: str, group: list[Participant], seen: _Seen, view: MailjetView, plan: Plan
) -> None:
    """Apply rules 2-6 to the participants sharing one address."""
    erp_declined = any(p.state == DECLINED for p in group)
    confirmed_unsub = any(p.synced_state == DECLINED for p in group)
    recipient = seen.recipient
    when = recipient.unsubscribed_at if recipient else None

    if seen.state == UNSUBSCRIBED:
        # Rule 2: Mailjet's unsubscribe wins; nothing to push.
        reason = REASON_MAILJET_UNSUB if recipient else REASON_FINAL
        _decline_accepted(group, when, reason, plan)
        _mark_synced(group, DECLINED, plan)
    elif erp_declined or (confirmed_unsub and seen.state != SUBSCRIBED):
        # Rules 3 and 4: the ERP's (or an earlier confirmed) unsubscribe wins.
        if seen.state == SUBSCRIBED and confirmed_unsub:
            key = next((p.key for p in group if p.state == DECLINED), group[0].key)
            plan.notes.append(Note("resignup_kept_declined", {"email": email}, key))
        reason = REASON_SAME_ADDRESS if erp_declined else REASON_FINAL
        _decline_accepted(group, _first_declined_at(group), reason, plan)
        plan.to_unsubscribe.append(_push_contact(email, group))
    elif seen.state == SUBSCRIBED:
        # Rule 6: both sides already agree.
        _mark_synced(group, ACCEPTED, plan)
    else:
        # Rule 5: absent or unknown in Mailjet; addnoforce never re-subscribes.
        plan.to_add.append(_push_contact(email, group))

    if recipient and recipient.contact_id:
        for p in group:
            if p.mailjet_contact_id != recipient.contact_id:
                plan.contact_ids[p.key] = recipient.contact_id
    if view.excluded_emails is not None:
        excluded = email in view.excluded_emails
        for p in group:
            if p.excluded != excluded:
                plan.exclusions[p.key] = excluded


def _erased_in_mailjet(email: str, group: list[Participant], plan: Plan) -> None:
    """Rule 10: the contact was erased in Mailjet; the ERP follows and forgets nothing it
    must keep (the decline), and never sends the address again."""
    for p in group:
        if p.state == ACCEPTED:
            plan.to_decline.append(Decline(p.key, None, REASON_ERASED))
        plan.erased[p.key] = email
    plan.notes.append(Note("erased_in_mailjet", {"count": len(group)}, group[0].key))


def _confirmed_signups(view: MailjetView, checkpoint: Checkpoint | None) -> dict[str, Signup]:
    """The newest confirmed signup of each address (the proof of consent)."""
    found: dict[str, Signup] = {}
    for s in view.signups:
        if not s.confirmed or s.erased or (checkpoint is not None and not checkpoint.is_new(s)):
            continue
        email = normalize_email(s.email)
        known = found.get(email)
        if known is None or (s.handled_at or s.signup_at or 0) > (known.handled_at or 0):
            found[email] = s
    return found


def _new_participant(
    email: str,
    recipient: Recipient,
    view: MailjetView,
    plan: Plan,
    signup: Signup | None = None,
) -> None:
    """Rule 7: a contact only Mailjet has joins the campaign in Mailjet's state."""
    try:
        validate_email(email)
    except InvalidEmail as exc:
        plan.invalid.append(address_problem("signup_invalid_address", email, exc))
        return
    excluded = bool(
        recipient.excluded or (view.excluded_emails is not None and email in view.excluded_emails)
    )
    plan.new_participants.append(
        NewParticipant(
            email=email,
            name=recipient.name,
            state=DECLINED if recipient.unsubscribed else ACCEPTED,
            contact_id=recipient.contact_id,
            subscribed_at=recipient.subscribed_at,
            declined_at=recipient.unsubscribed_at if recipient.unsubscribed else None,
            excluded=excluded,
            signup_at=signup.signup_at if signup else None,
            signup_ip=signup.signup_ip if signup else "",
            confirmed_at=signup.confirm_at if signup else None,
            confirm_ip=signup.confirm_ip if signup else "",
        )
    )


def _group_valid_participants(
    participants: Iterable[Participant], plan: Plan
) -> dict[str, list[Participant]]:
    """Participants by normalised address; invalid addresses go to ``plan.invalid`` (rule 8)."""
    groups: dict[str, list[Participant]] = {}
    for p in participants:
        try:
            email = validate_email(p.email)
        except InvalidEmail as exc:
            plan.invalid.append(
                address_problem("invalid_address", normalize_email(p.email), exc, p.key)
            )
            continue
        groups.setdefault(email, []).append(p)
    return dict(sorted(groups.items()))


def address_problem(code: str, email: str, exc: InvalidEmail, key=None) -> Note:
    """The run-log line of an unusable address; the reason stays a code of its own."""
    params = {"email": email, "reason_code": exc.code, "reason_params": dict(exc.params)}
    return Note(code, params, key)


def _mailjet_recipients(view: MailjetView, checkpoint: Checkpoint | None) -> dict[str, Recipient]:
    """Everything the pull saw, by address; new signups count as subscribed members."""
    recipients: dict[str, Recipient] = {}
    for r in view.recipients:
        if r.erased:
            continue  # rule 10: not an address any more
        email = normalize_email(r.email)
        known = recipients.get(email)
        if known is None or (r.unsubscribed and not known.unsubscribed):
            recipients[email] = r
    for s in view.signups:
        if not s.confirmed or s.erased:
            continue  # rules 9 and 10: no subscription (yet), or no address any more
        if checkpoint is not None and not checkpoint.is_new(s):
            continue  # rule 7: already handled by an earlier run
        email = normalize_email(s.email)
        if email not in recipients:
            recipients[email] = Recipient(
                email=email, contact_id=s.contact_id, subscribed_at=s.signup_at
            )
    return recipients


def _mailjet_state(
    email: str, group: list[Participant], view: MailjetView, recipients: dict[str, Recipient]
) -> _Seen:
    recipient = recipients.get(email)
    if recipient is not None:
        return _Seen(UNSUBSCRIBED if recipient.unsubscribed else SUBSCRIBED, recipient)
    if view.complete:
        return _Seen(ABSENT)
    synced = {p.synced_state for p in group}
    if DECLINED in synced:
        return _Seen(NOT_UNSUBSCRIBED if view.unsubscribed_complete else UNSUBSCRIBED)
    if ACCEPTED in synced:
        return _Seen(SUBSCRIBED)
    return _Seen(UNKNOWN)


def _decline_accepted(group: list[Participant], when, reason: str, plan: Plan) -> None:
    for p in group:
        if p.state == ACCEPTED:
            plan.to_decline.append(Decline(p.key, when, reason))


def _mark_synced(group: list[Participant], state: str, plan: Plan) -> None:
    for p in group:
        if p.synced_state != state:
            plan.mark_synced[p.key] = state


def _first_declined_at(group: list[Participant]):
    dates = [p.declined_at for p in group if p.state == DECLINED and p.declined_at]
    return min(dates) if dates else None


def _push_contact(email: str, group: list[Participant]) -> PushContact:
    name = next((p.name for p in group if p.name), "")
    return PushContact(email=email, name=name, keys=tuple(p.key for p in group))
