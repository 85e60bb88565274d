from odoo import fields, models


class EmsMailjetMailing(models.Model):
    """A Mailjet campaign (newsletter) sent to a campaign's list, with Mailjet's counters.

    Mailjet's words: "delivered" is MessageSentCount, "processed" is statcounters' Total
    (delivered plus blocked, bounced, queued and deferred messages)."""

    _name = "ems.mailjet.mailing"
    _description = "Mailing sent to a Mailjet list"
    _order = "sent_at desc, id desc"
    _rec_name = "subject"

    campaign_id = fields.Many2one(
        "utm.campaign", required=True, ondelete="cascade", index=True, readonly=True
    )
    company_id = fields.Many2one(related="campaign_id.company_id", store=True, index=True)
    mailjet_campaign_id = fields.Char(
        string="Mailjet campaign ID", required=True, index=True, readonly=True
    )
    subject = fields.Char(readonly=True)
    sent_at = fields.Datetime(string="Sent on", readonly=True)
    processed = fields.Integer(
        readonly=True, help="Messages Mailjet processed: delivered, blocked, bounced, queued."
    )
    delivered = fields.Integer(readonly=True, help="Mailjet's MessageSentCount.")
    opened = fields.Integer(readonly=True)
    clicked = fields.Integer(readonly=True)
    bounced = fields.Integer(readonly=True)
    spam = fields.Integer(string="Marked as spam", readonly=True)
    unsubscribed = fields.Integer(readonly=True)
    # The counters when the recipients' messages were last read (their activity is read
    # again only when Mailjet's counters moved since).
    activity_read_key = fields.Char(
        string="Counters at the last activity read", readonly=True, copy=False
    )

    _sql_constraints = [
        (
            "campaign_mailing_uniq",
            "UNIQUE(campaign_id, mailjet_campaign_id)",
            "This Mailjet campaign is already recorded for the campaign.",
        ),
    ]

    def _counters_key(self):
        self.ensure_one()
        return f"{self.delivered}/{self.opened}/{self.clicked}/{self.bounced}/{self.spam}"
