from datetime import timezone

from odoo import api, fields, models
from odoo.tools.misc import format_datetime

from ..services.engagement import activity_events
from ..services.protection import protection_events
from ..services.webhook import SPAM_EVENT, decide, predates_consent


class EmsMailjetEvents(models.AbstractModel):
    """What Mailjet's events do in the ERP: unsubscribes and spam complaints decline the
    participant, hard bounces flag it, opens and clicks become its activity. Used by the
    webhook (in real time) and by the nightly read of the mailings (as the safety net)."""

    _name = "ems.mailjet.events"
    _description = "Mailjet events applied to campaign participants"

    @api.model
    def _mailjet_webhook_process(self, interface, parsed):
        """Apply Mailjet's events (``services.webhook.ParsedEvents``) to the newsletter
        campaigns of ``interface``; return (participants declined, events ignored).

        Idempotent: a participant that is already declined keeps its date and gets no new
        chatter line, so Mailjet's retries and duplicates change nothing."""
        campaigns = (
            self.env["utm.campaign"]
            .sudo()
            .with_context(active_test=False)
            .search(
                [
                    ("mailjet_interface_id", "=", interface.id),
                    ("mailjet_newsletter", "=", True),
                    ("mailjet_list_id", "!=", False),
                ]
            )
        )
        list_of = campaigns._mailjet_list_ids()
        decisions = decide(parsed.events, list_of.values())
        to_decline, to_confirm = self._mailjet_webhook_targets(interface, list_of, decisions)
        lines = []
        bodies = {}
        for participant, decline in to_decline:
            when = decline.when.astimezone(timezone.utc).replace(tzinfo=None)  # Odoo: naive UTC
            participant.write(
                {"state": "declined", "declined_at": when, "mailjet_synced_state": "declined"}
            )
            moment = f"{fields.Datetime.to_string(when)}"
            spam = decline.reason == SPAM_EVENT
            bodies[participant.id] = self._mailjet_webhook_body(spam, when, interface.tz)
            params = {
                "email": participant.email_normalized,
                "campaign": participant.campaign_id.title or participant.campaign_id.name,
                "date": moment,
                "tz": interface.tz or "UTC",
            }
            code = "webhook_spam" if spam else "webhook_unsubscribed"
            lines.append((code, params, participant.campaign_id, participant.id))
        if bodies:
            # The legal trail of each unsubscribe, next to the state's own tracking.
            participants = self.env["ems.campaign.participant"].sudo()
            participants.browse(list(bodies))._message_log_batch(bodies)
        if to_confirm:
            to_confirm.write({"mailjet_synced_state": "declined"})
            lines.append(("webhook_confirmed", {"count": len(to_confirm)}, None, None))
        protected, protection_lines = self._mailjet_webhook_protect(interface, parsed.events)
        protected += self._mailjet_webhook_activity(interface, parsed.events)
        lines += protection_lines
        if to_decline or to_confirm or protection_lines:
            run = (
                self.env["ems.mailjet.sync.run"]
                .sudo()
                .create(
                    {
                        "interface_id": interface.id,
                        "trigger": "webhook",
                        "declined_from_mailjet": len(to_decline),
                    }
                )
            )
            for code, params, campaign, participant_id in lines:
                run._log(code, params, campaign, participant_id)
            run._finish("done")
        applied = {decline.event_key for _participant, decline in to_decline}
        ignored = parsed.skipped + len(parsed.events) - len(applied) - protected
        return len(to_decline), ignored

    @api.model
    def _mailjet_webhook_targets(self, interface, list_of, decisions):
        """(participants to decline with their decision, participants already declined
        whose unsubscribe Mailjet now confirms)."""
        participants = self.env["ems.campaign.participant"].sudo().with_context(active_test=False)
        wanted = {(d.list_id, d.email): d for d in decisions.declines}
        if not wanted:
            return [], participants.browse()
        found = participants.search(
            [
                ("campaign_id", "in", list(list_of)),
                ("email_normalized", "in", sorted(decisions.emails)),
            ],
            order="campaign_id, id",
        )
        to_decline, to_confirm = [], participants.browse()
        for participant in found:
            decline = wanted.get(
                (list_of.get(participant.campaign_id.id), participant.email_normalized)
            )
            if not decline:
                continue
            if participant.state == "declined":
                if participant.mailjet_synced_state != "declined":
                    to_confirm |= participant
            elif not predates_consent(decline.when, participant.consent_date, interface.tz):
                to_decline.append((participant, decline))
        return to_decline, to_confirm

    @api.model
    def _mailjet_webhook_body(self, spam, when, tz):
        """The chatter line of a participant declined by the webhook."""
        zone = tz or "UTC"
        moment = f"{format_datetime(self.env, when, tz=zone, dt_format='medium')} ({zone})"
        if spam:
            return self.env._("Reported as spam in Mailjet (webhook) on %(date)s.", date=moment)
        return self.env._("Unsubscribed in Mailjet (webhook) on %(date)s.", date=moment)

    # ------------------------------------------------------------------ bounce and spam
    @api.model
    def _mailjet_webhook_protect(self, interface, events):
        """Flag the participants of ``interface``'s campaigns that complained (spam) or
        bounced hard, blacklist their addresses when the interface asks for it, and return (hard
        bounces acted on, run-log lines as ``(code, params, campaign, participant id)``).
        Idempotent: a participant already flagged is left as it is."""
        found = protection_events(events)
        if not found:
            return 0, []
        participants = self.env["ems.campaign.participant"].sudo().with_context(active_test=False)
        emails = sorted(found.spam | set(found.hard_bounce) | set(found.blocked))
        # A complaint or a bounce is about the address: every campaign of the interface.
        domain = [("campaign_id.mailjet_interface_id", "=", interface.id)]
        matching = participants.search(
            domain + [("email_normalized", "in", emails)],
            order="campaign_id, id",
        )
        by_email = {}
        for participant in matching:
            by_email.setdefault(participant.email_normalized, participants.browse())
            by_email[participant.email_normalized] |= participant
        lines, acted = [], 0
        for email in sorted(found.spam):
            people = by_email.get(email, participants.browse())
            if not people:
                continue
            # (the complaint's decline is counted by the unsubscribe handling)
            people.filtered(lambda p: not p.mailjet_spam).write({"mailjet_spam": True})
            if interface.blacklist_spam and self._mailjet_blacklist(
                email, self.env._("Reported a Mailjet newsletter as spam.")
            ):
                lines.append(("webhook_blacklisted_spam", {"email": email}, None, people[:1].id))
        for email, error in sorted(found.hard_bounce.items()):
            people = by_email.get(email, participants.browse())
            if not people:
                continue
            acted += 1
            new = people.filtered(lambda p: not p.mailjet_hard_bounce)
            if new:
                new.write({"mailjet_bounced_email": email})
                body = self.env._(
                    "Mailjet reported %(email)s as permanently undeliverable (hard bounce: "
                    "%(detail)s); it is no longer sent to Mailjet as subscribed until the "
                    "address changes.",
                    email=email,
                    detail=error or "-",
                )
                new._message_log_batch(dict.fromkeys(new.ids, body))
                for participant in new:
                    params = {"email": email, "detail": error or "-"}
                    lines.append(
                        ("webhook_hard_bounce", params, participant.campaign_id, participant.id)
                    )
            if interface.blacklist_hard_bounce and self._mailjet_blacklist(
                email, self.env._("Mailjet reported this address as permanently undeliverable.")
            ):
                lines.append(("webhook_blacklisted_bounce", {"email": email}, None, people[:1].id))
        for email, error in sorted(found.blocked.items()):
            people = by_email.get(email)
            if people:
                params = {"email": email, "detail": error or "-"}
                lines.append(("webhook_blocked", params, None, people[:1].id))
        return acted, lines

    @api.model
    def _mailjet_blacklist(self, email, message):
        """Put ``email`` on Odoo's blacklist; False when it was already there."""
        blacklist = self.env["mail.blacklist"].sudo()
        if blacklist.search_count([("email", "=", email)], limit=1):
            return False
        blacklist._add(email, message=message)
        return True

    # ------------------------------------------------------------------ who opened, who clicked
    @api.model
    def _mailjet_webhook_activity(self, interface, events):
        """Record the sent, open, click, bounce and spam events of a webhook batch on the
        participants' activity; return how many sent/open/click events were recorded.

        The event's Mailjet campaign tells the list (once the mailing is known from the
        statistics); otherwise the address must be a participant of exactly one newsletter
        campaign of the interface. The nightly read fills in what is left out."""
        found = activity_events(events)
        if not found:
            return 0
        participants = self.env["ems.campaign.participant"].sudo().with_context(active_test=False)
        campaigns = (
            self.env["utm.campaign"]
            .sudo()
            .search(
                [("mailjet_interface_id", "=", interface.id), ("mailjet_newsletter", "=", True)]
            )
        )
        mailings = (
            self.env["ems.mailjet.mailing"]
            .sudo()
            .search(
                [
                    ("campaign_id", "in", campaigns.ids),
                    ("mailjet_campaign_id", "in", [a.mailjet_campaign_id for a in found]),
                ]
            )
        )
        mailing_of = {m.mailjet_campaign_id: m for m in mailings}
        people = participants.search(
            [
                ("campaign_id", "in", campaigns.ids),
                ("email_normalized", "in", sorted({a.email for a in found})),
            ]
        )
        recorded = 0
        for act in found:
            mailing = mailing_of.get(act.mailjet_campaign_id)
            candidates = people.filtered(lambda p, e=act.email: p.email_normalized == e)
            if mailing:
                candidates = candidates.filtered(
                    lambda p, c=mailing.campaign_id: p.campaign_id == c
                )
            if len(candidates) != 1:
                continue
            when = act.time.astimezone(timezone.utc).replace(tzinfo=None)
            values = {"sent_at": when} if act.kind == "sent" else {}
            if act.kind == "open":
                values = {"opened": True, "opened_at": when}
            elif act.kind == "click":
                values = {"opened": True, "clicked": True, "clicked_at": when, "url": act.url}
            elif act.kind == "bounce":
                values = {"bounced": True}
            elif act.kind == "spam":
                values = {"spam": True}
            row = self._mailjet_activity_row(candidates, act.message_id, mailing, when)
            self._mailjet_activity_update(row, values)
            recorded += act.kind in ("sent", "open", "click")
        return recorded

    @api.model
    def _mailjet_activity_row(self, participant, message_id, mailing, sent_at=None):
        """The activity row of ``participant`` for one Mailjet message (created if new)."""
        rows = self.env["ems.mailjet.activity"].sudo()
        row = rows.search(
            [("participant_id", "=", participant.id), ("message_id", "=", message_id)], limit=1
        )
        if row:
            return row
        return rows.create(
            {
                "participant_id": participant.id,
                "message_id": message_id,
                "mailing_id": mailing.id if mailing else False,
                "mailjet_campaign_id": mailing.mailjet_campaign_id if mailing else False,
                "subject": mailing.subject if mailing else False,
                "sent_at": sent_at,
            }
        )

    @api.model
    def _mailjet_activity_update(self, row, values):
        """Set what is new: flags only ever switch on, times only move forward."""
        changes = {}
        for name, value in values.items():
            current = row[name]
            if name.endswith("_at") and current and value and value <= current:
                continue
            if name == "sent_at" and current:
                continue
            if current != value and value not in (None, False, ""):
                changes[name] = value
        if changes:
            row.write(changes)
