from odoo import api, fields, models
from odoo.exceptions import UserError

_SOURCES = ("ems.campaign.participant", "res.partner", "hr.employee")


class EmsMailjetGdprErase(models.TransientModel):
    """The confirmation before erasing a person's data (GDPR): says what happens."""

    _name = "ems.mailjet.gdpr.erase"
    _description = "Erase personal data"

    res_model = fields.Char(string="Model", required=True, readonly=True)
    res_ids = fields.Json(string="Records", required=True, readonly=True)
    address_count = fields.Integer(string="Addresses", readonly=True)
    participant_count = fields.Integer(string="Campaign participations", readonly=True)
    keeps_master_record = fields.Boolean(string="Contact or employee", readonly=True)

    @api.model
    def _open(self, records):
        """The dialog for these records (participants, partners or employees)."""
        emails = self._emails_of(records)
        participants = len(self.env["ems.mailjet.erasure"]._participants_to_erase(emails))
        wizard = self.create(
            {
                "res_model": records._name,
                "res_ids": records.ids,
                "address_count": len(emails),
                "participant_count": participants,
                "keeps_master_record": records._name != "ems.campaign.participant",
            }
        )
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Erase personal data"),
            "res_model": self._name,
            "res_id": wizard.id,
            "view_mode": "form",
            "target": "new",
        }

    @api.model
    def _emails_of(self, records):
        if records._name == "ems.campaign.participant":
            emails = records.filtered(lambda p: not p.mailjet_erased).mapped("email_normalized")
        elif records._name == "res.partner":
            emails = records.mapped("email_normalized")
        else:
            employees = records.sudo()
            emails = employees.mapped("work_email") + employees.mapped("private_email")
        return sorted({e.strip().lower() for e in emails if e})

    def action_confirm(self):
        self.ensure_one()
        if self.res_model not in _SOURCES:
            raise UserError(self.env._("Nothing to erase."))
        records = self.env[self.res_model].browse(self.res_ids).exists()
        emails = self._emails_of(records)
        origin = records if len(records) == 1 else None
        count = self.env["ems.mailjet.erasure"]._erase(emails, origin=origin)
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "message": self.env._(
                    "Erased: %(count)s campaign participation(s) anonymised, the contact "
                    "deleted in Mailjet, the address blocked.",
                    count=count,
                ),
                "type": "success",
                "next": {"type": "ir.actions.act_window_close"},
            },
        }
