from odoo import api, fields, models
from odoo.exceptions import UserError


class UtmCampaign(models.Model):
    """A campaign keeps participants; ticked "Newsletter" it mirrors a Mailjet list (R4)."""

    _inherit = "utm.campaign"

    # Same definition as sale's, so both modules can be installed together.
    company_id = fields.Many2one("res.company", default=lambda self: self.env.company)
    mailjet_newsletter = fields.Boolean(
        string="Newsletter (E-Mail-Marketing)",
        help="Only campaigns with this tick are synchronised with a Mailjet contact list, "
        "which takes the campaign's name.",
    )
    participant_ids = fields.One2many(
        "ems.campaign.participant", "campaign_id", string="Participants"
    )
    mailjet_interface_id = fields.Many2one(
        "ems.interface",
        string="Mailjet interface",
        compute="_compute_mailjet_interface_id",
        store=True,
        readonly=False,
        ondelete="set null",
        groups="base.group_system",
        domain="[('interface_type', '=', 'mailjet')]",
    )
    mailjet_list_id = fields.Char(
        string="Mailjet list ID",
        readonly=True,
        copy=False,
        help="The ID of the Mailjet contact list this campaign is mirrored to.",
    )
    mailjet_list_name = fields.Char(
        string="Mailjet list name",
        readonly=True,
        copy=False,
        help="The name the Mailjet list had after the last synchronisation.",
    )
    mailjet_checkpoint = fields.Json(copy=False, readonly=True)
    mailjet_last_sync_at = fields.Datetime(string="Last synchronisation", readonly=True, copy=False)
    # R5: the list as Mailjet counts it
    mailjet_count_total = fields.Integer(string="Contacts", readonly=True, copy=False)
    mailjet_count_subscribed = fields.Integer(string="Subscribed", readonly=True, copy=False)
    mailjet_count_unsubscribed = fields.Integer(string="Unsubscribed", readonly=True, copy=False)
    mailjet_count_excluded = fields.Integer(string="Excluded", readonly=True, copy=False)
    # R14 / D6: what Mailjet's campaigns sent to this list did
    mailjet_stat_sent = fields.Integer(string="Sent", readonly=True, copy=False)
    mailjet_stat_opened = fields.Integer(string="Opened", readonly=True, copy=False)
    mailjet_stat_clicked = fields.Integer(string="Clicked", readonly=True, copy=False)
    mailjet_stat_unsubscribed = fields.Integer(
        string="Unsubscribed (statistics)", readonly=True, copy=False
    )
    mailjet_stat_bounced = fields.Integer(string="Bounced", readonly=True, copy=False)
    mailjet_stat_spam = fields.Integer(string="Marked as spam", readonly=True, copy=False)
    mailjet_stats_at = fields.Datetime(
        string="Statistics updated",
        readonly=True,
        copy=False,
        help="Mailjet's statistics are read at most every few hours (by the nightly run).",
    )
    participant_count = fields.Integer(
        string="Number of participants", compute="_compute_participant_counts"
    )
    participant_accepted_count = fields.Integer(
        string="Accepted", compute="_compute_participant_counts"
    )
    participant_declined_count = fields.Integer(
        string="Declined", compute="_compute_participant_counts"
    )

    @api.depends("mailjet_newsletter", "company_id")
    def _compute_mailjet_interface_id(self):
        interface_model = self.env["ems.interface"]
        for campaign in self:
            if campaign.mailjet_newsletter and not campaign.mailjet_interface_id:
                company = campaign.company_id or self.env.company
                campaign.mailjet_interface_id = interface_model._default_for_company(company)

    @api.depends("participant_ids.state")
    def _compute_participant_counts(self):
        counts = {
            (campaign.id, state): count
            for campaign, state, count in self.env["ems.campaign.participant"]._read_group(
                [("campaign_id", "in", self.ids)], ["campaign_id", "state"], ["__count"]
            )
        }
        for campaign in self:
            accepted = counts.get((campaign.id, "accepted"), 0)
            declined = counts.get((campaign.id, "declined"), 0)
            campaign.participant_accepted_count = accepted
            campaign.participant_declined_count = declined
            campaign.participant_count = accepted + declined

    @api.ondelete(at_uninstall=False)
    def _unlink_except_declined_participants(self):
        """Deleting a campaign would delete the legal record of its unsubscribes."""
        participants = self.env["ems.campaign.participant"].with_context(active_test=False)
        declined = participants.search_count(
            [("campaign_id", "in", self.ids), ("state", "=", "declined")], limit=1
        )
        if declined:
            raise UserError(
                self.env._(
                    "This campaign has declined participants: their unsubscribes are a legal "
                    "record and cannot be deleted. Archive the campaign instead."
                )
            )

    def _mailjet_list_name(self):
        """The name of the campaign's Mailjet list: the campaign's title as users see it
        in the interface's language, whatever the language of whoever edits the campaign
        or runs the synchronisation."""
        self.ensure_one()
        interface = self.sudo().mailjet_interface_id
        lang = interface.lang or self.env.company.partner_id.lang or "en_US"
        return self.with_context(lang=lang).title

    def action_open_participants(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "ems_mailjet.action_ems_campaign_participant"
        )
        action["domain"] = [("campaign_id", "=", self.id)]
        action["context"] = {"default_campaign_id": self.id}
        return action
