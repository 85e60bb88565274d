from odoo import fields, models


class ResPartner(models.Model):
    _inherit = "res.partner"

    mailjet_contact_id = fields.Char(string="Mailjet contact ID", readonly=True, copy=False)
    mailjet_excluded = fields.Boolean(
        string="Excluded in Mailjet",
        readonly=True,
        copy=False,
        help="Mailjet excludes this address from all marketing campaigns.",
    )
    ems_participant_ids = fields.One2many(
        "ems.campaign.participant",
        "partner_id",
        string="Campaign participations",
        groups="ems_mailjet.group_campaign_user",
    )
    ems_participation_count = fields.Integer(
        string="Campaigns",
        compute="_compute_ems_participation_count",
        groups="ems_mailjet.group_campaign_user",
    )

    def _compute_ems_participation_count(self):
        counts = dict(
            self.env["ems.campaign.participant"]._read_group(
                [("partner_id", "in", self.ids)], ["partner_id"], ["__count"]
            )
        )
        for partner in self:
            partner.ems_participation_count = counts.get(partner, 0)

    def action_open_ems_participations(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "ems_mailjet.action_ems_campaign_participant"
        )
        action["domain"] = [("partner_id", "=", self.id)]
        action["context"] = {"default_partner_id": self.id}
        return action
