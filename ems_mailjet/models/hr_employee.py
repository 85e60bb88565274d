from odoo import fields, models


class HrEmployee(models.Model):
    _name = "hr.employee"
    _inherit = ["hr.employee", "ems.mailjet.contact.mixin", "ems.campaign.participation.mixin"]
    _ems_participant_field = "employee_id"

    mailjet_contact_id = fields.Char(groups="hr.group_hr_user")
    mailjet_excluded = fields.Boolean(groups="hr.group_hr_user")
    ems_participant_ids = fields.One2many(
        "ems.campaign.participant",
        "employee_id",
        string="Campaign participations",
        groups="ems_mailjet.group_campaign_user",
    )

    def action_mailjet_gdpr_erase(self):
        """Erase this person's data in Mailjet and in the campaigns (asks first)."""
        return self.env["ems.mailjet.gdpr.erase"]._open(self)
