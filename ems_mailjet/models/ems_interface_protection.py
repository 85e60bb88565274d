from odoo import fields, models


class EmsInterface(models.Model):
    """Whether spam complaints and hard bounces also go on Odoo's own blacklist."""

    _inherit = "ems.interface"

    blacklist_spam = fields.Boolean(
        string="Blacklist spam complaints",
        default=True,
        help="An address whose owner reported a newsletter as spam is also put on Odoo's "
        "blacklist, so that no e-mail marketing from Odoo reaches it either.",
    )
    blacklist_hard_bounce = fields.Boolean(
        string="Blacklist hard bounces",
        help="An address Mailjet reports as permanently undeliverable is also put on "
        "Odoo's blacklist.",
    )
