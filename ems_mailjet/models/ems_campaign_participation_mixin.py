from odoo import fields, models
from odoo.tools import SQL

# Fields of a partner or employee whose change can change a participant's contact
# properties in Mailjet (name, company, language, number).
PROPERTY_SOURCES = frozenset(
    {"name", "lang", "ref", "barcode", "parent_id", "is_company", "company_name", "company_id"}
)


class EmsCampaignParticipationMixin(models.AbstractModel):
    """The "Campaigns" smart button of a record participants can point to.

    ``_ems_participant_field`` names the participant's many2one to the record.
    """

    _name = "ems.campaign.participation.mixin"
    _description = "Campaign participations of a contact or an employee"
    _ems_participant_field = None

    ems_participation_count = fields.Integer(
        string="Campaigns", compute="_compute_ems_participation_count"
    )

    def _compute_ems_participation_count(self):
        link = self._ems_participant_field
        counts = dict(
            self.env["ems.campaign.participant"]
            .sudo()
            ._read_group([(link, "in", self.ids)], [link], ["__count"])
        )
        for record in self:
            record.ems_participation_count = counts.get(record, 0)

    def write(self, vals):
        result = super().write(vals)
        if PROPERTY_SOURCES & set(vals):
            self._mailjet_properties_to_check()
        return result

    def _mailjet_properties_to_check(self):
        """The next synchronisation compares the contact properties of these records'
        participants (for a company, also of its contacts) with what Mailjet confirmed."""
        link = self._ems_participant_field
        operator = "child_of" if self._name == "res.partner" else "in"
        participants = (
            self.env["ems.campaign.participant"]
            .sudo()
            .with_context(active_test=False)
            .search([(link, operator, self.ids)])
        )
        if participants:
            participants.flush_recordset(["mailjet_properties_at"])
            self.env.cr.execute(
                SQL(
                    "UPDATE ems_campaign_participant SET mailjet_properties_at = NULL"
                    " WHERE id = ANY(%s)",
                    participants.ids,
                )
            )
            participants.invalidate_recordset(["mailjet_properties_at"])

    def action_open_ems_participations(self):
        self.ensure_one()
        link = self._ems_participant_field
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "ems_mailjet.action_ems_campaign_participant"
        )
        action["domain"] = [(link, "=", self.id)]
        action["context"] = {f"default_{link}": self.id}
        return action

    mailjet_activity_count = fields.Integer(
        string="Mailjet activity", compute="_compute_mailjet_activity_count"
    )

    def _compute_mailjet_activity_count(self):
        link = self._ems_participant_field
        counts = dict(
            self.env["ems.mailjet.activity"]
            .sudo()
            ._read_group([(link, "in", self.ids)], [link], ["__count"])
        )
        for record in self:
            record.mailjet_activity_count = counts.get(record, 0)

    def action_open_mailjet_activity(self):
        """What this contact or employee did with the Mailjet mailings of all campaigns."""
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "ems_mailjet.action_ems_mailjet_activity"
        )
        action["domain"] = [(self._ems_participant_field, "=", self.id)]
        return action
