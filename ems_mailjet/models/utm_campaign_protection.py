from odoo import api, models

from ..services.protection import protection_events


class UtmCampaign(models.Model):
    """Spam complaints, hard bounces and blocked messages reported by Mailjet's webhook."""

    _inherit = "utm.campaign"

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
