from odoo import fields, models


class ResPartner(models.Model):
    _name = "res.partner"
    _inherit = ["res.partner", "ems.mailjet.contact.mixin", "ems.campaign.participation.mixin"]
    _ems_participant_field = "partner_id"

    ems_participant_ids = fields.One2many(
        "ems.campaign.participant",
        "partner_id",
        string="Campaign participations",
        groups="ems_mailjet.group_campaign_user",
    )
    ems_participation_count = fields.Integer(groups="ems_mailjet.group_campaign_user")

    def action_mailjet_gdpr_erase(self):
        """Erase this person's data in Mailjet and in the campaigns (asks first)."""
        return self.env["ems.mailjet.gdpr.erase"]._open(self)
