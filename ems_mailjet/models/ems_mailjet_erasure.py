from odoo import api, models
from odoo.exceptions import AccessError, UserError
from odoo.osv import expression
from odoo.tools import SQL

from ..services.emails import normalize_email
from ..services.errors import MailjetError
from ..services.records import external_id

ERASED_NAME = "Anonymized"
SCRUBBED = "[erased]"


class EmsMailjetErasure(models.AbstractModel):
    """Erasure of a person's data (GDPR Art. 17) in Mailjet and in this module's records.

    Mailjet first: its contact is deleted (``DELETE /v4/contacts/{id}``); if Mailjet
    refuses, nothing changes in the ERP. Then the participants with the address are
    anonymised (declined, no address or name left), the run-log lines forget the address,
    and the address is blocked by its fingerprint so that no later campaign or run sends it
    again. Partners and employees themselves are the customer's to keep or erase with
    Odoo's own tools; only their Mailjet data is cleared here.
    """

    _name = "ems.mailjet.erasure"
    _description = "Erasure of personal data in Mailjet"

    @api.model
    def _participants_to_erase(self, emails):
        """The participants not erased yet that use one of these normalised addresses.
        Only a campaign manager may ask, and only with an address."""
        if not self.env.user.has_group("ems_mailjet.group_campaign_manager"):
            raise AccessError(self.env._("Only campaign managers may erase personal data."))
        if not emails:
            raise UserError(self.env._("There is no e-mail address to erase."))
        return (
            self.env["ems.campaign.participant"]
            .sudo()
            .with_context(active_test=False)
            .search([("email_normalized", "in", emails), ("mailjet_erased", "=", False)])
        )

    @api.model
    def _erase(self, emails, origin=None):
        """Erase these addresses; returns how many participants were anonymised."""
        emails = sorted({normalize_email(e) for e in emails if e} - {""})
        participants = self._participants_to_erase(emails)
        deleted = self._delete_in_mailjet(emails, participants)
        self.env["ems.mailjet.suppression"]._suppress(emails, "erp")
        self._scrub_run_lines(emails)
        self._clear_mailjet_data(emails)
        self._anonymise(participants)
        body = self.env._(
            "Personal data erased by %(user)s: %(count)s campaign participation(s) anonymised, "
            "%(deleted)s Mailjet contact(s) deleted; the address is blocked for Mailjet.",
            user=self.env.user.name,
            count=len(participants),
            deleted=deleted,
        )
        if origin is not None and origin._name != "ems.campaign.participant":
            origin.sudo()._message_log(body=body)
        participants._message_log_batch(bodies=dict.fromkeys(participants.ids, body))
        return len(participants)

    @api.model
    def _delete_in_mailjet(self, emails, participants):
        """Delete the contacts in every Mailjet account that may know the address."""
        interfaces = participants.campaign_id.mailjet_interface_id
        if not interfaces:
            interfaces = (
                self.env["ems.interface"]
                .sudo()
                .search(
                    [
                        ("interface_type", "=", "mailjet"),
                        ("company_id", "in", self.env.companies.ids),
                    ]
                )
            )
        deleted = 0
        for interface in interfaces.sudo():
            if not (interface.api_key and interface.api_secret):
                continue
            known = {
                p.email_normalized: external_id(p.mailjet_contact_id)
                for p in participants
                if p.campaign_id.mailjet_interface_id == interface and p.mailjet_contact_id
            }
            try:
                with interface._quick_gateway() as gateway:
                    for email in emails:
                        contact_id = known.get(email)
                        if not contact_id:
                            contact = gateway.find_contact(email)
                            contact_id = contact.id if contact else None
                        if contact_id and gateway.delete_contact(contact_id):
                            deleted += 1
            except MailjetError as error:
                raise UserError(interface._quick_error_text(error)) from None
        return deleted

    @api.model
    def _anonymise(self, participants):
        """No address or name left: a placeholder address, the decline kept."""
        hashes = self.env["ems.mailjet.suppression"]
        for participant in participants:
            values = {
                "email": f"erased-{participant.id}@domain.invalid",
                "name": ERASED_NAME,
                "partner_id": False,
                "employee_id": False,
                "mailjet_erased": True,
                "erased_email_hash": hashes._hash(participant.email_normalized),
                "mailjet_contact_id": False,
                "consent_note": False,
                "signup_ip": False,
                "confirm_ip": False,
            }
            if participant.state != "declined":
                values["state"] = "declined"
            participant.with_context(ems_gdpr_erase=True).write(values)
        # Earlier chatter entries may quote the person (e.g. the consent in their words).
        self.env["mail.message"].sudo().search(
            [("model", "=", "ems.campaign.participant"), ("res_id", "in", participants.ids)]
        ).unlink()

    @api.model
    def _clear_mailjet_data(self, emails):
        """Partners and employees with the address lose their (now deleted) contact id."""
        partners = self.env["res.partner"].sudo().with_context(active_test=False)
        partners.search([("email_normalized", "in", emails)]).write(
            {"mailjet_contact_id": False, "mailjet_excluded": False}
        )
        employees = self.env["hr.employee"].sudo().with_context(active_test=False)
        domain = []
        for email in emails:  # employees keep addresses as typed (any case)
            domain = expression.OR(
                [domain, [("work_email", "=ilike", email)], [("private_email", "=ilike", email)]]
            )
        employees.search(domain).write({"mailjet_contact_id": False, "mailjet_excluded": False})

    @api.model
    def _scrub_run_lines(self, emails):
        """Run-log lines keep their code, never the erased address."""
        self.env["ems.mailjet.sync.run.line"].flush_model(["params"])
        self.env.cr.execute(
            SQL(
                "SELECT id FROM ems_mailjet_sync_run_line WHERE params::text ILIKE ANY(%s)",
                [f"%{email}%" for email in emails],
            )
        )
        ids = [row[0] for row in self.env.cr.fetchall()]
        lines = self.env["ems.mailjet.sync.run.line"].sudo().browse(ids)
        for line in lines:
            line.params = _scrub(line.params, emails)


def _scrub(value, emails):
    """``value`` (JSON) with every mention of these addresses replaced."""
    if isinstance(value, dict):
        return {k: _scrub(v, emails) for k, v in value.items()}
    if isinstance(value, list):
        return [_scrub(v, emails) for v in value]
    if isinstance(value, str):
        lowered = value.lower()
        for email in emails:
            while email in lowered:
                start = lowered.index(email)
                value = value[:start] + SCRUBBED + value[start + len(email) :]
                lowered = value.lower()
        return value
    return value
