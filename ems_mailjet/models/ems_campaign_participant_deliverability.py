from odoo import api, fields, models


class EmsCampaignParticipant(models.Model):
    """Bounce and spam protection on the participant: an address that bounced hard is no
    longer pushed as subscribed (until it changes); a spam complaint is an unsubscribe."""

    _inherit = "ems.campaign.participant"

    mailjet_bounced_email = fields.Char(
        string="Address that bounced",
        readonly=True,
        copy=False,
        help="The address Mailjet reported as bouncing permanently (hard bounce).",
    )
    mailjet_hard_bounce = fields.Boolean(
        string="Hard bounce",
        compute="_compute_mailjet_hard_bounce",
        store=True,
        help="Mailjet reported this address as permanently undeliverable. It is no longer "
        "sent to Mailjet as subscribed until the participant's address changes.",
    )
    mailjet_spam = fields.Boolean(
        string="Reported as spam",
        readonly=True,
        copy=False,
        help="The recipient marked a newsletter as spam: that is an unsubscribe, so the "
        "participant is declined.",
    )

    @api.depends("email_normalized", "mailjet_bounced_email")
    def _compute_mailjet_hard_bounce(self):
        for participant in self:
            bounced = participant.mailjet_bounced_email
            participant.mailjet_hard_bounce = bool(bounced) and (
                bounced == participant.email_normalized
            )
