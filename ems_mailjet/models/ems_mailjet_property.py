from odoo import api, fields, models
from odoo.exceptions import ValidationError

# Where a property's value comes from; resolved for each participant at sync time.
SOURCES = [
    ("first_name", "First name"),
    ("last_name", "Last name"),
    ("name", "Full name"),
    ("company", "Company"),
    ("language", "Language"),
    ("number", "Customer or badge number"),
    ("email", "E-mail"),
    ("campaign", "Campaign"),
]
DEFAULTS = [
    ("firstname", "str", "first_name"),
    ("lastname", "str", "last_name"),
    ("company", "str", "company"),
    ("language", "str", "language"),
    ("customer_number", "str", "number"),
]


class EmsMailjetProperty(models.Model):
    """A Mailjet contact property filled from the ERP, e.g. ``firstname`` for
    ``[[data:firstname]]`` in a newsletter."""

    _name = "ems.mailjet.property"
    _description = "Mailjet contact property"
    _order = "interface_id, sequence, id"

    interface_id = fields.Many2one("ems.interface", required=True, ondelete="cascade", index=True)
    sequence = fields.Integer(default=10)
    name = fields.Char(
        string="Mailjet property",
        required=True,
        help="The property's name in Mailjet, used in templates as [[data:name]]. Created "
        "in Mailjet with its type when it does not exist yet.",
    )
    datatype = fields.Selection(
        selection=[
            ("str", "Text"),
            ("int", "Whole number"),
            ("float", "Decimal number"),
            ("bool", "Yes/No"),
            ("datetime", "Date and time"),
        ],
        string="Type",
        required=True,
        default="str",
    )
    source = fields.Selection(
        selection=SOURCES,
        required=True,
        help="Taken from the participant's contact or employee, else from the participant.",
    )
    active = fields.Boolean(default=True)

    _sql_constraints = [
        (
            "interface_name_uniq",
            "UNIQUE(interface_id, name)",
            "Each Mailjet property can be filled from one source only.",
        ),
    ]

    @api.constrains("name")
    def _check_name(self):
        for prop in self:
            name = prop.name or ""
            if not name.replace("_", "").isalnum() or not name.isascii():
                raise ValidationError(
                    self.env._(
                        "The Mailjet property name %(name)s may contain only letters, digits "
                        "and underscores.",
                        name=name,
                    )
                )
