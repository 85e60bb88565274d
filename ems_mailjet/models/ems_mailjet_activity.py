from odoo import fields, models


class EmsMailjetActivity(models.Model):
    """What one participant did with one Mailjet mailing: delivered, opened, clicked,
    bounced, reported as spam. One row per participant and Mailjet message, so Mailjet's
    retries and the nightly read never count twice."""

    _name = "ems.mailjet.activity"
    _description = "Mailjet activity of a participant"
    _order = "sent_at desc, id desc"
    _rec_name = "subject"

    participant_id = fields.Many2one(
        "ems.campaign.participant", required=True, ondelete="cascade", index=True, readonly=True
    )
    campaign_id = fields.Many2one(related="participant_id.campaign_id", store=True, index=True)
    company_id = fields.Many2one(related="campaign_id.company_id", store=True, index=True)
    partner_id = fields.Many2one(
        related="participant_id.partner_id", store=True, index="btree_not_null"
    )
    employee_id = fields.Many2one(
        related="participant_id.employee_id", store=True, index="btree_not_null"
    )
    email = fields.Char(related="participant_id.email_normalized", string="E-mail")
    mailing_id = fields.Many2one("ems.mailjet.mailing", ondelete="set null", readonly=True)
    mailjet_campaign_id = fields.Char(string="Mailjet campaign ID", readonly=True)
    message_id = fields.Char(string="Mailjet message ID", required=True, readonly=True)
    subject = fields.Char(readonly=True)
    sent_at = fields.Datetime(string="Sent on", readonly=True)
    opened = fields.Boolean(readonly=True)
    opened_at = fields.Datetime(string="Last opened on", readonly=True)
    clicked = fields.Boolean(readonly=True)
    clicked_at = fields.Datetime(string="Last clicked on", readonly=True)
    url = fields.Char(string="Last link clicked", readonly=True)
    bounced = fields.Boolean(readonly=True)
    spam = fields.Boolean(string="Marked as spam", readonly=True)

    _sql_constraints = [
        (
            "participant_message_uniq",
            "UNIQUE(participant_id, message_id)",
            "This Mailjet message is already recorded for the participant.",
        ),
    ]
