from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools.misc import format_date

from ..services.emails import normalize_email
from ..services.errors import MailjetError
from ..services.records import external_id


class EmsConsentResubscribe(models.TransientModel):
    """D5: undo an unsubscribe, on both sides at once, only with the customer's consent."""

    _name = "ems.consent.resubscribe"
    _description = "Re-subscribe with consent"

    participant_id = fields.Many2one(
        "ems.campaign.participant", required=True, readonly=True, ondelete="cascade"
    )
    email = fields.Char(related="participant_id.email")
    erased = fields.Boolean(related="participant_id.mailjet_erased")
    erased_email = fields.Char(
        string="E-mail address",
        help="The participant's data was erased: enter the customer's address again. It must "
        "be the erased one.",
    )
    campaign_id = fields.Many2one(related="participant_id.campaign_id")
    consent_note = fields.Text(
        string="Customer's consent",
        required=True,
        help="How and in which words the customer agreed to receive the newsletter again "
        "(e.g. the e-mail or the phone call).",
    )
    consent_date = fields.Date(
        string="Consent given on", required=True, default=fields.Date.context_today
    )
    user_id = fields.Many2one(
        "res.users", string="Recorded by", default=lambda self: self.env.user, readonly=True
    )

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        context = self.env.context
        participant_id = values.get("participant_id")
        if not participant_id and context.get("active_model") == "ems.campaign.participant":
            active_ids = context.get("active_ids") or [context.get("active_id")]
            if len(active_ids) > 1:
                raise UserError(
                    self.env._("Re-subscribe one participant at a time: select only one.")
                )
            participant_id = active_ids[0]
            participant = self.env["ems.campaign.participant"].browse(participant_id)
            if participant.state != "declined":
                raise UserError(
                    self.env._(
                        "%(name)s is not declined: only a declined participant can be "
                        "re-subscribed.",
                        name=participant.display_name,
                    )
                )
        if participant_id:
            values["participant_id"] = participant_id
        return values

    def action_confirm(self):
        self.ensure_one()
        if not self.env.user.has_group("ems_mailjet.group_campaign_manager"):
            raise AccessError(
                self.env._("Only campaign managers may re-subscribe a declined participant.")
            )
        if not (self.consent_note or "").strip():
            raise UserError(self.env._("Record the customer's consent before re-subscribing them."))
        participant = self.participant_id
        if participant.state != "declined":
            raise UserError(self.env._("This participant is not declined."))
        suppression = self.env["ems.mailjet.suppression"]
        restored = {}
        if participant.mailjet_erased:
            email = normalize_email(self.erased_email or "")
            if not email or suppression._hash(email) != participant.erased_email_hash:
                raise UserError(
                    self.env._(
                        "Enter the erased participant's e-mail address: only that address "
                        "can be re-subscribed here."
                    )
                )
            restored = {"email": email, "name": email, "mailjet_erased": False}
        else:
            email = participant.email_normalized
        campaign = participant.campaign_id.sudo()
        contact_id = False
        if campaign.mailjet_newsletter and campaign.mailjet_list_id:
            interface = campaign.mailjet_interface_id
            if not interface:
                raise UserError(self.env._("The campaign has no Mailjet interface."))
            # Mailjet first: if it refuses, nothing changes in the ERP either.
            try:
                with interface._quick_gateway() as gateway:
                    contact_id = gateway.resubscribe_with_consent(
                        external_id(campaign.mailjet_list_id),
                        email,
                        "" if restored else participant.name or "",
                    )
            except MailjetError as error:
                raise UserError(interface._quick_error_text(error)) from None
        values = {
            "state": "accepted",
            "declined_at": False,
            "consent_note": self.consent_note.strip(),
            "consent_date": self.consent_date,
            "consent_user_id": self.env.user.id,
            "consent_source": "manager",
            **restored,
        }
        # The customer's recorded consent lifts the block of an erased address.
        suppression._lift(email)
        if contact_id:
            values.update(mailjet_synced_state="accepted", mailjet_contact_id=str(contact_id))
        participant.sudo().with_context(ems_consent_given=True).write(values)
        participant._message_log(
            body=self.env._(
                "Re-subscribed with the customer's consent of %(date)s, recorded by "
                "%(user)s: %(note)s",
                date=format_date(self.env, self.consent_date),
                user=self.env.user.name,
                note=self.consent_note.strip(),
            ),
        )
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "message": self.env._(
                    "%(name)s is subscribed again, in the ERP and in Mailjet.",
                    name=participant.display_name,
                )
                if contact_id
                else self.env._("%(name)s is subscribed again.", name=participant.display_name),
                "type": "success",
                "next": {"type": "ir.actions.act_window_close"},
            },
        }
