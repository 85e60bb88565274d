from odoo import fields, models


class EmsMailjetContactMixin(models.AbstractModel):
    """What Mailjet knows of an address: its contact id and the global exclusion flag.

    Shared by participants, partners and employees, so all three show the same thing.
    """

    _name = "ems.mailjet.contact.mixin"
    _description = "Mailjet contact data"

    mailjet_contact_id = fields.Char(string="Mailjet contact ID", readonly=True, copy=False)
    mailjet_excluded = fields.Boolean(
        string="Excluded in Mailjet",
        readonly=True,
        copy=False,
        help="Mailjet excludes this address from all marketing campaigns.",
    )
