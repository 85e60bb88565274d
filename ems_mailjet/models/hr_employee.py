from odoo import fields, models


class HrEmployee(models.Model):
    _inherit = "hr.employee"

    mailjet_contact_id = fields.Char(
        string="Mailjet contact ID", readonly=True, copy=False, groups="hr.group_hr_user"
    )
    mailjet_excluded = fields.Boolean(
        string="Excluded in Mailjet",
        readonly=True,
        copy=False,
        groups="hr.group_hr_user",
        help="Mailjet excludes this address from all marketing campaigns.",
    )
    ems_participant_ids = fields.One2many(
        "ems.campaign.participant",
        "employee_id",
        string="Campaign participations",
        groups="ems_mailjet.group_campaign_user",
    )
    ems_participation_count = fields.Integer(
        string="Campaigns",
        compute="_compute_ems_participation_count",
    )

    def _compute_ems_participation_count(self):
        counts = dict(
            self.env["ems.campaign.participant"].sudo()._read_group(
                [("employee_id", "in", self.ids)], ["employee_id"], ["__count"]
            )
        )
        for employee in self:
            employee.ems_participation_count = counts.get(employee, 0)

    def action_open_ems_participations(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "ems_mailjet.action_ems_campaign_participant"
        )
        action["domain"] = [("employee_id", "=", self.id)]
        action["context"] = {"default_employee_id": self.id}
        return action
